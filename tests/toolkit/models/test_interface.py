"""The model interface: lazy import of the package, the registry, the data hash, and the paper kept out."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import toolkit.models
from tests.toolkit.models.conftest import YesRateModel
from toolkit.dataset import load_dataset
from toolkit.models.interface import ModelData, get_model, hash_arrays

ROOT = Path(__file__).resolve().parents[3]
MODELS_DIR = ROOT / "toolkit" / "models"


def test_import_does_not_import_pymc() -> None:
    code = (
        "import sys\n"
        "import toolkit.models as m\n"
        "from toolkit.models import fit, FitResult, JudgeModel, ExtractionModel, get_model, CI_PROB\n"
        "assert get_model('judge').name == 'judge' and get_model('extraction').name == 'extraction'\n"
        "heavy = [x for x in ('pymc', 'pytensor', 'arviz', 'arviz_stats', 'xarray') if x in sys.modules]\n"
        "print(heavy)\n"
        "assert not heavy, heavy\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr + out.stdout


def test_package_exports_every_public_name() -> None:
    for name in toolkit.models.__all__:
        assert getattr(toolkit.models, name) is not None, name
    assert set(toolkit.models.__all__) <= set(dir(toolkit.models))
    with pytest.raises(AttributeError):
        _ = toolkit.models.no_such_name  # type: ignore[attr-defined]


def test_data_hash_is_the_hash_of_the_files_the_model_reads(
    small_study: tuple[Any, dict], tmp_path: Path
) -> None:
    ds = small_study[0]
    h = YesRateModel().data_hash(ds)
    copy = tmp_path / "copy"
    shutil.copytree(ds.path, copy)
    assert YesRateModel().data_hash(load_dataset(copy)) == h  # content, not location
    (copy / "manifest.json").unlink()  # the manifest is not part of it
    assert YesRateModel().data_hash(load_dataset(copy)) == h


def test_model_data_hashes_its_arrays_and_coords() -> None:
    data = ModelData({"yes": np.array([1, 2]), "n": np.array([3, 4])}, {"rater": ["a", "b"]})
    assert data.hash == hash_arrays(data.arrays, data.coords)
    other = ModelData({"yes": np.array([1, 2]), "n": np.array([3, 5])}, {"rater": ["a", "b"]})
    renamed = ModelData({"yes": np.array([1, 2]), "n": np.array([3, 4])}, {"rater": ["a", "c"]})
    assert len({data.hash, other.hash, renamed.hash}) == 3
    assert ModelData(data.arrays, data.coords, hash="given").hash == "given"


def test_unknown_model_is_rejected_and_known_ones_are_found_by_name() -> None:
    with pytest.raises(KeyError, match="unknown model"):
        get_model("no-such-model")
    assert get_model("test-yes-rate", prior_sd=2.0) == YesRateModel(prior_sd=2.0)
    for name, module in toolkit.models.MODEL_MODULES.items():
        model = get_model(name)
        assert model.name == name and type(model).__module__ == module


def test_models_never_read_the_paper_file() -> None:
    """The paper's numbers are for reports only: no model module reads them."""
    for path in sorted(MODELS_DIR.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert "published" not in text, f"{path.name} mentions the paper's published numbers"
