"""Schema migrations: upgrade an older record dict to the current schema version before structuring.

Policy
------
* Every record carries ``schema_version`` = ``"MAJOR.MINOR"`` (currently :data:`CURRENT`).
* Additive, backwards-compatible change (new optional field, new enum value): bump MINOR. A record of an
  older minor version of the current major reads as it is, with two kinds of minor steps (:func:`register_minor`)
  where a new field needs them: a step may fill in what the older version implied (a 1.0 rater's ``group`` is
  its kind), and a field added in a later minor is an unknown field in an older record (:data:`ADDED_FIELDS`).
  A rule the newer minor relaxes stays a rule of the older records (:data:`OLDER_RULES`: a 1.0 rating is 1..5).
* Breaking change (renamed/removed field, changed meaning or type): bump MAJOR and register a migration from
  the previous major with :func:`register`. Migrations chain: a 1.x record reaches 3.y through 1->2 and 2->3.
* Schema 1.1 (additive): ``Rater.group`` (default its kind), ``RelevanceJudgment.grade`` (graded relevance),
  ``ResponseRating.rating`` on the dataset's declared ``rating_scale`` (manifest; default 1..5).
* A record of a newer version than this toolkit knows (newer major, or newer minor of the current major, which
  may carry fields this toolkit would not understand) is rejected with a message that says to upgrade.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from schemas._common import SCHEMA_MAJOR, SCHEMA_MINOR, SCHEMA_VERSION, parse_version
from schemas.errors import RecordError

__all__ = [
    "ADDED_FIELDS",
    "CURRENT",
    "MIGRATIONS",
    "MINOR_MIGRATIONS",
    "OLDER_RULES",
    "SCHEMA_MAJOR",
    "SCHEMA_MINOR",
    "Migration",
    "check_version",
    "parse_version",
    "has_minor_steps",
    "register",
    "register_minor",
    "upgrade",
]

CURRENT = SCHEMA_VERSION

Migration = Callable[[dict[str, Any]], dict[str, Any]]

#: (record type name, from major) -> function returning the record at major + 1.
MIGRATIONS: dict[tuple[str, int], Migration] = {}

#: (record type name, (major, minor)) -> function returning the record at (major, minor + 1).
MINOR_MIGRATIONS: dict[tuple[str, tuple[int, int]], Migration] = {}

#: (record type name, (major, minor)) -> the fields that version introduced (unknown in older records).
ADDED_FIELDS: dict[tuple[str, tuple[int, int]], tuple[str, ...]] = {
    ("raters", (1, 1)): ("group",),
    ("relevance_judgments", (1, 1)): ("grade",),
}

#: (record type name, (major, minor)) -> check of a rule that version had and a later minor relaxed; returns
#: the ``(field, message)`` problems of a record of that version.
OLDER_RULES: dict[tuple[str, tuple[int, int]], Callable[[dict[str, Any]], list[tuple[str, str]]]] = {}


def register(record_type: str, from_major: int) -> Callable[[Migration], Migration]:
    """Decorator registering a migration of ``record_type`` records from ``from_major`` to the next major."""

    def deco(fn: Migration) -> Migration:
        MIGRATIONS[(record_type, from_major)] = fn
        return fn

    return deco


def register_minor(record_type: str, from_version: str) -> Callable[[Migration], Migration]:
    """Decorator registering a step of ``record_type`` records from ``from_version`` to the next minor."""
    major, minor = parse_version(from_version)

    def deco(fn: Migration) -> Migration:
        MINOR_MIGRATIONS[(record_type, (major, minor))] = fn
        return fn

    return deco


def has_minor_steps(record_type: str, minor: int) -> bool:
    """Whether a record of ``record_type`` at ``(SCHEMA_MAJOR, minor)`` changes or is checked on its way up.

    False means the record reads exactly as it is once its version is the current one (the generated fast
    checker relies on this), apart from the fields added since, which :data:`ADDED_FIELDS` lists.
    """
    return any(
        (record_type, (SCHEMA_MAJOR, m)) in MINOR_MIGRATIONS or (record_type, (SCHEMA_MAJOR, m)) in OLDER_RULES
        for m in range(minor, SCHEMA_MINOR)
    )


def added_since(record_type: str, minor: int) -> frozenset[str]:
    """The fields of ``record_type`` added after ``(SCHEMA_MAJOR, minor)``: unknown in a record of that version."""
    return frozenset(
        f for m in range(minor + 1, SCHEMA_MINOR + 1) for f in ADDED_FIELDS.get((record_type, (SCHEMA_MAJOR, m)), ())
    )


class OlderVersionError(RecordError):
    """A record breaks a rule of its own (older) version; ``upgraded`` is the record as upgraded anyway, so the
    caller can report the problems of its other fields too."""

    def __init__(self, errors: list[tuple[str, str]], upgraded: dict[str, Any]) -> None:
        super().__init__(errors)
        self.upgraded = upgraded


def check_version(version: Any) -> tuple[int, int]:
    """The ``(major, minor)`` of a ``schema_version`` value that this toolkit can read.

    Shared by record upgrades and the manifest check, so both word a bad version the same way.

    Parameters
    ----------
    version : Any
        The value found under ``schema_version`` (not absent: a missing version is the caller's message).

    Returns
    -------
    tuple of (int, int)
        The parsed version, at most :data:`CURRENT`.

    Raises
    ------
    ValueError
        When the version is not a string, is malformed, or is newer than this toolkit; the message is the one
        shown to users.
    """
    if type(version) is not str:
        raise ValueError("must be a 'MAJOR.MINOR' string")
    major, minor = parse_version(version)
    if (major, minor) > (SCHEMA_MAJOR, SCHEMA_MINOR):
        raise ValueError(f"{version} is newer than this toolkit knows ({CURRENT}); upgrade recenter-toolkit")
    return major, minor


def upgrade(record_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """Return ``data`` upgraded to the current schema version (a new dict; ``data`` is not modified).

    Parameters
    ----------
    record_type : str
        The record type name, which selects the registered migrations.
    data : dict
        The record as parsed from JSON.

    Returns
    -------
    dict
        A new dict whose ``schema_version`` is :data:`CURRENT`.

    Raises
    ------
    RecordError
        When the version is missing, malformed, newer than this toolkit, or has no migration path; an
        :class:`OlderVersionError` when the record breaks a rule of its own version (a field it did not have
        yet, a value out of its range).

    Examples
    --------
    >>> upgrade("raters", {"rater_id": "h1", "kind": "human", "schema_version": "1.0"})
    {'rater_id': 'h1', 'kind': 'human', 'schema_version': '1.1', 'group': 'human'}
    """
    if "schema_version" not in data:
        raise RecordError([("schema_version", "missing required field")])
    try:
        major, minor = check_version(data["schema_version"])
    except ValueError as exc:
        raise RecordError([("schema_version", str(exc))]) from None
    data = dict(data)
    if major < SCHEMA_MAJOR:
        minor = 0  # a major migration lands on X.0; the minor steps of X follow
    while major < SCHEMA_MAJOR:
        step = MIGRATIONS.get((record_type, major))
        if step is None:
            raise RecordError(
                [("schema_version", f"no migration from {major}.x to {major + 1}.x for {record_type} records")]
            )
        data = step(data)
        major += 1
        data["schema_version"] = f"{major}.0"
    problems: list[tuple[str, str]] = []
    while minor < SCHEMA_MINOR:
        version = (major, minor)
        later = added_since(record_type, minor) - added_since(record_type, minor + 1)
        problems += [(f, f"unknown field in schema {major}.{minor} records (added in {major}.{minor + 1}; "
                         f"set schema_version to {CURRENT!r})") for f in data if f in later]
        rule = OLDER_RULES.get((record_type, version))
        if rule is not None:
            problems += rule(data)
        step = MINOR_MIGRATIONS.get((record_type, version))
        if step is not None and not problems:
            data = step(data)
        minor += 1
        data["schema_version"] = f"{major}.{minor}"
    data["schema_version"] = CURRENT
    if problems:
        bad = {f for f, _ in problems}
        raise OlderVersionError(problems, {k: v for k, v in data.items() if k not in bad})
    return data


# -- the steps to schema 1.1 ------------------------------------------------------------------------------


@register_minor("raters", "1.0")
def _rater_group_is_its_kind(data: dict[str, Any]) -> dict[str, Any]:
    # Schema 1.0 compared exactly two groups, the kinds: a 1.0 rater's group is its kind.
    if type(data.get("kind")) is str:
        data = {**data, "group": data["kind"]}
    return data


def _ratings_1_to_5(data: dict[str, Any]) -> list[tuple[str, str]]:
    # Schema 1.0 knew one scale, 1..5; 1.1 lets the manifest declare another. A non-integer is left to the
    # type check, which words it the same in every version.
    value = data.get("rating")
    if type(value) is float and value.is_integer():
        value = int(value)
    if type(value) is int and not 1 <= value <= 5:
        return [("rating", f"must be an integer 1..5, got {data['rating']!r}")]
    return []


OLDER_RULES[("response_ratings", (1, 0))] = _ratings_1_to_5
