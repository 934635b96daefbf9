"""The draws of the misspecified generators (``SimulationConfig.misspecification``).

Each function here draws the extra effects of one generator from the *misspecification stream* (a sixth
sub-stream of the seed, so the five stage streams are spawned as before); ``_stages`` adds them to the
model's draws, ``_truth`` records them. Parameters: :data:`toolkit.simulate.config.MISSPECIFICATION_PARAMETERS`.
With ``misspecification=None`` nothing here is called and the study is exactly the model's draw.
"""

from __future__ import annotations

import attrs
import numpy as np
from scipy.special import expit, logit

from toolkit.simulate._sampling import Sampler
from toolkit.simulate.config import LLMS, MISSPECIFICATION_PARAMETERS, SimulationConfig

__all__ = [
    "Crowd",
    "parameters",
    "item_effect_sds",
    "draw_attribute_effect",
    "draw_shared_item",
    "draw_crowd",
    "draw_judge_cutpoints",
    "cell_sd",
]


def parameters(config: SimulationConfig) -> dict[str, float]:
    """The parameters of ``config``'s misspecified generator (empty when there is none)."""
    name = config.misspecification
    return dict(MISSPECIFICATION_PARAMETERS[name]) if name is not None else {}


# ------------------------------------------------------------------------------------------------------
# Stage 1: attribute effect
# ------------------------------------------------------------------------------------------------------


def draw_attribute_effect(config: SimulationConfig, sampler: Sampler, source: np.ndarray) -> np.ndarray:
    """``t_a ~ N(0, sd_attribute^2)`` per attribute (balanced: centred and rescaled within each source).

    Parameters
    ----------
    config : SimulationConfig
        A config with ``misspecification="attribute-effect"``.
    sampler : Sampler
        The misspecification stream.
    source : numpy.ndarray
        Source index of each attribute's user.
    """
    return sampler.normal_within(source, parameters(config)["sd_attribute"])


# ------------------------------------------------------------------------------------------------------
# Stage 2: shared item effect, sparse crowd
# ------------------------------------------------------------------------------------------------------


def item_effect_sds(config: SimulationConfig) -> dict[str, dict[str, float]]:
    """Stage-2 item-effect SDs per group (``"human"``, ``"llm"``) under ``config``'s generator.

    Returns
    -------
    dict
        ``shared``: SD of the effect shared by both groups (0 unless ``"shared-item"``); ``specific``: SD of
        each group's own effect; ``total``: SD of the sum (the effect that enters the group's logit).
    """
    sd = dict(config.stage2.sd_shared)
    s = parameters(config).get("sd_item_shared", 0.0) if config.misspecification == "shared-item" else 0.0
    if s == 0.0:
        return {"shared": 0.0, "specific": sd, "total": sd}
    specific = {g: float(np.sqrt(max(v * v - s * s, 0.0))) for g, v in sd.items()}
    total = {g: float(np.hypot(s, specific[g])) for g in sd}
    return {"shared": s, "specific": specific, "total": total}


def draw_shared_item(config: SimulationConfig, sampler: Sampler, z: np.ndarray) -> np.ndarray:
    """The item effect shared by humans and LLMs, ``N(0, sd_item_shared^2)`` per item (balanced: centred
    and rescaled within the true class, like the group effects)."""
    return sampler.normal_within(z.astype(int), item_effect_sds(config)["shared"])


@attrs.frozen
class Crowd:
    """The sparse crowd of stage 2.

    Attributes
    ----------
    ids : list of str
        Worker ids ``crowd-01`` .. (kind ``human`` in the records).
    sensitivity, specificity : numpy.ndarray
        Each worker's sensitivity and specificity at item effect 0.
    assignment : numpy.ndarray
        ``(n_items, n_slots)`` worker indices: the distinct workers who label each item (sorted by id).
    """

    ids: list[str]
    sensitivity: np.ndarray
    specificity: np.ndarray
    assignment: np.ndarray


def draw_crowd(config: SimulationConfig, sampler: Sampler, n_items: int, n_slots: int) -> Crowd:
    """A pool of ``workers_per_slot * n_slots`` workers, their accuracies, and ``n_slots`` distinct workers
    per item chosen uniformly at random.

    A worker's logit sensitivity is the mean of ``logit(Stage2Config.human_sensitivity)`` plus
    ``N(0, sd_logit_sensitivity^2)`` (balanced: the deviations are centred and rescaled), likewise the
    specificity.
    """
    p = parameters(config)
    c = config.stage2
    n_workers = int(p["workers_per_slot"]) * n_slots
    hs, hp = np.asarray(c.human_sensitivity), np.asarray(c.human_specificity)
    sens = expit(logit(hs).mean() + sampler.normal(n_workers, p["sd_logit_sensitivity"]))
    spec = expit(logit(hp).mean() + sampler.normal(n_workers, p["sd_logit_specificity"]))
    width = max(2, len(str(n_workers)))
    ids = [f"crowd-{w:0{width}d}" for w in range(1, n_workers + 1)]
    keys = sampler.rng.random((n_items, n_workers))
    assignment = np.sort(np.argsort(keys, axis=1)[:, :n_slots], axis=1)
    return Crowd(ids=ids, sensitivity=sens, specificity=spec, assignment=assignment)


# ------------------------------------------------------------------------------------------------------
# Stage 3: judge cutpoints, shared LLM cell effect
# ------------------------------------------------------------------------------------------------------


def draw_judge_cutpoints(config: SimulationConfig, sampler: Sampler) -> np.ndarray:
    """``(n_llm, 4)`` cutpoints: each shared cutpoint plus ``N(0, sd_cutpoint^2)`` per LLM judge, sorted
    (independent draws, both modes: they are parameters of the judges)."""
    cuts = np.asarray(config.stage3.cutpoints, dtype=float)
    sd = parameters(config)["sd_cutpoint"]
    return np.sort(cuts[None, :] + sd * sampler.rng.standard_normal((len(LLMS), len(cuts))), axis=1)


def cell_sd(config: SimulationConfig) -> float:
    """SD of the cell effect shared by the LLM judges (0 unless ``"judge-thresholds"``)."""
    return parameters(config)["sd_cell_llm"] if config.misspecification == "judge-thresholds" else 0.0
