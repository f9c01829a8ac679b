"""Read endpoints other Orchestrator clients call: ``/odata/Robots``, ``/odata/Processes`` and
the classic ``Environments/…GetRobotsForEnvironment(key=N)`` / ``…GetRobotIdsForEnvironment``.

``GET /odata/Robots`` lists ``RobotDto`` of the folder the headers name, or of the whole tenant
without them (on the cloud shape only the robots of modern folders); ``Environments`` is a
navigation (expand it), empty on the cloud shape. ``GET /odata/Processes`` is the tenant feed:
one ``ProcessDto`` per package that a release uses, at its highest version; ``Key`` is
``{Id}:{Version}`` as ``Processes/…GetArguments(key=…)`` takes it; ``EntryPoints`` is a
navigation (UNCONFIRMED: that it needs ``$expand``), one ``EntryPointDto`` per entry point of
the release with its own arguments. ``Processes/…GetProcessVersions(processId='{ProcessKey}')``
lists every version of that package the tenant's releases use (OData options; an unknown
process is an empty list: UNCONFIRMED). ``PackageType`` exists on v20 (cloud) only.
"""

from __future__ import annotations

from tui_app.sandbox import dtos
from tui_app.sandbox.edm import Complex, EntityType, EnumType, Lazy, Navigation, PropertyType
from tui_app.sandbox.endpoints import Context, _collection
from tui_app.sandbox.tenant import Environment, Release, Robot
from tui_app.sandbox.wire import ApiError, Response, json_response

S, I64, B, DT, G = dtos.S, dtos.I64, dtos.B, dtos.DT, dtos.G


#: What ``RobotDto`` adds to ``SimpleRobotDto``, after the property named by the key.
_ROBOT_EXTRA: dict[str, dict[str, PropertyType]] = {
    "CredentialType": {"Environments": Navigation(dtos.ENVIRONMENT, many=True)},
    "RobotEnvironments": {"ExecutionSettings": "Edm.Untyped"},
}
ROBOT = EntityType(dtos.NS + "RobotDto", {
    name: kind for original, kind_ in dtos.ROBOT.properties.items()
    for name, kind in ((original, kind_), *_ROBOT_EXTRA.get(original, {}).items())})

TAG = EntityType(dtos.NS + "TagDto", {"Name": S, "DisplayName": S, "Value": S,
                                     "DisplayValue": S})
_PROCESS_PROPERTIES: dict = {
    "IsActive": B, "Arguments": Complex(dtos.ARGUMENTS), "SupportsMultipleEntryPoints": B,
    "MainEntryPointPath": S, "RequiresUserInteraction": B, "IsAttended": B,
    "TargetFramework": dtos.RELEASE.properties["TargetFramework"],
    "EntryPoints": Navigation(dtos.ENTRY_POINT, many=True),
    "PackageType": EnumType(dtos.ENUMS + "PackageType", (
        "Undefined", "Process", "ProcessLibrary", "ProcessOrchestration", "WebApp", "Agent",
        "TestAutomationProcess", "Api", "MCPServer", "BusinessRules", "CaseManagement")),
    "Title": S, "Version": S, "Key": S, "Description": S, "Published": DT, "IsLatestVersion": B,
    "OldVersion": S, "ReleaseNotes": S, "Authors": S,
    "ProjectType": EnumType(dtos.ENUMS + "ProjectType", (
        "Undefined", "Process", "ProcessLibrary", "BusinessProcess", "BusinessProcessLibrary",
        "TestAutomationProcess", "ProcessOrchestration", "BusinessProcessOrchestration",
        "WebApp", "BusinessWebApp", "Agent", "BusinessAgent", "Api", "MCPServer",
        "BusinessRules", "CaseManagement")),
    "Tags": S, "IsCompiled": B, "LicenseUrl": S, "ProjectUrl": S,
    "ResourceTags": Navigation(TAG, many=True, always=True), "Id": S,
}
#: ``ProcessDto`` as v20 (cloud) and v18 (standalone) declare it.
PROCESS_V20 = EntityType(dtos.NS + "ProcessDto", _PROCESS_PROPERTIES)
PROCESS_V18 = EntityType(dtos.NS + "ProcessDto", {
    name: kind for name, kind in _PROCESS_PROPERTIES.items() if name != "PackageType"})


# ----------------------------------------------------------------------------- robots


def robot_entity(ctx: Context, robot: Robot) -> dict:
    """A ``RobotDto``: the robot's ``SimpleRobotDto`` plus its environments."""
    tenant = ctx.tenant
    environments = [] if ctx.cloud else [e for e in tenant.environments.values()
                                         if robot.id in e.robot_ids]
    entity = dtos.robot_entity(tenant, robot)
    entity["Environments"] = Lazy(lambda: [dtos.environment_entity(tenant, e)
                                           for e in environments])
    entity["ExecutionSettings"] = None
    return entity


def _robots(ctx: Context, robots: list) -> Response:
    return _collection(ctx, "Robots", ROBOT, [robot_entity(ctx, r) for r in robots])


def list_robots(ctx: Context) -> Response:
    tenant = ctx.tenant
    if ctx.folder is not None:
        return _robots(ctx, tenant.robots_in_folder(ctx.folder))
    robots = list(tenant.robots.values())
    if ctx.cloud:
        modern = {i for ids in tenant.folder_robots.values() for i in ids}
        robots = [r for r in robots if r.id in modern]
    return _robots(ctx, robots)


def _environment(ctx: Context) -> Environment:
    environment = ctx.tenant.environments.get(int(ctx.params[0]))
    if environment is None or environment.folder_id != ctx.current_folder.id:
        raise ApiError(404, f"Environment {ctx.params[0]} does not exist.", 1002)
    return environment


def robots_for_environment(ctx: Context) -> Response:
    """Every classic robot of the tenant, the environment's own first (unless ``$orderby``)."""
    members = _environment(ctx).robot_ids
    classic = dict.fromkeys(i for e in ctx.tenant.environments.values() for i in e.robot_ids)
    ordered = list(members) + sorted(i for i in classic if i not in members)
    return _robots(ctx, ctx.tenant.robots_of(ordered))


def robot_ids_for_environment(ctx: Context) -> Response:
    ids = [i for i in _environment(ctx).robot_ids if i in ctx.tenant.robots]
    return json_response(200, {"@odata.context": ctx.metadata("Collection(Edm.Int64)"),
                               "value": ids}, odata=True)


# ----------------------------------------------------------------------------- processes


def _version(release: Release) -> tuple:
    return tuple(int(part) if part.isdigit() else 0 for part in
                 release.process_version.split("."))


def process_entity(ctx: Context, release: Release) -> dict:
    """The ``ProcessDto`` of the package version that ``release`` runs."""
    shown = dtos.release_entity(ctx.tenant, release)
    arguments = shown["Arguments"]
    entry_points = [dtos.entry_point_entity(release, index, entry)
                    for index, entry in enumerate(release.entry_point_list())]
    entity = {
        "IsActive": True, "Arguments": arguments,
        "SupportsMultipleEntryPoints": shown["SupportsMultipleEntryPoints"],
        "MainEntryPointPath": shown["EntryPointPath"],
        "RequiresUserInteraction": shown["RequiresUserInteraction"],
        "IsAttended": shown["IsAttended"], "TargetFramework": shown["TargetFramework"],
        "EntryPoints": entry_points, "PackageType": shown["ProcessType"],
        "Title": release.process_key, "Version": release.process_version,
        "Key": f"{release.process_key}:{release.process_version}",
        "Description": shown["Description"], "Published": shown["CreationTime"],
        "IsLatestVersion": True, "OldVersion": None, "ReleaseNotes": None,
        "Authors": "Sandbox", "ProjectType": "Process", "Tags": None,
        "IsCompiled": shown["IsCompiled"], "LicenseUrl": None, "ProjectUrl": None,
        "ResourceTags": [], "Id": release.process_key,
    }
    if not ctx.cloud:
        del entity["PackageType"]
    return entity


def _visible_releases(ctx: Context) -> list:
    tenant = ctx.tenant
    return [release for release in tenant.releases.values()
            if not (ctx.cloud and tenant.folders[release.folder_id].classic)]


def list_processes(ctx: Context) -> Response:
    newest: dict = {}
    for release in _visible_releases(ctx):
        known = newest.get(release.process_key.lower())
        if known is None or _version(release) > _version(known):
            newest[release.process_key.lower()] = release
    processes = [process_entity(ctx, r) for r in sorted(newest.values(),
                                                        key=lambda r: r.process_key.lower())]
    return _collection(ctx, "Processes", PROCESS_V20 if ctx.cloud else PROCESS_V18, processes)


def process_versions(ctx: Context) -> Response:
    """``GetProcessVersions``: one ``ProcessDto`` per version of the package, newest first."""
    wanted = ctx.params[0].lower()
    versions: dict = {}
    for release in _visible_releases(ctx):
        if release.process_key.lower() == wanted:
            versions.setdefault(release.process_version, release)
    processes = [process_entity(ctx, r) for r in sorted(versions.values(), key=_version,
                                                        reverse=True)]
    return _collection(ctx, "Processes", PROCESS_V20 if ctx.cloud else PROCESS_V18, processes)
