"""Finding the tool's files among the sources, recognising each by name (checked against its content), and
reading its lines.

==========================================  ====================================================================
file                                        kind
==========================================  ====================================================================
``task5_items.jsonl``                       ``task5_items``
``relevance_<model>.jsonl``                 ``relevance`` (meta: ``model``)
``generation_<mode>_<model>.jsonl`` (also   ``generation`` (meta: ``mode``, ``model``)
``eval_results_task5_<mode>_<model>``)
``<annotator>_task<N>.jsonl``               ``annotations_task<N>`` (meta: ``annotator``); N = 1, 2, 3
==========================================  ====================================================================

Each may be gzipped (``.jsonl.gz``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from toolkit.dataset import file_sha256
from toolkit.importers.annotation_tool.constants import KIND_ORDER
from toolkit.importers.annotation_tool.report import SourceReport
from toolkit.importers.annotation_tool.state import ImportState
from toolkit.jsonl import DataError, iter_lines, parse_line

__all__ = ["SIGNATURES", "Source", "classify_name", "content_kind", "discover", "read_source"]

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


#: kind -> the fields the first record of such a file must have (its signature).
SIGNATURES: dict[str, tuple[str, ...]] = {
    "task5_items": ("user_id", "prompt_index", "prompt_text", "profile_attributes"),
    "generation": ("user_id", "prompt_id", "profile_attributes", "response"),
    "relevance": ("user_id", "prompt_index", "items"),
    "annotations_task3": ("relevance_judgments", "user_id", "prompt_index"),
    "annotations_task2": ("relevance_judgments", "user_id", "prompt_index"),
    "annotations_task1": ("attr_judgments", "index"),
}


@attrs.define
class Source:
    """One source file: where it is, its name in the report, its kind and what its name says (``meta``).

    ``order`` is its position in reading order; ``rows`` holds ``(line number, parsed JSON)`` once read.
    """

    path: Path
    file: str
    kind: str | None
    meta: dict[str, str]
    order: int = 0
    rows: list[tuple[int, Any]] = attrs.field(factory=list)
    report: SourceReport | None = None


def classify_name(name: str) -> tuple[str | None, dict[str, str]]:
    """The kind a file name says (None when unrecognised) and what else it says (model, mode, annotator)."""
    for kind, pattern in _NAME_PATTERNS:
        m = pattern.match(name)
        if m:
            meta = {k: v for k, v in m.groupdict().items() if v is not None}
            if kind == "annotations":
                return f"annotations_task{meta.pop('task')}", meta
            return kind, meta
    return None, {}


def content_kind(rec: Mapping[str, Any]) -> str | None:
    """The kind a record's fields suggest (used to check names and to hint at misnamed files)."""
    keys = set(rec)
    if set(SIGNATURES["generation"]) <= keys:
        return "generation"
    if set(SIGNATURES["task5_items"]) <= keys:
        return "task5_items"
    if set(SIGNATURES["relevance"]) <= keys:
        return "relevance"
    if set(SIGNATURES["annotations_task1"]) <= keys:
        return "annotations_task1"
    if set(SIGNATURES["annotations_task2"]) <= keys:
        task = str(rec.get("task", ""))
        js = rec.get("relevance_judgments") or []
        first = js[0] if isinstance(js, list) and js and isinstance(js[0], dict) else {}
        if task == "2" or "is_relevant" in first:
            return "annotations_task2"
        if task == "3" or "relevant" in first:
            return "annotations_task3"
        return "annotations_task2 or annotations_task3"
    return None


def discover(state: ImportState, sources: Sequence[str | Path]) -> list[Source]:
    """The tool's files among ``sources`` (files, and folders searched recursively), in reading order.

    Parameters
    ----------
    state : ImportState
        Receives notes (ignored files) and errors (missing sources) and the files' reading order.
    sources : sequence of path-like

    Returns
    -------
    list of Source
        Sorted by kind (profile sources first, see ``KIND_ORDER``), then by name.
    """
    out = state.report.out.resolve()
    found_sources: list[Source] = []
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
                state.note(
                    p.name or str(p), 0, "ignored_file", "not JSON Lines, not read: " + ", ".join(ignored)
                )
        elif p.is_file():
            found.append((p, p.name))
        else:
            state.error(str(src), "no such file or folder")
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
        kind, meta = classify_name(path.name)
        found_sources.append(Source(path, display, kind, meta))
    order = {k: i for i, k in enumerate(KIND_ORDER)}
    found_sources.sort(key=lambda s: (order.get(s.kind or "", len(order)), s.file))
    for i, s in enumerate(found_sources):
        s.order = i
        state.order[s.file] = i
    return found_sources


def read_source(state: ImportState, src: Source) -> bool:
    """Read ``src``'s lines into ``src.rows`` and check that its content fits its name.

    Lines that are not JSON are excluded (``invalid_json``). Returns False (the file is then reported as an
    error and not imported) when it cannot be read, its name is not recognised, or its first record lacks
    the fields of its kind (see :data:`SIGNATURES`).
    """
    rep = src.report = SourceReport(file=src.file, kind=src.kind, meta=dict(src.meta))
    state.report.sources.append(rep)
    try:
        rep.sha256 = file_sha256(src.path)
        bad = 0
        for number, raw in iter_lines(src.path):
            try:
                src.rows.append((number, parse_line(src.path, number, raw)))
            except DataError as exc:
                bad += 1
                state.exclude(src.file, number, "invalid_json", exc.message)
        rep.records_read = len(src.rows) + bad
    except (OSError, EOFError) as exc:
        rep.error = f"could not be read: {exc}"
        state.error(src.file, rep.error)
        return False
    first = next((rec for _, rec in src.rows if isinstance(rec, dict)), None)
    looks = content_kind(first) if first is not None else None
    if src.kind is None or src.kind not in SIGNATURES:
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
        state.error(src.file, rep.error)
        return False
    if first is None:
        if src.rows:
            rep.error = "holds no JSON objects"
            state.error(src.file, rep.error)
            return False
        state.note(src.file, 0, "empty_file", "the file holds no records")
        return True
    missing = [k for k in SIGNATURES[src.kind] if k not in first]
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
        state.error(src.file, rep.error)
        return False
    return True
