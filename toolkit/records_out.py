"""Records on their way to disk: pandas frames to JSON-ready dicts, and every record checked before it is written.

:func:`toolkit.dataset.write_dataset` streams each record type through :func:`checked_dicts`, so a bad record
stops the write with a :class:`RecordWriteError` naming the record type, its index and the field, before
anything is published (the folder is written atomically).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import pandas as pd

from schemas import SCHEMA_VERSION, RecordError, structure, unstructure
from schemas.fastcheck import fast_checker
from toolkit.jsonl import DataError

__all__ = ["RecordWriteError", "checked_dicts", "frame_records", "json_value"]


class RecordWriteError(DataError):
    """A record handed to a writer does not match its schema (nothing was written).

    Attributes
    ----------
    record_type : str
        The record type being written.
    index : int
        The record's 0-based position in what was given (a frame's row position).
    field, message : str
        The offending field and what is wrong with it.
    """

    def __init__(self, record_type: str, index: int, field: str, message: str) -> None:
        self.record_type, self.index = record_type, index
        super().__init__(f"<{record_type}>", index, field, message)

    def __str__(self) -> str:
        return f"{self.record_type} record {self.index}: {self.field}: {self.message} (nothing was written)"


def json_value(value: Any) -> Any:
    """One cell of a frame as a JSON value: NaN/None/NA to None, numpy scalars and arrays to Python.

    Examples
    --------
    >>> json_value(float("nan")) is None, json_value(np.int64(3)), json_value(("a", np.float64(0.5)))
    (True, 3, ['a', 0.5])
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (np.ndarray, list, tuple)):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def frame_records(frame: pd.DataFrame) -> Iterator[dict[str, Any]]:
    """The rows of ``frame`` as record dicts (see :func:`json_value`); null cells become absent fields.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per record, one column per field (e.g. from :meth:`toolkit.dataset.Dataset.frame`).

    Yields
    ------
    dict
        One JSON-ready dict per row, in row order.

    Examples
    --------
    >>> f = pd.DataFrame({"user_id": ["u1", None], "n": [1.0, float("nan")]})
    >>> list(frame_records(f))
    [{'user_id': 'u1', 'n': 1.0}, {}]
    """
    columns = [str(c) for c in frame.columns]
    for row in frame.itertuples(index=False, name=None):
        record = {}
        for column, value in zip(columns, row, strict=True):
            value = json_value(value)
            if value is not None:
                record[column] = value
        yield record


def checked_dicts(record_type: str, records: Iterable[Any]) -> Iterator[dict[str, Any]]:
    """Yield the JSON-ready dict of each record after checking it against ``record_type``'s schema.

    attrs records are unstructured; dicts get ``schema_version`` (current) when they have none, NaN values
    become null, and they must pass :func:`schemas.structure` (records of an older version are migrated).

    Parameters
    ----------
    record_type : str
        The record type name.
    records : iterable of attrs records or dicts
        Streamed.

    Yields
    ------
    dict
        What to write.

    Raises
    ------
    RecordWriteError
        At the first record that does not match, naming its index and field.

    Examples
    --------
    >>> list(checked_dicts("raters", [{"rater_id": "x", "kind": "annotator"}]))
    Traceback (most recent call last):
    ...
    toolkit.records_out.RecordWriteError: raters record 0: kind: ...
    """
    check = fast_checker(record_type)
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            try:
                yield unstructure(record)
            except Exception as exc:  # noqa: BLE001 - not an attrs record of a known type
                raise RecordWriteError(record_type, index, "<record>", f"cannot be written: {exc}") from None
            continue
        data = {k: json_value(v) for k, v in record.items()}
        data.setdefault("schema_version", SCHEMA_VERSION)
        if check(data):
            yield data
            continue
        try:
            yield unstructure(structure(data, record_type))
        except RecordError as exc:
            field, message = exc.errors[0]
            raise RecordWriteError(record_type, index, field, message) from None
