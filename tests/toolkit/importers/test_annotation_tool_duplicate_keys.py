"""A source line whose JSON object repeats a key is excluded (``invalid_json``), naming the key and its values."""

from __future__ import annotations

from pathlib import Path

from tests.toolkit.importers.synthetic import exclusions_of, write_tool_files
from toolkit.importers import import_annotation_tool


def test_a_repeated_key_excludes_the_line(tmp_path: Path) -> None:
    root = write_tool_files(tmp_path / "tool")
    source = root / "relevance_judge-x.jsonl"
    lines = source.read_text(encoding="utf-8").splitlines()
    first = lines[0]
    assert first.startswith("{")
    # The same line with a key repeated at the end: last-wins JSON would import it with the second value.
    lines.append(first[:-1] + ', "user_id": "ghost"}')
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = import_annotation_tool([root], tmp_path / "out")
    excluded = exclusions_of(report, "invalid_json")
    assert [(e.file, e.line) for e in excluded] == [("relevance_judge-x.jsonl", len(lines))]
    assert '"user_id" appears twice' in excluded[0].detail and '"ghost"' in excluded[0].detail
