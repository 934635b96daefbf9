"""Raters: every source of a judgment (human annotator, LLM judge, reward model, baseline, aggregate)."""

from __future__ import annotations

from enum import StrEnum

import attrs

from schemas._common import non_empty, non_empty_str_tuple, optional_str, version_field

__all__ = ["Rater", "RaterKind"]


class RaterKind(StrEnum):
    """What kind of source a rater is."""

    HUMAN = "human"  #: a human annotator (e.g. a Prolific worker)
    LLM = "llm"  #: an LLM prompted as a judge
    REWARD_MODEL = "reward_model"  #: a trained scorer (e.g. a reward model trained on human ratings)
    BASELINE = "baseline"  #: a non-LLM method such as BM25 or embedding similarity, or a trained classifier
    AGGREGATE = "aggregate"  #: a rater derived from others, e.g. the majority of the human annotators


@attrs.frozen
class Rater:
    """One rater of the study.

    Attributes
    ----------
    rater_id : str
        Unique id of the rater within a dataset (e.g. ``"human-1"``, ``"claude-sonnet-4.6"``).
    kind : RaterKind
        Human annotator, LLM judge, reward model, baseline method or aggregate.
    model : str or None
        The model behind an ``llm`` or ``reward_model`` rater (e.g. ``"gpt-5.4"``); required for those kinds.
    derived_from : tuple of str
        For an ``aggregate`` rater, the rater ids it is computed from (e.g. the 3 human annotators of a
        human-majority label); empty otherwise.
    description : str or None
        Free text (instructions used, training data of a reward model, ...).
    """

    rater_id: str = attrs.field(validator=non_empty)
    kind: RaterKind = attrs.field(validator=attrs.validators.instance_of(RaterKind))
    model: str | None = attrs.field(default=None, validator=optional_str)
    derived_from: tuple[str, ...] = attrs.field(default=(), validator=non_empty_str_tuple)
    description: str | None = attrs.field(default=None, validator=optional_str)
    schema_version: str = version_field()

    @model.validator
    def _model_for_models(self, attribute: attrs.Attribute, value: str | None) -> None:
        if self.kind in (RaterKind.LLM, RaterKind.REWARD_MODEL) and not (value and value.strip()):
            raise ValueError(f"is required for a rater of kind {self.kind.value!r}")
