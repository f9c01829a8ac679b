"""The choices of Orchestrator's own Start Job dialog beyond the strategy: priority, entry
point, machine target, stop / kill after a duration, alerts, and large input sent as a file.

``StartOptions`` is plain data shared by the wizard, templates and ``startjob run``; its
``fill(info)`` adds the ``startInfo`` fields (v20 ``StartProcessDto`` names) so the body a
person reviews is the body that is sent. Names (machine, host) are kept as typed or saved; the
session ids they stand for are resolved against the folder's machine sessions before a start.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Optional, Union

#: ``JobPriority`` values.
PRIORITIES = ("Low", "Normal", "High")
#: ``SpecificPriorityValue`` bounds (``StartProcessDto``: minimum 1, maximum 100).
MIN_PRIORITY_VALUE, MAX_PRIORITY_VALUE = 1, 100
#: startjob's words for ranges of ``SpecificPriorityValue``, for readability only. Orchestrator
#: documents the range, not names or which end is more urgent (UNCONFIRMED: larger = sooner).
PRIORITY_WORDS = ((20, "very low"), (40, "low"), (60, "medium"), (80, "high"), (100, "very high"))
#: ``StopStrategy`` values.
STOP_STRATEGIES = ("SoftStop", "Kill")
#: ``large_input``: refuse input arguments over 10,000 characters (Orchestrator's limit), or
#: upload them as a job attachment and send its id as ``InputFile``.
LARGE_INPUT_MODES = ("refuse", "file")
#: What a not yet uploaded ``InputFile`` shows as (Review, ``--dry-run``): never sent.
INPUT_FILE_PLACEHOLDER = "(a job attachment, uploaded at Start)"

Priority = Union[str, int, None]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*")


class OptionError(ValueError):
    """An option value that cannot be used; the message says what is expected."""


def parse_duration(text: str) -> int:
    """Whole seconds from ``90``, ``45s``, ``15m``, ``2h``, ``1h30m``, ``1d`` (``OptionError``
    for anything else, zero or negative)."""
    value = str(text).strip().lower()
    total = 0.0
    position = 0
    for match in _DURATION.finditer(value):
        if match.start() != position or not match.group(1):
            break
        total += float(match.group(1)) * _UNITS.get(match.group(2) or "s", 1)
        position = match.end()
    if not value or position != len(value) or not math.isfinite(total) or total < 1:
        raise OptionError(f"expected a duration such as 90s, 15m, 2h or 1h30m, got {text!r}")
    return int(round(total))


def format_duration(seconds: int) -> str:
    """``5400`` → ``1h30m``; ``45`` → ``45s`` (the way templates store durations)."""
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def check_priority(priority: Priority) -> Priority:
    """``priority`` if valid: None (the release's own), a ``JobPriority`` name, or a
    ``SpecificPriorityValue`` from 1 to 100 (``OptionError`` otherwise)."""
    if priority is None or priority in PRIORITIES:
        return priority
    if (isinstance(priority, int) and not isinstance(priority, bool)
            and MIN_PRIORITY_VALUE <= priority <= MAX_PRIORITY_VALUE):
        return priority
    raise OptionError(
        f"Priority must be one of {', '.join(PRIORITIES)} or a whole number from "
        f"{MIN_PRIORITY_VALUE} to {MAX_PRIORITY_VALUE}, got {priority!r}.")


def parse_priority(text: str) -> Priority:
    """A priority as typed (``--priority``): ``Low`` / ``Normal`` / ``High`` in any case, or
    a whole number from 1 to 100 (``OptionError`` otherwise)."""
    value = str(text).strip()
    named = next((name for name in PRIORITIES if name.casefold() == value.casefold()), None)
    if named is not None:
        return named
    if value.isascii() and value.isdigit():
        return check_priority(int(value))
    return check_priority(value)


def priority_words(priority: Priority, release_default: Priority = None) -> str:
    """``High``; ``75 (high)``; ``the release's own (Normal)`` for None."""
    if priority is None:
        shown = priority_words(release_default) if release_default is not None else "Normal"
        return f"the release's own ({shown})"
    if isinstance(priority, int):
        word = next(word for bound, word in PRIORITY_WORDS if priority <= bound)
        return f"{priority} ({word})"
    return str(priority)


def priority_fields(priority: Priority) -> dict:
    """The one ``startInfo`` field for ``priority`` (never both: Orchestrator refuses that)."""
    if priority is None:
        return {}
    if isinstance(priority, int):
        return {"SpecificPriorityValue": priority}
    return {"JobPriority": priority}


@dataclass(frozen=True)
class MachineTarget:
    """Run on one machine (``machine``: a machine or machine template name) and optionally
    one of its hosts (``host``: a HostMachineName). ``session_ids`` are the machine sessions
    these names stand for in the folder (resolved before a start; sent as
    ``MachineSessionIds``)."""

    machine: str
    host: Optional[str] = None
    session_ids: tuple[int, ...] = ()

    def describe(self) -> str:
        return f"host {self.host} of machine {self.machine}" if self.host else (
            f"any host of machine {self.machine}")


@dataclass(frozen=True)
class StartOptions:
    """Everything of the Start Job dialog that is not the strategy or the arguments.

    ``entry_point``: an ``EntryPointPath`` (None: the release's own). Durations are whole
    seconds: ``stop_after`` stops a job still running after that long (``stop_strategy``
    SoftStop or Kill), ``kill_after`` then kills one that did not stop (SoftStop only);
    ``alert_pending`` / ``alert_running`` raise Orchestrator's alerts for a job Pending or
    Running longer than that.
    """

    entry_point: Optional[str] = None
    target: Optional[MachineTarget] = None
    stop_after: Optional[int] = None
    stop_strategy: str = "SoftStop"
    kill_after: Optional[int] = None
    alert_pending: Optional[int] = None
    alert_running: Optional[int] = None
    large_input: str = "refuse"

    def validate(self) -> None:
        if self.stop_strategy not in STOP_STRATEGIES:
            raise OptionError(f"Stop strategy must be {' or '.join(STOP_STRATEGIES)}.")
        if self.kill_after is not None and (self.stop_after is None
                                            or self.stop_strategy != "SoftStop"):
            raise OptionError("Kill after a grace period needs a soft stop after a duration.")
        for name in ("stop_after", "kill_after", "alert_pending", "alert_running"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                      or value < 1):
                raise OptionError(f"{name.replace('_', ' ').capitalize()} must be a duration "
                                  "of at least one second.")
        if self.large_input not in LARGE_INPUT_MODES:
            raise OptionError(f"Large input must be {' or '.join(LARGE_INPUT_MODES)}.")
        if self.target is not None and not self.target.session_ids:
            # Never start without the target that was asked for.
            raise OptionError(f"No session of {self.target.describe()} is known in this "
                              "folder; choose another machine or none.")

    def fill(self, info: dict) -> None:
        """Add this choice's ``startInfo`` fields to ``info`` (after ``validate``)."""
        if self.entry_point:
            info["EntryPointPath"] = self.entry_point
        if self.target is not None and self.target.session_ids:
            info["MachineSessionIds"] = list(self.target.session_ids)
        if self.stop_after is not None:
            info["StopProcessExpression"] = str(self.stop_after)
            info["StopStrategy"] = self.stop_strategy
            if self.kill_after is not None:
                info["KillProcessExpression"] = str(self.kill_after)
        if self.alert_pending is not None:
            info["AlertPendingExpression"] = str(self.alert_pending)
        if self.alert_running is not None:
            info["AlertRunningExpression"] = str(self.alert_running)

    def rows(self) -> list[tuple[str, str]]:
        """(label, value) rows in words for Review and ``startjob run`` (only what is set)."""
        rows = []
        if self.entry_point:
            rows.append(("Entry point", self.entry_point))
        if self.target is not None:
            rows.append(("Runs on", self.target.describe()))
        if self.stop_after is not None:
            how = "soft stop" if self.stop_strategy == "SoftStop" else "kill"
            text = f"{how} after {format_duration(self.stop_after)} running"
            if self.kill_after is not None:
                text += f", kill {format_duration(self.kill_after)} later if still running"
            rows.append(("Stop", text))
        alerts = [f"{what} longer than {format_duration(seconds)}" for what, seconds in
                  (("Pending", self.alert_pending), ("Running", self.alert_running))
                  if seconds is not None]
        if alerts:
            rows.append(("Alert when", "; ".join(alerts)))
        if self.large_input == "file":
            rows.append(("Large input", "arguments over 10,000 characters go as a file"))
        return rows
