"""Fuzzing campaign of ``recenter validate --quarantine`` and the dataset reader: mutated JSONL, checked invariants.

    python benchmarks/fuzz.py                        # 20,000 mutated lines (a quick look, about a minute)
    python benchmarks/fuzz.py --lines 1000000        # the campaign of the README (or --full)

Valid records of every record type (the bundled sample dataset) are mutated at the byte level (truncation,
inserted, deleted or flipped bytes, invalid UTF-8, CR and BOM mid-file) and the structure level (a repeated key,
plainly or spelled with a ``\\u`` escape, at any depth; a value retyped - 0/1 for booleans, strings for numbers;
``NaN``/``Infinity``; huge and tiny numbers; deep nesting; odd Unicode including lone-surrogate escapes;
dropped and unknown fields; a line of another record type; non-object JSON), and whole files are written plain
or gzip, some gzip files then corrupted (flipped bytes, truncation, trailing garbage) or made harder but valid
(concatenated members, zero padding). Every file is validated into a quarantine and checked:

1. **no traceback**: neither the validator nor the reader (``toolkit.jsonl.parse_line`` + ``schemas.structure``)
   raises anything but their documented errors, and the report has no internal error;
2. **nothing lost**: every non-blank input line is exactly once in the valid output (verbatim, in order) or in
   the rejected output (with its line number and raw bytes); lines past a corrupt gzip block are reported as
   unreadable by a file error, never silently missing;
3. **nothing altered**: every accepted line is accepted by the strict reference parser below, every value it
   states reads (through the toolkit's reader) exactly as the reference reads it (no coercion: a boolean stays
   a boolean, a string a string), and the valid output re-validates with no error;
4. **no false rejection**: a line the reference accepts is rejected only for a cross-record reason (a
   duplicate record key, an unknown ``derived_from`` rater).

The reference parser is deliberately separate code: :func:`json.loads` with an ``object_pairs_hook`` refusing
repeated keys, ``NaN``/``Infinity`` and numbers that overflow a double refused, lone surrogates refused, then
the canonical :func:`schemas.structure`. Numbers are compared as JSON numbers read into IEEE doubles (RFC 8259
section 6): ``3.0`` is the integer 3 and ``9007199254740993`` in a float field is its nearest double.
Counts (mutations by kind, accepted, rejected, tracebacks, lost, ...) go to ``benchmarks/results/fuzz.json``.
"""

from __future__ import annotations

import argparse
import base64
import copy
import gzip
import io
import json
import platform
import random
import shutil
import sys
import tempfile
import time
import traceback
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from schemas import RecordError, structure, unstructure  # noqa: E402
from schemas.registry import RECORD_TYPES  # noqa: E402
from toolkit.jsonl import DataError, parse_line  # noqa: E402
from toolkit.validate import validate_path  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "fuzz.json"
BOM = b"\xef\xbb\xbf"
HOLE = "@@fuzz-hole@@"
#: Validator problem kinds that need other lines (the reference judges one line alone).
CROSS_RECORD = frozenset({"duplicate", "duplicate-pending", "reference", "absent", "consistency"})

# -- the strict reference parser ---------------------------------------------------------------------------


class Rejected(Exception):
    """The reference parser refuses a line."""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise Rejected(f"repeated key {k!r}")
        out[k] = v
    return out


def _constant(name: str) -> Any:
    raise Rejected(f"{name} is not JSON")


def _float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise Rejected(f"{text[:20]} overflows a double")
    return value


def _check_text(value: Any) -> None:
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            v.encode("utf-8")  # UnicodeEncodeError: a lone surrogate
        elif isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)


def reference(raw: bytes, record_type: str, first: bool) -> dict[str, Any]:
    """The strict reading of one physical line (without its newline); raises :class:`Rejected`."""
    raw = raw.rstrip(b"\r")  # CRLF line ends are accepted
    if first and raw.startswith(BOM):
        raw = raw[3:]  # so is a BOM at the start of the file
    try:
        text = raw.decode("utf-8")
        value = json.loads(text, object_pairs_hook=_pairs, parse_constant=_constant, parse_float=_float)
        _check_text(value)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeError, int digits limit
        raise Rejected(f"{type(exc).__name__}: {exc}") from None
    if type(value) is not dict:
        raise Rejected("not an object")
    try:
        structure(value, record_type)
    except RecordError as exc:
        raise Rejected(str(exc)) from None
    return value


def same(ref: Any, got: Any) -> bool:
    """``got`` (the toolkit's reading) states exactly what ``ref`` (the reference's JSON value) states."""
    if type(ref) is bool or type(got) is bool:
        return type(ref) is type(got) and ref == got
    if type(ref) in (int, float):
        return type(got) in (int, float) and (ref == got or (type(got) is float and float(ref) == got))
    if type(ref) is str or ref is None:
        return type(got) is type(ref) and ref == got
    if type(ref) is list:
        return type(got) in (list, tuple) and len(ref) == len(got) and all(map(same, ref, got))
    if type(ref) is dict:  # a nested record: the fields it states (absent ones take their default)
        return type(got) is dict and all(k in got and same(v, got[k]) for k, v in ref.items())
    return False


# -- mutations ---------------------------------------------------------------------------------------------


def dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _places(value: Any) -> list[tuple[Any, Any]]:
    """Every (container, key or index) of a value, depth first."""
    out = []
    stack = [value]
    while stack:
        v = stack.pop()
        items = v.items() if isinstance(v, dict) else enumerate(v) if isinstance(v, list) else ()
        for k, x in items:
            out.append((v, k))
            if isinstance(x, (dict, list)):
                stack.append(x)
    return out


def _with_hole(rng: random.Random, rec: dict[str, Any], fragment: str, leaves_only: bool = False) -> bytes:
    """The record with one value (a random place) replaced by the raw JSON ``fragment``."""
    rec = copy.deepcopy(rec)
    places = [(c, k) for c, k in _places(rec) if not leaves_only or not isinstance(c[k], (dict, list))]
    container, key = rng.choice(places)
    container[key] = HOLE
    return dump(rec).replace(json.dumps(HOLE), fragment, 1).encode("utf-8")


def _escaped(rng: random.Random, key: str) -> str:
    """A JSON string literal of ``key``, some characters spelled as ``\\u`` escapes."""
    out = []
    for ch in key:
        if ord(ch) < 0x10000 and rng.random() < 0.5:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(json.dumps(ch, ensure_ascii=False)[1:-1])
    return '"' + "".join(out) + '"'


def m_repeat_key(rng: random.Random, rec: dict[str, Any], others: list[dict[str, Any]]) -> bytes:
    rec = copy.deepcopy(rec)
    objects = [rec] + [c[k] for c, k in _places(rec) if isinstance(c[k], dict) and c[k]]
    obj = rng.choice(objects)
    key = rng.choice(list(obj))
    value = rng.choice([obj[key], rng.choice(others).get(key, "ghost"), "ghost", None, 0])
    items = list(obj.items())
    items.insert(rng.randrange(len(items) + 1), (HOLE, value))
    obj.clear()
    obj.update(items)  # the placeholder key, then spelled as the repeated key
    spelled = json.dumps(key, ensure_ascii=False) if rng.random() < 0.7 else _escaped(rng, key)
    return dump(rec).replace(json.dumps(HOLE), spelled, 1).encode("utf-8")


def m_retype(rng: random.Random, rec: dict[str, Any], others: list[dict[str, Any]]) -> bytes:
    rec = copy.deepcopy(rec)
    places = [(c, k) for c, k in _places(rec) if not isinstance(c[k], (dict, list))] or _places(rec)
    container, key = rng.choice(places)
    v = container[key]
    if type(v) is bool:
        options: list[Any] = [int(v), float(v), str(v).lower(), "yes" if v else "no", None]
    elif type(v) in (int, float):
        options = [str(v), v != 0, [v], {"value": v}, None, int(v) if type(v) is float else float(v)]
    elif type(v) is str:
        options = [len(v), 1, 0, True, [v], {"text": v}, v.upper(), v + " ", " ", ""]
    elif v is None:
        options = ["null", "None", 0, False, "", []]
    else:
        options = [dump(v), None, {}]
    container[key] = rng.choice(options)
    return dump(rec).encode("utf-8")


_BYTES = [b"{", b"}", b"[", b"]", b'"', b":", b",", b"\\", b" ", b"\t", b"\r", b"\n", b"\x00", b"\x7f", b"\xff",
          b"\xc3", "é".encode(), b"0", b"-", b"e", b"null", b"\\u", BOM]
_ODD_TEXT = [
    "\\ud800", "\\udfff", "a\\udc00b", "\\ude00\\ud83d", "\\ud83d\\ude00", "\\ud83d", "\\u0000", "\\u001f",
    "\u2028\u2029", "\ufeff", "\uffff", "\U0010ffff", "e\u0301", "\u202etxet", "\u200b", "\u3000", "\u00a0",
    "\\u0041", "\\\\", "\\/", "\\b\\f\\n\\r\\t", "\U0001f600", "a\tb",  # the last: a raw tab (not allowed)
]
_BAD_UTF8 = [b"\xff", b"\xc0\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe2\x82", b"\x80", b"\xc3("]
_NUMBERS = ["1e400", "-1e400", "1e-400", "9" * 5000, "9007199254740993", "1.7976931348623157e309", "-0.0",
            "1E+2", "0.1e1", "1" + "0" * 30, "5.000000000000001", "4.9999999999999999", "01", "+1", ".5", "1.",
            "0x10", "1_000", "2", "3.0", "-1", "0.5"]


def m_truncate(rng: random.Random, line: bytes) -> bytes:
    return line[: rng.randrange(len(line))]


def m_insert(rng: random.Random, line: bytes) -> bytes:
    at = rng.randrange(len(line) + 1)
    return line[:at] + rng.choice([*_BYTES, bytes([rng.randrange(256)])]) + line[at:]


def m_delete(rng: random.Random, line: bytes) -> bytes:
    at = rng.randrange(len(line))
    return line[:at] + line[at + 1:]


def m_flip(rng: random.Random, line: bytes) -> bytes:
    at = rng.randrange(len(line))
    return line[:at] + bytes([line[at] ^ (1 << rng.randrange(8))]) + line[at + 1:]


def m_unicode(rng: random.Random, rec: dict[str, Any]) -> bytes:
    strings = [(c, k) for c, k in _places(rec) if isinstance(c[k], str)]
    if strings and rng.random() < 0.8:
        rec = copy.deepcopy(rec)
        container, key = rng.choice([(c, k) for c, k in _places(rec) if isinstance(c[k], str)])
        container[key] = HOLE
        odd = rng.choice(_ODD_TEXT)
        line = dump(rec).replace(HOLE, rng.choice(["", "x", container is rec and "id-" or ""]) + odd, 1)
        return line.encode("utf-8", "surrogatepass")
    line = dump(rec).encode("utf-8")
    at = line.index(b'"', rng.randrange(len(line) - 1)) + 1 if b'"' in line else 0
    return line[:at] + rng.choice(_BAD_UTF8) + line[at:]


def m_deep(rng: random.Random, rec: dict[str, Any]) -> bytes:
    depth = rng.choice([8, 64, 900, 3000, 20000])
    fragment = "[" * depth + "1" + "]" * depth if rng.random() < 0.5 else '{"a":' * depth + "1" + "}" * depth
    return _with_hole(rng, rec, fragment)


#: kind -> (weight, mutator(rng, record, line, others, record_type) -> line)
MUTATIONS: dict[str, tuple[int, Callable[..., bytes]]] = {
    "none": (6, lambda rng, rec, line, others, rt: line),
    "truncate": (5, lambda rng, rec, line, others, rt: m_truncate(rng, line)),
    "insert_byte": (6, lambda rng, rec, line, others, rt: m_insert(rng, line)),
    "delete_byte": (4, lambda rng, rec, line, others, rt: m_delete(rng, line)),
    "flip_bit": (4, lambda rng, rec, line, others, rt: m_flip(rng, line)),
    "repeat_key": (8, lambda rng, rec, line, others, rt: m_repeat_key(rng, rec, others)),
    "retype": (8, lambda rng, rec, line, others, rt: m_retype(rng, rec, others)),
    "nan": (3, lambda rng, rec, line, others, rt: _with_hole(
        rng, rec, rng.choice(["NaN", "Infinity", "-Infinity", "nan", "inf", "-NaN"]), leaves_only=True)),
    "number": (5, lambda rng, rec, line, others, rt: _with_hole(rng, rec, rng.choice(_NUMBERS), leaves_only=True)),
    "deep_nesting": (2, lambda rng, rec, line, others, rt: m_deep(rng, rec)),
    "unicode": (6, lambda rng, rec, line, others, rt: m_unicode(rng, rec)),
    "crlf": (3, lambda rng, rec, line, others, rt: line + b"\r" * rng.choice([1, 1, 2])),
    "bom": (2, lambda rng, rec, line, others, rt: BOM + line),
    "whitespace": (3, lambda rng, rec, line, others, rt: (
        rng.choice(["", " ", "\t", "\r"]) + json.dumps(rec, ensure_ascii=False, indent=None)
        + rng.choice(["", " ", "  \t"])).encode("utf-8")),
    "escape_all": (3, lambda rng, rec, line, others, rt: json.dumps(rec, ensure_ascii=True).encode("ascii")),
    "drop_field": (4, lambda rng, rec, line, others, rt: dump(
        {k: v for i, (k, v) in enumerate(rec.items()) if i != rng.randrange(len(rec))}).encode("utf-8")),
    "unknown_field": (3, lambda rng, rec, line, others, rt: dump(
        {**rec, rng.choice(["extra", "Rater_id", "rater_id ", ""]): 1}).encode("utf-8")),
    "other_type": (2, lambda rng, rec, line, others, rt: dump(rng.choice(OTHER[rt])).encode("utf-8")),
    "not_object": (2, lambda rng, rec, line, others, rt: rng.choice(
        [b"[]", b'"x"', b"1", b"null", b"true", ("[" + dump(rec) + "]").encode("utf-8"), b"{}"])),
    "blank": (2, lambda rng, rec, line, others, rt: rng.choice([b"", b" ", b"\t", b"\r", b" \r"])),
}
OTHER: dict[str, list[dict[str, Any]]] = {}

# -- inputs ------------------------------------------------------------------------------------------------


@cache
def sample_records(limit: int = 5000) -> dict[str, list[dict[str, Any]]]:
    """The valid records of the bundled sample dataset (at most ``limit`` per type), by record type."""
    folder = ROOT / "toolkit" / "data" / "sample"
    out = {}
    for name in RECORD_TYPES:
        path = folder / f"{name}.jsonl.gz"
        if path.exists():
            lines = gzip.decompress(path.read_bytes()).splitlines()[:limit]
            out[name] = [json.loads(x) for x in lines if x.strip()]
    for name in out:
        OTHER[name] = [r for other, recs in out.items() if other != name for r in recs[:20]]
    return out


def unique(rec: dict[str, Any], record_type: str, tag: str) -> dict[str, Any]:
    """``rec`` with its record key made unique in its file (the first key field gets ``tag``)."""
    rec = dict(rec)
    field = RECORD_TYPES[record_type].key[0]
    if type(rec.get(field)) is str:
        rec[field] = f"{rec[field]}~{tag}"
    return rec


def make_file(rng: random.Random, records: list[dict[str, Any]], record_type: str, n: int, tag: str,
              counts: Counter[str] | None = None) -> tuple[list[bytes], list[str]]:
    """``n`` physical lines (before any file-level change) and the mutation kind of each."""
    kinds = list(MUTATIONS)
    weights = [MUTATIONS[k][0] for k in kinds]
    lines, made = [], []
    start = rng.randrange(len(records))
    for i in range(n):
        rec = unique(records[(start + i) % len(records)], record_type, f"{tag}.{i}")
        kind = rng.choices(kinds, weights)[0]
        line = MUTATIONS[kind][1](rng, rec, dump(rec).encode("utf-8"), records, record_type)
        parts = line.split(b"\n")  # an inserted newline makes two physical lines, both judged on their own
        lines.extend(parts)
        made.extend([kind] * len(parts))
    return lines, made


def container(rng: random.Random, lines: list[bytes]) -> tuple[bytes, bool, str]:
    """(file bytes, gzip?, file-level change): plain or gzip, some gzip files corrupted or made odd."""
    content = b"\n".join(lines) + (b"\n" if rng.random() < 0.9 else b"")
    if rng.random() < 0.1:
        content = BOM + content
    if rng.random() < 0.7:
        return content, False, "plain"
    data = gzip.compress(content, mtime=0)
    change = rng.choice(["intact", "intact", "members", "padding", "flip", "truncate", "garbage"])
    if change == "members":  # two concatenated members: valid gzip
        cut = rng.randrange(len(content) + 1)
        data = gzip.compress(content[:cut], mtime=0) + gzip.compress(content[cut:], mtime=0)
    elif change == "padding":
        data += b"\x00" * rng.randrange(1, 64)
    elif change == "flip":
        buf = bytearray(data)
        for _ in range(rng.randrange(1, 4)):
            at = rng.randrange(len(buf))
            buf[at] ^= 1 << rng.randrange(8)
        data = bytes(buf)
    elif change == "truncate":
        data = data[: rng.randrange(len(data))]
    elif change == "garbage":
        data += bytes(rng.randrange(256) for _ in range(rng.randrange(1, 16)))
    return data, True, change


def readable(data: bytes) -> bytes:
    """What can be decompressed of a (maybe corrupt) gzip file, member after member (the reference's view)."""
    out = io.BytesIO()
    while data:
        inflate = zlib.decompressobj(31)
        try:
            for i in range(0, len(data), 512):
                out.write(inflate.decompress(data[i: i + 512]))
                if inflate.eof:
                    break
        except zlib.error:
            break
        if not inflate.eof:
            break
        data = (inflate.unused_data + data[i + 512:]).lstrip(b"\x00")
    return out.getvalue()


# -- one file through every invariant ----------------------------------------------------------------------


def records_of(content: bytes) -> list[tuple[int, bytes]]:
    """(line number, line as the validator sees it) of the non-blank physical lines: CRs at the end and a BOM
    at the start of the file are stripped (both accepted)."""
    out = []
    for number, raw in enumerate(content.split(b"\n"), start=1):
        raw = raw.rstrip(b"\r")
        if number == 1 and raw.startswith(BOM):
            raw = raw[3:]
        if raw and not raw.isspace():
            out.append((number, raw))
    return out


def check_file(path: Path, record_type: str, content: bytes, kinds: dict[int, str], work: Path,
               tally: dict[str, Any]) -> None:
    """Validate ``path`` (whose readable content is ``content``) and check every invariant; count in ``tally``."""
    quarantine = work / "q"
    shutil.rmtree(quarantine, ignore_errors=True)
    expected = records_of(content)
    by_line = dict(expected)
    try:
        report = validate_path(path, quarantine=quarantine, record_type=record_type, max_per_group=0)
    except Exception:  # noqa: BLE001 - the invariant is that this never happens
        tally["tracebacks"] += 1
        tally["examples"].append(("validator traceback", str(path), traceback.format_exc()[-2000:]))
        return
    problems = report.problems
    tally["internal_errors"] += sum(p.kind == "internal" for p in problems)
    file_error = any(p.kind == "file" and p.severity == "error" for p in problems)
    stats = report.files[str(path)]
    valid = (quarantine / f"{record_type}.jsonl").read_bytes().split(b"\n")[:-1]
    rejected = [json.loads(x) for x in (quarantine / f"{record_type}.rejected.jsonl").read_bytes().splitlines()]
    kinds_at: dict[int, set[str]] = defaultdict(set)
    for p in problems:
        if p.severity == "error" and p.field != "<file>":  # a file-level error may sit at a record's line
            kinds_at[p.line].add(p.kind)
    # 2. exactly once: the rejected lines by number, the valid ones in order; all others unread (and reported)
    rejected_at = {}
    for entry in rejected:
        raw = base64.b64decode(entry["raw"]) if entry.get("raw_encoding") == "base64" else entry["raw"].encode(
            "utf-8", "surrogatepass")
        number = entry["line"]
        if number in rejected_at or by_line.get(number) != raw:
            tally["altered"] += 1
            tally["examples"].append(("rejected line not the input line", str(path), number))
        rejected_at[number] = raw
    remaining = [(n, raw) for n, raw in expected if n not in rejected_at]
    accepted = remaining[: len(valid)]
    if [raw for _, raw in accepted] != valid:
        tally["altered"] += 1
        tally["examples"].append(("valid output differs from the input lines", str(path), None))
        return
    read = len(valid) + len(rejected)
    if stats.records != read:
        tally["miscounted"] += 1
    unread = len(expected) - read
    if unread and not file_error:
        tally["lost"] += unread
        tally["examples"].append(("lines neither valid nor rejected, unreported", str(path), unread))
    tally["unreadable_reported"] += max(unread, 0)
    # 3. and 4. against the reference, line by line
    seen = set()
    for number, raw in accepted:
        seen.add(number)
        kind = kinds.get(number, "?")
        tally["by_kind"][kind]["accepted"] += 1
        try:
            ref = reference(raw, record_type, False)  # raw: BOM and CRs already stripped
        except Rejected as exc:
            tally["accepted_but_reference_rejects"] += 1
            tally["examples"].append(("accepted, reference rejects", kind, raw[:300].decode("utf-8", "replace"),
                                      str(exc)[:300]))
            continue
        try:
            got = unstructure(structure(parse_line(path, number, raw), record_type))
        except Exception as exc:  # noqa: BLE001
            tally["reader_disagrees"] += 1
            tally["examples"].append(("accepted, reader fails", kind, raw[:300].decode("utf-8", "replace"),
                                      f"{type(exc).__name__}: {exc}"[:300]))
            continue
        if not all(k == "schema_version" or (k in got and same(v, got[k])) for k, v in ref.items()):
            tally["altered"] += 1
            tally["examples"].append(("accepted, value differs from the reference", kind,
                                      raw[:300].decode("utf-8", "replace"), repr(got)[:300]))
    for number, raw in rejected_at.items():
        kind = kinds.get(number, "?")
        tally["by_kind"][kind]["rejected"] += 1
        try:
            reference(raw, record_type, False)  # raw: BOM and CRs already stripped
        except Rejected:
            reader_rejects(path, number, raw, record_type, kind, tally)
            continue
        if not kinds_at[number] or not kinds_at[number] <= CROSS_RECORD:
            tally["false_rejections"] += 1
            tally["examples"].append(("rejected, reference accepts", kind, raw[:300].decode("utf-8", "replace"),
                                      sorted(kinds_at[number])))
    for number, _ in expected:
        if number not in seen and number not in rejected_at:
            tally["by_kind"][kinds.get(number, "?")]["unread"] += 1
    tally["lines"] += len(expected)
    tally["accepted"] += len(accepted)
    tally["rejected"] += len(rejected_at)
    # 3. the valid output re-validates (a reference to a rater only on a rejected line is the known exception)
    if valid:
        again = validate_path(quarantine / f"{record_type}.jsonl", record_type=record_type, max_per_group=0)
        bad = [p for p in again.problems if p.severity == "error" and p.kind != "reference"]
        if bad:
            tally["revalidation_failures"] += len(bad)
            tally["examples"].append(("valid output does not re-validate", str(path), bad[0].format()))


def reader_rejects(path: Path, number: int, raw: bytes, record_type: str, kind: str, tally: dict[str, Any]) -> None:
    """The dataset reader must refuse a line both the validator and the reference refuse, with its own error."""
    try:
        structure(parse_line(path, number, raw), record_type)
    except (DataError, RecordError):
        return
    except Exception as exc:  # noqa: BLE001
        tally["tracebacks"] += 1
        tally["examples"].append(("reader traceback", kind, raw[:300].decode("utf-8", "replace"),
                                  f"{type(exc).__name__}: {exc}"[:300]))
        return
    tally["reader_disagrees"] += 1
    tally["examples"].append(("reader accepts a rejected line", kind, raw[:300].decode("utf-8", "replace")))


# -- the frame reader (Arrow fast path) and Parquet files ---------------------------------------------------


def _cell(value: Any) -> Any:
    """A frame cell as a plain Python value (numpy scalars unwrapped, NaN in a float column is null)."""
    if hasattr(value, "item") and not isinstance(value, (list, tuple, dict)):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


def _frame_row(frame: Any, index: int) -> dict[str, Any]:
    return {k: _cell(v) for k, v in frame.iloc[index].to_dict().items()}


def check_frame(rng: random.Random, records: list[dict[str, Any]], record_type: str, work: Path, tag: str,
                tally: dict[str, Any], kinds: tuple[str, ...] = tuple(MUTATIONS)) -> None:
    """One defect among valid lines: ``read_frame`` (Arrow first, then the strict reader) must give the
    validator's verdict on it, and when it accepts, the row must state what the reference reads."""
    from toolkit.dataset import read_frame

    n = 12
    start = rng.randrange(len(records))
    rows = [unique(records[(start + i) % len(records)], record_type, f"{tag}.{i}") for i in range(n)]
    at = rng.randrange(n)
    kind = rng.choices(kinds, [MUTATIONS[k][0] for k in kinds])[0]
    line = MUTATIONS[kind][1](rng, rows[at], dump(rows[at]).encode("utf-8"), records, record_type)
    lines = [dump(r).encode("utf-8") for r in rows]
    lines[at] = line
    path = work / f"{record_type}.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    tally["frame_files"] += 1
    report = validate_path(path, record_type=record_type, max_per_group=0)
    own = [p for p in report.problems if p.severity == "error" and p.kind not in CROSS_RECORD]
    try:
        frame = read_frame(path, record_type)
    except DataError:
        if not own:
            tally["frame_disagrees"] += 1
            tally["examples"].append(("frame reader rejects, validator accepts", kind, line[:300].decode(
                "utf-8", "replace")))
        return
    except Exception as exc:  # noqa: BLE001
        tally["tracebacks"] += 1
        tally["examples"].append(("frame reader traceback", kind, f"{type(exc).__name__}: {exc}"[:300]))
        return
    if own:
        tally["frame_disagrees"] += 1
        tally["examples"].append(("frame reader accepts, validator rejects", kind,
                                  line[:300].decode("utf-8", "replace"), own[0].format()[:200]))
        return
    physical = [i for i, x in enumerate(b"\n".join(lines).split(b"\n")) if x.strip(b" \t\r")]
    if len(frame) != len(physical):
        tally["frame_disagrees"] += 1
        tally["examples"].append(("frame has another row count", kind, len(frame), len(physical)))
        return
    row = physical.index(at) if at in physical else None
    if row is not None:
        try:
            ref = reference(lines[at], record_type, at == 0)
        except Rejected:
            return  # the validator's cross-record-free verdict and the reference differ: counted elsewhere
        got = _frame_row(frame, row)
        if not all(k == "schema_version" or k not in got or same(v, got[k]) for k, v in ref.items()):
            tally["altered"] += 1
            tally["examples"].append(("frame row differs from the reference", kind,
                                      line[:300].decode("utf-8", "replace"), repr(got)[:300]))


#: Mutations of the frame reader's one-defect files: not deep nesting, on which pyarrow 26's JSON reader
#: overflows the C stack and kills the process (a segmentation fault; see tests/toolkit/validate/test_fuzz.py).
FRAME_KINDS = tuple(k for k in MUTATIONS if k != "deep_nesting")

#: Parquet mutations: (name, change of a column-oriented table or of the file's bytes).
PARQUET_KINDS = ("none", "retype_column", "nan", "null", "drop_column", "extra_column", "duplicate_column",
                 "flip_bytes", "truncate")


def check_parquet(rng: random.Random, records: list[dict[str, Any]], record_type: str, work: Path, tag: str,
                  tally: dict[str, Any], kinds: tuple[str, ...] = PARQUET_KINDS) -> None:
    """A Parquet record file with one mutation: the toolkit reads it (frame and records) or raises DataError;
    what it reads is what the reference reads (pyarrow rows, strictly: no NaN, no repeated column, the schema)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from toolkit.dataset import read_frame
    from toolkit.parquet import iter_parquet_rows

    n = 12
    start = rng.randrange(len(records))
    rows = [unique(records[(start + i) % len(records)], record_type, f"{tag}.{i}") for i in range(n)]
    kind = rng.choice(kinds)
    keys = list(dict.fromkeys(k for r in rows for k in r))
    columns = {k: [r.get(k) for r in rows] for k in keys}
    names = list(keys)
    arrays = []
    target = rng.choice(keys)
    for k in keys:
        values = columns[k]
        if k == target and kind == "retype_column":
            sample = next((v for v in values if v is not None), None)
            if type(sample) is bool:
                values = [None if v is None else int(v) for v in values]
            elif type(sample) in (int, float):
                values = [None if v is None else str(v) for v in values]
            else:
                values = [None if v is None else len(dump(v)) for v in values]
        elif k == target and kind == "nan":
            values = [float("nan") if isinstance(v, float) else v for v in values]
            if not any(isinstance(v, float) for v in values):
                values = [float("nan")] * n
        elif k == target and kind == "null":
            values = [None] * n
        try:
            arrays.append(pa.array(values))
        except (pa.ArrowException, ValueError, TypeError, OverflowError):
            arrays.append(pa.array([dump(v) for v in values]))
    if kind == "drop_column":
        i = names.index(target)
        del names[i], arrays[i]
    elif kind == "extra_column":
        names.append("extra")
        arrays.append(pa.array(list(range(n))))
    elif kind == "duplicate_column":  # a repeated field name: the Parquet form of a repeated key
        i = names.index(target)
        names.append(target)
        arrays.append(arrays[i] if rng.random() < 0.5 else pa.array([None] * n, type=arrays[i].type))
    path = work / f"{record_type}.parquet"
    buf = pa.BufferOutputStream()
    # as the toolkit writes Parquet: page checksums on, so a flipped byte in a page is detected on read
    pq.write_table(pa.Table.from_arrays(arrays, names=names), buf, compression="zstd", write_page_checksum=True)
    data = buf.getvalue().to_pybytes()
    if kind == "flip_bytes":
        blob = bytearray(data)
        for _ in range(rng.randrange(1, 4)):
            i = rng.randrange(len(blob))
            blob[i] ^= 1 << rng.randrange(8)
        data = bytes(blob)
    elif kind == "truncate":
        data = data[: rng.randrange(len(data))]
    path.write_bytes(data)
    tally["parquet_files"] += 1
    tally["parquet_by_kind"][kind]["made"] += 1
    # the reference: pyarrow's rows, read strictly
    try:
        table = pq.read_table(path)
        if len(set(table.column_names)) != len(table.column_names):
            raise Rejected("a repeated column")
        ref_rows = [{k: v for k, v in r.items() if v is not None} for r in table.to_pylist()]
        for r in ref_rows:
            if any(isinstance(v, float) and v != v for v in r.values()):
                raise Rejected("NaN")
            structure(r, record_type)
    except (Rejected, RecordError, pa.ArrowException, OSError, ValueError):
        ref_rows = None
    outcome = {}
    for reader in ("frame", "records"):
        try:
            if reader == "frame":
                frame = read_frame(path, record_type)
                got_rows = [_frame_row(frame, i) for i in range(len(frame))]
            else:
                got_rows = [unstructure(structure(r, record_type)) for _, r in iter_parquet_rows(path)]
        except (DataError, RecordError):
            outcome[reader] = "rejected"
            continue
        except Exception as exc:  # noqa: BLE001
            tally["tracebacks"] += 1
            tally["examples"].append((f"parquet {reader} traceback", kind, f"{type(exc).__name__}: {exc}"[:300]))
            continue
        outcome[reader] = "accepted"
        if kind in ("flip_bytes", "truncate") and not all(
            all(k == "schema_version" or k not in g or same(v, g[k]) for k, v in r.items())
            for r, g in zip(rows, got_rows, strict=False)
        ) or (kind in ("flip_bytes", "truncate") and len(got_rows) != len(rows)):
            tally["parquet_silent_corruption"] += 1  # a corrupted file read without error as other values
            tally["examples"].append((f"parquet {reader} reads a corrupted file as other values", kind))
        if ref_rows is None or len(got_rows) != len(ref_rows) or not all(
            all(k == "schema_version" or k not in g or same(v, g[k]) for k, v in r.items())
            for r, g in zip(ref_rows, got_rows, strict=True)
        ):
            tally["altered"] += 1
            tally["examples"].append((f"parquet {reader} accepts what the reference does not read the same", kind,
                                      target, None if ref_rows is None else "values differ"))
    if outcome.get("frame") != outcome.get("records"):
        tally["parquet_readers_disagree"] += 1
        tally["examples"].append(("parquet frame and records readers disagree", kind, target, outcome))
    tally["parquet_by_kind"][kind][outcome.get("frame", "traceback")] += 1


def new_tally() -> dict[str, Any]:
    tally: dict[str, Any] = Counter()
    tally["by_kind"] = defaultdict(Counter)
    tally["parquet_by_kind"] = defaultdict(Counter)
    tally["examples"] = []
    return tally


def campaign(lines: int, seed: int, per_file: int = 1000, work: Path | None = None,
             progress: bool = False, keep: Path | None = None, frame_files: int = 2) -> dict[str, Any]:
    """Run ``lines`` mutated lines (about) through the invariants; return the counts."""
    rng = random.Random(seed)
    records = sample_records()
    names = sorted(records)
    tally = new_tally()
    files = Counter()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="fuzz-", dir=work) as tmp:
        folder = Path(tmp)
        i = 0
        while tally["lines_written"] < lines:
            record_type = names[i % len(names)]
            body, made = make_file(rng, records[record_type], record_type, min(per_file, lines), f"{seed}.{i}")
            data, gz, change = container(rng, body)
            path = folder / f"{record_type}.jsonl{'.gz' if gz else ''}"
            path.write_bytes(data)
            content = readable(data) if gz else data
            kinds = {n: k for n, k in enumerate(made, start=1)}
            before = violations(tally)
            check_file(path, record_type, content, kinds, folder, tally)
            if keep is not None and violations(tally) > before:  # keep the file that broke an invariant
                keep.mkdir(parents=True, exist_ok=True)
                shutil.copy(path, keep / f"{i:05d}-{change}-{path.name}")
            for k in made:
                tally["by_kind"][k]["made"] += 1
            tally["lines_written"] += len(made)
            files[change] += 1
            for j in range(frame_files):  # one-defect files through the frame reader, JSONL and Parquet
                check_frame(rng, records[record_type], record_type, folder, f"{seed}.{i}.f{j}", tally, FRAME_KINDS)
                check_parquet(rng, records[record_type], record_type, folder, f"{seed}.{i}.p{j}", tally)
            i += 1
            if progress and i % 50 == 0:
                rate = tally["lines_written"] / (time.perf_counter() - start)
                print(f"  {tally['lines_written']:>9,} lines, {rate:,.0f} lines/s, tracebacks {tally['tracebacks']}, "
                      f"lost {tally['lost']}, altered {tally['altered']}", flush=True)
    tally["files"] = files
    tally["seconds"] = time.perf_counter() - start
    return tally


def summary(tally: dict[str, Any], seed: int) -> dict[str, Any]:
    keys = ("lines_written", "lines", "accepted", "rejected", "unreadable_reported", "tracebacks",
            "internal_errors", "lost", "altered", "miscounted", "accepted_but_reference_rejects",
            "false_rejections", "reader_disagrees", "revalidation_failures", "frame_files", "frame_disagrees",
            "parquet_files", "parquet_readers_disagree", "parquet_silent_corruption")
    return {
        "seed": seed,
        "python": platform.python_version(),
        **{k: tally[k] for k in keys},
        "seconds": round(tally["seconds"], 1),
        "lines_per_second": round(tally["lines_written"] / max(tally["seconds"], 1e-9)),
        "files": dict(sorted(tally["files"].items())),
        "mutations": {k: dict(sorted(v.items())) for k, v in sorted(tally["by_kind"].items())},
        "parquet_mutations": {k: dict(sorted(v.items())) for k, v in sorted(tally["parquet_by_kind"].items())},
        "examples": tally["examples"][:20],
    }


def violations(tally: dict[str, Any]) -> int:
    return sum(tally[k] for k in ("tracebacks", "internal_errors", "lost", "altered", "miscounted",
                                  "accepted_but_reference_rejects", "false_rejections", "reader_disagrees",
                                  "revalidation_failures", "frame_disagrees", "parquet_readers_disagree"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=20_000, help="mutated lines (physical lines written)")
    parser.add_argument("--full", action="store_true", help="1,000,000 lines")
    parser.add_argument("--seed", type=int, default=20260615)
    parser.add_argument("--per-file", type=int, default=1000, help="lines per fuzzed file")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the counts go (JSON)")
    parser.add_argument("--keep", type=Path, help="copy every file that breaks an invariant into this folder")
    args = parser.parse_args()
    lines = 1_000_000 if args.full else args.lines
    print(f"fuzzing recenter validate: {lines:,} lines, seed {args.seed}", flush=True)
    tally = campaign(lines, args.seed, args.per_file, progress=True, keep=args.keep)
    result = summary(tally, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k not in ("mutations", "examples")}, indent=2))
    for example in result["examples"][:10]:
        print("  example:", example)
    print(f"written {args.out}")
    return 1 if violations(tally) else 0


if __name__ == "__main__":
    sys.exit(main())
