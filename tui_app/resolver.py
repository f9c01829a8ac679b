"""Finding a template's choice again on a tenant: one resolver for the wizard, ``startjob
open`` and ``startjob run``.

Every function here takes plain inputs (folders, releases, robots, a template's specs) and
answers with the folder, release, robot pool or ``StrategyChoice`` to use; the two async
ones ask Orchestrator through the client they are given. Nothing here prints or decides an
exit code: the callers say what a ``None`` or an ``AmbiguousRelease`` means for them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Optional

from tui_app.arguments.jsontext import quote
from tui_app.orchestrator.errors import NotAvailable, PermissionDenied
from tui_app.orchestrator.models import (
    EntryPoint,
    Folder,
    MachineSession,
    Release,
    Robot,
    RuntimeCapacity,
)
from tui_app.plan import RUNTIME_TYPES, STRATEGY_TABLE, RobotRef, StrategyChoice
from tui_app.start_options import MachineTarget, StartOptions

#: Robot types (``RobotDto.Type``, the RobotType enum) that cannot take an unattended job:
#: Orchestrator does not launch jobs on attended robots, and the Studio and assistant kinds
#: are developer or user licences, not start targets. Every other type is offered
#: (Unattended, NonProduction, Development, TestAutomation, Headless, the cloud and
#: serverless kinds, and any type this list does not know yet).
NOT_UNATTENDED = frozenset({
    "Attended", "Studio", "StudioX", "StudioPro", "RpaDeveloper", "RpaDeveloperPro",
    "CitizenDeveloper", "AutomationKit", "AttendedStudioWeb", "AssistantWeb",
})


#: Runtime types that run background processes only: never offered for a foreground release
#: (``RequiresUserInteraction``). Orchestrator refuses or holds such a job
#: (``DynamicJobForegroundAutomationTypeInvalid``).
BACKGROUND_ONLY = ("Headless", "Serverless", "ServerlessTestAutomation")


def takes_unattended_jobs(robot: Robot) -> bool:
    """True unless the robot's type is one of ``NOT_UNATTENDED``."""
    return robot.type not in NOT_UNATTENDED


class AmbiguousRelease(ValueError):
    """Several releases fit and nothing says which one; the message names them."""


class FolderNeeded(ValueError):
    """Robots are chosen by name in a modern folder, but no folder is known."""


def find_folder(folders: Sequence[Folder], path: str) -> Optional[Folder]:
    """The folder whose FullyQualifiedName is ``path`` (any case, slashes either way), else
    the one whose id it is (``--folder 4``)."""
    wanted = path.strip().strip("/").replace("\\", "/").casefold()
    for folder in folders:
        if folder.fully_qualified_name.replace("\\", "/").casefold() == wanted:
            return folder
    if wanted.isascii() and wanted.isdigit():
        return next((folder for folder in folders if folder.id == int(wanted)), None)
    return None


def pick_release(process: Any, releases: Sequence[Release]) -> Optional[Release]:
    """The release to start for ``process`` (a template's ``ProcessSpec``): in its environment
    when it names one; the saved release key when several remain; else the only one, or the
    only latest-version one. Raises ``AmbiguousRelease`` when several still fit."""
    candidates = list(releases)
    if process.environment:
        wanted = process.environment.casefold()
        candidates = [r for r in candidates if (r.environment_name or "").casefold() == wanted]
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    if process.release_key:
        for release in candidates:
            if release.key.lower() == process.release_key.lower():
                return release
    latest = [r for r in candidates if r.is_latest_version] or candidates
    if len(latest) == 1:
        return latest[0]
    where = ", ".join(
        f"{quote(r.name)}" + (f" ({r.environment_name})" if r.environment_name else "")
        for r in latest
    )
    raise AmbiguousRelease(
        f"Process {quote(process.key)} has several releases here ({where}); add "
        "environment = \"...\" to the template's [process] to choose one."
    )


def is_classic(release: Optional[Release], folder: Optional[Folder]) -> bool:
    """Classic when the folder says so, or (no folder known) when the release has an
    environment."""
    if folder is not None:
        return folder.is_classic
    return bool(release is not None and release.environment_name)


def strategy_fits(kind: str, release: Release, folder: Optional[Folder]) -> list[str]:
    """Why ``kind`` cannot be used for ``release`` in ``folder`` (empty when it can)."""
    classic = is_classic(release, folder)
    strategy = STRATEGY_TABLE.get(kind)
    if strategy is None or strategy.classic == classic:
        return []
    here, there = ("classic", "modern") if classic else ("modern", "classic")
    kinds = [k for k, s in STRATEGY_TABLE.items() if s.classic == classic]
    fitting = " or ".join(filter(None, (", ".join(kinds[:-1]), kinds[-1])))
    return [f"The strategy {kind} is for {there} folders, but {quote(release.name)} is in a "
            f"{here} folder (use {fitting})."]


async def robot_pool(client: Any, release: Release, folder: Optional[Folder]) -> list[Robot]:
    """The robots a choice picks from: the release's environment (classic) or the folder's
    robot users (modern), with their states, leaving out those that cannot take an
    unattended job (``takes_unattended_jobs``). Raises ``FolderNeeded`` for a modern release
    without a folder."""
    return await pool_in(client, is_classic(release, folder), release.environment_name, folder)


async def pool_in(client: Any, classic: bool, environment_name: Optional[str],
                  folder: Optional[Folder]) -> list[Robot]:
    """``robot_pool`` once it is known whether the folder is classic and, if so, which
    environment the release runs in (read before the release when both are known)."""
    if classic:
        environment = await client.environment_robots(environment_name or "")
        robots = list(environment.robots) if environment is not None else []
    elif folder is None:
        raise FolderNeeded(
            "The template chooses robots by name in a modern folder; give the folder with "
            "[connection] folder or --folder."
        )
    else:
        robots = list(await client.folder_robots(folder.id))
    return [robot for robot in robots if takes_unattended_jobs(robot)]


def find_robot(robots: Sequence[Robot], name: str) -> Optional[Robot]:
    """The robot called ``name``: the exact name first, else the only case-insensitive match."""
    for robot in robots:
        if robot.name == name:
            return robot
    folded = [robot for robot in robots if robot.name.casefold() == name.casefold()]
    return folded[0] if len(folded) == 1 else None


def robots_named(pool: Sequence[Robot], names: Iterable[str]) -> list[Robot]:
    """The robots of ``pool`` called ``names`` (names not found are left out: drift says so)."""
    found = (find_robot(pool, name) for name in names)
    return [robot for robot in found if robot is not None]


def chosen_robots(pool: Sequence[Robot], ids: Iterable[int]) -> list[Robot]:
    """The robots of ``pool`` whose ids were ticked, in the pool's order (never one that
    cannot take an unattended job)."""
    wanted = set(ids)
    return [robot for robot in pool if robot.id in wanted and takes_unattended_jobs(robot)]


def strategy_choice(spec: Any, robots: Sequence[Robot] = ()) -> StrategyChoice:
    """A template's ``StrategySpec`` as the ``StrategyChoice`` to send, on ``robots``."""
    return StrategyChoice(
        kind=spec.kind,
        robots=tuple(RobotRef(robot.id, robot.name) for robot in robots),
        jobs_count=spec.jobs_count or 1,
        runtime_type=spec.runtime_type or "Unattended",
        priority=spec.priority,
    )


# -- start options: entry point, machine target, runtime types (issue 15) ---------------------


def entry_points_or_own(release: Release,
                        found: Optional[list[EntryPoint]]) -> list[EntryPoint]:
    """The entry points to choose from: ``found`` (``client.entry_points``) when it lists
    some, else the release's own (the server could not say, or lists none)."""
    if found:
        return list(found)
    return [EntryPoint(release.entry_point_path or "", release.arguments_input)]


def _path_key(path: str) -> str:
    return path.strip().replace("\\", "/").casefold()


def entry_point_named(entry_points: Sequence[EntryPoint], path: str) -> Optional[EntryPoint]:
    """The entry point whose path is ``path`` (any case, slashes either way), or None."""
    wanted = _path_key(path)
    return next((entry for entry in entry_points if _path_key(entry.path) == wanted), None)


def argument_source(release: Release, entry_point: Optional[EntryPoint]) -> Optional[str]:
    """The ``Arguments.Input``-format JSON text of the arguments to ask for: the chosen entry
    point's own when it has them, else the release's."""
    if entry_point is not None and entry_point.input_arguments is not None:
        return entry_point.input_arguments
    return release.arguments_input


def machine_target(sessions: Sequence[MachineSession], machine: str,
                   host: Optional[str]) -> Optional[MachineTarget]:
    """The target ``machine`` (any case), on its host ``host`` when given: the matching
    sessions' ids, sorted; None when no session matches."""
    wanted = machine.casefold()
    matching = [s for s in sessions if s.machine_name.casefold() == wanted]
    if host:
        matching = [s for s in matching if s.host_machine_name.casefold() == host.casefold()]
    if not matching:
        return None
    ids = tuple(sorted({session.session_id for session in matching}))
    return MachineTarget(machine=matching[0].machine_name,
                         host=matching[0].host_machine_name if host else None, session_ids=ids)


def runtime_types_for(release: Release,
                      capacities: Optional[list[RuntimeCapacity]]) -> list[str]:
    """The runtime types to offer: those the folder has runtimes of (all of
    ``RUNTIME_TYPES`` when not known), leaving out ``BACKGROUND_ONLY`` kinds for a
    foreground release."""
    if capacities is None:
        kinds = list(RUNTIME_TYPES)
    else:
        present = [c.type for c in capacities if c.total > 0 and c.type]
        kinds = [kind for kind in RUNTIME_TYPES if kind in present]
        kinds += [kind for kind in dict.fromkeys(present) if kind not in RUNTIME_TYPES]
    if release.requires_user_interaction:
        kinds = [kind for kind in kinds if kind not in BACKGROUND_ONLY]
    return kinds


@dataclass(frozen=True)
class OptionFacts:
    """What the tenant says about a choice's start options (``option_facts``): the package
    version's entry points, the folder's machine sessions, its runtimes. ``None`` means not
    known: not asked (nothing needed it) or the server cannot say (``sessions_problem`` says
    why for the sessions)."""

    entry_points: Optional[list[EntryPoint]] = None
    sessions: Optional[list[MachineSession]] = None
    sessions_problem: Optional[str] = None
    capacities: Optional[list[RuntimeCapacity]] = None

    def entry_point(self, release: Release, path: Optional[str]) -> Optional[EntryPoint]:
        """The entry point ``path`` names (None: no path, or not among the known ones)."""
        if not path:
            return None
        return entry_point_named(entry_points_or_own(release, self.entry_points), path)


async def option_facts(client: Any, release: Release, folder: Optional[Folder],
                       options: StartOptions, runtime_type: Optional[str] = None
                       ) -> OptionFacts:
    """Ask Orchestrator what ``options`` need checked: the entry points when one is chosen,
    the folder's machine sessions when a machine is, the folder's runtimes when
    ``runtime_type`` is sent (a modern folder). A server that cannot say leaves that fact
    None; other failures are the client's ``OrchestratorError``."""
    entry_points = sessions = capacities = None
    problem = None
    if options.entry_point:
        try:
            entry_points = await client.entry_points(release)
        except NotAvailable:
            entry_points = None
    if options.target is not None:
        if folder is None:
            problem = "no folder is known (give it with [connection] folder or --folder)"
        else:
            try:
                sessions = await client.machine_sessions(folder.id)
            except (NotAvailable, PermissionDenied) as exc:
                problem = exc.message
    if runtime_type and folder is not None and not folder.is_classic:
        try:
            capacities = await client.runtimes_for_folder(folder.id)
        except (NotAvailable, PermissionDenied):
            capacities = None
    return OptionFacts(entry_points, sessions, problem, capacities)


def resolve_options(release: Release, options: StartOptions,
                    facts: OptionFacts) -> StartOptions:
    """``options`` as sent: the entry point spelled as the package spells it, the machine
    target with its session ids. What cannot be resolved stays as it is (``check_drift``
    blocks it; ``StartOptions.validate`` refuses a target without sessions)."""
    chosen = facts.entry_point(release, options.entry_point)
    if chosen is not None and chosen.path:
        options = replace(options, entry_point=chosen.path)
    target = options.target
    if target is not None and facts.sessions is not None:
        found = machine_target(facts.sessions, target.machine, target.host)
        if found is not None:
            options = replace(options, target=found)
    return options
