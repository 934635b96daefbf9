"""Stage 1, attribute extraction: label shares per source, the real-vs-synthetic problematic gap, failure
modes (Fig. 2) and the verifiers' precision, recall and F1 against the human majority (Table 2).

Every function returns a tidy frame with ``value, ci_low, ci_high`` (95% unless ``ci`` says otherwise), the
number of units the value is computed over, and ``resampled_unit``. Intervals resample stage 1's sampling
unit, the user (``clusters="user_id"``; ``clusters=None`` resamples attributes), see
:mod:`toolkit.stages.units`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from schemas import FailureMode, Origin
from toolkit.dataset import Dataset
from toolkit.descriptive import share_table
from toolkit.jsonl import DataError
from toolkit.metrics import judge_metrics
from toolkit.resampling import percentile_interval, ratio_bootstrap
from toolkit.stages.units import SAMPLING_UNITS, STAGE_ITEMS, resampled_unit
from toolkit.views import extraction_long, extraction_reference, rater_kinds, source_order, verifier_order
from toolkit.vocabulary import EXTRACTION_LABELS, HUMAN

__all__ = ["extraction_label_shares", "problematic_gap", "failure_mode_shares", "verifier_metrics"]

UNIT, ITEM = SAMPLING_UNITS["extraction"], STAGE_ITEMS["extraction"]


def _one_column(clusters: str | None, what: str) -> str:
    """The share tables resample one level: a column name (``None``: the attribute)."""
    if clusters is None:
        return ITEM
    if not isinstance(clusters, str):
        raise ValueError(f"{what} resamples one level: clusters must be one column name or None, got {clusters!r}")
    return clusters


def extraction_label_shares(
    ds: Dataset, *, n_boot: int = 1000, ci: float = 0.95, seed: int = 0, clusters: str | None = UNIT
) -> pd.DataFrame:
    """Share of human stage-1 judgments accepted / uncertain / rejected per user source (Fig. 2, observed).

    Intervals: percentile bootstrap resampling ``clusters`` within each source, by default users (a user's
    attributes and their 3 judgments move together); ``clusters=None`` resamples attributes (with their
    judgments); any other column of :func:`toolkit.views.extraction_long` may be named.

    Returns
    -------
    DataFrame
        ``source, origin, label, count, n, value, ci_low, ci_high, n_users, resampled_unit``.

    Examples
    --------
    >>> from toolkit.dataset import load_dataset
    >>> ds = load_dataset()  # the bundled SIMULATED sample
    >>> t = extraction_label_shares(ds, n_boot=0)
    >>> t.loc[(t["source"] == "wildchat") & (t["label"] == "accepted"), "value"].round(3).item()  # paper: ~0.58
    0.571
    """
    long = extraction_long(ds)
    humans = long[long["kind"] == HUMAN]
    if humans.empty:
        raise DataError(ds.path, 0, "extraction_judgments", "no stage-1 judgments by human raters")
    shares = share_table(humans, group="source", label="label", cluster=_one_column(clusters, "extraction_label_shares"),
                         labels=EXTRACTION_LABELS, n_boot=n_boot, ci=ci, seed=seed).drop(columns="n_clusters")
    origin = humans.groupby("source")["origin"].first()
    shares.insert(1, "origin", shares["source"].map(origin))
    shares["n_users"] = shares["source"].map(humans.groupby("source")["user_id"].nunique())
    shares["resampled_unit"] = resampled_unit(clusters, item=ITEM, n_boot=n_boot)
    order = {s: i for i, s in enumerate(source_order(shares["source"].unique()))}
    shares = shares.sort_values(["source"], key=lambda c: c.map(order), kind="stable").reset_index(drop=True)
    return shares


def problematic_gap(
    ds: Dataset, *, n_boot: int = 1000, ci: float = 0.95, seed: int = 0, clusters: str | None = UNIT
) -> pd.DataFrame:
    """Share of human stage-1 judgments that are problematic (uncertain or rejected) for real users (sources
    whose users are of human origin, e.g. WildChat) and for synthetic ones (the other sources, pooled), and the
    real-minus-synthetic gap (the paper: 22 points). Percentile bootstrap resampling ``clusters`` (default
    users; ``None``: attributes) within each group.

    Returns
    -------
    DataFrame
        ``quantity (real | synthetic | real_minus_synthetic), value, ci_low, ci_high, n`` (judgments),
        ``resampled_unit``. Empty when the dataset lacks either group.

    Examples
    --------
    >>> from toolkit.dataset import load_dataset
    >>> gap = problematic_gap(load_dataset(), n_boot=0).set_index("quantity")
    >>> round(float(gap.loc["real_minus_synthetic", "value"]), 3)  # paper: 0.22
    0.236
    """
    long = extraction_long(ds)
    humans = long[long["kind"] == HUMAN]
    real_sources = set(humans.loc[humans["origin"] == Origin.HUMAN, "source"])
    humans = humans.assign(real=humans["source"].isin(real_sources))
    cols = ["quantity", "value", "ci_low", "ci_high", "n", "resampled_unit"]
    column = _one_column(clusters, "problematic_gap")
    if humans["real"].all() or not humans["real"].any():
        return pd.DataFrame(columns=cols)
    rng = np.random.default_rng(seed)
    points, boots, ns = {}, {}, {}
    for name, part in (("real", humans[humans["real"]]), ("synthetic", humans[~humans["real"]])):
        codes = pd.factorize(part[column])[0]
        k = int(codes.max()) + 1
        bad = np.bincount(codes, weights=part["problematic"].to_numpy(float), minlength=k)
        size = np.bincount(codes, minlength=k).astype(float)
        points[name], ns[name] = bad.sum() / size.sum(), int(size.sum())
        boots[name] = ratio_bootstrap(bad, size, n_boot, rng) if n_boot > 0 else None
    points["real_minus_synthetic"] = points["real"] - points["synthetic"]
    ns["real_minus_synthetic"] = ns["real"] + ns["synthetic"]
    if n_boot > 0:
        boots["real_minus_synthetic"] = boots["real"] - boots["synthetic"]
    rows = []
    unit = resampled_unit(clusters, item=ITEM, n_boot=n_boot)
    for q in ("real", "synthetic", "real_minus_synthetic"):
        lo, hi = percentile_interval(boots[q], ci) if n_boot > 0 else (np.nan, np.nan)
        rows.append((q, points[q], lo, hi, ns[q], unit))
    return pd.DataFrame(rows, columns=cols)


def failure_mode_shares(
    ds: Dataset, *, n_boot: int = 1000, ci: float = 0.95, seed: int = 0, clusters: str | None = UNIT
) -> pd.DataFrame:
    """Share of each coded failure mode among problematic human stage-1 judgments (Fig. 2; the paper codes
    1,225 problematic attributes). Bootstrap over ``clusters``: by default users (a user's problematic
    attributes move together); ``None``: attributes. Empty when no failure mode is coded.

    Returns
    -------
    DataFrame
        ``failure_mode, count, n, value, ci_low, ci_high, n_attributes, resampled_unit``.

    Examples
    --------
    >>> from toolkit.dataset import load_dataset
    >>> t = failure_mode_shares(load_dataset(), n_boot=0).set_index("failure_mode")
    >>> round(float(t.loc["overgeneralization", "value"]), 3)  # paper: 0.539
    0.539
    """
    long = extraction_long(ds)
    coded = long[(long["kind"] == HUMAN) & long["problematic"] & long["failure_mode"].notna()]
    cols = ["failure_mode", "count", "n", "value", "ci_low", "ci_high", "n_attributes", "resampled_unit"]
    column = _one_column(clusters, "failure_mode_shares")
    if coded.empty:
        return pd.DataFrame(columns=cols)
    modes = [m.value for m in FailureMode]
    modes += sorted(set(coded["failure_mode"]) - set(modes))
    table = share_table(coded.assign(all="all"), group="all", label="failure_mode", cluster=column,
                        labels=modes, n_boot=n_boot, ci=ci, seed=seed)
    table = table.assign(n_attributes=coded["attribute_id"].nunique(),
                         resampled_unit=resampled_unit(clusters, item=ITEM, n_boot=n_boot))
    return table[cols]


def verifier_metrics(
    ds: Dataset, *, n_boot: int = 1000, ci: float = 0.95, seed: int = 0,
    clusters: str | tuple[str, str] | None = UNIT,
) -> tuple[pd.DataFrame, dict[str, object]]:
    """Precision, recall, F1 (and accuracy, flag rate) of every stage-1 verifier at flagging problematic
    attributes, against the human majority (Table 2). A verifier flags an attribute when its label is
    uncertain or rejected. Calls :func:`toolkit.metrics.judge_metrics`; bootstrap intervals resampling
    ``clusters`` (default users, all verifiers rescored on the same resamples; ``None``: attributes).

    Returns
    -------
    (DataFrame, dict)
        ``verifier, kind, metric, value, ci_low, ci_high, n_items, resampled_unit`` and the reference
        summary of :func:`extraction_reference`.

    Examples
    --------
    >>> from toolkit.dataset import load_dataset
    >>> table, info = verifier_metrics(load_dataset(), n_boot=0)
    >>> f1 = table[(table["verifier"] == "claude-sonnet-4.6") & (table["metric"] == "f1")]
    >>> round(f1["value"].item(), 3), info["n_items"]  # paper: F1 0.630
    (0.63, 1983)
    """
    long = extraction_long(ds)
    ref, info = extraction_reference(ds)
    order = verifier_order(ds.frame("raters"), long["rater_id"].unique())
    if not order:
        raise DataError(ds.path, 0, "extraction_judgments",
                        "no stage-1 judgments by a verifier (a rater of kind baseline, reward_model or llm)")
    judged = long[long["rater_id"].isin(order)]
    table = judge_metrics(judged, ref, item="attribute_id", rater="rater_id", label="problematic",
                          reference_label="label", raters=order, n_boot=n_boot, ci=ci, seed=seed, clusters=clusters)
    table = table.rename(columns={"rater": "verifier"})
    table.insert(1, "kind", table["verifier"].map(rater_kinds(ds)))
    table["resampled_unit"] = resampled_unit(clusters, item=ITEM, n_boot=n_boot)
    return table, info
