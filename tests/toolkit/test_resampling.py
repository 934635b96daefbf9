"""Tests of toolkit.resampling: the two draw methods of the cluster bootstrap, sums against a dense loop and
independent of chunking, the percentile rule (exactly numpy's quantile; NaN resamples left out), the
Wilson interval against Newcombe (1998), the ratio bootstrap, cluster codes and the permutation test."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse, stats

from tests.toolkit.imports import TOOLKIT, toolkit_imports
from toolkit import resampling as rs

FAST = settings(max_examples=40, deadline=None)


@pytest.mark.parametrize("n_clusters", [1, 3, 12])
def test_both_draw_methods_have_the_same_multiplicity_distribution(n_clusters: int) -> None:
    n_boot = 20_000
    w_index = rs.cluster_weights(np.random.default_rng(0), n_boot, n_clusters, method="index")
    w_multi = rs.cluster_weights(np.random.default_rng(0), n_boot, n_clusters, method="multinomial")
    for w in (w_index, w_multi):
        assert w.shape == (n_boot, n_clusters) and (w >= 0).all()
        assert (w.sum(axis=1) == n_clusters).all()  # every resample has as many clusters as the data
    # Multiplicities are Multinomial(n, 1/n): mean 1 and variance 1 - 1/n per cluster, for both methods.
    se = np.sqrt((1 - 1 / n_clusters) / n_boot) + 1e-12
    np.testing.assert_allclose(w_index.mean(axis=0), 1.0, atol=5 * se)
    np.testing.assert_allclose(w_multi.mean(axis=0), 1.0, atol=5 * se)
    np.testing.assert_allclose(w_index.mean(axis=0), w_multi.mean(axis=0), atol=7 * se)
    np.testing.assert_allclose(w_index.var(axis=0), 1 - 1 / n_clusters, atol=0.05)
    np.testing.assert_allclose(w_multi.var(axis=0), 1 - 1 / n_clusters, atol=0.05)


def test_index_method_counts_uniform_index_draws() -> None:
    """The agreement/classification scheme: n draws of a cluster index per resample, counted."""
    draws = np.random.default_rng(3).integers(0, 7, size=(50, 7))
    expected = np.stack([np.bincount(row, minlength=7) for row in draws])
    np.testing.assert_array_equal(rs.cluster_weights(np.random.default_rng(3), 50, 7), expected)
    with pytest.raises(ValueError, match="method must be"):
        rs.cluster_weights(np.random.default_rng(3), 5, 7, method="poisson")


def test_bootstrap_sums_equal_dense_products_and_do_not_depend_on_chunking(monkeypatch) -> None:
    rng = np.random.default_rng(1)
    dense = (rng.random((30, 8)) < 0.3) * rng.integers(1, 4, size=(30, 8))
    incidence = sparse.csr_matrix(dense.astype(float))
    out = rs.bootstrap_sums(incidence, 101, seed=5)
    expected = rs.cluster_weights(np.random.default_rng(5), 101, 30) @ dense
    np.testing.assert_array_equal(out, expected)
    assert out.dtype == np.float64 and out.shape == (101, 8)
    monkeypatch.setattr(rs, "_BLOCK_CELLS", 7 * 30)  # 7 resamples per chunk
    np.testing.assert_array_equal(rs.bootstrap_sums(incidence, 101, seed=5), out)
    np.testing.assert_array_equal(rs.bootstrap_sums(incidence, 101, seed=np.random.default_rng(5)), out)
    assert rs.bootstrap_sums(incidence, 0, seed=5).shape == (0, 8)


@FAST
@given(
    st.integers(1, 60),
    st.integers(1, 4),
    st.floats(0.5, 0.99),
    st.integers(0, 2**32 - 1),
)
def test_percentile_interval_is_numpy_quantile_without_nan(n: int, cols: int, ci: float, seed: int) -> None:
    samples = np.random.default_rng(seed).normal(size=(n, cols))
    lo, hi = rs.percentile_interval(samples, ci)
    alpha = (1 - ci) / 2
    ref_lo, ref_hi = np.quantile(samples, [alpha, 1 - alpha], axis=0)
    np.testing.assert_array_equal(lo, ref_lo)
    np.testing.assert_array_equal(hi, ref_hi)
    # ... and bit-identical to the NaN-aware rule the statistics used before (always np.nanquantile).
    np.testing.assert_array_equal(lo, np.nanquantile(samples, alpha, axis=0))
    np.testing.assert_array_equal(hi, np.nanquantile(samples, 1 - alpha, axis=0))
    lo_t, hi_t = rs.percentile_interval(samples.T, ci, axis=1)
    np.testing.assert_array_equal(lo_t, lo)
    np.testing.assert_array_equal(hi_t, hi)


def test_percentile_interval_omits_nan_resamples() -> None:
    samples = np.array(
        [[0.0, np.nan, np.nan], [1.0, 2.0, np.nan], [2.0, np.nan, np.nan], [np.nan, 4.0, np.nan]]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an all-NaN column is a documented NaN, not a warning
        lo, hi = rs.percentile_interval(samples, 0.5)
    np.testing.assert_array_equal(lo, [0.5, 2.5, np.nan])
    np.testing.assert_array_equal(hi, [1.5, 3.5, np.nan])
    for j in range(2):  # each column as if its NaN resamples were never drawn
        kept = samples[~np.isnan(samples[:, j]), j]
        assert (lo[j], hi[j]) == tuple(np.quantile(kept, [0.25, 0.75]))
    lo1, hi1 = rs.percentile_interval(np.array([np.nan, 1.0, 3.0]), 0.5)
    assert (float(lo1), float(hi1)) == (1.5, 2.5)


def test_wilson_interval() -> None:
    # Newcombe (1998), Table I, method 3 (Wilson score without continuity correction).
    for (k, n), expected in {(81, 263): (0.2553, 0.3662), (15, 148): (0.0624, 0.1605), (0, 20): (0.0, 0.1611),
                             (1, 29): (0.0061, 0.1718)}.items():  # fmt: skip
        lo, hi = rs.wilson_interval(k, n)
        assert (round(lo, 4), round(hi, 4)) == expected
    lo, hi = rs.wilson_interval(np.array([0, 5, 0]), np.array([10, 10, 0]))
    assert lo[0] == pytest.approx(0.0, abs=1e-15) and hi[1] < 1 and np.isnan(lo[2]) and np.isnan(hi[2])
    assert rs.wilson_interval(10, 10)[1] == 1.0
    assert rs.wilson_interval(5, 100, ci=0.99)[0] < rs.wilson_interval(5, 100)[0]


def test_ratio_bootstrap_equals_weighted_ratio_of_sums() -> None:
    sums = np.array([[1.0, 2.0], [0.0, 3.0], [4.0, 0.0]])
    sizes = np.array([3.0, 3.0, 4.0])
    w = rs.cluster_weights(np.random.default_rng(9), 40, 3, method="multinomial").astype(float)
    np.testing.assert_array_equal(
        rs.ratio_bootstrap(sums, sizes, 40, np.random.default_rng(9)), (w @ sums) / (w @ sizes)[:, None]
    )
    np.testing.assert_array_equal(
        rs.ratio_bootstrap(sums[:, 0], sizes, 40, np.random.default_rng(9)), (w @ sums[:, 0]) / (w @ sizes)
    )


def test_cluster_codes() -> None:
    codes, n = rs.cluster_codes(["b", "a", "b", "c"], 4)
    assert codes.tolist() == [0, 1, 0, 2] and n == 3  # first-appearance order, as pandas.factorize
    codes, n = rs.cluster_codes(np.array([7, 3, 7]), 3)
    np.testing.assert_array_equal(codes, pd.factorize(np.array([7, 3, 7]))[0])
    codes, n = rs.cluster_codes(None, 3)
    assert codes.tolist() == [0, 1, 2] and n == 3
    with pytest.raises(ValueError, match="one id per row"):
        rs.cluster_codes([1, 2], 3)
    with pytest.raises(ValueError, match="missing ids"):
        rs.cluster_codes(["a", None, "b"], 3)


def test_check_bootstrap_and_rng_from() -> None:
    rs.check_bootstrap(0, 0.5)
    rs.check_bootstrap(np.int64(10), 0.95)
    for n_boot, ci, match in ((-1, 0.95, "n_boot"), (2.5, 0.95, "n_boot"), (10, 1.0, "ci"), (10, 0.0, "ci")):
        with pytest.raises(ValueError, match=match):
            rs.check_bootstrap(n_boot, ci)  # type: ignore[arg-type]
    rng = np.random.default_rng(0)
    assert rs.rng_from(rng) is rng
    assert rs.rng_from(4).random() == np.random.default_rng(4).random()


def test_spearman_permutation_p() -> None:
    x, y = [1, 2, 3, 4, 5, 6], [2, 1, 4, 3, 6, 5]
    rho = stats.spearmanr(x, y).statistic
    brute = np.mean([abs(stats.spearmanr(x, perm).statistic) >= abs(rho) - 1e-12
                     for perm in itertools.permutations(y)])  # fmt: skip
    assert rs.spearman_permutation_p(x, y) == pytest.approx(brute, abs=1e-12)
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=12), rng.normal(size=12)
    p = rs.spearman_permutation_p(a, b, n_perm=2000)
    assert 0 < p <= 1 and p == rs.spearman_permutation_p(a, b, n_perm=2000)  # seeded Monte Carlo
    assert rs.spearman_permutation_p(a, a, n_perm=2000) == pytest.approx(1 / 2001)
    assert np.isnan(rs.spearman_permutation_p([1, 2, 3], [4, 4, 4]))
    with pytest.raises(ValueError, match="equal length"):
        rs.spearman_permutation_p([1, 2], [1, 2])


def test_quiet_nan_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with rs.quiet_nan_warnings():
            assert np.isnan(np.nanmean(np.array([np.nan])))
        with pytest.raises(RuntimeWarning):
            np.nanmean(np.array([np.nan]))


def test_resampling_is_a_leaf_module() -> None:
    assert toolkit_imports(TOOLKIT / "resampling.py") == []


# --------------------------------------------------------------------------------------------------
# Design-aware weights: one level and two crossed levels
# --------------------------------------------------------------------------------------------------

USERS = np.repeat(np.arange(6), 8)  # 6 users x 4 prompts, 2 items per (user, prompt) cell
PROMPTS = np.tile(np.repeat(["p1", "p2", "p3", "p4"], 2), 6)


def test_level_weights_have_each_levels_marginals() -> None:
    (w,) = rs.level_weights(USERS, 48, 500, seed=1)
    assert w.shape == (500, 6) and (w.sum(axis=1) == 6).all()
    w_u, w_p = rs.level_weights((USERS, PROMPTS), 48, 500, seed=1)
    assert w_u.shape == (500, 6) and w_p.shape == (500, 4)
    assert (w_u.sum(axis=1) == 6).all() and (w_p.sum(axis=1) == 4).all()  # each level keeps its units
    # One level draws from the generator itself (the stream the toolkit always used) ...
    np.testing.assert_array_equal(w, rs.cluster_weights(np.random.default_rng(1), 500, 6))
    (w_none,) = rs.level_weights(None, 48, 500, seed=1)
    np.testing.assert_array_equal(w_none, rs.cluster_weights(np.random.default_rng(1), 500, 48))
    # ... two levels from two independent children of it.
    assert abs(np.corrcoef(w_u[:, 0], w_p[:, 0])[0, 1]) < 0.15


def test_item_weights_one_level_and_crossed() -> None:
    w_items = rs.item_weights(USERS, 48, 300, seed=2)
    (w,) = rs.level_weights(USERS, 48, 300, seed=2)
    np.testing.assert_array_equal(w_items, w[:, USERS])  # every item gets its cluster's multiplicity
    assert (w_items.sum(axis=1) == 48).all()
    crossed = rs.item_weights((USERS, PROMPTS), 48, 4000, seed=2)
    w_u, w_p = rs.level_weights((USERS, PROMPTS), 48, 4000, seed=2)
    p_codes = pd.factorize(PROMPTS)[0]
    np.testing.assert_array_equal(crossed, w_u[:, USERS] * w_p[:, p_codes])
    # E[w_A w_B] = 1 and Var = (2 - 1/R)(2 - 1/C) - 1 per item (independent Multinomial(n, 1/n) counts).
    np.testing.assert_allclose(crossed.mean(axis=0), 1.0, atol=0.08)
    np.testing.assert_allclose(crossed.var(axis=0).mean(), (2 - 1 / 6) * (2 - 1 / 4) - 1, rtol=0.05)
    np.testing.assert_array_equal(
        rs.item_weights(None, 5, 10, seed=3), rs.cluster_weights(np.random.default_rng(3), 10, 5)
    )


@pytest.mark.parametrize("design", ["none", "one", "crossed"])
def test_bootstrap_sums_with_clusters_equal_item_weight_products(design: str, monkeypatch) -> None:
    clusters = {"none": None, "one": USERS, "crossed": (USERS, PROMPTS)}[design]
    rng = np.random.default_rng(4)
    dense = (rng.random((48, 5)) < 0.4) * rng.integers(1, 3, size=(48, 5))
    incidence = sparse.csr_matrix(dense.astype(float))
    out = rs.bootstrap_sums(incidence, 101, seed=6, clusters=clusters)
    np.testing.assert_array_equal(out, rs.item_weights(clusters, 48, 101, seed=6) @ dense)
    monkeypatch.setattr(rs, "_BLOCK_CELLS", 7 * 48)  # small chunks: same resamples
    np.testing.assert_array_equal(rs.bootstrap_sums(incidence, 101, seed=6, clusters=clusters), out)


def test_bootstrap_sums_without_clusters_is_the_item_bootstrap_bit_for_bit() -> None:
    rng = np.random.default_rng(8)
    incidence = sparse.csr_matrix((rng.random((25, 6)) < 0.5).astype(float))
    expected = rs.cluster_weights(np.random.default_rng(9), 300, 25) @ incidence.toarray()
    np.testing.assert_array_equal(rs.bootstrap_sums(incidence, 300, seed=9), expected)
    np.testing.assert_array_equal(rs.bootstrap_sums(incidence, 300, seed=9, clusters=None), expected)
    # Every item its own cluster (ids in row order) is the same design, so the same resamples.
    np.testing.assert_array_equal(rs.bootstrap_sums(incidence, 300, seed=9, clusters=np.arange(25)), expected)


def test_cluster_levels_reject_bad_designs() -> None:
    with pytest.raises(ValueError, match="one or two levels"):
        rs.cluster_levels((USERS, PROMPTS, USERS), 48)
    with pytest.raises(ValueError, match="one id per row"):
        rs.cluster_levels((USERS, PROMPTS[:10]), 48)
    with pytest.raises(ValueError, match="missing ids"):
        rs.item_weights(np.where(USERS == 2, None, USERS.astype(object)), 48, 5, seed=0)


@pytest.mark.parametrize("design", ["one", "crossed"])
def test_unit_bootstrap_sums_equal_the_item_bootstrap_from_per_unit_sums(design: str, monkeypatch) -> None:
    # The scale path: sums aggregated once per unit (cluster, or occupied user x prompt cell), same draws.
    rng = np.random.default_rng(11)
    dense = (rng.random((48, 5)) < 0.4) * rng.integers(1, 4, size=(48, 5))
    clusters = USERS if design == "one" else (USERS, PROMPTS)
    monkeypatch.setattr(rs, "_BLOCK_CELLS", 7 * 48)  # several chunks of resamples
    expected = rs.bootstrap_sums(sparse.csr_matrix(dense.astype(float)), 97, seed=3, clusters=clusters)
    levels = rs.cluster_levels(clusters, 48)
    if design == "one":
        codes, n = levels[0]
        per_unit = np.zeros((n, 5))
        np.add.at(per_unit, codes, dense)
        got = rs.unit_bootstrap_sums(per_unit.astype(np.float32), 97, seed=3, block_rows=2)
    else:
        (a, n_a), (b, n_b) = levels
        cells, unit = np.unique(a * n_b + b, return_inverse=True)
        per_unit = np.zeros((len(cells), 5))
        np.add.at(per_unit, unit, dense)
        got = rs.unit_bootstrap_sums(per_unit, 97, seed=3, unit_levels=((cells // n_b, n_a), (cells % n_b, n_b)))
    np.testing.assert_array_equal(got, expected)
    assert got.shape == (97, 5) and got.sum() > 0
    with pytest.raises(ValueError, match="one or two levels"):
        rs.unit_bootstrap_sums(per_unit, 3, seed=0, unit_levels=((np.zeros(2, int), 1),))
