"""Wall time of the kappa-coverage study with 1 and 2 local workers, and the speedup (goal: >= 1.8x).

Run: ``python benchmarks/replication.py [--reps 200] [--repeats 3] [--n-boot 1000]`` (about a minute on a
2-core machine). Each timing is a full, uncached ``run_study`` call (a fresh cache folder every time); one
worker runs in this process. The first two-worker call is timed apart ("cold"): it starts the fork server,
which imports pandas, SciPy and the study once, as every ``recenter calibrate`` run does; later calls in the
same process reuse it ("warm"). Timings alternate 1 and 2 workers so that load from other jobs hits both alike; the load average is printed before and after, since
a parallel speedup on a 2-core machine is only meaningful when the machine is otherwise idle. Also checks that
both give the identical frame. Not a test: nothing here asserts.

A control measures what the machine gives two processes at that moment: a pure-Python CPU loop run 8 times
in this process and then on a warm 2-process spawn pool (no start-up, no I/O). When the control is well
below 2x, other jobs hold the cores and no pool can reach the goal then.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from toolkit.replication import run_study  # noqa: E402
from toolkit.studies.kappa_coverage import DESIGN, STUDY  # noqa: E402


def timed_run(design: dict, reps: int, workers: int) -> tuple[float, object]:
    with tempfile.TemporaryDirectory() as cache:
        t0 = time.perf_counter()
        frame = run_study(STUDY, design, range(reps), workers=workers, cache_dir=cache, progress=False)
        return time.perf_counter() - t0, frame


def burn(n: int) -> int:
    """Pure CPU work (no memory traffic, no BLAS): the control."""
    total = 0
    for i in range(n):
        total += i * i
    return total


def control_speedup(n: int = 2_000_000, tasks: int = 8) -> float:
    """Serial time / warm two-process pool time of ``tasks`` calls of :func:`burn`."""
    t0 = time.perf_counter()
    for _ in range(tasks):
        burn(n)
    serial = time.perf_counter() - t0
    with ProcessPoolExecutor(2, mp_context=get_context("spawn")) as pool:
        list(pool.map(burn, [1, 1]))  # start both workers first
        t0 = time.perf_counter()
        list(pool.map(burn, [n] * tasks))
        parallel = time.perf_counter() - t0
    return serial / parallel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n-boot", type=int, default=DESIGN["n_boot"])
    args = parser.parse_args()
    design = {**DESIGN, "n_boot": args.n_boot}
    print(f"kappa-coverage: {args.reps} reps, n_items={design['n_items']}, n_boot={design['n_boot']}; "
          f"{os.cpu_count()} CPUs, load average before {os.getloadavg()[0]:.2f}")  # fmt: skip
    cold, _ = timed_run(design, args.reps, 2)
    print(f"  workers=2 (cold, starts the fork server): {cold:6.2f} s", flush=True)
    times: dict[int, list[float]] = {1: [], 2: []}
    frames = {}
    for _ in range(args.repeats):
        for workers in (1, 2):
            seconds, frames[workers] = timed_run(design, args.reps, workers)
            times[workers].append(seconds)
            print(f"  workers={workers}: {seconds:6.2f} s", flush=True)
    control = control_speedup()
    one, two = statistics.median(times[1]), statistics.median(times[2])
    print(f"median wall time: 1 worker {one:.2f} s ({one / args.reps * 1000:.0f} ms/rep), "
          f"2 workers {two:.2f} s warm / {cold:.2f} s cold; speedup {one / two:.2f}x warm, "
          f"{one / cold:.2f}x cold (goal >= 1.8x)")  # fmt: skip
    print(f"control (pure CPU loop, warm 2-process pool): {control:.2f}x")
    print(f"identical frames: {frames[1].equals(frames[2])}; load average after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
