"""Pointwise log-likelihoods and PSIS-LOO for every model: :func:`add_log_likelihood`, :func:`loo`, :func:`compare`.

The models' likelihoods are ``pm.Potential`` terms (latent variables integrated out) or observed variables,
and the posterior cache stores no log-likelihood, so every model computes it *post hoc* from the posterior
draws: :meth:`Model.pointwise_loglik <toolkit.models.interface.Model.pointwise_loglik>` returns a DataArray
with dims ``("chain", "draw", model.loglik_dim)`` whose sum over the observation dim is the model's
log-likelihood term at every draw (checked in ``tests/toolkit/models/test_loo.py``). Sampling and cache keys
are untouched.

Observation units (``loglik_dim``)
----------------------------------
==============  ===================  ==============================================================================
model           ``loglik_dim``       one unit
==============  ===================  ==============================================================================
judge family    ``item``             all labels of one stage-2 item (true label and item effects integrated out)
extraction      ``judgment``         one attribute x annotator judgment
rating          ``rating``           one 1-5 rating (one cell by one rater)
correlation     ``submodel_unit``    one unit (response x attribute) in one scorer's submodel (its human ratings
                                     and that scorer's score)
==============  ===================  ==============================================================================

``loo`` and ``compare`` wrap :func:`arviz.loo` / :func:`arviz.compare` and return tidy frames with the
Pareto-k diagnostics: ``k_max`` and ``n_k_high``, the number of units with :math:`\\hat k > 0.7` (their
PSIS estimate is unreliable: refit without them, or use K-fold CV, before trusting a close ranking).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from toolkit.models.interface import Model, ModelData
from toolkit.models.summaries import as_dataset

__all__ = [
    "K_HIGH",
    "LOGLIK_VAR",
    "add_log_likelihood",
    "compare",
    "evaluate_draws",
    "loo",
    "pointwise_array",
    "potential_terms",
]

#: Name of the pointwise log-likelihood variable in the ``log_likelihood`` group.
LOGLIK_VAR = "loglik"

#: Pareto-k above which a unit's PSIS-LOO estimate is unreliable (Vehtari et al. 2024).
K_HIGH = 0.7


def pointwise_array(values: np.ndarray, posterior: Any, dim: str, labels: Sequence[Any] | None = None) -> Any:
    """A ``(chain, draw, dim)`` DataArray from flat draws ``(S, N)`` ordered like ``posterior``'s stacked
    ``(chain, draw)``.

    Examples
    --------
    >>> import xarray as xr
    >>> post = xr.Dataset({"a": (("chain", "draw"), np.zeros((2, 3)))})
    >>> pointwise_array(np.arange(12.0).reshape(6, 2), post, "item").dims
    ('chain', 'draw', 'item')
    """
    import xarray as xr

    n_chain, n_draw = posterior.sizes["chain"], posterior.sizes["draw"]
    values = np.asarray(values, dtype=float)
    if values.shape[0] != n_chain * n_draw:
        raise ValueError(f"{values.shape[0]} draws of the log-likelihood, posterior has {n_chain * n_draw}")
    coords = {"chain": posterior["chain"].values, "draw": posterior["draw"].values}
    if labels is not None:
        coords[dim] = list(labels)
    return xr.DataArray(values.reshape(n_chain, n_draw, -1), dims=("chain", "draw", dim), coords=coords)


def potential_terms(pm_model: Any, name: str) -> Any:
    """The summands of ``pm.Potential(name, pt.sum(terms))``: the PyTensor expression ``terms`` (not summed).

    Raises
    ------
    ValueError
        When the potential is not a full sum of one expression.
    """
    pot = next((v for v in pm_model.potentials if v.name == name), None)
    if pot is None:
        raise ValueError(
            f"the model has no potential {name!r}; potentials: {[v.name for v in pm_model.potentials]}"
        )
    node = pot.owner
    if node is None or type(node.op).__name__ != "Sum" or len(node.inputs) != 1:
        raise ValueError(f"potential {name!r} is not pt.sum(<terms>); write its pointwise terms explicitly")
    return node.inputs[0]


def evaluate_draws(pm_model: Any, expr: Any, posterior: Any) -> np.ndarray:
    """``expr`` (a PyTensor expression of ``pm_model``'s variables) at every posterior draw: ``(S, ...)``."""
    import pymc as pm

    from toolkit.models.fitting import reproducible_compilation

    with pm_model, reproducible_compilation():
        pm.Deterministic("__pointwise__", expr)
        out = pm.compute_deterministics(
            as_dataset(posterior),
            var_names=["__pointwise__"],
            model=pm_model,
            progressbar=False,
            compile_kwargs={"mode": "FAST_COMPILE"},  # one small graph: compiling it for speed costs more
        )
    v = np.asarray(out["__pointwise__"].values)
    return v.reshape(v.shape[0] * v.shape[1], *v.shape[2:])


def add_log_likelihood(fit_or_idata: Any, model: Model | None = None, data: ModelData | None = None) -> Any:
    """Put the model's pointwise log-likelihood in the DataTree's ``log_likelihood`` group (ArviZ convention).

    Parameters
    ----------
    fit_or_idata : FitResult or xarray.DataTree
        A fit (its ``model`` and ``data`` are used and its ``idata`` is updated) or a posterior.
    model, data : Model, ModelData
        Needed with a bare DataTree.

    Returns
    -------
    xarray.DataTree
        The DataTree, with ``log_likelihood["loglik"]`` (dims ``chain, draw, model.loglik_dim``).
    """
    import xarray as xr

    idata = getattr(fit_or_idata, "idata", fit_or_idata)
    model = model if model is not None else getattr(fit_or_idata, "model", None)
    if model is None:
        raise ValueError("add_log_likelihood needs the model (pass model= with a bare DataTree)")
    if data is None:
        if not hasattr(fit_or_idata, "data"):
            raise ValueError("add_log_likelihood needs the prepared data (pass data= with a bare DataTree)")
        data = fit_or_idata.data
    ll = model.pointwise_loglik(data, as_dataset(idata["posterior"]))
    ds = xr.Dataset({LOGLIK_VAR: ll})
    if isinstance(idata, xr.DataTree):
        idata["log_likelihood"] = xr.DataTree(dataset=ds)
    else:
        idata["log_likelihood"] = ds
    return idata


def loo(fit: Any, *, name: str | None = None) -> pd.DataFrame:
    """PSIS-LOO of one fit (adds the log-likelihood when missing): one row with ``elpd_loo, se, p_loo,
    n_units, k_max, n_k_high`` (units with Pareto k > :data:`K_HIGH`) and ``warning``."""
    import arviz as az

    idata = _with_loglik(fit)
    res = az.loo(idata, pointwise=True)
    k = np.asarray(res.pareto_k).ravel()
    return pd.DataFrame(
        [
            {
                "model": name or getattr(getattr(fit, "model", None), "name", ""),
                "elpd_loo": float(res.elpd),
                "se": float(res.se),
                "p_loo": float(res.p),
                "n_units": int(k.size),
                "k_max": float(np.nanmax(k)) if k.size else np.nan,
                "n_k_high": int((k > K_HIGH).sum()),
                "warning": bool(res.warning),
            }
        ]
    )


def compare(fits: Mapping[str, Any]) -> pd.DataFrame:
    """LOO comparison of fits to the same observations (:func:`arviz.compare`), best first.

    Columns: ``model, rank, elpd_loo, p_loo, elpd_diff, dse`` (standard error of the difference to the best),
    ``weight`` (stacking), ``n_k_high``, ``k_max``. Fits whose log-likelihoods have different units cannot be
    compared (ArviZ raises).
    """
    import arviz as az

    trees = {name: _with_loglik(f) for name, f in fits.items()}
    table = az.compare(trees)
    k_info = pd.concat([loo(f, name=n) for n, f in fits.items()]).set_index("model")
    out = table.reset_index().rename(columns={"index": "model", "elpd": "elpd_loo", "p": "p_loo"})
    keep = [c for c in ("model", "rank", "elpd_loo", "p_loo", "elpd_diff", "se", "dse", "weight") if c in out]
    out = out[keep]
    out["n_k_high"] = out["model"].map(k_info["n_k_high"]).astype(int)
    out["k_max"] = out["model"].map(k_info["k_max"])
    return out


def _with_loglik(fit: Any) -> Any:
    """The fit's DataTree, with its log-likelihood computed first when it has none."""
    idata = getattr(fit, "idata", fit)
    groups = idata.children if hasattr(idata, "children") else idata
    return idata if "log_likelihood" in groups else add_log_likelihood(fit)
