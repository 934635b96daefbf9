"""What to validate: a dataset folder (its files, in dependency order, then its manifest) or one record file.

In a folder, stray files and ``*.jsonl`` files of unknown record types are warnings; a subfolder with its own
``manifest.json`` is a separate dataset (e.g. an importer's ``pilot_task3/``) and is validated on its own.
A single file is checked alone: references into other files cannot be checked, and a warning says so.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from schemas.migrations import check_version
from schemas.registry import RECORD_TYPES
from toolkit.jsonl import DataError, loads
from toolkit.layout import ALLOWED_EXTRA, MANIFEST, record_type_of
from toolkit.validate.manifest import check_manifest_files, read_manifest
from toolkit.validate.records import Validator
from toolkit.validate.report import DEFAULT_MAX_PER_GROUP, ValidationReport, sort_problems
from toolkit.validate.stream import Quarantine
from toolkit.vocabulary import RATING_SCALE, declared_scale

__all__ = ["dataset_settings", "list_record_files", "validate_path"]


def validate_path(
    path: str | Path,
    *,
    quarantine: str | Path | None = None,
    record_type: str | None = None,
    max_per_group: int = DEFAULT_MAX_PER_GROUP,
) -> ValidationReport:
    """Validate a dataset folder or a single JSONL file; return the report (never raises on bad data).

    Parameters
    ----------
    path : path-like
        A dataset folder, or one ``<record type>.jsonl[.gz]`` or ``<record type>.parquet`` file (a single file
        takes the schema version and scales of the ``manifest.json`` beside it, if any).
    quarantine : path-like, optional
        Folder to write ``<type>.jsonl`` (the valid lines, verbatim) and ``<type>.rejected.jsonl`` (one JSON
        object per rejected line: ``line``, ``errors`` [{field, message}], ``raw`` - the line's text, or its
        base64 with ``"raw_encoding": "base64"`` when it is not UTF-8). Parquet rows are written as the JSON
        lines of their records, and rejected ones carry ``row`` instead of ``line``.
    record_type : str, optional
        The record type of a single file whose name does not say it.
    max_per_group : int
        Problems kept per (file, field, kind, severity) group; 0 keeps all. Totals are always exact.

    Returns
    -------
    ValidationReport
        Every problem found, grouped by file and sorted by line, with per-file counts.

    Raises
    ------
    DataError
        Only for usage errors: the path does not exist, an unknown ``record_type``, a single file whose type
        cannot be told, a quarantine folder that is the input folder.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(path, 0, "<path>", "no such file or folder")
    if record_type is not None and record_type not in RECORD_TYPES:
        raise DataError(path, 0, "--type", f"unknown record type {record_type!r}; known: {', '.join(RECORD_TYPES)}")
    qdir = Path(quarantine) if quarantine is not None else None
    folder = path if path.is_dir() else path.parent
    if qdir is not None and qdir.exists() and qdir.resolve() == folder.resolve():
        raise DataError(qdir, 0, "--quarantine", "must be a folder other than the one validated")
    if path.is_dir():
        if record_type is not None:
            raise DataError(path, 0, "--type", "applies to a single JSONL file, not to a dataset folder")
        report = ValidationReport(str(path), max_per_group=max_per_group)
        q = _open_quarantine(qdir)
        try:
            _validate_folder(path, report, q)
        finally:
            if q is not None:
                q.close()
        return sort_problems(report)
    name = record_type or record_type_of(path.name)
    if name not in RECORD_TYPES:
        raise DataError(
            path, 0, "--type",
            f"cannot tell the record type from the file name; name it <type>.jsonl or pass --type "
            f"(known: {', '.join(RECORD_TYPES)})",
        )
    manifest = _quiet_manifest(path.parent / MANIFEST)
    refs = [f for f, t in RECORD_TYPES[name].references.items() if t != name]
    report = ValidationReport(str(path), cross_file_checked=not refs, max_per_group=max_per_group)
    q = _open_quarantine(qdir)
    try:
        v = Validator(report, q, cross_file=False)
        v.default_version, v.rating_scale, v.label_scale = dataset_settings(manifest)
        label = str(path)
        if not path.is_file():
            v.out.add(label, 0, "<file>", "not a regular file", kind="file")
        else:
            v.check_file(path, label, RECORD_TYPES[name])
        if refs:
            v.out.add(label, 0, "<file>",
                      f"cross-file references not checked ({', '.join(refs)}): a single file was validated; "
                      "validate the dataset folder to check them", severity="warning", kind="scope")
    finally:
        if q is not None:
            q.close()
    return sort_problems(report)


def dataset_settings(manifest: dict[str, Any]) -> tuple[str | None, tuple[int, ...], tuple[int, ...] | None]:
    """What the line checks take from a manifest: (schema version of unversioned records, rating scale, label
    scale). An invalid value (reported by the manifest checks) counts as absent.

    Examples
    --------
    >>> dataset_settings({"schema_version": "1.1", "rating_scale": {"min": 1, "max": 7}})
    ('1.1', (1, 2, 3, 4, 5, 6, 7), None)
    >>> dataset_settings({"schema_version": "9.0"})
    (None, (1, 2, 3, 4, 5), None)
    """
    version = manifest.get("schema_version")
    try:
        check_version(version)
    except (ValueError, TypeError):
        version = None
    scales: list[tuple[int, ...] | None] = []
    for key, default in (("rating_scale", RATING_SCALE), ("label_scale", None)):
        try:
            scales.append(declared_scale(manifest, key, default))
        except ValueError:
            scales.append(default)
    return version, scales[0] or RATING_SCALE, scales[1]


def _quiet_manifest(mpath: Path) -> dict[str, Any]:
    """The manifest beside a single validated file, or {} (its problems belong to the folder's validation)."""
    try:
        manifest = loads(mpath.read_bytes().decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def _open_quarantine(qdir: Path | None) -> Quarantine | None:
    if qdir is None:
        return None
    try:
        return Quarantine(qdir)
    except OSError as exc:
        raise DataError(qdir, 0, "--quarantine", f"cannot create the folder: {exc}") from None


def list_record_files(folder: Path, out: Any) -> dict[str, list[Path]] | None:
    """The record files of a dataset folder by record type, reporting stray, odd and doubled files to ``out``.

    Returns None when the folder cannot be listed (reported). Shared by the serial and the parallel validator,
    so both see the same files and report the same problems.
    """
    files: dict[str, list[Path]] = {}
    try:
        entries = sorted(folder.iterdir(), key=lambda p: p.name)
    except OSError as exc:
        out.add(str(folder), 0, "<folder>", f"cannot list the folder: {exc}", kind="file")
        return None
    for entry in entries:
        name = entry.name
        stem = record_type_of(name)
        if stem in RECORD_TYPES:
            if entry.is_file():
                files.setdefault(stem, []).append(entry)
            else:
                out.add(name, 0, "<file>", "not a regular file", kind="file")
        elif stem is not None:
            out.add(name, 0, "<file>",
                    f"unknown record type {stem!r} (ignored); known: {', '.join(RECORD_TYPES)}",
                    severity="warning", kind="stray")
        elif name in ALLOWED_EXTRA or name.startswith("LICENSE"):
            continue
        elif entry.is_dir() and (entry / MANIFEST).is_file():
            continue  # a dataset of its own (e.g. an importer's pilot_task3/): validate it separately
        else:
            what = "folder" if entry.is_dir() else "file"
            out.add(name, 0, "<file>", f"stray {what}, not part of a dataset (ignored)",
                    severity="warning", kind="stray")
    for paths in files.values():
        if len(paths) > 1:
            out.add(paths[0].name, 0, "<file>",
                    f"both {' and '.join(p.name for p in paths)} exist; keep one (both were checked)",
                    kind="file")
    return files


def _validate_folder(folder: Path, report: ValidationReport, q: Quarantine | None) -> None:
    v = Validator(report, q, cross_file=True)
    out = v.out
    files = list_record_files(folder, out)
    if files is None:
        return
    manifest = read_manifest(folder, out)
    v.default_version, v.rating_scale, v.label_scale = dataset_settings(manifest)
    listed = manifest.get("files") if isinstance(manifest.get("files"), dict) else {}
    if not files:
        out.add(folder.name or str(folder), 0, "<folder>",
                f"no record files (expected <type>.jsonl for types: {', '.join(RECORD_TYPES)})", kind="file")
    for name in RECORD_TYPES:  # dependency order: referenced types come first
        for fpath in files.get(name, []):
            v.present.setdefault(name, fpath.name)
    digests: dict[str, str] = {}
    for name, rt in RECORD_TYPES.items():
        for fpath in files.get(name, []):
            want_hash = isinstance(listed.get(name), dict) and "sha256" in listed[name]
            hasher = hashlib.sha256() if want_hash else None
            v.check_file(fpath, fpath.name, rt, hasher)
            if hasher is not None:
                # A file not read to its end (a read error, reported) gets the digest of what was read.
                digests[fpath.name] = hasher.hexdigest()
    if manifest:
        check_manifest_files(manifest, files, report, digests, out)
