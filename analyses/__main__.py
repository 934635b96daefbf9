"""``python -m analyses``: every figure and table, then ``REPORT.md`` (published vs regenerated numbers).

Takes the options of a single analysis (``--data``, ``--out``, ``--seed``, ``--formats``, ``--no-cache``,
model and bootstrap settings) plus ``--only`` / ``--skip``. The dataset is opened once and shared, so each
record file is parsed once; model fits are cached on disk (see :mod:`toolkit.models`) and shared in-process
between the analyses that use the same model. An analysis whose record files are missing is skipped and
listed as such in the report; the run goes on when one analysis fails and exits 1 at the end.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
import time
import traceback
from collections.abc import Sequence
from typing import Any

from analyses import ANALYSIS_NAMES
from analyses.common import Analysis, execute, parser_for, settings_from_args
from analyses.report import write_report
from toolkit.dataset import load_dataset
from toolkit.jsonl import DataError
from toolkit.progress import progress_bar

__all__ = ["main"]


def _analysis(name: str) -> Analysis:
    return importlib.import_module(f"analyses.{name}").ANALYSIS


def _warnings(written: dict) -> list[str]:
    """The warnings an analysis recorded in its provenance JSON (e.g. a fit that did not converge)."""
    try:
        return list(json.loads(written["json"].read_text(encoding="utf-8")).get("warnings", []))
    except (KeyError, OSError, ValueError):
        return []


def _names(spec: str) -> list[str]:
    """``--only`` / ``--skip``: comma-separated analysis names; an unknown one is a usage error (exit 2)."""
    names = [s.strip() for s in spec.split(",") if s.strip()]
    unknown = [n for n in names if n not in ANALYSIS_NAMES]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown analysis {', '.join(unknown)}; choose from {', '.join(ANALYSIS_NAMES)}"
        )
    return names


class _StepLog:
    """The run's log on stderr: one line per analysis, under a progress bar when one is shown."""

    def __init__(self, bar: Any) -> None:
        self.bar = bar
        self.prefix = ""

    def line(self, text: str) -> None:
        if self.bar.disable:
            print(text, file=sys.stderr, flush=True)
        else:
            self.bar.write(text, file=sys.stderr)

    def skip(self, text: str) -> None:
        """An analysis that did not start (cannot be imported, records missing): its line, one step done."""
        self.line(text)
        self.bar.update()

    def start(self, prefix: str, what: str) -> None:
        self.prefix = prefix
        if self.bar.disable:  # the plain log says what runs before it finishes (a sign of life in CI logs)
            print(f"{prefix}  {what} ...", end="", file=sys.stderr, flush=True)
        else:
            self.bar.set_postfix_str(f"{prefix.split('] ', 1)[-1].strip()}: {what}")

    def end(self, text: str) -> None:
        if self.bar.disable:
            print(f" {text}", file=sys.stderr, flush=True)
        else:
            self.bar.write(f"{self.prefix}  {text}", file=sys.stderr)
            self.bar.update()

    def close(self) -> None:
        self.bar.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = parser_for(Analysis("all", "All figures and tables of the paper", (), None, None))  # type: ignore[arg-type]
    parser.prog = "python -m analyses"
    parser.description = (
        "Regenerate every figure and table and write REPORT.md. Default input: the bundled SIMULATED sample."
    )
    listed = ", ".join(ANALYSIS_NAMES)
    parser.add_argument("--only", type=_names, default=[], metavar="NAMES",
                        help=f"comma-separated analyses to run (default: all, in this order): {listed}")
    parser.add_argument("--skip", type=_names, default=[], metavar="NAMES", help="comma-separated analyses to leave out")
    parser.add_argument("--no-report", action="store_true", help="do not write REPORT.md")
    args = parser.parse_args(argv)
    settings = settings_from_args(args)
    names = [n for n in args.only or ANALYSIS_NAMES if n not in set(args.skip)]

    try:
        ds = load_dataset(settings.data)
    except DataError as exc:
        print(f"analyses: error: {exc}", file=sys.stderr)
        return 2
    notice = " (SIMULATED sample)" if ds.is_simulated else ""
    print(f"data: {ds.name}{notice} -> {settings.out}/", file=sys.stderr)
    runs: dict[str, str] = {}
    reasons: dict[str, str] = {}
    failed = False
    t_all = time.perf_counter()
    width = max(len(n) for n in names) if names else 0
    logging.getLogger("toolkit.models").setLevel(logging.ERROR)  # convergence verdicts go to footers and JSON
    # With a terminal (or --progress), a bar counts the analyses and names the running one, and each finished
    # analysis is logged on its own line above it; without one, the plain log only (as in CI logs).
    log = _StepLog(progress_bar(total=len(names), desc="analyses", unit="analysis", progress=settings.progress))
    for i, name in enumerate(names, 1):
        prefix = f"[{i:>{len(str(len(names)))}}/{len(names)}] {name:<{width}}"
        try:
            analysis = _analysis(name)
        except ImportError as exc:
            runs[name] = reasons[name] = f"failed: cannot import analyses.{name}: {exc}"
            failed = True
            log.skip(f"{prefix}  FAILED: {exc}")
            continue
        missing = [n for n in analysis.needs if not ds.has(n)]
        if missing:
            reason = "skipped: the dataset has no " + ", ".join(f"{m}.jsonl" for m in missing)
            runs[name] = reason
            reasons[name] = reason
            log.skip(f"{prefix}  {reason}")
            continue
        log.start(prefix, "fitting/loading models" if analysis.uses_model else "computing")
        t0 = time.perf_counter()
        try:
            written = execute(analysis, settings, ds)
        except (DataError, ValueError) as exc:  # the data cannot support this analysis: skip it, say why
            runs[name] = reasons[name] = f"skipped: {exc}"
            log.end(f"skipped: {exc}")
            continue
        except Exception as exc:  # keep going; the traceback goes to stderr for the bug report
            runs[name] = reasons[name] = f"failed: {type(exc).__name__}: {exc}"
            failed = True
            log.end(f"FAILED: {type(exc).__name__}: {exc}")
            traceback.print_exc(file=sys.stderr)
            continue
        elapsed = time.perf_counter() - t0
        notes = _warnings(written)
        runs[name] = "ok" + "".join(f"; WARNING: {w}" for w in notes)
        log.end(f"ok ({elapsed:.1f} s)")
        for note in notes:
            log.line(f"      warning: {note}")
    log.close()
    if not args.no_report:
        path = write_report(settings.out, ds, status=reasons, runs=runs)
        print(f"report: {path}", file=sys.stderr)
    print(f"done in {time.perf_counter() - t_all:.1f} s", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
