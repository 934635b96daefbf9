"""Tests of the extraction-model variants (toolkit/models/extraction_variants.py).

Fast: the per-judgment likelihood and the population shares against the default model's (the variants reduce
to it when their extra SD is 0). Slow: the likelihood against the PyMC graph, parameter recovery on
independently drawn data, SBC smoke runs.
"""

from __future__ import annotations

import warnings
from typing import Any

import attrs
import numpy as np
import pytest
import xarray as xr

from tests.toolkit.models.conftest import SMALL_FIT, eti, fit_quietly
from toolkit.models.extraction import ExtractionModel
from toolkit.models.extraction_variants import ExtractionAttributeModel, ExtractionGapModel, label_loglik
from toolkit.models.interface import ModelData


def toy_data() -> ModelData:
    """2 sources, 3 users, 2 annotators, 4 attributes judged by both annotators."""
    cell_user = np.array([0, 0, 1, 1, 2, 2])
    cell_annot = np.array([0, 1, 0, 1, 0, 1])
    judgment_attribute = np.array([0, 0, 1, 1, 2, 2, 3, 3])
    judgment_cell = np.array([0, 1, 0, 1, 2, 3, 4, 5])
    labels = np.array([2, 1, 0, 2, 2, 2, 1, 0])
    counts = np.zeros((6, 3), dtype=np.int64)
    np.add.at(counts, (judgment_cell, labels), 1)
    arrays = {
        "cell_user": cell_user,
        "cell_annotator": cell_annot,
        "cell_counts": counts,
        "user_source": np.array([0, 0, 1]),
        "source_real": np.array([1, 0], dtype=np.int8),
        "source_users": np.array([2, 1]),
        "judgment_cell": judgment_cell,
        "judgment_label": labels.astype(np.int8),
        "judgment_attribute": judgment_attribute,
    }
    return ModelData(arrays=arrays, coords={"source": ["wildchat", "cupid"], "user": ["u0", "u1", "u2"],
                                            "annotator": ["h1", "h2"]})  # fmt: skip


def toy_posterior(s: int = 5, **extra: Any) -> xr.Dataset:
    rng = np.random.default_rng(1)

    def var(*shape: int) -> np.ndarray:
        return rng.standard_normal((1, s, *shape))

    post = {
        "alpha": var(2),
        "gap": np.exp(var()),
        "sd_user": np.abs(var()),
        "sd_annotator": np.abs(var()),
        "v": var(3),
        "w": var(2),
        **extra,
    }
    return xr.Dataset(
        {k: (("chain", "draw", *[f"{k}_{i}" for i in range(np.ndim(v) - 2)]), v) for k, v in post.items()}
    )


def test_label_loglik_is_the_cumulative_logit_model() -> None:
    eta, gap = np.array([-3.0, 0.2, 4.0]), np.array([0.5, 1.5, 3.0])
    p = np.exp(np.stack([label_loglik(eta, gap, np.full(3, k)) for k in range(3)]))
    acc = 1 / (1 + np.exp(-eta))
    rej = 1 / (1 + np.exp(eta + gap))
    np.testing.assert_allclose(p, [rej, 1 - acc - rej, acc], rtol=1e-12)
    assert np.isfinite(label_loglik(np.array([80.0, -80.0]), np.array([1.0, 1.0]), np.array([0, 2]))).all()


def test_variants_reduce_to_the_default_model() -> None:
    """With no attribute effect / no gap spread, each variant's population shares, cell probabilities and
    per-judgment likelihood are the default model's."""
    data = toy_data()
    base = toy_posterior()
    s = base.sizes["draw"]
    attr = base.assign(
        sd_attribute=(("chain", "draw"), np.zeros((1, s))), t=(("chain", "draw", "t"), np.zeros((1, s, 4)))
    )
    gap = base.assign(
        sd_log_gap=(("chain", "draw"), np.zeros((1, s))),
        annotator_gap=(("chain", "draw", "g"), np.repeat(base["gap"].values[..., None], 2, axis=-1)),
    )
    default = ExtractionModel()
    ref_pop = default.population_shares({"posterior": base})
    ref_cell = default.cell_probabilities({"posterior": base}, data)
    ref_ll = np.log(ref_cell[:, data.arrays["judgment_cell"], data.arrays["judgment_label"]])
    for model, post in ((ExtractionAttributeModel(), attr), (ExtractionGapModel(), gap)):
        np.testing.assert_allclose(model.population_shares({"posterior": post}), ref_pop, rtol=1e-10)
        np.testing.assert_allclose(model.cell_probabilities({"posterior": post}, data), ref_cell, rtol=1e-10)
        ll = model.pointwise_loglik(data, post)
        assert ll.dims == ("chain", "draw", "judgment")
        np.testing.assert_allclose(ll.values[0], ref_ll, rtol=1e-10)


def test_attribute_effect_moves_only_its_attribute() -> None:
    data = toy_data()
    base = toy_posterior()
    s = base.sizes["draw"]
    t = np.zeros((1, s, 4))
    t[..., 1] = 2.0
    post = base.assign(sd_attribute=(("chain", "draw"), np.ones((1, s))), t=(("chain", "draw", "t"), t))
    p = ExtractionAttributeModel().judgment_probabilities({"posterior": post}, data)
    p0 = ExtractionAttributeModel().judgment_probabilities({"posterior": post.assign(t=post["t"] * 0)}, data)
    moved = data.arrays["judgment_attribute"] == 1
    assert np.all(p[:, moved, 2] > p0[:, moved, 2]) and np.allclose(p[:, ~moved], p0[:, ~moved])


def test_annotator_gap_population_shares_integrate_the_gap() -> None:
    """Population shares with a spread of annotator gaps equal a Monte Carlo average over new users,
    annotators and gaps; the accepted share does not depend on the gap."""
    base = toy_posterior(s=2)
    spread = base.assign(sd_log_gap=(("chain", "draw"), np.full((1, 2), 0.8)))
    p1 = ExtractionGapModel().population_shares({"posterior": spread})
    rng = np.random.default_rng(0)
    n = 400_000
    for s in range(2):
        sd = np.hypot(base["sd_user"].values[0, s], base["sd_annotator"].values[0, s])
        gap = base["gap"].values[0, s] * np.exp(0.8 * rng.standard_normal(n))
        for src in range(2):
            eta = base["alpha"].values[0, s, src] + sd * rng.standard_normal(n)
            rej = np.mean(1 / (1 + np.exp(eta + gap)))
            acc = np.mean(1 / (1 + np.exp(-eta)))
            np.testing.assert_allclose(p1[s, src], [rej, 1 - acc - rej, acc], atol=4e-3)
    p0 = ExtractionGapModel().population_shares(
        {"posterior": base.assign(sd_log_gap=spread["sd_log_gap"] * 0)}
    )
    np.testing.assert_allclose(p1[..., 2], p0[..., 2])
    assert not np.allclose(p1[..., 1], p0[..., 1], atol=1e-3)


# ------------------------------------------------------------------------------------------------------ slow
@pytest.mark.slow
@pytest.mark.parametrize("model", [ExtractionAttributeModel(), ExtractionGapModel()], ids=lambda m: m.name)
def test_loglik_sums_to_the_potential(model: Any, small_study: tuple[Any, dict]) -> None:
    import pymc as pm

    data = model.prepare(small_study[0])
    m = model.build(data)
    names = [v.name for v in m.free_RVs] + [v.name for v in m.deterministics]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        post = pm.sample_prior_predictive(draws=2, model=m, random_seed=1, var_names=names)[
            "prior"
        ].to_dataset()
    ll = model.pointwise_loglik(data, post)
    fn = m.compile_fn(m.potentials[0], inputs=m.free_RVs, on_unused_input="ignore", point_fn=False)
    for s in range(2):
        expected = fn(*[post[v.name].values[0, s] for v in m.free_RVs])
        np.testing.assert_allclose(float(ll[0, s].sum()), expected, rtol=1e-9)


@pytest.mark.slow
def test_attribute_variant_recovers_the_attribute_effect(
    tmp_path_factory: pytest.TempPathFactory, model_cache: Any
) -> None:
    from toolkit.simulate import SimulationConfig, simulate

    config = attrs.evolve(SimulationConfig.small(), balanced=False, misspecification="attribute-effect")
    study = simulate(config, seed=11)
    ds = study.write(tmp_path_factory.mktemp("attr") / "data")
    result = fit_quietly(ExtractionAttributeModel(), ds, model_cache, SMALL_FIT)
    low, high = eti(result.idata["posterior"]["sd_attribute"].values.reshape(-1))
    assert low <= study.truth["misspecification"]["parameters"]["sd_attribute"] <= high
    gap_low, gap_high = eti(result.idata["posterior"]["gap"].values.reshape(-1))
    c1, c2 = study.truth["stage1"]["cutpoints"]
    assert gap_low <= c2 - c1 <= gap_high


@pytest.mark.slow
def test_gap_variant_recovers_a_common_gap(small_study: tuple[Any, dict], model_cache: Any) -> None:
    """Data with one gap for everyone: the typical gap is recovered and every annotator's gap covers it."""
    ds, truth = small_study
    result = fit_quietly(ExtractionGapModel(), ds, model_cache, SMALL_FIT)
    c1, c2 = truth["stage1"]["cutpoints"]
    low, high = eti(result.idata["posterior"]["annotator_gap"].values.reshape(-1, 3))
    assert np.all((low <= c2 - c1) & (c2 - c1 <= high))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["extraction-attribute", "extraction-annotator-gap"])
def test_sbc_smoke(name: str) -> None:
    from toolkit.studies.sbc import DESIGN, run

    design = {**DESIGN, "model": name, "draws": 60, "tune": 60, "n_ranks": 19}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = run(design, seed=3)
    ranks = [v for k, v in out.items() if k.startswith("rank:") and np.isfinite(v)]
    assert ranks and all(0 <= v <= 19 for v in ranks)
    assert "rank:gap" in out
