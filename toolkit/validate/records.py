"""Record checks: every line of a record file, and the keys and references that tie the files together.

A line is checked for encoding and syntax (UTF-8 - a BOM on line 1 and CRLF line ends are accepted - strict
JSON with no object repeating a key, no lone-surrogate ``\\uD8xx`` escapes), against the schema of its record
type (exactly as :func:`schemas.structure` decides), for duplicate keys (reported at the second occurrence,
with the line of the first), for references into other files and for the cross-record rules.

**Speed and memory.** Files are streamed; no record is kept. Entity ids (raters, users, attributes, prompts,
responses) are kept for the reference checks; judgments keep only a 64-bit hash of their key for the duplicate
check (a second pass over the file finds the line of the first occurrence and confirms the key, so a hash
collision never produces a false report). Valid lines take a fast path: the checker generated from the attrs
classes (:func:`schemas.fastcheck.fast_checker`, proven equivalent to :func:`schemas.structure` by a property
test); only lines it does not accept go through :func:`schemas.structure` for the exact messages. Keys of
records that fail their own schema still count as existing for the reference checks, so one bad line does not
cascade into many. Peak memory is the interpreter plus about 60-70 bytes per judgment key (about 110 MB for 1M
judgments; see ``benchmarks/validate.py``). With ``--quarantine`` a suspected duplicate is routed to the
rejected file as it is met; only a 64-bit hash collision (odds about n^2 / 2^65) could misroute a line there.
"""

from __future__ import annotations

import operator
import re
import typing
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import attrs

from schemas import RecordError, structure, unstructure
from schemas.fastcheck import fast_checker
from schemas.migrations import CURRENT
from schemas.registry import RECORD_TYPES, RecordType
from toolkit.jsonl import DECODER, DataError, duplicate_key, has_lone_surrogate
from toolkit.layout import no_version_message
from toolkit.parquet import PARQUET_SUFFIX
from toolkit.validate.report import Collector, FileStats, ValidationReport
from toolkit.validate.rules import rating_rules, scale_errors
from toolkit.validate.stream import (
    BadRow,
    Quarantine,
    iter_blocks,
    iter_parquet_lines,
    iter_raw_lines,
    open_stream,
    parquet_blocks,
)
from toolkit.vocabulary import RATING_SCALE

__all__ = ["Validator"]

_MISSING = object()
# The strict decoder's own scanner, looked up once: scan(text, 0) -> (value, end index).
_SCAN = DECODER.scan_once
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _parse_slow(text: str) -> tuple[Any, tuple[str, str] | None]:
    """Strict JSON with no repeated key; (value, None) or (None, (field, error message))."""
    if text.startswith("\ufeff"):
        return None, ("<line>", "invalid JSON: a byte order mark (BOM) is allowed only at the start of the file")
    try:
        value = DECODER.decode(text)
        repeated = duplicate_key(text, value)
    except RecursionError:
        return None, ("<line>", "invalid JSON: nested too deeply")
    except ValueError as exc:
        return None, ("<line>", f"invalid JSON: {exc}")
    if repeated is not None:
        return None, (repeated.path, str(repeated))
    return value, None


#: Problem kinds reported at the end of the file rather than at their line.
_LATER = frozenset({"absent", "duplicate-pending", "no-version"})
#: Fields kept per entity id for the cross-record rules.
_EXTRAS: dict[str, tuple[str, ...]] = {
    "attributes": ("user_id",),
    "responses": ("user_id", "prompt_id", "generator", "condition"),
}
#: Record types whose ids are kept exactly (they are referenced by other types).
_ENTITY_TYPES = frozenset(t for rt in RECORD_TYPES.values() for t in rt.references.values())


class Validator:
    """Checks record files one after the other, keeping what later files are checked against.

    Files must be checked in dependency order (:data:`schemas.RECORD_TYPES` order), with ``present`` filled
    beforehand: record type -> file name, for every type the folder has.

    Parameters
    ----------
    report : ValidationReport
        Receives the problems (through a :class:`Collector`) and the per-file counts.
    quarantine : Quarantine or None
        Where valid and rejected lines are copied, if anywhere.
    cross_file : bool
        Check references into other files (a folder) or not (a single file).
    """

    def __init__(self, report: ValidationReport, quarantine: Quarantine | None, cross_file: bool) -> None:
        self.report = report
        self.out = Collector(report)
        self.quarantine = quarantine
        self.cross_file = cross_file
        self.ids: dict[str, dict[str, int]] = {}  # entity type -> id -> first line
        self.extras: dict[str, dict[str, Any]] = {}  # entity type -> id -> kept field value(s)
        self.present: dict[str, str] = {}  # record type -> file name (of the first file of that type)
        #: The manifest's schema version: the version of a record without one (None: such records are errors).
        self.default_version: str | None = None
        #: Allowed ``response_ratings.rating`` values (the manifest's ``rating_scale``, default 1..5) and
        #: ``relevance_judgments.grade`` values (its ``label_scale``; None: any integer >= 0, the schema's rule).
        self.rating_scale: tuple[int, ...] = RATING_SCALE
        self.label_scale: tuple[int, ...] | None = None

    # -- per file -------------------------------------------------------------------------------------

    def check_file(self, path: Path, label: str, rt: RecordType, hasher: Any = None) -> None:
        """Check one record file; report its problems under ``label``; never raises.

        Parameters
        ----------
        path : Path
            The file (plain or ``.gz``).
        label : str
            The file as named in problems and in ``report.files``.
        rt : RecordType
            Its record type.
        hasher : hashlib hash object, optional
            Fed the file's bytes as stored (for the manifest's SHA-256).
        """
        stats = self.report.files.setdefault(label, FileStats(rt.name))
        try:
            state = _FileState(self, rt, label)
        except Exception as exc:  # noqa: BLE001 - never a traceback
            self.out.add(label, 0, "<file>", f"internal error: {type(exc).__name__}: {exc}", kind="internal")
            return
        try:
            if state.unit == "row":
                state.run_rows(path, hasher, stats)
            else:
                with open_stream(path, hasher) as fh:
                    state.run(iter_blocks(fh), stats)
        except DataError as exc:  # a Parquet file or row that cannot be read
            state.read_error = True
            self.out.add(label, exc.line, exc.field, f"stopped reading here: {exc.message}", kind="file")
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

    def __init__(self, v: Validator, rt: RecordType, label: str) -> None:
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
        self.key_nullable = tuple(self._nullable(k) for k in rt.key)
        # An absent optional key field (a score's attribute_id) is None, as structuring makes it.
        self.key_get: Callable[[dict[str, Any]], Any] = (
            operator.itemgetter(*rt.key) if not any(self.key_nullable)
            else (lambda d, names=rt.key: tuple(d.get(n) for n in names)) if len(rt.key) > 1
            else (lambda d, name=rt.key[0]: d.get(name))
        )
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
        self.unit = "row" if label.endswith(PARQUET_SUFFIX) else "line"
        self.no_version: list[int] = []  # [first line without schema_version, count] when no default version

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
        # declared scales (only called on schema-valid records: a rating is an int, a grade an int or None)
        if self.rt.name == "response_ratings":
            rules.append("d['rating'] in S_rating")
        if self.rt.name == "relevance_judgments" and self.v.label_scale is not None:
            rules.append("((x := d.get('grade')) is None or x in S_grade)")
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
        ns["S_rating"] = frozenset(self.v.rating_scale)
        ns["S_grade"] = frozenset(self.v.label_scale or ())
        terms += [f"({r})" for r in self._rules()]
        source = "def links(d):\n    return (\n        " + "\n        and ".join(terms or ["True"]) + "\n    )\n"
        exec(compile(source, f"<validate:links:{self.rt.name}>", "exec"), ns)  # noqa: S102
        return ns["links"]

    # -- the file -------------------------------------------------------------------------------------

    def run(self, blocks: Iterable[tuple[int, list[Any]]], stats: FileStats) -> None:
        """Stream the file. A line that is valid JSON, passes the generated schema and link checks and has a
        new key is counted here (the fast path); any other line goes through :meth:`line`, which reports.
        """
        general = self.line
        if self.entity or self.absent or self.self_refs:
            for before, lines in blocks:
                for number, raw in enumerate(lines, start=before + 1):
                    general(number, raw, stats)
            return
        scan, schema_ok, links_ok, key_get, hashes = _SCAN, self.schema_ok, self.links_ok, self.key_get, self.hashes
        write = self.q[0].write if self.q is not None else None
        newline = b"\n"
        fast = 0
        number = 0
        try:
            for before, lines in blocks:
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
                            # no repeated key: one count settles it for a flat record (see duplicate_key)
                            and (text.count(":") == len(data) or duplicate_key(text, data) is None)
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

    def run_rows(self, path: Path, hasher: Any, stats: FileStats) -> None:
        """Check a Parquet file row by row, each row's record as a JSON line (see :func:`iter_parquet_lines`),
        through :meth:`run`; a row JSON cannot hold is a :class:`BadRow`, which :meth:`line` reports."""
        self.run(parquet_blocks(path, hasher), stats)

    def _bad_row(self, number: int, row: BadRow, stats: FileStats) -> None:
        stats.records += 1
        stats.rejected += 1
        self._report(number, [(*row.problem, "schema")])
        if self.q is not None:
            Quarantine.reject(self.q[1], number, [row.problem], row.raw, unit="row")

    # -- one line -------------------------------------------------------------------------------------

    def line(self, number: int, raw: bytes, stats: FileStats) -> None:
        self.last_line = number
        if type(raw) is BadRow:
            self._bad_row(number, raw, stats)
            return
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
                Quarantine.reject(self.q[1], number, [(f, m) for f, m, _ in errors], raw, unit=self.unit)

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
        if end != len(text) or duplicate_key(text, data) is not None:
            data, problem = _parse_slow(text)  # the message, including where a key repeats
            if problem is not None:
                return self._report(number, [(*problem, "json")])
        if "\\u" in text and _SURROGATE_ESCAPE.search(text) and has_lone_surrogate(data):
            return self._report(
                number, [("<line>", "invalid Unicode: a \\u escape encodes a lone surrogate (not valid text)",
                          "encoding")]
            )
        unversioned = type(data) is dict and "schema_version" not in data
        if unversioned:  # the manifest's version; without one, one error per file (at finish) names the fix
            data = {**data, "schema_version": self.v.default_version or CURRENT}
        errors: list[tuple[str, str, str]] | None = None
        if not self.schema_ok(data):
            try:
                record = structure(data, self.rt.name)
            except RecordError as exc:
                errors = [(f, m, "unknown-field" if m == "unknown field" else "schema") for f, m in exc.errors]
            else:  # accepted after a migration (or an edge the fast path leaves to structure)
                if data.get("schema_version") != CURRENT:
                    data = unstructure(record)
        if type(data) is not dict:
            return self._report(number, errors)
        errors_out: list[tuple[str, str, str]] = []
        self._key(number, data, errors is None, errors_out)
        if self.links_ok is not None and (errors is not None or not self.links_ok(data)):
            self._links_slow(data, errors_out)
            if errors is None:  # a value the schema rejects is not also off the scale
                scale_errors(self.rt.name, data, self.v.rating_scale, self.v.label_scale, errors_out)
        if self.absent:
            self._absent(number, data, errors_out)
        if self.self_refs:
            self._defer(number, data)
        if unversioned and self.v.default_version is None:
            if not self.no_version:
                self.no_version = [number, 0]
            self.no_version[1] += 1
            errors_out.append(("schema_version", no_version_message(CURRENT), "no-version"))
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
        unit = self.unit
        where = f"first at {unit} {first}" if first is not None else f"an earlier {unit} has the same key"
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
            rating_rules(data, extras.get("responses", {}), errors)

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
                more = f"; {count} references in this file, the first at this {self.unit}" if count > 1 else ""
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
                    Quarantine.reject(self.q[1], number, bad_lines[number], raw)
            elif self.q is not None and raw is not None:
                self.q[0].write(raw + b"\n")
        if not self.entity and self.dup_pending:
            self._report_duplicates(path, stats)
        if self.no_version:
            first, count = self.no_version
            more = f" ({count} records in this file have none; the first is here)" if count > 1 else ""
            add(self.label, first, "schema_version", no_version_message(CURRENT) + more, kind="schema")

    def _raw_again(self, path: Path) -> Iterator[tuple[int, bytes]]:
        """``(number, raw line)`` of the file once more (Parquet rows as their JSON text)."""
        if self.unit == "row":
            yield from ((number, raw) for number, raw, problem in iter_parquet_lines(path) if problem is None)
            return
        with open_stream(path) as fh:
            yield from iter_raw_lines(fh)

    def _report_duplicates(self, path: Path, stats: FileStats) -> None:
        wanted = {hash(k if len(k) > 1 else k[0]) for _, k in self.dup_pending}
        last = max(n for n, _ in self.dup_pending)
        first_seen: dict[tuple[Any, ...], int] = {}
        for number, raw in self._raw_again(path):
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
            data, problem = _parse_slow(raw.decode("utf-8"))
        except UnicodeDecodeError:
            return None
        if problem is not None or type(data) is not dict:
            return None
        if self.schema_ok(data):
            key = self.key_get(data)
        else:
            try:
                record = structure(data, self.rt.name)
                if data.get("schema_version") != CURRENT:
                    data = unstructure(record)
                key = self.key_get(data)
            except RecordError:
                key = self._key_of_invalid(data)
        if key is None:
            return None
        return key if isinstance(key, tuple) else (key,)

