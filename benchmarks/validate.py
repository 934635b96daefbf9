"""Benchmark of ``recenter validate``: end-to-end records/s and peak memory, with pydantic and jsonschema as peers.

    python benchmarks/validate.py                 # 1,000,000 relevance judgments (+ their entities)
    python benchmarks/validate.py --lines 200000 --repeat 1 --no-peers

The dataset is built once under ``benchmarks/_data/`` (git-ignored): 9 raters, 2,000 users, 28,000 attributes,
100 prompts and N relevance judgments, all valid, with a manifest (so every check runs: schema, duplicates,
references, attribute ownership, manifest counts and SHA-256). Each measurement runs in a fresh child process
pinned to one CPU, so the peak RSS is that of a plain ``validate_path`` call. Both wall-clock and CPU time are
reported: on a shared machine the wall time includes time spent waiting for the CPU (the load average is
printed). The goal is >= 150,000 records/s on one core with a peak RSS < 300 MB at 1M lines.

The peers check the *same* judgment lines against the same schema, and nothing else (no duplicate, reference or
manifest checks, no file reading): pydantic v2 ``model_validate_json`` (a strict model mirroring
``RelevanceJudgment``), ``jsonschema`` with the exported draft 2020-12 schema, and the toolkit's own exact path
``schemas.structure(json.loads(line))``. They are dev-only dependencies.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "_data"
GOAL_RATE = 150_000
GOAL_RSS_MB = 300
V = "1.0"

RATERS = (
    [{"rater_id": f"human-{i}", "kind": "human", "schema_version": V} for i in (1, 2, 3)]
    + [
        {"rater_id": m, "kind": "llm", "model": m, "schema_version": V}
        for m in ("claude-sonnet-4.6", "gpt-5.4", "llama-3.3-70b", "qwen3.5-27b", "gemma-4-31b")
    ]
    + [{"rater_id": "human-majority", "kind": "aggregate", "derived_from": ["human-1", "human-2", "human-3"],
        "schema_version": V}]
)
N_USERS, N_PROMPTS, PROMPTS_PER_USER, ATTRS_PER_USER = 2000, 100, 4, 14


def _users() -> list[str]:
    return [hashlib.sha256(f"user-{i}".encode()).hexdigest() for i in range(N_USERS)]


def _judgments(n: int, users: list[str]) -> Iterator[dict[str, Any]]:
    count = 0
    while True:  # cycles over users x prompts x attributes x raters; keys stay unique up to 1,008,000 per cycle
        for ui, user in enumerate(users):
            for p in range(PROMPTS_PER_USER):
                for a in range(ATTRS_PER_USER):
                    for rater in RATERS:
                        if count >= n:
                            return
                        relevant = (count * 2654435761) % 5 == 0
                        yield {
                            "user_id": user,
                            "prompt_id": f"lima-{(ui * 7 + p) % N_PROMPTS}",
                            "attribute_id": f"{user[:16]}-{a}",
                            "rater_id": rater["rater_id"],
                            "relevant": relevant,
                            "score": None,
                            "raw_answer": "YES" if relevant else "NO",
                            "schema_version": V,
                        }
                        count += 1


def build(n: int) -> Path:
    """The benchmark dataset with ``n`` relevance judgments (built once, reused while its manifest matches)."""
    from toolkit.dataset import write_dataset

    max_unique = N_USERS * PROMPTS_PER_USER * ATTRS_PER_USER * len(RATERS)
    if n > max_unique:
        raise SystemExit(f"--lines at most {max_unique} (unique judgment keys)")
    folder = DATA / f"validate-{n}"
    manifest = folder / "manifest.json"
    if manifest.exists():
        files = json.loads(manifest.read_text(encoding="utf-8")).get("files", {})
        if files.get("relevance_judgments", {}).get("records") == n:
            return folder
    print(f"building {folder.relative_to(ROOT)} ...", flush=True)
    users = _users()
    write_dataset(
        folder,
        {
            "raters": RATERS,
            "users": [{"user_id": u, "source": "wildchat", "origin": "human", "schema_version": V} for u in users],
            "attributes": [
                {"attribute_id": f"{u[:16]}-{a}", "user_id": u, "text": f"The user cares about topic {a}.",
                 "confidence": 0.8, "schema_version": V}
                for u in users for a in range(ATTRS_PER_USER)
            ],
            "prompts": [{"prompt_id": f"lima-{i}", "text": f"LIMA prompt {i}", "source": "lima", "schema_version": V}
                        for i in range(N_PROMPTS)],
            "relevance_judgments": _judgments(n, users),
        },
        name=f"validate-benchmark-{n}",
        provenance="simulated",
        origin="benchmarks/validate.py",
    )
    return folder


# -- child: one measured run ------------------------------------------------------------------------------


def _peak_rss_mb() -> float:
    # VmHWM is this process's own high-water mark; ru_maxrss on Linux also counts the parent's RSS at fork time.
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(path: str) -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    from toolkit.validate import validate_path

    wall, cpu = time.perf_counter(), time.process_time()
    report = validate_path(path)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    rss_mb = _peak_rss_mb()
    print(json.dumps({"wall": wall, "cpu": cpu, "records": report.records, "errors": report.errors,
                      "warnings": report.warnings, "rss_mb": rss_mb}))


def measure(path: Path, repeat: int) -> dict[str, Any]:
    runs = []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(path)], check=True, capture_output=True, text=True, cwd=ROOT
        ).stdout
        runs.append(json.loads(out.strip().splitlines()[-1]))
    best = {
        "wall": min(r["wall"] for r in runs),
        "cpu": min(r["cpu"] for r in runs),
        "rss_mb": max(r["rss_mb"] for r in runs),
        "records": runs[0]["records"],
        "errors": runs[0]["errors"],
        "warnings": runs[0]["warnings"],
    }
    if best["errors"] or (best["warnings"] and path.is_dir()):
        raise SystemExit(f"the benchmark data should be clean, got {best['errors']} errors: {path}")
    return best


# -- peers ------------------------------------------------------------------------------------------------


def _lines(path: Path, n: int) -> list[bytes]:
    out = []
    with open(path, "rb") as fh:
        for line in fh:
            out.append(line.rstrip(b"\n"))
            if len(out) >= n:
                break
    return out


def _rate(fn: Any, lines: list[bytes]) -> float:
    # Best of 3 passes over the same lines, one core.
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        for line in lines:
            fn(line)
        best = min(best, time.process_time() - start)
    return len(lines) / best


def peers(judgments: Path, n: int) -> list[tuple[str, float, int]]:
    from typing import Annotated, Literal

    import jsonschema
    from pydantic import BaseModel, ConfigDict, Field

    from schemas import structure
    from schemas.json_schema import json_schema

    NonEmpty = Annotated[str, Field(pattern=r"\S")]

    class RelevanceJudgmentModel(BaseModel):  # mirrors schemas.RelevanceJudgment
        model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
        user_id: NonEmpty
        prompt_id: NonEmpty
        attribute_id: NonEmpty
        rater_id: NonEmpty
        relevant: bool
        score: float | None = None
        raw_answer: str | None = None
        schema_version: Literal["1.0"]

    validator = jsonschema.Draft202012Validator(json_schema("relevance_judgments"))
    lines = _lines(judgments, n)
    small = lines[: max(1, n // 10)]  # jsonschema is slow; a tenth of the lines is plenty
    for line in lines[:100]:  # same verdicts first
        assert RelevanceJudgmentModel.model_validate_json(line) and validator.is_valid(json.loads(line))
    return [
        ("schemas.structure(json.loads(line))", _rate(lambda b: structure(json.loads(b), "relevance_judgments"), lines),
         len(lines)),
        ("pydantic v2 model_validate_json", _rate(RelevanceJudgmentModel.model_validate_json, lines), len(lines)),
        ("jsonschema Draft202012Validator", _rate(lambda b: validator.is_valid(json.loads(b)), small), len(small)),
    ]


# -- main -------------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="relevance judgments in the big file")
    parser.add_argument("--small", type=int, default=250_000, help="a smaller file, to show memory stays flat")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (best is reported)")
    parser.add_argument("--peer-lines", type=int, default=200_000, help="lines given to the peers")
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return 0

    big = build(args.lines)
    sizes = [(args.lines, big)]
    if 0 < args.small < args.lines:
        sizes.append((args.small, build(args.small)))
    judgments = big / "relevance_judgments.jsonl"
    print(f"recenter validate benchmark - Python {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"measured runs pinned to one core, best of {args.repeat}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"data: {big.relative_to(ROOT)} - relevance_judgments.jsonl {judgments.stat().st_size / 1e6:.0f} MB\n")

    rows = []
    for n, folder in sizes:
        r = measure(folder, args.repeat)
        rows.append((f"dataset folder, {n:,} judgments", r))
    single = measure(judgments, max(1, args.repeat - 1))
    rows.append((f"single file, {args.lines:,} judgments (no references)", single))
    print(f"{'':52} {'records':>10} {'rec/s wall':>11} {'rec/s CPU':>10} {'peak RSS':>9}")
    for label, r in rows:
        print(f"{label:52} {r['records']:>10,} {r['records'] / r['wall']:>11,.0f} {r['records'] / r['cpu']:>10,.0f} "
              f"{r['rss_mb']:>6.0f} MB")
    main_run = rows[0][1]
    cpu_rate, wall_rate = main_run["records"] / main_run["cpu"], main_run["records"] / main_run["wall"]
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    verdict = "met" if cpu_rate >= GOAL_RATE and main_run["rss_mb"] < GOAL_RSS_MB else "NOT met"
    print(f"\ngoal >= {GOAL_RATE:,} records/s on one core, peak RSS < {GOAL_RSS_MB} MB: {verdict} "
          f"(CPU-time rate {cpu_rate:,.0f}/s; wall-clock {wall_rate:,.0f}/s; {main_run['rss_mb']:.0f} MB)")

    if not args.no_peers:
        print("\npeers on the same judgment lines (schema checks only; one core; CPU time):")
        for label, rate, n in peers(judgments, args.peer_lines):
            print(f"  {label:40} {rate:>11,.0f} rec/s  ({n:,} lines)   "
                  f"validate end-to-end / this = {cpu_rate / rate:5.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
