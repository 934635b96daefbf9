"""Large studies: agreement and classification statistics on millions of judgments, in bounded memory.

Every statistic of :mod:`toolkit.agreement` and :mod:`toolkit.metrics` that a study at scale needs is a
function of small sufficient statistics: per rater pair (and per cluster, for the bootstrap) the confusion
counts; per item, its category counts. This package computes them from long-format Parquet judgments
(:class:`Judgments`: ``item, rater, label, cluster[, cluster2], group``; crowd-kit's ``task, worker, label``
accepted) without loading the judgments into pandas:

* **embedded** (default): DuckDB, in-process, streams the coded judgments to a numpy kernel
  (:mod:`toolkit.engine.duck`, :mod:`toolkit.engine.kernel`);
* **cluster**: the same counts by Dask DataFrame when ``scheduler=`` names a Dask scheduler
  (:mod:`toolkit.engine.dask_engine`), identical to the embedded result.

The statistics are then computed by the same "from tables" functions as the in-memory path
(:mod:`toolkit.agreement.tables`), so both give identical numbers; bootstrap intervals resample the
per-cluster counts (:func:`toolkit.resampling.unit_bootstrap_sums`, the in-memory cluster bootstrap's draws:
the same seed gives the same interval). Reduce once (:func:`reduce`) and compute many statistics from the
:class:`Reduced` study. See ``benchmarks/scale.py`` for 100M judgments.

Examples
--------
>>> import tempfile, pathlib, pandas as pd
>>> frame = pd.DataFrame({"item": [1, 1, 2, 2, 3, 3], "rater": ["a", "b"] * 3, "label": [1, 1, 0, 1, 0, 0],
...                       "cluster": ["p", "p", "p", "p", "q", "q"]})
>>> spec = write_judgments(frame, pathlib.Path(tempfile.mkdtemp()) / "j.parquet", cluster="cluster")
>>> pairwise_agreement(spec, threads=1)[["rater_a", "rater_b", "value"]].round(3)
  rater_a rater_b  value
0       a       b    0.4
"""

from toolkit.engine.kernel import Accumulator, Codes, UnitStats
from toolkit.engine.plan import Plan, Reduced
from toolkit.engine.source import Judgments, relevance_judgments, write_judgments
from toolkit.engine.stats import (
    group_agreement,
    judge_metrics,
    krippendorff_alpha,
    majority_vote,
    multirater,
    pairwise_agreement,
    pairwise_matrix,
    rater_groups,
    reduce,
)
from toolkit.engine.synthetic import write_synthetic_study

__all__ = [
    "Judgments",
    "write_judgments",
    "relevance_judgments",
    "write_synthetic_study",
    "reduce",
    "Reduced",
    "Plan",
    "UnitStats",
    "Accumulator",
    "Codes",
    "rater_groups",
    "pairwise_agreement",
    "pairwise_matrix",
    "group_agreement",
    "multirater",
    "krippendorff_alpha",
    "judge_metrics",
    "majority_vote",
]
