"""Job history: one JSON object per line in ``history_file()``, only ever appended to.

Each line is appended on an ``O_APPEND`` descriptor while holding ``tui_app.files.locked``, so
several startjob processes never mix their lines. A line is never left half-written: a file
that does not end with a newline (a crash mid-write) gets one first, and a write that fails
part-way (a full disk) is cut back off and raises ``OSError``, so the callers warn.
Final job states learned later are appended as a follow-up line (``"kind": "states"``) rather
than rewriting the file: rewriting would race with other appenders and could lose their
lines. ``read_entries`` merges the follow-ups into their entries and skips (and counts) lines
it cannot read, such as one cut short by a full disk.
"""

from __future__ import annotations

import errno
import getpass
import json
import os
import platform
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Optional

from tui_app.files import locked
from tui_app.locations import ensure_dir, history_file
from tui_app.table import format_table
from tui_app.text import visible

SOURCES = ("wizard", "headless")
_CELL_LIMIT = 32


def _utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name, no passwd entry (containers): KeyError/OSError/...
        return "unknown"


def _host() -> str:
    return platform.node() or "unknown"


@dataclass(frozen=True)
class HistoryJob:
    """One started job; ``state`` is the final state once known (Successful/Faulted/Stopped)."""

    id: int
    key: str
    state: Optional[str] = None


@dataclass(frozen=True)
class HistoryEntry:
    """One start: what was started, where, by whom, and the jobs it created.

    ``time`` (UTC, ISO 8601), ``user``, ``host`` and ``id`` are filled in when the entry is
    created.
    """

    source: str
    process_key: str
    folder: str = ""
    release_key: str = ""
    strategy: str = ""
    jobs: tuple[HistoryJob, ...] = ()
    template_name: Optional[str] = None
    template_path: Optional[str] = None
    time: str = field(default_factory=_utc_now)
    user: str = field(default_factory=_os_user)
    host: str = field(default_factory=_host)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def to_json(self) -> dict:
        return {
            "kind": "start",
            "id": self.id,
            "time": self.time,
            "user": self.user,
            "host": self.host,
            "source": self.source,
            "template_name": self.template_name,
            "template_path": self.template_path,
            "process_key": self.process_key,
            "release_key": self.release_key,
            "strategy": self.strategy,
            "folder": self.folder,
            "jobs": [{"id": job.id, "key": job.key, "state": job.state} for job in self.jobs],
        }

    @classmethod
    def from_json(cls, data: dict) -> HistoryEntry:
        """Parse a ``"kind": "start"`` line; ``ValueError`` if anything is missing or odd."""
        texts = {
            name: _text(data, name)
            for name in ("id", "time", "user", "host", "source", "process_key",
                         "release_key", "strategy", "folder")
        }
        template_name = _optional_text(data, "template_name")
        template_path = _optional_text(data, "template_path")
        jobs = data.get("jobs")
        if not isinstance(jobs, list):
            raise ValueError("jobs must be a list")
        return cls(jobs=tuple(_job(item) for item in jobs), template_name=template_name,
                   template_path=template_path, **texts)


def _text(data: dict, name: str) -> str:
    value = data.get(name)
    if isinstance(value, str):
        return value
    raise ValueError(f"{name} must be a string")


def _optional_text(data: dict, name: str) -> Optional[str]:
    return None if data.get(name) is None else _text(data, name)


def _job(data: object) -> HistoryJob:
    if not isinstance(data, dict):
        raise ValueError("a job must be an object")
    job_id, key, state = data.get("id"), data.get("key"), data.get("state")
    if not isinstance(job_id, int) or isinstance(job_id, bool) or not isinstance(key, str):
        raise ValueError("a job needs an integer id and a string key")
    if state is not None and not isinstance(state, str):
        raise ValueError("a job state must be a string")
    return HistoryJob(id=job_id, key=key, state=state)


class HistoryEntries(list):
    """The entries ``read_entries`` returns, plus ``skipped``: lines that could not be read."""

    def __init__(self, entries: list, skipped: int = 0) -> None:
        super().__init__(entries)
        self.skipped = skipped


def append_entry(entry: HistoryEntry) -> HistoryEntry:
    """Append ``entry`` as one line (file created owner-only, 0600) and return it."""
    if entry.source not in SOURCES:
        raise ValueError(
            f"History source must be one of {', '.join(SOURCES)}, got {entry.source!r}"
        )
    _append_line(entry.to_json())
    return entry


def update_final_states(entry_id: str, states: Mapping[str, str]) -> None:
    """Record final states (job key -> state) for an earlier entry, as a follow-up line."""
    _append_line({
        "kind": "states",
        "id": entry_id,
        "time": _utc_now(),
        "states": {str(key): str(state) for key, state in states.items()},
    })


def record_start(source: str, plan: Any, jobs: Sequence[Any], *,
                 template_name: Optional[str] = None,
                 template_path: Optional[str] = None) -> HistoryEntry:
    """Append the start of ``plan`` (a ``StartPlan``) that created ``jobs``; the wizard and
    ``startjob run`` both record through this. Raises ``OSError``/``ValueError``."""
    return append_entry(HistoryEntry(
        source=source,
        process_key=plan.release.process_key,
        folder=plan.folder.fully_qualified_name if plan.folder is not None else "",
        release_key=plan.release.key,
        strategy=plan.strategy.kind,
        jobs=tuple(HistoryJob(job.id, job.key, job.state if job.is_final else None)
                   for job in jobs),
        template_name=template_name,
        template_path=str(template_path) if template_path else None,
    ))


def record_final_states(entry_id: str, jobs: Sequence[Any]) -> None:
    """Add the states of the ``jobs`` that ended to the entry ``entry_id`` (nothing when none
    ended yet). Raises ``OSError``/``ValueError``."""
    final = {job.key: job.state for job in jobs if job.is_final}
    if final:
        update_final_states(entry_id, final)


def _append_line(record: dict) -> None:
    path = history_file()
    ensure_dir(path.parent)
    # ASCII JSON: any text (even undecodable file names) becomes one safe, single line.
    data = (json.dumps(record, separators=(",", ":")) + "\n").encode("ascii")
    flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0)
    with locked(path):
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0), 0o600)
        try:
            end = os.lseek(fd, 0, os.SEEK_END)
            if end:
                os.lseek(fd, end - 1, os.SEEK_SET)
                if os.read(fd, 1) != b"\n":  # a line cut short by a crash: end it (it is skipped)
                    data = b"\n" + data
            _write_all(fd, data, end)
        finally:
            os.close(fd)


def _write_all(fd: int, data: bytes, end: int) -> None:
    """Append ``data`` completely, or cut the file back to ``end`` and raise ``OSError``."""
    written = 0
    try:
        while written < len(data):
            count = os.write(fd, data[written:])
            if count <= 0:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            written += count
    except OSError:
        if written:
            os.ftruncate(fd, end)
        raise


def read_entries(limit: Optional[int] = 20) -> HistoryEntries:
    """The newest ``limit`` entries (all with None), newest first, final states merged in.

    Lines that are not valid JSON or not a known record are skipped and counted in
    ``.skipped``; a missing history file gives an empty list.
    """
    try:
        with open(history_file(), "rb") as handle:
            lines = handle.read().splitlines()
    except FileNotFoundError:
        return HistoryEntries([])
    entries: dict[str, HistoryEntry] = {}
    skipped = 0
    for line in lines:
        if not line.strip():
            continue
        try:
            record = json.loads(line.decode("utf-8"))
            if not isinstance(record, dict):
                raise ValueError("not an object")
            kind = record.get("kind")
            if kind == "start":
                entry = HistoryEntry.from_json(record)
                entries[entry.id] = entry
            elif kind == "states":
                _merge_states(entries, record)
            else:
                raise ValueError(f"unknown record kind {kind!r}")
        except ValueError:  # includes JSON and UTF-8 decoding errors
            skipped += 1
    newest_first = list(reversed(entries.values()))
    return HistoryEntries(newest_first if limit is None else newest_first[:limit], skipped)


def _merge_states(entries: dict, record: dict) -> None:
    states = record.get("states")
    if not isinstance(record.get("id"), str):
        raise ValueError("id must be a string")
    if not isinstance(states, dict) or not all(isinstance(s, str) for s in states.values()):
        raise ValueError("states must map job keys to state names")
    entry = entries.get(record.get("id"))
    if entry is not None:
        jobs = tuple(replace(job, state=states.get(job.key, job.state)) for job in entry.jobs)
        entries[entry.id] = replace(entry, jobs=jobs)


def format_history(entries: list, width: Optional[int] = None) -> str:
    """A plain-text table of ``entries`` for ``startjob history``, fitted to ``width``."""
    skipped = getattr(entries, "skipped", 0)
    note = f"\n({skipped} unreadable history line(s) skipped)" if skipped else ""
    if not entries:
        return "No jobs started yet." + note
    header = ("Time (UTC)", "Via", "User", "Template", "Process", "Folder", "Jobs", "State")
    rows = [header] + [
        tuple(_cell(value) for value in (
            _short_time(entry.time),
            entry.source,
            f"{entry.user}@{entry.host}",
            entry.template_name or "-",
            entry.process_key,
            entry.folder or "-",
            ", ".join(str(job.id) for job in entry.jobs) or "-",
            _states(entry.jobs),
        ))
        for entry in entries
    ]
    return "\n".join(format_table(rows, width, keep=(0, 1), rule=True)) + note


def history_json(entries: list) -> dict:
    """``startjob history --output json``: the entries (newest first) and the skipped count."""
    return {"entries": [entry.to_json() for entry in entries],
            "skipped": getattr(entries, "skipped", 0)}


def _short_time(value: str) -> str:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M")


def _states(jobs: tuple) -> str:
    """``Successful``, ``2 Successful, 1 unknown``, or ``-`` while no final state is known."""
    counts: dict[str, int] = {}
    for job in jobs:
        state = job.state or "unknown"
        counts[state] = counts.get(state, 0) + 1
    if not jobs or set(counts) == {"unknown"}:
        return "-"
    if len(counts) == 1 and len(jobs) == 1:
        return next(iter(counts))
    return ", ".join(f"{count} {state}" for state, count in counts.items())


def _cell(value: str) -> str:
    """One table cell: control characters made visible, long text shortened."""
    return visible(value, single_line=True, limit=_CELL_LIMIT)
