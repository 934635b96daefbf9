"""Long tables: a dataset's records joined into one row per judgment, the input of every stage statistic.

Data flow: files -> schemas -> *these tables* -> statistics and models -> results -> figures.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.dataset import Dataset
from toolkit.jsonl import DataError
from toolkit.views.raters import label_scale, rater_table, rating_scale
from toolkit.vocabulary import CELL_SEPARATOR, HUMAN, ITEM_KEY, ITEM_SEPARATOR, is_mentioned

__all__ = ["relevance_long", "extraction_long", "rating_long"]


def _outside(values: pd.Series, scale: tuple[int, ...]) -> pd.Series:
    return values.notna() & ~values.isin(scale)


def relevance_long(ds: Dataset) -> pd.DataFrame:
    """Stage-2 judgments in long form with an ``item_id`` column (``user/prompt/attribute``), rater kind and group.

    ``pair_id`` (``user/prompt``) is the user-prompt pair the item belongs to: stage 2's sampling unit, the
    ``clusters=`` of a design-aware bootstrap (all attributes of a user judged for one prompt move together).
    ``group`` is the rater's group (its kind unless ``raters.jsonl`` says otherwise); ``grade`` the graded
    relevance (nullable integer, missing when the judgment is binary only), checked against the manifest's
    ``label_scale`` when it declares one.

    Columns: ``item_id, pair_id, user_id, prompt_id, attribute_id, rater_id, kind, relevant, score, group,
    grade``.

    Raises
    ------
    DataError
        When a grade lies outside the declared ``label_scale``.
    """
    ds.require("raters", "relevance_judgments", purpose="stage-2 analyses")
    judgments = ds.frame("relevance_judgments")
    raters = rater_table(ds)
    out = judgments[[*ITEM_KEY, "rater_id", "relevant", "score"]].copy()
    user, prompt, attribute = (out[c] for c in ITEM_KEY)
    out.insert(0, "item_id", user + ITEM_SEPARATOR + prompt + ITEM_SEPARATOR + attribute)
    out.insert(1, "pair_id", user + ITEM_SEPARATOR + prompt)
    out.insert(6, "kind", out["rater_id"].map(raters["kind"]))
    out["group"] = out["rater_id"].map(raters["group"])
    grades = judgments["grade"] if "grade" in judgments else pd.Series(None, index=judgments.index, dtype=object)
    out["grade"] = pd.array(grades.to_numpy(dtype=object), dtype="Int64")
    scale = label_scale(ds)
    if scale is not None and _outside(out["grade"], scale).any():
        bad = out[_outside(out["grade"], scale)].iloc[0]
        raise DataError(
            ds.path, 0, "relevance_judgments",
            f"{int(_outside(out['grade'], scale).sum())} grades outside the declared label_scale "
            f"{scale[0]}..{scale[-1]}, e.g. grade {bad['grade']} of item {bad['item_id']!r} by {bad['rater_id']!r}",
        )
    return out


def extraction_long(ds: Dataset) -> pd.DataFrame:
    """Stage-1 judgments with the rater kind and group and the user's source and origin.

    ``user_id`` is stage 1's sampling unit (a user's attributes come from one history), the ``clusters=`` of a
    design-aware bootstrap; ``attribute_id`` is the judged item.

    Columns: ``attribute_id, user_id, source, origin, rater_id, kind, label, problematic, failure_mode,
    probability, group`` (``problematic`` = the label is uncertain or rejected; ``group`` as in
    :func:`relevance_long`).
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
    raters = rater_table(ds)
    out["kind"] = out["rater_id"].map(raters["kind"])
    out["group"] = out["rater_id"].map(raters["group"])
    out["problematic"] = out["label"] != "accepted"
    return out[["attribute_id", "user_id", "source", "origin", "rater_id", "kind", "label", "problematic",
                "failure_mode", "probability", "group"]]


def rating_long(ds: Dataset) -> pd.DataFrame:
    """Stage-3 ratings, one row per rating, with the cell, generator, rater group and mention flag.

    A *cell* is one attribute of one personalized response (``<personalized_response_id>|<attribute_id>``).
    ``judge`` pools the human annotators by group (``"human"`` for all of them unless ``raters.jsonl`` gives
    them groups, e.g. ``"expert"`` and ``"crowd"``) and is the rater id otherwise; ``group`` is every rater's
    group. Ratings must lie on the dataset's rating scale (:func:`toolkit.views.rating_scale`: the manifest's
    ``rating_scale``, default 1..5). ``mention`` follows the
    explicit-mention rule :func:`toolkit.vocabulary.is_mentioned` (shared with the rating model).
    ``personalized_response_id`` is stage 3's sampling unit (the cells of a response are rated together), the
    ``clusters=`` of a design-aware bootstrap.

    Columns: ``cell, personalized_response_id, attribute_id, generator, rater_id, kind, judge, rating,
    mention, group``.

    Raises
    ------
    DataError
        When a rated response is missing, or a rating lies outside the rating scale.
    """
    ds.require("raters", "responses", "response_ratings", purpose="stage-3 statistics")
    ratings = ds.frame("response_ratings")
    responses = ds.frame("responses").set_index("response_id")
    raters = rater_table(ds)
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
        "kind": ratings["rater_id"].map(raters["kind"]),
        "rating": ratings["rating"].astype(int),
    })
    scale = rating_scale(ds)
    off = _outside(out["rating"], scale)
    if off.any():
        bad = out[off].iloc[0]
        raise DataError(
            ds.path, 0, "response_ratings",
            f"{int(off.sum())} ratings outside the rating scale {scale[0]}..{scale[-1]} (declare another as "
            f"rating_scale in manifest.json), e.g. rating {bad['rating']} of cell {bad['cell']!r} by "
            f"{bad['rater_id']!r}",
        )
    group = out["rater_id"].map(raters["group"])
    out["judge"] = np.where(out["kind"] == HUMAN, group, out["rater_id"])
    ids = pid.map(responses["mentioned_attribute_ids"])
    flag = pid.map(responses["mentions_attributes"])
    out["mention"] = [is_mentioned(a, m, f) for a, m, f in zip(out["attribute_id"], ids, flag, strict=True)]
    out["group"] = group
    return out
