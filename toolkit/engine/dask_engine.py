"""The cluster engine: the same per-unit counts computed by Dask DataFrame over the same Parquet.

Dask reads the Parquet partitions, the dictionaries are computed with Dask aggregations and built by the
same :func:`toolkit.engine.plan.plan_from_values` as the DuckDB path, the rows are shuffled so that every
sampling unit sits in one partition, and each partition runs :class:`toolkit.engine.kernel.Accumulator` on
a worker. The client adds the partitions' integer counts, so the result equals the DuckDB path's exactly.
``dask`` and ``distributed`` (the ``cluster`` extra) are imported only here, inside the functions.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from toolkit.engine.kernel import Accumulator, Codes, UngroupedStream, UnitStats
from toolkit.engine.plan import ClusterSpec, Reduced, cluster_columns, plan_from_values
from toolkit.engine.source import Judgments

__all__ = ["reduce_dask", "partition_stats"]


def partition_stats(
    part: pd.DataFrame,
    raters: np.ndarray,
    categories: np.ndarray,
    units: pd.DataFrame,
    item_keys: pd.Index | None,
    reference: int | None,
) -> tuple[np.ndarray, UnitStats] | None:
    """One partition's counts: (global codes of its units, their :class:`UnitStats`); None when empty.

    Examples
    --------
    >>> part = pd.DataFrame({"item": [1, 1], "rater": ["a", "b"], "label": [0, 0], "c1": ["p", "p"]})
    >>> units = pd.DataFrame({"c1": ["p"], "code": [0]})
    >>> codes, stats = partition_stats(part, np.array(["a", "b"], dtype=object), np.array([0, 1]), units, None, None)
    >>> codes.tolist(), stats.cells.tolist()
    ([0], [[1.0, 0.0, 0.0, 0.0]])
    """
    if len(part) == 0:
        return None
    levels = [c for c in ("c1", "c2") if c in units.columns]
    ik = (part["item"].to_numpy(dtype=np.int64) if item_keys is None
          else item_keys.get_indexer(part["item"].astype(object)).astype(np.int64))
    if levels:
        unit = part[levels].astype(object).merge(units.astype({c: object for c in levels}), on=levels,
                                                  how="left")["code"].to_numpy(dtype=np.int64)
    else:
        unit = pd.Index(units["c1"]).get_indexer(ik)
    rater = pd.Index(raters).get_indexer(part["rater"].astype(object))
    label = pd.Index(categories).get_indexer(part["label"].to_numpy())
    if (rater < 0).any() or (label < 0).any() or (unit < 0).any():
        raise ValueError("a partition holds a rater, label or cluster absent from the dictionaries")
    present = np.unique(unit)
    acc = Accumulator(len(present), len(raters), len(categories), reference)
    acc.add(Codes(np.searchsorted(present, unit), ik, rater, label))
    return present, acc.result()


def _with_shared(part: pd.DataFrame, shared: tuple) -> tuple[np.ndarray, UnitStats] | None:
    return partition_stats(part, *shared)


def reduce_dask(
    source: Judgments,
    *,
    scheduler: Any,
    clusters: ClusterSpec = "default",  # type: ignore[assignment]
    raters: Sequence[Hashable] | None = None,
    categories: Sequence[Hashable] | None = None,
    reference: Hashable | None = None,
    shuffle: bool = True,
) -> Reduced:
    """:func:`toolkit.engine.duck.reduce_duckdb` on a Dask cluster (identical result).

    Parameters
    ----------
    source, clusters, raters, categories, reference
        As in :func:`toolkit.engine.reduce`.
    scheduler : str or distributed.Client
        Scheduler address or a connected client.
    shuffle : bool
        Shuffle rows so every unit is in one partition (default). ``False`` when the partitions already hold
        whole clusters (e.g. files written by cluster); a cluster split across partitions is then an error.

    Examples
    --------
    See ``tests/toolkit/engine/test_dask.py`` (a local two-worker cluster).
    """
    import dask
    import dask.dataframe as dd
    from distributed import Client

    if clusters == "default":
        clusters = None if source.cluster is None else (
            source.cluster if source.cluster2 is None else (source.cluster, source.cluster2))
    levels = cluster_columns(clusters)
    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
    try:
        names = {source.item: "item", source.rater: "rater", source.label: "label"}
        names.update({c: f"c{i + 1}" for i, c in enumerate(levels)})
        ddf = dd.read_parquet(list(source.paths), columns=list(names)).rename(columns=names)
        for col in ddf.columns:
            if ddf[col].dtype == "category":
                ddf[col] = ddf[col].astype(object)
        if raters is not None:
            ddf = ddf[ddf["rater"].isin(list(raters))]
        missing, seen_raters, seen_labels = dask.compute(ddf.isna().sum(), ddf["rater"].unique(), ddf["label"].unique())
        inverse = {v: k for k, v in names.items()}
        for col, n in missing.items():
            if n:
                raise ValueError(f"{source.paths[0]}: column {inverse[col]!r} has {int(n)} missing values")
        integer_items = getattr(ddf["item"].dtype, "kind", "O") in "iu"
        item_keys = None
        if not integer_items:
            item_keys = pd.Index(sorted(ddf["item"].unique().compute().tolist()))
            ddf = ddf.assign(ik=ddf["item"].map_partitions(
                lambda s, keys=item_keys: pd.Series(keys.get_indexer(s.astype(object)), index=s.index), meta=("ik", "i8")))
        else:
            ddf = ddf.assign(ik=ddf["item"].astype("int64"))
        lv = [f"c{i + 1}" for i in range(len(levels))]

        def units_frame() -> pd.DataFrame:
            if not lv:
                first = ddf["ik"].unique().compute().to_numpy()
                return pd.DataFrame({"c1": first, "first": first})
            return ddf.groupby(lv)["ik"].min().compute().rename("first").reset_index()

        plan = plan_from_values(list(seen_raters), list(seen_labels), raters, categories, reference, units_frame)
        if lv:
            bad = ddf.groupby("ik")[lv[0]].nunique()
            for extra in lv[1:]:
                bad = bad.combine(ddf.groupby("ik")[extra].nunique(), max)
            worst = bad[bad > 1].head(1, npartitions=-1)
            if len(worst):
                ik = int(worst.index[0])
                item = ik if item_keys is None else item_keys[ik]
                raise ValueError(f"{source.paths[0]}: item {item!r} has more than one cluster id in {levels}; "
                                 "an item must belong to one cluster")
        units = plan.units.drop(columns="first").assign(code=np.arange(plan.n_units))
        if shuffle:
            ddf = ddf.shuffle(on=lv[0] if lv else "ik")
        parts = ddf.to_delayed()
        shared = dask.delayed((plan.raters, plan.categories, units, item_keys, plan.reference), pure=True)
        tasks = [dask.delayed(_with_shared)(p, shared) for p in parts]
        results = client.gather(client.compute(tasks))
        acc = Accumulator(plan.n_units, len(plan.raters), len(plan.categories), plan.reference)
        for res in results:
            if res is None:
                continue
            present, stats = res
            try:
                acc.merge(stats, present)
            except UngroupedStream:
                raise ValueError("a cluster is split across partitions; reduce with shuffle=True") from None
        return Reduced(plan, acc.result())
    finally:
        if client is not scheduler:
            client.close()
