"""The ``recenter`` command (also ``python -m toolkit``).

Subcommands live in the module that does the work; this file only maps names to modules in :data:`COMMANDS`,
imported on demand so that a command that fits no model never imports PyMC. Each entry's module (or
``module:object``) provides ``add_arguments(parser)`` and ``run(args) -> int``; adding a command is one line in
:data:`COMMANDS`.

This layer may import ``analyses`` (the toolkit itself never does): ``recenter analyze NAME`` runs
``analyses.NAME`` and ``recenter simulate --report`` prints ``analyses.calibration``'s comparison of the
written study with the paper.

Exit codes, for every subcommand: 0 ok, 1 problems found (e.g. validation errors), 2 usage or input error,
74 an output could not be written (full disk, read-only folder; nothing partial is left), 130 interrupted, 141 the reader of stdout went away (``recenter validate DIR | head``: 128 + SIGPIPE, what
``cat`` or ``grep`` give when the pipe closes; no traceback).
"""

from __future__ import annotations

import argparse
import ast
import importlib
import importlib.util
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from toolkit.atomic import EXIT_OUTPUT_ERROR, OutputError
from toolkit.jsonl import DataError

__all__ = [
    "ANALYZE",
    "BROKEN_PIPE_EXIT",
    "COMMANDS",
    "analysis_descriptions",
    "build_parser",
    "main",
    "quiet_broken_pipe",
]

#: subcommand -> (``module`` or ``module:object`` providing add_arguments/run, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("toolkit.validate", "check a dataset folder or JSONL file against the schemas"),
    "analyze": ("toolkit.cli:ANALYZE", "run one paper figure or table (analyses.NAME) or all of them"),
    "schema": ("toolkit.schema_cli", "export the JSON Schemas of the record types"),
    "simulate": ("toolkit.simulate", "write a simulated study calibrated to the paper"),
    "import": ("toolkit.importers.cli", "convert other formats (the authors' annotation tool) to a dataset"),
    "calibrate": ("toolkit.replication_cli", "run a registered simulation study's replications (coverage, SBC)"),
    "cache": ("toolkit.cache_cli", "show or clear the on-disk cache (parsed frames, posteriors, replications)"),
    "fit": ("toolkit.fit_cli", "fit a model to a dataset; write summaries, the saved fit, PPC and rank plots"),
    "init": ("toolkit.dataset_cli:INIT", "write an empty dataset manifest (current schema version) into DIR"),
    "convert": ("toolkit.dataset_cli:CONVERT", "convert a dataset folder's record files to Parquet or JSONL"),
}

#: Exit status after the reader of stdout went away: 128 + SIGPIPE (13), as for a process killed by SIGPIPE.
BROKEN_PIPE_EXIT = 141
#: ``recenter analyze`` names beyond the paper's analyses: the calibration table and the all-in-one run.
EXTRA_ANALYSES = {
    "structures": "analyses.structures",  # costly (12 model fits): not part of the all-in-one run
    "calibration": "analyses.calibration",
    "all": "analyses.__main__",
}


def _first_sentence(doc: str | None, limit: int = 110) -> str:
    text = " ".join((doc or "").split("\n\n")[0].split()).replace("``", "")
    end = text.find(". ")
    text = text if end < 0 else text[: end + 1]
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def analysis_descriptions() -> dict[str, str]:
    """Every name ``recenter analyze`` runs -> the first sentence of its module's docstring.

    Read from the source without importing the analyses (``recenter --help`` stays fast).

    Returns
    -------
    dict
        The paper's analyses in the all-in-one run's order, then ``calibration`` and ``all``.

    Examples
    --------
    >>> d = analysis_descriptions()
    >>> d["figure3"].startswith("Figure 3")
    True
    >>> list(d)[-1]
    'all'
    """
    from analyses import ANALYSIS_NAMES

    modules = {name: f"analyses.{name}" for name in ANALYSIS_NAMES} | EXTRA_ANALYSES
    out = {}
    for name, module in modules.items():
        spec = importlib.util.find_spec(module)
        try:
            with open(spec.origin, encoding="utf-8") as fh:  # type: ignore[union-attr, arg-type]
                out[name] = _first_sentence(ast.get_docstring(ast.parse(fh.read())))
        except (AttributeError, OSError, SyntaxError, TypeError):
            out[name] = ""
    return out


class ANALYZE:  # noqa: N801 - a command entry of COMMANDS, named like the constant it is
    """``recenter analyze NAME [OPTIONS]``: ``python -m analyses.NAME [OPTIONS]``; ``--list`` names them."""

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        """The ``analyze`` subcommand: a name, the analysis' own options passed through, ``--list``."""
        descriptions = analysis_descriptions()
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
        parser.epilog = "analyses:\n" + _listing(descriptions) + (
            "\n\nOptions after NAME go to the analysis: recenter analyze figure3 --help, "
            "recenter analyze figure5 --chains 2 --no-progress, recenter analyze all --only figure3,table3."
        )
        parser.add_argument("name", nargs="?", metavar="NAME", help="the analysis to run (see --list)")
        parser.add_argument("options", nargs=argparse.REMAINDER, metavar="...", help="the analysis' options")
        parser.add_argument("--list", action="store_true", help="list every analysis with a one-line description")
        parser.set_defaults(_analysis_names=tuple(descriptions))

    @staticmethod
    def run(args: argparse.Namespace) -> int:
        """Run the named analysis' ``main`` with the remaining options; its exit code."""
        if args.list:
            print(_listing(analysis_descriptions()))
            return 0
        names = args._analysis_names
        if args.name not in names:
            what = "name an analysis" if args.name is None else f"unknown analysis {args.name!r}"
            print(f"recenter analyze: error: {what}; choose from {', '.join(names)} (or --list)", file=sys.stderr)
            return 2
        module = EXTRA_ANALYSES.get(args.name, f"analyses.{args.name}")
        return int(importlib.import_module(module).main(args.options) or 0)


def _listing(descriptions: dict[str, str]) -> str:
    width = max(map(len, descriptions))
    return "\n".join(f"  {name:<{width}}  {text}" for name, text in descriptions.items())


def _entry(spec: str) -> Any:
    module_name, _, attr = spec.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attr) if attr else module


def build_parser(commands: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The ``recenter`` parser with the subcommands ``commands`` (default: all, for ``--help``).

    Examples
    --------
    >>> p = build_parser(["schema"])
    >>> p.parse_args(["schema", "export", "out"]).directory
    'out'
    """
    import toolkit

    epilog = ""
    if commands is None:  # the full help also names the analyses `recenter analyze` runs
        epilog = "analyses (recenter analyze NAME, or python -m analyses.NAME):\n" + _listing(
            analysis_descriptions()
        ) + "\n\n"
    parser = argparse.ArgumentParser(
        prog="recenter",
        description="recenter-toolkit: data, statistics and models for LLM personalization.",
        epilog=epilog + "recenter COMMAND --help describes a command.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"recenter-toolkit {toolkit.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in commands or COMMANDS:
        spec, help_text = COMMANDS[name]
        entry = _entry(spec)
        p = sub.add_parser(name, help=help_text, description=help_text)
        entry.add_arguments(p)
        p.set_defaults(_run=entry.run)
        if name == "simulate":
            help_report = "print the calibration table (statistic, published, simulated)"
            p.add_argument("--report", action="store_true", help=help_report)
            p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                           help="show elapsed time on stderr while drawing (default: when stderr is a terminal)")
            p.set_defaults(_run=_simulate_with_report)
    return parser


def _simulate_with_report(args: argparse.Namespace) -> int:
    """``recenter simulate`` with a sign of life on stderr, then (``--report``) the calibration table."""
    from toolkit.progress import activity
    from toolkit.simulate import run

    with activity(f"simulating (scale {args.scale:g})", progress=args.progress):
        code = run(args)
    if code == 0 and args.report:
        from analyses.calibration import report

        with activity("calibration table", progress=args.progress):
            text = report(args.out)
        print(text)
    return code


def quiet_broken_pipe(main: Callable[[], int]) -> int:
    """Run ``main()`` and return its exit code; if stdout's reader went away, return 141 without a traceback.

    The standard library's recipe: on :class:`BrokenPipeError` point stdout at ``/dev/null`` so that the
    interpreter's final flush cannot raise again. For a command's entry point only.

    Examples
    --------
    >>> quiet_broken_pipe(lambda: 0)
    0
    """
    try:
        code = main()
        sys.stdout.flush()  # surface a broken pipe here, not in the interpreter's exit flush
        return code
    except BrokenPipeError:
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):  # stdout is not a real file (e.g. captured): nothing left to flush
            pass
        return BROKEN_PIPE_EXIT


def _main(argv: list[str]) -> int:
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
    except OutputError as exc:  # a full disk, a read-only folder: nothing partial was left behind
        print(f"recenter: error: {exc}", file=sys.stderr)
        return EXIT_OUTPUT_ERROR
    except SystemExit as exc:  # a subcommand's `raise SystemExit("message")` is a usage error: 2, not 1
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
            return 2
        raise
    except KeyboardInterrupt:
        return 130


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code (0 ok, 1 problems found, 2 usage or input error, 141 closed pipe)."""
    args = list(sys.argv[1:] if argv is None else argv)
    return quiet_broken_pipe(lambda: _main(args))


if __name__ == "__main__":
    sys.exit(main())
