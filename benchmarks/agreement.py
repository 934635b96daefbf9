"""Timings of toolkit.agreement / toolkit.metrics against the goals of the agreement issue.

Run: ``python benchmarks/agreement.py`` (about a minute on a 2-core machine). Prints, for each goal, the
median wall time of a few repeats and whether it meets the goal; and the speed ratio against the
``krippendorff`` package on identical data (a dev dependency). Not a test: nothing here asserts.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from toolkit import agreement as ag  # noqa: E402
from toolkit import metrics as me  # noqa: E402


def timed(fn: Callable[[], object], repeats: int = 5) -> tuple[float, object]:
    """Median wall time in seconds over ``repeats`` runs (after one warm-up run) and the last result."""
    result = fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def report(name: str, seconds: float, goal: float | None = None) -> None:
    verdict = "" if goal is None else ("  OK" if seconds < goal else "  MISSED")
    goal_txt = (
        "" if goal is None else f" (goal < {goal * 1000:.0f} ms)" if goal < 1 else f" (goal < {goal:.0f} s)"
    )
    print(f"{name:<66s} {seconds * 1000:9.1f} ms{goal_txt}{verdict}")


def stage2_like(
    n_raters: int, n_items: int, rng: np.random.Generator, prevalence: float = 0.2
) -> pd.DataFrame:
    """Complete binary relevance judgments with a composite (prompt_id, attribute_id) item key."""
    truth = rng.random(n_items) < prevalence
    flip = rng.uniform(0.05, 0.3, size=n_raters)
    labels = np.where(rng.random((n_items, n_raters)) < flip, ~truth[:, None], truth[:, None])
    item = np.repeat(np.arange(n_items), n_raters)
    return pd.DataFrame(
        {
            "prompt_id": item // 25,
            "attribute_id": item % 25,
            "rater_id": np.tile([f"r{j}" for j in range(n_raters)], n_items),
            "relevant": labels.ravel(),
        }
    )


def sparse_design(n_raters: int, n_items: int, rng: np.random.Generator) -> pd.DataFrame:
    """Each item rated by 3-8 raters drawn at random from the pool, 5-point labels."""
    m = rng.integers(3, 9, size=n_items)
    # Distinct raters per item: the first m of a random permutation (argsort of uniforms, vectorised).
    perm = np.argsort(rng.random((n_items, n_raters)), axis=1)
    keep = np.arange(n_raters)[None, :] < m[:, None]
    items = np.broadcast_to(np.arange(n_items)[:, None], perm.shape)[keep]
    raters = perm[keep]
    latent = rng.integers(1, 6, size=n_items)
    noise = rng.integers(-1, 2, size=items.size) * (rng.random(items.size) < 0.4)
    return pd.DataFrame({"item": items, "rater": raters, "label": np.clip(latent[items] + noise, 1, 5)})


def main() -> None:
    rng = np.random.default_rng(20260601)
    print(f"numpy {np.__version__}, pandas {pd.__version__}; median of repeated runs\n")

    small = stage2_like(8, 4000, rng)
    key = ["prompt_id", "attribute_id"]
    t, _ = timed(lambda: ag.pairwise_matrix(small, item=key, rater="rater_id", label="relevant"))
    report("8 raters x 4,000 items: pairwise kappa matrix (composite item key)", t, 0.050)
    t, _ = timed(
        lambda: ag.pairwise_agreement(
            small.assign(item=small.prompt_id * 25 + small.attribute_id),
            item="item",
            rater="rater_id",
            label="relevant",
        )
    )
    report("8 raters x 4,000 items: pairwise kappa table (single item column)", t, 0.050)
    groups = {"human": ["r0", "r1", "r2"], "llm": [f"r{j}" for j in range(3, 8)]}
    t, _ = timed(
        lambda: ag.group_agreement(
            small, item=key, rater="rater_id", label="relevant", groups=groups, n_boot=1000, seed=1
        ),
        repeats=3,
    )
    report("8 raters x 4,000 items: group_agreement, 1,000 item-cluster resamples", t, 3.0)
    majority = ag.majority_vote(
        small[small.rater_id.isin(groups["human"])], item=key, rater="rater_id", label="relevant"
    )
    judges = small[small.rater_id.isin(groups["llm"])]
    t, _ = timed(
        lambda: me.judge_metrics(judges, majority, item=key, rater="rater_id", label="relevant", n_boot=1000),
        repeats=3,
    )
    report("5 judges x 4,000 items: judge_metrics vs majority, 1,000 resamples", t)

    big = sparse_design(100, 100_000, rng)
    print(f"\n100 raters x 100,000 items, 3-8 raters per item: {len(big):,} judgments")
    t, _ = timed(lambda: ag.pairwise_agreement(big, item="item", rater="rater", label="label"), repeats=3)
    report("  pairwise kappa table (4,950 pairs)", t, 10.0)
    t, _ = timed(
        lambda: ag.pairwise_agreement(big, item="item", rater="rater", label="label", weights="quadratic"),
        repeats=3,
    )
    report("  pairwise quadratic-weighted kappa table", t, 10.0)
    t, _ = timed(
        lambda: ag.krippendorff_alpha(big, item="item", rater="rater", label="label", level="ordinal"),
        repeats=3,
    )
    report("  Krippendorff alpha (ordinal) from the long frame", t)

    try:
        import krippendorff
    except ImportError:  # pragma: no cover - dev dependency
        krippendorff = None
    print("\nKrippendorff's alpha on raters x units arrays (NaN = missing)")
    designs = {
        "5 raters x 200,000 units, complete, 5 values": (5, 200_000, 0.0),
        "20 raters x 100,000 units, 50% missing, 5 values": (20, 100_000, 0.5),
    }
    for label, (n_r, n_u, missing) in designs.items():
        latent = rng.integers(1, 6, size=n_u)
        data = np.clip(
            latent[None, :] + rng.integers(-1, 2, size=(n_r, n_u)) * (rng.random((n_r, n_u)) < 0.4), 1, 5
        ).astype(float)
        data[rng.random(data.shape) < missing] = np.nan
        m = (~np.isnan(data)).sum(axis=0)
        print(f"  {label}: {int(m[m >= 2].sum()):,} pairable values")
        for level in ag.LEVELS:
            t_ours, ours = timed(lambda lv=level, d=data: ag.krippendorff_alpha(d, level=lv), repeats=3)
            line = f"    {level:<9s} toolkit {t_ours * 1000:8.1f} ms (goal < 2000 ms, {'OK' if t_ours < 2 else 'MISSED'})"
            if krippendorff is not None:
                t_ref, theirs = timed(
                    lambda lv=level, d=data: krippendorff.alpha(reliability_data=d, level_of_measurement=lv),
                    repeats=3,
                )
                line += (
                    f"  krippendorff pkg {t_ref * 1000:8.1f} ms  ratio pkg/toolkit {t_ref / t_ours:6.1f}x"
                    f"  |diff| {abs(float(ours) - float(theirs)):.1e}"
                )
            print(line)


if __name__ == "__main__":
    main()
