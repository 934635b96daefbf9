r"""Prior sensitivity of headline quantities by power-scaling the prior and the likelihood (priorsense).

Power-scaling (Kallioinen, Paananen, Bürkner & Vehtari 2023, *Detecting and diagnosing prior and likelihood
sensitivity with power-scaling*, Statistics and Computing 34) raises the prior (or the likelihood) to a power
:math:`\alpha` near 1 and measures, by importance sampling on the existing posterior draws (Pareto-smoothed,
no refit), how far each quantity's posterior moves: the cumulative Jensen-Shannon distance per unit change
of :math:`\log_2 \alpha`. A quantity with prior sensitivity above 0.05 depends noticeably on the prior; above
0.05 for both prior and likelihood signals a prior-data conflict; a prior-sensitive quantity with low
likelihood sensitivity is determined by a strong prior or a weak likelihood.

:func:`power_scaling_sensitivity` does it for any fitted model of :mod:`toolkit.models`, with ArviZ's
``arviz_stats.psense_summary``:

* ``log_prior``: per draw, the log density of the top-level priors (:func:`top_level_priors`: hierarchical
  terms and non-centred auxiliaries are structure, not prior choices; or the ones named in ``prior_vars``),
  computed after sampling from the PyMC graph (:func:`log_prior_draws`), without Jacobians (the density of
  the parameters themselves), as priorsense recommends;
* ``log_likelihood``: the model's ``pointwise_loglik`` (the contract of :mod:`toolkit.models.interface`);
* headline quantities: any posterior variables and any derived draws passed in ``quantities``.

:func:`headline_quantities` gives the rating models' headline quantities (each judge's inflation and mention
contrast against the humans, the human mention effect).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from toolkit.models.interface import Model, ModelData
from toolkit.models.summaries import as_dataset

__all__ = [
    "SENSITIVITY_THRESHOLD",
    "headline_quantities",
    "log_prior_draws",
    "power_scaling_sensitivity",
    "top_level_priors",
]

#: The priorsense threshold of a noticeable sensitivity (cumulative JS distance per unit log2 alpha).
SENSITIVITY_THRESHOLD = 0.05


def top_level_priors(pm_model: Any) -> list[str]:
    """Free variables whose prior is a top-level one: no other free variable among its parameters, and not
    a non-centred standard-normal auxiliary (``z_*``, ``u_*``), whose density is part of a hierarchical
    structure rather than a prior choice."""
    from pytensor.graph.traversal import ancestors

    free = set(pm_model.free_RVs)
    out = []
    for rv in pm_model.free_RVs:
        parents = set(ancestors(rv.owner.inputs)) & free
        if not parents and not rv.name.startswith(("z_", "u_")):
            out.append(rv.name)
    return out


def log_prior_draws(pm_model: Any, posterior: Any, prior_vars: Sequence[str] | None = None) -> np.ndarray:
    """Log prior density of ``prior_vars`` (default: :func:`top_level_priors`) at each draw, (chain, draw).

    Evaluated on the constrained values stored in the posterior, without the transforms' Jacobians.
    """
    import pymc as pm

    post = as_dataset(posterior)
    rvs = list(pm_model.free_RVs)
    names = [rv.name for rv in rvs]
    chosen = list(prior_vars) if prior_vars is not None else top_level_priors(pm_model)
    unknown = sorted(set(chosen) - set(names))
    if unknown:
        raise ValueError(f"prior_vars {unknown} are not free variables of the model; free: {names}")
    terms = [pm.logp(rv, rv, warn_rvs=False).sum() for rv in rvs if rv.name in chosen]
    fn = pm_model.compile_fn(sum(terms), inputs=rvs, on_unused_input="ignore", point_fn=False)
    n_chain, n_draw = post.sizes["chain"], post.sizes["draw"]
    values = [np.asarray(post[n].values) for n in names]
    out = np.empty((n_chain, n_draw))
    for c in range(n_chain):
        for d in range(n_draw):
            out[c, d] = fn(*[v[c, d] for v in values])
    return out


def headline_quantities(idata: Any) -> dict[str, Any]:
    """The rating models' headline draws as DataArrays (chain, draw, ...): ``inflation`` (gamma per judge),
    ``mention_human`` (delta of the humans) and ``mention_contrast`` (delta_judge - delta_human per judge)."""
    post = as_dataset(idata["posterior"])
    delta = post["delta"]
    human = delta.isel(rater=0, drop=True)
    contrast = (delta.isel(rater=slice(1, None)) - human).rename(rater="judge")
    return {"inflation": post["gamma"], "mention_human": human, "mention_contrast": contrast}


def power_scaling_sensitivity(
    model: Model,
    idata: Any,
    data: ModelData,
    *,
    var_names: Sequence[str] | None = None,
    quantities: Mapping[str, np.ndarray] | None = None,
    prior_vars: Sequence[str] | None = None,
    threshold: float = SENSITIVITY_THRESHOLD,
) -> pd.DataFrame:
    """Prior and likelihood power-scaling sensitivity of posterior variables and derived quantities.

    Parameters
    ----------
    model : Model
        The fitted model (needs ``pointwise_loglik``).
    idata : DataTree
        Its posterior (``FitResult.idata``).
    data : ModelData
        The data it was fitted to (``FitResult.data``).
    var_names : sequence of str, optional
        Posterior variables to assess (default: none beyond ``quantities``; all when both are None).
    quantities : mapping of str to array, optional
        Derived draws, each a DataArray or array (chain, draw, ...) (e.g. :func:`headline_quantities`).
    prior_vars : sequence of str, optional
        Free variables whose priors are power-scaled (default: :func:`top_level_priors`).
    threshold : float
        The sensitivity above which a quantity is flagged.

    Returns
    -------
    DataFrame
        ``quantity`` (``name`` or ``name[label]``), ``prior``, ``likelihood`` (sensitivities), ``diagnosis``
        (priorsense's: prior-data conflict, strong prior / weak likelihood, or none), ``prior_sensitive``.
    """
    import arviz_stats
    import xarray as xr

    post = as_dataset(idata["posterior"])
    pm_model = model.build(data)
    log_prior = log_prior_draws(pm_model, post, prior_vars)
    loglik = model.pointwise_loglik(data, post)
    names = list(var_names) if var_names is not None else ([] if quantities else list(post.data_vars))
    sample = {"chain": post["chain"].values, "draw": post["draw"].values}
    chosen = {n: post[n] for n in names}
    for n, v in (quantities or {}).items():
        if not isinstance(v, xr.DataArray):
            v = np.asarray(v)
            v = xr.DataArray(v, dims=("chain", "draw", *[f"{n}_dim_{k}" for k in range(v.ndim - 2)]))
        chosen[n] = v.assign_coords(sample)
    tree = xr.DataTree.from_dict(
        {
            "posterior": xr.Dataset(chosen).assign_coords(sample),
            "log_prior": xr.Dataset({"prior": (("chain", "draw"), log_prior)}).assign_coords(sample),
            "log_likelihood": xr.Dataset(
                {"y": (("chain", "draw", "obs"), np.asarray(loglik.values))}
            ).assign_coords(sample),
        }
    )
    table = arviz_stats.psense_summary(tree, threshold=threshold, round_to=4)
    table = table.reset_index().rename(columns={"index": "quantity"})
    table["prior_sensitive"] = table["prior"] > threshold
    return table
