"""Atomic outputs: interrupted writes leave the old state or nothing; full disks and read-only folders fail
cleanly with an OutputError naming the path (toolkit.atomic, and every writer built on it)."""

from __future__ import annotations

import errno
import json
import os
import random
import signal
import time
import warnings
from pathlib import Path

import pandas as pd
import pytest

import toolkit.jsonl
from toolkit.atomic import OutputError, atomic_dir, atomic_file, remove_stale_siblings, write_text
from toolkit.dataset import MANIFEST, load_dataset, write_dataset
from toolkit.outputs import write_csv, write_json
from toolkit.validate import validate_path

V = "1.0"


def _records(n_judgments: int, tag: str) -> dict[str, list[dict]]:
    raters = [{"rater_id": f"h{i}", "kind": "human", "schema_version": V} for i in range(3)]
    users = [{"user_id": "u1", "source": "wildchat", "origin": "human", "schema_version": V}]
    attributes = [
        {"attribute_id": f"a{i}", "user_id": "u1", "text": f"The user {tag} {i}", "schema_version": V}
        for i in range(max(1, n_judgments // 30))
    ]
    prompts = [{"prompt_id": f"p{i}", "text": "Hi", "source": "lima", "schema_version": V} for i in range(10)]
    judgments = [
        {"user_id": "u1", "prompt_id": f"p{i % 10}", "attribute_id": f"a{(i // 30) % len(attributes)}",
         "rater_id": f"h{(i // 10) % 3}", "relevant": (i * 7) % 3 == 0, "schema_version": V}
        for i in range(n_judgments)
    ]
    # make every (item, rater) unique: one judgment per attribute x prompt x rater
    seen, unique = set(), []
    for j in judgments:
        key = (j["prompt_id"], j["attribute_id"], j["rater_id"])
        if key not in seen:
            seen.add(key)
            unique.append(j)
    return {"raters": raters, "users": users, "attributes": attributes, "prompts": prompts,
            "relevance_judgments": unique}


def _write(folder: Path, records: dict, name: str) -> None:
    write_dataset(folder, records, name=name, provenance="simulated", origin="test")


def _files(folder: Path) -> dict:
    return json.loads((folder / MANIFEST).read_text())["files"]


def test_atomic_file_error_leaves_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_file(target, "w") as fh:
            fh.write("new, half")
            raise RuntimeError("interrupted")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_stale_temporaries_of_dead_writers_are_removed(tmp_path: Path) -> None:
    (tmp_path / ".ds.tmp-999999999-abc").mkdir()
    (tmp_path / f".ds.tmp-{os.getpid()}-live").mkdir()  # a live writer's: kept
    assert remove_stale_siblings(tmp_path / "ds") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [f".ds.tmp-{os.getpid()}-live"]


def test_dataset_folder_swap_keeps_extra_files_and_drops_stale_records(tmp_path: Path) -> None:
    folder = tmp_path / "ds"
    _write(folder, _records(60, "old"), "old")
    (folder / "README.md").write_text("mine")
    (folder / "scores.jsonl").write_text("")  # a record file the new manifest does not list
    new = _records(90, "new")
    _write(folder, new, "new")
    assert (folder / "README.md").read_text() == "mine"
    assert not (folder / "scores.jsonl").exists()
    assert validate_path(folder).ok
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds"]


def test_enospc_while_writing_a_dataset_leaves_the_old_one(tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "ds"
    _write(folder, _records(60, "old"), "old")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    calls = {"n": 0}
    real = toolkit.jsonl.dumps

    def full_disk(obj):
        calls["n"] += 1
        if calls["n"] > 40:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(obj)

    monkeypatch.setattr(toolkit.jsonl, "dumps", full_disk)
    with pytest.raises(OutputError) as info:
        _write(folder, _records(300, "new"), "new")
    assert str(folder) in str(info.value) and "No space left" in str(info.value)
    assert info.value.errno == errno.ENOSPC
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds"]  # no temporary left behind


def test_enospc_in_output_writers(tmp_path: Path, monkeypatch) -> None:
    import toolkit.atomic

    real_replace = os.replace

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(toolkit.atomic.os, "replace", no_space)
    with pytest.raises(OutputError, match="out.csv"):
        write_csv(pd.DataFrame({"a": [1.0]}), tmp_path / "out.csv")
    with pytest.raises(OutputError, match="out.json"):
        write_json({"a": 1}, tmp_path / "out.json")
    monkeypatch.setattr(toolkit.atomic.os, "replace", real_replace)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions")
def test_read_only_destination_is_a_clear_error(tmp_path: Path) -> None:
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        with pytest.raises(OutputError, match="ro/ds"):
            _write(parent / "ds", _records(30, "x"), "x")
        with pytest.raises(OutputError, match="ro/t.md"):
            write_text(parent / "t.md", "x")
        assert list(parent.iterdir()) == []
    finally:
        parent.chmod(0o755)


def test_read_only_destination_simulated(tmp_path: Path, monkeypatch) -> None:
    """As root (CI containers) permissions are not enforced: a read-only file system is injected instead."""
    import tempfile

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(tempfile, "mkdtemp", read_only)
    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    with pytest.raises(OutputError, match="Read-only") as info:
        _write(tmp_path / "ds", _records(30, "x"), "x")
    assert str(tmp_path / "ds") in str(info.value)
    with pytest.raises(OutputError, match="report.md"):
        write_text(tmp_path / "report.md", "x")
    assert list(tmp_path.iterdir()) == []


def test_placeholder_manifest_makes_a_half_built_folder_invalid(tmp_path: Path) -> None:
    from toolkit.dataset import INCOMPLETE_MANIFEST

    with pytest.raises(RuntimeError):
        with atomic_dir(tmp_path / "ds", placeholder=(MANIFEST, INCOMPLETE_MANIFEST)) as tmp:
            (tmp / "raters.jsonl").write_text('{"rater_id":"h","kind":"human","schema_version":"1.0"}\n')
            assert not validate_path(tmp).ok  # a complete-looking record file, but the manifest says "incomplete"
            raise RuntimeError
    assert list(tmp_path.iterdir()) == []


def test_random_kills_never_leave_a_partial_dataset_that_validates(tmp_path: Path) -> None:
    """SIGKILL a process writing a dataset at 24 random moments: every folder left that validates is exactly
    the old or the new dataset (never a mix or a truncation)."""
    folder = tmp_path / "ds"
    old, new = _records(60, "old"), _records(1500, "new")
    _write(folder, old, "old")
    old_files = _files(folder)
    probe = tmp_path / "probe"
    t0 = time.perf_counter()
    _write(probe, new, "new")
    duration = time.perf_counter() - t0
    new_files = _files(probe)
    import shutil

    shutil.rmtree(probe)
    rng = random.Random(20260606)
    outcomes = {"old": 0, "new": 0}
    for _ in range(24):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # fork of a threaded process: the child only writes
            pid = os.fork()
        if pid == 0:  # child: write, then leave without cleanup
            try:
                _write(folder, new, "new")
            finally:
                os._exit(0)
        time.sleep(rng.uniform(0.0, duration * 1.3))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        for entry in tmp_path.iterdir():
            report = validate_path(entry) if entry.is_dir() else None
            if report is not None and report.ok:
                assert (entry / MANIFEST).exists(), f"{entry.name} validates without a manifest"
                files = _files(entry)
                assert files in (old_files, new_files), entry.name
        # the real name always holds a complete dataset: the old or the new one
        assert folder.is_dir() and validate_path(folder).ok
        outcomes["old" if _files(folder) == old_files else "new"] += 1
        if _files(folder) == new_files:  # start the next round from the old state again
            _write(folder, old, "old")
    assert load_dataset(folder).frame("relevance_judgments") is not None
    assert outcomes["old"] > 0  # some kills did land mid-write
