"""Figure 3, Figure 4, Table 2, Table 3: the CSV numbers are the toolkit functions' numbers (intervals resampling
each stage's sampling unit: user-prompt pairs in stage 2, users in stage 1)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.analyses.conftest import SEED  # noqa: F401  (documents the data seed)

N_BOOT = 200
SETTINGS_SEED = 20260606  # analyses' default --seed


def _read(outputs, name):
    return pd.read_csv(outputs(name) / f"{name}.csv")


def test_figure3_cells_and_group_means_equal_agreement_functions(outputs, small_ds):
    from toolkit.agreement import group_agreement, pairwise_agreement
    from toolkit.views import rater_groups, relevance_long

    table = _read(outputs, "figure3")
    long = relevance_long(small_ds)
    groups = rater_groups(small_ds)
    order = groups["human"] + groups["llm"]
    assert order[:3] == ["human-1", "human-2", "human-3"]  # humans first
    long = long[long["rater_id"].isin(order)]
    pairs = pairwise_agreement(long, item="item_id", rater="rater_id", label="relevant", raters=order)
    cells = table[table["kind"] == "pair"]
    assert len(cells) == len(order) * (len(order) - 1) // 2
    merged = cells.merge(pairs, on=["rater_a", "rater_b"], suffixes=("", "_tk"))
    assert len(merged) == len(cells)
    np.testing.assert_allclose(merged["value"], merged["value_tk"], rtol=1e-5)
    assert (merged["n_items"] == merged["n_items_tk"]).all()
    means = group_agreement(long, item="item_id", rater="rater_id", label="relevant", groups=groups,
                            n_boot=N_BOOT, seed=SETTINGS_SEED, clusters="pair_id")
    got = table[table["kind"] == "group_mean"].reset_index(drop=True)
    assert list(got["group_a"] + "-" + got["group_b"]) == list(means["group_a"] + "-" + means["group_b"])
    np.testing.assert_allclose(got[["value", "ci_low", "ci_high"]], means[["mean", "ci_low", "ci_high"]], rtol=1e-5)


def test_figure4_rows_equal_judge_metrics_against_the_human_majority(outputs, small_ds):
    from toolkit.metrics import judge_metrics
    from toolkit.views import human_majority, relevance_long

    table = _read(outputs, "figure4")
    long = relevance_long(small_ds)
    methods = sorted(long.loc[long["kind"].isin(["llm", "baseline"]), "rater_id"].unique())
    assert set(table.loc[table["kind"].isin(["llm", "baseline"]), "method"]) == set(methods)
    mv = human_majority(small_ds)
    ref = mv[mv["majority"].notna()].assign(majority=lambda f: f["majority"].astype(bool))
    order = list(dict.fromkeys(table.loc[table["kind"].isin(["llm", "baseline"]), "method"]))
    expected = judge_metrics(long[long["rater_id"].isin(order)], ref[["item_id", "majority"]], item="item_id",
                             rater="rater_id", label="relevant", reference_label="majority", raters=order,
                             n_boot=N_BOOT, seed=SETTINGS_SEED, clusters="pair_id")
    got = table[table["kind"].isin(["llm", "baseline"])].merge(
        expected, left_on=["method", "metric"], right_on=["rater", "metric"], suffixes=("", "_tk"))
    assert len(got) == len(order) * 4
    for col in ("value", "ci_low", "ci_high"):
        np.testing.assert_allclose(got[col], got[f"{col}_tk"], rtol=1e-5)
    assert (got["n_items"] == len(ref)).all()
    reference = table[table["kind"] == "reference"].iloc[0]
    assert reference["value"] == pytest.approx(ref["majority"].mean(), rel=1e-5)
    assert reference["n_items"] == len(ref)


def test_table3_equals_figure4_for_shared_metrics(outputs):
    t3 = _read(outputs, "table3")
    f4 = _read(outputs, "figure4")
    assert set(t3["metric"]) == {"accuracy", "precision", "recall", "f1"}
    both = t3.merge(f4, on=["method", "metric"], suffixes=("", "_f4"))
    assert len(both) == 3 * t3["method"].nunique()
    np.testing.assert_allclose(both[["value", "ci_low", "ci_high"]], both[["value_f4", "ci_low_f4", "ci_high_f4"]])
    md = (outputs("table3") / "table3.md").read_text()
    assert "claude-sonnet-4.6" in md and "[" in md


def test_table2_equals_judge_metrics_on_problematic_labels(outputs, small_ds):
    from toolkit.agreement import majority_vote
    from toolkit.metrics import judge_metrics

    table = _read(outputs, "table2")
    ej = small_ds.frame("extraction_judgments")
    kinds = small_ds.frame("raters").set_index("rater_id")["kind"]
    user_of = small_ds.frame("attributes").set_index("attribute_id")["user_id"]
    ej = ej.assign(kind=ej["rater_id"].map(kinds), problematic=ej["label"] != "accepted",
                   user_id=ej["attribute_id"].map(user_of))
    humans = ej[ej["kind"] == "human"]
    mv = majority_vote(humans, item="attribute_id", rater="rater_id", label="problematic")
    ref = mv[mv["label"].notna()].assign(label=lambda f: f["label"].astype(bool))
    verifiers = list(dict.fromkeys(table["verifier"]))
    assert "roberta-verifier" in verifiers and "claude-sonnet-4.6" in verifiers
    expected = judge_metrics(ej[ej["rater_id"].isin(verifiers)], ref[["attribute_id", "label"]], item="attribute_id",
                             rater="rater_id", label="problematic", raters=verifiers, n_boot=N_BOOT,
                             seed=SETTINGS_SEED, clusters="user_id")
    got = table.merge(expected, left_on=["verifier", "metric"], right_on=["rater", "metric"], suffixes=("", "_tk"))
    assert len(got) == len(table)
    for col in ("value", "ci_low", "ci_high"):
        np.testing.assert_allclose(got[col], got[f"{col}_tk"], rtol=1e-5)


def test_figure3_with_partial_overlap_and_no_llm_raters(tmp_path):
    """Pilot-style data: humans only, one pair without shared items -> blank cell, n_items 0, no crash."""
    from schemas import Attribute, Origin, Prompt, Rater, RaterKind, RelevanceJudgment, User
    from tests.analyses.conftest import run_analysis
    from toolkit.dataset import write_dataset

    rng = np.random.default_rng(0)
    items = [f"a{i}" for i in range(40)]
    who = {"ann-1": items[:30], "ann-2": items[:10] + items[30:], "ann-3": items[30:]}  # ann-1/ann-3 share none
    rel = [RelevanceJudgment("u", "p", a, r, bool(rng.random() < 0.3)) for r, its in who.items() for a in its]
    write_dataset(tmp_path / "pilot", {
        "raters": [Rater(r, RaterKind.HUMAN) for r in who], "users": [User("u", "wildchat", Origin.HUMAN)],
        "prompts": [Prompt("p", "t", "lima")], "attributes": [Attribute(a, "u", "The user x") for a in items],
        "relevance_judgments": rel,
    }, name="pilot", provenance="real", origin="test")
    assert run_analysis("figure3", tmp_path / "pilot", tmp_path / "out") == 0
    table = pd.read_csv(tmp_path / "out" / "figure3.csv")
    pairs = table[table["kind"] == "pair"].set_index(["rater_a", "rater_b"])
    assert pairs.loc[("ann-1", "ann-2"), "n_items"] == 10
    assert pairs.loc[("ann-1", "ann-3"), "n_items"] == 0 and np.isnan(pairs.loc[("ann-1", "ann-3"), "value"])
    assert set(table.loc[table["kind"] == "group_mean", "group_a"]) == {"human"}
    meta = __import__("json").loads((tmp_path / "out" / "figure3.json").read_text())
    assert meta["simulated"] is False and "SIMULATED" not in meta["caption"]
