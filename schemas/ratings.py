"""Stage 3: generic and personalized responses, ratings of personalized vs generic, and scorer outputs."""

from __future__ import annotations

from enum import StrEnum

import attrs

from schemas._common import (
    finite,
    is_str,
    non_empty,
    optional_bool,
    optional_str,
    rating_integer,
    str_tuple,
    version_field,
)

__all__ = ["Condition", "Response", "ResponseRating", "Score"]


class Condition(StrEnum):
    """How a response was generated."""

    GENERIC = "generic"  #: without the user's attributes
    PERSONALIZED = "personalized"  #: given the user's human-relevant attributes


@attrs.frozen
class Response:
    """A response written by a generator model for a user-prompt pair.

    Attributes
    ----------
    response_id : str
        Unique id of the response.
    user_id, prompt_id : str
        The user-prompt pair it answers (refer to ``users.jsonl`` and ``prompts.jsonl``).
    generator : str
        The model that wrote it (e.g. ``"gpt-5.4"``).
    condition : Condition
        ``generic`` or ``personalized``.
    text : str
        The response text.
    mentions_attributes : bool or None
        Whether the response explicitly mentions any of the user's attributes ("as someone who ..."); None if
        not coded.
    mentioned_attribute_ids : tuple of str or None
        Which attributes it mentions explicitly, when coded per attribute; None if not coded.
    """

    response_id: str = attrs.field(validator=non_empty)
    user_id: str = attrs.field(validator=non_empty)
    prompt_id: str = attrs.field(validator=non_empty)
    generator: str = attrs.field(validator=non_empty)
    condition: Condition = attrs.field(validator=attrs.validators.instance_of(Condition))
    text: str = attrs.field(validator=is_str)
    mentions_attributes: bool | None = attrs.field(default=None, validator=optional_bool)
    mentioned_attribute_ids: tuple[str, ...] | None = attrs.field(
        default=None, validator=attrs.validators.optional(str_tuple)
    )
    schema_version: str = version_field()


@attrs.frozen
class ResponseRating:
    """A stage-3 rating: is the personalized response better than the generic one for this attribute?

    Attributes
    ----------
    personalized_response_id, generic_response_id : str
        The two compared responses: the personalized and the generic response of the same user, prompt and
        generator (refer to ``responses.jsonl``).
    attribute_id : str
        The human-relevant attribute the comparison is about.
    rater_id : str
        A human annotator or an LLM judge.
    rating : int
        On the paper's scale 1 much worse, 2 worse, 3 no difference, 4 better, 5 much better. From schema 1.1
        any integer scale the dataset declares in its manifest (``rating_scale``, e.g. 1..7; default 1..5),
        which the views and the validator check; a schema 1.0 rating is 1..5.
    """

    personalized_response_id: str = attrs.field(validator=non_empty)
    generic_response_id: str = attrs.field(validator=non_empty)
    attribute_id: str = attrs.field(validator=non_empty)
    rater_id: str = attrs.field(validator=non_empty)
    rating: int = attrs.field(validator=rating_integer)
    schema_version: str = version_field()


@attrs.frozen
class Score:
    """A scalar score of a response by a scorer such as a reward model.

    Attributes
    ----------
    response_id : str
        The scored (personalized) response.
    scorer_id : str
        The scorer (a rater of kind ``reward_model``; refers to ``raters.jsonl``).
    value : float
        The score; higher means better personalization. Its scale is the scorer's own.
    attribute_id : str or None
        The attribute the score is about, when scored per attribute like the human ratings.
    """

    response_id: str = attrs.field(validator=non_empty)
    scorer_id: str = attrs.field(validator=non_empty)
    value: float = attrs.field(validator=finite)
    attribute_id: str | None = attrs.field(default=None, validator=optional_str)
    schema_version: str = version_field()
