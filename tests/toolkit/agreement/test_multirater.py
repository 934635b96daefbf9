"""Tests of toolkit.agreement.multirater: Fleiss (1971) and Gwet (2014) worked examples, statsmodels on
generated data, the low-prevalence kappa paradox, the declared category count, and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from statsmodels.stats import inter_rater

from tests.toolkit.agreement.data import (
    ABSTRACTORS,
    FAST,
    FLEISS_1971,
    KRIPP_2011,
    OBSERVERS5,
    complete_ratings,
    expand_table,
    quiet,
    wide_to_long,
)
from toolkit import agreement as ag


def test_fleiss_1971_worked_example() -> None:
    assert ag.fleiss_kappa(FLEISS_1971, kind="counts") == pytest.approx(0.4302445, abs=1e-7)
    # The same data as a 30 x 6 raters matrix (raters are exchangeable in Fleiss' design).
    wide = np.array([np.repeat(np.arange(5), row) for row in FLEISS_1971])
    assert wide.shape == (30, 6)
    assert ag.fleiss_kappa(wide) == pytest.approx(0.4302445, abs=1e-7)


def test_gwet_2014_abstractors_two_raters() -> None:
    a, b = expand_table(ABSTRACTORS, ["Ectopic", "AIU", "NIU"])
    assert ag.cohen_kappa(a, b) == pytest.approx(0.7964094, abs=5e-8)
    assert ag.gwet_ac1(np.c_[a, b]) == pytest.approx(0.8493305, abs=5e-8)
    assert ag.percent_agreement(np.c_[a, b]) == pytest.approx(0.89, abs=1e-12)
    long = wide_to_long(np.c_[a, b].astype(object))
    expected = {
        "scott_pi": 0.7962397,
        "gwet_ac1": 0.8493305,
        "cohen_kappa": 0.7964094,
        "percent_agreement": 0.89,
    }
    for metric, value in expected.items():
        out = ag.pairwise_agreement(long, item="item", rater="rater", label="label", metric=metric)
        assert out["value"].iloc[0] == pytest.approx(value, abs=5e-8), metric
    alpha = ag.pairwise_agreement(
        long, item="item", rater="rater", label="label", metric="krippendorff_alpha", level="nominal"
    )
    assert alpha["value"].iloc[0] == pytest.approx(0.7972585, abs=5e-8)


def test_gwet_2014_missing_ratings() -> None:
    raw4 = KRIPP_2011.T
    assert ag.percent_agreement(raw4) == pytest.approx(0.8181818, abs=5e-8)
    assert ag.fleiss_kappa(raw4) == pytest.approx(0.761, abs=5e-4)
    assert ag.gwet_ac1(raw4) == pytest.approx(0.775, abs=5e-4)
    assert ag.fleiss_kappa(OBSERVERS5) == pytest.approx(0.458, abs=5e-4)
    assert ag.gwet_ac1(OBSERVERS5) == pytest.approx(0.497, abs=5e-4)
    # Long format gives the same numbers as the wide matrix.
    long = wide_to_long(OBSERVERS5)
    assert ag.fleiss_kappa(long, item="item", rater="rater", label="label") == pytest.approx(
        ag.fleiss_kappa(OBSERVERS5), abs=1e-12
    )


@FAST
@given(complete_ratings())
def test_fleiss_kappa_matches_statsmodels_on_complete_data(wide: np.ndarray) -> None:
    assume(len(np.unique(wide)) >= 2)
    counts, _ = inter_rater.aggregate_raters(wide)
    with quiet():
        theirs = inter_rater.fleiss_kappa(counts, method="fleiss")
    ours = ag.fleiss_kappa(wide)
    assert ours == pytest.approx(theirs, abs=1e-10)
    assert ag.fleiss_kappa(counts, kind="counts") == pytest.approx(ours, abs=1e-12)
    if wide.shape[1] == 2:  # two raters, complete data: Fleiss' kappa is Scott's pi
        long = wide_to_long(wide)
        pi = ag.pairwise_agreement(long, item="item", rater="rater", label="label", metric="scott_pi")
        assert pi["value"].iloc[0] == pytest.approx(ours, abs=1e-10)


def test_ac1_resists_the_low_prevalence_kappa_paradox() -> None:
    # 95% raw agreement, but the "relevant" class is rare: kappa collapses, AC1 does not.
    a = np.array([False] * 90 + [True] * 5 + [False] * 5)
    b = np.array([False] * 90 + [False] * 5 + [True] * 5)
    assert ag.percent_agreement(np.c_[a, b]) == pytest.approx(0.90)
    assert ag.cohen_kappa(a, b) < 0.0
    assert ag.gwet_ac1(np.c_[a, b]) > 0.85


def test_gwet_ac1_uses_declared_category_count() -> None:
    wide = np.array([[1, 1], [1, 2], [2, 2], [1, 1]])
    # Declaring an unused third category changes AC1's chance term (q - 1 in the denominator).
    assert ag.gwet_ac1(wide) != pytest.approx(ag.gwet_ac1(wide, categories=[1, 2, 3]))
    # ... but not Fleiss' kappa.
    assert ag.fleiss_kappa(wide) == pytest.approx(ag.fleiss_kappa(wide, categories=[1, 2, 3]))


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: ag.fleiss_kappa(np.array([[1, 2], [3, 0]]), kind="table"), "kind must be"),
        (lambda: ag.fleiss_kappa(np.array([[-1, 2], [3, 0]]), kind="counts"), "non-negative"),
        (lambda: ag.fleiss_kappa(np.array([[3], [3]]), kind="counts"), "single category"),
        (lambda: ag.gwet_ac1(np.array([[1, 1], [1, 1]])), "single category"),
    ],
)
def test_bad_input_raises_value_error(call, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()
