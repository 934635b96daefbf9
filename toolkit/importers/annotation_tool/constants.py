"""Fixed names and values of the annotation-tool import: output layout, rater names, the tool's vocabularies,
and the exclusion reasons the report explains."""

from __future__ import annotations

__all__ = [
    "CITATION",
    "DATASET_DIRS",
    "DATASET_KINDS",
    "GENERIC_MODES",
    "HUMAN_MAJORITY",
    "IMPORTER",
    "KIND_ORDER",
    "LICENSE",
    "MAIN",
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
]

IMPORTER = "recenter import annotation-tool"
LICENSE = "unknown (authors' pre-release annotation tool; no licence stated) - do not redistribute"
CITATION = (
    "Zhang, Liu & August (2026). Re-Centering Humans in LLM Personalization. arXiv:2606.06614. "
    "Data: the authors' pre-release annotation tool, github.com/orange0629/personalize-annotation."
)
REPORT_JSON = "import_report.json"
REPORT_MD = "import_report.md"
PILOT_TASK2_DIR = "pilot_task2"
PILOT_TASK3_DIR = "pilot_task3"
MAIN = "main"
#: dataset key -> folder relative to ``out`` ("." for the main dataset)
DATASET_DIRS = {MAIN: ".", "pilot_task3": PILOT_TASK3_DIR, "pilot_task2": PILOT_TASK2_DIR}

HUMAN_MAJORITY = "human-majority"
PIPELINE_RATER = "selection-pipeline"
#: The paper's stage-2 pairs use real WildChat users; the files do not name the source.
USER_SOURCE = "wildchat"
PROMPT_SOURCE = "lima"

GENERIC_MODES = frozenset({"no_context"})
PERSONALIZED_MODES = frozenset({"gt_attributes", "attributes"})
#: task-2 ratings the tool maps to relevant (its own task-2 -> task-3 conversion uses the same sets)
TASK2_YES = frozenset({"necessary_explicit", "necessary_implicit", "optional"})
TASK2_NO = frozenset({"unnecessary", "forbidden"})
TASK2_UNRATED = frozenset({"", "none"})

#: Exclusion reason -> what it means (the report repeats these).
REASONS: dict[str, str] = {
    "invalid_json": "the line is not valid JSON (or not UTF-8, or an object repeats a key)",
    "malformed_record": "a required field is missing or has the wrong type",
    "invalid_value": "a value violates the canonical schema (e.g. a confidence outside [0, 1])",
    "task1_unmatchable": (
        "points into a pilot item list (`index`) that is not in the sample; cannot be matched to attributes"
    ),
    "test_account": "judgments by the annotation tool's admin/test account, not by an annotator",
    "empty_record": "the record holds no judgments",
    "null_label": "the label is null",
    "unrated": (
        "task-2 rating left at the default 'none' (changed=false): is_relevant=false there is the tool's "
        "default, not a judgment"
    ),
    "attribute_not_in_profile": "the attribute text appears in no imported profile of that user",
    "prompt_not_found": "no prompt text for this prompt_index in the imported files (import task5_items.jsonl)",
    "duplicate_judgment": "the same annotator judged the same item again later; the latest judgment is kept",
    "conflict": "several sources disagree about the same record; none of them is kept",
    "attribute_id_collision": "two different attribute texts of a user hash to the same attribute id",
}

#: The order in which source kinds are read (profile sources first: judgments are matched against them).
KIND_ORDER = (
    "task5_items",
    "generation",
    "relevance",
    "annotations_task3",
    "annotations_task2",
    "annotations_task1",
)

#: dataset -> the source kinds whose exclusions concern it
DATASET_KINDS = {
    MAIN: ("task5_items", "generation", "relevance"),
    "pilot_task3": ("annotations_task3",),
    "pilot_task2": ("annotations_task2",),
}
