"""Stage 3, response generation and rating: observed mean ratings and shares per judge or generator (Table 6,
Fig. 5), mention rates and raw mention differences (Figs. 6-7), Spearman correlations of LLM judges and
reward models with the human mean (Table 6, rewards) and the humans' own agreement.

Intervals resample stage 3's sampling unit, the personalized response (``clusters="personalized_response_id"``:
a response's rated cells move together); ``clusters=None`` resamples cells (the correlations: Fisher-z
intervals), as before. See :mod:`toolkit.stages.units`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from toolkit.agreement import group_agreement
from toolkit.dataset import Dataset
from toolkit.descriptive import mean_table
from toolkit.jsonl import DataError
from toolkit.metrics import item_means, judge_correlations
from toolkit.resampling import bootstrap_sums, percentile_interval, ratio_bootstrap
from toolkit.stages.units import FISHER_Z, SAMPLING_UNITS, STAGE_ITEMS, ClusterColumns, resampled_unit
from toolkit.views import generator_order, judge_order, rater_kinds, rating_long, rating_scale
from toolkit.vocabulary import CELL_SEPARATOR, HUMAN, REWARD_MODEL

__all__ = [
    "rating_summary",
    "mention_rates",
    "mention_differences",
    "human_cell_means",
    "judge_spearman",
    "scorer_spearman",
    "human_rating_agreement",
]

UNIT, ITEM = SAMPLING_UNITS["rating"], STAGE_ITEMS["rating"]


def _one_column(clusters: ClusterColumns, what: str) -> str:
    """The mean tables resample one level: a column name (``None``: the cell)."""
    if clusters is None:
        return ITEM
    if not isinstance(clusters, str):
        raise ValueError(f"{what} resamples one level: clusters must be one column name or None, got {clusters!r}")
    return clusters


def _columns(clusters: ClusterColumns) -> list[str]:
    return [] if clusters is None else [clusters] if isinstance(clusters, str) else list(clusters)


def rating_summary(
    ds: Dataset, *, by: str = "judge", n_boot: int = 1000, ci: float = 0.95, seed: int = 0,
    clusters: str | None = UNIT,
) -> pd.DataFrame:
    """Observed mean rating, share of ratings > 3 (personalized better) and share <= 3 ("no better than
    generic") per ``by`` group.

    ``by`` is ``"judge"`` (humans pooled, each LLM judge; Table 6) or ``"generator"`` (human ratings only;
    Fig. 5), plus an ``"all"`` row over all generators for the humans. Intervals: cluster bootstrap over
    ``clusters`` within each group (default responses; ``None``: cells, each with all its ratings).

    Returns
    -------
    DataFrame
        ``<by>, statistic (mean_rating | p_better | share_no_better), value, ci_low, ci_high, n, n_clusters,
        resampled_unit``.

    Examples
    --------
    >>> from toolkit.dataset import load_dataset
    >>> t = rating_summary(load_dataset(), by="generator", n_boot=0)
    >>> round(t[(t["generator"] == "all") & (t["statistic"] == "mean_rating")]["value"].item(), 3)  # paper: 3.176
    3.175
    """
    long = rating_long(ds)
    if by == "generator":
        long = long[long["judge"] == HUMAN]
        if long.empty:
            raise DataError(ds.path, 0, "response_ratings", "no stage-3 ratings by human raters")
        long = pd.concat([long, long.assign(generator="all")], ignore_index=True)
        order = [*generator_order(long["generator"].unique()), "all"]
    elif by == "judge":
        order = judge_order(ds, long["judge"].unique())
    else:
        raise ValueError(f"by must be 'judge' or 'generator', got {by!r}")
    long = long.assign(better=(long["rating"] > 3).astype(float), no_better=(long["rating"] <= 3).astype(float))
    column = _one_column(clusters, "rating_summary")
    parts = []
    for stat, col in (("mean_rating", "rating"), ("p_better", "better"), ("share_no_better", "no_better")):
        t = mean_table(long, group=by, value=col, cluster=column, n_boot=n_boot, ci=ci, seed=seed)
        t.insert(1, "statistic", stat)
        parts.append(t)
    out = pd.concat(parts, ignore_index=True)
    out["resampled_unit"] = resampled_unit(clusters, item=ITEM, n_boot=n_boot)
    pos = {k: i for i, k in enumerate(order)}
    return out.sort_values([by], key=lambda c: c.map(pos), kind="stable").reset_index(drop=True)


def mention_rates(
    ds: Dataset, *, n_boot: int = 1000, ci: float = 0.95, seed: int = 0, clusters: str | None = UNIT
) -> pd.DataFrame:
    """Per generator, the share of its rated cells whose attribute the personalized response mentions
    explicitly (Fig. 7's x axis; the paper: Claude about 5%). Bootstrap over ``clusters`` (default
    personalized responses; ``None``: cells).

    Returns
    -------
    DataFrame
        ``generator, value, ci_low, ci_high, n (cells), n_clusters (resampled units), count (mentioned cells),
        resampled_unit``.

    Examples
    --------
    >>> from toolkit.dataset import load_dataset
    >>> rates = mention_rates(load_dataset(), n_boot=0).set_index("generator")
    >>> round(float(rates.loc["claude-sonnet-4.6", "value"]), 3)  # paper: about 5%
    0.041
    """
    long = rating_long(ds)
    column = _one_column(clusters, "mention_rates")
    keep = list(dict.fromkeys(["cell", "personalized_response_id", "generator", "mention", column]))
    cells = long.drop_duplicates("cell")[keep]
    t = mean_table(cells.assign(m=cells["mention"].astype(float)), group="generator", value="m",
                   cluster=column, n_boot=n_boot, ci=ci, seed=seed)
    t["count"] = cells.groupby("generator")["mention"].sum().reindex(t["generator"]).to_numpy().astype(int)
    t["resampled_unit"] = resampled_unit(clusters, item=ITEM, n_boot=n_boot)
    pos = {g: i for i, g in enumerate(generator_order(t["generator"].unique()))}
    return t.sort_values("generator", key=lambda c: c.map(pos), kind="stable").reset_index(drop=True)


def mention_differences(
    ds: Dataset, *, n_boot: int = 1000, ci: float = 0.95, seed: int = 0, clusters: ClusterColumns = UNIT
) -> pd.DataFrame:
    """Per judge (humans pooled), mean rating of mentioned cells minus that of the other cells (Fig. 6, raw).

    The paper's statistic (humans +0.03, GPT-5.4 -0.07, Claude -0.39). Interval: a paired bootstrap over
    ``clusters`` (default personalized responses; one column or two crossed columns of
    :func:`toolkit.views.rating_long`): each resample draws responses with all their ratings and takes the
    difference of the two means on the same draw, so the two means share the responses' effects. With
    ``clusters=None``, the earlier bootstrap over cells, resampled separately within the mentioned and the
    not-mentioned cells of each judge.

    Returns
    -------
    DataFrame
        ``judge, value, ci_low, ci_high, n_mention, n_other`` (ratings), ``resampled_unit``.

    Examples
    --------
    >>> from toolkit.dataset import load_dataset
    >>> d = mention_differences(load_dataset(), n_boot=0).set_index("judge")
    >>> round(float(d.loc["claude-sonnet-4.6", "value"]), 2)  # paper: -0.39
    -0.39
    """
    long = rating_long(ds)
    rng = np.random.default_rng(seed)
    unit = resampled_unit(clusters, item=ITEM, n_boot=n_boot)
    if clusters is not None:
        return _paired_mention_differences(ds, long, n_boot, ci, rng, clusters).assign(resampled_unit=unit)
    rows = []
    for judge in judge_order(ds, long["judge"].unique()):
        part = long[long["judge"] == judge]
        groups = []
        for flag in (True, False):
            sub = part[part["mention"] == flag]
            codes = pd.factorize(sub["cell"])[0]
            n_cl = int(codes.max()) + 1 if len(sub) else 0
            groups.append((sub["rating"].to_numpy(float), codes, n_cl))
        (x1, c1, k1), (x0, c0, k0) = groups
        if not len(x1) or not len(x0):
            rows.append((judge, np.nan, np.nan, np.nan, len(x1), len(x0)))
            continue
        point = x1.mean() - x0.mean()
        lo = hi = np.nan
        if n_boot > 0 and k1 > 1 and k0 > 1:
            boots = [ratio_bootstrap(np.bincount(c, weights=x, minlength=k), np.bincount(c, minlength=k), n_boot, rng)
                     for x, c, k in ((x1, c1, k1), (x0, c0, k0))]
            lo, hi = percentile_interval(boots[0] - boots[1], ci)
        rows.append((judge, point, lo, hi, len(x1), len(x0)))
    out = pd.DataFrame(rows, columns=["judge", "value", "ci_low", "ci_high", "n_mention", "n_other"])
    return out.assign(resampled_unit=unit)


def _paired_mention_differences(
    ds: Dataset, long: pd.DataFrame, n_boot: int, ci: float, rng: np.random.Generator, clusters: ClusterColumns
) -> pd.DataFrame:
    """:func:`mention_differences` by the paired cluster bootstrap: per judge, each resample's sums of the
    mentioned and the other ratings (and their counts) from one draw of the units."""
    cols = _columns(clusters)
    rows = []
    for judge in judge_order(ds, long["judge"].unique()):
        part = long[long["judge"] == judge]
        x = part["rating"].to_numpy(float)
        m = part["mention"].to_numpy(bool)
        n1, n0 = int(m.sum()), int((~m).sum())
        if not n1 or not n0:
            rows.append((judge, np.nan, np.nan, np.nan, n1, n0))
            continue
        point = x[m].mean() - x[~m].mean()
        lo = hi = np.nan
        design = tuple(part[c].to_numpy() for c in cols)
        if n_boot > 0 and all(len(pd.unique(ids)) > 1 for ids in design):
            # columns: sum and count of the mentioned ratings, sum and count of the others
            incidence = sparse.csr_matrix(np.column_stack([x * m, m, x * ~m, ~m]).astype(float))
            sums = bootstrap_sums(incidence, n_boot, rng, clusters=design if len(design) > 1 else design[0])
            with np.errstate(invalid="ignore", divide="ignore"):
                diff = sums[:, 0] / sums[:, 1] - sums[:, 2] / sums[:, 3]
            lo, hi = percentile_interval(np.where(np.isfinite(diff), diff, np.nan), ci)
        rows.append((judge, point, float(lo), float(hi), n1, n0))
    return pd.DataFrame(rows, columns=["judge", "value", "ci_low", "ci_high", "n_mention", "n_other"])


def human_cell_means(ds: Dataset) -> pd.DataFrame:
    """Mean human rating per cell (:func:`toolkit.metrics.item_means`): ``cell, mean, sd, n_raters``.

    Examples
    --------
    >>> from toolkit.dataset import load_dataset
    >>> means = human_cell_means(load_dataset())
    >>> len(means), list(means.columns)
    (367, ['cell', 'mean', 'sd', 'n_raters'])
    """
    long = rating_long(ds)
    humans = long[long["kind"] == HUMAN]  # every human annotator, whatever group the dataset puts them in
    if humans.empty:
        raise DataError(ds.path, 0, "response_ratings", "no stage-3 ratings by human raters")
    return item_means(humans, item="cell", rater="rater_id", label="rating")


def judge_spearman(
    ds: Dataset, *, ci: float = 0.95, n_boot: int = 1000, seed: int = 0, clusters: ClusterColumns = UNIT
) -> pd.DataFrame:
    """Spearman correlation of each LLM judge's ratings with the human mean rating per cell (Table 6),
    by :func:`toolkit.metrics.judge_correlations` (pingouin p-value), with a cluster-bootstrap interval over
    ``clusters`` (default personalized responses, all judges on the same resamples; ``None``: the Fisher-z
    interval, which treats cells as independent).

    Returns
    -------
    DataFrame
        ``judge, metric, value, ci_low, ci_high, n_items, p_value, resampled_unit``.

    Examples
    --------
    >>> from toolkit.dataset import load_dataset
    >>> rho = judge_spearman(load_dataset()).set_index("judge")
    >>> round(float(rho.loc["gpt-5.4", "value"]), 3)  # paper: 0.312
    0.315
    """
    long = rating_long(ds)
    ref = human_cell_means(ds)
    judges = [j for j in judge_order(ds, long["judge"].unique()) if j != HUMAN]
    cols = ["judge", "metric", "value", "ci_low", "ci_high", "n_items", "p_value", "resampled_unit"]
    if not judges:
        return pd.DataFrame(columns=cols)
    out = judge_correlations(long[long["judge"].isin(judges)], ref, item="cell", rater="rater_id", label="rating",
                             reference_label="mean", method="spearman", raters=judges, confidence=ci,
                             clusters=clusters, n_boot=n_boot, seed=seed)
    unit = FISHER_Z if clusters is None else resampled_unit(clusters, item=ITEM, n_boot=n_boot)
    return out.rename(columns={"rater": "judge"}).assign(resampled_unit=unit)[cols]


def scorer_spearman(
    ds: Dataset, *, ci: float = 0.95, n_boot: int = 1000, seed: int = 0, clusters: ClusterColumns = UNIT
) -> pd.DataFrame:
    """Spearman correlation of each scorer (reward model) with the human mean rating per cell.

    Scores are matched to cells by ``(response_id, attribute_id)``; scores without an attribute apply to
    every rated attribute of their response. Interval: cluster bootstrap over ``clusters`` (columns of
    :func:`toolkit.views.rating_long`, read per cell; default personalized responses, all scorers on the same
    resamples); ``None``: the Fisher-z interval.

    Returns
    -------
    DataFrame
        ``scorer, kind, metric, value, ci_low, ci_high, n_items, p_value, resampled_unit``.

    Examples
    --------
    >>> from toolkit.dataset import load_dataset
    >>> rho = scorer_spearman(load_dataset())
    >>> round(float(rho["value"].mean()), 2)  # paper: about 0.3
    0.3
    """
    ds.require("scores", purpose="scorer correlations")
    ref = human_cell_means(ds)
    scores = ds.frame("scores")
    cell_attr = ref["cell"].str.rsplit(CELL_SEPARATOR, n=1, expand=True)
    cells = pd.DataFrame({"cell": ref["cell"], "response_id": cell_attr[0], "attr": cell_attr[1]})
    per_attr = scores[scores["attribute_id"].notna()]
    whole = scores[scores["attribute_id"].isna()]
    parts = [per_attr.assign(cell=per_attr["response_id"] + CELL_SEPARATOR + per_attr["attribute_id"])]
    if len(whole):
        parts.append(whole.drop(columns="attribute_id").merge(cells[["cell", "response_id"]], on="response_id"))
    frame = pd.concat(parts, ignore_index=True)
    frame = frame[frame["cell"].isin(set(ref["cell"]))]
    if clusters is not None:  # each cell's unit(s), from the ratings
        units = rating_long(ds).drop_duplicates("cell")[["cell", *_columns(clusters)]]
        frame = frame.drop(columns=[c for c in _columns(clusters) if c in frame.columns]).merge(units, on="cell")
    kinds = rater_kinds(ds)
    raters = ds.frame("raters")
    listed = [r for r in raters.loc[raters["kind"] == REWARD_MODEL, "rater_id"] if r in set(frame["scorer_id"])]
    order = listed + sorted(set(frame["scorer_id"]) - set(listed))  # reward models in raters.jsonl order
    cols = ["scorer", "kind", "metric", "value", "ci_low", "ci_high", "n_items", "p_value", "resampled_unit"]
    if not order:
        return pd.DataFrame(columns=cols)
    out = judge_correlations(frame, ref, item="cell", rater="scorer_id", label="value", reference_label="mean",
                             method="spearman", raters=order, confidence=ci, clusters=clusters, n_boot=n_boot,
                             seed=seed).rename(columns={"rater": "scorer"})
    out["kind"] = out["scorer"].map(kinds)
    out["resampled_unit"] = FISHER_Z if clusters is None else resampled_unit(clusters, item=ITEM, n_boot=n_boot)
    return out[cols]


def human_rating_agreement(
    ds: Dataset, *, n_boot: int = 1000, ci: float = 0.95, seed: int = 0, clusters: ClusterColumns = UNIT
) -> pd.DataFrame:
    """Inter-annotator agreement of the humans' stage-3 ratings: mean pairwise Spearman and mean pairwise
    quadratic-weighted Cohen's kappa (the paper: 0.325 and 0.310), by
    :func:`toolkit.agreement.group_agreement` with cluster-bootstrap intervals over ``clusters`` (default
    personalized responses; ``None``: cells).

    Returns
    -------
    DataFrame
        ``metric (spearman | weighted_kappa), value, ci_low, ci_high, n_pairs, resampled_unit``.

    Examples
    --------
    >>> from toolkit.dataset import load_dataset
    >>> t = human_rating_agreement(load_dataset(), n_boot=0).set_index("metric")
    >>> round(float(t.loc["spearman", "value"]), 3), round(float(t.loc["weighted_kappa", "value"]), 3)  # paper: 0.325, 0.310
    (0.333, 0.319)
    """
    long = rating_long(ds)
    humans = long[long["kind"] == HUMAN]  # every human annotator, whatever group the dataset puts them in
    ids = sorted(humans["rater_id"].unique())
    rows = []
    for name, kw in (("spearman", {"metric": "spearman"}),
                     ("weighted_kappa", {"metric": "cohen_kappa", "weights": "quadratic", "categories": list(rating_scale(ds))})):
        if len(ids) < 2:
            rows.append((name, np.nan, np.nan, np.nan, 0))
            continue
        g = group_agreement(humans, item="cell", rater="rater_id", label="rating", groups={HUMAN: ids},
                            n_boot=n_boot, ci=ci, seed=seed, clusters=clusters, **kw)
        r = g.iloc[0]
        rows.append((name, r["mean"], r["ci_low"], r["ci_high"], int(r["n_pairs"])))
    out = pd.DataFrame(rows, columns=["metric", "value", "ci_low", "ci_high", "n_pairs"])
    return out.assign(resampled_unit=resampled_unit(clusters, item=ITEM, n_boot=n_boot))
