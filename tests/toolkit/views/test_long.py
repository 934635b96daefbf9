"""toolkit.views.long: one row per judgment, joined with rater kinds, users and responses."""

from __future__ import annotations

import pandas as pd

from toolkit.views import extraction_long, rater_kinds, rating_long, relevance_long
from toolkit.vocabulary import HUMAN, is_mentioned


def test_relevance_long_has_one_row_per_judgment_and_item_ids(small_ds):
    long = relevance_long(small_ds)
    judgments = small_ds.frame("relevance_judgments")
    assert len(long) == len(judgments)
    first = long.iloc[0]
    assert first["item_id"] == f"{first['user_id']}/{first['prompt_id']}/{first['attribute_id']}"
    assert set(long["kind"]) <= set(rater_kinds(small_ds))


def test_extraction_long_flags_problematic_labels(small_ds):
    long = extraction_long(small_ds)
    assert (long["problematic"] == (long["label"] != "accepted")).all()
    assert long["source"].notna().all() and long["kind"].notna().all()


def test_rating_long_pools_humans_and_applies_the_mention_rule(small_ds):
    long = rating_long(small_ds)
    assert set(long.loc[long["kind"] == HUMAN, "judge"]) == {HUMAN}
    responses = small_ds.frame("responses").set_index("response_id")
    row = long.iloc[0]
    resp = responses.loc[row["personalized_response_id"]]
    assert row["mention"] == is_mentioned(row["attribute_id"], resp["mentioned_attribute_ids"],
                                          resp["mentions_attributes"])
    assert long["cell"].str.contains("|", regex=False).all()


def test_rater_kinds_are_strings_indexed_by_id(small_ds):
    kinds = rater_kinds(small_ds)
    assert kinds.index.name == "rater_id" and kinds.map(type).eq(str).all()
    assert isinstance(kinds, pd.Series)


def test_long_tables_carry_each_stage_sampling_unit(small_ds):
    """Stage 2's pair_id (user/prompt), stage 1's user_id and stage 3's personalized_response_id: one per item."""
    long = relevance_long(small_ds)
    assert list(long.columns[:2]) == ["item_id", "pair_id"]
    assert (long["pair_id"] == long["user_id"] + "/" + long["prompt_id"]).all()
    assert (long["item_id"].str.rsplit("/", n=1).str[0] == long["pair_id"]).all()
    assert long.groupby("item_id")["pair_id"].nunique().max() == 1
    assert long["pair_id"].nunique() == len(long[["user_id", "prompt_id"]].drop_duplicates())
    assert extraction_long(small_ds).groupby("attribute_id")["user_id"].nunique().max() == 1
    assert rating_long(small_ds).groupby("cell")["personalized_response_id"].nunique().max() == 1
