r"""Extraction model (stage 1): ordinal judgments of extracted attributes (accepted > uncertain > rejected).

A cumulative-logit (proportional-odds) mixed model (McCullagh 1980; Agresti 2010, ch. 10) with a fixed
effect of the user's source (WildChat = real, CUPID / PrefEval / PersonaLens = synthetic) and crossed random
effects of the user and the annotator, as in the generalised linear mixed models of annotator leniency
reviewed by Paun et al. (2018).

Model
-----
For the judgment of attribute :math:`i` of user :math:`u` (source :math:`s(u)`) by annotator :math:`k`:

.. math::

    \eta_{ik} &= \alpha_{s(u)} + v_u + w_k + \varepsilon_{ik}, \qquad
        \varepsilon_{ik} \sim \operatorname{Logistic}(0, 1) \\
    v_u &\sim N(0, \sigma_\text{user}), \qquad w_k \sim N(0, \sigma_\text{annotator}) \\
    y_{ik} &= \text{accepted if } \eta_{ik} > 0, \quad \text{uncertain if } -\delta < \eta_{ik} \le 0,
        \quad \text{rejected if } \eta_{ik} \le -\delta

so :math:`P(\text{accepted}) = \operatorname{logistic}(\alpha_s + v_u + w_k)` and
:math:`P(\text{rejected}) = \operatorname{logistic}(-\delta - \alpha_s - v_u - w_k)`.

Only differences between source levels and cutpoints are identified, so the scale is anchored at the
acceptance threshold (:math:`c_2 := 0`): in the notation of :mod:`toolkit.simulate` (cutpoints
:math:`c_1 < c_2`), ``alpha[s]`` :math:`= \alpha_s - c_2` and ``gap`` :math:`\delta = c_2 - c_1`.

Priors: :math:`\alpha_s \sim N(0.5, 2)`, :math:`\delta \sim \text{LogNormal}(0, 1)`,
:math:`\sigma_\text{user} \sim \text{HalfNormal}(1)`, :math:`\sigma_\text{annotator} \sim
\text{HalfNormal}(1)`. Parameterisation (same distributions, better geometry): user effects are centred
(~75 judgments per user); the annotator effects are written as their mean, :math:`\bar w \sim N(0,
\sigma_\text{annotator}/\sqrt{K})`, plus zero-sum deviations (``ZeroSumNormal``), and the sampler moves
``level`` :math:`= \alpha_s + \bar w` rather than :math:`\alpha_s`: with 3 annotators who judge every
attribute the data pin the deviations and the levels but say nothing about :math:`\bar w`, whose ridge
with :math:`\alpha` otherwise slows NUTS several-fold.

Derived quantities
------------------
* **Problematic share** (uncertain + rejected) of source :math:`s` for a new user and a new annotator
  (population): :math:`1 - E_x[\operatorname{logistic}(\alpha_s + x)]`,
  :math:`x \sim N(0, \sqrt{\sigma_\text{user}^2 + \sigma_\text{annotator}^2})`, by Gauss-Hermite
  quadrature; likewise the three label shares.
* **Real minus synthetic gap**: real = sources whose users are of human origin (WildChat); synthetic = the
  other sources, weighted by their number of users (the paper's pooled synthetic set).
* The same gap for the *sample* (the expected share over the observed judgments, with the fitted user and
  annotator effects), which is what the paper's pooled label shares estimate.

Computation: judgments sharing (user, annotator) have the same linear predictor, so the likelihood is a
multinomial per (user, annotator) cell (a few hundred cells for ~6,000 judgments).

References
----------
McCullagh, P. (1980). Regression models for ordinal data. *JRSS B* 42(2), 109-142.
Agresti, A. (2010). *Analysis of Ordinal Categorical Data*, 2nd ed. Wiley.
Paun, S., Carpenter, B., Chamberlain, J., Hovy, D., Kruschwitz, U. & Poesio, M. (2018). Comparing Bayesian
models of annotation. *TACL* 6, 571-585.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import attrs
import numpy as np
import pandas as pd

from toolkit.models.interface import Model, ModelData, hash_arrays
from toolkit.models.summaries import draws_of, expit, log_expit, parameter_table, ppc_row, summarize_samples
from toolkit.vocabulary import HUMAN, SOURCE_ORDER, in_order

if TYPE_CHECKING:  # pragma: no cover
    import pymc as pm

    from toolkit.dataset import Dataset

#: Label codes, ordered worst to best.
LABELS = ("rejected", "uncertain", "accepted")


@attrs.frozen
class ExtractionModel(Model):
    """Cumulative-logit mixed model of stage-1 judgments (see module docs).

    Parameters
    ----------
    kinds : tuple of str
        Rater kinds whose judgments are modelled (default: human annotators only; the verifiers' labels are
        model outputs, not judgments of the same kind).
    n_quad : int
        Gauss-Hermite nodes for the population shares.
    ppc_draws : int
        Posterior draws used by the posterior predictive checks.
    """

    name: ClassVar[str] = "extraction"
    version: ClassVar[str] = "1"
    records: ClassVar[tuple[str, ...]] = ("raters", "users", "attributes", "extraction_judgments")
    default_target_accept: ClassVar[float] = 0.9
    loglik_dim: ClassVar[str] = "judgment"

    kinds: tuple[str, ...] = attrs.field(default=(HUMAN,), converter=tuple)
    n_quad: int = 40
    ppc_draws: int = 400

    # ------------------------------------------------------------------------------------------------------
    def prepare(self, dataset: Dataset) -> ModelData:
        dataset.require(*self.records, purpose="the extraction model")
        return prepare_judgments(
            dataset.frame("extraction_judgments"),
            dataset.frame("attributes"),
            dataset.frame("users"),
            dataset.frame("raters"),
            kinds=self.kinds,
        )

    def build(self, data: ModelData) -> pm.Model:
        import pymc as pm
        import pytensor.tensor as pt

        a = data.arrays
        coords = {k: data.coords[k] for k in ("source", "user", "annotator")}
        counts = a["cell_counts"].astype("float64")  # (C, 3): rejected, uncertain, accepted
        n_annot = len(data.coords["annotator"])
        with pm.Model(coords=coords) as model:
            gap = pm.LogNormal("gap", 0.0, 1.0)
            sd_user = pm.HalfNormal("sd_user", 1.0)
            sd_annotator = pm.HalfNormal("sd_annotator", 1.0)
            # w_k ~ iid N(0, sd) written as (mean of the K effects) + (deviations from it), which is the
            # same distribution: mean ~ N(0, sd / sqrt(K)), deviations ~ ZeroSumNormal(sd), independent.
            # The data pin the deviations (centred) but say nothing about the mean, which only shifts
            # every source level; sampling level = alpha + mean instead of alpha removes that ridge.
            w_mean_raw = pm.Normal("w_mean_raw", 0.0, 1.0)
            w_mean = sd_annotator / np.sqrt(n_annot) * w_mean_raw
            if n_annot > 1:
                w_dev = pm.ZeroSumNormal("w_dev", sigma=sd_annotator, dims="annotator")
            else:
                w_dev = pt.zeros(1)
            pm.Deterministic("w", w_mean + w_dev, dims="annotator")
            level = pm.Normal("level", 0.5 + w_mean, 2.0, dims="source")  # alpha ~ N(0.5, 2)
            pm.Deterministic("alpha", level - w_mean, dims="source")
            v = pm.Normal("v", 0.0, sd_user, dims="user")
            eta = level[a["user_source"][a["cell_user"]]] + v[a["cell_user"]] + w_dev[a["cell_annotator"]]
            log_acc = -pt.softplus(-eta)
            log_rej = -pt.softplus(eta + gap)
            # P(uncertain) = logistic(eta + gap) - logistic(eta), written stably in log space
            log_unc = eta + pt.log(pt.expm1(gap)) - pt.softplus(eta + gap) - pt.softplus(eta)
            ll = counts[:, 0] * log_rej + counts[:, 1] * log_unc + counts[:, 2] * log_acc
            pm.Potential("loglik", pt.sum(ll))
        return model

    def diagnostic_vars(self, idata: Any) -> list[str]:
        return ["alpha", "gap", "sd_user", "sd_annotator", "v", "w"]

    def pointwise_loglik(self, data: ModelData, posterior: Any) -> Any:
        """log P(label) of every attribute x annotator judgment and draw (the terms of :meth:`build`'s
        ``loglik``, written as stably); dims ``("chain", "draw", "judgment")``. See :mod:`toolkit.models.loo`."""
        from toolkit.models.loo import pointwise_array

        a, post = data.arrays, {"posterior": posterior}
        alpha, gap, v, w = (draws_of(post, k) for k in ("alpha", "gap", "v", "w"))
        eta = alpha[:, a["user_source"][a["cell_user"]]] + v[:, a["cell_user"]] + w[:, a["cell_annotator"]]
        g = gap[:, None]
        log_unc = eta + np.log(np.expm1(g)) - np.logaddexp(0.0, eta + g) - np.logaddexp(0.0, eta)
        ll = np.stack([log_expit(-eta - g), log_unc, log_expit(eta)], axis=-1)  # (S, C, 3): rej, unc, acc
        return pointwise_array(ll[:, a["judgment_cell"], a["judgment_label"]], posterior, "judgment")

    # ------------------------------------------------------------------------------------------------------
    def _gh(self) -> tuple[np.ndarray, np.ndarray]:
        x, w = np.polynomial.hermite.hermgauss(self.n_quad)
        return np.sqrt(2.0) * x, w / np.sqrt(np.pi)

    def population_shares(self, idata: Any) -> np.ndarray:
        """Draws ``(S, n_source, 3)`` of the population label shares (rejected, uncertain, accepted)."""
        nodes, wts = self._gh()
        alpha, gap = draws_of(idata, "alpha"), draws_of(idata, "gap")
        sd = np.hypot(draws_of(idata, "sd_user"), draws_of(idata, "sd_annotator"))
        eta = alpha[:, :, None] + sd[:, None, None] * nodes[None, None, :]  # (S, n_source, K)
        acc = (expit(eta) * wts).sum(-1)
        rej = (expit(-eta - gap[:, None, None]) * wts).sum(-1)
        return np.stack([rej, 1 - acc - rej, acc], axis=-1)

    def cell_probabilities(self, idata: Any, data: ModelData, max_draws: int | None = None) -> np.ndarray:
        """Draws ``(S, C, 3)`` of the label probabilities of every (user, annotator) cell."""
        a = data.arrays
        alpha, gap, v, w = (draws_of(idata, k) for k in ("alpha", "gap", "v", "w"))
        if max_draws is not None and alpha.shape[0] > max_draws:
            keep = np.linspace(0, alpha.shape[0] - 1, max_draws).round().astype(int)
            alpha, gap, v, w = alpha[keep], gap[keep], v[keep], w[keep]
        eta = alpha[:, a["user_source"][a["cell_user"]]] + v[:, a["cell_user"]] + w[:, a["cell_annotator"]]
        acc = expit(eta)
        rej = expit(-eta - gap[:, None])
        return np.stack([rej, 1 - acc - rej, acc], axis=-1)

    def _groups(self, data: ModelData) -> tuple[np.ndarray, np.ndarray]:
        """Boolean masks over sources: real and synthetic."""
        real = np.asarray(data.arrays["source_real"], dtype=bool)
        return real, ~real

    def summarize(self, idata: Any, data: ModelData) -> dict[str, pd.DataFrame]:
        a = data.arrays
        sources = list(data.coords["source"])
        pop = self.population_shares(idata)  # (S, n_source, 3)
        problem = 1 - pop[..., 2]
        obs = data.tables["observed_shares"]
        rows = []
        for li, lab in enumerate(LABELS):
            t = summarize_samples(
                pop[..., li], {"source": sources, "quantity": [f"{lab}_share"] * len(sources)}
            )
            t["observed"] = obs[lab].reindex(sources).to_numpy()
            rows.append(t)
        t = summarize_samples(problem, {"source": sources, "quantity": ["problematic_share"] * len(sources)})
        t["observed"] = (1 - obs["accepted"]).reindex(sources).to_numpy()
        rows.append(t)
        alpha_t = parameter_table(idata, "alpha", {"source": sources})
        alpha_t.insert(1, "quantity", "alpha")
        rows.append(alpha_t)
        sources_t = pd.concat(rows, ignore_index=True)

        real, synth = self._groups(data)
        n_users = np.asarray(a["source_users"], dtype=float)
        if real.any() and synth.any():
            wr, ws = n_users * real, n_users * synth
            pop_real = (problem * wr).sum(1) / wr.sum()
            pop_synth = (problem * ws).sum(1) / ws.sum()
            # sample: expected problematic share over the observed judgments (fitted user/annotator effects)
            cell_p = self.cell_probabilities(idata, data)
            cell_problem = 1 - cell_p[..., 2]
            n_cell = a["cell_counts"].sum(1).astype(float)
            cell_real = real[a["user_source"][a["cell_user"]]]
            samp_real = (cell_problem[:, cell_real] * n_cell[cell_real]).sum(1) / n_cell[cell_real].sum()
            samp_synth = (cell_problem[:, ~cell_real] * n_cell[~cell_real]).sum(1) / n_cell[~cell_real].sum()
            counts = a["cell_counts"]
            obs_real = 1 - counts[cell_real, 2].sum() / counts[cell_real].sum()
            obs_synth = 1 - counts[~cell_real, 2].sum() / counts[~cell_real].sum()
            gap_rows = []
            for scope, r_, s_ in (("population", pop_real, pop_synth), ("sample", samp_real, samp_synth)):
                for q, d in (("real", r_), ("synthetic", s_), ("real_minus_synthetic", r_ - s_)):
                    t = summarize_samples(d, {"scope": [scope], "quantity": [q]})
                    t["observed"] = {"real": obs_real, "synthetic": obs_synth}.get(q, obs_real - obs_synth)
                    gap_rows.append(t)
            gap_t = pd.concat(gap_rows, ignore_index=True)
            gap_t["p_positive"] = [
                float((d > 0).mean()) if q == "real_minus_synthetic" else np.nan
                for d, q in zip(
                    [
                        pop_real,
                        pop_synth,
                        pop_real - pop_synth,
                        samp_real,
                        samp_synth,
                        samp_real - samp_synth,
                    ],
                    gap_t["quantity"],
                    strict=True,
                )
            ]
        else:
            gap_t = pd.DataFrame()

        params = pd.concat(
            [parameter_table(idata, v).assign(quantity=v) for v in ("gap", "sd_user", "sd_annotator")],
            ignore_index=True,
        )
        params = params[["quantity", *[c for c in params.columns if c != "quantity"]]]
        annot = parameter_table(idata, "w", {"annotator": list(data.coords["annotator"])})
        users = parameter_table(idata, "v", {"user_id": list(data.coords["user"])})
        users.insert(1, "source", [sources[s] for s in a["user_source"]])
        return {"sources": sources_t, "gap": gap_t, "parameters": params, "annotators": annot, "users": users}

    # ------------------------------------------------------------------------------------------------------
    def replicate(self, idata: Any, data: ModelData, rng: np.random.Generator) -> np.ndarray:
        """Replicated labels ``(S, n_judgments)`` (0 rejected, 1 uncertain, 2 accepted) for the observed
        judgments, from each posterior draw's source, user and annotator effects."""
        p = self.cell_probabilities(idata, data, self.ppc_draws)  # (S, C, 3)
        cell = data.arrays["judgment_cell"]
        pj = p[:, cell, :]  # (S, J, 3)
        u = rng.random(pj.shape[:2])
        cum = np.cumsum(pj, axis=-1)
        return (u[..., None] > cum[..., :2]).sum(-1).astype(np.int8)

    def ppc(self, idata: Any, data: ModelData, rng: np.random.Generator) -> pd.DataFrame:
        """Observed vs replicated: label shares per source, the real-minus-synthetic problematic gap,
        accepted share per annotator, the spread of users' problematic shares, and the share of attributes
        on which all annotators agree (the model has no attribute effect; real data may need one)."""
        a = data.arrays
        sources = list(data.coords["source"])
        y = a["judgment_label"]
        rep = self.replicate(idata, data, rng)
        j_user = a["cell_user"][a["judgment_cell"]]
        j_source = a["user_source"][j_user]
        j_annot = a["cell_annotator"][a["judgment_cell"]]
        rows = []
        for si, s in enumerate(sources):
            sel = j_source == si
            for li, lab in enumerate(LABELS):
                rows.append(
                    ppc_row(f"{lab} share", (y[sel] == li).mean(), (rep[:, sel] == li).mean(1), group=s)
                )
        real, _ = self._groups(data)
        jr = real[j_source]
        if jr.any() and (~jr).any():
            obs_gap = (y[jr] != 2).mean() - (y[~jr] != 2).mean()
            rep_gap = (rep[:, jr] != 2).mean(1) - (rep[:, ~jr] != 2).mean(1)
            rows.append(ppc_row("problematic gap real - synthetic", obs_gap, rep_gap, group="all"))
        for k, name in enumerate(data.coords["annotator"]):
            sel = j_annot == k
            rows.append(
                ppc_row("accepted share", (y[sel] == 2).mean(), (rep[:, sel] == 2).mean(1), group=name)
            )
        n_users = len(data.coords["user"])
        cnt = np.bincount(j_user, minlength=n_users).astype(float)
        ok = cnt > 0

        def user_sd(lab: np.ndarray) -> np.ndarray:
            prob = np.stack(
                [np.bincount(j_user, weights=(row != 2), minlength=n_users) for row in np.atleast_2d(lab)]
            )
            return (prob[:, ok] / cnt[ok]).std(1)

        rows.append(ppc_row("sd of users' problematic share", user_sd(y)[0], user_sd(rep), group="all"))
        attr = a["judgment_attribute"]
        n_attr = int(attr.max()) + 1 if len(attr) else 0

        def unanimous(lab: np.ndarray) -> np.ndarray:
            lab = np.atleast_2d(lab)
            out = []
            for row in lab:
                lo = np.full(n_attr, 9)
                hi = np.full(n_attr, -1)
                np.minimum.at(lo, attr, row)
                np.maximum.at(hi, attr, row)
                out.append((lo == hi)[np.bincount(attr, minlength=n_attr) > 1].mean())
            return np.array(out)

        rows.append(
            ppc_row("share of attributes with unanimous labels", unanimous(y)[0], unanimous(rep), group="all")
        )
        return pd.DataFrame(rows)


# ----------------------------------------------------------------------------------------------------------
# data preparation
# ----------------------------------------------------------------------------------------------------------


def prepare_judgments(
    judgments: pd.DataFrame,
    attributes: pd.DataFrame,
    users: pd.DataFrame,
    raters: pd.DataFrame,
    *,
    kinds: tuple[str, ...] = (HUMAN,),
) -> ModelData:
    """Build the extraction model's data: judgments collapsed into (user, annotator) label counts."""
    kind_of = dict(zip(raters["rater_id"], raters["kind"].astype(str), strict=True))
    j = judgments[judgments["rater_id"].map(kind_of).isin(kinds)]
    if j.empty:
        raise ValueError(f"no extraction judgments by raters of kinds {kinds}")
    user_of = dict(zip(attributes["attribute_id"], attributes["user_id"], strict=True))
    j = j.assign(user_id=j["attribute_id"].map(user_of))
    if j["user_id"].isna().any():
        raise ValueError("extraction judgments of attributes missing from attributes.jsonl")
    users = users.set_index("user_id")
    src_of = users["source"].astype(str)
    # order: the paper's sources first (real WildChat, then the synthetic sets), then unknown ones
    present_sources = in_order(src_of.reindex(j["user_id"].unique()), SOURCE_ORDER)
    user_ids = sorted(j["user_id"].unique())
    annotators = [r for r in raters["rater_id"] if r in set(j["rater_id"])]
    uidx = pd.Index(user_ids).get_indexer(j["user_id"])
    kidx = pd.Index(annotators).get_indexer(j["rater_id"])
    label_code = {lab: i for i, lab in enumerate(LABELS)}
    y = j["label"].astype(str).map(label_code)
    if y.isna().any():
        raise ValueError(f"unknown labels {sorted(set(j['label'].astype(str)) - set(LABELS))}")
    y = y.to_numpy().astype(np.int8)
    user_source = pd.Index(present_sources).get_indexer(src_of.reindex(user_ids)).astype(np.int64)
    cells, cell_of = np.unique(np.column_stack([uidx, kidx]), axis=0, return_inverse=True)
    cell_of = cell_of.ravel()
    counts = np.zeros((len(cells), 3), dtype=np.int64)
    np.add.at(counts, (cell_of, y), 1)
    origin = users["origin"].astype(str)
    source_real = np.array(
        [bool((origin[src_of == s] == "human").any()) for s in present_sources], dtype=np.int8
    )
    source_users = np.bincount(user_source, minlength=len(present_sources)).astype(np.int64)
    attr_ids = sorted(j["attribute_id"].unique())
    arrays = {
        "cell_user": cells[:, 0].astype(np.int64),
        "cell_annotator": cells[:, 1].astype(np.int64),
        "cell_counts": counts,
        "user_source": user_source,
        "source_real": source_real,
        "source_users": source_users,
        "judgment_cell": cell_of.astype(np.int64),
        "judgment_label": y,
        "judgment_attribute": pd.Index(attr_ids).get_indexer(j["attribute_id"]).astype(np.int64),
    }
    shares = (
        pd.crosstab(
            src_of.reindex(j["user_id"]).to_numpy(), j["label"].astype(str).to_numpy(), normalize="index"
        )
        .reindex(columns=list(LABELS), fill_value=0.0)
        .rename_axis(index="source", columns=None)
    )
    coords = {"source": present_sources, "user": user_ids, "annotator": annotators}
    return ModelData(
        arrays=arrays, coords=coords, hash=hash_arrays(arrays, coords), tables={"observed_shares": shares}
    )


__all__ = ["LABELS", "ExtractionModel", "prepare_judgments"]
