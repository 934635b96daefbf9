"""Stage-3 rating model posterior: population probabilities, summary tables and posterior predictive checks."""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import pytest

from toolkit.models.rating_data import RatingData
from toolkit.models.rating_posterior import (
    RatingParameters,
    noise_sd_from_scale,
    rating_statistics,
    replicate_ratings,
)
from toolkit.models.summaries import ppc_misfits
from toolkit.vocabulary import HUMAN


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
    assert ppc["defined"].all() and ppc_misfits(ppc).empty, ppc_misfits(ppc).to_string()
    assert ppc["within_ci"].mean() >= 0.9


def test_ppc_flags_a_misfit(rating_small: Any) -> None:
    """The checks have power: shifted 'observed' ratings are flagged."""
    data = RatingData.from_model_data(rating_small.data)
    reps = replicate_ratings(rating_small.idata, data, np.random.default_rng(2), 100)
    stats = [rating_statistics(r, data)[("mean_rating", HUMAN)] for r in reps]
    shifted = np.clip(data.y + 2, 0, 4) + 1  # every human and judge rates much higher
    obs = rating_statistics(shifted, data)[("mean_rating", HUMAN)]
    assert obs > np.max(stats)


@pytest.mark.slow
def test_full_size_posterior_predictive_checks(rating_full: Any) -> None:
    ppc = rating_full.ppc(3)
    assert ppc["defined"].all() and ppc_misfits(ppc).empty, ppc_misfits(ppc).to_string()
