"""``recenter validate``: JSON output, exit codes, usage errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.toolkit.validate.samples import V, many_bad_ratings
from toolkit.cli import main


def test_json_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = many_bad_ratings(tmp_path, 60)
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
