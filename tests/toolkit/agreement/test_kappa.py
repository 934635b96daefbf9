"""Tests of toolkit.agreement.kappa: Cohen's kappa on the 3x3 worked example (tests/reference/cohen_3x3.md),
against scikit-learn and statsmodels on generated data, its properties, and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats import inter_rater

from tests.toolkit.agreement.data import COHEN_3X3, FAST, expand_table, nan, quiet, two_raters
from toolkit import agreement as ag


def test_cohen_3x3_worked_example() -> None:
    a, b = expand_table(COHEN_3X3)
    assert ag.cohen_kappa(a, b) == pytest.approx(0.4842, abs=5e-5)
    assert ag.cohen_kappa(a, b, weights="linear") == pytest.approx(0.4701, abs=5e-5)
    res = ag.cohen_kappa_ci(a, b)
    assert res.kappa == pytest.approx(0.4842, abs=5e-5)
    assert res.se == pytest.approx(0.1380, abs=5e-5)
    assert res.ci_low == pytest.approx(0.2137, abs=5e-5)
    assert res.ci_high == pytest.approx(0.7547, abs=5e-5)
    assert res.n == 19
    frame = res.to_frame()
    assert list(frame.columns) == ["kappa", "se", "ci_low", "ci_high", "n", "weights", "confidence"]
    assert len(frame) == 1


@FAST
@given(two_raters(), st.sampled_from([None, "linear", "quadratic"]))
def test_cohen_kappa_matches_sklearn(pair: tuple[np.ndarray, np.ndarray], weights: str | None) -> None:
    a, b = pair
    ours = ag.cohen_kappa(a, b, categories=range(5), weights=weights)
    with np.errstate(all="ignore"), quiet():
        theirs = cohen_kappa_score(a, b, labels=list(range(5)), weights=weights)
    if np.isnan(theirs) or np.isinf(theirs):
        assert np.isnan(ours)
    else:
        assert ours == pytest.approx(theirs, abs=1e-10)


@FAST
@given(two_raters(k=4), st.sampled_from([None, "linear", "quadratic"]))
def test_cohen_kappa_se_matches_statsmodels(pair: tuple[np.ndarray, np.ndarray], weights: str | None) -> None:
    a, b = pair
    res = ag.cohen_kappa_ci(a, b, categories=range(4), weights=weights)
    table = np.zeros((4, 4))
    np.add.at(table, (a, b), 1)
    assume(np.isfinite(res.kappa))
    with quiet():
        ref = inter_rater.cohens_kappa(table, wt=weights if weights else None)
    assert res.kappa == pytest.approx(ref.kappa, abs=1e-10)
    if np.isnan(ref.std_kappa):
        # The variance is E[X^2] - E[X]^2 >= 0; statsmodels takes sqrt of a rounding-negative zero.
        assert abs(ref.var_kappa) < 1e-12 and res.se < 1e-6
        return
    assert res.se == pytest.approx(ref.std_kappa, abs=1e-8)
    assert (res.ci_low, res.ci_high) == pytest.approx((ref.kappa_low, ref.kappa_upp), abs=1e-8)


@FAST
@given(two_raters(), st.sampled_from([None, "linear", "quadratic"]))
def test_kappa_symmetry(pair: tuple[np.ndarray, np.ndarray], weights: str | None) -> None:
    a, b = pair
    ab = ag.cohen_kappa(a, b, categories=range(5), weights=weights)
    ba = ag.cohen_kappa(b, a, categories=range(5), weights=weights)
    np.testing.assert_allclose(ab, ba, atol=1e-12)


@FAST
@given(two_raters(k=2))
def test_weighted_equals_unweighted_for_two_categories(pair: tuple[np.ndarray, np.ndarray]) -> None:
    a, b = pair
    plain = ag.cohen_kappa(a, b, categories=[0, 1])
    for weights in ("linear", "quadratic"):
        np.testing.assert_allclose(
            ag.cohen_kappa(a, b, categories=[0, 1], weights=weights), plain, atol=1e-12
        )
        np.testing.assert_allclose(
            ag.cohen_kappa_ci(a, b, categories=[0, 1], weights=weights).se,
            ag.cohen_kappa_ci(a, b, categories=[0, 1]).se,
            atol=1e-12,
        )


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: ag.cohen_kappa([1, 2, 1], [1, 2]), "different lengths"),
        (lambda: ag.cohen_kappa([], []), "empty"),
        (lambda: ag.cohen_kappa([1, 1, 1], [1, 1, 1]), "single category"),
        (lambda: ag.cohen_kappa([1, 2], [1, 2], categories=[1]), "at least two categories"),
        (lambda: ag.cohen_kappa([1, 2], [1, 3], categories=[1, 2]), "outside the declared categories"),
        (lambda: ag.cohen_kappa([1, nan, 2], [1, 2, 2]), "missing labels"),
        (lambda: ag.cohen_kappa([1, 2], [1, 2], weights="cubic"), "weights must be"),
        (lambda: ag.cohen_kappa([1, 2], [1, 2], categories=[1, 2, 2]), "duplicates"),
        (lambda: ag.cohen_kappa_ci([1, 2], [1, 2], confidence=1.5), "confidence"),
    ],
)
def test_bad_input_raises_value_error(call, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()


def test_cohen_kappa_ci_with_clusters_is_the_pairwise_cluster_bootstrap() -> None:
    """Same resamples as pairwise_agreement(clusters=) for the same seed; wider than the asymptotic interval
    when the clusters differ in prevalence; missing labels drop their cluster ids too."""
    import pandas as pd

    from toolkit.agreement import cohen_kappa_ci, pairwise_agreement

    rng = np.random.default_rng(3)
    cluster = np.repeat(np.arange(30), 20)  # 30 clusters whose prevalence varies widely (Beta, ICC 0.4)
    rate = rng.beta(0.45, 1.05, 30)[cluster]
    truth = rng.random(cluster.size) < rate
    a, b = (np.where(rng.random(cluster.size) < 0.4, truth, rng.random(cluster.size) < rate).astype(int) for _ in "ab")
    res = cohen_kappa_ci(a, b, clusters=cluster, n_boot=300, seed=4)
    n = cluster.size
    long = pd.DataFrame({"item": np.tile(np.arange(n), 2), "rater": np.repeat(["a", "b"], n), "label": np.r_[a, b],
                         "cluster": np.tile(cluster, 2)})
    pair = pairwise_agreement(long, item="item", rater="rater", label="label", n_boot=300, seed=4,
                              clusters="cluster").iloc[0]
    assert (res.kappa, res.ci_low, res.ci_high) == pytest.approx((pair["value"], pair["ci_low"], pair["ci_high"]))
    wald = cohen_kappa_ci(a, b)
    assert res.ci_high - res.ci_low > 1.3 * (wald.ci_high - wald.ci_low)
    assert res.se > wald.se and res.n == n
    a_missing = a.astype(float)
    a_missing[:20] = np.nan  # the first cluster's items lose rater a
    omitted = cohen_kappa_ci(a_missing, b, clusters=cluster, n_boot=50, nan_policy="omit")
    assert omitted.n == n - 20 and np.isfinite(omitted.ci_low)
    with pytest.raises(ValueError, match="one id per item"):
        cohen_kappa_ci(a, b, clusters=cluster[:-1], n_boot=10)
