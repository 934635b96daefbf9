"""Structuring JSON-like dicts into records (and back), with errors that name the field.

Two paths share one set of strict rules:

* a fast path - cattrs-generated structuring functions with strict primitive hooks (no coercion: a JSON
  ``"5"`` never becomes ``5``, ``1`` never becomes ``True``, a string never becomes a list of characters);
* a diagnostic path, taken only when the fast path fails, that walks the fields and reports **every**
  problem as ``(field path, message)``.

JSON makes no difference between ``3`` and ``3.0``, so an integral float is accepted where an integer is
expected (the JSON Schema ``"integer"`` type does the same); any other float is an error.
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import cattrs

from schemas import migrations
from schemas.errors import RecordError
from schemas.registry import RECORD_TYPES, TYPE_OF_CLASS, record_type

# RecordError is re-exported: it was defined here before schemas.errors, and may still be imported from here.
__all__ = ["RecordError", "converter", "diagnose", "record_name", "structure", "unstructure"]


def _resolve_all(cls: type) -> None:
    """Resolve string annotations of ``cls`` and of every attrs class nested in its fields."""
    attrs.resolve_types(cls)
    for f in attrs.fields(cls):
        for arg in (f.type, *typing.get_args(f.type)):
            for inner in (arg, *typing.get_args(arg)):
                if attrs.has(inner):
                    _resolve_all(inner)


for _rt in RECORD_TYPES.values():
    _resolve_all(_rt.cls)


def _enums_of(cls: type, found: set[type]) -> set[type]:
    for f in attrs.fields(cls):
        for arg in (f.type, *typing.get_args(f.type)):
            for inner in (arg, *typing.get_args(arg)):
                if isinstance(inner, type) and issubclass(inner, enum.Enum):
                    found.add(inner)
                elif attrs.has(inner):
                    _enums_of(inner, found)
    return found


_ENUMS: set[type] = set()
for _rt in RECORD_TYPES.values():
    _enums_of(_rt.cls, _ENUMS)


def _type_name(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number" if isinstance(value, (int, float)) else type(value).__name__
    )


def _strict_str(value: Any, _: type) -> str:
    if type(value) is not str:
        raise TypeError(f"must be a string, got {_type_name(value)}")
    return value


def _strict_bool(value: Any, _: type) -> bool:
    if value is not True and value is not False:
        raise TypeError(f"must be a boolean, got {_type_name(value)}")
    return value


def _strict_int(value: Any, _: type) -> int:
    if type(value) is int:
        return value
    if type(value) is float and value.is_integer():
        return int(value)
    got = repr(value) if type(value) is float else _type_name(value)
    raise TypeError(f"must be an integer, got {got}")


def _strict_float(value: Any, _: type) -> float:
    if type(value) is float:
        return value
    if type(value) is int:
        return float(value)
    raise TypeError(f"must be a number, got {_type_name(value)}")


def _enum_hook(cls: type[enum.Enum]) -> Callable[[Any, type], enum.Enum]:
    allowed = ", ".join(repr(m.value) for m in cls)
    # Keyed by the plain string value: a JSON true must not match anything, so look up only str.
    by_value = {str(m.value): m for m in cls}

    def structure(value: Any, _: type) -> enum.Enum:
        if type(value) is str and value in by_value:
            return by_value[value]
        raise ValueError(f"must be one of {allowed}, got {value!r}")

    return structure


def _is_var_tuple(tp: Any) -> bool:
    args = typing.get_args(tp)
    return typing.get_origin(tp) is tuple and len(args) == 2 and args[1] is Ellipsis


def _tuple_hook(conv: cattrs.Converter) -> Callable[[type], Callable[[Any, type], tuple]]:
    def factory(tp: type) -> Callable[[Any, type], tuple]:
        item_type = typing.get_args(tp)[0]
        item_hook = conv.get_structure_hook(item_type)

        def structure(value: Any, _: type) -> tuple:
            if type(value) is not list and type(value) is not tuple:
                raise TypeError(f"must be an array, got {_type_name(value)}")
            return tuple(item_hook(v, item_type) for v in value)

        return structure

    return factory


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True, detailed_validation=False)
    for tp, hook in ((str, _strict_str), (bool, _strict_bool), (int, _strict_int), (float, _strict_float)):
        conv.register_structure_hook(tp, hook)
    # Each enum class directly: class dispatch is by MRO, so a StrEnum would otherwise take the str hook.
    for enum_cls in _ENUMS:
        conv.register_structure_hook(enum_cls, _enum_hook(enum_cls))
    conv.register_structure_hook_factory(_is_var_tuple, _tuple_hook(conv))
    conv.register_unstructure_hook_factory(
        lambda t: isinstance(t, type) and issubclass(t, enum.Enum), lambda t: lambda v: v.value
    )
    return conv


#: The project's converter. Use :func:`structure` / :func:`unstructure` rather than calling it directly.
converter = _make_converter()

_FAST: dict[type, Callable[[Any, type], Any]] = {
    rt.cls: converter.get_structure_hook(rt.cls) for rt in RECORD_TYPES.values()
}


def structure(data: Any, cls: str | type) -> Any:
    """Turn a JSON-like dict into a record of ``cls`` (a class or a record type name).

    Older records are migrated to the current schema version first (:mod:`schemas.migrations`).

    Raises
    ------
    RecordError
        Listing every problem found, each with its field path.
    """
    rt = record_type(cls)
    if type(data) is not dict:
        raise RecordError([("<record>", f"must be a JSON object, got {_type_name(data)}")])
    if data.get("schema_version") != migrations.CURRENT:
        try:
            data = migrations.upgrade(rt.name, data)
        except migrations.OlderVersionError as exc:
            # The record breaks a rule of its own version: report that, and the problems of its other fields, in
            # diagnose's order (unknown fields first, value rules last).
            bad = {f for f, _ in exc.errors}
            others = [e for e in diagnose(rt.cls, exc.upgraded) if e[0] not in bad]
            unknown = [e for e in exc.errors if e[1].startswith("unknown field")]
            rules = [e for e in exc.errors if not e[1].startswith("unknown field")]
            raise RecordError(unknown + others + rules) from None
        except RecordError as exc:
            # A missing or malformed version says nothing about the other fields: report their problems too
            # (a known older or newer version may have other fields legitimately, so only its version is reported).
            others = diagnose(rt.cls, data) if not _parseable_version(data.get("schema_version")) else []
            raise RecordError(exc.errors + [e for e in others if e[0] != "schema_version"]) from None
    try:
        return _FAST[rt.cls](data, rt.cls)
    except Exception:  # noqa: BLE001 - any failure is re-diagnosed field by field below
        errors = diagnose(rt.cls, data)
        raise RecordError(errors or [("<record>", "invalid record")]) from None


def _parseable_version(value: Any) -> bool:
    if type(value) is not str:
        return False
    try:
        migrations.parse_version(value)
    except ValueError:
        return False
    return True


def unstructure(record: Any) -> dict[str, Any]:
    """Turn a record into a JSON-ready dict (enums as their values, tuples as lists)."""
    return _to_json(converter.unstructure(record))


def _to_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_json(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _field_value_errors(tp: Any, value: Any, path: str) -> tuple[Any, list[tuple[str, str]]]:
    """Structure one value of type ``tp``; return (structured, errors) with element-level paths."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None, []
        return _field_value_errors(args[0], value, path)
    if _is_var_tuple(tp):
        if type(value) is not list and type(value) is not tuple:
            return None, [(path, f"must be an array, got {_type_name(value)}")]
        out, errors = [], []
        for i, v in enumerate(value):
            s, e = _field_value_errors(typing.get_args(tp)[0], v, f"{path}[{i}]")
            out.append(s)
            errors += e
        return tuple(out), errors
    if attrs.has(tp):
        if type(value) is not dict:
            return None, [(path, f"must be an object, got {_type_name(value)}")]
        errors = diagnose(tp, value, prefix=f"{path}.")
        if errors:
            return None, errors
        return converter.structure(value, tp), []
    if value is None:
        return None, [(path, "must not be null")]
    try:
        return converter.structure(value, tp), []
    except Exception as exc:  # noqa: BLE001 - hooks raise TypeError/ValueError with a message
        return None, [(path, str(exc))]


def diagnose(cls: type, data: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Every problem of ``data`` as a ``cls`` record, as ``(field path, message)``; empty when valid."""
    if not isinstance(data, Mapping):
        return [(prefix.rstrip(".") or "<record>", f"must be an object, got {_type_name(data)}")]
    fields = attrs.fields(cls)
    names = {f.name for f in fields}
    # An odd key ("", "my field") is shown quoted so that the path stays readable.
    errors = [(f"{prefix}{k if k.isidentifier() else repr(k)}", "unknown field") for k in data if k not in names]
    values: dict[str, Any] = {}
    for f in fields:
        if f.name not in data:
            if f.default is attrs.NOTHING:
                errors.append((f"{prefix}{f.name}", "missing required field"))
            continue
        value, errs = _field_value_errors(f.type, data[f.name], f"{prefix}{f.name}")
        errors += errs
        if not errs:
            values[f.name] = value
    # Run the attrs validators field by field, so every violation is reported, not just the first. Cross-field
    # validators read other fields through this stand-in instance.
    failed = {path for path, _ in errors}
    for f in fields:
        if f.name not in values and f.default is not attrs.NOTHING and f"{prefix}{f.name}" not in failed:
            values[f.name] = f.default
    proxy = types.SimpleNamespace(**{f.name: values.get(f.name) for f in fields})
    for f in fields:
        if f.name in values and f.validator is not None:
            try:
                f.validator(proxy, f, values[f.name])
            except Exception as exc:  # noqa: BLE001
                errors.append((f"{prefix}{f.name}", _validator_message(exc)))
    return errors


def _validator_message(exc: Exception) -> str:
    # attrs' own validators (instance_of) put the message first in args, with the Attribute after it.
    if exc.args and isinstance(exc.args[0], str):
        return exc.args[0].split(" (got")[0] if exc.args[0].startswith("'") else exc.args[0]
    return str(exc)


def record_name(record: Any) -> str:
    """The record type name (file stem) of a record instance."""
    return TYPE_OF_CLASS[type(record)].name
