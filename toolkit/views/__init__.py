"""Views: the one layer that turns a dataset's records into long tables, rater orders and reference labels.

Every stage statistic, model and analysis reads the study through these functions, so a join, an order or a
reference rule is defined once. Data flow: files -> schemas -> *views* -> statistics and models -> results.

* :mod:`toolkit.views.raters`: each rater's kind and group (``Rater.group``, else its kind) and the declared
  scales (``rating_scale``, ``label_scale``).
* :mod:`toolkit.views.long`: one row per judgment (``relevance_long``, ``extraction_long``, ``rating_long``).
* :mod:`toolkit.views.orders`: raters grouped by group, in the paper's order, others after.
* :mod:`toolkit.views.references`: the human-majority reference labels (else an aggregate rater's).
"""

from toolkit.views.long import extraction_long, rating_long, relevance_long
from toolkit.views.orders import (
    generator_order,
    judge_order,
    method_order,
    ordered_raters,
    rater_groups,
    source_order,
    verifier_order,
)
from toolkit.views.raters import label_scale, rater_group_of, rater_kinds, rater_table, rating_scale
from toolkit.views.references import (
    extraction_reference,
    human_majority,
    majority_labels,
    relevance_reference,
)

__all__ = [
    "rater_kinds",
    "rater_group_of",
    "rater_table",
    "rating_scale",
    "label_scale",
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
