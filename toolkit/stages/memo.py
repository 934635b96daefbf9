"""A per-dataset memo: the all-in-one run asks for some stage tables from two analyses (Fig. 4 and Table 3).

Results are kept while the dataset object is alive and handed out as copies, so a caller that edits its
table cannot change another's.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from typing import Any

import pandas as pd

from toolkit.dataset import Dataset

__all__ = ["memo_per_dataset"]

_MEMO: dict[tuple[Any, ...], Any] = {}


def _copy(value: Any) -> Any:
    if isinstance(value, pd.DataFrame):
        return value.copy()
    if isinstance(value, tuple):
        return tuple(_copy(v) for v in value)
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value


def memo_per_dataset(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Cache ``fn(ds, **kwargs)`` while ``ds`` is alive (keyword arguments only); callers get copies."""

    @functools.wraps(fn)
    def wrapper(ds: Dataset, **kwargs: Any) -> Any:
        key = (fn.__name__, id(ds), str(ds.path), tuple(sorted((k, repr(v)) for k, v in kwargs.items())))
        if key not in _MEMO:
            _MEMO[key] = fn(ds, **kwargs)
            weakref.finalize(ds, _MEMO.pop, key, None)
        return _copy(_MEMO[key])

    return wrapper
