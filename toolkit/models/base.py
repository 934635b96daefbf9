"""Common interface of the Bayesian models: :func:`fit`, :class:`FitResult`, the :class:`Model` base class.

Every model of :mod:`toolkit.models` is fitted the same way::

    from toolkit.models import fit, JudgeModel
    result = fit(JudgeModel(), dataset, draws=1000, tune=1000, chains=2, seed=1)
    result.diagnostics.ok            # r-hat <= 1.01, bulk ESS >= 400, no divergences
    result.summaries["raters"]       # tidy table: one row per rater, mean / sd / ci_low / ci_high
    result.ppc()                     # posterior predictive checks (observed vs replicated statistic)

Conventions (project-wide)
--------------------------
* **Intervals** are 95% equal-tailed credible intervals (2.5% and 97.5% posterior quantiles), columns
  ``ci_low`` / ``ci_high`` in every summary table (:data:`CI_PROB`). Equal-tailed rather than HDI because
  they are invariant under monotone transforms (a sensitivity's interval is the logistic of its logit's
  interval) and are what parameter-recovery coverage is defined for.
* **Convergence bar** (:data:`R_HAT_MAX`, :data:`ESS_BULK_MIN`): rank-normalised split r-hat <= 1.01 and bulk
  ESS >= 400 for every scalar of every posterior variable, and zero divergent transitions (Vehtari et al.
  2021). A fit that misses the bar emits a :class:`ConvergenceWarning` naming the worst parameter and the
  remedy (``strict=True`` raises :class:`ConvergenceError` instead).
* **BLAS threads**: sampling runs inside ``threadpoolctl.threadpool_limits(1)`` and with PyMC's
  ``blas_cores`` = number of parallel chains, so each chain uses one BLAS thread (forked chain processes
  inherit the parent's limit; spawned/forkserver ones get PyMC's per-worker limit).
* **PyMC is imported lazily**, only inside :func:`fit` / :meth:`Model.build`; importing this module (or
  :mod:`toolkit.models`) imports numpy, pandas and attrs only.

Cache
-----
A fit is stored under ``$RECENTER_CACHE_DIR`` (default ``~/.cache/recenter-toolkit``) in
``models/<model name>/<key>/``, where ``key`` is the SHA-256 of (data hash, model name, model version, model
options, draws, tune, chains, seed, sampler, target_accept). The *data hash* is the SHA-256 of the bytes of
the record files the model reads (:attr:`Model.records`), so editing an unrelated file of the dataset does
not invalidate a fit, and a dataset without a manifest is hashed the same way. An entry holds each ArviZ
group as a NetCDF-3 file (``groups/<group>.nc``, written with the scipy engine because no NetCDF-4 library
is a dependency; attributes are kept as JSON), each summary table as Parquet (exact float round trip) and
``meta.json`` (diagnostics, settings, timings, versions). Entries are written to a temporary folder and
renamed into place, so concurrent fits never see half an entry; an unreadable entry is reported, deleted and
refitted, never a crash. ``fit(..., cache=False)`` bypasses the cache.

Adding a model
--------------
Subclass :class:`Model` (an attrs class whose fields are the model's options), set ``name``, ``version``
and ``records``, implement :meth:`~Model.prepare`, :meth:`~Model.build`, :meth:`~Model.summarize` and
:meth:`~Model.ppc`, and put it in ``toolkit/models/<name>.py``: :func:`get_model` finds it by ``name``
(known module names are listed in ``toolkit.models.MODEL_MODULES``). Bump ``version`` whenever the model's
math or its summaries change, so stale cache entries are not reused.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import logging
import os
import shutil
import tempfile
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
import numpy as np
import pandas as pd

import toolkit
from toolkit.cache import CACHE_ENV, cache_dir  # noqa: F401 - CACHE_ENV re-exported for callers
from toolkit.dataset import Dataset, file_sha256, load_dataset

if TYPE_CHECKING:  # pragma: no cover
    import pymc as pm
    import xarray as xr

log = logging.getLogger(__name__)

#: Probability mass of every credible interval in the summaries (equal-tailed).
CI_PROB = 0.95
#: Convergence bar: maximum rank-normalised split r-hat.
R_HAT_MAX = 1.01
#: Convergence bar: minimum bulk effective sample size.
ESS_BULK_MIN = 400
#: Environment variable naming the cache folder.
#: Samplers :func:`fit` accepts; all but ``pymc`` need the optional ``samplers`` extra (or jax + numpyro).
SAMPLERS = ("pymc", "nutpie", "numpyro")
#: Default seed of :func:`fit`.
DEFAULT_SEED = 20260606

_CACHE_LAYOUT = "1"  # bump when the on-disk layout of an entry changes


class ConvergenceWarning(UserWarning):
    """A fit missed the convergence bar (r-hat, bulk ESS or divergences)."""


class ConvergenceError(RuntimeError):
    """Raised by ``fit(..., strict=True)`` when the convergence bar is missed."""


class SamplerUnavailableError(ImportError):
    """The requested sampler's package is not installed."""


# ----------------------------------------------------------------------------------------------------------
# Data handed from prepare() to build()/summarize()/ppc()
# ----------------------------------------------------------------------------------------------------------


def hash_arrays(
    arrays: Mapping[str, Any], coords: Mapping[str, Sequence[Any]] | None = None, **extra: Any
) -> str:
    """SHA-256 of named numpy arrays (dtype, shape and bytes), coordinates and JSON-able extras."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        arr = np.ascontiguousarray(np.asarray(arrays[name]))
        digest.update(f"{name}|{arr.dtype.str}|{arr.shape}|".encode())
        digest.update(
            arr.tobytes() if arr.dtype != object else json.dumps(arr.tolist(), default=str).encode()
        )
    digest.update(
        json.dumps({k: list(map(str, v)) for k, v in (coords or {}).items()}, sort_keys=True).encode()
    )
    digest.update(json.dumps(extra, sort_keys=True, default=str).encode())
    return digest.hexdigest()


@attrs.define
class ModelData:
    """What :meth:`Model.prepare` extracts from a dataset.

    Attributes
    ----------
    arrays : dict of str to ndarray
        Integer indices and observations the PyMC model is built from.
    coords : dict of str to list
        PyMC coordinates (dimension name -> labels), e.g. ``{"rater": ["human-1", ...]}``.
    hash : str
        SHA-256 of ``arrays`` and ``coords`` (see :func:`hash_arrays`); identifies the prepared data.
    tables : dict of str to DataFrame
        Tidy side tables for summaries and checks (e.g. the item table, the observed label matrix).
    """

    arrays: dict[str, np.ndarray]
    coords: dict[str, list[Any]]
    hash: str = ""
    tables: dict[str, pd.DataFrame] = attrs.field(factory=dict)

    def __attrs_post_init__(self) -> None:
        if not self.hash:
            self.hash = hash_arrays(self.arrays, self.coords)


# ----------------------------------------------------------------------------------------------------------
# Model base class and registry
# ----------------------------------------------------------------------------------------------------------

_REGISTRY: dict[str, type[Model]] = {}


class Model:
    """Base class of the Bayesian models (subclasses are attrs classes whose fields are model options).

    Class attributes
    ----------------
    name : str
        Short name (``"judge"``, ``"extraction"``, ...), used by :func:`get_model` and in cache paths.
    version : str
        Bump when the math, priors or summaries change (invalidates cached fits).
    records : tuple of str
        The record types the model reads; their file hashes make the cache's data hash.
    default_target_accept : float
        NUTS target acceptance used when :func:`fit` is not given one.
    """

    name: ClassVar[str] = ""
    version: ClassVar[str] = "0"
    records: ClassVar[tuple[str, ...]] = ()
    default_target_accept: ClassVar[float] = 0.9

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("name"):
            _REGISTRY[cls.name] = cls

    # -- to implement --------------------------------------------------------------------------------------
    def prepare(self, dataset: Dataset) -> ModelData:
        """Extract arrays, coordinates and side tables from a dataset (no PyMC)."""
        raise NotImplementedError

    def build(self, data: ModelData) -> pm.Model:
        """The PyMC model (imports PyMC)."""
        raise NotImplementedError

    def summarize(self, idata: xr.DataTree, data: ModelData) -> dict[str, pd.DataFrame]:
        """Tidy summary tables (each with ``mean, sd, ci_low, ci_high``) from the posterior."""
        raise NotImplementedError

    def ppc(self, idata: xr.DataTree, data: ModelData, rng: np.random.Generator) -> pd.DataFrame:
        """Posterior predictive checks: one row per statistic, observed value vs replicated distribution.

        Use :func:`ppc_row` to build the rows (columns ``check, observed, rep_mean, rep_sd, rep_low,
        rep_high, p_value`` plus labels).
        """
        raise NotImplementedError

    # -- optional hooks ------------------------------------------------------------------------------------
    def initvals(self, data: ModelData) -> dict[str, Any] | None:
        """Starting values for the sampler (e.g. to start in the non-label-switched mode); None = default."""
        return None

    def diagnostic_vars(self, idata: xr.DataTree) -> list[str]:
        """Posterior variables the convergence bar applies to (default: all of them)."""
        return list(idata["posterior"].data_vars)

    def options(self) -> dict[str, Any]:
        """The model's options (attrs fields), part of the cache key."""
        if attrs.has(type(self)):
            return attrs.asdict(self, recurse=True)
        return {}

    def data_hash(self, dataset: Dataset) -> str:
        """SHA-256 over the bytes of the record files this model reads (the cache's data hash)."""
        dataset.require(*self.records, purpose=f"the {self.name} model")
        digest = hashlib.sha256()
        for rt in self.records:
            digest.update(f"{rt}:{file_sha256(dataset.file(rt))}\n".encode())
        return digest.hexdigest()


def get_model(name: str, **options: Any) -> Model:
    """A model instance by name (``"judge"``, ``"extraction"``, ...), importing its module on demand."""
    if name not in _REGISTRY:
        from toolkit.models import MODEL_MODULES

        module = MODEL_MODULES.get(name, f"toolkit.models.{name}")
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
    if name not in _REGISTRY:
        raise KeyError(f"unknown model {name!r}; known: {sorted(_REGISTRY)}")
    return _REGISTRY[name](**options)


# ----------------------------------------------------------------------------------------------------------
# Results
# ----------------------------------------------------------------------------------------------------------


@attrs.frozen
class FitSettings:
    """Sampler settings of a fit (all part of the cache key)."""

    draws: int
    tune: int
    chains: int
    seed: int
    sampler: str
    target_accept: float


@attrs.frozen
class Diagnostics:
    """Convergence diagnostics of a fit.

    Attributes
    ----------
    max_r_hat : float
        Largest rank-normalised split r-hat over all checked scalars.
    min_ess_bulk : float
        Smallest bulk ESS.
    min_ess_tail : float
        Smallest tail ESS (reported, not part of the bar).
    divergences : int
        Divergent transitions after tuning, all chains.
    worst_r_hat, worst_ess : str
        The scalar (``var[coord]``) with the largest r-hat / smallest bulk ESS.
    ok : bool
        Whether the bar (r-hat <= 1.01, bulk ESS >= 400, no divergences) is met.
    message : str
        Human-readable verdict; when not ok, what failed and the remedy.
    sampling_time : float
        Seconds spent sampling (compile excluded), as reported by the sampler.
    """

    max_r_hat: float
    min_ess_bulk: float
    min_ess_tail: float
    divergences: int
    worst_r_hat: str
    worst_ess: str
    ok: bool
    message: str
    sampling_time: float = float("nan")


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
        Hash of the data the model was fitted to (see the module docstring).
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


# ----------------------------------------------------------------------------------------------------------
# Summary helpers (numpy, no PyMC)
# ----------------------------------------------------------------------------------------------------------


def _as_dataset(node: Any) -> Any:
    """A DataTree node as an xarray Dataset (a Dataset is returned as is)."""
    return node.to_dataset() if hasattr(node, "to_dataset") else node


def expit(x: Any) -> np.ndarray:
    """The logistic function, overflow-free (numpy only: keeps ``scipy.special`` out of cached re-runs)."""
    return np.exp(-np.logaddexp(0.0, -np.asarray(x, dtype=float)))


def log_expit(x: Any) -> np.ndarray:
    """log(logistic(x)), numerically stable."""
    return -np.logaddexp(0.0, -np.asarray(x, dtype=float))


def draws_of(idata: Any, var: str, group: str = "posterior") -> np.ndarray:
    """Posterior draws of a variable as an array ``(chain * draw, *dims)``."""
    arr = np.asarray(idata[group][var].values)
    return arr.reshape(-1, *arr.shape[2:])


def interval(samples: np.ndarray, axis: int = 0, prob: float = CI_PROB) -> tuple[np.ndarray, np.ndarray]:
    """Equal-tailed ``prob`` interval along ``axis``."""
    tail = (1.0 - prob) / 2.0
    low, high = np.quantile(samples, [tail, 1.0 - tail], axis=axis)
    return low, high


def summarize_samples(samples: np.ndarray, index: Mapping[str, Sequence[Any]] | None = None) -> pd.DataFrame:
    """Tidy table of draws ``(n_samples, n)`` (or ``(n_samples,)``): ``mean, sd, ci_low, ci_high``.

    ``index`` maps label columns to their values (each of length ``n``), placed before the statistics.
    """
    s = np.asarray(samples, dtype=float)
    if s.ndim == 1:
        s = s[:, None]
    s = s.reshape(s.shape[0], -1)
    low, high = interval(s)
    frame = pd.DataFrame(dict(index or {}))
    stats = pd.DataFrame({"mean": s.mean(0), "sd": s.std(0, ddof=1), "ci_low": low, "ci_high": high})
    return pd.concat([frame.reset_index(drop=True), stats], axis=1)


def ppc_row(check: str, observed: float, replicated: np.ndarray, **labels: Any) -> dict[str, Any]:
    """One posterior predictive check row.

    ``p_value`` is the two-sided posterior predictive p-value ``2 * min(P(rep >= obs), P(rep <= obs))``
    (capped at 1): small values flag a statistic the model does not reproduce.
    """
    rep = np.asarray(replicated, dtype=float)
    low, high = interval(rep)
    p = 2 * min(float(np.mean(rep >= observed)), float(np.mean(rep <= observed)))
    return {
        "check": check,
        **labels,
        "observed": float(observed),
        "rep_mean": float(rep.mean()),
        "rep_sd": float(rep.std(ddof=1)),
        "rep_low": float(low),
        "rep_high": float(high),
        "p_value": min(1.0, p),
        "within_ci": bool(low <= observed <= high),
    }


def parameter_table(idata: Any, var: str, index: Mapping[str, Sequence[Any]] | None = None) -> pd.DataFrame:
    """Summary of a posterior variable with its sampling diagnostics (``ess_bulk``, ``r_hat``) appended."""
    import arviz_stats

    samples = draws_of(idata, var)
    table = summarize_samples(samples, index)
    post = _as_dataset(idata["posterior"])[[var]]
    table["ess_bulk"] = np.asarray(arviz_stats.ess(post, method="bulk")[var].values, dtype=float).ravel()
    table["r_hat"] = np.asarray(arviz_stats.rhat(post)[var].values, dtype=float).ravel()
    return table


# ----------------------------------------------------------------------------------------------------------
# Diagnostics
# ----------------------------------------------------------------------------------------------------------


def _flat_labels(da: Any) -> list[str]:
    dims = [d for d in da.dims]
    if not dims:
        return [str(da.name)]
    grids = np.meshgrid(
        *[np.asarray(da[d].values) if d in da.coords else np.arange(da.sizes[d]) for d in dims], indexing="ij"
    )
    flat = [g.ravel() for g in grids]
    return [f"{da.name}[{', '.join(str(f[i]) for f in flat)}]" for i in range(flat[0].size)]


def diagnose(idata: Any, var_names: Sequence[str] | None = None) -> Diagnostics:
    """Check the convergence bar on a posterior and word the verdict with its remedy."""
    import arviz_stats

    post = _as_dataset(idata["posterior"])
    names = list(var_names) if var_names is not None else list(post.data_vars)
    post = post[names]
    rhat = arviz_stats.rhat(post)
    ess_b = arviz_stats.ess(post, method="bulk")
    ess_t = arviz_stats.ess(post, method="tail")
    labels: list[str] = []
    rh, eb, et = [], [], []
    for v in names:
        labels += _flat_labels(rhat[v])
        rh.append(np.asarray(rhat[v].values, dtype=float).ravel())
        eb.append(np.asarray(ess_b[v].values, dtype=float).ravel())
        et.append(np.asarray(ess_t[v].values, dtype=float).ravel())
    rh_a, eb_a, et_a = (np.concatenate(x) if x else np.array([np.nan]) for x in (rh, eb, et))
    # constant scalars (e.g. a fixed reference level) have undefined r-hat / ESS: ignore them
    finite = np.isfinite(rh_a) & np.isfinite(eb_a)
    if finite.any():
        i_r = int(np.nanargmax(np.where(finite, rh_a, -np.inf)))
        i_e = int(np.nanargmin(np.where(finite, eb_a, np.inf)))
        max_rhat, min_ess = float(rh_a[i_r]), float(eb_a[i_e])
        min_tail = float(np.nanmin(np.where(finite, et_a, np.inf)))
        worst_r, worst_e = labels[i_r], labels[i_e]
    else:
        max_rhat, min_ess, min_tail, worst_r, worst_e = float("nan"), float("nan"), float("nan"), "", ""
    stats = idata["sample_stats"] if "sample_stats" in idata.children else None
    divergences = (
        int(np.asarray(stats["diverging"].values).sum()) if stats is not None and "diverging" in stats else 0
    )
    sampling_time = float(
        post.attrs.get("sampling_time", idata["posterior"].attrs.get("sampling_time", np.nan))
    )
    n_chains = int(post.sizes.get("chain", 1))

    problems, remedies = [], []
    if not (max_rhat <= R_HAT_MAX):
        problems.append(f"max r-hat {max_rhat:.3f} > {R_HAT_MAX} (worst: {worst_r})")
        remedies.append(
            "run longer chains (e.g. draws=2000, tune=2000)"
            + ("" if n_chains >= 4 else " and/or more chains (chains=4)")
            + "; if one chain sits in a different mode, check the model's identification constraints"
        )
    if not (min_ess >= ESS_BULK_MIN):
        problems.append(f"min bulk ESS {min_ess:.0f} < {ESS_BULK_MIN} (worst: {worst_e})")
        remedies.append(
            f"increase draws (need about {ESS_BULK_MIN / max(min_ess, 1):.1f}x the current number)"
        )
    if divergences:
        problems.append(f"{divergences} divergent transitions")
        remedies.append(
            "raise target_accept (e.g. 0.95 or 0.99) or reparameterise (non-centred random effects)"
        )
    if problems:
        message = (
            "CONVERGENCE BAR MISSED: "
            + "; ".join(problems)
            + ". Remedy: "
            + "; ".join(remedies)
            + ". Do not report these estimates until the bar is met."
        )
    else:
        message = (
            f"converged: max r-hat {max_rhat:.3f} <= {R_HAT_MAX}, min bulk ESS {min_ess:.0f} >= {ESS_BULK_MIN}, "
            "no divergences"
        )
    return Diagnostics(
        max_r_hat=max_rhat,
        min_ess_bulk=min_ess,
        min_ess_tail=min_tail,
        divergences=divergences,
        worst_r_hat=worst_r,
        worst_ess=worst_e,
        ok=not problems,
        message=message,
        sampling_time=sampling_time,
    )


# ----------------------------------------------------------------------------------------------------------
# Cache
# ----------------------------------------------------------------------------------------------------------


def cache_key(model: Model, data_hash: str, settings: FitSettings) -> str:
    """SHA-256 of everything a posterior depends on."""
    payload = {
        "layout": _CACHE_LAYOUT,
        "data_hash": data_hash,
        "model": model.name,
        "version": model.version,
        "options": model.options(),
        **attrs.asdict(settings),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _entry_path(root: Path, model: Model, key: str) -> Path:
    return root / "models" / model.name / key


def _write_group(ds: Any, path: Path) -> None:
    ds = ds.copy()
    meta = {"attrs": dict(ds.attrs), "dtypes": {}, "var_attrs": {}}
    for name, var in ds.variables.items():
        meta["dtypes"][str(name)] = var.dtype.str
        if var.attrs:
            meta["var_attrs"][str(name)] = dict(var.attrs)
        var.attrs = {}
        var.encoding = {}
    ds.attrs = {"recenter_meta": json.dumps(meta, default=str)}
    ds.to_netcdf(path, engine="scipy")


def _read_group(path: Path) -> Any:
    import xarray as xr

    with xr.open_dataset(path, engine="scipy", mask_and_scale=False) as ds:
        ds = ds.load()
    meta = json.loads(ds.attrs["recenter_meta"])
    for name, dtype in meta["dtypes"].items():
        if name in ds.variables and ds[name].dtype.str != dtype and np.dtype(dtype).kind in "iub":
            ds[name] = ds[name].astype(dtype)
    for name, var_attrs in meta["var_attrs"].items():
        if name in ds.variables:
            ds[name].attrs = var_attrs
    ds.attrs = meta["attrs"]
    return ds


def _store(entry: Path, result: FitResult) -> None:
    """Write an entry atomically (temporary folder + rename)."""
    entry.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{entry.name[:12]}-", dir=entry.parent))
    try:
        (tmp / "groups").mkdir()
        groups = [name for name in result.idata.children]
        for name in groups:
            _write_group(result.idata[name].to_dataset(), tmp / "groups" / f"{name}.nc")
        (tmp / "summaries").mkdir()
        for name, table in result.summaries.items():
            table.to_parquet(tmp / "summaries" / f"{name}.parquet")
        meta = {
            "layout": _CACHE_LAYOUT,
            "model": result.model.name,
            "version": result.model.version,
            "options": result.model.options(),
            "data_hash": result.data_hash,
            "settings": attrs.asdict(result.settings),
            "diagnostics": attrs.asdict(result.diagnostics),
            "fit_wall_time": result.fit_wall_time,
            "groups": groups,
            "summaries": list(result.summaries),
            "toolkit_version": toolkit.__version__,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        (tmp / "meta.json").write_text(json.dumps(meta, indent=2, default=str) + "\n", encoding="utf-8")
        if entry.exists():  # a concurrent fit got there first: keep theirs
            shutil.rmtree(tmp, ignore_errors=True)
            return
        os.replace(tmp, entry)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _load(entry: Path, model: Model) -> tuple[Any, Diagnostics, dict[str, pd.DataFrame], float, dict]:
    import xarray as xr

    meta = json.loads((entry / "meta.json").read_text(encoding="utf-8"))
    if (
        meta.get("layout") != _CACHE_LAYOUT
        or meta.get("model") != model.name
        or meta.get("version") != model.version
    ):
        raise ValueError("cache entry metadata does not match the model")
    groups = {name: _read_group(entry / "groups" / f"{name}.nc") for name in meta["groups"]}
    idata = xr.DataTree.from_dict(groups)
    summaries = {name: pd.read_parquet(entry / "summaries" / f"{name}.parquet") for name in meta["summaries"]}
    diagnostics = Diagnostics(**meta["diagnostics"])
    return idata, diagnostics, summaries, float(meta["fit_wall_time"]), meta


# ----------------------------------------------------------------------------------------------------------
# fit
# ----------------------------------------------------------------------------------------------------------


def _check_sampler(sampler: str) -> None:
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler must be one of {SAMPLERS}, got {sampler!r}")
    needs = {"nutpie": ("nutpie",), "numpyro": ("jax", "numpyro")}.get(sampler, ())
    import importlib.util

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
            _check_sampler(s)
        except SamplerUnavailableError:
            continue
        out.append(s)
    return out


@contextlib.contextmanager
def _one_blas_thread() -> Iterator[None]:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


def _resolve_dataset(dataset: Dataset | str | os.PathLike | None) -> Dataset:
    if isinstance(dataset, Dataset):
        return dataset
    return load_dataset(dataset)


def sample_model(
    model: Model,
    data: ModelData,
    settings: FitSettings,
    *,
    cores: int | None = None,
    progressbar: bool = False,
) -> Any:
    """Build the PyMC model and sample it (one BLAS thread per chain); return the DataTree."""
    import pymc as pm

    _check_sampler(settings.sampler)
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
    with _one_blas_thread(), warnings.catch_warnings():
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
        Raise :class:`ConvergenceError` instead of warning when the convergence bar is missed.

    Returns
    -------
    FitResult

    Warns
    -----
    ConvergenceWarning
        When r-hat > 1.01, bulk ESS < 400 or any divergence; the message names the remedy.
    """
    t0 = time.perf_counter()
    if isinstance(model, str):
        model = get_model(model)
    if target_accept is None:
        target_accept = model.default_target_accept
    _check_sampler(sampler)
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
        ds = _resolve_dataset(dataset)
        data_hash = model.data_hash(ds)

    entry: Path | None = None
    if cache:
        root = Path(cache_root).expanduser() if cache_root is not None else cache_dir()
        entry = _entry_path(root, model, cache_key(model, data_hash, settings))
        if (entry / "meta.json").exists():
            try:
                idata, diagnostics, summaries, fit_wall_time, _ = _load(entry, model)
            except Exception as exc:  # corrupted / foreign entry: refit, never crash
                warnings.warn(
                    f"cache entry {entry} is unreadable ({type(exc).__name__}: {exc}); refitting",
                    RuntimeWarning,
                    stacklevel=2,
                )
                shutil.rmtree(entry, ignore_errors=True)
            else:
                result = FitResult(
                    model=model,
                    idata=idata,
                    diagnostics=diagnostics,
                    summaries=summaries,
                    settings=settings,
                    data_hash=data_hash,
                    wall_time=time.perf_counter() - t0,
                    fit_wall_time=fit_wall_time,
                    from_cache=True,
                    cache_path=entry,
                    dataset=ds,
                    data=data,
                )
                _report(result, strict)
                return result

    if data is None:
        assert ds is not None
        data = model.prepare(ds)
    idata = sample_model(model, data, settings, cores=cores, progressbar=progressbar)
    diagnostics = diagnose(idata, model.diagnostic_vars(idata))
    summaries = model.summarize(idata, data)
    elapsed = time.perf_counter() - t0
    result = FitResult(
        model=model,
        idata=idata,
        diagnostics=diagnostics,
        summaries=summaries,
        settings=settings,
        data_hash=data_hash,
        wall_time=elapsed,
        fit_wall_time=elapsed,
        from_cache=False,
        cache_path=None,
        dataset=ds,
        data=data,
    )
    if entry is not None:
        try:
            _store(entry, result)
            result.cache_path = entry
        except Exception as exc:  # a full disk or an odd dtype must not lose the fit
            warnings.warn(
                f"could not cache the fit at {entry}: {type(exc).__name__}: {exc}",
                RuntimeWarning,
                stacklevel=2,
            )
    _report(result, strict)
    return result


def _report(result: FitResult, strict: bool) -> None:
    d = result.diagnostics
    where = f"{result.model.name} model ({result.settings.sampler}, {result.settings.chains} chains x {result.settings.draws} draws)"
    if d.ok:
        log.info("%s: %s", where, d.message)
        return
    text = f"{where}: {d.message}"
    if strict:
        raise ConvergenceError(text)
    log.warning(text)
    warnings.warn(text, ConvergenceWarning, stacklevel=3)


def clear_cache(model: str | None = None, cache_root: str | os.PathLike | None = None) -> int:
    """Delete cached fits (of one model, or all); return how many entries were removed."""
    root = (Path(cache_root).expanduser() if cache_root is not None else cache_dir()) / "models"
    folders = [root / model] if model else (list(root.iterdir()) if root.exists() else [])
    n = 0
    for folder in folders:
        if folder.is_dir():
            n += sum(1 for p in folder.iterdir() if p.is_dir())
            shutil.rmtree(folder, ignore_errors=True)
    return n


__all__ = [
    "CI_PROB",
    "ESS_BULK_MIN",
    "R_HAT_MAX",
    "ConvergenceError",
    "ConvergenceWarning",
    "Diagnostics",
    "FitResult",
    "FitSettings",
    "Model",
    "ModelData",
    "SamplerUnavailableError",
    "available_samplers",
    "cache_dir",
    "cache_key",
    "clear_cache",
    "diagnose",
    "draws_of",
    "expit",
    "log_expit",
    "fit",
    "get_model",
    "hash_arrays",
    "interval",
    "parameter_table",
    "ppc_row",
    "summarize_samples",
]
