"""Importers: convert other formats into canonical datasets (see :mod:`toolkit.dataset`).

* :mod:`toolkit.importers.annotation_tool` - the authors' pre-release annotation-tool files
  (``recenter import annotation-tool SRC... --out DIR``).
"""

from toolkit.importers.annotation_tool import (
    PILOT_TASK2_DIR,
    PILOT_TASK3_DIR,
    REASONS,
    Exclusion,
    ImportReport,
    Note,
    SourceReport,
    import_annotation_tool,
)

__all__ = [
    "PILOT_TASK2_DIR",
    "PILOT_TASK3_DIR",
    "REASONS",
    "Exclusion",
    "ImportReport",
    "Note",
    "SourceReport",
    "import_annotation_tool",
]
