"""The calibration table: each published statistic beside the same statistic regenerated from a dataset.

The comparison with the paper lives here, in the layer above the toolkit: the simulator and the models never
read the paper's numbers (:mod:`analyses.published`). Every regenerated value is the toolkit's own stage
statistic (:mod:`toolkit.stages`), agreement (:func:`toolkit.agreement.group_agreement`) or correlation
(:func:`toolkit.metrics.correlation`), called exactly as the figure and table analyses call them (point values
only: ``n_boot=0``); nothing is re-derived here and nothing is read from a simulated study's ground truth. The
table works on any dataset in the canonical schemas (rows whose records are missing are left out), so it also
compares real data with the paper.

Tolerances (from the issue that asked for the simulator): counts exact; kappa +/-0.03; rates (shares,
precision, recall, F1, accuracy, p-values) +/-0.03; means +/-0.05; Spearman +/-0.06. Rows that are not
numbers in ``published.json`` but statements of the paper's text (humans say YES to about 20%, LLMs to
40-60%; generator means just above / below 3; positive mention effects of the open-weight judges) are checked
against that statement (:data:`PAPER_STATEMENTS`); rows with no published counterpart are informational
(``within`` is missing). The definitions are the stage statistics': Table 2's F1 scores a verifier's
"problematic" verdict against the human majority (ties left out), Fig. 4 / Table 3 score methods against the
human majority (ties left out), the stage-3 weighted kappa is quadratic, Fig. 6 effects are raw mean
differences (mentioned minus not) with the human annotators pooled, Fig. 7 rates are shares of a generator's
rated cells whose attribute its personalized response mentions, and the Fig. 7 p-value is the t approximation
the paper reports (the exact permutation p is an informational row).

Run ``python -m analyses.calibration [--data DIR]`` to print the table, or ``--tune`` to re-derive the
simulator's calibrated defaults from the published targets (:mod:`toolkit.simulate.tuning`, minutes).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analyses.published import entries, published
from schemas import Origin
from toolkit.agreement import group_agreement
from toolkit.dataset import Dataset, load_dataset
from toolkit.descriptive import share_table
from toolkit.jsonl import DataError
from toolkit.metrics import correlation
from toolkit.resampling import spearman_permutation_p
from toolkit.simulate import SimulationConfig
from toolkit.simulate.tuning import TARGET_KEYS, tune
from toolkit.stages import (
    extraction_label_shares,
    failure_mode_shares,
    human_rating_agreement,
    judge_spearman,
    mention_differences,
    mention_rates,
    method_metrics,
    problematic_gap,
    rating_summary,
    reference_positive_rate,
    scorer_spearman,
    study_counts,
    verifier_metrics,
)
from toolkit.views import rater_groups, relevance_long
from toolkit.vocabulary import AGREEMENT_GROUPS, HUMAN, LLM, REWARD_MODEL

__all__ = [
    "TOLERANCE",
    "PAPER_STATEMENTS",
    "COLUMNS",
    "calibration_table",
    "format_table",
    "report",
    "tuning_targets",
    "tune_defaults",
    "main",
]

#: Tolerance per kind of published statistic (``kind`` in ``published.json``).
TOLERANCE: dict[str, float] = {
    "count": 0.0,
    "kappa": 0.03,
    "rate": 0.03,
    "p": 0.03,
    "mean": 0.05,
    "spearman": 0.06,
}

#: Statements of the paper's text that are not single numbers in ``analyses/reference/published.json``:
#: key -> (statistic, low, high, tolerance kind or None). The regenerated value must lie in [low, high],
#: widened by the tolerance of its kind (a point statement such as "about 20%" has low == high).
PAPER_STATEMENTS: dict[str, tuple[str, float, float, str | None]] = {
    "fig4.human_yes_rate": ("human annotators' YES rate (paper: about 20%)", 0.20, 0.20, "rate"),
    "fig4.llm_yes_rate": ("LLM judge YES rate (paper: 40-60%)", 0.40, 0.60, "rate"),
    "fig5.just_above_3": ("human mean rating of the generator (paper: just above 3)", 3.0, 3.35, None),
    "fig5.below_3": ("human mean rating of the generator (paper: below 3)", 1.0, 3.0, None),
    "fig6.open_weight_positive": (
        "judge's mention effect (paper: open-weight judges positive)",
        0.0,
        4.0,
        None,
    ),
}
#: Columns of :func:`calibration_table`.
COLUMNS: tuple[str, ...] = ("key", "statistic", "published", "simulated", "tolerance", "within")

#: Fig. 5: generators just above 3 and below 3 in the paper.
FIG5_ABOVE = ("gpt-5.4", "claude-sonnet-4.6")
FIG5_BELOW = ("qwen3.5-27b", "gemma-4-31b")
#: The open-weight judges (Fig. 6: positive mention effects).
OPEN_WEIGHT = ("llama-3.3-70b", "qwen3.5-27b", "gemma-4-31b")
#: Rater id -> its short name in the keys of ``published.json``.
SHORT = {
    "claude-sonnet-4.6": "claude",
    "roberta-verifier": "roberta",
    "roberta-classifier": "roberta",
    "qwen3-4b-grpo": "grpo",
    "bm25": "bm25",
    "embedding": "embedding",
}
#: Stage-2 methods and the published metrics they are compared on: rater id -> [(figure/table, metric)].
METHOD_ROWS: dict[str, list[tuple[str, str]]] = {
    "bm25": [("fig4", "f1")],
    "embedding": [("fig4", "f1")],
    "claude-sonnet-4.6": [("fig4", "precision"), ("fig4", "recall"), ("fig4", "f1"), ("table3", "accuracy")],
    "roberta-classifier": [("table3", m) for m in ("accuracy", "precision", "recall", "f1")],
    "qwen3-4b-grpo": [("table3", m) for m in ("accuracy", "precision", "recall", "f1")],
}
#: Stage-1 verifiers whose Table 2 F1 is published.
VERIFIER_ROWS = {"roberta-verifier": "table2.roberta.f1", "claude-sonnet-4.6": "table2.claude.f1"}


class _Rows:
    """The rows of the table as they are added: published, stated (paper text) or informational."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self._published = {e["key"]: e for e in entries()}
        self._counts: pd.DataFrame | None = None

    def counts(self, ds: Dataset) -> pd.DataFrame:
        """:func:`toolkit.stages.study_counts` of ``ds``, indexed by key (computed once per table)."""
        if self._counts is None:
            self._counts = study_counts(ds).set_index("key")
        return self._counts

    def has(self, key: str) -> bool:
        """Whether ``key`` is a statistic of ``published.json``."""
        return key in self._published

    def published(
        self, key: str, value: float, *, row_key: str | None = None, statistic: str | None = None
    ) -> None:
        """A row for statistic ``key`` of ``published.json`` with its kind's tolerance (``row_key`` and
        ``statistic`` rename the row, e.g. one row per reward model against the one published value)."""
        entry = self._published[key]
        tol = TOLERANCE.get(entry["kind"], np.nan)
        pv = float(entry["value"])
        value = float(value)
        within = bool(abs(value - pv) <= tol + 1e-9) if np.isfinite(value) else False
        self._add(row_key or key, statistic or entry["statistic"], pv, value, tol, within)

    def stated(self, key: str, statement: str, value: float, subject: str = "") -> None:
        """A row for a statement of the paper's text (:data:`PAPER_STATEMENTS`)."""
        text, lo, hi, kind = PAPER_STATEMENTS[statement]
        tol = TOLERANCE[kind] if kind else 0.0
        value = float(value)
        within = bool(lo - tol - 1e-9 <= value <= hi + tol + 1e-9) if np.isfinite(value) else False
        statistic = f"{subject}: {text}" if subject else text
        self._add(key, statistic, lo if lo == hi else np.nan, value, tol if kind else np.nan, within)

    def info(self, key: str, statistic: str, value: float, published: float = np.nan) -> None:
        """An informational row (no tolerance, ``within`` missing)."""
        self._add(key, statistic, published, float(value), np.nan, pd.NA)

    def _add(self, key: str, statistic: str, pv: float, value: float, tol: float, within: Any) -> None:
        self.rows.append(dict(zip(COLUMNS, (key, statistic, pv, value, tol, within), strict=True)))

    def frame(self) -> pd.DataFrame:
        out = pd.DataFrame(self.rows, columns=list(COLUMNS))
        out["within"] = out["within"].astype("boolean")
        return out


def _value(table: pd.DataFrame, **where: Any) -> float:
    """The ``value`` of the one row of ``table`` matching ``column=value`` (NaN when there is none)."""
    mask = np.ones(len(table), dtype=bool)
    for column, wanted in where.items():
        mask &= (table[column] == wanted).to_numpy()
    return float(table.loc[mask, "value"].iloc[0]) if mask.any() else np.nan


def _counts(ds: Dataset, t: _Rows, prefix: str) -> None:
    """The study's sizes of one stage (:func:`toolkit.stages.study_counts`) against the published counts."""
    for key, value in t.counts(ds)["value"].items():
        if key.startswith(prefix) and t.has(key):
            t.published(key, value)


# ------------------------------------------------------------------------------------------------------
# Stage 1
# ------------------------------------------------------------------------------------------------------


def _stage1_counts(ds: Dataset, t: _Rows) -> None:
    _counts(ds, t, "stage1.")


def _stage1_labels(ds: Dataset, t: _Rows) -> None:
    shares = extraction_label_shares(ds, n_boot=0)
    accepted = shares[(shares["origin"] == Origin.HUMAN.value) & (shares["label"] == "accepted")]
    if len(accepted):  # the real (human-origin) sources, pooled: WildChat in the study
        t.published("fig2.wildchat_accept_rate", accepted["count"].sum() / accepted["n"].sum())
    gap = problematic_gap(ds, n_boot=0)
    if len(gap):
        t.published("fig2.problematic_gap", _value(gap, quantity="real_minus_synthetic"))


def _stage1_failures(ds: Dataset, t: _Rows) -> None:
    for mode, value in failure_mode_shares(ds, n_boot=0)[["failure_mode", "value"]].itertuples(index=False):
        if t.has(f"fig2.failure.{mode}"):
            t.published(f"fig2.failure.{mode}", value)
    counts = t.counts(ds)
    if "fig2.n_problematic" in counts.index:
        row = counts.loc["fig2.n_problematic"]
        t.info(
            "fig2.n_problematic",
            f"{row['what']} (paper: problematic attributes coded for failure mode)",
            row["value"],
            published("fig2.n_problematic"),
        )


def _stage1_verifiers(ds: Dataset, t: _Rows) -> None:
    table, _ = verifier_metrics(ds, n_boot=0)
    for rid, key in VERIFIER_ROWS.items():
        value = _value(table, verifier=rid, metric="f1")
        if np.isfinite(value):
            t.published(key, value)


# ------------------------------------------------------------------------------------------------------
# Stage 2
# ------------------------------------------------------------------------------------------------------


def _stage2_counts(ds: Dataset, t: _Rows) -> None:
    _counts(ds, t, "stage2.")


def _stage2_kappas(ds: Dataset, t: _Rows) -> None:
    """Fig. 3: mean pairwise Cohen's kappa within and between the rater groups, as :mod:`analyses.figure3`."""
    long = relevance_long(ds)
    judged = set(long["rater_id"])
    groups = {g: [r for r in ids if r in judged] for g, ids in rater_groups(ds).items()}
    if not all(groups.get(g) for g in AGREEMENT_GROUPS):
        return
    long = long[long["rater_id"].isin([r for g in AGREEMENT_GROUPS for r in groups[g]])]
    means = group_agreement(
        long,
        item="item_id",
        rater="rater_id",
        label="relevant",
        groups=groups,
        metric="cohen_kappa",
        n_boot=0,
    )
    block = {frozenset((r.group_a, r.group_b)): r.mean for r in means.itertuples()}
    for a, b in ((HUMAN, HUMAN), (LLM, LLM), (HUMAN, LLM)):
        t.published(f"fig3.kappa.{a}_{b}", block[frozenset((a, b))])


def _stage2_methods(ds: Dataset, t: _Rows) -> None:
    """Fig. 4 / Table 3: the majority rate, YES rates and every method's metrics against the majority."""
    t.published("fig4.human_positive_rate", _value(reference_positive_rate(ds, n_boot=0)))
    long = relevance_long(ds)
    humans = long[long["kind"] == HUMAN]
    if len(humans):  # pooled over the human annotators' judgments
        yes = share_table(humans, group="kind", label="relevant", labels=[False, True], n_boot=0)
        t.stated("fig4.human_yes_rate", "fig4.human_yes_rate", _value(yes, relevant=True))
    table, _ = method_metrics(ds, n_boot=0)
    for rid in table.loc[table["kind"] == LLM, "method"].unique():
        t.stated(
            f"fig4.{rid}.yes_rate",
            "fig4.llm_yes_rate",
            _value(table, method=rid, metric="positive_rate"),
            rid,
        )
    for rid, rows in METHOD_ROWS.items():
        if rid not in set(table["method"]):
            continue
        for where, metric in rows:
            t.published(f"{where}.{SHORT[rid]}.{metric}", _value(table, method=rid, metric=metric))


# ------------------------------------------------------------------------------------------------------
# Stage 3
# ------------------------------------------------------------------------------------------------------


def _stage3_counts(ds: Dataset, t: _Rows) -> None:
    _counts(ds, t, "stage3.")


def _stage3_ratings(ds: Dataset, t: _Rows) -> None:
    """Fig. 5 and Table 6: mean ratings per generator and judge, judges' Spearman with the human mean, and
    the human inter-annotator agreement."""
    by_judge = rating_summary(ds, by="judge", n_boot=0)
    t.published("fig5.human_mean", _value(by_judge, judge=HUMAN, statistic="mean_rating"))
    t.published("fig5.share_no_better", _value(by_judge, judge=HUMAN, statistic="share_no_better"))
    by_gen = rating_summary(ds, by="generator", n_boot=0)
    means = by_gen[(by_gen["statistic"] == "mean_rating") & (by_gen["generator"] != "all")]
    gen_mean = dict(zip(means["generator"], means["value"], strict=True))
    for g in (*FIG5_ABOVE, *FIG5_BELOW):
        if g in gen_mean:
            statement = "fig5.just_above_3" if g in FIG5_ABOVE else "fig5.below_3"
            t.stated(f"fig5.{g}.human_mean", statement, gen_mean[g], g)
    for g, value in gen_mean.items():
        if g not in FIG5_ABOVE and g not in FIG5_BELOW:
            t.info(f"fig5.{g}.human_mean", f"{g}: human mean rating of the generator", value)
    spearman = judge_spearman(ds, n_boot=0)
    for j in spearman["judge"]:
        for stat, value in (
            ("mean", _value(by_judge, judge=j, statistic="mean_rating")),
            ("spearman", _value(spearman, judge=j)),
        ):
            key = f"table6.{j}.{stat}"
            if t.has(key):
                t.published(key, value)
            else:
                t.info(
                    key,
                    f"{j} judge: {'mean rating' if stat == 'mean' else 'Spearman with human mean'}",
                    value,
                )
    agreement = human_rating_agreement(ds, n_boot=0)
    for metric, key in (
        ("spearman", "stage3.human_spearman"),
        ("weighted_kappa", "stage3.human_weighted_kappa"),
    ):
        row = agreement[agreement["metric"] == metric]
        if len(row) and row["n_pairs"].iloc[0] > 0:
            t.published(key, row["value"].iloc[0])


def _stage3_mentions(ds: Dataset, t: _Rows) -> None:
    """Figs. 6-7: judges' mention effects, generators' mention rates and their Spearman across models."""
    rates = mention_rates(ds, n_boot=0)
    if not rates["count"].sum():  # no explicit mention coded: nothing to compare
        return
    diffs = mention_differences(ds, n_boot=0)
    effects = dict(zip(diffs["judge"], diffs["value"], strict=True))
    if HUMAN in effects:
        t.published("fig6.human.mention_effect", effects[HUMAN])
    for j, value in effects.items():
        key = f"fig6.{j}.mention_effect"
        if j == HUMAN:
            continue
        if t.has(key):
            t.published(key, value)
        elif j in OPEN_WEIGHT:
            t.stated(key, "fig6.open_weight_positive", value, j)
        else:
            t.info(key, f"{j} judge: rating difference, mention minus not", value)
    rate = dict(zip(rates["generator"], rates["value"], strict=True))
    for g, value in rate.items():
        if g == "claude-sonnet-4.6":
            t.published("fig7.claude.mention_rate", value)
        else:
            t.info(f"fig7.{g}.mention_rate", f"{g} explicit-mention rate as generator", value)
    models = [g for g in rate if g != HUMAN and np.isfinite(effects.get(g, np.nan))]
    if len(models) >= 3:
        x, y = [rate[g] for g in models], [effects[g] for g in models]
        res = correlation(x, y, method="spearman").iloc[0]
        t.published("fig7.spearman", res["value"])
        t.published("fig7.p_value", res["p_value"])
        t.info(
            "fig7.p_value_exact", "exact permutation p-value of that Spearman", spearman_permutation_p(x, y)
        )


def _stage3_rewards(ds: Dataset, t: _Rows) -> None:
    """Reward models' Spearman with the human mean rating (the paper: about 0.3 each)."""
    scorers = scorer_spearman(ds, n_boot=0)
    for rid, value in scorers.loc[scorers["kind"] == REWARD_MODEL, ["scorer", "value"]].itertuples(
        index=False
    ):
        t.published(
            "rewards.spearman",
            value,
            row_key=f"rewards.{rid}.spearman",
            statistic=f"{rid}: Spearman with the human mean rating (paper: about 0.3)",
        )


#: The table's blocks in row order, each with the record types it needs; a block whose records are missing
#: or whose statistic raises :class:`~toolkit.jsonl.DataError` (e.g. no human raters) is left out.
_STAGE1 = ("raters", "users", "attributes", "extraction_judgments")
_STAGE2 = ("raters", "relevance_judgments")
_STAGE3 = ("raters", "responses", "response_ratings")
BLOCKS: tuple[tuple[Callable[[Dataset, _Rows], None], tuple[str, ...]], ...] = (
    (_stage1_counts, _STAGE1),
    (_stage1_labels, _STAGE1),
    (_stage1_failures, _STAGE1),
    (_stage1_verifiers, _STAGE1),
    (_stage2_counts, _STAGE2),
    (_stage2_kappas, _STAGE2),
    (_stage2_methods, _STAGE2),
    (_stage3_counts, _STAGE3),
    (_stage3_ratings, _STAGE3),
    (_stage3_mentions, _STAGE3),
    (_stage3_rewards, (*_STAGE3, "scores")),
)


def calibration_table(dataset: Dataset | str | Path | None = None) -> pd.DataFrame:
    """Published statistics beside the same statistics regenerated from ``dataset``.

    Parameters
    ----------
    dataset : Dataset or path, optional
        Default: the bundled simulated sample.

    Returns
    -------
    DataFrame
        Columns ``key`` (as in ``analyses/reference/published.json`` where the statistic is there),
        ``statistic``, ``published`` (NaN for statements without a single number), ``simulated`` (the value
        regenerated from the dataset), ``tolerance``, ``within`` (nullable boolean; missing for informational
        rows).
    """
    ds = dataset if isinstance(dataset, Dataset) else load_dataset(dataset)
    ds.require("raters", purpose="the calibration table")
    t = _Rows()
    for block, needs in BLOCKS:
        if ds.has(*needs):
            try:
                block(ds, t)
            except DataError:
                continue
    return t.frame()


def format_table(table: pd.DataFrame) -> str:
    """Plain-text rendering for the terminal (``recenter simulate --report``)."""

    def num(x: float) -> str:
        if not np.isfinite(x):
            return "-"
        return f"{x:.0f}" if float(x).is_integer() and abs(x) >= 10 else f"{x:.3f}"

    lines = [f"{'statistic':<58} {'published':>10} {'simulated':>10} {'tol':>6}  ok"]
    for r in table.itertuples():
        ok = "-" if pd.isna(r.within) else ("yes" if r.within else "NO")
        stat = r.statistic if len(r.statistic) <= 58 else r.statistic[:55] + "..."
        lines.append(f"{stat:<58} {num(r.published):>10} {num(r.simulated):>10} {num(r.tolerance):>6}  {ok}")
    checked = table["within"].dropna()
    lines.append(f"{int(checked.sum())}/{len(checked)} checked statistics within tolerance")
    return "\n".join(lines)


def report(dataset: Dataset | str | Path | None = None) -> str:
    """:func:`format_table` of :func:`calibration_table` (what ``recenter simulate --report`` prints)."""
    return format_table(calibration_table(dataset))


# ------------------------------------------------------------------------------------------------------
# Tuning the simulator to the paper
# ------------------------------------------------------------------------------------------------------


def tuning_targets() -> dict[str, float]:
    """The paper's value of every target of :mod:`toolkit.simulate.tuning` (its ``TARGET_KEYS``)."""
    return {key: published(key) for key in TARGET_KEYS}


def tune_defaults(config: SimulationConfig | None = None, **stage3_options: Any) -> SimulationConfig:
    """Re-derive the simulator's calibrated defaults from the paper's published numbers (minutes).

    :func:`toolkit.simulate.tuning.tune` with :func:`tuning_targets`; ``config`` is the starting point and
    ``stage3_options`` go to :func:`toolkit.simulate.tuning.tune_stage3`.
    """
    return tune(tuning_targets(), config, **stage3_options)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m analyses.calibration``: print the calibration table, or (``--tune``) re-derive the
    simulator's defaults and print them as JSON."""
    parser = argparse.ArgumentParser(prog="python -m analyses.calibration", description=main.__doc__)
    parser.add_argument(
        "--data", type=Path, default=None, help="dataset folder (default: the bundled sample)"
    )
    parser.add_argument("--tune", action="store_true", help="re-derive the simulator's calibrated defaults")
    args = parser.parse_args(argv)
    if args.tune:
        tuned = tune_defaults(verbose=True).to_dict()
        print(json.dumps({k: tuned[k] for k in ("stage1", "stage2", "stage3")}, indent=1))
        return 0
    try:
        print(report(args.data))
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
