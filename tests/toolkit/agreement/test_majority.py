"""Tests of toolkit.agreement.majority: reported ties, label dtypes, and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.toolkit.agreement.data import KEY, nan
from toolkit import agreement as ag


def test_majority_vote_reports_ties() -> None:
    frame = pd.DataFrame(
        {
            "prompt_id": ["p1"] * 3 + ["p2"] * 2 + ["p3"] * 3,
            "attribute_id": ["a"] * 8,
            "rater_id": ["h1", "h2", "h3", "h1", "h2", "h1", "h2", "h3"],
            "relevant": [True, True, False, True, False, False, False, True],
        }
    )
    mv = ag.majority_vote(frame, item=KEY, rater="rater_id", label="relevant")
    assert list(mv.columns) == [*KEY, "label", "n_raters", "n_votes", "share", "tie"]
    assert mv["label"].dtype == "boolean"
    assert mv["label"].tolist() == [True, pd.NA, False]
    assert mv["tie"].tolist() == [False, True, False]
    assert mv["n_raters"].tolist() == [3, 2, 3]
    assert mv["n_votes"].tolist() == [2, 1, 2]
    strings = frame.assign(relevant=frame.relevant.map({True: "yes", False: "no"}))
    out_s = ag.majority_vote(strings, item=KEY, rater="rater_id", label="relevant")
    assert out_s["label"].dtype == "string" and out_s["label"].tolist() == ["yes", pd.NA, "no"]
    with pytest.raises(ValueError, match="tied votes"):
        ag.majority_vote(frame, item=KEY, rater="rater_id", label="relevant", ties="raise")
    wide = np.array([[1, 1, 2], [1, 2, nan], ["x", "y", "x"]], dtype=object)
    out = ag.majority_vote(wide)
    assert out["label"].tolist() == [1, pd.NA, "x"] and out["tie"].tolist() == [False, True, False]


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: ag.majority_vote(np.array([[1, 2]]), ties="coin"), "ties must be"),
    ],
)
def test_bad_input_raises_value_error(call, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()
