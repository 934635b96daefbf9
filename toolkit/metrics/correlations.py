"""Correlation with a reference (stage 3, Table 6): Spearman / Pearson / Kendall with pingouin's p-value and
Fisher-z interval, per judge against the per-item human mean rating; with ``clusters=`` a cluster-bootstrap
interval instead.

The cluster bootstrap draws the sampling units' multiplicities from :mod:`toolkit.resampling` (one level, or
two crossed levels by the pigeonhole bootstrap) and computes each resample's correlation from the item
weights, without copying data: Pearson from weighted moments; Spearman as the weighted Pearson of weighted
mid-ranks (an item drawn ``m`` times is ``m`` tied copies: its mid-rank is the weight below its value plus
half the weight at it, plus one half); Kendall's tau-b from the weighted concordance ``w' A w / 2`` (``A`` the
pairs' sign products) and the weighted tie counts. With every weight 1 these are exactly the usual
statistics (checked against scipy in the tests).

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
from scipy import sparse

from toolkit.longform import (
    REFERENCE_COLUMN,
    ClusterKey,
    ItemKey,
    from_long,
    item_cluster_ids,
    item_columns,
    reference_frame,
)
from toolkit.resampling import (
    Clusters,
    SeedLike,
    check_bootstrap,
    cluster_levels,
    level_weights,
    percentile_interval,
    quiet_nan_warnings,
)

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


# ~2e6 cells per (resamples x items) block of weights keeps each block near 16 MB.
_BLOCK_CELLS = 2_000_000


def _weighted_pearson(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Pearson r of each row of weights ``w`` (resamples x items); ``x``/``y`` 1-D or per resample."""
    total = w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        dx = x - ((w * x).sum(axis=1) / total)[:, None]
        dy = y - ((w * y).sum(axis=1) / total)[:, None]
        sxx, syy, sxy = (w * dx * dx).sum(axis=1), (w * dy * dy).sum(axis=1), (w * dx * dy).sum(axis=1)
        r = sxy / np.sqrt(sxx * syy)
    # a resample in which x or y is constant (zero spread up to rounding) has no correlation
    spread = (sxx > 1e-12 * (w * x * x).sum(axis=1)) & (syy > 1e-12 * (w * y * y).sum(axis=1))
    return np.where(spread, np.clip(r, -1.0, 1.0), np.nan)


def _value_weights(x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes of ``x``'s sorted distinct values and each resample's total weight per value (resamples x values)."""
    uniques, codes = np.unique(x, return_inverse=True)
    onehot = sparse.csr_matrix((np.ones(len(x)), (np.arange(len(x)), codes)), shape=(len(x), len(uniques)))
    return codes, np.asarray((onehot.T @ w.T).T)


def _weighted_midranks(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Mid-ranks of ``x`` in each resample, an item of weight ``m`` counted as ``m`` tied copies."""
    codes, per_value = _value_weights(x, w)
    mid = np.cumsum(per_value, axis=1) - per_value + (per_value + 1.0) / 2.0
    return mid[:, codes]


def _weighted_kendall(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Kendall's tau-b of each resample: ``(P - Q) / sqrt((n0 - ties_x)(n0 - ties_y))`` from the weights."""
    n = len(x)
    concordance = np.zeros(w.shape[0])
    block = max(1, _BLOCK_CELLS // max(n, 1))
    for start in range(0, n, block):  # the n x n sign products, a column block at a time
        cols = slice(start, min(n, start + block))
        signs = np.sign(x[:, None] - x[None, cols]) * np.sign(y[:, None] - y[None, cols])
        concordance += ((w @ signs) * w[:, cols]).sum(axis=1)
    total = w.sum(axis=1)
    pairs = total * (total - 1.0) / 2.0
    ties = [(v * (v - 1.0) / 2.0).sum(axis=1) for v in (_value_weights(x, w)[1], _value_weights(y, w)[1])]
    with np.errstate(invalid="ignore", divide="ignore"):
        tau = (concordance / 2.0) / np.sqrt((pairs - ties[0]) * (pairs - ties[1]))
    return np.where(np.isfinite(tau), np.clip(tau, -1.0, 1.0), np.nan)


def _weighted_corr(x: np.ndarray, y: np.ndarray, w: np.ndarray, method: str) -> np.ndarray:
    """The correlation ``method`` of every resample (row of item weights ``w``)."""
    if method == "pearson":
        return _weighted_pearson(x, y, w)
    if method == "spearman":
        return _weighted_pearson(_weighted_midranks(x, w), _weighted_midranks(y, w), w)
    return _weighted_kendall(x, y, w)


def _boot_correlations(
    pairs: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]],
    method: str,
    design: Clusters,
    n_items: int,
    n_boot: int,
    seed: SeedLike,
) -> list[np.ndarray]:
    """Cluster-bootstrap resamples ``(n_boot,)`` of the correlation of each ``(x, y, items)`` triple, all on
    the same resamples of the ``n_items`` items (``items`` indexes each triple's observations)."""
    levels = cluster_levels(design, n_items)
    draws = level_weights(design, n_items, n_boot, seed)
    out = [np.empty(n_boot) for _ in pairs]
    chunk = max(1, _BLOCK_CELLS // max(n_items, 1))
    for start in range(0, n_boot, chunk):  # item weights of a block of resamples (the draws are made above)
        stop = min(n_boot, start + chunk)
        w = np.ones((stop - start, n_items))
        for (codes, _), lw in zip(levels, draws, strict=True):
            w *= lw[start:stop][:, codes]
        for res, (x, y, items) in zip(out, pairs, strict=True):
            res[start:stop] = _weighted_corr(x, y, w[:, items], method) if len(x) >= 3 else np.nan
    return out


def correlation(
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    method: Literal["spearman", "pearson", "kendall"] = "spearman",
    confidence: float = 0.95,
    clusters: Clusters = None,
    n_boot: int = 1000,
    seed: SeedLike = 0,
) -> pd.DataFrame:
    """Correlation with p-value and confidence interval, computed with pingouin (or a cluster bootstrap).

    Parameters
    ----------
    x, y : array-like, 1-D
        Paired numeric observations (no NaN).
    method : {"spearman", "pearson", "kendall"}
        Spearman (Table 6 of the paper), Pearson or Kendall's tau-b.
    confidence : float
        Level of the interval.
    clusters : array-like or tuple of two array-likes, optional
        The sampling unit of a bootstrap interval. One array: a cluster id per pair (e.g. the response a
        rated cell belongs to); clusters are resampled with all their pairs. A tuple of two arrays: two
        crossed levels per pair (the pigeonhole bootstrap, conservative; see :mod:`toolkit.resampling`).
        Default ``None``: the analytic Fisher-z interval, which treats the pairs as independent (for an
        item bootstrap pass one id per pair, e.g. ``numpy.arange(n)``).
    n_boot : int
        Bootstrap resamples (only with ``clusters``; 0 = no interval).
    seed : int or numpy.random.Generator or None
        Seed of the bootstrap; the same seed gives identical intervals.

    Returns
    -------
    DataFrame
        One row: ``metric, value, ci_low, ci_high, n_items, p_value``. Without ``clusters`` the interval is
        pingouin's Fisher-z interval (``pingouin.compute_esci``, SE ``1/sqrt(n-3)``), exact for Pearson
        under normality and approximate for Spearman and Kendall; with ``clusters`` it is the percentile
        interval of the cluster bootstrap (resamples where the correlation is undefined left out). The
        p-value is pingouin's either way (it treats the pairs as independent). All NaN when undefined:
        fewer than 3 pairs, or a constant input (zero variance).

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

    Twelve pairs from four clusters (e.g. three rated cells of each of four responses): the cluster
    bootstrap resamples whole clusters, so its interval reflects only four independent units:

    >>> x = [1, 2, 3, 2, 3, 4, 3, 4, 5, 4, 5, 5]
    >>> y = [1, 1, 2, 3, 2, 4, 2, 5, 4, 4, 5, 3]
    >>> out = correlation(x, y, clusters=[0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3], n_boot=200)
    >>> out.round(3)
         metric  value  ci_low  ci_high  n_items  p_value
    0  spearman  0.785   0.318    0.926       12    0.003
    """
    if method not in CORRELATION_METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {CORRELATION_METHODS}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    xa, ya = _numeric_1d(x, "x"), _numeric_1d(y, "y")
    if xa.shape != ya.shape:
        raise ValueError(f"x and y have different lengths ({xa.shape[0]} vs {ya.shape[0]})")
    r, lo, hi, p = _corr_row(xa, ya, method, confidence)
    if clusters is not None:
        check_bootstrap(n_boot, confidence)
        lo = hi = float("nan")
        if n_boot > 0 and np.isfinite(r):
            (boot,) = _boot_correlations([(xa, ya, np.arange(len(xa)))], method, clusters, len(xa), n_boot, seed)
            lo, hi = (float(v) for v in percentile_interval(boot, confidence))
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
    clusters: ClusterKey | None = None,
    n_boot: int = 1000,
    seed: SeedLike = 0,
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
    clusters : str or pair of str, optional
        The sampling unit of a bootstrap interval: a column of ``frame`` holding each item's cluster (one
        level, e.g. ``"personalized_response_id"`` for stage-3 cells), or two columns (two crossed levels;
        see :mod:`toolkit.resampling`). Each item must have one id per column. Every judge is rescored on
        the same resamples. Default ``None``: Fisher-z intervals (items treated as independent).
    n_boot, seed
        Bootstrap resamples and seed (only with ``clusters``).

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

    With ``clusters=``, a cluster-bootstrap interval (here the items' responses: three units, so wide):

    >>> judges = judges.assign(response=judges["item"].map({"a": "r1", "b": "r1", "c": "r2", "d": "r3",
    ...                                                        "e": "r3"}))
    >>> out = judge_correlations(judges, human_mean, item="item", rater="rater", label="rating",
    ...                          clusters="response", n_boot=200)
    >>> out[["rater", "value", "ci_low", "ci_high"]].round(3)
      rater  value  ci_low  ci_high
    0    j1    1.0     1.0      1.0
    1    j2    0.8    -1.0      1.0
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
    if clusters is not None:
        check_bootstrap(n_boot, confidence)
        design = item_cluster_ids(frame, coded.items, item=item_cols, clusters=clusters)
    rows, pairs = [], []
    for i, rid in enumerate(coded.raters):
        sel = coded.rater == i
        x, y = values[sel], ref_by_item[coded.item[sel]]
        ok = ~np.isnan(y)
        with quiet_nan_warnings():
            r, lo, hi, p = _corr_row(x[ok], y[ok], method, confidence)
        rows.append([rid, method, r, lo, hi, int(ok.sum()), p])
        pairs.append((x[ok], y[ok], coded.item[sel][ok]))
    if clusters is not None:
        defined = [k for k, row in enumerate(rows) if np.isfinite(row[2])]
        boots = []
        if n_boot > 0 and defined:
            boots = _boot_correlations([pairs[k] for k in defined], method, design, coded.n_items, n_boot, seed)
        for row in rows:
            row[3] = row[4] = float("nan")
        for k, boot in zip(defined, boots, strict=False):
            rows[k][3], rows[k][4] = (float(v) for v in percentile_interval(boot, confidence))
    return pd.DataFrame(rows, columns=["rater", "metric", "value", "ci_low", "ci_high", "n_items", "p_value"])
