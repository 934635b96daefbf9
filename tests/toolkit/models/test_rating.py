"""Stage-3 rating model: the PyMC model and parameter recovery.

Recovery: simulated studies (``toolkit.simulate``) with known truth are fitted and the 90% equal-tailed
intervals must cover the true inflations, generator effects, mention effects and the derived mean ratings,
both with the simulator's default judge-specific noise and with it switched off (``sd_judge_noise = 0``:
exactly the cumulative-logit model). At most one miss per family is allowed (90% intervals miss 10% of the
time) and every truth must be inside the 99.5% interval. Default run: ``SimulationConfig.small()`` (15 items,
73 cells) with 2 chains x 300 draws; full size behind ``slow``.
"""

from __future__ import annotations

import warnings
from typing import Any

import attrs
import numpy as np
import pandas as pd
import pytest

from tests.toolkit.models.conftest import FULL_FIT, FULL_SEED, SMALL_FIT, SMALL_SEED, eti, fit_quietly
from toolkit.models.rating import RatingModel, build_rating_model
from toolkit.models.rating_data import RatingData, prepare_rating_data
from toolkit.models.rating_posterior import RatingParameters, noise_sd_from_scale, rating_quantities


# ---------------------------------------------------------------------------------------------- fixtures
def _no_noise_study(tmp_path_factory: pytest.TempPathFactory, small: bool, seed: int) -> tuple[Any, dict]:
    from toolkit.simulate import SimulationConfig, simulate

    config = attrs.evolve(SimulationConfig.small() if small else SimulationConfig(), balanced=False)
    s3 = config.stage3
    config = attrs.evolve(config, stage3=attrs.evolve(s3, sd_judge_noise={k: 0.0 for k in s3.sd_judge_noise}))
    study = simulate(config, seed=seed)
    return study.write(
        tmp_path_factory.mktemp("no-noise-small" if small else "no-noise-full") / "data"
    ), study.truth


@pytest.fixture(scope="session")
def small_study_no_noise(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, dict]:
    """``SimulationConfig.small()`` with every ``sd_judge_noise`` 0 (exactly the cumulative-logit model)."""
    return _no_noise_study(tmp_path_factory, True, SMALL_SEED)


@pytest.fixture(scope="session")
def full_study_no_noise(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, dict]:
    return _no_noise_study(tmp_path_factory, False, FULL_SEED)


@pytest.fixture(scope="session")
def rating_small_no_noise(small_study_no_noise: tuple[Any, dict], model_cache: Any) -> Any:
    return fit_quietly(RatingModel(), small_study_no_noise[0], model_cache, SMALL_FIT)


@pytest.fixture(scope="session")
def rating_full_no_noise(full_study_no_noise: tuple[Any, dict], model_cache: Any) -> Any:
    return fit_quietly(RatingModel(), full_study_no_noise[0], model_cache, FULL_FIT)


# ---------------------------------------------------------------------------------------------- helpers
def recovery_table(fit: Any, truth: dict) -> pd.DataFrame:
    """Truth vs posterior (mean, 90% and 99.5% intervals) of the key parameters and derived quantities."""
    data = RatingData.from_model_data(fit.data)
    post = RatingParameters.from_idata(fit.idata)
    true = RatingParameters.from_truth(truth["stage3"], data)
    q_post, q_true = rating_quantities(post, data), rating_quantities(true, data)
    families = {
        "inflation": (post.gamma[:, 1:], true.gamma[0, 1:], data.judges),
        "generator_effect": (post.beta, true.beta[0], data.generators),
        "mention_effect": (post.delta, true.delta[0], data.raters),
        "cutpoint": (post.cutpoints, true.cutpoints[0], ["1|2", "2|3", "3|4", "4|5"]),
        "human_mean_rating": (
            q_post["mean_rating_by_generator"][:, 0],
            q_true["mean_rating_by_generator"][0, 0],
            data.generators,
        ),
        "judge_mean_rating": (q_post["mean_rating"], q_true["mean_rating"][0], data.raters),
        "mention_effect_rating": (
            q_post["mention_effect_rating"],
            q_true["mention_effect_rating"][0],
            data.raters,
        ),
        "random_effect_sd": (
            np.column_stack([post.sd_item, post.sd_attr]),
            np.array([true.sd_item[0], true.sd_attr[0]]),
            ["sd_item", "sd_attr"],
        ),
        "judge_noise_sd": (noise_sd_from_scale(post.scale[:, 1:]), true.sd_noise[0, 1:], data.judges),
    }
    rows = []
    for family, (draws, tv, labels) in families.items():
        lo, hi = eti(draws, 0.90)
        lo2, hi2 = eti(draws, 0.995)
        for i, label in enumerate(labels):
            rows.append(
                {
                    "family": family,
                    "label": label,
                    "truth": float(tv[i]),
                    "mean": float(draws[:, i].mean()),
                    "ci90_low": float(lo[i]),
                    "ci90_high": float(hi[i]),
                    "covered90": bool(lo[i] <= tv[i] <= hi[i]),
                    "covered995": bool(lo2[i] <= tv[i] <= hi2[i]),
                }
            )
    return pd.DataFrame(rows)


KEY_FAMILIES = (
    "inflation",
    "generator_effect",
    "mention_effect",
    "human_mean_rating",
    "judge_mean_rating",
    "mention_effect_rating",
)


def assert_recovered(table: pd.DataFrame, families: tuple[str, ...] = KEY_FAMILIES) -> None:
    for family in families:
        t = table[table["family"] == family]
        misses = t[~t["covered90"]]
        assert len(misses) <= 1, f"{family}: truth outside the 90% interval for\n{misses.to_string()}"
        far = t[~t["covered995"]]
        assert far.empty, f"{family}: truth outside the 99.5% interval for\n{far.to_string()}"


# ---------------------------------------------------------------------------------------------- model
@pytest.mark.parametrize("judge_noise", ["scale", "latent", "none"])
def test_model_builds_with_the_documented_variables(small_study: tuple[Any, dict], judge_noise: str) -> None:
    data, tables = prepare_rating_data(small_study[0])
    model = build_rating_model(data.to_model_data(tables), judge_noise=judge_noise)
    names = {v.name for v in model.free_RVs}
    assert {"cutpoints_rel", "inflation_rel", "beta_rel", "delta", "sd_item", "sd_attr", "sd_annot"} <= names
    assert {"cutpoints", "gamma", "beta", "h", "q", "a"} <= {v.name for v in model.deterministics}
    assert ("log_scale" in names) == (judge_noise == "scale")
    assert ("sd_judge_noise" in names) == (judge_noise == "latent")
    logp = model.compile_logp()(model.initial_point())
    assert np.isfinite(logp)
    with pytest.raises(ValueError, match="judge_noise"):
        build_rating_model(data, judge_noise="heavy")


# ---------------------------------------------------------------------------------------------- fitted
def test_recovery_with_judge_noise(rating_small: Any, small_study: tuple[Any, dict]) -> None:
    """Default simulator (extra judge noise up to sd 8): the heteroscedastic model recovers the truth."""
    assert_recovered(recovery_table(rating_small, small_study[1]))


def test_recovery_without_judge_noise(
    rating_small_no_noise: Any, small_study_no_noise: tuple[Any, dict]
) -> None:
    """sd_judge_noise = 0 (exactly the cumulative-logit model): same recovery, and no noise invented."""
    table = recovery_table(rating_small_no_noise, small_study_no_noise[1])
    assert_recovered(table)
    noise = table[table["family"] == "judge_noise_sd"]
    assert (noise["ci90_low"] < 0.5).all(), noise.to_string()


def test_fits_are_not_pathological(rating_small: Any, rating_small_no_noise: Any) -> None:
    # the small default-run fits are too short for the ESS bar, but must not diverge or disagree across chains
    for fit in (rating_small, rating_small_no_noise):
        assert fit.diagnostics.divergences == 0
        assert fit.diagnostics.max_r_hat < 1.05


# ---------------------------------------------------------------------------------------------- full size
@pytest.mark.slow
def test_full_size_fit_converges_and_recovers(rating_full: Any, full_study: tuple[Any, dict]) -> None:
    assert rating_full.diagnostics.ok, rating_full.diagnostics.message
    table = recovery_table(rating_full, full_study[1])
    assert_recovered(table, (*KEY_FAMILIES, "cutpoint", "random_effect_sd", "judge_noise_sd"))


@pytest.mark.slow
def test_full_size_fit_without_judge_noise(
    rating_full_no_noise: Any, full_study_no_noise: tuple[Any, dict]
) -> None:
    assert rating_full_no_noise.diagnostics.ok, rating_full_no_noise.diagnostics.message
    table = recovery_table(rating_full_no_noise, full_study_no_noise[1])
    assert_recovered(table, (*KEY_FAMILIES, "cutpoint", "random_effect_sd"))


@pytest.mark.slow
def test_ignoring_judge_noise_attenuates_inflation(full_study: tuple[Any, dict], model_cache: Any) -> None:
    """Why the default models judge noise: without it, the noisiest judges' inflation shrinks towards 0."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = fit_quietly(RatingModel(judge_noise="none"), full_study[0], model_cache, FULL_FIT)
    table = recovery_table(fit, full_study[1])
    infl = table[table["family"] == "inflation"].set_index("label")
    for judge in ("qwen3.5-27b", "gemma-4-31b"):
        assert infl.loc[judge, "mean"] < 0.5 * infl.loc[judge, "truth"]
        assert not infl.loc[judge, "covered90"]
