"""Static (AST) import checks for the layout tests of the toolkit's packages: which toolkit names a module
imports, and whether any import hides inside a function."""

from __future__ import annotations

import ast
from pathlib import Path

import toolkit

TOOLKIT = Path(toolkit.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(TOOLKIT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def toolkit_imports(path: Path) -> list[tuple[str, str, bool]]:
    """``(module, name, at_top_level)`` of every ``from toolkit... import name`` / ``import toolkit...``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("toolkit"):
            out += [(node.module, alias.name, id(node) in top) for alias in node.names]
        elif isinstance(node, ast.Import):
            out += [
                (alias.name, "", id(node) in top) for alias in node.names if alias.name.startswith("toolkit")
            ]
    return out


def local_imports(path: Path) -> list[int]:
    """Line numbers of import statements that are not at module level."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    return [
        n.lineno for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom) and id(n) not in top
    ]
