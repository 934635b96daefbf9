"""The draws (toolkit.simulate._stages): a seed and a config always give the same study."""

from __future__ import annotations

from toolkit.simulate import SimulationConfig, simulate


def test_determinism():
    a = simulate(SimulationConfig.small(), seed=5)
    b = simulate(SimulationConfig.small(), seed=5)
    c = simulate(SimulationConfig.small(), seed=6)
    assert a.truth == b.truth
    assert list(a.iter_dicts("relevance_judgments")) == list(b.iter_dicts("relevance_judgments"))
    assert a.truth["stage2"]["items"]["z"] != c.truth["stage2"]["items"]["z"]
