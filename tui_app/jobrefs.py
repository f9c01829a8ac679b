"""Which jobs a command line means (``startjob watch REF…``, ``logs``, ``stop``…).

A ``REF`` is one of:

- a job id (``4021``);
- a job key, a GUID (``8c0f…``);
- ``@N``, a history entry: ``@1`` is the latest start, ``@3`` the third latest; an entry may
  stand for several jobs and knows its folder and Orchestrator URL;
- anything else: the ``Reference`` startjob sent (``startjob:…``).

``parse_ref`` is pure; ``resolve`` asks Orchestrator. A job is looked up in the command's
folder; when it is not there (or no folder is given), in the other folders the account can see
(at most ``OTHER_FOLDERS`` of them, one request each), so the message can say where it is.
Every failure is a ``RefError`` with one plain line and an exit code (2 usage: a malformed
REF, an ``@N`` beyond the history or started on another Orchestrator, jobs in several folders;
4 refused: an unknown job, a job in another folder).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

from tui_app.exit_codes import EXIT_REFUSED, EXIT_USAGE
from tui_app.orchestrator.errors import NotFound, PermissionDenied, RequestRejected
from tui_app.orchestrator.models import Folder, Job
from tui_app.text import visible
from tui_app.urls import without_userinfo

if TYPE_CHECKING:
    from tui_app.history import HistoryEntries, HistoryEntry

#: How many other folders a job is looked for in (one request each).
OTHER_FOLDERS = 20
#: ``Reference`` is at most 128 characters (StartProcessDto).
_MAX_REFERENCE = 128
_HISTORY = re.compile(r"@(\d+)\Z")

ID, KEY, REFERENCE, HISTORY = "id", "key", "reference", "history"


class RefError(Exception):
    """A REF that cannot be used; ``exit_code`` is 2 (usage) or 4 (refused)."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class Ref:
    text: str
    kind: str  # ID, KEY, REFERENCE or HISTORY
    value: Union[int, str]

    def describe(self) -> str:
        if self.kind == ID:
            return f"job {self.value}"
        if self.kind == KEY:
            return f"the job with key {self.value}"
        if self.kind == HISTORY:
            return f"history entry {self.text}"
        return f"the jobs with reference {visible(self.value, single_line=True, limit=130)!r}"


def parse_ref(text: str) -> Ref:
    """The kind of ``text`` (see the module docstring); ``RefError`` when it is none."""
    raw = (text or "").strip()
    match = _HISTORY.match(raw)
    if match:
        number = int(match.group(1))
        if number < 1:
            raise RefError(f"{raw}: history entries count from @1 (the latest start).")
        return Ref(raw, HISTORY, number)
    if raw.startswith("@"):
        raise RefError(f"{visible(raw, single_line=True, limit=60)}: a history entry is @ "
                       "and a number, e.g. @1 for the latest start.")
    if raw.isdigit():
        return Ref(raw, ID, int(raw))
    try:
        return Ref(raw, KEY, str(uuid.UUID(raw)))
    except ValueError:
        pass
    if not raw:
        raise RefError("Give a job: an id, a key, the reference startjob sent, or @N from "
                       "'startjob history'.")
    if len(raw) > _MAX_REFERENCE:
        raise RefError(f"{visible(raw, single_line=True, limit=60)}: not a job id, key or "
                       f"@N, and too long for a reference ({_MAX_REFERENCE} characters).")
    return Ref(raw, REFERENCE, raw)


def clean_url(url: Optional[str]) -> Optional[str]:
    """An Orchestrator URL as recorded: no ``user:password@``, no trailing slash."""
    return (without_userinfo(url.strip()).rstrip("/") or None) if url else None


def same_orchestrator(recorded: Optional[str], current: str) -> bool:
    """Whether an entry recorded on ``recorded`` (None: not recorded, cannot tell) belongs to
    the Orchestrator at ``current`` (scheme, host and path, any case, no trailing slash)."""
    if not recorded:
        return True
    return (clean_url(recorded) or "").casefold() == (clean_url(current) or "").casefold()


def job_details_url(base_url: str, job_key: str, folder_id: Optional[int]) -> str:
    """The Orchestrator web page of one job.

    The shape is the one public clients open: UiPathOrch's ``Open-OrchJob``
    (UiPath-Services/UiPathOrch, OrchProvider/OrchestratorCmdlet/JobCmdlet/OpenJob.cs) and
    the ``uipath invoke`` command of UiPath/uipath-python (src/uipath/_cli/cli_invoke.py)
    both build ``{.../orchestrator_}/jobs(sidepanel:sidepanel/jobs/{job key}/details)
    ?fid={folder id}``; ``base_url`` here already ends with ``orchestrator_`` on Automation
    Cloud.
    """
    url = f"{base_url.rstrip('/')}/jobs(sidepanel:sidepanel/jobs/{job_key}/details)"
    return url if folder_id is None else f"{url}?fid={int(folder_id)}"


def url_of(base_url: str, job: Job) -> str:
    """``job_details_url`` for a job as Orchestrator sent it (its ``OrganizationUnitId``)."""
    folder_id = job.raw.get("OrganizationUnitId") if isinstance(job.raw, dict) else None
    if isinstance(folder_id, bool) or not isinstance(folder_id, int):
        folder_id = None
    return job_details_url(base_url, job.key, folder_id)


@dataclass
class Found:
    """The jobs the REFs stand for, all in ``folder``; the history ``entries`` named (with
    their N), and ``warnings`` (e.g. a job of an entry Orchestrator no longer lists)."""

    jobs: list = field(default_factory=list)
    folder: Optional[Folder] = None
    entries: list = field(default_factory=list)
    warnings: list = field(default_factory=list)


class _Folders:
    """The folders the account can see, asked for once and only when needed."""

    def __init__(self, client: Any, folders: Optional[list] = None) -> None:
        self.client = client
        self._folders = folders

    async def all(self) -> list:
        if self._folders is None:
            self._folders = await self.client.list_folders()
        return self._folders

    async def by_id(self, folder_id: int) -> Optional[Folder]:
        return next((f for f in await self.all() if f.id == folder_id), None)

    async def by_path(self, path: str) -> Optional[Folder]:
        from tui_app.resolver import find_folder

        return find_folder(await self.all(), path)


def _not_found(error: NotFound) -> bool:
    """Orchestrator's own "no such item" (not a 404 page: a wrong URL must say so)."""
    return error.error_code is not None


async def _lookup(client: Any, ref: Ref) -> list:
    """The jobs ``ref`` (id, key or reference) names in the client's folder, or []."""
    try:
        if ref.kind == ID:
            return [await client.get_job(ref.value)]
        if ref.kind == KEY:
            return [await client.job_by_key(ref.value)]
        return await client.find_jobs_by_reference(ref.value)
    except NotFound as exc:
        if _not_found(exc):
            return []
        raise


async def _elsewhere(client: Any, folders: _Folders, ref: Ref,
                     skip: Optional[Folder]) -> tuple:
    """(folder, jobs) for the first other folder that has ``ref``'s jobs, or (None, [])."""
    others = [f for f in await folders.all() if skip is None or f.id != skip.id]
    for folder in others[:OTHER_FOLDERS]:
        client.use_folder(folder)
        try:
            jobs = await _lookup(client, ref)
        except (PermissionDenied, RequestRejected, NotFound):
            continue
        if jobs:
            return folder, jobs
    return None, []


def _name(folder: Optional[Folder]) -> str:
    if folder is None:
        return "no folder"
    return repr(visible(folder.fully_qualified_name, single_line=True))


async def _entry_jobs(client: Any, folders: _Folders, ref: Ref, entries: HistoryEntries,
                      found: Found) -> tuple:
    """(folder, jobs) of the history entry ``ref`` names."""
    number = int(ref.value)
    if number > len(entries):
        total = len(entries)
        raise RefError(f"{ref.text}: the history has {total} start(s)"
                       + ("" if total else " yet") + " (see 'startjob history').")
    entry: HistoryEntry = entries[number - 1]
    if not same_orchestrator(entry.orchestrator_url, client.base_url):
        raise RefError(
            f"{ref.text} was started on {visible(entry.orchestrator_url, single_line=True)}, "
            f"not on {visible(client.base_url, single_line=True)}: connect to it with --url "
            "(or its --profile) to use it.")
    if entry.kind == "queue_item":  # ``history.QUEUE_ITEM``: an item, not jobs
        item = entry.jobs[0].id if entry.jobs else "?"
        raise RefError(f"{ref.text} added a queue item (item {item} to "
                       f"{visible(entry.queue or '', single_line=True)}), it started no job: "
                       f"see it with 'startjob history {ref.text}'.", EXIT_REFUSED)
    found.entries.append((number, entry))
    if not entry.jobs:
        raise RefError(f"{ref.text} started no job.", EXIT_REFUSED)
    folder = (await folders.by_id(entry.folder_id) if entry.folder_id is not None
              else await folders.by_path(entry.folder) if entry.folder else None)
    if folder is None and (entry.folder_id is not None or entry.folder):
        raise RefError(f"{ref.text} was started in folder "
                       f"{visible(entry.folder, single_line=True)!r}, which this account "
                       "cannot see (any more).", EXIT_REFUSED)
    client.use_folder(folder)
    wanted = {job.id: job.key for job in entry.jobs}
    jobs = [job for job in await client.get_jobs(list(wanted)) if wanted.get(job.id) == job.key]
    missing = [str(job.id) for job in entry.jobs if job.id not in {j.id for j in jobs}]
    if not jobs:
        raise RefError(f"Orchestrator no longer lists the jobs of {ref.text} "
                       f"({', '.join(missing)}) in folder {_name(folder)}.", EXIT_REFUSED)
    if missing:
        found.warnings.append(f"Orchestrator no longer lists job(s) {', '.join(missing)} of "
                              f"{ref.text}.")
    return folder, jobs


async def resolve(client: Any, refs: Sequence[Ref], *, folder: Optional[Folder],
                  entries: Union[HistoryEntries, Callable[[], HistoryEntries]],
                  known_folders: Optional[list] = None) -> Found:
    """The jobs ``refs`` stand for, looked up as the module docstring says; ``folder`` is the
    command's folder (None: none given). ``entries`` is the history, newest first (or a
    function reading it, called only for an ``@N``); ``known_folders``, when not empty, are
    the folders the account can see (else asked once, if needed). Leaves ``client`` in the
    jobs' folder.
    Raises ``RefError``, and ``OrchestratorError`` for failures that are not about the jobs.
    """
    known = _Folders(client, known_folders or None)
    found = Found()
    places: list = []
    for ref in refs:
        if ref.kind == HISTORY:
            history = entries() if callable(entries) else entries
            place, jobs = await _entry_jobs(client, known, ref, history, found)
        else:
            client.use_folder(folder)
            jobs = await _lookup(client, ref) if folder is not None else []
            place = folder
            if not jobs:
                place, jobs = await _elsewhere(client, known, ref, folder)
                if not jobs:
                    where = (f"in folder {_name(folder)} nor in any other folder you can see"
                             if folder is not None else "in any folder you can see")
                    raise RefError(f"There is no {ref.describe()} {where}.", EXIT_REFUSED)
                if folder is not None:
                    raise RefError(
                        f"{ref.describe()[0].upper()}{ref.describe()[1:]} is in folder "
                        f"{_name(place)}, not in {_name(folder)}: add --folder "
                        f"{_quote(place.fully_qualified_name)}.", EXIT_REFUSED)
        places.append((ref, place))
        found.jobs.extend(job for job in jobs if job.id not in {j.id for j in found.jobs})
    distinct = {place.id if place is not None else None for _, place in places}
    if len(distinct) > 1:
        listed = ", ".join(f"{ref.text} in {_name(place)}" for ref, place in places)
        raise RefError(f"The jobs are in different folders ({listed}): give the jobs of one "
                       "folder at a time.")
    found.folder = places[0][1] if places else folder
    client.use_folder(found.folder)
    return found


def _quote(text: str) -> str:
    from shlex import quote

    return quote(visible(text, single_line=True))
