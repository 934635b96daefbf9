"""toolkit.stages.relevance and the stage-2 reference (toolkit.views.references) on hand-made data."""

from __future__ import annotations

from schemas import Attribute, Origin, Prompt, Rater, RaterKind, RelevanceJudgment, User
from toolkit import stages as st
from toolkit.dataset import write_dataset
from toolkit.views import relevance_reference


def _tiny_stage2(tmp_path, labels):
    """A dataset with one item per entry of ``labels`` (rater -> [bool]) for two humans and one LLM judge."""

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
    ref, info = relevance_reference(ds)
    assert info["n_ties"] == 2 and info["n_items"] == 2
    assert sorted(ref["majority"].tolist()) == [False, True]
    table, _ = st.method_metrics(ds, n_boot=0)
    assert set(table["method"]) == {"judge-x"}
    rec = table.set_index("metric").loc["recall", "value"]
    assert rec == 1.0 and (table["n_items"] == 2).all()


def test_stage2_intervals_resample_user_prompt_pairs_by_default(small_ds):
    """Default clusters: the pair (stated in resampled_unit); None: the item bootstrap of judge_metrics; crossed
    user x prompt levels work too; the point values never change."""
    import numpy as np

    from toolkit.metrics import judge_metrics
    from toolkit.views import relevance_long

    unit, info = st.method_metrics(small_ds, n_boot=100, seed=3)
    item, _ = st.method_metrics(small_ds, n_boot=100, seed=3, clusters=None)
    crossed, _ = st.method_metrics(small_ds, n_boot=100, seed=3, clusters=("user_id", "prompt_id"))
    assert set(unit["resampled_unit"]) == {"pair_id"} and set(item["resampled_unit"]) == {"item_id"}
    assert set(crossed["resampled_unit"]) == {"user_id x prompt_id"}
    np.testing.assert_array_equal(unit["value"], item["value"])
    assert not np.allclose(unit["ci_low"], item["ci_low"])
    long = relevance_long(small_ds)
    ref, _ = relevance_reference(small_ds)
    methods = list(dict.fromkeys(unit["method"]))
    for clusters, table in (("pair_id", unit), (None, item)):
        expected = judge_metrics(long[long["rater_id"].isin(methods)], ref, item="item_id", rater="rater_id",
                                 label="relevant", reference_label="majority", raters=methods, n_boot=100, seed=3,
                                 clusters=clusters)
        np.testing.assert_array_equal(table["ci_low"], expected["ci_low"])
    rate = st.reference_positive_rate(small_ds, n_boot=100, seed=3)
    rate_item = st.reference_positive_rate(small_ds, n_boot=100, seed=3, clusters=None)
    assert rate["resampled_unit"].item() == "pair_id" and rate_item["resampled_unit"].item() == "item_id"
    assert rate["value"].item() == rate_item["value"].item() and rate["ci_low"].item() != rate_item["ci_low"].item()
    assert info["n_items"] == len(ref)
