"""The import report: what became of each source file, every exclusion with file and line, and notes.

:class:`ImportReport` renders itself as ``import_report.json`` (:meth:`ImportReport.to_json`) and
``import_report.md`` (:meth:`ImportReport.to_markdown`).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import attrs

import toolkit
from schemas import RECORD_TYPES
from toolkit.importers.annotation_tool.constants import IMPORTER, REASONS

__all__ = ["Exclusion", "ImportReport", "Note", "SourceReport", "shorten"]


@attrs.define
class Exclusion:
    """Judgments or records of one source line kept out of the output deliberately, and why.

    ``count`` is the number of judgments (or records) concerned; ``items`` names them (attribute texts,
    shortened) when the exclusion concerns judgments within the line.
    """

    file: str
    line: int
    reason: str
    detail: str
    count: int = 1
    items: list[str] = attrs.field(factory=list)

    def to_dict(self) -> dict[str, Any]:
        """This entry as a JSON-ready dict (as in ``import_report.json``)."""
        d: dict[str, Any] = {
            "file": self.file,
            "line": self.line,
            "reason": self.reason,
            "detail": self.detail,
            "count": self.count,
        }
        if self.items:
            d["items"] = list(self.items)
        return d


@attrs.define
class Note:
    """Something the import did that a user should know but that excluded nothing."""

    file: str
    line: int
    kind: str
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """This entry as a JSON-ready dict (as in ``import_report.json``)."""
        return {"file": self.file, "line": self.line, "kind": self.kind, "detail": self.detail}


@attrs.define
class SourceReport:
    """What became of one source file.

    ``written`` counts, per dataset and record type, the written records this file contributed to (records
    shared between files, such as users, count for each file that names them).
    """

    file: str
    kind: str | None
    sha256: str | None = None
    records_read: int = 0
    written: dict[str, dict[str, int]] = attrs.field(factory=dict)
    exclusions: int = 0
    excluded_items: int = 0
    error: str | None = None
    meta: dict[str, str] = attrs.field(factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """This entry as a JSON-ready dict (as in ``import_report.json``)."""
        return {
            "file": self.file,
            "kind": self.kind,
            "sha256": self.sha256,
            "records_read": self.records_read,
            "written": self.written,
            "exclusions": self.exclusions,
            "excluded_items": self.excluded_items,
            "error": self.error,
            **({"meta": self.meta} if self.meta else {}),
        }


@attrs.define
class ImportReport:
    """The outcome of an import: per source file, per dataset, and every exclusion with file and line.

    Attributes
    ----------
    sources : list of SourceReport
    datasets : dict
        dataset key (``main``, ``pilot_task3``, ``pilot_task2``) -> ``{path, name, description, records}``;
        only the datasets written.
    exclusions : list of Exclusion
    notes : list of Note
    errors : list of dict
        ``{file, message}`` for sources that could not be read or recognised.
    """

    out: Path
    sources: list[SourceReport] = attrs.field(factory=list)
    datasets: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    exclusions: list[Exclusion] = attrs.field(factory=list)
    notes: list[Note] = attrs.field(factory=list)
    errors: list[dict[str, str]] = attrs.field(factory=list)
    fields: list[dict[str, str]] = attrs.field(factory=list)
    options: dict[str, Any] = attrs.field(factory=dict)

    @property
    def ok(self) -> bool:
        """True when every source was read and recognised (exclusions are expected and do not count)."""
        return not self.errors

    def exclusions_by_reason(self) -> dict[str, dict[str, int]]:
        """``{reason: {"entries": lines reported, "items": judgments/records concerned}}``, sorted by reason."""
        out: dict[str, dict[str, int]] = {}
        for e in self.exclusions:
            row = out.setdefault(e.reason, {"entries": 0, "items": 0})
            row["entries"] += 1
            row["items"] += e.count
        return dict(sorted(out.items()))

    def to_dict(self) -> dict[str, Any]:
        """The whole report as a JSON-ready dict (the content of ``import_report.json``)."""
        return {
            "importer": IMPORTER,
            "toolkit_version": toolkit.__version__,
            "summary": {
                "sources": len(self.sources),
                "records_read": sum(s.records_read for s in self.sources),
                "errors": len(self.errors),
                "datasets": {k: v["records"] for k, v in self.datasets.items()},
                "exclusions_by_reason": self.exclusions_by_reason(),
                "notes_by_kind": dict(sorted(Counter(n.kind for n in self.notes).items())),
            },
            "options": self.options,
            "errors": self.errors,
            "datasets": self.datasets,
            "sources": [s.to_dict() for s in self.sources],
            "reasons": REASONS,
            "exclusions": [e.to_dict() for e in self.exclusions],
            "notes": [n.to_dict() for n in self.notes],
            "fields": self.fields,
        }

    def to_json(self) -> str:
        """The report as ``import_report.json`` text."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def summary_lines(self, out: str = "DIR") -> list[str]:
        """A short human-readable summary (what the CLI prints); ``out`` names the output folder."""
        lines = []
        for key, ds in self.datasets.items():
            counts = ", ".join(f"{n} {t}" for t, n in ds["records"].items())
            where = out if ds["path"] == "." else f"{out}/{ds['path']}"
            lines.append(f"  {key:<12} {where}: {counts}")
        if not self.datasets:
            lines.append("  no dataset written (nothing importable)")
        by_reason = self.exclusions_by_reason()
        if by_reason:
            lines.append("excluded and reported (see import_report.md):")
            for reason, row in by_reason.items():
                lines.append(f"  {reason:<26} {row['items']:>6} items on {row['entries']} lines")
        else:
            lines.append("nothing excluded")
        if self.notes:
            kinds = Counter(n.kind for n in self.notes)
            lines.append("notes: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
        for err in self.errors:
            lines.append(f"ERROR {err['file']}: {err['message']}")
        return lines

    def to_markdown(self) -> str:
        """The readable report (``import_report.md``)."""
        md = ["# Import report: the authors' annotation-tool files", ""]
        md.append(
            f"Imported by `{IMPORTER}` (recenter-toolkit {toolkit.__version__}). Every record or judgment "
            "that could not be imported is listed below with its file and line; nothing was dropped "
            "silently."
        )
        md.append("")
        if self.errors:
            md += ["## Errors (sources not imported)", "", "| file | problem |", "|---|---|"]
            md += [f"| {_cell(e['file'])} | {_cell(e['message'])} |" for e in self.errors]
            md.append("")
        md += ["## Datasets written", ""]
        if self.datasets:
            types = [t for t in RECORD_TYPES if any(t in d["records"] for d in self.datasets.values())]
            md.append("| dataset | folder | " + " | ".join(types) + " |")
            md.append("|---|---|" + "---|" * len(types))
            for key, d in self.datasets.items():
                md.append(
                    f"| {key} | `{d['path']}` | "
                    + " | ".join(str(d["records"].get(t, 0)) for t in types)
                    + " |"
                )
            md.append("")
            for key, d in self.datasets.items():
                md.append(f"- **{key}**: {_cell(d['description'])}")
        else:
            md.append("None (nothing importable).")
        md.append("")
        md += [
            "## Sources",
            "",
            "| file | kind | records read | written (records it contributed to) | "
            "exclusions (lines / items) |",
            "|---|---|---|---|---|",
        ]
        for s in self.sources:
            written = "; ".join(
                f"{ds}: " + ", ".join(f"{n} {t}" for t, n in counts.items())
                for ds, counts in s.written.items()
            ) or ("-" if s.error is None else f"not imported: {s.error}")
            md.append(
                f"| {_cell(s.file)} | {s.kind or '?'} | {s.records_read} | {_cell(written)} | "
                f"{s.exclusions} / {s.excluded_items} |"
            )
        md.append("")
        md += ["## Exclusions by reason", "", "| reason | meaning | lines | items |", "|---|---|---|---|"]
        for reason, row in self.exclusions_by_reason().items():
            md.append(f"| {reason} | {_cell(REASONS.get(reason, ''))} | {row['entries']} | {row['items']} |")
        md.append("")
        md += ["## Exclusions", "", "| file | line | reason | items | detail |", "|---|---|---|---|---|"]
        for e in self.exclusions:
            md.append(f"| {_cell(e.file)} | {e.line} | {e.reason} | {e.count} | {_cell(e.detail)} |")
        md.append("")
        if self.notes:
            md += ["## Notes", "", "| file | line | kind | detail |", "|---|---|---|---|"]
            md += [f"| {_cell(n.file)} | {n.line} | {n.kind} | {_cell(n.detail)} |" for n in self.notes]
            md.append("")
        if self.fields:
            md += ["## Source fields", "", "| kind | field | what became of it |", "|---|---|---|"]
            md += [f"| {f['kind']} | `{_cell(f['field'])}` | {_cell(f['fate'])} |" for f in self.fields]
            md.append("")
        return "\n".join(md)


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def shorten(text: Any, n: int = 100) -> str:
    """``str(text)``, cut to ``n`` characters (ending in ``...``) when longer."""
    s = str(text)
    return s if len(s) <= n else s[: n - 3] + "..."
