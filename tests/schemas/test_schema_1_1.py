"""Schema 1.1: rater groups, graded relevance, ratings on a declared scale; 1.0 records read as before."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas import SCHEMA_VERSION, Rater, RaterKind, RecordError, RelevanceJudgment, structure, unstructure
from schemas.fastcheck import fast_checker
from schemas.json_schema import json_schema

RATER = {"rater_id": "e1", "kind": "human", "schema_version": "1.1"}
JUDGMENT = {"user_id": "u", "prompt_id": "p", "attribute_id": "a", "rater_id": "e1", "relevant": True,
            "schema_version": "1.1"}
RATING = {"personalized_response_id": "rp", "generic_response_id": "rg", "attribute_id": "a", "rater_id": "e1",
          "rating": 3, "schema_version": "1.1"}


def _errors(data: dict[str, Any], name: str) -> list[tuple[str, str]]:
    try:
        structure(data, name)
    except RecordError as exc:
        return exc.errors
    return []


def _agree(data: dict[str, Any], name: str) -> bool:
    """structure, the fast checker and the JSON Schema give one verdict; return it."""
    ok = not _errors(data, name)
    assert bool(fast_checker(name)(data)) is ok, data
    assert jsonschema.Draft202012Validator(json_schema(name)).is_valid(data) is ok, data
    return ok


def test_the_current_version_is_1_1() -> None:
    assert SCHEMA_VERSION == "1.1"


def test_a_rater_group_defaults_to_its_kind_and_round_trips() -> None:
    assert structure(RATER, "raters").group == "human"
    assert structure({**RATER, "group": None}, "raters").group == "human"
    expert = structure({**RATER, "group": "expert"}, "raters")
    assert expert.group == "expert" and expert.kind is RaterKind.HUMAN
    assert structure(unstructure(expert), "raters") == expert
    assert Rater("j1", RaterKind.LLM, model="m").group == "llm"


def test_a_1_0_rater_migrates_with_its_kind_as_group() -> None:
    old = {"rater_id": "j1", "kind": "llm", "model": "gpt-5.4", "schema_version": "1.0"}
    rater = structure(old, "raters")
    assert rater.group == "llm" and rater.schema_version == "1.1"
    assert fast_checker("raters")(old) is True  # reads as it is: the frames keep their fast path


@pytest.mark.parametrize(
    ("data", "name", "field", "message"),
    [
        ({**RATER, "group": ""}, "raters", "group", "must be a non-empty string"),
        ({**RATER, "group": 3}, "raters", "group", "must be a string, got number"),
        ({**RATER, "group": "expert", "schema_version": "1.0"}, "raters", "group",
         "unknown field in schema 1.0 records (added in 1.1; set schema_version to '1.1')"),
        ({**JUDGMENT, "grade": -1}, "relevance_judgments", "grade", "must be an integer >= 0 or null, got -1"),
        ({**JUDGMENT, "grade": 1.5}, "relevance_judgments", "grade", "must be an integer, got 1.5"),
        ({**JUDGMENT, "grade": 0}, "relevance_judgments", "grade",
         "grade 0 contradicts relevant=true (grade 0 is not relevant, any grade above 0 is relevant)"),
        ({**JUDGMENT, "relevant": False, "grade": 2}, "relevance_judgments", "grade",
         "grade 2 contradicts relevant=false (grade 0 is not relevant, any grade above 0 is relevant)"),
        ({**JUDGMENT, "grade": 1, "schema_version": "1.0"}, "relevance_judgments", "grade",
         "unknown field in schema 1.0 records (added in 1.1; set schema_version to '1.1')"),
        ({**RATING, "rating": "7"}, "response_ratings", "rating", "must be an integer, got string"),
        ({**RATING, "rating": 9, "schema_version": "1.0"}, "response_ratings", "rating",
         "must be an integer 1..5, got 9"),
    ],
)
def test_bad_1_1_fields_are_named(data: dict[str, Any], name: str, field: str, message: str) -> None:
    assert _errors(data, name) == [(field, message)]
    assert _agree(data, name) is False


@pytest.mark.parametrize(
    ("data", "name"),
    [
        ({**RATER, "group": "crowd"}, "raters"),
        ({**JUDGMENT, "grade": 2}, "relevance_judgments"),
        ({**JUDGMENT, "relevant": False, "grade": 0}, "relevance_judgments"),
        ({**JUDGMENT, "grade": None}, "relevance_judgments"),
        ({**RATING, "rating": 7}, "response_ratings"),  # a 1.1 rating: the manifest's scale bounds it
        ({**RATING, "rating": 5, "schema_version": "1.0"}, "response_ratings"),
        ({**JUDGMENT, "schema_version": "1.0"}, "relevance_judgments"),
    ],
)
def test_valid_1_1_and_1_0_records_pass_all_three_checkers(data: dict[str, Any], name: str) -> None:
    assert _agree(data, name) is True


def test_a_1_0_rating_error_still_reports_the_other_fields() -> None:
    data = {**RATING, "rating": 0, "schema_version": "1.0", "attribute_id": "", "extra": 1}
    assert [f for f, _ in _errors(data, "response_ratings")] == ["extra", "attribute_id", "rating"]


@given(grade=st.none() | st.integers(-3, 10**6) | st.floats(-2, 5), relevant=st.booleans(),
       version=st.sampled_from(["1.0", "1.1"]))
def test_graded_relevance_agrees_across_checkers(grade: Any, relevant: bool, version: str) -> None:
    data = {**JUDGMENT, "relevant": relevant, "grade": grade, "schema_version": version}
    ok = _agree(data, "relevance_judgments")
    expected = version == "1.1" and (
        grade is None or (float(grade).is_integer() and grade >= 0 and (grade > 0) == relevant)
    )
    assert ok is expected


@given(rating=st.integers(-5, 12), version=st.sampled_from(["1.0", "1.1"]))
def test_ratings_are_1_to_5_in_1_0_and_any_integer_in_1_1(rating: int, version: str) -> None:
    ok = _agree({**RATING, "rating": rating, "schema_version": version}, "response_ratings")
    assert ok is (version == "1.1" or 1 <= rating <= 5)


def test_records_are_written_as_1_1() -> None:
    judgment = RelevanceJudgment("u", "p", "a", "e1", True, grade=2)
    assert unstructure(judgment)["schema_version"] == "1.1"
    assert unstructure(judgment)["grade"] == 2


@pytest.mark.parametrize("version", [[], {}, ["1.0"], None, 1.0])
def test_the_fast_checker_never_raises_on_an_odd_version(version: Any) -> None:
    for name, data in (("raters", RATER), ("relevance_judgments", JUDGMENT), ("response_ratings", RATING)):
        assert fast_checker(name)({**data, "schema_version": version}) is False
