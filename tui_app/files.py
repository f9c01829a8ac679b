"""Crash-safe file writes.

``atomic_write_text`` writes into a temporary file next to the target, flushes it to disk and
only then moves it into place, so readers (and a machine that loses power) see either the old
file or the complete new one, never a truncated mix.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Union

from tui_app.locations import ensure_dir


def atomic_write_text(
    path: Union[str, os.PathLike],
    text: str,
    *,
    overwrite: bool = True,
    mode: int = 0o644,
) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically and return the path.

    The parent folder is created if missing (``LocationError`` if it cannot be). The file gets
    permissions ``mode``. With ``overwrite=False`` an existing target is never replaced: the new
    file is hard-linked into place, which fails with ``FileExistsError`` if the name is taken,
    even when another process creates it at the same moment. The temporary file is removed on
    any failure.
    """
    target = Path(path)
    folder = ensure_dir(target.parent)
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_name, mode)
        if overwrite:
            os.replace(temp_name, target)
        else:
            _publish_exclusive(temp_name, target)
    except BaseException:
        try:
            os.unlink(temp_name)
        except FileNotFoundError:
            pass
        raise
    _fsync_folder(folder)
    return target


def _publish_exclusive(temp_name: str, target: Path) -> None:
    """Move the finished temporary file to ``target`` unless ``target`` exists (race-free)."""
    try:
        os.link(temp_name, target)
    except FileExistsError:
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(target)) from None
    except OSError:
        # The filesystem has no hard links (FAT, some network shares): claim the name with an
        # exclusive create, then replace the empty placeholder with the finished file. A crash
        # in between leaves an empty file, never a partial one.
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        os.replace(temp_name, target)
    else:
        os.unlink(temp_name)


def _fsync_folder(folder: Path) -> None:
    """Flush the folder entry of a renamed file; best effort (Windows cannot open folders)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def locked(path: Union[str, os.PathLike]) -> Iterator[None]:
    """Hold an exclusive lock for a read-modify-write of ``path`` (across processes).

    The lock is ``flock`` on a sibling ``.<name>.lock`` file (created 0600, never removed, so
    every writer locks the same inode). On a system without ``fcntl`` it does nothing.
    """
    target = Path(path)
    folder = ensure_dir(target.parent)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    fd = os.open(folder / f".{target.name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
