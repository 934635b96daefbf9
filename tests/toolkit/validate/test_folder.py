"""Folders and single files: what is validated, and the usage errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.jsonl import DataError
from toolkit.validate import validate_path


def test_quarantine_must_not_overwrite_the_input(tmp_path: Path) -> None:
    (tmp_path / "users.jsonl").write_text("")
    with pytest.raises(DataError, match="other than the one validated"):
        validate_path(tmp_path, quarantine=tmp_path)


def test_empty_folder_is_an_error(tmp_path: Path) -> None:
    report = validate_path(tmp_path)
    assert not report.ok
    assert any("no record files" in p.message for p in report.problems)


def test_usage_errors_raise(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such file or folder"):
        validate_path(tmp_path / "missing")
    with pytest.raises(DataError, match="unknown record type 'judgments'"):
        validate_path(tmp_path, record_type="judgments")
    with pytest.raises(DataError, match="applies to a single JSONL file"):
        validate_path(tmp_path, record_type="users")
    (tmp_path / "my-users.txt").write_text("")
    with pytest.raises(DataError, match="cannot tell the record type from the file name"):
        validate_path(tmp_path / "my-users.txt")
