"""toolkit.stages.counts: the study sizes counted from the records."""

from __future__ import annotations

from toolkit import stages as st


def test_study_counts_match_the_records(small_ds):
    counts = st.study_counts(small_ds).set_index("key")["value"]
    rel = small_ds.frame("relevance_judgments")
    assert counts["stage2.n_items"] == len(rel[["user_id", "prompt_id", "attribute_id"]].drop_duplicates())
    kinds = small_ds.frame("raters").set_index("rater_id")["kind"]
    assert counts["stage3.n_judgments"] == (small_ds.frame("response_ratings")["rater_id"].map(kinds) == "human").sum()
