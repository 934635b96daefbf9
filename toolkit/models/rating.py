r"""Stage-3 rating model: a cumulative-logit mixed model of the 1-5 "personalized vs generic" ratings.

The model
---------
Rating :math:`n` is one 1-5 rating :math:`y_n` of one *cell* (attribute :math:`k` of item :math:`i`; an item is
the personalized/generic response pair of one user-prompt pair written by generator :math:`g = g[i]`) by one
rater: a human annotator :math:`a` or an LLM judge :math:`j`. With :math:`m_{ik} \in \{0, 1\}` whether the
personalized response explicitly mentions attribute :math:`k` (``Response.mentioned_attribute_ids``):

.. math::

    \eta_n &= \beta_{g} + \gamma_{j[n]} + \delta_{j[n]}\, m_{ik} + q_i + a_{ik} + h_{a[n]} \\
    \Pr(y_n \le c) &= \operatorname{logit}^{-1}\!\bigl((\kappa_c - \eta_n) / \sigma_{j[n]}\bigr),
        \qquad c = 1..4,\quad \kappa_1 < \kappa_2 < \kappa_3 < \kappa_4 \\
    q_i &\sim N(0, \tau_{item}^2), \qquad a_{ik} \sim N(0, \tau_{attr}^2), \qquad h_a \sim N(0, \tau_{annot}^2)

where the *rater group* :math:`j[n]` is ``human`` for every human annotator (the reference: :math:`\gamma_{human}
= 0`, :math:`\sigma_{human} = 1`) and the judge itself for an LLM judge (with :math:`h = 0`). So

* :math:`\beta_g` (sum-to-zero over generators) is the generator effect;
* :math:`\gamma_j` is LLM judge :math:`j`'s shift on the latent scale relative to a typical human
  (:math:`h = 0`): its **inflation** (Table 6);
* :math:`\delta_j` is rater group :math:`j`'s **explicit-mention effect** (humans and each LLM judge; Fig 6);
* :math:`\sigma_j` (``scale``) is judge :math:`j`'s latent noise scale relative to a human's.

Judge-specific noise. The simulator (and plausibly the real judges) add extra judge-specific noise
:math:`e_{jik} \sim N(0, s_j^2)` to :math:`\eta`. Without a term for it the model is misspecified: a noisy judge
agrees weakly with everyone, and a homoscedastic model can only express that by flattening the judge's
location parameters, so its :math:`\gamma_j, \delta_j` are attenuated towards 0. Three variants
(``judge_noise``):

``"scale"`` (default)
    Heteroscedastic (location-scale) cumulative logit: integrating :math:`e` out of the logistic link gives,
    very nearly, a logistic link with scale :math:`\sigma_j = \sqrt{1 + s_j^2 / 1.702^2}` (via
    :math:`\operatorname{logit}^{-1}(x) \approx \Phi(x / 1.702)`; exact at the median, so :math:`\gamma_j,
    \delta_j` keep their meaning). Identifiable because every cell has ratings from 3 humans (which pin
    :math:`q + a` on the human scale) and from each judge. The summaries report the implied
    :math:`s_j = 1.702 \sqrt{\sigma_j^2 - 1}` (0 when :math:`\sigma_j \le 1`).
``"latent"``
    The exact model: one non-centred latent :math:`e` per LLM rating (sd ``sd_judge_noise``). Slower (one
    extra parameter per LLM rating) and it samples worse for very noisy judges.
``"none"``
    No judge-specific noise (correct only when :math:`s_j = 0`).

Priors (latent logit scale): :math:`\kappa^{rel} \sim N((-2, -.7, .7, 2), 2^2)` ordered;
:math:`\beta^{rel} \sim \text{ZeroSumNormal}(1)`; :math:`\gamma^{rel}_j \sim N(0, 1.5^2)`;
:math:`\delta \sim N(0, 1)`; :math:`\tau_{item}, \tau_{attr} \sim N^+(0, 1)`; :math:`\tau_{annot} \sim
N^+(0, 0.5^2)`; :math:`\log\sigma_j \sim N(0, 0.75^2)`; :math:`s_j \sim N^+(0, 2^2)`. The ``rel`` quantities are
the ones the likelihood sees (see :func:`build_rating_model` for the parameterisation): the cutpoints relative to
the sample means of the random effects, the judge shifts relative to the mean of the observed annotator
panel, and the generator effects among the rated items. All random effects are non-centred.

Derived outputs (posterior draws of population quantities)
---------------------------------------------------------
For a *new* cell, :math:`q + a \sim N(0, \tau_{item}^2 + \tau_{attr}^2)` is integrated out by Gauss-Hermite
quadrature, with :math:`h = 0` (a typical human annotator), and the mention indicator is mixed at each
generator's observed mention rate:

* ``generators``: per generator, the expected rating by a typical human (Fig 5), :math:`\Pr(y > 3)`
  (``p_better``: the personalized response is rated better) and :math:`\Pr(y \le 3)` (``p_no_better``), and
  :math:`\beta_g` on the latent scale;
* ``judges``: per rater group, the inflation :math:`\gamma_j` and the implied mean rating averaged over the
  generators with their observed shares of cells (Table 6), its difference from the human mean, the noise
  scale;
* ``mention``: per rater group, :math:`\delta_j` and the expected rating with minus without a mention
  (averaged over the generator mix); ``significant`` = the interval excludes 0 (Fig 6).

Intervals are the project's equal-tailed :data:`toolkit.models.base.CI_PROB` intervals.

Validation (``tests/toolkit/models/test_rating.py``)
---------------------------------------------------
Parameter recovery on ``toolkit.simulate`` studies with known truth: the 90% intervals cover the true
inflations, generator effects, mention effects (latent and rating scale), cutpoints, random-effect sds,
per-generator human mean ratings and per-judge mean ratings, at full size both with the simulator's default
judge noise (sd 1-8) and with ``sd_judge_noise = 0``; the implied judge noise sd covers the truth (it runs
~5% high for the noisiest judges: the logistic-normal approximation) and its interval reaches 0 when there is
no judge noise. ``judge_noise="none"`` on the default simulator is badly misspecified: the two noisiest judges'
inflation falls below half its true value (intervals miss), the random-effect sds shrink and the fit does not
converge. ``judge_noise="latent"`` recovers the noise sd without bias but mixes poorly (bulk ESS ~150 for
``sd_judge_noise`` at 2 x 1000 draws). Posterior predictive checks (:func:`ppc_rating`): rating distribution,
mean and mention difference per rater group, each judge's Spearman with the human mean, and the human-human
Spearman are all reproduced (p > 0.7 on the bundled sample's design).

Sampling: about 31 leapfrog steps per draw; 2 chains x 1500 draws after 700 tuning steps give bulk ESS ~1,000
and max r-hat ~1.007 over ~1,200 scalars on the full-size sample (see ``benchmarks/models.py``). The worst
r-hat is always one of the 367 cell effects (a weakly identified, scale-type disagreement between chains); on
some simulated draws one reaches 1.010-1.011, and :func:`~toolkit.models.base.fit` then warns: use 2000 draws.

Literature: cumulative-logit (proportional-odds) models, McCullagh (1980) *Regression models for ordinal data*,
JRSS-B 42; Agresti (2010) *Analysis of Ordinal Categorical Data* (2nd ed.), ch. 3-5 and 10 (random effects);
ordinal mixed models for ratings with rater effects and the unequal-variance ("disc") extension, Bürkner &
Vuorre (2019) *Ordinal regression models in psychology: a tutorial*, AMPPS 2(1); location-scale ordinal models,
Tutz (2012) *Regression for Categorical Data*, ch. 9; LLM-as-a-judge biases, Zheng et al. (2023) *Judging
LLM-as-a-judge with MT-Bench and Chatbot Arena*; non-centred parameterisation, Papaspiliopoulos, Roberts &
Sköld (2007) and Betancourt & Girolami (2015).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
import numpy as np
import pandas as pd

from toolkit.models.base import CI_PROB, Model, ModelData, draws_of, ppc_row, summarize_samples

if TYPE_CHECKING:  # pragma: no cover
    import pymc as pm
    import xarray as xr

    from toolkit.dataset import Dataset

HUMAN = "human"
CATEGORIES = np.arange(1, 6)
JUDGE_NOISE = ("scale", "latent", "none")
CUTPOINT_LABELS = ("1|2", "2|3", "3|4", "4|5")
_N_QUAD = 32
_ARRAYS = (
    "y", "rater", "annotator", "item", "cell", "generator", "mention", "cell_item", "cell_generator",
    "cell_mention",
)  # fmt: skip


# ------------------------------------------------------------------------------------------------------ data
@attrs.frozen(eq=False)
class RatingData:
    """Arrays of the rating model: one entry per rating, plus per-cell arrays (see the module docstring).

    Attributes
    ----------
    y : int array
        Rating minus 1 (0..4).
    rater : int array
        Rater-group index into ``raters``: 0 = human, 1..J = LLM judge.
    annotator : int array
        Human annotator index into ``annotators``; ``len(annotators)`` (a dummy level, h = 0) for judges.
    item, cell, generator : int arrays
        Item (personalized response), cell (item x attribute) and generator index of each rating.
    mention : float array
        1.0 when the personalized response explicitly mentions the rated attribute.
    cell_item, cell_generator, cell_mention : arrays
        The same per cell.
    raters, judges, annotators, generators, items, cells : tuples of str
        Level names; ``raters = ("human", *judges)``; a cell is named ``"<item>|<attribute_id>"``.
    """

    y: np.ndarray
    rater: np.ndarray
    annotator: np.ndarray
    item: np.ndarray
    cell: np.ndarray
    generator: np.ndarray
    mention: np.ndarray
    cell_item: np.ndarray
    cell_generator: np.ndarray
    cell_mention: np.ndarray
    raters: tuple[str, ...]
    judges: tuple[str, ...]
    annotators: tuple[str, ...]
    generators: tuple[str, ...]
    items: tuple[str, ...]
    cells: tuple[str, ...]

    @property
    def n(self) -> int:
        return int(self.y.size)

    @property
    def item_generator(self) -> np.ndarray:
        out = np.zeros(len(self.items), dtype=np.int64)
        out[self.cell_item] = self.cell_generator
        return out

    def coords(self) -> dict[str, list[str]]:
        return {
            "generator": list(self.generators),
            "judge": list(self.judges),
            "rater": list(self.raters),
            "annotator": list(self.annotators),
            "item": list(self.items),
            "cell": list(self.cells),
            "cutpoint": list(CUTPOINT_LABELS),
        }

    def generator_weights(self) -> np.ndarray:
        """Share of cells per generator (the mix that judge-level averages use)."""
        counts = np.bincount(self.cell_generator, minlength=len(self.generators)).astype(float)
        return counts / counts.sum()

    def mention_rates(self) -> np.ndarray:
        """Per generator, the observed share of its cells whose attribute the personalized response mentions."""
        counts = np.bincount(self.cell_generator, minlength=len(self.generators)).astype(float)
        hits = np.bincount(self.cell_generator, weights=self.cell_mention, minlength=len(self.generators))
        return hits / np.maximum(counts, 1)

    def to_model_data(self, tables: dict[str, pd.DataFrame] | None = None) -> ModelData:
        coords = self.coords()
        coords["annotator_dummy"] = [*self.annotators, "(judge)"]
        return ModelData(
            arrays={k: getattr(self, k) for k in _ARRAYS}, coords=coords, tables=dict(tables or {})
        )

    @classmethod
    def from_model_data(cls, data: ModelData) -> RatingData:
        c = data.coords
        return cls(
            **{k: data.arrays[k] for k in _ARRAYS},
            raters=tuple(c["rater"]),
            judges=tuple(c["judge"]),
            annotators=tuple(c["annotator"]),
            generators=tuple(c["generator"]),
            items=tuple(c["item"]),
            cells=tuple(c["cell"]),
        )


def _as_rating_data(data: RatingData | ModelData) -> RatingData:
    return data if isinstance(data, RatingData) else RatingData.from_model_data(data)


def rater_kinds(dataset: Dataset, rater_ids: Any) -> dict[str, str]:
    """``rater_id -> kind`` from ``raters.jsonl`` when present, else ``human`` for ids starting with "human"."""
    kinds: dict[str, str] = {}
    if dataset.has("raters"):
        frame = dataset.frame("raters")
        kinds = dict(zip(frame["rater_id"], frame["kind"].astype(str), strict=True))
    out = {}
    for rid in pd.unique(pd.Series(list(rater_ids), dtype=object)):
        out[rid] = kinds.get(rid, "human" if str(rid).lower().startswith("human") else "llm")
    return out


def _rater_order(dataset: Dataset, ids: list[str]) -> list[str]:
    """``ids`` in the order of ``raters.jsonl`` (stable across subsets), unknown ones last."""
    if not dataset.has("raters"):
        return ids
    order = {r: n for n, r in enumerate(dataset.frame("raters")["rater_id"])}
    return sorted(ids, key=lambda r: (order.get(r, len(order)), r))


def mentioned(responses: pd.DataFrame, response_ids: Any, attribute_ids: Any) -> np.ndarray:
    """Whether each (personalized response, attribute) is an explicit mention.

    An attribute counts as mentioned when it is in the response's ``mentioned_attribute_ids``; when only
    ``mentions_attributes`` is coded, that flag applies to all its attributes; when neither is coded, not
    mentioned.
    """
    lookup = {}
    for rid, any_, ids in zip(
        responses["response_id"],
        responses["mentions_attributes"],
        responses["mentioned_attribute_ids"],
        strict=True,
    ):
        ids_ = frozenset(ids) if isinstance(ids, tuple | list) else None
        flag = bool(any_) if isinstance(any_, bool | np.bool_) else False
        lookup[rid] = (flag, ids_)
    out = []
    for rid, attr in zip(response_ids, attribute_ids, strict=True):
        flag, ids_ = lookup.get(rid, (False, None))
        out.append(attr in ids_ if ids_ is not None else flag)
    return np.asarray(out, dtype=bool)


def prepare_rating_data(dataset: Dataset) -> tuple[RatingData, dict[str, pd.DataFrame]]:
    """Stage-3 ratings of ``dataset`` as :class:`RatingData` (and a ``cells`` side table).

    Humans are raters of kind ``human`` (from ``raters.jsonl``; without it, ids starting with ``human``); raters
    of kind ``llm`` are LLM judges; response ratings by any other kind are an error. The generator of an item is
    the ``generator`` of its personalized response. Mentions: see :func:`mentioned`.
    """
    dataset.require("response_ratings", "responses", purpose="the stage-3 rating model")
    ratings = dataset.frame("response_ratings")
    responses = dataset.frame("responses")
    if ratings.empty:
        raise ValueError("the dataset has no response ratings")
    generator_of = dict(zip(responses["response_id"], responses["generator"], strict=True))
    missing = sorted(set(ratings["personalized_response_id"]) - set(generator_of))
    if missing:
        raise ValueError(f"{len(missing)} rated responses are not in responses.jsonl, e.g. {missing[:3]}")
    dup = ratings.duplicated(["personalized_response_id", "attribute_id", "rater_id"])
    if dup.any():
        raise ValueError(f"{int(dup.sum())} duplicated (response, attribute, rater) ratings")
    kinds = rater_kinds(dataset, ratings["rater_id"])
    bad = sorted(r for r, k in kinds.items() if k not in ("human", "llm"))
    if bad:
        raise ValueError(f"response ratings by raters that are neither human nor llm: {bad}")
    annotators = tuple(_rater_order(dataset, [r for r in kinds if kinds[r] == "human"]))
    judges = tuple(_rater_order(dataset, [r for r in kinds if kinds[r] == "llm"]))
    if not annotators:
        raise ValueError("the rating model needs human ratings (the reference rater group)")

    pid = ratings["personalized_response_id"].to_numpy(object)
    attr = ratings["attribute_id"].to_numpy(object)
    cell_codes, cell_uniques = pd.factorize(pd.MultiIndex.from_arrays([pid, attr]))
    cells = pd.DataFrame(
        {
            "item": cell_uniques.get_level_values(0).astype(object),
            "attribute_id": cell_uniques.get_level_values(1),
        }
    )
    cells["generator"] = [generator_of[i] for i in cells["item"]]
    cells["mention"] = mentioned(responses, cells["item"], cells["attribute_id"])
    items = tuple(pd.unique(cells["item"]))
    item_index = {it: n for n, it in enumerate(items)}
    generators = tuple(pd.unique(pd.Series([generator_of[i] for i in items], dtype=object)))
    gen_index = {g: n for n, g in enumerate(generators)}
    cell_item = np.array([item_index[i] for i in cells["item"]], dtype=np.int64)
    cell_generator = np.array([gen_index[g] for g in cells["generator"]], dtype=np.int64)
    cell_mention = cells["mention"].to_numpy(float)

    rid = ratings["rater_id"].to_numpy(object)
    judge_index = {j: n + 1 for n, j in enumerate(judges)}
    ann_index = {a: n for n, a in enumerate(annotators)}
    cell = cell_codes.astype(np.int64)
    data = RatingData(
        y=ratings["rating"].to_numpy(np.int64) - 1,
        rater=np.array([judge_index.get(r, 0) for r in rid], dtype=np.int64),
        annotator=np.array([ann_index.get(r, len(annotators)) for r in rid], dtype=np.int64),
        item=cell_item[cell],
        cell=cell,
        generator=cell_generator[cell],
        mention=cell_mention[cell],
        cell_item=cell_item,
        cell_generator=cell_generator,
        cell_mention=cell_mention,
        raters=(HUMAN, *judges),
        judges=judges,
        annotators=annotators,
        generators=generators,
        items=items,
        cells=tuple(f"{i}|{a}" for i, a in zip(cells["item"], cells["attribute_id"], strict=True)),
    )
    return data, {"cells": cells}


# ----------------------------------------------------------------------------------------------------- model
def build_rating_model(data: RatingData | ModelData, *, judge_noise: str = "scale") -> pm.Model:
    r"""The PyMC model of the module docstring.

    Parameters
    ----------
    data : RatingData or ModelData
    judge_noise : {"scale", "latent", "none"}
        How judge-specific extra noise is modelled (see the module docstring).

    Notes
    -----
    Parameterisation (exact, non-centred). Each random-effect family with :math:`n` levels is its sample
    mean plus zero-sum deviations, :math:`x_l = \bar x + \tau z_l`, :math:`z \sim \text{ZeroSumNormal}(1)`,
    :math:`\bar x = \tau u / \sqrt n`, :math:`u \sim N(0, 1)`: exactly :math:`n` iid :math:`N(0, \tau^2)`
    draws. Items are split this way within each generator. The likelihood sees the sample means only through
    ``cutpoints_rel`` :math:`= \kappa - \bar h - \bar q - \bar a` (:math:`\bar q` the mean over generators of
    the per-generator item means), ``inflation_rel`` :math:`= \gamma - \bar h` and ``beta_rel``
    :math:`= \beta_g + \bar q_g - \bar q`, so those are sampled and :math:`\kappa` (``cutpoints``),
    :math:`\gamma` (``gamma``) and :math:`\beta` (``beta``) are deterministic. This removes the ridges along
    which the cutpoints move with the mean of every random effect, every judge shift with the annotator panel
    mean, and each generator effect with the mean of its items, which otherwise cost most of the effective
    sample size (the sample means are then sampled from what is effectively their prior).
    """
    if judge_noise not in JUDGE_NOISE:
        raise ValueError(f"judge_noise must be one of {JUDGE_NOISE}, got {judge_noise!r}")
    import pymc as pm
    import pytensor.tensor as pt

    d = _as_rating_data(data)
    n_judges, n_gen = len(d.judges), len(d.generators)
    n_annot, n_cells = len(d.annotators), len(d.cells)
    item_gen = d.item_generator
    n_g = np.maximum(np.bincount(item_gen, minlength=n_gen), 1).astype(float)

    def family(name: str, sd: Any, n: int, dim: str) -> tuple[Any, Any]:
        """(sample mean, zero-sum deviations) of n iid N(0, sd^2) effects, non-centred."""
        u = pm.Normal(f"u_{name}", 0.0, 1.0)
        dev = sd * pm.ZeroSumNormal(f"z_{name}", sigma=1.0, dims=dim) if n > 1 else pt.zeros(1)
        return sd * u / np.sqrt(n), dev

    with pm.Model(coords=d.coords()) as model:
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
        delta = pm.Normal("delta", 0.0, 1.0, dims="rater")
        sd_item = pm.HalfNormal("sd_item", 1.0)
        sd_attr = pm.HalfNormal("sd_attr", 1.0)
        sd_annot = pm.HalfNormal("sd_annot", 0.5)
        # non-centred even for the annotators (who rate every cell): with 3 of them sd_annot is barely
        # identified, and centred deviations diverge in the funnel at small sd_annot
        hbar, h_dev = family("annot", sd_annot, n_annot, "annotator")
        abar, a_dev = family("cell", sd_attr, n_cells, "cell")
        # items: per-generator sample means (u_item) + deviations within each generator
        u_item = pm.Normal("u_item", 0.0, 1.0, dims="generator")
        z_item = pm.Normal("z_item", 0.0, 1.0, dims="item")
        zbar = pt.extra_ops.bincount(item_gen, weights=z_item, minlength=n_gen) / n_g
        q_dev = sd_item * (z_item - zbar[item_gen])
        qbar_g = sd_item * u_item / np.sqrt(n_g)
        qbar = qbar_g.mean()
        pm.Deterministic("beta", beta_rel - (qbar_g - qbar), dims="generator")
        pm.Deterministic("cutpoints", cut_rel + hbar + qbar + abar, dims="cutpoint")
        pm.Deterministic("gamma", gamma_rel + hbar, dims="judge")
        pm.Deterministic("h", hbar + h_dev, dims="annotator")
        pm.Deterministic("q", qbar_g[item_gen] + q_dev, dims="item")
        pm.Deterministic("a", abar + a_dev, dims="cell")

        gamma_all = pt.concatenate([pt.zeros(1), gamma_rel])
        h_all = pt.concatenate([h_dev, pt.zeros(1)])
        # eta - (hbar + qbar + abar), to be compared with cutpoints_rel
        eta = (
            beta_rel[d.generator]
            + q_dev[d.item]
            + a_dev[d.cell]
            + gamma_all[d.rater]
            + delta[d.rater] * d.mention
            + h_all[d.annotator]
        )
        if judge_noise == "scale" and n_judges:
            log_scale = pm.Normal("log_scale", 0.0, 0.75, dims="judge")
            pm.Deterministic("scale", pt.exp(log_scale), dims="judge")
            inv = pt.concatenate([pt.ones(1), pt.exp(-log_scale)])[d.rater]
            pm.OrderedLogistic(
                "y", eta=eta * inv, cutpoints=cut_rel[None, :] * inv[:, None], compute_p=False, observed=d.y
            )
        else:
            if judge_noise == "latent" and n_judges:
                llm = np.flatnonzero(d.rater > 0)
                model.add_coord("llm_rating", np.arange(llm.size))
                sd_e = pm.HalfNormal("sd_judge_noise", 2.0, dims="judge")
                z_e = pm.Normal("z_judge_noise", 0.0, 1.0, dims="llm_rating")
                eta = pt.inc_subtensor(eta[llm], sd_e[d.rater[llm] - 1] * z_e)
            pm.OrderedLogistic("y", eta=eta, cutpoints=cut_rel, compute_p=False, observed=d.y)
    return model


# ------------------------------------------------------------------------------------------------- posterior
def judge_noise_of(idata: Any) -> str:
    """Which ``judge_noise`` variant a posterior comes from."""
    post = idata["posterior"]
    if "log_scale" in post:
        return "scale"
    if "sd_judge_noise" in post:
        return "latent"
    return "none"


#: logistic(x) ~ Phi(x / 1.702) (Camilli 1994): the normal sd that best matches the unit logistic CDF
LOGISTIC_PROBIT = 1.702


def noise_sd_from_scale(scale: np.ndarray) -> np.ndarray:
    r"""Extra normal noise sd implied by a judge's logistic scale: ``1.702 sqrt(scale^2 - 1)`` (0 below 1).

    With the logistic link approximated by a normal CDF of sd 1.702, :math:`e \sim N(0, s^2)` added to the
    latent makes the link a normal CDF of sd :math:`\sqrt{1.702^2 + s^2}`, which a logistic of scale
    :math:`\sigma` matches when :math:`1.702\,\sigma = \sqrt{1.702^2 + s^2}`. (Matching variances instead,
    :math:`\pi/\sqrt3` for 1.702, overstates :math:`s` by 6% for very noisy judges.)
    """
    return LOGISTIC_PROBIT * np.sqrt(np.clip(np.asarray(scale, float) ** 2 - 1.0, 0.0, None))


@attrs.frozen
class RatingParameters:
    """Population-level parameters, one row per posterior draw (or a single row for a ground truth).

    Rater-group arrays have the human group first (``gamma`` 0, ``scale`` 1, ``sd_noise`` 0 for humans).
    ``scale`` is the logistic scale of the ``"scale"`` variant; ``sd_noise`` the normal noise sd of the
    ``"latent"`` variant (or of a ground truth), integrated out exactly by quadrature.
    """

    cutpoints: np.ndarray  # (S, 4)
    beta: np.ndarray  # (S, G)
    gamma: np.ndarray  # (S, R)
    delta: np.ndarray  # (S, R)
    sd_item: np.ndarray  # (S,)
    sd_attr: np.ndarray  # (S,)
    sd_annot: np.ndarray  # (S,)
    scale: np.ndarray  # (S, R)
    sd_noise: np.ndarray  # (S, R)

    @classmethod
    def from_idata(cls, idata: Any) -> RatingParameters:
        cut = draws_of(idata, "cutpoints")
        s = cut.shape[0]
        gamma = draws_of(idata, "gamma")
        noise = judge_noise_of(idata)
        scale = np.ones((s, 1 + gamma.shape[1]))
        sd_noise = np.zeros_like(scale)
        if noise == "scale":
            scale[:, 1:] = draws_of(idata, "scale")
        elif noise == "latent":
            sd_noise[:, 1:] = draws_of(idata, "sd_judge_noise")
        return cls(
            cutpoints=cut,
            beta=draws_of(idata, "beta"),
            gamma=np.concatenate([np.zeros((s, 1)), gamma], axis=1),
            delta=draws_of(idata, "delta"),
            sd_item=draws_of(idata, "sd_item"),
            sd_attr=draws_of(idata, "sd_attr"),
            sd_annot=draws_of(idata, "sd_annot"),
            scale=scale,
            sd_noise=sd_noise,
        )

    @classmethod
    def from_truth(cls, stage3: Mapping[str, Any], data: RatingData | ModelData) -> RatingParameters:
        """The simulator's ground truth (``truth["stage3"]``) in this parameterisation (generators centred)."""
        d = _as_rating_data(data)
        beta = np.array([stage3["beta"][g] for g in d.generators], dtype=float)
        groups = [HUMAN, *d.judges]
        noise = stage3.get("sd_judge_noise", {})
        row = lambda v: np.asarray(v, dtype=float)[None, ...]  # noqa: E731
        return cls(
            cutpoints=row(np.asarray(stage3["cutpoints"], float) - beta.mean()),
            beta=row(beta - beta.mean()),
            gamma=row([0.0 if g == HUMAN else stage3["gamma"][g] for g in groups]),
            delta=row([stage3["delta"][g] for g in groups]),
            sd_item=row(stage3["sd_item"]).reshape(1),
            sd_attr=row(stage3["sd_attr"]).reshape(1),
            sd_annot=row(stage3.get("sd_annotator", 0.0)).reshape(1),
            scale=np.ones((1, len(groups))),
            sd_noise=row([float(noise.get(g, 0.0)) for g in groups]),
        )

    @property
    def n_draws(self) -> int:
        return int(self.cutpoints.shape[0])

    def category_probs(self) -> np.ndarray:
        """P(y = c) for a new cell rated by a typical rater of each group: array (S, R, G, 2 [mention], 5)."""
        from scipy.special import expit

        x, w = np.polynomial.hermite_e.hermegauss(_N_QUAD)
        w = w / w.sum()
        # total normal sd of the cell-level deviation per rater group: q + a (+ judge noise)
        tot = np.sqrt(self.sd_item[:, None] ** 2 + self.sd_attr[:, None] ** 2 + self.sd_noise**2)  # (S, R)
        m = np.array([0.0, 1.0])
        eta = (
            self.beta[:, None, :, None, None]
            + self.gamma[:, :, None, None, None]
            + self.delta[:, :, None, None, None] * m[None, None, None, :, None]
            + tot[:, :, None, None, None] * x
        )  # (S, R, G, 2, Q)
        z = (self.cutpoints[:, None, None, None, None, :] - eta[..., None]) / self.scale[
            :, :, None, None, None, None
        ]
        cum = np.einsum("srgmqk,q->srgmk", expit(z), w)  # (S, R, G, 2, 4)
        pad = cum.shape[:-1] + (1,)
        return np.diff(np.concatenate([np.zeros(pad), cum, np.ones(pad)], axis=-1), axis=-1)


def rating_quantities(params: RatingParameters, data: RatingData | ModelData) -> dict[str, np.ndarray]:
    """Draws of the derived population quantities (module docstring); arrays with the draws first.

    Keys: ``mean_rating_by_generator`` / ``p_better_by_generator`` (S, R, G); ``mean_rating`` / ``p_better``
    / ``mention_effect_rating`` (S, R), averaged over the observed generator mix.
    """
    d = _as_rating_data(data)
    probs = params.category_probs()  # (S, R, G, 2, 5)
    mean = probs @ CATEGORIES.astype(float)  # (S, R, G, 2)
    better = probs[..., 3:].sum(axis=-1)
    rate = d.mention_rates()
    w_g = d.generator_weights()
    mix = np.stack([1.0 - rate, rate], axis=-1)  # (G, 2)
    mean_g = (mean * mix).sum(axis=-1)
    better_g = (better * mix).sum(axis=-1)
    return {
        "mean_rating_by_generator": mean_g,
        "p_better_by_generator": better_g,
        "mean_rating": mean_g @ w_g,
        "p_better": better_g @ w_g,
        "mention_effect_rating": (mean[..., 1] - mean[..., 0]) @ w_g,
    }


def _long(labels: Mapping[str, list[Any]], quantity: str, draws: np.ndarray) -> pd.DataFrame:
    table = summarize_samples(draws, dict(labels))
    table.insert(len(labels), "quantity", quantity)
    return table


def summarize_rating(idata: Any, data: RatingData | ModelData) -> dict[str, pd.DataFrame]:
    """Tidy summaries (long format: label columns, ``quantity``, ``mean, sd, ci_low, ci_high``).

    Returns
    -------
    dict of DataFrame
        ``generators`` (generator x ``mean_rating`` | ``p_better`` | ``p_no_better`` for a typical human,
        ``beta`` latent); ``judges`` (rater_id = ``human`` and each judge x ``inflation`` | ``mean_rating`` |
        ``mean_rating_shift`` (minus the human mean) | ``p_better`` | ``scale`` | ``sd_judge_noise`` (fitted
        in ``"latent"``, implied by the scale in ``"scale"``)); ``mention`` (rater x ``latent`` |
        ``rating``, with ``significant``); ``parameters`` (cutpoints and random-effect sds).
    """
    d = _as_rating_data(data)
    p = RatingParameters.from_idata(idata)
    q = rating_quantities(p, d)
    gens = {"generator": list(d.generators)}
    raters = {"rater_id": list(d.raters)}
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
    noise = judge_noise_of(idata)
    sd_noise = p.sd_noise if noise != "scale" else noise_sd_from_scale(p.scale)
    judges = pd.concat(
        [
            _long(raters, "inflation", p.gamma),
            _long(raters, "mean_rating", q["mean_rating"]),
            _long(raters, "mean_rating_shift", q["mean_rating"] - q["mean_rating"][:, :1]),
            _long(raters, "p_better", q["p_better"]),
            _long(raters, "scale", p.scale),
            _long(raters, "sd_judge_noise", sd_noise),
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
    parameters = pd.concat(
        [
            _long({"parameter": [f"cutpoint[{c}]" for c in CUTPOINT_LABELS]}, "cutpoint", p.cutpoints),
            _long({"parameter": ["sd_item"]}, "sd", p.sd_item),
            _long({"parameter": ["sd_attr"]}, "sd", p.sd_attr),
            _long({"parameter": ["sd_annot"]}, "sd", p.sd_annot),
        ],
        ignore_index=True,
    )
    return {"generators": generators, "judges": judges, "mention": mention, "parameters": parameters}


# ------------------------------------------------------------------------------------------------------- PPC
def replicate_ratings(
    idata: Any, data: RatingData | ModelData, rng: np.random.Generator, n_draws: int = 200
) -> np.ndarray:
    """Replicated ratings (1..5) of the observed design, shape (n_draws, N), one row per posterior draw.

    Item, cell and annotator effects are the posterior ones (replication of the same cells by the same
    raters); the ``"latent"`` variant's per-rating judge noise is drawn anew.
    """
    from scipy.special import expit

    d = _as_rating_data(data)
    p = RatingParameters.from_idata(idata)
    pick = rng.choice(p.n_draws, size=min(n_draws, p.n_draws), replace=False)
    h = np.concatenate([draws_of(idata, "h")[pick], np.zeros((pick.size, 1))], axis=1)
    r = d.rater
    eta = (
        p.beta[pick][:, d.generator]
        + p.gamma[pick][:, r]
        + p.delta[pick][:, r] * d.mention
        + draws_of(idata, "q")[pick][:, d.item]
        + draws_of(idata, "a")[pick][:, d.cell]
        + h[:, d.annotator]
        + p.sd_noise[pick][:, r] * rng.standard_normal((pick.size, d.n))
    )
    cum = expit((p.cutpoints[pick][:, None, :] - eta[..., None]) / p.scale[pick][:, r][..., None])
    u = rng.random((pick.size, d.n, 1))
    return 1 + (u > cum).sum(axis=-1)


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import rankdata

    if a.size < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(np.corrcoef(rankdata(a), rankdata(b))[0, 1])


def rating_statistics(y: np.ndarray, data: RatingData | ModelData) -> dict[tuple[str, str], float]:
    """PPC statistics of one rating vector (1..5), keyed by (check, rater group).

    Per rater group: the share of each rating and the mean; per judge: the mean rating difference with
    minus without mention and the Spearman correlation with the human mean rating of the cell; the mean
    pairwise human-human Spearman.
    """
    d = _as_rating_data(data)
    out: dict[tuple[str, str], float] = {}
    for g, name in enumerate(d.raters):
        sel = d.rater == g
        if not sel.any():
            continue
        yy = y[sel]
        out[("mean_rating", name)] = float(yy.mean())
        for k in CATEGORIES:
            out[(f"share_{k}", name)] = float(np.mean(yy == k))
        m = d.mention[sel] > 0
        if m.any() and (~m).any():
            out[("mention_difference", name)] = float(yy[m].mean() - yy[~m].mean())
    n_cells = len(d.cells)
    hum = d.rater == 0
    hcnt = np.bincount(d.cell[hum], minlength=n_cells)
    hmean = np.bincount(d.cell[hum], weights=y[hum], minlength=n_cells) / np.maximum(hcnt, 1)
    for g, name in enumerate(d.raters[1:], start=1):
        sel = (d.rater == g) & (hcnt[d.cell] > 0)
        out[("spearman_with_human_mean", name)] = _spearman(y[sel], hmean[d.cell[sel]])
    by_annot = []
    for a in range(len(d.annotators)):
        v = np.full(n_cells, np.nan)
        sel = hum & (d.annotator == a)
        v[d.cell[sel]] = y[sel]
        by_annot.append(v)
    pairs = []
    for i in range(len(by_annot)):
        for j in range(i + 1, len(by_annot)):
            both = ~np.isnan(by_annot[i]) & ~np.isnan(by_annot[j])
            pairs.append(_spearman(by_annot[i][both], by_annot[j][both]))
    if pairs and not np.all(np.isnan(pairs)):
        out[("spearman_human_human", HUMAN)] = float(np.nanmean(pairs))
    return out


def ppc_rating(
    idata: Any,
    data: RatingData | ModelData,
    rng: np.random.Generator | int | None = None,
    *,
    n_draws: int = 200,
) -> pd.DataFrame:
    """Posterior predictive checks: each statistic of :func:`rating_statistics`, observed vs replicated.

    Returns
    -------
    DataFrame
        One row per (check, rater): ``check, rater, observed, rep_mean, rep_sd, rep_low, rep_high, p_value,
        within_ci`` (see :func:`toolkit.models.base.ppc_row`).
    """
    d = _as_rating_data(data)
    rng = np.random.default_rng(rng)
    reps = replicate_ratings(idata, d, rng, n_draws)
    observed = rating_statistics(d.y + 1, d)
    rep_stats = [rating_statistics(r, d) for r in reps]
    rows = []
    for (check, rater), obs in observed.items():
        vals = np.array([r.get((check, rater), np.nan) for r in rep_stats], dtype=float)
        vals = vals[np.isfinite(vals)]
        if vals.size > 1 and np.isfinite(obs):
            rows.append(ppc_row(check, obs, vals, rater=rater))
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------- Model interface
@attrs.define
class RatingModel(Model):
    """Stage-3 rating model (cumulative logit with judge, generator and mention effects): see the module docs.

    Parameters
    ----------
    judge_noise : {"scale", "latent", "none"}
        How judge-specific extra noise is modelled (default ``"scale"``: heteroscedastic judges).
    ppc_draws : int
        Posterior draws replicated by :meth:`ppc`.
    """

    name: ClassVar[str] = "rating"
    version: ClassVar[str] = "2"
    records: ClassVar[tuple[str, ...]] = ("raters", "responses", "response_ratings")
    default_target_accept: ClassVar[float] = 0.9

    judge_noise: str = attrs.field(default="scale", validator=attrs.validators.in_(JUDGE_NOISE))
    ppc_draws: int = 200

    def prepare(self, dataset: Dataset) -> ModelData:
        data, tables = prepare_rating_data(dataset)
        return data.to_model_data(tables)

    def build(self, data: ModelData) -> pm.Model:
        return build_rating_model(data, judge_noise=self.judge_noise)

    def summarize(self, idata: xr.DataTree, data: ModelData) -> dict[str, pd.DataFrame]:
        return summarize_rating(idata, data)

    def ppc(self, idata: xr.DataTree, data: ModelData, rng: np.random.Generator) -> pd.DataFrame:
        return ppc_rating(idata, data, rng, n_draws=self.ppc_draws)

    def diagnostic_vars(self, idata: xr.DataTree) -> list[str]:
        """Every sampled variable and the reported deterministics (the per-rating noise ``z_judge_noise`` of
        the ``"latent"`` variant is left out: it is a prior-dominated nuisance with one value per rating)."""
        return [v for v in idata["posterior"].data_vars if v != "z_judge_noise"]


__all__ = [
    "CI_PROB",
    "HUMAN",
    "JUDGE_NOISE",
    "RatingData",
    "RatingModel",
    "RatingParameters",
    "build_rating_model",
    "mentioned",
    "noise_sd_from_scale",
    "ppc_rating",
    "prepare_rating_data",
    "rating_quantities",
    "rating_statistics",
    "replicate_ratings",
    "summarize_rating",
]
