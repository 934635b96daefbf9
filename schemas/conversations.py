"""Users and their conversation histories (the input of stage-1 attribute extraction)."""

from __future__ import annotations

from enum import StrEnum

import attrs

from schemas._common import is_str, non_empty, version_field

__all__ = ["KNOWN_SOURCES", "Conversation", "Origin", "Role", "Turn", "User"]


class Origin(StrEnum):
    """Whether a user is a real person or a synthetic benchmark persona."""

    HUMAN = "human"  #: a real user (e.g. from WildChat)
    SYNTHETIC = "synthetic"  #: a persona from a synthetic benchmark (CUPID, PrefEval, PersonaLens)


class Role(StrEnum):
    """Speaker of one conversation turn."""

    USER = "user"
    ASSISTANT = "assistant"
    SYSTEM = "system"


#: The user sources of the paper; any other non-empty name is allowed too.
KNOWN_SOURCES = ("wildchat", "cupid", "prefeval", "personalens")


@attrs.frozen
class User:
    """A user whose history is profiled.

    Attributes
    ----------
    user_id : str
        Unique user id (the paper's release uses 64-hex hashes).
    source : str
        Where the user comes from: ``wildchat``, ``cupid``, ``prefeval``, ``personalens`` or another name.
    origin : Origin
        ``human`` for real users, ``synthetic`` for benchmark personas.
    """

    user_id: str = attrs.field(validator=non_empty)
    source: str = attrs.field(validator=non_empty)
    origin: Origin = attrs.field(validator=attrs.validators.instance_of(Origin))
    schema_version: str = version_field()


@attrs.frozen
class Turn:
    """One message of a conversation."""

    role: Role = attrs.field(validator=attrs.validators.instance_of(Role))
    content: str = attrs.field(validator=is_str)


@attrs.frozen
class Conversation:
    """One conversation of a user's history.

    Attributes
    ----------
    conversation_id : str
        Unique id of the conversation.
    user_id : str
        The user who had it (refers to ``users.jsonl``).
    turns : tuple of Turn
        The messages in order.
    """

    conversation_id: str = attrs.field(validator=non_empty)
    user_id: str = attrs.field(validator=non_empty)
    turns: tuple[Turn, ...] = attrs.field(validator=attrs.validators.instance_of(tuple))
    schema_version: str = version_field()
