"""The long-format judgment table: its column contract, label encoding and the coded arrays built from it.

Every statistic of :mod:`toolkit.agreement` and :mod:`toolkit.metrics` that takes judgments reads them
through this module, so the contract is checked in one place.

Contract
--------
* One row per judgment, with an ``item`` column (or several: a composite key such as the stage-2
  ``["prompt_id", "attribute_id"]``), a ``rater`` column and a ``label`` column.
* A missing judgment is an *absent row*: NaN labels raise, as do missing item or rater ids and a rater
  labelling the same item twice.
* ``categories`` declares the full, ordered category set; by default it is the sorted set of labels
  observed.

:func:`from_long` reduces such a frame to integer codes (:class:`CodedLong`), the input of every vectorised
statistic; :func:`coded_matrix` gives the ``items x raters`` code matrix from either a long frame or a wide
array; :func:`reference_frame` reads a per-item reference (a majority vote, a mean rating) for the same key.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"item": [2, 1, 1, 2], "rater": ["b", "a", "b", "a"], "label": ["y", "n", "y", "y"]})
>>> coded = from_long(frame, item="item", rater="rater", label="label")
>>> coded.n_items, coded.raters.tolist(), coded.categories.tolist()
(2, ['a', 'b'], ['n', 'y'])
>>> coded.to_wide()  # items x raters category codes, -1 = missing
array([[0, 1],
       [1, 1]])
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = [
    "ItemKey",
    "CodedLong",
    "REFERENCE_COLUMN",
    "preview",
    "item_columns",
    "check_categories",
    "encode_labels",
    "numeric_values",
    "from_long",
    "coded_matrix",
    "reference_frame",
    "ClusterKey",
    "item_cluster_ids",
]

#: One item column, or several forming a composite key.
ItemKey = str | Sequence[str]
#: Name of the reference column in the frame returned by :func:`reference_frame`.
REFERENCE_COLUMN = "__reference__"
#: The sampling-unit column of a long frame (one resampling level), or two columns (two crossed levels).
ClusterKey = str | Sequence[str]


def preview(values: Sequence[object] | np.ndarray, limit: int = 5) -> str:
    """Short ``repr`` of the first ``limit`` values and their total count, for error messages.

    Examples
    --------
    >>> preview(["a", "b", "c"], limit=2)
    "['a', 'b', ...] (3 in total)"
    """
    vals = list(values)
    head = ", ".join(repr(v) for v in vals[:limit])
    return f"[{head}{', ...' if len(vals) > limit else ''}] ({len(vals)} in total)"


def item_columns(item: ItemKey) -> list[str]:
    """The item key as a list of column names; ValueError when it names none.

    Examples
    --------
    >>> item_columns("item_id")
    ['item_id']
    >>> item_columns(("prompt_id", "attribute_id"))
    ['prompt_id', 'attribute_id']
    """
    cols = [item] if isinstance(item, str) else list(item)
    if not cols:
        raise ValueError("item must name at least one column")
    return cols


def check_categories(categories: Sequence[Hashable]) -> np.ndarray:
    """Validate a declared category set: at least two, distinct, none missing.

    Returns
    -------
    ndarray
        The categories in the declared order; numeric dtype when they are all numbers, else object.

    Examples
    --------
    >>> check_categories([1, 2, 3])
    array([1, 2, 3])
    >>> check_categories(["no", "yes"])
    array(['no', 'yes'], dtype=object)
    >>> check_categories(["yes"])
    Traceback (most recent call last):
    ...
    ValueError: categories must declare at least two categories, got ['yes']: agreement on a single category is undefined
    """
    cats = list(categories)
    if len(cats) < 2:
        raise ValueError(
            f"categories must declare at least two categories, got {cats!r}: agreement on a single "
            "category is undefined"
        )
    if any(pd.isna(c) for c in cats):
        raise ValueError("categories must not contain missing values (NaN/None)")
    if len(set(cats)) != len(cats):
        raise ValueError(f"categories contain duplicates: {cats!r}")
    out = np.empty(len(cats), dtype=object)
    out[:] = cats
    try:  # keep a numeric dtype when the declared categories are numeric
        num = np.asarray(cats)
        if num.dtype.kind in "biuf":
            return num
    except (TypeError, ValueError):
        pass
    return out


def _unique_inverse(vals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(vals, return_inverse=True)``, in O(n) for integer-valued labels in a compact range
    (rating scales, 0/1), which avoids sorting a million values."""
    if vals.size:
        lo, hi = float(vals.min()), float(vals.max())
        if hi - lo <= 1_000_000 and np.array_equal(vals, np.floor(vals)):
            offset = (vals - lo).astype(np.int64)
            seen = np.bincount(offset, minlength=int(hi - lo) + 1) > 0
            lookup = np.cumsum(seen) - 1
            return np.flatnonzero(seen) + lo, lookup[offset]
    return np.unique(vals, return_inverse=True)


def encode_labels(
    values: npt.ArrayLike, categories: Sequence[Hashable] | None, what: str
) -> tuple[np.ndarray, np.ndarray]:
    """Map labels to integer codes ``0..k-1`` (``-1`` = missing) and return ``(codes, categories)``.

    Numeric input stays on a fast float path; anything else goes through :func:`pandas.factorize`.
    Without declared categories, the categories are the sorted distinct labels observed.

    Parameters
    ----------
    values : array-like
        Labels of any shape; NaN/None are missing.
    categories : sequence, optional
        Declared category set (validated by :func:`check_categories`); labels outside it raise.
    what : str
        How to name ``values`` in error messages.

    Returns
    -------
    (ndarray, ndarray)
        ``int64`` codes of the shape of ``values``, and the categories.

    Examples
    --------
    >>> import numpy as np
    >>> codes, cats = encode_labels(np.array([3, 1, np.nan, 3]), None, "labels")
    >>> codes.tolist(), cats.tolist()
    ([1, 0, -1, 1], [1.0, 3.0])
    >>> encode_labels(["b", "a"], ["a", "b", "c"], "labels")[0]
    array([1, 0])
    """
    arr = np.asarray(values)
    shape = arr.shape
    flat = arr.ravel()
    codes = np.full(flat.shape[0], -1, dtype=np.int64)
    numeric = flat.dtype.kind in "biuf"
    if numeric:
        fl = np.asarray(flat, dtype=np.float64)
        missing = np.isnan(fl)
    else:
        missing = np.asarray(pd.isna(flat), dtype=bool)
    present = ~missing
    if categories is None:
        if numeric:
            cats, inv = _unique_inverse(fl[present])
            if flat.dtype.kind in "biu":
                cats = cats.astype(flat.dtype)
        else:
            try:
                inv, cats = pd.factorize(flat[present], sort=True)
            except TypeError as exc:
                raise ValueError(
                    f"{what} mix labels that cannot be ordered ({exc}); pass categories=[...] to declare "
                    "the category set and its order"
                ) from exc
            cats = np.asarray(cats, dtype=object)
        codes[present] = inv
        if len(cats) < 2:
            raise ValueError(
                f"{what} use a single category {list(cats)!r} (or none); declare the full category set "
                "with categories=[...] (chance-corrected agreement is then NaN: no chance disagreement)"
            )
        return codes.reshape(shape), cats
    cats = check_categories(categories)
    if numeric and cats.dtype.kind in "biuf":
        cfl = cats.astype(np.float64)
        sorter = np.argsort(cfl, kind="stable")
        vals = fl[present]
        pos = np.clip(np.searchsorted(cfl[sorter], vals), 0, len(cats) - 1)
        found = cfl[sorter][pos] == vals
        inv = sorter[pos]
    else:
        inv = pd.Index(cats).get_indexer(pd.Index(flat[present]))
        found = inv >= 0
    if not np.all(found):
        unknown = pd.unique(np.asarray(flat[present])[~found])
        raise ValueError(f"{what} contain labels outside the declared categories: {preview(unknown)}")
    codes[present] = inv
    return codes.reshape(shape), cats


def numeric_values(cats: np.ndarray, why: str) -> np.ndarray:
    """Numeric value of each category (bool -> 0/1); ValueError when the labels are not finite numbers.

    Examples
    --------
    >>> numeric_values(np.array([False, True]), "pearson")
    array([0., 1.])
    >>> numeric_values(np.array(["low", "high"], dtype=object), "level='interval'")
    Traceback (most recent call last):
    ...
    ValueError: level='interval' needs numeric labels, got categories ['low', 'high'] (2 in total)
    """
    try:
        out = np.asarray(cats, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{why} needs numeric labels, got categories {preview(cats)}") from exc
    if not np.all(np.isfinite(out)):
        raise ValueError(f"{why} needs finite numeric labels, got {preview(cats)}")
    return out


@attrs.frozen
class CodedLong:
    """A long frame reduced to integer codes, rows sorted by item, then rater (built by :func:`from_long`).

    Attributes
    ----------
    item, rater, label : ndarray
        Per judgment: item code ``0..n_items-1``, rater code ``0..n_raters-1``, category code ``0..k-1``.
    items : DataFrame
        The item key column(s), one row per item code (items sorted by their key).
    raters : ndarray
        Rater ids in code order.
    categories : ndarray
        Categories in code order.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> coded = CodedLong(np.array([0, 0]), np.array([0, 1]), np.array([1, 0]), pd.DataFrame({"item": ["x"]}),
    ...                   np.array(["a", "b"], dtype=object), np.array([0, 1]))
    >>> coded.n_items, coded.n_raters, coded.to_wide().tolist()
    (1, 2, [[1, 0]])
    """

    item: np.ndarray
    rater: np.ndarray
    label: np.ndarray
    items: pd.DataFrame
    raters: np.ndarray
    categories: np.ndarray

    @property
    def n_items(self) -> int:
        """Number of distinct items."""
        return len(self.items)

    @property
    def n_raters(self) -> int:
        """Number of raters."""
        return len(self.raters)

    def to_wide(self) -> np.ndarray:
        """``items x raters`` category-code matrix, ``-1`` where a rater did not label an item."""
        out = np.full((self.n_items, self.n_raters), -1, dtype=np.int64)
        out[self.item, self.rater] = self.label
        return out


def _factorize_sorted(values: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    try:
        return pd.factorize(values, sort=True)
    except TypeError:  # mixed, unorderable ids: keep first-appearance order
        return pd.factorize(values, sort=False)


def from_long(
    frame: pd.DataFrame,
    *,
    item: ItemKey,
    rater: str,
    label: str,
    categories: Sequence[Hashable] | None = None,
    raters: Sequence[Hashable] | None = None,
) -> CodedLong:
    """Check a long frame against the contract and reduce it to integer codes.

    Parameters
    ----------
    frame : DataFrame
        One row per judgment.
    item : str or list of str
        Item column(s); a list is a composite key.
    rater, label : str
        Rater id and label columns.
    categories : sequence, optional
        Declared category set and order (default: the sorted labels observed).
    raters : sequence, optional
        Subset and order of raters (default: all, sorted); other raters' rows are dropped.

    Returns
    -------
    CodedLong
        Rows sorted by item (items sorted by their key columns), then rater.

    Raises
    ------
    ValueError
        Not a DataFrame, absent or coinciding columns, missing item/rater ids or labels, unknown
        ``raters``, no rows, labels outside ``categories``, a single category, duplicated
        ``(item, rater)`` judgments.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"prompt": ["p1", "p1", "p2"], "attr": ["a", "b", "a"],
    ...                       "rater": ["h1", "h1", "h2"], "label": [1, 0, 1]})
    >>> coded = from_long(frame, item=["prompt", "attr"], rater="rater", label="label")
    >>> coded.items
      prompt attr
    0     p1    a
    1     p1    b
    2     p2    a
    >>> coded.item.tolist(), coded.rater.tolist(), coded.label.tolist()
    ([0, 1, 2], [0, 0, 1], [1, 0, 1])
    """
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"expected a long-format pandas DataFrame, got {type(frame).__name__}")
    item_cols = item_columns(item)
    needed = [*item_cols, rater, label]
    absent = [c for c in needed if c not in frame.columns]
    if absent:
        raise ValueError(f"frame has no column(s) {absent}; columns are {list(frame.columns)}")
    if len(set(needed)) != len(needed):
        raise ValueError(f"item, rater and label columns must be distinct, got {needed}")
    for col in [*item_cols, rater]:
        if frame[col].isna().any():
            raise ValueError(f"column {col!r} has {int(frame[col].isna().sum())} missing values")
    if raters is not None:
        wanted = list(raters)
        if len(set(wanted)) != len(wanted):
            raise ValueError(f"raters contain duplicates: {wanted!r}")
        present = set(pd.unique(frame[rater]))
        unknown = [r for r in wanted if r not in present]
        if unknown:
            raise ValueError(f"raters not found in column {rater!r}: {unknown!r}")
        frame = frame[frame[rater].isin(wanted)]
    if len(frame) == 0:
        raise ValueError("frame has no rows")
    lab = frame[label]
    if lab.isna().any():
        raise ValueError(
            f"label column {label!r} has {int(lab.isna().sum())} missing values; in long format a missing "
            f"judgment is an absent row: drop them first (frame.dropna(subset=[{label!r}]))"
        )
    label_codes, cats = encode_labels(lab.to_numpy(), categories, f"labels in column {label!r}")

    # Composite item key -> one integer code, items sorted lexicographically by their key columns.
    combined = np.zeros(len(frame), dtype=np.int64)
    uniques: list[np.ndarray] = []
    for col in item_cols:
        codes, uniq = _factorize_sorted(frame[col].to_numpy())
        combined = combined * len(uniq) + codes
        uniques.append(np.asarray(uniq, dtype=object))
    keys, item_codes = np.unique(combined, return_inverse=True)
    parts = {}
    rest = keys.copy()
    for col, uniq in zip(reversed(item_cols), reversed(uniques), strict=True):
        parts[col] = uniq[rest % len(uniq)]
        rest //= len(uniq)
    items = pd.DataFrame({col: parts[col] for col in item_cols})
    for col in item_cols:  # restore the original dtypes of the key columns
        try:
            items[col] = items[col].astype(frame[col].dtype)
        except (TypeError, ValueError):
            pass

    if raters is not None:
        rater_ids = np.empty(len(raters), dtype=object)
        rater_ids[:] = list(raters)
        rater_codes = pd.Index(rater_ids).get_indexer(frame[rater].to_numpy())
    else:
        rater_codes, uniq_r = _factorize_sorted(frame[rater].to_numpy())
        rater_ids = np.asarray(uniq_r, dtype=object)

    order = np.lexsort((rater_codes, item_codes))
    item_codes, rater_codes, label_codes = item_codes[order], rater_codes[order], label_codes[order]
    dup = (np.diff(item_codes) == 0) & (np.diff(rater_codes) == 0)
    if dup.any():
        where = np.flatnonzero(dup)[:5]
        examples = [(tuple(items.iloc[item_codes[i]]), rater_ids[rater_codes[i]]) for i in where]
        raise ValueError(
            f"{int(dup.sum())} duplicated (item, rater) judgments, e.g. {examples}; each rater may label an "
            "item once"
        )
    return CodedLong(
        item_codes.astype(np.int64), rater_codes.astype(np.int64), label_codes, items, rater_ids, cats
    )


def coded_matrix(
    ratings: npt.ArrayLike | pd.DataFrame,
    *,
    categories: Sequence[Hashable] | None = None,
    item: ItemKey | None = None,
    rater: str | None = None,
    label: str | None = None,
    what: str = "ratings",
) -> tuple[np.ndarray, np.ndarray]:
    """``items x raters`` code matrix (``-1`` = missing) and the categories, from either input form.

    Parameters
    ----------
    ratings : array-like or DataFrame
        An ``items x raters`` label matrix (NaN/None = missing), or a long frame when ``item``, ``rater``
        and ``label`` are all given.
    categories : sequence, optional
        Declared category set.
    item, rater, label : optional
        Columns of a long frame (all three, or none).
    what : str
        How to name ``ratings`` in error messages.

    Examples
    --------
    >>> import numpy as np
    >>> codes, cats = coded_matrix(np.array([[1, 2], [2, np.nan]]))
    >>> codes.tolist(), cats.tolist()
    ([[0, 1], [1, -1]], [1.0, 2.0])
    """
    long_keys = [item is not None, rater is not None, label is not None]
    if any(long_keys):
        if not all(long_keys):
            raise ValueError("long-format input needs all of item=, rater= and label=")
        assert item is not None and rater is not None and label is not None
        coded = from_long(ratings, item=item, rater=rater, label=label, categories=categories)  # type: ignore[arg-type]
        return coded.to_wide(), coded.categories
    arr = ratings.to_numpy() if isinstance(ratings, pd.DataFrame) else np.asarray(ratings)
    if arr.ndim != 2:
        raise ValueError(f"{what} must be a 2-D array, got shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{what} is empty (shape {arr.shape})")
    codes, cats = encode_labels(arr, categories, what)
    return codes, cats


def reference_frame(
    reference: pd.DataFrame | pd.Series, item_cols: list[str], reference_label: str
) -> pd.DataFrame:
    """A per-item reference as a frame ``item_cols + [REFERENCE_COLUMN]``, one row per item, NA rows dropped.

    Parameters
    ----------
    reference : DataFrame or Series
        A frame with the item column(s) and ``reference_label`` (e.g. the output of
        :func:`toolkit.agreement.majority_vote` or :func:`toolkit.metrics.item_means`), or a Series
        indexed by the item key.
    item_cols : list of str
        The item key columns (see :func:`item_columns`).
    reference_label : str
        Reference column of a frame ``reference``.

    Raises
    ------
    ValueError
        Absent columns or index levels, duplicated items, a ``reference`` that is neither frame nor Series.

    Examples
    --------
    >>> import pandas as pd
    >>> mv = pd.DataFrame({"item": [1, 2, 3], "label": [True, None, False]})
    >>> reference_frame(mv, ["item"], "label")
       item __reference__
    0     1          True
    2     3         False
    """
    if isinstance(reference, pd.Series):
        ref = reference.rename(REFERENCE_COLUMN).reset_index()
        missing = [c for c in item_cols if c not in ref.columns]
        if missing:
            raise ValueError(
                f"reference Series must be indexed by the item column(s) {item_cols}, its index is "
                f"{list(reference.index.names)}"
            )
    elif isinstance(reference, pd.DataFrame):
        missing = [c for c in [*item_cols, reference_label] if c not in reference.columns]
        if missing:
            raise ValueError(f"reference has no column(s) {missing}; columns are {list(reference.columns)}")
        ref = reference[[*item_cols, reference_label]].rename(columns={reference_label: REFERENCE_COLUMN})
    else:
        raise ValueError(f"reference must be a DataFrame or Series, got {type(reference).__name__}")
    dup = ref.duplicated(subset=item_cols)
    if dup.any():
        raise ValueError(
            f"reference has {int(dup.sum())} duplicated items, e.g. {ref[dup].head(3).to_dict('records')}"
        )
    return ref[ref[REFERENCE_COLUMN].notna()]


def item_cluster_ids(
    frame: pd.DataFrame, items: pd.DataFrame, *, item: ItemKey, clusters: ClusterKey
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Cluster id(s) of every item of ``items``, read from the column(s) ``clusters`` of the long ``frame``.

    The design argument of :func:`toolkit.resampling.bootstrap_sums`: one array for one column (one
    resampling level), a tuple of two arrays for two columns (two crossed levels, e.g.
    ``("user_id", "prompt_id")``), aligned with the rows of ``items`` (e.g. ``CodedLong.items``). Each item
    must have one cluster id per column; an item whose id varies across its rows is an error naming it.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"item": [1, 1, 2, 3], "rater": ["a", "b", "a", "a"], "user": ["u", "u", "v", "u"],
    ...                       "prompt": ["p", "p", "p", "q"]})
    >>> item_cluster_ids(frame, pd.DataFrame({"item": [1, 2, 3]}), item="item", clusters="user").tolist()
    ['u', 'v', 'u']
    >>> [ids.tolist() for ids in item_cluster_ids(frame, pd.DataFrame({"item": [3, 1]}), item="item",
    ...                                           clusters=["user", "prompt"])]
    [['u', 'u'], ['q', 'p']]
    >>> item_cluster_ids(frame.assign(user=["u", "w", "v", "u"]), pd.DataFrame({"item": [1]}), item="item",
    ...                  clusters="user")
    Traceback (most recent call last):
    ...
    ValueError: item (1,) has more than one cluster id in column(s) ['user']: ('u',), ('w',); 1 item(s) vary; an item must belong to one cluster
    """
    item_cols = item_columns(item)
    cols = [clusters] if isinstance(clusters, str) else list(clusters)
    if len(cols) not in (1, 2) or not all(isinstance(c, str) for c in cols) or len(set(cols)) != len(cols):
        raise ValueError(f"clusters must name one column or two distinct columns, got {clusters!r}")
    absent = [c for c in cols if c not in frame.columns]
    if absent:
        raise ValueError(f"frame has no cluster column(s) {absent}; columns are {list(frame.columns)}")
    for col in cols:
        if frame[col].isna().any():
            raise ValueError(f"cluster column {col!r} has {int(frame[col].isna().sum())} missing values")
    keys = item_cols + [c for c in cols if c not in item_cols]
    per_item = frame[keys].drop_duplicates()
    varying = per_item.duplicated(item_cols, keep=False)
    if varying.any():
        bad = per_item[varying]
        first = tuple(bad[item_cols].iloc[0])
        ids = bad[(bad[item_cols] == pd.Series(first, index=item_cols)).all(axis=1)][cols]
        raise ValueError(
            f"item {first} has more than one cluster id in column(s) {cols}: "
            + ", ".join(str(tuple(r)) for r in ids.itertuples(index=False))
            + f"; {int(bad[item_cols].drop_duplicates().shape[0])} item(s) vary; an item must belong to one cluster"
        )
    merged = items[item_cols].merge(per_item, on=item_cols, how="left", validate="one_to_one")
    if len(merged) != len(items) or merged[cols].isna().any().any():
        raise ValueError("some items have no row in frame to read their cluster id from")
    out = tuple(merged[c].to_numpy() for c in cols)
    return out[0] if len(out) == 1 else out
