"""The reproduction report: every published number beside the regenerated one, its interval and the difference.

:func:`build_report` maps each published statistic (:mod:`toolkit.published`) to the row of an analysis CSV
that regenerates it (written by ``python -m analyses.<name>``), or to a count of the dataset's records; keys
without a regenerated counterpart are listed as *not regenerated* with the reason. :func:`write_report`
writes ``REPORT.md``. Published values stay in their own column: they are never written into an analysis
output.

Where the paper's statistic is a raw point estimate (a share, a mean, a Spearman), the regenerated value is
the same raw statistic (with a bootstrap or Fisher-z interval) and, where a Bayesian model estimates the same
quantity, the model's estimate and credible interval are shown in a separate column.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import pandas as pd

from toolkit import published
from toolkit.dataset import Dataset


@attrs.frozen
class Link:
    """Where a published number is regenerated: rows of ``<analysis>.csv`` matching ``filters``.

    Attributes
    ----------
    analysis : str
        The analysis whose CSV holds the value.
    filters : mapping
        Column -> value; exactly one row must match.
    model : mapping or None
        Filters of the row with the model-based estimate of the same quantity, if any.
    complement : bool
        Report ``1 - value`` (e.g. the share rated no better from the share rated better).
    mean_of_rows : bool
        ``filters`` match several rows (e.g. every reward model); report the mean of their values (no
        interval) and list the rows in the note.
    note : str
        What exactly is compared.
    """

    analysis: str
    filters: Mapping[str, Any]
    model: Mapping[str, Any] | None = None
    complement: bool = False
    mean_of_rows: bool = False
    note: str = ""


def _judge_links() -> dict[str, Link]:
    out: dict[str, Link] = {}
    for judge in ("claude-sonnet-4.6", "gpt-5.4", "llama-3.3-70b", "qwen3.5-27b", "gemma-4-31b"):
        out[f"table6.{judge}.mean"] = Link(
            "table6", {"judge": judge, "statistic": "mean_rating", "estimate": "observed"},
            model={"judge": judge, "statistic": "mean_rating", "estimate": "model"},
        )
        out[f"table6.{judge}.spearman"] = Link(
            "table6", {"judge": judge, "statistic": "spearman", "estimate": "observed"},
            model={"judge": judge, "statistic": "latent_correlation", "estimate": "model"},
            note="model column: latent (noise-free) correlation, not a Spearman",
        )
    return out


#: Published key -> where it is regenerated, or the reason it is not (a string).
LINKS: dict[str, Link | str] = {
    "fig2.wildchat_accept_rate": Link(
        "figure2", {"panel": "label_share", "source": "wildchat", "label": "accepted", "estimate": "observed"},
        model={"panel": "label_share", "source": "wildchat", "label": "accepted", "estimate": "model"},
    ),
    "fig2.problematic_gap": Link(
        "figure2", {"panel": "problematic_gap", "label": "real_minus_synthetic", "estimate": "observed"},
        model={"panel": "problematic_gap", "label": "real_minus_synthetic", "estimate": "model"},
        note="uncertain + rejected share, real (WildChat) minus synthetic sources",
    ),
    **{
        f"fig2.failure.{mode}": Link("figure2", {"panel": "failure_mode", "label": mode, "estimate": "observed"})
        for mode in ("overgeneralization", "missing_evidence", "task_context_confusion", "not_standalone", "other")
    },
    "fig3.kappa.human_human": Link("figure3", {"kind": "group_mean", "group_a": "human", "group_b": "human"}),
    "fig3.kappa.llm_llm": Link("figure3", {"kind": "group_mean", "group_a": "llm", "group_b": "llm"}),
    "fig3.kappa.human_llm": Link("figure3", {"kind": "group_mean", "group_a": "human", "group_b": "llm"}),
    "fig4.human_positive_rate": Link("figure4", {"kind": "reference", "metric": "positive_rate"}),
    "fig4.bm25.f1": Link("figure4", {"method": "bm25", "metric": "f1"}),
    "fig4.embedding.f1": Link("figure4", {"method": "embedding", "metric": "f1"}),
    "fig4.claude.precision": Link("figure4", {"method": "claude-sonnet-4.6", "metric": "precision"}),
    "fig4.claude.recall": Link("figure4", {"method": "claude-sonnet-4.6", "metric": "recall"}),
    "fig4.claude.f1": Link("figure4", {"method": "claude-sonnet-4.6", "metric": "f1"}),
    "table3.claude.accuracy": Link("table3", {"method": "claude-sonnet-4.6", "metric": "accuracy"}),
    **{
        f"table3.{short}.{metric}": Link("table3", {"method": method, "metric": metric})
        for short, method in (("roberta", "roberta-classifier"), ("grpo", "qwen3-4b-grpo"))
        for metric in ("accuracy", "precision", "recall", "f1")
    },
    "table2.roberta.f1": Link("table2", {"verifier": "roberta-verifier", "metric": "f1"}),
    "table2.claude.f1": Link("table2", {"verifier": "claude-sonnet-4.6", "metric": "f1"}),
    "fig5.human_mean": Link(
        "figure5", {"generator": "all", "statistic": "mean_rating", "estimate": "observed"},
        model={"generator": "all", "statistic": "mean_rating", "estimate": "model"},
    ),
    "fig5.share_no_better": Link(
        "figure5", {"generator": "all", "statistic": "p_better", "estimate": "observed"},
        model={"generator": "all", "statistic": "p_better", "estimate": "model"}, complement=True,
        note="1 - share of human ratings > 3",
    ),
    **_judge_links(),
    "stage3.human_spearman": Link("table6", {"judge": "human-human", "statistic": "spearman"}),
    "stage3.human_weighted_kappa": Link(
        "table6", {"judge": "human-human", "statistic": "weighted_kappa"}, note="quadratic weights"
    ),
    **{
        f"fig6.{key}.mention_effect": Link(
            "figure6", {"judge": judge, "estimate": "observed"}, model={"judge": judge, "estimate": "model"}
        )
        for key, judge in (("human", "human"), ("gpt-5.4", "gpt-5.4"), ("claude-sonnet-4.6", "claude-sonnet-4.6"))
    },
    "fig7.spearman": Link(
        "figure7", {"statistic": "spearman_observed"}, model={"statistic": "spearman"},
        note="judge effects: raw mention differences (model column: rating-model effects); n = number of models",
    ),
    "fig7.p_value": Link("figure7", {"statistic": "spearman_observed_p_value"}, model={"statistic": "spearman_p_value"}),
    "fig7.claude.mention_rate": Link("figure7", {"model": "claude-sonnet-4.6", "statistic": "mention_rate"}),
    "rewards.spearman": Link(
        "rewards", {"kind": "reward_model", "statistic": "spearman", "estimate": "observed"}, mean_of_rows=True,
        note="mean over the reward models of their Spearman with the human mean rating",
    ),
    **{
        key: "Table 1 (diversity of the user sets) needs embeddings of the conversation histories; no analysis "
        "regenerates it"
        for key in (
            "table1.diversity.wildchat_filtered", "table1.diversity.personalens", "table1.diversity.prefeval",
            "table1.diversity.wildchat_raw", "table1.diversity.cupid",
        )
    },
}

#: Keys regenerated by counting the dataset's records (see :func:`toolkit.stage_stats.study_counts`).
COUNT_KEYS = (
    "stage1.n_users", "stage1.n_attributes", "stage1.n_judgments", "fig2.n_problematic",
    "stage2.n_pairs", "stage2.n_users", "stage2.n_prompts", "stage2.n_items", "stage2.n_judgments",
    "stage2.mean_attributes_per_pair", "stage3.n_items", "stage3.n_attribute_ratings", "stage3.n_judgments",
)

COLUMNS = [
    "key", "where", "statistic", "published", "regenerated", "ci_low", "ci_high", "difference",
    "model", "model_ci_low", "model_ci_high", "from", "status", "note",
]


def _select_all(frame: pd.DataFrame, filters: Mapping[str, Any]) -> pd.DataFrame | None:
    mask = pd.Series(True, index=frame.index)
    for col, val in filters.items():
        if col not in frame.columns:
            return None
        mask &= frame[col].astype(str) == str(val)
    return frame[mask]


def _select(frame: pd.DataFrame, filters: Mapping[str, Any]) -> pd.Series | None:
    hits = _select_all(frame, filters)
    return hits.iloc[0] if hits is not None and len(hits) == 1 else None


def _num(row: pd.Series | None, col: str) -> float:
    if row is None or col not in row.index:
        return math.nan
    try:
        return float(row[col])
    except (TypeError, ValueError):
        return math.nan


def _read_output(out: Path, analysis: str, ds: Dataset) -> tuple[pd.DataFrame | None, str]:
    """An analysis CSV if it was made from ``ds`` (checked against its provenance JSON), else a reason."""
    import json

    csv, meta = out / f"{analysis}.csv", out / f"{analysis}.json"
    if not csv.exists() or not meta.exists():
        return None, f"{analysis}.csv was not written"
    try:
        made_from = json.loads(meta.read_text(encoding="utf-8"))["dataset"]["manifest_sha256"]
    except (ValueError, KeyError, TypeError):
        return None, f"{analysis}.json has no readable provenance"
    if made_from != ds.manifest_sha256:
        return None, f"{analysis}.csv in this folder was made from other data (stale); re-run it"
    return pd.read_csv(csv), ""


def build_report(out_dir: str | Path, ds: Dataset, status: Mapping[str, str] | None = None) -> pd.DataFrame:
    """One row per published statistic: published value, regenerated value and interval, difference.

    Parameters
    ----------
    out_dir : path
        Folder with the analyses' CSVs (``<analysis>.csv``).
    ds : Dataset
        The dataset the CSVs were made from (for record counts and the data source).
    status : mapping, optional
        Analysis name -> why it did not run (e.g. missing record files); used as the reason of its keys.

    Returns
    -------
    DataFrame
        Columns :data:`COLUMNS`; ``status`` is ``regenerated`` or ``not regenerated`` (reason in ``note``).
    """
    from toolkit.stage_stats import study_counts

    out = Path(out_dir)
    status = dict(status or {})
    frames: dict[str, pd.DataFrame | None] = {}
    stale: dict[str, str] = {}
    counts = study_counts(ds).set_index("key")
    source = f"{ds.name} ({ds.provenance})"
    rows = []
    for entry in published.entries():
        key = entry["key"]
        row = {c: math.nan for c in COLUMNS}
        row.update(key=key, where=entry["where"], statistic=entry["statistic"], published=float(entry["value"]),
                   note="", status="not regenerated", **{"from": ""})
        link = LINKS.get(key)
        if key in COUNT_KEYS:
            if key in counts.index:
                row.update(regenerated=float(counts.loc[key, "value"]), status="regenerated",
                           note=str(counts.loc[key, "what"]), **{"from": f"record counts of {source}"})
            else:
                row["note"] = "the dataset lacks the record files of this stage"
        elif isinstance(link, str):
            row["note"] = link
        elif link is None:
            row["note"] = "no analysis regenerates this statistic"
        else:
            if link.analysis not in frames:
                frames[link.analysis], stale[link.analysis] = _read_output(out, link.analysis, ds)
            frame = frames[link.analysis]
            if frame is None:
                reason = status.get(link.analysis) or stale.get(link.analysis) or f"{link.analysis}.csv was not written"
                row["note"] = f"{link.analysis} did not run: {reason}"
            elif link.mean_of_rows:
                hits = _select_all(frame, link.filters)
                if hits is None or hits.empty:
                    row["note"] = f"{link.analysis}.csv has no value for this statistic (e.g. the rater is absent)"
                else:
                    each = ", ".join(f"{r['scorer'] if 'scorer' in r else ''} {float(r['value']):.3f}".strip()
                                     for _, r in hits.iterrows())
                    row.update(regenerated=float(hits["value"].astype(float).mean()), status="regenerated",
                               note=f"{link.note} ({each})", **{"from": f"{link.analysis}.csv on {source}"})
            else:
                hit = _select(frame, link.filters)
                value = _num(hit, "value")
                if hit is None or not math.isfinite(value):
                    row["note"] = f"{link.analysis}.csv has no value for this statistic (e.g. the rater is absent)"
                else:
                    lo, hi = _num(hit, "ci_low"), _num(hit, "ci_high")
                    if link.complement:
                        value, lo, hi = 1 - value, 1 - hi, 1 - lo
                    row.update(regenerated=value, ci_low=lo, ci_high=hi, status="regenerated", note=link.note,
                               **{"from": f"{link.analysis}.csv on {source}"})
                    if link.model is not None:
                        m = _select(frame, link.model)
                        mv, mlo, mhi = _num(m, "value"), _num(m, "ci_low"), _num(m, "ci_high")
                        if link.complement:
                            mv, mlo, mhi = 1 - mv, 1 - mhi, 1 - mlo
                        row.update(model=mv, model_ci_low=mlo, model_ci_high=mhi)
        if row["status"] == "regenerated":
            row["difference"] = row["regenerated"] - row["published"]
        rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)


def _f(v: float, kind: str = "") -> str:
    if v is None or not math.isfinite(v):
        return ""
    if kind == "count" and float(v).is_integer():
        return f"{int(v):,}"
    if kind == "p" and abs(v) < 0.001:
        return f"{v:.1e}"
    return f"{v:.3f}"


def report_markdown(report: pd.DataFrame, ds: Dataset, *, runs: Mapping[str, str] | None = None) -> str:
    """``REPORT.md``: a header saying which data the numbers come from, then the comparison table."""
    from toolkit.plotting import SIMULATED_NOTE

    kinds = {e["key"]: e.get("kind", "") for e in published.entries()}
    lines = ["# Reproduction report: published vs regenerated numbers", ""]
    if ds.is_simulated:
        lines += [f"> **{SIMULATED_NOTE}.** Every regenerated number below comes from the simulated dataset "
                  f"`{ds.name}`, calibrated to the published statistics: agreement with the paper shows the "
                  "calibration, not a replication of the study.", ""]
    lines += [
        f"- Data: `{ds.name}` ({ds.provenance}), manifest SHA-256 `{ds.manifest_sha256[:16]}...`",
        f"- Paper: {published.source()}",
        "- *published*: the paper's point estimate (from `toolkit/reference/published.json`); *regenerated*: the "
        "same statistic recomputed by this toolkit, with its 95% interval (bootstrap or Fisher-z; see each "
        "analysis' JSON); *model*: the Bayesian model's estimate of the same quantity, where there is one "
        "(credible interval at the level the model reports); *difference* = regenerated - published.",
        "",
    ]
    n_reg = int((report["status"] == "regenerated").sum())
    lines += [f"{n_reg} of {len(report)} published numbers regenerated.", ""]
    if runs:
        lines += ["## Analyses", "", "| analysis | status |", "|---|---|"]
        lines += [f"| {name} | {state} |" for name, state in runs.items()]
        lines += [""]
    lines += [
        "## Numbers", "",
        "| key | where | statistic | published | regenerated [95% CI] | difference | model [CI] | from | note |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in report.to_dict("records"):
        kind = kinds.get(r["key"], "")
        if r["status"] == "regenerated":
            reg = _f(r["regenerated"], kind)
            if math.isfinite(r["ci_low"]) and math.isfinite(r["ci_high"]):
                reg += f" [{_f(r['ci_low'])}, {_f(r['ci_high'])}]"
            d = float(r["difference"])
            diff = f"{d:+,.0f}" if kind == "count" and d.is_integer() else f"{d:+.3f}"
        else:
            reg, diff = "not regenerated", ""
        model = ""
        if math.isfinite(r["model"]):
            model = _f(r["model"], "p" if kind == "p" else "")
            if math.isfinite(r["model_ci_low"]):
                model += f" [{_f(r['model_ci_low'])}, {_f(r['model_ci_high'])}]"
        cells = [f"`{r['key']}`", r["where"], r["statistic"], _f(r["published"], kind), reg, diff, model,
                 r["from"], r["note"]]
        lines.append("| " + " | ".join(str(c).replace("|", "/") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def write_report(
    out_dir: str | Path, ds: Dataset, *, status: Mapping[str, str] | None = None,
    runs: Mapping[str, str] | None = None, name: str = "REPORT.md",
) -> Path:
    """Build the report from the CSVs in ``out_dir`` and write ``<out_dir>/REPORT.md``."""
    report = build_report(out_dir, ds, status)
    path = Path(out_dir) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(report_markdown(report, ds, runs=runs), encoding="utf-8")
    return path
