"""``recenter validate``: the broken-file corpus, the fast path's equivalence, robustness, quarantine, CLI."""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import toolkit.dataset
from schemas import RecordError, structure
from tests.schemas.strategies import RECORD_NAMES, dicts_for_agreement, record_dicts
from toolkit import jsonl, validate
from toolkit.cli import main
from toolkit.jsonl import DataError
from toolkit.validate import Problem, fast_checker, validate_path

CORPUS = Path(__file__).resolve().parents[1] / "data" / "broken"
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "expected.txt").exists())
V = '"schema_version": "1.0"'


def _target(case: Path) -> str:
    if (case / "data").is_dir():
        return "data"
    (single,) = [p.name for p in case.iterdir() if p.name != "expected.txt"]
    return single


# -- the corpus: one case per error kind, exact expected report ------------------------------------------


def test_corpus_is_complete() -> None:
    assert len(CASES) >= 30
    for name in CASES:
        assert (CORPUS / name / "expected.txt").stat().st_size > 0


@pytest.mark.parametrize("case", CASES)
def test_corpus_case(case: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    folder = CORPUS / case
    monkeypatch.chdir(folder)
    expected = (folder / "expected.txt").read_text(encoding="utf-8")
    report = validate_path(_target(folder))
    assert report.format_text() + "\n" == expected
    # The CLI prints the same report; exit code 1 exactly when there are errors.
    code = main(["validate", _target(folder)])
    out = capsys.readouterr().out
    assert out == expected
    assert code == (0 if expected.rstrip().splitlines()[-1].startswith("OK:") else 1)


# -- the fast path is exactly schemas.structure -----------------------------------------------------------


def _accepts(data: Any, name: str) -> bool:
    try:
        structure(data, name)
    except RecordError:
        return False
    return True


@pytest.mark.parametrize("name", RECORD_NAMES)
@given(data=st.data())
def test_fast_checker_equals_structure(name: str, data: st.DataObject) -> None:
    check = fast_checker(name)
    valid = data.draw(record_dicts(name), label="valid")
    assert check(valid) is True
    other = data.draw(dicts_for_agreement(name), label="valid or mutated")
    assert bool(check(other)) == _accepts(other, name), other


def test_fast_checker_leaves_migrations_to_structure() -> None:
    old = {"user_id": "u", "source": "s", "origin": "human", "schema_version": "0.9"}
    assert fast_checker("users")(old) is False


# -- robustness: whatever the bytes, a report and no traceback --------------------------------------------


def _invariants(report: validate.ValidationReport) -> None:
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

    monkeypatch.setattr(validate, "structure", boom)
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
    monkeypatch.setattr(validate, "hash", lambda key: 7, raising=False)  # every key collides
    report = validate_path(path)
    assert [p.format() for p in report.problems if p.kind == "duplicate"] == [
        f"{path}:13: <record>: duplicate judgment user_id='u1', prompt_id='p1', attribute_id='a1', "
        "rater_id='h1', first at line 6"
    ]
    stats = report.files[str(path)]
    assert (stats.valid, stats.rejected) == (12, 1)


# -- quarantine -------------------------------------------------------------------------------------------


def _rater(rid: str, kind: str = "human", **extra: Any) -> str:
    return json.dumps({"rater_id": rid, "kind": kind, **extra, "schema_version": "1.0"})


def test_quarantine_separates_valid_and_rejected_lines(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    raters = [_rater("h1"), _rater("maj", "aggregate", derived_from=["h1", "h9"]), _rater("h2"), _rater("gpt", "llm")]
    (data / "raters.jsonl").write_text("\n".join(raters) + "\n", encoding="utf-8")
    users = [
        json.dumps({"user_id": "u1", "source": "w", "origin": "human", "schema_version": "1.0"}).encode(),
        b'{"user_id": "u\xff"}',
        b"",
        b"not json",
        json.dumps({"user_id": "u1", "source": "w", "origin": "human", "schema_version": "1.0"}).encode(),
    ]
    with gzip.open(data / "users.jsonl.gz", "wb") as fh:
        fh.write(b"\n".join(users) + b"\n")
    q = tmp_path / "q"
    report = validate_path(data, quarantine=q)
    assert sorted(p.name for p in q.iterdir()) == [
        "raters.jsonl", "raters.rejected.jsonl", "users.jsonl", "users.rejected.jsonl"
    ]
    assert (q / "raters.jsonl").read_text().splitlines() == [raters[0], raters[2]]
    rejected = [json.loads(x) for x in (q / "raters.rejected.jsonl").read_text().splitlines()]
    assert {r["line"] for r in rejected} == {2, 4}
    by_line = {r["line"]: r for r in rejected}
    assert by_line[2] == {
        "line": 2, "errors": [{"field": "derived_from[1]", "message": "'h9' not found in raters.jsonl"}],
        "raw": raters[1],
    }
    assert by_line[4]["errors"] == [{"field": "model", "message": "is required for a rater of kind 'llm'"}]
    assert (q / "users.jsonl").read_bytes() == users[0] + b"\n"
    urej = [json.loads(x) for x in (q / "users.rejected.jsonl").read_text().splitlines()]
    assert [r["line"] for r in urej] == [2, 4, 5]
    assert urej[0]["raw_encoding"] == "base64" and base64.b64decode(urej[0]["raw"]) == users[1]
    assert urej[0]["errors"] == [{"field": "<line>", "message": "invalid UTF-8 at byte 14"}]
    assert urej[1]["raw"] == "not json"
    assert urej[2]["errors"][0]["message"] == "duplicate user_id 'u1', first at line 1"
    # Nothing is lost: every non-blank input line is in exactly one output.
    for name, stats in report.files.items():
        stem = name.split(".")[0]
        valid = (q / f"{stem}.jsonl").read_bytes().count(b"\n")
        rej = (q / f"{stem}.rejected.jsonl").read_bytes().count(b"\n")
        assert (valid, rej) == (stats.valid, stats.rejected) and valid + rej == stats.records


def test_quarantine_of_a_big_clean_file_keeps_every_line(tmp_path: Path) -> None:
    path = tmp_path / "relevance_judgments.jsonl"
    rows = [{"user_id": "u", "prompt_id": "p", "attribute_id": f"a{i}", "rater_id": "h", "relevant": i % 2 == 0,
             "schema_version": "1.0"} for i in range(3000)]
    jsonl.write_records(path, rows)
    validate_path(path, quarantine=tmp_path / "q")
    assert (tmp_path / "q" / "relevance_judgments.jsonl").read_bytes() == path.read_bytes()
    assert (tmp_path / "q" / "relevance_judgments.rejected.jsonl").read_bytes() == b""


def test_quarantine_must_not_overwrite_the_input(tmp_path: Path) -> None:
    (tmp_path / "users.jsonl").write_text("")
    with pytest.raises(DataError, match="other than the one validated"):
        validate_path(tmp_path, quarantine=tmp_path)


# -- capping, JSON output, CLI ----------------------------------------------------------------------------


def _many_bad_ratings(tmp_path: Path, n: int) -> Path:
    path = tmp_path / "response_ratings.jsonl"
    path.write_text("".join(
        f'{{"personalized_response_id": "p", "generic_response_id": "g", "attribute_id": "a{i}", "rater_id": "h", '
        f'"rating": 9, {V}}}\n' for i in range(n)
    ))
    return path


def test_cap_and_exact_counts(tmp_path: Path) -> None:
    path = _many_bad_ratings(tmp_path, 130)
    report = validate_path(path, max_per_group=20)
    assert report.errors == 130 and report.warnings == 1
    assert len([p for p in report.problems if p.severity == "error"]) == 20
    assert report.omitted == {(str(path), "rating", "schema", "error"): 110}
    assert f"{path}: rating: ... and 110 more schema errors (not shown; see --max-per-group)" in report.format_text()
    everything = validate_path(path, max_per_group=0)
    assert len(everything.problems) == 131 and everything.omitted == {}


def test_json_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _many_bad_ratings(tmp_path, 60)
    assert main(["validate", str(path), "--format", "json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is False and out["errors"] == 60 and out["warnings"] == 1 and out["records"] == 60
    assert out["cross_file_references_checked"] is False
    assert out["files"] == {str(path): {"record_type": "response_ratings", "records": 60, "valid": 0, "rejected": 60}}
    assert out["omitted"] == [{"file": str(path), "field": "rating", "kind": "schema", "severity": "error", "count": 10}]
    first = out["problems"][1]
    assert first == {"file": str(path), "line": 1, "field": "rating", "message": "must be an integer 1..5, got 9",
                     "severity": "error", "kind": "schema", "count": 1}


def test_cli_clean_file_exits_0_and_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "my-users.txt"
    good.write_text(f'{{"user_id": "u", "source": "s", "origin": "human", {V}}}\n')
    assert main(["validate", str(good), "--type", "users"]) == 0
    assert capsys.readouterr().out.endswith("OK: 0 errors, 0 warnings in 1 file (1 records)\n")
    assert main(["validate", str(good)]) == 2
    assert "cannot tell the record type from the file name" in capsys.readouterr().err
    assert main(["validate", str(tmp_path / "missing")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    assert main(["validate", str(good), "--type", "judgments"]) == 2
    assert "unknown record type 'judgments'" in capsys.readouterr().err
    assert main(["validate", str(tmp_path), "--type", "users"]) == 2
    assert "applies to a single JSONL file" in capsys.readouterr().err


def test_empty_folder_is_an_error(tmp_path: Path) -> None:
    report = validate_path(tmp_path)
    assert not report.ok
    assert any("no record files" in p.message for p in report.problems)


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


def test_problem_format() -> None:
    assert Problem("a.jsonl", 3, "rating", "bad").format() == "a.jsonl:3: rating: bad"
    assert Problem("a.jsonl", 0, "<file>", "odd", "warning").format() == "a.jsonl:0: <file>: warning: odd"


def test_constants_match_the_dataset_module() -> None:
    assert validate.MANIFEST == toolkit.dataset.MANIFEST
    assert validate.PROVENANCE_KINDS == toolkit.dataset.PROVENANCE_KINDS


def test_gzip_members_padding_and_truncation(tmp_path: Path) -> None:
    users = [f'{{"user_id": "u{i}", "source": "s", "origin": "human", {V}}}\n'.encode() for i in range(3000)]
    first, second = b"".join(users[:1000]), b"".join(users[1000:])
    path = tmp_path / "users.jsonl.gz"
    # Two members (as `cat a.gz b.gz` makes) and zero padding: all 3,000 lines, same verdicts as gzip.open.
    path.write_bytes(gzip.compress(first, mtime=0) + gzip.compress(second, mtime=0) + b"\x00" * 100)
    assert gzip.open(path).read() == first + second
    report = validate_path(path)
    assert report.ok and report.files[str(path)].valid == 3000 and report.problems == []
    # Truncated: every complete line before the cut is still checked, then one error says where reading stopped.
    blob = gzip.compress(first + second, mtime=0)
    path.write_bytes(blob[: len(blob) * 2 // 3])
    report = validate_path(path)
    stats = report.files[str(path)]
    assert 1000 < stats.valid < 3000 and stats.rejected <= 1
    (error,) = [p for p in report.problems if p.kind == "file"]
    assert error.line >= stats.valid and "ended before the end-of-stream marker" in error.message
