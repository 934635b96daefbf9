"""Views: the one layer that turns a dataset's records into long tables, rater orders and reference labels.

Every stage statistic, model and analysis reads the study through these functions, so a join, an order or a
reference rule is defined once. Data flow: files -> schemas -> *views* -> statistics and models -> results.

* :mod:`toolkit.views.long`: one row per judgment (``relevance_long``, ``extraction_long``, ``rating_long``).
* :mod:`toolkit.views.orders`: raters grouped by kind, in the paper's order, others after.
* :mod:`toolkit.views.references`: the human-majority reference labels (else an aggregate rater's).
"""

from toolkit.views.long import extraction_long, rater_kinds, rating_long, relevance_long
from toolkit.views.orders import (
    generator_order,
    judge_order,
    method_order,
    ordered_raters,
    rater_groups,
    source_order,
    verifier_order,
)
from toolkit.views.references import (
    extraction_reference,
    human_majority,
    majority_labels,
    relevance_reference,
)

__all__ = [
    "rater_kinds",
    "relevance_long",
    "extraction_long",
    "rating_long",
    "ordered_raters",
    "rater_groups",
    "source_order",
    "judge_order",
    "generator_order",
    "method_order",
    "verifier_order",
    "majority_labels",
    "human_majority",
    "relevance_reference",
    "extraction_reference",
]
