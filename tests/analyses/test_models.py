"""Model-based analyses: the CSV numbers are the fitted models' summaries and the toolkit's observed statistics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.analyses.conftest import require_models

SETTINGS_SEED = 20260606
FIT = {"draws": 100, "tune": 100, "chains": 2, "seed": SETTINGS_SEED}
N_BOOT = 200


def _fit(name, ds):
    """The same fit the analysis made (a cache hit: same data, model, settings)."""
    import warnings

    from toolkit.models import ConvergenceWarning, fit

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fit(name, ds, **FIT)


def _read(outputs, name):
    return pd.read_csv(outputs(name) / f"{name}.csv")


def _close(a, b):
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=1e-5, atol=1e-12)


def test_figure2_rows_are_extraction_model_and_observed_shares(outputs, small_ds):
    from toolkit.stages import extraction_label_shares, failure_mode_shares, problematic_gap

    table = _read(outputs, "figure2")
    fit = _fit("extraction", small_ds)
    src = fit.summaries["sources"]
    model = table[(table["panel"] == "label_share") & (table["estimate"] == "model")]
    merged = model.merge(src.assign(label=src["quantity"].str.removesuffix("_share")), on=["source", "label"],
                         suffixes=("", "_tk"))
    assert len(merged) == len(model) == 4 * src["source"].nunique()
    _close(merged[["value", "ci_low", "ci_high"]], merged[["mean", "ci_low_tk", "ci_high_tk"]])
    observed = extraction_label_shares(small_ds, n_boot=N_BOOT, seed=SETTINGS_SEED)
    got = table[(table["panel"] == "label_share") & (table["estimate"] == "observed")].merge(
        observed, on=["source", "label"], suffixes=("", "_tk"))
    assert len(got) == len(observed)
    _close(got[["value", "ci_low", "ci_high"]], got[["value_tk", "ci_low_tk", "ci_high_tk"]])
    gap = problematic_gap(small_ds, n_boot=N_BOOT, seed=SETTINGS_SEED).set_index("quantity")
    row = table[(table["panel"] == "problematic_gap") & (table["estimate"] == "observed")
                & (table["label"] == "real_minus_synthetic")].iloc[0]
    assert row["value"] == pytest.approx(gap.loc["real_minus_synthetic", "value"], rel=1e-5)
    modes = failure_mode_shares(small_ds, n_boot=N_BOOT, seed=SETTINGS_SEED)
    _close(table.loc[table["panel"] == "failure_mode", "value"], modes["value"])
    assert "published" not in table.columns


def test_judges_rows_are_judge_model_summaries(outputs, small_ds):
    table = _read(outputs, "judges")
    raters = _fit("judge", small_ds).summaries["raters"]
    model = table[(table["estimate"] == "model") & (table["group"] != "difference")]
    merged = model.merge(raters, on=["rater", "quantity"], suffixes=("", "_tk"))
    assert len(merged) == len(model) == 3 * raters["rater"].nunique()
    _close(merged[["value", "ci_low", "ci_high"]], merged[["mean", "ci_low_tk", "ci_high_tk"]])


def test_figure5_rows_are_rating_model_and_observed_means(outputs, small_ds):
    from toolkit.stages import rating_summary

    table = _read(outputs, "figure5")
    gens = _fit("rating", small_ds).summaries["generators"]
    model = table[(table["estimate"] == "model") & (table["generator"] != "all")]
    merged = model.merge(gens, left_on=["generator", "statistic"], right_on=["generator", "quantity"],
                         suffixes=("", "_tk"))
    assert len(merged) == len(model) == 2 * gens["generator"].nunique()
    _close(merged[["value", "ci_low", "ci_high"]], merged[["mean", "ci_low_tk", "ci_high_tk"]])
    observed = rating_summary(small_ds, by="generator", n_boot=N_BOOT, seed=SETTINGS_SEED)
    got = table[table["estimate"] == "observed"].merge(observed, on=["generator", "statistic"], suffixes=("", "_tk"))
    assert len(got) == 2 * observed["generator"].nunique()
    _close(got[["value", "ci_low", "ci_high"]], got[["value_tk", "ci_low_tk", "ci_high_tk"]])
    ratings = small_ds.frame("response_ratings")
    kinds = small_ds.frame("raters").set_index("rater_id")["kind"]
    human = ratings[ratings["rater_id"].map(kinds) == "human"]["rating"]
    overall = table[(table["generator"] == "all") & (table["statistic"] == "mean_rating") & (table["estimate"] == "observed")]
    assert overall["value"].iloc[0] == pytest.approx(human.mean(), rel=1e-5)


def test_figure6_rows_are_rating_model_mention_effects_and_raw_differences(outputs, small_ds):
    from toolkit.stages import mention_differences

    table = _read(outputs, "figure6")
    mention = _fit("rating", small_ds).summaries["mention"]
    rating = mention[mention["quantity"] == "rating"]
    model = table[table["estimate"] == "model"].merge(rating, left_on="judge", right_on="rater", suffixes=("", "_tk"))
    assert len(model) == len(rating)
    _close(model[["value", "ci_low", "ci_high"]], model[["mean", "ci_low_tk", "ci_high_tk"]])
    assert (model["significant"] == model["significant_tk"]).all()
    raw = mention_differences(small_ds, n_boot=N_BOOT, seed=SETTINGS_SEED)
    got = table[table["estimate"] == "observed"].merge(raw, on="judge", suffixes=("", "_tk"))
    _close(got[["value", "ci_low", "ci_high"]], got[["value_tk", "ci_low_tk", "ci_high_tk"]])
    assert table["judge"].iloc[0] == "human"  # humans first


def test_figure7_spearman_is_metrics_correlation_of_the_plotted_points(outputs, small_ds):
    from toolkit.metrics import correlation
    from toolkit.stages import mention_rates

    table = _read(outputs, "figure7")
    rates = table[table["statistic"] == "mention_rate"].set_index("model")
    effects = table[table["statistic"] == "mention_effect"].set_index("model").loc[rates.index]
    expected = mention_rates(small_ds, n_boot=N_BOOT, seed=SETTINGS_SEED).set_index("generator").loc[rates.index]
    _close(rates["value"], expected["value"])
    corr = correlation(rates["value"].to_numpy(), effects["value"].to_numpy(), method="spearman").iloc[0]
    row = table[table["statistic"] == "spearman"].iloc[0]
    assert row["value"] == pytest.approx(corr["value"], rel=1e-5)
    assert row["p_value"] == pytest.approx(corr["p_value"], rel=1e-4)
    assert row["n"] == len(rates) == 5


def test_unconverged_fit_is_reported_in_json_and_footer(outputs):
    import json

    for name in ("figure5", "judges"):
        require_models(name)
        meta = json.loads((outputs(name) / f"{name}.json").read_text())
        models = meta["settings"]["models"]
        if not all(m["converged"] for m in models):
            assert meta["settings"]["converged"] is False
            assert any("did not converge" in w for w in meta["warnings"])
            assert "did not converge" in meta["caption"]


def test_table6_rows_are_summaries_and_spearman_matches_the_correlation_model(outputs, small_ds):
    from toolkit.stages import human_rating_agreement, judge_spearman, rating_summary

    table = _read(outputs, "table6")
    corr = _fit("correlation", small_ds).summaries
    judges = _fit("rating", small_ds).summaries["judges"]
    obs = rating_summary(small_ds, by="judge", n_boot=N_BOOT, seed=SETTINGS_SEED)
    obs = obs[obs["statistic"] == "mean_rating"]
    got = table[(table["statistic"] == "mean_rating") & (table["estimate"] == "observed")].merge(obs, on="judge",
                                                                                                  suffixes=("", "_tk"))
    assert len(got) == len(obs) == 6  # humans pooled + 5 LLM judges
    _close(got[["value", "ci_low", "ci_high"]], got[["value_tk", "ci_low_tk", "ci_high_tk"]])
    model = table[(table["statistic"] == "mean_rating") & (table["estimate"] == "model")].merge(
        judges[judges["quantity"] == "mean_rating"], left_on="judge", right_on="rater_id", suffixes=("", "_tk"))
    _close(model[["value", "ci_low", "ci_high"]], model[["mean", "ci_low_tk", "ci_high_tk"]])
    spear = judge_spearman(small_ds, n_boot=N_BOOT, seed=SETTINGS_SEED)
    s = table[table["statistic"] == "spearman"].merge(spear, on="judge", suffixes=("", "_tk"))
    _close(s[["value", "ci_low", "ci_high", "p_value"]], s[["value_tk", "ci_low_tk", "ci_high_tk", "p_value_tk"]])
    raw = corr["raw"][corr["raw"]["metric"] == "spearman"].set_index("scorer")
    _close(s["value"], raw.loc[s["judge"], "value"])  # two routes to the same Spearman
    latent = corr["scorers"][corr["scorers"]["quantity"] == "latent_correlation"].set_index("scorer")
    lat = table[table["statistic"] == "latent_correlation"].set_index("judge")
    _close(lat["value"], latent.loc[lat.index, "mean"])
    ceiling = corr["ceiling"].set_index("quantity").loc["ceiling"]
    row = table[table["statistic"] == "noise_ceiling"].iloc[0]
    assert row["value"] == pytest.approx(ceiling["mean"], rel=1e-5)
    agreement = human_rating_agreement(small_ds, n_boot=N_BOOT, seed=SETTINGS_SEED).set_index("metric")
    hh = table[table["judge"] == "human-human"].set_index("statistic")
    _close(hh.loc[["spearman", "weighted_kappa"], "value"], agreement.loc[["spearman", "weighted_kappa"], "value"])


def test_rewards_rows_are_raw_spearman_and_correlation_model(outputs, small_ds):
    from toolkit.stages import scorer_spearman

    table = _read(outputs, "rewards")
    rm = scorer_spearman(small_ds, n_boot=N_BOOT, seed=SETTINGS_SEED)
    assert set(rm["scorer"]) == {"rm-modernbert", "rm-qwen2.5-1.5b", "rm-llama-3.2-1b"}
    got = table[(table["statistic"] == "spearman") & (table["kind"] == "reward_model")].merge(
        rm, on="scorer", suffixes=("", "_tk"))
    assert len(got) == 3
    _close(got[["value", "ci_low", "ci_high"]], got[["value_tk", "ci_low_tk", "ci_high_tk"]])
    corr = _fit("correlation", small_ds).summaries
    raw = corr["raw"][corr["raw"]["metric"] == "spearman"].set_index("scorer")
    _close(got["value"], raw.loc[got["scorer"], "value"])
    scorers = corr["scorers"].set_index(["scorer", "quantity"])
    model = table[table["estimate"] == "model"]
    model = model[model["statistic"] != "noise_ceiling"]
    _close(model["value"], [scorers.loc[(s, q), "mean"] for s, q in zip(model["scorer"], model["statistic"], strict=True)])


def test_judges_refuses_too_few_raters_with_a_clear_error(tmp_path, capsys):
    from schemas import Attribute, Origin, Prompt, Rater, RaterKind, RelevanceJudgment, User
    from tests.analyses.conftest import run_analysis
    from toolkit.dataset import write_dataset

    rel = [RelevanceJudgment("u", "p", f"a{i}", r, i % 3 == 0) for r in ("gpt-5.4", "human-majority") for i in range(9)]
    write_dataset(tmp_path / "d", {
        "raters": [Rater("gpt-5.4", RaterKind.LLM, model="gpt-5.4"), Rater("human-majority", RaterKind.AGGREGATE)],
        "users": [User("u", "wildchat", Origin.HUMAN)], "prompts": [Prompt("p", "t", "lima")],
        "attributes": [Attribute(f"a{i}", "u", "The user x") for i in range(9)], "relevance_judgments": rel,
    }, name="d", provenance="real", origin="test")
    assert run_analysis("judges", tmp_path / "d", tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert "at least 3 human or LLM raters" in err and "Traceback" not in err
