"""The tutorial (examples/your_study.py) runs end to end, as a user runs it, and leaves what it promises."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TUTORIAL = Path(__file__).resolve().parents[2] / "examples" / "your_study.py"


def test_tutorial_runs_end_to_end(tmp_path: Path) -> None:
    env = {**os.environ, "MPLBACKEND": "Agg", "RECENTER_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, str(TUTORIAL), str(tmp_path / "out")],
        capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    out = tmp_path / "out"
    assert (out / "my-study" / "relevance_judgments.parquet").is_file()
    assert (out / "judge_fit.nc").is_file() and (out / "raters.png").stat().st_size > 10_000
    assert "validated:" in done.stdout and "0 errors" in done.stdout
    manifest = (out / "my-study" / "manifest.json").read_text(encoding="utf-8")
    assert '"kind": "simulated"' in manifest  # made-up data never passes for real data


def test_tutorial_is_a_percent_notebook() -> None:
    text = TUTORIAL.read_text(encoding="utf-8")
    assert "format_name: percent" in text
    assert text.count("# %% [markdown]") >= 6  # one explanation per step
    jupytext = pytest.importorskip("jupytext")
    notebook = jupytext.reads(text, fmt="py:percent")
    assert sum(cell.cell_type == "code" for cell in notebook.cells) >= 6
