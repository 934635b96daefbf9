"""Tests of toolkit.agreement: published worked examples (tests/reference/), independent implementations
(scikit-learn, statsmodels, the krippendorff package, scipy) on generated data, properties, the bootstrap
against a naive loop, and bad input."""

from __future__ import annotations

import contextlib
import itertools
import warnings
from collections.abc import Iterator

import krippendorff
import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats import inter_rater

from toolkit import agreement as ag

FAST = settings(max_examples=40, deadline=None)
nan = np.nan


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence the oracles' own warnings (e.g. division by zero inside scikit-learn / statsmodels)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


# --------------------------------------------------------------------------------------------------
# Worked examples (see tests/reference/*.md for source, table, published value and tolerance)
# --------------------------------------------------------------------------------------------------

KRIPP_2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
        [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
    ]
)

FLEISS_1971 = np.array(
    [
        [0, 0, 0, 6, 0], [0, 3, 0, 0, 3], [0, 1, 4, 0, 1], [0, 0, 0, 0, 6], [0, 3, 0, 3, 0],
        [2, 0, 4, 0, 0], [0, 0, 4, 0, 2], [2, 0, 3, 1, 0], [2, 0, 0, 4, 0], [0, 0, 0, 0, 6],
        [1, 0, 0, 5, 0], [1, 1, 0, 4, 0], [0, 3, 3, 0, 0], [1, 0, 0, 5, 0], [0, 2, 0, 3, 1],
        [0, 0, 5, 0, 1], [3, 0, 0, 1, 2], [5, 1, 0, 0, 0], [0, 2, 0, 4, 0], [1, 0, 2, 0, 3],
        [0, 0, 0, 0, 6], [0, 1, 0, 5, 0], [0, 2, 0, 1, 3], [2, 0, 0, 4, 0], [1, 0, 0, 4, 1],
        [0, 5, 0, 1, 0], [4, 0, 0, 0, 2], [0, 2, 0, 4, 0], [1, 0, 5, 0, 0], [0, 0, 0, 0, 6],
    ]
)  # fmt: skip

COHEN_3X3 = np.array([[0, 4, 1], [0, 8, 0], [0, 1, 5]])
ABSTRACTORS = np.array([[13, 0, 0], [0, 20, 7], [0, 4, 56]])
OBSERVERS5 = np.array(
    [
        [1, 1, 2, nan, 0, 0, 1, 1, 2, 2, nan, 0, 1, 3, 1],
        [1, 1, 3, 0, 0, 0, 0, nan, 2, 1, 1, 0, 2, 3, 1],
        [2, 0, 3, 0, 0, 0, 2, 2, 2, 1, 0, 0, 2, 2, 1],
        [nan, 1, 3, nan, nan, nan, nan, 0, nan, 1, 0, 0, 2, 2, nan],
        [2, nan, nan, 0, 0, 0, 1, nan, 2, nan, nan, nan, nan, 3, 1],
    ]
).T  # items x raters


def expand_table(table: np.ndarray, labels: list | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Two label arrays whose cross-tabulation is ``table`` (rows = rater a)."""
    labels = list(range(1, table.shape[0] + 1)) if labels is None else labels
    a, b = [], []
    for i, j in itertools.product(range(table.shape[0]), range(table.shape[1])):
        a += [labels[i]] * int(table[i, j])
        b += [labels[j]] * int(table[i, j])
    return np.array(a), np.array(b)


def wide_to_long(wide: np.ndarray, raters: list | None = None) -> pd.DataFrame:
    """items x raters (NaN = missing) -> long frame with columns item, rater, label."""
    raters = [f"r{j}" for j in range(wide.shape[1])] if raters is None else raters
    rows = [
        (i, raters[j], wide[i, j])
        for i in range(wide.shape[0])
        for j in range(wide.shape[1])
        if not pd.isna(wide[i, j])
    ]
    return pd.DataFrame(rows, columns=["item", "rater", "label"])


@pytest.mark.parametrize(
    ("level", "published"), [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)]
)
def test_krippendorff_2011_worked_example(level: str, published: float) -> None:
    assert ag.krippendorff_alpha(KRIPP_2011, level=level) == pytest.approx(published, abs=5e-4)
    assert ag.krippendorff_alpha(pd.DataFrame(KRIPP_2011), level=level) == pytest.approx(published, abs=5e-4)
    long = wide_to_long(KRIPP_2011.T)
    via_long = ag.krippendorff_alpha(long, item="item", rater="rater", label="label", level=level)
    assert via_long == pytest.approx(published, abs=5e-4)


def test_fleiss_1971_worked_example() -> None:
    assert ag.fleiss_kappa(FLEISS_1971, kind="counts") == pytest.approx(0.4302445, abs=1e-7)
    # The same data as a 30 x 6 raters matrix (raters are exchangeable in Fleiss' design).
    wide = np.array([np.repeat(np.arange(5), row) for row in FLEISS_1971])
    assert wide.shape == (30, 6)
    assert ag.fleiss_kappa(wide) == pytest.approx(0.4302445, abs=1e-7)


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


# --------------------------------------------------------------------------------------------------
# Independent implementations on generated data
# --------------------------------------------------------------------------------------------------

labels_5 = st.lists(st.integers(0, 4), min_size=2, max_size=60)


@st.composite
def two_raters(draw: st.DrawFn, k: int = 5) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(2, 60))
    a = draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n))
    b = draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n))
    return np.array(a), np.array(b)


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


@st.composite
def complete_ratings(draw: st.DrawFn) -> np.ndarray:
    n_items = draw(st.integers(2, 25))
    n_raters = draw(st.integers(2, 6))
    cells = draw(st.lists(st.integers(0, 3), min_size=n_items * n_raters, max_size=n_items * n_raters))
    return np.array(cells).reshape(n_items, n_raters)


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


@st.composite
def reliability_data(draw: st.DrawFn) -> np.ndarray:
    """raters x units, values 1..5 or NaN, every unit with at least one value."""
    n_raters = draw(st.integers(2, 5))
    n_units = draw(st.integers(2, 20))
    cells = draw(
        st.lists(
            st.one_of(st.integers(1, 5).map(float), st.just(nan)),
            min_size=n_raters * n_units,
            max_size=n_raters * n_units,
        )
    )
    data = np.array(cells).reshape(n_raters, n_units)
    data = data[:, ~np.all(np.isnan(data), axis=0)]
    assume(data.shape[1] >= 1)
    return data


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


@st.composite
def long_judgments(draw: st.DrawFn, k: int = 4) -> pd.DataFrame:
    """Long frame: up to 5 raters, up to 30 items, each item rated by a random subset of raters."""
    n_raters = draw(st.integers(2, 5))
    n_items = draw(st.integers(3, 30))
    rows = []
    for i in range(n_items):
        mask = draw(st.lists(st.booleans(), min_size=n_raters, max_size=n_raters))
        for r in range(n_raters):
            if mask[r]:
                rows.append((i, f"rater{r}", draw(st.integers(1, k))))
    frame = pd.DataFrame(rows, columns=["item", "rater", "label"])
    assume(frame["rater"].nunique() >= 2 and frame["label"].nunique() >= 2)
    return frame


def shared(frame: pd.DataFrame, a: str, b: str) -> tuple[np.ndarray, np.ndarray]:
    wide = frame.pivot(index="item", columns="rater", values="label")[[a, b]].dropna()
    return wide[a].to_numpy(int), wide[b].to_numpy(int)


@settings(max_examples=20, deadline=None)  # each example runs 8 metrics and 4 oracles per pair
@given(long_judgments())
def test_pairwise_values_equal_two_rater_functions(frame: pd.DataFrame) -> None:
    cats = [1, 2, 3, 4]
    results = {
        m: ag.pairwise_agreement(
            frame,
            item="item",
            rater="rater",
            label="label",
            metric=m,
            categories=cats,
            level="ordinal" if m == "krippendorff_alpha" else None,
        )
        for m in ag.PAIRWISE_METRICS
    }
    quad = ag.pairwise_agreement(
        frame, item="item", rater="rater", label="label", categories=cats, weights="quadratic"
    )
    for idx, row in results["cohen_kappa"].iterrows():
        a, b = shared(frame, row.rater_a, row.rater_b)
        assert row.n_items == len(a)
        get = {m: results[m]["value"].iloc[idx] for m in results}
        if len(a) == 0:
            assert all(np.isnan(v) for v in get.values())
            continue
        with quiet():
            kappa = cohen_kappa_score(a, b, labels=cats)
            kappa_q = cohen_kappa_score(a, b, labels=cats, weights="quadratic")
        np.testing.assert_allclose(get["cohen_kappa"], kappa if np.isfinite(kappa) else nan, atol=1e-10)
        np.testing.assert_allclose(
            quad["value"].iloc[idx], kappa_q if np.isfinite(kappa_q) else nan, atol=1e-10
        )
        assert get["percent_agreement"] == pytest.approx(np.mean(a == b))
        np.testing.assert_allclose(get["gwet_ac1"], ag.gwet_ac1(np.c_[a, b], categories=cats), atol=1e-10)
        if len(a) >= 2 and a.std() > 0 and b.std() > 0:
            assert get["spearman"] == pytest.approx(stats.spearmanr(a, b).statistic, abs=1e-10)
            assert get["pearson"] == pytest.approx(np.corrcoef(a, b)[0, 1], abs=1e-10)
        else:
            assert np.isnan(get["spearman"]) and np.isnan(get["pearson"])
        if len(np.unique(np.r_[a, b])) >= 2:
            with quiet():
                alpha = krippendorff.alpha(
                    reliability_data=np.vstack([a, b]).astype(float), level_of_measurement="ordinal"
                )
            np.testing.assert_allclose(get["krippendorff_alpha"], alpha, atol=1e-10)


# --------------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------------


@FAST
@given(two_raters(), st.sampled_from([None, "linear", "quadratic"]))
def test_kappa_symmetry(pair: tuple[np.ndarray, np.ndarray], weights: str | None) -> None:
    a, b = pair
    ab = ag.cohen_kappa(a, b, categories=range(5), weights=weights)
    ba = ag.cohen_kappa(b, a, categories=range(5), weights=weights)
    np.testing.assert_allclose(ab, ba, atol=1e-12)


@FAST
@given(two_raters(), st.randoms(use_true_random=False))
def test_invariance_to_item_order_and_nominal_relabelling(pair: tuple[np.ndarray, np.ndarray], rnd) -> None:
    a, b = pair
    assume(len(np.unique(np.r_[a, b])) >= 2)
    perm = np.array(rnd.sample(range(len(a)), len(a)))
    names = ["zeta", "alpha", "mu", "beta", "omega"]
    rnd.shuffle(names)
    ra, rb = np.array(names)[a], np.array(names)[b]  # relabel categories with unrelated strings
    wide, wide_r = np.c_[a, b].astype(float), np.c_[ra, rb].astype(object)
    for fn in (ag.cohen_kappa,):
        np.testing.assert_allclose(fn(a[perm], b[perm]), fn(a, b), atol=1e-12)
        np.testing.assert_allclose(fn(ra, rb), fn(a, b), atol=1e-12)
    for fn in (ag.fleiss_kappa, ag.gwet_ac1, ag.percent_agreement):
        np.testing.assert_allclose(fn(wide[perm]), fn(wide), atol=1e-12)
        np.testing.assert_allclose(fn(wide_r), fn(wide), atol=1e-12)
    alpha = ag.krippendorff_alpha(wide.T, level="nominal")
    np.testing.assert_allclose(ag.krippendorff_alpha(wide[perm].T, level="nominal"), alpha, atol=1e-12)
    np.testing.assert_allclose(ag.krippendorff_alpha(wide_r.T, level="nominal"), alpha, atol=1e-12)


@FAST
@given(long_judgments(), st.randoms(use_true_random=False))
def test_pairwise_invariant_to_row_order(frame: pd.DataFrame, rnd) -> None:
    shuffled = frame.iloc[rnd.sample(range(len(frame)), len(frame))]
    kw = dict(item="item", rater="rater", label="label")
    pd.testing.assert_frame_equal(ag.pairwise_agreement(frame, **kw), ag.pairwise_agreement(shuffled, **kw))


@FAST
@given(st.lists(st.integers(0, 4), min_size=2, max_size=40), st.sampled_from([None, "linear", "quadratic"]))
def test_kappa_is_one_for_identical_raters(a: list[int], weights: str | None) -> None:
    assume(len(set(a)) >= 2)
    assert ag.cohen_kappa(a, a, weights=weights) == pytest.approx(1.0)
    res = ag.cohen_kappa_ci(a, a, weights=weights)
    assert res.kappa == pytest.approx(1.0) and res.se == pytest.approx(0.0, abs=1e-7)
    wide = np.c_[a, a, a]
    assert ag.fleiss_kappa(wide) == pytest.approx(1.0)
    assert ag.gwet_ac1(wide) == pytest.approx(1.0)
    for level in ag.LEVELS:
        assert ag.krippendorff_alpha(wide.T, level=level) == pytest.approx(1.0)


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


# --------------------------------------------------------------------------------------------------
# Long format, majority vote, matrices and groups
# --------------------------------------------------------------------------------------------------


def stage2_frame(seed: int = 0, n_items: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    truth = rng.random(n_items) < 0.2
    rows = []
    raters = {"h1": 0.1, "h2": 0.15, "h3": 0.2, "claude": 0.25, "gpt": 0.3, "qwen": 0.35}
    for i in range(n_items):
        for rid, flip in raters.items():
            if rid == "h3" and i % 17 == 0:
                continue  # a missing human judgment
            rows.append(("u", f"p{i // 10}", f"a{i % 10}", rid, bool(truth[i] ^ (rng.random() < flip))))
    return pd.DataFrame(rows, columns=["user_id", "prompt_id", "attribute_id", "rater_id", "relevant"])


KEY = ["prompt_id", "attribute_id"]
GROUPS = {"human": ["h1", "h2", "h3"], "llm": ["claude", "gpt", "qwen"]}


def test_composite_item_key_equals_single_key() -> None:
    frame = stage2_frame()
    single = frame.assign(item_id=frame.prompt_id + "/" + frame.attribute_id)
    a = ag.pairwise_agreement(frame, item=KEY, rater="rater_id", label="relevant")
    b = ag.pairwise_agreement(single, item="item_id", rater="rater_id", label="relevant")
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns) == ["rater_a", "rater_b", "metric", "n_items", "value", "ci_low", "ci_high"]
    assert len(a) == 15 and a["ci_low"].isna().all()


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


def test_pairwise_matrix_is_symmetric_with_unit_diagonal() -> None:
    frame = stage2_frame()
    order = ["h1", "h2", "h3", "claude", "gpt", "qwen"]
    mat = ag.pairwise_matrix(frame, item=KEY, rater="rater_id", label="relevant", order=order)
    assert list(mat.index) == order and list(mat.columns) == order
    np.testing.assert_allclose(mat.to_numpy(), mat.to_numpy().T)
    np.testing.assert_allclose(np.diag(mat.to_numpy()), 1.0)
    table = ag.pairwise_agreement(frame, item=KEY, rater="rater_id", label="relevant")
    pd.testing.assert_frame_equal(ag.pairwise_matrix(table, order=order), mat)
    for row in table.itertuples():
        assert mat.loc[row.rater_a, row.rater_b] == row.value
    counts = ag.pairwise_matrix(table, order=order, value="n_items", diagonal=nan)
    assert counts.loc["h1", "h3"] == 120 - len(range(0, 120, 17))


def test_group_agreement_means_and_deterministic_bootstrap() -> None:
    frame = stage2_frame()
    kw = dict(item=KEY, rater="rater_id", label="relevant", groups=GROUPS, n_boot=300)
    out = ag.group_agreement(frame, seed=7, **kw)
    assert list(out.columns) == ["group_a", "group_b", "metric", "n_pairs", "mean", "ci_low", "ci_high"]
    assert list(zip(out.group_a, out.group_b, strict=True)) == [
        ("human", "human"),
        ("llm", "llm"),
        ("human", "llm"),
    ]
    assert out["n_pairs"].tolist() == [3, 3, 9]
    table = ag.pairwise_agreement(frame, item=KEY, rater="rater_id", label="relevant")
    human = table.rater_a.isin(GROUPS["human"]) & table.rater_b.isin(GROUPS["human"])
    llm = table.rater_a.isin(GROUPS["llm"]) & table.rater_b.isin(GROUPS["llm"])
    assert out["mean"].iloc[0] == pytest.approx(table.loc[human, "value"].mean())
    assert out["mean"].iloc[1] == pytest.approx(table.loc[llm, "value"].mean())
    assert out["mean"].iloc[2] == pytest.approx(table.loc[~human & ~llm, "value"].mean())
    assert (out.ci_low < out["mean"]).all() and (out["mean"] < out.ci_high).all()
    pd.testing.assert_frame_equal(out, ag.group_agreement(frame, seed=7, **kw))
    rng_out = ag.group_agreement(frame, seed=np.random.default_rng(7), **kw)
    pd.testing.assert_frame_equal(out, rng_out)
    assert not np.allclose(out.ci_low, ag.group_agreement(frame, seed=8, **kw).ci_low)
    assert ag.group_agreement(frame, **{**kw, "n_boot": 0})[["ci_low", "ci_high"]].isna().all().all()


def test_pairwise_bootstrap_equals_naive_item_resampling() -> None:
    """The vectorised bootstrap (multiplicities x sparse incidence) against an explicit loop that rebuilds
    each resampled data set and calls cohen_kappa on it, with the same item draws."""
    frame = stage2_frame(seed=3, n_items=30)
    n_boot, seed = 15, 11
    out = ag.pairwise_agreement(
        frame, item=KEY, rater="rater_id", label="relevant", n_boot=n_boot, seed=seed, ci=0.8
    )
    items = frame[KEY].drop_duplicates().sort_values(KEY).reset_index(drop=True)
    draws = np.random.default_rng(seed).integers(0, len(items), size=(n_boot, len(items)))
    wide = frame.pivot_table(index=KEY, columns="rater_id", values="relevant", aggfunc="first")
    wide = wide.reindex(pd.MultiIndex.from_frame(items))
    for row in out.itertuples():
        vals = []
        for b in range(n_boot):
            sample = wide.iloc[draws[b]][[row.rater_a, row.rater_b]].dropna()
            vals.append(
                ag.cohen_kappa(
                    sample.iloc[:, 0].astype(bool), sample.iloc[:, 1].astype(bool), categories=[False, True]
                )
            )
        lo, hi = np.nanquantile(vals, [0.1, 0.9])
        assert row.ci_low == pytest.approx(lo, abs=1e-12)
        assert row.ci_high == pytest.approx(hi, abs=1e-12)


def test_pair_without_shared_items_is_nan() -> None:
    frame = pd.DataFrame(
        {"item": [1, 1, 2, 2, 3, 3], "rater": ["a", "b", "a", "b", "c", "a"], "label": [0, 1, 1, 1, 0, 0]}
    )
    out = ag.pairwise_agreement(frame, item="item", rater="rater", label="label")
    bc = out[(out.rater_a == "b") & (out.rater_b == "c")]
    assert bc["n_items"].item() == 0 and np.isnan(bc["value"].item())


# --------------------------------------------------------------------------------------------------
# Undefined statistics -> NaN; bad input -> ValueError
# --------------------------------------------------------------------------------------------------


def test_zero_chance_disagreement_gives_nan() -> None:
    ones = [1, 1, 1, 1]
    assert np.isnan(ag.cohen_kappa(ones, ones, categories=[0, 1]))
    res = ag.cohen_kappa_ci(ones, ones, categories=[0, 1])
    assert all(np.isnan(v) for v in (res.kappa, res.se, res.ci_low, res.ci_high)) and res.n == 4
    assert np.isnan(ag.fleiss_kappa(np.ones((4, 3)), categories=[0, 1]))
    # Pairable values all identical (the unpairable 2 does not count): no expected disagreement.
    assert np.isnan(ag.krippendorff_alpha(np.array([[1.0, 1, 2], [1, 1, nan]]), level="nominal"))


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
        (lambda: ag.krippendorff_alpha(KRIPP_2011, level="cardinal"), "unknown level"),
        (lambda: ag.krippendorff_alpha(np.array([[1.0, nan], [2, nan]]), level="nominal"), "all missing"),
        (lambda: ag.krippendorff_alpha(np.array([[1.0, nan], [nan, 2]]), level="nominal"), "pairable"),
        (lambda: ag.krippendorff_alpha(np.array([[1.0, 1], [1, 1]]), level="nominal"), "single category"),
        (lambda: ag.krippendorff_alpha(np.array([[-1.0, 1], [1, 2]]), level="ratio"), "non-negative"),
        (lambda: ag.krippendorff_alpha(np.array([["a", "b"], ["a", "a"]]), level="interval"), "numeric"),
        (lambda: ag.krippendorff_alpha(np.ones(3), level="nominal"), "2-D"),
        (lambda: ag.fleiss_kappa(np.array([[1, 2], [nan, nan]])), "all missing"),
        (lambda: ag.fleiss_kappa(np.array([[1, nan], [nan, 2]])), "two or more ratings"),
        (lambda: ag.fleiss_kappa(np.array([[1, 2], [3, 0]]), kind="table"), "kind must be"),
        (lambda: ag.fleiss_kappa(np.array([[-1, 2], [3, 0]]), kind="counts"), "non-negative"),
        (lambda: ag.fleiss_kappa(np.array([[3], [3]]), kind="counts"), "single category"),
        (lambda: ag.gwet_ac1(np.array([[1, 1], [1, 1]])), "single category"),
        (lambda: ag.majority_vote(np.array([[1, 2], [nan, nan]])), "all missing"),
        (lambda: ag.majority_vote(np.array([[1, 2]]), ties="coin"), "ties must be"),
    ],
)
def test_bad_input_raises_value_error(call, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()


def test_level_is_required() -> None:
    with pytest.raises(TypeError, match="level"):
        ag.krippendorff_alpha(KRIPP_2011)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(metric="fleiss"), "unknown metric"),
        (dict(metric="gwet_ac1", weights="linear"), "weights only apply"),
        (dict(metric="krippendorff_alpha"), "needs level"),
        (dict(level="nominal"), "level only applies"),
        (dict(raters=["h1", "nobody"]), "not found"),
        (dict(n_boot=-1), "n_boot"),
        (dict(ci=95), "ci must be"),
    ],
)
def test_pairwise_bad_arguments(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ag.pairwise_agreement(
            stage2_frame(n_items=20), item=KEY, rater="rater_id", label="relevant", **kwargs
        )


def test_long_format_bad_frames() -> None:
    frame = stage2_frame(n_items=20)
    kw = dict(item=KEY, rater="rater_id", label="relevant")
    with pytest.raises(ValueError, match="no column"):
        ag.pairwise_agreement(frame, item="item_id", rater="rater_id", label="relevant")
    with pytest.raises(ValueError, match="duplicated"):
        ag.pairwise_agreement(pd.concat([frame, frame.iloc[:1]]), **kw)
    with pytest.raises(ValueError, match="missing values"):
        ag.pairwise_agreement(
            frame.assign(relevant=frame.relevant.astype(object).where(frame.index > 0)), **kw
        )
    with pytest.raises(ValueError, match="pearson"):
        ag.pairwise_agreement(
            frame.assign(relevant=frame.relevant.map({True: "y", False: "n"})), metric="pearson", **kw
        )
    with pytest.raises(ValueError, match="both groups"):
        ag.group_agreement(frame, groups={"a": ["h1", "h2"], "b": ["h2", "gpt"]}, n_boot=0, **kw)
    with pytest.raises(ValueError, match="not found"):
        ag.group_agreement(frame, groups={"a": ["h1", "h2"], "b": ["gemini"]}, n_boot=0, **kw)
    with pytest.raises(ValueError, match="long-format input needs all"):
        ag.fleiss_kappa(frame, item=KEY, rater="rater_id")
