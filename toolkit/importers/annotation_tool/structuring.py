"""The one mechanism that structures the tool's rows (see :mod:`.rows` for the row classes).

:func:`structure_row` is built on the project's strict cattrs converter (:data:`schemas.converter.converter`:
no coercion, so ``"5"`` is not an integer and ``1`` is not a boolean), adapted to the tool's rows
(:data:`ROW_CONVERTER`). Every check of a row is declared on its attrs class: the field's type, an attrs
validator where the type is not enough, and the field's *problem* - the reason and message the import
report gives when that field is wrong (:func:`problem_field`). A row that does not structure raises
:class:`RowError`, a :class:`schemas.RecordError` whose ``errors`` carry the field paths and whose
``problems`` carry those report messages, one per wrong field in field order.

Message templates are formatted with the row's raw fields (``{prompt_id!r}``), the class's upper-case
constants (``{TASK}``) and the context passed to :func:`structure_row` (``{annotator!r}``); a name that is
none of these formats as ``None``.
"""

import enum
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from schemas import RecordError
from schemas.converter import converter

__all__ = [
    "ABSENT",
    "MALFORMED",
    "ROW_CONVERTER",
    "Absent",
    "FieldProblem",
    "RowError",
    "RowProblem",
    "problem_field",
    "structure_row",
]

#: The exclusion reason of a row whose fields are missing or of the wrong type.
MALFORMED = "malformed_record"
#: The problem key in an attrs field's metadata.
_PROBLEM = "annotation_tool_problem"
#: The "field" of problems of the row as a whole (it is not a JSON object).
_RECORD = "<record>"


class Absent(enum.Enum):
    """The type of :data:`ABSENT`."""

    ABSENT = "absent"

    def __repr__(self) -> str:
        return "ABSENT"


#: The default of a field whose key the row lacks, where a missing key means something else than ``null``.
ABSENT = Absent.ABSENT


def _json_int(value: Any, _: type) -> int:
    # Stricter than the project's converter, which takes an integral float for an integer: the tool writes
    # its indices as JSON integers, and a 3.0 has always been reported as malformed.
    if type(value) is int:
        return value
    raise TypeError(f"must be an integer, got {type(value).__name__}")


def _make_row_converter() -> Any:
    conv = converter.copy(forbid_extra_keys=False)  # the tool's rows carry fields the import does not use
    conv.register_structure_hook(int, _json_int)
    return conv


#: The project's converter, adapted to the tool's rows: unused source fields are ignored, integers are strict.
ROW_CONVERTER = _make_row_converter()


# ------------------------------------------------------------------------------------------------------------
# Problems: what the report says when a field is wrong
# ------------------------------------------------------------------------------------------------------------


@attrs.frozen
class FieldProblem:
    """The exclusion a wrong field causes: ``reason`` and ``message``; ``null`` (reason, message) instead
    when the field is missing or ``null`` (by default the same)."""

    reason: str
    message: str
    null: tuple[str, str] | None = None


@attrs.frozen
class RowProblem:
    """One wrong field of a row, as the report gives it: the field name (``"<record>"`` for a row that is not
    a JSON object), the exclusion reason and the formatted message."""

    field: str
    reason: str
    message: str


class RowError(RecordError):
    """A row that does not satisfy its format.

    Attributes
    ----------
    errors : list of (str, str)
        ``(field path, message)`` from the converter, as in :class:`schemas.RecordError`.
    problems : list of RowProblem
        The report's reason and message per wrong field, in the order of the row class's fields.
    """

    def __init__(self, errors: list[tuple[str, str]], problems: list[RowProblem]) -> None:
        super().__init__(errors)
        self.problems = problems

    @property
    def first(self) -> RowProblem:
        """The problem of the first wrong field (a judgment within a line is excluded for this one)."""
        return self.problems[0]

    @property
    def detail(self) -> str:
        """Every problem's message, joined by ``"; "`` (a line is excluded with all of them)."""
        return "; ".join(p.message for p in self.problems)

    @property
    def not_an_object(self) -> bool:
        """True when the row is not a JSON object at all."""
        return self.problems[0].field == _RECORD


def problem_field(
    message: str,
    *,
    reason: str = MALFORMED,
    null: tuple[str, str] | None = None,
    default: Any = attrs.NOTHING,
    validator: Callable[[Any, attrs.Attribute, Any], None] | None = None,
) -> Any:
    """An attrs field whose failure is reported as ``reason`` with ``message`` (a template, see the module).

    Parameters
    ----------
    message : str
        The report's message when the field is wrong.
    reason : str
        The exclusion reason (``malformed_record`` unless given).
    null : (str, str), optional
        ``(reason, message)`` when the field is missing or ``null`` instead.
    default, validator
        As for :func:`attrs.field`; a field without a default is required.
    """
    return attrs.field(
        default=default, validator=validator, metadata={_PROBLEM: FieldProblem(reason, message, null)}
    )


class _Lookup(dict):
    def __missing__(self, key: str) -> None:
        return None


def _problems(
    cls: type, data: Mapping[str, Any], failed: set[str], context: Mapping[str, Any]
) -> list[RowProblem]:
    constants = {k: getattr(cls, k) for k in dir(cls) if k.isupper()}
    lookup = _Lookup({**constants, **data, **context})
    out = []
    for f in attrs.fields(cls):
        if f.name not in failed:
            continue
        problem = f.metadata.get(_PROBLEM) or FieldProblem(MALFORMED, f"{f.name} is not valid")
        if problem.null is not None and data.get(f.name) is None:
            reason, message = problem.null
        else:
            reason, message = problem.reason, problem.message
        out.append(RowProblem(f.name, reason, message.format_map(lookup)))
    return out


def _diagnose(cls: type, data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every wrong field of ``data`` as a ``cls`` row, as ``(field, message)``: types first, then validators."""
    fields = attrs.fields(cls)
    errors: list[tuple[str, str]] = []
    values: dict[str, Any] = {}
    for f in fields:
        if f.name not in data:
            if f.default is attrs.NOTHING:
                errors.append((f.name, "missing required field"))
            else:
                values[f.name] = f.default
            continue
        try:
            value = ROW_CONVERTER.structure(data[f.name], f.type)
            values[f.name] = f.converter(value) if callable(f.converter) else value
        except Exception as exc:  # noqa: BLE001 - the converter's hooks raise TypeError/ValueError
            errors.append((f.name, str(exc)))
    # Validators read other fields (cross-field checks) from an uninitialised instance holding the values that
    # structured, None for the others: every wrong field is reported, not just the first.
    proxy = object.__new__(cls)
    for f in fields:
        object.__setattr__(proxy, f.name, values.get(f.name))
    for f in fields:
        if f.name in values and f.validator is not None:
            try:
                f.validator(proxy, f, values[f.name])
            except Exception as exc:  # noqa: BLE001
                errors.append((f.name, str(exc)))
    return errors


def structure_row[R](data: Any, cls: type[R], **context: Any) -> R:
    """Structure one row of a tool file (a parsed JSON value) into the row class ``cls``.

    Parameters
    ----------
    data : Any
        The parsed line or judgment.
    cls : type
        A row class (see :mod:`.rows`): an attrs class with a ``NOT_AN_OBJECT`` message.
    **context
        Values the class's message templates name besides the row's fields (e.g. ``annotator``).

    Returns
    -------
    R
        The row, an instance of ``cls``.

    Raises
    ------
    RowError
        Listing every wrong field, with the report's reason and message for each.
    """
    if type(data) is not dict:
        got = "null" if data is None else type(data).__name__
        raise RowError(
            [(_RECORD, f"must be a JSON object, got {got}")],
            [RowProblem(_RECORD, MALFORMED, cls.NOT_AN_OBJECT)],  # type: ignore[attr-defined]
        )
    try:
        return ROW_CONVERTER.structure(data, cls)
    except Exception:  # noqa: BLE001 - any failure is re-diagnosed field by field below
        errors = _diagnose(cls, data) or [(_RECORD, "invalid row")]
        problems = _problems(cls, data, {f for f, _ in errors}, context)
        raise RowError(errors, problems or [RowProblem(_RECORD, MALFORMED, "invalid row")]) from None
