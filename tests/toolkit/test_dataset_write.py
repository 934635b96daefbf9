"""Data in: ``Dataset.from_frames`` and the checks of ``write_dataset`` (record type, index and field named; NaN
to null; ``schema_version`` filled)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from schemas import SCHEMA_VERSION
from toolkit.dataset import Dataset, RecordWriteError, load_dataset, write_dataset


def _raters() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rater_id": ["h1", "h2", "gpt"],
            "kind": ["human", "human", "llm"],
            "model": [None, None, "gpt-5"],  # pandas 3: a str column, None stored as NaN
        }
    )


def test_from_frames_writes_checked_records(tmp_path: Path) -> None:
    raters = _raters()
    assert raters["model"].isna().sum() == 2
    ds = Dataset.from_frames({"raters": raters}, tmp_path / "ds", name="demo")
    lines = [json.loads(x) for x in (tmp_path / "ds" / "raters.jsonl").read_text().splitlines()]
    assert [x["schema_version"] for x in lines] == [SCHEMA_VERSION] * 3
    assert "model" not in lines[0] and lines[2]["model"] == "gpt-5"  # null cells: absent fields
    assert ds.frame("raters")["rater_id"].tolist() == ["h1", "h2", "gpt"]
    assert ds.manifest["files"]["raters"]["records"] == 3


def test_frames_round_trip_through_from_frames(tmp_path: Path) -> None:
    sample = load_dataset()
    frames = {n: sample.frame(n) for n in ("raters", "users", "conversations", "attributes", "prompts")}
    ds = Dataset.from_frames(frames, tmp_path / "copy", name="copy", provenance="simulated", origin="test",
                             format="parquet")
    for name, frame in frames.items():
        pd.testing.assert_frame_equal(ds.frame(name), frame)


def test_a_bad_record_names_type_index_and_field_and_writes_nothing(tmp_path: Path) -> None:
    raters = _raters()
    raters.loc[1, "kind"] = "annotator"
    with pytest.raises(RecordWriteError) as info:
        Dataset.from_frames({"raters": raters}, tmp_path / "ds", name="demo")
    err = info.value
    assert (err.record_type, err.index, err.field) == ("raters", 1, "kind")
    assert "raters record 1: kind:" in str(err) and "annotator" in str(err)
    assert not (tmp_path / "ds").exists() and list(tmp_path.iterdir()) == []


def test_nan_in_a_required_number_is_named(tmp_path: Path) -> None:
    scores = pd.DataFrame({"response_id": ["r1", "r2"], "scorer_id": ["rm", "rm"], "value": [0.5, np.nan]})
    with pytest.raises(RecordWriteError, match=r"scores record 1: value"):
        Dataset.from_frames({"scores": scores}, tmp_path / "ds", name="demo")


def test_dicts_are_checked_too_and_attrs_records_pass(tmp_path: Path) -> None:
    from schemas import Rater, RaterKind

    with pytest.raises(RecordWriteError, match=r"raters record 2: rater_id"):
        write_dataset(tmp_path / "ds", {"raters": [Rater("a", RaterKind.HUMAN), {"rater_id": "b", "kind": "human"},
                                                    {"rater_id": " ", "kind": "human"}]},
                      name="x", provenance="real", origin="t")
    ds = write_dataset(tmp_path / "ds", {"raters": [Rater("a", RaterKind.HUMAN), {"rater_id": "b", "kind": "human"}]},
                       name="x", provenance="real", origin="t")
    assert [r.rater_id for r in ds.records("raters")] == ["a", "b"]
