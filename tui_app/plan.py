"""What to start and how: the finished choice, and the exact StartJobs body it produces.

A ``StartPlan`` is shared by the wizard's Review step, templates and headless replay, so the
body a person reviews is byte for byte the body that is sent.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Optional

from tui_app.orchestrator.models import Folder, Release


@dataclass(frozen=True)
class Strategy:
    """One StartJobs ``Strategy``: where it applies, what it needs, what the body carries.

    ``robots`` is "required", "optional" or "none" (``RobotIds``); ``count`` sends
    ``JobsCount`` and ``runtime`` sends ``RuntimeType``. The wizard's Strategy step, template
    validation, drift and the body all read this table.
    """

    kind: str
    label: str
    classic: bool
    robots: str = "none"
    count: bool = False
    runtime: bool = False

    @property
    def template_keys(self) -> tuple[str, ...]:
        """The optional ``[strategy]`` keys a template of this kind may have."""
        keys: tuple[str, ...] = ("robots",) if self.robots != "none" else ()
        keys += ("jobs_count",) if self.count else ()
        keys += ("runtime_type",) if self.runtime else ()
        return (*keys, "priority")


STRATEGY_TABLE: dict[str, Strategy] = {
    strategy.kind: strategy
    for strategy in (
        Strategy("Specific", "Specific robots", classic=True, robots="required"),
        Strategy("JobsCount", "Number of jobs", classic=True, count=True),
        Strategy("All", "All robots", classic=True),
        Strategy("ModernJobsCount", "Number of jobs", classic=False, robots="optional",
                 count=True, runtime=True),
    )
}
STRATEGIES = tuple(STRATEGY_TABLE)
CLASSIC_STRATEGIES = tuple(kind for kind, s in STRATEGY_TABLE.items() if s.classic)
MODERN_STRATEGY = "ModernJobsCount"
#: Strategies that name robots (required or optional).
ROBOT_STRATEGIES = tuple(kind for kind, s in STRATEGY_TABLE.items() if s.robots != "none")
#: Strategies that send a number of jobs.
COUNT_STRATEGIES = tuple(kind for kind, s in STRATEGY_TABLE.items() if s.count)
RUNTIME_TYPES = ("Unattended", "NonProduction", "Headless", "TestAutomation", "Development")
PRIORITIES = ("Low", "Normal", "High")
MAX_JOBS_COUNT = 10_000


class PlanError(ValueError):
    """The choice is incomplete or inconsistent; the message says what to fix."""


@dataclass(frozen=True)
class RobotRef:
    id: int
    name: str


@dataclass(frozen=True)
class StrategyChoice:
    """How many jobs and where: one of ``STRATEGIES``."""

    kind: str
    robots: tuple = ()  # RobotRef, for Specific (required) and ModernJobsCount (optional)
    jobs_count: int = 1
    runtime_type: str = "Unattended"
    priority: Optional[str] = None

    @property
    def spec(self) -> Strategy:
        """This choice's row of ``STRATEGY_TABLE`` (``PlanError`` for an unknown kind)."""
        try:
            return STRATEGY_TABLE[self.kind]
        except KeyError:
            raise PlanError(
                f"Unknown strategy {self.kind!r}; use one of {', '.join(STRATEGIES)}.") from None

    def validate(self) -> None:
        spec = self.spec
        if spec.robots == "required" and not self.robots:
            raise PlanError(f"Choose at least one robot for the {self.kind} strategy.")
        if spec.count and not 1 <= self.jobs_count <= MAX_JOBS_COUNT:
            raise PlanError(f"The number of jobs must be from 1 to {MAX_JOBS_COUNT:,}.")
        if self.priority is not None and self.priority not in PRIORITIES:
            raise PlanError(f"Priority must be one of {', '.join(PRIORITIES)}.")

    def describe(self, environment: Optional[str] = None) -> str:
        """One readable line, e.g. ``Specific: SUPPORT-BOT-01, SUPPORT-BOT-02``."""
        names = ", ".join(robot.name for robot in self.robots)
        if self.kind == "Specific":
            return f"Specific robots: {names}"
        if self.kind == "JobsCount":
            return f"{self.jobs_count} job(s) on any robot of {environment or 'the environment'}"
        if self.kind == "All":
            return f"One job on every robot of {environment or 'the environment'}"
        where = f" on {names}" if names else ""
        return f"{self.jobs_count} {self.runtime_type} job(s){where}"


def new_reference() -> str:
    """A unique job Reference (``startjob:<uuid>``, well within Orchestrator's 128 chars)."""
    return f"startjob:{uuid.uuid4()}"


@dataclass(frozen=True)
class StartPlan:
    release: Release
    strategy: StrategyChoice
    #: Argument values as JSON values (already converted by the argument model).
    arguments: dict = field(default_factory=dict)
    folder: Optional[Folder] = None
    reference: Optional[str] = None
    source: str = "Manual"

    def start_info(self) -> dict:
        """The ``startInfo`` object for StartJobs (raises PlanError / InputArgumentsTooLarge)."""
        self.strategy.validate()
        strategy, spec = self.strategy, self.strategy.spec
        info: dict = {"ReleaseKey": self.release.key, "Strategy": strategy.kind}
        if spec.count:
            info["JobsCount"] = strategy.jobs_count
        if spec.runtime:
            info["RuntimeType"] = strategy.runtime_type
        if spec.robots != "none" and strategy.robots:
            info["RobotIds"] = [robot.id for robot in strategy.robots]
        if self.strategy.priority:
            info["JobPriority"] = self.strategy.priority
        info["Source"] = self.source
        # Imported here: the wizard imports this module before its first frame, and the
        # argument model is only needed once there is something to start.
        from tui_app.arguments import build_input_arguments

        info["InputArguments"] = build_input_arguments(self.arguments)
        if self.reference:
            info["Reference"] = self.reference
        return info
