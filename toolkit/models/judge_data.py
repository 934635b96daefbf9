"""Data of the judge model (stage 2): the items x raters label matrix, label patterns and collapsed cells.

:func:`prepare_labels` turns tidy relevance judgments into the :class:`~toolkit.models.interface.ModelData`
the judge model (:mod:`toolkit.models.judge`) is built from: a label matrix (``-1`` = missing), each rater
group's distinct label patterns, and cells of items that share (prompt, human pattern, LLM pattern), which
the likelihood sums once per cell.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.models.interface import ModelData, hash_arrays
from toolkit.vocabulary import HUMAN, ITEM_KEY, LLM

__all__ = ["ITEM", "prepare_labels"]

#: The columns that identify a stage-2 item (user, prompt, attribute).
ITEM: list[str] = list(ITEM_KEY)


def prepare_labels(
    rel: pd.DataFrame, raters: pd.DataFrame, *, kinds: tuple[str, ...] = (HUMAN, LLM)
) -> ModelData:
    """Build the judge model's data from tidy relevance judgments and the rater table.

    Parameters
    ----------
    rel : DataFrame
        Relevance judgments: the :data:`ITEM` columns, ``rater_id`` and ``relevant``.
    raters : DataFrame
        The rater table (``rater_id``, ``kind``); its order fixes the order of raters within a group.
    kinds : tuple of str
        Rater kinds modelled, one group each, in this order.

    Returns
    -------
    ModelData
        Arrays ``labels`` (items x raters, int8, -1 missing), ``rater_group``, ``item_prompt``,
        ``pattern_yes_<g>`` / ``pattern_no_<g>`` per group, ``item_pattern``, ``cell_prompt``,
        ``cell_pattern``, ``cell_count``, ``item_cell``; coords ``group``, ``rater``, ``prompt``; table
        ``items`` (with the human vote counts and majority).

    Raises
    ------
    ValueError
        When no judgment is by a rater of ``kinds``, or an (item, rater) pair is judged twice.
    """
    kind_of = dict(zip(raters["rater_id"], raters["kind"].astype(str), strict=True))
    rel = rel[rel["rater_id"].map(kind_of).isin(kinds)]
    if rel.empty:
        raise ValueError(f"no relevance judgments by raters of kinds {kinds}")
    present = set(rel["rater_id"])
    groups = [k for k in kinds if any(kind_of[r] == k for r in present)]
    # raters grouped by kind, in the order of raters.jsonl within a group
    rater_ids = [r for g in groups for r in raters["rater_id"] if r in present and kind_of[r] == g]
    rater_group = np.array([groups.index(kind_of[r]) for r in rater_ids], dtype=np.int64)
    dup = rel.duplicated(ITEM + ["rater_id"])
    if dup.any():
        raise ValueError(f"{int(dup.sum())} duplicated (item, rater) relevance judgments")
    items = rel[ITEM].drop_duplicates().sort_values(ITEM).reset_index(drop=True)
    item_index = pd.MultiIndex.from_frame(items)
    ii = item_index.get_indexer(pd.MultiIndex.from_frame(rel[ITEM]))
    ri = pd.Index(rater_ids).get_indexer(rel["rater_id"])
    labels = np.full((len(items), len(rater_ids)), -1, dtype=np.int8)
    labels[ii, ri] = rel["relevant"].astype(bool).to_numpy().astype(np.int8)
    prompts = sorted(items["prompt_id"].unique())
    item_prompt = pd.Index(prompts).get_indexer(items["prompt_id"]).astype(np.int64)

    arrays: dict[str, np.ndarray] = {"labels": labels, "rater_group": rater_group, "item_prompt": item_prompt}
    item_pattern = np.zeros((len(items), len(groups)), dtype=np.int64)
    for gi in range(len(groups)):
        sub = labels[:, rater_group == gi]
        patterns, inverse = np.unique(sub, axis=0, return_inverse=True)
        item_pattern[:, gi] = inverse.ravel()
        arrays[f"pattern_yes_{gi}"] = (patterns == 1).astype(np.int8)
        arrays[f"pattern_no_{gi}"] = (patterns == 0).astype(np.int8)
    arrays["item_pattern"] = item_pattern
    cells, cell_inverse, counts = np.unique(
        np.column_stack([item_prompt, item_pattern]), axis=0, return_inverse=True, return_counts=True
    )
    arrays["cell_prompt"] = cells[:, 0].copy()
    arrays["cell_pattern"] = cells[:, 1:].copy()
    arrays["cell_count"] = counts.astype(np.float64)
    arrays["item_cell"] = cell_inverse.ravel().astype(np.int64)

    human = rater_group == groups.index(HUMAN) if HUMAN in groups else np.zeros(len(rater_ids), bool)
    items = items.copy()
    if human.any():
        hl = labels[:, human]
        n_h = (hl >= 0).sum(1)
        yes_h = (hl == 1).sum(1)
        items["n_human"] = n_h
        items["n_human_yes"] = yes_h
        maj = pd.array(np.where(2 * yes_h > n_h, True, False), dtype="boolean")
        maj[(2 * yes_h == n_h) | (n_h == 0)] = pd.NA  # ties and unlabelled items have no majority
        items["human_majority"] = maj
    for gi, g in enumerate(groups):
        if g != HUMAN:
            gl = labels[:, rater_group == gi]
            items[f"n_{g}_yes"] = (gl == 1).sum(1)
            items[f"n_{g}"] = (gl >= 0).sum(1)
    coords = {"group": groups, "rater": rater_ids, "prompt": prompts}
    return ModelData(
        arrays=arrays,
        coords=coords,
        hash=hash_arrays(arrays, coords, items=items[ITEM].to_numpy().tolist()),
        tables={"items": items},
    )
