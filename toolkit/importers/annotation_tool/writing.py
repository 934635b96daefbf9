"""Writing the import: the datasets (each with provenance naming its source files), the reports, and the
removal of pilot datasets an earlier import wrote but this one no longer produces."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from schemas import RECORD_TYPES, RaterKind
from toolkit.atomic import atomic_dir, write_text
from toolkit.dataset import MANIFEST, write_dataset
from toolkit.importers.annotation_tool.constants import (
    CITATION,
    DATASET_DIRS,
    DATASET_KINDS,
    HUMAN_MAJORITY,
    IMPORTER,
    LICENSE,
    MAIN,
    PILOT_TASK2_DIR,
    PILOT_TASK3_DIR,
    PIPELINE_RATER,
    REPORT_JSON,
    REPORT_MD,
)
from toolkit.importers.annotation_tool.report import ImportReport
from toolkit.jsonl import loads

__all__ = ["check_target", "describe_datasets", "is_our_dataset", "remove_stale", "write_import"]


def is_our_dataset(folder: Path) -> bool:
    """True when ``folder`` holds a dataset this importer wrote (its manifest names the importer)."""
    try:
        manifest = loads((folder / MANIFEST).read_text(encoding="utf-8"))  # strict: no repeated keys
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and (manifest.get("provenance") or {}).get("importer") == IMPORTER


def check_target(folder: Path) -> None:
    """Refuse (``ValueError``) to write into ``folder`` when it holds a dataset this importer did not write."""
    if (folder / MANIFEST).exists() and not is_our_dataset(folder):
        raise ValueError(
            f"{folder} holds a dataset not written by this importer; refusing to overwrite it "
            "(choose another --out)"
        )


def remove_stale(folder: Path) -> None:
    """Remove a dataset this importer wrote before but that this import no longer produces."""
    if not is_our_dataset(folder):
        return
    for name in RECORD_TYPES:
        for suffix in (".jsonl", ".jsonl.gz"):
            (folder / f"{name}{suffix}").unlink(missing_ok=True)
    (folder / MANIFEST).unlink(missing_ok=True)
    if folder.name in (PILOT_TASK2_DIR, PILOT_TASK3_DIR):
        try:
            folder.rmdir()
        except OSError:
            pass


def describe_datasets(
    datasets: Mapping[str, Mapping[str, list[Any]]], report: ImportReport
) -> dict[str, str]:
    """The manifest description of each dataset: what it holds, and how much its sources' exclusions were."""
    kind_of = {s.file: s.kind for s in report.sources}

    def tail(ds: str, path: str) -> str:
        """The sentence on exclusions, for dataset ``ds`` whose report is at ``path``."""
        rows = [e for e in report.exclusions if kind_of.get(e.file) in DATASET_KINDS[ds]]
        lines = len(rows)
        items = sum(e.count for e in rows)
        return (
            f"Import report: {path} lists every exclusion with file and line, nothing was dropped silently "
            f"({items} judgments/records on {lines} lines of this dataset's source files excluded)."
        )

    out = {}
    if MAIN in datasets:
        d = datasets[MAIN]
        llms = sorted(r.rater_id for r in d["raters"] if r.kind is RaterKind.LLM)
        pairs = {(a, b) for a, b in ((j.user_id, j.prompt_id) for j in d["relevance_judgments"])}
        has_gt = any(r.rater_id == HUMAN_MAJORITY for r in d["raters"])
        parts = [
            f"Stage-2 study data imported from the authors' pre-release annotation tool: {len(d['users'])} users, "
            f"{len(d['prompts'])} LIMA prompts, {len(d['attributes'])} profile attributes"
        ]
        if pairs:
            parts.append(f"relevance judgments on {len(pairs)} user-prompt pairs")
        if llms:
            parts.append("LLM judges " + ", ".join(llms))
        if has_gt:
            parts.append(f"the human-majority ground truth (rater '{HUMAN_MAJORITY}')")
        if d["responses"]:
            parts.append(f"{len(d['responses'])} generic/personalized responses")
        out[MAIN] = (
            "; ".join(parts) + ". Pilot annotations, if imported, are separate datasets in pilot_task3/ and "
            "pilot_task2/ and are not mixed in. " + tail(MAIN, REPORT_MD)
        )
    if "pilot_task3" in datasets:
        out["pilot_task3"] = (
            "Pilot task 3 of the authors' annotation tool: annotators judged every attribute of a user's profile "
            "for a prompt (the paper's stage-2 design), on the pilot's own user-prompt pairs (not the study's "
            "pairs) with the authors' team as annotators. Most records are the tool's conversion of the same "
            "annotator's task-2 records, so this is not independent of pilot_task2. "
            + tail("pilot_task3", f"../{REPORT_MD}")
        )
    if "pilot_task2" in datasets:
        out["pilot_task2"] = (
            "Pilot task 2 of the authors' annotation tool - a different design from the paper's stage 2: "
            "annotators verified a pipeline-selected subset of each profile (rating every attribute on a 5-level "
            "scale necessary_explicit/necessary_implicit/optional/unnecessary/forbidden, kept as raw_answer; "
            "relevant = is_relevant). The pipeline's own selection is the baseline rater "
            f"'{PIPELINE_RATER}'. Never pool with stage-2 data. " + tail("pilot_task2", f"../{REPORT_MD}")
        )
    return out


def write_import(
    out: Path, datasets: Mapping[str, Mapping[str, list[Any]]], report: ImportReport, order: Mapping[str, int]
) -> None:
    """Write the datasets into ``out`` (and its pilot folders), record them in ``report``, and write the reports.

    Parameters
    ----------
    out : Path
        The output folder.
    datasets : mapping
        ``{dataset key: {record type: records}}``; a dataset without records is not written, and a stale
        one an earlier import wrote there is removed.
    report : ImportReport
        The finished report (see :func:`.accounting.finish_report`).
    order : mapping
        ``file -> reading order`` (orders the sources named in each manifest).
    """
    # The whole output folder is one atomic write: built in a temporary sibling (starting from a copy of what
    # is there), swapped in at the end; an interrupted import leaves the previous import or nothing.
    with atomic_dir(out, keep=lambda name: True) as tmp:
        _write_all(tmp, datasets, report, order)


def _write_all(
    out: Path, datasets: Mapping[str, Mapping[str, list[Any]]], report: ImportReport, order: Mapping[str, int]
) -> None:
    descriptions = describe_datasets(datasets, report)
    by_file = {s.file: s for s in report.sources}
    for key, rel in DATASET_DIRS.items():
        folder = out / rel
        recs = datasets.get(key)
        if recs is not None:
            recs = {t: v for t, v in recs.items() if v}
        if not recs:
            remove_stale(folder)
            continue
        used = sorted((f for f, s in by_file.items() if key in s.written), key=lambda f: order[f])
        sources = [{"file": f, "sha256": by_file[f].sha256, "kind": by_file[f].kind} for f in used]
        origin = (
            "the authors' pre-release annotation tool (github.com/orange0629/personalize-annotation): "
            + ", ".join(f"{s['file']} (sha256 {s['sha256']})" for s in sources)
        )
        name = "annotation-tool" if key == MAIN else f"annotation-tool-{key.replace('_', '-')}"
        write_dataset(
            folder,
            recs,
            name=name,
            provenance="real",
            origin=origin,
            license=LICENSE,
            citation=CITATION,
            description=descriptions[key],
            extra_provenance={
                "importer": IMPORTER,
                "sources": sources,
                "import_report": REPORT_JSON if key == MAIN else f"../{REPORT_JSON}",
            },
        )
        report.datasets[key] = {
            "path": rel,
            "name": name,
            "description": descriptions[key],
            "records": {t: len(v) for t, v in recs.items()},
        }
    write_text(out / REPORT_JSON, report.to_json())
    write_text(out / REPORT_MD, report.to_markdown())
