"""Fixtures of the analysis tests: a small simulated study on disk, a private posterior cache, fast settings."""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path

import pytest

from tests.conftest import SEED  # noqa: F401  (re-exported: the small study's seed)

#: Fast settings for every analysis run in the suite (model fits: 2 chains x 100 draws; they need not converge).
FAST = ["--draws", "100", "--tune", "100", "--chains", "2", "--n-boot", "200", "--formats", "png"]


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory):
    """Posterior cache in a temporary folder, so the suite neither reads nor fills the user's cache."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RECENTER_CACHE_DIR", str(tmp_path_factory.mktemp("posterior-cache")))
        yield


def require_models(name: str) -> None:
    """Skip the test when a model the analysis fits is not available in this checkout."""
    analysis = pytest.importorskip(f"analyses.{name}").ANALYSIS
    from toolkit.models import get_model

    for model in analysis.models:
        try:
            get_model(model)
        except KeyError:
            pytest.skip(f"toolkit.models has no {model!r} model yet")


def run_analysis(name: str, data: Path, out: Path, *extra: str) -> int:
    """``python -m analyses.<name> --data DATA --out OUT`` with the fast settings, in-process."""
    module = importlib.import_module(f"analyses.{name}")
    return module.main(["--data", str(data), "--out", str(out), *FAST, *extra])


@pytest.fixture(scope="session")
def outputs(small_data: Path, tmp_path_factory: pytest.TempPathFactory):
    """Runs each analysis once per session (on demand) and returns its output folder."""
    done: dict[str, Path] = {}

    def get(name: str) -> Path:
        require_models(name)
        if name not in done:
            out = tmp_path_factory.mktemp(f"out-{name}")
            assert run_analysis(name, small_data, out) == 0
            done[name] = out
        return done[name]

    return get


@pytest.fixture(scope="session")
def without(small_data: Path, tmp_path_factory: pytest.TempPathFactory):
    """A copy of the small dataset without one record file."""

    def make(record_type: str) -> Path:
        out = tmp_path_factory.mktemp(f"without-{record_type}") / "data"
        shutil.copytree(small_data, out)
        for suffix in (".jsonl", ".jsonl.gz"):
            (out / f"{record_type}{suffix}").unlink(missing_ok=True)
        return out

    return make
