"""Tests of toolkit.metrics.classification: scikit-learn oracles, undefined metrics, the cluster bootstrap
against a naive loop, per-judge tables against the array functions, and bad input."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from toolkit import agreement as ag
from toolkit import metrics as me
from toolkit.resampling import item_weights

FAST = settings(max_examples=40, deadline=None)
COLUMNS = ["metric", "value", "ci_low", "ci_high", "n_items"]


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@st.composite
def binary_pair(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(1, 80))
    ref = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    pred = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    return np.array(ref), np.array(pred)


@FAST
@given(binary_pair())
def test_binary_metrics_match_sklearn_where_defined(pair: tuple[np.ndarray, np.ndarray]) -> None:
    ref, pred = pair
    out = me.binary_metrics(ref, pred, n_boot=0).set_index("metric")
    assert list(out.reset_index().columns) == COLUMNS
    assert list(out.index) == list(me.CLASSIFICATION_METRICS)
    assert (out["n_items"] == len(ref)).all()
    assert out.loc["accuracy", "value"] == pytest.approx(skm.accuracy_score(ref, pred))
    assert out.loc["positive_rate", "value"] == pytest.approx(pred.mean())
    assert out.loc["reference_rate", "value"] == pytest.approx(ref.mean())
    with quiet():
        sk = {
            "precision": skm.precision_score(ref, pred, zero_division=np.nan),
            "recall": skm.recall_score(ref, pred, zero_division=np.nan),
            "f1": skm.f1_score(ref, pred, zero_division=np.nan),
        }
    for name, value in sk.items():
        np.testing.assert_allclose(out.loc[name, "value"], value, atol=1e-12, err_msg=name)
    np.testing.assert_allclose(me.precision(ref, pred), sk["precision"], atol=1e-12)
    np.testing.assert_allclose(me.recall(ref, pred), sk["recall"], atol=1e-12)
    np.testing.assert_allclose(me.f1_score(ref, pred), sk["f1"], atol=1e-12)
    assert me.accuracy(ref, pred) == pytest.approx(skm.accuracy_score(ref, pred))


def test_undefined_metrics_are_nan_not_zero() -> None:
    ref = np.array([True, False, False])
    none_predicted = np.array([False, False, False])
    assert np.isnan(me.precision(ref, none_predicted))  # no predicted positive
    assert me.recall(ref, none_predicted) == 0.0  # defined: one positive, missed
    assert me.f1_score(ref, none_predicted) == 0.0
    no_reference_positive = np.array([False, False, False])
    assert np.isnan(me.recall(no_reference_positive, np.array([True, False, False])))
    assert np.isnan(me.f1_score(no_reference_positive, no_reference_positive))


def test_string_labels_and_positive() -> None:
    ref = np.array(["yes", "no", "yes", "no"])
    pred = np.array(["yes", "yes", "no", "no"])
    assert me.precision(ref, pred, positive="yes") == pytest.approx(0.5)
    assert me.positive_rate(pred, positive="yes") == pytest.approx(0.5)
    with pytest.raises(ValueError, match="not one of the labels"):
        me.precision(ref, pred, positive=True)


def test_binary_bootstrap_is_seeded_and_matches_naive_cluster_resampling() -> None:
    rng = np.random.default_rng(5)
    ref = rng.random(60) < 0.3
    pred = np.where(rng.random(60) < 0.75, ref, ~ref)
    clusters = np.repeat(np.arange(15), 4)  # e.g. 4 attribute items per prompt
    n_boot, seed = 200, 3
    out = me.binary_metrics(ref, pred, clusters=clusters, n_boot=n_boot, seed=seed, ci=0.9)
    pd.testing.assert_frame_equal(
        out, me.binary_metrics(ref, pred, clusters=clusters, n_boot=n_boot, seed=seed, ci=0.9)
    )
    assert not out.equals(me.binary_metrics(ref, pred, clusters=clusters, n_boot=n_boot, seed=4, ci=0.9))
    draws = np.random.default_rng(seed).integers(0, 15, size=(n_boot, 15))
    naive = {m: [] for m in me.CLASSIFICATION_METRICS}
    for b in range(n_boot):
        rows = np.concatenate([np.flatnonzero(clusters == c) for c in draws[b]])
        r, p = ref[rows], pred[rows]
        tp, fp, fn = np.sum(r & p), np.sum(~r & p), np.sum(r & ~p)
        naive["accuracy"].append(np.mean(r == p))
        naive["precision"].append(tp / (tp + fp) if tp + fp else np.nan)
        naive["recall"].append(tp / (tp + fn) if tp + fn else np.nan)
        naive["f1"].append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else np.nan)
        naive["positive_rate"].append(p.mean())
        naive["reference_rate"].append(r.mean())
    for row in out.itertuples():
        lo, hi = np.nanquantile(naive[row.metric], [0.05, 0.95])
        assert row.ci_low == pytest.approx(lo, abs=1e-12), row.metric
        assert row.ci_high == pytest.approx(hi, abs=1e-12), row.metric
        assert row.ci_low <= row.value <= row.ci_high
    assert me.binary_metrics(ref, pred, n_boot=0)[["ci_low", "ci_high"]].isna().all().all()


def stage2(seed: int = 0, n_items: int = 150) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    truth = rng.random(n_items) < 0.2
    rows = []
    for i in range(n_items):
        for rid, flip in {"h1": 0.1, "h2": 0.1, "h3": 0.15, "claude": 0.3, "gpt": 0.35}.items():
            if rid == "h2" and i % 11 == 0:
                continue  # missing human judgment -> some 1-1 ties in the majority
            rows.append((f"p{i // 10}", f"a{i % 10}", rid, bool(truth[i] ^ (rng.random() < flip))))
    return pd.DataFrame(rows, columns=["prompt_id", "attribute_id", "rater_id", "relevant"])


KEY = ["prompt_id", "attribute_id"]


def test_judge_metrics_equal_binary_metrics_per_judge() -> None:
    frame = stage2()
    humans = frame[frame.rater_id.str.startswith("h")]
    judges = frame[~frame.rater_id.str.startswith("h")]
    majority = ag.majority_vote(humans, item=KEY, rater="rater_id", label="relevant")
    assert majority["tie"].any()
    out = me.judge_metrics(judges, majority, item=KEY, rater="rater_id", label="relevant", n_boot=150, seed=9)
    assert list(out.columns) == ["rater", *COLUMNS]
    assert out["rater"].unique().tolist() == ["claude", "gpt"]
    usable = majority[~majority["tie"]]
    for rid in ("claude", "gpt"):
        merged = judges[judges.rater_id == rid].merge(usable, on=KEY).sort_values(KEY)
        ref = merged["label"].astype(bool).to_numpy()
        pred = merged["relevant"].to_numpy()
        # Same item-cluster draws: clusters are the items, in the same (sorted) order as judge_metrics uses.
        expected = me.binary_metrics(
            ref, pred, clusters=merged["prompt_id"] + "/" + merged["attribute_id"], n_boot=150, seed=9
        )
        got = out[out.rater == rid].drop(columns="rater").reset_index(drop=True)
        pd.testing.assert_frame_equal(got, expected)
        assert (got["n_items"] == len(usable)).all()


def test_judge_metrics_accepts_series_reference_and_rejects_bad_input() -> None:
    frame = stage2(n_items=40)
    humans = frame[frame.rater_id.str.startswith("h")]
    majority = ag.majority_vote(humans, item=KEY, rater="rater_id", label="relevant")
    series = majority.set_index(KEY)["label"]
    judges = frame[frame.rater_id == "gpt"]
    a = me.judge_metrics(judges, series, item=KEY, rater="rater_id", label="relevant", n_boot=0)
    b = me.judge_metrics(judges, majority, item=KEY, rater="rater_id", label="relevant", n_boot=0)
    pd.testing.assert_frame_equal(a, b)
    with pytest.raises(ValueError, match="no column"):
        me.judge_metrics(judges, majority.drop(columns="label"), item=KEY, rater="rater_id", label="relevant")
    with pytest.raises(ValueError, match="duplicated items"):
        me.judge_metrics(
            judges, pd.concat([majority, majority]), item=KEY, rater="rater_id", label="relevant"
        )
    with pytest.raises(ValueError, match="binary"):
        me.judge_metrics(
            judges.assign(relevant=np.arange(len(judges)) % 3),
            majority,
            item=KEY,
            rater="rater_id",
            label="relevant",
        )


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: me.binary_metrics([True, False], [True]), "different lengths"),
        (lambda: me.binary_metrics([], []), "empty"),
        (lambda: me.binary_metrics([1, 2, 3], [1, 2, 3], positive=1), "binary"),
        (lambda: me.binary_metrics(np.array([True, None]), np.array([True, False])), "missing"),
        (lambda: me.binary_metrics([True, False], [True, False], n_boot=-5), "n_boot"),
        (lambda: me.binary_metrics([True, False], [True, False], clusters=[1]), "one id per row"),
        (lambda: me.accuracy([1, 2], [1, 2, 3]), "equal length"),
        (lambda: me.positive_rate([]), "non-empty"),
    ],
)
def test_classification_bad_input(call, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()


# --------------------------------------------------------------------------------------------------
# Design-aware intervals (clusters=)
# --------------------------------------------------------------------------------------------------


def test_binary_metrics_without_or_with_one_level_clusters_keep_their_intervals_bit_for_bit() -> None:
    """Intervals computed by the toolkit before two-level ``clusters`` existed (same data, same seeds)."""
    rng = np.random.default_rng(12)
    x, y, cl = rng.random(60) < 0.4, rng.random(60) < 0.5, rng.integers(0, 12, 60)
    out = me.binary_metrics(x, y, n_boot=300, seed=5)
    assert out["ci_low"].tolist()[:3] == [0.37458333333333343, 0.20689655172413793, 0.2543981481481482]
    assert out["ci_high"].tolist()[:3] == [0.6254166666666663, 0.550139043381535, 0.6497442455242965]
    one = me.binary_metrics(x, y, clusters=cl, n_boot=300, seed=5)
    assert one["ci_low"].tolist()[:3] == [0.34140625, 0.1502828054298643, 0.28970588235294126]
    assert one["ci_high"].tolist()[:3] == [0.6418241178105029, 0.5842657342657339, 0.5909090909090909]
    assert list(one.columns) == ["metric", "value", "ci_low", "ci_high", "n_items"]
    one_tuple = me.binary_metrics(x, y, clusters=(cl,), n_boot=300, seed=5)
    pd.testing.assert_frame_equal(one_tuple, one, check_exact=True)


def test_binary_metrics_crossed_clusters_equal_item_weighted_counts() -> None:
    rng = np.random.default_rng(3)
    users, prompts = np.repeat(np.arange(10), 6), np.tile(np.arange(6), 10)
    ref = rng.random(60) < 0.4
    pred = np.where(rng.random(60) < 0.7, ref, ~ref)
    out = me.binary_metrics(ref, pred, clusters=(users, prompts), n_boot=300, seed=1)
    w = item_weights((users, prompts), 60, 300, seed=1)
    acc = (w @ (ref == pred)) / w.sum(axis=1)
    rate = (w @ pred) / w.sum(axis=1)
    for metric, boot in (("accuracy", acc), ("positive_rate", rate)):
        row = out.set_index("metric").loc[metric]
        np.testing.assert_allclose([row.ci_low, row.ci_high], np.quantile(boot, [0.025, 0.975]), atol=1e-12)
    with pytest.raises(ValueError, match="one id per row"):
        me.binary_metrics(ref, pred, clusters=(users, prompts[:30]), n_boot=10)


def test_judge_metrics_clusters() -> None:
    frame = stage2(seed=4)
    humans = frame.rater_id.str.startswith("h")
    reference = ag.majority_vote(frame[humans], item=KEY, rater="rater_id", label="relevant")
    judges = frame[~humans].assign(user_id=lambda d: "u" + (d.prompt_id.str[1:].astype(int) % 5).astype(str))
    kw = dict(item=KEY, rater="rater_id", label="relevant", n_boot=300, seed=2)
    plain = me.judge_metrics(judges, reference, **kw)
    # Each item its own cluster is the item bootstrap, to the bit ...
    units = judges.assign(unit=judges.prompt_id + "/" + judges.attribute_id)
    same = me.judge_metrics(units, reference, clusters="unit", **kw)
    pd.testing.assert_frame_equal(same, plain, check_exact=True)
    # ... whereas resampling prompts (10 items each) or users x attributes changes the intervals.
    by_prompt = me.judge_metrics(judges, reference, clusters="prompt_id", **kw)
    crossed = me.judge_metrics(judges, reference, clusters=("user_id", "attribute_id"), **kw)
    pd.testing.assert_frame_equal(by_prompt[["rater", "metric", "value"]], plain[["rater", "metric", "value"]])
    assert not by_prompt["ci_low"].equals(plain["ci_low"]) and not crossed["ci_low"].equals(by_prompt["ci_low"])
    bad = judges.copy()
    bad.loc[bad.index[0], "user_id"] = "other"
    with pytest.raises(ValueError, match="has more than one cluster id"):
        me.judge_metrics(bad, reference, clusters="user_id", **kw)
