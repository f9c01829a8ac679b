"""Add a queue item exactly once, and say honestly what happened when the answer is lost.

``AddQueueItem`` is not idempotent: sending it twice adds two items. The client never
retries it. ``add_once`` sends it once and reports:

- ``added``: the item exists (from the answer, or found by its ``Reference`` after a lost
  answer); do not add it again.
- ``refused``: Orchestrator said no (a duplicate reference, errorCode 1016; content the
  queue's schema refuses; no permission; no such queue). Nothing was added.
- ``not_sent``: the request never reached Orchestrator, or it failed ambiguously and
  Orchestrator confirmed it has no such item. Adding again is safe.
- ``unknown``: it failed ambiguously and Orchestrator could not be asked. The message says
  which reference to look for on the queue's page before adding again.

After a lost answer the item is looked up by the plan's ``Reference`` (every plan has one:
``startjob:<uuid>`` unless the person typed one). For a reference the person typed, only
an item with the same content counts, so an older item with that reference is not taken
for this one.

``reference_taken`` says whether a unique-reference queue already has an item with a
reference (deleted and retried items do not count, as Orchestrator does not count them).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, Callable, Optional

from tui_app.orchestrator.errors import OrchestratorError
from tui_app.orchestrator.models import QueueDefinition, QueueItem
from tui_app.queue_plan import QueuePlan
from tui_app.starting import AMBIGUOUS, BACKOFF, NOT_SENT, REFUSED, classify_failure

__all__ = ["ADDED", "DUPLICATE_REFERENCE", "AddOutcome", "add_once", "existing_item",
           "reference_taken"]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

ADDED = "added"
#: ``errorCode`` of "Error creating Transaction. Duplicate Reference."
DUPLICATE_REFERENCE = "1016"
_TITLES = {ADDED: "Item added", REFUSED: "No item was added", NOT_SENT: "No item was added",
           "unknown": "Not known whether the item was added"}
#: Item statuses a unique reference check leaves out.
_NOT_COUNTED = frozenset({"Deleted", "Retried"})


@dataclass(frozen=True)
class AddOutcome:
    """What became of one ``AddQueueItem`` request."""

    item: Optional[QueueItem]
    #: ``"added"``, ``"refused"``, ``"not_sent"`` or ``"unknown"``.
    state: str
    #: Why the request failed (None when it was answered normally).
    error: Optional[OrchestratorError]
    title: str
    #: What happened and what to do, in plain words.
    message: str = ""

    @property
    def added(self) -> bool:
        return self.state == ADDED

    @property
    def safe_to_retry(self) -> bool:
        return self.state in (REFUSED, NOT_SENT)


def _outcome(state: str, item: Optional[QueueItem], error: Optional[OrchestratorError],
             message: str) -> AddOutcome:
    return AddOutcome(item, state, error, _TITLES[state], message)


def _said(error: OrchestratorError) -> str:
    text = error.message.strip()
    said = (error.server_message or "").strip()
    return f"{text} (Orchestrator said: {said})" if said and said not in text else text


def _refused(error: OrchestratorError, plan: QueuePlan) -> AddOutcome:
    if str(error.error_code) == DUPLICATE_REFERENCE:
        why = (f"The queue {plan.queue.name} already has an item with the reference "
               f"{plan.reference}, and it takes each reference once. Use another reference.")
    else:
        why = f"{_said(error)} Adding again is safe once the problem is fixed."
    return _outcome(REFUSED, None, error,
                    f"No item was added: Orchestrator refused the request. {why}")


def _same_content(item: QueueItem, item_data: dict) -> bool:
    sent = item_data.get("SpecificContent") or {}
    return {k: str(v) for k, v in item.specific_content.items()} == {
        k: str(v) for k, v in sent.items()}


async def add_once(client: Any, plan: QueuePlan, *, lookup_attempts: int = 3,
                   sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
                   backoff: float = BACKOFF) -> AddOutcome:
    """Send ``plan.item_data()`` once and report what really happened (see the module
    text). ``client`` already uses the queue's folder. Raises ``PlanError`` for a plan that
    cannot be sent; never an ``OrchestratorError``."""
    item_data = plan.item_data()
    try:
        item = await client.add_queue_item(item_data)
    except OrchestratorError as error:
        kind = classify_failure(error)
        if kind == REFUSED:
            return _refused(error, plan)
        if kind == NOT_SENT:
            return _outcome(NOT_SENT, None, error, "No item was added: the request never "
                            f"reached Orchestrator. {_said(error)} Adding again is safe.")
        assert kind == AMBIGUOUS
        log.warning("AddQueueItem with reference %s failed ambiguously (%s); asking "
                    "Orchestrator", plan.reference, error)
        return await _resolve(client, plan, item_data, error, lookup_attempts, backoff, sleep)
    return _outcome(ADDED, item, None, f"Item {item.id} added to {plan.queue.name}, "
                                       f"reference {plan.reference}.")


async def _resolve(client: Any, plan: QueuePlan, item_data: dict, error: OrchestratorError,
                   attempts: int, backoff: float,
                   sleep: Callable[[float], Awaitable[Any]]) -> AddOutcome:
    happened = error.title + (f", HTTP {error.status}" if error.status is not None else "")
    last: Optional[OrchestratorError] = None
    answered = False
    for attempt in range(attempts):
        if attempt:
            await sleep(backoff * (2 ** (attempt - 1)))
        try:
            found = await client.queue_items_by_reference(plan.queue.id, plan.reference)
        except OrchestratorError as exc:
            last, answered = exc, False
            continue
        answered = True
        mine = [item for item in found
                if not plan.typed_reference or _same_content(item, item_data)]
        if mine:
            return _outcome(ADDED, mine[0], error, (
                f"The answer was lost ({happened}), but the queue {plan.queue.name} has item "
                f"{mine[0].id} with reference {plan.reference}, so the item was added. Do "
                "not add it again."))
    if answered:
        return _outcome(NOT_SENT, None, error, (
            f"No item was added. The request failed ({happened}), and the queue "
            f"{plan.queue.name} has no such item with reference {plan.reference}. Adding "
            "again is safe; it sends a new request."))
    asked = f"{last.title}: {last.message}" if last is not None else "no answer"
    return _outcome("unknown", None, error, (
        f"It is not known whether the item was added. The request failed ({happened}), and "
        f"Orchestrator could not be asked afterwards ({asked}). Do not add it again yet: "
        f"look for the reference {plan.reference} in the queue {plan.queue.name} first."))


async def existing_item(client: Any, queue: QueueDefinition,
                        reference: str) -> Optional[QueueItem]:
    """The newest item of ``queue`` with ``reference`` that a unique-reference check counts
    (not Deleted, not Retried), or None. Raises ``OrchestratorError``."""
    items = await client.queue_items_by_reference(queue.id, reference)
    return next((item for item in items if item.status not in _NOT_COUNTED), None)


async def reference_taken(client: Any, queue: QueueDefinition, reference: str) -> bool:
    """Whether ``queue`` already has an item with ``reference`` (``existing_item``)."""
    return await existing_item(client, queue, reference) is not None
