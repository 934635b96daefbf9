"""The API reference builds from the docstrings (pdoc), so a broken import or docstring shows up in CI."""

from __future__ import annotations

from pathlib import Path

import pytest

pdoc = pytest.importorskip("pdoc", reason="pdoc is in the dev extra")


def test_api_reference_builds(tmp_path: Path) -> None:
    import pkgutil

    import pdoc.render

    import analyses
    import schemas
    import toolkit

    # every module, named: a package's lazy __all__ hides its submodules from pdoc's own walk
    modules = [pkg.__name__ for pkg in (toolkit, schemas, analyses)]
    for pkg in (toolkit, schemas, analyses):
        found = pkgutil.walk_packages(pkg.__path__, pkg.__name__ + ".")
        modules += [m.name for m in found if not m.name.endswith("__main__")]  # __main__ runs on import
    pdoc.render.configure(docformat="numpy", search=False, show_source=False)
    pdoc.pdoc(*modules, output_directory=tmp_path)
    pages = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.html")}
    for page in ("toolkit.html", "toolkit/agreement.html", "toolkit/models/fitting.html", "schemas.html"):
        assert page in pages
    fitting = (tmp_path / "toolkit/models/fitting.html").read_text(encoding="utf-8")
    assert "load_fit" in fitting and "Parameters" in fitting
