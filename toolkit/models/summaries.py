"""Posterior draws to tidy tables: equal-tailed intervals, summary rows and posterior predictive check rows.

Every summary table of :mod:`toolkit.models` has the columns ``mean, sd, ci_low, ci_high``, where the interval
is the 95% equal-tailed credible interval (2.5% and 97.5% posterior quantiles, :data:`CI_PROB`). Equal-tailed
rather than HDI because it is invariant under monotone transforms (a sensitivity's interval is the logistic of
its logit's interval) and is what parameter-recovery coverage is defined for.

Only numpy and pandas are imported here; :func:`parameter_table` imports ``arviz_stats`` when called.

Examples
--------
>>> import numpy as np
>>> list(summarize_samples(np.zeros((10, 2)), {"name": ["a", "b"]}).columns)
['name', 'mean', 'sd', 'ci_low', 'ci_high']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "CI_PROB",
    "UNDEFINED",
    "as_dataset",
    "draws_of",
    "expit",
    "interval",
    "log_expit",
    "parameter_table",
    "ppc_misfits",
    "ppc_row",
    "summarize_samples",
]

#: Probability mass of every credible interval in the summaries (equal-tailed).
CI_PROB = 0.95
#: The ``note`` of a posterior predictive check whose statistic is undefined on the data's design.
UNDEFINED = "undefined on this design"


def as_dataset(node: Any) -> Any:
    """A DataTree node as an xarray Dataset (a Dataset is returned as is)."""
    return node.to_dataset() if hasattr(node, "to_dataset") else node


def expit(x: Any) -> np.ndarray:
    """The logistic function, overflow-free (numpy only: keeps ``scipy.special`` out of cached re-runs)."""
    return np.exp(-np.logaddexp(0.0, -np.asarray(x, dtype=float)))


def log_expit(x: Any) -> np.ndarray:
    """log(logistic(x)), numerically stable."""
    return -np.logaddexp(0.0, -np.asarray(x, dtype=float))


def draws_of(idata: Any, var: str, group: str = "posterior") -> np.ndarray:
    """Posterior draws of a variable as an array ``(chain * draw, *dims)``."""
    arr = np.asarray(idata[group][var].values)
    return arr.reshape(-1, *arr.shape[2:])


def interval(samples: np.ndarray, axis: int = 0, prob: float = CI_PROB) -> tuple[np.ndarray, np.ndarray]:
    """Equal-tailed ``prob`` interval along ``axis``."""
    tail = (1.0 - prob) / 2.0
    low, high = np.quantile(samples, [tail, 1.0 - tail], axis=axis)
    return low, high


def summarize_samples(samples: np.ndarray, index: Mapping[str, Sequence[Any]] | None = None) -> pd.DataFrame:
    """Tidy table of draws ``(n_samples, n)`` (or ``(n_samples,)``): ``mean, sd, ci_low, ci_high``.

    ``index`` maps label columns to their values (each of length ``n``), placed before the statistics.
    """
    s = np.asarray(samples, dtype=float)
    if s.ndim == 1:
        s = s[:, None]
    s = s.reshape(s.shape[0], -1)
    low, high = interval(s)
    frame = pd.DataFrame(dict(index or {}))
    stats = pd.DataFrame({"mean": s.mean(0), "sd": s.std(0, ddof=1), "ci_low": low, "ci_high": high})
    return pd.concat([frame.reset_index(drop=True), stats], axis=1)


def ppc_row(check: str, observed: float, replicated: np.ndarray, **labels: Any) -> dict[str, Any]:
    """One posterior predictive check row.

    ``p_value`` is the two-sided posterior predictive p-value ``2 * min(P(rep >= obs), P(rep <= obs))``
    (capped at 1): small values flag a statistic the model does not reproduce. Replicated draws on which the
    statistic is undefined (NaN) are left out of every column and counted in ``note``.

    A statistic that is undefined on the data's design (observed value NaN, e.g. the share of items labelled
    by every rater of a group when no item is; or undefined in every replicated draw) is not a misfit: its row
    has ``p_value`` NaN, ``within_ci`` True, ``defined`` False and ``note`` :data:`UNDEFINED`.

    Returns
    -------
    dict
        ``check``, the ``labels``, ``observed, rep_mean, rep_sd, rep_low, rep_high, p_value, within_ci,
        defined, note``.

    Examples
    --------
    >>> row = ppc_row("majority yes share", float("nan"), np.full(100, np.nan), group="crowd")
    >>> row["p_value"], row["within_ci"], row["note"]
    (nan, True, 'undefined on this design')
    """
    rep = np.asarray(replicated, dtype=float).ravel()
    obs = float(observed)
    ok = rep[np.isfinite(rep)]
    nan = float("nan")
    row: dict[str, Any] = {
        "check": check,
        **labels,
        "observed": obs,
        "rep_mean": float(ok.mean()) if ok.size else nan,
        "rep_sd": float(ok.std(ddof=1)) if ok.size > 1 else nan,
        "rep_low": nan,
        "rep_high": nan,
        "p_value": nan,
        "within_ci": True,
        "defined": False,
        "note": UNDEFINED,
    }
    if ok.size:
        low, high = interval(ok)
        row["rep_low"], row["rep_high"] = float(low), float(high)
    if not (np.isfinite(obs) and ok.size):
        return row
    p = 2 * min(float(np.mean(ok >= obs)), float(np.mean(ok <= obs)))
    n_undefined = rep.size - ok.size
    row.update(
        p_value=min(1.0, p),
        within_ci=bool(row["rep_low"] <= obs <= row["rep_high"]),
        defined=True,
        note=f"undefined in {n_undefined} of {rep.size} replicated draws" if n_undefined else "",
    )
    return row


def ppc_misfits(ppc: pd.DataFrame, alpha: float = 0.01) -> pd.DataFrame:
    """The rows of a posterior predictive check table that flag a misfit: ``p_value <= alpha``.

    A statistic undefined on the design (``p_value`` NaN, see :func:`ppc_row`) is never a misfit.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> table = pd.DataFrame([ppc_row("a", 0.0, rng.normal(size=500)), ppc_row("b", 9.0, rng.normal(size=500)),
    ...                       ppc_row("c", float("nan"), rng.normal(size=500))])
    >>> list(ppc_misfits(table)["check"])
    ['b']
    """
    return ppc[ppc["p_value"].notna() & (ppc["p_value"] <= alpha)]


def parameter_table(idata: Any, var: str, index: Mapping[str, Sequence[Any]] | None = None) -> pd.DataFrame:
    """Summary of a posterior variable with its sampling diagnostics (``ess_bulk``, ``r_hat``) appended."""
    import arviz_stats  # lazy: importing toolkit.models must not import ArviZ

    samples = draws_of(idata, var)
    table = summarize_samples(samples, index)
    post = as_dataset(idata["posterior"])[[var]]
    table["ess_bulk"] = np.asarray(arviz_stats.ess(post, method="bulk")[var].values, dtype=float).ravel()
    table["r_hat"] = np.asarray(arviz_stats.rhat(post)[var].values, dtype=float).ravel()
    return table
