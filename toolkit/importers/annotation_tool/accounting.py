"""Accounting for the import in its report: every pending exclusion written out, notes sorted, what each
source file contributed to the written datasets, and what became of each source field."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from toolkit.importers.annotation_tool.constants import HUMAN_MAJORITY, KIND_ORDER, PIPELINE_RATER
from toolkit.importers.annotation_tool.report import Exclusion
from toolkit.importers.annotation_tool.sources import Source
from toolkit.importers.annotation_tool.state import ImportState

__all__ = ["DROPPED_FIELDS", "MAPPED_FIELDS", "finish_report"]

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


def finish_report(
    state: ImportState, datasets: Mapping[str, Mapping[str, list[Any]]], readable: list[Source]
) -> None:
    """Complete ``state.report`` once the datasets are assembled (before they are written).

    Parameters
    ----------
    state : ImportState
    datasets : mapping
        ``{dataset key: {record type: records}}`` as assembled.
    readable : list of Source
        The sources that were read (their kinds decide which source fields the report describes).
    """
    order = state.order
    for (file, ds), lines in state.unprofiled.items():
        state.note(
            file,
            lines[0],
            "profile_from_judgments",
            f"{len(lines)} user-prompt pairs (lines {_ranges(lines)}) belong to users no imported profile "
            f"covers (the pilot's own item list is not in the sample): their judged attribute texts define "
            f"text-only attributes in {ds}",
        )
    excl = [
        Exclusion(file=f, line=line, reason=reason, detail=_detail(e), count=e["count"], items=e["items"])
        for (f, line, reason), e in state.pending.items()
    ]
    excl.sort(key=lambda e: (order.get(e.file, -1), e.line, e.reason))
    state.report.exclusions = excl
    state.report.notes.sort(key=lambda n: (order.get(n.file, -1), n.line, n.kind))
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
            contrib = state.contrib[ds][rtype]
            for r in records:
                for f in contrib.get(keys_of[rtype](r), ()):
                    written[f].setdefault(ds, Counter())[rtype] += 1
    for s in state.report.sources:
        s.exclusions, s.excluded_items = per_file[s.file]
        for ds, recs in datasets.items():
            counts = written[s.file].get(ds, Counter())
            if counts:
                s.written[ds] = {t: counts[t] for t in recs if counts[t]}
    kinds = sorted({s.kind for s in readable if s.kind}, key=KIND_ORDER.index)
    for kind in kinds:
        for field, fate in MAPPED_FIELDS.get(kind, []):
            state.report.fields.append({"kind": kind, "field": field, "fate": f"kept as {fate}"})
        for field, why in DROPPED_FIELDS.get(kind, []):
            state.report.fields.append({"kind": kind, "field": field, "fate": f"not imported: {why}"})


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
