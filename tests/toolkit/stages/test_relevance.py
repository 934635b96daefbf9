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
