"""Beyond the paper: each stage-2 rater's sensitivity, specificity and YES rate from the judge model.

The judge model (:mod:`toolkit.models.judge`, a latent-class model with a shared item x rater-group effect)
estimates every human annotator's and LLM judge's sensitivity and specificity against the latent true label,
rather than against a noisy human majority. 95% equal-tailed credible intervals.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from analyses.common import Analysis, Result, Settings, fit_model, fit_warnings, main_for, model_settings
from toolkit.dataset import Dataset
from toolkit.jsonl import DataError
from toolkit.views import rater_groups, relevance_long

__all__ = ["QUANTITIES", "TITLES", "MIN_RATERS", "compute", "render", "ANALYSIS", "main"]

QUANTITIES = ("sens", "spec", "yes_rate")
TITLES = {"sens": "Sensitivity", "spec": "Specificity", "yes_rate": "YES rate"}


#: A latent-class model of raters needs at least three raters to be identified (Dawid & Skene 1979).
MIN_RATERS = 3


def compute(ds: Dataset, settings: Settings) -> Result:
    judged = set(relevance_long(ds)["rater_id"])
    raters = [r for ids in rater_groups(ds).values() for r in ids if r in judged]
    if len(raters) < MIN_RATERS:
        raise DataError(
            ds.path, 0, "relevance_judgments",
            f"the judge model needs relevance judgments by at least {MIN_RATERS} human or LLM raters "
            f"(found {len(raters)}: {', '.join(raters) or 'none'})",
        )
    fit = fit_model("judge", ds, settings)
    raters = fit.summaries["raters"]
    rows = raters[raters["quantity"].isin(QUANTITIES)]
    table = pd.DataFrame({
        "rater": rows["rater"], "group": rows["group"], "quantity": rows["quantity"], "estimate": "model",
        "value": rows["mean"], "ci_low": rows["ci_low"], "ci_high": rows["ci_high"],
    })
    parts = [table]
    yes = raters[(raters["quantity"] == "yes_rate")]
    if "observed" in yes.columns:
        parts.append(pd.DataFrame({
            "rater": yes["rater"], "group": yes["group"], "quantity": "yes_rate", "estimate": "observed",
            "value": yes["observed"], "ci_low": np.nan, "ci_high": np.nan,
        }))
    diffs = fit.summaries.get("differences")
    if diffs is not None and len(diffs):
        d = diffs[diffs["quantity"].isin(QUANTITIES)]
        parts.append(pd.DataFrame({
            "rater": d["contrast"], "group": "difference", "quantity": d["quantity"], "estimate": "model",
            "value": d["mean"], "ci_low": d["ci_low"], "ci_high": d["ci_high"],
        }))
    table = pd.concat(parts, ignore_index=True)
    order = list(dict.fromkeys(rows["rater"]))
    return Result(
        table=table,
        caption=(
            "Sensitivity and specificity of each stage-2 rater against the latent true relevance, and YES rate, "
            "from the judge model (latent-class model with shared item x group effects); posterior means with "
            "95% credible intervals; observed YES rates as open markers."
        ),
        settings=model_settings(settings, fit),
        warnings=fit_warnings(fit),
        footnote="Judge model: posterior means, 95% credible intervals; open markers: observed YES rate.",
        extra={"order": order},
    )


def render(result: Result, ds: Dataset) -> Any:
    from toolkit import plotting

    table = result.table
    model = table[(table["estimate"] == "model") & (table["group"] != "difference")].rename(columns={"quantity": "metric", "group": "kind"})
    fig, axes = plotting.interval_panels(
        model, rows=result.extra["order"], metrics=QUANTITIES, titles=TITLES, row="rater",
        width=plotting.TEXT_WIDTH, group_names={"llm": "LLM judge"},
        extra_legend=[(plotting.observed_handle(), "observed YES rate")],
    )
    observed = table[(table["estimate"] == "observed")]
    ypos = {r: i for i, r in enumerate(result.extra["order"])}
    if len(observed):
        ax = axes[list(QUANTITIES).index("yes_rate")]
        ax.scatter(observed["value"], [ypos[r] for r in observed["rater"]], s=14, facecolors="none",
                   edgecolors="#333333", linewidths=0.6, zorder=3)
    for ax in axes:
        ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0], ["0", ".25", ".5", ".75", "1"])
    return fig


ANALYSIS = Analysis(
    name="judges",
    title="Stage-2 raters' sensitivity and specificity from the judge model",
    needs=("raters", "relevance_judgments"),
    compute=compute,
    render=render,
    width=7.0,
    uses_model=True,
    models=("judge",),
)


def main(argv: Sequence[str] | None = None) -> int:
    return main_for(ANALYSIS, argv)


if __name__ == "__main__":
    raise SystemExit(main())
