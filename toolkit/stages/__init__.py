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

from toolkit.stages.counts import study_counts
from toolkit.stages.extraction import (
    extraction_label_shares,
    failure_mode_shares,
    problematic_gap,
    verifier_metrics,
)
from toolkit.stages.rating import (
    human_cell_means,
    human_rating_agreement,
    judge_spearman,
    mention_differences,
    mention_rates,
    rating_summary,
    scorer_spearman,
)
from toolkit.stages.relevance import method_metrics, reference_positive_rate
from toolkit.stages.units import FISHER_Z, NO_RESAMPLING, SAMPLING_UNITS, STAGE_ITEMS, resampled_unit

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
