"""toolkit.stage_stats: the helpers the analyses call, on hand-made data and on the small simulated study."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from toolkit import stage_stats as st


def test_wilson_interval_matches_the_textbook_value():
    lo, hi = st.wilson_interval(5, 100)
    assert (lo, hi) == pytest.approx((0.0215437, 0.1117505), abs=1e-6)  # statsmodels proportion_confint(wilson)
    lo, hi = st.wilson_interval(np.array([0, 10]), np.array([10, 10]))
    assert lo[0] == pytest.approx(0) and hi[1] == pytest.approx(1)
    assert all(np.isnan(st.wilson_interval(0, 0)))


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
    lo, hi = st.wilson_interval(2, 6)
    assert wilson.iloc[0][["ci_low", "ci_high"]].tolist() == pytest.approx([lo, hi])


def test_mean_table_means_and_intervals():
    frame = pd.DataFrame({"g": ["a", "a", "a", "b", "b"], "v": [1.0, 2.0, 3.0, 4.0, 4.0], "c": [1, 1, 2, 3, 4]})
    t = st.mean_table(frame, group="g", value="v", cluster="c", n_boot=500, seed=0).set_index("g")
    assert t.loc["a", "value"] == pytest.approx(2.0) and t.loc["b", "value"] == pytest.approx(4.0)
    assert t.loc["b", "ci_low"] == t.loc["b", "ci_high"] == pytest.approx(4.0)  # no spread, no width
    assert t.loc["a", "n"] == 3 and t.loc["a", "n_clusters"] == 2
    # cluster {1: [1, 2]} and {2: [3]}: resampled means lie between 1.5 and 3
    assert 1.5 - 1e-12 <= t.loc["a", "ci_low"] <= t.loc["a", "ci_high"] <= 3 + 1e-12


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


def test_mention_rates_and_differences_equal_direct_computation(small_ds):
    long = st.rating_long(small_ds)
    cells = long.drop_duplicates("cell")
    rates = st.mention_rates(small_ds, n_boot=50, seed=0).set_index("generator")
    assert rates["value"].to_dict() == pytest.approx(cells.groupby("generator")["mention"].mean().to_dict())
    diffs = st.mention_differences(small_ds, n_boot=50, seed=0).set_index("judge")
    h = long[long["judge"] == "human"]
    expected = h.loc[h["mention"], "rating"].mean() - h.loc[~h["mention"], "rating"].mean()
    assert diffs.loc["human", "value"] == pytest.approx(expected)


def test_study_counts_match_the_records(small_ds):
    counts = st.study_counts(small_ds).set_index("key")["value"]
    rel = small_ds.frame("relevance_judgments")
    assert counts["stage2.n_items"] == len(rel[["user_id", "prompt_id", "attribute_id"]].drop_duplicates())
    kinds = small_ds.frame("raters").set_index("rater_id")["kind"]
    assert counts["stage3.n_judgments"] == (small_ds.frame("response_ratings")["rater_id"].map(kinds) == "human").sum()


def _tiny_stage2(tmp_path, labels):
    """A dataset with one item per entry of ``labels`` (rater -> [bool]) for two humans and one LLM judge."""
    from schemas import Attribute, Origin, Prompt, Rater, RaterKind, RelevanceJudgment, User
    from toolkit.dataset import write_dataset

    n = len(next(iter(labels.values())))
    raters = [Rater("h1", RaterKind.HUMAN), Rater("h2", RaterKind.HUMAN), Rater("judge-x", RaterKind.LLM, model="x")]
    rel = [RelevanceJudgment("u", "p", f"a{i}", r, bool(v[i])) for r, v in labels.items() for i in range(n)]
    return write_dataset(
        tmp_path / "tiny", {
            "raters": raters, "users": [User("u", "wildchat", Origin.HUMAN)], "prompts": [Prompt("p", "t", "lima")],
            "attributes": [Attribute(f"a{i}", "u", "The user x") for i in range(n)], "relevance_judgments": rel,
        }, name="tiny", provenance="real", origin="test",
    )


def test_relevance_reference_leaves_ties_out_and_method_metrics_use_any_rater_ids(tmp_path):
    ds = _tiny_stage2(tmp_path, {"h1": [1, 1, 0, 0], "h2": [1, 0, 0, 1], "judge-x": [1, 1, 1, 0]})
    ref, info = st.relevance_reference(ds)
    assert info["n_ties"] == 2 and info["n_items"] == 2
    assert sorted(ref["majority"].tolist()) == [False, True]
    table, _ = st.method_metrics(ds, n_boot=0)
    assert set(table["method"]) == {"judge-x"}
    rec = table.set_index("metric").loc["recall", "value"]
    assert rec == 1.0 and (table["n_items"] == 2).all()


def test_spearman_permutation_p_is_exact_for_small_n():
    assert st.spearman_permutation_p([1, 2, 3, 4, 5], [1, 2, 3, 4, 5]) == pytest.approx(2 / 120)
    assert st.spearman_permutation_p([1, 2, 3, 4, 5], [1, 2, 3, 5, 4]) == pytest.approx(10 / 120)  # rho = 0.9
    p = st.spearman_permutation_p(np.arange(12), np.arange(12)[::-1], n_perm=2000)
    assert 0 < p < 0.01
    assert np.isnan(st.spearman_permutation_p([1, 1, 1], [1, 2, 3]))
