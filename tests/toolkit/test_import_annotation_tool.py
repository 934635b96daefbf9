"""``recenter import annotation-tool``: the authors' annotation-tool files -> canonical datasets.

Two groups of tests:

* synthetic files in the authors' format (invented content, written into ``tmp_path``), one messy case each,
  so they run everywhere;
* the real sample in ``../shared/realdata`` (fixture ``realdata_dir``: skipped when absent, a failure under
  ``RECENTER_REQUIRE_REALDATA=1``), checked against independently computed facts.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pandas as pd
import pytest

from schemas import structure, unstructure
from toolkit.cli import main as cli_main
from toolkit.dataset import load_dataset
from toolkit.importers import PILOT_TASK2_DIR, PILOT_TASK3_DIR, REASONS, import_annotation_tool
from toolkit.importers.annotation_tool import REPORT_JSON, REPORT_MD, attribute_id, is_test_account

# ------------------------------------------------------------------------------------------------------------
# Synthetic files in the authors' format (invented content)
# ------------------------------------------------------------------------------------------------------------

U1 = hashlib.sha256(b"synthetic-user-1").hexdigest()
U2 = hashlib.sha256(b"synthetic-user-2").hexdigest()
U9 = hashlib.sha256(b"synthetic-pilot-user").hexdigest()  # in no profile file
PROMPTS = {3: "How do I boil an egg?", 7: "Write a haiku about rain."}
PROFILES = {
    U1: ["The user likes cooking.", "The user writes poetry.", "The user lives in a cold climate."],
    U2: ["The user is a student.", "The user enjoys hiking."],
}
PAIRS = [(U1, 3), (U1, 7), (U2, 3)]
#: ground truth per (user, prompt, text); None = no majority
GT = {
    (U1, 3, "The user likes cooking."): True,
    (U1, 3, "The user writes poetry."): False,
    (U1, 3, "The user lives in a cold climate."): None,
    (U1, 7, "The user likes cooking."): False,
    (U1, 7, "The user writes poetry."): True,
    (U1, 7, "The user lives in a cold climate."): True,
    (U2, 3, "The user is a student."): False,
    (U2, 3, "The user enjoys hiking."): False,
}


def _profile(user: str, *, with_gt: int | None = None) -> list[dict]:
    out = []
    for i, text in enumerate(PROFILES[user]):
        a = {
            "attribute": text,
            "original_attributes": [text, text.replace("The user", "They")],
            "reason": f"Invented reason {i}.",
            "original_reasons": [f"Invented reason {i}.", "Another invented reason."],
            "confidence": 0.5 + i / 10,
            "original_confidences": [0.5, 0.6],
        }
        if with_gt is not None:
            a["ground_truth"] = GT[(user, with_gt, text)]
        out.append(a)
    return out


def _write_jsonl(path: Path, rows: list) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _ann(
    task: str, annotator: str, user: str, index: int, judgments: list[dict], ts: str, idx: int = 0
) -> dict:
    return {
        "task": task,
        "index": idx,
        "user_id": user,
        "prompt_index": index,
        "relevance_judgments": judgments,
        "note": "",
        "flagged": False,
        "annotator": annotator,
        "timestamp": ts,
    }


def write_tool_files(root: Path) -> Path:
    """A small annotation-tool folder with every messy case, content invented."""
    _write_jsonl(
        root / "task5_items.jsonl",
        [
            {
                "prompt_index": p,
                "user_id": u,
                "profile_attributes": _profile(u),
                "prompt_text": PROMPTS[p],
                "items": [{"attribute": PROFILES[u][0], "expected_behavior": "x", "relevance": 0.6}],
                "item_index": i,
            }
            for i, (u, p) in enumerate(PAIRS)
        ],
    )
    rel_rows = []
    for i, (u, p) in enumerate(PAIRS):
        items = [
            {
                "attribute": t,
                "relevant": (j % 2 == 0),
                "raw_answer": "YES" if j % 2 == 0 else "NO",
                "full_output": "invented explanation",
            }
            for j, t in enumerate(PROFILES[u])
        ]
        rel_rows.append(
            {"model": "judge-x", "sample_index": i, "prompt_index": p, "user_id": u, "items": items}
        )
    rel_rows[2]["items"][1]["relevant"] = None  # line 3: a null label
    rel_rows[2]["items"][1]["raw_answer"] = None
    rel_rows[1]["items"].append(
        {"attribute": "The user owns a boat.", "relevant": True, "raw_answer": "YES", "full_output": "?"}
    )  # line 2: a text in no profile
    _write_jsonl(root / "relevance_judge-x.jsonl", rel_rows)
    for mode in ("gt_attributes", "no_context"):
        _write_jsonl(
            root / f"generation_{mode}_judge-x.jsonl",
            [
                {
                    "user_id": u,
                    "prompt_id": f"{u}_{p}",
                    "prompt_text": PROMPTS[p],
                    "profile_attributes": _profile(u, with_gt=p if mode == "gt_attributes" else None),
                    "items": [],
                    "mode": mode,
                    "model": "judge-x",
                    "response": f"Invented {mode} response for {p}.",
                }
                for u, p in PAIRS
            ],
        )
    ann = root / "annotations_v0"
    t3 = [{"attribute": t, "relevant": t.endswith("cooking.")} for t in PROFILES[U1]]
    t3_later = [dict(j, relevant=not j["relevant"]) if j["attribute"].endswith("poetry.") else j for j in t3]
    _write_jsonl(
        ann / "alice_task3.jsonl",
        [
            _ann("3", "alice", U1, 3, t3, "2026-03-17T10:00:00"),  # line 1: superseded
            _ann(
                "3",
                "alice",
                U1,
                7,
                [
                    {"attribute": PROFILES[U1][0], "relevant": None},  # null label
                    {"attribute": PROFILES[U1][1], "relevant": True},
                    {"attribute": "The user owns a boat.", "relevant": True},
                ],  # not in profile
                "2026-03-17T10:05:00",
                idx=1,
            ),
            _ann("3", "alice", U1, 3, t3_later, "2026-03-17T11:00:00"),  # line 3: the latest
            _ann("3", "alice", U2, 3, [], "2026-03-17T11:30:00", idx=2),  # line 4: empty record
        ],
    )
    _write_jsonl(
        ann / "bob_task3.jsonl",
        [
            _ann(
                "3",
                "bob",
                U1,
                3,
                [{"attribute": t, "relevant": True} for t in PROFILES[U1]],
                "2026-03-18T09:00:00",
            ),
            _ann(
                "3",
                "bob",
                U9,
                7,
                [{"attribute": "The user plays chess.", "relevant": False}],
                "2026-03-18T09:10:00",
            ),
        ],
    )
    _write_jsonl(
        ann / "admin_task3.jsonl",
        [
            _ann(
                "3",
                "admin",
                U1,
                3,
                [{"attribute": t, "relevant": None} for t in PROFILES[U1]],
                "2026-04-06T08:00:00",
            ),
        ],
    )
    t2 = []
    for j, text in enumerate(PROFILES[U1]):
        was = j == 0
        rating = ["necessary_implicit", "none", "forbidden"][j]
        t2.append(
            {
                "attribute": text,
                "was_relevant": was,
                "default_rating": "none",
                "rating": rating,
                "is_relevant": rating == "necessary_implicit",
                "changed": rating != "none",
                "expected_behavior": "invented" if was else "",
                "relevance_score": 0.7 if was else None,
            }
        )
    _write_jsonl(ann / "alice_task2.jsonl", [_ann("2", "alice", U1, 3, t2, "2026-03-17T09:00:00")])
    _write_jsonl(
        ann / "carol_task1.jsonl",
        [
            {
                "task": "1",
                "index": k,
                "attr_judgments": [{"judgment": "ok", "note": ""}] * 3,
                "missing_attrs": "",
                "overall_note": "",
                "flagged": False,
                "annotator": "carol",
                "timestamp": "2026-03-17T08:00:00",
            }
            for k in range(2)
        ],
    )
    (root / "README.md").write_text("not data\n", encoding="utf-8")
    return root


@pytest.fixture
def tool_dir(tmp_path: Path) -> Path:
    return write_tool_files(tmp_path / "tool")


def _excl(report, reason: str) -> list:
    return [e for e in report.exclusions if e.reason == reason]


def _judgments(folder: Path) -> list[dict]:
    return [unstructure(r) for r in load_dataset(folder).records("relevance_judgments")]


def _tree_bytes(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _assert_validates(folder: Path) -> None:
    """Every record structures under the schemas, and ``toolkit.validate`` finds no error."""
    ds = load_dataset(folder)
    for name in ds.record_types:
        for record in ds.records(name):
            assert structure(unstructure(record), name) == record
    from toolkit.validate import validate_path

    report = validate_path(folder)
    # Clean means no warnings either: report files and pilot sub-datasets are known to the validator.
    assert report.ok and not report.problems, [p.format() for p in report.problems]


# ------------------------------------------------------------------------------------------------------------
# Synthetic tests
# ------------------------------------------------------------------------------------------------------------


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
    _assert_validates(out)


def test_exclusions_are_reported_with_file_and_line(tool_dir: Path, tmp_path: Path) -> None:
    report = import_annotation_tool([tool_dir], tmp_path / "out")
    null_gt = [e for e in _excl(report, "null_label") if e.file.startswith("generation_gt")]
    assert [(e.line, e.count) for e in null_gt] == [(1, 1)]
    assert null_gt[0].items == ["The user lives in a cold climate."]
    null_llm = [e for e in _excl(report, "null_label") if e.file == "relevance_judge-x.jsonl"]
    assert [(e.line, e.count) for e in null_llm] == [(3, 1)]
    not_in = {(e.file, e.line) for e in _excl(report, "attribute_not_in_profile")}
    assert not_in == {("relevance_judge-x.jsonl", 2), ("annotations_v0/alice_task3.jsonl", 2)}
    assert [(e.file, e.line, e.count) for e in _excl(report, "test_account")] == [
        ("annotations_v0/admin_task3.jsonl", 1, 3)
    ]
    task1 = _excl(report, "task1_unmatchable")
    assert [(e.file, e.line, e.count) for e in task1] == [
        ("annotations_v0/carol_task1.jsonl", 1, 3),
        ("annotations_v0/carol_task1.jsonl", 2, 3),
    ]
    assert REASONS["task1_unmatchable"].startswith(
        "points into a pilot item list (`index`) that is not in the sample"
    )
    assert [(e.file, e.line) for e in _excl(report, "empty_record")] == [
        ("annotations_v0/alice_task3.jsonl", 4)
    ]
    assert [(e.file, e.line, e.count) for e in _excl(report, "unrated")] == [
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
    dups = _excl(report, "duplicate_judgment")
    assert [(e.file, e.line, e.count) for e in dups] == [("annotations_v0/alice_task3.jsonl", 1, 3)]
    assert "alice_task3.jsonl:3" in dups[0].detail
    alice = {
        (j["user_id"], j["prompt_id"], j["attribute_id"]): j["relevant"]
        for j in _judgments(out / PILOT_TASK3_DIR)
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
    dups = _excl(report, "duplicate_judgment")
    assert [(e.line, e.count) for e in dups] == [(3, 3)]
    alice = {
        j["attribute_id"]: j["relevant"]
        for j in _judgments(tmp_path / "out" / PILOT_TASK3_DIR)
        if j["rater_id"] == "alice" and j["prompt_id"] == "lima-3"
    }
    assert alice[attribute_id(U1, "The user writes poetry.")] is True


def test_null_label_never_supersedes_a_judgment(tmp_path: Path) -> None:
    root = write_tool_files(tmp_path / "tool")
    later_null = _ann(
        "3", "bob", U1, 3, [{"attribute": PROFILES[U1][0], "relevant": None}], "2026-05-01T00:00:00"
    )
    with open(root / "annotations_v0" / "bob_task3.jsonl", "a") as fh:
        fh.write(json.dumps(later_null) + "\n")
    report = import_annotation_tool([root], tmp_path / "out")
    assert ("annotations_v0/bob_task3.jsonl", 3) in {(e.file, e.line) for e in _excl(report, "null_label")}
    assert not [e for e in _excl(report, "duplicate_judgment") if "bob" in e.file]
    bob = {
        j["attribute_id"]: j["relevant"]
        for j in _judgments(tmp_path / "out" / PILOT_TASK3_DIR)
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
    _assert_validates(out / PILOT_TASK3_DIR)
    _assert_validates(out / PILOT_TASK2_DIR)


def test_import_is_deterministic_and_order_independent(tool_dir: Path, tmp_path: Path) -> None:
    import_annotation_tool([tool_dir], tmp_path / "a")
    files = sorted(p for p in tool_dir.rglob("*.jsonl"))
    import_annotation_tool([tool_dir / "annotations_v0", *reversed(files), tool_dir], tmp_path / "b")
    assert _tree_bytes(tmp_path / "a") == _tree_bytes(tmp_path / "b")


def test_ground_truth_conflict_between_generation_files(tmp_path: Path) -> None:
    root = write_tool_files(tmp_path / "tool")
    rows = [json.loads(x) for x in (root / "generation_gt_attributes_judge-x.jsonl").read_text().splitlines()]
    for r in rows:
        r["mode"] = "attributes"
        for a in r["profile_attributes"]:
            if a["attribute"] == "The user likes cooking." and r["prompt_id"].endswith("_3"):
                a["ground_truth"] = False  # disagrees with the gt_attributes file
    _write_jsonl(root / "generation_attributes_judge-x.jsonl", rows)
    out = tmp_path / "out"
    report = import_annotation_tool([root], out)
    conflicts = _excl(report, "conflict")
    assert {(e.file, e.line) for e in conflicts} == {
        ("generation_attributes_judge-x.jsonl", 1),
        ("generation_gt_attributes_judge-x.jsonl", 1),
    }
    gt = [j for j in _judgments(out) if j["rater_id"] == "human-majority"]
    assert len(gt) == sum(v is not None for v in GT.values()) - 1
    assert any(n.kind == "repeated_identical" for n in report.notes)  # the agreeing ones are kept once
    assert len(load_dataset(out).frame("responses")) == 9


def test_bad_lines_and_unknown_files(tmp_path: Path) -> None:
    root = write_tool_files(tmp_path / "tool")
    with open(root / "relevance_judge-x.jsonl", "a") as fh:
        fh.write("{not json\n")
    _write_jsonl(root / "notes.jsonl", [{"a": 1}])
    _write_jsonl(
        root / "relevance_misnamed.jsonl",
        [{"user_id": U1, "prompt_index": 3, "relevance_judgments": [], "task": "3", "annotator": "x"}],
    )
    _write_jsonl(root / "dave_task4.jsonl", [{"task": "4"}])
    report = import_annotation_tool([root, tmp_path / "missing.jsonl"], tmp_path / "out")
    assert not report.ok
    errors = {e["file"]: e["message"] for e in report.errors}
    assert "unrecognised file name" in errors["notes.jsonl"]
    assert "named like a relevance file" in errors["relevance_misnamed.jsonl"]
    assert "not supported" in errors["dave_task4.jsonl"]
    assert "no such file" in errors[str(tmp_path / "missing.jsonl")]
    assert [(e.file, e.line) for e in _excl(report, "invalid_json")] == [("relevance_judge-x.jsonl", 4)]
    assert load_dataset(tmp_path / "out").has("relevance_judgments")  # the rest is still imported


def test_same_annotator_alias_and_extra_test_accounts(tool_dir: Path, tmp_path: Path) -> None:
    report = import_annotation_tool(
        [tool_dir], tmp_path / "out", annotator_aliases={"bob": "alice"}, test_accounts=["carol"]
    )
    dups = _excl(report, "duplicate_judgment")
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
    _write_jsonl(tool_dir / "mystery.jsonl", [{"a": 1}])
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


# ------------------------------------------------------------------------------------------------------------
# The real sample (../shared/realdata): facts computed independently of this importer
# ------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_import(realdata_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object, float]:
    out = tmp_path_factory.mktemp("realdata-import")
    start = time.perf_counter()
    report = import_annotation_tool([realdata_dir], out)
    return out, report, time.perf_counter() - start


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
    null_gt = [e for e in _excl(report, "null_label") if e.file == "generation_gt_attributes_gpt-5.4.jsonl"]
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
    assert _tree_bytes(out) == _tree_bytes(again)
    for folder in (out, out / PILOT_TASK3_DIR, out / PILOT_TASK2_DIR):
        _assert_validates(folder)


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
    admin = _excl(report, "test_account")
    assert [(e.file, e.line, e.count) for e in admin] == [
        ("annotations_v0/admin_task3.jsonl", 1, 27),
        ("annotations_v0/admin_task3.jsonl", 2, 8),
    ]
    task1 = _excl(report, "task1_unmatchable")
    assert len(task1) == 33 and {e.file.rsplit("_", 1)[1] for e in task1} == {"task1.jsonl"}
    assert all(e.line >= 1 for e in task1)
    unrated = _excl(report, "unrated")
    assert sum(e.count for e in unrated) == 1188
    assert {e.file for e in unrated} == {
        "annotations_v0/Lechen_task2.jsonl",
        "annotations_v0/Tal_task2.jsonl",
    }
    assert not _excl(report, "duplicate_judgment")  # none by annotator name in this sample ...
    # ... but 'Lechen2' judged the same 193 items as 'Lechen'; declared one person, the latest judgments win
    merged = import_annotation_tool(
        [realdata_dir], tmp_path / "merged", annotator_aliases={"Lechen2": "Lechen"}
    )
    dups = _excl(merged, "duplicate_judgment")
    assert sum(e.count for e in dups) == 193
    assert {(e.file, e.line) for e in dups} == {
        ("annotations_v0/Lechen_task3.jsonl", n) for n in range(1, 11)
    }
