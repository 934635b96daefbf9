"""Tests of toolkit.agreement.pairwise: every pair's value equals the two-rater functions and their oracles,
matrices and group means, the bootstrap against a naive item-resampling loop, and bad input."""

from __future__ import annotations

import krippendorff
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.metrics import cohen_kappa_score

from tests.toolkit.agreement.data import FAST, GROUPS, KEY, long_judgments, nan, quiet, shared, stage2_frame
from toolkit import agreement as ag
from toolkit.resampling import item_weights


@settings(max_examples=20, deadline=None)  # each example runs 8 metrics and 4 oracles per pair
@given(long_judgments())
def test_pairwise_values_equal_two_rater_functions(frame: pd.DataFrame) -> None:
    cats = [1, 2, 3, 4]
    results = {
        m: ag.pairwise_agreement(
            frame,
            item="item",
            rater="rater",
            label="label",
            metric=m,
            categories=cats,
            level="ordinal" if m == "krippendorff_alpha" else None,
        )
        for m in ag.PAIRWISE_METRICS
    }
    quad = ag.pairwise_agreement(
        frame, item="item", rater="rater", label="label", categories=cats, weights="quadratic"
    )
    for idx, row in results["cohen_kappa"].iterrows():
        a, b = shared(frame, row.rater_a, row.rater_b)
        assert row.n_items == len(a)
        get = {m: results[m]["value"].iloc[idx] for m in results}
        if len(a) == 0:
            assert all(np.isnan(v) for v in get.values())
            continue
        with quiet():
            kappa = cohen_kappa_score(a, b, labels=cats)
            kappa_q = cohen_kappa_score(a, b, labels=cats, weights="quadratic")
        np.testing.assert_allclose(get["cohen_kappa"], kappa if np.isfinite(kappa) else nan, atol=1e-10)
        np.testing.assert_allclose(
            quad["value"].iloc[idx], kappa_q if np.isfinite(kappa_q) else nan, atol=1e-10
        )
        assert get["percent_agreement"] == pytest.approx(np.mean(a == b))
        np.testing.assert_allclose(get["gwet_ac1"], ag.gwet_ac1(np.c_[a, b], categories=cats), atol=1e-10)
        if len(a) >= 2 and a.std() > 0 and b.std() > 0:
            assert get["spearman"] == pytest.approx(stats.spearmanr(a, b).statistic, abs=1e-10)
            assert get["pearson"] == pytest.approx(np.corrcoef(a, b)[0, 1], abs=1e-10)
        else:
            assert np.isnan(get["spearman"]) and np.isnan(get["pearson"])
        if len(np.unique(np.r_[a, b])) >= 2:
            with quiet():
                alpha = krippendorff.alpha(
                    reliability_data=np.vstack([a, b]).astype(float), level_of_measurement="ordinal"
                )
            np.testing.assert_allclose(get["krippendorff_alpha"], alpha, atol=1e-10)


@FAST
@given(long_judgments(), st.randoms(use_true_random=False))
def test_pairwise_invariant_to_row_order(frame: pd.DataFrame, rnd) -> None:
    shuffled = frame.iloc[rnd.sample(range(len(frame)), len(frame))]
    kw = dict(item="item", rater="rater", label="label")
    pd.testing.assert_frame_equal(ag.pairwise_agreement(frame, **kw), ag.pairwise_agreement(shuffled, **kw))


def test_composite_item_key_equals_single_key() -> None:
    frame = stage2_frame()
    single = frame.assign(item_id=frame.prompt_id + "/" + frame.attribute_id)
    a = ag.pairwise_agreement(frame, item=KEY, rater="rater_id", label="relevant")
    b = ag.pairwise_agreement(single, item="item_id", rater="rater_id", label="relevant")
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns) == ["rater_a", "rater_b", "metric", "n_items", "value", "ci_low", "ci_high"]
    assert len(a) == 15 and a["ci_low"].isna().all()


def test_pairwise_matrix_is_symmetric_with_unit_diagonal() -> None:
    frame = stage2_frame()
    order = ["h1", "h2", "h3", "claude", "gpt", "qwen"]
    mat = ag.pairwise_matrix(frame, item=KEY, rater="rater_id", label="relevant", order=order)
    assert list(mat.index) == order and list(mat.columns) == order
    np.testing.assert_allclose(mat.to_numpy(), mat.to_numpy().T)
    np.testing.assert_allclose(np.diag(mat.to_numpy()), 1.0)
    table = ag.pairwise_agreement(frame, item=KEY, rater="rater_id", label="relevant")
    pd.testing.assert_frame_equal(ag.pairwise_matrix(table, order=order), mat)
    for row in table.itertuples():
        assert mat.loc[row.rater_a, row.rater_b] == row.value
    counts = ag.pairwise_matrix(table, order=order, value="n_items", diagonal=nan)
    assert counts.loc["h1", "h3"] == 120 - len(range(0, 120, 17))


def test_group_agreement_means_and_deterministic_bootstrap() -> None:
    frame = stage2_frame()
    kw = dict(item=KEY, rater="rater_id", label="relevant", groups=GROUPS, n_boot=300)
    out = ag.group_agreement(frame, seed=7, **kw)
    assert list(out.columns) == ["group_a", "group_b", "metric", "n_pairs", "mean", "ci_low", "ci_high"]
    assert list(zip(out.group_a, out.group_b, strict=True)) == [
        ("human", "human"),
        ("llm", "llm"),
        ("human", "llm"),
    ]
    assert out["n_pairs"].tolist() == [3, 3, 9]
    table = ag.pairwise_agreement(frame, item=KEY, rater="rater_id", label="relevant")
    human = table.rater_a.isin(GROUPS["human"]) & table.rater_b.isin(GROUPS["human"])
    llm = table.rater_a.isin(GROUPS["llm"]) & table.rater_b.isin(GROUPS["llm"])
    assert out["mean"].iloc[0] == pytest.approx(table.loc[human, "value"].mean())
    assert out["mean"].iloc[1] == pytest.approx(table.loc[llm, "value"].mean())
    assert out["mean"].iloc[2] == pytest.approx(table.loc[~human & ~llm, "value"].mean())
    assert (out.ci_low < out["mean"]).all() and (out["mean"] < out.ci_high).all()
    pd.testing.assert_frame_equal(out, ag.group_agreement(frame, seed=7, **kw))
    rng_out = ag.group_agreement(frame, seed=np.random.default_rng(7), **kw)
    pd.testing.assert_frame_equal(out, rng_out)
    assert not np.allclose(out.ci_low, ag.group_agreement(frame, seed=8, **kw).ci_low)
    assert ag.group_agreement(frame, **{**kw, "n_boot": 0})[["ci_low", "ci_high"]].isna().all().all()


def test_pairwise_bootstrap_equals_naive_item_resampling() -> None:
    """The vectorised bootstrap (multiplicities x sparse incidence) against an explicit loop that rebuilds
    each resampled data set and calls cohen_kappa on it, with the same item draws."""
    frame = stage2_frame(seed=3, n_items=30)
    n_boot, seed = 15, 11
    out = ag.pairwise_agreement(
        frame, item=KEY, rater="rater_id", label="relevant", n_boot=n_boot, seed=seed, ci=0.8
    )
    items = frame[KEY].drop_duplicates().sort_values(KEY).reset_index(drop=True)
    draws = np.random.default_rng(seed).integers(0, len(items), size=(n_boot, len(items)))
    wide = frame.pivot_table(index=KEY, columns="rater_id", values="relevant", aggfunc="first")
    wide = wide.reindex(pd.MultiIndex.from_frame(items))
    for row in out.itertuples():
        vals = []
        for b in range(n_boot):
            sample = wide.iloc[draws[b]][[row.rater_a, row.rater_b]].dropna()
            vals.append(
                ag.cohen_kappa(
                    sample.iloc[:, 0].astype(bool), sample.iloc[:, 1].astype(bool), categories=[False, True]
                )
            )
        lo, hi = np.nanquantile(vals, [0.1, 0.9])
        assert row.ci_low == pytest.approx(lo, abs=1e-12)
        assert row.ci_high == pytest.approx(hi, abs=1e-12)


def test_pair_without_shared_items_is_nan() -> None:
    frame = pd.DataFrame(
        {"item": [1, 1, 2, 2, 3, 3], "rater": ["a", "b", "a", "b", "c", "a"], "label": [0, 1, 1, 1, 0, 0]}
    )
    out = ag.pairwise_agreement(frame, item="item", rater="rater", label="label")
    bc = out[(out.rater_a == "b") & (out.rater_b == "c")]
    assert bc["n_items"].item() == 0 and np.isnan(bc["value"].item())


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(metric="fleiss"), "unknown metric"),
        (dict(metric="gwet_ac1", weights="linear"), "weights only apply"),
        (dict(metric="krippendorff_alpha"), "needs level"),
        (dict(level="nominal"), "level only applies"),
        (dict(raters=["h1", "nobody"]), "not found"),
        (dict(n_boot=-1), "n_boot"),
        (dict(ci=95), "ci must be"),
    ],
)
def test_pairwise_bad_arguments(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ag.pairwise_agreement(
            stage2_frame(n_items=20), item=KEY, rater="rater_id", label="relevant", **kwargs
        )


def test_long_format_bad_frames() -> None:
    frame = stage2_frame(n_items=20)
    kw = dict(item=KEY, rater="rater_id", label="relevant")
    with pytest.raises(ValueError, match="no column"):
        ag.pairwise_agreement(frame, item="item_id", rater="rater_id", label="relevant")
    with pytest.raises(ValueError, match="duplicated"):
        ag.pairwise_agreement(pd.concat([frame, frame.iloc[:1]]), **kw)
    with pytest.raises(ValueError, match="missing values"):
        ag.pairwise_agreement(
            frame.assign(relevant=frame.relevant.astype(object).where(frame.index > 0)), **kw
        )
    with pytest.raises(ValueError, match="pearson"):
        ag.pairwise_agreement(
            frame.assign(relevant=frame.relevant.map({True: "y", False: "n"})), metric="pearson", **kw
        )
    with pytest.raises(ValueError, match="both groups"):
        ag.group_agreement(frame, groups={"a": ["h1", "h2"], "b": ["h2", "gpt"]}, n_boot=0, **kw)
    with pytest.raises(ValueError, match="not found"):
        ag.group_agreement(frame, groups={"a": ["h1", "h2"], "b": ["gemini"]}, n_boot=0, **kw)
    with pytest.raises(ValueError, match="long-format input needs all"):
        ag.fleiss_kappa(frame, item=KEY, rater="rater_id")


# --------------------------------------------------------------------------------------------------
# Design-aware intervals (clusters=)
# --------------------------------------------------------------------------------------------------


def _small_frame() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    rows = [(i, r, int(rng.integers(0, 2))) for i in range(40) for r in ["h1", "h2", "j1"] if rng.random() < 0.9]
    return pd.DataFrame(rows, columns=["item", "rater", "label"])


def test_no_clusters_keeps_the_item_bootstrap_bit_for_bit() -> None:
    """Intervals computed by the toolkit before ``clusters=`` existed (same data, same seeds)."""
    frame = _small_frame()
    out = ag.pairwise_agreement(frame, item="item", rater="rater", label="label", n_boot=300, seed=2)
    assert out["ci_low"].tolist() == [-0.3248027013537959, -0.47656533281533275, -0.30163425175580766]
    assert out["ci_high"].tolist() == [0.332356965451598, 0.13671150278293126, 0.33539215686274504]
    assert list(out.columns) == ["rater_a", "rater_b", "metric", "n_items", "value", "ci_low", "ci_high"]
    groups = {"h": ["h1", "h2"], "j": ["j1"]}
    ga = ag.group_agreement(frame, item="item", rater="rater", label="label", groups=groups, n_boot=300, seed=3)
    np.testing.assert_array_equal(ga["ci_low"], [-0.3297861507128309, nan, -0.3100753093661404])
    np.testing.assert_array_equal(ga["ci_high"], [0.2901260504201679, nan, 0.1329866697711736])
    # Every item its own cluster is the same design: identical frames, to the bit.
    pd.testing.assert_frame_equal(
        ag.pairwise_agreement(
            frame.assign(unit=frame["item"] * 7), item="item", rater="rater", label="label", n_boot=300,
            seed=2, clusters="unit",
        ),
        out,
        check_exact=True,
    )


def test_clusters_resample_units_and_match_weighted_tables() -> None:
    """One level and two crossed levels: every resample's kappa is the kappa of the item-weighted table."""
    frame = stage2_frame(seed=3)
    frame["user_id"] = frame["prompt_id"].map(lambda p: f"u{int(p[1:]) % 4}")
    for clusters in ["prompt_id", ("user_id", "attribute_id")]:
        out = ag.pairwise_agreement(
            frame, item=KEY, rater="rater_id", label="relevant", raters=["h1", "gpt"], n_boot=400, seed=5,
            clusters=clusters,
        )
        wide = frame.pivot_table(index=KEY, columns="rater_id", values="relevant", aggfunc="first")
        items = wide.index.to_frame(index=False)  # sorted by the item key, as the toolkit codes items
        items = items.merge(frame[[*KEY, "user_id"]].drop_duplicates(), on=KEY, how="left")
        design = items[clusters].to_numpy() if isinstance(clusters, str) else tuple(
            items[c].to_numpy() for c in clusters
        )
        w = item_weights(design, len(items), 400, seed=5)
        a, b = wide["h1"].to_numpy(bool), wide["gpt"].to_numpy(bool)
        cells = [a & b, a & ~b, ~a & b, ~a & ~b]
        tables = np.stack([w @ c for c in cells], axis=1).reshape(400, 2, 2)
        lo, hi = np.quantile([_kappa_2x2(t) for t in tables], [0.025, 0.975])
        assert out["ci_low"].item() == pytest.approx(lo, abs=1e-12)
        assert out["ci_high"].item() == pytest.approx(hi, abs=1e-12)


def _kappa_2x2(table: np.ndarray) -> float:
    n = table.sum()
    po = np.trace(table) / n
    pe = (table.sum(axis=0) @ table.sum(axis=1)) / n**2
    return (po - pe) / (1 - pe)


def test_clusters_are_checked_per_item() -> None:
    frame = stage2_frame(seed=1)
    bad = frame.copy()
    bad.loc[(bad.prompt_id == "p2") & (bad.attribute_id == "a3") & (bad.rater_id == "gpt"), "user_id"] = "v"
    with pytest.raises(ValueError, match=r"item \('p2', 'a3'\) has more than one cluster id"):
        ag.pairwise_agreement(bad, item=KEY, rater="rater_id", label="relevant", n_boot=10, clusters="user_id")
    with pytest.raises(ValueError, match="more than one cluster id"):
        ag.group_agreement(
            bad, item=KEY, rater="rater_id", label="relevant", groups=GROUPS, n_boot=10,
            clusters=("user_id", "prompt_id"),
        )
    with pytest.raises(ValueError, match="no cluster column"):
        ag.pairwise_agreement(frame, item=KEY, rater="rater_id", label="relevant", clusters="pair_id")
    with pytest.raises(ValueError, match="one column or two distinct columns"):
        ag.pairwise_agreement(frame, item=KEY, rater="rater_id", label="relevant", clusters=["a", "b", "c"])
    # pairwise_matrix passes clusters on; a cluster column that is part of the item key is fine.
    mat = ag.pairwise_matrix(
        frame, item=KEY, rater="rater_id", label="relevant", value="ci_low", n_boot=50, clusters="prompt_id"
    )
    assert mat.shape == (6, 6) and np.isfinite(mat.to_numpy()).all()


# Coverage of the bootstrap itself, on data with a strong cluster effect: 30 clusters x 20 items, two
# raters who copy the item's true class (prevalence shifted per cluster) half the time and otherwise guess
# at the cluster's base rate. Kappa's sampling variance is then mostly between clusters.
COVERAGE_REPS, COVERAGE_BOOT = 200, 200


def _clustered_pair(rng: np.random.Generator, n_clusters: int, size: int = 20) -> tuple[np.ndarray, ...]:
    p = 1 / (1 + np.exp(-(-0.8 + rng.normal(0.0, 2.0, n_clusters))))
    p_item = np.repeat(p, size)
    truth = rng.random(p_item.size) < p_item
    a, b = (np.where(rng.random(p_item.size) < 0.5, truth, rng.random(p_item.size) < p_item) for _ in range(2))
    return np.repeat(np.arange(n_clusters), size), a, b


def test_cluster_bootstrap_covers_and_item_bootstrap_does_not_under_cluster_effects() -> None:
    _, a, b = _clustered_pair(np.random.default_rng(2024), 100_000)  # the estimand: kappa of the population
    truth = _kappa_2x2(np.array([[np.sum(a & b), np.sum(a & ~b)], [np.sum(~a & b), np.sum(~a & ~b)]], float))
    rng = np.random.default_rng(7)
    covered = {"item": 0, "cluster": 0}
    for rep in range(COVERAGE_REPS):
        cluster, a, b = _clustered_pair(rng, 30)
        n = a.size
        long = pd.DataFrame(
            {"item": np.tile(np.arange(n), 2), "rater": np.repeat(["a", "b"], n), "label": np.r_[a, b],
             "cluster": np.tile(cluster, 2)}
        )
        for name, clusters in (("item", None), ("cluster", "cluster")):
            out = ag.pairwise_agreement(
                long, item="item", rater="rater", label="label", n_boot=COVERAGE_BOOT, seed=rep, clusters=clusters
            )
            covered[name] += bool(out["ci_low"].item() <= truth <= out["ci_high"].item())
    coverage = {k: v / COVERAGE_REPS for k, v in covered.items()}
    band = 3.3 * np.sqrt(0.95 * 0.05 / COVERAGE_REPS)  # ~99.9% binomial band around the nominal 95%
    assert coverage["item"] < 0.85, coverage  # resampling items ignores the clusters: too narrow
    assert abs(coverage["cluster"] - 0.95) <= band, coverage
