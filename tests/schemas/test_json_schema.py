"""The exported JSON Schemas: committed copies match the generator, and they agree with schemas.structure."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from schemas import RecordError, structure
from schemas.json_schema import DIALECT, json_schema
from schemas.registry import RECORD_TYPES
from tests.schemas.strategies import RECORD_NAMES, dicts_for_agreement, record_dicts
from toolkit.schema_cli import export

COMMITTED = Path(__file__).resolve().parents[2] / "schemas" / "json"


@cache
def _validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json_schema(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _accepts(data: Any, name: str) -> bool:
    try:
        structure(data, name)
    except RecordError as exc:
        assert exc.errors and all(isinstance(f, str) and isinstance(m, str) and m for f, m in exc.errors)
        return False
    return True


def test_committed_schemas_match_the_generator(tmp_path: Path) -> None:
    written = export(tmp_path)
    assert sorted(p.name for p in written) == sorted(f"{n}.schema.json" for n in RECORD_TYPES)
    committed = sorted(p.name for p in COMMITTED.glob("*.schema.json"))
    assert committed == sorted(p.name for p in written), "schemas/json/ has stale or missing files"
    for path in written:
        assert (COMMITTED / path.name).read_text(encoding="utf-8") == path.read_text(encoding="utf-8"), (
            f"schemas/json/{path.name} drifted from the attrs classes; run `recenter schema export schemas/json`"
        )


@pytest.mark.parametrize("name", RECORD_NAMES)
def test_schema_is_valid_draft_2020_12(name: str) -> None:
    schema = json.loads((COMMITTED / f"{name}.schema.json").read_text(encoding="utf-8"))
    assert schema["$schema"] == DIALECT
    jsonschema.Draft202012Validator.check_schema(schema)
    assert "schema_version" in schema["required"]
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize("name", RECORD_NAMES)
@given(data=st.data())
def test_json_schema_agrees_with_structure(name: str, data: st.DataObject) -> None:
    """Valid in one = valid in the other: valid records are valid in both; on mutations both agree."""
    valid = data.draw(record_dicts(name), label="valid")
    assert _accepts(valid, name)
    errors = [e.message for e in _validator(name).iter_errors(valid)]
    assert not errors, errors
    other = data.draw(dicts_for_agreement(name), label="valid or mutated")
    assert _validator(name).is_valid(other) == _accepts(other, name), other


# Numbers that strict JSON text can carry but a float cannot hold: ``1e400`` parses to inf, a 400-digit integer
# overflows float(). Both validators must reject them in a number field.
@example(value=float("inf"))
@example(value=-float("inf"))
@example(value=10**400)
@example(value=1.7976931348623157e308)
@given(value=st.floats(allow_nan=False) | st.integers())
def test_agreement_on_number_edges(value: float) -> None:
    d = {"response_id": "r", "scorer_id": "s", "value": value, "schema_version": "1.0"}
    assert _validator("scores").is_valid(d) == _accepts(d, "scores")
