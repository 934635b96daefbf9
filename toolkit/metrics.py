"""Classification, correlation and reliability metrics against a human reference.

* Stage 2 (Fig. 4, Table 3): accuracy, precision, recall, F1 and positive rate of each judge's binary
  relevance labels against the human majority, each with an item-cluster bootstrap CI
  (:func:`binary_metrics` for two label arrays, :func:`judge_metrics` for a long frame of judges).
* Stage 3 (Table 6): Spearman / Pearson / Kendall correlation of each judge with the human mean rating,
  with pingouin's p-value and Fisher-z interval (:func:`correlation`, :func:`judge_correlations`,
  :func:`item_means`).
* Reliability: intraclass correlations via pingouin (:func:`icc`) and the Spearman-Brown prophecy
  (:func:`spearman_brown`, :func:`spearman_brown_factor`).

Results are tidy frames with fixed lowercase columns: ``metric, value, ci_low, ci_high, n_items`` (plus
``rater`` for per-judge tables, ``p_value`` for correlations). Undefined statistics are ``NaN`` with the
reason documented on each function (precision with no predicted positive, recall with no reference
positive, a correlation with a constant input), never a silent 0 as in scikit-learn's ``zero_division``.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import pingouin as pg
from scipy import sparse

# The bootstrap machinery is shared with toolkit.agreement so both modules resample the same way.
from toolkit.agreement import (
    ItemKey,
    SeedLike,
    _bootstrap_sums,
    _check_boot,
    _ci_bounds,
    _from_long,
    _item_columns,
    _preview,
    _quiet_nan_warnings,
)

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

#: Row order of :func:`binary_metrics` / :func:`judge_metrics`.
CLASSIFICATION_METRICS: tuple[str, ...] = (
    "accuracy",
    "precision",
    "recall",
    "f1",
    "positive_rate",
    "reference_rate",
)
CORRELATION_METHODS: tuple[str, ...] = ("spearman", "pearson", "kendall")

# Confusion cells, in this order along the last axis: TP, FP, FN, TN.
_TP, _FP, _FN, _TN = range(4)


# --------------------------------------------------------------------------------------------------
# Binary classification
# --------------------------------------------------------------------------------------------------


def _as_positive(values: np.ndarray, positive: Hashable, what: str) -> np.ndarray:
    """Boolean "is positive" of 1-D labels; ValueError on missing values or more than two labels."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{what} must be 1-D, got shape {arr.shape}")
    if arr.dtype.kind not in "biu" and pd.isna(arr).any():
        raise ValueError(f"{what} has {int(pd.isna(arr).sum())} missing labels (NaN/None); drop them first")
    distinct = pd.unique(arr.astype(object)) if arr.dtype.kind == "O" else np.unique(arr)
    if len(distinct) > 2:
        raise ValueError(f"{what} must be binary, found {len(distinct)} labels {_preview(distinct)}")
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
        raise ValueError(f"reference and prediction together use more than two labels: {_preview(labels)}")
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


def _from_counts(counts: np.ndarray) -> dict[str, np.ndarray]:
    """Classification metrics from (..., 4) TP/FP/FN/TN counts; NaN where a denominator is zero."""
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
    """
    r, p = _check_binary_pair(reference, prediction, positive)
    return float(_from_counts(np.bincount(_cells(r, p), minlength=4))["precision"])


def recall(reference: npt.ArrayLike, prediction: npt.ArrayLike, *, positive: Hashable = True) -> float:
    """TP / (TP + FN). ``NaN`` when the reference has no positive item (recall is undefined)."""
    r, p = _check_binary_pair(reference, prediction, positive)
    return float(_from_counts(np.bincount(_cells(r, p), minlength=4))["recall"])


def f1_score(reference: npt.ArrayLike, prediction: npt.ArrayLike, *, positive: Hashable = True) -> float:
    """2 TP / (2 TP + FP + FN), the harmonic mean of precision and recall.

    ``NaN`` only when neither reference nor prediction has a positive (no positive class to score); it is
    0 when there are positives but no true positive.
    """
    r, p = _check_binary_pair(reference, prediction, positive)
    return float(_from_counts(np.bincount(_cells(r, p), minlength=4))["f1"])


def positive_rate(prediction: npt.ArrayLike, *, positive: Hashable = True) -> float:
    """Share of items predicted positive (humans mark ~18% of stage-2 attributes relevant, LLMs 40-60%)."""
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
            lo, hi = _ci_bounds(boot[name], ci)
        rows.append((name, point[name], lo, hi))
    return rows


def binary_metrics(
    reference: npt.ArrayLike,
    prediction: npt.ArrayLike,
    *,
    positive: Hashable = True,
    clusters: npt.ArrayLike | None = None,
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
    clusters : array-like, optional
        Cluster id per row; the bootstrap resamples clusters with all their rows (e.g. the prompt, when
        one prompt contributes several attribute items). Default: every row is its own cluster.
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
    """
    _check_boot(n_boot, ci)
    r, p = _check_binary_pair(reference, prediction, positive)
    cells = _cells(r, p)
    point = _from_counts(np.bincount(cells, minlength=4))
    boot = None
    if n_boot > 0:
        if clusters is None:
            cluster_codes = np.arange(len(cells))
        else:
            cl = np.asarray(clusters)
            if cl.shape != cells.shape:
                raise ValueError(
                    f"clusters must have one id per row ({cells.shape[0]}), got shape {cl.shape}"
                )
            if cl.dtype.kind not in "biu" and pd.isna(cl).any():
                raise ValueError("clusters has missing ids")
            cluster_codes, _ = pd.factorize(cl)
        n_clusters = int(cluster_codes.max()) + 1
        incidence = sparse.csr_matrix((np.ones(len(cells)), (cluster_codes, cells)), shape=(n_clusters, 4))
        boot = _from_counts(_bootstrap_sums(incidence, n_boot, seed))
    rows = [(m, float(v), float(lo), float(hi), len(cells)) for m, v, lo, hi in _metric_rows(point, boot, ci)]
    return pd.DataFrame(rows, columns=["metric", "value", "ci_low", "ci_high", "n_items"])


def _reference_frame(
    reference: pd.DataFrame | pd.Series, item_cols: list[str], reference_label: str
) -> pd.DataFrame:
    """Reference as a frame ``item_cols + ['__reference__']`` with one row per item, NA rows dropped."""
    if isinstance(reference, pd.Series):
        ref = reference.rename("__reference__").reset_index()
        missing = [c for c in item_cols if c not in ref.columns]
        if missing:
            raise ValueError(
                f"reference Series must be indexed by the item column(s) {item_cols}, its index is "
                f"{list(reference.index.names)}"
            )
    elif isinstance(reference, pd.DataFrame):
        missing = [c for c in [*item_cols, reference_label] if c not in reference.columns]
        if missing:
            raise ValueError(f"reference has no column(s) {missing}; columns are {list(reference.columns)}")
        ref = reference[[*item_cols, reference_label]].rename(columns={reference_label: "__reference__"})
    else:
        raise ValueError(f"reference must be a DataFrame or Series, got {type(reference).__name__}")
    dup = ref.duplicated(subset=item_cols)
    if dup.any():
        raise ValueError(
            f"reference has {int(dup.sum())} duplicated items, e.g. {ref[dup].head(3).to_dict('records')}"
        )
    return ref[ref["__reference__"].notna()]


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
        Item-cluster bootstrap: items are resampled with replacement and every judge is rescored on the
        same resample, so judges can be compared on paired resamples.

    Returns
    -------
    DataFrame
        Columns ``rater, metric, value, ci_low, ci_high, n_items``; for each rater the metrics of
        :data:`CLASSIFICATION_METRICS`. ``n_items`` counts the rater's items that have a reference.
    """
    _check_boot(n_boot, ci)
    item_cols = _item_columns(item)
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"frame must be a long-format DataFrame, got {type(frame).__name__}")
    absent = [c for c in [*item_cols, rater, label] if c not in frame.columns]
    if absent:
        raise ValueError(f"frame has no column(s) {absent}; columns are {list(frame.columns)}")
    ref = _reference_frame(reference, item_cols, reference_label)
    if frame[label].isna().any():
        raise ValueError(f"label column {label!r} has missing values; drop them first")
    pred_pos = _as_positive(frame[label].to_numpy(), positive, f"frame[{label!r}]")
    ref_pos = _as_positive(ref["__reference__"].to_numpy(), positive, "reference")
    _check_union(ref["__reference__"].to_numpy(), frame[label].to_numpy(), positive)
    work = frame[[*item_cols, rater]].assign(__pred__=pred_pos)
    work = work.merge(
        ref[item_cols].assign(__ref__=ref_pos), on=item_cols, how="inner", validate="many_to_one"
    )
    if len(work) == 0:
        raise ValueError("no item of frame has a (non-missing) reference label; check the item key columns")
    # Declared categories keep a judge that always says "yes" from being rejected as single-category.
    coded = _from_long(
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
    point = _from_counts(counts)
    boot = None
    if n_boot > 0:
        incidence = sparse.csr_matrix(
            (np.ones(len(columns)), (coded.item, columns)), shape=(coded.n_items, n_r * 4)
        )
        boot = _from_counts(_bootstrap_sums(incidence, n_boot, seed).reshape(n_boot, n_r, 4))
    n_items = counts.sum(axis=1)
    rows = []
    for i, rid in enumerate(coded.raters):
        for name, v, lo, hi in _metric_rows(point, boot, ci):
            rows.append((rid, name, float(v[i]), float(lo[i]), float(hi[i]), int(n_items[i])))
    return pd.DataFrame(rows, columns=["rater", "metric", "value", "ci_low", "ci_high", "n_items"])


# --------------------------------------------------------------------------------------------------
# Correlation
# --------------------------------------------------------------------------------------------------


def _numeric_1d(values: npt.ArrayLike, what: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} must be numeric") from exc
    if arr.ndim != 1:
        raise ValueError(f"{what} must be 1-D, got shape {arr.shape}")
    if np.isnan(arr).any():
        raise ValueError(f"{what} has {int(np.isnan(arr).sum())} missing values (NaN); drop them first")
    if np.isinf(arr).any():
        raise ValueError(f"{what} has infinite values")
    return arr


def _corr_row(
    x: np.ndarray, y: np.ndarray, method: str, confidence: float
) -> tuple[float, float, float, float]:
    """(r, ci_low, ci_high, p_value) via pingouin; all NaN when undefined (n < 3 or a constant input)."""
    nan = float("nan")
    n = len(x)
    if n < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return nan, nan, nan, nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = pg.corr(x, y, method=method)
    r = float(res["r"].iloc[0])
    p_value = float(res["p_val"].iloc[0])
    if not np.isfinite(r):
        return nan, nan, nan, nan
    if abs(r) >= 1.0:
        return r, r, r, p_value
    lo, hi = pg.compute_esci(stat=r, nx=n, ny=n, eftype="r", confidence=confidence, decimals=12)
    return r, float(lo), float(hi), p_value


def correlation(
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    method: Literal["spearman", "pearson", "kendall"] = "spearman",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Correlation with p-value and confidence interval, computed with pingouin.

    Parameters
    ----------
    x, y : array-like, 1-D
        Paired numeric observations (no NaN).
    method : {"spearman", "pearson", "kendall"}
        Spearman (Table 6 of the paper), Pearson or Kendall's tau-b.
    confidence : float
        Level of the interval.

    Returns
    -------
    DataFrame
        One row: ``metric, value, ci_low, ci_high, n_items, p_value``. The interval is pingouin's
        Fisher-z interval (``pingouin.compute_esci``, SE ``1/sqrt(n-3)``), exact for Pearson under
        normality and approximate for Spearman and Kendall. All NaN when undefined: fewer than 3 pairs, or
        a constant input (zero variance).

    Notes
    -----
    Values checked against :func:`scipy.stats.spearmanr`, :func:`scipy.stats.pearsonr` and
    :func:`scipy.stats.kendalltau` in the tests.
    """
    if method not in CORRELATION_METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {CORRELATION_METHODS}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    xa, ya = _numeric_1d(x, "x"), _numeric_1d(y, "y")
    if xa.shape != ya.shape:
        raise ValueError(f"x and y have different lengths ({xa.shape[0]} vs {ya.shape[0]})")
    r, lo, hi, p = _corr_row(xa, ya, method, confidence)
    return pd.DataFrame(
        [(method, r, lo, hi, len(xa), p)],
        columns=["metric", "value", "ci_low", "ci_high", "n_items", "p_value"],
    )


def item_means(
    frame: pd.DataFrame,
    *,
    item: ItemKey,
    rater: str,
    label: str,
    raters: Sequence[Hashable] | None = None,
) -> pd.DataFrame:
    """Mean numeric rating per item over the given raters (the stage-3 "human mean rating").

    Returns
    -------
    DataFrame
        The item column(s), ``mean``, ``sd`` (sample SD; NaN with one rater) and ``n_raters``.
    """
    coded = _from_long(frame, item=item, rater=rater, label=label, raters=raters)
    try:
        values = np.asarray(coded.categories, dtype=np.float64)[coded.label]
    except (TypeError, ValueError) as exc:
        raise ValueError(f"item_means needs numeric labels in column {label!r}") from exc
    n = np.bincount(coded.item, minlength=coded.n_items).astype(np.float64)
    mean = np.bincount(coded.item, weights=values, minlength=coded.n_items) / n
    ss = np.bincount(coded.item, weights=(values - mean[coded.item]) ** 2, minlength=coded.n_items)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.where(n > 1, np.sqrt(ss / (n - 1.0)), np.nan)
    out = coded.items.reset_index(drop=True).copy()
    out["mean"], out["sd"], out["n_raters"] = mean, sd, n.astype(np.int64)
    return out


def judge_correlations(
    frame: pd.DataFrame,
    reference: pd.DataFrame | pd.Series,
    *,
    item: ItemKey,
    rater: str,
    label: str,
    reference_label: str = "mean",
    method: Literal["spearman", "pearson", "kendall"] = "spearman",
    raters: Sequence[Hashable] | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Correlation of each judge's ratings with a per-item reference (Table 6: Spearman with the human mean).

    Parameters
    ----------
    frame : DataFrame
        Long-format numeric ratings of the judges.
    reference : DataFrame or Series
        Per-item reference, e.g. :func:`item_means` of the human raters (column ``reference_label``), or
        a Series indexed by the item key. Items without a reference are left out.
    reference_label : str
        Reference column (default ``"mean"``).
    method, confidence
        As in :func:`correlation`.

    Returns
    -------
    DataFrame
        Columns ``rater, metric, value, ci_low, ci_high, n_items, p_value``; one row per rater.
    """
    if method not in CORRELATION_METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {CORRELATION_METHODS}")
    item_cols = _item_columns(item)
    ref = _reference_frame(reference, item_cols, reference_label)
    coded = _from_long(frame, item=item_cols, rater=rater, label=label, raters=raters)
    try:
        values = np.asarray(coded.categories, dtype=np.float64)[coded.label]
    except (TypeError, ValueError) as exc:
        raise ValueError(f"judge_correlations needs numeric labels in column {label!r}") from exc
    keyed = coded.items.reset_index(drop=True).assign(__pos__=np.arange(coded.n_items))
    joined = keyed.merge(ref, on=item_cols, how="left")
    has_ref = joined["__reference__"].notna().to_numpy()
    try:
        ref_values = joined.loc[has_ref, "__reference__"].to_numpy(dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"reference column {reference_label!r} must be numeric") from exc
    ref_by_item = np.full(coded.n_items, np.nan)
    ref_by_item[joined["__pos__"].to_numpy()[has_ref]] = ref_values
    rows = []
    for i, rid in enumerate(coded.raters):
        sel = coded.rater == i
        x, y = values[sel], ref_by_item[coded.item[sel]]
        ok = ~np.isnan(y)
        with _quiet_nan_warnings():
            r, lo, hi, p = _corr_row(x[ok], y[ok], method, confidence)
        rows.append((rid, method, r, lo, hi, int(ok.sum()), p))
    return pd.DataFrame(rows, columns=["rater", "metric", "value", "ci_low", "ci_high", "n_items", "p_value"])


# --------------------------------------------------------------------------------------------------
# Reliability
# --------------------------------------------------------------------------------------------------


def icc(
    frame: pd.DataFrame,
    *,
    item: ItemKey,
    rater: str,
    label: str,
    nan_policy: Literal["omit", "raise"] = "omit",
) -> pd.DataFrame:
    """Intraclass correlations (Shrout & Fleiss 1979; McGraw & Wong 1996) via pingouin.

    Parameters
    ----------
    frame : DataFrame
        Long-format numeric ratings.
    item, rater, label : str
        Columns; ``item`` may be a list (composite key).
    nan_policy : {"omit", "raise"}
        ICC needs every item rated by every rater. ``"omit"`` drops items missing a rater (pingouin's
        behaviour); ``"raise"`` raises a ValueError instead.

    Returns
    -------
    DataFrame
        Six rows, ``type`` in ``ICC(1,1), ICC(A,1), ICC(C,1), ICC(1,k), ICC(A,k), ICC(C,k)`` (pingouin's
        names for Shrout & Fleiss' ICC1, ICC2, ICC3 and their k-rater averages), with columns
        ``type, icc, f, df1, df2, p_value, ci_low, ci_high, n_items, n_raters``. The CI bounds are
        pingouin's, rounded by it to 2 decimals.

    Notes
    -----
    Checked against Shrout & Fleiss (1979)'s 6 targets x 4 judges example
    (``tests/reference/shrout_fleiss_1979.md``): 0.17, 0.29, 0.71, 0.44, 0.62, 0.91.
    """
    if nan_policy not in ("omit", "raise"):
        raise ValueError(f"nan_policy must be 'omit' or 'raise', got {nan_policy!r}")
    coded = _from_long(frame, item=item, rater=rater, label=label)
    try:
        values = np.asarray(coded.categories, dtype=np.float64)[coded.label]
    except (TypeError, ValueError) as exc:
        raise ValueError(f"icc needs numeric ratings in column {label!r}") from exc
    complete = np.bincount(coded.item, minlength=coded.n_items) == coded.n_raters
    if nan_policy == "raise" and not complete.all():
        raise ValueError(f"{int((~complete).sum())} item(s) are not rated by all {coded.n_raters} raters")
    if complete.sum() < 2 or coded.n_raters < 2:
        raise ValueError(
            f"icc needs at least 2 items rated by all raters and 2 raters; found {int(complete.sum())} complete "
            f"items and {coded.n_raters} raters"
        )
    keep = complete[coded.item]
    data = pd.DataFrame({"target": coded.item[keep], "rater": coded.rater[keep], "rating": values[keep]})
    with warnings.catch_warnings():  # pingouin's own pandas deprecation notices are not ours to act on
        warnings.filterwarnings("ignore", message=".*inplace keyword.*")
        res = pg.intraclass_corr(data=data, targets="target", raters="rater", ratings="rating")
    ci = np.vstack(res["CI95"].to_numpy())
    return pd.DataFrame(
        {
            "type": res["Type"].to_numpy(),
            "icc": res["ICC"].to_numpy(dtype=np.float64),
            "f": res["F"].to_numpy(dtype=np.float64),
            "df1": res["df1"].to_numpy(),
            "df2": res["df2"].to_numpy(),
            "p_value": res["pval"].to_numpy(dtype=np.float64),
            "ci_low": ci[:, 0].astype(np.float64),
            "ci_high": ci[:, 1].astype(np.float64),
            "n_items": int(complete.sum()),
            "n_raters": coded.n_raters,
        }
    )


def spearman_brown(reliability: npt.ArrayLike, factor: npt.ArrayLike) -> float | np.ndarray:
    """Spearman-Brown prophecy: reliability of ``factor`` times as many raters (or items).

    ``rho* = k rho / (1 + (k - 1) rho)`` (Spearman 1910; Brown 1910). E.g. a single-rater reliability of
    0.5 gives 2/3 for the mean of two raters, 0.75 for three.

    Parameters
    ----------
    reliability : float or array-like
        Reliability of the current length, in [-1, 1].
    factor : float or array-like
        Length multiplier ``k > 0`` (fractions shorten).

    Returns
    -------
    float or ndarray
        Predicted reliability; ``NaN`` where ``1 + (k-1) rho = 0`` (undefined).
    """
    rho = np.asarray(reliability, dtype=np.float64)
    k = np.asarray(factor, dtype=np.float64)
    if np.isnan(rho).any() or np.isnan(k).any():
        raise ValueError("reliability and factor must not be NaN")
    if ((rho < -1) | (rho > 1)).any():
        raise ValueError(f"reliability must be in [-1, 1], got {reliability!r}")
    if (k <= 0).any() or np.isinf(k).any():
        raise ValueError(f"factor must be positive and finite, got {factor!r}")
    den = 1.0 + (k - 1.0) * rho
    out = np.full(np.broadcast(rho, k).shape, np.nan)
    np.divide(k * rho, den, out=out, where=np.abs(den) > 1e-12)
    return float(out) if out.ndim == 0 else out


def spearman_brown_factor(reliability: npt.ArrayLike, target: npt.ArrayLike) -> float | np.ndarray:
    """Length multiplier needed to raise ``reliability`` to ``target`` (inverse Spearman-Brown).

    ``k = target (1 - rho) / (rho (1 - target))``. Both must be in (0, 1); outside that range no finite
    positive ``k`` exists and a ValueError is raised.
    """
    rho = np.asarray(reliability, dtype=np.float64)
    tgt = np.asarray(target, dtype=np.float64)
    for name, arr in (("reliability", rho), ("target", tgt)):
        if np.isnan(arr).any() or ((arr <= 0) | (arr >= 1)).any():
            raise ValueError(f"{name} must be in (0, 1), got {arr!r}")
    out = tgt * (1.0 - rho) / (rho * (1.0 - tgt))
    return float(out) if out.ndim == 0 else out
