"""Binary classification against a reference: accuracy, precision, recall, F1 and positive rates, with
(cluster) bootstrap intervals (stage 2: Fig. 4, Table 3).

Undefined metrics are ``NaN`` (precision with no predicted positive, recall with no reference positive),
never a silent 0 as with scikit-learn's ``zero_division``.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import sparse

from toolkit.longform import (
    REFERENCE_COLUMN,
    ClusterKey,
    ItemKey,
    from_long,
    item_cluster_ids,
    item_columns,
    preview,
    reference_frame,
)
from toolkit.resampling import (
    Clusters,
    SeedLike,
    bootstrap_sums,
    check_bootstrap,
    percentile_interval,
)

__all__ = [
    "CLASSIFICATION_METRICS",
    "accuracy",
    "precision",
    "recall",
    "f1_score",
    "positive_rate",
    "binary_metrics",
    "judge_metrics",
    "metrics_from_counts",
    "judge_metrics_from_counts",
]

#: Row order of :func:`binary_metrics` / :func:`judge_metrics`.
CLASSIFICATION_METRICS: tuple[str, ...] = (
    "accuracy",
    "precision",
    "recall",
    "f1",
    "positive_rate",
    "reference_rate",
)

# Confusion cells, in this order along the last axis: TP, FP, FN, TN.
_TP, _FP, _FN, _TN = range(4)


def _as_positive(values: np.ndarray, positive: Hashable, what: str) -> np.ndarray:
    """Boolean "is positive" of 1-D labels; ValueError on missing values or more than two labels."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{what} must be 1-D, got shape {arr.shape}")
    if arr.dtype.kind not in "biu" and pd.isna(arr).any():
        raise ValueError(f"{what} has {int(pd.isna(arr).sum())} missing labels (NaN/None); drop them first")
    distinct = pd.unique(arr.astype(object)) if arr.dtype.kind == "O" else np.unique(arr)
    if len(distinct) > 2:
        raise ValueError(f"{what} must be binary, found {len(distinct)} labels {preview(distinct)}")
    return np.asarray(arr.astype(object) == positive, dtype=bool)


def _check_binary_pair(
    reference: npt.ArrayLike, prediction: npt.ArrayLike, positive: Hashable
) -> tuple[np.ndarray, np.ndarray]:
    ref, pred = np.asarray(reference), np.asarray(prediction)
    if ref.ndim != 1 or pred.ndim != 1:
        raise ValueError(f"reference and prediction must be 1-D, got shapes {ref.shape} and {pred.shape}")
    if ref.shape[0] != pred.shape[0]:
        raise ValueError(
            f"reference and prediction have different lengths ({ref.shape[0]} vs {pred.shape[0]})"
        )
    if ref.shape[0] == 0:
        raise ValueError("reference and prediction are empty")
    r = _as_positive(ref, positive, "reference")
    p = _as_positive(pred, positive, "prediction")
    _check_union(ref, pred, positive)
    return r, p


def _check_union(ref: np.ndarray, pred: np.ndarray, positive: Hashable) -> None:
    """Reference and prediction must share one binary label set containing ``positive``."""
    labels = pd.unique(np.concatenate([np.asarray(ref).astype(object), np.asarray(pred).astype(object)]))
    if len(labels) > 2:
        raise ValueError(f"reference and prediction together use more than two labels: {preview(labels)}")
    if len(labels) == 2 and not any(_same(lab, positive) for lab in labels):
        raise ValueError(f"positive={positive!r} is not one of the labels {list(labels)!r}")


def _same(a: object, b: object) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def _cells(ref: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Confusion cell index per row: TP 0, FP 1, FN 2, TN 3."""
    return 2 * (~pred).astype(np.int64) + (~ref).astype(np.int64)


def metrics_from_counts(counts: np.ndarray) -> dict[str, np.ndarray]:
    """Classification metrics from ``(..., 4)`` TP/FP/FN/TN counts; NaN where a denominator is zero.

    The "from tables" entry point shared by :func:`binary_metrics`, :func:`judge_metrics` and the engines
    (:mod:`toolkit.engine`).

    Examples
    --------
    >>> out = metrics_from_counts(np.array([2, 1, 1, 4]))  # TP, FP, FN, TN
    >>> {k: round(float(v), 3) for k, v in out.items()}
    {'accuracy': 0.75, 'precision': 0.667, 'recall': 0.667, 'f1': 0.667, 'positive_rate': 0.375, 'reference_rate': 0.375}
    """
    c = np.asarray(counts, dtype=np.float64)
    tp, fp, fn, tn = c[..., _TP], c[..., _FP], c[..., _FN], c[..., _TN]
    n = tp + fp + fn + tn

    def div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        out = np.full(np.broadcast(a, b).shape, np.nan)
        np.divide(a, b, out=out, where=b > 0)
        return out

    return {
        "accuracy": div(tp + tn, n),
        "precision": div(tp, tp + fp),
        "recall": div(tp, tp + fn),
        "f1": div(2.0 * tp, 2.0 * tp + fp + fn),
        "positive_rate": div(tp + fp, n),
        "reference_rate": div(tp + fn, n),
    }


def accuracy(reference: npt.ArrayLike, prediction: npt.ArrayLike) -> float:
    """Share of items where ``prediction`` equals ``reference`` (any labels, not only binary).

    Checked against :func:`sklearn.metrics.accuracy_score` in the tests.

    Examples
    --------
    >>> accuracy(["a", "b", "c", "a"], ["a", "b", "a", "a"])
    0.75
    """
    ref, pred = np.asarray(reference), np.asarray(prediction)
    if ref.ndim != 1 or pred.ndim != 1 or ref.shape != pred.shape:
        raise ValueError(
            f"reference and prediction must be 1-D of equal length, got {ref.shape} and {pred.shape}"
        )
    if ref.shape[0] == 0:
        raise ValueError("reference and prediction are empty")
    for name, arr in (("reference", ref), ("prediction", pred)):
        if arr.dtype.kind not in "biu" and pd.isna(arr).any():
            raise ValueError(f"{name} has missing labels (NaN/None); drop them first")
    return float(np.mean(ref.astype(object) == pred.astype(object)))


def precision(reference: npt.ArrayLike, prediction: npt.ArrayLike, *, positive: Hashable = True) -> float:
    """TP / (TP + FP). ``NaN`` when nothing is predicted positive (precision is undefined, not 0).

    Checked against :func:`sklearn.metrics.precision_score` where that is defined.

    Examples
    --------
    >>> precision([True, False, True, False], [True, True, False, False])  # 1 TP, 1 FP
    0.5
    >>> precision([True, False], [False, False])  # nothing predicted positive
    nan
    """
    r, p = _check_binary_pair(reference, prediction, positive)
    return float(metrics_from_counts(np.bincount(_cells(r, p), minlength=4))["precision"])


def recall(reference: npt.ArrayLike, prediction: npt.ArrayLike, *, positive: Hashable = True) -> float:
    """TP / (TP + FN). ``NaN`` when the reference has no positive item (recall is undefined).

    Examples
    --------
    >>> recall(["yes", "yes", "yes", "no"], ["yes", "no", "yes", "yes"], positive="yes")  # 2 of 3 found
    0.6666666666666666
    """
    r, p = _check_binary_pair(reference, prediction, positive)
    return float(metrics_from_counts(np.bincount(_cells(r, p), minlength=4))["recall"])


def f1_score(reference: npt.ArrayLike, prediction: npt.ArrayLike, *, positive: Hashable = True) -> float:
    """2 TP / (2 TP + FP + FN), the harmonic mean of precision and recall.

    ``NaN`` only when neither reference nor prediction has a positive (no positive class to score); it is
    0 when there are positives but no true positive.

    Examples
    --------
    >>> f1_score([1, 1, 1, 0], [1, 0, 1, 1], positive=1)  # precision 2/3, recall 2/3
    0.6666666666666666
    >>> f1_score([0, 0], [0, 0], positive=1)
    nan
    """
    r, p = _check_binary_pair(reference, prediction, positive)
    return float(metrics_from_counts(np.bincount(_cells(r, p), minlength=4))["f1"])


def positive_rate(prediction: npt.ArrayLike, *, positive: Hashable = True) -> float:
    """Share of items predicted positive (humans mark ~18% of stage-2 attributes relevant, LLMs 40-60%).

    Examples
    --------
    >>> positive_rate([True, False, False, False, True])
    0.4
    """
    pred = np.asarray(prediction)
    if pred.ndim != 1 or pred.shape[0] == 0:
        raise ValueError(f"prediction must be a non-empty 1-D array, got shape {pred.shape}")
    return float(_as_positive(pred, positive, "prediction").mean())


def _metric_rows(point: dict[str, np.ndarray], boot: dict[str, np.ndarray] | None, ci: float) -> list[tuple]:
    rows = []
    for name in CLASSIFICATION_METRICS:
        if boot is None:
            lo = hi = np.full(np.shape(point[name]), np.nan)
        else:
            lo, hi = percentile_interval(boot[name], ci)
        rows.append((name, point[name], lo, hi))
    return rows


def binary_metrics(
    reference: npt.ArrayLike,
    prediction: npt.ArrayLike,
    *,
    positive: Hashable = True,
    clusters: Clusters = None,
    n_boot: int = 1000,
    ci: float = 0.95,
    seed: SeedLike = 0,
) -> pd.DataFrame:
    """Accuracy, precision, recall, F1 and positive rates with a (cluster) bootstrap CI.

    Parameters
    ----------
    reference, prediction : array-like, 1-D
        Binary labels aligned by position (e.g. the human majority and one judge).
    positive : hashable
        The positive label (default ``True``).
    clusters : array-like or tuple of two array-likes, optional
        The bootstrap's sampling unit. One array: a cluster id per row; the bootstrap resamples clusters
        with all their rows (e.g. the prompt, when one prompt contributes several attribute items). A tuple
        of two arrays: two crossed levels per row (e.g. ``(user, prompt)``), resampled by the pigeonhole
        bootstrap (conservative; see :mod:`toolkit.resampling`). Default: every row is its own cluster.
    n_boot : int
        Bootstrap resamples (0 = no interval).
    ci : float
        Confidence level of the percentile interval.
    seed : int or numpy.random.Generator or None
        Seed of :func:`numpy.random.default_rng`; the same seed gives identical intervals.

    Returns
    -------
    DataFrame
        Columns ``metric, value, ci_low, ci_high, n_items``; rows in :data:`CLASSIFICATION_METRICS` order
        (``reference_rate`` is the reference's positive share). See the single-metric functions for when
        a value is NaN; resamples where a metric is undefined are left out of its interval.

    Examples
    --------
    >>> ref = [True, True, False, False, True, False, False, False]
    >>> pred = [True, False, False, True, True, False, False, True]
    >>> binary_metrics(ref, pred, clusters=["p1", "p1", "p1", "p2", "p2", "p3", "p3", "p4"], n_boot=200).round(3)
               metric  value  ci_low  ci_high  n_items
    0        accuracy  0.625   0.333    0.858        8
    1       precision  0.500   0.000    1.000        8
    2          recall  0.667   0.500    1.000        8
    3              f1  0.571   0.000    0.667        8
    4   positive_rate  0.500   0.143    1.000        8
    5  reference_rate  0.375   0.000    0.600        8

    Two crossed levels (user x prompt):

    >>> users, prompts = ["u1", "u1", "u2", "u2", "u3", "u3", "u4", "u4"], ["p1", "p2"] * 4
    >>> out = binary_metrics(ref, pred, clusters=(users, prompts), n_boot=200)
    >>> out.loc[out.metric == "accuracy"].round(3)
         metric  value  ci_low  ci_high  n_items
    0  accuracy  0.625     0.0      1.0        8
    """
    check_bootstrap(n_boot, ci)
    r, p = _check_binary_pair(reference, prediction, positive)
    cells = _cells(r, p)
    point = metrics_from_counts(np.bincount(cells, minlength=4))
    boot = None
    if n_boot > 0:  # clusters are only read (and checked) when there is a bootstrap
        n = len(cells)
        incidence = sparse.csr_matrix((np.ones(n), (np.arange(n), cells)), shape=(n, 4))
        boot = metrics_from_counts(bootstrap_sums(incidence, n_boot, seed, clusters=clusters))
    rows = [(m, float(v), float(lo), float(hi), len(cells)) for m, v, lo, hi in _metric_rows(point, boot, ci)]
    return pd.DataFrame(rows, columns=["metric", "value", "ci_low", "ci_high", "n_items"])


def judge_metrics(
    frame: pd.DataFrame,
    reference: pd.DataFrame | pd.Series,
    *,
    item: ItemKey,
    rater: str,
    label: str,
    reference_label: str = "label",
    positive: Hashable = True,
    raters: Sequence[Hashable] | None = None,
    n_boot: int = 1000,
    ci: float = 0.95,
    seed: SeedLike = 0,
    clusters: ClusterKey | None = None,
) -> pd.DataFrame:
    """Per-judge accuracy, precision, recall, F1 and positive rate against a reference (Fig. 4, Table 3).

    Parameters
    ----------
    frame : DataFrame
        Long-format judgments of the raters to score (one row per item and rater).
    reference : DataFrame or Series
        Reference label per item, e.g. the output of :func:`toolkit.agreement.majority_vote` on the human
        raters (columns: the item column(s) and ``reference_label``), or a Series indexed by the item key.
        Items whose reference is missing (majority ties) are left out.
    item, rater, label : str
        Columns of ``frame``; ``item`` may be a list (composite key), and must also be in ``reference``.
    reference_label : str
        Reference label column (default ``"label"``, as returned by ``majority_vote``).
    positive : hashable
        Positive label, shared by ``frame`` and ``reference``.
    raters : sequence, optional
        Subset and order of raters (default: all, sorted).
    n_boot, ci, seed
        Bootstrap: items (or ``clusters``) are resampled with replacement and every judge is rescored on
        the same resample, so judges can be compared on paired resamples.
    clusters : str or pair of str, optional
        The bootstrap's sampling unit: a column of ``frame`` holding each item's cluster (one level), or two
        columns (two crossed levels, e.g. ``("user_id", "prompt_id")``; see :mod:`toolkit.resampling`).
        Each item must have one id per column. Default: items are resampled.

    Returns
    -------
    DataFrame
        Columns ``rater, metric, value, ci_low, ci_high, n_items``; for each rater the metrics of
        :data:`CLASSIFICATION_METRICS`. ``n_items`` counts the rater's items that have a reference.

    Examples
    --------
    Two judges scored against a reference with one tie (item 3, left out):

    >>> import pandas as pd
    >>> reference = pd.DataFrame({"item": [1, 2, 3, 4, 5], "label": [True, False, None, True, False]})
    >>> judges = pd.DataFrame({"item": [1, 2, 3, 4, 5] * 2, "rater": ["j1"] * 5 + ["j2"] * 5,
    ...                        "label": [True, True, False, True, False, True, False, True, False, False]})
    >>> out = judge_metrics(judges, reference, item="item", rater="rater", label="label", n_boot=0)
    >>> out[out.metric.isin(["accuracy", "precision", "recall"])][["rater", "metric", "value", "n_items"]]
      rater     metric     value  n_items
    0    j1   accuracy  0.750000        4
    1    j1  precision  0.666667        4
    2    j1     recall  1.000000        4
    6    j2   accuracy  0.750000        4
    7    j2  precision  1.000000        4
    8    j2     recall  0.500000        4
    """
    check_bootstrap(n_boot, ci)
    item_cols = item_columns(item)
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"frame must be a long-format DataFrame, got {type(frame).__name__}")
    absent = [c for c in [*item_cols, rater, label] if c not in frame.columns]
    if absent:
        raise ValueError(f"frame has no column(s) {absent}; columns are {list(frame.columns)}")
    ref = reference_frame(reference, item_cols, reference_label)
    if frame[label].isna().any():
        raise ValueError(f"label column {label!r} has missing values; drop them first")
    pred_pos = _as_positive(frame[label].to_numpy(), positive, f"frame[{label!r}]")
    ref_pos = _as_positive(ref[REFERENCE_COLUMN].to_numpy(), positive, "reference")
    _check_union(ref[REFERENCE_COLUMN].to_numpy(), frame[label].to_numpy(), positive)
    work = frame[[*item_cols, rater]].assign(__pred__=pred_pos)
    work = work.merge(
        ref[item_cols].assign(__ref__=ref_pos), on=item_cols, how="inner", validate="many_to_one"
    )
    if len(work) == 0:
        raise ValueError("no item of frame has a (non-missing) reference label; check the item key columns")
    # Declared categories keep a judge that always says "yes" from being rejected as single-category.
    coded = from_long(
        work.assign(__cell__=_cells(work["__ref__"].to_numpy(), work["__pred__"].to_numpy())),
        item=item_cols,
        rater=rater,
        label="__cell__",
        categories=[_TP, _FP, _FN, _TN],
        raters=raters,
    )
    n_r = coded.n_raters
    columns = coded.rater * 4 + coded.label
    counts = np.bincount(columns, minlength=n_r * 4).reshape(n_r, 4)
    design = None if clusters is None else item_cluster_ids(frame, coded.items, item=item_cols, clusters=clusters)
    boot = None
    if n_boot > 0:
        incidence = sparse.csr_matrix(
            (np.ones(len(columns)), (coded.item, columns)), shape=(coded.n_items, n_r * 4)
        )
        boot = bootstrap_sums(incidence, n_boot, seed, clusters=design).reshape(n_boot, n_r, 4)
    return judge_metrics_from_counts(coded.raters, counts, boot, ci)


def judge_metrics_from_counts(
    raters: Sequence[Hashable] | np.ndarray, counts: np.ndarray, boot: np.ndarray | None = None, ci: float = 0.95
) -> pd.DataFrame:
    """:func:`judge_metrics`'s frame from each rater's TP/FP/FN/TN counts (and resampled counts).

    Parameters
    ----------
    raters : sequence
        Rater ids, one per row of ``counts``.
    counts : ndarray
        ``(raters, 4)`` TP, FP, FN, TN.
    boot : ndarray, optional
        ``(n_boot, raters, 4)`` counts of bootstrap resamples; ``None``: no interval.
    ci : float
        Confidence level of the percentile interval.

    Examples
    --------
    >>> out = judge_metrics_from_counts(["j1"], np.array([[2, 1, 1, 4]]))
    >>> out[["rater", "metric", "value", "n_items"]].head(2)
      rater     metric     value  n_items
    0    j1   accuracy  0.750000        8
    1    j1  precision  0.666667        8
    """
    counts = np.asarray(counts)
    point = metrics_from_counts(counts)
    boot_metrics = None if boot is None else metrics_from_counts(boot)
    n_items = counts.sum(axis=1)
    rows = []
    for i, rid in enumerate(raters):
        for name, v, lo, hi in _metric_rows(point, boot_metrics, ci):
            rows.append((rid, name, float(v[i]), float(lo[i]), float(hi[i]), int(n_items[i])))
    return pd.DataFrame(rows, columns=["rater", "metric", "value", "ci_low", "ci_high", "n_items"])
