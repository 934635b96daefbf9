"""toolkit.views.orders: the paper's names first, in its order; any other present name after them."""

from __future__ import annotations

import pandas as pd

from toolkit.views import generator_order, method_order, ordered_raters, source_order, verifier_order
from toolkit.vocabulary import LLM_ORDER


def _raters() -> pd.DataFrame:
    return pd.DataFrame({
        "rater_id": ["human-10", "human-2", "my-judge", "gpt-5.4", "claude-sonnet-4.6", "embedding", "bm25", "rm"],
        "kind": ["human", "human", "llm", "llm", "llm", "baseline", "baseline", "reward_model"],
    })


def test_humans_sort_naturally_and_llms_in_paper_order_then_others():
    r = _raters()
    assert ordered_raters(r, "human") == ["human-2", "human-10"]
    assert ordered_raters(r, "llm") == ["claude-sonnet-4.6", "gpt-5.4", "my-judge"]


def test_method_and_verifier_orders_group_by_kind():
    r = _raters()
    present = r["rater_id"].tolist()
    assert method_order(r, present) == ["claude-sonnet-4.6", "gpt-5.4", "my-judge", "bm25", "embedding"]
    assert verifier_order(r, present) == ["bm25", "embedding", "rm", "claude-sonnet-4.6", "gpt-5.4", "my-judge"]


def test_source_and_generator_orders_keep_unknown_names():
    assert source_order(["mine", "cupid", "wildchat"]) == ["wildchat", "cupid", "mine"]
    assert generator_order(["z", *reversed(LLM_ORDER)]) == [*LLM_ORDER, "z"]
