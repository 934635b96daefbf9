"""Bytes in and out: plain or gzip files read as raw lines in blocks, and the ``--quarantine`` output files.

Lines are split from 1 MiB blocks, so a file of any size is streamed and a line of any length is still
returned whole. Gzip is decompressed here rather than by :mod:`gzip`, so that everything before a truncation
or a corrupt member is still returned (and checked) before the error is raised.

A Parquet record file is read row by row (:func:`iter_parquet_lines`): each row becomes the JSON text of its
record (nulls dropped: an absent field), which the line checks then take exactly as a JSONL line.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import attrs

from toolkit.parquet import iter_parquet_rows
from toolkit.validate.report import clean

__all__ = [
    "BLOCK",
    "BadRow",
    "Quarantine",
    "Reader",
    "iter_blocks",
    "iter_parquet_lines",
    "iter_raw_lines",
    "open_stream",
    "parquet_blocks",
]

BLOCK = 1 << 20
_MAX_ERRORS_PER_LINE = 100  # in a quarantine entry


class Reader:
    """Binary reading of a plain or gzip file, hashing the bytes as stored (SHA-256) when asked.

    Parameters
    ----------
    path : Path
        The file; a name ending in ``.gz`` is decompressed (concatenated members and zero padding included).
    hasher : hashlib hash object, optional
        Updated with every byte read from disk (compressed bytes for ``.gz``).
    """

    def __init__(self, path: Path, hasher: Any = None) -> None:
        self.raw = open(path, "rb")  # noqa: SIM115 - closed in __exit__
        self.hasher = hasher
        self.gz = path.name.endswith(".gz")
        self.inflate = zlib.decompressobj(31)
        self.member_started = False

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.raw.close()

    def _raw_read(self) -> bytes:
        data = self.raw.read(BLOCK)
        if data and self.hasher is not None:
            self.hasher.update(data)
        return data

    def read(self, size: int) -> bytes:
        """Up to ``size`` bytes of content (decompressed), b"" at the end.

        Raises
        ------
        EOFError
            A gzip member ends before its end-of-stream marker (a truncated file).
        zlib.error
            Corrupt gzip data.
        """
        if not self.gz:
            return self._raw_read()
        while True:
            inflate = self.inflate
            # eof first: once a member has ended, what follows it is in unused_data (unconsumed_tail may still
            # hold it too, and decompressing it again on an ended member returns nothing, forever).
            if inflate.eof:  # a member ended: another may follow (concatenated gzip), after zero padding
                data = inflate.unused_data.lstrip(b"\x00")
                while not data:
                    more = self._raw_read()
                    if not more:
                        return b""
                    data = more.lstrip(b"\x00")
                self.inflate = inflate = zlib.decompressobj(31)
            elif inflate.unconsumed_tail:
                data = inflate.unconsumed_tail
            else:
                data = self._raw_read()
                if not data:
                    if self.member_started:
                        raise EOFError("compressed file ended before the end-of-stream marker was reached")
                    return b""
            self.member_started = True
            out = inflate.decompress(data, max(size, 1))
            if out:
                return out


def open_stream(path: Path, hasher: Any = None) -> Reader:
    """A :class:`Reader` of ``path`` (a context manager); ``hasher`` as there."""
    return Reader(path, hasher)


def iter_blocks(fh: Reader) -> Iterator[tuple[int, list[bytes]]]:
    """``(number of lines before, lines)`` per block read; lines without their newline; lines may be huge."""
    number = 0
    carry: list[bytes] = []
    read = fh.read
    while True:
        block = read(BLOCK)
        if not block:
            break
        parts = block.split(b"\n")
        if len(parts) == 1:
            carry.append(block)
            continue
        if carry:
            carry.append(parts[0])
            parts[0] = b"".join(carry)
            carry = []
        tail = parts.pop()
        if tail:
            carry.append(tail)
        yield number, parts
        number += len(parts)
    if carry:
        yield number, [b"".join(carry)]


def iter_raw_lines(fh: Reader) -> Iterator[tuple[int, bytes]]:
    """``(physical line number, line without its newline)`` for every line."""
    for before, lines in iter_blocks(fh):
        yield from enumerate(lines, start=before + 1)


def iter_parquet_lines(path: Path, hasher: Any = None) -> Iterator[tuple[int, bytes, tuple[str, str] | None]]:
    """``(row number, JSON text of the row, None)``, or ``(row, text, (field, message))`` for a value JSON lacks.

    Raises
    ------
    toolkit.jsonl.DataError
        The file is not readable Parquet, repeats a column name or has an unreadable page (a bad checksum).
    """
    if hasher is not None:
        with open(path, "rb") as fh:
            while block := fh.read(BLOCK):
                hasher.update(block)
    for number, row in iter_parquet_rows(path):
        try:
            yield number, json.dumps(row, ensure_ascii=False, allow_nan=False).encode("utf-8"), None
        except (TypeError, ValueError):
            text = json.dumps(row, ensure_ascii=False, default=repr).encode("utf-8", "backslashreplace")
            yield number, text, _non_json_field(row)


@attrs.frozen
class BadRow:
    """A Parquet row holding a value JSON has not (NaN, bytes, a date): its text and its (field, message)."""

    raw: bytes
    problem: tuple[str, str]


def parquet_blocks(path: Path, hasher: Any = None, size: int = 8192) -> Iterator[tuple[int, list[Any]]]:
    """``(rows before, rows)`` as :func:`iter_blocks` gives lines: JSON text, or a :class:`BadRow`."""
    batch: list[Any] = []
    before = 0
    for _, raw, problem in iter_parquet_lines(path, hasher):
        batch.append(raw if problem is None else BadRow(raw, problem))
        if len(batch) == size:
            yield before, batch
            before += len(batch)
            batch = []
    if batch:
        yield before, batch


def _non_json_field(row: dict[str, Any]) -> tuple[str, str]:
    for key, value in row.items():
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError):
            what = "a non-finite number" if isinstance(value, float) else f"a {type(value).__name__}"
            return key, f"must be a JSON value; the Parquet column holds {what}: {value!r}"
    return "<record>", "not representable as JSON"


def _quarantine_raw(raw: bytes) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return {"raw": base64.b64encode(raw).decode("ascii"), "raw_encoding": "base64"}
    return {"raw": text}


class Quarantine:
    """``DIR/<type>.jsonl`` (valid lines, verbatim) and ``DIR/<type>.rejected.jsonl`` (lines with errors).

    A Parquet input gives JSONL outputs too: each valid row as the JSON text of its record (nulls dropped),
    each rejected one under ``row`` instead of ``line``.

    Parameters
    ----------
    folder : Path
        The output folder (created).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.handles: dict[str, tuple[IO[bytes], IO[bytes]]] = {}

    def open(self, name: str) -> tuple[IO[bytes], IO[bytes]]:
        """The (valid, rejected) output files of record type ``name``, opened on first use."""
        if name not in self.handles:
            self.handles[name] = (
                open(self.folder / f"{name}.jsonl", "wb"),
                open(self.folder / f"{name}.rejected.jsonl", "wb"),
            )
        return self.handles[name]

    @staticmethod
    def reject(fh: IO[bytes], number: int, errors: list[tuple[str, str]], raw: bytes, unit: str = "line") -> None:
        """Write one rejected line: ``line`` (``row`` for Parquet input: ``unit``), ``errors`` [{field,
        message}] and ``raw`` (base64 if not UTF-8; a Parquet row as the JSON text of its record)."""
        shown = [{"field": clean(f), "message": clean(m)} for f, m in errors[:_MAX_ERRORS_PER_LINE]]
        if len(errors) > _MAX_ERRORS_PER_LINE:
            shown.append({"field": "<record>", "message": f"... and {len(errors) - _MAX_ERRORS_PER_LINE} more"})
        entry = {unit: number, "errors": shown, **_quarantine_raw(raw)}
        fh.write(json.dumps(entry, ensure_ascii=False).encode("utf-8") + b"\n")

    def close(self) -> None:
        """Close every output file."""
        for valid, rejected in self.handles.values():
            valid.close()
            rejected.close()
