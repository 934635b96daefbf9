"""The contract every analysis keeps: outputs, provenance, image size, determinism, clear data errors."""

from __future__ import annotations

import importlib
import json

import pytest

from tests.analyses.conftest import require_models, run_analysis

NO_MODEL = ("figure3", "figure4", "table2", "table3")
WITH_MODEL = ("figure2", "figure5", "figure6", "figure7", "table6", "judges", "rewards")
DPI = 300


def _analysis(name: str):
    return importlib.import_module(f"analyses.{name}").ANALYSIS


def _params(names, slow=False):
    marks = [pytest.mark.slow] if slow else []
    return [pytest.param(n, marks=marks, id=n) for n in names]


ALL = _params(NO_MODEL) + _params(WITH_MODEL)


@pytest.mark.parametrize("name", ALL)
def test_writes_csv_json_and_png_of_declared_width(name, outputs):
    import matplotlib.image as mpimg
    import pandas as pd

    out = outputs(name)
    analysis = _analysis(name)
    table = pd.read_csv(out / f"{name}.csv")
    assert len(table) > 0
    assert {"value", "ci_low", "ci_high"} <= set(table.columns)
    meta = json.loads((out / f"{name}.json").read_text())
    assert meta["simulated"] is True
    assert meta["dataset"]["provenance"] == "simulated" and len(meta["dataset"]["manifest_sha256"]) == 64
    assert meta["caption"].startswith("SIMULATED DATA")
    for key in ("toolkit_version", "seed", "settings"):
        assert key in meta
    if analysis.uses_model:
        models = meta["settings"]["models"]
        assert models and all({"model", "model_version", "sampler", "diagnostics", "converged"} <= set(m) for m in models)
        assert models[0]["sampler"]["draws"] == 100 and models[0]["sampler"]["chains"] == 2
    image = mpimg.imread(out / f"{name}.png")
    assert image.shape[1] == round(analysis.width * DPI)
    assert 0.2 * image.shape[1] < image.shape[0] < 2.5 * image.shape[1]
    if analysis.is_table:
        md = (out / f"{name}.md").read_text()
        tex = (out / f"{name}.tex").read_text()
        assert "SIMULATED DATA" in md and "SIMULATED DATA" in tex
        assert r"\toprule" in tex and r"\bottomrule" in tex


@pytest.mark.parametrize("name", ALL)
def test_same_inputs_give_identical_csv_and_json(name, outputs, small_data, tmp_path):
    first = outputs(name)
    assert run_analysis(name, small_data, tmp_path) == 0
    for suffix in ("csv", "json"):
        assert (tmp_path / f"{name}.{suffix}").read_bytes() == (first / f"{name}.{suffix}").read_bytes(), suffix


MISSING = {
    "figure3": "relevance_judgments",
    "figure4": "relevance_judgments",
    "table3": "relevance_judgments",
    "table2": "extraction_judgments",
    "figure2": "extraction_judgments",
    "judges": "relevance_judgments",
    "figure5": "response_ratings",
    "figure6": "response_ratings",
    "figure7": "responses",
    "table6": "response_ratings",
    "rewards": "scores",
}


@pytest.mark.parametrize("name", list(MISSING))
def test_missing_record_file_is_a_clear_error(name, without, tmp_path, capsys):
    require_models(name)
    data = without(MISSING[name])
    code = run_analysis(name, data, tmp_path)
    err = capsys.readouterr().err
    assert code == 2
    assert f"{MISSING[name]}.jsonl" in err
    assert "Traceback" not in err
    assert not (tmp_path / f"{name}.csv").exists()


def test_every_analysis_module_is_listed_and_declares_its_width():
    from analyses import ANALYSIS_NAMES

    assert set(ANALYSIS_NAMES) == set(NO_MODEL) | set(WITH_MODEL)
    for name in ANALYSIS_NAMES:
        analysis = pytest.importorskip(f"analyses.{name}").ANALYSIS
        assert analysis.name == name
        assert analysis.width in (3.4, 7.0)  # a paper column or the text width
        assert bool(analysis.models) == analysis.uses_model


def test_light_analyses_do_not_import_pymc():
    import subprocess
    import sys

    code = (
        "import sys; import analyses.figure3, analyses.figure4, analyses.table2, analyses.table3; "
        "print('pymc' in sys.modules, 'pytensor' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
