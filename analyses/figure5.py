"""Figure 5: per generator, the human mean rating and P(personalized better than generic).

Model estimates come from the stage-3 rating model (:mod:`toolkit.models.rating`, a cumulative-logit mixed
model): the expected rating and P(rating > 3) a typical human gives a new attribute rating of each generator,
with credible intervals. Observed values (human ratings, cell-bootstrap 95% intervals) are shown beside them.
The ``all`` row pools the generators (observed) / averages them over their shares of cells (model).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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
from toolkit.stages import NO_RESAMPLING, rating_summary
from toolkit.vocabulary import HUMAN

__all__ = ["STATISTICS", "TITLES", "compute", "render", "PUBLISHED", "ANALYSIS", "main"]

STATISTICS = ("mean_rating", "p_better")
TITLES = {"mean_rating": "Mean human rating", "p_better": "P(rated better)"}


def compute(ds: Dataset, settings: Settings) -> Result:
    fit = fit_model("rating", ds, settings)
    level = interval_level(fit)
    gens = fit.summaries["generators"]
    gens = gens[gens["quantity"].isin(STATISTICS)]
    judges = fit.summaries["judges"]
    human = judges[(judges["rater_id"] == HUMAN) & judges["quantity"].isin(STATISTICS)]
    model = pd.concat([
        pd.DataFrame({"generator": gens["generator"], "statistic": gens["quantity"], "value": gens["mean"],
                      "ci_low": gens["ci_low"], "ci_high": gens["ci_high"]}),
        pd.DataFrame({"generator": "all", "statistic": human["quantity"], "value": human["mean"],
                      "ci_low": human["ci_low"], "ci_high": human["ci_high"]}),
    ], ignore_index=True).assign(estimate="model", n=pd.NA, resampled_unit=NO_RESAMPLING)
    observed = rating_summary(ds, by="generator", n_boot=settings.n_boot, seed=settings.seed,
                              clusters=settings.clusters("rating"))
    words = settings.unit_words("rating")
    observed = observed[observed["statistic"].isin(STATISTICS)].assign(estimate="observed")
    cols = ["generator", "statistic", "estimate", "value", "ci_low", "ci_high", "n", "resampled_unit"]
    table = pd.concat([model[cols], observed[cols]], ignore_index=True)
    order = list(dict.fromkeys(observed["generator"]))
    pos = {g: i for i, g in enumerate(order)}
    table = table.sort_values(["statistic", "generator", "estimate"], key=lambda c: c.map(pos) if c.name == "generator" else c,
                              kind="stable").reset_index(drop=True)
    table["n"] = table["n"].astype("Int64")
    return Result(
        table=table,
        caption=(
            "Stage 3, per generator: mean human rating of the personalized vs the generic response (1 much "
            "worse, 3 no difference, 5 much better) and probability that the personalized response is rated "
            f"better (> 3). Model: rating model posterior means with {pct(level)} credible intervals; observed: "
            f"human ratings with 95% bootstrap intervals over {words} ({settings.n_boot} resamples)."
        ),
        settings=model_settings(settings, fit, observed_interval=f"95% percentile, bootstrap over {words}"),
        warnings=fit_warnings(fit),
        footnote=f"Filled: rating model ({pct(level)} CrI); open: observed (95% bootstrap CI). Dashed: no difference.",
        extra={"order": order},
    )


def render(result: Result, ds: Dataset) -> Any:
    from toolkit import plotting

    table = result.table.rename(columns={"statistic": "metric"})
    blue = plotting.GROUP_COLORS["human"]
    fig, axes = plotting.interval_panels(
        table, rows=result.extra["order"], metrics=STATISTICS, titles=TITLES, row="generator", group="estimate",
        width=plotting.COLUMN_WIDTH, xlim=None, xlims={"p_better": (0.0, 1.0)}, refs={"mean_rating": 3.0, "p_better": 0.5},
        styles={"model": {"color": blue, "marker": "o"}, "observed": {"color": "#333333", "marker": "o", "mfc": "none"}},
        group_names={"model": "rating model", "observed": "observed"}, dodge=0.3, row_height=0.3,
        value_labels=False, row_labels={"all": "all generators"},
    )
    lo = min(2.5, float(table.loc[table["metric"] == "mean_rating", "ci_low"].min()) - 0.1)
    hi = max(3.5, float(table.loc[table["metric"] == "mean_rating", "ci_high"].max()) + 0.1)
    axes[0].set_xlim(lo, hi)
    axes[1].set_xticks([0, 0.25, 0.5, 0.75, 1.0], ["0", ".25", ".5", ".75", "1"])
    n = len(result.extra["order"])
    for ax in axes:
        ax.axhline(n - 1.5, color="#bbbbbb", lw=0.5)
    return fig


#: The published numbers this analysis regenerates (compared in REPORT.md by analyses.report).
PUBLISHED = {
    "fig5.human_mean": Link(
        {"generator": "all", "statistic": "mean_rating", "estimate": "observed"},
        model={"generator": "all", "statistic": "mean_rating", "estimate": "model"},
    ),
    "fig5.share_no_better": Link(
        {"generator": "all", "statistic": "p_better", "estimate": "observed"},
        model={"generator": "all", "statistic": "p_better", "estimate": "model"}, complement=True,
        note="1 - share of human ratings > 3",
    ),
}

ANALYSIS = Analysis(
    name="figure5",
    title="Figure 5: per generator, human mean rating and P(personalized better than generic)",
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
