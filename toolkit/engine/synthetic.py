"""A synthetic long-format judgment study on disk (Parquet), for the scale benchmark and the engine's tests.

The design mirrors an LLM-as-judge evaluation: items nested in prompts (the clusters), raters in groups
(e.g. human annotators, closed- and open-weight judges), a fixed number of raters per item drawn at random,
binary labels from a latent truth whose base rate varies by prompt (so the cluster bootstrap matters) and
rater-specific sensitivity and specificity.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["write_synthetic_study"]


def write_synthetic_study(
    path: str | Path,
    *,
    n_items: int,
    n_raters: int = 40,
    n_groups: int = 4,
    raters_per_item: int = 10,
    items_per_cluster: int = 100,
    seed: int = 0,
    chunk_items: int = 500_000,
    row_group_size: int = 1_000_000,
) -> Path:
    """Write a synthetic judgment study as one Parquet file in the long format of :mod:`toolkit.engine`.

    Columns: ``item`` (int64), ``rater`` (string, ``g<group>_r<nn>``), ``label`` (bool), ``cluster``
    (int64, the prompt), ``cluster2`` (int64, the user: prompts are nested in users of 10 prompts) and
    ``group`` (string). Rows are written in item order, chunk by chunk, so memory stays bounded by
    ``chunk_items``; the result depends only on the arguments (the chunks draw from one generator).

    Parameters
    ----------
    path : path-like
        The Parquet file to write (its folder is created).
    n_items : int
        Items; ``n_items * raters_per_item`` judgments.
    n_raters, n_groups, raters_per_item, items_per_cluster : int
        Design: raters (split evenly into groups), raters per item (drawn without replacement), items per
        prompt cluster.
    seed : int
        Seed of the generator.
    chunk_items, row_group_size : int
        Items generated at once; Parquet rows per row group.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import tempfile, pathlib, pyarrow.parquet as pq
    >>> out = write_synthetic_study(pathlib.Path(tempfile.mkdtemp()) / "s.parquet", n_items=50, n_raters=8,
    ...                             n_groups=2, raters_per_item=3, items_per_cluster=10)
    >>> table = pq.read_table(out)
    >>> table.num_rows, table.column_names
    (150, ['item', 'rater', 'label', 'cluster', 'cluster2', 'group'])
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not 2 <= raters_per_item <= n_raters or n_groups < 1 or n_raters % n_groups:
        raise ValueError("need 2 <= raters_per_item <= n_raters and n_raters divisible by n_groups")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    per_group = n_raters // n_groups
    group_of = np.arange(n_raters) // per_group
    names = np.array([f"g{g + 1}_r{i:02d}" for i, g in enumerate(group_of)], dtype=object)
    groups = np.array([f"g{g + 1}" for g in group_of], dtype=object)
    # Groups differ in quality; raters vary around their group.
    sens = np.clip(0.55 + 0.1 * group_of + rng.normal(0, 0.05, n_raters), 0.05, 0.99)
    spec = np.clip(0.80 + 0.04 * group_of + rng.normal(0, 0.03, n_raters), 0.05, 0.99)
    n_clusters = -(-n_items // items_per_cluster)
    base = 1.0 / (1.0 + np.exp(-rng.normal(-1.3, 1.0, n_clusters)))  # the prompt effect on relevance
    rater_type = pa.dictionary(pa.int16(), pa.string())
    schema = pa.schema([("item", pa.int64()), ("rater", rater_type), ("label", pa.bool_()),
                        ("cluster", pa.int64()), ("cluster2", pa.int64()), ("group", rater_type)])
    rater_dict, group_dict = pa.array(names.tolist()), pa.array(sorted(set(groups.tolist())))
    group_code = np.searchsorted(np.asarray(sorted(set(groups.tolist())), dtype=object), groups)
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for start in range(0, n_items, chunk_items):
            stop = min(n_items, start + chunk_items)
            n = stop - start
            item = np.arange(start, stop, dtype=np.int64)
            cluster = item // items_per_cluster
            truth = rng.random(n) < base[cluster]
            raters = np.argpartition(rng.random((n, n_raters)), raters_per_item, axis=1)[:, :raters_per_item]
            raters.sort(axis=1)
            r = raters.ravel()
            t = np.repeat(truth, raters_per_item)
            u = rng.random(r.size)
            label = np.where(t, u < sens[r], u >= spec[r])
            table = pa.table(
                {
                    "item": np.repeat(item, raters_per_item),
                    "rater": pa.DictionaryArray.from_arrays(pa.array(r.astype(np.int16)), rater_dict),
                    "label": label,
                    "cluster": np.repeat(cluster, raters_per_item),
                    "cluster2": np.repeat(cluster // 10, raters_per_item),
                    "group": pa.DictionaryArray.from_arrays(pa.array(group_code[r].astype(np.int16)), group_dict),
                },
                schema=schema,
            )
            writer.write_table(table, row_group_size=row_group_size)
    return path
