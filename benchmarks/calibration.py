"""The full calibration of the four Bayesian models: SBC (>= 200 replications each) and coverage studies
(>= 100 independent replications per model and generator), written to ``paper_figures/calibration/``.

Run: ``python benchmarks/calibration.py [--sbc-reps 200] [--coverage-reps 100] [--workers 2]
[--scheduler tcp://host:8786] [--cache-dir DIR] [--cached-only]``.

Every replication goes through :func:`toolkit.replication.run_study` (the same code path as ``recenter
calibrate``), so it is cached under ``<cache>/replications/`` and an interrupted run resumes where it stopped;
``--cached-only`` runs nothing and writes the tables and figures from the replications done so far (the
report states how many). Results do not depend on the number of workers or on the scheduler.

Outputs (in ``--out``):

* ``sbc-<model>.csv`` (ranks and convergence per replication), ``sbc-<model>_summary.csv`` (per parameter:
  rank-ECDF statistic, simultaneous-band verdicts at 95% and family-wise), ``sbc-<model>.png`` (rank ECDF minus
  uniform with the simultaneous 95% band, the 16 parameters furthest from uniform);
* ``coverage-<model>-<generator>.csv`` and ``..._summary.csv`` (per quantity and pooled per family:
  coverage with its Wilson interval, bias, RMSE, width);
* ``CALIBRATION.md``: the tables the README quotes, with replication counts and wall time.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd  # noqa: E402

from toolkit.replication import get_study, run_study  # noqa: E402
from toolkit.studies.model_coverage import truths  # noqa: E402
from toolkit.studies.rank_ecdf import RANK_PREFIX, rank_band, rank_counts  # noqa: E402

MODELS = ("judge", "extraction", "rating", "correlation")
#: Generators per model: the well-specified one and the misspecifications that touch the model's stage.
GENERATORS: dict[str, tuple[str | None, ...]] = {
    "judge": (None, "shared-item", "sparse-crowd"),
    "extraction": (None, "attribute-effect"),
    "rating": (None, "judge-thresholds"),
    "correlation": (None, "judge-thresholds"),
}


def markdown(frame: pd.DataFrame) -> str:
    """A pipe table (no tabulate dependency)."""
    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(map(str, row)) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def plot_sbc(results: pd.DataFrame, summary: pd.DataFrame, n_ranks: int, path: Path, title: str) -> None:
    """Rank ECDF minus the uniform CDF with the simultaneous 95% band, for the 16 worst parameters."""
    import matplotlib.pyplot as plt

    worst = summary.sort_values("min_tail").head(16)
    n_cols = 4
    n_rows = max(1, -(-len(worst) // n_cols))
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(3.2 * n_cols, 2.4 * n_rows), squeeze=False, sharey=True)
    for ax, (_, row) in zip(axes.ravel(), worst.iterrows(), strict=False):
        r = results[RANK_PREFIX + row["parameter"]].dropna().astype(int).to_numpy()
        band = rank_band(len(r), n_ranks)
        diff = rank_counts(r, n_ranks) / len(r) - band["z"].to_numpy()
        ax.fill_between(band["z"], band["lower_diff"], band["upper_diff"], step="mid", color="0.85")
        ax.step(band["z"], diff, where="mid", color="C0" if row["inside"] else "C3", lw=1.2)
        ax.axhline(0, color="0.5", lw=0.6)
        ax.set_title(row["parameter"], fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes.ravel()[len(worst) :]:
        ax.axis("off")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def sbc_table(name: str, results: pd.DataFrame, summary: pd.DataFrame) -> dict:
    return {
        "model": name,
        "replications": len(results),
        "parameters": len(summary),
        "inside 95% band": int(summary["inside"].sum()),
        "inside family-wise band": int(summary["inside_familywise"].sum()),
        "fits with r-hat <= 1.01": f"{(results['max_r_hat'] <= 1.01).mean():.0%}",
        "median min bulk ESS": round(float(results["min_ess_bulk"].median())),
        "reps with divergences": f"{(results['divergences'] > 0).mean():.0%}",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sbc-reps", type=int, default=200)
    parser.add_argument("--coverage-reps", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scheduler")
    parser.add_argument("--cache-dir", type=Path)
    parser.add_argument("--cached-only", action="store_true")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--skip-coverage", action="store_true")
    parser.add_argument("--skip-sbc", action="store_true")
    parser.add_argument("--out", type=Path, default=Path("paper_figures/calibration"))
    args = parser.parse_args()
    os.environ.setdefault("MPLBACKEND", "Agg")
    args.out.mkdir(parents=True, exist_ok=True)
    run = {"workers": args.workers, "scheduler": args.scheduler, "cache_dir": args.cache_dir,
           "cached_only": args.cached_only, "progress": None}  # fmt: skip
    models = [m for m in args.models.split(",") if m]
    sbc_rows, cov_rows = [], []
    start = time.perf_counter()
    for name in [] if args.skip_sbc else models:
        study = get_study(f"sbc-{name}")
        results = run_study(study, None, range(1, args.sbc_reps + 1), **run)
        if results.empty:
            continue
        summary = study.summarize(results, study.design)
        results.to_csv(args.out / f"{study.name}.csv", index=False, float_format="%.6g")
        summary.to_csv(args.out / f"{study.name}_summary.csv", index=False, float_format="%.6g")
        plot_sbc(results, summary, int(study.design["n_ranks"]), args.out / f"{study.name}.png",
                 f"SBC, {name} model: rank ECDF - uniform, simultaneous 95% band ({len(results)} replications)")  # fmt: skip
        sbc_rows.append(sbc_table(name, results, summary))
    for name in [] if args.skip_coverage else models:
        study = get_study(f"coverage-{name}")
        for gen in GENERATORS[name]:
            design = {"misspecification": gen}
            results = run_study(study, design, range(1, args.coverage_reps + 1), **run)
            if results.empty:
                continue
            summary = study.summarize(results, {**study.design, **design})
            tag = f"{study.name}-{gen or 'well-specified'}"
            results.to_csv(args.out / f"{tag}.csv", index=False, float_format="%.6g")
            summary.to_csv(args.out / f"{tag}_summary.csv", index=False, float_format="%.6g")
            fam = summary[summary["quantity"] == "(all)"]
            for _, row in fam.iterrows():
                cov_rows.append({
                    "model": name, "generator": gen or "well-specified", "family": row["family"],
                    "replications": len(results), "intervals": int(row["n"]),
                    "coverage": f"{row['coverage']:.3f} [{row['coverage_low']:.3f}, {row['coverage_high']:.3f}]",
                    "bias": round(float(row["bias"]), 4), "rmse": round(float(row["rmse"]), 4),
                })  # fmt: skip
    elapsed = time.perf_counter() - start
    lines = ["# Calibration of the Bayesian models", "",
             "Written by `python benchmarks/calibration.py` from the cached replications (the counts below are "
             "the replications done; the goals are 200 per SBC study and 100 per coverage study). SBC fits run "
             "2 chains x 300 draws, so r-hat <= 1.01 is rarely reached; the ranks use 49 thinned draws.", ""]  # fmt: skip
    print(f"calibration tables written in {elapsed:.0f} s", file=sys.stderr)
    if sbc_rows:
        lines += ["## Simulation-based calibration", "", markdown(pd.DataFrame(sbc_rows)), ""]
    if cov_rows:
        lines += ["## Coverage of 95% intervals (independent simulated studies)", "",
                  markdown(pd.DataFrame(cov_rows)), "", "True values compared with:", ""]  # fmt: skip
        lines += [f"- {m}: {truths({'model': m})}" for m in dict.fromkeys(r["model"] for r in cov_rows)] + [""]
    (args.out / "CALIBRATION.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
