"""Record checks: robustness on any bytes, huge lines and values, internal errors, duplicates, CRLF and BOM."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.toolkit.validate.samples import V
from toolkit import jsonl
from toolkit.validate import ValidationReport, validate_path
from toolkit.validate import records as validate_records


def _invariants(report: ValidationReport) -> None:
    for stats in report.files.values():
        assert stats.records == stats.valid + stats.rejected
    assert report.ok == (report.errors == 0)
    json.loads(report.to_json())
    for line in report.format_text().splitlines():
        assert "\n" not in line
        line.encode("utf-8")  # printable: no lone surrogates


FRAGMENTS = [
    b"{", b"}", b"[", b"]", b'"', b",", b":", b"\n", b"\r\n", b" ", b"\xef\xbb\xbf", b"\xff", b"\x00", b"\\u",
    b"d800", b"NaN", b"1e400", b"true", b"null", b'"user_id"', b'"u1"', b'"source"', b'"origin"', b'"human"',
    b'"schema_version"', b'"1.0"', b'"2.0"', b"-", b"0", b"1",
    f'{{"user_id": "u1", "source": "w", "origin": "human", {V}}}\n'.encode(),
]


@given(st.binary(max_size=300) | st.lists(st.sampled_from(FRAGMENTS), max_size=40).map(b"".join))
def test_never_a_traceback(tmp_path_factory: pytest.TempPathFactory, content: bytes) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    for name in ("users.jsonl", "users.jsonl.gz"):
        path = folder / name
        path.write_bytes(content if name.endswith(".jsonl") else content[:1] + gzip.compress(content)[1:])
        report = validate_path(path)
        _invariants(report)
    report = validate_path(folder)  # both files at once, plus the "keep one" error
    _invariants(report)
    assert not report.ok


def test_a_50_mb_line(tmp_path: Path) -> None:
    path = tmp_path / "relevance_judgments.jsonl"
    ok = f'{{"user_id": "u1", "prompt_id": "p1", "attribute_id": "a1", "rater_id": "h1", "relevant": true, {V}}}'
    with open(path, "wb") as fh:
        fh.write(b'{"user_id": "' + b"x" * (50 << 20) + b'"\n')  # a 50 MB line, unterminated object
        fh.write(ok.replace('"YES"', '"x"').encode() + b"\n")
        fh.write(ok.replace('"h1"', '"h2"').replace(V, f'"raw_answer": "{"y" * (8 << 20)}", {V}').encode() + b"\n")
    report = validate_path(path)
    errors = [p for p in report.problems if p.severity == "error"]
    assert [(p.line, p.field) for p in errors] == [(1, "<line>")]
    assert errors[0].message.startswith("invalid JSON: Unterminated string") or "Expecting" in errors[0].message
    assert report.files[str(path)].valid == 2  # the 8 MB answer is a valid record
    assert max(len(p.format()) for p in report.problems) < 1000


def test_huge_values_are_cut_in_messages(tmp_path: Path) -> None:
    path = tmp_path / "raters.jsonl"
    path.write_text(f'{{"rater_id": "r", "kind": "{"k" * 100_000}", {V}}}\n', encoding="utf-8")
    (problem,) = validate_path(path).problems
    assert problem.field == "kind" and len(problem.message) < 500 and "more characters" in problem.message


def test_internal_errors_become_problems(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "users.jsonl"
    path.write_text('{"user_id": 1}\n' + f'{{"user_id": "u", "source": "s", "origin": "human", {V}}}\n')

    def boom(*_: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(validate_records, "structure", boom)
    report = validate_path(path)
    assert [p.format() for p in report.problems] == [f"{path}:1: <record>: internal error: RuntimeError: boom"]
    assert report.files[str(path)].valid == 1 and not report.ok


def test_hash_collisions_never_report_false_duplicates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "relevance_judgments.jsonl"
    rows = [
        {"user_id": "u1", "prompt_id": "p1", "attribute_id": f"a{i % 4}", "rater_id": f"h{i // 4}",
         "relevant": True, "schema_version": "1.0"}
        for i in range(12)
    ]
    jsonl.write_records(path, [*rows, rows[5]])
    monkeypatch.setattr(validate_records, "hash", lambda key: 7, raising=False)  # every key collides
    report = validate_path(path)
    assert [p.format() for p in report.problems if p.kind == "duplicate"] == [
        f"{path}:13: <record>: duplicate judgment user_id='u1', prompt_id='p1', attribute_id='a1', "
        "rater_id='h1', first at line 6"
    ]
    stats = report.files[str(path)]
    assert (stats.valid, stats.rejected) == (12, 1)


def test_crlf_and_bom_files_take_the_same_verdicts(tmp_path: Path) -> None:
    rows = [f'{{"user_id": "u{i}", "source": "s", "origin": "human", {V}}}' for i in range(200)] + ['{"user_id": 3}']
    plain, crlf = tmp_path / "a" / "users.jsonl", tmp_path / "b" / "users.jsonl"
    for p in (plain, crlf):
        p.parent.mkdir()
    plain.write_text("\n".join(rows) + "\n")
    crlf.write_bytes(b"\xef\xbb\xbf" + ("\r\n".join(rows) + "\r\n").encode())
    a, b = validate_path(plain), validate_path(crlf)
    assert [(p.line, p.field, p.message) for p in a.problems] == [(p.line, p.field, p.message) for p in b.problems]
    assert a.files[str(plain)] == b.files[str(crlf)]


def test_nan_and_infinity_are_rejected_by_the_shared_strict_decoder(tmp_path: Path) -> None:
    path = tmp_path / "attributes.jsonl"
    path.write_text(
        f'{{"attribute_id": "a1", "user_id": "u1", "text": "t", "confidence": NaN, {V}}}\n'
        f'{{"attribute_id": "a2", "user_id": "u1", "text": "t", "confidence": -Infinity, {V}}}\n'
    )
    errors = [p.format() for p in validate_path(path).problems if p.severity == "error"]
    assert errors == [
        f"{path}:1: <line>: invalid JSON: NaN is not valid JSON",
        f"{path}:2: <line>: invalid JSON: -Infinity is not valid JSON",
    ]


def test_an_absent_optional_key_field_is_none(tmp_path: Path) -> None:
    # Found by benchmarks/fuzz.py: a score without attribute_id (optional, part of the key) stopped the file
    # with "internal error: KeyError" on the fast path, and every later line went unchecked.
    path = tmp_path / "scores.jsonl"
    score = {"response_id": "r1", "scorer_id": "rm", "value": 0.5, "schema_version": "1.0"}
    rows = [score | {"response_id": f"r{i}"} for i in range(5)] + [score | {"attribute_id": None}, score]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    report = validate_path(path, quarantine=tmp_path / "q")
    assert [p.format() for p in report.problems if p.severity == "error"] == [
        f"{path}:6: <record>: duplicate judgment response_id='r1', scorer_id='rm', attribute_id=None, first at line 2",
        f"{path}:7: <record>: duplicate judgment response_id='r1', scorer_id='rm', attribute_id=None, first at line 2",
    ]
    stats = report.files[str(path)]
    assert (stats.records, stats.valid, stats.rejected) == (7, 5, 2)
