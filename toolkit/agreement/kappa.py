"""Two raters: Cohen's kappa (weighted, with its asymptotic SE) and the ``k x k`` table statistics behind
every pairwise metric.

:func:`table_stat` computes any of :data:`PAIRWISE_METRICS` on a stack of confusion tables at once (shape
``(..., k, k)``, rows = the first rater); :mod:`toolkit.agreement.pairwise` feeds it every rater pair's
table and every bootstrap resample's tables in one call.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from statistics import NormalDist
from typing import Literal

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import sparse

from toolkit.longform import encode_labels
from toolkit.resampling import Clusters, SeedLike, bootstrap_sums, check_bootstrap, percentile_interval

__all__ = [
    "Weights",
    "Level",
    "LEVELS",
    "PAIRWISE_METRICS",
    "EPS",
    "KappaResult",
    "cohen_kappa",
    "cohen_kappa_ci",
    "agreement_weights",
    "chance_corrected",
    "table_stat",
    "krippendorff_delta",
]

Weights = Literal["linear", "quadratic"] | None
Level = Literal["nominal", "ordinal", "interval", "ratio"]

#: Krippendorff's levels of measurement.
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

#: Denominators below this are treated as exactly zero (a chance-corrected coefficient is undefined).
EPS = 1e-12


def agreement_weights(k: int, weights: Weights) -> np.ndarray:
    """Agreement weights ``w_ij`` (1 on the diagonal) on category *positions* 0..k-1.

    Linear: ``1 - |i-j|/(k-1)`` (Cicchetti-Allison); quadratic: ``1 - (i-j)^2/(k-1)^2`` (Fleiss-Cohen);
    ``None``: the identity (unweighted).

    Examples
    --------
    >>> agreement_weights(3, "linear")
    array([[1. , 0.5, 0. ],
           [0.5, 1. , 0.5],
           [0. , 0.5, 1. ]])
    """
    if weights is None:
        return np.eye(k)
    if weights not in ("linear", "quadratic"):
        raise ValueError(f"weights must be None, 'linear' or 'quadratic', got {weights!r}")
    idx = np.arange(k, dtype=np.float64)
    d = np.abs(idx[:, None] - idx[None, :]) / (k - 1)
    return 1.0 - d if weights == "linear" else 1.0 - d**2


def _safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num, den = np.broadcast_arrays(np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64))
    out = np.full(num.shape, np.nan)
    ok = np.abs(den) > EPS
    np.divide(num, den, out=out, where=ok)
    return out


def chance_corrected(po: np.ndarray, pe: np.ndarray, n: np.ndarray) -> np.ndarray:
    """``(p_o - p_e) / (1 - p_e)``, NaN where ``1 - p_e`` is (numerically) zero or there is no item (``n <= 0``).

    Examples
    --------
    >>> import numpy as np
    >>> chance_corrected(np.array([0.9, 1.0]), np.array([0.5, 1.0]), np.array([10, 10])).tolist()
    [0.8, nan]
    """
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
    return chance_corrected(po, pe, n)


def table_stat(
    t: np.ndarray,
    metric: str,
    *,
    weights: Weights = None,
    level: str | None = None,
    values: np.ndarray | None = None,
) -> np.ndarray:
    """Agreement ``metric`` of every ``k x k`` table in ``t`` (shape ``(..., k, k)``, rows = rater a).

    Parameters
    ----------
    t : ndarray
        Confusion counts; leading axes are any stack (rater pairs, bootstrap resamples).
    metric : str
        One of :data:`PAIRWISE_METRICS`.
    weights : {None, "linear", "quadratic"}
        Weighted kappa (``metric="cohen_kappa"``).
    level : str, optional
        Level of measurement for ``metric="krippendorff_alpha"``.
    values : ndarray, optional
        Numeric value of each category: needed for ``"pearson"`` and for alpha at the interval and ratio
        levels.

    Returns
    -------
    ndarray
        Shape ``t.shape[:-2]``; NaN where the statistic is undefined.

    Examples
    --------
    The 3x3 table of ``tests/reference/cohen_3x3.md`` (kappa 0.4842):

    >>> import numpy as np
    >>> t = np.array([[0, 4, 1], [0, 8, 0], [0, 1, 5]])
    >>> table_stat(t, "cohen_kappa").round(4), table_stat(t, "percent_agreement").round(4)
    (np.float64(0.4842), np.float64(0.6842))
    >>> table_stat(np.stack([t, t.T]), "scott_pi").round(4).tolist()
    [0.4532, 0.4532]
    """
    t = np.asarray(t, dtype=np.float64)
    k = t.shape[-1]
    n = t.sum(axis=(-2, -1))
    with np.errstate(invalid="ignore", divide="ignore"):
        if metric == "cohen_kappa":
            return _table_kappa(t, agreement_weights(k, weights))
        if metric == "percent_agreement":
            return _safe_div(np.trace(t, axis1=-2, axis2=-1), n)
        p = t / n[..., None, None]
        row, col = p.sum(axis=-1), p.sum(axis=-2)
        po = np.trace(p, axis1=-2, axis2=-1)
        if metric == "scott_pi":
            pi = (row + col) / 2.0
            return chance_corrected(po, (pi**2).sum(axis=-1), n)
        if metric == "gwet_ac1":
            pi = (row + col) / 2.0
            return chance_corrected(po, (pi * (1.0 - pi)).sum(axis=-1) / (k - 1), n)
        if metric == "krippendorff_alpha":
            # Coincidences of a two-rater table: every unit has m_u = 2 pairable values.
            o = t + np.swapaxes(t, -1, -2)
            nc = o.sum(axis=-1)
            big_n = 2.0 * n
            delta = krippendorff_delta(level, values, nc)
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
            out[(va <= EPS) | (vb <= EPS)] = np.nan
            return np.clip(out, -1.0, 1.0)
    raise ValueError(f"unknown metric {metric!r}; choose one of {PAIRWISE_METRICS}")


def krippendorff_delta(level: str | None, values: np.ndarray | None, nc: np.ndarray) -> np.ndarray:
    """Krippendorff's squared difference function ``delta_ck`` between categories.

    Parameters
    ----------
    level : {"nominal", "ordinal", "interval", "ratio"}
    values : ndarray or None
        Numeric value of each category (interval and ratio).
    nc : ndarray
        Pairable values per category, ``(..., k)`` (the ordinal metric's ranks depend on them).

    Examples
    --------
    >>> import numpy as np
    >>> krippendorff_delta("interval", np.array([1.0, 2.0, 4.0]), np.ones(3))
    array([[0., 1., 9.],
           [1., 0., 4.],
           [9., 4., 0.]])
    """
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


@attrs.frozen
class KappaResult:
    """Cohen's kappa with its large-sample standard error and Wald confidence interval.

    Attributes
    ----------
    kappa : float
        Cohen's kappa (weighted when ``weights`` is set).
    se : float
        Asymptotic (non-null) standard error of Fleiss, Cohen & Everitt (1969); with ``clusters=`` the
        standard deviation of the cluster-bootstrap resamples.
    ci_low, ci_high : float
        ``kappa -/+ z * se``; not truncated to [-1, 1] (as SAS PROC FREQ and statsmodels). With
        ``clusters=``, the cluster-bootstrap percentile interval.
    n : int
        Number of items rated by both raters.
    weights : str or None
        ``None``, ``"linear"`` or ``"quadratic"``.
    confidence : float
        Confidence level of the interval.

    Examples
    --------
    Returned by :func:`cohen_kappa_ci`; ``to_frame`` gives one tidy row:

    >>> KappaResult(kappa=0.5, se=0.1, ci_low=0.304, ci_high=0.696, n=20).to_frame()
       kappa   se  ci_low  ci_high   n weights  confidence
    0    0.5  0.1   0.304    0.696  20    None        0.95
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
    table, cats, _, _ = _two_rater_cells(a, b, categories, nan_policy)
    return table, cats


def _two_rater_cells(
    a: npt.ArrayLike,
    b: npt.ArrayLike,
    categories: Sequence[Hashable] | None,
    nan_policy: Literal["raise", "omit"],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The k x k table, the categories, each kept item's table cell and the kept-item mask."""
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
    codes, cats = encode_labels(both, categories, "labels of a and b")
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
    cells = ca * k + cb
    table = np.bincount(cells, minlength=k * k).reshape(k, k).astype(np.float64)
    return table, cats, cells, ~missing


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

    Examples
    --------
    The 3x3 worked example (``tests/reference/cohen_3x3.md``: kappa 0.4842, linear-weighted 0.4701),
    rater ``a`` in rows and ``b`` in columns, expanded to 19 label pairs:

    >>> import numpy as np
    >>> table = np.array([[0, 4, 1], [0, 8, 0], [0, 1, 5]])
    >>> a = np.repeat([1, 1, 1, 2, 2, 2, 3, 3, 3], table.ravel())
    >>> b = np.repeat([1, 2, 3, 1, 2, 3, 1, 2, 3], table.ravel())
    >>> round(cohen_kappa(a, b), 4)
    0.4842
    >>> round(cohen_kappa(a, b, weights="linear"), 4)
    0.4701
    >>> cohen_kappa([1, 1, 1], [1, 1, 1], categories=[0, 1])  # no chance disagreement: undefined
    nan
    """
    table, _ = _two_rater_table(a, b, categories, nan_policy)
    return float(_table_kappa(table, agreement_weights(table.shape[0], weights)))


def cohen_kappa_ci(
    a: npt.ArrayLike,
    b: npt.ArrayLike,
    *,
    categories: Sequence[Hashable] | None = None,
    weights: Weights = None,
    confidence: float = 0.95,
    nan_policy: Literal["raise", "omit"] = "raise",
    clusters: Clusters = None,
    n_boot: int = 1000,
    seed: SeedLike = 0,
) -> KappaResult:
    """Cohen's kappa with the asymptotic standard error and a Wald confidence interval (or, with
    ``clusters=``, a cluster-bootstrap standard error and percentile interval).

    Parameters
    ----------
    a, b, categories, weights, nan_policy
        As in :func:`cohen_kappa`.
    confidence : float
        Confidence level in (0, 1).
    clusters : array-like or tuple of two array-likes, optional
        The sampling unit of a bootstrap interval, aligned with ``a`` and ``b``: one array (a cluster id per
        item; clusters are resampled with all their items) or two arrays (two crossed levels, the pigeonhole
        bootstrap; see :mod:`toolkit.resampling`). Default ``None``: the asymptotic SE, which treats the
        items as independent.
    n_boot : int
        Bootstrap resamples (only with ``clusters``).
    seed : int or numpy.random.Generator or None
        Seed of the bootstrap; the same seed gives identical intervals.

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

    Examples
    --------
    The 3x3 worked example (``tests/reference/cohen_3x3.md``: kappa 0.4842, ASE 0.1380,
    95% CI 0.2137-0.7547):

    >>> import numpy as np
    >>> table = np.array([[0, 4, 1], [0, 8, 0], [0, 1, 5]])
    >>> a = np.repeat([1, 1, 1, 2, 2, 2, 3, 3, 3], table.ravel())
    >>> b = np.repeat([1, 2, 3, 1, 2, 3, 1, 2, 3], table.ravel())
    >>> res = cohen_kappa_ci(a, b)
    >>> round(res.kappa, 4), round(res.se, 4), round(res.ci_low, 4), round(res.ci_high, 4), res.n
    (0.4842, 0.138, 0.2137, 0.7547, 19)

    The same items in five clusters of consecutive items (e.g. the prompts they were judged for; similar
    items share a cluster), resampled as clusters: a wider interval than the asymptotic one:

    >>> res = cohen_kappa_ci(a, b, clusters=np.arange(19) // 4, n_boot=200)
    >>> round(res.kappa, 4), round(res.se, 4), round(res.ci_low, 4), round(res.ci_high, 4), res.n
    (0.4842, 0.2084, 0.1286, 0.8728, 19)
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    table, _, cells, kept = _two_rater_cells(a, b, categories, nan_policy)
    k = table.shape[0]
    w = agreement_weights(k, weights)
    if clusters is not None:
        return _kappa_bootstrap(table, cells, kept, w, weights, confidence, clusters, n_boot, seed)
    n = float(table.sum())
    p = table / n
    row, col = p.sum(axis=1), p.sum(axis=0)
    po = float((p * w).sum())
    pe = float(row @ w @ col)
    if abs(1.0 - pe) <= EPS:
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


def _kappa_bootstrap(
    table: np.ndarray,
    cells: np.ndarray,
    kept: np.ndarray,
    w: np.ndarray,
    weights: Weights,
    confidence: float,
    clusters: Clusters,
    n_boot: int,
    seed: SeedLike,
) -> KappaResult:
    """:func:`cohen_kappa_ci` with ``clusters``: kappa of every cluster-bootstrap resample's table."""
    check_bootstrap(n_boot, confidence)
    n = int(table.sum())
    kappa = float(_table_kappa(table, w))
    nan = float("nan")
    if n_boot == 0 or not np.isfinite(kappa):
        return KappaResult(kappa, nan, nan, nan, n, weights, confidence)
    n_rows = len(kept)
    levels = clusters if isinstance(clusters, tuple) else (clusters,)
    for level in levels:
        if np.shape(level) != (n_rows,):
            raise ValueError(f"clusters must have one id per item ({n_rows}), got shape {np.shape(level)}")
    design = tuple(np.asarray(level)[kept] for level in levels)
    k2 = table.size
    incidence = sparse.csr_matrix((np.ones(n), (np.arange(n), cells)), shape=(n, k2))
    sums = bootstrap_sums(incidence, n_boot, seed, clusters=design if len(design) > 1 else design[0])
    boot = _table_kappa(sums.reshape(n_boot, *table.shape), w)
    low, high = percentile_interval(boot, confidence)
    finite = boot[np.isfinite(boot)]
    se = float(np.std(finite, ddof=1)) if finite.size > 1 else nan
    return KappaResult(kappa, se, float(low), float(high), n, weights, confidence)
