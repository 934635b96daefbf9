"""Table 3: accuracy, precision, recall and F1 of the stage-2 methods against the human majority, with CIs.

Every LLM judge (zero-shot) and every baseline present (BM25, embedding similarity, trained classifiers),
scored on the items with a human-majority label; 95% bootstrap intervals over the sampling unit, the
user-prompt pair (``--resample item``: over items). No model fit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from analyses.common import Analysis, Link, Result, Settings, main_for
from toolkit.dataset import Dataset
from toolkit.outputs import interval_display
from toolkit.stages import method_metrics

__all__ = ["METRICS", "LABELS", "KIND_LABELS", "compute", "render", "PUBLISHED", "ANALYSIS", "main"]

METRICS = ("accuracy", "precision", "recall", "f1")
LABELS = {"accuracy": "Acc", "precision": "P", "recall": "R", "f1": "F1"}
KIND_LABELS = {"llm": "LLM zero-shot", "baseline": "baseline"}


def compute(ds: Dataset, settings: Settings) -> Result:
    methods, info = method_metrics(ds, kinds=("llm", "baseline"), n_boot=settings.n_boot, seed=settings.seed,
                                   clusters=settings.clusters("relevance"))
    words = settings.unit_words("relevance")
    table = methods[methods["metric"].isin(METRICS)].reset_index(drop=True)
    display = interval_display(
        table.assign(kind=table["kind"].map(lambda k: KIND_LABELS.get(k, k))),
        index=("method", "kind"), column="metric", columns=METRICS, labels=LABELS,
        index_labels={"method": "Method", "kind": "Type"},
    )
    display.insert(2, "n items", table.groupby("method", sort=False)["n_items"].first().to_numpy())
    return Result(
        table=table,
        caption=(
            f"Stage-2 relevance methods against the human majority ({info['n_items']} items with a majority "
            f"label; {info['n_ties']} ties left out): accuracy, precision, recall and F1 with 95% "
            f"bootstrap intervals over {words} ({settings.n_boot} resamples)."
        ),
        settings={
            "reference": info["source"], "n_reference_items": info["n_items"], "n_ties_excluded": info["n_ties"],
            "n_boot": settings.n_boot,
            "interval": f"95% percentile, bootstrap over {words} (methods on shared resamples)",
        },
        display=display,
        footnote=f"Reference: human majority over {info['n_items']} items; 95% bootstrap intervals over {words}.",
        extra={"order": list(dict.fromkeys(table["method"]))},
    )


def render(result: Result, ds: Dataset) -> Any:
    from toolkit import plotting

    fig, axes = plotting.interval_panels(
        result.table, rows=result.extra["order"], metrics=METRICS,
        titles={"accuracy": "Accuracy", "precision": "Precision", "recall": "Recall", "f1": "F1"},
        group_names={"llm": "LLM judge (zero-shot)"},
    )
    for ax in axes:
        ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0], ["0", ".25", ".5", ".75", "1"])
    return fig


#: The published numbers this analysis regenerates (compared in REPORT.md by analyses.report).
PUBLISHED = {
    "table3.claude.accuracy": Link({"method": "claude-sonnet-4.6", "metric": "accuracy"}),
    **{
        f"table3.{short}.{metric}": Link({"method": method, "metric": metric})
        for short, method in (("roberta", "roberta-classifier"), ("grpo", "qwen3-4b-grpo"))
        for metric in ("accuracy", "precision", "recall", "f1")
    },
}

ANALYSIS = Analysis(
    name="table3",
    title="Table 3: stage-2 relevance methods, accuracy / precision / recall / F1 with intervals",
    needs=("raters", "relevance_judgments"),
    compute=compute,
    render=render,
    width=7.0,
    is_table=True,
    published=PUBLISHED,
)


def main(argv: Sequence[str] | None = None) -> int:
    return main_for(ANALYSIS, argv)


if __name__ == "__main__":
    raise SystemExit(main())
