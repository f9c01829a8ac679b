"""OrchestratorClient against the sandbox Orchestrator, over real loopback sockets."""

from __future__ import annotations

import asyncio
import base64
import json
import time

import pytest

from tui_app.orchestrator import (
    AuthenticationError,
    ClientCredentialsAuth,
    ConnectionFailed,
    FolderContext,
    NotFound,
    OrchestratorClient,
    PasswordAuth,
    PermissionDenied,
    RateLimited,
    RequestRejected,
    ServerError,
    TokenAuth,
    identity_url_for,
)

sandbox_module = pytest.importorskip("tui_app.sandbox")
DEMO = sandbox_module.DEMO
Sandbox = sandbox_module.Sandbox
SandboxConfig = sandbox_module.SandboxConfig
FaultConfig = sandbox_module.FaultConfig

RELEASE_KEY = "99587436-4ce5-480d-988c-6d7f43787a2c"  # SupportTriage_QuickstartDemo
TOKEN_ROUTE = "POST /identity/connect/token"
ROPC_ROUTE = "POST /api/Account/Authenticate"
START_ROUTE = "POST /odata/Jobs/UiPath.Server.Configuration.OData.StartJobs"
JOBS_QUERY_ROUTE = "GET /odata/Jobs"
DEFAULT_FOLDER = FolderContext(id=4, path="Default")


class Sleeps:
    def __init__(self) -> None:
        self.calls: list = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def client_credentials() -> ClientCredentialsAuth:
    return ClientCredentialsAuth(DEMO.client_id, DEMO.client_secret)


def password() -> PasswordAuth:
    return PasswordAuth(DEMO.tenancy_name, DEMO.username, DEMO.password)


def pat() -> TokenAuth:
    return TokenAuth(DEMO.personal_access_token)


AUTHS = {"client_credentials": client_credentials, "password": password, "token": pat}


def routes(sb, route: str) -> list:
    """Logged requests whose route is exactly ``route``."""
    return [r for r in sb.request_log if r.route == route]


def header(entry, name: str):
    return {k.lower(): v for k, v in entry.headers.items()}.get(name.lower())


def open_client(sb, auth=None, **kw) -> OrchestratorClient:
    kw.setdefault("sleep", Sleeps())
    return OrchestratorClient(sb.orchestrator_url, auth or client_credentials(), **kw)


async def wait_final(client, ids, timeout=10.0, interval=0.1) -> list:
    deadline = time.monotonic() + timeout
    while True:
        jobs = await client.get_jobs(ids)
        if jobs and all(j.is_final for j in jobs):
            return jobs
        if time.monotonic() > deadline:
            raise AssertionError(f"jobs did not finish: {[(j.id, j.state) for j in jobs]}")
        await asyncio.sleep(interval)


# -- sign-in --------------------------------------------------------------------------------


def test_sandbox_identity_url_is_derived(sandbox):
    assert identity_url_for(sandbox.orchestrator_url) == sandbox.identity_url


@pytest.mark.parametrize("mode", sorted(AUTHS))
async def test_each_auth_mode_signs_in_once_for_a_whole_flow(sandbox, mode):
    async with open_client(sandbox, AUTHS[mode]()) as client:
        folders = await client.list_folders()
        client.use_folder(next(f for f in folders if f.id == 4))
        page = await client.search_releases("support")
        env = await client.environment_robots("QuickstartDemo")
        jobs = await client.start_jobs({"ReleaseKey": RELEASE_KEY, "Strategy": "Specific",
                                        "RobotIds": [101],
                                        "InputArguments": json.dumps({"IncidentId": "INC-1"})})
        await wait_final(client, [j.id for j in jobs])
    assert {f.fully_qualified_name for f in folders} >= {"Shared", "Shared/Support", "Finance",
                                                         "Default"}
    assert page.total >= 1 and env is not None
    sign_ins = sandbox.count(TOKEN_ROUTE) + sandbox.count(ROPC_ROUTE)
    assert sign_ins == {"client_credentials": 1, "password": 1, "token": 0}[mode]
    if mode == "client_credentials":
        assert sandbox.count(TOKEN_ROUTE) == 1
    if mode == "password":
        assert sandbox.count(ROPC_ROUTE) == 1
    api = [r for r in sandbox.request_log if r.route not in (TOKEN_ROUTE, ROPC_ROUTE)]
    assert api and all(r.status < 400 for r in api)
    assert all(header(r, "Authorization").startswith("Bearer ") for r in api)


async def test_wrong_client_secret(sandbox):
    auth = ClientCredentialsAuth(DEMO.client_id, "wrong")
    async with open_client(sandbox, auth) as client:
        with pytest.raises(AuthenticationError) as info:
            await client.list_folders()
    assert "client id or client secret was refused" in info.value.message
    assert info.value.error_code == "invalid_client"
    assert sandbox.count("GET ") == 0


async def test_unknown_scope_is_permission_denied(sandbox):
    auth = ClientCredentialsAuth(DEMO.client_id, DEMO.client_secret, scope="OR.Jobs OR.Nope")
    async with open_client(sandbox, auth) as client:
        with pytest.raises(PermissionDenied) as info:
            await client.list_folders()
    assert "OR.Jobs OR.Nope" in info.value.message


async def test_missing_scope_is_permission_denied(sandbox):
    auth = ClientCredentialsAuth(DEMO.client_id, DEMO.client_secret, scope="OR.Jobs")
    async with open_client(sandbox, auth) as client:
        with pytest.raises(PermissionDenied) as info:
            await client.list_folders()
    assert info.value.status == 403
    assert info.value.server_message


async def test_wrong_password(sandbox):
    auth = PasswordAuth(DEMO.tenancy_name, DEMO.username, "wrong")
    async with open_client(sandbox, auth) as client:
        with pytest.raises(AuthenticationError) as info:
            await client.list_folders()
    assert "user 'admin' in tenant 'Default'" in info.value.message
    assert "Invalid username/email address or password" in info.value.message


async def test_wrong_personal_access_token(sandbox):
    async with open_client(sandbox, TokenAuth("not-the-pat")) as client:
        with pytest.raises(AuthenticationError, match="personal access token") as info:
            await client.list_folders()
    assert info.value.status == 401
    assert sandbox.count("GET /odata/Folders") == 1


async def test_renewal_before_expiry_with_a_fast_clock(sandbox):
    now = [time.time()]
    auth = ClientCredentialsAuth(DEMO.client_id, DEMO.client_secret, clock=lambda: now[0])
    async with open_client(sandbox, auth) as client:
        await client.list_folders()
        now[0] += 3600 - 5  # the token has 5 seconds left: renew before the next request
        await client.list_folders()
    assert sandbox.count(TOKEN_ROUTE) == 2
    folder_calls = routes(sandbox, "GET /odata/Folders")
    assert [r.status for r in folder_calls] == [200, 200]
    assert header(folder_calls[0], "Authorization") != header(folder_calls[1], "Authorization")


async def test_server_side_expiry_re_signs_in_and_replays():
    # The server's tokens live 0.3 s; the client's clock stands still, so it does not know.
    config = SandboxConfig(token_lifetime=0.3)
    with Sandbox(config) as sb:
        frozen = time.time()
        auth = ClientCredentialsAuth(DEMO.client_id, DEMO.client_secret, clock=lambda: frozen)
        async with open_client(sb, auth) as client:
            await client.list_folders()
            await asyncio.sleep(0.5)
            folders = await client.list_folders()
        assert folders
        assert sb.count(TOKEN_ROUTE) == 2
        assert [r.status for r in routes(sb, "GET /odata/Folders")] == [200, 401, 200]


async def test_seeded_token_and_on_token(sandbox):
    seen = []
    async with open_client(sandbox, ClientCredentialsAuth(
            DEMO.client_id, DEMO.client_secret,
            on_token=lambda t, e: seen.append((t, e)))) as client:
        await client.list_folders()
    (token, expires_at), = seen
    assert expires_at > time.time() + 3000
    sandbox.clear_log()
    cached = ClientCredentialsAuth(DEMO.client_id, DEMO.client_secret, token=token,
                                   expires_at=expires_at)
    async with open_client(sandbox, cached) as client:
        await client.list_folders()
    assert sandbox.count(TOKEN_ROUTE) == 0


# -- folders, processes, robots -------------------------------------------------------------


async def test_folders(sandbox):
    async with open_client(sandbox) as client:
        folders = {f.id: f for f in await client.list_folders()}
    assert folders[4].is_classic and folders[4].fully_qualified_name == "Default"
    assert not folders[3].is_classic
    assert folders[2].fully_qualified_name == "Shared/Support"
    assert folders[2].parent_id == 1
    entry = routes(sandbox, "GET /odata/Folders")[0]
    assert not any(header(entry, h) for h in ("X-UIPATH-OrganizationUnitId",
                                              "X-UIPATH-FolderPath",
                                              "X-UIPATH-FolderPath-Encoded"))


async def test_search_releases(sandbox):
    async with open_client(sandbox, folder=DEFAULT_FOLDER) as client:
        everything = await client.search_releases("")
        support = await client.search_releases("SUPPORTtriage")
        by_key = await client.search_releases("cleanup")
        paged = await client.search_releases("", top=2, skip=2)
        nothing = await client.search_releases("' or 1 eq 1 or '")
        odd = await client.search_releases("100% & #'")
    names = [r.name for r in everything.items]
    assert "SupportTriage_QuickstartDemo" in names and "CleanupTempFiles_QuickstartDemo" in names
    assert names == sorted(names)
    assert everything.total == len(everything.items)
    assert {r.name for r in support.items} == {"SupportTriage_QuickstartDemo",
                                               "SupportTriage_Production"}
    assert support.total == 2
    quick = next(r for r in support.items if r.key == RELEASE_KEY)
    assert quick.process_key == "SupportTriage" and quick.process_version == "1.0.1"
    assert quick.environment_name == "QuickstartDemo"
    assert "IncidentId" in (quick.arguments_input or "")
    assert [r.name for r in by_key.items] == ["CleanupTempFiles_QuickstartDemo"]
    assert [r.name for r in paged.items] == names[2:4] and paged.total == everything.total
    assert nothing.items == [] and nothing.total == 0
    assert odd.items == []
    assert all(r.status == 200 for r in sandbox.request_log)


async def test_folder_by_path_and_encoded_path(sandbox):
    async with open_client(sandbox, folder="Shared/Support") as client:
        page = await client.search_releases("")
        client.use_folder(FolderContext(path="Fïnance"))  # non-ASCII: sent encoded
        with pytest.raises(RequestRejected) as info:
            await client.search_releases("")
    assert [r.name for r in page.items] == ["PasswordReset"]
    first = routes(sandbox, "GET /odata/Releases")[0]
    assert header(first, "X-UIPATH-FolderPath") == "Shared/Support"
    assert info.value.error_code == 1100
    last = routes(sandbox, "GET /odata/Releases")[-1]
    encoded = header(last, "X-UIPATH-FolderPath-Encoded")
    assert base64.b64decode(encoded).decode("utf-16-le") == "Fïnance"


async def test_releases_for_process_and_by_key(sandbox):
    async with open_client(sandbox, folder=DEFAULT_FOLDER) as client:
        releases = await client.releases_for_process("SupportTriage")
        one = await client.release_by_key(RELEASE_KEY)
        missing = await client.release_by_key("00000000-0000-0000-0000-000000000000")
    assert {(r.name, r.process_version) for r in releases} == {
        ("SupportTriage_QuickstartDemo", "1.0.1"), ("SupportTriage_Production", "1.0.0")}
    assert one is not None and one.name == "SupportTriage_QuickstartDemo"
    assert missing is None


async def test_environment_robots_with_states(sandbox):
    async with open_client(sandbox, folder=DEFAULT_FOLDER) as client:
        quick = await client.environment_robots("QuickstartDemo")
        production = await client.environment_robots("Production")
        nothing = await client.environment_robots("No'Such")
    assert [(r.id, r.name, r.state) for r in quick.robots] == [
        (101, "SUPPORT-BOT-01", "Available"),
        (102, "SUPPORT-BOT-02", "Busy"),
        (103, "SUPPORT-BOT-03", "Disconnected"),
    ]
    assert sorted(r.id for r in production.robots) == [201, 202]
    assert all(r.state in ("Available", "Busy", "Disconnected", "Unknown")
               for r in production.robots)
    assert nothing is None
    assert sandbox.count("GET /odata/Environments") == 3
    assert sandbox.count("GET /odata/Sessions") == 3


async def test_folder_robots(sandbox):
    async with open_client(sandbox) as client:
        robots = await client.folder_robots(2)
    assert sorted(r.id for r in robots) == [301, 302]
    assert all(r.state in ("Available", "Busy", "Disconnected", "Unknown") for r in robots)
    for entry in sandbox.request_log:
        if entry.route.startswith("GET"):
            assert header(entry, "X-UIPATH-OrganizationUnitId") == "2"


# -- jobs -----------------------------------------------------------------------------------


async def test_start_specific_and_poll_to_completion(sandbox):
    async with open_client(sandbox, folder=DEFAULT_FOLDER) as client:
        jobs = await client.start_jobs({
            "ReleaseKey": RELEASE_KEY, "Strategy": "Specific", "RobotIds": [101],
            "Source": "Manual", "InputArguments": json.dumps({"IncidentId": "INC-42"}),
            "Reference": "startjob-test-1"})
        assert [j.state for j in jobs] == ["Pending"]
        assert sandbox.count(START_ROUTE) == 1
        start = json.loads(routes(sandbox, START_ROUTE)[0].body)
        assert start["startInfo"]["RobotIds"] == [101]
        assert json.loads(start["startInfo"]["InputArguments"]) == {"IncidentId": "INC-42"}
        sandbox.clear_log()
        done = await wait_final(client, [jobs[0].id])
        polls = len(routes(sandbox, JOBS_QUERY_ROUTE))
        again = await client.get_job(jobs[0].id)
        by_reference = await client.find_jobs_by_reference("startjob-test-1")
    assert done[0].state == "Successful"
    assert again.state == "Successful" and again.end_time
    assert again.robot_name == "SUPPORT-BOT-01"
    assert polls >= 1
    assert [j.id for j in by_reference] == [jobs[0].id]
    assert sandbox.count(START_ROUTE) == 0  # started exactly once, before the log was cleared


async def test_start_jobs_count_all_and_get_jobs_in_one_request(sandbox):
    for robot_id in (102, 103):  # Busy / Disconnected robots would keep the All jobs Pending
        sandbox.tenant.set_robot_state(robot_id, "Available")
    async with open_client(sandbox, folder=DEFAULT_FOLDER) as client:
        counted = await client.start_jobs({"ReleaseKey": RELEASE_KEY, "Strategy": "JobsCount",
                                           "JobsCount": 2,
                                           "InputArguments": '{"IncidentId": "INC-2"}'})
        everyone = await client.start_jobs({"ReleaseKey": RELEASE_KEY, "Strategy": "All",
                                            "InputArguments": '{"IncidentId": "INC-3"}'})
        ids = [j.id for j in counted + everyone]
        sandbox.clear_log()
        fetched = await client.get_jobs(ids)
        assert len(routes(sandbox, JOBS_QUERY_ROUTE)) == 1
        entry = routes(sandbox, JOBS_QUERY_ROUTE)[0]
        assert entry.query["$filter"] == "Id in (" + ",".join(map(str, ids)) + ")"
        final = await wait_final(client, ids)
    assert len(counted) == 2
    assert len({j.batch_execution_key for j in counted}) == 1
    assert len(everyone) >= 1
    assert [j.id for j in fetched] == ids
    assert all(j.state == "Successful" for j in final)


async def test_start_modern_jobs_count(sandbox):
    async with open_client(sandbox, folder="Shared/Support") as client:
        release = (await client.search_releases("PasswordReset")).items[0]
        jobs = await client.start_jobs({"ReleaseKey": release.key, "Strategy": "ModernJobsCount",
                                        "JobsCount": 1, "RuntimeType": "Unattended",
                                        "RobotIds": [301], "InputArguments": "{}"})
        final = await wait_final(client, [j.id for j in jobs])
    assert len(jobs) == 1
    assert final[0].is_final


async def test_faulted_job_has_info(sandbox):
    async with open_client(sandbox, folder=DEFAULT_FOLDER) as client:
        jobs = await client.start_jobs({"ReleaseKey": RELEASE_KEY, "Strategy": "Specific",
                                        "RobotIds": [101],
                                        "InputArguments": '{"IncidentId": "FAIL-1"}'})
        (done,) = await wait_final(client, [jobs[0].id])
    assert done.state == "Faulted"
    assert done.info


@pytest.fixture
def slow_jobs_sandbox():
    # Long enough running time that stop requests land while the jobs run.
    config = SandboxConfig(job_pending_seconds=0.1, job_running_seconds=30, stop_seconds=0.2)
    with Sandbox(config) as sb:
        yield sb


@pytest.mark.parametrize("strategy", ["SoftStop", "Kill"])
async def test_stop_jobs(slow_jobs_sandbox, strategy):
    sandbox = slow_jobs_sandbox
    async with open_client(sandbox, folder=DEFAULT_FOLDER) as client:
        jobs = await client.start_jobs({"ReleaseKey": RELEASE_KEY, "Strategy": "JobsCount",
                                        "JobsCount": 1, "InputArguments": '{"IncidentId": "x"}'})
        job_id = jobs[0].id
        deadline = time.monotonic() + 5
        while (await client.get_job(job_id)).state != "Running":
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        await client.stop_jobs([job_id], strategy)
        stopping = await client.get_job(job_id)
        (final,) = await wait_final(client, [job_id])
    assert stopping.state in ({"SoftStop": "Stopping", "Kill": "Terminating"}[strategy], "Stopped")
    assert final.state == "Stopped"
    body = json.loads(routes(sandbox, "POST /odata/Jobs/UiPath.Server.Configuration.OData"
                                      ".StopJobs")[0].body)
    assert body == {"jobIds": [job_id], "strategy": strategy}


# -- errors ---------------------------------------------------------------------------------


async def test_not_found(sandbox):
    async with open_client(sandbox, folder=DEFAULT_FOLDER) as client:
        with pytest.raises(NotFound) as info:
            await client.get_job(987654)
        with pytest.raises(NotFound) as start_info:
            await client.start_jobs({"ReleaseKey": "00000000-0000-0000-0000-000000000000",
                                     "Strategy": "JobsCount", "JobsCount": 1})
    assert info.value.status == 404 and info.value.error_code == 1002
    assert "987654" in info.value.message
    assert info.value.trace_id
    assert start_info.value.status == 404
    assert sandbox.count(START_ROUTE) == 1


async def test_rejected_400_and_409(sandbox):
    async with open_client(sandbox, folder=DEFAULT_FOLDER) as client:
        with pytest.raises(RequestRejected) as bad:
            await client.start_jobs({"ReleaseKey": RELEASE_KEY, "Strategy": "Specific",
                                     "RobotIds": []})
        with pytest.raises(RequestRejected) as conflict:
            await client.start_jobs({"ReleaseKey": RELEASE_KEY, "Strategy": "Specific",
                                     "RobotIds": [301]})
        client.use_folder(None)
        with pytest.raises(RequestRejected) as no_folder:
            await client.search_releases("x")
    assert bad.value.status == 400 and "RobotIds" in bad.value.message
    assert conflict.value.status == 409
    assert conflict.value.message == (
        "Couldn't find the specified unattended user/robot in the current folder.")
    assert no_folder.value.status == 400 and no_folder.value.error_code == 1101
    assert sandbox.count(START_ROUTE) == 2  # nothing retried


# -- faults, retries, rate limits -----------------------------------------------------------


async def test_gets_retry_through_injected_503s():
    with Sandbox(SandboxConfig(faults=FaultConfig(unavailable=0.5), seed=3)) as sb:
        sleeps = Sleeps()
        async with open_client(sb, sleep=sleeps, max_retries=10) as client:
            for _ in range(5):
                assert await client.list_folders()
        statuses = [r.status for r in routes(sb, "GET /odata/Folders")]
    assert statuses.count(200) == 5
    assert statuses.count(503) == len(sleeps.calls) > 0


async def test_persistent_503_gives_server_error():
    with Sandbox(SandboxConfig(faults=FaultConfig(unavailable=1.0))) as sb:
        sleeps = Sleeps()
        async with open_client(sb, sleep=sleeps, max_retries=3) as client:
            with pytest.raises(ServerError) as info:
                await client.list_folders()
        assert sb.count("GET /odata/Folders") == 4
    assert len(sleeps.calls) == 3
    assert info.value.status == 503


async def test_start_jobs_503_and_dropped_connections_are_not_retried():
    with Sandbox(SandboxConfig(faults=FaultConfig(unavailable=1.0))) as sb:
        sleeps = Sleeps()
        async with open_client(sb, sleep=sleeps, folder=DEFAULT_FOLDER) as client:
            with pytest.raises(ServerError):
                await client.start_jobs({"ReleaseKey": RELEASE_KEY, "Strategy": "JobsCount",
                                         "JobsCount": 1})
        assert sb.count(START_ROUTE) == 1 and sleeps.calls == []

    with Sandbox(SandboxConfig(faults=FaultConfig(drop_after_start=1.0))) as sb:
        sleeps = Sleeps()
        async with open_client(sb, sleep=sleeps, folder=DEFAULT_FOLDER) as client:
            with pytest.raises(ConnectionFailed, match="dropped"):
                await client.start_jobs({"ReleaseKey": RELEASE_KEY, "Strategy": "JobsCount",
                                         "JobsCount": 1, "Reference": "ref-drop-1",
                                         "InputArguments": '{"IncidentId": "x"}'})
            # The job exists although the answer was lost; the reference finds it.
            found = await client.find_jobs_by_reference("ref-drop-1")
        assert sb.count(START_ROUTE) == 1 and sleeps.calls == []
        assert len(found) == 1


async def test_dropped_get_is_retried():
    with Sandbox(SandboxConfig(faults=FaultConfig(drop=0.5), seed=1)) as sb:
        sleeps = Sleeps()
        async with open_client(sb, sleep=sleeps, max_retries=10) as client:
            for _ in range(4):
                assert await client.list_folders()
        dropped = [r for r in routes(sb, "GET /odata/Folders") if r.status == 0]
    assert len(dropped) == len(sleeps.calls) > 0


async def test_jobs_rate_limit_retry_after():
    with Sandbox(SandboxConfig(jobs_rate_limit=2)) as sb:
        sleeps = Sleeps()
        async with open_client(sb, sleep=sleeps, folder=DEFAULT_FOLDER, max_retries=2) as client:
            jobs = await client.start_jobs({"ReleaseKey": RELEASE_KEY, "Strategy": "JobsCount",
                                            "JobsCount": 1})
            await client.get_jobs([jobs[0].id])
            await client.get_jobs([jobs[0].id])
            with pytest.raises(RateLimited) as info:
                await client.get_jobs([jobs[0].id])
            single = await client.get_job(jobs[0].id)  # Jobs(id) is not rate limited
        assert len(routes(sb, JOBS_QUERY_ROUTE)) == 2 + 3
    assert info.value.status == 429
    assert info.value.retry_after and info.value.retry_after > 0
    assert len(sleeps.calls) == 2 and all(0 < s <= 30 for s in sleeps.calls)
    assert single.id == jobs[0].id
