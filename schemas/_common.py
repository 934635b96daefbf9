"""Shared pieces of the data contract: the schema version and field validators.

The schema version is ``"MAJOR.MINOR"``. Policy (see ``schemas.migrations``):

* an additive, backwards-compatible change (a new optional field, a new enum value) bumps MINOR;
  older records stay valid as they are;
* a breaking change (a renamed or removed field, a changed meaning) bumps MAJOR and must ship a
  migration that upgrades records of the previous major version.
"""

from __future__ import annotations

import math
from typing import Any

import attrs

SCHEMA_VERSION = "1.1"
SCHEMA_MAJOR, SCHEMA_MINOR = (int(p) for p in SCHEMA_VERSION.split("."))


def non_empty(instance: Any, attribute: attrs.Attribute, value: str) -> None:
    """Reject empty or whitespace-only strings (ids, texts that must exist)."""
    if not isinstance(value, str):
        raise TypeError(f"must be a string, got {type(value).__name__}")
    if not value.strip():
        raise ValueError("must be a non-empty string")


def is_str(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if not isinstance(value, str):
        raise TypeError(f"must be a string, got {type(value).__name__}")


def optional_str(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"must be a string or null, got {type(value).__name__}")


def is_bool(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"must be a boolean, got {type(value).__name__}")


def optional_bool(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if value is not None and not isinstance(value, bool):
        raise TypeError(f"must be a boolean or null, got {type(value).__name__}")


def _finite_number(value: Any) -> float:
    # bool is an int subclass; a JSON true is never a number here.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"must be a number, got {type(value).__name__}")
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return float(value)


def finite(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    _finite_number(value)


def optional_finite(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if value is not None:
        _finite_number(value)


def unit_interval(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    """Probabilities and confidences: a finite number in [0, 1]."""
    v = _finite_number(value)
    if not 0.0 <= v <= 1.0:
        raise ValueError(f"must be in [0, 1], got {value!r}")


def optional_unit_interval(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if value is not None:
        unit_interval(instance, attribute, value)


def rating_1_to_5(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    """Stage-3 ratings of schema 1.0: an integer 1..5 (1 much worse, 3 no difference, 5 much better)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"must be an integer 1..5, got {type(value).__name__}")
    if not 1 <= value <= 5:
        raise ValueError(f"must be an integer 1..5, got {value!r}")


def rating_integer(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    """Stage-3 ratings from schema 1.1: an integer on the dataset's declared rating scale.

    The record alone cannot know the scale: the manifest declares it (``rating_scale``, default 1..5) and the
    views and the validator check each rating against it. A schema 1.0 rating is 1..5 (its migration says so).
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"must be an integer, got {type(value).__name__}")


def optional_non_empty(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    """An optional name (e.g. a rater's group): null, or a non-empty string."""
    if value is not None:
        non_empty(instance, attribute, value)


def optional_grade(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    """A graded label: null, or an integer >= 0 (0 = not relevant; the manifest may declare the scale)."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"must be an integer >= 0 or null, got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"must be an integer >= 0 or null, got {value!r}")


def schema_version(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    """A ``MAJOR.MINOR`` string whose major version this toolkit knows."""
    if not isinstance(value, str):
        raise TypeError(f"must be a 'MAJOR.MINOR' string, got {type(value).__name__}")
    major, minor = parse_version(value)
    if (major, minor) > (SCHEMA_MAJOR, SCHEMA_MINOR):
        raise ValueError(
            f"schema version {value} is newer than this toolkit knows ({SCHEMA_VERSION}); "
            "upgrade recenter-toolkit to read it"
        )
    if major < SCHEMA_MAJOR:
        raise ValueError(f"schema version {value} is older than {SCHEMA_VERSION}; migrate it first")


def parse_version(value: str) -> tuple[int, int]:
    """Split ``"MAJOR.MINOR"`` into integers; raise ValueError on anything else."""
    parts = value.split(".")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise ValueError(f"schema version must look like 'MAJOR.MINOR', got {value!r}")
    return int(parts[0]), int(parts[1])


def str_tuple(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if not isinstance(value, tuple) or not all(isinstance(v, str) for v in value):
        raise TypeError("must be a list of strings")


def non_empty_str_tuple(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    str_tuple(instance, attribute, value)
    if any(not v.strip() for v in value):
        raise ValueError("must not contain empty strings")


def version_field() -> Any:
    """The ``schema_version`` field every record carries (defaults to the current version)."""
    return attrs.field(default=SCHEMA_VERSION, validator=schema_version, kw_only=True)
