"""The contract between a model and the fitter: the :class:`Model` base class, its data, its settings, the registry.

Adding a model
--------------
Subclass :class:`Model` (an attrs class whose fields are the model's options), set ``name``, ``version``,
``records`` and ``loglik_dim``, implement :meth:`~Model.prepare`, :meth:`~Model.build`,
:meth:`~Model.summarize`, :meth:`~Model.ppc` and :meth:`~Model.pointwise_loglik` (for PSIS-LOO, see
:mod:`toolkit.models.loo`), and put it in ``toolkit/models/<name>.py``: :func:`get_model` finds it by ``name``
(known module names are listed in ``toolkit.models.MODEL_MODULES``). Bump ``version`` whenever the model's
math or its summaries change, so stale cache entries are not reused.

A model's data hash (part of the posterior cache key, see :mod:`toolkit.models.posterior_cache`) is the
SHA-256 of the bytes of the record files it reads (:attr:`Model.records`), so editing an unrelated file of
the dataset does not invalidate a fit, and a dataset without a manifest is hashed the same way.

PyMC is imported by :meth:`Model.build` implementations only; this module imports numpy, pandas and attrs.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
import numpy as np
import pandas as pd

from toolkit.dataset import Dataset, file_sha256
from toolkit.models import MODEL_MODULES

if TYPE_CHECKING:  # pragma: no cover
    import pymc as pm
    import xarray as xr

__all__ = ["FitSettings", "Model", "ModelData", "get_model", "hash_arrays"]


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


@attrs.frozen
class FitSettings:
    """Sampler settings of a fit (all part of the cache key).

    ``init`` is how the chains start (:data:`toolkit.models.fitting.INIT_SCHEMES`): ``"prior"`` (dispersed
    per-chain points, the default of the ``pymc`` sampler), ``"jitter"`` (PyMC's jitter around the model's
    ``initvals``) or ``"sampler"`` (an external sampler's own). Fits cached before the field existed started
    with ``"jitter"`` and compiled with fast-math; they are not served (posterior cache layout 3).
    """

    draws: int
    tune: int
    chains: int
    seed: int
    sampler: str
    target_accept: float
    init: str = "prior"


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
        NUTS target acceptance used when :func:`~toolkit.models.fitting.fit` is not given one.
    loglik_dim : str
        The observation unit of :meth:`pointwise_loglik` (``"item"``, ``"rating"``, ...).
    """

    name: ClassVar[str] = ""
    version: ClassVar[str] = "0"
    records: ClassVar[tuple[str, ...]] = ()
    default_target_accept: ClassVar[float] = 0.9
    loglik_dim: ClassVar[str] = ""

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

        Use :func:`toolkit.models.summaries.ppc_row` to build the rows (columns ``check, observed, rep_mean,
        rep_sd, rep_low, rep_high, p_value, within_ci, defined, note`` plus labels): a statistic undefined on
        the design gets ``p_value`` NaN and a note, never p = 0; :func:`~toolkit.models.summaries.ppc_misfits`
        picks the misfits.
        """
        raise NotImplementedError

    def pointwise_loglik(self, data: ModelData, posterior: xr.Dataset) -> xr.DataArray:
        """Log-likelihood of every observation unit at every draw, dims ``("chain", "draw", loglik_dim)``.

        Computed after sampling from the posterior draws (sampling and cache keys are unchanged); its sum over
        the units is the model's log-likelihood term at each draw. :func:`toolkit.models.loo.add_log_likelihood`
        stores it in the DataTree's ``log_likelihood`` group for :func:`arviz.loo`.
        """
        raise NotImplementedError(f"the {self.name} model has no pointwise log-likelihood")

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
    """A model instance by name (``"judge"``, ``"extraction"``, ...), importing its module on demand.

    Parameters
    ----------
    name : str
        The model's ``name``; its module is ``MODEL_MODULES[name]`` or ``toolkit.models.<name>``.
    **options
        The model's options (its attrs fields).

    Raises
    ------
    KeyError
        When no model of that name is known.
    """
    if name not in _REGISTRY:
        module = MODEL_MODULES.get(name, f"toolkit.models.{name}")
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
    if name not in _REGISTRY:
        raise KeyError(f"unknown model {name!r}; known: {sorted(_REGISTRY)}")
    return _REGISTRY[name](**options)
