"""Convergence checks: the bar, divergences, and a loud verdict that names the remedy."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pytest

from tests.toolkit.models.conftest import YesRateModel
from toolkit.models.diagnostics import (
    ESS_BULK_MIN,
    R_HAT_MAX,
    ConvergenceError,
    ConvergenceWarning,
    Diagnostics,
    diagnose,
    flat_labels,
    report,
)
from toolkit.models.fitting import fit


def test_convergence_failure_is_loud_and_names_the_remedy(small_study: tuple[Any, dict]) -> None:
    model = YesRateModel()
    with pytest.warns(ConvergenceWarning) as record:
        r = fit(model, small_study[0], draws=20, tune=20, chains=2, seed=1, cache=False)
    assert not r.diagnostics.ok
    text = str(record[0].message)
    assert "CONVERGENCE BAR MISSED" in text and "Remedy" in text and "draws" in text
    assert record[0].filename == __file__  # the warning points at the caller of fit
    assert r.diagnostics.min_ess_bulk < ESS_BULK_MIN
    with pytest.raises(ConvergenceError, match="Remedy"):
        fit(model, small_study[0], draws=20, tune=20, chains=2, seed=1, cache=False, strict=True)


def test_diagnose_counts_divergences_and_recommends_target_accept() -> None:
    import xarray as xr

    rng = np.random.default_rng(0)
    post = xr.Dataset({"x": (("chain", "draw"), rng.normal(size=(2, 500)))})
    div = np.zeros((2, 500), dtype=bool)
    div[0, :3] = True
    stats = xr.Dataset({"diverging": (("chain", "draw"), div)})
    d = diagnose(xr.DataTree.from_dict({"posterior": post, "sample_stats": stats}))
    assert d.divergences == 3 and not d.ok and "target_accept" in d.message
    none = stats.assign(diverging=(("chain", "draw"), np.zeros_like(div)))
    good = diagnose(xr.DataTree.from_dict({"posterior": post, "sample_stats": none}))
    assert good.ok and good.max_r_hat < R_HAT_MAX


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # r-hat of a constant
def test_diagnose_names_the_worst_scalar_and_skips_constants() -> None:
    import xarray as xr

    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 500, 2))
    x[1, :, 1] += 3.0  # chains disagree on x[b]
    post = xr.Dataset(
        {
            "x": (("chain", "draw", "k"), x),
            "fixed": (("chain", "draw"), np.zeros((2, 500))),  # constant: r-hat undefined, ignored
        },
        coords={"k": ["a", "b"]},
    )
    d = diagnose(xr.DataTree.from_dict({"posterior": post}))
    assert not d.ok and d.worst_r_hat == "x[b]" and d.divergences == 0
    assert "chains=4" in d.message and np.isfinite(d.max_r_hat)
    assert diagnose(xr.DataTree.from_dict({"posterior": post}), ["fixed"]).worst_r_hat == ""
    assert flat_labels(post["x"].isel(chain=0, draw=0)) == ["x[a]", "x[b]"]
    assert flat_labels(post["fixed"].isel(chain=0, draw=0)) == ["fixed"]


def test_report_logs_a_pass_and_warns_or_raises_on_a_miss(caplog: pytest.LogCaptureFixture) -> None:
    passed = Diagnostics(1.0, 1000.0, 900.0, 0, "", "", True, "converged")
    missed = Diagnostics(1.2, 50.0, 40.0, 0, "x", "x", False, "CONVERGENCE BAR MISSED: ... Remedy: more")
    with caplog.at_level(logging.INFO, logger="toolkit.models"):
        report(passed, "toy model", strict=False)
    assert "toy model: converged" in caplog.text
    with pytest.warns(ConvergenceWarning, match="toy model: CONVERGENCE BAR MISSED"):
        report(missed, "toy model", strict=False)
    with pytest.raises(ConvergenceError, match="Remedy"):
        report(missed, "toy model", strict=True)
