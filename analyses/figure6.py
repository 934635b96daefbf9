"""Figure 6: per judge (humans included), the rating difference when the response mentions the attribute
explicitly minus when it does not.

Model: the rating model's mention effect on the rating scale (expected rating with minus without an explicit
mention, generator mix held fixed) with its credible interval and whether the interval excludes 0. Observed:
the raw difference of mean ratings (the paper's statistic), with a 95% paired bootstrap interval over
responses (``--resample item``: the earlier bootstrap over cells).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from analyses.common import (
    Analysis,
    Link,
    Result,
    Settings,
    fit_model,
    fit_warnings,
    interval_level,
    main_for,
    model_settings,
    pct,
)
from toolkit.dataset import Dataset
from toolkit.stages import NO_RESAMPLING, mention_differences
from toolkit.views import judge_order, rating_long

__all__ = ["compute", "render", "PUBLISHED", "ANALYSIS", "main"]


def compute(ds: Dataset, settings: Settings) -> Result:
    fit = fit_model("rating", ds, settings)
    level = interval_level(fit)
    mention = fit.summaries["mention"]
    rating = mention[mention["quantity"] == "rating"]
    model = pd.DataFrame({
        "judge": rating["rater"], "estimate": "model", "value": rating["mean"], "ci_low": rating["ci_low"],
        "ci_high": rating["ci_high"], "significant": rating["significant"].astype(bool),
        "resampled_unit": NO_RESAMPLING,
    })
    observed = mention_differences(ds, n_boot=settings.n_boot, seed=settings.seed,
                                   clusters=settings.clusters("rating"))
    words = settings.unit_words("rating")
    paired = "paired " if settings.resample == "unit" else ""
    observed = observed.assign(
        estimate="observed", significant=(observed["ci_low"] > 0) | (observed["ci_high"] < 0)
    )
    counts = observed.set_index("judge")[["n_mention", "n_other"]]
    table = pd.concat([model, observed[model.columns]], ignore_index=True)
    table = table.join(counts, on="judge")
    order = judge_order(ds, rating_long(ds)["judge"].unique())
    pos = {j: i for i, j in enumerate(order)}
    table = table.sort_values(["judge", "estimate"], key=lambda c: c.map(pos) if c.name == "judge" else c,
                              kind="stable").reset_index(drop=True)
    sig = [j for j in model.loc[model["significant"], "judge"]]
    return Result(
        table=table,
        caption=(
            "Explicit-mention effect per judge: rating when the personalized response mentions the attribute "
            "explicitly minus when it does not (humans pooled). Model: rating-model effect on the rating scale, "
            f"posterior mean with {pct(level)} credible interval; observed: raw difference of mean ratings with "
            f"95% {paired}bootstrap interval over {words}. Interval excluding 0 (model): "
            f"{', '.join(sig) if sig else 'none'}."
        ),
        settings=model_settings(settings, fit, observed_interval=f"95% percentile, {paired}bootstrap over {words}"),
        warnings=fit_warnings(fit),
        footnote=f"Filled: rating model ({pct(level)} CrI; * interval excludes 0); open: observed raw difference.",
        extra={"order": order},
    )


def render(result: Result, ds: Dataset) -> Any:
    from toolkit import plotting

    table = result.table.assign(metric="effect")
    blue = plotting.GROUP_COLORS["human"]
    span = np.nanmax(np.abs(table[["ci_low", "ci_high", "value"]].to_numpy(dtype=float)))
    span = float(np.ceil((span + 0.05) * 4) / 4) if np.isfinite(span) else 1.0
    fig, axes = plotting.interval_panels(
        table, rows=result.extra["order"], metrics=["effect"],
        titles={"effect": "Rating difference, mention minus not"}, row="judge", group="estimate",
        width=plotting.COLUMN_WIDTH, xlim=(-span, span), refs={"effect": 0.0},
        styles={"model": {"color": blue, "marker": "o"}, "observed": {"color": "#333333", "marker": "o", "mfc": "none"}},
        group_names={"model": "rating model", "observed": "observed"}, dodge=0.3, row_height=0.28,
        value_labels=False, row_labels={"human": "humans"},
    )
    ax = axes[0]
    ypos = {j: i for i, j in enumerate(result.extra["order"])}
    model = table[(table["estimate"] == "model")]
    for j, v, hi, sig in model[["judge", "value", "ci_high", "significant"]].itertuples(index=False):
        label = f"{v:+.2f}" + ("*" if sig else "")
        ax.annotate(label, (hi if np.isfinite(hi) else v, ypos[j] - 0.15), xytext=(3, 0), textcoords="offset points",
                    va="center", fontsize=5.5, color=blue, fontweight="bold" if sig else "normal")
    ax.set_xlabel("rating points (1-5 scale)")
    return fig


#: The published numbers this analysis regenerates (compared in REPORT.md by analyses.report).
PUBLISHED = {
    f"fig6.{key}.mention_effect": Link({"judge": judge, "estimate": "observed"}, model={"judge": judge, "estimate": "model"})
    for key, judge in (("human", "human"), ("gpt-5.4", "gpt-5.4"), ("claude-sonnet-4.6", "claude-sonnet-4.6"))
}

ANALYSIS = Analysis(
    name="figure6",
    title="Figure 6: per judge, rating difference for explicit mention minus not",
    needs=("raters", "responses", "response_ratings"),
    compute=compute,
    render=render,
    uses_model=True,
    models=("rating",),
    width=3.4,
    published=PUBLISHED,
)


def main(argv: Sequence[str] | None = None) -> int:
    return main_for(ANALYSIS, argv)


if __name__ == "__main__":
    raise SystemExit(main())
