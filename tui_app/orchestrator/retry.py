"""When and how long to wait before trying a read request again.

Only idempotent reads (GET, and POSTs that change nothing) are retried, on throttling/gateway
answers and on connection problems (not a refused connection: nothing was sent, it is
reported at once). ``Retry-After`` wins when the server sends it; otherwise exponential
backoff with "full jitter" (a random wait between zero and the exponential cap) spreads
clients out.

A 429 *without* ``Retry-After`` is different: Orchestrator's limits count requests per rolling
minute (100 filtered ``GET /odata/Jobs`` per minute, shared by every client of the tenant), so
a few short retries only use up more of the same minute. The client then waits longer and
longer (``throttle_delay``) until ``throttle_window`` seconds have passed in all, and only
then gives up; ``max_retries`` does not limit these waits.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import timezone
from email.utils import parsedate_to_datetime
from typing import Callable, Optional

#: HTTP statuses worth trying again (throttled, or a gateway that could not reach Orchestrator).
RETRY_STATUSES = frozenset({429, 502, 503, 504})


def parse_retry_after(value: Optional[str], *, now: Optional[float] = None) -> Optional[float]:
    """Seconds to wait according to a ``Retry-After`` header, or None when absent/unreadable.

    Accepts delta-seconds (``"7"``, ``"1.5"``) and an HTTP date; a date in the past means 0.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        if seconds != seconds or seconds in (float("inf"), float("-inf")):
            return None
        return max(0.0, seconds)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # HTTP dates are GMT; a naive result means "no zone given"
        when = when.replace(tzinfo=timezone.utc)
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


@dataclass
class RetryPolicy:
    """How many times and how long: ``delay(attempt)`` for the attempt-th retry (0-based)."""

    max_retries: int = 4
    max_wait: float = 30.0
    base: float = 0.5
    rng: Callable[[], float] = random.random
    #: How long a 429 without Retry-After is waited out, in all (one rate-limit window).
    throttle_window: float = 60.0
    #: The first of those waits; each next one doubles (with jitter), up to the window.
    throttle_first: float = 2.0

    def backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(max_wait, base * 2**attempt)]."""
        cap = min(self.max_wait, self.base * (2 ** max(0, attempt)))
        return max(0.0, cap * self.rng())

    def delay(self, attempt: int, retry_after: Optional[float]) -> float:
        """The wait before retry number ``attempt``: Retry-After (capped) or backoff."""
        if retry_after is not None:
            return min(self.max_wait, max(0.0, retry_after))
        return self.backoff(attempt)

    def throttle_delay(self, attempt: int, waited: float) -> Optional[float]:
        """The wait before trying again after a 429 without Retry-After, having waited
        ``waited`` seconds for it so far; None once a whole ``throttle_window`` has passed.

        Doubling waits from ``throttle_first`` with "equal jitter" (between half and all of
        the doubled wait), the last one cut so the waits add up to the window exactly.
        """
        left = self.throttle_window - waited
        if left <= 0:
            return None
        step = self.throttle_first * (2 ** max(0, attempt))
        return min(left, step * (0.5 + 0.5 * self.rng()))
