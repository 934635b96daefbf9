"""Fits you keep: a :class:`~toolkit.models.fitting.FitResult` saved as one standard netCDF-4 file.

:meth:`FitResult.save <toolkit.models.fitting.FitResult.save>` (this module's :func:`write_fit_file`) writes the fit's ArviZ ``DataTree`` (every group: ``posterior``, ``sample_stats``,
``observed_data``, ...) with the ``h5netcdf`` engine, so plain ArviZ opens it (``az.from_netcdf(path)``,
``az.summary``, arviz-plots) with no toolkit installed. What the toolkit needs to rebuild the
:class:`FitResult` travels in the root group's attributes, as JSON:

* ``recenter_fit``: model name, version and options, sampler settings, data hash, the cold fit's wall time,
  the toolkit and format versions;
* ``recenter_summaries``: every summary table (columns, dtypes and values; floats round-trip exactly because
  Python's JSON writes the shortest repr that reads back to the same double).

:func:`toolkit.models.fitting.load_fit` reads it back: the model is rebuilt by name and options, the convergence diagnostics are
recomputed from the draws with the current bar, and a version mismatch (the model's math changed since the
fit) is a warning, not an error: the draws are still the draws.

The posterior cache (:mod:`toolkit.models.posterior_cache`) keeps its own layout (NetCDF-3 per group, with
SciPy): it must work without the NetCDF-4 stack; saved fits are for users and their collaborators.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import toolkit

__all__ = ["SAVED_FIT_FORMAT", "SavedFitError", "read_fit_file", "write_fit_file"]

#: Version of the saved-fit format (the JSON attributes above); bump when they change incompatibly.
SAVED_FIT_FORMAT = "1"


class SavedFitError(ValueError):
    """A file that is not a saved fit of this toolkit (or of an unknown format version)."""


def _table_to_json(df: pd.DataFrame) -> dict[str, Any]:
    cols = [str(c) for c in df.columns]
    data = {}
    for col, name in zip(df.columns, cols, strict=True):
        values = df[col].to_numpy(dtype=object)
        data[name] = [None if _is_null(v) else _plain(v) for v in values]
    return {
        "columns": cols,
        "dtypes": [str(df[c].dtype) for c in df.columns],
        "index": [_plain(v) for v in df.index] if not isinstance(df.index, pd.RangeIndex) else None,
        "data": data,
    }


def _is_null(value: Any) -> bool:
    # None, NaN, pd.NA and NaT; arrays and other containers are values
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _plain(value: Any) -> Any:
    """A JSON-ready Python scalar (numpy scalars unwrapped; NaN kept out by the caller)."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def _table_from_json(table: dict[str, Any]) -> pd.DataFrame:
    df = pd.DataFrame({c: table["data"][c] for c in table["columns"]}, columns=table["columns"])
    for col, dtype in zip(table["columns"], table["dtypes"], strict=True):
        try:
            target = pd.api.types.pandas_dtype(dtype)  # numpy dtypes and pandas' own (boolean, Int64, str)
        except TypeError:
            continue
        values = df[col]
        if isinstance(target, np.dtype) and target.kind == "f":
            df[col] = pd.to_numeric(values.astype(object).where(values.notna(), np.nan)).astype(target)
        else:
            try:
                df[col] = values.astype(target)
            except (TypeError, ValueError):  # e.g. a numpy int column that held a null: keep the objects
                pass
    if table.get("index") is not None:
        df.index = table["index"]
    return df


def write_fit_file(
    idata: Any, meta: dict[str, Any], summaries: dict[str, pd.DataFrame], path: str | os.PathLike
) -> Path:
    """Write a fit's DataTree, its metadata and summary tables to one netCDF-4 file; return the path.

    The file is written next to its destination and renamed into place, so an interrupted save leaves the
    previous file (or none), never half a file. ``meta`` gains the format and toolkit versions.
    """
    dest = Path(path)
    tree = idata.copy()
    meta = {**meta, "format": SAVED_FIT_FORMAT, "toolkit_version": toolkit.__version__}
    _netcdf_attrs(tree)
    tree.attrs = {
        **tree.attrs,
        "recenter_fit": json.dumps(meta, sort_keys=True, default=str),
        "recenter_summaries": json.dumps(
            {name: _table_to_json(df) for name, df in summaries.items()}, allow_nan=False
        ),
    }
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    try:
        tree.to_netcdf(tmp, engine="h5netcdf")
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def _netcdf_value(value: Any) -> Any:
    # netCDF attributes hold strings, numbers and numeric arrays; anything else (dicts, bools, None) as JSON
    if isinstance(value, (str, int, float, np.ndarray, np.number)) and not isinstance(value, bool):
        return value
    return json.dumps(value, default=str)


def _netcdf_attrs(tree: Any) -> None:
    for node in tree.subtree:
        ds = node.to_dataset()
        for var in ds.variables.values():
            var.attrs = {k: _netcdf_value(v) for k, v in var.attrs.items()}
        ds.attrs = {k: _netcdf_value(v) for k, v in ds.attrs.items()}
        node.dataset = ds


def read_fit_file(path: str | os.PathLike) -> tuple[Any, dict[str, Any], dict[str, pd.DataFrame]]:
    """Read a file written by :func:`write_fit_file`: ``(DataTree, meta, summaries)``.

    Raises
    ------
    SavedFitError
        The file is not a saved fit of this toolkit, or of another format version.
    """
    import xarray as xr  # lazy: importing toolkit.models must not import xarray

    src = Path(path)
    try:
        with xr.open_datatree(src, engine="h5netcdf") as opened:
            tree = opened.load()
    except Exception as exc:
        raise SavedFitError(f"{src}: not a readable netCDF-4 file ({type(exc).__name__}: {exc})") from exc
    try:
        meta = json.loads(tree.attrs["recenter_fit"])
        tables = json.loads(tree.attrs["recenter_summaries"])
    except (KeyError, ValueError) as exc:
        raise SavedFitError(f"{src}: not a recenter-toolkit saved fit (no recenter_fit attribute)") from exc
    if str(meta.get("format")) != SAVED_FIT_FORMAT:
        raise SavedFitError(
            f"{src}: saved-fit format {meta.get('format')!r}; this toolkit reads format {SAVED_FIT_FORMAT!r}"
        )
    tree.attrs = {k: v for k, v in tree.attrs.items() if k not in ("recenter_fit", "recenter_summaries")}
    return tree, meta, {name: _table_from_json(t) for name, t in tables.items()}
