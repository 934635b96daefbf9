"""``recenter validate PATH``: the command's arguments, the report printed, the exit code."""

from __future__ import annotations

import argparse
import sys

from schemas.registry import RECORD_TYPES
from toolkit.jsonl import DataError
from toolkit.validate.folder import validate_path
from toolkit.validate.report import DEFAULT_MAX_PER_GROUP

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``validate`` subcommand's arguments to ``parser``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The subcommand's parser.
    """
    parser.add_argument("path", help="a dataset folder or a single <record type>.jsonl[.gz] or <record type>.parquet file")
    parser.add_argument("--type", dest="record_type", metavar="NAME",
                        help=f"record type of a single file (default: from its name); one of {', '.join(RECORD_TYPES)}")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default text)")
    parser.add_argument("--quarantine", metavar="DIR",
                        help="write the valid lines (or Parquet rows, as JSON lines) to DIR/<type>.jsonl and the "
                             "rejected ones, with their errors, to DIR/<type>.rejected.jsonl")
    parser.add_argument("--max-per-group", type=int, default=DEFAULT_MAX_PER_GROUP, metavar="N",
                        help="problems shown per file, field and kind (default 50; 0 = all); totals stay exact")


def run(args: argparse.Namespace) -> int:
    """Validate and print the report.

    Parameters
    ----------
    args : argparse.Namespace
        As parsed with :func:`add_arguments`.

    Returns
    -------
    int
        0 when there are no errors, 1 otherwise; 2 for an internal error. A usage error raises
        :class:`~toolkit.jsonl.DataError`, which ``recenter`` prints before exiting with 2.
    """
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    try:
        report = validate_path(
            args.path, quarantine=args.quarantine, record_type=args.record_type,
            max_per_group=max(0, args.max_per_group),
        )
    except DataError:
        raise  # the CLI prints it and exits with 2
    except Exception as exc:  # noqa: BLE001 - never a traceback
        print(f"recenter validate: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    print(report.to_json() if args.format == "json" else report.format_text())
    return 0 if report.ok else 1
