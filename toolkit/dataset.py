"""Datasets on disk: a folder with one JSONL file per record type and a ``manifest.json``.

Layout::

    raters.jsonl  users.jsonl  conversations.jsonl  attributes.jsonl  extraction_judgments.jsonl
    prompts.jsonl  relevance_judgments.jsonl  responses.jsonl  response_ratings.jsonl  scores.jsonl
    manifest.json

Any record file may be absent and any may be gzip-compressed (``.jsonl.gz``) or Parquet (``<type>.parquet``).
The manifest records the dataset's name, schema version, provenance (``simulated`` or ``real``, with its
origin), per-file record counts and SHA-256, licence and citation. A record without ``schema_version`` takes
the manifest's ``schema_version``; without a manifest, reading stops at the first such record with one error
saying what to add.

Writing is checked and atomic: :func:`write_dataset` checks every record against its schema (naming record
type, index and field), builds the folder in a temporary sibling and swaps it in, so an interrupted write
leaves the old folder or nothing. Frames read through Arrow when the file provably matches its schema
(:mod:`toolkit.arrow_records`), else through the strict line reader.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

import attrs
import pandas as pd

import toolkit
from schemas import RECORD_TYPES, SCHEMA_VERSION, RecordError, structure, unstructure
from schemas.fastcheck import fast_checker
from toolkit.arrow_records import checked_table, read_json_table, read_parquet_table, table_frame
from toolkit.atomic import atomic_dir, write_text
from toolkit.cache import cached_frame
from toolkit.jsonl import DataError, iter_lines, loads, parse_line, write_records
from toolkit.layout import MANIFEST, PROVENANCE_KINDS, RECORD_SUFFIXES, no_version_message, record_file_name
from toolkit.parquet import PARQUET_SUFFIX, iter_parquet_rows, write_parquet_rows
from toolkit.records_out import RecordWriteError, checked_dicts, frame_records
from toolkit.vocabulary import parse_scale

# MANIFEST and PROVENANCE_KINDS are defined in toolkit.layout (shared with the validator) and re-exported here.
__all__ = [
    "FRAME_LAYOUT",
    "MANIFEST",
    "PROVENANCE_KINDS",
    "SAMPLE_DIR",
    "Dataset",
    "MissingRecordsError",
    "RecordWriteError",
    "file_sha256",
    "frame_records",
    "find_record_file",
    "load_dataset",
    "read_frame",
    "record_files",
    "sample_path",
    "write_dataset",
    "write_manifest",
]

#: The ``manifest.json`` a half-built dataset folder holds until its real manifest replaces it: it fails
#: validation (unknown schema version), so an interrupted write never leaves a folder that validates.
INCOMPLETE_MANIFEST = (
    '{"schema_version": "incomplete", "description": "an interrupted dataset write; delete this folder"}\n'
)
#: Every name a record file may have (JSONL, gzip JSONL, Parquet).
RECORD_FILE_SUFFIXES = tuple(dict.fromkeys((*RECORD_SUFFIXES, PARQUET_SUFFIX)))

SAMPLE_DIR = Path(__file__).parent / "data" / "sample"


#: Version of the parsed-frame layout (columns and dtypes) in the frame cache's key: bump when the reader's
#: output changes, so a frame cached by an older reader is never served. 2: schema 1.1 (``group``, ``grade``).
FRAME_LAYOUT = "2"


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


def record_files(name: str) -> tuple[str, ...]:
    """Every file name record type ``name`` may have in a dataset folder.

    Examples
    --------
    >>> record_files("raters")
    ('raters.jsonl', 'raters.jsonl.gz', 'raters.parquet')
    """
    return tuple(f"{name}{suffix}" for suffix in RECORD_FILE_SUFFIXES)


def find_record_file(folder: Path, name: str) -> Path | None:
    """The file of record type ``name`` in ``folder`` (``.jsonl``, ``.jsonl.gz`` or ``.parquet``), or None.

    Raises
    ------
    DataError
        When more than one of them exists (which one is meant would be a guess).
    """
    found = [folder / f for f in record_files(name) if (folder / f).exists()]
    if len(found) > 1:
        raise DataError(folder, 0, name, f"both {' and '.join(p.name for p in found)} exist; keep one")
    return found[0] if found else None


def _is_record_file(filename: str) -> bool:
    return any(filename.endswith(suffix) for suffix in RECORD_FILE_SUFFIXES)


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

    @property
    def default_version(self) -> str | None:
        """The manifest's ``schema_version``: the version of every record that does not carry its own."""
        version = self.manifest.get("schema_version")
        return version if isinstance(version, str) else None

    @classmethod
    def from_frames(
        cls,
        frames: Mapping[str, pd.DataFrame],
        path: str | Path,
        *,
        name: str,
        provenance: str = "real",
        origin: str = "pandas frames",
        **options: Any,
    ) -> Dataset:
        """Write pandas frames (one per record type) as a dataset folder and open it.

        Each row is one record, each column one field; NaN, ``None`` and ``pd.NA`` become null, numpy values
        become JSON values, and a missing ``schema_version`` is filled. Every record is checked
        (:func:`write_dataset`), and the first bad one is named by record type, row index and field.

        Parameters
        ----------
        frames : mapping of record type name to DataFrame
            e.g. ``{"raters": raters, "relevance_judgments": judgments}``; frames from :meth:`frame` work.
        path : path-like
            The dataset folder to write (replaced atomically).
        name, provenance, origin
            As for :func:`write_dataset`.
        **options
            Any other keyword of :func:`write_dataset` (``license``, ``format="parquet"``, ...).

        Returns
        -------
        Dataset
            The written dataset.

        Examples
        --------
        >>> import tempfile, pandas as pd
        >>> raters = pd.DataFrame({"rater_id": ["h1", "gpt"], "kind": ["human", "llm"], "model": [None, "gpt-5"]})
        >>> ds = Dataset.from_frames({"raters": raters}, tempfile.mkdtemp() + "/study", name="demo")
        >>> ds.frame("raters")[["rater_id", "kind"]].values.tolist()
        [['h1', 'human'], ['gpt', 'llm']]
        """
        return write_dataset(
            path,
            {rt: frame_records(frame) for rt, frame in frames.items()},
            name=name,
            provenance=provenance,
            origin=origin,
            **options,
        )

    def records(self, name: str) -> Iterator[Any]:
        """Stream the records of one type as attrs objects (strict: stops at the first bad line or row)."""
        path = self.file(name)
        for number, data in _raw_rows(path):
            data = _with_version(path, number, data, self.default_version)
            try:
                yield structure(data, name)
            except RecordError as exc:
                field, message = exc.errors[0]
                more = f" (and {len(exc.errors) - 1} more problems)" if len(exc.errors) > 1 else ""
                raise DataError(path, number, field, message + more) from None

    def frame(self, name: str) -> pd.DataFrame:
        """All records of one type as a tidy DataFrame: one row per record, one column per field.

        Enum fields hold their string values; list fields hold tuples; ``schema_version`` is left out.
        The frame is cached on the dataset; treat it as read-only.
        """
        if name not in self._frames:
            path = self.file(name)
            version = self.default_version
            # Parsing tens of thousands of lines costs most of a figure's run time: cache the parsed frame,
            # keyed by the file's bytes, the version records default to and the code that parses it.
            key = (
                f"{name}-{file_sha256(path)}-{SCHEMA_VERSION}-{toolkit.__version__}-{version or 'none'}"
                f"-frames{FRAME_LAYOUT}"
            )
            self._frames[name] = cached_frame("frames", key, lambda: read_frame(path, name, version))
        return self._frames[name]


def _raw_rows(path: Path) -> Iterator[tuple[int, Any]]:
    """``(line or row number, parsed value)`` of a record file, strictly (duplicate keys, NaN: errors)."""
    if path.name.endswith(PARQUET_SUFFIX):
        yield from iter_parquet_rows(path)
        return
    for number, line in iter_lines(path):
        yield number, parse_line(path, number, line)


def _with_version(path: Path, number: int, data: Any, default_version: str | None) -> Any:
    """``data`` with the dataset's version when it has none; without one, the error that says what to add."""
    if not isinstance(data, dict) or "schema_version" in data:
        return data
    if default_version is None:
        raise DataError(path, number, "schema_version", no_version_message(SCHEMA_VERSION))
    return {**data, "schema_version": default_version}


def read_frame(path: str | Path, name: str, default_version: str | None = None) -> pd.DataFrame:
    """Read one record file (JSONL, gzip JSONL or Parquet) into the tidy frame of :meth:`Dataset.frame`.

    The file is read through Arrow and checked column by column (:mod:`toolkit.arrow_records`); when that
    cannot prove every record valid, it is read line by line as strictly as :meth:`Dataset.records`: a line
    that the generated checker (:func:`schemas.fastcheck.fast_checker`) accepts is, by that checker's contract
    (property-tested), exactly a line that ``schemas.structure`` accepts, so its values are used without
    building an attrs object; numbers are normalised to the field's type as structuring would. Any other line
    goes through ``schemas.structure`` (migration, or a :class:`DataError` naming file, line and field).

    Parameters
    ----------
    path : path-like
        The record file.
    name : str
        Its record type.
    default_version : str, optional
        The schema version of records without one (the manifest's).

    Returns
    -------
    pandas.DataFrame
        One row per record.

    Raises
    ------
    DataError
        At the first bad line (or Parquet row).
    """
    path = Path(path)
    if path.name.endswith(PARQUET_SUFFIX):
        try:
            table = read_parquet_table(path)
        except Exception:  # noqa: BLE001 - the strict reader below names the problem
            table = None
    else:
        table = read_json_table(path)
    if table is not None:
        checked = checked_table(table, name, default_version)
        if checked is not None:
            return table_frame(checked, name)
    return _strict_frame(path, name, default_version)


def _strict_frame(path: Path, name: str, default_version: str | None) -> pd.DataFrame:
    fields = [f for f in attrs.fields(RECORD_TYPES[name].cls) if f.name != "schema_version"]
    columns = [f.name for f in fields]
    defaults = [f.default for f in fields]
    check = fast_checker(name)
    # a derived default (e.g. a rater's group from its kind) exists only on the structured record
    derived = hasattr(RECORD_TYPES[name].cls, "__attrs_post_init__")
    rows = []
    for number, data in _raw_rows(path):
        data = _with_version(path, number, data, default_version)
        if derived or not check(data):
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
        raise DataError(folder, 0, "<dataset>", "not a directory (a dataset is a folder of JSONL or Parquet record files)")
    manifest: dict[str, Any] = {}
    mpath = folder / MANIFEST
    if mpath.exists():
        try:
            # strict: NaN/Infinity and repeated keys are errors, as in every record
            manifest = loads(mpath.read_text(encoding="utf-8"))
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
    format: str = "jsonl",
    also: Callable[[Path], Any] | None = None,
    schema_version: str = SCHEMA_VERSION,
    rating_scale: tuple[int, int] | None = None,
    label_scale: tuple[int, int] | None = None,
) -> Dataset:
    """Check records and write them into a dataset folder with its manifest, atomically; return the dataset.

    Parameters
    ----------
    path : path-like
        Target folder. It is built in a temporary sibling and swapped in when complete, so an interruption
        leaves the old folder or nothing. Files of an existing folder that are not record files or the
        manifest (ground truth, reports, sub-datasets) are kept; record files of other types are dropped so
        the folder matches the manifest.
    records : mapping of record type name to iterable of records
        e.g. ``{"raters": [...], "relevance_judgments": generator}``: attrs records or dicts, streamed. Every
        record is checked against its schema; a dict without ``schema_version`` gets the current one, and
        NaN values become null.
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
    format : {"jsonl", "parquet"}
        Record files as JSON Lines or as Parquet (``<type>.parquet``).
    also : callable, optional
        ``also(folder)`` writes more files into the (temporary) folder before it is published, as part of the
        same atomic write (e.g. a simulation's ground truth).
    schema_version : str
        The manifest's schema version (default the current one; the simulator writes the 1.0 records it
        always wrote, so its datasets stay byte-identical).
    rating_scale, label_scale : (int, int), optional
        A declared rating scale (e.g. ``(1, 7)``; default 1..5) and grade scale of graded relevance (e.g.
        ``(0, 2)``), written to the manifest as ``{"min": a, "max": b}`` (schema 1.1).

    Returns
    -------
    Dataset
        The written dataset.

    Raises
    ------
    RecordWriteError
        At the first record that does not match its schema (record type, index, field); nothing is written.
    OutputError
        When the folder cannot be written (full disk, read-only destination); nothing partial is left.
    """
    if provenance not in PROVENANCE_KINDS:
        raise ValueError(f"provenance must be one of {PROVENANCE_KINDS}, got {provenance!r}")
    if format not in ("jsonl", "parquet"):
        raise ValueError(f"format must be 'jsonl' or 'parquet', got {format!r}")
    unknown = [n for n in records if n not in RECORD_TYPES]
    if unknown:
        raise ValueError(f"unknown record types {unknown}; known: {list(RECORD_TYPES)}")
    scales: dict[str, dict[str, int]] = {}
    for key, scale in (("rating_scale", rating_scale), ("label_scale", label_scale)):
        if scale is not None:
            scales[key] = {"min": int(scale[0]), "max": int(scale[1])}
            parse_scale(scales[key])  # a bad scale fails here, before anything is written
    folder = Path(path)
    keep = (lambda entry: entry != MANIFEST and not _is_record_file(entry))  # noqa: E731
    with atomic_dir(folder, keep=keep, placeholder=(MANIFEST, INCOMPLETE_MANIFEST)) as tmp:
        files: dict[str, Any] = {}
        for rt_name in RECORD_TYPES:  # dependency order, for readable manifests
            if rt_name not in records:
                continue
            rows = checked_dicts(rt_name, records[rt_name])
            if format == "parquet":
                fpath = tmp / f"{rt_name}{PARQUET_SUFFIX}"
                count = write_parquet_rows(fpath, rows)
            else:
                fpath = tmp / record_file_name(rt_name, compress)
                count = write_records(fpath, rows)
            files[rt_name] = {"path": fpath.name, "records": count, "sha256": file_sha256(fpath)}
        if also is not None:
            also(tmp)
        manifest = {
            "name": name,
            "schema_version": schema_version,
            **scales,
            "toolkit_version": toolkit.__version__,
            "provenance": {"kind": provenance, "origin": origin, **(extra_provenance or {})},
            "license": license,
            "citation": citation,
            "description": description,
            "files": files,
        }
        write_manifest(tmp, manifest)  # last: until now the folder's manifest is the invalid placeholder
    return load_dataset(folder)


def write_manifest(folder: str | Path, manifest: Mapping[str, Any]) -> Path:
    """Write ``folder/manifest.json`` atomically (indented, UTF-8); return its path.

    Examples
    --------
    >>> import tempfile
    >>> write_manifest(tempfile.mkdtemp(), {"schema_version": "1.0", "files": {}}).name
    'manifest.json'
    """
    return write_text(Path(folder) / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
