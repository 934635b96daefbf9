r"""Judge model (stage 2): binary relevance labels of human annotators and LLM judges.

A Bayesian latent-class model of annotation in the tradition of Dawid & Skene (1979), with the
hierarchical rater parameters of the Bayesian annotation models reviewed by Paun et al. (2018), and a
shared item x rater-group random effect (a conditional-dependence term in the sense of Qu, Tan & Kutner
1996, "random effects models in latent class analysis for evaluating accuracy of diagnostic tests").

Model
-----
Items :math:`i = 1..N` are (user, prompt, attribute) triples, :math:`p(i)` the item's prompt. Raters
:math:`r` belong to a group :math:`g(r) \in \{\text{human}, \text{llm}\}`.

.. math::

    z_i &\sim \operatorname{Bernoulli}(\pi_i), \qquad
        \operatorname{logit} \pi_i = \mu + b_{p(i)}, \qquad b_p \sim N(0, \sigma_\text{prompt}) \\
    u_{ig} &\sim N(0, \sigma^\text{shared}_g) \\
    P(y_{ir} = 1 \mid z_i, u) &= \operatorname{logistic}\big(\operatorname{logit}(\text{sens}_r) + u_{i g(r)}\big)
        \text{ if } z_i = 1, \quad
        \operatorname{logistic}\big(\operatorname{logit}(1 - \text{spec}_r) + u_{i g(r)}\big) \text{ if } z_i = 0 \\
    \operatorname{logit} \text{sens}_r &= m^\text{sens}_{g(r)} + s^\text{sens}_{g(r)} \epsilon_r, \qquad
    \operatorname{logit} \text{spec}_r = m^\text{spec}_{g(r)} + s^\text{spec}_{g(r)} \phi_r, \qquad
        \epsilon_r, \phi_r \sim N(0, 1)

The labels of different raters are independent given :math:`z_i` and :math:`u_i`. The shared effect
:math:`u_{ig}` moves every rater of group :math:`g` the same way on item :math:`i`; a large
:math:`\sigma^\text{shared}_\text{llm}` is the model's account of why LLM judges agree with each other more
than humans do (they share their errors), and why a vote of 5 LLMs is worth far less than 5 independent
votes. Sensitivity and specificity are defined at :math:`u = 0` (the median item); the summaries also give
them averaged over :math:`u` (``sens_marginal``, ``spec_marginal``: the accuracy against the true label a
confusion matrix would show), and the YES rate.

Priors (weakly informative, on the logit scale): :math:`\mu \sim N(-1.5, 1.5)`,
:math:`\sigma_\text{prompt} \sim \text{HalfNormal}(1)` (prompt effects written as their mean plus zero-sum
deviations, and :math:`\mu + \bar b` sampled instead of :math:`\mu`: the same distribution without the
intercept / random-effect ridge),
:math:`\sigma^\text{shared}_g \sim \text{LogNormal}(0, 1)`, and the group means through a *separation*
:math:`d_g = m^\text{sens}_g + m^\text{spec}_g \sim \text{Gamma}(2, 0.5)` (mean 4) and a *bias*
:math:`c_g = (m^\text{sens}_g - m^\text{spec}_g)/2 \sim N(0, 1.5)`.

Between-rater spread. With 3 human annotators and 5 LLM judges, the within-group SDs
:math:`s^\text{sens}_g, s^\text{spec}_g` are not identified by the data (their posterior is their prior), and
estimating them creates a funnel: when the raters of a group are alike (the simulated humans share one
specificity) the centred form diverges and the non-centred form mixes 3-5x slower per gradient. By default
they are therefore fixed at ``rater_sd = 1`` logit (a group-level N(m_g, 1) distribution, centred: each
rater labels thousands of items, so the pooling is mild). ``rater_sd=None`` estimates them (Gamma(2, 4)
priors, non-centred).

Label switching
~~~~~~~~~~~~~~~
The likelihood is invariant under :math:`z \to 1 - z` with :math:`\text{sens} \leftrightarrow 1 -
\text{spec}`. The separation parameter is positive, so each group's typical rater has Youden's
:math:`J = \text{sens} + \text{spec} - 1 > 0` (at the group mean, on the logit scale); the mirrored mode is
excluded by construction. An individual rater may still be worse than chance.

Computation
~~~~~~~~~~~
Both latent variables are integrated out, so NUTS samples only ~60 continuous parameters:

* :math:`u_{ig}` by quadrature: since :math:`u_{ig}` is i.i.d. over items, the within-group integral depends
  on the item only through its *label pattern* in that group (at most :math:`3^{R_g}` patterns including
  missing labels; in practice 8 human and <= 32 LLM patterns), so it is computed once per pattern. The
  rule is the trapezoid rule on :math:`\pm 8` SD with ``n_quad = 61`` nodes (error in a pattern's
  log-probability < 1e-7 for :math:`\sigma \le 3`; Gauss-Hermite with 32 nodes misses tail-heavy patterns
  by up to 4e-3);
* :math:`z_i` by summing the two mixture components (log-sum-exp), with items that share (prompt, human
  pattern, LLM pattern) collapsed into one weighted term (~2,000 cells for ~4,000 items).

This replaces the 8,000 item x group latent normals of the naive model (and their funnel) by an exact
(up to quadrature) marginal likelihood. The posterior relevance probability of each item,
:math:`P(z_i = 1 \mid y, \theta)`, is computed after sampling from the same marginal likelihood for every
draw and averaged over draws.

Outputs (``FitResult.summaries``)
---------------------------------
See :mod:`toolkit.models.judge_posterior` (summaries, posterior predictive checks, Dawid-Skene cross-check);
the data are prepared by :func:`toolkit.models.judge_data.prepare_labels`. The pointwise log-likelihood (one
term per item, for PSIS-LOO) is :meth:`JudgeModel.pointwise_loglik`; alternative dependence structures are
the judge-model family of :mod:`toolkit.models.judge_variants`.

References
----------
Dawid, A. P. & Skene, A. M. (1979). Maximum likelihood estimation of observer error-rates using the EM
algorithm. *Applied Statistics* 28(1), 20-28.
Paun, S., Carpenter, B., Chamberlain, J., Hovy, D., Kruschwitz, U. & Poesio, M. (2018). Comparing Bayesian
models of annotation. *TACL* 6, 571-585.
Qu, Y., Tan, M. & Kutner, M. H. (1996). Random effects models in latent class analysis for evaluating
accuracy of diagnostic tests. *Biometrics* 52(3), 797-810.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import attrs
import numpy as np
import pandas as pd

from toolkit.models.interface import Model, ModelData
from toolkit.models.judge_data import prepare_labels
from toolkit.models.judge_posterior import (
    cell_probabilities,
    item_loglik,
    posterior_params,
    ppc_judge,
    quadrature,
    replicate_labels,
    summarize_judge,
)
from toolkit.models.loo import pointwise_array
from toolkit.vocabulary import HUMAN, LLM

if TYPE_CHECKING:  # pragma: no cover
    import pymc as pm

    from toolkit.dataset import Dataset

__all__ = ["JudgeModel"]


def _log_sigmoid(x: Any) -> Any:
    """log(logistic(x)) = -softplus(-x), numerically stable (PyTensor)."""
    import pytensor.tensor as pt  # lazy: importing toolkit.models must not import PyTensor

    return -pt.softplus(-x)


@attrs.frozen
class JudgeModel(Model):
    """Latent-class model of stage-2 relevance labels with human and LLM rater groups (see module docs).

    Parameters
    ----------
    kinds : tuple of str
        Rater kinds (``raters.jsonl``) modelled, one group each, in this order. Baselines are left out.
    n_quad : int
        Nodes of the trapezoid rule (on +-8 SD) that integrates out the shared item x group effect.
    ppc_draws : int
        Posterior draws used for the posterior predictive kappas in the summaries and checks.
    """

    name: ClassVar[str] = "judge"
    version: ClassVar[str] = "2"
    records: ClassVar[tuple[str, ...]] = ("raters", "relevance_judgments")
    default_target_accept: ClassVar[float] = 0.9
    loglik_dim: ClassVar[str] = "item"

    kinds: tuple[str, ...] = attrs.field(default=(HUMAN, LLM), converter=tuple)
    n_quad: int = 61
    ppc_draws: int = 400
    rater_sd: float | None = 1.0

    # ------------------------------------------------------------------------------------------------------
    def prepare(self, dataset: Dataset) -> ModelData:
        """Items x raters label matrix (``-1`` = missing), label patterns per group and collapsed cells."""
        dataset.require(*self.records, purpose="the judge model")
        raters = dataset.frame("raters")
        rel = dataset.frame("relevance_judgments")
        return prepare_labels(rel, raters, kinds=self.kinds)

    def build(self, data: ModelData) -> pm.Model:
        import pymc as pm
        import pytensor.tensor as pt

        a = data.arrays
        groups = data.coords["group"]
        nodes, logw = quadrature(self.n_quad)
        rater_group = a["rater_group"]
        coords = {k: data.coords[k] for k in ("group", "rater", "prompt")}
        with pm.Model(coords=coords) as model:
            # b_p ~ iid N(0, sd_prompt) written as (mean of the P effects) + (deviations from it), the same
            # distribution; mu + mean is what the data pin down, so it is sampled instead of mu (as in
            # toolkit.models.extraction), which removes the mu / b ridge.
            sd_prompt = pm.HalfNormal("sd_prompt", 1.0)
            n_prompt = len(data.coords["prompt"])
            b_mean = sd_prompt / np.sqrt(n_prompt) * pm.Normal("b_mean_raw", 0.0, 1.0)
            b_dev = pm.ZeroSumNormal("b_dev", sigma=sd_prompt, dims="prompt") if n_prompt > 1 else pt.zeros(1)
            b = pm.Deterministic("b", b_mean + b_dev, dims="prompt")
            level = pm.Normal("level", -1.5 + b_mean, 1.5)  # mu = level - b_mean ~ N(-1.5, 1.5)
            mu = pm.Deterministic("mu", level - b_mean)

            separation = pm.Gamma("separation", alpha=2.0, beta=0.5, dims="group")
            bias = pm.Normal("bias", 0.0, 1.5, dims="group")
            m_sens = pm.Deterministic("m_sens", separation / 2 + bias, dims="group")
            m_spec = pm.Deterministic("m_spec", separation / 2 - bias, dims="group")
            if self.rater_sd is None:
                s_sens = pm.Gamma("s_sens", alpha=2.0, beta=4.0, dims="group")
                s_spec = pm.Gamma("s_spec", alpha=2.0, beta=4.0, dims="group")
            else:
                s_sens = s_spec = pt.constant(np.full(len(groups), float(self.rater_sd)))
            if self.rater_sd is not None:  # fixed spread, data-rich raters: centred
                logit_sens = pm.Normal("logit_sens", m_sens[rater_group], s_sens[rater_group], dims="rater")
                logit_spec = pm.Normal("logit_spec", m_spec[rater_group], s_spec[rater_group], dims="rater")
            else:  # estimated spread: non-centred (the centred funnel diverges when raters are alike)
                e_sens = pm.Normal("e_sens", 0.0, 1.0, dims="rater")
                e_spec = pm.Normal("e_spec", 0.0, 1.0, dims="rater")
                logit_sens = pm.Deterministic(
                    "logit_sens", m_sens[rater_group] + s_sens[rater_group] * e_sens, dims="rater"
                )
                logit_spec = pm.Deterministic(
                    "logit_spec", m_spec[rater_group] + s_spec[rater_group] * e_spec, dims="rater"
                )
            pm.Deterministic("sens", pm.math.sigmoid(logit_sens), dims="rater")
            pm.Deterministic("spec", pm.math.sigmoid(logit_spec), dims="rater")
            sd_shared = pm.LogNormal("sd_shared", 0.0, 1.0, dims="group")

            # log P(pattern | z) per group, u integrated out by quadrature
            cell_ll = pt.zeros((a["cell_count"].shape[0], 2))
            for gi, _ in enumerate(groups):
                idx = np.flatnonzero(rater_group == gi)
                y1 = a[f"pattern_yes_{gi}"].astype("float64")  # (P, R_g)
                y0 = a[f"pattern_no_{gi}"].astype("float64")
                a_z = pt.stack([-logit_spec[idx], logit_sens[idx]])  # (2, R_g): z = 0, 1
                eta = a_z[:, None, :] + (sd_shared[gi] * nodes)[None, :, None]  # (2, K, R_g)
                # (P, 2, K); an elementwise product + sum, not a dot: PyTensor may have no BLAS to link
                ll = (
                    y1[:, None, None, :] * _log_sigmoid(eta)[None]
                    + y0[:, None, None, :] * _log_sigmoid(-eta)[None]
                ).sum(axis=3)
                log_g = pm.math.logsumexp(ll + logw, axis=2, keepdims=False)  # (P, 2)
                cell_ll = cell_ll + log_g[a["cell_pattern"][:, gi]]
            logit_pi = mu + b[a["cell_prompt"]]
            log_pz = pt.stack([_log_sigmoid(-logit_pi), _log_sigmoid(logit_pi)], axis=1)
            item_ll = pm.math.logsumexp(log_pz + cell_ll, axis=1, keepdims=False)
            pm.Potential("loglik", pt.sum(a["cell_count"] * item_ll))
        return model

    def initvals(self, data: ModelData) -> dict[str, Any] | None:
        # the reference point of the chains' dispersed starts (toolkit.models.fitting.dispersed_initvals): "raters
        # are decent, prevalence is low"; the positive separation already rules out the mirrored mode, pulling
        # the prior draws halfway here only keeps the starts away from uninformative raters (a slower warm-up)
        return {"level": -1.0, "separation": np.full(len(data.coords["group"]), 3.0)}

    def diagnostic_vars(self, idata: Any) -> list[str]:
        names = ["mu", "sd_prompt", "b", "separation", "bias", "sens", "spec", "sd_shared"]
        return names + [v for v in ("s_sens", "s_spec") if v in idata["posterior"].data_vars]

    # ------------------------------------------------------------------------------------------------------
    def posterior_params(
        self, idata: Any, data: ModelData, max_draws: int | None = None
    ) -> dict[str, np.ndarray]:
        """Posterior draws of the parameters the numpy computations need (optionally thinned)."""
        return posterior_params(idata, max_draws)

    def cell_probabilities(self, idata: Any, data: ModelData) -> np.ndarray:
        """Posterior draws ``(S, C)`` of P(z = 1 | labels, theta) for every cell (prompt x label patterns);
        items of a cell share it (``data.arrays["item_cell"]``)."""
        return cell_probabilities(idata, data, self.n_quad)

    def item_probabilities(self, idata: Any, data: ModelData) -> np.ndarray:
        """Posterior draws ``(S, N)`` of P(z_i = 1 | labels, theta) for every item."""
        return self.cell_probabilities(idata, data)[:, data.arrays["item_cell"]]

    def replicate(
        self, idata: Any, data: ModelData, rng: np.random.Generator, n_draws: int | None = None
    ) -> np.ndarray:
        """Replicated label matrices ``(S, N, R)`` (int8, -1 where the observed label is missing), from
        ``n_draws`` posterior draws (default ``ppc_draws``); see
        :func:`~toolkit.models.judge_posterior.replicate_labels`."""
        return replicate_labels(idata, data, rng, n_draws or self.ppc_draws)

    def pointwise_loglik(self, data: ModelData, posterior: Any) -> Any:
        """log P(labels of item i | theta) per item and draw (true label and item effects integrated out,
        :func:`~toolkit.models.judge_posterior.item_loglik`); dims ``("chain", "draw", "item")``."""
        return pointwise_array(item_loglik({"posterior": posterior}, data, self.n_quad), posterior, "item")

    def summarize(self, idata: Any, data: ModelData) -> dict[str, pd.DataFrame]:
        """The summary tables of :func:`~toolkit.models.judge_posterior.summarize_judge`."""
        return summarize_judge(idata, data, n_quad=self.n_quad, ppc_draws=self.ppc_draws)

    def ppc(self, idata: Any, data: ModelData, rng: np.random.Generator) -> pd.DataFrame:
        """Observed vs replicated: pairwise kappa per rater pair and group pair, YES rate per rater,
        human-majority YES share, and the distribution of the number of YES votes per group."""
        return ppc_judge(idata, data, rng, n_draws=self.ppc_draws)
