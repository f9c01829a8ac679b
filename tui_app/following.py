"""Following started jobs until they end: one policy for the wizard's Run step and
``startjob run --wait``.

Each poll asks for every unfinished job in one ``get_jobs`` request; the wait between polls
starts at ``first`` seconds and grows by ``factor`` up to ``longest``, which keeps a long job
well inside Orchestrator's 100-requests-per-minute limit on filtered ``GET /odata/Jobs``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Callable, Optional

from tui_app.orchestrator.models import Job


@dataclass(frozen=True)
class FollowPolicy:
    """Waits between polls, in seconds."""

    first: float = 1.0
    factor: float = 1.5
    longest: float = 15.0

    def waits(self) -> Iterator[float]:
        wait = self.first
        while True:
            yield wait
            wait = min(wait * self.factor, self.longest)


POLICY = FollowPolicy()


def unfinished(jobs: Sequence[Job]) -> list[Job]:
    return [job for job in jobs if not job.is_final]


async def poll_once(client: Any, jobs: Sequence[Job]) -> list[Job]:
    """``jobs`` with the unfinished ones refreshed in one request (order kept; a job
    Orchestrator no longer lists keeps its last known state)."""
    pending = [job.id for job in unfinished(jobs)]
    if not pending:
        return list(jobs)
    fresh = {job.id: job for job in await client.get_jobs(pending)}
    return [fresh.get(job.id, job) for job in jobs]


async def follow(
    client: Any,
    jobs: Sequence[Job],
    *,
    on_change: Callable[[Job, Job], None] = lambda old, new: None,
    timeout: Optional[float] = None,
    policy: FollowPolicy = POLICY,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    latest: Optional[list[Job]] = None,
) -> bool:
    """Poll until every job ended; True when ``timeout`` passed first.

    ``on_change(old, new)`` is called for each job whose state changed. ``latest`` (a list)
    is kept up to date with the last known jobs, also when a poll raises, so a caller can
    report what is known after a failure.
    """
    current = list(jobs)
    if latest is not None:
        latest[:] = current
    deadline = None if timeout is None else time.monotonic() + timeout
    for wait in policy.waits():
        if not unfinished(current):
            return False
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return True
            wait = min(wait, remaining)
        await sleep(wait)
        fresh = await poll_once(client, current)
        for old, new in zip(current, fresh):
            if new.state != old.state:
                on_change(old, new)
        current = fresh
        if latest is not None:
            latest[:] = current
    return False  # pragma: no cover - waits() never ends
