"""The frame cache (Parquet + SHA-256 sidecar, no pickles) and the posterior cache's checksums: every kind of
corrupted or foreign entry is detected, discarded with a warning and recomputed; concurrent writers are safe."""

from __future__ import annotations

import json
import multiprocessing
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from toolkit.cache import CacheWarning, cached_frame
from toolkit.dataset import load_dataset


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": pd.Series(["a", "b", None], dtype="str"),
            "x": [1.5, float("nan"), 3.0],
            "n": np.array([1, 2, 3], dtype="int64"),
            "flag": [True, False, True],
            "ids": [("p", "q"), (), ("r",)],
            "turns": [({"role": "user", "content": "hi"},), (), ()],
            "none": [None, None, None],
            "maybe": [True, None, False],
        }
    )


def _flip(path: Path, at: float = 0.5) -> None:
    data = bytearray(path.read_bytes())
    i = int(len(data) * at)
    data[i] ^= 0x5A
    path.write_bytes(bytes(data))


def test_sample_frames_round_trip_exactly(tmp_path: Path) -> None:
    """A frame of each column shape: tuples (raters), nested dicts (conversations), ints (ratings)."""
    ds = load_dataset()
    for name in ("raters", "conversations", "response_ratings"):
        frame = ds.frame(name)
        cached_frame("frames", name, lambda f=frame: f, root=tmp_path)
        again = cached_frame("frames", name, lambda: pytest.fail("recomputed"), root=tmp_path)
        pd.testing.assert_frame_equal(again, frame)
        assert (again.dtypes == frame.dtypes).all()
    assert not list(tmp_path.rglob("*.pickle"))


def test_object_columns_round_trip(tmp_path: Path) -> None:
    frame = _frame()
    cached_frame("t", "k", lambda: frame, root=tmp_path)
    again = cached_frame("t", "k", lambda: pytest.fail("recomputed"), root=tmp_path)
    pd.testing.assert_frame_equal(again, frame)
    assert again["ids"].tolist() == [("p", "q"), (), ("r",)]


@pytest.mark.parametrize("target", ["payload", "sidecar", "truncate", "foreign", "missing_payload"])
def test_damaged_entries_are_detected_and_recomputed(tmp_path: Path, target: str) -> None:
    frame = _frame()
    cached_frame("t", "k", lambda: frame, root=tmp_path)
    payload, sidecar = tmp_path / "t" / "k.parquet", tmp_path / "t" / "k.json"
    if target == "payload":
        _flip(payload)
    elif target == "sidecar":
        _flip(sidecar, 0.6)
    elif target == "truncate":
        payload.write_bytes(payload.read_bytes()[:100])
    elif target == "foreign":  # another key's entry copied under this name
        cached_frame("t", "other", lambda: frame.iloc[:1], root=tmp_path)
        (tmp_path / "t" / "other.parquet").replace(payload)
        (tmp_path / "t" / "other.json").replace(sidecar)
    else:
        payload.unlink()
    calls = []
    with pytest.warns(CacheWarning, match="discarded"):
        again = cached_frame("t", "k", lambda: calls.append(1) or frame, root=tmp_path)
    assert calls == [1]
    pd.testing.assert_frame_equal(again, frame)
    # recomputed and stored again: the next read is a clean hit
    pd.testing.assert_frame_equal(cached_frame("t", "k", lambda: pytest.fail("x"), root=tmp_path), frame)


def test_every_byte_flip_of_a_payload_is_detected(tmp_path: Path) -> None:
    frame = _frame()
    cached_frame("t", "k", lambda: frame, root=tmp_path)
    payload = tmp_path / "t" / "k.parquet"
    original = payload.read_bytes()
    for at in np.linspace(0, 0.999, 25):
        payload.write_bytes(original)
        _flip(payload, float(at))
        with pytest.warns(CacheWarning):
            cached_frame("t", "k", lambda: frame, root=tmp_path)


def _writer(root: str, seed: int) -> int:
    """Read-or-write three keys repeatedly; any discarded entry (a reader seeing half of a concurrent write)
    counts as a failure."""
    warnings.simplefilter("error", CacheWarning)
    frame = _frame()
    try:
        for i in range(9):
            got = cached_frame("t", f"k{(i + seed) % 3}", lambda: frame, root=root)
            if not got.equals(frame):
                return 1
    except CacheWarning:
        return 2
    return 0


def test_two_processes_writing_one_cache_directory(tmp_path: Path) -> None:
    # fork: the children start at once (spawn would spend seconds importing pandas); Arrow re-creates its
    # thread pools after a fork
    ctx = multiprocessing.get_context("fork")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork of a process with (Arrow) threads
        pool = ctx.Pool(2)
    with pool:
        assert pool.starmap(_writer, [(str(tmp_path), 1), (str(tmp_path), 2)]) == [0, 0]
    for i in range(3):
        pd.testing.assert_frame_equal(
            cached_frame("t", f"k{i}", lambda: pytest.fail("recomputed"), root=tmp_path), _frame()
        )
    assert sorted(p.name for p in (tmp_path / "t").iterdir()) == sorted(
        f"k{i}.{ext}" for i in range(3) for ext in ("json", "parquet")
    )


def test_posterior_cache_entries_are_checksummed(tmp_path: Path) -> None:
    """Flip a byte in each data file of a posterior cache entry: load refuses it (the fitter then refits)."""
    xr = pytest.importorskip("xarray")
    from toolkit.models.diagnostics import Diagnostics
    from toolkit.models.interface import FitSettings
    from toolkit.models.posterior_cache import CHECKSUMS, load, store

    class Toy:
        name, version = "toy", "1"

        def options(self):
            return {}

    posterior = xr.Dataset({"mu": (("chain", "draw"), np.arange(8.0).reshape(2, 4))})
    idata = xr.DataTree.from_dict({"posterior": posterior})
    diag = Diagnostics(**{a.name: _default(a) for a in Diagnostics.__attrs_attrs__})
    settings = FitSettings(draws=4, tune=4, chains=2, seed=1, sampler="pymc", target_accept=0.9)
    entry = tmp_path / "entry"
    store(entry, model=Toy(), settings=settings, data_hash="d", idata=idata, diagnostics=diag,
          summaries={"s": pd.DataFrame({"a": [1.0]})}, fit_wall_time=1.0)
    assert load(entry, Toy()).idata["posterior"]["mu"].values.sum() == 28.0
    files = [p for p in entry.rglob("*") if p.is_file() and p.name != "meta.json"]
    assert {p.name for p in files} >= {"posterior.nc", "s.parquet", CHECKSUMS}
    for path in files:
        original = path.read_bytes()
        _flip(path, 0.7)
        with pytest.raises(Exception):  # noqa: B017 - any failure: fitting.py treats it as a bad entry
            load(entry, Toy())
        path.write_bytes(original)
    meta = entry / "meta.json"
    text = meta.read_text()
    meta.write_text(text.replace('"toy"', '"other"', 1))  # a foreign entry
    with pytest.raises(ValueError):
        load(entry, Toy())
    meta.write_text(text)
    assert json.loads((entry / CHECKSUMS).read_text())
    load(entry, Toy())


def _default(attribute):
    import attrs

    if attribute.default is not attrs.NOTHING:
        return attribute.default
    t = str(attribute.type)
    for key, value in (("bool", True), ("float", 1.0), ("int", 0), ("str", "ok")):
        if key in t:
            return value
    return None
