"""Stage 3's draws and rank statistics (toolkit.simulate._ratings)."""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata as scipy_rankdata

from toolkit.simulate._ratings import rankdata


def test_internal_ranks_match_scipy():
    rng = np.random.default_rng(0)
    for _ in range(20):
        x = rng.integers(1, 6, (37, 4)).astype(float)
        assert np.allclose(rankdata(x, axis=0), scipy_rankdata(x, axis=0))
        y = rng.standard_normal(25)
        assert np.allclose(rankdata(y), scipy_rankdata(y))
