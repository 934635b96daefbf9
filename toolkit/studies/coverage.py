"""Summaries of interval-coverage studies: coverage with its Wilson interval, bias, RMSE, width."""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.resampling import wilson_interval

__all__ = ["coverage_summary"]


def coverage_summary(
    results: pd.DataFrame,
    truth: float,
    *,
    estimate: str = "estimate",
    ci_low: str = "ci_low",
    ci_high: str = "ci_high",
    ci: float = 0.95,
) -> pd.DataFrame:
    """How often the replications' intervals cover ``truth``, with the estimate's bias and RMSE.

    Parameters
    ----------
    results : DataFrame
        One row per replication with the point estimate and the interval's bounds.
    truth : float
        The population value the intervals should cover.
    estimate, ci_low, ci_high : str
        Column names.
    ci : float
        Level of the Wilson interval of the coverage (a binomial share over the defined replications).

    Returns
    -------
    DataFrame
        One row: ``n_reps``, ``n_defined`` (replications with a finite estimate and interval; the others,
        e.g. kappa of a rater who used one category, are left out of every column below), ``truth``,
        ``mean_estimate``, ``bias``, ``rmse``, ``coverage`` with ``coverage_low``/``coverage_high``,
        ``miss_low`` and ``miss_high`` (shares of intervals wholly below / above ``truth``), ``mean_width``.
        A nominal 95% interval is consistent with its level when 0.95 lies in the coverage interval.

    Examples
    --------
    Four intervals, three of which cover 0.5:

    >>> import pandas as pd
    >>> res = pd.DataFrame({"estimate": [0.4, 0.5, 0.6, 0.9], "ci_low": [0.3, 0.4, 0.45, 0.8],
    ...                     "ci_high": [0.55, 0.6, 0.7, 1.0]})
    >>> out = coverage_summary(res, 0.5)
    >>> out[["n_defined", "coverage", "coverage_low", "coverage_high", "miss_low", "miss_high"]].round(3)
       n_defined  coverage  coverage_low  coverage_high  miss_low  miss_high
    0          4      0.75         0.301          0.954       0.0       0.25
    >>> round(float(out["bias"].iloc[0]), 3), round(float(out["rmse"].iloc[0]), 3)
    (0.1, 0.212)
    """
    est = results[estimate].to_numpy(dtype=float)
    lo = results[ci_low].to_numpy(dtype=float)
    hi = results[ci_high].to_numpy(dtype=float)
    ok = np.isfinite(est) & np.isfinite(lo) & np.isfinite(hi)
    est, lo, hi = est[ok], lo[ok], hi[ok]
    n = int(ok.sum())
    covered = int(((lo <= truth) & (truth <= hi)).sum())
    cov_low, cov_high = wilson_interval(covered, n, ci)
    row = {
        "n_reps": len(results),
        "n_defined": n,
        "truth": float(truth),
        "mean_estimate": _mean(est),
        "bias": _mean(est - truth),
        "rmse": float(np.sqrt(_mean((est - truth) ** 2))),
        "coverage": covered / n if n else np.nan,
        "coverage_low": cov_low,
        "coverage_high": cov_high,
        "miss_low": _mean(hi < truth),
        "miss_high": _mean(lo > truth),
        "mean_width": _mean(hi - lo),
    }
    return pd.DataFrame([row])


def _mean(values: np.ndarray) -> float:
    """Mean, NaN for no values (without numpy's empty-slice warning)."""
    return float(np.mean(values)) if len(values) else float("nan")
