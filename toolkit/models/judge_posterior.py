"""Posterior computations of the judge model (stage 2), in numpy: item probabilities, replicated labels,
summary tables, posterior predictive checks, and comparisons with the majority vote and with Dawid-Skene.

Everything here works on the posterior draws of a fitted :class:`~toolkit.models.judge.JudgeModel` (an ArviZ
DataTree) and its :class:`~toolkit.models.interface.ModelData` (:func:`toolkit.models.judge_data.prepare_labels`);
nothing imports PyMC. Both latent variables are integrated out as in the model: the shared item x group effect
by the trapezoid rule of :func:`quadrature`, the true label by summing the two mixture components.

Outputs of :func:`summarize_judge` (``FitResult.summaries``)
-----------------------------------------------------------
``raters`` (per rater: ``sens``, ``spec`` at u = 0, ``sens_marginal``, ``spec_marginal``, ``yes_rate`` with
the observed rate, ``youden``), ``groups`` (population and rater-average quantities, ``sd_shared``),
``differences`` (LLM minus human, with ``p_positive``), ``prevalence``, ``prompts``, ``items`` (posterior
relevance probability per item beside the human majority), ``vs_majority`` (agreement with the majority by
number of human YES votes) and ``kappa`` (posterior predictive mean pairwise kappa per group pair beside
the observed one).

``crowdkit`` (a dev-only dependency) is imported inside :func:`compare_dawid_skene` only.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from toolkit.models.interface import ModelData
from toolkit.models.judge_data import ITEM
from toolkit.models.summaries import draws_of, expit, log_expit, parameter_table, ppc_row, summarize_samples

__all__ = [
    "CLASSES",
    "cell_probabilities",
    "compare_dawid_skene",
    "compare_with_majority",
    "effect_blocks",
    "effect_scales",
    "item_loglik",
    "kappa_table",
    "marginal_rates",
    "pairwise_kappa",
    "posterior_params",
    "ppc_judge",
    "quadrature",
    "replicate_labels",
    "summarize_judge",
]


def quadrature(n: int, half_width: float = 8.0) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and log-weights for E[f(U)], U ~ N(0, 1): the trapezoid rule on [-8, 8] with ``n`` nodes.

    For smooth integrands with Gaussian decay the trapezoid rule converges geometrically, and unlike
    Gauss-Hermite it spaces the nodes evenly, so an integrand whose mass sits in a tail (a pattern of five
    YES votes with low logits, say) is still resolved: with 61 nodes the error in a pattern's
    log-probability is below 1e-7 for sigma <= 3 (Gauss-Hermite with 32 nodes: up to 4e-3).
    """
    z = np.linspace(-half_width, half_width, n)
    logw = -0.5 * z**2 - 0.5 * np.log(2 * np.pi) + np.log(z[1] - z[0])
    return z, logw - np.logaddexp.reduce(logw)  # renormalise (the truncated tails are < 1e-15)


#: Labels of the latent-class dimension (``z = 0``, ``z = 1``) of the judge-model family's ``effect_scale``.
CLASSES = ["irrelevant", "relevant"]


def posterior_params(idata: Any, max_draws: int | None = None) -> dict[str, np.ndarray]:
    """Posterior draws of the parameters the numpy computations need (optionally thinned).

    ``effect_scale`` (the SD of each rater's item effect in each class, ``(S, R, 2)``) is included when the
    posterior has it (the variants of :mod:`toolkit.models.judge_variants`); otherwise the item effect of
    rater ``r`` has SD ``sd_shared[group(r)]`` in both classes (see :func:`effect_scales`).
    """
    names = ["mu", "b", "logit_sens", "logit_spec"]
    names += [v for v in ("sd_shared", "effect_scale") if v in idata["posterior"]]
    out = {v: draws_of(idata, v) for v in names}
    n = out["mu"].shape[0]
    if max_draws is not None and n > max_draws:
        keep = np.linspace(0, n - 1, max_draws).round().astype(int)
        out = {k: v[keep] for k, v in out.items()}
    return out


def cell_probabilities(idata: Any, data: ModelData, n_quad: int) -> np.ndarray:
    """Posterior draws ``(S, C)`` of P(z = 1 | labels, theta) for every cell (prompt x label patterns);
    items of a cell share it (``data.arrays["item_cell"]``)."""
    th = posterior_params(idata)
    log_g = _pattern_loglik(th, data, n_quad)  # per effect block: (S, P_b, 2)
    a = data.arrays
    logit_pi = th["mu"][:, None] + th["b"][:, a["cell_prompt"]]
    d = logit_pi  # log-odds of z = 1: prior log-odds + sum over blocks of the log likelihood ratios
    for (_, _, _, cell_col), lg in zip(effect_blocks(data), log_g, strict=True):
        d = d + (lg[:, :, 1] - lg[:, :, 0])[:, cell_col]
    return expit(d)


def item_loglik(idata: Any, data: ModelData, n_quad: int, chunk: int = 100) -> np.ndarray:
    """Posterior draws ``(S, N)`` of each item's log-likelihood, log P(labels of item i | theta), with the
    true label and the shared item effects integrated out (the terms whose sum is the model's ``loglik``).

    Draws are processed ``chunk`` at a time (the quadrature array is draws x classes x nodes x patterns).
    """
    th = posterior_params(idata)
    a = data.arrays
    blocks = effect_blocks(data)
    n = th["mu"].shape[0]
    out = np.empty((n, a["cell_count"].shape[0]))
    for lo in range(0, n, chunk):
        part = {k: v[lo : lo + chunk] for k, v in th.items()}
        logit_pi = part["mu"][:, None] + part["b"][:, a["cell_prompt"]]
        ll = np.stack([log_expit(-logit_pi), log_expit(logit_pi)], axis=-1)  # (s, C, 2): log P(z)
        for (_, _, _, cell_col), lg in zip(blocks, _pattern_loglik(part, data, n_quad), strict=True):
            ll = ll + lg[:, cell_col, :]
        out[lo : lo + chunk] = np.logaddexp(ll[..., 0], ll[..., 1])
    return out[:, a["item_cell"]]


def effect_blocks(data: ModelData) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """The raters that share one item effect, per block: ``(rater indices, pattern_yes, pattern_no,
    pattern of each cell)``. Blocks are the rater groups unless the data define ``rater_block`` (with
    ``block_yes_<b>``, ``block_no_<b>`` and ``cell_block_pattern``, e.g. one block of every rater)."""
    a = data.arrays
    if "rater_block" in a:
        rb, yes, no, cells = a["rater_block"], "block_yes_{}", "block_no_{}", a["cell_block_pattern"]
    else:
        rb, yes, no, cells = a["rater_group"], "pattern_yes_{}", "pattern_no_{}", a["cell_pattern"]
    return [
        (np.flatnonzero(rb == b), a[yes.format(b)], a[no.format(b)], cells[:, b])
        for b in range(int(rb.max()) + 1)
    ]


def marginal_rates(th: dict[str, np.ndarray], data: ModelData, n_quad: int) -> tuple[np.ndarray, np.ndarray]:
    """Draws ``(S, R)`` of each rater's sensitivity and false-positive rate averaged over the item effect
    (the accuracy against the true label a confusion matrix would show)."""
    nodes, logw = quadrature(n_quad)
    w = np.exp(logw)
    scale = effect_scales(th, data)  # (S, R, 2)
    sens_m = (expit(th["logit_sens"][..., None] + scale[..., 1, None] * nodes) * w).sum(-1)
    fpr_m = (expit(-th["logit_spec"][..., None] + scale[..., 0, None] * nodes) * w).sum(-1)
    return sens_m, fpr_m


def effect_scales(th: dict[str, np.ndarray], data: ModelData) -> np.ndarray:
    """Draws ``(S, R, 2)`` of the SD of rater r's item effect when the true label is 0 and 1: the posterior's
    ``effect_scale`` if it has one, else ``sd_shared`` of the rater's group in both classes."""
    if "effect_scale" in th:
        return th["effect_scale"]
    sd = th["sd_shared"][:, data.arrays["rater_group"]]
    return np.stack([sd, sd], axis=-1)


def replicate_labels(
    idata: Any, data: ModelData, rng: np.random.Generator, n_draws: int | None
) -> np.ndarray:
    """Replicated label matrices ``(S, N, R)`` (int8, -1 where the observed label is missing).

    Each replicate draws fresh z_i and u_ig from the posterior draw's parameters (the mixed posterior
    predictive: new labels for the same items, prompts and missingness pattern), from ``n_draws`` evenly
    spaced posterior draws (all when None).
    """
    th = posterior_params(idata, n_draws)
    a = data.arrays
    mask = a["labels"] >= 0
    s, (n, r) = th["mu"].shape[0], mask.shape
    pi = expit(th["mu"][:, None] + th["b"][:, a["item_prompt"]])
    z = rng.random((s, n)) < pi
    block = a.get("rater_block", a["rater_group"])
    u = rng.standard_normal((s, n, int(block.max()) + 1))  # one standard effect per item and block
    scale = effect_scales(th, data)  # (S, R, 2)
    eta = np.where(z[..., None], th["logit_sens"][:, None, :], -th["logit_spec"][:, None, :])
    eta = eta + u[:, :, block] * np.where(z[..., None], scale[:, None, :, 1], scale[:, None, :, 0])
    y = (rng.random((s, n, r)) < expit(eta)).astype(np.int8)
    y[:, ~mask] = -1
    return y


def summarize_judge(idata: Any, data: ModelData, *, n_quad: int, ppc_draws: int) -> dict[str, pd.DataFrame]:
    """The judge model's summary tables (module docstring), from the posterior and the prepared data.

    Parameters
    ----------
    idata : xarray.DataTree
        The posterior.
    data : ModelData
        The prepared data.
    n_quad : int
        Nodes of the trapezoid rule that integrates out the shared item x group effect.
    ppc_draws : int
        Posterior draws replicated for the posterior predictive kappas.
    """
    a = data.arrays
    groups = list(data.coords["group"])
    raters = list(data.coords["rater"])
    rgroup = [groups[g] for g in a["rater_group"]]
    th = posterior_params(idata)
    sens_m, fpr_m = marginal_rates(th, data, n_quad)
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
    group_draws: dict[str, np.ndarray] = {"sens_population": expit(m_sens), "spec_population": expit(m_spec)}
    if th.get("sd_shared", np.empty(0)).shape[1:] == (len(groups),):  # one SD per group (not per class)
        group_draws["sd_shared"] = th["sd_shared"]
    for q in ("sens", "spec", "sens_marginal", "spec_marginal", "yes_rate", "youden"):
        group_draws[q] = np.stack(
            [per_rater[q][:, a["rater_group"] == gi].mean(1) for gi in range(len(groups))], axis=1
        )
    gt = [
        summarize_samples(d, {"group": groups, "quantity": [q] * len(groups)}) for q, d in group_draws.items()
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
    cell_stats = summarize_samples(cell_probabilities(idata, data, n_quad))
    items = data.tables["items"].copy()
    items_stats = cell_stats.iloc[a["item_cell"]]
    items["p_relevant"] = items_stats["mean"].to_numpy()
    items["sd"] = items_stats["sd"].to_numpy()
    items["ci_low"] = items_stats["ci_low"].to_numpy()
    items["ci_high"] = items_stats["ci_high"].to_numpy()
    items["mean"] = items["p_relevant"]
    items["model_label"] = items["p_relevant"] > 0.5
    vs = compare_with_majority(items)

    kappa = kappa_table(idata, data, np.random.default_rng(0), n_draws=ppc_draws)
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


def kappa_table(
    idata: Any, data: ModelData, rng: np.random.Generator, *, n_draws: int | None
) -> pd.DataFrame:
    """Mean pairwise kappa per group pair: observed, and its posterior predictive distribution (``mean, sd,
    ci_low, ci_high``, ``p_value``, ``within_ci``) over labels replicated from ``n_draws`` posterior draws."""
    groups = list(data.coords["group"])
    rgroup = np.asarray(data.arrays["rater_group"])
    obs = pairwise_kappa(data.arrays["labels"][None])[0]
    rep = pairwise_kappa(replicate_labels(idata, data, rng, n_draws))
    rows = []
    for g_a, g_b in _group_pairs(groups):
        ia, ib = groups.index(g_a), groups.index(g_b)
        o = _block_mean(obs[None], rgroup, ia, ib)[0]
        r = _block_mean(rep, rgroup, ia, ib)
        rows.append(ppc_row("mean pairwise kappa", o, r, group_a=g_a, group_b=g_b))
    # a stored summary table: its columns stay those of the cache layout (an undefined kappa has p_value NaN)
    t = pd.DataFrame(rows).drop(columns=["defined", "note"])
    return t.rename(columns={"rep_mean": "mean", "rep_sd": "sd", "rep_low": "ci_low", "rep_high": "ci_high"})


def ppc_judge(idata: Any, data: ModelData, rng: np.random.Generator, *, n_draws: int | None) -> pd.DataFrame:
    """Observed vs replicated: pairwise kappa per rater pair and group pair, YES rate per rater,
    human-majority YES share, and the distribution of the number of YES votes per group (labels replicated
    from ``n_draws`` posterior draws).

    A statistic undefined on the design is reported as such, not as a misfit (``p_value`` NaN, ``note``
    :data:`~toolkit.models.summaries.UNDEFINED`, see :func:`~toolkit.models.summaries.ppc_row`): the kappa
    of two raters who share no item, and the YES-vote statistics of a group when no item carries a label of
    every rater of the group (e.g. sparse crowd raters).
    """
    a = data.arrays
    groups = list(data.coords["group"])
    raters = list(data.coords["rater"])
    rgroup = np.asarray(a["rater_group"])
    y_obs = a["labels"]
    y_rep = replicate_labels(idata, data, rng, n_draws)
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
        obs = _share(y_obs[mask[:, r], r] == 1)
        rep = _share(y_rep[:, mask[:, r], r] == 1)
        rows.append(ppc_row("yes rate", obs, rep, group=name))
    for gi, g in enumerate(groups):
        cols = rgroup == gi
        full = mask[:, cols].all(1)  # items with every label of the group
        n_g = int(cols.sum())
        yes_obs = (y_obs[full][:, cols] == 1).sum(1)
        yes_rep = (y_rep[:, full][:, :, cols] == 1).sum(2)
        rows.append(
            ppc_row("majority yes share", _share(yes_obs * 2 > n_g), _share(yes_rep * 2 > n_g), group=g)
        )
        for k in range(n_g + 1):
            rows.append(
                ppc_row(f"share of items with {k} yes", _share(yes_obs == k), _share(yes_rep == k), group=g)
            )
    return pd.DataFrame(rows)


def _share(hits: np.ndarray) -> Any:
    """Mean over the last axis of a boolean array; NaN (no warning) where that axis is empty."""
    if hits.shape[-1] == 0:
        return np.full(hits.shape[:-1], np.nan)[()]
    return hits.mean(-1)


def _pattern_loglik(th: dict[str, np.ndarray], data: ModelData, n_quad: int) -> list[np.ndarray]:
    """log P(block pattern | z) per effect block (:func:`effect_blocks`), for every draw: list of (S, P_b, 2)."""
    nodes, logw = quadrature(n_quad)
    scale = np.moveaxis(effect_scales(th, data), 2, 1)  # (S, 2, R)
    out = []
    for idx, yes, no, _ in effect_blocks(data):
        a_z = np.stack([-th["logit_spec"][:, idx], th["logit_sens"][:, idx]], axis=1)  # (S, 2, R_b)
        eta = a_z[:, :, None, :] + scale[:, :, None, idx] * nodes[None, None, :, None]
        y1 = yes.astype(float)
        y0 = no.astype(float)
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
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a draw where every pair is undefined: NaN
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
