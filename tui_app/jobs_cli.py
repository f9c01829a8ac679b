"""Jobs after the start, headless: ``startjob jobs``, ``watch``, ``logs``, ``stop``, ``kill``,
``restart`` and ``resume`` (no Textual anywhere on this path).

Each command connects like ``startjob run`` (``cli._launch``: flags, ``UIPATH_*``, profile,
``--demo``, ``--debug``), works in the connection's folder (``--folder``) and takes jobs as
``REF``s (``tui_app.jobrefs``). With ``--output json`` it prints one JSON object (its data,
``warnings``, ``errors``, ``exit_code``); otherwise text, errors on standard error. Server
text goes through ``tui_app.text.visible``.

Exit codes: ``cli.JOBS_EXIT_CODES`` (shown by each command's ``--help``), numbers from
``tui_app.exit_codes``; the one place that maps an Orchestrator failure is
``replay._classify``.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Optional, TextIO

from tui_app import following
from tui_app.arguments.jsontext import printable_json
from tui_app.connection import ConnectionSettings, SettingsError
from tui_app.exit_codes import (
    EXIT_JOB_FAILED,
    EXIT_NOT_FOLLOWED,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_USAGE,
)
from tui_app.jobrefs import Found, Ref, RefError, parse_ref, resolve, url_of
from tui_app.orchestrator.errors import OrchestratorError
from tui_app.orchestrator.models import Folder, Job, LogEntry
from tui_app.table import format_table, link, terminal_width
from tui_app.text import visible

#: ``--mine`` looks for at most this many of the history's latest jobs (one request).
MINE_JOBS = 100
#: Extra ``OrchestratorClient`` options (tests put a transport here).
CLIENT_OPTIONS: dict = {}
#: ``logs --follow``: how often the job and its new lines are read.
FOLLOW = following.POLICY


class CommandError(Exception):
    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass
class Outcome:
    """What a command ends with; ``data`` is its ``--output json`` object."""

    command: str
    data: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    exit_code: int = EXIT_OK
    #: ``logs --output json``: the lines already written (``run`` closes the object).
    stream: Optional[StreamedLines] = None


class StreamedLines:
    """``logs --output json`` written as the pages arrive: ``{"folder": …, "lines": [`` first,
    each line as it comes, then ``run`` closes the array and adds the rest (``job`` in its
    final state, ``warnings``, ``errors``, ``exit_code``). A job of 100,000 lines is never
    held in memory."""

    def __init__(self, out: TextIO, head: dict) -> None:
        self.out = out
        self.count = 0
        out.write("{\n" + "".join(_member(key, value) + ",\n" for key, value in head.items())
                  + '  "lines": [')

    def add(self, item: dict) -> None:
        body = printable_json(item).replace("\n", "\n    ")
        self.out.write(("," if self.count else "") + "\n    " + body)
        self.count += 1

    def close(self, tail: dict) -> None:
        members = ",\n".join(_member(key, value) for key, value in tail.items())
        self.out.write(("\n  " if self.count else "") + "],\n" + members + "\n}\n")
        self.out.flush()


def _member(key: str, value: object) -> str:
    """``  "key": value`` as ``printable_json`` indents it inside an object."""
    return printable_json({key: value})[2:-2]


@dataclass
class _Context:
    args: Any
    settings: ConnectionSettings
    client: Any
    outcome: Outcome
    out: TextIO
    err: TextIO
    #: The command's folder (``--folder``), None when none is given.
    folder: Optional[Folder] = None
    folders: list = field(default_factory=list)

    @property
    def text(self) -> bool:
        return self.args.output != "json"

    def say(self, line: str = "") -> None:
        if self.text:
            print(line, file=self.out, flush=True)

    def warn(self, line: str) -> None:
        self.outcome.warnings.append(line)
        if self.text:
            print(f"warning: {visible(line, single_line=True)}", file=self.err, flush=True)

    def url(self, job: Job) -> str:
        return url_of(self.client.base_url, job)


def run(command: str, args: Any, settings: ConnectionSettings, *,
        client_options: Optional[dict] = None, out: Optional[TextIO] = None,
        err: Optional[TextIO] = None) -> int:
    """Run one command (``args`` parsed by ``cli.build_parser``), print its outcome and return
    its exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    outcome = asyncio.run(_run(command, args, settings, {**CLIENT_OPTIONS,
                                                         **(client_options or {})}, out, err))
    if args.output == "json":
        tail = {**outcome.data, "warnings": outcome.warnings, "errors": outcome.errors,
                "exit_code": outcome.exit_code}
        if outcome.stream is not None:
            outcome.stream.close(tail)
        else:
            print(printable_json(tail), file=out, flush=True)
    for line in outcome.errors:
        print(f"startjob {command}: {visible(line, single_line=True)}", file=err, flush=True)
    return outcome.exit_code


async def _run(command: str, args: Any, settings: ConnectionSettings, client_options: dict,
               out: TextIO, err: TextIO) -> Outcome:
    from tui_app.replay import _classify

    outcome = Outcome(command)
    try:
        refs = [parse_ref(text) for text in getattr(args, "refs", ())]
        client = settings.open_client(**client_options)
        async with client:
            context = _Context(args, settings, client, outcome, out, err)
            await _use_folder(context)
            await COMMANDS[command](context, refs)
    except (CommandError, RefError) as exc:
        outcome.errors.append(str(exc))
        outcome.exit_code = exc.exit_code
    except SettingsError as exc:
        outcome.errors.append(f"Cannot connect: {exc}")
        outcome.exit_code = EXIT_USAGE
    except OrchestratorError as exc:
        outcome.exit_code, line = _classify(exc)
        outcome.errors.append(line)
    return outcome


async def _use_folder(context: _Context) -> None:
    """Find the connection's folder (``--folder``: a path or an id) among the folders the
    account can see."""
    from tui_app.resolver import find_folder

    path = context.settings.folder.strip()
    if not path:
        return
    context.folders = await context.client.list_folders()
    context.folder = find_folder(context.folders, path)
    if context.folder is None:
        names = ", ".join(repr(f.fully_qualified_name) for f in context.folders[:10])
        raise CommandError(f"There is no folder {visible(path, single_line=True)!r} (folders "
                           f"you can see: {visible(names, single_line=True) or 'none'}).",
                           EXIT_USAGE)
    context.client.use_folder(context.folder)


async def _find(context: _Context, refs: Sequence[Ref], *, one: bool = False) -> Found:
    from tui_app.history import read_entries

    found = await resolve(context.client, refs, folder=context.folder,
                          entries=lambda: read_entries(None), known_folders=context.folders)
    for line in found.warnings:
        context.warn(line)
    if one and len(found.jobs) > 1:
        ids = ", ".join(str(job.id) for job in found.jobs)
        raise CommandError(f"{refs[0].text} stands for {len(found.jobs)} jobs ({ids}): give "
                           "one job id.", EXIT_USAGE)
    return found


def job_json(job: Job, base_url: str) -> dict:
    """A job in ``--output json``: as ``startjob run`` writes it, plus where it ran and its
    job-details ``Url``."""
    from tui_app.replay import _job_json

    return {**_job_json(job), "ReleaseName": job.release_name, "Robot": job.robot_name or None,
            "HostMachineName": job.host_machine_name or None, "Reference": job.reference,
            "CreationTime": job.creation_time, "StartTime": job.start_time,
            "EndTime": job.end_time, "Url": url_of(base_url, job)}


def _folder_json(folder: Optional[Folder]) -> Optional[dict]:
    return None if folder is None else {"Id": folder.id, "Path": folder.fully_qualified_name}


def _short_time(value: Optional[str]) -> str:
    """``2025-04-14T12:12:34.6730769Z`` as ``2025-04-14 12:12:34`` (UTC, as Orchestrator
    sends it), or ``-``."""
    if not value:
        return "-"
    text = str(value)
    if len(text) >= 19 and text[10] == "T":
        return f"{text[:10]} {text[11:19]}"
    return visible(text, single_line=True, limit=30)


def _cell(value: object) -> str:
    return visible(value if value not in (None, "") else "-", single_line=True, limit=60)


# -- startjob jobs ---------------------------------------------------------------------------


async def _jobs(context: _Context, refs: Sequence[Ref]) -> None:
    """The folder's latest jobs in one request, newest first."""
    args, client = context.args, context.client
    if context.folder is None:
        raise CommandError("'startjob jobs' lists the jobs of one folder: give --folder PATH "
                           "(or UIPATH_FOLDER_PATH, or a profile with a folder).", EXIT_USAGE)
    ids = _my_job_ids(context) if args.mine else None
    jobs: list = []
    if ids is None or ids:
        since = (datetime.now(timezone.utc) - timedelta(seconds=args.since)
                 if args.since else None)
        jobs = await client.recent_jobs(state=args.state, process=args.process, since=since,
                                        ids=ids, top=args.limit)
    context.outcome.data = {"folder": _folder_json(context.folder),
                            "jobs": [job_json(job, client.base_url) for job in jobs]}
    if not jobs:
        context.say("No jobs" + (" started by startjob (per the history)" if args.mine else "")
                    + " match in this folder.")
        return
    rows: list[tuple[str, ...]] = [("Id", "State", "Process", "Robot/host", "Started (UTC)",
                                    "Reference")]
    rows += [tuple(_cell(value) for value in (
        job.id, job.state, job.release_name, job.robot_name or job.host_machine_name,
        _short_time(job.start_time)[:16], job.reference)) for job in jobs]
    for line in format_table(rows, terminal_width(), keep=(0, 1, 4), rule=True):
        context.say(line)


def _my_job_ids(context: _Context) -> list:
    """The ids of the latest ``MINE_JOBS`` jobs this history started in the folder, on this
    Orchestrator."""
    from tui_app.history import read_entries
    from tui_app.jobrefs import same_orchestrator

    folder = context.folder
    assert folder is not None
    ids: list = []
    for entry in read_entries(None):
        here = (entry.folder_id == folder.id if entry.folder_id is not None
                else entry.folder.casefold() == folder.fully_qualified_name.casefold())
        if here and same_orchestrator(entry.orchestrator_url, context.client.base_url):
            ids.extend(job.id for job in entry.jobs if job.id not in ids)
    return ids[:MINE_JOBS]


# -- startjob watch --------------------------------------------------------------------------


async def _watch(context: _Context, refs: Sequence[Ref]) -> None:
    """Follow the jobs until they end (``replay``'s ``--wait``: the same policy, lines and
    exit codes), then print their final states and output arguments."""
    from tui_app.replay import ReplayOptions, ReplayResult, _finish, _Reporter, _wait

    found = await _find(context, refs)
    result = ReplayResult(template="", jobs=list(found.jobs))
    report = _Reporter(ReplayOptions(template="", output=context.args.output), result,
                       context.out, context.err)
    ids = ", ".join(str(job.id) for job in found.jobs)
    context.say(f"Watching {len(found.jobs)} job(s) in folder "
                f"{_folder_name(found.folder)}: {ids}")
    for job in found.jobs:
        report.say(f"{f'Job {job.id}':<13}{visible(job.state, single_line=True)}")
    try:
        timed_out = await _wait(context.client, result, report, context.args.timeout)
    except OrchestratorError as exc:
        _record(context, found, result.jobs)
        _watch_data(context, found, result.jobs)
        raise CommandError(f"Could not follow job(s) {ids}: {str(exc).rstrip('.')}. They go "
                           "on in Orchestrator; watch them again later.",
                           EXIT_NOT_FOLLOWED) from None
    _finish(report, result, None, timed_out)
    _record(context, found, result.jobs)
    _watch_data(context, found, result.jobs)
    context.outcome.warnings.extend(result.warnings)
    context.outcome.errors.extend(result.errors)
    context.outcome.exit_code = result.exit_code
    for job in result.jobs:
        context.say(f"{f'Job {job.id}':<13}{visible(job.state, single_line=True)}"
                    + _outputs(job))
        context.say(f"{'':<13}{link(context.url(job), context.out)}")


def _watch_data(context: _Context, found: Found, jobs: Sequence[Job]) -> None:
    context.outcome.data = {"folder": _folder_json(found.folder),
                            "jobs": [job_json(job, context.client.base_url) for job in jobs]}


def _outputs(job: Job) -> str:
    if not job.output_arguments:
        return ""
    return f"  output: {visible(job.output_arguments, single_line=True, limit=300)}"


def _record(context: _Context, found: Found, jobs: Sequence[Job]) -> None:
    """Add the final states to the history entries the REFs named (a problem warns)."""
    from tui_app.history import record_final_states
    from tui_app.locations import LocationError

    for _, entry in found.entries:
        keys = {job.key for job in entry.jobs}
        try:
            record_final_states(entry.id, [job for job in jobs if job.key in keys])
        except (OSError, LocationError, ValueError) as exc:
            context.warn(f"The final states were not written to the history: {exc}")


def _folder_name(folder: Optional[Folder]) -> str:
    return repr(visible(folder.fully_qualified_name, single_line=True)) if folder else "(none)"


# -- startjob logs ---------------------------------------------------------------------------


async def _logs(context: _Context, refs: Sequence[Ref]) -> None:
    """The job's robot log lines, oldest first, a page at a time; ``--follow`` tails the job
    until it ends."""
    args, client = context.args, context.client
    found = await _find(context, refs, one=True)
    job = found.jobs[0]
    context.outcome.data = {"job": job_json(job, client.base_url)}
    if not context.text:
        context.outcome.stream = StreamedLines(context.out, {"folder": _folder_json(found.folder)})
    shown = 0

    def show(entries: Sequence[LogEntry]) -> None:
        nonlocal shown
        for entry in entries:
            shown += 1
            if context.outcome.stream is not None:
                context.outcome.stream.add(_log_json(entry))
            else:
                context.say(format_log_line(entry))

    level = args.level
    if args.limit:
        page = await client.robot_logs(job.key, level=level, top=args.limit, newest_first=True)
        show(list(reversed(page.items)))
        seen = max(page.total, len(page.items))
    else:
        seen = await _drain(client, job, level, 0, show)
    if not shown and not args.follow:
        context.say(f"Job {job.id} has no robot log lines"
                    + (f" at level {level} or above." if level else "."))
    if args.follow:
        for wait in FOLLOW.waits():
            if job.is_final or job.state == "Suspended":
                break
            await asyncio.sleep(wait)
            job = await client.get_job(job.id)
            seen = await _drain(client, job, level, seen, show)
    context.outcome.data["job"] = job_json(job, client.base_url)
    if args.follow:
        context.say(f"Job {job.id} is {visible(job.state, single_line=True)}.")


async def _drain(client: Any, job: Job, level: Optional[str], seen: int,
                 show: Callable[[Sequence[LogEntry]], None]) -> int:
    """Show the lines after the first ``seen``, a full page at a time; the new count."""
    for _ in range(client.max_pages):
        page = await client.robot_logs(job.key, level=level, top=client.page_size, skip=seen)
        show(page.items)
        seen += len(page.items)
        if len(page.items) < client.page_size:
            break
    return seen


def format_log_line(entry: LogEntry) -> str:
    """``2025-04-14 12:12:34  Info   message``; Error and Fatal lines say ``ERROR`` /
    ``FATAL`` (a word, not a colour); a message's further lines are indented."""
    level = entry.level.upper() if entry.is_error else entry.level
    prefix = f"{_short_time(entry.time_stamp)}  {visible(level, single_line=True):<6} "
    message = visible(entry.message).replace("\t", "    ")
    return prefix + message.replace("\n", "\n" + " " * len(prefix))


def _log_json(entry: LogEntry) -> dict:
    return {"TimeStamp": entry.time_stamp, "Level": entry.level, "Message": entry.message,
            "RobotName": entry.robot_name or None,
            "HostMachineName": entry.host_machine_name or None}


# -- startjob stop / kill --------------------------------------------------------------------


def _is_terminal() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def _ask(question: str) -> str:
    print(question, end="", file=sys.stderr, flush=True)
    return sys.stdin.readline()


async def _stop_jobs(context: _Context, refs: Sequence[Ref], strategy: str) -> None:
    """Ask Orchestrator to stop (``SoftStop``) or kill the jobs that have not ended, after a
    yes on the terminal (or ``--yes``)."""
    found = await _find(context, refs)
    ended = [job for job in found.jobs if job.is_final]
    running = [job for job in found.jobs if not job.is_final]
    verb = "kill" if strategy == "Kill" else "stop"
    context.outcome.data = {"folder": _folder_json(found.folder), "strategy": strategy,
                            "stopped": [], "already_ended": [job.id for job in ended]}
    for job in ended:
        context.say(f"Job {job.id} already ended {visible(job.state, single_line=True)}: "
                    f"nothing to {verb}.")
    if not running:
        return
    listed = ", ".join(f"{job.id} ({visible(job.state, single_line=True)})" for job in running)
    if not context.args.yes:
        if not _is_terminal():
            raise CommandError(f"Not confirmed: add --yes to {verb} job(s) {listed} without "
                               "being asked (there is no terminal to ask on).", EXIT_USAGE)
        answer = _ask(f"{verb.capitalize()} {len(running)} job(s) in folder "
                      f"{_folder_name(found.folder)}: {listed}? [y/N] ")
        if answer.strip().casefold() not in ("y", "yes"):
            raise CommandError(f"Nothing was {'killed' if verb == 'kill' else 'stopped'}.",
                               EXIT_JOB_FAILED)
    await context.client.stop_jobs([job.id for job in running], strategy)
    context.outcome.data["stopped"] = [job.id for job in running]
    context.say(f"Asked Orchestrator to {verb} job(s) {listed} ({strategy}); follow them with "
                f"'startjob watch {' '.join(str(job.id) for job in running)}'.")


async def _stop(context: _Context, refs: Sequence[Ref]) -> None:
    await _stop_jobs(context, refs, "SoftStop")


async def _kill(context: _Context, refs: Sequence[Ref]) -> None:
    await _stop_jobs(context, refs, "Kill")


# -- startjob restart / resume ---------------------------------------------------------------


async def _restart(context: _Context, refs: Sequence[Ref]) -> None:
    """``RestartJob`` for a job that ended; the new job is recorded in the history."""
    client = context.client
    found = await _find(context, refs, one=True)
    job = found.jobs[0]
    if not job.is_final:
        raise CommandError(f"Job {job.id} is {visible(job.state, single_line=True)}: only a job "
                           "that ended (Successful, Faulted or Stopped) can be restarted.",
                           EXIT_REFUSED)
    new = await client.restart_job(job.id)
    entry_id = await _record_restart(context, found, job, new)
    context.outcome.data = {"folder": _folder_json(found.folder),
                            "restarted": job_json(job, client.base_url),
                            "job": job_json(new, client.base_url), "history_id": entry_id}
    context.say(f"Restarted job {job.id} as job {new.id} "
                f"({visible(new.state, single_line=True)}); follow it with 'startjob watch "
                f"{'@1' if entry_id else new.id}'.")
    context.say(link(context.url(new), context.out))


async def _record_restart(context: _Context, found: Found, old: Job, new: Job
                          ) -> Optional[str]:
    """Append the restart to the history (as a headless start); None when it could not be."""
    from tui_app.history import HistoryEntry, append_entry, history_jobs
    from tui_app.jobrefs import clean_url
    from tui_app.locations import LocationError

    try:
        identity = await context.client.current_user()
    except OrchestratorError as exc:
        context.warn(f"The identity that restarted the job is not recorded: {exc}")
        identity = None
    first = found.entries[0][1] if found.entries else None
    folder = found.folder
    try:
        entry = append_entry(HistoryEntry(
            source="headless", process_key=first.process_key if first else old.release_name,
            folder=folder.fully_qualified_name if folder else "",
            folder_id=folder.id if folder else None,
            release_key=first.release_key if first else "", strategy="Restart",
            jobs=history_jobs([new]), template_name=first.template_name if first else None,
            template_path=first.template_path if first else None,
            orchestrator_url=clean_url(context.client.base_url),
            tenant=(identity.tenancy_name if identity else "")
            or context.settings.tenancy_name or None,
            reference=new.reference, identity=identity.to_json() if identity else None))
    except (OSError, LocationError, ValueError) as exc:
        context.warn(f"The restart was not written to the history: {exc}")
        return None
    return entry.id


async def _resume(context: _Context, refs: Sequence[Ref]) -> None:
    """``ResumeJob`` for a Suspended job."""
    client = context.client
    found = await _find(context, refs, one=True)
    job = found.jobs[0]
    if job.state != "Suspended":
        raise CommandError(f"Job {job.id} is {visible(job.state, single_line=True)}: only a "
                           "Suspended job can be resumed.", EXIT_REFUSED)
    resumed = await client.resume_job(job.key)
    context.outcome.data = {"folder": _folder_json(found.folder),
                            "job": job_json(resumed, client.base_url)}
    context.say(f"Asked Orchestrator to resume job {job.id} (now "
                f"{visible(resumed.state, single_line=True)}); follow it with 'startjob watch "
                f"{job.id}'.")


COMMANDS = {"jobs": _jobs, "watch": _watch, "logs": _logs, "stop": _stop, "kill": _kill,
            "restart": _restart, "resume": _resume}

__all__ = ["COMMANDS", "format_log_line", "job_json", "run"]
