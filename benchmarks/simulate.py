"""Benchmark of ``recenter simulate``: wall time and peak memory at the default size and scaled up.

Each run is a fresh subprocess (``python -m toolkit simulate --out TMP --scale K``) so its peak resident set
size is its own. The records are streamed to disk, so memory should grow far slower than the output.

    python benchmarks/simulate.py                # scales 1, 5 and 10
    python benchmarks/simulate.py --scales 1 10 --no-gzip

Budgets (from the issue): default < 5 s, ``--scale 10`` < 60 s with flat memory.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUDGET_S = {1.0: 5.0, 10.0: 60.0}


def _folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def run_once(scale: float, gzip: bool) -> dict[str, float]:
    """Time one simulate run in a child process; return seconds, peak RSS (MB), output size (MB)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "sim"
        cmd = [sys.executable, "-m", "toolkit", "simulate", "--out", str(out), "--scale", f"{scale:g}"]
        if not gzip:
            cmd.append("--no-gzip")
        start = time.perf_counter()
        child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)  # this child's own rusage (ru_maxrss in KiB on Linux)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode:
            raise subprocess.CalledProcessError(child.returncode, cmd)
        return {
            "scale": scale,
            "seconds": seconds,
            "peak_rss_mb": usage.ru_maxrss / 1024,
            "output_mb": _folder_size(out) / 2**20,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 5.0, 10.0])
    parser.add_argument("--no-gzip", action="store_true", help="write plain JSONL")
    args = parser.parse_args(argv)
    print(f"{'scale':>6} {'seconds':>9} {'budget':>7} {'peak RSS MB':>12} {'output MB':>10}")
    ok = True
    for scale in sorted(args.scales):
        r = run_once(scale, gzip=not args.no_gzip)
        budget = BUDGET_S.get(scale)
        within = budget is None or r["seconds"] < budget
        ok &= within
        print(
            f"{scale:>6g} {r['seconds']:>9.2f} {budget if budget else '-':>7} {r['peak_rss_mb']:>12.0f} "
            f"{r['output_mb']:>10.1f}{'' if within else '  OVER BUDGET'}"
        )
    print("(peak RSS includes the interpreter and imported libraries: numpy, scipy, pandas)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
