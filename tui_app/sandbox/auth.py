"""Access tokens and OAuth scopes.

Tokens are opaque random strings kept in memory. Client-credentials tokens carry the scopes
they were granted and only reach the endpoints those scopes cover; tokens from
``/api/Account/Authenticate`` and the personal access token reach everything.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from typing import Callable, Optional

#: Orchestrator resources that have ``OR.<Resource>`` scopes (each also ``.Read`` / ``.Write``).
SCOPE_RESOURCES = (
    "Administration", "Assets", "Audit", "BusinessRules", "Execution", "Folders", "Jobs",
    "License", "Machines", "Monitoring", "Queues", "Robots", "Settings", "Tasks",
    "TestDataQueues", "TestSetExecutions", "TestSetSchedules", "TestSets", "Users", "Webhooks",
)
KNOWN_SCOPES = frozenset(
    f"OR.{resource}{suffix}" for resource in SCOPE_RESOURCES for suffix in ("", ".Read", ".Write")
)


def parse_scopes(text: str) -> tuple[frozenset, list]:
    """Split a space-separated scope list into (known scopes, unknown names)."""
    names = text.split()
    return frozenset(n for n in names if n in KNOWN_SCOPES), [n for n in names
                                                                  if n not in KNOWN_SCOPES]


def scopes_needed(resource: str, access: str) -> tuple[str, str]:
    """The two scopes that each grant ``access`` ("Read"/"Write") on ``resource``."""
    return f"OR.{resource}", f"OR.{resource}.{access}"


@dataclass(frozen=True)
class Grant:
    """Who a token belongs to and what it may do; ``scopes`` None means everything."""

    subject: str
    kind: str  # "client", "user" or "pat"
    scopes: Optional[frozenset]
    expires_at: Optional[float]

    def allows(self, resource: str, access: str) -> bool:
        return self.scopes is None or any(s in self.scopes for s in scopes_needed(resource, access))


class TokenStore:
    """Issues and checks bearer tokens; the personal access token never expires."""

    def __init__(self, lifetime: float, personal_access_token: str,
                 clock: Callable[[], float] = time.time) -> None:
        self.lifetime = lifetime
        self._clock = clock
        self._lock = threading.Lock()
        self._grants: dict[str, Grant] = {
            personal_access_token: Grant("admin", "pat", None, None),
        }

    def issue(self, subject: str, kind: str, scopes: Optional[frozenset]) -> str:
        token = secrets.token_urlsafe(32)
        now = self._clock()
        with self._lock:
            self._grants = {t: g for t, g in self._grants.items()
                            if g.expires_at is None or g.expires_at > now}
            self._grants[token] = Grant(subject, kind, scopes, now + self.lifetime)
        return token

    def check(self, token: str) -> tuple[Optional[Grant], str]:
        """(grant, "") for a valid token, else (None, why: "unknown" or "expired")."""
        with self._lock:
            grant = self._grants.get(token)
        if grant is None:
            return None, "unknown"
        if grant.expires_at is not None and grant.expires_at <= self._clock():
            return None, "expired"
        return grant, ""

    def expire_all(self) -> None:
        """Make every issued token (not the personal access token) expire now."""
        now = self._clock()
        with self._lock:
            self._grants = {t: (g if g.expires_at is None else
                                Grant(g.subject, g.kind, g.scopes, now))
                            for t, g in self._grants.items()}
