"""Tests of the rating-model variants (toolkit/models/rating_variants.py, rating_ceiling.py).

Fast tests check the numpy side (pointwise log-likelihood against the cumulative-logit formula, the derived
quantities against the default model's) and, once per feature set, that the pointwise log-likelihood sums to
the PyMC model's likelihood term. Fits (parameter recovery on independently drawn data, SBC smoke runs) are
``slow``.
"""

from __future__ import annotations

import warnings
from typing import Any

import attrs
import numpy as np
import pytest
import xarray as xr
from scipy.special import expit

from tests.toolkit.models.conftest import SMALL_FIT, eti, fit_quietly
from toolkit.models.interface import ModelData
from toolkit.models.rating_ceiling import ceiling_table, fraction_of_ceiling, ordinal_noise_ceiling
from toolkit.models.rating_data import RatingData
from toolkit.models.rating_posterior import RatingParameters
from toolkit.models.rating_variants import (
    FEATURES,
    VARIANT_NAMES,
    VariantParameters,
    build_variant_model,
    prepare_variant_data,
    summarize_variant,
    variant_loglik,
)

JUDGES = ("j1", "j2")


def toy_data(rng: np.random.Generator, n_cells: int = 12) -> ModelData:
    """Cells rated by 2 annotators and 2 judges; 6 items (3 pairs x 2 generators)."""
    cell_item = np.arange(n_cells) % 6
    item_gen = np.arange(6) % 2
    cell = np.repeat(np.arange(n_cells), 4)
    rater = np.tile([0, 0, 1, 2], n_cells)
    annot = np.tile([0, 1, 2, 2], n_cells)
    mention = (rng.random(n_cells) < 0.4).astype(float)
    d = RatingData(
        y=rng.integers(0, 5, cell.size),
        rater=rater,
        annotator=annot,
        item=cell_item[cell],
        cell=cell,
        generator=item_gen[cell_item][cell],
        mention=mention[cell],
        cell_item=cell_item,
        cell_generator=item_gen[cell_item],
        cell_mention=mention,
        raters=("human", *JUDGES),
        judges=JUDGES,
        annotators=("a1", "a2"),
        generators=("g1", "g2"),
        items=tuple(f"i{k}" for k in range(6)),
        cells=tuple(f"c{k}" for k in range(n_cells)),
    )
    md = d.to_model_data()
    arrays = {**md.arrays, "item_pair": np.arange(6) // 2}
    return ModelData(arrays=arrays, coords={**md.coords, "pair": ["p0", "p1", "p2"]})


def toy_posterior(rng: np.random.Generator, data: ModelData, s: int = 4, **extra: bool) -> dict[str, Any]:
    """A fake posterior (1 chain x s draws) with every variable the variants' code reads."""
    n_cells = len(data.coords["cell"])

    def var(*shape: int, scale: float = 1.0) -> np.ndarray:
        return scale * rng.standard_normal((1, s, *shape))

    post = {
        "cutpoints": np.sort(var(4, scale=2.0), axis=-1),
        "beta": var(2),
        "gamma": var(2),
        "delta": var(3),
        "q": var(6),
        "a": var(n_cells),
        "h": var(2),
        "sd_item": np.abs(var()),
        "sd_attr": np.abs(var()),
        "sd_annot": np.abs(var()),
        "scale": np.exp(var(2, scale=0.5)),
        "log_scale": var(2),
    }
    if extra.get("thresholds"):
        post["judge_cutpoints"] = np.sort(var(2, 4, scale=2.0), axis=-1)
        post["sd_gap"] = np.abs(var())
    if extra.get("pair"):
        post["pair_effect"] = var(3)
        post["sd_pair"] = np.abs(var())
    if extra.get("llm_shared"):
        post["llm_cell"] = var(n_cells)
        post["sd_llm_cell"] = np.abs(var())
    return {"posterior": {k: xr.DataArray(v) for k, v in post.items()}}


def brute_loglik(post: dict[str, Any], data: ModelData) -> np.ndarray:
    """log P(y) by the textbook formula, one rating at a time (no vectorised tricks)."""
    a = data.arrays
    p = {k: np.asarray(v.values)[0] for k, v in post["posterior"].items()}
    out = np.empty((p["cutpoints"].shape[0], a["y"].size))
    for s in range(out.shape[0]):
        for n in range(a["y"].size):
            r = a["rater"][n]
            eta = p["beta"][s, a["generator"][n]] + p["delta"][s, r] * a["mention"][n]
            eta += p["q"][s, a["item"][n]] + p["a"][s, a["cell"][n]]
            cut = p["cutpoints"][s]
            scale = 1.0
            if r == 0:
                eta += p["h"][s, a["annotator"][n]]
            else:
                eta += p["gamma"][s, r - 1] + p.get("llm_cell", np.zeros((99, 99)))[s, a["cell"][n]]
                scale = p["scale"][s, r - 1]
                if "judge_cutpoints" in p:
                    cut = p["judge_cutpoints"][s, r - 1]
            if "pair_effect" in p:
                eta += p["pair_effect"][s, a["item_pair"][a["item"][n]]]
            cdf = np.concatenate([[0.0], expit((cut - eta) / scale), [1.0]])
            y = a["y"][n]
            out[s, n] = np.log(cdf[y + 1] - cdf[y])
    return out


@pytest.mark.parametrize("features", [(), ("thresholds",), ("pair", "llm_shared"), FEATURES])
def test_pointwise_loglik_is_the_cumulative_logit_likelihood(features: tuple[str, ...]) -> None:
    rng = np.random.default_rng(1)
    data = toy_data(rng)
    post = toy_posterior(rng, data, **dict.fromkeys(features, True))
    np.testing.assert_allclose(variant_loglik(post, data), brute_loglik(post, data), rtol=1e-9, atol=1e-10)


def test_pointwise_loglik_is_finite_far_in_the_tails() -> None:
    rng = np.random.default_rng(2)
    data = toy_data(rng)
    post = toy_posterior(rng, data)
    post["posterior"]["q"] = post["posterior"]["q"] * 0 + 60.0  # every latent far above the top cutpoint
    ll = variant_loglik(post, data)
    assert np.isfinite(ll).all()
    top = data.arrays["y"] == 4
    assert ll[:, top].max() > -1e-6 and ll[:, ~top].max() < -10  # y = 5 is certain, the rest impossible


def test_variant_parameters_reduce_to_the_default_model() -> None:
    rng = np.random.default_rng(3)
    data = toy_data(rng)
    post = toy_posterior(rng, data)
    np.testing.assert_allclose(
        VariantParameters.from_idata(post).category_probs(),
        RatingParameters.from_idata(post).category_probs(),
    )


def test_judge_cutpoints_shifted_uniformly_equal_an_inflation_shift() -> None:
    """A judge whose cutpoints are all lower by d rates like a judge whose inflation is higher by d."""
    rng = np.random.default_rng(4)
    data = toy_data(rng)
    post = toy_posterior(rng, data, thresholds=True)
    d = 0.7
    jc = np.asarray(post["posterior"]["cutpoints"].values)[:, :, None, :] - d
    post["posterior"]["judge_cutpoints"] = xr.DataArray(np.repeat(jc, 2, axis=2))
    shifted = VariantParameters.from_idata(post).category_probs()
    base = RatingParameters.from_idata(post)
    gamma = base.gamma.copy()
    gamma[:, 1:] += d
    np.testing.assert_allclose(shifted, attrs.evolve(base, gamma=gamma).category_probs(), atol=1e-12)


def test_summaries_report_the_mention_contrast_against_humans() -> None:
    rng = np.random.default_rng(5)
    data = toy_data(rng)
    post = toy_posterior(rng, data, thresholds=True, pair=True, llm_shared=True)
    out = summarize_variant(post, data)
    contrast = out["mention_contrast"]
    latent = contrast[contrast["quantity"] == "latent"]
    delta = np.asarray(post["posterior"]["delta"].values)[0]
    np.testing.assert_allclose(latent["mean"], (delta[:, 1:] - delta[:, :1]).mean(0))
    assert {"sd_gap", "sd_pair", "sd_llm_cell"} <= set(out["parameters"]["parameter"])
    assert set(out["ceiling"]["quantity"]) == {
        "ceiling",
        "ceiling_spearman",
        "judge_spearman",
        "fraction_of_ceiling",
    }


def test_ordinal_ceiling_orders_judges_by_their_noise() -> None:
    """A judge with a human's parameters sits just below the ceiling; a judge with 4x the noise scale far below."""
    rng = np.random.default_rng(6)
    data = toy_data(rng)
    one = lambda *v: np.array([v], dtype=float)  # noqa: E731
    params = RatingParameters(
        cutpoints=one(-2, -0.7, 0.7, 2), beta=one(0.0, 0.0), gamma=one(0, 0, 0), delta=one(0, 0, 0),
        sd_item=np.array([1.0]), sd_attr=np.array([1.0]), sd_annot=np.array([0.0]),
        scale=one(1.0, 1.0, 4.0), sd_noise=one(0, 0, 0),
    )  # fmt: skip
    out = ordinal_noise_ceiling(params, data, n_cells=20000, seed=1)
    frac = out["fraction_of_ceiling"][0]
    # a single rating of a human-like judge vs a 3-human mean: about sqrt(R1) / sqrt(R3) of the ceiling
    assert 0.6 < frac[0] < 0.95 and frac[1] < 0.6 * frac[0]
    assert 0.7 < out["ceiling"][0] < 1.0
    table = ceiling_table(params, data, n_cells=2000)
    assert list(table["rater_id"][2:4]) == list(JUDGES)


def test_fraction_of_ceiling_pairs_draws() -> None:
    num, ceil = np.array([[0.3, 0.2], [0.4, 0.1]]), np.array([0.5, 0.8])
    np.testing.assert_allclose(fraction_of_ceiling(num, ceil), [[0.6, 0.4], [0.5, 0.125]])
    with pytest.raises(ValueError, match="same number of rows"):
        fraction_of_ceiling(num, np.ones(3))
    unpaired = fraction_of_ceiling(np.full(1000, 0.3), np.array([0.5, 0.6]), paired=False, rng=1)
    assert set(np.round(unpaired, 6)) == {0.6, 0.5}


def test_prepare_variant_data_finds_user_prompt_pairs(small_study: tuple[Any, dict]) -> None:
    ds = small_study[0]
    data = prepare_variant_data(ds)
    responses = ds.frame("responses").set_index("response_id")
    pairs = data.coords["pair"]
    for item, pair in zip(data.coords["item"], data.arrays["item_pair"], strict=True):
        assert pairs[pair] == f"{responses.loc[item, 'user_id']}|{responses.loc[item, 'prompt_id']}"
    assert len(pairs) < len(data.coords["item"])  # several generators' responses share a pair


def test_unknown_feature_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown features"):
        build_variant_model(toy_data(np.random.default_rng(0)), frozenset({"bogus"}))


@pytest.mark.slow  # one PyMC compilation: ~10 s alone, minutes on a loaded machine
def test_loglik_sums_to_the_model_likelihood() -> None:
    """The contract: the sum of pointwise_loglik is the PyMC model's likelihood term (all features on), at
    random points; one compiled function gives the likelihood term and every posterior variable."""
    from toolkit.models.rating_variants import RatingFullModel

    model = RatingFullModel()
    rng = np.random.default_rng(7)
    data = toy_data(rng)
    m = model.build(data)
    outputs = m.unobserved_value_vars
    fn = m.compile_fn([m.logp(vars=m.observed_RVs), *outputs], inputs=m.value_vars, point_fn=False)
    start = m.initial_point()
    names = [v.name for v in outputs]
    draws, expected = [], []
    for _ in range(3):
        values = fn(*[start[v.name] + 0.5 * rng.standard_normal(start[v.name].shape) for v in m.value_vars])
        expected.append(float(values[0]))
        draws.append(values[1:])
    post = xr.Dataset(
        {n: (("chain", "draw", *[f"{n}_{k}" for k in range(np.ndim(v))]), np.stack([d[i] for d in draws])[None])
         for i, (n, v) in enumerate(zip(names, draws[0], strict=True))}
    )  # fmt: skip
    post = post.assign_coords(chain=[0], draw=[0, 1, 2])
    ll = model.pointwise_loglik(data, post)
    assert ll.dims == ("chain", "draw", "rating") and ll.shape == (1, 3, data.arrays["y"].size)
    np.testing.assert_allclose(ll.sum("rating").values[0], expected, rtol=1e-8)


# ------------------------------------------------------------------------------------------------- slow fits
@pytest.mark.slow
def test_no_feature_is_the_default_rating_model(small_study: tuple[Any, dict]) -> None:
    from toolkit.models.rating import build_rating_model

    data = prepare_variant_data(small_study[0])
    m0, m1 = build_variant_model(data, frozenset()), build_rating_model(data)
    rng = np.random.default_rng(0)
    point = {k: v + 0.3 * rng.standard_normal(v.shape) for k, v in m0.initial_point().items()}
    assert m0.compile_logp()(point) == pytest.approx(m1.compile_logp()(point), rel=1e-12)


@pytest.fixture(scope="module")
def thresholds_study(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, dict]:
    from toolkit.simulate import SimulationConfig, simulate

    config = attrs.evolve(SimulationConfig.small(), balanced=False, misspecification="judge-thresholds")
    study = simulate(config, seed=11)
    return study.write(tmp_path_factory.mktemp("thresholds") / "data"), study.truth


@pytest.mark.slow
def test_thresholds_variant_recovers_effective_inflation(
    thresholds_study: tuple[Any, dict], model_cache: Any
) -> None:
    """Independently drawn data with judge-specific cutpoints and a shared LLM cell effect: the 90%
    intervals of the judge-threshold and LLM-shared variants cover each judge's effective inflation (its
    true inflation minus the mean shift of its cutpoints) and the mention effects."""
    ds, truth = thresholds_study
    effective = truth["misspecification"]["gamma_effective"]
    for name in ("rating-thresholds", "rating-llm-shared"):
        result = fit_quietly(name, ds, model_cache, SMALL_FIT)
        judges = result.data.coords["judge"]
        low, high = eti(result.idata["posterior"]["gamma"].values.reshape(-1, len(judges)))
        true = np.array([effective[j] for j in judges])
        assert np.all((low <= true) & (true <= high)), (name, low, true, high)
        d_low, d_high = eti(result.idata["posterior"]["delta"].values.reshape(-1, len(judges) + 1))
        true_d = np.array([truth["stage3"]["delta"][r] for r in result.data.coords["rater"]])
        assert np.mean((d_low <= true_d) & (true_d <= d_high)) >= 5 / 6


@pytest.mark.slow
def test_clustered_and_pooled_variants_recover_the_truth(
    small_study: tuple[Any, dict], model_cache: Any
) -> None:
    ds, truth = small_study
    for name in ("rating-clustered", "rating-pooled-mention"):
        result = fit_quietly(name, ds, model_cache, SMALL_FIT)
        judges = result.data.coords["judge"]
        low, high = eti(result.idata["posterior"]["gamma"].values.reshape(-1, len(judges)))
        true = np.array([truth["stage3"]["gamma"][j] for j in judges])
        assert np.all((low <= true) & (true <= high)), (name, low, true, high)


@pytest.mark.slow
@pytest.mark.parametrize("name", VARIANT_NAMES)
def test_sbc_smoke(name: str) -> None:
    from toolkit.studies.sbc import DESIGN, run

    design = {**DESIGN, "model": name, "draws": 60, "tune": 60, "n_ranks": 19}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = run(design, seed=3)
    ranks = {k: v for k, v in out.items() if k.startswith("rank:") and np.isfinite(v)}
    assert ranks and all(0 <= v <= 19 for v in ranks.values())
    assert "rank:gamma[gpt-5.4]" in out


def test_correlation_fraction_of_ceiling_carries_the_numerator() -> None:
    """A scorer equal to the latent quality reaches the ceiling (fraction ~1), an unrelated one ~0, and the
    numerator's interval is not a point (it varies across replicated data sets)."""
    from toolkit.models.rating_ceiling import correlation_fraction_of_ceiling

    rng = np.random.default_rng(8)
    n_units, s = 3000, 60
    data = ModelData(
        arrays={"y": np.zeros((n_units, 3)), "y_mask": np.ones((n_units, 3)), "x": np.zeros((n_units, 2)),
                "x_mask": np.ones((n_units, 2)), "k": np.array(3)},
        coords={"scorer": ["perfect", "unrelated"], "submodel": ["human", "perfect", "unrelated"],
                "annotator": ["a", "b", "c"]},
    )  # fmt: skip

    def var(value: float, *shape: int) -> xr.DataArray:
        return xr.DataArray(np.full((1, s, *shape), value) + 0.01 * rng.standard_normal((1, s, *shape)))

    post = {
        "mu": var(3.0, 3), "loading": var(0.6, 3), "sigma": var(0.8, 3), "h": var(0.0, 3, 3),
        "nu": var(0.0, 2), "omega": var(1.0, 2),
        "rho": xr.DataArray(np.tile([0.999, 0.0], (1, s, 1))),
    }  # fmt: skip
    t = correlation_fraction_of_ceiling({"posterior": post}, data, rng=1, n_draws=40)
    frac = t[t["quantity"] == "fraction_of_ceiling"].set_index("scorer")
    assert frac.loc["perfect", "mean"] == pytest.approx(1.0, abs=0.05)
    assert abs(frac.loc["unrelated", "mean"]) < 0.05
    assert frac.loc["perfect", "ci_high"] - frac.loc["perfect", "ci_low"] > 0.005
