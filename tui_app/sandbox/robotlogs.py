"""Robot log lines (``LogDto``), derived from each job's life when they are read.

Nothing is stored or written in the background: ``JobLog(tenant, job, now).entries()`` walks
the job's state changes and yields, oldest first, a small tuple for each line its robot has
written by ``now`` (a running job's log grows with the clock); ``JobLog.line`` makes one a
``LogDto`` dict (its ``RawMessage`` JSON only when it is served or filtered on), so a request
builds dicts for the lines it serves, not for every line. A job that never ran has no lines;
the robot writes:

- ``Info`` "{process} execution started" when the job first runs, "{process} execution
  resumed" when it runs again after a suspension, "{process} execution ended" when it ends
  (``RawMessage`` adds ``totalExecutionTimeInSeconds`` / ``totalExecutionTime``);
- ``log_lines`` activity lines spread evenly over its running time (fewer if it is stopped):
  ``Trace`` "{activity} Executing" / "{activity} Closed" lines of activity tracking and, in
  every four, an ``Info`` line of the process's own (``SCRIPTS``: its Log Message output,
  using its input arguments); line 7, 17, 27… is a ``Warn`` line of the process;
- ``Info`` at a suspension ("Resume After Delay: the workflow waits until …; the job is
  suspended."), ``Info`` at a SoftStop request, ``Warn`` at a Kill request;
- a faulted job's error text (``JobFault.info``) just before "execution ended": ``Error`` for a
  fault of the workflow (category ``User``), ``Fatal`` for one that kept the workflow from
  starting (``Deployment`` / ``System``; such a job logs only that line, no activities).

Time stamps are UTC with 7 fractional digits (100 ns ticks), like the real server's; ``Id`` is
0 and ``RuntimeType`` the job's; ``WindowsIdentity`` is a classic robot's user name
(``SANDBOX\\name``), or ``MACHINE\\name`` for a modern folder's robot.
"""

from __future__ import annotations

import heapq
import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Optional

from tui_app.sandbox.edm import Lazy
from tui_app.sandbox.jobs import FINAL_STATES, Job
from tui_app.sandbox.tenant import Tenant

TICKS_PER_SECOND = 10_000_000
#: States in which the workflow runs (a SoftStop lets it run on until it checks).
_RUNNING = frozenset({"Running", "Stopping"})
_HOLDS_ROBOT = frozenset({"Running", "Stopping", "Terminating"})
#: ``RawMessage`` ``level``: the robot's (NLog) names for the ``LogDto`` levels.
_RAW_LEVELS = {"Trace": "Trace", "Debug": "Debug", "Info": "Information", "Warn": "Warning",
               "Error": "Error", "Fatal": "Fatal"}
_ACTIVITIES = (("Sequence", "System.Activities.Statements.Sequence"),
               ("Assign", "System.Activities.Statements.Assign"),
               ("Invoke Workflow File", "UiPath.Core.Activities.InvokeWorkflowFile"),
               ("If", "System.Activities.Statements.If"),
               ("For Each", "UiPath.Core.Activities.ForEach`1"))


@dataclass(frozen=True)
class Script:
    """A process's own log lines: ``step`` is its Log Message text, ``warning`` its Warn
    line; ``{n}`` is the step's number (one step every four activity lines), ``{account}``
    4000 + n, other names are its input arguments (or their defaults)."""

    step: str
    warning: str = "Step {n} took longer than expected; retrying it once."


SCRIPTS = {
    "SupportTriage": Script(
        "Incident {IncidentId}: checked rule {n} of the triage table.",
        "Incident {IncidentId}: the ticket system answered slowly; retrying once."),
    "CleanupTempFiles": Script(r"Deleted {n} files older than 7 days from D:\Temp\Batch{n}.",
                               r"D:\Temp\Batch{n}\lock.tmp is in use: skipped."),
    "ReportGenerator": Script("Added section {n} to the {Region} weekly report.",
                              "Section {n} of the {Region} report has no data this week."),
    "HelloWorld": Script("Hello, {Name}! (greeting {n})"),
    "PasswordReset": Script("Password reset for {UserEmail}: step {n} done.",
                            "The directory answered slowly for {UserEmail}; retrying once."),
    "InvoiceIntake": Script("Invoice {InvoiceNumber}: line {n} checked against the order.",
                            "Invoice {InvoiceNumber}: line {n} has no order number."),
    "ArgumentShowcase": Script("Read input argument number {n}."),
    "NightlyBatch": Script("Posted booking batch {n} of the day.",
                           "Booking batch {n} was empty."),
    "FormFiller": Script("Filled in field {n} of the web form."),
    "MonthEndClose": Script(
        "Reconciled account {account}: the ledger and the bank statement agree.",
        "Account {account}: a difference of 0.{n} EUR, booked to suspense account 1999."),
}
DEFAULT_SCRIPT = Script("{process}: step {n} done.")


def ticks(moment: float) -> int:
    return int(moment * TICKS_PER_SECOND)


class _Stamps:
    """``2025-04-14T12:12:34.6730769Z`` for a tick count (the seconds part is reused)."""

    def __init__(self, suffix: str = "Z") -> None:
        self.suffix = suffix
        self.second: Optional[int] = None
        self.prefix = ""

    def __call__(self, tick: int) -> str:
        second, fraction = divmod(tick, TICKS_PER_SECOND)
        if second != self.second:
            self.second = second
            self.prefix = datetime.fromtimestamp(second, timezone.utc).strftime(
                "%Y-%m-%dT%H:%M:%S")
        return f"{self.prefix}.{fraction:07d}{self.suffix}"


class _Arguments(dict):
    """Template values: a name the job has no value for reads "(not set)"."""

    def __missing__(self, name: str) -> str:
        return "(not set)"


def _arguments(tenant: Tenant, job: Job) -> _Arguments:
    release = tenant.releases.get(job.release_id)
    values = _Arguments()
    for text in (release.input_arguments if release else None, job.input_arguments):
        try:
            parsed = json.loads(text) if text else {}
        except ValueError:
            parsed = {}
        if isinstance(parsed, dict):
            values.update(parsed)
    return values


def _stretches(job: Job, now: float) -> list:
    """(start, end) of each time the workflow ran (to ``now`` if it still runs)."""
    stretches, start = [], None
    for at, state in job.history:
        if state in _RUNNING and start is None:
            start = at
        elif state not in _RUNNING and start is not None:
            stretches.append((start, at))
            start = None
    if start is not None:
        stretches.append((start, now))
    return stretches


def _activity_times(job: Job, now: float) -> Iterator[tuple]:
    """(tick, line number) of the activity lines written by ``now``: line n at n intervals of
    running time, ``log_lines`` over the job's whole running time."""
    if job.log_lines <= 0 or job.running_seconds <= 0:
        return
    interval = job.running_seconds / (job.log_lines + 1)
    done, number = 0.0, 1
    for start, end in _stretches(job, now):
        length = end - start
        while number <= job.log_lines and number * interval - done < length:
            yield ticks(start + number * interval - done), number
            number += 1
        done += length


def _events(job: Job) -> list:
    """(tick, level, message, extra ``RawMessage`` fields) of the job's state changes."""
    name = job.release_name
    fault = job.fault
    blocked = fault is not None and fault.category != "User"
    events: list = []
    previous, ran, running_since, total = "Pending", False, 0.0, 0.0
    for at, state in job.history[1:]:
        tick = ticks(at)
        if previous in _RUNNING:
            total += at - running_since
        running_since = at
        if state == "Running" and previous not in _RUNNING:
            if ran and not blocked:
                events.append((tick, "Info", f"{name} execution resumed",
                               {"resumeVersion": job.resume_version}))
            elif not blocked:
                events.append((tick, "Info", f"{name} execution started", {}))
            ran = True
        elif state == "Suspended":
            until = job.trigger_timer
            when = (datetime.fromtimestamp(until, timezone.utc).strftime("%H:%M:%S UTC")
                    if until is not None else "its resume trigger fires")
            events.append((tick, "Info", f"Resume After Delay: the workflow waits until {when}; "
                                         "the job is suspended.", {}))
        elif state == "Stopping":
            events.append((tick, "Info", "Stop requested from Orchestrator (SoftStop): the "
                                         "workflow stops at its next Should Stop check.", {}))
        elif state == "Terminating":
            events.append((tick, "Warn", "Kill requested from Orchestrator: the robot ends the "
                                         "process.", {}))
        elif state in FINAL_STATES and previous in _HOLDS_ROBOT:
            if state == "Faulted" and fault is not None:
                events.append((tick - 1, "Error" if not blocked else "Fatal", fault.info,
                               {"errorCode": fault.code}))
            if not blocked:
                seconds = round(total)
                events.append((tick, "Info", f"{name} execution ended", {
                    "totalExecutionTimeInSeconds": seconds,
                    "totalExecutionTime": f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:"
                                          f"{seconds % 60:02d}",
                    "finalState": state}))
        previous = state
    return events


def _activity_level(number: int) -> str:
    if number % 10 == 7:
        return "Warn"
    return "Info" if (number - 1) % 4 == 2 else "Trace"


def _activity(number: int, script: Script, values: _Arguments) -> tuple:
    """(message, extra ``RawMessage`` fields) of activity line ``number``: in each step of
    four lines an activity executes, a Log Message executes and writes the step's line, the
    activity closes; line 7, 17, 27… is the Warn line instead (``_activity_level``)."""
    step, place = divmod(number - 1, 4)
    values["n"], values["account"] = step + 1, 4001 + step
    if number % 10 == 7:
        return script.warning.format_map(values), {"logType": "User"}
    if place == 2:
        return script.step.format_map(values), {"logType": "User"}
    display, activity = _ACTIVITIES[step % len(_ACTIVITIES)]
    if place == 1:
        display, activity = "Log Message", "UiPath.Core.Activities.LogMessage"
    state = "Closed" if place == 3 else "Executing"
    return f"{display} {state}", {"activityInfo": {
        "Activity": activity, "DisplayName": display, "State": state,
        "Variables": {}, "Arguments": {}}}


class JobLog:
    """One job's robot log as of ``now`` (the tenant has replayed up to ``now``): cheap
    entries ``(tick, level, item)`` oldest first (``entries``), each made a ``LogDto`` dict
    only when asked (``line``); ``fields`` are the properties that are the same on every
    line (all but Level, TimeStamp, Message and RawMessage)."""

    def __init__(self, tenant: Tenant, job: Job, now: float) -> None:
        self.job, self.now = job, now
        robot = tenant.robots.get(job.robot_id) if job.robot_id is not None else None
        machine = job.host_machine_name or ""
        release = tenant.releases.get(job.release_id)
        identity = (robot.username if robot and robot.username
                    else f"{machine}\\{job.robot_name.lower()}")
        self.values = _Arguments(_arguments(tenant, job), process=job.release_name)
        self.script = SCRIPTS.get(release.process_key if release else "", DEFAULT_SCRIPT)
        self.blocked = job.fault is not None and job.fault.category != "User"
        self.fields = {
            "WindowsIdentity": identity, "ProcessName": job.release_name, "JobKey": job.key,
            "RobotName": job.robot_name, "HostMachineName": machine,
            "MachineId": tenant.machine_id(machine), "MachineKey": tenant.machine_key(machine),
            "RuntimeType": job.runtime_type, "Id": 0}
        self.raw_fields = {
            "windowsIdentity": identity, "machineName": machine,
            "processName": job.release_name,
            "processVersion": release.process_version if release else "", "jobId": job.key,
            "robotName": job.robot_name, "machineId": self.fields["MachineId"],
            "organizationUnitId": job.folder_id, "fileName": "Main", "logType": "Default"}
        self._stamp, self._raw_stamp = _Stamps(), _Stamps("+00:00")

    def entries(self) -> Iterator[tuple]:
        """``(tick, level, item)``: ``item`` is an activity line's number, or the (message,
        extra ``RawMessage`` fields) of a state change's line."""
        if self.job.started_at is None:
            return
        events = iter([(tick, level, (message, extra))
                       for tick, level, message, extra in _events(self.job)])
        waiting = next(events, None)
        activities = () if self.blocked else _activity_times(self.job, self.now)
        for tick, number in activities:
            while waiting is not None and waiting[0] <= tick:
                yield waiting
                waiting = next(events, None)
            yield tick, _activity_level(number), number
        while waiting is not None:
            yield waiting
            waiting = next(events, None)

    def line(self, entry: tuple) -> dict:
        tick, level, item = entry
        if isinstance(item, int):
            message, extra = _activity(item, self.script, self.values)
        else:
            message, extra = item
        raw_stamp, key = self._raw_stamp, self.job.key
        fields = {**self.raw_fields, **extra}
        raw = Lazy(lambda: json.dumps({
            "message": message, "level": _RAW_LEVELS[level], "timeStamp": raw_stamp(tick),
            "fingerprint": str(uuid.uuid5(uuid.NAMESPACE_OID, f"{key}:{tick}")), **fields}))
        return {"Level": level, "TimeStamp": self._stamp(tick), "Message": message,
                "RawMessage": raw, **self.fields}


def job_lines(tenant: Tenant, job: Job, now: float) -> Iterator[dict]:
    """The job's log lines written by ``now``, oldest first, as ``LogDto`` dicts."""
    log = JobLog(tenant, job, now)
    return (log.line(entry) for entry in log.entries())


def _tagged(log: JobLog) -> Iterator[tuple]:
    return ((entry[0], log, entry) for entry in log.entries())


def merged(logs: list) -> Iterator[tuple]:
    """``(log, entry)`` of several jobs' logs, oldest first (a job's own in their order)."""
    return ((log, entry) for _, log, entry in heapq.merge(*map(_tagged, logs),
                                                          key=lambda item: item[0]))


def folder_lines(tenant: Tenant, jobs: Iterable[Job], now: float) -> Iterator[dict]:
    """The ``LogDto`` dicts of several jobs' lines, oldest first, generated as they are
    read."""
    return (log.line(entry)
            for log, entry in merged([JobLog(tenant, job, now) for job in jobs]))
