"""Stage-3 rating model data: the arrays of the simulated design and the explicit-mention rule."""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import pandas as pd

from toolkit.models.rating_data import RatingData, mentioned, prepare_rating_data
from toolkit.vocabulary import HUMAN, is_mentioned


def test_prepare_matches_the_simulated_design(small_study: tuple[Any, dict]) -> None:
    ds, truth = small_study
    data, tables = prepare_rating_data(ds)
    ratings = ds.frame("response_ratings")
    units = truth["stage3"]["units"]
    assert data.n == len(ratings)
    assert data.raters == (HUMAN, *data.judges)
    assert set(data.judges) == set(truth["raters"]["llm"])
    assert set(data.annotators) == set(truth["raters"]["human"])
    assert len(data.cells) == len(units["attribute_id"])
    assert len(data.items) == len(set(units["personalized_response_id"]))
    # every cell rated by every annotator and judge
    assert np.all(np.bincount(data.cell) == len(data.annotators) + len(data.judges))
    # mentions agree with the truth, cell by cell
    true_mention = dict(
        zip(
            zip(units["personalized_response_id"], units["attribute_id"], strict=True),
            units["mention"],
            strict=True,
        )
    )
    cells = tables["cells"]
    got = dict(zip(zip(cells["item"], cells["attribute_id"], strict=True), cells["mention"], strict=True))
    assert got == {k: bool(v) for k, v in true_mention.items()}
    # judges have the dummy annotator level, humans a real one; y is 0..4
    assert np.all(data.annotator[data.rater > 0] == len(data.annotators))
    assert np.all(data.annotator[data.rater == 0] < len(data.annotators))
    assert data.y.min() >= 0 and data.y.max() <= 4
    # round trip through ModelData
    again = RatingData.from_model_data(data.to_model_data(tables))
    for field in attrs.fields(RatingData):
        assert np.array_equal(getattr(again, field.name), getattr(data, field.name)), field.name


def test_mention_flag_falls_back_to_the_response_level_flag() -> None:
    responses = pd.DataFrame(
        {
            "response_id": ["r1", "r2", "r3"],
            "mentions_attributes": [True, True, None],
            "mentioned_attribute_ids": [("a1",), None, None],
        }
    )
    got = mentioned(responses, ["r1", "r1", "r2", "r3", "r4"], ["a1", "a2", "a9", "a1", "a1"])
    assert got.tolist() == [True, False, True, False, False]
    # the per-cell decision is the study's explicit-mention rule
    ids = {"r1": ("a1",), "r2": None, "r3": None}
    flags = {"r1": True, "r2": True, "r3": None}
    expected = [
        is_mentioned(a, ids.get(r), flags.get(r))
        for r, a in zip(["r1", "r1", "r2", "r3", "r4"], ["a1", "a2", "a9", "a1", "a1"], strict=True)
    ]
    assert got.tolist() == expected
