"""The simulator's API and command (toolkit.simulate): writing, provenance, the bundled sample (byte-identical to
a fresh ``recenter simulate`` at the default seed), streaming at scale, independent draws and the CLI."""

from __future__ import annotations

import gzip
import json
import time

import attrs
import pytest

import schemas
import toolkit
from toolkit.cli import main
from toolkit.dataset import load_dataset, sample_path
from toolkit.simulate import DEFAULT_SEED, SimulationConfig, simulate


def test_output_validates(written):
    try:
        from toolkit.validate import validate_path
    except ImportError:  # pragma: no cover - the validator is another module's job
        ds = load_dataset(written)
        for name in ds.record_types:
            assert sum(1 for _ in ds.records(name)) == ds.manifest["files"][name]["records"]
        return
    report = validate_path(written)
    assert report.ok, report.format_text()


def test_manifest_provenance(written):
    manifest = json.loads((written / "manifest.json").read_text())
    prov = manifest["provenance"]
    assert prov["kind"] == "simulated" and prov["seed"] == DEFAULT_SEED
    assert prov["toolkit_version"] == toolkit.__version__ and prov["scale"] == 1
    assert "toolkit.simulate" in prov["origin"]
    assert manifest["license"] == "CC-BY-4.0" and "arXiv:2606.06614" in manifest["citation"]
    assert load_dataset(written).is_simulated


# ------------------------------------------------------------------------------------------------------
# The bundled sample
# ------------------------------------------------------------------------------------------------------


def test_bundled_sample_is_byte_identical(written):
    """``toolkit/data/sample`` is exactly ``recenter simulate`` at the default seed (regenerate with
    ``python -m toolkit simulate --out toolkit/data/sample``)."""
    sample = sample_path()
    fresh = sorted(p.name for p in written.iterdir())
    shipped = sorted(p.name for p in sample.iterdir() if p.name != "__pycache__")
    assert fresh == shipped
    for name in fresh:
        assert (written / name).read_bytes() == (sample / name).read_bytes(), name


def test_bundled_sample_is_small():
    total = sum(p.stat().st_size for p in sample_path().iterdir())
    assert total < 3 * 2**20
    manifest = json.loads((sample_path() / "manifest.json").read_text())
    assert manifest["provenance"]["kind"] == "simulated" and manifest["provenance"]["seed"] == DEFAULT_SEED
    with gzip.open(sample_path() / "ground_truth.json.gz", "rt") as fh:
        assert json.load(fh)["seed"] == DEFAULT_SEED


# ------------------------------------------------------------------------------------------------------
# Scaling, modes, CLI
# ------------------------------------------------------------------------------------------------------


def test_scale_two_streams_to_disk(tmp_path, monkeypatch):
    def no_records(*args, **kwargs):
        raise AssertionError("write() must stream dicts, not build schema records")

    monkeypatch.setattr(schemas, "structure", no_records)
    study = simulate(SimulationConfig().scaled(2), seed=11)
    ds = study.write(tmp_path / "x2", compress=False)
    files = ds.manifest["files"]
    assert files["users"]["records"] == 154
    assert files["extraction_judgments"]["records"] == 3966 * (6 + 6)
    assert files["relevance_judgments"]["records"] == 7946 * (6 + 5 + 4)
    assert files["response_ratings"]["records"] == 734 * (6 + 5)
    assert (tmp_path / "x2" / "ground_truth.json").exists()


def test_records_use_the_schemas_structure(monkeypatch):
    """The guard of the streaming test bites: building records goes through ``schemas.structure``."""

    def no_records(*args, **kwargs):
        raise AssertionError("structure called")

    monkeypatch.setattr(schemas, "structure", no_records)
    with pytest.raises(AssertionError, match="structure called"):
        _ = simulate(SimulationConfig.small(), seed=3).records


def test_independent_mode_is_calibrated_on_average():
    """Independent draws (power analysis) have the same model: statistics scatter around the same values."""
    cfg = attrs.evolve(SimulationConfig(), balanced=False)
    st = simulate(cfg, seed=4)
    t = st.truth
    assert "conditioning" not in t["stage3"] or not t["stage3"]["conditioning"]
    assert abs(t["stage2"]["derived"]["human_majority_rate_sample"] - 0.178) < 0.05
    assert abs(t["stage1"]["derived"]["problematic_gap_sample"] - 0.22) < 0.08


def test_cli(tmp_path, capsys):
    out = tmp_path / "cli"
    assert main(["simulate", "--out", str(out), "--scale", "0.2", "--seed", "9", "--report"]) == 0
    text = capsys.readouterr().out
    assert "published" in text and "simulated" in text and "within tolerance" in text
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["provenance"]["seed"] == 9 and manifest["provenance"]["scale"] == 0.2


def test_cli_without_report_prints_no_table(tmp_path, capsys):
    assert main(["simulate", "--out", str(tmp_path / "plain"), "--scale", "0.2", "--seed", "9"]) == 0
    text = capsys.readouterr().out
    assert "wrote simulated study" in text and "within tolerance" not in text


def test_cli_rejects_a_non_positive_scale(tmp_path, capsys):
    assert main(["simulate", "--out", str(tmp_path / "bad"), "--scale", "0", "--report"]) == 2
    assert "--scale must be positive" in capsys.readouterr().err


@pytest.mark.slow
def test_scale_ten_under_a_minute(tmp_path):
    start = time.perf_counter()
    ds = simulate(SimulationConfig().scaled(10), seed=DEFAULT_SEED).write(tmp_path / "x10", compress=False)
    assert time.perf_counter() - start < 60
    assert ds.manifest["files"]["relevance_judgments"]["records"] == 39730 * (30 + 5 + 4)
