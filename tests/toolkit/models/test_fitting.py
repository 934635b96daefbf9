"""Fitting: fit returns posterior, diagnostics and summaries; samplers; BLAS threads; ModelData input."""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.toolkit.models.conftest import FAST, YesRateModel
from toolkit.models.diagnostics import ESS_BULK_MIN, R_HAT_MAX, ConvergenceWarning
from toolkit.models.fitting import SamplerUnavailableError, available_samplers, fit, one_blas_thread
from toolkit.models.interface import FitSettings, ModelData


def test_fit_returns_posterior_diagnostics_and_tidy_summaries(
    toy_fit: Any, small_study: tuple[Any, dict]
) -> None:
    r = toy_fit
    assert r.diagnostics.ok, r.diagnostics.message
    assert r.diagnostics.max_r_hat <= R_HAT_MAX and r.diagnostics.min_ess_bulk >= ESS_BULK_MIN
    assert r.diagnostics.divergences == 0
    assert "posterior" in r.idata.children and "sample_stats" in r.idata.children
    t = r.summaries["raters"]
    assert {"rater", "mean", "sd", "ci_low", "ci_high", "ess_bulk", "r_hat"} <= set(t.columns)
    assert (t["ci_low"] < t["mean"]).all() and (t["mean"] < t["ci_high"]).all()
    # 95% ETI: the observed YES rate of every rater (thousands of labels) sits inside its interval
    rel = small_study[0].frame("relevance_judgments")
    obs = rel.groupby("rater_id")["relevant"].mean().reindex(t["rater"]).to_numpy()
    assert ((t["ci_low"] <= obs) & (obs <= t["ci_high"])).all()
    assert r.settings == FitSettings(500, 300, 2, 3, "pymc", 0.9)
    assert len(r.data_hash) == 64 and r.wall_time > 0 and r.fit_wall_time > 0


def test_ppc_function_compares_observed_with_replicated(toy_fit: Any) -> None:
    ppc = toy_fit.ppc(rng=0)
    assert {
        "check",
        "group",
        "observed",
        "rep_mean",
        "rep_sd",
        "rep_low",
        "rep_high",
        "p_value",
        "within_ci",
    } <= set(ppc.columns)
    assert ppc["within_ci"].mean() >= 0.8
    assert ((ppc["p_value"] >= 0) & (ppc["p_value"] <= 1)).all()


@pytest.mark.parametrize("sampler", ["nutpie", "numpyro"])
def test_optional_samplers(sampler: str, small_study: tuple[Any, dict], tmp_path: Path) -> None:
    needs = {"nutpie": ["nutpie"], "numpyro": ["jax", "numpyro"]}[sampler]
    installed = all(importlib.util.find_spec(m) is not None for m in needs)
    if not installed:
        with pytest.raises(SamplerUnavailableError, match="not installed"):
            fit(YesRateModel(), small_study[0], sampler=sampler, cache=False)
        assert sampler not in available_samplers()
        pytest.skip(f"{sampler} not installed (optional extra)")
    r = fit(YesRateModel(), small_study[0], sampler=sampler, cache_root=tmp_path, **FAST)
    assert r.diagnostics.ok, r.diagnostics.message
    assert r.settings.sampler == sampler
    assert fit(YesRateModel(), small_study[0], sampler=sampler, cache_root=tmp_path, **FAST).from_cache


def test_unknown_sampler_and_model_are_rejected() -> None:
    with pytest.raises(ValueError, match="sampler"):
        fit(
            YesRateModel(),
            ModelData({"yes": np.array([1]), "n": np.array([2])}, {"rater": ["a"]}),
            sampler="stan",
        )
    with pytest.raises(KeyError, match="unknown model"):
        fit("no-such-model", cache=False)


def test_sampling_limits_blas_to_one_thread() -> None:
    from threadpoolctl import threadpool_info

    with one_blas_thread():
        blas = [p for p in threadpool_info() if p.get("user_api") == "blas"]
        assert all(p["num_threads"] == 1 for p in blas)


def test_fit_accepts_model_data_and_names(small_study: tuple[Any, dict]) -> None:
    data = YesRateModel().prepare(small_study[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        r = fit(YesRateModel(), data, cache=False, draws=100, tune=100, chains=2, seed=2)
    assert r.data_hash == data.hash and r.data is data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        by_name = fit("test-yes-rate", data, cache=False, draws=100, tune=100, chains=2, seed=2)
    assert by_name.model == YesRateModel()
    np.testing.assert_array_equal(by_name.idata["posterior"]["p"].values, r.idata["posterior"]["p"].values)


def test_fit_result_is_built_in_one_place() -> None:
    """The fresh-fit and cache-load paths share one FitResult construction (no second copy to drift)."""
    import inspect

    from toolkit.models import fitting, posterior_cache

    assert inspect.getsource(fitting).count("FitResult(") == 1
    assert "FitResult" not in inspect.getsource(posterior_cache)
