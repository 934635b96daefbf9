"""Timing of ``recenter import annotation-tool`` on the whole real sample (goal: < 10 s).

Run: ``python benchmarks/import_realdata.py [REALDATA_DIR]`` (default ``../shared/realdata`` or
``$RECENTER_REALDATA``). Imports the folder a few times into temporary folders, prints the median wall time
(in-process, and once through the CLI in a fresh interpreter, which adds Python start-up and imports), the
records written and the exclusions by reason. Not a test: nothing here asserts. The sample is read only;
nothing is written outside a temporary folder.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from toolkit.importers import import_annotation_tool  # noqa: E402

GOAL_S = 10.0


def main(argv: list[str]) -> int:
    default = os.environ.get("RECENTER_REALDATA") or str(ROOT.parent / "shared" / "realdata")
    src = Path(argv[0] if argv else default)
    if not (src / "task5_items.jsonl").exists():
        print(f"real sample not found at {src}; pass its folder or set RECENTER_REALDATA", file=sys.stderr)
        return 2
    size = sum(p.stat().st_size for p in src.rglob("*.jsonl"))
    print(f"source: {src} ({size / 1e6:.1f} MB of JSONL)")
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(4):  # the first run warms the OS file cache; all four are reported
            t0 = time.perf_counter()
            report = import_annotation_tool([src], Path(tmp) / f"run{i}")
            times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        rc = subprocess.run(
            [
                sys.executable,
                "-m",
                "toolkit",
                "import",
                "annotation-tool",
                str(src),
                "--out",
                str(Path(tmp) / "cli"),
                "-q",
            ],
            cwd=ROOT,
            check=False,
        ).returncode
        cli = time.perf_counter() - t0
    median = statistics.median(times)
    verdict = "OK" if max(median, cli) < GOAL_S else "MISSED"
    print(
        f"in-process import: median {median:.2f} s over {len(times)} runs "
        f"({', '.join(f'{t:.2f}' for t in times)}) (goal < {GOAL_S:.0f} s) {verdict}"
    )
    print(f"CLI, fresh interpreter: {cli:.2f} s (exit {rc})")
    for key, ds in report.datasets.items():
        print(f"  {key:<12} " + ", ".join(f"{n} {t}" for t, n in ds["records"].items()))
    for reason, row in report.exclusions_by_reason().items():
        print(f"  excluded {reason:<26} {row['items']:>6} items on {row['entries']} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
