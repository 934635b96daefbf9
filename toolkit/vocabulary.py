"""The study's vocabulary: rater kinds, the paper's orders, item keys, rules and the default seed.

One home for every fact about *how the study is described* that more than one module needs. The record
enums themselves (:class:`schemas.RaterKind`, :class:`schemas.ExtractionLabel`, :class:`schemas.FailureMode`)
live in :mod:`schemas`; this module only names the values the statistics group and order by.

The orders are presentation conventions of the paper (its figures list the LLMs and sources in this order).
A study with other raters or sources keeps working: :func:`in_order` puts the known names first, in the
paper's order, and every other present name after them, sorted.

Examples
--------
>>> in_order(["gemma-4-31b", "my-judge", "gpt-5.4"], LLM_ORDER)
['gpt-5.4', 'gemma-4-31b', 'my-judge']
>>> natural_key("human-10") > natural_key("human-9")
True
>>> is_mentioned("a1", ("a1", "a2"), None), is_mentioned("a3", None, True), is_mentioned("a3", None, None)
(True, True, False)
>>> declared_scale({"rating_scale": {"min": 1, "max": 7}}, "rating_scale", RATING_SCALE)
(1, 2, 3, 4, 5, 6, 7)
>>> declared_scale({}, "rating_scale", RATING_SCALE)
(1, 2, 3, 4, 5)
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from schemas import ExtractionLabel, RaterKind

__all__ = [
    "DEFAULT_SEED",
    "HUMAN",
    "LLM",
    "BASELINE",
    "REWARD_MODEL",
    "AGGREGATE",
    "AGREEMENT_GROUPS",
    "LLM_ORDER",
    "SOURCE_ORDER",
    "BASELINE_ORDER",
    "VERIFIER_KINDS",
    "METHOD_KINDS",
    "EXTRACTION_LABELS",
    "RATING_SCALE",
    "SCALE_KEYS",
    "MAX_SCALE_CATEGORIES",
    "ITEM_KEY",
    "ITEM_SEPARATOR",
    "CELL_SEPARATOR",
    "MAJORITY_RATER",
    "in_order",
    "natural_key",
    "is_mentioned",
    "declared_scale",
    "parse_scale",
]

#: The seed of every command and of the bundled simulated sample (the paper's arXiv date, 2026-06-06).
DEFAULT_SEED = 20260606

#: Rater kinds (values of :class:`schemas.RaterKind`); ``HUMAN`` is also the pooled human rater group.
HUMAN: str = RaterKind.HUMAN.value
LLM: str = RaterKind.LLM.value
BASELINE: str = RaterKind.BASELINE.value
REWARD_MODEL: str = RaterKind.REWARD_MODEL.value
AGGREGATE: str = RaterKind.AGGREGATE.value

#: The rater groups whose agreement the paper compares (Fig. 3).
AGREEMENT_GROUPS: tuple[str, ...] = (HUMAN, LLM)

#: The paper's LLM order (judges in Figs. 3-4 and Table 6, generators in Figs. 5-7).
LLM_ORDER: tuple[str, ...] = ("claude-sonnet-4.6", "gpt-5.4", "llama-3.3-70b", "qwen3.5-27b", "gemma-4-31b")
#: The paper's order of the stage-1 user sources (the real one first).
SOURCE_ORDER: tuple[str, ...] = ("wildchat", "cupid", "prefeval", "personalens")
#: The paper's order of the stage-2 baselines (Fig. 4, Table 3).
BASELINE_ORDER: tuple[str, ...] = ("bm25", "embedding", "roberta-classifier", "qwen3-4b-grpo")

#: Rater kinds scored as stage-1 verifiers (Table 2), trained ones first.
VERIFIER_KINDS: tuple[str, ...] = (BASELINE, REWARD_MODEL, LLM)
#: Rater kinds scored as stage-2 methods against the human majority (Fig. 4, Table 3).
METHOD_KINDS: tuple[str, ...] = (LLM, BASELINE)

#: Stage-1 labels in the paper's order.
EXTRACTION_LABELS: tuple[str, ...] = tuple(label.value for label in ExtractionLabel)

#: The stage-3 rating scale (personalized vs generic response; 3 = no better, 4-5 = better): the default when a
#: dataset's manifest declares no ``rating_scale``.
RATING_SCALE: tuple[int, ...] = (1, 2, 3, 4, 5)

#: Scales a (schema 1.1) manifest may declare, each ``{"min": int, "max": int}``: ``rating_scale``, the stage-3
#: ratings (default :data:`RATING_SCALE`); ``label_scale``, the grades of graded relevance
#: (``RelevanceJudgment.grade``; no default: undeclared grades are checked only for being >= 0).
SCALE_KEYS: tuple[str, ...] = ("rating_scale", "label_scale")
#: The most categories a declared scale may have (a scale is a handful of ordered labels, not a measurement).
MAX_SCALE_CATEGORIES = 101

#: The columns that identify one stage-2 item (an attribute judged for one prompt of one user).
ITEM_KEY: tuple[str, ...] = ("user_id", "prompt_id", "attribute_id")
#: Separator of the stage-2 ``item_id`` (``user/prompt/attribute``).
ITEM_SEPARATOR = "/"
#: Separator of the stage-3 ``cell`` (``personalized_response_id|attribute_id``).
CELL_SEPARATOR = "|"

#: The id an importer gives the aggregate human-majority rater (preferred when several aggregates exist).
MAJORITY_RATER = "human-majority"


def natural_key(text: str) -> tuple:
    """Sort key that orders embedded numbers by value (``human-2`` before ``human-10``)."""
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text))


def in_order(present: Iterable[str], preferred: Sequence[str]) -> list[str]:
    """``present`` names with the ``preferred`` ones first, in that order, and the others sorted after."""
    keep = set(present)
    known = [name for name in preferred if name in keep]
    return known + sorted(keep - set(known))


def is_mentioned(attribute_id: str, mentioned_ids: Collection[str] | None, flag: object) -> bool:
    """The explicit-mention rule of stage 3: is ``attribute_id`` explicitly mentioned by a response?

    An attribute is mentioned when it is in the response's ``mentioned_attribute_ids``; when only the
    response-level ``mentions_attributes`` flag is coded, that flag applies to all its attributes; when neither
    is coded, it is not mentioned.
    """
    if isinstance(mentioned_ids, tuple | list | frozenset | set):
        return attribute_id in mentioned_ids
    return bool(flag) if isinstance(flag, bool | np.bool_) else False


def parse_scale(value: Any) -> tuple[int, ...]:
    """The categories of a declared scale ``{"min": a, "max": b}``: the integers a..b.

    Raises
    ------
    ValueError
        With the message a user sees (the caller names the manifest field): not an object with exactly the
        integer keys ``min`` < ``max``, or more than 101 categories.

    Examples
    --------
    >>> parse_scale({"min": 0, "max": 2})
    (0, 1, 2)
    """
    if not isinstance(value, Mapping) or set(value) != {"min", "max"}:
        raise ValueError('must be an object {"min": <integer>, "max": <integer>}')
    lo, hi = value["min"], value["max"]
    if any(isinstance(x, bool) or not isinstance(x, int) for x in (lo, hi)):
        raise ValueError(f"min and max must be integers, got {lo!r} and {hi!r}")
    if lo >= hi:
        raise ValueError(f"min must be below max, got {lo} and {hi}")
    if hi - lo + 1 > MAX_SCALE_CATEGORIES:
        raise ValueError(f"has {hi - lo + 1} categories; at most {MAX_SCALE_CATEGORIES}")
    return tuple(range(lo, hi + 1))


def declared_scale(
    manifest: Mapping[str, Any], key: str, default: tuple[int, ...] | None
) -> tuple[int, ...] | None:
    """The scale a manifest declares under ``key`` (one of :data:`SCALE_KEYS`), else ``default``.

    Raises
    ------
    ValueError
        When the declared value is not a valid scale (:func:`parse_scale`); the message names ``key``.
    """
    if key not in SCALE_KEYS:
        raise KeyError(f"unknown scale {key!r}; known: {', '.join(SCALE_KEYS)}")
    if manifest.get(key) is None:
        return default
    try:
        return parse_scale(manifest[key])
    except ValueError as exc:
        raise ValueError(f"manifest.json: {key}: {exc}") from None
