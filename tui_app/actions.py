"""What a template does: one row per action, so that a new kind of action (adding a queue
item, say) is a new row, its template tables, its runner and its screen — not a branch in
every layer.

A template names its action with the top-level key ``action``; version-1 templates written
before the key existed have none and start a job.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Action:
    """One thing a template can do."""

    name: str
    #: Shown in listings and messages.
    label: str
    #: The template tables this action needs (each is required).
    tables: tuple[str, ...]
    #: The other tables a template of this action may have.
    optional: tuple[str, ...] = ()


ACTIONS: dict[str, Action] = {
    action.name: action
    for action in (
        Action("start_job", "Start a job", ("process", "strategy"),
               ("options", "arguments", "signature", "bindings")),
        Action("add_queue_item", "Add a queue item", ("queue", "item"),
               ("content", "schema", "bindings")),
    )
}
#: The action of a template without an ``action`` key.
DEFAULT_ACTION = "start_job"
