"""The common model interface: fit, convergence bar, cache, lazy import, samplers, helpers."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any, ClassVar

import attrs
import numpy as np
import pandas as pd
import pytest

from toolkit.models import base
from toolkit.models.base import (
    ConvergenceError,
    ConvergenceWarning,
    FitSettings,
    Model,
    ModelData,
    SamplerUnavailableError,
    cache_key,
    diagnose,
    draws_of,
    fit,
    parameter_table,
    ppc_row,
    summarize_samples,
)

ROOT = Path(__file__).resolve().parents[3]


@attrs.frozen
class YesRateModel(Model):
    """Toy model for the interface tests: each stage-2 rater's YES rate, ``y_r ~ Binomial(n_r, p_r)``."""

    name: ClassVar[str] = "test-yes-rate"
    version: ClassVar[str] = "1"
    records: ClassVar[tuple[str, ...]] = ("relevance_judgments",)

    prior_sd: float = 1.5

    def prepare(self, dataset: Any) -> ModelData:
        rel = dataset.frame("relevance_judgments")
        g = rel.groupby("rater_id")["relevant"].agg(["sum", "count"])
        return ModelData(
            arrays={"yes": g["sum"].to_numpy(np.int64), "n": g["count"].to_numpy(np.int64)},
            coords={"rater": list(g.index)},
        )

    def build(self, data: ModelData) -> Any:
        import pymc as pm

        with pm.Model(coords=data.coords) as m:
            logit_p = pm.Normal("logit_p", 0.0, self.prior_sd, dims="rater")
            pm.Deterministic("p", pm.math.sigmoid(logit_p), dims="rater")
            pm.Binomial("y", n=data.arrays["n"], logit_p=logit_p, observed=data.arrays["yes"], dims="rater")
        return m

    def summarize(self, idata: Any, data: ModelData) -> dict[str, pd.DataFrame]:
        return {"raters": parameter_table(idata, "p", {"rater": data.coords["rater"]})}

    def ppc(self, idata: Any, data: ModelData, rng: np.random.Generator) -> pd.DataFrame:
        p = draws_of(idata, "p")
        rep = rng.binomial(data.arrays["n"], p) / data.arrays["n"]
        obs = data.arrays["yes"] / data.arrays["n"]
        return pd.DataFrame(
            [ppc_row("yes rate", obs[r], rep[:, r], group=g) for r, g in enumerate(data.coords["rater"])]
        )


FAST = {"draws": 300, "tune": 300, "chains": 2, "seed": 3}


@pytest.fixture(scope="module")
def toy_fit(small_study: tuple[Any, dict], model_cache: Path) -> Any:
    return fit(YesRateModel(), small_study[0], cache_root=model_cache, **FAST)


def test_import_does_not_import_pymc() -> None:
    code = (
        "import sys\n"
        "import toolkit.models as m\n"
        "from toolkit.models import fit, FitResult, JudgeModel, ExtractionModel, get_model, CI_PROB\n"
        "assert get_model('judge').name == 'judge' and get_model('extraction').name == 'extraction'\n"
        "heavy = [x for x in ('pymc', 'pytensor', 'arviz', 'arviz_stats', 'xarray') if x in sys.modules]\n"
        "print(heavy)\n"
        "assert not heavy, heavy\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr + out.stdout


def test_fit_returns_posterior_diagnostics_and_tidy_summaries(
    toy_fit: Any, small_study: tuple[Any, dict]
) -> None:
    r = toy_fit
    assert r.diagnostics.ok, r.diagnostics.message
    assert r.diagnostics.max_r_hat <= base.R_HAT_MAX and r.diagnostics.min_ess_bulk >= base.ESS_BULK_MIN
    assert r.diagnostics.divergences == 0
    assert "posterior" in r.idata.children and "sample_stats" in r.idata.children
    t = r.summaries["raters"]
    assert {"rater", "mean", "sd", "ci_low", "ci_high", "ess_bulk", "r_hat"} <= set(t.columns)
    assert (t["ci_low"] < t["mean"]).all() and (t["mean"] < t["ci_high"]).all()
    # 95% ETI: the observed YES rate of every rater (thousands of labels) sits inside its interval
    rel = small_study[0].frame("relevance_judgments")
    obs = rel.groupby("rater_id")["relevant"].mean().reindex(t["rater"]).to_numpy()
    assert ((t["ci_low"] <= obs) & (obs <= t["ci_high"])).all()
    assert r.settings == FitSettings(300, 300, 2, 3, "pymc", 0.9)
    assert len(r.data_hash) == 64 and r.wall_time > 0 and r.fit_wall_time > 0


def test_ppc_function_compares_observed_with_replicated(toy_fit: Any) -> None:
    ppc = toy_fit.ppc(rng=0)
    assert {
        "check",
        "group",
        "observed",
        "rep_mean",
        "rep_sd",
        "rep_low",
        "rep_high",
        "p_value",
        "within_ci",
    } <= set(ppc.columns)
    assert ppc["within_ci"].mean() >= 0.8
    assert ((ppc["p_value"] >= 0) & (ppc["p_value"] <= 1)).all()


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


def test_data_hash_is_the_hash_of_the_files_the_model_reads(
    small_study: tuple[Any, dict], tmp_path: Path
) -> None:
    import shutil

    ds = small_study[0]
    h = YesRateModel().data_hash(ds)
    copy = tmp_path / "copy"
    shutil.copytree(ds.path, copy)
    from toolkit.dataset import load_dataset

    assert YesRateModel().data_hash(load_dataset(copy)) == h  # content, not location
    (copy / "manifest.json").unlink()  # the manifest is not part of it
    assert YesRateModel().data_hash(load_dataset(copy)) == h


@pytest.mark.filterwarnings("ignore::toolkit.models.base.ConvergenceWarning")
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


@pytest.mark.filterwarnings("ignore::toolkit.models.base.ConvergenceWarning")
def test_cache_can_be_bypassed_and_relocated(
    small_study: tuple[Any, dict], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(base.CACHE_ENV, str(tmp_path / "env-cache"))
    assert base.cache_dir() == tmp_path / "env-cache"
    r = fit(YesRateModel(), small_study[0], cache=False, **{**FAST, "draws": 100, "tune": 100})
    assert r.cache_path is None and not (tmp_path / "env-cache").exists()
    monkeypatch.delenv(base.CACHE_ENV)
    assert base.cache_dir() == Path.home() / ".cache" / "recenter-toolkit"


def test_convergence_failure_is_loud_and_names_the_remedy(small_study: tuple[Any, dict]) -> None:
    model = YesRateModel()
    with pytest.warns(ConvergenceWarning) as record:
        r = fit(model, small_study[0], draws=20, tune=20, chains=2, seed=1, cache=False)
    assert not r.diagnostics.ok
    text = str(record[0].message)
    assert "CONVERGENCE BAR MISSED" in text and "Remedy" in text and "draws" in text
    assert r.diagnostics.min_ess_bulk < base.ESS_BULK_MIN
    with pytest.raises(ConvergenceError, match="Remedy"):
        fit(model, small_study[0], draws=20, tune=20, chains=2, seed=1, cache=False, strict=True)


def test_diagnose_counts_divergences_and_recommends_target_accept() -> None:
    import xarray as xr

    rng = np.random.default_rng(0)
    post = xr.Dataset({"x": (("chain", "draw"), rng.normal(size=(2, 500)))})
    div = np.zeros((2, 500), dtype=bool)
    div[0, :3] = True
    stats = xr.Dataset({"diverging": (("chain", "draw"), div)})
    d = diagnose(xr.DataTree.from_dict({"posterior": post, "sample_stats": stats}))
    assert d.divergences == 3 and not d.ok and "target_accept" in d.message
    none = stats.assign(diverging=(("chain", "draw"), np.zeros_like(div)))
    good = diagnose(xr.DataTree.from_dict({"posterior": post, "sample_stats": none}))
    assert good.ok and good.max_r_hat < 1.01


@pytest.mark.parametrize("sampler", ["nutpie", "numpyro"])
def test_optional_samplers(sampler: str, small_study: tuple[Any, dict], tmp_path: Path) -> None:
    needs = {"nutpie": ["nutpie"], "numpyro": ["jax", "numpyro"]}[sampler]
    installed = all(importlib.util.find_spec(m) is not None for m in needs)
    if not installed:
        with pytest.raises(SamplerUnavailableError, match="not installed"):
            fit(YesRateModel(), small_study[0], sampler=sampler, cache=False)
        assert sampler not in base.available_samplers()
        pytest.skip(f"{sampler} not installed (optional extra)")
    r = fit(YesRateModel(), small_study[0], sampler=sampler, cache_root=tmp_path, **FAST)
    assert r.diagnostics.ok, r.diagnostics.message
    assert r.settings.sampler == sampler
    assert fit(YesRateModel(), small_study[0], sampler=sampler, cache_root=tmp_path, **FAST).from_cache


def test_unknown_sampler_and_model_are_rejected() -> None:
    with pytest.raises(ValueError, match="sampler"):
        fit(
            YesRateModel(),
            ModelData({"yes": np.array([1]), "n": np.array([2])}, {"rater": ["a"]}),
            sampler="stan",
        )
    with pytest.raises(KeyError, match="unknown model"):
        base.get_model("no-such-model")
    assert base.get_model("test-yes-rate", prior_sd=2.0) == YesRateModel(prior_sd=2.0)


def test_sampling_limits_blas_to_one_thread() -> None:
    from threadpoolctl import threadpool_info

    with base._one_blas_thread():
        blas = [p for p in threadpool_info() if p.get("user_api") == "blas"]
        assert all(p["num_threads"] == 1 for p in blas)


def test_summary_helpers() -> None:
    rng = np.random.default_rng(1)
    s = rng.normal(size=(20000, 2)) * [1.0, 2.0] + [0.0, 5.0]
    t = summarize_samples(s, {"name": ["a", "b"]})
    assert list(t.columns) == ["name", "mean", "sd", "ci_low", "ci_high"]
    np.testing.assert_allclose(t["ci_low"], [-1.96, 5 - 3.92], atol=0.06)
    np.testing.assert_allclose(t["sd"], [1.0, 2.0], atol=0.03)
    row = ppc_row("x", 10.0, rng.normal(size=4000), group="g")
    assert row["p_value"] < 0.01 and not row["within_ci"]
    assert ppc_row("x", 0.0, rng.normal(size=4000))["p_value"] > 0.8
    assert base.CI_PROB == 0.95


def test_fit_accepts_model_data_and_names(small_study: tuple[Any, dict]) -> None:
    data = YesRateModel().prepare(small_study[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        r = fit(YesRateModel(), data, cache=False, draws=100, tune=100, chains=2, seed=2)
    assert r.data_hash == data.hash and r.data is data
