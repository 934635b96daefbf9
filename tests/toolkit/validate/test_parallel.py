"""``validate_parallel``: the record files checked by worker processes give the serial validator's report."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

from toolkit.dataset import sample_path
from toolkit.validate import validate_path
from toolkit.validate.parallel import validate_parallel


def _broken_copy(tmp_path: Path) -> Path:
    """The sample with problems in referenced and unreferenced files, the manifest and the folder."""
    folder = tmp_path / "ds"
    shutil.copytree(sample_path(), folder)
    for name in ("extraction_judgments", "conversations"):  # smaller files: a quicker test
        f = folder / f"{name}.jsonl.gz"
        f.write_bytes(gzip.compress(b"\n".join(gzip.decompress(f.read_bytes()).splitlines()[:400]) + b"\n"))
    rel = folder / "relevance_judgments.jsonl.gz"
    lines = gzip.decompress(rel.read_bytes()).splitlines()[:3000]
    first = json.loads(lines[0])
    lines[5] = lines[4]  # a duplicate judgment
    lines[900] = lines[30].replace(b'"rater_id":', b'"rater_id" :')  # a duplicate written differently
    lines[7] = b'{"user_id": "u-nobody", ' + lines[7][1:]  # a repeated key / unknown user
    for i in range(10, 20):  # many schema errors in one group: capped
        lines[i] = json.dumps({**first, "relevant": "maybe", "rater_id": f"r{i}"}).encode()
    lines.append(b"{not json")
    (folder / "relevance_judgments.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    rel.unlink()
    ratings = folder / "response_ratings.jsonl.gz"
    rl = gzip.decompress(ratings.read_bytes()).splitlines()
    rl[3] = rl[3].replace(b'"rating":', b'"rating": 9, "x":')
    ratings.write_bytes(gzip.compress(b"\n".join(rl) + b"\n"))
    attrs_ = folder / "attributes.jsonl.gz"
    al = gzip.decompress(attrs_.read_bytes()).splitlines()
    attrs_.write_bytes(gzip.compress(b"\n".join(al[:-1] + [al[0]]) + b"\n"))  # a duplicate id, one missing
    (folder / "notes.txt").write_text("stray")
    return folder


@pytest.mark.parametrize(("cap", "split"), [(2, 1 << 30), (0, 1000)])
def test_parallel_report_is_the_serial_report(tmp_path: Path, cap: int, split: int) -> None:
    # split=1000: every unreferenced file is split into parts by key (duplicates stay in one part)
    folder = _broken_copy(tmp_path)
    serial = validate_path(folder, max_per_group=cap)
    parallel = validate_parallel(folder, 2, max_per_group=cap, split_bytes=split)
    assert serial.errors > 10 and serial.warnings >= 1
    assert parallel.format_text() == serial.format_text()
    assert parallel.to_json() == serial.to_json()


def test_single_files_use_the_serial_validator(tmp_path: Path) -> None:
    folder = _broken_copy(tmp_path)
    single = folder / "relevance_judgments.jsonl"
    assert validate_parallel(single, 2).to_json() == validate_path(single).to_json()
