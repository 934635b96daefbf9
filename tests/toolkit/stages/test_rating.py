"""toolkit.stages.rating on the small simulated study."""

from __future__ import annotations

import pytest

from toolkit import stages as st
from toolkit.views import rating_long


def test_mention_rates_and_differences_equal_direct_computation(small_ds):
    long = rating_long(small_ds)
    cells = long.drop_duplicates("cell")
    rates = st.mention_rates(small_ds, n_boot=50, seed=0).set_index("generator")
    assert rates["value"].to_dict() == pytest.approx(cells.groupby("generator")["mention"].mean().to_dict())
    diffs = st.mention_differences(small_ds, n_boot=50, seed=0).set_index("judge")
    h = long[long["judge"] == "human"]
    expected = h.loc[h["mention"], "rating"].mean() - h.loc[~h["mention"], "rating"].mean()
    assert diffs.loc["human", "value"] == pytest.approx(expected)
