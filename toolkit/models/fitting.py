"""Fitting: :func:`fit` samples a model (or loads it from the posterior cache) and returns a :class:`FitResult`.

Every model of :mod:`toolkit.models` is fitted the same way::

    from toolkit.models import fit, JudgeModel
    result = fit(JudgeModel(), dataset, draws=1000, tune=1000, chains=2, seed=1)
    result.diagnostics.ok            # r-hat <= 1.01, bulk and tail ESS >= 400, no divergences
    result.summaries["raters"]       # tidy table: one row per rater, mean / sd / ci_low / ci_high
    result.ppc()                     # posterior predictive checks (observed vs replicated statistic)

* **BLAS threads**: sampling runs inside ``threadpoolctl.threadpool_limits(1)`` and with PyMC's
  ``blas_cores`` = number of parallel chains, so each chain uses one BLAS thread (forked chain processes
  inherit the parent's limit; spawned/forkserver ones get PyMC's per-worker limit).
* **Convergence** is checked by :func:`toolkit.models.diagnostics.diagnose` on every fit, fresh or cached,
  and reported by :func:`toolkit.models.diagnostics.report` (a warning with the remedy, or an error with
  ``strict=True``).
* **Cache**: see :mod:`toolkit.models.posterior_cache`; ``fit(..., cache=False)`` bypasses it.
* **PyMC is imported lazily**, only inside :func:`sample_model` (and the models' ``build``); importing this
  module imports numpy, pandas, attrs and threadpoolctl only.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from toolkit.dataset import Dataset, load_dataset
from toolkit.models.diagnostics import Diagnostics, diagnose, report
from toolkit.models.interface import FitSettings, Model, ModelData, get_model
from toolkit.models.posterior_cache import CachedFit, cache_key, entry_path, load, root_dir, store
from toolkit.vocabulary import DEFAULT_SEED

__all__ = [
    "SAMPLERS",
    "FitResult",
    "SamplerUnavailableError",
    "available_samplers",
    "check_sampler",
    "fit",
    "one_blas_thread",
    "sample_model",
]

#: Samplers :func:`fit` accepts; all but ``pymc`` need the optional ``samplers`` extra (or jax + numpyro).
SAMPLERS = ("pymc", "nutpie", "numpyro")


class SamplerUnavailableError(ImportError):
    """The requested sampler's package is not installed."""


@attrs.define
class FitResult:
    """A fitted model: the ArviZ posterior, diagnostics and tidy summaries.

    Attributes
    ----------
    model : Model
        The fitted model (with its options).
    idata : xarray.DataTree
        ArviZ posterior (groups ``posterior``, ``sample_stats``, ``observed_data``, ...).
    diagnostics : Diagnostics
        Convergence diagnostics and verdict.
    summaries : dict of str to DataFrame
        Tidy tables with ``mean, sd, ci_low, ci_high`` (95% equal-tailed intervals).
    settings : FitSettings
        Sampler settings.
    data_hash : str
        Hash of the data the model was fitted to (see :meth:`Model.data_hash`).
    wall_time : float
        Seconds this call took (a cache hit is the load time).
    fit_wall_time : float
        Seconds the original (cold) fit took: compile + sampling + summaries.
    from_cache : bool
        Whether the result was loaded from the cache.
    cache_path : Path or None
        The cache entry (None when caching was off or failed).
    """

    model: Model
    idata: Any
    diagnostics: Diagnostics
    summaries: dict[str, pd.DataFrame]
    settings: FitSettings
    data_hash: str
    wall_time: float
    fit_wall_time: float
    from_cache: bool = False
    cache_path: Path | None = None
    _dataset: Dataset | None = attrs.field(default=None, repr=False)
    _data: ModelData | None = attrs.field(default=None, repr=False)

    @property
    def model_name(self) -> str:
        """The fitted model's ``name``."""
        return self.model.name

    @property
    def data(self) -> ModelData:
        """The prepared data (prepared on first access for a cached result)."""
        if self._data is None:
            if self._dataset is None:
                raise ValueError("this result holds no dataset to prepare the data from")
            self._data = self.model.prepare(self._dataset)
        return self._data

    @property
    def ess_per_second(self) -> float:
        """Minimum bulk ESS per second of the cold fit's wall time (compile included)."""
        return self.diagnostics.min_ess_bulk / self.fit_wall_time if self.fit_wall_time > 0 else float("nan")

    def ppc(self, rng: np.random.Generator | int | None = None) -> pd.DataFrame:
        """The model's posterior predictive checks on this fit (see :meth:`Model.ppc`)."""
        return self.model.ppc(self.idata, self.data, np.random.default_rng(rng))

    def __getitem__(self, table: str) -> pd.DataFrame:
        return self.summaries[table]


def check_sampler(sampler: str) -> None:
    """Raise when ``sampler`` is not one of :data:`SAMPLERS` or its packages are not installed.

    Raises
    ------
    ValueError
        An unknown sampler.
    SamplerUnavailableError
        A known sampler whose optional packages are missing (the message says how to install them).
    """
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler must be one of {SAMPLERS}, got {sampler!r}")
    needs = {"nutpie": ("nutpie",), "numpyro": ("jax", "numpyro")}.get(sampler, ())
    missing = [m for m in needs if importlib.util.find_spec(m) is None]
    if missing:
        hint = (
            "pip install 'recenter-toolkit[samplers]'" if sampler == "nutpie" else "pip install jax numpyro"
        )
        raise SamplerUnavailableError(
            f"sampler {sampler!r} needs {', '.join(missing)} (not installed): {hint}"
        )


def available_samplers() -> list[str]:
    """The samplers usable in this environment."""
    out = []
    for s in SAMPLERS:
        try:
            check_sampler(s)
        except SamplerUnavailableError:
            continue
        out.append(s)
    return out


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Limit every BLAS / OpenMP pool of this process to one thread while the block runs."""
    with threadpool_limits(limits=1):
        yield


def sample_model(
    model: Model,
    data: ModelData,
    settings: FitSettings,
    *,
    cores: int | None = None,
    progressbar: bool = False,
) -> Any:
    """Build the PyMC model and sample it (one BLAS thread per chain); return the DataTree."""
    import pymc as pm  # lazy: importing toolkit.models must not import PyMC

    check_sampler(settings.sampler)
    n_cores = min(settings.chains, cores or os.cpu_count() or 1)
    kwargs: dict[str, Any] = {
        "draws": settings.draws,
        "tune": settings.tune,
        "chains": settings.chains,
        "cores": n_cores,
        "random_seed": settings.seed,
        "progressbar": progressbar,
        "quiet": not progressbar,
        "nuts_sampler": settings.sampler,
        "compute_convergence_checks": False,  # we run our own, see diagnose()
        "nuts": {"target_accept": settings.target_accept},
    }
    init = model.initvals(data)
    if init is not None:
        kwargs["initvals"] = init
    if settings.sampler == "pymc":
        kwargs["blas_cores"] = n_cores  # PyMC divides this among the workers: 1 thread per chain
    with one_blas_thread(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*rhat statistic.*")
        warnings.filterwarnings("ignore", message=".*effective sample size.*")
        warnings.filterwarnings("ignore", message=".*running at least 4 chains.*")
        # Python 3.12 warns when forking a process that has threads (e.g. pyarrow's idle pool); the
        # chain workers only run the compiled sampler, so this is benign here.
        warnings.filterwarnings(
            "ignore", message=".*multi-threaded, use of fork.*", category=DeprecationWarning
        )
        with model.build(data):
            idata = pm.sample(**kwargs)
    return idata


def fit(
    model: Model | str,
    dataset: Dataset | str | os.PathLike | ModelData | None = None,
    *,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 2,
    seed: int = DEFAULT_SEED,
    sampler: str = "pymc",
    target_accept: float | None = None,
    cache: bool = True,
    cache_root: str | os.PathLike | None = None,
    cores: int | None = None,
    progressbar: bool = False,
    strict: bool = False,
) -> FitResult:
    """Fit a model to a dataset (or load the fit from the cache) and check convergence.

    Parameters
    ----------
    model : Model or str
        A model instance or its name (``"judge"``, ``"extraction"``, ...; see :func:`get_model`).
    dataset : Dataset, path, ModelData or None
        The data (default: the bundled simulated sample). A :class:`ModelData` is fitted as is (its
        ``hash`` is the data hash).
    draws, tune, chains : int
        Posterior draws and tuning steps per chain; number of chains (run in parallel on up to ``cores``).
    seed : int
        Random seed (the fit is reproducible given the seed and sampler).
    sampler : {"pymc", "nutpie", "numpyro"}
        NUTS implementation; ``nutpie`` / ``numpyro`` need the optional packages.
    target_accept : float, optional
        NUTS target acceptance (default: the model's ``default_target_accept``).
    cache : bool
        Read and write the on-disk cache (``False``: always refit, store nothing).
    cache_root : path, optional
        Cache folder (default: ``$RECENTER_CACHE_DIR`` or ``~/.cache/recenter-toolkit``).
    cores : int, optional
        Chains run in parallel (default: all CPUs, at most ``chains``).
    progressbar : bool
        Show PyMC's progress bar.
    strict : bool
        Raise :class:`~toolkit.models.diagnostics.ConvergenceError` instead of warning when the convergence
        bar is missed.

    Returns
    -------
    FitResult

    Warns
    -----
    ConvergenceWarning
        When r-hat > 1.01, bulk or tail ESS < 400 or any divergence; the message names the remedy.
    """
    t0 = time.perf_counter()
    if isinstance(model, str):
        model = get_model(model)
    if target_accept is None:
        target_accept = model.default_target_accept
    check_sampler(sampler)
    settings = FitSettings(
        draws=int(draws),
        tune=int(tune),
        chains=int(chains),
        seed=int(seed),
        sampler=sampler,
        target_accept=float(target_accept),
    )
    ds: Dataset | None = None
    data: ModelData | None = None
    if isinstance(dataset, ModelData):
        data = dataset
        data_hash = data.hash
    else:
        ds = dataset if isinstance(dataset, Dataset) else load_dataset(dataset)
        data_hash = model.data_hash(ds)

    entry: Path | None = None
    cached: CachedFit | None = None
    if cache:
        entry = entry_path(root_dir(cache_root), model, cache_key(model, data_hash, settings))
        if (entry / "meta.json").exists():
            try:
                cached = load(entry, model)
            except Exception as exc:  # corrupted / foreign entry: refit, never crash
                warnings.warn(
                    f"cache entry {entry} is unreadable ({type(exc).__name__}: {exc}); refitting",
                    RuntimeWarning,
                    stacklevel=2,
                )
                shutil.rmtree(entry, ignore_errors=True)

    if cached is not None:
        idata, diagnostics, summaries = cached.idata, cached.diagnostics, cached.summaries
        wall_time, fit_wall_time, cache_path = time.perf_counter() - t0, cached.fit_wall_time, entry
    else:
        if data is None:
            assert ds is not None
            data = model.prepare(ds)
        idata = sample_model(model, data, settings, cores=cores, progressbar=progressbar)
        diagnostics = diagnose(idata, model.diagnostic_vars(idata))
        summaries = model.summarize(idata, data)
        wall_time = fit_wall_time = time.perf_counter() - t0
        cache_path = None
        if entry is not None:
            try:
                store(
                    entry,
                    model=model,
                    settings=settings,
                    data_hash=data_hash,
                    idata=idata,
                    diagnostics=diagnostics,
                    summaries=summaries,
                    fit_wall_time=fit_wall_time,
                )
                cache_path = entry
            except Exception as exc:  # a full disk or an odd dtype must not lose the fit
                warnings.warn(
                    f"could not cache the fit at {entry}: {type(exc).__name__}: {exc}",
                    RuntimeWarning,
                    stacklevel=2,
                )
    result = FitResult(
        model=model,
        idata=idata,
        diagnostics=diagnostics,
        summaries=summaries,
        settings=settings,
        data_hash=data_hash,
        wall_time=wall_time,
        fit_wall_time=fit_wall_time,
        from_cache=cached is not None,
        cache_path=cache_path,
        dataset=ds,
        data=data,
    )
    where = f"{model.name} model ({settings.sampler}, {settings.chains} chains x {settings.draws} draws)"
    report(diagnostics, where, strict=strict)
    return result
