"""Shared by the agreement tests: the published worked examples (see tests/reference/*.md for source, table,
published value and tolerance), Hypothesis strategies for generated data, and small frame builders."""

from __future__ import annotations

import contextlib
import itertools
import warnings
from collections.abc import Iterator

import numpy as np
import pandas as pd
from hypothesis import assume, settings
from hypothesis import strategies as st

FAST = settings(max_examples=40, deadline=None)
nan = np.nan


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence the oracles' own warnings (e.g. division by zero inside scikit-learn / statsmodels)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


# --------------------------------------------------------------------------------------------------
# Worked examples
# --------------------------------------------------------------------------------------------------

KRIPP_2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
        [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
    ]
)

FLEISS_1971 = np.array(
    [
        [0, 0, 0, 6, 0], [0, 3, 0, 0, 3], [0, 1, 4, 0, 1], [0, 0, 0, 0, 6], [0, 3, 0, 3, 0],
        [2, 0, 4, 0, 0], [0, 0, 4, 0, 2], [2, 0, 3, 1, 0], [2, 0, 0, 4, 0], [0, 0, 0, 0, 6],
        [1, 0, 0, 5, 0], [1, 1, 0, 4, 0], [0, 3, 3, 0, 0], [1, 0, 0, 5, 0], [0, 2, 0, 3, 1],
        [0, 0, 5, 0, 1], [3, 0, 0, 1, 2], [5, 1, 0, 0, 0], [0, 2, 0, 4, 0], [1, 0, 2, 0, 3],
        [0, 0, 0, 0, 6], [0, 1, 0, 5, 0], [0, 2, 0, 1, 3], [2, 0, 0, 4, 0], [1, 0, 0, 4, 1],
        [0, 5, 0, 1, 0], [4, 0, 0, 0, 2], [0, 2, 0, 4, 0], [1, 0, 5, 0, 0], [0, 0, 0, 0, 6],
    ]
)  # fmt: skip

COHEN_3X3 = np.array([[0, 4, 1], [0, 8, 0], [0, 1, 5]])
ABSTRACTORS = np.array([[13, 0, 0], [0, 20, 7], [0, 4, 56]])
OBSERVERS5 = np.array(
    [
        [1, 1, 2, nan, 0, 0, 1, 1, 2, 2, nan, 0, 1, 3, 1],
        [1, 1, 3, 0, 0, 0, 0, nan, 2, 1, 1, 0, 2, 3, 1],
        [2, 0, 3, 0, 0, 0, 2, 2, 2, 1, 0, 0, 2, 2, 1],
        [nan, 1, 3, nan, nan, nan, nan, 0, nan, 1, 0, 0, 2, 2, nan],
        [2, nan, nan, 0, 0, 0, 1, nan, 2, nan, nan, nan, nan, 3, 1],
    ]
).T  # items x raters


def expand_table(table: np.ndarray, labels: list | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Two label arrays whose cross-tabulation is ``table`` (rows = rater a)."""
    labels = list(range(1, table.shape[0] + 1)) if labels is None else labels
    a, b = [], []
    for i, j in itertools.product(range(table.shape[0]), range(table.shape[1])):
        a += [labels[i]] * int(table[i, j])
        b += [labels[j]] * int(table[i, j])
    return np.array(a), np.array(b)


def wide_to_long(wide: np.ndarray, raters: list | None = None) -> pd.DataFrame:
    """items x raters (NaN = missing) -> long frame with columns item, rater, label."""
    raters = [f"r{j}" for j in range(wide.shape[1])] if raters is None else raters
    rows = [
        (i, raters[j], wide[i, j])
        for i in range(wide.shape[0])
        for j in range(wide.shape[1])
        if not pd.isna(wide[i, j])
    ]
    return pd.DataFrame(rows, columns=["item", "rater", "label"])


# --------------------------------------------------------------------------------------------------
# Generated data
# --------------------------------------------------------------------------------------------------


@st.composite
def two_raters(draw: st.DrawFn, k: int = 5) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(2, 60))
    a = draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n))
    b = draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n))
    return np.array(a), np.array(b)


@st.composite
def complete_ratings(draw: st.DrawFn) -> np.ndarray:
    n_items = draw(st.integers(2, 25))
    n_raters = draw(st.integers(2, 6))
    cells = draw(st.lists(st.integers(0, 3), min_size=n_items * n_raters, max_size=n_items * n_raters))
    return np.array(cells).reshape(n_items, n_raters)


@st.composite
def reliability_data(draw: st.DrawFn) -> np.ndarray:
    """raters x units, values 1..5 or NaN, every unit with at least one value."""
    n_raters = draw(st.integers(2, 5))
    n_units = draw(st.integers(2, 20))
    cells = draw(
        st.lists(
            st.one_of(st.integers(1, 5).map(float), st.just(nan)),
            min_size=n_raters * n_units,
            max_size=n_raters * n_units,
        )
    )
    data = np.array(cells).reshape(n_raters, n_units)
    data = data[:, ~np.all(np.isnan(data), axis=0)]
    assume(data.shape[1] >= 1)
    return data


@st.composite
def long_judgments(draw: st.DrawFn, k: int = 4) -> pd.DataFrame:
    """Long frame: up to 5 raters, up to 30 items, each item rated by a random subset of raters."""
    n_raters = draw(st.integers(2, 5))
    n_items = draw(st.integers(3, 30))
    rows = []
    for i in range(n_items):
        mask = draw(st.lists(st.booleans(), min_size=n_raters, max_size=n_raters))
        for r in range(n_raters):
            if mask[r]:
                rows.append((i, f"rater{r}", draw(st.integers(1, k))))
    frame = pd.DataFrame(rows, columns=["item", "rater", "label"])
    assume(frame["rater"].nunique() >= 2 and frame["label"].nunique() >= 2)
    return frame


def shared(frame: pd.DataFrame, a: str, b: str) -> tuple[np.ndarray, np.ndarray]:
    """The labels of raters ``a`` and ``b`` on the items both labelled."""
    wide = frame.pivot(index="item", columns="rater", values="label")[[a, b]].dropna()
    return wide[a].to_numpy(int), wide[b].to_numpy(int)


# --------------------------------------------------------------------------------------------------
# A stage-2-like long frame
# --------------------------------------------------------------------------------------------------


def stage2_frame(seed: int = 0, n_items: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    truth = rng.random(n_items) < 0.2
    rows = []
    raters = {"h1": 0.1, "h2": 0.15, "h3": 0.2, "claude": 0.25, "gpt": 0.3, "qwen": 0.35}
    for i in range(n_items):
        for rid, flip in raters.items():
            if rid == "h3" and i % 17 == 0:
                continue  # a missing human judgment
            rows.append(("u", f"p{i // 10}", f"a{i % 10}", rid, bool(truth[i] ^ (rng.random() < flip))))
    return pd.DataFrame(rows, columns=["user_id", "prompt_id", "attribute_id", "rater_id", "relevant"])


KEY = ["prompt_id", "attribute_id"]
GROUPS = {"human": ["h1", "h2", "h3"], "llm": ["claude", "gpt", "qwen"]}
