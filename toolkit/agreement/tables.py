"""Agreement from sufficient statistics: the public "from tables" entry point.

Every pairwise statistic of :mod:`toolkit.agreement.pairwise` is a function of the rater pairs' ``k x k``
confusion tables, and every multi-rater statistic (Fleiss' kappa, Gwet's AC1, percent agreement,
Krippendorff's alpha) of the units' category counts. The in-memory functions build those tables from a long
frame and call the functions below; an engine that computes the same tables elsewhere (DuckDB over Parquet,
Dask over a cluster: :mod:`toolkit.engine`) calls the same functions, so both give identical numbers.

* :class:`PairTables` - every rater pair's confusion table (rows: the first rater), and
  :func:`pairwise_from_tables` / :func:`group_from_tables` - the frames of
  :func:`~toolkit.agreement.pairwise_agreement` / :func:`~toolkit.agreement.group_agreement`, optionally with
  bootstrap resamples of the tables (``boot``, shape ``(n_boot, pairs, k, k)``).
* :func:`multirater_from_counts` - Fleiss / AC1 / percent agreement from a ``units x categories`` count table,
  optionally with a multiplicity per row (distinct count *profiles* and how many units have each), and
  :func:`alpha_from_counts` / :func:`alpha_from_coincidences` - Krippendorff's alpha from the same counts or
  from the ``categories x categories`` coincidence matrix.
* :class:`UnitCounts` - how many units were used and how many were skipped (fewer than two values: they are
  *unpairable*, Krippendorff 2011; the ``krippendorff`` package and Gwet's ``irrCAC`` skip them too).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import attrs
import numpy as np
import pandas as pd

from toolkit.agreement.kappa import (
    EPS,
    LEVELS,
    PAIRWISE_METRICS,
    Weights,
    agreement_weights,
    chance_corrected,
    krippendorff_delta,
    table_stat,
)
from toolkit.longform import numeric_values
from toolkit.resampling import percentile_interval, quiet_nan_warnings

__all__ = [
    "MULTIRATER_METRICS",
    "PairTables",
    "UnitCounts",
    "check_pair_metric",
    "pairwise_from_tables",
    "group_from_tables",
    "group_membership",
    "multirater_from_counts",
    "count_profiles",
    "coincidences",
    "alpha_from_coincidences",
    "alpha_from_counts",
]

#: Statistics of :func:`multirater_from_counts`.
MULTIRATER_METRICS: tuple[str, ...] = ("fleiss_kappa", "gwet_ac1", "percent_agreement")


@attrs.frozen
class UnitCounts:
    """Units behind a multi-rater statistic: all units, the pairable ones used, the unpairable ones skipped.

    Attributes
    ----------
    value : float
        The statistic.
    n_units : int
        Units (items) in the input, including empty ones.
    n_pairable : int
        Units with at least two values: the ones whose agreement is measured.
    n_skipped : int
        Units with fewer than two values (``n_units - n_pairable``); they carry no agreement information.
    n_empty : int
        Of those, units with no value at all (ignored entirely; units with one value still enter Fleiss' and
        AC1's category prevalences, as in Gwet 2014).

    Examples
    --------
    >>> UnitCounts(0.5, 10, 8, 2, 1)
    UnitCounts(value=0.5, n_units=10, n_pairable=8, n_skipped=2, n_empty=1)
    """

    value: float
    n_units: int
    n_pairable: int
    n_skipped: int
    n_empty: int


@attrs.frozen
class PairTables:
    """Confusion tables of rater pairs: the sufficient statistic of every pairwise agreement metric.

    Attributes
    ----------
    raters : ndarray
        Rater ids, in code order.
    categories : ndarray
        Categories, in code order (the tables' rows and columns).
    pair_a, pair_b : ndarray
        Rater codes of each pair (``pair_a < pair_b`` for all pairs of :meth:`all_pairs`).
    counts : ndarray
        ``(pairs, k, k)`` counts of items rated by both; rows are rater ``a``'s label, columns ``b``'s.

    Examples
    --------
    >>> import numpy as np
    >>> t = PairTables.all_pairs(["a", "b"], [0, 1], np.array([[[3.0, 1.0], [0.0, 4.0]]]))
    >>> t.n_pairs, t.pair_a.tolist(), t.pair_b.tolist()
    (1, [0], [1])
    """

    raters: np.ndarray
    categories: np.ndarray
    pair_a: np.ndarray
    pair_b: np.ndarray
    counts: np.ndarray

    @classmethod
    def all_pairs(
        cls, raters: Sequence[Hashable] | np.ndarray, categories: Sequence[Hashable] | np.ndarray, counts: np.ndarray
    ) -> PairTables:
        """Tables of every pair ``a < b`` in :func:`numpy.triu_indices` order (``(0, 1), (0, 2), ... (1, 2)``).

        Raises
        ------
        ValueError
            ``counts`` is not ``(R (R - 1) / 2, k, k)`` for ``R`` raters and ``k`` categories.
        """
        ids = np.empty(len(raters), dtype=object)
        ids[:] = list(raters)
        cats = np.asarray(categories)
        pa, pb = np.triu_indices(len(ids), k=1)
        counts = np.asarray(counts, dtype=np.float64)
        want = (len(pa), len(cats), len(cats))
        if counts.shape != want:
            raise ValueError(f"counts must have shape {want} (pairs x categories x categories), got {counts.shape}")
        return cls(ids, cats, pa, pb, counts)

    @property
    def n_pairs(self) -> int:
        """Number of rater pairs."""
        return len(self.pair_a)


def check_pair_metric(metric: str, weights: Weights, level: str | None, cats: np.ndarray) -> np.ndarray | None:
    """Validate a pairwise metric's options; return the categories' numeric values when the metric needs them.

    Examples
    --------
    >>> check_pair_metric("pearson", None, None, np.array([1, 2, 3])).tolist()
    [1.0, 2.0, 3.0]
    >>> check_pair_metric("cohen_kappa", "linear", None, np.array([1, 2])) is None
    True
    """
    if metric not in PAIRWISE_METRICS:
        raise ValueError(f"unknown metric {metric!r}; choose one of {PAIRWISE_METRICS}")
    if weights is not None and metric != "cohen_kappa":
        raise ValueError(f"weights only apply to metric='cohen_kappa', not {metric!r}")
    if weights is not None:
        agreement_weights(2, weights)  # validates the name
    if metric == "krippendorff_alpha":
        if level not in LEVELS:
            raise ValueError(f"metric='krippendorff_alpha' needs level= one of {LEVELS}, got {level!r}")
        if level in ("interval", "ratio"):
            values = numeric_values(cats, f"level={level!r}")
            if level == "ratio" and (values < 0).any():
                raise ValueError("level='ratio' needs non-negative values")
            return values
        return None
    if level is not None:
        raise ValueError(f"level only applies to metric='krippendorff_alpha', not {metric!r}")
    if metric == "pearson":
        return numeric_values(cats, "metric='pearson'")
    return None


def _pair_values(
    tables: PairTables, metric: str, weights: Weights, level: str | None, boot: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray | None]:
    values = check_pair_metric(metric, weights, level, tables.categories)
    point = table_stat(tables.counts, metric, weights=weights, level=level, values=values)
    if boot is None:
        return point, None
    boot = np.asarray(boot, dtype=np.float64)
    if boot.ndim != 4 or boot.shape[1:] != tables.counts.shape:
        raise ValueError(f"boot must have shape (n_boot, *{tables.counts.shape}), got {boot.shape}")
    return point, table_stat(boot, metric, weights=weights, level=level, values=values)


def _metric_name(metric: str, weights: Weights) -> str:
    return metric if weights is None else f"{metric}_{weights}"


def pairwise_from_tables(
    tables: PairTables,
    *,
    metric: str = "cohen_kappa",
    weights: Weights = None,
    level: str | None = None,
    boot: np.ndarray | None = None,
    ci: float = 0.95,
) -> pd.DataFrame:
    """The frame of :func:`~toolkit.agreement.pairwise_agreement` from confusion tables (and resampled tables).

    Parameters
    ----------
    tables : PairTables
        Every pair's confusion counts.
    metric, weights, level
        As in :func:`~toolkit.agreement.pairwise_agreement`.
    boot : ndarray, optional
        ``(n_boot, pairs, k, k)`` tables of bootstrap resamples (e.g. from
        :func:`toolkit.resampling.bootstrap_sums`); ``None``: no interval (NaN columns).
    ci : float
        Confidence level of the percentile interval.

    Returns
    -------
    DataFrame
        Columns ``rater_a, rater_b, metric, n_items, value, ci_low, ci_high``.

    Examples
    --------
    The 3x3 table of ``tests/reference/cohen_3x3.md`` (kappa 0.4842):

    >>> import numpy as np
    >>> t = PairTables.all_pairs(["a", "b"], [1, 2, 3], np.array([[[0, 4, 1], [0, 8, 0], [0, 1, 5]]]))
    >>> pairwise_from_tables(t).round(4)
      rater_a rater_b       metric  n_items   value  ci_low  ci_high
    0       a       b  cohen_kappa       19  0.4842     NaN      NaN
    """
    point, boot_values = _pair_values(tables, metric, weights, level, boot)
    if boot_values is None:
        lo = hi = np.full(tables.n_pairs, np.nan)
    else:
        lo, hi = percentile_interval(boot_values, ci)
    return pd.DataFrame(
        {
            "rater_a": tables.raters[tables.pair_a],
            "rater_b": tables.raters[tables.pair_b],
            "metric": _metric_name(metric, weights),
            "n_items": tables.counts.sum(axis=(1, 2)).astype(np.int64),
            "value": point,
            "ci_low": lo,
            "ci_high": hi,
        }
    )


def group_from_tables(
    tables: PairTables,
    groups: Mapping[str, Sequence[Hashable]],
    *,
    metric: str = "cohen_kappa",
    weights: Weights = None,
    level: str | None = None,
    boot: np.ndarray | None = None,
    ci: float = 0.95,
) -> pd.DataFrame:
    """The frame of :func:`~toolkit.agreement.group_agreement` from confusion tables (and resampled tables).

    Parameters
    ----------
    tables : PairTables
        Every pair's confusion counts; pairs with a rater outside every group are ignored.
    groups : mapping of str to list of rater ids
        Disjoint groups.
    metric, weights, level, ci
        As in :func:`~toolkit.agreement.group_agreement`.
    boot : ndarray, optional
        ``(n_boot, pairs, k, k)`` resampled tables; ``None``: no interval.

    Returns
    -------
    DataFrame
        Columns ``group_a, group_b, metric, n_pairs, mean, ci_low, ci_high``.

    Examples
    --------
    >>> import numpy as np
    >>> counts = np.array([[[4, 1], [1, 4]], [[5, 0], [0, 5]], [[3, 2], [2, 3]]])
    >>> t = PairTables.all_pairs(["h1", "h2", "j1"], [0, 1], counts)
    >>> group_from_tables(t, {"human": ["h1", "h2"], "judge": ["j1"]}, metric="percent_agreement")
      group_a group_b             metric  n_pairs  mean  ci_low  ci_high
    0   human   human  percent_agreement        1   0.8     NaN      NaN
    1   judge   judge  percent_agreement        0   NaN     NaN      NaN
    2   human   judge  percent_agreement        2   0.8     NaN      NaN
    """
    membership = group_membership(groups)
    point, boot_values = _pair_values(tables, metric, weights, level, boot)
    group_of = np.array([membership.get(r) for r in tables.raters], dtype=object)
    ga, gb = group_of[tables.pair_a], group_of[tables.pair_b]
    names = list(groups)
    blocks = [(g, g) for g in names] + [
        (names[i], names[j]) for i in range(len(names)) for j in range(i + 1, len(names))
    ]
    rows = []
    for g1, g2 in blocks:
        sel = ((ga == g1) & (gb == g2)) | ((ga == g2) & (gb == g1))
        vals = point[sel]
        defined = int(np.isfinite(vals).sum())
        with quiet_nan_warnings():
            mean = float(np.nanmean(vals)) if defined else float("nan")
            if boot_values is not None and sel.any():
                lo, hi = percentile_interval(np.nanmean(boot_values[:, sel], axis=1), ci)
            else:
                lo = hi = np.nan
        rows.append((g1, g2, _metric_name(metric, weights), defined, mean, float(lo), float(hi)))
    return pd.DataFrame(rows, columns=["group_a", "group_b", "metric", "n_pairs", "mean", "ci_low", "ci_high"])


def group_membership(groups: Mapping[str, Sequence[Hashable]]) -> dict[Hashable, str]:
    """Rater id -> group name; ValueError for an empty mapping, an empty group or a rater in two groups.

    Examples
    --------
    >>> group_membership({"human": ["h1", "h2"], "llm": ["j1"]})
    {'h1': 'human', 'h2': 'human', 'j1': 'llm'}
    """
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
    return membership


def _count_table(counts: np.ndarray, what: str) -> np.ndarray:
    c = np.asarray(counts, dtype=np.float64)
    if c.ndim != 2 or c.shape[1] < 2:
        raise ValueError(f"{what}: counts must be units x categories with at least two categories, got {c.shape}")
    return c


def _multiplicity(multiplicity: np.ndarray | None, n: int, what: str) -> np.ndarray | None:
    if multiplicity is None:
        return None
    w = np.asarray(multiplicity, dtype=np.float64)
    if w.shape != (n,) or (w < 0).any() or not np.all(np.isfinite(w)):
        raise ValueError(f"{what}: multiplicity must hold {n} finite non-negative numbers, got shape {w.shape}")
    return w


def count_profiles(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of a ``units x categories`` count table and how many units have each.

    Rows are in one canonical order (lexicographic, the last category most significant), whatever the order
    of the units, so every path that reduces the same units to profiles sums them in the same order.

    Examples
    --------
    >>> import numpy as np
    >>> profiles, mult = count_profiles(np.array([[1, 1], [2, 0], [1, 1], [0, 2]]))
    >>> profiles.tolist(), mult.tolist()
    ([[2, 0], [1, 1], [0, 2]], [1, 2, 1])
    """
    c = np.asarray(counts)
    if c.ndim != 2:
        raise ValueError(f"counts must be units x categories, got shape {c.shape}")
    ints = c.astype(np.int64)
    if not np.array_equal(ints, c):
        raise ValueError("count profiles need integer counts")
    if ints.shape[0] == 0:
        return ints, np.zeros(0, dtype=np.int64)
    base = int(ints.max(initial=0)) + 1
    if base ** ints.shape[1] < 2**62:
        code = ints @ (base ** np.arange(ints.shape[1], dtype=np.int64))
        _, first, mult = np.unique(code, return_index=True, return_counts=True)
        return ints[first], mult
    uniq, mult = np.unique(ints[:, ::-1], axis=0, return_counts=True)
    return uniq[:, ::-1], mult


def multirater_from_counts(
    counts: np.ndarray,
    metric: str,
    *,
    n_categories: int | None = None,
    multiplicity: np.ndarray | None = None,
) -> UnitCounts:
    """Fleiss' kappa, Gwet's AC1 or percent agreement from a ``units x categories`` count table.

    Units with no value are skipped; units with one value are skipped from the observed agreement ``p_a``
    (nothing to pair) but, as in Gwet (2014), enter the category prevalences ``pi_k``. With no pairable
    unit the statistic is undefined (NaN), never an error.

    Parameters
    ----------
    counts : ndarray
        ``units x categories``: how many raters put each unit in each category.
    metric : {"fleiss_kappa", "gwet_ac1", "percent_agreement"}
    n_categories : int, optional
        ``q`` of AC1's chance term (default: the table's columns).
    multiplicity : ndarray, optional
        How many units have each row's counts (a table of distinct count profiles); default 1 each. The
        statistic is always computed from the distinct profiles (:func:`count_profiles`), so a table of units
        and its profiles give the same number to the bit.

    Returns
    -------
    UnitCounts
        The value with the numbers of units used and skipped.

    Examples
    --------
    Four items, the last rated once (skipped from ``p_a``) and one with no rating (skipped entirely):

    >>> import numpy as np
    >>> counts = np.array([[2, 0], [1, 1], [0, 2], [1, 0], [0, 0]])
    >>> multirater_from_counts(counts, "percent_agreement")
    UnitCounts(value=0.6666666666666666, n_units=5, n_pairable=3, n_skipped=2, n_empty=1)
    >>> profiles, mult = np.array([[2, 0], [1, 1], [0, 2], [1, 0]]), np.array([2, 2, 2, 1])
    >>> round(multirater_from_counts(profiles, "fleiss_kappa", multiplicity=mult).value, 6)
    0.319444
    >>> round(multirater_from_counts(np.repeat(profiles, mult, axis=0), "fleiss_kappa").value, 6)
    0.319444
    """
    if metric not in MULTIRATER_METRICS:
        raise ValueError(f"unknown metric {metric!r}; choose one of {MULTIRATER_METRICS}")
    c = _count_table(counts, metric)
    w = _multiplicity(multiplicity, c.shape[0], metric)
    q = c.shape[1] if n_categories is None else int(n_categories)
    if w is None:
        profiles, mult_int = count_profiles(c)
        c, w = profiles.astype(np.float64), mult_int.astype(np.float64)
    r = c.sum(axis=1)
    rated, pairable = (r > 0) & (w > 0), (r >= 2) & (w > 0)
    mult = w
    n_units, n_pairable, n_empty = (int(round(mult.sum())), int(round(mult[pairable].sum())),
                                    int(round(mult[~rated].sum())))
    nan = float("nan")
    if not pairable.any() or n_pairable == 0:
        return UnitCounts(nan, n_units, n_pairable, n_units - n_pairable, n_empty)
    cp, rp = c[pairable], r[pairable]
    agree = (cp * (cp - 1.0)).sum(axis=1) / (rp * (rp - 1.0))
    share = c[rated] / r[rated, None]
    pa = float(agree @ w[pairable] / w[pairable].sum())
    pi = w[rated] @ share / w[rated].sum()
    if metric == "percent_agreement":
        value = pa
    else:
        pe = (pi**2).sum() if metric == "fleiss_kappa" else (pi * (1.0 - pi)).sum() / (q - 1)
        value = float(chance_corrected(np.asarray(pa), np.asarray(float(pe)), np.asarray(1.0)))
    return UnitCounts(value, n_units, n_pairable, n_units - n_pairable, n_empty)


def coincidences(counts: np.ndarray, multiplicity: np.ndarray | None = None) -> np.ndarray:
    """Krippendorff's ``k x k`` coincidence matrix from ``units x categories`` counts.

    ``o_ck = sum_u (n_uc n_uk - [c = k] n_uc) / (m_u - 1)`` over the pairable units (``m_u >= 2`` values);
    the others are skipped (Krippendorff 2011).

    Examples
    --------
    >>> import numpy as np
    >>> coincidences(np.array([[2, 0], [1, 1], [1, 0]]))
    array([[2., 1.],
           [1., 0.]])
    """
    c = _count_table(counts, "coincidences")
    w = _multiplicity(multiplicity, c.shape[0], "coincidences")
    m = c.sum(axis=1)
    ok = m >= 2
    c, m = c[ok], m[ok]
    scale = 1.0 / (m - 1.0) if w is None else w[ok] / (m - 1.0)
    o = (c * scale[:, None]).T @ c
    o[np.diag_indices_from(o)] -= c.T @ scale
    return o


def alpha_from_coincidences(o: np.ndarray, level: str, values: np.ndarray | None = None) -> float:
    """Krippendorff's alpha ``1 - (n - 1) sum o_ck d_ck / sum n_c n_k d_ck`` from a coincidence matrix.

    Parameters
    ----------
    o : ndarray
        ``k x k`` coincidences (:func:`coincidences`).
    level : {"nominal", "ordinal", "interval", "ratio"}
    values : ndarray, optional
        Numeric value of each category (interval and ratio).

    Returns
    -------
    float
        NaN when there is no pairable value or the expected disagreement is zero.

    Examples
    --------
    Krippendorff (2011)'s coincidence matrix of his 4 observers x 12 units (values 1..5): alpha 0.743
    (nominal), 0.849 (interval):

    >>> import numpy as np
    >>> o = np.array([[21, 4, 1, 1, 0], [4, 30, 4, 1, 0], [1, 4, 24, 1, 0], [1, 1, 1, 12, 0], [0, 0, 0, 0, 9]]) / 3
    >>> round(alpha_from_coincidences(o, "nominal"), 3), round(alpha_from_coincidences(o, "interval", np.arange(1, 6)), 3)
    (0.743, 0.849)
    """
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; choose one of {LEVELS}")
    o = np.asarray(o, dtype=np.float64)
    nc = o.sum(axis=1)
    n = float(nc.sum())
    if n <= 1.0:
        return float("nan")
    if level in ("interval", "ratio") and values is None:
        raise ValueError(f"level={level!r} needs the categories' numeric values")
    delta = krippendorff_delta(level, None if values is None else np.asarray(values, dtype=np.float64), nc)
    de = float(nc @ delta @ nc)
    if de <= EPS:
        return float("nan")
    return 1.0 - (n - 1.0) * float((o * delta).sum()) / de


def alpha_from_counts(
    counts: np.ndarray, level: str, *, values: np.ndarray | None = None, multiplicity: np.ndarray | None = None
) -> UnitCounts:
    """Krippendorff's alpha from ``units x categories`` counts (optionally count profiles with multiplicities).

    Examples
    --------
    Krippendorff (2011)'s 12 units as category counts (values 1..5), alpha 0.743 (nominal):

    >>> import numpy as np
    >>> counts = np.array([[3, 0, 0, 0, 0], [0, 3, 1, 0, 0], [0, 0, 4, 0, 0], [0, 0, 4, 0, 0],
    ...                    [0, 4, 0, 0, 0], [1, 1, 1, 1, 0], [0, 0, 0, 4, 0], [3, 1, 0, 0, 0],
    ...                    [0, 4, 0, 0, 0], [0, 0, 0, 0, 3], [2, 0, 0, 0, 0], [0, 0, 1, 0, 0]])
    >>> res = alpha_from_counts(counts, "nominal")
    >>> round(res.value, 3), res.n_pairable, res.n_skipped
    (0.743, 11, 1)
    """
    c = _count_table(counts, "krippendorff_alpha")
    w = _multiplicity(multiplicity, c.shape[0], "krippendorff_alpha")
    m = c.sum(axis=1)
    mult = np.ones(len(m)) if w is None else w
    n_units, n_pairable = int(round(mult.sum())), int(round(mult[m >= 2].sum()))
    value = alpha_from_coincidences(coincidences(c, w), level, values)
    return UnitCounts(value, n_units, n_pairable, n_units - n_pairable, int(round(mult[m == 0].sum())))
