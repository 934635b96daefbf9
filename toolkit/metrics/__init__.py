"""Classification, correlation and reliability metrics against a human reference.

* Stage 2 (Fig. 4, Table 3): accuracy, precision, recall, F1 and positive rate of each judge's binary
  relevance labels against the human majority, each with an item (or ``clusters=``) bootstrap CI
  (:func:`binary_metrics` for two label arrays, :func:`judge_metrics` for a long frame of judges) —
  :mod:`toolkit.metrics.classification`.
* Stage 3 (Table 6): Spearman / Pearson / Kendall correlation of each judge with the human mean rating,
  with pingouin's p-value and Fisher-z interval, or with ``clusters=`` a cluster-bootstrap interval
  (:func:`correlation`, :func:`judge_correlations`, :func:`item_means`) — :mod:`toolkit.metrics.correlations`.
* Reliability: intraclass correlations via pingouin (:func:`icc`; ``clusters=`` for a cluster-bootstrap
  interval) and the Spearman-Brown prophecy (:func:`spearman_brown`, :func:`spearman_brown_factor`) —
  :mod:`toolkit.metrics.reliability`.

The public API is this flat namespace. Results are tidy frames with fixed lowercase columns:
``metric, value, ci_low, ci_high, n_items`` (plus ``rater`` for per-judge tables, ``p_value`` for
correlations). Undefined statistics are ``NaN`` with the reason documented on each function (precision with
no predicted positive, recall with no reference positive, a correlation with a constant input), never a
silent 0 as in scikit-learn's ``zero_division``. Long-format input follows :mod:`toolkit.longform`; the
bootstrap is :mod:`toolkit.resampling`'s, shared with :mod:`toolkit.agreement`.
"""

from __future__ import annotations

from toolkit.metrics.classification import (
    CLASSIFICATION_METRICS,
    accuracy,
    binary_metrics,
    f1_score,
    judge_metrics,
    positive_rate,
    precision,
    recall,
)
from toolkit.metrics.correlations import CORRELATION_METHODS, correlation, item_means, judge_correlations
from toolkit.metrics.reliability import icc, spearman_brown, spearman_brown_factor

__all__ = [
    "CLASSIFICATION_METRICS",
    "CORRELATION_METHODS",
    "accuracy",
    "precision",
    "recall",
    "f1_score",
    "positive_rate",
    "binary_metrics",
    "judge_metrics",
    "correlation",
    "judge_correlations",
    "item_means",
    "icc",
    "spearman_brown",
    "spearman_brown_factor",
]
