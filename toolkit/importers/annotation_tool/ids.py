"""Ids derived from content (attributes, prompts, responses), and the tool's names for test accounts."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

__all__ = [
    "attribute_id",
    "is_test_account",
    "normalise_whitespace",
    "prompt_id",
    "prompt_index_of",
    "response_id",
    "split_pair_id",
]

_TEST_ACCOUNT = re.compile(
    r"^(admin|administrator|root|test|tester|testing|demo|debug|dev|guest|dummy)[\W_]*\d*$", re.IGNORECASE
)


def attribute_id(user_id: str, text: str) -> str:
    """The deterministic id of a user's attribute: ``<user_id[:12]>-<sha256(text)[:12]>``."""
    return f"{user_id[:12]}-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:12]}"


def prompt_id(prompt_index: int) -> str:
    """The deterministic id of a LIMA prompt: ``lima-<prompt_index>``."""
    return f"lima-{prompt_index}"


def prompt_index_of(pid: str) -> int:
    """The ``prompt_index`` of a prompt id made by :func:`prompt_id` (``"lima-12"`` -> ``12``)."""
    return int(pid.removeprefix("lima-"))


def response_id(user_id: str, prompt_index: int, mode: str, model: str) -> str:
    """The deterministic id of a response: ``<user_id>_<prompt_index>:<mode>:<model>``."""
    return f"{user_id}_{prompt_index}:{mode}:{model}"


def split_pair_id(pair_id: object, user_id: object) -> int | None:
    """The prompt index of the tool's pair id ``<user_id>_<prompt_index>`` for this ``user_id``.

    Parameters
    ----------
    pair_id, user_id : object
        The values of a generation line's ``prompt_id`` and ``user_id`` (any JSON value).

    Returns
    -------
    int or None
        None when ``pair_id`` is not a string of that form, or names another user.
    """
    if isinstance(pair_id, str) and "_" in pair_id:
        head, _, tail = pair_id.rpartition("_")
        if tail.isdigit() and head == user_id:
            return int(tail)
    return None


def is_test_account(name: str, extra: Iterable[str] = ()) -> bool:
    """The tool's ``admin`` account and names that look like test accounts (``test``, ``demo2``, ...)."""
    return name in set(extra) or bool(_TEST_ACCOUNT.match(name))


def normalise_whitespace(text: str) -> str:
    """``text`` with runs of whitespace collapsed to one space and no leading or trailing whitespace."""
    return " ".join(text.split())
