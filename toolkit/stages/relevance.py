"""Stage 2, relevance matching: every method's accuracy, precision, recall, F1 and YES rate against the human
majority (Fig. 4, Table 3), and the majority's own positive rate.

Intervals resample stage 2's sampling unit, the user-prompt pair (``clusters="pair_id"``; two crossed
columns ``("user_id", "prompt_id")`` for the crossed bootstrap; ``None`` resamples items), see
:mod:`toolkit.stages.units`.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from toolkit.dataset import Dataset
from toolkit.jsonl import DataError
from toolkit.longform import item_cluster_ids
from toolkit.metrics import binary_metrics, judge_metrics
from toolkit.stages.memo import memo_per_dataset
from toolkit.stages.units import SAMPLING_UNITS, STAGE_ITEMS, ClusterColumns, resampled_unit
from toolkit.views import method_order, rater_kinds, relevance_long, relevance_reference
from toolkit.vocabulary import METHOD_KINDS

__all__ = ["method_metrics", "reference_positive_rate"]

UNIT, ITEM = SAMPLING_UNITS["relevance"], STAGE_ITEMS["relevance"]


@memo_per_dataset
def method_metrics(
    ds: Dataset,
    *,
    kinds: Sequence[str] = METHOD_KINDS,
    n_boot: int = 1000,
    ci: float = 0.95,
    seed: int = 0,
    clusters: ClusterColumns = UNIT,
) -> tuple[pd.DataFrame, dict[str, object]]:
    """Accuracy, precision, recall, F1 and YES rate of every stage-2 method against the human majority.

    Calls :func:`toolkit.metrics.judge_metrics` on the judgments of the raters of ``kinds`` (every LLM judge
    and baseline present, whatever their ids) with the items' human majority (ties left out) as reference;
    intervals are bootstrap percentiles resampling ``clusters`` (columns of
    :func:`toolkit.views.relevance_long`; default the user-prompt pair, ``None`` the item), all methods
    rescored on the same resamples.

    Returns
    -------
    (DataFrame, dict)
        ``method, kind, metric, value, ci_low, ci_high, n_items, resampled_unit`` (metrics as in
        :data:`toolkit.metrics.CLASSIFICATION_METRICS`; ``positive_rate`` is the YES rate), and the
        reference summary of :func:`relevance_reference`.

    Raises
    ------
    DataError
        When the dataset has no judgments by a rater of ``kinds``.

    Examples
    --------
    >>> from toolkit.dataset import load_dataset
    >>> table, info = method_metrics(load_dataset(), n_boot=0)
    >>> f1 = table[(table["method"] == "claude-sonnet-4.6") & (table["metric"] == "f1")]
    >>> round(f1["value"].item(), 3), info["n_items"]  # paper: F1 0.515 over 3,973 items
    (0.519, 3973)
    """
    long = relevance_long(ds)
    ref, info = relevance_reference(ds)
    order = method_order(ds.frame("raters"), long["rater_id"].unique(), kinds)
    if not order:
        raise DataError(
            ds.path, 0, "relevance_judgments",
            f"no relevance judgments by a rater of kind {' or '.join(kinds)} to score against the human majority",
        )
    judged = long[long["rater_id"].isin(order)]
    table = judge_metrics(
        judged, ref, item="item_id", rater="rater_id", label="relevant", reference_label="majority",
        raters=order, n_boot=n_boot, ci=ci, seed=seed, clusters=clusters,
    )
    kind_of = rater_kinds(ds)
    table = table.rename(columns={"rater": "method"})
    table.insert(1, "kind", table["method"].map(kind_of))
    table["resampled_unit"] = resampled_unit(clusters, item=ITEM, n_boot=n_boot)
    return table, info


def reference_positive_rate(
    ds: Dataset, *, n_boot: int = 1000, ci: float = 0.95, seed: int = 0, clusters: ClusterColumns = UNIT
) -> pd.DataFrame:
    """Share of stage-2 items relevant under the human majority (the paper: 17.8%), with a bootstrap interval
    resampling ``clusters`` (default the user-prompt pair; ``None``: items).

    Returns
    -------
    DataFrame
        One row ``method, kind, metric, value, ci_low, ci_high, n_items, resampled_unit`` with ``method`` the
        majority's source, ``kind = "reference"`` and ``metric = "positive_rate"``.

    Examples
    --------
    >>> from toolkit.dataset import load_dataset
    >>> round(reference_positive_rate(load_dataset(), n_boot=0)["value"].item(), 3)  # paper: 0.178
    0.177
    """
    ref, info = relevance_reference(ds)
    if not len(ref):
        raise DataError(ds.path, 0, "relevance_judgments", "no stage-2 item has a human-majority label")
    design = None
    if clusters is not None and n_boot > 0:
        design = item_cluster_ids(relevance_long(ds), ref, item="item_id", clusters=clusters)
    m = binary_metrics(ref["majority"], ref["majority"], n_boot=n_boot, ci=ci, seed=seed, clusters=design)
    row = m[m["metric"] == "positive_rate"].iloc[0]
    unit = resampled_unit(clusters, item=ITEM, n_boot=n_boot)
    return pd.DataFrame(
        [("human majority", "reference", "positive_rate", row["value"], row["ci_low"], row["ci_high"],
          int(row["n_items"]), unit)],
        columns=["method", "kind", "metric", "value", "ci_low", "ci_high", "n_items", "resampled_unit"],
    )
