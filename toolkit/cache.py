"""The on-disk cache shared by the toolkit: parsed record frames and fitted posteriors.

Everything cached is keyed by content (SHA-256 of the input bytes plus the code/schema version that produced
it), so a stale entry is never served; a corrupt entry is recomputed, never an error.
Location: ``$RECENTER_CACHE_DIR`` or ``~/.cache/recenter-toolkit``.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["CACHE_ENV", "cache_dir", "cached_pickle"]

CACHE_ENV = "RECENTER_CACHE_DIR"


def cache_dir() -> Path:
    """The cache root: ``$RECENTER_CACHE_DIR`` or ``~/.cache/recenter-toolkit``."""
    env = os.environ.get(CACHE_ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "recenter-toolkit"


def cached_pickle[T](area: str, key: str, compute: Callable[[], T]) -> T:
    """Return the object stored under ``area/key``, or compute, store (atomically) and return it.

    Only for objects this toolkit computed itself from content-addressed inputs (the cache folder is the
    user's own; nothing from elsewhere is unpickled). Failing to read or write the cache never fails the call.
    """
    path = cache_dir() / area / f"{key}.pickle"
    try:
        with open(path, "rb") as fh:
            return pickle.load(fh)
    except Exception:  # noqa: BLE001 - absent, truncated or from another pandas: recompute
        pass
    value = compute()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as tmp:
            pickle.dump(value, tmp, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp.name, path)
    except OSError:
        pass  # a read-only or full disk only costs speed
    return value
