"""Injected transport faults: throttling, server errors, dropped connections and delays.

Faults apply to Orchestrator endpoints only (``/odata/...``, ``/api/...`` except sign-in, and
unknown paths); the token endpoints and ``/api/Account/Authenticate`` are never faulted, so a
client can always sign in. One seeded random draw per request picks at most one of 429 / 500 /
502 / 503 / drop (their rates must add up to at most 1); a delay is drawn independently and
comes first. ``only`` limits those per-request faults (and the delay) to routes whose label
contains one of its ``|``-separated parts, any case (``"StartJobs"``, ``"GET /odata/Jobs"``).

After a successful StartJobs (the jobs exist): ``drop_after_start`` closes the connection without
an answer; ``after_start`` answers instead with ``500`` / ``502`` / ``503`` / ``504`` or
``garble`` (a 201 whose body is cut-off JSON) - what a proxy or a crash after the commit looks
like to the client.

What a fault answers: 429 an Orchestrator error body plus ``Retry-After``; 500 and 503 an
Orchestrator error body; 502 a small HTML page, as a gateway would send. ``no_retry_after`` is
the chance that a 429 - injected, or the tenant's own ``GET /odata/Jobs`` limit - comes
without ``Retry-After``, as real tenants sometimes answer.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, fields
from typing import Callable, Optional

from tui_app.sandbox.wire import ApiError, Response

#: Spec key -> FaultConfig field, for the faults one draw chooses between.
_KINDS = {
    "429": "too_many_requests",
    "500": "server_error",
    "502": "bad_gateway",
    "503": "unavailable",
    "drop": "drop",
}


@dataclass(frozen=True)
class FaultConfig:
    """Probabilities (0..1) of each fault per request, plus delay and Retry-After settings."""

    too_many_requests: float = 0.0
    server_error: float = 0.0
    bad_gateway: float = 0.0
    unavailable: float = 0.0
    drop: float = 0.0
    delay: float = 0.0
    delay_seconds: float = 0.0
    drop_after_start: float = 0.0
    retry_after: int = 1
    no_retry_after: float = 0.0
    #: Route label parts (``|``-separated, any case) the per-request faults apply to; "" = all.
    only: str = ""
    #: What a successful StartJobs answers instead of 201: "500", "502", "503", "504",
    #: "garble", or "" (the normal answer).
    after_start: str = ""

    def __post_init__(self) -> None:
        if self.after_start not in AFTER_START:
            raise ValueError(f"after_start must be one of {', '.join(AFTER_START[1:])}, "
                             f"not {self.after_start!r}")
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name in ("only", "after_start"):
                continue
            if item.name in ("delay_seconds", "retry_after"):
                if value < 0:
                    raise ValueError(f"{item.name} must not be negative")
            elif not 0.0 <= value <= 1.0:
                raise ValueError(f"{item.name} must be a probability between 0 and 1, not {value}")
        if sum(getattr(self, name) for name in _KINDS.values()) > 1.0 + 1e-9:
            raise ValueError("the rates of 429, 500, 502, 503 and drop add up to more than 1")

    def summary(self) -> str:
        """The faults that are switched on, e.g. "503=0.05, delay=0.2:1.5" ("" when none)."""
        parts = [f"{key}={getattr(self, name):g}" for key, name in _KINDS.items()
                 if getattr(self, name)]
        if self.delay:
            parts.append(f"delay={self.delay:g}:{self.delay_seconds:g}")
        if self.drop_after_start:
            parts.append(f"drop_after_start={self.drop_after_start:g}")
        if self.after_start:
            parts.append(f"after_start={self.after_start}")
        if parts and self.too_many_requests:
            parts.append(f"retry_after={self.retry_after}")
        if self.no_retry_after:
            parts.append(f"no_retry_after={self.no_retry_after:g}")
        if parts and self.only:
            parts.append(f"only={self.only}")
        return ", ".join(parts)

    def applies_to(self, route_label: str) -> bool:
        """Whether the per-request faults apply to a route (see ``only``)."""
        parts = [part.strip().lower() for part in self.only.split("|") if part.strip()]
        if not parts:
            return True
        label = route_label.lower()
        return any(part in label for part in parts)


#: The answers ``after_start`` can choose ("" = none).
AFTER_START = ("", "500", "502", "503", "504", "garble")

_SPEC_HELP = ("429=P, 500=P, 502=P, 503=P, drop=P, delay=P:SECONDS, drop_after_start=P, "
              "retry_after=SECONDS, no_retry_after=P, after_start=500|502|503|504|garble, "
              "only=ROUTE[|ROUTE]")


def _number(item: str, raw: str, kind: Callable[[str], float] = float) -> float:
    try:
        return kind(raw)
    except ValueError:
        raise ValueError(f"Fault {item!r}: {raw!r} is not a number") from None


def parse_faults(spec: str) -> FaultConfig:
    """Parse ``"429=0.1,503=0.05,delay=0.2:1.5,drop_after_start=1"`` into a FaultConfig.

    ``after_start=503`` and ``only=StartJobs`` (``|`` between several routes) take text.
    """
    values: dict = {}
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        key, sep, raw = (part.strip() for part in item.partition("="))
        key = key.lower()
        if not sep or not raw:
            raise ValueError(f"Fault {item!r} has no value; expected {_SPEC_HELP}")
        if key in _KINDS:
            values[_KINDS[key]] = _number(item, raw)
        elif key in ("drop_after_start", "no_retry_after"):
            values[key] = _number(item, raw)
        elif key == "retry_after":
            values["retry_after"] = _number(item, raw, int)
        elif key == "after_start":
            values["after_start"] = raw.lower()
        elif key == "only":
            values["only"] = raw
        elif key == "delay":
            rate, colon, seconds = raw.partition(":")
            if not colon:
                raise ValueError(f"Fault {item!r}: delay needs RATE:SECONDS, e.g. delay=0.2:1.5")
            values["delay"] = _number(item, rate)
            values["delay_seconds"] = _number(item, seconds)
        else:
            raise ValueError(f"Unknown fault {key!r}; expected {_SPEC_HELP}")
    return FaultConfig(**values)


class FaultInjector:
    """Draws faults from one seeded random generator (thread-safe)."""

    def __init__(self, config: Optional[FaultConfig], seed: int = 0) -> None:
        self.config = config or FaultConfig()
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def _draw(self) -> float:
        with self._lock:
            return self._random.random()

    def delay(self) -> float:
        """Seconds to wait before answering (0 when no delay is drawn)."""
        cfg = self.config
        if cfg.delay and self._draw() < cfg.delay:
            return cfg.delay_seconds
        return 0.0

    def pick(self) -> Optional[str]:
        """One of "429", "500", "502", "503", "drop", or None for a normal answer."""
        cfg = self.config
        if not any(getattr(cfg, name) for name in _KINDS.values()):
            return None
        draw = self._draw()
        for kind, name in _KINDS.items():
            rate = getattr(cfg, name)
            if draw < rate:
                return kind
            draw -= rate
        return None

    def omit_retry_after(self) -> bool:
        """Whether this 429 goes without ``Retry-After`` (see ``no_retry_after``)."""
        rate = self.config.no_retry_after
        return bool(rate) and self._draw() < rate

    def drop_after_start(self) -> bool:
        rate = self.config.drop_after_start
        return bool(rate) and self._draw() < rate

    def after_start(self) -> Optional[Response]:
        """The answer that replaces a successful StartJobs' 201, or None to keep it."""
        kind = self.config.after_start
        if not kind:
            return None
        if kind == "garble":
            return Response(201, b'{"@odata.context":"$metadata#Jobs","value":[{"Key":"',
                            {"Content-Type": "application/json; charset=utf-8"})
        if kind == "504":
            page = (b"<html><head><title>504 Gateway Time-out</title></head>"
                    b"<body>Gateway Time-out</body></html>")
            return Response(504, page, {"Content-Type": "text/html; charset=utf-8"})
        return self.response(kind)

    def response(self, kind: str) -> Response:
        """The answer for an HTTP fault kind ("429", "500", "502" or "503")."""
        if kind == "429":
            seconds = self.config.retry_after
            if self.omit_retry_after():
                return ApiError(429, "Too many requests.", 0).to_response()
            return ApiError(429, f"Too many requests. Retry after {seconds} seconds.", 0,
                            {"Retry-After": str(seconds)}).to_response()
        if kind == "500":
            return ApiError(500, "An error has occurred.", 0).to_response()
        if kind == "503":
            return ApiError(503, "The service is temporarily unavailable. Try again later.",
                            0).to_response()
        page = b"<html><head><title>502 Bad Gateway</title></head><body>Bad Gateway</body></html>"
        return Response(502, page, {"Content-Type": "text/html; charset=utf-8"})
