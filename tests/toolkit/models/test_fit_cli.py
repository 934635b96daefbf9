"""``recenter fit``: the outputs a reader needs, written from one fit (the session's small extraction fit)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from toolkit.fit_cli import add_arguments, rank_plot_vars, write_fit_outputs
from toolkit.models import load_fit


def test_outputs_of_one_fit(extraction_small: Any, tmp_path: Path) -> None:
    written = write_fit_outputs(extraction_small, tmp_path, data_path="somewhere", simulated=True)
    names = {p.name for p in tmp_path.iterdir()}
    for expected in ("extraction_fit.nc", "extraction_ppc.csv", "extraction_ppc.png", "extraction_rank.png"):
        assert expected in names
    for table in extraction_small.summaries:
        assert f"extraction_{table}.csv" in names
    prov = json.loads(written["provenance"].read_text())
    assert prov["data"] == {"path": "somewhere", "hash": extraction_small.data_hash, "simulated": True}
    assert prov["diagnostics"]["ok"] == extraction_small.diagnostics.ok
    assert load_fit(written["fit"]).settings == extraction_small.settings


def test_rank_plot_skips_long_vectors(extraction_small: Any) -> None:
    names = rank_plot_vars(extraction_small.idata, ["gap", "v", "missing"])
    assert names == ["gap"]  # v has one element per user; a name not in the posterior is skipped


def test_arguments() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(
        ["judge", "--out", "x", "--chains", "2", "--option", "n_quad=30", "--no-progress"]
    )
    assert (args.model, args.chains, args.option, args.progress) == ("judge", 2, ["n_quad=30"], False)
    with pytest.raises(SystemExit) as exc:
        parser.parse_args(["nomodel", "--out", "x"])
    assert exc.value.code == 2
