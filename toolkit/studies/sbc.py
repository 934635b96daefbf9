"""Simulation-based calibration (SBC) of the Bayesian models: studies ``sbc-judge``, ``sbc-extraction``,
``sbc-rating``, ``sbc-correlation``.

One replication (Talts et al. 2018), for seed ``s``:

1. build the model on a fixed reduced design (:func:`toolkit.studies.sbc_models.design_data`);
2. draw every parameter once from the model's prior (``pm.sample_prior_predictive``, seed ``s``);
3. simulate data for the design from that draw with the model's own generative process
   (:mod:`toolkit.studies.sbc_models`);
4. fit the model to the data with NUTS (``chains`` x ``draws`` after ``tune``), exactly as
   :func:`toolkit.models.fit` samples (one BLAS thread, the model's initial values and target acceptance);
5. record, for every scalar of the model's monitored parameters (:meth:`Model.diagnostic_vars`), the rank of
   the true value among ``n_ranks`` posterior draws evenly thinned from all chains (column ``rank:<name>``),
   and the fit's convergence (max r-hat, min bulk / tail ESS, divergences).

If the posterior is computed correctly, every rank is uniform on ``0..n_ranks``;
:func:`toolkit.studies.rank_ecdf.sbc_verdicts` tests that with simultaneous ECDF bands (Säilynoja et al.
2022) and :func:`summarize` returns the verdict per parameter.

A deliberately wrong model. ``prior_shift = {"var": delta}`` adds ``delta`` to the drawn value of free
variable ``var`` before the data are simulated (deterministics are recomputed), so the truths come from a
prior shifted by ``delta`` while the fit keeps the model's own prior: SBC must flag it (the ranks of ``var``
pile up at the top for ``delta > 0`` as the posterior is pulled toward the fitted prior).

Why not ``simuk``. The ArviZ developers' ``simuk.SBC`` draws data with ``pm.sample_prior_predictive`` from
the model's observed variables. Three of the four models here have no observed variable: their latent
variables (relevance classes, item effects, the latent quality) are integrated out of a ``pm.Potential``,
so PyMC cannot simulate their data; and ``simuk`` runs its loop in one process, whereas each replication
here is a cached, independently seeded job of :func:`toolkit.replication.run_study` (local process pool or
a Dask cluster, resumable, identical results whatever the number of workers).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from toolkit.replication import Study, study_family
from toolkit.studies.rank_ecdf import RANK_PREFIX, sbc_verdicts
from toolkit.studies.sbc_models import adapter, design_data

__all__ = ["DESIGN", "STUDIES", "draw_parameters", "posterior_ranks", "run", "summarize"]

#: Default design: a study about a tenth of the paper's size; 2 chains x 300 draws (after 400 tuning steps),
#: thinned to 49 draws per rank (ranks 0..49), fewer than the effective sample size of most fits so the
#: ranks of one replication are not inflated by autocorrelation.
DESIGN: dict[str, Any] = {
    "model": "extraction",
    "options": {},
    "size_scale": 0.1,
    "design_seed": 1,
    "draws": 300,
    "tune": 400,
    "chains": 2,
    "target_accept": None,
    "n_ranks": 49,
    "prior_shift": {},
}


def _free_and_deterministic(pm_model: Any) -> tuple[list[str], list[str]]:
    free = [v.name for v in pm_model.free_RVs]
    det = [v.name for v in pm_model.deterministics]
    return free, det


def draw_parameters(
    model: Any,
    pm_model: Any,
    seed: int,
    *,
    shared: tuple[str, ...] = (),
    prior_shift: Mapping[str, float] | None = None,
) -> dict[str, np.ndarray]:
    """One draw of every free variable and deterministic of ``pm_model`` from its prior.

    Variables with an ordered transform are drawn from the prior restricted to increasing values (by
    rejection), which is the model's prior; PyMC's forward sampler alone would give unordered values.

    ``shared`` free variables with a leading submodel dimension take the first submodel's value in every
    submodel; ``prior_shift`` adds a constant to free variables. Deterministics are recomputed after either.
    """
    import pymc as pm
    import xarray as xr
    from pymc.distributions.transforms import Ordered

    free, det = _free_and_deterministic(pm_model)
    # An ordered transform restricts the prior to the ordered cone (e.g. the rating model's cutpoints), but
    # forward sampling ignores transforms and draws unordered values. The restricted prior is drawn by
    # rejection: the first of a batch of forward draws whose ordered variables are all increasing.
    ordered = [rv.name for rv in pm_model.free_RVs if isinstance(pm_model.rvs_to_transforms.get(rv), Ordered)]
    n_try = 400 if ordered else 1
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*Potential.*")
        prior = pm.sample_prior_predictive(draws=n_try, model=pm_model, var_names=free + det, random_seed=seed)
    group = prior["prior"]
    pick = 0
    if ordered:
        ok = np.ones(n_try, dtype=bool)
        for v in ordered:
            x = np.asarray(group[v].values)[0]
            ok &= (np.diff(x, axis=-1) > 0).reshape(n_try, -1).all(axis=1)
        if not ok.any():
            raise RuntimeError(f"no ordered prior draw of {ordered} in {n_try} tries")
        pick = int(np.argmax(ok))
    params = {v: np.asarray(group[v].values)[0, pick] for v in free + det}
    changed = False
    for v in shared:
        if v in params and np.ndim(params[v]) >= 1:
            params[v] = np.broadcast_to(params[v][:1], params[v].shape).copy()
            changed = True
    for v, delta in (prior_shift or {}).items():
        if v not in free:
            raise ValueError(
                f"prior_shift: {v!r} is not a free variable of the {model.name} model; free: {free}"
            )
        params[v] = params[v] + float(delta)
        changed = True
    if changed and det:
        ds = xr.Dataset({v: ((("chain", "draw") + group[v].dims[2:]), params[v][None, None]) for v in free})
        out = pm.compute_deterministics(ds, model=pm_model, var_names=det, progressbar=False)
        params.update({v: np.asarray(out[v].values)[0, 0] for v in det})
    return params


def posterior_ranks(
    idata: Any, names: list[str], truth: Mapping[str, np.ndarray], n_ranks: int
) -> dict[str, float]:
    """Rank of each true scalar among ``n_ranks`` posterior draws thinned evenly from all chains.

    A rank counts the draws strictly below the truth; a scalar equal to the truth in every draw (a constant)
    has no rank and is reported as NaN.
    """
    from toolkit.models.diagnostics import flat_labels

    out: dict[str, float] = {}
    for name in names:
        da = idata["posterior"][name]
        draws = np.asarray(da.values)
        n_chain, n_draw = draws.shape[:2]
        flat = draws.reshape(n_chain * n_draw, -1)
        # evenly spaced within each chain, so thinning follows every chain's own autocorrelation
        per_chain = math.ceil(n_ranks / n_chain)
        keep = np.concatenate(
            [c * n_draw + np.linspace(0, n_draw - 1, per_chain).round().astype(int) for c in range(n_chain)]
        )[:n_ranks]
        thinned = flat[keep]
        true = np.asarray(truth[name], dtype=float).reshape(-1)
        labels = flat_labels(da.isel(chain=0, draw=0, drop=True).rename(name))
        for j, label in enumerate(labels):
            col = thinned[:, j]
            if np.all(col == true[j]):
                out[RANK_PREFIX + label] = math.nan
            else:
                out[RANK_PREFIX + label] = float(np.sum(col < true[j]))
    return out


def run(design: Mapping[str, Any], seed: int) -> dict[str, float]:
    """One SBC replication (see the module docstring): ranks and convergence of one fit to prior-drawn data.

    Examples
    --------
    >>> out = run({**DESIGN, "draws": 50, "tune": 50, "chains": 2, "n_ranks": 19}, seed=1)  # doctest: +SKIP
    >>> 0 <= out["rank:gap"] <= 19  # doctest: +SKIP
    True
    """
    from toolkit.models.diagnostics import diagnose
    from toolkit.models.fitting import reproducible_compilation, sample_model
    from toolkit.models.interface import FitSettings

    sbc, factory = adapter(str(design["model"]))
    model = factory(**dict(design["options"]))
    base = design_data(model, float(design["size_scale"]), int(design["design_seed"]))
    seeds = np.random.SeedSequence([int(seed), 20221]).generate_state(3)
    with reproducible_compilation():  # the truths too must not depend on a cold or warm compile cache
        params = draw_parameters(
            model, model.build(base), int(seeds[0]), shared=sbc.shared, prior_shift=dict(design["prior_shift"])
        )
    data = sbc.simulate(model, params, base, np.random.default_rng(int(seeds[1])))
    target = design["target_accept"]
    settings = FitSettings(
        draws=int(design["draws"]),
        tune=int(design["tune"]),
        chains=int(design["chains"]),
        seed=int(seeds[2]),
        sampler="pymc",
        target_accept=float(target if target is not None else model.default_target_accept),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        idata = sample_model(model, data, settings, cores=1)
    names = model.diagnostic_vars(idata)
    diag = diagnose(idata, names)
    result: dict[str, float] = {
        "max_r_hat": float(diag.max_r_hat),
        "min_ess_bulk": float(diag.min_ess_bulk),
        "min_ess_tail": float(diag.min_ess_tail),
        "divergences": float(diag.divergences),
        "converged": float(diag.ok),
    }
    result.update(posterior_ranks(idata, names, params, int(design["n_ranks"])))
    return result


def summarize(results: pd.DataFrame, design: Mapping[str, Any]) -> pd.DataFrame:
    """Per parameter: the rank-ECDF verdict (:func:`~toolkit.studies.rank_ecdf.sbc_verdicts`), plus the shares
    of replications whose fit met the full convergence bar (which SBC's short chains rarely reach: ESS >= 400
    needs more than 600 draws), had max r-hat <= 1.01, and had any divergent transition.

    Examples
    --------
    >>> rng = np.random.default_rng(2)
    >>> res = pd.DataFrame({"rank:a": rng.integers(0, 20, 100), "converged": 1.0})
    >>> summarize(res, {**DESIGN, "n_ranks": 19})[["parameter", "inside", "converged_share"]]
      parameter  inside  converged_share
    0         a    True              1.0
    """
    out = sbc_verdicts(results, int(design["n_ranks"]))

    def share(col: str, test: Any) -> float:
        return float(test(results[col]).mean()) if col in results and len(results) else math.nan

    return out.assign(
        model=str(design["model"]),
        converged_share=share("converged", lambda c: c > 0),
        r_hat_ok_share=share("max_r_hat", lambda c: c <= 1.01),
        divergent_share=share("divergences", lambda c: c > 0),
    )


#: One SBC study per model, by registry name.
#: Version 2 of sbc-rating: the truths of the ordered cutpoints come from the ordered prior (version 1 drew
#: them unordered, which SBC itself exposed: the outer cutpoints' ranks piled up at the ends).
STUDIES: dict[str, Study] = study_family(
    "sbc",
    (
        "judge", "extraction", "rating", "correlation",
        # the structural variants (issue 12): the same machinery, each on its own prior and generator
        "judge-one-effect", "judge-class-sd", "judge-loadings", "judge-rater-sd", "judge-human-ref",
        "rating-thresholds", "rating-llm-shared", "rating-pooled-mention", "rating-clustered", "rating-full",
        "extraction-attribute", "extraction-annotator-gap",
    ),  # fmt: skip
    run,
    DESIGN,
    summarize=summarize,
    description="simulation-based calibration of the {model} model (prior draws, reduced design)",
    versions={"rating": "2"},
)
STUDY_JUDGE = STUDIES["sbc-judge"]
STUDY_EXTRACTION = STUDIES["sbc-extraction"]
STUDY_RATING = STUDIES["sbc-rating"]
STUDY_CORRELATION = STUDIES["sbc-correlation"]
