# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Your own study with recenter-toolkit
#
# A made-up follow-up study, not the paper: **2 expert annotators, 6 crowd workers and 4 LLM judges** say
# how relevant a user's profile attribute is to a prompt, on a graded scale (0 not, 1 somewhat, 2 very
# relevant), and the judges rate personalized responses on a **1-7** scale. We go from pandas frames to a
# validated Parquet dataset, measure agreement with intervals that resample the study's sampling unit (the
# prompt), fit the Bayesian judge model, save and reload the fit, and draw a figure.
#
# Open it as a notebook with `jupytext --to notebook examples/your_study.py`, or run it as a script:
# `python examples/your_study.py [OUT_DIR]`. The test suite runs it end to end.

# %%
from __future__ import annotations

import sys
import tempfile
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from toolkit import Dataset  # noqa: E402
from toolkit.agreement import group_agreement, pairwise_agreement  # noqa: E402
from toolkit.models import ConvergenceWarning, fit, load_fit  # noqa: E402
from toolkit.models.long_entry import judge_data  # noqa: E402
from toolkit.validate import validate_path  # noqa: E402
from toolkit.views import rating_scale, relevance_long  # noqa: E402

OUT = Path(sys.argv[1]) if len(sys.argv) > 1 and not sys.argv[1].startswith("-") else Path(tempfile.mkdtemp())
rng = np.random.default_rng(7)

# %% [markdown]
# ## 1. The study as pandas frames
#
# 30 users with 4 attributes each, 24 prompts; each user is paired with 2 prompts, so 60 user-prompt pairs
# and 240 judged (user, prompt, attribute) items. Both experts and all four LLM judges label every item;
# each item gets 3 of the 6 crowd workers (a sparse crowd design). The truth behind the simulation: an item
# is relevant with probability 0.3; experts are accurate, the crowd noisier, the LLM judges say "relevant"
# too often.

# %%
users = pd.DataFrame({"user_id": [f"u{i:02d}" for i in range(30)], "source": "survey", "origin": "human"})
prompts = pd.DataFrame(
    {"prompt_id": [f"p{j:02d}" for j in range(24)], "text": [f"prompt {j}" for j in range(24)], "source": "own"}
)
attributes = pd.DataFrame(
    [
        {"attribute_id": f"{u}-a{k}", "user_id": u, "text": f"attribute {k} of {u}"}
        for u in users["user_id"]
        for k in range(4)
    ]
)
experts = [f"expert-{i}" for i in (1, 2)]
crowd = [f"crowd-{i}" for i in range(1, 7)]
judges = ["judge-a", "judge-b", "judge-c", "judge-d"]
raters = pd.DataFrame(
    [{"rater_id": r, "kind": "human", "group": "expert"} for r in experts]
    + [{"rater_id": r, "kind": "human", "group": "crowd"} for r in crowd]
    + [{"rater_id": r, "kind": "llm", "group": "llm", "model": r} for r in judges]
)


def graded(truth: int, accuracy: float) -> int:
    """A rater's grade: the true grade with probability ``accuracy``, else a neighbouring one."""
    if rng.random() < accuracy:
        return truth
    return int(np.clip(truth + rng.choice([-1, 1]), 0, 2))


rows = []
for u in users["user_id"]:
    for p in rng.choice(prompts["prompt_id"], size=2, replace=False):
        for k in range(4):
            truth = int(rng.choice([0, 1, 2], p=[0.7, 0.15, 0.15]))
            labellers = [(r, 0.9) for r in experts] + [(r, 0.7) for r in rng.choice(crowd, 3, replace=False)]
            labellers += [(r, 0.75) for r in judges]
            for rater, accuracy in labellers:
                grade = graded(truth, accuracy)
                if rater in judges and grade == 0 and rng.random() < 0.25:
                    grade = 1  # LLM judges over-call relevance
                rows.append(
                    {"user_id": u, "prompt_id": p, "attribute_id": f"{u}-a{k}", "rater_id": rater,
                     "relevant": grade > 0, "grade": grade}
                )  # fmt: skip
judgments = pd.DataFrame(rows)

# Stage 3: for 20 user-prompt pairs, a personalized and a generic response; the experts and the LLM judges
# rate, per relevant attribute, how much better the personalized one is, on 1-7.
pairs = judgments[["user_id", "prompt_id"]].drop_duplicates().head(20).reset_index(drop=True)
responses = pd.DataFrame(
    [
        {"response_id": f"{u}-{p}-{c}", "user_id": u, "prompt_id": p, "generator": "model-x", "condition": c,
         "text": f"{c} response"}
        for u, p in pairs.itertuples(index=False)
        for c in ("personalized", "generic")
    ]
)  # fmt: skip
ratings = []
for u, p in pairs.itertuples(index=False):
    for k in range(4):
        quality = rng.normal(4.5, 1.2)  # how much better the personalized response really is
        for rater, bias in [(r, 0.0) for r in experts] + [(r, 0.8) for r in judges]:
            ratings.append(
                {"personalized_response_id": f"{u}-{p}-personalized", "generic_response_id": f"{u}-{p}-generic",
                 "attribute_id": f"{u}-a{k}", "rater_id": rater,
                 "rating": int(np.clip(round(quality + bias + rng.normal(0, 0.8)), 1, 7))}
            )  # fmt: skip
ratings = pd.DataFrame(ratings)
print(judgments.head())

# %% [markdown]
# ## 2. A validated Parquet dataset
#
# `Dataset.from_frames` checks every record against the schema (a bad one is named by record type, row
# and field), fills `schema_version`, and writes the folder atomically. The manifest declares the label
# and rating scales, so every statistic uses all the categories, not only those observed.

# %%
ds = Dataset.from_frames(
    {
        "users": users,
        "prompts": prompts,
        "attributes": attributes,
        "raters": raters,
        "relevance_judgments": judgments,
        "responses": responses,
        "response_ratings": ratings,
    },
    OUT / "my-study",
    name="my-study",
    provenance="simulated",  # made-up data: the manifest says so, and every output built on it too
    origin="examples/your_study.py (a made-up study)",
    format="parquet",
    label_scale=(0, 2),
    rating_scale=(1, 7),
)
report = validate_path(ds.path)
assert report.ok, "the dataset we just wrote must validate"
print(f"validated: {report.records} records, {report.errors} errors, {report.warnings} warnings")
print(sorted(p.name for p in ds.path.iterdir()))

# %% [markdown]
# ## 3. Agreement, with intervals that resample prompts
#
# Items of one prompt are not independent (a hard prompt is hard for everyone), so the bootstrap resamples
# prompts (`clusters="prompt_id"`). Weighted kappa uses the declared grades 0..2.

# %%
long = relevance_long(ds)
groups = {g: sorted(long.loc[long["group"] == g, "rater_id"].unique()) for g in ("expert", "crowd", "llm")}
by_group = group_agreement(
    long, item="item_id", rater="rater_id", label="grade", groups=groups, metric="cohen_kappa",
    categories=[0, 1, 2], weights="quadratic", n_boot=300, seed=1, clusters="prompt_id",
)  # fmt: skip
print(by_group)

# %%
expert_pair = pairwise_agreement(
    long, item="item_id", rater="rater_id", label="grade", raters=experts, categories=[0, 1, 2],
    weights="quadratic", n_boot=300, seed=1, clusters="prompt_id",
)  # fmt: skip
print(expert_pair)

# %% [markdown]
# Ratings on the declared 1-7 scale: quadratic-weighted kappa of each LLM judge with the experts, intervals
# resampling user-prompt pairs (all cells of a pair move together). The judges rate about one point higher.

# %%
rated = ds.frame("response_ratings").assign(
    cell=lambda d: d["personalized_response_id"] + "|" + d["attribute_id"],
    pair=lambda d: d["personalized_response_id"],
)
scale = list(rating_scale(ds))
judge_vs_expert = pairwise_agreement(
    rated, item="cell", rater="rater_id", label="rating", categories=scale, weights="quadratic",
    n_boot=300, seed=1, clusters="pair",
)  # fmt: skip
print(rated.groupby(rated["rater_id"].isin(judges))["rating"].mean().rename({False: "experts", True: "LLM judges"}))
print(judge_vs_expert)

# %% [markdown]
# ## 4. The Bayesian judge model
#
# The judge model estimates each rater's sensitivity and specificity against a latent truth, with item
# effects shared within a rater group. It compares two groups: here all humans (experts and crowd) are the
# reference group and the LLM judges the other. A binary label is "relevant" (grade > 0).

# %%
two_groups = pd.DataFrame(
    {
        "item": long["item_id"],
        "rater": long["rater_id"],
        "label": long["relevant"],
        "group": np.where(long["group"] == "llm", "llm", "human"),
    }
)
data = judge_data(two_groups, reference="human")
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)  # a short tutorial run; report only converged fits
    result = fit("judge", data, draws=500, tune=500, chains=2, seed=1, cache=False)
print(result.diagnostics.message)
print(result.summaries["raters"].head(12))

# %% [markdown]
# ## 5. Keep the fit
#
# One netCDF-4 file that plain ArviZ opens (`arviz.from_netcdf`), and that `load_fit` turns back into a
# fit with its summaries.

# %%
path = result.save(OUT / "judge_fit.nc")
again = load_fit(path)
pd.testing.assert_frame_equal(again.summaries["raters"], result.summaries["raters"])
print(f"saved and reloaded: {path} ({path.stat().st_size / 1e6:.1f} MB)")

# %% [markdown]
# ## 6. A figure: each rater's sensitivity and specificity, with 95% intervals

# %%
table = result.summaries["raters"]
fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharey=True)
for ax, (quantity, measure) in zip(axes, (("sens", "sensitivity"), ("spec", "specificity")), strict=True):
    sub = table[table["quantity"] == quantity]
    y = np.arange(len(sub))
    ax.errorbar(sub["mean"], y, xerr=[sub["mean"] - sub["ci_low"], sub["ci_high"] - sub["mean"]], fmt="o")
    ax.set_yticks(y, sub["rater"])
    ax.set_xlim(0, 1)
    ax.set_title(measure)
fig.suptitle("Made-up study: raters against the judge model's latent truth (simulated data)")
fig.tight_layout()
fig.savefig(OUT / "raters.png", dpi=120)
print(f"figure: {OUT / 'raters.png'}")
