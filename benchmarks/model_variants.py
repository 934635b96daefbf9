"""Benchmark: the judge-model family (``toolkit.models.judge_variants``) fitted and compared by PSIS-LOO.

Usage::

    python benchmarks/model_variants.py                          # small simulated study, 2 x 200 draws, all models
    python benchmarks/model_variants.py --full --models judge judge-rater-sd   # bundled sample, 2 x 1000 draws
    python benchmarks/model_variants.py --json out.json

Prints per model: cold fit seconds (compile + sampling + summaries; fresh posterior cache), seconds to add the
pointwise log-likelihood, PSIS-LOO (elpd, p_loo, Pareto k > 0.7 count), the convergence verdict, and the
headline quantities of :func:`toolkit.models.judge_compare.compare_judge_structures` (prevalence, human and LLM
marginal sensitivity / specificity and the LLM-minus-human contrasts), then the Dawid-Skene and MACE rows.
Timings on the shared 2-core machine vary 2-3x with its load: the load average is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv: list[str] | None = None) -> int:
    from toolkit.models.judge_variants import JUDGE_FAMILY

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="bundled sample, 2 chains x 1000 draws")
    parser.add_argument("--models", nargs="+", default=list(JUDGE_FAMILY), choices=list(JUDGE_FAMILY))
    parser.add_argument("--draws", type=int, default=None)
    parser.add_argument("--no-references", action="store_true", help="skip Dawid-Skene and MACE")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    import attrs
    import pandas as pd

    from toolkit.dataset import load_dataset
    from toolkit.models import ConvergenceWarning, fit, get_model
    from toolkit.models.judge_compare import compare_judge_structures
    from toolkit.models.loo import add_log_likelihood
    from toolkit.simulate import SimulationConfig, simulate

    if args.full:
        dataset, draws = load_dataset(None), args.draws or 1000
    else:
        folder = Path(tempfile.mkdtemp(prefix="bench-variants-")) / "data"
        simulate(attrs.evolve(SimulationConfig.small(), balanced=False), seed=11).write(folder)
        dataset, draws = load_dataset(folder), args.draws or 200
    cache = tempfile.mkdtemp(prefix="bench-variants-cache-")
    print(
        f"load average {os.getloadavg()}; {'full' if args.full else 'small'} study; 2 chains x {draws} draws"
    )
    fits, timing = {}, []
    for name in args.models:
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            f = fit(get_model(name), dataset, draws=draws, tune=draws, chains=2, seed=1, cache_root=cache)
        t1 = time.perf_counter()
        add_log_likelihood(f)
        t2 = time.perf_counter()
        fits[name] = f
        timing.append({"model": name, "fit_s": round(t1 - t0, 1), "loglik_s": round(t2 - t1, 1)})
        print(
            f"  {name}: fit {t1 - t0:.1f} s, log-likelihood {t2 - t1:.1f} s, load {os.getloadavg()[0]:.1f}",
            flush=True,
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = compare_judge_structures(dataset, args.models, fits=fits, references=not args.no_references)
    table = table.merge(pd.DataFrame(timing), on="model", how="left")
    cols = [
        "model",
        "rank",
        "elpd_loo",
        "elpd_diff",
        "dse",
        "p_loo",
        "n_k_high",
        "prevalence",
        "human_sens",
        "human_spec",
        "llm_sens",
        "llm_spec",
        "llm_minus_human_sens",
        "llm_minus_human_spec",
        "converged",
        "fit_s",
    ]
    with pd.option_context("display.width", 250, "display.max_columns", 30, "display.precision", 3):
        print(table[[c for c in cols if c in table]].to_string(index=False))
    if args.json:
        args.json.write_text(json.dumps(table.to_dict(orient="records"), indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
