"""Fixtures of the annotation-tool importer tests."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.toolkit.importers.synthetic import write_tool_files
from toolkit.importers import import_annotation_tool


@pytest.fixture
def tool_dir(tmp_path: Path) -> Path:
    """A small annotation-tool folder with every messy case (see :func:`write_tool_files`)."""
    return write_tool_files(tmp_path / "tool")


@pytest.fixture(scope="module")
def real_import(realdata_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object, float]:
    """``(out, report, seconds)`` of importing the whole real sample once per module."""
    out = tmp_path_factory.mktemp("realdata-import")
    start = time.perf_counter()
    report = import_annotation_tool([realdata_dir], out)
    return out, report, time.perf_counter() - start
