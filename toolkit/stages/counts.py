"""The study's sizes counted from the records (the paper's Sec. 3-5 counts), for the reproduction report."""

from __future__ import annotations

import pandas as pd

from toolkit.dataset import Dataset
from toolkit.views import extraction_long, rating_long, relevance_long
from toolkit.vocabulary import HUMAN

__all__ = ["study_counts"]


def study_counts(ds: Dataset) -> pd.DataFrame:
    """The study's sizes as counted from the records (the paper's Sec. 3-5 counts), for the report.

    Only stages whose record files are present are counted. Human judgments are those by raters of kind
    ``human``; imported data with an aggregate human-majority rater have no human judgments to count.

    Returns
    -------
    DataFrame
        ``key, value, what`` with the keys of the published reference file (``stage1.n_users``, ...).

    Examples
    --------
    >>> from toolkit.dataset import load_dataset
    >>> counts = study_counts(load_dataset()).set_index("key")["value"]
    >>> int(counts["stage2.n_items"]), int(counts["stage3.n_judgments"])  # paper: 3,973 items; 1,101 ratings
    (3973, 1101)
    """
    rows: list[tuple[str, float, str]] = []
    if ds.has("raters", "users", "attributes", "extraction_judgments"):
        long = extraction_long(ds)
        humans = long[long["kind"] == HUMAN]
        rows += [
            ("stage1.n_users", humans["user_id"].nunique(), "users with human stage-1 judgments"),
            ("stage1.n_attributes", humans["attribute_id"].nunique(), "attributes with human stage-1 judgments"),
            ("stage1.n_judgments", len(humans), "human stage-1 judgments"),
        ]
        coded = humans[humans["problematic"] & humans["failure_mode"].notna()]
        if len(coded):
            rows.append(("fig2.n_problematic", coded["attribute_id"].nunique(),
                         "problematic attributes with a coded failure mode"))
    if ds.has("raters", "relevance_judgments"):
        long = relevance_long(ds)
        pairs = long[["user_id", "prompt_id"]].drop_duplicates()
        per_pair = long.drop_duplicates("item_id").groupby(["user_id", "prompt_id"]).size()
        rows += [
            ("stage2.n_pairs", len(pairs), "user-prompt pairs"),
            ("stage2.n_users", pairs["user_id"].nunique(), "stage-2 users"),
            ("stage2.n_prompts", pairs["prompt_id"].nunique(), "stage-2 prompts"),
            ("stage2.n_items", long["item_id"].nunique(), "attribute-prompt items"),
            ("stage2.n_judgments", int((long["kind"] == HUMAN).sum()), "human stage-2 judgments"),
            ("stage2.mean_attributes_per_pair", float(per_pair.mean()), "attributes per pair (mean)"),
        ]
    if ds.has("raters", "responses", "response_ratings"):
        long = rating_long(ds)
        humans = long[long["judge"] == HUMAN]
        rows += [
            ("stage3.n_items", humans["personalized_response_id"].nunique(), "personalized responses rated by humans"),
            ("stage3.n_attribute_ratings", humans["cell"].nunique(), "attribute ratings (cells) rated by humans"),
            ("stage3.n_judgments", len(humans), "human stage-3 judgments"),
        ]
    return pd.DataFrame(rows, columns=["key", "value", "what"])
