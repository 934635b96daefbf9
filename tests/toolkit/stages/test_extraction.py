"""toolkit.stages.extraction on the small simulated study."""

from __future__ import annotations

import pytest

from toolkit import stages as st


def test_observed_stage1_statistics_equal_direct_counts(small_ds):
    ej = small_ds.frame("extraction_judgments")
    kinds = small_ds.frame("raters").set_index("rater_id")["kind"]
    src = small_ds.frame("attributes").set_index("attribute_id")["user_id"].map(
        small_ds.frame("users").set_index("user_id")["source"])
    humans = ej[ej["rater_id"].map(kinds) == "human"].assign(source=lambda f: f["attribute_id"].map(src))
    shares = st.extraction_label_shares(small_ds, n_boot=50, seed=0)
    direct = humans.groupby("source")["label"].value_counts(normalize=True)
    for row in shares.itertuples():
        assert row.value == pytest.approx(direct.get((row.source, row.label), 0.0))
    assert list(shares["source"].unique()) == ["wildchat", "cupid", "prefeval", "personalens"]
    gap = st.problematic_gap(small_ds, n_boot=50, seed=0).set_index("quantity")["value"]
    real = humans["source"] == "wildchat"
    prob = humans["label"] != "accepted"
    assert gap["real_minus_synthetic"] == pytest.approx(prob[real].mean() - prob[~real].mean())


def test_stage1_intervals_resample_users_by_default(small_ds):
    unit = st.failure_mode_shares(small_ds, n_boot=100, seed=1)
    item = st.failure_mode_shares(small_ds, n_boot=100, seed=1, clusters=None)
    assert set(unit["resampled_unit"]) == {"user_id"} and set(item["resampled_unit"]) == {"attribute_id"}
    assert (unit["value"] == item["value"]).all() and (unit["n_attributes"] == item["n_attributes"]).all()
    assert not (unit["ci_low"] == item["ci_low"]).all()
    table, _ = st.verifier_metrics(small_ds, n_boot=50, seed=1)
    assert set(table["resampled_unit"]) == {"user_id"}
    shares = st.extraction_label_shares(small_ds, n_boot=0)
    assert set(shares["resampled_unit"]) == {"none"}  # no resamples: Wilson intervals
    with pytest.raises(ValueError, match="one level"):
        st.problematic_gap(small_ds, n_boot=10, clusters=("user_id", "attribute_id"))
