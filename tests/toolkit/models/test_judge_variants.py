"""The judge-model family (:mod:`toolkit.models.judge_variants`): registry, data, the shared posterior code, the
human-only reference's scoring, the crowd-kit references; SBC smoke runs and parameter recovery are ``slow``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.toolkit.models.conftest import SMALL_FIT, eti, fit_quietly
from toolkit.models.interface import get_model
from toolkit.models.judge import JudgeModel
from toolkit.models.judge_posterior import cell_probabilities, item_loglik, replicate_labels
from toolkit.models.judge_variants import JUDGE_FAMILY, one_block, score_against
from toolkit.models.references import reference_estimates

VARIANTS = [n for n in JUDGE_FAMILY if n != "judge"]


def test_every_variant_is_registered_with_its_own_version_and_the_default_options() -> None:
    for name in VARIANTS:
        model = get_model(name)
        assert model.name == name and model.version and isinstance(model, JudgeModel)
        assert set(model.options()) == set(JudgeModel().options())  # same options: kinds, n_quad, ...
    assert get_model("judge-rater-sd").rater_sd is None and get_model("judge-loadings").rater_sd == 1.0


def test_one_block_patterns_are_every_raters_labels(small_study: tuple[Any, dict]) -> None:
    data = one_block(JudgeModel().prepare(small_study[0]))
    a = data.arrays
    pattern = a["cell_block_pattern"][a["item_cell"], 0]
    rebuilt = np.where(a["block_yes_0"][pattern] == 1, 1, np.where(a["block_no_0"][pattern] == 1, 0, -1))
    np.testing.assert_array_equal(rebuilt, a["labels"])
    assert a["block_yes_0"].shape[0] < len(a["labels"])  # patterns are shared by many items


def _fake_posterior(data: Any, seed: int, **extra: Any) -> dict:
    rng = np.random.default_rng(seed)
    s, r, g = 4, len(data.coords["rater"]), len(data.coords["group"])
    post = {
        "mu": rng.normal(-1, 0.3, (1, s)),
        "b": rng.normal(0, 0.3, (1, s, len(data.coords["prompt"]))),
        "logit_sens": rng.normal(1, 0.5, (1, s, r)),
        "logit_spec": rng.normal(2, 0.5, (1, s, r)),
        "sd_shared": np.abs(rng.normal(1, 0.5, (1, s, g))),
    }
    import xarray as xr

    def dims(v: np.ndarray) -> tuple[str, ...]:
        return ("chain", "draw", *[f"d{i}_{n}" for i, n in enumerate(v.shape[2:])])

    return {"posterior": xr.Dataset({k: (dims(v), v) for k, v in {**post, **extra}.items()})}


def test_effect_scale_of_a_variant_reproduces_the_default_when_it_means_the_same(
    small_study: tuple[Any, dict],
) -> None:
    """A per-rater, per-class ``effect_scale`` equal to the group SDs, or one block of raters whose effect has SD
    ~0, give the default's item log-likelihoods; a different class SD does not."""
    data = JudgeModel().prepare(small_study[0])
    post = _fake_posterior(data, 1)
    sd = post["posterior"]["sd_shared"][:, :, data.arrays["rater_group"]]
    same = _fake_posterior(data, 1, effect_scale=np.stack([sd, sd], axis=-1))
    ll = item_loglik(post, data, 61)
    np.testing.assert_allclose(item_loglik(same, data, 61), ll, rtol=1e-12)
    np.testing.assert_allclose(
        cell_probabilities(same, data, 61), cell_probabilities(post, data, 61), rtol=1e-12
    )
    other = _fake_posterior(data, 1, effect_scale=np.stack([sd, 2 * sd], axis=-1))
    assert not np.allclose(item_loglik(other, data, 61), ll)
    # without item effects, blocks do not matter: one block of all raters = per-group blocks
    zero = np.zeros_like(np.stack([sd, sd], axis=-1))
    flat = _fake_posterior(data, 1, effect_scale=zero)
    np.testing.assert_allclose(
        item_loglik(flat, one_block(data), 61), item_loglik(flat, data, 61), rtol=1e-10
    )
    y = replicate_labels(same, one_block(data), np.random.default_rng(0), None)
    assert y.shape == (4, *data.arrays["labels"].shape) and np.array_equal(
        y[0] < 0, data.arrays["labels"] < 0
    )


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # a one-draw summary has no sd
def test_human_reference_scores_the_llm_judges_on_the_human_items(small_study: tuple[Any, dict]) -> None:
    model = get_model("judge-human-ref")
    data = model.prepare(small_study[0])
    full = JudgeModel().prepare(small_study[0])
    assert data.coords["group"] == ["human"] and len(data.coords["scored_rater"]) == 5
    # the scored labels are the full matrix's LLM columns on the items humans labelled
    items = pd.MultiIndex.from_frame(full.tables["items"][["user_id", "prompt_id", "attribute_id"]])
    rows = items.get_indexer(
        pd.MultiIndex.from_frame(data.tables["items"][["user_id", "prompt_id", "attribute_id"]])
    )
    llm_cols = [full.coords["rater"].index(r) for r in data.coords["scored_rater"]]
    np.testing.assert_array_equal(data.arrays["scored_labels"], full.arrays["labels"][rows][:, llm_cols])
    # scoring against the truth itself gives each judge's sensitivity and specificity on the human items
    truth = np.random.default_rng(0).random(len(rows)) < 0.3
    t = score_against(truth[None].astype(float), data)["scored"].set_index(["rater", "quantity"])["mean"]
    y = data.arrays["scored_labels"][:, 0]
    seen = y >= 0
    assert t[(data.coords["scored_rater"][0], "sens")] == pytest.approx((y[seen & truth] == 1).mean())


@pytest.mark.filterwarnings("ignore")
def test_dawid_skene_and_mace_recover_prevalence_and_accuracy_of_independent_raters() -> None:
    pytest.importorskip("crowdkit")
    from toolkit.models.interface import ModelData

    rng = np.random.default_rng(4)
    n = 500
    z = rng.random(n) < 0.25
    sens, spec = np.array([0.9, 0.8, 0.7, 0.85]), np.array([0.95, 0.9, 0.8, 0.9])
    y = np.where(z[:, None], rng.random((n, 4)) < sens, rng.random((n, 4)) > spec).astype(np.int8)
    data = ModelData(
        {"labels": y, "rater_group": np.array([0, 0, 1, 1])},
        {"rater": list("abcd"), "group": ["human", "llm"]},
    )
    out = reference_estimates(data, mace_restarts=1)
    assert set(out["prevalence"]["method"]) == {"dawid-skene", "mace"}
    ds = out["raters"].query("method == 'dawid-skene'")
    # against each rater's accuracy on this sample (the estimand; the population values are 0.03 SE away)
    np.testing.assert_allclose(ds["sens"], (y[z] == 1).mean(0), atol=0.06)
    np.testing.assert_allclose(ds["spec"], (y[~z] == 0).mean(0), atol=0.04)
    prev = out["prevalence"].set_index("method")["prevalence"]
    assert prev["dawid-skene"] == pytest.approx(z.mean(), abs=0.04)
    assert 0.1 < prev["mace"] < 0.5  # MACE's uniform prior on the label pulls prevalence toward 1/2
    assert out["groups"].shape == (4, 4)
    with pytest.raises(ValueError, match="unknown reference"):
        reference_estimates(data, ["glad"])


# ----------------------------------------------------------------------------------------------------------
# slow: SBC smoke runs and parameter recovery on independently drawn data
# ----------------------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("name", VARIANTS)
def test_sbc_smoke(name: str) -> None:
    """Four SBC replications on the reduced design (size 0.1): every rank in range, and no parameter's ranks all
    at one end (a gross miscalibration four replications can show)."""
    from toolkit.studies.rank_ecdf import RANK_PREFIX
    from toolkit.studies.sbc import DESIGN, run

    design = {**DESIGN, "model": name, "draws": 100, "tune": 150, "chains": 2, "n_ranks": 9}
    res = pd.DataFrame([run(design, seed) for seed in range(1, 5)])
    ranks = res[[c for c in res if c.startswith(RANK_PREFIX)]]
    assert ranks.shape[1] > 10
    assert ranks.stack().between(0, 9).all()
    stuck = [c for c in ranks if ranks[c].notna().all() and (ranks[c].eq(0).all() or ranks[c].eq(9).all())]
    assert len(stuck) <= 0.1 * ranks.shape[1], stuck


def _covered(draws: np.ndarray, truth: np.ndarray) -> np.ndarray:
    lo, hi = eti(draws)
    return (lo <= truth) & (truth <= hi)


@pytest.mark.slow
def test_recovery_rater_sd_and_human_reference(small_study: tuple[Any, dict], model_cache: Any) -> None:
    """On an independent draw (balanced=False): the estimated-SD variant covers the raters' sensitivities and
    specificities, mu and the group SDs (>= 80% of 90% intervals). The human-only reference covers the
    quantities three human labels per item identify (mu, the human item-effect SD, the sample prevalence) and
    its scored LLM accuracies cover the judges' true marginal accuracies (>= 80%). Its human sensitivities and
    specificities are not checked: 3 binary labels give 7 degrees of freedom for 8 parameters, so they lean on
    the priors (seed 11: 2 of 6 inside their 90% intervals; SBC checks their calibration instead)."""
    from toolkit.models.summaries import draws_of

    ds, truth = small_study
    tr = truth["stage2"]
    f = fit_quietly(get_model("judge-rater-sd"), ds, model_cache, SMALL_FIT)
    raters = f.data.coords["rater"]
    hits = []
    for q, key in (("sens", "sensitivity"), ("spec", "specificity")):
        hits += list(_covered(draws_of(f.idata, q), np.array([tr["raters"][r][key] for r in raters])))
    hits += list(_covered(draws_of(f.idata, "mu")[:, None], np.array([tr["mu"]])))
    groups = f.data.coords["group"]
    hits += list(_covered(draws_of(f.idata, "sd_shared"), np.array([tr["sd_shared"][g] for g in groups])))
    assert np.mean(hits) >= 0.8, hits

    h = fit_quietly(get_model("judge-human-ref"), ds, model_cache, SMALL_FIT)
    assert _covered(draws_of(h.idata, "mu")[:, None], np.array([tr["mu"]])).all()
    assert _covered(draws_of(h.idata, "sd_shared"), np.array([tr["sd_shared"]["human"]])).all()
    prev = h.summaries["prevalence"].set_index("quantity").loc["prevalence_items"]
    assert prev["ci_low"] <= tr["derived"]["prevalence_sample"] <= prev["ci_high"]
    scored = h.summaries["scored"].set_index(["rater", "quantity"])
    hits = []
    for r in h.data.coords["scored_rater"]:
        for q, key in (("sens", "sensitivity_marginal"), ("spec", "specificity_marginal")):
            lo, hi = scored.loc[(r, q), ["ci_low", "ci_high"]]
            hits.append(lo <= tr["raters"][r][key] <= hi)
    assert np.mean(hits) >= 0.8, hits
    assert np.isfinite(h.summaries["scored_differences"]["mean"]).all()
