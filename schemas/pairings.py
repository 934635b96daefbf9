"""Stage 2: new prompts paired with users, and judgments of which profile attributes are relevant."""

from __future__ import annotations

import attrs

from schemas._common import is_bool, non_empty, optional_finite, optional_grade, optional_str, version_field

__all__ = ["Prompt", "RelevanceJudgment"]


@attrs.frozen
class Prompt:
    """A new prompt that a user might send (the paper draws them from LIMA).

    Attributes
    ----------
    prompt_id : str
        Unique id of the prompt.
    text : str
        The prompt text.
    source : str
        Where it comes from, e.g. ``"lima"``.
    """

    prompt_id: str = attrs.field(validator=non_empty)
    text: str = attrs.field(validator=non_empty)
    source: str = attrs.field(validator=non_empty)
    schema_version: str = version_field()


@attrs.frozen
class RelevanceJudgment:
    """A stage-2 judgment: should this attribute of the user change the response to this prompt?

    The judged item is the (user, prompt, attribute) triple. ``relevant`` is YES when the attribute should
    change the response in any way, explicitly or implicitly (the paper's instruction).

    Attributes
    ----------
    user_id : str
        The user of the pair (refers to ``users.jsonl``).
    prompt_id : str
        The prompt of the pair (refers to ``prompts.jsonl``).
    attribute_id : str
        One attribute of the user's profile (refers to ``attributes.jsonl``; must belong to ``user_id``).
    rater_id : str
        Who judged it: a human annotator, an LLM judge, a baseline (BM25, embeddings, a classifier), or an
        aggregate such as the human majority (refers to ``raters.jsonl``).
    relevant : bool
        The binary judgment.
    score : float or None
        A ranking score behind the judgment (e.g. BM25 or cosine similarity), when there is one.
    raw_answer : str or None
        The rater's raw answer as produced (e.g. an LLM's ``"YES"``), kept for audit.
    grade : int or None
        Graded relevance (schema 1.1), an integer >= 0 on the dataset's declared ``label_scale`` (e.g. 0 not,
        1 somewhat, 2 very relevant); ``relevant`` must then say whether the grade is above 0. None when the
        judgment is binary only.
    """

    user_id: str = attrs.field(validator=non_empty)
    prompt_id: str = attrs.field(validator=non_empty)
    attribute_id: str = attrs.field(validator=non_empty)
    rater_id: str = attrs.field(validator=non_empty)
    relevant: bool = attrs.field(validator=is_bool)
    score: float | None = attrs.field(default=None, validator=optional_finite)
    raw_answer: str | None = attrs.field(default=None, validator=optional_str)
    grade: int | None = attrs.field(default=None, validator=optional_grade)
    schema_version: str = version_field()

    @grade.validator
    def _grade_agrees(self, attribute: attrs.Attribute, value: int | None) -> None:
        # Binary statistics read `relevant`, graded ones `grade`: the two must never contradict each other.
        if value is not None and isinstance(self.relevant, bool) and (value > 0) is not self.relevant:
            raise ValueError(f"grade {value} contradicts relevant={str(self.relevant).lower()} "
                             "(grade 0 is not relevant, any grade above 0 is relevant)")

    #: The same rule as an expression on the raw JSON values, for the generated fast checker.
    _grade_agrees.fastcheck = '{v} is None or ({v} > 0) is d["relevant"]'  # type: ignore[attr-defined]
