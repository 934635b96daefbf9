"""Agreement of every pair of raters, rater x rater matrices and group means, with (cluster) bootstrap CIs.

Confusion tables for all rater pairs are built with one :func:`numpy.bincount` over the within-item rater
pairs (no Python loop over items). The bootstrap multiplies a matrix of item weights (resamples x items)
with a sparse item-by-(pair, cell) incidence matrix (:func:`toolkit.resampling.bootstrap_sums`), giving
every resample's pairwise tables at once. The weights resample items (default) or the sampling units named
by ``clusters=``: one column (e.g. the user-prompt pair) or two crossed columns (e.g. user and prompt).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import attrs
import numpy as np
import pandas as pd
from scipy import sparse

from toolkit.agreement.kappa import Level, Weights
from toolkit.agreement.tables import (
    PairTables,
    check_pair_metric,
    group_from_tables,
    group_membership,
    pairwise_from_tables,
)
from toolkit.longform import ClusterKey, CodedLong, ItemKey, from_long, item_cluster_ids
from toolkit.resampling import SeedLike, bootstrap_sums, check_bootstrap

__all__ = ["pairwise_agreement", "pairwise_matrix", "group_agreement"]


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


def _pair_cells(coded: CodedLong) -> _PairCells:
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
    clusters: ClusterKey | None,
) -> tuple[PairTables, np.ndarray | None]:
    """All rater pairs' confusion tables and, with ``n_boot > 0``, every resample's tables ``(n_boot, P, k, k)``."""
    coded = from_long(frame, item=item, rater=rater, label=label, categories=categories, raters=raters)
    design = None if clusters is None else item_cluster_ids(frame, coded.items, item=item, clusters=clusters)
    if coded.n_raters < 2:
        raise ValueError(f"need at least two raters, found {coded.n_raters}: {list(coded.raters)!r}")
    check_pair_metric(metric, weights, level, coded.categories)
    cells = _pair_cells(coded)
    tables = PairTables(coded.raters, coded.categories, cells.pair_a, cells.pair_b, _pair_tables(cells))
    boot = None
    if n_boot > 0:
        k = cells.k
        incidence = sparse.csr_matrix(
            (np.ones(cells.item.size), (cells.item, cells.column)),
            shape=(coded.n_items, cells.n_pairs * k * k),
        )
        sums = bootstrap_sums(incidence, n_boot, seed, clusters=design)
        boot = sums.reshape(n_boot, cells.n_pairs, k, k)
    return tables, boot


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
    clusters: ClusterKey | None = None,
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
        Bootstrap resamples for ``ci_low``/``ci_high`` (0 = no interval, columns are NaN).
    ci : float
        Confidence level of the percentile interval.
    seed : int or numpy.random.Generator or None
        Seed of :func:`numpy.random.default_rng`; the same seed gives identical intervals.
    clusters : str or pair of str, optional
        The bootstrap's sampling unit: a column of ``frame`` holding each item's cluster (one level, e.g.
        the user-prompt pair: clusters are resampled with all their items), or two columns (two crossed
        levels, e.g. ``("user_id", "prompt_id")``: the pigeonhole bootstrap, conservative; see
        :mod:`toolkit.resampling`). Each item must have one id per column. Default: items are resampled.

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
    check. The bootstrap resamples items (or the ``clusters``) with replacement and recomputes every pair
    on the same resample.

    Examples
    --------
    The 3x3 worked example of ``tests/reference/cohen_3x3.md`` (kappa 0.4842 over 19 items) in long
    format, plus a third rater who labelled only the first 10 items:

    >>> import numpy as np, pandas as pd
    >>> table = np.array([[0, 4, 1], [0, 8, 0], [0, 1, 5]])
    >>> a = np.repeat([1, 1, 1, 2, 2, 2, 3, 3, 3], table.ravel())
    >>> b = np.repeat([1, 2, 3, 1, 2, 3, 1, 2, 3], table.ravel())
    >>> long = pd.DataFrame({"item": np.r_[np.arange(19), np.arange(19), np.arange(10)],
    ...                      "rater": ["a"] * 19 + ["b"] * 19 + ["c"] * 10, "label": np.r_[a, b, b[:10]]})
    >>> out = pairwise_agreement(long, item="item", rater="rater", label="label")
    >>> out[["rater_a", "rater_b", "n_items", "value"]].round(4)
      rater_a rater_b  n_items   value
    0       a       b       19  0.4842
    1       a       c       10  0.0909
    2       b       c       10  1.0000

    Resampling the items' clusters (here pairs of consecutive items) instead of the items:

    >>> clustered = long.assign(cluster=long["item"] // 2)
    >>> out = pairwise_agreement(clustered, item="item", rater="rater", label="label", n_boot=200,
    ...                          clusters="cluster")
    >>> out[["rater_a", "rater_b", "value", "ci_low", "ci_high"]].round(2)
      rater_a rater_b  value  ci_low  ci_high
    0       a       b   0.48    0.15     0.80
    1       a       c   0.09    0.00     0.47
    2       b       c   1.00    1.00     1.00
    """
    check_bootstrap(n_boot, ci)
    tables, boot = _pairwise_core(
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
        clusters=clusters,
    )
    return pairwise_from_tables(tables, metric=metric, weights=weights, level=level, boot=boot, ci=ci)


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
        Further keywords for :func:`pairwise_agreement` (``categories``, ``weights``, ``level``, ``n_boot``,
        ``clusters``...).

    Returns
    -------
    DataFrame
        Index and columns are the rater ids in ``order``; entry ``[a, b] == [b, a]``.

    Examples
    --------
    >>> import pandas as pd
    >>> long = pd.DataFrame({"item": [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4],
    ...                      "rater": ["x", "y", "z"] * 4,
    ...                      "label": [0, 0, 1, 1, 1, 1, 0, 1, 0, 1, 1, 0]})
    >>> pairwise_matrix(long, item="item", rater="rater", label="label", metric="percent_agreement",
    ...                 order=["z", "x", "y"])
    rater     z     x     y
    rater
    z      1.00  0.50  0.25
    x      0.50  1.00  0.75
    y      0.25  0.75  1.00
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
    clusters: ClusterKey | None = None,
) -> pd.DataFrame:
    """Mean pairwise agreement within and between rater groups, with item-cluster bootstrap CIs.

    Reproduces the Fig. 3 summary (human-human 0.426, LLM-LLM 0.597, human-LLM 0.300) and adds the
    uncertainty the paper does not report.

    Parameters
    ----------
    frame, item, rater, label, metric, categories, weights, level, clusters
        As in :func:`pairwise_agreement` (``clusters``: the bootstrap's sampling unit, one column or two
        crossed columns; default the item).
    groups : mapping of str to list of rater ids
        Disjoint groups, e.g. ``{"human": ["h1", "h2", "h3"], "llm": [...]}``. Raters outside every
        group are ignored.
    n_boot : int
        Bootstrap resamples (0 = no interval).
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
    Each resample draws items (or ``clusters``) with replacement, recomputes every pairwise table on all
    raters' labels of the drawn items, and averages within blocks; the percentile interval ignores
    resamples where a block mean is undefined.

    Examples
    --------
    Two humans and two judges on 6 binary items; the human-judge block averages 4 pairs:

    >>> import pandas as pd
    >>> labels = {"h1": [1, 1, 0, 0, 1, 0], "h2": [1, 1, 0, 1, 1, 0],
    ...           "j1": [1, 0, 0, 1, 1, 0], "j2": [1, 1, 1, 1, 1, 0]}
    >>> long = pd.DataFrame([(i, r, v[i]) for r, v in labels.items() for i in range(6)],
    ...                     columns=["item", "rater", "label"])
    >>> out = group_agreement(long, item="item", rater="rater", label="label",
    ...                       groups={"human": ["h1", "h2"], "judge": ["j1", "j2"]}, n_boot=200, seed=1)
    >>> out.round(3)
      group_a group_b       metric  n_pairs   mean  ci_low  ci_high
    0   human   human  cohen_kappa        1  0.667   0.000    1.000
    1   judge   judge  cohen_kappa        1  0.333   0.000    1.000
    2   human   judge  cohen_kappa        4  0.476  -0.067    0.838
    """
    check_bootstrap(n_boot, ci)
    ordered = list(group_membership(groups))
    tables, boot = _pairwise_core(
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
        clusters=clusters,
    )
    return group_from_tables(tables, groups, metric=metric, weights=weights, level=level, boot=boot, ci=ci)
