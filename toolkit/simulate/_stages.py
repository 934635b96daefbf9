"""The study design and every latent draw, as numpy arrays (no records here; see ``_records``).

Draw order is fixed (design, stage 1, stage 2, stage 3, conversations) so a seed always gives the same study.
A misspecified generator (``SimulationConfig.misspecification``) draws its extra effects from a sixth
sub-stream (``_misspecified``); the five stage streams are spawned as before.
"""

from __future__ import annotations

import attrs
import numpy as np
from scipy.special import expit, logit
from threadpoolctl import threadpool_limits

from toolkit.simulate._misspecified import (
    cell_sd,
    draw_attribute_effect,
    draw_crowd,
    draw_judge_cutpoints,
    draw_shared_item,
    item_effect_sds,
)
from toolkit.simulate._ratings import correlation_stats, max_deviation, stage3_draw, stage3_expected
from toolkit.simulate._sampling import Sampler
from toolkit.simulate.config import (
    BASELINES,
    FAILURE_MODES,
    LLMS,
    SOURCES,
    VERIFIER,
    SimulationConfig,
)

__all__ = [
    "ACCEPTED",
    "REJECTED",
    "UNCERTAIN",
    "SOURCE_TAGS",
    "Sizes",
    "Study",
    "draw_study",
]

#: Stage-1 label codes (ordinal, higher = better).
REJECTED, UNCERTAIN, ACCEPTED = 0, 1, 2
SOURCE_TAGS = {"wildchat": "wc"}


def _width(n: int, minimum: int) -> int:
    return max(minimum, len(str(n)))


def _scaled(n: int, scale: float, minimum: int = 1) -> int:
    return max(minimum, int(round(n * scale)))


@attrs.define
class Sizes:
    """Derived sizes at the config's scale."""

    users_per_source: dict[str, int]
    n_attributes: int
    n_prompts: int
    n_pairs: int
    n_items: int
    stage3_pairs: int
    n_ratings: int
    n_conversations: int
    n_humans: int

    @classmethod
    def of(cls, config: SimulationConfig) -> Sizes:
        d, s = config.design, config.size_scale
        users = {src: _scaled(n, s, 2 if src == SOURCES[0] else 1) for src, n in d.users_per_source.items()}
        n_prompts = _scaled(d.n_prompts, s)
        n_wc = users[SOURCES[0]]
        n_pairs = d.users_per_prompt * n_prompts
        lo, hi = d.prompts_per_user
        if not lo * n_wc <= n_pairs <= hi * n_wc:
            raise ValueError(
                f"{n_pairs} pairs cannot be spread over {n_wc} users with {lo}-{hi} prompts each; "
                "adjust the design"
            )
        return cls(
            users_per_source=users,
            n_attributes=_scaled(d.n_attributes, s),
            n_prompts=n_prompts,
            n_pairs=n_pairs,
            n_items=_scaled(d.n_relevance_items, s),
            stage3_pairs=_scaled(d.stage3_pairs, s),
            n_ratings=_scaled(d.n_attribute_ratings, s),
            n_conversations=max(_scaled(d.n_conversations, s), d.min_conversations_per_user * n_wc),
            n_humans=d.n_human_annotators * config.rater_scale,
        )


@attrs.define
class Study:
    """Everything drawn for one simulated study (arrays indexed by position; ids built from them)."""

    config: SimulationConfig
    seed: int
    sizes: Sizes
    # users
    user_ids: list[str] = attrs.field(factory=list)
    user_source: np.ndarray = None  # index into SOURCES
    user_number: np.ndarray = None  # 1-based global number (ids)
    user_n_attr: np.ndarray = None
    user_first_attr: np.ndarray = None
    human_ids: list[str] = attrs.field(factory=list)
    # attributes
    attr_ids: list[str] = attrs.field(factory=list)
    attr_user: np.ndarray = None
    attr_confidence: np.ndarray = None
    # stage 1
    s1_v: np.ndarray = None
    s1_w: np.ndarray = None
    s1_label: np.ndarray = None  # (n_attr, n_humans) codes
    s1_failure: np.ndarray = None  # (n_attr, n_humans) index into FAILURE_MODES or -1
    s1_problematic_majority: np.ndarray = None
    s1_verifier_flag: dict[str, np.ndarray] = attrs.field(factory=dict)
    s1_verifier_prob: dict[str, np.ndarray] = attrs.field(factory=dict)
    s1_t: np.ndarray = None  # "attribute-effect": attribute effect per attribute
    # stage 2
    prompt_ids: list[str] = attrs.field(factory=list)
    pair_user: np.ndarray = None
    pair_prompt: np.ndarray = None
    item_pair: np.ndarray = None
    item_attr: np.ndarray = None
    s2_b: np.ndarray = None
    s2_p: np.ndarray = None
    s2_z: np.ndarray = None
    s2_u: dict[str, np.ndarray] = attrs.field(factory=dict)  # total effect entering each group's logit
    s2_u_shared: np.ndarray = None  # "shared-item": the part shared by humans and LLMs
    crowd_ids: list[str] = attrs.field(factory=list)  # "sparse-crowd": stage-2 human raters
    s2_crowd_sens: np.ndarray = None
    s2_crowd_spec: np.ndarray = None
    s2_human_rater: np.ndarray = None  # "sparse-crowd": (n_items, n_humans) index into crowd_ids
    s2_yes_h: np.ndarray = None  # (n_items, n_humans)
    s2_yes_l: np.ndarray = None  # (n_items, 5)
    s2_majority: np.ndarray = None
    s2_base_pred: dict[str, np.ndarray] = attrs.field(factory=dict)
    s2_base_score: dict[str, np.ndarray] = attrs.field(factory=dict)
    # stage 3
    s3_pairs: np.ndarray = None  # pair indices
    s3_item_pair: np.ndarray = None
    s3_item_gen: np.ndarray = None
    unit_item: np.ndarray = None
    unit_attr: np.ndarray = None
    unit_mention: np.ndarray = None
    s3_q: np.ndarray = None  # per item
    s3_a: np.ndarray = None  # per unit
    s3_Q: np.ndarray = None
    s3_h: np.ndarray = None
    s3_latent_h: np.ndarray = None  # (n_units, n_humans) latent eta + logistic noise
    s3_latent_l: np.ndarray = None  # (n_units, 5)
    s3_e_l: np.ndarray = None  # (n_units, 5)
    s3_rating_h: np.ndarray = None
    s3_rating_l: np.ndarray = None
    s3_rm: np.ndarray = None  # (n_units, n_rm)
    s3_conditioning: dict = attrs.field(factory=dict)
    s3_judge_cuts: np.ndarray = None  # "judge-thresholds": (5, 4) cutpoints per LLM judge
    s3_e_shared: np.ndarray = None  # "judge-thresholds": cell effect shared by the LLM judges
    # conversations
    conv_user: np.ndarray = None
    conv_number: np.ndarray = None
    conv_exchanges: np.ndarray = None


# ------------------------------------------------------------------------------------------------------
# Design helpers
# ------------------------------------------------------------------------------------------------------


def _spread(rng: np.random.Generator, n: int, total: int, lo: int, hi: int) -> np.ndarray:
    """``n`` integers in ``[lo, hi]`` summing to ``total``, spread at random."""
    if not lo * n <= total <= hi * n:
        raise ValueError(f"cannot spread {total} over {n} units with {lo}-{hi} each")
    d = np.full(n, lo)
    rest = total - lo * n
    while rest > 0:
        cand = np.flatnonzero(d < hi)
        pick = rng.choice(cand, size=min(rest, len(cand)), replace=False)
        d[pick] += 1
        rest -= len(pick)
    return d


def _fit_weighted_sum(
    rng: np.random.Generator, n: np.ndarray, weights: np.ndarray, target: int, lo: int, hi: int
) -> np.ndarray:
    """Adjust integers ``n`` (within ``[lo, hi]``) by unit steps until ``sum(weights * n) == target``."""
    n = n.copy()
    diff = int(target - (weights * n).sum())
    while diff != 0:
        step = 1 if diff > 0 else -1
        movable = (n + step >= lo) & (n + step <= hi)
        single = movable & (weights <= abs(diff))
        if single.any():
            k = rng.choice(np.flatnonzero(single))
            n[k] += step
            diff -= step * int(weights[k])
            continue
        # A pair move: +step on a, -step on b changes the sum by step * (w_a - w_b).
        back = (n - step >= lo) & (n - step <= hi)
        cands = [
            (a, b)
            for a in np.flatnonzero(movable)
            for b in np.flatnonzero(back)
            if a != b and 0 < weights[a] - weights[b] <= abs(diff)
        ]
        if not cands:
            raise ValueError(f"cannot reach a weighted total of {target} within {lo}-{hi}")
        a, b = cands[rng.integers(len(cands))]
        n[a] += step
        n[b] -= step
        diff -= step * int(weights[a] - weights[b])
    return n


def _assign_pairs(
    rng: np.random.Generator, degrees: np.ndarray, n_prompts: int, per_prompt: int
) -> np.ndarray:
    """A (n_prompts, per_prompt) table of user indices: user ``u`` appears ``degrees[u]`` times, never twice
    in a row (a random bipartite graph with the given degrees)."""
    table = rng.permutation(np.repeat(np.arange(len(degrees)), degrees)).reshape(n_prompts, per_prompt)
    for _ in range(100 * table.size):
        bad = [
            (r, j) for r in range(n_prompts) for j in range(per_prompt) if (table[r] == table[r, j]).sum() > 1
        ]
        if not bad:
            return table
        r, j = bad[rng.integers(len(bad))]
        r2, j2 = int(rng.integers(n_prompts)), int(rng.integers(per_prompt))
        u, u2 = table[r, j], table[r2, j2]
        if r2 != r and u not in table[r2] and u2 not in table[r]:
            table[r, j], table[r2, j2] = u2, u
    raise ValueError("could not pair users with prompts without repeats; adjust the design")


# ------------------------------------------------------------------------------------------------------
# The draws
# ------------------------------------------------------------------------------------------------------


def draw_study(config: SimulationConfig, seed: int) -> Study:
    """Draw the whole study. Independent sub-streams per stage keep each stage's draws stable."""
    sizes = Sizes.of(config)
    study = Study(config=config, seed=seed, sizes=sizes)
    # spawn(6)[:5] are the same streams as spawn(5): the sixth (misspecified generators only) changes nothing
    streams = np.random.SeedSequence(seed).spawn(6)
    rngs = [np.random.default_rng(s) for s in streams]
    misfit = Sampler(rngs[5], config.balanced)
    # The linear algebra here is on thin matrices, where BLAS threads cost far more than they save.
    with threadpool_limits(limits=1, user_api="blas"):
        _design(study, rngs[0])
        _stage1(study, Sampler(rngs[1], config.balanced), misfit)
        _stage2(study, Sampler(rngs[2], config.balanced), misfit)
        _stage3(study, Sampler(rngs[3], config.balanced), misfit)
        _conversations(study, rngs[4])
    return study


def _design(study: Study, rng: np.random.Generator) -> None:
    cfg, sz = study.config.design, study.sizes
    lo, hi = cfg.attributes_per_user
    # users, numbered globally in source order
    sources = np.concatenate([np.full(sz.users_per_source[s], i) for i, s in enumerate(SOURCES)])
    n_users = len(sources)
    uw = _width(n_users, 4)
    study.user_source = sources
    study.user_number = np.arange(1, n_users + 1)
    study.user_ids = [
        f"u-{SOURCE_TAGS.get(SOURCES[s], SOURCES[s])}-{k:0{uw}d}"
        for s, k in zip(sources, study.user_number, strict=True)
    ]
    study.human_ids = [f"human-{k}" for k in range(1, sz.n_humans + 1)]
    n_wc = sz.users_per_source[SOURCES[0]]
    # stage-2 pairs: prompts per WildChat user, then a random bipartite graph
    degrees = _spread(rng, n_wc, sz.n_pairs, *cfg.prompts_per_user)
    table = _assign_pairs(rng, degrees, sz.n_prompts, cfg.users_per_prompt)
    pairs = sorted((int(u), p) for p in range(sz.n_prompts) for u in table[p])
    study.pair_user = np.array([u for u, _ in pairs])
    study.pair_prompt = np.array([p for _, p in pairs])
    pw = _width(sz.n_prompts, 3)
    study.prompt_ids = [f"p-{cfg.prompt_source}-{k:0{pw}d}" for k in range(1, sz.n_prompts + 1)]
    # profile sizes: WildChat users so that the pairs hold n_items items; synthetic users take the rest
    start = lo + np.round((hi - lo) * rng.beta(*cfg.profile_size_shape, n_wc)).astype(int)
    n_wc_attr = _fit_weighted_sum(rng, start, degrees, sz.n_items, lo, hi)
    n_syn = n_users - n_wc
    rest = sz.n_attributes - int(n_wc_attr.sum())
    if n_syn:
        start = lo + np.round((hi - lo) * rng.beta(*cfg.synthetic_profile_size_shape, n_syn)).astype(int)
        n_syn_attr = _fit_weighted_sum(rng, start, np.ones(n_syn, dtype=int), rest, lo, hi)
    elif rest:
        raise ValueError("no synthetic users to hold the remaining attributes")
    else:
        n_syn_attr = np.zeros(0, dtype=int)
    study.user_n_attr = np.concatenate([n_wc_attr, n_syn_attr])
    study.user_first_attr = np.concatenate([[0], np.cumsum(study.user_n_attr)[:-1]])
    study.attr_user = np.repeat(np.arange(n_users), study.user_n_attr)
    aw = _width(hi, 2)
    study.attr_ids = [
        f"a-{study.user_number[u]:0{uw}d}-{k:0{aw}d}"
        for u in range(n_users)
        for k in range(1, study.user_n_attr[u] + 1)
    ]
    study.attr_confidence = np.round(rng.uniform(*cfg.confidence_range, len(study.attr_ids)), 2)
    # stage-2 items: each pair x the user's profile, in pair order
    counts = study.user_n_attr[study.pair_user]
    study.item_pair = np.repeat(np.arange(len(pairs)), counts)
    study.item_attr = np.concatenate(
        [study.user_first_attr[u] + np.arange(study.user_n_attr[u]) for u in study.pair_user]
    )


def _majority(yes: np.ndarray) -> np.ndarray:
    """Strict majority of the columns (more than half say yes)."""
    return yes.sum(axis=1) * 2 > yes.shape[1]


def _operating_point(sampler: Sampler, truth: np.ndarray, precision: float, recall: float) -> np.ndarray:
    """Predictions with the given precision and recall against ``truth`` (quota when balanced)."""
    pos, neg = np.flatnonzero(truth), np.flatnonzero(~truth)
    tp_expected = recall * len(pos)
    fp_expected = min(tp_expected * (1 - precision) / precision, len(neg))
    pred = np.zeros(len(truth), dtype=bool)
    if sampler.balanced:
        tp, fp = int(round(tp_expected)), int(round(fp_expected))
        pred[pos] = sampler.exact_count(len(pos), tp)
        pred[neg] = sampler.exact_count(len(neg), fp)
    else:
        pred[pos] = sampler.rng.random(len(pos)) < recall
        if len(neg):
            pred[neg] = sampler.rng.random(len(neg)) < fp_expected / len(neg)
    return pred


def _margins(sampler: Sampler, n: int, floor: float, spread: float) -> np.ndarray:
    return floor + spread * np.abs(sampler.rng.standard_normal(n))


def _stage1(study: Study, sampler: Sampler, misfit: Sampler) -> None:
    cfg = study.config.stage1
    n_attr, n_h = len(study.attr_ids), study.sizes.n_humans
    src = study.user_source[study.attr_user]
    alpha = np.array([cfg.alpha[s] for s in SOURCES])
    study.s1_v = sampler.normal_within(study.user_source, cfg.sd_user)
    study.s1_w = sampler.normal(n_h, cfg.sd_annotator)
    noise = np.empty((n_attr, n_h))
    for s in range(len(SOURCES)):
        sel = src == s
        noise[sel] = sampler.logistic(int(sel.sum()) * n_h).reshape(-1, n_h)
    eta = (alpha[src] + study.s1_v[study.attr_user])[:, None] + study.s1_w[None, :] + noise
    if study.config.misspecification == "attribute-effect":
        study.s1_t = draw_attribute_effect(study.config, misfit, src)
        eta = eta + study.s1_t[:, None]
    c1, c2 = cfg.cutpoints
    label = np.where(eta > c2, ACCEPTED, np.where(eta > c1, UNCERTAIN, REJECTED))
    study.s1_label = label
    problem = label != ACCEPTED
    failure = np.full(label.shape, -1)
    shares = np.array([cfg.failure_mode_shares[m] for m in FAILURE_MODES])
    failure[problem] = sampler.categorical(int(problem.sum()), shares)
    study.s1_failure = failure
    study.s1_problematic_majority = _majority(problem)
    m0, m1 = cfg.verifier_margin
    for rid in (VERIFIER, *LLMS):
        precision, recall = cfg.verifier_operating_points[rid]
        flag = _operating_point(sampler, study.s1_problematic_majority, precision, recall)
        margin = _margins(sampler, n_attr, m0, m1)
        study.s1_verifier_flag[rid] = flag
        study.s1_verifier_prob[rid] = np.round(expit(np.where(flag, -margin, margin)), 4)


def _stage2(study: Study, sampler: Sampler, misfit: Sampler) -> None:
    cfg = study.config.stage2
    mis = study.config.misspecification
    n_items, n_h = len(study.item_pair), study.sizes.n_humans
    study.s2_b = sampler.normal(len(study.prompt_ids), cfg.sd_prompt)
    prompt_of_item = study.pair_prompt[study.item_pair]
    study.s2_p = expit(cfg.mu + study.s2_b[prompt_of_item])
    z = sampler.bernoulli(study.s2_p)
    study.s2_z = z
    sd_u = cfg.sd_shared if mis != "shared-item" else item_effect_sds(study.config)["specific"]
    for g in ("human", "llm"):
        u = np.empty(n_items)
        for stratum in (False, True):
            sel = z == stratum
            u[sel] = sampler.normal(int(sel.sum()), sd_u[g])
        study.s2_u[g] = u
    if mis == "shared-item":
        study.s2_u_shared = draw_shared_item(study.config, misfit, z)
        for g in ("human", "llm"):
            study.s2_u[g] = study.s2_u[g] + study.s2_u_shared

    def answers(sens: float | np.ndarray, spec: float | np.ndarray, u: np.ndarray) -> np.ndarray:
        p = expit(np.where(z, logit(sens), logit(1 - spec)) + u)
        return sampler.bernoulli_within(p, z)

    hs, hp = cfg.human_sensitivity, cfg.human_specificity
    if mis == "sparse-crowd":
        crowd = draw_crowd(study.config, misfit, n_items, n_h)
        study.crowd_ids, study.s2_human_rater = crowd.ids, crowd.assignment
        study.s2_crowd_sens, study.s2_crowd_spec = crowd.sensitivity, crowd.specificity
        sens, spec = crowd.sensitivity[crowd.assignment], crowd.specificity[crowd.assignment]
        study.s2_yes_h = np.column_stack(
            [answers(sens[:, k], spec[:, k], study.s2_u["human"]) for k in range(n_h)]
        )
    else:
        study.s2_yes_h = np.column_stack(
            [answers(hs[k % len(hs)], hp[k % len(hp)], study.s2_u["human"]) for k in range(n_h)]
        )
    study.s2_yes_l = np.column_stack(
        [answers(cfg.llm_sensitivity[j], cfg.llm_specificity[j], study.s2_u["llm"]) for j in LLMS]
    )
    study.s2_majority = _majority(study.s2_yes_h)
    m0, m1 = cfg.baseline_margin
    for rid in BASELINES:
        precision, recall = cfg.baseline_operating_points[rid]
        pred = _operating_point(sampler, study.s2_majority, precision, recall)
        lower, upper, threshold = cfg.baseline_scores[rid]
        margin = _margins(sampler, n_items, m0, m1)
        centre = logit((threshold - lower) / (upper - lower))
        score = lower + (upper - lower) * expit(centre + np.where(pred, margin, -margin))
        study.s2_base_pred[rid] = pred
        study.s2_base_score[rid] = np.round(score, 4)


def _stage3_design(study: Study, sampler: Sampler) -> None:
    sz = study.sizes
    rng = sampler.rng
    n_gen = len(LLMS)
    relevant = np.bincount(study.item_pair[study.s2_majority], minlength=len(study.pair_user))
    eligible = np.flatnonzero(relevant > 0)
    k = min(sz.stage3_pairs, len(eligible))
    if k == 0:
        raise ValueError("no user-prompt pair has a human-relevant attribute; stage 3 cannot be simulated")
    # pairs drawn with probability proportional to their number of relevant attributes
    chosen = rng.choice(eligible, size=k, replace=False, p=relevant[eligible] / relevant[eligible].sum())
    # enough rating slots for the budget: swap the smallest chosen pair for the largest other one
    while relevant[chosen].sum() * n_gen < sz.n_ratings:
        others = np.setdiff1d(eligible, chosen)
        if not len(others):
            break
        small = int(np.argmin(relevant[chosen]))
        big = others[int(np.argmax(relevant[others]))]
        if relevant[big] <= relevant[chosen[small]]:
            break
        chosen[small] = big
    chosen = np.sort(chosen)
    study.s3_pairs = chosen
    study.s3_item_pair = np.repeat(chosen, n_gen)
    study.s3_item_gen = np.tile(np.arange(n_gen), len(chosen))
    # rating slots: every human-relevant attribute of the item's pair; drop random slots to the budget,
    # keeping at least one per item
    slot_item, slot_attr = [], []
    for it, pair in enumerate(study.s3_item_pair):
        items = np.flatnonzero((study.item_pair == pair) & study.s2_majority)
        slot_item.extend([it] * len(items))
        slot_attr.extend(study.item_attr[items])
    slot_item, slot_attr = np.array(slot_item), np.array(slot_attr)
    drop = len(slot_item) - sz.n_ratings
    if drop > 0:
        first = np.r_[True, slot_item[1:] != slot_item[:-1]]
        droppable = np.flatnonzero(~first)
        gone = rng.choice(droppable, size=min(drop, len(droppable)), replace=False)
        keep = np.ones(len(slot_item), dtype=bool)
        keep[gone] = False
        slot_item, slot_attr = slot_item[keep], slot_attr[keep]
    study.unit_item, study.unit_attr = slot_item, slot_attr


def _stage3(study: Study, sampler: Sampler, misfit: Sampler) -> None:
    cfg = study.config.stage3
    _stage3_design(study, sampler)
    if study.config.misspecification == "judge-thresholds":
        study.s3_judge_cuts = draw_judge_cutpoints(study.config, misfit)
    extra = {"judge_cuts": study.s3_judge_cuts, "sd_cell": cell_sd(study.config)}
    gen = study.s3_item_gen[study.unit_item]
    # explicit mentions: per generator, Bernoulli(mention_rate) (balanced: systematic within generator)
    rate = np.array([cfg.mention_rate[g] for g in LLMS])
    mention = sampler.bernoulli_within(rate[gen], gen)
    study.unit_mention = mention
    n_h = study.sizes.n_humans
    draw = stage3_draw(study.config, sampler, study.unit_item, study.s3_item_gen, mention, n_h, **extra)
    attempts = 1
    if sampler.balanced and study.config.typical_band > 0:
        # typical-set conditioning: redraw until the rank statistics are near their model expectation; the
        # band follows the sampling SE (1/sqrt(n)), so the conditioning is equally strong at every size
        band = study.config.typical_band * np.sqrt(
            study.config.design.n_attribute_ratings / len(study.unit_item)
        )
        expected = stage3_expected(
            study.config, sampler, study.unit_item, study.s3_item_gen, mention, n_h, **extra
        )
        best, best_dev = draw, max_deviation(draw, expected)
        while best_dev > band and attempts < study.config.max_attempts:
            draw = stage3_draw(
                study.config, sampler, study.unit_item, study.s3_item_gen, mention, n_h, **extra
            )
            attempts += 1
            dev = max_deviation(draw, expected)
            if dev < best_dev:
                best, best_dev = draw, dev
        draw = best
        study.s3_conditioning = {
            "attempts": attempts,
            "band": round(float(band), 6),
            "max_deviation": round(float(best_dev), 6),
            "accepted": bool(best_dev <= band),
            "expected": {k: round(float(v), 6) for k, v in expected.items()},
            "realised": {k: round(float(v), 6) for k, v in correlation_stats(draw).items()},
        }
    for key, value in draw.items():
        setattr(study, key, value)


def _conversations(study: Study, rng: np.random.Generator) -> None:
    cfg, sz = study.config.design, study.sizes
    n_wc = sz.users_per_source[SOURCES[0]]
    base = cfg.min_conversations_per_user
    extra = sz.n_conversations - base * n_wc
    weights = study.user_n_attr[:n_wc] / study.user_n_attr[:n_wc].sum()
    per_user = base + rng.multinomial(extra, weights)
    users = np.repeat(np.arange(n_wc), per_user)
    lo, hi = cfg.exchanges_per_conversation
    exchanges = rng.integers(lo, hi + 1, len(users))
    # every user reaches the minimum number of turns (2 per exchange)
    for u in range(n_wc):
        sel = np.flatnonzero(users == u)
        while 2 * exchanges[sel].sum() < cfg.min_turns_per_user:
            room = sel[exchanges[sel] < hi]
            if not len(room):
                break
            exchanges[rng.choice(room)] += 1
    study.conv_user = users
    study.conv_number = np.concatenate([np.arange(1, n + 1) for n in per_user])
    study.conv_exchanges = exchanges
