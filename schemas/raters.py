"""Raters: every source of a judgment (human annotator, LLM judge, reward model, baseline, aggregate)."""

from __future__ import annotations

from enum import StrEnum

import attrs

from schemas._common import non_empty, non_empty_str_tuple, optional_non_empty, optional_str, version_field

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
    group : str
        The rater group the analyses compare and the models pool by (schema 1.1), e.g. ``"expert"`` and
        ``"crowd"`` for two kinds of human annotators, ``"open-weight"`` and ``"closed-weight"`` for LLM
        judges. Absent or null means the rater's kind (``"human"``, ``"llm"``, ...), which is what every
        schema 1.0 rater is: a constructed or structured rater always holds a group.

    Examples
    --------
    >>> Rater("h1", RaterKind.HUMAN).group
    'human'
    >>> Rater("e1", RaterKind.HUMAN, group="expert").group
    'expert'
    """

    rater_id: str = attrs.field(validator=non_empty)
    kind: RaterKind = attrs.field(validator=attrs.validators.instance_of(RaterKind))
    model: str | None = attrs.field(default=None, validator=optional_str)
    derived_from: tuple[str, ...] = attrs.field(default=(), validator=non_empty_str_tuple)
    description: str | None = attrs.field(default=None, validator=optional_str)
    group: str | None = attrs.field(default=None, validator=optional_non_empty)
    schema_version: str = version_field()

    def __attrs_post_init__(self) -> None:
        # "default: its kind", resolved once here so that every reader of a record sees a group; frozen, hence
        # object.__setattr__ (the attrs idiom for a derived default).
        if self.group is None:
            object.__setattr__(self, "group", self.kind.value)

    @model.validator
    def _model_for_models(self, attribute: attrs.Attribute, value: str | None) -> None:
        if self.kind in (RaterKind.LLM, RaterKind.REWARD_MODEL) and not (value and value.strip()):
            raise ValueError(f"is required for a rater of kind {self.kind.value!r}")
