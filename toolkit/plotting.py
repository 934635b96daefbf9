"""One plotting style for every figure: colour-blind-safe, readable at a paper's column width, deterministic.

Figures are drawn with matplotlib's Agg backend (no display needed). Saved files carry no timestamps, so the
same numbers give the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: Okabe & Ito (2008) colour-blind-safe palette.
PALETTE: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "skyblue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "grey": "#999999",
}
#: Colours by rater group, used consistently across figures.
GROUP_COLORS: dict[str, str] = {
    "human": PALETTE["blue"],
    "llm": PALETTE["orange"],
    "baseline": PALETTE["grey"],
    "reward_model": PALETTE["green"],
    "aggregate": PALETTE["black"],
}
#: Colours for ordered 3-level outcomes (e.g. accepted / uncertain / rejected).
OUTCOME_COLORS: tuple[str, str, str] = (PALETTE["green"], PALETTE["yellow"], PALETTE["vermillion"])
#: A diverging colormap safe for colour-blind readers (for heat-maps).
HEATMAP_CMAP = "cividis"

#: Widths in inches of a two-column paper: one column and the full text width.
COLUMN_WIDTH = 3.4
TEXT_WIDTH = 7.0

STYLE: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.linewidth": 0.6,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "lines.linewidth": 1.2,
    "errorbar.capsize": 2,
    "figure.dpi": 100,
    "savefig.dpi": 300,
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.03,
    "pdf.fonttype": 42,  # embed TrueType so text stays editable and searchable
    "svg.hashsalt": "recenter-toolkit",
    "axes.prop_cycle": None,  # set below
}

SIMULATED_NOTE = "SIMULATED DATA - calibrated stand-in for the study's data, not real results"


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


@contextmanager
def style() -> Iterable[None]:
    """Context manager applying the toolkit's rcParams."""
    plt = _pyplot()
    from cycler import cycler

    params = dict(STYLE)
    params["axes.prop_cycle"] = cycler(
        color=[PALETTE[c] for c in ("blue", "orange", "green", "vermillion", "purple", "skyblue", "yellow")]
    )
    with plt.rc_context(params):
        yield


def new_figure(width: float = COLUMN_WIDTH, height: float = 2.4, **kwargs: Any) -> tuple[Figure, Any]:
    """Create a figure and axes at a paper width (inches); extra kwargs go to ``plt.subplots``."""
    plt = _pyplot()
    return plt.subplots(figsize=(width, height), **kwargs)


def footer(fig: Figure, text: str, *, simulated: bool) -> None:
    """Write the data-source line under the figure; simulated data are flagged in bold red-orange."""
    if simulated:
        fig.text(0.5, -0.02, SIMULATED_NOTE, ha="center", va="top", fontsize=6.5,
                 color=PALETTE["vermillion"], fontweight="bold")
        fig.text(0.5, -0.07, text, ha="center", va="top", fontsize=6, color=PALETTE["grey"])
    else:
        fig.text(0.5, -0.02, text, ha="center", va="top", fontsize=6, color=PALETTE["grey"])


def interval_errors(frame: Any, value: str = "mean", low: str = "ci_low", high: str = "ci_high") -> Any:
    """Asymmetric error-bar array (2 x n) from value and interval columns, for ``ax.errorbar(yerr=...)``."""
    import numpy as np

    v = np.asarray(frame[value], dtype=float)
    return np.vstack([v - np.asarray(frame[low], dtype=float), np.asarray(frame[high], dtype=float) - v])


def save(fig: Figure, out_dir: str | Path, name: str, formats: Sequence[str] = ("png", "pdf")) -> list[Path]:
    """Save ``fig`` as ``<out_dir>/<name>.<fmt>`` for each format, without timestamps; close it."""
    plt = _pyplot()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    metadata = {
        "png": {"Software": None},
        "pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
        "svg": {"Date": None, "Creator": None},
    }
    paths = []
    for fmt in formats:
        path = out / f"{name}.{fmt}"
        fig.savefig(path, format=fmt, metadata=metadata.get(fmt))
        paths.append(path)
    plt.close(fig)
    return paths


def annotate_heatmap(ax: Axes, values: Any, fmt: str = "{:.2f}", threshold: float | None = None) -> None:
    """Write each cell's value in the cell, in black or white for contrast with the ``cividis`` colours."""
    import numpy as np

    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    if threshold is None:
        threshold = float(finite.mean()) if finite.size else 0.0
    for (i, j), v in np.ndenumerate(values):
        if np.isfinite(v):
            ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=6,
                    color="black" if v >= threshold else "white")
