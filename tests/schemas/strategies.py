"""Hypothesis strategies for every record type: valid records, their JSON dicts, and mutations of them.

Reusable by any test::

    from tests.schemas.strategies import records, record_dicts, mutated_dicts, RECORD_NAMES

    @given(records("relevance_judgments"))
    def test_something(judgment): ...

* :func:`records` - valid attrs records of one type (what :func:`schemas.structure` returns);
* :func:`record_dicts` - their JSON-ready dicts (what a JSONL line holds);
* :func:`mutated_dicts` - a valid dict with one mutation (a field dropped, added, retyped, out of range,
  a bad enum value or schema version, a broken nested object); most are invalid, some stay valid (e.g. an
  optional field dropped), so use them to compare two validators, not as "always invalid" examples.

Values stay within what strict JSON can express (no NaN; infinities appear only as the value that ``1e400``
parses to; no lone surrogates).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import attrs
from hypothesis import strategies as st

import schemas
from schemas import (
    Attribute,
    Condition,
    Conversation,
    ExtractionJudgment,
    ExtractionLabel,
    FailureMode,
    MergedAttribute,
    Origin,
    Prompt,
    Rater,
    RaterKind,
    RelevanceJudgment,
    Response,
    ResponseRating,
    Role,
    Score,
    Turn,
    User,
)
from schemas.registry import RECORD_TYPES

RECORD_NAMES: tuple[str, ...] = tuple(RECORD_TYPES)

# -- building blocks -------------------------------------------------------------------------------------

#: Ids: mostly realistic, sometimes any non-blank text (unicode, inner spaces).
ids = st.one_of(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._-", min_size=1, max_size=16),
    st.binary(min_size=32, max_size=32).map(bytes.hex),  # the release's 64-hex user ids
    st.text(min_size=1, max_size=12).filter(lambda s: s.strip() != ""),
)
texts = st.text(max_size=30)
non_blank = st.text(min_size=1, max_size=30).filter(lambda s: s.strip() != "")
finite_floats = st.floats(allow_nan=False, allow_infinity=False)
unit_floats = st.floats(min_value=0.0, max_value=1.0)


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


def _tuples(strategy: st.SearchStrategy[Any], max_size: int = 3) -> st.SearchStrategy[tuple[Any, ...]]:
    return st.lists(strategy, max_size=max_size).map(tuple)


@st.composite
def _raters(draw: st.DrawFn) -> Rater:
    kind = draw(st.sampled_from(RaterKind))
    needs_model = kind in (RaterKind.LLM, RaterKind.REWARD_MODEL)
    return Rater(
        rater_id=draw(ids),
        kind=kind,
        model=draw(non_blank if needs_model else optional(texts)),
        derived_from=draw(_tuples(ids)),
        description=draw(optional(texts)),
    )


@st.composite
def _extraction_judgments(draw: st.DrawFn) -> ExtractionJudgment:
    label = draw(st.sampled_from(ExtractionLabel))
    mode = None if label == ExtractionLabel.ACCEPTED else draw(optional(st.sampled_from(FailureMode)))
    return ExtractionJudgment(
        attribute_id=draw(ids),
        rater_id=draw(ids),
        label=label,
        failure_mode=mode,
        note=draw(optional(texts)),
        probability=draw(optional(unit_floats)),
    )


_merged = st.builds(MergedAttribute, text=texts, reason=optional(texts), confidence=optional(unit_floats))
_turns = st.builds(Turn, role=st.sampled_from(Role), content=texts)

_STRATEGIES: dict[str, st.SearchStrategy[Any]] = {
    "raters": _raters(),
    "users": st.builds(User, user_id=ids, source=non_blank, origin=st.sampled_from(Origin)),
    "conversations": st.builds(Conversation, conversation_id=ids, user_id=ids, turns=_tuples(_turns)),
    "attributes": st.builds(
        Attribute,
        attribute_id=ids,
        user_id=ids,
        text=non_blank,
        reason=optional(texts),
        confidence=optional(unit_floats),
        extractor=optional(texts),
        evidence=_tuples(texts),
        merged_from=_tuples(_merged, 2),
    ),
    "extraction_judgments": _extraction_judgments(),
    "prompts": st.builds(Prompt, prompt_id=ids, text=non_blank, source=non_blank),
    "relevance_judgments": st.builds(
        RelevanceJudgment,
        user_id=ids,
        prompt_id=ids,
        attribute_id=ids,
        rater_id=ids,
        relevant=st.booleans(),
        score=optional(finite_floats),
        raw_answer=optional(st.sampled_from(["YES", "NO"]) | texts),
    ),
    "responses": st.builds(
        Response,
        response_id=ids,
        user_id=ids,
        prompt_id=ids,
        generator=non_blank,
        condition=st.sampled_from(Condition),
        text=texts,
        mentions_attributes=optional(st.booleans()),
        mentioned_attribute_ids=optional(_tuples(texts)),
    ),
    "response_ratings": st.builds(
        ResponseRating,
        personalized_response_id=ids,
        generic_response_id=ids,
        attribute_id=ids,
        rater_id=ids,
        rating=st.integers(1, 5),
    ),
    "scores": st.builds(Score, response_id=ids, scorer_id=ids, value=finite_floats, attribute_id=optional(texts)),
}
assert set(_STRATEGIES) == set(RECORD_TYPES), "a record type without a strategy"


def records(name: str) -> st.SearchStrategy[Any]:
    """Valid records (attrs instances) of record type ``name``."""
    return _STRATEGIES[name]


def any_record() -> st.SearchStrategy[Any]:
    """A valid record of any type."""
    return st.one_of(*(_STRATEGIES[n] for n in RECORD_NAMES))


@cache
def record_dicts(name: str) -> st.SearchStrategy[dict[str, Any]]:
    """The JSON-ready dicts of valid records of ``name`` (sometimes with optional fields left out)."""
    rt = RECORD_TYPES[name]
    optional_fields = [f.name for f in attrs.fields(rt.cls) if f.default is not attrs.NOTHING]
    optional_fields.remove("schema_version")

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        data = schemas.unstructure(draw(records(name)))
        drop = [f for f in optional_fields if draw(st.integers(0, 4)) == 0]
        if drop:  # an absent optional field takes its default (unless a cross-field rule needs it)
            smaller = {k: v for k, v in data.items() if k not in drop}
            try:
                schemas.structure(smaller, name)
            except schemas.RecordError:
                return data
            return smaller
        return data

    return build()


# -- mutations -------------------------------------------------------------------------------------------

#: Replacement values: wrong types, blanks, out-of-range and edge numbers, nested junk. Some are valid for some
#: fields (e.g. ``3.0`` for a rating); that is intended.
ODD_VALUES: tuple[Any, ...] = (
    None, True, False, 0, 1, -1, 3, 7, 0.5, 3.0, 1.5, -0.0, 1e300, float("inf"), float("-inf"), 10**400,
    "", " ", "\t\n", "x", "YES", "accepted", "generic", "personalized", "llm", "human", "user", "1.0",
    [], ["a"], [""], [" "], [1], [None], [{}], {}, {"a": 1},
    [{"role": "user", "content": "hi"}], [{"role": "bot", "content": "hi"}], [{"role": "user"}],
    [{"role": "user", "content": "hi", "extra": 1}], [{"text": "t"}], [{"text": "t", "confidence": 2}],
    [{"text": "t", "confidence": 0.5, "reason": None}],
)
VERSIONS: tuple[Any, ...] = ("1.0", "1.1", "2.0", "0.9", "1", "1.0.0", "a.b", "", 1.0, 1, None)


def _mutate(draw: st.DrawFn, data: dict[str, Any], name: str) -> dict[str, Any]:
    data = dict(data)
    field_names = [f.name for f in attrs.fields(RECORD_TYPES[name].cls)]
    action = draw(st.sampled_from(["drop", "add", "replace", "replace", "replace", "version", "swap-enum"]))
    if action == "drop":
        data.pop(draw(st.sampled_from(field_names)), None)
    elif action == "add":
        key = draw(st.sampled_from(["extra", "Rating", "user", "_id"]) | st.text(max_size=8))
        data[key] = draw(st.sampled_from(ODD_VALUES))
    elif action == "version":
        data["schema_version"] = draw(st.sampled_from(VERSIONS))
    elif action == "swap-enum":
        data[draw(st.sampled_from(field_names))] = draw(
            st.sampled_from(["ACCEPTED", "Human", "unknown", "rejected", "aggregate", "reward_model", "assistant"])
        )
    else:
        data[draw(st.sampled_from(field_names))] = draw(st.sampled_from(ODD_VALUES))
    return data


@cache
def mutated_dicts(name: str) -> st.SearchStrategy[dict[str, Any]]:
    """A valid dict of ``name`` with one mutation; mostly invalid, sometimes still valid."""

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        return _mutate(draw, draw(record_dicts(name)), name)

    return build()


@cache
def dicts_for_agreement(name: str) -> st.SearchStrategy[Any]:
    """Valid and mutated dicts, plus the odd non-object line: for comparing two validators."""
    return st.one_of(record_dicts(name), mutated_dicts(name), mutated_dicts(name), st.sampled_from(ODD_VALUES))
