"""The misspecified generators (``SimulationConfig.misspecification``): each one adds the structure it names,
leaves the rest of the study as the model draws it, records its truth, and writes valid records.

Fast: size_scale 0.2 with independent draws (how coverage studies use them), same seed with and without the
misspecification, so that the comparisons are paired.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit, logit

from toolkit.cli import main
from toolkit.simulate import (
    LLMS,
    MISSPECIFICATION_PARAMETERS,
    MISSPECIFICATIONS,
    SimulatedStudy,
    SimulationConfig,
    load_ground_truth,
    simulate,
)
from toolkit.simulate._ratings import stage3_draw
from toolkit.simulate._sampling import Sampler
from toolkit.validate import validate_path

SEED = 5


def _draw(misspecification: str | None, *, balanced: bool = False, seed: int = SEED) -> SimulatedStudy:
    return simulate(
        SimulationConfig(size_scale=0.2, balanced=balanced, misspecification=misspecification), seed=seed
    )


@pytest.fixture(scope="module")
def studies() -> dict[str | None, SimulatedStudy]:
    return {name: _draw(name) for name in (None, *MISSPECIFICATIONS)}


def _frame(study: SimulatedStudy, name: str) -> pd.DataFrame:
    return pd.DataFrame(list(study.iter_dicts(name)))


def _kappa(a: np.ndarray, b: np.ndarray) -> float:
    po = np.mean(a == b)
    pa, pb = a.mean(), b.mean()
    pe = pa * pb + (1 - pa) * (1 - pb)
    return float((po - pe) / (1 - pe))


# ------------------------------------------------------------------------------------------------------
# The option itself; None is the model
# ------------------------------------------------------------------------------------------------------


def test_config_field_is_validated_and_serialized():
    assert SimulationConfig().misspecification is None
    assert "misspecification" not in SimulationConfig().to_dict()  # the default truth is unchanged
    for name in MISSPECIFICATIONS:
        assert SimulationConfig(misspecification=name).to_dict()["misspecification"] == name
        assert set(MISSPECIFICATION_PARAMETERS[name])
    with pytest.raises(ValueError, match="misspecification must be None or one of"):
        SimulationConfig(misspecification="shared_item")


def test_none_has_no_misspecification_truth(studies):
    truth = studies[None].truth
    assert "misspecification" not in truth and "misspecification" not in truth["config"]
    assert "crowd" not in truth["raters"] and "attribute_effect" not in truth["stage1"]
    assert "u_shared" not in truth["stage2"]["items"] and "judge_cutpoints" not in truth["stage3"]


@pytest.mark.parametrize(
    ("name", "untouched"),
    [
        ("shared-item", ["extraction_judgments", "users", "attributes"]),
        ("attribute-effect", ["relevance_judgments", "response_ratings", "scores"]),
        ("judge-thresholds", ["extraction_judgments", "relevance_judgments"]),
        # stage 3 rates the human-majority-relevant attributes: it moves with the stage-2 human labels
        ("sparse-crowd", ["extraction_judgments", "users", "attributes"]),
    ],
)
def test_other_stages_are_the_models_draw(studies, name, untouched):
    """The extra effects come from their own stream: stages a generator does not touch are draw for draw the
    model's (same seed)."""
    for record_type in untouched:
        assert list(studies[name].iter_dicts(record_type)) == list(studies[None].iter_dicts(record_type))
    truth = studies[name].truth["misspecification"]
    assert truth["name"] == name and truth["parameters"] == MISSPECIFICATION_PARAMETERS[name]
    assert studies[name].truth["config"]["misspecification"] == name


@pytest.mark.parametrize("name", MISSPECIFICATIONS)
def test_records_validate(studies, name, tmp_path):
    studies[name].write(tmp_path / name)
    report = validate_path(tmp_path / name)
    assert report.ok, report.format_text()
    assert load_ground_truth(tmp_path / name) == json.loads(json.dumps(studies[name].truth))
    manifest = json.loads((tmp_path / name / "manifest.json").read_text())
    assert manifest["provenance"]["misspecification"] == name


@pytest.mark.parametrize("name", MISSPECIFICATIONS)
def test_balanced_sampling_works_too(name):
    study = _draw(name, balanced=True, seed=2)
    assert study.truth["misspecification"]["name"] == name
    assert study.truth["stage3"]["conditioning"]["attempts"] >= 1


# ------------------------------------------------------------------------------------------------------
# shared-item
# ------------------------------------------------------------------------------------------------------


def _human_llm_kappa_given_z(study: SimulatedStudy) -> tuple[float, float]:
    """Mean pairwise human-LLM kappa among truly irrelevant and among truly relevant items."""
    rj = _frame(study, "relevance_judgments")
    rj["item"] = rj.groupby(["user_id", "prompt_id", "attribute_id"], sort=False).ngroup()
    z = np.array(study.truth["stage2"]["items"]["z"], dtype=bool)
    humans = rj[rj["rater_id"].str.startswith(("human-", "crowd-"))].copy()
    humans["slot"] = humans.groupby("item").cumcount()
    h = humans.pivot(index="item", columns="slot", values="relevant").to_numpy(bool)
    llm = rj[rj["rater_id"].isin(LLMS)].pivot(index="item", columns="rater_id", values="relevant")
    m = llm[list(LLMS)].to_numpy(bool)
    out = []
    for stratum in (False, True):
        sel = z == stratum
        out.append(np.mean([_kappa(h[sel, k], m[sel, j]) for k in range(h.shape[1]) for j in range(5)]))
    return out[0], out[1]


def test_shared_item_makes_humans_and_llms_agree_beyond_the_truth(studies):
    none_irrelevant, none_relevant = _human_llm_kappa_given_z(studies[None])
    shared_irrelevant, shared_relevant = _human_llm_kappa_given_z(studies["shared-item"])
    # conditional independence given z under the model; about 0.13 / 0.06 with the shared effect
    assert abs(none_irrelevant) < 0.05 and abs(none_relevant) < 0.05
    assert shared_irrelevant > 0.075 and shared_irrelevant - none_irrelevant > 0.06
    assert shared_relevant > none_relevant


def test_shared_item_truth(studies):
    truth = studies["shared-item"].truth
    s2, mis = truth["stage2"], truth["misspecification"]
    u = {k: np.array(s2["items"][k]) for k in ("u_shared", "u_human", "u_llm")}
    s = MISSPECIFICATION_PARAMETERS["shared-item"]["sd_item_shared"]
    sd_llm = SimulationConfig().stage2.sd_shared["llm"]
    # humans: the shared effect only (their own SD is below it); LLMs: shared + own, total SD unchanged
    assert np.allclose(u["u_human"], u["u_shared"], atol=2e-6)
    assert abs(np.std(u["u_shared"]) - s) < 0.15
    assert abs(np.std(u["u_llm"] - u["u_shared"]) - np.sqrt(sd_llm**2 - s**2)) < 0.15
    assert s2["sd_shared"] == pytest.approx({"human": s, "llm": sd_llm})
    assert mis["sd_item_effect"]["total"] == pytest.approx(s2["sd_shared"])
    assert set(mis["realised"]) >= {"stage2.items.u_shared"}
    # accuracies at u = 0 are the config's; the marginal ones integrate the larger human effect
    base = studies[None].truth["stage2"]["raters"]
    for rid in ("human-1", "human-2", "human-3"):
        assert s2["raters"][rid]["sensitivity"] == base[rid]["sensitivity"]
        assert s2["raters"][rid]["specificity_marginal"] < base[rid]["specificity_marginal"]


# ------------------------------------------------------------------------------------------------------
# attribute-effect
# ------------------------------------------------------------------------------------------------------


def _within_attribute_correlation(study: SimulatedStudy) -> float:
    """Mean correlation between human annotators' ordinal labels of the same attribute, after removing each
    user's mean (the user effect)."""
    ej = _frame(study, "extraction_judgments")
    ej = ej[ej["rater_id"].str.startswith("human-")]
    code = {"rejected": 0, "uncertain": 1, "accepted": 2}
    wide = ej.pivot(index="attribute_id", columns="rater_id", values="label").apply(lambda c: c.map(code))
    user = _frame(study, "attributes").set_index("attribute_id").loc[wide.index, "user_id"].to_numpy()
    resid = wide - wide.groupby(user).transform("mean")
    corr = np.corrcoef(resid.to_numpy(float), rowvar=False)
    return float(corr[np.triu_indices(corr.shape[0], 1)].mean())


def test_attribute_effect_raises_within_attribute_agreement(studies):
    base = _within_attribute_correlation(studies[None])
    mis = _within_attribute_correlation(studies["attribute-effect"])
    # paired (same seed, same draws but the effect): about +0.12 (on the latent scale 0.64 / 4.0 of the
    # within-user variance becomes shared); exactly 0 without the effect
    assert mis - base > 0.04


def test_attribute_effect_truth_integrates_the_effect(studies):
    truth = studies["attribute-effect"].truth
    s1 = truth["stage1"]
    sd_t = MISSPECIFICATION_PARAMETERS["attribute-effect"]["sd_attribute"]
    t = np.array(list(s1["attribute_effect"].values()))
    assert list(s1["attribute_effect"]) == [a["attribute_id"] for a in studies[None].iter_dicts("attributes")]
    assert abs(t.std() - sd_t) < 0.1
    # population shares: an independent Monte Carlo over user + annotator + attribute effects
    cfg = SimulationConfig().stage1
    sd = np.sqrt(cfg.sd_user**2 + cfg.sd_annotator**2 + sd_t**2)
    x = np.random.default_rng(0).normal(0.0, sd, 1_000_000)
    c1, c2 = cfg.cutpoints
    shares = {}
    for src, alpha in cfg.alpha.items():
        accepted = expit(alpha + x - c2).mean()
        shares[src] = 1 - accepted
        assert s1["derived"]["label_shares_population"][src]["accepted"] == pytest.approx(accepted, abs=2e-3)
        assert s1["derived"]["label_shares_population"][src]["rejected"] == pytest.approx(
            expit(c1 - alpha - x).mean(), abs=2e-3
        )
    n = SimulationConfig().design.users_per_source
    synthetic = sum(shares[s] * n[s] for s in ("cupid", "prefeval", "personalens")) / 30
    gap = s1["derived"]["problematic_gap_population"]
    assert gap == pytest.approx(shares["wildchat"] - synthetic, abs=2e-3)
    assert abs(gap - studies[None].truth["stage1"]["derived"]["problematic_gap_population"]) > 0.005


# ------------------------------------------------------------------------------------------------------
# judge-thresholds
# ------------------------------------------------------------------------------------------------------


def _replicate(judge_cuts: np.ndarray | None, sd_cell: float, seed: int) -> dict[str, np.ndarray]:
    """A large stage-3 replicate (30,000 units, no mentions), independent draws."""
    n_items = 6000
    unit_item = np.repeat(np.arange(n_items), 5)
    item_gen = np.arange(n_items) % len(LLMS)
    mention = np.zeros(len(unit_item), dtype=bool)
    sampler = Sampler(np.random.default_rng(seed), balanced=False)
    return stage3_draw(
        SimulationConfig(), sampler, unit_item, item_gen, mention, 3, judge_cuts=judge_cuts, sd_cell=sd_cell
    )


def _llm_correlation_given_quality(draw: dict[str, np.ndarray]) -> float:
    """Mean pairwise correlation of the LLM judges' ratings within 100 quantile bins of the latent quality Q
    (0 under the model, where judges are independent given Q)."""
    q = draw["s3_Q"]
    ratings = draw["s3_rating_l"].astype(float)
    bins = np.searchsorted(np.quantile(q, np.linspace(0, 1, 101)[1:-1]), q)
    for b in np.unique(bins):
        ratings[bins == b] -= ratings[bins == b].mean(axis=0)
    corr = np.corrcoef(ratings, rowvar=False)
    return float(corr[np.triu_indices(len(LLMS), 1)].mean())


def test_judge_thresholds_correlate_the_llm_judges_and_move_their_cutpoints():
    cfg = SimulationConfig()
    shifted = np.sort(np.asarray(cfg.stage3.cutpoints) + np.linspace(-0.8, 0.8, 5)[:, None], axis=1)
    model = _replicate(None, 0.0, seed=1)
    mis = _replicate(shifted, 0.6, seed=1)
    assert abs(_llm_correlation_given_quality(model)) < 0.01
    assert _llm_correlation_given_quality(mis) > 0.015  # about 0.03
    assert abs(np.std(mis["s3_e_shared"]) - 0.6) < 0.02 and "s3_e_shared" not in model
    # each judge's rating distribution follows its own cutpoints: lowering them (first judge, by 0.8) raises
    # the share of ratings above 3, raising them lowers it (less so for the noisy last judges)
    above = (mis["s3_rating_l"] > 3).mean(axis=0) - (model["s3_rating_l"] > 3).mean(axis=0)
    # about +0.11, +0.05, 0, -0.03, -0.04
    assert above[0] > 0.08 and above[1] > 0.02 and above[3] < -0.015 and above[4] < -0.015


def test_judge_thresholds_truth(studies):
    study, base = studies["judge-thresholds"], studies[None]
    s3, mis = study.truth["stage3"], study.truth["misspecification"]
    cfg = SimulationConfig().stage3
    cuts = np.array([s3["judge_cutpoints"][j] for j in LLMS])
    assert cuts.shape == (5, 4) and np.all(np.diff(cuts, axis=1) > 0)
    assert s3["cutpoints"] == list(cfg.cutpoints) and not np.allclose(cuts, cfg.cutpoints, atol=0.01)
    e = np.array(s3["units"]["e_llm_shared"])
    assert len(e) == len(s3["units"]["Q"]) and 0.3 < e.std() < 0.9
    for k, j in enumerate(LLMS):
        shift = cuts[k].mean() - np.mean(cfg.cutpoints)
        assert mis["gamma_effective"][j] == pytest.approx(cfg.gamma[j] - shift, abs=1e-5)
        assert mis["sd_judge_noise_total"][j] == pytest.approx(np.hypot(cfg.sd_judge_noise[j], 0.6), abs=1e-5)
        # the shared cell effect is noise to each judge: its latent correlation with Q drops
        lc, lc0 = s3["latent_correlation_with_Q"][j], base.truth["stage3"]["latent_correlation_with_Q"][j]
        assert lc["analytic"] < lc0["analytic"]
    human = s3["latent_correlation_with_Q"]["human"]["analytic"]
    assert human == base.truth["stage3"]["latent_correlation_with_Q"]["human"]["analytic"]


# ------------------------------------------------------------------------------------------------------
# sparse-crowd
# ------------------------------------------------------------------------------------------------------


def test_sparse_crowd_design(studies):
    study = studies["sparse-crowd"]
    truth = study.truth
    workers = [f"crowd-{k:02d}" for k in range(1, 31)]
    raters = _frame(study, "raters")
    assert raters.loc[raters["rater_id"].isin(workers), "kind"].eq("human").sum() == 30
    assert truth["raters"]["crowd"] == workers
    assert truth["raters"]["human"] == ["human-1", "human-2", "human-3"]  # the stage-1/3 annotators
    rj = _frame(study, "relevance_judgments")
    humans = rj[raters.set_index("rater_id").loc[rj["rater_id"], "kind"].to_numpy() == "human"]
    per_item = humans.groupby(["user_id", "prompt_id", "attribute_id"], sort=False)["rater_id"]
    assert per_item.size().eq(3).all() and per_item.nunique().eq(3).all()
    assert set(humans["rater_id"]) == set(workers)  # all 30 used; the annotator slots label no item
    assert len(per_item.size()) == len(truth["stage2"]["items"]["z"])
    assert [list(r) for r in per_item.agg(sorted)] == truth["stage2"]["items"]["human_raters"]
    # LLM judges as in the model: every item, the same answers
    llm = rj[rj["rater_id"].isin(LLMS)]
    base = _frame(studies[None], "relevance_judgments")
    assert llm["relevant"].tolist() == base.loc[base["rater_id"].isin(LLMS), "relevant"].tolist()


def test_sparse_crowd_truth_drives_the_labels(studies):
    study = studies["sparse-crowd"]
    s2 = study.truth["stage2"]
    workers = study.truth["raters"]["crowd"]
    assert set(s2["raters"]) == {*workers, *LLMS}
    sens = np.array([s2["raters"][w]["sensitivity"] for w in workers])
    spec = np.array([s2["raters"][w]["specificity"] for w in workers])
    # drawn around the human slots' mean logit accuracy, SD 0.5 on the logit scale
    cfg = SimulationConfig().stage2
    assert abs(logit(sens).mean() - logit(np.array(cfg.human_sensitivity)).mean()) < 0.4
    assert 0.2 < logit(spec).std() < 0.9 and len(np.unique(sens)) == 30
    assert sum(s2["raters"][w]["n_labels"] for w in workers) == 3 * len(s2["items"]["z"])
    # pooled over the crowd, YES rates on truly relevant / irrelevant items match the marginal accuracies
    z = np.array(s2["items"]["z"], dtype=bool)
    who = np.array(s2["items"]["human_raters"])
    rj = _frame(study, "relevance_judgments")
    yes = rj[rj["rater_id"].str.startswith("crowd-")]["relevant"].to_numpy().reshape(-1, 3)
    for truly, key, tol in ((True, "sensitivity_marginal", 0.07), (False, "specificity_marginal", 0.025)):
        expected = np.mean([s2["raters"][w][key] for w in who[z == truly].ravel()])
        observed = yes[z == truly].mean() if truly else 1 - yes[z == truly].mean()
        assert abs(observed - expected) < tol, key  # about 3 SE (~150 truly relevant items)


# ------------------------------------------------------------------------------------------------------
# Command line
# ------------------------------------------------------------------------------------------------------


def test_cli_misspecification(tmp_path, capsys):
    out = tmp_path / "crowd"
    args = ["simulate", "--out", str(out), "--scale", "0.2", "--independent", "--seed", "3"]
    assert main([*args, "--misspecification", "sparse-crowd"]) == 0
    assert "misspecification sparse-crowd" in capsys.readouterr().out
    assert load_ground_truth(out)["misspecification"]["name"] == "sparse-crowd"
    assert json.loads((out / "manifest.json").read_text())["provenance"]["misspecification"] == "sparse-crowd"
    with pytest.raises(SystemExit):
        main([*args, "--misspecification", "nonsense"])
