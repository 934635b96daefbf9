"""Reliability: intraclass correlations via pingouin and the Spearman-Brown prophecy."""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import sparse

from toolkit.longform import ClusterKey, ItemKey, from_long, item_cluster_ids
from toolkit.resampling import SeedLike, bootstrap_sums, check_bootstrap, percentile_interval

__all__ = ["icc", "spearman_brown", "spearman_brown_factor"]


def icc(
    frame: pd.DataFrame,
    *,
    item: ItemKey,
    rater: str,
    label: str,
    nan_policy: Literal["omit", "raise"] = "omit",
    clusters: ClusterKey | None = None,
    n_boot: int = 1000,
    ci: float = 0.95,
    seed: SeedLike = 0,
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
    clusters : str or pair of str, optional
        The sampling unit of a bootstrap interval: a column of ``frame`` holding each item's cluster (one
        level; clusters are resampled with all their items) or two columns (two crossed levels, the
        pigeonhole bootstrap; see :mod:`toolkit.resampling`). Default ``None``: pingouin's F-based
        intervals, which treat the items as independent.
    n_boot, ci, seed
        Bootstrap resamples, level and seed of the percentile interval (only with ``clusters``). Each
        resample's ICCs are computed from the mean squares of the two-way ANOVA on the weighted items (an
        item drawn ``m`` times counts as ``m`` targets), the formulas pingouin uses.

    Returns
    -------
    DataFrame
        Six rows, ``type`` in ``ICC(1,1), ICC(A,1), ICC(C,1), ICC(1,k), ICC(A,k), ICC(C,k)`` (pingouin's
        names for Shrout & Fleiss' ICC1, ICC2, ICC3 and their k-rater averages), with columns
        ``type, icc, f, df1, df2, p_value, ci_low, ci_high, n_items, n_raters``. Without ``clusters`` the
        CI bounds are pingouin's, rounded by it to 2 decimals (and at level 95% whatever ``ci``).

    Notes
    -----
    Checked against Shrout & Fleiss (1979)'s 6 targets x 4 judges example
    (``tests/reference/shrout_fleiss_1979.md``): 0.17, 0.29, 0.71, 0.44, 0.62, 0.91.

    Examples
    --------
    Shrout & Fleiss (1979), Table 2: 6 targets x 4 judges; published ICC 0.17, 0.29, 0.71 (single
    rater) and 0.44, 0.62, 0.91 (mean of 4) (``tests/reference/shrout_fleiss_1979.md``):

    >>> import pandas as pd
    >>> scores = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    >>> frame = pd.DataFrame([(t, j, s) for t, row in enumerate(scores) for j, s in enumerate(row)],
    ...                      columns=["target", "judge", "score"])
    >>> icc(frame, item="target", rater="judge", label="score")[["type", "icc"]].round(2)
           type   icc
    0  ICC(1,1)  0.17
    1  ICC(A,1)  0.29
    2  ICC(C,1)  0.71
    3  ICC(1,k)  0.44
    4  ICC(A,k)  0.62
    5  ICC(C,k)  0.91

    With ``clusters=`` (here the targets in three pairs, e.g. two targets per session), a cluster-bootstrap
    interval (three units: a rough one):

    >>> out = icc(frame.assign(session=frame["target"] // 2), item="target", rater="judge", label="score",
    ...           clusters="session", n_boot=200)
    >>> out[["type", "icc", "ci_low", "ci_high"]].round(2).iloc[[1, 2]]
           type   icc  ci_low  ci_high
    1  ICC(A,1)  0.29    0.22     0.32
    2  ICC(C,1)  0.71    0.62     0.89
    """
    if nan_policy not in ("omit", "raise"):
        raise ValueError(f"nan_policy must be 'omit' or 'raise', got {nan_policy!r}")
    coded = from_long(frame, item=item, rater=rater, label=label)
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
    import pingouin as pg  # lazy: pingouin loads statsmodels and matplotlib (seconds) on import

    with warnings.catch_warnings():  # pingouin's own pandas deprecation notices are not ours to act on
        warnings.filterwarnings("ignore", message=".*inplace keyword.*")
        res = pg.intraclass_corr(data=data, targets="target", raters="rater", ratings="rating")
    ci_bounds = np.vstack(res["CI95"].to_numpy())
    if clusters is not None:
        check_bootstrap(n_boot, ci)
        design = item_cluster_ids(frame, coded.items, item=item, clusters=clusters)
        design = tuple(level[complete] for level in design) if isinstance(design, tuple) else design[complete]
        wide = np.zeros((coded.n_items, coded.n_raters))
        wide[coded.item[keep], coded.rater[keep]] = values[keep]
        ci_bounds = np.full((6, 2), np.nan)
        if n_boot > 0:
            boot = _icc_bootstrap(wide[complete], design, n_boot, seed)
            ci_bounds = np.column_stack(percentile_interval(boot, ci))
    return pd.DataFrame(
        {
            "type": res["Type"].to_numpy(),
            "icc": res["ICC"].to_numpy(dtype=np.float64),
            "f": res["F"].to_numpy(dtype=np.float64),
            "df1": res["df1"].to_numpy(),
            "df2": res["df2"].to_numpy(),
            "p_value": res["pval"].to_numpy(dtype=np.float64),
            "ci_low": ci_bounds[:, 0].astype(np.float64),
            "ci_high": ci_bounds[:, 1].astype(np.float64),
            "n_items": int(complete.sum()),
            "n_raters": coded.n_raters,
        }
    )


def _icc_bootstrap(wide: np.ndarray, design: object, n_boot: int, seed: SeedLike) -> np.ndarray:
    """``(n_boot, 6)`` ICCs (pingouin's row order) of the cluster-bootstrap resamples of the targets x raters
    table ``wide``, from each resample's weighted sums: per target its ratings, its squared ratings and its
    squared mean."""
    n, k = wide.shape
    features = np.column_stack([np.ones(n), wide, (wide**2).sum(axis=1), wide.mean(axis=1) ** 2])
    sums = bootstrap_sums(sparse.csr_matrix(features), n_boot, seed, clusters=design)  # type: ignore[arg-type]
    size, col_sums, sq, row_mean_sq = sums[:, 0], sums[:, 1 : k + 1], sums[:, k + 1], sums[:, k + 2]
    with np.errstate(invalid="ignore", divide="ignore"):
        grand = col_sums.sum(axis=1) / (size * k)
        ss_total = sq - size * k * grand**2
        ss_rows = k * (row_mean_sq - size * grand**2)
        ss_cols = ((col_sums / size[:, None] - grand[:, None]) ** 2).sum(axis=1) * size
        msr = ss_rows / (size - 1)
        msc = ss_cols / (k - 1)
        mse = (ss_total - ss_rows - ss_cols) / ((size - 1) * (k - 1))
        msw = (ss_total - ss_rows) / (size * (k - 1))
        out = np.column_stack([
            (msr - msw) / (msr + (k - 1) * msw),
            (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / size),
            (msr - mse) / (msr + (k - 1) * mse),
            (msr - msw) / msr,
            (msr - mse) / (msr + (msc - mse) / size),
            (msr - mse) / msr,
        ])
    return np.where(np.isfinite(out), out, np.nan)


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

    Examples
    --------
    Shrout & Fleiss (1979)'s single-judge ICC(C,1) = 0.715 predicts their 4-judge ICC(C,k) = 0.909:

    >>> round(spearman_brown(0.5, 3), 4), round(spearman_brown(0.715, 4), 3)
    (0.75, 0.909)
    >>> spearman_brown([0.2, 0.5], 2).round(4).tolist()
    [0.3333, 0.6667]
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

    Examples
    --------
    >>> round(spearman_brown_factor(0.5, 0.75), 6)  # three times as many raters
    3.0
    """
    rho = np.asarray(reliability, dtype=np.float64)
    tgt = np.asarray(target, dtype=np.float64)
    for name, arr in (("reliability", rho), ("target", tgt)):
        if np.isnan(arr).any() or ((arr <= 0) | (arr >= 1)).any():
            raise ValueError(f"{name} must be in (0, 1), got {arr!r}")
    out = tgt * (1.0 - rho) / (rho * (1.0 - tgt))
    return float(out) if out.ndim == 0 else out
