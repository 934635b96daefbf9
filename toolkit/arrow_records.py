"""Record files through Arrow: read a whole JSONL or Parquet file at once, prove it valid column by column.

The fast path of :meth:`toolkit.dataset.Dataset.frame`. A file is read into an Arrow table
(``pyarrow.json.read_json`` or ``pyarrow.parquet``) and checked with vectorised tests derived from the attrs
fields of its record type (types, nulls, enum values, non-empty strings, finite numbers, ranges, unknown
fields, schema versions). :func:`checked_table` returns ``None`` whenever it cannot *prove* that every record is
exactly what :func:`schemas.structure` accepts - a parse error, a duplicate key, two objects on one line, a
validator it does not know (e.g. a cross-field rule), a value it cannot check - and the caller then reads the
file with the strict line reader, which accepts the same records or names the bad line and field. So the fast
path never accepts more than the strict reader; it only skips the per-line Python work.

pyarrow is imported inside the functions (the validator and ``import toolkit`` do not load it).
"""

from __future__ import annotations

import enum
import gzip
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pandas as pd

from schemas import RECORD_TYPES, migrations
from schemas.migrations import SCHEMA_MAJOR, check_version
from toolkit.parquet import repeated_column

__all__ = [
    "MAX_ARROW_DEPTH",
    "FieldSpec", "checked_table", "field_specs", "read_json_table", "read_parquet_table",
    "table_frame",
]

#: Every character for which Python's ``str.isspace`` is true: a "non-empty" string is not made only of them.
_SPACES = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
_ONLY_SPACES = "^[" + "".join(f"\\x{{{ord(c):x}}}" for c in _SPACES) + "]*$"
_SPACE_BYTES = (b"\n", b" ", b"\t", b"\r", b"\x0b", b"\x0c")
_SPACE_CODES = np.array([ord(c) for c in _SPACE_BYTES], dtype=np.uint8)
_BLANK_LINE = re.compile(rb"^[ \t\r\x0b\x0c]*(?:\n|\Z)", re.MULTILINE)
#: Deepest nesting handed to Arrow's JSON reader: libarrow recurses without a limit and a line nested
#: ~20,000 deep overflows the C stack (a segmentation fault). Records nest 3 levels at most.
MAX_ARROW_DEPTH = 64


@attrs.frozen
class FieldSpec:
    """What a field accepts, in the terms the vectorised checks use.

    Attributes
    ----------
    name : str
        The field name.
    kind : {"str", "bool", "number", "int", "enum", "strlist"}
        The JSON value kind.
    nullable : bool
        Null allowed (absent and null mean the same here: the default is None).
    required : bool
        No default: the key must be present.
    default : Any
        The default when absent (``None`` or ``()``).
    non_empty : bool
        Strings (or list items) must not be empty or whitespace only.
    low, high : float, optional
        Inclusive bounds of numbers.
    values : tuple of str
        The allowed values of an enum.
    enum_type : type, optional
        The enum class.
    rules : tuple of callables
        Cross-field rules (attrs method validators) checked by :func:`checked_table` on the distinct value
        combinations they read.
    """

    name: str
    kind: str
    nullable: bool = False
    required: bool = True
    default: Any = None
    non_empty: bool = False
    low: float | None = None
    high: float | None = None
    values: tuple[str, ...] = ()
    enum_type: Any = None
    rules: tuple[Any, ...] = ()


# validator name (schemas._common) -> (kind, nullable, non_empty, low, high)
_KNOWN: dict[str, tuple[str, bool, bool, float | None, float | None]] = {
    "non_empty": ("str", False, True, None, None),
    "is_str": ("str", False, False, None, None),
    "optional_str": ("str", True, False, None, None),
    "optional_non_empty": ("str", True, True, None, None),
    "is_bool": ("bool", False, False, None, None),
    "optional_bool": ("bool", True, False, None, None),
    "finite": ("number", False, False, None, None),
    "optional_finite": ("number", True, False, None, None),
    "unit_interval": ("number", False, False, 0.0, 1.0),
    "optional_unit_interval": ("number", True, False, 0.0, 1.0),
    "rating_1_to_5": ("int", False, False, 1, 5),
    "rating_integer": ("int", False, False, None, None),
    "optional_grade": ("int", True, False, 0, None),
    "str_tuple": ("strlist", False, False, None, None),
    "non_empty_str_tuple": ("strlist", False, True, None, None),
}


def _spec(field: attrs.Attribute) -> FieldSpec | None:
    validator = field.validator
    rules: tuple[Any, ...] = ()
    if type(validator).__name__ == "_AndValidator":
        parts = list(validator._validators)  # noqa: SLF001 - attrs keeps the chained validators here
        known = [v for v in parts if _field_spec(field, v) is not None]
        if len(known) != 1:
            return None
        validator, rules = known[0], tuple(v for v in parts if v is not known[0])
    spec = _field_spec(field, validator)
    if spec is None:
        return None
    required = field.default is attrs.NOTHING
    default = None if required else field.default
    if not required and default is not None and default != ():
        return None
    if default == () and spec.kind != "strlist":
        return None
    return attrs.evolve(spec, required=required, default=default, rules=rules)


def _field_spec(field: attrs.Attribute, validator: Any) -> FieldSpec | None:
    nullable = False
    if type(validator).__name__ == "_OptionalValidator":
        validator, nullable = validator.validator, True
    name = getattr(validator, "__name__", None)
    if getattr(validator, "__module__", None) == "schemas._common" and name in _KNOWN:
        kind, own_null, non_empty, low, high = _KNOWN[name]
        return FieldSpec(field.name, kind, nullable=nullable or own_null, non_empty=non_empty, low=low, high=high)
    if type(validator).__name__ == "_InstanceOfValidator" and isinstance(validator.type, type) and issubclass(
        validator.type, enum.Enum
    ):
        values = tuple(str(m.value) for m in validator.type)
        return FieldSpec(field.name, "enum", nullable=nullable, values=values, enum_type=validator.type)
    return None  # a nested record or a validator not listed here: strict path


class _Needs(BaseException):  # noqa: N818 - control flow (not an Exception: a rule's own `except` cannot eat it)
    def __init__(self, name: str) -> None:
        self.name = name


class _Record:
    """Stands in for a record when a cross-field rule runs: exposes the fields given, asks for the others."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__["_values"] = values

    def __getattr__(self, name: str) -> Any:
        values = self.__dict__["_values"]
        if name not in values:
            raise _Needs(name)
        return values[name]


_MAX_COMBINATIONS = 2000


def _rules_hold(table: Any, specs: tuple[FieldSpec, ...], name: str) -> bool:
    """Run each cross-field rule (an attrs method validator) once per distinct combination of the fields it reads.

    Which fields a rule reads is found by running it: reading a field outside the current combination adds that
    field and starts again. Values are given as structuring makes them (enum members, tuples). Too many
    combinations (a rule reading an id) or any failure: not proven (the strict reader decides).
    """
    by_name = {s.name: s for s in specs}
    fields = {f.name: f for f in attrs.fields(RECORD_TYPES[name].cls)}
    for spec in specs:
        for rule in spec.rules:
            reads = [spec.name]
            while True:
                combos = table.select(reads).group_by(reads).aggregate([]).to_pylist()
                if len(combos) > _MAX_COMBINATIONS:
                    return False
                try:
                    for combo in combos:
                        values = {k: _structured(by_name[k], v) for k, v in combo.items()}
                        rule(_Record(values), fields[spec.name], values[spec.name])
                except _Needs as need:
                    if need.name not in by_name or need.name in reads:
                        return False
                    reads.append(need.name)
                    continue
                except Exception:  # noqa: BLE001 - a rule that fails on some row: the strict reader names it
                    return False
                break
    return True


def _structured(spec: FieldSpec, value: Any) -> Any:
    if value is None:
        return None
    if spec.enum_type is not None:
        return spec.enum_type(value)
    if spec.kind == "strlist":
        return tuple(value)
    if spec.kind == "number":
        return float(value)
    return value


_SPECS: dict[str, tuple[FieldSpec, ...] | None] = {}


def field_specs(name: str) -> tuple[FieldSpec, ...] | None:
    """The checkable fields of record type ``name`` (without ``schema_version``), or None if one is not.

    Parameters
    ----------
    name : str
        A record type name.

    Returns
    -------
    tuple of FieldSpec or None
        None when some field has a rule the vectorised checks do not cover (its files use the strict path).

    Examples
    --------
    >>> [s.kind for s in field_specs("relevance_judgments")][:5]
    ['str', 'str', 'str', 'str', 'bool']
    >>> field_specs("conversations") is None   # nested turns: strict path
    True
    """
    if name not in _SPECS:
        cls = RECORD_TYPES[name].cls
        specs = []
        # a derived default (__attrs_post_init__) or a converter makes structured values differ from the raw
        if hasattr(cls, "__attrs_post_init__") or any(f.converter is not None for f in attrs.fields(cls)):
            _SPECS[name] = None
            return None
        for field in attrs.fields(cls):
            if field.name == "schema_version":
                continue
            spec = _spec(field)
            if spec is None:
                _SPECS[name] = None
                break
            specs.append(spec)
        else:
            _SPECS[name] = tuple(specs)
    return _SPECS[name]


def _non_blank_lines(raw: bytes) -> int:
    """The number of lines with something other than whitespace on them (what the line reader reads)."""
    data = np.frombuffer(raw, dtype=np.uint8)
    newlines = np.flatnonzero(data == 10)
    lines = len(newlines) + (0 if raw.endswith(b"\n") or not raw else 1)
    # A blank line starts the file or follows a newline with a newline or a space: without any such pair
    # (the usual file) there is none, and the slow regex is skipped.
    after = data[newlines[newlines < len(data) - 1] + 1]
    if raw[:1] not in _SPACE_BYTES and not np.isin(after, _SPACE_CODES).any():
        return lines
    return lines - len(_BLANK_LINE.findall(raw)) + (1 if raw.endswith(b"\n") else 0)


def _may_nest_deeper(raw: bytes, limit: int = MAX_ARROW_DEPTH) -> bool:
    """True when some line may nest deeper than ``limit``: it holds more than ``limit`` ``[`` / ``{`` bytes.

    The count of opening brackets on a line bounds its depth from above (brackets inside strings only make the
    bound looser), so a False is a proof; a True only sends the file to the strict reader.

    Examples
    --------
    >>> _may_nest_deeper(b'{"a": [[1]]}\\n{"b": 2}', limit=3), _may_nest_deeper(b'{"a": [[[1]]]}', limit=3)
    (False, True)
    """
    data = np.frombuffer(raw, dtype=np.uint8)
    openers = np.flatnonzero((data == 0x5B) | (data == 0x7B))
    if len(openers) <= limit:
        return False
    line_of = np.searchsorted(np.flatnonzero(data == 10), openers)
    return int(np.bincount(line_of).max()) > limit


def read_json_table(path: str | Path) -> Any:
    """A JSONL (or ``.jsonl.gz``) file as an Arrow table, or None when Arrow cannot read it one line per row.

    Parameters
    ----------
    path : path-like
        The record file.

    Returns
    -------
    pyarrow.Table or None
        None on any parse error (bad JSON, a repeated key, a type changing between lines, bad UTF-8, an empty
        file), when the rows do not match the non-blank lines one to one (two objects on one line), or when a
        line may nest deeper than :data:`MAX_ARROW_DEPTH` (Arrow's reader would overflow the C stack): the
        strict reader then decides, and names the line.
    """
    import pyarrow as pa
    import pyarrow.json as pj

    path = Path(path)
    raw = path.read_bytes()
    if path.name.endswith(".gz"):
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, ValueError):
            return None
    if _may_nest_deeper(raw):
        return None
    try:
        table = pj.read_json(pa.py_buffer(raw), read_options=pj.ReadOptions(use_threads=False, block_size=1 << 26))
        # Arrow's JSON reader copies invalid UTF-8 into string columns unchecked; a full validation finds it
        table.validate(full=True)
    except (pa.ArrowException, UnicodeDecodeError, ValueError):
        return None
    if table.num_rows != _non_blank_lines(raw):
        return None
    return table


def read_parquet_table(path: str | Path) -> Any:
    """A Parquet record file as an Arrow table, or None when it is not provably clean.

    Page checksums are verified; a repeated column name, invalid UTF-8 or any read error gives None, and the
    caller's strict reader (:func:`toolkit.parquet.iter_parquet_rows`) names the problem with the path.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path, page_checksum_verification=True)
        if repeated_column(table.schema) is not None:
            return None
        table.validate(full=True)  # Parquet's reader does not check UTF-8 either
    except (pa.ArrowException, OSError, ValueError):
        return None
    return table


def _check_column(col: Any, spec: FieldSpec) -> bool:
    import pyarrow as pa
    import pyarrow.compute as pc

    t = col.type
    if col.null_count and (not spec.nullable or spec.default is not None):
        return False
    if pa.types.is_null(t):
        return spec.nullable
    if spec.kind in ("str", "enum"):
        if not (pa.types.is_string(t) or pa.types.is_large_string(t)):
            return False
        if spec.kind == "enum":
            present = pc.drop_null(col)
            return len(present) == 0 or bool(pc.all(pc.is_in(present, value_set=pa.array(spec.values))).as_py())
        if spec.non_empty and pc.any(pc.match_substring_regex(col, _ONLY_SPACES)).as_py():
            return False
        return True
    if spec.kind == "bool":
        return pa.types.is_boolean(t)
    if spec.kind == "strlist":
        if not (pa.types.is_list(t) or pa.types.is_large_list(t)):
            return False
        flat = pc.list_flatten(col)
        if pa.types.is_null(flat.type):
            return len(flat) == 0
        if not pa.types.is_string(flat.type) or flat.null_count:
            return False
        return not (spec.non_empty and pc.any(pc.match_substring_regex(flat, _ONLY_SPACES)).as_py())
    if spec.kind == "int" and not pa.types.is_int64(t):
        return False
    if spec.kind == "number" and not (pa.types.is_int64(t) or pa.types.is_float64(t)):
        return False
    if pa.types.is_float64(t) and pc.all(pc.is_finite(col)).as_py() not in (True, None):
        return False
    bounds = pc.min_max(col).as_py()
    if bounds["min"] is None:
        return True
    if spec.low is not None and bounds["min"] < spec.low:
        return False
    return not (spec.high is not None and bounds["max"] > spec.high)


def _versions_ok(col: Any, table: Any, name: str) -> bool:
    """Every version readable as it is: the current one, or an older minor without steps or added fields."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not pa.types.is_string(col.type) or col.null_count:
        return False
    has_steps = getattr(migrations, "has_minor_steps", None)
    added_since = getattr(migrations, "added_since", None)
    for value in pc.unique(col).to_pylist():
        try:
            major, minor = check_version(value)
        except ValueError:
            return False
        if major != SCHEMA_MAJOR:
            return False  # an older major needs its migration: strict path
        if minor == migrations.SCHEMA_MINOR:
            continue
        if has_steps is None or added_since is None or has_steps(name, minor):
            return False  # the record changes or is checked on its way up: strict path
        for field in added_since(name, minor):  # unknown in a record of that version
            if field in table.column_names and table.column(field).null_count < table.num_rows:
                return False
    return True


def checked_table(table: Any, name: str, default_version: str | None = None) -> Any:
    """The table with exactly the record type's columns if every row provably passes the schema, else None.

    Parameters
    ----------
    table : pyarrow.Table
        Rows read from a record file.
    name : str
        The record type.
    default_version : str, optional
        The dataset's schema version (from its manifest) for rows without ``schema_version``; without it such
        rows are not accepted here (the strict reader reports them).

    Returns
    -------
    pyarrow.Table or None
        Columns in field order, absent optional fields filled with their default; ``schema_version`` dropped.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    specs = field_specs(name)
    if specs is None or table.num_rows == 0:
        return None
    names = {s.name for s in specs}
    if any(c not in names and c != "schema_version" for c in table.column_names):
        return None
    if "schema_version" in table.column_names:
        version = table.column("schema_version")
        if version.null_count and default_version is not None and pa.types.is_string(version.type):
            version = pc.fill_null(version, default_version)
    elif default_version is not None:
        version = pa.chunked_array([pa.array([default_version] * table.num_rows, pa.string())])
    else:
        return None
    if not _versions_ok(version, table, name):
        return None
    columns, n = [], table.num_rows
    for spec in specs:
        if spec.name in table.column_names:
            col = table.column(spec.name)
            if not _check_column(col, spec):
                return None
        elif spec.required:
            return None
        elif spec.kind == "strlist":
            col = pa.chunked_array([pa.array([[]] * n, pa.list_(pa.string()))])
        else:
            col = pa.chunked_array([pa.nulls(n)])
        columns.append(col)
    result = pa.table(columns, names=[s.name for s in specs])
    if any(s.rules for s in specs) and not _rules_hold(result, specs, name):
        return None
    return result


def _column_frame(col: Any, spec: FieldSpec, field_type: Any) -> Any:
    import pyarrow as pa

    t, n = col.type, len(col)
    if pa.types.is_null(t) or col.null_count == n:
        values: Any = pd.Series([None] * n, dtype=object)
    elif spec.kind in ("str", "enum") or (spec.kind in ("bool", "number", "int") and not col.null_count):
        values = col.to_pandas()
    elif spec.kind == "strlist":
        values = pd.Series([None if v is None else tuple(v) for v in col.to_pylist()], dtype=object)
    else:  # a nullable bool or int with some nulls: pandas infers from the Python values, as the line reader
        values = pd.Series(col.to_pylist())
    if field_type is int and n:
        values = values.astype("int64")
    elif field_type in (float, float | None) and n:
        values = values.astype("float64")
    return values.reset_index(drop=True)


def table_frame(table: Any, name: str) -> pd.DataFrame:
    """The tidy frame of a table that :func:`checked_table` returned: the same frame as the line reader's.

    Parameters
    ----------
    table : pyarrow.Table
        A checked table.
    name : str
        Its record type.

    Returns
    -------
    pandas.DataFrame
        One row per record, one column per field (no ``schema_version``); strings as pandas strings, lists
        as tuples, ints as int64 and floats as float64, exactly as :meth:`toolkit.dataset.Dataset.frame`.
    """
    specs = field_specs(name)
    assert specs is not None  # noqa: S101 - only tables from checked_table come here
    types: dict[str, Callable[..., Any] | Any] = {f.name: f.type for f in attrs.fields(RECORD_TYPES[name].cls)}
    data = {s.name: _column_frame(table.column(s.name), s, types[s.name]) for s in specs}
    return pd.DataFrame(data, columns=[s.name for s in specs])
