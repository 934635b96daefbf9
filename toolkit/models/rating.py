r"""Stage-3 rating model: a cumulative-logit mixed model of the 1-5 "personalized vs generic" ratings.

The data are prepared by :func:`toolkit.models.rating_data.prepare_rating_data`; this module builds the PyMC
model (:func:`build_rating_model`, :class:`RatingModel`); the derived quantities, summaries and posterior
predictive checks are in :mod:`toolkit.models.rating_posterior`.

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

Derived outputs (posterior draws of population quantities; :mod:`toolkit.models.rating_posterior`)
-------------------------------------------------------------------------------------------------
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

Intervals are the project's equal-tailed :data:`toolkit.models.summaries.CI_PROB` intervals.

Validation (``tests/toolkit/models/test_rating*.py``)
----------------------------------------------------
Parameter recovery on ``toolkit.simulate`` studies with known truth: the 90% intervals cover the true
inflations, generator effects, mention effects (latent and rating scale), cutpoints, random-effect sds,
per-generator human mean ratings and per-judge mean ratings, at full size both with the simulator's default
judge noise (sd 1-8) and with ``sd_judge_noise = 0``; the implied judge noise sd covers the truth (it runs
~5% high for the noisiest judges: the logistic-normal approximation) and its interval reaches 0 when there is
no judge noise. ``judge_noise="none"`` on the default simulator is badly misspecified: the two noisiest judges'
inflation falls below half its true value (intervals miss), the random-effect sds shrink and the fit does not
converge. ``judge_noise="latent"`` recovers the noise sd without bias but mixes poorly (bulk ESS ~150 for
``sd_judge_noise`` at 2 x 1000 draws). Posterior predictive checks
(:func:`~toolkit.models.rating_posterior.ppc_rating`): rating distribution, mean and mention difference per
rater group, each judge's Spearman with the human mean, and the human-human Spearman are all reproduced
(p > 0.7 on the bundled sample's design).

Sampling: about 31 leapfrog steps per draw; 2 chains x 1500 draws after 700 tuning steps give bulk ESS ~1,000
and max r-hat ~1.007 over ~1,200 scalars on the full-size sample (see ``benchmarks/models.py``). The worst
r-hat is always one of the 367 cell effects (a weakly identified, scale-type disagreement between chains); on
some simulated draws one reaches 1.010-1.011, and :func:`~toolkit.models.fitting.fit` then warns: use 2000 draws.

Literature: cumulative-logit (proportional-odds) models, McCullagh (1980) *Regression models for ordinal data*,
JRSS-B 42; Agresti (2010) *Analysis of Ordinal Categorical Data* (2nd ed.), ch. 3-5 and 10 (random effects);
ordinal mixed models for ratings with rater effects and the unequal-variance ("disc") extension, Bürkner &
Vuorre (2019) *Ordinal regression models in psychology: a tutorial*, AMPPS 2(1); location-scale ordinal models,
Tutz (2012) *Regression for Categorical Data*, ch. 9; LLM-as-a-judge biases, Zheng et al. (2023) *Judging
LLM-as-a-judge with MT-Bench and Chatbot Arena*; non-centred parameterisation, Papaspiliopoulos, Roberts &
Sköld (2007) and Betancourt & Girolami (2015).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import attrs
import numpy as np
import pandas as pd

from toolkit.models.interface import Model, ModelData
from toolkit.models.rating_data import RatingData, as_rating_data, prepare_rating_data
from toolkit.models.rating_posterior import ppc_rating, summarize_rating

if TYPE_CHECKING:  # pragma: no cover
    import pymc as pm
    import xarray as xr

    from toolkit.dataset import Dataset

__all__ = ["JUDGE_NOISE", "RatingModel", "build_rating_model"]

#: The ways judge-specific extra noise can be modelled (see the module docstring).
JUDGE_NOISE = ("scale", "latent", "none")


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

    d = as_rating_data(data)
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
    loglik_dim: ClassVar[str] = "rating"

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

    def pointwise_loglik(self, data: ModelData, posterior: xr.Dataset) -> xr.DataArray:
        """log P(y_n) of every rating and draw (the observed ``y``'s log-density, by PyMC), dims ``("chain",
        "draw", "rating")``. With ``judge_noise="latent"`` it is conditional on each rating's latent noise
        draw (PSIS-LOO then flags many units: prefer the ``"scale"`` variant for LOO)."""
        import pymc as pm

        from toolkit.models.loo import evaluate_draws, pointwise_array

        pm_model = self.build(data)
        y = pm_model["y"]  # its log-density at the observed ratings, as a graph of the free variables
        ll = evaluate_draws(pm_model, pm.logp(y, pm_model.rvs_to_values[y]), posterior)
        return pointwise_array(ll, posterior, "rating")

    def diagnostic_vars(self, idata: xr.DataTree) -> list[str]:
        """Every sampled variable and the reported deterministics (the per-rating noise ``z_judge_noise`` of
        the ``"latent"`` variant is left out: it is a prior-dominated nuisance with one value per rating)."""
        return [v for v in idata["posterior"].data_vars if v != "z_judge_noise"]
