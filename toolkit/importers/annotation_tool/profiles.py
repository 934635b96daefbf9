"""Reading the profile sources (``task5_items.jsonl`` and the generation files): users, prompts, profile
attributes, and - from the generation files - responses and the human-majority ground truth.

Profile sources are read before the judgment files, whose attribute texts are matched against the profiles.
"""

from __future__ import annotations

from typing import Any

from schemas import Attribute, Condition, MergedAttribute, Response
from toolkit.importers.annotation_tool.constants import GENERIC_MODES, MAIN
from toolkit.importers.annotation_tool.ids import attribute_id, normalise_whitespace, prompt_id, response_id
from toolkit.importers.annotation_tool.report import shorten
from toolkit.importers.annotation_tool.rows import (
    GeneratedResponse,
    GenerationLine,
    ProfileAttributeEntry,
    TaskItemsLine,
)
from toolkit.importers.annotation_tool.sources import Source
from toolkit.importers.annotation_tool.state import ImportState
from toolkit.importers.annotation_tool.structuring import ABSENT, MALFORMED, RowError, structure_row

__all__ = ["read_generation", "read_task5", "register_prompt"]

#: ``(text, attribute id, entry)`` of a line's profile attributes that were accepted.
_Accepted = list[tuple[str, str, ProfileAttributeEntry]]


def register_prompt(state: ImportState, index: int, text: str, file: str, line: int) -> None:
    """Register the text of LIMA prompt ``index``; another text for a known index is noted, the first kept."""
    known = state.prompts.get(index)
    if known is None:
        state.prompts[index] = (text, file, line)
    elif known[0] != text:
        state.note(
            file,
            line,
            "prompt_text_conflict",
            f"prompt_index {index} has another text in {known[1]}:{known[2]}; the first is kept",
        )


def _profile_attribute(
    state: ImportState, src: Source, line: int, user: str, a: Any, pos: int
) -> tuple[str, str, ProfileAttributeEntry] | None:
    """Register one profile entry of ``user``; return ``(text, attribute id, entry)``, or None if excluded."""
    try:
        entry: ProfileAttributeEntry | None = structure_row(a, ProfileAttributeEntry)
        problem = None
    except RowError as exc:
        entry, problem = None, exc.first
    if problem is not None and problem.reason == MALFORMED:
        state.exclude(src.file, line, MALFORMED, problem.message, item=f"profile_attributes[{pos}]")
        return None
    text = a["attribute"]
    if (user, text) in state.bad_attrs:
        return None
    raw = {k: v for k, v in a.items() if k != "ground_truth"}
    seen = state.raw_attrs.get((user, text))
    if seen is not None and seen[0] == raw:  # the same entry again (profiles repeat across pairs and files)
        state.touch(MAIN, "attributes", seen[1], src.file)
        assert entry is not None  # an excluded entry is never registered
        return text, seen[1], entry
    aid = state.new_attribute_id(user, text)
    if aid is None:
        other = state.text_of(attribute_id(user, text))
        state.exclude(
            src.file, line, "attribute_id_collision", f"collides with {shorten(other)!r}", item=text
        )
        state.bad_attrs[(user, text)] = f"{src.file}:{line}"
        return None
    if problem is not None:
        state.exclude(src.file, line, problem.reason, problem.message, item=text)
        state.bad_attrs[(user, text)] = f"{src.file}:{line}"
        return None
    assert entry is not None
    originals, reasons, confs = entry.originals
    n = len(originals)
    if len(reasons) != n or len(confs) != n:
        state.note(
            src.file,
            line,
            "merged_originals_length_mismatch",
            f"{shorten(text, 60)!r}: {n} original_attributes, {len(reasons)} reasons, {len(confs)} "
            "confidences; missing ones are left null",
        )
    try:
        # the canonical schema checks the values (a confidence in [0, 1], texts that are strings, ...)
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
            reason=entry.reason,
            confidence=entry.confidence,
            merged_from=merged,
        )
    except (TypeError, ValueError) as exc:
        state.exclude(src.file, line, "invalid_value", f"profile attribute: {exc}", item=text)
        state.bad_attrs[(user, text)] = f"{src.file}:{line}"
        return None
    prof = state.profiles.setdefault(user, {})
    existing = prof.get(text)
    if existing is None:
        prof[text] = attribute
        state.attr_source[aid] = src.file
        state.raw_attrs[(user, text)] = (raw, aid)
        state.profile_norm.setdefault(user, {}).setdefault(normalise_whitespace(text), text)
    elif existing != attribute:
        state.note(
            src.file,
            line,
            "attribute_metadata_conflict",
            f"{shorten(text, 60)!r} ({aid}) has other reason/confidence/originals in an earlier file; "
            "the first is kept",
            once=f"amc:{aid}",
        )
    state.touch(MAIN, "attributes", aid, src.file)
    return text, aid, entry


def _profile_record(
    state: ImportState, src: Source, line: int, rec: Any, row_cls: type[TaskItemsLine] | type[GenerationLine]
) -> tuple[TaskItemsLine | GenerationLine, _Accepted] | None:
    """Register a line's user, prompt and profile; return the row and its accepted attributes."""
    try:
        row = structure_row(rec, row_cls)
    except RowError as exc:
        attributes = rec.get("profile_attributes") if isinstance(rec, dict) else None
        n_attrs = len(attributes) if isinstance(attributes, list) else 1
        state.exclude(src.file, line, MALFORMED, exc.detail, count=n_attrs)
        return None
    user, index = row.user_id, row.lima_index
    register_prompt(state, index, row.prompt_text, src.file, line)
    state.touch(MAIN, "users", user, src.file)
    state.touch(MAIN, "prompts", prompt_id(index), src.file)
    accepted = []
    for pos, a in enumerate(row.profile_attributes):
        got = _profile_attribute(state, src, line, user, a, pos)
        if got is not None:
            accepted.append(got)
    return row, accepted


def read_task5(state: ImportState, src: Source) -> None:
    """Read ``task5_items.jsonl``: users, prompts and profile attributes of the stage-2 pairs."""
    for line, rec in src.rows:
        _profile_record(state, src, line, rec, TaskItemsLine)


def read_generation(state: ImportState, src: Source) -> None:
    """Read a generation file: its profiles (as ``task5_items``), its responses and its ground truth.

    A response whose mode, model or text is wrong is excluded alone; the line's profile and ground truth are
    still used.
    """
    name_mode, name_model = src.meta.get("mode"), src.meta.get("model")
    for line, rec in src.rows:
        got = _profile_record(state, src, line, rec, GenerationLine)
        if got is None:
            continue
        row, accepted = got
        assert isinstance(row, GenerationLine)
        user, index = row.user_id, row.lima_index
        pid = prompt_id(index)
        mode = name_mode if row.mode is ABSENT else row.mode
        model = name_model if row.model is ABSENT else row.model
        if mode != name_mode or model != name_model:
            state.note(
                src.file,
                line,
                "name_mismatch",
                f"records say mode={mode!r}, model={model!r}; the file name says {name_mode!r}, "
                f"{name_model!r}; the records' values are used",
                once="mode/model",
            )
        for text, aid, entry in accepted:
            if entry.ground_truth is not ABSENT:
                state.gt[(user, pid, aid)].append((entry.ground_truth, src.file, line, src.order, text))
        try:
            generated = structure_row(
                {"mode": mode, "model": model, "response": row.response}, GeneratedResponse
            )
        except RowError as exc:
            state.exclude(src.file, line, exc.first.reason, exc.first.message)
            continue
        condition = Condition.GENERIC if generated.mode in GENERIC_MODES else Condition.PERSONALIZED
        rid = response_id(user, index, generated.mode, generated.model)
        resp = Response(
            response_id=rid,
            user_id=user,
            prompt_id=pid,
            generator=generated.model,
            condition=condition,
            text=generated.response,
            mentions_attributes=None,
            mentioned_attribute_ids=None,
        )
        state.responses[rid].append((resp, src.file, line, src.order))
        with_gt = [entry for _, _, entry in accepted if entry.ground_truth is not ABSENT]
        if condition is Condition.PERSONALIZED and with_gt:
            if not any(entry.ground_truth is True for entry in with_gt):
                state.note(
                    src.file,
                    line,
                    "no_relevant_attribute",
                    f"personalized response for {pid} of user {user[:12]}... although no attribute of "
                    "the pair is human-relevant (ground_truth never true)",
                )
