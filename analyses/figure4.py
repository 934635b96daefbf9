"""Figure 4: precision, recall, F1 and YES rate of every LLM judge and baseline against the human majority.

The reference is the human majority of each stage-2 item (ties left out; on imported data the aggregate
``human-majority`` rater). Intervals are 95% bootstrap percentiles over the sampling unit, the user-prompt
pair (``--resample item``: over items). No model fit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from analyses.common import Analysis, Link, Result, Settings, main_for
from toolkit.dataset import Dataset
from toolkit.stages import method_metrics, reference_positive_rate
from toolkit.vocabulary import HUMAN, METHOD_KINDS

__all__ = ["METRICS", "METRIC_LABELS", "compute", "render", "PUBLISHED", "ANALYSIS", "main"]

METRICS = ("precision", "recall", "f1", "positive_rate")
METRIC_LABELS = {"precision": "Precision", "recall": "Recall", "f1": "F1", "positive_rate": "YES rate"}


def compute(ds: Dataset, settings: Settings) -> Result:
    boot = {"n_boot": settings.n_boot, "seed": settings.seed, "clusters": settings.clusters("relevance")}
    methods, info = method_metrics(ds, kinds=METHOD_KINDS, **boot)
    parts = [methods[methods["metric"].isin(METRICS)]]
    humans = None
    if (ds.frame("raters")["kind"] == HUMAN).any():
        humans, _ = method_metrics(ds, kinds=(HUMAN,), **boot)
        humans = humans[humans["metric"] == "positive_rate"]
        parts.append(humans)
    reference = reference_positive_rate(ds, **boot)
    parts.append(reference)
    table = pd.concat(parts, ignore_index=True)
    table = table[["method", "kind", "metric", "value", "ci_low", "ci_high", "n_items", "resampled_unit"]]
    words = settings.unit_words("relevance")
    return Result(
        table=table,
        caption=(
            f"Precision, recall, F1 and YES rate of each LLM judge and baseline against the human majority "
            f"({info['n_items']} items with a majority label, {info['n_ties']} ties left out; reference: "
            f"{info['source']}); 95% bootstrap intervals over {words} ({settings.n_boot} resamples)."
        ),
        settings={
            "reference": info["source"], "n_reference_items": info["n_items"], "n_ties_excluded": info["n_ties"],
            "n_boot": settings.n_boot,
            "interval": f"95% percentile, bootstrap over {words} (methods on shared resamples)",
        },
        footnote=f"Reference: human majority over {info['n_items']} items; 95% bootstrap intervals over {words}.",
        extra={"order": list(dict.fromkeys(methods["method"]))},
    )


def render(result: Result, ds: Dataset) -> Any:
    from toolkit import plotting

    table = result.table
    order: list[str] = result.extra["order"]
    humans = table[table["kind"] == "human"]
    reference = table[table["kind"] == "reference"]
    rows = order + list(humans["method"])
    fig, axes = plotting.interval_panels(
        table, rows=rows, metrics=METRICS, titles=METRIC_LABELS, group_names={"llm": "LLM judge (zero-shot)"},
        headroom=1.0,
    )
    for ax in axes:
        ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0], ["0", ".25", ".5", ".75", "1"])
        if len(humans) and order:
            ax.axhline(len(order) - 0.5, color="#bbbbbb", lw=0.5)
    if len(reference):
        ax, ref = axes[-1], reference.iloc[0]
        ax.axvspan(ref["ci_low"], ref["ci_high"], color=plotting.PALETTE["blue"], alpha=0.15, lw=0)
        ax.axvline(ref["value"], color=plotting.PALETTE["blue"], lw=0.9, ls="--")
        ax.annotate(f"human majority {ref['value']:.2f}", (ref["value"], -0.85), xytext=(3, 0),
                    textcoords="offset points", fontsize=5.5, color=plotting.PALETTE["blue"], va="center")
    return fig


#: The published numbers this analysis regenerates (compared in REPORT.md by analyses.report).
PUBLISHED = {
    "fig4.human_positive_rate": Link({"kind": "reference", "metric": "positive_rate"}),
    "fig4.bm25.f1": Link({"method": "bm25", "metric": "f1"}),
    "fig4.embedding.f1": Link({"method": "embedding", "metric": "f1"}),
    "fig4.claude.precision": Link({"method": "claude-sonnet-4.6", "metric": "precision"}),
    "fig4.claude.recall": Link({"method": "claude-sonnet-4.6", "metric": "recall"}),
    "fig4.claude.f1": Link({"method": "claude-sonnet-4.6", "metric": "f1"}),
}

ANALYSIS = Analysis(
    name="figure4",
    title="Figure 4: precision, recall and F1 of LLM judges and baselines against the human majority",
    needs=("raters", "relevance_judgments"),
    compute=compute,
    render=render,
    width=7.0,
    published=PUBLISHED,
)


def main(argv: Sequence[str] | None = None) -> int:
    return main_for(ANALYSIS, argv)


if __name__ == "__main__":
    raise SystemExit(main())
