"""Judge model (stage 2): data preparation, likelihood, parameter recovery, checks, Dawid-Skene cross-check."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.toolkit.models.conftest import eti
from toolkit.models.base import draws_of
from toolkit.models.judge import ITEM, JudgeModel, _quadrature, pairwise_kappa, prepare_labels

HUMANS = ["human-1", "human-2", "human-3"]
LLMS = ["claude-sonnet-4.6", "gpt-5.4", "llama-3.3-70b", "qwen3.5-27b", "gemma-4-31b"]


# ----------------------------------------------------------------------------------------------------------
# data preparation and likelihood (no sampling)
# ----------------------------------------------------------------------------------------------------------


def test_prepare_builds_label_matrix_patterns_and_cells(small_study: tuple[Any, dict]) -> None:
    ds, truth = small_study
    data = JudgeModel().prepare(ds)
    a = data.arrays
    n_items = len(truth["stage2"]["items"]["z"])
    assert data.coords["group"] == ["human", "llm"]
    assert data.coords["rater"] == HUMANS + LLMS  # baselines are left out
    assert a["labels"].shape == (n_items, 8)
    assert a["cell_count"].sum() == n_items
    # every item's cell carries its prompt and label patterns
    np.testing.assert_array_equal(a["cell_prompt"][a["item_cell"]], a["item_prompt"])
    np.testing.assert_array_equal(a["cell_pattern"][a["item_cell"]], a["item_pattern"])
    for gi in range(2):
        cols = a["rater_group"] == gi
        yes = a[f"pattern_yes_{gi}"][a["item_pattern"][:, gi]]
        np.testing.assert_array_equal(yes.astype(bool), a["labels"][:, cols] == 1)
    assert a[f"pattern_yes_{0}"].shape[0] <= 8  # 3 humans, no missing labels: at most 2^3 patterns
    rel = ds.frame("relevance_judgments")
    items = data.tables["items"]
    maj = rel[rel["rater_id"].isin(HUMANS)].groupby(ITEM)["relevant"].mean().gt(0.5)
    np.testing.assert_array_equal(
        items.set_index(ITEM)["human_majority"].astype(bool), maj.reindex(items.set_index(ITEM).index)
    )


def test_missing_labels_and_duplicates() -> None:
    raters = pd.DataFrame(
        {"rater_id": ["h1", "h2", "l1", "b"], "kind": ["human", "human", "llm", "baseline"]}
    )
    rows = [
        ("u", "p1", "a1", "h1", True), ("u", "p1", "a1", "h2", False), ("u", "p1", "a1", "l1", True),
        ("u", "p1", "a2", "h1", False), ("u", "p1", "a2", "l1", True), ("u", "p1", "a2", "b", True),
        ("u", "p2", "a1", "h2", True),
    ]  # fmt: skip
    rel = pd.DataFrame(rows, columns=[*ITEM, "rater_id", "relevant"])
    data = prepare_labels(rel, raters)
    np.testing.assert_array_equal(data.arrays["labels"], [[1, 0, 1], [0, -1, 1], [-1, 1, -1]])
    assert data.tables["items"]["human_majority"].isna().tolist() == [
        True,
        False,
        False,
    ]  # 1-1 tie: no majority
    with pytest.raises(ValueError, match="duplicated"):
        prepare_labels(pd.concat([rel, rel.iloc[:1]]), raters)


def test_quadrature_is_accurate_in_the_tails() -> None:
    from scipy.integrate import quad
    from scipy.special import expit

    nodes, logw = _quadrature(61)
    assert np.isclose(np.exp(logw).sum(), 1.0)
    rng = np.random.default_rng(0)
    worst = 0.0
    for _ in range(40):
        a, y, s = rng.uniform(-4, 5, 5), rng.integers(0, 2, 5), rng.uniform(0.1, 3.0)

        def f(u: float, a: np.ndarray = a, y: np.ndarray = y) -> float:
            p = expit(a + u)
            return float(np.prod(np.where(y == 1, p, 1 - p)))

        ref = quad(
            lambda z, s=s: f(s * z) * np.exp(-z * z / 2) / np.sqrt(2 * np.pi),
            -12,
            12,
            epsabs=0,
            epsrel=1e-12,
            limit=400,
        )[0]
        approx = np.sum(np.exp(logw) * np.array([f(s * z) for z in nodes]))
        worst = max(worst, abs(np.log(approx) - np.log(ref)))
    assert worst < 1e-6


def test_collapsed_likelihood_equals_the_item_by_item_likelihood(small_study: tuple[Any, dict]) -> None:
    """The PyMC potential (patterns x cells) equals a direct per-item computation at a random point."""
    pytest.importorskip("pymc")
    from scipy.special import expit, logsumexp

    model = JudgeModel()
    data = model.prepare(small_study[0])
    m = model.build(data)
    rng = np.random.default_rng(3)
    point = m.initial_point()
    point = {k: v + rng.normal(0, 0.3, np.shape(v)) for k, v in point.items()}
    outs = m.replace_rvs_by_values(
        [m[v] for v in ("loglik", "logit_sens", "logit_spec", "sd_shared", "mu", "b")]
    )
    fn = m.compile_fn(outs, inputs=m.value_vars, on_unused_input="ignore")
    ll, ls, lp, sh, mu, b = fn(point)
    nodes, logw = _quadrature(model.n_quad)
    a = data.arrays
    y = a["labels"]
    lik = np.zeros((y.shape[0], 2))
    for gi in range(2):
        cols = np.flatnonzero(a["rater_group"] == gi)
        for z, base_logit in ((0, -lp[cols]), (1, ls[cols])):
            eta = base_logit[None, None, :] + sh[gi] * nodes[None, :, None]  # (1, K, R_g)
            p = expit(eta)
            yy = y[:, None, cols]
            term = np.where(yy == 1, np.log(p), np.where(yy == 0, np.log1p(-p), 0.0)).sum(2)  # (N, K)
            lik[:, z] += logsumexp(term + logw, axis=1)
    logit_pi = mu + b[a["item_prompt"]]
    lik[:, 0] += np.log(expit(-logit_pi))
    lik[:, 1] += np.log(expit(logit_pi))
    np.testing.assert_allclose(ll, logsumexp(lik, axis=1).sum(), rtol=1e-9)


def test_vectorised_kappa_equals_toolkit_agreement(small_study: tuple[Any, dict]) -> None:
    from toolkit.agreement import cohen_kappa, group_agreement

    ds = small_study[0]
    data = JudgeModel().prepare(ds)
    y = data.arrays["labels"]
    k = pairwise_kappa(y[None])[0]
    raters = data.coords["rater"]
    for i, j in [(0, 1), (0, 5), (3, 4), (6, 7)]:
        assert k[i, j] == pytest.approx(cohen_kappa(y[:, i], y[:, j]), abs=1e-12)
    rel = ds.frame("relevance_judgments")
    ga = group_agreement(
        rel, item=ITEM, rater="rater_id", label="relevant", groups={"human": HUMANS, "llm": LLMS}, n_boot=0
    )
    ours = {
        ("human", "human"): np.nanmean(k[np.ix_(range(3), range(3))][np.triu_indices(3, 1)]),
        ("llm", "llm"): np.nanmean(k[np.ix_(range(3, 8), range(3, 8))][np.triu_indices(5, 1)]),
        ("human", "llm"): k[np.ix_(range(3), range(3, 8))].mean(),
    }
    for row in ga.itertuples():
        assert ours[(row.group_a, row.group_b)] == pytest.approx(row.mean, abs=1e-12)
    assert raters[:3] == HUMANS


# ----------------------------------------------------------------------------------------------------------
# recovery and checks on the session fit (small study, 2 x 300 draws)
# ----------------------------------------------------------------------------------------------------------


def _recovery_table(fit: Any, truth: dict) -> pd.DataFrame:
    """Truth vs 90% equal-tailed interval for the key parameters."""
    tr = truth["stage2"]
    raters = list(fit.data.coords["rater"])
    rg = fit.data.arrays["rater_group"]
    rows = []
    draws = {"sens": draws_of(fit.idata, "sens"), "spec": draws_of(fit.idata, "spec")}
    keys = {"sens": "sensitivity", "spec": "specificity"}
    for q, d in draws.items():
        lo, hi = eti(d)
        rows += [(q, r, tr["raters"][r][keys[q]], lo[i], hi[i]) for i, r in enumerate(raters)]
        diff = d[:, rg == 1].mean(1) - d[:, rg == 0].mean(1)
        true = np.mean([tr["raters"][r][keys[q]] for r in LLMS]) - np.mean(
            [tr["raters"][r][keys[q]] for r in HUMANS]
        )
        lo, hi = eti(diff)
        rows.append((f"{q} llm - human", "", true, lo, hi))
    lo, hi = eti(draws_of(fit.idata, "sd_shared"))
    rows += [
        ("sd_shared", g, tr["sd_shared"][g], lo[i], hi[i]) for i, g in enumerate(fit.data.coords["group"])
    ]
    for v in ("mu", "sd_prompt"):
        lo, hi = eti(draws_of(fit.idata, v))
        rows.append((v, "", tr[v], lo, hi))
    t = pd.DataFrame(rows, columns=["parameter", "which", "truth", "low90", "high90"])
    t["covered"] = (t["low90"] <= t["truth"]) & (t["truth"] <= t["high90"])
    return t


def _check_recovery(fit: Any, truth: dict, min_coverage: float) -> pd.DataFrame:
    t = _recovery_table(fit, truth)
    misses = t[~t["covered"]]
    assert t["covered"].mean() >= min_coverage, f"90% intervals missed:\n{misses}"
    # the headline contrasts must be recovered
    key = t[t["parameter"].isin(["sens llm - human", "spec llm - human"])]
    assert key["covered"].all(), key
    return t


def test_recovery_small(judge_small: Any, small_study: tuple[Any, dict]) -> None:
    """22 key parameters (8 sensitivities, 8 specificities, 2 group differences, 2 shared SDs, mu, sd_prompt):
    at least 80% inside their 90% intervals (seed 11: all 22)."""
    _check_recovery(judge_small, small_study[1], 0.8)


def test_no_label_switching_and_summaries(judge_small: Any) -> None:
    s = judge_small.summaries
    raters = s["raters"]
    youden = raters[raters["quantity"] == "youden"]
    assert (youden["ci_low"] > 0).all()
    for name in ("raters", "groups", "differences", "prevalence", "prompts", "items", "kappa"):
        assert {"mean", "sd", "ci_low", "ci_high"} <= set(s[name].columns), name
    d = s["differences"].set_index("quantity")
    assert d.loc["sens", "ci_low"] > 0 and d.loc["spec", "ci_high"] < 0  # LLMs: more sensitive, less specific
    assert d.loc["yes_rate", "ci_low"] > 0.1  # over-selection
    assert d.loc["sd_shared", "p_positive"] > 0.99  # LLMs share their errors
    yes = raters[raters["quantity"] == "yes_rate"]
    assert ((yes["ci_low"] <= yes["observed"]) & (yes["observed"] <= yes["ci_high"])).all()


def test_item_probabilities_beat_the_majority_vote(judge_small: Any, small_study: tuple[Any, dict]) -> None:
    items = judge_small.summaries["items"]
    truth = pd.DataFrame(small_study[1]["stage2"]["items"])
    m = items.merge(truth, on=ITEM, validate="one_to_one")
    z = m["z"].astype(bool)
    acc_model = ((m["p_relevant"] > 0.5) == z).mean()
    acc_majority = (m["human_majority"].astype(bool) == z).mean()
    assert acc_model >= acc_majority  # seed 11: 0.960 vs 0.943
    assert acc_model > 0.93
    vs = judge_small.summaries["vs_majority"].set_index("n_human_yes")
    assert vs.loc[0, "agreement"] > 0.98 and vs.loc[3, "agreement"] > 0.98  # unanimous humans: same label
    assert vs.loc[-1, "agreement"] > 0.9  # differences concentrate on 1-2 split items
    assert vs.loc[1, "model_relevant_share"] > 0.1  # a single human YES backed by the LLMs can be relevant


def test_posterior_predictive_kappas_match_observed_and_published(judge_small: Any) -> None:
    k = judge_small.summaries["kappa"].set_index(["group_a", "group_b"])
    assert k.loc[("llm", "llm"), "mean"] > k.loc[("human", "human"), "mean"] > k.loc[("human", "llm"), "mean"]
    assert k["within_ci"].all() and (k["p_value"] > 0.05).all()
    np.testing.assert_allclose(k["published"], [0.426, 0.597, 0.300])


def test_ppc_function(judge_small: Any) -> None:
    ppc = judge_small.ppc(rng=1)
    assert {"check", "group", "observed", "rep_mean", "rep_sd", "rep_low", "rep_high", "p_value"} <= set(
        ppc.columns
    )
    assert set(ppc["check"]) >= {"mean pairwise kappa", "pairwise kappa", "yes rate", "majority yes share"}
    assert len(ppc[ppc["check"] == "pairwise kappa"]) == 28
    assert (ppc["p_value"] > 0.01).all(), ppc[ppc["p_value"] <= 0.01]
    assert ppc["within_ci"].mean() > 0.9


def test_dawid_skene_cross_check(judge_small: Any, small_study: tuple[Any, dict]) -> None:
    """crowd-kit's Dawid-Skene (conditional independence) vs the judge model on the same labels.

    Seed 11 (795 items): the item labels agree on 671 (84.4%); all but one disagreement is DS calling an
    item relevant that the model does not: DS counts the 5 LLM votes as independent evidence and follows
    the over-selecting LLM consensus (DS prevalence 0.376, model 0.223, truth 0.22). Accuracy against the
    true labels: model 0.960, DS 0.836. DS accordingly puts the humans' sensitivity at 0.41-0.46 (truth
    0.65-0.73) and the LLMs' specificity at 0.78-0.87 (truth, averaged over the shared effect, 0.63-0.73).
    """
    from toolkit.models.judge import compare_dawid_skene

    pytest.importorskip("crowdkit")
    c = compare_dawid_skene(judge_small)
    s = c["summary"].iloc[0]
    assert s["agreement"] > 0.8
    assert s["model_no_ds_yes"] > 5 * s["model_yes_ds_no"]  # DS leans to the LLM consensus
    assert s["ds_prevalence"] > s["model_prevalence"]
    truth = pd.DataFrame(small_study[1]["stage2"]["items"])
    m = c["items"].merge(truth, on=ITEM)
    z = m["z"].astype(bool)
    assert ((m["p_relevant"] > 0.5) == z).mean() > (m["ds_label"] == z).mean()
    r = c["raters"].set_index("rater")
    assert (r.loc[HUMANS, "ds_sens"] < r.loc[HUMANS, "model_sens_marginal"]).all()
    assert (r.loc[LLMS, "ds_spec"] > r.loc[LLMS, "model_spec_marginal"]).all()


@pytest.mark.filterwarnings("ignore::toolkit.models.base.ConvergenceWarning")
def test_cached_judge_fit_round_trips_every_table(
    judge_small: Any, small_study: tuple[Any, dict], model_cache: Any
) -> None:
    from tests.toolkit.models.conftest import SMALL_FIT
    from toolkit.models import fit

    again = fit(JudgeModel(), small_study[0], cache_root=model_cache, **SMALL_FIT)
    assert again.from_cache and again.diagnostics == judge_small.diagnostics
    assert set(again.summaries) == set(judge_small.summaries)
    for name, table in judge_small.summaries.items():
        pd.testing.assert_frame_equal(again.summaries[name], table)


# ----------------------------------------------------------------------------------------------------------
# full size (slow)
# ----------------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_recovery_full(judge_full: Any, full_study: tuple[Any, dict]) -> None:
    assert judge_full.diagnostics.ok, judge_full.diagnostics.message
    _check_recovery(judge_full, full_study[1], 0.8)
    k = judge_full.summaries["kappa"]
    assert k["within_ci"].all()
    ppc = judge_full.ppc(rng=1)
    assert (ppc["p_value"] > 0.01).all(), ppc[ppc["p_value"] <= 0.01]
