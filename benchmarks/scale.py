"""Scale benchmark: agreement on a synthetic Parquet study of up to 100M judgments (toolkit.engine).

Run: ``python benchmarks/scale.py`` (a small study, about a minute) or ``python benchmarks/scale.py --full``
(10M items x 10 raters = 100M judgments, 40 raters in 4 groups, 100k prompts as clusters; the data are
generated once and cached under ``--data-dir``, default ``/work/scale-data``, never in the repository).

Measured, each in a fresh child process (so peak RSS is the step's own):

1. ``reduce``: DuckDB reads the Parquet and reduces it to per-prompt pair-cell counts; then the 40 x 40
   pairwise kappa matrix, the 4 x 4 group means and a 200-replication prompt-cluster bootstrap of both
   (one set of resampled tables); wall time and peak RSS against the goals (<= 5 min, <= 4 GB).
2. ``check``: on a 1M-judgment study, the embedded path against the in-memory path (``pairwise_agreement``
   and ``group_agreement`` with ``clusters="cluster"``, Fleiss, AC1, alpha: the largest absolute difference,
   goal <= 1e-12) and the Dask path (a local 2-worker cluster) against the DuckDB path (equal).

Results go to ``benchmarks/results/scale.json`` (with ``--full``) and stdout. Not a test: nothing asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from toolkit import engine as en  # noqa: E402
from toolkit.agreement import pairwise_matrix  # noqa: E402
from toolkit.agreement.tables import group_from_tables, pairwise_from_tables  # noqa: E402
from toolkit.resampling import unit_bootstrap_sums  # noqa: E402

GOAL_SECONDS, GOAL_RSS_GB = 300.0, 4.0


def study(data_dir: Path, n_items: int) -> Path:
    """The cached synthetic study of ``n_items`` items (generated on first use)."""
    path = data_dir / f"scale-{n_items}.parquet"
    if not path.exists():
        t0 = time.perf_counter()
        tmp = path.with_suffix(".partial")
        en.write_synthetic_study(tmp, n_items=n_items)
        tmp.rename(path)
        print(f"generated {path} ({n_items * 10:,} judgments) in {time.perf_counter() - t0:.0f} s", flush=True)
    return path


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # kB on Linux


def run_reduce(path: Path, n_boot: int, threads: int, memory_limit: str) -> dict:
    """Step 1 (in this process): reduce, kappa matrix, group means, cluster bootstrap."""
    spec = en.Judgments(path)
    t0 = time.perf_counter()
    groups = en.rater_groups(spec, threads=threads)
    red = en.reduce(spec, threads=threads, memory_limit=memory_limit)
    t_reduce = time.perf_counter() - t0
    t1 = time.perf_counter()
    k = len(red.plan.categories)
    boot = unit_bootstrap_sums(red.stats.cells, n_boot, seed=0).reshape(n_boot, -1, k, k)
    t_boot = time.perf_counter() - t1
    t2 = time.perf_counter()
    tables = red.pair_tables()
    pairs = pairwise_from_tables(tables, metric="cohen_kappa", boot=boot)
    matrix = pairwise_matrix(pairs)
    means = group_from_tables(tables, groups, metric="cohen_kappa", boot=boot)
    t_stats = time.perf_counter() - t2
    total = time.perf_counter() - t0
    print(means.round(4).to_string(index=False))
    return {
        "judgments": int(red.stats.n_judgments),
        "raters": len(red.plan.raters),
        "clusters": red.plan.n_units,
        "n_boot": n_boot,
        "seconds_reduce": round(t_reduce, 1),
        "seconds_bootstrap": round(t_boot, 1),
        "seconds_statistics": round(t_stats, 1),
        "seconds_total": round(total, 1),
        "peak_rss_gb": round(peak_rss_gb(), 2),
        "kappa_matrix_shape": list(matrix.shape),
        "group_means": means.round(6).to_dict("records"),
        "goal_seconds": GOAL_SECONDS,
        "goal_rss_gb": GOAL_RSS_GB,
    }


def run_check(path: Path, threads: int) -> dict:
    """Step 2 (in this process): embedded vs in-memory, Dask vs DuckDB, on one study."""
    import pandas as pd
    from distributed import Client, LocalCluster

    from toolkit import agreement as ag

    spec = en.Judgments(path)
    long = pd.read_parquet(path)
    long["rater"] = long["rater"].astype(str)
    groups = en.rater_groups(spec, threads=threads)
    red = en.reduce(spec, threads=threads)
    out: dict = {"judgments": int(red.stats.n_judgments)}
    diffs = {}
    a = ag.pairwise_agreement(long, item="item", rater="rater", label="label", n_boot=50, clusters="cluster", seed=1)
    b = en.pairwise_agreement(red, n_boot=50, seed=1)
    diffs["pairwise_kappa_with_ci"] = float(np.nanmax(np.abs(a[["value", "ci_low", "ci_high"]].to_numpy()
                                                             - b[["value", "ci_low", "ci_high"]].to_numpy())))
    a = ag.group_agreement(long, item="item", rater="rater", label="label", groups=groups, n_boot=50,
                           clusters="cluster", seed=1)
    b = en.group_agreement(spec, n_boot=50, seed=1, threads=threads)
    diffs["group_means_with_ci"] = float(np.nanmax(np.abs(a[["mean", "ci_low", "ci_high"]].to_numpy()
                                                          - b[["mean", "ci_low", "ci_high"]].to_numpy())))
    for name in ("fleiss_kappa", "gwet_ac1", "percent_agreement"):
        diffs[name] = abs(getattr(ag, name)(long, item="item", rater="rater", label="label")
                          - en.multirater(red, name).value)
    diffs["krippendorff_alpha"] = abs(ag.krippendorff_alpha(long, item="item", rater="rater", label="label",
                                                            level="nominal") - en.krippendorff_alpha(red, level="nominal").value)
    out["embedded_vs_in_memory_max_abs_diff"] = diffs
    t0 = time.perf_counter()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as lc, \
            Client(lc) as client:
        rd = en.reduce(spec, scheduler=client)
    out["seconds_dask_reduce_2_workers"] = round(time.perf_counter() - t0, 1)
    out["dask_equals_duckdb"] = bool(np.array_equal(rd.stats.cells, red.stats.cells)
                                     and np.array_equal(rd.stats.profiles, red.stats.profiles)
                                     and np.array_equal(rd.stats.multiplicity, red.stats.multiplicity)
                                     and rd.plan.units.equals(red.plan.units))
    print(json.dumps(out, indent=2))
    return out


def child(step: str, path: Path, args: argparse.Namespace) -> dict:
    """Run one step in a fresh interpreter (its own peak RSS); return its JSON result."""
    cmd = [sys.executable, __file__, "--step", step, "--path", str(path), "--n-boot", str(args.n_boot),
           "--threads", str(args.threads), "--memory-limit", args.memory_limit]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, check=True, capture_output=True, text=True, env=os.environ.copy())
    sys.stdout.write(done.stdout.split("@@RESULT@@")[0])
    result = json.loads(done.stdout.split("@@RESULT@@")[1])
    result["seconds_wall_child"] = round(time.perf_counter() - t0, 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="100M judgments (10M items x 10 raters)")
    parser.add_argument("--items", type=int, default=None, help="items of the timed study (default 20k; --full 10M)")
    parser.add_argument("--data-dir", type=Path, default=Path("/work/scale-data"))
    parser.add_argument("--n-boot", type=int, default=200)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory-limit", default="1GB")
    parser.add_argument("--skip-check", action="store_true")
    parser.add_argument("--generate-only", action="store_true")
    parser.add_argument("--step", choices=("reduce", "check"), help=argparse.SUPPRESS)
    parser.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        result = (run_reduce(args.path, args.n_boot, args.threads, args.memory_limit) if args.step == "reduce"
                  else run_check(args.path, args.threads))
        print("@@RESULT@@" + json.dumps(result))
        return
    n_items = args.items or (10_000_000 if args.full else 20_000)
    path = study(args.data_dir, n_items)
    check_path = study(args.data_dir, 100_000) if not args.skip_check else None
    if args.generate_only:
        return
    load = os.getloadavg()
    results = {"machine": {"cpus": os.cpu_count(), "loadavg_before": [round(x, 2) for x in load]},
               "study": {"items": n_items, "judgments": n_items * 10, "raters": 40, "groups": 4,
                         "raters_per_item": 10, "clusters": -(-n_items // 100)}}
    results["reduce_kappa_groups_bootstrap"] = child("reduce", path, args)
    if check_path is not None:
        results["check_1m"] = child("check", check_path, args)
    results["machine"]["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    r = results["reduce_kappa_groups_bootstrap"]
    print(f"\n{r['judgments']:,} judgments: {r['seconds_total']:.0f} s (goal {GOAL_SECONDS:.0f} s), "
          f"peak RSS {r['peak_rss_gb']:.2f} GB (goal {GOAL_RSS_GB} GB); load average {load[0]:.1f}")
    if args.full:
        out = ROOT / "benchmarks" / "results" / "scale.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
