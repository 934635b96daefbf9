"""Figure 2: stage-1 accepted / uncertain / rejected shares per user source, the real-minus-synthetic gap in
problematic attributes, and the failure modes of problematic attributes.

Model estimates come from the extraction model (:mod:`toolkit.models.extraction`, a cumulative-logit mixed
model with user and annotator effects): the label shares a new annotator would give a new user of each source,
with credible intervals. Observed shares (human judgments, bootstrap over users) are shown beside them.
Failure-mode shares are observed shares among problematic judgments (bootstrap over users; ``--resample
item``: every observed interval resamples attributes instead).
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
from toolkit.stages import NO_RESAMPLING, extraction_label_shares, failure_mode_shares, problematic_gap
from toolkit.views import source_order

__all__ = ["LABELS", "TITLES", "SOURCE_NAMES", "MODE_NAMES", "COLUMNS", "compute", "render", "PUBLISHED", "ANALYSIS", "main"]

LABELS = ("accepted", "uncertain", "rejected", "problematic")
TITLES = {"accepted": "Accepted", "uncertain": "Uncertain", "rejected": "Rejected",
          "problematic": "Problematic"}
SOURCE_NAMES = {"wildchat": "WildChat", "cupid": "CUPID", "prefeval": "PrefEval", "personalens": "PersonaLens"}
MODE_NAMES = {"overgeneralization": "overgeneralization", "missing_evidence": "missing evidence",
              "task_context_confusion": "task-context confusion", "not_standalone": "not standalone",
              "other": "other"}
COLUMNS = ["panel", "source", "label", "estimate", "value", "ci_low", "ci_high", "n", "resampled_unit"]


def compute(ds: Dataset, settings: Settings) -> Result:
    fit = fit_model("extraction", ds, settings)
    level = interval_level(fit)
    src = fit.summaries["sources"]
    src = src[src["quantity"].isin([f"{lab}_share" for lab in LABELS])]
    model = pd.DataFrame({
        "panel": "label_share", "source": src["source"], "label": src["quantity"].str.removesuffix("_share"),
        "estimate": "model", "value": src["mean"], "ci_low": src["ci_low"], "ci_high": src["ci_high"], "n": pd.NA,
        "resampled_unit": NO_RESAMPLING,
    })
    boot = {"n_boot": settings.n_boot, "seed": settings.seed, "clusters": settings.clusters("extraction")}
    words = settings.unit_words("extraction")
    obs = extraction_label_shares(ds, **boot)
    prob = obs[obs["label"] != "accepted"].groupby("source", sort=False)[["count"]].sum()
    observed = pd.DataFrame({
        "panel": "label_share", "source": obs["source"], "label": obs["label"], "estimate": "observed",
        "value": obs["value"], "ci_low": obs["ci_low"], "ci_high": obs["ci_high"], "n": obs["n"],
        "resampled_unit": obs["resampled_unit"],
    })
    acc = obs[obs["label"] == "accepted"].set_index("source")
    problem_obs = pd.DataFrame({
        "panel": "label_share", "source": acc.index, "label": "problematic", "estimate": "observed",
        "value": 1 - acc["value"].to_numpy(), "ci_low": 1 - acc["ci_high"].to_numpy(),
        "ci_high": 1 - acc["ci_low"].to_numpy(), "n": acc["n"].to_numpy(),
        "resampled_unit": acc["resampled_unit"].to_numpy(),
    })
    parts = [model, observed, problem_obs]
    gap = fit.summaries.get("gap")
    if gap is not None and len(gap):
        for scope, name in (("population", "model"), ("sample", "model (sample)")):
            g = gap[gap["scope"] == scope]
            parts.append(pd.DataFrame({
                "panel": "problematic_gap", "source": "real - synthetic", "label": g["quantity"], "estimate": name,
                "value": g["mean"], "ci_low": g["ci_low"], "ci_high": g["ci_high"], "n": pd.NA,
                "resampled_unit": NO_RESAMPLING,
            }))
    gap_obs = problematic_gap(ds, **boot)
    if len(gap_obs):
        parts.append(pd.DataFrame({
            "panel": "problematic_gap", "source": "real - synthetic", "label": gap_obs["quantity"],
            "estimate": "observed", "value": gap_obs["value"], "ci_low": gap_obs["ci_low"],
            "ci_high": gap_obs["ci_high"], "n": gap_obs["n"], "resampled_unit": gap_obs["resampled_unit"],
        }))
    modes = failure_mode_shares(ds, **boot)
    if len(modes):
        parts.append(pd.DataFrame({
            "panel": "failure_mode", "source": "problematic judgments", "label": modes["failure_mode"],
            "estimate": "observed", "value": modes["value"], "ci_low": modes["ci_low"], "ci_high": modes["ci_high"],
            "n": modes["n"], "resampled_unit": modes["resampled_unit"],
        }))
    table = pd.concat([p[COLUMNS] for p in parts if len(p)], ignore_index=True)
    order = source_order(obs["source"].unique())
    rank = {s: i for i, s in enumerate(order)}
    lab_rank = {lab: i for i, lab in enumerate(LABELS)}
    table = table.assign(_p=table["panel"].map({"label_share": 0, "problematic_gap": 1, "failure_mode": 2}),
                         _s=table["source"].map(rank).fillna(99), _l=table["label"].map(lab_rank).fillna(99))
    table = table.sort_values(["_p", "_s", "_l", "estimate"], kind="stable").drop(columns=["_p", "_s", "_l"])
    table = table.reset_index(drop=True)
    table["n"] = table["n"].astype("Int64")
    origin = obs.groupby("source")["origin"].first().to_dict()
    gap_text = ""
    if len(gap_obs):
        g = gap_obs.set_index("quantity").loc["real_minus_synthetic"]
        gap_text = f" Real minus synthetic problematic share (observed): {g['value']:+.3f} [{g['ci_low']:+.3f}, {g['ci_high']:+.3f}]."
    return Result(
        table=table,
        caption=(
            "Stage 1: share of attributes judged accepted, uncertain and rejected by the human annotators, per "
            f"user source. Model: extraction model, population shares with {pct(level)} credible intervals; "
            f"observed: shares of the human judgments with 95% bootstrap intervals over {words}.{gap_text} "
            f"Failure modes: shares among problematic judgments (95% bootstrap over {words})."
        ),
        settings=model_settings(settings, fit, observed_interval=f"95% percentile, bootstrap over {words}",
                                n_problematic_coded=int(prob["count"].sum())),
        warnings=fit_warnings(fit),
        footnote=f"Filled: extraction model ({pct(level)} CrI); open: observed (95% bootstrap CI).",
        extra={"order": order, "origin": origin},
    )


def _style(plotting: Any) -> dict[str, dict[str, Any]]:
    return {
        "model": {"color": plotting.PALETTE["blue"], "marker": "o"},
        "model (sample)": {"color": plotting.PALETTE["skyblue"], "marker": "s"},
        "observed": {"color": "#333333", "marker": "o", "mfc": "none"},
    }


def _dots(ax: Any, part: pd.DataFrame, ypos: dict[str, float], key: str, styles: dict, dodge: float = 0.28) -> None:
    estimates = list(dict.fromkeys(part["estimate"]))
    for k, est in enumerate(estimates):
        sub = part[part["estimate"] == est]
        st = styles[est]
        shift = (k - (len(estimates) - 1) / 2) * dodge
        v = sub["value"].to_numpy(float)
        err = np.nan_to_num(np.vstack([v - sub["ci_low"].to_numpy(float), sub["ci_high"].to_numpy(float) - v]))
        ax.errorbar(v, [ypos[x] + shift for x in sub[key]], xerr=err, fmt=st["marker"], ms=3.5, color=st["color"],
                    mfc=st.get("mfc", st["color"]), elinewidth=1.0, capsize=1.5)


def render(result: Result, ds: Dataset) -> Any:
    from toolkit import plotting

    t = result.table
    styles = _style(plotting)
    order = result.extra["order"]
    names = [SOURCE_NAMES.get(s, s) + (" (real)" if result.extra["origin"].get(s) == "human" else "") for s in order]
    fig = plotting.new_canvas(plotting.TEXT_WIDTH, 3.9)
    top, bottom = fig.subfigures(2, 1, height_ratios=[1.25, 1.0])
    axes = top.subplots(1, len(LABELS), sharey=True)
    shares = t[t["panel"] == "label_share"]
    ypos = {s: i for i, s in enumerate(order)}
    colours = dict(zip(("accepted", "uncertain", "rejected"), plotting.OUTCOME_COLORS, strict=True))
    for ax, lab in zip(axes, LABELS, strict=True):
        part = shares[shares["label"] == lab]
        _dots(ax, part, ypos, "source", styles)
        ax.set_title(TITLES[lab], color="black")
        if lab in colours:  # a coloured rule under the title ties the panel to the outcome colours
            ax.axhline(-0.75, color=colours[lab], lw=3, solid_capstyle="butt", clip_on=False)
        ax.set_xlim(0, 1)
        ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0], ["0", ".25", ".5", ".75", "1"])
        ax.grid(axis="x", color="#dddddd", lw=0.5)
        ax.set_axisbelow(True)
    axes[0].set_yticks(range(len(order)), names)
    axes[0].set_ylim(len(order) - 0.5, -0.75)
    left, right = bottom.subplots(1, 2, width_ratios=[1.0, 1.25])
    gap = t[t["panel"] == "problematic_gap"]
    if len(gap):
        qs = ["real", "synthetic", "real_minus_synthetic"]
        qpos = {q: i for i, q in enumerate(qs)}
        _dots(left, gap, qpos, "label", styles, dodge=0.22)
        left.set_yticks(range(len(qs)), ["real users", "synthetic users", "real - synthetic"])
        left.set_ylim(len(qs) - 0.5, -0.5)
        left.axvline(0, color="#777777", lw=0.7, ls="--", zorder=0)
        left.set_title("Problematic share")
        left.grid(axis="x", color="#dddddd", lw=0.5)
        left.set_axisbelow(True)
    else:
        left.set_axis_off()
        left.text(0.5, 0.5, "no real-vs-synthetic contrast\n(one kind of user only)", ha="center", va="center",
                  fontsize=7, transform=left.transAxes)
    modes = t[t["panel"] == "failure_mode"]
    if len(modes):
        labels = list(modes["label"])
        mpos = {m: i for i, m in enumerate(labels)}
        _dots(right, modes, mpos, "label", styles)
        right.set_yticks(range(len(labels)), [MODE_NAMES.get(m, m) for m in labels])
        right.set_ylim(len(labels) - 0.5, -0.5)
        right.set_xlim(0, max(0.8, float(modes["ci_high"].max()) + 0.05))
        right.set_title("Failure modes of problematic judgments")
        right.grid(axis="x", color="#dddddd", lw=0.5)
        right.set_axisbelow(True)
    else:
        right.set_axis_off()
        right.text(0.5, 0.5, "no failure modes coded", ha="center", va="center", fontsize=7,
                   transform=right.transAxes)
    present = [e for e in ("model", "model (sample)", "observed") if e in set(t["estimate"])]
    names_leg = {"model": "extraction model (new user)", "model (sample)": "extraction model (these users)",
                 "observed": "observed"}
    handles = [plotting.legend_handle(styles[e]["marker"], styles[e]["color"], mfc=styles[e].get("mfc", styles[e]["color"]))
               for e in present]
    fig.legend(handles, [names_leg[e] for e in present], loc="outside upper center", ncols=len(present), frameon=False)
    return fig


#: The published numbers this analysis regenerates (compared in REPORT.md by analyses.report).
PUBLISHED = {
    "fig2.wildchat_accept_rate": Link(
        {"panel": "label_share", "source": "wildchat", "label": "accepted", "estimate": "observed"},
        model={"panel": "label_share", "source": "wildchat", "label": "accepted", "estimate": "model"},
    ),
    "fig2.problematic_gap": Link(
        {"panel": "problematic_gap", "label": "real_minus_synthetic", "estimate": "observed"},
        model={"panel": "problematic_gap", "label": "real_minus_synthetic", "estimate": "model"},
        note="uncertain + rejected share, real (WildChat) minus synthetic sources",
    ),
    **{
        f"fig2.failure.{mode}": Link({"panel": "failure_mode", "label": mode, "estimate": "observed"})
        for mode in ("overgeneralization", "missing_evidence", "task_context_confusion", "not_standalone", "other")
    },
}

ANALYSIS = Analysis(
    name="figure2",
    title="Figure 2: stage-1 accepted / uncertain / rejected shares per source",
    needs=("raters", "users", "attributes", "extraction_judgments"),
    compute=compute,
    render=render,
    uses_model=True,
    models=("extraction",),
    width=7.0,
    published=PUBLISHED,
)


def main(argv: Sequence[str] | None = None) -> int:
    return main_for(ANALYSIS, argv)


if __name__ == "__main__":
    raise SystemExit(main())
