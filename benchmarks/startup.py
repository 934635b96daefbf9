"""Start-up benchmark: ``python -m analyses.figure3`` against the import floor ``import pandas, matplotlib.pyplot``.

Three commands, each a fresh interpreter, run interleaved (floor, figure3, figure3 --no-cache, floor, ...) so
that load from other jobs on the machine hits all of them alike; one warm-up round first fills the frame
cache and the output cache. Reports the median wall time of each and the ratios to the floor:

* ``figure3``: the default run; with unchanged data, settings and sources its outputs come from the output
  cache (:func:`analyses.common.output_key`), so it costs imports, hashing and a copy;
* ``figure3 --no-cache``: recomputes and redraws (frame cache warm): the cost of a first run after a change.

Usage: ``python benchmarks/startup.py [--runs 5] [--json FILE]`` (default 5 runs of each; ``--runs 1`` checks
that it works).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["COMMANDS", "main", "measure"]

COMMANDS: dict[str, list[str]] = {
    "floor": [sys.executable, "-c", "import pandas, matplotlib.pyplot"],
    "figure3": [sys.executable, "-m", "analyses.figure3"],
    "figure3 --no-cache": [sys.executable, "-m", "analyses.figure3", "--no-cache"],
}


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("MPLBACKEND", "Agg")
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")
    return env


def _time(cmd: list[str], out: Path, env: dict[str, str]) -> float:
    args = cmd + (["--out", str(out)] if "analyses.figure3" in cmd else [])
    start = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def measure(runs: int = 5) -> dict[str, list[float]]:
    """Wall times (s) of each command in :data:`COMMANDS`, ``runs`` interleaved rounds after one warm-up."""
    env = _env()
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for name, cmd in COMMANDS.items():  # warm-up: frame cache, output cache, OS file cache
            _time(cmd, out / name.replace(" ", ""), env)
        for _ in range(runs):
            for name, cmd in COMMANDS.items():
                times[name].append(_time(cmd, out / name.replace(" ", ""), env))
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument("--json", type=Path, help="also write the times and medians here")
    args = parser.parse_args(argv)
    times = measure(args.runs)
    medians = {name: statistics.median(t) for name, t in times.items()}
    floor = medians["floor"]
    print(f"{'command':<22} {'median s':>9} {'ratio':>6}   runs")
    for name, t in times.items():
        print(f"{name:<22} {medians[name]:>9.2f} {medians[name] / floor:>6.2f}   {' '.join(f'{x:.2f}' for x in t)}")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    if args.json:
        ratios = {name: medians[name] / floor for name in times}
        args.json.write_text(json.dumps({"times": times, "medians": medians, "ratios": ratios}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
