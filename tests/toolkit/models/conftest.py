"""Fixtures of the model tests: simulated studies with known truth, a private posterior cache, and fits
made once per session (many assertions share one fit).

Default run: ``SimulationConfig.small()`` (about 800 stage-2 items, 400 attributes) with 2 chains x 300
draws. Full size (``simulate()``, 2 chains x 1000 draws) is behind the ``slow`` marker.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest

SMALL_SEED = 11
FULL_SEED = 20260606
#: Sampler settings of the session fits.
SMALL_FIT = {"draws": 300, "tune": 300, "chains": 2, "seed": 1}
FULL_FIT = {"draws": 1000, "tune": 1000, "chains": 2, "seed": 1}


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private cache folder (passed as ``cache_root``), so tests neither read nor fill the user's cache."""
    return tmp_path_factory.mktemp("model-cache")


def _study(tmp_path_factory: pytest.TempPathFactory, name: str, small: bool, seed: int) -> tuple[Any, dict]:
    from toolkit.simulate import SimulationConfig, simulate

    study = simulate(SimulationConfig.small() if small else None, seed=seed)
    ds = study.write(tmp_path_factory.mktemp(name) / "data")
    return ds, study.truth


@pytest.fixture(scope="session")
def small_study(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, dict]:
    """``(dataset, truth)`` of ``simulate(SimulationConfig.small(), seed=11)``."""
    return _study(tmp_path_factory, "small", True, SMALL_SEED)


@pytest.fixture(scope="session")
def full_study(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, dict]:
    """``(dataset, truth)`` of the full-size ``simulate()`` (the bundled sample's design)."""
    return _study(tmp_path_factory, "full", False, FULL_SEED)


def _fit(model: Any, ds: Any, cache: Path, settings: dict) -> Any:
    from toolkit.models import ConvergenceWarning, fit

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # asserted separately where it matters
        return fit(model, ds, cache_root=cache, **settings)


@pytest.fixture(scope="session")
def judge_small(small_study: tuple[Any, dict], model_cache: Path) -> Any:
    from toolkit.models import JudgeModel

    return _fit(JudgeModel(), small_study[0], model_cache, SMALL_FIT)


@pytest.fixture(scope="session")
def extraction_small(small_study: tuple[Any, dict], model_cache: Path) -> Any:
    from toolkit.models import ExtractionModel

    return _fit(ExtractionModel(), small_study[0], model_cache, SMALL_FIT)


@pytest.fixture(scope="session")
def judge_full(full_study: tuple[Any, dict], model_cache: Path) -> Any:
    from toolkit.models import JudgeModel

    return _fit(JudgeModel(), full_study[0], model_cache, FULL_FIT)


@pytest.fixture(scope="session")
def extraction_full(full_study: tuple[Any, dict], model_cache: Path) -> Any:
    from toolkit.models import ExtractionModel

    return _fit(ExtractionModel(), full_study[0], model_cache, FULL_FIT)


def eti(samples: Any, prob: float = 0.90) -> tuple[Any, Any]:
    """Equal-tailed ``prob`` interval of draws along axis 0 (the recovery tests use 90% intervals)."""
    from toolkit.models.base import interval

    return interval(samples, prob=prob)
