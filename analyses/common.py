"""The shared command line and output writing of every analysis module.

Every analysis is ``python -m analyses.<name> [--data DIR] [--out DIR] [--seed N] [--formats png,pdf]
[--no-cache] [--draws N --tune N --chains N]`` and writes ``<name>.csv`` (the plotted/tabulated numbers),
``<name>.json`` (provenance), the figure in each format, and for tables also ``<name>.md`` and ``<name>.tex``.
Analyses compute nothing themselves: ``compute`` calls toolkit functions and returns tidy frames.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import importlib.metadata
import json
import os
import shutil
import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import pandas as pd

from toolkit.atomic import write_bytes
from toolkit.cache import cache_dir
from toolkit.dataset import Dataset, file_sha256, load_dataset
from toolkit.jsonl import DataError
from toolkit.outputs import provenance, write_csv, write_json, write_table
from toolkit.plotting import SIMULATED_NOTE
from toolkit.stages import SAMPLING_UNITS, STAGE_ITEMS, resampled_unit

__all__ = ["BROKEN_PIPE_EXIT", "DEFAULT_OUT", "DEFAULT_SEED", "FORMATS", "SAMPLERS", "RESAMPLE_CHOICES", "Settings", "Result", "Link", "Analysis", "parser_for", "settings_from_args", "resampling_record", "caption_for", "footer_text", "execute", "main_for", "OUTPUTS_AREA", "OUTPUTS_KEPT", "output_key", "fit_model", "model_record", "fit_warnings", "model_settings", "interval_level", "pct"]

DEFAULT_OUT = Path("paper_figures")
DEFAULT_SEED = 20260606
#: Exit status when the reader of stdout went away (128 + SIGPIPE), as ``recenter`` (:mod:`toolkit.cli`).
BROKEN_PIPE_EXIT = 141
#: ``--formats``: the figure formats matplotlib writes without extra packages.
FORMATS = ("png", "pdf", "svg")
#: ``--sampler``: the NUTS implementations of :func:`toolkit.models.fit` (its ``SAMPLERS``, kept here so that
#: parsing the command line does not import the PyMC layer).
SAMPLERS = ("pymc", "nutpie", "numpyro")
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
    #: NUTS implementation (:data:`toolkit.models.fitting.SAMPLERS`); ``nutpie``/``numpyro`` need their packages.
    sampler: str = attrs.field(default="pymc", validator=attrs.validators.in_(SAMPLERS))
    #: PyMC's progress bar during fits: ``None`` shows it when stderr is a terminal (not part of any cache key).
    progress: bool | None = None
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
        progressbar = sys.stderr.isatty() if self.progress is None else self.progress
        return {"draws": self.draws, "tune": self.tune, "chains": self.chains, "seed": self.seed, "cache": self.cache,
                "sampler": self.sampler, "progressbar": bool(progressbar)}

    def model_settings(self) -> dict[str, Any]:
        return {"draws": self.draws, "tune": self.tune, "chains": self.chains, "sampler": self.sampler}


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
    p.add_argument("--formats", type=_formats, default="png,pdf",
                   help=f"comma-separated figure formats among {', '.join(FORMATS)} (default: png,pdf; '' for none)")
    p.add_argument("--no-cache", action="store_true",
                   help="recompute: refit models instead of using cached posteriors, redraw instead of copying the "
                        "cached outputs of an unchanged model-free run")
    p.add_argument("--draws", type=int, default=1000, help="posterior draws per chain (model-based analyses)")
    p.add_argument("--tune", type=int, default=1000, help="tuning steps per chain (model-based analyses)")
    p.add_argument("--chains", type=_positive, default=Settings().chains, help="chains (model-based analyses)")
    p.add_argument("--sampler", choices=SAMPLERS, default="pymc",
                   help="NUTS implementation (model-based analyses; nutpie/numpyro need their packages)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bars on stderr: the sampler's, and one step per analysis in the all-in-one run "
                        "(default: when stderr is a terminal)")
    p.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples for intervals")
    p.add_argument("--resample", choices=RESAMPLE_CHOICES, default="unit",
                   help="what bootstrap intervals resample: each stage's sampling unit (users, user-prompt pairs, "
                        "responses; default) or the items (the earlier item bootstrap)")
    return p


def _formats(text: str) -> tuple[str, ...]:
    """``--formats``: a usage error (exit 2) names the unknown formats."""
    formats = tuple(f.strip().lower() for f in text.split(",") if f.strip())
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise argparse.ArgumentTypeError(f"unknown figure format(s) {', '.join(bad)}; choose from {', '.join(FORMATS)}")
    return formats


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def settings_from_args(args: argparse.Namespace) -> Settings:
    """The :class:`Settings` of parsed arguments (:func:`parser_for`)."""
    formats = args.formats if isinstance(args.formats, tuple) else _formats(args.formats)
    return Settings(
        data=args.data, out=args.out, seed=args.seed, formats=formats, cache=not args.no_cache,
        draws=args.draws, tune=args.tune, chains=args.chains, n_boot=args.n_boot, resample=args.resample,
        sampler=getattr(args, "sampler", "pymc"), progress=getattr(args, "progress", None),
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
    """The ``main()`` of an analysis module: parse arguments, run, report; errors without tracebacks.

    A run without a model whose inputs were seen before (same data files, settings, toolkit sources, library
    versions and matplotlib rcParams: :func:`output_key`) copies its byte-identical outputs from the cache
    (area ``outputs``) instead of computing and drawing again; ``--no-cache`` recomputes.
    """
    args = parser_for(analysis).parse_args(argv)
    settings = settings_from_args(args)
    try:
        ds = load_dataset(settings.data)
        key = output_key(analysis, settings, ds)
        written = _cached_outputs(key, settings.out) if key else None
        if written is None:
            written = execute(analysis, settings, ds)
            if key:
                _store_outputs(key, written)
    except DataError as exc:
        print(f"analyses.{analysis.name}: error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:  # data the statistics or models cannot use (e.g. no human ratings at all)
        print(f"analyses.{analysis.name}: error: the data cannot support this analysis: {exc}", file=sys.stderr)
        return 2
    try:
        for kind in sorted(written):
            print(written[kind])
        sys.stdout.flush()
    except BrokenPipeError:  # `python -m analyses.figure3 | head -1`: end quietly, as toolkit.cli does
        try:  # stdout -> /dev/null, so that the interpreter's exit flush cannot raise again
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return BROKEN_PIPE_EXIT
    return 0


#: Cache area of rendered outputs (:func:`output_key`).
OUTPUTS_AREA = "outputs"
#: Libraries whose version can change an output's numbers or pixels.
_OUTPUT_LIBRARIES = ("numpy", "pandas", "scipy", "matplotlib", "pyarrow", "pillow", "fonttools")


def output_key(analysis: Analysis, settings: Settings, ds: Dataset) -> str | None:
    """The content key of an analysis' outputs, or ``None`` when they are not cached.

    Everything the written files depend on enters it: the analysis and its settings (``--out`` and
    ``--progress`` excepted), the dataset folder, manifest and the bytes of every record file the analysis
    reads, the project code it runs (:func:`_source_fingerprint`), the versions of
    Python and the numerical and drawing libraries, and matplotlib's rcParams. Model-based analyses are not
    cached here (their fits are, in the posterior cache), nor runs with ``--no-cache``.
    """
    if analysis.uses_model or not settings.cache:
        return None
    import matplotlib  # rcParams (a user's matplotlibrc) change the pixels; the core import is cheap

    fields = attrs.asdict(settings)
    for volatile in ("out", "progress", "data"):
        fields.pop(volatile)
    parts = {
        "analysis": analysis.name,
        "settings": {k: str(v) for k, v in fields.items()},
        "data": [str(ds.path.resolve()), ds.manifest_sha256,
                 *(f"{n}:{file_sha256(ds.file(n))}" for n in sorted(analysis.needs) if ds.has(n))],
        "sources": _source_fingerprint(),
        "python": sys.version,
        "libraries": [_version(lib) for lib in _OUTPUT_LIBRARIES],
        "rc": repr(sorted((k, repr(v)) for k, v in matplotlib.rcParams.items())),
    }
    return f"{analysis.name}-{hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()}"


def _version(dist: str) -> str:
    try:
        return f"{dist}=={importlib.metadata.version(dist)}"
    except importlib.metadata.PackageNotFoundError:
        return f"{dist} absent"


def _source_fingerprint() -> str:
    """SHA-256 of the project code an analysis can run: every loaded module of ``schemas``, ``toolkit`` and
    ``analyses``, and every ``.json`` file of theirs (not the bundled datasets).

    The loaded modules are all of it: the house rules (``tests/test_architecture.py``) allow function-local
    imports of project modules only for the PyMC layer, which the cached (model-free) analyses never run, so
    a model-free analysis has imported every project module it executes by the time it is run. Editing any
    other module (a model, the validator) therefore keeps the cached outputs.
    """
    root = Path(__file__).resolve().parents[1]
    files = {Path(m.__file__).resolve() for m in list(sys.modules.values()) if getattr(m, "__file__", None)}
    files |= {p for pkg in ("schemas", "toolkit", "analyses") for p in (root / pkg).rglob("*.json")}
    digest = hashlib.sha256()
    for path in sorted(files):
        try:
            rel = path.relative_to(root)
        except ValueError:
            continue  # a library: its version is in the key
        if rel.parts[0] in ("schemas", "toolkit", "analyses") and rel.parts[:2] != ("toolkit", "data"):
            digest.update(f"{rel.as_posix()}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


#: Cached output sets kept per analysis (the most recently written; older ones are removed when one is added).
OUTPUTS_KEPT = 8


def _entry(key: str) -> Path:
    return cache_dir() / OUTPUTS_AREA / key


def _cached_outputs(key: str, out: Path) -> dict[str, Path] | None:
    """Copy the outputs stored under ``key`` into ``out``; ``None`` when absent or not intact (recompute)."""
    entry = _entry(key)
    try:
        index = json.loads((entry / "index.json").read_text(encoding="utf-8"))
        blobs = {kind: (item["name"], (entry / kind).read_bytes()) for kind, item in index.items()}
        if any(hashlib.sha256(data).hexdigest() != index[kind]["sha256"] for kind, (_, data) in blobs.items()):
            return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return {kind: write_bytes(Path(out) / name, data) for kind, (name, data) in blobs.items()}


def _store_outputs(key: str, written: Mapping[str, Path]) -> None:
    """Keep a copy of ``written`` under ``key`` (index last, so a half-stored entry is never served); drop the
    analysis' entries beyond the :data:`OUTPUTS_KEPT` most recent."""
    entry = _entry(key)
    try:
        index = {}
        for kind, path in written.items():
            data = Path(path).read_bytes()
            write_bytes(entry / kind, data)
            index[kind] = {"name": Path(path).name, "sha256": hashlib.sha256(data).hexdigest()}
        write_bytes(entry / "index.json", json.dumps(index, sort_keys=True).encode())
        analysis = key.split("-", 1)[0]
        entries = sorted(entry.parent.glob(f"{analysis}-*/index.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[OUTPUTS_KEPT:]:
            shutil.rmtree(old.parent, ignore_errors=True)
    except OSError:
        pass  # a read-only or full cache only costs speed next time


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
