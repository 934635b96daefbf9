"""Stage-3 noise-ceiling correlation model: data, the closed-form marginal likelihood, recovery and PPCs.

Recovery targets are the model's estimands under the simulator's truth, computed by
:func:`toolkit.models.correlation.implied_correlations` (a large Monte Carlo of the stage-3 generative model):
the ceiling (correlation of the 3-human mean with the human true score), the single-rater reliability, and each
scorer's correlation with the true score (``rho``) and with the 3-human mean (``rho x ceiling``). The 90%
intervals must cover them (at most one miss per family; all inside the 99.5% interval).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.toolkit.models.conftest import FULL_FIT, SMALL_FIT, eti, fit_quietly
from toolkit.models.correlation import (
    CorrelationModel,
    build_correlation_model,
    comparison_table,
    implied_correlations,
    prepare_correlation_data,
    raw_correlations,
    reliability_draws,
)
from toolkit.models.interface import ModelData
from toolkit.models.summaries import draws_of, ppc_misfits
from toolkit.vocabulary import HUMAN


@pytest.fixture(scope="session")
def correlation_small(small_study: tuple[Any, dict], model_cache: Any) -> Any:
    return fit_quietly(CorrelationModel(), small_study[0], model_cache, SMALL_FIT)


@pytest.fixture(scope="session")
def correlation_full(full_study: tuple[Any, dict], model_cache: Any) -> Any:
    return fit_quietly(CorrelationModel(), full_study[0], model_cache, FULL_FIT | {"draws": 2000})


def _targets(fit: Any, ds: Any, truth: dict) -> dict[str, float]:
    units = fit.data.tables["units"]
    responses = ds.frame("responses")
    gen_of = dict(zip(responses["response_id"], responses["generator"], strict=True))
    weights = units["personalized_response_id"].map(gen_of).value_counts(normalize=True).to_dict()
    return implied_correlations(truth["stage3"], generator_weights=weights, k=int(fit.data.arrays["k"]))


def recovery_table(fit: Any, ds: Any, truth: dict) -> pd.DataFrame:
    target = _targets(fit, ds, truth)
    rel = reliability_draws(fit.idata, int(fit.data.arrays["k"]))
    rho = draws_of(fit.idata, "rho")
    entries = [
        ("ceiling", HUMAN, rel["ceiling"][:, 0], target["ceiling"]),
        (
            "single_rater_reliability",
            HUMAN,
            rel["single_rater_reliability"][:, 0],
            target["single_rater_reliability"],
        ),
    ]
    for j, scorer in enumerate(fit.data.coords["scorer"]):
        entries.append(("latent_correlation", scorer, rho[:, j], target[scorer]))
        entries.append(
            (
                "expected_observed_correlation",
                scorer,
                rho[:, j] * rel["ceiling"][:, j + 1],
                target[f"{scorer}:observed"],
            )
        )
    rows = []
    for family, who, draws, tv in entries:
        lo, hi = eti(draws, 0.90)
        lo2, hi2 = eti(draws, 0.995)
        rows.append(
            {
                "family": family,
                "scorer": who,
                "truth": tv,
                "mean": float(draws.mean()),
                "ci90_low": float(lo),
                "ci90_high": float(hi),
                "covered90": bool(lo <= tv <= hi),
                "covered995": bool(lo2 <= tv <= hi2),
            }
        )
    return pd.DataFrame(rows)


def assert_recovered(table: pd.DataFrame) -> None:
    for family, t in table.groupby("family"):
        misses = t[~t["covered90"]]
        assert len(misses) <= 1, f"{family}: truth outside the 90% interval for\n{misses.to_string()}"
        assert t["covered995"].all(), f"{family}: truth outside the 99.5% interval\n{t.to_string()}"


# ---------------------------------------------------------------------------------------------- data
def test_prepare_units_scorers_and_standardization(small_study: tuple[Any, dict]) -> None:
    ds, truth = small_study
    data = prepare_correlation_data(ds)
    a = data.arrays
    n_units = len(truth["stage3"]["units"]["attribute_id"])
    assert a["y"].shape == (n_units, 3) and a["y_mask"].all()
    assert data.coords["scorer"] == [*truth["raters"]["llm"], *truth["raters"]["reward_model"]]
    assert data.coords["submodel"] == [HUMAN, *data.coords["scorer"]]
    kinds = data.tables["scorers"].set_index("scorer")["kind"]
    assert set(kinds[truth["raters"]["reward_model"]]) == {"reward_model"}
    assert int(a["k"]) == 3
    assert a["x_mask"].all()
    assert np.allclose(a["x"].mean(axis=0), 0.0) and np.allclose(a["x"].std(axis=0), 1.0)
    # the raw scores are the judges' ratings and the reward models' values of the same units
    ratings = ds.frame("response_ratings")
    units = data.tables["units"]
    judge = data.coords["scorer"][0]
    got = pd.Series(
        a["x_raw"][:, 0], index=pd.MultiIndex.from_frame(units[["personalized_response_id", "attribute_id"]])
    )
    want = ratings[ratings["rater_id"] == judge].set_index(["personalized_response_id", "attribute_id"])[
        "rating"
    ]
    assert np.array_equal(got.loc[want.index].to_numpy(), want.to_numpy(float))
    scores = ds.frame("scores")
    rm = truth["raters"]["reward_model"][0]
    j = data.coords["scorer"].index(rm)
    got = pd.Series(a["x_raw"][:, j], index=got.index)
    want = scores[scores["scorer_id"] == rm].set_index(["response_id", "attribute_id"])["value"]
    assert np.allclose(got.loc[want.index].to_numpy(), want.to_numpy())


def _toy_data(rng: np.random.Generator) -> ModelData:
    """A few units with missing human ratings and a missing score."""
    y = rng.integers(1, 6, size=(5, 3)).astype(float)
    ym = np.ones_like(y)
    ym[1, 2] = ym[3, 0] = 0
    y[ym == 0] = 0
    x = rng.normal(size=(5, 2))
    xm = np.ones_like(x)
    xm[2, 1] = 0
    x[xm == 0] = 0
    return ModelData(
        arrays={"y": y, "y_mask": ym, "x": x, "x_mask": xm, "x_raw": x, "k": np.array(3)},
        coords={
            "unit": list("abcde"),
            "annotator": ["h1", "h2", "h3"],
            "scorer": ["s1", "s2"],
            "submodel": [HUMAN, "s1", "s2"],
        },
        tables={"scorers": pd.DataFrame({"scorer": ["s1", "s2"], "kind": ["llm", "reward_model"]})},
    )


def test_marginal_likelihood_is_the_multivariate_normal_density() -> None:
    """The closed form (Q integrated out) equals scipy's multivariate normal density of the observed entries."""
    from scipy.stats import multivariate_normal

    rng = np.random.default_rng(5)
    data = _toy_data(rng)
    model = build_correlation_model(data)
    point = model.initial_point()
    for name in list(point):  # a random point in the unconstrained space
        point[name] = point[name] + rng.normal(0, 0.4, np.shape(point[name]))
    names = ("mu", "loading", "sigma", "h", "nu", "omega", "rho")
    outs = model.replace_rvs_by_values([model.potentials[0], *(model[v] for v in names)])
    pot, mu, lam, sigma, h, nu, omega, rho = model.compile_fn(
        outs, inputs=model.value_vars, on_unused_input="ignore"
    )(point)
    a = data.arrays
    expected = 0.0
    for b in range(3):
        for u in range(5):
            obs = a["y_mask"][u] > 0
            mean = list(mu[b] + h[b][obs])
            load = [lam[b]] * obs.sum()
            noise = [sigma[b] ** 2] * obs.sum()
            value = list(a["y"][u][obs])
            if b > 0 and a["x_mask"][u, b - 1] > 0:
                s = b - 1
                mean.append(nu[s])
                load.append(omega[s] * rho[s])
                noise.append(omega[s] ** 2 * (1 - rho[s] ** 2))
                value.append(a["x"][u, s])
            cov = np.diag(noise) + np.outer(load, load)
            expected += multivariate_normal(mean, cov).logpdf(value)
    assert pot == pytest.approx(expected, rel=1e-10)


def test_implied_correlations_are_consistent() -> None:
    """Monte Carlo estimands: the ceiling obeys Spearman-Brown, a reward model's correlation with the human true
    score is its latent correlation times corr(Q, T) <= 1, and the observed correlation is rho x ceiling."""
    from toolkit.simulate import SimulationConfig, simulate

    truth = simulate(SimulationConfig.small(), seed=3).truth["stage3"]
    t = implied_correlations(truth, n=300_000, seed=1)
    r1 = t["single_rater_reliability"]
    assert t["ceiling"] ** 2 == pytest.approx(3 * r1 / (1 + 2 * r1), abs=0.02)
    for rm, rho in truth["reward_rho"].items():
        assert 0.9 * rho < t[rm] <= rho + 0.01
        assert t[f"{rm}:observed"] == pytest.approx(t[rm] * t["ceiling"], abs=0.01)
    for judge in (
        j for j in truth["gamma"] if j != HUMAN
    ):  # exact identity: ybar - T is noise given the unit
        assert t[f"{judge}:observed"] == pytest.approx(t[judge] * t["ceiling"], abs=0.01)


# ---------------------------------------------------------------------------------------------- fitted
def test_summaries_have_the_documented_tables(correlation_small: Any) -> None:
    s = correlation_small.summaries
    assert set(s) == {"ceiling", "scorers", "raw"}
    ceiling = s["ceiling"].set_index("quantity")
    assert list(ceiling.index) == ["single_rater_reliability", "k_rater_reliability", "ceiling"]
    assert (ceiling["k"] == 3).all()
    assert (
        0 < ceiling.loc["single_rater_reliability", "mean"] < ceiling.loc["k_rater_reliability", "mean"] < 1
    )
    scorers = s["scorers"]
    quantities = {
        "latent_correlation",
        "expected_observed_correlation",
        "ceiling",
        "fraction_of_ceiling",
        "spearman",
        "pearson",
    }
    assert set(scorers["quantity"]) == quantities
    assert set(scorers["kind"]) == {"llm", "reward_model"}
    assert scorers.groupby("scorer").size().eq(len(quantities)).all()
    wide = comparison_table(s)
    assert list(wide["scorer"]) == correlation_small.data.coords["scorer"]
    # |expected observed| <= |latent|: the ceiling is below 1
    assert (wide["expected_observed_correlation_mean"].abs() <= wide["latent_correlation_mean"].abs()).all()


def test_raw_correlations_are_toolkit_metrics(correlation_small: Any, small_study: tuple[Any, dict]) -> None:
    from toolkit.metrics import correlation

    raw = raw_correlations(correlation_small.data)
    a = correlation_small.data.arrays
    hmean = a["y"].mean(axis=1)
    for j, scorer in enumerate(correlation_small.data.coords["scorer"]):
        want = correlation(a["x_raw"][:, j], hmean, method="spearman").iloc[0]
        got = raw[(raw["scorer"] == scorer) & (raw["metric"] == "spearman")].iloc[0]
        assert got["value"] == pytest.approx(want["value"])
        assert got["ci_low"] == pytest.approx(want["ci_low"])


def test_recovery_of_ceiling_and_latent_correlations(
    correlation_small: Any, small_study: tuple[Any, dict]
) -> None:
    assert correlation_small.diagnostics.divergences == 0
    assert correlation_small.diagnostics.max_r_hat < 1.05
    assert_recovered(recovery_table(correlation_small, *small_study))


def test_posterior_predictive_checks(correlation_small: Any) -> None:
    ppc = correlation_small.ppc(1)
    scorers = set(correlation_small.data.coords["scorer"])
    assert set(ppc["check"]) == {
        "human_human_pearson",
        "scorer_human_mean_pearson",
        "scorer_human_mean_spearman",
    }
    assert set(ppc.loc[ppc["check"] == "scorer_human_mean_pearson", "scorer"]) == scorers
    assert ppc["defined"].all() and ppc_misfits(ppc).empty, ppc_misfits(ppc).to_string()


def test_ppc_flags_a_misfit(correlation_small: Any) -> None:
    """Power: a scorer that agrees with the humans much better than the fitted model says is flagged."""
    from toolkit.models.correlation import correlation_statistics, replicate_correlation_data

    data = correlation_small.data
    y_rep, x_rep = replicate_correlation_data(correlation_small.idata, data, np.random.default_rng(0), 100)
    rep = correlation_statistics(y_rep[:, 1], x_rep, data)[
        ("scorer_human_mean_pearson", data.coords["scorer"][0])
    ]
    fake = data.arrays["x_raw"].copy()
    fake[:, 0] = data.arrays["y"].mean(axis=1)  # a "scorer" equal to the human mean
    obs = correlation_statistics(data.arrays["y"], fake, data)[
        ("scorer_human_mean_pearson", data.coords["scorer"][0])
    ]
    assert obs[0] > rep.max()


# ---------------------------------------------------------------------------------------------- full size
@pytest.mark.slow
def test_full_size_fit_converges_and_recovers(correlation_full: Any, full_study: tuple[Any, dict]) -> None:
    assert correlation_full.diagnostics.ok, correlation_full.diagnostics.message
    assert_recovered(recovery_table(correlation_full, *full_study))
    ppc = correlation_full.ppc(2)
    assert ppc["defined"].all() and ppc_misfits(ppc).empty, ppc_misfits(ppc).to_string()
