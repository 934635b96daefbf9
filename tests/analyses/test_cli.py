"""The analyses' command lines: usage errors exit 2, ``--only`` names the analyses, sampler and progress flags,
the output cache of model-free analyses, a closed stdout."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analyses import ANALYSIS_NAMES
from analyses.common import (
    BROKEN_PIPE_EXIT,
    OUTPUTS_AREA,
    Analysis,
    Result,
    Settings,
    main_for,
    output_key,
    parser_for,
    settings_from_args,
)

ROOT = Path(__file__).resolve().parents[2]


def _all_in_one(argv):
    from analyses.__main__ import main

    return main(argv)


def test_only_lists_the_names_and_rejects_unknown_ones_with_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        _all_in_one(["--help"])
    assert exc.value.code == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert ", ".join(ANALYSIS_NAMES) in help_text and "--sampler {pymc,nutpie,numpyro}" in help_text
    for bad in (["--only", "figure3,figure99"], ["--skip", "nope"], ["--formats", "jpg"], ["--sampler", "stan"]):
        with pytest.raises(SystemExit) as exc:
            _all_in_one(bad)
        assert exc.value.code == 2, bad
    err = capsys.readouterr().err
    assert "unknown analysis figure99; choose from figure3, figure4" in err
    assert "unknown figure format(s) jpg" in err


def test_single_analysis_usage_errors_exit_2(capsys):
    import analyses.figure3

    for bad in (["--formats", "png,jpg"], ["--chains", "0"], ["--sampler", "stan"], ["--resample", "x"]):
        with pytest.raises(SystemExit) as exc:
            analyses.figure3.main(bad)
        assert exc.value.code == 2, bad
    assert "unknown figure format(s) jpg" in capsys.readouterr().err


def test_sampler_chains_and_progress_reach_the_fit():
    import analyses.figure5

    parser = parser_for(analyses.figure5.ANALYSIS)
    settings = settings_from_args(parser.parse_args(["--sampler", "nutpie", "--chains", "2", "--progress"]))
    kwargs = settings.fit_kwargs()
    assert (kwargs["sampler"], kwargs["chains"], kwargs["progressbar"]) == ("nutpie", 2, True)
    quiet = settings_from_args(parser.parse_args(["--no-progress"])).fit_kwargs()
    assert (quiet["sampler"], quiet["chains"], quiet["progressbar"]) == ("pymc", 4, False)
    # by default PyMC's bar follows the terminal; under pytest stderr is captured
    assert settings_from_args(parser.parse_args([])).fit_kwargs()["progressbar"] is False
    assert settings_from_args(parser.parse_args([])).formats == ("png", "pdf")


def _counting_analysis(calls: list[int]) -> Analysis:
    def compute(ds, settings: Settings) -> Result:
        calls.append(settings.seed)
        table = pd.DataFrame({"rater_id": sorted(ds.frame("raters")["rater_id"]), "seed": settings.seed})
        return Result(table=table, caption="Raters.")

    return Analysis("counting", "A test analysis", ("raters",), compute, lambda result, ds: None)


def test_model_free_outputs_come_from_the_cache_until_an_input_changes(small_data, tmp_path, capsys, monkeypatch):
    import os

    import analyses.common

    monkeypatch.setattr(analyses.common, "OUTPUTS_KEPT", 2)
    calls: list[int] = []
    analysis = _counting_analysis(calls)
    args = ["--data", str(small_data), "--formats", ""]
    assert main_for(analysis, [*args, "--out", str(tmp_path / "a")]) == 0
    assert main_for(analysis, [*args, "--out", str(tmp_path / "b")]) == 0  # same inputs: copied
    assert len(calls) == 1
    for name in ("counting.csv", "counting.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    printed = capsys.readouterr().out.split()
    assert printed[-2:] == [str(tmp_path / "b" / "counting.csv"), str(tmp_path / "b" / "counting.json")]
    assert main_for(analysis, [*args, "--out", str(tmp_path / "c"), "--seed", "5"]) == 0  # other settings
    assert main_for(analysis, [*args, "--out", str(tmp_path / "d"), "--no-cache"]) == 0  # asked to recompute
    assert calls == [20260606, 5, 20260606]
    assert main_for(analysis, [*args, "--out", str(tmp_path / "e"), "--seed", "6"]) == 0
    kept = list((Path(os.environ["RECENTER_CACHE_DIR"]) / OUTPUTS_AREA).glob("counting-*"))
    assert len(kept) == 2  # the oldest of three output sets was dropped


def test_a_damaged_cache_entry_is_recomputed(small_data, small_ds, tmp_path):
    import os

    calls: list[int] = []
    analysis = _counting_analysis(calls)
    args = ["--data", str(small_data), "--formats", "", "--seed", "11"]
    assert main_for(analysis, [*args, "--out", str(tmp_path / "a")]) == 0
    key = output_key(analysis, settings_from_args(parser_for(analysis).parse_args(args)), small_ds)
    entry = Path(os.environ["RECENTER_CACHE_DIR"]) / OUTPUTS_AREA / key
    (entry / "csv").write_bytes(b"tampered")
    assert main_for(analysis, [*args, "--out", str(tmp_path / "b")]) == 0
    assert len(calls) == 2
    assert (tmp_path / "b" / "counting.csv").read_bytes() == (tmp_path / "a" / "counting.csv").read_bytes()


def test_models_are_not_output_cached(small_ds):
    import analyses.figure5

    assert output_key(analyses.figure5.ANALYSIS, Settings(), small_ds) is None


def test_figure3_piped_into_a_closed_reader_then_served_without_drawing(small_data, tmp_path):
    import os

    out = tmp_path / "out"
    cmd = ["-m", "analyses.figure3", "--data", str(small_data), "--out", str(out), "--n-boot", "20",
           "--formats", "png"]
    env = {**os.environ, "MPLBACKEND": "Agg"}
    proc = subprocess.Popen([sys.executable, *cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=env)
    proc.stdout.close()  # the reader is gone before the paths are printed
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=300) == BROKEN_PIPE_EXIT, err
    assert "Traceback" not in err and (out / "figure3.png").exists()
    png = (out / "figure3.png").read_bytes()
    (out / "figure3.png").unlink()
    # Same inputs again: the outputs are copied from the cache, matplotlib's drawing modules are never imported.
    code = ("import sys, runpy; sys.argv = ['figure3', *sys.argv[1:]]\n"
            "try:\n    runpy.run_module('analyses.figure3', run_name='__main__', alter_sys=True)\n"
            "except SystemExit as e:\n    assert e.code == 0, e.code\n"
            "print('matplotlib.figure' in sys.modules, file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code, *cmd[2:]], capture_output=True, text=True, cwd=ROOT, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stderr.split()[-1] == "False"
    assert (out / "figure3.png").read_bytes() == png
