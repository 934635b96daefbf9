"""Rater, source and generator orders: which raters a dataset has, grouped by kind, in the paper's order.

Every order puts the names the paper uses first, in its order (:mod:`toolkit.vocabulary`), and any other
present name after them, so a study with other raters keeps working.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from toolkit.dataset import Dataset
from toolkit.vocabulary import (
    AGREEMENT_GROUPS,
    BASELINE,
    BASELINE_ORDER,
    HUMAN,
    LLM,
    LLM_ORDER,
    METHOD_KINDS,
    SOURCE_ORDER,
    VERIFIER_KINDS,
    in_order,
    natural_key,
)

__all__ = [
    "ordered_raters",
    "rater_groups",
    "source_order",
    "judge_order",
    "generator_order",
    "method_order",
    "verifier_order",
]


def ordered_raters(raters: pd.DataFrame, kind: str) -> list[str]:
    """Rater ids of one kind, humans sorted naturally and LLMs in the paper's order first.

    Examples
    --------
    >>> import pandas as pd
    >>> raters = pd.DataFrame({"rater_id": ["human-10", "human-9", "gpt-5.4", "claude-sonnet-4.6"],
    ...                        "kind": ["human", "human", "llm", "llm"]})
    >>> ordered_raters(raters, "human"), ordered_raters(raters, "llm")
    (['human-9', 'human-10'], ['claude-sonnet-4.6', 'gpt-5.4'])
    """
    ids = raters.loc[raters["kind"] == kind, "rater_id"].tolist()
    if kind == LLM:
        return in_order(ids, LLM_ORDER)
    return sorted(ids, key=natural_key)


def rater_groups(ds: Dataset, *, kinds: tuple[str, ...] = AGREEMENT_GROUPS) -> dict[str, list[str]]:
    """``{kind: [rater ids]}`` for the raters of each kind in the dataset's ``raters.jsonl``."""
    ds.require("raters", purpose="grouping raters")
    raters = ds.frame("raters")
    return {k: ordered_raters(raters, k) for k in kinds}


def source_order(sources: Sequence[str]) -> list[str]:
    """Sources in the paper's order (WildChat, CUPID, PrefEval, PersonaLens), others sorted after."""
    return in_order(sources, SOURCE_ORDER)


def judge_order(ds: Dataset, present: Sequence[str]) -> list[str]:
    """``"human"`` first (if present), then LLM judges in the paper's order, others sorted."""
    keep = set(present)
    llms = [r for r in ordered_raters(ds.frame("raters"), LLM) if r in keep]
    return ([HUMAN] if HUMAN in keep else []) + llms + sorted(keep - set(llms) - {HUMAN})


def generator_order(present: Sequence[str]) -> list[str]:
    """Generators in the paper's model order, others sorted after."""
    return in_order(present, LLM_ORDER)


def method_order(raters: pd.DataFrame, present: Sequence[str], kinds: Sequence[str] = METHOD_KINDS) -> list[str]:
    """Ids of the stage-2 methods of the given kinds that are ``present``: LLM judges in the paper's order,
    then baselines in :data:`toolkit.vocabulary.BASELINE_ORDER`, any others sorted after their kind."""
    keep = set(present)
    out: list[str] = []
    for kind in kinds:
        ids = [r for r in ordered_raters(raters, kind) if r in keep]
        if kind == BASELINE:
            known = [r for r in BASELINE_ORDER if r in ids]
            ids = known + [r for r in ids if r not in known]
        out += ids
    return out


def verifier_order(raters: pd.DataFrame, present: Sequence[str]) -> list[str]:
    """Stage-1 verifiers present: trained ones (baselines, reward models) first, then LLMs in paper order."""
    keep = set(present)
    out = []
    for kind in VERIFIER_KINDS:
        out += [r for r in ordered_raters(raters, kind) if r in keep]
    return out
