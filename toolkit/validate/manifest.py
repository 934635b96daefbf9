"""Manifest checks: ``manifest.json`` itself, then the record files it lists against the files found.

The manifest must be strict JSON (no object repeating a key); its schema version must be one this toolkit
reads; its provenance kind should be known; each listed file must exist under the listed name, with the listed
record count and SHA-256. A record file the manifest does not list is a warning (its count and hash are not
pinned).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from schemas.migrations import check_version
from schemas.registry import RECORD_TYPES
from toolkit.jsonl import DuplicateKeyError, loads
from toolkit.layout import MANIFEST, PROVENANCE_KINDS, record_file_name
from toolkit.validate.report import Collector, ValidationReport
from toolkit.vocabulary import SCALE_KEYS, parse_scale

__all__ = ["check_manifest_files", "read_manifest"]


def read_manifest(folder: Path, out: Collector) -> dict[str, Any]:
    """Read and check ``folder/manifest.json``, reporting its problems.

    Parameters
    ----------
    folder : Path
        The dataset folder.
    out : Collector
        Receives the problems.

    Returns
    -------
    dict
        The manifest; empty when it is absent or not a JSON object.
    """
    mpath = folder / MANIFEST
    if not mpath.exists():
        out.add(MANIFEST, 0, "<file>", "no manifest.json: record counts and hashes cannot be checked",
                severity="warning", kind="manifest")
        return {}
    try:
        text = mpath.read_bytes().decode("utf-8")
        if text.startswith("\ufeff"):
            # The strict decoder has no BOM rule of its own; this is the error (and message) of json.loads.
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        manifest = loads(text)
    except UnicodeDecodeError as exc:
        out.add(MANIFEST, 0, "<file>", f"invalid UTF-8 at byte {exc.start}", kind="manifest")
        return {}
    except DuplicateKeyError as exc:
        out.add(MANIFEST, 0, exc.path, str(exc), kind="manifest")
        return {}
    except (ValueError, RecursionError) as exc:
        out.add(MANIFEST, 0, "<file>", f"invalid JSON: {exc}", kind="manifest")
        return {}
    except OSError as exc:
        out.add(MANIFEST, 0, "<file>", f"cannot read: {exc}", kind="manifest")
        return {}
    if not isinstance(manifest, dict):
        out.add(MANIFEST, 0, "<file>", "must be a JSON object", kind="manifest")
        return {}
    version = manifest.get("schema_version")
    if version is None:
        out.add(MANIFEST, 0, "schema_version", "missing", severity="warning", kind="manifest")
    else:
        try:
            check_version(version)
        except ValueError as exc:
            out.add(MANIFEST, 0, "schema_version", str(exc), kind="manifest")
    for key in SCALE_KEYS:  # declared scales (schema 1.1): rating_scale, label_scale
        if manifest.get(key) is None:
            continue
        try:
            parse_scale(manifest[key])
        except ValueError as exc:
            out.add(MANIFEST, 0, key, str(exc), kind="manifest")
        if version == "1.0":
            out.add(MANIFEST, 0, key, "is a schema 1.1 field; set schema_version to 1.1", kind="manifest")
    provenance = manifest.get("provenance")
    kind = provenance.get("kind") if isinstance(provenance, dict) else None
    if kind not in PROVENANCE_KINDS:
        out.add(MANIFEST, 0, "provenance.kind",
                f"should be one of {', '.join(PROVENANCE_KINDS)}, got {kind!r}", severity="warning",
                kind="manifest")
    if "files" in manifest and not isinstance(manifest["files"], dict):
        out.add(MANIFEST, 0, "files", "must be an object mapping record type to {path, records, sha256}",
                kind="manifest")
    return manifest


def check_manifest_files(
    manifest: dict[str, Any], files: dict[str, list[Path]], report: ValidationReport, digests: dict[str, str],
    out: Collector,
) -> None:
    """Compare the manifest's ``files`` with the record files found and checked, reporting every mismatch.

    Parameters
    ----------
    manifest : dict
        As returned by :func:`read_manifest`.
    files : dict of str to list of Path
        Record type -> the files of that type found in the folder (the first one is compared).
    report : ValidationReport
        Holds the record count of each checked file.
    digests : dict of str to str
        File name -> SHA-256 of its bytes, for the files whose entry lists a hash.
    out : Collector
        Receives the problems.
    """
    listed = manifest.get("files")
    if not isinstance(listed, dict):
        return
    for name, entry in listed.items():
        where = f"files.{name}"
        if name not in RECORD_TYPES:
            out.add(MANIFEST, 0, where, f"unknown record type {name!r}", severity="warning", kind="manifest")
            continue
        if not isinstance(entry, dict):
            out.add(MANIFEST, 0, where, "must be an object {path, records, sha256}", kind="manifest")
            continue
        paths = files.get(name, [])
        expected = entry.get("path")
        if not paths:
            shown = expected if isinstance(expected, str) else record_file_name(name)
            out.add(MANIFEST, 0, where, f"listed in the manifest but {shown} is absent", kind="manifest")
            continue
        actual = paths[0]
        if expected is not None and expected != actual.name:
            out.add(MANIFEST, 0, f"{where}.path", f"says {expected!r}, but the file is {actual.name}",
                    kind="manifest")
        records = entry.get("records")
        if records is not None:
            count = report.files[actual.name].records if actual.name in report.files else 0
            if type(records) is not int:
                out.add(MANIFEST, 0, f"{where}.records", "must be an integer", kind="manifest")
            elif records != count:
                out.add(MANIFEST, 0, f"{where}.records",
                        f"{actual.name} has {count} records, the manifest says {records}", kind="manifest")
        sha = entry.get("sha256")
        if sha is not None:
            if type(sha) is not str:
                out.add(MANIFEST, 0, f"{where}.sha256", "must be a hex string", kind="manifest")
            elif digests.get(actual.name) != sha.lower():
                out.add(MANIFEST, 0, f"{where}.sha256",
                        f"{actual.name} has SHA-256 {digests.get(actual.name)}, the manifest says {sha}",
                        kind="manifest")
    for name, paths in files.items():
        if name not in listed:
            out.add(MANIFEST, 0, f"files.{name}",
                    f"{paths[0].name} is not listed in the manifest (its count and hash are not pinned)",
                    severity="warning", kind="manifest")
