"""Judge model data (stage 2): the label matrix, label patterns, cells, missing labels and duplicates."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from toolkit.models.judge import JudgeModel
from toolkit.models.judge_data import ITEM, prepare_labels

HUMANS = ["human-1", "human-2", "human-3"]
LLMS = ["claude-sonnet-4.6", "gpt-5.4", "llama-3.3-70b", "qwen3.5-27b", "gemma-4-31b"]


def test_prepare_builds_label_matrix_patterns_and_cells(small_study: tuple[Any, dict]) -> None:
    ds, truth = small_study
    data = JudgeModel().prepare(ds)
    a = data.arrays
    n_items = len(truth["stage2"]["items"]["z"])
    assert data.coords["group"] == ["human", "llm"]
    assert data.coords["rater"] == HUMANS + LLMS  # baselines are left out
    assert a["labels"].shape == (n_items, 8)
    assert a["cell_count"].sum() == n_items
    # every item's cell carries its prompt and label patterns
    np.testing.assert_array_equal(a["cell_prompt"][a["item_cell"]], a["item_prompt"])
    np.testing.assert_array_equal(a["cell_pattern"][a["item_cell"]], a["item_pattern"])
    for gi in range(2):
        cols = a["rater_group"] == gi
        yes = a[f"pattern_yes_{gi}"][a["item_pattern"][:, gi]]
        np.testing.assert_array_equal(yes.astype(bool), a["labels"][:, cols] == 1)
    assert a[f"pattern_yes_{0}"].shape[0] <= 8  # 3 humans, no missing labels: at most 2^3 patterns
    rel = ds.frame("relevance_judgments")
    items = data.tables["items"]
    maj = rel[rel["rater_id"].isin(HUMANS)].groupby(ITEM)["relevant"].mean().gt(0.5)
    np.testing.assert_array_equal(
        items.set_index(ITEM)["human_majority"].astype(bool), maj.reindex(items.set_index(ITEM).index)
    )


def test_missing_labels_and_duplicates() -> None:
    raters = pd.DataFrame(
        {"rater_id": ["h1", "h2", "l1", "b"], "kind": ["human", "human", "llm", "baseline"]}
    )
    rows = [
        ("u", "p1", "a1", "h1", True), ("u", "p1", "a1", "h2", False), ("u", "p1", "a1", "l1", True),
        ("u", "p1", "a2", "h1", False), ("u", "p1", "a2", "l1", True), ("u", "p1", "a2", "b", True),
        ("u", "p2", "a1", "h2", True),
    ]  # fmt: skip
    rel = pd.DataFrame(rows, columns=[*ITEM, "rater_id", "relevant"])
    data = prepare_labels(rel, raters)
    np.testing.assert_array_equal(data.arrays["labels"], [[1, 0, 1], [0, -1, 1], [-1, 1, -1]])
    assert data.tables["items"]["human_majority"].isna().tolist() == [
        True,
        False,
        False,
    ]  # 1-1 tie: no majority
    with pytest.raises(ValueError, match="duplicated"):
        prepare_labels(pd.concat([rel, rel.iloc[:1]]), raters)
