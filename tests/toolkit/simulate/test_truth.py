"""The ground truth of a simulated study (toolkit.simulate._truth): documented keys, agreement with the config
and with the drawn judgments."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from toolkit.simulate import DEFAULT_SEED, LLMS, REWARD_MODELS, SimulationConfig, load_ground_truth


def test_ground_truth(study, written):
    truth = load_ground_truth(written)
    assert truth == json.loads(json.dumps(study.truth))
    assert truth["seed"] == DEFAULT_SEED and truth["balanced"] is True
    s1, s2, s3 = truth["stage1"], truth["stage2"], truth["stage3"]
    cfg = SimulationConfig()
    assert (
        s1["alpha"] == cfg.stage1.alpha
        and len(s1["v"]) == 77
        and set(s1["w"]) == {"human-1", "human-2", "human-3"}
    )
    assert set(s1["derived"]) >= {
        "label_shares_population",
        "problematic_gap_population",
        "problematic_gap_sample",
    }
    assert len(s2["items"]["z"]) == 3973 and set(s2["items"]["z"]) <= {0, 1}
    assert len(s2["b"]) == 41 and s2["sd_shared"] == cfg.stage2.sd_shared
    for j in LLMS:
        assert s2["raters"][j]["sensitivity"] == cfg.stage2.llm_sensitivity[j]
        assert 0.40 <= s2["raters"][j]["yes_rate_population"] <= 0.60
    assert abs(s2["derived"]["prevalence_sample"] - s2["derived"]["prevalence_population"]) < 0.02
    assert s3["gamma"]["human"] == 0.0 and s3["beta"] == cfg.stage3.beta
    assert len(s3["units"]["Q"]) == 367 and len(s3["items"]["q"]) == 80
    for scorer in ("human", *LLMS, *REWARD_MODELS):
        lc = s3["latent_correlation_with_Q"][scorer]
        assert abs(lc["analytic"] - lc["sample"]) < 0.08, scorer
    # reward scores: latent correlation with Q is rho in-sample (balanced sampling)
    for rid in REWARD_MODELS:
        assert abs(s3["latent_correlation_with_Q"][rid]["sample"] - cfg.stage3.reward_rho[rid]) < 0.02
    assert s3["conditioning"]["accepted"]


def test_truth_latent_labels_drive_the_judgments(study):
    """Each rater's YES rate on truly relevant (z = 1) and irrelevant items matches its marginal sensitivity
    and specificity in the truth."""
    truth = study.truth["stage2"]
    z = np.array(truth["items"]["z"], dtype=bool)
    rj = pd.DataFrame(list(study.iter_dicts("relevance_judgments")))
    for rid in ("human-1", "human-3", *LLMS):
        yes = rj.loc[rj["rater_id"] == rid, "relevant"].to_numpy()
        r = truth["raters"][rid]
        assert abs(yes[z].mean() - r["sensitivity_marginal"]) < 0.03, rid
        assert abs(1 - yes[~z].mean() - r["specificity_marginal"]) < 0.03, rid
