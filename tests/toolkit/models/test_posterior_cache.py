"""The on-disk posterior cache: identical and fast hits, keys, corrupted entries, bypass, atomic writes."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pandas as pd
import pytest

from tests.toolkit.models.conftest import FAST, YesRateModel
from toolkit.cache import CACHE_ENV, cache_dir
from toolkit.models.fitting import fit
from toolkit.models.interface import FitSettings
from toolkit.models.posterior_cache import CACHE_LAYOUT, cache_key, clear_cache, entry_path, load, store


def test_cache_hit_is_identical_and_fast(
    toy_fit: Any, small_study: tuple[Any, dict], model_cache: Path
) -> None:
    assert toy_fit.cache_path is not None and (toy_fit.cache_path / "meta.json").exists()
    t0 = time.perf_counter()
    again = fit(YesRateModel(), small_study[0], cache_root=model_cache, **FAST)
    elapsed = time.perf_counter() - t0
    assert again.from_cache and not toy_fit.from_cache
    assert elapsed < 2.0, f"cached re-run took {elapsed:.2f} s"
    for name, table in toy_fit.summaries.items():
        pd.testing.assert_frame_equal(again.summaries[name], table)
    assert again.diagnostics == toy_fit.diagnostics
    np.testing.assert_array_equal(
        again.idata["posterior"]["p"].values, toy_fit.idata["posterior"]["p"].values
    )
    assert again.idata["sample_stats"]["diverging"].dtype == bool
    assert (
        again.idata["posterior"].attrs["sampling_time"] == toy_fit.idata["posterior"].attrs["sampling_time"]
    )
    assert again.fit_wall_time == toy_fit.fit_wall_time and again.cache_path == toy_fit.cache_path
    # a cached result still prepares its data on demand (for the checks)
    assert list(again.data.coords["rater"]) == list(toy_fit.data.coords["rater"])
    assert len(again.ppc(rng=0)) == len(toy_fit.ppc(rng=0))


def test_cache_key_covers_data_model_and_sampler_settings() -> None:
    s = FitSettings(300, 300, 2, 3, "pymc", 0.9)
    key = cache_key(YesRateModel(), "a" * 64, s)
    assert cache_key(YesRateModel(), "a" * 64, s) == key
    variants = [
        cache_key(YesRateModel(), "b" * 64, s),
        cache_key(YesRateModel(prior_sd=2.0), "a" * 64, s),
        *(
            cache_key(YesRateModel(), "a" * 64, attrs.evolve(s, **{k: v}))
            for k, v in [
                ("draws", 301),
                ("tune", 301),
                ("chains", 4),
                ("seed", 4),
                ("sampler", "nutpie"),
                ("target_accept", 0.95),
            ]
        ),
    ]
    assert key not in variants and len(set(variants)) == len(variants)


def test_cache_key_is_stable_across_releases() -> None:
    """Entries stored before keep being found: the key of a fixed input changes only with CACHE_LAYOUT (the
    layout-1 value was computed with the key function of the single-module base.py this module was split
    from; layout 2 drops summaries that carried the paper's numbers; layout 3 adds the chains' start scheme and
    strict-IEEE compilation)."""
    s = FitSettings(300, 300, 2, 3, "pymc", 0.9)
    expected = {
        "1": "6a1cf6289b390f852db953398b2ee74a5e5602d50aeb68ebbab942c16d8d6a68",
        "2": "a1b6d6e441a16629b1ab0ffe558773f64341f983f5ee8d3f795a18a9055ff926",
        "3": "36c5ea88cd6f342429b66d97164ece8d84c66b3f38fed388e63f40c927833a23",
    }
    assert cache_key(YesRateModel(), "a" * 64, s) == expected[CACHE_LAYOUT]


@pytest.mark.filterwarnings("ignore::toolkit.models.diagnostics.ConvergenceWarning")
def test_corrupted_cache_entry_is_refitted(small_study: tuple[Any, dict], tmp_path: Path) -> None:
    ds = small_study[0]
    settings = {**FAST, "draws": 200, "tune": 200}
    first = fit(YesRateModel(), ds, cache_root=tmp_path, **settings)
    (first.cache_path / "groups" / "posterior.nc").write_bytes(b"not a netcdf file")
    with pytest.warns(RuntimeWarning, match="unreadable"):
        second = fit(YesRateModel(), ds, cache_root=tmp_path, **settings)
    assert not second.from_cache
    pd.testing.assert_frame_equal(second.summaries["raters"], first.summaries["raters"])  # same seed
    third = fit(YesRateModel(), ds, cache_root=tmp_path, **settings)
    assert third.from_cache
    (third.cache_path / "meta.json").write_text("{", encoding="utf-8")
    with pytest.warns(RuntimeWarning, match="unreadable"):
        assert not fit(YesRateModel(), ds, cache_root=tmp_path, **settings).from_cache


@pytest.mark.filterwarnings("ignore::toolkit.models.diagnostics.ConvergenceWarning")
def test_cache_can_be_bypassed_and_relocated(
    small_study: tuple[Any, dict], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "env-cache"))
    assert cache_dir() == tmp_path / "env-cache"
    r = fit(YesRateModel(), small_study[0], cache=False, **{**FAST, "draws": 100, "tune": 100})
    assert r.cache_path is None and not (tmp_path / "env-cache").exists()
    monkeypatch.delenv(CACHE_ENV)
    assert cache_dir() == Path.home() / ".cache" / "recenter-toolkit"


def test_store_is_atomic_and_keeps_an_entry_stored_first(toy_fit: Any, tmp_path: Path) -> None:
    """Concurrent fits: the first entry wins and no temporary folder is left; a failed write leaves nothing."""
    model = toy_fit.model
    entry = entry_path(tmp_path, model, cache_key(model, toy_fit.data_hash, toy_fit.settings))
    parts = {
        "model": model,
        "settings": toy_fit.settings,
        "data_hash": toy_fit.data_hash,
        "idata": toy_fit.idata,
        "diagnostics": toy_fit.diagnostics,
        "summaries": toy_fit.summaries,
    }
    store(entry, **parts, fit_wall_time=1.0)
    store(entry, **parts, fit_wall_time=2.0)  # a concurrent fit finishing second
    assert load(entry, model).fit_wall_time == 1.0
    assert sorted(p.name for p in entry.parent.iterdir()) == [entry.name]  # no temporary folder left

    class Unwritable(pd.DataFrame):
        def to_parquet(self, *args: Any, **kwargs: Any) -> None:
            raise OSError("disk full")

    broken = entry.parent / ("0" * 64)
    with pytest.raises(OSError, match="disk full"):
        store(broken, **{**parts, "summaries": {"raters": Unwritable({"x": [1]})}}, fit_wall_time=1.0)
    assert sorted(p.name for p in entry.parent.iterdir()) == [entry.name]


def test_load_rejects_an_entry_of_another_model_version(toy_fit: Any, tmp_path: Path) -> None:
    @attrs.frozen
    class NextVersion(YesRateModel):
        version = "2"

    entry = tmp_path / "entry"
    store(
        entry,
        model=toy_fit.model,
        settings=toy_fit.settings,
        data_hash=toy_fit.data_hash,
        idata=toy_fit.idata,
        diagnostics=toy_fit.diagnostics,
        summaries=toy_fit.summaries,
        fit_wall_time=1.0,
    )
    assert load(entry, toy_fit.model).diagnostics == toy_fit.diagnostics
    with pytest.raises(ValueError, match="does not match"):
        load(entry, NextVersion())


def test_clear_cache_removes_entries(toy_fit: Any, tmp_path: Path) -> None:
    model = toy_fit.model
    for n in range(2):
        store(
            entry_path(tmp_path, model, f"{n}" * 64),
            model=model,
            settings=toy_fit.settings,
            data_hash=toy_fit.data_hash,
            idata=toy_fit.idata,
            diagnostics=toy_fit.diagnostics,
            summaries=toy_fit.summaries,
            fit_wall_time=1.0,
        )
    assert clear_cache("no-such-model", cache_root=tmp_path) == 0
    assert clear_cache(model.name, cache_root=tmp_path) == 2
    assert not (tmp_path / "models" / model.name).exists()


def test_a_cached_verdict_is_rejudged_with_the_current_bar(toy_fit: Any, tmp_path: Path) -> None:
    """An entry stored when tail ESS was not part of the bar (no ``worst_ess_tail``, verdict "converged")
    is not served as converged when its tail ESS misses today's bar."""
    entry = tmp_path / "entry"
    stored = attrs.evolve(toy_fit.diagnostics, min_ess_tail=120.0, ok=True, message="converged")
    store(
        entry,
        model=toy_fit.model,
        settings=toy_fit.settings,
        data_hash=toy_fit.data_hash,
        idata=toy_fit.idata,
        diagnostics=stored,
        summaries=toy_fit.summaries,
        fit_wall_time=1.0,
    )
    meta_path = entry / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    del meta["diagnostics"]["worst_ess_tail"]  # as written before the field existed
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    d = load(entry, toy_fit.model).diagnostics
    assert not d.ok and "min tail ESS 120 < 400" in d.message and "Remedy" in d.message
    assert (d.max_r_hat, d.min_ess_bulk, d.min_ess_tail) == (stored.max_r_hat, stored.min_ess_bulk, 120.0)
