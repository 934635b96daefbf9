"""Tests of the flat toolkit.metrics namespace: the public API is unchanged by the split into modules, and the
modules import only public names, at module level, without cycles."""

from __future__ import annotations

import importlib
import inspect

from tests.toolkit.imports import TOOLKIT, module_name, toolkit_imports
from toolkit import metrics as me

# The public names of toolkit.metrics before it became a package (the single module's ``__all__``).
PUBLIC_API = [
    "CLASSIFICATION_METRICS",
    "CORRELATION_METHODS",
    "accuracy",
    "precision",
    "recall",
    "f1_score",
    "positive_rate",
    "binary_metrics",
    "judge_metrics",
    "correlation",
    "judge_correlations",
    "item_means",
    "icc",
    "spearman_brown",
    "spearman_brown_factor",
]


def test_flat_namespace_keeps_the_public_api() -> None:
    assert me.__all__ == PUBLIC_API
    for name in PUBLIC_API:
        obj = getattr(me, name)
        if callable(obj):
            assert obj.__module__.startswith("toolkit.metrics."), name
    # The function, not a module of the same name (hence the module is called ``correlations``).
    assert inspect.isfunction(me.correlation)
    families = {name for name, _ in inspect.getmembers(me, inspect.ismodule)}
    assert families == {"classification", "correlations", "reliability"}
    for family in families:
        module = importlib.import_module(f"toolkit.metrics.{family}")
        assert all(not n.startswith("_") and hasattr(module, n) for n in module.__all__), family


def test_modules_import_public_names_at_module_level() -> None:
    for path in sorted((TOOLKIT / "metrics").glob("*.py")):
        imports = toolkit_imports(path)
        # only pingouin loads lazily (tests/test_architecture.py holds the project-wide rule)
        assert all(top for _, _, top in imports), f"{path.name}: function-local toolkit imports"
        assert [(m, n) for m, n, _ in imports if n.startswith("_")] == [], path.name
        # Shared helpers come from longform / resampling, never from toolkit.agreement's modules.
        assert not any(m.startswith("toolkit.agreement") for m, _, _ in imports), path.name
        assert module_name(path).startswith("toolkit.metrics")
