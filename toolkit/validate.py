"""``recenter validate PATH``: check a dataset folder (or one JSONL file) and report every problem.

What is checked, line by line and across files:

* encoding and syntax: UTF-8 (a BOM on line 1 and CRLF line ends are accepted), strict JSON (no NaN or
  Infinity), no lone-surrogate ``\\uD8xx`` escapes (they are not valid Unicode text);
* the schema of the record type (missing, unknown and wrong-typed fields, enums, ranges, schema version),
  exactly as :func:`schemas.structure` decides;
* duplicates: two entities with the same id, or the same rater judging the same item twice (reported at the
  second occurrence, with the line of the first);
* referential integrity across files (``RecordType.references`` of :mod:`schemas.registry`) and the
  cross-record rules: a relevance judgment's attribute belongs to its user; a response rating compares the
  personalized and the generic response of the same user, prompt and generator; an aggregate rater's
  ``derived_from`` raters exist;
* the manifest: schema version, per-file record counts and SHA-256, files listed but absent;
* the folder: stray files and ``*.jsonl`` files of unknown record types are warnings; a subfolder with its
  own ``manifest.json`` is a separate dataset (e.g. an importer's ``pilot_task3/``) and is validated on its own.

Every problem is reported as ``file:line: field: message`` (line 1-based, 0 for the file as a whole); the exit
code is 0 when there are no errors (warnings allowed) and 1 otherwise.

**Capping.** Problems are grouped by (file, field, kind, severity); the report keeps the first
``max_per_group`` problems of each group (default 50, ``--max-per-group 0`` keeps all) and counts the others
exactly: the text format ends each file with ``... and N more`` lines, the JSON format lists them under
``"omitted"`` and its ``"errors"`` / ``"warnings"`` totals are exact. A reference into a record file that is
absent is reported once per field, with the number of references.

**Speed and memory.** Files are streamed; no record is kept. Entity ids (raters, users, attributes, prompts,
responses) are kept for the reference checks; judgments keep only a 64-bit hash of their key for the duplicate
check (a second pass over the file finds the line of the first occurrence and confirms the key, so a hash
collision never produces a false report). Valid lines take a fast path: a checker generated from the attrs
classes (proven equivalent to :func:`schemas.structure` by a property test); only lines it does not accept
go through :func:`schemas.structure` for the exact messages. Keys of records that fail their own schema
still count as existing for the reference checks, so one bad line does not cascade into many. Peak memory
is the interpreter plus about 60-70 bytes per judgment key (about 110 MB for 1M judgments; see
``benchmarks/validate.py``). With ``--quarantine`` a suspected duplicate is routed to the rejected file as it
is met; only a 64-bit hash collision (odds about n^2 / 2^65) could misroute a line there.
"""

from __future__ import annotations

import argparse
import base64
import enum
import hashlib
import json
import json.scanner
import operator
import re
import sys
import types
import typing
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import attrs

from schemas import _common, migrations
from schemas.converter import RecordError, converter, structure, unstructure
from schemas.registry import RECORD_TYPES, RecordType
from toolkit.jsonl import DataError

MANIFEST = "manifest.json"  # as toolkit.dataset.MANIFEST (not imported: it pulls in pandas)
PROVENANCE_KINDS = ("simulated", "real")  # as toolkit.dataset.PROVENANCE_KINDS

DEFAULT_MAX_PER_GROUP = 50
#: Files a dataset folder may hold besides its record files.
ALLOWED_EXTRA = (
    MANIFEST, "ground_truth.json", "ground_truth.json.gz", "README.md", "import_report.json", "import_report.md",
)
_MAX_TEXT = 300  # longest message / field text kept in a problem (values can be megabytes long)
_MAX_ERRORS_PER_LINE = 100  # in a quarantine entry
_BLOCK = 1 << 20

# ---------------------------------------------------------------------------------------------------------
# Report


@attrs.frozen
class Problem:
    """One problem: ``file:line: field: message``.

    Attributes
    ----------
    file : str
        The file, relative to the dataset folder (or the path as given for a single file).
    line : int
        1-based physical line; 0 for a problem of the file as a whole.
    field : str
        Field path (``"rating"``, ``"turns[2].role"``), or ``"<line>"`` (encoding/syntax), ``"<record>"``
        (the record as a whole), ``"<file>"``.
    message : str
    severity : str
        ``"error"`` or ``"warning"``.
    kind : str
        The problem's family (``json``, ``utf8``, ``schema``, ``duplicate``, ``reference``, ``consistency``,
        ``manifest``, ``file``, ``stray``, ``internal`` ...), used to group and cap repeated problems.
    count : int
        How many occurrences this problem stands for (more than 1 only for aggregated problems, such as the
        references into an absent file).
    """

    file: str
    line: int
    field: str
    message: str
    severity: str = "error"
    kind: str = "schema"
    count: int = 1

    def format(self) -> str:
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{self.file}:{self.line}: {self.field}: {prefix}{self.message}"

    def as_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.define
class FileStats:
    """Per-file counts: non-blank lines (records), how many passed every check, how many did not."""

    record_type: str | None
    records: int = 0
    valid: int = 0
    rejected: int = 0


@attrs.define
class ValidationReport:
    """The result of :func:`validate_path`.

    ``problems`` holds at most ``max_per_group`` problems per (file, field, kind, severity) group;
    ``omitted`` counts the others exactly. ``errors`` / ``warnings`` are exact totals.
    """

    path: str
    problems: list[Problem] = attrs.field(factory=list)
    files: dict[str, FileStats] = attrs.field(factory=dict)
    omitted: dict[tuple[str, str, str, str], int] = attrs.field(factory=dict)
    cross_file_checked: bool = True
    max_per_group: int = DEFAULT_MAX_PER_GROUP

    @property
    def errors(self) -> int:
        return self._total("error")

    @property
    def warnings(self) -> int:
        return self._total("warning")

    def _total(self, severity: str) -> int:
        kept = sum(p.count for p in self.problems if p.severity == severity)
        return kept + sum(n for (_, _, _, sev), n in self.omitted.items() if sev == severity)

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return self.errors == 0

    @property
    def records(self) -> int:
        return sum(s.records for s in self.files.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "ok": self.ok,
            "errors": self.errors,
            "warnings": self.warnings,
            "records": self.records,
            "cross_file_references_checked": self.cross_file_checked,
            "max_per_group": self.max_per_group,
            "files": {name: attrs.asdict(stats) for name, stats in self.files.items()},
            "problems": [p.as_dict() for p in self.problems],
            "omitted": [
                {"file": f, "field": fld, "kind": k, "severity": s, "count": n}
                for (f, fld, k, s), n in self.omitted.items()
            ],
        }

    def to_json(self) -> str:
        """The report as JSON text (exact counts; see the module doc for the capping of problem lists)."""
        return json.dumps(self.as_dict(), indent=2, ensure_ascii=False)

    def format_text(self) -> str:
        """``file:line: field: message`` lines, ``... and N more`` lines for capped groups, then a summary."""
        out: list[str] = []
        omitted_by_file: dict[str, list[tuple[tuple[str, str, str, str], int]]] = {}
        for key, n in self.omitted.items():
            omitted_by_file.setdefault(key[0], []).append((key, n))
        current: str | None = None
        for p in self.problems:
            if p.file != current:
                if current is not None:
                    out += _omitted_lines(omitted_by_file.pop(current, []))
                current = p.file
            out.append(p.format())
        if current is not None:
            out += _omitted_lines(omitted_by_file.pop(current, []))
        for rest in omitted_by_file.values():
            out += _omitted_lines(rest)
        if out:
            out.append("")
        for name, stats in self.files.items():
            if stats.record_type is not None:
                out.append(
                    f"{name}: {stats.records} records ({stats.record_type}), {stats.valid} valid, "
                    f"{stats.rejected} rejected"
                )
        if not self.cross_file_checked:
            out.append("cross-file references were not checked (a single file was validated)")
        errors, warnings = self.errors, self.warnings
        verdict = "OK" if errors == 0 else "FAILED"
        out.append(
            f"{verdict}: {errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)} "
            f"in {len(self.files)} file{'s' * (len(self.files) != 1)} ({self.records} records)"
        )
        return "\n".join(out)


def _omitted_lines(groups: list[tuple[tuple[str, str, str, str], int]]) -> list[str]:
    return [
        f"{file}: {field}: ... and {n} more {kind} {severity}{'s' * (n != 1)} (not shown; see --max-per-group)"
        for (file, field, kind, severity), n in groups
    ]


_INDEX = re.compile(r"\[\d+\]")
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


def _clean(text: str, limit: int = _MAX_TEXT) -> str:
    """Keep output one line of valid text: escape control characters and lone surrogates, cut long text."""
    if len(text) > limit:
        text = text[:limit] + f"... ({len(text) - limit} more characters)"
    if _UNPRINTABLE.search(text):
        text = _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
    return text


class _Collector:
    """Collects problems with the per-group cap."""

    def __init__(self, report: ValidationReport) -> None:
        self.report = report
        self.cap = report.max_per_group
        self.seen: dict[tuple[str, str, str, str], int] = {}

    def add(
        self, file: str, line: int, field: str, message: str, severity: str = "error", kind: str = "schema",
        count: int = 1,
    ) -> None:
        group_field = "<unknown field>" if message == "unknown field" else _INDEX.sub("[]", field)
        key = (file, _clean(group_field), kind, severity)
        n = self.seen.get(key, 0)
        self.seen[key] = n + 1
        if self.cap and n >= self.cap and count == 1:
            self.report.omitted[key] = self.report.omitted.get(key, 0) + 1
            return
        self.report.problems.append(Problem(file, line, _clean(field), _clean(message), severity, kind, count))


# ---------------------------------------------------------------------------------------------------------
# Fast schema checkers, generated from the attrs classes

_MISSING = object()


class _Unsupported(Exception):
    """A type or validator the generator does not translate (the class then uses the full structure)."""


class _CheckerBuilder:
    """Writes one Python predicate per attrs class: ``True`` iff :func:`schemas.structure` would accept.

    Types and the validators of :mod:`schemas._common` become inline expressions on the raw JSON values; a
    class with a validator the builder does not know (e.g. a cross-field method validator) runs its inline
    checks first and then the real cattrs structuring hook, so the predicate stays exact.
    """

    def __init__(self) -> None:
        self.ns: dict[str, Any] = {
            "M": _MISSING,
            "MAXF": sys.float_info.max,
            "CURRENT": migrations.CURRENT,
            "_full": _full_structure,
        }
        self.sources: list[str] = []
        self.names: dict[type, str] = {}
        self.depth = 0

    def checker(self, cls: type, top_level: bool) -> Callable[[Any], bool]:
        name = self.class_function(cls, top_level)
        return self.ns[name]

    def class_function(self, cls: type, top_level: bool = False) -> str:
        key = (cls, top_level)
        if key in self.names:
            return self.names[key]
        fname = f"_check_{cls.__name__}{'_top' if top_level else ''}"
        self.names[key] = fname
        fields = attrs.fields(cls)
        self.ns[f"A_{fname}"] = frozenset(f.name for f in fields)
        required: list[tuple[str, str]] = []  # (field, local variable): fetched at once, KeyError if absent
        terms: list[str] = []
        needs_full = False
        for i, f in enumerate(fields):
            if f.name == "schema_version" and f.validator is _common.schema_version:
                # The current version exactly; anything else goes through migrations in schemas.structure.
                required.append((f.name, "v_version"))
                terms.append("v_version == CURRENT")
                continue
            var = f"v{i}" if f.default is attrs.NOTHING else "v"
            try:
                check = f"({self.type_expr(f.type, var)})"
                valid_expr, exact = self.validator_expr(f.validator, var, f.type)
            except _Unsupported:
                needs_full = True
                continue
            needs_full |= not exact
            if valid_expr != "True":
                check += f" and ({valid_expr})"
            if f.default is attrs.NOTHING:
                required.append((f.name, var))
                terms.append(f"({check})")
            elif exact and not self._default_passes(f):
                terms.append(f"((v := d.get({f.name!r}, M)) is not M and {check})")
            elif exact and f.default is None and _is_optional(f.type):
                # Absent and null are the same here: both give None, which the check accepts.
                terms.append(f"((v := d.get({f.name!r})) is None or ({check}))")
            else:
                # An absent field takes its default, which the validators see too; when some validator is not
                # translated, the full structuring decides about the default as well.
                terms.append(f"((v := d.get({f.name!r}, M)) is M or ({check}))")
        if needs_full:
            self.ns[f"C_{fname}"] = cls
            terms.append(f"_full(d, C_{fname})")
        lines = [f"def {fname}(d):", f"    if type(d) is not dict or not d.keys() <= A_{fname}:", "        return False"]
        if required:
            names = [name for name, _ in required]
            self.ns[f"G_{fname}"] = operator.itemgetter(*names)
            targets = ", ".join(var for _, var in required) + ("," if len(required) == 1 else "")
            fetch = f"G_{fname}(d)" if len(required) > 1 else f"(G_{fname}(d),)"
            lines += ["    try:", f"        {targets} = {fetch}", "    except KeyError:", "        return False"]
        lines.append("    return (\n        " + "\n        and ".join(terms or ["True"]) + "\n    )")
        source = "\n".join(lines) + "\n"
        self.sources.append(source)
        exec(compile(source, f"<validate:{fname}>", "exec"), self.ns)  # noqa: S102 - generated from attrs fields
        return fname

    @staticmethod
    def _default_passes(f: attrs.Attribute) -> bool:
        if f.validator is None:
            return True
        try:
            f.validator(types.SimpleNamespace(), f, f.default)
        except Exception:  # noqa: BLE001 - a default the validator rejects makes the field required
            return False
        return True

    def type_expr(self, tp: Any, v: str) -> str:
        origin = typing.get_origin(tp)
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) != 1 or len(typing.get_args(tp)) != 2:
                raise _Unsupported(tp)
            return f"{v} is None or ({self.type_expr(args[0], v)})"
        if origin is tuple:
            args = typing.get_args(tp)
            if len(args) != 2 or args[1] is not Ellipsis:
                raise _Unsupported(tp)
            self.depth += 1
            x = f"x{self.depth}"
            try:
                inner = self.type_expr(args[0], x)
            finally:
                self.depth -= 1
            return f"(type({v}) is list or type({v}) is tuple) and all(({inner}) for {x} in {v})"
        if attrs.has(tp):
            return f"{self.class_function(tp)}({v})"
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            name = f"E_{tp.__name__}"
            self.ns[name] = frozenset(str(m.value) for m in tp)
            return f"type({v}) is str and {v} in {name}"
        if tp is str:
            return f"type({v}) is str"
        if tp is bool:
            return f"{v} is True or {v} is False"
        if tp is int:
            return f"type({v}) is int or (type({v}) is float and {v}.is_integer())"
        if tp is float:
            return f"type({v}) is float or (type({v}) is int and -MAXF <= {v} <= MAXF)"
        raise _Unsupported(tp)

    def validator_expr(self, validator: Any, v: str, tp: Any) -> tuple[str, bool]:
        """(expression, exact): ``exact`` False when some validator could not be translated."""
        if validator is None:
            return "True", True
        known = {
            _common.non_empty: f"{v} and not {v}.isspace()",
            _common.is_str: "True",
            _common.optional_str: "True",
            _common.is_bool: "True",
            _common.optional_bool: "True",
            _common.str_tuple: "True",
            _common.finite: f"{v} - {v} == 0",
            _common.optional_finite: f"{v} is None or {v} - {v} == 0",
            _common.unit_interval: f"0 <= {v} <= 1",
            _common.optional_unit_interval: f"{v} is None or 0 <= {v} <= 1",
            _common.rating_1_to_5: f"1 <= {v} <= 5",
            _common.non_empty_str_tuple: f"all(s and not s.isspace() for s in {v})",
        }
        try:
            if validator in known:
                return known[validator], True
        except TypeError:  # an unhashable validator object
            pass
        if type(validator).__name__ == "_InstanceOfValidator":
            # The structured value has the field's type already: enum members, tuples.
            expected = validator.type
            base = [a for a in (tp, *typing.get_args(tp)) if a is not type(None)]
            if any(expected is b or typing.get_origin(b) is expected for b in base):
                return "True", True
            return "True", False
        if type(validator).__name__ == "_OptionalValidator":
            inner, exact = self.validator_expr(validator.validator, v, tp)
            return f"{v} is None or ({inner})", exact
        if type(validator).__name__ == "_AndValidator":
            parts = [self.validator_expr(inner, v, tp) for inner in validator._validators]  # noqa: SLF001
            return " and ".join(f"({p})" for p, _ in parts), all(e for _, e in parts)
        return "True", False


def _is_optional(tp: Any) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType) and type(None) in typing.get_args(tp)


def _full_structure(data: dict[str, Any], cls: type) -> bool:
    try:
        converter.structure(data, cls)
    except Exception:  # noqa: BLE001 - any failure means "not accepted"
        return False
    return True


_BUILDER = _CheckerBuilder()
_CHECKERS: dict[str, Callable[[Any], bool]] = {}


def fast_checker(name: str) -> Callable[[Any], bool]:
    """The generated predicate of record type ``name``: True iff ``schemas.structure(data, name)`` succeeds.

    It never raises and builds no object; records of an older schema version get False (they need
    migrating, which :func:`schemas.structure` does).
    """
    if name not in _CHECKERS:
        _CHECKERS[name] = _BUILDER.checker(RECORD_TYPES[name].cls, top_level=True)
    return _CHECKERS[name]


def checker_source() -> str:
    """The generated source of every checker built so far (for debugging)."""
    return "\n".join(_BUILDER.sources)


# ---------------------------------------------------------------------------------------------------------
# Line reading and parsing


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
_SCAN = (json.scanner.c_make_scanner or json.scanner.py_make_scanner)(_DECODER)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _parse_slow(text: str) -> tuple[Any, str | None]:
    """json.loads with the toolkit's strictness; (value, None) or (None, error message)."""
    if text.startswith("\ufeff"):
        return None, "invalid JSON: a byte order mark (BOM) is allowed only at the start of the file"
    try:
        return _DECODER.decode(text), None
    except RecursionError:
        return None, "invalid JSON: nested too deeply"
    except ValueError as exc:
        return None, f"invalid JSON: {exc}"


def _has_lone_surrogate(value: Any) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


class _Reader:
    """Binary reading of a plain or gzip file, hashing the bytes as stored (SHA-256) when asked.

    Gzip is decompressed here rather than by :mod:`gzip` so that everything before a truncation or a corrupt
    member is still returned (and checked) before the error is raised.
    """

    def __init__(self, path: Path, hasher: Any = None) -> None:
        self.raw = open(path, "rb")  # noqa: SIM115 - closed in close()
        self.hasher = hasher
        self.gz = path.name.endswith(".gz")
        self.inflate = zlib.decompressobj(31)
        self.member_started = False

    def __enter__(self) -> _Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.raw.close()

    def _raw_read(self) -> bytes:
        data = self.raw.read(_BLOCK)
        if data and self.hasher is not None:
            self.hasher.update(data)
        return data

    def read(self, size: int) -> bytes:
        if not self.gz:
            return self._raw_read()
        while True:
            inflate = self.inflate
            if inflate.unconsumed_tail:
                data = inflate.unconsumed_tail
            elif inflate.eof:  # a member ended: another may follow (concatenated gzip), after zero padding
                data = inflate.unused_data.lstrip(b"\x00")
                while not data:
                    more = self._raw_read()
                    if not more:
                        return b""
                    data = more.lstrip(b"\x00")
                self.inflate = inflate = zlib.decompressobj(31)
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


def _open_stream(path: Path, hasher: Any = None) -> _Reader:
    return _Reader(path, hasher)


def _iter_blocks(fh: _Reader) -> Iterator[tuple[int, list[bytes]]]:
    """``(number of lines before, lines)`` per block read; lines without their newline; lines may be huge."""
    number = 0
    carry: list[bytes] = []
    read = fh.read
    while True:
        block = read(_BLOCK)
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


def _iter_raw_lines(fh: _Reader) -> Iterator[tuple[int, bytes]]:
    """``(physical line number, line without its newline)`` for every line."""
    for before, lines in _iter_blocks(fh):
        yield from enumerate(lines, start=before + 1)


# ---------------------------------------------------------------------------------------------------------
# The validator


def _quarantine_raw(raw: bytes) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return {"raw": base64.b64encode(raw).decode("ascii"), "raw_encoding": "base64"}
    return {"raw": text}


class _Quarantine:
    """``DIR/<type>.jsonl`` (valid lines, verbatim) and ``DIR/<type>.rejected.jsonl`` (lines with errors)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.handles: dict[str, tuple[IO[bytes], IO[bytes]]] = {}

    def open(self, name: str) -> tuple[IO[bytes], IO[bytes]]:
        if name not in self.handles:
            self.handles[name] = (
                open(self.folder / f"{name}.jsonl", "wb"),
                open(self.folder / f"{name}.rejected.jsonl", "wb"),
            )
        return self.handles[name]

    @staticmethod
    def reject(fh: IO[bytes], number: int, errors: list[tuple[str, str]], raw: bytes) -> None:
        shown = [{"field": _clean(f), "message": _clean(m)} for f, m in errors[:_MAX_ERRORS_PER_LINE]]
        if len(errors) > _MAX_ERRORS_PER_LINE:
            shown.append({"field": "<record>", "message": f"... and {len(errors) - _MAX_ERRORS_PER_LINE} more"})
        entry = {"line": number, "errors": shown, **_quarantine_raw(raw)}
        fh.write(json.dumps(entry, ensure_ascii=False).encode("utf-8") + b"\n")

    def close(self) -> None:
        for valid, rejected in self.handles.values():
            valid.close()
            rejected.close()


#: Problem kinds reported at the end of the file rather than at their line.
_LATER = frozenset({"absent", "duplicate-pending"})
#: Fields kept per entity id for the cross-record rules.
_EXTRAS: dict[str, tuple[str, ...]] = {
    "attributes": ("user_id",),
    "responses": ("user_id", "prompt_id", "generator", "condition"),
}
#: Record types whose ids are kept exactly (they are referenced by other types).
_ENTITY_TYPES = frozenset(t for rt in RECORD_TYPES.values() for t in rt.references.values())


class _Validator:
    def __init__(self, report: ValidationReport, quarantine: _Quarantine | None, cross_file: bool) -> None:
        self.report = report
        self.out = _Collector(report)
        self.quarantine = quarantine
        self.cross_file = cross_file
        self.ids: dict[str, dict[str, int]] = {}  # entity type -> id -> first line
        self.extras: dict[str, dict[str, Any]] = {}  # entity type -> id -> kept field value(s)
        self.present: dict[str, str] = {}  # record type -> file name (of the first file of that type)

    # -- per file -------------------------------------------------------------------------------------

    def check_file(self, path: Path, label: str, rt: RecordType, hasher: Any = None) -> None:
        stats = self.report.files.setdefault(label, FileStats(rt.name))
        try:
            state = _FileState(self, rt, label)
        except Exception as exc:  # noqa: BLE001 - never a traceback
            self.out.add(label, 0, "<file>", f"internal error: {type(exc).__name__}: {exc}", kind="internal")
            return
        try:
            with _open_stream(path, hasher) as fh:
                state.run(fh, stats)
        except (OSError, EOFError, zlib.error) as exc:
            state.read_error = True
            what = "not a valid gzip file" if path.name.endswith(".gz") else "read error"
            self.out.add(label, state.last_line, "<file>", f"stopped reading here: {what}: {exc}", kind="file")
        except Exception as exc:  # noqa: BLE001 - never a traceback; report and go on with other files
            state.read_error = True
            self.out.add(label, state.last_line, "<file>", f"internal error: {type(exc).__name__}: {exc}",
                         kind="internal")
        try:
            state.finish(path, stats)
        except Exception as exc:  # noqa: BLE001
            self.out.add(label, 0, "<file>", f"internal error: {type(exc).__name__}: {exc}", kind="internal")
        if stats.records == 0 and not state.read_error:
            self.out.add(label, 0, "<file>", "empty file (no records)", severity="warning", kind="file")
        if state.utf16:
            self.out.add(label, 0, "<file>", "looks like UTF-16 text; JSONL files must be UTF-8", kind="file")
        if state.gzip_magic:
            self.out.add(label, 0, "<file>", f"looks gzip-compressed; name it {path.name}.gz", kind="file")


class _FileState:
    """Everything needed while streaming one file of one record type."""

    def __init__(self, v: _Validator, rt: RecordType, label: str) -> None:
        self.v = v
        self.rt = rt
        self.label = label
        self.last_line = 0
        self.utf16 = False
        self.gzip_magic = False
        self.out = v.out
        self.schema_ok = fast_checker(rt.name)
        self.fields = {f.name: f for f in attrs.fields(rt.cls)}
        # Keys: exact ids for entity types, 64-bit hashes for the others.
        self.entity = rt.name in _ENTITY_TYPES and len(rt.key) == 1
        if self.entity:
            self.ids = v.ids.setdefault(rt.name, {})
            self.extras = v.extras.setdefault(rt.name, {}) if rt.name in _EXTRAS else None
        else:
            self.hashes: set[int] = set()
            self.dup_pending: list[tuple[int, tuple[Any, ...]]] = []
            self.only_dup: set[int] = set()  # lines whose one problem is a suspected duplicate
        self.key_get = operator.itemgetter(*rt.key)
        self.key_nullable = tuple(self._nullable(k) for k in rt.key)
        # References: present targets checked inline; absent targets aggregated; self references deferred.
        self.self_refs = [f for f, t in rt.references.items() if t == rt.name]
        self.deferred: list[tuple[int, str, str]] = []  # (line, field path, id)
        self.refs: list[tuple[str, str]] = []
        self.absent: dict[str, list[Any]] = {}  # field -> [first line, first id, count]
        if v.cross_file:
            for fname, target in rt.references.items():
                if target == rt.name:
                    continue
                if target in v.present:
                    self.refs.append((fname, target))
                else:
                    self.absent[fname] = [0, None, 0]
        self.links_ok = self._build_links() if (self.refs or self._rules()) else None
        self.q = v.quarantine.open(rt.name) if v.quarantine is not None else None
        # Lines valid so far that wait for the deferred checks: (line, raw line if quarantining).
        self.pending_valid: list[tuple[int, bytes | None]] = []
        self.gz_name = label.endswith(".gz")
        self.read_error = False

    def _nullable(self, name: str) -> bool:
        f = self.fields[name]
        return f.default is None

    def _rules(self) -> list[str]:
        """Inline expressions of the cross-record rules that apply (their targets are present)."""
        rules = []
        present = self.v.present if self.v.cross_file else {}
        if self.rt.name == "relevance_judgments" and "attributes" in present:
            rules.append("X_attributes.get(d['attribute_id'], M) == d['user_id']")
        if self.rt.name == "response_ratings" and "responses" in present:
            rules.append(
                "(p := X_responses.get(d['personalized_response_id'])) is not None"
                " and (g := X_responses.get(d['generic_response_id'])) is not None"
                " and p[3] == 'personalized' and g[3] == 'generic' and p[:3] == g[:3]"
            )
        return rules

    def _build_links(self) -> Callable[[dict[str, Any]], bool]:
        ns: dict[str, Any] = {"M": _MISSING}
        terms = []
        for i, (fname, target) in enumerate(self.refs):
            ns[f"R{i}"] = self.v.ids.setdefault(target, {})
            f = self.fields[fname]
            is_tuple = any(typing.get_origin(a) is tuple for a in (f.type, *typing.get_args(f.type)))
            # Only called on schema-valid records: required fields are there.
            if f.default is attrs.NOTHING:
                terms.append(f"all(x in R{i} for x in d[{fname!r}])" if is_tuple else f"d[{fname!r}] in R{i}")
            elif is_tuple:
                terms.append(f"((v := d.get({fname!r})) is None or all(x in R{i} for x in v))")
            else:
                terms.append(f"((v := d.get({fname!r})) is None or v in R{i})")
        for target in ("attributes", "responses"):
            ns[f"X_{target}"] = self.v.extras.setdefault(target, {})
        terms += [f"({r})" for r in self._rules()]
        source = "def links(d):\n    return (\n        " + "\n        and ".join(terms or ["True"]) + "\n    )\n"
        exec(compile(source, f"<validate:links:{self.rt.name}>", "exec"), ns)  # noqa: S102
        return ns["links"]

    # -- the file -------------------------------------------------------------------------------------

    def run(self, fh: _Reader, stats: FileStats) -> None:
        """Stream the file. A line that is valid JSON, passes the generated schema and link checks and has a
        new key is counted here (the fast path); any other line goes through :meth:`line`, which reports.
        """
        general = self.line
        if self.entity or self.absent or self.self_refs:
            for before, lines in _iter_blocks(fh):
                for number, raw in enumerate(lines, start=before + 1):
                    general(number, raw, stats)
            return
        scan, schema_ok, links_ok, key_get, hashes = _SCAN, self.schema_ok, self.links_ok, self.key_get, self.hashes
        write = self.q[0].write if self.q is not None else None
        newline = b"\n"
        fast = 0
        number = 0
        try:
            for before, lines in _iter_blocks(fh):
                number = before
                for raw in lines:
                    number += 1
                    if number > 1:  # line 1 (a BOM, a UTF-16 or gzip signature) takes the general path
                        try:
                            text = raw.decode()
                            data, end = scan(text, 0)
                        except Exception:  # noqa: BLE001 - the general path says what is wrong
                            text, end = "", -1
                        if (
                            end == len(text)
                            and "\\u" not in text
                            and schema_ok(data)
                            and (links_ok is None or links_ok(data))
                        ):
                            h = hash(key_get(data))
                            if h not in hashes:
                                hashes.add(h)
                                fast += 1
                                if write is not None:
                                    write(raw + newline)
                                continue
                    general(number, raw, stats)
        finally:
            stats.records += fast
            stats.valid += fast
            self.last_line = max(self.last_line, number)

    # -- one line -------------------------------------------------------------------------------------

    def line(self, number: int, raw: bytes, stats: FileStats) -> None:
        self.last_line = number
        if raw.endswith(b"\r"):
            raw = raw.rstrip(b"\r")
        if number == 1:
            if raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
                self.utf16 = True
            elif raw.startswith(b"\x1f\x8b") and not self.gz_name:
                self.gzip_magic = True
        if not raw or raw.isspace():
            return
        stats.records += 1
        try:
            errors = self.check(number, raw)
        except Exception as exc:  # noqa: BLE001 - an internal error becomes a problem, never a traceback
            errors = [("<record>", f"internal error: {type(exc).__name__}: {exc}", "internal")]
            self.out.add(self.label, number, errors[0][0], errors[0][1], kind="internal")
        if errors is None:
            stats.valid += 1
            if self.self_refs:
                self.pending_valid.append((number, raw if self.q is not None else None))
            elif self.q is not None:
                self.q[0].write(raw + b"\n")
        else:
            stats.rejected += 1
            if self.q is not None:
                _Quarantine.reject(self.q[1], number, [(f, m) for f, m, _ in errors], raw)

    def check(self, number: int, raw: bytes) -> list[tuple[str, str, str]] | None:
        """Check one non-blank line; report its problems; return None when valid, else its errors."""
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            return self._report(number, [("<line>", f"invalid UTF-8 at byte {exc.start}", "utf8")])
        try:
            data, end = _SCAN(text, 0)
        except Exception:  # noqa: BLE001 - StopIteration, ValueError, RecursionError: the slow path says why
            end = -1
        if end != len(text):
            data, message = _parse_slow(text)
            if message is not None:
                return self._report(number, [("<line>", message, "json")])
        if "\\u" in text and _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(data):
            return self._report(
                number, [("<line>", "invalid Unicode: a \\u escape encodes a lone surrogate (not valid text)",
                          "encoding")]
            )
        errors: list[tuple[str, str, str]] | None = None
        if not self.schema_ok(data):
            try:
                record = structure(data, self.rt.name)
            except RecordError as exc:
                errors = [(f, m, "unknown-field" if m == "unknown field" else "schema") for f, m in exc.errors]
            else:  # accepted after a migration (or an edge the fast path leaves to structure)
                if data.get("schema_version") != migrations.CURRENT:
                    data = unstructure(record)
        if type(data) is not dict:
            return self._report(number, errors)
        errors_out: list[tuple[str, str, str]] = []
        self._key(number, data, errors is None, errors_out)
        if self.links_ok is not None and (errors is not None or not self.links_ok(data)):
            self._links_slow(data, errors_out)
        if self.absent:
            self._absent(number, data, errors_out)
        if self.self_refs:
            self._defer(number, data)
        if errors_out:
            if errors is None and len(errors_out) == 1 and errors_out[0][2] == "duplicate-pending":
                self.only_dup.add(number)
            errors = (errors or []) + errors_out
        return self._report(number, errors)

    def _report(self, number: int, errors: list[tuple[str, str, str]] | None) -> list[tuple[str, str, str]] | None:
        if errors:
            add = self.out.add
            for field, message, kind in errors:
                if kind not in _LATER:
                    add(self.label, number, field, message, "error", kind)
            return errors
        return None

    def _key(self, number: int, data: dict[str, Any], valid: bool, errors: list[tuple[str, str, str]]) -> None:
        key = self.key_get(data) if valid else self._key_of_invalid(data)
        if key is None:
            return
        if self.entity:
            first = self.ids.get(key)
            if first is None:
                self.ids[key] = number
                if self.extras is not None and valid:
                    names = _EXTRAS[self.rt.name]
                    self.extras[key] = data[names[0]] if len(names) == 1 else tuple(data[n] for n in names)
            else:
                errors.append((self.rt.key[0], self._dup_message((key,), first), "duplicate"))
            return
        h = hash(key)
        if h in self.hashes:
            # Reported at the end of the file, once the first occurrence is found and the key compared.
            key = key if isinstance(key, tuple) else (key,)
            self.dup_pending.append((number, key))
            errors.append((self._dup_field(), self._dup_message(key, None), "duplicate-pending"))
        else:
            self.hashes.add(h)

    def _key_of_invalid(self, data: dict[str, Any]) -> Any:
        values = []
        for name, nullable in zip(self.rt.key, self.key_nullable, strict=True):
            value = data.get(name)
            if not (type(value) is str and value.strip()) and not (value is None and nullable):
                return None
            values.append(value)
        return values[0] if len(values) == 1 else tuple(values)

    def _dup_field(self) -> str:
        return self.rt.key[0] if len(self.rt.key) == 1 else "<record>"

    def _dup_message(self, key: tuple[Any, ...], first: int | None) -> str:
        where = f"first at line {first}" if first is not None else "an earlier line has the same key"
        names = self.rt.key
        if len(names) == 1:
            return f"duplicate {names[0]} {key[0]!r}, {where}"
        described = ", ".join(f"{n}={k!r}" for n, k in zip(names, key, strict=True))
        return f"duplicate judgment {described}, {where}"

    def _links_slow(self, data: dict[str, Any], errors: list[tuple[str, str, str]]) -> None:
        ids, extras, present = self.v.ids, self.v.extras, self.v.present
        for fname, target in self.refs:
            known = ids.get(target, {})
            value = data.get(fname)
            items = (
                [(f"{fname}[{i}]", x) for i, x in enumerate(value)]
                if type(value) in (list, tuple) else [(fname, value)]
            )
            for path, x in items:
                if type(x) is str and x.strip() and x not in known:
                    errors.append((path, f"{x!r} not found in {present[target]}", "reference"))
        if not self.v.cross_file:
            return
        if self.rt.name == "relevance_judgments" and "attributes" in present:
            aid, uid = data.get("attribute_id"), data.get("user_id")
            owner = extras.get("attributes", {}).get(aid) if type(aid) is str else None
            if owner is not None and type(uid) is str and owner != uid:
                errors.append(
                    ("attribute_id", f"attribute {aid!r} belongs to user {owner!r}, not {uid!r}", "consistency")
                )
        if self.rt.name == "response_ratings" and "responses" in present:
            self._rating_rules(data, extras.get("responses", {}), errors)

    @staticmethod
    def _rating_rules(data: dict[str, Any], responses: dict[str, Any], errors: list[tuple[str, str, str]]) -> None:
        pid, gid = data.get("personalized_response_id"), data.get("generic_response_id")
        p = responses.get(pid) if type(pid) is str else None
        g = responses.get(gid) if type(gid) is str else None
        for field, rid, resp, wanted in (
            ("personalized_response_id", pid, p, "personalized"),
            ("generic_response_id", gid, g, "generic"),
        ):
            if resp is not None and resp[3] != wanted:
                errors.append((field, f"response {rid!r} has condition {resp[3]!r}, expected {wanted!r}",
                               "consistency"))
        if p is not None and g is not None:
            for i, name in enumerate(("user_id", "prompt_id", "generator")):
                if p[i] != g[i]:
                    errors.append((
                        "generic_response_id",
                        f"response {gid!r} has {name} {g[i]!r}, but the personalized response {pid!r} has "
                        f"{p[i]!r}; both must answer the same user, prompt and generator",
                        "consistency",
                    ))

    def _absent(self, number: int, data: dict[str, Any], errors: list[tuple[str, str, str]]) -> None:
        for fname, slot in self.absent.items():
            value = data.get(fname)
            items = value if type(value) in (list, tuple) else (value,)
            for x in items:
                if type(x) is str and x.strip():  # a blank id is a schema error already
                    if slot[2] == 0:
                        slot[0], slot[1] = number, x
                    slot[2] += 1
                    target = self.rt.references[fname]
                    errors.append((fname, f"{x!r} not found in {target}.jsonl (file absent)", "absent"))

    def _defer(self, number: int, data: dict[str, Any]) -> None:
        for fname in self.self_refs:
            value = data.get(fname)
            items = value if type(value) in (list, tuple) else (value,)
            for i, x in enumerate(items):
                if type(x) is str and x.strip():
                    path = f"{fname}[{i}]" if type(value) in (list, tuple) else fname
                    self.deferred.append((number, path, x))

    # -- end of file ----------------------------------------------------------------------------------

    def finish(self, path: Path, stats: FileStats) -> None:
        add = self.out.add
        for fname, (line, first, count) in self.absent.items():
            if count:
                target = self.rt.references[fname]
                more = f"; {count} references in this file, the first at this line" if count > 1 else ""
                add(self.label, line, fname, f"{first!r} not found in {target}.jsonl (file absent){more}",
                    kind="reference", count=count)
        bad_lines: dict[int, list[tuple[str, str]]] = {}
        if self.deferred:
            known = self.v.ids.get(self.rt.name, {})
            for number, fpath, x in self.deferred:
                if x not in known:
                    message = f"{x!r} not found in {self.label}"
                    add(self.label, number, fpath, message, kind="reference")
                    bad_lines.setdefault(number, []).append((fpath, message))
        for number, raw in self.pending_valid:
            if number in bad_lines:
                stats.valid -= 1
                stats.rejected += 1
                if self.q is not None and raw is not None:
                    _Quarantine.reject(self.q[1], number, bad_lines[number], raw)
            elif self.q is not None and raw is not None:
                self.q[0].write(raw + b"\n")
        if not self.entity and self.dup_pending:
            self._report_duplicates(path, stats)

    def _report_duplicates(self, path: Path, stats: FileStats) -> None:
        wanted = {hash(k if len(k) > 1 else k[0]) for _, k in self.dup_pending}
        last = max(n for n, _ in self.dup_pending)
        first_seen: dict[tuple[Any, ...], int] = {}
        with _open_stream(path) as fh:
            for number, raw in _iter_raw_lines(fh):
                if number > last:
                    break
                key = self._rescan_key(number, raw)
                if key is None:
                    continue
                flat = key if len(key) > 1 else key[0]
                if hash(flat) in wanted and key not in first_seen:
                    first_seen[key] = number
        for number, key in self.dup_pending:
            first = first_seen.get(key)
            if first is None or first >= number:
                # A 64-bit hash collision, not a duplicate (a quarantine has put the line among the rejected ones,
                # with the message "an earlier line has the same key"; the odds are about n^2 / 2^65).
                if number in self.only_dup:
                    stats.valid += 1
                    stats.rejected -= 1
                continue
            self.out.add(self.label, number, self._dup_field(), self._dup_message(key, first), kind="duplicate")

    def _rescan_key(self, number: int, raw: bytes) -> tuple[Any, ...] | None:
        raw = raw.rstrip(b"\r")
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if not raw or raw.isspace():
            return None
        try:
            data, message = _parse_slow(raw.decode("utf-8"))
        except UnicodeDecodeError:
            return None
        if message is not None or type(data) is not dict:
            return None
        if self.schema_ok(data):
            key = self.key_get(data)
        else:
            try:
                record = structure(data, self.rt.name)
                if data.get("schema_version") != migrations.CURRENT:
                    data = unstructure(record)
                key = self.key_get(data)
            except RecordError:
                key = self._key_of_invalid(data)
        if key is None:
            return None
        return key if isinstance(key, tuple) else (key,)


# ---------------------------------------------------------------------------------------------------------
# Folders, single files, manifest


def _record_type_of(name: str) -> str | None:
    for suffix in (".jsonl.gz", ".jsonl"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return None


def validate_path(
    path: str | Path,
    *,
    quarantine: str | Path | None = None,
    record_type: str | None = None,
    max_per_group: int = DEFAULT_MAX_PER_GROUP,
) -> ValidationReport:
    """Validate a dataset folder or a single JSONL file; return the report (never raises on bad data).

    Parameters
    ----------
    path : path-like
        A dataset folder, or one ``<record type>.jsonl[.gz]`` file.
    quarantine : path-like, optional
        Folder to write ``<type>.jsonl`` (the valid lines, verbatim) and ``<type>.rejected.jsonl`` (one JSON
        object per rejected line: ``line``, ``errors`` [{field, message}], ``raw`` - the line's text, or its
        base64 with ``"raw_encoding": "base64"`` when it is not UTF-8).
    record_type : str, optional
        The record type of a single file whose name does not say it.
    max_per_group : int
        Problems kept per (file, field, kind, severity) group; 0 keeps all. Totals are always exact.

    Raises
    ------
    DataError
        Only for usage errors: the path does not exist, an unknown ``record_type``, a single file whose type
        cannot be told, a quarantine folder that is the input folder.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(path, 0, "<path>", "no such file or folder")
    if record_type is not None and record_type not in RECORD_TYPES:
        raise DataError(path, 0, "--type", f"unknown record type {record_type!r}; known: {', '.join(RECORD_TYPES)}")
    qdir = Path(quarantine) if quarantine is not None else None
    folder = path if path.is_dir() else path.parent
    if qdir is not None and qdir.exists() and qdir.resolve() == folder.resolve():
        raise DataError(qdir, 0, "--quarantine", "must be a folder other than the one validated")
    if path.is_dir():
        if record_type is not None:
            raise DataError(path, 0, "--type", "applies to a single JSONL file, not to a dataset folder")
        report = ValidationReport(str(path), max_per_group=max_per_group)
        q = _open_quarantine(qdir)
        try:
            _validate_folder(path, report, q)
        finally:
            if q is not None:
                q.close()
        return _sorted(report)
    name = record_type or _record_type_of(path.name)
    if name not in RECORD_TYPES:
        raise DataError(
            path, 0, "--type",
            f"cannot tell the record type from the file name; name it <type>.jsonl or pass --type "
            f"(known: {', '.join(RECORD_TYPES)})",
        )
    refs = [f for f, t in RECORD_TYPES[name].references.items() if t != name]
    report = ValidationReport(str(path), cross_file_checked=not refs, max_per_group=max_per_group)
    q = _open_quarantine(qdir)
    try:
        v = _Validator(report, q, cross_file=False)
        label = str(path)
        if not path.is_file():
            v.out.add(label, 0, "<file>", "not a regular file", kind="file")
        else:
            v.check_file(path, label, RECORD_TYPES[name])
        if refs:
            v.out.add(label, 0, "<file>",
                      f"cross-file references not checked ({', '.join(refs)}): a single file was validated; "
                      "validate the dataset folder to check them", severity="warning", kind="scope")
    finally:
        if q is not None:
            q.close()
    return _sorted(report)


def _open_quarantine(qdir: Path | None) -> _Quarantine | None:
    if qdir is None:
        return None
    try:
        return _Quarantine(qdir)
    except OSError as exc:
        raise DataError(qdir, 0, "--quarantine", f"cannot create the folder: {exc}") from None


def _sorted(report: ValidationReport) -> ValidationReport:
    """Problems grouped by file (in the order the files were met), by line within a file."""
    rank: dict[str, int] = {}
    for p in report.problems:
        rank.setdefault(p.file, len(rank))
    report.problems.sort(key=lambda p: (rank[p.file], p.line))
    return report


def _validate_folder(folder: Path, report: ValidationReport, q: _Quarantine | None) -> None:
    v = _Validator(report, q, cross_file=True)
    out = v.out
    files: dict[str, list[Path]] = {}
    try:
        entries = sorted(folder.iterdir(), key=lambda p: p.name)
    except OSError as exc:
        out.add(str(folder), 0, "<folder>", f"cannot list the folder: {exc}", kind="file")
        return
    for entry in entries:
        name = entry.name
        stem = _record_type_of(name)
        if stem in RECORD_TYPES:
            if entry.is_file():
                files.setdefault(stem, []).append(entry)
            else:
                out.add(name, 0, "<file>", "not a regular file", kind="file")
        elif stem is not None:
            out.add(name, 0, "<file>",
                    f"unknown record type {stem!r} (ignored); known: {', '.join(RECORD_TYPES)}",
                    severity="warning", kind="stray")
        elif name in ALLOWED_EXTRA or name.startswith("LICENSE"):
            continue
        elif entry.is_dir() and (entry / MANIFEST).is_file():
            continue  # a dataset of its own (e.g. an importer's pilot_task3/): validate it separately
        else:
            what = "folder" if entry.is_dir() else "file"
            out.add(name, 0, "<file>", f"stray {what}, not part of a dataset (ignored)",
                    severity="warning", kind="stray")
    for paths in files.values():
        if len(paths) > 1:
            out.add(paths[0].name, 0, "<file>",
                    f"both {' and '.join(p.name for p in paths)} exist; keep one (both were checked)",
                    kind="file")
    manifest = _read_manifest(folder, out)
    listed = manifest.get("files") if isinstance(manifest.get("files"), dict) else {}
    if not files:
        out.add(folder.name or str(folder), 0, "<folder>",
                f"no record files (expected <type>.jsonl for types: {', '.join(RECORD_TYPES)})", kind="file")
    for name in RECORD_TYPES:  # dependency order: referenced types come first
        for fpath in files.get(name, []):
            v.present.setdefault(name, fpath.name)
    digests: dict[str, str] = {}
    for name, rt in RECORD_TYPES.items():
        for fpath in files.get(name, []):
            want_hash = isinstance(listed.get(name), dict) and "sha256" in listed[name]
            hasher = hashlib.sha256() if want_hash else None
            v.check_file(fpath, fpath.name, rt, hasher)
            if hasher is not None:
                # A file not read to its end (a read error, reported) gets the digest of what was read.
                digests[fpath.name] = hasher.hexdigest()
    if manifest:
        _check_manifest_files(manifest, files, report, digests, out)


def _read_manifest(folder: Path, out: _Collector) -> dict[str, Any]:
    mpath = folder / MANIFEST
    if not mpath.exists():
        out.add(MANIFEST, 0, "<file>", "no manifest.json: record counts and hashes cannot be checked",
                severity="warning", kind="manifest")
        return {}
    try:
        manifest = json.loads(mpath.read_bytes().decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError as exc:
        out.add(MANIFEST, 0, "<file>", f"invalid UTF-8 at byte {exc.start}", kind="manifest")
        return {}
    except (ValueError, RecursionError) as exc:
        out.add(MANIFEST, 0, "<file>", f"invalid JSON: {exc}", kind="manifest")
        return {}
    except OSError as exc:
        out.add(MANIFEST, 0, "<file>", f"cannot read: {exc}", kind="manifest")
        return {}
    if not isinstance(manifest, dict):
        out.add(MANIFEST, 0, "<file>", "must be a JSON object", kind="manifest")
        return {}
    version = manifest.get("schema_version")
    if version is None:
        out.add(MANIFEST, 0, "schema_version", "missing", severity="warning", kind="manifest")
    elif type(version) is not str:
        out.add(MANIFEST, 0, "schema_version", "must be a 'MAJOR.MINOR' string", kind="manifest")
    else:
        try:
            major, minor = _common.parse_version(version)
        except ValueError as exc:
            out.add(MANIFEST, 0, "schema_version", str(exc), kind="manifest")
        else:
            if (major, minor) > (_common.SCHEMA_MAJOR, _common.SCHEMA_MINOR):
                out.add(MANIFEST, 0, "schema_version",
                        f"{version} is newer than this toolkit knows ({migrations.CURRENT}); "
                        "upgrade recenter-toolkit", kind="manifest")
    provenance = manifest.get("provenance")
    kind = provenance.get("kind") if isinstance(provenance, dict) else None
    if kind not in PROVENANCE_KINDS:
        out.add(MANIFEST, 0, "provenance.kind",
                f"should be one of {', '.join(PROVENANCE_KINDS)}, got {kind!r}", severity="warning",
                kind="manifest")
    if "files" in manifest and not isinstance(manifest["files"], dict):
        out.add(MANIFEST, 0, "files", "must be an object mapping record type to {path, records, sha256}",
                kind="manifest")
    return manifest


def _check_manifest_files(
    manifest: dict[str, Any], files: dict[str, list[Path]], report: ValidationReport, digests: dict[str, str],
    out: _Collector,
) -> None:
    listed = manifest.get("files")
    if not isinstance(listed, dict):
        return
    for name, entry in listed.items():
        where = f"files.{name}"
        if name not in RECORD_TYPES:
            out.add(MANIFEST, 0, where, f"unknown record type {name!r}", severity="warning", kind="manifest")
            continue
        if not isinstance(entry, dict):
            out.add(MANIFEST, 0, where, "must be an object {path, records, sha256}", kind="manifest")
            continue
        paths = files.get(name, [])
        expected = entry.get("path")
        if not paths:
            shown = expected if isinstance(expected, str) else f"{name}.jsonl"
            out.add(MANIFEST, 0, where, f"listed in the manifest but {shown} is absent", kind="manifest")
            continue
        actual = paths[0]
        if expected is not None and expected != actual.name:
            out.add(MANIFEST, 0, f"{where}.path", f"says {expected!r}, but the file is {actual.name}",
                    kind="manifest")
        records = entry.get("records")
        if records is not None:
            count = report.files[actual.name].records if actual.name in report.files else 0
            if type(records) is not int:
                out.add(MANIFEST, 0, f"{where}.records", "must be an integer", kind="manifest")
            elif records != count:
                out.add(MANIFEST, 0, f"{where}.records",
                        f"{actual.name} has {count} records, the manifest says {records}", kind="manifest")
        sha = entry.get("sha256")
        if sha is not None:
            if type(sha) is not str:
                out.add(MANIFEST, 0, f"{where}.sha256", "must be a hex string", kind="manifest")
            elif digests.get(actual.name) != sha.lower():
                out.add(MANIFEST, 0, f"{where}.sha256",
                        f"{actual.name} has SHA-256 {digests.get(actual.name)}, the manifest says {sha}",
                        kind="manifest")
    for name, paths in files.items():
        if name not in listed:
            out.add(MANIFEST, 0, f"files.{name}",
                    f"{paths[0].name} is not listed in the manifest (its count and hash are not pinned)",
                    severity="warning", kind="manifest")


# ---------------------------------------------------------------------------------------------------------
# Command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", help="a dataset folder or a single <record type>.jsonl[.gz] file")
    parser.add_argument("--type", dest="record_type", metavar="NAME",
                        help=f"record type of a single file (default: from its name); one of {', '.join(RECORD_TYPES)}")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default text)")
    parser.add_argument("--quarantine", metavar="DIR",
                        help="write the valid lines to DIR/<type>.jsonl and the rejected ones, with their errors, "
                             "to DIR/<type>.rejected.jsonl")
    parser.add_argument("--max-per-group", type=int, default=DEFAULT_MAX_PER_GROUP, metavar="N",
                        help="problems shown per file, field and kind (default 50; 0 = all); totals stay exact")


def run(args: argparse.Namespace) -> int:
    """Validate and print the report; 0 when there are no errors, 1 otherwise (2: usage errors)."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    try:
        report = validate_path(
            args.path, quarantine=args.quarantine, record_type=args.record_type,
            max_per_group=max(0, args.max_per_group),
        )
    except DataError:
        raise  # the CLI prints it and exits with 2
    except Exception as exc:  # noqa: BLE001 - never a traceback
        print(f"recenter validate: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    print(report.to_json() if args.format == "json" else report.format_text())
    return 0 if report.ok else 1
