"""Round trips of every record type: structure(unstructure(x)) == x, also through JSON text and JSONL files."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

import schemas
from schemas import RecordError, structure, unstructure
from tests.schemas.strategies import RECORD_NAMES, any_record, records
from toolkit import jsonl


@pytest.mark.parametrize("name", RECORD_NAMES)
@given(data=st.data())
def test_round_trip(name: str, data: st.DataObject) -> None:
    record = data.draw(records(name))
    d = unstructure(record)
    assert structure(d, name) == record
    assert structure(d, type(record)) == record
    # Through JSON text: the toolkit's compact UTF-8 lines, and ASCII-escaped JSON from other writers.
    line = jsonl.dumps(d)
    assert "\n" not in line and "\r" not in line  # one record, one line
    assert structure(jsonl.loads(line), name) == record
    assert structure(jsonl.loads(line.encode("utf-8")), name) == record
    assert structure(json.loads(json.dumps(d)), name) == record
    # unstructure gives plain JSON types, and is a fixed point after one pass.
    assert json.loads(json.dumps(d)) == d
    assert unstructure(structure(d, name)) == d


@given(st.lists(any_record(), max_size=8))
def test_jsonl_file_round_trip(tmp_path_factory: pytest.TempPathFactory, batch: list) -> None:
    folder = tmp_path_factory.mktemp("rt")
    names = sorted({schemas.converter.record_name(r) for r in batch}) or ["users"]
    for i, name in enumerate(names):
        subset = [r for r in batch if schemas.converter.record_name(r) == name]
        path = folder / f"{name}{'.jsonl.gz' if i % 2 else '.jsonl'}"
        assert jsonl.write_records(path, subset) == len(subset)
        assert list(jsonl.read_records(path, name)) == subset


def test_missing_version_still_reports_the_other_fields() -> None:
    with pytest.raises(RecordError) as info:
        structure({"user_id": "u1", "relevant": "yes"}, "relevance_judgments")
    fields = [f for f, _ in info.value.errors]
    assert fields[0] == "schema_version"
    assert {"prompt_id", "attribute_id", "rater_id", "relevant"} <= set(fields)


def test_known_newer_version_reports_only_the_version() -> None:
    with pytest.raises(RecordError) as info:
        structure({"user_id": "u1", "future_field": 1, "schema_version": "2.0"}, "relevance_judgments")
    assert [f for f, _ in info.value.errors] == ["schema_version"]
    assert "upgrade" in info.value.errors[0][1]


def test_integral_float_is_an_integer_and_strings_never_coerce() -> None:
    base = {"personalized_response_id": "p", "generic_response_id": "g", "attribute_id": "a", "rater_id": "h",
            "schema_version": "1.0"}
    assert structure({**base, "rating": 3.0}, "response_ratings").rating == 3
    for bad in ("3", True, 3.5, None):
        with pytest.raises(RecordError):
            structure({**base, "rating": bad}, "response_ratings")


@given(group=st.none() | st.sampled_from(["expert", "crowd", "open-weight", "ünï code"]),
       grade=st.none() | st.integers(0, 4))
def test_schema_1_1_fields_round_trip(group: str | None, grade: int | None) -> None:
    rater = schemas.Rater("r1", schemas.RaterKind.LLM, model="m", group=group)
    assert rater.group == (group or "llm")
    assert structure(jsonl.loads(jsonl.dumps(unstructure(rater))), "raters") == rater
    judgment = schemas.RelevanceJudgment("u", "p", "a", "r1", bool(grade), grade=grade)
    d = unstructure(judgment)
    assert d["grade"] == grade and structure(d, "relevance_judgments") == judgment
