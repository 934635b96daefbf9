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
