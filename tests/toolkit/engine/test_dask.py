"""The Dask engine on a local two-worker cluster gives the DuckDB engine's counts exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from toolkit import engine as en

pytest.importorskip("duckdb")
distributed = pytest.importorskip("distributed")


def test_dask_equals_duckdb_on_a_local_two_worker_cluster(tmp_path: Path) -> None:
    path = en.write_synthetic_study(tmp_path / "s.parquet", n_items=240, n_raters=6, n_groups=2,
                                    raters_per_item=3, items_per_cluster=8, seed=2, row_group_size=100)
    spec = en.Judgments(path, cluster2="cluster2")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        rd = en.reduce(spec, scheduler=cluster.scheduler_address)  # an address, as `--scheduler` passes it
    rq = en.reduce(spec, threads=1)
    assert np.array_equal(rd.stats.cells, rq.stats.cells) and rd.stats.cells.sum() > 0
    assert np.array_equal(rd.stats.profiles, rq.stats.profiles)
    assert np.array_equal(rd.stats.multiplicity, rq.stats.multiplicity)
    assert rd.plan.units.equals(rq.plan.units)
    assert [np.array_equal(a, b) for (a, _), (b, _) in zip(rd.plan.unit_levels, rq.plan.unit_levels, strict=True)] == [True, True]
    groups = {"g1": ["g1_r00", "g1_r01", "g1_r02"], "g2": ["g2_r03", "g2_r04", "g2_r05"]}
    assert en.group_agreement(rd, groups=groups, n_boot=20, seed=1).equals(
        en.group_agreement(rq, groups=groups, n_boot=20, seed=1))
