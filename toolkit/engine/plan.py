"""What both engines agree on before reading a judgment: the dictionaries (codes) and the reduced result.

The codes follow the in-memory path (:func:`toolkit.longform.from_long`, :func:`toolkit.resampling.cluster_codes`)
exactly, so the engines' numbers equal the in-memory ones: raters and categories sorted (or as declared),
clusters numbered in order of their first item (items sorted by id), two crossed levels combined into the
occupied cells sorted by ``a * n_b + b``.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import attrs
import numpy as np
import pandas as pd

from toolkit.agreement.tables import PairTables
from toolkit.engine.kernel import UnitStats

__all__ = [
    "Plan", "Reduced", "unit_plan", "plan_from_values", "rater_dictionary", "check_categories_seen", "ClusterSpec",
    "cluster_columns",
]

#: ``None`` (no bootstrap unit: the items), one column, or two crossed columns.
ClusterSpec = str | tuple[str, str] | None


def cluster_columns(clusters: ClusterSpec) -> list[str]:
    """The cluster spec as a list of 0, 1 or 2 column names.

    Examples
    --------
    >>> cluster_columns(None), cluster_columns("prompt"), cluster_columns(("user", "prompt"))
    ([], ['prompt'], ['user', 'prompt'])
    """
    if clusters is None:
        return []
    cols = [clusters] if isinstance(clusters, str) else list(clusters)
    if len(cols) not in (1, 2) or len(set(cols)) != len(cols) or not all(isinstance(c, str) for c in cols):
        raise ValueError(f"clusters must name one column or two distinct columns, got {clusters!r}")
    return cols


@attrs.frozen
class Plan:
    """The dictionaries of one engine run.

    Attributes
    ----------
    raters, categories : ndarray
        Ids in code order.
    units : DataFrame
        One row per sampling unit in code order: the level value(s) (columns ``c1`` [, ``c2``]) and
        ``first`` (its smallest item key).
    unit_levels : tuple or None
        For two crossed levels, ``(level code per unit, number of level units)`` per level (the argument of
        :func:`toolkit.resampling.unit_bootstrap_sums`); ``None`` for one level.
    reference : int or None
        Code of the reference rater, if any.

    Examples
    --------
    >>> plan = unit_plan(np.array(["a", "b"], dtype=object), np.array([0, 1]),
    ...                  pd.DataFrame({"c1": ["p2", "p1"], "first": [5, 1]}))
    >>> plan.units["c1"].tolist(), plan.n_units, plan.unit_levels is None
    (['p1', 'p2'], 2, True)
    """

    raters: np.ndarray
    categories: np.ndarray
    units: pd.DataFrame
    unit_levels: tuple[tuple[np.ndarray, int], ...] | None
    reference: int | None = None

    @property
    def n_units(self) -> int:
        """Number of sampling units."""
        return len(self.units)


def unit_plan(
    raters: np.ndarray, categories: np.ndarray, units: pd.DataFrame, reference: Hashable | None = None
) -> Plan:
    """Order the units as the in-memory bootstrap does; ``units`` has ``c1`` [, ``c2``] and ``first``.

    Raises
    ------
    ValueError
        An unknown reference rater.
    """
    units = units.reset_index(drop=True)
    if "c2" not in units.columns:
        ordered = units.sort_values("first", kind="stable").reset_index(drop=True)
        levels = None
    else:
        first_a = units.groupby("c1", sort=False)["first"].min().sort_values(kind="stable")
        first_b = units.groupby("c2", sort=False)["first"].min().sort_values(kind="stable")
        code_a = pd.Series(np.arange(len(first_a)), index=first_a.index)
        code_b = pd.Series(np.arange(len(first_b)), index=first_b.index)
        a = code_a.loc[units["c1"]].to_numpy()
        b = code_b.loc[units["c2"]].to_numpy()
        combined = a * len(first_b) + b
        order = np.argsort(combined, kind="stable")
        ordered = units.iloc[order].reset_index(drop=True)
        levels = ((a[order], len(first_a)), (b[order], len(first_b)))
    ref = None
    if reference is not None:
        hits = np.flatnonzero(np.asarray([r == reference for r in raters]))
        if hits.size == 0:
            raise ValueError(f"reference rater {reference!r} not found among the raters {list(raters)[:10]!r}")
        ref = int(hits[0])
    return Plan(raters, categories, ordered, levels, ref)


def rater_dictionary(seen: Sequence[Hashable], wanted: Sequence[Hashable] | None) -> np.ndarray:
    """Rater ids in code order: ``wanted`` as given (each must be present), else the sorted ids seen.

    Examples
    --------
    >>> rater_dictionary(["b", "a"], None).tolist(), rater_dictionary(["b", "a"], ["b", "a"]).tolist()
    (['a', 'b'], ['b', 'a'])
    """
    if wanted is None:
        try:
            ids = sorted(seen)
        except TypeError:
            ids = list(seen)
    else:
        ids = list(wanted)
        if len(set(ids)) != len(ids):
            raise ValueError(f"raters contain duplicates: {ids!r}")
        present = set(seen)
        unknown = [r for r in ids if r not in present]
        if unknown:
            raise ValueError(f"raters not found among the judgments: {unknown!r}")
    out = np.empty(len(ids), dtype=object)
    out[:] = ids
    return out


def plan_from_values(
    raters_seen: Sequence[Hashable],
    labels_seen: Sequence[Hashable],
    wanted: Sequence[Hashable] | None,
    categories: Sequence[Hashable] | None,
    reference: Hashable | None,
    units,  # noqa: ANN001 - a callable returning the units frame (computed only once the ids are checked)
) -> Plan:
    """The :class:`Plan` from the distinct raters and labels an engine found and its units frame.

    Examples
    --------
    >>> plan = plan_from_values(["b", "a"], [1, 0], None, None, None,
    ...                         lambda: pd.DataFrame({"c1": ["p"], "first": [3]}))
    >>> plan.raters.tolist(), plan.categories.tolist(), plan.n_units
    (['a', 'b'], [0, 1], 1)
    """
    raters = rater_dictionary(raters_seen, wanted)
    if len(raters) < 2:
        raise ValueError(f"need at least two raters, found {len(raters)}: {list(raters)!r}")
    cats = check_categories_seen(labels_seen, categories)
    return unit_plan(raters, cats, units(), reference)


def check_categories_seen(seen: Sequence[Hashable], categories: Sequence[Hashable] | None) -> np.ndarray:
    """The category dictionary: ``categories`` as declared (every label seen must be one), else the sorted labels.

    Examples
    --------
    >>> check_categories_seen([True, False], None).tolist()
    [False, True]
    >>> check_categories_seen([1, 4], [1, 2, 3])
    Traceback (most recent call last):
    ...
    ValueError: labels outside the declared categories: [4]
    """
    seen_list = list(seen)
    if categories is None:
        try:
            cats = sorted(seen_list)
        except TypeError as exc:
            raise ValueError(f"labels of mixed, unorderable types: {seen_list[:5]!r}") from exc
        if len(cats) < 2:
            raise ValueError(f"a single category {cats!r}: agreement on one category is undefined; declare categories")
        return np.asarray(cats)
    declared = list(categories)
    if len(declared) < 2 or len(set(declared)) != len(declared):
        raise ValueError(f"categories must be at least two distinct values, got {declared!r}")
    outside = [v for v in seen_list if v not in set(declared)]
    if outside:
        raise ValueError(f"labels outside the declared categories: {outside[:10]!r}")
    return np.asarray(declared)


@attrs.frozen
class Reduced:
    """A study reduced by an engine: the plan (dictionaries) and the per-unit counts.

    Examples
    --------
    >>> from toolkit.engine.kernel import Accumulator, Codes
    >>> acc = Accumulator(1, 2, 2)
    >>> acc.add(Codes(np.array([0, 0]), np.array([1, 1]), np.array([0, 1]), np.array([0, 0])))
    >>> plan = unit_plan(np.array(["a", "b"], dtype=object), np.array([0, 1]), pd.DataFrame({"c1": [9], "first": [1]}))
    >>> Reduced(plan, acc.result()).pair_tables().counts.tolist()
    [[[1.0, 0.0], [0.0, 0.0]]]
    """

    plan: Plan
    stats: UnitStats

    def pair_tables(self) -> PairTables:
        """Every rater pair's confusion table over all units (:class:`toolkit.agreement.PairTables`)."""
        return PairTables.all_pairs(self.plan.raters, self.plan.categories, self.stats.pair_totals())
