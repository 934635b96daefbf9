"""The "from tables" entry point, and the peers' convention for units with fewer than two values.

Units with fewer than two values are unpairable: Krippendorff (2011), the ``krippendorff`` package and
Gwet's ``irrCAC`` skip them; here they are skipped and counted (``details=True``), never an error.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.toolkit.agreement.data import nan
from toolkit import agreement as ag
from toolkit.agreement.tables import count_profiles

krippendorff = pytest.importorskip("krippendorff")


def _ratings(seed: int, n_items: int = 80, n_raters: int = 5, k: int = 3, missing: float = 0.45) -> np.ndarray:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, k, n_items)
    wide = np.where(rng.random((n_items, n_raters)) < 0.7, truth[:, None], rng.integers(0, k, (n_items, n_raters)))
    wide = wide.astype(float)
    wide[rng.random(wide.shape) < missing] = nan
    wide[:3] = nan  # empty units
    wide[3, 1:] = nan  # a unit with one value
    return wide


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_alpha_skips_unpairable_units_like_the_krippendorff_package(level: str) -> None:
    wide = _ratings(1)
    res = ag.krippendorff_alpha(wide.T, level=level, details=True)
    theirs = krippendorff.alpha(wide.T, level_of_measurement=level)
    assert res.value == pytest.approx(theirs, abs=1e-10)
    m = (~np.isnan(wide)).sum(axis=1)
    assert (res.n_units, res.n_pairable, res.n_empty) == (80, int((m >= 2).sum()), int((m == 0).sum()))
    assert res.n_skipped == int((m < 2).sum()) >= 4
    assert ag.krippendorff_alpha(wide.T, level=level) == res.value
    counts = ag.multirater.category_counts(np.nan_to_num(wide, nan=-1).astype(int), 3)
    values = np.arange(3.0)
    assert ag.alpha_from_counts(counts, level, values=values).value == pytest.approx(res.value, abs=1e-12)


def test_nothing_pairable_is_nan_not_an_error() -> None:
    assert np.isnan(ag.krippendorff_alpha(np.array([[1.0, nan], [nan, 2.0]]), level="nominal"))
    res = ag.fleiss_kappa(np.array([[1, nan], [nan, 2]]), details=True)
    assert np.isnan(res.value) and (res.n_pairable, res.n_skipped) == (0, 2)


@pytest.mark.parametrize("name", ["fleiss_kappa", "gwet_ac1", "percent_agreement"])
def test_multirater_skips_empty_items_as_if_dropped(name: str) -> None:
    wide = _ratings(2)
    fn = getattr(ag, name)
    res = fn(wide, details=True)
    rated = ~np.isnan(wide).all(axis=1)
    assert res.value == pytest.approx(fn(wide[rated]), abs=1e-15)
    assert res.n_empty == int((~rated).sum()) >= 3 and res.n_units == 80 and res.n_skipped >= 4
    counts = ag.multirater.category_counts(np.nan_to_num(wide, nan=-1).astype(int), 3)
    profiles, mult = count_profiles(counts)
    assert mult.sum() == 80 and len(profiles) < 80
    assert ag.multirater_from_counts(profiles, name, multiplicity=mult).value == res.value  # to the bit


def test_fleiss_matches_statsmodels_and_majority_reports_empty_items() -> None:
    from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss

    wide = _ratings(3, missing=0.0)[4:]  # complete rows: statsmodels' convention
    counts = ag.multirater.category_counts(wide.astype(int), 3)
    assert ag.fleiss_kappa(wide) == pytest.approx(sm_fleiss(counts), abs=1e-12)
    out = ag.majority_vote(np.array([[1, 2, 2], [nan, nan, nan]]))
    assert out["label"].tolist() == [2, pd.NA] and out["n_raters"].tolist() == [3, 0]
    assert out["tie"].tolist() == [False, False] and np.isnan(out["share"].iloc[1])


def test_pairwise_from_tables_is_the_in_memory_frame() -> None:
    rng = np.random.default_rng(4)
    long = pd.DataFrame({"item": np.repeat(np.arange(60), 3), "rater": np.tile(["a", "b", "c"], 60),
                         "label": rng.integers(0, 3, 180)})
    kw = {"item": "item", "rater": "rater", "label": "label"}
    out = ag.pairwise_agreement(long, **kw, metric="krippendorff_alpha", level="ordinal")
    counts = np.zeros((3, 3, 3))
    wide = long.pivot(index="item", columns="rater", values="label").to_numpy()
    for p, (i, j) in enumerate([(0, 1), (0, 2), (1, 2)]):
        np.add.at(counts[p], (wide[:, i], wide[:, j]), 1)
    tables = ag.PairTables.all_pairs(["a", "b", "c"], [0, 1, 2], counts)
    assert ag.pairwise_from_tables(tables, metric="krippendorff_alpha", level="ordinal").equals(out)
    groups = {"x": ["a", "b"], "y": ["c"]}
    assert ag.group_from_tables(tables, groups, metric="cohen_kappa").equals(
        ag.group_agreement(long, **kw, groups=groups, n_boot=0))
    with pytest.raises(ValueError, match="shape"):
        ag.PairTables.all_pairs(["a", "b"], [0, 1, 2], counts)
