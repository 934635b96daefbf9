"""Synthetic files in the authors' annotation-tool format (invented content), and helpers shared by the
importer's tests."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from schemas import structure, unstructure
from toolkit.dataset import load_dataset

__all__ = [
    "GT",
    "PAIRS",
    "PROFILES",
    "PROMPTS",
    "U1",
    "U2",
    "U9",
    "annotation_line",
    "assert_validates",
    "exclusions_of",
    "written_judgments",
    "profile_entries",
    "tree_bytes",
    "write_jsonl",
    "write_tool_files",
]

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


def profile_entries(user: str, *, with_gt: int | None = None) -> list[dict]:
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


def write_jsonl(path: Path, rows: list) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def annotation_line(
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
    write_jsonl(
        root / "task5_items.jsonl",
        [
            {
                "prompt_index": p,
                "user_id": u,
                "profile_attributes": profile_entries(u),
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
    write_jsonl(root / "relevance_judge-x.jsonl", rel_rows)
    for mode in ("gt_attributes", "no_context"):
        write_jsonl(
            root / f"generation_{mode}_judge-x.jsonl",
            [
                {
                    "user_id": u,
                    "prompt_id": f"{u}_{p}",
                    "prompt_text": PROMPTS[p],
                    "profile_attributes": profile_entries(u, with_gt=p if mode == "gt_attributes" else None),
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
    write_jsonl(
        ann / "alice_task3.jsonl",
        [
            annotation_line("3", "alice", U1, 3, t3, "2026-03-17T10:00:00"),  # line 1: superseded
            annotation_line(
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
            annotation_line("3", "alice", U1, 3, t3_later, "2026-03-17T11:00:00"),  # line 3: the latest
            annotation_line("3", "alice", U2, 3, [], "2026-03-17T11:30:00", idx=2),  # line 4: empty record
        ],
    )
    write_jsonl(
        ann / "bob_task3.jsonl",
        [
            annotation_line(
                "3",
                "bob",
                U1,
                3,
                [{"attribute": t, "relevant": True} for t in PROFILES[U1]],
                "2026-03-18T09:00:00",
            ),
            annotation_line(
                "3",
                "bob",
                U9,
                7,
                [{"attribute": "The user plays chess.", "relevant": False}],
                "2026-03-18T09:10:00",
            ),
        ],
    )
    write_jsonl(
        ann / "admin_task3.jsonl",
        [
            annotation_line(
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
    write_jsonl(ann / "alice_task2.jsonl", [annotation_line("2", "alice", U1, 3, t2, "2026-03-17T09:00:00")])
    write_jsonl(
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


def exclusions_of(report, reason: str) -> list:
    return [e for e in report.exclusions if e.reason == reason]


def written_judgments(folder: Path) -> list[dict]:
    return [unstructure(r) for r in load_dataset(folder).records("relevance_judgments")]


def tree_bytes(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def assert_validates(folder: Path) -> None:
    """Every record structures under the schemas, and ``toolkit.validate`` finds no error."""
    ds = load_dataset(folder)
    for name in ds.record_types:
        for record in ds.records(name):
            assert structure(unstructure(record), name) == record
    from toolkit.validate import validate_path

    report = validate_path(folder)
    # Clean means no warnings either: report files and pilot sub-datasets are known to the validator.
    assert report.ok and not report.problems, [p.format() for p in report.problems]
