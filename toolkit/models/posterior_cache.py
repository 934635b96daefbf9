"""The on-disk posterior cache: one entry per (data hash, model, version, options, sampler settings).

Layout
------
A fit is stored under ``$RECENTER_CACHE_DIR`` (default ``~/.cache/recenter-toolkit``, see
:func:`toolkit.cache.cache_dir`) in ``models/<model name>/<key>/``, where ``key`` (:func:`cache_key`) is the
SHA-256 of (data hash, model name, model version, model options, draws, tune, chains, seed, sampler,
target_accept, init: every field of :class:`~toolkit.models.interface.FitSettings`). An entry holds each
ArviZ group as a NetCDF-3 file (``groups/<group>.nc``, written with the scipy engine because no NetCDF-4
library is a dependency; attributes are kept as JSON), each summary table as Parquet (exact float round
trip) and ``meta.json`` (diagnostics, settings, timings, versions).

Concurrency and kill safety
---------------------------
:func:`store` writes an entry into a temporary folder next to it and renames it into place, so concurrent
fits never see half an entry, and a fit killed mid-write leaves only a hidden temporary folder. When another
fit stored the same entry first, its entry is kept. Each entry lists the SHA-256 of its files in
``checksums.json``; :func:`load` raises on an unreadable, foreign or altered entry (a file not matching its
checksum);
the fitter reports it, deletes it and refits, never crashes. A loaded entry's convergence verdict is
re-derived from its stored numbers with the current bar (so a stricter bar needs no new layout).

``xarray`` is imported inside :func:`load` only (importing :mod:`toolkit.models` must stay light).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pandas as pd

import toolkit
from toolkit.cache import cache_dir
from toolkit.models.diagnostics import Diagnostics, rejudge
from toolkit.models.interface import FitSettings, Model

__all__ = ["CACHE_LAYOUT", "CHECKSUMS", "CachedFit", "cache_key", "clear_cache", "entry_path", "load", "root_dir", "store"]

#: Version of the on-disk layout of an entry (part of every key; bump when the layout or the content of the
#: stored summaries changes). 2: summaries no longer carry the paper's reference numbers (they live
#: with the analyses), so entries written by layout 1 are not served. 3: the settings record how chains
#: start (``FitSettings.init``; dispersed starts by default) and sampling compiles without fast-math
#: (bit-reproducible draws), so the draws of layout-2 entries are no longer what a fit gives.
CACHE_LAYOUT = "3"
#: Per-entry file of SHA-256 digests of the data files (added within layout 3: older entries lack it).
CHECKSUMS = "checksums.json"


@attrs.frozen
class CachedFit:
    """What :func:`load` reads back from an entry.

    Attributes
    ----------
    idata : xarray.DataTree
        The ArviZ posterior, every group as stored.
    diagnostics : Diagnostics
        The diagnostics of the original fit, re-judged with the current convergence bar
        (:func:`toolkit.models.diagnostics.rejudge`): an entry stored under an older, laxer bar is not
        served as converged.
    summaries : dict of str to DataFrame
        The summary tables of the original fit.
    fit_wall_time : float
        Seconds the original (cold) fit took.
    meta : dict
        The entry's ``meta.json``.
    """

    idata: Any
    diagnostics: Diagnostics
    summaries: dict[str, pd.DataFrame]
    fit_wall_time: float
    meta: dict[str, Any]


def cache_key(model: Model, data_hash: str, settings: FitSettings) -> str:
    """SHA-256 of everything a posterior depends on."""
    payload = {
        "layout": CACHE_LAYOUT,
        "data_hash": data_hash,
        "model": model.name,
        "version": model.version,
        "options": model.options(),
        **attrs.asdict(settings),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def root_dir(root: str | os.PathLike | None = None) -> Path:
    """The cache folder: ``root`` (``~`` expanded) or, when None, :func:`toolkit.cache.cache_dir`."""
    return Path(root).expanduser() if root is not None else cache_dir()


def entry_path(root: Path, model: Model, key: str) -> Path:
    """The folder of the entry ``key`` of ``model`` under the cache folder ``root``."""
    return root / "models" / model.name / key


def _write_group(ds: Any, path: Path) -> None:
    ds = ds.copy()
    meta = {"attrs": dict(ds.attrs), "dtypes": {}, "var_attrs": {}}
    for name, var in ds.variables.items():
        meta["dtypes"][str(name)] = var.dtype.str
        if var.attrs:
            meta["var_attrs"][str(name)] = dict(var.attrs)
        var.attrs = {}
        var.encoding = {}
    ds.attrs = {"recenter_meta": json.dumps(meta, default=str)}
    ds.to_netcdf(path, engine="scipy")


def _read_group(path: Path) -> Any:
    import xarray as xr  # lazy: importing toolkit.models must not import xarray

    with xr.open_dataset(path, engine="scipy", mask_and_scale=False) as ds:
        ds = ds.load()
    meta = json.loads(ds.attrs["recenter_meta"])
    for name, dtype in meta["dtypes"].items():
        if name in ds.variables and ds[name].dtype.str != dtype and np.dtype(dtype).kind in "iub":
            ds[name] = ds[name].astype(dtype)
    for name, var_attrs in meta["var_attrs"].items():
        if name in ds.variables:
            ds[name].attrs = var_attrs
    ds.attrs = meta["attrs"]
    return ds


def store(
    entry: Path,
    *,
    model: Model,
    settings: FitSettings,
    data_hash: str,
    idata: Any,
    diagnostics: Diagnostics,
    summaries: dict[str, pd.DataFrame],
    fit_wall_time: float,
) -> None:
    """Write an entry atomically (temporary folder + rename); keep an entry a concurrent fit stored first.

    Parameters
    ----------
    entry : Path
        The entry folder (:func:`entry_path`).
    model, settings, data_hash
        What the posterior was fitted with (recorded in ``meta.json``).
    idata : xarray.DataTree
        The posterior; every child group is written.
    diagnostics, summaries, fit_wall_time
        The rest of the fit, read back by :func:`load`.
    """
    entry.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{entry.name[:12]}-", dir=entry.parent))
    try:
        (tmp / "groups").mkdir()
        groups = [name for name in idata.children]
        for name in groups:
            _write_group(idata[name].to_dataset(), tmp / "groups" / f"{name}.nc")
        (tmp / "summaries").mkdir()
        for name, table in summaries.items():
            table.to_parquet(tmp / "summaries" / f"{name}.parquet")
        meta = {
            "layout": CACHE_LAYOUT,
            "model": model.name,
            "version": model.version,
            "options": model.options(),
            "data_hash": data_hash,
            "settings": attrs.asdict(settings),
            "diagnostics": attrs.asdict(diagnostics),
            "fit_wall_time": fit_wall_time,
            "groups": groups,
            "summaries": list(summaries),
            "toolkit_version": toolkit.__version__,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        (tmp / "meta.json").write_text(json.dumps(meta, indent=2, default=str) + "\n", encoding="utf-8")
        _write_checksums(tmp)
        if entry.exists():  # a concurrent fit got there first: keep theirs
            shutil.rmtree(tmp, ignore_errors=True)
            return
        os.replace(tmp, entry)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _file_hashes(entry: Path) -> dict[str, str]:
    return {
        p.relative_to(entry).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(entry.rglob("*"))
        if p.is_file() and p.name not in (CHECKSUMS, "meta.json")
    }


def _write_checksums(entry: Path) -> None:
    """Record the SHA-256 of every data file of an entry (checked by :func:`load`).

    ``meta.json`` is not covered: it is parsed and checked field by field (an older entry's meta may lack
    newer fields and is read as such), and the data files it points to are.
    """
    (entry / CHECKSUMS).write_text(json.dumps(_file_hashes(entry), indent=1) + "\n", encoding="utf-8")


def _verify_checksums(entry: Path) -> None:
    """Raise ValueError unless every file of the entry matches ``checksums.json`` (when the entry has one).

    Entries stored before checksums were written (same layout) have none and are read as before: their
    files are only NetCDF, Parquet and JSON, parsed without running any code.
    """
    path = entry / CHECKSUMS
    if not path.exists():
        return
    listed = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(listed, dict) or listed != _file_hashes(entry):
        raise ValueError(f"cache entry {entry} does not match its checksums (corrupted or altered)")


def load(entry: Path, model: Model) -> CachedFit:
    """Read an entry written by :func:`store`.

    Raises
    ------
    ValueError
        When the entry's layout, model name or model version do not match.
    Exception
        Whatever reading a damaged file raises (the caller treats any exception as an unreadable entry).
    """
    import xarray as xr  # lazy: importing toolkit.models must not import xarray

    _verify_checksums(entry)
    meta = json.loads((entry / "meta.json").read_text(encoding="utf-8"))
    if (
        meta.get("layout") != CACHE_LAYOUT
        or meta.get("model") != model.name
        or meta.get("version") != model.version
    ):
        raise ValueError("cache entry metadata does not match the model")
    groups = {name: _read_group(entry / "groups" / f"{name}.nc") for name in meta["groups"]}
    idata = xr.DataTree.from_dict(groups)
    summaries = {name: pd.read_parquet(entry / "summaries" / f"{name}.parquet") for name in meta["summaries"]}
    # the stored numbers are kept; the verdict and its message follow the current bar
    diagnostics = rejudge(Diagnostics(**meta["diagnostics"]), n_chains=int(meta["settings"]["chains"]))
    return CachedFit(
        idata=idata,
        diagnostics=diagnostics,
        summaries=summaries,
        fit_wall_time=float(meta["fit_wall_time"]),
        meta=meta,
    )


def clear_cache(model: str | None = None, cache_root: str | os.PathLike | None = None) -> int:
    """Delete cached fits (of one model, or all); return how many entries were removed."""
    root = root_dir(cache_root) / "models"
    folders = [root / model] if model else (list(root.iterdir()) if root.exists() else [])
    n = 0
    for folder in folders:
        if folder.is_dir():
            n += sum(1 for p in folder.iterdir() if p.is_dir())
            shutil.rmtree(folder, ignore_errors=True)
    return n
