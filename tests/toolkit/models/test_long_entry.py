"""toolkit.models.long_entry: the models' data from a long table equal the data prepared from a dataset."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from toolkit.models.extraction import prepare_judgments
from toolkit.models.judge_data import prepare_labels
from toolkit.models.long_entry import extraction_data, judge_data, long_frame, rating_data
from toolkit.models.rating_data import prepare_rating_data
from toolkit.views import extraction_long, rating_long, relevance_long


def _cells(data) -> list[tuple]:
    """The judge model's likelihood terms, independent of item order: (prompt, patterns..., count)."""
    a = data.arrays
    pats = [tuple(map(tuple, np.asarray(a[f"pattern_yes_{g}"]) - np.asarray(a[f"pattern_no_{g}"])))
            for g in range(len(data.coords["group"]))]
    rows = zip(a["cell_prompt"], a["cell_pattern"], a["cell_count"], strict=True)
    return sorted((data.coords["prompt"][p], *(pats[g][k] for g, k in enumerate(pat)), c) for p, pat, c in rows)


def test_judge_data_from_the_long_table_equals_the_dataset_path(small_ds) -> None:
    rel = relevance_long(small_ds)
    rel = rel[rel["kind"].isin(["human", "llm"])]
    frame = rel.rename(columns={"item_id": "item", "rater_id": "rater", "relevant": "label", "prompt_id": "prompt"})
    data = judge_data(frame[["item", "rater", "label", "group", "prompt"]])
    ref = prepare_labels(small_ds.frame("relevance_judgments"), small_ds.frame("raters"))
    assert data.coords["group"] == ref.coords["group"] == ["human", "llm"]
    assert sorted(data.coords["rater"]) == sorted(ref.coords["rater"])
    assert _cells(data) == _cells(ref)
    items = data.tables["items"]
    assert items["human_majority"].sum() == ref.tables["items"]["human_majority"].sum()


def test_crowdkit_columns_and_a_named_reference_group() -> None:
    crowd = pd.DataFrame({"task": ["t1", "t1", "t1", "t2", "t2", "t2"], "worker": ["e1", "e2", "j1"] * 2,
                          "label": [1, 1, 0, 0, 0, 1]})
    data = judge_data(crowd, reference="expert", groups={"e1": "expert", "e2": "expert", "j1": "judge"})
    assert data.coords["group"] == ["expert", "judge"]
    assert data.coords["rater"] == ["e1", "e2", "j1"]
    assert data.tables["items"]["human_majority"].tolist() == [True, False]  # the reference group's majority
    assert data.tables["items"]["item"].tolist() == ["t1", "t2"]


@pytest.mark.parametrize(
    ("frame", "kwargs", "message"),
    [
        (pd.DataFrame({"item": ["i"], "rater": ["r"], "label": [1]}), {}, "no 'group' column"),
        (pd.DataFrame({"item": ["i"], "label": [1], "group": ["g"]}), {}, r"lacks the columns rater \('rater'\)"),
        (pd.DataFrame({"item": ["i", "i"], "rater": ["r", "r"], "label": [1, 0], "group": ["g", "g"]}), {},
         "1 \\(item, rater\\) pairs are judged twice, e.g. item 'i' by 'r'"),
        (pd.DataFrame({"item": ["i", "j"], "rater": ["r", "r"], "label": [1, 0], "group": ["g", "h"]}), {},
         "rater 'r' is in more than one group"),
        (pd.DataFrame({"item": ["i", None], "rater": ["r", "s"], "label": [1, 0], "group": ["g", "h"]}), {},
         "column 'item' has 1 missing values"),
        (pd.DataFrame({"item": ["i"] * 3, "rater": ["a", "b", "c"], "label": [1, 0, 1], "group": ["x", "y", "z"]}),
         {"reference": "x"}, "compares two rater groups, a reference and one other; this table has 3"),
        (pd.DataFrame({"item": ["i"] * 2, "rater": ["a", "b"], "label": [2, 0], "group": ["x", "y"]}),
         {"reference": "x"}, "binary labels"),
        (pd.DataFrame({"item": ["i"] * 2, "rater": ["a", "b"], "label": [1, 0], "group": ["x", "y"]}), {},
         "name the reference group with reference="),
    ],
)
def test_bad_long_tables_are_named(frame: pd.DataFrame, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        judge_data(frame, **kwargs)


def test_long_frame_keeps_extra_columns_and_renames() -> None:
    frame = pd.DataFrame({"unit": ["i"], "who": ["r"], "y": [True], "team": ["g"], "prompt": ["p"]})
    out = long_frame(frame, item="unit", rater="who", label="y", group="team")
    assert out.columns.tolist() == ["item", "rater", "label", "group", "prompt"]


def test_rating_data_from_the_long_table_equals_the_dataset_path(small_ds) -> None:
    long = rating_long(small_ds)
    frame = pd.DataFrame({"item": long["cell"], "rater": long["rater_id"], "label": long["rating"],
                          "group": long["group"], "unit": long["personalized_response_id"],
                          "generator": long["generator"], "mention": long["mention"]})
    ours = rating_data(frame)
    ref, _ = prepare_rating_data(small_ds)
    assert ours.coords["rater"] == list(ref.raters) and ours.coords["annotator"] == list(ref.annotators)
    assert ours.coords["cell"] == list(ref.cells) and ours.coords["generator"] == list(ref.generators)
    for name in ("y", "rater", "annotator", "cell", "item", "generator", "mention", "cell_mention"):
        assert np.array_equal(ours.arrays[name], getattr(ref, name)), name
    with pytest.raises(ValueError, match="takes ratings 1..5; row 0 has 7"):
        rating_data(frame.assign(label=[7, *frame["label"].iloc[1:]]))


def test_extraction_data_from_the_long_table_equals_the_dataset_path(small_ds) -> None:
    long = extraction_long(small_ds)
    frame = pd.DataFrame({"item": long["attribute_id"], "rater": long["rater_id"], "label": long["label"],
                          "group": long["group"], "unit": long["user_id"], "source": long["source"],
                          "origin": long["origin"]})
    ours = extraction_data(frame)
    ref = prepare_judgments(small_ds.frame("extraction_judgments"), small_ds.frame("attributes"),
                            small_ds.frame("users"), small_ds.frame("raters"))
    assert ours.coords == ref.coords
    assert ours.hash == ref.hash
    with pytest.raises(ValueError, match="needs a 'unit' column"):
        extraction_data(frame.drop(columns="unit"))
