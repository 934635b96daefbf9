"""The shared command line and output writing of every analysis module.

Every analysis is ``python -m analyses.<name> [--data DIR] [--out DIR] [--seed N] [--formats png,pdf]
[--no-cache] [--draws N --tune N --chains N]`` and writes ``<name>.csv`` (the plotted/tabulated numbers),
``<name>.json`` (provenance), the figure in each format, and for tables also ``<name>.md`` and ``<name>.tex``.
Analyses compute nothing themselves: ``compute`` calls toolkit functions and returns tidy frames.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import pandas as pd

from toolkit.dataset import Dataset, load_dataset
from toolkit.jsonl import DataError
from toolkit.outputs import provenance, write_csv, write_json, write_table
from toolkit.plotting import SIMULATED_NOTE
from toolkit.stages import SAMPLING_UNITS, STAGE_ITEMS, resampled_unit

__all__ = ["DEFAULT_OUT", "DEFAULT_SEED", "RESAMPLE_CHOICES", "Settings", "Result", "Link", "Analysis", "parser_for", "settings_from_args", "resampling_record", "caption_for", "footer_text", "execute", "main_for", "fit_model", "model_record", "fit_warnings", "model_settings", "interval_level", "pct"]

DEFAULT_OUT = Path("paper_figures")
DEFAULT_SEED = 20260606
#: ``--resample``: the sampling unit of each stage (users, user-prompt pairs, responses) or the items.
RESAMPLE_CHOICES = ("unit", "item")
#: Captions' words for the resampled columns.
UNIT_WORDS = {"user_id": "users", "pair_id": "user-prompt pairs", "personalized_response_id": "responses",
              "attribute_id": "attributes", "item_id": "items", "cell": "rated cells"}


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
    chains: int = 4
    n_boot: int = 1000
    #: What the bootstraps resample: ``"unit"`` (each stage's sampling unit, :data:`toolkit.stages.SAMPLING_UNITS`)
    #: or ``"item"`` (the items, as before: attributes, relevance items, rated cells; Fisher-z correlations).
    resample: str = attrs.field(default="unit", validator=attrs.validators.in_(RESAMPLE_CHOICES))

    def clusters(self, stage: str) -> str | None:
        """The ``clusters=`` of a stage statistic (``"extraction"``, ``"relevance"``, ``"rating"``): the stage's
        sampling unit, or ``None`` (items) with ``resample="item"``."""
        return SAMPLING_UNITS[stage] if self.resample == "unit" else None

    def unit(self, stage: str) -> str:
        """The ``resampled_unit`` column entry of a stage statistic's rows under these settings."""
        return resampled_unit(self.clusters(stage), item=STAGE_ITEMS[stage], n_boot=self.n_boot)

    def unit_words(self, stage: str) -> str:
        """``"user-prompt pairs"``, ``"items"``...: what a stage's bootstrap resamples, for captions."""
        column = self.clusters(stage) or STAGE_ITEMS[stage]
        return UNIT_WORDS.get(column, column)

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
    footnote : str
        Method notes for the figure footer (the data source and the simulated notice are added by
        :func:`execute`).
    warnings : tuple of str
        Problems a reader must see (e.g. a model fit that missed the convergence bar): written in the figure
        footer, the table caption and the provenance JSON.
    """

    table: pd.DataFrame
    caption: str
    settings: dict[str, Any] = attrs.field(factory=dict)
    display: pd.DataFrame | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)
    footnote: str = ""
    warnings: tuple[str, ...] = ()


@attrs.frozen
class Link:
    """Where a published number is regenerated: rows of ``<analysis>.csv`` matching ``filters``.

    Each analysis declares the published numbers it regenerates (``Analysis.published``: key of
    ``analyses/reference/published.json`` -> link); :mod:`analyses.report` puts them side by side.

    Attributes
    ----------
    filters : mapping
        Column -> value; exactly one row must match.
    model : mapping or None
        Filters of the row with the model-based estimate of the same quantity, if any.
    complement : bool
        Report ``1 - value`` (e.g. the share rated no better from the share rated better).
    mean_of_rows : bool
        ``filters`` match several rows (e.g. every reward model); report the mean of their values (no
        interval) and list the rows in the note.
    note : str
        What exactly is compared.
    """

    filters: Mapping[str, Any]
    model: Mapping[str, Any] | None = None
    complement: bool = False
    mean_of_rows: bool = False
    note: str = ""


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
    #: Names of the toolkit.models models the analysis fits.
    models: tuple[str, ...] = ()
    #: Width of the figure in inches (a paper's column or text width); the saved image keeps it exactly.
    width: float | None = None
    #: The published numbers this analysis regenerates: key of the reference file -> where in its CSV.
    published: Mapping[str, Link] = attrs.field(factory=dict)


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
    p.add_argument("--chains", type=int, default=Settings().chains, help="chains (model-based analyses)")
    p.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples for intervals")
    p.add_argument("--resample", choices=RESAMPLE_CHOICES, default="unit",
                   help="what bootstrap intervals resample: each stage's sampling unit (users, user-prompt pairs, "
                        "responses; default) or the items (the earlier item bootstrap)")
    return p


def settings_from_args(args: argparse.Namespace) -> Settings:
    formats = tuple(f.strip().lower() for f in args.formats.split(",") if f.strip())
    bad = [f for f in formats if f not in ("png", "pdf", "svg")]
    if bad:
        raise SystemExit(f"error: unknown figure format(s) {bad}; choose from png, pdf, svg")
    return Settings(
        data=args.data, out=args.out, seed=args.seed, formats=formats, cache=not args.no_cache,
        draws=args.draws, tune=args.tune, chains=args.chains, n_boot=args.n_boot, resample=args.resample,
    )


def resampling_record(table: pd.DataFrame, settings: Settings) -> dict[str, Any]:
    """The provenance of an output's bootstrap intervals: the ``--resample`` setting, each stage's unit under it,
    and the units its CSV's ``resampled_unit`` column names (``"none"``: an interval that is not a bootstrap)."""
    units = table["resampled_unit"].dropna().astype(str) if "resampled_unit" in table.columns else pd.Series([], dtype=str)
    return {
        "resample": settings.resample,
        "stage_units": {stage: settings.clusters(stage) or "item" for stage in SAMPLING_UNITS},
        "resampled_units": sorted(set(units)),
    }


def caption_for(result: Result, ds: Dataset) -> str:
    prefix = f"{SIMULATED_NOTE}. " if ds.is_simulated else ""
    warn = "".join(f" WARNING: {w}" for w in result.warnings)
    return f"{prefix}{result.caption} Data: {ds.name} ({ds.provenance}).{warn}"


def footer_text(result: Result, ds: Dataset) -> str:
    note = f" {result.footnote}" if result.footnote else ""
    return f"Data: {ds.name} ({ds.provenance}).{note}"


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
    meta["warnings"] = list(result.warnings)
    meta["resampling"] = resampling_record(result.table, settings)
    written["json"] = write_json(meta, out / f"{analysis.name}.json")
    if analysis.is_table:
        display = result.display if result.display is not None else result.table
        md, tex = write_table(display, out, analysis.name, caption=caption_for(result, ds))
        written["md"], written["tex"] = md, tex
    if settings.formats:
        from toolkit.plotting import footer, save, style

        with style():
            fig = analysis.render(result, ds)
            if analysis.width is not None:
                got = float(fig.get_size_inches()[0])
                if abs(got - analysis.width) > 1e-6:
                    raise AssertionError(f"{analysis.name} drew a {got:.2f} in wide figure, declared {analysis.width}")
            footer(fig, footer_text(result, ds), simulated=ds.is_simulated, notes=result.warnings)
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
    except ValueError as exc:  # data the statistics or models cannot use (e.g. no human ratings at all)
        print(f"analyses.{analysis.name}: error: the data cannot support this analysis: {exc}", file=sys.stderr)
        return 2
    for kind in sorted(written):
        print(written[kind])
    return 0


# ------------------------------------------------------------------------------------------------------
# Model fits shared by the model-based analyses
# ------------------------------------------------------------------------------------------------------

_FITS: dict[tuple[Any, ...], Any] = {}


def fit_model(name: str, ds: Dataset, settings: Settings, **options: Any) -> Any:
    """Fit (or load from the posterior cache) a :mod:`toolkit.models` model with the run's settings.

    Fits are also kept in memory for the process, so the all-in-one run fits each model once. A fit that
    misses the convergence bar is returned (not raised): :func:`model_record` and :func:`fit_warnings`
    put the verdict in the provenance JSON and the figure footer.
    """
    from toolkit.models import ConvergenceWarning, fit, get_model

    model = get_model(name, **options)
    key = (name, tuple(sorted(options.items())), str(ds.path), ds.manifest_sha256,
           tuple(sorted(settings.fit_kwargs().items())))
    if key not in _FITS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # reported by fit_warnings, not as a warning
            _FITS[key] = fit(model, ds, **settings.fit_kwargs())
    return _FITS[key]


def model_record(result: Any) -> dict[str, Any]:
    """The provenance of a fit: model name, version, options, sampler settings, convergence diagnostics.

    Timings and cache state are left out so that the JSON is identical for a cold and a warm run.
    """
    d = result.diagnostics
    return {
        "model": result.model.name,
        "model_version": result.model.version,
        "model_options": result.model.options(),
        "sampler": attrs.asdict(result.settings),
        "data_hash": result.data_hash,
        "interval_level": interval_level(result),
        "converged": bool(d.ok),
        "diagnostics": {
            "max_r_hat": d.max_r_hat, "min_ess_bulk": d.min_ess_bulk, "min_ess_tail": d.min_ess_tail,
            "divergences": d.divergences, "worst_r_hat": d.worst_r_hat, "worst_ess": d.worst_ess,
            "message": d.message,
        },
    }


def fit_warnings(*results: Any) -> tuple[str, ...]:
    """One line per fit that missed the convergence bar (for the figure footer and the JSON)."""
    out = []
    for r in results:
        d = r.diagnostics
        if not d.ok:
            div = f"{d.divergences} divergent transition{'' if d.divergences == 1 else 's'}"
            out.append(
                f"The {r.model.name} model did not converge (max r-hat {d.max_r_hat:.3f}, min bulk ESS "
                f"{d.min_ess_bulk:.0f}, min tail ESS {d.min_ess_tail:.0f}, {div}): treat its intervals as "
                "unreliable."
            )
    return tuple(out)


def model_settings(settings: Settings, *results: Any, **extra: Any) -> dict[str, Any]:
    """The ``settings`` block of a model-based analysis' provenance."""
    return {
        **extra,
        "models": [model_record(r) for r in results],
        "converged": all(r.diagnostics.ok for r in results),
        "n_boot": settings.n_boot,
    }


def interval_level(result: Any) -> float:
    """Probability mass of the credible intervals in a fit's summaries (the model module's ``CI_PROB``,
    else the project-wide :data:`toolkit.models.CI_PROB`)."""
    from toolkit.models import CI_PROB

    module = importlib.import_module(type(result.model).__module__)
    return float(getattr(module, "CI_PROB", CI_PROB))


def pct(level: float) -> str:
    """``0.95 -> "95%"``."""
    return f"{100 * level:.0f}%"
