"""Leaving cleanly when the terminal goes: SIGHUP (terminal closed, SSH connection lost) and
SIGTERM run a callback once (the wizard saves its draft) and the process exits promptly;
``TerminalWatch`` notices a terminal that disappeared without a signal.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from typing import Any, Callable, Optional

log = logging.getLogger(__name__)

_EXIT_SIGNALS = ("SIGHUP", "SIGTERM")


def _hard_exit(code: int) -> None:
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:  # noqa: BLE001 - the terminal may be gone
        pass
    os._exit(code)


def arm_exit_watchdog(code: int, grace: float = 1.5) -> threading.Timer:
    """End the process with ``code`` in ``grace`` seconds unless it has exited by then.

    For a clean shutdown that may hang (a Textual app restoring a terminal that is gone):
    ask the app to exit, and arm this as the backstop. Returns the (daemon) timer.
    """
    timer = threading.Timer(max(0.0, grace), _hard_exit, args=(code,))
    timer.daemon = True
    timer.start()
    return timer


def install_exit_handlers(
    on_signal: Callable[[int], Any],
    *,
    grace: float = 1.5,
    raise_exit: bool = True,
    loop: Any = None,
) -> list:
    """On SIGHUP or SIGTERM: call ``on_signal(signum)`` once, then exit promptly.

    POSIX only (returns ``[]`` and does nothing elsewhere, or when not called from the main
    thread). After ``on_signal`` returns (its exceptions are logged, not raised) a watchdog
    thread ends the process with exit status ``128 + signum`` if it is still alive ``grace``
    seconds later; with ``raise_exit`` the handler also raises ``SystemExit`` at once.

    ``loop``: an asyncio loop to register with (``loop.add_signal_handler``), so the callback
    runs as a normal loop callback - the safe way inside a Textual app; pass
    ``raise_exit=False`` there and let ``on_signal`` call ``app.exit()``. A second signal
    exits immediately. Returns the signals handled.
    """
    if os.name != "posix" or threading.current_thread() is not threading.main_thread():
        return []
    handled = [getattr(signal, name) for name in _EXIT_SIGNALS if hasattr(signal, name)]
    fired: list = []

    def handle(signum: int, frame: Any = None) -> None:
        code = 128 + int(signum)
        if fired:
            _hard_exit(code)  # a second signal: no more waiting
            return
        fired.append(signum)
        try:
            on_signal(signum)
        except Exception:  # noqa: BLE001 - leaving must not fail
            log.exception("Saving state on signal %s failed", signum)
        arm_exit_watchdog(code, grace)
        if raise_exit:
            raise SystemExit(code)

    for signum in handled:
        if loop is not None:
            loop.add_signal_handler(signum, handle, signum)
        else:
            signal.signal(signum, handle)
    return handled


class TerminalWatch:
    """Remembers which of stdin/stdout/stderr were terminals, to notice when one goes away.

    After the terminal is closed (SSH connection lost, window closed) the file descriptors
    stay open but are no longer usable terminals: ``isatty()`` turns false. A program can
    then spin on reads that return nothing; checking ``gone()`` from a timer catches it.
    Streams that were not terminals to begin with (tests, pipes) are ignored.
    """

    def __init__(self, streams: Optional[list] = None) -> None:
        if streams is None:
            streams = [sys.__stdin__, sys.__stdout__, sys.__stderr__]
        self._fds: list = []
        for stream in streams:
            fd = self._fileno(stream)
            if fd is not None and self._isatty(fd):
                self._fds.append(fd)

    @staticmethod
    def _fileno(stream: Any) -> Optional[int]:
        if isinstance(stream, int):
            return stream
        try:
            return stream.fileno() if stream is not None else None
        except (AttributeError, OSError, ValueError):
            return None

    @staticmethod
    def _isatty(fd: int) -> bool:
        try:
            return os.isatty(fd)
        except OSError:
            return False

    @property
    def watching(self) -> bool:
        """Whether any terminal is watched (False: ``gone()`` is always False)."""
        return bool(self._fds)

    def gone(self) -> bool:
        """True when a stream that was a terminal no longer is one."""
        return any(not self._isatty(fd) for fd in self._fds)
