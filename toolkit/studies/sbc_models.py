"""What simulation-based calibration needs from each model: a fixed design and the model's own data generator.

For every model of :mod:`toolkit.models` an adapter gives

* ``design_data(model, size_scale, design_seed)``: the structure of a reduced study (items, raters, prompts,
  cells, missingness), taken from a :mod:`toolkit.simulate` study of ``size_scale`` drawn at ``design_seed``
  and prepared by the model; it is the same in every replication (only parameters and observations change);
* ``simulate(params, data, rng)``: new observations for that structure from one parameter draw, by the
  model's *own* generative process (the same functions its posterior predictive checks use), as the
  :class:`~toolkit.models.interface.ModelData` the model is then fitted to.

The models integrate latent variables out of the likelihood (``pm.Potential``), so PyMC's prior predictive
cannot simulate their data; the generators here draw the latent variables explicitly:

* judge: latent relevance ``z`` and the item x group effects ``u``
  (:func:`~toolkit.models.judge_posterior.replicate_labels`), then the label patterns and cells are rebuilt;
  the judge-model family (:data:`JUDGE_VARIANT_ADAPTERS`) the same way, with each variant's drawn
  ``effect_scale`` and effect blocks;
* extraction: labels per judgment from the cell probabilities (:meth:`ExtractionModel.replicate`);
* rating: ordinal ratings (:func:`~toolkit.models.rating_posterior.replicate_ratings`);
* correlation: one latent quality ``Q`` per unit, the human ratings from the shared human parameters and
  every scorer's score from the same ``Q``. The model fits one submodel per scorer, each with its own copy
  of the human parameters; the submodels' posteriors are independent, and the data of submodel ``b`` are a
  draw from its prior predictive when its human parameters equal the drawn ones, so the drawn human
  parameters are the truth of every submodel.
"""

from __future__ import annotations

import importlib
import tempfile
from collections.abc import Callable, Mapping
from functools import lru_cache

import attrs
import numpy as np
import pandas as pd

from toolkit.dataset import Dataset, load_dataset
from toolkit.models.interface import Model, ModelData, get_model
from toolkit.simulate import SimulationConfig, simulate

__all__ = ["ADAPTERS", "JUDGE_VARIANT_ADAPTERS", "VARIANT_MODULES", "SBCAdapter", "design_data"]


@attrs.frozen
class SBCAdapter:
    """How SBC draws data for one model (see the module docstring)."""

    simulate: Callable[[Model, Mapping[str, np.ndarray], ModelData, np.random.Generator], ModelData]
    #: Free variables of the model whose prior draws are identical across submodels (correlation only).
    shared: tuple[str, ...] = ()


class _Draw:
    """A one-draw stand-in for an ArviZ posterior: ``obj["posterior"][var].values`` is ``(1, 1, *shape)``."""

    def __init__(self, params: Mapping[str, np.ndarray]) -> None:
        self._group = {k: _Values(np.asarray(v)[None, None]) for k, v in params.items()}

    def __getitem__(self, group: str) -> dict[str, _Values]:
        if group != "posterior":
            raise KeyError(group)
        return self._group


@attrs.frozen
class _Values:
    values: np.ndarray


@lru_cache(maxsize=8)
def _design_dataset(size_scale: float, design_seed: int) -> Dataset:
    """A simulated study of ``size_scale`` (independent draws) written once per process, as a Dataset."""
    study = simulate(SimulationConfig(size_scale=size_scale, balanced=False), seed=design_seed)
    folder = tempfile.mkdtemp(prefix="recenter-sbc-design-")
    study.write(folder, compress=False)
    return load_dataset(folder)


def _keep_scorers(data: ModelData, n_llm: int = 1, n_reward: int = 1) -> ModelData:
    """The correlation model's data with only the first ``n_llm`` LLM judges and ``n_reward`` reward models
    (each scorer is a submodel of its own, so fewer scorers test the same model at a fraction of the cost)."""
    scorers = data.tables["scorers"]
    keep = []
    for kind, n in (("llm", n_llm), ("reward_model", n_reward)):
        keep += [i for i, k in enumerate(scorers["kind"].astype(str)) if k == kind][:n]
    names = [data.coords["scorer"][i] for i in keep]
    arrays = dict(data.arrays)
    for key in ("x", "x_mask", "x_raw"):
        arrays[key] = arrays[key][:, keep]
    coords = {**data.coords, "scorer": names, "submodel": [data.coords["submodel"][0], *names]}
    tables = {**data.tables, "scorers": scorers.iloc[keep].reset_index(drop=True)}
    return ModelData(arrays=arrays, coords=coords, tables=tables)


def design_data(model: Model, size_scale: float, design_seed: int) -> ModelData:
    """The model's data prepared from the fixed reduced design (observations are replaced per replication).

    Examples
    --------
    >>> from toolkit.models import get_model
    >>> data = design_data(get_model("extraction"), 0.1, 1)
    >>> sorted(data.coords)
    ['annotator', 'source', 'user']
    """
    data = model.prepare(_design_dataset(float(size_scale), int(design_seed)))
    return _keep_scorers(data) if model.name == "correlation" else data


# ---------------------------------------------------------------------------------------------------- judge
def _simulate_judge(
    model: Model, params: Mapping[str, np.ndarray], data: ModelData, rng: np.random.Generator
) -> ModelData:
    from toolkit.models.judge_data import ITEM, prepare_labels
    from toolkit.models.judge_posterior import replicate_labels

    labels = replicate_labels(_Draw(params), data, rng, None)[0]
    items = data.tables["items"][ITEM]
    raters = list(data.coords["rater"])
    ii, ri = np.nonzero(labels >= 0)
    rel = (
        items.iloc[ii]
        .reset_index(drop=True)
        .assign(rater_id=[raters[r] for r in ri], relevant=labels[ii, ri].astype(bool))
    )
    groups = list(data.coords["group"])
    rater_table = pd.DataFrame({"rater_id": raters, "kind": [groups[g] for g in data.arrays["rater_group"]]})
    return prepare_labels(rel, rater_table, kinds=tuple(groups))


# ----------------------------------------------------------------------------------------------- extraction
def _simulate_extraction(
    model: Model, params: Mapping[str, np.ndarray], data: ModelData, rng: np.random.Generator
) -> ModelData:
    from toolkit.models.interface import hash_arrays

    labels = model.replicate(_Draw(params), data, rng)[0].astype(np.int8)  # type: ignore[attr-defined]
    arrays = dict(data.arrays)
    counts = np.zeros_like(arrays["cell_counts"])
    np.add.at(counts, (arrays["judgment_cell"], labels.astype(np.int64)), 1)
    arrays["cell_counts"], arrays["judgment_label"] = counts, labels
    return ModelData(arrays=arrays, coords=data.coords, hash=hash_arrays(arrays, data.coords), tables={})


# --------------------------------------------------------------------------------------------------- rating
def _simulate_rating(
    model: Model, params: Mapping[str, np.ndarray], data: ModelData, rng: np.random.Generator
) -> ModelData:
    from toolkit.models.rating_posterior import replicate_ratings

    # replicate_ratings gives ratings 1..5; the model's data code them 0..4
    y = (replicate_ratings(_Draw(params), data, rng, n_draws=1)[0] - 1).astype(data.arrays["y"].dtype)
    arrays = {**data.arrays, "y": y}
    return ModelData(arrays=arrays, coords=data.coords, tables={})


# ---------------------------------------------------------------------------------------------- correlation
def _simulate_correlation(
    model: Model, params: Mapping[str, np.ndarray], data: ModelData, rng: np.random.Generator
) -> ModelData:
    a = data.arrays
    n_units, n_annot = a["y"].shape
    n_scorers = a["x"].shape[1]
    mu, lam, sigma = (float(np.ravel(params[v])[0]) for v in ("mu", "loading", "sigma"))
    h = np.asarray(params["h"])[0] if "h" in params else np.zeros(n_annot)
    q = rng.standard_normal(n_units)
    y = mu + h[None, :] + lam * q[:, None] + sigma * rng.standard_normal((n_units, n_annot))
    y = np.where(a["y_mask"].astype(bool), y, 0.0)
    x = np.zeros((n_units, n_scorers))
    if n_scorers:
        nu, omega, rho = (np.asarray(params[v]) for v in ("nu", "omega", "rho"))
        xi = rng.standard_normal((n_units, n_scorers))
        x = nu[None, :] + omega[None, :] * (rho[None, :] * q[:, None] + np.sqrt(1.0 - rho[None, :] ** 2) * xi)
        x = np.where(a["x_mask"].astype(bool), x, 0.0)
    arrays = {**a, "y": y, "x": x, "x_raw": x.copy()}
    return ModelData(arrays=arrays, coords=data.coords, tables={})


# ------------------------------------------------------------------------------------- structural variants
def _simulate_rating_variant(
    model: Model, params: Mapping[str, np.ndarray], data: ModelData, rng: np.random.Generator
) -> ModelData:
    """Ratings of a rating-model variant (:mod:`toolkit.models.rating_variants`) from its own generator."""
    ratings = model.replicate(_Draw(params), data, rng, 1)[0]  # type: ignore[attr-defined]
    y = (ratings - 1).astype(data.arrays["y"].dtype)
    return ModelData(arrays={**data.arrays, "y": y}, coords=data.coords, tables={})


#: Modules defining the structural variants (imported before the registry is asked for them).
VARIANT_MODULES: dict[str, str] = {
    **dict.fromkeys(
        (
            "rating-thresholds",
            "rating-llm-shared",
            "rating-pooled-mention",
            "rating-clustered",
            "rating-full",
        ),
        "toolkit.models.rating_variants",
    ),
    **dict.fromkeys(
        ("extraction-attribute", "extraction-annotator-gap"), "toolkit.models.extraction_variants"
    ),
}

#: SBC adapters by model name.
ADAPTERS: dict[str, SBCAdapter] = {
    "judge": SBCAdapter(simulate=_simulate_judge),
    "extraction": SBCAdapter(simulate=_simulate_extraction),
    "rating": SBCAdapter(simulate=_simulate_rating),
    "correlation": SBCAdapter(simulate=_simulate_correlation, shared=("mu", "loading", "sigma", "h")),
    # the variants' replicate() draws their own latent structure (extraction: per-judgment probabilities)
    **{
        name: SBCAdapter(
            simulate=_simulate_rating_variant if name.startswith("rating") else _simulate_extraction
        )
        for name in VARIANT_MODULES
    },
}


# --------------------------------------------------------------------------------------- judge-model family
def _simulate_judge_variant(
    model: Model, params: Mapping[str, np.ndarray], data: ModelData, rng: np.random.Generator
) -> ModelData:
    """The judge generator for the family of :mod:`toolkit.models.judge_variants`: labels from the drawn
    ``effect_scale`` (per rater and class) and effect blocks; the one-block structure's block arrays are rebuilt
    and the human-only reference's scored (not modelled) labels are carried over unchanged."""
    from toolkit.models.judge_variants import one_block

    new = _simulate_judge(model, params, data, rng)
    if "rater_block" in data.arrays:
        new = one_block(new)
    if "scored_labels" in data.arrays:
        arrays = {**new.arrays, "scored_labels": data.arrays["scored_labels"]}
        coords = {**new.coords, "scored_rater": data.coords["scored_rater"]}
        new = ModelData(arrays=arrays, coords=coords, tables=new.tables)
    return new


#: SBC adapters of the judge-model family (:mod:`toolkit.models.judge_variants`, registered in
#: ``toolkit.models.MODEL_MODULES``); kept apart from :data:`ADAPTERS`.
JUDGE_VARIANT_ADAPTERS: dict[str, SBCAdapter] = {
    name: SBCAdapter(simulate=_simulate_judge_variant)
    for name in ("judge-one-effect", "judge-class-sd", "judge-loadings", "judge-rater-sd", "judge-human-ref")
}


def adapter(name: str) -> tuple[SBCAdapter, Callable[..., Model]]:
    """The adapter of model ``name`` and a factory of the model (``factory(**options)``)."""
    if name in JUDGE_VARIANT_ADAPTERS:
        return JUDGE_VARIANT_ADAPTERS[name], lambda **options: get_model(name, **options)
    if name not in ADAPTERS:
        raise KeyError(f"no SBC adapter for model {name!r}; known: {sorted(ADAPTERS)}")
    if name in VARIANT_MODULES:
        importlib.import_module(VARIANT_MODULES[name])
    return ADAPTERS[name], lambda **options: get_model(name, **options)
