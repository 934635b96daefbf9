"""``recenter validate PATH``: check a dataset folder (or one JSONL file) and report every problem.

What is checked, line by line and across files:

* encoding and syntax: UTF-8 (a BOM on line 1 and CRLF line ends are accepted), strict JSON (no NaN or
  Infinity, no object repeating a key, at any depth), no lone-surrogate ``\\uD8xx`` escapes (they are not valid Unicode text);
* the schema of the record type (missing, unknown and wrong-typed fields, enums, ranges, schema version),
  exactly as :func:`schemas.structure` decides; a record without ``schema_version`` has the manifest's (without
  one in the manifest: one error per file, at the first such record, with their count; each is rejected);
* the dataset's declared scales (``manifest.json``): ``response_ratings.rating`` on ``rating_scale`` (default
  1..5), ``relevance_judgments.grade`` on ``label_scale`` (undeclared: any integer >= 0);
* duplicates: two entities with the same id, or the same rater judging the same item twice (reported at the
  second occurrence, with the line of the first);
* referential integrity across files (``RecordType.references`` of :mod:`schemas.registry`) and the
  cross-record rules: a relevance judgment's attribute belongs to its user; a response rating compares the
  personalized and the generic response of the same user, prompt and generator; an aggregate rater's
  ``derived_from`` raters exist;
* the manifest: schema version, per-file record counts and SHA-256, files listed but absent;
* the folder: stray files and ``*.jsonl`` files of unknown record types are warnings; a subfolder with its
  own ``manifest.json`` is a separate dataset (e.g. an importer's ``pilot_task3/``) and is validated on its own.

Every problem is reported as ``file:line: field: message`` (line 1-based, 0 for the file as a whole); the exit
code is 0 when there are no errors (warnings allowed) and 1 otherwise.

**Parquet.** A ``<type>.parquet`` file is checked row by row with the same checks, each row's record as the JSON
line it stands for (a null is an absent field); problems say ``file:row N`` and duplicates "first at row N".
An unreadable file, a page failing its checksum or a repeated column name is a file error. With
``--quarantine`` the valid rows go to ``<type>.jsonl`` (JSON lines) and the rejected ones to
``<type>.rejected.jsonl`` with ``row`` in place of ``line``.

Modules: :mod:`~toolkit.validate.report` (problems, capping, text and JSON output),
:mod:`~toolkit.validate.stream` (plain and gzip line streaming, quarantine files),
:mod:`~toolkit.validate.records` (line, key and reference checks; speed and memory notes),
:mod:`~toolkit.validate.manifest` (manifest checks), :mod:`~toolkit.validate.folder` (folders and single
files) and :mod:`~toolkit.validate.cli` (the command). The fast schema checker is
:func:`schemas.fastcheck.fast_checker`, re-exported here.
"""

from schemas.fastcheck import checker_source, fast_checker
from toolkit.layout import ALLOWED_EXTRA, MANIFEST, PROVENANCE_KINDS
from toolkit.validate.cli import add_arguments, run
from toolkit.validate.folder import validate_path
from toolkit.validate.report import DEFAULT_MAX_PER_GROUP, FileStats, Problem, ValidationReport

__all__ = [
    "ALLOWED_EXTRA",
    "DEFAULT_MAX_PER_GROUP",
    "MANIFEST",
    "PROVENANCE_KINDS",
    "FileStats",
    "Problem",
    "ValidationReport",
    "add_arguments",
    "checker_source",
    "fast_checker",
    "run",
    "validate_path",
]
