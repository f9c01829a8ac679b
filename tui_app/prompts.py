"""Terminal prompts for ``startjob run``: ask for the values a replay lacks (no Textual).

On a terminal (standard input and standard error both ttys, no ``--no-input``), a replay
asks for every ``ask`` argument (or content field) that has no value from ``--set``,
``--set-json`` or ``STARTJOB_ARG_<NAME>``, and for every required one that is missing. The
prompt goes to standard error with the argument's type hint; ``ask`` arguments and names
that look like secrets (``tui_app.secretnames.looks_secret``) are read without echo
(termios, as ``getpass`` does). A typed value is parsed exactly as ``--set`` parses it; a
wrong one asks again with the reason (never quoting a hidden value), at most ``TRIES``
times. Ctrl+C or end of input cancels (``PromptCancelled``). An empty answer leaves an
optional value out and asks again for a required one. ``ask_word`` asks for a typed
confirmation (the production guard's word, ``tui_app.guard``), also at most ``TRIES`` times.

Streams are injected (``Prompter(stdin, out)``) so the logic is testable without a tty.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any, Optional

from tui_app.secretnames import looks_secret
from tui_app.text import visible

try:
    import termios
except ImportError:  # Windows: getpass reads hidden input from the console instead
    termios = None  # type: ignore[assignment]

__all__ = ["TRIES", "PromptCancelled", "PromptFailed", "Prompter", "Wanted", "ask_values",
           "ask_word", "terminal"]

#: How many times a wrong value is asked for before the replay stops.
TRIES = 3


class PromptCancelled(Exception):
    """Ctrl+C or end of input at a prompt."""


class PromptFailed(ValueError):
    """No valid value after ``TRIES`` tries; the message names the argument."""


@dataclass(frozen=True)
class Wanted:
    """One value to ask for: ``parse`` turns the typed text into the value (raising
    ``ValueError`` with the reason), as ``--set`` does."""

    name: str
    hint: str
    parse: Callable[[str], Any]
    required: bool = False
    masked: bool = False


class Prompter:
    """Asks on ``out`` and reads lines from ``stdin`` (hidden input without echo when
    ``stdin`` is a real terminal)."""

    def __init__(self, stdin: IO[str], out: IO[str]) -> None:
        self.stdin = stdin
        self.out = out

    def say(self, line: str) -> None:
        print(line, file=self.out, flush=True)

    def read(self, label: str, *, masked: bool = False) -> str:
        """One answer without its line ending; ``PromptCancelled`` on Ctrl+C or EOF."""
        if masked and termios is None and self.stdin is sys.stdin:
            import getpass

            try:
                return getpass.getpass(label, stream=self.out)
            except (KeyboardInterrupt, EOFError):
                raise PromptCancelled from None
        try:
            with _interruptible(), (_no_echo(self.stdin) if masked else
                                    contextlib.nullcontext()):
                self.out.write(label)  # after echo is off: nothing typed early is echoed
                self.out.flush()
                line = self.stdin.readline()
        except KeyboardInterrupt:
            raise PromptCancelled from None
        finally:
            if masked:  # the Enter was not echoed either
                self.out.write("\n")
                self.out.flush()
        if not line:
            raise PromptCancelled
        return line.rstrip("\r\n")


def terminal(stdin: Optional[IO[str]] = None, err: Optional[IO[str]] = None
             ) -> Optional[Prompter]:
    """A ``Prompter`` when ``stdin`` and ``err`` (default: the process's) are both
    terminals, else None: a script or a pipe is never asked anything."""
    stdin = sys.stdin if stdin is None else stdin
    err = sys.stderr if err is None else err
    try:
        if stdin is None or err is None or not (stdin.isatty() and err.isatty()):
            return None
    except (AttributeError, OSError, ValueError):
        return None
    return Prompter(stdin, err)


def wanted_values(candidates: Sequence[tuple[str, str, Callable[[str], Any]]],
                  ask: Sequence[str], sources: Mapping[str, Any],
                  missing: Mapping[str, Any]) -> list[Wanted]:
    """What to ask for: of ``candidates`` (name, hint, parse) each one nothing gave a value
    to (no ``sources`` entry) that is an ``ask`` one or in ``missing`` (required)."""
    return [Wanted(name, hint, parse, required=name in missing,
                   masked=name in ask or looks_secret(name))
            for name, hint, parse in candidates
            if name not in sources and (name in ask or name in missing)]


def ask_values(prompter: Prompter, wanted: Sequence[Wanted], what: str = "value") -> dict:
    """Ask for each of ``wanted`` in turn; the parsed values by name (an optional one left
    empty is not in it). Raises ``PromptCancelled`` and ``PromptFailed``."""
    values: dict = {}
    if not wanted:
        return values
    prompter.say(f"{len(wanted)} {what}(s) to type (Ctrl+C cancels):")
    for item in wanted:
        found = _ask_one(prompter, item)
        if found is not _LEFT_OUT:
            values[item.name] = found
    return values


_LEFT_OUT = object()


def _ask_one(prompter: Prompter, item: Wanted) -> Any:
    notes = [visible(item.hint, single_line=True) or "text"]
    notes.append("required" if item.required else "empty: leave it out")
    if item.masked:
        notes.append("hidden")
    label = f"  {visible(item.name, single_line=True)} ({', '.join(notes)}): "
    for _ in range(TRIES):
        text = prompter.read(label, masked=item.masked)
        if not text.strip():
            if not item.required:
                return _LEFT_OUT
            prompter.say(f"  {item.name} is required; type a value, or Ctrl+C to cancel.")
            continue
        try:
            return item.parse(text)
        except ValueError as exc:
            reason = (f"expected {item.hint} (the value is not shown)" if item.masked
                      else str(exc))
            prompter.say(f"  Not valid: {visible(reason, single_line=True)}")
    raise PromptFailed(f"{item.name}: no valid value after {TRIES} tries; nothing was started.")


def ask_word(prompter: Prompter, label: str, accepts: Callable[[str], bool],
             wrong: str) -> None:
    """Ask until the typed text ``accepts`` (a typed confirmation), saying ``wrong`` after
    each other answer; ``PromptFailed`` after ``TRIES`` tries, ``PromptCancelled`` on Ctrl+C
    or end of input. What was typed is not kept."""
    for _ in range(TRIES):
        if accepts(prompter.read(label)):
            return
        prompter.say(wrong)
    raise PromptFailed(f"not confirmed after {TRIES} tries")


@contextlib.contextmanager
def _interruptible() -> Iterator[None]:
    """Ctrl+C raises ``KeyboardInterrupt`` while reading, also inside ``asyncio.run`` (which
    would otherwise only cancel its task once the read returns)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def _no_echo(stream: IO[str]) -> Iterator[None]:
    """Terminal echo off on ``stream`` while reading (nothing to do for a stream that is not
    a terminal, e.g. in tests)."""
    if termios is None:
        yield
        return
    try:
        fd = stream.fileno()
        before = termios.tcgetattr(fd)
    except (AttributeError, OSError, ValueError, termios.error):
        yield
        return
    quiet = list(before)
    quiet[3] &= ~termios.ECHO
    termios.tcsetattr(fd, termios.TCSAFLUSH, quiet)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSAFLUSH, before)
