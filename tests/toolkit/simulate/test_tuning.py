"""How the calibrated defaults were derived (toolkit.simulate.tuning): the tuning gives them back when passed
the paper's targets (which the caller reads; the simulator never does)."""

from __future__ import annotations

import numpy as np
import pytest

from analyses.published import published
from toolkit.simulate import SimulationConfig, tuning


@pytest.fixture(scope="module")
def targets() -> dict[str, float]:
    return {key: published(key) for key in tuning.TARGET_KEYS}


def test_defaults_are_derived_by_tuning(targets):
    """The calibrated defaults are reproducible: the analytic parts of toolkit.simulate.tuning give them back."""
    cfg = SimulationConfig()
    assert tuning.tune_stage1(cfg, targets) == cfg.stage1
    assert tuning.tune_stage2(cfg, targets) == cfg.stage2
    s3 = tuning.solve_stage3_analytic(cfg.stage3, targets)
    assert np.allclose(s3.cutpoints, cfg.stage3.cutpoints, atol=1e-3)
    for name in ("beta", "gamma", "delta"):
        got, want = getattr(s3, name), getattr(cfg.stage3, name)
        assert all(abs(got[k] - want[k]) < 1e-3 for k in want), name


def test_targets_are_an_argument(targets):
    """Other targets give other parameters; a missing target is a clear error."""
    cfg = SimulationConfig()
    moved = tuning.tune_stage1(cfg, {**targets, "fig2.wildchat_accept_rate": 0.70})
    assert moved.alpha["wildchat"] > cfg.stage1.alpha["wildchat"]
    partial = {k: v for k, v in targets.items() if k != "fig2.problematic_gap"}
    with pytest.raises(KeyError, match="fig2.problematic_gap"):
        tuning.tune_stage1(cfg, partial)
