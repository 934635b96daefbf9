"""Reading and writing JSON Lines files (plain or gzip), one record per line.

Errors carry file, line and field so a user can go straight to the problem.
"""

from __future__ import annotations

import gzip
import io
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from schemas import RecordError, structure, unstructure
from toolkit.atomic import atomic_file

__all__ = [
    "DECODER",
    "DataError",
    "DuplicateKeyError",
    "dumps",
    "duplicate_key",
    "has_lone_surrogate",
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


#: The toolkit's fast strict JSON decoder (NaN and Infinity rejected), for every reader and the validator:
#: json.loads(..., parse_constant=...) would build a new decoder per call. ``DECODER.scan_once(text, 0)``
#: returns ``(value, end index)`` without the whitespace handling of ``decode`` (the validator's fast path).
#: It keeps the last value of a repeated key, as :mod:`json` does: a reader using it directly must call
#: :func:`duplicate_key` on what it decoded (:func:`loads` and :func:`parse_line` do).
DECODER = json.JSONDecoder(parse_constant=_reject_constant)


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


class DuplicateKeyError(ValueError):
    """A JSON object with a repeated key: RFC 8259 leaves its meaning undefined, so the toolkit rejects it.

    Attributes
    ----------
    path : str
        Where the repeated key is, as a field path (``"rater_id"``, ``"turns[1].role"``).
    key : str
        The key.
    values : tuple
        Its values, in file order.
    """

    def __init__(self, path: str, key: str, values: tuple[Any, ...]) -> None:
        self.path, self.key, self.values = path, key, values
        times = "twice" if len(values) == 2 else f"{len(values)} times"
        shown = ", ".join(_show(v) for v in values[:5]) + (", ..." if len(values) > 5 else "")
        super().__init__(f"duplicate key: {_show(key)} appears {times} ({shown})")


def _show(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _Repeated(dict):  # type: ignore[type-arg]
    """A decoded object that had a repeated key (its pairs kept for the message)."""

    __slots__ = ("pairs",)


def _keep_repeated(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        marked = _Repeated(obj)
        marked.pairs = pairs
        return marked
    return obj


#: The exact (slower) decoder: objects keep their pairs when a key repeats. Only run on the rare lines that
#: :func:`duplicate_key`'s count cannot clear.
_PAIRS_DECODER = json.JSONDecoder(parse_constant=_reject_constant, object_pairs_hook=_keep_repeated)


def _count_keys_and_colons(value: Any) -> int:
    """Keys of every object in ``value`` plus the ``:`` characters in every string (keys included)."""
    n = 0
    stack = [value]
    pop, push = stack.pop, stack.append
    while stack:
        v = pop()
        t = type(v)
        if t is dict:
            n += len(v)
            for k, x in v.items():
                n += k.count(":")
                if type(x) is str:
                    n += x.count(":")
                elif type(x) in (dict, list):
                    push(x)
        elif t is list:
            for x in v:
                if type(x) is str:
                    n += x.count(":")
                elif type(x) in (dict, list):
                    push(x)
        elif t is str:
            n += v.count(":")
    return n


def _first_repeated(value: Any) -> DuplicateKeyError | None:
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        v, path = stack.pop()
        if type(v) is _Repeated:
            counts: dict[str, list[Any]] = {}
            for k, x in v.pairs:
                counts.setdefault(k, []).append(x)
            key, values = next((k, xs) for k, xs in counts.items() if len(xs) > 1)
            return DuplicateKeyError(f"{path}.{key}" if path else key, key, tuple(values))
        if isinstance(v, dict):
            stack.extend((x, f"{path}.{k}" if path else k) for k, x in reversed(v.items()))
        elif type(v) is list:
            stack.extend((x, f"{path}[{i}]") for i, x in reversed(list(enumerate(v))))
    return None


def duplicate_key(text: str, value: Any) -> DuplicateKeyError | None:
    r"""The first repeated object key in the JSON ``text`` that decoded to ``value``, or None. Exact and cheap.

    Every key of the text is followed by one ``:`` outside strings, so ``text.count(":")`` is the number of
    keys written plus the colons inside strings. A repeated key loses a key (and maybe colons) in ``value``;
    so when the count equals what ``value`` holds, no key repeats. That is one count for a flat record whose
    strings have no colon, a walk of ``value`` otherwise (exact when the text has no ``\u`` escape, which could
    spell a colon or make two spellings of one key); only a mismatch (or an escape) runs the exact decoder.

    Parameters
    ----------
    text : str
        One JSON text, already decoded successfully to ``value``.
    value : Any
        What :data:`DECODER` made of ``text``.

    Returns
    -------
    DuplicateKeyError or None
        The error (with the key's path and every value it was given), not raised.

    Examples
    --------
    >>> duplicate_key('{"a": 1, "b": "x:y"}', {"a": 1, "b": "x:y"}) is None
    True
    >>> print(duplicate_key('{"a": 1, "\\u0061": 2}', {"a": 2}))
    duplicate key: "a" appears twice (1, 2)
    """
    colons = text.count(":")
    if colons == (len(value) if type(value) is dict else 0):
        return None
    if "\\u" not in text and colons == _count_keys_and_colons(value):
        return None
    return _first_repeated(_PAIRS_DECODER.decode(text))


def loads(text: str | bytes) -> Any:
    """Strict JSON: like :func:`json.loads` but rejecting NaN/Infinity, repeated object keys and lone surrogates.

    Raises
    ------
    DuplicateKeyError
        An object repeats a key (a :class:`ValueError`, naming the key, its path and its values).
    ValueError
        Any other invalid JSON.

    Examples
    --------
    >>> loads('{"rater_id": "human-1", "kind": "human"}')
    {'rater_id': 'human-1', 'kind': 'human'}
    >>> loads('{"rater_id": "ghost", "rater_id": "human-1"}')
    Traceback (most recent call last):
    ...
    toolkit.jsonl.DuplicateKeyError: duplicate key: "rater_id" appears twice ("ghost", "human-1")
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    value = DECODER.decode(text)
    error = duplicate_key(text, value)
    if error is not None:
        raise error
    if "\\u" in text and _SURROGATE_ESCAPE.search(text) and has_lone_surrogate(value):
        raise ValueError("a \\u escape encodes a lone surrogate (not valid Unicode text)")
    return value


def has_lone_surrogate(value: Any) -> bool:
    """Whether a decoded JSON value holds a lone surrogate (a ``\\uD8xx`` escape that is not Unicode text).

    Examples
    --------
    >>> has_lone_surrogate(["\\ud800"]), has_lone_surrogate({"key": "ok"})
    (True, False)
    """
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


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
    except DuplicateKeyError as exc:
        raise DataError(path, number, exc.path, str(exc)) from None
    except ValueError as exc:
        raise DataError(path, number, "<line>", f"invalid JSON: {exc}") from None
    except RecursionError:
        raise DataError(path, number, "<line>", "invalid JSON: nested too deeply") from None


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

    Output is byte-for-byte deterministic for the same records (no timestamps in the gzip header). The file is
    written atomically (:func:`toolkit.atomic.atomic_file`); failures raise :class:`toolkit.atomic.OutputError`.
    """
    path = Path(path)
    count = 0
    with atomic_file(path, "wb") as raw:  # a temporary sibling renamed at the end: never half a file
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
