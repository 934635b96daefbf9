"""Convergence checks: the bar, divergences, and a loud verdict that names the remedy."""

from __future__ import annotations

import logging
from typing import Any

import attrs
import numpy as np
import pytest

from tests.toolkit.models.conftest import YesRateModel
from toolkit.models.diagnostics import (
    ESS_BULK_MIN,
    ESS_TAIL_MIN,
    R_HAT_MAX,
    ConvergenceError,
    ConvergenceWarning,
    Diagnostics,
    diagnose,
    flat_labels,
    rejudge,
    report,
    verdict,
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


def _clustered_upper_tail(seed: int, chains: int = 4, draws: int = 1000, block: int = 25) -> np.ndarray:
    """Normal draws whose top 5% come in runs of ``block`` within each chain: the bulk mixes, the tail does
    not (bulk ESS ~660, tail ESS ~370 for seed 0)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(chains, draws))
    for c in range(chains):
        v = x[c]
        high = v > np.quantile(v, 0.95)
        runs = np.array_split(v[high], high.sum() // block)
        rest = v[~high]
        starts = np.sort(rng.choice(rest.size, size=len(runs), replace=False))
        pieces = np.split(rest, starts)
        x[c] = np.concatenate(
            [pieces[0], *(np.concatenate([r, p]) for r, p in zip(runs, pieces[1:], strict=True))]
        )
    return x


def test_tail_ess_alone_misses_the_bar() -> None:
    import xarray as xr

    post = xr.Dataset(
        {
            "x": (
                ("chain", "draw", "k"),
                np.stack([_clustered_upper_tail(0), _clustered_upper_tail(1)], axis=-1),
            )
        },
        coords={"k": ["a", "b"]},
    )
    d = diagnose(xr.DataTree.from_dict({"posterior": post}))
    assert d.max_r_hat <= R_HAT_MAX and d.min_ess_bulk >= ESS_BULK_MIN and d.divergences == 0
    assert d.min_ess_tail < ESS_TAIL_MIN and not d.ok
    assert d.worst_ess_tail in {"x[a]", "x[b]"}
    assert f"min tail ESS {d.min_ess_tail:.0f} < {ESS_TAIL_MIN} (worst: {d.worst_ess_tail}" in d.message
    assert "bulk ESS" not in d.message and "Remedy: increase draws" in d.message
    with pytest.warns(ConvergenceWarning, match="tail ESS"):
        report(d, "toy model", strict=False)


def test_verdict_judges_each_part_of_the_bar() -> None:
    good = {
        "max_r_hat": 1.002,
        "min_ess_bulk": 900.0,
        "min_ess_tail": 800.0,
        "divergences": 0,
        "sampling_time": 1.0,
    }
    ok = verdict(**good)
    assert ok.ok and "min tail ESS 800 >= 400" in ok.message
    for change, words in [
        ({"max_r_hat": 1.05}, "r-hat"),
        ({"min_ess_bulk": 300.0}, "bulk ESS"),
        ({"min_ess_tail": 399.0}, "tail ESS"),
        ({"min_ess_tail": float("nan")}, "tail ESS"),
        ({"divergences": 2}, "divergent"),
    ]:
        d = verdict(**{**good, **change})
        assert not d.ok and words in d.message, change
    # both ESS short: one remedy, sized by the shorter one (tail 200 of 400: about 2x the draws)
    both = verdict(**{**good, "min_ess_bulk": 300.0, "min_ess_tail": 200.0})
    assert both.message.count("increase draws") == 1 and "2.0x" in both.message
    # stored diagnostics are re-judged by the current bar
    stale = attrs.evolve(ok, min_ess_tail=150.0)
    assert stale.ok and not rejudge(stale, n_chains=4).ok
    assert rejudge(ok, n_chains=4) == ok
