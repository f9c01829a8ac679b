"""Typed views of the Orchestrator entities the wizard uses.

Each model keeps the fields the product needs, parsed from the PascalCase wire shape by
``from_api``; the untouched server dict stays in ``raw`` for anything else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Generic, Optional, TypeVar

T = TypeVar("T")

#: Job states after which nothing changes any more.
FINAL_JOB_STATES = frozenset({"Successful", "Faulted", "Stopped"})
#: A long-running job paused at a persistence point, waiting on a trigger: not final (it
#: goes on as ``Resumed`` when the trigger fires), but nothing happens until then.
SUSPENDED = "Suspended"
#: Robot/session states, as the API spells them.
ROBOT_STATES = ("Available", "Busy", "Disconnected", "Unknown")


def _get(data: dict, name: str, default: Any = None) -> Any:
    """Read a property case-insensitively (Orchestrator binds names case-insensitively)."""
    if name in data:
        return data[name]
    lowered = name.lower()
    for key, value in data.items():
        if key.lower() == lowered:
            return value
    return default


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a collection plus the server's ``@odata.count`` (all matches)."""

    items: list
    total: int


@dataclass(frozen=True)
class Folder:
    id: int
    key: str
    display_name: str
    fully_qualified_name: str
    provision_type: str = ""
    permission_model: str = ""
    folder_type: str = "Standard"
    description: str = ""
    parent_id: Optional[int] = None
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_classic(self) -> bool:
        """Classic folders (environments, classic robots) are Manual + InheritFromTenant."""
        return self.provision_type == "Manual" and self.permission_model == "InheritFromTenant"

    @classmethod
    def from_api(cls, data: dict) -> Folder:
        return cls(
            id=int(_get(data, "Id")),
            key=str(_get(data, "Key") or ""),
            display_name=str(_get(data, "DisplayName") or ""),
            fully_qualified_name=str(
                _get(data, "FullyQualifiedName") or _get(data, "DisplayName") or ""
            ),
            provision_type=str(_get(data, "ProvisionType") or ""),
            permission_model=str(_get(data, "PermissionModel") or ""),
            folder_type=str(_get(data, "FolderType") or "Standard"),
            description=str(_get(data, "Description") or ""),
            parent_id=_get(data, "ParentId"),
            raw=data,
        )


@dataclass(frozen=True)
class Release:
    id: int
    key: str
    name: str
    process_key: str
    process_version: str
    is_latest_version: bool = True
    description: str = ""
    environment_id: Optional[int] = None
    environment_name: Optional[str] = None
    #: Process-level default values: a JSON *string* of an object, or None.
    input_arguments: Optional[str] = None
    #: ``Arguments.Input``: a JSON *string* listing the input arguments, or None.
    arguments_input: Optional[str] = None
    arguments_output: Optional[str] = None
    job_priority: Optional[str] = None
    organization_unit_id: Optional[int] = None
    #: The release's granular default priority (1-100), when it has one.
    specific_priority_value: Optional[int] = None
    #: A foreground process: it cannot run on Headless or Serverless runtimes.
    requires_user_interaction: bool = False
    #: ``Legacy`` / ``Windows`` / ``Portable`` (cross-platform), when the server says.
    target_framework: Optional[str] = None
    supports_multiple_entry_points: bool = False
    #: The release's own entry point (its ``EntryPoint`` when expanded).
    entry_point_path: Optional[str] = None
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def default_priority(self) -> Optional[Any]:
        """What a start without a priority gets: the specific value, else the level."""
        return self.specific_priority_value or self.job_priority

    @classmethod
    def from_api(cls, data: dict) -> Release:
        arguments = _get(data, "Arguments") or {}
        specific = _get(data, "SpecificPriorityValue")
        return cls(
            id=int(_get(data, "Id")),
            key=str(_get(data, "Key") or ""),
            name=str(_get(data, "Name") or ""),
            process_key=str(_get(data, "ProcessKey") or ""),
            process_version=str(_get(data, "ProcessVersion") or ""),
            is_latest_version=bool(_get(data, "IsLatestVersion", True)),
            description=str(_get(data, "Description") or ""),
            environment_id=_get(data, "EnvironmentId"),
            environment_name=_get(data, "EnvironmentName"),
            input_arguments=_get(data, "InputArguments"),
            arguments_input=_get(arguments, "Input") if isinstance(arguments, dict) else None,
            arguments_output=_get(arguments, "Output") if isinstance(arguments, dict) else None,
            job_priority=_get(data, "JobPriority"),
            organization_unit_id=_get(data, "OrganizationUnitId"),
            specific_priority_value=specific if isinstance(specific, int)
            and not isinstance(specific, bool) else None,
            requires_user_interaction=_get(data, "RequiresUserInteraction") is True,
            target_framework=_get(data, "TargetFramework"),
            supports_multiple_entry_points=_get(data, "SupportsMultipleEntryPoints") is True,
            entry_point_path=_get(data, "EntryPointPath")
            or _get(_get(data, "EntryPoint") or {}, "Path"),
            raw=data,
        )


@dataclass(frozen=True)
class EntryPoint:
    """One workflow a package can start with (``EntryPointDto``), with its own arguments."""

    path: str
    #: ``InputArguments``: a JSON string in the format of ``Arguments.Input``, or None.
    input_arguments: Optional[str] = None
    output_arguments: Optional[str] = None
    id: Optional[int] = None

    @classmethod
    def from_api(cls, data: dict) -> EntryPoint:
        return cls(
            path=str(_get(data, "Path") or ""),
            input_arguments=_get(data, "InputArguments"),
            output_arguments=_get(data, "OutputArguments"),
            id=_get(data, "Id"),
        )


@dataclass(frozen=True)
class Robot:
    """A classic robot (environment member) or a modern robot user of a folder."""

    id: int
    name: str
    machine_name: str = ""
    username: str = ""
    type: str = "Unattended"
    #: Available / Busy / Disconnected / Unknown (from sessions; Unknown when not reported).
    state: str = "Unknown"
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_api(cls, data: dict, state: str = "Unknown") -> Robot:
        return cls(
            id=int(_get(data, "Id")),
            name=str(_get(data, "Name") or ""),
            machine_name=str(_get(data, "MachineName") or ""),
            username=str(_get(data, "Username") or ""),
            type=str(_get(data, "Type") or "Unattended"),
            state=state,
            raw=data,
        )


@dataclass(frozen=True)
class Environment:
    id: int
    name: str
    description: str = ""
    robots: tuple = ()
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_api(cls, data: dict, states: Optional[dict] = None) -> Environment:
        states = states or {}
        robots = tuple(
            Robot.from_api(r, states.get(int(_get(r, "Id")), "Unknown"))
            for r in (_get(data, "Robots") or [])
        )
        return cls(
            id=int(_get(data, "Id")),
            name=str(_get(data, "Name") or ""),
            description=str(_get(data, "Description") or ""),
            robots=robots,
            raw=data,
        )


@dataclass(frozen=True)
class JobError:
    """A job's structured error (``JobDto.JobError``, v20 / Automation Cloud; camelCase)."""

    #: Non-localised PascalCase id, e.g. ``User.InvalidCredentials``.
    code: str = ""
    title: str = ""
    detail: str = ""
    #: ``User`` (raised by the workflow), ``Deployment`` (for the admin) or ``System``.
    category: str = ""
    status: Optional[int] = None
    timestamp: Optional[str] = None

    @classmethod
    def from_api(cls, data: Any) -> Optional[JobError]:
        """The error, or None when ``data`` is not an object or says nothing."""
        if not isinstance(data, dict):
            return None
        status = _get(data, "status")
        error = cls(
            code=str(_get(data, "code") or ""),
            title=str(_get(data, "title") or ""),
            detail=str(_get(data, "detail") or ""),
            category=str(_get(data, "category") or ""),
            status=status if isinstance(status, int) and not isinstance(status, bool) else None,
            timestamp=_get(data, "timestamp"),
        )
        return error if (error.code or error.title or error.detail) else None


@dataclass(frozen=True)
class Job:
    id: int
    key: str
    state: str
    info: Optional[str] = None
    creation_time: Optional[str] = None
    start_time: Optional[str] = None
    end_time: Optional[str] = None
    release_name: str = ""
    robot_name: str = ""
    host_machine_name: str = ""
    #: JSON *string* of the output arguments, None until the job ends (or when none).
    output_arguments: Optional[str] = None
    input_arguments: Optional[str] = None
    reference: Optional[str] = None
    batch_execution_key: Optional[str] = None
    #: The structured error of a faulted job (v20 / cloud only), or None.
    job_error: Optional[JobError] = None
    #: Output arguments too large for ``OutputArguments``: the id of the job attachment
    #: holding them (v20), or None.
    output_file: Optional[str] = None
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_JOB_STATES

    @property
    def is_suspended(self) -> bool:
        return self.state == SUSPENDED

    @property
    def is_resting(self) -> bool:
        """Final, or Suspended (waiting on a trigger): nothing to wait for by polling."""
        return self.is_final or self.is_suspended

    @classmethod
    def from_api(cls, data: dict) -> Job:
        robot = _get(data, "Robot") or {}
        return cls(
            id=int(_get(data, "Id")),
            key=str(_get(data, "Key") or ""),
            state=str(_get(data, "State") or "Unknown"),
            info=_get(data, "Info"),
            creation_time=_get(data, "CreationTime"),
            start_time=_get(data, "StartTime"),
            end_time=_get(data, "EndTime"),
            release_name=str(_get(data, "ReleaseName") or ""),
            robot_name=str(_get(robot, "Name") or "") if isinstance(robot, dict) else "",
            host_machine_name=str(_get(data, "HostMachineName") or ""),
            output_arguments=_get(data, "OutputArguments"),
            input_arguments=_get(data, "InputArguments"),
            reference=_get(data, "Reference"),
            batch_execution_key=_get(data, "BatchExecutionKey"),
            job_error=JobError.from_api(_get(data, "JobError")),
            output_file=_get(data, "OutputFile") or None,
            raw=data,
        )


def _strings(value: Any) -> tuple:
    return tuple(str(item) for item in value) if isinstance(value, list) else ()


@dataclass(frozen=True)
class ValidationResult:
    """``ValidationResultDto``: what ``ValidateDynamicJob`` / ``ValidateExistingJob`` found.

    ``errors`` are the server's sentences, ``error_codes`` the ``JobPendingReasons`` codes
    (``tui_app.diagnosis`` turns both into findings).
    """

    is_valid: bool
    errors: tuple = ()
    error_codes: tuple = ()

    @classmethod
    def from_api(cls, data: dict) -> ValidationResult:
        if not isinstance(data, dict):
            raise TypeError("a validation result is an object")
        return cls(
            is_valid=_get(data, "IsValid") is True,
            errors=_strings(_get(data, "Errors")),
            error_codes=_strings(_get(data, "ErrorCodes")),
        )


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected a whole number, got {value!r}")
    return value


@dataclass(frozen=True)
class RuntimeCapacity:
    """One row of ``GetRuntimesForFolder``: the runtimes of one type in a folder."""

    type: str
    total: int
    #: On machines connected to Orchestrator and associated with the folder.
    connected: int
    #: Free right now (total minus running jobs).
    available: int

    @classmethod
    def from_api(cls, data: dict) -> RuntimeCapacity:
        return cls(
            type=str(_get(data, "Type") or ""),
            total=_count(_get(data, "Total", 0)),
            connected=_count(_get(data, "Connected", 0)),
            available=_count(_get(data, "Available", 0)),
        )


@dataclass(frozen=True)
class MachineSession:
    """One row of ``GetMachineSessionRuntimesByFolderId``: a host of a machine (template) in
    the folder, for one runtime type, with its state."""

    session_id: int
    machine_id: int
    machine_name: str
    host_machine_name: str
    runtime_type: str = "Unattended"
    #: Available / Busy / Disconnected / Unknown.
    status: str = "Unknown"
    is_unresponsive: bool = False
    #: ``Enabled``: in maintenance mode, not used for new jobs.
    maintenance_mode: str = "Default"
    runtimes: int = 0
    used_runtimes: int = 0
    service_user_name: str = ""

    @property
    def in_maintenance(self) -> bool:
        return self.maintenance_mode == "Enabled"

    @property
    def takes_jobs(self) -> bool:
        """Not in maintenance mode, not unresponsive, not disconnected: a job sent here can
        start (once a runtime is free)."""
        return not self.in_maintenance and not self.is_unresponsive and (
            self.status != "Disconnected")

    def status_words(self) -> str:
        """``connected, 1 of 2 runtimes free``; ``maintenance mode``; ``unresponsive``."""
        if self.in_maintenance:
            return "maintenance mode"
        if self.is_unresponsive:
            return "unresponsive"
        if self.status == "Disconnected":
            return "disconnected"
        free = max(self.runtimes - self.used_runtimes, 0)
        return f"connected, {free} of {self.runtimes} runtimes free"

    @classmethod
    def from_api(cls, data: dict) -> MachineSession:
        return cls(
            session_id=int(_get(data, "SessionId")),
            machine_id=int(_get(data, "MachineId") or 0),
            machine_name=str(_get(data, "MachineName") or ""),
            host_machine_name=str(_get(data, "HostMachineName") or ""),
            runtime_type=str(_get(data, "RuntimeType") or "Unattended"),
            status=str(_get(data, "Status") or "Unknown"),
            is_unresponsive=_get(data, "IsUnresponsive") is True,
            maintenance_mode=str(_get(data, "MaintenanceMode") or "Default"),
            runtimes=_count(_get(data, "Runtimes", 0)),
            used_runtimes=_count(_get(data, "UsedRuntimes", 0)),
            service_user_name=str(_get(data, "ServiceUserName") or ""),
        )


# -- after the start: who is signed in, robot logs (issue 14) ---------------------------------

#: Robot log levels, least severe first (``LogDto.Level``).
LOG_LEVELS = ("Trace", "Debug", "Info", "Warn", "Error", "Fatal")


@dataclass(frozen=True)
class CurrentUser:
    """``GetCurrentUser``: the Orchestrator identity behind the token (a person, a robot
    account or an external application)."""

    user_name: str = ""
    id: Optional[int] = None
    email: Optional[str] = None
    full_name: str = ""
    tenancy_name: str = ""
    type: str = ""
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    def to_json(self) -> dict:
        return {"user_name": self.user_name, "id": self.id, "email": self.email,
                "type": self.type or None}

    @classmethod
    def from_api(cls, data: dict) -> CurrentUser:
        user_id = _get(data, "Id")
        return cls(
            user_name=str(_get(data, "UserName") or ""),
            id=user_id if isinstance(user_id, int) and not isinstance(user_id, bool) else None,
            email=_get(data, "EmailAddress") or None,
            full_name=str(_get(data, "FullName") or ""),
            tenancy_name=str(_get(data, "TenancyName") or ""),
            type=str(_get(data, "Type") or ""),
            raw=data,
        )


@dataclass(frozen=True)
class LogEntry:
    """One robot log line (``LogDto``). ``Id`` is often 0 in practice: never a cursor."""

    level: str
    time_stamp: str
    message: str
    job_key: str = ""
    robot_name: str = ""
    host_machine_name: str = ""
    process_name: str = ""
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_error(self) -> bool:
        return self.level in ("Error", "Fatal")

    @classmethod
    def from_api(cls, data: dict) -> LogEntry:
        return cls(
            level=str(_get(data, "Level") or ""),
            time_stamp=str(_get(data, "TimeStamp") or ""),
            message=str(_get(data, "Message") or ""),
            job_key=str(_get(data, "JobKey") or ""),
            robot_name=str(_get(data, "RobotName") or ""),
            host_machine_name=str(_get(data, "HostMachineName") or ""),
            process_name=str(_get(data, "ProcessName") or ""),
            raw=data,
        )


# -- queues (issue 16) ------------------------------------------------------------------------

#: ``QueueItemDto.Status``, as the API spells them.
QUEUE_ITEM_STATUSES = ("New", "InProgress", "Failed", "Successful", "Abandoned", "Retried",
                       "Deleted")
#: Item statuses after which nothing changes any more (Retried: a new item goes on).
FINAL_ITEM_STATUSES = frozenset({"Successful", "Failed", "Abandoned", "Deleted"})


def _whole(value: Any, default: Any = 0) -> Any:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


@dataclass(frozen=True)
class QueueDefinition:
    """A queue (``QueueDefinitionDto``); ``specific_data_json_schema`` is JSON Schema text."""

    id: int
    key: str
    name: str
    description: str = ""
    enforce_unique_reference: bool = False
    specific_data_json_schema: Optional[str] = None
    sla_in_minutes: int = 0
    risk_sla_in_minutes: int = 0
    #: The release (process) that consumes the queue, when the API says.
    release_id: Optional[int] = None
    max_number_of_retries: int = 0
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_api(cls, data: dict) -> QueueDefinition:
        schema = _get(data, "SpecificDataJsonSchema")
        return cls(
            id=int(_get(data, "Id")),
            key=str(_get(data, "Key") or ""),
            name=str(_get(data, "Name") or ""),
            description=str(_get(data, "Description") or ""),
            enforce_unique_reference=_get(data, "EnforceUniqueReference") is True,
            specific_data_json_schema=schema if isinstance(schema, str) and schema.strip()
            else None,
            sla_in_minutes=_whole(_get(data, "SlaInMinutes")),
            risk_sla_in_minutes=_whole(_get(data, "RiskSlaInMinutes")),
            release_id=_whole(_get(data, "ReleaseId"), None),
            max_number_of_retries=_whole(_get(data, "MaxNumberOfRetries")),
            raw=data,
        )


@dataclass(frozen=True)
class ProcessingException:
    """Why an item failed (``ProcessingExceptionDto``)."""

    reason: str
    details: str = ""
    #: ``ApplicationException`` or ``BusinessException``.
    type: str = ""

    @classmethod
    def from_api(cls, data: Any) -> Optional[ProcessingException]:
        if not isinstance(data, dict):
            return None
        found = cls(reason=str(_get(data, "Reason") or ""),
                    details=str(_get(data, "Details") or ""),
                    type=str(_get(data, "Type") or ""))
        return found if (found.reason or found.details) else None


@dataclass(frozen=True)
class QueueItem:
    """One queue item (``QueueItemDto``); ``key`` is shared by all its retries."""

    id: int
    key: str
    status: str
    reference: Optional[str] = None
    priority: str = "Normal"
    specific_content: dict = field(default_factory=dict)
    output: Optional[dict] = None
    processing_exception: Optional[ProcessingException] = None
    creation_time: Optional[str] = None
    start_processing: Optional[str] = None
    end_processing: Optional[str] = None
    executor_job_key: Optional[str] = None
    robot_name: str = ""
    retry_number: int = 0
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_ITEM_STATUSES

    @classmethod
    def from_api(cls, data: dict) -> QueueItem:
        robot = _get(data, "Robot")
        content = _get(data, "SpecificContent")
        output = _get(data, "Output")
        if not isinstance(output, dict) and isinstance(_get(data, "OutputData"), str):
            try:  # ``OutputData``: the same object as JSON text
                output = json.loads(_get(data, "OutputData"))
            except ValueError:
                output = None
        return cls(
            id=int(_get(data, "Id")),
            key=str(_get(data, "Key") or ""),
            status=str(_get(data, "Status") or "New"),
            reference=_get(data, "Reference"),
            priority=str(_get(data, "Priority") or "Normal"),
            specific_content=content if isinstance(content, dict) else {},
            output=output if isinstance(output, dict) else None,
            processing_exception=ProcessingException.from_api(
                _get(data, "ProcessingException")),
            creation_time=_get(data, "CreationTime"),
            start_processing=_get(data, "StartProcessing"),
            end_processing=_get(data, "EndProcessing"),
            executor_job_key=_get(data, "ExecutorJobKey") or None,
            robot_name=str(_get(robot, "Name") or "") if isinstance(robot, dict) else "",
            retry_number=_whole(_get(data, "RetryNumber")),
            raw=data,
        )


@dataclass(frozen=True)
class BulkResult:
    """``BulkAddQueueItems``'s answer; ``failed`` = (Ordinal, ErrorCode, ErrorMessage)."""

    success: bool
    message: str = ""
    failed: list = field(default_factory=list)

    @classmethod
    def from_api(cls, data: dict) -> BulkResult:
        items = _get(data, "FailedItems") or []
        if not isinstance(items, list):
            raise ValueError("FailedItems is not a list")
        failed = [(_whole(_get(item, "Ordinal"), None), str(_get(item, "ErrorCode") or ""),
                   str(_get(item, "ErrorMessage") or ""))
                  for item in items if isinstance(item, dict)]
        return cls(success=_get(data, "Success") is True,
                   message=str(_get(data, "Message") or ""), failed=failed)
