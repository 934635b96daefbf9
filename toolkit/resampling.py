"""Resampling: the one home of the toolkit's bootstraps, percentile and Wilson intervals and permutation tests.

Every interval the toolkit computes by resampling goes through this module, so the resampling unit, the
seeding and the interval rule are defined once.

Cluster bootstrap
-----------------
A statistic that is a function of *sums over clusters* (confusion counts, label counts, rating sums) is
bootstrapped by drawing the clusters' multiplicities ``w`` (how often each cluster is in a resample: the
counts of ``n_clusters`` draws with replacement) and forming ``w @ per_cluster_sums``. This resamples whole
sampling units (an item with all its judgments, a user with all their attributes) without copying data, and
gives all resamples at once.

Design-aware intervals (``clusters=``)
--------------------------------------
Items are rarely independent: stage-2 items are nested in user-prompt pairs and crossed between users and
prompts; stage-3 cells are nested in responses. The ``clusters`` argument of :func:`bootstrap_sums` (and of
every agreement and classification statistic with an interval) names the sampling units, as item-level ids:

* ``None``: every item is its own unit (the item bootstrap; bit-identical to the toolkit's earlier results).
* one array: **one level**. Clusters are resampled with replacement and every item of a cluster gets the
  cluster's multiplicity (Davison & Hinkley 1997, sec. 3.8). Valid for nested designs; resample the top
  level (e.g. the pair when items are nested in user-prompt pairs).
* a 2-tuple of arrays ``(a, b)``: **two crossed levels** (e.g. user x prompt). The "pigeonhole" bootstrap
  (McCullagh 2000; Owen 2007): level-A units and level-B units are resampled independently with
  replacement and an item in ``(a, b)`` gets weight ``w_A[a] * w_B[b]``. No bootstrap of a crossed design is
  exactly unbiased (McCullagh 2000); this one is conservative: for a mean of ``y = mu + a_i + b_j + e_ij``
  its variance is about ``s2_A/R + s2_B/C + 3 s2_E/(RC)`` against the true ``s2_A/R + s2_B/C + s2_E/(RC)``
  (Owen 2007), so the item-level term is counted about three times. The excess is small when the level
  effects dominate and makes intervals at most ``sqrt(3)`` times too wide when there are none.

:func:`item_weights` gives the ``(n_boot, n_items)`` item weights of all three cases;
:func:`bootstrap_sums` forms the same resamples' sums without the dense matrix (it sums the incidence of
each cluster, or of each occupied ``(a, b)`` cell, once).

:func:`cluster_weights` has two draw methods of the *same* distribution (the multiplicities of ``n`` uniform
draws with replacement): ``"index"`` (draw ``n`` indices, count them; used by the agreement and
classification statistics) and ``"multinomial"`` (one multinomial draw; used by the stage tables). They
consume the generator differently, so each statistic keeps the method it was published with and its
intervals stay reproducible to the bit.

Examples
--------
>>> import numpy as np
>>> w = cluster_weights(np.random.default_rng(0), 3, 4)
>>> w.shape, w.sum(axis=1).tolist()
((3, 4), [4, 4, 4])
>>> wilson_interval(5, 100)  # Wilson (1927); Newcombe (1998) Table I: 0.0215 to 0.1118
(0.021543..., 0.111750...)
"""

from __future__ import annotations

import contextlib
import itertools
import warnings
from collections.abc import Iterator, Sequence
from statistics import NormalDist

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import sparse

__all__ = [
    "SeedLike",
    "DrawMethod",
    "rng_from",
    "check_bootstrap",
    "Clusters",
    "cluster_codes",
    "cluster_levels",
    "cluster_weights",
    "level_weights",
    "item_weights",
    "bootstrap_sums",
    "unit_bootstrap_sums",
    "ratio_bootstrap",
    "percentile_interval",
    "wilson_interval",
    "spearman_permutation_p",
    "quiet_nan_warnings",
]

SeedLike = int | np.random.Generator | None
DrawMethod = str  # "index" | "multinomial"
#: Item-level cluster ids: ``None`` (each item its own cluster), one array (one level), or a tuple of two
#: arrays (two crossed levels, e.g. ``(user, prompt)``).
Clusters = npt.ArrayLike | tuple[npt.ArrayLike, npt.ArrayLike] | None

# ~5e6 cells per (chunk x clusters) and (chunk x columns) block keeps memory near 40 MB per array.
_BLOCK_CELLS = 5_000_000


def rng_from(seed: SeedLike) -> np.random.Generator:
    """A :class:`numpy.random.Generator`: ``seed`` itself if it is one, else ``default_rng(seed)``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> rng_from(rng) is rng
    True
    >>> int(rng_from(7).integers(100)) == int(np.random.default_rng(7).integers(100))
    True
    """
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def check_bootstrap(n_boot: int, ci: float) -> None:
    """Raise :class:`ValueError` unless ``n_boot`` is a non-negative integer and ``0 < ci < 1``.

    Examples
    --------
    >>> check_bootstrap(1000, 0.95)
    >>> check_bootstrap(1000, 95)
    Traceback (most recent call last):
    ...
    ValueError: ci must be in (0, 1), got 95
    """
    if not isinstance(n_boot, int | np.integer) or n_boot < 0:
        raise ValueError(f"n_boot must be a non-negative integer, got {n_boot!r}")
    if not 0.0 < ci < 1.0:
        raise ValueError(f"ci must be in (0, 1), got {ci!r}")


def cluster_codes(clusters: npt.ArrayLike | None, n_rows: int) -> tuple[np.ndarray, int]:
    """Integer cluster code per row (first-appearance order) and the number of clusters.

    ``clusters=None`` makes every row its own cluster. Missing cluster ids are an error.

    Examples
    --------
    >>> cluster_codes(["b", "a", "b"], 3)
    (array([0, 1, 0]), 2)
    """
    if clusters is None:
        return np.arange(n_rows), n_rows
    cl = np.asarray(clusters)
    if cl.shape != (n_rows,):
        raise ValueError(f"clusters must have one id per row ({n_rows}), got shape {cl.shape}")
    if cl.dtype.kind not in "biu" and pd.isna(cl).any():
        raise ValueError("clusters has missing ids")
    codes, uniques = pd.factorize(cl)
    return codes, len(uniques)


def cluster_weights(
    rng: np.random.Generator, n_boot: int, n_clusters: int, *, method: DrawMethod = "index"
) -> np.ndarray:
    """``(n_boot, n_clusters)`` multiplicities of a with-replacement resample of the clusters.

    ``method="index"`` draws ``n_clusters`` indices per resample and counts them; ``"multinomial"`` draws the
    counts from one multinomial. Same distribution, different use of ``rng`` (see the module notes).

    Examples
    --------
    >>> import numpy as np
    >>> cluster_weights(np.random.default_rng(0), 2, 4)
    array([[0, 1, 2, 1],
           [3, 1, 0, 0]])
    >>> cluster_weights(np.random.default_rng(0), 2, 4, method="multinomial")
    array([[1, 0, 0, 3],
           [0, 2, 2, 0]])
    """
    if method == "multinomial":
        return rng.multinomial(n_clusters, np.full(n_clusters, 1.0 / n_clusters), size=n_boot)
    if method != "index":
        raise ValueError(f"method must be 'index' or 'multinomial', got {method!r}")
    draws = rng.integers(0, n_clusters, size=(n_boot, n_clusters))
    offsets = (np.arange(n_boot, dtype=np.int64) * n_clusters)[:, None]
    return np.bincount((draws + offsets).ravel(), minlength=n_boot * n_clusters).reshape(n_boot, n_clusters)


def cluster_levels(clusters: Clusters, n_items: int) -> tuple[tuple[np.ndarray, int], ...]:
    """``(codes, n_units)`` per resampling level of item-level ``clusters`` (see the module notes).

    ``None`` gives one level where every item is its own unit; one array gives one level; a tuple gives one
    level per element (two crossed levels). A tuple always means levels, never the ids of two items.

    Examples
    --------
    >>> [(c.tolist(), n) for c, n in cluster_levels(["u1", "u1", "u2"], 3)]
    [([0, 0, 1], 2)]
    >>> [(c.tolist(), n) for c, n in cluster_levels((["u1", "u1", "u2"], ["p1", "p2", "p1"]), 3)]
    [([0, 0, 1], 2), ([0, 1, 0], 2)]
    >>> [(c.tolist(), n) for c, n in cluster_levels(None, 2)]
    [([0, 1], 2)]
    """
    if clusters is None:
        return (cluster_codes(None, n_items),)
    if isinstance(clusters, tuple):
        if len(clusters) not in (1, 2):
            raise ValueError(f"clusters as a tuple must hold one or two levels, got {len(clusters)}")
        return tuple(cluster_codes(level, n_items) for level in clusters)
    return (cluster_codes(clusters, n_items),)


def _level_rngs(rng: np.random.Generator, n_levels: int) -> list[np.random.Generator]:
    """One generator per level: ``rng`` itself for one level (today's stream), independent children for two,
    so each level's draws are one sequential stream and the resamples do not depend on the chunk size."""
    return [rng] if n_levels == 1 else list(rng.spawn(n_levels))


def level_weights(clusters: Clusters, n_items: int, n_boot: int, seed: SeedLike) -> tuple[np.ndarray, ...]:
    """``(n_boot, n_units)`` multiplicities of each level's units (``method="index"``), one array per level.

    Each row of each level sums to that level's number of units. These are the draws behind
    :func:`item_weights` and :func:`bootstrap_sums` for the same ``seed``.

    Examples
    --------
    >>> w_user, w_prompt = level_weights((["u1", "u1", "u2"], ["p1", "p2", "p3"]), 3, 4, seed=0)
    >>> w_user.shape, w_prompt.shape, w_user.sum(axis=1).tolist(), w_prompt.sum(axis=1).tolist()
    ((4, 2), (4, 3), [2, 2, 2, 2], [3, 3, 3, 3])
    """
    levels = cluster_levels(clusters, n_items)
    rngs = _level_rngs(rng_from(seed), len(levels))
    return tuple(cluster_weights(g, n_boot, n) for g, (_, n) in zip(rngs, levels, strict=True))


def item_weights(clusters: Clusters, n_items: int, n_boot: int, seed: SeedLike) -> np.ndarray:
    """``(n_boot, n_items)`` bootstrap weight of every item under the design ``clusters``.

    One level: an item's weight is its cluster's multiplicity. Two crossed levels ``(a, b)``: the product
    ``w_A[a] * w_B[b]`` of the pigeonhole bootstrap (see the module notes). ``None``: the item multiplicities
    themselves. The sums ``item_weights(...) @ incidence`` equal :func:`bootstrap_sums` for the same ``seed``.

    Examples
    --------
    Four items of two users crossed with two prompts:

    >>> users, prompts = ["u1", "u1", "u2", "u2"], ["p1", "p2", "p1", "p2"]
    >>> item_weights(users, 4, 2, seed=0)  # one level: items of a user share its multiplicity
    array([[0., 0., 2., 2.],
           [1., 1., 1., 1.]])
    >>> w_u, w_p = level_weights((users, prompts), 4, 2, seed=0)
    >>> w = item_weights((users, prompts), 4, 2, seed=0)
    >>> bool((w == w_u[:, [0, 0, 1, 1]] * w_p[:, [0, 1, 0, 1]]).all()), w.sum(axis=1).tolist()
    (True, [4.0, 4.0])
    """
    levels = cluster_levels(clusters, n_items)
    out = np.ones((n_boot, n_items), dtype=np.float64)
    for (codes, _), w in zip(levels, level_weights(clusters, n_items, n_boot, seed), strict=True):
        out *= w[:, codes]
    return out


def bootstrap_sums(
    incidence: sparse.spmatrix, n_boot: int, seed: SeedLike, *, clusters: Clusters = None
) -> np.ndarray:
    """Column sums of ``incidence`` (items x columns) for every (cluster-)bootstrap resample.

    Each resample's sums are ``w @ incidence`` with ``w`` the item weights of :func:`item_weights` for the
    design ``clusters`` (``None``: each row is its own cluster, the rows' multiplicities drawn with
    ``method="index"``). Resamples are drawn sequentially from one generator per level in fixed-size
    chunks, so the result depends only on ``seed``, never on memory or workers.

    Returns
    -------
    ndarray
        ``(n_boot, columns)`` float64.

    Examples
    --------
    Three clusters (rows) contributing to two counts (columns); each resample's sums equal
    ``cluster_weights(rng, ...) @ incidence`` for the same seed:

    >>> import numpy as np
    >>> from scipy import sparse
    >>> incidence = sparse.csr_matrix(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
    >>> sums = bootstrap_sums(incidence, 3, seed=0)
    >>> sums
    array([[1., 3.],
           [3., 0.],
           [3., 0.]])
    >>> bool((cluster_weights(np.random.default_rng(0), 3, 3) @ incidence.toarray() == sums).all())
    True

    With ``clusters`` the rows are items and the sums those of :func:`item_weights`:

    >>> users, prompts = ["u1", "u1", "u2"], ["p1", "p2", "p2"]
    >>> sums = bootstrap_sums(incidence, 3, seed=0, clusters=(users, prompts))
    >>> bool((item_weights((users, prompts), 3, 3, seed=0) @ incidence.toarray() == sums).all())
    True
    """
    rng = rng_from(seed)
    n_rows, n_cols = incidence.shape
    if clusters is None:
        levels: tuple[tuple[np.ndarray, int], ...] = ((np.arange(n_rows), n_rows),)
        cell_codes, cell_inc = [levels[0][0]], incidence
    else:
        levels = cluster_levels(clusters, n_rows)
        # Sum the incidence of each occupied cell (a cluster, or an (a, b) pair) once: cell x columns.
        if len(levels) == 1:
            row_cell, n_cells = levels[0]
            cell_codes = [np.arange(n_cells)]
        else:
            combined = np.zeros(n_rows, dtype=np.int64)
            for codes, n in levels:
                combined = combined * n + codes
            cells, row_cell = np.unique(combined, return_inverse=True)
            n_cells = len(cells)
            cell_codes = [cells // levels[1][1], cells % levels[1][1]]
        indicator = sparse.csr_matrix((np.ones(n_rows), (row_cell, np.arange(n_rows))), shape=(n_cells, n_rows))
        cell_inc = indicator @ sparse.csr_matrix(incidence)
    widest = max(n_cols, cell_inc.shape[0], *(n for _, n in levels), 1)
    chunk = max(1, min(n_boot, _BLOCK_CELLS // widest))
    inc_t = cell_inc.T.tocsr()
    rngs = _level_rngs(rng, len(levels))
    out = np.empty((n_boot, n_cols), dtype=np.float64)
    for start in range(0, n_boot, chunk):
        stop = min(n_boot, start + chunk)
        if len(levels) == 1:  # the cells are the units
            w = cluster_weights(rngs[0], stop - start, levels[0][1]).astype(np.float64)
        else:
            w = np.ones((stop - start, cell_inc.shape[0]), dtype=np.float64)
            for g, (_, n), codes in zip(rngs, levels, cell_codes, strict=True):
                w *= cluster_weights(g, stop - start, n)[:, codes]
        out[start:stop] = (inc_t @ w.T).T
    return out


def unit_bootstrap_sums(
    unit_sums: np.ndarray,
    n_boot: int,
    seed: SeedLike,
    *,
    unit_levels: tuple[tuple[np.ndarray, int], ...] | None = None,
    block_rows: int = 8192,
) -> np.ndarray:
    """:func:`bootstrap_sums` from sums aggregated once per sampling unit (dense ``units x columns``).

    The scale path (:mod:`toolkit.engine`): the data are reduced once to each unit's sums (a cluster's
    confusion counts), then every resample is ``w @ unit_sums``, computed in blocks of ``block_rows`` units,
    so memory is the sums plus one block. The draws are :func:`bootstrap_sums`'s, chunk for chunk
    (multinomial cluster multiplicities drawn as counts of ``n`` uniform indices, ``method="index"``), so for
    integer sums the result equals, to the bit, ``bootstrap_sums`` on the items with the same ``clusters=``
    and ``seed`` (sums of integers below 2^53 are exact in any order).

    Parameters
    ----------
    unit_sums : ndarray
        ``(n_units, columns)``: row ``u`` holds the sums of unit ``u``; any numeric dtype (converted to
        float64 block by block).
    n_boot : int
        Resamples.
    seed : int or numpy.random.Generator or None
        As in :func:`bootstrap_sums`.
    unit_levels : tuple, optional
        ``None`` (default): each row is a cluster of a one-level design, rows in the order of the cluster
        codes of :func:`cluster_codes` (first appearance among the items). Two crossed levels: a tuple of
        ``(level code of each unit, number of level units)`` per level, the units being the occupied
        ``(a, b)`` cells sorted by ``a * n_b + b``, as :func:`bootstrap_sums` forms them.
    block_rows : int
        Units per matrix product.

    Returns
    -------
    ndarray
        ``(n_boot, columns)`` float64.

    Examples
    --------
    Items of three clusters; per-cluster sums give the item bootstrap's numbers to the bit:

    >>> import numpy as np
    >>> from scipy import sparse
    >>> incidence = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 0.0]])
    >>> clusters = ["a", "a", "b", "c"]
    >>> per_cluster = np.array([[1.0, 1.0], [1.0, 1.0], [2.0, 0.0]])
    >>> a = bootstrap_sums(sparse.csr_matrix(incidence), 5, seed=3, clusters=clusters)
    >>> bool((unit_bootstrap_sums(per_cluster, 5, seed=3) == a).all())
    True
    """
    unit_sums = np.asarray(unit_sums)
    if unit_sums.ndim != 2:
        raise ValueError(f"unit_sums must be 2-D (units x columns), got shape {unit_sums.shape}")
    n_units, n_cols = unit_sums.shape
    if unit_levels is None:
        levels: tuple[tuple[np.ndarray, int], ...] = ((np.arange(n_units), n_units),)
    else:
        levels = tuple((np.asarray(codes), int(n)) for codes, n in unit_levels)
        if len(levels) not in (1, 2) or any(c.shape != (n_units,) for c, _ in levels):
            raise ValueError("unit_levels must give one or two levels with a code per unit")
    # The chunking of bootstrap_sums: the same draws in the same order.
    widest = max(n_cols, n_units, *(n for _, n in levels), 1)
    chunk = max(1, min(n_boot, _BLOCK_CELLS // widest))
    rngs = _level_rngs(rng_from(seed), len(levels))
    out = np.zeros((n_boot, n_cols), dtype=np.float64)
    # float32 sums of non-negative integers are exact while every partial sum stays below 2^24: then one
    # single-precision product (half the memory traffic, no conversion) gives the same integers.
    col_max = float(unit_sums.sum(axis=0, dtype=np.float64).max(initial=0.0)) if unit_sums.dtype == np.float32 else None
    for start in range(0, n_boot, chunk):
        stop = min(n_boot, start + chunk)
        if unit_levels is None:
            w = cluster_weights(rngs[0], stop - start, n_units).astype(np.float64)
        else:
            w = np.ones((stop - start, n_units), dtype=np.float64)
            for g, (codes, n) in zip(rngs, levels, strict=True):
                w *= cluster_weights(g, stop - start, n)[:, codes]
        if col_max is not None and unit_sums.min(initial=0.0) >= 0 and col_max * float(w.max(initial=0.0)) < 2**24:
            out[start:stop] = w.astype(np.float32) @ unit_sums
            continue
        for lo in range(0, n_units, block_rows):
            hi = min(n_units, lo + block_rows)
            out[start:stop] += w[:, lo:hi] @ unit_sums[lo:hi].astype(np.float64)
    return out


def ratio_bootstrap(sums: np.ndarray, sizes: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Cluster-bootstrap resamples of a ratio of sums (a mean or a share): ``(w @ sums) / (w @ sizes)``.

    Parameters
    ----------
    sums : ndarray
        ``(n_clusters,)`` or ``(n_clusters, k)`` per-cluster sums of the numerator (e.g. label counts).
    sizes : ndarray
        ``(n_clusters,)`` per-cluster denominators (e.g. rows per cluster).
    n_boot : int
        Resamples.
    rng : numpy.random.Generator
        Drawn from with ``method="multinomial"`` (the stage tables' scheme).

    Returns
    -------
    ndarray
        ``(n_boot,)`` or ``(n_boot, k)``.

    Examples
    --------
    >>> import numpy as np
    >>> boot = ratio_bootstrap(np.array([1.0, 0.0, 2.0]), np.array([1.0, 1.0, 2.0]), 200, np.random.default_rng(1))
    >>> boot.shape, bool(((boot >= 0) & (boot <= 1)).all())
    ((200,), True)
    """
    n_clusters = len(sizes)
    w = cluster_weights(rng, n_boot, n_clusters, method="multinomial").astype(float)
    num = w @ sums
    den = w @ sizes
    return num / den[:, None] if num.ndim == 2 else num / den


def percentile_interval(samples: np.ndarray, ci: float = 0.95, *, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Equal-tailed percentile interval of bootstrap ``samples`` along ``axis``.

    Resamples where the statistic is undefined (NaN) are left out; an interval over no defined resample is
    NaN. Without NaN the bounds are exactly :func:`numpy.quantile`'s (linear interpolation).

    Examples
    --------
    >>> import numpy as np
    >>> lo, hi = percentile_interval(np.arange(101.0), 0.9)
    >>> round(float(lo), 9), round(float(hi), 9)
    (5.0, 95.0)
    >>> lo, hi = percentile_interval(np.array([[0.0, np.nan], [1.0, np.nan], [np.nan, np.nan]]), 0.5)
    >>> lo.tolist(), hi.tolist()  # NaN resamples left out; a column without a defined one is NaN
    ([0.25, nan], [0.75, nan])
    """
    alpha = (1.0 - ci) / 2.0
    samples = np.asarray(samples, dtype=float)
    if not np.isnan(samples).any():
        lo, hi = np.quantile(samples, [alpha, 1.0 - alpha], axis=axis)
        return lo, hi
    with np.errstate(all="ignore"), quiet_nan_warnings():
        lo = np.nanquantile(samples, alpha, axis=axis)
        hi = np.nanquantile(samples, 1.0 - alpha, axis=axis)
    return lo, hi


def wilson_interval(successes: int | np.ndarray, n: int | np.ndarray, ci: float = 0.95) -> tuple:
    """Wilson score interval of a binomial share (Wilson 1927); NaN where ``n == 0``.

    Better behaved than the normal (Wald) interval near 0 and 1 and for small ``n``.

    Examples
    --------
    Newcombe (1998, Table I, method 3) gives 0.0215 to 0.1118 for 5 of 100:

    >>> lo, hi = wilson_interval(5, 100)
    >>> round(lo, 4), round(hi, 4)
    (0.0215, 0.1118)
    """
    k = np.asarray(successes, dtype=float)
    m = np.asarray(n, dtype=float)
    z = NormalDist().inv_cdf(0.5 + ci / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / m
        den = 1 + z**2 / m
        centre = (p + z**2 / (2 * m)) / den
        half = z * np.sqrt(p * (1 - p) / m + z**2 / (4 * m**2)) / den
        low, high = np.where(m > 0, centre - half, np.nan), np.where(m > 0, centre + half, np.nan)
    low, high = np.clip(low, 0, 1), np.clip(high, 0, 1)
    if np.ndim(low) == 0:
        return float(low), float(high)
    return low, high


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n with ties given their average rank (as :func:`scipy.stats.rankdata`'s default)."""
    order = np.argsort(values, kind="mergesort")
    sorted_vals = values[order]
    starts = np.concatenate([[True], sorted_vals[1:] != sorted_vals[:-1]])
    group = np.cumsum(starts) - 1
    first = np.flatnonzero(starts)
    last = np.concatenate([first[1:], [len(values)]]) - 1
    avg = (first + last) / 2.0 + 1.0
    ranks = np.empty(len(values), dtype=float)
    ranks[order] = avg[group]
    return ranks


def spearman_permutation_p(x: Sequence[float], y: Sequence[float], *, n_perm: int = 100_000, seed: int = 0) -> float:
    """Two-sided permutation p-value of Spearman's rho: the share of permutations of ``y`` whose |rho| is at
    least the observed |rho|.

    Exact (all ``n!`` permutations) for ``n <= 8``, else Monte Carlo with ``n_perm`` permutations (the observed
    ordering counted, so p > 0). With few units the usual t approximation (scipy, pingouin) is poor: for n = 5
    and rho = 1 it gives p ~ 1e-24, while the exact p is 2/120 = 0.0167; for rho = 0.9 (the paper's Fig. 7) the
    t approximation gives 0.037 and the exact test 10/120 = 0.083.

    Examples
    --------
    >>> round(spearman_permutation_p([1, 2, 3, 4, 5], [1, 2, 3, 4, 5]), 4)  # exact: 2 / 5! = 2 / 120
    0.0167
    >>> round(spearman_permutation_p([1, 2, 3, 4, 5], [2, 1, 3, 4, 5]), 4)  # rho = 0.9: 10 / 120
    0.0833
    """
    rx = _average_ranks(np.asarray(x, dtype=float))
    ry = _average_ranks(np.asarray(y, dtype=float))
    n = len(rx)
    if n != len(ry) or n < 3:
        raise ValueError(f"need two sequences of equal length >= 3, got {len(rx)} and {len(ry)}")
    rx, ry = rx - rx.mean(), ry - ry.mean()
    den = np.sqrt((rx**2).sum() * (ry**2).sum())
    if den == 0:
        return float("nan")
    observed = abs(float(rx @ ry) / den) - 1e-12
    if n <= 8:
        perms = np.array(list(itertools.permutations(range(n))))
        rho = np.abs(ry[perms] @ rx) / den
        return float((rho >= observed).mean())
    rng = np.random.default_rng(seed)
    perms = np.argsort(rng.random((n_perm, n)), axis=1)
    rho = np.abs(ry[perms] @ rx) / den
    return float(((rho >= observed).sum() + 1) / (n_perm + 1))


@contextlib.contextmanager
def quiet_nan_warnings() -> Iterator[None]:
    """Silence numpy's "All-NaN slice" / "Mean of empty slice" warnings: NaN *is* the documented result.

    Examples
    --------
    >>> import numpy as np
    >>> with quiet_nan_warnings():
    ...     float(np.nanmean(np.array([np.nan])))
    nan
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield
