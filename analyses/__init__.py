"""One module per figure and table of the paper (``python -m analyses.<name>``), and the all-in-one run
(``python -m analyses``). Each module calls toolkit functions only; see :mod:`analyses.common`."""

__all__ = ["ANALYSIS_NAMES"]

#: Every analysis, in the order the all-in-one run executes them (no-model ones first).
ANALYSIS_NAMES: tuple[str, ...] = (
    "figure3",
    "figure4",
    "table3",
    "table2",
    "figure2",
    "judges",
    "figure5",
    "figure6",
    "figure7",
    "table6",
    "rewards",
)
