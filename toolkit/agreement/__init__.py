"""Inter-rater agreement statistics.

Everything the paper reports about agreement (pairwise Cohen's kappa between the 3 human annotators and
the 5 LLM judges, the human-human / LLM-LLM / human-LLM group means of Fig. 3) plus the multi-rater
coefficients a follow-up study needs (Fleiss' kappa and Gwet's AC1 with missing ratings, Krippendorff's
alpha at every level of measurement, percent agreement, majority vote with reported ties).

The public API is this flat namespace (``from toolkit.agreement import group_agreement``); the code lives
in one module per statistical family:

=================================== ==================================================================
:mod:`toolkit.agreement.kappa`      two raters: Cohen's kappa, its SE (or ``clusters=`` bootstrap), tables
:mod:`toolkit.agreement.multirater` Fleiss' kappa, Gwet's AC1, percent agreement (missing ratings)
:mod:`toolkit.agreement.alpha`      Krippendorff's alpha at every level of measurement
:mod:`toolkit.agreement.majority`   majority vote with reported ties
:mod:`toolkit.agreement.pairwise`   all rater pairs, rater x rater matrices, group means, bootstrap CIs
:mod:`toolkit.agreement.tables`     the same statistics from sufficient statistics ("from tables"):
                                    pair confusion tables, unit count profiles, coincidences
=================================== ==================================================================

Input conventions
-----------------
* **Long format** ``(item, rater, label)`` is the main input: a :class:`pandas.DataFrame` with one row per
  judgment (the contract of :mod:`toolkit.longform`). ``item`` may be one column name or a list of column
  names (a composite key such as the stage-2 ``["prompt_id", "attribute_id"]``). A missing judgment is an
  *absent row*; NaN labels raise.
* **Array forms** where a signature says so: two 1-D label arrays for :func:`cohen_kappa`; an
  ``items x raters`` matrix (NaN/None = missing) for :func:`fleiss_kappa`, :func:`gwet_ac1`,
  :func:`percent_agreement` and :func:`majority_vote`; a ``raters x units`` matrix for
  :func:`krippendorff_alpha` (Krippendorff's own orientation, also that of the ``krippendorff`` package).
* ``categories`` declares the full, ordered category set. By default it is the sorted set of labels
  observed. Declare it for ordinal scales (``categories=[1, 2, 3, 4, 5]``) so unobserved levels keep
  their place in weighted kappa, and for Gwet's AC1, whose chance term depends on the number of
  categories.

Undefined statistics
--------------------
Statistics that are undefined for the data at hand return ``NaN`` (never ``0`` and never an exception):
a chance-corrected coefficient whose chance disagreement is zero (both raters put every item in one
category, so ``1 - p_e = 0``), a pair of raters sharing no item, a correlation with a constant rater.
Units (items) with fewer than two values are unpairable: Fleiss' kappa, Gwet's AC1, percent agreement and
Krippendorff's alpha skip them and count them (``details=True``), as the ``krippendorff`` package and
Gwet's ``irrCAC`` do; with no pairable unit the statistic is NaN. Structurally invalid input raises
:class:`ValueError` naming the problem: mismatched lengths, a single
category (declared, or observed when none are declared), unknown levels or metrics,
labels outside the declared categories, NaN labels where missing values are not allowed, duplicated
``(item, rater)`` judgments.

Performance
-----------
Confusion tables for all rater pairs are built with one :func:`numpy.bincount` over the within-item rater
pairs (no Python loop over items). The item-cluster bootstrap (:mod:`toolkit.resampling`) multiplies a
matrix of item multiplicities (resamples x items) with a sparse item-by-(pair, cell) incidence matrix,
giving every resample's pairwise tables at once; ``clusters=`` (on :func:`pairwise_agreement`,
:func:`pairwise_matrix`, :func:`group_agreement` and :func:`cohen_kappa_ci`) resamples sampling units
instead of items. See ``benchmarks/agreement.py``.
"""

from __future__ import annotations

from toolkit.agreement.alpha import krippendorff_alpha
from toolkit.agreement.kappa import LEVELS, PAIRWISE_METRICS, KappaResult, cohen_kappa, cohen_kappa_ci
from toolkit.agreement.majority import majority_from_counts, majority_vote
from toolkit.agreement.multirater import fleiss_kappa, gwet_ac1, percent_agreement
from toolkit.agreement.pairwise import group_agreement, pairwise_agreement, pairwise_matrix
from toolkit.agreement.tables import (
    PairTables,
    UnitCounts,
    alpha_from_coincidences,
    alpha_from_counts,
    coincidences,
    group_from_tables,
    multirater_from_counts,
    pairwise_from_tables,
)

__all__ = [
    "KappaResult",
    "cohen_kappa",
    "cohen_kappa_ci",
    "fleiss_kappa",
    "gwet_ac1",
    "krippendorff_alpha",
    "percent_agreement",
    "majority_vote",
    "pairwise_agreement",
    "pairwise_matrix",
    "group_agreement",
    "PairTables",
    "UnitCounts",
    "pairwise_from_tables",
    "group_from_tables",
    "multirater_from_counts",
    "coincidences",
    "alpha_from_coincidences",
    "alpha_from_counts",
    "majority_from_counts",
    "PAIRWISE_METRICS",
    "LEVELS",
]
