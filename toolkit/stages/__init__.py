"""Stage statistics: the observed numbers of each figure and table, one module per stage of the study.

Each function takes a :class:`toolkit.dataset.Dataset`, reads it through :mod:`toolkit.views`, computes with
:mod:`toolkit.agreement`, :mod:`toolkit.metrics` and :mod:`toolkit.descriptive`, and returns a tidy frame
with ``value, ci_low, ci_high`` and the number of units. The ``analyses`` modules plot or tabulate these
frames and compute nothing themselves.

* :mod:`toolkit.stages.extraction`: stage 1 (Fig. 2, Table 2).
* :mod:`toolkit.stages.relevance`: stage 2 (Fig. 4, Table 3).
* :mod:`toolkit.stages.rating`: stage 3 (Figs. 5-7, Table 6, reward models).
* :mod:`toolkit.stages.counts`: the study's sizes.
* :mod:`toolkit.stages.units`: each stage's sampling unit, which the intervals resample by default
  (``clusters=``: users in stage 1, user-prompt pairs in stage 2, responses in stage 3; ``None``: items).
"""

import importlib
from typing import Any

#: Public name -> the stage module that defines it. Loaded on first use, so that an analysis reading only
#: :mod:`~toolkit.stages.units` (e.g. Figure 3, through :mod:`analyses.common`) does not import every stage.
_EXPORTS: dict[str, str] = {
    "study_counts": "counts",
    "extraction_label_shares": "extraction",
    "failure_mode_shares": "extraction",
    "problematic_gap": "extraction",
    "verifier_metrics": "extraction",
    "human_cell_means": "rating",
    "human_rating_agreement": "rating",
    "judge_spearman": "rating",
    "mention_differences": "rating",
    "mention_rates": "rating",
    "rating_summary": "rating",
    "scorer_spearman": "rating",
    "method_metrics": "relevance",
    "reference_positive_rate": "relevance",
    "FISHER_Z": "units",
    "NO_RESAMPLING": "units",
    "SAMPLING_UNITS": "units",
    "STAGE_ITEMS": "units",
    "resampled_unit": "units",
}

__all__ = [
    "extraction_label_shares",
    "problematic_gap",
    "failure_mode_shares",
    "verifier_metrics",
    "method_metrics",
    "reference_positive_rate",
    "rating_summary",
    "mention_rates",
    "mention_differences",
    "human_cell_means",
    "judge_spearman",
    "scorer_spearman",
    "human_rating_agreement",
    "study_counts",
    "SAMPLING_UNITS",
    "STAGE_ITEMS",
    "NO_RESAMPLING",
    "FISHER_Z",
    "resampled_unit",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f"toolkit.stages.{_EXPORTS[name]}"), name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module 'toolkit.stages' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
