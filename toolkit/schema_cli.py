"""``recenter schema export DIR``: write the JSON Schema of every record type."""

from __future__ import annotations

import argparse
from pathlib import Path

from schemas.json_schema import schema_file_name, schema_text
from schemas.registry import RECORD_TYPES

__all__ = ["add_arguments", "export", "run"]


def export(directory: str | Path) -> list[Path]:
    """Write ``<name>.schema.json`` for every record type into ``directory``.

    Parameters
    ----------
    directory : path-like
        Output folder (created).

    Returns
    -------
    list of Path
        The files written, in record type order.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in RECORD_TYPES:
        path = out / schema_file_name(name)
        path.write_text(schema_text(name), encoding="utf-8")
        written.append(path)
    return written


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``schema`` subcommand's actions and arguments to ``parser``."""
    sub = parser.add_subparsers(dest="schema_command", metavar="ACTION", required=True)
    exp = sub.add_parser("export", help="write <record type>.schema.json files (draft 2020-12)")
    exp.add_argument("directory", help="output folder (the committed copy lives in schemas/json/)")


def run(args: argparse.Namespace) -> int:
    """Run ``recenter schema export``: print each file written; 0."""
    for path in export(args.directory):
        print(path)
    return 0
