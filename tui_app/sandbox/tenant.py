"""The sandbox tenant: folders, robots, environments, releases, jobs and tokens.

Everything is guarded by ``Tenant.lock`` (re-entrant); the server holds it while it handles a
request, and every mutator takes it, so tests may change the tenant while the server runs.
Change things through the mutators: they also drop the cached wire shapes.

Mutators for tests and demos:

- ``add_folder(display_name, parent_id=None, classic=False)`` → Folder
- ``add_robot(name, machine_name, state="Available", folder_id=None, environment_id=None,
  robot_type="Unattended", has_credentials=True, runtimes=None, machine_template=None,
  maintenance=False, **timers)``
  → Robot (a robot user of a modern folder, or a member of a classic environment);
  ``runtimes`` are the machine's slots per RuntimeType (modern; default one Unattended and one
  NonProduction); ``timers`` are Robot fields: ``busy_until`` / ``free_after`` (when a Busy
  robot's other work ends: at that time, or that long after a job starts waiting on it) and
  ``reconnect_at`` / ``reconnect_after`` (the same for a Disconnected robot connecting)
- ``rename_robot(robot_id, name)``, ``remove_robot(robot_id)``,
  ``set_robot_state(robot_id, state)`` (Available / Busy / Disconnected / Unknown; Available
  connects a robot and ends its other work at once: waiting jobs start)
- ``add_release(folder_id, name, process_key, ...)`` → Release, ``remove_release(release_id)``
- ``update_release(release_id, **changes)`` → Release; ``changes`` are Release fields, e.g.
  ``process_version="1.0.2"``, ``arguments_input=arguments_json([...])``,
  ``input_arguments='{"Region":"APAC"}'``, ``is_latest_version=False``,
  ``start_error="..."`` (StartJobs of it answers 409 with that message),
  ``requires_user_interaction=True`` (a foreground process), ``running_seconds=...``,
  ``suspend_after=...`` / ``suspend_seconds=...`` (a long-running process that suspends),
  ``fault=JobFault(...)`` (every job of it faults), ``log_lines=...`` (activity lines in
  each job's robot log, see ``tui_app.sandbox.robotlogs``)
- ``set_maintenance(robot_id, enabled)``: the robot's host session in maintenance mode takes
  no new jobs (they wait Pending)
- ``add_queue(folder_id, name, ...)`` → QueueDefinition (``queues``: a ``QueueBook``; its
  items are processed in ``advance``, see ``tui_app.sandbox.queues``)
- ``add_attachment(name, folder_id)`` → Attachment (``attachments``: id → Attachment)
- ``advance(now)``: replay jobs and robots up to ``now`` (every request does it first);
  it also raises ``alerts`` (``Alert``: a job Pending / Running past its start's
  ``AlertPendingExpression`` / ``AlertRunningExpression``) and moves output arguments over
  10,000 characters of a successful job to an attachment (``Job.output_file``)
- ``set_token_lifetime(seconds)`` (new tokens), ``expire_tokens()`` (issued tokens, not the PAT)
- attributes ``job_pending_seconds``, ``job_running_seconds``, ``stop_seconds``,
  ``expression_seconds`` (new jobs), ``queues.processing_seconds`` (new queue item events) and
  the property ``jobs_rate_limit``
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import json
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, TypeVar, cast

from tui_app.sandbox.auth import TokenStore
from tui_app.sandbox.config import DEMO, SandboxConfig
from tui_app.sandbox.jobs import NO_LIMITS, Job, JobFault, JobLimits, demo_outputs, input_fault
from tui_app.sandbox.queues import QueueBook, QueueDefinition
from tui_app.sandbox.ratelimit import RateLimiter

ROBOT_STATES = ("Available", "Busy", "Disconnected", "Unknown")
#: Robot types that cannot take an unattended job (user and developer licences).
ATTENDED_TYPES = frozenset({
    "Attended", "Studio", "StudioX", "StudioPro", "RpaDeveloper", "RpaDeveloperPro",
    "CitizenDeveloper", "AttendedStudioWeb", "AssistantWeb", "AutomationKit"})
#: A modern robot's machine when ``add_robot`` is not told otherwise.
DEFAULT_RUNTIMES = {"Unattended": 1, "NonProduction": 1}
#: Offset between a robot's Id and the Id of its host session.
SESSION_ID_OFFSET = 5000

T = TypeVar("T")


@dataclass
class Folder:
    id: int
    key: str
    display_name: str
    fully_qualified_name: str
    classic: bool
    parent_id: Optional[int] = None
    description: str = ""


@dataclass
class Robot:
    """A classic robot (environment member) or a modern folder's robot user."""

    id: int
    name: str
    machine_name: str
    machine_id: int
    state: str = "Available"
    username: Optional[str] = None
    user_id: Optional[int] = None
    #: ``RobotType``; attended types never take unattended jobs.
    type: str = "Unattended"
    #: False: no unattended (Windows) credentials stored, so it cannot take unattended jobs.
    has_credentials: bool = True
    #: A Busy robot's other work ends at ``busy_until``, or ``free_after`` seconds after a job
    #: starts waiting on it (neither: it stays Busy until ``set_robot_state``).
    busy_until: Optional[float] = None
    free_after: Optional[float] = None
    #: The same for a Disconnected robot connecting again.
    reconnect_at: Optional[float] = None
    reconnect_after: Optional[float] = None
    #: The machine object its host belongs to when that is a machine template (modern);
    #: None: the host is a standard machine of its own name.
    machine_template: Optional[str] = None
    #: Its host session is in maintenance mode: it takes no new jobs.
    maintenance: bool = False

    @property
    def takes_unattended(self) -> bool:
        return self.type not in ATTENDED_TYPES and self.has_credentials

    def timer(self) -> Optional[float]:
        """When this robot changes by itself next (its other work ends, or it connects)."""
        if self.state == "Busy":
            return self.busy_until
        if self.state == "Disconnected":
            return self.reconnect_at
        return None


@dataclass
class Environment:
    id: int
    folder_id: int
    name: str
    robot_ids: list = field(default_factory=list)
    description: str = ""


@dataclass(frozen=True)
class EntryPoint:
    """A workflow of a package that a job can start at; argument lists are JSON strings in
    the ``Arguments.Input`` / ``Arguments.Output`` format."""

    path: str
    arguments_input: Optional[str] = None
    arguments_output: Optional[str] = None


@dataclass(frozen=True)
class Release:
    """A process deployed to a folder; argument lists and defaults are JSON strings."""

    id: int
    key: str
    name: str
    folder_id: int
    process_key: str
    process_version: str
    is_latest_version: bool = True
    description: str = ""
    environment_id: Optional[int] = None
    #: Process-level default values (``ReleaseDto.InputArguments``).
    input_arguments: Optional[str] = None
    #: ``Arguments.Input`` / ``Arguments.Output``.
    arguments_input: Optional[str] = None
    arguments_output: Optional[str] = None
    job_priority: str = "Normal"
    #: ``ReleaseDto.SpecificPriorityValue`` (1-100), the default of its jobs.
    specific_priority_value: Optional[int] = None
    target_framework: str = "Windows"
    created_at: float = 0.0
    #: When set, StartJobs for this release is refused with HTTP 409 and this message.
    start_error: Optional[str] = None
    #: A foreground process (it cannot run on Headless or Serverless runtimes).
    requires_user_interaction: bool = False
    #: Running time of its jobs (None: the tenant's ``job_running_seconds``).
    running_seconds: Optional[float] = None
    #: Its jobs suspend after this many seconds of running and wait ``suspend_seconds``.
    suspend_after: Optional[float] = None
    suspend_seconds: float = 10.0
    #: Every job of it ends Faulted with this fault.
    fault: Optional[JobFault] = None
    #: Activity lines each of its jobs writes to the robot log over its running time.
    log_lines: int = 12
    #: Its package's entry points, the default first (``SupportsMultipleEntryPoints`` when
    #: more than one); empty: one "Main.xaml" with ``arguments_input`` / ``arguments_output``.
    entry_points: tuple = ()
    #: Its jobs' string output arguments are long: more than 10,000 characters in all.
    large_output: bool = False

    @property
    def supports_multiple_entry_points(self) -> bool:
        return len(self.entry_points) > 1

    def entry_point_list(self) -> tuple:
        """Its ``EntryPoint`` s, the default first."""
        return self.entry_points or (EntryPoint("Main.xaml", self.arguments_input,
                                                self.arguments_output),)

    def entry_point(self, path: str) -> Optional[EntryPoint]:
        """The entry point with this path (``/`` or ``\\`` separators, any case), or None."""
        wanted = path.strip().replace("\\", "/").lower()
        return next((e for e in self.entry_point_list()
                     if e.path.replace("\\", "/").lower() == wanted), None)


@dataclass
class Attachment:
    """A job attachment: its blob holds ``content`` once uploaded; ``secret`` signs its
    blob URL (a SAS-like ``sig``)."""

    id: str
    name: str
    folder_id: int
    created_at: float
    secret: str
    content: Optional[bytes] = None


@dataclass(frozen=True)
class Alert:
    """What Orchestrator would raise as an alert: a job that stayed ``kind`` ("Pending" or
    "Running") longer than its start's ``AlertPendingExpression`` / ``AlertRunningExpression``."""

    job_id: int
    folder_id: int
    kind: str
    raised_at: float
    message: str


#: Output arguments longer than this are kept in an attachment (``JobDto.OutputFile``).
MAX_INLINE_OUTPUT = 10_000


def arguments_json(arguments: list, *, pretty: bool = False) -> Optional[str]:
    """``Arguments.Input``/``Output`` text for ``[{"name", "type", ...}, ...]`` (None if empty)."""
    if not arguments:
        return None
    if pretty:
        return json.dumps(arguments, indent=2).replace("\n", "\r\n")
    return json.dumps(arguments, separators=(",", ":"))


class Tenant:
    """All mutable sandbox state for the one demo tenant."""

    def __init__(self, config: SandboxConfig, clock: Callable[[], float] = time.time) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.job_pending_seconds = config.job_pending_seconds
        self.job_running_seconds = config.job_running_seconds
        self.stop_seconds = config.stop_seconds
        #: Real seconds per second of a Stop/Kill/Alert expression (new jobs).
        self.expression_seconds = config.expression_seconds
        self.tokens = TokenStore(config.token_lifetime, DEMO.personal_access_token, clock)
        self.jobs_limiter = RateLimiter(config.jobs_rate_limit,
                                        used_by_others=config.jobs_rate_used_by_others)
        self.queue_items_limiter = RateLimiter(config.queue_items_rate_limit)
        self.folders: dict[int, Folder] = {}
        self.robots: dict[int, Robot] = {}
        self.environments: dict[int, Environment] = {}
        self.releases: dict[int, Release] = {}
        #: Modern folder id -> ids of its robot users.
        self.folder_robots: dict[int, list] = {}
        self.jobs: dict[int, Job] = {}
        #: Job attachments (``/odata/Attachments``) by id.
        self.attachments: dict[str, Attachment] = {}
        #: Alerts raised for jobs that stayed Pending / Running too long, oldest first.
        self.alerts: list[Alert] = []
        self.machine_ids: dict[str, int] = {}
        #: Modern machines' runtime slots: machine name -> {RuntimeType: count}.
        self.machine_runtimes: dict[str, dict] = {}
        self._cache: dict = {}
        self._random = random.Random(config.seed)
        #: Queues and their items (``tui_app.sandbox.queues``).
        self.queues = QueueBook(config.item_processing_seconds, self.new_key)
        self._job_ids = itertools.count(10001)
        #: Jobs not yet final, oldest first.
        self._active: list = []
        #: Jobs' own events: a heap of (time, order, job); an entry is stale when the job's
        #: ``next_event()`` no longer matches it.
        self._events: list = []
        self._event_order = itertools.count()
        #: Robot id -> the job holding it.
        self._running: dict = {}
        #: Jobs waiting for a robot, grouped by (candidates, RuntimeType, folder id): each
        #: group maps job id -> (queue order, job), oldest first.
        self._queues: dict = {}
        self._queue_order = itertools.count()

    # ------------------------------------------------------------------ identifiers

    def new_key(self) -> str:
        """A random (seeded) version-4 GUID."""
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    @staticmethod
    def session_id(robot: Robot) -> int:
        """The id of a robot's host session (``SessionDto.Id``, ``MachineSessionIds``)."""
        return SESSION_ID_OFFSET + robot.id

    def machine_id(self, machine_name: str) -> int:
        return self.machine_ids.setdefault(machine_name, 1001 + len(self.machine_ids))

    @staticmethod
    def machine_key(machine_name: str) -> str:
        """A stable GUID for a machine name."""
        return str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{machine_name.lower()}.sandbox.local"))

    def _next_id(self, table: dict, start: int) -> int:
        return max(table, default=start - 1) + 1

    def cached(self, key: object, build: Callable[[], T]) -> T:
        """``build()``'s result, kept until the next mutator call."""
        if key not in self._cache:
            self._cache[key] = build()
        return cast(T, self._cache[key])  # a key always names the same builder

    def _changed(self) -> None:
        self._cache.clear()

    # ------------------------------------------------------------------ lookups

    def folder_by_path(self, path: str) -> Optional[Folder]:
        """The folder with this fully qualified name (one leading "/" allowed, no trailing)."""
        wanted = path.strip().lower()
        wanted = wanted[1:] if wanted.startswith("/") else wanted
        if not wanted or wanted.endswith("/"):
            return None
        for folder in self.folders.values():
            if folder.fully_qualified_name.lower() == wanted:
                return folder
        return None

    def folder_by_key(self, key: str) -> Optional[Folder]:
        wanted = key.strip().strip("{}").lower()
        return next((f for f in self.folders.values() if f.key.lower() == wanted), None)

    def releases_in(self, folder: Folder) -> list:
        return [r for r in self.releases.values() if r.folder_id == folder.id]

    def find_release(self, folder: Folder, *, key: Optional[str] = None,
                     name: Optional[str] = None) -> Optional[Release]:
        for release in self.releases_in(folder):
            if key is not None and release.key.lower() == key.lower():
                return release
            if key is None and name is not None and release.name.lower() == name.lower():
                return release
        return None

    def environments_in(self, folder: Folder) -> list:
        return [e for e in self.environments.values() if e.folder_id == folder.id]

    def robots_of(self, ids: list) -> list:
        return [self.robots[i] for i in ids if i in self.robots]

    def robots_in_folder(self, folder: Folder) -> list:
        """Classic: the robots of the folder's environments; modern: its robot users."""
        if not folder.classic:
            return self.robots_of(self.folder_robots.get(folder.id, []))
        ids = dict.fromkeys(i for e in self.environments_in(folder) for i in e.robot_ids)
        return self.robots_of(list(ids))

    def environment_names(self, robot_id: int) -> list:
        """Names of the environments a classic robot belongs to."""
        def build() -> dict:
            names: dict = {}
            for environment in self.environments.values():
                for member in environment.robot_ids:
                    names.setdefault(member, []).append(environment.name)
            return names

        return self.cached("environment names", build).get(robot_id, [])

    def robots_for_release(self, release: Release) -> list:
        """The robots that may run ``release``."""
        environment = self.environments.get(release.environment_id or -1)
        if environment is not None:
            return self.robots_of(environment.robot_ids)
        return self.robots_in_folder(self.folders[release.folder_id])

    def busy_robot_ids(self) -> set:
        """Ids of robots that are running a job (as of the last ``advance``)."""
        return set(self._running)

    @staticmethod
    def session_state(robot: Robot, busy_robot_ids: set) -> str:
        """The robot's reported state; an Available robot running a job reports Busy."""
        if robot.state == "Available" and robot.id in busy_robot_ids:
            return "Busy"
        return robot.state

    def jobs_in(self, folder: Folder) -> list:
        return [j for j in self.jobs.values() if j.folder_id == folder.id]

    def job_by_key(self, folder: Folder, key: str) -> Optional[Job]:
        wanted = key.strip().strip("{}").lower()
        return next((j for j in self.jobs_in(folder) if j.key == wanted), None)

    # ------------------------------------------------------------------ jobs

    def new_job(self, release: Release, candidates: tuple, *, batch_execution_key: str,
                input_arguments: Optional[str], reference: Optional[str], source: str,
                runtime_type: str, job_priority: str, specific_priority_value: Optional[int],
                pending_reasons: tuple = (), entry_point: Optional[EntryPoint] = None,
                input_file: Optional[str] = None, limits: JobLimits = NO_LIMITS) -> Job:
        """Create a Pending job of ``release`` that any robot in ``candidates`` may run, at
        ``entry_point`` (default: the release's own); ``input_arguments`` came from the
        attachment ``input_file`` when that is set; ``limits`` in expression seconds."""
        job_id = next(self._job_ids)
        arguments = {}
        for text in (release.input_arguments, input_arguments):
            try:
                values = json.loads(text) if text else {}
            except ValueError:
                values = {}
            if isinstance(values, dict):
                arguments.update(values)
        now = self.clock()
        running = (self.job_running_seconds if release.running_seconds is None
                   else release.running_seconds)
        entry = entry_point or release.entry_point_list()[0]
        scale = self.expression_seconds

        def scaled(value: Optional[float]) -> Optional[float]:
            return None if value is None else value * scale
        job = Job(
            id=job_id, key=self.new_key(), folder_id=release.folder_id, release_id=release.id,
            release_name=release.name, batch_execution_key=batch_execution_key,
            created_at=now, eligible_at=now + self.job_pending_seconds,
            running_seconds=running, stop_seconds=self.stop_seconds, candidates=candidates,
            input_arguments=input_arguments,
            fault=release.fault or input_fault(arguments),
            output_arguments=demo_outputs(entry.arguments_output, job_id,
                                          release.large_output),
            reference=reference, source=source, runtime_type=runtime_type,
            job_priority=job_priority, specific_priority_value=specific_priority_value,
            entry_point_path=entry.path,
            requires_user_interaction=release.requires_user_interaction,
            suspend_after=release.suspend_after, suspend_seconds=release.suspend_seconds,
            pending_reasons=pending_reasons, log_lines=release.log_lines, input_file=input_file,
            stop_after=scaled(limits.stop_after), auto_stop_strategy=limits.stop_strategy,
            kill_after=scaled(limits.kill_after),
            alert_pending_after=scaled(limits.alert_pending_after),
            alert_running_after=scaled(limits.alert_running_after))
        self.jobs[job.id] = job
        self._active.append(job)
        self._track(job)
        return job

    def pending_on(self, release: Release, robots: list) -> bool:
        """Whether one of ``robots`` has a Pending job of ``release`` bound to it."""
        ids = {robot.id for robot in robots}
        return any(job.state == "Pending" and job.release_id == release.id
                   and len(job.candidates) == 1 and job.candidates[0] in ids
                   for job in self._active)

    # ------------------------------------------------------------------ time

    def slots(self, robot: Robot, runtime_type: str) -> int:
        """Runtime slots of ``runtime_type`` on a modern robot's machine."""
        return self.machine_runtimes.get(robot.machine_name, {}).get(runtime_type, 0)

    def used_slots(self) -> dict:
        """(machine name, RuntimeType) -> slots in use: running jobs, and a Busy robot's other
        work (one Unattended slot)."""
        used: dict = {}
        for job in self._running.values():
            key = (job.host_machine_name, job.runtime_type)
            used[key] = used.get(key, 0) + 1
        for robot in self.robots.values():
            if robot.state == "Busy":
                key = (robot.machine_name, "Unattended")
                used[key] = used.get(key, 0) + 1
        return used

    def _track(self, job: Job) -> None:
        """Record what a job's change means: its next event, the robot it holds, the queue."""
        at = job.next_event()
        if at is not None:
            heapq.heappush(self._events, (at, next(self._event_order), job))
        if job.holds_robot:
            self._running[job.robot_id] = job
        elif self._running.get(job.robot_id) is job:
            del self._running[job.robot_id]
        group = (job.candidates, job.runtime_type, job.folder_id)
        if job.waiting:
            self._queues.setdefault(group, {}).setdefault(job.id, (next(self._queue_order), job))
        elif job.id in self._queues.get(group, {}):
            del self._queues[group][job.id]
            if not self._queues[group]:
                del self._queues[group]

    def _next_robot(self, now: float) -> tuple:
        """(time, robot) of the first robot timer due by ``now``, or (None, None)."""
        best: tuple = (None, None)
        for robot in self.robots.values():
            at = robot.timer()
            if at is not None and at <= now and (best[0] is None or at < best[0]):
                best = (at, robot)
        return best

    def _next_job(self, now: float) -> Optional[float]:
        """When the first job event due by ``now`` happens (stale heap entries dropped)."""
        events = self._events
        while events and events[0][2].next_event() != events[0][0]:
            heapq.heappop(events)
        return events[0][0] if events and events[0][0] <= now else None

    def advance(self, now: float) -> None:
        """Replay every job and robot event due by ``now``, dispatching after each one."""
        with self.lock:
            while True:
                robot_at, robot = self._next_robot(now)
                job_at = self._next_job(now)
                if robot is not None and (job_at is None or robot_at <= job_at):
                    robot.state, robot.busy_until, robot.reconnect_at = "Available", None, None
                    self._dispatch(robot_at)
                elif job_at is not None:
                    job = heapq.heappop(self._events)[2]
                    job.apply(job_at)
                    self._track(job)
                    if job.state == "Successful":
                        self._store_output(job, job_at)
                    self._dispatch(job_at)
                    if job.waiting:
                        self._wait_on(job, job_at)
                else:
                    break
            self._dispatch(now)
            self._raise_alerts(now)
            self.queues.advance(now, self._queue_robot)
            self._active = [job for job in self._active if not job.is_final]

    def _queue_robot(self, release_id: int) -> Optional[Robot]:
        """The robot that processes the items of a queue ``release_id`` consumes."""
        release = self.releases.get(release_id)
        robots = self.robots_for_release(release) if release is not None else []
        return next((robot for robot in robots if robot.takes_unattended), None)

    def _store_output(self, job: Job, at: float) -> None:
        """Output arguments over ``MAX_INLINE_OUTPUT`` characters go to an attachment."""
        text = job.output_arguments
        if text is None or len(text) <= MAX_INLINE_OUTPUT or job.output_file is not None:
            return
        attachment = self.add_attachment("output.json", job.folder_id, at,
                                         attachment_id=str(uuid.uuid5(uuid.NAMESPACE_URL,
                                                                      f"output:{job.key}")))
        attachment.content = text.encode("utf-8")
        job.output_file = attachment.id

    def _raise_alerts(self, now: float) -> None:
        """An alert for each job that stayed Pending / Running past its threshold."""
        for job in self._active:
            left_pending = next((at for at, state in job.history if state != "Pending"), now)
            limit = job.alert_pending_after
            if (limit is not None and "Pending" not in job.alerted
                    and left_pending > job.created_at + limit):
                self._alert(job, "Pending", job.created_at + limit)
            limit = job.alert_running_after
            if (limit is not None and job.started_at is not None
                    and "Running" not in job.alerted
                    and (job.ended_at or now) > job.started_at + limit):
                self._alert(job, "Running", job.started_at + limit)

    def _alert(self, job: Job, kind: str, at: float) -> None:
        job.alerted.add(kind)
        seconds = (job.alert_pending_after if kind == "Pending" else job.alert_running_after) or 0
        self.alerts.append(Alert(job.id, job.folder_id, kind, at,
                                 f"Job {job.id} of {job.release_name} has been {kind} for more "
                                 f"than {seconds:g} seconds."))

    def _wait_on(self, job: Job, at: float) -> None:
        """A job starts waiting: start the "some seconds later" timers of its robots."""
        for robot in self.robots_of(list(job.candidates)):
            if robot.state == "Busy" and robot.busy_until is None and robot.free_after is not None:
                robot.busy_until = at + robot.free_after
            if (robot.state == "Disconnected" and robot.reconnect_at is None
                    and robot.reconnect_after is not None):
                robot.reconnect_at = at + robot.reconnect_after

    def _dispatch(self, at: float) -> None:
        """Start waiting jobs on free candidate robots (with a free runtime slot of the job's
        type on the robot's machine, in modern folders): the groups of jobs with the same
        candidates in the order of their oldest job, each group oldest first."""
        if not self._queues:
            return
        free = {robot.id for robot in self.robots.values()
                if robot.state == "Available" and not robot.maintenance
                and robot.id not in self._running}
        if not free:
            return
        used = self.used_slots()
        heads = sorted((next(iter(queue.values()))[0], group)
                       for group, queue in self._queues.items())
        for _, (candidates, runtime_type, folder_id) in heads:
            modern = not self.folders[folder_id].classic
            queue = self._queues[(candidates, runtime_type, folder_id)]
            while queue:  # a started job leaves it (and an empty queue leaves the groups)
                job = next(iter(queue.values()))[1]
                robot = self._free_robot(candidates, runtime_type, modern, free, used)
                if robot is None:
                    break
                free.discard(robot.id)
                job.start(robot.id, robot.name, robot.machine_name, at)
                self._track(job)
            if not free:
                return

    def _free_robot(self, candidates: tuple, runtime_type: str, modern: bool, free: set,
                    used: dict) -> Optional[Robot]:
        """The first free candidate (taking a runtime slot of its machine, if modern)."""
        for robot_id in candidates:
            robot = self.robots.get(robot_id)
            if robot is None or robot_id not in free:
                continue
            slot = (robot.machine_name, runtime_type)
            if modern and used.get(slot, 0) >= self.slots(robot, runtime_type):
                continue
            used[slot] = used.get(slot, 0) + 1
            return robot
        return None

    def stop_job(self, job: Job, strategy: str, now: float) -> None:
        """A SoftStop or Kill request made at ``now``."""
        with self.lock:
            self.advance(now)
            job.request_stop(strategy, now)
            self._track(job)
            self.advance(now)

    def resume_job(self, job: Job, now: float) -> bool:
        """``ResumeJob`` at ``now``: a Suspended job resumes; False if it is not Suspended."""
        with self.lock:
            self.advance(now)
            resumed = job.resume(now)
            self._track(job)
            self.advance(now)
            if job.waiting:
                self._wait_on(job, now)
            return resumed

    # ------------------------------------------------------------------ mutators

    def add_folder(self, display_name: str, parent_id: Optional[int] = None,
                   classic: bool = False, *, folder_id: Optional[int] = None,
                   key: Optional[str] = None) -> Folder:
        with self.lock:
            self._changed()
            parent = self.folders[parent_id] if parent_id is not None else None
            name = (f"{parent.fully_qualified_name}/{display_name}" if parent
                    else display_name)
            folder = Folder(folder_id or self._next_id(self.folders, 1), key or self.new_key(),
                            display_name, name, classic, parent_id)
            self.folders[folder.id] = folder
            if not classic:
                self.folder_robots.setdefault(folder.id, [])
            return folder

    def add_environment(self, folder_id: int, name: str, *, environment_id: Optional[int] = None,
                        description: str = "") -> Environment:
        with self.lock:
            self._changed()
            if not self.folders[folder_id].classic:
                raise ValueError("environments exist only in classic folders")
            environment = Environment(environment_id or self._next_id(self.environments, 11),
                                      folder_id, name, [], description)
            self.environments[environment.id] = environment
            return environment

    def add_robot(self, name: str, machine_name: str, state: str = "Available", *,
                  folder_id: Optional[int] = None, environment_id: Optional[int] = None,
                  robot_id: Optional[int] = None, robot_type: str = "Unattended",
                  has_credentials: bool = True, runtimes: Optional[dict] = None,
                  machine_template: Optional[str] = None, maintenance: bool = False,
                  **timers: Optional[float]) -> Robot:
        """A robot user of modern folder ``folder_id`` or a member of ``environment_id``;
        ``runtimes`` (modern) set its machine's slots, ``machine_template`` names the machine
        template its host belongs to, ``maintenance`` puts its host session in maintenance
        mode; ``timers`` are Robot timer fields."""
        if state not in ROBOT_STATES:
            raise ValueError(f"state must be one of {', '.join(ROBOT_STATES)}")
        if (folder_id is None) == (environment_id is None):
            raise ValueError("give exactly one of folder_id (modern) or environment_id (classic)")
        with self.lock:
            self._changed()
            robot_id = robot_id or self._next_id(self.robots, 101)
            classic = environment_id is not None
            robot = Robot(robot_id, name, machine_name, self.machine_id(machine_name), state,
                          username=f"SANDBOX\\{name.lower()}" if classic else None,
                          user_id=None if classic else 2000 + robot_id, type=robot_type,
                          has_credentials=has_credentials, machine_template=machine_template,
                          maintenance=maintenance, **timers)
            self.robots[robot.id] = robot
            if not classic and (runtimes is not None
                                or machine_name not in self.machine_runtimes):
                self.machine_runtimes[machine_name] = dict(
                    DEFAULT_RUNTIMES if runtimes is None else runtimes)
            if environment_id is not None:
                self.environments[environment_id].robot_ids.append(robot.id)
            elif folder_id is not None:
                if self.folders[folder_id].classic:
                    raise ValueError("robot users belong to modern folders")
                self.folder_robots.setdefault(folder_id, []).append(robot.id)
            return robot

    def rename_robot(self, robot_id: int, name: str) -> Robot:
        with self.lock:
            self._changed()
            robot = self.robots[robot_id]
            robot.name = name
            return robot

    def set_robot_state(self, robot_id: int, state: str) -> Robot:
        if state not in ROBOT_STATES:
            raise ValueError(f"state must be one of {', '.join(ROBOT_STATES)}")
        with self.lock:
            self._changed()
            now = self.clock()
            self.advance(now)
            robot = self.robots[robot_id]
            robot.state, robot.busy_until, robot.reconnect_at = state, None, None
            self.advance(now)
            return robot

    def remove_robot(self, robot_id: int) -> None:
        """Forget a robot everywhere (its past jobs keep their host machine name)."""
        with self.lock:
            self._changed()
            del self.robots[robot_id]
            for environment in self.environments.values():
                if robot_id in environment.robot_ids:
                    environment.robot_ids.remove(robot_id)
            for ids in self.folder_robots.values():
                if robot_id in ids:
                    ids.remove(robot_id)

    def add_release(self, folder_id: int, name: str, process_key: str,
                    process_version: str = "1.0.0", **fields: Any) -> Release:
        """A release in ``folder_id``; ``fields`` are other Release fields."""
        with self.lock:
            self._changed()
            if "id" not in fields:
                fields["id"] = self._next_id(self.releases, 1)
            if "key" not in fields:
                fields["key"] = self.new_key()
            if "created_at" not in fields:
                fields["created_at"] = self.clock()
            release = Release(name=name, folder_id=folder_id, process_key=process_key,
                              process_version=process_version, **fields)
            self.releases[release.id] = release
            return release

    def update_release(self, release_id: int, **changes: Any) -> Release:
        with self.lock:
            self._changed()
            release = dataclasses.replace(self.releases[release_id], **changes)
            self.releases[release_id] = release
            return release

    def set_maintenance(self, robot_id: int, enabled: bool) -> Robot:
        """Put a modern robot's host session in maintenance mode (no new jobs) or out of it."""
        with self.lock:
            self._changed()
            now = self.clock()
            self.advance(now)
            robot = self.robots[robot_id]
            robot.maintenance = enabled
            self.advance(now)
            return robot

    def attachment(self, key: object, folder_id: int) -> Optional[Attachment]:
        """The attachment with this id (any case, braces allowed) in the folder, or None."""
        found = self.attachments.get(str(key).strip().strip("{}'").lower())
        return found if found is not None and found.folder_id == folder_id else None

    def add_attachment(self, name: str, folder_id: int, at: Optional[float] = None, *,
                       attachment_id: Optional[str] = None) -> Attachment:
        """A new attachment without content (its blob is uploaded later)."""
        with self.lock:
            attachment = Attachment(attachment_id or self.new_key(), name, folder_id,
                                    self.clock() if at is None else at,
                                    uuid.UUID(int=self._random.getrandbits(128)).hex)
            self.attachments[attachment.id] = attachment
            return attachment

    def add_queue(self, folder_id: int, name: str, **fields: Any) -> QueueDefinition:
        """A queue in ``folder_id``; ``fields`` are other QueueDefinition fields."""
        with self.lock:
            self._changed()
            book = self.queues.definitions
            if "id" not in fields:
                fields["id"] = self._next_id(book, 1)
            if "key" not in fields:  # (seeded queues draw no random key: job keys stay put)
                fields["key"] = self.new_key()
            if "created_at" not in fields:
                fields["created_at"] = self.clock()
            queue = QueueDefinition(name=name, folder_id=folder_id, **fields)
            book[queue.id] = queue
            return queue

    def remove_release(self, release_id: int) -> None:
        with self.lock:
            self._changed()
            del self.releases[release_id]

    def set_token_lifetime(self, seconds: float) -> None:
        """Lifetime of tokens issued from now on."""
        self.tokens.lifetime = seconds

    def expire_tokens(self) -> None:
        """Make every issued token expire now (the personal access token stays valid)."""
        self.tokens.expire_all()

    @property
    def jobs_rate_limit(self) -> int:
        return self.jobs_limiter.limit

    @jobs_rate_limit.setter
    def jobs_rate_limit(self, limit: int) -> None:
        self.jobs_limiter.limit = limit
