"""One plotting style for every figure: colour-blind-safe, readable at a paper's column width, deterministic.

Figures are drawn with matplotlib's Agg backend (no display needed). Saved files carry no timestamps, so the
same numbers give the same bytes.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

__all__ = ["PALETTE", "GROUP_COLORS", "OUTCOME_COLORS", "HEATMAP_CMAP", "COLUMN_WIDTH", "TEXT_WIDTH", "STYLE", "SIMULATED_NOTE", "style", "new_figure", "new_canvas", "footer", "interval_errors", "save", "annotate_heatmap", "legend_handle", "GROUP_MARKERS", "GROUP_NAMES", "interval_panels", "cell_patch", "observed_handle"]

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
    # A fixed canvas (no "tight" cropping): a figure made at 3.4 in is saved at 3.4 in, so it is readable at
    # a paper's column width. Layout is done by matplotlib's constrained layout (see new_figure and footer).
    "savefig.bbox": "standard",
    "figure.constrained_layout.h_pad": 0.03,
    "figure.constrained_layout.w_pad": 0.03,
    "pdf.fonttype": 42,  # embed TrueType so text stays editable and searchable
    "svg.hashsalt": "recenter-toolkit",
    "axes.prop_cycle": None,  # set below
}

SIMULATED_NOTE = "SIMULATED DATA - calibrated stand-in for the study's data, not real results"


@contextmanager
def style() -> Iterable[None]:
    """Context manager applying the toolkit's rcParams."""
    import matplotlib

    params = dict(STYLE)
    params["axes.prop_cycle"] = matplotlib.cycler(
        color=[PALETTE[c] for c in ("blue", "orange", "green", "vermillion", "purple", "skyblue", "yellow")]
    )
    with matplotlib.rc_context(params):
        yield


def new_figure(width: float = COLUMN_WIDTH, height: float = 2.4, **kwargs: Any) -> tuple[Figure, Any]:
    """Create a figure and axes at a paper width (inches), laid out by constrained layout.

    Extra kwargs go to :meth:`matplotlib.figure.Figure.subplots` (e.g. ``ncols=4, sharey=True``). The saved
    figure keeps exactly this width; :func:`footer` adds its lines below the plotting area by growing the
    height. Figures are made without pyplot (no global figure registry, no GUI backend, faster import);
    they render with the Agg canvas.
    """
    fig = new_canvas(width, height, layout=kwargs.pop("layout", "constrained"))
    return fig, fig.subplots(**kwargs)


def new_canvas(width: float = COLUMN_WIDTH, height: float = 2.4, layout: str = "constrained") -> Figure:
    """An empty figure at a paper width (for layouts with subfigures), drawn on the Agg canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout=layout)
    FigureCanvasAgg(fig)
    return fig


#: Average glyph width of DejaVu Sans as a fraction of the font size (for wrapping footer text).
_GLYPH = {"normal": 0.55, "bold": 0.62}
_LINE = 1.3  # line height as a multiple of the font size


def _wrap(text: str, width_in: float, fontsize: float, weight: str) -> list[str]:

    chars = max(20, int(width_in * 72 / (fontsize * _GLYPH[weight])))
    return textwrap.wrap(text, chars, break_on_hyphens=False) or [""]


def footer(fig: Figure, text: str, *, simulated: bool, notes: Sequence[str] = ()) -> None:
    """Write the data-source lines under the figure, without overlapping it and without widening it.

    The figure grows taller by the footer's height so the plotting area keeps its size; the lines are wrapped
    to the figure's width. Simulated data are flagged first, in bold vermillion; ``notes`` (e.g. a model that
    did not converge) follow in vermillion; ``text`` (data source, method notes) last, in grey.
    """
    width, height = (float(v) for v in fig.get_size_inches())
    usable = width - 0.1
    lines: list[tuple[str, float, str, str]] = []
    if simulated:
        lines += [(t, 6.5, "bold", PALETTE["vermillion"]) for t in _wrap(SIMULATED_NOTE, usable, 6.5, "bold")]
    for note in notes:
        lines += [(t, 6.0, "bold", PALETTE["vermillion"]) for t in _wrap(note, usable, 6.0, "bold")]
    if text:
        lines += [(t, 6.0, "normal", "#555555") for t in _wrap(text, usable, 6.0, "normal")]
    pad = 0.06
    needed = pad + sum(size * _LINE / 72 for _, size, _, _ in lines) + 0.03
    total = height + needed
    fig.set_size_inches(width, total)
    engine = fig.get_layout_engine()
    rect = (0.0, needed / total, 1.0, 1.0 - needed / total)
    if engine is not None and hasattr(engine, "set") and type(engine).__name__ == "ConstrainedLayoutEngine":
        engine.set(rect=rect)
    else:  # a figure made without constrained layout: shrink its axes into the upper part
        fig.subplots_adjust(bottom=rect[1] + 0.1 * (1 - rect[1]))
    y = needed - pad  # inches from the bottom edge, top of the first line
    for line, size, weight, colour in lines:
        fig.text(0.5, y / total, line, ha="center", va="top", fontsize=size, fontweight=weight, color=colour)
        y -= size * _LINE / 72


def interval_errors(frame: Any, value: str = "mean", low: str = "ci_low", high: str = "ci_high") -> Any:
    """Asymmetric error-bar array (2 x n) from value and interval columns, for ``ax.errorbar(yerr=...)``."""

    v = np.asarray(frame[value], dtype=float)
    return np.vstack([v - np.asarray(frame[low], dtype=float), np.asarray(frame[high], dtype=float) - v])


def save(fig: Figure, out_dir: str | Path, name: str, formats: Sequence[str] = ("png", "pdf")) -> list[Path]:
    """Save ``fig`` as ``<out_dir>/<name>.<fmt>`` for each format, without timestamps; close it."""
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
        # The first save ran the (resolution-independent) constrained layout; keep those positions for the
        # other formats instead of solving the layout again.
        fig.set_layout_engine("none")
    return paths


def annotate_heatmap(ax: Axes, values: Any, fmt: str = "{:.2f}", threshold: float | None = None) -> None:
    """Write each cell's value in the cell, in black or white for contrast with the ``cividis`` colours."""

    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    if threshold is None:
        threshold = float(finite.mean()) if finite.size else 0.0
    for (i, j), v in np.ndenumerate(values):
        if np.isfinite(v):
            ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=6,
                    color="black" if v >= threshold else "white")


def legend_handle(marker: str, colour: str, **kwargs: Any) -> Any:
    """A marker-only legend entry (for figures whose artists are error bars or annotations)."""
    from matplotlib.lines import Line2D

    return Line2D([], [], marker=marker, color=colour, ls="none", ms=kwargs.pop("ms", 4), **kwargs)


#: Markers by rater group (shape as well as colour, so groups stay apart in greyscale prints).
GROUP_MARKERS: dict[str, str] = {"llm": "o", "baseline": "s", "human": "D", "reward_model": "^", "aggregate": "P"}
GROUP_NAMES: dict[str, str] = {
    "llm": "LLM judge",
    "baseline": "baseline",
    "human": "human annotator",
    "reward_model": "reward model",
    "aggregate": "aggregate",
}


def interval_panels(
    table: Any,
    *,
    rows: Sequence[str],
    metrics: Sequence[str],
    titles: Mapping[str, str] | None = None,
    row: str = "method",
    group: str = "kind",
    width: float = TEXT_WIDTH,
    xlim: tuple[float, float] | None = (0.0, 1.0),
    group_names: Mapping[str, str] | None = None,
    value_labels: bool = True,
    headroom: float = 0.6,
    extra_legend: Sequence[tuple[Any, str]] = (),
    styles: Mapping[str, Mapping[str, Any]] | None = None,
    dodge: float = 0.0,
    xlims: Mapping[str, tuple[float, float]] | None = None,
    refs: Mapping[str, float] | None = None,
    row_labels: Mapping[str, str] | None = None,
    row_height: float = 0.19,
    label_fmt: str = "{:.2f}",
) -> tuple[Figure, Any]:
    """One panel per metric, one row per method: point estimate with its interval, coloured by group.

    ``table`` is tidy (``row, group, metric, value, ci_low, ci_high``); ``rows`` gives the top-to-bottom
    order. Values are written beside their interval (right of it, or left when it reaches the right edge).
    Returns the figure and its axes (one per metric), with a legend of the groups above the panels.
    ``headroom`` is the free space above the first row, in rows (for annotations); ``extra_legend`` adds
    ``(handle, label)`` entries to the legend. ``styles`` overrides a group's ``color``/``marker``/``mfc``
    (marker face colour, ``"none"`` for open markers); ``dodge`` shifts the groups of one row apart
    vertically (in rows); ``xlims`` and ``refs`` set per-metric x ranges and dashed reference lines.
    """

    titles = dict(titles or {})
    names = {**GROUP_NAMES, **dict(group_names or {})}
    styles = dict(styles or {})
    ypos = {m: i for i, m in enumerate(rows)}
    height = 0.85 + row_height * len(rows)
    fig, axes = new_figure(width, height, ncols=len(metrics), sharey=True, squeeze=False)
    axes = axes[0]
    shown = table[table[row].isin(rows) & table["metric"].isin(metrics)]
    groups_seen: list[str] = list(dict.fromkeys(str(g) for g in shown[group]))
    if styles:  # groups with a style come in the order of ``styles``
        rank = {k: i for i, k in enumerate(styles)}
        groups_seen.sort(key=lambda g: rank.get(g, len(rank)))

    def style_of(kind: str) -> dict[str, Any]:
        base = {"color": GROUP_COLORS.get(kind, PALETTE["black"]), "marker": GROUP_MARKERS.get(kind, "o")}
        base.update(styles.get(kind, {}))
        return base

    for ax, metric in zip(axes, metrics, strict=True):
        part = table[(table["metric"] == metric) & table[row].isin(rows)]
        lim = (xlims or {}).get(metric, xlim)
        if lim is None:
            finite = part[["value", "ci_low", "ci_high"]].to_numpy(dtype=float)
            finite = finite[np.isfinite(finite)]
            lim = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        lo_x, hi_x = lim
        span = hi_x - lo_x if hi_x > lo_x else 1.0
        if refs and metric in refs:
            ax.axvline(refs[metric], color="#777777", lw=0.7, ls="--", zorder=0)
        # dodge the groups present in each row symmetrically around the row
        in_row: dict[Any, list[str]] = {}
        for r_, g_ in zip(part[row], part[group].astype(str), strict=True):
            if g_ not in in_row.setdefault(r_, []):
                in_row[r_].append(g_)
        for k_ in in_row:
            in_row[k_].sort(key=groups_seen.index)
        for kind in groups_seen:
            sub = part[part[group].astype(str) == kind]
            if sub.empty:
                continue
            st = style_of(kind)
            ys = [ypos[m] + (in_row[m].index(kind) - (len(in_row[m]) - 1) / 2) * dodge for m in sub[row]]
            ax.errorbar(
                sub["value"], ys, xerr=np.nan_to_num(interval_errors(sub, "value")), fmt=st["marker"], ms=3.5,
                color=st["color"], ecolor=st["color"], mfc=st.get("mfc", st["color"]), elinewidth=1.0, capsize=1.5,
            )
            if not value_labels:
                continue
            for (v, lo, hi), y in zip(sub[["value", "ci_low", "ci_high"]].itertuples(index=False), ys, strict=True):
                if not np.isfinite(v):
                    continue
                top = hi if np.isfinite(hi) else v
                right = (top - lo_x) / span < 0.8
                x = top if right else (lo if np.isfinite(lo) else v)
                ax.annotate(label_fmt.format(v), (x, y), xytext=(2.5 if right else -2.5, 0), textcoords="offset points",
                            ha="left" if right else "right", va="center", fontsize=5.5, color="#333333")
        ax.set_xlim(lo_x - 0.02 * span, hi_x + 0.02 * span)  # markers at the limits stay whole
        ax.set_title(titles.get(metric, metric))
        ax.grid(axis="x", color="#dddddd", lw=0.5)
        ax.set_axisbelow(True)
    labels_y = [(row_labels or {}).get(r, r) for r in rows]
    axes[0].set_yticks(range(len(rows)), labels_y)
    axes[0].set_ylim(len(rows) - 0.4, -headroom)
    handles = [
        legend_handle(style_of(k)["marker"], style_of(k)["color"], mfc=style_of(k).get("mfc", style_of(k)["color"]))
        for k in groups_seen
    ]
    labels = [names.get(k, k) for k in groups_seen]
    handles += [h for h, _ in extra_legend]
    labels += [label for _, label in extra_legend]
    if handles:
        ncols = len(handles) if len(handles) <= 3 or width >= 1.5 * sum(len(lb) for lb in labels) * 7 * 0.55 / 72 else (len(handles) + 1) // 2
        fig.legend(handles, labels, loc="outside upper center", ncols=ncols, frameon=False)
    return fig, axes


def cell_patch(row: int, col: int, colour: str, **kwargs: Any) -> Any:
    """A filled square covering heat-map cell ``(row, col)`` (e.g. to grey out the diagonal)."""
    from matplotlib.patches import Rectangle

    return Rectangle((col - 0.5, row - 0.5), 1.0, 1.0, facecolor=colour, edgecolor="none", **kwargs)


#: An open circle: the observed value drawn beside a model estimate.
def observed_handle() -> Any:
    return legend_handle("o", "#333333", mfc="none", mew=0.7)
