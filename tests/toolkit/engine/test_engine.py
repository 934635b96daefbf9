"""The embedded engine (DuckDB over Parquet) gives the in-memory path's numbers, to the bit.

Every check compares an engine frame with the in-memory function on the same judgments: equal frames
(``DataFrame.equals``: same values, NaN where NaN), so any change in codes, unit order, draws or table
functions fails here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from toolkit import agreement as ag
from toolkit import engine as en
from toolkit.metrics.classification import judge_metrics

pytest.importorskip("duckdb")


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> tuple[en.Judgments, pd.DataFrame]:
    path = en.write_synthetic_study(tmp_path_factory.mktemp("engine") / "s.parquet", n_items=600, n_raters=8,
                                    n_groups=2, raters_per_item=4, items_per_cluster=12, seed=5)
    long = pd.read_parquet(path)
    for col in ("rater", "group"):
        long[col] = long[col].astype(str)
    return en.Judgments(path, cluster2="cluster2"), long


KW = {"item": "item", "rater": "rater", "label": "label"}


def test_pairwise_and_groups_equal_in_memory_with_cluster_bootstrap(study) -> None:
    spec, long = study
    one = en.Judgments(spec.paths)
    a = ag.pairwise_agreement(long, **KW, n_boot=40, clusters="cluster", seed=3)
    assert en.pairwise_agreement(one, n_boot=40, seed=3, threads=1).equals(a)
    groups = en.rater_groups(one, threads=1)
    assert list(groups) == ["g1", "g2"] and len(groups["g1"]) == 4
    a = ag.group_agreement(long, **KW, groups=groups, n_boot=40, clusters="cluster", seed=2)
    assert en.group_agreement(one, n_boot=40, seed=2, threads=1).equals(a)
    # crossed levels (prompt within user) and the item bootstrap
    a = ag.pairwise_agreement(long, **KW, n_boot=20, clusters=("cluster", "cluster2"), seed=4, metric="gwet_ac1")
    assert en.pairwise_agreement(spec, n_boot=20, seed=4, metric="gwet_ac1", threads=1).equals(a)
    a = ag.pairwise_agreement(long, **KW, n_boot=20, seed=4, metric="scott_pi")
    assert en.pairwise_agreement(spec, n_boot=20, seed=4, metric="scott_pi", clusters=None, threads=1).equals(a)
    m = en.pairwise_matrix(one, threads=1)
    assert m.shape == (8, 8) and np.allclose(m.to_numpy(), m.to_numpy().T)


def test_multirater_alpha_judges_and_majority_equal_in_memory(study) -> None:
    spec, long = study
    red = en.reduce(spec, threads=1)
    for name in ("fleiss_kappa", "gwet_ac1", "percent_agreement"):
        assert en.multirater(red, name).value == getattr(ag, name)(long, **KW)
    res = en.krippendorff_alpha(red, level="nominal")
    assert res.value == pytest.approx(ag.krippendorff_alpha(long, **KW, level="nominal"), abs=1e-14)
    assert (res.n_units, res.n_skipped) == (600, 0)
    ref = "g2_r05"
    reference = long[long.rater == ref].set_index("item")["label"]
    a = judge_metrics(long[long.rater != ref], reference, **KW, n_boot=30, clusters="cluster", seed=6)
    b = en.judge_metrics(en.Judgments(spec.paths), reference=ref, n_boot=30, seed=6, threads=1)
    assert b.equals(a)
    sub = long[long.item < 60]
    path = Path(spec.paths[0]).with_name("sub.parquet")
    assert en.majority_vote(en.write_judgments(sub, path), threads=1).equals(ag.majority_vote(sub, **KW))


def test_unsorted_file_with_string_ids_is_sorted_by_the_engine(study, tmp_path: Path) -> None:
    _, long = study
    shuffled = long.sample(frac=1.0, random_state=1).reset_index(drop=True)
    shuffled = shuffled.assign(item="it" + shuffled["item"].astype(str), cluster="p" + shuffled["cluster"].astype(str))
    path = tmp_path / "shuffled.parquet"
    pq.write_table(pa.Table.from_pandas(shuffled, preserve_index=False), path, row_group_size=500)
    spec = en.Judgments(path)
    a = ag.pairwise_agreement(shuffled, **KW, n_boot=20, clusters="cluster", seed=9)
    assert en.pairwise_agreement(spec, n_boot=20, seed=9, threads=1, batch_rows=300).equals(a)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda f: f.assign(cluster=np.where(f.index == 0, 99_999, f["cluster"])), "more than one cluster"),
        (lambda f: pd.concat([f, f.iloc[:1]]), "duplicated"),
        (lambda f: f.assign(label=f["label"].astype(object).where(f.index != 3, None)), "missing values"),
    ],
)
def test_bad_judgments_raise_naming_the_problem(study, tmp_path: Path, change, match: str) -> None:
    _, long = study
    path = tmp_path / "bad.parquet"
    pq.write_table(pa.Table.from_pandas(change(long.copy()), preserve_index=False), path)
    with pytest.raises(ValueError, match=match):
        en.reduce(en.Judgments(path), threads=1)


def test_declared_categories_and_crowdkit_names(tmp_path: Path) -> None:
    frame = pd.DataFrame({"task": [1, 1, 2, 2, 3], "worker": ["w1", "w2", "w1", "w2", "w1"], "label": [0, 0, 1, 0, 2]})
    path = tmp_path / "crowd.parquet"
    frame.to_parquet(path)
    spec = en.Judgments.crowdkit(path)
    a = ag.pairwise_agreement(frame, item="task", rater="worker", label="label", categories=[0, 1, 2, 3],
                              weights="linear")
    b = en.pairwise_agreement(spec, categories=[0, 1, 2, 3], weights="linear", threads=1)
    assert b.equals(a)
    with pytest.raises(ValueError, match="outside the declared categories"):
        en.reduce(spec, categories=[0, 1], threads=1)
    res = en.multirater(spec, "fleiss_kappa", threads=1)
    assert (res.n_units, res.n_pairable, res.n_skipped) == (3, 2, 1)


def test_relevance_adapter_matches_the_view(tmp_path: Path) -> None:
    import itertools

    from toolkit.dataset import load_dataset, write_dataset
    from toolkit.views import relevance_long

    ds = load_dataset()
    kw = {"item": "item_id", "rater": "rater_id", "label": "relevant", "n_boot": 10, "seed": 1}
    spec = en.relevance_judgments(ds, tmp_path / "rel.parquet")  # a JSONL dataset: through the view
    a = ag.pairwise_agreement(relevance_long(ds), **kw, clusters="pair_id")
    assert en.pairwise_agreement(spec, n_boot=10, seed=1, clusters="cluster", threads=1).equals(a)
    # A Parquet dataset: DuckDB reads relevance_judgments.parquet itself.
    records = {"raters": ds.records("raters"), "relevance_judgments": itertools.islice(ds.records("relevance_judgments"), 600)}
    small = write_dataset(tmp_path / "pq", records, name="t", provenance="simulated", origin="test", format="parquet")
    assert (tmp_path / "pq" / "relevance_judgments.parquet").exists()
    spec = en.relevance_judgments(small, tmp_path / "rel2.parquet")
    a = ag.pairwise_agreement(relevance_long(small), **kw, clusters=("pair_id", "user_id"))
    assert en.pairwise_agreement(spec, n_boot=10, seed=1, threads=1).equals(a)
