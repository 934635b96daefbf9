"""The SBC rank-ECDF test: calibrated ranks pass at the nominal rate, skewed or overdispersed ranks fail."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from toolkit.studies.rank_ecdf import rank_band, rank_counts, sbc_verdicts, tail_statistic


def test_uniform_ranks_pass_at_about_the_nominal_rate() -> None:
    """Under exact uniformity the simultaneous band holds ~95% of the time (not ~60%, as a pointwise band
    checked at 49 points would)."""
    rng = np.random.default_rng(3)
    res = pd.DataFrame({f"rank:p{i}": rng.integers(0, 50, 200) for i in range(300)})
    share = sbc_verdicts(res, 49)["inside"].mean()
    assert 0.92 <= share <= 0.98


@pytest.mark.parametrize(
    "make",
    [
        lambda rng: rng.integers(5, 50, 200),  # posterior sits too low now and then (bias)
        lambda rng: np.clip(rng.normal(24.5, 6, 200).round(), 0, 49).astype(int),  # posterior too wide
        lambda rng: np.where(
            rng.random(200) < 0.5, rng.integers(0, 5, 200), rng.integers(45, 50, 200)
        ),  # too narrow
    ],
)
def test_miscalibrated_ranks_fail(make) -> None:
    rng = np.random.default_rng(4)
    out = sbc_verdicts(pd.DataFrame({"rank:x": make(rng)}), 49)
    assert not out["inside"].iloc[0]


def test_band_matches_the_verdict() -> None:
    """A rank sample is inside the drawn band exactly when the verdict says so."""
    rng = np.random.default_rng(5)
    band = rank_band(100, 19)
    for _ in range(200):
        r = rng.integers(0, 20, 100) if rng.random() < 0.5 else rng.integers(2, 20, 100)
        ecdf = rank_counts(r, 19) / 100
        inside_band = bool(((ecdf >= band["lower"] - 1e-12) & (ecdf <= band["upper"] + 1e-12)).all())
        verdict = bool(sbc_verdicts(pd.DataFrame({"rank:x": r}), 19)["inside"].iloc[0])
        assert inside_band == verdict


def test_familywise_threshold_is_stricter() -> None:
    res = pd.DataFrame({f"rank:p{i}": np.random.default_rng(i).integers(0, 20, 100) for i in range(20)})
    out = sbc_verdicts(res, 19)
    assert (out["threshold_familywise"] < out["threshold"]).all()
    assert (out["inside"] <= out["inside_familywise"]).all()


def test_tail_statistic_is_symmetric() -> None:
    r = np.random.default_rng(6).integers(0, 10, 80)
    assert tail_statistic(rank_counts(r, 9), 80, 9) == pytest.approx(
        tail_statistic(rank_counts(9 - r, 9), 80, 9)
    )
