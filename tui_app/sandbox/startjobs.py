"""StartJobs: validate a request the way Orchestrator does, then create the jobs.

Property names bind case-insensitively; enums accept names (any case) or numbers (Strategy
All=0 … ModernJobsCount=4, JobPriority Low=0 … High=2, Source and RuntimeType by their spec
order). The release is found by ``ReleaseKey``, else by ``ReleaseName``, in the request's
folder.

Strategies. Classic folders: ``Specific`` (non-empty ``RobotIds`` from the release's
environment), ``JobsCount`` (``JobsCount`` >= 1), ``All`` (one job per environment robot),
``RobotCount`` (deprecated; ``NoOfRobots`` >= 1 jobs); no Strategy is a 400. Modern folders:
``ModernJobsCount`` (``JobsCount`` >= 1, optional ``RobotIds`` among the folder's robot users,
``RuntimeType`` default Unattended); no Strategy means ModernJobsCount with ``JobsCount`` when
it is >= 1, else one job. Count-based strategies spread jobs round-robin over the candidate
robots, using only Available ones when there are any.

Choices where the reference is UNCONFIRMED:

- every 400 validation error uses errorCode 1000 and the 409s (robot not in the folder / no
  robot at all) use errorCode 1000 too, with the documented message texts; an unknown release
  or an ``InputFile`` (the sandbox has no attachments) is 404 errorCode 1002;
- a classic strategy in a modern folder, and ModernJobsCount in a classic folder, are 400;
- ``Specific`` with empty ``RobotIds`` and a count of 0 are 400; at most 1000 jobs per request;
- ``InputArguments`` must be a JSON string (≤ 10,000 characters) holding a JSON object.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, Optional

from tui_app.sandbox.dtos import JOB_PRIORITIES, ROBOT_TYPES, SOURCES, START_STRATEGIES
from tui_app.sandbox.edm import EnumType
from tui_app.sandbox.tenant import Folder, Release, Tenant
from tui_app.sandbox.wire import ApiError, get_ci

MAX_INPUT_ARGUMENTS = 10_000
MAX_REFERENCE = 128
MAX_JOBS = 1000
CLASSIC_STRATEGIES = ("All", "Specific", "RobotCount", "JobsCount")

NO_ROBOT = "Couldn't find any user with unattended robot permissions in the current folder."
UNKNOWN_ROBOT = "Couldn't find the specified unattended user/robot in the current folder."


def _invalid(message: str) -> ApiError:
    return ApiError(400, message, 1000)


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
        raise _invalid(f"{name} must be at most {MAX_JOBS}.")
    return count


def _classic_robots(info: dict, strategy: Optional[str], release: Release,
                    tenant: Tenant) -> list:
    if strategy is None:
        raise _invalid("Strategy is required for a process in a classic folder: use All, "
                       "Specific, JobsCount or RobotCount.")
    if strategy not in CLASSIC_STRATEGIES:
        raise _invalid(f"The {strategy} strategy is only available in modern folders; in a "
                       "classic folder use All, Specific, JobsCount or RobotCount.")
    pool = tenant.robots_for_release(release)
    if strategy == "Specific":
        robot_ids = list(dict.fromkeys(_integers(info, "RobotIds")))
        if not robot_ids:
            raise _invalid("RobotIds must name at least one robot when Strategy is Specific.")
        by_id = {robot.id: robot for robot in pool}
        if any(robot_id not in by_id for robot_id in robot_ids):
            raise ApiError(409, UNKNOWN_ROBOT, 1000)
        return [by_id[robot_id] for robot_id in robot_ids]
    count = None
    if strategy == "JobsCount":
        count = _count(info, "JobsCount", strategy)
    elif strategy == "RobotCount":
        count = _count(info, "NoOfRobots", strategy)
    if not pool:
        raise ApiError(409, NO_ROBOT, 1000)
    return pool if count is None else tenant.pick_robots(pool, count)


def _modern_robots(info: dict, strategy: Optional[str], release: Release,
                   tenant: Tenant) -> list:
    if strategy in CLASSIC_STRATEGIES:
        raise _invalid(f"The {strategy} strategy is only available in classic folders; in a "
                       "modern folder use ModernJobsCount (optionally with RobotIds).")
    if strategy is None:
        count = _integer(info, "JobsCount")
        count = min(count, MAX_JOBS) if count and count > 0 else 1
    else:
        count = _count(info, "JobsCount", strategy)
    pool = tenant.robots_for_release(release)
    if not pool:
        raise ApiError(409, NO_ROBOT, 1000)
    robot_ids = _integers(info, "RobotIds")
    if robot_ids:
        by_id = {robot.id: robot for robot in pool}
        if any(robot_id not in by_id for robot_id in robot_ids):
            raise ApiError(409, UNKNOWN_ROBOT, 1000)
        pool = [by_id[robot_id] for robot_id in dict.fromkeys(robot_ids)]
    return tenant.pick_robots(pool, count)


def _batch_key(info: dict, tenant: Tenant) -> str:
    value = get_ci(info, "BatchExecutionKey")
    if value is None:
        return tenant.new_key()
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise _invalid(f"BatchExecutionKey {json.dumps(value)} is not a GUID.") from None


def start_jobs(body: Any, folder: Folder, tenant: Tenant) -> list:
    """Validate a StartJobs body for ``folder`` and create its Pending jobs (``Job`` list)."""
    info = get_ci(body, "startInfo") if isinstance(body, dict) else None
    if not isinstance(info, dict):
        raise _invalid("startInfo is required: the body must be {\"startInfo\": {...}}.")
    strategy = _member(info, "Strategy", START_STRATEGIES)
    runtime_type = _member(info, "RuntimeType", ROBOT_TYPES) or "Unattended"
    source = _member(info, "Source", SOURCES) or "Manual"
    priority = _member(info, "JobPriority", JOB_PRIORITIES)
    specific_priority = _integer(info, "SpecificPriorityValue")
    if specific_priority is not None and not 1 <= specific_priority <= 100:
        raise _invalid("The field SpecificPriorityValue must be between 1 and 100.")
    reference = _text(info, "Reference", MAX_REFERENCE)
    input_arguments = _input_arguments(info)
    input_file = get_ci(info, "InputFile")
    release = _release(info, folder, tenant)
    if release.start_error is not None:
        raise ApiError(409, release.start_error, 1000)
    if input_file is not None and input_arguments is not None:
        raise _invalid("A job cannot have both input file and input arguments.")
    if priority is not None and specific_priority is not None:
        raise _invalid("Cannot set a specific priority value when a standard job priority "
                       "setting is selected.")
    if input_file is not None:
        raise ApiError(404, f"The input file attachment {input_file} does not exist.", 1002)
    if folder.classic:
        robots = _classic_robots(info, strategy, release, tenant)
    else:
        robots = _modern_robots(info, strategy, release, tenant)
    batch_key = _batch_key(info, tenant)
    return [
        tenant.new_job(release, robot, batch_execution_key=batch_key,
                       input_arguments=input_arguments, reference=reference, source=source,
                       runtime_type=runtime_type, job_priority=priority or release.job_priority,
                       specific_priority_value=specific_priority)
        for robot in robots
    ]
