"""The report: problem lines, capping with exact counts, the text rendering."""

from __future__ import annotations

from pathlib import Path

from tests.toolkit.validate.samples import many_bad_ratings
from toolkit.validate import Problem, validate_path
from toolkit.validate.report import ValidationReport, clean, sort_problems


def test_problem_format() -> None:
    assert Problem("a.jsonl", 3, "rating", "bad").format() == "a.jsonl:3: rating: bad"
    assert Problem("a.jsonl", 0, "<file>", "odd", "warning").format() == "a.jsonl:0: <file>: warning: odd"


def test_cap_and_exact_counts(tmp_path: Path) -> None:
    path = many_bad_ratings(tmp_path, 130)
    report = validate_path(path, max_per_group=20)
    assert report.errors == 130 and report.warnings == 1
    assert len([p for p in report.problems if p.severity == "error"]) == 20
    assert report.omitted == {(str(path), "rating", "schema", "error"): 110}
    assert f"{path}: rating: ... and 110 more schema errors (not shown; see --max-per-group)" in report.format_text()
    everything = validate_path(path, max_per_group=0)
    assert len(everything.problems) == 131 and everything.omitted == {}


def test_clean_keeps_one_printable_line() -> None:
    assert clean("a\nb\ud800") == "a\\nb\\ud800"
    cut = clean("x" * 1000)
    assert cut == "x" * 300 + "... (700 more characters)"


def test_sort_problems_groups_by_file_in_order_met() -> None:
    report = ValidationReport("d", problems=[
        Problem("b.jsonl", 5, "f", "m"), Problem("a.jsonl", 2, "f", "m"), Problem("b.jsonl", 1, "f", "m"),
    ])
    assert [(p.file, p.line) for p in sort_problems(report).problems] == [
        ("b.jsonl", 1), ("b.jsonl", 5), ("a.jsonl", 2)
    ]
