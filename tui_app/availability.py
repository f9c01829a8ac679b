"""What happens to a job on a robot that is not Available (plain words for Strategy and Review)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Optional

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
