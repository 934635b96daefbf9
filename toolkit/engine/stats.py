"""Statistics at scale: the in-memory agreement and classification frames, computed from reduced counts.

Each function takes a :class:`~toolkit.engine.source.Judgments` (Parquet on disk; reduced here by DuckDB,
or by Dask when ``scheduler=`` is given) or an already :class:`~toolkit.engine.plan.Reduced` study (reduce
once, compute many statistics), and returns the frame of its in-memory namesake, computed by the same
"from tables" functions (:mod:`toolkit.agreement.tables`,
:func:`toolkit.metrics.classification.judge_metrics_from_counts`). Bootstrap intervals resample the
per-cluster counts with :func:`toolkit.resampling.unit_bootstrap_sums`: the in-memory cluster bootstrap's
draws (cluster multiplicities: the counts of ``n`` uniform draws, i.e. multinomial), so the same seed gives
the same interval, to the bit, as the in-memory function on the same judgments.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from toolkit.agreement.kappa import Level, Weights
from toolkit.agreement.majority import majority_from_counts
from toolkit.agreement.pairwise import pairwise_matrix as spread_matrix
from toolkit.agreement.tables import (
    UnitCounts,
    alpha_from_counts,
    check_pair_metric,
    group_from_tables,
    multirater_from_counts,
    pairwise_from_tables,
)
from toolkit.engine.dask_engine import reduce_dask
from toolkit.engine.duck import connect, majority_counts_duckdb, reduce_duckdb
from toolkit.engine.plan import ClusterSpec, Reduced
from toolkit.engine.source import Judgments
from toolkit.longform import numeric_values
from toolkit.metrics.classification import judge_metrics_from_counts
from toolkit.resampling import SeedLike, check_bootstrap, unit_bootstrap_sums

__all__ = [
    "reduce",
    "rater_groups",
    "pairwise_agreement",
    "pairwise_matrix",
    "group_agreement",
    "multirater",
    "krippendorff_alpha",
    "judge_metrics",
    "majority_vote",
]


def reduce(
    source: Judgments,
    *,
    clusters: ClusterSpec = "default",  # type: ignore[assignment]
    raters: Sequence[Hashable] | None = None,
    categories: Sequence[Hashable] | None = None,
    reference: Hashable | None = None,
    scheduler: Any = None,
    **engine: Any,
) -> Reduced:
    """Reduce judgments to per-cluster counts: DuckDB in-process, or Dask when ``scheduler`` is given.

    Parameters
    ----------
    source : Judgments
        Parquet judgments.
    clusters : None, str or pair of str
        Bootstrap unit column(s); default the source's ``cluster`` (and ``cluster2``); ``None``: items.
    raters : sequence, optional
        Raters kept, in this code order (default: all, sorted), as ``raters=`` of the in-memory functions.
    categories : sequence, optional
        Declared categories.
    reference : hashable, optional
        Reference rater (for :func:`judge_metrics`).
    scheduler : str or distributed.Client, optional
        A Dask scheduler address (``"tcp://host:8786"``) or client: compute on the cluster.
    **engine
        DuckDB options (``threads``, ``memory_limit``, ``batch_rows``) or Dask options (``shuffle``).

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> from toolkit.engine.source import write_judgments
    >>> frame = pd.DataFrame({"item": [1, 1, 2, 2], "rater": ["a", "b", "a", "b"], "label": [1, 1, 0, 1]})
    >>> red = reduce(write_judgments(frame, pathlib.Path(tempfile.mkdtemp()) / "j.parquet"), threads=1)
    >>> red.plan.raters.tolist(), red.stats.n_judgments
    (['a', 'b'], 4)
    """
    if scheduler is not None:
        return reduce_dask(source, clusters=clusters, raters=raters, categories=categories, reference=reference,
                           scheduler=scheduler, **engine)
    return reduce_duckdb(source, clusters=clusters, raters=raters, categories=categories, reference=reference,
                         **engine)


def _reduced(data: Judgments | Reduced, **kwargs: Any) -> Reduced:
    return data if isinstance(data, Reduced) else reduce(data, **kwargs)


def _boot_tables(red: Reduced, n_boot: int, seed: SeedLike) -> np.ndarray | None:
    if n_boot == 0:
        return None
    k = len(red.plan.categories)
    sums = unit_bootstrap_sums(red.stats.cells, n_boot, seed, unit_levels=red.plan.unit_levels)
    return sums.reshape(n_boot, -1, k, k)


def pairwise_agreement(
    data: Judgments | Reduced,
    *,
    metric: str = "cohen_kappa",
    weights: Weights = None,
    level: Level | None = None,
    n_boot: int = 0,
    ci: float = 0.95,
    seed: SeedLike = 0,
    **reduce_kw: Any,
) -> pd.DataFrame:
    """:func:`toolkit.agreement.pairwise_agreement` at scale (same columns, same numbers).

    Parameters
    ----------
    data : Judgments or Reduced
        Parquet judgments (reduced here with ``**reduce_kw``, see :func:`reduce`) or a reduced study.
    metric, weights, level, n_boot, ci, seed
        As in :func:`toolkit.agreement.pairwise_agreement`; the bootstrap resamples the reduced study's
        units (its clusters).

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> from toolkit.engine.source import write_judgments
    >>> frame = pd.DataFrame({"item": [1, 1, 2, 2, 3, 3], "rater": ["a", "b"] * 3, "label": [1, 1, 0, 1, 0, 0]})
    >>> spec = write_judgments(frame, pathlib.Path(tempfile.mkdtemp()) / "j.parquet")
    >>> pairwise_agreement(spec, metric="percent_agreement", threads=1)[["rater_a", "rater_b", "n_items", "value"]]
      rater_a rater_b  n_items     value
    0       a       b        3  0.666667
    """
    check_bootstrap(n_boot, ci)
    red = _reduced(data, **reduce_kw)
    tables = red.pair_tables()
    check_pair_metric(metric, weights, level, tables.categories)
    return pairwise_from_tables(tables, metric=metric, weights=weights, level=level,
                                boot=_boot_tables(red, n_boot, seed), ci=ci)


def pairwise_matrix(
    data: Judgments | Reduced, *, order: Sequence[Hashable] | None = None, value: str = "value",
    diagonal: float = 1.0, **kwargs: Any,
) -> pd.DataFrame:
    """The rater x rater matrix of :func:`pairwise_agreement` (see :func:`toolkit.agreement.pairwise_matrix`).

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> from toolkit.engine.source import write_judgments
    >>> frame = pd.DataFrame({"item": [1, 1, 2, 2], "rater": ["a", "b"] * 2, "label": [1, 1, 0, 1]})
    >>> spec = write_judgments(frame, pathlib.Path(tempfile.mkdtemp()) / "j.parquet")
    >>> pairwise_matrix(spec, metric="percent_agreement", threads=1).values.tolist()
    [[1.0, 0.5], [0.5, 1.0]]
    """
    return spread_matrix(pairwise_agreement(data, **kwargs), order=order, value=value, diagonal=diagonal)


def rater_groups(source: Judgments, **engine: Any) -> dict[str, list[Hashable]]:
    """Group name -> sorted rater ids, read from the source's ``group`` column (groups sorted by name).

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> from toolkit.engine.source import write_judgments
    >>> frame = pd.DataFrame({"item": [1, 1], "rater": ["h1", "j1"], "label": [1, 0], "kind": ["human", "llm"]})
    >>> rater_groups(write_judgments(frame, pathlib.Path(tempfile.mkdtemp()) / "j.parquet", group="kind"))
    {'human': ['h1'], 'llm': ['j1']}
    """
    if source.group is None:
        raise ValueError("the source has no group column; pass groups= explicitly")
    con = connect(**engine)
    try:
        files = ", ".join("'" + p.replace("'", "''") + "'" for p in source.paths)
        g, r = '"' + source.group.replace('"', '""') + '"', '"' + source.rater.replace('"', '""') + '"'
        rows = con.execute(f"SELECT DISTINCT {g}, {r} FROM read_parquet([{files}])").fetchall()
    finally:
        con.close()
    out: dict[str, list[Hashable]] = {}
    for group, rater in rows:
        if group is None:
            raise ValueError(f"rater {rater!r} has no group in column {source.group!r}")
        out.setdefault(str(group), []).append(rater)
    return {name: sorted(out[name]) for name in sorted(out)}


def group_agreement(
    data: Judgments | Reduced,
    *,
    groups: Mapping[str, Sequence[Hashable]] | None = None,
    metric: str = "cohen_kappa",
    weights: Weights = None,
    level: Level | None = None,
    n_boot: int = 1000,
    ci: float = 0.95,
    seed: SeedLike = 0,
    **reduce_kw: Any,
) -> pd.DataFrame:
    """:func:`toolkit.agreement.group_agreement` at scale (same columns, same numbers).

    ``groups`` defaults to the source's ``group`` column (:func:`rater_groups`). The study is reduced to the
    grouped raters, in group order, exactly as the in-memory function selects them.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> from toolkit.engine.source import write_judgments
    >>> labels = {"h1": [1, 1, 0, 0], "h2": [1, 1, 0, 1], "j1": [1, 0, 0, 1]}
    >>> frame = pd.DataFrame([(i, r, v[i], "human" if r[0] == "h" else "llm", i // 2)
    ...                       for r, v in labels.items() for i in range(4)],
    ...                      columns=["item", "rater", "label", "group", "cluster"])
    >>> spec = write_judgments(frame, pathlib.Path(tempfile.mkdtemp()) / "j.parquet", group="group", cluster="cluster")
    >>> group_agreement(spec, metric="percent_agreement", n_boot=0, threads=1)[["group_a", "group_b", "n_pairs", "mean"]]
      group_a group_b  n_pairs   mean
    0   human   human        1  0.750
    1     llm     llm        0    NaN
    2   human     llm        2  0.625
    """
    check_bootstrap(n_boot, ci)
    if groups is None:
        if isinstance(data, Reduced):
            raise ValueError("a reduced study needs groups= (the groups were not kept)")
        engine = {k: v for k, v in reduce_kw.items() if k in ("threads", "memory_limit")}
        groups = rater_groups(data, **engine)
    ordered = [r for members in groups.values() for r in members]
    red = _reduced(data, raters=ordered, **reduce_kw)
    return group_from_tables(red.pair_tables(), groups, metric=metric, weights=weights, level=level,
                             boot=_boot_tables(red, n_boot, seed), ci=ci)


def multirater(data: Judgments | Reduced, metric: str = "fleiss_kappa", **reduce_kw: Any) -> UnitCounts:
    """Fleiss' kappa, Gwet's AC1 or percent agreement from the items' count profiles.

    Equals :func:`toolkit.agreement.fleiss_kappa` (``gwet_ac1``, ``percent_agreement``) on the same
    judgments to rounding (about 1e-15: the same sums in another order).

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> from toolkit.engine.source import write_judgments
    >>> frame = pd.DataFrame({"item": [1, 1, 1, 2, 2, 3], "rater": ["a", "b", "c", "a", "b", "a"],
    ...                       "label": [1, 1, 0, 0, 0, 1]})
    >>> res = multirater(write_judgments(frame, pathlib.Path(tempfile.mkdtemp()) / "j.parquet"),
    ...                  "percent_agreement", threads=1)
    >>> round(res.value, 4), res.n_pairable, res.n_skipped
    (0.6667, 2, 1)
    """
    red = _reduced(data, **reduce_kw)
    return multirater_from_counts(red.stats.profiles, metric, n_categories=len(red.plan.categories),
                                  multiplicity=red.stats.multiplicity)


def krippendorff_alpha(data: Judgments | Reduced, *, level: Level, **reduce_kw: Any) -> UnitCounts:
    """Krippendorff's alpha from the coincidences of the items' count profiles (units < 2 values skipped).

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> from toolkit.engine.source import write_judgments
    >>> frame = pd.DataFrame({"item": [1, 1, 2, 2, 3], "rater": ["a", "b", "a", "b", "a"], "label": [1, 1, 0, 1, 1]})
    >>> res = krippendorff_alpha(write_judgments(frame, pathlib.Path(tempfile.mkdtemp()) / "j.parquet"),
    ...                          level="nominal", threads=1)
    >>> round(res.value, 4), res.n_skipped
    (0.0, 1)
    """
    red = _reduced(data, **reduce_kw)
    cats = red.plan.categories
    values = numeric_values(cats, f"level={level!r}") if level in ("interval", "ratio") else None
    return alpha_from_counts(red.stats.profiles, level, values=values, multiplicity=red.stats.multiplicity)


def judge_metrics(
    data: Judgments | Reduced,
    *,
    reference: Hashable,
    positive: Hashable = True,
    n_boot: int = 1000,
    ci: float = 0.95,
    seed: SeedLike = 0,
    **reduce_kw: Any,
) -> pd.DataFrame:
    """:func:`toolkit.metrics.judge_metrics` at scale, every other rater scored against a reference rater.

    The counts come from the (reference, judge) confusion tables; the bootstrap resamples the clusters of
    the items the reference and a judge both rated (the in-memory function's units, in its order), so its
    intervals equal ``judge_metrics(judges, reference_labels, ..., clusters=...)`` to the bit. One cluster
    level (or none) only.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> from toolkit.engine.source import write_judgments
    >>> frame = pd.DataFrame({"item": [1, 1, 2, 2, 3, 3], "rater": ["ref", "j1"] * 3,
    ...                       "label": [True, True, False, True, True, False]})
    >>> out = judge_metrics(write_judgments(frame, pathlib.Path(tempfile.mkdtemp()) / "j.parquet"),
    ...                     reference="ref", n_boot=0, threads=1)
    >>> out[out.metric.isin(["accuracy", "recall"])][["rater", "metric", "value", "n_items"]]
      rater    metric     value  n_items
    0    j1  accuracy  0.333333        3
    2    j1    recall  0.500000        3
    """
    check_bootstrap(n_boot, ci)
    red = data if isinstance(data, Reduced) else reduce(data, reference=reference, **reduce_kw)
    plan, stats = red.plan, red.stats
    if plan.reference is None or stats.first_reference_item is None:
        raise ValueError("the reduced study has no reference rater; reduce it with reference=")
    cats = list(plan.categories)
    if len(cats) != 2:
        raise ValueError(f"judge_metrics needs binary labels, found {len(cats)} categories {cats[:5]!r}")
    hits = [i for i, c in enumerate(cats) if c == positive]
    if not hits:
        raise ValueError(f"positive={positive!r} is not one of the labels {cats!r}")
    pos, ref = hits[0], plan.reference
    n_r = len(plan.raters)
    pair_index = {(int(a), int(b)): i for i, (a, b) in enumerate(zip(*np.triu_indices(n_r, k=1), strict=True))}
    judges = [j for j in range(n_r) if j != ref]
    columns = np.empty(len(judges) * 4, dtype=np.int64)
    for jpos, j in enumerate(judges):
        pair = pair_index[(min(ref, j), max(ref, j))]
        for lr in range(2):
            for lj in range(2):
                la, lb = (lr, lj) if ref < j else (lj, lr)
                cell = 2 * int(lj != pos) + int(lr != pos)  # TP 0, FP 1, FN 2, TN 3
                columns[jpos * 4 + cell] = pair * 4 + la * 2 + lb
    eligible = np.flatnonzero(stats.first_reference_item < np.iinfo(np.int64).max)
    order = eligible[np.argsort(stats.first_reference_item[eligible], kind="stable")]
    unit_sums = stats.cells[order][:, columns]
    counts = unit_sums.sum(axis=0, dtype=np.float64).reshape(len(judges), 4)
    boot = None
    if n_boot > 0:
        if plan.unit_levels is not None:
            raise ValueError("judge_metrics at scale resamples one cluster level; give clusters= one column")
        boot = unit_bootstrap_sums(unit_sums, n_boot, seed).reshape(n_boot, len(judges), 4)
    return judge_metrics_from_counts(plan.raters[judges], counts.astype(np.int64), boot, ci)


def majority_vote(
    source: Judgments, *, raters: Sequence[Hashable] | None = None, categories: Sequence[Hashable] | None = None,
    ties: str = "flag", **engine: Any,
) -> pd.DataFrame:
    """:func:`toolkit.agreement.majority_vote` of every item with DuckDB (one row per item, items sorted).

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> from toolkit.engine.source import write_judgments
    >>> frame = pd.DataFrame({"item": [1, 1, 1, 2, 2], "rater": ["a", "b", "c", "a", "b"],
    ...                       "label": [True, True, False, True, False]})
    >>> majority_vote(write_judgments(frame, pathlib.Path(tempfile.mkdtemp()) / "j.parquet"), threads=1)
       item  label  n_raters  n_votes     share    tie
    0     1   True         3        2  0.666667  False
    1     2   <NA>         2        1  0.500000   True
    """
    keys, counts, cats = majority_counts_duckdb(source, raters=raters, categories=categories, **engine)
    return majority_from_counts(counts, cats, keys, ties=ties)  # type: ignore[arg-type]
