"""Bayesian hierarchical models of the study (PyMC + ArviZ), fitted through one interface.

``from toolkit.models import fit, JudgeModel`` is cheap: this package imports PyMC only when a model is
built or fitted (names are resolved lazily, PEP 562).

Models
------
``judge``       :class:`~toolkit.models.judge.JudgeModel` - stage-2 relevance labels of humans and LLM judges
``extraction``  :class:`~toolkit.models.extraction.ExtractionModel` - stage-1 accepted/uncertain/rejected
``rating``      stage-3 rating inflation (``toolkit/models/rating.py``)
``correlation`` noise-ceiling (disattenuated) correlation (``toolkit/models/correlation.py``)
``rating-thresholds``, ``rating-llm-shared``, ``rating-pooled-mention``, ``rating-clustered``, ``rating-full``,
``extraction-attribute``, ``extraction-annotator-gap``
                the rating and extraction variants (:mod:`~toolkit.models.rating_variants`,
                :mod:`~toolkit.models.extraction_variants`); :mod:`~toolkit.models.sensitivity` tabulates them
``judge-one-effect``, ``judge-class-sd``, ``judge-loadings``, ``judge-rater-sd``, ``judge-human-ref``
                the judge-model family (:mod:`toolkit.models.judge_variants`), compared by PSIS-LOO
                (:func:`toolkit.models.judge_compare.compare_judge_structures`)

Modules of the common machinery
-------------------------------
``interface``        the :class:`Model` base class, :class:`ModelData`, :class:`FitSettings`, :func:`get_model`
``fitting``          :func:`fit`, :class:`FitResult`, samplers and BLAS thread limits
``diagnostics``      the convergence bar (r-hat, ESS, divergences) and its verdict with the remedy
``summaries``        posterior draws to tidy tables (95% equal-tailed intervals, PPC rows)
``posterior_cache``  the on-disk cache of fits (keyed by data hash, model version, options and settings)
``loo``              pointwise log-likelihoods, PSIS-LOO and model comparison (:func:`loo`, :func:`compare`)
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
    "judge-one-effect": "toolkit.models.judge_variants",
    "judge-class-sd": "toolkit.models.judge_variants",
    "judge-loadings": "toolkit.models.judge_variants",
    "judge-rater-sd": "toolkit.models.judge_variants",
    "judge-human-ref": "toolkit.models.judge_variants",
    **dict.fromkeys(
        ("rating-thresholds", "rating-llm-shared", "rating-pooled-mention", "rating-clustered", "rating-full"),
        "toolkit.models.rating_variants",
    ),
    "extraction-attribute": "toolkit.models.extraction_variants",
    "extraction-annotator-gap": "toolkit.models.extraction_variants",
}

_LAZY: dict[str, str] = {
    # fitting and its parts (no PyMC at import)
    "fit": "toolkit.models.fitting",
    "FitResult": "toolkit.models.fitting",
    "load_fit": "toolkit.models.fitting",
    "SavedFitError": "toolkit.models.saved_fit",
    "SamplerUnavailableError": "toolkit.models.fitting",
    "available_samplers": "toolkit.models.fitting",
    "FitSettings": "toolkit.models.interface",
    "Model": "toolkit.models.interface",
    "ModelData": "toolkit.models.interface",
    "get_model": "toolkit.models.interface",
    "Diagnostics": "toolkit.models.diagnostics",
    "ConvergenceWarning": "toolkit.models.diagnostics",
    "ConvergenceError": "toolkit.models.diagnostics",
    "R_HAT_MAX": "toolkit.models.diagnostics",
    "ESS_BULK_MIN": "toolkit.models.diagnostics",
    "ESS_TAIL_MIN": "toolkit.models.diagnostics",
    "CI_PROB": "toolkit.models.summaries",
    "cache_dir": "toolkit.cache",
    "clear_cache": "toolkit.models.posterior_cache",
    "add_log_likelihood": "toolkit.models.loo",
    "loo": "toolkit.models.loo",
    "compare": "toolkit.models.loo",
    # models
    "JudgeModel": "toolkit.models.judge",
    "ExtractionModel": "toolkit.models.extraction",
    "RatingModel": "toolkit.models.rating",
    "CorrelationModel": "toolkit.models.correlation",
    "JUDGE_FAMILY": "toolkit.models.judge_variants",
    "compare_judge_structures": "toolkit.models.judge_compare",
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
