"""``recenter cache info|clear [--area NAME]``: what the on-disk cache holds, and removing it.

The cache (:func:`toolkit.cache.cache_dir`: ``$RECENTER_CACHE_DIR`` or ``~/.cache/recenter-toolkit``) has one
folder per *area*: ``frames`` (parsed record files), the posterior cache of fitted models, the replications
of simulation studies, ``outputs`` (rendered analysis files)... Everything in it is keyed by content and
recomputed when absent, so clearing it only costs time.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import attrs

from toolkit.cache import cache_dir

__all__ = ["AreaUsage", "add_arguments", "clear", "format_size", "run", "usage"]


@attrs.frozen
class AreaUsage:
    """One cache area: its folder, number of files and total bytes."""

    name: str
    path: Path
    files: int
    bytes: int


def usage(root: str | Path | None = None) -> list[AreaUsage]:
    """The areas of the cache at ``root`` (default :func:`~toolkit.cache.cache_dir`), sorted by name.

    Files directly in the root (not in an area) are counted under the area ``"."``.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> _ = (root / "frames").mkdir(), (root / "frames" / "a.pickle").write_bytes(b"1234")
    >>> [(a.name, a.files, a.bytes) for a in usage(root)]
    [('frames', 1, 4)]
    """
    root = Path(root) if root is not None else cache_dir()
    if not root.is_dir():
        return []
    areas = []
    loose = [p for p in root.iterdir() if not p.is_dir()]
    if loose:
        areas.append(AreaUsage(".", root, len(loose), sum(p.stat().st_size for p in loose)))
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        files = [p for p in folder.rglob("*") if p.is_file()]
        areas.append(AreaUsage(folder.name, folder, len(files), sum(p.stat().st_size for p in files)))
    return areas


def clear(root: str | Path | None = None, area: str | None = None) -> list[AreaUsage]:
    """Remove the cache (or one ``area`` of it); return what was removed.

    Raises
    ------
    KeyError
        ``area`` is not in the cache.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> _ = (root / "frames").mkdir(), (root / "frames" / "a.pickle").write_bytes(b"1234")
    >>> [a.name for a in clear(root, "frames")], usage(root)
    (['frames'], [])
    """
    root = Path(root) if root is not None else cache_dir()
    areas = usage(root)
    if area is not None:
        areas = [a for a in areas if a.name == area]
        if not areas:
            raise KeyError(f"no cache area {area!r} in {root}")
    for a in areas:
        if a.name == ".":
            for p in a.path.iterdir():
                if not p.is_dir():
                    p.unlink()
        else:
            shutil.rmtree(a.path)
    return areas


def format_size(n: int) -> str:
    """Bytes in human units.

    Examples
    --------
    >>> format_size(512), format_size(2048), format_size(5 * 1024**3)
    ('512 B', '2.0 KiB', '5.0 GiB')
    """
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{n} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``cache`` subcommand's actions (``info``, ``clear``) and ``--area`` to ``parser``."""
    sub = parser.add_subparsers(dest="cache_command", metavar="ACTION", required=True)
    sub.add_parser("info", help="the cache folder, entries and size per area")
    clear_p = sub.add_parser("clear", help="remove cached entries (everything, or one --area)")
    clear_p.add_argument("--area", metavar="NAME", help="only this area (see `recenter cache info`)")


def run(args: argparse.Namespace) -> int:
    """Run ``recenter cache info|clear``: 0, or 2 when ``--area`` names no area."""
    root = cache_dir()
    if args.cache_command == "info":
        areas = usage(root)
        print(f"cache: {root}{'' if root.is_dir() else ' (empty)'}")
        width = max([len(a.name) for a in areas] + [4])
        for a in areas:
            print(f"  {a.name:<{width}}  {a.files:>7} files  {format_size(a.bytes):>10}")
        total = sum(a.bytes for a in areas)
        print(f"  {'total':<{width}}  {sum(a.files for a in areas):>7} files  {format_size(total):>10}")
        return 0
    try:
        removed = clear(root, args.area)
    except KeyError as exc:
        names = ", ".join(a.name for a in usage(root)) or "none"
        print(f"recenter cache: error: {exc.args[0]} (areas: {names})", file=sys.stderr)
        return 2
    freed = sum(a.bytes for a in removed)
    print(f"removed {sum(a.files for a in removed)} files ({format_size(freed)}) from {root}")
    return 0
