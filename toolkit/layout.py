"""What a dataset folder holds: record file names, ``manifest.json`` and the other files it may carry.

:mod:`toolkit.dataset` writes and reads folders, :mod:`toolkit.validate` checks them; both take these names
from here, so they cannot drift apart. Nothing heavy is imported (the validator does not load pandas).

The manifest is a JSON object: ``name``, ``schema_version``, ``toolkit_version``, ``provenance`` (``kind``
- one of :data:`PROVENANCE_KINDS` - ``origin`` and any other provenance fields), ``license``, ``citation``,
``description`` and ``files``: record type -> ``{path, records, sha256}`` (file name, record count, SHA-256 of
the file's bytes as stored).
"""

from __future__ import annotations

__all__ = [
    "ALLOWED_EXTRA",
    "MANIFEST",
    "PROVENANCE_KINDS",
    "no_version_message",
    "RECORD_SUFFIXES",
    "record_file_name",
    "record_type_of",
]

MANIFEST = "manifest.json"
PROVENANCE_KINDS = ("simulated", "real")
#: A record file is ``<record type><suffix>``: plain JSON Lines, gzip-compressed JSON Lines or Parquet
#: (one row per record). The first two are what :func:`record_file_name` gives.
RECORD_SUFFIXES = (".jsonl", ".jsonl.gz", ".parquet")
#: Files a dataset folder may hold besides its record files.
ALLOWED_EXTRA = (
    MANIFEST, "ground_truth.json", "ground_truth.json.gz", "README.md", "import_report.json", "import_report.md",
)


def record_file_name(record_type: str, compress: bool = False) -> str:
    """The file name of a record type in a dataset folder.

    Parameters
    ----------
    record_type : str
        A record type name, e.g. ``"raters"``.
    compress : bool
        The gzip name (``.jsonl.gz``) rather than the plain one (``.jsonl``).

    Returns
    -------
    str
        e.g. ``"raters.jsonl"``.
    """
    return f"{record_type}{RECORD_SUFFIXES[1] if compress else RECORD_SUFFIXES[0]}"


def record_type_of(filename: str) -> str | None:
    """The record type a file name stands for, whether the type is known or not.

    Parameters
    ----------
    filename : str
        A file name, without folders.

    Returns
    -------
    str or None
        The stem of a ``.jsonl``, ``.jsonl.gz`` or ``.parquet`` name; None for any other name.

    Examples
    --------
    >>> record_type_of("users.parquet"), record_type_of("users.jsonl.gz"), record_type_of("notes.txt")
    ('users', 'users', None)
    """
    for suffix in RECORD_SUFFIXES:
        if filename.endswith(suffix):
            return filename[: -len(suffix)]
    return None


def no_version_message(version: str) -> str:
    """What to do when records have no ``schema_version`` and no manifest gives one (reader and validator).

    Parameters
    ----------
    version : str
        The version to suggest (the current one).

    Returns
    -------
    str
        The message, naming the fix.

    Examples
    --------
    >>> no_version_message("1.1").startswith("records have no schema_version")
    True
    """
    return (
        "records have no schema_version and the dataset has no manifest.json to take it from: add "
        f'"schema_version": "{version}" once to manifest.json (`recenter init DIR` writes one) or to every record'
    )
