"""Posterior draws to tidy tables: intervals, summary rows, PPC rows, numerically stable logistic."""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.models.summaries import (
    CI_PROB,
    UNDEFINED,
    draws_of,
    expit,
    interval,
    log_expit,
    ppc_misfits,
    ppc_row,
    summarize_samples,
)


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


def test_ppc_row_reports_an_undefined_statistic_as_undefined_not_as_a_misfit() -> None:
    rng = np.random.default_rng(2)
    for observed, replicated in [(np.nan, rng.normal(size=400)), (0.3, np.full(400, np.nan))]:
        row = ppc_row("majority yes share", observed, replicated, group="crowd")
        assert np.isnan(row["p_value"]) and row["within_ci"] and not row["defined"]
        assert row["note"] == UNDEFINED == "undefined on this design"
    # draws on which the statistic is undefined are left out and counted, not read as p = 0
    rep = np.concatenate([rng.normal(size=300), np.full(100, np.nan)])
    row = ppc_row("x", 0.0, rep)
    assert row["defined"] and row["p_value"] > 0.8 and row["within_ci"] and np.isfinite(row["rep_mean"])
    assert row["note"] == "undefined in 100 of 400 replicated draws"
    assert ppc_row("x", 0.0, rng.normal(size=400))["note"] == ""
    table = pd.DataFrame(
        [
            ppc_row("fits", 0.0, rng.normal(size=400)),
            ppc_row("misfit", 9.0, rng.normal(size=400)),
            ppc_row("undefined", np.nan, rng.normal(size=400)),
        ]
    )
    assert list(ppc_misfits(table)["check"]) == ["misfit"]
