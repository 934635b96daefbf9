"""Assembling the datasets from the candidates an import collected: repeated and conflicting records are
resolved (and reported), then the main dataset and the pilot datasets are built.

* LLM judgments, responses and ground truth given more than once: identical copies are kept once (noted);
  disagreeing copies are all excluded as ``conflict``.
* Human judgments repeated by one annotator: the latest by timestamp is kept (ties: the later file/line).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from schemas import Attribute, Origin, Prompt, Rater, RaterKind, RelevanceJudgment, User
from toolkit.importers.annotation_tool.constants import (
    HUMAN_MAJORITY,
    MAIN,
    PIPELINE_RATER,
    PROMPT_SOURCE,
    USER_SOURCE,
)
from toolkit.importers.annotation_tool.ids import prompt_id, prompt_index_of
from toolkit.importers.annotation_tool.state import HumanCandidate, ImportState

__all__ = [
    "assemble_main",
    "assemble_pilot",
    "attribute_records",
    "judgment_key",
    "note_possible_same_annotators",
    "prompt_records",
    "resolve_human",
    "resolve_identical",
    "user_records",
]


def judgment_key(j: RelevanceJudgment) -> tuple:
    """The order of judgments in a dataset: rater, user, prompt index, attribute."""
    return (j.rater_id, j.user_id, prompt_index_of(j.prompt_id), j.attribute_id)


def resolve_identical(
    state: ImportState, groups: Mapping[Any, list[tuple[Any, str, int, int]]], what: str
) -> list[tuple[Any, str, int]]:
    """Keep records given once or identically several times; exclude all copies of disagreeing ones."""
    kept = []
    for key in sorted(groups, key=str):
        occ = sorted(groups[key], key=lambda o: (o[3], o[2]))
        first = occ[0]
        if all(o[0] == first[0] for o in occ):
            kept.append((first[0], first[1], first[2]))
            if len(occ) > 1:
                state.note(
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
            label = state.text_of(aid) if aid in state.ids else getattr(o[0], "response_id", "")
            state.exclude(o[1], o[2], "conflict", f"{what} given differently in {where}", item=str(label))
    return kept


def resolve_human(state: ImportState, ds: str) -> list[HumanCandidate]:
    """The human judgments of dataset ``ds`` to keep: per annotator and item the latest; the others are
    excluded as ``duplicate_judgment``."""
    groups: dict[tuple[str, str, str, str], list[HumanCandidate]] = defaultdict(list)
    for c in state.human[ds]:
        groups[(c.annotator, c.user_id, c.prompt_id, c.attribute_id)].append(c)
    kept = []
    for key in sorted(groups):
        cs = sorted(groups[key], key=HumanCandidate.sort_key)
        last = cs[-1]
        kept.append(last)
        for c in cs[:-1]:
            state.exclude(
                c.file,
                c.line,
                "duplicate_judgment",
                f"annotator {c.annotator!r} judged these items again later; kept "
                f"{last.file}:{last.line} (timestamp {last.ts_raw})",
                item=c.text,
            )
    return kept


def user_records(ids: Iterable[str]) -> list[User]:
    """One ``User`` per user id, sorted."""
    return [User(user_id=u, source=USER_SOURCE, origin=Origin.HUMAN) for u in sorted(set(ids))]


def attribute_records(state: ImportState, keys: Iterable[tuple[str, str]]) -> list[Attribute]:
    """Attributes for (user, attribute_id) pairs: profile entries when known, text-only otherwise."""
    by_id = {}
    for user, aid in set(keys):
        user_text = state.text_of(aid)
        prof = state.profiles.get(user, {})
        by_id[aid] = prof.get(user_text) or Attribute(attribute_id=aid, user_id=user, text=user_text)
    return [by_id[k] for k in sorted(by_id, key=lambda a: (by_id[a].user_id, a))]


def prompt_records(state: ImportState, indices: Iterable[int]) -> list[Prompt]:
    """One LIMA ``Prompt`` per prompt index, sorted, with the text the profile sources gave."""
    return [
        Prompt(prompt_id=prompt_id(i), text=state.prompts[i][0], source=PROMPT_SOURCE)
        for i in sorted(set(indices))
    ]


def assemble_main(state: ImportState) -> dict[str, list[Any]] | None:
    """The main dataset: profiles, prompts, LLM judgments, the human-majority ground truth and responses.

    Returns
    -------
    dict or None
        ``{record type: records}``; None when nothing of the main dataset was read.
    """
    llm = resolve_identical(state, state.llm, "LLM judgment")
    responses = resolve_identical(state, state.responses, "response")
    gt_kept: list[tuple[RelevanceJudgment, str, int]] = []
    for key in sorted(state.gt, key=str):
        occ = sorted(state.gt[key], key=lambda o: (o[3], o[2]))
        values = {repr(o[0]) for o in occ}
        user, pid, aid = key
        if len(values) > 1:
            where = ", ".join(f"{o[1]}:{o[2]} ({o[0]!r})" for o in occ)
            for o in occ:
                state.exclude(o[1], o[2], "conflict", f"ground_truth given differently in {where}", item=o[4])
            continue
        value = occ[0][0]
        if value is None:
            for o in occ:
                state.exclude(
                    o[1],
                    o[2],
                    "null_label",
                    "ground_truth is null (no human majority for this item)",
                    item=o[4],
                )
            continue
        if not isinstance(value, bool):
            for o in occ:
                state.exclude(
                    o[1], o[2], "malformed_record", f"ground_truth {value!r} is not a boolean", item=o[4]
                )
            continue
        j = RelevanceJudgment(
            user_id=user, prompt_id=pid, attribute_id=aid, rater_id=HUMAN_MAJORITY, relevant=value
        )
        gt_kept.append((j, occ[0][1], occ[0][2]))
        if len(occ) > 1:
            state.note(
                occ[0][1],
                occ[0][2],
                "repeated_identical",
                f"ground truth of {aid} / {pid} agrees in {len(occ)} files; kept once",
            )
    judgments = [j for j, _, _ in llm] + [j for j, _, _ in gt_kept]
    provenance = [(j, f) for j, f, _ in llm] + [(j, f) for j, f, _ in gt_kept]
    raters = [state.llm_raters[r] for r in sorted({j.rater_id for j, _, _ in llm})]
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
        state.touch(MAIN, "relevance_judgments", (j.rater_id, j.user_id, j.prompt_id, j.attribute_id), f)
        state.touch(MAIN, "raters", j.rater_id, f)
        state.touch(MAIN, "users", j.user_id, f)
        state.touch(MAIN, "prompts", j.prompt_id, f)
        state.touch(MAIN, "attributes", j.attribute_id, f)
    for r, f, _ in responses:
        state.touch(MAIN, "responses", r.response_id, f)
    user_ids = set(state.profiles) | {j.user_id for j in judgments} | {r.user_id for r, _, _ in responses}
    attr_keys = {(u, a.attribute_id) for u, prof in state.profiles.items() for a in prof.values()}
    attr_keys |= {(j.user_id, j.attribute_id) for j in judgments}
    prompt_indices = set(state.prompts) if state.profiles else set()
    prompt_indices |= {prompt_index_of(j.prompt_id) for j in judgments}
    prompt_indices |= {prompt_index_of(r.prompt_id) for r, _, _ in responses}
    if not (user_ids or judgments or responses):
        return None
    return {
        "raters": raters,
        "users": user_records(user_ids),
        "attributes": attribute_records(state, attr_keys),
        "prompts": prompt_records(state, prompt_indices),
        "relevance_judgments": sorted(judgments, key=judgment_key),
        "responses": sorted((r for r, _, _ in responses), key=lambda r: r.response_id),
    }


def assemble_pilot(state: ImportState, ds: str) -> dict[str, list[Any]] | None:
    """A pilot dataset (``pilot_task3`` or ``pilot_task2``): the annotators' latest judgments, and for task 2
    the pipeline's own selection as the baseline rater ``selection-pipeline``.

    Returns
    -------
    dict or None
        ``{record type: records}``; None when no judgment of ``ds`` was kept.
    """
    kept = resolve_human(state, ds)
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
        obs: dict[tuple[str, str, str], list[tuple[tuple[bool, float | None], str, int, int]]] = defaultdict(
            list
        )
        for c in state.human[ds]:  # every rated observation, also superseded ones: all saw the same selection
            if c.pipeline is not None:
                obs[(c.user_id, c.prompt_id, c.attribute_id)].append((c.pipeline, c.file, c.line, c.order))
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
                    state.exclude(
                        o[0],
                        o[1],
                        "conflict",
                        f"the pipeline's selection of this item differs between records: {where}",
                        item=state.text_of(item[2]),
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
        state.touch(ds, "relevance_judgments", (j.rater_id, j.user_id, j.prompt_id, j.attribute_id), f)
        state.touch(ds, "raters", j.rater_id, f)
        state.touch(ds, "users", j.user_id, f)
        state.touch(ds, "prompts", j.prompt_id, f)
        state.touch(ds, "attributes", j.attribute_id, f)
        # the prompt text and known attribute metadata come from the profile sources
        state.touch(ds, "prompts", j.prompt_id, state.prompts[prompt_index_of(j.prompt_id)][1])
        if j.attribute_id in state.attr_source:
            state.touch(ds, "attributes", j.attribute_id, state.attr_source[j.attribute_id])
    return {
        "raters": raters,
        "users": user_records(j.user_id for j in judgments),
        "attributes": attribute_records(state, {(j.user_id, j.attribute_id) for j in judgments}),
        "prompts": prompt_records(state, (prompt_index_of(j.prompt_id) for j in judgments)),
        "relevance_judgments": sorted(judgments, key=judgment_key),
    }


def note_possible_same_annotators(state: ImportState) -> None:
    """Note annotator names that look like a second account of another (``Lechen2`` and ``Lechen``)."""
    for cands in state.human.values():
        names = sorted({c.annotator for c in cands})
        for name in names:
            m = re.match(r"^(.*?)[\W_]*\d+$", name)
            if m and m.group(1) in names:
                base = m.group(1)
                mine = {(c.user_id, c.prompt_id, c.attribute_id) for c in cands if c.annotator == name}
                theirs = {(c.user_id, c.prompt_id, c.attribute_id) for c in cands if c.annotator == base}
                first = next(c for c in cands if c.annotator == name)
                state.note(
                    first.file,
                    0,
                    "possible_same_annotator",
                    f"annotator {name!r} may be a second account of {base!r} ({len(mine & theirs)} items "
                    f"judged by both); kept as separate raters as named. If they are one person, re-import "
                    f"with --same-annotator {name}={base} (the latest judgment per item is then kept)",
                )
