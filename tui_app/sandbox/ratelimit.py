"""The per-tenant limits on ``GET /odata/Jobs`` and ``GET /odata/QueueItems`` (one counter each,
the same documented 100 requests per minute): a rolling-window counter shared by every client
of the tenant, and the 429 it answers (``Retry-After`` and errorCode 0 are UNCONFIRMED; a real
tenant sometimes answers without ``Retry-After``, see ``FaultConfig.no_retry_after``)."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from typing import Callable, Optional

from tui_app.sandbox.wire import ApiError


class RateLimiter:
    """Allows ``limit`` calls per ``window`` seconds; refused calls are not counted.

    ``used_by_others`` of those calls go, in every window, to the tenant's other clients (other
    users, robots, integrations), so this sandbox's clients get the rest.
    """

    def __init__(self, limit: int, window: float = 60.0,
                 clock: Callable[[], float] = time.monotonic, *, used_by_others: int = 0) -> None:
        if used_by_others < 0:
            raise ValueError("used_by_others must not be negative")
        self.limit = limit
        self.window = window
        self.used_by_others = used_by_others
        self._clock = clock
        self._calls: deque = deque()
        self._lock = threading.Lock()

    def acquire(self) -> Optional[int]:
        """None when the call is allowed, else the whole seconds until it would be."""
        now = self._clock()
        with self._lock:
            while self._calls and self._calls[0] <= now - self.window:
                self._calls.popleft()
            ours = self.limit - self.used_by_others
            if len(self._calls) < ours:
                self._calls.append(now)
                return None
            if ours <= 0:
                return max(1, math.ceil(self.window))
            wait = self._calls[len(self._calls) - ours] + self.window - now
            return max(1, math.ceil(wait))


def jobs_limit_error(limit: int, seconds: int, *, retry_after: bool = True,
                     collection: str = "Jobs", single: str = "jobs") -> ApiError:
    """The 429 for a ``GET /odata/{collection}`` over the tenant's limit (``retry_after``
    False: no ``Retry-After`` header and no wait in the message, as some real tenants answer);
    ``single`` names what ``/odata/{collection}({Id})`` reads."""
    wait = f"Retry after {seconds} seconds, or read" if retry_after else "Read"
    return ApiError(
        429, f"Too many requests: GET /odata/{collection} is limited to {limit} requests per "
             f"minute for this tenant. {wait} single {single} with /odata/{collection}({{Id}}).",
        0, {"Retry-After": str(seconds)} if retry_after else None)
