"""Stage-3 rating model: data preparation, model math, parameter recovery and posterior predictive checks.

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

from tests.toolkit.models.conftest import FULL_FIT, FULL_SEED, SMALL_FIT, SMALL_SEED, _fit, eti
from toolkit.models.rating import (
    HUMAN,
    RatingData,
    RatingModel,
    RatingParameters,
    build_rating_model,
    noise_sd_from_scale,
    prepare_rating_data,
    rating_quantities,
)


# ---------------------------------------------------------------------------------------------- fixtures
def _no_noise_study(tmp_path_factory: pytest.TempPathFactory, small: bool, seed: int) -> tuple[Any, dict]:
    from toolkit.simulate import SimulationConfig, simulate

    config = SimulationConfig.small() if small else SimulationConfig()
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
def rating_small(small_study: tuple[Any, dict], model_cache: Any) -> Any:
    return _fit(RatingModel(), small_study[0], model_cache, SMALL_FIT)


@pytest.fixture(scope="session")
def rating_small_no_noise(small_study_no_noise: tuple[Any, dict], model_cache: Any) -> Any:
    return _fit(RatingModel(), small_study_no_noise[0], model_cache, SMALL_FIT)


@pytest.fixture(scope="session")
def rating_full(full_study: tuple[Any, dict], model_cache: Any) -> Any:
    return _fit(RatingModel(), full_study[0], model_cache, FULL_FIT)


@pytest.fixture(scope="session")
def rating_full_no_noise(full_study_no_noise: tuple[Any, dict], model_cache: Any) -> Any:
    return _fit(RatingModel(), full_study_no_noise[0], model_cache, FULL_FIT)


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


# ---------------------------------------------------------------------------------------------- data
def test_prepare_matches_the_simulated_design(small_study: tuple[Any, dict]) -> None:
    ds, truth = small_study
    data, tables = prepare_rating_data(ds)
    ratings = ds.frame("response_ratings")
    units = truth["stage3"]["units"]
    assert data.n == len(ratings)
    assert data.raters == (HUMAN, *data.judges)
    assert set(data.judges) == set(truth["raters"]["llm"])
    assert set(data.annotators) == set(truth["raters"]["human"])
    assert len(data.cells) == len(units["attribute_id"])
    assert len(data.items) == len(set(units["personalized_response_id"]))
    # every cell rated by every annotator and judge
    assert np.all(np.bincount(data.cell) == len(data.annotators) + len(data.judges))
    # mentions agree with the truth, cell by cell
    true_mention = dict(
        zip(
            zip(units["personalized_response_id"], units["attribute_id"], strict=True),
            units["mention"],
            strict=True,
        )
    )
    cells = tables["cells"]
    got = dict(zip(zip(cells["item"], cells["attribute_id"], strict=True), cells["mention"], strict=True))
    assert got == {k: bool(v) for k, v in true_mention.items()}
    # judges have the dummy annotator level, humans a real one; y is 0..4
    assert np.all(data.annotator[data.rater > 0] == len(data.annotators))
    assert np.all(data.annotator[data.rater == 0] < len(data.annotators))
    assert data.y.min() >= 0 and data.y.max() <= 4
    # round trip through ModelData
    again = RatingData.from_model_data(data.to_model_data(tables))
    for field in attrs.fields(RatingData):
        assert np.array_equal(getattr(again, field.name), getattr(data, field.name)), field.name


def test_mention_flag_falls_back_to_the_response_level_flag() -> None:
    from toolkit.models.rating import mentioned

    responses = pd.DataFrame(
        {
            "response_id": ["r1", "r2", "r3"],
            "mentions_attributes": [True, True, None],
            "mentioned_attribute_ids": [("a1",), None, None],
        }
    )
    got = mentioned(responses, ["r1", "r1", "r2", "r3", "r4"], ["a1", "a2", "a9", "a1", "a1"])
    assert got.tolist() == [True, False, True, False, False]


# ---------------------------------------------------------------------------------------------- math
def test_population_probabilities_match_a_monte_carlo_of_the_generative_model() -> None:
    """The quadrature behind every derived quantity (incl. judge noise) against brute-force simulation."""
    p = RatingParameters(
        cutpoints=np.array([[-2.0, -1.0, 0.3, 1.6]]),
        beta=np.array([[0.4, -0.4]]),
        gamma=np.array([[0.0, 0.8]]),
        delta=np.array([[0.1, -0.7]]),
        sd_item=np.array([0.9]),
        sd_attr=np.array([0.7]),
        sd_annot=np.array([0.2]),
        scale=np.array([[1.0, 1.0]]),
        sd_noise=np.array([[0.0, 2.5]]),
    )
    probs = p.category_probs()[0]  # (R, G, 2, 5)
    assert np.allclose(probs.sum(-1), 1.0)
    rng = np.random.default_rng(0)
    n = 400_000
    for r in range(2):
        for g in range(2):
            for m in range(2):
                eta = (
                    p.beta[0, g]
                    + p.gamma[0, r]
                    + p.delta[0, r] * m
                    + rng.normal(0, 0.9, n)
                    + rng.normal(0, 0.7, n)
                    + rng.normal(0, p.sd_noise[0, r], n)
                )
                y = (eta[:, None] + rng.logistic(size=(n, 1)) > p.cutpoints[0]).sum(1)
                freq = np.bincount(y, minlength=5) / n
                assert np.allclose(freq, probs[r, g, m], atol=0.004), (r, g, m, freq, probs[r, g, m])
    # a logistic scale sigma stands in for normal noise of sd 1.702 sqrt(sigma^2 - 1)
    s = 3.0
    sigma = np.sqrt(1 + (s / 1.702) ** 2)
    scaled = attrs.evolve(p, scale=np.array([[1.0, sigma]]), sd_noise=np.zeros((1, 2)))
    assert (
        np.abs(
            scaled.category_probs()[0, 1]
            - attrs.evolve(p, sd_noise=np.array([[0.0, s]])).category_probs()[0, 1]
        ).max()
        < 0.015
    )
    assert noise_sd_from_scale(np.array([sigma]))[0] == pytest.approx(s)
    assert noise_sd_from_scale(np.array([0.8, 1.0]))[0] == 0.0


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
def test_summaries_have_the_documented_tables(rating_small: Any) -> None:
    s = rating_small.summaries
    assert set(s) == {"generators", "judges", "mention", "parameters"}
    for table in s.values():
        assert {"quantity", "mean", "sd", "ci_low", "ci_high"} <= set(table.columns)
        assert (table["ci_low"] <= table["mean"] + 1e-12).all() and (
            table["mean"] <= table["ci_high"] + 1e-12
        ).all()
    gens = s["generators"]
    assert set(gens["quantity"]) == {"mean_rating", "p_better", "p_no_better", "beta"}
    p = gens.pivot(index="generator", columns="quantity", values="mean")
    assert np.allclose(p["p_better"] + p["p_no_better"], 1.0)
    assert p["mean_rating"].between(1, 5).all()
    judges = s["judges"]
    human = judges[judges["rater_id"] == HUMAN].set_index("quantity")
    assert human.loc["inflation", "mean"] == 0.0 and human.loc["scale", "mean"] == 1.0
    assert human.loc["mean_rating_shift", "mean"] == 0.0
    assert set(judges["rater_id"]) == {HUMAN, *rating_small.data.coords["judge"]}
    mention = s["mention"]
    assert set(mention["quantity"]) == {"latent", "rating"}
    assert (mention["significant"] == ((mention["ci_low"] > 0) | (mention["ci_high"] < 0))).all()


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


def test_posterior_predictive_checks(rating_small: Any) -> None:
    ppc = rating_small.ppc(1)
    assert {"check", "rater", "observed", "rep_mean", "rep_low", "rep_high", "p_value", "within_ci"} <= set(
        ppc.columns
    )
    raters = set(rating_small.data.coords["rater"])
    for check in ("mean_rating", "share_1", "share_5"):
        assert set(ppc.loc[ppc["check"] == check, "rater"]) == raters
    assert set(ppc.loc[ppc["check"] == "spearman_with_human_mean", "rater"]) == raters - {HUMAN}
    assert (ppc["check"] == "spearman_human_human").sum() == 1
    # a correctly specified model reproduces its data: no extreme p-values, nearly all inside the 95% band
    assert (ppc["p_value"] > 0.01).all(), ppc[ppc["p_value"] <= 0.01].to_string()
    assert ppc["within_ci"].mean() >= 0.9


def test_ppc_flags_a_misfit(rating_small: Any) -> None:
    """The checks have power: shifted 'observed' ratings are flagged."""
    from toolkit.models.rating import rating_statistics, replicate_ratings

    data = RatingData.from_model_data(rating_small.data)
    reps = replicate_ratings(rating_small.idata, data, np.random.default_rng(2), 100)
    stats = [rating_statistics(r, data)[("mean_rating", HUMAN)] for r in reps]
    shifted = np.clip(data.y + 2, 0, 4) + 1  # every human and judge rates much higher
    obs = rating_statistics(shifted, data)[("mean_rating", HUMAN)]
    assert obs > np.max(stats)


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
def test_full_size_posterior_predictive_checks(rating_full: Any) -> None:
    ppc = rating_full.ppc(3)
    assert (ppc["p_value"] > 0.01).all(), ppc[ppc["p_value"] <= 0.01].to_string()


@pytest.mark.slow
def test_ignoring_judge_noise_attenuates_inflation(full_study: tuple[Any, dict], model_cache: Any) -> None:
    """Why the default models judge noise: without it, the noisiest judges' inflation shrinks towards 0."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = _fit(RatingModel(judge_noise="none"), full_study[0], model_cache, FULL_FIT)
    table = recovery_table(fit, full_study[1])
    infl = table[table["family"] == "inflation"].set_index("label")
    for judge in ("qwen3.5-27b", "gemma-4-31b"):
        assert infl.loc[judge, "mean"] < 0.5 * infl.loc[judge, "truth"]
        assert not infl.loc[judge, "covered90"]
