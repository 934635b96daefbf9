"""Tests of toolkit.agreement.alpha: Krippendorff (2011)'s worked example at every level, the krippendorff
package on generated data, and bad input."""

from __future__ import annotations

import krippendorff
import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tests.toolkit.agreement.data import FAST, KRIPP_2011, quiet, reliability_data, wide_to_long
from toolkit import agreement as ag


@pytest.mark.parametrize(
    ("level", "published"), [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)]
)
def test_krippendorff_2011_worked_example(level: str, published: float) -> None:
    assert ag.krippendorff_alpha(KRIPP_2011, level=level) == pytest.approx(published, abs=5e-4)
    assert ag.krippendorff_alpha(pd.DataFrame(KRIPP_2011), level=level) == pytest.approx(published, abs=5e-4)
    long = wide_to_long(KRIPP_2011.T)
    via_long = ag.krippendorff_alpha(long, item="item", rater="rater", label="label", level=level)
    assert via_long == pytest.approx(published, abs=5e-4)


@FAST
@given(reliability_data(), st.sampled_from(ag.LEVELS))
def test_krippendorff_alpha_matches_krippendorff_package(data: np.ndarray, level: str) -> None:
    m = (~np.isnan(data)).sum(axis=0)
    assume((m >= 2).any())
    assume(len(np.unique(data[~np.isnan(data)])) >= 2)
    ours = ag.krippendorff_alpha(data, level=level)
    with quiet():
        theirs = krippendorff.alpha(reliability_data=data, level_of_measurement=level)
    if np.isnan(theirs):
        assert np.isnan(ours)
    else:
        assert ours == pytest.approx(theirs, abs=1e-9)


def test_level_is_required() -> None:
    with pytest.raises(TypeError, match="level"):
        ag.krippendorff_alpha(KRIPP_2011)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: ag.krippendorff_alpha(KRIPP_2011, level="cardinal"), "unknown level"),
        (lambda: ag.krippendorff_alpha(np.array([[1.0, 1], [1, 1]]), level="nominal"), "single category"),
        (lambda: ag.krippendorff_alpha(np.array([[-1.0, 1], [1, 2]]), level="ratio"), "non-negative"),
        (lambda: ag.krippendorff_alpha(np.array([["a", "b"], ["a", "a"]]), level="interval"), "numeric"),
        (lambda: ag.krippendorff_alpha(np.ones(3), level="nominal"), "2-D"),
    ],
)
def test_bad_input_raises_value_error(call, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()
