"""Correlation with a reference (stage 3, Table 6): Spearman / Pearson / Kendall with pingouin's p-value and
Fisher-z interval, per judge against the per-item human mean rating.

Named ``correlations`` (plural) so the module does not shadow the function
:func:`toolkit.metrics.correlation` in the package namespace.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from toolkit.longform import REFERENCE_COLUMN, ItemKey, from_long, item_columns, reference_frame
from toolkit.resampling import quiet_nan_warnings

__all__ = [
    "CORRELATION_METHODS",
    "correlation",
    "item_means",
    "judge_correlations",
]

CORRELATION_METHODS: tuple[str, ...] = ("spearman", "pearson", "kendall")


def _numeric_1d(values: npt.ArrayLike, what: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} must be numeric") from exc
    if arr.ndim != 1:
        raise ValueError(f"{what} must be 1-D, got shape {arr.shape}")
    if np.isnan(arr).any():
        raise ValueError(f"{what} has {int(np.isnan(arr).sum())} missing values (NaN); drop them first")
    if np.isinf(arr).any():
        raise ValueError(f"{what} has infinite values")
    return arr


def _corr_row(
    x: np.ndarray, y: np.ndarray, method: str, confidence: float
) -> tuple[float, float, float, float]:
    """(r, ci_low, ci_high, p_value) via pingouin; all NaN when undefined (n < 3 or a constant input)."""
    nan = float("nan")
    n = len(x)
    if n < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return nan, nan, nan, nan
    import pingouin as pg  # lazy: pingouin loads statsmodels and matplotlib (seconds) on import

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = pg.corr(x, y, method=method)
    r = float(res["r"].iloc[0])
    p_value = float(res["p_val"].iloc[0])
    if not np.isfinite(r):
        return nan, nan, nan, nan
    if abs(r) >= 1.0:
        return r, r, r, p_value
    lo, hi = pg.compute_esci(stat=r, nx=n, ny=n, eftype="r", confidence=confidence, decimals=12)
    return r, float(lo), float(hi), p_value


def correlation(
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    method: Literal["spearman", "pearson", "kendall"] = "spearman",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Correlation with p-value and confidence interval, computed with pingouin.

    Parameters
    ----------
    x, y : array-like, 1-D
        Paired numeric observations (no NaN).
    method : {"spearman", "pearson", "kendall"}
        Spearman (Table 6 of the paper), Pearson or Kendall's tau-b.
    confidence : float
        Level of the interval.

    Returns
    -------
    DataFrame
        One row: ``metric, value, ci_low, ci_high, n_items, p_value``. The interval is pingouin's
        Fisher-z interval (``pingouin.compute_esci``, SE ``1/sqrt(n-3)``), exact for Pearson under
        normality and approximate for Spearman and Kendall. All NaN when undefined: fewer than 3 pairs, or
        a constant input (zero variance).

    Notes
    -----
    Values checked against :func:`scipy.stats.spearmanr`, :func:`scipy.stats.pearsonr` and
    :func:`scipy.stats.kendalltau` in the tests.

    Examples
    --------
    >>> out = correlation([1, 2, 3, 4, 5, 6], [2, 1, 4, 3, 6, 5])
    >>> out.round(4)
         metric   value  ci_low  ci_high  n_items  p_value
    0  spearman  0.8286  0.0519   0.9807        6   0.0416
    >>> correlation([1, 2, 3, 4], [2, 2, 2, 2])["value"].item()  # a constant input: undefined
    nan
    """
    if method not in CORRELATION_METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {CORRELATION_METHODS}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    xa, ya = _numeric_1d(x, "x"), _numeric_1d(y, "y")
    if xa.shape != ya.shape:
        raise ValueError(f"x and y have different lengths ({xa.shape[0]} vs {ya.shape[0]})")
    r, lo, hi, p = _corr_row(xa, ya, method, confidence)
    return pd.DataFrame(
        [(method, r, lo, hi, len(xa), p)],
        columns=["metric", "value", "ci_low", "ci_high", "n_items", "p_value"],
    )


def item_means(
    frame: pd.DataFrame,
    *,
    item: ItemKey,
    rater: str,
    label: str,
    raters: Sequence[Hashable] | None = None,
) -> pd.DataFrame:
    """Mean numeric rating per item over the given raters (the stage-3 "human mean rating").

    Parameters
    ----------
    frame : DataFrame
        Long-format numeric ratings.
    item, rater, label : str
        Columns; ``item`` may be a list (composite key).
    raters : sequence, optional
        Raters to average over (default: all).

    Returns
    -------
    DataFrame
        The item column(s), ``mean``, ``sd`` (sample SD; NaN with one rater) and ``n_raters``.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"item": ["x", "x", "x", "y", "y"], "rater": ["h1", "h2", "llm", "h1", "llm"],
    ...                       "rating": [4, 5, 1, 2, 5]})
    >>> item_means(frame, item="item", rater="rater", label="rating", raters=["h1", "h2"])
      item  mean        sd  n_raters
    0    x   4.5  0.707107         2
    1    y   2.0       NaN         1
    """
    coded = from_long(frame, item=item, rater=rater, label=label, raters=raters)
    try:
        values = np.asarray(coded.categories, dtype=np.float64)[coded.label]
    except (TypeError, ValueError) as exc:
        raise ValueError(f"item_means needs numeric labels in column {label!r}") from exc
    n = np.bincount(coded.item, minlength=coded.n_items).astype(np.float64)
    mean = np.bincount(coded.item, weights=values, minlength=coded.n_items) / n
    ss = np.bincount(coded.item, weights=(values - mean[coded.item]) ** 2, minlength=coded.n_items)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.where(n > 1, np.sqrt(ss / (n - 1.0)), np.nan)
    out = coded.items.reset_index(drop=True).copy()
    out["mean"], out["sd"], out["n_raters"] = mean, sd, n.astype(np.int64)
    return out


def judge_correlations(
    frame: pd.DataFrame,
    reference: pd.DataFrame | pd.Series,
    *,
    item: ItemKey,
    rater: str,
    label: str,
    reference_label: str = "mean",
    method: Literal["spearman", "pearson", "kendall"] = "spearman",
    raters: Sequence[Hashable] | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Correlation of each judge's ratings with a per-item reference (Table 6: Spearman with the human mean).

    Parameters
    ----------
    frame : DataFrame
        Long-format numeric ratings of the judges.
    reference : DataFrame or Series
        Per-item reference, e.g. :func:`item_means` of the human raters (column ``reference_label``), or
        a Series indexed by the item key. Items without a reference are left out.
    item, rater, label : str
        Columns of ``frame``; ``item`` may be a list (composite key), and must also be in ``reference``.
    reference_label : str
        Reference column (default ``"mean"``).
    method, confidence
        As in :func:`correlation`.
    raters : sequence, optional
        Subset and order of the judges (default: all, sorted).

    Returns
    -------
    DataFrame
        Columns ``rater, metric, value, ci_low, ci_high, n_items, p_value``; one row per rater.

    Examples
    --------
    >>> import pandas as pd
    >>> human_mean = pd.Series([1.0, 2.5, 3.0, 4.5, 5.0], index=pd.Index(list("abcde"), name="item"))
    >>> judges = pd.DataFrame({"item": list("abcde") * 2, "rater": ["j1"] * 5 + ["j2"] * 5,
    ...                        "rating": [1, 2, 3, 4, 5, 2, 1, 4, 3, 5]})
    >>> out = judge_correlations(judges, human_mean, item="item", rater="rater", label="rating")
    >>> out[["rater", "metric", "value", "n_items"]]
      rater    metric  value  n_items
    0    j1  spearman    1.0        5
    1    j2  spearman    0.8        5
    """
    if method not in CORRELATION_METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {CORRELATION_METHODS}")
    item_cols = item_columns(item)
    ref = reference_frame(reference, item_cols, reference_label)
    coded = from_long(frame, item=item_cols, rater=rater, label=label, raters=raters)
    try:
        values = np.asarray(coded.categories, dtype=np.float64)[coded.label]
    except (TypeError, ValueError) as exc:
        raise ValueError(f"judge_correlations needs numeric labels in column {label!r}") from exc
    keyed = coded.items.reset_index(drop=True).assign(__pos__=np.arange(coded.n_items))
    joined = keyed.merge(ref, on=item_cols, how="left")
    has_ref = joined[REFERENCE_COLUMN].notna().to_numpy()
    try:
        ref_values = joined.loc[has_ref, REFERENCE_COLUMN].to_numpy(dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"reference column {reference_label!r} must be numeric") from exc
    ref_by_item = np.full(coded.n_items, np.nan)
    ref_by_item[joined["__pos__"].to_numpy()[has_ref]] = ref_values
    rows = []
    for i, rid in enumerate(coded.raters):
        sel = coded.rater == i
        x, y = values[sel], ref_by_item[coded.item[sel]]
        ok = ~np.isnan(y)
        with quiet_nan_warnings():
            r, lo, hi, p = _corr_row(x[ok], y[ok], method, confidence)
        rows.append((rid, method, r, lo, hi, int(ok.sum()), p))
    return pd.DataFrame(rows, columns=["rater", "metric", "value", "ci_low", "ci_high", "n_items", "p_value"])
