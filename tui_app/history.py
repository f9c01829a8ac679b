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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Optional

from tui_app.files import locked
from tui_app.jobrefs import clean_url, job_details_url, same_orchestrator
from tui_app.locations import ensure_dir, history_file
from tui_app.table import format_table
from tui_app.text import visible

SOURCES = ("wizard", "headless")
#: The ``kind`` of an entry for a queue item addition.
QUEUE_ITEM = "queue_item"
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
    created. The fields from ``orchestrator_url`` on are None in lines written before they
    existed (and when the caller did not know them): ``orchestrator_url`` without
    ``user:password@``, the ``tenant``, the folder's id, the job ``Reference``, the
    Orchestrator ``identity`` that started it (``user_name``, ``id``, ``email``, ``type``
    from ``GetCurrentUser``; jump-host OS accounts are shared) and the ``body`` sent
    (``startInfo`` as printed: ``ask`` values hidden).
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
    orchestrator_url: Optional[str] = None
    tenant: Optional[str] = None
    folder_id: Optional[int] = None
    reference: Optional[str] = None
    identity: Optional[dict] = None
    body: Optional[dict] = None
    #: ``"start"`` (jobs), or ``"queue_item"``: an item added to ``queue``, whose one
    #: "job" is the item (id, key, final status).
    kind: str = "start"
    queue: Optional[str] = None

    def to_json(self) -> dict:
        extra = {"queue": self.queue} if self.kind == QUEUE_ITEM else {}
        return {
            "kind": self.kind,
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
            "orchestrator_url": self.orchestrator_url,
            "tenant": self.tenant,
            "folder_id": self.folder_id,
            "reference": self.reference,
            "identity": self.identity,
            "body": self.body,
            **extra,
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
        folder_id = data.get("folder_id")
        if folder_id is not None and type(folder_id) is not int:
            raise ValueError("folder_id must be an integer")
        identity, body = data.get("identity"), data.get("body")
        if identity is not None and not (isinstance(identity, dict) and all(
                v is None or isinstance(v, (str, int)) for v in identity.values())):
            raise ValueError("identity must be an object of names and ids")
        if body is not None and not isinstance(body, dict):
            raise ValueError("body must be an object")
        kind = data.get("kind", "start")
        queue = _optional_text(data, "queue") if kind == QUEUE_ITEM else None
        return cls(kind=kind, queue=queue,
                   jobs=tuple(_job(item) for item in jobs), template_name=template_name,
                   template_path=template_path, folder_id=folder_id, identity=identity,
                   body=body, orchestrator_url=_optional_text(data, "orchestrator_url"),
                   tenant=_optional_text(data, "tenant"),
                   reference=_optional_text(data, "reference"), **texts)

    @property
    def is_finished(self) -> bool:
        """Every job's final state is recorded."""
        return all(job.state is not None for job in self.jobs)


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
    """The entries ``read_entries`` returns, plus ``skipped``: lines that could not be read,
    and ``numbers``: each entry's N in ``@N`` (1 = the latest start)."""

    def __init__(self, entries: list, skipped: int = 0,
                 numbers: Optional[Sequence[int]] = None) -> None:
        super().__init__(entries)
        self.skipped = skipped
        self.numbers = list(numbers) if numbers is not None else list(range(1, len(entries) + 1))

    def first(self, count: Optional[int]) -> HistoryEntries:
        """The first ``count`` entries (all with None), numbers kept."""
        return HistoryEntries(self[:count], self.skipped, self.numbers[:count])


def append_entry(entry: HistoryEntry) -> HistoryEntry:
    """Append ``entry`` as one line (file created owner-only, 0600) and return it."""
    append_entries([entry])
    return entry


def append_entries(entries: Sequence[HistoryEntry]) -> None:
    """Append ``entries`` in one write under one lock (a batch writes its starts in
    groups); nothing is written when one of them is not valid."""
    for entry in entries:
        if entry.source not in SOURCES:
            raise ValueError(
                f"History source must be one of {', '.join(SOURCES)}, got {entry.source!r}"
            )
    if entries:
        _append_lines([entry.to_json() for entry in entries])


def update_final_states(entry_id: str, states: Mapping[str, str]) -> None:
    """Record final states (job key -> state) for an earlier entry, as a follow-up line."""
    _append_lines([{
        "kind": "states",
        "id": entry_id,
        "time": _utc_now(),
        "states": {str(key): str(state) for key, state in states.items()},
    }])


def record_start(source: str, plan: Any, jobs: Sequence[Any], *,
                 template_name: Optional[str] = None,
                 template_path: Optional[str] = None,
                 orchestrator_url: Optional[str] = None,
                 tenant: Optional[str] = None,
                 identity: Any = None,
                 body: Optional[dict] = None) -> HistoryEntry:
    """Append the start of ``plan`` (a ``StartPlan``) that created ``jobs``; the wizard and
    ``startjob run`` both record through this. ``orchestrator_url`` (``user:password@`` is
    dropped), ``tenant``, ``identity`` (a ``CurrentUser`` or its ``to_json()``) and ``body``
    (the ``startInfo`` as printed, ``ask`` values hidden) are optional. The plan gives the
    folder (path and id) and the ``Reference``. Raises ``OSError``/``ValueError``."""
    return append_entry(start_entry(
        source, plan, jobs, template_name=template_name, template_path=template_path,
        orchestrator_url=orchestrator_url, tenant=tenant, identity=identity, body=body))


def start_entry(source: str, plan: Any, jobs: Sequence[Any], *,
                template_name: Optional[str] = None,
                template_path: Optional[str] = None,
                orchestrator_url: Optional[str] = None,
                tenant: Optional[str] = None,
                identity: Any = None,
                body: Optional[dict] = None) -> HistoryEntry:
    """The entry ``record_start`` appends (same options), not yet written."""
    folder = plan.folder
    return HistoryEntry(
        source=source,
        process_key=plan.release.process_key,
        folder=folder.fully_qualified_name if folder is not None else "",
        release_key=plan.release.key,
        strategy=plan.strategy.kind,
        jobs=history_jobs(jobs),
        template_name=template_name,
        template_path=str(template_path) if template_path else None,
        orchestrator_url=clean_url(orchestrator_url),
        tenant=tenant or None,
        folder_id=folder.id if folder is not None else None,
        reference=plan.reference or None,
        identity=identity_json(identity),
        body=body,
    )


def record_item(source: str, plan: Any, item: Any, *,
                template_name: Optional[str] = None,
                template_path: Optional[str] = None,
                orchestrator_url: Optional[str] = None,
                tenant: Optional[str] = None,
                identity: Any = None,
                body: Optional[dict] = None) -> HistoryEntry:
    """Append the addition of ``item`` (a ``QueueItem``) by ``plan`` (a ``QueuePlan``);
    the wizard and ``startjob run`` both record through this, with the same options as
    ``record_start`` (``body``: the ``itemData`` sent). The item's final status is added
    later with ``record_final_states(entry.id, [item])``. Raises ``OSError``/``ValueError``."""
    folder = plan.folder
    return append_entry(HistoryEntry(
        source=source, process_key="", kind=QUEUE_ITEM, queue=plan.queue.name,
        folder=folder.fully_qualified_name if folder is not None else "",
        strategy="queue item",
        jobs=(HistoryJob(item.id, item.key, item.status if item.is_final else None),),
        template_name=template_name,
        template_path=str(template_path) if template_path else None,
        orchestrator_url=clean_url(orchestrator_url), tenant=tenant or None,
        folder_id=folder.id if folder is not None else None,
        reference=plan.reference or None, identity=identity_json(identity), body=body,
    ))


def history_jobs(jobs: Sequence[Any]) -> tuple[HistoryJob, ...]:
    """``Job``s as history jobs (the state only when final)."""
    return tuple(HistoryJob(job.id, job.key, job.state if job.is_final else None)
                 for job in jobs)


def identity_json(identity: Any) -> Optional[dict]:
    """``GetCurrentUser``'s answer (a ``CurrentUser``) as recorded, or None."""
    if identity is None or isinstance(identity, dict):
        return identity
    return identity.to_json()


def record_final_states(entry_id: str, jobs: Sequence[Any]) -> None:
    """Add the states of the ``jobs`` that ended to the entry ``entry_id`` (nothing when none
    ended yet). Raises ``OSError``/``ValueError``."""
    final = {job.key: getattr(job, "state", None) or job.status for job in jobs
             if job.is_final}
    if final:
        update_final_states(entry_id, final)


def _append_lines(records: Sequence[dict]) -> None:
    path = history_file()
    ensure_dir(path.parent)
    # ASCII JSON: any text (even undecodable file names) becomes one safe, single line.
    data = "".join(json.dumps(record, separators=(",", ":")) + "\n"
                   for record in records).encode("ascii")
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
            if kind in ("start", QUEUE_ITEM):
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


def select_entries(entries: HistoryEntries, *, template: Optional[str] = None,
                   process: Optional[str] = None, state: Optional[str] = None,
                   since: Optional[datetime] = None, user: Optional[str] = None,
                   live: Optional[Mapping[str, Any]] = None) -> HistoryEntries:
    """The entries whose template name / process contains ``template`` / ``process`` (any
    case), started by an Orchestrator identity whose user name or e-mail contains ``user``,
    with a job in ``state`` (recorded, or current in ``live``), started at or after ``since``
    (aware); order and ``skipped`` kept."""
    def wanted(entry: HistoryEntry) -> bool:
        if template and template.casefold() not in (entry.template_name or "").casefold():
            return False
        if user and not any(user.casefold() in name.casefold() for name in _names(entry)):
            return False
        if process and process.casefold() not in _what(entry).casefold():
            return False
        if state and state.casefold() not in {
                (_state_of(job, live) or "").casefold() for job in entry.jobs}:
            return False
        return since is None or _moment(entry.time) >= since

    kept = [(number, entry) for number, entry in _numbered(entries) if wanted(entry)]
    return HistoryEntries([entry for _, entry in kept], getattr(entries, "skipped", 0),
                          [number for number, _ in kept])


def _names(entry: HistoryEntry) -> list:
    """The Orchestrator identity's user name and e-mail recorded with ``entry``."""
    identity = entry.identity or {}
    return [str(identity[key]) for key in ("user_name", "email") if identity.get(key)]


def _moment(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return datetime.min.replace(tzinfo=timezone.utc)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


async def refresh_states(client: Any, entries: Sequence[HistoryEntry], *,
                         every_job: bool = False) -> dict[str, Any]:
    """The current jobs (by key) of the unfinished ``entries`` started on ``client``'s
    Orchestrator (or on one not recorded: the keys must match), in one ``get_jobs``
    request per folder (its newest ``client.job_ids_per_request`` unfinished jobs; with
    ``every_job`` the finished ones too, for their output arguments). The final states
    found are appended as "states" lines. A folder Orchestrator refuses (gone, no
    permission) is skipped; other failures raise ``OrchestratorError``."""
    from tui_app.orchestrator.client import FolderContext
    from tui_app.orchestrator.errors import NotFound, PermissionDenied, RequestRejected

    groups: dict[Any, list] = {}
    asked = [entry for entry in entries
             if (every_job or not entry.is_finished)
             and same_orchestrator(entry.orchestrator_url, client.base_url)]
    for entry in asked:
        folder = (FolderContext(id=entry.folder_id) if entry.folder_id is not None
                  else FolderContext(path=entry.folder) if entry.folder else None)
        jobs = groups.setdefault((folder, entry.kind), [])
        jobs.extend(job for job in entry.jobs
                    if (job.state is None or every_job) and job not in jobs)
    found: dict[str, Any] = {}
    for (folder, kind), jobs in groups.items():
        client.use_folder(folder)
        wanted: dict[int, set] = {}
        for job in jobs:
            if job.id in wanted or len(wanted) < client.job_ids_per_request:
                wanted.setdefault(job.id, set()).add(job.key)
        try:
            answer = await (client.queue_items(list(wanted)) if kind == QUEUE_ITEM
                            else client.get_jobs(list(wanted)))
        except (NotFound, PermissionDenied, RequestRejected):
            continue
        found.update((job.key, job) for job in answer if job.key in wanted.get(job.id, ()))
    for entry in asked:
        final = {job.key: _state_name(found[job.key]) for job in entry.jobs
                 if job.state is None and job.key in found and found[job.key].is_final}
        if final:
            update_final_states(entry.id, final)
    return found


def _state_name(found: Any) -> str:
    """A ``Job``'s state or a ``QueueItem``'s status."""
    return str(getattr(found, "state", None) or found.status)


def _state_of(job: HistoryJob, live: Optional[Mapping[str, Any]]) -> Optional[str]:
    """The recorded final state, else the current one Orchestrator gave, else None."""
    if job.state is not None:
        return job.state
    current = (live or {}).get(job.key)
    return _state_name(current) if current is not None else None


def job_url(entry: HistoryEntry, job: HistoryJob) -> Optional[str]:
    """The Orchestrator job-details page of one job of ``entry`` (None when the entry does
    not say where it was started)."""
    if not entry.orchestrator_url or entry.folder_id is None or entry.kind == QUEUE_ITEM:
        return None
    return job_details_url(entry.orchestrator_url, job.key, entry.folder_id)


def format_history(entries: list, width: Optional[int] = None,
                   live: Optional[Mapping[str, Any]] = None) -> str:
    """A plain-text table of ``entries`` for ``startjob history``, fitted to ``width``;
    ``live`` (job key -> ``Job``) gives the current state of unfinished jobs."""
    skipped = getattr(entries, "skipped", 0)
    note = f"\n({skipped} unreadable history line(s) skipped)" if skipped else ""
    if not entries:
        return "No jobs started yet." + note
    header = ("Time (UTC)", "Via", "User", "Template", "Process", "Folder", "Jobs", "State")
    numbered = _numbered(entries)
    # Rows are @1, @2... in order; a filtered list says each row's @N in a first column.
    shown_numbers = [number for number, _ in numbered] != list(range(1, len(entries) + 1))
    rows = [(("#",) if shown_numbers else ()) + header] + [
        tuple(_cell(value) for value in ((f"@{number}",) if shown_numbers else ()) + (
            _short_time(entry.time),
            entry.source,
            _who(entry),
            entry.template_name or "-",
            _what(entry),
            entry.folder or "-",
            ", ".join(str(job.id) for job in entry.jobs) or "-",
            _states(entry.jobs, live),
        ))
        for number, entry in numbered
    ]
    keep = (0, 1, 2) if shown_numbers else (0, 1)
    return "\n".join(format_table(rows, width, keep=keep, rule=True)) + note


def _what(entry: HistoryEntry) -> str:
    """The process started, or ``queue NAME`` for an item addition."""
    return f"queue {entry.queue}" if entry.kind == QUEUE_ITEM else entry.process_key


def _numbered(entries: list) -> list:
    """(N, entry) with N as in ``@N``: the entry's place among all starts, newest first."""
    numbers = getattr(entries, "numbers", None) or range(1, len(entries) + 1)
    return list(zip(numbers, entries))


def _who(entry: HistoryEntry) -> str:
    """``os-user@host``, and the Orchestrator identity when recorded."""
    name = (entry.identity or {}).get("user_name")
    return f"{entry.user}@{entry.host}" + (f" ({name})" if name else "")


def history_json(entries: list, live: Optional[Mapping[str, Any]] = None) -> dict:
    """``startjob history --output json``: the entries (newest first, as ``entry_json``) and
    the skipped count."""
    return {"entries": [entry_json(entry, number, live) for number, entry in _numbered(entries)],
            "skipped": getattr(entries, "skipped", 0)}


def entry_json(entry: HistoryEntry, number: int,
               live: Optional[Mapping[str, Any]] = None) -> dict:
    """One entry as in ``--output json``: its line plus ``number`` and, by job key, the
    job-details ``urls``, the ``current_states`` (None when unknown) and, for jobs
    Orchestrator was asked about, their ``output_arguments``."""
    live = live or {}
    data = {"number": number, **entry.to_json()}
    data["urls"] = {job.key: job_url(entry, job) for job in entry.jobs}
    data["current_states"] = {job.key: _state_of(job, live) for job in entry.jobs}
    data["output_arguments"] = {job.key: _outputs(live[job.key]) for job in entry.jobs
                                if job.key in live}
    return data


def _outputs(job: Any) -> Any:
    """A job's output arguments as JSON (Orchestrator's text when it is not JSON), or None."""
    text = getattr(job, "output_arguments", None)
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def format_entry(entry: HistoryEntry, number: int, live: Optional[Mapping[str, Any]] = None,
                 link: Callable[[str], str] = str) -> str:
    """``startjob history @N``: one entry in full; ``live`` adds the jobs' current state and
    output arguments, ``link`` shows a URL (``tui_app.table.link``)."""
    from tui_app.arguments.jsontext import printable_json

    identity = entry.identity or {}
    who = ", ".join(f"{name} {identity[name]}" for name in ("user_name", "id", "email", "type")
                    if identity.get(name) not in (None, ""))
    rows = [
        ("Entry", f"@{number}  ({entry.id})"),
        ("Time (UTC)", _short_time(entry.time)),
        ("Via", f"{entry.source} by {entry.user}@{entry.host}"),
        ("Started as", who or "not recorded"),
        ("Orchestrator", (entry.orchestrator_url or "not recorded")
         + (f"  (tenant {entry.tenant})" if entry.tenant else "")),
        ("Folder", (entry.folder or "-")
         + (f"  (id {entry.folder_id})" if entry.folder_id is not None else "")),
        ("Template", entry.template_name or "-"),
        ("Queue", entry.queue or "-") if entry.kind == QUEUE_ITEM
        else ("Process", entry.process_key),
        ("Strategy", entry.strategy or "-"),
        ("Reference", entry.reference or "not recorded"),
    ]
    lines = [f"{label:<13}{visible(value, single_line=True)}" for label, value in rows]
    noun = "Item" if entry.kind == QUEUE_ITEM else "Jobs"
    lines.append(noun if entry.jobs else f"{noun:<13}none")
    for job in entry.jobs:
        state = _state_of(job, live) or "unknown"
        lines.append(f"  {job.id:<10} {visible(state, single_line=True)}")
        url = job_url(entry, job)
        if url:
            lines.append(f"  {'':<10} {link(url)}")
        current = (live or {}).get(job.key)
        if current is not None and getattr(current, "output_arguments", None):
            outputs = visible(current.output_arguments).replace("\n", "\n" + " " * 13)
            lines.append(f"  {'':<10} output: {outputs}")
    if entry.body is not None:
        lines.append("Body sent")
        lines.extend("  " + line for line in visible(printable_json(entry.body)).splitlines())
    else:
        lines.append("Body sent    not recorded")
    return "\n".join(lines)


def _short_time(value: str) -> str:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M")


def _states(jobs: tuple, live: Optional[Mapping[str, Any]] = None) -> str:
    """``Successful``, ``2 Successful, 1 unknown``, ``Running`` (a current state from
    ``live``), ``unknown``, or ``-`` for no jobs."""
    counts: dict[str, int] = {}
    for job in jobs:
        state = _state_of(job, live) or "unknown"
        counts[state] = counts.get(state, 0) + 1
    if not jobs:
        return "-"
    if len(counts) == 1 and len(jobs) == 1:
        return next(iter(counts))
    return ", ".join(f"{count} {state}" for state, count in counts.items())


def _cell(value: str) -> str:
    """One table cell: control characters made visible, long text shortened."""
    return visible(value, single_line=True, limit=_CELL_LIMIT)
