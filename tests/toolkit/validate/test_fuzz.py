"""A quick fuzzing campaign of the validator and the reader (``benchmarks/fuzz.py`` runs the big one).

Every file is checked for the campaign's invariants: no traceback, every non-blank line exactly once in the
valid or the rejected output, every accepted line equal to what the strict reference parser reads, the valid
output re-validating, no rejection the reference disagrees with (other than cross-record ones).
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.fuzz import (
    MUTATIONS,
    PARQUET_KINDS,
    Rejected,
    campaign,
    check_file,
    check_frame,
    check_parquet,
    container,
    make_file,
    new_tally,
    readable,
    reference,
    same,
    sample_records,
    violations,
)
from tests.schemas.strategies import RECORD_NAMES, record_dicts


def _problems(tally: dict[str, Any]) -> str:
    return json.dumps(tally["examples"][:5], indent=1, default=str)


def test_a_quick_campaign_keeps_every_invariant(tmp_path: Path) -> None:
    tally = campaign(4000, seed=11, per_file=250, work=tmp_path, frame_files=0)
    assert violations(tally) == 0, _problems(tally)
    assert tally["lines_written"] >= 4000 and tally["tracebacks"] == 0 and tally["lost"] == 0
    made = {kind for kind, c in tally["by_kind"].items() if c["made"]}
    assert made == set(MUTATIONS)
    # Both verdicts happen, and the byte-level and structure-level mutations are not all rejected trivially.
    assert tally["accepted"] > 300 and tally["rejected"] > 1000
    assert tally["by_kind"]["none"]["rejected"] == 0
    assert tally["by_kind"]["repeat_key"]["accepted"] == 0 and tally["by_kind"]["repeat_key"]["rejected"] > 0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data(), name=st.sampled_from(RECORD_NAMES), seed=st.integers(0, 2**32 - 1))
def test_hypothesis_records_through_the_mutations(tmp_path_factory: pytest.TempPathFactory, data: st.DataObject,
                                                  name: str, seed: int) -> None:
    records = data.draw(st.lists(record_dicts(name), min_size=1, max_size=6))
    try:
        [json.dumps(r, allow_nan=False) for r in records]
    except ValueError:
        return  # a value strict JSON cannot write (1e400 parsed as infinity) is no valid line
    sample_records()  # fills the "line of another record type" pool
    rng = random.Random(seed)
    lines, made = make_file(rng, records, name, 8, "h")
    content, gz, _ = container(rng, lines)
    work = tmp_path_factory.mktemp("fuzz")
    path = work / f"{name}.jsonl{'.gz' if gz else ''}"
    path.write_bytes(content)
    tally = new_tally()
    check_file(path, name, readable(content) if gz else content, dict(enumerate(made, start=1)), work, tally)
    assert violations(tally) == 0, _problems(tally)


@pytest.mark.parametrize(
    ("line", "why"),
    [
        (b'{"rater_id": "a", "kind": "human", "rater_id": "b", "schema_version": "1.0"}', "repeated key"),
        (b'{"rater_id": "a", "kind": "human", "x": NaN, "schema_version": "1.0"}', "NaN"),
        (b'{"rater_id": "\\ud800", "kind": "human", "schema_version": "1.0"}', "UnicodeEncodeError"),
        (b'{"rater_id": "a", "kind": "human", "schema_version": "1.0"}\xff', "UnicodeDecodeError"),
        (b'\xef\xbb\xbf{"rater_id": "a", "kind": "human", "schema_version": "1.0"}', "JSONDecodeError"),
        (b'{"user_id": "u", "prompt_id": "p", "attribute_id": "a", "rater_id": "h", "relevant": true, '
         b'"score": 1e400, "schema_version": "1.0"}', "overflows"),
    ],
)
def test_the_reference_parser_is_strict(line: bytes, why: str) -> None:
    name = "relevance_judgments" if b"relevant" in line else "raters"
    with pytest.raises(Rejected, match=why):
        reference(line, name, first=False)


def test_same_tells_types_apart() -> None:
    assert same(3, 3.0) and same(9007199254740993, 9007199254740992.0) and same([1, "a"], (1, "a"))
    assert not same(True, 1) and not same(1, True) and not same("1", 1) and not same(None, "") and not same(0.5, 1)


def test_one_defect_files_through_the_frame_reader_and_parquet(tmp_path: Path) -> None:
    kinds = tuple(MUTATIONS)  # byte-level ones included: invalid UTF-8 sends the file to the strict reader
    records = sample_records()
    rng = random.Random(3)
    tally = new_tally()
    for i, name in enumerate(sorted(records) * 3):
        check_frame(rng, records[name], name, tmp_path, f"f{i}", tally, kinds)
        check_parquet(rng, records[name], name, tmp_path, f"p{i}", tally, tuple(PARQUET_KINDS))
    assert violations(tally) == 0 and tally["altered"] == 0, _problems(tally)
    assert tally["frame_files"] == tally["parquet_files"] == 30


def test_the_frame_reader_rejects_invalid_utf8(tmp_path: Path) -> None:
    from toolkit.dataset import read_frame
    from toolkit.jsonl import DataError

    path = tmp_path / "users.jsonl"
    path.write_bytes(b'{"user_id":"u\xff1","source":"wildchat","origin":"human","schema_version":"1.0"}\n')
    with pytest.raises(DataError, match="invalid UTF-8"):
        read_frame(path, "users")


def test_parquet_with_a_repeated_column_is_rejected(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from toolkit.dataset import read_frame
    from toolkit.jsonl import DataError

    path = tmp_path / "users.parquet"
    columns = [pa.array(["u1"]), pa.array(["wildchat"]), pa.array(["human"]), pa.array(["1.0"]), pa.array(["u2"])]
    pq.write_table(pa.Table.from_arrays(
        columns, names=["user_id", "source", "origin", "schema_version", "user_id"]), path)
    with pytest.raises(DataError):
        read_frame(path, "users")


def test_the_frame_reader_survives_deep_nesting(tmp_path: Path) -> None:
    # A segmentation fault (C stack overflow in libarrow), so in a child process: it must end with DataError.
    import subprocess
    import sys

    path = tmp_path / "users.jsonl"
    deep = "[" * 20000 + "1" + "]" * 20000
    path.write_text(f'{{"user_id":"u1","source":"wildchat","origin":"human","schema_version":"1.0","x":{deep}}}\n')
    code = "import sys; from toolkit.dataset import read_frame; read_frame(sys.argv[1], 'users')"
    child = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120,
                           cwd=Path(__file__).resolve().parents[3])
    assert child.returncode == 1 and "nested too deeply" in child.stderr
