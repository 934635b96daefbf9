"""Manifest checks: the manifest's own syntax and version, and the constants shared with toolkit.dataset."""

from __future__ import annotations

from pathlib import Path

import pytest

import toolkit.dataset
import toolkit.layout
from toolkit import validate
from toolkit.validate import validate_path

USER = '{"user_id": "u1", "source": "w", "origin": "human", "schema_version": "1.0"}\n'


def test_constants_match_the_dataset_module() -> None:
    # Defined once (toolkit.layout): the validator and the dataset module hold the very same objects.
    assert validate.MANIFEST is toolkit.dataset.MANIFEST is toolkit.layout.MANIFEST == "manifest.json"
    assert validate.PROVENANCE_KINDS is toolkit.dataset.PROVENANCE_KINDS is toolkit.layout.PROVENANCE_KINDS
    assert validate.PROVENANCE_KINDS == ("simulated", "real")


@pytest.mark.parametrize(
    ("manifest", "expected"),
    [
        (b"\xef\xbb\xbf{}", "manifest.json:0: <file>: invalid JSON: Unexpected UTF-8 BOM (decode using utf-8-sig): "
                            "line 1 column 1 (char 0)"),
        (b'{"schema_version": NaN}', "manifest.json:0: <file>: invalid JSON: NaN is not valid JSON"),
        (b"{\xff}", "manifest.json:0: <file>: invalid UTF-8 at byte 1"),
        (b"[]", "manifest.json:0: <file>: must be a JSON object"),
        (b'{"schema_version": 1.0}', "manifest.json:0: schema_version: must be a 'MAJOR.MINOR' string"),
        (b'{"schema_version": "v1"}',
         "manifest.json:0: schema_version: schema version must look like 'MAJOR.MINOR', got 'v1'"),
        (b'{"schema_version": "2.0"}',
         "manifest.json:0: schema_version: 2.0 is newer than this toolkit knows (1.1); upgrade recenter-toolkit"),
        (b'{"provenance": {"kind": "real"}, "files": []}',
         "manifest.json:0: files: must be an object mapping record type to {path, records, sha256}"),
    ],
)
def test_manifest_syntax_and_version(tmp_path: Path, manifest: bytes, expected: str) -> None:
    (tmp_path / "users.jsonl").write_text(USER)
    (tmp_path / "manifest.json").write_bytes(manifest)
    report = validate_path(tmp_path)
    assert expected in [p.format() for p in report.problems]
    assert not report.ok


def test_missing_manifest_and_version_are_warnings(tmp_path: Path) -> None:
    (tmp_path / "users.jsonl").write_text(USER)
    report = validate_path(tmp_path)
    assert [p.format() for p in report.problems] == [
        "manifest.json:0: <file>: warning: no manifest.json: record counts and hashes cannot be checked"
    ]
    (tmp_path / "manifest.json").write_text('{"provenance": {"kind": "real"}}')
    report = validate_path(tmp_path)
    assert report.ok and [p.format() for p in report.problems] == [
        "manifest.json:0: schema_version: warning: missing"
    ]
