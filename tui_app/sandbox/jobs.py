"""Jobs and their life: a job moves through its states at event times the tenant replays.

No background threads: ``Tenant.advance(now)`` replays every event up to ``now`` (robots
freeing up or reconnecting, jobs being dispatched, suspending, resuming and ending) before a
request reads or changes anything. A job here only knows its own next event and how to apply
it; which robot runs it is the tenant's dispatch.

Life of a job: ``Pending`` (the dispatch latency, then until one of its candidate robots is
free) → ``Running`` for its running time → ``Successful``, or ``Faulted`` with a ``JobFault``
(a string input argument starting with "FAIL", any case, or the release's own fault). A release
that suspends goes ``Suspended`` after ``suspend_after`` seconds of running (its robot is free
again), waits on a timer for ``suspend_seconds`` (or until ``ResumeJob``), then ``Resumed``
waits for its robot and runs the rest of its time. SoftStop turns a running job ``Stopping``:
it honours the stop ``stop_seconds`` later and ends ``Stopped`` — unless its work ends first,
then it ends as it would have (``Successful`` or ``Faulted``). Kill turns it ``Terminating`` and
it ends ``Stopped`` after ``stop_seconds`` (a Kill while ``Stopping`` takes over). A job that
is not running (Pending, Suspended, Resumed) stops at once; a finished job ignores stops.

A job started with ``StopProcessExpression`` (``stop_after`` seconds) stops by itself that long
after it first started, if it is still Running then (a job whose work ends at that moment or
before ends as it would have): SoftStop or Kill per its ``StopStrategy``; with SoftStop and
``KillProcessExpression`` (``kill_after``) a job still ``Stopping`` after that grace is killed.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any, Optional

FINAL_STATES = frozenset({"Successful", "Faulted", "Stopped"})
#: States in which a job holds its robot.
ACTIVE_STATES = frozenset({"Running", "Stopping", "Terminating"})
#: States in which a job waits for a robot.
WAITING_STATES = frozenset({"Pending", "Resumed"})


@dataclass(frozen=True)
class JobFault:
    """How a job faults: ``Info`` text and the ``JobError`` parts (v20 ``JobErrorDto``)."""

    info: str
    code: str
    title: str
    detail: str
    #: ``User``, ``Deployment`` or ``System``.
    category: str = "User"
    status: Optional[int] = None


@dataclass(frozen=True)
class JobLimits:
    """A start's auto-stop and alert settings, in expression seconds (None: not set)."""

    stop_after: Optional[float] = None
    stop_strategy: Optional[str] = None
    kill_after: Optional[float] = None
    alert_pending_after: Optional[float] = None
    alert_running_after: Optional[float] = None


NO_LIMITS = JobLimits()


@dataclass(frozen=True)
class JobStatus:
    state: str
    started_at: Optional[float]
    ended_at: Optional[float]
    changed_at: float
    info: Optional[str]


@dataclass
class Job:
    """One job; times are epoch seconds. Fields after ``entry_point_path`` are its live state."""

    id: int
    key: str
    folder_id: int
    release_id: int
    release_name: str
    batch_execution_key: str
    created_at: float
    #: When the dispatch latency is over and the job may take a robot.
    eligible_at: float
    running_seconds: float
    stop_seconds: float
    #: Robot ids that may run it, in order of preference.
    candidates: tuple
    input_arguments: Optional[str]
    fault: Optional[JobFault]
    output_arguments: Optional[str]
    reference: Optional[str]
    source: str
    runtime_type: str
    job_priority: str
    specific_priority_value: Optional[int]
    entry_point_path: str
    requires_user_interaction: bool = False
    #: Seconds of running before it suspends (once), and how long its timer waits.
    suspend_after: Optional[float] = None
    suspend_seconds: float = 0.0
    #: ``ValidateExistingJob``'s answer: (code, sentence) pairs taken when the job was created.
    pending_reasons: tuple = ()
    #: How many activity lines its robot log gets over its running time (``robotlogs``).
    log_lines: int = 0
    #: The attachment id its input arguments came from (``InputFile``).
    input_file: Optional[str] = None
    #: Auto-stop (``StopProcessExpression``, ``StopStrategy``, ``KillProcessExpression``) and
    #: alert thresholds (``AlertPendingExpression``, ``AlertRunningExpression``), in seconds.
    stop_after: Optional[float] = None
    auto_stop_strategy: Optional[str] = None
    kill_after: Optional[float] = None
    alert_pending_after: Optional[float] = None
    alert_running_after: Optional[float] = None
    #: The candidates it was created with (a resume pins ``candidates`` to its robot).
    start_candidates: tuple = field(default=(), init=False)
    state: str = "Pending"
    robot_id: Optional[int] = None
    #: The robot's name when it took the job (its log lines carry it).
    robot_name: str = ""
    host_machine_name: Optional[str] = None
    started_at: Optional[float] = None
    ended_at: Optional[float] = None
    changed_at: float = 0.0
    info: Optional[str] = None
    #: True once the latency is over (the job is in its robots' queue).
    queued: bool = False
    #: Running time still to do, and when the current running stretch began and ends.
    remaining: float = 0.0
    segment_start: float = 0.0
    run_end: Optional[float] = None
    suspended_once: bool = False
    #: The current running stretch ends at the persistence point (not the end of the work).
    suspends: bool = False
    resume_at: Optional[float] = None
    #: When its timer trigger fires (kept after the trigger fired, for ``JobTriggers``).
    trigger_timer: Optional[float] = None
    resume_time: Optional[float] = None
    resume_version: Optional[int] = None
    persistence_id: Optional[str] = None
    stop_requested_at: Optional[float] = None
    stop_strategy: Optional[str] = None
    stop_due: Optional[float] = None
    #: When the auto-stop is due (set when it first starts), and the kill after its grace.
    stop_at: Optional[float] = None
    kill_at: Optional[float] = None
    #: The attachment holding its output arguments when they are too long to be inline.
    output_file: Optional[str] = None
    #: Alerts raised for it: "Pending" and/or "Running".
    alerted: set = field(default_factory=set)
    #: (time, state) of every change, oldest first.
    history: list = field(default_factory=list)

    def __post_init__(self) -> None:
        self.changed_at = self.created_at
        self.start_candidates = self.candidates
        self.remaining = self.running_seconds
        self.history.append((self.created_at, "Pending"))

    # ------------------------------------------------------------------ reading

    def status(self, now: float) -> JobStatus:
        """The status as of ``now``: the current one (the tenant has replayed up to ``now``),
        or for an earlier moment the state it had then; at its creation always ``Pending``,
        as StartJobs answers, even when it started at once."""
        if now >= self.changed_at and now != self.created_at:
            return JobStatus(self.state, self.started_at, self.ended_at, self.changed_at,
                             self.info)
        at, state = self.history[0]
        for changed, later in self.history[1:]:
            if changed >= now:
                break
            at, state = changed, later
        started = self.started_at if state != "Pending" else None
        return JobStatus(state, started, None, at, None)

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def holds_robot(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def waiting(self) -> bool:
        return self.state in WAITING_STATES and self.queued

    def next_event(self) -> Optional[float]:
        """When this job changes by itself next (None: it waits for a robot, or has ended)."""
        if self.state == "Pending" and not self.queued:
            return self.eligible_at
        if self.state == "Running":
            auto = (max(self.stop_at, self.segment_start)
                    if self.stop_at is not None and self.stop_requested_at is None else None)
            return min(t for t in (self.run_end, auto) if t is not None)
        if self.state == "Stopping":
            return min(t for t in (self.run_end, self.stop_due, self.kill_at) if t is not None)
        if self.state == "Terminating":
            return self.stop_due
        if self.state == "Suspended":
            return self.resume_at
        return None

    # ------------------------------------------------------------------ changing

    def _set(self, state: str, at: float, info: Optional[str] = None) -> None:
        self.state, self.changed_at, self.info = state, at, info
        self.history.append((at, state))

    def _end(self, state: str, at: float, info: Optional[str]) -> None:
        self._set(state, at, info)
        self.ended_at = at
        self.run_end = self.stop_due = self.resume_at = self.kill_at = None

    def start(self, robot_id: int, robot_name: str, machine_name: str, at: float) -> None:
        """Dispatch: the job starts (or continues, after a resume) on ``robot_id``."""
        self.robot_id, self.robot_name, self.host_machine_name = robot_id, robot_name, machine_name
        if self.started_at is None:
            self.started_at = at
            if self.stop_after is not None:
                self.stop_at = at + self.stop_after
        stretch = self.remaining
        pause = None if self.suspended_once else self.suspend_after
        self.suspends = pause is not None and pause < stretch
        if pause is not None and self.suspends:
            stretch = pause
        self.run_end = at + stretch
        self.segment_start = at
        self._set("Running", at)

    def apply(self, at: float) -> None:
        """Apply this job's own event due at ``at`` (see ``next_event``)."""
        if self.state == "Pending":
            self.queued = True
        elif self._auto_stop_due(at):
            strategy = self.auto_stop_strategy or "SoftStop"
            self.request_stop(strategy, at)
            if strategy == "SoftStop" and self.kill_after is not None:
                self.kill_at = at + self.kill_after
        elif self._kill_due(at):
            self.request_stop("Kill", at)
        elif self.state == "Terminating" or (
                self.state == "Stopping" and self.stop_due is not None
                and (self.run_end is None or self.stop_due <= self.run_end)):
            self._stopped(at)
        elif self.state in ("Running", "Stopping"):
            self._stretch_over(at)
        elif self.state == "Suspended":
            self.resume(at)

    def _auto_stop_due(self, at: float) -> bool:
        """The ``StopProcessExpression`` time came while it runs (and its work goes on)."""
        return (self.state == "Running" and self.stop_at is not None
                and self.stop_requested_at is None and at >= self.stop_at
                and (self.run_end is None or self.stop_at < self.run_end))

    def _kill_due(self, at: float) -> bool:
        """The ``KillProcessExpression`` grace of a soft stop ran out before anything else."""
        kill = self.kill_at
        return (self.state == "Stopping" and kill is not None and at >= kill
                and all(kill < t for t in (self.run_end, self.stop_due) if t is not None))

    def _stretch_over(self, at: float) -> None:
        self.remaining -= at - self.segment_start
        self.run_end = None
        if self.suspends:  # (not ``remaining > 0``: epoch seconds leave rounding errors)
            if self.state == "Stopping":  # the stop is honoured at the persistence point
                self._stopped(at)
                return
            self.suspended_once = True
            self.persistence_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox-job:{self.key}"))
            self.resume_version = (self.resume_version or 0) + 1
            self.resume_at = self.trigger_timer = at + self.suspend_seconds
            self._set("Suspended", at)
        elif self.fault is not None:
            self._end("Faulted", at, self.fault.info)
        else:
            self._end("Successful", at, "Job completed")

    def _stopped(self, at: float) -> None:
        killed = self.stop_strategy == "Kill"
        self._end("Stopped", at, "The job was killed." if killed else "The job was stopped.")

    def resume(self, at: float) -> bool:
        """The resume trigger fired (timer or ``ResumeJob``); False if not Suspended."""
        if self.state != "Suspended":
            return False
        self.resume_at = None
        self.resume_time = at
        self.candidates = (self.robot_id,)
        self._set("Resumed", at)
        return True

    def request_stop(self, strategy: str, at: float) -> None:
        """Apply a SoftStop or Kill request made at ``at``."""
        if self.is_final:
            return
        if not self.holds_robot:
            self.stop_requested_at, self.stop_strategy = at, strategy
            self._stopped(at)
        elif self.stop_requested_at is None or (self.state == "Stopping" and strategy == "Kill"):
            self.stop_requested_at, self.stop_strategy = at, strategy
            self.stop_due = at + self.stop_seconds
            if strategy == "Kill":
                self.kill_at = None
            self._set("Terminating" if strategy == "Kill" else "Stopping", at)


def input_fault(arguments: dict) -> Optional[JobFault]:
    """The fault a job with these input arguments ends with (a string value starting "FAIL")."""
    for name, value in arguments.items():
        if isinstance(value, str) and value.upper().startswith("FAIL"):
            return JobFault(
                info=("Execution error : System.Exception: Demo failure requested by input "
                      f"{name}={value}\r\n   at UiPath.Sandbox.Demo.Fail(String argument)\r\n"
                      "   at Main.xaml: Throw"),
                code="Robot.UnhandledException",
                title="The workflow threw an exception that it did not handle",
                detail=f"System.Exception: Demo failure requested by input {name}={value}",
                category="User")
    return None


def _demo_value(type_name: str, job_id: int) -> Any:
    simple = type_name.split(",", 1)[0].strip()
    if simple == "System.String":
        return f"Done by job {job_id}"
    if simple == "System.Boolean":
        return True
    if simple in ("System.Int16", "System.Int32", "System.Int64", "System.Decimal",
                  "System.Double", "System.Single", "System.Byte"):
        return job_id
    return None


def demo_outputs(arguments_output: Optional[str], job_id: int,
                 large: bool = False) -> Optional[str]:
    """``OutputArguments`` for a successful job: a value for each declared output argument
    (``large``: each string value is 12,000 characters long)."""
    try:
        declared = json.loads(arguments_output) if arguments_output else None
    except ValueError:
        return None
    if not isinstance(declared, list) or not declared:
        return None
    values = {item["name"]: _demo_value(str(item.get("type", "")), job_id)
              for item in declared if isinstance(item, dict) and "name" in item}
    if large:
        values = {name: (f"{value}; " * 12_000)[:12_000] if isinstance(value, str) else value
                  for name, value in values.items()}
    return json.dumps(values)
