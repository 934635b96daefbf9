"""``recenter init DIR`` (an empty dataset with its manifest) and ``recenter convert SRC OUT --to FORMAT``.

Two subcommands, each with ``add_arguments(parser)`` and ``run(args) -> int`` as :mod:`toolkit.cli` expects:
:data:`INIT` and :data:`CONVERT` (``toolkit.dataset_cli:INIT`` style), also reachable as
``init_add_arguments``/``init_run`` and ``convert_add_arguments``/``convert_run``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import toolkit
from schemas import RECORD_TYPES, SCHEMA_VERSION
from toolkit.atomic import EXIT_OUTPUT_ERROR, OutputError
from toolkit.dataset import MANIFEST, Dataset, load_dataset, write_dataset, write_manifest
from toolkit.jsonl import DataError

__all__ = [
    "CONVERT",
    "INIT",
    "convert_add_arguments",
    "convert_dataset",
    "convert_run",
    "init_add_arguments",
    "init_dataset",
    "init_run",
]


def init_dataset(folder: str | Path, *, name: str | None = None) -> Path:
    """Write an empty ``manifest.json`` (current schema version, no files) into ``folder``; return its path.

    Records added later without ``schema_version`` take the manifest's. An existing manifest is never
    overwritten.

    Raises
    ------
    FileExistsError
        When ``folder`` already has a manifest.

    Examples
    --------
    >>> import json, tempfile
    >>> path = init_dataset(tempfile.mkdtemp() + "/study", name="study")
    >>> json.loads(path.read_text())["schema_version"] == SCHEMA_VERSION
    True
    """
    folder = Path(folder)
    if (folder / MANIFEST).exists():
        raise FileExistsError(f"{folder / MANIFEST} exists; not overwritten")
    manifest = {
        "name": name or folder.name,
        "schema_version": SCHEMA_VERSION,
        "toolkit_version": toolkit.__version__,
        "provenance": {"kind": "real", "origin": "recenter init"},
        "license": None,
        "citation": None,
        "description": None,
        "files": {},
    }
    return write_manifest(folder, manifest)


def convert_dataset(src: str | Path, out: str | Path, *, to: str, compress: bool = False) -> Dataset:
    """Copy a dataset folder into ``out`` with every record file as JSONL or Parquet; the manifest is kept.

    Records are read strictly (the first bad record stops the conversion with its file, line or row and
    field) and written through :func:`toolkit.dataset.write_dataset`, which re-checks them and records the new
    files' counts and SHA-256 in the manifest. Name, provenance, licence, citation and description carry over.

    Parameters
    ----------
    src, out : path-like
        The dataset folder and the folder to write (written atomically; must differ from ``src``).
    to : {"parquet", "jsonl"}
        The record file format of ``out``.
    compress : bool
        With ``to="jsonl"``: gzip the files.

    Returns
    -------
    Dataset
        The converted dataset.
    """
    source = load_dataset(src)
    if Path(out).resolve() == source.path.resolve():
        raise DataError(out, 0, "OUT", "must be a folder other than SRC")
    manifest: dict[str, Any] = dict(source.manifest)
    prov = dict(manifest.get("provenance") or {})
    kind = prov.pop("kind", "real")
    origin = prov.pop("origin", f"converted from {source.path}")
    return write_dataset(
        out,
        {name: source.records(name) for name in source.record_types},
        name=source.name,
        provenance=kind if kind in ("simulated", "real") else "real",
        origin=origin,
        license=manifest.get("license"),
        citation=manifest.get("citation"),
        description=manifest.get("description"),
        extra_provenance=prov,
        compress=compress,
        format=to,
    )


def init_add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``recenter init``."""
    parser.add_argument("dir", type=Path, metavar="DIR", help="the dataset folder (created if needed)")
    parser.add_argument("--name", help="dataset name (default: the folder name)")


def init_run(args: argparse.Namespace) -> int:
    """Run ``recenter init``; 0 on success, 2 when a manifest exists, 74 when it cannot write."""
    try:
        path = init_dataset(args.dir, name=args.name)
    except FileExistsError as exc:
        print(f"recenter init: error: {exc}", file=sys.stderr)
        return 2
    except OutputError as exc:
        print(f"recenter init: error: {exc}", file=sys.stderr)
        return EXIT_OUTPUT_ERROR
    print(f"wrote {path} (schema version {SCHEMA_VERSION}); add record files: "
          + ", ".join(f"{n}.jsonl" for n in RECORD_TYPES))
    return 0


def convert_add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``recenter convert``."""
    parser.add_argument("src", type=Path, metavar="SRC", help="a dataset folder")
    parser.add_argument("out", type=Path, metavar="OUT", help="the folder to write (replaced atomically)")
    parser.add_argument("--to", required=True, choices=("parquet", "jsonl"), help="record file format of OUT")
    parser.add_argument("--gzip", action="store_true", help="with --to jsonl: write .jsonl.gz")


def convert_run(args: argparse.Namespace) -> int:
    """Run ``recenter convert``; 0 on success, 74 when OUT cannot be written (bad input: DataError, exit 2)."""
    try:
        ds = convert_dataset(args.src, args.out, to=args.to, compress=args.gzip)
    except OutputError as exc:
        print(f"recenter convert: error: {exc}", file=sys.stderr)
        return EXIT_OUTPUT_ERROR
    counts = ", ".join(f"{k} {v['records']}" for k, v in ds.manifest.get("files", {}).items())
    print(f"wrote {ds.path} ({args.to}): {counts}")
    return 0


#: The two subcommands as objects with ``add_arguments`` and ``run`` (what :mod:`toolkit.cli` calls).
INIT = SimpleNamespace(add_arguments=init_add_arguments, run=init_run)
CONVERT = SimpleNamespace(add_arguments=convert_add_arguments, run=convert_run)
