"""The error of a record that does not satisfy its schema.

It lives on its own so that :mod:`schemas.converter` and :mod:`schemas.migrations` can both raise it without
importing each other.
"""

from __future__ import annotations

__all__ = ["RecordError"]


class RecordError(ValueError):
    """A record that does not satisfy its schema.

    Attributes
    ----------
    errors : list of (str, str)
        ``(field path, message)`` pairs, e.g. ``("rating", "must be an integer 1..5, got 7")``;
        the path is ``"<record>"`` for problems of the record as a whole.
    """

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{f}: {m}" for f, m in errors))
