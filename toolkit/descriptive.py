"""Descriptive tables: shares and means per group, with cluster-bootstrap intervals.

The stage statistics build their observed shares (accepted / uncertain / rejected, failure modes, mention
rates) and means (ratings) with these two functions. Intervals resample whole clusters (a user with all
their attributes, a rated cell with its three ratings) within each group by
:func:`toolkit.resampling.ratio_bootstrap`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from toolkit.resampling import percentile_interval, ratio_bootstrap, wilson_interval

__all__ = ["share_table", "mean_table"]

def share_table(
    frame: pd.DataFrame,
    *,
    group: str,
    label: str,
    cluster: str | None = None,
    labels: Sequence[str] | None = None,
    n_boot: int = 1000,
    ci: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Share of each ``label`` value within each ``group``, with a cluster-bootstrap interval.

    Parameters
    ----------
    frame : DataFrame
        One row per observation (e.g. one stage-1 judgment).
    group, label : str
        Columns: the group (e.g. the user source) and the categorical outcome.
    cluster : str, optional
        Column of the resampling unit (e.g. the attribute, judged by 3 annotators): the bootstrap resamples
        clusters within each group with all their rows. Default: every row is its own cluster.
    labels : sequence, optional
        The outcome categories in order (default: sorted observed values); absent ones get share 0.
    n_boot, ci, seed
        Percentile bootstrap; ``n_boot=0`` gives Wilson intervals on the row counts instead.

    Returns
    -------
    DataFrame
        ``group, label, count, n, value, ci_low, ci_high, n_clusters`` (``value`` = count / n).

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"source": ["a"] * 4, "label": ["yes", "no", "yes", "yes"]})
    >>> t = share_table(frame, group="source", label="label", n_boot=0)
    >>> t[["label", "count", "n", "value"]].to_dict("records")
    [{'label': 'no', 'count': 1, 'n': 4, 'value': 0.25}, {'label': 'yes', 'count': 3, 'n': 4, 'value': 0.75}]
    """
    cats = list(labels) if labels is not None else sorted(frame[label].dropna().unique())
    rng = np.random.default_rng(seed)
    rows = []
    for g, part in frame.groupby(group, sort=True):
        codes = pd.Categorical(part[label], categories=cats).codes
        if cluster is None:
            clusters = np.arange(len(part))
        else:
            clusters = pd.factorize(part[cluster], sort=True)[0]
        n_cl = int(clusters.max()) + 1 if len(part) else 0
        ok = codes >= 0
        counts = np.zeros((n_cl, len(cats)))
        np.add.at(counts, (clusters[ok], codes[ok]), 1.0)
        sizes = np.bincount(clusters, minlength=n_cl).astype(float)
        total = counts.sum(0)
        n = float(sizes.sum())
        if n_boot > 0 and n_cl > 0:
            low, high = percentile_interval(ratio_bootstrap(counts, sizes, n_boot, rng), ci)
        else:
            low, high = wilson_interval(total, np.full(len(cats), n), ci)
        for j, c in enumerate(cats):
            rows.append((g, c, int(total[j]), int(n), total[j] / n if n else np.nan, low[j], high[j], n_cl))
    return pd.DataFrame(rows, columns=[group, label, "count", "n", "value", "ci_low", "ci_high", "n_clusters"])


def mean_table(
    frame: pd.DataFrame,
    *,
    group: str | Sequence[str],
    value: str,
    cluster: str | None = None,
    n_boot: int = 1000,
    ci: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Mean of ``value`` per group with a cluster-bootstrap percentile interval.

    Clusters (e.g. the rated cell, whose ratings by 3 annotators are not independent) are resampled with
    replacement within each group; each resample's mean is the ratio of the resampled sums and counts.
    Groups keep their order of first appearance.

    Returns
    -------
    DataFrame
        The group column(s), ``value, ci_low, ci_high, n, n_clusters``.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"judge": ["h", "h", "h", "m"], "rating": [3, 4, 5, 2], "cell": [1, 1, 2, 1]})
    >>> t = mean_table(frame, group="judge", value="rating", cluster="cell", n_boot=0)
    >>> t[["judge", "value", "n", "n_clusters"]].to_dict("records")
    [{'judge': 'h', 'value': 4.0, 'n': 3, 'n_clusters': 2}, {'judge': 'm', 'value': 2.0, 'n': 1, 'n_clusters': 1}]
    """
    keys = [group] if isinstance(group, str) else list(group)
    rng = np.random.default_rng(seed)
    rows = []
    for key, part in frame.groupby(keys, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        x = part[value].to_numpy(dtype=float)
        codes = pd.factorize(part[cluster])[0] if cluster else np.arange(len(part))
        n_cl = int(codes.max()) + 1 if len(part) else 0
        sums = np.bincount(codes, weights=x, minlength=n_cl)
        counts = np.bincount(codes, minlength=n_cl).astype(float)
        point = x.mean() if len(x) else np.nan
        lo = hi = np.nan
        if n_boot > 0 and n_cl > 1:
            lo, hi = percentile_interval(ratio_bootstrap(sums, counts, n_boot, rng), ci)
        rows.append((*key, point, lo, hi, len(x), n_cl))
    return pd.DataFrame(rows, columns=[*keys, "value", "ci_low", "ci_high", "n", "n_clusters"])
