"""Benchmark of reading a record file into its tidy frame: the strict line reader vs Arrow (JSONL and Parquet).

    python benchmarks/read_speed.py                 # the bundled relevance file, 3 rounds
    python benchmarks/read_speed.py --full          # 15 rounds
    python benchmarks/read_speed.py --record-type extraction_judgments --repeat 5

Each round reads the file cold (no frame cache) with: the strict line reader (``json`` per line + the
generated checker: what ``Dataset.frame`` did before the Arrow path), ``toolkit.dataset.read_frame`` on the
same ``.jsonl.gz`` (``pyarrow.json`` + column checks), and ``read_frame`` on a Parquet copy. The methods
alternate within each round so a shared machine's load hits them alike; the best and median wall times and
CPU times are printed, with the speed-up of the best times, and the frames are checked to be identical.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from toolkit.dataset import _strict_frame, load_dataset, read_frame  # noqa: E402
from toolkit.parquet import write_parquet_rows  # noqa: E402

GOAL = 5.0


def _time(fn) -> tuple[float, float, pd.DataFrame]:
    c0, t0 = time.process_time(), time.perf_counter()
    frame = fn()
    return time.perf_counter() - t0, time.process_time() - c0, frame


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record-type", default="relevance_judgments")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--full", action="store_true", help="15 rounds")
    args = parser.parse_args(argv)
    rounds = 15 if args.full else args.repeat
    ds = load_dataset()
    name = args.record_type
    path = ds.file(name)
    version = ds.default_version
    with tempfile.TemporaryDirectory() as tmp:
        pq_path = Path(tmp) / f"{name}.parquet"
        from schemas import unstructure

        write_parquet_rows(pq_path, (unstructure(r) for r in ds.records(name)))
        methods = {
            "line reader (before)": lambda: _strict_frame(path, name, version),
            "Arrow JSONL (read_frame)": lambda: read_frame(path, name, version),
            "Arrow Parquet (read_frame)": lambda: read_frame(pq_path, name, version),
        }
        walls: dict[str, list[float]] = {m: [] for m in methods}
        cpus: dict[str, list[float]] = {m: [] for m in methods}
        frames = {}
        for _ in range(rounds):
            for label, fn in methods.items():
                wall, cpu, frames[label] = _time(fn)
                walls[label].append(wall)
                cpus[label].append(cpu)
    reference = frames["line reader (before)"]
    n = len(reference)
    print(f"{path.name}: {n:,} records, {rounds} rounds, load average {os.getloadavg()[0]:.2f}")
    base = min(walls["line reader (before)"])
    base_cpu = min(cpus["line reader (before)"])
    for label in methods:
        same = "identical" if frames[label].equals(reference) and (frames[label].dtypes == reference.dtypes).all() else "DIFFERENT"
        best, med, cpu = min(walls[label]), statistics.median(walls[label]), min(cpus[label])
        print(
            f"  {label:28s} best {best:6.3f} s  median {med:6.3f} s  cpu {cpu:6.3f} s  "
            f"speed-up {base / best:5.1f}x (cpu {base_cpu / cpu:5.1f}x)  {same}"
        )
    arrow = base / min(walls["Arrow JSONL (read_frame)"])
    print(f"goal >= {GOAL:.0f}x on JSONL: {'met' if arrow >= GOAL else 'NOT met'} ({arrow:.1f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
