"""Import the authors' pre-release annotation-tool files into canonical datasets.

The authors' annotation tool (``github.com/orange0629/personalize-annotation``) writes JSON Lines files whose
format is described in ``../shared/realdata/README.md``. :func:`import_annotation_tool` converts any mix of them:

==========================================  ====================================================================
file (recognised by name, checked by        becomes
content)
==========================================  ====================================================================
``task5_items.jsonl``                       users, prompts (LIMA), profile attributes (text, reason, confidence,
                                            merged originals) of the stage-2 user-prompt pairs
``relevance_<model>.jsonl``                 one LLM rater ``<model>``; one ``RelevanceJudgment`` per item, the
                                            model's ``YES``/``NO`` kept as ``raw_answer``
``generation_<mode>_<model>.jsonl``         ``no_context`` -> generic, ``gt_attributes``/``attributes`` ->
(also ``eval_results_task5_<mode>_<model>``) personalized ``Response``; its ``profile_attributes`` are a
                                            profile source too, and their ``ground_truth`` flags become
                                            judgments of the aggregate rater ``human-majority``
``<annotator>_task3.jsonl``                 pilot, full profiles (the paper's stage-2 design): dataset
                                            ``pilot_task3/``, one human rater per annotator
``<annotator>_task2.jsonl``                 pilot, verifying a pipeline-selected subset (a different design):
                                            dataset ``pilot_task2/``; the pipeline's own selection becomes the
                                            baseline rater ``selection-pipeline``
``<annotator>_task1.jsonl``                 nothing: every line points into a pilot item list that is not in
                                            the sample; each line is reported
==========================================  ====================================================================

Output layout of ``out``::

    out/                 the main dataset (stage-2 study pairs: LLM judges, human majority, responses)
    out/pilot_task3/     task-3 pilot annotations (own dataset: other pairs, other annotators)
    out/pilot_task2/     task-2 pilot annotations (own dataset: a different design, never mixed in)
    out/import_report.json, out/import_report.md

The pilot datasets are kept apart from the main one because their user-prompt pairs are not the 164 study
pairs, their annotators are the authors' team rather than the study's Prolific annotators, and most task-3
records are the tool's own conversion of the same annotator's task-2 records (note ``[converted from task2]``),
so mixing them into the study data would pool different designs and double-count judgments.

Matching rules (each exclusion is reported with file and line; nothing is dropped silently):

* Ids are derived from content: ``user_id`` as is; ``prompt_id = "lima-<prompt_index>"``;
  ``attribute_id = "<user_id[:12]>-<sha256(text)[:12]>"`` (one attribute per user and text, whatever file it
  comes from; collisions are checked); ``response_id = "<user_id>_<prompt_index>:<mode>:<model>"``.
* Profile sources are ``task5_items`` and the generation files. A judgment of a user with a known profile
  must name an attribute text of that profile (exact text, or equal after whitespace normalisation, which is
  noted); otherwise it is excluded as ``attribute_not_in_profile``. For a user no imported profile covers
  (the pilots' own item list is not in the sample) the judged attribute texts themselves define text-only
  attributes, and the report notes each such pair.
* Prompt texts come from the profile sources, keyed by ``prompt_index`` (the tool's shared LIMA index); a
  judgment whose ``prompt_index`` has no text in the imported files is excluded as ``prompt_not_found``.
* Human judgments: test accounts (the tool's ``admin`` and names such as ``test``/``demo``) are excluded;
  null labels are excluded; task-2 items whose rating was left at the default ``none`` are *unrated* (their
  ``is_relevant=false`` is the tool's default, not a judgment; the authors' own task-2 -> task-3 conversion
  skips them) and are excluded; then, when one annotator judged the same item more than once, the latest by
  ``timestamp`` is kept (ties: the later file/line) and the others are reported. A null or unrated entry
  never supersedes a real judgment.
* LLM judgments, responses and ground truth given more than once: identical copies are kept once (noted);
  disagreeing copies are all excluded as ``conflict``.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs

import toolkit
from schemas import (
    RECORD_TYPES,
    Attribute,
    Condition,
    MergedAttribute,
    Origin,
    Prompt,
    Rater,
    RaterKind,
    RelevanceJudgment,
    Response,
    User,
)
from toolkit.dataset import MANIFEST, file_sha256, write_dataset
from toolkit.jsonl import DataError, iter_lines, parse_line

# --------------------------------------------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------------------------------------------

IMPORTER = "recenter import annotation-tool"
LICENSE = "unknown (authors' pre-release annotation tool; no licence stated) - do not redistribute"
CITATION = (
    "Zhang, Liu & August (2026). Re-Centering Humans in LLM Personalization. arXiv:2606.06614. "
    "Data: the authors' pre-release annotation tool, github.com/orange0629/personalize-annotation."
)
REPORT_JSON = "import_report.json"
REPORT_MD = "import_report.md"
PILOT_TASK2_DIR = "pilot_task2"
PILOT_TASK3_DIR = "pilot_task3"
MAIN = "main"
#: dataset key -> folder relative to ``out`` ("." for the main dataset)
DATASET_DIRS = {MAIN: ".", "pilot_task3": PILOT_TASK3_DIR, "pilot_task2": PILOT_TASK2_DIR}

HUMAN_MAJORITY = "human-majority"
PIPELINE_RATER = "selection-pipeline"
#: The paper's stage-2 pairs use real WildChat users; the files do not name the source.
USER_SOURCE = "wildchat"
PROMPT_SOURCE = "lima"

GENERIC_MODES = frozenset({"no_context"})
PERSONALIZED_MODES = frozenset({"gt_attributes", "attributes"})
#: task-2 ratings the tool maps to relevant (its own task-2 -> task-3 conversion uses the same sets)
TASK2_YES = frozenset({"necessary_explicit", "necessary_implicit", "optional"})
TASK2_NO = frozenset({"unnecessary", "forbidden"})
TASK2_UNRATED = frozenset({"", "none"})

_TEST_ACCOUNT = re.compile(
    r"^(admin|administrator|root|test|tester|testing|demo|debug|dev|guest|dummy)[\W_]*\d*$", re.IGNORECASE
)

#: Exclusion reason -> what it means (the report repeats these).
REASONS: dict[str, str] = {
    "invalid_json": "the line is not valid JSON (or not UTF-8)",
    "malformed_record": "a required field is missing or has the wrong type",
    "invalid_value": "a value violates the canonical schema (e.g. a confidence outside [0, 1])",
    "task1_unmatchable": (
        "points into a pilot item list (`index`) that is not in the sample; cannot be matched to attributes"
    ),
    "test_account": "judgments by the annotation tool's admin/test account, not by an annotator",
    "empty_record": "the record holds no judgments",
    "null_label": "the label is null",
    "unrated": (
        "task-2 rating left at the default 'none' (changed=false): is_relevant=false there is the tool's "
        "default, not a judgment"
    ),
    "attribute_not_in_profile": "the attribute text appears in no imported profile of that user",
    "prompt_not_found": "no prompt text for this prompt_index in the imported files (import task5_items.jsonl)",
    "duplicate_judgment": "the same annotator judged the same item again later; the latest judgment is kept",
    "conflict": "several sources disagree about the same record; none of them is kept",
    "attribute_id_collision": "two different attribute texts of a user hash to the same attribute id",
}

_KIND_ORDER = (
    "task5_items",
    "generation",
    "relevance",
    "annotations_task3",
    "annotations_task2",
    "annotations_task1",
)

_NAME_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("task5_items", re.compile(r"^task5_items\.jsonl(?:\.gz)?$")),
    ("relevance", re.compile(r"^relevance_(?P<model>.+?)\.jsonl(?:\.gz)?$")),
    (
        "generation",
        re.compile(
            r"^(?:generation|eval_results_task5)_(?P<mode>no_context|gt_attributes|attributes)_(?P<model>.+?)"
            r"\.jsonl(?:\.gz)?$"
        ),
    ),
    ("annotations", re.compile(r"^(?P<annotator>.+)_task(?P<task>\d+)\.jsonl(?:\.gz)?$")),
)

_SIGNATURES: dict[str, tuple[str, ...]] = {
    "task5_items": ("user_id", "prompt_index", "prompt_text", "profile_attributes"),
    "generation": ("user_id", "prompt_id", "profile_attributes", "response"),
    "relevance": ("user_id", "prompt_index", "items"),
    "annotations_task3": ("relevance_judgments", "user_id", "prompt_index"),
    "annotations_task2": ("relevance_judgments", "user_id", "prompt_index"),
    "annotations_task1": ("attr_judgments", "index"),
}

#: Source fields with no place in the canonical schemas (listed in the report for the kinds imported).
DROPPED_FIELDS: dict[str, list[tuple[str, str]]] = {
    "task5_items": [
        (
            "items",
            "a pipeline's own relevant subset (attribute, expected_behavior, relevance): not part of the "
            "paper's stage-2 design, no schema field",
        ),
        ("item_index", "the tool's display order"),
    ],
    "relevance": [
        ("items[].full_output", "the model's free-text explanation; only the YES/NO raw_answer is kept"),
        ("sample_index", "the tool's item order; the pair is identified by user_id and prompt_index"),
    ],
    "generation": [
        ("items", "the pipeline subset, as in task5_items"),
    ],
    "annotations_task2": [
        ("relevance_judgments[].changed, default_rating", "used only to recognise unrated items"),
        ("relevance_judgments[].expected_behavior", "the pipeline's text, not the annotator's"),
        ("note, flagged, index", "tool bookkeeping (flagged records are noted)"),
    ],
    "annotations_task3": [
        ("note, flagged, index", "tool bookkeeping (flagged records and task-2 conversions are noted)"),
    ],
    "annotations_task1": [
        ("all fields", "stage-1 pilot judgments point into an item list that is not in the sample"),
    ],
}
#: Source fields kept somewhere other than the obvious place (also listed in the report).
MAPPED_FIELDS: dict[str, list[tuple[str, str]]] = {
    "relevance": [("items[].raw_answer", "RelevanceJudgment.raw_answer")],
    "generation": [
        (
            "profile_attributes[].ground_truth",
            f"RelevanceJudgment by rater '{HUMAN_MAJORITY}' (null -> reported)",
        ),
        ("response", "Response.text"),
    ],
    "annotations_task2": [
        ("relevance_judgments[].is_relevant", "RelevanceJudgment.relevant"),
        ("relevance_judgments[].rating", "RelevanceJudgment.raw_answer (the 5-level rating)"),
        ("relevance_judgments[].was_relevant", f"RelevanceJudgment.relevant of rater '{PIPELINE_RATER}'"),
        ("relevance_judgments[].relevance_score", f"RelevanceJudgment.score of rater '{PIPELINE_RATER}'"),
        ("timestamp", "picks the latest of repeated judgments"),
    ],
    "annotations_task3": [("timestamp", "picks the latest of repeated judgments")],
}


# --------------------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------------------


def attribute_id(user_id: str, text: str) -> str:
    """The deterministic id of a user's attribute: ``<user_id[:12]>-<sha256(text)[:12]>``."""
    return f"{user_id[:12]}-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:12]}"


def prompt_id(prompt_index: int) -> str:
    """The deterministic id of a LIMA prompt: ``lima-<prompt_index>``."""
    return f"lima-{prompt_index}"


def response_id(user_id: str, prompt_index: int, mode: str, model: str) -> str:
    """The deterministic id of a response: ``<user_id>_<prompt_index>:<mode>:<model>``."""
    return f"{user_id}_{prompt_index}:{mode}:{model}"


def is_test_account(name: str, extra: Iterable[str] = ()) -> bool:
    """The tool's ``admin`` account and names that look like test accounts (``test``, ``demo2``, ...)."""
    return name in set(extra) or bool(_TEST_ACCOUNT.match(name))


def _short(text: Any, n: int = 100) -> str:
    s = str(text)
    return s if len(s) <= n else s[: n - 3] + "..."


def _norm(text: str) -> str:
    return " ".join(text.split())


def _is_int(v: Any) -> bool:
    return type(v) is int


def _nonempty_str(v: Any) -> bool:
    return isinstance(v, str) and bool(v.strip())


def _number_or_none(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        return None
    return float(v)


def _parse_ts(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        ts = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if ts.tzinfo is not None:
        ts = ts.astimezone(UTC).replace(tzinfo=None)
    return ts


def _classify_name(name: str) -> tuple[str | None, dict[str, str]]:
    for kind, pattern in _NAME_PATTERNS:
        m = pattern.match(name)
        if m:
            meta = {k: v for k, v in m.groupdict().items() if v is not None}
            if kind == "annotations":
                return f"annotations_task{meta.pop('task')}", meta
            return kind, meta
    return None, {}


def _content_kind(rec: Mapping[str, Any]) -> str | None:
    """The kind a record's fields suggest (used to check names and to hint at misnamed files)."""
    keys = set(rec)
    if set(_SIGNATURES["generation"]) <= keys:
        return "generation"
    if set(_SIGNATURES["task5_items"]) <= keys:
        return "task5_items"
    if set(_SIGNATURES["relevance"]) <= keys:
        return "relevance"
    if set(_SIGNATURES["annotations_task1"]) <= keys:
        return "annotations_task1"
    if set(_SIGNATURES["annotations_task2"]) <= keys:
        task = str(rec.get("task", ""))
        js = rec.get("relevance_judgments") or []
        first = js[0] if isinstance(js, list) and js and isinstance(js[0], dict) else {}
        if task == "2" or "is_relevant" in first:
            return "annotations_task2"
        if task == "3" or "relevant" in first:
            return "annotations_task3"
        return "annotations_task2 or annotations_task3"
    return None


@attrs.define
class _Source:
    path: Path
    file: str
    kind: str | None
    meta: dict[str, str]
    order: int = 0
    rows: list[tuple[int, Any]] = attrs.field(factory=list)
    report: SourceReport | None = None


@attrs.define
class _Cand:
    """A human judgment that passed the per-judgment checks, before repeated judgments are resolved."""

    annotator: str
    user_id: str
    prompt_id: str
    attribute_id: str
    text: str
    relevant: bool
    raw_answer: str | None
    ts: datetime | None
    ts_raw: str
    file: str
    order: int
    line: int
    pos: int
    pipeline: tuple[bool, float | None] | None = None

    def sort_key(self) -> tuple:
        return (self.ts is not None, self.ts or datetime.min, self.order, self.line, self.pos)


# --------------------------------------------------------------------------------------------------------------
# The importer
# --------------------------------------------------------------------------------------------------------------


class _Importer:
    def __init__(self, out: Path, aliases: Mapping[str, str], test_accounts: Sequence[str]) -> None:
        self.out = out
        self.aliases = dict(aliases)
        self.test_accounts = tuple(test_accounts)
        self.report = ImportReport(out=out)
        self.report.options = {
            "same_annotator": dict(sorted(self.aliases.items())),
            "test_accounts": sorted(self.test_accounts),
        }
        self.sources: list[_Source] = []
        # catalogue from the profile sources
        self.prompts: dict[int, tuple[str, str, int]] = {}
        self.profiles: dict[str, dict[str, Attribute]] = {}
        self.profile_norm: dict[str, dict[str, str]] = {}
        self.bad_attrs: dict[tuple[str, str], str] = {}
        self.ids: dict[str, tuple[str, str]] = {}
        self.attr_source: dict[str, str] = {}
        self._raw_attrs: dict[tuple[str, str], tuple[dict[str, Any], str]] = {}
        self._noted_pairs: set[tuple[str, str, int]] = set()
        self._unprofiled: dict[tuple[str, str], list[int]] = defaultdict(list)
        # judgments and responses
        self.llm: dict[tuple[str, str, str, str], list[tuple[RelevanceJudgment, str, int, int]]] = (
            defaultdict(list)
        )
        self.llm_raters: dict[str, Rater] = {}
        self.gt: dict[tuple[str, str, str], list[tuple[Any, str, int, int, str]]] = defaultdict(list)
        self.human: dict[str, list[_Cand]] = defaultdict(list)
        self.responses: dict[str, list[tuple[Response, str, int, int]]] = defaultdict(list)
        # per (file, line, reason): items, detail
        self._pending: dict[tuple[str, int, str], dict[str, Any]] = {}
        self._order: dict[str, int] = {}
        # dataset -> record type -> key -> files that contributed
        self.contrib: dict[str, dict[str, dict[Any, set[str]]]] = defaultdict(
            lambda: defaultdict(lambda: defaultdict(set))
        )
        self._noted_once: set[tuple[str, str]] = set()

    # ---- reporting ------------------------------------------------------------------------------------------

    def exclude(
        self, file: str, line: int, reason: str, detail: str, *, count: int = 1, item: str | None = None
    ) -> None:
        """Record an exclusion; judgments of one line with the same reason are grouped into one entry."""
        key = (file, line, reason)
        entry = self._pending.get(key)
        if entry is None:
            entry = self._pending[key] = {"detail": detail, "count": 0, "items": []}
        entry["count"] += count
        if item is not None:
            entry["items"].append(_short(item))

    def note(self, file: str, line: int, kind: str, detail: str, *, once: str | None = None) -> None:
        if once is not None:
            if (file, once) in self._noted_once:
                return
            self._noted_once.add((file, once))
        self.report.notes.append(Note(file, line, kind, detail))

    def error(self, file: str, message: str) -> None:
        self.report.errors.append({"file": file, "message": message})

    def touch(self, ds: str, rtype: str, key: Any, file: str) -> None:
        self.contrib[ds][rtype][key].add(file)

    # ---- discovery and reading ------------------------------------------------------------------------------

    def discover(self, sources: Sequence[str | Path]) -> None:
        out = self.out.resolve()
        seen: dict[Path, str] = {}
        found: list[tuple[Path, str]] = []
        for src in sources:
            p = Path(src)
            if p.is_dir():
                ignored = []
                for f in sorted(p.rglob("*")):
                    rel = f.relative_to(p)
                    if any(part.startswith(".") for part in rel.parts) or not f.is_file():
                        continue
                    if f.resolve().is_relative_to(out):
                        continue  # our own output inside a source folder
                    if f.name.endswith((".jsonl", ".jsonl.gz")):
                        found.append((f, rel.as_posix()))
                    else:
                        ignored.append(rel.as_posix())
                if ignored:
                    self.note(
                        p.name or str(p), 0, "ignored_file", "not JSON Lines, not read: " + ", ".join(ignored)
                    )
            elif p.is_file():
                found.append((p, p.name))
            else:
                self.error(str(src), "no such file or folder")
        # A file reachable from several SRC arguments is read once, named by its longest relative path (so
        # the names, hence the output, do not depend on the order of the arguments).
        paths: dict[Path, Path] = {}
        for path, display in found:
            r = path.resolve()
            paths.setdefault(r, path)
            if r not in seen or (len(Path(display).parts), display) > (len(Path(seen[r]).parts), seen[r]):
                seen[r] = display
        displays = Counter(seen.values())
        unique = [(paths[r], d) for r, d in seen.items()]
        for path, display in unique:
            if displays[display] > 1:
                display = path.resolve().as_posix()
            kind, meta = _classify_name(path.name)
            self.sources.append(_Source(path, display, kind, meta))
        order = {k: i for i, k in enumerate(_KIND_ORDER)}
        self.sources.sort(key=lambda s: (order.get(s.kind or "", len(order)), s.file))
        for i, s in enumerate(self.sources):
            s.order = i
            self._order[s.file] = i

    def read(self, src: _Source) -> bool:
        rep = src.report = SourceReport(file=src.file, kind=src.kind, meta=dict(src.meta))
        self.report.sources.append(rep)
        try:
            rep.sha256 = file_sha256(src.path)
            bad = 0
            for number, raw in iter_lines(src.path):
                try:
                    src.rows.append((number, parse_line(src.path, number, raw)))
                except DataError as exc:
                    bad += 1
                    self.exclude(src.file, number, "invalid_json", exc.message)
            rep.records_read = len(src.rows) + bad
        except (OSError, EOFError) as exc:
            rep.error = f"could not be read: {exc}"
            self.error(src.file, rep.error)
            return False
        first = next((rec for _, rec in src.rows if isinstance(rec, dict)), None)
        looks = _content_kind(first) if first is not None else None
        if src.kind is None or src.kind not in _SIGNATURES:
            hint = f"; its content looks like a {looks} file, rename it accordingly" if looks else ""
            what = (
                f"annotation files of task {src.kind.removeprefix('annotations_task')} are not supported"
                if src.kind
                else "unrecognised file name"
            )
            rep.error = (
                f"{what} (expected task5_items.jsonl, relevance_<model>.jsonl, "
                f"generation_<mode>_<model>.jsonl or <annotator>_task<1|2|3>.jsonl){hint}"
            )
            self.error(src.file, rep.error)
            return False
        if first is None:
            if src.rows:
                rep.error = "holds no JSON objects"
                self.error(src.file, rep.error)
                return False
            self.note(src.file, 0, "empty_file", "the file holds no records")
            return True
        missing = [k for k in _SIGNATURES[src.kind] if k not in first]
        wrong_task = (
            src.kind.startswith("annotations_task")
            and "task" in first
            and str(first["task"]) != src.kind.removeprefix("annotations_task")
        )
        if missing or wrong_task or (looks is not None and src.kind not in looks):
            why = f"its records lack {', '.join(missing)}" if missing else f"its content looks like {looks}"
            if wrong_task:
                why = f"its records say task {first['task']!r}"
            rep.error = f"named like a {src.kind} file but {why}"
            self.error(src.file, rep.error)
            return False
        return True

    # ---- profile sources ------------------------------------------------------------------------------------

    def register_prompt(self, index: int, text: str, file: str, line: int) -> None:
        known = self.prompts.get(index)
        if known is None:
            self.prompts[index] = (text, file, line)
        elif known[0] != text:
            self.note(
                file,
                line,
                "prompt_text_conflict",
                f"prompt_index {index} has another text in {known[1]}:{known[2]}; the first is kept",
            )

    def new_attribute_id(self, user: str, text: str) -> str | None:
        aid = attribute_id(user, text)
        prev = self.ids.setdefault(aid, (user, text))
        return aid if prev == (user, text) else None

    def profile_attribute(
        self, src: _Source, line: int, user: str, a: Any, pos: int
    ) -> tuple[str, str] | None:
        if not isinstance(a, dict) or not _nonempty_str(a.get("attribute")):
            self.exclude(
                src.file,
                line,
                "malformed_record",
                "profile attribute without a non-empty 'attribute' text",
                item=f"profile_attributes[{pos}]",
            )
            return None
        text = a["attribute"]
        if (user, text) in self.bad_attrs:
            return None
        raw = {k: v for k, v in a.items() if k != "ground_truth"}
        seen = self._raw_attrs.get((user, text))
        if (
            seen is not None and seen[0] == raw
        ):  # the same entry again (profiles repeat across pairs and files)
            self.touch(MAIN, "attributes", seen[1], src.file)
            return text, seen[1]
        aid = self.new_attribute_id(user, text)
        if aid is None:
            other = self.ids[attribute_id(user, text)][1]
            self.exclude(
                src.file, line, "attribute_id_collision", f"collides with {_short(other)!r}", item=text
            )
            self.bad_attrs[(user, text)] = f"{src.file}:{line}"
            return None
        originals = a.get("original_attributes") or []
        reasons = a.get("original_reasons") or []
        confs = a.get("original_confidences") or []
        try:
            if not all(isinstance(x, list) for x in (originals, reasons, confs)):
                raise TypeError("original_attributes/_reasons/_confidences must be lists")
            n = len(originals)
            if len(reasons) != n or len(confs) != n:
                self.note(
                    src.file,
                    line,
                    "merged_originals_length_mismatch",
                    f"{_short(text, 60)!r}: {n} original_attributes, {len(reasons)} reasons, {len(confs)} "
                    "confidences; missing ones are left null",
                )
            merged = tuple(
                MergedAttribute(
                    text=o,
                    reason=reasons[i] if i < len(reasons) else None,
                    confidence=confs[i] if i < len(confs) else None,
                )
                for i, o in enumerate(originals)
            )
            attribute = Attribute(
                attribute_id=aid,
                user_id=user,
                text=text,
                reason=a.get("reason"),
                confidence=a.get("confidence"),
                merged_from=merged,
            )
        except (TypeError, ValueError) as exc:
            self.exclude(src.file, line, "invalid_value", f"profile attribute: {exc}", item=text)
            self.bad_attrs[(user, text)] = f"{src.file}:{line}"
            return None
        prof = self.profiles.setdefault(user, {})
        existing = prof.get(text)
        if existing is None:
            prof[text] = attribute
            self.attr_source[aid] = src.file
            self._raw_attrs[(user, text)] = (raw, aid)
            self.profile_norm.setdefault(user, {}).setdefault(_norm(text), text)
        elif existing != attribute:
            self.note(
                src.file,
                line,
                "attribute_metadata_conflict",
                f"{_short(text, 60)!r} ({aid}) has other reason/confidence/originals in an earlier file; "
                "the first is kept",
                once=f"amc:{aid}",
            )
        self.touch(MAIN, "attributes", aid, src.file)
        return text, aid

    def profile_record(
        self, src: _Source, line: int, rec: Any
    ) -> tuple[str, int, list[tuple[str, str, dict]]] | None:
        """Register a task5/generation record's user, prompt and profile; return (user, prompt index, attrs)."""
        n_attrs = (
            len(rec["profile_attributes"])
            if isinstance(rec, dict) and isinstance(rec.get("profile_attributes"), list)
            else 1
        )
        if not isinstance(rec, dict):
            self.exclude(src.file, line, "malformed_record", "not a JSON object", count=1)
            return None
        user = rec.get("user_id")
        problems = []
        if not _nonempty_str(user):
            problems.append("user_id is not a non-empty string")
        if src.kind == "generation":
            pid = rec.get("prompt_id")
            index = None
            if isinstance(pid, str) and "_" in pid:
                head, _, tail = pid.rpartition("_")
                if tail.isdigit() and head == user:
                    index = int(tail)
            if index is None:
                problems.append(f"prompt_id {pid!r} is not '<user_id>_<prompt_index>' for this user_id")
            if "prompt_index" in rec and rec["prompt_index"] != index:
                problems.append(f"prompt_index {rec['prompt_index']!r} disagrees with prompt_id {pid!r}")
        else:
            index = rec.get("prompt_index")
            if not _is_int(index) or index < 0:
                problems.append("prompt_index is not a non-negative integer")
        text = rec.get("prompt_text")
        if not _nonempty_str(text):
            problems.append("prompt_text is not a non-empty string")
        if not isinstance(rec.get("profile_attributes"), list):
            problems.append("profile_attributes is not a list")
        if problems:
            self.exclude(src.file, line, "malformed_record", "; ".join(problems), count=n_attrs)
            return None
        assert isinstance(user, str) and isinstance(index, int)
        self.register_prompt(index, text, src.file, line)
        self.touch(MAIN, "users", user, src.file)
        self.touch(MAIN, "prompts", prompt_id(index), src.file)
        attrs_out = []
        for pos, a in enumerate(rec["profile_attributes"]):
            got = self.profile_attribute(src, line, user, a, pos)
            if got is not None:
                attrs_out.append((got[0], got[1], a))
        return user, index, attrs_out

    def do_task5(self, src: _Source) -> None:
        for line, rec in src.rows:
            self.profile_record(src, line, rec)

    def do_generation(self, src: _Source) -> None:
        name_mode, name_model = src.meta.get("mode"), src.meta.get("model")
        for line, rec in src.rows:
            got = self.profile_record(src, line, rec)
            if got is None:
                continue
            user, index, attrs_list = got
            pid = prompt_id(index)
            mode = rec.get("mode", name_mode)
            model = rec.get("model", name_model)
            if mode != name_mode or model != name_model:
                self.note(
                    src.file,
                    line,
                    "name_mismatch",
                    f"records say mode={mode!r}, model={model!r}; the file name says {name_mode!r}, "
                    f"{name_model!r}; the records' values are used",
                    once="mode/model",
                )
            for text, aid, a in attrs_list:
                if "ground_truth" in a:
                    self.gt[(user, pid, aid)].append((a["ground_truth"], src.file, line, src.order, text))
            if not _nonempty_str(model) or mode not in GENERIC_MODES | PERSONALIZED_MODES:
                self.exclude(
                    src.file,
                    line,
                    "malformed_record",
                    f"response not imported: mode {mode!r} / model {model!r} not recognised "
                    f"(modes: {', '.join(sorted(GENERIC_MODES | PERSONALIZED_MODES))})",
                )
                continue
            text = rec.get("response")
            if text is None:
                self.exclude(src.file, line, "null_label", "response is null; no response imported")
                continue
            if not isinstance(text, str):
                self.exclude(src.file, line, "malformed_record", "response is not a string")
                continue
            condition = Condition.GENERIC if mode in GENERIC_MODES else Condition.PERSONALIZED
            rid = response_id(user, index, mode, model)
            resp = Response(
                response_id=rid,
                user_id=user,
                prompt_id=pid,
                generator=model,
                condition=condition,
                text=text,
                mentions_attributes=None,
                mentioned_attribute_ids=None,
            )
            self.responses[rid].append((resp, src.file, line, src.order))
            if condition is Condition.PERSONALIZED and any("ground_truth" in a for _, _, a in attrs_list):
                if not any(a.get("ground_truth") is True for _, _, a in attrs_list):
                    self.note(
                        src.file,
                        line,
                        "no_relevant_attribute",
                        f"personalized response for {pid} of user {user[:12]}... although no attribute of "
                        "the pair is human-relevant (ground_truth never true)",
                    )

    # ---- judgments ------------------------------------------------------------------------------------------

    def resolve(
        self, ds: str, src: _Source, line: int, user: str, index: int, text: str
    ) -> tuple[str | None, str | None, str]:
        """The attribute id of a judged text, or (None, reason, detail)."""
        prof = self.profiles.get(user)
        if prof is not None:
            if text not in prof:
                if (user, text) in self.bad_attrs:
                    return (
                        None,
                        "attribute_not_in_profile",
                        (f"its profile entry was excluded at {self.bad_attrs[(user, text)]}"),
                    )
                alt = self.profile_norm.get(user, {}).get(_norm(text))
                if alt is None:
                    return (
                        None,
                        "attribute_not_in_profile",
                        (
                            f"user {user[:12]}... has a profile of {len(prof)} attributes; this text is not one of them"
                        ),
                    )
                self.note(
                    src.file,
                    line,
                    "whitespace_match",
                    f"{_short(text, 60)!r} matched a profile attribute after whitespace normalisation",
                )
                text = alt
            return prof[text].attribute_id, None, ""
        aid = self.new_attribute_id(user, text)
        if aid is None:
            return (
                None,
                "attribute_id_collision",
                f"collides with {_short(self.ids[attribute_id(user, text)][1])!r}",
            )
        if (src.file, user, index) not in self._noted_pairs:
            self._noted_pairs.add((src.file, user, index))
            self._unprofiled[(src.file, ds)].append(line)
        return aid, None, ""

    def do_relevance(self, src: _Source) -> None:
        name_model = src.meta.get("model")
        for line, rec in src.rows:
            items = rec.get("items") if isinstance(rec, dict) else None
            n = len(items) if isinstance(items, list) else 1
            if not isinstance(rec, dict):
                self.exclude(src.file, line, "malformed_record", "not a JSON object")
                continue
            user, index = rec.get("user_id"), rec.get("prompt_index")
            model = rec.get("model", name_model)
            problems = []
            if not _nonempty_str(user):
                problems.append("user_id is not a non-empty string")
            if not _is_int(index) or index < 0:
                problems.append("prompt_index is not a non-negative integer")
            if not isinstance(items, list):
                problems.append("items is not a list")
            if not _nonempty_str(model):
                problems.append("model is not a non-empty string")
            if problems:
                self.exclude(src.file, line, "malformed_record", "; ".join(problems), count=n)
                continue
            if model != name_model:
                self.note(
                    src.file,
                    line,
                    "name_mismatch",
                    f"records say model={model!r}, the file name says {name_model!r}; the records' value "
                    "is used",
                    once="model",
                )
            if model not in self.llm_raters:
                self.llm_raters[model] = Rater(
                    rater_id=model,
                    kind=RaterKind.LLM,
                    model=model,
                    description=(
                        f"LLM judge {model}: zero-shot YES/NO per profile attribute (the authors' "
                        "stage-2 relevance prompt), imported from the annotation tool's relevance file"
                    ),
                )
            if index not in self.prompts:
                self.exclude(src.file, line, "prompt_not_found", f"prompt_index {index}", count=n)
                continue
            pid = prompt_id(index)
            for pos, it in enumerate(items):
                text = it.get("attribute") if isinstance(it, dict) else None
                if not _nonempty_str(text):
                    self.exclude(
                        src.file,
                        line,
                        "malformed_record",
                        "item without a non-empty 'attribute'",
                        item=f"items[{pos}]",
                    )
                    continue
                rel = it.get("relevant")
                if rel is None:
                    self.exclude(src.file, line, "null_label", "'relevant' is null", item=text)
                    continue
                if not isinstance(rel, bool):
                    self.exclude(src.file, line, "malformed_record", "'relevant' is not a boolean", item=text)
                    continue
                aid, reason, detail = self.resolve(MAIN, src, line, user, index, text)
                if aid is None:
                    self.exclude(src.file, line, reason, detail, item=text)
                    continue
                raw = it.get("raw_answer")
                raw = raw if isinstance(raw, str) else None
                if (
                    raw is not None
                    and raw.strip().upper() in ("YES", "NO")
                    and (raw.strip().upper() == "YES") != rel
                ):
                    self.note(
                        src.file,
                        line,
                        "raw_answer_mismatch",
                        f"raw_answer {raw!r} but relevant={rel} for {_short(text, 60)!r}; 'relevant' is used",
                    )
                j = RelevanceJudgment(
                    user_id=user,
                    prompt_id=pid,
                    attribute_id=aid,
                    rater_id=model,
                    relevant=rel,
                    raw_answer=raw,
                )
                self.llm[(model, user, pid, aid)].append((j, src.file, line, src.order))

    def annotator_of(self, src: _Source, line: int, rec: Mapping[str, Any]) -> str:
        name_ann = src.meta.get("annotator", "")
        ann = rec.get("annotator")
        if not _nonempty_str(ann):
            ann = name_ann
            self.note(
                src.file,
                line,
                "name_mismatch",
                f"records lack an annotator; the file name's {name_ann!r} is used",
                once="annotator-missing",
            )
        elif ann != name_ann:
            self.note(
                src.file,
                line,
                "name_mismatch",
                f"records say annotator={ann!r}, the file name says {name_ann!r}; the records' value is used",
                once=f"annotator:{ann}",
            )
        return self.aliases.get(ann, ann)

    def do_task1(self, src: _Source) -> None:
        for line, rec in src.rows:
            js = rec.get("attr_judgments") if isinstance(rec, dict) else None
            n = len(js) if isinstance(js, list) else 1
            ann = rec.get("annotator", src.meta.get("annotator")) if isinstance(rec, dict) else None
            idx = rec.get("index") if isinstance(rec, dict) else None
            extra = (
                " (also a test account)"
                if isinstance(ann, str) and is_test_account(ann, self.test_accounts)
                else ""
            )
            self.exclude(
                src.file,
                line,
                "task1_unmatchable",
                f"stage-1 pilot record of annotator {ann!r}{extra}, index {idx!r}: {n} attribute judgments "
                "not imported",
                count=n,
            )

    def do_task23(self, src: _Source, task: str) -> None:
        ds = f"pilot_task{task}"
        converted = 0
        for line, rec in src.rows:
            if not isinstance(rec, dict):
                self.exclude(src.file, line, "malformed_record", "not a JSON object")
                continue
            js = rec.get("relevance_judgments")
            n = len(js) if isinstance(js, list) else 1
            ann = self.annotator_of(src, line, rec)
            if is_test_account(ann, self.test_accounts):
                self.exclude(
                    src.file, line, "test_account", f"annotator {ann!r}: {n} judgments not imported", count=n
                )
                continue
            user, index = rec.get("user_id"), rec.get("prompt_index")
            problems = []
            if "task" in rec and str(rec["task"]) != task:
                problems.append(f"task is {rec['task']!r} in a task-{task} file")
            if not _nonempty_str(user):
                problems.append("user_id is not a non-empty string")
            if not _is_int(index) or index < 0:
                problems.append("prompt_index is not a non-negative integer")
            if not isinstance(js, list):
                problems.append("relevance_judgments is not a list")
            if problems:
                self.exclude(src.file, line, "malformed_record", "; ".join(problems), count=n)
                continue
            note = rec.get("note")
            if isinstance(note, str) and "[converted from task2]" in note:
                converted += 1
            if rec.get("flagged") is True:
                self.note(
                    src.file,
                    line,
                    "flagged_record",
                    f"the annotator flagged this record (note: {_short(note, 80)!r})",
                )
            if not js:
                conv = (
                    " (the tool's conversion of a task-2 record with no rated item)"
                    if isinstance(note, str) and "[converted from task2]" in note
                    else ""
                )
                self.exclude(
                    src.file,
                    line,
                    "empty_record",
                    f"annotator {ann!r}, user {user[:12]}..., prompt {index}: no judgments{conv}",
                    count=0,
                )
                continue
            ts_raw = rec.get("timestamp")
            ts = _parse_ts(ts_raw)
            if ts is None:
                self.note(
                    src.file,
                    line,
                    "timestamp_unparsable",
                    f"timestamp {ts_raw!r} is missing or not ISO 8601; this record counts as the oldest",
                )
            if index not in self.prompts:
                self.exclude(src.file, line, "prompt_not_found", f"prompt_index {index}", count=n)
                continue
            pid = prompt_id(index)
            for pos, j in enumerate(js):
                text = j.get("attribute") if isinstance(j, dict) else None
                if not _nonempty_str(text):
                    self.exclude(
                        src.file,
                        line,
                        "malformed_record",
                        "judgment without a non-empty 'attribute'",
                        item=f"relevance_judgments[{pos}]",
                    )
                    continue
                pipeline = None
                raw = None
                if task == "2":
                    rating = j.get("rating")
                    rel = j.get("is_relevant")
                    if rating is None or (isinstance(rating, str) and rating.strip() in TASK2_UNRATED):
                        self.exclude(
                            src.file, line, "unrated", f"annotator {ann!r}: rating {rating!r}", item=text
                        )
                        continue
                    if rel is None:
                        self.exclude(
                            src.file, line, "null_label", f"annotator {ann!r}: is_relevant is null", item=text
                        )
                        continue
                    if not isinstance(rel, bool):
                        self.exclude(
                            src.file, line, "malformed_record", "is_relevant is not a boolean", item=text
                        )
                        continue
                    raw = rating if isinstance(rating, str) else None
                    if raw in TASK2_YES | TASK2_NO and (raw in TASK2_YES) != rel:
                        self.note(
                            src.file,
                            line,
                            "raw_answer_mismatch",
                            f"rating {raw!r} but is_relevant={rel} for {_short(text, 60)!r}; is_relevant is used",
                        )
                    was = j.get("was_relevant")
                    if isinstance(was, bool):
                        pipeline = (was, _number_or_none(j.get("relevance_score")) if was else None)
                else:
                    rel = j.get("relevant")
                    if rel is None:
                        self.exclude(
                            src.file, line, "null_label", f"annotator {ann!r}: relevant is null", item=text
                        )
                        continue
                    if not isinstance(rel, bool):
                        self.exclude(
                            src.file, line, "malformed_record", "relevant is not a boolean", item=text
                        )
                        continue
                aid, reason, detail = self.resolve(ds, src, line, user, index, text)
                if aid is None:
                    self.exclude(src.file, line, reason, detail, item=text)
                    continue
                self.human[ds].append(
                    _Cand(
                        annotator=ann,
                        user_id=user,
                        prompt_id=pid,
                        attribute_id=aid,
                        text=text,
                        relevant=rel,
                        raw_answer=raw,
                        ts=ts,
                        ts_raw=str(ts_raw),
                        file=src.file,
                        order=src.order,
                        line=line,
                        pos=pos,
                        pipeline=pipeline,
                    )
                )
        if converted:
            self.note(
                src.file,
                0,
                "converted_from_task2",
                f"{converted} of {len(src.rows)} records are the tool's conversion of the same annotator's "
                "task-2 records (note '[converted from task2]'): the same judgments as in pilot_task2, not an "
                "independent task-3 annotation",
            )

    # ---- resolving repeated records -------------------------------------------------------------------------

    def resolve_identical(
        self, groups: Mapping[Any, list[tuple[Any, str, int, int]]], what: str
    ) -> list[tuple[Any, str, int]]:
        """Keep records given once or identically several times; exclude all copies of disagreeing ones."""
        kept = []
        for key in sorted(groups, key=str):
            occ = sorted(groups[key], key=lambda o: (o[3], o[2]))
            first = occ[0]
            if all(o[0] == first[0] for o in occ):
                kept.append((first[0], first[1], first[2]))
                if len(occ) > 1:
                    self.note(
                        first[1],
                        first[2],
                        "repeated_identical",
                        f"{what} {key} is given {len(occ)} times identically (also "
                        + ", ".join(f"{o[1]}:{o[2]}" for o in occ[1:])
                        + "); kept once",
                    )
                continue
            where = ", ".join(f"{o[1]}:{o[2]}" for o in occ)
            for o in occ:
                aid = getattr(o[0], "attribute_id", None)
                label = self.ids[aid][1] if aid in self.ids else getattr(o[0], "response_id", "")
                self.exclude(o[1], o[2], "conflict", f"{what} given differently in {where}", item=str(label))
        return kept

    def resolve_human(self, ds: str) -> list[_Cand]:
        groups: dict[tuple[str, str, str, str], list[_Cand]] = defaultdict(list)
        for c in self.human[ds]:
            groups[(c.annotator, c.user_id, c.prompt_id, c.attribute_id)].append(c)
        kept = []
        for key in sorted(groups):
            cs = sorted(groups[key], key=_Cand.sort_key)
            last = cs[-1]
            kept.append(last)
            for c in cs[:-1]:
                self.exclude(
                    c.file,
                    c.line,
                    "duplicate_judgment",
                    f"annotator {c.annotator!r} judged these items again later; kept "
                    f"{last.file}:{last.line} (timestamp {last.ts_raw})",
                    item=c.text,
                )
        return kept

    # ---- assembly -------------------------------------------------------------------------------------------

    def users(self, ids: Iterable[str]) -> list[User]:
        return [User(user_id=u, source=USER_SOURCE, origin=Origin.HUMAN) for u in sorted(set(ids))]

    def attribute_records(self, ds: str, keys: Iterable[tuple[str, str]]) -> list[Attribute]:
        """Attributes for (user, attribute_id) pairs: profile entries when known, text-only otherwise."""
        by_id = {}
        for user, aid in set(keys):
            user_text = self.ids[aid][1]
            prof = self.profiles.get(user, {})
            by_id[aid] = prof.get(user_text) or Attribute(attribute_id=aid, user_id=user, text=user_text)
        return [by_id[k] for k in sorted(by_id, key=lambda a: (by_id[a].user_id, a))]

    def prompt_records(self, indices: Iterable[int]) -> list[Prompt]:
        return [
            Prompt(prompt_id=prompt_id(i), text=self.prompts[i][0], source=PROMPT_SOURCE)
            for i in sorted(set(indices))
        ]

    @staticmethod
    def _pindex(pid: str) -> int:
        return int(pid.removeprefix("lima-"))

    def assemble_main(self) -> dict[str, list[Any]] | None:
        llm = self.resolve_identical(self.llm, "LLM judgment")
        responses = self.resolve_identical(self.responses, "response")
        gt_kept: list[tuple[RelevanceJudgment, str, int]] = []
        for key in sorted(self.gt, key=str):
            occ = sorted(self.gt[key], key=lambda o: (o[3], o[2]))
            values = {repr(o[0]) for o in occ}
            user, pid, aid = key
            if len(values) > 1:
                where = ", ".join(f"{o[1]}:{o[2]} ({o[0]!r})" for o in occ)
                for o in occ:
                    self.exclude(
                        o[1], o[2], "conflict", f"ground_truth given differently in {where}", item=o[4]
                    )
                continue
            value = occ[0][0]
            if value is None:
                for o in occ:
                    self.exclude(
                        o[1],
                        o[2],
                        "null_label",
                        "ground_truth is null (no human majority for this item)",
                        item=o[4],
                    )
                continue
            if not isinstance(value, bool):
                for o in occ:
                    self.exclude(
                        o[1], o[2], "malformed_record", f"ground_truth {value!r} is not a boolean", item=o[4]
                    )
                continue
            j = RelevanceJudgment(
                user_id=user, prompt_id=pid, attribute_id=aid, rater_id=HUMAN_MAJORITY, relevant=value
            )
            gt_kept.append((j, occ[0][1], occ[0][2]))
            if len(occ) > 1:
                self.note(
                    occ[0][1],
                    occ[0][2],
                    "repeated_identical",
                    f"ground truth of {aid} / {pid} agrees in {len(occ)} files; kept once",
                )
        judgments = [j for j, _, _ in llm] + [j for j, _, _ in gt_kept]
        provenance = [(j, f) for j, f, _ in llm] + [(j, f) for j, f, _ in gt_kept]
        raters = [self.llm_raters[r] for r in sorted({j.rater_id for j, _, _ in llm})]
        if gt_kept:
            raters.append(
                Rater(
                    rater_id=HUMAN_MAJORITY,
                    kind=RaterKind.AGGREGATE,
                    derived_from=(),
                    description=(
                        "Human majority of the stage-2 study: the majority of the 3 Prolific annotators of each "
                        "item, taken from the 'ground_truth' flags of the generation files. The individual "
                        "annotators' judgments are not in these files, so derived_from is empty."
                    ),
                )
            )
        for j, f in provenance:
            self.touch(MAIN, "relevance_judgments", (j.rater_id, j.user_id, j.prompt_id, j.attribute_id), f)
            self.touch(MAIN, "raters", j.rater_id, f)
            self.touch(MAIN, "users", j.user_id, f)
            self.touch(MAIN, "prompts", j.prompt_id, f)
            self.touch(MAIN, "attributes", j.attribute_id, f)
        for r, f, _ in responses:
            self.touch(MAIN, "responses", r.response_id, f)
        user_ids = set(self.profiles) | {j.user_id for j in judgments} | {r.user_id for r, _, _ in responses}
        attr_keys = {(u, a.attribute_id) for u, prof in self.profiles.items() for a in prof.values()}
        attr_keys |= {(j.user_id, j.attribute_id) for j in judgments}
        prompt_indices = set(self.prompts) if self.profiles else set()
        prompt_indices |= {self._pindex(j.prompt_id) for j in judgments}
        prompt_indices |= {self._pindex(r.prompt_id) for r, _, _ in responses}
        if not (user_ids or judgments or responses):
            return None
        return {
            "raters": raters,
            "users": self.users(user_ids),
            "attributes": self.attribute_records(MAIN, attr_keys),
            "prompts": self.prompt_records(prompt_indices),
            "relevance_judgments": sorted(judgments, key=_judgment_key),
            "responses": sorted((r for r, _, _ in responses), key=lambda r: r.response_id),
        }

    def assemble_pilot(self, ds: str) -> dict[str, list[Any]] | None:
        kept = self.resolve_human(ds)
        if not kept:
            return None
        judgments = [
            RelevanceJudgment(
                user_id=c.user_id,
                prompt_id=c.prompt_id,
                attribute_id=c.attribute_id,
                rater_id=c.annotator,
                relevant=c.relevant,
                raw_answer=c.raw_answer,
            )
            for c in kept
        ]
        provenance = [(j, c.file, c.line) for j, c in zip(judgments, kept, strict=True)]
        task = ds.removeprefix("pilot_task")
        raters = [
            Rater(
                rater_id=a,
                kind=RaterKind.HUMAN,
                description=(
                    f"Pilot annotator {a!r} of the authors' annotation tool (task {task}); "
                    "a member of the authors' pilot, not one of the study's Prolific annotators"
                ),
            )
            for a in sorted({c.annotator for c in kept})
        ]
        if ds == "pilot_task2":
            obs: dict[tuple[str, str, str], list[tuple[tuple[bool, float | None], str, int, int]]] = (
                defaultdict(list)
            )
            for c in self.human[
                ds
            ]:  # every rated observation, also superseded ones: all saw the same selection
                if c.pipeline is not None:
                    obs[(c.user_id, c.prompt_id, c.attribute_id)].append(
                        (c.pipeline, c.file, c.line, c.order)
                    )
            items = sorted({(c.user_id, c.prompt_id, c.attribute_id) for c in kept})
            n_pipe = 0
            for item in items:
                occ = obs.get(item)
                if not occ:
                    continue
                values = {o[0] for o in occ}
                if len(values) > 1:
                    where = ", ".join(
                        sorted({f"{o[1]}:{o[2]} (was_relevant={o[0][0]}, score={o[0][1]})" for o in occ})
                    )
                    for o in sorted({(o[1], o[2]) for o in occ}):
                        self.exclude(
                            o[0],
                            o[1],
                            "conflict",
                            f"the pipeline's selection of this item differs between records: {where}",
                            item=self.ids[item[2]][1],
                        )
                    continue
                (was, score), f, line, _ = sorted(occ, key=lambda o: (o[3], o[2]))[0]
                j = RelevanceJudgment(
                    user_id=item[0],
                    prompt_id=item[1],
                    attribute_id=item[2],
                    rater_id=PIPELINE_RATER,
                    relevant=was,
                    score=score,
                )
                judgments.append(j)
                provenance.append((j, f, line))
                n_pipe += 1
            if n_pipe:
                raters.append(
                    Rater(
                        rater_id=PIPELINE_RATER,
                        kind=RaterKind.BASELINE,
                        description=(
                            "The attribute-selection pipeline whose subset task 2 asked annotators to verify: "
                            "relevant = the item's 'was_relevant' (selected by the pipeline), score = its "
                            "'relevance_score' (null when not selected)."
                        ),
                    )
                )
        for j, f, _ in provenance:
            self.touch(ds, "relevance_judgments", (j.rater_id, j.user_id, j.prompt_id, j.attribute_id), f)
            self.touch(ds, "raters", j.rater_id, f)
            self.touch(ds, "users", j.user_id, f)
            self.touch(ds, "prompts", j.prompt_id, f)
            self.touch(ds, "attributes", j.attribute_id, f)
            # the prompt text and known attribute metadata come from the profile sources
            self.touch(ds, "prompts", j.prompt_id, self.prompts[self._pindex(j.prompt_id)][1])
            if j.attribute_id in self.attr_source:
                self.touch(ds, "attributes", j.attribute_id, self.attr_source[j.attribute_id])
        return {
            "raters": raters,
            "users": self.users(j.user_id for j in judgments),
            "attributes": self.attribute_records(ds, {(j.user_id, j.attribute_id) for j in judgments}),
            "prompts": self.prompt_records(self._pindex(j.prompt_id) for j in judgments),
            "relevance_judgments": sorted(judgments, key=_judgment_key),
        }

    # ---- the whole import -----------------------------------------------------------------------------------

    def run(self, sources: Sequence[str | Path]) -> dict[str, dict[str, list[Any]]]:
        self.discover(sources)
        readable = [s for s in self.sources if self.read(s)]
        handlers = {
            "task5_items": self.do_task5,
            "generation": self.do_generation,
            "relevance": self.do_relevance,
            "annotations_task3": lambda s: self.do_task23(s, "3"),
            "annotations_task2": lambda s: self.do_task23(s, "2"),
            "annotations_task1": self.do_task1,
        }
        for src in readable:  # already in dependency order: profile sources first
            handlers[src.kind](src)
        self._possible_same_annotators()
        datasets: dict[str, dict[str, list[Any]]] = {}
        main = self.assemble_main()
        if main is not None:
            datasets[MAIN] = main
        for ds in ("pilot_task3", "pilot_task2"):
            got = self.assemble_pilot(ds)
            if got is not None:
                datasets[ds] = got
        self._finish_report(datasets, readable)
        return datasets

    def _possible_same_annotators(self) -> None:
        for cands in self.human.values():
            names = sorted({c.annotator for c in cands})
            for name in names:
                m = re.match(r"^(.*?)[\W_]*\d+$", name)
                if m and m.group(1) in names:
                    base = m.group(1)
                    mine = {(c.user_id, c.prompt_id, c.attribute_id) for c in cands if c.annotator == name}
                    theirs = {(c.user_id, c.prompt_id, c.attribute_id) for c in cands if c.annotator == base}
                    first = next(c for c in cands if c.annotator == name)
                    self.note(
                        first.file,
                        0,
                        "possible_same_annotator",
                        f"annotator {name!r} may be a second account of {base!r} ({len(mine & theirs)} items "
                        f"judged by both); kept as separate raters as named. If they are one person, re-import "
                        f"with --same-annotator {name}={base} (the latest judgment per item is then kept)",
                    )

    def _finish_report(
        self, datasets: Mapping[str, Mapping[str, list[Any]]], readable: list[_Source]
    ) -> None:
        order = self._order
        for (file, ds), lines in self._unprofiled.items():
            self.note(
                file,
                lines[0],
                "profile_from_judgments",
                f"{len(lines)} user-prompt pairs (lines {_ranges(lines)}) belong to users no imported profile "
                f"covers (the pilot's own item list is not in the sample): their judged attribute texts define "
                f"text-only attributes in {ds}",
            )
        excl = [
            Exclusion(file=f, line=line, reason=reason, detail=_detail(e), count=e["count"], items=e["items"])
            for (f, line, reason), e in self._pending.items()
        ]
        excl.sort(key=lambda e: (order.get(e.file, -1), e.line, e.reason))
        self.report.exclusions = excl
        self.report.notes.sort(key=lambda n: (order.get(n.file, -1), n.line, n.kind))
        per_file = defaultdict(lambda: [0, 0])
        for e in excl:
            per_file[e.file][0] += 1
            per_file[e.file][1] += e.count
        keys_of = {
            "raters": lambda r: r.rater_id,
            "users": lambda r: r.user_id,
            "attributes": lambda r: r.attribute_id,
            "prompts": lambda r: r.prompt_id,
            "responses": lambda r: r.response_id,
            "relevance_judgments": lambda r: (r.rater_id, r.user_id, r.prompt_id, r.attribute_id),
        }
        written: dict[str, dict[str, Counter[str]]] = defaultdict(dict)  # file -> dataset -> type -> n
        for ds, recs in datasets.items():
            for rtype, records in recs.items():
                contrib = self.contrib[ds][rtype]
                for r in records:
                    for f in contrib.get(keys_of[rtype](r), ()):
                        written[f].setdefault(ds, Counter())[rtype] += 1
        for s in self.report.sources:
            s.exclusions, s.excluded_items = per_file[s.file]
            for ds, recs in datasets.items():
                counts = written[s.file].get(ds, Counter())
                if counts:
                    s.written[ds] = {t: counts[t] for t in recs if counts[t]}
        kinds = sorted({s.kind for s in readable if s.kind}, key=_KIND_ORDER.index)
        for kind in kinds:
            for field, fate in MAPPED_FIELDS.get(kind, []):
                self.report.fields.append({"kind": kind, "field": field, "fate": f"kept as {fate}"})
            for field, why in DROPPED_FIELDS.get(kind, []):
                self.report.fields.append({"kind": kind, "field": field, "fate": f"not imported: {why}"})


def _ranges(numbers: Iterable[int]) -> str:
    """``[1, 2, 3, 7]`` -> ``"1-3, 7"``."""
    nums = sorted(set(numbers))
    parts, start = [], None
    for i, n in enumerate(nums):
        if start is None:
            start = n
        if i + 1 == len(nums) or nums[i + 1] != n + 1:
            parts.append(str(start) if start == n else f"{start}-{n}")
            start = None
    return ", ".join(parts)


def _detail(entry: Mapping[str, Any]) -> str:
    items = entry["items"]
    if not items:
        return entry["detail"]
    shown = "; ".join(repr(i) for i in items[:3])
    more = f"; and {len(items) - 3} more" if len(items) > 3 else ""
    return f"{entry['detail']}: {shown}{more}"


def _judgment_key(j: RelevanceJudgment) -> tuple:
    return (j.rater_id, j.user_id, int(j.prompt_id.removeprefix("lima-")), j.attribute_id)


# --------------------------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------------------------


def _is_our_dataset(folder: Path) -> bool:
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and (manifest.get("provenance") or {}).get("importer") == IMPORTER


def _check_target(folder: Path) -> None:
    if (folder / MANIFEST).exists() and not _is_our_dataset(folder):
        raise ValueError(
            f"{folder} holds a dataset not written by this importer; refusing to overwrite it "
            "(choose another --out)"
        )


def _remove_stale(folder: Path) -> None:
    """Remove a dataset this importer wrote before but that this import no longer produces."""
    if not _is_our_dataset(folder):
        return
    for name in RECORD_TYPES:
        for suffix in (".jsonl", ".jsonl.gz"):
            (folder / f"{name}{suffix}").unlink(missing_ok=True)
    (folder / MANIFEST).unlink(missing_ok=True)
    if folder.name in (PILOT_TASK2_DIR, PILOT_TASK3_DIR):
        try:
            folder.rmdir()
        except OSError:
            pass


#: dataset -> the source kinds whose exclusions concern it
_DATASET_KINDS = {
    MAIN: ("task5_items", "generation", "relevance"),
    "pilot_task3": ("annotations_task3",),
    "pilot_task2": ("annotations_task2",),
}


def _descriptions(datasets: Mapping[str, Mapping[str, list[Any]]], report: ImportReport) -> dict[str, str]:
    kind_of = {s.file: s.kind for s in report.sources}

    def tail(ds: str, path: str) -> str:
        rows = [e for e in report.exclusions if kind_of.get(e.file) in _DATASET_KINDS[ds]]
        lines = len(rows)
        items = sum(e.count for e in rows)
        return (
            f"Import report: {path} lists every exclusion with file and line, nothing was dropped silently "
            f"({items} judgments/records on {lines} lines of this dataset's source files excluded)."
        )

    out = {}
    if MAIN in datasets:
        d = datasets[MAIN]
        llms = sorted(r.rater_id for r in d["raters"] if r.kind is RaterKind.LLM)
        pairs = {(a, b) for a, b in ((j.user_id, j.prompt_id) for j in d["relevance_judgments"])}
        has_gt = any(r.rater_id == HUMAN_MAJORITY for r in d["raters"])
        parts = [
            f"Stage-2 study data imported from the authors' pre-release annotation tool: {len(d['users'])} users, "
            f"{len(d['prompts'])} LIMA prompts, {len(d['attributes'])} profile attributes"
        ]
        if pairs:
            parts.append(f"relevance judgments on {len(pairs)} user-prompt pairs")
        if llms:
            parts.append("LLM judges " + ", ".join(llms))
        if has_gt:
            parts.append(f"the human-majority ground truth (rater '{HUMAN_MAJORITY}')")
        if d["responses"]:
            parts.append(f"{len(d['responses'])} generic/personalized responses")
        out[MAIN] = (
            "; ".join(parts) + ". Pilot annotations, if imported, are separate datasets in pilot_task3/ and "
            "pilot_task2/ and are not mixed in. " + tail(MAIN, REPORT_MD)
        )
    if "pilot_task3" in datasets:
        out["pilot_task3"] = (
            "Pilot task 3 of the authors' annotation tool: annotators judged every attribute of a user's profile "
            "for a prompt (the paper's stage-2 design), on the pilot's own user-prompt pairs (not the study's "
            "pairs) with the authors' team as annotators. Most records are the tool's conversion of the same "
            "annotator's task-2 records, so this is not independent of pilot_task2. "
            + tail("pilot_task3", f"../{REPORT_MD}")
        )
    if "pilot_task2" in datasets:
        out["pilot_task2"] = (
            "Pilot task 2 of the authors' annotation tool - a different design from the paper's stage 2: "
            "annotators verified a pipeline-selected subset of each profile (rating every attribute on a 5-level "
            "scale necessary_explicit/necessary_implicit/optional/unnecessary/forbidden, kept as raw_answer; "
            "relevant = is_relevant). The pipeline's own selection is the baseline rater "
            f"'{PIPELINE_RATER}'. Never pool with stage-2 data. " + tail("pilot_task2", f"../{REPORT_MD}")
        )
    return out


def _write(out: Path, datasets: Mapping[str, Mapping[str, list[Any]]], importer: _Importer) -> None:
    report = importer.report
    descriptions = _descriptions(datasets, report)
    by_file = {s.file: s for s in report.sources}
    for key, rel in DATASET_DIRS.items():
        folder = out / rel
        recs = datasets.get(key)
        if recs is not None:
            recs = {t: v for t, v in recs.items() if v}
        if not recs:
            _remove_stale(folder)
            continue
        used = sorted((f for f, s in by_file.items() if key in s.written), key=lambda f: importer._order[f])
        sources = [{"file": f, "sha256": by_file[f].sha256, "kind": by_file[f].kind} for f in used]
        origin = (
            "the authors' pre-release annotation tool (github.com/orange0629/personalize-annotation): "
            + ", ".join(f"{s['file']} (sha256 {s['sha256']})" for s in sources)
        )
        name = "annotation-tool" if key == MAIN else f"annotation-tool-{key.replace('_', '-')}"
        write_dataset(
            folder,
            recs,
            name=name,
            provenance="real",
            origin=origin,
            license=LICENSE,
            citation=CITATION,
            description=descriptions[key],
            extra_provenance={
                "importer": IMPORTER,
                "sources": sources,
                "import_report": REPORT_JSON if key == MAIN else f"../{REPORT_JSON}",
            },
        )
        report.datasets[key] = {
            "path": rel,
            "name": name,
            "description": descriptions[key],
            "records": {t: len(v) for t, v in recs.items()},
        }
    (out / REPORT_JSON).write_text(report.to_json(), encoding="utf-8")
    (out / REPORT_MD).write_text(report.to_markdown(), encoding="utf-8")


# --------------------------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------------------------


def import_annotation_tool(
    sources: Sequence[str | Path],
    out: str | Path,
    *,
    annotator_aliases: Mapping[str, str] | None = None,
    test_accounts: Sequence[str] = (),
) -> ImportReport:
    """Convert the authors' annotation-tool files into canonical datasets under ``out``.

    Parameters
    ----------
    sources : sequence of path-like
        Files and folders (folders are searched recursively for ``*.jsonl`` / ``*.jsonl.gz``, so
        ``annotations_v0/`` is found). The order does not matter: the output depends only on the files' content
        and names.
    out : path-like
        Output folder: the main dataset, ``pilot_task3/``, ``pilot_task2/`` (each only if it has records) and
        ``import_report.json`` / ``import_report.md``.
    annotator_aliases : mapping, optional
        ``{name in the files: annotator}`` for accounts known to be the same person (their repeated judgments
        are then resolved by timestamp like any other).
    test_accounts : sequence of str
        More annotator names to treat as test accounts (``admin``, ``test``, ``demo``, ... always are).

    Returns
    -------
    ImportReport
        ``.ok`` is False when a source could not be read or recognised (it is then listed in ``.errors``; the
        other sources are still imported). Exclusions never make it False.

    Raises
    ------
    ValueError
        When a target folder holds a dataset this importer did not write.
    """
    out = Path(out)
    for rel in DATASET_DIRS.values():
        _check_target(out / rel)
    importer = _Importer(out, annotator_aliases or {}, test_accounts)
    datasets = importer.run(sources)
    out.mkdir(parents=True, exist_ok=True)
    _write(out, datasets, importer)
    return importer.report
