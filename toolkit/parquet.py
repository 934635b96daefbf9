"""Parquet record files: ``<record type>.parquet`` in a dataset folder, one row per record.

A Parquet file holds the same records as the JSONL file it replaces, one column per field (lists as lists,
nested records as structs), plus ``schema_version``. Parquet has no "absent" value: a null stands for an absent
field (its default). Errors are located by row (1-based), where JSONL errors name the line. pyarrow is imported
inside the functions.

Files are written with page checksums (CRC-32 of every data page) and read with their verification on, so a
flipped byte in a page is an error rather than a wrong value. A file repeating a column name (at any depth)
is rejected: a row read as a dict would keep one of the values silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from toolkit.atomic import atomic_file
from toolkit.jsonl import DataError

__all__ = ["PARQUET_SUFFIX", "iter_parquet_rows", "repeated_column", "write_parquet_rows"]

PARQUET_SUFFIX = ".parquet"


def write_parquet_rows(path: str | Path, rows: Iterable[dict[str, Any]]) -> int:
    """Write JSON-ready record dicts as one Parquet file (atomically); return the number of rows.

    Parameters
    ----------
    path : path-like
        The ``<record type>.parquet`` file.
    rows : iterable of dict
        Unstructured records (all of one type).

    Returns
    -------
    int
        The number of rows written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "users.parquet"
    >>> write_parquet_rows(p, [{"user_id": "u1", "source": "x", "origin": "human", "schema_version": "1.0"}])
    1
    >>> [r for _, r in iter_parquet_rows(p)][0]["user_id"]
    'u1'
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = list(rows)
    # every key of any row (from_pylist would take the first row's keys only); absent -> null
    keys = list(dict.fromkeys(k for row in data for k in row))
    table = pa.table({k: pa.array([row.get(k) for row in data]) for k in keys})
    with atomic_file(path, "wb") as fh:
        # no statistics or dictionary pages depending on anything but the rows: byte-stable output
        pq.write_table(table, fh, compression="zstd", write_page_checksum=True)
    return len(data)


def repeated_column(schema: Any) -> str | None:
    """The first column name a pyarrow schema repeats (``a.b`` inside a struct), or None.

    Examples
    --------
    >>> import pyarrow as pa
    >>> repeated_column(pa.schema([("a", pa.int64()), ("b", pa.struct([("c", pa.int8()), ("c", pa.int8())]))]))
    'b.c'
    >>> repeated_column(pa.schema([("a", pa.int64())])) is None
    True
    """
    import pyarrow as pa

    def walk(fields: list[Any], prefix: str) -> str | None:
        seen: set[str] = set()
        for f in fields:
            if f.name in seen:
                return prefix + f.name
            seen.add(f.name)
            t = f.type
            while pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
                t = t.value_type
            if pa.types.is_struct(t):
                found = walk([t.field(i) for i in range(t.num_fields)], f"{prefix}{f.name}.")
                if found is not None:
                    return found
        return None

    return walk(list(schema), "")


def iter_parquet_rows(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Stream ``(row number, record dict)`` from a Parquet record file; nulls are dropped (absent fields).

    Raises
    ------
    DataError
        When the file is not readable Parquet or repeats a column name (row 0: the file as a whole), or at the
        first row of a batch that cannot be read (a page checksum mismatch, invalid UTF-8).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path, page_checksum_verification=True)
        repeated = repeated_column(pf.schema_arrow)
    except (pa.ArrowException, OSError, ValueError) as exc:  # ValueError: UnicodeDecodeError of a bad footer
        raise DataError(path, 0, "<file>", f"not a readable Parquet file: {exc}") from None
    if repeated is not None:
        raise DataError(path, 0, repeated, f"column {repeated!r} appears more than once; keep one")
    number = 0
    try:
        for batch in pf.iter_batches(batch_size=8192):
            batch.validate(full=True)  # invalid UTF-8 in a string column is not checked by the reader
            for row in batch.to_pylist():
                number += 1
                yield number, {k: v for k, v in row.items() if v is not None}
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise DataError(path, number + 1, "<row>", f"unreadable Parquet data: {exc}") from None
