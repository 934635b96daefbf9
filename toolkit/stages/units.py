"""The study's sampling units: what each stage's design-aware bootstrap resamples, and how tables name it.

The judgments of a stage are not independent items; they come in sampling units, and an interval that
resamples items treats every unit's items as independent draws (too narrow when units differ):

* stage 1, attribute extraction: the attributes of a user are extracted from, and judged against, that
  user's history: the unit is the **user** (``user_id``); the item is the attribute (``attribute_id``);
* stage 2, relevance matching: the items (user, prompt, attribute) of one user-prompt pair are judged
  together: the unit is the **user-prompt pair** (``pair_id`` of :func:`toolkit.views.relevance_long`);
  ``("user_id", "prompt_id")`` resamples the two crossed levels instead (conservative, see
  :mod:`toolkit.resampling`); the item is ``item_id``;
* stage 3, rating: the rated cells (response, attribute) of a personalized response are rated together:
  the unit is the **response** (``personalized_response_id``); the item is the cell (``cell``).

Every stage statistic with an interval takes ``clusters=`` (a column, or two crossed columns, of the stage's
long table): by default the stage's unit (:data:`SAMPLING_UNITS`); ``None`` resamples the stage's items
(:data:`STAGE_ITEMS`), as the toolkit did before. Its table says what was resampled in a ``resampled_unit``
column (:func:`resampled_unit`).
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["SAMPLING_UNITS", "STAGE_ITEMS", "NO_RESAMPLING", "FISHER_Z", "ClusterColumns", "resampled_unit"]

#: The sampling unit of each stage: the column of its long table a design-aware bootstrap resamples.
SAMPLING_UNITS: dict[str, str] = {
    "extraction": "user_id",
    "relevance": "pair_id",
    "rating": "personalized_response_id",
}
#: The item of each stage: what ``clusters=None`` resamples.
STAGE_ITEMS: dict[str, str] = {"extraction": "attribute_id", "relevance": "item_id", "rating": "cell"}
#: ``resampled_unit`` of an interval that is not a bootstrap (or of no interval).
NO_RESAMPLING = "none"
#: ``resampled_unit`` of a correlation's analytic (Fisher-z) interval.
FISHER_Z = f"{NO_RESAMPLING} (Fisher z)"

#: One column of a long table, two crossed columns, or ``None`` (the items).
ClusterColumns = str | Sequence[str] | None


def resampled_unit(clusters: ClusterColumns, *, item: str, n_boot: int) -> str:
    """The ``resampled_unit`` entry of a stage table: the column(s) the bootstrap resampled.

    ``clusters=None`` resampled the stage's ``item``; two crossed columns are joined with ``" x "``; without
    resamples (``n_boot == 0``) nothing was resampled (:data:`NO_RESAMPLING`).

    Examples
    --------
    >>> resampled_unit("pair_id", item="item_id", n_boot=1000)
    'pair_id'
    >>> resampled_unit(None, item="item_id", n_boot=1000)
    'item_id'
    >>> resampled_unit(("user_id", "prompt_id"), item="item_id", n_boot=1000)
    'user_id x prompt_id'
    >>> resampled_unit("pair_id", item="item_id", n_boot=0)
    'none'
    """
    if n_boot <= 0:
        return NO_RESAMPLING
    if clusters is None:
        return item
    return clusters if isinstance(clusters, str) else " x ".join(clusters)
