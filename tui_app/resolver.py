"""Finding a template's choice again on a tenant: one resolver for the wizard, ``startjob
open`` and ``startjob run``.

Every function here takes plain inputs (folders, releases, robots, a template's specs) and
answers with the folder, release, robot pool or ``StrategyChoice`` to use; the two async
ones ask Orchestrator through the client they are given. Nothing here prints or decides an
exit code: the callers say what a ``None`` or an ``AmbiguousRelease`` means for them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Optional

from tui_app.arguments.jsontext import quote
from tui_app.orchestrator.models import (
    EntryPoint,
    Folder,
    MachineSession,
    Release,
    Robot,
    RuntimeCapacity,
)
from tui_app.plan import RUNTIME_TYPES, STRATEGY_TABLE, RobotRef, StrategyChoice
from tui_app.start_options import MachineTarget

#: Robot types (``RobotDto.Type``, the RobotType enum) that cannot take an unattended job:
#: Orchestrator does not launch jobs on attended robots, and the Studio and assistant kinds
#: are developer or user licences, not start targets. Every other type is offered
#: (Unattended, NonProduction, Development, TestAutomation, Headless, the cloud and
#: serverless kinds, and any type this list does not know yet).
NOT_UNATTENDED = frozenset({
    "Attended", "Studio", "StudioX", "StudioPro", "RpaDeveloper", "RpaDeveloperPro",
    "CitizenDeveloper", "AutomationKit", "AttendedStudioWeb", "AssistantWeb",
})


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
    if is_classic(release, folder):
        environment = await client.environment_robots(release.environment_name or "")
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


# contract (issue 15): core helper's version wins at merge
def entry_points_or_own(release: Release,
                        found: Optional[list[EntryPoint]]) -> list[EntryPoint]:
    """``found`` when given and non-empty, else the release's own entry point."""
    if found:
        return list(found)
    return [EntryPoint(release.entry_point_path or "", release.arguments_input)]


def _path_key(path: str) -> str:
    return path.replace("\\", "/").casefold()


def entry_point_named(entry_points: Sequence[EntryPoint], path: str) -> Optional[EntryPoint]:
    """The entry point at ``path`` (any case, slashes either way)."""
    wanted = _path_key(path)
    return next((e for e in entry_points if _path_key(e.path) == wanted), None)


def argument_source(release: Release, entry_point: Optional[EntryPoint]) -> Optional[str]:
    """The ``Arguments.Input``-format JSON text the argument form reads."""
    if entry_point is not None:
        return entry_point.input_arguments
    return release.arguments_input


def machine_target(sessions: Sequence[MachineSession], machine: str,
                   host: Optional[str]) -> Optional[MachineTarget]:
    """The sessions of ``machine`` (any case), with ``host`` only that host; None when none."""
    found = [s for s in sessions if s.machine_name.casefold() == machine.casefold()
             and (host is None or s.host_machine_name.casefold() == host.casefold())]
    if not found:
        return None
    return MachineTarget(found[0].machine_name, found[0].host_machine_name if host else None,
                         tuple(sorted({s.session_id for s in found})))


#: Runtime kinds a foreground process cannot use.
_BACKGROUND_ONLY = ("Headless", "Serverless")


def runtime_types_for(release: Release,
                      capacities: Optional[list[RuntimeCapacity]]) -> list[str]:
    """The runtime types to offer for ``release``: those the folder has (all known ones
    when not known), minus Headless / Serverless kinds for a foreground release."""
    types = (list(RUNTIME_TYPES) if capacities is None
             else [c.type for c in capacities if c.total])
    if release.requires_user_interaction:
        types = [t for t in types if not any(kind in t for kind in _BACKGROUND_ONLY)]
    return types
