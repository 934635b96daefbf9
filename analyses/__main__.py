"""``python -m analyses``: every figure and table, then ``REPORT.md`` (published vs regenerated numbers).

Takes the options of a single analysis (``--data``, ``--out``, ``--seed``, ``--formats``, ``--no-cache``,
model and bootstrap settings) plus ``--only`` / ``--skip``. The dataset is opened once and shared, so each
record file is parsed once; model fits are cached on disk (see :mod:`toolkit.models`) and shared in-process
between the analyses that use the same model. An analysis whose record files are missing is skipped and
listed as such in the report; the run goes on when one analysis fails and exits 1 at the end.
"""

from __future__ import annotations

import importlib
import json
import logging
import sys
import time
import traceback
from collections.abc import Sequence

from analyses import ANALYSIS_NAMES
from analyses.common import Analysis, execute, parser_for, settings_from_args
from analyses.report import write_report
from toolkit.dataset import load_dataset
from toolkit.jsonl import DataError

__all__ = ["main"]


def _analysis(name: str) -> Analysis:
    return importlib.import_module(f"analyses.{name}").ANALYSIS


def _warnings(written: dict) -> list[str]:
    """The warnings an analysis recorded in its provenance JSON (e.g. a fit that did not converge)."""
    try:
        return list(json.loads(written["json"].read_text(encoding="utf-8")).get("warnings", []))
    except (KeyError, OSError, ValueError):
        return []


def _names(spec: str | None) -> list[str]:
    if not spec:
        return []
    names = [s.strip() for s in spec.split(",") if s.strip()]
    unknown = [n for n in names if n not in ANALYSIS_NAMES]
    if unknown:
        raise SystemExit(f"error: unknown analysis {unknown}; choose from {', '.join(ANALYSIS_NAMES)}")
    return names


def main(argv: Sequence[str] | None = None) -> int:
    parser = parser_for(Analysis("all", "All figures and tables of the paper", (), None, None))  # type: ignore[arg-type]
    parser.prog = "python -m analyses"
    parser.description = (
        "Regenerate every figure and table and write REPORT.md. Default input: the bundled SIMULATED sample."
    )
    parser.add_argument("--only", default=None, help="comma-separated analyses to run (default: all)")
    parser.add_argument("--skip", default=None, help="comma-separated analyses to leave out")
    parser.add_argument("--no-report", action="store_true", help="do not write REPORT.md")
    args = parser.parse_args(argv)
    settings = settings_from_args(args)
    names = _names(args.only) or list(ANALYSIS_NAMES)
    names = [n for n in names if n not in set(_names(args.skip))]

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
    for i, name in enumerate(names, 1):
        prefix = f"[{i:>{len(str(len(names)))}}/{len(names)}] {name:<{width}}"
        try:
            analysis = _analysis(name)
        except ImportError as exc:
            runs[name] = reasons[name] = f"failed: cannot import analyses.{name}: {exc}"
            failed = True
            print(f"{prefix}  FAILED: {exc}", file=sys.stderr, flush=True)
            continue
        missing = [n for n in analysis.needs if not ds.has(n)]
        if missing:
            reason = "skipped: the dataset has no " + ", ".join(f"{m}.jsonl" for m in missing)
            runs[name] = reason
            reasons[name] = reason
            print(f"{prefix}  {reason}", file=sys.stderr, flush=True)
            continue
        what = "fitting/loading models" if analysis.uses_model else "computing"
        print(f"{prefix}  {what} ...", end="", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        try:
            written = execute(analysis, settings, ds)
        except (DataError, ValueError) as exc:  # the data cannot support this analysis: skip it, say why
            runs[name] = reasons[name] = f"skipped: {exc}"
            print(f" skipped: {exc}", file=sys.stderr, flush=True)
            continue
        except Exception as exc:  # keep going; the traceback goes to stderr for the bug report
            runs[name] = reasons[name] = f"failed: {type(exc).__name__}: {exc}"
            failed = True
            print(f" FAILED: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            traceback.print_exc(file=sys.stderr)
            continue
        elapsed = time.perf_counter() - t0
        notes = _warnings(written)
        runs[name] = "ok" + "".join(f"; WARNING: {w}" for w in notes)
        print(f" ok ({elapsed:.1f} s)", file=sys.stderr, flush=True)
        for note in notes:
            print(f"      warning: {note}", file=sys.stderr, flush=True)
    if not args.no_report:
        path = write_report(settings.out, ds, status=reasons, runs=runs)
        print(f"report: {path}", file=sys.stderr)
    print(f"done in {time.perf_counter() - t_all:.1f} s", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
