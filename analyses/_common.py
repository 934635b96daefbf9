"""The shared command line and output writing of every analysis module.

Every analysis is ``python -m analyses.<name> [--data DIR] [--out DIR] [--seed N] [--formats png,pdf]
[--no-cache] [--draws N --tune N --chains N]`` and writes ``<name>.csv`` (the plotted/tabulated numbers),
``<name>.json`` (provenance), the figure in each format, and for tables also ``<name>.md`` and ``<name>.tex``.
Analyses compute nothing themselves: ``compute`` calls toolkit functions and returns tidy frames.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs
import pandas as pd

from toolkit.dataset import Dataset, load_dataset
from toolkit.jsonl import DataError
from toolkit.outputs import provenance, write_csv, write_json, write_table
from toolkit.plotting import SIMULATED_NOTE

DEFAULT_OUT = Path("paper_figures")
DEFAULT_SEED = 20260606


@attrs.frozen
class Settings:
    """Run settings shared by all analyses (model settings are used only by analyses that fit a model)."""

    data: Path | None = None
    out: Path = DEFAULT_OUT
    seed: int = DEFAULT_SEED
    formats: tuple[str, ...] = ("png", "pdf")
    cache: bool = True
    draws: int = 1000
    tune: int = 1000
    chains: int = 2
    n_boot: int = 1000

    def fit_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for :func:`toolkit.models.fit`."""
        return {"draws": self.draws, "tune": self.tune, "chains": self.chains, "seed": self.seed, "cache": self.cache}

    def model_settings(self) -> dict[str, Any]:
        return {"draws": self.draws, "tune": self.tune, "chains": self.chains, "sampler": "pymc"}


@attrs.frozen
class Result:
    """What an analysis computed.

    Attributes
    ----------
    table : DataFrame
        The tidy numbers that are plotted or tabulated (written as ``<name>.csv``), interval columns included.
    settings : dict
        Method settings to record in the provenance (e.g. model draws, bootstrap size).
    caption : str
        Caption of the figure/table (the simulated-data notice is added automatically).
    display : DataFrame or None
        For tables: the formatted table for Markdown/LaTeX (defaults to ``table``).
    extra : dict
        Other frames the figure needs (not written).
    """

    table: pd.DataFrame
    caption: str
    settings: dict[str, Any] = attrs.field(factory=dict)
    display: pd.DataFrame | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class Analysis:
    """One paper figure or table."""

    name: str
    title: str
    needs: tuple[str, ...]
    compute: Callable[[Dataset, Settings], Result]
    render: Callable[[Result, Dataset], Any]
    is_table: bool = False
    uses_model: bool = False


def parser_for(analysis: Analysis) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=f"python -m analyses.{analysis.name}",
        description=f"{analysis.title}. Default input: the bundled SIMULATED sample; use --data for real data.",
    )
    p.add_argument("--data", type=Path, default=None, help="dataset folder (default: the bundled simulated sample)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default: paper_figures/)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed for bootstraps and samplers")
    p.add_argument("--formats", default="png,pdf", help="comma-separated figure formats (default: png,pdf)")
    p.add_argument("--no-cache", action="store_true", help="refit models instead of using cached posteriors")
    p.add_argument("--draws", type=int, default=1000, help="posterior draws per chain (model-based analyses)")
    p.add_argument("--tune", type=int, default=1000, help="tuning steps per chain (model-based analyses)")
    p.add_argument("--chains", type=int, default=2, help="chains (model-based analyses)")
    p.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples for intervals")
    return p


def settings_from_args(args: argparse.Namespace) -> Settings:
    formats = tuple(f.strip().lower() for f in args.formats.split(",") if f.strip())
    bad = [f for f in formats if f not in ("png", "pdf", "svg")]
    if bad:
        raise SystemExit(f"error: unknown figure format(s) {bad}; choose from png, pdf, svg")
    return Settings(
        data=args.data, out=args.out, seed=args.seed, formats=formats, cache=not args.no_cache,
        draws=args.draws, tune=args.tune, chains=args.chains, n_boot=args.n_boot,
    )


def caption_for(result: Result, ds: Dataset) -> str:
    prefix = f"{SIMULATED_NOTE}. " if ds.is_simulated else ""
    return f"{prefix}{result.caption} Data: {ds.name} ({ds.provenance})."


def execute(analysis: Analysis, settings: Settings, ds: Dataset | None = None) -> dict[str, Path]:
    """Run one analysis and write its outputs; return the written paths by kind."""
    ds = ds or load_dataset(settings.data)
    ds.require(*analysis.needs, purpose=f"analyses.{analysis.name}")
    result = analysis.compute(ds, settings)
    out = Path(settings.out)
    written: dict[str, Path] = {"csv": write_csv(result.table, out / f"{analysis.name}.csv")}
    meta = provenance(ds, analysis=analysis.name, seed=settings.seed, settings=result.settings)
    meta["title"] = analysis.title
    meta["caption"] = caption_for(result, ds)
    written["json"] = write_json(meta, out / f"{analysis.name}.json")
    if analysis.is_table:
        display = result.display if result.display is not None else result.table
        md, tex = write_table(display, out, analysis.name, caption=caption_for(result, ds))
        written["md"], written["tex"] = md, tex
    if settings.formats:
        from toolkit.plotting import save, style

        with style():
            fig = analysis.render(result, ds)
            for path in save(fig, out, analysis.name, settings.formats):
                written[path.suffix.lstrip(".")] = path
    return written


def main_for(analysis: Analysis, argv: Sequence[str] | None = None) -> int:
    """The ``main()`` of an analysis module: parse arguments, run, report; errors without tracebacks."""
    args = parser_for(analysis).parse_args(argv)
    settings = settings_from_args(args)
    try:
        written = execute(analysis, settings)
    except DataError as exc:
        print(f"analyses.{analysis.name}: error: {exc}", file=sys.stderr)
        return 2
    for kind in sorted(written):
        print(written[kind])
    return 0
