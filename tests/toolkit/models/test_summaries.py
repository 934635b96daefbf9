"""Posterior draws to tidy tables: intervals, summary rows, PPC rows, numerically stable logistic."""

from __future__ import annotations

import numpy as np

from toolkit.models.summaries import CI_PROB, draws_of, expit, interval, log_expit, ppc_row, summarize_samples


def test_summary_helpers() -> None:
    rng = np.random.default_rng(1)
    s = rng.normal(size=(20000, 2)) * [1.0, 2.0] + [0.0, 5.0]
    t = summarize_samples(s, {"name": ["a", "b"]})
    assert list(t.columns) == ["name", "mean", "sd", "ci_low", "ci_high"]
    np.testing.assert_allclose(t["ci_low"], [-1.96, 5 - 3.92], atol=0.06)
    np.testing.assert_allclose(t["sd"], [1.0, 2.0], atol=0.03)
    row = ppc_row("x", 10.0, rng.normal(size=4000), group="g")
    assert row["p_value"] < 0.01 and not row["within_ci"]
    assert ppc_row("x", 0.0, rng.normal(size=4000))["p_value"] > 0.8
    assert CI_PROB == 0.95


def test_interval_is_equal_tailed() -> None:
    draws = np.arange(1001, dtype=float)
    np.testing.assert_allclose(interval(draws), (25.0, 975.0), rtol=1e-12)
    np.testing.assert_allclose(interval(draws, prob=0.90), (50.0, 950.0), rtol=1e-12)
    low, high = interval(np.stack([draws, 2 * draws], axis=1))
    np.testing.assert_allclose(low, [25.0, 50.0], rtol=1e-12)
    np.testing.assert_allclose(high, [975.0, 1950.0], rtol=1e-12)


def test_logistic_helpers_do_not_overflow() -> None:
    x = np.array([-1000.0, -1.0, 0.0, 1.0, 1000.0])
    with np.errstate(over="raise", invalid="raise"):
        p, lp = expit(x), log_expit(x)
    np.testing.assert_allclose(p, [0.0, 1 / (1 + np.e), 0.5, 1 / (1 + np.exp(-1)), 1.0])
    np.testing.assert_allclose(lp[1:], np.log(p[1:]))
    assert lp[0] == -1000.0


def test_draws_of_flattens_chains_and_draws() -> None:
    import xarray as xr

    values = np.arange(2 * 3 * 4).reshape(2, 3, 4)
    tree = xr.DataTree.from_dict({"posterior": xr.Dataset({"v": (("chain", "draw", "k"), values)})})
    np.testing.assert_array_equal(draws_of(tree, "v"), values.reshape(6, 4))
