"""The validation report: problems, per-file counts, the per-group cap, and the text and JSON renderings.

**Capping.** Problems are grouped by (file, field, kind, severity); the report keeps the first
``max_per_group`` problems of each group (default 50, ``--max-per-group 0`` keeps all) and counts the others
exactly: the text format ends each file with ``... and N more`` lines, the JSON format lists them under
``"omitted"`` and its ``"errors"`` / ``"warnings"`` totals are exact. A reference into a record file that is
absent is reported once per field, with the number of references.
"""

from __future__ import annotations

import json
import re
from typing import Any

import attrs

__all__ = [
    "DEFAULT_MAX_PER_GROUP",
    "Collector",
    "FileStats",
    "Problem",
    "ValidationReport",
    "clean",
    "sort_problems",
]

DEFAULT_MAX_PER_GROUP = 50
_MAX_TEXT = 300  # longest message / field text kept in a problem (values can be megabytes long)


@attrs.frozen
class Problem:
    """One problem: ``file:line: field: message`` (``file:row N: ...`` in a Parquet file).

    Attributes
    ----------
    file : str
        The file, relative to the dataset folder (or the path as given for a single file).
    line : int
        1-based physical line (row of a Parquet file); 0 for a problem of the file as a whole.
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
        """The problem as one ``file:line: field: message`` line (``warning: `` before a warning's message)."""
        prefix = "warning: " if self.severity == "warning" else ""
        # a Parquet file has rows, not lines: ``users.parquet:row 3: ...``
        where = f"row {self.line}" if self.line and self.file.endswith(".parquet") else self.line
        return f"{self.file}:{where}: {self.field}: {prefix}{self.message}"

    def as_dict(self) -> dict[str, Any]:
        """The problem's fields as a JSON-ready dict."""
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
    """The result of :func:`toolkit.validate.validate_path`.

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
        """Exact number of errors, shown or omitted."""
        return self._total("error")

    @property
    def warnings(self) -> int:
        """Exact number of warnings, shown or omitted."""
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
        """Non-blank lines read, over all files."""
        return sum(s.records for s in self.files.values())

    def as_dict(self) -> dict[str, Any]:
        """The report as a JSON-ready dict (the ``--format json`` output)."""
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


def sort_problems(report: ValidationReport) -> ValidationReport:
    """Sort the problems in place: by file (in the order the files were met), by line within a file.

    Parameters
    ----------
    report : ValidationReport
        The report, its problems in the order they were found.

    Returns
    -------
    ValidationReport
        The same report.
    """
    rank: dict[str, int] = {}
    for p in report.problems:
        rank.setdefault(p.file, len(rank))
    report.problems.sort(key=lambda p: (rank[p.file], p.line))
    return report


_INDEX = re.compile(r"\[\d+\]")
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


def clean(text: str, limit: int = _MAX_TEXT) -> str:
    """Keep output one line of valid text: escape control characters and lone surrogates, cut long text.

    Parameters
    ----------
    text : str
        A message or a field path, possibly holding parts of the input.
    limit : int
        Characters kept; the rest is replaced by a note of how many were cut.

    Returns
    -------
    str
        Printable single-line text.
    """
    if len(text) > limit:
        text = text[:limit] + f"... ({len(text) - limit} more characters)"
    if _UNPRINTABLE.search(text):
        text = _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
    return text


class Collector:
    """Adds problems to a report, keeping at most ``report.max_per_group`` per group and counting the rest."""

    def __init__(self, report: ValidationReport) -> None:
        self.report = report
        self.cap = report.max_per_group
        self.seen: dict[tuple[str, str, str, str], int] = {}

    def add(
        self, file: str, line: int, field: str, message: str, severity: str = "error", kind: str = "schema",
        count: int = 1,
    ) -> None:
        """Record one problem (see :class:`Problem` for the arguments); an aggregated one is never capped."""
        group_field = "<unknown field>" if message == "unknown field" else _INDEX.sub("[]", field)
        key = (file, clean(group_field), kind, severity)
        n = self.seen.get(key, 0)
        self.seen[key] = n + 1
        if self.cap and n >= self.cap and count == 1:
            self.report.omitted[key] = self.report.omitted.get(key, 0) + 1
            return
        self.report.problems.append(Problem(file, line, clean(field), clean(message), severity, kind, count))
