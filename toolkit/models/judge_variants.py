r"""The judge-model family (stage 2): alternative dependence structures of :class:`~toolkit.models.judge.JudgeModel`.

With three binary human labels per item, a two-class model with per-rater sensitivity and specificity uses
up the data's degrees of freedom, so the human side is pinned by the assumed *dependence structure* (Albert
& Dodd 2004: latent-class accuracy estimates move with it). Each variant below changes one assumption, is a
registered model of its own (own ``name`` and ``version``, fitted with :func:`toolkit.models.fit`) and is
compared with the others by PSIS-LOO (:func:`toolkit.models.judge_compare.compare_judge_structures`).

=====================  =========================================================================================
name                   item effect :math:`u` and its SD
=====================  =========================================================================================
``judge``              one effect per item and rater group, SD per group (the default model)
``judge-one-effect``   one effect per item shared by *all* raters, one SD: humans and LLMs err together
``judge-class-sd``     one effect per item and group, SD per group *and true class* (hard negatives differ
                       from hard positives)
``judge-loadings``     one effect per item and group, rater-specific loadings :math:`\lambda_r` (log-loadings
                       :math:`N(0, 0.5)` centred within the group, so the group SD keeps its meaning)
``judge-rater-sd``     the default structure with the between-rater SDs estimated (Gamma(2, 2): mean 1 logit,
                       the default's fixed value) instead of fixed at 1 logit
``judge-human-ref``    human labels only (the default structure with one group): the truth is defined by the
                       humans, and each LLM judge is scored against it afterwards, without incorporation bias
=====================  =========================================================================================

In every variant rater :math:`r`'s label on item :math:`i` with true label :math:`z` has log-odds
:math:`a_{rz} + s_{rz} u_{i b(r)}`, :math:`u \sim N(0, 1)`, where :math:`b(r)` is the rater's *effect block*
(its group, or one block of all raters) and :math:`s_{rz}` the posterior's ``effect_scale`` (dims rater x
class), from which :mod:`toolkit.models.judge_posterior` computes item probabilities, replicated labels and
summaries for every variant alike. Priors on the rest are the default model's.

Human-only reference. ``judge-human-ref`` fits the human labels alone; its summaries add ``scored`` (each
LLM judge's sensitivity, specificity and YES rate against the human-defined truth
:math:`p_i = P(z_i = 1 \mid \text{human labels}, \theta)`, estimated per posterior draw as a "cut" model in
which the judge's labels do not move the truth: :func:`score_against`) and ``scored_differences`` (LLM
average minus the human average of ``sens_marginal`` / ``spec_marginal``). Its LOO is over human labels only,
so it is not ranked with the others. With three binary human labels per item the human-only model is weakly
identified (its prevalence and human accuracies lean on the priors), which is the price of avoiding
incorporation bias.

References
----------
Albert, P. S. & Dodd, L. E. (2004). A cautionary note on the robustness of latent class models for estimating
diagnostic error without a gold standard. *Biometrics* 60(2), 427-435.
Qu, Y., Tan, M. & Kutner, M. H. (1996). Random effects models in latent class analysis. *Biometrics* 52(3).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import attrs
import numpy as np
import pandas as pd

from toolkit.models.interface import ModelData, hash_arrays
from toolkit.models.judge import JudgeModel
from toolkit.models.judge_data import ITEM, prepare_labels
from toolkit.models.judge_posterior import (
    CLASSES,
    effect_blocks,
    marginal_rates,
    posterior_params,
    quadrature,
    summarize_judge,
)
from toolkit.models.summaries import draws_of, summarize_samples
from toolkit.vocabulary import HUMAN, LLM

if TYPE_CHECKING:  # pragma: no cover
    import pymc as pm

    from toolkit.dataset import Dataset

__all__ = [
    "JUDGE_FAMILY",
    "SCORE_DRAWS",
    "STRUCTURES",
    "JudgeClassSDModel",
    "JudgeHumanRefModel",
    "JudgeLoadingsModel",
    "JudgeOneEffectModel",
    "JudgeRaterSDModel",
    "build_judge_family",
    "one_block",
    "score_against",
]

#: Posterior draws (evenly thinned) the human-only reference scores the LLM judges with.
SCORE_DRAWS = 200

#: Item-effect structures of :func:`build_judge_family`.
STRUCTURES = ("group", "all", "class", "loading")

#: The family: model name -> one-line description (``judge`` is :class:`~toolkit.models.judge.JudgeModel`).
JUDGE_FAMILY: dict[str, str] = {
    "judge": "item effect per rater group (default)",
    "judge-one-effect": "one item effect shared by all raters",
    "judge-class-sd": "item-effect SD per group and true class",
    "judge-loadings": "rater-specific loadings on the group's item effect",
    "judge-rater-sd": "between-rater SD estimated (hyperprior)",
    "judge-human-ref": "human labels only; LLM judges scored afterwards",
}


def one_block(data: ModelData) -> ModelData:
    """``data`` with one effect block of every rater: the arrays ``rater_block``, ``block_yes_0``,
    ``block_no_0`` and ``cell_block_pattern`` (each cell's pattern of all raters' labels) added."""
    a = dict(data.arrays)
    cells, first = np.unique(a["item_cell"], return_index=True)
    patterns, inverse = np.unique(a["labels"][first], axis=0, return_inverse=True)
    a["rater_block"] = np.zeros(a["labels"].shape[1], dtype=np.int64)
    a["block_yes_0"] = (patterns == 1).astype(np.int8)
    a["block_no_0"] = (patterns == 0).astype(np.int8)
    a["cell_block_pattern"] = np.zeros((a["cell_count"].shape[0], 1), dtype=np.int64)
    a["cell_block_pattern"][cells, 0] = inverse.ravel()
    return ModelData(
        arrays=a, coords=data.coords, hash=hash_arrays(a, data.coords, base=data.hash), tables=data.tables
    )


def _log_sigmoid(x: Any) -> Any:
    import pytensor.tensor as pt

    return -pt.softplus(-x)


def build_judge_family(
    data: ModelData, *, structure: str = "group", rater_sd: float | None = 1.0, n_quad: int = 61
) -> pm.Model:
    """The PyMC model of a judge-family variant (module docstring); ``structure`` is one of :data:`STRUCTURES`.

    The prevalence, prompt and rater priors are those of :class:`~toolkit.models.judge.JudgeModel`; with
    ``rater_sd=None`` the between-rater SDs get Gamma(2, 2) priors (non-centred raters). The item-effect SD
    of every rater and class is the deterministic ``effect_scale`` (rater x class).
    """
    import pymc as pm
    import pytensor.tensor as pt

    if structure not in STRUCTURES:
        raise ValueError(f"structure must be one of {STRUCTURES}, got {structure!r}")
    a = data.arrays
    groups = data.coords["group"]
    n_groups, n_raters = len(groups), len(data.coords["rater"])
    nodes, logw = quadrature(n_quad)
    rg = a["rater_group"]
    coords = {**{k: data.coords[k] for k in ("group", "rater", "prompt")}, "class": CLASSES}
    with pm.Model(coords=coords) as model:
        sd_prompt = pm.HalfNormal("sd_prompt", 1.0)
        n_prompt = len(data.coords["prompt"])
        b_mean = sd_prompt / np.sqrt(n_prompt) * pm.Normal("b_mean_raw", 0.0, 1.0)
        b_dev = pm.ZeroSumNormal("b_dev", sigma=sd_prompt, dims="prompt") if n_prompt > 1 else pt.zeros(1)
        b = pm.Deterministic("b", b_mean + b_dev, dims="prompt")
        level = pm.Normal("level", -1.5 + b_mean, 1.5)
        mu = pm.Deterministic("mu", level - b_mean)
        separation = pm.Gamma("separation", alpha=2.0, beta=0.5, dims="group")
        bias = pm.Normal("bias", 0.0, 1.5, dims="group")
        m_sens = pm.Deterministic("m_sens", separation / 2 + bias, dims="group")
        m_spec = pm.Deterministic("m_spec", separation / 2 - bias, dims="group")
        # estimated spread: non-centred (the centred funnel diverges when raters are alike)
        if rater_sd is None:
            s_sens = pm.Gamma("s_sens", alpha=2.0, beta=2.0, dims="group")
            s_spec = pm.Gamma("s_spec", alpha=2.0, beta=2.0, dims="group")
            e_sens = pm.Normal("e_sens", 0.0, 1.0, dims="rater")
            e_spec = pm.Normal("e_spec", 0.0, 1.0, dims="rater")
            logit_sens = pm.Deterministic("logit_sens", m_sens[rg] + s_sens[rg] * e_sens, dims="rater")
            logit_spec = pm.Deterministic("logit_spec", m_spec[rg] + s_spec[rg] * e_spec, dims="rater")
        else:
            logit_sens = pm.Normal("logit_sens", m_sens[rg], float(rater_sd), dims="rater")
            logit_spec = pm.Normal("logit_spec", m_spec[rg], float(rater_sd), dims="rater")
        pm.Deterministic("sens", pm.math.sigmoid(logit_sens), dims="rater")
        pm.Deterministic("spec", pm.math.sigmoid(logit_spec), dims="rater")

        ones = pt.ones((n_raters, 2))
        if structure == "all":
            scale = pm.LogNormal("sd_shared", 0.0, 1.0) * ones
        elif structure == "class":
            scale = pm.LogNormal("sd_shared", 0.0, 1.0, dims=("group", "class"))[rg]
        else:
            sd_shared = pm.LogNormal("sd_shared", 0.0, 1.0, dims="group")
            if structure == "loading":
                raw = pm.Normal("log_loading_raw", 0.0, 0.5, dims="rater")
                group_mean = pt.extra_ops.bincount(rg, weights=raw, minlength=n_groups) / np.bincount(rg)
                loading = pm.Deterministic("loading", pt.exp(raw - group_mean[rg]), dims="rater")
                scale = (loading * sd_shared[rg])[:, None] * ones
            else:
                scale = sd_shared[rg][:, None] * ones
        scale = pm.Deterministic("effect_scale", scale, dims=("rater", "class"))

        cell_ll = pt.zeros((a["cell_count"].shape[0], 2))
        for idx, yes, no, cell_col in effect_blocks(data):
            a_z = pt.stack([-logit_spec[idx], logit_sens[idx]])  # (2, R_b): z = 0, 1
            eta = a_z[:, None, :] + scale[idx].T[:, None, :] * nodes[None, :, None]  # (2, K, R_b)
            ll = (
                yes.astype("float64")[:, None, None, :] * _log_sigmoid(eta)[None]
                + no.astype("float64")[:, None, None, :] * _log_sigmoid(-eta)[None]
            ).sum(axis=3)
            cell_ll = cell_ll + pm.math.logsumexp(ll + logw, axis=2, keepdims=False)[cell_col]
        logit_pi = mu + b[a["cell_prompt"]]
        log_pz = pt.stack([_log_sigmoid(-logit_pi), _log_sigmoid(logit_pi)], axis=1)
        item_ll = pm.math.logsumexp(log_pz + cell_ll, axis=1, keepdims=False)
        pm.Potential("loglik", pt.sum(a["cell_count"] * item_ll))
    return model


@attrs.frozen
class _FamilyModel(JudgeModel):
    """A judge-family variant: the default model's options, another :func:`build_judge_family` structure."""

    structure: ClassVar[str] = "group"

    def build(self, data: ModelData) -> pm.Model:
        return build_judge_family(data, structure=self.structure, rater_sd=self.rater_sd, n_quad=self.n_quad)

    def diagnostic_vars(self, idata: Any) -> list[str]:
        post = idata["posterior"]
        names = ["mu", "sd_prompt", "b", "separation", "bias", "sens", "spec", "sd_shared"]
        return names + [v for v in ("loading", "s_sens", "s_spec") if v in post.data_vars]

    def summarize(self, idata: Any, data: ModelData) -> dict[str, pd.DataFrame]:
        """The default model's tables plus ``effects``: each rater's item-effect SD per true class."""
        out = summarize_judge(idata, data, n_quad=self.n_quad, ppc_draws=self.ppc_draws)
        scale = draws_of(idata, "effect_scale")  # (S, R, 2)
        raters = list(data.coords["rater"])
        out["effects"] = summarize_samples(
            scale.reshape(scale.shape[0], -1),
            {"rater": np.repeat(raters, 2).tolist(), "class": CLASSES * len(raters)},
        )
        return out


@attrs.frozen
class JudgeOneEffectModel(_FamilyModel):
    """One item effect shared by every rater (humans and LLMs err together); see the module docs."""

    name: ClassVar[str] = "judge-one-effect"
    version: ClassVar[str] = "1"
    structure: ClassVar[str] = "all"

    def prepare(self, dataset: Dataset) -> ModelData:
        return one_block(super().prepare(dataset))


@attrs.frozen
class JudgeClassSDModel(_FamilyModel):
    """Item-effect SD per rater group and true class; see the module docs."""

    name: ClassVar[str] = "judge-class-sd"
    version: ClassVar[str] = "1"
    structure: ClassVar[str] = "class"


@attrs.frozen
class JudgeLoadingsModel(_FamilyModel):
    """Rater-specific loadings on the group's item effect; see the module docs."""

    name: ClassVar[str] = "judge-loadings"
    version: ClassVar[str] = "1"
    structure: ClassVar[str] = "loading"


@attrs.frozen
class JudgeRaterSDModel(_FamilyModel):
    """The default structure with estimated between-rater SDs (Gamma(2, 2) hyperpriors); see the module docs."""

    name: ClassVar[str] = "judge-rater-sd"
    version: ClassVar[str] = "1"

    rater_sd: float | None = None


@attrs.frozen
class JudgeHumanRefModel(_FamilyModel):
    """Human-only reference: the truth is defined by the human labels; LLM judges are scored afterwards.

    ``kinds`` are (modelled kind, scored kinds...): the first kind is fitted, the others are scored.
    """

    name: ClassVar[str] = "judge-human-ref"
    version: ClassVar[str] = "1"

    kinds: tuple[str, ...] = attrs.field(default=(HUMAN, LLM), converter=tuple)

    def prepare(self, dataset: Dataset) -> ModelData:
        dataset.require(*self.records, purpose="the judge model")
        raters, rel = dataset.frame("raters"), dataset.frame("relevance_judgments")
        data = prepare_labels(rel, raters, kinds=self.kinds[:1])
        kind_of = dict(zip(raters["rater_id"], raters["kind"].astype(str), strict=True))
        scored = rel[rel["rater_id"].map(kind_of).isin(self.kinds[1:])]
        ids = [r for r in raters["rater_id"] if r in set(scored["rater_id"])]
        labels = np.full((len(data.tables["items"]), len(ids)), -1, dtype=np.int8)
        items = pd.MultiIndex.from_frame(data.tables["items"][ITEM])
        ii = items.get_indexer(pd.MultiIndex.from_frame(scored[ITEM]))
        ok = ii >= 0  # items no human labelled have no reference truth
        ri = pd.Index(ids).get_indexer(scored["rater_id"])
        labels[ii[ok], ri[ok]] = scored["relevant"].astype(bool).to_numpy()[ok].astype(np.int8)
        arrays = {**data.arrays, "scored_labels": labels}
        coords = {**data.coords, "scored_rater": ids}
        return ModelData(
            arrays=arrays, coords=coords, hash=hash_arrays(arrays, coords, base=data.hash), tables=data.tables
        )

    def summarize(self, idata: Any, data: ModelData) -> dict[str, pd.DataFrame]:
        """The human model's tables plus ``scored`` and ``scored_differences`` (module docs)."""
        out = super().summarize(idata, data)
        if "scored_labels" in data.arrays and data.arrays["scored_labels"].shape[1]:
            sens_m, fpr_m = marginal_rates(posterior_params(idata), data, self.n_quad)
            reference = {"sens": sens_m.mean(1), "spec": 1 - fpr_m.mean(1)}
            keep = np.linspace(0, len(sens_m) - 1, min(len(sens_m), SCORE_DRAWS)).round().astype(int)
            p = self.item_probabilities(idata, data)[keep]
            reference = {k: v[keep] for k, v in reference.items()}
            out.update(score_against(p, data, reference, rng=np.random.default_rng(0)))
        return out


def score_against(
    p: np.ndarray,
    data: ModelData,
    reference: dict[str, np.ndarray] | None = None,
    *,
    rng: np.random.Generator | None = None,
    n_iter: int = 50,
) -> dict[str, pd.DataFrame]:
    r"""Score the ``scored_labels`` raters against posterior draws ``p`` ``(S, N)`` of the item probabilities.

    Each judge's sensitivity and false-positive rate are estimated, per draw, from the mixture likelihood
    :math:`\prod_i [p_i\, \text{sens}^{y_i} (1 - \text{sens})^{1 - y_i} + (1 - p_i)\, \text{fpr}^{y_i}
    (1 - \text{fpr})^{1 - y_i}]` by EM with the reference probabilities ``p_i`` held fixed (a "cut" model: the
    judge's labels do not move the truth, so there is no incorporation bias, and an uncertain reference does
    not bias the accuracy toward 1/2 as scoring against ``p_i`` directly would). With ``rng``, items get
    Bayesian-bootstrap weights per draw, so the intervals include the items' sampling variability.

    Returns ``scored`` (per scored rater: ``sens``, ``spec``, ``yes_rate``, with intervals over draws) and,
    when ``reference`` gives draws ``(S,)`` of the modelled raters' average ``sens`` and ``spec``,
    ``scored_differences`` (scored-rater average minus that reference, with ``p_positive``).

    Examples
    --------
    >>> from toolkit.models.interface import ModelData
    >>> d = ModelData({"scored_labels": np.array([[1], [0], [1], [-1]], dtype=np.int8)}, {"scored_rater": ["j"]})
    >>> p = np.array([[1.0, 0.0, 0.0, 1.0]] * 2)  # two draws: items 0 and 3 relevant
    >>> t = score_against(p, d)["scored"]
    >>> t.set_index("quantity").loc[["sens", "spec"], "mean"].round(3).tolist()
    [1.0, 0.5]
    """
    y = data.arrays["scored_labels"]
    seen = (y >= 0).astype(float)  # (N, J)
    yes = (y == 1).astype(float)
    p = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)[:, :, None]  # (S, N, 1)
    g = rng.exponential(size=p.shape) if rng is not None else np.ones_like(p)  # Bayesian bootstrap weights
    w = p * seen  # E-step start: the reference itself
    with np.errstate(invalid="ignore", divide="ignore"):
        for _ in range(n_iter):
            sens = (g * w * yes).sum(1) / (g * w).sum(1)  # (S, J)
            fpr = (g * (seen - w) * yes).sum(1) / (g * (seen - w)).sum(1)
            l1 = np.where(yes > 0, sens[:, None], 1 - sens[:, None])
            l0 = np.where(yes > 0, fpr[:, None], 1 - fpr[:, None])
            denom = p * l1 + (1 - p) * l0
            w = seen * np.where(denom > 0, p * l1 / np.where(denom > 0, denom, 1.0), p)
        spec = 1 - fpr
    names = list(data.coords["scored_rater"])
    rate = np.broadcast_to(yes.sum(0) / np.maximum(seen.sum(0), 1), sens.shape)
    draws = {"sens": sens, "spec": spec, "yes_rate": rate}
    out = {
        "scored": pd.concat(
            [summarize_samples(d, {"rater": names, "quantity": [q] * len(names)}) for q, d in draws.items()],
            ignore_index=True,
        )
    }
    if reference is not None:
        rows = []
        for q in ("sens", "spec"):
            delta = draws[q].mean(1) - reference[q]
            t = summarize_samples(delta, {"contrast": ["scored - modelled"], "quantity": [f"{q}_marginal"]})
            t["p_positive"] = float((delta > 0).mean())
            rows.append(t)
        out["scored_differences"] = pd.concat(rows, ignore_index=True)
    return out
