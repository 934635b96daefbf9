r"""Rank ECDFs of simulation-based calibration with simultaneous bands (Säilynoja, Bürkner & Vehtari 2022).

In SBC each replication gives, per parameter, the rank :math:`r \in \{0, \dots, L\}` of the true value among
:math:`L` (thinned) posterior draws. When the fit is calibrated the ranks are uniform on :math:`\{0..L\}`, so
at the cut points :math:`z_i = i / (L + 1)` the count :math:`c_i = \#\{r < i\}` over :math:`N` replications is
Binomial(:math:`N`, :math:`z_i`) for every :math:`i = 1..L`. A *simultaneous* 95% band holds all :math:`L`
counts at once with probability 0.95 under uniformity: the pointwise two-sided tail probability
:math:`m_i = \min(F(c_i), 1 - F(c_i - 1))` (:math:`F` the Binomial CDF) is computed at every cut point, the
statistic is :math:`m = \min_i m_i`, and its null distribution is simulated (uniform ranks, a fixed seed); the
band is :math:`\{c_i : m_i \ge t\}` with :math:`t` the 5% quantile of the null :math:`m` (the adjusted-level
idea of Säilynoja et al.; simulated rather than optimised). A parameter *passes* when its ECDF stays inside
the band everywhere (:math:`m \ge t`), which a calibrated parameter does with probability at least 0.95.

With many parameters per model some fail by chance (about 5% of them); :func:`sbc_verdicts` also gives a
family-wise verdict, the same test at level :math:`0.05 / P` for :math:`P` parameters (Bonferroni).

References
----------
Talts, S., Betancourt, M., Simpson, D., Vehtari, A. & Gelman, A. (2018). Validating Bayesian inference
algorithms with simulation-based calibration. arXiv:1804.06788.
Säilynoja, T., Bürkner, P.-C. & Vehtari, A. (2022). Graphical test for discrete uniformity and its
applications in goodness-of-fit evaluation and multiple sample comparison. *Statistics and Computing* 32, 32.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
from scipy.stats import binom

__all__ = ["RANK_PREFIX", "null_min_tail", "rank_band", "rank_counts", "sbc_verdicts", "tail_statistic"]

#: Column prefix of a parameter's rank in an SBC study's per-replication frame (``rank:mu``).
RANK_PREFIX = "rank:"

#: Replications of uniform ranks simulated to find the band's pointwise level (fixed seed: deterministic).
_N_NULL = 20_000
_NULL_SEED = 20220304


def rank_counts(ranks: np.ndarray, n_ranks: int) -> np.ndarray:
    """Counts ``c_i = #{r < i}`` for ``i = 1..L`` (``n_ranks = L``) of integer ranks in ``0..L``.

    Examples
    --------
    >>> rank_counts(np.array([0, 1, 1, 3]), 3).tolist()
    [1, 3, 3]
    """
    r = np.asarray(ranks, dtype=np.int64)
    hist = np.bincount(r, minlength=n_ranks + 1)[: n_ranks + 1]
    return np.cumsum(hist)[:-1]


def tail_statistic(counts: np.ndarray, n: int, n_ranks: int) -> np.ndarray:
    """``min_i min(F(c_i), 1 - F(c_i - 1))`` over the last axis of ``counts`` (Binomial(n, i/(L+1)) tails).

    Examples
    --------
    Ranks spread evenly have large tail probabilities; ranks piled at 0 have tiny ones:

    >>> even = rank_counts(np.arange(100) % 10, 9)
    >>> piled = rank_counts(np.zeros(100, dtype=int), 9)
    >>> float(tail_statistic(even, 100, 9)) > 0.3, float(tail_statistic(piled, 100, 9)) < 1e-20
    (True, True)
    """
    z = np.arange(1, n_ranks + 1) / (n_ranks + 1)
    c = np.asarray(counts)
    low = binom.cdf(c, n, z)
    high = binom.sf(c - 1, n, z)
    return np.minimum(low, high).min(axis=-1)


@lru_cache(maxsize=32)
def null_min_tail(n: int, n_ranks: int) -> np.ndarray:
    """Sorted null distribution of :func:`tail_statistic` for ``n`` uniform ranks on ``0..L`` (simulated)."""
    rng = np.random.default_rng(_NULL_SEED)
    out = np.empty(_N_NULL)
    step = 2_000
    for start in range(0, _N_NULL, step):
        r = rng.integers(0, n_ranks + 1, size=(step, n))
        hist = np.zeros((step, n_ranks + 1), dtype=np.int64)
        np.add.at(hist, (np.repeat(np.arange(step), n), r.ravel()), 1)
        counts = np.cumsum(hist, axis=1)[:, :-1]
        out[start : start + step] = tail_statistic(counts, n, n_ranks)
    out.sort()
    return out


def _threshold(n: int, n_ranks: int, alpha: float) -> float:
    null = null_min_tail(n, n_ranks)
    return float(np.quantile(null, alpha, method="lower"))


def rank_band(n: int, n_ranks: int, prob: float = 0.95) -> pd.DataFrame:
    """The simultaneous ``prob`` band of the rank ECDF, as ECDF values and as ECDF minus the uniform CDF.

    Returns
    -------
    DataFrame
        One row per cut point ``z = i / (L + 1)``: ``z``, ``lower``, ``upper`` (ECDF bounds),
        ``lower_diff``, ``upper_diff`` (bounds minus ``z``), and ``level`` (the pointwise tail level used).

    Examples
    --------
    >>> band = rank_band(200, 19)
    >>> bool(((band["lower"] < band["z"]) & (band["z"] < band["upper"])).all())
    True
    """
    t = _threshold(n, n_ranks, 1.0 - prob)
    z = np.arange(1, n_ranks + 1) / (n_ranks + 1)
    c = np.arange(n + 1)[:, None]
    ok = (binom.cdf(c, n, z[None, :]) >= t) & (binom.sf(c - 1, n, z[None, :]) >= t)
    lower = np.argmax(ok, axis=0) / n
    upper = (n - np.argmax(ok[::-1], axis=0)) / n
    return pd.DataFrame(
        {"z": z, "lower": lower, "upper": upper, "lower_diff": lower - z, "upper_diff": upper - z, "level": t}
    )


def sbc_verdicts(results: pd.DataFrame, n_ranks: int, prob: float = 0.95) -> pd.DataFrame:
    """One row per parameter (``rank:*`` columns of an SBC study): is its rank ECDF inside the band?

    Parameters
    ----------
    results : DataFrame
        One row per replication, ranks in columns named :data:`RANK_PREFIX` + parameter.
    n_ranks : int
        ``L``: ranks lie in ``0..L``.
    prob : float
        Simultaneous level of the band.

    Returns
    -------
    DataFrame
        ``parameter, n_reps, min_tail`` (the statistic :math:`m`), ``threshold`` (band at ``prob``),
        ``inside`` (the per-parameter verdict), ``threshold_familywise`` and ``inside_familywise`` (level
        ``(1 - prob) / P``), ``max_abs_diff`` (largest ECDF - uniform distance) and ``mean_rank`` (scaled to
        0..1; 0.5 when calibrated, above 0.5 when the posterior sits below the truth).

    Examples
    --------
    A calibrated parameter passes, one whose truth is always above the posterior fails:

    >>> rng = np.random.default_rng(1)
    >>> res = pd.DataFrame({"rank:good": rng.integers(0, 20, 200), "rank:bad": rng.integers(14, 20, 200)})
    >>> sbc_verdicts(res, 19)[["parameter", "inside", "inside_familywise"]]
      parameter  inside  inside_familywise
    0      good    True               True
    1       bad   False              False
    """
    cols = [c for c in results.columns if c.startswith(RANK_PREFIX)]
    alpha = 1.0 - prob
    rows = []
    for col in cols:
        r = results[col].to_numpy(dtype=float)
        r = r[np.isfinite(r)].astype(np.int64)
        n = int(r.size)
        if n == 0:
            rows.append({"parameter": col[len(RANK_PREFIX) :], "n_reps": 0})
            continue
        counts = rank_counts(r, n_ranks)
        m = float(tail_statistic(counts, n, n_ranks))
        t = _threshold(n, n_ranks, alpha)
        t_fw = _threshold(n, n_ranks, alpha / max(len(cols), 1))
        z = np.arange(1, n_ranks + 1) / (n_ranks + 1)
        rows.append(
            {
                "parameter": col[len(RANK_PREFIX) :],
                "n_reps": n,
                "min_tail": m,
                "threshold": t,
                "inside": m >= t,
                "threshold_familywise": t_fw,
                "inside_familywise": m >= t_fw,
                "max_abs_diff": float(np.abs(counts / n - z).max()),
                "mean_rank": float(r.mean() / n_ranks),
            }
        )
    return pd.DataFrame(rows)
