"""Non-Bayesian references for the judge-model family: Dawid-Skene and MACE (crowd-kit) on the same labels.

Both treat raters as conditionally independent given the true label (no shared item effect), so they show
what the judge model's conclusions would be without its dependence structure:

* **Dawid-Skene** (Dawid & Skene 1979): per-rater confusion matrices, fitted by EM;
* **MACE** (Hovy et al. 2013): each rater is either right or "spamming" from its own label distribution,
  fitted by variational EM (crowd-kit's default).

Each rater's sensitivity and specificity are scored against the method's own item posteriors ``p_i``
(:math:`\\text{sens}_r = \\sum_i p_i y_{ir} / \\sum_i p_i` over the items the rater labelled), the same
definition as :func:`toolkit.models.judge_variants.score_against`; prevalence is the mean of ``p_i``.

crowd-kit is a dev dependency: it is imported inside :func:`reference_estimates` only, which raises an
``ImportError`` naming the package when it is missing.

References
----------
Dawid, A. P. & Skene, A. M. (1979). Maximum likelihood estimation of observer error-rates using the EM
algorithm. *Applied Statistics* 28(1), 20-28.
Hovy, D., Berg-Kirkpatrick, T., Vaswani, A. & Hovy, E. (2013). Learning whom to trust with MACE. *NAACL-HLT*,
1120-1130.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from toolkit.models.interface import ModelData

__all__ = ["REFERENCE_METHODS", "reference_estimates"]

#: Methods of :func:`reference_estimates`.
REFERENCE_METHODS = ("dawid-skene", "mace")


def reference_estimates(
    data: ModelData, methods: Sequence[str] = REFERENCE_METHODS, *, seed: int = 0, mace_restarts: int = 3
) -> dict[str, pd.DataFrame]:
    """Prevalence and per-rater sensitivity / specificity by Dawid-Skene and MACE.

    Parameters
    ----------
    data : ModelData
        The judge model's data (:func:`toolkit.models.judge_data.prepare_labels`): ``labels`` (items x
        raters, -1 missing), ``rater_group``; coords ``rater``, ``group``.
    methods : sequence of str
        Among :data:`REFERENCE_METHODS`.
    seed : int
        Seed of MACE's random restarts.
    mace_restarts : int
        MACE's restarts (crowd-kit's default of 10 takes about a minute per 6,000 labels).

    Returns
    -------
    dict
        ``prevalence`` (method, prevalence, items), ``raters`` (method, rater, group, sens, spec, yes_rate)
        and ``groups`` (method, group, mean sens and spec over the group's raters).

    Raises
    ------
    ImportError
        When crowd-kit is not installed.

    Examples
    --------
    >>> from toolkit.models.interface import ModelData
    >>> rng = np.random.default_rng(0)
    >>> z = rng.random(400) < 0.3
    >>> y = np.where(z[:, None], rng.random((400, 3)) < 0.85, rng.random((400, 3)) < 0.1).astype(np.int8)
    >>> d = ModelData({"labels": y, "rater_group": np.zeros(3, int)}, {"rater": ["a", "b", "c"], "group": ["human"]})
    >>> t = reference_estimates(d, ["dawid-skene"])["prevalence"]
    >>> bool(abs(t["prevalence"].iloc[0] - z.mean()) < 0.06)
    True
    """
    try:
        from crowdkit.aggregation import MACE, DawidSkene
    except ImportError as exc:  # pragma: no cover - dev-only dependency
        raise ImportError("reference_estimates needs crowd-kit (pip install crowd-kit)") from exc
    unknown = sorted(set(methods) - set(REFERENCE_METHODS))
    if unknown:
        raise ValueError(f"unknown reference methods {unknown}; known: {REFERENCE_METHODS}")
    labels = np.asarray(data.arrays["labels"])
    raters = list(data.coords["rater"])
    groups = [data.coords["group"][g] for g in data.arrays["rater_group"]]
    ii, rr = np.nonzero(labels >= 0)
    long = pd.DataFrame({"task": ii, "worker": np.asarray(raters)[rr], "label": labels[ii, rr].astype(int)})
    seen = (labels >= 0).astype(float)
    yes = (labels == 1).astype(float)
    prev_rows, rater_rows = [], []
    for method in methods:
        agg = (
            DawidSkene(n_iter=200, tol=1e-6)
            if method == "dawid-skene"
            else MACE(n_restarts=mace_restarts, random_state=seed)
        )
        with warnings.catch_warnings():  # crowd-kit 1.4 uses pandas keywords deprecated in pandas 3
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            proba = agg.fit_predict_proba(long)
        p = (
            proba[1].reindex(range(labels.shape[0])).fillna(0.0).to_numpy()
            if 1 in proba
            else np.zeros(len(labels))
        )
        labelled = seen.any(1)
        prev_rows.append(
            {"method": method, "prevalence": float(p[labelled].mean()), "items": int(labelled.sum())}
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            sens = (p @ yes) / (p @ seen)
            spec = ((1 - p) @ (seen - yes)) / ((1 - p) @ seen)
        rate = yes.sum(0) / np.maximum(seen.sum(0), 1)
        for r, name in enumerate(raters):
            rater_rows.append(
                {
                    "method": method,
                    "rater": name,
                    "group": groups[r],
                    "sens": sens[r],
                    "spec": spec[r],
                    "yes_rate": rate[r],
                }
            )
    raters_t = pd.DataFrame(rater_rows)
    groups_t = raters_t.groupby(["method", "group"], sort=False, as_index=False)[["sens", "spec"]].mean()
    return {"prevalence": pd.DataFrame(prev_rows), "raters": raters_t, "groups": groups_t}
