"""recenter-toolkit: statistics for studying LLM personalization with human data.

The main entry points, importable from here (each loads its module on first use, so ``import toolkit``
stays cheap and never imports PyMC):

>>> import toolkit
>>> ds = toolkit.load_dataset()                 # the bundled SIMULATED sample
>>> ds.is_simulated
True
>>> long = toolkit.views.relevance_long(ds)    # records -> one row per judgment
>>> sorted(toolkit.views.rater_groups(ds))
['human', 'llm']

The layers, from the data up: :mod:`schemas` (the data contract) -> :mod:`toolkit.dataset`,
:mod:`toolkit.validate` (I/O and validation) -> :mod:`toolkit.views` (long tables, orders, references) ->
:mod:`toolkit.agreement`, :mod:`toolkit.metrics`, :mod:`toolkit.descriptive`, :mod:`toolkit.resampling`
(statistics) and :mod:`toolkit.models` (Bayesian models) -> :mod:`toolkit.stages` (each figure's observed
numbers) -> :mod:`toolkit.outputs`, :mod:`toolkit.plotting` (results). :mod:`toolkit.simulate` draws studies;
:mod:`toolkit.vocabulary` names the study's rater kinds, orders and keys.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: Public name -> the module that defines it.
_ENTRY_POINTS: dict[str, str] = {
    "load_dataset": "toolkit.dataset",
    "write_dataset": "toolkit.dataset",
    "Dataset": "toolkit.dataset",
    "validate_path": "toolkit.validate",
    "simulate": "toolkit.simulate",
    "SimulationConfig": "toolkit.simulate",
    "fit": "toolkit.models",
    "get_model": "toolkit.models",
    "cohen_kappa": "toolkit.agreement",
    "fleiss_kappa": "toolkit.agreement",
    "krippendorff_alpha": "toolkit.agreement",
    "pairwise_agreement": "toolkit.agreement",
    "group_agreement": "toolkit.agreement",
    "majority_vote": "toolkit.agreement",
    "binary_metrics": "toolkit.metrics",
    "judge_metrics": "toolkit.metrics",
    "correlation": "toolkit.metrics",
}
#: Subpackages reachable as attributes (``toolkit.views``, ``toolkit.stages``, ...).
_SUBMODULES = (
    "agreement", "dataset", "descriptive", "metrics", "models", "resampling", "simulate", "stages", "validate",
    "views", "vocabulary",
)

__all__ = ["__version__", *_ENTRY_POINTS, *_SUBMODULES]


def __getattr__(name: str) -> Any:
    if name in _ENTRY_POINTS:
        return getattr(importlib.import_module(_ENTRY_POINTS[name]), name)
    if name in _SUBMODULES:
        return importlib.import_module(f"toolkit.{name}")
    raise AttributeError(f"module 'toolkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
