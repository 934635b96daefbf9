"""Shared fixtures. Area-specific fixtures live in the test modules (or a conftest.py beside them)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parents[1]
#: Seed of the small simulated study shared by the stage, view and analysis tests.
SEED = 7

# Hypothesis: modest and deterministic in CI, so the suite stays fast and a red run can be reproduced.
settings.register_profile(
    "ci", max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def _realdata_dir() -> Path:
    env = os.environ.get("RECENTER_REALDATA")
    return Path(env) if env else ROOT.parent / "shared" / "realdata"


@pytest.fixture(scope="session")
def realdata_dir() -> Path:
    """``../shared/realdata`` (or ``$RECENTER_REALDATA``): the authors' pre-release annotation-tool sample.

    Skips when absent, unless ``RECENTER_REQUIRE_REALDATA=1`` (set by ``.ci/run``), which makes it a failure.
    """
    path = _realdata_dir()
    if not (path / "task5_items.jsonl").exists():
        reason = f"real sample not found at {path} (set RECENTER_REALDATA to its folder)"
        if os.environ.get("RECENTER_REQUIRE_REALDATA") == "1":
            pytest.fail(f"RECENTER_REQUIRE_REALDATA=1 but {reason}")
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def small_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``simulate(SimulationConfig.small(), seed=SEED)`` written to a folder (shared by stage, view and analysis tests)."""
    from toolkit.simulate import SimulationConfig, simulate

    path = tmp_path_factory.mktemp("small") / "data"
    simulate(SimulationConfig.small(), seed=SEED).write(path)
    return path


@pytest.fixture(scope="session")
def small_ds(small_data: Path):
    from toolkit.dataset import load_dataset

    return load_dataset(small_data)
