"""Convergence checks of a posterior: r-hat, effective sample size, divergences, and the verdict with its remedy.

Convergence bar (:data:`R_HAT_MAX`, :data:`ESS_BULK_MIN`, :data:`ESS_TAIL_MIN`): rank-normalised split r-hat
<= 1.01, bulk ESS >= 400 and tail ESS >= 400 for every scalar of every checked posterior variable, and zero
divergent transitions (Vehtari et al. 2021). Tail ESS (the ESS of the 5% and 95% quantiles) is part of the
bar because it governs the endpoints of the 95% intervals every summary reports; a chain can mix well in the
bulk and still visit the tails too rarely. :func:`diagnose` computes the numbers, :func:`verdict` judges them
and words the verdict; :func:`rejudge` applies the current bar to stored diagnostics (a cached fit);
:func:`report` logs it and, when the bar is missed, emits a :class:`ConvergenceWarning` naming the worst
parameter and the remedy (``strict=True`` raises :class:`ConvergenceError` instead).

``arviz_stats`` is imported inside :func:`diagnose` only (importing :mod:`toolkit.models` must stay light).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np

from toolkit.models.summaries import as_dataset

__all__ = [
    "ESS_BULK_MIN",
    "ESS_TAIL_MIN",
    "R_HAT_MAX",
    "ConvergenceError",
    "ConvergenceWarning",
    "Diagnostics",
    "diagnose",
    "flat_labels",
    "rejudge",
    "report",
    "verdict",
]

log = logging.getLogger(__name__)

#: Convergence bar: maximum rank-normalised split r-hat.
R_HAT_MAX = 1.01
#: Convergence bar: minimum bulk effective sample size.
ESS_BULK_MIN = 400
#: Convergence bar: minimum tail effective sample size (5% and 95% quantiles: the 95% interval endpoints).
ESS_TAIL_MIN = 400


class ConvergenceWarning(UserWarning):
    """A fit missed the convergence bar (r-hat, bulk or tail ESS, or divergences)."""


class ConvergenceError(RuntimeError):
    """Raised by ``fit(..., strict=True)`` when the convergence bar is missed."""


@attrs.frozen
class Diagnostics:
    """Convergence diagnostics of a fit.

    Attributes
    ----------
    max_r_hat : float
        Largest rank-normalised split r-hat over all checked scalars.
    min_ess_bulk : float
        Smallest bulk ESS.
    min_ess_tail : float
        Smallest tail ESS.
    divergences : int
        Divergent transitions after tuning, all chains.
    worst_r_hat, worst_ess : str
        The scalar (``var[coord]``) with the largest r-hat / smallest bulk ESS.
    ok : bool
        Whether the bar (r-hat <= 1.01, bulk ESS >= 400, tail ESS >= 400, no divergences) is met.
    message : str
        Human-readable verdict; when not ok, what failed and the remedy.
    sampling_time : float
        Seconds spent sampling (compile excluded), as reported by the sampler.
    worst_ess_tail : str
        The scalar with the smallest tail ESS (empty in diagnostics stored before tail ESS joined the bar).
    """

    max_r_hat: float
    min_ess_bulk: float
    min_ess_tail: float
    divergences: int
    worst_r_hat: str
    worst_ess: str
    ok: bool
    message: str
    sampling_time: float = float("nan")
    worst_ess_tail: str = ""


def flat_labels(da: Any) -> list[str]:
    """``var[coord, ...]`` labels of every scalar of an xarray DataArray, in C order."""
    dims = [d for d in da.dims]
    if not dims:
        return [str(da.name)]
    grids = np.meshgrid(
        *[np.asarray(da[d].values) if d in da.coords else np.arange(da.sizes[d]) for d in dims], indexing="ij"
    )
    flat = [g.ravel() for g in grids]
    return [f"{da.name}[{', '.join(str(f[i]) for f in flat)}]" for i in range(flat[0].size)]


def diagnose(idata: Any, var_names: Sequence[str] | None = None) -> Diagnostics:
    """Check the convergence bar on a posterior and word the verdict with its remedy.

    Parameters
    ----------
    idata : xarray.DataTree
        A posterior with a ``posterior`` group (and ``sample_stats`` for the divergences).
    var_names : sequence of str, optional
        Posterior variables the bar applies to (default: all).

    Returns
    -------
    Diagnostics
    """
    import arviz_stats  # lazy: importing toolkit.models must not import ArviZ

    post = as_dataset(idata["posterior"])
    names = list(var_names) if var_names is not None else list(post.data_vars)
    post = post[names]
    rhat = arviz_stats.rhat(post)
    ess_b = arviz_stats.ess(post, method="bulk")
    ess_t = arviz_stats.ess(post, method="tail")
    labels: list[str] = []
    rh, eb, et = [], [], []
    for v in names:
        labels += flat_labels(rhat[v])
        rh.append(np.asarray(rhat[v].values, dtype=float).ravel())
        eb.append(np.asarray(ess_b[v].values, dtype=float).ravel())
        et.append(np.asarray(ess_t[v].values, dtype=float).ravel())
    rh_a, eb_a, et_a = (np.concatenate(x) if x else np.array([np.nan]) for x in (rh, eb, et))
    # constant scalars (e.g. a fixed reference level) have undefined r-hat / ESS: ignore them
    finite = np.isfinite(rh_a) & np.isfinite(eb_a)
    if finite.any():
        i_r = int(np.nanargmax(np.where(finite, rh_a, -np.inf)))
        i_e = int(np.nanargmin(np.where(finite, eb_a, np.inf)))
        max_rhat, min_ess = float(rh_a[i_r]), float(eb_a[i_e])
        tail_ok = finite & np.isfinite(et_a)
        i_t = int(np.argmin(np.where(tail_ok, et_a, np.inf)))
        min_tail = float(et_a[i_t]) if tail_ok.any() else float("nan")
        worst_r, worst_e, worst_t = labels[i_r], labels[i_e], (labels[i_t] if tail_ok.any() else "")
    else:
        max_rhat, min_ess, min_tail = float("nan"), float("nan"), float("nan")
        worst_r, worst_e, worst_t = "", "", ""
    stats = idata["sample_stats"] if "sample_stats" in idata.children else None
    divergences = (
        int(np.asarray(stats["diverging"].values).sum()) if stats is not None and "diverging" in stats else 0
    )
    sampling_time = float(
        post.attrs.get("sampling_time", idata["posterior"].attrs.get("sampling_time", np.nan))
    )
    n_chains = int(post.sizes.get("chain", 1))

    return verdict(
        max_r_hat=max_rhat,
        min_ess_bulk=min_ess,
        min_ess_tail=min_tail,
        divergences=divergences,
        worst_r_hat=worst_r,
        worst_ess=worst_e,
        worst_ess_tail=worst_t,
        n_chains=n_chains,
        sampling_time=sampling_time,
    )


def verdict(
    *,
    max_r_hat: float,
    min_ess_bulk: float,
    min_ess_tail: float,
    divergences: int,
    worst_r_hat: str = "",
    worst_ess: str = "",
    worst_ess_tail: str = "",
    n_chains: int = 4,
    sampling_time: float = float("nan"),
) -> Diagnostics:
    """Judge the convergence numbers against the bar and word the verdict with its remedy.

    Parameters
    ----------
    max_r_hat, min_ess_bulk, min_ess_tail : float
        Largest r-hat, smallest bulk and tail ESS over the checked scalars (NaN fails the bar).
    divergences : int
        Divergent transitions after tuning, all chains.
    worst_r_hat, worst_ess, worst_ess_tail : str
        The scalars (``var[coord]``) behind the three numbers, named in the message.
    n_chains : int
        Chains of the fit (the r-hat remedy suggests 4 when fewer were run).
    sampling_time : float
        Seconds spent sampling, carried into the result.

    Returns
    -------
    Diagnostics

    Examples
    --------
    Bulk ESS alone is not enough: a short tail ESS misses the bar (it governs the 95% interval endpoints).

    >>> d = verdict(max_r_hat=1.002, min_ess_bulk=900.0, min_ess_tail=250.0, divergences=0,
    ...             worst_ess_tail="sens[gpt-4o]")
    >>> d.ok, "min tail ESS 250 < 400 (worst: sens[gpt-4o];" in d.message
    (False, True)
    """
    problems, remedies = [], []
    if not (max_r_hat <= R_HAT_MAX):
        problems.append(f"max r-hat {max_r_hat:.3f} > {R_HAT_MAX} (worst: {worst_r_hat})")
        remedies.append(
            "run longer chains (e.g. draws=2000, tune=2000)"
            + ("" if n_chains >= 4 else " and/or more chains (chains=4)")
            + "; if one chain sits in a different mode, check the model's identification constraints"
        )
    short = []  # ESS / minimum of each ESS that misses the bar
    if not (min_ess_bulk >= ESS_BULK_MIN):
        problems.append(f"min bulk ESS {min_ess_bulk:.0f} < {ESS_BULK_MIN} (worst: {worst_ess})")
        short.append(min_ess_bulk / ESS_BULK_MIN)
    if not (min_ess_tail >= ESS_TAIL_MIN):
        problems.append(
            f"min tail ESS {min_ess_tail:.0f} < {ESS_TAIL_MIN} (worst: {worst_ess_tail or 'unknown'}; "
            "tail ESS governs the 95% interval endpoints)"
        )
        short.append(min_ess_tail / ESS_TAIL_MIN)
    if short:
        ratio = min(short)
        remedies.append(
            f"increase draws (need about {1.0 / max(ratio, 1.0 / ESS_BULK_MIN):.1f}x the current number)"
            if np.isfinite(ratio)
            else "increase draws"
        )
    if divergences:
        problems.append(f"{divergences} divergent transitions")
        remedies.append(
            "raise target_accept (e.g. 0.95 or 0.99) or reparameterise (non-centred random effects)"
        )
    if problems:
        message = (
            "CONVERGENCE BAR MISSED: "
            + "; ".join(problems)
            + ". Remedy: "
            + "; ".join(remedies)
            + ". Do not report these estimates until the bar is met."
        )
    else:
        message = (
            f"converged: max r-hat {max_r_hat:.3f} <= {R_HAT_MAX}, min bulk ESS {min_ess_bulk:.0f} >= "
            f"{ESS_BULK_MIN}, min tail ESS {min_ess_tail:.0f} >= {ESS_TAIL_MIN}, no divergences"
        )
    return Diagnostics(
        max_r_hat=max_r_hat,
        min_ess_bulk=min_ess_bulk,
        min_ess_tail=min_ess_tail,
        divergences=divergences,
        worst_r_hat=worst_r_hat,
        worst_ess=worst_ess,
        ok=not problems,
        message=message,
        sampling_time=sampling_time,
        worst_ess_tail=worst_ess_tail,
    )


def rejudge(diagnostics: Diagnostics, n_chains: int) -> Diagnostics:
    """The verdict of stored diagnostics under the current bar (a cached fit judged by an older bar).

    Parameters
    ----------
    diagnostics : Diagnostics
        Diagnostics as stored with a fit; only their numbers and worst-scalar labels are used.
    n_chains : int
        Chains of the fit.

    Returns
    -------
    Diagnostics
    """
    d = diagnostics
    return verdict(
        max_r_hat=d.max_r_hat,
        min_ess_bulk=d.min_ess_bulk,
        min_ess_tail=d.min_ess_tail,
        divergences=d.divergences,
        worst_r_hat=d.worst_r_hat,
        worst_ess=d.worst_ess,
        worst_ess_tail=d.worst_ess_tail,
        n_chains=n_chains,
        sampling_time=d.sampling_time,
    )


def report(diagnostics: Diagnostics, where: str, *, strict: bool, stacklevel: int = 2) -> None:
    """Log the verdict of ``diagnostics``; when the bar is missed, warn (or raise when ``strict``).

    Parameters
    ----------
    diagnostics : Diagnostics
        The verdict to report.
    where : str
        What was fitted (model, sampler, chains x draws), put before the message.
    strict : bool
        Raise :class:`ConvergenceError` instead of warning.
    stacklevel : int
        Stack level of the :class:`ConvergenceWarning`, counted from the caller of this function
        (2: the caller's caller).

    Raises
    ------
    ConvergenceError
        When ``strict`` and the bar is missed.
    """
    if diagnostics.ok:
        log.info("%s: %s", where, diagnostics.message)
        return
    text = f"{where}: {diagnostics.message}"
    if strict:
        raise ConvergenceError(text)
    log.warning(text)
    warnings.warn(text, ConvergenceWarning, stacklevel=stacklevel + 1)
