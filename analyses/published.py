"""The paper's published numbers, kept as a reference file for side-by-side comparison only.

Regenerated outputs never contain these values; reports put them *beside* regenerated ones.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from toolkit.jsonl import loads

__all__ = ["REFERENCE_FILE", "published", "entries", "source"]

REFERENCE_FILE = Path(__file__).parent / "reference" / "published.json"


@cache
def _load() -> dict[str, Any]:
    return loads(REFERENCE_FILE.read_text(encoding="utf-8"))  # strict: a repeated key would hide a number


def published(key: str) -> float:
    """The published value of statistic ``key`` (e.g. ``"fig3.kappa.human_human"``); KeyError if unknown."""
    for entry in _load()["statistics"]:
        if entry["key"] == key:
            return float(entry["value"])
    raise KeyError(f"no published statistic {key!r}")


def entries() -> list[dict[str, Any]]:
    """All published statistics: dicts with key, where (figure/table), statistic, value, kind."""
    return [dict(e) for e in _load()["statistics"]]


def source() -> str:
    """The citation of the paper the numbers come from."""
    return str(_load()["source"])
