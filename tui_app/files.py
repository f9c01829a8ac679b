"""Crash-safe file writes.

``atomic_write_text`` writes into a temporary file next to the target, flushes it to disk and
only then moves it into place, so readers (and a machine that loses power) see either the old
file or the complete new one, never a truncated mix. The temporary file is owner-only (0600)
while it is written and locked by its writer; one left behind by a writer that was killed
(``kill -9``; it may hold a secret) is removed by the next write to the same file.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Union

from tui_app.locations import ensure_dir

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]  # mypy has no type for "module or None"

#: A temporary file no live writer holds is a crash's leftover once it is this many seconds
#: old (the margin covers the instant between creating the file and locking it).
STALE_AFTER = 2.0
#: Without ``fcntl`` (Windows) only age tells a leftover: no write takes this long.
STALE_AFTER_UNLOCKED = 600.0


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
    even when another process creates it at the same moment. The temporary file (0600, locked
    while its writer lives) is removed on any failure; leftovers of killed writers are removed
    first.
    """
    target = Path(path)
    folder = ensure_dir(target.parent)
    _remove_stale_temps(folder, target.name)
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            if fcntl is not None:
                # Blocking: another writer's leftover scan may hold this fresh file's lock for
                # an instant (it never removes a file this young), and must not make us fail.
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
            os.chmod(temp_name, mode)  # only now may the finished content be wider than 0600
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


def _remove_stale_temps(folder: Path, name: str) -> None:
    """Remove the temporary files of ``name`` that writers killed mid-write left behind: old
    enough, and not locked by a live writer. Best effort."""
    now = time.time()
    pattern = os.path.join(glob.escape(str(folder)), glob.escape(f".{name}.") + "*.tmp")
    for leftover in glob.glob(pattern):
        try:
            fd = os.open(leftover, os.O_RDONLY)
        except OSError:
            continue  # gone already (its writer finished) or not ours
        try:
            age = now - os.fstat(fd).st_mtime
            if fcntl is None:
                stale = age > STALE_AFTER_UNLOCKED
            else:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    continue  # a live writer holds it
                stale = age > STALE_AFTER
            if stale:
                os.unlink(leftover)
        except OSError:
            pass
        finally:
            os.close(fd)


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
    if fcntl is None:  # pragma: no cover - Windows
        yield
        return
    fd = os.open(folder / f".{target.name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
