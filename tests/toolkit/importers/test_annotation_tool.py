"""``recenter import annotation-tool`` on synthetic files in the authors' format (invented content, written
into ``tmp_path``), one messy case each, so they run everywhere."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.toolkit.importers.synthetic import (
    GT,
    PROFILES,
    U1,
    U2,
    U9,
    annotation_line,
    assert_validates,
    exclusions_of,
    tree_bytes,
    write_jsonl,
    write_tool_files,
    written_judgments,
)
from toolkit.cli import main as cli_main
from toolkit.dataset import load_dataset
from toolkit.importers import PILOT_TASK2_DIR, PILOT_TASK3_DIR, REASONS, import_annotation_tool
from toolkit.importers.annotation_tool import REPORT_JSON, REPORT_MD, attribute_id, is_test_account


def test_main_dataset_from_profile_sources(tool_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = import_annotation_tool([tool_dir], out)
    assert report.ok
    ds = load_dataset(out)
    assert ds.provenance == "real"
    assert "do not redistribute" in ds.manifest["license"]
    assert "import_report.md" in ds.manifest["description"]
    assert {s["file"] for s in ds.manifest["provenance"]["sources"]} == {
        "task5_items.jsonl",
        "relevance_judge-x.jsonl",
        "generation_gt_attributes_judge-x.jsonl",
        "generation_no_context_judge-x.jsonl",
    }
    assert all(len(s["sha256"]) == 64 for s in ds.manifest["provenance"]["sources"])
    users = ds.frame("users")
    assert sorted(users["user_id"]) == sorted([U1, U2])
    assert set(ds.frame("prompts")["prompt_id"]) == {"lima-3", "lima-7"}
    attributes = ds.frame("attributes").set_index("attribute_id")
    assert len(attributes) == 5  # one per (user, text), though U1's profile appears in two pairs and 3 files
    a = attributes.loc[attribute_id(U1, "The user likes cooking.")]
    assert (
        a["text"] == "The user likes cooking."
        and a["confidence"] == 0.5
        and a["reason"] == "Invented reason 0."
    )
    assert [m["text"] for m in a["merged_from"]] == ["The user likes cooking.", "They likes cooking."]
    assert attribute_id(U1, "x").startswith(U1[:12] + "-")
    raters = ds.frame("raters").set_index("rater_id")
    assert raters.loc["judge-x", "kind"] == "llm" and raters.loc["judge-x", "model"] == "judge-x"
    assert (
        raters.loc["human-majority", "kind"] == "aggregate"
        and raters.loc["human-majority", "derived_from"] == ()
    )
    assert "human" not in set(raters["kind"])  # pilot annotators never enter the main dataset
    responses = ds.frame("responses").set_index("response_id")
    assert len(responses) == 6
    r = responses.loc[f"{U1}_3:gt_attributes:judge-x"]
    assert r["condition"] == "personalized" and r["generator"] == "judge-x" and r["prompt_id"] == "lima-3"
    assert responses.loc[f"{U1}_3:no_context:judge-x", "condition"] == "generic"
    assert responses["mentions_attributes"].isna().all() and responses["mentioned_attribute_ids"].isna().all()
    j = ds.frame("relevance_judgments")
    gt = j[j["rater_id"] == "human-majority"]
    assert len(gt) == sum(v is not None for v in GT.values())
    llm = j[j["rater_id"] == "judge-x"]
    assert len(llm) == 3 + 3 + 2 - 1  # one null label left out; the text in no profile too
    assert set(llm["raw_answer"]) == {"YES", "NO"}
    assert_validates(out)


def test_exclusions_are_reported_with_file_and_line(tool_dir: Path, tmp_path: Path) -> None:
    report = import_annotation_tool([tool_dir], tmp_path / "out")
    null_gt = [e for e in exclusions_of(report, "null_label") if e.file.startswith("generation_gt")]
    assert [(e.line, e.count) for e in null_gt] == [(1, 1)]
    assert null_gt[0].items == ["The user lives in a cold climate."]
    null_llm = [e for e in exclusions_of(report, "null_label") if e.file == "relevance_judge-x.jsonl"]
    assert [(e.line, e.count) for e in null_llm] == [(3, 1)]
    not_in = {(e.file, e.line) for e in exclusions_of(report, "attribute_not_in_profile")}
    assert not_in == {("relevance_judge-x.jsonl", 2), ("annotations_v0/alice_task3.jsonl", 2)}
    assert [(e.file, e.line, e.count) for e in exclusions_of(report, "test_account")] == [
        ("annotations_v0/admin_task3.jsonl", 1, 3)
    ]
    task1 = exclusions_of(report, "task1_unmatchable")
    assert [(e.file, e.line, e.count) for e in task1] == [
        ("annotations_v0/carol_task1.jsonl", 1, 3),
        ("annotations_v0/carol_task1.jsonl", 2, 3),
    ]
    assert REASONS["task1_unmatchable"].startswith(
        "points into a pilot item list (`index`) that is not in the sample"
    )
    assert [(e.file, e.line) for e in exclusions_of(report, "empty_record")] == [
        ("annotations_v0/alice_task3.jsonl", 4)
    ]
    assert [(e.file, e.line, e.count) for e in exclusions_of(report, "unrated")] == [
        ("annotations_v0/alice_task2.jsonl", 1, 1)
    ]
    for e in report.exclusions:
        assert e.file and e.line >= 1 and e.reason in REASONS and e.detail
    # the same, on disk, in both formats
    on_disk = json.loads((tmp_path / "out" / REPORT_JSON).read_text())
    assert on_disk["exclusions"] == [e.to_dict() for e in report.exclusions]
    assert on_disk["summary"]["exclusions_by_reason"]["task1_unmatchable"] == {"entries": 2, "items": 6}
    md = (tmp_path / "out" / REPORT_MD).read_text()
    assert "| annotations_v0/admin_task3.jsonl | 1 | test_account |" in md
    assert "README.md" in md  # the ignored non-JSONL file is named too


def test_duplicates_keep_the_latest_and_report_the_others(tool_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = import_annotation_tool([tool_dir], out)
    dups = exclusions_of(report, "duplicate_judgment")
    assert [(e.file, e.line, e.count) for e in dups] == [("annotations_v0/alice_task3.jsonl", 1, 3)]
    assert "alice_task3.jsonl:3" in dups[0].detail
    alice = {
        (j["user_id"], j["prompt_id"], j["attribute_id"]): j["relevant"]
        for j in written_judgments(out / PILOT_TASK3_DIR)
        if j["rater_id"] == "alice"
    }
    # line 3 (11:00) flipped 'poetry' to True; it wins over line 1 (10:00), though line order would agree here
    assert alice[(U1, "lima-3", attribute_id(U1, "The user writes poetry."))] is True
    assert alice[(U1, "lima-7", attribute_id(U1, "The user writes poetry."))] is True
    assert len(alice) == 3 + 1  # U1/3 once each; U1/7 minus the null label and the unknown text


def test_latest_by_timestamp_not_by_line(tmp_path: Path) -> None:
    root = write_tool_files(tmp_path / "tool")
    f = root / "annotations_v0" / "alice_task3.jsonl"
    lines = f.read_text().splitlines()
    lines[0], lines[2] = lines[2], lines[0]  # the latest judgment now comes first in the file
    f.write_text("\n".join(lines) + "\n")
    report = import_annotation_tool([root], tmp_path / "out")
    dups = exclusions_of(report, "duplicate_judgment")
    assert [(e.line, e.count) for e in dups] == [(3, 3)]
    alice = {
        j["attribute_id"]: j["relevant"]
        for j in written_judgments(tmp_path / "out" / PILOT_TASK3_DIR)
        if j["rater_id"] == "alice" and j["prompt_id"] == "lima-3"
    }
    assert alice[attribute_id(U1, "The user writes poetry.")] is True


def test_null_label_never_supersedes_a_judgment(tmp_path: Path) -> None:
    root = write_tool_files(tmp_path / "tool")
    later_null = annotation_line(
        "3", "bob", U1, 3, [{"attribute": PROFILES[U1][0], "relevant": None}], "2026-05-01T00:00:00"
    )
    with open(root / "annotations_v0" / "bob_task3.jsonl", "a") as fh:
        fh.write(json.dumps(later_null) + "\n")
    report = import_annotation_tool([root], tmp_path / "out")
    assert ("annotations_v0/bob_task3.jsonl", 3) in {
        (e.file, e.line) for e in exclusions_of(report, "null_label")
    }
    assert not [e for e in exclusions_of(report, "duplicate_judgment") if "bob" in e.file]
    bob = {
        j["attribute_id"]: j["relevant"]
        for j in written_judgments(tmp_path / "out" / PILOT_TASK3_DIR)
        if j["rater_id"] == "bob" and j["prompt_id"] == "lima-3"
    }
    assert bob[attribute_id(U1, PROFILES[U1][0])] is True


def test_task2_and_task3_are_separate_datasets(tool_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    import_annotation_tool([tool_dir], out)
    t3, t2 = load_dataset(out / PILOT_TASK3_DIR), load_dataset(out / PILOT_TASK2_DIR)
    assert "stage-2 design" in t3.manifest["description"]
    assert "different design" in t2.manifest["description"]
    assert t3.manifest["provenance"]["import_report"] == f"../{REPORT_JSON}"
    r3 = t3.frame("raters").set_index("rater_id")
    assert sorted(r3.index) == ["alice", "bob"] and set(r3["kind"]) == {"human"}
    r2 = t2.frame("raters").set_index("rater_id")
    assert sorted(r2.index) == ["alice", "selection-pipeline"]
    assert r2.loc["selection-pipeline", "kind"] == "baseline"
    j2 = t2.frame("relevance_judgments")
    alice2 = j2[j2["rater_id"] == "alice"].set_index("attribute_id")
    assert len(alice2) == 2  # the unrated item is left out
    cooking = attribute_id(U1, "The user likes cooking.")
    assert alice2.loc[cooking, "raw_answer"] == "necessary_implicit" and bool(alice2.loc[cooking, "relevant"])
    assert alice2.loc[attribute_id(U1, "The user lives in a cold climate."), "raw_answer"] == "forbidden"
    pipe = j2[j2["rater_id"] == "selection-pipeline"].set_index("attribute_id")
    assert bool(pipe.loc[cooking, "relevant"]) and pipe.loc[cooking, "score"] == 0.7
    assert len(pipe) == 2  # only items some annotator judged
    # the pilot user in no profile file: attributes from the judgments themselves, text only, and noted
    a3 = t3.frame("attributes").set_index("attribute_id")
    chess = a3.loc[attribute_id(U9, "The user plays chess.")]
    assert chess["user_id"] == U9 and pd.isna(chess["reason"]) and pd.isna(chess["confidence"])
    report = json.loads((out / REPORT_JSON).read_text())
    assert any(
        n["kind"] == "profile_from_judgments" and n["file"].endswith("bob_task3.jsonl")
        for n in report["notes"]
    )
    # known users keep their profile metadata in the pilot datasets too
    assert a3.loc[cooking, "confidence"] == 0.5
    assert_validates(out / PILOT_TASK3_DIR)
    assert_validates(out / PILOT_TASK2_DIR)


def test_import_is_deterministic_and_order_independent(tool_dir: Path, tmp_path: Path) -> None:
    import_annotation_tool([tool_dir], tmp_path / "a")
    files = sorted(p for p in tool_dir.rglob("*.jsonl"))
    import_annotation_tool([tool_dir / "annotations_v0", *reversed(files), tool_dir], tmp_path / "b")
    assert tree_bytes(tmp_path / "a") == tree_bytes(tmp_path / "b")


def test_ground_truth_conflict_between_generation_files(tmp_path: Path) -> None:
    root = write_tool_files(tmp_path / "tool")
    rows = [json.loads(x) for x in (root / "generation_gt_attributes_judge-x.jsonl").read_text().splitlines()]
    for r in rows:
        r["mode"] = "attributes"
        for a in r["profile_attributes"]:
            if a["attribute"] == "The user likes cooking." and r["prompt_id"].endswith("_3"):
                a["ground_truth"] = False  # disagrees with the gt_attributes file
    write_jsonl(root / "generation_attributes_judge-x.jsonl", rows)
    out = tmp_path / "out"
    report = import_annotation_tool([root], out)
    conflicts = exclusions_of(report, "conflict")
    assert {(e.file, e.line) for e in conflicts} == {
        ("generation_attributes_judge-x.jsonl", 1),
        ("generation_gt_attributes_judge-x.jsonl", 1),
    }
    gt = [j for j in written_judgments(out) if j["rater_id"] == "human-majority"]
    assert len(gt) == sum(v is not None for v in GT.values()) - 1
    assert any(n.kind == "repeated_identical" for n in report.notes)  # the agreeing ones are kept once
    assert len(load_dataset(out).frame("responses")) == 9


def test_bad_lines_and_unknown_files(tmp_path: Path) -> None:
    root = write_tool_files(tmp_path / "tool")
    with open(root / "relevance_judge-x.jsonl", "a") as fh:
        fh.write("{not json\n")
    write_jsonl(root / "notes.jsonl", [{"a": 1}])
    write_jsonl(
        root / "relevance_misnamed.jsonl",
        [{"user_id": U1, "prompt_index": 3, "relevance_judgments": [], "task": "3", "annotator": "x"}],
    )
    write_jsonl(root / "dave_task4.jsonl", [{"task": "4"}])
    report = import_annotation_tool([root, tmp_path / "missing.jsonl"], tmp_path / "out")
    assert not report.ok
    errors = {e["file"]: e["message"] for e in report.errors}
    assert "unrecognised file name" in errors["notes.jsonl"]
    assert "named like a relevance file" in errors["relevance_misnamed.jsonl"]
    assert "not supported" in errors["dave_task4.jsonl"]
    assert "no such file" in errors[str(tmp_path / "missing.jsonl")]
    assert [(e.file, e.line) for e in exclusions_of(report, "invalid_json")] == [
        ("relevance_judge-x.jsonl", 4)
    ]
    assert load_dataset(tmp_path / "out").has("relevance_judgments")  # the rest is still imported


def test_same_annotator_alias_and_extra_test_accounts(tool_dir: Path, tmp_path: Path) -> None:
    report = import_annotation_tool(
        [tool_dir], tmp_path / "out", annotator_aliases={"bob": "alice"}, test_accounts=["carol"]
    )
    dups = exclusions_of(report, "duplicate_judgment")
    # bob's U1/3 (03-18) is now alice's latest; alice's two earlier records are superseded
    assert {(e.file, e.line) for e in dups} == {
        ("annotations_v0/alice_task3.jsonl", 1),
        ("annotations_v0/alice_task3.jsonl", 3),
    }
    raters = load_dataset(tmp_path / "out" / PILOT_TASK3_DIR).frame("raters")
    assert list(raters["rater_id"]) == ["alice"]
    assert is_test_account("admin") and is_test_account("Test2") and is_test_account("carol", ["carol"])
    assert not is_test_account("Lechen2")


def test_reimport_removes_stale_pilots_and_refuses_foreign_datasets(tool_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    import_annotation_tool([tool_dir], out)
    assert (out / PILOT_TASK2_DIR / "manifest.json").exists()
    import_annotation_tool([tool_dir / "task5_items.jsonl"], out)
    assert not (out / PILOT_TASK2_DIR).exists() and not (out / PILOT_TASK3_DIR).exists()
    assert not (out / "relevance_judgments.jsonl").exists()
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "manifest.json").write_text(json.dumps({"name": "mine", "provenance": {"kind": "simulated"}}))
    with pytest.raises(ValueError, match="refusing to overwrite"):
        import_annotation_tool([tool_dir], foreign)


def test_cli_exit_codes(tool_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert (
        cli_main(
            [
                "import",
                "annotation-tool",
                str(tool_dir),
                "--out",
                str(out),
                "--report",
                str(tmp_path / "r.md"),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "pilot_task3" in printed and "task1_unmatchable" in printed
    assert (tmp_path / "r.md").read_text().startswith("# Import report")
    write_jsonl(tool_dir / "mystery.jsonl", [{"a": 1}])
    assert cli_main(["import", "annotation-tool", str(tool_dir), "--out", str(out), "-q"]) == 1
    assert "mystery.jsonl" in capsys.readouterr().err
    assert (
        cli_main(["import", "annotation-tool", str(tool_dir), "--out", str(out), "--same-annotator", "bob"])
        == 2
    )
    (tmp_path / "empty").mkdir()
    assert (
        cli_main(["import", "annotation-tool", str(tmp_path / "empty"), "--out", str(tmp_path / "o2")]) == 2
    )
    with pytest.raises(SystemExit) as exc:
        cli_main(["import", "annotation-tool", str(tool_dir)])  # --out is required
    assert exc.value.code == 2
