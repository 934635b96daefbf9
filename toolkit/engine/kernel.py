"""The engines' shared kernel: coded judgments in, per-unit sufficient statistics out (numpy only).

Both engines (DuckDB, :mod:`toolkit.engine.duck`; Dask, :mod:`toolkit.engine.dask_engine`) reduce the
Parquet judgments to integer codes with the same dictionaries and feed them to :class:`Accumulator` in
batches that hold whole sampling units (clusters). Per unit it counts every rater pair's ``k x k``
confusion cells (the within-item rater pairs, as :func:`toolkit.agreement.pairwise_agreement` forms them);
over all items it counts the distinct per-item category-count *profiles* (the sufficient statistic of
Fleiss' kappa, AC1, percent agreement and Krippendorff's alpha). All counts are integers, so the order in
which batches or partitions arrive never changes a number.
"""

from __future__ import annotations

import attrs
import numpy as np

__all__ = ["Codes", "UnitStats", "Accumulator", "UngroupedStream", "unit_runs"]

#: Largest count a float32 cell holds exactly; units are checked against it.
_FLOAT32_EXACT = 2**24


class UngroupedStream(Exception):
    """A unit came back after its batch: the stream is not grouped by unit (the engine then sorts it)."""


@attrs.frozen
class Codes:
    """One batch of coded judgments (equal-length int arrays).

    Attributes
    ----------
    unit : ndarray
        Sampling-unit code (the cluster, or the crossed cell), ``0..n_units-1``.
    item : ndarray
        An int64 key of the item whose order is the items' sort order.
    rater : ndarray
        Rater code ``0..R-1`` (raters sorted by id).
    label : ndarray
        Category code ``0..k-1``.

    Examples
    --------
    >>> import numpy as np
    >>> Codes(np.array([0, 0]), np.array([5, 5]), np.array([0, 1]), np.array([1, 1])).n_rows
    2
    """

    unit: np.ndarray
    item: np.ndarray
    rater: np.ndarray
    label: np.ndarray

    @property
    def n_rows(self) -> int:
        """Judgments in the batch."""
        return len(self.unit)


@attrs.frozen
class UnitStats:
    """The reduced study: per-unit pair-cell counts and the item count profiles.

    Attributes
    ----------
    cells : ndarray
        ``(n_units, P * k * k)`` float32 counts; column ``pair * k * k + a * k + b`` (pairs in
        :func:`numpy.triu_indices` order of the rater codes).
    first_item : ndarray
        Per unit, its smallest item key (int64; ``INT64_MAX`` for a unit without judgments).
    first_reference_item : ndarray or None
        Per unit, its smallest item key rated by the reference rater and by another rater.
    profiles : ndarray
        ``(n_profiles, k)`` distinct per-item category counts (sorted), with ``multiplicity``.
    multiplicity : ndarray
        Items with each profile.
    n_raters, n_categories : int
    n_judgments : int

    Examples
    --------
    >>> acc = Accumulator(n_units=1, n_raters=2, n_categories=2)
    >>> acc.add(Codes(np.array([0, 0]), np.array([7, 7]), np.array([0, 1]), np.array([1, 0])))
    >>> stats = acc.result()
    >>> stats.cells.tolist(), stats.profiles.tolist(), stats.multiplicity.tolist()
    ([[0.0, 0.0, 1.0, 0.0]], [[1, 1]], [1])
    """

    cells: np.ndarray
    first_item: np.ndarray
    first_reference_item: np.ndarray | None
    profiles: np.ndarray
    multiplicity: np.ndarray
    n_raters: int
    n_categories: int
    n_judgments: int

    def pair_totals(self) -> np.ndarray:
        """``(P, k, k)`` confusion tables over all units (float64, exact)."""
        k = self.n_categories
        total = self.cells.sum(axis=0, dtype=np.float64)
        return total.reshape(-1, k, k)


def unit_runs(unit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start index and unit code of each run of equal consecutive ``unit`` codes.

    Examples
    --------
    >>> import numpy as np
    >>> [a.tolist() for a in unit_runs(np.array([3, 3, 1, 1, 1, 4]))]
    [[0, 2, 5], [3, 1, 4]]
    """
    if unit.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=unit.dtype)
    starts = np.flatnonzero(np.r_[True, unit[1:] != unit[:-1]])
    return starts, unit[starts]


class Accumulator:
    """Adds batches of whole units into :class:`UnitStats` (a unit may not come back in a later batch).

    Parameters
    ----------
    n_units, n_raters, n_categories : int
        Sizes of the dictionaries the codes index.
    reference : int, optional
        Rater code of a reference rater, to track each unit's first item rated by it and another rater
        (the units of :func:`toolkit.engine.judge_metrics`'s bootstrap).
    item_name : callable, optional
        Turns an item key into its id for error messages.
    """

    def __init__(
        self, n_units: int, n_raters: int, n_categories: int, reference: int | None = None, item_name=None
    ) -> None:
        if n_raters < 2:
            raise ValueError(f"need at least two raters, found {n_raters}")
        self.n_units, self.n_raters, self.k = n_units, n_raters, n_categories
        pa, pb = np.triu_indices(n_raters, k=1)
        self.pair_index = np.full((n_raters, n_raters), -1, dtype=np.int64)
        self.pair_index[pa, pb] = np.arange(len(pa))
        self.width = len(pa) * n_categories * n_categories
        k = n_categories
        ra, la, rb, lb = np.meshgrid(np.arange(n_raters), np.arange(k), np.arange(n_raters), np.arange(k), indexing="ij")
        cell = self.pair_index[ra, rb] * k * k + la * k + lb
        # cell_flat[(ra * k + la) * R * k + rb * k + lb] = pair(ra, rb) * k^2 + la * k + lb  (ra < rb)
        self.cell_flat = np.where(self.pair_index[ra, rb] >= 0, cell, -1).ravel()
        self.cells = np.zeros((n_units, self.width), dtype=np.float32)
        self.seen = np.zeros(n_units, dtype=bool)
        self.first_item = np.full(n_units, np.iinfo(np.int64).max, dtype=np.int64)
        self.reference = reference
        self.first_ref = None if reference is None else np.full(n_units, np.iinfo(np.int64).max, dtype=np.int64)
        self.profiles: dict[int, int] = {}
        self.n_judgments = 0
        self.item_name = item_name or (lambda key: key)

    def add(self, codes: Codes) -> None:
        """Count one batch; every unit in it must be complete (all its judgments in this batch).

        Raises
        ------
        ValueError
            An item in two units, or a rater judging an item twice.
        UngroupedStream
            A unit seen in an earlier batch (the stream is not grouped by unit).
        """
        if codes.n_rows == 0:
            return
        unit, item = np.asarray(codes.unit, dtype=np.int64), np.asarray(codes.item, dtype=np.int64)
        rater, label = np.asarray(codes.rater, dtype=np.int64), np.asarray(codes.label, dtype=np.int64)
        du, di = unit[1:] - unit[:-1], item[1:] - item[:-1]
        if not np.all((du > 0) | ((du == 0) & ((di > 0) | ((di == 0) & (rater[1:] > rater[:-1]))))):
            order = np.lexsort((rater, item, unit))  # a file written sorted skips this
            unit, item, rater, label = unit[order], item[order], rater[order], label[order]
            du, di = unit[1:] - unit[:-1], item[1:] - item[:-1]
        starts, units = unit_runs(unit)
        if self.seen[units].any():
            raise UngroupedStream("a unit came back in a later batch")
        self.seen[units] = True
        same_item = (di == 0) & (du == 0)
        dup = same_item & (rater[1:] == rater[:-1])
        if dup.any():
            i = int(np.flatnonzero(dup)[0])
            raise ValueError(
                f"{int(dup.sum())} duplicated (item, rater) judgments, e.g. item {self.item_name(item[i])!r}; "
                "each rater may label an item once"
            )
        item_start = np.flatnonzero(np.r_[True, ~same_item])
        # An item met in two runs of units belongs to two clusters (the items of a unit are sorted).
        keys = item[item_start]
        if not np.all(keys[1:] > keys[:-1]) and np.unique(keys).size != keys.size:
            ks = np.sort(keys)
            bad = ks[1:][ks[1:] == ks[:-1]][0]
            raise ValueError(f"item {self.item_name(bad)!r} has more than one cluster id; an item must belong to one cluster")
        counts = np.diff(np.r_[item_start, len(item)])
        n_local = len(units)
        local_of_item = np.repeat(np.arange(n_local), np.diff(np.r_[np.searchsorted(item_start, starts), len(item_start)]))
        # Items are sorted within a unit: a unit's first item is its smallest.
        self.first_item[units] = keys[np.searchsorted(item_start, starts)]
        # cell[ra * k + la, rb * k + lb] = pair(ra, rb) * k^2 + la * k + lb (rater ra < rb after the sort)
        k = self.k
        rk = self.n_raters * k
        small = rk * rk < 2**31 and n_local * self.width < 2**31
        itype = np.int32 if small else np.int64  # half the memory traffic on the hot path
        rl = (rater * k + label).astype(itype)
        pieces = []
        for m in np.unique(counts[counts >= 2]).tolist():  # items with m ratings: all their pairs at once
            sel = np.flatnonzero(counts == m)
            vals = rl[item_start[sel][:, None] + np.arange(m)[None, :]]
            p, q = np.triu_indices(m, k=1)
            pair_code = vals[:, p] * itype(rk)
            pair_code += vals[:, q]
            cols = self.cell_flat.astype(itype, copy=False)[pair_code]
            cols += (local_of_item[sel].astype(itype) * itype(self.width))[:, None]
            pieces.append(cols.ravel())
        if pieces:
            flat = np.concatenate(pieces)
            block = np.bincount(flat, minlength=n_local * self.width).reshape(n_local, self.width)
            if block.max(initial=0) >= _FLOAT32_EXACT:
                raise ValueError("a unit has more than 2^24 items in one pair cell; split the clusters")
            self.cells[units] = block
        item_of_row = np.repeat(np.arange(len(item_start)), counts)
        if self.first_ref is not None:
            has_ref = np.zeros(len(item_start), dtype=bool)
            has_ref[item_of_row[rater == self.reference]] = True
            ok = np.flatnonzero(has_ref & (counts >= 2))
            ok_units, first = np.unique(local_of_item[ok], return_index=True)
            self.first_ref[units[ok_units]] = keys[ok[first]]
        # Count profiles: per item, its label counts, coded in base (R + 1).
        per_item = np.bincount(item_of_row * k + label, minlength=len(item_start) * k)
        base = self.n_raters + 1
        code = per_item.reshape(-1, k) @ (base ** np.arange(k, dtype=np.int64))
        if base**k <= 1 << 20:
            tally = np.bincount(code, minlength=base**k)
            uniq = np.flatnonzero(tally)
            mult = tally[uniq]
        else:
            uniq, mult = np.unique(code, return_counts=True)
        for c, m in zip(uniq.tolist(), mult.tolist(), strict=True):
            self.profiles[c] = self.profiles.get(c, 0) + m
        self.n_judgments += codes.n_rows

    def result(self) -> UnitStats:
        """The accumulated statistics."""
        codes = np.array(sorted(self.profiles), dtype=np.int64)
        base = self.n_raters + 1
        profiles = (codes[:, None] // (base ** np.arange(self.k, dtype=np.int64))[None, :]) % base
        mult = np.array([self.profiles[c] for c in codes.tolist()], dtype=np.int64)
        return UnitStats(self.cells, self.first_item, self.first_ref, profiles, mult, self.n_raters, self.k,
                         self.n_judgments)

    def merge(self, other: UnitStats, units: np.ndarray) -> None:
        """Add a partition's statistics (computed by another :class:`Accumulator` over ``units``)."""
        if self.seen[units].any():
            raise UngroupedStream("a unit came back in a later batch")
        self.seen[units] = True
        self.cells[units] = other.cells
        self.first_item[units] = other.first_item
        if self.first_ref is not None and other.first_reference_item is not None:
            self.first_ref[units] = other.first_reference_item
        base = self.n_raters + 1
        codes = other.profiles @ (base ** np.arange(self.k, dtype=np.int64))
        for c, m in zip(codes.tolist(), other.multiplicity.tolist(), strict=True):
            self.profiles[c] = self.profiles.get(c, 0) + m
        self.n_judgments += other.n_judgments
