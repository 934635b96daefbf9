"""``recenter calibrate STUDY --reps N --workers K [--scheduler ADDRESS]``: run a registered simulation study.

Writes ``<out>/<study>.csv`` (one row per replication, sorted by seed), ``<out>/<study>_summary.csv`` (the
study's summary, e.g. coverage with its Wilson interval, bias, RMSE) and ``<out>/<study>_provenance.json``
(study, version, design, seeds, toolkit version). How the replications ran (workers, scheduler, time) enters
none of them: the files are identical whatever the execution. Replications are cached
(:mod:`toolkit.replication`), so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import toolkit
from toolkit.outputs import write_csv, write_json
from toolkit.progress import add_progress_argument, show_progress
from toolkit.replication import design_hash, get_study, list_studies, run_study
from toolkit.vocabulary import DEFAULT_SEED

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``calibrate`` subcommand's arguments to ``parser``."""
    parser.add_argument("study", nargs="?", help="registered study name (see --list)")
    parser.add_argument("--list", action="store_true", help="list the registered studies and exit")
    parser.add_argument("--reps", type=int, default=200, help="replications (seeds SEED .. SEED+REPS-1; default 200)")
    parser.add_argument("--workers", type=int, default=1, help="local worker processes (default 1)")
    parser.add_argument(
        "--scheduler", metavar="ADDRESS", help="run on the Dask scheduler at ADDRESS (tcp://host:8786) instead"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"first seed (default {DEFAULT_SEED})")
    parser.add_argument(
        "--set", metavar="KEY=JSON", action="append", default=[], dest="overrides",
        help="override one design setting, its value as JSON (--set n_items=300 --set 'sensitivity=[0.9,0.8]')",
    )  # fmt: skip
    parser.add_argument("--out", type=Path, default=Path("calibration"), help="output folder (default ./calibration)")
    parser.add_argument("--cache-dir", type=Path, help="replication cache root (default $RECENTER_CACHE_DIR)")
    add_progress_argument(parser)
    parser.add_argument(
        "--cached-only", action="store_true",
        help="run nothing: summarise the replications of these seeds already in the cache",
    )  # fmt: skip


def _design(defaults: dict, overrides: list[str]) -> dict:
    design = dict(defaults)
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or key not in design:
            raise SystemExit(f"recenter calibrate: --set {item!r}: expected KEY=JSON with KEY in {sorted(design)}")
        try:
            design[key] = json.loads(value)
        except json.JSONDecodeError as exc:
            raise SystemExit(f"recenter calibrate: --set {item!r}: value is not JSON ({exc})") from exc
    return design


def run(args: argparse.Namespace) -> int:
    """Run ``recenter calibrate``: 0 on success, 2 on a usage error."""
    if args.list:
        for name, text in list_studies().items():
            print(f"{name:<24s} {text}")
        return 0
    if not args.study:
        print("recenter calibrate: error: name a STUDY (or --list)", file=sys.stderr)
        return 2
    if args.reps < 1 or args.workers < 1:
        print("recenter calibrate: error: --reps and --workers must be >= 1", file=sys.stderr)
        return 2
    try:
        study = get_study(args.study)
    except KeyError as exc:
        print(f"recenter calibrate: error: {exc.args[0]}", file=sys.stderr)
        return 2
    design = _design(dict(study.design), args.overrides)
    seeds = list(range(args.seed, args.seed + args.reps))
    start = time.perf_counter()
    results = run_study(
        study, design, seeds, workers=args.workers, scheduler=args.scheduler, cache_dir=args.cache_dir,
        progress=show_progress(args.progress), cached_only=args.cached_only,
    )  # fmt: skip
    if results.empty:
        print(f"recenter calibrate: error: no cached replications of {study.name} for these seeds", file=sys.stderr)
        return 2
    elapsed = time.perf_counter() - start
    out: Path = args.out
    files = [write_csv(results, out / f"{study.name}.csv")]
    if study.summarize is not None:
        summary = study.summarize(results, design)
        files.append(write_csv(summary, out / f"{study.name}_summary.csv"))
    provenance = {
        "study": study.name,
        "version": study.version,
        "design": design,
        "design_sha256": design_hash(design),
        "seeds": {"first": seeds[0], "last": seeds[-1], "n": len(seeds), "done": len(results)},
        "toolkit_version": toolkit.__version__,
    }
    files.append(write_json(provenance, out / f"{study.name}_provenance.json"))
    where = args.scheduler or f"{args.workers} local worker{'s' if args.workers > 1 else ''}"
    print(f"{study.name}: {len(seeds)} replications in {elapsed:.1f} s on {where}", file=sys.stderr)
    if study.summarize is not None:
        print(summary.to_string(index=False))
    for path in files:
        print(path, file=sys.stderr)
    return 0
