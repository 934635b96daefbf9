"""Small inputs shared by the validator's tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["V", "many_bad_ratings", "rater"]

#: The schema version field, as written in hand-made JSON lines.
V = '"schema_version": "1.0"'


def rater(rid: str, kind: str = "human", **extra: Any) -> str:
    """One rater line."""
    return json.dumps({"rater_id": rid, "kind": kind, **extra, "schema_version": "1.0"})


def many_bad_ratings(tmp_path: Path, n: int) -> Path:
    """``response_ratings.jsonl`` with ``n`` lines, each with one rating out of range (one capping group)."""
    path = tmp_path / "response_ratings.jsonl"
    path.write_text("".join(
        f'{{"personalized_response_id": "p", "generic_response_id": "g", "attribute_id": "a{i}", "rater_id": "h", '
        f'"rating": 9, {V}}}\n' for i in range(n)
    ))
    return path
