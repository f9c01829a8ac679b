"""Orchestrator answers the sandbox does not give (yet), for the wizard's Pilot tests.

``Intercept`` is ``SandboxRedirect`` with some answers replaced: a handler gets the request and
a ``forward()`` that sends it on to the sandbox, and answers in the spec's shapes.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable
from typing import Any, Callable

import httpx
from support import SandboxRedirect

Forward = Callable[[], Awaitable[httpx.Response]]
Handler = Callable[[httpx.Request, Forward], Awaitable[httpx.Response]]


class Intercept(httpx.AsyncBaseTransport):
    """Requests go to the sandbox, except those whose path ends with a key of ``handlers``
    (``"ValidateDynamicJob"``; ``"GET /odata/Jobs"`` for that method only): that handler
    answers.
    ``seen`` lists the ``(method path, JSON body or None)`` of every intercepted request."""

    def __init__(self, base_url: str, handlers: dict[str, Handler]) -> None:
        self._inner = SandboxRedirect(base_url)
        self.handlers = handlers
        self.seen: list[tuple[str, Any]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        route = f"{request.method} {request.url.path}"
        for ending, handler in self.handlers.items():
            method, _, path = ending.rpartition(" ")
            if request.url.path.endswith(path) and method in ("", request.method):
                body = await request.aread()
                self.seen.append((route, json.loads(body) if body else None))
                return await handler(request, lambda: self._inner.handle_async_request(request))
        return await self._inner.handle_async_request(request)

    def count(self, ending: str) -> int:
        return sum(1 for route, _ in self.seen if route.endswith(ending))

    async def aclose(self) -> None:
        await self._inner.aclose()


def answer(status: int, body: Any, **headers: str) -> Handler:
    """A handler that always answers ``status`` with the JSON ``body``."""

    async def handle(request: httpx.Request, forward: Forward) -> httpx.Response:
        return httpx.Response(status, json=body, headers=headers)

    return handle


def answers(*handlers: Handler) -> Handler:
    """Each request gets the next handler's answer; after the last, the sandbox answers."""
    left = list(handlers)

    async def handle(request: httpx.Request, forward: Forward) -> httpx.Response:
        if left:
            return await left.pop(0)(request, forward)
        return await forward()

    return handle


def validation(*codes: str, errors: tuple = ()) -> dict:
    """A ``ValidationResultDto``."""
    return {"IsValid": not codes and not errors, "Errors": list(errors),
            "ErrorCodes": list(codes)}


def refusal(status: int, message: str, code: Any) -> Handler:
    """Orchestrator's error body for a refused request."""
    return answer(status, {"message": message, "errorCode": code, "traceId": "t-1"})


def jobs_as(**changes: Any) -> Handler:
    """The sandbox's jobs, each with ``changes`` (PascalCase fields) applied."""

    async def handle(request: httpx.Request, forward: Forward) -> httpx.Response:
        response = await forward()
        data = json.loads(await response.aread())
        for job in data.get("value", []):
            job.update(changes)
        return httpx.Response(response.status_code, json=data)

    return handle


def robots_as(types: dict[str, str]) -> Handler:
    """The sandbox's robots, with the ``Type`` of those named in ``types`` changed."""

    async def handle(request: httpx.Request, forward: Forward) -> httpx.Response:
        response = await forward()
        data = json.loads(await response.aread())
        for robot in data.get("value", []):
            robot["Type"] = types.get(robot.get("Name"), robot.get("Type", "Unattended"))
        return httpx.Response(response.status_code, json=data)

    return handle


def intercept(app: Any, sandbox: Any, handlers: dict[str, Handler]) -> Intercept:
    """Put an ``Intercept`` between ``app`` (from ``make_wizard``, not yet signed in) and the
    sandbox."""
    transport = Intercept(sandbox.base_url, handlers)
    app.session.client_options["transport"] = transport
    return transport
