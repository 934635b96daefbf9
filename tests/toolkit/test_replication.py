"""toolkit.replication: identical results whatever the execution (1 or 2 local workers, a Dask cluster),
resume from the cache, recovery from a corrupt entry, and the kappa-coverage study (including a check that
can fail: a deliberately too-narrow interval is flagged as under-covering)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pytest

from toolkit.cli import main
from toolkit.replication import (
    STUDIES,
    Study,
    design_hash,
    get_study,
    list_studies,
    register_study,
    replication_key,
    replication_path,
    run_study,
)
from toolkit.studies import coverage_summary
from toolkit.studies.kappa_coverage import DESIGN, STUDY, population_kappa
from toolkit.studies.kappa_coverage import run as kappa_run

#: Small designs keep the suite fast: 100 items, few bootstrap resamples.
QUICK = {**DESIGN, "n_boot": 50}
CALLS: list[int] = []


def counting_run(design: Mapping[str, Any], seed: int) -> dict[str, float]:
    """A cheap replication that records every call (in-process runs only: workers=1)."""
    CALLS.append(seed)
    rng = np.random.default_rng(seed)
    return {"estimate": float(rng.normal(design["mu"])), "sq": float(seed**2)}


COUNTING = Study(name="test-counting", version="1", run=counting_run, design={"mu": 0.0})


def half_width_run(design: Mapping[str, Any], seed: int) -> dict[str, float]:
    """The kappa-coverage replication with its interval shrunk to half its width about its midpoint."""
    out = kappa_run(design, seed)
    mid, half = (out["ci_low"] + out["ci_high"]) / 2, (out["ci_high"] - out["ci_low"]) / 4
    return {"estimate": out["estimate"], "ci_low": mid - half, "ci_high": mid + half}


HALF_WIDTH = Study(name="test-kappa-half-width", version="1", run=half_width_run, design=DESIGN,
                   summarize=STUDY.summarize)  # fmt: skip


def test_keys_are_canonical_and_versioned():
    assert design_hash({"a": 1, "b": [1, 2]}) == design_hash({"b": [1, 2], "a": 1})
    assert design_hash({"a": 1}) != design_hash({"a": 1.5})
    key = replication_key(COUNTING, {"mu": 0.0}, 3)
    assert key == replication_key(COUNTING, {"mu": 0.0}, 3)
    assert key != replication_key(COUNTING, {"mu": 0.0}, 4)
    assert key != replication_key(COUNTING, {"mu": 1.0}, 3)
    assert key != replication_key(Study(name="test-counting", version="2", run=counting_run), {"mu": 0.0}, 3)
    with pytest.raises(TypeError):
        design_hash({"f": object()})


def test_design_overrides_merge_into_the_defaults(tmp_path):
    CALLS.clear()
    full = run_study(COUNTING, {"mu": 0.0}, range(2), cache_dir=tmp_path, progress=False)
    partial = run_study(COUNTING, {}, range(2), cache_dir=tmp_path, progress=False)
    assert len(CALLS) == 2  # the spelled-out default and the omitted one share keys
    pd.testing.assert_frame_equal(full, partial)
    with pytest.raises(ValueError, match="no design setting"):
        run_study(COUNTING, {"sigma": 1.0}, range(2), cache_dir=tmp_path, progress=False)


def test_resume_reads_the_cache_and_computes_only_missing_reps(tmp_path):
    CALLS.clear()
    first = run_study(COUNTING, None, [4, 0, 2, 1, 3], cache_dir=tmp_path, progress=False)
    assert sorted(CALLS) == [0, 1, 2, 3, 4]
    assert first["seed"].tolist() == [0, 1, 2, 3, 4] and list(first.columns) == ["seed", "estimate", "sq"]
    CALLS.clear()
    again = run_study(COUNTING, None, range(5), cache_dir=tmp_path, progress=False)
    assert CALLS == []  # every replication was a cache hit
    pd.testing.assert_frame_equal(again, first)
    more = run_study(COUNTING, None, range(7), cache_dir=tmp_path, progress=False)
    assert sorted(CALLS) == [5, 6]  # an interrupted or extended run computes only what is missing
    pd.testing.assert_frame_equal(more.iloc[:5], first)
    files = sorted((tmp_path / "replications" / "test-counting").iterdir())
    assert len(files) == 7 and all(p.suffix == ".json" for p in files)
    entry = json.loads(replication_path(COUNTING, {"mu": 0.0}, 6, tmp_path).read_text())
    assert entry["seed"] == 6 and entry["result"]["sq"] == 36.0 and entry["design"] == {"mu": 0.0}


def test_a_corrupt_cache_entry_is_discarded_and_recomputed(tmp_path):
    first = run_study(COUNTING, None, range(4), cache_dir=tmp_path, progress=False)
    replication_path(COUNTING, {"mu": 0.0}, 2, tmp_path).write_text('{"study": "test-cou')  # truncated write
    replication_path(COUNTING, {"mu": 0.0}, 3, tmp_path).write_text(json.dumps({"study": "other"}))
    CALLS.clear()
    with pytest.warns(UserWarning, match="corrupt cached replication"):
        again = run_study(COUNTING, None, range(4), cache_dir=tmp_path, progress=False)
    assert sorted(CALLS) == [2, 3]
    pd.testing.assert_frame_equal(again, first)
    json.loads(replication_path(COUNTING, {"mu": 0.0}, 2, tmp_path).read_text())  # rewritten whole


def test_results_are_identical_with_one_and_two_local_workers(tmp_path):
    seeds = range(10, 18)
    one = run_study(STUDY, QUICK, seeds, workers=1, cache_dir=tmp_path / "one", progress=False)
    two = run_study(STUDY, QUICK, seeds, workers=2, cache_dir=tmp_path / "two", progress=False)
    pd.testing.assert_frame_equal(one, two)
    assert list(one.columns) == ["seed", "estimate", "ci_low", "ci_high", "covered"]
    # the two-worker run cached every replication: a rerun reads them (and gives the same frame)
    pd.testing.assert_frame_equal(run_study(STUDY, QUICK, seeds, cache_dir=tmp_path / "two", progress=False), one)


def test_dask_cluster_gives_the_same_results_as_the_local_path(tmp_path):
    distributed = pytest.importorskip(
        "distributed", reason="the Dask path needs dask[distributed] (the 'cluster' or 'dev' extra)"
    )
    seeds = range(30, 36)
    local = run_study(STUDY, QUICK, seeds, workers=1, cache_dir=tmp_path / "local", progress=False)
    with distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    ) as cluster:
        remote = run_study(
            STUDY, QUICK, seeds, scheduler=cluster.scheduler_address, cache_dir=tmp_path / "dask", progress=False
        )
    pd.testing.assert_frame_equal(remote, local)
    assert len(list((tmp_path / "dask" / "replications" / "kappa-coverage").iterdir())) == len(seeds)


def test_progress_bar_reports_reps(tmp_path, capsys):
    run_study(COUNTING, None, range(3), cache_dir=tmp_path, progress=True)
    assert "3/3" in capsys.readouterr().err
    run_study(COUNTING, None, range(3), cache_dir=tmp_path / "quiet", progress=False)
    assert capsys.readouterr().err == ""


def test_registry():
    assert "kappa-coverage" in STUDIES and "kappa-coverage" in list_studies()
    assert get_study("kappa-coverage") is STUDY
    register_study(COUNTING)
    assert get_study("test-counting") is COUNTING
    with pytest.raises(KeyError, match="unknown study"):
        get_study("no-such-study")


def test_population_kappa_matches_a_large_simulation():
    rng = np.random.default_rng(5)
    n = 400_000
    positive = rng.random(n) < DESIGN["prevalence"]
    a = rng.random(n) < np.where(positive, DESIGN["sensitivity"][0], 1 - DESIGN["specificity"][0])
    b = rng.random(n) < np.where(positive, DESIGN["sensitivity"][1], 1 - DESIGN["specificity"][1])
    p_o, p_a, p_b = np.mean(a == b), a.mean(), b.mean()
    p_e = p_a * p_b + (1 - p_a) * (1 - p_b)
    assert (p_o - p_e) / (1 - p_e) == pytest.approx(population_kappa(DESIGN), abs=0.005)


def test_kappa_coverage_study_runs_a_few_reps(tmp_path):
    res = run_study(STUDY, QUICK, range(3), cache_dir=tmp_path, progress=False)
    assert len(res) == 3 and set(res["covered"]) <= {0.0, 1.0}
    assert (res["ci_low"] <= res["estimate"]).all() and (res["estimate"] <= res["ci_high"]).all()
    summary = STUDY.summarize(res, QUICK)
    assert summary.loc[0, "n_reps"] == 3 and summary.loc[0, "truth"] == pytest.approx(population_kappa(QUICK))


def test_coverage_check_passes_the_bootstrap_and_flags_a_too_narrow_interval(tmp_path):
    """200 replications: the nominal 95% interval's coverage is consistent with 0.95 (0.95 lies in the
    Wilson interval of the observed coverage), while the same machinery flags an interval half as wide."""
    design = {**DESIGN, "n_boot": 200}
    seeds = range(1000, 1200)
    good = STUDY.summarize(run_study(STUDY, design, seeds, cache_dir=tmp_path, progress=False), design).iloc[0]
    assert good["n_defined"] == 200
    assert good["coverage_low"] <= 0.95 <= good["coverage_high"], good.to_dict()
    assert abs(good["bias"]) < 0.03 and good["rmse"] < 0.15
    bad = HALF_WIDTH.summarize(run_study(HALF_WIDTH, design, seeds, cache_dir=tmp_path, progress=False), design)
    bad = bad.iloc[0]
    assert bad["coverage_high"] < 0.95, bad.to_dict()  # under-covering, and the check says so
    assert bad["mean_width"] == pytest.approx(good["mean_width"] / 2)


def test_coverage_summary_handles_undefined_replications():
    res = pd.DataFrame({"estimate": [0.5, np.nan], "ci_low": [0.4, np.nan], "ci_high": [0.6, np.nan]})
    out = coverage_summary(res, 0.5).iloc[0]
    assert out["n_reps"] == 2 and out["n_defined"] == 1 and out["coverage"] == 1.0


def test_cli_writes_results_summary_and_provenance(tmp_path, capsys):
    out, cache = tmp_path / "out", tmp_path / "cache"
    args = ["calibrate", "kappa-coverage", "--reps", "3", "--seed", "5", "--set", "n_boot=50", "--out", str(out),
            "--cache-dir", str(cache), "--no-progress"]  # fmt: skip
    assert main(args) == 0
    res = pd.read_csv(out / "kappa-coverage.csv")
    assert res["seed"].tolist() == [5, 6, 7]
    assert pd.read_csv(out / "kappa-coverage_summary.csv").loc[0, "n_reps"] == 3
    prov = json.loads((out / "kappa-coverage_provenance.json").read_text())
    assert prov["design"]["n_boot"] == 50 and prov["seeds"] == {"first": 5, "last": 7, "n": 3, "done": 3}
    assert "workers" not in json.dumps(prov)
    capsys.readouterr()
    assert main(["calibrate", "--list"]) == 0
    assert "kappa-coverage" in capsys.readouterr().out
    assert main(["calibrate", "no-such-study"]) == 2


def test_cached_only_summarises_what_is_done_and_runs_nothing(tmp_path):
    out, cache = tmp_path / "out", tmp_path / "cache"
    base = ["calibrate", "kappa-coverage", "--set", "n_boot=50", "--out", str(out), "--cache-dir", str(cache),
            "--no-progress"]  # fmt: skip
    assert main([*base, "--cached-only", "--reps", "4"]) == 2  # nothing cached yet
    assert main([*base, "--reps", "2"]) == 0
    assert main([*base, "--reps", "4", "--cached-only"]) == 0
    prov = json.loads((out / "kappa-coverage_provenance.json").read_text())
    assert prov["seeds"]["n"] == 4 and prov["seeds"]["done"] == 2
    assert len(pd.read_csv(out / "kappa-coverage.csv")) == 2
