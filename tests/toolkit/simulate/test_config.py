"""The simulator's configuration (toolkit.simulate.config): scaling and the study's vocabulary."""

from __future__ import annotations

import pytest

from schemas import FailureMode
from toolkit import vocabulary
from toolkit.simulate import DEFAULT_SEED, SimulationConfig, simulate
from toolkit.simulate.config import BASELINES, FAILURE_MODES, LLMS, SOURCES


def test_small_and_scaled_configs():
    small = simulate(SimulationConfig.small(), seed=3)
    users = small.records["users"]
    assert 10 <= len(users) <= 20
    assert len(small.records["attributes"]) == round(1983 * 0.2)
    doubled = SimulationConfig().scaled(2)
    assert doubled.size_scale == 2 and doubled.rater_scale == 2
    assert SimulationConfig().scaled(2, raters=False).rater_scale == 1
    assert SimulationConfig().scaled(1.5).rater_scale == 1
    with pytest.raises(ValueError):
        SimulationConfig().scaled(0)


def test_names_come_from_the_vocabulary():
    assert LLMS == vocabulary.LLM_ORDER
    assert SOURCES == vocabulary.SOURCE_ORDER
    assert BASELINES == vocabulary.BASELINE_ORDER
    assert FAILURE_MODES == tuple(m.value for m in FailureMode)
    assert DEFAULT_SEED == vocabulary.DEFAULT_SEED


def test_config_keys_name_the_study_models():
    cfg = SimulationConfig()
    assert set(cfg.stage2.llm_sensitivity) == set(LLMS) == set(cfg.stage3.beta)
    assert set(cfg.stage1.alpha) == set(SOURCES)
    assert set(cfg.stage2.baseline_operating_points) == set(BASELINES)
    assert set(cfg.stage1.failure_mode_shares) == set(FAILURE_MODES)
