"""Reference labels: the human majority of each item, which stage-1 verifiers and stage-2 methods are scored
against.

One rule for both stages: the majority of the raters of kind ``human`` (by
:func:`toolkit.agreement.majority_vote`; ties are reported, never guessed), or, when the dataset has no
human judgments (as imported from the authors' files), the labels of an ``aggregate`` rater.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from toolkit.agreement import majority_vote
from toolkit.dataset import Dataset
from toolkit.jsonl import DataError
from toolkit.views.long import extraction_long, relevance_long
from toolkit.vocabulary import AGGREGATE, HUMAN, MAJORITY_RATER, natural_key

__all__ = ["majority_labels", "human_majority", "relevance_reference", "extraction_reference"]


def majority_labels(
    long: pd.DataFrame, *, item: str, label: str, ds: Dataset, file: str, preferred: str | None = None,
    human_order: Callable[[str], object] | None = None,
) -> tuple[pd.DataFrame, str]:
    """Reference label per item: the human raters' majority, else one ``aggregate`` rater's labels.

    Parameters
    ----------
    long : DataFrame
        Long table with ``item``, ``rater_id``, ``kind`` and ``label`` columns.
    item, label : str
        Item and label columns.
    ds, file : Dataset, str
        For the error when there is neither a human nor an aggregate judgment.
    preferred : str, optional
        Aggregate rater to prefer when several exist (else the first id, sorted).
    human_order : callable, optional
        Sort key of the human rater ids named in ``source``.

    Returns
    -------
    (DataFrame, str)
        ``item, label, n_raters, tie`` (the output of :func:`toolkit.agreement.majority_vote`; an aggregate
        rater's labels have ``n_raters`` missing and no ties) and the source of the labels.
    """
    humans = long[long["kind"] == HUMAN]
    if len(humans):
        mv = majority_vote(humans, item=item, rater="rater_id", label=label)
        return mv, "majority of " + ", ".join(sorted(humans["rater_id"].unique(), key=human_order))
    aggregates = long[long["kind"] == AGGREGATE]
    present = sorted(set(aggregates["rater_id"]))
    if not present:
        raise DataError(ds.path, 0, file, "no human or aggregate judgments to use as the reference "
                        "(the human majority)")
    chosen = preferred if preferred in present else present[0]
    agg = aggregates[aggregates["rater_id"] == chosen]
    mv = pd.DataFrame({item: agg[item].to_numpy(), "label": agg[label].astype("boolean").to_numpy(),
                       "n_raters": pd.NA, "tie": False})
    return mv, chosen


def human_majority(ds: Dataset) -> pd.DataFrame:
    """The human-majority relevance label of every stage-2 item.

    Computed from the human raters' judgments by :func:`toolkit.agreement.majority_vote` when the dataset has
    them; otherwise taken from an ``aggregate`` rater's judgments (as imported from the authors' files, whose
    ground truth is the majority of three annotators; ``human-majority`` is preferred). Ties (possible only
    when an item lacks a rater) are reported in a ``tie`` column with a missing label, never guessed.

    Returns
    -------
    DataFrame
        ``item_id, majority (boolean, NA on ties), n_raters, tie, source`` where ``source`` names the rater(s)
        the label comes from.
    """
    mv, source = majority_labels(relevance_long(ds), item="item_id", label="relevant", ds=ds,
                                 file="relevance_judgments", preferred=MAJORITY_RATER, human_order=natural_key)
    mv = mv.rename(columns={"label": "majority"})
    mv["source"] = source
    return mv


def relevance_reference(ds: Dataset) -> tuple[pd.DataFrame, dict[str, object]]:
    """The human-majority relevance label of every stage-2 item that has one (ties and gaps left out).

    Returns
    -------
    (DataFrame, dict)
        ``item_id, majority`` (bool), and a summary: ``n_items`` (with a label), ``n_ties`` (left out),
        ``source`` (which raters the label comes from, see :func:`human_majority`).
    """
    mv = human_majority(ds)
    usable = mv[mv["majority"].notna()]
    ref = pd.DataFrame({"item_id": usable["item_id"].to_numpy(), "majority": usable["majority"].astype(bool).to_numpy()})
    info = {
        "n_items": int(len(ref)),
        "n_ties": int(len(mv) - len(ref)),
        "source": str(mv["source"].iloc[0]) if len(mv) else "",
    }
    return ref, info


def extraction_reference(ds: Dataset) -> tuple[pd.DataFrame, dict[str, object]]:
    """Per attribute, whether it is problematic under the human majority (Table 2's positive class).

    Each human label is made binary (uncertain or rejected = problematic) and the majority taken with
    :func:`toolkit.agreement.majority_vote`; ties (possible only when an attribute lacks a judgment) are
    left out. Without human judgments, an ``aggregate`` rater's labels are used.

    Returns
    -------
    (DataFrame, dict)
        ``attribute_id, label`` (bool: problematic) and ``n_items, n_ties, source``.
    """
    mv, source = majority_labels(extraction_long(ds), item="attribute_id", label="problematic", ds=ds,
                                 file="extraction_judgments")
    ok = mv["label"].notna()
    ref = pd.DataFrame({"attribute_id": mv.loc[ok, "attribute_id"].to_numpy(),
                        "label": mv.loc[ok, "label"].astype(bool).to_numpy()})
    return ref, {"n_items": int(ok.sum()), "n_ties": int((~ok).sum()), "source": source}
