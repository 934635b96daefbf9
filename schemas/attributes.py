"""Stage 1: attributes extracted from a user's history, and judgments of whether they make sense."""

from __future__ import annotations

from enum import StrEnum

import attrs

from schemas._common import (
    is_str,
    non_empty,
    optional_str,
    optional_unit_interval,
    str_tuple,
    version_field,
)


class ExtractionLabel(StrEnum):
    """A stage-1 judgment of one attribute ("makes sense / maybe / doesn't make sense")."""

    ACCEPTED = "accepted"
    UNCERTAIN = "uncertain"
    REJECTED = "rejected"


class FailureMode(StrEnum):
    """Why a problematic (uncertain or rejected) attribute fails, as coded in the paper."""

    OVERGENERALIZATION = "overgeneralization"
    MISSING_EVIDENCE = "missing_evidence"
    TASK_CONTEXT_CONFUSION = "task_context_confusion"
    NOT_STANDALONE = "not_standalone"
    OTHER = "other"


@attrs.frozen
class MergedAttribute:
    """One of the near-duplicate raw attributes that were merged into a profile attribute."""

    text: str = attrs.field(validator=is_str)
    reason: str | None = attrs.field(default=None, validator=optional_str)
    confidence: float | None = attrs.field(default=None, validator=optional_unit_interval)


@attrs.frozen
class Attribute:
    """A free-text attribute of a user ("The user ...") written by an extractor model.

    Attributes
    ----------
    attribute_id : str
        Unique id of the attribute.
    user_id : str
        The user it describes (refers to ``users.jsonl``).
    text : str
        The attribute, e.g. ``"The user values detail and intricacy in creative works."``.
    reason : str or None
        The extractor's stated reason.
    confidence : float or None
        The extractor's self-reported confidence in [0, 1] (the paper drops attributes below 0.4).
    extractor : str or None
        The model that extracted it (the paper: Llama-3.3-70B at temperature 0.8).
    evidence : tuple of str
        Snippets of the history that support it.
    merged_from : tuple of MergedAttribute
        The raw attributes merged into this one (near-duplicates at cosine 0.7); empty if none.
    """

    attribute_id: str = attrs.field(validator=non_empty)
    user_id: str = attrs.field(validator=non_empty)
    text: str = attrs.field(validator=non_empty)
    reason: str | None = attrs.field(default=None, validator=optional_str)
    confidence: float | None = attrs.field(default=None, validator=optional_unit_interval)
    extractor: str | None = attrs.field(default=None, validator=optional_str)
    evidence: tuple[str, ...] = attrs.field(default=(), validator=str_tuple)
    merged_from: tuple[MergedAttribute, ...] = attrs.field(
        default=(), validator=attrs.validators.instance_of(tuple)
    )
    schema_version: str = version_field()


@attrs.frozen
class ExtractionJudgment:
    """A stage-1 judgment: does this attribute make sense given the user's history?

    Attributes
    ----------
    attribute_id : str
        The judged attribute (refers to ``attributes.jsonl``).
    rater_id : str
        Who judged it (refers to ``raters.jsonl``); a human annotator, an LLM or a verifier model.
    label : ExtractionLabel
        ``accepted`` ("makes sense"), ``uncertain`` ("maybe") or ``rejected`` ("doesn't make sense").
    failure_mode : FailureMode or None
        For a problematic attribute, the coded reason; None if not coded.
    note : str or None
        The rater's free-text note.
    probability : float or None
        For a verifier model, its predicted probability that the attribute is acceptable.
    """

    attribute_id: str = attrs.field(validator=non_empty)
    rater_id: str = attrs.field(validator=non_empty)
    label: ExtractionLabel = attrs.field(validator=attrs.validators.instance_of(ExtractionLabel))
    failure_mode: FailureMode | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.instance_of(FailureMode))
    )
    note: str | None = attrs.field(default=None, validator=optional_str)
    probability: float | None = attrs.field(default=None, validator=optional_unit_interval)
    schema_version: str = version_field()

    @failure_mode.validator
    def _only_for_problems(self, attribute: attrs.Attribute, value: FailureMode | None) -> None:
        if value is not None and self.label == ExtractionLabel.ACCEPTED:
            raise ValueError("must be null when label is 'accepted'")


__all__ = ["Attribute", "ExtractionJudgment", "ExtractionLabel", "FailureMode", "MergedAttribute"]
