"""JSON Schema (draft 2020-12) of every record type, generated from the attrs classes.

The generated schemas accept exactly the records that :func:`schemas.converter.structure` accepts (a
property test checks this), so other languages and tools can validate the same files. Writing them to files is
``recenter schema export`` (:mod:`toolkit.schema_cli`); this module does no I/O.
"""

from __future__ import annotations

import enum
import json
import sys
import types
import typing
from typing import Any

import attrs

from schemas._common import (
    SCHEMA_MAJOR,
    SCHEMA_MINOR,
    finite,
    non_empty,
    non_empty_str_tuple,
    optional_finite,
    optional_grade,
    optional_non_empty,
    optional_unit_interval,
    rating_1_to_5,
    unit_interval,
)
from schemas.migrations import ADDED_FIELDS
from schemas.registry import TYPE_OF_CLASS, record_type

__all__ = ["DIALECT", "json_schema", "schema_file_name", "schema_text"]

DIALECT = "https://json-schema.org/draft/2020-12/schema"
_BASE_ID = "https://recenter-toolkit.invalid/schemas"

# Validator functions -> the JSON Schema keywords that express them.
_STRING_NON_EMPTY = {"type": "string", "pattern": r"\S"}
# A finite number: JSON text can carry numbers a float cannot hold (``1e400`` parses to inf, a 400-digit integer
# overflows), which the toolkit rejects; bounding by the largest float says the same in JSON Schema.
_FINITE = {"minimum": -sys.float_info.max, "maximum": sys.float_info.max}
_VALIDATOR_KEYWORDS: dict[Any, dict[str, Any]] = {
    non_empty: _STRING_NON_EMPTY,
    finite: _FINITE,
    optional_finite: _FINITE,
    unit_interval: {"minimum": 0, "maximum": 1},
    optional_unit_interval: {"minimum": 0, "maximum": 1},
    rating_1_to_5: {"minimum": 1, "maximum": 5},
    optional_non_empty: _STRING_NON_EMPTY,
    optional_grade: {"minimum": 0},
}

# Cross-field rules that a per-field schema cannot say.
_EXTRA: dict[str, dict[str, Any]] = {
    "Rater": {
        "if": {"properties": {"kind": {"enum": ["llm", "reward_model"]}}, "required": ["kind"]},
        "then": {"required": ["model"], "properties": {"model": _STRING_NON_EMPTY}},
    },
    "ExtractionJudgment": {
        "if": {"properties": {"label": {"const": "accepted"}}, "required": ["label"]},
        "then": {"properties": {"failure_mode": {"type": "null"}}},
    },
    "RelevanceJudgment": {
        "allOf": [
            {"if": {"properties": {"grade": {"type": "integer", "minimum": 1}}, "required": ["grade"]},
             "then": {"properties": {"relevant": {"const": True}}}},
            {"if": {"properties": {"grade": {"const": 0}}, "required": ["grade"]},
             "then": {"properties": {"relevant": {"const": False}}}},
        ]
    },
    # Schema 1.0 knew one rating scale, 1..5 (schemas.migrations.OLDER_RULES); 1.1 declares it in the manifest.
    "ResponseRating": {
        "if": {"properties": {"schema_version": {"const": "1.0"}}, "required": ["schema_version"]},
        "then": {"properties": {"rating": {"minimum": 1, "maximum": 5}}},
    },
}


def _added_field_rules(cls: type) -> list[dict[str, Any]]:
    """A field added in a later minor version is unknown in a record of an older one."""
    rt = TYPE_OF_CLASS.get(cls)
    rules = []
    for (name, (major, minor)), fields in sorted(ADDED_FIELDS.items()):
        if rt is None or name != rt.name or major != SCHEMA_MAJOR:
            continue
        older = [f"{major}.{m}" for m in range(minor)]
        rules.append({
            "if": {"properties": {"schema_version": {"enum": older}}, "required": ["schema_version"]},
            "then": {"not": {"anyOf": [{"required": [f]} for f in fields]}},
        })
    return rules


def _type_schema(tp: Any, defs: dict[str, Any]) -> dict[str, Any]:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return {"anyOf": [_type_schema(args[0], defs), {"type": "null"}]}
    if origin is tuple:
        return {"type": "array", "items": _type_schema(typing.get_args(tp)[0], defs)}
    if attrs.has(tp):
        if tp.__name__ not in defs:
            defs[tp.__name__] = {}  # placeholder against recursion
            defs[tp.__name__] = _class_schema(tp, defs)
        return {"$ref": f"#/$defs/{tp.__name__}"}
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return {"enum": [m.value for m in tp]}
    simple = {str: "string", bool: "boolean", int: "integer", float: "number"}
    return {"type": simple[tp]}


def _field_schema(field: attrs.Attribute, defs: dict[str, Any]) -> dict[str, Any]:
    if field.name == "schema_version":
        return {
            "type": "string",
            "enum": [f"{SCHEMA_MAJOR}.{m}" for m in range(SCHEMA_MINOR + 1)],
            "description": "Schema version MAJOR.MINOR of this record.",
        }
    schema = _type_schema(field.type, defs)
    validators = getattr(field.validator, "_validators", None) or (field.validator,)
    for v in validators:
        extra = _VALIDATOR_KEYWORDS.get(v)
        if extra is None:
            continue
        if "anyOf" in schema:  # optional: constrain the non-null branch
            schema["anyOf"][0] = {**schema["anyOf"][0], **extra}
        else:
            schema = {**schema, **extra}
    if field.name in ("derived_from",) or non_empty_str_tuple in validators:
        schema["items"] = {**schema.get("items", {}), **_STRING_NON_EMPTY}
    return schema


def _class_schema(cls: type, defs: dict[str, Any]) -> dict[str, Any]:
    attrs.resolve_types(cls)
    fields = attrs.fields(cls)
    doc = (cls.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
    schema: dict[str, Any] = {
        "type": "object",
        "title": cls.__name__,
        "description": doc,
        "properties": {f.name: _field_schema(f, defs) for f in fields},
        "required": [f.name for f in fields if f.default is attrs.NOTHING],
        "additionalProperties": False,
    }
    extra = dict(_EXTRA.get(cls.__name__, {}))
    added = _added_field_rules(cls)
    if added:
        extra = {"allOf": [*extra.pop("allOf", []), *([extra] if extra else []), *added]}
    schema.update(extra)
    return schema


def schema_file_name(name: str) -> str:
    """The file name of a record type's JSON Schema.

    Parameters
    ----------
    name : str
        A record type name, e.g. ``"relevance_judgments"``.

    Returns
    -------
    str
        ``<name>.schema.json``, the name in ``schemas/json/`` and the last part of the schema's ``$id``.
    """
    return f"{name}.schema.json"


def json_schema(name: str) -> dict[str, Any]:
    """The draft 2020-12 JSON Schema of one record type (by file stem, e.g. ``"relevance_judgments"``)."""
    rt = record_type(name)
    defs: dict[str, Any] = {}
    body = _class_schema(rt.cls, defs)
    schema = {"$schema": DIALECT, "$id": f"{_BASE_ID}/{schema_file_name(rt.name)}", **body}
    schema["required"] = sorted(set(schema["required"]) | {"schema_version"})
    if defs:
        schema["$defs"] = defs
    return schema


def schema_text(name: str) -> str:
    """The JSON Schema of one record type as the text of its file (sorted keys, 2-space indent, final newline).

    Parameters
    ----------
    name : str
        A record type name.

    Returns
    -------
    str
        The text committed in ``schemas/json/`` (the drift test compares the two).
    """
    return json.dumps(json_schema(name), indent=2, sort_keys=True) + "\n"
