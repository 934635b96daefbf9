"""Reading the judgment files: LLM judgments (``relevance_<model>.jsonl``) and the pilot annotators' files
(``<annotator>_task<1|2|3>.jsonl``) into candidate judgments, excluding (and reporting) what cannot be used.

Judged attribute texts are matched against the profiles read before (:func:`resolve_text`).
"""

from __future__ import annotations

from typing import Any

from schemas import Rater, RaterKind, RelevanceJudgment
from toolkit.importers.annotation_tool.constants import MAIN, TASK2_NO, TASK2_YES
from toolkit.importers.annotation_tool.ids import (
    attribute_id,
    is_test_account,
    normalise_whitespace,
    prompt_id,
)
from toolkit.importers.annotation_tool.report import shorten
from toolkit.importers.annotation_tool.rows import (
    RelevanceItem,
    RelevanceLine,
    Task1Line,
    Task2Line,
    Task3Line,
)
from toolkit.importers.annotation_tool.sources import Source
from toolkit.importers.annotation_tool.state import HumanCandidate, ImportState
from toolkit.importers.annotation_tool.structuring import ABSENT, MALFORMED, RowError, structure_row

__all__ = ["annotator_of", "read_relevance", "read_task1", "read_task23", "resolve_text"]


def _count(rec: Any, key: str) -> int:
    """The number of judgments a line holds under ``key`` (1 when it holds no list)."""
    value = rec.get(key) if isinstance(rec, dict) else None
    return len(value) if isinstance(value, list) else 1


def _label(exc: RowError, raw: Any, where: str) -> str:
    """How the report names a judgment that is excluded: its attribute text, or its position without one."""
    return where if exc.not_an_object or exc.first.field == "attribute" else raw["attribute"]


def resolve_text(
    state: ImportState, ds: str, src: Source, line: int, user: str, index: int, text: str
) -> tuple[str | None, str | None, str]:
    """The attribute id of a judged text: ``(attribute id, None, "")`` or ``(None, reason, detail)``.

    Parameters
    ----------
    state : ImportState
    ds : str
        The dataset the judgment goes to (texts of users without a profile define attributes there).
    src, line : Source, int
        Where the judgment is.
    user, index, text : str, int, str
        The judgment's user, prompt index and attribute text.

    Returns
    -------
    tuple
        For a user with a profile, the text must be one of its attributes (exactly, or after whitespace
        normalisation, which is noted); for a user without one, the text defines a text-only attribute.
    """
    prof = state.profiles.get(user)
    if prof is not None:
        if text not in prof:
            if (user, text) in state.bad_attrs:
                return (
                    None,
                    "attribute_not_in_profile",
                    (f"its profile entry was excluded at {state.bad_attrs[(user, text)]}"),
                )
            alt = state.profile_norm.get(user, {}).get(normalise_whitespace(text))
            if alt is None:
                return (
                    None,
                    "attribute_not_in_profile",
                    (
                        f"user {user[:12]}... has a profile of {len(prof)} attributes; this text is not one of them"
                    ),
                )
            state.note(
                src.file,
                line,
                "whitespace_match",
                f"{shorten(text, 60)!r} matched a profile attribute after whitespace normalisation",
            )
            text = alt
        return prof[text].attribute_id, None, ""
    aid = state.new_attribute_id(user, text)
    if aid is None:
        return (
            None,
            "attribute_id_collision",
            f"collides with {shorten(state.text_of(attribute_id(user, text)))!r}",
        )
    if (src.file, user, index) not in state.noted_pairs:
        state.noted_pairs.add((src.file, user, index))
        state.unprofiled[(src.file, ds)].append(line)
    return aid, None, ""


def read_relevance(state: ImportState, src: Source) -> None:
    """Read an LLM's relevance file: one rater per model, one candidate judgment per item."""
    name_model = src.meta.get("model")
    for line, rec in src.rows:
        try:
            row = structure_row(rec, RelevanceLine)
        except RowError as exc:
            state.exclude(src.file, line, MALFORMED, exc.detail, count=_count(rec, "items"))
            continue
        user, index, n = row.user_id, row.prompt_index, len(row.items)
        model = name_model if row.model is ABSENT else row.model
        if model != name_model:
            state.note(
                src.file,
                line,
                "name_mismatch",
                f"records say model={model!r}, the file name says {name_model!r}; the records' value is used",
                once="model",
            )
        if model not in state.llm_raters:
            state.llm_raters[model] = Rater(
                rater_id=model,
                kind=RaterKind.LLM,
                model=model,
                description=(
                    f"LLM judge {model}: zero-shot YES/NO per profile attribute (the authors' "
                    "stage-2 relevance prompt), imported from the annotation tool's relevance file"
                ),
            )
        if index not in state.prompts:
            state.exclude(src.file, line, "prompt_not_found", f"prompt_index {index}", count=n)
            continue
        pid = prompt_id(index)
        for pos, it in enumerate(row.items):
            try:
                item = structure_row(it, RelevanceItem)
            except RowError as exc:
                state.exclude(
                    src.file, line, exc.first.reason, exc.first.message, item=_label(exc, it, f"items[{pos}]")
                )
                continue
            text, rel, raw = item.attribute, item.relevant, item.raw_answer
            aid, reason, detail = resolve_text(state, MAIN, src, line, user, index, text)
            if aid is None:
                state.exclude(src.file, line, reason, detail, item=text)
                continue
            if (
                raw is not None
                and raw.strip().upper() in ("YES", "NO")
                and (raw.strip().upper() == "YES") != rel
            ):
                state.note(
                    src.file,
                    line,
                    "raw_answer_mismatch",
                    f"raw_answer {raw!r} but relevant={rel} for {shorten(text, 60)!r}; 'relevant' is used",
                )
            j = RelevanceJudgment(
                user_id=user,
                prompt_id=pid,
                attribute_id=aid,
                rater_id=model,
                relevant=rel,
                raw_answer=raw,
            )
            state.llm[(model, user, pid, aid)].append((j, src.file, line, src.order))


def annotator_of(state: ImportState, src: Source, line: int, ann: Any) -> str:
    """The annotator of a line whose ``annotator`` field is ``ann``: the file name's when ``ann`` is not a
    non-empty string, the alias's target when one was given; disagreements with the file name are noted."""
    name_ann = src.meta.get("annotator", "")
    if not (isinstance(ann, str) and ann.strip()):
        ann = name_ann
        state.note(
            src.file,
            line,
            "name_mismatch",
            f"records lack an annotator; the file name's {name_ann!r} is used",
            once="annotator-missing",
        )
    elif ann != name_ann:
        state.note(
            src.file,
            line,
            "name_mismatch",
            f"records say annotator={ann!r}, the file name says {name_ann!r}; the records' value is used",
            once=f"annotator:{ann}",
        )
    return state.aliases.get(ann, ann)


def read_task1(state: ImportState, src: Source) -> None:
    """Report every line of a stage-1 pilot file: it points into an item list that is not in the sample."""
    for line, rec in src.rows:
        row = structure_row(rec, Task1Line) if isinstance(rec, dict) else None
        n = _count(rec, "attr_judgments")
        ann = None if row is None else src.meta.get("annotator") if row.annotator is ABSENT else row.annotator
        idx = None if row is None else row.index
        extra = (
            " (also a test account)"
            if isinstance(ann, str) and is_test_account(ann, state.test_accounts)
            else ""
        )
        state.exclude(
            src.file,
            line,
            "task1_unmatchable",
            f"stage-1 pilot record of annotator {ann!r}{extra}, index {idx!r}: {n} attribute judgments "
            "not imported",
            count=n,
        )


def read_task23(state: ImportState, src: Source, task: str) -> None:
    """Read a pilot annotator's task-2 or task-3 file into candidate judgments of dataset ``pilot_task<task>``.

    Test accounts, unrated items (task 2) and null labels are excluded; repeated judgments are resolved
    later (:func:`.assembly.resolve_human`).
    """
    ds = f"pilot_task{task}"
    line_cls = Task2Line if task == "2" else Task3Line
    converted = 0
    for line, rec in src.rows:
        try:
            row = structure_row(rec, line_cls)
            error = None
        except RowError as exc:
            row, error = None, exc
        if error is not None and error.not_an_object:
            state.exclude(src.file, line, MALFORMED, error.detail)
            continue
        n = _count(rec, "relevance_judgments")
        ann = annotator_of(state, src, line, rec.get("annotator"))
        if is_test_account(ann, state.test_accounts):
            state.exclude(
                src.file, line, "test_account", f"annotator {ann!r}: {n} judgments not imported", count=n
            )
            continue
        if error is not None:
            state.exclude(src.file, line, MALFORMED, error.detail, count=n)
            continue
        assert row is not None
        user, index, js = row.user_id, row.prompt_index, row.relevance_judgments
        if row.converted:
            converted += 1
        if row.flagged is True:
            state.note(
                src.file,
                line,
                "flagged_record",
                f"the annotator flagged this record (note: {shorten(row.note, 80)!r})",
            )
        if not js:
            conv = " (the tool's conversion of a task-2 record with no rated item)" if row.converted else ""
            state.exclude(
                src.file,
                line,
                "empty_record",
                f"annotator {ann!r}, user {user[:12]}..., prompt {index}: no judgments{conv}",
                count=0,
            )
            continue
        ts = row.when
        if ts is None:
            state.note(
                src.file,
                line,
                "timestamp_unparsable",
                f"timestamp {row.timestamp!r} is missing or not ISO 8601; this record counts as the oldest",
            )
        if index not in state.prompts:
            state.exclude(src.file, line, "prompt_not_found", f"prompt_index {index}", count=len(js))
            continue
        pid = prompt_id(index)
        for pos, raw_j in enumerate(js):
            try:
                j = structure_row(raw_j, line_cls.JUDGMENT, annotator=ann)
            except RowError as exc:
                label = _label(exc, raw_j, f"relevance_judgments[{pos}]")
                state.exclude(src.file, line, exc.first.reason, exc.first.message, item=label)
                continue
            text, rel, raw = j.attribute, j.relevant, j.raw_answer
            if raw in TASK2_YES | TASK2_NO and (raw in TASK2_YES) != rel:
                state.note(
                    src.file,
                    line,
                    "raw_answer_mismatch",
                    f"rating {raw!r} but is_relevant={rel} for {shorten(text, 60)!r}; is_relevant is used",
                )
            aid, reason, detail = resolve_text(state, ds, src, line, user, index, text)
            if aid is None:
                state.exclude(src.file, line, reason, detail, item=text)
                continue
            state.human[ds].append(
                HumanCandidate(
                    annotator=ann,
                    user_id=user,
                    prompt_id=pid,
                    attribute_id=aid,
                    text=text,
                    relevant=rel,
                    raw_answer=raw,
                    ts=ts,
                    ts_raw=str(row.timestamp),
                    file=src.file,
                    order=src.order,
                    line=line,
                    pos=pos,
                    pipeline=j.pipeline,
                )
            )
    if converted:
        state.note(
            src.file,
            0,
            "converted_from_task2",
            f"{converted} of {len(src.rows)} records are the tool's conversion of the same annotator's "
            "task-2 records (note '[converted from task2]'): the same judgments as in pilot_task2, not an "
            "independent task-3 annotation",
        )
