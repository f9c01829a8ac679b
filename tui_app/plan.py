"""What to start and how: the finished choice, and the exact StartJobs body it produces.

A ``StartPlan`` is shared by the wizard's Review step, templates and headless replay, so the
body a person reviews is byte for byte the body that is sent.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Optional

from tui_app.orchestrator.models import Folder, Release
from tui_app.start_options import (
    INPUT_FILE_PLACEHOLDER,
    OptionError,
    Priority,
    StartOptions,
    check_priority,
    priority_fields,
)


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
    #: None (the release's own), a ``JobPriority`` name or a ``SpecificPriorityValue``.
    priority: Priority = None

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
        try:
            check_priority(self.priority)
        except OptionError as exc:
            raise PlanError(str(exc)) from None

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


#: What ``Source`` a start from startjob carries, wizard and ``startjob run`` alike: a
#: command-line tool, so Orchestrator's audit tells it from a click in the web UI (``Manual``).
SOURCE = "CommandLine"


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
    source: str = SOURCE
    options: StartOptions = field(default_factory=StartOptions)
    #: The attachment holding the arguments (``InputFile``) once uploaded; see ``sends_file``.
    input_file: Optional[str] = None

    def input_text(self) -> str:
        """The arguments as Orchestrator gets them: compact JSON (no size limit here)."""
        from tui_app.arguments.jsontext import dumps

        return dumps(dict(self.arguments))

    @property
    def sends_file(self) -> bool:
        """The arguments go as a job attachment (``InputFile``): uploaded, or over
        Orchestrator's 10,000 characters with ``options.large_input == "file"``."""
        if self.input_file is not None:
            return True
        if self.options.large_input != "file":
            return False
        from tui_app.arguments import InputArgumentsTooLarge, build_input_arguments

        try:
            build_input_arguments(self.arguments)
        except InputArgumentsTooLarge:
            return True
        return False

    def start_info(self) -> dict:
        """The ``startInfo`` object for StartJobs (raises PlanError / InputArgumentsTooLarge;
        PlanError too while arguments that go as a file are not uploaded yet)."""
        if self.sends_file and self.input_file is None:
            raise PlanError("The input arguments go as a file: upload them before the start.")
        return self._info(self.input_file)

    def preview_info(self) -> dict:
        """``start_info`` as Review and ``--dry-run`` show it: an attachment not uploaded
        yet shows as ``INPUT_FILE_PLACEHOLDER``."""
        return self._info(self.input_file or (INPUT_FILE_PLACEHOLDER if self.sends_file
                                               else None))

    def _info(self, input_file: Optional[str]) -> dict:
        self.strategy.validate()
        try:
            self.options.validate()
        except OptionError as exc:
            raise PlanError(str(exc)) from None
        strategy, spec = self.strategy, self.strategy.spec
        info: dict = {"ReleaseKey": self.release.key, "Strategy": strategy.kind}
        if spec.count:
            info["JobsCount"] = strategy.jobs_count
        if spec.runtime:
            info["RuntimeType"] = strategy.runtime_type
        if spec.robots != "none" and strategy.robots:
            info["RobotIds"] = [robot.id for robot in strategy.robots]
        info.update(priority_fields(strategy.priority))
        self.options.fill(info)
        info["Source"] = self.source
        if input_file is not None:
            info["InputFile"] = input_file
        else:
            # Imported here: the wizard imports this module before its first frame, and the
            # argument model is only needed once there is something to start.
            from tui_app.arguments import build_input_arguments

            info["InputArguments"] = build_input_arguments(self.arguments)
        if self.reference:
            info["Reference"] = self.reference
        return info
