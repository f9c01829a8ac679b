"""Injected transport faults: throttling, server errors, dropped connections and delays.

Faults apply to Orchestrator endpoints only (``/odata/...``, ``/api/...`` except sign-in, and
unknown paths); the token endpoints and ``/api/Account/Authenticate`` are never faulted, so a
client can always sign in. One seeded random draw per request picks at most one of 429 / 500 /
502 / 503 / drop (their rates must add up to at most 1); a delay is drawn independently and
comes first. ``drop_after_start`` applies to a successful StartJobs: the jobs exist, but the
connection is closed without an answer.

What a fault answers: 429 an Orchestrator error body plus ``Retry-After``; 500 and 503 an
Orchestrator error body; 502 a small HTML page, as a gateway would send.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, fields
from typing import Optional

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

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
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
        if parts and self.too_many_requests:
            parts.append(f"retry_after={self.retry_after}")
        return ", ".join(parts)


_SPEC_HELP = ("429=P, 500=P, 502=P, 503=P, drop=P, delay=P:SECONDS, drop_after_start=P, "
              "retry_after=SECONDS")


def _number(item: str, raw: str, kind: type = float):
    try:
        return kind(raw)
    except ValueError:
        raise ValueError(f"Fault {item!r}: {raw!r} is not a number") from None


def parse_faults(spec: str) -> FaultConfig:
    """Parse ``"429=0.1,503=0.05,delay=0.2:1.5,drop_after_start=1"`` into a FaultConfig."""
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
        elif key == "drop_after_start":
            values["drop_after_start"] = _number(item, raw)
        elif key == "retry_after":
            values["retry_after"] = _number(item, raw, int)
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

    def drop_after_start(self) -> bool:
        rate = self.config.drop_after_start
        return bool(rate) and self._draw() < rate

    def response(self, kind: str) -> Response:
        """The answer for an HTTP fault kind ("429", "500", "502" or "503")."""
        if kind == "429":
            seconds = self.config.retry_after
            return ApiError(429, f"Too many requests. Retry after {seconds} seconds.", 0,
                            {"Retry-After": str(seconds)}).to_response()
        if kind == "500":
            return ApiError(500, "An error has occurred.", 0).to_response()
        if kind == "503":
            return ApiError(503, "The service is temporarily unavailable. Try again later.",
                            0).to_response()
        page = b"<html><head><title>502 Bad Gateway</title></head><body>Bad Gateway</body></html>"
        return Response(502, page, {"Content-Type": "text/html; charset=utf-8"})
