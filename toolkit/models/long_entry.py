"""The models from a long table: one row per judgment (``item, rater, label, group``), no dataset folder needed.

A study that keeps its judgments in a pandas frame fits the models without writing a dataset first::

    from toolkit.models import fit
    from toolkit.models.long_entry import judge_data

    data = judge_data(frame, reference="expert")          # columns item, rater, label, group
    result = fit("judge", data, draws=1000, tune=1000)    # a ModelData is fitted as it is

Columns (:func:`long_frame`): ``item`` (the judged unit), ``rater``, ``label`` and ``group`` (the rater's group,
e.g. ``"expert"`` / ``"crowd"``, ``"human"`` / ``"llm"``). crowd-kit's ``task, worker, label`` are accepted
for ``item, rater, label``; without a ``group`` column, ``groups=`` maps rater -> group. Other names are passed
as ``item=``, ``rater=``, ``label=``, ``group=``.

The models, and what each needs:

* :func:`judge_data` - the judge model (binary labels; :mod:`toolkit.models.judge_data`). It compares two rater
  groups: the *reference* group (the paper's humans; its majority is what the summaries call the human
  majority) and one other (the paper's LLM judges); more groups are an error (see :func:`judge_data`).
  Optional ``prompt`` column: items of a prompt share a prompt effect (default: one prompt for all).
* :func:`rating_data` - the rating model (ratings 1..5; :mod:`toolkit.models.rating_data`). The reference group's
  raters are pooled as annotators (the paper's humans); every rater of another group is a judge of its own.
  Optional columns ``unit`` (the item a rated cell belongs to; default the cell itself), ``generator``
  (default one for all) and ``mention`` (bool; default False).
* :func:`extraction_data` - the extraction model (labels accepted / uncertain / rejected). Only the reference
  group's judgments enter (the paper's human annotators); needs a ``unit`` column (the user whose attribute
  the item is) and takes optional ``source`` (default one for all) and ``origin`` (``human`` or
  ``synthetic``; default ``human``).

Every check names the column and a bad row; nothing is dropped or coerced silently.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from toolkit.models.extraction import LABELS, prepare_judgments
from toolkit.models.interface import ModelData
from toolkit.models.judge_data import prepare_labels
from toolkit.models.rating_data import RatingData
from toolkit.vocabulary import HUMAN, RATING_SCALE

__all__ = ["CROWDKIT_COLUMNS", "LONG_COLUMNS", "extraction_data", "judge_data", "long_frame", "rating_data"]

#: The columns of the long format.
LONG_COLUMNS: tuple[str, ...] = ("item", "rater", "label", "group")
#: crowd-kit's names for ``item, rater, label``.
CROWDKIT_COLUMNS: dict[str, str] = {"task": "item", "worker": "rater"}

_ALL = "all"  # the one prompt / generator / source when the table has none


def _show(value: object) -> str:
    """A cell value as the user wrote it (numpy scalars as plain Python values)."""
    item = getattr(value, "item", None)
    return repr(item() if callable(item) else value)


def long_frame(
    frame: pd.DataFrame,
    *,
    item: str = "item",
    rater: str = "rater",
    label: str = "label",
    group: str = "group",
    groups: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """``frame`` as the long format: columns ``item, rater, label, group`` first, other columns kept.

    Parameters
    ----------
    frame : DataFrame
        One row per judgment.
    item, rater, label, group : str
        The frame's names of the four columns; crowd-kit's ``task`` and ``worker`` are taken when ``item`` or
        ``rater`` is absent.
    groups : mapping of str to str, optional
        Rater -> group, when the frame has no group column (e.g. a crowd-kit frame).

    Returns
    -------
    DataFrame
        A new frame; ``item``, ``rater`` and ``group`` as strings.

    Raises
    ------
    ValueError
        A missing column, a missing value in one, a rater without a group or in two groups, or an (item,
        rater) pair judged twice; the message names the column and an example row.

    Examples
    --------
    >>> crowd = pd.DataFrame({"task": ["t1", "t1"], "worker": ["w1", "w2"], "label": [1, 0]})
    >>> long_frame(crowd, groups={"w1": "expert", "w2": "crowd"}).columns.tolist()
    ['item', 'rater', 'label', 'group']
    """
    names = {"item": item, "rater": rater, "label": label}
    for ours, theirs in (("item", "task"), ("rater", "worker")):
        if names[ours] not in frame and ours == names[ours] and theirs in frame:
            names[ours] = theirs
    missing = [f"{ours} ({col!r})" for ours, col in names.items() if col not in frame]
    if missing:
        raise ValueError(f"the long table lacks the columns {', '.join(missing)}; it has {list(frame.columns)}")
    out = pd.DataFrame({ours: frame[col].to_numpy() for ours, col in names.items()}, index=frame.index)
    if group in frame:
        if groups is not None:
            raise ValueError(f"give rater groups either as the {group!r} column or as groups=, not both")
        out["group"] = frame[group].to_numpy()
    elif groups is not None:
        out["group"] = out["rater"].map(dict(groups))
        unknown = out.loc[out["group"].isna(), "rater"]
        if len(unknown):
            raise ValueError(f"{unknown.nunique()} raters have no group in groups=, e.g. {unknown.iloc[0]!r}")
    else:
        raise ValueError(f"the long table has no {group!r} column; add one or pass groups={{rater: group}}")
    for col in LONG_COLUMNS:
        bad = out[col].isna()
        if bad.any():
            raise ValueError(f"column {col!r} has {int(bad.sum())} missing values, e.g. row {_show(out.index[bad][0])}")
    for col in ("item", "rater", "group"):
        out[col] = out[col].astype(str)
    two = out.groupby("rater")["group"].nunique()
    if (two > 1).any():
        raise ValueError(f"rater {two.index[two > 1][0]!r} is in more than one group")
    dup = out.duplicated(["item", "rater"])
    if dup.any():
        first = out[dup].iloc[0]
        raise ValueError(f"{int(dup.sum())} (item, rater) pairs are judged twice, e.g. item {first['item']!r} "
                         f"by {first['rater']!r}")
    rest = [c for c in frame.columns if c not in (*names.values(), group)]
    for c in rest:
        out[c] = frame[c].to_numpy()
    return out


def _reference(long: pd.DataFrame, reference: str | None) -> tuple[str, list[str]]:
    """The reference group and the groups in order of first appearance."""
    present = list(dict.fromkeys(long["group"]))
    if reference is None:
        if HUMAN not in present:
            raise ValueError(f"name the reference group with reference= (one of {present})")
        reference = HUMAN
    if reference not in present:
        raise ValueError(f"reference group {reference!r} has no judgments; groups: {present}")
    return reference, present


def _column(long: pd.DataFrame, name: str, default: object) -> pd.Series:
    if name not in long:
        return pd.Series([default] * len(long), index=long.index, dtype=object)
    col = long[name]
    if col.isna().any():
        raise ValueError(f"column {name!r} has missing values, e.g. row {_show(long.index[col.isna()][0])}")
    return col


def _per_item(long: pd.DataFrame, name: str, unit: str = "item") -> None:
    """A property of the unit (e.g. an item's prompt) must not vary between its rows."""
    n = long.groupby(unit)[name].nunique()
    if (n > 1).any():
        raise ValueError(f"column {name!r} differs between rows of {unit} {n.index[n > 1][0]!r}")


def judge_data(
    frame: pd.DataFrame, *, reference: str | None = None, prompt: str = "prompt", **columns: str
) -> ModelData:
    """The judge model's data from a long table of binary labels.

    Parameters
    ----------
    frame : DataFrame
        Long table (:func:`long_frame`: ``item, rater, label, group``; crowd-kit's ``task, worker, label``
        with ``groups=``). Labels are booleans or 0/1.
    reference : str, optional
        The reference group (the paper's humans), first in the model's ``group`` coordinate; the other group
        comes second, so the summaries' contrasts read "other - reference". Default ``"human"`` when present.
    prompt : str
        Name of the optional column of the item's prompt (items of a prompt share a prompt effect).
    **columns
        ``item=``, ``rater=``, ``label=``, ``group=``, ``groups=`` of :func:`long_frame`.

    Returns
    -------
    ModelData
        As :func:`toolkit.models.judge_data.prepare_labels` builds it: fit it with
        ``toolkit.models.fit("judge", data)``. Its ``items`` table has an ``item`` column, and the reference
        group's vote counts and majority as ``n_human``, ``n_human_yes``, ``human_majority`` (the names the
        summaries read).

    Raises
    ------
    ValueError
        Labels that are not binary, other than two groups (the judge model compares two), or a bad table.

    Examples
    --------
    >>> frame = pd.DataFrame({"item": ["i1", "i1", "i2", "i2"], "rater": ["e1", "j1", "e1", "j1"],
    ...                       "label": [1, 1, 0, 1], "group": ["expert", "judge", "expert", "judge"]})
    >>> data = judge_data(frame, reference="expert")
    >>> data.coords["group"], data.arrays["labels"].tolist()
    (['expert', 'judge'], [[1, 1], [0, 1]])
    """
    long = long_frame(frame, **columns)
    reference, present = _reference(long, reference)
    if len(present) != 2:
        raise ValueError(
            f"the judge model compares two rater groups, a reference and one other; this table has "
            f"{len(present)}: {present}. Merge groups (e.g. all LLM judges) or fit each pair separately"
        )
    values = set(pd.unique(long["label"]))
    if not values <= {True, False}:  # 0/1 compare equal to False/True; 0.5, "yes", 2 do not
        raise ValueError(
            f"the judge model takes binary labels (true/false or 0/1), got {sorted(map(_show, values))[:5]}; "
            "binarise graded labels first (e.g. label > 0)"
        )
    groups = (reference, next(g for g in present if g != reference))
    prompts = _column(long, prompt, _ALL).astype(str)
    long = long.assign(prompt=prompts.to_numpy())
    _per_item(long, "prompt")
    # prepare_labels reads a stage-2 table: the item is the attribute of one (user, prompt); its "kind" is
    # the rater's group here, and the kinds modelled are the two groups, reference first.
    rel = pd.DataFrame({"user_id": long["item"], "prompt_id": long["prompt"], "attribute_id": long["item"],
                        "rater_id": long["rater"], "relevant": long["label"].astype(bool)})
    first = long.drop_duplicates("rater")
    raters = pd.DataFrame({"rater_id": first["rater"], "kind": first["group"]})
    data = prepare_labels(rel, raters, kinds=groups)
    items = data.tables["items"]
    items.insert(0, "item", items["attribute_id"].to_numpy())
    if reference != HUMAN:  # the summaries read the reference majority under the paper's name
        ref = data.arrays["labels"][:, data.arrays["rater_group"] == 0]
        n, yes = (ref >= 0).sum(1), (ref == 1).sum(1)
        majority = pd.array(2 * yes > n, dtype="boolean")
        majority[(2 * yes == n) | (n == 0)] = pd.NA
        items["n_human"], items["n_human_yes"], items["human_majority"] = n, yes, majority
    return data


def rating_data(frame: pd.DataFrame, *, reference: str | None = None, **columns: str) -> ModelData:
    """The rating model's data from a long table of 1..5 ratings.

    Parameters
    ----------
    frame : DataFrame
        Long table (``item`` is the rated cell; optional ``unit``, ``generator``, ``mention`` columns, see the
        module docstring). Ratings are integers 1..5, the rating model's categories.
    reference : str, optional
        The group pooled as annotators (the paper's humans); default ``"human"`` when present. Every rater of
        another group is a judge of its own.
    **columns
        As :func:`long_frame`.

    Returns
    -------
    ModelData
        :meth:`RatingData.to_model_data` with a ``cells`` table: fit with ``toolkit.models.fit("rating", data)``.

    Raises
    ------
    ValueError
        Ratings off 1..5 (the model has four cutpoints: a 1..7 scale needs a rating model with K - 1
        cutpoints), or a bad table.

    Examples
    --------
    >>> frame = pd.DataFrame({"item": ["c1", "c1", "c1"], "rater": ["h1", "h2", "gpt"], "label": [4, 5, 3],
    ...                       "group": ["human", "human", "llm"]})
    >>> rd = rating_data(frame)
    >>> rd.coords["rater"], rd.arrays["y"].tolist()
    (['human', 'gpt'], [3, 4, 2])
    """
    long = long_frame(frame, **columns)
    reference, _ = _reference(long, reference)
    rating = pd.to_numeric(long["label"], errors="coerce")
    off = rating.isna() | ~rating.isin(RATING_SCALE)
    if off.any():
        raise ValueError(
            f"the rating model takes ratings {RATING_SCALE[0]}..{RATING_SCALE[-1]}; row {_show(long.index[off][0])} "
            f"has {_show(long.loc[off, 'label'].iloc[0])} (a longer scale needs a model with more cutpoints)"
        )
    unit = _column(long, "unit", None)
    long = long.assign(unit=np.where(unit.isna(), long["item"], unit.astype(object)).astype(str),
                       generator=_column(long, "generator", _ALL).astype(str).to_numpy(),
                       mention=_column(long, "mention", False).to_numpy())
    if not set(pd.unique(long["mention"])) <= {True, False}:
        raise ValueError("column 'mention' must be boolean")
    for name, of in (("unit", "item"), ("mention", "item"), ("generator", "unit")):
        _per_item(long, name, of)
    cells = tuple(pd.unique(long["item"]))
    units = tuple(pd.unique(long["unit"]))
    generators = tuple(pd.unique(long["generator"]))
    first = long.drop_duplicates("item").set_index("item").loc[list(cells)]
    cell_item = pd.Index(units).get_indexer(first["unit"]).astype(np.int64)
    cell_generator = pd.Index(generators).get_indexer(first["generator"]).astype(np.int64)
    cell_mention = first["mention"].astype(float).to_numpy()
    annotators = tuple(pd.unique(long.loc[long["group"] == reference, "rater"]))
    judges = tuple(pd.unique(long.loc[long["group"] != reference, "rater"]))
    cell = pd.Index(cells).get_indexer(long["item"]).astype(np.int64)
    judge_index = {j: n + 1 for n, j in enumerate(judges)}
    ann_index = {a: n for n, a in enumerate(annotators)}
    data = RatingData(
        y=rating.to_numpy(np.int64) - RATING_SCALE[0],
        rater=np.array([judge_index.get(r, 0) for r in long["rater"]], dtype=np.int64),
        annotator=np.array([ann_index.get(r, len(annotators)) for r in long["rater"]], dtype=np.int64),
        item=cell_item[cell], cell=cell, generator=cell_generator[cell], mention=cell_mention[cell],
        cell_item=cell_item, cell_generator=cell_generator, cell_mention=cell_mention,
        raters=(reference, *judges), judges=judges, annotators=annotators, generators=generators,
        items=units, cells=cells,
    )
    table = pd.DataFrame({"item": first["unit"].to_numpy(), "attribute_id": list(cells),
                          "generator": first["generator"].to_numpy(), "mention": first["mention"].to_numpy()})
    return data.to_model_data({"cells": table})


def extraction_data(frame: pd.DataFrame, *, reference: str | None = None, **columns: str) -> ModelData:
    """The extraction model's data from a long table of accepted / uncertain / rejected labels.

    Parameters
    ----------
    frame : DataFrame
        Long table (``item`` is the attribute; a ``unit`` column names its user; optional ``source`` and
        ``origin``).
    reference : str, optional
        The group whose judgments are modelled (the paper's human annotators); default ``"human"``.
    **columns
        As :func:`long_frame`.

    Returns
    -------
    ModelData
        As :func:`toolkit.models.extraction.prepare_judgments` builds it: fit with
        ``toolkit.models.fit("extraction", data)``.

    Examples
    --------
    >>> frame = pd.DataFrame({"item": ["a1", "a1", "a2"], "rater": ["h1", "h2", "h1"],
    ...                       "label": ["accepted", "rejected", "uncertain"], "group": "human",
    ...                       "unit": ["u1", "u1", "u2"]})
    >>> extraction_data(frame).coords["annotator"]
    ['h1', 'h2']
    """
    long = long_frame(frame, **columns)
    reference, _ = _reference(long, reference)
    if "unit" not in long:
        raise ValueError("the extraction model needs a 'unit' column: the user each attribute (item) describes")
    bad = ~long["label"].isin(LABELS)
    if bad.any():
        raise ValueError(f"labels must be one of {LABELS}; row {_show(long.index[bad][0])} has "
                         f"{_show(long.loc[bad, 'label'].iloc[0])}")
    long = long.assign(unit=_column(long, "unit", None).astype(str),
                       source=_column(long, "source", _ALL).astype(str).to_numpy(),
                       origin=_column(long, "origin", HUMAN).astype(str).to_numpy())
    _per_item(long, "unit")
    _per_item(long, "source", "unit")
    _per_item(long, "origin", "unit")
    first_item = long.drop_duplicates("item")
    first_unit = long.drop_duplicates("unit")
    first_rater = long.drop_duplicates("rater")
    return prepare_judgments(
        pd.DataFrame({"attribute_id": long["item"], "rater_id": long["rater"], "label": long["label"]}),
        pd.DataFrame({"attribute_id": first_item["item"], "user_id": first_item["unit"]}),
        pd.DataFrame({"user_id": first_unit["unit"], "source": first_unit["source"], "origin": first_unit["origin"]}),
        pd.DataFrame({"rater_id": first_rater["rater"], "kind": first_rater["group"]}),
        kinds=(reference,),
    )

