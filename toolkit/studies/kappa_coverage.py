"""The ``kappa-coverage`` study: does the 95% bootstrap interval of pairwise Cohen's kappa cover the truth?

Generative model (a latent-class model of two raters): each of ``n_items`` items is independently positive
with probability ``prevalence`` (pi), and rater r, given the item's class, says "positive" with probability
``sensitivity[r]`` (s_r) on a positive item and ``1 - specificity[r]`` (1 - c_r) on a negative one, the two
raters independently. Items are drawn independently (the number of positives varies between replications;
nothing is balanced). The population kappa is then known in closed form:

* marginal positive rates p_r = pi s_r + (1 - pi)(1 - c_r), chance agreement p_e = p_a p_b + (1 - p_a)(1 - p_b);
* the raters' covariance comes only through the class: P(both positive) - p_a p_b = pi (1 - pi) J_a J_b, with
  Youden's J_r = s_r + c_r - 1;
* observed minus chance agreement on a 2x2 table is twice that covariance, so
  kappa = 2 pi (1 - pi) J_a J_b / (1 - p_e).

Each replication draws a study from ``seed``, computes :func:`toolkit.agreement.pairwise_agreement`
(``metric="cohen_kappa"``, item bootstrap with ``n_boot`` resamples, percentile interval at ``ci``) and
returns ``estimate``, ``ci_low``, ``ci_high`` and ``covered`` (1 if the interval contains the population
kappa, 0 if not, NaN if kappa is undefined). :func:`summarize` reports coverage with its Wilson interval,
bias and RMSE (:func:`toolkit.studies.coverage_summary`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from toolkit.agreement import pairwise_agreement
from toolkit.replication import Study
from toolkit.studies.coverage import coverage_summary

__all__ = ["DESIGN", "STUDY", "draw", "population_kappa", "run", "summarize"]

#: The default design: 100 items, a 30% positive class, two raters of unequal accuracy (kappa 0.459).
DESIGN: dict[str, Any] = {
    "n_items": 100,
    "prevalence": 0.3,
    "sensitivity": [0.85, 0.8],
    "specificity": [0.9, 0.85],
    "n_boot": 1000,
    "ci": 0.95,
}


def population_kappa(design: Mapping[str, Any]) -> float:
    """Cohen's kappa of the design's two raters in the population (see the module docstring).

    Examples
    --------
    Perfect raters agree perfectly; a rater who ignores the item (J = 0) agrees only by chance:

    >>> round(population_kappa({"prevalence": 0.3, "sensitivity": [1, 1], "specificity": [1, 1]}), 12)
    1.0
    >>> population_kappa({"prevalence": 0.3, "sensitivity": [0.9, 0.4], "specificity": [0.9, 0.6]})
    0.0
    >>> round(population_kappa(DESIGN), 4)
    0.4593
    """
    pi = float(design["prevalence"])
    (s_a, s_b), (c_a, c_b) = design["sensitivity"], design["specificity"]
    p_a = pi * s_a + (1 - pi) * (1 - c_a)
    p_b = pi * s_b + (1 - pi) * (1 - c_b)
    p_e = p_a * p_b + (1 - p_a) * (1 - p_b)
    return float(2 * pi * (1 - pi) * (s_a + c_a - 1) * (s_b + c_b - 1) / (1 - p_e))


def draw(design: Mapping[str, Any], rng: np.random.Generator) -> pd.DataFrame:
    """One simulated study in long format (``item, rater, label``; raters ``"a"``, ``"b"``, labels 0/1).

    Examples
    --------
    >>> long = draw(DESIGN, np.random.default_rng(1))
    >>> long.shape, sorted(long["rater"].unique())
    ((200, 3), ['a', 'b'])
    """
    n = int(design["n_items"])
    positive = rng.random(n) < float(design["prevalence"])
    labels = []
    for s, c in zip(design["sensitivity"], design["specificity"], strict=True):
        p_yes = np.where(positive, float(s), 1.0 - float(c))
        labels.append((rng.random(n) < p_yes).astype(np.int64))
    return pd.DataFrame(
        {"item": np.tile(np.arange(n), 2), "rater": np.repeat(["a", "b"], n), "label": np.concatenate(labels)}
    )


def run(design: Mapping[str, Any], seed: int) -> dict[str, float]:
    """One replication: draw a study from ``seed``, estimate kappa with its bootstrap interval.

    Examples
    --------
    >>> out = run({**DESIGN, "n_boot": 200}, seed=1)
    >>> sorted(out)
    ['ci_high', 'ci_low', 'covered', 'estimate']
    >>> out["ci_low"] < out["estimate"] < out["ci_high"]
    True
    """
    rng = np.random.default_rng(seed)
    long = draw(design, rng)
    row = pairwise_agreement(
        long, item="item", rater="rater", label="label", metric="cohen_kappa", categories=[0, 1],
        n_boot=int(design["n_boot"]), ci=float(design["ci"]), seed=rng,
    ).iloc[0]  # fmt: skip
    estimate, low, high = float(row["value"]), float(row["ci_low"]), float(row["ci_high"])
    truth = population_kappa(design)
    defined = all(math.isfinite(v) for v in (estimate, low, high))
    covered = float(low <= truth <= high) if defined else math.nan
    return {"estimate": estimate, "ci_low": low, "ci_high": high, "covered": covered}


def summarize(results: pd.DataFrame, design: Mapping[str, Any]) -> pd.DataFrame:
    """Coverage (with its Wilson interval), bias and RMSE of the replications against the population kappa.

    Examples
    --------
    >>> res = pd.DataFrame([run({**DESIGN, "n_boot": 100}, seed) for seed in range(5)])
    >>> summarize(res, DESIGN)[["n_reps", "truth"]].round(4)
       n_reps   truth
    0       5  0.4593
    """
    return coverage_summary(results, population_kappa(design))


STUDY = Study(
    name="kappa-coverage",
    version="1",
    run=run,
    design=DESIGN,
    summarize=summarize,
    description="coverage of the 95% bootstrap interval of pairwise Cohen's kappa (two binary raters, known kappa)",
)
