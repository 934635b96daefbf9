"""Benchmark: do the stage-3 conclusions depend on the rating model's structure? Fits, times, the table.

Usage::

    python benchmarks/model_sensitivity.py                  # small simulated study (scale 0.2), 2 x 300 draws
    python benchmarks/model_sensitivity.py --full           # the bundled sample's size, 4 x 1000 draws
    python benchmarks/model_sensitivity.py --data DIR       # any dataset
    python benchmarks/model_sensitivity.py --misspecification judge-thresholds --json out.json

Fits the default rating model and every structural variant (:mod:`toolkit.models.rating_variants`) to one
dataset (an independent draw of :mod:`toolkit.simulate` unless ``--data``), and prints per structure the fit
time and convergence, the model-implied noise ceiling and each judge's fraction of it
(:mod:`toolkit.models.rating_ceiling`), the sensitivity table of the Table 6 / Fig 6 conclusions and the
sentences saying which hold under every structure (:mod:`toolkit.models.sensitivity`). ``--psense`` adds
the power-scaling prior sensitivity of the headline quantities (:mod:`toolkit.models.prior_sensitivity`).
Fits are cached (``$RECENTER_CACHE_DIR``), so a second run only recomputes the tables.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import warnings
from typing import Any

STRUCTURES = (
    "rating", "rating-thresholds", "rating-llm-shared", "rating-pooled-mention", "rating-clustered", "rating-full",
)  # fmt: skip


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="bundled-sample size, 4 chains x 1000 draws")
    parser.add_argument("--data", help="a dataset folder (default: a simulated study)")
    parser.add_argument(
        "--misspecification", default=None, help="simulator misspecification (e.g. judge-thresholds)"
    )
    parser.add_argument("--structures", default=",".join(STRUCTURES))
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--psense", action="store_true", help="also power-scaling prior sensitivity")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args(argv)

    import attrs

    import toolkit.models.rating_variants as rv  # registers the variants
    from toolkit.dataset import load_dataset
    from toolkit.models import ConvergenceWarning, fit
    from toolkit.models.rating_ceiling import ceiling_table
    from toolkit.models.rating_posterior import RatingParameters
    from toolkit.models.sensitivity import conclusion_sentences, rating_sensitivity_table
    from toolkit.simulate import SimulationConfig, simulate

    if args.data:
        ds = load_dataset(args.data)
    else:
        config = SimulationConfig() if args.full else SimulationConfig.small()
        config = attrs.evolve(config, balanced=False, misspecification=args.misspecification)
        ds = simulate(config, seed=args.seed).write(tempfile.mkdtemp(prefix="recenter-sensitivity-"))
    settings = (
        {"draws": 1000, "tune": 1000, "chains": 4} if args.full else {"draws": 300, "tune": 300, "chains": 2}
    )
    print(f"load average {os.getloadavg()[0]:.1f}; settings {settings}")
    fits, rows, ceilings = {}, [], []
    for name in args.structures.split(","):
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            result = fit(name, ds, seed=1, **settings)
        d = result.diagnostics
        rows.append(
            {
                "structure": name,
                "wall_s": round(time.perf_counter() - t0, 1),
                "fit_s": round(result.fit_wall_time, 1),
                "max_r_hat": round(d.max_r_hat, 3),
                "min_ess_bulk": round(d.min_ess_bulk),
                "divergences": int(d.divergences),
                "converged": bool(d.ok),
            }
        )
        fits[name] = result
        params = (rv.VariantParameters if name != "rating" else RatingParameters).from_idata(result.idata)
        ceilings.append(ceiling_table(params, result.data, n_cells=2000).assign(structure=name))
        print(rows[-1], flush=True)
    import pandas as pd

    table = rating_sensitivity_table(fits)
    sentences = conclusion_sentences(table)
    ceiling = pd.concat(ceilings, ignore_index=True)
    with pd.option_context("display.width", 160, "display.max_rows", 500):
        print(pd.DataFrame(rows).to_string(index=False))
        print(
            ceiling.pivot_table(index="rater_id", columns="structure", values="mean", aggfunc="first").round(
                3
            )
        )
        wide = table.pivot_table(
            index=["quantity", "rater"], columns="structure", values="conclusion", aggfunc="first"
        )
        print(wide.to_string())
    print("\n".join(sentences))
    out: dict[str, Any] = {
        "fits": rows,
        "table": table.to_dict("records"),
        "sentences": sentences,
        "ceiling": ceiling.to_dict("records"),
    }
    if args.psense:
        from toolkit.models.prior_sensitivity import headline_quantities, power_scaling_sensitivity

        ps = []
        for name, result in fits.items():
            p = power_scaling_sensitivity(
                result.model, result.idata, result.data, quantities=headline_quantities(result.idata)
            )
            ps.append(p.assign(structure=name))
            print(name)
            print(p.to_string(index=False))
        out["psense"] = pd.concat(ps, ignore_index=True).to_dict("records")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=1, default=str)
    return out


if __name__ == "__main__":
    main()
