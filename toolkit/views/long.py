"""Long tables: a dataset's records joined into one row per judgment, the input of every stage statistic.

Data flow: files -> schemas -> *these tables* -> statistics and models -> results -> figures.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.dataset import Dataset
from toolkit.jsonl import DataError
from toolkit.vocabulary import CELL_SEPARATOR, HUMAN, ITEM_KEY, ITEM_SEPARATOR, is_mentioned

__all__ = ["rater_kinds", "relevance_long", "extraction_long", "rating_long"]


def rater_kinds(ds: Dataset) -> pd.Series:
    """The kind of every rater in ``raters.jsonl``: a string Series indexed by ``rater_id``."""
    return ds.frame("raters").set_index("rater_id")["kind"].astype(str)


def relevance_long(ds: Dataset) -> pd.DataFrame:
    """Stage-2 judgments in long form with an ``item_id`` column (``user/prompt/attribute``) and rater kind.

    ``pair_id`` (``user/prompt``) is the user-prompt pair the item belongs to: stage 2's sampling unit, the
    ``clusters=`` of a design-aware bootstrap (all attributes of a user judged for one prompt move together).

    Columns: ``item_id, pair_id, user_id, prompt_id, attribute_id, rater_id, kind, relevant, score``.
    """
    ds.require("raters", "relevance_judgments", purpose="stage-2 analyses")
    judgments = ds.frame("relevance_judgments")
    kinds = ds.frame("raters").set_index("rater_id")["kind"]
    out = judgments[[*ITEM_KEY, "rater_id", "relevant", "score"]].copy()
    user, prompt, attribute = (out[c] for c in ITEM_KEY)
    out.insert(0, "item_id", user + ITEM_SEPARATOR + prompt + ITEM_SEPARATOR + attribute)
    out.insert(1, "pair_id", user + ITEM_SEPARATOR + prompt)
    out.insert(6, "kind", out["rater_id"].map(kinds))
    return out


def extraction_long(ds: Dataset) -> pd.DataFrame:
    """Stage-1 judgments with the rater kind and the user's source and origin.

    ``user_id`` is stage 1's sampling unit (a user's attributes come from one history), the ``clusters=`` of a
    design-aware bootstrap; ``attribute_id`` is the judged item.

    Columns: ``attribute_id, user_id, source, origin, rater_id, kind, label, problematic, failure_mode,
    probability`` (``problematic`` = the label is uncertain or rejected).
    """
    ds.require("raters", "users", "attributes", "extraction_judgments", purpose="stage-1 statistics")
    ej = ds.frame("extraction_judgments")
    attrs_ = ds.frame("attributes")[["attribute_id", "user_id"]]
    users = ds.frame("users")[["user_id", "source", "origin"]]
    out = ej[["attribute_id", "rater_id", "label", "failure_mode", "probability"]].merge(
        attrs_, on="attribute_id", how="left", validate="many_to_one"
    )
    unknown = out["user_id"].isna()
    if unknown.any():
        raise DataError(
            ds.path, 0, "extraction_judgments",
            f"{int(unknown.sum())} judgments of attributes not in attributes.jsonl, e.g. "
            f"{out.loc[unknown, 'attribute_id'].iloc[0]!r}",
        )
    out = out.merge(users, on="user_id", how="left", validate="many_to_one")
    out["kind"] = out["rater_id"].map(rater_kinds(ds))
    out["problematic"] = out["label"] != "accepted"
    return out[["attribute_id", "user_id", "source", "origin", "rater_id", "kind", "label", "problematic",
                "failure_mode", "probability"]]


def rating_long(ds: Dataset) -> pd.DataFrame:
    """Stage-3 ratings, one row per rating, with the cell, generator, rater group and mention flag.

    A *cell* is one attribute of one personalized response (``<personalized_response_id>|<attribute_id>``).
    ``judge`` is ``"human"`` for every human annotator and the rater id otherwise. ``mention`` follows the
    explicit-mention rule :func:`toolkit.vocabulary.is_mentioned` (shared with the rating model).
    ``personalized_response_id`` is stage 3's sampling unit (the cells of a response are rated together), the
    ``clusters=`` of a design-aware bootstrap.

    Columns: ``cell, personalized_response_id, attribute_id, generator, rater_id, kind, judge, rating,
    mention``.
    """
    ds.require("raters", "responses", "response_ratings", purpose="stage-3 statistics")
    ratings = ds.frame("response_ratings")
    responses = ds.frame("responses").set_index("response_id")
    pid = ratings["personalized_response_id"]
    missing = sorted(set(pid) - set(responses.index))
    if missing:
        raise DataError(ds.path, 0, "response_ratings",
                        f"{len(missing)} rated responses are not in responses.jsonl, e.g. {missing[0]!r}")
    out = pd.DataFrame({
        "cell": pid + CELL_SEPARATOR + ratings["attribute_id"],
        "personalized_response_id": pid,
        "attribute_id": ratings["attribute_id"],
        "generator": pid.map(responses["generator"]),
        "rater_id": ratings["rater_id"],
        "kind": ratings["rater_id"].map(rater_kinds(ds)),
        "rating": ratings["rating"].astype(int),
    })
    out["judge"] = np.where(out["kind"] == HUMAN, HUMAN, out["rater_id"])
    ids = pid.map(responses["mentioned_attribute_ids"])
    flag = pid.map(responses["mentions_attributes"])
    out["mention"] = [is_mentioned(a, m, f) for a, m, f in zip(out["attribute_id"], ids, flag, strict=True)]
    return out
