"""Figure 7: per model, how often it mentions attributes explicitly as a generator vs how much it rewards
explicit mentions as a judge, with the Spearman correlation across models.

x: the share of a generator's rated cells whose attribute its personalized response mentions explicitly
(95% bootstrap interval over responses). y: the same model's mention effect as a judge from the rating model
(rating scale, credible interval). Spearman r and p from :func:`toolkit.metrics.correlation` with n = number of
models (the paper: r = 0.90, p = 0.04, n = 5).
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
from toolkit.metrics import correlation
from toolkit.resampling import spearman_permutation_p
from toolkit.stages import FISHER_Z, NO_RESAMPLING, mention_differences, mention_rates

__all__ = ["compute", "render", "PUBLISHED", "ANALYSIS", "main"]


def compute(ds: Dataset, settings: Settings) -> Result:
    boot = {"n_boot": settings.n_boot, "seed": settings.seed, "clusters": settings.clusters("rating")}
    rates = mention_rates(ds, **boot)
    fit = fit_model("rating", ds, settings)
    level = interval_level(fit)
    mention = fit.summaries["mention"]
    effect = mention[mention["quantity"] == "rating"].set_index("rater")
    models = [g for g in rates["generator"] if g in effect.index]
    if len(models) < 2:
        raise DataError(ds.path, 0, "response_ratings",
                        "Figure 7 needs at least two models that are both a generator and an LLM judge")
    r = rates.set_index("generator").loc[models]
    e = effect.loc[models]
    per_model = pd.concat([
        pd.DataFrame({"model": models, "statistic": "mention_rate", "value": r["value"].to_numpy(),
                      "ci_low": r["ci_low"].to_numpy(), "ci_high": r["ci_high"].to_numpy(), "p_value": np.nan,
                      "n": r["n"].to_numpy(), "resampled_unit": r["resampled_unit"].to_numpy()}),
        pd.DataFrame({"model": models, "statistic": "mention_effect", "value": e["mean"].to_numpy(),
                      "ci_low": e["ci_low"].to_numpy(), "ci_high": e["ci_high"].to_numpy(), "p_value": np.nan,
                      "n": np.nan, "resampled_unit": NO_RESAMPLING}),
    ], ignore_index=True)
    raw = mention_differences(ds, **boot).set_index("judge").loc[models]
    per_model = pd.concat([per_model, pd.DataFrame({
        "model": models, "statistic": "mention_effect_observed", "value": raw["value"].to_numpy(),
        "ci_low": raw["ci_low"].to_numpy(), "ci_high": raw["ci_high"].to_numpy(), "p_value": np.nan,
        "n": (raw["n_mention"] + raw["n_other"]).to_numpy(), "resampled_unit": raw["resampled_unit"].to_numpy(),
    })], ignore_index=True)
    corr = correlation(r["value"].to_numpy(), e["mean"].to_numpy(), method="spearman").iloc[0]
    corr_obs = correlation(r["value"].to_numpy(), raw["value"].to_numpy(), method="spearman").iloc[0]
    exact = spearman_permutation_p(r["value"].to_numpy(), e["mean"].to_numpy())
    exact_obs = spearman_permutation_p(r["value"].to_numpy(), raw["value"].to_numpy())
    summary = pd.DataFrame([
        {"model": "all", "statistic": name, "value": c["value"], "ci_low": c["ci_low"],
         "ci_high": c["ci_high"], "p_value": c["p_value"], "n": len(models)}
        for name, c in (("spearman", corr), ("spearman_observed", corr_obs))
    ] + [
        {"model": "all", "statistic": f"{name}_p_value", "value": c["p_value"], "ci_low": np.nan,
         "ci_high": np.nan, "p_value": np.nan, "n": len(models)}
        for name, c in (("spearman", corr), ("spearman_observed", corr_obs))
    ] + [
        {"model": "all", "statistic": f"{name}_exact_p_value", "value": p, "ci_low": np.nan,
         "ci_high": np.nan, "p_value": np.nan, "n": len(models)}
        for name, p in (("spearman", exact), ("spearman_observed", exact_obs))
    ])
    summary["resampled_unit"] = np.where(summary["ci_low"].notna(), FISHER_Z, NO_RESAMPLING)
    table = pd.concat([per_model, summary], ignore_index=True)
    table["n"] = table["n"].astype("Int64")
    return Result(
        table=table,
        caption=(
            "Per model: explicit-mention rate as a generator (share of rated attribute cells mentioned "
            f"explicitly; 95% bootstrap interval over {settings.unit_words('rating')}) against the mention effect "
            "as a judge (rating "
            f"model, rating scale; {pct(level)} credible interval). Spearman r = {corr['value']:.2f}, "
            f"n = {len(models)} models, p = {corr['p_value']:.3g} (t approximation, as in the paper) and "
            f"{exact:.3g} (exact permutation test). With the raw (observed) mention differences as judge effects, "
            f"as in the paper: r = {corr_obs['value']:.2f}, p = {corr_obs['p_value']:.3g} (t approximation), "
            f"{exact_obs:.3g} (exact)."
        ),
        settings=model_settings(settings, fit, correlation="Spearman on the point estimates (pingouin), n = models"),
        warnings=fit_warnings(fit),
        footnote=(f"Spearman across models on point estimates (t-approximation p = {corr['p_value']:.2g}); "
                  f"x: 95% bootstrap CI, y: {pct(level)} CrI."),
        extra={"models": models, "r": float(corr["value"]), "p": float(corr["p_value"]), "p_exact": exact},
    )


def render(result: Result, ds: Dataset) -> Any:
    from toolkit import plotting

    t = result.table
    models = result.extra["models"]
    x = t[t["statistic"] == "mention_rate"].set_index("model").loc[models]
    y = t[t["statistic"] == "mention_effect"].set_index("model").loc[models]
    fig, ax = plotting.new_figure(plotting.COLUMN_WIDTH, 2.6)
    colours = [plotting.PALETTE[c] for c in ("orange", "blue", "green", "vermillion", "purple", "skyblue", "black")]
    ax.axhline(0, color="#777777", lw=0.7, ls="--", zorder=0)
    for i, m in enumerate(models):
        c = colours[i % len(colours)]
        ax.errorbar(x.loc[m, "value"], y.loc[m, "value"],
                    xerr=[[x.loc[m, "value"] - x.loc[m, "ci_low"]], [x.loc[m, "ci_high"] - x.loc[m, "value"]]],
                    yerr=[[y.loc[m, "value"] - y.loc[m, "ci_low"]], [y.loc[m, "ci_high"] - y.loc[m, "value"]]],
                    fmt="o", ms=4, color=c, elinewidth=0.9, capsize=1.5, alpha=0.95, label=m)
    ax.set_xlabel("explicit-mention rate as generator")
    ax.set_ylabel("mention effect as judge\n(rating points)")
    xmax = float(np.nanmax(x["ci_high"].to_numpy(float))) if len(x) else 1.0
    ax.set_xlim(-0.03 * xmax, 1.05 * xmax)
    ax.xaxis.set_major_formatter(_percent())
    ax.set_title(f"Spearman r = {result.extra['r']:.2f} (n = {len(models)} models)\n"
                 f"exact permutation p = {result.extra['p_exact']:.3f}", fontsize=8)
    ax.legend(loc="best", fontsize=6, handletextpad=0.3, borderaxespad=0.3)
    ax.grid(color="#eeeeee", lw=0.5)
    ax.set_axisbelow(True)
    return fig


def _percent() -> Any:
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(1.0, decimals=0)


#: The published numbers this analysis regenerates (compared in REPORT.md by analyses.report).
PUBLISHED = {
    "fig7.spearman": Link(
        {"statistic": "spearman_observed"}, model={"statistic": "spearman"},
        note="judge effects: raw mention differences (model column: rating-model effects); n = number of models",
    ),
    "fig7.p_value": Link({"statistic": "spearman_observed_p_value"}, model={"statistic": "spearman_p_value"}),
    "fig7.claude.mention_rate": Link({"model": "claude-sonnet-4.6", "statistic": "mention_rate"}),
}

ANALYSIS = Analysis(
    name="figure7",
    title="Figure 7: explicit-mention rate as generator vs mention effect as judge",
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
