"""toolkit.vocabulary and the package's entry points."""

from __future__ import annotations

import pytest

import toolkit
from schemas import ExtractionLabel, RaterKind
from toolkit import vocabulary as v


def test_vocabulary_reuses_the_schema_enums():
    assert v.HUMAN == RaterKind.HUMAN.value and v.LLM == RaterKind.LLM.value
    assert v.EXTRACTION_LABELS == tuple(x.value for x in ExtractionLabel)
    assert set(v.METHOD_KINDS) | set(v.VERIFIER_KINDS) <= {k.value for k in RaterKind}


def test_is_mentioned_rule():
    assert v.is_mentioned("a", ["a"], False)  # the id list wins over the flag
    assert not v.is_mentioned("b", ("a",), True)
    assert v.is_mentioned("b", None, True) and not v.is_mentioned("b", None, None)
    assert not v.is_mentioned("b", float("nan"), float("nan"))


@pytest.mark.parametrize("name", toolkit.__all__)
def test_every_entry_point_resolves(name):
    assert getattr(toolkit, name) is not None


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError):
        toolkit.no_such_thing  # noqa: B018
