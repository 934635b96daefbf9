"""Tests of power-scaling prior sensitivity (toolkit/models/prior_sensitivity.py).

A conjugate normal model with exact posterior draws (no MCMC): a strong prior must be flagged, a weak one not;
the log prior must equal scipy's density.
"""

from __future__ import annotations

from typing import Any, ClassVar

import attrs
import numpy as np
import pytest
import xarray as xr
from scipy import stats

from toolkit.models.interface import Model, ModelData
from toolkit.models.prior_sensitivity import log_prior_draws, power_scaling_sensitivity, top_level_priors


@attrs.frozen
class NormalMean(Model):
    """y_i ~ N(mu, 1), mu ~ N(0, prior_sd^2); a test model (registered under a test name)."""

    name: ClassVar[str] = "test-normal-mean"
    loglik_dim: ClassVar[str] = "obs"
    prior_sd: float = 1.0

    def build(self, data: ModelData) -> Any:
        import pymc as pm

        with pm.Model() as m:
            mu = pm.Normal("mu", 0.0, self.prior_sd)
            pm.Normal("y", mu, 1.0, observed=data.arrays["y"])
        return m

    def pointwise_loglik(self, data: ModelData, posterior: Any) -> xr.DataArray:
        mu = posterior["mu"].values[..., None]
        return xr.DataArray(stats.norm.logpdf(data.arrays["y"], mu, 1.0), dims=("chain", "draw", "obs"))

    def exact_posterior(self, data: ModelData, rng: np.random.Generator, n: int = 2000) -> xr.Dataset:
        y = data.arrays["y"]
        prec = 1 / self.prior_sd**2 + y.size
        mu = rng.normal(y.sum() / prec, np.sqrt(1 / prec), (2, n))
        return xr.Dataset({"mu": (("chain", "draw"), mu)})


@pytest.fixture(scope="module")
def data() -> ModelData:
    return ModelData(arrays={"y": np.random.default_rng(0).normal(2.0, 1.0, 20)}, coords={})


def test_log_prior_is_the_prior_density(data: ModelData) -> None:
    model = NormalMean(prior_sd=0.5)
    post = model.exact_posterior(data, np.random.default_rng(1), n=5)
    lp = log_prior_draws(model.build(data), post)
    np.testing.assert_allclose(lp, stats.norm.logpdf(post["mu"].values, 0.0, 0.5))
    assert top_level_priors(model.build(data)) == ["mu"]
    with pytest.raises(ValueError, match="not free variables"):
        log_prior_draws(model.build(data), post, ["sigma"])


def test_strong_prior_is_flagged_weak_prior_is_not(data: ModelData) -> None:
    rng = np.random.default_rng(2)
    out = {}
    for sd in (0.1, 10.0):
        model = NormalMean(prior_sd=sd)
        post = model.exact_posterior(data, rng)
        quantities = {"mu_squared": post["mu"].values ** 2}
        table = power_scaling_sensitivity(
            model, {"posterior": post}, data, var_names=["mu"], quantities=quantities
        )
        out[sd] = table.set_index("quantity")
    assert bool(out[0.1].loc["mu", "prior_sensitive"]) and out[0.1].loc["mu", "prior"] > 0.2
    assert not bool(out[10.0].loc["mu", "prior_sensitive"]) and out[10.0].loc["mu", "prior"] < 0.01
    assert out[10.0].loc["mu", "likelihood"] > 0.05
    assert "mu_squared" in out[0.1].index
