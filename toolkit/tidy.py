"""Tidy analysis tables built from a dataset's record frames (joins that several analyses and models need).

Data flow: files -> schemas -> *these tables* -> statistics/models -> results -> figures.
"""

from __future__ import annotations

import pandas as pd

from toolkit.dataset import Dataset
from toolkit.jsonl import DataError

#: The paper's judge order, used to order LLM raters when they are present (others follow, sorted).
PAPER_LLM_ORDER = ("claude-sonnet-4.6", "gpt-5.4", "llama-3.3-70b", "qwen3.5-27b", "gemma-4-31b")
ITEM_KEY = ("user_id", "prompt_id", "attribute_id")
MAJORITY_RATER = "human-majority"


def ordered_raters(raters: pd.DataFrame, kind: str) -> list[str]:
    """Rater ids of one kind, humans sorted naturally and LLMs in the paper's order first."""
    ids = raters.loc[raters["kind"] == kind, "rater_id"].tolist()
    if kind == "llm":
        known = [r for r in PAPER_LLM_ORDER if r in ids]
        return known + sorted(r for r in ids if r not in known)
    return sorted(ids, key=_natural_key)


def _natural_key(text: str) -> tuple:
    import re

    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text))


def rater_groups(ds: Dataset, *, kinds: tuple[str, ...] = ("human", "llm")) -> dict[str, list[str]]:
    """``{kind: [rater ids]}`` for the raters of each kind in the dataset's ``raters.jsonl``."""
    ds.require("raters", purpose="grouping raters")
    raters = ds.frame("raters")
    return {k: ordered_raters(raters, k) for k in kinds}


def relevance_long(ds: Dataset) -> pd.DataFrame:
    """Stage-2 judgments in long form with an ``item_id`` column (``user/prompt/attribute``) and rater kind.

    Columns: ``item_id, user_id, prompt_id, attribute_id, rater_id, kind, relevant, score``.
    """
    ds.require("raters", "relevance_judgments", purpose="stage-2 analyses")
    judgments = ds.frame("relevance_judgments")
    kinds = ds.frame("raters").set_index("rater_id")["kind"]
    out = judgments[["user_id", "prompt_id", "attribute_id", "rater_id", "relevant", "score"]].copy()
    out.insert(0, "item_id", out["user_id"] + "/" + out["prompt_id"] + "/" + out["attribute_id"])
    out.insert(5, "kind", out["rater_id"].map(kinds))
    return out


def human_majority(ds: Dataset) -> pd.DataFrame:
    """The human-majority relevance label of every stage-2 item.

    Computed from the human raters' judgments by :func:`toolkit.agreement.majority_vote` when the dataset has
    them; otherwise taken from an ``aggregate`` rater's judgments (as imported from the authors' files, whose
    ground truth is the majority of three annotators). Ties (possible only when an item lacks a rater) are
    reported in a ``tie`` column with a missing label, never guessed.

    Returns
    -------
    DataFrame
        ``item_id, majority (boolean, NA on ties), n_raters, tie, source`` where ``source`` names the rater(s)
        the label comes from.
    """
    from toolkit.agreement import majority_vote

    long = relevance_long(ds)
    humans = long[long["kind"] == "human"]
    if len(humans):
        mv = majority_vote(humans, item="item_id", rater="rater_id", label="relevant")
        mv = mv.rename(columns={"label": "majority"})
        mv["source"] = "majority of " + ", ".join(sorted(humans["rater_id"].unique(), key=_natural_key))
        return mv
    aggregates = long[long["kind"] == "aggregate"]
    if aggregates["rater_id"].nunique() == 0:
        raise DataError(
            ds.path, 0, "relevance_judgments",
            "no human or aggregate relevance judgments, so there is no human majority to compare with",
        )
    chosen = MAJORITY_RATER if MAJORITY_RATER in set(aggregates["rater_id"]) else sorted(aggregates["rater_id"])[0]
    agg = aggregates[aggregates["rater_id"] == chosen]
    return pd.DataFrame(
        {
            "item_id": agg["item_id"].to_numpy(),
            "majority": agg["relevant"].astype("boolean").to_numpy(),
            "n_raters": pd.NA,
            "tie": False,
            "source": chosen,
        }
    )
