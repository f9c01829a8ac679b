"""Sign-in flows (httpx.Auth) against an in-memory Orchestrator (httpx.MockTransport)."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qs

import httpx
import pytest

from tui_app.orchestrator import (
    DEFAULT_SCOPES,
    OPTIONAL_SCOPES,
    AuthenticationError,
    ClientCredentialsAuth,
    ConnectionFailed,
    OrchestratorClient,
    PasswordAuth,
    PermissionDenied,
    ProtocolError,
    RateLimited,
    ServerError,
    TokenAuth,
    identity_url_for,
    orchestrator_base_of,
)

BASE = "https://cloud.example.com/acme/DefaultTenant/orchestrator_"
TOKEN_URL = "https://cloud.example.com/identity_/connect/token"
ROPC_URL = BASE + "/api/Account/Authenticate"


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class FakeServer:
    """Token endpoint + Authenticate + one API route that wants a valid bearer token."""

    def __init__(self) -> None:
        self.issued = 0
        self.valid: set = set()
        self.token_replies: list = []  # queued (status, body, headers) for the token endpoint
        self.always_401 = False
        self.token_requests: list = []
        self.api_requests: list = []
        self.api_auth: list = []  # the Authorization header as it was when each call arrived
        self.lifetime = 3600

    def issue(self) -> str:
        self.issued += 1
        token = f"tok-{self.issued}"
        self.valid.add(token)
        return token

    def handler(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/connect/token") or path.endswith("/api/Account/Authenticate"):
            self.token_requests.append(request)
            if self.token_replies:
                status, body, headers = self.token_replies.pop(0)
                content = body if isinstance(body, bytes) else json.dumps(body).encode()
                return httpx.Response(status, content=content, headers=headers)
            token = self.issue()
            if path.endswith("/connect/token"):
                return httpx.Response(200, json={"access_token": token,
                                                 "expires_in": self.lifetime,
                                                 "token_type": "Bearer",
                                                 "scope": "OR.Jobs"})
            return httpx.Response(200, json={"result": token, "targetUrl": None,
                                             "success": True, "error": None,
                                             "unAuthorizedRequest": False, "__abp": True})
        self.api_requests.append(request)
        auth = request.headers.get("Authorization", "")
        self.api_auth.append(auth)
        token = auth[len("Bearer "):] if auth.startswith("Bearer ") else None
        if self.always_401 or token not in self.valid:
            return httpx.Response(401, json={"message": "You are not authenticated!",
                                             "errorCode": 0, "traceId": "00-abc-def-00"})
        return httpx.Response(200, json={"value": [], "@odata.count": 0, "token": token})

    def client(self, auth: httpx.Auth) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=BASE + "/", auth=auth,
                                 transport=httpx.MockTransport(self.handler))


# -- identity URLs --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "orchestrator, expected",
    [
        ("https://cloud.uipath.com/acme/DefaultTenant/orchestrator_",
         "https://cloud.uipath.com/identity_/connect/token"),
        ("https://cloud.uipath.com/acme/DefaultTenant/orchestrator_/",
         "https://cloud.uipath.com/identity_/connect/token"),
        ("https://cloud.uipath.com", "https://cloud.uipath.com/identity_/connect/token"),
        ("https://staging.uipath.com/org/t/orchestrator_",
         "https://staging.uipath.com/identity_/connect/token"),
        ("https://suite.corp.local/org/tenant/orchestrator_",
         "https://suite.corp.local/identity_/connect/token"),
        ("http://127.0.0.1:8123/demo/DefaultTenant/orchestrator_",
         "http://127.0.0.1:8123/identity_/connect/token"),
        ("http://127.0.0.1:8123/demo/DefaultTenant/orchestrator_/odata/Jobs?$top=1",
         "http://127.0.0.1:8123/identity_/connect/token"),
        ("https://orchestrator.corp.local", "https://orchestrator.corp.local/identity/connect/token"),
    ],
)
def test_identity_url_for(orchestrator, expected):
    assert identity_url_for(orchestrator) == expected


def test_identity_url_needs_absolute_url():
    with pytest.raises(ValueError):
        identity_url_for("not a url")


def test_orchestrator_base_of():
    assert orchestrator_base_of(BASE + "/odata/Folders?$top=3") == BASE
    assert orchestrator_base_of(BASE) == BASE
    assert orchestrator_base_of("https://onprem.local/odata/Jobs(3)") == "https://onprem.local"
    assert orchestrator_base_of("https://onprem.local/orch/api/Account/Authenticate") == (
        "https://onprem.local/orch"
    )


# -- client credentials ---------------------------------------------------------------------


async def test_client_credentials_token_request_and_reuse():
    server = FakeServer()
    seen = []
    auth = ClientCredentialsAuth("app-id", "s3cr3t&=+", on_token=lambda t, e: seen.append((t, e)))
    async with server.client(auth) as http:
        r1 = await http.get("odata/Folders")
        r2 = await http.get("odata/Releases")
    assert r1.status_code == r2.status_code == 200
    assert len(server.token_requests) == 1
    token_request = server.token_requests[0]
    assert str(token_request.url) == TOKEN_URL
    assert token_request.method == "POST"
    assert token_request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "Authorization" not in token_request.headers
    form = parse_qs(token_request.content.decode())
    assert form == {
        "grant_type": ["client_credentials"],
        "client_id": ["app-id"],
        "client_secret": ["s3cr3t&=+"],
        "scope": [f"{DEFAULT_SCOPES} {OPTIONAL_SCOPES}"],
    }
    assert DEFAULT_SCOPES.split() == [
        "OR.Folders.Read", "OR.Execution.Read", "OR.Jobs", "OR.Robots.Read", "OR.Machines.Read"]
    assert server.api_auth == ["Bearer tok-1"] * 2
    assert [t for t, _ in seen] == ["tok-1"]
    assert auth.token == "tok-1"


async def test_scope_list_and_explicit_identity_url():
    server = FakeServer()
    auth = ClientCredentialsAuth("a", "b", scope=["OR.Jobs", "OR.Folders.Read"],
                                 identity_url="https://id.example.com/acme/identity_/connect/token")
    async with server.client(auth) as http:
        await http.get("odata/Folders")
    request = server.token_requests[0]
    assert str(request.url) == "https://id.example.com/acme/identity_/connect/token"
    assert parse_qs(request.content.decode())["scope"] == ["OR.Jobs OR.Folders.Read"]


async def test_token_renewed_shortly_before_expiry():
    server = FakeServer()
    clock = Clock()
    expiries = []
    auth = ClientCredentialsAuth("a", "b", clock=clock, on_token=lambda t, e: expiries.append(e))
    async with server.client(auth) as http:
        await http.get("odata/Folders")
        assert expiries == [clock.now + 3600]
        clock.now += 3600 - 120  # two minutes left: still fine
        await http.get("odata/Folders")
        assert len(server.token_requests) == 1
        clock.now += 90  # 30 seconds left: renew before using it
        server.valid.discard("tok-1")  # the server would reject it soon anyway
        response = await http.get("odata/Folders")
    assert response.status_code == 200
    assert len(server.token_requests) == 2
    # The request was never sent with the old token: renewal happened first.
    assert server.api_auth == [
        "Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]


async def test_seeded_token_is_used_without_signing_in():
    server = FakeServer()
    server.valid.add("cached")
    clock = Clock()
    auth = ClientCredentialsAuth("a", "b", token="cached", expires_at=clock.now + 600, clock=clock)
    async with server.client(auth) as http:
        await http.get("odata/Folders")
    assert server.token_requests == []
    assert server.api_auth[0] == "Bearer cached"


async def test_seeded_token_that_expired_is_replaced():
    server = FakeServer()
    clock = Clock()
    auth = ClientCredentialsAuth("a", "b", token="old", expires_at=clock.now - 1, clock=clock)
    async with server.client(auth) as http:
        await http.get("odata/Folders")
    assert len(server.token_requests) == 1
    assert server.api_auth[0] == "Bearer tok-1"


async def test_401_signs_in_again_once_and_replays():
    server = FakeServer()
    seen = []
    # A token the server no longer accepts (revoked / restarted), but not expired locally.
    auth = ClientCredentialsAuth("a", "b", token="revoked", expires_at=None,
                                 on_token=lambda t, e: seen.append(t))
    async with server.client(auth) as http:
        response = await http.get("odata/Folders")
    assert response.status_code == 200
    assert len(server.token_requests) == 1
    assert server.api_auth == [
        "Bearer revoked", "Bearer tok-1"]
    assert seen == ["tok-1"]


async def test_second_401_raises_authentication_error():
    server = FakeServer()
    server.always_401 = True
    auth = ClientCredentialsAuth("a", "b", token="revoked")
    async with server.client(auth) as http:
        with pytest.raises(AuthenticationError) as info:
            await http.get("odata/Folders")
    err = info.value
    assert "even after signing in again" in err.message
    assert err.status == 401
    assert err.server_message == "You are not authenticated!"
    assert err.trace_id == "00-abc-def-00"
    assert len(server.token_requests) == 1
    assert len(server.api_requests) == 2


async def test_fresh_token_refused_does_not_loop():
    server = FakeServer()
    server.always_401 = True
    auth = ClientCredentialsAuth("a", "b")
    async with server.client(auth) as http:
        with pytest.raises(AuthenticationError, match="just issued"):
            await http.get("odata/Folders")
    assert len(server.token_requests) == 1
    assert len(server.api_requests) == 1
    assert auth.token is None  # a refused token is not kept


async def test_concurrent_requests_share_one_sign_in():
    server = FakeServer()
    auth = ClientCredentialsAuth("a", "b")
    async with server.client(auth) as http:
        responses = await asyncio.gather(*(http.get("odata/Folders") for _ in range(6)))
    assert all(r.status_code == 200 for r in responses)
    assert len(server.token_requests) == 1


async def test_concurrent_401s_share_one_re_sign_in():
    server = FakeServer()
    auth = ClientCredentialsAuth("a", "b", token="revoked")
    async with server.client(auth) as http:
        responses = await asyncio.gather(*(http.get("odata/Folders") for _ in range(4)))
    assert all(r.status_code == 200 for r in responses)
    assert len(server.token_requests) == 1


@pytest.mark.parametrize(
    "status, body, headers, kind, words",
    [
        (400, {"error": "invalid_client"}, {}, AuthenticationError,
         "client id or client secret was refused"),
        (401, {"error": "invalid_client", "error_description": "bad secret"}, {},
         AuthenticationError, "client id or client secret was refused"),
        (400, {"error": "invalid_scope"}, {}, PermissionDenied, "OR.Jobs OR.Folders.Read"),
        (429, {"error": "too_many_requests"}, {"Retry-After": "42"}, RateLimited,
         "identity rate limit"),
        (503, b"<html>down</html>", {}, ServerError, "identity server"),
        (404, b"", {}, AuthenticationError, "Check the identity URL"),
        (200, b"<html>login page</html>", {}, ProtocolError, "JSON"),
        (200, {"token_type": "Bearer"}, {}, ProtocolError, "without an access token"),
    ],
)
async def test_token_endpoint_errors(status, body, headers, kind, words):
    server = FakeServer()
    server.token_replies.append((status, body, headers))
    auth = ClientCredentialsAuth("a", "b", scope="OR.Jobs OR.Folders.Read")
    async with server.client(auth) as http:
        with pytest.raises(kind) as info:
            await http.get("odata/Folders")
    assert words in info.value.message
    assert server.api_requests == []
    if kind is RateLimited:
        assert info.value.retry_after == 42
    if isinstance(body, dict) and status >= 400:
        assert info.value.error_code == body["error"]


async def test_an_application_without_the_optional_scopes_signs_in_without_them():
    server = FakeServer()
    server.token_replies.append((400, {"error": "invalid_scope"}, {}))
    auth = ClientCredentialsAuth("a", "b")
    async with server.client(auth) as http:
        assert (await http.get("odata/Folders")).status_code == 200
    scopes = [parse_qs(r.content.decode())["scope"] for r in server.token_requests]
    assert scopes == [[f"{DEFAULT_SCOPES} {OPTIONAL_SCOPES}"], [DEFAULT_SCOPES]]
    explicit = ClientCredentialsAuth("a", "b", scope="OR.Jobs")
    assert explicit.optional_scopes == ""  # a chosen scope is sent as chosen


async def test_invalid_scope_lists_default_scopes():
    server = FakeServer()
    server.token_replies.append((400, {"error": "invalid_scope"}, {}))
    server.token_replies.append((400, {"error": "invalid_scope"}, {}))
    async with server.client(ClientCredentialsAuth("a", "b")) as http:
        with pytest.raises(PermissionDenied) as info:
            await http.get("odata/Folders")
    for scope in DEFAULT_SCOPES.split():
        assert scope in info.value.message


def test_sync_client_flow_works_too():
    server = FakeServer()
    auth = ClientCredentialsAuth("a", "b", token="revoked")
    with httpx.Client(base_url=BASE + "/", auth=auth,
                      transport=httpx.MockTransport(server.handler)) as http:
        assert http.get("odata/Folders").status_code == 200
        assert http.get("odata/Folders").status_code == 200
    assert len(server.token_requests) == 1
    assert server.api_auth == [
        "Bearer revoked", "Bearer tok-1", "Bearer tok-1"]


def test_secrets_stay_out_of_repr():
    assert "s3cr3t" not in repr(ClientCredentialsAuth("id", "s3cr3t"))
    assert "hunter2" not in repr(PasswordAuth("Default", "admin", "hunter2"))
    assert "pat-value" not in repr(TokenAuth("pat-value"))


# -- user name + password (ROPC) ------------------------------------------------------------


async def test_password_auth_authenticate_request():
    server = FakeServer()
    clock = Clock()
    seen = []
    auth = PasswordAuth("Default", "admin", "p'w\"d", clock=clock,
                        on_token=lambda t, e: seen.append((t, e)))
    async with server.client(auth) as http:
        await http.get("odata/Folders")
        await http.get("odata/Folders")
    assert len(server.token_requests) == 1
    request = server.token_requests[0]
    assert str(request.url) == ROPC_URL
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == {
        "tenancyName": "Default", "usernameOrEmailAddress": "admin", "password": "p'w\"d"}
    assert seen == [("tok-1", clock.now + 1800)]  # ROPC tokens: assume 30 minutes
    assert server.api_auth[0] == "Bearer tok-1"


async def test_password_auth_renews_after_about_30_minutes():
    server = FakeServer()
    clock = Clock()
    auth = PasswordAuth("Default", "admin", "pw", clock=clock)
    async with server.client(auth) as http:
        await http.get("odata/Folders")
        clock.now += 1790
        await http.get("odata/Folders")
    assert len(server.token_requests) == 2


async def test_password_auth_explicit_orchestrator_url():
    server = FakeServer()
    auth = PasswordAuth("T", "u", "p", orchestrator_url="https://onprem.local/")
    async with server.client(auth) as http:
        await http.get("odata/Folders")
    assert str(server.token_requests[0].url) == "https://onprem.local/api/Account/Authenticate"


@pytest.mark.parametrize(
    "status, body, kind, words",
    [
        (200, {"result": None, "success": False, "__abp": True,
               "error": {"code": 0, "message": "Invalid user name or password", "details": None}},
         AuthenticationError, "Invalid user name or password"),
        (400, {"result": None, "success": False,
               "error": {"code": 0, "message": "Login failed!",
                         "details": "Invalid user name or password"}},
         AuthenticationError, "Login failed! Invalid user name or password"),
        (401, b"", AuthenticationError, "user 'admin' in tenant 'Default'"),
        (404, b"", AuthenticationError, "does not offer user name and password sign-in"),
        (500, {"message": "boom"}, ServerError, "while signing in"),
        (200, {"success": True, "error": None, "result": None}, ProtocolError, "without a token"),
    ],
)
async def test_password_auth_errors(status, body, kind, words):
    server = FakeServer()
    server.token_replies.append((status, body, {}))
    async with server.client(PasswordAuth("Default", "admin", "pw")) as http:
        with pytest.raises(kind) as info:
            await http.get("odata/Folders")
    assert words in info.value.message
    assert server.api_requests == []


async def test_password_auth_401_replays_once():
    server = FakeServer()
    auth = PasswordAuth("Default", "admin", "pw", token="stale")
    async with server.client(auth) as http:
        assert (await http.get("odata/Folders")).status_code == 200
    assert len(server.token_requests) == 1
    assert len(server.api_requests) == 2


# -- personal access token ------------------------------------------------------------------


async def test_token_auth_sends_bearer_and_never_signs_in():
    server = FakeServer()
    server.valid.add("pat-1")
    async with server.client(TokenAuth("pat-1")) as http:
        await http.get("odata/Folders")
    assert server.token_requests == []
    assert server.api_auth[0] == "Bearer pat-1"


async def test_token_auth_401_is_a_clear_error_without_retry():
    server = FakeServer()
    async with server.client(TokenAuth("expired-pat")) as http:
        with pytest.raises(AuthenticationError, match="personal access token") as info:
            await http.get("odata/Folders")
    assert info.value.status == 401
    assert len(server.api_requests) == 1
    assert server.token_requests == []


def test_token_auth_needs_a_token():
    with pytest.raises(ValueError):
        TokenAuth("  ")


async def test_through_orchestrator_client_timeout_reaches_token_request():
    """The token request carries the client's timeouts (a bare httpx.Request would not)."""
    server = FakeServer()
    async with OrchestratorClient(BASE, ClientCredentialsAuth("a", "b"),
                                  transport=httpx.MockTransport(server.handler),
                                  timeout=12.5) as client:
        await client.list_folders()
    token_request = server.token_requests[0]
    assert token_request.extensions["timeout"]["read"] == 12.5
    assert token_request.headers["User-Agent"].startswith("startjob/")


async def test_identity_host_failure_names_the_identity_host():
    import socket

    def handler(request):
        if request.url.host == "id.example.net":
            exc = httpx.ConnectError("[Errno -2] Name or service not known")
            exc.__cause__ = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            raise exc
        return httpx.Response(200, json={"value": []})

    auth = ClientCredentialsAuth(
        "a", "b", identity_url="https://id.example.net/identity_/connect/token")
    async with OrchestratorClient(BASE, auth, transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(ConnectionFailed) as info:
            await client.list_folders()
    assert info.value.message == (
        "The host name id.example.net could not be found. Check the identity URL.")
