"""The embedded engine: DuckDB (in-process, no server) reduces Parquet judgments to per-unit counts.

DuckDB reads the Parquet files, checks them (missing ids and labels, labels outside the declared categories,
an item in two clusters), builds the dictionaries of :mod:`toolkit.engine.plan` and streams the coded
judgments, in file order, as Arrow batches to :class:`toolkit.engine.kernel.Accumulator`. A file grouped by
cluster (as :func:`toolkit.engine.write_judgments` and the synthetic study write it) is read once without a
sort; otherwise the stream is re-read sorted by unit (DuckDB's external sort, within ``memory_limit``).
Memory: DuckDB's limit plus the per-unit counts (``units x pairs x k^2`` float32) plus one batch.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd

from toolkit.engine.kernel import Accumulator, Codes, UngroupedStream
from toolkit.engine.plan import (
    ClusterSpec,
    Plan,
    Reduced,
    check_categories_seen,
    cluster_columns,
    plan_from_values,
)
from toolkit.engine.source import Judgments

__all__ = ["reduce_duckdb", "connect", "source_sql", "majority_counts_duckdb"]

_INT_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "HUGEINT")


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def connect(threads: int | None = None, memory_limit: str = "1GB", temp_directory: str | None = None):  # noqa: ANN201
    """A DuckDB connection with bounded memory (spilling to ``temp_directory``) and insertion order kept.

    Examples
    --------
    >>> con = connect(threads=1)
    >>> con.execute("SELECT 42").fetchall()
    [(42,)]
    """
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads = {int(threads or os.cpu_count() or 1)}")
    con.execute(f"SET memory_limit = {_lit(memory_limit)}")
    con.execute(f"SET temp_directory = {_lit(temp_directory or tempfile.gettempdir())}")
    con.execute("SET preserve_insertion_order = true")
    return con


def source_sql(source: Judgments, clusters: ClusterSpec) -> str:
    """The ``SELECT`` that renames a source's columns to the contract (``item, rater, label, c1[, c2]``).

    Examples
    --------
    >>> source_sql(Judgments("a.parquet"), "cluster")
    'SELECT "item" AS item, "rater" AS rater, "label" AS label, "cluster" AS c1 FROM read_parquet([\\'a.parquet\\'])'
    """
    cols = [f"{_q(source.item)} AS item", f"{_q(source.rater)} AS rater", f"{_q(source.label)} AS label"]
    names = cluster_columns(clusters)
    cols += [f"{_q(c)} AS c{i + 1}" for i, c in enumerate(names)]
    files = ", ".join(_lit(p) for p in source.paths)
    return f"SELECT {', '.join(cols)} FROM read_parquet([{files}])"


def _prepare(con, source: Judgments, clusters: ClusterSpec, raters: Sequence[Hashable] | None) -> tuple[bool, int]:  # noqa: ANN001
    """Create the view ``src`` (filtered to ``raters``); check missing values; return (integer items?, rows)."""
    con.execute(f"CREATE OR REPLACE TEMP VIEW src_all AS {source_sql(source, clusters)}")
    if raters is not None:
        wanted = list(raters)
        con.register("wanted_raters", pd.DataFrame({"rater": pd.Series(wanted, dtype=object)}))
        con.execute("CREATE OR REPLACE TEMP VIEW src AS SELECT * FROM src_all WHERE rater IN (SELECT rater FROM wanted_raters)")
    else:
        con.execute("CREATE OR REPLACE TEMP VIEW src AS SELECT * FROM src_all")
    roles = ["item", "rater", "label"] + [f"c{i + 1}" for i in range(len(cluster_columns(clusters)))]
    checks = ", ".join(f"count(*) FILTER (WHERE {r} IS NULL)" for r in roles)
    row = con.execute(f"SELECT count(*), {checks} FROM src").fetchone()
    names = {"item": source.item, "rater": source.rater, "label": source.label}
    for i, c in enumerate(cluster_columns(clusters)):
        names[f"c{i + 1}"] = c
    for role, n_missing in zip(roles, row[1:], strict=True):
        if n_missing:
            raise ValueError(f"{source.paths[0]}: column {names[role]!r} has {n_missing} missing values")
    if row[0] == 0:
        raise ValueError(f"{source.paths[0]}: no judgments (after selecting raters)")
    item_type = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE src)").fetchall())["item"]
    return item_type.upper() in _INT_TYPES, int(row[0])


def _plan(con, clusters: ClusterSpec, categories, integer_items: bool, reference, wanted) -> Plan:  # noqa: ANN001
    seen = [r for (r,) in con.execute("SELECT DISTINCT rater FROM src").fetchall()]
    labels = [v for (v,) in con.execute("SELECT DISTINCT label FROM src").fetchall()]
    return plan_from_values(seen, labels, wanted, categories, reference,
                            lambda: _units(con, clusters, integer_items))


def _units(con, clusters: ClusterSpec, integer_items: bool) -> pd.DataFrame:  # noqa: ANN001
    if not integer_items:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE item_keys AS SELECT item, (row_number() OVER (ORDER BY item)) - 1 AS ik "
            "FROM (SELECT DISTINCT item FROM src)"
        )
        con.execute("CREATE OR REPLACE TEMP VIEW keyed AS SELECT s.*, k.ik FROM src s JOIN item_keys k USING (item)")
    else:
        con.execute("CREATE OR REPLACE TEMP VIEW keyed AS SELECT *, item::BIGINT AS ik FROM src")
    n_levels = len(cluster_columns(clusters))
    if n_levels == 0:  # every item its own unit: the in-memory item bootstrap
        units = con.execute("SELECT DISTINCT ik AS c1, ik AS first FROM keyed").df()
    else:
        lv = ", ".join(f"c{i + 1}" for i in range(n_levels))
        units = con.execute(f"SELECT {lv}, min(ik) AS first FROM keyed GROUP BY {lv}").df()
    return units


def _register_dicts(con, plan: Plan, n_levels: int) -> str:  # noqa: ANN001
    """Register the dictionaries; return the SELECT of the coded stream."""
    con.register("rater_codes", pd.DataFrame({"rater": plan.raters, "code": np.arange(len(plan.raters), dtype=np.int16)}))
    con.register("label_codes", pd.DataFrame({"label": plan.categories, "code": np.arange(len(plan.categories), dtype=np.int8)}))
    units = plan.units.drop(columns="first").assign(code=np.arange(plan.n_units, dtype=np.int64))
    con.register("unit_codes", units)
    if n_levels == 0:
        on = "u.c1 = s.ik"
    else:
        on = " AND ".join(f"u.c{i + 1} = s.c{i + 1}" for i in range(n_levels))
    return (
        "SELECT u.code AS unit, s.ik AS ik, r.code AS rater, l.code AS label FROM keyed s "
        f"JOIN unit_codes u ON {on} JOIN rater_codes r ON r.rater = s.rater JOIN label_codes l ON l.label = s.label"
    )


_ENUM_SOURCE = (*_INT_TYPES, "VARCHAR")


def _enum_query(con, plan: Plan, n_levels: int):  # noqa: ANN001, ANN202
    """The coded stream without joins (so DuckDB keeps the file order): ENUM casts give the codes.

    Returns ``(query, order_by, decode)``, or None when a column's type does not allow it (then the joins).
    """
    types = {k: v.upper() for k, v in con.execute("SELECT column_name, column_type FROM (DESCRIBE src)").fetchall()}
    levels = [f"c{i + 1}" for i in range(n_levels)]
    if any(types[c] not in _ENUM_SOURCE for c in [*levels, "rater"]) or types["label"] not in (*_ENUM_SOURCE, "BOOLEAN"):
        return None

    def make_enum(name: str, values: np.ndarray) -> None:
        con.register(f"{name}_values", pd.DataFrame({"v": values, "code": np.arange(len(values))}))
        con.execute(f"DROP TYPE IF EXISTS {name}")
        con.execute(f"CREATE TYPE {name} AS ENUM (SELECT CAST(v AS VARCHAR) FROM {name}_values ORDER BY code)")

    make_enum("rater_enum", plan.raters)
    make_enum("label_enum", plan.categories)
    cols = []
    if n_levels == 1:
        make_enum("unit_enum1", plan.units["c1"].to_numpy())
    elif n_levels == 2:
        assert plan.unit_levels is not None
        for i, (codes, n) in enumerate(plan.unit_levels):
            values = np.empty(n, dtype=object)
            values[codes] = plan.units[f"c{i + 1}"].to_numpy()
            make_enum(f"unit_enum{i + 1}", values)
    cols = [f"CAST(CAST(c{i + 1} AS VARCHAR) AS unit_enum{i + 1}) AS u{i + 1}" for i in range(n_levels)]
    query = (f"SELECT {', '.join([*cols, 'ik'])}, CAST(CAST(rater AS VARCHAR) AS rater_enum) AS r, "
             "CAST(CAST(label AS VARCHAR) AS label_enum) AS l FROM keyed")
    order_by = " ORDER BY " + (", ".join(levels) if levels else "ik")
    if n_levels == 2:
        assert plan.unit_levels is not None
        n_b = plan.unit_levels[1][1]
        combined = plan.unit_levels[0][0].astype(np.int64) * n_b + plan.unit_levels[1][0]
    elif n_levels == 0:
        item_keys = plan.units["c1"].to_numpy(dtype=np.int64)

    def decode(batch) -> list[np.ndarray]:  # noqa: ANN001
        idx = [batch.column(i).indices.to_numpy().astype(np.int64) for i in range(n_levels)]
        ik = batch.column(n_levels).to_numpy()
        if n_levels == 1:
            unit = idx[0]
        elif n_levels == 2:
            unit = np.searchsorted(combined, idx[0] * n_b + idx[1])
        else:
            unit = np.searchsorted(item_keys, ik)
        rater = batch.column(n_levels + 1).indices.to_numpy().astype(np.int64)
        label = batch.column(n_levels + 2).indices.to_numpy().astype(np.int64)
        return [unit, ik, rater, label]

    return query, order_by, decode


def _plain(batch) -> list[np.ndarray]:  # noqa: ANN001
    return [batch.column(i).to_numpy() for i in range(4)]


def _stream(con, query: str, acc: Accumulator, batch_rows: int, decode=_plain) -> bool:  # noqa: ANN001
    """Feed the coded stream to ``acc`` in batches of whole units; return whether items came in order."""
    reader = con.sql(query).to_arrow_reader(batch_rows)
    carry: list[np.ndarray] | None = None
    monotone, last_item = True, None
    try:
        for batch in reader:
            cols = decode(batch)
            if cols[0].size == 0:
                continue
            ik = cols[1]
            if monotone:
                monotone = bool(np.all(ik[1:] >= ik[:-1])) and (last_item is None or ik[0] >= last_item)
                last_item = ik[-1]
            if carry is not None:
                cols = [np.concatenate([c, d]) for c, d in zip(carry, cols, strict=True)]
            unit = cols[0]
            cut = int(np.flatnonzero(np.r_[True, unit[1:] != unit[:-1]])[-1])  # start of the last unit's run
            if cut > 0:
                acc.add(Codes(*(c[:cut] for c in cols)))
            carry = [c[cut:] for c in cols]
    finally:
        reader.close()  # a fallback query may follow on the same connection
    if carry is not None:
        acc.add(Codes(*carry))
    return monotone


def reduce_duckdb(
    source: Judgments,
    *,
    clusters: ClusterSpec = "default",  # type: ignore[assignment]
    raters: Sequence[Hashable] | None = None,
    categories: Sequence[Hashable] | None = None,
    reference: Hashable | None = None,
    threads: int | None = None,
    memory_limit: str = "1GB",
    batch_rows: int = 1 << 20,
) -> Reduced:
    """Reduce Parquet judgments to per-unit pair-cell counts and count profiles with DuckDB.

    Parameters
    ----------
    source : Judgments
        The Parquet file(s) and column names.
    clusters : None, str or pair of str
        The sampling unit(s) of the bootstrap: column names of ``source``; default its ``cluster`` (and
        ``cluster2``); ``None``: the items.
    raters : sequence, optional
        Keep only these raters (their judgments define the items and clusters, as in the in-memory path).
    categories : sequence, optional
        Declared categories (default: the sorted labels).
    reference : hashable, optional
        A reference rater, for :func:`toolkit.engine.judge_metrics`.
    threads, memory_limit : optional
        DuckDB's threads and memory limit (it spills beyond it).
    batch_rows : int
        Rows per Arrow batch handed to the kernel.

    Returns
    -------
    Reduced

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> frame = pd.DataFrame({"item": [1, 1, 2, 2], "rater": ["a", "b", "a", "b"], "label": [1, 1, 0, 1],
    ...                       "cluster": ["p", "p", "q", "q"]})
    >>> from toolkit.engine.source import write_judgments
    >>> spec = write_judgments(frame, pathlib.Path(tempfile.mkdtemp()) / "j.parquet", cluster="cluster")
    >>> reduce_duckdb(spec, threads=1).pair_tables().counts.tolist()
    [[[0.0, 1.0], [0.0, 1.0]]]
    """
    if clusters == "default":
        clusters = None if source.cluster is None else (
            source.cluster if source.cluster2 is None else (source.cluster, source.cluster2))
    n_levels = len(cluster_columns(clusters))
    con = connect(threads, memory_limit)
    try:
        integer_items, _ = _prepare(con, source, clusters, raters)
        plan = _plan(con, clusters, categories, integer_items, reference, raters)
        fast = _enum_query(con, plan, n_levels) if integer_items else None
        if fast is None:
            query, order_by, decode = _register_dicts(con, plan, n_levels), " ORDER BY unit", _plain
        else:
            query, order_by, decode = fast

        def new_acc() -> Accumulator:
            return Accumulator(plan.n_units, len(plan.raters), len(plan.categories), plan.reference)

        acc = new_acc()
        try:
            monotone = _stream(con, query, acc, batch_rows, decode)
        except UngroupedStream:  # not grouped by cluster on disk: DuckDB sorts (spilling past memory_limit)
            acc = new_acc()
            monotone = _stream(con, query + order_by, acc, batch_rows, decode)
        if not monotone and n_levels:
            lv = " OR ".join(f"count(DISTINCT c{i + 1}) > 1" for i in range(n_levels))
            bad = con.execute(f"SELECT item FROM src GROUP BY item HAVING {lv} LIMIT 1").fetchall()
            if bad:
                raise ValueError(f"{source.paths[0]}: item {bad[0][0]!r} has more than one cluster id in "
                                 f"{cluster_columns(clusters)}; an item must belong to one cluster")
        return Reduced(plan, acc.result())
    finally:
        con.close()


def majority_counts_duckdb(
    source: Judgments, *, raters: Sequence[Hashable] | None = None, categories: Sequence[Hashable] | None = None,
    threads: int | None = None, memory_limit: str = "1GB",
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Per-item vote counts (``items x categories``, items sorted) with DuckDB: (item keys, counts, categories).

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> from toolkit.engine.source import write_judgments
    >>> frame = pd.DataFrame({"item": [1, 1, 1, 2], "rater": ["a", "b", "c", "a"], "label": [1, 1, 0, 0]})
    >>> keys, counts, cats = majority_counts_duckdb(write_judgments(frame, pathlib.Path(tempfile.mkdtemp()) / "j.parquet"))
    >>> keys["item"].tolist(), counts.tolist(), cats.tolist()
    ([1, 2], [[1, 2], [1, 0]], [0, 1])
    """
    con = connect(threads, memory_limit)
    try:
        _prepare(con, source, None, raters)
        labels = [v for (v,) in con.execute("SELECT DISTINCT label FROM src").fetchall()]
        cats = check_categories_seen(labels, categories)
        con.register("label_codes", pd.DataFrame({"label": cats, "code": np.arange(len(cats))}))
        sums = ", ".join(f"count(*) FILTER (WHERE l.code = {j}) AS n{j}" for j in range(len(cats)))
        dup = con.execute("SELECT item, rater FROM src GROUP BY item, rater HAVING count(*) > 1 LIMIT 1").fetchall()
        if dup:
            raise ValueError(f"{source.paths[0]}: duplicated (item, rater) judgment {dup[0]!r}; each rater may label an item once")
        frame = con.execute(
            f"SELECT s.item AS item, {sums} FROM src s JOIN label_codes l ON l.label = s.label GROUP BY s.item ORDER BY s.item"
        ).df()
    finally:
        con.close()
    counts = frame[[f"n{j}" for j in range(len(cats))]].to_numpy(dtype=np.int64)
    return frame[["item"]], counts, cats
