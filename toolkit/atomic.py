"""Atomic outputs: a file or a whole folder is written into a temporary sibling and renamed into place.

An interruption (Ctrl-C, ``kill -9``, a full disk) therefore leaves the old state or nothing, never a
half-written file under the real name. Temporary siblings are hidden (``.<name>.tmp-<pid>-<random>``); one
left behind by a killed process is removed by the next write to the same target (only when its process is
gone, so a concurrent writer is never disturbed). Every failure to write is an :class:`OutputError` naming
the path.

A folder is swapped in with one ``renameat2(RENAME_EXCHANGE)`` where Linux offers it (no instant without a
folder under the name), else by two renames (the old folder moved to a hidden sibling, the new one renamed in).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

__all__ = [
    "EXIT_OUTPUT_ERROR",
    "OutputError",
    "atomic_dir",
    "atomic_file",
    "remove_stale_siblings",
    "write_bytes",
    "write_text",
]

#: Exit status of a command whose output could not be written (``EX_IOERR`` of BSD ``sysexits.h``).
EXIT_OUTPUT_ERROR = 74

_TMP = ".tmp-"
_OLD = ".old-"


class OutputError(OSError):
    """An output could not be written (full disk, read-only or missing destination, ...); nothing partial is left.

    Attributes
    ----------
    path : str
        The output that was being written.
    reason : str
        What failed (the operating system's message).
    """

    def __init__(self, path: str | os.PathLike, reason: str, errno_: int | None = None) -> None:
        self.path, self.reason = str(path), reason
        super().__init__(errno_, f"cannot write {self.path}: {reason}")

    def __str__(self) -> str:
        return f"cannot write {self.path}: {self.reason} (nothing was written there)"


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _sibling(target: Path, kind: str) -> str:
    return f".{target.name}{kind}{os.getpid()}-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_siblings(target: str | os.PathLike) -> int:
    """Remove temporary siblings of ``target`` left by killed writers; return how many were removed.

    Parameters
    ----------
    target : path-like
        A file or folder written through this module.

    Returns
    -------
    int
        The number of leftovers removed (those whose writing process no longer runs).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> (d / ".out.json.tmp-999999999-x").write_text("half")
    4
    >>> remove_stale_siblings(d / "out.json")
    1
    """
    target = Path(target)
    removed = 0
    try:
        entries = list(target.parent.iterdir())
    except OSError:
        return 0
    prefix = f".{target.name}"
    for entry in entries:
        rest = entry.name[len(prefix):] if entry.name.startswith(prefix) else ""
        kind = _TMP if rest.startswith(_TMP) else _OLD if rest.startswith(_OLD) else None
        if kind is None:
            continue
        pid = rest[len(kind):].split("-", 1)[0]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed += 1
    return removed


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike, mode: str = "wb", *, encoding: str | None = None) -> Iterator[IO]:
    """Open a temporary sibling of ``path`` for writing; rename it to ``path`` when the block ends cleanly.

    Parameters
    ----------
    path : path-like
        The final file name; its folder is created if needed.
    mode : {"wb", "w"}
        Binary or text.
    encoding : str, optional
        For text mode (default UTF-8; newlines are written as ``\\n``).

    Yields
    ------
    file object
        Write into it; on an exception the temporary file is removed and ``path`` is left as it was.

    Raises
    ------
    OutputError
        When the file cannot be written (e.g. a full disk or a read-only folder).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> with atomic_file(out, "w") as fh:
    ...     _ = fh.write("done")
    >>> out.read_text()
    'done'
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"mode must be 'wb' or 'w', got {mode!r}")
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_siblings(target)
        fd, tmp = tempfile.mkstemp(prefix=_sibling(target, _TMP), dir=target.parent)
    except OSError as exc:
        raise OutputError(target, _reason(exc), exc.errno) from exc
    try:
        if mode == "w":
            fh = open(fd, "w", encoding=encoding or "utf-8", newline="\n")  # noqa: SIM115 - closed below
        else:
            fh = open(fd, "wb")  # noqa: SIM115
        with fh:
            yield fh
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and not isinstance(exc, OutputError):
            raise OutputError(target, _reason(exc), exc.errno) from exc
        raise


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_file`); return the path.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> write_bytes(pathlib.Path(tempfile.mkdtemp()) / "b.bin", b"x").read_bytes()
    b'x'
    """
    with atomic_file(path, "wb") as fh:
        fh.write(data)
    return Path(path)


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically (see :func:`atomic_file`); return the path.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> write_text(pathlib.Path(tempfile.mkdtemp()) / "t.md", "# hi\\n").read_text()
    '# hi\\n'
    """
    return write_bytes(path, text.encode("utf-8"))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths atomically (Linux ``renameat2``); False when unavailable."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False  # kernel or filesystem without the flag
    raise OSError(err, os.strerror(err), str(b))


def _carry(old: Path, new: Path, keep: Callable[[str], bool]) -> None:
    """Copy into ``new`` the entries of ``old`` that ``keep`` accepts and ``new`` does not have yet."""
    for entry in old.iterdir():
        dest = new / entry.name
        if not keep(entry.name) or dest.exists() or (entry.name.startswith(".") and (_TMP in entry.name or _OLD in entry.name)):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, dest, symlinks=True)
        else:
            shutil.copy2(entry, dest, follow_symlinks=False)


def _discard(folder: Path, placeholder: tuple[str, str] | None) -> None:
    """Remove a replaced folder; first mark it with the placeholder, so that a kill in the middle of the removal
    cannot leave a remainder that passes for a complete folder."""
    if placeholder is not None:
        with contextlib.suppress(OSError):
            write_text(folder / placeholder[0], placeholder[1])
            for entry in folder.iterdir():  # everything but the placeholder first
                if entry.name == placeholder[0]:
                    continue
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
    shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def atomic_dir(
    path: str | os.PathLike,
    *,
    keep: Callable[[str], bool] | None = None,
    placeholder: tuple[str, str] | None = None,
) -> Iterator[Path]:
    """Build a folder in a temporary sibling and swap it in for ``path`` when the block ends cleanly.

    Parameters
    ----------
    path : path-like
        The final folder (replaced as a whole if it exists).
    keep : callable, optional
        ``keep(name) -> bool`` for the entries of an existing ``path`` that the new folder starts with
        (copied into the temporary folder before the block runs, which may replace or delete them);
        default: start empty.
    placeholder : (str, str), optional
        ``(file name, text)`` written into the temporary folder first, e.g. an invalid ``manifest.json`` so
        that a half-built dataset can never pass validation; the block replaces it when it is done.

    Yields
    ------
    Path
        The temporary folder to fill.

    Raises
    ------
    OutputError
        When the folder cannot be created, filled or swapped in; the temporary folder is removed and
        ``path`` is left as it was.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "ds"
    >>> with atomic_dir(out) as tmp:
    ...     _ = (tmp / "a.txt").write_text("1")
    >>> sorted(p.name for p in out.iterdir())
    ['a.txt']
    """
    target = Path(path)
    if target.is_symlink():
        target = target.resolve()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_siblings(target)
        tmp = Path(tempfile.mkdtemp(prefix=_sibling(target, _TMP), dir=target.parent))
        os.chmod(tmp, 0o777 & ~_umask())
        if keep is not None and target.is_dir():
            _carry(target, tmp, keep)
        if placeholder is not None:
            (tmp / placeholder[0]).write_text(placeholder[1], encoding="utf-8")
    except OSError as exc:
        if "tmp" in locals():
            shutil.rmtree(tmp, ignore_errors=True)
        raise OutputError(target, _reason(exc), exc.errno) from exc
    try:
        yield tmp
        if target.exists() and not target.is_dir():
            raise OutputError(target, "exists and is not a folder", errno.ENOTDIR)
        if target.exists():
            os.chmod(tmp, target.stat().st_mode & 0o7777)  # the folder keeps its permissions
            if _exchange(tmp, target):
                _discard(tmp, placeholder)  # tmp now holds the old folder
                return
            old = Path(tempfile.mkdtemp(prefix=_sibling(target, _OLD), dir=target.parent))
            os.replace(target, old / "x")
            os.replace(tmp, target)
            _discard(old / "x", placeholder)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    except BaseException as exc:
        _discard(tmp, placeholder)
        if isinstance(exc, OutputError) and exc.path.startswith(str(tmp)):
            # a file inside the folder failed: name the folder the user asked for (the temporary one is gone)
            inner = exc.path[len(str(tmp)):].lstrip(os.sep)
            raise OutputError(target, f"{inner}: {exc.reason}" if inner else exc.reason, exc.errno) from exc
        if isinstance(exc, OSError) and not isinstance(exc, OutputError):
            raise OutputError(target, _reason(exc), exc.errno) from exc
        raise
