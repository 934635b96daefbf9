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


def upgrade(record_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """Return ``data`` upgraded to the current schema version (a new dict; ``data`` is not modified).

    Raises
    ------
    schemas.converter.RecordError
        When the version is missing, malformed, newer than this toolkit, or has no migration path.
    """
    from schemas.converter import RecordError  # local: converter imports this module

    if "schema_version" not in data:
        raise RecordError([("schema_version", "missing required field")])
    version = data["schema_version"]
    if type(version) is not str:
        raise RecordError([("schema_version", "must be a 'MAJOR.MINOR' string")])
    try:
        major, minor = parse_version(version)
    except ValueError as exc:
        raise RecordError([("schema_version", str(exc))]) from None
    if (major, minor) > (SCHEMA_MAJOR, SCHEMA_MINOR):
        raise RecordError(
            [("schema_version", f"{version} is newer than this toolkit knows ({CURRENT}); upgrade recenter-toolkit")]
        )
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
