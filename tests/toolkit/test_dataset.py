"""Dataset folders: write, load, stream, frames, gzip, manifest."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import attrs
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import toolkit
from schemas import (
    RECORD_TYPES,
    SCHEMA_VERSION,
    Attribute,
    Condition,
    Origin,
    Prompt,
    Rater,
    RaterKind,
    RelevanceJudgment,
    Response,
    User,
    unstructure,
)
from tests.schemas.strategies import records
from toolkit.dataset import (
    MANIFEST,
    Dataset,
    MissingRecordsError,
    file_sha256,
    find_record_file,
    load_dataset,
    write_dataset,
)
from toolkit.jsonl import DataError, read_dicts
from toolkit.layout import record_file_name, record_type_of
from toolkit.simulate import SimulationConfig, simulate
from toolkit.validate import validate_path

RATERS = [
    Rater("h1", RaterKind.HUMAN),
    Rater("gpt", RaterKind.LLM, model="gpt-5.4"),
    Rater("maj", RaterKind.AGGREGATE, derived_from=("h1",)),
]
USERS = [User("u1", "wildchat", Origin.HUMAN), User("u2", "cupid", Origin.SYNTHETIC)]
ATTRIBUTES = [Attribute("a1", "u1", "The user writes poetry.", confidence=0.9, evidence=("I love haiku",))]
PROMPTS = [Prompt("p1", "Write a haiku about rain.", "lima")]
JUDGMENTS = [
    RelevanceJudgment("u1", "p1", "a1", "h1", True, score=0.5, raw_answer="YES"),
    RelevanceJudgment("u1", "p1", "a1", "gpt", False),
]


def _write(folder: Path, compress: bool = False, **extra) -> Dataset:
    return write_dataset(
        folder,
        {
            "raters": RATERS, "users": USERS, "attributes": ATTRIBUTES, "prompts": PROMPTS,
            "relevance_judgments": iter(JUDGMENTS),
        },
        name="tiny",
        provenance="simulated",
        origin="tests",
        license="CC-BY-4.0",
        compress=compress,
        **extra,
    )


@pytest.mark.parametrize("compress", [False, True])
def test_write_then_load_round_trip(tmp_path: Path, compress: bool) -> None:
    ds = _write(tmp_path / "ds", compress=compress, extra_provenance={"seed": 7})
    assert ds.record_types == ("raters", "users", "attributes", "prompts", "relevance_judgments")
    assert list(ds.records("raters")) == RATERS
    assert list(ds.records("attributes")) == ATTRIBUTES
    assert list(ds.records("relevance_judgments")) == JUDGMENTS
    assert ds.name == "tiny" and ds.provenance == "simulated" and ds.is_simulated
    m = ds.manifest
    assert m["schema_version"] == SCHEMA_VERSION and m["toolkit_version"] == toolkit.__version__
    assert m["provenance"] == {"kind": "simulated", "origin": "tests", "seed": 7}
    suffix = ".jsonl.gz" if compress else ".jsonl"
    for name, count in (("raters", 3), ("users", 2), ("attributes", 1), ("prompts", 1), ("relevance_judgments", 2)):
        entry = m["files"][name]
        assert entry["path"] == f"{name}{suffix}" and entry["records"] == count
        assert entry["sha256"] == file_sha256(ds.path / entry["path"])
    if compress:
        with gzip.open(ds.path / "users.jsonl.gz", "rt", encoding="utf-8") as fh:
            assert json.loads(fh.readline())["user_id"] == "u1"


@pytest.mark.parametrize("compress", [False, True])
def test_written_dataset_validates_clean(tmp_path: Path, compress: bool) -> None:
    _write(tmp_path / "ds", compress=compress)
    report = validate_path(tmp_path / "ds")
    assert report.problems == [] and report.omitted == {} and report.ok
    assert report.records == 9 and all(s.rejected == 0 for s in report.files.values())


def test_output_is_deterministic(tmp_path: Path) -> None:
    for compress in (False, True):
        a = _write(tmp_path / f"a{compress}", compress=compress)
        b = _write(tmp_path / f"b{compress}", compress=compress)
        assert a.manifest["files"] == b.manifest["files"]
        assert a.manifest_sha256 == b.manifest_sha256


def test_rewrite_removes_stale_record_files(tmp_path: Path) -> None:
    _write(tmp_path / "ds")
    ds = write_dataset(tmp_path / "ds", {"users": USERS}, name="x", provenance="real", origin="o", compress=True)
    assert ds.record_types == ("users",)
    assert sorted(p.name for p in ds.path.iterdir()) == [MANIFEST, "users.jsonl.gz"]
    assert ds.provenance == "real" and not ds.is_simulated


def test_frame_is_tidy(tmp_path: Path) -> None:
    ds = _write(tmp_path / "ds")
    frame = ds.frame("relevance_judgments")
    assert list(frame.columns) == ["user_id", "prompt_id", "attribute_id", "rater_id", "relevant", "score", "raw_answer", "grade"]
    assert len(frame) == 2
    assert frame["relevant"].tolist() == [True, False]
    assert frame["score"].iloc[0] == 0.5 and pd.isna(frame["score"].iloc[1])
    raters = ds.frame("raters")
    assert raters["kind"].tolist() == ["human", "llm", "aggregate"]  # enums as their values
    assert raters["derived_from"].tolist() == [(), (), ("h1",)]  # lists as tuples
    assert ds.frame("raters") is raters  # cached


def test_responses_frame_keeps_optional_tuples(tmp_path: Path) -> None:
    responses = [
        Response("r1", "u1", "p1", "gpt", Condition.GENERIC, "text"),
        Response("r2", "u1", "p1", "gpt", Condition.PERSONALIZED, "text", True, ("a1", "a2")),
    ]
    ds = write_dataset(tmp_path / "ds", {"responses": responses}, name="r", provenance="simulated", origin="t")
    frame = ds.frame("responses")
    assert frame["condition"].tolist() == ["generic", "personalized"]
    assert frame["mentioned_attribute_ids"].tolist() == [None, ("a1", "a2")]


def test_require_and_missing_records(tmp_path: Path) -> None:
    ds = _write(tmp_path / "ds")
    assert ds.has("raters", "users") and not ds.has("responses")
    ds.require("raters")
    with pytest.raises(MissingRecordsError) as info:
        ds.require("responses", "scores", purpose="Table 6")
    assert info.value.missing == ["responses", "scores"]
    assert "Table 6 needs responses.jsonl, scores.jsonl" in str(info.value)
    with pytest.raises(MissingRecordsError):
        ds.file("scores")


def test_record_file_names() -> None:
    # One naming rule for the writer, the reader and the validator (toolkit.layout).
    assert record_file_name("users") == "users.jsonl" and record_file_name("users", compress=True) == "users.jsonl.gz"
    assert record_type_of("users.jsonl") == record_type_of("users.jsonl.gz") == "users"
    assert record_type_of("judgments.jsonl") == "judgments"  # a name, known type or not
    assert record_type_of("manifest.json") is None and record_type_of("users.json.gz") is None


def test_plain_and_gzip_of_one_type_is_an_error(tmp_path: Path) -> None:
    ds = _write(tmp_path / "ds")
    (ds.path / "users.jsonl.gz").write_bytes(gzip.compress(b""))
    with pytest.raises(DataError, match="both users.jsonl and users.jsonl.gz exist"):
        find_record_file(ds.path, "users")


def test_load_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not a directory"):
        load_dataset(tmp_path / "nope")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / MANIFEST).write_text("{", encoding="utf-8")
    with pytest.raises(DataError, match="invalid JSON"):
        load_dataset(tmp_path / "bad")
    (tmp_path / "bad" / MANIFEST).write_text("[]", encoding="utf-8")
    with pytest.raises(DataError, match="must be a JSON object"):
        load_dataset(tmp_path / "bad")


def test_no_manifest_still_loads_and_fingerprints(tmp_path: Path) -> None:
    ds = _write(tmp_path / "ds")
    (ds.path / MANIFEST).unlink()
    bare = load_dataset(ds.path)
    assert bare.manifest == {} and bare.provenance == "unknown" and bare.name == "ds"
    assert list(bare.records("users")) == USERS
    assert len(bare.manifest_sha256) == 64


def test_write_rejects_unknown_types_and_provenance(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="provenance"):
        write_dataset(tmp_path, {}, name="x", provenance="synthetic", origin="o")
    with pytest.raises(ValueError, match="unknown record types"):
        write_dataset(tmp_path, {"judgments": []}, name="x", provenance="real", origin="o")


def test_strict_reading_stops_at_the_first_bad_line(tmp_path: Path) -> None:
    ds = _write(tmp_path / "ds")
    with open(ds.path / "users.jsonl", "a", encoding="utf-8") as fh:
        fh.write('{"user_id": "u3", "source": "x", "origin": "robot", "schema_version": "1.0"}\n')
    with pytest.raises(DataError) as info:
        list(ds.records("users"))
    assert str(info.value) == (
        f"{ds.path / 'users.jsonl'}:3: origin: must be one of 'human', 'synthetic', got 'robot'"
    )
    assert [n for n, _ in read_dicts(ds.path / "users.jsonl")] == [1, 2, 3]


@given(st.lists(records("users"), max_size=5), st.lists(records("prompts"), max_size=5), st.booleans())
def test_round_trip_property(tmp_path_factory: pytest.TempPathFactory, users, prompts, compress) -> None:
    folder = tmp_path_factory.mktemp("ds")
    ds = write_dataset(folder, {"users": users, "prompts": prompts}, name="p", provenance="simulated",
                       origin="hypothesis", compress=compress)
    assert list(ds.records("users")) == users
    assert list(ds.records("prompts")) == prompts
    assert ds.frame("users").to_dict("records") == [
        {k: v for k, v in unstructure(u).items() if k != "schema_version"} for u in users
    ]
    assert ds.manifest["files"]["users"]["records"] == len(users)


def test_frame_fast_path_equals_strict_records(tmp_path, monkeypatch) -> None:
    """Dataset.frame (checker fast path + frame cache) holds exactly what the strict record reader gives."""
    monkeypatch.setenv("RECENTER_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "sim"
    simulate(SimulationConfig.small(), seed=3).write(folder)
    for attempt in ("cold", "cached"):
        ds = load_dataset(folder)
        for name in ds.record_types:
            frame = ds.frame(name)
            columns = [f.name for f in attrs.fields(RECORD_TYPES[name].cls) if f.name != "schema_version"]
            assert list(frame.columns) == columns, (attempt, name)
            strict = [unstructure(r) for r in ds.records(name)]
            assert len(frame) == len(strict), (attempt, name)
            for row, record in zip(frame.itertuples(index=False), strict, strict=True):
                for column, value in zip(columns, row, strict=True):
                    expected = record[column]
                    if isinstance(expected, list):
                        expected = _tuplify_nested(expected)
                    if expected is None:
                        assert value is None or value != value, (attempt, name, column)  # None or NaN
                    else:
                        assert value == expected, (attempt, name, column)
    assert any((tmp_path / "cache" / "frames").iterdir())


def _tuplify_nested(value):
    return tuple(_tuplify_nested(v) for v in value) if isinstance(value, list) else value


def test_frame_reports_bad_line_with_file_and_line(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("RECENTER_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "d").mkdir()
    good = '{"prompt_id":"p1","text":"Hi","source":"lima","schema_version":"1.0"}'
    bad = '{"prompt_id":"p2","text":"","source":"lima","schema_version":"1.0"}'
    (tmp_path / "d" / "prompts.jsonl").write_text(good + "\n" + bad + "\n")
    with pytest.raises(DataError, match=r"prompts.jsonl:2: text: must be a non-empty string"):
        load_dataset(tmp_path / "d").frame("prompts")
