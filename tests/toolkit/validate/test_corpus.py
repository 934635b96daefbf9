"""The broken-file corpus (``tests/data/broken``): one case per error kind, the exact expected report."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.cli import main
from toolkit.validate import validate_path

CORPUS = Path(__file__).resolve().parents[2] / "data" / "broken"
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "expected.txt").exists())


def _target(case: Path) -> str:
    if (case / "data").is_dir():
        return "data"
    (single,) = [p.name for p in case.iterdir() if p.name != "expected.txt"]
    return single


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
