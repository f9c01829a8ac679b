"""Test support shared by the Pilot tests, snapshots and the screenshot script."""

from __future__ import annotations

import httpx

#: What the wizard is told in UI tests: a stable URL (snapshots must not show a random port)
#: that ``SandboxRedirect`` sends to the running sandbox.
UI_URL = "http://orchestrator.test"
FIXED_REFERENCE = "startjob:00000000-0000-4000-8000-000000000001"
#: A Specific template of the demo tenant's SupportTriage (Default folder, one robot).
TRIAGE_TEMPLATE = """
version = 1
name = "Triage incident"

[connection]
folder = "Default"

[process]
key = "SupportTriage"
environment = "QuickstartDemo"
release_key = "99587436-4ce5-480d-988c-6d7f43787a2c"
version = "1.0.1"

[strategy]
kind = "Specific"
robots = ["SUPPORT-BOT-01"]

[arguments]
IncidentId = "INC0010234"

[signature]
IncidentId = "System.String"
"""


#: The environment variable the "prod" profile of ``write_prod_profile`` reads its secret from.
PROD_SECRET_ENV = "PROD_SECRET"


def write_prod_profile(**keys: str) -> None:
    """profiles.toml (in the current startjob home) with one profile, "prod", on ``UI_URL``
    with the demo client, its secret from ``PROD_SECRET_ENV``; ``keys`` are more TOML
    lines (``protected="true"``)."""
    from tui_app.profiles import profiles_file

    lines = [f'url = "{UI_URL}"', 'client_id = "demo-client"',
             f'secret_env = "{PROD_SECRET_ENV}"']
    lines += [f"{key} = {value}" for key, value in keys.items()]
    profiles_file().parent.mkdir(parents=True, exist_ok=True)
    profiles_file().write_text("[profiles.prod]\n" + "\n".join(lines) + "\n", encoding="utf-8")


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


class ClockedOrchestrator:
    """The sandbox on a clock that moves only when told (``wait``), and an HTTP client per
    folder (``client``; closed by ``close``). ``START_DEFAULTS`` fill a start in "Default"."""

    START = "/odata/Jobs/UiPath.Server.Configuration.OData.StartJobs"
    START_DEFAULTS: dict = {}

    def __init__(self, sandbox) -> None:
        import time

        self.sandbox = sandbox
        self.now = time.time()
        sandbox.tenant.clock = lambda: self.now
        self.clients: list = []

    def client(self, folder="Default", token=None, base=None) -> httpx.Client:
        from tui_app.sandbox import DEMO

        headers = {"Authorization": f"Bearer {token or DEMO.personal_access_token}"}
        if folder:
            headers["X-UIPATH-FolderPath"] = folder
        client = httpx.Client(base_url=base or self.sandbox.orchestrator_url, headers=headers)
        self.clients.append(client)
        return client

    def start(self, folder="Default", **info) -> dict:
        info.setdefault("ReleaseName", "SupportTriage_QuickstartDemo")
        if folder == "Default":
            for name, value in self.START_DEFAULTS.items():
                info.setdefault(name, value)
        response = self.client(folder).post(self.START, json={"startInfo": info})
        assert response.status_code == 201, response.text
        return response.json()["value"][0]

    def wait(self, seconds: float) -> None:
        self.now += seconds

    def close(self) -> None:
        for client in self.clients:
            client.close()
