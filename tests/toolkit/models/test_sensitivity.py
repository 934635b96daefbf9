"""Tests of the structure-sensitivity table (toolkit/models/sensitivity.py)."""

from __future__ import annotations

import pandas as pd

from toolkit.models.sensitivity import conclusion_sentences, rating_sensitivity_table, robust_conclusions


def summaries(shift: float, contrast: bool = True) -> dict[str, pd.DataFrame]:
    judges = pd.DataFrame(
        {
            "rater_id": ["human", "j1", "j2"] * 2,
            "quantity": ["inflation"] * 3 + ["mean_rating_shift"] * 3,
            "mean": [0.0, 1.0, shift, 0.0, 0.5, shift / 2],
            "ci_low": [0.0, 0.5, shift - 0.4, 0.0, 0.2, shift / 2 - 0.3],
            "ci_high": [0.0, 1.5, shift + 0.4, 0.0, 0.8, shift / 2 + 0.3],
        }
    )
    mention = pd.DataFrame(
        {"rater": ["human", "j1", "j2"], "quantity": "rating", "mean": [0.0, -0.5, 0.1],
         "ci_low": [-0.2, -0.9, -0.3], "ci_high": [0.2, -0.1, 0.5]}
    )  # fmt: skip
    out = {"judges": judges, "mention": mention}
    if contrast:
        out["mention_contrast"] = pd.DataFrame(
            {"rater": ["j1", "j2"], "quantity": "rating", "mean": [-0.5, 0.1], "ci_low": [-0.95, -0.4],
             "ci_high": [-0.05, 0.6]}
        )  # fmt: skip
    return out


def test_table_has_one_row_per_structure_rater_quantity() -> None:
    t = rating_sensitivity_table(
        {"rating": summaries(0.1, contrast=False), "rating-thresholds": summaries(0.6)}
    )
    assert set(t["structure"]) == {"rating", "rating-thresholds"}
    assert "human" not in set(t.loc[t["quantity"] == "inflation", "rater"])  # 0 by definition
    assert len(t[(t["structure"] == "rating") & (t["quantity"] == "mention_contrast")]) == 0
    row = t[(t["structure"] == "rating-thresholds") & (t["rater"] == "j2") & (t["quantity"] == "inflation")]
    assert row["conclusion"].item() == "inflates"


def test_robust_conclusions_and_sentences() -> None:
    t = rating_sensitivity_table({"rating": summaries(0.1), "rating-thresholds": summaries(0.6)})
    r = robust_conclusions(t).set_index(["rater", "quantity"])
    assert bool(r.loc[("j1", "inflation"), "holds_everywhere"])
    assert r.loc[("j2", "inflation"), "conclusion"] == "depends on structure"
    assert not bool(r.loc[("j2", "mention_effect"), "holds_everywhere"])  # unclear everywhere
    sentences = conclusion_sentences(t)
    first = sentences[0]
    assert first.startswith("inflation (2 structures): holds under every structure for j1 (inflates)")
    assert "depends on the structure for j2 (rating: unclear; rating-thresholds: inflates)" in first
    assert any("mention_contrast" in s and "j1 (mention effect below the humans')" in s for s in sentences)
