"""Tests of toolkit.metrics.correlations: scipy oracles for the value, p-value and Fisher-z interval, undefined
correlations, item means and per-judge correlations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats

from toolkit import metrics as me

FAST = settings(max_examples=40, deadline=None)
COLUMNS = ["metric", "value", "ci_low", "ci_high", "n_items"]


@FAST
@given(
    st.lists(st.tuples(st.integers(1, 5), st.floats(-10, 10, allow_nan=False)), min_size=5, max_size=60),
    st.sampled_from(me.CORRELATION_METHODS),
)
def test_correlation_matches_scipy(pairs: list[tuple[int, float]], method: str) -> None:
    x = np.array([p[0] for p in pairs], dtype=float)
    y = np.array([p[1] for p in pairs])
    assume(np.ptp(x) > 0 and np.ptp(y) > 0)
    out = me.correlation(x, y, method=method)
    assert list(out.columns) == [*COLUMNS, "p_value"]
    ref = {"spearman": stats.spearmanr, "pearson": stats.pearsonr, "kendall": stats.kendalltau}[method](x, y)
    row = out.iloc[0]
    assert row["value"] == pytest.approx(ref.statistic, abs=1e-9)
    assert row["p_value"] == pytest.approx(ref.pvalue, rel=1e-6, abs=1e-12)
    if abs(row["value"]) < 1:
        half = stats.norm.ppf(0.975) / np.sqrt(len(x) - 3)
        z = np.arctanh(row["value"])
        assert (row["ci_low"], row["ci_high"]) == pytest.approx(
            (np.tanh(z - half), np.tanh(z + half)), abs=1e-9
        )


def test_correlation_undefined_and_bad_input() -> None:
    row = me.correlation([1, 2, 3, 4], [2, 2, 2, 2]).iloc[0]
    assert np.isnan(row["value"]) and np.isnan(row["ci_low"]) and row["n_items"] == 4
    assert np.isnan(me.correlation([1, 2], [2, 1]).iloc[0]["value"])
    with pytest.raises(ValueError, match="missing"):
        me.correlation([1, np.nan, 3], [1, 2, 3])
    with pytest.raises(ValueError, match="different lengths"):
        me.correlation([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="unknown method"):
        me.correlation([1, 2, 3], [1, 2, 3], method="distance")


def test_item_means_and_judge_correlations() -> None:
    rng = np.random.default_rng(2)
    quality = rng.integers(1, 6, size=60)
    rows = []
    for i in range(60):
        for rid, noise in {"h1": 1, "h2": 1, "h3": 1, "claude": 1, "llama": 3}.items():
            if rid == "h3" and i % 7 == 0:
                continue
            rows.append(
                (f"r{i}", "attr", rid, int(np.clip(quality[i] + rng.integers(-noise, noise + 1), 1, 5)))
            )
    frame = pd.DataFrame(rows, columns=["response_id", "attribute_id", "rater_id", "rating"])
    key = ["response_id", "attribute_id"]
    means = me.item_means(frame, item=key, rater="rater_id", label="rating", raters=["h1", "h2", "h3"])
    expected = frame[frame.rater_id.str.startswith("h")].groupby(key)["rating"].agg(["mean", "std", "count"])
    merged = means.merge(expected.reset_index(), on=key)
    np.testing.assert_allclose(merged["mean_x"], merged["mean_y"])
    np.testing.assert_allclose(merged["sd"], merged["std"])
    assert (merged["n_raters"] == merged["count"]).all()
    out = me.judge_correlations(
        frame, means.iloc[5:], item=key, rater="rater_id", label="rating", raters=["claude", "llama"]
    )
    assert list(out.columns) == ["rater", *COLUMNS, "p_value"]
    for row in out.itertuples():
        judge = frame[frame.rater_id == row.rater].merge(means.iloc[5:], on=key)
        assert row.n_items == len(judge) == 55
        assert row.value == pytest.approx(stats.spearmanr(judge["rating"], judge["mean"]).statistic)
    assert out.set_index("rater").loc["claude", "value"] > out.set_index("rater").loc["llama", "value"]


# ---------------------------------------------------------------------------------------------------------
# clusters=: the cluster-bootstrap interval
# ---------------------------------------------------------------------------------------------------------

def _clustered_scores(rng: np.random.Generator, n_clusters: int = 20, size: int = 15) -> tuple[np.ndarray, ...]:
    """Two noisy ratings of items whose true scores share a strong cluster effect (e.g. cells of a response)."""
    cluster = np.repeat(np.arange(n_clusters), size)
    true = rng.normal(0.0, 2.0, n_clusters)[cluster] + rng.normal(0.0, 0.5, cluster.size)
    x = np.clip(np.round(3 + true + rng.normal(0.0, 1.0, cluster.size)), 1, 5)
    y = np.clip(np.round(3 + true + rng.normal(0.0, 1.0, cluster.size)), 1, 5)
    return cluster, x, y


@pytest.mark.parametrize("method", me.CORRELATION_METHODS)
@pytest.mark.parametrize("crossed", [False, True])
def test_cluster_bootstrap_equals_scipy_on_the_resampled_data(method: str, crossed: bool) -> None:
    """Each resample's weighted correlation is scipy's on the data the weights stand for (rows repeated)."""
    from toolkit.resampling import item_weights, percentile_interval

    rng = np.random.default_rng(5)
    cluster, x, y = _clustered_scores(rng, 8, 5)
    design = (cluster, np.arange(cluster.size) % 3) if crossed else cluster
    n_boot, seed = 40, 11
    out = me.correlation(x, y, method=method, clusters=design, n_boot=n_boot, seed=seed, confidence=0.9).iloc[0]
    oracle = {"spearman": stats.spearmanr, "pearson": stats.pearsonr, "kendall": stats.kendalltau}[method]
    weights = item_weights(design, cluster.size, n_boot, seed).astype(int)
    boot = []
    for w in weights:
        xs, ys = np.repeat(x, w), np.repeat(y, w)
        boot.append(oracle(xs, ys).statistic if np.ptp(xs) > 0 and np.ptp(ys) > 0 else np.nan)
    low, high = percentile_interval(np.array(boot), 0.9)
    assert (out["ci_low"], out["ci_high"]) == pytest.approx((low, high), abs=1e-9)
    assert out["value"] == pytest.approx(oracle(x, y).statistic, abs=1e-9)  # the point estimate is unchanged


def test_one_cluster_collapses_the_interval_to_the_estimate() -> None:
    rng = np.random.default_rng(1)
    _, x, y = _clustered_scores(rng, 4, 10)
    for method in me.CORRELATION_METHODS:
        row = me.correlation(x, y, method=method, clusters=np.zeros(len(x)), n_boot=20).iloc[0]
        assert row["ci_low"] == pytest.approx(row["value"], abs=1e-12)
        assert row["ci_high"] == pytest.approx(row["value"], abs=1e-12)


def test_cluster_interval_is_wider_than_item_and_fisher_z_under_a_cluster_effect() -> None:
    rng = np.random.default_rng(3)
    cluster, x, y = _clustered_scores(rng)
    fisher = me.correlation(x, y).iloc[0]
    item = me.correlation(x, y, clusters=np.arange(len(x)), n_boot=1000, seed=1).iloc[0]
    clustered = me.correlation(x, y, clusters=cluster, n_boot=1000, seed=1).iloc[0]
    width = {k: r["ci_high"] - r["ci_low"] for k, r in (("fisher", fisher), ("item", item), ("cluster", clustered))}
    assert width["cluster"] > 1.5 * width["item"] and width["cluster"] > 1.5 * width["fisher"], width
    assert fisher["value"] == item["value"] == clustered["value"]


def test_judge_correlations_rescore_every_judge_on_the_same_cluster_resamples() -> None:
    rng = np.random.default_rng(4)
    cluster, x, y = _clustered_scores(rng, 12, 4)
    items = [f"i{k:03d}" for k in range(len(x))]
    frame = pd.DataFrame({"item": items * 2, "rater": ["j1"] * len(x) + ["j2"] * len(x), "rating": np.r_[x, y],
                          "response": np.tile(cluster, 2), "prompt": np.tile(np.arange(len(x)) % 2, 2)})
    reference = pd.Series(x + y, index=pd.Index(items, name="item"))
    for clusters, design in (("response", cluster), (("response", "prompt"), (cluster, np.arange(len(x)) % 2))):
        out = me.judge_correlations(frame, reference, item="item", rater="rater", label="rating", clusters=clusters,
                                    n_boot=100, seed=2, method="pearson").set_index("rater")
        for rater, values in (("j1", x), ("j2", y)):
            alone = me.correlation(values, x + y, method="pearson", clusters=design, n_boot=100, seed=2).iloc[0]
            assert out.loc[rater, ["ci_low", "ci_high"]].tolist() == pytest.approx([alone["ci_low"], alone["ci_high"]])
    fisher = me.judge_correlations(frame, reference, item="item", rater="rater", label="rating")
    assert fisher["ci_low"].tolist() == pytest.approx([me.correlation(v, x + y).iloc[0]["ci_low"] for v in (x, y)])
    with pytest.raises(ValueError, match="no cluster column"):
        me.judge_correlations(frame, reference, item="item", rater="rater", label="rating", clusters="user")
