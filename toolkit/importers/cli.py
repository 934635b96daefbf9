"""``recenter import FORMAT ...``: convert other formats into canonical datasets.

``recenter import annotation-tool SRC... --out DIR [--report FILE]`` converts the authors' annotation-tool
files (see :mod:`toolkit.importers.annotation_tool`). Exit status: 0 when everything was imported (exclusions
are reported, not failures), 1 when a source could not be read or recognised, 2 on usage errors.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from toolkit.progress import activity, add_progress_argument

__all__ = ["FORMATS", "add_arguments", "run"]

FORMATS = ("annotation-tool",)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``recenter import`` subcommands (one per format) and their options to ``parser``."""
    sub = parser.add_subparsers(dest="format", metavar="FORMAT", required=True)
    p = sub.add_parser(
        "annotation-tool",
        help="the authors' pre-release annotation-tool files (task5_items, relevance_*, generation_*, "
        "annotations_v0/*_task[123])",
        description=(
            "Convert the authors' annotation-tool files into canonical datasets: DIR holds the main (stage-2 "
            "study) dataset, DIR/pilot_task3/ and DIR/pilot_task2/ the pilot annotations (kept apart), and "
            "import_report.json/.md listing every exclusion with file and line."
        ),
    )
    p.add_argument(
        "sources",
        nargs="+",
        type=Path,
        metavar="SRC",
        help="files or folders (folders are searched recursively for *.jsonl, e.g. annotations_v0/)",
    )
    p.add_argument("--out", required=True, type=Path, metavar="DIR", help="output folder")
    p.add_argument(
        "--report",
        type=Path,
        metavar="FILE",
        help="also write the import report here (Markdown if FILE ends in .md, else JSON)",
    )
    p.add_argument(
        "--same-annotator",
        action="append",
        default=[],
        metavar="ALIAS=NAME",
        help="treat annotator ALIAS as NAME (one person with two accounts); repeatable",
    )
    p.add_argument(
        "--test-account",
        action="append",
        default=[],
        metavar="NAME",
        help="also exclude annotator NAME as a test account (admin/test/demo... always are); repeatable",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    add_progress_argument(p)


def _usage(message: str) -> int:
    print(f"recenter import: error: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    """Run ``recenter import`` with parsed ``args``; return the exit status (0 ok, 1 source errors, 2 usage)."""
    from toolkit.importers.annotation_tool import REPORT_MD, import_annotation_tool

    aliases = {}
    for spec in args.same_annotator:
        alias, sep, name = spec.partition("=")
        if not sep or not alias.strip() or not name.strip():
            return _usage(f"--same-annotator takes ALIAS=NAME, got {spec!r}")
        aliases[alias.strip()] = name.strip()
    out: Path = args.out
    if out.exists() and not out.is_dir():
        return _usage(f"--out {out} exists and is not a folder")
    for src in args.sources:
        if src.is_dir() and src.resolve() == out.resolve():
            return _usage(f"--out {out} is a source folder; write the dataset elsewhere")
    start = time.perf_counter()
    try:
        with activity("importing annotation-tool files", progress=False if args.quiet else args.progress):
            report = import_annotation_tool(
                args.sources, out, annotator_aliases=aliases, test_accounts=args.test_account
            )
    except ValueError as exc:
        return _usage(str(exc))
    elapsed = time.perf_counter() - start
    if not report.sources and not report.errors:
        return _usage("no annotation-tool files (*.jsonl) found in " + ", ".join(map(str, args.sources)))
    if args.report is not None:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        text = report.to_markdown() if args.report.suffix == ".md" else report.to_json()
        args.report.write_text(text, encoding="utf-8")
    if not args.quiet:
        n_read = sum(s.records_read for s in report.sources)
        print(f"imported {len(report.sources)} files ({n_read} records) into {out} in {elapsed:.1f} s")
        for line in report.summary_lines(str(out)):
            print(line)
        print(f"report: {out / REPORT_MD}")
    elif report.errors:
        for err in report.errors:
            print(f"ERROR {err['file']}: {err['message']}", file=sys.stderr)
    return 0 if report.ok else 1
