"""toolkit.views.references: the human majority, else an aggregate rater (one rule for stages 1 and 2)."""

from __future__ import annotations

import pandas as pd
import pytest

from toolkit.jsonl import DataError
from toolkit.views import human_majority, majority_labels


class _Where:  # stands in for a Dataset in the error message
    path = "somewhere"


def test_majority_labels_prefer_humans_and_report_ties():
    long = pd.DataFrame({
        "item": ["a", "a", "b", "b", "a", "b"],
        "rater_id": ["h1", "h2", "h1", "h2", "agg", "agg"],
        "kind": ["human", "human", "human", "human", "aggregate", "aggregate"],
        "y": [True, True, True, False, False, False],
    })
    mv, source = majority_labels(long, item="item", label="y", ds=_Where(), file="x")
    assert source == "majority of h1, h2"
    mv = mv.set_index("item")
    assert bool(mv.loc["a", "label"]) is True and bool(mv.loc["b", "tie"]) is True


def test_majority_labels_fall_back_to_the_preferred_aggregate_rater():
    long = pd.DataFrame({"item": ["a", "a"], "rater_id": ["agg-1", "human-majority"],
                         "kind": ["aggregate", "aggregate"], "y": [False, True]})
    mv, source = majority_labels(long, item="item", label="y", ds=_Where(), file="x", preferred="human-majority")
    assert source == "human-majority" and mv["label"].tolist() == [True]
    mv, source = majority_labels(long, item="item", label="y", ds=_Where(), file="x")
    assert source == "agg-1"


def test_no_reference_is_a_clear_error():
    long = pd.DataFrame({"item": ["a"], "rater_id": ["m"], "kind": ["llm"], "y": [True]})
    with pytest.raises(DataError, match="no human or aggregate"):
        majority_labels(long, item="item", label="y", ds=_Where(), file="relevance_judgments")


def test_human_majority_of_the_small_study(small_ds):
    mv = human_majority(small_ds)
    assert {"item_id", "majority", "tie", "source"} <= set(mv.columns)
    assert mv["source"].iloc[0].startswith("majority of ")
