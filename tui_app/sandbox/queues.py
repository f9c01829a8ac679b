"""Queues: definitions, items, the checks of ``AddQueueItem`` and the demo robots' processing.

An item of a queue that a process consumes (``ReleaseId`` set) is processed by that process's
first robot that can take unattended work (its state is not consulted, and no job is
created, so ``ExecutorJobKey`` stays null): it waits ``item_processing_seconds`` ``New`` (or
until its ``DeferDate``), is ``InProgress`` as long again, then ends:

- a string value starting "FAIL" (any case) → ``Failed``, ``BusinessException``;
- ``Amount`` (a number, or a numeric string) over ``APPROVAL_LIMIT`` → ``Failed``,
  ``BusinessException``;
- a string value starting "RETRY" → ``ApplicationException``: while the item's
  ``RetryNumber`` is below the queue's ``MaxNumberOfRetries`` (and ``AcceptAutomaticallyRetry``)
  it becomes ``Retried`` and a new item with the same ``Key`` (``RetryNumber`` + 1,
  ``AncestorId``) is added; the last attempt ends ``Failed``;
- otherwise ``Successful`` with an ``Output``.

Items of other queues stay ``New``. Refusals (HTTP status and numbers UNCONFIRMED unless said):
a malformed ``itemData`` 400 / ``INVALID_CODE`` (``InvalidArgument``); an unknown queue 404 /
1002; content breaking the queue's ``SpecificDataJsonSchema`` 400 / ``SCHEMA_CODE``
(``QueueItemSchemaViolationException``); a ``Reference`` already used in a queue with
``EnforceUniqueReference`` 409 / 1016 "Error creating Transaction. Duplicate Reference." (the
message and 1016 are from forum answers; ``DuplicateReference``). References compare without
regard to case, like SQL Server's default collation (UNCONFIRMED); items ``Retried`` or
``Deleted`` do not count.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from tui_app.sandbox import jsonschema
from tui_app.sandbox.edm import EnumType, parse_datetime
from tui_app.sandbox.wire import ApiError, get_ci

ENUMS = "UiPath.Core.Enums."
ITEM_STATUSES = EnumType(ENUMS + "QueueItemStatus", (
    "New", "InProgress", "Failed", "Successful", "Abandoned", "Retried", "Deleted"))
#: The spec's order; their numbers in a ``$filter`` are UNCONFIRMED.
PRIORITIES = EnumType(ENUMS + "QueueItemPriority", ("High", "Normal", "Low"))
FINAL_STATUSES = frozenset({"Failed", "Successful", "Abandoned", "Retried", "Deleted"})

#: ``InvalidArgument`` (the number is UNCONFIRMED, as for StartJobs).
INVALID_CODE = 1000
#: ``QueueItemSchemaViolationException`` (HTTP 400 and the number are UNCONFIRMED).
SCHEMA_CODE = 1000
#: A duplicate reference (forum answers; the HTTP status 409 is UNCONFIRMED).
DUPLICATE_CODE = 1016
DUPLICATE_MESSAGE = "Error creating Transaction. Duplicate Reference."
MAX_REFERENCE = 128
MAX_SOURCE = 20
#: ``QueueItemDataDto.Source``'s pattern, matched whole (as .NET's RegularExpression does).
SOURCE_PATTERNS = {True: "Manual|Apps|ProcessOrchestration", False: "Manual|Apps"}
#: Characters a ``SpecificContent`` field name must not contain (docs).
BAD_NAME_CHARACTERS = ':.,@"'
#: The demo business rule: an ``Amount`` above this fails with a business exception.
APPROVAL_LIMIT = 10_000
DATE_FIELDS = ("DeferDate", "DueDate", "RiskSlaDate")


class ItemRefused(ApiError):
    """An item ``AddQueueItem`` refuses; ``name`` is its ``ErrorCodes`` name (bulk answers)."""

    def __init__(self, status: int, message: str, error_code: int, name: str) -> None:
        super().__init__(status, message, error_code)
        self.name = name


def _invalid(message: str) -> ItemRefused:
    return ItemRefused(400, message, INVALID_CODE, "InvalidArgument")


@dataclass
class QueueDefinition:
    id: int
    key: str
    name: str
    folder_id: int
    description: str = ""
    max_number_of_retries: int = 0
    accept_automatically_retry: bool = False
    retry_abandoned_items: bool = False
    enforce_unique_reference: bool = False
    specific_data_json_schema: Optional[str] = None
    sla_in_minutes: int = 0
    risk_sla_in_minutes: int = 0
    #: The release (process) that consumes the queue; its robot processes the items.
    release_id: Optional[int] = None
    created_at: float = 0.0


@dataclass(frozen=True)
class ItemData:
    """A checked ``QueueItemDataDto`` (dates as epoch seconds)."""

    priority: str = "Normal"
    specific_content: Optional[dict] = None
    defer_date: Optional[float] = None
    due_date: Optional[float] = None
    risk_sla_date: Optional[float] = None
    reference: Optional[str] = None
    progress: Optional[str] = None
    source: Optional[str] = None
    parent_operation_id: Optional[str] = None


@dataclass(frozen=True)
class ProcessingException:
    reason: str
    details: str
    type: str
    created_at: float


@dataclass
class QueueItem:
    id: int
    key: str
    unique_key: str
    queue_id: int
    data: ItemData
    created_at: float
    #: When it goes InProgress (None: no robot processes its queue).
    start_at: Optional[float]
    retry_number: int = 0
    ancestor_id: Optional[int] = None
    ancestor_unique_key: Optional[str] = None
    seconds_in_previous_attempts: int = 0
    status: str = "New"
    robot_id: Optional[int] = None
    started_at: Optional[float] = None
    ended_at: Optional[float] = None
    output: Optional[dict] = None
    exception: Optional[ProcessingException] = None
    #: Bumped on every change (``RowVersion``).
    version: int = 1
    history: list = field(default_factory=list)

    def next_event(self, processing_seconds: float) -> Optional[float]:
        if self.status == "New":
            return self.start_at
        if self.status == "InProgress" and self.started_at is not None:
            return self.started_at + processing_seconds
        return None


def _date(data: dict, name: str) -> Optional[float]:
    value = get_ci(data, name)
    if value is None:
        return None
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        raise _invalid(f"The value {json.dumps(value)} is not valid for {name}: expected an "
                       "ISO 8601 date and time such as 2024-05-01T08:00:00Z.")
    return parsed.timestamp()


def _text(data: dict, name: str, limit: Optional[int] = None) -> Optional[str]:
    value = get_ci(data, name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _invalid(f"{name} must be a string.")
    if limit is not None and len(value) > limit:
        raise _invalid(f"The field {name} must be a string with a maximum length of {limit} "
                       f"(it has {len(value)} characters).")
    return value


def parse_item(data: Any, cloud: bool) -> ItemData:
    """Check a ``QueueItemDataDto`` (not against its queue); ``cloud``: v20's Source values."""
    if not isinstance(data, dict):
        raise _invalid("itemData is required: a JSON object (QueueItemDataDto).")
    priority = "Normal"
    raw_priority = get_ci(data, "Priority")
    if raw_priority is not None:
        member = PRIORITIES.member(raw_priority) if isinstance(raw_priority, str) else None
        if member is None or raw_priority.strip().isdigit():
            raise _invalid(f"The value {json.dumps(raw_priority)} is not valid for Priority. "
                           "Valid values: High, Normal, Low.")
        priority = member
    content = get_ci(data, "SpecificContent")
    if content is not None and not isinstance(content, dict):
        raise _invalid("SpecificContent must be a JSON object of field names and values.")
    for name in content or {}:
        bad = sorted({c for c in name if c in BAD_NAME_CHARACTERS})
        if bad or not name.strip():
            raise _invalid(f"The SpecificContent field name {json.dumps(name)} is not valid: "
                           "names must not be empty or contain : . , @ or \".")
    source = _text(data, "Source", MAX_SOURCE)
    if source is not None and not re.fullmatch(SOURCE_PATTERNS[cloud], source):
        raise _invalid(f"The field Source must match the regular expression "
                       f"'{SOURCE_PATTERNS[cloud]}' (it is {json.dumps(source)}).")
    defer, due, risk = (_date(data, name) for name in DATE_FIELDS)
    return ItemData(priority, content, defer, due, risk, _text(data, "Reference", MAX_REFERENCE),
                    _text(data, "Progress"), source,
                    _text(data, "ParentOperationId", MAX_REFERENCE))


def schema_problems(queue: QueueDefinition, content: Optional[dict]) -> list:
    """``[(field, message)]``: how ``content`` breaks the queue's ``SpecificDataJsonSchema``."""
    if not queue.specific_data_json_schema:
        return []
    schema = json.loads(queue.specific_data_json_schema)
    return jsonschema.check(schema, content or {})


def schema_refusal(problems: list) -> ItemRefused:
    parts = "; ".join(f"{path}: {message}" if message != "is required" else f"{path} is required"
                      for path, message in problems)
    return ItemRefused(400, f"The queue item does not match the queue's schema: {parts}.",
                       SCHEMA_CODE, "QueueItemSchemaViolationException")


def duplicate_refusal() -> ItemRefused:
    return ItemRefused(409, DUPLICATE_MESSAGE, DUPLICATE_CODE, "DuplicateReference")


def _outcome(item: QueueItem) -> Optional[tuple]:
    """(exception type, reason, details) the demo robot ends ``item`` with, or None."""
    content = item.data.specific_content or {}
    for name, value in content.items():
        if isinstance(value, str) and value.upper().startswith("FAIL"):
            return ("BusinessException", f"Business rule: {name} is {value}",
                    f"The demo process rejects items whose {name} starts with FAIL.")
    amount = get_ci(content, "Amount")
    try:
        over = not isinstance(amount, bool) and float(amount) > APPROVAL_LIMIT
    except (TypeError, ValueError):
        over = False
    if over:
        return ("BusinessException", f"Amount {amount} is over the approval limit of "
                                     f"{APPROVAL_LIMIT}",
                "Amounts over the limit need a manual approval.")
    for name, value in content.items():
        if isinstance(value, str) and value.upper().startswith("RETRY"):
            return ("ApplicationException", "The target application did not respond",
                    f"System.TimeoutException: the demo process timed out ({name} is {value}).")
    return None


class QueueBook:
    """Every queue and item of the tenant, and the processing of consumed queues' items."""

    def __init__(self, processing_seconds: float, new_key: Callable[[], str]) -> None:
        self.processing_seconds = processing_seconds
        self.definitions: dict[int, QueueDefinition] = {}
        self.items: dict[int, QueueItem] = {}
        self._new_key = new_key
        self._next_id = 50001
        self._active: list = []

    def in_folder(self, folder_id: int) -> list:
        return [q for q in self.definitions.values() if q.folder_id == folder_id]

    def named(self, folder_id: int, name: str) -> Optional[QueueDefinition]:
        """The folder's queue of this name (any case)."""
        wanted = name.strip().lower()
        return next((q for q in self.in_folder(folder_id) if q.name.lower() == wanted), None)

    def items_in(self, folder_id: int) -> list:
        ids = {q.id for q in self.in_folder(folder_id)}
        return [item for item in self.items.values() if item.queue_id in ids]

    def reference_used(self, queue: QueueDefinition, reference: str) -> bool:
        wanted = reference.lower()
        return any(item.queue_id == queue.id and item.status not in ("Retried", "Deleted")
                   and (item.data.reference or "").lower() == wanted
                   for item in self.items.values())

    def refusal(self, queue: QueueDefinition, data: ItemData) -> Optional[ItemRefused]:
        """Why ``data`` cannot be added to ``queue`` (schema, then unique reference)."""
        problems = schema_problems(queue, data.specific_content)
        if problems:
            return schema_refusal(problems)
        if (queue.enforce_unique_reference and data.reference is not None
                and self.reference_used(queue, data.reference)):
            return duplicate_refusal()
        return None

    def add(self, queue: QueueDefinition, data: ItemData, now: float, *,
            ancestor: Optional[QueueItem] = None) -> QueueItem:
        """A new ``New`` item (checked already); ``ancestor``: an automatic retry of it."""
        start = None
        if queue.release_id is not None:
            start = max(now + self.processing_seconds, data.defer_date or now)
        key = ancestor.key if ancestor else self._new_key()
        item = QueueItem(self._next_id, key, self._new_key(), queue.id, data, now, start)
        if ancestor is not None:
            item.retry_number = ancestor.retry_number + 1
            item.ancestor_id, item.ancestor_unique_key = ancestor.id, ancestor.unique_key
            item.seconds_in_previous_attempts = ancestor.seconds_in_previous_attempts + int(
                (ancestor.ended_at or now) - (ancestor.started_at or now))
        item.history.append((now, "New"))
        self._next_id += 1
        self.items[item.id] = item
        if start is not None:
            self._active.append(item)
        return item

    def last_retry(self, folder_id: int, key: str) -> Optional[QueueItem]:
        wanted = key.strip().strip("{}'").lower()
        found = [item for item in self.items_in(folder_id) if item.key == wanted]
        return max(found, key=lambda item: (item.retry_number, item.id), default=None)

    def advance(self, now: float, robot_for: Callable[[int], Any]) -> None:
        """Apply every item event due by ``now``, oldest first; ``robot_for(release_id)`` is
        the robot that processes a release's items (None: nobody, the items wait)."""
        while True:
            due = [(at, item.id, item) for item in self._active
                   for at in [item.next_event(self.processing_seconds)]
                   if at is not None and at <= now]
            if not due:
                break
            at, _, item = min(due)
            queue = self.definitions[item.queue_id]
            if item.status == "New":
                robot = robot_for(queue.release_id) if queue.release_id is not None else None
                if robot is None:
                    item.start_at = None
                    continue
                item.robot_id, item.started_at = robot.id, at
                self._set(item, "InProgress", at)
            else:
                self._finish(queue, item, at)
        self._active = [item for item in self._active if item.start_at is not None
                        and item.status not in FINAL_STATUSES]

    def _set(self, item: QueueItem, status: str, at: float) -> None:
        item.status = status
        item.version += 1
        item.history.append((at, status))

    def _finish(self, queue: QueueDefinition, item: QueueItem, at: float) -> None:
        item.ended_at = at
        outcome = _outcome(item)
        if outcome is None:
            item.output = {"Result": "Processed", "ConfirmationNumber": f"CONF-{item.id}"}
            self._set(item, "Successful", at)
            return
        kind, reason, details = outcome
        item.exception = ProcessingException(reason, details, kind, at)
        retry = (kind == "ApplicationException" and queue.accept_automatically_retry
                 and item.retry_number < queue.max_number_of_retries)
        self._set(item, "Retried" if retry else "Failed", at)
        if retry:
            self.add(queue, item.data, at, ancestor=item)

