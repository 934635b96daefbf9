"""Several raters with missing ratings: Fleiss' kappa, Gwet's AC1 and percent agreement (Gwet 2014).

All three share Gwet's ``p_a``, the mean over items rated at least twice of the share of agreeing rater
pairs, computed from an ``items x categories`` count table (:func:`category_counts`) by
:func:`toolkit.agreement.tables.multirater_from_counts` (the "from tables" entry point an engine shares).

Items with fewer than two ratings carry no agreement information: they are skipped from ``p_a`` and counted
(``details=True`` returns :class:`~toolkit.agreement.tables.UnitCounts`), never an error, as in Gwet's
``irrCAC`` and the ``krippendorff`` package; items with one rating still enter the category prevalences
(Gwet 2014), items with none are ignored. With no item rated twice the statistic is undefined (NaN).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from toolkit.agreement.tables import UnitCounts, multirater_from_counts
from toolkit.longform import ItemKey, check_categories, coded_matrix

__all__ = [
    "fleiss_kappa",
    "gwet_ac1",
    "percent_agreement",
    "category_counts",
    "ratings_per_item",
]


def category_counts(codes: np.ndarray, k: int) -> np.ndarray:
    """``items x categories`` counts from an ``items x raters`` code matrix (``-1`` = missing).

    Examples
    --------
    >>> import numpy as np
    >>> category_counts(np.array([[0, 1, 1], [2, -1, 2]]), 3)
    array([[1., 2., 0.],
           [0., 0., 2.]])
    """
    n_items = codes.shape[0]
    rows = np.broadcast_to(np.arange(n_items)[:, None], codes.shape)
    ok = codes >= 0
    return np.bincount(rows[ok] * k + codes[ok], minlength=n_items * k).reshape(n_items, k).astype(np.float64)


def ratings_per_item(counts: np.ndarray, what: str) -> np.ndarray:
    """Number of ratings of each item of a count table; ValueError naming ``what`` if an item has none.

    Examples
    --------
    >>> import numpy as np
    >>> ratings_per_item(np.array([[1.0, 2.0], [0.0, 2.0]]), "demo")
    array([3., 2.])
    """
    r = counts.sum(axis=1)
    empty = np.flatnonzero(r == 0)
    if empty.size:
        raise ValueError(
            f"{what}: {empty.size} item(s) have no rating at all (all missing), e.g. rows {empty[:5].tolist()}; "
            "drop them before computing agreement"
        )
    return r


def _counts_input(
    ratings: npt.ArrayLike | pd.DataFrame,
    *,
    kind: str,
    categories: Sequence[Hashable] | None,
    item: ItemKey | None,
    rater: str | None,
    label: str | None,
    what: str,
) -> tuple[np.ndarray, int]:
    if kind == "counts":
        if any(x is not None for x in (item, rater, label)):
            raise ValueError("kind='counts' takes an items x categories table, not a long frame")
        table = ratings.to_numpy() if isinstance(ratings, pd.DataFrame) else np.asarray(ratings)
        if table.ndim != 2:
            raise ValueError(f"{what} count table must be 2-D (items x categories), got shape {table.shape}")
        try:
            table = table.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{what} count table must hold numbers") from exc
        if not np.all(np.isfinite(table)) or (table < 0).any() or not np.all(table == np.round(table)):
            raise ValueError(f"{what} count table must hold finite non-negative integer counts")
        k = table.shape[1] if categories is None else len(check_categories(categories))
        if categories is not None and k != table.shape[1]:
            raise ValueError(
                f"{len(categories)} categories declared but the count table has {table.shape[1]} columns"
            )
        if k < 2:
            raise ValueError(f"{what} count table has a single category column; agreement is undefined")
        return table, k
    if kind != "ratings":
        raise ValueError(f"kind must be 'ratings' or 'counts', got {kind!r}")
    codes, cats = coded_matrix(ratings, categories=categories, item=item, rater=rater, label=label, what=what)
    return category_counts(codes, len(cats)), len(cats)


def fleiss_kappa(
    ratings: npt.ArrayLike | pd.DataFrame,
    *,
    categories: Sequence[Hashable] | None = None,
    kind: Literal["ratings", "counts"] = "ratings",
    item: ItemKey | None = None,
    rater: str | None = None,
    label: str | None = None,
    details: bool = False,
) -> float | UnitCounts:
    """Fleiss' kappa for several raters, generalised to missing ratings (Gwet 2014).

    Parameters
    ----------
    ratings : array-like or DataFrame
        With ``kind="ratings"`` (default): an ``items x raters`` matrix of labels, NaN/None = missing; or a
        long frame when ``item``, ``rater`` and ``label`` are given. With ``kind="counts"``: an
        ``items x categories`` table of how many raters put each item in each category (Fleiss 1971).
    categories : sequence, optional
        Full category set (default: labels observed; with ``kind="counts"``, the table's columns).
    kind : {"ratings", "counts"}
        How to read ``ratings``; explicit because an integer matrix could be either.
    item, rater, label : optional
        Column names for long-format input.
    details : bool
        Return :class:`~toolkit.agreement.tables.UnitCounts` (the value, the items used and skipped)
        instead of the float.

    Returns
    -------
    float
        ``(p_a - p_e) / (1 - p_e)`` with ``p_a`` the mean over items rated at least twice of the share of
        agreeing rater pairs, and ``p_e = sum_k pi_k^2``, ``pi_k`` the mean over all rated items of the share
        of the item's ratings in category ``k``. With equal raters per item this is Fleiss (1971). ``NaN``
        when ``p_e = 1`` (every rating in one category: no chance disagreement) or no item is rated twice.
        Items with fewer than two ratings are skipped from ``p_a`` (counted with ``details=True``).

    Raises
    ------
    ValueError
        A single category, malformed count tables.

    Notes
    -----
    Checked against Fleiss (1971), 30 patients x 6 raters: 0.4302445 (``tests/reference/fleiss_1971.md``),
    and Gwet (2014)'s ``cac.raw4raters`` with missing ratings: 0.761 (``tests/reference/gwet_2014.md``);
    cross-checked with :func:`statsmodels.stats.inter_rater.fleiss_kappa` on complete data.

    Examples
    --------
    Fleiss (1971), Table 1: 30 patients, each diagnosed by 6 psychiatrists into 5 categories (per patient,
    the number choosing each category); published kappa 0.430, 0.4302445 to seven decimals
    (``tests/reference/fleiss_1971.md``):

    >>> import numpy as np
    >>> counts = np.array([
    ...     [0, 0, 0, 6, 0], [0, 3, 0, 0, 3], [0, 1, 4, 0, 1], [0, 0, 0, 0, 6], [0, 3, 0, 3, 0],
    ...     [2, 0, 4, 0, 0], [0, 0, 4, 0, 2], [2, 0, 3, 1, 0], [2, 0, 0, 4, 0], [0, 0, 0, 0, 6],
    ...     [1, 0, 0, 5, 0], [1, 1, 0, 4, 0], [0, 3, 3, 0, 0], [1, 0, 0, 5, 0], [0, 2, 0, 3, 1],
    ...     [0, 0, 5, 0, 1], [3, 0, 0, 1, 2], [5, 1, 0, 0, 0], [0, 2, 0, 4, 0], [1, 0, 2, 0, 3],
    ...     [0, 0, 0, 0, 6], [0, 1, 0, 5, 0], [0, 2, 0, 1, 3], [2, 0, 0, 4, 0], [1, 0, 0, 4, 1],
    ...     [0, 5, 0, 1, 0], [4, 0, 0, 0, 2], [0, 2, 0, 4, 0], [1, 0, 5, 0, 0], [0, 0, 0, 0, 6]])
    >>> round(fleiss_kappa(counts, kind="counts"), 7)
    0.4302445

    With missing ratings (``items x raters``, NaN = missing):

    >>> round(fleiss_kappa(np.array([[1, 1, np.nan], [2, 2, 2], [1, 2, 2], [3, np.nan, 3]])), 4)
    0.7447

    Items with fewer than two ratings are skipped and counted, never an error:

    >>> res = fleiss_kappa(np.array([[1, 1, np.nan], [2, 2, 2], [1, 2, 2], [3, np.nan, 3],
    ...                              [np.nan, np.nan, np.nan]]), details=True)
    >>> round(res.value, 4), res.n_pairable, res.n_skipped, res.n_empty
    (0.7447, 4, 1, 1)
    """
    counts, _ = _counts_input(
        ratings, kind=kind, categories=categories, item=item, rater=rater, label=label, what="fleiss_kappa"
    )
    res = multirater_from_counts(counts, "fleiss_kappa")
    return res if details else res.value


def gwet_ac1(
    ratings: npt.ArrayLike | pd.DataFrame,
    *,
    categories: Sequence[Hashable] | None = None,
    kind: Literal["ratings", "counts"] = "ratings",
    item: ItemKey | None = None,
    rater: str | None = None,
    label: str | None = None,
    details: bool = False,
) -> float | UnitCounts:
    """Gwet's AC1 for two or more raters with missing ratings (Gwet 2008; 2014).

    AC1 replaces kappa's chance term by ``p_e = sum_k pi_k (1 - pi_k) / (q - 1)``, which stays small when
    one category dominates. It therefore does not collapse under the low-prevalence "kappa paradox"
    (only ~18% of stage-2 items are relevant), where kappa can be near zero despite 90%+ agreement.

    Parameters
    ----------
    ratings, kind, item, rater, label
        As in :func:`fleiss_kappa` (``items x raters`` with NaN = missing, a count table, or long format).
    categories : sequence, optional
        Full category set; ``q = len(categories)`` enters the chance term, so declare it when some
        categories were never used (default: the categories observed).
    details : bool
        As in :func:`fleiss_kappa`.

    Returns
    -------
    float
        ``(p_a - p_e) / (1 - p_e)`` with ``p_a`` and ``pi_k`` as in :func:`fleiss_kappa`. For two raters
        and complete data this is Gwet's two-rater AC1.

    Raises
    ------
    ValueError
        As :func:`fleiss_kappa`.

    Notes
    -----
    Checked against Gwet (2014): ``cont3x3abstractors`` 0.8493305 and ``cac.raw4raters`` 0.775
    (``tests/reference/gwet_2014.md``).

    Examples
    --------
    Gwet (2014)'s ``cont3x3abstractors``: 2 abstractors, 100 women, 3 categories (rows: abstractor 1),
    published AC1 0.8493305 (``tests/reference/gwet_2014.md``):

    >>> import numpy as np
    >>> table = np.array([[13, 0, 0], [0, 20, 7], [0, 4, 56]])
    >>> labels = np.array(["Ectopic", "AIU", "NIU"])
    >>> wide = np.c_[np.repeat(labels.repeat(3), table.ravel()), np.repeat(np.tile(labels, 3), table.ravel())]
    >>> wide.shape
    (100, 2)
    >>> round(gwet_ac1(wide), 7)
    0.8493305
    """
    counts, q = _counts_input(
        ratings, kind=kind, categories=categories, item=item, rater=rater, label=label, what="gwet_ac1"
    )
    res = multirater_from_counts(counts, "gwet_ac1", n_categories=q)
    return res if details else res.value


def percent_agreement(
    ratings: npt.ArrayLike | pd.DataFrame,
    *,
    categories: Sequence[Hashable] | None = None,
    item: ItemKey | None = None,
    rater: str | None = None,
    label: str | None = None,
    details: bool = False,
) -> float | UnitCounts:
    """Observed agreement: mean over items rated at least twice of the share of agreeing rater pairs.

    Parameters
    ----------
    ratings : array-like or DataFrame
        ``items x raters`` labels with NaN/None = missing, or a long frame with ``item``/``rater``/``label``.
    categories : sequence, optional
        Declared category set (only validates labels; the value does not depend on it).
    details : bool
        As in :func:`fleiss_kappa`.

    Returns
    -------
    float
        In [0, 1]. For two raters, the proportion of items with identical labels. Items rated fewer than
        twice are skipped; NaN when no item is rated twice.

    Notes
    -----
    This is the ``p_a`` of Gwet (2014) shared by :func:`fleiss_kappa` and :func:`gwet_ac1`; checked on
    ``cac.raw4raters`` (0.8181818) and ``cont3x3abstractors`` (0.89).

    Examples
    --------
    Gwet (2014)'s ``cac.raw4raters`` (Krippendorff's 2011 data, 12 units x 4 raters, NaN = missing),
    published ``p_a`` 0.8181818 (``tests/reference/gwet_2014.md``):

    >>> import numpy as np
    >>> nan = np.nan
    >>> raw4 = np.array([
    ...     [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    ...     [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    ...     [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    ...     [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan]]).T
    >>> round(percent_agreement(raw4), 7)
    0.8181818
    """
    codes, cats = coded_matrix(
        ratings, categories=categories, item=item, rater=rater, label=label, what="percent_agreement"
    )
    res = multirater_from_counts(category_counts(codes, len(cats)), "percent_agreement")
    return res if details else res.value
