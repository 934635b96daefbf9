"""``recenter schema export DIR``: write the JSON Schema of every record type."""

from __future__ import annotations

import argparse

from schemas.json_schema import export


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="schema_command", metavar="ACTION", required=True)
    exp = sub.add_parser("export", help="write <record type>.schema.json files (draft 2020-12)")
    exp.add_argument("directory", help="output folder (the committed copy lives in schemas/json/)")


def run(args: argparse.Namespace) -> int:
    for path in export(args.directory):
        print(path)
    return 0
