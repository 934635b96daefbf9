"""Fixtures of the simulator tests: the default-seed study, its records and its written folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.simulate import SimulatedStudy, simulate


@pytest.fixture(scope="package")
def study() -> SimulatedStudy:
    """The default study (default config and seed): the draw the bundled sample is."""
    return simulate()


@pytest.fixture(scope="package")
def records(study: SimulatedStudy) -> dict[str, list]:
    return study.records


@pytest.fixture(scope="package")
def written(study: SimulatedStudy, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sim") / "default"
    study.write(path)
    return path
