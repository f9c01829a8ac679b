"""Test support shared by the Pilot tests, snapshots and the screenshot script."""

from __future__ import annotations

import httpx

#: What the wizard is told in UI tests: a stable URL (snapshots must not show a random port)
#: that ``SandboxRedirect`` sends to the running sandbox.
UI_URL = "http://orchestrator.test"
FIXED_REFERENCE = "startjob:00000000-0000-4000-8000-000000000001"


class SandboxRedirect(httpx.AsyncBaseTransport):
    """An httpx transport that sends every request to the sandbox's real host and port."""

    def __init__(self, base_url: str) -> None:
        self._target = httpx.URL(base_url)
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request):
        request.url = request.url.copy_with(
            scheme=self._target.scheme, host=self._target.host, port=self._target.port
        )
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()
