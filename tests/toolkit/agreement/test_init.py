"""Tests of the flat toolkit.agreement namespace: the public API is unchanged by the split into modules, and
properties every coefficient shares (invariances, perfect agreement, undefined -> NaN)."""

from __future__ import annotations

import graphlib
import inspect
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tests.toolkit.agreement.data import FAST, nan, two_raters
from tests.toolkit.imports import TOOLKIT, local_imports, module_name, toolkit_imports
from toolkit import agreement as ag

# The public names of toolkit.agreement before it became a package (the single module's ``__all__``).
PUBLIC_API = [
    "KappaResult",
    "cohen_kappa",
    "cohen_kappa_ci",
    "fleiss_kappa",
    "gwet_ac1",
    "krippendorff_alpha",
    "percent_agreement",
    "majority_vote",
    "pairwise_agreement",
    "pairwise_matrix",
    "group_agreement",
    "PAIRWISE_METRICS",
    "LEVELS",
]
# The package and the two modules it builds on.
AREA = sorted((TOOLKIT / "agreement").glob("*.py")) + [TOOLKIT / "longform.py", TOOLKIT / "resampling.py"]


# Added since: the "from tables" entry point (toolkit.agreement.tables) and majority_from_counts.
FROM_TABLES_API = [
    "PairTables",
    "UnitCounts",
    "pairwise_from_tables",
    "group_from_tables",
    "multirater_from_counts",
    "coincidences",
    "alpha_from_coincidences",
    "alpha_from_counts",
    "majority_from_counts",
]


def test_flat_namespace_keeps_the_public_api() -> None:
    assert [n for n in ag.__all__ if n not in FROM_TABLES_API] == PUBLIC_API
    assert [n for n in ag.__all__ if n in FROM_TABLES_API] == FROM_TABLES_API
    for name in PUBLIC_API + FROM_TABLES_API:
        obj = getattr(ag, name)
        if callable(obj):  # defined in one of the family modules, re-exported here
            assert obj.__module__.startswith("toolkit.agreement."), name
    assert ag.group_agreement is ag.pairwise.group_agreement  # the flat namespace re-exports the family's function
    families = {name for name, _ in inspect.getmembers(ag, inspect.ismodule)}
    assert families == {"kappa", "multirater", "alpha", "majority", "pairwise", "tables"}
    for family in families:
        module = getattr(ag, family)
        assert all(not n.startswith("_") and hasattr(module, n) for n in module.__all__), family


@pytest.mark.parametrize("path", AREA, ids=lambda p: p.name if p.name != "__init__.py" else "agreement")
def test_modules_import_public_names_at_module_level(path: Path) -> None:
    assert local_imports(path) == [], f"{path.name}: function-local imports"
    private = [(m, n) for m, n, _ in toolkit_imports(path) if n.startswith("_")]
    assert private == [], f"{path.name} imports private names of other modules"


def test_no_import_cycles() -> None:
    graph = {module_name(p): {m for m, _, _ in toolkit_imports(p)} for p in AREA}
    order = list(graphlib.TopologicalSorter(graph).static_order())  # raises CycleError on a cycle
    assert order.index("toolkit.resampling") < order.index("toolkit.agreement.pairwise")
    assert graph["toolkit.longform"] == set() and graph["toolkit.resampling"] == set()


@FAST
@given(two_raters(), st.randoms(use_true_random=False))
def test_invariance_to_item_order_and_nominal_relabelling(pair: tuple[np.ndarray, np.ndarray], rnd) -> None:
    a, b = pair
    assume(len(np.unique(np.r_[a, b])) >= 2)
    perm = np.array(rnd.sample(range(len(a)), len(a)))
    names = ["zeta", "alpha", "mu", "beta", "omega"]
    rnd.shuffle(names)
    ra, rb = np.array(names)[a], np.array(names)[b]  # relabel categories with unrelated strings
    wide, wide_r = np.c_[a, b].astype(float), np.c_[ra, rb].astype(object)
    for fn in (ag.cohen_kappa,):
        np.testing.assert_allclose(fn(a[perm], b[perm]), fn(a, b), atol=1e-12)
        np.testing.assert_allclose(fn(ra, rb), fn(a, b), atol=1e-12)
    for fn in (ag.fleiss_kappa, ag.gwet_ac1, ag.percent_agreement):
        np.testing.assert_allclose(fn(wide[perm]), fn(wide), atol=1e-12)
        np.testing.assert_allclose(fn(wide_r), fn(wide), atol=1e-12)
    alpha = ag.krippendorff_alpha(wide.T, level="nominal")
    np.testing.assert_allclose(ag.krippendorff_alpha(wide[perm].T, level="nominal"), alpha, atol=1e-12)
    np.testing.assert_allclose(ag.krippendorff_alpha(wide_r.T, level="nominal"), alpha, atol=1e-12)


@FAST
@given(st.lists(st.integers(0, 4), min_size=2, max_size=40), st.sampled_from([None, "linear", "quadratic"]))
def test_kappa_is_one_for_identical_raters(a: list[int], weights: str | None) -> None:
    assume(len(set(a)) >= 2)
    assert ag.cohen_kappa(a, a, weights=weights) == pytest.approx(1.0)
    res = ag.cohen_kappa_ci(a, a, weights=weights)
    assert res.kappa == pytest.approx(1.0) and res.se == pytest.approx(0.0, abs=1e-7)
    wide = np.c_[a, a, a]
    assert ag.fleiss_kappa(wide) == pytest.approx(1.0)
    assert ag.gwet_ac1(wide) == pytest.approx(1.0)
    for level in ag.LEVELS:
        assert ag.krippendorff_alpha(wide.T, level=level) == pytest.approx(1.0)


def test_zero_chance_disagreement_gives_nan() -> None:
    ones = [1, 1, 1, 1]
    assert np.isnan(ag.cohen_kappa(ones, ones, categories=[0, 1]))
    res = ag.cohen_kappa_ci(ones, ones, categories=[0, 1])
    assert all(np.isnan(v) for v in (res.kappa, res.se, res.ci_low, res.ci_high)) and res.n == 4
    assert np.isnan(ag.fleiss_kappa(np.ones((4, 3)), categories=[0, 1]))
    # Pairable values all identical (the unpairable 2 does not count): no expected disagreement.
    assert np.isnan(ag.krippendorff_alpha(np.array([[1.0, 1, 2], [1, 1, nan]]), level="nominal"))
