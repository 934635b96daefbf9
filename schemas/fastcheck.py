"""Fast schema checkers, generated from the attrs classes: ``True`` iff :func:`schemas.structure` would accept.

:func:`fast_checker` gives one predicate per record type. It works on the raw JSON values, builds no object
and never raises, so a reader can take it as the fast path and send only the lines it refuses through
:func:`schemas.structure` (for a migration or the exact messages). A property test proves the predicate
equal to structuring (``tests/schemas/test_fastcheck.py``). No I/O here.
"""

from __future__ import annotations

import enum
import operator
import sys
import types
import typing
from collections.abc import Callable
from typing import Any

import attrs

from schemas import migrations
from schemas._common import (
    finite,
    is_bool,
    is_str,
    non_empty,
    non_empty_str_tuple,
    optional_bool,
    optional_finite,
    optional_grade,
    optional_non_empty,
    optional_str,
    optional_unit_interval,
    rating_1_to_5,
    rating_integer,
    schema_version,
    str_tuple,
    unit_interval,
)
from schemas.converter import converter, structure
from schemas.errors import RecordError
from schemas.registry import RECORD_TYPES, TYPE_OF_CLASS

__all__ = ["checker_source", "fast_checker"]

_MISSING = object()


class _Unsupported(Exception):
    """A type or validator the generator does not translate (the class then uses the full structure)."""


class _CheckerBuilder:
    """Writes one Python predicate per attrs class: ``True`` iff :func:`schemas.structure` would accept.

    Types and the validators of :mod:`schemas._common` become inline expressions on the raw JSON values; a
    class with a validator the builder does not know (e.g. a cross-field method validator) runs its inline
    checks first and then the real cattrs structuring hook, so the predicate stays exact.
    """

    def __init__(self) -> None:
        self.ns: dict[str, Any] = {
            "M": _MISSING,
            "MAXF": sys.float_info.max,
            "CURRENT": migrations.CURRENT,
            "_full": _full_structure,
        }
        self.sources: list[str] = []
        self.names: dict[tuple[type, bool], str] = {}
        self.depth = 0

    def checker(self, cls: type, top_level: bool) -> Callable[[Any], bool]:
        name = self.class_function(cls, top_level)
        return self.ns[name]

    def class_function(self, cls: type, top_level: bool = False) -> str:
        key = (cls, top_level)
        if key in self.names:
            return self.names[key]
        fname = f"_check_{cls.__name__}{'_top' if top_level else ''}"
        self.names[key] = fname
        fields = attrs.fields(cls)
        self.ns[f"A_{fname}"] = frozenset(f.name for f in fields)
        required: list[tuple[str, str]] = []  # (field, local variable): fetched at once, KeyError if absent
        terms: list[str] = []
        needs_full = False
        for i, f in enumerate(fields):
            if f.name == "schema_version" and f.validator is schema_version:
                # The current version; an older minor of the current major reads as it is unless its type has
                # minor steps (then structuring decides); anything else goes through schemas.structure.
                required.append((f.name, "v_version"))
                as_is, added, stepped = _older_minors(TYPE_OF_CLASS[cls].name if cls in TYPE_OF_CLASS else None)
                self.ns[f"VA_{fname}"], self.ns[f"VF_{fname}"] = as_is, added
                self.ns[f"VS_{fname}"], self.ns["_full_record"] = stepped, _full_record
                self.ns[f"N_{fname}"] = TYPE_OF_CLASS[cls].name if cls in TYPE_OF_CLASS else None
                # type() first: the checker never raises, and a list or dict version is unhashable
                terms.append(
                    f"(v_version == CURRENT or type(v_version) is str and ((v_version in VA_{fname}"
                    f" and VF_{fname}[v_version].isdisjoint(d))"
                    f" or (v_version in VS_{fname} and _full_record(d, N_{fname}))))"
                )
                continue
            var = f"v{i}" if f.default is attrs.NOTHING else "v"
            try:
                check = f"({self.type_expr(f.type, var)})"
                valid_expr, exact = self.validator_expr(f.validator, var, f.type)
            except _Unsupported:
                needs_full = True
                continue
            needs_full |= not exact
            if valid_expr != "True":
                check += f" and ({valid_expr})"
            if f.default is attrs.NOTHING:
                required.append((f.name, var))
                terms.append(f"({check})")
            elif exact and not self._default_passes(f):
                terms.append(f"((v := d.get({f.name!r}, M)) is not M and {check})")
            elif exact and f.default is None and _is_optional(f.type):
                # Absent and null are the same here: both give None, which the check accepts.
                terms.append(f"((v := d.get({f.name!r})) is None or ({check}))")
            else:
                # An absent field takes its default, which the validators see too; when some validator is not
                # translated, the full structuring decides about the default as well.
                terms.append(f"((v := d.get({f.name!r}, M)) is M or ({check}))")
        if needs_full:
            self.ns[f"C_{fname}"] = cls
            terms.append(f"_full(d, C_{fname})")
        lines = [f"def {fname}(d):", f"    if type(d) is not dict or not d.keys() <= A_{fname}:", "        return False"]
        if required:
            names = [name for name, _ in required]
            self.ns[f"G_{fname}"] = operator.itemgetter(*names)
            targets = ", ".join(var for _, var in required) + ("," if len(required) == 1 else "")
            fetch = f"G_{fname}(d)" if len(required) > 1 else f"(G_{fname}(d),)"
            lines += ["    try:", f"        {targets} = {fetch}", "    except KeyError:", "        return False"]
        lines.append("    return (\n        " + "\n        and ".join(terms or ["True"]) + "\n    )")
        source = "\n".join(lines) + "\n"
        self.sources.append(source)
        exec(compile(source, f"<fastcheck:{fname}>", "exec"), self.ns)  # noqa: S102 - generated from attrs fields
        return fname

    @staticmethod
    def _default_passes(f: attrs.Attribute) -> bool:
        if f.validator is None:
            return True
        try:
            f.validator(types.SimpleNamespace(), f, f.default)
        except Exception:  # noqa: BLE001 - a default the validator rejects makes the field required
            return False
        return True

    def type_expr(self, tp: Any, v: str) -> str:
        origin = typing.get_origin(tp)
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) != 1 or len(typing.get_args(tp)) != 2:
                raise _Unsupported(tp)
            return f"{v} is None or ({self.type_expr(args[0], v)})"
        if origin is tuple:
            args = typing.get_args(tp)
            if len(args) != 2 or args[1] is not Ellipsis:
                raise _Unsupported(tp)
            self.depth += 1
            x = f"x{self.depth}"
            try:
                inner = self.type_expr(args[0], x)
            finally:
                self.depth -= 1
            return f"(type({v}) is list or type({v}) is tuple) and all(({inner}) for {x} in {v})"
        if attrs.has(tp):
            return f"{self.class_function(tp)}({v})"
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            name = f"E_{tp.__name__}"
            self.ns[name] = frozenset(str(m.value) for m in tp)
            return f"type({v}) is str and {v} in {name}"
        if tp is str:
            return f"type({v}) is str"
        if tp is bool:
            return f"{v} is True or {v} is False"
        if tp is int:
            return f"type({v}) is int or (type({v}) is float and {v}.is_integer())"
        if tp is float:
            return f"type({v}) is float or (type({v}) is int and -MAXF <= {v} <= MAXF)"
        raise _Unsupported(tp)

    def validator_expr(self, validator: Any, v: str, tp: Any) -> tuple[str, bool]:
        """(expression, exact): ``exact`` False when some validator could not be translated."""
        if validator is None:
            return "True", True
        known = {
            non_empty: f"{v} and not {v}.isspace()",
            is_str: "True",
            optional_str: "True",
            is_bool: "True",
            optional_bool: "True",
            str_tuple: "True",
            finite: f"{v} - {v} == 0",
            optional_finite: f"{v} is None or {v} - {v} == 0",
            unit_interval: f"0 <= {v} <= 1",
            optional_unit_interval: f"{v} is None or 0 <= {v} <= 1",
            rating_1_to_5: f"1 <= {v} <= 5",
            rating_integer: "True",
            optional_non_empty: f"{v} is None or ({v} and not {v}.isspace())",
            optional_grade: f"{v} is None or {v} >= 0",
            non_empty_str_tuple: f"all(s and not s.isspace() for s in {v})",
        }
        try:
            if validator in known:
                return known[validator], True
        except TypeError:  # an unhashable validator object
            pass
        hook = getattr(validator, "fastcheck", None)
        if isinstance(hook, str):  # a cross-field rule that states its own expression (``d`` is the raw dict)
            return hook.format(v=v), True
        if type(validator).__name__ == "_InstanceOfValidator":
            # The structured value has the field's type already: enum members, tuples.
            expected = validator.type
            base = [a for a in (tp, *typing.get_args(tp)) if a is not type(None)]
            if any(expected is b or typing.get_origin(b) is expected for b in base):
                return "True", True
            return "True", False
        if type(validator).__name__ == "_OptionalValidator":
            inner, exact = self.validator_expr(validator.validator, v, tp)
            return f"{v} is None or ({inner})", exact
        if type(validator).__name__ == "_AndValidator":
            parts = [self.validator_expr(inner, v, tp) for inner in validator._validators]  # noqa: SLF001
            return " and ".join(f"({p})" for p, _ in parts), all(e for _, e in parts)
        return "True", False


def _is_optional(tp: Any) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType) and type(None) in typing.get_args(tp)


def _full_structure(data: dict[str, Any], cls: type) -> bool:
    try:
        converter.structure(data, cls)
    except Exception:  # noqa: BLE001 - any failure means "not accepted"
        return False
    return True


def _older_minors(name: str | None) -> tuple[frozenset[str], dict[str, frozenset[str]], frozenset[str]]:
    """For record type ``name``, the older minor versions of the current major: those that read as they are
    (with the fields added since, which such a record must not hold) and those with minor steps (a value filled
    in, a rule of the older version), which :func:`schemas.structure` decides."""
    if name is None:
        return frozenset(), {}, frozenset()
    older = {f"{migrations.SCHEMA_MAJOR}.{m}": m for m in range(migrations.SCHEMA_MINOR)}
    stepped = frozenset(v for v, m in older.items() if migrations.has_minor_steps(name, m))
    added = {v: migrations.added_since(name, m) for v, m in older.items() if v not in stepped}
    return frozenset(added), added, stepped


def _full_record(data: dict[str, Any], name: str) -> bool:
    try:
        structure(data, name)
    except RecordError:
        return False
    return True


_BUILDER = _CheckerBuilder()
_CHECKERS: dict[str, Callable[[Any], bool]] = {}


def fast_checker(name: str) -> Callable[[Any], bool]:
    """The generated predicate of record type ``name``: True iff ``schemas.structure(data, name)`` succeeds.

    Parameters
    ----------
    name : str
        A record type name (a key of :data:`schemas.RECORD_TYPES`).

    Returns
    -------
    callable
        ``check(data) -> bool`` on a parsed JSON value. It never raises and builds no object. A valid record of
        an older minor version of the current major gets True (its raw values mean what the migrated record
        says: a new field absent is its default, e.g. a 1.0 rater's group is its kind), so schema 1.0 data keeps
        the fast path; older majors get False (they need migrating, which :func:`schemas.structure` does).
        Built once per type, then cached.
    """
    if name not in _CHECKERS:
        _CHECKERS[name] = _BUILDER.checker(RECORD_TYPES[name].cls, top_level=True)
    return _CHECKERS[name]


def checker_source() -> str:
    """The generated source of every checker built so far (for debugging).

    Returns
    -------
    str
        The Python source of the generated functions, in the order they were built.
    """
    return "\n".join(_BUILDER.sources)
