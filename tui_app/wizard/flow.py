"""The wizard's steps as one table per action: their order, when each is skipped, and what
it needs before that can be told. The step indicator, the screen registry and the session's
``next_step`` all read it.

Every flow begins Connect › Folder › Action; the Action step's choice (``Facts.action``, a
``tui_app.actions`` name) picks the rest: starting a job, or adding a queue item.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from tui_app.actions import DEFAULT_ACTION


@dataclass(frozen=True)
class Facts:
    """What the skip rules look at, taken from the session's state."""

    connected: bool = False
    folders: int = 0
    release_chosen: bool = False
    releases: int = 0
    #: The release has input arguments (or they cannot be read: the step explains that).
    has_arguments: bool = True
    #: What the Action step chose (``tui_app.actions``); a job until it says otherwise.
    action: str = DEFAULT_ACTION


def _never(facts: Facts) -> bool:
    return False


@dataclass(frozen=True)
class Step:
    """One step: ``skipped(facts)`` tells whether the choices skip it; ``needs`` names the
    facts (true ones) without which that is not known yet (the indicator then shows the
    step as still to come)."""

    name: str
    skipped: Callable[[Facts], bool] = _never
    needs: tuple[str, ...] = ()
    when_skipped: str = ""
    #: The module of its screen in ``tui_app.ui.screens`` ("": the name in lower case).
    screen: str = ""

    @property
    def module(self) -> str:
        return self.screen or self.name.lower()

    def known_skipped(self, facts: Facts) -> bool:
        return all(getattr(facts, need) for need in self.needs) and self.skipped(facts)


_COMMON: tuple[Step, ...] = (
    Step("Connect"),
    Step("Folder", lambda f: not f.folders, ("connected",), "the tenant has no folders"),
    Step("Action"),
)
#: The steps of each action, in order.
FLOWS: dict[str, tuple[Step, ...]] = {
    "start_job": _COMMON + (
        Step("Process"),
        Step("Release", lambda f: f.releases <= 1, ("release_chosen",),
             "the process has one release"),
        Step("Strategy"),
        Step("Options"),
        Step("Arguments", lambda f: not f.has_arguments, ("release_chosen",),
             "the release has no input arguments"),
        Step("Review"),
        Step("Run"),
    ),
    "add_queue_item": _COMMON + (
        Step("Queue"),
        Step("Content"),
        Step("Item"),
        Step("Review", screen="queue_review"),
        Step("Monitor"),
    ),
}
#: The job flow, and its step names in order (the default before an action is chosen).
FLOW = FLOWS[DEFAULT_ACTION]
STEPS: tuple[str, ...] = tuple(step.name for step in FLOW)


def flow_of(facts: Facts) -> tuple[Step, ...]:
    """The steps of the chosen action."""
    return FLOWS.get(facts.action, FLOW)


def step_names(facts: Facts) -> tuple[str, ...]:
    return tuple(step.name for step in flow_of(facts))


def next_step(step: str, facts: Facts) -> str:
    """The step after ``step`` that the choices do not skip (the last step stays)."""
    steps = flow_of(facts)
    index = step_names(facts).index(step)
    for later in steps[index + 1:]:
        if not later.skipped(facts):
            return later.name
    return steps[-1].name


def skipped_steps(facts: Facts) -> tuple[str, ...]:
    """The steps the choices are known to skip (dimmed in the step indicator)."""
    return tuple(step.name for step in flow_of(facts) if step.known_skipped(facts))


def steps_until(landing: str, facts: Facts) -> list[str]:
    """The steps to open after Connect, in order, up to ``landing`` (at most Review)."""
    steps: list[str] = []
    step = STEPS[0]
    while step not in (landing, "Review"):
        step = next_step(step, facts)
        steps.append(step)
    return steps
