"""Tests of toolkit.longform: the long-format contract (what raises), the coded table against a naive
pivot, label encoding with and without declared categories, the wide code matrix and per-item references."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.toolkit.imports import TOOLKIT, toolkit_imports
from toolkit import longform as lf

FAST = settings(max_examples=40, deadline=None)


def frame3() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "prompt": ["p2", "p1", "p1", "p2", "p1", "p10"],
            "attr": ["a", "b", "a", "a", "a", "a"],
            "rater": ["h2", "h1", "h1", "h1", "h2", "h2"],
            "label": [3, 1, 2, 2, 2, 5],
        }
    )


def test_from_long_sorts_items_and_raters_and_keeps_key_dtypes() -> None:
    coded = lf.from_long(frame3(), item=["prompt", "attr"], rater="rater", label="label")
    assert coded.items.to_dict("list") == {"prompt": ["p1", "p1", "p10", "p2"], "attr": ["a", "b", "a", "a"]}
    assert coded.raters.tolist() == ["h1", "h2"] and coded.categories.tolist() == [1, 2, 3, 5]
    assert (coded.n_items, coded.n_raters) == (4, 2)
    # Rows sorted by item, then rater.
    assert list(zip(coded.item.tolist(), coded.rater.tolist(), strict=True)) == [
        (0, 0), (0, 1), (1, 0), (2, 1), (3, 0), (3, 1)
    ]  # fmt: skip
    assert coded.to_wide().tolist() == [[1, 1], [0, -1], [-1, 3], [1, 2]]
    ints = frame3().assign(prompt=lambda f: f.prompt.str[1:].astype(int))
    items = lf.from_long(ints, item=["prompt", "attr"], rater="rater", label="label").items
    assert items["prompt"].dtype == np.int64 and items["prompt"].tolist() == [1, 1, 2, 10]


@FAST
@given(
    st.lists(
        st.tuples(st.integers(0, 6), st.sampled_from("abcd"), st.integers(1, 3)), min_size=2, max_size=40
    )
)
def test_to_wide_equals_a_pivot(rows: list[tuple[int, str, int]]) -> None:
    frame = pd.DataFrame(rows, columns=["item", "rater", "label"]).drop_duplicates(["item", "rater"])
    coded = lf.from_long(frame, item="item", rater="rater", label="label", categories=[1, 2, 3])
    pivot = frame.pivot(index="item", columns="rater", values="label").sort_index().sort_index(axis=1)
    expected = np.where(pivot.isna(), -1, pivot.fillna(0).to_numpy() - 1).astype(np.int64)
    np.testing.assert_array_equal(coded.to_wide(), expected)
    codes, cats = lf.coded_matrix(frame, categories=[1, 2, 3], item="item", rater="rater", label="label")
    np.testing.assert_array_equal(codes, expected)
    assert cats.tolist() == [1, 2, 3]


def test_raters_subset_and_order() -> None:
    coded = lf.from_long(frame3(), item="prompt", rater="rater", label="label", raters=["h2"])
    assert coded.raters.tolist() == ["h2"] and coded.n_items == 3
    coded = lf.from_long(frame3(), item=["prompt", "attr"], rater="rater", label="label", raters=["h2", "h1"])
    assert coded.raters.tolist() == ["h2", "h1"] and coded.to_wide()[0].tolist() == [1, 1]


@pytest.mark.parametrize(
    ("change", "kwargs", "match"),
    [
        (lambda f: f.iloc[0:0], {}, "no rows"),
        (lambda f: f.drop(columns="label"), {}, "no column"),
        (lambda f: f.assign(label=f.label.astype(float).where(f.index > 0)), {}, "missing values"),
        (lambda f: f.assign(rater=f.rater.where(f.index > 0)), {}, "missing values"),
        (lambda f: pd.concat([f, f.iloc[:1]]), {}, "duplicated"),
        (lambda f: f, {"raters": ["h1", "h9"]}, "not found"),
        (lambda f: f, {"raters": ["h1", "h1"]}, "duplicates"),
        (lambda f: f, {"categories": [1, 2, 3]}, "outside the declared categories"),
        (lambda f: f.to_numpy(), {}, "DataFrame"),
    ],
)
def test_contract_violations_raise(change, kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        lf.from_long(change(frame3()), item=["prompt", "attr"], rater="rater", label="label", **kwargs)


def test_item_columns() -> None:
    assert lf.item_columns("a") == ["a"] and lf.item_columns(("a", "b")) == ["a", "b"]
    with pytest.raises(ValueError, match="at least one column"):
        lf.item_columns([])
    with pytest.raises(ValueError, match="distinct"):
        lf.from_long(frame3(), item="rater", rater="rater", label="label")


def test_encode_labels() -> None:
    codes, cats = lf.encode_labels(np.array([[3, 1], [np.nan, 3]]), None, "x")
    assert codes.tolist() == [[1, 0], [-1, 1]] and cats.tolist() == [1.0, 3.0]
    codes, cats = lf.encode_labels(np.array([2, 7, 2]), None, "x")  # integer labels keep an integer dtype
    assert codes.tolist() == [0, 1, 0] and cats.dtype.kind == "i"
    codes, cats = lf.encode_labels(np.array(["b", None, "a"], dtype=object), None, "x")
    assert codes.tolist() == [1, -1, 0] and cats.tolist() == ["a", "b"]
    codes, cats = lf.encode_labels(np.array([5, 1]), [5, 3, 1], "x")  # declared order, not sorted
    assert codes.tolist() == [0, 2] and cats.tolist() == [5, 3, 1]
    with pytest.raises(ValueError, match="single category"):
        lf.encode_labels(np.array([1, 1]), None, "x")
    with pytest.raises(ValueError, match="outside the declared categories"):
        lf.encode_labels(np.array(["a", "z"]), ["a", "b"], "x")


def test_check_categories_and_numeric_values() -> None:
    assert lf.check_categories([1, 2]).dtype.kind == "i"
    assert lf.check_categories(["a", 1]).dtype == object
    for bad, match in (([1], "at least two"), ([1, None], "missing"), ([1, 1], "duplicates")):
        with pytest.raises(ValueError, match=match):
            lf.check_categories(bad)
    assert lf.numeric_values(np.array([True, False]), "w").tolist() == [1.0, 0.0]
    with pytest.raises(ValueError, match="finite"):
        lf.numeric_values(np.array([1.0, np.inf]), "w")
    with pytest.raises(ValueError, match="needs numeric labels"):
        lf.numeric_values(np.array(["a", "b"], dtype=object), "w")
    assert (
        lf.preview(range(7)) == "[0, 1, 2, 3, 4, ...] (7 in total)" and lf.preview([1]) == "[1] (1 in total)"
    )


def test_coded_matrix_wide_and_long_agree() -> None:
    wide = np.array([[1, 2, np.nan], [2, 2, 1]])
    codes, cats = lf.coded_matrix(wide)
    assert codes.tolist() == [[0, 1, -1], [1, 1, 0]] and cats.tolist() == [1.0, 2.0]
    long = pd.DataFrame([(i, j, wide[i, j]) for i in range(2) for j in range(3) if not np.isnan(wide[i, j])],
                        columns=["item", "rater", "label"])  # fmt: skip
    codes_l, _ = lf.coded_matrix(long, item="item", rater="rater", label="label")
    np.testing.assert_array_equal(codes_l, codes)
    with pytest.raises(ValueError, match="needs all of"):
        lf.coded_matrix(long, item="item", rater="rater")
    with pytest.raises(ValueError, match="2-D"):
        lf.coded_matrix(np.ones(3))
    with pytest.raises(ValueError, match="empty"):
        lf.coded_matrix(np.ones((0, 2)))


def test_reference_frame() -> None:
    mv = pd.DataFrame({"p": ["x", "y", "z"], "a": [1, 1, 2], "label": [True, pd.NA, False]})
    ref = lf.reference_frame(mv, ["p", "a"], "label")
    assert list(ref.columns) == ["p", "a", lf.REFERENCE_COLUMN] and ref["p"].tolist() == ["x", "z"]
    from_series = lf.reference_frame(mv.set_index(["p", "a"])["label"], ["p", "a"], "ignored")
    pd.testing.assert_frame_equal(from_series.reset_index(drop=True), ref.reset_index(drop=True))
    with pytest.raises(ValueError, match="duplicated items"):
        lf.reference_frame(pd.concat([mv, mv]), ["p", "a"], "label")
    with pytest.raises(ValueError, match="no column"):
        lf.reference_frame(mv, ["p", "b"], "label")
    with pytest.raises(ValueError, match="indexed by"):
        lf.reference_frame(mv.set_index("p")["label"], ["p", "a"], "label")
    with pytest.raises(ValueError, match="DataFrame or Series"):
        lf.reference_frame([1, 2], ["p"], "label")  # type: ignore[arg-type]


def test_longform_is_a_leaf_module() -> None:
    assert toolkit_imports(TOOLKIT / "longform.py") == []
