"""The tool's row formats (``annotation_tool.rows``, structured by ``annotation_tool.structuring``): structuring,
and the exact reasons and messages the import report gives for wrong rows (the same texts as before the row
classes existed; checked against the former hand-written checks)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from schemas import RecordError
from tests.toolkit.importers.synthetic import U1, annotation_line, write_jsonl
from toolkit.importers import import_annotation_tool
from toolkit.importers.annotation_tool.rows import (
    GenerationLine,
    RelevanceItem,
    RelevanceLine,
    Task2Judgment,
    Task3Line,
    TaskItemsLine,
)
from toolkit.importers.annotation_tool.structuring import ABSENT, RowError, structure_row

TEXT = "The user likes cooking."


def _attr(text: Any, **fields: Any) -> dict:
    return {"attribute": text, "reason": "r", "confidence": 0.5, "original_attributes": [text]} | {
        "original_reasons": ["r"],
        "original_confidences": [0.5],
        **fields,
    }


def _task5(**fields: Any) -> dict:
    return {
        "prompt_index": 3,
        "user_id": U1,
        "prompt_text": "P3",
        "profile_attributes": [_attr(TEXT)],
    } | fields


# ------------------------------------------------------------------------------------------------------------
# structure_row
# ------------------------------------------------------------------------------------------------------------


def test_valid_rows_structure_and_unused_fields_are_ignored() -> None:
    row = structure_row(_task5(items=[], item_index=0), TaskItemsLine)
    assert row.lima_index == 3 and row.profile_attributes[0]["attribute"] == TEXT
    gen = structure_row(
        {
            "user_id": U1,
            "prompt_id": f"{U1}_7",
            "prompt_text": "P7",
            "profile_attributes": [],
            "response": "r",
        },
        GenerationLine,
    )
    assert gen.lima_index == 7 and gen.mode is ABSENT and gen.model is ABSENT and gen.prompt_index is ABSENT
    item = structure_row(
        {"attribute": TEXT, "relevant": True, "raw_answer": 5, "full_output": "x"}, RelevanceItem
    )
    assert item.raw_answer is None  # kept only when a string
    judged = structure_row(
        {
            "attribute": TEXT,
            "rating": "optional",
            "is_relevant": True,
            "was_relevant": True,
            "relevance_score": 0.7,
        },
        Task2Judgment,
    )
    assert judged.relevant and judged.raw_answer == "optional" and judged.pipeline == (True, 0.7)


def test_row_errors_carry_field_paths_and_every_problem_in_field_order() -> None:
    with pytest.raises(RowError) as exc:
        structure_row({"prompt_index": -2, "user_id": None, "items": "x", "model": ""}, RelevanceLine)
    assert isinstance(exc.value, RecordError)
    assert {path for path, _ in exc.value.errors} == {"user_id", "prompt_index", "items", "model"}
    assert exc.value.detail == (
        "user_id is not a non-empty string; prompt_index is not a non-negative integer; items is not a list; "
        "model is not a non-empty string"
    )
    with pytest.raises(RowError) as exc:
        structure_row([1, 2], RelevanceLine)
    assert exc.value.not_an_object and exc.value.detail == "not a JSON object"


@pytest.mark.parametrize("index", [3.0, True, "3", -1, None])
def test_prompt_index_must_be_a_json_integer(index: Any) -> None:
    with pytest.raises(RowError, match="prompt_index"):
        structure_row(_task5(prompt_index=index), TaskItemsLine)


def test_null_and_missing_labels_have_their_own_reason_and_context_fills_the_message() -> None:
    for raw in ({"attribute": TEXT}, {"attribute": TEXT, "is_relevant": None, "rating": "optional"}):
        raw.setdefault("rating", "optional")
        with pytest.raises(RowError) as exc:
            structure_row(raw, Task2Judgment, annotator="ann")
        assert (exc.value.first.reason, exc.value.first.message) == (
            "null_label",
            "annotator 'ann': is_relevant is null",
        )
    with pytest.raises(RowError) as exc:
        structure_row(
            {"attribute": TEXT, "rating": " none ", "is_relevant": False}, Task2Judgment, annotator="ann"
        )
    assert (exc.value.first.reason, exc.value.first.message) == (
        "unrated",
        "annotator 'ann': rating ' none '",
    )
    with pytest.raises(RowError) as exc:
        structure_row({"task": 2, "user_id": U1, "prompt_index": 3, "relevance_judgments": []}, Task3Line)
    assert exc.value.detail == "task is 2 in a task-3 file"
    assert structure_row({"task": 3, "user_id": U1, "prompt_index": 3, "relevance_judgments": []}, Task3Line)


# ------------------------------------------------------------------------------------------------------------
# The report's texts for wrong rows, end to end
# ------------------------------------------------------------------------------------------------------------


def _gen(**fields: Any) -> dict:
    return {
        "user_id": U1,
        "prompt_id": f"{U1}_3",
        "prompt_text": "P3",
        "profile_attributes": [_attr(TEXT, ground_truth=True)],
        "mode": "gt_attributes",
        "model": "m",
        "response": "text",
    } | fields


def _rel(items: Any, **fields: Any) -> dict:
    return {"model": "m", "sample_index": 0, "prompt_index": 3, "user_id": U1, "items": items} | fields


CASES = {
    "task5 not an object": (
        "task5_items.jsonl",
        [_task5(), [1, 2]],
        [(2, "malformed_record", 1, "not a JSON object")],
    ),
    "task5 all fields": (
        "task5_items.jsonl",
        [_task5(), {"prompt_index": -2, "user_id": None, "prompt_text": None, "profile_attributes": None}],
        [
            (
                2,
                "malformed_record",
                1,
                "user_id is not a non-empty string; prompt_index is not a non-negative integer; prompt_text is "
                "not a non-empty string; profile_attributes is not a list",
            )
        ],
    ),
    "task5 float index": (
        "task5_items.jsonl",
        [_task5(), _task5(prompt_index=3.0, profile_attributes=[])],
        [(2, "malformed_record", 0, "prompt_index is not a non-negative integer")],
    ),
    "task5 profile entries": (
        "task5_items.jsonl",
        [
            _task5(
                profile_attributes=[
                    _attr(TEXT),
                    5,
                    {"attribute": " "},
                    _attr("other", original_attributes="abc"),
                    _attr("bad conf", confidence=2.0),
                ]
            )
        ],
        [
            (
                1,
                "invalid_value",
                2,
                "profile attribute: original_attributes/_reasons/_confidences must be lists: 'other'; 'bad conf'",
            ),
            (
                1,
                "malformed_record",
                2,
                "profile attribute without a non-empty 'attribute' text: 'profile_attributes[1]'; "
                "'profile_attributes[2]'",
            ),
        ],
    ),
    "generation pair id": (
        "generation_gt_attributes_m.jsonl",
        [_gen(prompt_id="abc", prompt_index=3)],
        [
            (
                1,
                "malformed_record",
                1,
                "prompt_id 'abc' is not '<user_id>_<prompt_index>' for this user_id; prompt_index 3 disagrees "
                "with prompt_id 'abc'",
            )
        ],
    ),
    "generation mode": (
        "generation_gt_attributes_m.jsonl",
        [_gen(mode="other")],
        [
            (
                1,
                "malformed_record",
                1,
                "response not imported: mode 'other' / model 'm' not recognised (modes: attributes, gt_attributes, "
                "no_context)",
            )
        ],
    ),
    "generation null response": (
        "generation_gt_attributes_m.jsonl",
        [_gen(response=None)],
        [(1, "null_label", 1, "response is null; no response imported")],
    ),
    "generation response type": (
        "generation_gt_attributes_m.jsonl",
        [_gen(response=5)],
        [(1, "malformed_record", 1, "response is not a string")],
    ),
    "relevance model": (
        "relevance_m.jsonl",
        [_rel([], model=None)],
        [(1, "malformed_record", 0, "model is not a non-empty string")],
    ),
    "relevance items": (
        "relevance_m.jsonl",
        [
            _rel(
                [
                    "str",
                    {"relevant": True},
                    {"attribute": TEXT, "relevant": None},
                    {"attribute": TEXT},
                    {"attribute": TEXT, "relevant": "yes"},
                ]
            )
        ],
        [
            (
                1,
                "malformed_record",
                3,
                "item without a non-empty 'attribute': 'items[0]'; 'items[1]'; 'The user likes cooking.'",
            ),
            (1, "null_label", 2, "'relevant' is null: 'The user likes cooking.'; 'The user likes cooking.'"),
        ],
    ),
    "task3 line": (
        "ann_task3.jsonl",
        [
            annotation_line("3", "ann", U1, 3, [], "2026-01-01T00:00:00"),  # the first line names the task
            annotation_line("2", "ann", U1, 3, [], "2026-01-01T00:00:00"),
        ],
        [
            (1, "empty_record", 0, f"annotator 'ann', user {U1[:12]}..., prompt 3: no judgments"),
            (2, "malformed_record", 0, "task is '2' in a task-3 file"),
        ],
    ),
    "task3 judgments": (
        "ann_task3.jsonl",
        [
            annotation_line(
                "3",
                "ann",
                U1,
                3,
                [5, {"attribute": TEXT, "relevant": None}, {"attribute": TEXT, "relevant": 0}],
                "2026-01-01T00:00:00",
            )
        ],
        [
            (
                1,
                "malformed_record",
                2,
                "judgment without a non-empty 'attribute': 'relevance_judgments[0]'; "
                "'The user likes cooking.'",
            ),
            (1, "null_label", 1, "annotator 'ann': relevant is null: 'The user likes cooking.'"),
        ],
    ),
    "task2 judgments": (
        "ann_task2.jsonl",
        [
            annotation_line(
                "2",
                "ann",
                U1,
                3,
                [
                    {"attribute": TEXT, "rating": "none", "is_relevant": False},
                    {"attribute": TEXT, "rating": "optional", "is_relevant": None},
                    {"attribute": TEXT, "rating": "optional", "is_relevant": "yes"},
                ],
                "2026-01-01T00:00:00",
            )
        ],
        [
            (1, "malformed_record", 1, "is_relevant is not a boolean: 'The user likes cooking.'"),
            (1, "null_label", 1, "annotator 'ann': is_relevant is null: 'The user likes cooking.'"),
            (1, "unrated", 1, "annotator 'ann': rating 'none': 'The user likes cooking.'"),
        ],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_report_texts_of_wrong_rows(case: str, tmp_path: Path) -> None:
    name, rows, expected = CASES[case]
    root = tmp_path / "tool"
    if name != "task5_items.jsonl":
        write_jsonl(root / "task5_items.jsonl", [_task5()])
    write_jsonl(root / name, rows)
    report = import_annotation_tool([root], tmp_path / "out")
    got = [(e.line, e.reason, e.count, e.detail) for e in report.exclusions if e.file == name]
    assert got == expected
