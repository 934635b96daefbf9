"""``--resample``: every bootstrap interval resamples the stage's sampling unit by default, says so in the CSV
(``resampled_unit``) and the provenance JSON, and ``--resample item`` reproduces the earlier item bootstrap."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from analyses.common import Settings, parser_for, settings_from_args
from tests.analyses.conftest import run_analysis

#: The unit each non-model analysis' bootstrap rows resample by default and with ``--resample item``.
UNITS = {
    "figure3": ("pair_id", "item_id"),
    "figure4": ("pair_id", "item_id"),
    "table3": ("pair_id", "item_id"),
    "table2": ("user_id", "attribute_id"),
}

#: Intervals of the outputs committed before ``--resample`` existed (paper_figures/, bundled sample, the
#: defaults: 1000 resamples, seed 20260606, item bootstrap), as written to their CSVs (6 decimals).
OLD = {
    "figure3": [({"kind": "group_mean", "group_a": "human", "group_b": "human"}, 0.397525, 0.447424),
                ({"kind": "group_mean", "group_a": "llm", "group_b": "llm"}, 0.577688, 0.608929),
                ({"kind": "group_mean", "group_a": "human", "group_b": "llm"}, 0.279545, 0.313401)],
    "figure4": [({"method": "claude-sonnet-4.6", "metric": "f1"}, 0.494319, 0.542897),
                ({"method": "claude-sonnet-4.6", "metric": "recall"}, 0.81707, 0.874283),
                ({"method": "human majority", "metric": "positive_rate"}, 0.165612, 0.189026)],
    "table2": [({"verifier": "roberta-verifier", "metric": "f1"}, 0.697214, 0.75556),
               ({"verifier": "claude-sonnet-4.6", "metric": "f1"}, 0.596752, 0.659176)],
    "table3": [({"method": "qwen3-4b-grpo", "metric": "accuracy"}, 0.856532, 0.877674),
               ({"method": "qwen3-4b-grpo", "metric": "f1"}, 0.612325, 0.670577)],
}


def _row(table: pd.DataFrame, filters: dict) -> pd.Series:
    hit = table
    for col, value in filters.items():
        hit = hit[hit[col] == value]
    assert len(hit) == 1, filters
    return hit.iloc[0]


def test_settings_default_to_the_sampling_unit_and_reject_other_values():
    args = parser_for(pytest.importorskip("analyses.figure3").ANALYSIS).parse_args([])
    settings = settings_from_args(args)
    assert settings.resample == "unit"
    assert settings.clusters("relevance") == "pair_id" and settings.clusters("extraction") == "user_id"
    assert settings.clusters("rating") == "personalized_response_id"
    item = Settings(resample="item")
    assert item.clusters("relevance") is None and item.unit("relevance") == "item_id" and item.unit_words("rating") == "rated cells"
    with pytest.raises(ValueError):
        Settings(resample="users")
    with pytest.raises(SystemExit):
        parser_for(pytest.importorskip("analyses.figure3").ANALYSIS).parse_args(["--resample", "cluster"])


@pytest.mark.parametrize("name", list(UNITS))
def test_unit_is_stated_in_the_csv_and_the_provenance(name, outputs):
    out = outputs(name)
    table = pd.read_csv(out / f"{name}.csv")
    meta = json.loads((out / f"{name}.json").read_text())
    unit = UNITS[name][0]
    booted = table[table["ci_low"].notna()]
    assert len(booted) and (booted["resampled_unit"] == unit).all()
    assert set(table["resampled_unit"]) <= {unit, "none"}  # figure3's pair cells have no interval
    assert meta["resampling"]["resample"] == "unit"
    assert meta["resampling"]["resampled_units"] == sorted(set(table["resampled_unit"]))
    assert meta["resampling"]["stage_units"]["relevance"] == "pair_id"
    words = {"pair_id": "user-prompt pairs", "user_id": "users"}[unit]
    assert words in meta["caption"] and words in meta["settings"]["interval"]


@pytest.mark.parametrize("name", list(UNITS))
def test_resample_item_reproduces_the_earlier_item_bootstrap(name, tmp_path):
    """The committed outputs' intervals, to their 6 written decimals, from the bundled sample."""
    module = pytest.importorskip(f"analyses.{name}")
    assert module.main(["--out", str(tmp_path), "--formats", "", "--resample", "item"]) == 0
    table = pd.read_csv(tmp_path / f"{name}.csv")
    for filters, low, high in OLD[name]:
        row = _row(table, filters)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high), abs=1e-9)
    assert set(table.loc[table["ci_low"].notna(), "resampled_unit"]) == {UNITS[name][1]}
    meta = json.loads((tmp_path / f"{name}.json").read_text())
    assert meta["resampling"]["resample"] == "item" and meta["resampling"]["stage_units"]["relevance"] == "item"


def _clustered_stage2(path, seed=0):
    """Stage-2 data with a strong user-prompt pair effect: 40 pairs x 20 attributes, each pair relevant at its
    own base rate (0.02, 0.5 or 0.9); raters read an item's class half the time, else guess at the pair's rate."""
    import numpy as np

    from schemas import Attribute, Origin, Prompt, Rater, RaterKind, RelevanceJudgment, User
    from toolkit.dataset import write_dataset

    rng = np.random.default_rng(seed)
    raters = {"h1": RaterKind.HUMAN, "h2": RaterKind.HUMAN, "h3": RaterKind.HUMAN, "j1": RaterKind.LLM,
              "j2": RaterKind.LLM}
    users, prompts = [f"u{i}" for i in range(20)], ["p0", "p1"]
    rel = []
    for u in users:
        for p in prompts:
            rate = rng.choice([0.02, 0.5, 0.9])
            for a in range(20):
                truth = rng.random() < rate
                for r in raters:
                    rel.append(RelevanceJudgment(u, p, f"{u}-a{a}", r, bool(truth if rng.random() < 0.5 else rng.random() < rate)))
    write_dataset(path, {
        "raters": [Rater(r, k, model=r if k == RaterKind.LLM else None) for r, k in raters.items()],
        "users": [User(u, "wildchat", Origin.HUMAN) for u in users],
        "prompts": [Prompt(p, "t", "lima") for p in prompts],
        "attributes": [Attribute(f"{u}-a{a}", u, "The user x") for u in users for a in range(20)],
        "relevance_judgments": rel,
    }, name="clustered", provenance="real", origin="test")
    return path


def test_resampling_pairs_widens_intervals_under_a_pair_effect(tmp_path):
    data = _clustered_stage2(tmp_path / "data")
    widths = {}
    for mode in ("unit", "item"):
        assert run_analysis("figure3", data, tmp_path / mode, "--resample", mode, "--formats", "") == 0
        table = pd.read_csv(tmp_path / mode / "figure3.csv")
        means = table[table["kind"] == "group_mean"].reset_index(drop=True)
        widths[mode] = means["ci_high"] - means["ci_low"]
        values = means["value"]
    assert (widths["unit"] > 1.3 * widths["item"]).all(), widths
    assert values.notna().all()
