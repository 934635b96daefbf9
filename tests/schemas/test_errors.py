"""RecordError lives in schemas.errors: converter and migrations share it without importing each other."""

from __future__ import annotations

import ast
from pathlib import Path

import schemas
import schemas.converter
import schemas.errors
import schemas.migrations

SCHEMAS = Path(schemas.__file__).parent


def _imported_modules(path: Path) -> set[str]:
    """Every module a source file imports, at any depth (``from a import b`` counts ``a`` and ``a.b``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return found


def test_record_error_is_one_class() -> None:
    assert schemas.RecordError is schemas.errors.RecordError is schemas.converter.RecordError
    assert "RecordError" in schemas.__all__


def test_migrations_does_not_import_the_converter() -> None:
    imported = _imported_modules(SCHEMAS / "migrations.py")
    assert "schemas.errors" in imported
    assert not any(m.startswith("schemas.converter") for m in imported)
    assert "schemas.errors" in _imported_modules(SCHEMAS / "converter.py")


def test_schemas_does_no_io() -> None:
    # The data contract (fast checkers and JSON Schemas included) imports nothing that reads or writes files.
    imported = {m.split(".")[0] for p in SCHEMAS.glob("*.py") for m in _imported_modules(p)}
    assert not imported & {"toolkit", "pathlib", "io", "os", "gzip", "zlib", "shutil", "tempfile"}, imported
