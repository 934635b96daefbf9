"""Progress on long work: a :mod:`tqdm` bar (:func:`progress_bar`) or an elapsed-time line (:func:`activity`).

Drawn on stderr only when stderr is a terminal (so logs, CI and pipes stay clean) unless forced with
``progress=True``; ``progress=False`` (``--no-progress``) or ``RECENTER_NO_PROGRESS=1`` silence it. Bars never
touch stdout, so piped results are the same with or without them. (tqdm costs ~70 ms to import, so commands
that need no bar, e.g. a single figure, do not import this module.)
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from tqdm import tqdm

__all__ = [
    "NO_PROGRESS_ENV",
    "activity",
    "add_progress_argument",
    "progress_bar",
    "show_progress",
]

#: Set to a non-empty value other than ``0`` to silence every progress bar (e.g. in a notebook or CI).
NO_PROGRESS_ENV = "RECENTER_NO_PROGRESS"


def show_progress(progress: bool | None = None) -> bool:
    """Whether to draw progress: ``progress`` if given, else when stderr is a terminal and not silenced.

    Parameters
    ----------
    progress : bool or None
        ``True`` / ``False`` force it (``--progress`` / ``--no-progress``); ``None`` decides from the terminal
        and :data:`NO_PROGRESS_ENV`.

    Returns
    -------
    bool

    Examples
    --------
    >>> show_progress(False), show_progress(True)
    (False, True)
    """
    if progress is not None:
        return bool(progress)
    if os.environ.get(NO_PROGRESS_ENV, "") not in ("", "0"):
        return False
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty and isatty())


def progress_bar(
    iterable: Iterable[Any] | None = None,
    *,
    total: int | None = None,
    desc: str = "",
    unit: str = "it",
    progress: bool | None = None,
) -> tqdm:
    """A :class:`tqdm.tqdm` bar on stderr, disabled unless :func:`show_progress` says to draw it.

    Use it as the iterable itself or call ``update()``; ``set_postfix_str`` names the current step.

    Examples
    --------
    >>> [x for x in progress_bar(range(3), desc="steps", progress=False)]
    [0, 1, 2]
    """
    return tqdm(
        iterable, total=total, desc=desc, unit=unit, file=sys.stderr, disable=not show_progress(progress),
        dynamic_ncols=True, leave=False,
    )


@contextmanager
def activity(desc: str, *, progress: bool | None = None, interval: float = 0.5) -> Iterator[None]:
    """Show ``desc`` with the elapsed time on stderr while one long call runs (a sign of life, no total).

    The line is refreshed by a daemon thread every ``interval`` seconds and removed when the block ends.

    Examples
    --------
    >>> with activity("simulating", progress=False):
    ...     total = sum(range(10))
    >>> total
    45
    """
    if not show_progress(progress):
        yield
        return
    bar = tqdm(total=None, desc=desc, file=sys.stderr, leave=False, bar_format="{desc} {elapsed}")
    stop = threading.Event()

    def tick() -> None:
        while not stop.wait(interval):
            bar.refresh()

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        bar.close()


def add_progress_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--progress/--no-progress`` (default: a bar when stderr is a terminal) to ``parser``.

    The parsed value, ``args.progress``, is ``True``, ``False`` or ``None`` (decide from the terminal), as
    :func:`show_progress` takes it.

    Examples
    --------
    >>> p = argparse.ArgumentParser()
    >>> add_progress_argument(p)
    >>> p.parse_args([]).progress, p.parse_args(["--no-progress"]).progress
    (None, False)
    """
    parser.add_argument(
        "--progress", action=argparse.BooleanOptionalAction, default=None,
        help="progress bars on stderr (default: when stderr is a terminal)",
    )
