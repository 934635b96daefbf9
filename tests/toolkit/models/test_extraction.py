"""Extraction model (stage 1): data preparation, likelihood, parameter recovery, posterior predictive checks."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from analyses import published
from tests.toolkit.models.conftest import eti
from toolkit.models.extraction import LABELS, ExtractionModel
from toolkit.models.summaries import draws_of, ppc_misfits

SOURCES = ["wildchat", "cupid", "prefeval", "personalens"]


def test_prepare_collapses_judgments_into_user_annotator_cells(small_study: tuple[Any, dict]) -> None:
    ds = small_study[0]
    data = ExtractionModel().prepare(ds)
    a = data.arrays
    ej = ds.frame("extraction_judgments")
    human = ej[ej["rater_id"].str.startswith("human-")]
    assert a["cell_counts"].sum() == len(human) == len(a["judgment_label"])  # verifiers are left out
    assert data.coords["source"] == SOURCES and data.coords["annotator"] == ["human-1", "human-2", "human-3"]
    assert a["source_real"].tolist() == [1, 0, 0, 0]
    users = ds.frame("users")
    assert a["source_users"].tolist() == [int((users["source"] == s).sum()) for s in SOURCES]
    # the per-judgment labels reproduce the cell counts
    counts = np.zeros_like(a["cell_counts"])
    np.add.at(counts, (a["judgment_cell"], a["judgment_label"]), 1)
    np.testing.assert_array_equal(counts, a["cell_counts"])
    obs = data.tables["observed_shares"]
    assert list(obs.columns) == list(LABELS) and np.allclose(obs.sum(axis=1), 1)


def test_likelihood_equals_per_judgment_ordinal_likelihood(small_study: tuple[Any, dict]) -> None:
    pytest.importorskip("pymc")
    from scipy.special import expit

    model = ExtractionModel()
    data = model.prepare(small_study[0])
    m = model.build(data)
    rng = np.random.default_rng(2)
    point = {k: v + rng.normal(0, 0.3, np.shape(v)) for k, v in m.initial_point().items()}
    outs = m.replace_rvs_by_values([m[v] for v in ("loglik", "alpha", "v", "w", "gap")])
    ll, alpha, v, w, gap = m.compile_fn(outs, inputs=m.value_vars, on_unused_input="ignore")(point)
    a = data.arrays
    cell = a["judgment_cell"]
    user = a["cell_user"][cell]
    eta = alpha[a["user_source"][user]] + v[user] + w[a["cell_annotator"][cell]]
    acc, rej = expit(eta), expit(-gap - eta)  # cutpoints -gap and 0
    p = np.stack([rej, 1 - acc - rej, acc], axis=1)[np.arange(len(eta)), a["judgment_label"]]
    np.testing.assert_allclose(ll, np.log(p).sum(), rtol=1e-9)


def _recovery_table(fit: Any, truth: dict) -> pd.DataFrame:
    """Truth vs 90% equal-tailed interval for the key parameters (scale anchored at c2 = 0)."""
    t1 = truth["stage1"]
    c1, c2 = t1["cutpoints"]
    model: ExtractionModel = fit.model
    sources = list(fit.data.coords["source"])
    rows = []
    lo, hi = eti(draws_of(fit.idata, "alpha"))
    rows += [("alpha - c2", s, t1["alpha"][s] - c2, lo[i], hi[i]) for i, s in enumerate(sources)]
    for v, true in (("gap", c2 - c1), ("sd_user", t1["sd_user"]), ("sd_annotator", t1["sd_annotator"])):
        lo, hi = eti(draws_of(fit.idata, v))
        rows.append((v, "", true, lo, hi))
    lo, hi = eti(draws_of(fit.idata, "w"))
    rows += [("w", k, t1["w"][k], lo[i], hi[i]) for i, k in enumerate(fit.data.coords["annotator"])]
    problem = 1 - model.population_shares(fit.idata)[..., 2]
    lo, hi = eti(problem)
    pop = t1["derived"]["label_shares_population"]
    rows += [("problematic share", s, 1 - pop[s]["accepted"], lo[i], hi[i]) for i, s in enumerate(sources)]
    gap = fit.summaries["gap"].set_index(["scope", "quantity"])
    # the gap's 90% interval from its draws: recompute as in summarize()
    n = np.asarray(fit.data.arrays["source_users"], float)
    real = fit.data.arrays["source_real"].astype(bool)
    d = (problem * n * real).sum(1) / (n * real).sum() - (problem * n * ~real).sum(1) / (n * ~real).sum()
    lo, hi = eti(d)
    rows.append(
        (
            "problematic gap (population)",
            "real - synthetic",
            t1["derived"]["problematic_gap_population"],
            lo,
            hi,
        )
    )
    assert gap.loc[("population", "real_minus_synthetic"), "mean"] == pytest.approx(d.mean())
    t = pd.DataFrame(rows, columns=["parameter", "which", "truth", "low90", "high90"])
    t["covered"] = (t["low90"] <= t["truth"]) & (t["truth"] <= t["high90"])
    return t


def _check_recovery(fit: Any, truth: dict, min_coverage: float) -> pd.DataFrame:
    t = _recovery_table(fit, truth)
    assert t["covered"].mean() >= min_coverage, f"90% intervals missed:\n{t[~t['covered']]}"
    assert t.loc[t["parameter"] == "problematic gap (population)", "covered"].all(), t
    return t


def test_recovery_small(extraction_small: Any, small_study: tuple[Any, dict]) -> None:
    """16 key parameters (4 source levels, cutpoint gap, 2 SDs, 3 annotator effects, 4 population problematic
    shares, the real-minus-synthetic gap): at least 80% inside their 90% intervals."""
    _check_recovery(extraction_small, small_study[1], 0.8)


def test_gap_summary(extraction_small: Any, small_study: tuple[Any, dict]) -> None:
    g = extraction_small.summaries["gap"].set_index(["scope", "quantity"])
    # the paper's number stays out of the model's summaries; the simulated study reproduces it
    assert "published" not in g.columns
    paper_gap = published.published("fig2.problematic_gap")
    assert paper_gap == pytest.approx(0.22)
    for scope in ("population", "sample"):
        row = g.loc[(scope, "real_minus_synthetic")]
        assert row["ci_low"] <= paper_gap <= row["ci_high"], (scope, row)
    assert (
        g.loc[("population", "real_minus_synthetic"), "p_positive"] > 0.95
    )  # 2 users per synthetic source at small size
    # the sample gap (expected share over the observed judgments) sits on the observed gap
    sample = g.loc[("sample", "real_minus_synthetic")]
    assert sample["ci_low"] <= sample["observed"] <= sample["ci_high"]
    truth = small_study[1]["stage1"]["derived"]["problematic_gap_sample"]
    assert sample["observed"] == pytest.approx(truth, abs=1e-6)
    s = extraction_small.summaries["sources"]
    assert set(s["quantity"]) == {
        "rejected_share",
        "uncertain_share",
        "accepted_share",
        "problematic_share",
        "alpha",
    }
    for name in ("sources", "gap", "parameters", "annotators", "users"):
        assert {"mean", "sd", "ci_low", "ci_high"} <= set(extraction_small.summaries[name].columns)


def test_ppc_function(extraction_small: Any) -> None:
    ppc = extraction_small.ppc(rng=0)
    assert {"check", "group", "observed", "rep_mean", "rep_sd", "rep_low", "rep_high", "p_value"} <= set(
        ppc.columns
    )
    assert {"accepted share", "problematic gap real - synthetic", "sd of users' problematic share",
            "share of attributes with unanimous labels"} <= set(ppc["check"])  # fmt: skip
    assert ppc["defined"].all() and ppc_misfits(ppc).empty, ppc_misfits(ppc)
    assert ppc["within_ci"].mean() > 0.9


@pytest.mark.slow
def test_recovery_full(extraction_full: Any, full_study: tuple[Any, dict]) -> None:
    assert extraction_full.diagnostics.ok, extraction_full.diagnostics.message
    _check_recovery(extraction_full, full_study[1], 0.8)
    ppc = extraction_full.ppc(rng=0)
    assert ppc["defined"].all() and ppc_misfits(ppc).empty, ppc_misfits(ppc)
