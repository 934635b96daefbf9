"""Figure 3: pairwise Cohen's kappa among human annotators and LLM judges on stage-2 relevance labels.

Humans first, then LLM judges; each cell is Cohen's kappa over the items both raters labelled, and the
human-human / LLM-LLM / human-LLM group means carry bootstrap intervals over the sampling unit, the user-prompt
pair (``--resample item``: over items). No model fit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from analyses.common import Analysis, Link, Result, Settings, main_for
from toolkit.agreement import group_agreement, pairwise_agreement
from toolkit.dataset import Dataset
from toolkit.jsonl import DataError
from toolkit.stages import NO_RESAMPLING
from toolkit.views import rater_groups, relevance_long
from toolkit.vocabulary import AGREEMENT_GROUPS

__all__ = ["compute", "render", "PUBLISHED", "ANALYSIS", "main"]


def compute(ds: Dataset, settings: Settings) -> Result:
    long = relevance_long(ds)
    groups = rater_groups(ds)
    judged = set(long["rater_id"].unique())
    groups = {g: [r for r in ids if r in judged] for g, ids in groups.items()}
    order = [r for group in AGREEMENT_GROUPS for r in groups[group]]
    if len(order) < 2:

        raise DataError(ds.path, 0, "relevance_judgments", "Figure 3 needs at least two human or LLM raters")
    long = long[long["rater_id"].isin(order)]
    pairs = pairwise_agreement(
        long, item="item_id", rater="rater_id", label="relevant", metric="cohen_kappa", raters=order
    )
    group_of = {r: g for g, ids in groups.items() for r in ids}
    pairs = pairs.assign(
        group_a=pairs["rater_a"].map(group_of),
        group_b=pairs["rater_b"].map(group_of),
        row=pairs["rater_a"].map(order.index),
        col=pairs["rater_b"].map(order.index),
    )
    present = {g: ids for g, ids in groups.items() if ids}
    means = group_agreement(
        long, item="item_id", rater="rater_id", label="relevant", groups=present,
        metric="cohen_kappa", n_boot=settings.n_boot, seed=settings.seed, clusters=settings.clusters("relevance"),
    )
    cells = pairs[["rater_a", "rater_b", "group_a", "group_b", "n_items", "value"]].assign(
        kind="pair", n_pairs=pd.NA, ci_low=np.nan, ci_high=np.nan, resampled_unit=NO_RESAMPLING
    )
    summary = pd.DataFrame(
        {
            "rater_a": means["group_a"], "rater_b": means["group_b"],
            "group_a": means["group_a"], "group_b": means["group_b"],
            "n_items": pd.NA,
            "value": means["mean"], "kind": "group_mean", "n_pairs": means["n_pairs"],
            "ci_low": means["ci_low"], "ci_high": means["ci_high"], "resampled_unit": settings.unit("relevance"),
        }
    )
    columns = ["kind", "rater_a", "rater_b", "group_a", "group_b", "n_items", "n_pairs", "value", "ci_low", "ci_high",
               "resampled_unit"]
    table = pd.concat([cells[columns], summary[columns]], ignore_index=True)
    table["n_items"] = table["n_items"].astype("Int64")
    table["n_pairs"] = table["n_pairs"].astype("Int64")
    return Result(
        table=table,
        caption=(
            "Pairwise Cohen's kappa on stage-2 relevance labels (humans first, then LLM judges); "
            f"group means with 95% bootstrap intervals over {settings.unit_words('relevance')}."
        ),
        settings={"metric": "cohen_kappa", "n_boot": settings.n_boot,
                  "interval": f"95% percentile, bootstrap over {settings.unit_words('relevance')}"},
        extra={"order": order, "groups": present},
        footnote="Cells: Cohen's kappa over the items both raters labelled (blank: no shared item).",
    )


def _group_label(a: str, b: str) -> str:
    names = {"human": "Human", "llm": "LLM"}
    return f"{names.get(a, a)}-{names.get(b, b)}"


def render(result: Result, ds: Dataset) -> Any:
    from toolkit import plotting

    order: Sequence[str] = result.extra["order"]
    n = len(order)
    matrix = np.full((n, n), np.nan)
    pairs = result.table[result.table["kind"] == "pair"]
    for a, b, v in pairs[["rater_a", "rater_b", "value"]].itertuples(index=False):
        i, j = order.index(a), order.index(b)
        matrix[i, j] = matrix[j, i] = v
    means = result.table[result.table["kind"] == "group_mean"]
    width = plotting.COLUMN_WIDTH
    top, bottom = 2.95, 0.3 + 0.19 * max(len(means), 1)
    fig, (ax, bx) = plotting.new_figure(width, top + bottom, nrows=2, height_ratios=[top, bottom])
    finite = matrix[np.isfinite(matrix)]
    # The diagonal (a rater with itself) is drawn as a plain grey cell so the colour scale spans the
    # off-diagonal kappas only; cells of pairs without a shared item stay blank (white).
    vmin = min(0.0, float(finite.min())) if finite.size else 0.0
    vmax = max(0.5, float(np.ceil(finite.max() * 10) / 10)) if finite.size else 1.0
    image = ax.imshow(matrix, cmap=plotting.HEATMAP_CMAP, vmin=vmin, vmax=vmax)
    for i in range(n):
        ax.add_patch(plotting.cell_patch(i, i, "#d9d9d9"))
    threshold = vmin + 0.55 * (vmax - vmin)
    counts = np.full((n, n), np.nan)
    for a, b, k in pairs[["rater_a", "rater_b", "n_items"]].itertuples(index=False):
        i, j = order.index(a), order.index(b)
        counts[i, j] = counts[j, i] = k
    if len(set(pairs["n_items"])) > 1:  # partial overlap: say on how many items each kappa rests
        for (i, j), v in np.ndenumerate(matrix):
            if i != j and np.isfinite(v):
                ax.text(j, i, f"{v:.2f}\nn={int(counts[i, j])}", ha="center", va="center", fontsize=5,
                        linespacing=1.1, color="black" if v >= threshold else "white")
    else:
        plotting.annotate_heatmap(ax, matrix, threshold=threshold)
    ax.set_xticks(range(n), order, rotation=40, ha="right", rotation_mode="anchor")
    ax.set_yticks(range(n), order)
    ax.spines[:].set_visible(False)
    ax.tick_params(length=0)
    n_humans = len(result.extra["groups"].get("human", []))
    if 0 < n_humans < n:  # a rule between the human and the LLM block
        for edge in (ax.axhline, ax.axvline):
            edge(n_humans - 0.5, color="white", lw=2)
    cbar = fig.colorbar(image, ax=ax, fraction=0.046, pad=0.03, shrink=0.8)
    cbar.set_label("kappa")
    cbar.outline.set_visible(False)
    ax.set_title("Pairwise Cohen's kappa, relevance labels")

    labels = [_group_label(a, b) for a, b in means[["group_a", "group_b"]].itertuples(index=False)]
    y = np.arange(len(means))
    colours = [
        plotting.GROUP_COLORS["human"] if a == b == "human" else plotting.GROUP_COLORS["llm"] if a == b == "llm"
        else plotting.PALETTE["purple"]
        for a, b in means[["group_a", "group_b"]].itertuples(index=False)
    ]
    for yi, (v, lo, hi), c in zip(y, means[["value", "ci_low", "ci_high"]].itertuples(index=False), colours, strict=True):
        if np.isfinite(v):
            bx.errorbar([v], [yi], xerr=np.nan_to_num([[v - lo], [hi - v]]), fmt="o", ms=3.5, color=c, elinewidth=1.1, capsize=2)
            bx.annotate(f"{v:.3f} [{lo:.3f}, {hi:.3f}]" if np.isfinite(lo) else f"{v:.3f}", (hi if np.isfinite(hi) else v, yi),
                        xytext=(4, 0), textcoords="offset points", va="center", fontsize=6)
    bx.set_yticks(y, labels)
    bx.set_ylim(len(means) - 0.5, -0.5)
    bx.set_xlim(min(0.0, float(np.nanmin(means["ci_low"].fillna(0)))) if len(means) else 0.0, 1.0)
    bx.set_xlabel("Mean pairwise kappa (95% CI)")
    bx.grid(axis="x", color="#dddddd", lw=0.5)
    bx.set_axisbelow(True)
    return fig


#: The published numbers this analysis regenerates (compared in REPORT.md by analyses.report).
PUBLISHED = {
    "fig3.kappa.human_human": Link({"kind": "group_mean", "group_a": "human", "group_b": "human"}),
    "fig3.kappa.llm_llm": Link({"kind": "group_mean", "group_a": "llm", "group_b": "llm"}),
    "fig3.kappa.human_llm": Link({"kind": "group_mean", "group_a": "human", "group_b": "llm"}),
}

ANALYSIS = Analysis(
    name="figure3",
    title="Figure 3: pairwise Cohen's kappa among human annotators and LLM judges",
    needs=("raters", "relevance_judgments"),
    compute=compute,
    render=render,
    width=3.4,
    published=PUBLISHED,
)


def main(argv: Sequence[str] | None = None) -> int:
    return main_for(ANALYSIS, argv)


if __name__ == "__main__":
    raise SystemExit(main())
