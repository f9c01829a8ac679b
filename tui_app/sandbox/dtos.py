"""Wire shapes: the OData entity types the sandbox serves and builders for their dicts.

One API version per URL shape (``cloud`` in the builders): the server root serves an on-prem
Orchestrator, v18 DTOs (ReleaseDto has ``EnvironmentId`` / ``EnvironmentName``; JobDto has
``Info`` but no ``JobError``); the Automation Cloud shape serves v20 DTOs (ReleaseDto without
the environment properties but with ``FolderKey`` …; JobDto adds ``SubState``, ``JobError``,
``ErrorCode`` …). Property names, order and enums follow the spec of that version; each
builder returns every property of its type; navigation properties hold a ``Lazy`` so they are
built only when filtered on or expanded. A faulted job's ``JobError`` is camelCase
``{code, title, detail, category, status, timestamp}`` (v20 ``JobErrorDto``); its codes and
titles are the sandbox's own (UiPath publishes no catalogue).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Optional

from tui_app.sandbox.auth import Grant
from tui_app.sandbox.config import DEMO
from tui_app.sandbox.dispatch import NO_HOST
from tui_app.sandbox.edm import Complex, EntityType, EnumType, Lazy, Navigation, PropertyType
from tui_app.sandbox.jobs import Job
from tui_app.sandbox.tenant import (
    MAX_INLINE_OUTPUT,
    EntryPoint,
    Environment,
    Folder,
    Release,
    Robot,
    Tenant,
)

NS = "UiPath.Server.Configuration.OData."
ENUMS = "UiPath.Core.Enums."

S, I32, I64, B, DT, G = ("Edm.String", "Edm.Int32", "Edm.Int64", "Edm.Boolean",
                         "Edm.DateTimeOffset", "Edm.Guid")

ROBOT_TYPES = EnumType(ENUMS + "RobotType", (
    "NonProduction", "Attended", "Unattended", "Development", "Studio", "RpaDeveloper",
    "StudioX", "CitizenDeveloper", "Headless", "StudioPro", "RpaDeveloperPro", "TestAutomation",
    "AutomationCloud", "Serverless", "AutomationKit", "ServerlessTestAutomation",
    "AutomationCloudTestAutomation", "AttendedStudioWeb", "Hosting", "AssistantWeb",
    "ProcessOrchestration", "AgentService", "AppTest", "PerformanceTest"))
JOB_STATES = EnumType(ENUMS + "JobState", (
    "Pending", "Running", "Stopping", "Terminating", "Faulted", "Successful", "Stopped",
    "Suspended", "Resumed"))
JOB_PRIORITIES = EnumType(ENUMS + "JobPriority", ("Low", "Normal", "High"))
STOP_STRATEGIES = EnumType(ENUMS + "StopStrategy", ("SoftStop", "Kill"), first=1)
START_STRATEGIES = EnumType(ENUMS + "StartStrategy", (
    "All", "Specific", "RobotCount", "JobsCount", "ModernJobsCount"))
SOURCES = EnumType(ENUMS + "StartProcessDtoSource", (
    "Manual", "Schedule", "Queue", "StudioWeb", "IntegrationTrigger", "StudioDesktop",
    "AutomationOpsPipelines", "Apps", "SAP", "HttpTrigger", "HttpTriggerWithCallback", "RobotAPI",
    "Assistant", "CommandLine", "RobotNetAPI", "Autopilot", "TestManager", "AgentService",
    "ProcessOrchestration", "PluginEcosystem", "PerformanceTesting", "AgentHub", "ApiWorkflow"))
SOURCE_TYPES = EnumType(ENUMS + "JobSourceType", (
    "Manual", "Schedule", "Agent", "Queue", "StudioWeb", "IntegrationTrigger", "StudioDesktop",
    "AutomationOpsPipelines", "Apps", "SAP", "HttpTrigger", "HttpTriggerCallback", "RobotAPI",
    "CommandLine", "RobotNetAPI", "Autopilot", "TestManager", "AgentService",
    "ProcessOrchestration", "PluginEcosystem", "PerformanceTesting", "AgentHub", "ApiWorkflow"))
PROCESS_TYPES = EnumType(ENUMS + "ProcessType", (
    "Undefined", "Process", "ProcessOrchestration", "WebApp", "Agent", "TestAutomationProcess",
    "Api", "MCPServer", "BusinessRules", "CaseManagement"))
SESSION_STATES = EnumType(ENUMS + "RobotState", ("Available", "Busy", "Disconnected", "Unknown"))
PROVISION_TYPES = EnumType(ENUMS + "ProvisionType", ("Manual", "Automatic"))


def _enum(name: str, *members: str) -> EnumType:
    return EnumType(ENUMS + name, members)


def _type(name: str, **properties: PropertyType) -> EntityType:
    return EntityType(NS + name, properties)


_ROBOT_PROPERTIES: dict[str, PropertyType] = dict(
    LicenseKey=S, MachineName=S, MachineId=I64, Name=S, Username=S, ExternalName=S,
    Description=S, Type=ROBOT_TYPES, HostingType=_enum("HostingType", "Standard", "Floating"),
    ProvisionType=PROVISION_TYPES, Password=S, CredentialStoreId=I64, UserId=I64, Enabled=B,
    CredentialType=_enum("RobotCredentialType", "Default", "SmartCard", "NCipher", "SafeNet",
                         "NoCredential"),
    RobotEnvironments=S, IsExternalLicensed=B, LimitConcurrentExecution=B,
    LastModificationTime=DT, LastModifierUserId=I64, CreationTime=DT, CreatorUserId=I64, Id=I64,
)
ROBOT = _type("SimpleRobotDto", **_ROBOT_PROPERTIES)
ROBOT_IN_FOLDER = _type(
    "RobotsFromFolderModel",
    UserType=_enum("UserType", "User", "Robot", "DirectoryUser", "DirectoryGroup",
                   "DirectoryRobot", "DirectoryExternalApplication"),
    UserEmail=S, UserFullName=S, **_ROBOT_PROPERTIES)
SESSION_ROBOT = _type("RobotWithLicenseDto", **_ROBOT_PROPERTIES)

MACHINE = _type("MachineDto", LicenseKey=S, Name=S, Description=S,
                Type=_enum("MachineType", "Standard", "Template"),
                Scope=_enum("MachineScope", "Default", "Shared", "PersonalWorkspace", "Cloud",
                            "Serverless", "AutomationCloudRobot", "ElasticRobot",
                            "ProcessOrchestration", "AgentService"),
                NonProductionSlots=I32, UnattendedSlots=I32, HeadlessSlots=I32,
                TestAutomationSlots=I32, Key=G, Id=I64)

ENVIRONMENT = _type("EnvironmentDto", Name=S, Description=S,
                    Robots=Navigation(ROBOT, many=True), Type=_enum("EnvironmentType", "Dev",
                                                                   "Test", "Prod"), Id=I64)

FOLDER = _type(
    "FolderDto", Key=G, DisplayName=S, FullyQualifiedName=S, FullyQualifiedNameOrderable=S,
    Description=S,
    FolderType=_enum("FolderType", "Standard", "Personal", "Virtual", "Solution",
                     "DebugSolution"),
    IsPersonal=B, ProvisionType=PROVISION_TYPES,
    PermissionModel=_enum("FolderPermissionModel", "InheritFromTenant", "FineGrained"),
    ParentId=I64, ParentKey=G, IsActive=B,
    FeedType=_enum("FolderFeedType", "Undefined", "Processes", "Libraries", "PersonalWorkspace",
                   "FolderHierarchy"),
    Id=I64)

ARGUMENTS = _type("ArgumentMetadata", Input=S, Output=S)

DATA_VARIATION = _type("EntryPointDataVariationDto", Content=S,
                       ContentType=_enum("EntryPointDataVariationDtoContentType", "Json"),
                       Id=I64)
ENTRY_POINT = _type("EntryPointDto", UniqueId=G, Path=S, InputArguments=S, OutputArguments=S,
                    DataVariation=Complex(DATA_VARIATION), Id=I64)

_RELEASE_PROPERTIES: dict[str, PropertyType] = dict(
    Key=S, ProcessKey=S, ProcessVersion=S, IsLatestVersion=B, IsProcessDeleted=B, Description=S,
    Name=S, EnvironmentId=I64, EnvironmentName=S, Environment=Navigation(ENVIRONMENT),
    EntryPointId=I64, EntryPointPath=S, EntryPoint=Navigation(ENTRY_POINT), InputArguments=S,
    ProcessType=PROCESS_TYPES,
    SupportsMultipleEntryPoints=B, RequiresUserInteraction=B, IsAttended=B, IsCompiled=B,
    AutomationHubIdeaUrl=S, Arguments=Complex(ARGUMENTS), AutoUpdate=B, HiddenForAttendedUser=B,
    FeedId=G, JobPriority=JOB_PRIORITIES, SpecificPriorityValue=I32, OrganizationUnitId=I64,
    OrganizationUnitFullyQualifiedName=S,
    TargetFramework=_enum("TargetFramework", "Legacy", "Windows", "Portable"),
    RobotSize=_enum("RobotSize", "Small", "Standard", "Medium", "Large"),
    RemoteControlAccess=_enum("RemoteControlAccess", "None", "ReadOnly", "Full"),
    LastModificationTime=DT, LastModifierUserId=I64, CreationTime=DT, CreatorUserId=I64, Id=I64,
)
RELEASE = _type("ReleaseDto", **_RELEASE_PROPERTIES)
SIMPLE_RELEASE = _type("SimpleReleaseDto", **_RELEASE_PROPERTIES)




def _ordered(order: str, *sources: dict) -> dict:
    """The properties named in ``order`` (space-separated wire order), types from ``sources``."""
    types: dict = {}
    for source in sources:
        types.update(source)
    return {name: types[name] for name in order.split()}


_RELEASE_V20_PROPERTIES = _ordered(
    "Key ProcessKey ProcessVersion IsLatestVersion IsProcessDeleted Description Name "
    "EntryPointId EntryPointPath EntryPoint InputArguments EnvironmentVariables ProcessType "
    "SupportsMultipleEntryPoints RequiresUserInteraction IsConversational "
    "MinRequiredRobotVersion IsAttended IsCompiled AutomationHubIdeaUrl Arguments AutoUpdate "
    "HiddenForAttendedUser FeedId JobPriority SpecificPriorityValue FolderKey OrganizationUnitId "
    "OrganizationUnitFullyQualifiedName TargetFramework RobotSize RemoteControlAccess "
    "LastModificationTime LastModifierUserId CreationTime CreatorUserId Id",
    _RELEASE_PROPERTIES,
    dict(EnvironmentVariables=S, IsConversational=B, MinRequiredRobotVersion=S, FolderKey=G))
RELEASE_V20 = _type("ReleaseDto", **_RELEASE_V20_PROPERTIES)
SIMPLE_RELEASE_V20 = _type("SimpleReleaseDto", **_RELEASE_V20_PROPERTIES)

JOB = _type(
    "JobDto", Key=G, StartTime=DT, EndTime=DT, State=JOB_STATES, JobPriority=JOB_PRIORITIES,
    SpecificPriorityValue=I32, Robot=Navigation(ROBOT), Release=Navigation(SIMPLE_RELEASE),
    ResourceOverwrites=S, Source=S, SourceType=SOURCE_TYPES, BatchExecutionKey=G, Info=S,
    CreationTime=DT, StartingScheduleId=I64, ReleaseName=S,
    Type=_enum("JobType", "Unattended", "Attended", "ServerlessGeneric"), InputArguments=S,
    OutputArguments=S, HostMachineName=S, HasMediaRecorded=B, HasVideoRecorded=B,
    PersistenceId=G, ResumeVersion=I32, StopStrategy=STOP_STRATEGIES, RuntimeType=ROBOT_TYPES,
    RequiresUserInteraction=B, ReleaseVersionId=I64, EntryPointPath=S, OrganizationUnitId=I64,
    OrganizationUnitFullyQualifiedName=S, Reference=S, ProcessType=PROCESS_TYPES,
    Machine=Navigation(MACHINE), ProfilingOptions=S, ResumeOnSameContext=B, LocalSystemAccount=S,
    OrchestratorUserIdentity=S,
    RemoteControlAccess=_enum("RemoteControlAccess", "None", "ReadOnly", "Full"),
    StartingTriggerId=G, MaxExpectedRunningTimeSeconds=I64, ServerlessJobType=S, ResumeTime=DT,
    LastModificationTime=DT, Id=I64)

JOB_ERROR = _type("JobErrorDto", code=S, title=S, detail=S, category=S, status=I32,
                  timestamp=DT)
AUTOPILOT = _type("AutopilotForRobotsSettingsDto", Enabled=B, HealingEnabled=B)
JOB_V20 = _type("JobDto", **_ordered(
    "Key StartTime EndTime State SubState JobPriority SpecificPriorityValue Robot Release "
    "ResourceOverwrites Source SourceType BatchExecutionKey Info CreationTime StartingScheduleId "
    "ReleaseName Type InputArguments InputFile EnvironmentVariables OutputArguments OutputFile "
    "HostMachineName HasMediaRecorded HasVideoRecorded PersistenceId ResumeVersion StopStrategy "
    "RuntimeType RequiresUserInteraction ReleaseVersionId EntryPointPath OrganizationUnitId "
    "OrganizationUnitFullyQualifiedName Reference ProcessType Machine ProfilingOptions "
    "ResumeOnSameContext LocalSystemAccount OrchestratorUserIdentity RemoteControlAccess "
    "StartingTriggerId MaxExpectedRunningTimeSeconds ServerlessJobType ParentJobKey ResumeTime "
    "LastModificationTime JobError ErrorCode FpsProperties TraceId ParentSpanId RootSpanId "
    "AutopilotForRobots FpsContext Id",
    JOB.properties,
    dict(SubState=S, InputFile=G, EnvironmentVariables=S, OutputFile=G, ParentJobKey=G,
         JobError=Complex(JOB_ERROR), ErrorCode=S, FpsProperties=S, TraceId=S, ParentSpanId=S,
         RootSpanId=S, AutopilotForRobots=Complex(AUTOPILOT), FpsContext=S,
         Release=Navigation(SIMPLE_RELEASE_V20))))

_JOB_TRIGGER_PROPERTIES: dict = dict(
    JobId=I64, TriggerType=_enum("TriggerType", "None", "QueueItem", "Job", "Task", "Timer",
                                 "Inbox", "Api"),
    Status=_enum("JobTriggerStatus", "New", "Ready", "Fired"), ItemKey=G, ItemId=I64,
    Timer=DT, TriggerMessage=S, Id=I64)
JOB_TRIGGER = _type("JobTriggerDto", **_JOB_TRIGGER_PROPERTIES)
JOB_TRIGGER_V20 = _type("JobTriggerDto", **_ordered(
    "JobId TriggerType Status ItemKey ItemId Timer TriggerMessage TriggerConfiguration Id",
    _JOB_TRIGGER_PROPERTIES, dict(TriggerConfiguration=S)))

MACHINE_RUNTIME = _type("MachineRuntimeDto", Type=ROBOT_TYPES, Total=I64, Connected=I64,
                        Available=I64)
MACHINE_SESSION_RUNTIME = _type(
    "MachineSessionRuntimeDto", SessionId=I64, MachineId=I64, MachineName=S,
    MaintenanceMode=_enum("MaintenanceMode", "Default", "Enabled"), HostMachineName=S,
    RuntimeType=ROBOT_TYPES, MachineType=MACHINE.properties["Type"],
    MachineScope=MACHINE.properties["Scope"], Status=SESSION_STATES, IsUnresponsive=B,
    Runtimes=I64, UsedRuntimes=I64, ServiceUserName=S, ReportingTime=DT, Version=S,
    DebugModeExpirationDate=DT, Platform=_enum("Platform", "Unknown", "Windows", "Linux", "OSX"),
    EndpointDetection=S, TriggersCount=I32)

SESSION = _type(
    "SessionDto", Robot=Navigation(SESSION_ROBOT, always=True), HostMachineName=S,
    MachineId=I64, MachineName=S, State=SESSION_STATES, ReportingTime=DT, Info=S,
    IsUnresponsive=B, OrganizationUnitId=I64, FolderName=S,
    RobotSessionType=_enum("RobotSessionType", "LongLived", "Ephemeral"), Version=S,
    Platform=_enum("Platform", "Unknown", "Windows", "Linux", "OSX"), Id=I64)

LOG_LEVELS = EnumType(ENUMS + "LogLevel", ("Trace", "Debug", "Info", "Warn", "Error", "Fatal"))
#: ``LogDto`` (the same in v18 and v20 but for RuntimeType's newer members).
LOG = _type("LogDto", Level=LOG_LEVELS, WindowsIdentity=S, ProcessName=S, TimeStamp=DT,
            Message=S, JobKey=G, RawMessage=S, RobotName=S, HostMachineName=S, MachineId=I64,
            MachineKey=G, RuntimeType=ROBOT_TYPES, Id=I64)

ROBOT_VERSION = "23.10.4"


def format_time(moment: Optional[float]) -> Optional[str]:
    """UTC ISO-8601 with up to 7 fraction digits, trailing zeros trimmed (like .NET)."""
    if moment is None:
        return None
    value = datetime.fromtimestamp(moment, timezone.utc)
    fraction = f"{value.microsecond:06d}0".rstrip("0")
    return value.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if fraction else "") + "Z"


def folder_entity(tenant: Tenant, folder: Folder) -> dict:
    parent = tenant.folders.get(folder.parent_id) if folder.parent_id is not None else None
    return {
        "Key": folder.key, "DisplayName": folder.display_name,
        "FullyQualifiedName": folder.fully_qualified_name,
        "FullyQualifiedNameOrderable": folder.fully_qualified_name,
        "Description": folder.description or None, "FolderType": "Standard",
        "IsPersonal": False,
        "ProvisionType": "Manual" if folder.classic else "Automatic",
        "PermissionModel": "InheritFromTenant" if folder.classic else "FineGrained",
        "ParentId": folder.parent_id, "ParentKey": parent.key if parent else None,
        "IsActive": True, "FeedType": "Processes", "Id": folder.id,
    }


def robot_entity(tenant: Tenant, robot: Robot) -> dict:
    environments = tenant.environment_names(robot.id)
    return {
        "LicenseKey": None, "MachineName": robot.machine_name, "MachineId": robot.machine_id,
        "Name": robot.name, "Username": robot.username, "ExternalName": None,
        "Description": None, "Type": robot.type, "HostingType": "Standard",
        "ProvisionType": "Manual" if environments else "Automatic", "Password": None,
        "CredentialStoreId": None, "UserId": robot.user_id, "Enabled": True,
        "CredentialType": "Default" if robot.has_credentials else "NoCredential",
        "RobotEnvironments": ",".join(environments),
        "IsExternalLicensed": False, "LimitConcurrentExecution": True,
        "LastModificationTime": None, "LastModifierUserId": None, "CreationTime": None,
        "CreatorUserId": None, "Id": robot.id,
    }


def robot_in_folder_entity(tenant: Tenant, robot: Robot) -> dict:
    return {"UserType": "Robot", "UserEmail": None, "UserFullName": robot.name,
            **robot_entity(tenant, robot)}


def machine_name(robot: Robot) -> str:
    """The machine object of a robot's host: its machine template, or the host itself."""
    return robot.machine_template or robot.machine_name


def machine_entity(tenant: Tenant, robot: Robot) -> dict:
    slots = tenant.machine_runtimes.get(robot.machine_name, {"Unattended": 1})
    name = machine_name(robot)
    return {
        "LicenseKey": None, "Name": name, "Description": None,
        "Type": "Template" if robot.machine_template else "Standard",
        "Scope": "Default", "NonProductionSlots": slots.get("NonProduction", 0),
        "UnattendedSlots": slots.get("Unattended", 0), "HeadlessSlots": slots.get("Headless", 0),
        "TestAutomationSlots": slots.get("TestAutomation", 0),
        "Key": tenant.machine_key(name), "Id": tenant.machine_id(name),
    }


def machine_session_runtimes(tenant: Tenant, folder: Folder, now: float) -> list:
    """``GetMachineSessionRuntimesByFolderId``: one row per host session of the folder's
    robots and runtime type its machine has (the sandbox's host session is one robot's);
    ``UsedRuntimes`` counts the jobs running there (and a Busy robot's other work)."""
    if folder.classic:
        return []
    busy = tenant.busy_robot_ids()
    used = tenant.used_slots()
    rows = []
    for robot in tenant.robots_in_folder(folder):
        status = tenant.session_state(robot, busy)
        offline = robot.state in ("Disconnected", "Unknown")
        for kind, count in tenant.machine_runtimes.get(robot.machine_name, {}).items():
            rows.append({
                "SessionId": tenant.session_id(robot),
                "MachineId": tenant.machine_id(machine_name(robot)),
                "MachineName": machine_name(robot),
                "MaintenanceMode": "Enabled" if robot.maintenance else "Default",
                "HostMachineName": robot.machine_name, "RuntimeType": kind,
                "MachineType": "Template" if robot.machine_template else "Standard",
                "MachineScope": "Default", "Status": status, "IsUnresponsive": offline,
                "Runtimes": count, "UsedRuntimes": used.get((robot.machine_name, kind), 0),
                "ServiceUserName": robot.name,
                "ReportingTime": format_time(now - (3600 if offline else 5)),
                "Version": ROBOT_VERSION, "DebugModeExpirationDate": None, "Platform": "Windows",
                "EndpointDetection": None, "TriggersCount": 0,
            })
    return rows


def runtime_entities(tenant: Tenant, folder: Folder) -> list:
    """``GetRuntimesForFolder``: per RuntimeType the folder's machines have, Total slots,
    Connected (on machines with a connected robot) and Available (connected minus in use)."""
    if folder.classic:
        return []
    robots = tenant.robots_in_folder(folder)
    #: host -> (connected, in service: connected and not in maintenance mode)
    machines: dict = {}
    for robot in robots:
        connected, serving = machines.get(robot.machine_name, (False, False))
        online = robot.state not in ("Disconnected", "Unknown")
        machines[robot.machine_name] = (connected or online,
                                        serving or (online and not robot.maintenance))
    used = tenant.used_slots()
    rows: dict = {}
    for machine, (connected, serving) in machines.items():
        for kind, count in tenant.machine_runtimes.get(machine, {}).items():
            total, online, free = rows.get(kind, (0, 0, 0))
            in_use = used.get((machine, kind), 0) if serving else 0
            rows[kind] = (total + count, online + (count if connected else 0),
                          free + (max(count - in_use, 0) if serving else 0))
    return [{"Type": kind, "Total": total, "Connected": online, "Available": free}
            for kind in ROBOT_TYPES.members if kind in rows
            for total, online, free in [rows[kind]]]


def environment_entity(tenant: Tenant, environment: Environment) -> dict:
    return {
        "Name": environment.name, "Description": environment.description or None,
        "Robots": Lazy(lambda: [robot_entity(tenant, r)
                                for r in tenant.robots_of(environment.robot_ids)]),
        "Type": "Dev", "Id": environment.id,
    }


def release_type(cloud: bool) -> EntityType:
    return RELEASE_V20 if cloud else RELEASE


def job_type(cloud: bool) -> EntityType:
    return JOB_V20 if cloud else JOB


def release_entity(tenant: Tenant, release: Release, cloud: bool = False) -> dict:
    """Cached: a tenant mutation drops it (jobs, which change with time, are never cached)."""
    return tenant.cached(("release", release.id, cloud),
                         lambda: _release_entity(tenant, release, cloud))


def entry_point_id(release: Release, index: int) -> int:
    """``EntryPointDto.Id``: the release's id for its default entry point."""
    return release.id if index == 0 else 1_000_000 + release.id * 100 + index


def entry_point_entity(release: Release, index: int, entry: EntryPoint) -> dict:
    """An ``EntryPointDto``: its own input and output arguments."""
    return {
        "UniqueId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox:{release.process_key}:"
                                                       f"{release.process_version}:{entry.path}")),
        "Path": entry.path, "InputArguments": entry.arguments_input,
        "OutputArguments": entry.arguments_output, "DataVariation": None,
        "Id": entry_point_id(release, index),
    }


def _release_entity(tenant: Tenant, release: Release, cloud: bool) -> dict:
    environment = tenant.environments.get(release.environment_id or -1)
    folder = tenant.folders[release.folder_id]
    default = release.entry_point_list()[0]
    entity = {
        "Key": release.key, "ProcessKey": release.process_key,
        "ProcessVersion": release.process_version,
        "IsLatestVersion": release.is_latest_version, "IsProcessDeleted": False,
        "Description": release.description, "Name": release.name,
        "EnvironmentId": environment.id if environment else None,
        "EnvironmentName": environment.name if environment else None,
        "Environment": Lazy(lambda: environment_entity(tenant, environment)
                            if environment else None),
        "EntryPointId": release.id, "EntryPointPath": default.path,
        "EntryPoint": Lazy(lambda: entry_point_entity(release, 0, default)),
        "InputArguments": release.input_arguments, "EnvironmentVariables": None,
        "ProcessType": "Process",
        "SupportsMultipleEntryPoints": release.supports_multiple_entry_points,
        "RequiresUserInteraction": release.requires_user_interaction, "IsConversational": False,
        "MinRequiredRobotVersion": None, "IsAttended": False, "IsCompiled": False,
        "AutomationHubIdeaUrl": None,
        "Arguments": {"Input": default.arguments_input, "Output": default.arguments_output},
        "AutoUpdate": False, "HiddenForAttendedUser": False, "FeedId": None,
        "JobPriority": release.job_priority,
        "SpecificPriorityValue": release.specific_priority_value,
        "FolderKey": folder.key, "OrganizationUnitId": folder.id,
        "OrganizationUnitFullyQualifiedName": folder.fully_qualified_name,
        "TargetFramework": release.target_framework, "RobotSize": None,
        "RemoteControlAccess": "None", "LastModificationTime": None, "LastModifierUserId": None,
        "CreationTime": format_time(release.created_at), "CreatorUserId": 1, "Id": release.id,
    }
    return {name: entity[name] for name in release_type(cloud).properties}


def _job_error(job: Job) -> Optional[dict]:
    fault = job.fault
    if job.state != "Faulted" or fault is None:
        return None
    return {"code": fault.code, "title": fault.title, "detail": fault.detail,
            "category": fault.category, "status": fault.status,
            "timestamp": format_time(job.ended_at)}


def job_entity(tenant: Tenant, job: Job, now: float, cloud: bool = False) -> dict:
    """The job as of ``now`` (the tenant has replayed up to ``now``; StartJobs answers the
    jobs as of their creation)."""
    status = job.status(now)
    state = status.state
    #: Whether this is the job's current status (not an earlier moment's).
    current = status.changed_at == job.changed_at and state == job.state
    started = status.started_at is not None
    robot = tenant.robots.get(job.robot_id) if started and job.robot_id is not None else None
    release = tenant.releases.get(job.release_id)
    folder = tenant.folders[job.folder_id]
    info = status.info
    if state == "Pending" and current and any(
            code == "TemplateNoHostsAvailable" for code, _ in job.pending_reasons):
        info = NO_HOST
    job_error = _job_error(job) if current else None
    output = job.output_arguments if state == "Successful" else None
    output_file = None
    if cloud and output is not None and len(output) > MAX_INLINE_OUTPUT:
        output, output_file = None, job.output_file
    entity = {
        "Key": job.key, "StartTime": format_time(status.started_at),
        "EndTime": format_time(status.ended_at), "State": state, "SubState": None,
        "JobPriority": job.job_priority, "SpecificPriorityValue": job.specific_priority_value,
        "Robot": Lazy(lambda: robot_entity(tenant, robot) if robot else None),
        "Release": Lazy(lambda: release_entity(tenant, release, cloud) if release else None),
        "ResourceOverwrites": None, "Source": job.source,
        "SourceType": SOURCE_TYPES.member(job.source) or "Manual",
        "BatchExecutionKey": job.batch_execution_key, "Info": info,
        "CreationTime": format_time(job.created_at), "StartingScheduleId": None,
        "ReleaseName": job.release_name, "Type": "Unattended",
        "InputArguments": None if job.input_file else job.input_arguments,
        "InputFile": job.input_file, "EnvironmentVariables": None,
        "OutputArguments": output, "OutputFile": output_file,
        "HostMachineName": job.host_machine_name if started else None,
        "HasMediaRecorded": False, "HasVideoRecorded": False,
        "PersistenceId": job.persistence_id if current else None,
        "ResumeVersion": job.resume_version if current else None,
        "StopStrategy": (job.stop_strategy if current else None) or job.auto_stop_strategy,
        "RuntimeType": job.runtime_type,
        "RequiresUserInteraction": job.requires_user_interaction,
        "ReleaseVersionId": None, "EntryPointPath": job.entry_point_path,
        "OrganizationUnitId": folder.id,
        "OrganizationUnitFullyQualifiedName": folder.fully_qualified_name,
        "Reference": job.reference, "ProcessType": "Process",
        "Machine": Lazy(lambda: machine_entity(tenant, robot) if robot else None),
        "ProfilingOptions": None, "ResumeOnSameContext": False, "LocalSystemAccount": "",
        "OrchestratorUserIdentity": None, "RemoteControlAccess": "None",
        "StartingTriggerId": None, "MaxExpectedRunningTimeSeconds": None,
        "ServerlessJobType": None, "ParentJobKey": None,
        "ResumeTime": format_time(job.resume_time) if current else None,
        "LastModificationTime": format_time(status.changed_at),
        "JobError": job_error, "ErrorCode": job_error["code"] if job_error else None,
        "FpsProperties": None, "TraceId": None, "ParentSpanId": None, "RootSpanId": None,
        "AutopilotForRobots": None, "FpsContext": None, "Id": job.id,
    }
    return {name: entity[name] for name in job_type(cloud).properties}


def job_trigger_entity(job: Job, cloud: bool = False) -> dict:
    """The timer trigger a suspended job waits on (``New``), or waited on (``Fired``)."""
    entity = {
        "JobId": job.id, "TriggerType": "Timer",
        "Status": "New" if job.state == "Suspended" else "Fired", "ItemKey": None,
        "ItemId": None, "Timer": format_time(job.trigger_timer),
        "TriggerMessage": "Resume After Delay", "TriggerConfiguration": None, "Id": job.id,
    }
    return {name: entity[name]
            for name in (JOB_TRIGGER_V20 if cloud else JOB_TRIGGER).properties}


def session_entity(tenant: Tenant, robot: Robot, folder: Folder, busy_robot_ids: set,
                   now: float) -> dict:
    state = tenant.session_state(robot, busy_robot_ids)
    disconnected = state == "Disconnected"
    return {
        "Robot": robot_entity(tenant, robot), "HostMachineName": robot.machine_name,
        "MachineId": robot.machine_id, "MachineName": robot.machine_name, "State": state,
        "ReportingTime": format_time(now - (3600 if disconnected else 5)),
        "Info": "The robot stopped reporting." if disconnected else None,
        "IsUnresponsive": disconnected, "OrganizationUnitId": folder.id,
        "FolderName": folder.display_name, "RobotSessionType": "LongLived",
        "Version": ROBOT_VERSION, "Platform": "Windows", "Id": tenant.session_id(robot),
    }


def current_user(grant: Grant) -> dict:
    """``GetCurrentUser``: the external application for client-credentials tokens, else admin."""
    application = grant.kind == "client"
    name = grant.subject
    return {
        "Name": name if application else "Admin", "Surname": None if application else "Sandbox",
        "UserName": name, "Domain": None,
        "FullName": name if application else "Admin Sandbox",
        "EmailAddress": None if application else f"{DEMO.username}@sandbox.local",
        "IsEmailConfirmed": not application, "LastLoginTime": None, "IsActive": True,
        "CreationTime": "2024-05-01T08:00:00Z", "AuthenticationSource": "Local",
        "TenantId": 1, "TenancyName": DEMO.tenancy_name, "TenantDisplayName": DEMO.tenant,
        "TenantKey": "1d4b7e0a-3c6f-4a9d-8b2e-5f8a1c4d7e60",
        "Type": "DirectoryExternalApplication" if application else "User",
        "ProvisionType": "Manual",
        "Key": "9a2d5f8b-1e4c-4b7a-a3d6-0c9f2e5b8a61" if not application
        else "4e7b0d3a-6f9c-4c2e-b8a1-7d0a3f6c9e62",
        "MayHaveUserSession": not application, "MayHaveRobotSession": False,
        "MayHaveUnattendedSession": False, "Id": 2 if application else 1,
    }
