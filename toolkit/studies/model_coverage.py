"""Coverage of the models' reported 95% intervals on independent simulated studies: ``coverage-judge``,
``coverage-extraction``, ``coverage-rating``, ``coverage-correlation``.

One replication, for seed ``s``: draw a whole study from :func:`toolkit.simulate.simulate` with independent
draws (``balanced=False``: full sampling variability, never the balanced draws) at a fixed truth (the
simulator's calibrated parameters; random effects are redrawn every time), optionally from a *misspecified*
generator (``misspecification``, see :class:`toolkit.simulate.SimulationConfig`), fit one model, and record,
for every reported quantity, its posterior mean, its 95% equal-tailed interval and the true value:

* judge: each rater's sensitivity and specificity, the LLM-minus-human difference of the group means of
  each, and the prevalence of the study's items (the mean of P(relevant) over its items, a finite-population
  quantity computed from the true intercept and prompt effects);
* extraction: each source's population problematic share and the real-minus-synthetic problematic gap;
* rating: each LLM judge's inflation and each rater group's explicit-mention effect (latent scale);
* correlation: the noise ceiling and each scorer's latent correlation with the human true score
  (:func:`toolkit.models.correlation.implied_correlations`).

Columns are ``est:<quantity>``, ``low:<quantity>``, ``high:<quantity>``, ``truth:<quantity>`` and the fit's
convergence. :func:`summarize` gives per quantity the coverage with its Wilson interval, bias and RMSE, and a
pooled row per quantity family. Under a misspecified generator some true values are defined by the
generator (e.g. a judge's effective inflation under judge-specific thresholds); the truths used are listed
in :func:`truths`.
"""

from __future__ import annotations

import math
import tempfile
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit

from toolkit.dataset import load_dataset
from toolkit.replication import Study, study_family
from toolkit.resampling import wilson_interval
from toolkit.simulate import SimulationConfig, simulate
from toolkit.vocabulary import HUMAN, LLM

__all__ = ["DESIGN", "STUDIES", "run", "summarize", "truths"]

#: Default design: a study a fifth of the paper's size, well specified, 2 chains x 500 draws.
DESIGN: dict[str, Any] = {
    "model": "judge",
    "misspecification": None,
    "size_scale": 0.2,
    "draws": 500,
    "tune": 500,
    "chains": 2,
}


def _eti(draws: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = np.quantile(draws, [0.025, 0.975], axis=0)
    return lo, hi


def _rows(family: str, labels: list[str], draws: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    draws = draws.reshape(draws.shape[0], -1)
    lo, hi = _eti(draws)
    out: dict[str, float] = {}
    for i, label in enumerate(labels):
        q = f"{family}[{label}]"
        out[f"est:{q}"], out[f"low:{q}"], out[f"high:{q}"] = (
            float(draws[:, i].mean()),
            float(lo[i]),
            float(hi[i]),
        )
        out[f"truth:{q}"] = float(truth[i])
    return out


def _judge(idata: Any, data: Any, truth: Mapping[str, Any]) -> dict[str, float]:
    from toolkit.models.summaries import draws_of

    t2 = truth["stage2"]
    raters = list(data.coords["rater"])
    groups = list(data.coords["group"])
    rg = np.asarray(data.arrays["rater_group"])
    out: dict[str, float] = {}
    for q, key in (("sens", "sensitivity"), ("spec", "specificity")):
        d = draws_of(idata, q)
        true = np.array([t2["raters"][r][key] for r in raters])
        out |= _rows(q, raters, d, true)
        h, llm = groups.index(HUMAN), groups.index(LLM)
        diff = d[:, rg == llm].mean(1) - d[:, rg == h].mean(1)
        out |= _rows(
            f"{q}_difference",
            ["llm - human"],
            diff,
            np.array([true[rg == llm].mean() - true[rg == h].mean()]),
        )
    item_prompt = data.arrays["item_prompt"]
    prompts = list(data.coords["prompt"])
    b_true = np.array([t2["b"][p] for p in prompts])
    prev_true = float(expit(t2["mu"] + b_true[item_prompt]).mean())
    prev = expit(draws_of(idata, "mu")[:, None] + draws_of(idata, "b")[:, item_prompt]).mean(1)
    return out | _rows("prevalence", ["items"], prev, np.array([prev_true]))


def _extraction(model: Any, idata: Any, data: Any, truth: Mapping[str, Any]) -> dict[str, float]:
    t1 = truth["stage1"]
    sources = list(data.coords["source"])
    problem = 1 - model.population_shares(idata)[..., 2]
    pop = t1["derived"]["label_shares_population"]
    out = _rows("problematic_share", sources, problem, np.array([1 - pop[s]["accepted"] for s in sources]))
    n = np.asarray(data.arrays["source_users"], float)
    real = data.arrays["source_real"].astype(bool)
    gap = (problem * n * real).sum(1) / (n * real).sum() - (problem * n * ~real).sum(1) / (n * ~real).sum()
    return out | _rows(
        "problematic_gap", ["real - synthetic"], gap, np.array([t1["derived"]["problematic_gap_population"]])
    )


def _rating(idata: Any, data: Any, truth: Mapping[str, Any]) -> dict[str, float]:
    from toolkit.models.rating_data import RatingData
    from toolkit.models.rating_posterior import RatingParameters

    d = RatingData.from_model_data(data)
    post = RatingParameters.from_idata(idata)
    true = RatingParameters.from_truth(truth["stage3"], d)
    inflation = np.asarray(true.gamma[0, 1:], float)
    effective = (truth.get("misspecification") or {}).get("gamma_effective")
    if effective:  # judge-specific thresholds: the inflation a shared-threshold model can estimate
        inflation = np.array([effective[j] for j in d.judges], float)
    out = _rows("inflation", list(d.judges), post.gamma[:, 1:], inflation)
    return out | _rows("mention_effect", list(d.raters), post.delta, np.asarray(true.delta[0], float))


def _correlation(idata: Any, data: Any, dataset: Any, truth: Mapping[str, Any]) -> dict[str, float]:
    from toolkit.models.correlation import implied_correlations, reliability_draws
    from toolkit.models.summaries import draws_of

    units = data.tables["units"]
    responses = dataset.frame("responses")
    gen_of = dict(zip(responses["response_id"], responses["generator"], strict=True))
    weights = units["personalized_response_id"].map(gen_of).value_counts(normalize=True).to_dict()
    k = int(data.arrays["k"])
    target = implied_correlations(truth["stage3"], generator_weights=weights, k=k)
    rel = reliability_draws(idata, k)
    scorers = list(data.coords["scorer"])
    out = _rows("ceiling", ["human"], rel["ceiling"][:, :1], np.array([target["ceiling"]]))
    return out | _rows(
        "latent_correlation", scorers, draws_of(idata, "rho"), np.array([target[s] for s in scorers])
    )


def truths(design: Mapping[str, Any]) -> str:
    """Which truth each quantity family is compared with (a sentence for the report)."""
    return {
        "judge": "sensitivity/specificity at item effect 0 (simulator parameters); prevalence over the study's items",
        "extraction": "population problematic shares and gap (simulator, by quadrature)",
        "rating": "inflation gamma_j (under judge-thresholds: gamma_j minus the judge's mean cutpoint shift) and mention effects delta",
        "correlation": "ceiling and latent correlations implied by the simulator (Monte Carlo, 200,000 units)",
    }[str(design["model"])]


def run(design: Mapping[str, Any], seed: int) -> dict[str, float]:
    """One replication: an independent simulated study, one model fit, estimate / interval / truth per quantity."""
    from toolkit.models.diagnostics import diagnose
    from toolkit.models.fitting import sample_model
    from toolkit.models.interface import FitSettings, get_model

    name = str(design["model"])
    config = SimulationConfig(
        size_scale=float(design["size_scale"]), balanced=False, misspecification=design["misspecification"]
    )
    study = simulate(config, seed=int(seed))
    with tempfile.TemporaryDirectory(prefix="recenter-coverage-") as folder:
        study.write(folder, compress=False)
        dataset = load_dataset(folder)
        model = get_model(name)
        data = model.prepare(dataset)
        settings = FitSettings(
            draws=int(design["draws"]), tune=int(design["tune"]), chains=int(design["chains"]),
            seed=int(seed), sampler="pymc", target_accept=float(model.default_target_accept),
        )  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            idata = sample_model(model, data, settings, cores=1)
        diag = diagnose(idata, model.diagnostic_vars(idata))
        truth = study.truth
        if name == "judge":
            out = _judge(idata, data, truth)
        elif name == "extraction":
            out = _extraction(model, idata, data, truth)
        elif name == "rating":
            out = _rating(idata, data, truth)
        else:
            out = _correlation(idata, data, dataset, truth)
    return {
        "max_r_hat": float(diag.max_r_hat),
        "divergences": float(diag.divergences),
        "converged": float(diag.ok),
    } | out


def summarize(results: pd.DataFrame, design: Mapping[str, Any]) -> pd.DataFrame:
    """Per quantity and pooled per family: coverage of the 95% interval (Wilson 95% interval), bias, RMSE.

    Examples
    --------
    >>> res = pd.DataFrame({"est:a[x]": [0.1, 0.2, 0.0], "low:a[x]": [0.0, 0.15, -0.1],
    ...                     "high:a[x]": [0.2, 0.3, 0.1], "truth:a[x]": [0.1, 0.1, 0.1]})
    >>> summarize(res, DESIGN)[["family", "quantity", "n", "coverage", "bias"]].round(3)
      family quantity  n  coverage  bias
    0      a     a[x]  3     0.667   0.0
    1      a    (all)  3     0.667   0.0
    """
    quantities = [c[4:] for c in results.columns if c.startswith("est:")]
    rows = []
    pooled: dict[str, list[np.ndarray]] = {}
    for q in quantities:
        est, lo, hi, tr = (results[f"{p}:{q}"].to_numpy(float) for p in ("est", "low", "high", "truth"))
        ok = np.isfinite(est) & np.isfinite(lo) & np.isfinite(hi) & np.isfinite(tr)
        family = q.split("[", 1)[0]
        pooled.setdefault(family, []).append(np.stack([est[ok], lo[ok], hi[ok], tr[ok]]))
        rows.append(_coverage_row(family, q, est[ok], lo[ok], hi[ok], tr[ok]))
    for family, parts in pooled.items():
        est, lo, hi, tr = np.concatenate(parts, axis=1)
        rows.append(_coverage_row(family, "(all)", est, lo, hi, tr))
    out = pd.DataFrame(rows).sort_values(
        ["family", "quantity"], kind="stable", key=lambda s: s.str.replace("(all)", "~", regex=False)
    )
    return out.assign(
        model=str(design["model"]), misspecification=str(design["misspecification"] or "none")
    ).reset_index(drop=True)


def _coverage_row(
    family: str, quantity: str, est: np.ndarray, lo: np.ndarray, hi: np.ndarray, tr: np.ndarray
) -> dict[str, Any]:
    n = int(est.size)
    covered = int(((lo <= tr) & (tr <= hi)).sum())
    c_lo, c_hi = wilson_interval(covered, n, 0.95)
    err = est - tr
    return {
        "family": family,
        "quantity": quantity,
        "n": n,
        "coverage": covered / n if n else math.nan,
        "coverage_low": c_lo,
        "coverage_high": c_hi,
        "bias": float(err.mean()) if n else math.nan,
        "rmse": float(np.sqrt((err**2).mean())) if n else math.nan,
        "mean_width": float((hi - lo).mean()) if n else math.nan,
        "miss_low": float((hi < tr).mean()) if n else math.nan,
        "miss_high": float((lo > tr).mean()) if n else math.nan,
    }


#: One coverage study per model, by registry name.
STUDIES: dict[str, Study] = study_family(
    "coverage",
    ("judge", "extraction", "rating", "correlation"),
    run,
    DESIGN,
    summarize=summarize,
    description="coverage of the {model} model's 95% intervals on independent (or misspecified) simulated studies",
)
STUDY_JUDGE = STUDIES["coverage-judge"]
STUDY_EXTRACTION = STUDIES["coverage-extraction"]
STUDY_RATING = STUDIES["coverage-rating"]
STUDY_CORRELATION = STUDIES["coverage-correlation"]
