"""The validator on Parquet datasets (rows instead of lines), records without ``schema_version`` and the
declared rating and label scales of the manifest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from schemas import SCHEMA_VERSION
from toolkit.dataset import Dataset, load_dataset, write_manifest
from toolkit.parquet import write_parquet_rows
from toolkit.validate import validate_path
from toolkit.validate.parallel import validate_parallel

V = SCHEMA_VERSION


def _users(n: int, **extra: Any) -> list[dict[str, Any]]:
    return [{"user_id": f"u{i}", "source": "wildchat", "origin": "human", **extra} for i in range(1, n + 1)]


def test_a_parquet_dataset_from_frames_validates_with_no_error(tmp_path: Path) -> None:
    ds = load_dataset()
    frames = {name: ds.frame(name) for name in ds.record_types}
    out = Dataset.from_frames(frames, tmp_path / "pq", name="copy", format="parquet")
    assert sorted(p.suffix for p in out.path.iterdir() if p.name != "manifest.json") == [".parquet"] * len(frames)
    report = validate_path(out.path)
    assert report.errors == 0, report.format_text()
    assert report.records == sum(len(f) for f in frames.values()) > 1000
    assert all(s.valid == s.records for s in report.files.values())


def test_parquet_problems_name_the_row_and_go_to_the_quarantine(tmp_path: Path) -> None:
    folder = tmp_path / "ds"
    folder.mkdir()
    rows = _users(3, schema_version=V)
    rows[1]["origin"] = "robot"
    rows[2]["user_id"] = "u1"  # a duplicate id
    write_parquet_rows(folder / "users.parquet", rows)
    report = validate_path(folder, quarantine=tmp_path / "q")
    text = report.format_text()
    assert "users.parquet:row 2: origin: " in text
    assert "users.parquet:row 3: user_id: duplicate user_id 'u1', first at row 1" in text
    assert report.files["users.parquet"].rejected == 2
    valid = (tmp_path / "q" / "users.jsonl").read_text().splitlines()
    assert [json.loads(v)["user_id"] for v in valid] == ["u1"]
    rejected = [json.loads(x) for x in (tmp_path / "q" / "users.rejected.jsonl").read_text().splitlines()]
    assert [r["row"] for r in rejected] == [2, 3] and json.loads(rejected[0]["raw"])["origin"] == "robot"


def test_a_parquet_file_repeating_a_column_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = [pa.array(["u1"]), pa.array(["wildchat"]), pa.array(["human"]), pa.array([V]), pa.array(["u2"])]
    pq.write_table(pa.Table.from_arrays(columns, names=["user_id", "source", "origin", "schema_version", "user_id"]),
                   tmp_path / "users.parquet")
    report = validate_path(tmp_path / "users.parquet")
    assert not report.ok
    assert "users.parquet:0: user_id: stopped reading here: column 'user_id' appears more than once" in (
        report.format_text())


def test_a_parquet_column_of_nan_is_rejected_by_field(tmp_path: Path) -> None:
    rows = [{"user_id": "u1", "prompt_id": "p1", "attribute_id": "a1", "rater_id": "h1", "relevant": True,
             "score": float("nan"), "schema_version": V}]
    write_parquet_rows(tmp_path / "relevance_judgments.parquet", rows)
    report = validate_path(tmp_path / "relevance_judgments.parquet")
    assert [(p.line, p.field) for p in report.problems if p.severity == "error"] == [(1, "score")]


@pytest.mark.parametrize("workers", [1, 2])
def test_records_without_schema_version(tmp_path: Path, workers: int) -> None:
    folder = tmp_path / "ds"
    folder.mkdir()
    lines = [json.dumps(u) for u in _users(4)]
    (folder / "users.jsonl").write_text("\n".join(lines) + "\n")
    # Without a manifest: one error for the file, at its first unversioned line, every line rejected.
    report = validate_parallel(folder, workers=workers) if workers > 1 else validate_path(
        folder, quarantine=tmp_path / "q")
    errors = [p for p in report.problems if p.severity == "error"]
    assert report.errors == 1 and (errors[0].line, errors[0].field) == (1, "schema_version")
    assert errors[0].message.startswith("records have no schema_version and the dataset has no manifest.json")
    assert "(4 records in this file have none; the first is here)" in errors[0].message
    assert report.files["users.jsonl"].rejected == 4
    if workers == 1:
        assert len((tmp_path / "q" / "users.rejected.jsonl").read_text().splitlines()) == 4
    # With a manifest giving the version: no error.
    write_manifest(folder, {"schema_version": V, "provenance": {"kind": "real"}})
    report = validate_parallel(folder, workers=workers) if workers > 1 else validate_path(folder)
    assert report.errors == 0 and report.files["users.jsonl"].valid == 4


def _ratings(folder: Path, values: list[int]) -> None:
    rows = [{"personalized_response_id": "rp", "generic_response_id": "rg", "attribute_id": f"a{i}",
             "rater_id": "h1", "rating": r, "schema_version": V} for i, r in enumerate(values)]
    (folder / "response_ratings.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


def _grades(folder: Path, grades: list[int | None]) -> None:
    rows = [{"user_id": "u1", "prompt_id": "p1", "attribute_id": f"a{i}", "rater_id": "h1", "relevant": bool(g),
             "grade": g, "schema_version": V} for i, g in enumerate(grades)]
    (folder / "relevance_judgments.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


def _errors(report: Any) -> list[tuple[int, str, str]]:
    return [(p.line, p.field, p.message) for p in report.problems if p.severity == "error"]


def test_ratings_are_checked_against_the_rating_scale(tmp_path: Path) -> None:
    _ratings(tmp_path, [1, 5, 6, 7, 0])
    default = _errors(validate_path(tmp_path / "response_ratings.jsonl"))
    assert [(line, field) for line, field, _ in default] == [(3, "rating"), (4, "rating"), (5, "rating")]
    assert default[0][2] == "6 is outside the rating_scale 1..5 (the default; declare another in manifest.json)"
    write_manifest(tmp_path, {"schema_version": V, "rating_scale": {"min": 1, "max": 7}})
    declared = _errors(validate_path(tmp_path / "response_ratings.jsonl"))
    assert declared == [(5, "rating", "0 is outside the rating_scale 1..7 (declared in manifest.json)")]


def test_grades_are_checked_against_the_label_scale(tmp_path: Path) -> None:
    _grades(tmp_path, [0, 2, None, 3])
    # no label_scale declared: any integer >= 0 (the schema's rule)
    assert _errors(validate_path(tmp_path / "relevance_judgments.jsonl")) == []
    write_manifest(tmp_path, {"schema_version": V, "label_scale": {"min": 0, "max": 2}})
    assert _errors(validate_path(tmp_path / "relevance_judgments.jsonl")) == [
        (4, "grade", "3 is outside the label_scale 0..2 (declared in manifest.json)")]
    _grades(tmp_path, [-1])
    assert [f for _, f, _ in _errors(validate_path(tmp_path / "relevance_judgments.jsonl"))] == ["grade"]
