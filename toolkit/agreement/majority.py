"""Per-item plurality label with reported ties (the reference label a set of judges is scored against)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from toolkit.agreement.multirater import category_counts
from toolkit.longform import ItemKey, coded_matrix, from_long

__all__ = ["majority_vote", "majority_from_counts"]


def _restore_dtype(values: np.ndarray, cats: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """Nullable pandas array of the labels' kind, so a tie's ``<NA>`` does not turn bools into objects."""
    kind = np.asarray(cats).dtype.kind
    if kind == "b":
        return pd.array(values, dtype="boolean")
    if kind in "iu":
        return pd.array(values, dtype="Int64")
    if kind == "f":
        return pd.array(values, dtype="Float64")
    if all(isinstance(c, str) for c in cats):
        return pd.array(values, dtype="string")
    return pd.array(values, dtype=object)


def majority_vote(
    ratings: npt.ArrayLike | pd.DataFrame,
    *,
    item: ItemKey | None = None,
    rater: str | None = None,
    label: str | None = None,
    categories: Sequence[Hashable] | None = None,
    ties: Literal["flag", "raise"] = "flag",
) -> pd.DataFrame:
    """Per-item plurality label with an explicit tie policy (ties are reported, never guessed).

    Parameters
    ----------
    ratings : DataFrame or array-like
        Long frame with ``item``, ``rater`` and ``label`` columns, or an ``items x raters`` matrix with
        NaN/None = missing (items are then numbered by row position).
    categories : sequence, optional
        Declared category set (validates labels).
    ties : {"flag", "raise"}
        ``"flag"`` (default): tied items get ``label = <NA>`` and ``tie = True``. ``"raise"``: a ValueError
        listing the tied items. With three binary raters there is never a tie; with a missing rater
        (1 vs 1) there can be.

    Returns
    -------
    DataFrame
        One row per item: the item key column(s) (``item`` for array input), ``label`` (nullable dtype
        matching the labels: ``boolean``, ``Int64``, ``Float64``, ``string`` or object; ``<NA>`` on ties),
        ``n_raters``, ``n_votes`` (votes for the winning label, or for each tied label), ``share``
        (``n_votes / n_raters``) and ``tie`` (bool). A row of a matrix with no rating at all gets
        ``label = <NA>``, ``n_raters = 0``, ``share = NaN`` and ``tie = False`` (no vote, not a tie).

    Notes
    -----
    Plurality, not strict majority: with 5 categories and 5 raters, 2-1-1-1 wins with 2 votes. Filter on
    ``share > 0.5`` for a strict majority.

    Examples
    --------
    Three raters, the third missing on the second item (a 1-1 tie):

    >>> import pandas as pd
    >>> frame = pd.DataFrame({"item": ["a", "a", "a", "b", "b"], "rater": ["h1", "h2", "h3", "h1", "h2"],
    ...                       "label": [True, True, False, True, False]})
    >>> majority_vote(frame, item="item", rater="rater", label="label")
      item  label  n_raters  n_votes     share    tie
    0    a   True         3        2  0.666667  False
    1    b   <NA>         2        1  0.500000   True
    """
    if ties not in ("flag", "raise"):
        raise ValueError(f"ties must be 'flag' or 'raise', got {ties!r}")
    if any(x is not None for x in (item, rater, label)):
        if not all(x is not None for x in (item, rater, label)):
            raise ValueError("long-format input needs all of item=, rater= and label=")
        coded = from_long(ratings, item=item, rater=rater, label=label, categories=categories)  # type: ignore[arg-type]
        codes, cats, keys = coded.to_wide(), coded.categories, coded.items.reset_index(drop=True)
    else:
        codes, cats = coded_matrix(ratings, categories=categories, what="majority_vote ratings")
        keys = pd.DataFrame({"item": np.arange(codes.shape[0])})
    return majority_from_counts(category_counts(codes, len(cats)), cats, keys, ties=ties)


def majority_from_counts(
    counts: np.ndarray, categories: np.ndarray, keys: pd.DataFrame, *, ties: Literal["flag", "raise"] = "flag"
) -> pd.DataFrame:
    """:func:`majority_vote`'s frame from ``items x categories`` vote counts (the engine's entry point).

    Parameters
    ----------
    counts : ndarray
        ``items x categories`` votes.
    categories : ndarray
        The categories, in column order.
    keys : DataFrame
        The items' key column(s), one row per row of ``counts``.
    ties : {"flag", "raise"}
        As in :func:`majority_vote`.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> majority_from_counts(np.array([[2, 1], [1, 1], [0, 0]]), np.array([False, True]),
    ...                      pd.DataFrame({"item": ["a", "b", "c"]}))
      item  label  n_raters  n_votes     share    tie
    0    a  False         3        2  0.666667  False
    1    b   <NA>         2        1  0.500000   True
    2    c   <NA>         0        0       NaN  False
    """
    if ties not in ("flag", "raise"):
        raise ValueError(f"ties must be 'flag' or 'raise', got {ties!r}")
    counts = np.asarray(counts)
    n_raters = counts.sum(axis=1)
    rated = n_raters > 0
    top = counts.max(axis=1)
    tie = ((counts == top[:, None]).sum(axis=1) > 1) & rated
    if ties == "raise" and tie.any():
        where = np.flatnonzero(tie)[:5]
        raise ValueError(
            f"{int(tie.sum())} item(s) have tied votes, e.g. {keys.iloc[where].to_dict('records')}; "
            "use ties='flag' to report them"
        )
    winner = np.empty(len(counts), dtype=object)
    winner[:] = np.asarray(categories, dtype=object)[counts.argmax(axis=1)]
    winner[tie | ~rated] = pd.NA
    out = keys.reset_index(drop=True).copy()
    out["label"] = _restore_dtype(winner, categories)
    out["n_raters"] = n_raters.astype(np.int64)
    out["n_votes"] = top.astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share"] = top / n_raters
    out["tie"] = tie
    return out
