"""``recenter validate --workers K``: a dataset folder's record files checked by K processes, same report.

The files that other files reference (raters, users, attributes, prompts, responses: their ids are what the
references are checked against) are checked first, in this process; then every other record file (the
judgments, ratings and scores, which nothing references) is checked in a worker process of its own, given
those ids. The workers keep every problem (no cap); the problems are then replayed, file by file in the
serial order, into one report with the serial per-group cap, so the report (problems, order, capping, counts,
manifest checks) is the one :func:`toolkit.validate.validate_path` gives, whatever ``workers`` is.

**Large files** (over ``split_bytes``) are split into ``workers`` parts by the first field of their key
(a judgment's key starts with the judged entity): the lines of one part are those whose first key value
hashes to it, so two lines with the same key always fall in the same part and every duplicate is found there.
Each part keeps its original line numbers; the parts' problems are merged back into line order (then the
duplicates, reported at the end of a file, as the serial validator does). A line whose first key value is not
a plain string is decoded to find it. Files with a byte-order mark or other first-line signature, and files
whose references point to absent files, are not split.

Quarantine output, single files and non-JSONL record files are checked by the serial validator (same
report, one process).
"""

from __future__ import annotations

import hashlib
import multiprocessing
import re
import shutil
import tempfile
import zlib
from array import array
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from schemas.registry import RECORD_TYPES
from toolkit.jsonl import DECODER
from toolkit.layout import record_type_of
from toolkit.validate.folder import dataset_settings, list_record_files, validate_path
from toolkit.validate.manifest import check_manifest_files, read_manifest
from toolkit.validate.records import Validator
from toolkit.validate.report import (
    DEFAULT_MAX_PER_GROUP,
    Collector,
    FileStats,
    Problem,
    ValidationReport,
    clean,
    sort_problems,
)
from toolkit.validate.stream import iter_blocks, open_stream

__all__ = ["SPLIT_BYTES", "validate_parallel", "check_one_file", "check_part", "split_by_key"]

#: Record types whose ids other record types reference: checked first, in the calling process.
_REFERENCED = frozenset(t for rt in RECORD_TYPES.values() for t in rt.references.values())
_INDEX = re.compile(r"\[\d+\]")
_FIRST_AT = re.compile(r"first at line (\d+)")
_SIGNATURES = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x1f\x8b")
#: Files larger than this are split into parts (bytes as stored).
SPLIT_BYTES = 32 << 20


def split_by_key(  # noqa: ANN201
    path: Path, record_type: str, parts: int, out_dir: Path, hasher: Any = None, only: int | None = None
):
    """Write the non-blank lines of ``path`` into ``parts`` files by the hash of their first key value.

    Returns ``[(part file, original line numbers)]`` (only part ``only`` when given: each worker writes its
    own part), or None when the file must not be split (a signature such as a byte-order mark at a line
    start, or a read error: the serial validator reports those).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> f = d / "scores.jsonl"
    >>> _ = f.write_text('{"response_id": "a"}\\n\\n{"response_id": "d"}\\n{"response_id" : "a"}\\n')
    >>> [(p.name, list(n)) for p, n in split_by_key(f, "scores", 2, d)]  # line 2 is blank
    [('part-0.jsonl', [3]), ('part-1.jsonl', [1, 4])]
    """
    field = RECORD_TYPES[record_type].key[0]
    pattern = re.compile(rb'"' + re.escape(field.encode()) + rb'"\s*:\s*"([^"\\]*)"')
    wanted = range(parts) if only is None else [only]
    files = {i: open(out_dir / f"part-{i}.jsonl", "wb") for i in wanted}  # noqa: SIM115 - closed below
    numbers = {i: array("q") for i in wanted}
    search, crc, name = pattern.search, zlib.crc32, b'"' + field.encode() + b'"'

    try:
        with open_stream(path, hasher) as fh:
            for before, lines in iter_blocks(fh):
                for number, raw in enumerate(lines, start=before + 1):
                    if raw.startswith(_SIGNATURES):
                        return None
                    bare = raw.rstrip(b"\r")
                    if not bare or bare.isspace():
                        continue
                    m = search(raw) if raw.count(name) == 1 else None  # a nested namesake: decode
                    if m is not None:
                        value = m.group(1)
                    else:  # escapes, another type, nested or broken JSON: decode (a broken line has no key)
                        try:
                            data = DECODER.decode(bare.decode("utf-8"))
                            value = data.get(field) if type(data) is dict else None
                            value = value.encode("utf-8") if type(value) is str else b""
                        except (ValueError, RecursionError):
                            value = b""
                    i = crc(value) % parts
                    if i in files:
                        files[i].write(raw + b"\n")
                        numbers[i].append(number)
    except (OSError, EOFError, zlib.error):
        return None
    finally:
        for f in files.values():
            f.close()
    return [(out_dir / f"part-{i}.jsonl", numbers[i]) for i in wanted]


def check_part(
    path: str, label: str, record_type: str, part: int, parts: int, ids: dict[str, dict[str, int]],
    extras: dict[str, dict[str, Any]], present: dict[str, str], want_hash: bool, tmp: str, settings: Any = None,
) -> tuple[tuple[list[Problem], FileStats, str | None], array] | None:
    """In a worker: write part ``part`` of a file (:func:`split_by_key`) and check it; None if not splittable.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> f = d / "scores.jsonl"
    >>> _ = f.write_text('{"response_id": "a"}\\n{"response_id": "d"}\\n')
    >>> (problems, stats, _), lines = check_part(str(f), "scores.jsonl", "scores", 0, 2, {}, {}, {}, False, str(d))
    >>> list(lines), stats.records, stats.rejected
    ([2], 1, 1)
    """
    out_dir = Path(tmp) / f"{label}-{part}"
    out_dir.mkdir()
    hasher = hashlib.sha256() if want_hash else None
    split = split_by_key(Path(path), record_type, parts, out_dir, hasher, only=part)
    if split is None:
        return None
    (part_path, lines), = split
    problems, stats, _ = check_one_file(str(part_path), label, record_type, ids, extras, present, False, settings)
    part_path.unlink()
    return (problems, stats, None if hasher is None else hasher.hexdigest()), lines


def _merge_parts(results: list[tuple[list[Problem], FileStats, str | None]], numbers: list[array],
                 label: str, record_type: str) -> tuple[list[Problem], FileStats] | None:
    """The problems of a split file's parts, back in the serial order with original line numbers."""
    inline, dups = [], []
    stats = FileStats(record_type)
    for (problems, part_stats, _), lines in zip(results, numbers, strict=True):
        stats.records += part_stats.records
        stats.valid += part_stats.valid
        stats.rejected += part_stats.rejected
        for seq, p in enumerate(problems):
            if p.line == 0:
                if p.message == "empty file (no records)":
                    continue
                return None  # a whole-file problem of a part: let the serial validator say it
            if p.message.startswith("records have no schema_version"):
                return None  # said once per file, with the file's count: the serial validator says it
            line = lines[p.line - 1]
            message = p.message
            if p.kind == "duplicate":
                message = _FIRST_AT.sub(lambda m, ln=lines: f"first at line {ln[int(m.group(1)) - 1]}", message)
            q = Problem(label, line, p.field, message, p.severity, p.kind, p.count)
            (dups if p.kind == "duplicate" else inline).append((line, seq, q))
    ordered = [q for _, _, q in sorted(inline, key=lambda t: (t[0], t[1]))]
    ordered += [q for _, _, q in sorted(dups, key=lambda t: (t[0], t[1]))]
    return ordered, stats


def check_one_file(
    path: str, label: str, record_type: str, ids: dict[str, dict[str, int]], extras: dict[str, dict[str, Any]],
    present: dict[str, str], want_hash: bool, settings: Any = None,
) -> tuple[list[Problem], FileStats, str | None]:
    """Check one record file against the given ids (in a worker); every problem kept, in discovery order.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "scores.jsonl"
    >>> _ = f.write_text('{"oops": 1}\\n')
    >>> problems, stats, digest = check_one_file(str(f), "scores.jsonl", "scores", {}, {}, {}, False)
    >>> stats.records, stats.rejected, problems[0].file
    (1, 1, 'scores.jsonl')
    """
    report = ValidationReport(label, max_per_group=0)
    v = Validator(report, None, cross_file=True)
    v.ids, v.extras, v.present = ids, extras, present
    if settings is not None:  # (default schema version, rating scale, label scale): folder.dataset_settings
        v.default_version, v.rating_scale, v.label_scale = settings
    hasher = hashlib.sha256() if want_hash else None
    v.check_file(Path(path), label, RECORD_TYPES[record_type], hasher)
    stats = report.files.get(label, FileStats(record_type))
    return report.problems, stats, None if hasher is None else hasher.hexdigest()


def _replay(out: Collector, problems: list[Problem]) -> None:
    """Add problems found uncapped, in their order, under the report's cap (the serial grouping).

    The problems' text is already clean; it is kept as it is (cleaning twice would cut a cut message again).
    """
    report, cap = out.report, out.cap
    for p in problems:
        group_field = "<unknown field>" if p.message == "unknown field" else _INDEX.sub("[]", p.field)
        key = (p.file, clean(group_field), p.kind, p.severity)
        n = out.seen.get(key, 0)
        out.seen[key] = n + 1
        if cap and n >= cap and p.count == 1:
            report.omitted[key] = report.omitted.get(key, 0) + 1
            continue
        report.problems.append(p)


def _jsonl_only(folder: Path) -> bool:
    for entry in folder.iterdir():
        name = entry.name
        if record_type_of(name) in RECORD_TYPES and not (name.endswith(".jsonl") or name.endswith(".jsonl.gz")):
            return False
    return True


def validate_parallel(
    path: str | Path,
    workers: int = 2,
    *,
    quarantine: str | Path | None = None,
    record_type: str | None = None,
    max_per_group: int = DEFAULT_MAX_PER_GROUP,
    split_bytes: int = SPLIT_BYTES,
) -> ValidationReport:
    """:func:`toolkit.validate.validate_path` with the record files of a folder checked by ``workers`` processes.

    Parameters
    ----------
    path, quarantine, record_type, max_per_group
        As in :func:`toolkit.validate.validate_path` (quarantine, ``record_type`` and single files use it).
    split_bytes : int
        Files larger than this (as stored) are split into ``workers`` parts by key.
    workers : int
        Processes for the unreferenced record files; 1 is the serial validator. The workers come from a
        ``forkserver`` (as in :mod:`toolkit.replication`), so a script calling this needs the usual
        ``if __name__ == "__main__":`` guard.

    Returns
    -------
    ValidationReport
        The serial validator's report: the same problems in the same order, the same counts.

    Examples
    --------
    >>> from toolkit.dataset import sample_path
    >>> validate_parallel(sample_path(), 2).format_text() == validate_path(sample_path()).format_text()
    True
    """
    path = Path(path)
    if (workers <= 1 or quarantine is not None or record_type is not None or not path.is_dir()
            or not _jsonl_only(path)):
        return validate_path(path, quarantine=quarantine, record_type=record_type, max_per_group=max_per_group)
    report = ValidationReport(str(path), max_per_group=max_per_group)
    _validate_folder(path, report, workers, split_bytes)
    return sort_problems(report)


def _run_workers(rest, results, v, wants_hash, workers, split_bytes, tmp) -> None:  # noqa: ANN001
    """Check the unreferenced files in a process pool; a large file in ``workers`` parts by key, each part
    written and checked by its own worker (no serial split in this process)."""
    # forkserver: never fork a process that may run threads (BLAS, DuckDB, Arrow).
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        whole: dict[str, Any] = {}
        split: dict[str, tuple[str, Path, list[Any]]] = {}
        settings = (v.default_version, v.rating_scale, v.label_scale)
        for name, fpath in rest:
            rt = RECORD_TYPES[name]
            if (workers > 1 and fpath.stat().st_size > split_bytes
                    and all(t in v.present and t != name for t in rt.references.values())):
                split[fpath.name] = (name, fpath, [
                    pool.submit(check_part, str(fpath), fpath.name, name, i, workers, v.ids, v.extras, v.present,
                                wants_hash(name) and i == 0, str(tmp), settings)
                    for i in range(workers)
                ])
            else:
                whole[fpath.name] = pool.submit(check_one_file, str(fpath), fpath.name, name, v.ids, v.extras,
                                                v.present, wants_hash(name), settings)
        for label, fut in whole.items():
            results[label] = fut.result()
        for label, (name, fpath, futures) in split.items():
            done = [f.result() for f in futures]
            merged = None
            if all(d is not None for d in done):
                merged = _merge_parts([d[0] for d in done], [d[1] for d in done], label, name)
            if merged is None:  # a signature or a whole-file problem: check the file whole
                results[label] = check_one_file(str(fpath), label, name, v.ids, v.extras, v.present,
                                                wants_hash(name), settings)
            else:
                results[label] = (merged[0], merged[1], done[0][0][2])


def _validate_folder(folder: Path, report: ValidationReport, workers: int, split_bytes: int) -> None:
    """The serial folder walk of :mod:`toolkit.validate.folder`, with the unreferenced files run in workers."""
    out = Collector(report)
    files = list_record_files(folder, out)
    if files is None:
        return
    manifest = read_manifest(folder, out)
    listed = manifest.get("files") if isinstance(manifest.get("files"), dict) else {}
    if not files:
        out.add(folder.name or str(folder), 0, "<folder>",
                f"no record files (expected <type>.jsonl for types: {', '.join(RECORD_TYPES)})", kind="file")
    # The referenced files first, here: their ids (and kept fields) are what the workers check against.
    local = ValidationReport(str(folder), max_per_group=0)
    v = Validator(local, None, cross_file=True)
    v.default_version, v.rating_scale, v.label_scale = dataset_settings(manifest)
    for name in RECORD_TYPES:
        for fpath in files.get(name, []):
            v.present.setdefault(name, fpath.name)
    results: dict[str, tuple[list[Problem], FileStats, str | None]] = {}
    jobs = [(name, fpath) for name in RECORD_TYPES for fpath in files.get(name, [])]

    def wants_hash(name: str) -> bool:
        return isinstance(listed.get(name), dict) and "sha256" in listed[name]

    for name, fpath in jobs:
        if name in _REFERENCED:
            start = len(local.problems)
            hasher = hashlib.sha256() if wants_hash(name) else None
            v.check_file(fpath, fpath.name, RECORD_TYPES[name], hasher)
            results[fpath.name] = (local.problems[start:], local.files[fpath.name],
                                   None if hasher is None else hasher.hexdigest())
    rest = [(name, fpath) for name, fpath in jobs if name not in _REFERENCED]
    if rest:
        tmp = Path(tempfile.mkdtemp(prefix="recenter-validate-"))
        try:
            _run_workers(rest, results, v, wants_hash, workers, split_bytes, tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    digests: dict[str, str] = {}
    for _name, fpath in jobs:  # replay in the serial order: problems, then the file's counts
        problems, stats, digest = results[fpath.name]
        report.files[fpath.name] = stats
        _replay(out, problems)
        if digest is not None:
            digests[fpath.name] = digest
    if manifest:
        check_manifest_files(manifest, files, report, digests, out)
