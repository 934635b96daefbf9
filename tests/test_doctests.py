"""Docstring examples: every example under ``toolkit/`` and ``schemas/`` runs (doctest), and every public
callable of the statistics API has a numpydoc ``Examples`` section.

Modules are found with :func:`pkgutil.walk_packages` and imported only when their source contains an
example (``>>>``), so command-line entry points (``__main__``) are never run. Importing the model modules is
cheap (PyMC is imported lazily) and no example fits a model.
"""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import inspect
import pkgutil
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import schemas
import toolkit

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
#: Modules whose public callables must each carry an Examples section.
API_MODULES = (
    "toolkit.agreement", "toolkit.metrics", "toolkit.resampling", "toolkit.longform", "toolkit.descriptive",
    "toolkit.stages",
)

_unimportable: list[str] = []


def _modules_with_examples() -> list[str]:
    names = []
    for package in (toolkit, schemas):
        found = [package.__name__] + [
            info.name
            for info in pkgutil.walk_packages(
                package.__path__, f"{package.__name__}.", onerror=_unimportable.append
            )
        ]
        for name in found:
            if name.rsplit(".", 1)[-1] == "__main__":
                continue
            spec = importlib.util.find_spec(name)
            origin = spec.origin if spec else None
            if origin and origin.endswith(".py") and ">>>" in Path(origin).read_text(encoding="utf-8"):
                names.append(name)
    return sorted(names)


MODULES = _modules_with_examples()


def test_every_package_imports() -> None:
    """A package that fails to import would silently hide its modules' examples from the test below."""
    assert _unimportable == []


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=FLAGS, report=False)  # failures are printed to stdout
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed (see stdout)"


def has_examples(obj: object) -> bool:
    """Whether ``obj``'s docstring has a numpydoc ``Examples`` section with at least one example."""
    doc = inspect.getdoc(obj) or ""
    match = re.search(r"^Examples\n-{8}\n", doc, flags=re.MULTILINE)
    return bool(match) and ">>>" in doc[match.end() :]


def _public_callables() -> Iterator[tuple[str, Callable]]:
    for module_name in API_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            # Functions and classes the toolkit defines; type aliases (``SeedLike``, ``DrawMethod = str``) and
            # constants carry no docstring of their own.
            if (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__.startswith("toolkit."):
                yield f"{module_name}.{name}", obj


PUBLIC = dict(_public_callables())


@pytest.mark.parametrize("qualname", sorted(PUBLIC))
def test_public_callable_has_examples(qualname: str) -> None:
    assert has_examples(PUBLIC[qualname]), f"{qualname} has no numpydoc 'Examples' section with an example"


def test_examples_check_sees_the_api_and_can_fail() -> None:
    assert {"toolkit.agreement.group_agreement", "toolkit.metrics.binary_metrics",
            "toolkit.resampling.bootstrap_sums", "toolkit.agreement.KappaResult"} <= set(PUBLIC)  # fmt: skip
    assert len(PUBLIC) >= 40

    def undocumented() -> None:
        """Adds nothing.

        Notes
        -----
        An ``Examples`` heading in prose is not a section.
        """

    assert not has_examples(undocumented)
    assert {"toolkit.resampling", "toolkit.longform", "toolkit.agreement.kappa"} <= set(MODULES)
