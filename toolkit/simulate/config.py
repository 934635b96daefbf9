"""The simulator's parameters: one frozen attrs config, every number documented.

The defaults are calibrated so that a draw at the default size reproduces the paper's published statistics
(see :mod:`toolkit.simulate` for the model, :mod:`toolkit.simulate.tuning` for how the numbers were derived
and ``analyses.calibration`` for the check against the paper). Where a number is a design fact of the study
(77 users, 41 prompts...) it is labelled *design*; where it is a model parameter it says what it was
calibrated to. Nothing in the simulator's code is a tunable number: it all lives here.
"""

from __future__ import annotations

import math
from typing import Any

import attrs

from schemas import FailureMode
from toolkit.vocabulary import BASELINE_ORDER, LLM_ORDER, SOURCE_ORDER

__all__ = [
    "LLMS",
    "SOURCES",
    "BASELINES",
    "VERIFIER",
    "REWARD_MODELS",
    "FAILURE_MODES",
    "RANK_TOLERANCE",
    "MISSPECIFICATIONS",
    "MISSPECIFICATION_PARAMETERS",
    "DesignConfig",
    "Stage1Config",
    "Stage2Config",
    "Stage3Config",
    "SimulationConfig",
]

#: The five models of the study, used as stage-2/3 judges, stage-3 generators and stage-1 prompted verifiers
#: (the vocabulary's LLM order).
LLMS: tuple[str, ...] = LLM_ORDER
#: User sources in the paper's order; the first is the real (human-origin) one.
SOURCES: tuple[str, ...] = SOURCE_ORDER
#: Stage-2 baseline methods (Fig. 4 / Table 3).
BASELINES: tuple[str, ...] = BASELINE_ORDER
#: Stage-1 trained verifier (Table 2); the 5 LLMs are the prompted verifiers.
VERIFIER = "roberta-verifier"
#: Reward models (rater id -> model name).
REWARD_MODELS: dict[str, str] = {
    "rm-modernbert": "ModernBERT",
    "rm-qwen2.5-1.5b": "Qwen2.5-1.5B",
    "rm-llama-3.2-1b": "Llama-3.2-1B",
}
#: Stage-1 failure modes (values of :class:`schemas.FailureMode`, in their order).
FAILURE_MODES: tuple[str, ...] = tuple(m.value for m in FailureMode)
#: The tolerance each stage-3 rank statistic is checked with against the paper (the ``spearman`` and
#: ``kappa`` tolerances of ``analyses.calibration.TOLERANCE``; a test keeps them equal). ``typical_band`` is
#: in units of these.
RANK_TOLERANCE: dict[str, float] = {"spearman": 0.06, "weighted_kappa": 0.03}
#: The misspecified generators (values of ``SimulationConfig.misspecification``; see the *Misspecified
#: generators* section of :mod:`toolkit.simulate`).
MISSPECIFICATIONS: tuple[str, ...] = ("shared-item", "attribute-effect", "judge-thresholds", "sparse-crowd")
#: The parameters of each misspecified generator (not calibrated to the paper: chosen so that the departure
#: from the toolkit's models is material at the paper's size). All on the logit (latent) scale.
#:
#: * ``shared-item`` (stage 2): ``sd_item_shared``, SD of one item effect shared by every human and LLM
#:   judge. Each group's own effect keeps SD ``sqrt(max(sd_shared[g]^2 - sd_item_shared^2, 0))``, so a
#:   group's total item-effect SD is ``max(sd_shared[g], sd_item_shared)``: unchanged for the LLMs (2.44), but
#:   raised from 0.23 to 1.5 for the humans, whose calibrated item effect is too small to carry a material
#:   shared part (with the human total kept, kappa between a human and an LLM given the truth is about
#:   0.002; with 1.5 it is about 0.13 on truly irrelevant items and 0.06 on relevant ones).
#: * ``attribute-effect`` (stage 1): ``sd_attribute``, SD of an attribute effect shared by every annotator
#:   who judges the attribute.
#: * ``judge-thresholds`` (stage 3): ``sd_cutpoint``, SD of each LLM judge's independent perturbation of
#:   each shared cutpoint (the perturbed cutpoints are sorted to keep them ordered); ``sd_cell_llm``, SD of
#:   an effect of the cell (unit) shared by every LLM judge and by no human.
#: * ``sparse-crowd`` (stage 2): ``workers_per_slot`` crowd workers per human annotator slot (30 at
#:   ``rater_scale`` 1), each item labelled by as many distinct workers as there are slots (3), chosen at
#:   random; a worker's logit sensitivity (specificity) is the mean logit over the human slots of
#:   ``Stage2Config.human_sensitivity`` (``human_specificity``) plus N(0, ``sd_logit_sensitivity``^2)
#:   (N(0, ``sd_logit_specificity``^2)).
MISSPECIFICATION_PARAMETERS: dict[str, dict[str, float]] = {
    "shared-item": {"sd_item_shared": 1.5},
    "attribute-effect": {"sd_attribute": 0.8},
    "judge-thresholds": {"sd_cutpoint": 0.4, "sd_cell_llm": 0.6},
    "sparse-crowd": {"workers_per_slot": 10, "sd_logit_sensitivity": 0.5, "sd_logit_specificity": 0.5},
}


def _frozen_dict(value: Any) -> dict:
    return dict(value)


def _dict_field(default: dict) -> Any:
    return attrs.field(factory=lambda: dict(default), converter=_frozen_dict)


@attrs.frozen
class DesignConfig:
    """Sizes of the study at scale 1 (*design* facts from the paper unless noted).

    Attributes
    ----------
    users_per_source : dict
        Stage-1 users by source: 47 WildChat (human origin), 10 each CUPID, PrefEval, PersonaLens (77).
    n_attributes : int
        Stage-1 attributes over all users (1,983). WildChat users' profiles are also their stage-2 profiles.
    attributes_per_user : (int, int)
        Range of profile sizes (17-42 attributes per pair in the paper).
    n_prompts : int
        Stage-2 prompts (41, LIMA).
    users_per_prompt : int
        Users paired with each prompt. The paper says 2-4, but 164 pairs over 41 prompts with at most 4
        users each forces exactly 4 (41 x 4 = 164), so the number of pairs is ``users_per_prompt * n_prompts``.
    prompts_per_user : (int, int)
        Range of prompts per WildChat user (2-5).
    n_relevance_items : int
        Stage-2 (user, prompt, attribute) items: the sum over pairs of the user's profile size (3,973).
    stage3_pairs : int
        User-prompt pairs sent to the 5 generators in stage 3; 16 pairs x 5 generators = 80 items.
    n_attribute_ratings : int
        Stage-3 (item, attribute) units rated by every rater (367; x 3 humans = 1,101).
    n_conversations : int
        Conversations of the WildChat users' histories (550); synthetic personas get none.
    min_conversations_per_user, min_turns_per_user : int
        WildChat inclusion rule: at least 3 conversations and 15 turns per user.
    exchanges_per_conversation : (int, int)
        Range of user/assistant exchanges per placeholder conversation (not from the paper).
    n_human_annotators : int
        Human annotator slots per stage (3); the same slots label every item of a stage.
    profile_size_shape : (float, float)
        Beta(a, b) shape of the initial profile sizes in ``attributes_per_user`` (WildChat users; right-skewed
        like the released pairs), before they are adjusted to the exact totals (not from the paper).
    synthetic_profile_size_shape : (float, float)
        The same for synthetic personas (not from the paper).
    confidence_range : (float, float)
        Range of the extractor's self-reported confidence (the paper drops attributes below 0.4).
    extractor : str
        The stage-1 extraction model.
    prompt_source : str
        Source name of the stage-2 prompts.
    """

    users_per_source: dict[str, int] = _dict_field(
        {"wildchat": 47, "cupid": 10, "prefeval": 10, "personalens": 10}
    )
    n_attributes: int = 1983
    attributes_per_user: tuple[int, int] = (17, 42)
    n_prompts: int = 41
    users_per_prompt: int = 4
    prompts_per_user: tuple[int, int] = (2, 5)
    n_relevance_items: int = 3973
    stage3_pairs: int = 16
    n_attribute_ratings: int = 367
    n_conversations: int = 550
    min_conversations_per_user: int = 3
    min_turns_per_user: int = 15
    exchanges_per_conversation: tuple[int, int] = (1, 4)
    n_human_annotators: int = 3
    profile_size_shape: tuple[float, float] = (1.2, 2.9)
    synthetic_profile_size_shape: tuple[float, float] = (1.5, 2.5)
    confidence_range: tuple[float, float] = (0.4, 1.0)
    extractor: str = "llama-3.3-70b"
    prompt_source: str = "lima"


@attrs.frozen
class Stage1Config:
    """Stage 1: ordinal judgments of extracted attributes, failure modes, verifiers.

    Model (per human judgment of attribute ``i`` of user ``u`` from source ``s`` by annotator ``k``)::

        eta = alpha[s] + v[u] + w[k] + logistic noise,   v ~ N(0, sd_user),  w ~ N(0, sd_annotator)
        label = accepted if eta > c2, uncertain if c1 < eta <= c2, rejected if eta <= c1

    Attributes
    ----------
    alpha : dict
        Source levels on the latent scale (higher = better). Calibrated to WildChat acceptance 0.58 and
        22 points more problematic (uncertain + rejected) judgments on real than on synthetic users; the
        three synthetic sources are set a little apart (they are not reported separately in numbers).
    cutpoints : (float, float)
        ``(c1, c2)``; with ``alpha`` they fix the uncertain/rejected split (about 22/20% on WildChat).
    sd_user : float
        SD of the user effect ``v`` (not published; a moderate value).
    sd_annotator : float
        SD of the annotator leniency ``w`` (not published).
    failure_mode_shares : dict
        Share of each failure mode among problematic human judgments (Fig. 2: 53.9 / 20.3 / 16.1 / 6.0 / 3.7%).
    verifier_operating_points : dict
        ``rater id -> (precision, recall)`` of each verifier at flagging an attribute *problematic under the
        human majority* (the majority of the human labels is uncertain or rejected; Table 2 scores F1 on
        this positive class). RoBERTa F1 0.726 and Claude F1 0.630 as published (their precision/recall
        split is not published); the other LLMs are set below Claude, as the paper calls Claude the best.
    verifier_margin : (float, float)
        The verifier's ``probability`` (that the attribute is acceptable) is
        ``logistic(+-(m0 + m1 |N(0,1)|))``, positive when not flagged; a flagged attribute is labelled
        rejected when the probability is below ``verifier_rejected_below``, else uncertain.
    verifier_rejected_below : float
        Probability below which a flagged attribute is labelled rejected rather than uncertain.
    """

    alpha: dict[str, float] = _dict_field(
        {"wildchat": 0.3481, "cupid": 1.3559, "prefeval": 1.4833, "personalens": 1.6201}
    )
    cutpoints: tuple[float, float] = (-1.1352, 0.0)
    sd_user: float = 0.5
    sd_annotator: float = 0.3
    failure_mode_shares: dict[str, float] = _dict_field(
        {
            "overgeneralization": 0.539,
            "missing_evidence": 0.203,
            "task_context_confusion": 0.161,
            "not_standalone": 0.060,
            "other": 0.037,
        }
    )
    verifier_operating_points: dict[str, tuple[float, float]] = _dict_field(
        {
            "roberta-verifier": (0.70, 0.754),
            "claude-sonnet-4.6": (0.55, 0.737),
            "gpt-5.4": (0.52, 0.70),
            "llama-3.3-70b": (0.45, 0.68),
            "qwen3.5-27b": (0.47, 0.66),
            "gemma-4-31b": (0.46, 0.64),
        }
    )
    verifier_margin: tuple[float, float] = (0.2, 1.5)
    verifier_rejected_below: float = 0.25


@attrs.frozen
class Stage2Config:
    """Stage 2: binary relevance of (user, prompt, attribute) items; a latent-class model of the raters.

    Model (item ``i`` with prompt ``p``, rater ``r`` in group ``g`` = human or llm)::

        z_i ~ Bernoulli(logistic(mu + b[p])),  b ~ N(0, sd_prompt)
        P(YES | z=1) = logistic(logit(sens_r) + u[i,g]),  P(YES | z=0) = logistic(logit(1-spec_r) + u[i,g])
        u[i,g] ~ N(0, sd_shared[g])   (shared by the raters of a group: LLM-LLM kappa > human-human)

    Attributes
    ----------
    mu, sd_prompt : float
        Prevalence of true relevance: ``E logistic(mu + b) = 0.22``. The published kappas force a latent
        prevalence somewhat above the 17.8% human-majority rate: with human-LLM kappa 0.300 and human-human
        0.426, humans must miss a share of the truly relevant attributes (see the module docs).
    human_sensitivity, human_specificity : tuple of float
        Per human annotator slot (cycled when there are more slots), at ``u = 0``. Calibrated (with
        ``sd_shared['human']``) to human-human kappa 0.426, the 17.8% majority rate and ~20% YES rate.
    llm_sensitivity, llm_specificity : dict
        Per LLM judge, at ``u = 0``. Calibrated to LLM-LLM kappa 0.597, human-LLM kappa 0.300, Claude's
        precision 0.372 / recall 0.838 against the human majority, and YES rates of 40-60% (Claude lowest).
    sd_shared : dict
        SD of the shared item x group effect per group (``"human"``, ``"llm"``).
    baseline_operating_points : dict
        ``rater id -> (precision, recall)`` against the human majority. BM25 and embedding F1 0.243 / 0.384
        (Fig. 4; split into P/R not published), RoBERTa classifier and Qwen3-4B+GRPO as in Table 3.
        Baselines are not part of the latent-class model: they are classifiers of the realised human
        majority label at this operating point.
    baseline_scores : dict
        ``rater id -> (lower, upper, threshold)``: the ``score`` of a baseline judgment is
        ``lower + (upper - lower) * logistic(logit((threshold - lower) / (upper - lower)) +- m)``, ``+`` when
        ``relevant``, so the score is above ``threshold`` exactly when the judgment is relevant (a BM25
        score, a cosine similarity, a classifier probability).
    baseline_margin : (float, float)
        ``m = m0 + m1 |N(0,1)|``: how far from the threshold the scores fall, on the logit scale.
    """

    mu: float = -1.3329
    sd_prompt: float = 0.5
    human_sensitivity: tuple[float, ...] = (0.7337, 0.6928, 0.6487)
    human_specificity: tuple[float, ...] = (0.9278, 0.9401, 0.9504)
    llm_sensitivity: dict[str, float] = _dict_field(
        {
            "claude-sonnet-4.6": 0.9665,
            "gpt-5.4": 0.9979,
            "llama-3.3-70b": 0.9979,
            "qwen3.5-27b": 0.9979,
            "gemma-4-31b": 0.9979,
        }
    )
    llm_specificity: dict[str, float] = _dict_field(
        {
            "claude-sonnet-4.6": 0.8634,
            "gpt-5.4": 0.8452,
            "llama-3.3-70b": 0.7374,
            "qwen3.5-27b": 0.8422,
            "gemma-4-31b": 0.8105,
        }
    )
    sd_shared: dict[str, float] = _dict_field({"human": 0.2336, "llm": 2.4399})
    baseline_operating_points: dict[str, tuple[float, float]] = _dict_field(
        {
            "bm25": (0.20, 0.31),
            "embedding": (0.30, 0.533),
            "roberta-classifier": (0.608, 0.605),
            "qwen3-4b-grpo": (0.611, 0.674),
        }
    )
    baseline_scores: dict[str, tuple[float, float, float]] = _dict_field(
        {
            "bm25": (0.0, 40.0, 9.0),
            "embedding": (0.0, 1.0, 0.42),
            "roberta-classifier": (0.0, 1.0, 0.5),
            "qwen3-4b-grpo": (0.0, 1.0, 0.5),
        }
    )
    baseline_margin: tuple[float, float] = (0.1, 1.0)


@attrs.frozen
class Stage3Config:
    """Stage 3: 1-5 ratings of personalized vs generic responses, mentions, reward models.

    Model (unit = (item, attribute), item = (user-prompt pair, generator); judge ``j``: the humans as one
    judge with annotator effects ``h``, or an LLM judge)::

        eta = beta[gen] + gamma[j] + delta[j] * mention + q[item] + a[item, attr] + h[annotator] + e[j, unit]
        P(y <= k) = logistic(c_k - eta),  k = 1..4
        q ~ N(0, sd_item),  a ~ N(0, sd_attr),  h ~ N(0, sd_annotator),  e ~ N(0, sd_judge_noise[j])
        mention ~ Bernoulli(mention_rate[gen]);   Q = beta[gen] + q + a   (latent quality)
        reward score_s = rho_s * standardized(Q) + sqrt(1 - rho_s^2) * N(0, 1)

    Attributes
    ----------
    cutpoints : (float, float, float, float)
        ``c1 < c2 < c3 < c4``; with ``beta`` calibrated to the human mean 3.176 and 54.6% of ratings <= 3.
    beta : dict
        Generator effects; calibrated to Fig. 5: GPT-5.4 and Claude just above 3, Qwen3.5 and Gemma-4 below
        3, Llama-3.3 highest (the overall mean then needs it).
    sd_item, sd_attr : float
        SDs of the item and (item, attribute) effects; their sum of squares sets the human-human Spearman
        (0.325) against the unit logistic noise.
    sd_annotator : float
        SD of the human annotator effect ``h`` (with it, the weighted kappa 0.310 falls below the Spearman).
    gamma : dict
        Judge inflation of each LLM judge (humans are the reference, 0); calibrated to Table 6 means.
    delta : dict
        Mention effect per judge (``"human"`` and each LLM) on the latent scale; calibrated to the raw
        mention-minus-not rating differences of Fig. 6 (humans +0.03, GPT-5.4 -0.07, Claude -0.39; the
        open-weight judges positive), which also include the generator mix of mentioned ratings.
    sd_judge_noise : dict
        SD of the extra judge-specific noise ``e`` (``"human"`` and each LLM). Set all to 0 for exactly the
        cumulative-logit model; the default uses it to reach the low published Spearman values of Table 6.
    mention_rate : dict
        Per generator, probability that its personalized response mentions a given rated attribute
        explicitly. Claude about 5% (Fig. 7); ordered so that the Spearman correlation between mention rate
        and the same model's mention effect as a judge is 0.9 (one adjacent swap), as in Fig. 7.
    reward_rho : dict
        Latent correlation of each reward model's score with Q; calibrated to Spearman ~0.3 with the human
        mean rating.
    """

    cutpoints: tuple[float, float, float, float] = (-2.5903, -1.0786, 0.2479, 2.2405)
    beta: dict[str, float] = _dict_field(
        {
            "claude-sonnet-4.6": 0.054,
            "gpt-5.4": 0.1662,
            "llama-3.3-70b": 0.7824,
            "qwen3.5-27b": -0.4552,
            "gemma-4-31b": -0.5475,
        }
    )
    sd_item: float = 0.8567
    sd_attr: float = 0.8567
    sd_annotator: float = 0.4182
    gamma: dict[str, float] = _dict_field(
        {
            "claude-sonnet-4.6": 0.7035,
            "gpt-5.4": 0.8974,
            "llama-3.3-70b": 1.6801,
            "qwen3.5-27b": 1.2916,
            "gemma-4-31b": 1.5997,
        }
    )
    delta: dict[str, float] = _dict_field(
        {
            "human": -0.0181,
            "claude-sonnet-4.6": -0.8704,
            "gpt-5.4": -0.2337,
            "llama-3.3-70b": 0.7175,
            "qwen3.5-27b": 0.2047,
            "gemma-4-31b": 0.8596,
        }
    )
    sd_judge_noise: dict[str, float] = _dict_field(
        {
            "human": 0.0,
            "claude-sonnet-4.6": 1.3078,
            "gpt-5.4": 1.9821,
            "llama-3.3-70b": 0.9831,
            "qwen3.5-27b": 4.4084,
            "gemma-4-31b": 7.3818,
        }
    )
    mention_rate: dict[str, float] = _dict_field(
        {
            "claude-sonnet-4.6": 0.05,
            "gpt-5.4": 0.1,
            "llama-3.3-70b": 0.32,
            "qwen3.5-27b": 0.25,
            "gemma-4-31b": 0.18,
        }
    )
    reward_rho: dict[str, float] = _dict_field(
        {
            "rm-modernbert": 0.42,
            "rm-qwen2.5-1.5b": 0.4031,
            "rm-llama-3.2-1b": 0.3928,
        }
    )


@attrs.frozen
class SimulationConfig:
    """Every parameter of the simulated study.

    Attributes
    ----------
    design : DesignConfig
        Sizes at scale 1.
    stage1, stage2, stage3 : Stage1Config, Stage2Config, Stage3Config
        Model parameters of each stage.
    size_scale : float
        Multiplies users, prompts, pairs, items, attributes, stage-3 pairs and ratings, conversations
        (rounded; every stage keeps at least its structural minimum).
    rater_scale : int
        Multiplies the human annotator slots of every stage (3 -> 3k); LLM judges, baselines and reward
        models are named models and stay as they are.
    balanced : bool
        Balanced sampling, the default (see the *Balanced sampling* section of :mod:`toolkit.simulate`):
        every unit keeps the model's distribution but sample totals are pinned to their expectations, so one
        draw of the paper's size reproduces the model's expected statistics; at that size their sampling SE
        with independent draws is larger than the calibration tolerances (e.g. ~0.14 for a mention effect
        over ~70 mentioned ratings against +/-0.05). Set ``False`` for power analysis: independent draws with
        the model's full sampling variability.
    typical_band : float
        Balanced mode, stage 3: the stage-3 noise is redrawn until every reported rank statistic (each LLM
        judge's and reward model's Spearman with the human mean rating, the human-human Spearman and
        weighted kappa) is within ``typical_band`` times its calibration tolerance (Spearman 0.06, kappa
        0.03) of its expectation under the model (typical-set conditioning; the expectation is its value on
        a replicate of the design with ``replicate_units`` units). The band is for the paper's 367 units and
        scales as ``sqrt(367 / units)``, like the sampling SE. 0 turns it off.
    max_attempts : int
        Redraws allowed for ``typical_band``; the closest draw is kept if none is within the band.
    replicate_units : int
        Size of the replicate that estimates the expectations (SE of a Spearman about 0.006).
    misspecification : str, optional
        ``None`` (the default): the generative model above, which the toolkit's Bayesian models mirror.
        Otherwise the name of a *misspecified generator*, for coverage studies that fit those models to data
        they do not exactly describe (parameters in :data:`MISSPECIFICATION_PARAMETERS`; the realised
        effects and the estimands they change are in the ground truth, ``truth["misspecification"]``):

        ``"shared-item"``
            Stage 2: one item effect ``u_shared ~ N(0, 1.5^2)`` enters the logit of every human and LLM
            judge, on top of each group's own effect (scaled down so that the LLMs' total item-effect
            variance is unchanged; the humans' rises to 1.5^2). Humans and LLMs then agree beyond the latent
            truth ``z``, which the judge model cannot represent.
        ``"attribute-effect"``
            Stage 1: an attribute effect ``t ~ N(0, 0.8^2)`` added to ``eta`` for every annotator's judgment
            of the attribute (judgments of one attribute correlate beyond the user and annotator effects).
        ``"judge-thresholds"``
            Stage 3: each LLM judge gets its own cutpoints (each shared cutpoint plus N(0, 0.4^2), sorted),
            and one cell effect ``e ~ N(0, 0.6^2)`` is added to every LLM judge's latent value of the cell
            (not the humans').
        ``"sparse-crowd"``
            Stage 2: a pool of 30 crowd workers (``crowd-01`` .. ``crowd-30``, kind ``human``; 10 per human
            slot) with their own sensitivity and specificity, each item labelled by 3 distinct workers drawn at
            random, instead of 3 annotators who label every item. Stages 1 and 3 keep the annotator slots.

        Works in both sampling modes (coverage studies use ``balanced=False``). Included in
        :meth:`to_dict` (hence in the ground truth's ``config``) only when set, so that the default
        output is unchanged.
    """

    design: DesignConfig = attrs.field(factory=DesignConfig)
    stage1: Stage1Config = attrs.field(factory=Stage1Config)
    stage2: Stage2Config = attrs.field(factory=Stage2Config)
    stage3: Stage3Config = attrs.field(factory=Stage3Config)
    size_scale: float = attrs.field(default=1.0)
    rater_scale: int = attrs.field(default=1)
    balanced: bool = True
    typical_band: float = 0.5
    max_attempts: int = 200
    replicate_units: int = 8000
    misspecification: str | None = attrs.field(default=None)

    @size_scale.validator
    def _positive_scale(self, attribute: attrs.Attribute, value: float) -> None:
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
            raise ValueError(f"size_scale must be a positive number, got {value!r}")

    @rater_scale.validator
    def _positive_raters(self, attribute: attrs.Attribute, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"rater_scale must be a positive integer, got {value!r}")

    @misspecification.validator
    def _known_misspecification(self, attribute: attrs.Attribute, value: str | None) -> None:
        if value is not None and value not in MISSPECIFICATIONS:
            raise ValueError(
                f"misspecification must be None or one of {', '.join(MISSPECIFICATIONS)}; got {value!r}"
            )

    def scaled(self, k: float, *, raters: bool = True) -> SimulationConfig:
        """This config with ``k`` times the users, items and (when ``raters`` and ``k`` is a whole number)
        human annotators: for power analysis and benchmarks."""
        if not (isinstance(k, (int, float)) and math.isfinite(k) and k > 0):
            raise ValueError(f"scale must be a positive number, got {k!r}")
        rater_factor = int(k) if raters and float(k).is_integer() else 1
        return attrs.evolve(self, size_scale=self.size_scale * k, rater_scale=self.rater_scale * rater_factor)

    @classmethod
    def small(cls) -> SimulationConfig:
        """A study about 1/5 the default size (same parameters, same 3 annotators): for fast tests."""
        return cls(size_scale=0.2)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready copy (tuples as lists); ``misspecification`` only when set (the default config's
        dict, and so the bundled sample's ground truth, is unchanged)."""
        out = _jsonify(attrs.asdict(self, recurse=True))
        if out["misspecification"] is None:
            del out["misspecification"]
        return out


def _jsonify(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonify(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonify(v) for v in value]
    return value
