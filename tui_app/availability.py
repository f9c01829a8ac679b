"""What happens to a job on a robot that is not Available, or when no runtime of the chosen
type is free (plain words for Strategy and Review)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Optional

from tui_app.text import visible

#: What Orchestrator does with a job on a robot in this state.
_CONSEQUENCE = {
    "Busy": "its job waits Pending until the robot is free",
    "Disconnected": "its job waits Pending until the robot connects again",
}


def availability_note(robots: Iterable) -> Optional[str]:
    """One sentence naming the robots (``.name``, ``.state``) that are not Available, or None.

    ``Unknown`` (no session reported) is not warned about: the tenant did not say.
    """
    flagged = [robot for robot in robots if getattr(robot, "state", "") in _CONSEQUENCE]
    if not flagged:
        return None
    parts = [f"{robot.name} is {robot.state}: {_CONSEQUENCE[robot.state]}" for robot in flagged]
    return "Not every robot is Available. " + "; ".join(parts) + "."


def runtime_note(capacities: Iterable, runtime_type: str) -> Optional[str]:
    """One sentence when no runtime of ``runtime_type`` is free in the folder (from
    ``GetRuntimesForFolder``: ``.type``, ``.total``, ``.connected``, ``.available``), else None.

    "No Unattended runtime is free (0 of 2 available, 1 connected): its job waits Pending
    until one is." A folder with no runtime of that type says so, also when it has no
    runtimes at all (no rows: call it for modern folders only; classic ones have none).
    """
    rows = list(capacities)
    wanted = runtime_type.casefold()
    row = next((r for r in rows if str(r.type).casefold() == wanted), None)
    name = visible(runtime_type, single_line=True, limit=60)
    if row is None or row.total == 0:
        return (f"This folder has no {name} runtime: a job of that type cannot run here. "
                "Choose another runtime type, or ask an administrator to add runtimes.")
    if row.available > 0:
        return None
    if row.connected == 0:
        return (f"No {name} runtime is connected (0 of {row.total} available, none "
                "connected): its job waits Pending until a machine connects.")
    return (f"No {name} runtime is free ({row.available} of {row.total} available, "
            f"{row.connected} connected): its job waits Pending until one is.")
