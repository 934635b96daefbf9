"""Inter-rater agreement statistics.

Everything the paper reports about agreement (pairwise Cohen's kappa between the 3 human annotators and
the 5 LLM judges, the human-human / LLM-LLM / human-LLM group means of Fig. 3) plus the multi-rater
coefficients a follow-up study needs (Fleiss' kappa and Gwet's AC1 with missing ratings, Krippendorff's
alpha at every level of measurement, percent agreement, majority vote with reported ties).

Input conventions
-----------------
* **Long format** ``(item, rater, label)`` is the main input: a :class:`pandas.DataFrame` with one row per
  judgment. ``item`` may be one column name or a list of column names (a composite key such as the
  stage-2 ``["prompt_id", "attribute_id"]``). A missing judgment is an *absent row*; NaN labels raise.
* **Array forms** where a signature says so: two 1-D label arrays for :func:`cohen_kappa`; an
  ``items x raters`` matrix (NaN/None = missing) for :func:`fleiss_kappa`, :func:`gwet_ac1`,
  :func:`percent_agreement` and :func:`majority_vote`; a ``raters x units`` matrix for
  :func:`krippendorff_alpha` (Krippendorff's own orientation, also that of the ``krippendorff`` package).
* ``categories`` declares the full, ordered category set. By default it is the sorted set of labels
  observed. Declare it for ordinal scales (``categories=[1, 2, 3, 4, 5]``) so unobserved levels keep
  their place in weighted kappa, and for Gwet's AC1, whose chance term depends on the number of
  categories.

Undefined statistics
--------------------
Statistics that are undefined for the data at hand return ``NaN`` (never ``0`` and never an exception):
a chance-corrected coefficient whose chance disagreement is zero (both raters put every item in one
category, so ``1 - p_e = 0``), a pair of raters sharing no item, a correlation with a constant rater.
Structurally invalid input raises :class:`ValueError` naming the problem: mismatched lengths, a single
category (declared, or observed when none are declared), all-missing items, unknown levels or metrics,
labels outside the declared categories, NaN labels where missing values are not allowed, duplicated
``(item, rater)`` judgments.

Performance
-----------
Confusion tables for all rater pairs are built with one :func:`numpy.bincount` over the within-item rater
pairs (no Python loop over items). The item-cluster bootstrap multiplies a matrix of item multiplicities
(resamples x items) with a sparse item-by-(pair, cell) incidence matrix, giving every resample's
pairwise tables at once. See ``benchmarks/agreement.py``.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Hashable, Iterator, Mapping, Sequence
from statistics import NormalDist
from typing import Literal

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import sparse

__all__ = [
    "KappaResult",
    "cohen_kappa",
    "cohen_kappa_ci",
    "fleiss_kappa",
    "gwet_ac1",
    "krippendorff_alpha",
    "percent_agreement",
    "majority_vote",
    "pairwise_agreement",
    "pairwise_matrix",
    "group_agreement",
    "PAIRWISE_METRICS",
    "LEVELS",
]

Weights = Literal["linear", "quadratic"] | None
Level = Literal["nominal", "ordinal", "interval", "ratio"]
ItemKey = str | Sequence[str]
SeedLike = int | np.random.Generator | None

LEVELS: tuple[str, ...] = ("nominal", "ordinal", "interval", "ratio")
#: Metrics accepted by :func:`pairwise_agreement`, :func:`pairwise_matrix` and :func:`group_agreement`.
PAIRWISE_METRICS: tuple[str, ...] = (
    "cohen_kappa",
    "percent_agreement",
    "scott_pi",
    "gwet_ac1",
    "krippendorff_alpha",
    "spearman",
    "pearson",
)

# Denominators below this are treated as exactly zero (a chance-corrected coefficient is undefined).
_EPS = 1e-12
# Largest dense (units x values) or (resamples x columns) block materialised at once.
_DENSE_LIMIT = 20_000_000


# --------------------------------------------------------------------------------------------------
# Label encoding
# --------------------------------------------------------------------------------------------------


def _preview(values: Sequence[object] | np.ndarray, limit: int = 5) -> str:
    vals = list(values)
    head = ", ".join(repr(v) for v in vals[:limit])
    return f"[{head}{', ...' if len(vals) > limit else ''}] ({len(vals)} in total)"


def _check_categories(categories: Sequence[Hashable]) -> np.ndarray:
    cats = list(categories)
    if len(cats) < 2:
        raise ValueError(
            f"categories must declare at least two categories, got {cats!r}: agreement on a single "
            "category is undefined"
        )
    if any(pd.isna(c) for c in cats):
        raise ValueError("categories must not contain missing values (NaN/None)")
    if len(set(cats)) != len(cats):
        raise ValueError(f"categories contain duplicates: {cats!r}")
    out = np.empty(len(cats), dtype=object)
    out[:] = cats
    try:  # keep a numeric dtype when the declared categories are numeric
        num = np.asarray(cats)
        if num.dtype.kind in "biuf":
            return num
    except (TypeError, ValueError):
        pass
    return out


def _unique_inverse(vals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(vals, return_inverse=True)``, in O(n) for integer-valued labels in a compact range
    (rating scales, 0/1), which avoids sorting a million values."""
    if vals.size:
        lo, hi = float(vals.min()), float(vals.max())
        if hi - lo <= 1_000_000 and np.array_equal(vals, np.floor(vals)):
            offset = (vals - lo).astype(np.int64)
            seen = np.bincount(offset, minlength=int(hi - lo) + 1) > 0
            lookup = np.cumsum(seen) - 1
            return np.flatnonzero(seen) + lo, lookup[offset]
    return np.unique(vals, return_inverse=True)


def _encode(
    values: np.ndarray, categories: Sequence[Hashable] | None, what: str
) -> tuple[np.ndarray, np.ndarray]:
    """Map labels to integer codes ``0..k-1`` (``-1`` = missing) and return ``(codes, categories)``.

    Numeric input stays on a fast float path; anything else goes through :func:`pandas.factorize`.
    Without declared categories, the categories are the sorted distinct labels observed.
    """
    arr = np.asarray(values)
    shape = arr.shape
    flat = arr.ravel()
    codes = np.full(flat.shape[0], -1, dtype=np.int64)
    numeric = flat.dtype.kind in "biuf"
    if numeric:
        fl = np.asarray(flat, dtype=np.float64)
        missing = np.isnan(fl)
    else:
        missing = np.asarray(pd.isna(flat), dtype=bool)
    present = ~missing
    if categories is None:
        if numeric:
            cats, inv = _unique_inverse(fl[present])
            if flat.dtype.kind in "biu":
                cats = cats.astype(flat.dtype)
        else:
            try:
                inv, cats = pd.factorize(flat[present], sort=True)
            except TypeError as exc:
                raise ValueError(
                    f"{what} mix labels that cannot be ordered ({exc}); pass categories=[...] to declare "
                    "the category set and its order"
                ) from exc
            cats = np.asarray(cats, dtype=object)
        codes[present] = inv
        if len(cats) < 2:
            raise ValueError(
                f"{what} use a single category {list(cats)!r} (or none); declare the full category set "
                "with categories=[...] (chance-corrected agreement is then NaN: no chance disagreement)"
            )
        return codes.reshape(shape), cats
    cats = _check_categories(categories)
    if numeric and cats.dtype.kind in "biuf":
        cfl = cats.astype(np.float64)
        sorter = np.argsort(cfl, kind="stable")
        vals = fl[present]
        pos = np.clip(np.searchsorted(cfl[sorter], vals), 0, len(cats) - 1)
        found = cfl[sorter][pos] == vals
        inv = sorter[pos]
    else:
        inv = pd.Index(cats).get_indexer(pd.Index(flat[present]))
        found = inv >= 0
    if not np.all(found):
        unknown = pd.unique(np.asarray(flat[present])[~found])
        raise ValueError(f"{what} contain labels outside the declared categories: {_preview(unknown)}")
    codes[present] = inv
    return codes.reshape(shape), cats


def _numeric_values(cats: np.ndarray, why: str) -> np.ndarray:
    """Numeric value of each category (bool -> 0/1); ValueError when the labels are not numbers."""
    try:
        out = np.asarray(cats, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{why} needs numeric labels, got categories {_preview(cats)}") from exc
    if not np.all(np.isfinite(out)):
        raise ValueError(f"{why} needs finite numeric labels, got {_preview(cats)}")
    return out


def _agreement_weights(k: int, weights: Weights) -> np.ndarray:
    """Agreement weights ``w_ij`` (1 on the diagonal) on category *positions* 0..k-1.

    Linear: ``1 - |i-j|/(k-1)`` (Cicchetti-Allison); quadratic: ``1 - (i-j)^2/(k-1)^2`` (Fleiss-Cohen).
    """
    if weights is None:
        return np.eye(k)
    if weights not in ("linear", "quadratic"):
        raise ValueError(f"weights must be None, 'linear' or 'quadratic', got {weights!r}")
    idx = np.arange(k, dtype=np.float64)
    d = np.abs(idx[:, None] - idx[None, :]) / (k - 1)
    return 1.0 - d if weights == "linear" else 1.0 - d**2


# --------------------------------------------------------------------------------------------------
# Statistics on stacks of k x k confusion tables (vectorised over leading axes)
# --------------------------------------------------------------------------------------------------


def _safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num, den = np.broadcast_arrays(np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64))
    out = np.full(num.shape, np.nan)
    ok = np.abs(den) > _EPS
    np.divide(num, den, out=out, where=ok)
    return out


def _chance_corrected(po: np.ndarray, pe: np.ndarray, n: np.ndarray) -> np.ndarray:
    out = _safe_div(po - pe, 1.0 - pe)
    out[np.asarray(n) <= 0] = np.nan
    return out


def _table_kappa(t: np.ndarray, w: np.ndarray) -> np.ndarray:
    n = t.sum(axis=(-2, -1))
    with np.errstate(invalid="ignore", divide="ignore"):
        p = t / n[..., None, None]
    row, col = p.sum(axis=-1), p.sum(axis=-2)
    po = (p * w).sum(axis=(-2, -1))
    pe = np.einsum("...i,ij,...j->...", row, w, col)
    return _chance_corrected(po, pe, n)


def _table_stat(
    t: np.ndarray,
    metric: str,
    *,
    weights: Weights = None,
    level: str | None = None,
    values: np.ndarray | None = None,
) -> np.ndarray:
    """Agreement ``metric`` of every ``k x k`` table in ``t`` (shape ``(..., k, k)``, rows = rater a)."""
    t = np.asarray(t, dtype=np.float64)
    k = t.shape[-1]
    n = t.sum(axis=(-2, -1))
    with np.errstate(invalid="ignore", divide="ignore"):
        if metric == "cohen_kappa":
            return _table_kappa(t, _agreement_weights(k, weights))
        if metric == "percent_agreement":
            return _safe_div(np.trace(t, axis1=-2, axis2=-1), n)
        p = t / n[..., None, None]
        row, col = p.sum(axis=-1), p.sum(axis=-2)
        po = np.trace(p, axis1=-2, axis2=-1)
        if metric == "scott_pi":
            pi = (row + col) / 2.0
            return _chance_corrected(po, (pi**2).sum(axis=-1), n)
        if metric == "gwet_ac1":
            pi = (row + col) / 2.0
            return _chance_corrected(po, (pi * (1.0 - pi)).sum(axis=-1) / (k - 1), n)
        if metric == "krippendorff_alpha":
            # Coincidences of a two-rater table: every unit has m_u = 2 pairable values.
            o = t + np.swapaxes(t, -1, -2)
            nc = o.sum(axis=-1)
            big_n = 2.0 * n
            delta = _delta_matrix(level, values, nc)
            do = (o * delta).sum(axis=(-2, -1)) / big_n
            de = np.einsum("...i,...ij,...j->...", nc, np.broadcast_to(delta, o.shape), nc) / (
                big_n * (big_n - 1.0)
            )
            out = 1.0 - _safe_div(do, de)
            out[big_n <= 1] = np.nan
            return out
        if metric in ("spearman", "pearson"):
            if metric == "pearson":
                xa = np.broadcast_to(values, row.shape)
                xb = xa
            else:  # Spearman = Pearson on mid-ranks, each rater ranked within its own marginal counts
                ra, rb = t.sum(axis=-1), t.sum(axis=-2)
                xa = np.cumsum(ra, axis=-1) - ra + (ra + 1.0) / 2.0
                xb = np.cumsum(rb, axis=-1) - rb + (rb + 1.0) / 2.0
            ma = (row * xa).sum(axis=-1)
            mb = (col * xb).sum(axis=-1)
            da, db = xa - ma[..., None], xb - mb[..., None]
            cov = (p * da[..., :, None] * db[..., None, :]).sum(axis=(-2, -1))
            va = (row * da**2).sum(axis=-1)
            vb = (col * db**2).sum(axis=-1)
            den = np.sqrt(va * vb)
            out = _safe_div(cov, den)
            out[(va <= _EPS) | (vb <= _EPS)] = np.nan
            return np.clip(out, -1.0, 1.0)
    raise ValueError(f"unknown metric {metric!r}; choose one of {PAIRWISE_METRICS}")


def _delta_matrix(level: str | None, values: np.ndarray | None, nc: np.ndarray) -> np.ndarray:
    """Krippendorff's squared difference function for categories (``nc``: pairable value counts)."""
    k = nc.shape[-1]
    if level == "nominal":
        return 1.0 - np.eye(k)
    if level == "ordinal":
        # delta_ck = (M_k - M_c)^2 with M_c = sum_{g<c} n_g + n_c / 2 (Krippendorff 2011, ordinal metric).
        m = np.cumsum(nc, axis=-1) - nc / 2.0
        return (m[..., None, :] - m[..., :, None]) ** 2
    assert values is not None
    if level == "interval":
        return (values[:, None] - values[None, :]) ** 2
    if level == "ratio":
        s = values[:, None] + values[None, :]
        d = values[:, None] - values[None, :]
        return np.divide(d, s, out=np.zeros_like(d), where=s != 0) ** 2
    raise ValueError(f"unknown level {level!r}; choose one of {LEVELS}")


# --------------------------------------------------------------------------------------------------
# Two raters
# --------------------------------------------------------------------------------------------------


@attrs.frozen
class KappaResult:
    """Cohen's kappa with its large-sample standard error and Wald confidence interval.

    Attributes
    ----------
    kappa : float
        Cohen's kappa (weighted when ``weights`` is set).
    se : float
        Asymptotic (non-null) standard error of Fleiss, Cohen & Everitt (1969).
    ci_low, ci_high : float
        ``kappa -/+ z * se``; not truncated to [-1, 1] (as SAS PROC FREQ and statsmodels).
    n : int
        Number of items rated by both raters.
    weights : str or None
        ``None``, ``"linear"`` or ``"quadratic"``.
    confidence : float
        Confidence level of the interval.
    """

    kappa: float
    se: float
    ci_low: float
    ci_high: float
    n: int
    weights: str | None = None
    confidence: float = 0.95

    def to_frame(self) -> pd.DataFrame:
        """One-row tidy frame with columns ``kappa, se, ci_low, ci_high, n, weights, confidence``."""
        return pd.DataFrame([attrs.asdict(self)])


def _two_rater_table(
    a: npt.ArrayLike,
    b: npt.ArrayLike,
    categories: Sequence[Hashable] | None,
    nan_policy: Literal["raise", "omit"],
) -> tuple[np.ndarray, np.ndarray]:
    a_arr, b_arr = np.asarray(a), np.asarray(b)
    if a_arr.ndim != 1 or b_arr.ndim != 1:
        raise ValueError(f"a and b must be 1-D label arrays, got shapes {a_arr.shape} and {b_arr.shape}")
    if a_arr.shape[0] != b_arr.shape[0]:
        raise ValueError(f"a and b have different lengths ({a_arr.shape[0]} vs {b_arr.shape[0]})")
    if a_arr.shape[0] == 0:
        raise ValueError("a and b are empty: no items to compare")
    if nan_policy not in ("raise", "omit"):
        raise ValueError(f"nan_policy must be 'raise' or 'omit', got {nan_policy!r}")
    if a_arr.dtype.kind in "biuf" and b_arr.dtype.kind in "biuf":
        both = np.concatenate([a_arr, b_arr])
    else:  # never let numpy turn numbers into strings when promoting mixed dtypes
        both = np.concatenate([a_arr.astype(object), b_arr.astype(object)])
    codes, cats = _encode(both, categories, "labels of a and b")
    ca, cb = codes[: a_arr.shape[0]], codes[a_arr.shape[0] :]
    missing = (ca < 0) | (cb < 0)
    if missing.any():
        if nan_policy == "raise":
            raise ValueError(
                f"a/b contain {int(missing.sum())} missing labels (NaN/None); drop them or pass nan_policy='omit'"
            )
        ca, cb = ca[~missing], cb[~missing]
        if ca.size == 0:
            raise ValueError("no item has labels from both raters after omitting missing values")
    k = len(cats)
    table = np.bincount(ca * k + cb, minlength=k * k).reshape(k, k).astype(np.float64)
    return table, cats


def cohen_kappa(
    a: npt.ArrayLike,
    b: npt.ArrayLike,
    *,
    categories: Sequence[Hashable] | None = None,
    weights: Weights = None,
    nan_policy: Literal["raise", "omit"] = "raise",
) -> float:
    """Cohen's kappa between two raters, optionally weighted for ordinal categories.

    Parameters
    ----------
    a, b : array-like, 1-D
        Labels of the two raters for the same items, aligned by position.
    categories : sequence, optional
        Full ordered category set. Default: the sorted labels observed in ``a`` and ``b``. Weighted kappa
        uses category *positions* in this order (equal spacing), so declare ordinal scales in full.
    weights : {None, "linear", "quadratic"}
        Disagreement weighting (Cohen 1968): linear ``|i-j|/(k-1)``, quadratic ``(i-j)^2/(k-1)^2``.
        With two categories all three coincide.
    nan_policy : {"raise", "omit"}
        Missing labels raise by default; ``"omit"`` drops items missing in either rater.

    Returns
    -------
    float
        ``(p_o - p_e) / (1 - p_e)``; ``NaN`` when the chance disagreement ``1 - p_e`` is zero (both raters
        used one and the same category for every item, so agreement beyond chance is undefined).

    Raises
    ------
    ValueError
        Mismatched lengths, empty input, missing labels (with ``nan_policy="raise"``), labels outside
        ``categories``, fewer than two categories, unknown ``weights``.

    Notes
    -----
    Checked against the 3x3 worked example ``[[0,4,1],[0,8,0],[0,1,5]]`` (kappa 0.4842, linear 0.4701;
    ``tests/reference/cohen_3x3.md``), Gwet (2014)'s ``cont3x3abstractors`` table (0.7964094), and
    against :func:`sklearn.metrics.cohen_kappa_score` / :func:`statsmodels.stats.inter_rater.cohens_kappa`
    on generated data.
    """
    table, _ = _two_rater_table(a, b, categories, nan_policy)
    return float(_table_kappa(table, _agreement_weights(table.shape[0], weights)))


def cohen_kappa_ci(
    a: npt.ArrayLike,
    b: npt.ArrayLike,
    *,
    categories: Sequence[Hashable] | None = None,
    weights: Weights = None,
    confidence: float = 0.95,
    nan_policy: Literal["raise", "omit"] = "raise",
) -> KappaResult:
    """Cohen's kappa with the asymptotic standard error and a Wald confidence interval.

    Parameters
    ----------
    a, b, categories, weights, nan_policy
        As in :func:`cohen_kappa`.
    confidence : float
        Confidence level in (0, 1).

    Returns
    -------
    KappaResult
        Frozen record ``kappa, se, ci_low, ci_high, n`` (``.to_frame()`` for a one-row tidy frame). All of
        ``kappa, se, ci_*`` are ``NaN`` when kappa is undefined (zero chance disagreement).

    Notes
    -----
    The variance is the large-sample, non-null formula of Fleiss, Cohen & Everitt (1969), for agreement
    weights ``w`` (identity when unweighted), with ``wbar_i. = sum_j p_.j w_ij`` and
    ``wbar_.j = sum_i p_i. w_ij``::

        var = [sum_ij p_ij (w_ij - (wbar_i. + wbar_.j)(1 - k))^2 - (k - p_e(1 - k))^2] / (n (1 - p_e)^2)

    as in SAS PROC FREQ (AGREE) and :func:`statsmodels.stats.inter_rater.cohens_kappa`. Checked on the
    3x3 example: ASE 0.1380, 95% CI 0.2137-0.7547 (``tests/reference/cohen_3x3.md``).
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    table, _ = _two_rater_table(a, b, categories, nan_policy)
    k = table.shape[0]
    w = _agreement_weights(k, weights)
    n = float(table.sum())
    p = table / n
    row, col = p.sum(axis=1), p.sum(axis=0)
    po = float((p * w).sum())
    pe = float(row @ w @ col)
    if abs(1.0 - pe) <= _EPS:
        nan = float("nan")
        return KappaResult(nan, nan, nan, nan, int(n), weights, confidence)
    kappa = (po - pe) / (1.0 - pe)
    wbar_row = w @ col  # wbar_i.
    wbar_col = row @ w  # wbar_.j
    term = (p * (w - (wbar_row[:, None] + wbar_col[None, :]) * (1.0 - kappa)) ** 2).sum()
    var = (term - (kappa - pe * (1.0 - kappa)) ** 2) / (n * (1.0 - pe) ** 2)
    se = float(np.sqrt(max(var, 0.0)))  # tiny negative values are rounding error at kappa = 1
    z = NormalDist().inv_cdf(0.5 + confidence / 2.0)  # stdlib: scipy.stats costs ~0.5 s to import
    return KappaResult(float(kappa), se, kappa - z * se, kappa + z * se, int(n), weights, confidence)


# --------------------------------------------------------------------------------------------------
# Long format -> coded arrays
# --------------------------------------------------------------------------------------------------


@attrs.frozen
class _Coded:
    """A long frame reduced to integer codes (rows sorted by item, then rater)."""

    item: np.ndarray  # (n,) item code 0..n_items-1
    rater: np.ndarray  # (n,) rater code 0..n_raters-1
    label: np.ndarray  # (n,) category code 0..k-1
    items: pd.DataFrame  # item key columns, one row per item code
    raters: np.ndarray  # rater ids in code order
    categories: np.ndarray

    @property
    def n_items(self) -> int:
        return len(self.items)

    @property
    def n_raters(self) -> int:
        return len(self.raters)


def _item_columns(item: ItemKey) -> list[str]:
    cols = [item] if isinstance(item, str) else list(item)
    if not cols:
        raise ValueError("item must name at least one column")
    return cols


def _factorize_sorted(values: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    try:
        return pd.factorize(values, sort=True)
    except TypeError:  # mixed, unorderable ids: keep first-appearance order
        return pd.factorize(values, sort=False)


def _from_long(
    frame: pd.DataFrame,
    *,
    item: ItemKey,
    rater: str,
    label: str,
    categories: Sequence[Hashable] | None = None,
    raters: Sequence[Hashable] | None = None,
) -> _Coded:
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"expected a long-format pandas DataFrame, got {type(frame).__name__}")
    item_cols = _item_columns(item)
    needed = [*item_cols, rater, label]
    absent = [c for c in needed if c not in frame.columns]
    if absent:
        raise ValueError(f"frame has no column(s) {absent}; columns are {list(frame.columns)}")
    if len(set(needed)) != len(needed):
        raise ValueError(f"item, rater and label columns must be distinct, got {needed}")
    for col in [*item_cols, rater]:
        if frame[col].isna().any():
            raise ValueError(f"column {col!r} has {int(frame[col].isna().sum())} missing values")
    if raters is not None:
        wanted = list(raters)
        if len(set(wanted)) != len(wanted):
            raise ValueError(f"raters contain duplicates: {wanted!r}")
        present = set(pd.unique(frame[rater]))
        unknown = [r for r in wanted if r not in present]
        if unknown:
            raise ValueError(f"raters not found in column {rater!r}: {unknown!r}")
        frame = frame[frame[rater].isin(wanted)]
    if len(frame) == 0:
        raise ValueError("frame has no rows")
    lab = frame[label]
    if lab.isna().any():
        raise ValueError(
            f"label column {label!r} has {int(lab.isna().sum())} missing values; in long format a missing "
            f"judgment is an absent row: drop them first (frame.dropna(subset=[{label!r}]))"
        )
    label_codes, cats = _encode(lab.to_numpy(), categories, f"labels in column {label!r}")

    # Composite item key -> one integer code, items sorted lexicographically by their key columns.
    combined = np.zeros(len(frame), dtype=np.int64)
    uniques: list[np.ndarray] = []
    for col in item_cols:
        codes, uniq = _factorize_sorted(frame[col].to_numpy())
        combined = combined * len(uniq) + codes
        uniques.append(np.asarray(uniq, dtype=object))
    keys, item_codes = np.unique(combined, return_inverse=True)
    parts = {}
    rest = keys.copy()
    for col, uniq in zip(reversed(item_cols), reversed(uniques), strict=True):
        parts[col] = uniq[rest % len(uniq)]
        rest //= len(uniq)
    items = pd.DataFrame({col: parts[col] for col in item_cols})
    for col in item_cols:  # restore the original dtypes of the key columns
        try:
            items[col] = items[col].astype(frame[col].dtype)
        except (TypeError, ValueError):
            pass

    if raters is not None:
        rater_ids = np.empty(len(raters), dtype=object)
        rater_ids[:] = list(raters)
        rater_codes = pd.Index(rater_ids).get_indexer(frame[rater].to_numpy())
    else:
        rater_codes, uniq_r = _factorize_sorted(frame[rater].to_numpy())
        rater_ids = np.asarray(uniq_r, dtype=object)

    order = np.lexsort((rater_codes, item_codes))
    item_codes, rater_codes, label_codes = item_codes[order], rater_codes[order], label_codes[order]
    dup = (np.diff(item_codes) == 0) & (np.diff(rater_codes) == 0)
    if dup.any():
        where = np.flatnonzero(dup)[:5]
        examples = [(tuple(items.iloc[item_codes[i]]), rater_ids[rater_codes[i]]) for i in where]
        raise ValueError(
            f"{int(dup.sum())} duplicated (item, rater) judgments, e.g. {examples}; each rater may label an "
            "item once"
        )
    return _Coded(
        item_codes.astype(np.int64), rater_codes.astype(np.int64), label_codes, items, rater_ids, cats
    )


def _wide_from_long(coded: _Coded) -> np.ndarray:
    """items x raters code matrix (-1 = missing)."""
    out = np.full((coded.n_items, coded.n_raters), -1, dtype=np.int64)
    out[coded.item, coded.rater] = coded.label
    return out


def _coded_matrix(
    ratings: npt.ArrayLike | pd.DataFrame,
    categories: Sequence[Hashable] | None,
    item: ItemKey | None,
    rater: str | None,
    label: str | None,
    *,
    what: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Return an items x raters code matrix from a wide array or (with item/rater/label) a long frame."""
    long_keys = [item is not None, rater is not None, label is not None]
    if any(long_keys):
        if not all(long_keys):
            raise ValueError("long-format input needs all of item=, rater= and label=")
        assert item is not None and rater is not None and label is not None
        coded = _from_long(ratings, item=item, rater=rater, label=label, categories=categories)  # type: ignore[arg-type]
        return _wide_from_long(coded), coded.categories
    arr = ratings.to_numpy() if isinstance(ratings, pd.DataFrame) else np.asarray(ratings)
    if arr.ndim != 2:
        raise ValueError(f"{what} must be a 2-D array, got shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{what} is empty (shape {arr.shape})")
    codes, cats = _encode(arr, categories, what)
    return codes, cats


def _count_matrix(codes: np.ndarray, k: int) -> np.ndarray:
    """items x categories counts from an items x raters code matrix."""
    n_items = codes.shape[0]
    rows = np.broadcast_to(np.arange(n_items)[:, None], codes.shape)
    ok = codes >= 0
    return np.bincount(rows[ok] * k + codes[ok], minlength=n_items * k).reshape(n_items, k).astype(np.float64)


def _check_no_empty_items(counts: np.ndarray, what: str) -> np.ndarray:
    r = counts.sum(axis=1)
    empty = np.flatnonzero(r == 0)
    if empty.size:
        raise ValueError(
            f"{what}: {empty.size} item(s) have no rating at all (all missing), e.g. rows {empty[:5].tolist()}; "
            "drop them before computing agreement"
        )
    return r


def _multi_rater_parts(counts: np.ndarray, what: str) -> tuple[float, np.ndarray]:
    """Gwet (2014) ``p_a`` over items with >= 2 ratings and category prevalences ``pi_k`` over all items."""
    r = _check_no_empty_items(counts, what)
    pairable = r >= 2
    if not pairable.any():
        raise ValueError(f"{what}: no item has two or more ratings, so agreement cannot be assessed")
    c = counts[pairable]
    rp = r[pairable]
    pa = float(np.mean((c * (c - 1.0)).sum(axis=1) / (rp * (rp - 1.0))))
    pi = (counts / r[:, None]).mean(axis=0)
    return pa, pi


# --------------------------------------------------------------------------------------------------
# Multi-rater coefficients
# --------------------------------------------------------------------------------------------------


def _counts_input(
    ratings: npt.ArrayLike | pd.DataFrame,
    *,
    kind: str,
    categories: Sequence[Hashable] | None,
    item: ItemKey | None,
    rater: str | None,
    label: str | None,
    what: str,
) -> tuple[np.ndarray, int]:
    if kind == "counts":
        if any(x is not None for x in (item, rater, label)):
            raise ValueError("kind='counts' takes an items x categories table, not a long frame")
        table = ratings.to_numpy() if isinstance(ratings, pd.DataFrame) else np.asarray(ratings)
        if table.ndim != 2:
            raise ValueError(f"{what} count table must be 2-D (items x categories), got shape {table.shape}")
        try:
            table = table.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{what} count table must hold numbers") from exc
        if not np.all(np.isfinite(table)) or (table < 0).any() or not np.all(table == np.round(table)):
            raise ValueError(f"{what} count table must hold finite non-negative integer counts")
        k = table.shape[1] if categories is None else len(_check_categories(categories))
        if categories is not None and k != table.shape[1]:
            raise ValueError(
                f"{len(categories)} categories declared but the count table has {table.shape[1]} columns"
            )
        if k < 2:
            raise ValueError(f"{what} count table has a single category column; agreement is undefined")
        return table, k
    if kind != "ratings":
        raise ValueError(f"kind must be 'ratings' or 'counts', got {kind!r}")
    codes, cats = _coded_matrix(ratings, categories, item, rater, label, what=what)
    return _count_matrix(codes, len(cats)), len(cats)


def fleiss_kappa(
    ratings: npt.ArrayLike | pd.DataFrame,
    *,
    categories: Sequence[Hashable] | None = None,
    kind: Literal["ratings", "counts"] = "ratings",
    item: ItemKey | None = None,
    rater: str | None = None,
    label: str | None = None,
) -> float:
    """Fleiss' kappa for several raters, generalised to missing ratings (Gwet 2014).

    Parameters
    ----------
    ratings : array-like or DataFrame
        With ``kind="ratings"`` (default): an ``items x raters`` matrix of labels, NaN/None = missing; or a
        long frame when ``item``, ``rater`` and ``label`` are given. With ``kind="counts"``: an
        ``items x categories`` table of how many raters put each item in each category (Fleiss 1971).
    categories : sequence, optional
        Full category set (default: labels observed; with ``kind="counts"``, the table's columns).
    kind : {"ratings", "counts"}
        How to read ``ratings``; explicit because an integer matrix could be either.
    item, rater, label : optional
        Column names for long-format input.

    Returns
    -------
    float
        ``(p_a - p_e) / (1 - p_e)`` with ``p_a`` the mean over items rated at least twice of the share of
        agreeing rater pairs, and ``p_e = sum_k pi_k^2``, ``pi_k`` the mean over all items of the share of
        the item's ratings in category ``k``. With equal raters per item this is Fleiss (1971). ``NaN``
        when ``p_e = 1`` (every rating in one category: no chance disagreement).

    Raises
    ------
    ValueError
        All-missing items, no item rated twice, a single category, malformed count tables.

    Notes
    -----
    Checked against Fleiss (1971), 30 patients x 6 raters: 0.4302445 (``tests/reference/fleiss_1971.md``),
    and Gwet (2014)'s ``cac.raw4raters`` with missing ratings: 0.761 (``tests/reference/gwet_2014.md``);
    cross-checked with :func:`statsmodels.stats.inter_rater.fleiss_kappa` on complete data.
    """
    counts, _ = _counts_input(
        ratings, kind=kind, categories=categories, item=item, rater=rater, label=label, what="fleiss_kappa"
    )
    pa, pi = _multi_rater_parts(counts, "fleiss_kappa")
    return float(_chance_corrected(np.asarray(pa), np.asarray((pi**2).sum()), np.asarray(1.0)))


def gwet_ac1(
    ratings: npt.ArrayLike | pd.DataFrame,
    *,
    categories: Sequence[Hashable] | None = None,
    kind: Literal["ratings", "counts"] = "ratings",
    item: ItemKey | None = None,
    rater: str | None = None,
    label: str | None = None,
) -> float:
    """Gwet's AC1 for two or more raters with missing ratings (Gwet 2008; 2014).

    AC1 replaces kappa's chance term by ``p_e = sum_k pi_k (1 - pi_k) / (q - 1)``, which stays small when
    one category dominates. It therefore does not collapse under the low-prevalence "kappa paradox"
    (only ~18% of stage-2 items are relevant), where kappa can be near zero despite 90%+ agreement.

    Parameters
    ----------
    ratings, kind, item, rater, label
        As in :func:`fleiss_kappa` (``items x raters`` with NaN = missing, a count table, or long format).
    categories : sequence, optional
        Full category set; ``q = len(categories)`` enters the chance term, so declare it when some
        categories were never used (default: the categories observed).

    Returns
    -------
    float
        ``(p_a - p_e) / (1 - p_e)`` with ``p_a`` and ``pi_k`` as in :func:`fleiss_kappa`. For two raters
        and complete data this is Gwet's two-rater AC1.

    Raises
    ------
    ValueError
        As :func:`fleiss_kappa`.

    Notes
    -----
    Checked against Gwet (2014): ``cont3x3abstractors`` 0.8493305 and ``cac.raw4raters`` 0.775
    (``tests/reference/gwet_2014.md``).
    """
    counts, q = _counts_input(
        ratings, kind=kind, categories=categories, item=item, rater=rater, label=label, what="gwet_ac1"
    )
    pa, pi = _multi_rater_parts(counts, "gwet_ac1")
    pe = float((pi * (1.0 - pi)).sum() / (q - 1))
    return float(_chance_corrected(np.asarray(pa), np.asarray(pe), np.asarray(1.0)))


def percent_agreement(
    ratings: npt.ArrayLike | pd.DataFrame,
    *,
    categories: Sequence[Hashable] | None = None,
    item: ItemKey | None = None,
    rater: str | None = None,
    label: str | None = None,
) -> float:
    """Observed agreement: mean over items rated at least twice of the share of agreeing rater pairs.

    Parameters
    ----------
    ratings : array-like or DataFrame
        ``items x raters`` labels with NaN/None = missing, or a long frame with ``item``/``rater``/``label``.
    categories : sequence, optional
        Declared category set (only validates labels; the value does not depend on it).

    Returns
    -------
    float
        In [0, 1]. For two raters, the proportion of items with identical labels.

    Notes
    -----
    This is the ``p_a`` of Gwet (2014) shared by :func:`fleiss_kappa` and :func:`gwet_ac1`; checked on
    ``cac.raw4raters`` (0.8181818) and ``cont3x3abstractors`` (0.89).
    """
    codes, cats = _coded_matrix(ratings, categories, item, rater, label, what="percent_agreement")
    pa, _ = _multi_rater_parts(_count_matrix(codes, len(cats)), "percent_agreement")
    return pa


# --------------------------------------------------------------------------------------------------
# Krippendorff's alpha
# --------------------------------------------------------------------------------------------------


def _unit_value_groups(u: np.ndarray, c: np.ndarray, n_units: int, n_values: int) -> tuple[np.ndarray, ...]:
    """Distinct (unit, value) groups with counts, sorted by unit then value."""
    if n_units * n_values <= _DENSE_LIMIT:
        dense = np.bincount(u * n_values + c, minlength=n_units * n_values)
        keys = np.flatnonzero(dense)
        cnt = dense[keys]
    else:
        keys, cnt = np.unique(u * n_values + c, return_counts=True)
    return keys // n_values, keys % n_values, cnt.astype(np.float64)


def _alpha_from_entries(
    u: np.ndarray, c: np.ndarray, values: np.ndarray | None, n_values: int, level: str
) -> float:
    """Krippendorff's alpha from pairable entries (unit code, value code), without a V x V matrix
    except for the ratio metric's expected disagreement (chunked)."""
    n_units = int(u.max()) + 1
    m = np.bincount(u, minlength=n_units).astype(np.float64)
    n = float(m.sum())
    nc = np.bincount(c, minlength=n_values).astype(np.float64)
    if level == "nominal":
        gu, _, cnt = _unit_value_groups(u, c, n_units, n_values)
        sq = np.bincount(gu, weights=cnt**2, minlength=n_units)
        ok = m >= 2
        do = float(((m[ok] ** 2 - sq[ok]) / (m[ok] - 1.0)).sum() / n)
        de = float((n**2 - (nc**2).sum()) / (n * (n - 1.0)))
    elif level in ("interval", "ordinal"):
        if level == "ordinal":
            # Ordinal metric = interval metric on M_c = sum_{g<c} n_g + n_c/2 (see _delta_matrix).
            x_of = np.cumsum(nc) - nc / 2.0
        else:
            assert values is not None
            x_of = values
        x = x_of[c]
        unit_mean = np.bincount(u, weights=x, minlength=n_units) / np.maximum(m, 1.0)
        ss_unit = np.bincount(u, weights=(x - unit_mean[u]) ** 2, minlength=n_units)
        ok = m >= 2
        # sum_{i != j in u} (x_i - x_j)^2 = 2 m_u SS_u
        do = float((2.0 * m[ok] * ss_unit[ok] / (m[ok] - 1.0)).sum() / n)
        ss_tot = float(((x - x.mean()) ** 2).sum())
        de = 2.0 * ss_tot / (n - 1.0)
    elif level == "ratio":
        assert values is not None
        do = _ratio_observed(u, c, values, m, n_units, n_values) / n
        de = _ratio_expected(values, nc) / (n * (n - 1.0))
    else:  # pragma: no cover - validated by the caller
        raise ValueError(level)
    if de <= _EPS:
        return float("nan")
    return 1.0 - do / de


def _ratio_delta(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    s = x + y
    d = x - y
    return np.divide(d, s, out=np.zeros_like(d, dtype=np.float64), where=s != 0) ** 2


def _ratio_observed(
    u: np.ndarray, c: np.ndarray, values: np.ndarray, m: np.ndarray, n_units: int, n_values: int
) -> float:
    gu, gc, cnt = _unit_value_groups(u, c, n_units, n_values)
    first = np.searchsorted(gu, np.arange(n_units))
    n_groups = np.bincount(gu, minlength=n_units)
    total = 0.0
    # Loop over positions of distinct values within a unit (bounded by the number of raters), not items.
    for q in range(1, int(n_groups.max())):
        units = np.flatnonzero(n_groups > q)
        e2 = first[units] + q
        for p in range(q):
            e1 = first[units] + p
            d = _ratio_delta(values[gc[e1]], values[gc[e2]])
            total += float((2.0 * cnt[e1] * cnt[e2] * d / (m[units] - 1.0)).sum())
    return total


def _ratio_expected(values: np.ndarray, nc: np.ndarray) -> float:
    used = nc > 0
    v, w = values[used], nc[used]
    block = max(1, _DENSE_LIMIT // max(len(v), 1))
    total = 0.0
    for start in range(0, len(v), block):
        d = _ratio_delta(v[start : start + block, None], v[None, :])
        total += float(w[start : start + block] @ d @ w)
    return total


def krippendorff_alpha(
    data: npt.ArrayLike | pd.DataFrame,
    *,
    level: Level,
    categories: Sequence[Hashable] | None = None,
    item: ItemKey | None = None,
    rater: str | None = None,
    label: str | None = None,
) -> float:
    """Krippendorff's alpha for any number of raters, missing values and level of measurement.

    Parameters
    ----------
    data : array-like or DataFrame
        ``raters x units`` reliability data (Krippendorff's orientation) with NaN/None = missing; or a
        long frame when ``item`` (the unit), ``rater`` and ``label`` are given.
    level : {"nominal", "ordinal", "interval", "ratio"}
        Level of measurement; **required** (it changes the answer: 0.743 vs 0.815 vs 0.849 vs 0.797 on
        Krippendorff's own example). Interval and ratio need numeric labels; ratio needs values >= 0.
    categories : sequence, optional
        Declared value set; for ``"ordinal"`` its order is the scale order (default: sorted values).

    Returns
    -------
    float
        ``1 - D_o / D_e`` over pairable values (units with at least two values). ``NaN`` when the expected
        disagreement is zero (all pairable values identical).

    Raises
    ------
    ValueError
        Unknown ``level``, all-missing units, no unit with two or more values, a single distinct value,
        non-numeric labels for interval/ratio, negative values for ratio.

    Notes
    -----
    Follows Krippendorff (2011), "Computing Krippendorff's alpha-reliability". Observed disagreement is
    accumulated per unit in closed form (nominal: value counts; interval: within-unit sums of squares;
    ordinal: interval on the rank statistic ``M_c = sum_{g<c} n_g + n_c/2``), so no coincidence matrix is
    built. Checked against Krippendorff's 4 observers x 12 units example (``tests/reference/
    krippendorff_2011.md``) and against the ``krippendorff`` package on generated data.
    """
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; choose one of {LEVELS}")
    if any(x is not None for x in (item, rater, label)):
        codes, cats = _coded_matrix(data, categories, item, rater, label, what="krippendorff_alpha")
        codes = codes.T  # raters x units, like the array form
    else:
        arr = data.to_numpy() if isinstance(data, pd.DataFrame) else np.asarray(data)
        if arr.ndim != 2:
            raise ValueError(f"data must be 2-D (raters x units), got shape {arr.shape}")
        if arr.size == 0:
            raise ValueError(f"data is empty (shape {arr.shape})")
        codes, cats = _encode(arr, categories, "krippendorff_alpha data")
    present = codes >= 0
    m_all = present.sum(axis=0)
    empty = np.flatnonzero(m_all == 0)
    if empty.size:
        raise ValueError(
            f"krippendorff_alpha: {empty.size} unit(s) have no value at all (all missing), e.g. units "
            f"{empty[:5].tolist()}; drop them first"
        )
    pairable_units = m_all >= 2
    if not pairable_units.any():
        raise ValueError("krippendorff_alpha: no unit has two or more values (nothing is pairable)")
    # Unit ids stay those of the full data; unpairable units simply get no entry.
    r, u = np.nonzero(present & pairable_units[None, :])
    c = codes[r, u]
    values = None
    if level in ("interval", "ratio"):
        values = _numeric_values(cats, f"level={level!r}")
        if level == "ratio" and (values[np.unique(c)] < 0).any():
            raise ValueError("level='ratio' needs non-negative values (a ratio scale has an absolute zero)")
    return float(_alpha_from_entries(u, c, values, len(cats), level))


# --------------------------------------------------------------------------------------------------
# Majority vote
# --------------------------------------------------------------------------------------------------


def _restore_dtype(values: np.ndarray, cats: np.ndarray) -> pd.array:
    kind = np.asarray(cats).dtype.kind
    if kind == "b":
        return pd.array(values, dtype="boolean")
    if kind in "iu":
        return pd.array(values, dtype="Int64")
    if kind == "f":
        return pd.array(values, dtype="Float64")
    if all(isinstance(c, str) for c in cats):
        return pd.array(values, dtype="string")
    return pd.array(values, dtype=object)


def majority_vote(
    ratings: npt.ArrayLike | pd.DataFrame,
    *,
    item: ItemKey | None = None,
    rater: str | None = None,
    label: str | None = None,
    categories: Sequence[Hashable] | None = None,
    ties: Literal["flag", "raise"] = "flag",
) -> pd.DataFrame:
    """Per-item plurality label with an explicit tie policy (ties are reported, never guessed).

    Parameters
    ----------
    ratings : DataFrame or array-like
        Long frame with ``item``, ``rater`` and ``label`` columns, or an ``items x raters`` matrix with
        NaN/None = missing (items are then numbered by row position).
    categories : sequence, optional
        Declared category set (validates labels).
    ties : {"flag", "raise"}
        ``"flag"`` (default): tied items get ``label = <NA>`` and ``tie = True``. ``"raise"``: a ValueError
        listing the tied items. With three binary raters there is never a tie; with a missing rater
        (1 vs 1) there can be.

    Returns
    -------
    DataFrame
        One row per item: the item key column(s) (``item`` for array input), ``label`` (nullable dtype
        matching the labels: ``boolean``, ``Int64``, ``Float64``, ``string`` or object; ``<NA>`` on ties), ``n_raters``, ``n_votes`` (votes for the winning label,
        or for each tied label), ``share`` (``n_votes / n_raters``) and ``tie`` (bool).

    Notes
    -----
    Plurality, not strict majority: with 5 categories and 5 raters, 2-1-1-1 wins with 2 votes. Filter on
    ``share > 0.5`` for a strict majority.
    """
    if ties not in ("flag", "raise"):
        raise ValueError(f"ties must be 'flag' or 'raise', got {ties!r}")
    if any(x is not None for x in (item, rater, label)):
        if not all(x is not None for x in (item, rater, label)):
            raise ValueError("long-format input needs all of item=, rater= and label=")
        coded = _from_long(ratings, item=item, rater=rater, label=label, categories=categories)  # type: ignore[arg-type]
        codes, cats, keys = _wide_from_long(coded), coded.categories, coded.items.reset_index(drop=True)
    else:
        codes, cats = _coded_matrix(ratings, categories, None, None, None, what="majority_vote ratings")
        keys = pd.DataFrame({"item": np.arange(codes.shape[0])})
    counts = _count_matrix(codes, len(cats))
    n_raters = _check_no_empty_items(counts, "majority_vote")
    top = counts.max(axis=1)
    tie = (counts == top[:, None]).sum(axis=1) > 1
    if ties == "raise" and tie.any():
        where = np.flatnonzero(tie)[:5]
        raise ValueError(
            f"{int(tie.sum())} item(s) have tied votes, e.g. {keys.iloc[where].to_dict('records')}; "
            "use ties='flag' to report them"
        )
    winner = np.empty(len(counts), dtype=object)
    winner[:] = np.asarray(cats, dtype=object)[counts.argmax(axis=1)]
    winner[tie] = pd.NA
    out = keys.copy()
    out["label"] = _restore_dtype(winner, cats)
    out["n_raters"] = n_raters.astype(np.int64)
    out["n_votes"] = top.astype(np.int64)
    out["share"] = top / n_raters
    out["tie"] = tie
    return out


# --------------------------------------------------------------------------------------------------
# Pairwise tables for all rater pairs at once, and the item-cluster bootstrap
# --------------------------------------------------------------------------------------------------


@attrs.frozen
class _PairCells:
    """Within-item rater pairs: for every pair entry, its item and its (pair, cell) column."""

    item: np.ndarray
    column: np.ndarray  # pair * k * k + label_a * k + label_b
    pair_a: np.ndarray  # rater code of the first rater of each pair (P,)
    pair_b: np.ndarray
    k: int

    @property
    def n_pairs(self) -> int:
        return len(self.pair_a)


def _pair_cells(coded: _Coded) -> _PairCells:
    n_r, k = coded.n_raters, len(coded.categories)
    pa, pb = np.triu_indices(n_r, k=1)
    pair_index = np.full((n_r, n_r), -1, dtype=np.int64)
    pair_index[pa, pb] = np.arange(len(pa))
    # Rows are sorted by (item, rater): the q-th rating of an item pairs with its p-th (p < q), and the
    # rater of position p always has the smaller code, so (a, b) is already ordered.
    counts = np.bincount(coded.item, minlength=coded.n_items)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    items_l, cols_l = [], []
    for q in range(1, int(counts.max()) if counts.size else 0):
        units = np.flatnonzero(counts > q)
        e2 = first[units] + q
        for p in range(q):
            e1 = first[units] + p
            pair = pair_index[coded.rater[e1], coded.rater[e2]]
            items_l.append(units)
            cols_l.append(pair * (k * k) + coded.label[e1] * k + coded.label[e2])
    if items_l:
        item_arr, col_arr = np.concatenate(items_l), np.concatenate(cols_l)
    else:
        item_arr, col_arr = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return _PairCells(item_arr, col_arr, pa, pb, k)


def _pair_tables(cells: _PairCells) -> np.ndarray:
    k2 = cells.k * cells.k
    flat = np.bincount(cells.column, minlength=cells.n_pairs * k2)
    return flat.reshape(cells.n_pairs, cells.k, cells.k).astype(np.float64)


def _rng(seed: SeedLike) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _cluster_weights(rng: np.random.Generator, n_boot: int, n_clusters: int) -> np.ndarray:
    """(n_boot, n_clusters) multiplicities of an item-cluster bootstrap (resampling with replacement)."""
    draws = rng.integers(0, n_clusters, size=(n_boot, n_clusters))
    offsets = (np.arange(n_boot, dtype=np.int64) * n_clusters)[:, None]
    return np.bincount((draws + offsets).ravel(), minlength=n_boot * n_clusters).reshape(n_boot, n_clusters)


def _bootstrap_sums(incidence: sparse.csr_matrix, n_boot: int, seed: SeedLike) -> np.ndarray:
    """Column sums of ``incidence`` (clusters x columns) for every bootstrap resample: (n_boot, columns).

    Each resample's sums are ``w @ incidence`` with ``w`` the cluster multiplicities; resamples are drawn
    sequentially from one generator in fixed-size chunks, so results depend only on ``seed``.
    """
    rng = _rng(seed)
    n_clusters, n_cols = incidence.shape
    # ~5e6 cells per (chunk x clusters) and (chunk x columns) block keeps memory near 40 MB per array.
    chunk = max(1, min(n_boot, 5_000_000 // max(n_cols, n_clusters, 1)))
    inc_t = incidence.T.tocsr()
    out = np.empty((n_boot, n_cols), dtype=np.float64)
    for start in range(0, n_boot, chunk):
        stop = min(n_boot, start + chunk)
        w = _cluster_weights(rng, stop - start, n_clusters).astype(np.float64)
        out[start:stop] = (inc_t @ w.T).T
    return out


def _ci_bounds(samples: np.ndarray, ci: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval along axis 0, ignoring resamples where the statistic is undefined."""
    alpha = (1.0 - ci) / 2.0
    with np.errstate(all="ignore"), _quiet_nan_warnings():
        lo = np.nanquantile(samples, alpha, axis=0)
        hi = np.nanquantile(samples, 1.0 - alpha, axis=0)
    return lo, hi


@contextlib.contextmanager
def _quiet_nan_warnings() -> Iterator[None]:
    """Silence numpy's "All-NaN slice" / "Mean of empty slice" warnings: NaN *is* the documented result."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _check_pair_metric(
    metric: str, weights: Weights, level: str | None, cats: np.ndarray
) -> np.ndarray | None:
    if metric not in PAIRWISE_METRICS:
        raise ValueError(f"unknown metric {metric!r}; choose one of {PAIRWISE_METRICS}")
    if weights is not None and metric != "cohen_kappa":
        raise ValueError(f"weights only apply to metric='cohen_kappa', not {metric!r}")
    if weights is not None:
        _agreement_weights(2, weights)  # validates the name
    if metric == "krippendorff_alpha":
        if level not in LEVELS:
            raise ValueError(f"metric='krippendorff_alpha' needs level= one of {LEVELS}, got {level!r}")
        if level in ("interval", "ratio"):
            values = _numeric_values(cats, f"level={level!r}")
            if level == "ratio" and (values < 0).any():
                raise ValueError("level='ratio' needs non-negative values")
            return values
        return None
    if level is not None:
        raise ValueError(f"level only applies to metric='krippendorff_alpha', not {metric!r}")
    if metric == "pearson":
        return _numeric_values(cats, "metric='pearson'")
    return None


def _check_boot(n_boot: int, ci: float) -> None:
    if not isinstance(n_boot, int | np.integer) or n_boot < 0:
        raise ValueError(f"n_boot must be a non-negative integer, got {n_boot!r}")
    if not 0.0 < ci < 1.0:
        raise ValueError(f"ci must be in (0, 1), got {ci!r}")


def _pairwise_core(
    frame: pd.DataFrame,
    *,
    item: ItemKey,
    rater: str,
    label: str,
    metric: str,
    categories: Sequence[Hashable] | None,
    weights: Weights,
    level: str | None,
    raters: Sequence[Hashable] | None,
    n_boot: int,
    seed: SeedLike,
) -> tuple[_Coded, _PairCells, np.ndarray, np.ndarray, np.ndarray | None]:
    """Point values (P,), n_items (P,) and bootstrap values (n_boot, P) for all rater pairs."""
    coded = _from_long(frame, item=item, rater=rater, label=label, categories=categories, raters=raters)
    if coded.n_raters < 2:
        raise ValueError(f"need at least two raters, found {coded.n_raters}: {list(coded.raters)!r}")
    values = _check_pair_metric(metric, weights, level, coded.categories)
    cells = _pair_cells(coded)
    tables = _pair_tables(cells)
    point = _table_stat(tables, metric, weights=weights, level=level, values=values)
    n_shared = tables.sum(axis=(1, 2))
    boot = None
    if n_boot > 0:
        k = cells.k
        incidence = sparse.csr_matrix(
            (np.ones(cells.item.size), (cells.item, cells.column)),
            shape=(coded.n_items, cells.n_pairs * k * k),
        )
        sums = _bootstrap_sums(incidence, n_boot, seed)
        boot = _table_stat(
            sums.reshape(n_boot, cells.n_pairs, k, k), metric, weights=weights, level=level, values=values
        )
    return coded, cells, point, n_shared, boot


def pairwise_agreement(
    frame: pd.DataFrame,
    *,
    item: ItemKey,
    rater: str,
    label: str,
    metric: str = "cohen_kappa",
    categories: Sequence[Hashable] | None = None,
    weights: Weights = None,
    level: Level | None = None,
    raters: Sequence[Hashable] | None = None,
    n_boot: int = 0,
    ci: float = 0.95,
    seed: SeedLike = 0,
) -> pd.DataFrame:
    """Agreement of every pair of raters on the items both labelled (the Fig. 3 heat-map entries).

    Parameters
    ----------
    frame : DataFrame
        Long format, one row per judgment.
    item : str or list of str
        Item column(s); a list is a composite key (stage 2: ``["prompt_id", "attribute_id"]``).
    rater, label : str
        Rater id and label columns.
    metric : str
        One of :data:`PAIRWISE_METRICS`: ``"cohen_kappa"`` (default; ``weights`` for weighted kappa),
        ``"percent_agreement"``, ``"scott_pi"``, ``"gwet_ac1"``, ``"krippendorff_alpha"`` (needs
        ``level``), ``"spearman"`` (mid-ranks, ties averaged as in :func:`scipy.stats.spearmanr`),
        ``"pearson"`` (numeric labels).
    categories : sequence, optional
        Category set shared by all pairs (default: all labels observed in ``frame``). Weighted kappa and
        AC1 use it, so every pair is scored on the same scale.
    weights : {None, "linear", "quadratic"}
        Weighted kappa (only with ``metric="cohen_kappa"``).
    level : {"nominal", "ordinal", "interval", "ratio"}, optional
        Required for ``metric="krippendorff_alpha"``.
    raters : sequence, optional
        Subset and order of raters (default: all, sorted). Pairs are ``(a, b)`` with ``a`` before ``b``.
    n_boot : int
        Item-cluster bootstrap resamples for ``ci_low``/``ci_high`` (0 = no interval, columns are NaN).
    ci : float
        Confidence level of the percentile interval.
    seed : int or numpy.random.Generator or None
        Seed of :func:`numpy.random.default_rng`; the same seed gives identical intervals.

    Returns
    -------
    DataFrame
        Columns ``rater_a, rater_b, metric, n_items, value, ci_low, ci_high``; one row per pair.
        ``metric`` is the metric name, suffixed with the weighting for weighted kappa
        (``"cohen_kappa_quadratic"``). ``value`` is NaN when undefined for that pair (no shared item, or
        zero chance disagreement).

    Notes
    -----
    Each pair's value equals the two-rater function on the shared items (``cohen_kappa`` with the same
    categories, ``sklearn.metrics.cohen_kappa_score``, ``scipy.stats.spearmanr``...), which the tests
    check. The bootstrap resamples items with replacement and recomputes every pair on the same resample.
    """
    _check_boot(n_boot, ci)
    coded, cells, point, n_shared, boot = _pairwise_core(
        frame,
        item=item,
        rater=rater,
        label=label,
        metric=metric,
        categories=categories,
        weights=weights,
        level=level,
        raters=raters,
        n_boot=n_boot,
        seed=seed,
    )
    if boot is None:
        lo = hi = np.full(cells.n_pairs, np.nan)
    else:
        lo, hi = _ci_bounds(boot, ci)
    return pd.DataFrame(
        {
            "rater_a": coded.raters[cells.pair_a],
            "rater_b": coded.raters[cells.pair_b],
            "metric": metric if weights is None else f"{metric}_{weights}",
            "n_items": n_shared.astype(np.int64),
            "value": point,
            "ci_low": lo,
            "ci_high": hi,
        }
    )


def pairwise_matrix(
    frame: pd.DataFrame,
    *,
    item: ItemKey | None = None,
    rater: str | None = None,
    label: str | None = None,
    metric: str = "cohen_kappa",
    order: Sequence[Hashable] | None = None,
    value: str = "value",
    diagonal: float = 1.0,
    **kwargs: object,
) -> pd.DataFrame:
    """Square, symmetric rater x rater matrix for a heat-map (Fig. 3).

    Parameters
    ----------
    frame : DataFrame
        Either long-format judgments (then give ``item``, ``rater``, ``label``; the pairwise table is
        computed with :func:`pairwise_agreement`), or a table returned by :func:`pairwise_agreement`
        (columns ``rater_a``, ``rater_b`` and ``value``) when ``item``/``rater``/``label`` are omitted.
    metric : str
        Passed to :func:`pairwise_agreement`.
    order : sequence, optional
        Row/column order (e.g. 3 humans then 5 LLMs); also restricts the raters. Default: sorted ids.
    value : str
        Column of the pairwise table to spread (``"value"``, ``"n_items"``, ``"ci_low"``...).
    diagonal : float
        Diagonal entry (1.0: a rater agrees perfectly with itself).
    **kwargs
        Further keywords for :func:`pairwise_agreement` (``categories``, ``weights``, ``level``...).

    Returns
    -------
    DataFrame
        Index and columns are the rater ids in ``order``; entry ``[a, b] == [b, a]``.
    """
    long_keys = [item is not None, rater is not None, label is not None]
    if any(long_keys):
        if not all(long_keys):
            raise ValueError("long-format input needs all of item=, rater= and label=")
        table = pairwise_agreement(
            frame,
            item=item,
            rater=rater,
            label=label,
            metric=metric,
            raters=order,
            **kwargs,  # type: ignore[arg-type]
        )
    else:
        if kwargs:
            raise ValueError(f"keywords {sorted(kwargs)} only apply to long-format input")
        table = frame
    absent = [c for c in ("rater_a", "rater_b", value) if c not in table.columns]
    if absent:
        raise ValueError(
            f"pairwise table has no column(s) {absent}; expected the output of pairwise_agreement"
        )
    ids = list(pd.unique(pd.concat([table["rater_a"], table["rater_b"]])))
    if order is None:
        try:
            ids = sorted(ids)
        except TypeError:
            pass
        labels = ids
    else:
        labels = list(order)
        unknown = [r for r in labels if r not in set(ids)]
        if unknown:
            raise ValueError(f"order names raters absent from the pairwise table: {unknown!r}")
    pos = {r: i for i, r in enumerate(labels)}
    mat = np.full((len(labels), len(labels)), np.nan)
    for a, b, v in zip(table["rater_a"], table["rater_b"], table[value], strict=True):
        if a in pos and b in pos:
            mat[pos[a], pos[b]] = mat[pos[b], pos[a]] = v
    np.fill_diagonal(mat, diagonal)
    return pd.DataFrame(mat, index=pd.Index(labels, name="rater"), columns=pd.Index(labels, name="rater"))


def group_agreement(
    frame: pd.DataFrame,
    *,
    item: ItemKey,
    rater: str,
    label: str,
    groups: Mapping[str, Sequence[Hashable]],
    metric: str = "cohen_kappa",
    categories: Sequence[Hashable] | None = None,
    weights: Weights = None,
    level: Level | None = None,
    n_boot: int = 1000,
    ci: float = 0.95,
    seed: SeedLike = 0,
) -> pd.DataFrame:
    """Mean pairwise agreement within and between rater groups, with item-cluster bootstrap CIs.

    Reproduces the Fig. 3 summary (human-human 0.426, LLM-LLM 0.597, human-LLM 0.300) and adds the
    uncertainty the paper does not report.

    Parameters
    ----------
    frame, item, rater, label, metric, categories, weights, level
        As in :func:`pairwise_agreement`.
    groups : mapping of str to list of rater ids
        Disjoint groups, e.g. ``{"human": ["h1", "h2", "h3"], "llm": [...]}``. Raters outside every
        group are ignored.
    n_boot : int
        Item-cluster bootstrap resamples (0 = no interval).
    ci : float
        Confidence level of the percentile interval.
    seed : int or numpy.random.Generator or None
        Seed of :func:`numpy.random.default_rng`; the same seed gives identical intervals.

    Returns
    -------
    DataFrame
        Columns ``group_a, group_b, metric, n_pairs, mean, ci_low, ci_high``. Rows: each group with itself
        (in ``groups`` order), then each pair of groups. ``mean`` is the unweighted mean of the pairwise
        values in the block; ``n_pairs`` counts the pairs with a defined value (undefined pairs, e.g. with
        no shared item, are left out). A block without defined pairs (a one-rater group) has NaN ``mean``.

    Notes
    -----
    Each resample draws items with replacement, recomputes every pairwise table on all raters' labels of
    the drawn items, and averages within blocks; the percentile interval ignores resamples where a block
    mean is undefined.
    """
    _check_boot(n_boot, ci)
    if not isinstance(groups, Mapping) or len(groups) == 0:
        raise ValueError("groups must be a non-empty mapping of group name -> list of rater ids")
    membership: dict[Hashable, str] = {}
    for name, members in groups.items():
        members = list(members)
        if not members:
            raise ValueError(f"group {name!r} is empty")
        for r in members:
            if r in membership:
                raise ValueError(f"rater {r!r} is in both groups {membership[r]!r} and {name!r}")
            membership[r] = name
    ordered = [r for members in groups.values() for r in members]
    coded, cells, point, _, boot = _pairwise_core(
        frame,
        item=item,
        rater=rater,
        label=label,
        metric=metric,
        categories=categories,
        weights=weights,
        level=level,
        raters=ordered,
        n_boot=n_boot,
        seed=seed,
    )
    group_of = np.array([membership[r] for r in coded.raters], dtype=object)
    ga, gb = group_of[cells.pair_a], group_of[cells.pair_b]
    names = list(groups)
    blocks = [(g, g) for g in names] + [
        (names[i], names[j]) for i in range(len(names)) for j in range(i + 1, len(names))
    ]
    rows = []
    for g1, g2 in blocks:
        sel = ((ga == g1) & (gb == g2)) | ((ga == g2) & (gb == g1))
        vals = point[sel]
        defined = int(np.isfinite(vals).sum())
        with _quiet_nan_warnings():
            mean = float(np.nanmean(vals)) if defined else float("nan")
            if boot is not None and sel.any():
                lo, hi = _ci_bounds(np.nanmean(boot[:, sel], axis=1), ci)
            else:
                lo = hi = np.nan
        rows.append(
            (
                g1,
                g2,
                metric if weights is None else f"{metric}_{weights}",
                defined,
                mean,
                float(lo),
                float(hi),
            )
        )
    return pd.DataFrame(
        rows, columns=["group_a", "group_b", "metric", "n_pairs", "mean", "ci_low", "ci_high"]
    )
