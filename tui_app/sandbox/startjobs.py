"""StartJobs: validate a request the way Orchestrator does, then create the jobs.

Property names bind case-insensitively; every ``StartProcessDto`` property of v20 is accepted,
any other is a 400 naming it. Enums accept names (any case) or numbers (Strategy All=0 …
ModernJobsCount=4, JobPriority Low=0 … High=2, Source and RuntimeType by their spec order).
The release is found by ``ReleaseKey``, else by ``ReleaseName``, in the request's folder.

Strategies. Classic folders: ``Specific`` (non-empty ``RobotIds`` from the release's
environment: one job bound to each), ``JobsCount`` (``JobsCount`` >= 1), ``All`` (one job bound
to each environment robot), ``RobotCount`` (deprecated; ``NoOfRobots`` >= 1 jobs); no Strategy
is a 400. Modern folders: ``ModernJobsCount`` (``JobsCount`` >= 1, optional ``RobotIds`` among
the folder's robot users, ``RuntimeType`` default Unattended); no Strategy means
ModernJobsCount with ``JobsCount`` when it is >= 1, else one job. Count-based jobs may run on
any of their candidate robots: the first one free takes the next job (``Tenant.advance``).
Robots that cannot take unattended jobs (attended types, no credentials) are never candidates.

Refusals and their ``errorCode``:

- confirmed: 409 **2818** "Could not find a machine with Unattended or NonProduction runtimes
  in the current folder" (modern, no machine with a runtime of the requested type; other types
  are named in the text), **1670** "The robots already have pending jobs for this Process"
  (classic ``Specific`` naming a robot that has a Pending job of this release; HTTP 409 is
  UNCONFIRMED), 404 **1002** (unknown release or input file);
- documented by name only, number UNCONFIRMED: 409 ``InvalidStartJobRobotIds`` =
  ``ROBOT_IDS_CODE`` (no robot that can take unattended jobs; a named robot not in the
  folder/environment, attended, or without credentials), 400 ``InvalidArgument`` = 1000 (both
  priorities, input file and input arguments; every other 400 uses 1000 too);
- UNCONFIRMED altogether: a foreground release (``RequiresUserInteraction``) on a Headless or
  Serverless runtime is 400 ``FOREGROUND_CODE``; a classic strategy in a modern folder and
  ModernJobsCount in a classic folder are 400; ``Specific`` with empty ``RobotIds`` and a count
  of 0 are 400; at most 10,000 jobs per request; ``InputArguments`` must be a JSON string
  (≤ 10,000 characters) holding a JSON object; a release's ``start_error`` is 409 / 1000;
  ``SpecificPriorityValue`` outside 1–100 (the spec's range) is 400 / 1000;
  ``EntryPointPath`` that is not one of the release's entry points (a release without several
  accepts only its own) is 400 ``EntryPointNotValidForRelease`` = ``ENTRY_POINT_CODE``; a
  ``MachineSessionIds`` id that is no host session of the release's robots is 404
  ``MachineSessionNotFound`` = ``MACHINE_SESSION_CODE``, and ``MachineSessionIds`` in a classic
  folder is 400 / 1000; named robots none of whose sessions is named are 409
  ``ROBOT_IDS_CODE``; a Stop/Kill/Alert expression that is not a whole number of seconds (a
  string, or a number) is 400 / 1000; an ``InputFile`` attachment whose content is not a
  UTF-8 JSON object is 400 / 1000 (its content replaces ``InputArguments``: no length limit).

A host session in maintenance mode, or disconnected, does not refuse: the job waits Pending
(``dispatch``). The job runs at ``EntryPointPath`` (default: the release's first entry point),
its ``SpecificPriorityValue`` is the one sent, else the release's when no ``JobPriority`` is
sent; the expressions become its ``JobLimits`` (``jobs``). The sandbox accepts v20's
``StartProcessDto`` on both URL shapes (``EntryPointPath``, ``ReleaseName``, ``InputFile`` too);
only the cloud shape can create the attachments ``InputFile`` names.

``restart`` (RestartJob) makes one new Pending job like a finished one: the same release
(as it is now), candidate robots, input arguments (and ``InputFile``), entry point,
``Reference`` (kept: UNCONFIRMED), runtime type and priority; ``Source`` Manual, a new key and
batch key; not the stop/kill/alert settings (UNCONFIRMED).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any, Optional

from tui_app.sandbox import dispatch
from tui_app.sandbox.dtos import (
    JOB_PRIORITIES,
    ROBOT_TYPES,
    SOURCES,
    START_STRATEGIES,
    STOP_STRATEGIES,
)
from tui_app.sandbox.edm import EnumType
from tui_app.sandbox.jobs import NO_LIMITS, Job, JobLimits
from tui_app.sandbox.tenant import EntryPoint, Folder, Release, Robot, Tenant
from tui_app.sandbox.wire import ApiError, get_ci

MAX_INPUT_ARGUMENTS = 10_000
MAX_REFERENCE = 128
MAX_JOBS = 10_000
CLASSIC_STRATEGIES = ("All", "Specific", "RobotCount", "JobsCount")
#: Every ``StartProcessDto`` property of v20.
START_FIELDS = (
    "ReleaseKey", "ReleaseName", "Strategy", "RobotIds", "MachineSessionIds", "NoOfRobots",
    "JobsCount", "Source", "JobPriority", "SpecificPriorityValue", "RuntimeType",
    "InputArguments", "InputFile", "EnvironmentVariables", "Reference", "MachineRobots",
    "Attachments", "TargetFramework", "ResumeOnSameContext", "BatchExecutionKey",
    "RequiresUserInteraction", "StopProcessExpression", "StopStrategy", "KillProcessExpression",
    "RemoteControlAccess", "AlertPendingExpression", "AlertRunningExpression", "RunAsMe",
    "ParentOperationId", "AutopilotForRobots", "ProfilingOptions", "FpsContext", "FpsProperties",
    "TraceId", "ParentSpanId", "RootSpanId", "EntryPointPath", "VideoRecordingSettings",
    "MachineInfraTarget")
_KNOWN_FIELDS = frozenset(name.lower() for name in START_FIELDS)

#: ``InvalidStartJobRobotIds`` (the number is UNCONFIRMED).
ROBOT_IDS_CODE = 2810
#: A foreground process on a Headless/Serverless runtime (status and number UNCONFIRMED).
FOREGROUND_CODE = 2811
NO_RUNTIME_CODE = 2818
PENDING_LIMIT_CODE = 1670
#: ``EntryPointNotValidForRelease`` (HTTP 400 and the number are UNCONFIRMED).
ENTRY_POINT_CODE = 2812
#: ``MachineSessionNotFound`` (HTTP 404 and the number are UNCONFIRMED).
MACHINE_SESSION_CODE = 2813
#: ``InvalidArgument`` answers (the number 1000 is UNCONFIRMED; the name is from the docs).
INVALID_ARGUMENT_CODE = 1000
#: The Stop/Kill/Alert "Expression" fields: seconds, as a string.
EXPRESSIONS = ("StopProcessExpression", "KillProcessExpression", "AlertPendingExpression",
               "AlertRunningExpression")

NO_ROBOT = "Couldn't find any user with unattended robot permissions in the current folder."
UNKNOWN_ROBOT = "Couldn't find the specified unattended user/robot in the current folder."
PENDING_LIMIT = "The robots already have pending jobs for this Process"


def _invalid(message: str) -> ApiError:
    return ApiError(400, message, INVALID_ARGUMENT_CODE)


def _integer(info: dict, name: str) -> Optional[int]:
    value = get_ci(info, name)
    if value is None:
        return None
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(f"The value {json.dumps(value)} is not valid for {name}: expected an "
                       "integer.")
    return value


def _integers(info: dict, name: str) -> list:
    values = get_ci(info, name)
    if values is None:
        return []
    if not isinstance(values, list):
        raise _invalid(f"{name} must be an array of integers.")
    return [_integer({name: value}, name) for value in values]


def _member(info: dict, name: str, enum: EnumType) -> Optional[str]:
    value = get_ci(info, name)
    if value is None:
        return None
    member = enum.member(value) if isinstance(value, (str, int)) else None
    if member is None:
        raise _invalid(f"The value {json.dumps(value)} is not valid for {name}. Valid values: "
                       f"{', '.join(enum.members)}.")
    return member


def _text(info: dict, name: str, limit: int) -> Optional[str]:
    value = get_ci(info, name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _invalid(f"{name} must be a string.")
    if len(value) > limit:
        raise _invalid(f"The field {name} must be a string with a maximum length of {limit:,} "
                       f"(it has {len(value):,} characters).")
    return value


def _input_arguments(info: dict) -> Optional[str]:
    value = get_ci(info, "InputArguments")
    if value is not None and not isinstance(value, str):
        kinds: dict[type, str] = {dict: "object", list: "array"}
        kind = kinds.get(type(value), "number or boolean")
        raise _invalid(f"InputArguments must be a string containing a JSON object (for example "
                       f"\"{{\\\"Name\\\":\\\"Ada\\\"}}\"), not a JSON {kind}.")
    text = _text(info, "InputArguments", MAX_INPUT_ARGUMENTS)
    if text is None:
        return None
    try:
        parsed = json.loads(text)
    except ValueError as exc:
        raise _invalid(f"InputArguments is not valid JSON: {exc}.") from exc
    if not isinstance(parsed, dict):
        raise _invalid("InputArguments must be a JSON object of argument names and values.")
    return text


def _release(info: dict, folder: Folder, tenant: Tenant) -> Release:
    key = get_ci(info, "ReleaseKey")
    name = get_ci(info, "ReleaseName")
    if not key and not name:
        raise _invalid("ReleaseKey or ReleaseName is required.")
    release = (tenant.find_release(folder, key=str(key)) if key
               else tenant.find_release(folder, name=str(name)))
    if release is None:
        what = f"key {key}" if key else f"name '{name}'"
        raise ApiError(404, f"The process with {what} does not exist in folder "
                            f"'{folder.fully_qualified_name}'.", 1002)
    return release


def _count(info: dict, name: str, strategy: str) -> int:
    count = _integer(info, name)
    if count is None or count < 1:
        raise _invalid(f"{name} must be greater than 0 when Strategy is {strategy}.")
    if count > MAX_JOBS:
        raise _invalid(f"{name} must be at most {MAX_JOBS:,}.")
    return count


@dataclass(frozen=True)
class StartRequest:
    """A StartJobs body that passed the request-shape checks (what ValidateDynamicJob sees)."""

    folder: Folder
    release: Release
    strategy: Optional[str]
    runtime_type: str
    source: str
    priority: Optional[str]
    specific_priority: Optional[int]
    reference: Optional[str]
    input_arguments: Optional[str]
    batch_key: Optional[str]
    #: ``RobotIds`` without repeats, in the order given.
    robot_ids: tuple
    #: Jobs to create for a count strategy (None for ``Specific`` / ``All``).
    count: Optional[int]
    #: ``EntryPointPath``'s entry point (None: the release's default).
    entry_point: Optional[EntryPoint] = None
    #: ``MachineSessionIds`` without repeats (modern folders): the hosts the jobs may run on.
    session_ids: tuple = ()
    #: ``InputFile``: the attachment id (its content is ``input_arguments``).
    input_file: Optional[str] = None
    limits: JobLimits = NO_LIMITS


def _entry_point(info: dict, release: Release) -> Optional[EntryPoint]:
    """``EntryPointPath``: one of the release's entry points (refused otherwise)."""
    path = get_ci(info, "EntryPointPath")
    if path is None:
        return None
    entry = release.entry_point(path) if isinstance(path, str) else None
    if entry is None:
        paths = ", ".join(e.path for e in release.entry_point_list())
        raise ApiError(400, f"The entry point {json.dumps(path)} is not valid for the process "
                            f"{release.name}: use one of {paths}.", ENTRY_POINT_CODE)
    return entry


def _session_ids(info: dict, folder: Folder, release: Release, tenant: Tenant) -> tuple:
    """``MachineSessionIds``: host sessions of robots that may run the release."""
    ids = tuple(dict.fromkeys(_integers(info, "MachineSessionIds")))
    if not ids:
        return ()
    if folder.classic:
        raise _invalid("MachineSessionIds is only available in modern folders.")
    known = {tenant.session_id(robot) for robot in tenant.robots_for_release(release)}
    unknown = [str(session) for session in ids if session not in known]
    if unknown:
        raise ApiError(404, f"Machine session {', '.join(unknown)} was not found in folder "
                            f"'{folder.fully_qualified_name}'.", MACHINE_SESSION_CODE)
    return ids


def _seconds(info: dict, name: str) -> Optional[float]:
    """A Stop/Kill/Alert expression: a whole number of seconds, as a string (or a number)."""
    value = get_ci(info, name)
    if value is None:
        return None
    text = str(value).strip() if isinstance(value, (str, int)) else ""
    if isinstance(value, bool) or not text.isdigit():
        raise _invalid(f"The value {json.dumps(value)} is not valid for {name}: expected a "
                       "number of seconds (a whole number, 0 or more) as a string.")
    return float(text)


def _limits(info: dict) -> JobLimits:
    stop, kill, pending, running = (_seconds(info, name) for name in EXPRESSIONS)
    return JobLimits(stop, _member(info, "StopStrategy", STOP_STRATEGIES), kill, pending,
                     running)


def _input_file(info: dict, folder: Folder, tenant: Tenant) -> tuple:
    """(attachment id, its content) of ``InputFile``: 404 unless it exists, 400 unless its
    content is a JSON object of input arguments."""
    value = get_ci(info, "InputFile")
    if value is None:
        return None, None
    attachment = tenant.attachment(value, folder.id)
    if attachment is None:
        raise ApiError(404, f"The input file attachment {value} does not exist.", 1002)
    try:
        parsed = json.loads((attachment.content or b"").decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        parsed = None
    if not isinstance(parsed, dict):  # the refusal's wording and code are UNCONFIRMED
        raise _invalid(f"The input file attachment {attachment.id} must hold a JSON object of "
                       "argument names and values (UTF-8).")
    return attachment.id, json.dumps(parsed, ensure_ascii=False, separators=(",", ":"))


def _strategy_shape(info: dict, strategy: Optional[str], folder: Folder) -> tuple:
    """(RobotIds, count) as the strategy needs them; 400 when they do not fit."""
    robot_ids = tuple(dict.fromkeys(_integers(info, "RobotIds")))
    if folder.classic:
        if strategy is None:
            raise _invalid("Strategy is required for a process in a classic folder: use All, "
                           "Specific, JobsCount or RobotCount.")
        if strategy not in CLASSIC_STRATEGIES:
            raise _invalid(f"The {strategy} strategy is only available in modern folders; in "
                           "a classic folder use All, Specific, JobsCount or RobotCount.")
        if strategy == "Specific":
            if not robot_ids:
                raise _invalid("RobotIds must name at least one robot when Strategy is "
                               "Specific.")
            return robot_ids, None
        if strategy == "JobsCount":
            return (), _count(info, "JobsCount", strategy)
        if strategy == "RobotCount":
            return (), _count(info, "NoOfRobots", strategy)
        return (), None
    if strategy in CLASSIC_STRATEGIES:
        raise _invalid(f"The {strategy} strategy is only available in classic folders; in a "
                       "modern folder use ModernJobsCount (optionally with RobotIds).")
    if strategy is None:
        count = _integer(info, "JobsCount")
        return robot_ids, min(count, MAX_JOBS) if count and count > 0 else 1
    return robot_ids, _count(info, "JobsCount", strategy)


def parse_start(body: Any, folder: Folder, tenant: Tenant) -> StartRequest:
    """The request-shape checks of StartJobs (400 and 404 answers)."""
    info = get_ci(body, "startInfo") if isinstance(body, dict) else None
    if not isinstance(info, dict):
        raise _invalid("startInfo is required: the body must be {\"startInfo\": {...}}.")
    for name in info:
        if not isinstance(name, str) or name.lower() not in _KNOWN_FIELDS:
            raise _invalid(f"The property '{name}' does not exist on type "
                           "'UiPath.Server.Configuration.OData.StartProcessDto'. Make sure to "
                           "only use property names that are defined by the type.")
    strategy = _member(info, "Strategy", START_STRATEGIES)
    runtime_type = _member(info, "RuntimeType", ROBOT_TYPES) or "Unattended"
    source = _member(info, "Source", SOURCES) or "Manual"
    priority = _member(info, "JobPriority", JOB_PRIORITIES)
    specific_priority = _integer(info, "SpecificPriorityValue")
    if specific_priority is not None and not 1 <= specific_priority <= 100:
        # The spec's minimum/maximum; the wording and the number are UNCONFIRMED.
        raise _invalid("The field SpecificPriorityValue must be between 1 and 100.")
    reference = _text(info, "Reference", MAX_REFERENCE)
    input_arguments = _input_arguments(info)
    release = _release(info, folder, tenant)
    if get_ci(info, "InputFile") is not None and input_arguments is not None:
        raise _invalid("A job cannot have both input file and input arguments.")
    if priority is not None and specific_priority is not None:
        raise _invalid("Cannot set a specific priority value when a standard job priority "
                       "setting is selected.")
    input_file, file_arguments = _input_file(info, folder, tenant)
    limits = _limits(info)
    entry_point = _entry_point(info, release)
    robot_ids, count = _strategy_shape(info, strategy, folder)
    return StartRequest(folder, release, strategy, runtime_type, source, priority,
                        specific_priority, reference, file_arguments or input_arguments,
                        _batch_key(info), robot_ids, count, entry_point,
                        _session_ids(info, folder, release, tenant), input_file, limits)


def _named(request: StartRequest, pool: list) -> list:
    """The robots ``RobotIds`` names; 409 unless each can take unattended jobs here."""
    by_id = {robot.id: robot for robot in pool}
    robots = [by_id.get(robot_id) for robot_id in request.robot_ids]
    if any(robot is None or not robot.takes_unattended for robot in robots):
        raise ApiError(409, UNKNOWN_ROBOT, ROBOT_IDS_CODE)
    return robots


def no_runtime_message(runtime_type: str) -> str:
    kinds = ("Unattended or NonProduction" if runtime_type in ("Unattended", "NonProduction")
             else runtime_type)
    return f"Could not find a machine with {kinds} runtimes in the current folder"


def _candidates(tenant: Tenant, request: StartRequest) -> list:
    """One tuple of candidate robot ids per job to create; the 409 refusals."""
    release = request.release
    if release.requires_user_interaction and request.runtime_type in dispatch.BACKGROUND_ONLY:
        raise ApiError(400, f"The process {release.name} requires user interaction (a "
                            f"foreground process) and cannot run on a {request.runtime_type} "
                            "runtime.", FOREGROUND_CODE)
    pool = tenant.robots_for_release(release)
    robots: list[Robot] = [robot for robot in pool if robot.takes_unattended]
    if request.robot_ids:
        robots = _named(request, pool)
    elif not robots:
        raise ApiError(409, NO_ROBOT, ROBOT_IDS_CODE)
    if request.session_ids:
        robots = dispatch.on_sessions(tenant, request, robots)
        if not robots:  # named robots none of whose sessions is named (UNCONFIRMED)
            raise ApiError(409, UNKNOWN_ROBOT, ROBOT_IDS_CODE)
    if request.folder.classic:
        if request.strategy == "Specific" and tenant.pending_on(release, robots):
            raise ApiError(409, PENDING_LIMIT, PENDING_LIMIT_CODE)
        if request.count is None:
            return [(robot.id,) for robot in robots]
    else:
        robots = [robot for robot in robots if tenant.slots(robot, request.runtime_type)]
        if not robots:
            raise ApiError(409, no_runtime_message(request.runtime_type), NO_RUNTIME_CODE)
    return [tuple(robot.id for robot in robots)] * (request.count or 1)


def _batch_key(info: dict) -> Optional[str]:
    value = get_ci(info, "BatchExecutionKey")
    if value is None:
        return None
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise _invalid(f"BatchExecutionKey {json.dumps(value)} is not a GUID.") from None


def start_jobs(body: Any, folder: Folder, tenant: Tenant) -> list:
    """Validate a StartJobs body for ``folder`` and create its Pending jobs (``Job`` list)."""
    tenant.advance(tenant.clock())
    request = parse_start(body, folder, tenant)
    release = request.release
    if release.start_error is not None:
        raise ApiError(409, release.start_error, 1000)
    candidates = _candidates(tenant, request)
    snapshots = dispatch.pending_snapshots(tenant, request, candidates)
    batch_key = request.batch_key or tenant.new_key()
    specific = request.specific_priority
    if specific is None and request.priority is None:
        specific = release.specific_priority_value
    return [
        tenant.new_job(release, robots, batch_execution_key=batch_key,
                       input_arguments=request.input_arguments, reference=request.reference,
                       source=request.source, runtime_type=request.runtime_type,
                       job_priority=request.priority or release.job_priority,
                       specific_priority_value=specific, pending_reasons=reasons,
                       entry_point=request.entry_point, input_file=request.input_file,
                       limits=request.limits)
        for robots, reasons in zip(candidates, snapshots)
    ]


def restart(tenant: Tenant, job: Job) -> Job:
    """RestartJob of a finished ``job``: its new Pending job (404 when its release is gone,
    409 when the release refuses starts)."""
    release = tenant.releases.get(job.release_id)
    folder = tenant.folders[job.folder_id]
    if release is None:
        raise ApiError(404, f"The process of job {job.id} ({job.release_name}) does not exist "
                            f"in folder '{folder.fully_qualified_name}' any more.", 1002)
    if release.start_error is not None:
        raise ApiError(409, release.start_error, 1000)
    candidates = job.start_candidates
    known = tuple(robot_id for robot_id in candidates if robot_id in tenant.robots)
    request = StartRequest(folder, release, None, job.runtime_type, "Manual",
                           job.job_priority, job.specific_priority_value, job.reference,
                           job.input_arguments, None, (), None if len(known) == 1 else 1)
    (reasons,) = dispatch.pending_snapshots(tenant, request, [known]) if known else ((),)
    return tenant.new_job(release, candidates, batch_execution_key=tenant.new_key(),
                          input_arguments=job.input_arguments, reference=job.reference,
                          source="Manual", runtime_type=job.runtime_type,
                          job_priority=job.job_priority,
                          specific_priority_value=job.specific_priority_value,
                          pending_reasons=reasons,
                          entry_point=release.entry_point(job.entry_point_path),
                          input_file=job.input_file)
