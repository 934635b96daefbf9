"""Prior predictive checks: do data simulated from a model's prior look like data this study could produce?

:func:`prior_predictive_check` draws parameters from a model's prior, simulates a data set of the observed
design from each draw, and compares summary statistics of the simulated data with the observed ones (one row
per statistic: the observed value, the prior predictive mean and 95% interval, and where the observed value
falls). Three of the models put their likelihood in a ``pm.Potential`` (latent classes, item effects or the
latent quality integrated out), so PyMC's own prior predictive cannot simulate their data; the simulation
uses the same generators as simulation-based calibration (:mod:`toolkit.studies.sbc_models`, one adapter per
model, the structural variants included). :func:`plot_prior_predictive` draws the table.

A prior that is sensible puts the observed statistics well inside the prior predictive range without
spreading over impossible data; an observed value in the outer 1% (``prior_quantile`` near 0 or 1) means the
prior all but rules out data like the study's.

Statistics (:func:`data_statistics`): judge model, each rater's YES rate, the human-majority YES rate and the
share of items on which the humans agree; extraction model (and variants), each label's share per source,
the accepted share per annotator and the share of attributes with unanimous labels; rating model (and
variants), :func:`~toolkit.models.rating_posterior.rating_statistics`; correlation model,
:func:`~toolkit.models.correlation.correlation_statistics`.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from toolkit.models.interface import Model, ModelData
from toolkit.models.summaries import CI_PROB
from toolkit.studies.sbc_models import adapter as sbc_adapter

__all__ = [
    "compare_statistics",
    "data_statistics",
    "plot_prior_predictive",
    "prior_draws",
    "prior_predictive_check",
]

_COLUMNS = [
    "check", "group", "observed", "prior_mean", "prior_sd", "prior_low", "prior_high", "prior_quantile",
    "within", "n_defined",
]  # fmt: skip


def _family(model: Model) -> str:
    name = model.name
    for family in ("judge", "extraction", "rating", "correlation"):
        if name == family or name.startswith(family + "-"):
            return family
    raise KeyError(f"no prior predictive statistics for model {name!r}")


def _extraction_statistics(data: ModelData) -> dict[tuple[str, str], float]:
    from toolkit.models.extraction import LABELS

    a = data.arrays
    y = np.asarray(a["judgment_label"])
    j_user = a["cell_user"][a["judgment_cell"]]
    j_source = a["user_source"][j_user]
    j_annot = a["cell_annotator"][a["judgment_cell"]]
    out: dict[tuple[str, str], float] = {}
    for si, source in enumerate(data.coords["source"]):
        sel = j_source == si
        for li, label in enumerate(LABELS):
            out[(f"{label}_share", str(source))] = float((y[sel] == li).mean()) if sel.any() else np.nan
    for k, annot in enumerate(data.coords["annotator"]):
        sel = j_annot == k
        out[("accepted_share", str(annot))] = float((y[sel] == 2).mean()) if sel.any() else np.nan
    attr = a["judgment_attribute"]
    n_attr = int(attr.max()) + 1
    lo, hi = np.full(n_attr, 9), np.full(n_attr, -1)
    np.minimum.at(lo, attr, y)
    np.maximum.at(hi, attr, y)
    multi = np.bincount(attr, minlength=n_attr) > 1
    out[("unanimous_share", "all")] = float((lo == hi)[multi].mean()) if multi.any() else np.nan
    return out


def _judge_statistics(data: ModelData) -> dict[tuple[str, str], float]:
    labels = np.asarray(data.arrays["labels"])
    groups = list(data.coords["group"])
    rater_group = np.asarray(data.arrays["rater_group"])
    out: dict[tuple[str, str], float] = {}
    for r, rater in enumerate(data.coords["rater"]):
        seen = labels[:, r] >= 0
        out[("yes_rate", str(rater))] = float(labels[seen, r].mean()) if seen.any() else np.nan
    if "human" in groups:
        hum = labels[:, rater_group == groups.index("human")]
        n = (hum >= 0).sum(1)
        yes = (hum == 1).sum(1)
        ok = n >= 2
        out[("majority_yes_rate", "human")] = float((yes[ok] * 2 > n[ok]).mean()) if ok.any() else np.nan
        out[("unanimous_share", "human")] = (
            float(((yes == n) | (yes == 0))[ok].mean()) if ok.any() else np.nan
        )
    return out


def data_statistics(model: Model, data: ModelData) -> dict[tuple[str, str], float]:
    """Summary statistics of one data set of ``model``'s kind, keyed by ``(check, group)`` (module docstring).

    Examples
    --------
    >>> from toolkit.models.extraction import ExtractionModel
    >>> data = ModelData(
    ...     arrays={"judgment_label": np.array([2, 2, 0, 1]), "judgment_cell": np.array([0, 1, 0, 1]),
    ...             "cell_user": np.array([0, 0]), "cell_annotator": np.array([0, 1]),
    ...             "user_source": np.array([0]), "judgment_attribute": np.array([0, 0, 1, 1])},
    ...     coords={"source": ["wildchat"], "annotator": ["h1", "h2"], "user": ["u"]})
    >>> stats = data_statistics(ExtractionModel(), data)
    >>> stats[("accepted_share", "wildchat")], stats[("unanimous_share", "all")]
    (0.5, 0.5)
    """
    family = _family(model)
    if family == "extraction":
        return _extraction_statistics(data)
    if family == "judge":
        return _judge_statistics(data)
    if family == "rating":
        from toolkit.models.rating_posterior import rating_statistics

        return rating_statistics(np.asarray(data.arrays["y"]) + 1, data)
    from toolkit.models.correlation import correlation_statistics

    stats = correlation_statistics(data.arrays["y"], data.arrays["x"], data)
    return {key: float(np.ravel(v)[0]) for key, v in stats.items()}


def prior_draws(
    model: Model, pm_model: Any, draws: int, seed: int, *, shared: tuple[str, ...] = ()
) -> list[dict[str, np.ndarray]]:
    """``draws`` joint draws of every free variable and deterministic from the model's prior.

    Ordered variables (the rating cutpoints) are drawn from the prior restricted to increasing values, by
    rejection from batches of forward draws, as :func:`toolkit.studies.sbc.draw_parameters` does for one draw;
    ``shared`` variables with a leading submodel axis take the first submodel's value (the correlation model's
    human parameters), and deterministics are then recomputed.
    """
    import pymc as pm
    import xarray as xr
    from pymc.distributions.transforms import Ordered

    free = [v.name for v in pm_model.free_RVs]
    det = [v.name for v in pm_model.deterministics]
    ordered = [rv.name for rv in pm_model.free_RVs if isinstance(pm_model.rvs_to_transforms.get(rv), Ordered)]
    kept: dict[str, list[np.ndarray]] = {v: [] for v in free + det}
    n_kept, batch, rnd = 0, draws * (20 if ordered else 1), 0
    while n_kept < draws:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*Potential.*")
            group = pm.sample_prior_predictive(
                draws=batch,
                model=pm_model,
                var_names=free + det,
                random_seed=int(np.random.SeedSequence([seed, rnd]).generate_state(1)[0]),
            )["prior"]
        ok = np.ones(batch, dtype=bool)
        for v in ordered:
            x = np.asarray(group[v].values)[0]
            ok &= (np.diff(x, axis=-1) > 0).reshape(batch, -1).all(axis=1)
        take = np.flatnonzero(ok)[: draws - n_kept]
        for v in kept:
            kept[v].append(np.asarray(group[v].values)[0, take])
        n_kept += take.size
        rnd += 1
        if rnd > 50:
            raise RuntimeError(f"{model.name}: too few ordered prior draws of {ordered}")
    arrays = {v: np.concatenate(parts)[:draws] for v, parts in kept.items()}
    shared = tuple(v for v in shared if v in arrays and arrays[v].ndim >= 2)
    if shared:
        for v in shared:
            arrays[v] = np.broadcast_to(arrays[v][:, :1], arrays[v].shape).copy()
        if det:
            dims = {v: group[v].dims[2:] for v in free}
            ds = xr.Dataset({v: (("chain", "draw", *dims[v]), arrays[v][None]) for v in free})
            out = pm.compute_deterministics(ds, model=pm_model, var_names=det, progressbar=False)
            arrays.update({v: np.asarray(out[v].values)[0] for v in det})
    return [{v: arrays[v][s] for v in arrays} for s in range(draws)]


def prior_predictive_check(
    model: Model, data: ModelData, draws: int = 100, seed: int = 0, *, prob: float = CI_PROB
) -> pd.DataFrame:
    """Observed statistics against data simulated from the prior (module docstring).

    Parameters
    ----------
    model : Model
        Any model with an SBC adapter (:func:`toolkit.studies.sbc_models.adapter`): judge, extraction,
        rating, correlation and their structural variants.
    data : ModelData
        The observed data, prepared by ``model`` (the design is kept, observations are simulated).
    draws : int
        Prior draws (one simulated data set each).
    seed : int
        Same seed, same numbers.
    prob : float
        Mass of the prior predictive interval.

    Returns
    -------
    DataFrame
        One row per statistic: ``check, group, observed, prior_mean, prior_sd, prior_low, prior_high,
        prior_quantile`` (share of simulated values below the observed one, ties counted half), ``within``
        (observed inside the interval) and ``n_defined`` (simulated data sets on which it is defined).
    """
    from toolkit.models.fitting import reproducible_compilation

    try:
        adapter, _ = sbc_adapter(model.name)
    except KeyError as exc:
        raise KeyError(f"no data generator for model {model.name!r} (toolkit.studies.sbc_models)") from exc
    with reproducible_compilation():
        params = prior_draws(model, model.build(data), draws, seed, shared=adapter.shared)
    rng = np.random.default_rng([seed, 1])
    observed = data_statistics(model, data)
    sims = []
    for p in params:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # constant simulated ratings: NaN Spearman
            sims.append(data_statistics(model, adapter.simulate(model, p, data, rng)))
    return compare_statistics(observed, sims, prob=prob)


def compare_statistics(
    observed: dict[tuple[str, str], float],
    simulated: list[dict[tuple[str, str], float]],
    *,
    prob: float = CI_PROB,
) -> pd.DataFrame:
    """The table of :func:`prior_predictive_check` from observed and simulated statistics.

    Examples
    --------
    >>> sims = [{("mean", "all"): float(v)} for v in range(100)]
    >>> t = compare_statistics({("mean", "all"): 120.0}, sims)
    >>> t[["prior_quantile", "within", "n_defined"]].values.tolist()
    [[1.0, False, 100]]
    """
    tail = (1.0 - prob) / 2.0
    rows = []
    for (check, group), obs in observed.items():
        vals = np.array([s.get((check, group), np.nan) for s in simulated], dtype=float)
        vals = vals[np.isfinite(vals)]
        if vals.size == 0 or not np.isfinite(obs):
            rows.append(
                dict(zip(_COLUMNS, [check, group, obs, *[np.nan] * 5, False, vals.size], strict=True))
            )
            continue
        low, high = np.quantile(vals, [tail, 1.0 - tail])
        quantile = float(((vals < obs).sum() + 0.5 * (vals == obs).sum()) / vals.size)
        values = [check, group, obs, vals.mean(), vals.std(), low, high, quantile, bool(low <= obs <= high)]
        rows.append(dict(zip(_COLUMNS, [*values, vals.size], strict=True)))
    return pd.DataFrame(rows, columns=_COLUMNS)


def plot_prior_predictive(table: pd.DataFrame, *, title: str = "", ax: Any = None) -> Any:
    """One line per statistic: the prior predictive interval (bar), its mean (tick) and the observed value
    (dot, red when outside the interval). Returns the matplotlib Figure.

    Examples
    --------
    >>> t = pd.DataFrame({"check": ["mean"], "group": ["human"], "observed": [3.2], "prior_mean": [3.0],
    ...                   "prior_low": [1.5], "prior_high": [4.5], "within": [True]})
    >>> fig = plot_prior_predictive(t, title="rating")
    >>> len(fig.axes)
    1
    """
    import matplotlib.pyplot as plt

    n = len(table)
    if ax is None:
        fig, ax = plt.subplots(figsize=(7.0, 0.25 * n + 1.2))
    else:
        fig = ax.figure
    ypos = np.arange(n)[::-1]
    ax.hlines(ypos, table["prior_low"], table["prior_high"], color="0.6", lw=3, label="prior predictive 95%")
    ax.plot(table["prior_mean"], ypos, "|", color="0.2", ms=8)
    colors = np.where(table["within"].astype(bool), "tab:blue", "tab:red")
    ax.scatter(table["observed"], ypos, c=colors, s=14, zorder=3, label="observed")
    ax.set_yticks(
        ypos, [f"{c} [{g}]" for c, g in zip(table["check"], table["group"], strict=True)], fontsize=7
    )
    ax.set_title(title or "prior predictive check")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
    fig.tight_layout()
    return fig
