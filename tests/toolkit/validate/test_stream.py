"""Streaming plain and gzip files as lines, and the quarantine output."""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path

from tests.toolkit.validate.samples import rater
from toolkit import jsonl
from toolkit.validate import validate_path
from toolkit.validate.stream import BLOCK, iter_raw_lines, open_stream


def test_lines_across_blocks(tmp_path: Path) -> None:
    # A line longer than a block, and lines that straddle block boundaries, come back whole and numbered.
    lines = [b"a" * (BLOCK + 10), b"", b"b" * 7, b"c" * (BLOCK - 3), b"tail without newline"]
    for name, write in (("x.jsonl", lambda b: b), ("x.jsonl.gz", lambda b: gzip.compress(b, mtime=0))):
        path = tmp_path / name
        path.write_bytes(write(b"\n".join(lines)))
        with open_stream(path) as fh:
            assert list(iter_raw_lines(fh)) == list(enumerate(lines, start=1))


def test_gzip_members_padding_and_truncation(tmp_path: Path) -> None:
    users = [
        f'{{"user_id": "u{i}", "source": "s", "origin": "human", "schema_version": "1.0"}}\n'.encode()
        for i in range(3000)
    ]
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


def test_quarantine_separates_valid_and_rejected_lines(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    raters = [rater("h1"), rater("maj", "aggregate", derived_from=["h1", "h9"]), rater("h2"), rater("gpt", "llm")]
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


def test_a_gzip_member_larger_than_a_block_then_padding_or_a_member(tmp_path: Path) -> None:
    # Found by benchmarks/fuzz.py: when a member's output filled a block, the rest of the input waited in
    # unconsumed_tail; once the member ended there, the reader decompressed that tail again forever (a hang).
    big = b"".join(rater(f"h{i}").encode() + b"\n" for i in range(BLOCK // 40))  # > 1 MiB of text
    more = rater("last").encode() + b"\n"
    path = tmp_path / "raters.jsonl.gz"
    for tail, lines in ((b"\x00" * 58, big), (gzip.compress(more, mtime=0), big + more)):
        path.write_bytes(gzip.compress(big, mtime=0) + tail)
        with open_stream(path) as fh:
            assert [line for _, line in iter_raw_lines(fh)] == lines.splitlines()
