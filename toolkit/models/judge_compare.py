"""Which judge model, and does the conclusion depend on it? :func:`compare_judge_structures` fits the judge-model
family (:mod:`toolkit.models.judge_variants`) to one dataset and tabulates, per structure, the headline
quantities (prevalence, human and LLM marginal sensitivity / specificity, LLM minus human) beside the PSIS-LOO
ranking (:func:`toolkit.models.loo.compare`), with Dawid-Skene and MACE (:mod:`toolkit.models.references`) as
non-Bayesian rows.

The human-only reference model's log-likelihood covers the human labels only, so it is not ranked with the
others (its LOO columns are its own, ``rank`` is NaN); its LLM columns are the judges scored against the
human-defined truth.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from toolkit.models.judge_variants import JUDGE_FAMILY
from toolkit.models.loo import compare, loo
from toolkit.vocabulary import DEFAULT_SEED, HUMAN, LLM

__all__ = ["HEADLINE_COLUMNS", "compare_judge_structures", "headline_row"]

#: The quantity columns of :func:`headline_row`.
HEADLINE_COLUMNS = (
    "prevalence",
    "human_sens",
    "human_spec",
    "llm_sens",
    "llm_spec",
    "llm_minus_human_sens",
    "llm_minus_human_spec",
)

#: Models whose likelihood is over different observations than the default's (not LOO-ranked with it).
_NOT_RANKED = ("judge-human-ref",)


def headline_row(summaries: Mapping[str, pd.DataFrame]) -> dict[str, float]:
    """Posterior means of the headline quantities (:data:`HEADLINE_COLUMNS`) from a judge-family fit's
    summaries, with the 95% interval of the LLM-minus-human contrasts (``*_low``, ``*_high``).

    Examples
    --------
    >>> g = pd.DataFrame({"group": ["human", "llm"] * 2, "quantity": ["sens_marginal"] * 2 + ["spec_marginal"] * 2,
    ...                   "mean": [0.6, 0.8, 0.9, 0.7]})
    >>> p = pd.DataFrame({"quantity": ["prevalence_items"], "mean": [0.2]})
    >>> row = headline_row({"groups": g, "prevalence": p})
    >>> round(row["llm_minus_human_sens"], 2), round(row["llm_minus_human_spec"], 2)
    (0.2, -0.2)
    """
    groups = summaries["groups"].set_index(["group", "quantity"])["mean"]
    prev = summaries["prevalence"].set_index("quantity")["mean"]
    row: dict[str, float] = {"prevalence": float(prev.get("prevalence_items", np.nan))}
    for q in ("sens", "spec"):
        row[f"human_{q}"] = float(groups.get((HUMAN, f"{q}_marginal"), np.nan))
        if "scored" in summaries:  # the human-only reference: LLM judges scored against the human truth
            scored = summaries["scored"]
            row[f"llm_{q}"] = float(scored.loc[scored["quantity"] == q, "mean"].mean())
            diffs = summaries["scored_differences"].set_index("quantity")
        else:
            row[f"llm_{q}"] = float(groups.get((LLM, f"{q}_marginal"), np.nan))
            diffs = summaries.get("differences", pd.DataFrame(columns=["quantity"])).set_index("quantity")
        key = f"{q}_marginal"
        row[f"llm_minus_human_{q}"] = (
            float(diffs.loc[key, "mean"]) if key in diffs.index else row[f"llm_{q}"] - row[f"human_{q}"]
        )
        for end in ("low", "high"):
            row[f"llm_minus_human_{q}_{end}"] = (
                float(diffs.loc[key, f"ci_{end}"]) if key in diffs.index else np.nan
            )
    return row


def compare_judge_structures(
    dataset: Any,
    models: Sequence[str] = tuple(JUDGE_FAMILY),
    *,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    seed: int = DEFAULT_SEED,
    cache_root: str | os.PathLike | None = None,
    references: bool = True,
    fits: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Fit every judge-family model (or take ``fits``) and tabulate headline quantities with the LOO ranking.

    Parameters
    ----------
    dataset : Dataset or path
        The study.
    models : sequence of str
        Registered model names (default: the whole family, :data:`~toolkit.models.judge_variants.JUDGE_FAMILY`).
    draws, tune, chains, seed, cache_root
        Passed to :func:`toolkit.models.fit` (fits are cached).
    references : bool
        Add Dawid-Skene and MACE rows (needs crowd-kit).
    fits : mapping, optional
        Already fitted results by model name (not refitted).

    Returns
    -------
    DataFrame
        One row per model: ``model, description, version, rank, elpd_loo, elpd_diff, dse, weight, p_loo,
        n_k_high, k_max``, the :data:`HEADLINE_COLUMNS` (posterior means) with the contrasts' intervals,
        ``converged``, ``fit_seconds``; then one row per reference method (LOO columns NaN).
    """
    from toolkit.models.fitting import fit
    from toolkit.models.interface import get_model
    from toolkit.models.references import reference_estimates

    done = dict(fits or {})
    for name in models:
        if name not in done:
            done[name] = fit(
                get_model(name),
                dataset,
                draws=draws,
                tune=tune,
                chains=chains,
                seed=seed,
                cache_root=cache_root,
            )
    ranked = {n: f for n, f in done.items() if n not in _NOT_RANKED}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # Pareto-k warnings: reported as columns
        table = compare(ranked).set_index("model") if len(ranked) > 1 else pd.DataFrame()
        if len(ranked) == 1:  # nothing to compare with: its own LOO, rank 0
            table = loo(*ranked.values(), name=next(iter(ranked))).set_index("model").assign(rank=0)
        for n in set(done) - set(table.index):
            own = loo(done[n], name=n).set_index("model")
            table = pd.concat([table, own.drop(columns=["se", "n_units", "warning"])])
    rows = []
    for name, f in done.items():
        row = {"model": name, "description": JUDGE_FAMILY.get(name, ""), "version": f.model.version}
        row.update(table.loc[name].to_dict())
        if name in _NOT_RANKED:
            row["rank"] = np.nan
        row.update(headline_row(f.summaries))
        row["converged"] = bool(f.diagnostics.ok)
        row["fit_seconds"] = float(f.fit_wall_time)
        rows.append(row)
    out = pd.DataFrame(rows).sort_values("rank", na_position="last", kind="stable")
    if references:
        data = done.get("judge", next(iter(done.values()))).data
        ref = reference_estimates(data)
        prev = ref["prevalence"].set_index("method")["prevalence"]
        g = ref["groups"].set_index(["method", "group"])
        for method in prev.index:
            row = {
                "model": method,
                "description": "non-Bayesian reference (crowd-kit)",
                "prevalence": prev[method],
            }
            for grp, col in ((HUMAN, "human"), (LLM, "llm")):
                for q in ("sens", "spec"):
                    row[f"{col}_{q}"] = float(g[q].get((method, grp), np.nan))
            for q in ("sens", "spec"):
                row[f"llm_minus_human_{q}"] = row[f"llm_{q}"] - row[f"human_{q}"]
            out = pd.concat([out, pd.DataFrame([row])], ignore_index=True)
    return out.reset_index(drop=True)
