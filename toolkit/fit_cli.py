"""``recenter fit MODEL --data DIR --out DIR``: fit one model and keep everything a reader needs.

Writes into ``--out`` (each file named after the model):

* ``<model>_fit.nc``: the saved fit (:meth:`FitResult.save <toolkit.models.fitting.FitResult.save>`), one
  netCDF-4 file that plain ArviZ opens;
* ``<model>_<table>.csv``: every summary table (``mean, sd, ci_low, ci_high``: 95% equal-tailed intervals);
* ``<model>_ppc.csv`` and ``<model>_ppc.png``: posterior predictive checks, each observed statistic as a
  z-score against its replicated distribution (undefined statistics listed, not plotted);
* ``<model>_rank.png``: rank plots (arviz-plots) of the model's scalar and small vector parameters;
* ``<model>_provenance.json``: data (path, hash, simulated or real), model, version, options, settings,
  convergence verdict and timings.

Exit codes: 0 fitted and converged; 1 fitted but the convergence bar was missed (outputs written, the
verdict says what to do); 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from toolkit.dataset import load_dataset, sample_path
from toolkit.vocabulary import DEFAULT_SEED

__all__ = ["add_arguments", "rank_plot_vars", "run", "write_fit_outputs"]

#: At most this many elements of one vector parameter go into the rank plot.
RANK_PLOT_MAX_SIZE = 6


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``recenter fit`` options."""
    from toolkit.models import MODEL_MODULES
    from toolkit.models.fitting import SAMPLERS

    parser.add_argument("model", choices=sorted(MODEL_MODULES), help="model to fit")
    parser.add_argument("--data", default=None, help="dataset folder (default: the bundled simulated sample)")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--draws", type=int, default=1000, help="draws per chain after tuning (default 1000)")
    parser.add_argument("--tune", type=int, default=1000, help="tuning steps per chain (default 1000)")
    parser.add_argument("--chains", type=int, default=4, help="chains (default 4)")
    parser.add_argument("--seed", type=int, default=None, help="sampler seed (default: the toolkit's)")
    parser.add_argument("--sampler", choices=SAMPLERS, default="pymc", help="NUTS implementation")
    parser.add_argument("--target-accept", type=float, default=None, help="NUTS target acceptance")
    parser.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=JSON",
        help="a model option, e.g. --option n_quad=30 (repeatable)",
    )
    parser.add_argument("--no-cache", action="store_true", help="ignore and do not fill the posterior cache")
    parser.add_argument(
        "--progress", action=argparse.BooleanOptionalAction, default=None, help="sampler progress bar"
    )


def _options(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"recenter fit: error: --option wants KEY=JSON, got {pair!r}")
        try:
            out[key] = json.loads(value)
        except ValueError:
            out[key] = value
    return out


def rank_plot_vars(idata: Any, names: list[str]) -> list[str]:
    """The parameters worth a rank plot: scalars and vectors of at most :data:`RANK_PLOT_MAX_SIZE` elements."""
    post = idata["posterior"]
    keep = []
    for name in names:
        if name in post.data_vars:
            size = int(np.prod([n for d, n in post[name].sizes.items() if d not in ("chain", "draw")]))
            if size <= RANK_PLOT_MAX_SIZE:
                keep.append(name)
    return keep


def _ppc_plot(ppc: pd.DataFrame, title: str, path: Path) -> None:
    import matplotlib.pyplot as plt

    ok = ppc[ppc["defined"].astype(bool) & (ppc["rep_sd"] > 0)]
    labels = [
        " ".join(str(v) for v in row if pd.notna(v) and v != "") for row in ok[_label_columns(ok)].values
    ]
    z = ((ok["observed"] - ok["rep_mean"]) / ok["rep_sd"]).to_numpy()
    fig, ax = plt.subplots(figsize=(7, 0.28 * max(len(z), 4) + 1.2))
    y = np.arange(len(z))
    ax.axvspan(-1.96, 1.96, color="0.9", label="95% of replicated data")
    ax.axvline(0, color="0.5", lw=0.8)
    ax.scatter(z, y, color=["tab:red" if abs(v) > 1.96 else "tab:blue" for v in z], s=14, zorder=3)
    ax.set_yticks(y, labels, fontsize=6)
    ax.invert_yaxis()
    ax.set_xlabel("(observed - replicated mean) / replicated sd")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


def _label_columns(ppc: pd.DataFrame) -> list[str]:
    stats = {
        "observed",
        "rep_mean",
        "rep_sd",
        "rep_low",
        "rep_high",
        "p_value",
        "within_ci",
        "defined",
        "note",
    }
    return [c for c in ppc.columns if c not in stats]


def write_fit_outputs(result: Any, out: Path, *, data_path: str, simulated: bool) -> dict[str, Path]:
    """Write the saved fit, summaries, PPC, plots and provenance of ``result`` into ``out``; return the paths."""
    import matplotlib.pyplot as plt

    name = result.model.name
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {"fit": result.save(out / f"{name}_fit.nc")}
    for table, df in result.summaries.items():
        path = out / f"{name}_{table}.csv"
        df.to_csv(path, index=False)
        written[table] = path
    ppc = result.ppc(rng=0)
    written["ppc"] = out / f"{name}_ppc.csv"
    ppc.to_csv(written["ppc"], index=False)
    tag = "SIMULATED data" if simulated else "data"
    written["ppc_png"] = out / f"{name}_ppc.png"
    _ppc_plot(ppc, f"{name} model: posterior predictive checks ({tag})", written["ppc_png"])
    names = rank_plot_vars(result.idata, result.model.diagnostic_vars(result.idata))
    if names:
        import arviz_plots as azp

        pc = azp.plot_rank(result.idata, var_names=names, backend="matplotlib")
        written["rank_png"] = out / f"{name}_rank.png"
        pc.savefig(written["rank_png"], dpi=110)
        plt.close("all")
    d = result.diagnostics
    provenance = {
        "model": name,
        "model_version": type(result.model).version,
        "options": result.model.options(),
        "data": {"path": data_path, "hash": result.data_hash, "simulated": simulated},
        "settings": {
            k: getattr(result.settings, k)
            for k in ("draws", "tune", "chains", "seed", "sampler", "target_accept", "init")
        },
        "diagnostics": {
            "ok": bool(d.ok),
            "max_r_hat": float(d.max_r_hat),
            "min_ess_bulk": float(d.min_ess_bulk),
            "min_ess_tail": float(d.min_ess_tail),
            "divergences": int(d.divergences),
            "message": d.message,
        },
        "fit_wall_time_s": round(float(result.fit_wall_time), 2),
        "from_cache": bool(result.from_cache),
        "outputs": sorted(p.name for p in written.values()),
    }
    written["provenance"] = out / f"{name}_provenance.json"
    written["provenance"].write_text(
        json.dumps(provenance, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return written


def run(args: argparse.Namespace) -> int:
    """Fit, write the outputs, print where they are; 0 converged, 1 convergence bar missed."""
    from toolkit.models import ConvergenceWarning, fit, get_model

    model = get_model(args.model, **_options(args.option))
    data_path = args.data or str(sample_path())
    ds = load_dataset(data_path)
    progress = args.progress if args.progress is not None else sys.stderr.isatty()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # the verdict is printed below and in provenance
        result = fit(
            model,
            ds,
            draws=args.draws,
            tune=args.tune,
            chains=args.chains,
            seed=DEFAULT_SEED if args.seed is None else args.seed,
            sampler=args.sampler,
            target_accept=args.target_accept,
            cache=not args.no_cache,
            progressbar=progress,
        )
    written = write_fit_outputs(
        result, Path(args.out), data_path=os.fspath(data_path), simulated=ds.is_simulated
    )
    # a missed bar was already logged with its remedy (toolkit.models.diagnostics.report)
    print(f"{args.model}: {'converged' if result.diagnostics.ok else 'CONVERGENCE BAR MISSED'}")
    for path in written.values():
        print(path)
    return 0 if result.diagnostics.ok else 1
