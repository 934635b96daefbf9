"""Benchmark the user-facing commands end to end (interpreter start included).

* ``python -m analyses.figure3`` (goal: < 3 s wall),
* ``python -m analyses`` from a cold posterior cache (goal: <= 5 min) and with a warm cache (goal: <= 30 s).

Each command runs in a fresh subprocess on the bundled sample (or ``--data``), writing into a temporary folder;
the cold run uses an empty ``RECENTER_CACHE_DIR``, the warm run re-uses it. Wall time is the goal; the CPU time
of the child (user + sys) is shown too, because on a shared machine wall time is inflated by other processes.

Usage::

    python benchmarks/analyses.py [--data DIR] [--repeat 5] [--skip-all] [--only-warm CACHE_DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOALS = {"figure3": 3.0, "all (cold cache)": 300.0, "all (warm cache)": 30.0}


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """(wall seconds, child CPU seconds, exit code) of one subprocess."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-3000:])
    return wall, cpu, proc.returncode


def report(name: str, walls: list[float], cpus: list[float]) -> None:
    goal = GOALS.get(name)
    best = min(walls)
    verdict = "" if goal is None else ("  ok" if best <= goal else f"  OVER the {goal:.0f} s goal")
    spread = f" (median {statistics.median(walls):.2f} s over {len(walls)})" if len(walls) > 1 else ""
    print(f"{name:<18} wall {best:7.2f} s{spread}, cpu {min(cpus):7.2f} s{verdict}", flush=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=None, help="dataset folder (default: the bundled sample)")
    p.add_argument("--repeat", type=int, default=5, help="runs of figure3 (the best is reported)")
    p.add_argument("--skip-all", action="store_true", help="only time figure3")
    args = p.parse_args(argv)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", MPLBACKEND="Agg")
    data = ["--data", args.data] if args.data else []
    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} CPUs, load average {load:.1f}; python {sys.version.split()[0]}")
    if load > (os.cpu_count() or 1):
        print("note: the machine is busy; wall times are inflated (compare the cpu column)")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        walls, cpus = [], []
        for _ in range(args.repeat):
            w, c, code = run([sys.executable, "-m", "analyses.figure3", *data, "--out", str(out)], env)
            if code:
                print(f"figure3 failed with exit code {code}")
                return 1
            walls.append(w)
            cpus.append(c)
        report("figure3", walls, cpus)
        if args.skip_all:
            return 0
        cache = Path(tmp) / "cache"
        env_all = dict(env, RECENTER_CACHE_DIR=str(cache))
        for name in ("all (cold cache)", "all (warm cache)"):
            w, c, code = run([sys.executable, "-m", "analyses", *data, "--out", str(out)], env_all)
            report(name, [w], [c])
            if code:
                print(f"{name} exited with code {code}")
                return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
