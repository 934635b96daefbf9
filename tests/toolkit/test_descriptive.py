"""toolkit.descriptive: shares and means per group with cluster-bootstrap intervals."""

from __future__ import annotations

import pandas as pd
import pytest

from toolkit import descriptive as st
from toolkit.resampling import wilson_interval


def test_share_table_counts_and_cluster_bootstrap():
    frame = pd.DataFrame({
        "g": ["a"] * 6 + ["b"] * 4,
        "y": ["x", "x", "y", "y", "y", "z", "x", "x", "x", "y"],
        "c": [1, 1, 2, 2, 3, 3, 4, 5, 6, 7],
    })
    t = st.share_table(frame, group="g", label="y", cluster="c", labels=["x", "y", "z"], n_boot=300, seed=1)
    a = t[t["g"] == "a"].set_index("y")
    assert a["value"].to_dict() == pytest.approx({"x": 2 / 6, "y": 3 / 6, "z": 1 / 6})
    assert (a["n"] == 6).all() and (a["n_clusters"] == 3).all()
    assert (t["ci_low"] <= t["value"] + 1e-12).all() and (t["value"] <= t["ci_high"] + 1e-12).all()
    b = t[t["g"] == "b"].set_index("y")
    assert b.loc["z", "value"] == 0 and b.loc["z", "count"] == 0  # declared but unobserved label
    again = st.share_table(frame, group="g", label="y", cluster="c", labels=["x", "y", "z"], n_boot=300, seed=1)
    pd.testing.assert_frame_equal(t, again)
    wilson = st.share_table(frame, group="g", label="y", labels=["x", "y", "z"], n_boot=0)
    lo, hi = wilson_interval(2, 6)
    assert wilson.iloc[0][["ci_low", "ci_high"]].tolist() == pytest.approx([lo, hi])


def test_mean_table_means_and_intervals():
    frame = pd.DataFrame({"g": ["a", "a", "a", "b", "b"], "v": [1.0, 2.0, 3.0, 4.0, 4.0], "c": [1, 1, 2, 3, 4]})
    t = st.mean_table(frame, group="g", value="v", cluster="c", n_boot=500, seed=0).set_index("g")
    assert t.loc["a", "value"] == pytest.approx(2.0) and t.loc["b", "value"] == pytest.approx(4.0)
    assert t.loc["b", "ci_low"] == t.loc["b", "ci_high"] == pytest.approx(4.0)  # no spread, no width
    assert t.loc["a", "n"] == 3 and t.loc["a", "n_clusters"] == 2
    # cluster {1: [1, 2]} and {2: [3]}: resampled means lie between 1.5 and 3
    assert 1.5 - 1e-12 <= t.loc["a", "ci_low"] <= t.loc["a", "ci_high"] <= 3 + 1e-12
