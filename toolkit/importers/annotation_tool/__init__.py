"""Import the authors' pre-release annotation-tool files into canonical datasets.

The authors' annotation tool (``github.com/orange0629/personalize-annotation``) writes JSON Lines files whose
format is described in ``../shared/realdata/README.md``. :func:`import_annotation_tool` converts any mix of them:

==========================================  ====================================================================
file (recognised by name, checked by        becomes
content)
==========================================  ====================================================================
``task5_items.jsonl``                       users, prompts (LIMA), profile attributes (text, reason, confidence,
                                            merged originals) of the stage-2 user-prompt pairs
``relevance_<model>.jsonl``                 one LLM rater ``<model>``; one ``RelevanceJudgment`` per item, the
                                            model's ``YES``/``NO`` kept as ``raw_answer``
``generation_<mode>_<model>.jsonl``         ``no_context`` -> generic, ``gt_attributes``/``attributes`` ->
(also ``eval_results_task5_<mode>_<model>``) personalized ``Response``; its ``profile_attributes`` are a
                                            profile source too, and their ``ground_truth`` flags become
                                            judgments of the aggregate rater ``human-majority``
``<annotator>_task3.jsonl``                 pilot, full profiles (the paper's stage-2 design): dataset
                                            ``pilot_task3/``, one human rater per annotator
``<annotator>_task2.jsonl``                 pilot, verifying a pipeline-selected subset (a different design):
                                            dataset ``pilot_task2/``; the pipeline's own selection becomes the
                                            baseline rater ``selection-pipeline``
``<annotator>_task1.jsonl``                 nothing: every line points into a pilot item list that is not in
                                            the sample; each line is reported
==========================================  ====================================================================

Output layout of ``out``::

    out/                 the main dataset (stage-2 study pairs: LLM judges, human majority, responses)
    out/pilot_task3/     task-3 pilot annotations (own dataset: other pairs, other annotators)
    out/pilot_task2/     task-2 pilot annotations (own dataset: a different design, never mixed in)
    out/import_report.json, out/import_report.md

The pilot datasets are kept apart from the main one because their user-prompt pairs are not the 164 study
pairs, their annotators are the authors' team rather than the study's Prolific annotators, and most task-3
records are the tool's own conversion of the same annotator's task-2 records (note ``[converted from task2]``),
so mixing them into the study data would pool different designs and double-count judgments.

Matching rules (each exclusion is reported with file and line; nothing is dropped silently):

* Ids are derived from content: ``user_id`` as is; ``prompt_id = "lima-<prompt_index>"``;
  ``attribute_id = "<user_id[:12]>-<sha256(text)[:12]>"`` (one attribute per user and text, whatever file it
  comes from; collisions are checked); ``response_id = "<user_id>_<prompt_index>:<mode>:<model>"``.
* Profile sources are ``task5_items`` and the generation files. A judgment of a user with a known profile
  must name an attribute text of that profile (exact text, or equal after whitespace normalisation, which is
  noted); otherwise it is excluded as ``attribute_not_in_profile``. For a user no imported profile covers
  (the pilots' own item list is not in the sample) the judged attribute texts themselves define text-only
  attributes, and the report notes each such pair.
* Prompt texts come from the profile sources, keyed by ``prompt_index`` (the tool's shared LIMA index); a
  judgment whose ``prompt_index`` has no text in the imported files is excluded as ``prompt_not_found``.
* Human judgments: test accounts (the tool's ``admin`` and names such as ``test``/``demo``) are excluded;
  null labels are excluded; task-2 items whose rating was left at the default ``none`` are *unrated* (their
  ``is_relevant=false`` is the tool's default, not a judgment; the authors' own task-2 -> task-3 conversion
  skips them) and are excluded; then, when one annotator judged the same item more than once, the latest by
  ``timestamp`` is kept (ties: the later file/line) and the others are reported. A null or unrated entry
  never supersedes a real judgment.
* LLM judgments, responses and ground truth given more than once: identical copies are kept once (noted);
  disagreeing copies are all excluded as ``conflict``.

Modules (everything public is re-exported here):

* :mod:`.rows` - the tool's row formats as attrs classes, structured by the project's converter;
* :mod:`.ids` - ids derived from content, test-account names;
* :mod:`.sources` - finding, recognising and reading the files;
* :mod:`.profiles`, :mod:`.judgments` - reading each kind of file into an :class:`.state.ImportState`;
* :mod:`.assembly` - resolving repeated records, building the datasets;
* :mod:`.accounting`, :mod:`.report` - the import report;
* :mod:`.writing` - writing datasets and reports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from toolkit.importers.annotation_tool.accounting import DROPPED_FIELDS, MAPPED_FIELDS, finish_report
from toolkit.importers.annotation_tool.assembly import (
    assemble_main,
    assemble_pilot,
    note_possible_same_annotators,
)
from toolkit.importers.annotation_tool.constants import (
    CITATION,
    DATASET_DIRS,
    GENERIC_MODES,
    HUMAN_MAJORITY,
    IMPORTER,
    LICENSE,
    MAIN,
    PERSONALIZED_MODES,
    PILOT_TASK2_DIR,
    PILOT_TASK3_DIR,
    PIPELINE_RATER,
    PROMPT_SOURCE,
    REASONS,
    REPORT_JSON,
    REPORT_MD,
    TASK2_NO,
    TASK2_UNRATED,
    TASK2_YES,
    USER_SOURCE,
)
from toolkit.importers.annotation_tool.ids import attribute_id, is_test_account, prompt_id, response_id
from toolkit.importers.annotation_tool.judgments import read_relevance, read_task1, read_task23
from toolkit.importers.annotation_tool.profiles import read_generation, read_task5
from toolkit.importers.annotation_tool.report import Exclusion, ImportReport, Note, SourceReport
from toolkit.importers.annotation_tool.sources import Source, discover, read_source
from toolkit.importers.annotation_tool.state import ImportState
from toolkit.importers.annotation_tool.writing import check_target, write_import

__all__ = [
    "CITATION",
    "DATASET_DIRS",
    "DROPPED_FIELDS",
    "GENERIC_MODES",
    "HUMAN_MAJORITY",
    "IMPORTER",
    "LICENSE",
    "MAIN",
    "MAPPED_FIELDS",
    "PERSONALIZED_MODES",
    "PILOT_TASK2_DIR",
    "PILOT_TASK3_DIR",
    "PIPELINE_RATER",
    "PROMPT_SOURCE",
    "REASONS",
    "REPORT_JSON",
    "REPORT_MD",
    "TASK2_NO",
    "TASK2_UNRATED",
    "TASK2_YES",
    "USER_SOURCE",
    "Exclusion",
    "ImportReport",
    "Note",
    "SourceReport",
    "attribute_id",
    "import_annotation_tool",
    "is_test_account",
    "prompt_id",
    "response_id",
]


def _read(state: ImportState, src: Source) -> None:
    """Read one recognised source with the reader of its kind."""
    kind = src.kind
    if kind == "task5_items":
        read_task5(state, src)
    elif kind == "generation":
        read_generation(state, src)
    elif kind == "relevance":
        read_relevance(state, src)
    elif kind in ("annotations_task2", "annotations_task3"):
        read_task23(state, src, kind.removeprefix("annotations_task"))
    elif kind == "annotations_task1":
        read_task1(state, src)
    else:  # read_source accepts only the kinds above
        raise AssertionError(f"no reader for {kind!r}")


def _assemble(state: ImportState, sources: Sequence[str | Path]) -> dict[str, dict[str, list[Any]]]:
    """Discover and read the sources, assemble the datasets and finish the report."""
    found = discover(state, sources)
    readable = [s for s in found if read_source(state, s)]
    for src in readable:  # already in dependency order: profile sources first
        _read(state, src)
    note_possible_same_annotators(state)
    datasets: dict[str, dict[str, list[Any]]] = {}
    main = assemble_main(state)
    if main is not None:
        datasets[MAIN] = main
    for ds in ("pilot_task3", "pilot_task2"):
        got = assemble_pilot(state, ds)
        if got is not None:
            datasets[ds] = got
    finish_report(state, datasets, readable)
    return datasets


def import_annotation_tool(
    sources: Sequence[str | Path],
    out: str | Path,
    *,
    annotator_aliases: Mapping[str, str] | None = None,
    test_accounts: Sequence[str] = (),
) -> ImportReport:
    """Convert the authors' annotation-tool files into canonical datasets under ``out``.

    Parameters
    ----------
    sources : sequence of path-like
        Files and folders (folders are searched recursively for ``*.jsonl`` / ``*.jsonl.gz``, so
        ``annotations_v0/`` is found). The order does not matter: the output depends only on the files' content
        and names.
    out : path-like
        Output folder: the main dataset, ``pilot_task3/``, ``pilot_task2/`` (each only if it has records) and
        ``import_report.json`` / ``import_report.md``.
    annotator_aliases : mapping, optional
        ``{name in the files: annotator}`` for accounts known to be the same person (their repeated judgments
        are then resolved by timestamp like any other).
    test_accounts : sequence of str
        More annotator names to treat as test accounts (``admin``, ``test``, ``demo``, ... always are).

    Returns
    -------
    ImportReport
        ``.ok`` is False when a source could not be read or recognised (it is then listed in ``.errors``; the
        other sources are still imported). Exclusions never make it False.

    Raises
    ------
    ValueError
        When a target folder holds a dataset this importer did not write.
    """
    out = Path(out)
    for rel in DATASET_DIRS.values():
        check_target(out / rel)
    state = ImportState.start(out, annotator_aliases or {}, test_accounts)
    datasets = _assemble(state, sources)
    out.mkdir(parents=True, exist_ok=True)
    write_import(out, datasets, state.report, state.order)
    return state.report
