"""The validator package: its public names, and no pandas (it only streams files)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import schemas.fastcheck
import toolkit.validate

ROOT = Path(__file__).resolve().parents[3]


def test_public_api() -> None:
    for name in toolkit.validate.__all__:
        assert hasattr(toolkit.validate, name), name
    assert {"validate_path", "Problem", "ValidationReport", "fast_checker", "add_arguments", "run"} <= set(
        toolkit.validate.__all__
    )
    assert toolkit.validate.fast_checker is schemas.fastcheck.fast_checker


def test_importing_the_validator_loads_no_pandas() -> None:
    code = "import sys, toolkit.validate; sys.exit('pandas' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0
