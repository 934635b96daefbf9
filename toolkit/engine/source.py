"""Judgments on disk: the long-format Parquet contract the engines read, writers, and the dataset adapter.

The contract is :mod:`toolkit.longform`'s, one column each: ``item``, ``rater``, ``label``, the sampling unit
``cluster`` (and optionally a second, crossed level ``cluster2``) and the rater ``group``. Other names are
declared on :class:`Judgments` (crowd-kit's ``task, worker, label``: :meth:`Judgments.crowdkit`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import attrs
import pandas as pd

from toolkit.dataset import Dataset, find_record_file
from toolkit.views import relevance_long
from toolkit.vocabulary import ITEM_SEPARATOR

__all__ = ["Judgments", "write_judgments", "relevance_judgments"]


def _paths(value: str | Path | Sequence[str | Path]) -> tuple[str, ...]:
    items = [value] if isinstance(value, str | Path) else list(value)
    if not items:
        raise ValueError("Judgments needs at least one Parquet file")
    return tuple(str(p) for p in items)


@attrs.frozen
class Judgments:
    """Long-format judgments in Parquet file(s) and the names of their columns.

    Attributes
    ----------
    paths : tuple of str
        Parquet files (or globs) read as one table.
    item, rater, label : str
        Columns: one item id (any orderable type; integers are used as they are), rater id, label.
    cluster : str or None
        The bootstrap's sampling unit (e.g. the prompt); ``None``: no cluster bootstrap.
    cluster2 : str or None
        A second, crossed level (e.g. the user), resampled by the pigeonhole bootstrap.
    group : str or None
        The rater's group (used by :func:`toolkit.engine.group_agreement` when no groups are given).

    Examples
    --------
    >>> Judgments("study.parquet").columns()
    {'item': 'item', 'rater': 'rater', 'label': 'label', 'cluster': 'cluster', 'cluster2': None, 'group': 'group'}
    >>> Judgments.crowdkit("crowd.parquet").item
    'task'
    """

    paths: tuple[str, ...] = attrs.field(converter=_paths)
    item: str = "item"
    rater: str = "rater"
    label: str = "label"
    cluster: str | None = "cluster"
    cluster2: str | None = None
    group: str | None = "group"

    @classmethod
    def crowdkit(cls, paths: str | Path | Sequence[str | Path], **kwargs: str | None) -> Judgments:
        """crowd-kit's column names: ``task`` (item), ``worker`` (rater), ``label``; no cluster or group."""
        base: dict[str, str | None] = {"item": "task", "rater": "worker", "cluster": None, "group": None}
        return cls(paths, **{**base, **kwargs})  # type: ignore[arg-type]

    def columns(self) -> dict[str, str | None]:
        """Role -> column name."""
        return {"item": self.item, "rater": self.rater, "label": self.label, "cluster": self.cluster,
                "cluster2": self.cluster2, "group": self.group}


def write_judgments(
    frame: pd.DataFrame,
    path: str | Path,
    *,
    item: str = "item",
    rater: str = "rater",
    label: str = "label",
    cluster: str | None = None,
    cluster2: str | None = None,
    group: str | None = None,
    row_group_size: int = 1_000_000,
) -> Judgments:
    """Write a long frame as a contract Parquet file (columns renamed to the contract); return its spec.

    Rows are written sorted by cluster then item (when there is a cluster), so the engines read every
    cluster as one run and need not sort.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> frame = pd.DataFrame({"task": ["t1", "t1", "t2"], "worker": ["w1", "w2", "w1"], "label": [1, 0, 1]})
    >>> spec = write_judgments(frame, pathlib.Path(tempfile.mkdtemp()) / "j.parquet", item="task", rater="worker")
    >>> spec.cluster is None, pd.read_parquet(spec.paths[0]).columns.tolist()
    (True, ['item', 'rater', 'label'])
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    roles = {"item": item, "rater": rater, "label": label, "cluster": cluster, "cluster2": cluster2, "group": group}
    used = {role: col for role, col in roles.items() if col is not None}
    absent = [c for c in used.values() if c not in frame.columns]
    if absent:
        raise ValueError(f"frame has no column(s) {absent}; columns are {list(frame.columns)}")
    out = frame[list(used.values())].rename(columns={c: r for r, c in used.items()})
    for role in used:
        n_missing = int(out[role].isna().sum())
        if n_missing:
            raise ValueError(f"column {used[role]!r} ({role}) has {n_missing} missing values")
    keys = [c for c in ("cluster", "cluster2", "item", "rater") if c in out.columns]
    out = out.sort_values(keys, kind="stable").reset_index(drop=True)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pandas(out, preserve_index=False), path, row_group_size=row_group_size)
    return Judgments(path, cluster="cluster" if cluster else None, cluster2="cluster2" if cluster2 else None,
                     group="group" if group else None)


def relevance_judgments(ds: Dataset, path: str | Path) -> Judgments:
    """A dataset's stage-2 relevance judgments as a contract Parquet file (the engines' input).

    ``item`` is ``user/prompt/attribute`` (``item_id`` of :func:`toolkit.views.relevance_long`), ``cluster``
    the user-prompt pair (stage 2's sampling unit), ``cluster2`` the user, ``label`` ``relevant`` and
    ``group`` the rater's kind. When the dataset holds ``relevance_judgments.parquet`` the conversion runs in
    DuckDB over that file (no frame in memory); otherwise (JSONL) through the view.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from toolkit.dataset import load_dataset
    >>> spec = relevance_judgments(load_dataset(), pathlib.Path(tempfile.mkdtemp()) / "rel.parquet")
    >>> spec.cluster, spec.group
    ('cluster', 'group')
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.require("raters", "relevance_judgments", purpose="the relevance engine input")
    source = find_record_file(Path(ds.path), "relevance_judgments")
    if source is not None and source.name.endswith(".parquet"):
        import duckdb

        kinds = ds.frame("raters")[["rater_id", "kind"]].astype(str)
        sep = ITEM_SEPARATOR.replace("'", "''")
        con = duckdb.connect()
        try:
            con.register("rater_kinds", kinds)
            src = str(source).replace("'", "''")
            dest = str(path).replace("'", "''")
            con.execute(
                f"""COPY (
                    SELECT j.user_id || '{sep}' || j.prompt_id || '{sep}' || j.attribute_id AS item,
                           j.rater_id AS rater, j.relevant AS label,
                           j.user_id || '{sep}' || j.prompt_id AS cluster, j.user_id AS cluster2, k.kind AS "group"
                    FROM read_parquet('{src}') j LEFT JOIN rater_kinds k ON j.rater_id = k.rater_id
                    ORDER BY cluster, item, rater
                ) TO '{dest}' (FORMAT parquet)"""
            )
        finally:
            con.close()
        return Judgments(path, cluster2="cluster2")
    long = relevance_long(ds)
    return write_judgments(long, path, item="item_id", rater="rater_id", label="relevant", cluster="pair_id",
                           cluster2="user_id", group="kind")
