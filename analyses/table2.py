"""Table 2: stage-1 verifiers' precision, recall and F1 at flagging problematic attributes.

A verifier (a trained classifier such as the RoBERTa verifier, or a prompted LLM) flags an attribute when its
label is uncertain or rejected; the reference is the human majority of the same binary label (uncertain or
rejected = problematic). Intervals are 95% bootstrap percentiles over the sampling unit, the user (``--resample
item``: over attributes). No model fit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from analyses.common import Analysis, Link, Result, Settings, main_for
from toolkit.dataset import Dataset
from toolkit.outputs import interval_display
from toolkit.stages import verifier_metrics

__all__ = ["METRICS", "SHOWN", "LABELS", "KIND_LABELS", "compute", "render", "PUBLISHED", "ANALYSIS", "main"]

METRICS = ("precision", "recall", "f1", "accuracy", "positive_rate")
SHOWN = ("precision", "recall", "f1")
LABELS = {"precision": "P", "recall": "R", "f1": "F1", "accuracy": "Acc", "positive_rate": "Flag rate"}
KIND_LABELS = {"baseline": "trained", "reward_model": "trained", "llm": "prompted LLM"}


def compute(ds: Dataset, settings: Settings) -> Result:
    table, info = verifier_metrics(ds, n_boot=settings.n_boot, seed=settings.seed, clusters=settings.clusters("extraction"))
    words = settings.unit_words("extraction")
    table = table[table["metric"].isin(METRICS)].reset_index(drop=True)
    display = interval_display(
        table.assign(kind=table["kind"].map(lambda k: KIND_LABELS.get(k, k))),
        index=("verifier", "kind"), column="metric", columns=(*SHOWN, "positive_rate"), labels=LABELS,
        index_labels={"verifier": "Verifier", "kind": "Type"},
    )
    display.insert(2, "n attributes", table.groupby("verifier", sort=False)["n_items"].first().to_numpy())
    return Result(
        table=table,
        caption=(
            "Stage-1 verifiers at flagging problematic attributes (uncertain or rejected) against the human "
            f"majority ({info['n_items']} attributes; {info['n_ties']} ties left out): precision, recall, F1 "
            f"and flag rate with 95% bootstrap intervals over {words} ({settings.n_boot} resamples)."
        ),
        settings={
            "reference": info["source"], "positive_class": "problematic (uncertain or rejected)",
            "n_reference_items": info["n_items"], "n_ties_excluded": info["n_ties"], "n_boot": settings.n_boot,
            "interval": f"95% percentile, bootstrap over {words} (verifiers on shared resamples)",
        },
        display=display,
        footnote=f"Positive class: problematic under the human majority ({info['n_items']} attributes).",
        extra={"order": list(dict.fromkeys(table["verifier"]))},
    )


def render(result: Result, ds: Dataset) -> Any:
    from toolkit import plotting

    fig, axes = plotting.interval_panels(
        result.table, rows=result.extra["order"], metrics=SHOWN, row="verifier",
        titles={"precision": "Precision", "recall": "Recall", "f1": "F1"},
        group_names={"baseline": "trained verifier", "llm": "prompted LLM"},
        width=plotting.TEXT_WIDTH,
    )
    for ax in axes:
        ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0], ["0", ".25", ".5", ".75", "1"])
    return fig


#: The published numbers this analysis regenerates (compared in REPORT.md by analyses.report).
PUBLISHED = {
    "table2.roberta.f1": Link({"verifier": "roberta-verifier", "metric": "f1"}),
    "table2.claude.f1": Link({"verifier": "claude-sonnet-4.6", "metric": "f1"}),
}

ANALYSIS = Analysis(
    name="table2",
    title="Table 2: stage-1 verifiers, precision / recall / F1 at flagging problematic attributes",
    needs=("raters", "users", "attributes", "extraction_judgments"),
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
