"""Reading through Arrow (JSONL and Parquet) gives exactly the strict line reader's frames; anything Arrow cannot
prove valid goes to the strict reader; ``recenter convert`` and ``recenter init``."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest

from schemas import SCHEMA_VERSION
from toolkit.arrow_records import checked_table, field_specs, read_json_table
from toolkit.dataset import Dataset, _strict_frame, load_dataset, read_frame
from toolkit.dataset_cli import CONVERT, INIT, convert_dataset, init_dataset
from toolkit.jsonl import DataError
from toolkit.parquet import write_parquet_rows
from toolkit.records_out import frame_records
from toolkit.validate import validate_path

V = "1.0"
RJ = "relevance_judgments"


@pytest.fixture(scope="module")
def sample() -> tuple[Dataset, dict[str, pd.DataFrame]]:
    ds = load_dataset()
    return ds, {n: _strict_frame(ds.file(n), n, ds.default_version) for n in ds.record_types}


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert a.dtypes.tolist() == b.dtypes.tolist()


def test_arrow_frames_equal_strict_frames_for_every_record_type(sample, tmp_path: Path) -> None:
    ds, strict = sample
    for name, expected in strict.items():
        _same(read_frame(ds.file(name), name, ds.default_version), expected)
        pq = tmp_path / f"{name}.parquet"
        write_parquet_rows(pq, ({**r, "schema_version": SCHEMA_VERSION} for r in frame_records(expected)))
        _same(read_frame(pq, name, ds.default_version), expected)


def test_the_relevance_file_takes_the_arrow_path(sample) -> None:
    ds, _ = sample
    table = read_json_table(ds.file(RJ))
    assert table is not None and checked_table(table, RJ, ds.default_version) is not None


def _line(**over) -> dict:
    base = {"user_id": "u1", "prompt_id": "p1", "attribute_id": "a1", "rater_id": "h1", "relevant": True,
            "schema_version": V}
    base.update(over)
    return {k: v for k, v in base.items() if v is not ...}


GOOD = [json.dumps(_line(attribute_id=f"a{i}", relevant=i % 2 == 0)) for i in range(6)]
MUTATIONS = {
    "duplicate key": '{"user_id":"ghost","user_id":"u1","prompt_id":"p1","attribute_id":"a9","rater_id":"h1","relevant":true,"schema_version":"1.0"}',
    "two objects": GOOD[0] + " " + GOOD[1],
    "NaN": json.dumps(_line(score=1.0)).replace("1.0}", "NaN}").replace('"score": 1.0', '"score": NaN'),
    "Infinity": json.dumps(_line(score=1.0)).replace('"score": 1.0', '"score": Infinity'),
    "0/1 for a boolean": json.dumps(_line(relevant=1)),
    "string for a number": json.dumps(_line(score="0.5")),
    "unknown field": json.dumps(_line(extra=1)),
    "missing field": json.dumps(_line(rater_id=...)),
    "null id": json.dumps(_line(rater_id=None)),
    "unicode space id": json.dumps(_line(rater_id="\x1c")),
    "empty id": json.dumps(_line(rater_id="")),
    "grade contradicts": json.dumps(_line(relevant=True, grade=0, schema_version=SCHEMA_VERSION)),
    "newer version": json.dumps(_line(schema_version="9.0")),
    "blank line": "   ",
    "raw tab in string": json.dumps(_line(raw_answer="a")).replace('"a"', '"a\tb"'),
    "not an object": "[1, 2]",
    "huge int": json.dumps(_line(score=10**30)),
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
@pytest.mark.parametrize("compress", [False, True])
def test_a_mutated_file_reads_as_the_strict_reader_reads_it(tmp_path: Path, mutation: str, compress: bool) -> None:
    lines = [*GOOD[:3], MUTATIONS[mutation], *GOOD[3:]]
    data = ("\n".join(lines) + "\n").encode("utf-8")
    path = tmp_path / (f"{RJ}.jsonl.gz" if compress else f"{RJ}.jsonl")
    path.write_bytes(gzip.compress(data) if compress else data)
    try:
        expected = _strict_frame(path, RJ, None)
    except DataError as exc:
        with pytest.raises(DataError) as info:
            read_frame(path, RJ, None)
        assert str(info.value) == str(exc)
    else:
        _same(read_frame(path, RJ, None), expected)


def test_records_without_schema_version_take_the_manifest_version(tmp_path: Path) -> None:
    folder = tmp_path / "study"
    init_dataset(folder)
    lines = [json.dumps(_line(attribute_id=f"a{i}", schema_version=...)) for i in range(3)]
    (folder / f"{RJ}.jsonl").write_text("\n".join(lines) + "\n")
    ds = load_dataset(folder)
    assert ds.default_version == SCHEMA_VERSION
    assert list(ds.frame(RJ)["attribute_id"]) == ["a0", "a1", "a2"]
    assert [r.attribute_id for r in ds.records(RJ)] == ["a0", "a1", "a2"]


def test_without_a_manifest_one_error_says_what_to_add(tmp_path: Path) -> None:
    folder = tmp_path / "study"
    folder.mkdir()
    lines = [json.dumps(_line(attribute_id=f"a{i}", schema_version=...)) for i in range(50)]
    (folder / f"{RJ}.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match="manifest.json") as info:
        load_dataset(folder).frame(RJ)
    assert info.value.line == 1 and info.value.field == "schema_version"
    assert "recenter init" in str(info.value)


def test_convert_round_trip_gives_identical_frames(sample, tmp_path: Path) -> None:
    ds, strict = sample
    small = tmp_path / "small"
    names = ("raters", "users", "conversations", "attributes", "prompts", "responses", "scores")
    Dataset.from_frames({n: strict[n] for n in names}, small, name="small", provenance="simulated", origin="t")
    pq = convert_dataset(small, tmp_path / "pq", to="parquet")
    back = convert_dataset(pq.path, tmp_path / "back", to="jsonl", compress=True)
    assert sorted(p.name for p in pq.path.iterdir()) == sorted([*(f"{n}.parquet" for n in names), "manifest.json"])
    for name in names:
        _same(pq.frame(name), strict[name])
        _same(back.frame(name), strict[name])
    manifest = json.loads((pq.path / "manifest.json").read_text())
    assert manifest["name"] == "small" and manifest["provenance"]["kind"] == "simulated"
    from toolkit.dataset import file_sha256

    assert all(file_sha256(pq.path / f["path"]) == f["sha256"] for f in manifest["files"].values())
    assert validate_path(back.path).ok


def test_cli_entry_points(tmp_path: Path, capsys) -> None:
    import argparse

    parser = argparse.ArgumentParser()
    INIT.add_arguments(parser)
    assert INIT.run(parser.parse_args([str(tmp_path / "new")])) == 0
    assert json.loads((tmp_path / "new" / "manifest.json").read_text())["files"] == {}
    assert INIT.run(parser.parse_args([str(tmp_path / "new")])) == 2  # never overwrites
    (tmp_path / "new" / "raters.jsonl").write_text('{"rater_id":"h1","kind":"human"}\n')
    parser = argparse.ArgumentParser()
    CONVERT.add_arguments(parser)
    assert CONVERT.run(parser.parse_args([str(tmp_path / "new"), str(tmp_path / "out"), "--to", "parquet"])) == 0
    assert load_dataset(tmp_path / "out").frame("raters")["rater_id"].tolist() == ["h1"]


def test_field_specs_cover_the_big_record_types() -> None:
    assert field_specs(RJ) is not None
    assert field_specs("extraction_judgments") is not None


def test_arrow_parses_numbers_exactly_as_python(tmp_path: Path) -> None:
    """Scores read through Arrow are the doubles Python's json gives (correctly rounded), bit for bit."""
    import random
    import struct

    rng = random.Random(5)
    values = [struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0] for _ in range(1500)]
    texts = [json.dumps(v) for v in values if v == v and abs(v) != float("inf")]
    texts += [f"{rng.randint(1, 10**18)}e{rng.randint(-300, 290)}" for _ in range(1000)]
    lines = [
        f'{{"user_id":"u","prompt_id":"p","attribute_id":"a{i}","rater_id":"h","relevant":true,"score":{t},'
        f'"schema_version":"{V}"}}'
        for i, t in enumerate(texts)
    ]
    path = tmp_path / f"{RJ}.jsonl"
    path.write_text("\n".join(lines) + "\n")
    table = read_json_table(path)
    assert table is not None and checked_table(table, RJ, None) is not None
    _same(read_frame(path, RJ, None), _strict_frame(path, RJ, None))


def test_convert_to_an_unwritable_destination_exits_74(tmp_path: Path, monkeypatch, capsys) -> None:
    import argparse
    import errno
    import tempfile

    init_dataset(tmp_path / "src")
    (tmp_path / "src" / "raters.jsonl").write_text('{"rater_id":"h1","kind":"human"}\n')

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(tempfile, "mkdtemp", read_only)
    parser = argparse.ArgumentParser()
    CONVERT.add_arguments(parser)
    assert CONVERT.run(parser.parse_args([str(tmp_path / "src"), str(tmp_path / "out"), "--to", "parquet"])) == 74
    err = capsys.readouterr().err
    assert f"cannot write {tmp_path / 'out'}: Read-only file system" in err
    assert not (tmp_path / "out").exists()


def test_cross_field_rules_are_checked_on_the_arrow_path(tmp_path: Path) -> None:
    """ExtractionJudgment: a failure mode only when the label is not 'accepted' (an attrs method validator)."""
    def line(i: int, label: str, mode: str | None) -> str:
        return json.dumps({"attribute_id": f"a{i}", "rater_id": "h1", "label": label, "failure_mode": mode,
                           "schema_version": V})

    good = [line(0, "accepted", None), line(1, "rejected", "other"), line(2, "uncertain", "not_standalone")]
    path = tmp_path / "extraction_judgments.jsonl"
    path.write_text("\n".join(good) + "\n")
    assert checked_table(read_json_table(path), "extraction_judgments", None) is not None
    _same(read_frame(path, "extraction_judgments", None), _strict_frame(path, "extraction_judgments", None))
    path.write_text("\n".join([*good, line(3, "accepted", "other")]) + "\n")
    assert checked_table(read_json_table(path), "extraction_judgments", None) is None
    with pytest.raises(DataError, match=r"extraction_judgments.jsonl:4: failure_mode: must be null"):
        read_frame(path, "extraction_judgments", None)


def test_parquet_errors_name_the_row(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / f"{RJ}.parquet"
    rows = [_line(relevant="true"), _line(attribute_id="a2", relevant="yes")]  # strings, not booleans
    pq.write_table(pa.Table.from_pylist(rows), path)
    with pytest.raises(DataError, match=rf"{RJ}.parquet:1: relevant"):
        read_frame(path, RJ, None)
    path.write_bytes(b"PAR1 not really")
    with pytest.raises(DataError, match="not a readable Parquet file"):
        read_frame(path, RJ, None)


def test_parquet_pages_are_checksummed_and_verified(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    path = tmp_path / "users.parquet"
    rows = [{"user_id": f"u{i:04d}", "source": "wildchat", "origin": "human", "schema_version": V}
            for i in range(2000)]
    write_parquet_rows(path, rows)
    meta = pq.ParquetFile(path).metadata
    assert meta.num_rows == 2000
    data = bytearray(path.read_bytes())
    # flip one byte in the middle of the first column chunk (its dictionary page: the ids)
    chunk = meta.row_group(0).column(0)
    data[(chunk.dictionary_page_offset or chunk.data_page_offset) + chunk.total_compressed_size // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(DataError, match="users.parquet:1: <row>: .*CRC checksum"):
        read_frame(path, "users")


def test_a_deep_line_is_not_handed_to_arrow(tmp_path: Path) -> None:
    from toolkit.arrow_records import MAX_ARROW_DEPTH

    path = tmp_path / "users.jsonl"
    deep = "[" * (MAX_ARROW_DEPTH + 1) + "]" * (MAX_ARROW_DEPTH + 1)
    path.write_text(f'{{"user_id":"u1","source":"wildchat","origin":"human","schema_version":"1.0","x":{deep}}}\n')
    assert read_json_table(path) is None
    with pytest.raises(DataError, match="x: unknown field"):
        read_frame(path, "users")


def test_a_footer_with_invalid_utf8_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "users.parquet"
    write_parquet_rows(path, [{"user_id": "u1", "source": "wildchat", "origin": "human", "schema_version": V}])
    # the column name, in the footer's Parquet schema and in its stored Arrow schema
    path.write_bytes(path.read_bytes().replace(b"user_id", b"user\xffid"))
    with pytest.raises(DataError, match="users.parquet"):
        read_frame(path, "users")
    report = validate_path(path)
    assert not report.ok and report.problems[0].field in ("<file>", "<row>")
