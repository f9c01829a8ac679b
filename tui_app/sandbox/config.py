"""Sandbox settings and the demo tenant's fixed credentials."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional
from urllib.parse import urlsplit

from tui_app.sandbox.faults import FaultConfig


@dataclass(frozen=True)
class DemoCredentials:
    """What the demo tenant accepts, for each of the three sign-in modes."""

    client_id: str
    client_secret: str
    tenancy_name: str
    username: str
    password: str
    personal_access_token: str
    organization: str
    tenant: str


DEMO = DemoCredentials(
    client_id="demo-client",
    client_secret="demo-secret",
    tenancy_name="Default",
    username="admin",
    password="demo",
    personal_access_token="demo-pat",
    organization="demo",
    tenant="DefaultTenant",
)


def is_demo_url(url: str) -> bool:
    """Whether ``url`` is a sandbox on this machine, on any port, in either URL shape: the
    server root (standalone, what ``--demo`` signs in on) or the demo tenant's cloud path (what
    older ``--demo`` drafts hold); each demo sandbox gets a new port."""
    try:
        parts = urlsplit((url or "").strip())
        host = parts.hostname
    except ValueError:
        return False
    demo_path = f"/{DEMO.organization}/{DEMO.tenant}/orchestrator_"
    return (host in ("127.0.0.1", "localhost", "::1")
            and parts.path.rstrip("/").lower() in ("", demo_path.lower()))


@dataclass(frozen=True)
class SandboxConfig:
    """How the sandbox behaves; all durations are in seconds.

    ``scale`` adds a classic folder "Scale" with that many releases (and half as many robots);
    ``hostile`` adds the folders "Hostile" and "Hostile/Sub…" full of hostile text (see
    ``tui_app.sandbox.hostile``);
    ``faults`` injects transport errors; ``seed`` makes faults and generated keys repeatable;
    ``jobs_rate_limit`` is the number of ``GET /odata/Jobs`` collection requests allowed per
    rolling minute; the demo's Busy robots finish their other work ``busy_seconds`` after a job
    starts waiting on them, and its Disconnected robots connect ``reconnect_seconds`` after;
    one second of a start's ``StopProcessExpression`` / ``KillProcessExpression`` /
    ``AlertPendingExpression`` / ``AlertRunningExpression`` lasts ``expression_seconds``;
    an item of a queue that a demo process consumes waits ``item_processing_seconds`` before
    its robot takes it, and is processed for as long again;
    ``queue_items_rate_limit`` is the ``GET /odata/QueueItems`` collection requests allowed per
    rolling minute; every answer, sign-in included, waits ``latency`` (a WAN, for benchmarks).
    """

    token_lifetime: float = 3600.0
    job_pending_seconds: float = 1.0
    job_running_seconds: float = 3.0
    stop_seconds: float = 1.0
    scale: int = 0
    faults: Optional[FaultConfig] = None
    seed: int = 0
    jobs_rate_limit: int = 100
    #: Of ``jobs_rate_limit``, the requests per minute the tenant's other clients use up.
    jobs_rate_used_by_others: int = 0
    hostile: bool = False
    busy_seconds: float = 30.0
    reconnect_seconds: float = 20.0
    expression_seconds: float = 1.0
    item_processing_seconds: float = 3.0
    queue_items_rate_limit: int = 100
    #: Seconds every answer waits, sign-in too (a WAN's round trip, for benchmarks).
    latency: float = 0.0

    def __post_init__(self) -> None:
        for name in ("token_lifetime", "job_pending_seconds", "job_running_seconds",
                     "stop_seconds", "busy_seconds", "reconnect_seconds",
                     "expression_seconds", "item_processing_seconds", "latency"):
            value = getattr(self, name)
            if value < 0:
                raise ValueError(f"{name} must not be negative")
            if not math.isfinite(value):
                raise ValueError(f"{name} must be a finite number of seconds")
        if self.scale < 0:
            raise ValueError("scale must not be negative")
        if self.jobs_rate_limit < 1:
            raise ValueError("jobs_rate_limit must be at least 1")
        if self.queue_items_rate_limit < 1:
            raise ValueError("queue_items_rate_limit must be at least 1")
