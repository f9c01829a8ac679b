"""A rolling-window request counter (the per-tenant limit on ``GET /odata/Jobs``)."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from typing import Callable, Optional


class RateLimiter:
    """Allows ``limit`` calls per ``window`` seconds; refused calls are not counted."""

    def __init__(self, limit: int, window: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._calls: deque = deque()
        self._lock = threading.Lock()

    def acquire(self) -> Optional[int]:
        """None when the call is allowed, else the whole seconds until it would be."""
        now = self._clock()
        with self._lock:
            while self._calls and self._calls[0] <= now - self.window:
                self._calls.popleft()
            if len(self._calls) < self.limit:
                self._calls.append(now)
                return None
            wait = self._calls[len(self._calls) - self.limit] + self.window - now
            return max(1, math.ceil(wait))
