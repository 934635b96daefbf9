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
``raters`` (per rater: ``sens``, ``spec`` at u = 0, ``sens_marginal``, ``spec_marginal``, ``yes_rate`` with
the observed rate, ``youden``), ``groups`` (population and rater-average quantities, ``sd_shared``),
``differences`` (LLM minus human, with ``p_positive``), ``prevalence``, ``prompts``, ``items`` (posterior
relevance probability per item beside the human majority), ``vs_majority`` (agreement with the majority by
number of human YES votes) and ``kappa`` (posterior predictive mean pairwise kappa per group pair beside
the observed and published 0.426 / 0.597 / 0.300).

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

import warnings
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
import numpy as np
import pandas as pd

from toolkit.models.base import (
    Model,
    ModelData,
    draws_of,
    expit,
    hash_arrays,
    log_expit,
    parameter_table,
    ppc_row,
    summarize_samples,
)

if TYPE_CHECKING:  # pragma: no cover
    import pymc as pm

    from toolkit.dataset import Dataset

ITEM = ["user_id", "prompt_id", "attribute_id"]
#: Fig. 3 group-pair names, in the order of the published kappas.
GROUP_PAIRS = (("human", "human"), ("llm", "llm"), ("human", "llm"))
PUBLISHED_KAPPA_KEYS = {
    ("human", "human"): "fig3.kappa.human_human",
    ("llm", "llm"): "fig3.kappa.llm_llm",
    ("human", "llm"): "fig3.kappa.human_llm",
}


def _log_sigmoid(x: Any) -> Any:
    """log(logistic(x)) = -softplus(-x), numerically stable (PyTensor)."""
    import pytensor.tensor as pt

    return -pt.softplus(-x)


def _quadrature(n: int, half_width: float = 8.0) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and log-weights for E[f(U)], U ~ N(0, 1): the trapezoid rule on [-8, 8] with ``n`` nodes.

    For smooth integrands with Gaussian decay the trapezoid rule converges geometrically, and unlike
    Gauss-Hermite it spaces the nodes evenly, so an integrand whose mass sits in a tail (a pattern of five
    YES votes with low logits, say) is still resolved: with 61 nodes the error in a pattern's
    log-probability is below 1e-7 for sigma <= 3 (Gauss-Hermite with 32 nodes: up to 4e-3).
    """
    z = np.linspace(-half_width, half_width, n)
    logw = -0.5 * z**2 - 0.5 * np.log(2 * np.pi) + np.log(z[1] - z[0])
    return z, logw - np.logaddexp.reduce(logw)  # renormalise (the truncated tails are < 1e-15)


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

    kinds: tuple[str, ...] = attrs.field(default=("human", "llm"), converter=tuple)
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

    # ------------------------------------------------------------------------------------------------------
    def build(self, data: ModelData) -> pm.Model:
        import pymc as pm
        import pytensor.tensor as pt

        a = data.arrays
        groups = data.coords["group"]
        nodes, logw = _quadrature(self.n_quad)
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
        # start near "raters are decent, prevalence is low"; the positive separation already rules out the
        # mirrored mode, this only shortens the warm-up
        return {"level": -1.0, "separation": np.full(len(data.coords["group"]), 3.0)}

    def diagnostic_vars(self, idata: Any) -> list[str]:
        names = ["mu", "sd_prompt", "b", "separation", "bias", "sens", "spec", "sd_shared"]
        return names + [v for v in ("s_sens", "s_spec") if v in idata["posterior"].data_vars]

    # ------------------------------------------------------------------------------------------------------
    def posterior_params(
        self, idata: Any, data: ModelData, max_draws: int | None = None
    ) -> dict[str, np.ndarray]:
        """Posterior draws of the parameters the numpy computations need (optionally thinned)."""
        out = {v: draws_of(idata, v) for v in ("mu", "b", "logit_sens", "logit_spec", "sd_shared")}
        n = out["mu"].shape[0]
        if max_draws is not None and n > max_draws:
            keep = np.linspace(0, n - 1, max_draws).round().astype(int)
            out = {k: v[keep] for k, v in out.items()}
        return out

    def cell_probabilities(self, idata: Any, data: ModelData) -> np.ndarray:
        """Posterior draws ``(S, C)`` of P(z = 1 | labels, theta) for every cell (prompt x label patterns);
        items of a cell share it (``data.arrays["item_cell"]``)."""
        th = self.posterior_params(idata, data)
        log_g = _pattern_loglik_np(th, data, self.n_quad)  # per group: (S, P_g, 2)
        a = data.arrays
        logit_pi = th["mu"][:, None] + th["b"][:, a["cell_prompt"]]
        d = logit_pi  # log-odds of z = 1: prior log-odds + sum over groups of the log likelihood ratios
        for gi, lg in enumerate(log_g):
            d = d + (lg[:, :, 1] - lg[:, :, 0])[:, a["cell_pattern"][:, gi]]
        return expit(d)

    def item_probabilities(self, idata: Any, data: ModelData) -> np.ndarray:
        """Posterior draws ``(S, N)`` of P(z_i = 1 | labels, theta) for every item."""
        return self.cell_probabilities(idata, data)[:, data.arrays["item_cell"]]

    def replicate(
        self, idata: Any, data: ModelData, rng: np.random.Generator, n_draws: int | None = None
    ) -> np.ndarray:
        """Replicated label matrices ``(S, N, R)`` (int8, -1 where the observed label is missing).

        Each replicate draws fresh z_i and u_ig from the posterior draw's parameters (the mixed posterior
        predictive: new labels for the same items, prompts and missingness pattern).
        """
        th = self.posterior_params(idata, data, n_draws or self.ppc_draws)
        a = data.arrays
        mask = a["labels"] >= 0
        s, (n, r) = th["mu"].shape[0], mask.shape
        pi = expit(th["mu"][:, None] + th["b"][:, a["item_prompt"]])
        z = rng.random((s, n)) < pi
        u = rng.standard_normal((s, n, th["sd_shared"].shape[1])) * th["sd_shared"][:, None, :]
        eta = np.where(z[..., None], th["logit_sens"][:, None, :], -th["logit_spec"][:, None, :])
        eta = eta + u[:, :, a["rater_group"]]
        y = (rng.random((s, n, r)) < expit(eta)).astype(np.int8)
        y[:, ~mask] = -1
        return y

    # ------------------------------------------------------------------------------------------------------
    def summarize(self, idata: Any, data: ModelData) -> dict[str, pd.DataFrame]:
        a = data.arrays
        groups = list(data.coords["group"])
        raters = list(data.coords["rater"])
        rgroup = [groups[g] for g in a["rater_group"]]
        th = self.posterior_params(idata, data)
        nodes, logw = _quadrature(self.n_quad)
        w = np.exp(logw)
        sd_r = th["sd_shared"][:, a["rater_group"]]  # (S, R)
        u = sd_r[..., None] * nodes  # (S, R, K)
        sens_m = (expit(th["logit_sens"][..., None] + u) * w).sum(-1)
        fpr_m = (expit(-th["logit_spec"][..., None] + u) * w).sum(-1)
        prev = expit(th["mu"][:, None] + th["b"][:, a["item_prompt"]]).mean(1)  # (S,)
        yes = prev[:, None] * sens_m + (1 - prev[:, None]) * fpr_m
        per_rater = {
            "sens": expit(th["logit_sens"]),
            "spec": expit(th["logit_spec"]),
            "sens_marginal": sens_m,
            "spec_marginal": 1 - fpr_m,
            "yes_rate": yes,
            "youden": expit(th["logit_sens"]) + expit(th["logit_spec"]) - 1,
        }
        mask = a["labels"] >= 0
        observed_yes = np.where(mask, a["labels"] == 1, 0).sum(0) / np.maximum(mask.sum(0), 1)
        rows = []
        for q, draws in per_rater.items():
            t = summarize_samples(draws, {"rater": raters, "group": rgroup, "quantity": [q] * len(raters)})
            if q == "yes_rate":
                t["observed"] = observed_yes
            rows.append(t)
        raters_t = pd.concat(rows, ignore_index=True)
        diag = {v: parameter_table(idata, v) for v in ("sens", "spec")}
        for q in ("sens", "spec"):
            sel = raters_t["quantity"] == q
            raters_t.loc[sel, "ess_bulk"] = diag[q]["ess_bulk"].to_numpy()
            raters_t.loc[sel, "r_hat"] = diag[q]["r_hat"].to_numpy()

        # group level: population (hyper-parameter) and rater-average quantities, and LLM - human differences
        m_sens, m_spec = draws_of(idata, "m_sens"), draws_of(idata, "m_spec")
        group_draws: dict[str, np.ndarray] = {
            "sens_population": expit(m_sens),
            "spec_population": expit(m_spec),
            "sd_shared": th["sd_shared"],
        }
        for q in ("sens", "spec", "sens_marginal", "spec_marginal", "yes_rate", "youden"):
            group_draws[q] = np.stack(
                [per_rater[q][:, a["rater_group"] == gi].mean(1) for gi in range(len(groups))], axis=1
            )
        gt = [
            summarize_samples(d, {"group": groups, "quantity": [q] * len(groups)})
            for q, d in group_draws.items()
        ]
        groups_t = pd.concat(gt, ignore_index=True)
        diffs = []
        if len(groups) >= 2:
            g0, g1 = 0, len(groups) - 1  # last minus first: llm - human with the default kinds
            for q, d in group_draws.items():
                delta = d[:, g1] - d[:, g0]
                t = summarize_samples(delta, {"contrast": [f"{groups[g1]} - {groups[g0]}"], "quantity": [q]})
                t["p_positive"] = float((delta > 0).mean())
                diffs.append(t)
        diffs_t = pd.concat(diffs, ignore_index=True) if diffs else pd.DataFrame()

        prev_t = pd.concat(
            [
                summarize_samples(th["mu"], {"quantity": ["mu"]}),
                summarize_samples(draws_of(idata, "sd_prompt"), {"quantity": ["sd_prompt"]}),
                summarize_samples(prev, {"quantity": ["prevalence_items"]}),
                summarize_samples(expit(th["mu"]), {"quantity": ["prevalence_median_prompt"]}),
            ],
            ignore_index=True,
        )
        prompts_t = summarize_samples(th["b"], {"prompt_id": list(data.coords["prompt"])})

        # posterior relevance per item, next to the human majority
        cell_stats = summarize_samples(self.cell_probabilities(idata, data))
        items = data.tables["items"].copy()
        items_stats = cell_stats.iloc[a["item_cell"]]
        items["p_relevant"] = items_stats["mean"].to_numpy()
        items["sd"] = items_stats["sd"].to_numpy()
        items["ci_low"] = items_stats["ci_low"].to_numpy()
        items["ci_high"] = items_stats["ci_high"].to_numpy()
        items["mean"] = items["p_relevant"]
        items["model_label"] = items["p_relevant"] > 0.5
        vs = compare_with_majority(items)

        kappa = self._kappa_table(idata, data, np.random.default_rng(0))
        return {
            "raters": raters_t,
            "groups": groups_t,
            "differences": diffs_t,
            "prevalence": prev_t,
            "prompts": prompts_t,
            "items": items,
            "vs_majority": vs,
            "kappa": kappa,
        }

    def _kappa_table(self, idata: Any, data: ModelData, rng: np.random.Generator) -> pd.DataFrame:
        from toolkit.published import published

        groups = list(data.coords["group"])
        rgroup = np.asarray(data.arrays["rater_group"])
        obs = pairwise_kappa(data.arrays["labels"][None])[0]
        rep = pairwise_kappa(self.replicate(idata, data, rng))
        rows = []
        for g_a, g_b in _group_pairs(groups):
            ia, ib = groups.index(g_a), groups.index(g_b)
            o = _block_mean(obs[None], rgroup, ia, ib)[0]
            r = _block_mean(rep, rgroup, ia, ib)
            row = ppc_row("mean pairwise kappa", o, r, group_a=g_a, group_b=g_b)
            try:
                row["published"] = published(PUBLISHED_KAPPA_KEYS[(g_a, g_b)])
            except KeyError:
                row["published"] = np.nan
            rows.append(row)
        t = pd.DataFrame(rows)
        return t.rename(
            columns={"rep_mean": "mean", "rep_sd": "sd", "rep_low": "ci_low", "rep_high": "ci_high"}
        )

    # ------------------------------------------------------------------------------------------------------
    def ppc(self, idata: Any, data: ModelData, rng: np.random.Generator) -> pd.DataFrame:
        """Observed vs replicated: pairwise kappa per rater pair and group pair, YES rate per rater,
        human-majority YES share, and the distribution of the number of YES votes per group."""
        a = data.arrays
        groups = list(data.coords["group"])
        raters = list(data.coords["rater"])
        rgroup = np.asarray(a["rater_group"])
        y_obs = a["labels"]
        y_rep = self.replicate(idata, data, rng)
        k_obs = pairwise_kappa(y_obs[None])[0]
        k_rep = pairwise_kappa(y_rep)
        rows = []
        for g_a, g_b in _group_pairs(groups):
            ia, ib = groups.index(g_a), groups.index(g_b)
            rows.append(
                ppc_row(
                    "mean pairwise kappa",
                    _block_mean(k_obs[None], rgroup, ia, ib)[0],
                    _block_mean(k_rep, rgroup, ia, ib),
                    group=f"{g_a}-{g_b}",
                )
            )
        for i in range(len(raters)):
            for j in range(i + 1, len(raters)):
                rows.append(
                    ppc_row("pairwise kappa", k_obs[i, j], k_rep[:, i, j], group=f"{raters[i]}|{raters[j]}")
                )
        mask = y_obs >= 0
        for r, name in enumerate(raters):
            obs = (y_obs[mask[:, r], r] == 1).mean()
            rep = (y_rep[:, mask[:, r], r] == 1).mean(1)
            rows.append(ppc_row("yes rate", obs, rep, group=name))
        for gi, g in enumerate(groups):
            cols = rgroup == gi
            full = mask[:, cols].all(1)  # items with every label of the group
            n_g = int(cols.sum())
            yes_obs = (y_obs[full][:, cols] == 1).sum(1)
            yes_rep = (y_rep[:, full][:, :, cols] == 1).sum(2)
            rows.append(
                ppc_row(
                    "majority yes share", (yes_obs * 2 > n_g).mean(), (yes_rep * 2 > n_g).mean(1), group=g
                )
            )
            for k in range(n_g + 1):
                rows.append(
                    ppc_row(
                        f"share of items with {k} yes", (yes_obs == k).mean(), (yes_rep == k).mean(1), group=g
                    )
                )
        return pd.DataFrame(rows)


# ----------------------------------------------------------------------------------------------------------
# data preparation
# ----------------------------------------------------------------------------------------------------------


def prepare_labels(
    rel: pd.DataFrame, raters: pd.DataFrame, *, kinds: tuple[str, ...] = ("human", "llm")
) -> ModelData:
    """Build the judge model's data from tidy relevance judgments and the rater table."""
    kind_of = dict(zip(raters["rater_id"], raters["kind"].astype(str), strict=True))
    rel = rel[rel["rater_id"].map(kind_of).isin(kinds)]
    if rel.empty:
        raise ValueError(f"no relevance judgments by raters of kinds {kinds}")
    present = set(rel["rater_id"])
    groups = [k for k in kinds if any(kind_of[r] == k for r in present)]
    # raters grouped by kind, in the order of raters.jsonl within a group
    rater_ids = [r for g in groups for r in raters["rater_id"] if r in present and kind_of[r] == g]
    rater_group = np.array([groups.index(kind_of[r]) for r in rater_ids], dtype=np.int64)
    dup = rel.duplicated(ITEM + ["rater_id"])
    if dup.any():
        raise ValueError(f"{int(dup.sum())} duplicated (item, rater) relevance judgments")
    items = rel[ITEM].drop_duplicates().sort_values(ITEM).reset_index(drop=True)
    item_index = pd.MultiIndex.from_frame(items)
    ii = item_index.get_indexer(pd.MultiIndex.from_frame(rel[ITEM]))
    ri = pd.Index(rater_ids).get_indexer(rel["rater_id"])
    labels = np.full((len(items), len(rater_ids)), -1, dtype=np.int8)
    labels[ii, ri] = rel["relevant"].astype(bool).to_numpy().astype(np.int8)
    prompts = sorted(items["prompt_id"].unique())
    item_prompt = pd.Index(prompts).get_indexer(items["prompt_id"]).astype(np.int64)

    arrays: dict[str, np.ndarray] = {"labels": labels, "rater_group": rater_group, "item_prompt": item_prompt}
    item_pattern = np.zeros((len(items), len(groups)), dtype=np.int64)
    for gi in range(len(groups)):
        sub = labels[:, rater_group == gi]
        patterns, inverse = np.unique(sub, axis=0, return_inverse=True)
        item_pattern[:, gi] = inverse.ravel()
        arrays[f"pattern_yes_{gi}"] = (patterns == 1).astype(np.int8)
        arrays[f"pattern_no_{gi}"] = (patterns == 0).astype(np.int8)
    arrays["item_pattern"] = item_pattern
    cells, cell_inverse, counts = np.unique(
        np.column_stack([item_prompt, item_pattern]), axis=0, return_inverse=True, return_counts=True
    )
    arrays["cell_prompt"] = cells[:, 0].copy()
    arrays["cell_pattern"] = cells[:, 1:].copy()
    arrays["cell_count"] = counts.astype(np.float64)
    arrays["item_cell"] = cell_inverse.ravel().astype(np.int64)

    human = rater_group == groups.index("human") if "human" in groups else np.zeros(len(rater_ids), bool)
    items = items.copy()
    if human.any():
        hl = labels[:, human]
        n_h = (hl >= 0).sum(1)
        yes_h = (hl == 1).sum(1)
        items["n_human"] = n_h
        items["n_human_yes"] = yes_h
        maj = pd.array(np.where(2 * yes_h > n_h, True, False), dtype="boolean")
        maj[(2 * yes_h == n_h) | (n_h == 0)] = pd.NA  # ties and unlabelled items have no majority
        items["human_majority"] = maj
    for gi, g in enumerate(groups):
        if g != "human":
            gl = labels[:, rater_group == gi]
            items[f"n_{g}_yes"] = (gl == 1).sum(1)
            items[f"n_{g}"] = (gl >= 0).sum(1)
    coords = {"group": groups, "rater": rater_ids, "prompt": prompts}
    return ModelData(
        arrays=arrays,
        coords=coords,
        hash=hash_arrays(arrays, coords, items=items[ITEM].to_numpy().tolist()),
        tables={"items": items},
    )


# ----------------------------------------------------------------------------------------------------------
# numpy helpers
# ----------------------------------------------------------------------------------------------------------


def _pattern_loglik_np(th: dict[str, np.ndarray], data: ModelData, n_quad: int) -> list[np.ndarray]:
    """log P(group pattern | z) per group, for every draw: list of (S, P_g, 2)."""
    nodes, logw = _quadrature(n_quad)
    a = data.arrays
    out = []
    for gi in range(len(data.coords["group"])):
        idx = np.flatnonzero(a["rater_group"] == gi)
        a_z = np.stack([-th["logit_spec"][:, idx], th["logit_sens"][:, idx]], axis=1)  # (S, 2, R_g)
        eta = a_z[:, :, None, :] + th["sd_shared"][:, gi, None, None, None] * nodes[None, None, :, None]
        y1 = a[f"pattern_yes_{gi}"].astype(float)
        y0 = a[f"pattern_no_{gi}"].astype(float)
        ll = log_expit(eta) @ y1.T + log_expit(-eta) @ y0.T  # (S, 2, K, P), a BLAS matmul
        out.append(_logsumexp_last(np.moveaxis(ll, 3, 1) + logw))  # (S, P, 2)
    return out


def _logsumexp_last(x: np.ndarray) -> np.ndarray:
    """log-sum-exp over the last axis (faster than scipy's for many small reductions)."""
    m = x.max(axis=-1, keepdims=True)
    return (m + np.log(np.exp(x - m).sum(axis=-1, keepdims=True)))[..., 0]


def pairwise_kappa(labels: np.ndarray) -> np.ndarray:
    """Cohen's kappa of every rater pair for a stack of binary label matrices.

    ``labels`` is ``(S, N, R)`` with 1 = yes, 0 = no, -1 = missing; each pair is scored on the items both
    raters labelled. Returns ``(S, R, R)`` (NaN on the diagonal and where kappa is undefined). Vectorised
    equivalent of :func:`toolkit.agreement.cohen_kappa` for binary labels (checked against it in the tests).
    """
    y = np.asarray(labels)
    m = (y >= 0).astype(np.float64)
    yes = (y == 1).astype(np.float64)
    n = np.einsum("sni,snj->sij", m, m)
    n11 = np.einsum("sni,snj->sij", yes, yes)
    y_i = np.einsum("sni,snj->sij", yes, m)  # yes of rater i on items both labelled
    y_j = np.swapaxes(y_i, 1, 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        po = (n - y_i - y_j + 2 * n11) / n
        pi, pj = y_i / n, y_j / n
        pe = pi * pj + (1 - pi) * (1 - pj)
        k = (po - pe) / (1 - pe)
    k[:, np.arange(y.shape[2]), np.arange(y.shape[2])] = np.nan
    return k


def _group_pairs(groups: list[str]) -> list[tuple[str, str]]:
    pairs = [(g, g) for g in groups] + [
        (groups[i], groups[j]) for i in range(len(groups)) for j in range(i + 1, len(groups))
    ]
    return pairs


def _block_mean(k: np.ndarray, rgroup: np.ndarray, ga: int, gb: int) -> np.ndarray:
    """Mean kappa over the distinct rater pairs of groups ``ga`` x ``gb``: ``(S,)``."""
    ia, ib = np.flatnonzero(rgroup == ga), np.flatnonzero(rgroup == gb)
    if ga == gb:
        iu = np.triu_indices(len(ia), 1)
        vals = k[:, ia[:, None], ia[None, :]][:, iu[0], iu[1]]
    else:
        vals = k[:, ia[:, None], ib[None, :]].reshape(k.shape[0], -1)
    with np.errstate(invalid="ignore"):
        return np.nanmean(vals, axis=1) if vals.shape[1] else np.full(k.shape[0], np.nan)


def compare_with_majority(items: pd.DataFrame) -> pd.DataFrame:
    """How the model's item labels (posterior probability > 0.5) compare with the human majority.

    One row per number of human YES votes (and a total row): items, share the model calls relevant, share
    where the model agrees with the majority, mean posterior probability.
    """
    if "human_majority" not in items:
        return pd.DataFrame()
    ok = items["human_majority"].notna()
    t = items[ok]
    maj = t["human_majority"].astype(bool)
    agree = t["model_label"] == maj
    rows = []
    for k, sub in t.groupby("n_human_yes"):
        a = agree[sub.index]
        rows.append(
            {
                "n_human_yes": int(k),
                "items": len(sub),
                "model_relevant_share": float(sub["model_label"].mean()),
                "agreement": float(a.mean()),
                "mean_p_relevant": float(sub["p_relevant"].mean()),
            }
        )
    rows.append(
        {
            "n_human_yes": -1,  # all items
            "items": len(t),
            "model_relevant_share": float(t["model_label"].mean()),
            "agreement": float(agree.mean()),
            "mean_p_relevant": float(t["p_relevant"].mean()),
        }
    )
    out = pd.DataFrame(rows)
    out["majority_relevant_share"] = [
        float((t.loc[t["n_human_yes"] == k, "human_majority"].astype(bool)).mean())
        if k >= 0
        else float(maj.mean())
        for k in out["n_human_yes"]
    ]
    return out


def compare_dawid_skene(result: Any, *, n_iter: int = 200, tol: float = 1e-6) -> dict[str, pd.DataFrame]:
    """Cross-check a judge-model fit against Dawid-Skene (crowd-kit, a dev-only dependency).

    Dawid-Skene assumes every rater errs independently given the true label; the judge model adds the
    shared item x group effect. Where LLM judges share errors, Dawid-Skene counts 5 correlated LLM votes as
    5 independent pieces of evidence, so its item labels follow the LLM consensus more often and its
    estimated LLM accuracies are higher than the judge model's marginal ones.

    Returns
    -------
    dict with ``items`` (per item: model probability, DS probability, labels, human majority),
    ``raters`` (per rater: model ``sens_marginal``/``spec_marginal`` vs DS sensitivity/specificity) and
    ``summary`` (item-label agreement counts).
    """
    try:
        from crowdkit.aggregation import DawidSkene
    except ImportError as exc:  # pragma: no cover - dev-only
        raise ImportError("compare_dawid_skene needs crowd-kit (pip install crowd-kit)") from exc
    data = result.data
    labels = data.arrays["labels"]
    raters = list(data.coords["rater"])
    ii, rr = np.nonzero(labels >= 0)
    long = pd.DataFrame({"task": ii, "worker": np.asarray(raters)[rr], "label": labels[ii, rr].astype(int)})
    ds = DawidSkene(n_iter=n_iter, tol=tol)
    with warnings.catch_warnings():  # crowd-kit 1.4 uses pandas keywords deprecated in pandas 3
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        proba = ds.fit_predict_proba(long)
    p_ds = (
        proba[1].reindex(range(labels.shape[0])).to_numpy()
        if 1 in proba.columns
        else np.zeros(labels.shape[0])
    )
    items = result.summaries["items"][ITEM + ["p_relevant", "model_label"]].copy()
    if "human_majority" in result.summaries["items"]:
        items["human_majority"] = result.summaries["items"]["human_majority"]
    items["p_ds"] = p_ds
    items["ds_label"] = p_ds > 0.5
    # DS errors_: index (worker, observed label), columns = true label; entries P(observed | true)
    err = ds.errors_
    rows = []
    rt = result.summaries["raters"]
    for r in raters:
        e = err.loc[r]
        rows.append(
            {
                "rater": r,
                "ds_sens": float(e.loc[1, 1]) if 1 in e.index and 1 in e.columns else np.nan,
                "ds_spec": float(e.loc[0, 0]) if 0 in e.index and 0 in e.columns else np.nan,
                "model_sens_marginal": float(
                    rt.query("rater == @r and quantity == 'sens_marginal'")["mean"].iloc[0]
                ),
                "model_spec_marginal": float(
                    rt.query("rater == @r and quantity == 'spec_marginal'")["mean"].iloc[0]
                ),
                "model_sens": float(rt.query("rater == @r and quantity == 'sens'")["mean"].iloc[0]),
                "model_spec": float(rt.query("rater == @r and quantity == 'spec'")["mean"].iloc[0]),
            }
        )
    raters_t = pd.DataFrame(rows)
    both = items["model_label"] == items["ds_label"]
    summary = {
        "items": len(items),
        "agree": int(both.sum()),
        "agreement": float(both.mean()),
        "model_yes_ds_no": int((items["model_label"] & ~items["ds_label"]).sum()),
        "model_no_ds_yes": int((~items["model_label"] & items["ds_label"]).sum()),
        "model_prevalence": float(items["model_label"].mean()),
        "ds_prevalence": float(items["ds_label"].mean()),
    }
    if "human_majority" in items:
        ok = items["human_majority"].notna()
        hm = items.loc[ok, "human_majority"].astype(bool)
        summary["model_vs_majority"] = float((items.loc[ok, "model_label"] == hm).mean())
        summary["ds_vs_majority"] = float((items.loc[ok, "ds_label"] == hm).mean())
    return {"items": items, "raters": raters_t, "summary": pd.DataFrame([summary])}


__all__ = ["JudgeModel", "compare_dawid_skene", "compare_with_majority", "pairwise_kappa", "prepare_labels"]
