"""The ``recenter`` command (also ``python -m toolkit``).

Subcommands live in the module that does the work; this file only maps names to ``module:function``
pairs, imported on demand so that a command that fits no model never imports PyMC.
Each entry's module provides ``add_arguments(parser)`` and ``run(args) -> int``.

This layer may import ``analyses`` (the toolkit itself never does): ``recenter simulate --report`` prints
``analyses.calibration``'s comparison of the written study with the paper.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from toolkit.jsonl import DataError

__all__ = ["COMMANDS", "build_parser", "main"]

#: subcommand -> (module providing add_arguments/run, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("toolkit.validate", "check a dataset folder or JSONL file against the schemas"),
    "schema": ("toolkit.schema_cli", "export the JSON Schemas of the record types"),
    "simulate": ("toolkit.simulate", "write a simulated study calibrated to the paper"),
    "import": ("toolkit.importers.cli", "convert other formats (the authors' annotation tool) to a dataset"),
    "calibrate": ("toolkit.replication_cli", "run a registered simulation study's replications (coverage, SBC)"),
}


def build_parser(commands: Sequence[str] | None = None) -> argparse.ArgumentParser:
    import toolkit

    parser = argparse.ArgumentParser(
        prog="recenter", description="recenter-toolkit: data, statistics and models for LLM personalization."
    )
    parser.add_argument("--version", action="version", version=f"recenter-toolkit {toolkit.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in commands or COMMANDS:
        module_name, help_text = COMMANDS[name]
        module = importlib.import_module(module_name)
        p = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
        if name == "simulate":
            help_report = "print the calibration table (statistic, published, simulated)"
            p.add_argument("--report", action="store_true", help=help_report)
            p.set_defaults(_run=_simulate_with_report)
    return parser


def _simulate_with_report(args: argparse.Namespace) -> int:
    """``recenter simulate``, then (``--report``) the calibration table of the written study."""
    from toolkit.simulate import run

    code = run(args)
    if code == 0 and args.report:
        from analyses.calibration import report

        print(report(args.out))
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code (0 ok, 1 problems found, 2 usage or input error)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # Build only the parser of the named subcommand: its module is the only one imported.
    wanted = [argv[0]] if argv and argv[0] in COMMANDS else None
    parser = build_parser(wanted)
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except DataError as exc:
        print(f"recenter: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
