"""Beyond the paper: do the conclusions depend on the model's structure? Every judge-model and rating-model
structure fitted to the same data, side by side.

* Judge family (:mod:`toolkit.models.judge_variants`): per structure, the PSIS-LOO rank (the human-only
  reference model is listed, not ranked: its likelihood covers human labels only), prevalence, human and LLM
  marginal sensitivity and specificity and the LLM-minus-human contrasts with 95% intervals; Dawid-Skene and
  MACE (crowd-kit) as non-Bayesian references (:func:`toolkit.models.judge_compare.compare_judge_structures`).
* Rating family (:mod:`toolkit.models.rating_variants`): each judge's inflation, mean-rating shift, mention
  effect and mention contrast (delta_judge - delta_human) under every structure, with the conclusion each
  interval supports and whether it holds under all of them (:mod:`toolkit.models.sensitivity`).

Costly: it fits 6 judge and 6 rating models, so it is not part of the all-in-one run; run it with
``python -m analyses.structures`` (or ``recenter analyze structures``). Its sentences go to the caption.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from analyses.common import Analysis, Result, Settings, fit_model, fit_warnings, main_for, model_settings
from toolkit.dataset import Dataset

__all__ = ["JUDGE_STRUCTURES", "RATING_STRUCTURES", "compute", "render", "ANALYSIS", "main"]

JUDGE_STRUCTURES = ("judge", "judge-one-effect", "judge-class-sd", "judge-loadings", "judge-rater-sd",
                    "judge-human-ref")  # fmt: skip
RATING_STRUCTURES = ("rating", "rating-thresholds", "rating-llm-shared", "rating-pooled-mention",
                     "rating-clustered", "rating-full")  # fmt: skip


def compute(ds: Dataset, settings: Settings) -> Result:
    from toolkit.models.judge_compare import compare_judge_structures
    from toolkit.models.sensitivity import conclusion_sentences, rating_sensitivity_table

    judge_fits = {name: fit_model(name, ds, settings) for name in JUDGE_STRUCTURES}
    judges = compare_judge_structures(ds, JUDGE_STRUCTURES, fits=judge_fits)
    rating_fits = {name: fit_model(name, ds, settings) for name in RATING_STRUCTURES}
    ratings = rating_sensitivity_table(rating_fits)
    judges_long = judges.melt(id_vars=["model"], var_name="quantity", value_name="value")
    judges_long = judges_long[pd.to_numeric(judges_long["value"], errors="coerce").notna()]
    table = pd.concat(
        [
            pd.DataFrame({"family": "judge", "structure": judges_long["model"], "rater": "",
                          "quantity": judges_long["quantity"], "mean": judges_long["value"].astype(float),
                          "ci_low": float("nan"), "ci_high": float("nan"), "conclusion": ""}),
            ratings.assign(family="rating"),
        ],
        ignore_index=True,
    )[["family", "structure", "rater", "quantity", "mean", "ci_low", "ci_high", "conclusion"]]  # fmt: skip
    sentences = conclusion_sentences(ratings)
    fits = [*judge_fits.values(), *rating_fits.values()]
    return Result(
        table=table,
        caption=(
            "Model-structure sensitivity: the judge-model family compared by PSIS-LOO with its headline "
            "quantities, and the rating model's inflation and mention conclusions under every structure. "
            + " ".join(sentences)
        ),
        settings=model_settings(settings, *fits),
        warnings=fit_warnings(*fits),
        display=judges,
        footnote="Posterior means and 95% credible intervals under each structure; LOO: PSIS-LOO (ArviZ).",
        extra={"judges": judges, "ratings": ratings, "sentences": sentences},
    )


def render(result: Result, ds: Dataset) -> Any:
    """Each judge's inflation under every rating structure (one row per judge, one marker per structure)."""
    import matplotlib.pyplot as plt

    from toolkit import plotting

    ratings = result.extra["ratings"]
    infl = ratings[ratings["quantity"] == "inflation"].rename(columns={"rater": "judge"})
    structures = list(dict.fromkeys(infl["structure"]))
    fig, ax = plt.subplots(figsize=(plotting.TEXT_WIDTH, 0.35 * max(len(set(infl["judge"])), 3) + 1.2))
    judges = list(dict.fromkeys(infl["judge"]))
    for k, structure in enumerate(structures):
        sub = infl[infl["structure"] == structure].set_index("judge").reindex(judges)
        y = [i + (k - (len(structures) - 1) / 2) * 0.12 for i in range(len(judges))]
        ax.errorbar(sub["mean"], y, xerr=[sub["mean"] - sub["ci_low"], sub["ci_high"] - sub["mean"]],
                    fmt="o", ms=3, lw=0.8, label=structure)  # fmt: skip
    ax.axvline(0, color="0.5", lw=0.6)
    ax.set_yticks(range(len(judges)), judges)
    ax.invert_yaxis()
    ax.set_xlabel("inflation (latent scale), 95% credible interval")
    ax.legend(fontsize=6, loc="lower right")
    return fig


ANALYSIS = Analysis(
    name="structures",
    title="Model-structure sensitivity: judge-model family (LOO) and rating-model conclusions",
    needs=("raters", "relevance_judgments", "responses", "response_ratings"),
    compute=compute,
    render=render,
    width=7.0,
    is_table=True,
    uses_model=True,
    models=(*JUDGE_STRUCTURES, *RATING_STRUCTURES),
)


def main(argv: Sequence[str] | None = None) -> int:
    return main_for(ANALYSIS, argv)


if __name__ == "__main__":
    raise SystemExit(main())
