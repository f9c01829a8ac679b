"""Following started jobs until they rest: one policy for the wizard's Run step and
``startjob run --wait``.

Each poll asks for every unfinished job in one ``get_jobs`` request; the wait between polls
starts at ``first`` seconds and grows by ``factor`` up to ``longest``, which keeps a long job
well inside Orchestrator's 100-requests-per-minute limit on filtered ``GET /odata/Jobs``.

- A job *rests* when it is final or **Suspended** (waiting on a trigger): following stops when
  every job rests, and the outcome lists the suspended ones. That is not a timeout.
- A job Pending for ``pending_check_after`` seconds is asked about **once**
  (``ValidateExistingJob``, through ``PendingWatch``); the reasons go to the caller.
- A poll answered 429 (after the client's own waiting) is not a failure: the jobs are
  started, so following backs off and goes on, until the timeout if there is one. Any other
  poll failure is raised (following cannot go on).

``follow_item`` follows one queue item the same way (``queue_item`` each poll) until it is
final; a Retried item is followed on as its newest attempt.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from tui_app import diagnosis
from tui_app.orchestrator.errors import (
    NotAvailable,
    NotFound,
    OrchestratorError,
    RateLimited,
    RequestRejected,
)
from tui_app.orchestrator.models import Job

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())


@dataclass(frozen=True)
class FollowPolicy:
    """Waits between polls, in seconds, and when to ask why a job is Pending."""

    first: float = 1.0
    factor: float = 1.5
    longest: float = 15.0
    #: A job Pending this long is asked about once (``ValidateExistingJob``) ...
    pending_check_after: float = 5.0
    #: ... and at most this many jobs after one poll (the others after the next polls).
    pending_checks_per_poll: int = 3

    def waits(self) -> Iterator[float]:
        wait = self.first
        while True:
            yield wait
            wait = min(wait * self.factor, self.longest)


POLICY = FollowPolicy()


def unfinished(jobs: Sequence[Job]) -> list[Job]:
    """The jobs that are not final (a Suspended one included: it is still polled)."""
    return [job for job in jobs if not job.is_final]


def moving(jobs: Sequence[Job]) -> list[Job]:
    """The jobs worth waiting for: neither final nor Suspended."""
    return [job for job in jobs if not job.is_resting]


async def poll_once(client: Any, jobs: Sequence[Job]) -> list[Job]:
    """``jobs`` with the unfinished ones refreshed in one request (order kept; a job
    Orchestrator no longer lists keeps its last known state)."""
    pending = [job.id for job in unfinished(jobs)]
    if not pending:
        return list(jobs)
    fresh = {job.id: job for job in await client.get_jobs(pending)}
    return [fresh.get(job.id, job) for job in jobs]


@dataclass(frozen=True)
class PendingReport:
    """Why one job is Pending: the findings (``tui_app.diagnosis``) and a note.

    ``note`` is ``diagnosis.SNAPSHOT_NOTE`` when Orchestrator answered, else why it could not
    say (the check is not available on this server, or it failed).
    """

    job: Job
    findings: tuple = ()
    note: str = ""
    checked: bool = True

    def to_json(self) -> dict:
        return {"checked": self.checked, "note": self.note,
                "findings": [finding.to_json() for finding in self.findings]}


#: ``PendingReport.note`` when the server has no ``ValidateExistingJob``.
PENDING_CHECK_UNAVAILABLE = ("Why the job is Pending cannot be asked: the check is not "
                             "available on this server.")


class PendingWatch:
    """Asks ``ValidateExistingJob`` once per job that has been Pending for
    ``policy.pending_check_after`` seconds (never on every poll).

    Feed it the latest jobs after each poll: ``await watch.check(client, jobs)`` returns the
    new reports (usually none). A server without the endpoint is reported once, then no job
    is asked about any more.
    """

    def __init__(self, policy: FollowPolicy = POLICY,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy
        self.clock = clock
        self._pending_since: dict[int, float] = {}
        self._asked: set[int] = set()
        self.available = True

    def due(self, jobs: Sequence[Job]) -> list[Job]:
        """The jobs Pending long enough and not asked about yet (and notes the new ones)."""
        now = self.clock()
        found = []
        for job in jobs:
            if job.state != "Pending":
                self._pending_since.pop(job.id, None)
                continue
            since = self._pending_since.setdefault(job.id, now)
            if job.id not in self._asked and now - since >= self.policy.pending_check_after:
                found.append(job)
        return found if self.available else []

    async def check(self, client: Any, jobs: Sequence[Job]) -> list[PendingReport]:
        reports = []
        for job in self.due(jobs)[:self.policy.pending_checks_per_poll]:
            self._asked.add(job.id)
            try:
                result = await client.validate_existing_job(job.id)
            except RateLimited:
                self._asked.discard(job.id)  # asked again after the next poll
                break
            except NotAvailable:
                self.available = False
                reports.append(PendingReport(job, (), PENDING_CHECK_UNAVAILABLE, False))
                break
            except OrchestratorError as exc:
                log.info("Asking why job %s is Pending failed: %s", job.id, exc)
                reports.append(PendingReport(
                    job, (), f"Why the job is Pending could not be asked: {exc}", False))
                continue
            found = tuple(diagnosis.findings(result))
            note = diagnosis.SNAPSHOT_NOTE if found else (
                "Orchestrator gives no reason: the job starts as soon as a robot takes it.")
            reports.append(PendingReport(job, found, note))
        return reports


@dataclass
class FollowOutcome:
    """How following ended: the last known ``jobs``; ``timed_out`` when the timeout passed
    before every job rested; the ``pending`` reports handed out on the way."""

    jobs: list
    timed_out: bool = False
    pending: list = field(default_factory=list)

    @property
    def suspended(self) -> list[Job]:
        return [job for job in self.jobs if job.is_suspended]


async def follow(
    client: Any,
    jobs: Sequence[Job],
    *,
    on_change: Callable[[Job, Job], None] = lambda old, new: None,
    on_pending: Optional[Callable[[PendingReport], None]] = None,
    timeout: Optional[float] = None,
    policy: FollowPolicy = POLICY,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    latest: Optional[list[Job]] = None,
    clock: Callable[[], float] = time.monotonic,
) -> FollowOutcome:
    """Poll until every job is final or Suspended, or ``timeout`` passed.

    ``on_change(old, new)`` is called for each job whose state changed; ``on_pending(report)``
    (when given) once per job that stays Pending (``PendingWatch``). ``latest`` (a list) is
    kept up to date with the last known jobs, also when a poll raises, so a caller can
    report what is known after a failure. Raises the ``OrchestratorError`` of a poll that
    failed for any reason but throttling.
    """
    current = list(jobs)
    if latest is not None:
        latest[:] = current
    outcome = FollowOutcome(current)
    watch = PendingWatch(policy, clock)
    deadline = None if timeout is None else clock() + timeout
    for wait in policy.waits():
        if not moving(current):
            return outcome
        if on_pending is not None:
            for report in await watch.check(client, current):
                outcome.pending.append(report)
                on_pending(report)
        if deadline is not None:
            remaining = deadline - clock()
            if remaining <= 0:
                outcome.timed_out = True
                return outcome
            wait = min(wait, remaining)
        await sleep(wait)
        try:
            fresh = await poll_once(client, current)
        except RateLimited as exc:
            # The jobs are started: a throttled poll is only a later answer.
            log.info("Polling the jobs was throttled (%s); following goes on", exc)
            continue
        for old, new in zip(current, fresh):
            if new.state != old.state:
                on_change(old, new)
        current = fresh
        outcome.jobs = current
        if latest is not None:
            latest[:] = current
    return outcome  # pragma: no cover - waits() never ends


# -- queue items (issue 16) -------------------------------------------------------------------


@dataclass
class ItemFollowOutcome:
    """How following an item ended: the last known ``item`` (after a Retried status, the
    newest attempt); ``timed_out`` when the timeout passed before it was final."""

    item: Any
    timed_out: bool = False


async def _newest_attempt(client: Any, item: Any) -> Any:
    """The attempt that replaced a Retried ``item`` (``GetItemLastRetryByKey``, else the
    newest item with the same key and reference), or ``item`` while none is listed yet."""
    try:
        newest = await client.queue_item_last_retry(item.key)
    except (NotFound, NotAvailable, RequestRejected, ValueError):
        newest = None
    queue_id = item.raw.get("QueueDefinitionId") if isinstance(item.raw, dict) else None
    if newest is None and item.reference and isinstance(queue_id, int):
        same = [found for found in await client.queue_items_by_reference(queue_id, item.reference)
                if found.key == item.key and found.id != item.id]
        newest = same[0] if same else None
    return newest if newest is not None and newest.id != item.id else item


async def poll_item(client: Any, item: Any) -> Any:
    """``item`` as Orchestrator has it now; a Retried item as its newest attempt (same
    ``Key``). Raises ``OrchestratorError`` (``RateLimited`` when throttled)."""
    fresh = await client.queue_item(item.id)
    if fresh.status == "Retried":
        fresh = await _newest_attempt(client, fresh)
    return fresh


async def follow_item(
    client: Any,
    item: Any,
    policy: FollowPolicy = POLICY,
    on_change: Callable[[Any, Any], None] = lambda old, new: None,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    *,
    timeout: Optional[float] = None,
    clock: Callable[[], float] = time.monotonic,
) -> ItemFollowOutcome:
    """Poll a queue item (``queue_item``) until it is final (Successful, Failed, Abandoned,
    Deleted), or ``timeout`` passed; the waits are the jobs' (``policy``). A Retried item is
    followed on as its newest attempt (same ``Key``). ``on_change(old, new)`` is called when
    the status changes or a new attempt is followed. A throttled poll only waits longer;
    any other failure is raised."""
    current = item
    deadline = None if timeout is None else clock() + timeout
    for wait in policy.waits():
        if current.is_final:
            return ItemFollowOutcome(current)
        if deadline is not None:
            remaining = deadline - clock()
            if remaining <= 0:
                return ItemFollowOutcome(current, True)
            wait = min(wait, remaining)
        await sleep(wait)
        try:
            fresh = await poll_item(client, current)
        except RateLimited as exc:
            log.info("Polling the queue item was throttled (%s); following goes on", exc)
            continue
        if fresh.status != current.status or fresh.id != current.id:
            on_change(current, fresh)
        current = fresh
    return ItemFollowOutcome(current)  # pragma: no cover - waits() never ends
