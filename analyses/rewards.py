"""Beyond the paper: reward models and LLM judges against the noise ceiling of the human ratings.

For each scorer (reward models scoring the personalized responses per attribute, and the LLM judges' 1-5
ratings): the raw Spearman correlation with the mean human rating of each cell (observed; 95% bootstrap
interval over responses, ``--resample item``: Fisher-z interval), and from the correlation model
(:mod:`toolkit.models.correlation`) the correlation it is expected to show with the 3-human mean, its latent
(noise-corrected) correlation with the human true score, and the noise ceiling: the correlation a perfect
scorer would reach with the 3-human mean.
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
from toolkit.jsonl import DataError
from toolkit.stages import NO_RESAMPLING, judge_spearman, scorer_spearman
from toolkit.vocabulary import HUMAN

__all__ = ["COLUMNS", "MODEL_QUANTITIES", "compute", "render", "PUBLISHED", "ANALYSIS", "main"]

COLUMNS = ["scorer", "kind", "statistic", "estimate", "value", "ci_low", "ci_high", "p_value", "n", "resampled_unit"]
MODEL_QUANTITIES = ("expected_observed_correlation", "latent_correlation", "fraction_of_ceiling")


def compute(ds: Dataset, settings: Settings) -> Result:
    boot = {"n_boot": settings.n_boot, "seed": settings.seed, "clusters": settings.clusters("rating")}
    spear_ci = f"95% bootstrap interval over {settings.unit_words('rating')}" if boot["clusters"] else "Fisher-z 95% interval"
    rm = scorer_spearman(ds, **boot)
    if rm.empty:
        raise DataError(ds.path, 0, "scores", "no scores by a reward model (a rater of kind reward_model)")
    fit = fit_model("correlation", ds, settings)
    level = interval_level(fit)
    llm = judge_spearman(ds, **boot).rename(columns={"judge": "scorer"}).assign(kind="llm")
    observed = pd.concat([rm, llm], ignore_index=True)
    observed = pd.DataFrame({
        "scorer": observed["scorer"], "kind": observed["kind"], "statistic": "spearman", "estimate": "observed",
        "value": observed["value"], "ci_low": observed["ci_low"], "ci_high": observed["ci_high"],
        "p_value": observed["p_value"], "n": observed["n_items"], "resampled_unit": observed["resampled_unit"],
    })
    scorers = fit.summaries["scorers"]
    model = scorers[scorers["quantity"].isin(MODEL_QUANTITIES)]
    model = pd.DataFrame({
        "scorer": model["scorer"], "kind": model["kind"], "statistic": model["quantity"], "estimate": "model",
        "value": model["mean"], "ci_low": model["ci_low"], "ci_high": model["ci_high"], "p_value": np.nan,
        "n": pd.NA, "resampled_unit": NO_RESAMPLING,
    })
    ceiling = fit.summaries["ceiling"]
    ceiling = ceiling[ceiling["quantity"] == "ceiling"]
    ceiling = pd.DataFrame({
        "scorer": HUMAN, "kind": "human", "statistic": "noise_ceiling", "estimate": "model",
        "value": ceiling["mean"], "ci_low": ceiling["ci_low"], "ci_high": ceiling["ci_high"], "p_value": np.nan,
        "n": pd.NA, "resampled_unit": NO_RESAMPLING,
    })
    table = pd.concat([observed, model, ceiling], ignore_index=True)
    order = list(dict.fromkeys(observed["scorer"]))
    pos = {s: i for i, s in enumerate([*order, HUMAN])}
    table = table.sort_values("scorer", key=lambda c: c.map(pos), kind="stable").reset_index(drop=True)
    table["n"] = table["n"].astype("Int64")
    c = ceiling.iloc[0]
    return Result(
        table=table,
        caption=(
            "Reward models and LLM judges against the human ratings of stage 3: raw Spearman correlation with the "
            f"mean human rating per cell ({spear_ci}), and from the correlation model the correlation "
            "expected with the human mean and the latent (noise-corrected) correlation, with "
            f"{pct(level)} credible intervals. Noise ceiling: {c['value']:.3f} [{c['ci_low']:.3f}, {c['ci_high']:.3f}]."
        ),
        settings=model_settings(settings, fit, observed_interval=spear_ci),
        warnings=fit_warnings(fit),
        footnote="Band: noise ceiling, the best correlation any scorer can reach with the mean of the human ratings.",
        extra={"order": order},
    )


def render(result: Result, ds: Dataset) -> Any:
    from toolkit import plotting

    t = result.table
    order = result.extra["order"]
    panel = t[t["scorer"].isin(order) & t["statistic"].isin(["spearman", "expected_observed_correlation",
                                                             "latent_correlation"])].copy()
    panel["metric"] = panel["statistic"].replace({"spearman": "correlation", "expected_observed_correlation": "correlation"})
    panel["group"] = panel["kind"] + "|" + panel["estimate"]
    green, orange = plotting.GROUP_COLORS["reward_model"], plotting.GROUP_COLORS["llm"]
    styles = {
        "reward_model|model": {"color": green, "marker": "^"},
        "reward_model|observed": {"color": green, "marker": "^", "mfc": "none"},
        "llm|model": {"color": orange, "marker": "o"},
        "llm|observed": {"color": orange, "marker": "o", "mfc": "none"},
    }
    fig, axes = plotting.interval_panels(
        panel, rows=order, metrics=["correlation", "latent_correlation"],
        titles={"correlation": "Correlation with the human mean rating",
                "latent_correlation": "Latent correlation (noise-corrected)"},
        row="scorer", group="group", styles=styles, dodge=0.3, row_height=0.28, value_labels=False,
        width=plotting.TEXT_WIDTH, xlim=(-0.2, 1.0), headroom=0.9,
        group_names={"reward_model|model": "reward model (correlation model)",
                     "reward_model|observed": "reward model (observed)",
                     "llm|model": "LLM judge (correlation model)", "llm|observed": "LLM judge (observed)"},
    )
    ceiling = t[t["statistic"] == "noise_ceiling"]
    if len(ceiling):
        c = ceiling.iloc[0]
        ax = axes[0]
        ax.axvspan(c["ci_low"], c["ci_high"], color="#999999", alpha=0.2, lw=0)
        ax.axvline(c["value"], color="#555555", lw=1.0)
        ax.annotate(f"noise ceiling {c['value']:.2f}", (c["value"], -0.7), xytext=(-3, 0), textcoords="offset points",
                    ha="right", va="center", fontsize=5.5, color="#333333")
    n_rm = int((t.drop_duplicates("scorer").set_index("scorer").loc[order, "kind"] == "reward_model").sum())
    for ax in axes:
        ax.axvline(0, color="#777777", lw=0.6, ls="--", zorder=0)
        if 0 < n_rm < len(order):
            ax.axhline(n_rm - 0.5, color="#bbbbbb", lw=0.5)
    return fig


#: The published numbers this analysis regenerates (compared in REPORT.md by analyses.report).
PUBLISHED = {
    "rewards.spearman": Link(
        {"kind": "reward_model", "statistic": "spearman", "estimate": "observed"}, mean_of_rows=True,
        note="mean over the reward models of their Spearman with the human mean rating",
    ),
}

ANALYSIS = Analysis(
    name="rewards",
    title="Reward models and LLM judges against the noise ceiling of the human ratings",
    needs=("raters", "responses", "response_ratings", "scores"),
    compute=compute,
    render=render,
    uses_model=True,
    models=("correlation",),
    width=7.0,
    published=PUBLISHED,
)


def main(argv: Sequence[str] | None = None) -> int:
    return main_for(ANALYSIS, argv)


if __name__ == "__main__":
    raise SystemExit(main())
