"""The record types of a dataset: class, file name, identity and references to other record types."""

from __future__ import annotations

import attrs

from schemas.attributes import Attribute, ExtractionJudgment
from schemas.conversations import Conversation, User
from schemas.pairings import Prompt, RelevanceJudgment
from schemas.raters import Rater
from schemas.ratings import Response, ResponseRating, Score

__all__ = ["RECORD_TYPES", "TYPE_OF_CLASS", "RecordType", "record_type"]


@attrs.frozen
class RecordType:
    """How one record family is stored and checked.

    Attributes
    ----------
    name : str
        The file stem in a dataset folder (``<name>.jsonl`` or ``<name>.jsonl.gz``).
    cls : type
        The attrs class of one record.
    key : tuple of str
        Fields that identify a record: an id for entities, (item, rater) for judgments. Two records with the
        same key are duplicates.
    references : dict of str to str
        Field name -> the record type whose key it must name (referential integrity). A tuple-valued field
        (e.g. ``derived_from``) refers with each element.
    """

    name: str
    cls: type
    key: tuple[str, ...]
    references: dict[str, str] = attrs.field(factory=dict)

    @property
    def filename(self) -> str:
        return f"{self.name}.jsonl"


#: All record types, in dependency order (a type only refers to types listed before it).
RECORD_TYPES: dict[str, RecordType] = {
    rt.name: rt
    for rt in (
        RecordType("raters", Rater, ("rater_id",), {"derived_from": "raters"}),
        RecordType("users", User, ("user_id",)),
        RecordType("conversations", Conversation, ("conversation_id",), {"user_id": "users"}),
        RecordType("attributes", Attribute, ("attribute_id",), {"user_id": "users"}),
        RecordType(
            "extraction_judgments",
            ExtractionJudgment,
            ("attribute_id", "rater_id"),
            {"attribute_id": "attributes", "rater_id": "raters"},
        ),
        RecordType("prompts", Prompt, ("prompt_id",)),
        RecordType(
            "relevance_judgments",
            RelevanceJudgment,
            ("user_id", "prompt_id", "attribute_id", "rater_id"),
            {"user_id": "users", "prompt_id": "prompts", "attribute_id": "attributes", "rater_id": "raters"},
        ),
        RecordType(
            "responses",
            Response,
            ("response_id",),
            {"user_id": "users", "prompt_id": "prompts", "mentioned_attribute_ids": "attributes"},
        ),
        RecordType(
            "response_ratings",
            ResponseRating,
            ("personalized_response_id", "generic_response_id", "attribute_id", "rater_id"),
            {
                "personalized_response_id": "responses",
                "generic_response_id": "responses",
                "attribute_id": "attributes",
                "rater_id": "raters",
            },
        ),
        RecordType(
            "scores",
            Score,
            ("response_id", "scorer_id", "attribute_id"),
            {"response_id": "responses", "scorer_id": "raters", "attribute_id": "attributes"},
        ),
    )
}

#: Record class -> its record type.
TYPE_OF_CLASS: dict[type, RecordType] = {rt.cls: rt for rt in RECORD_TYPES.values()}


def record_type(name_or_cls: str | type) -> RecordType:
    """Look up a record type by file stem (``"relevance_judgments"``) or class; KeyError names the choices."""
    if isinstance(name_or_cls, str):
        try:
            return RECORD_TYPES[name_or_cls]
        except KeyError:
            raise KeyError(
                f"unknown record type {name_or_cls!r}; known: {', '.join(RECORD_TYPES)}"
            ) from None
    try:
        return TYPE_OF_CLASS[name_or_cls]
    except KeyError:
        raise KeyError(f"{name_or_cls!r} is not a record class") from None
