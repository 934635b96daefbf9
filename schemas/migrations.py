"""Schema migrations: upgrade an older record dict to the current schema version before structuring.

Policy
------
* Every record carries ``schema_version`` = ``"MAJOR.MINOR"`` (currently :data:`CURRENT`).
* Additive, backwards-compatible change (new optional field, new enum value): bump MINOR. A record of an
  older minor version of the current major is valid as it is; no migration is needed.
* Breaking change (renamed/removed field, changed meaning or type): bump MAJOR and register a migration from
  the previous major with :func:`register`. Migrations chain: a 1.x record reaches 3.y through 1->2 and 2->3.
* A record of a newer version than this toolkit knows (newer major, or newer minor of the current major, which
  may carry fields this toolkit would not understand) is rejected with a message that says to upgrade.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from schemas._common import SCHEMA_MAJOR, SCHEMA_MINOR, SCHEMA_VERSION, parse_version
from schemas.errors import RecordError

__all__ = [
    "CURRENT",
    "MIGRATIONS",
    "SCHEMA_MAJOR",
    "SCHEMA_MINOR",
    "Migration",
    "check_version",
    "parse_version",
    "register",
    "upgrade",
]

CURRENT = SCHEMA_VERSION

Migration = Callable[[dict[str, Any]], dict[str, Any]]

#: (record type name, from major) -> function returning the record at major + 1.
MIGRATIONS: dict[tuple[str, int], Migration] = {}


def register(record_type: str, from_major: int) -> Callable[[Migration], Migration]:
    """Decorator registering a migration of ``record_type`` records from ``from_major`` to the next major."""

    def deco(fn: Migration) -> Migration:
        MIGRATIONS[(record_type, from_major)] = fn
        return fn

    return deco


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
        When the version is missing, malformed, newer than this toolkit, or has no migration path.
    """
    if "schema_version" not in data:
        raise RecordError([("schema_version", "missing required field")])
    try:
        major, _ = check_version(data["schema_version"])
    except ValueError as exc:
        raise RecordError([("schema_version", str(exc))]) from None
    data = dict(data)
    while major < SCHEMA_MAJOR:
        step = MIGRATIONS.get((record_type, major))
        if step is None:
            raise RecordError(
                [("schema_version", f"no migration from {major}.x to {major + 1}.x for {record_type} records")]
            )
        data = step(data)
        major += 1
        data["schema_version"] = f"{major}.0"
    data["schema_version"] = CURRENT
    return data
