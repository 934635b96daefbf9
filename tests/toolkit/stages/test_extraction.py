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
