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


def test_declared_scales_parse_and_name_their_problems():
    assert v.parse_scale({"min": -3, "max": 3}) == (-3, -2, -1, 0, 1, 2, 3)
    assert v.declared_scale({"rating_scale": {"min": 1, "max": 7}}, "rating_scale", v.RATING_SCALE) == tuple(range(1, 8))
    assert v.declared_scale({"rating_scale": None}, "rating_scale", v.RATING_SCALE) == v.RATING_SCALE
    assert v.declared_scale({}, "label_scale", None) is None
    for bad, message in [
        ([1, 7], "must be an object"),
        ({"min": 1}, "must be an object"),
        ({"min": 1, "max": 7, "step": 1}, "must be an object"),
        ({"min": 1.0, "max": 7}, "min and max must be integers"),
        ({"min": True, "max": 7}, "min and max must be integers"),
        ({"min": 5, "max": 5}, "min must be below max, got 5 and 5"),
        ({"min": 0, "max": 1000}, "has 1001 categories; at most 101"),
    ]:
        with pytest.raises(ValueError, match=message):
            v.parse_scale(bad)
    with pytest.raises(ValueError, match="manifest.json: label_scale: min must be below max"):
        v.declared_scale({"label_scale": {"min": 2, "max": 0}}, "label_scale", None)
    with pytest.raises(KeyError, match="unknown scale"):
        v.declared_scale({}, "grade_scale", None)
