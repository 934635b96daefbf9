r"""Alternative structures of the stage-3 rating model (:mod:`toolkit.models.rating`), one Model class each.

The default rating model gives all raters one set of cutpoints, no effect shared among the LLM judges, an
unpooled mention effect per rater group, and item (response) and cell effects but no user-prompt-pair effect.
Each variant here relaxes one of those assumptions (:data:`FEATURES`), keeping everything else of the default
model (priors, the judge-noise ``"scale"`` term, the non-centred sample-mean parameterisation):

``rating-thresholds`` (feature ``thresholds``)
    Judge-specific cutpoints, partially pooled around the shared (human) ones. Judge :math:`j`'s three gaps
    between adjacent cutpoints are the shared gaps times :math:`\exp(\sigma_{gap} z_{jc})`, with
    :math:`z_j \sim \text{ZeroSumNormal}(1)` over the gaps and :math:`\sigma_{gap} \sim N^+(0, 0.5^2)`, and the
    judge's cutpoints have the same mean as the shared ones. So order is guaranteed, a uniform shift of a
    judge's cutpoints stays its inflation :math:`\gamma_j`, a uniform widening stays its scale, and what is
    new is the *shape* of its scale use (e.g. a judge that avoids 1-2: a wide first gap).
``rating-llm-shared`` (``llm_shared``)
    A cell effect :math:`s_{ik} \sim N(0, \sigma_{llm}^2)`, :math:`\sigma_{llm} \sim N^+(0, 1)`, added to every
    LLM judge's latent value of cell :math:`(i, k)` (not the humans'): errors the LLM judges share.
``rating-pooled-mention`` (``pooled_mention``)
    The six mention effects partially pooled: :math:`\delta_r = \mu_\delta + \tau_\delta z_r`,
    :math:`\mu_\delta \sim N(0, 1)`, :math:`\tau_\delta \sim N^+(0, 0.5^2)` (non-centred).
``rating-clustered`` (``pair``)
    The stage-3 design's nesting: cells within responses (items, :math:`q_i`) within user-prompt pairs
    (the five generators' responses to one pair share :math:`p_{pair} \sim N(0, \sigma_{pair}^2)`,
    :math:`\sigma_{pair} \sim N^+(0, 1)`).
``rating-full``
    All four together.

Every variant's summaries (:func:`summarize_variant`) have the default model's tables (``generators``,
``judges``, ``mention``, ``parameters``, same definitions; a new cell integrates every random effect of the
variant, a judge's own cutpoints enter its derived ratings) and also ``mention_contrast``: each judge's
mention effect minus the humans', :math:`\delta_j - \delta_{human}`, on the latent and the rating scale,
with ``significant`` when the 95% interval excludes 0 (the question of Fig 6 asked against the humans rather
than against 0). The model-implied noise ceiling is in :mod:`toolkit.models.rating_ceiling`.

Every variant has :meth:`RatingVariantModel.pointwise_loglik` (one value per rating, dims ``chain, draw,
rating``) computed post hoc from the posterior, whose sum is the model's likelihood term.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
import numpy as np
import pandas as pd

from toolkit.models.interface import Model, ModelData, hash_arrays
from toolkit.models.rating_ceiling import ceiling_table
from toolkit.models.rating_data import CUTPOINT_LABELS, as_rating_data, prepare_rating_data
from toolkit.models.rating_posterior import (
    N_QUAD,
    RatingParameters,
    noise_sd_from_scale,
    rating_quantities,
    rating_statistics,
)
from toolkit.models.summaries import draws_of, expit, log_expit, ppc_row, summarize_samples

if TYPE_CHECKING:  # pragma: no cover
    import pymc as pm
    import xarray as xr

    from toolkit.dataset import Dataset

__all__ = [
    "FEATURES",
    "VARIANT_NAMES",
    "RatingClusteredModel",
    "RatingFullModel",
    "RatingLLMSharedModel",
    "RatingPooledMentionModel",
    "RatingThresholdsModel",
    "RatingVariantModel",
    "VariantParameters",
    "build_variant_model",
    "prepare_variant_data",
    "replicate_variant_ratings",
    "summarize_variant",
    "variant_loglik",
]

#: The structural features a variant can switch on (see the module docstring).
FEATURES = ("thresholds", "llm_shared", "pooled_mention", "pair")
GAP_LABELS = ("1|2-2|3", "2|3-3|4", "3|4-4|5")


# ------------------------------------------------------------------------------------------------------ data
def prepare_variant_data(dataset: Dataset) -> ModelData:
    """The rating model's data plus each item's user-prompt pair (``item_pair``, coordinate ``pair``).

    The pair of an item (personalized response) is its ``(user_id, prompt_id)`` in ``responses.jsonl``; a
    response without both is an error naming it.
    """
    data, tables = prepare_rating_data(dataset)
    responses = dataset.frame("responses").set_index("response_id")
    keys = []
    for item in data.items:
        row = responses.loc[item]
        if pd.isna(row["user_id"]) or pd.isna(row["prompt_id"]):
            raise ValueError(
                f"responses.jsonl: response {item!r}: user_id and prompt_id are needed for pairs"
            )
        keys.append(f"{row['user_id']}|{row['prompt_id']}")
    pairs = list(pd.unique(pd.Series(keys, dtype=object)))
    index = {p: n for n, p in enumerate(pairs)}
    md = data.to_model_data(tables)
    arrays = {**md.arrays, "item_pair": np.array([index[k] for k in keys], dtype=np.int64)}
    coords = {**md.coords, "pair": pairs}
    return ModelData(arrays=arrays, coords=coords, hash=hash_arrays(arrays, coords), tables=md.tables)


def _item_pair(data: ModelData) -> np.ndarray:
    if "item_pair" not in data.arrays:
        raise ValueError("the data have no item_pair array: prepare them with prepare_variant_data")
    return np.asarray(data.arrays["item_pair"], dtype=np.int64)


# ----------------------------------------------------------------------------------------------------- model
def build_variant_model(data: ModelData, features: frozenset[str], *, judge_noise: str = "scale") -> pm.Model:
    """The rating model with the given :data:`FEATURES` (module docstring); no feature = the default model.

    Parameterisation as :func:`toolkit.models.rating.build_rating_model` (random-effect families as sample
    mean + zero-sum deviations; the likelihood sees ``cutpoints_rel`` and ``inflation_rel``). New families
    (pairs, the LLM cell effect) follow the same scheme: the pair mean joins the cutpoints, the LLM cell mean
    joins every judge's inflation.
    """
    unknown = set(features) - set(FEATURES)
    if unknown:
        raise ValueError(f"unknown features {sorted(unknown)}; known: {FEATURES}")
    if judge_noise not in ("scale", "none"):
        raise ValueError(f"judge_noise must be 'scale' or 'none' in the variants, got {judge_noise!r}")
    import pymc as pm
    import pytensor.tensor as pt

    d = as_rating_data(data)
    n_judges, n_gen = len(d.judges), len(d.generators)
    n_annot, n_cells = len(d.annotators), len(d.cells)
    item_gen = d.item_generator
    n_g = np.maximum(np.bincount(item_gen, minlength=n_gen), 1).astype(float)
    llm = (d.rater > 0).astype(float)

    def family(name: str, sd: Any, n: int, dim: str) -> tuple[Any, Any]:
        u = pm.Normal(f"u_{name}", 0.0, 1.0)
        dev = sd * pm.ZeroSumNormal(f"z_{name}", sigma=1.0, dims=dim) if n > 1 else pt.zeros(1)
        return sd * u / np.sqrt(n), dev

    coords = {**d.coords(), "gap": list(GAP_LABELS)}
    if "pair" in features:
        coords["pair"] = list(data.coords["pair"])
    with pm.Model(coords=coords) as model:
        cut_rel = pm.Normal(
            "cutpoints_rel",
            mu=np.array([-2.0, -0.7, 0.7, 2.0]),
            sigma=2.0,
            transform=pm.distributions.transforms.ordered,
            initval=np.array([-2.0, -0.7, 0.7, 2.0]),
            dims="cutpoint",
        )
        gamma_rel = pm.Normal("inflation_rel", 0.0, 1.5, dims="judge")
        beta_rel = pm.ZeroSumNormal("beta_rel", sigma=1.0, dims="generator") if n_gen > 1 else pt.zeros(1)
        if "pooled_mention" in features:
            mu_d = pm.Normal("mu_delta", 0.0, 1.0)
            sd_d = pm.HalfNormal("sd_delta", 0.5)
            delta = pm.Deterministic(
                "delta", mu_d + sd_d * pm.Normal("z_delta", 0.0, 1.0, dims="rater"), dims="rater"
            )
        else:
            delta = pm.Normal("delta", 0.0, 1.0, dims="rater")
        sd_item = pm.HalfNormal("sd_item", 1.0)
        sd_attr = pm.HalfNormal("sd_attr", 1.0)
        sd_annot = pm.HalfNormal("sd_annot", 0.5)
        hbar, h_dev = family("annot", sd_annot, n_annot, "annotator")
        abar, a_dev = family("cell", sd_attr, n_cells, "cell")
        u_item = pm.Normal("u_item", 0.0, 1.0, dims="generator")
        z_item = pm.Normal("z_item", 0.0, 1.0, dims="item")
        zbar = pt.extra_ops.bincount(item_gen, weights=z_item, minlength=n_gen) / n_g
        q_dev = sd_item * (z_item - zbar[item_gen])
        qbar_g = sd_item * u_item / np.sqrt(n_g)
        qbar = qbar_g.mean()
        shift = hbar + qbar + abar  # what the likelihood cannot tell from the cutpoints
        eta = beta_rel[d.generator] + q_dev[d.item] + a_dev[d.cell] + delta[d.rater] * d.mention
        if "pair" in features:
            sd_pair = pm.HalfNormal("sd_pair", 1.0)
            pbar, p_dev = family("pair", sd_pair, len(coords["pair"]), "pair")
            pm.Deterministic("pair_effect", pbar + p_dev, dims="pair")
            eta = eta + p_dev[_item_pair(data)[d.item]]
            shift = shift + pbar
        gamma = gamma_rel + hbar
        if "llm_shared" in features:
            sd_llm = pm.HalfNormal("sd_llm_cell", 1.0)
            sbar, s_dev = family("llm_cell", sd_llm, n_cells, "cell")
            pm.Deterministic("llm_cell", sbar + s_dev, dims="cell")
            eta = eta + s_dev[d.cell] * llm
            gamma = gamma - sbar
        pm.Deterministic("beta", beta_rel - (qbar_g - qbar), dims="generator")
        pm.Deterministic("cutpoints", cut_rel + shift, dims="cutpoint")
        pm.Deterministic("gamma", gamma, dims="judge")
        pm.Deterministic("h", hbar + h_dev, dims="annotator")
        pm.Deterministic("q", qbar_g[item_gen] + q_dev, dims="item")
        pm.Deterministic("a", abar + a_dev, dims="cell")
        gamma_all = pt.concatenate([pt.zeros(1), gamma_rel])
        h_all = pt.concatenate([h_dev, pt.zeros(1)])
        eta = eta + gamma_all[d.rater] + h_all[d.annotator]
        cuts = cut_rel[None, :]
        if "thresholds" in features and n_judges:
            sd_gap = pm.HalfNormal("sd_gap", 0.5)
            z_gap = pm.ZeroSumNormal("z_gap", sigma=1.0, dims=("judge", "gap"), n_zerosum_axes=1)
            gaps = pt.exp(pt.log(pt.diff(cut_rel))[None, :] + sd_gap * z_gap)  # (J, 3)
            cum = pt.concatenate([pt.zeros((n_judges, 1)), pt.cumsum(gaps, axis=1)], axis=1)
            cut_j = cut_rel.mean() + cum - cum.mean(axis=1, keepdims=True)
            pm.Deterministic("judge_cutpoints", cut_j + shift, dims=("judge", "cutpoint"))
            cuts = pt.concatenate([cut_rel[None, :], cut_j], axis=0)[d.rater]
        if judge_noise == "scale" and n_judges:
            log_scale = pm.Normal("log_scale", 0.0, 0.75, dims="judge")
            pm.Deterministic("scale", pt.exp(log_scale), dims="judge")
            inv = pt.concatenate([pt.ones(1), pt.exp(-log_scale)])[d.rater]
            eta, cuts = eta * inv, cuts * inv[:, None]
        pm.OrderedLogistic("y", eta=eta, cutpoints=cuts, compute_p=False, observed=d.y)
    return model


# ------------------------------------------------------------------------------------------------- posterior
def _latent(idata: Any, data: ModelData, pick: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per draw and rating: the latent location and the cutpoints, both divided by the rater's scale.

    Returns ``eta`` (S, N) and ``cuts`` (S, N, 4) on the full (not ``_rel``) scale.
    """
    d = as_rating_data(data)
    post = idata["posterior"]

    def get(name: str) -> np.ndarray:
        x = draws_of(idata, name)
        return x if pick is None else x[pick]

    s = get("cutpoints").shape[0]
    gamma = np.concatenate([np.zeros((s, 1)), get("gamma")], axis=1)
    h = np.concatenate([get("h"), np.zeros((s, 1))], axis=1)
    eta = (
        get("beta")[:, d.generator]
        + gamma[:, d.rater]
        + get("delta")[:, d.rater] * d.mention
        + get("q")[:, d.item]
        + get("a")[:, d.cell]
        + h[:, d.annotator]
    )
    if "pair_effect" in post:
        eta = eta + get("pair_effect")[:, _item_pair(data)[d.item]]
    if "llm_cell" in post:
        eta = eta + get("llm_cell")[:, d.cell] * (d.rater > 0)
    cut = get("cutpoints")[:, None, :]
    if "judge_cutpoints" in post:
        cut = np.concatenate([cut, get("judge_cutpoints")], axis=1)[:, d.rater, :]
    else:
        cut = np.broadcast_to(cut, (s, d.n, 4))
    if "scale" in post:
        scale = np.concatenate([np.ones((s, 1)), get("scale")], axis=1)[:, d.rater]
        eta, cut = eta / scale, cut / scale[..., None]
    return eta, cut


def variant_loglik(idata: Any, data: ModelData) -> np.ndarray:
    """Log-likelihood of every rating under every posterior draw, shape (chain * draw, N)."""
    d = as_rating_data(data)
    eta, cut = _latent(idata, data)
    y = d.y
    lo = np.take_along_axis(cut, np.clip(y - 1, 0, 3)[None, :, None], axis=2)[..., 0] - eta
    hi = np.take_along_axis(cut, np.clip(y, 0, 3)[None, :, None], axis=2)[..., 0] - eta
    lo = np.where(y > 0, lo, -np.inf)
    hi = np.where(y < 4, hi, np.inf)
    # log(F(hi) - F(lo)) in the tail where it is accurate: F's lower tail when hi + lo < 0, else 1 - F's
    upper = hi + lo > 0
    a = np.where(upper, -lo, hi)
    b = np.where(upper, -hi, lo)
    with np.errstate(divide="ignore"):
        return log_expit(a) + np.log1p(-np.exp(log_expit(b) - log_expit(a)))


def replicate_variant_ratings(
    idata: Any, data: ModelData, rng: np.random.Generator, n_draws: int = 200
) -> np.ndarray:
    """Replicated ratings (1..5) of the observed design, shape (n_draws, N), from the posterior's effects."""
    d = as_rating_data(data)
    total = draws_of(idata, "cutpoints").shape[0]
    pick = rng.choice(total, size=min(n_draws, total), replace=False)
    eta, cut = _latent(idata, data, pick)
    u = rng.random((pick.size, d.n, 1))
    return 1 + (u > expit(cut - eta[..., None])).sum(axis=-1)


@attrs.frozen
class VariantParameters(RatingParameters):
    """:class:`~toolkit.models.rating_posterior.RatingParameters` with per-rater cutpoints and the variants'
    extra random effects, so :func:`~toolkit.models.rating_posterior.rating_quantities` applies.

    ``rater_cutpoints`` (S, R, 4): human first; ``sd_extra`` (S, R): the SD of the random effects a new cell
    adds beyond item and attribute (the pair effect for every rater, the LLM cell effect for judges).
    """

    rater_cutpoints: np.ndarray = None  # type: ignore[assignment]
    sd_extra: np.ndarray = None  # type: ignore[assignment]

    @classmethod
    def from_idata(cls, idata: Any) -> VariantParameters:
        base = RatingParameters.from_idata(idata)
        post = idata["posterior"]
        s, r = base.gamma.shape
        cut = np.broadcast_to(base.cutpoints[:, None, :], (s, r, 4)).copy()
        if "judge_cutpoints" in post:
            cut[:, 1:, :] = draws_of(idata, "judge_cutpoints")
        extra = np.zeros((s, r))
        if "sd_pair" in post:
            extra += draws_of(idata, "sd_pair")[:, None] ** 2
        if "sd_llm_cell" in post:
            extra[:, 1:] += draws_of(idata, "sd_llm_cell")[:, None] ** 2
        fields = {f.name: getattr(base, f.name) for f in attrs.fields(RatingParameters)}
        return cls(**fields, rater_cutpoints=cut, sd_extra=np.sqrt(extra))

    def category_probs(self) -> np.ndarray:
        """P(y = c) for a new cell, (S, R, G, 2, 5), with each rater's cutpoints and the extra effects."""
        x, w = np.polynomial.hermite_e.hermegauss(N_QUAD)
        w = w / w.sum()
        var = self.sd_item[:, None] ** 2 + self.sd_attr[:, None] ** 2 + self.sd_noise**2 + self.sd_extra**2
        m = np.array([0.0, 1.0])
        eta = (
            self.beta[:, None, :, None, None]
            + self.gamma[:, :, None, None, None]
            + self.delta[:, :, None, None, None] * m[None, None, None, :, None]
            + np.sqrt(var)[:, :, None, None, None] * x
        )  # (S, R, G, 2, Q)
        z = (self.rater_cutpoints[:, :, None, None, None, :] - eta[..., None]) / self.scale[
            :, :, None, None, None, None
        ]
        cum = np.einsum("srgmqk,q->srgmk", expit(z), w)
        pad = cum.shape[:-1] + (1,)
        return np.diff(np.concatenate([np.zeros(pad), cum, np.ones(pad)], axis=-1), axis=-1)


def _long(labels: Mapping[str, list[Any]], quantity: str, draws: np.ndarray) -> pd.DataFrame:
    table = summarize_samples(draws, dict(labels))
    table.insert(len(labels), "quantity", quantity)
    return table


def summarize_variant(idata: Any, data: ModelData) -> dict[str, pd.DataFrame]:
    """Tidy summaries of a variant: the default model's tables plus ``mention_contrast`` (module docstring).

    ``parameters`` also lists the variant's own parameters (``sd_gap``, ``sd_llm_cell``, ``sd_pair``,
    ``mu_delta``, ``sd_delta``, each judge's cutpoints) where they exist.
    """
    d = as_rating_data(data)
    p = VariantParameters.from_idata(idata)
    q = rating_quantities(p, d)
    post = idata["posterior"]
    gens, raters = {"generator": list(d.generators)}, {"rater_id": list(d.raters)}
    better_h = q["p_better_by_generator"][:, 0, :]
    generators = pd.concat(
        [
            _long(gens, "mean_rating", q["mean_rating_by_generator"][:, 0, :]),
            _long(gens, "p_better", better_h),
            _long(gens, "p_no_better", 1.0 - better_h),
            _long(gens, "beta", p.beta),
        ],
        ignore_index=True,
    )
    judges = pd.concat(
        [
            _long(raters, "inflation", p.gamma),
            _long(raters, "mean_rating", q["mean_rating"]),
            _long(raters, "mean_rating_shift", q["mean_rating"] - q["mean_rating"][:, :1]),
            _long(raters, "p_better", q["p_better"]),
            _long(raters, "scale", p.scale),
            _long(raters, "sd_judge_noise", noise_sd_from_scale(p.scale)),
        ],
        ignore_index=True,
    )
    mention = pd.concat(
        [
            _long({"rater": list(d.raters)}, "latent", p.delta),
            _long({"rater": list(d.raters)}, "rating", q["mention_effect_rating"]),
        ],
        ignore_index=True,
    )
    mention["significant"] = (mention["ci_low"] > 0) | (mention["ci_high"] < 0)
    rating_effect = q["mention_effect_rating"]
    contrast = pd.concat(
        [
            _long({"rater": list(d.judges)}, "latent", p.delta[:, 1:] - p.delta[:, :1]),
            _long({"rater": list(d.judges)}, "rating", rating_effect[:, 1:] - rating_effect[:, :1]),
        ],
        ignore_index=True,
    )
    contrast["significant"] = (contrast["ci_low"] > 0) | (contrast["ci_high"] < 0)
    rows = [
        _long({"parameter": [f"cutpoint[{c}]" for c in CUTPOINT_LABELS]}, "cutpoint", p.cutpoints),
        _long({"parameter": ["sd_item"]}, "sd", p.sd_item),
        _long({"parameter": ["sd_attr"]}, "sd", p.sd_attr),
        _long({"parameter": ["sd_annot"]}, "sd", p.sd_annot),
    ]
    for name, quantity in (("sd_gap", "sd"), ("sd_llm_cell", "sd"), ("sd_pair", "sd"), ("sd_delta", "sd")):
        if name in post:
            rows.append(_long({"parameter": [name]}, quantity, draws_of(idata, name)))
    if "mu_delta" in post:
        rows.append(_long({"parameter": ["mu_delta"]}, "mean", draws_of(idata, "mu_delta")))
    if "judge_cutpoints" in post:
        jc = draws_of(idata, "judge_cutpoints")
        labels = [f"cutpoint[{c}]:{j}" for j in d.judges for c in CUTPOINT_LABELS]
        rows.append(_long({"parameter": labels}, "judge_cutpoint", jc.reshape(jc.shape[0], -1)))
    parameters = pd.concat(rows, ignore_index=True)
    return {
        "ceiling": ceiling_table(p, data, n_cells=2000, n_draws=200),
        "generators": generators,
        "judges": judges,
        "mention": mention,
        "mention_contrast": contrast,
        "parameters": parameters,
    }


# ------------------------------------------------------------------------------------------- Model classes
@attrs.define
class RatingVariantModel(Model):
    """Base class of the rating-model variants; subclasses set ``name``, ``version`` and ``features``.

    Parameters
    ----------
    judge_noise : {"scale", "none"}
        Judge-specific noise as in :class:`~toolkit.models.rating.RatingModel` (default ``"scale"``).
    ppc_draws : int
        Posterior draws replicated by :meth:`ppc`.
    """

    features: ClassVar[frozenset[str]] = frozenset()
    records: ClassVar[tuple[str, ...]] = ("raters", "responses", "response_ratings")
    default_target_accept: ClassVar[float] = 0.9
    #: observation dimension of :meth:`pointwise_loglik`
    loglik_dim: ClassVar[str] = "rating"

    judge_noise: str = attrs.field(default="scale", validator=attrs.validators.in_(("scale", "none")))
    ppc_draws: int = 200

    def prepare(self, dataset: Dataset) -> ModelData:
        return prepare_variant_data(dataset)

    def build(self, data: ModelData) -> pm.Model:
        return build_variant_model(data, self.features, judge_noise=self.judge_noise)

    def summarize(self, idata: xr.DataTree, data: ModelData) -> dict[str, pd.DataFrame]:
        return summarize_variant(idata, data)

    def replicate(self, idata: Any, data: ModelData, rng: np.random.Generator, n_draws: int) -> np.ndarray:
        """Replicated ratings (1..5), (n_draws, N): see :func:`replicate_variant_ratings`."""
        return replicate_variant_ratings(idata, data, rng, n_draws)

    def ppc(self, idata: xr.DataTree, data: ModelData, rng: np.random.Generator) -> pd.DataFrame:
        """The default model's checks (:func:`~toolkit.models.rating_posterior.ppc_rating`) on this variant's
        replicated ratings."""
        return _ppc(self.replicate(idata, data, rng, self.ppc_draws), data)

    def diagnostic_vars(self, idata: xr.DataTree) -> list[str]:
        return list(idata["posterior"].data_vars)

    def pointwise_loglik(self, data: ModelData, posterior: Any) -> xr.DataArray:
        """Log-likelihood of each rating per posterior draw: dims ``(chain, draw, rating)``."""
        import xarray as xr

        post = posterior.to_dataset() if hasattr(posterior, "to_dataset") else posterior
        n_chain, n_draw = post.sizes["chain"], post.sizes["draw"]
        ll = variant_loglik({"posterior": post}, data).reshape(n_chain, n_draw, -1)
        return xr.DataArray(
            ll,
            dims=("chain", "draw", self.loglik_dim),
            coords={"chain": post["chain"].values, "draw": post["draw"].values},
            name="y",
        )


def _ppc(reps: np.ndarray, data: ModelData) -> pd.DataFrame:
    d = as_rating_data(data)
    observed = rating_statistics(d.y + 1, d)
    rep_stats = [rating_statistics(r, d) for r in reps]
    rows = []
    for (check, rater), obs in observed.items():
        vals = np.array([r.get((check, rater), np.nan) for r in rep_stats], dtype=float)
        rows.append(ppc_row(check, obs, vals, rater=rater))
    return pd.DataFrame(rows)


@attrs.define
class RatingThresholdsModel(RatingVariantModel):
    """Rating model with judge-specific cutpoints partially pooled around the shared ones (module docs)."""

    name: ClassVar[str] = "rating-thresholds"
    version: ClassVar[str] = "1"
    features: ClassVar[frozenset[str]] = frozenset({"thresholds"})


@attrs.define
class RatingLLMSharedModel(RatingVariantModel):
    """Rating model with a cell effect shared by all LLM judges (module docs)."""

    name: ClassVar[str] = "rating-llm-shared"
    version: ClassVar[str] = "1"
    features: ClassVar[frozenset[str]] = frozenset({"llm_shared"})


@attrs.define
class RatingPooledMentionModel(RatingVariantModel):
    """Rating model with the six mention effects partially pooled (module docs)."""

    name: ClassVar[str] = "rating-pooled-mention"
    version: ClassVar[str] = "1"
    features: ClassVar[frozenset[str]] = frozenset({"pooled_mention"})


@attrs.define
class RatingClusteredModel(RatingVariantModel):
    """Rating model with user-prompt-pair effects above the item and cell effects (module docs)."""

    name: ClassVar[str] = "rating-clustered"
    version: ClassVar[str] = "1"
    features: ClassVar[frozenset[str]] = frozenset({"pair"})


@attrs.define
class RatingFullModel(RatingVariantModel):
    """Rating model with every feature of :data:`FEATURES` (module docs)."""

    name: ClassVar[str] = "rating-full"
    version: ClassVar[str] = "1"
    features: ClassVar[frozenset[str]] = frozenset(FEATURES)


#: Registry names of the variants, in the order the sensitivity table shows them.
VARIANT_NAMES = (
    "rating-thresholds", "rating-llm-shared", "rating-pooled-mention", "rating-clustered", "rating-full",
)  # fmt: skip
