"""Data of the stage-3 rating model: ratings, rater groups, items, cells and explicit mentions as arrays.

:func:`prepare_rating_data` turns a dataset's ``response_ratings`` (with ``responses`` and ``raters``) into
:class:`RatingData`, the arrays the rating model (:mod:`toolkit.models.rating`) and its summaries
(:mod:`toolkit.models.rating_posterior`) work on; :meth:`RatingData.to_model_data` and
:meth:`RatingData.from_model_data` convert to and from the :class:`~toolkit.models.interface.ModelData` of the
common interface. Whether a cell's attribute is explicitly mentioned is decided by :func:`mentioned`.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import pandas as pd

from toolkit.dataset import Dataset
from toolkit.models.interface import ModelData
from toolkit.views import rater_kinds as views_rater_kinds
from toolkit.vocabulary import HUMAN, is_mentioned

__all__ = [
    "CUTPOINT_LABELS",
    "RATING_ARRAYS",
    "RatingData",
    "as_rating_data",
    "mentioned",
    "prepare_rating_data",
    "rater_kinds",
]

#: Names of the cutpoints between the five rating categories.
CUTPOINT_LABELS = ("1|2", "2|3", "3|4", "4|5")
#: The per-rating and per-cell arrays of :class:`RatingData` (stored in ``ModelData.arrays``).
RATING_ARRAYS = (
    "y", "rater", "annotator", "item", "cell", "generator", "mention", "cell_item", "cell_generator",
    "cell_mention",
)  # fmt: skip


@attrs.frozen(eq=False)
class RatingData:
    """Arrays of the rating model: one entry per rating, plus per-cell arrays (see the module docstring).

    Attributes
    ----------
    y : int array
        Rating minus 1 (0..4).
    rater : int array
        Rater-group index into ``raters``: 0 = human, 1..J = LLM judge.
    annotator : int array
        Human annotator index into ``annotators``; ``len(annotators)`` (a dummy level, h = 0) for judges.
    item, cell, generator : int arrays
        Item (personalized response), cell (item x attribute) and generator index of each rating.
    mention : float array
        1.0 when the personalized response explicitly mentions the rated attribute.
    cell_item, cell_generator, cell_mention : arrays
        The same per cell.
    raters, judges, annotators, generators, items, cells : tuples of str
        Level names; ``raters = ("human", *judges)``; a cell is named ``"<item>|<attribute_id>"``.
    """

    y: np.ndarray
    rater: np.ndarray
    annotator: np.ndarray
    item: np.ndarray
    cell: np.ndarray
    generator: np.ndarray
    mention: np.ndarray
    cell_item: np.ndarray
    cell_generator: np.ndarray
    cell_mention: np.ndarray
    raters: tuple[str, ...]
    judges: tuple[str, ...]
    annotators: tuple[str, ...]
    generators: tuple[str, ...]
    items: tuple[str, ...]
    cells: tuple[str, ...]

    @property
    def n(self) -> int:
        """Number of ratings."""
        return int(self.y.size)

    @property
    def item_generator(self) -> np.ndarray:
        """Generator index of each item."""
        out = np.zeros(len(self.items), dtype=np.int64)
        out[self.cell_item] = self.cell_generator
        return out

    def coords(self) -> dict[str, list[str]]:
        """PyMC coordinates (generator, judge, rater, annotator, item, cell, cutpoint)."""
        return {
            "generator": list(self.generators),
            "judge": list(self.judges),
            "rater": list(self.raters),
            "annotator": list(self.annotators),
            "item": list(self.items),
            "cell": list(self.cells),
            "cutpoint": list(CUTPOINT_LABELS),
        }

    def generator_weights(self) -> np.ndarray:
        """Share of cells per generator (the mix that judge-level averages use)."""
        counts = np.bincount(self.cell_generator, minlength=len(self.generators)).astype(float)
        return counts / counts.sum()

    def mention_rates(self) -> np.ndarray:
        """Per generator, the observed share of its cells whose attribute the personalized response mentions."""
        counts = np.bincount(self.cell_generator, minlength=len(self.generators)).astype(float)
        hits = np.bincount(self.cell_generator, weights=self.cell_mention, minlength=len(self.generators))
        return hits / np.maximum(counts, 1)

    def to_model_data(self, tables: dict[str, pd.DataFrame] | None = None) -> ModelData:
        """These arrays as the :class:`ModelData` of the common interface (with side ``tables``)."""
        coords = self.coords()
        coords["annotator_dummy"] = [*self.annotators, "(judge)"]
        return ModelData(
            arrays={k: getattr(self, k) for k in RATING_ARRAYS}, coords=coords, tables=dict(tables or {})
        )

    @classmethod
    def from_model_data(cls, data: ModelData) -> RatingData:
        """The :class:`RatingData` a :meth:`to_model_data` result was made from."""
        c = data.coords
        return cls(
            **{k: data.arrays[k] for k in RATING_ARRAYS},
            raters=tuple(c["rater"]),
            judges=tuple(c["judge"]),
            annotators=tuple(c["annotator"]),
            generators=tuple(c["generator"]),
            items=tuple(c["item"]),
            cells=tuple(c["cell"]),
        )


def as_rating_data(data: RatingData | ModelData) -> RatingData:
    """``data`` as :class:`RatingData` (a :class:`ModelData` of the rating model is converted)."""
    return data if isinstance(data, RatingData) else RatingData.from_model_data(data)


def rater_kinds(dataset: Dataset, rater_ids: Any) -> dict[str, str]:
    """``rater_id -> kind`` (:func:`toolkit.views.rater_kinds`: from ``raters.jsonl`` when present, else
    ``human`` for ids starting with "human")."""
    ids = list(pd.unique(pd.Series(list(rater_ids), dtype=object)))
    return {str(k): str(v) for k, v in views_rater_kinds(dataset, ids).items()}


def _rater_order(dataset: Dataset, ids: list[str]) -> list[str]:
    """``ids`` in the order of ``raters.jsonl`` (stable across subsets), unknown ones last."""
    if not dataset.has("raters"):
        return ids
    order = {r: n for n, r in enumerate(dataset.frame("raters")["rater_id"])}
    return sorted(ids, key=lambda r: (order.get(r, len(order)), r))


def mentioned(responses: pd.DataFrame, response_ids: Any, attribute_ids: Any) -> np.ndarray:
    """Whether each (personalized response, attribute) is an explicit mention.

    The per-cell decision is the study's explicit-mention rule, :func:`toolkit.vocabulary.is_mentioned`: an
    attribute counts as mentioned when it is in the response's ``mentioned_attribute_ids``; when only
    ``mentions_attributes`` is coded, that flag applies to all its attributes; when neither is coded (or the
    response is unknown), not mentioned.
    """
    lookup = {}
    for rid, flag, ids in zip(
        responses["response_id"],
        responses["mentions_attributes"],
        responses["mentioned_attribute_ids"],
        strict=True,
    ):
        lookup[rid] = (frozenset(ids) if isinstance(ids, tuple | list) else None, flag)
    out = []
    for rid, attr in zip(response_ids, attribute_ids, strict=True):
        ids, flag = lookup.get(rid, (None, None))
        out.append(is_mentioned(attr, ids, flag))
    return np.asarray(out, dtype=bool)


def prepare_rating_data(dataset: Dataset) -> tuple[RatingData, dict[str, pd.DataFrame]]:
    """Stage-3 ratings of ``dataset`` as :class:`RatingData` (and a ``cells`` side table).

    Humans are raters of kind ``human`` (from ``raters.jsonl``; without it, ids starting with ``human``); raters
    of kind ``llm`` are LLM judges; response ratings by any other kind are an error. The generator of an item is
    the ``generator`` of its personalized response. Mentions: see :func:`mentioned`.
    """
    dataset.require("response_ratings", "responses", purpose="the stage-3 rating model")
    ratings = dataset.frame("response_ratings")
    responses = dataset.frame("responses")
    if ratings.empty:
        raise ValueError("the dataset has no response ratings")
    generator_of = dict(zip(responses["response_id"], responses["generator"], strict=True))
    missing = sorted(set(ratings["personalized_response_id"]) - set(generator_of))
    if missing:
        raise ValueError(f"{len(missing)} rated responses are not in responses.jsonl, e.g. {missing[:3]}")
    dup = ratings.duplicated(["personalized_response_id", "attribute_id", "rater_id"])
    if dup.any():
        raise ValueError(f"{int(dup.sum())} duplicated (response, attribute, rater) ratings")
    kinds = rater_kinds(dataset, ratings["rater_id"])
    bad = sorted(r for r, k in kinds.items() if k not in ("human", "llm"))
    if bad:
        raise ValueError(f"response ratings by raters that are neither human nor llm: {bad}")
    annotators = tuple(_rater_order(dataset, [r for r in kinds if kinds[r] == "human"]))
    judges = tuple(_rater_order(dataset, [r for r in kinds if kinds[r] == "llm"]))
    if not annotators:
        raise ValueError("the rating model needs human ratings (the reference rater group)")

    pid = ratings["personalized_response_id"].to_numpy(object)
    attr = ratings["attribute_id"].to_numpy(object)
    cell_codes, cell_uniques = pd.factorize(pd.MultiIndex.from_arrays([pid, attr]))
    cells = pd.DataFrame(
        {
            "item": cell_uniques.get_level_values(0).astype(object),
            "attribute_id": cell_uniques.get_level_values(1),
        }
    )
    cells["generator"] = [generator_of[i] for i in cells["item"]]
    cells["mention"] = mentioned(responses, cells["item"], cells["attribute_id"])
    items = tuple(pd.unique(cells["item"]))
    item_index = {it: n for n, it in enumerate(items)}
    generators = tuple(pd.unique(pd.Series([generator_of[i] for i in items], dtype=object)))
    gen_index = {g: n for n, g in enumerate(generators)}
    cell_item = np.array([item_index[i] for i in cells["item"]], dtype=np.int64)
    cell_generator = np.array([gen_index[g] for g in cells["generator"]], dtype=np.int64)
    cell_mention = cells["mention"].to_numpy(float)

    rid = ratings["rater_id"].to_numpy(object)
    judge_index = {j: n + 1 for n, j in enumerate(judges)}
    ann_index = {a: n for n, a in enumerate(annotators)}
    cell = cell_codes.astype(np.int64)
    data = RatingData(
        y=ratings["rating"].to_numpy(np.int64) - 1,
        rater=np.array([judge_index.get(r, 0) for r in rid], dtype=np.int64),
        annotator=np.array([ann_index.get(r, len(annotators)) for r in rid], dtype=np.int64),
        item=cell_item[cell],
        cell=cell,
        generator=cell_generator[cell],
        mention=cell_mention[cell],
        cell_item=cell_item,
        cell_generator=cell_generator,
        cell_mention=cell_mention,
        raters=(HUMAN, *judges),
        judges=judges,
        annotators=annotators,
        generators=generators,
        items=items,
        cells=tuple(f"{i}|{a}" for i, a in zip(cells["item"], cells["attribute_id"], strict=True)),
    )
    return data, {"cells": cells}
