"""The simulator's import boundaries: it never reads the paper (no ``analyses``, no published numbers), imports
at module top, and imports no private (``_``-prefixed) name from another module."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import toolkit.simulate

PACKAGE = Path(toolkit.simulate.__file__).parent
MODULES = sorted(PACKAGE.glob("*.py"))


def _imports(tree: ast.AST) -> list[tuple[str, list[str], int]]:
    """(module, imported names, column offset) of every import statement."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, [], node.col_offset) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            out.append((node.module or "", [a.name for a in node.names], node.col_offset))
    return out


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_no_paper_no_local_no_private_imports(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for module, names, col in _imports(tree):
        assert not module.startswith("analyses"), f"{path.name} imports {module}"
        assert "published" not in module, f"{path.name} imports {module}"
        assert col == 0, f"{path.name}: function-local import of {module}"
        private = [n for n in names if n.startswith("_") and n != "__future__"]
        assert not private, f"{path.name} imports private names {private} from {module}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_all_is_complete(path):
    name = "toolkit.simulate" if path.stem == "__init__" else f"toolkit.simulate.{path.stem}"
    module = importlib.import_module(name)
    exported = set(module.__all__)
    assert all(hasattr(module, n) for n in exported), name
    tree = ast.parse(path.read_text(encoding="utf-8"))
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)}
    public = {n for n in defined if not n.startswith("_")}
    assert public <= exported, f"{name}: public but not in __all__: {sorted(public - exported)}"


def test_no_calibration_table_in_the_simulator():
    assert "calibration_table" not in toolkit.simulate.__all__
    assert not hasattr(toolkit.simulate, "calibration_table")
    assert not (PACKAGE / "calibration.py").exists()
