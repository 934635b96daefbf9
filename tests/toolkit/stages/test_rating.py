"""toolkit.stages.rating on the small simulated study."""

from __future__ import annotations

import pytest

from toolkit import stages as st
from toolkit.views import rating_long


def test_mention_rates_and_differences_equal_direct_computation(small_ds):
    long = rating_long(small_ds)
    cells = long.drop_duplicates("cell")
    rates = st.mention_rates(small_ds, n_boot=50, seed=0).set_index("generator")
    assert rates["value"].to_dict() == pytest.approx(cells.groupby("generator")["mention"].mean().to_dict())
    diffs = st.mention_differences(small_ds, n_boot=50, seed=0).set_index("judge")
    h = long[long["judge"] == "human"]
    expected = h.loc[h["mention"], "rating"].mean() - h.loc[~h["mention"], "rating"].mean()
    assert diffs.loc["human", "value"] == pytest.approx(expected)


def test_mention_differences_paired_bootstrap_over_responses(small_ds):
    """The first judge's resamples are the response weights of toolkit.resampling for the same seed; both means
    are taken on the same draw of responses."""
    import numpy as np

    from toolkit.resampling import item_weights, percentile_interval

    long = rating_long(small_ds)
    diffs = st.mention_differences(small_ds, n_boot=200, seed=4)
    assert diffs["judge"].iloc[0] == "human" and set(diffs["resampled_unit"]) == {"personalized_response_id"}
    h = long[long["judge"] == "human"]
    w = item_weights(h["personalized_response_id"].to_numpy(), len(h), 200, np.random.default_rng(4))
    x, m = h["rating"].to_numpy(float), h["mention"].to_numpy(bool)
    boot = (w[:, m] @ x[m]) / w[:, m].sum(axis=1) - (w[:, ~m] @ x[~m]) / w[:, ~m].sum(axis=1)
    low, high = percentile_interval(boot, 0.95)
    assert (diffs["ci_low"].iloc[0], diffs["ci_high"].iloc[0]) == pytest.approx((low, high))
    cells = st.mention_differences(small_ds, n_boot=200, seed=4, clusters=None)
    assert set(cells["resampled_unit"]) == {"cell"}
    assert (cells["value"] == diffs["value"]).all()


def test_stage3_correlations_and_agreement_resample_responses(small_ds):
    from toolkit.metrics import judge_correlations

    unit = st.judge_spearman(small_ds, n_boot=100, seed=2)
    fisher = st.judge_spearman(small_ds, clusters=None)
    assert set(unit["resampled_unit"]) == {"personalized_response_id"} and set(fisher["resampled_unit"]) == {"none (Fisher z)"}
    assert (unit["value"] == fisher["value"]).all() and (unit["p_value"] == fisher["p_value"]).all()
    long = rating_long(small_ds)
    judges = list(unit["judge"])
    expected = judge_correlations(long[long["judge"].isin(judges)], st.human_cell_means(small_ds), item="cell",
                                  rater="rater_id", label="rating", raters=judges, clusters="personalized_response_id",
                                  n_boot=100, seed=2)
    assert unit["ci_low"].tolist() == pytest.approx(expected["ci_low"].tolist())
    scorers = st.scorer_spearman(small_ds, n_boot=50, seed=2)
    assert set(scorers["resampled_unit"]) == {"personalized_response_id"} and scorers["ci_low"].notna().all()
    agreement = st.human_rating_agreement(small_ds, n_boot=50, seed=2)
    assert set(agreement["resampled_unit"]) == {"personalized_response_id"}
    summary = st.rating_summary(small_ds, by="generator", n_boot=50, seed=2)
    cells = st.rating_summary(small_ds, by="generator", n_boot=50, seed=2, clusters=None)
    assert (summary["value"] == cells["value"]).all()
    assert (summary["n_clusters"] <= cells["n_clusters"]).all() and (summary["n_clusters"] < cells["n_clusters"]).any()
