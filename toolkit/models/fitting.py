"""Fitting: :func:`fit` samples a model (or loads it from the posterior cache) and returns a :class:`FitResult`.

Every model of :mod:`toolkit.models` is fitted the same way::

    from toolkit.models import fit, JudgeModel
    result = fit(JudgeModel(), dataset, draws=1000, tune=1000, chains=4, seed=1)
    result.diagnostics.ok            # r-hat <= 1.01, bulk and tail ESS >= 400, no divergences
    result.summaries["raters"]       # tidy table: one row per rater, mean / sd / ci_low / ci_high
    result.ppc()                     # posterior predictive checks (observed vs replicated statistic)

* **Chains** (4 by default) start from dispersed points, so r-hat can detect chains that have not mixed:
  each chain starts halfway between a draw from the prior and the model's reference point (its
  :meth:`~toolkit.models.interface.Model.initvals` hints, else PyMC's support point; scales on the log
  scale, clipped), plus PyMC's uniform jitter on the unconstrained scale; the draws come from the fit's
  seed (see :func:`dispersed_initvals`).
* **Reproducibility**: the same data, model, seed and settings give bit-identical posteriors, whether the
  PyTensor compile cache is cold or warm and whatever ``cores``. Sampling compiles with Numba's fast-math
  flags off (:func:`reproducible_compilation`): with them on, a function compiled in the process and the
  same function loaded from Numba's on-disk cache round differently (~1e-12), which NUTS amplifies into
  different draws, so the first fit after a cold cache differed from every later one.
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
from toolkit.models.saved_fit import read_fit_file, write_fit_file
from toolkit.vocabulary import DEFAULT_SEED

__all__ = [
    "INIT_LOG_CLIP",
    "INIT_PRIOR_WEIGHT",
    "INIT_SCHEMES",
    "SAMPLERS",
    "FitResult",
    "SamplerUnavailableError",
    "available_samplers",
    "check_sampler",
    "dispersed_initvals",
    "fit",
    "load_fit",
    "one_blas_thread",
    "reproducible_compilation",
    "sample_model",
]

#: Samplers :func:`fit` accepts; all but ``pymc`` need the optional ``samplers`` extra (or jax + numpyro).
SAMPLERS = ("pymc", "nutpie", "numpyro")

#: How chains start (:attr:`FitSettings.init <toolkit.models.interface.FitSettings>`): ``"prior"``, dispersed
#: per-chain points (:func:`dispersed_initvals`, the default of the ``pymc`` sampler); ``"jitter"``, PyMC's
#: jitter around the model's ``initvals`` hints; ``"sampler"``, whatever the external sampler does (nutpie and
#: numpyro take no per-chain starting points).
INIT_SCHEMES = ("prior", "jitter", "sampler")

#: Weight of the prior draw in a chain's starting point (the rest is the model's reference point): halfway,
#: so heavy prior tails (HalfNormal, LogNormal, Gamma scales) are tempered while chains stay far apart.
INIT_PRIOR_WEIGHT = 0.5

#: A positive variable starts within a factor ``exp(INIT_LOG_CLIP)`` of its reference value (before PyMC's
#: jitter): a scale drawn near 0 or far in a tail would only slow the warm-up.
INIT_LOG_CLIP = 2.0


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

    def save(self, path: str | os.PathLike) -> Path:
        """Save the fit as one netCDF-4 file that plain ArviZ opens (``az.from_netcdf``); see :func:`load_fit`.

        Examples
        --------
        >>> result = fit("extraction", draws=200, tune=200)  # doctest: +SKIP
        >>> path = result.save("extraction_fit.nc")  # doctest: +SKIP
        >>> load_fit(path).summaries.keys() == result.summaries.keys()  # doctest: +SKIP
        True
        """
        meta = {
            "model": self.model.name,
            "model_version": type(self.model).version,
            "options": self.model.options(),
            "settings": attrs.asdict(self.settings),
            "data_hash": self.data_hash,
            "fit_wall_time": float(self.fit_wall_time),
        }
        return write_fit_file(self.idata, meta, self.summaries, path)

    def with_dataset(self, dataset: Dataset | str | os.PathLike) -> FitResult:
        """This fit with the dataset it was fitted to attached (for :meth:`ppc` after :func:`load_fit`).

        Raises
        ------
        ValueError
            The dataset's hash differs from the fitted data's hash.
        """
        ds = dataset if isinstance(dataset, Dataset) else load_dataset(dataset)
        found = self.model.data_hash(ds)
        if found != self.data_hash:
            raise ValueError(
                f"dataset {ds.path} is not the data this fit was made from (hash {found[:12]}...)"
            )
        return attrs.evolve(self, dataset=ds, data=None)


def load_fit(path: str | os.PathLike) -> FitResult:
    """Load a fit saved by :meth:`FitResult.save`; diagnostics are recomputed with the current bar.

    The model is rebuilt from its name and options; a different model version (its math changed since the
    fit) is a warning, the draws load as saved. Attach the dataset with :meth:`FitResult.with_dataset` to
    run ``ppc()``.

    Raises
    ------
    toolkit.models.saved_fit.SavedFitError
        Not a saved fit of this toolkit (or of another format version).

    Examples
    --------
    >>> result = load_fit("extraction_fit.nc")  # doctest: +SKIP
    >>> result.diagnostics.ok  # doctest: +SKIP
    True
    """
    tree, meta, summaries = read_fit_file(path)
    model = get_model(meta["model"], **meta["options"])
    if type(model).version != meta["model_version"]:
        warnings.warn(
            f"{path}: fitted with {meta['model']} model version {meta['model_version']}; this toolkit has "
            f"version {type(model).version}. The draws load as saved.",
            RuntimeWarning,
            stacklevel=2,
        )
    return _fit_result(
        model, tree, diagnose(tree, model.diagnostic_vars(tree)), summaries, FitSettings(**meta["settings"]),
        meta["data_hash"], wall_time=0.0, fit_wall_time=float(meta["fit_wall_time"]),
    )  # fmt: skip


def _fit_result(
    model: Model, idata: Any, diagnostics: Diagnostics, summaries: dict[str, pd.DataFrame],
    settings: FitSettings, data_hash: str, **rest: Any,
) -> FitResult:  # fmt: skip
    # the one construction of a FitResult: fresh fits, cache hits and saved fits cannot drift apart
    return FitResult(
        model=model, idata=idata, diagnostics=diagnostics, summaries=summaries, settings=settings,
        data_hash=data_hash, **rest,
    )  # fmt: skip


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


@contextlib.contextmanager
def reproducible_compilation() -> Iterator[None]:
    """Compile PyTensor's Numba functions without fast-math flags while the block runs.

    With PyTensor's default fast-math flags (``reassoc``, ``contract``, ``afn``, ...), a function Numba compiles
    in this process and the same function loaded later from Numba's on-disk cache (``<base_compiledir>/numba``)
    give results that differ in the last bits (log density ~1e-12 apart), and NUTS amplifies that into
    different draws: the first fit after a cold compile cache differed from every later (warm) fit with the
    same seed. Strict IEEE arithmetic makes both paths agree bit for bit; it costs no measurable speed on the
    toolkit's models. ``PYTENSOR_FLAGS`` is extended too, so chain processes started with ``spawn`` or
    ``forkserver`` (which recompile the sampler) use the same flag; forked ones inherit it.
    """
    import pytensor  # lazy: importing toolkit.models must not import PyTensor

    flag = "numba__fastmath=False"
    before = os.environ.get("PYTENSOR_FLAGS")
    os.environ["PYTENSOR_FLAGS"] = f"{before},{flag}" if before else flag
    try:
        with pytensor.config.change_flags(numba__fastmath=False):
            yield
    finally:
        if before is None:
            os.environ.pop("PYTENSOR_FLAGS", None)
        else:
            os.environ["PYTENSOR_FLAGS"] = before


def dispersed_initvals(
    pm_model: Any, hints: dict[str, Any] | None = None, weight: float = INIT_PRIOR_WEIGHT
) -> dict[str, Any]:
    """Per-chain dispersed starting points, as PyMC ``initvals`` (symbolic, one expression per free variable).

    Each free variable starts between the model's reference point ``ref`` and a draw ``prior`` from its prior
    (parents drawn first, so hierarchies are coherent): ``ref + weight * (prior - ref)``, or for a positive
    variable (log transform) the same mix on the log scale, its ratio to ``ref`` kept within
    ``exp(+-INIT_LOG_CLIP)`` (HalfNormal draws near 0, LogNormal tails). The reference point is the ``hints``
    (:meth:`Model.initvals <toolkit.models.interface.Model.initvals>`, e.g. the judge model's "raters are
    decent" start), an ``initval`` given in the model, else PyMC's support point. The other supports
    (interval, zero-sum, ordered once the draw is sorted) are convex, so every start is valid. The expressions
    hold random draws: PyMC's initial-point function reseeds them from each chain's seed, so the chains start
    apart yet reproducibly (one compilation for all chains, unlike a list of per-chain dicts).

    Parameters
    ----------
    pm_model : pymc.Model
        The built model.
    hints : dict, optional
        Reference values by variable name.
    weight : float
        Weight of the prior draw (0: every chain starts at the reference point).
    """
    import pytensor.tensor as pt
    from pymc.distributions.transforms import LogTransform, Ordered
    from pymc.initial_point import convert_str_to_rv_dict, make_initial_point_expression

    rvs = list(pm_model.free_RVs)
    transforms = pm_model.rvs_to_transforms
    ref_strategies = {**pm_model.rvs_to_initial_values, **convert_str_to_rv_dict(pm_model, hints or {})}
    refs = make_initial_point_expression(
        free_rvs=rvs, rvs_to_transforms=transforms, initval_strategies=ref_strategies
    )
    # raw draws (no transform round trip, which would turn an unordered draw of an ordered variable into NaN)
    priors = make_initial_point_expression(
        free_rvs=rvs, rvs_to_transforms={}, initval_strategies=dict.fromkeys(rvs, "prior")
    )
    out: dict[str, Any] = {}
    for rv, ref, prior in zip(rvs, refs, priors, strict=True):
        transform = transforms.get(rv)
        if isinstance(transform, Ordered):
            prior = pt.sort(prior, axis=-1)
        if isinstance(transform, LogTransform):
            shift = pt.clip(weight * (pt.log(prior) - pt.log(ref)), -INIT_LOG_CLIP, INIT_LOG_CLIP)
            out[rv.name] = ref * pt.exp(shift)
        else:
            out[rv.name] = ref + weight * (prior - ref)
    return out


def sample_model(
    model: Model,
    data: ModelData,
    settings: FitSettings,
    *,
    cores: int | None = None,
    progressbar: bool = False,
) -> Any:
    """Build the PyMC model and sample it (one BLAS thread per chain); return the DataTree.

    Chains start as ``settings.init`` says (:data:`INIT_SCHEMES`); compilation is reproducible
    (:func:`reproducible_compilation`).
    """
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
    allowed = ("prior", "jitter") if settings.sampler == "pymc" else ("sampler",)
    if settings.init not in allowed:
        raise ValueError(
            f"init={settings.init!r} does not apply to sampler {settings.sampler!r}; use one of {allowed}"
        )
    hints = model.initvals(data)
    if settings.sampler == "pymc":
        kwargs["init"] = "jitter+adapt_diag"  # jitter: PyMC's retry when a start has no finite density
        kwargs["blas_cores"] = n_cores  # PyMC divides this among the workers: 1 thread per chain
    with one_blas_thread(), reproducible_compilation(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*rhat statistic.*")
        warnings.filterwarnings("ignore", message=".*effective sample size.*")
        warnings.filterwarnings("ignore", message=".*running at least 4 chains.*")
        # Python 3.12 warns when forking a process that has threads (e.g. pyarrow's idle pool); the
        # chain workers only run the compiled sampler, so this is benign here.
        warnings.filterwarnings(
            "ignore", message=".*multi-threaded, use of fork.*", category=DeprecationWarning
        )
        with model.build(data) as pm_model:
            if settings.init == "prior":
                kwargs["initvals"] = dispersed_initvals(pm_model, hints)
            elif hints is not None:
                kwargs["initvals"] = hints
            idata = pm.sample(**kwargs)
    return idata


def fit(
    model: Model | str,
    dataset: Dataset | str | os.PathLike | ModelData | None = None,
    *,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    seed: int = DEFAULT_SEED,
    sampler: str = "pymc",
    target_accept: float | None = None,
    init: str | None = None,
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
        Four chains by default: r-hat compares chains, and with dispersed starts four give it a fair chance to
        catch a chain that has not mixed.
    seed : int
        Random seed: the same data, settings and seed give bit-identical draws (cold or warm compile cache,
        any ``cores``).
    sampler : {"pymc", "nutpie", "numpyro"}
        NUTS implementation; ``nutpie`` / ``numpyro`` need the optional packages.
    target_accept : float, optional
        NUTS target acceptance (default: the model's ``default_target_accept``).
    init : {"prior", "jitter", "sampler"}, optional
        How chains start (see :data:`INIT_SCHEMES`; default ``"prior"`` with pymc, ``"sampler"`` otherwise).
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
    if init is None:
        init = "prior" if sampler == "pymc" else "sampler"
    settings = FitSettings(
        draws=int(draws),
        tune=int(tune),
        chains=int(chains),
        seed=int(seed),
        sampler=sampler,
        target_accept=float(target_accept),
        init=init,
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
    result = _fit_result(
        model, idata, diagnostics, summaries, settings, data_hash, wall_time=wall_time,
        fit_wall_time=fit_wall_time, from_cache=cached is not None, cache_path=cache_path, dataset=ds, data=data,
    )  # fmt: skip
    where = f"{model.name} model ({settings.sampler}, {settings.chains} chains x {settings.draws} draws)"
    report(diagnostics, where, strict=strict)
    return result
