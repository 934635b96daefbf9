"""Who the raters are: each rater's kind and group, and the scales a dataset declares.

One place answers "which group is this rater in?" for every statistic, model and figure. A rater's *group*
(schema 1.1, ``Rater.group``) is what the analyses compare and the models pool by; absent, it is the rater's
kind, so a schema 1.0 dataset has exactly the paper's groups ``human`` and ``llm``. The declared scales come
from ``manifest.json`` (``rating_scale``, default 1..5; ``label_scale``, the grades of graded relevance).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from toolkit.dataset import Dataset
from toolkit.jsonl import DataError
from toolkit.layout import MANIFEST
from toolkit.vocabulary import HUMAN, LLM, RATING_SCALE, declared_scale

__all__ = ["rater_kinds", "rater_group_of", "rater_table", "rating_scale", "label_scale"]


def rater_table(ds: Dataset) -> pd.DataFrame:
    """``rater_id`` (index), ``kind`` and ``group`` (its kind when not given) of every rater in ``raters.jsonl``.

    Examples
    --------
    >>> import toolkit
    >>> rater_table(toolkit.load_dataset()).loc["human-1"].tolist()
    ['human', 'human']
    """
    ds.require("raters", purpose="rater kinds and groups")
    frame = ds.frame("raters")
    kind = frame["kind"].astype(str)
    # A 1.0 rater read as it is has no group; a 1.1 rater may leave it out: both mean "its kind".
    group = frame["group"].where(frame["group"].notna(), kind) if "group" in frame else kind
    return pd.DataFrame({"kind": kind.to_numpy(), "group": group.astype(str).to_numpy()},
                        index=pd.Index(frame["rater_id"], name="rater_id"))


def _lookup(ds: Dataset, column: str, rater_ids: Iterable[str] | None) -> pd.Series:
    if rater_ids is None:
        return rater_table(ds)[column]
    ids = pd.Index(pd.unique(pd.Series(list(rater_ids), dtype=object)), name="rater_id")
    if ds.has("raters"):
        known = rater_table(ds)[column]
        missing = [r for r in ids if r not in known.index]
        if missing:
            raise DataError(ds.path, 0, "raters",
                            f"{len(missing)} rater ids are not in raters.jsonl, e.g. {missing[0]!r}")
        return known.reindex(ids)
    # No raters.jsonl (e.g. a hand-made ratings-only dataset): humans by their id, the others LLM judges.
    guess = [HUMAN if str(r).lower().startswith(HUMAN) else LLM for r in ids]
    return pd.Series(guess, index=ids, name=column, dtype=object)


def rater_kinds(ds: Dataset, rater_ids: Iterable[str] | None = None) -> pd.Series:
    """The kind of every rater: a string Series indexed by ``rater_id``.

    Parameters
    ----------
    ds : Dataset
        The dataset.
    rater_ids : iterable of str, optional
        Only these raters (unique, in order of first appearance). When the dataset has no ``raters.jsonl``,
        ids starting with ``human`` are humans and every other id an LLM judge (the rule the rating model used);
        with ``raters.jsonl``, an id it does not list is an error.

    Returns
    -------
    Series
        ``rater_id -> kind``.

    Examples
    --------
    >>> import toolkit
    >>> rater_kinds(toolkit.load_dataset(), ["gpt-5.4", "human-2"]).to_dict()
    {'gpt-5.4': 'llm', 'human-2': 'human'}
    """
    return _lookup(ds, "kind", rater_ids)


def rater_group_of(ds: Dataset, rater_ids: Iterable[str] | None = None) -> pd.Series:
    """The group of every rater (``Rater.group``, else its kind): a string Series indexed by ``rater_id``.

    ``rater_ids`` as in :func:`rater_kinds` (without ``raters.jsonl`` a rater's group is its guessed kind).

    Examples
    --------
    >>> import toolkit
    >>> rater_group_of(toolkit.load_dataset(), ["human-1", "gpt-5.4"]).to_dict()
    {'human-1': 'human', 'gpt-5.4': 'llm'}
    """
    return _lookup(ds, "group", rater_ids)


def rating_scale(ds: Dataset) -> tuple[int, ...]:
    """The stage-3 rating categories: the manifest's ``rating_scale`` (e.g. 1..7), else 1..5.

    Agreement (weighted kappa, alpha), the views' range check and the figures use these categories, also the
    ones nobody used.

    Examples
    --------
    >>> import toolkit
    >>> rating_scale(toolkit.load_dataset())
    (1, 2, 3, 4, 5)
    """
    try:
        scale = declared_scale(ds.manifest, "rating_scale", RATING_SCALE)
    except ValueError as exc:
        raise DataError(ds.path / MANIFEST, 0, "rating_scale", str(exc).split(": ", 2)[-1]) from None
    assert scale is not None
    return scale


def label_scale(ds: Dataset) -> tuple[int, ...] | None:
    """The grades of graded relevance the manifest declares (``label_scale``, e.g. 0..2), else None.

    Examples
    --------
    >>> import toolkit
    >>> label_scale(toolkit.load_dataset()) is None
    True
    """
    try:
        return declared_scale(ds.manifest, "label_scale", None)
    except ValueError as exc:
        raise DataError(ds.path / MANIFEST, 0, "label_scale", str(exc).split(": ", 2)[-1]) from None
