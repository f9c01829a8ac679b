"""A thread-safe record of the requests the sandbox answered (for tests and benchmarks)."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Optional

#: Oldest entries are forgotten beyond this many (a long-running sandbox stays small).
MAX_ENTRIES = 100_000


@dataclass(frozen=True)
class LoggedRequest:
    """One request. ``route`` is normalised, e.g. "GET /odata/Jobs({id})"; ``status`` is 0 when
    the connection was dropped without an answer; ``response_bytes`` is the answer's body
    size."""

    method: str
    path: str
    route: str
    query: dict
    headers: dict
    body: Optional[str]
    status: int
    response_bytes: int = 0


class RequestLog:
    def __init__(self) -> None:
        self._entries: deque = deque(maxlen=MAX_ENTRIES)
        self._lock = threading.Lock()

    def add(self, entry: LoggedRequest) -> None:
        with self._lock:
            self._entries.append(entry)

    def snapshot(self) -> list:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def count(self, route_prefix: str) -> int:
        with self._lock:
            return sum(1 for entry in self._entries if entry.route.startswith(route_prefix))
