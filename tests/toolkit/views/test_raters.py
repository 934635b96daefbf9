"""toolkit.views.raters and the views on a schema 1.1 study: rater groups, graded relevance, a 1-7 scale."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from schemas import Rater, RaterKind, RelevanceJudgment
from toolkit.agreement import cohen_kappa
from toolkit.dataset import load_dataset, write_dataset
from toolkit.jsonl import DataError, write_records
from toolkit.views import (
    judge_order,
    label_scale,
    rater_group_of,
    rater_groups,
    rater_kinds,
    rater_table,
    rating_long,
    rating_scale,
    relevance_long,
)

RATERS = [
    Rater("e1", RaterKind.HUMAN, group="expert"), Rater("e2", RaterKind.HUMAN, group="expert"),
    Rater("c1", RaterKind.HUMAN, group="crowd"), Rater("c2", RaterKind.HUMAN, group="crowd"),
    Rater("j-open", RaterKind.LLM, model="llama", group="open-weight"),
    Rater("j-closed", RaterKind.LLM, model="gpt", group="closed-weight"),
    Rater("bm25", RaterKind.BASELINE),
]


def _study(tmp_path: Path, *, manifest: dict | None = None, ratings: list[int] | None = None) -> Path:
    """A made-up 1.1 study: 4 annotators in two groups, 2 judges in two groups, graded relevance, 1-7 ratings."""
    from schemas import Attribute, Condition, Origin, Prompt, Response, ResponseRating, User

    grades = {"e1": [2, 0, 1], "e2": [2, 0, 0], "c1": [1, 1, 0], "c2": [2, 0, 0], "j-open": [1, 1, 1],
              "j-closed": [2, 0, 1]}
    judgments = [RelevanceJudgment("u1", "p1", f"a{i}", r, g > 0, grade=g)
                 for r, gs in grades.items() for i, g in enumerate(gs)]
    ratings = ratings or [7, 6, 1, 2, 5, 4]
    records = {
        "raters": RATERS,
        "users": [User("u1", "mine", Origin.HUMAN)],
        "attributes": [Attribute(f"a{i}", "u1", f"The user {i}.") for i in range(3)],
        "prompts": [Prompt("p1", "hi", "mine")],
        "relevance_judgments": judgments,
        "responses": [Response("rp", "u1", "p1", "gpt", Condition.PERSONALIZED, "x"),
                      Response("rg", "u1", "p1", "gpt", Condition.GENERIC, "y")],
        "response_ratings": [ResponseRating("rp", "rg", "a0", r.rater_id, v)
                             for r, v in zip(RATERS[:6], ratings, strict=True)],
    }
    ds = write_dataset(tmp_path / "study", records, name="mine", provenance="real", origin="test")
    path = ds.path / "manifest.json"
    text = json.loads(path.read_text())
    text.update({"rating_scale": {"min": 1, "max": 7}, "label_scale": {"min": 0, "max": 2}, **(manifest or {})})
    path.write_text(json.dumps(text))
    return ds.path


def test_groups_replace_the_two_kinds(tmp_path: Path) -> None:
    ds = load_dataset(_study(tmp_path))
    assert rater_groups(ds) == {"expert": ["e1", "e2"], "crowd": ["c1", "c2"],
                                "open-weight": ["j-open"], "closed-weight": ["j-closed"]}
    assert rater_group_of(ds, ["c2", "bm25"]).to_dict() == {"c2": "crowd", "bm25": "baseline"}
    assert rater_kinds(ds, ["c2"]).to_dict() == {"c2": "human"}
    assert list(rater_table(ds).columns) == ["kind", "group"]
    long = relevance_long(ds)
    assert set(long["group"]) == {"expert", "crowd", "open-weight", "closed-weight"}
    assert long.loc[long["rater_id"] == "e1", "grade"].tolist() == [2, 0, 1]
    assert (long["relevant"] == (long["grade"] > 0)).all()


def test_the_1_0_sample_keeps_its_two_groups(small_ds) -> None:
    groups = rater_groups(small_ds)
    assert list(groups) == ["human", "llm"]
    assert (rater_group_of(small_ds) == rater_kinds(small_ds)).all()
    assert rating_scale(small_ds) == (1, 2, 3, 4, 5) and label_scale(small_ds) is None
    assert relevance_long(small_ds)["grade"].isna().all()


def test_rating_long_pools_annotators_by_group_and_checks_the_declared_scale(tmp_path: Path) -> None:
    ds = load_dataset(_study(tmp_path))
    assert rating_scale(ds) == tuple(range(1, 8))
    long = rating_long(ds)
    assert long.set_index("rater_id")["judge"].to_dict() == {
        "e1": "expert", "e2": "expert", "c1": "crowd", "c2": "crowd", "j-open": "j-open", "j-closed": "j-closed"}
    assert judge_order(ds, long["judge"].unique()) == ["expert", "crowd", "j-closed", "j-open"]
    bad = load_dataset(_study(tmp_path / "b", ratings=[7, 6, 1, 2, 5, 9]))
    with pytest.raises(DataError, match=r"1 ratings outside the rating scale 1\.\.7 .* rating 9"):
        rating_long(bad)
    default = load_dataset(_study(tmp_path / "c", manifest={"rating_scale": None}))
    with pytest.raises(DataError, match=r"2 ratings outside the rating scale 1\.\.5"):
        rating_long(default)


def test_grades_outside_the_label_scale_and_bad_scales_are_errors(tmp_path: Path) -> None:
    ds = load_dataset(_study(tmp_path, manifest={"label_scale": {"min": 0, "max": 1}}))
    with pytest.raises(DataError, match=r"grades outside the declared label_scale 0\.\.1, e\.g\. grade 2"):
        relevance_long(ds)
    broken = load_dataset(_study(tmp_path / "b", manifest={"rating_scale": {"min": 7, "max": 1}}))
    with pytest.raises(DataError, match="rating_scale: min must be below max"):
        rating_scale(broken)


def test_weighted_kappa_uses_the_declared_categories(tmp_path: Path) -> None:
    """Weights follow the category positions: with 4 and 5 unused, 3 vs 6 is 3 steps apart on the declared
    1..7 scale but 1 step among the observed categories."""
    ds = load_dataset(_study(tmp_path))
    a, b = [1, 2, 6, 7, 3], [1, 3, 6, 7, 6]
    declared = cohen_kappa(a, b, weights="quadratic", categories=list(rating_scale(ds)))
    observed = cohen_kappa(a, b, weights="quadratic")
    assert declared != pytest.approx(observed)


def test_a_dataset_without_raters_guesses_kinds_by_id(tmp_path: Path) -> None:
    write_records(tmp_path / "users.jsonl", [])
    ds = load_dataset(tmp_path)
    assert rater_kinds(ds, ["human-3", "gpt", "human-3"]).to_dict() == {"human-3": "human", "gpt": "llm"}
    with pytest.raises(DataError, match="raters.jsonl"):
        rater_table(ds)


def test_unknown_rater_ids_are_an_error(small_ds) -> None:
    with pytest.raises(DataError, match="1 rater ids are not in raters.jsonl, e.g. 'nobody'"):
        rater_kinds(small_ds, ["human-1", "nobody"])


def test_the_validator_accepts_the_1_1_study_and_names_a_bad_declared_scale(tmp_path: Path) -> None:
    from toolkit.validate import validate_path

    good = validate_path(_study(tmp_path))
    assert [p.format() for p in good.problems if p.severity == "error"] == []
    bad = _study(tmp_path / "b", manifest={"rating_scale": {"min": 1}, "schema_version": "1.0"})
    errors = [p.format() for p in validate_path(bad).problems if p.severity == "error"]
    assert 'manifest.json:0: rating_scale: must be an object {"min": <integer>, "max": <integer>}' in errors
    assert "manifest.json:0: rating_scale: is a schema 1.1 field; set schema_version to 1.1" in errors
