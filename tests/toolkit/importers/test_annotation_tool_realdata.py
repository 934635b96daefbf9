"""``recenter import annotation-tool`` on the real sample in ``../shared/realdata`` (fixture ``realdata_dir``:
skipped when absent, a failure under ``RECENTER_REQUIRE_REALDATA=1``), checked against independently computed
facts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.toolkit.importers.synthetic import assert_validates, exclusions_of, tree_bytes
from toolkit.dataset import load_dataset
from toolkit.importers import PILOT_TASK2_DIR, PILOT_TASK3_DIR, import_annotation_tool


@pytest.mark.realdata
def test_real_import_counts_and_speed(real_import) -> None:
    out, report, seconds = real_import
    assert report.ok, report.errors
    assert seconds < 10
    ds = load_dataset(out)
    j = ds.frame("relevance_judgments")
    gt = j[j["rater_id"] == "human-majority"]
    assert len(gt) + 4 == 3973  # 3,969 labelled + 4 null, reported
    assert int(gt["relevant"].sum()) == 708 and int((~gt["relevant"]).sum()) == 3261
    null_gt = [
        e for e in exclusions_of(report, "null_label") if e.file == "generation_gt_attributes_gpt-5.4.jsonl"
    ]
    assert sum(e.count for e in null_gt) == 4 and all(e.line >= 1 for e in null_gt)
    assert (j["rater_id"] == "gpt-5.4").sum() == 3973
    assert len(ds.frame("users")) == 47 and len(ds.frame("prompts")) == 41
    assert len(ds.frame("attributes")) == 1140  # one per (user, text): profiles repeat across a user's pairs
    responses = ds.frame("responses")
    assert responses["condition"].value_counts().to_dict() == {"generic": 164, "personalized": 164}


@pytest.mark.realdata
def test_real_gpt54_against_the_human_majority(real_import) -> None:
    from toolkit.metrics import f1_score, positive_rate, precision, recall

    out, _, _ = real_import
    j = load_dataset(out).frame("relevance_judgments")
    key = ["user_id", "prompt_id", "attribute_id"]
    gt = j[j["rater_id"] == "human-majority"].set_index(key)["relevant"]
    gpt = j[j["rater_id"] == "gpt-5.4"].set_index(key)["relevant"]
    both = gt.to_frame("ref").join(gpt.rename("gpt"), how="inner")
    assert len(both) == 3969
    assert round(positive_rate(both["gpt"]), 3) == 0.438
    assert round(precision(both["ref"], both["gpt"]), 3) == 0.334
    assert round(recall(both["ref"], both["gpt"]), 3) == 0.819
    assert round(f1_score(both["ref"], both["gpt"]), 3) == 0.474


@pytest.mark.realdata
def test_real_import_is_deterministic_and_validates(real_import, realdata_dir: Path, tmp_path: Path) -> None:
    out, _, _ = real_import
    again = tmp_path / "again"
    import_annotation_tool([realdata_dir], again)
    assert tree_bytes(out) == tree_bytes(again)
    for folder in (out, out / PILOT_TASK3_DIR, out / PILOT_TASK2_DIR):
        assert_validates(folder)


@pytest.mark.realdata
def test_real_pilots_are_kept_apart(real_import) -> None:
    out, report, _ = real_import
    main_raters = set(load_dataset(out).frame("raters")["rater_id"])
    assert main_raters == {"gpt-5.4", "human-majority"}
    t3 = load_dataset(out / PILOT_TASK3_DIR)
    assert set(t3.frame("raters")["rater_id"]) == {"Jiarui", "Lechen", "Lechen2", "Tal", "Xiuzhu"}
    t2 = load_dataset(out / PILOT_TASK2_DIR)
    assert set(t2.frame("raters")["rater_id"]) == {
        "Jiarui",
        "Lechen",
        "Tal",
        "Xiuzhu",
        "Zhuguowang",
        "selection-pipeline",
    }
    # the pilots' user-prompt pairs are not the study's: nothing of theirs leaks into the main dataset
    main_pairs = set(
        map(tuple, load_dataset(out).frame("relevance_judgments")[["user_id", "prompt_id"]].values)
    )
    pilot_pairs = set(map(tuple, t3.frame("relevance_judgments")[["user_id", "prompt_id"]].values))
    assert pilot_pairs and not (main_pairs & pilot_pairs)
    shared = t3.frame("relevance_judgments").groupby("rater_id").size().to_dict()
    assert shared == {"Jiarui": 193, "Lechen": 193, "Lechen2": 193, "Tal": 41, "Xiuzhu": 193}
    notes = {n.kind for n in report.notes}
    assert {"converted_from_task2", "possible_same_annotator", "profile_from_judgments"} <= notes


@pytest.mark.realdata
def test_real_report_lists_every_messy_case(real_import, realdata_dir: Path, tmp_path: Path) -> None:
    _, report, _ = real_import
    admin = exclusions_of(report, "test_account")
    assert [(e.file, e.line, e.count) for e in admin] == [
        ("annotations_v0/admin_task3.jsonl", 1, 27),
        ("annotations_v0/admin_task3.jsonl", 2, 8),
    ]
    task1 = exclusions_of(report, "task1_unmatchable")
    assert len(task1) == 33 and {e.file.rsplit("_", 1)[1] for e in task1} == {"task1.jsonl"}
    assert all(e.line >= 1 for e in task1)
    unrated = exclusions_of(report, "unrated")
    assert sum(e.count for e in unrated) == 1188
    assert {e.file for e in unrated} == {
        "annotations_v0/Lechen_task2.jsonl",
        "annotations_v0/Tal_task2.jsonl",
    }
    assert not exclusions_of(report, "duplicate_judgment")  # none by annotator name in this sample ...
    # ... but 'Lechen2' judged the same 193 items as 'Lechen'; declared one person, the latest judgments win
    merged = import_annotation_tool(
        [realdata_dir], tmp_path / "merged", annotator_aliases={"Lechen2": "Lechen"}
    )
    dups = exclusions_of(merged, "duplicate_judgment")
    assert sum(e.count for e in dups) == 193
    assert {(e.file, e.line) for e in dups} == {
        ("annotations_v0/Lechen_task3.jsonl", n) for n in range(1, 11)
    }
