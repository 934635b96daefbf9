"""The on-disk cache shared by the toolkit: parsed record frames and fitted posteriors.

Everything cached is keyed by content (SHA-256 of the input bytes plus the code/schema version that produced
it), so a stale entry is never served. Location: ``$RECENTER_CACHE_DIR`` or ``~/.cache/recenter-toolkit``.

The cache folder is treated as untrusted (it may be shared, e.g. by cluster workers): nothing in it is
unpickled or executed. A frame is stored as Parquet (``<key>.parquet``) with a JSON sidecar
(``<key>.json``: the SHA-256 of the Parquet bytes, the key, and how to restore each column). Reading checks
the hash and the key; a corrupted, truncated or foreign entry is discarded with a warning and recomputed.
Entries are written atomically (temporary sibling + rename, the payload before its sidecar), so concurrent
writers of one key leave one complete entry and a reader never sees half of one.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from toolkit.atomic import OutputError, write_bytes

__all__ = ["CACHE_ENV", "CacheWarning", "cache_dir", "cached_frame"]

CACHE_ENV = "RECENTER_CACHE_DIR"
_FORMAT = "recenter-frame-1"


class CacheWarning(UserWarning):
    """A cache entry was discarded (corrupted, truncated or foreign) or could not be written."""


def cache_dir() -> Path:
    """The cache root: ``$RECENTER_CACHE_DIR`` or ``~/.cache/recenter-toolkit``."""
    env = os.environ.get(CACHE_ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "recenter-toolkit"


def _jsonable(value: Any) -> Any:
    if isinstance(value, (tuple, list, np.ndarray)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, float) and math.isnan(value):
        return {"__nan__": True}
    if isinstance(value, np.generic):
        return value.item()
    return value


def _restore(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_restore(v) for v in value)
    if isinstance(value, dict):
        if value == {"__nan__": True}:
            return float("nan")
        return {k: _restore(v) for k, v in value.items()}
    return value


def _encode(frame: pd.DataFrame) -> tuple[bytes, dict[str, str]]:
    """Parquet bytes of ``frame``; object columns (tuples, dicts, None) go as JSON text so they come back exact."""
    stored = {}
    kinds = {}
    for name in frame.columns:
        col = frame[name]
        if col.dtype == object:
            stored[name] = pd.Series(
                [json.dumps(_jsonable(v), ensure_ascii=False, allow_nan=False) for v in col], dtype=object
            )
            kinds[str(name)] = "json"
        else:
            stored[name] = col
            kinds[str(name)] = "native"
    buf = io.BytesIO()
    pd.DataFrame(stored, columns=list(frame.columns), index=frame.index).to_parquet(buf, compression="zstd")
    return buf.getvalue(), kinds


def _decode(payload: bytes, kinds: dict[str, str]) -> pd.DataFrame:
    frame = pd.read_parquet(io.BytesIO(payload))
    if list(map(str, frame.columns)) != list(kinds):
        raise ValueError("columns differ from the sidecar")
    for name, kind in kinds.items():
        if kind == "json":
            frame[name] = pd.Series([_restore(json.loads(v)) for v in frame[name]], dtype=object, index=frame.index)
    return frame


def _load(payload_path: Path, sidecar_path: Path, key: str) -> pd.DataFrame | None:
    """The stored frame, None when absent; raises ValueError when the entry does not check out."""
    try:
        sidecar_bytes = sidecar_path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        payload = payload_path.read_bytes()
    except FileNotFoundError:
        raise ValueError("payload missing") from None
    sidecar = json.loads(sidecar_bytes.decode("utf-8"))
    if not isinstance(sidecar, dict) or sidecar.get("format") != _FORMAT or sidecar.get("key") != key:
        raise ValueError("sidecar is not this entry's")
    if hashlib.sha256(payload).hexdigest() != sidecar.get("sha256"):
        raise ValueError("payload does not match its SHA-256")
    kinds = sidecar.get("columns")
    if not isinstance(kinds, dict):
        raise ValueError("sidecar has no column kinds")
    return _decode(payload, kinds)


def cached_frame(
    area: str, key: str, compute: Callable[[], pd.DataFrame], *, root: str | os.PathLike | None = None
) -> pd.DataFrame:
    """Return the frame stored under ``area/key``, or compute, store (atomically) and return it.

    Parameters
    ----------
    area : str
        A sub-folder of the cache (e.g. ``"frames"``).
    key : str
        The content key (a file name stem: hashes and versions).
    compute : callable
        Makes the frame when the entry is absent or discarded.
    root : path-like, optional
        The cache folder (default :func:`cache_dir`).

    Returns
    -------
    pandas.DataFrame
        The same frame ``compute`` gives (dtypes and values; object columns holding JSON-like values).

    Warns
    -----
    CacheWarning
        When an entry is discarded (its hash, key or contents do not check out) or cannot be written; the
        call still succeeds.

    Examples
    --------
    >>> import tempfile
    >>> root = tempfile.mkdtemp()
    >>> f = cached_frame("demo", "k1", lambda: pd.DataFrame({"a": [1, 2], "t": [(1,), ()]}), root=root)
    >>> cached_frame("demo", "k1", lambda: None, root=root).equals(f)   # read back, hash checked
    True
    """
    folder = (Path(root).expanduser() if root is not None else cache_dir()) / area
    payload_path, sidecar_path = folder / f"{key}.parquet", folder / f"{key}.json"
    try:
        frame = _load(payload_path, sidecar_path, key)
        if frame is not None:
            return frame
    except Exception as exc:  # noqa: BLE001 - any damage means: discard and recompute
        warnings.warn(
            f"discarded cache entry {sidecar_path} ({exc}); recomputing", CacheWarning, stacklevel=2
        )
        for p in (sidecar_path, payload_path):
            p.unlink(missing_ok=True)
    frame = compute()
    try:
        payload, kinds = _encode(frame)
        sidecar = {"format": _FORMAT, "key": key, "sha256": hashlib.sha256(payload).hexdigest(), "columns": kinds}
        # payload first: a reader finding the sidecar finds its payload (or a newer identical one)
        write_bytes(payload_path, payload)
        write_bytes(sidecar_path, (json.dumps(sidecar, indent=1) + "\n").encode("utf-8"))
    except (OutputError, ValueError, TypeError) as exc:
        warnings.warn(f"could not cache {payload_path} ({exc}); continuing", CacheWarning, stacklevel=2)
    return frame
