"""What to add to a queue: the finished choice, and the exact ``itemData`` it produces.

A ``QueuePlan`` is shared by the wizard's Review step, templates and ``startjob run``, so the
``itemData`` a person reviews is the body that is sent (``QueueItemDataDto``).

``SpecificContent`` is flat key → value in the API: numbers, booleans and text are sent as
themselves (dates as ISO 8601 text); a nested object or list value is sent as its compact
JSON text (a string), which the consuming process reads back with a JSON deserializer.

No ``Source`` is sent: its only values are ``Manual``, ``Apps`` and ``ProcessOrchestration``
(none fits a command-line tool), and the item's events already name the calling
application (``QueueItemEventDto.ExternalClientId``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Optional

from tui_app.arguments.jsontext import dumps
from tui_app.arguments.kinds import DateTimeCodec, Invalid
from tui_app.orchestrator.models import Folder, QueueDefinition
from tui_app.plan import PlanError, new_reference
from tui_app.text import visible

__all__ = [
    "ITEM_DATE_FIELDS",
    "ITEM_PRIORITIES",
    "MAX_REFERENCE_LENGTH",
    "ItemOptions",
    "PlanError",
    "QueuePlan",
    "item_date",
    "wire_value",
]

ITEM_PRIORITIES = ("Low", "Normal", "High")
MAX_REFERENCE_LENGTH = 128
#: ``ItemOptions`` date field -> (``QueueItemDataDto`` field, label).
ITEM_DATE_FIELDS = {
    "defer_date": ("DeferDate", "Postpone until"),
    "due_date": ("DueDate", "Deadline"),
    "risk_sla_date": ("RiskSlaDate", "Risk SLA date"),
}
#: Characters Orchestrator does not take in a ``SpecificContent`` name.
_BAD_NAME_CHARACTERS = ':.,@"'
_DATE_TIME = DateTimeCodec(needs_zone=True)


def item_date(text: str, label: str = "The date") -> str:
    """A date option as sent: the argument model's DateTimeOffset rules (``2024-05-01``,
    ``2024-05-01 09:00Z``, ``…T09:00:00+02:00`` all work; a time zone is required).
    Raises ``PlanError`` with what to type."""
    try:
        return _DATE_TIME.parse(str(text))
    except Invalid as exc:
        raise PlanError(f"{label}: {exc}") from None


@dataclass(frozen=True)
class ItemOptions:
    """An item's options; None leaves the field out (the queue's own rules apply)."""

    priority: Optional[str] = None
    reference: Optional[str] = None
    defer_date: Optional[str] = None
    due_date: Optional[str] = None
    risk_sla_date: Optional[str] = None

    def validate(self) -> dict:
        """The options as ``QueueItemDataDto`` fields (``PlanError`` for the first
        problem)."""
        fields: dict[str, Any] = {}
        if self.priority is not None:
            if self.priority not in ITEM_PRIORITIES:
                raise PlanError(f"Priority must be one of {', '.join(ITEM_PRIORITIES)}, "
                                f"not {visible(str(self.priority), single_line=True)}.")
            fields["Priority"] = self.priority
        for name, (wire, label) in ITEM_DATE_FIELDS.items():
            value = getattr(self, name)
            if value is not None:
                fields[wire] = item_date(value, label)
        if self.reference is not None:
            if not self.reference.strip():
                raise PlanError("The reference is empty; type one or leave it out.")
            if len(self.reference) > MAX_REFERENCE_LENGTH:
                raise PlanError(f"The reference is {len(self.reference)} characters; "
                                f"Orchestrator takes at most {MAX_REFERENCE_LENGTH}.")
            fields["Reference"] = self.reference
        return fields


def wire_value(value: Any) -> Any:
    """One ``SpecificContent`` value as sent: objects and lists as compact JSON text,
    numbers as JSON numbers, dates as ISO 8601 text."""
    if isinstance(value, (dict, list, tuple)):
        return dumps(_json(value))
    return _json(value)


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_json(item) for item in value]
    if isinstance(value, dict):
        return {key: _json(item) for key, item in value.items()}
    return value


@dataclass(frozen=True)
class QueuePlan:
    """One item to add. Without a typed reference the plan gets ``startjob:<uuid>``, so a
    lost answer can be checked (``tui_app.adding``)."""

    queue: QueueDefinition
    #: Content values as JSON data (nested objects and lists as they are).
    content: dict = field(default_factory=dict)
    options: ItemOptions = field(default_factory=ItemOptions)
    folder: Optional[Folder] = None

    def __post_init__(self) -> None:
        if not self.options.reference:
            object.__setattr__(self, "options",
                               dataclasses.replace(self.options, reference=new_reference()))

    @property
    def reference(self) -> str:
        return str(self.options.reference)

    @property
    def typed_reference(self) -> bool:
        """The reference is the person's (not one startjob made up)."""
        return not self.reference.startswith("startjob:")

    def item_data(self) -> dict:
        """The ``itemData`` of ``AddQueueItem`` (``QueueItemDataDto``; unset fields left
        out). Raises ``PlanError``."""
        fields = self.options.validate()
        for name in self.content:
            bad = sorted({c for c in name if c in _BAD_NAME_CHARACTERS})
            if not name.strip() or bad:
                raise PlanError(f"The content name {visible(repr(name), single_line=True)} "
                                "cannot be sent: names must not be empty or contain "
                                + " ".join(_BAD_NAME_CHARACTERS) + ".")
        data: dict[str, Any] = {"Name": self.queue.name}
        if "Priority" in fields:
            data["Priority"] = fields.pop("Priority")
        data["SpecificContent"] = {name: wire_value(value)
                                   for name, value in self.content.items()}
        data.update(fields)
        return data

    def rows(self) -> list[tuple[str, str]]:
        """(label, value) rows for Review and ``startjob run`` (one visible line each)."""
        data = self.item_data()
        queue = self.queue
        rows = []
        if self.folder is not None:
            rows.append(("Folder", f"{self.folder.fully_qualified_name}  (id {self.folder.id})"))
        notes = ["unique references"] if queue.enforce_unique_reference else []
        if queue.specific_data_json_schema:
            notes.append("item schema")
        rows.append(("Queue", queue.name + (f"  ({', '.join(notes)})" if notes else "")))
        rows.append(("Priority", data.get("Priority", "Normal (not sent: the default)")))
        made = "" if self.typed_reference else "  (made by startjob)"
        rows.append(("Reference", self.reference + made))
        for wire, label in ITEM_DATE_FIELDS.values():
            if wire in data:
                rows.append((label, data[wire]))
        content = data["SpecificContent"]
        if not content:
            rows.append(("Content", "(none)"))
        for index, (name, value) in enumerate(content.items()):
            shown = value if isinstance(value, str) else dumps(value)
            rows.append(("Content" if index == 0 else "", f"{name} = {shown}"))
        return [(label, visible(str(value), single_line=True, limit=300))
                for label, value in rows]
