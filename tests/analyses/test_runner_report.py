"""``python -m analyses`` and REPORT.md: published beside regenerated, skipped analyses, stale outputs."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from tests.analyses.conftest import FAST


def _run_all(data, out, *extra):
    from analyses.__main__ import main

    return main(["--data", str(data), "--out", str(out), *FAST, *extra])


def test_all_in_one_writes_outputs_and_report(small_data, tmp_path, capsys):
    code = _run_all(small_data, tmp_path, "--only", "figure3,figure4,table2,table3")
    err = capsys.readouterr().err
    assert code == 0
    assert "[1/4] figure3" in err and "report:" in err
    for name in ("figure3", "figure4", "table2", "table3"):
        assert (tmp_path / f"{name}.csv").exists() and (tmp_path / f"{name}.png").exists()
    report = (tmp_path / "REPORT.md").read_text()
    assert "SIMULATED DATA" in report
    from analyses.published import entries, published

    assert report.count("\n| `") == len(entries())  # one row per published number
    csv = pd.read_csv(tmp_path / "figure3.csv")
    hh = csv[(csv["kind"] == "group_mean") & (csv["group_a"] == "human") & (csv["group_b"] == "human")].iloc[0]
    line = next(ln for ln in report.splitlines() if ln.startswith("| `fig3.kappa.human_human`"))
    assert f"{published('fig3.kappa.human_human'):.3f}" in line and f"{hh['value']:.3f}" in line
    table1 = next(ln for ln in report.splitlines() if ln.startswith("| `table1.diversity.cupid`"))
    assert "not regenerated" in table1 and "embeddings" in table1
    fig5 = next(ln for ln in report.splitlines() if ln.startswith("| `fig5.human_mean`"))
    assert "not regenerated" in fig5  # figure5 was not run


def test_report_rows_are_published_vs_regenerated(small_ds, small_data, tmp_path):
    from analyses.published import published
    from analyses.report import build_report

    assert _run_all(small_data, tmp_path, "--only", "figure4", "--no-report") == 0
    report = build_report(tmp_path, small_ds).set_index("key")
    row = report.loc["fig4.bm25.f1"]
    csv = pd.read_csv(tmp_path / "figure4.csv")
    value = csv[(csv["method"] == "bm25") & (csv["metric"] == "f1")]["value"].iloc[0]
    assert row["status"] == "regenerated"
    assert row["published"] == published("fig4.bm25.f1")
    assert row["regenerated"] == pytest.approx(value)
    assert row["difference"] == pytest.approx(value - published("fig4.bm25.f1"))
    assert row["ci_low"] <= row["regenerated"] <= row["ci_high"]
    counts = report.loc["stage2.n_items"]
    assert counts["status"] == "regenerated" and "record counts" in counts["from"]
    assert "published" not in csv.columns  # published numbers stay in the report


def test_report_ignores_outputs_made_from_other_data(small_ds, small_data, tmp_path):
    from analyses.report import build_report

    assert _run_all(small_data, tmp_path, "--only", "figure4", "--no-report") == 0
    meta = json.loads((tmp_path / "figure4.json").read_text())
    meta["dataset"]["manifest_sha256"] = "0" * 64
    (tmp_path / "figure4.json").write_text(json.dumps(meta))
    row = build_report(tmp_path, small_ds).set_index("key").loc["fig4.bm25.f1"]
    assert row["status"] == "not regenerated" and "stale" in row["note"]


def test_all_in_one_skips_analyses_whose_records_are_missing(without, tmp_path, capsys):
    data = without("response_ratings")
    code = _run_all(data, tmp_path, "--only", "figure4,figure5,table6")
    err = capsys.readouterr().err
    assert code == 0
    assert "figure5  skipped: the dataset has no response_ratings.jsonl" in err
    report = (tmp_path / "REPORT.md").read_text()
    line = next(ln for ln in report.splitlines() if ln.startswith("| `fig5.human_mean`"))
    assert "response_ratings.jsonl" in line
    assert not (tmp_path / "figure5.csv").exists()


def test_unknown_analysis_name_is_a_usage_error(small_data, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        _run_all(small_data, tmp_path, "--only", "figure99")
    assert exc.value.code == 2 and "unknown analysis figure99" in capsys.readouterr().err


def test_missing_data_folder_is_a_clear_error(tmp_path, capsys):
    code = _run_all(tmp_path / "nope", tmp_path / "out")
    assert code == 2
    assert "not a directory" in capsys.readouterr().err
    shutil.rmtree(tmp_path / "out", ignore_errors=True)
