"""Table 6: per judge, the mean rating, the Spearman correlation with the human mean rating, and the latent
(noise-corrected) correlation against the noise ceiling set by human disagreement.

* Mean rating: observed (95% bootstrap over responses, the stage's sampling unit) and the rating model's
  implied mean over the generator mix (credible interval).
* Spearman rho of each LLM judge's rating with the mean human rating of the same cell
  (:func:`toolkit.metrics.judge_correlations`; bootstrap interval over responses; ``--resample item``: the
  Fisher-z interval), as in the paper.
* Correlation model (:mod:`toolkit.models.correlation`): each judge's latent correlation with the human true
  score (disattenuated for human noise), the correlation it is expected to show with the 3-human mean, and the
  noise ceiling (the largest correlation any scorer can have with that mean).
* Human inter-annotator agreement: mean pairwise Spearman and quadratic-weighted kappa (bootstrap intervals).
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
from toolkit.outputs import format_interval
from toolkit.stages import NO_RESAMPLING, human_rating_agreement, judge_spearman, rating_summary
from toolkit.views import judge_order, rating_long
from toolkit.vocabulary import HUMAN, LLM_ORDER

__all__ = ["COLUMNS", "compute", "render", "PUBLISHED", "ANALYSIS", "main"]

COLUMNS = ["judge", "statistic", "estimate", "value", "ci_low", "ci_high", "p_value", "n", "resampled_unit"]


def _rows(frame: pd.DataFrame, judge: str, statistic: str, estimate: str, value: str = "value",
          n: str | None = None, p: str | None = None, stat_col: str | None = None) -> pd.DataFrame:
    unit = frame["resampled_unit"] if "resampled_unit" in frame.columns else NO_RESAMPLING
    return pd.DataFrame({
        "judge": frame[judge], "statistic": frame[stat_col] if stat_col else statistic, "estimate": estimate,
        "value": frame[value], "ci_low": frame["ci_low"], "ci_high": frame["ci_high"],
        "p_value": frame[p] if p else np.nan, "n": frame[n] if n else pd.NA, "resampled_unit": unit,
    })


def compute(ds: Dataset, settings: Settings) -> Result:
    rating_fit = fit_model("rating", ds, settings)
    corr_fit = fit_model("correlation", ds, settings)
    level = interval_level(rating_fit)
    boot = {"n_boot": settings.n_boot, "seed": settings.seed, "clusters": settings.clusters("rating")}
    words = settings.unit_words("rating")
    means = rating_summary(ds, by="judge", **boot)
    means = means[means["statistic"] == "mean_rating"]
    judges_t = rating_fit.summaries["judges"]
    model_means = judges_t[judges_t["quantity"] == "mean_rating"]
    spear = judge_spearman(ds, **boot)
    spear_ci = f"95% bootstrap interval over {words}" if boot["clusters"] else "Fisher-z 95% interval"
    scorers = corr_fit.summaries["scorers"]
    latent = scorers[scorers["quantity"].isin(["latent_correlation", "expected_observed_correlation"])
                     & (scorers["kind"] == "llm")]
    ceiling = corr_fit.summaries["ceiling"]
    ceiling = ceiling[ceiling["quantity"].isin(["ceiling", "single_rater_reliability"])]
    agreement = human_rating_agreement(ds, **boot)
    parts = [
        _rows(means, "judge", "mean_rating", "observed", n="n"),
        _rows(model_means, "rater_id", "mean_rating", "model", value="mean"),
        _rows(spear, "judge", "spearman", "observed", n="n_items", p="p_value"),
        _rows(latent, "scorer", "", "model", value="mean", stat_col="quantity"),
        _rows(ceiling.assign(judge=HUMAN), "judge", "", "model", value="mean", stat_col="quantity").assign(
            statistic=lambda f: f["statistic"].replace({"ceiling": "noise_ceiling"})),
        _rows(agreement.assign(judge="human-human"), "judge", "", "observed", stat_col="metric", n="n_pairs"),
    ]
    table = pd.concat(parts, ignore_index=True)
    order = judge_order(ds, rating_long(ds)["judge"].unique())
    pos = {j: i for i, j in enumerate([*order, "human-human"])}
    table = table.sort_values("judge", key=lambda c: c.map(pos), kind="stable").reset_index(drop=True)
    table["n"] = table["n"].astype("Int64")
    ceil = ceiling.set_index("quantity")
    k = int(corr_fit.summaries["ceiling"]["k"].iloc[0]) if "k" in corr_fit.summaries["ceiling"] else 3
    ceiling_text = format_interval(ceil.loc["ceiling", "mean"], ceil.loc["ceiling", "ci_low"], ceil.loc["ceiling", "ci_high"])
    return Result(
        table=table,
        caption=(
            f"Stage-3 judges: mean rating (observed with 95% bootstrap interval over {words}; rating model with "
            f"{pct(level)} credible interval), Spearman rho with the mean human rating of each cell ({spear_ci}), "
            "the correlation model's latent correlation with the human true score (disattenuated) and "
            f"the correlation it implies with the {k}-human mean. Noise ceiling (largest correlation any scorer "
            f"can reach with the {k}-human mean): {ceiling_text}."
        ),
        settings=model_settings(settings, rating_fit, corr_fit, weighted_kappa="quadratic weights",
                                observed_interval=f"95% percentile bootstrap over {words}; Spearman: {spear_ci}"),
        display=_display(table, order),
        warnings=fit_warnings(rating_fit, corr_fit),
        footnote=f"Noise ceiling: correlation of a perfect scorer with the {k}-human mean ({pct(level)} CrI band).",
        extra={"order": order},
    )


def _display(table: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    def cell(judge: str, statistic: str, estimate: str) -> str:
        hit = table[(table["judge"] == judge) & (table["statistic"] == statistic) & (table["estimate"] == estimate)]
        if hit.empty:
            return "-"
        r = hit.iloc[0]
        return format_interval(r["value"], r["ci_low"], r["ci_high"])

    rows = []
    for j in order:
        rows.append({
            "Judge": "Human (pooled)" if j == HUMAN else j,
            "Mean rating": cell(j, "mean_rating", "observed"),
            "Model mean": cell(j, "mean_rating", "model"),
            "Spearman with human mean": cell(j, "spearman", "observed"),
            "Latent r": cell(j, "latent_correlation", "model"),
            "Expected r with human mean": cell(j, "expected_observed_correlation", "model"),
        })
    rows.append({
        "Judge": "Human-human agreement", "Mean rating": "-", "Model mean": "-",
        "Spearman with human mean": cell("human-human", "spearman", "observed") + " (pairwise)",
        "Latent r": "-", "Expected r with human mean": "noise ceiling " + cell(HUMAN, "noise_ceiling", "model"),
    })
    return pd.DataFrame(rows)


def render(result: Result, ds: Dataset) -> Any:
    from toolkit import plotting

    t = result.table
    order = result.extra["order"]
    blue, orange = plotting.GROUP_COLORS["human"], plotting.GROUP_COLORS["llm"]
    styles = {"model": {"color": blue, "marker": "o"}, "observed": {"color": "#333333", "marker": "o", "mfc": "none"}}
    panel = t[t["judge"].isin(order)].copy()
    panel["metric"] = panel["statistic"]
    corr = panel[panel["statistic"].isin(["spearman", "expected_observed_correlation"])].copy()
    corr["metric"] = "correlation"
    corr["estimate"] = corr["statistic"].map({"spearman": "observed", "expected_observed_correlation": "model"})
    plotted = pd.concat([panel[panel["statistic"].isin(["mean_rating", "latent_correlation"])], corr])
    fig, axes = plotting.interval_panels(
        plotted, rows=order, metrics=["mean_rating", "correlation", "latent_correlation"],
        titles={"mean_rating": "Mean rating", "correlation": "Correlation with\nhuman mean rating",
                "latent_correlation": "Latent correlation\n(noise-corrected)"},
        row="judge", group="estimate", styles=styles, dodge=0.3, row_height=0.3, value_labels=False,
        xlims={"mean_rating": (1.0, 5.0), "correlation": (-0.2, 1.0), "latent_correlation": (-0.2, 1.0)},
        refs={"mean_rating": 3.0}, row_labels={HUMAN: "humans"},
        group_names={"model": "model", "observed": "observed"}, xlim=None,
    )
    ceiling = t[(t["statistic"] == "noise_ceiling")]
    if len(ceiling):
        c = ceiling.iloc[0]
        ax = axes[1]
        ax.axvspan(c["ci_low"], c["ci_high"], color=orange, alpha=0.18, lw=0)
        ax.axvline(c["value"], color=orange, lw=1.0)
        ax.annotate(f"noise ceiling {c['value']:.2f}", (c["value"], -0.45), xytext=(-3, 0), textcoords="offset points",
                    ha="right", va="center", fontsize=5.5, color="#8a5a00")
    for ax in axes[1:]:
        ax.axvline(0, color="#777777", lw=0.6, ls="--", zorder=0)
    return fig


#: The published numbers this analysis regenerates (compared in REPORT.md by analyses.report).
PUBLISHED = {
    **{
        key: link
        for judge in LLM_ORDER
        for key, link in (
            (f"table6.{judge}.mean", Link(
                {"judge": judge, "statistic": "mean_rating", "estimate": "observed"},
                model={"judge": judge, "statistic": "mean_rating", "estimate": "model"},
            )),
            (f"table6.{judge}.spearman", Link(
                {"judge": judge, "statistic": "spearman", "estimate": "observed"},
                model={"judge": judge, "statistic": "latent_correlation", "estimate": "model"},
                note="model column: latent (noise-free) correlation, not a Spearman",
            )),
        )
    },
    "stage3.human_spearman": Link({"judge": "human-human", "statistic": "spearman"}),
    "stage3.human_weighted_kappa": Link({"judge": "human-human", "statistic": "weighted_kappa"}, note="quadratic weights"),
}

ANALYSIS = Analysis(
    name="table6",
    title="Table 6: judges' mean rating, Spearman with the human mean, latent correlation and noise ceiling",
    needs=("raters", "responses", "response_ratings"),
    compute=compute,
    render=render,
    is_table=True,
    uses_model=True,
    models=("rating", "correlation"),
    width=7.0,
    published=PUBLISHED,
)


def main(argv: Sequence[str] | None = None) -> int:
    return main_for(ANALYSIS, argv)


if __name__ == "__main__":
    raise SystemExit(main())
