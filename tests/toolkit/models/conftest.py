"""Fixtures of the model tests: simulated studies with known truth, a private posterior cache, a toy model,
and fits made once per session (many assertions share one fit).

Default run: ``SimulationConfig.small()`` (about 800 stage-2 items, 400 attributes) with 2 chains x 300
draws. Full size (``simulate()``, 2 chains x 1000 draws) is behind the ``slow`` marker. Recovery studies are
independent draws (``balanced=False``): balanced draws pin sample totals and understate sampling
variability, so intervals must not be judged on them.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any, ClassVar

import attrs
import numpy as np
import pandas as pd
import pytest

from toolkit.models.interface import Model, ModelData
from toolkit.models.summaries import draws_of, interval, parameter_table, ppc_row

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

    config = SimulationConfig.small() if small else SimulationConfig()
    study = simulate(attrs.evolve(config, balanced=False), seed=seed)
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


def fit_quietly(model: Any, ds: Any, cache: Path, settings: dict) -> Any:
    """``fit(model, ds, cache_root=cache, **settings)`` with convergence warnings silenced."""
    from toolkit.models import ConvergenceWarning, fit

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # asserted separately where it matters
        return fit(model, ds, cache_root=cache, **settings)


@pytest.fixture(scope="session")
def judge_small(small_study: tuple[Any, dict], model_cache: Path) -> Any:
    from toolkit.models import JudgeModel

    return fit_quietly(JudgeModel(), small_study[0], model_cache, SMALL_FIT)


@pytest.fixture(scope="session")
def extraction_small(small_study: tuple[Any, dict], model_cache: Path) -> Any:
    from toolkit.models import ExtractionModel

    return fit_quietly(ExtractionModel(), small_study[0], model_cache, SMALL_FIT)


@pytest.fixture(scope="session")
def judge_full(full_study: tuple[Any, dict], model_cache: Path) -> Any:
    from toolkit.models import JudgeModel

    return fit_quietly(JudgeModel(), full_study[0], model_cache, FULL_FIT)


@pytest.fixture(scope="session")
def extraction_full(full_study: tuple[Any, dict], model_cache: Path) -> Any:
    from toolkit.models import ExtractionModel

    return fit_quietly(ExtractionModel(), full_study[0], model_cache, FULL_FIT)


@pytest.fixture(scope="session")
def rating_small(small_study: tuple[Any, dict], model_cache: Path) -> Any:
    from toolkit.models import RatingModel

    return fit_quietly(RatingModel(), small_study[0], model_cache, SMALL_FIT)


@pytest.fixture(scope="session")
def rating_full(full_study: tuple[Any, dict], model_cache: Path) -> Any:
    from toolkit.models import RatingModel

    return fit_quietly(RatingModel(), full_study[0], model_cache, FULL_FIT)


def eti(samples: Any, prob: float = 0.90) -> tuple[Any, Any]:
    """Equal-tailed ``prob`` interval of draws along axis 0 (the recovery tests use 90% intervals)."""
    return interval(samples, prob=prob)


# ----------------------------------------------------------------------------------------------------------
# a toy model for the tests of the common machinery (interface, fitting, cache, diagnostics)
# ----------------------------------------------------------------------------------------------------------


@attrs.frozen
class YesRateModel(Model):
    """Toy model for the interface tests: each stage-2 rater's YES rate, ``y_r ~ Binomial(n_r, p_r)``."""

    name: ClassVar[str] = "test-yes-rate"
    version: ClassVar[str] = "1"
    records: ClassVar[tuple[str, ...]] = ("relevance_judgments",)

    prior_sd: float = 1.5

    def prepare(self, dataset: Any) -> ModelData:
        rel = dataset.frame("relevance_judgments")
        g = rel.groupby("rater_id")["relevant"].agg(["sum", "count"])
        return ModelData(
            arrays={"yes": g["sum"].to_numpy(np.int64), "n": g["count"].to_numpy(np.int64)},
            coords={"rater": list(g.index)},
        )

    def build(self, data: ModelData) -> Any:
        import pymc as pm

        with pm.Model(coords=data.coords) as m:
            logit_p = pm.Normal("logit_p", 0.0, self.prior_sd, dims="rater")
            pm.Deterministic("p", pm.math.sigmoid(logit_p), dims="rater")
            pm.Binomial("y", n=data.arrays["n"], logit_p=logit_p, observed=data.arrays["yes"], dims="rater")
        return m

    def summarize(self, idata: Any, data: ModelData) -> dict[str, pd.DataFrame]:
        return {"raters": parameter_table(idata, "p", {"rater": data.coords["rater"]})}

    def ppc(self, idata: Any, data: ModelData, rng: np.random.Generator) -> pd.DataFrame:
        p = draws_of(idata, "p")
        rep = rng.binomial(data.arrays["n"], p) / data.arrays["n"]
        obs = data.arrays["yes"] / data.arrays["n"]
        return pd.DataFrame(
            [ppc_row("yes rate", obs[r], rep[:, r], group=g) for r, g in enumerate(data.coords["rater"])]
        )


#: Sampler settings of the toy fits.
FAST = {"draws": 500, "tune": 300, "chains": 2, "seed": 3}  # 300 draws: tail ESS ~370 < 400


@pytest.fixture(scope="session")
def toy_fit(small_study: tuple[Any, dict], model_cache: Path) -> Any:
    """A fresh fit of :class:`YesRateModel` on the small study, stored in the session's private cache."""
    from toolkit.models import fit

    return fit(YesRateModel(), small_study[0], cache_root=model_cache, **FAST)
