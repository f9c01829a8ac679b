"""Reading files a person names (templates, ``--event``) without hanging or running out of memory.

``read_user_file`` refuses anything that is not a regular file (a FIFO named ``*.toml`` would
block forever, ``/dev/zero`` never ends) and any file larger than a cap. The file is opened with
``O_NONBLOCK``, so opening a FIFO returns at once; ``fstat`` on the open descriptor then says
what it is (no race between a check and the open), and at most ``cap + 1`` bytes are read.
"""

from __future__ import annotations

import os
import stat
from typing import IO, AnyStr, Union

#: A template is a few kilobytes; anything bigger is not a template.
MAX_TEMPLATE_BYTES = 1_000_000
#: An event JSON object (``startjob run --event``); Orchestrator's input arguments are far smaller.
MAX_EVENT_BYTES = 10_000_000


class UserFileError(ValueError):
    """A named file cannot be used: not a regular file, or too large (the message says which)."""


def read_user_file(path: Union[str, os.PathLike], cap: int) -> bytes:
    """The bytes of the regular file ``path``, at most ``cap`` of them.

    Raises ``UserFileError`` for a FIFO, device, socket or folder and for a file larger than
    ``cap`` bytes, and ``OSError`` when it cannot be opened or read.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(os.fspath(path), flags | getattr(os, "O_BINARY", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise UserFileError(f"is not a regular file (it is {_kind(mode)})")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return read_capped(handle, cap)
    finally:
        os.close(fd)


def read_capped(stream: IO[AnyStr], cap: int) -> AnyStr:
    """At most ``cap`` bytes (characters for a text stream) from an open stream (e.g. standard
    input); ``UserFileError`` when there is more."""
    data = stream.read(cap + 1)
    if len(data) > cap:
        raise UserFileError(f"is larger than {_size(cap)}")
    return data


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "a special file"


def _size(count: int) -> str:
    return f"{count / 1_000_000:g} MB" if count >= 1_000_000 else f"{count} bytes"
