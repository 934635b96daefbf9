"""Datasets on disk: a folder with one JSONL file per record type and a ``manifest.json``.

Layout::

    raters.jsonl  users.jsonl  conversations.jsonl  attributes.jsonl  extraction_judgments.jsonl
    prompts.jsonl  relevance_judgments.jsonl  responses.jsonl  response_ratings.jsonl  scores.jsonl
    manifest.json

Any record file may be absent and any may be gzip-compressed (``.jsonl.gz``). The manifest records the
dataset's name, schema version, provenance (``simulated`` or ``real``, with its origin), per-file record
counts and SHA-256, licence and citation.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

import attrs
import pandas as pd

import toolkit
from schemas import RECORD_TYPES, SCHEMA_VERSION, RecordError, structure, unstructure
from schemas.fastcheck import fast_checker
from toolkit.cache import cached_pickle
from toolkit.jsonl import DataError, iter_lines, parse_line, read_records, write_records
from toolkit.layout import MANIFEST, PROVENANCE_KINDS, RECORD_SUFFIXES, record_file_name

# MANIFEST and PROVENANCE_KINDS are defined in toolkit.layout (shared with the validator) and re-exported here.
__all__ = [
    "MANIFEST",
    "PROVENANCE_KINDS",
    "SAMPLE_DIR",
    "Dataset",
    "MissingRecordsError",
    "file_sha256",
    "find_record_file",
    "load_dataset",
    "sample_path",
    "write_dataset",
]

SAMPLE_DIR = Path(__file__).parent / "data" / "sample"


def sample_path() -> Path:
    """Folder of the bundled simulated sample dataset (the default input of every command)."""
    return SAMPLE_DIR


def file_sha256(path: str | Path) -> str:
    """SHA-256 hex digest of a file's bytes (as stored, i.e. of the compressed bytes for ``.gz``)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def find_record_file(folder: Path, name: str) -> Path | None:
    """The file of record type ``name`` in ``folder`` (``.jsonl`` or ``.jsonl.gz``), or None if absent.

    Raises
    ------
    DataError
        When both a plain and a gzip file exist (which one is meant would be a guess).
    """
    plain, gz = folder / record_file_name(name), folder / record_file_name(name, compress=True)
    if plain.exists() and gz.exists():
        raise DataError(folder, 0, name, f"both {plain.name} and {gz.name} exist; keep one")
    return plain if plain.exists() else gz if gz.exists() else None


@attrs.define
class Dataset:
    """A dataset folder, read lazily and streamed record type by record type.

    Attributes
    ----------
    path : Path
        The folder.
    manifest : dict
        The parsed ``manifest.json`` (empty if the folder has none).
    """

    path: Path
    manifest: dict[str, Any]
    _frames: dict[str, pd.DataFrame] = attrs.field(factory=dict, repr=False)

    @property
    def name(self) -> str:
        return str(self.manifest.get("name") or self.path.name)

    @property
    def provenance(self) -> str:
        """``"simulated"``, ``"real"`` or ``"unknown"`` (no manifest)."""
        return str(self.manifest.get("provenance", {}).get("kind", "unknown"))

    @property
    def is_simulated(self) -> bool:
        return self.provenance == "simulated"

    @cached_property
    def manifest_sha256(self) -> str:
        """SHA-256 of ``manifest.json`` (which itself pins every file's hash): the dataset's fingerprint."""
        path = self.path / MANIFEST
        if path.exists():
            return file_sha256(path)
        digest = hashlib.sha256()  # no manifest: hash the record files in a fixed order
        for name in self.record_types:
            digest.update(name.encode())
            digest.update(file_sha256(self.file(name)).encode())
        return digest.hexdigest()

    @cached_property
    def record_types(self) -> tuple[str, ...]:
        """The record types present in the folder, in dependency order."""
        return tuple(name for name in RECORD_TYPES if find_record_file(self.path, name) is not None)

    def has(self, *names: str) -> bool:
        """Whether all the given record types are present."""
        return all(n in self.record_types for n in names)

    def require(self, *names: str, purpose: str = "this analysis") -> None:
        """Raise :class:`MissingRecordsError` naming the absent record types, if any."""
        missing = [n for n in names if n not in self.record_types]
        if missing:
            raise MissingRecordsError(self.path, missing, purpose)

    def file(self, name: str) -> Path:
        path = find_record_file(self.path, name)
        if path is None:
            raise MissingRecordsError(self.path, [name], "reading")
        return path

    def records(self, name: str) -> Iterator[Any]:
        """Stream the records of one type as attrs objects (strict: stops at the first bad line)."""
        return read_records(self.file(name), name)

    def frame(self, name: str) -> pd.DataFrame:
        """All records of one type as a tidy DataFrame: one row per record, one column per field.

        Enum fields hold their string values; list fields hold tuples; ``schema_version`` is left out.
        The frame is cached on the dataset; treat it as read-only.
        """
        if name not in self._frames:
            path = self.file(name)
            # Parsing tens of thousands of lines costs most of a figure's run time: cache the parsed frame,
            # keyed by the file's bytes and the code that parses it.
            key = f"{name}-{file_sha256(path)}-{SCHEMA_VERSION}-{toolkit.__version__}"
            self._frames[name] = cached_pickle("frames", key, lambda: _read_frame(path, name))
        return self._frames[name]


def _read_frame(path: Path, name: str) -> pd.DataFrame:
    """Read one record file into a frame, as strictly as :func:`toolkit.jsonl.read_records` but faster.

    A line that the generated checker (:func:`schemas.fastcheck.fast_checker`) accepts is, by that checker's
    contract (property-tested), exactly a line that ``schemas.structure`` accepts, so its values are used
    without building an attrs object; numbers are normalised to the field's type as structuring would. Any
    other line goes through ``schemas.structure`` (migration or a located :class:`DataError`).
    """
    fields = [f for f in attrs.fields(RECORD_TYPES[name].cls) if f.name != "schema_version"]
    columns = [f.name for f in fields]
    defaults = [f.default for f in fields]
    check = fast_checker(name)
    rows = []
    for number, line in iter_lines(path):
        data = parse_line(path, number, line)
        if not check(data):
            try:
                data = unstructure(structure(data, name))
            except RecordError as exc:
                field, message = exc.errors[0]
                raise DataError(path, number, field, message) from None
        rows.append([_tuplify(data.get(c, d)) for c, d in zip(columns, defaults, strict=True)])
    frame = pd.DataFrame(rows, columns=columns)
    for f in fields:  # JSON 3.0 is an int field's 3, and 3 a float field's 3.0, as structuring makes them
        if f.type is int and len(frame):
            frame[f.name] = frame[f.name].astype("int64")
        elif f.type in (float, float | None) and len(frame):
            frame[f.name] = frame[f.name].astype("float64")
    return frame


def _tuplify(value: Any) -> Any:
    return tuple(_tuplify(v) for v in value) if isinstance(value, list) else value


class MissingRecordsError(DataError):
    """A dataset lacks record types that an operation needs."""

    def __init__(self, path: Path, missing: list[str], purpose: str) -> None:
        self.missing = missing
        files = ", ".join(f"{m}.jsonl" for m in missing)
        super().__init__(path, 0, "<dataset>", f"{purpose} needs {files}, which the dataset does not have")


def load_dataset(path: str | Path | None = None) -> Dataset:
    """Open a dataset folder (default: the bundled simulated sample).

    Nothing is read but the manifest; records are streamed on demand. Use ``recenter validate`` (or
    :func:`toolkit.validate.validate_path`) for a full check.

    Raises
    ------
    DataError
        When the folder does not exist or the manifest is not valid JSON.
    """
    folder = sample_path() if path is None else Path(path)
    if not folder.is_dir():
        raise DataError(folder, 0, "<dataset>", "not a directory (a dataset is a folder of JSONL files)")
    manifest: dict[str, Any] = {}
    mpath = folder / MANIFEST
    if mpath.exists():
        try:
            manifest = json.loads(mpath.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise DataError(mpath, 0, "<file>", f"invalid JSON: {exc}") from None
        if not isinstance(manifest, dict):
            raise DataError(mpath, 0, "<file>", "must be a JSON object")
    return Dataset(folder, manifest)


def write_dataset(
    path: str | Path,
    records: Mapping[str, Iterable[Any]],
    *,
    name: str,
    provenance: str,
    origin: str,
    license: str | None = None,
    citation: str | None = None,
    description: str | None = None,
    extra_provenance: Mapping[str, Any] | None = None,
    compress: bool = False,
) -> Dataset:
    """Write records into a dataset folder with its manifest; return the opened dataset.

    Parameters
    ----------
    path : path-like
        Target folder (created; existing record files of the written types are replaced, and stale files
        of other record types are removed so the folder matches the manifest).
    records : mapping of record type name to iterable of records
        e.g. ``{"raters": [...], "relevance_judgments": generator}``; iterables are streamed.
    name : str
        Dataset name.
    provenance : {"simulated", "real"}
        Whether the records are simulated or real data.
    origin : str
        Where they come from (e.g. ``"toolkit.simulate seed=20260606"`` or the source files imported).
    license, citation, description : str, optional
        Data licence (e.g. ``"CC-BY-4.0"``), how to cite, free text.
    extra_provenance : mapping, optional
        More provenance fields (seed, toolkit version, ...), stored under ``manifest["provenance"]``.
    compress : bool
        Write ``.jsonl.gz`` instead of ``.jsonl``.
    """
    if provenance not in PROVENANCE_KINDS:
        raise ValueError(f"provenance must be one of {PROVENANCE_KINDS}, got {provenance!r}")
    unknown = [n for n in records if n not in RECORD_TYPES]
    if unknown:
        raise ValueError(f"unknown record types {unknown}; known: {list(RECORD_TYPES)}")
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    for stale in RECORD_TYPES:
        for suffix in RECORD_SUFFIXES:
            (folder / f"{stale}{suffix}").unlink(missing_ok=True)
    files: dict[str, Any] = {}
    for rt_name in RECORD_TYPES:  # dependency order, for readable manifests
        if rt_name not in records:
            continue
        fpath = folder / record_file_name(rt_name, compress)
        count = write_records(fpath, records[rt_name])
        files[rt_name] = {"path": fpath.name, "records": count, "sha256": file_sha256(fpath)}
    manifest = {
        "name": name,
        "schema_version": SCHEMA_VERSION,
        "toolkit_version": toolkit.__version__,
        "provenance": {"kind": provenance, "origin": origin, **(extra_provenance or {})},
        "license": license,
        "citation": citation,
        "description": description,
        "files": files,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return load_dataset(folder)
