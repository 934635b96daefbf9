"""The house rules, read from the source with :mod:`ast` (nothing is imported or run).

* layers: ``schemas`` imports neither ``toolkit`` nor ``analyses``; ``toolkit`` does not import ``analyses``
  (except the command line, :mod:`toolkit.cli`, which sits on top of both);
* no import cycle between modules;
* no module imports another module's private (``_``-prefixed) name;
* function-local imports only for the heavy or optional libraries that must load lazily;
* no source file over ~600 lines unless it is listed below as one cohesive family;
* every public module declares ``__all__``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("schemas", "toolkit", "analyses")
#: Libraries that are imported inside functions on purpose: slow to import (pymc, pytensor, arviz,
#: matplotlib, scipy.stats) or optional (samplers, dev-only oracles).
LAZY_OK = (
    "pymc", "pytensor", "arviz", "arviz_stats", "xarray", "matplotlib", "nutpie", "numpyro", "jax", "crowdkit", "pyarrow",
    "scipy.stats", "scipy.optimize", "scipy.special", "pingouin", "threadpoolctl",
    "dask", "distributed",  # the optional 'cluster' extra: only `run_study(scheduler=...)` loads it
    "duckdb",  # the embedded engine for large Parquet studies (toolkit.engine): loaded when it runs
    "arviz_plots",  # diagnostic plots of `recenter fit`
    "toolkit.plotting",  # the matplotlib wrapper: analyses load it only when they draw
    "toolkit.models",  # the PyMC/ArviZ layer: analyses without a model never load it
)
#: Command lines load only the subcommand that runs (``recenter --help`` stays fast).
LAZY_LOADERS = ("toolkit.cli", "toolkit.importers.cli", "toolkit.validate.cli")
#: Modules allowed past ~600 lines, with the reason (also given in the README's library tour).
LONG_OK: dict[str, str] = {}
MAX_LINES = 620  # "~600": a few lines of docstring over are not a second job


def _modules() -> Iterator[tuple[str, Path]]:
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            rel = path.relative_to(ROOT).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            yield ".".join(parts), path


MODULES = dict(_modules())


def _resolve(module: str, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not MODULES[module].name == "__init__.py":
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(module: str) -> Iterator[tuple[ast.AST, str, list[str], bool]]:
    """(node, imported module, imported names, at module level) for every import of ``module``."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    top = set(map(id, tree.body))
    # imports under `if TYPE_CHECKING:` count as module level (they never run)
    for stmt in tree.body:
        if isinstance(stmt, ast.If):
            top |= {id(n) for n in ast.walk(stmt)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node, alias.name, [], id(node) in top
        elif isinstance(node, ast.ImportFrom):
            yield node, _resolve(module, node), [a.name for a in node.names], id(node) in top


def _internal(name: str) -> str | None:
    """The project module an import refers to (longest known prefix), or None for a third-party one."""
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        cand = ".".join(parts[:i])
        if cand in MODULES:
            return cand
    return None


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for module in MODULES:
        for _node, target, names, _top in _imports(module):
            for sub in [f"{target}.{n}" for n in names] or [target]:
                dep = _internal(sub) or _internal(target)
                if dep and dep != module:
                    graph[module].add(dep)
    return graph


def test_layers_point_down_only():
    bad = []
    for module, deps in _graph().items():
        top = module.split(".")[0]
        for dep in deps:
            up = dep.split(".")[0]
            if top == "schemas" and up in ("toolkit", "analyses"):
                bad.append(f"{module} -> {dep}")
            if top == "toolkit" and up == "analyses" and module != "toolkit.cli":
                bad.append(f"{module} -> {dep}")
    assert not bad, "imports running back up a layer:\n" + "\n".join(sorted(bad))


def test_no_import_cycles():
    graph = _graph()
    # packages import their own submodules to re-export them: a package -> its child edge is not a cycle
    for module, deps in graph.items():
        graph[module] = {d for d in deps if not d.startswith(module + ".")}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    assert not cycles, f"import cycles: {cycles}"


def test_no_private_names_imported_across_modules():
    bad = []
    for module in MODULES:
        for node, target, names, _top in _imports(module):
            if _internal(target) is None or _internal(target) == module:
                continue
            for name in names:
                if name.startswith("_") and not name.startswith("__"):
                    bad.append(f"{module}: from {target} import {name} (line {node.lineno})")
    assert not bad, "private names imported across modules:\n" + "\n".join(bad)


def test_function_local_imports_only_for_lazy_libraries():
    bad = []
    for module in MODULES:
        for node, target, _names, top in _imports(module):
            if top or module in LAZY_LOADERS and _internal(target):
                continue
            full = [f"{target}.{n}" for n in _names] or [target]
            if all(any(t == lib or t.startswith(lib + ".") for lib in LAZY_OK) for t in full):
                continue
            bad.append(f"{module}:{node.lineno}: import of {target} inside a function")
    assert not bad, "function-local imports of cheap or project modules:\n" + "\n".join(bad)


def test_files_stay_small_unless_one_cohesive_family():
    long = {}
    for module, path in MODULES.items():
        n = sum(1 for _ in path.open(encoding="utf-8"))
        if n > MAX_LINES and module not in LONG_OK:
            long[module] = n
    assert not long, f"modules over {MAX_LINES} lines (split by job, or list them in LONG_OK with a reason): {long}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if not m.rsplit(".", 1)[-1].startswith("_")))
def test_public_modules_declare_all(module):
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    has_code = any(isinstance(n, ast.FunctionDef | ast.ClassDef) for n in tree.body)
    declared = any(
        isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in n.targets)
        for n in tree.body
    )
    if has_code or MODULES[module].name == "__init__.py" and len(tree.body) > 1:
        assert declared, f"{module} has no __all__"
