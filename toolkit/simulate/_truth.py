"""The ground truth of a drawn study: every parameter, every latent variable, and derived quantities.

All keys are documented in :mod:`toolkit.simulate` (section *Ground truth*). Population quantities are
computed by Gauss-Hermite quadrature over the normal effects; sample quantities from the draws. Under a
misspecified generator the population quantities integrate its extra effects too, and
``truth["misspecification"]`` (:func:`misspecification_truth`) records its parameters and where its
realised effects are.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import expit, logit

import toolkit
from toolkit.simulate._misspecified import cell_sd, item_effect_sds, parameters
from toolkit.simulate._records import response_ids
from toolkit.simulate._stages import ACCEPTED, Study
from toolkit.simulate.config import BASELINES, FAILURE_MODES, LLMS, REWARD_MODELS, SOURCES, VERIFIER

__all__ = [
    "LOGISTIC_VAR",
    "normal_mean",
    "stage1_population",
    "stage2_population",
    "stage3_latent_correlations",
    "misspecification_truth",
    "build_truth",
]

_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(60)
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()
LOGISTIC_VAR = np.pi**2 / 3


def normal_mean(f: Any, sd: float) -> float:
    """E f(X) for X ~ N(0, sd^2), by Gauss-Hermite quadrature."""
    return float(np.sum(_WEIGHTS * f(sd * _NODES)))


def _r(x: float) -> float:
    return round(float(x), 6)


def _rl(values: np.ndarray) -> list[float]:
    return [round(float(v), 6) for v in values]


def stage1_population(config: Any) -> dict[str, dict[str, float]]:
    """Population label shares per source, integrating over user and annotator effects (and the attribute
    effect under ``"attribute-effect"``)."""
    c = config.stage1
    c1, c2 = c.cutpoints
    sd = float(np.hypot(c.sd_user, c.sd_annotator))
    if config.misspecification == "attribute-effect":
        sd = float(np.hypot(sd, parameters(config)["sd_attribute"]))
    out = {}
    for s in SOURCES:
        accepted = normal_mean(lambda x, a=c.alpha[s]: expit(a + x - c2), sd)
        rejected = normal_mean(lambda x, a=c.alpha[s]: expit(c1 - a - x), sd)
        out[s] = {"accepted": accepted, "uncertain": 1 - accepted - rejected, "rejected": rejected}
    return out


def stage2_population(config: Any, study: Study | None = None) -> dict[str, Any]:
    """Population prevalence and each rater's YES rate and marginal accuracy (averaged over ``u``, the total
    item effect of the rater's group). Under ``"sparse-crowd"`` the human raters are the crowd workers of
    ``study``."""
    c = config.stage2
    prevalence = normal_mean(lambda x: expit(c.mu + x), c.sd_prompt)
    raters = {}
    n_h = config.design.n_human_annotators * config.rater_scale
    hs, hp = c.human_sensitivity, c.human_specificity
    if study is not None and study.crowd_ids:
        crowd = zip(study.crowd_ids, study.s2_crowd_sens, study.s2_crowd_spec, strict=True)
        specs = [(rid, "human", float(sens), float(spec)) for rid, sens, spec in crowd]
    else:
        specs = [(f"human-{k + 1}", "human", hs[k % len(hs)], hp[k % len(hp)]) for k in range(n_h)]
    specs += [(j, "llm", c.llm_sensitivity[j], c.llm_specificity[j]) for j in LLMS]
    sd_total = item_effect_sds(config)["total"]
    for rid, group, sens, spec in specs:
        sd = sd_total[group]
        sens_m = normal_mean(lambda x, s=sens: expit(logit(s) + x), sd)
        fpr_m = normal_mean(lambda x, s=spec: expit(logit(1 - s) + x), sd)
        raters[rid] = {
            "group": group,
            "sensitivity": sens,
            "specificity": spec,
            "sensitivity_marginal": _r(sens_m),
            "specificity_marginal": _r(1 - fpr_m),
            "yes_rate_population": _r(prevalence * sens_m + (1 - prevalence) * fpr_m),
        }
    return {"prevalence": prevalence, "raters": raters}


def stage3_latent_correlations(config: Any, study: Study | None = None) -> dict[str, dict[str, float]]:
    """Correlation of each scorer's latent score with Q: analytic (generators equally weighted) and sample.

    Latent score of a judge = ``Q + delta * mention + e + logistic noise`` (the value cut into the 1-5
    rating; constants dropped; under ``"judge-thresholds"`` an LLM judge's ``e`` includes the shared cell
    effect); of a reward model, its score.
    """
    sd_cell = cell_sd(config)
    c = config.stage3
    beta = np.array([c.beta[g] for g in LLMS])
    rate = np.array([c.mention_rate[g] for g in LLMS])
    var_q = beta.var() + c.sd_item**2 + c.sd_attr**2
    cov_qm = float(np.mean((beta - beta.mean()) * (rate - rate.mean())))
    var_m = float(np.mean(rate * (1 - rate)) + rate.var())
    out: dict[str, dict[str, float]] = {}
    judges = [("human", "human"), *[(j, j) for j in LLMS]]
    for name, key in judges:
        d, sd_e = c.delta[key], c.sd_judge_noise[key]
        if sd_cell > 0 and key != "human":
            sd_e = float(np.hypot(sd_e, sd_cell))
        cov = var_q + d * cov_qm
        var = var_q + d * d * var_m + 2 * d * cov_qm + sd_e**2 + LOGISTIC_VAR
        out[name] = {"analytic": _r(cov / np.sqrt(var_q * var))}
    for rid in REWARD_MODELS:
        out[rid] = {"analytic": _r(c.reward_rho[rid])}
    if study is not None:
        Q = study.s3_Q

        def corr(x: np.ndarray) -> float:
            return _r(np.corrcoef(x, Q)[0, 1]) if len(Q) > 2 and np.std(x) > 0 else float("nan")

        h = study.s3_latent_h - study.s3_h[None, :]
        by_annotator = {rid: corr(h[:, k]) for k, rid in enumerate(study.human_ids)}
        out["human"]["sample"] = _r(np.mean(list(by_annotator.values())))
        out["human"]["sample_by_annotator"] = by_annotator
        for j, judge in enumerate(LLMS):
            out[judge]["sample"] = corr(study.s3_latent_l[:, j])
        for s, rid in enumerate(REWARD_MODELS):
            out[rid]["sample"] = corr(study.s3_rm[:, s])
    return out


def build_truth(study: Study) -> dict[str, Any]:
    """The JSON-ready ground truth of ``study`` (keys documented in :mod:`toolkit.simulate`)."""
    cfg = study.config
    c1, c2, c3 = cfg.stage1, cfg.stage2, cfg.stage3
    sz = study.sizes
    # ---- stage 1
    pop1 = stage1_population(cfg)
    src = study.user_source[study.attr_user]
    shares: dict[str, dict[str, float]] = {}
    for s, name in enumerate(SOURCES):
        lab = study.s1_label[src == s]
        shares[name] = {
            "accepted": _r((lab == ACCEPTED).mean()),
            "uncertain": _r((lab == 1).mean()),
            "rejected": _r((lab == 0).mean()),
        }
    real = study.s1_label[src == 0]
    synth = study.s1_label[src != 0]
    pop_real = 1 - pop1[SOURCES[0]]["accepted"]
    n_syn = {s: sz.users_per_source[s] for s in SOURCES[1:]}
    pop_synth = sum((1 - pop1[s]["accepted"]) * n for s, n in n_syn.items()) / max(1, sum(n_syn.values()))
    problem = study.s1_failure >= 0
    stage1 = {
        "alpha": dict(c1.alpha),
        "cutpoints": list(c1.cutpoints),
        "sd_user": c1.sd_user,
        "sd_annotator": c1.sd_annotator,
        "w": {rid: _r(w) for rid, w in zip(study.human_ids, study.s1_w, strict=True)},
        "v": {uid: _r(v) for uid, v in zip(study.user_ids, study.s1_v, strict=True)},
        "failure_mode_shares": dict(c1.failure_mode_shares),
        "verifier_operating_points": {k: list(v) for k, v in c1.verifier_operating_points.items()},
        "derived": {
            "label_shares_population": {s: {k: _r(v) for k, v in d.items()} for s, d in pop1.items()},
            "label_shares_sample": shares,
            "problematic_share_population": {"real": _r(pop_real), "synthetic": _r(pop_synth)},
            "problematic_gap_population": _r(pop_real - pop_synth),
            "problematic_gap_sample": _r((real != ACCEPTED).mean() - (synth != ACCEPTED).mean()),
            "failure_mode_shares_sample": {
                m: _r((study.s1_failure[problem] == i).mean()) for i, m in enumerate(FAILURE_MODES)
            },
            "attributes_problematic_under_majority": int(study.s1_problematic_majority.sum()),
            "attributes_with_a_problematic_judgment": int(problem.any(axis=1).sum()),
        },
    }
    if study.s1_t is not None:
        stage1["attribute_effect"] = {aid: _r(t) for aid, t in zip(study.attr_ids, study.s1_t, strict=True)}
    # ---- stage 2
    pop2 = stage2_population(cfg, study)
    if study.crowd_ids:
        yes, who = study.s2_yes_h.ravel(), study.s2_human_rater.ravel()
        for w, rid in enumerate(study.crowd_ids):
            pop2["raters"][rid]["n_labels"] = int((who == w).sum())
            pop2["raters"][rid]["yes_rate_sample"] = _r(yes[who == w].mean()) if (who == w).any() else None
    else:
        for k, rid in enumerate(study.human_ids):
            pop2["raters"][rid]["yes_rate_sample"] = _r(study.s2_yes_h[:, k].mean())
    for j, rid in enumerate(LLMS):
        pop2["raters"][rid]["yes_rate_sample"] = _r(study.s2_yes_l[:, j].mean())
    pair_user = study.pair_user[study.item_pair]
    pair_prompt = study.pair_prompt[study.item_pair]
    stage2 = {
        "mu": c2.mu,
        "sd_prompt": c2.sd_prompt,
        "b": {pid: _r(b) for pid, b in zip(study.prompt_ids, study.s2_b, strict=True)},
        "sd_shared": dict(item_effect_sds(cfg)["total"]),
        "raters": pop2["raters"],
        "baseline_operating_points": {k: list(v) for k, v in c2.baseline_operating_points.items()},
        "derived": {
            "prevalence_population": _r(pop2["prevalence"]),
            "prevalence_sample": _r(study.s2_z.mean()),
            "human_majority_rate_sample": _r(study.s2_majority.mean()),
        },
        "items": {
            "user_id": [study.user_ids[u] for u in pair_user],
            "prompt_id": [study.prompt_ids[p] for p in pair_prompt],
            "attribute_id": [study.attr_ids[a] for a in study.item_attr],
            "z": study.s2_z.astype(int).tolist(),
            "u_human": _rl(study.s2_u["human"]),
            "u_llm": _rl(study.s2_u["llm"]),
        },
    }
    if study.s2_u_shared is not None:
        stage2["items"]["u_shared"] = _rl(study.s2_u_shared)
    if study.crowd_ids:
        stage2["items"]["human_raters"] = [[study.crowd_ids[w] for w in row] for row in study.s2_human_rater]
    # ---- stage 3
    resp = [response_ids(study, it)[0] for it in range(len(study.s3_item_pair))]
    gen = study.s3_item_gen[study.unit_item]
    stage3 = {
        "cutpoints": list(c3.cutpoints),
        "beta": dict(c3.beta),
        "gamma": {"human": 0.0, **c3.gamma},
        "delta": dict(c3.delta),
        "sd_item": c3.sd_item,
        "sd_attr": c3.sd_attr,
        "sd_annotator": c3.sd_annotator,
        "sd_judge_noise": dict(c3.sd_judge_noise),
        "h": {rid: _r(h) for rid, h in zip(study.human_ids, study.s3_h, strict=True)},
        "mention_rate": dict(c3.mention_rate),
        "reward_rho": dict(c3.reward_rho),
        "latent_correlation_with_Q": stage3_latent_correlations(cfg, study),
        "derived": {
            "mention_rate_sample": {g: _r(study.unit_mention[gen == i].mean()) for i, g in enumerate(LLMS)},
        },
        "conditioning": study.s3_conditioning,
        "items": {
            "personalized_response_id": resp,
            "generator": [LLMS[g] for g in study.s3_item_gen],
            "q": _rl(study.s3_q),
        },
        "units": {
            "personalized_response_id": [resp[i] for i in study.unit_item],
            "attribute_id": [study.attr_ids[a] for a in study.unit_attr],
            "mention": study.unit_mention.astype(int).tolist(),
            "a": _rl(study.s3_a),
            "Q": _rl(study.s3_Q),
            "e": {j: _rl(study.s3_e_l[:, k]) for k, j in enumerate(LLMS)},
        },
    }
    if study.s3_judge_cuts is not None:
        stage3["judge_cutpoints"] = {j: _rl(study.s3_judge_cuts[k]) for k, j in enumerate(LLMS)}
    if study.s3_e_shared is not None:
        stage3["units"]["e_llm_shared"] = _rl(study.s3_e_shared)
    raters = {
        "human": list(study.human_ids),
        "llm": list(LLMS),
        "baseline": [*BASELINES, VERIFIER],
        "reward_model": list(REWARD_MODELS),
    }
    if study.crowd_ids:
        raters["crowd"] = list(study.crowd_ids)
    truth = {
        "description": (
            "Ground truth of a simulated study (toolkit.simulate): parameters, latent variables and derived "
            "quantities. See the toolkit.simulate module documentation for the meaning of every key."
        ),
        "toolkit_version": toolkit.__version__,
        "seed": study.seed,
        "size_scale": cfg.size_scale,
        "rater_scale": cfg.rater_scale,
        "balanced": cfg.balanced,
        "config": cfg.to_dict(),
        "raters": raters,
        "stage1": stage1,
        "stage2": stage2,
        "stage3": stage3,
    }
    if cfg.misspecification is not None:
        truth["misspecification"] = misspecification_truth(study)
    return truth


#: What each misspecified generator changes, and where its realised effects are in the truth.
_REALISED: dict[str, dict[str, str]] = {
    "shared-item": {
        "stage2.items.u_shared": "item effect shared by every human and LLM judge (per item)",
        "stage2.items.u_human": "total human item effect: u_shared plus the humans' own effect",
        "stage2.items.u_llm": "total LLM item effect: u_shared plus the LLMs' own effect",
        "stage2.sd_shared": "SD of each group's total item effect",
    },
    "attribute-effect": {
        "stage1.attribute_effect": "attribute effect added to eta for every annotator (per attribute id)",
        "stage1.derived": "population label shares and gap integrate the attribute effect (quadrature)",
    },
    "judge-thresholds": {
        "stage3.judge_cutpoints": "each LLM judge's cutpoints [c1..c4] (stage3.cutpoints: the humans')",
        "stage3.units.e_llm_shared": "cell effect added to every LLM judge's latent value (per unit)",
        "stage3.latent_correlation_with_Q": "an LLM judge's noise includes the shared cell effect",
    },
    "sparse-crowd": {
        "raters.crowd": "the crowd workers (kind human; stage 2 only)",
        "stage2.raters": "the crowd workers and LLM judges (human-k slots do not rate stage 2)",
        "stage2.items.human_raters": "the workers who labelled each item",
    },
}


def misspecification_truth(study: Study) -> dict[str, Any]:
    """``truth["misspecification"]``: the generator's name, parameters, where its realised effects are, and
    the population quantities it changes."""
    cfg = study.config
    name = cfg.misspecification
    out: dict[str, Any] = {"name": name, "parameters": parameters(cfg), "realised": dict(_REALISED[name])}
    if name == "shared-item":
        sds = item_effect_sds(cfg)
        out["sd_item_effect"] = {k: v if isinstance(v, float) else dict(v) for k, v in sds.items()}
        tot = sds["total"]
        out["correlation_u_human_u_llm"] = _r(sds["shared"] ** 2 / (tot["human"] * tot["llm"]))
    elif name == "attribute-effect":
        c = cfg.stage1
        sd = float(np.sqrt(c.sd_user**2 + c.sd_annotator**2 + parameters(cfg)["sd_attribute"] ** 2))
        out["sd_latent_random"] = _r(sd)
        out["population_method"] = (
            "Gauss-Hermite quadrature (60 nodes) over N(0, sd_user^2 + sd_annotator^2 + sd_attribute^2)"
        )
        out["sd_attribute_sample"] = _r(np.std(study.s1_t))
    elif name == "judge-thresholds":
        c = cfg.stage3
        shift = study.s3_judge_cuts.mean(axis=1) - np.mean(c.cutpoints)
        out["cutpoint_shift_mean"] = {j: _r(v) for j, v in zip(LLMS, shift, strict=True)}
        # a judge whose cutpoints all move by d is a judge whose inflation moves by -d
        out["gamma_effective"] = {j: _r(c.gamma[j] - v) for j, v in zip(LLMS, shift, strict=True)}
        sd_cell = cell_sd(cfg)
        out["sd_judge_noise_total"] = {j: _r(np.hypot(c.sd_judge_noise[j], sd_cell)) for j in LLMS}
    elif name == "sparse-crowd":
        c = cfg.stage2
        out["labels_per_item"] = int(study.s2_human_rater.shape[1])
        out["n_workers"] = len(study.crowd_ids)
        out["worker_centre"] = {
            "sensitivity": _r(expit(np.mean(logit(np.asarray(c.human_sensitivity))))),
            "specificity": _r(expit(np.mean(logit(np.asarray(c.human_specificity))))),
        }
    return out
