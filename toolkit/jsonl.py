"""Reading and writing JSON Lines files (plain or gzip), one record per line.

Errors carry file, line and field so a user can go straight to the problem.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from schemas import RecordError, structure, unstructure

__all__ = [
    "DECODER",
    "DataError",
    "dumps",
    "iter_lines",
    "loads",
    "open_binary",
    "parse_line",
    "read_dicts",
    "read_records",
    "write_records",
]


class DataError(ValueError):
    """A problem in an input file, located by file, line (1-based; 0 for the file as a whole) and field."""

    def __init__(self, path: str | Path, line: int, field: str, message: str) -> None:
        self.path, self.line, self.field, self.message = str(path), line, field, message
        super().__init__(f"{self.path}:{line}: {field}: {message}")


def _reject_constant(name: str) -> float:
    # NaN and Infinity are not JSON; Python's json would accept them silently.
    raise ValueError(f"{name} is not valid JSON")


#: The toolkit's one strict JSON decoder (NaN and Infinity rejected), for every reader and the validator:
#: json.loads(..., parse_constant=...) would build a new decoder per call. ``DECODER.scan_once(text, 0)``
#: returns ``(value, end index)`` without the whitespace handling of ``decode`` (the validator's fast path).
DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def loads(text: str | bytes) -> Any:
    """Strict JSON: like :func:`json.loads` but rejecting NaN/Infinity."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    return DECODER.decode(text)


def dumps(obj: Any) -> str:
    """Deterministic compact JSON for one line (field order as given, UTF-8 text kept as is)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def open_binary(path: str | Path) -> IO[bytes]:
    """Open a ``.jsonl`` or ``.jsonl.gz`` file for binary reading."""
    path = Path(path)
    if path.name.endswith(".gz"):
        return gzip.open(path, "rb")
    return open(path, "rb")


def iter_lines(path: str | Path) -> Iterator[tuple[int, bytes]]:
    """Yield ``(line number, raw line without the newline)`` for every non-blank line, streaming."""
    with open_binary(path) as fh:
        for number, raw in enumerate(fh, start=1):
            line = raw.rstrip(b"\r\n")
            if number == 1 and line.startswith(b"\xef\xbb\xbf"):
                line = line[3:]  # a UTF-8 byte order mark is harmless; strip it
            if line.strip():
                yield number, line


def parse_line(path: str | Path, number: int, line: bytes) -> Any:
    """Decode and parse one raw line; raise :class:`DataError` for bad UTF-8 or bad JSON."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(path, number, "<line>", f"invalid UTF-8 at byte {exc.start}") from None
    try:
        return loads(text)
    except ValueError as exc:
        raise DataError(path, number, "<line>", f"invalid JSON: {exc}") from None


def read_records(path: str | Path, record_type: str) -> Iterator[Any]:
    """Stream the records of one JSONL file as attrs objects of ``record_type``.

    Raises
    ------
    DataError
        At the first bad line, naming file, line and field. Use ``recenter validate`` to list all problems.
    """
    for number, line in iter_lines(path):
        data = parse_line(path, number, line)
        try:
            yield structure(data, record_type)
        except RecordError as exc:
            field, message = exc.errors[0]
            more = f" (and {len(exc.errors) - 1} more problems)" if len(exc.errors) > 1 else ""
            raise DataError(path, number, field, message + more) from None


def read_dicts(path: str | Path) -> Iterator[tuple[int, Any]]:
    """Stream ``(line number, parsed JSON value)`` of a JSONL file without schema checks (for importers)."""
    for number, line in iter_lines(path):
        yield number, parse_line(path, number, line)


def write_records(path: str | Path, records: Iterable[Any]) -> int:
    """Write attrs records (or plain dicts) as JSON Lines, gzip when the name ends in ``.gz``; return the count.

    Output is byte-for-byte deterministic for the same records (no timestamps in the gzip header).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with open(path, "wb") as raw:
        stream: IO[bytes] = (
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) if path.name.endswith(".gz") else raw
        )
        with io.TextIOWrapper(stream, encoding="utf-8", newline="\n") as fh:
            for record in records:
                data = record if isinstance(record, dict) else unstructure(record)
                fh.write(dumps(data))
                fh.write("\n")
                count += 1
    return count
