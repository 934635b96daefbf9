"""Pointwise log-likelihoods and PSIS-LOO (:mod:`toolkit.models.loo`): the pointwise terms sum to the model's own
log-likelihood term (so they cannot silently diverge from the sampled model), and ``arviz.loo`` runs on every
fitted model."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

from tests.toolkit.models.test_correlation import correlation_small  # noqa: F401  (a session fixture)
from toolkit.models.interface import get_model
from toolkit.models.loo import K_HIGH, LOGLIK_VAR, add_log_likelihood, compare, loo, potential_terms

pytest.importorskip("pymc")


def _points_and_loglik(pm_model: Any, n: int, seed: int) -> tuple[Any, np.ndarray]:
    """``n`` random points near the model's initial point as a (1 chain x n draws) posterior of the free
    variables' values, and the model's own log-likelihood term (observed variables + potentials) at each."""
    import pytensor
    import xarray as xr

    rng = np.random.default_rng(seed)
    m = pm_model
    rvs = m.free_RVs + m.deterministics
    target = m.logp(vars=m.observed_RVs + m.potentials, jacobian=False)
    # FAST_COMPILE: a few evaluations only, and the default backend's compile takes a minute on a loaded machine
    fn = m.compile_fn(
        [target, *m.replace_rvs_by_values(rvs)],
        inputs=m.value_vars,
        on_unused_input="ignore",
        mode="FAST_COMPILE",
    )
    with pytensor.config.change_flags(mode="FAST_COMPILE"):
        start = m.initial_point()
    draws, ll = [], []
    for _ in range(n):
        target_value, *values = fn({k: v + rng.normal(0, 0.2, np.shape(v)) for k, v in start.items()})
        draws.append(values)
        ll.append(float(target_value))
    dims = m.named_vars_to_dims
    post = xr.Dataset(
        {
            rv.name: (
                ("chain", "draw", *dims.get(rv.name, [f"{rv.name}_dim_{i}" for i in range(np.ndim(v))])),
                np.stack([d[j] for d in draws])[None],
            )
            for j, (rv, v) in enumerate(zip(rvs, draws[0], strict=True))
        },
        coords={"chain": [0], "draw": np.arange(n), **{k: list(v) for k, v in m.coords.items()}},
    )
    return post, np.array(ll)


#: The four models and the two family members whose likelihood code differs most from the default's (one block
#: of every rater; per-rater scales); the other variants share it (tests/toolkit/models/test_judge_variants.py).
MODELS = ["judge", "extraction", "rating", "correlation", "judge-one-effect", "judge-loadings"]


@pytest.mark.parametrize("name", MODELS)
def test_pointwise_loglik_sums_to_the_models_likelihood(name: str, small_study: tuple[Any, dict]) -> None:
    """At 3 random points the pointwise terms (one per ``loglik_dim`` unit, computed in numpy or from the
    graph) sum to the likelihood PyMC samples (the potential or the observed variable's log-density)."""
    model = get_model(name)
    data = model.prepare(small_study[0])
    post, expected = _points_and_loglik(model.build(data), 3, seed=5)
    ll = model.pointwise_loglik(data, post)
    assert ll.dims == ("chain", "draw", model.loglik_dim)
    assert np.isfinite(ll.values).all()
    if name != "correlation":  # probabilities (the correlation model's terms are densities)
        assert (ll.values <= 0).all()
    np.testing.assert_allclose(ll.sum(model.loglik_dim).values.ravel(), expected, rtol=1e-9)


def test_potential_terms_refuses_a_potential_that_is_not_a_sum() -> None:
    import pymc as pm

    with pm.Model() as m:
        x = pm.Normal("x")
        pm.Potential("p", -(x**2))
    with pytest.raises(ValueError, match="not pt.sum"):
        potential_terms(m, "p")
    with pytest.raises(ValueError, match="no potential 'q'"):
        potential_terms(m, "q")


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize(
    "fixture",
    [
        "judge_small",
        "extraction_small",
        # 15-25 s each (their log-likelihoods evaluate PyMC's expression per draw); the sum test above checks
        # both models' pointwise terms in the default run
        pytest.param("rating_small", marks=pytest.mark.slow),
        pytest.param("correlation_small", marks=pytest.mark.slow),
    ],
)
def test_arviz_loo_runs_on_every_fitted_model(fixture: str, request: pytest.FixtureRequest) -> None:
    import arviz as az

    fit = request.getfixturevalue(fixture)
    idata = add_log_likelihood(fit)
    ll = idata["log_likelihood"][LOGLIK_VAR]
    assert ll.sizes["draw"] == fit.settings.draws and ll.dims[2] == fit.model.loglik_dim
    res = az.loo(idata)
    assert np.isfinite(res.elpd) and res.elpd < 0
    row = loo(fit).iloc[0]
    assert row["elpd_loo"] == pytest.approx(float(res.elpd))
    k = np.asarray(res.pareto_k).ravel()
    assert row["n_k_high"] == int((k > K_HIGH).sum()) and row["n_units"] == k.size


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_compare_of_two_identical_fits_ties(judge_small: Any) -> None:
    """The comparison frame's shape: two copies of one fit tie (elpd_diff 0), stacking weights sum to 1."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = compare({"a": judge_small, "b": judge_small})
    assert list(table.columns[:3]) == ["model", "rank", "elpd_loo"]
    assert table["elpd_diff"].min() == pytest.approx(0.0) and table["weight"].sum() == pytest.approx(1.0)
