"""Simulation-based calibration, quick versions: the data generators are the models' own, a replication gives
ranks in range, and SBC flags a deliberately wrong model (the truths' prior differs from the fit's prior).

The full studies (200 replications per model) are ``benchmarks/calibration.py``."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.models import get_model
from toolkit.replication import get_study, run_study
from toolkit.studies.rank_ecdf import RANK_PREFIX
from toolkit.studies.sbc import draw_parameters, posterior_ranks, summarize
from toolkit.studies.sbc_models import ADAPTERS, design_data

TINY = {"size_scale": 0.1, "draws": 100, "tune": 150, "chains": 2, "n_ranks": 9}


@pytest.mark.parametrize("name", ["correlation", "extraction", "judge", "rating"])  # variants: their own tests
def test_simulated_data_have_the_design_and_differ_by_draw(name: str) -> None:
    """Each model's generator keeps the design (shapes, missingness) and new parameters give new data."""
    model = get_model(name)
    base = design_data(model, 0.1, 1)
    pm_model = model.build(base)
    sims = []
    for seed in (1, 2):
        params = draw_parameters(model, pm_model, seed, shared=ADAPTERS[name].shared)
        sims.append(ADAPTERS[name].simulate(model, params, base, np.random.default_rng(seed)))
    key = {"judge": "labels", "extraction": "judgment_label", "rating": "y", "correlation": "y"}[name]
    a, b = (s.arrays[key] for s in sims)
    assert a.shape == base.arrays[key].shape == b.shape
    assert not np.array_equal(a, b)
    if name == "judge":
        assert np.array_equal(a < 0, base.arrays["labels"] < 0)  # the same missing labels
    if name == "rating":
        assert set(np.unique(a)) <= set(range(5))


def test_shared_human_parameters_are_one_draw_in_every_submodel() -> None:
    model = get_model("correlation")
    base = design_data(model, 0.1, 1)
    params = draw_parameters(model, model.build(base), 3, shared=ADAPTERS["correlation"].shared)
    for v in ("mu", "loading", "sigma"):
        assert np.all(params[v] == params[v][0])


def test_prior_shift_moves_the_truth_and_its_deterministics() -> None:
    model = get_model("extraction")
    pm_model = model.build(design_data(model, 0.1, 1))
    plain = draw_parameters(model, pm_model, 5)
    shifted = draw_parameters(model, pm_model, 5, prior_shift={"w_mean_raw": 4.0})
    assert shifted["w_mean_raw"] == pytest.approx(plain["w_mean_raw"] + 4.0)
    assert np.all(shifted["w"] > plain["w"])  # w = mean + deviations: the deterministic was recomputed
    with pytest.raises(ValueError, match="not a free variable"):
        draw_parameters(model, pm_model, 5, prior_shift={"alpha": 1.0})


def test_ranks_count_draws_below_the_truth() -> None:
    import xarray as xr

    post = xr.Dataset({"a": (("chain", "draw", "k"), np.arange(40.0).reshape(2, 10, 2))})
    ranks = posterior_ranks({"posterior": post}, ["a"], {"a": np.array([100.0, -1.0])}, 9)
    assert ranks == {f"{RANK_PREFIX}a[0]": 9.0, f"{RANK_PREFIX}a[1]": 0.0}


@pytest.mark.filterwarnings("ignore")
def test_sbc_flags_a_wrong_prior_and_passes_the_right_one(tmp_path) -> None:
    """Four replications of the extraction model on a tiny design, each a real PyMC fit. With the truths of
    the users' SD drawn from its HalfNormal(1) prior shifted by +5 (the fit keeps HalfNormal(1), which pulls
    the posterior of ~8 users' spread far below the truth), SBC flags ``sd_user``; with the model's own
    prior it flags nothing."""
    study = get_study("sbc-extraction")
    seeds = range(1, 5)
    # two local workers: the same process-pool path as `recenter calibrate --workers 2`, and half the wait
    right = run_study(study, TINY, seeds, cache_dir=tmp_path, workers=2)
    wrong = run_study(study, {**TINY, "prior_shift": {"sd_user": 5.0}}, seeds, cache_dir=tmp_path, workers=2)
    ranks = [c for c in right if c.startswith(RANK_PREFIX)]
    assert ranks and all(right[c].between(0, 9).all() for c in ranks)
    v_right = summarize(right, {**study.design, **TINY}).set_index("parameter")
    v_wrong = summarize(wrong, {**study.design, **TINY}).set_index("parameter")
    assert not v_wrong.loc["sd_user", "inside_familywise"]
    assert (wrong[RANK_PREFIX + "sd_user"] == 9).all()
    assert v_right["inside_familywise"].all(), v_right[~v_right["inside_familywise"]]


def test_ordered_variables_are_drawn_from_the_ordered_prior() -> None:
    """PyMC's forward sampler ignores the ordered transform (it drew unordered cutpoints, and SBC flagged the
    rating model's outer cutpoints); the truths must come from the prior restricted to increasing values."""
    model = get_model("rating")
    pm_model = model.build(design_data(model, 0.1, 1))
    for seed in range(8):
        params = draw_parameters(model, pm_model, seed)
        assert np.all(np.diff(params["cutpoints_rel"]) > 0) and np.all(np.diff(params["cutpoints"]) > 0)
