"""``recenter``: the command table, ``--help``, ``analyze``, ``cache``, exit codes, a closed stdout, progress."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from analyses import ANALYSIS_NAMES
from toolkit.cli import (
    BROKEN_PIPE_EXIT,
    COMMANDS,
    analysis_descriptions,
    build_parser,
    main,
    quiet_broken_pipe,
)

ROOT = Path(__file__).resolve().parents[2]


def test_help_lists_every_command_and_every_analysis(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for name in [*COMMANDS, "analyze", "cache"]:
        assert f"\n    {name}" in out, name
    for name in ANALYSIS_NAMES:
        assert f"\n  {name} " in out, name
    assert "Figure 3: pairwise Cohen's kappa" in out


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().out


def test_every_command_entry_provides_add_arguments_and_run():
    parser = build_parser()  # imports every entry of the table
    assert parser.prog == "recenter"
    assert set(parser._subparsers._group_actions[0].choices) == set(COMMANDS)


def test_analyze_list_names_every_analysis_with_a_description(capsys):
    assert main(["analyze", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    names = [line.split()[0] for line in lines]
    assert names == [*ANALYSIS_NAMES, "structures", "calibration", "all"]
    assert all(len(line.split(None, 1)[1]) > 20 for line in lines)
    assert analysis_descriptions()["table3"].startswith("Table 3: accuracy")


def test_analyze_passes_the_options_through(monkeypatch):
    import analyses.table2

    seen = []
    monkeypatch.setattr(analyses.table2, "main", lambda argv: seen.append(argv) or 7)
    assert main(["analyze", "table2", "--seed", "3", "--formats", "png"]) == 7
    assert seen == [["--seed", "3", "--formats", "png"]]


def test_analyze_usage_errors_exit_2(capsys):
    assert main(["analyze", "figure99"]) == 2
    err = capsys.readouterr().err
    assert "unknown analysis 'figure99'" in err and "figure3" in err
    assert main(["analyze"]) == 2
    with pytest.raises(SystemExit) as exc:  # the analysis' own parser: --formats jpg is a usage error
        main(["analyze", "figure3", "--formats", "jpg"])
    assert exc.value.code == 2
    assert "unknown figure format(s) jpg" in capsys.readouterr().err


def test_a_subcommand_usage_message_exits_2_not_1(tmp_path, capsys):
    # `recenter calibrate --set bad` raises SystemExit("message"), which Python would turn into exit 1
    assert main(["calibrate", "kappa-coverage", "--set", "nonsense", "--cache-dir", str(tmp_path)]) == 2
    assert "--set 'nonsense'" in capsys.readouterr().err


def test_quiet_broken_pipe_returns_141():
    def writes_to_a_closed_pipe() -> int:
        raise BrokenPipeError

    assert quiet_broken_pipe(writes_to_a_closed_pipe) == BROKEN_PIPE_EXIT == 141
    assert quiet_broken_pipe(lambda: 1) == 1


def test_validate_piped_into_a_closed_reader_ends_quietly(tmp_path):
    bad = tmp_path / "response_ratings.jsonl"
    bad.write_text("{}\n" * 3000)  # thousands of problem lines: more than a pipe buffer
    proc = subprocess.Popen(
        [sys.executable, "-m", "toolkit", "validate", str(bad), "--max-per-group", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
    )
    first = proc.stdout.readline()  # what `| head -1` does: read a line, then close
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == BROKEN_PIPE_EXIT
    assert first and "Traceback" not in err and "BrokenPipe" not in err


def _cache_area(root: Path, name: str, files: int) -> None:
    (root / name).mkdir(parents=True)
    for i in range(files):
        (root / name / f"{i}.bin").write_bytes(b"x" * 1000)


def test_cache_info_and_clear(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RECENTER_CACHE_DIR", str(tmp_path))
    _cache_area(tmp_path, "frames", 3)
    _cache_area(tmp_path, "outputs", 2)
    assert main(["cache", "info"]) == 0
    out = capsys.readouterr().out
    assert str(tmp_path) in out
    assert [line.split()[:2] for line in out.splitlines()[1:]] == [["frames", "3"], ["outputs", "2"], ["total", "5"]]
    assert main(["cache", "clear", "--area", "frames"]) == 0
    assert "removed 3 files (2.9 KiB)" in capsys.readouterr().out
    assert not (tmp_path / "frames").exists() and (tmp_path / "outputs" / "0.bin").exists()
    assert main(["cache", "clear", "--area", "nope"]) == 2
    assert "no cache area 'nope'" in capsys.readouterr().err and (tmp_path / "outputs").exists()
    assert main(["cache", "clear"]) == 0
    assert not any(tmp_path.iterdir())


def test_progress_flags_on_the_long_commands():
    sim = build_parser(["simulate"]).parse_args(["simulate", "--out", "x", "--no-progress"])
    assert sim.progress is False
    imp = build_parser(["import"]).parse_args(["import", "annotation-tool", "a", "--out", "x", "--progress"])
    assert imp.progress is True
    cal = build_parser(["calibrate"]).parse_args(["calibrate", "kappa-coverage", "--no-progress"])
    assert cal.progress is False


def test_progress_is_quiet_when_stderr_is_not_a_terminal(monkeypatch, capsys):
    from toolkit.progress import activity, progress_bar, show_progress

    assert show_progress() is False  # pytest captures stderr: not a terminal
    assert show_progress(True) is True
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert show_progress() is True
    monkeypatch.setenv("RECENTER_NO_PROGRESS", "1")
    assert show_progress() is False
    monkeypatch.delenv("RECENTER_NO_PROGRESS")
    for _ in progress_bar(range(3), desc="steps", progress=False):
        pass
    with activity("working", progress=False):
        pass
    assert capsys.readouterr().err == ""
    for _ in progress_bar(range(3), desc="steps", progress=True):
        pass
    with activity("working", progress=True, interval=0.01):
        pass
    assert "steps" in capsys.readouterr().err
