"""Why a job would wait or cannot run: ``ValidateDynamicJob`` / ``ValidateExistingJob``.

Both answer a ``ValidationResultDto`` ``{"IsValid", "Errors", "ErrorCodes"}``: one English
sentence in ``Errors`` for each code in ``ErrorCodes`` (same order), codes only from the
``JobPendingReasons`` enum. ``ValidateDynamicJob`` judges a StartJobs body against the tenant
as it is now and creates nothing; ``ValidateExistingJob`` answers the snapshot a job took when
it was created (like the real server, the reasons are not re-evaluated while it waits), and
``IsValid`` true with no codes once the job is no longer Pending.

Which code for which situation is the sandbox's choice (the spec names the codes, not their
meaning), checked in this order:

- ``RobotNotFound``: a ``RobotIds`` id no robot has, an attended robot named, or no robot in
  the folder/environment that can take unattended jobs;
- ``RobotNotAssignedToFolder``: a named robot that exists but not in the folder (classic: not
  in the release's environment);
- ``RobotNoCredentials``: a named robot without unattended credentials (or the only robots);
- ``DynamicJobForegroundAutomationTypeInvalid``: a foreground release (``RequiresUserInteraction``)
  with RuntimeType Headless or Serverless;
- ``TemplateNoRuntime`` (modern): no candidate robot's machine has a runtime of the type;
- ``TemplateNoHostsAvailable`` + ``DynamicJobConnectedMachinesInvalid`` (modern), or only the
  latter (classic): every candidate robot is Disconnected or Unknown;
- ``TemplateMaintenanceMode`` (modern): every connected candidate's host session is in
  maintenance mode;
- ``RobotBusy``: every connected candidate is running a job or other work, plus
  ``TemplateFullCapacity`` (modern) when their machines have no runtime of the type left.

For the snapshot of a new job the first jobs of a request take the free robots; a later job of
the same request that finds none left gets ``RobotBusy`` (and ``TemplateFullCapacity``).
``MachineSessionIds`` narrows the candidates to the robots on those host sessions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui_app.sandbox.tenant import ATTENDED_TYPES, Robot, Tenant

if TYPE_CHECKING:
    from tui_app.sandbox.startjobs import StartRequest

#: Runtime types without a user session: no foreground process runs there.
BACKGROUND_ONLY = frozenset({"Headless", "Serverless"})
NO_HOST = "No host is available on the machine template assigned for this job"
_OFFLINE = frozenset({"Disconnected", "Unknown"})


def _names(robots: list) -> str:
    return ", ".join(robot.name for robot in robots)


def on_sessions(tenant: Tenant, request: StartRequest, robots: list) -> list:
    """The robots among ``robots`` whose host session ``MachineSessionIds`` names (all of
    them when it names none)."""
    if not request.session_ids:
        return robots
    return [robot for robot in robots if tenant.session_id(robot) in request.session_ids]


def _targets(tenant: Tenant, request: StartRequest, reasons: list) -> list:
    """The robots the jobs could run on, adding the reasons that rule robots out."""
    folder = request.folder
    pool = tenant.robots_for_release(request.release)
    environment = tenant.environments.get(request.release.environment_id or -1)
    where = (f"environment '{environment.name}'" if environment
             else f"folder '{folder.fully_qualified_name}'")
    if not request.robot_ids:
        robots = on_sessions(tenant, request,
                             [robot for robot in pool if robot.takes_unattended])
        if robots:
            return robots
        if any(robot.type not in ATTENDED_TYPES for robot in pool):
            reasons.append(("RobotNoCredentials", f"The robots of {where} have no unattended "
                                                  "credentials, so none can log in to run it."))
        else:
            reasons.append(("RobotNotFound", f"No robot that can run unattended jobs is "
                                             f"assigned to {where}."))
        return []
    unknown, elsewhere, attended, no_credentials, robots = [], [], [], [], []
    for robot_id in request.robot_ids:
        robot = tenant.robots.get(robot_id)
        if robot is None:
            unknown.append(str(robot_id))
        elif robot not in pool:
            elsewhere.append(robot)
        elif robot.type in ATTENDED_TYPES:
            attended.append(robot)
        elif not robot.has_credentials:
            no_credentials.append(robot)
        else:
            robots.append(robot)
    if unknown or attended:
        parts = [f"There is no robot with id {', '.join(unknown)}"] if unknown else []
        if attended:
            parts.append(f"{_names(attended)} is an attended robot (Orchestrator does not start "
                         "unattended jobs on it)")
        reasons.append(("RobotNotFound", "; ".join(parts) + "."))
    if elsewhere:
        reasons.append(("RobotNotAssignedToFolder",
                        f"{_names(elsewhere)} is not assigned to {where}."))
    if no_credentials:
        reasons.append(("RobotNoCredentials", f"{_names(no_credentials)} has no unattended "
                                              "credentials, so it cannot log in to run the job."))
    return on_sessions(tenant, request, robots)


def _availability(tenant: Tenant, request: StartRequest, robots: list) -> tuple:
    """(reasons that hold for every job, free robots, reasons once no robot is free)."""
    runtime = request.runtime_type
    modern = not request.folder.classic
    if modern:
        robots = [robot for robot in robots if tenant.slots(robot, runtime)]
        if not robots:
            return [("TemplateNoRuntime", f"No machine in folder "
                                          f"'{request.folder.fully_qualified_name}' has "
                                          f"{runtime} runtimes.")], [], []
    connected = [robot for robot in robots if robot.state not in _OFFLINE]
    if not connected:
        offline = [("DynamicJobConnectedMachinesInvalid",
                    f"None of the machines that could run it is connected to Orchestrator "
                    f"({_names(robots)} disconnected).")]
        return ([("TemplateNoHostsAvailable", NO_HOST + ".")] if modern else []) + offline, [], []
    serving = [robot for robot in connected if not robot.maintenance]
    if not serving:
        return [("TemplateMaintenanceMode", f"The host session of {_names(connected)} is in "
                                            "maintenance mode: it takes no new jobs.")], [], []
    connected = serving
    busy_ids = tenant.busy_robot_ids()
    used = tenant.used_slots()
    free: list[Robot] = [
        robot for robot in connected
        if robot.state == "Available" and robot.id not in busy_ids
        and (not modern or used.get((robot.machine_name, runtime), 0)
             < tenant.slots(robot, runtime))]
    busy = [("RobotBusy", f"{_names(connected)} {'is' if len(connected) == 1 else 'are'} busy "
                          "with other jobs.")]
    machines = {robot.machine_name: robot for robot in connected}
    if modern and all(used.get((name, runtime), 0) >= tenant.slots(robot, runtime)
                      for name, robot in machines.items()):
        busy.append(("TemplateFullCapacity", f"Every {runtime} runtime of the connected "
                                             "machines is in use."))
    return [], free, busy


def diagnose(tenant: Tenant, request: StartRequest) -> list:
    """``ValidateDynamicJob``: (code, sentence) pairs for this request as things are now."""
    reasons: list = []
    robots = _targets(tenant, request, reasons)
    release = request.release
    if release.requires_user_interaction and request.runtime_type in BACKGROUND_ONLY:
        reasons.append(("DynamicJobForegroundAutomationTypeInvalid",
                        f"{release.name} is a foreground process (it needs user interaction) "
                        f"and cannot run on a {request.runtime_type} runtime."))
    if robots:
        always, free, busy = _availability(tenant, request, robots)
        reasons.extend(always or ([] if free else busy))
    return reasons


def pending_snapshots(tenant: Tenant, request: StartRequest, candidates: list) -> list:
    """The pending reasons of each job a start creates, given each one's candidate robot ids
    (StartJobs has already refused what would make them fail)."""
    if request.count is None:  # one job bound to each robot
        snapshots = []
        for (robot_id,) in candidates:
            always, free, busy = _availability(tenant, request, [tenant.robots[robot_id]])
            snapshots.append(tuple(always or ([] if free else busy)))
        return snapshots
    robots = tenant.robots_of(list(candidates[0]))
    always, free, busy = _availability(tenant, request, robots)
    if always:
        return [tuple(always)] * len(candidates)
    return [() if index < len(free) else tuple(busy) for index in range(len(candidates))]


def validation_result(reasons: list) -> dict:
    """A ``ValidationResultDto``."""
    return {"IsValid": not reasons, "Errors": [sentence for _, sentence in reasons],
            "ErrorCodes": [code for code, _ in reasons]}
