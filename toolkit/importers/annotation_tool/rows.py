"""The annotation tool's row formats as attrs classes: each line of the tool's files, and each judgment within
a line, with every check of its fields declared on the class (structured by :func:`.structuring.structure_row`).

Fields the import reads leniently (bookkeeping such as ``note`` or ``timestamp``, values kept only when of
the expected type such as ``raw_answer``) are typed ``Any`` and never fail. Fields the tool may leave out,
where a missing key differs from ``null``, default to :data:`.structuring.ABSENT`. Source fields the import
does not use are not declared and are ignored (see ``DROPPED_FIELDS`` in :mod:`.accounting`).
"""

import math
from datetime import UTC, datetime
from typing import Any, ClassVar

import attrs

from toolkit.importers.annotation_tool.constants import GENERIC_MODES, PERSONALIZED_MODES, TASK2_UNRATED
from toolkit.importers.annotation_tool.ids import split_pair_id
from toolkit.importers.annotation_tool.structuring import ABSENT, problem_field

__all__ = [
    "AnnotationLine",
    "GeneratedResponse",
    "GenerationLine",
    "ProfileAttributeEntry",
    "RelevanceItem",
    "RelevanceLine",
    "Task1Line",
    "Task2Judgment",
    "Task2Line",
    "Task3Judgment",
    "Task3Line",
    "TaskItemsLine",
]

# ------------------------------------------------------------------------------------------------------------
# Validators
# ------------------------------------------------------------------------------------------------------------


def _non_empty(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if not (isinstance(value, str) and value.strip()):
        raise ValueError("must be a non-empty string")


def _absent_or_non_empty(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if value is not ABSENT:
        _non_empty(instance, attribute, value)


def _non_negative(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if value < 0:
        raise ValueError("must not be negative")


def _names_user(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if split_pair_id(value, instance.user_id) is None:
        raise ValueError("is not '<user_id>_<prompt_index>' for this user_id")


def _agrees_with_pair_id(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if value is not ABSENT and value != split_pair_id(instance.prompt_id, instance.user_id):
        raise ValueError("disagrees with prompt_id")


def _falsy_or_list(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if value and not isinstance(value, list):
        raise TypeError("must be a list")


def _known_mode(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if value not in GENERIC_MODES | PERSONALIZED_MODES:
        raise ValueError("is not a known mode")


def _rated(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if value is None or (isinstance(value, str) and value.strip() in TASK2_UNRATED):
        raise ValueError("is the tool's default (unrated)")


def _task_of_file(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if value is not ABSENT and str(value) != instance.TASK:
        raise ValueError("is not the file's task")


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _number_or_none(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _parse_timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        ts = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if ts.tzinfo is not None:
        ts = ts.astimezone(UTC).replace(tzinfo=None)
    return ts


_USER_ID = "user_id is not a non-empty string"
_PROMPT_INDEX = "prompt_index is not a non-negative integer"
_PROMPT_TEXT = "prompt_text is not a non-empty string"
_PROFILE = "profile_attributes is not a list"
_NOT_AN_OBJECT = "not a JSON object"


# ------------------------------------------------------------------------------------------------------------
# Profile sources: task5_items.jsonl, generation_<mode>_<model>.jsonl
# ------------------------------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ProfileAttributeEntry:
    """One entry of a line's ``profile_attributes``: an attribute text and its extraction metadata.

    ``reason``, ``confidence`` and the merged originals are checked by the canonical ``Attribute`` schema
    when the attribute is built, not here; only the originals' container type is a row check.
    ``ground_truth`` (generation files only) is the human-majority relevance of the pair, any JSON value.
    """

    NOT_AN_OBJECT: ClassVar[str] = "profile attribute without a non-empty 'attribute' text"
    _LISTS: ClassVar[str] = "profile attribute: original_attributes/_reasons/_confidences must be lists"

    attribute: str = problem_field(NOT_AN_OBJECT, validator=_non_empty)
    reason: Any = None
    confidence: Any = None
    original_attributes: Any = problem_field(
        _LISTS, reason="invalid_value", default=None, validator=_falsy_or_list
    )
    original_reasons: Any = problem_field(
        _LISTS, reason="invalid_value", default=None, validator=_falsy_or_list
    )
    original_confidences: Any = problem_field(
        _LISTS, reason="invalid_value", default=None, validator=_falsy_or_list
    )
    ground_truth: Any = ABSENT

    @property
    def originals(self) -> tuple[list[Any], list[Any], list[Any]]:
        """The merged originals' texts, reasons and confidences (empty lists when not given)."""
        return (self.original_attributes or [], self.original_reasons or [], self.original_confidences or [])


@attrs.frozen(kw_only=True)
class TaskItemsLine:
    """A line of ``task5_items.jsonl``: a stage-2 user-prompt pair and the user's profile."""

    NOT_AN_OBJECT: ClassVar[str] = _NOT_AN_OBJECT

    user_id: str = problem_field(_USER_ID, validator=_non_empty)
    prompt_index: int = problem_field(_PROMPT_INDEX, validator=_non_negative)
    prompt_text: str = problem_field(_PROMPT_TEXT, validator=_non_empty)
    profile_attributes: tuple[Any, ...] = problem_field(_PROFILE)

    @property
    def lima_index(self) -> int:
        """The pair's prompt index (the tool's shared LIMA index)."""
        return self.prompt_index


@attrs.frozen(kw_only=True)
class GenerationLine:
    """A line of ``generation_<mode>_<model>.jsonl``: a pair, the user's profile and a generated response.

    The pair is named by ``prompt_id`` = ``<user_id>_<prompt_index>``; a ``prompt_index`` field, if given,
    must agree. ``mode``, ``model`` and ``response`` are checked apart (:class:`GeneratedResponse`): a bad
    response leaves the profile usable.
    """

    NOT_AN_OBJECT: ClassVar[str] = _NOT_AN_OBJECT

    user_id: str = problem_field(_USER_ID, validator=_non_empty)
    prompt_id: str = problem_field(
        "prompt_id {prompt_id!r} is not '<user_id>_<prompt_index>' for this user_id", validator=_names_user
    )
    prompt_index: Any = problem_field(
        "prompt_index {prompt_index!r} disagrees with prompt_id {prompt_id!r}",
        default=ABSENT,
        validator=_agrees_with_pair_id,
    )
    prompt_text: str = problem_field(_PROMPT_TEXT, validator=_non_empty)
    profile_attributes: tuple[Any, ...] = problem_field(_PROFILE)
    mode: Any = ABSENT
    model: Any = ABSENT
    response: Any = None

    @property
    def lima_index(self) -> int:
        """The pair's prompt index, from ``prompt_id``."""
        index = split_pair_id(self.prompt_id, self.user_id)
        assert index is not None  # checked when structured
        return index


_NOT_RECOGNISED = (
    "response not imported: mode {mode!r} / model {model!r} not recognised (modes: "
    + ", ".join(sorted(GENERIC_MODES | PERSONALIZED_MODES))
    + ")"
)


@attrs.frozen(kw_only=True)
class GeneratedResponse:
    """The response part of a generation line, ``mode`` and ``model`` taken from the file name when the
    line lacks them."""

    NOT_AN_OBJECT: ClassVar[str] = _NOT_AN_OBJECT

    mode: str = problem_field(_NOT_RECOGNISED, validator=_known_mode)
    model: str = problem_field(_NOT_RECOGNISED, validator=_non_empty)
    response: str = problem_field(
        "response is not a string", null=("null_label", "response is null; no response imported")
    )


# ------------------------------------------------------------------------------------------------------------
# LLM judgments: relevance_<model>.jsonl
# ------------------------------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class RelevanceItem:
    """One of a relevance line's ``items``: the model's verdict on one attribute text.

    ``raw_answer`` (the model's ``YES``/``NO``) is kept only when a string.
    """

    NOT_AN_OBJECT: ClassVar[str] = "item without a non-empty 'attribute'"

    attribute: str = problem_field(NOT_AN_OBJECT, validator=_non_empty)
    relevant: bool = problem_field("'relevant' is not a boolean", null=("null_label", "'relevant' is null"))
    raw_answer: Any = attrs.field(default=None, converter=_text_or_none)


@attrs.frozen(kw_only=True)
class RelevanceLine:
    """A line of ``relevance_<model>.jsonl``: one model's judgments of a pair's profile attributes.

    ``model`` defaults to the file name's (:data:`ABSENT` when the line lacks it).
    """

    NOT_AN_OBJECT: ClassVar[str] = _NOT_AN_OBJECT

    user_id: str = problem_field(_USER_ID, validator=_non_empty)
    prompt_index: int = problem_field(_PROMPT_INDEX, validator=_non_negative)
    items: tuple[Any, ...] = problem_field("items is not a list")
    model: str = problem_field(
        "model is not a non-empty string", default=ABSENT, validator=_absent_or_non_empty
    )


# ------------------------------------------------------------------------------------------------------------
# Human judgments: <annotator>_task<1|2|3>.jsonl
# ------------------------------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Task2Judgment:
    """One of a task-2 line's ``relevance_judgments``: an annotator's 5-level rating of an attribute.

    A ``rating`` left at the tool's default (missing, null, ``""``, ``"none"``) is *unrated*: its
    ``is_relevant`` is the tool's default, not a judgment. ``was_relevant``/``relevance_score`` record the
    pipeline's own selection and are used only when of the right type.
    """

    NOT_AN_OBJECT: ClassVar[str] = "judgment without a non-empty 'attribute'"

    attribute: str = problem_field(NOT_AN_OBJECT, validator=_non_empty)
    rating: Any = problem_field(
        "annotator {annotator!r}: rating {rating!r}", reason="unrated", validator=_rated
    )
    is_relevant: bool = problem_field(
        "is_relevant is not a boolean", null=("null_label", "annotator {annotator!r}: is_relevant is null")
    )
    was_relevant: Any = None
    relevance_score: Any = None

    @property
    def relevant(self) -> bool:
        """The annotator's verdict (``is_relevant``)."""
        return self.is_relevant

    @property
    def raw_answer(self) -> str | None:
        """The rating when a string (it is kept as the judgment's raw answer)."""
        return self.rating if isinstance(self.rating, str) else None

    @property
    def pipeline(self) -> tuple[bool, float | None] | None:
        """The pipeline's selection ``(was_relevant, relevance_score if selected)``; None when not recorded."""
        if not isinstance(self.was_relevant, bool):
            return None
        return (self.was_relevant, _number_or_none(self.relevance_score) if self.was_relevant else None)


@attrs.frozen(kw_only=True)
class Task3Judgment:
    """One of a task-3 line's ``relevance_judgments``: an annotator's yes/no on an attribute."""

    NOT_AN_OBJECT: ClassVar[str] = "judgment without a non-empty 'attribute'"

    attribute: str = problem_field(NOT_AN_OBJECT, validator=_non_empty)
    relevant: bool = problem_field(
        "relevant is not a boolean", null=("null_label", "annotator {annotator!r}: relevant is null")
    )
    raw_answer: ClassVar[None] = None  # task 3 has no raw answer
    pipeline: ClassVar[None] = None  # nor a pipeline selection


@attrs.frozen(kw_only=True)
class AnnotationLine:
    """A line of ``<annotator>_task<2|3>.jsonl``: one annotator's judgments of a pair (see the subclasses).

    ``task``, if given, must be the file's; ``annotator``, ``note``, ``flagged`` and ``timestamp`` are tool
    bookkeeping, read leniently.
    """

    NOT_AN_OBJECT: ClassVar[str] = _NOT_AN_OBJECT
    #: The task of the file, and the class of its judgments.
    TASK: ClassVar[str] = ""
    JUDGMENT: ClassVar[type] = object

    task: Any = problem_field(
        "task is {task!r} in a task-{TASK} file", default=ABSENT, validator=_task_of_file
    )
    user_id: str = problem_field(_USER_ID, validator=_non_empty)
    prompt_index: int = problem_field(_PROMPT_INDEX, validator=_non_negative)
    relevance_judgments: tuple[Any, ...] = problem_field("relevance_judgments is not a list")
    annotator: Any = None
    note: Any = None
    flagged: Any = None
    timestamp: Any = None

    @property
    def converted(self) -> bool:
        """True for the tool's own conversion of a task-2 record (note ``[converted from task2]``)."""
        return isinstance(self.note, str) and "[converted from task2]" in self.note

    @property
    def when(self) -> datetime | None:
        """The timestamp as a naive UTC datetime; None when missing or not ISO 8601."""
        return _parse_timestamp(self.timestamp)


@attrs.frozen(kw_only=True)
class Task2Line(AnnotationLine):
    """A line of ``<annotator>_task2.jsonl`` (judgments: :class:`Task2Judgment`)."""

    TASK: ClassVar[str] = "2"
    JUDGMENT: ClassVar[type] = Task2Judgment


@attrs.frozen(kw_only=True)
class Task3Line(AnnotationLine):
    """A line of ``<annotator>_task3.jsonl`` (judgments: :class:`Task3Judgment`)."""

    TASK: ClassVar[str] = "3"
    JUDGMENT: ClassVar[type] = Task3Judgment


@attrs.frozen(kw_only=True)
class Task1Line:
    """A line of ``<annotator>_task1.jsonl``: stage-1 judgments pointing into a pilot item list that is not
    in the sample, so nothing is imported; every field is read leniently to describe the line."""

    NOT_AN_OBJECT: ClassVar[str] = _NOT_AN_OBJECT

    annotator: Any = ABSENT
    index: Any = None
    attr_judgments: Any = None
