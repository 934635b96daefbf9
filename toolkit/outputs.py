"""Writing analysis results: tidy CSV, provenance JSON, and tables as Markdown and LaTeX (booktabs).

Everything written here is deterministic: no timestamps, fixed float formatting, sorted JSON keys. Every file
is written atomically (a temporary sibling renamed into place, :mod:`toolkit.atomic`): an interrupted run leaves
the previous file or none, and a full disk or read-only folder raises :class:`toolkit.atomic.OutputError`.
"""

from __future__ import annotations

import json
import math
import platform
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

import toolkit
from toolkit.atomic import atomic_file, write_text
from toolkit.dataset import Dataset, sample_path

__all__ = ["FLOAT_FORMAT", "provenance", "write_json", "write_csv", "table_markdown", "table_latex", "write_table", "format_interval", "interval_display"]

FLOAT_FORMAT = "%.6g"


def provenance(ds: Dataset, *, analysis: str, seed: int, settings: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Provenance of one analysis output: which data, which code, which settings (no timestamps)."""
    return {
        "analysis": analysis,
        "dataset": {
            "name": ds.name,
            "path": _data_path(ds),
            "manifest_sha256": ds.manifest_sha256,
            "provenance": ds.provenance,
            "origin": ds.manifest.get("provenance", {}).get("origin"),
            "license": ds.manifest.get("license"),
        },
        "simulated": ds.is_simulated,
        "toolkit_version": toolkit.__version__,
        "python": platform.python_version(),
        "seed": seed,
        "settings": dict(settings or {}),
    }


def _data_path(ds: Dataset) -> str:
    """The dataset folder as written in provenance: the bundled sample by name (so files made on different
    machines agree), other folders as given."""
    try:
        if ds.path.resolve() == sample_path().resolve():
            return "<bundled sample: toolkit/data/sample>"
    except OSError:
        pass
    return str(ds.path)


def write_json(obj: Any, path: str | Path) -> Path:
    """Write ``obj`` as indented JSON with sorted keys (non-finite floats as null), atomically."""
    return write_text(path, json.dumps(_jsonable(obj), indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if hasattr(obj, "item") and callable(obj.item):  # numpy scalars
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Tidy CSV with 6 significant digits and Unix newlines."""
    path = Path(path)
    with atomic_file(path, "w") as fh:
        frame.to_csv(fh, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")
    return path


def _fmt(value: Any, digits: int) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _cells(frame: pd.DataFrame, digits: int) -> list[list[str]]:
    return [[_fmt(v, digits) for v in row] for row in frame.itertuples(index=False, name=None)]


def table_markdown(frame: pd.DataFrame, *, caption: str, digits: int = 3) -> str:
    """A GitHub-flavoured Markdown table with its caption above it."""
    header = [str(c) for c in frame.columns]
    lines = [f"**{caption}**", "", "| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in _cells(frame, digits)]
    return "\n".join(lines) + "\n"


def _tex_escape(text: str) -> str:
    for a, b in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("$", r"\$"), ("#", r"\#"),
                 ("_", r"\_"), ("{", r"\{"), ("}", r"\}"), ("~", r"\textasciitilde{}"), ("^", r"\^{}")):
        text = text.replace(a, b)
    return text


def table_latex(frame: pd.DataFrame, *, caption: str, label: str, digits: int = 3) -> str:
    """A LaTeX ``table`` using booktabs rules (``\\usepackage{booktabs}``)."""
    align = "".join("l" if not pd.api.types.is_numeric_dtype(frame[c]) else "r" for c in frame.columns)
    lines = [
        r"\begin{table}[t]",
        r"\centering",
        rf"\caption{{{_tex_escape(caption)}}}",
        rf"\label{{{label}}}",
        rf"\begin{{tabular}}{{{align}}}",
        r"\toprule",
        " & ".join(_tex_escape(str(c)) for c in frame.columns) + r" \\",
        r"\midrule",
    ]
    lines += [" & ".join(_tex_escape(c) for c in row) + r" \\" for row in _cells(frame, digits)]
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines) + "\n"


def write_table(
    frame: pd.DataFrame, out_dir: str | Path, name: str, *, caption: str, digits: int = 3
) -> Sequence[Path]:
    """Write ``<name>.md`` and ``<name>.tex`` for a table."""
    out = Path(out_dir)
    md = write_text(out / f"{name}.md", table_markdown(frame, caption=caption, digits=digits))
    tex = write_text(out / f"{name}.tex", table_latex(frame, caption=caption, label=f"tab:{name}", digits=digits))
    return [md, tex]


def format_interval(value: float, low: float, high: float, digits: int = 3) -> str:
    """``"0.719 [0.690, 0.748]"``; ``"-"`` for a missing value, the value alone when it has no interval."""
    if value is None or not math.isfinite(float(value)):
        return "-"
    text = f"{float(value):.{digits}f}"
    if low is not None and high is not None and math.isfinite(float(low)) and math.isfinite(float(high)):
        text += f" [{float(low):.{digits}f}, {float(high):.{digits}f}]"
    return text


def interval_display(
    table: pd.DataFrame,
    *,
    index: Sequence[str],
    column: str,
    columns: Sequence[str],
    labels: Mapping[str, str] | None = None,
    index_labels: Mapping[str, str] | None = None,
    digits: int = 3,
) -> pd.DataFrame:
    """Spread a tidy ``value, ci_low, ci_high`` table into a display table of ``"v [lo, hi]"`` strings.

    ``index`` columns identify a row (kept, in first-appearance order), ``column`` holds the statistic
    name, ``columns`` the statistics to show (in order) and ``labels`` their display headers.
    """
    labels = dict(labels or {})
    rows = []
    for key, part in table.groupby(list(index), sort=False):
        key = key if isinstance(key, tuple) else (key,)
        by = part.set_index(column)
        row = dict(zip(index, key, strict=True))
        for c in columns:
            if c in by.index:
                r = by.loc[c]
                row[labels.get(c, c)] = format_interval(r["value"], r["ci_low"], r["ci_high"], digits)
            else:
                row[labels.get(c, c)] = "-"
        rows.append(row)
    out = pd.DataFrame(rows)
    return out.rename(columns=dict(index_labels or {}))
