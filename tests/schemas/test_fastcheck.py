"""The generated fast checker is exactly schemas.structure."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas import RecordError, structure
from schemas.fastcheck import checker_source, fast_checker
from tests.schemas.strategies import RECORD_NAMES, dicts_for_agreement, record_dicts


def _accepts(data: Any, name: str) -> bool:
    try:
        structure(data, name)
    except RecordError:
        return False
    return True


@pytest.mark.parametrize("name", RECORD_NAMES)
@given(data=st.data())
def test_fast_checker_equals_structure(name: str, data: st.DataObject) -> None:
    check = fast_checker(name)
    valid = data.draw(record_dicts(name), label="valid")
    assert check(valid) is True
    other = data.draw(dicts_for_agreement(name), label="valid or mutated")
    assert bool(check(other)) == _accepts(other, name), other


def test_fast_checker_leaves_migrations_to_structure() -> None:
    old = {"user_id": "u", "source": "s", "origin": "human", "schema_version": "0.9"}
    assert fast_checker("users")(old) is False


def test_checkers_are_built_once_and_their_source_is_kept() -> None:
    assert fast_checker("raters") is fast_checker("raters")
    assert "def _check_Rater_top(d):" in checker_source()


@pytest.mark.parametrize("name", RECORD_NAMES)
@settings(max_examples=5, deadline=None)
@given(data=st.data())
def test_the_checker_never_raises_on_an_odd_version(name: str, data: st.DataObject) -> None:
    # Found by benchmarks/fuzz.py: a dict as schema_version raised TypeError (unhashable) in the checker,
    # which stopped the validator's fast path (every later line of the file went unchecked).
    valid = data.draw(record_dicts(name))
    for odd in ({"text": "1.0"}, ["1.0"], 1.0, None, True, "1.0 "):
        assert fast_checker(name)(valid | {"schema_version": odd}) is False
