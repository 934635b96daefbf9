"""Bayesian hierarchical models of the study (PyMC + ArviZ), fitted through one interface.

``from toolkit.models import fit, JudgeModel`` is cheap: this package imports PyMC only when a model is
built or fitted (names are resolved lazily, PEP 562).

Models
------
``judge``       :class:`~toolkit.models.judge.JudgeModel` - stage-2 relevance labels of humans and LLM judges
``extraction``  :class:`~toolkit.models.extraction.ExtractionModel` - stage-1 accepted/uncertain/rejected
``rating``      stage-3 rating inflation (``toolkit/models/rating.py``)
``correlation`` noise-ceiling (disattenuated) correlation (``toolkit/models/correlation.py``)

See :mod:`toolkit.models.base` for :func:`fit`, :class:`FitResult`, the cache and the convergence bar.
"""

from __future__ import annotations

import importlib
from typing import Any

#: model name -> module defining it (a Model subclass with that ``name``); used by :func:`get_model`.
MODEL_MODULES: dict[str, str] = {
    "judge": "toolkit.models.judge",
    "extraction": "toolkit.models.extraction",
    "rating": "toolkit.models.rating",
    "correlation": "toolkit.models.correlation",
}

_LAZY: dict[str, str] = {
    # base (no PyMC at import)
    "fit": "toolkit.models.base",
    "FitResult": "toolkit.models.base",
    "FitSettings": "toolkit.models.base",
    "Diagnostics": "toolkit.models.base",
    "Model": "toolkit.models.base",
    "ModelData": "toolkit.models.base",
    "ConvergenceWarning": "toolkit.models.base",
    "ConvergenceError": "toolkit.models.base",
    "SamplerUnavailableError": "toolkit.models.base",
    "available_samplers": "toolkit.models.base",
    "get_model": "toolkit.models.base",
    "cache_dir": "toolkit.models.base",
    "clear_cache": "toolkit.models.base",
    "CI_PROB": "toolkit.models.base",
    "R_HAT_MAX": "toolkit.models.base",
    "ESS_BULK_MIN": "toolkit.models.base",
    # models
    "JudgeModel": "toolkit.models.judge",
    "ExtractionModel": "toolkit.models.extraction",
    "RatingModel": "toolkit.models.rating",
    "CorrelationModel": "toolkit.models.correlation",
}

__all__ = ["MODEL_MODULES", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'toolkit.models' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
