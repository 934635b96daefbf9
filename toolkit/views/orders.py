"""Rater, source and generator orders: which raters a dataset has, grouped, in the paper's order.

Every order puts the names the paper uses first, in its order (:mod:`toolkit.vocabulary`), and any other
present name after them, so a study with other raters keeps working. Raters are grouped by their group
(``Rater.group``, schema 1.1; a rater's kind when it has none), so a schema 1.0 dataset has the paper's two
groups, ``human`` and ``llm``.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from toolkit.dataset import Dataset
from toolkit.views.raters import rater_table
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
    """``{group: [rater ids]}`` for the raters of the given kinds, the input of ``group_agreement(groups=)``.

    A rater's group is its ``group`` in ``raters.jsonl`` (schema 1.1), else its kind; so a schema 1.0 dataset
    gives ``{"human": [...], "llm": [...]}`` as the paper compares them. Groups come in the order of ``kinds``
    (a kind's groups in the order they first appear in ``raters.jsonl``); a kind without raters keeps an empty
    entry under its own name. Within a group, raters are in :func:`ordered_raters` order.

    Examples
    --------
    >>> import toolkit
    >>> {g: len(ids) for g, ids in rater_groups(toolkit.load_dataset()).items()}
    {'human': 3, 'llm': 5}
    """
    table = rater_table(ds)
    raters = pd.DataFrame({"rater_id": table.index, "kind": table["kind"].to_numpy()})
    out: dict[str, list[str]] = {}
    for kind in kinds:
        ordered = ordered_raters(raters, kind)
        of_kind = table[table["kind"] == kind]
        groups = list(dict.fromkeys(of_kind["group"])) or [kind]
        for group in groups:
            members = set(of_kind.index[of_kind["group"] == group])
            out.setdefault(group, []).extend(r for r in ordered if r in members)
    return out


def source_order(sources: Sequence[str]) -> list[str]:
    """Sources in the paper's order (WildChat, CUPID, PrefEval, PersonaLens), others sorted after."""
    return in_order(sources, SOURCE_ORDER)


def judge_order(ds: Dataset, present: Sequence[str]) -> list[str]:
    """The human groups first (``"human"``, or e.g. ``"expert"``, ``"crowd"``), then LLM judges in the paper's
    order, others sorted (the ``judge`` column of :func:`toolkit.views.rating_long`)."""
    keep = set(present)
    humans = [g for g in rater_groups(ds, kinds=(HUMAN,)) if g in keep]
    llms = [r for r in ordered_raters(ds.frame("raters"), LLM) if r in keep]
    return humans + llms + sorted(keep - set(llms) - set(humans))


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
