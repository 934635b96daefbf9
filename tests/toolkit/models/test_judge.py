"""Judge model (stage 2): the PyMC likelihood, parameter recovery and the cached fit."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.toolkit.models.conftest import SMALL_FIT, eti
from toolkit.models.fitting import fit
from toolkit.models.judge import JudgeModel
from toolkit.models.judge_posterior import quadrature
from toolkit.models.summaries import draws_of, ppc_misfits

HUMANS = ["human-1", "human-2", "human-3"]
LLMS = ["claude-sonnet-4.6", "gpt-5.4", "llama-3.3-70b", "qwen3.5-27b", "gemma-4-31b"]


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
    nodes, logw = quadrature(model.n_quad)
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
        lo99, hi99 = eti(diff, 0.995)
        rows.append((f"{q} llm - human", "", true, lo, hi, lo99, hi99))
    lo, hi = eti(draws_of(fit.idata, "sd_shared"))
    rows += [
        ("sd_shared", g, tr["sd_shared"][g], lo[i], hi[i]) for i, g in enumerate(fit.data.coords["group"])
    ]
    for v in ("mu", "sd_prompt"):
        lo, hi = eti(draws_of(fit.idata, v))
        rows.append((v, "", tr[v], lo, hi))
    rows = [r if len(r) == 7 else (*r, np.nan, np.nan) for r in rows]
    t = pd.DataFrame(rows, columns=["parameter", "which", "truth", "low90", "high90", "low995", "high995"])
    t["covered"] = (t["low90"] <= t["truth"]) & (t["truth"] <= t["high90"])
    t["covered995"] = (t["low995"] <= t["truth"]) & (t["truth"] <= t["high995"])
    return t


def _check_recovery(fit: Any, truth: dict, min_coverage: float) -> pd.DataFrame:
    t = _recovery_table(fit, truth)
    misses = t[~t["covered"]]
    assert t["covered"].mean() >= min_coverage, f"90% intervals missed:\n{misses}"
    # the headline contrasts must be recovered: inside their 99.5% interval (one independent draw misses a 90%
    # interval one time in ten; how often the 95% interval covers is the coverage-judge study's job)
    key = t[t["parameter"].isin(["sens llm - human", "spec llm - human"])]
    assert key["covered995"].all(), key
    return t


def test_recovery_small(judge_small: Any, small_study: tuple[Any, dict]) -> None:
    """22 key parameters (8 sensitivities, 8 specificities, 2 group differences, 2 shared SDs, mu, sd_prompt):
    at least 80% inside their 90% intervals (seed 11: all 22)."""
    _check_recovery(judge_small, small_study[1], 0.8)


@pytest.mark.filterwarnings("ignore::toolkit.models.diagnostics.ConvergenceWarning")
def test_cached_judge_fit_round_trips_every_table(
    judge_small: Any, small_study: tuple[Any, dict], model_cache: Any
) -> None:
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
    assert ppc["defined"].all() and ppc_misfits(ppc).empty, ppc_misfits(ppc)
