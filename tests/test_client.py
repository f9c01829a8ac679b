"""OrchestratorClient against an in-memory Orchestrator (httpx.MockTransport) and real sockets."""

from __future__ import annotations

import asyncio
import base64
import json
import shutil
import socket
import ssl
import subprocess
import threading
from email.utils import formatdate
from typing import Optional

import httpx
import pytest

from tui_app.orchestrator import (
    AuthenticationError,
    CertificateError,
    ConnectionFailed,
    Folder,
    FolderContext,
    NotFound,
    OrchestratorClient,
    PermissionDenied,
    ProtocolError,
    RateLimited,
    RequestRejected,
    RequestTimeout,
    ServerError,
    TokenAuth,
    folder_headers,
)
from tui_app.orchestrator.failures import parse_error_body
from tui_app.orchestrator.retry import RetryPolicy, parse_retry_after

BASE = "https://orch.example.com/acme/DefaultTenant/orchestrator_"
FOLDER_HEADERS = ("X-UIPATH-OrganizationUnitId", "X-UIPATH-FolderPath",
                  "X-UIPATH-FolderPath-Encoded")


def job(i, state="Pending", **extra):
    data = {"Id": i, "Key": f"key-{i}", "State": state, "ReleaseName": "R",
            "Robot": {"Id": 101, "Name": "SUPPORT-BOT-01"}}
    data.update(extra)
    return data


def release(i, name="SupportTriage_QuickstartDemo", process_key="SupportTriage"):
    return {"Id": i, "Key": f"rel-{i}", "Name": name, "ProcessKey": process_key,
            "ProcessVersion": "1.0.1", "Arguments": {"Input": None, "Output": None}}


class Sleeps:
    """An injected sleep that records the waits instead of waiting."""

    def __init__(self) -> None:
        self.calls: list = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


class Fake:
    """Routes requests to per-path handlers; records every request."""

    def __init__(self) -> None:
        self.routes: dict = {}
        self.requests: list = []

    def route(self, path_suffix, reply):
        self.routes[path_suffix] = reply

    async def handler(self, request: httpx.Request):
        self.requests.append(request)
        path = request.url.path
        for suffix, reply in self.routes.items():
            if path.endswith(suffix):
                result = reply(request) if callable(reply) else reply
                if asyncio.iscoroutine(result):
                    result = await result
                if isinstance(result, Exception):
                    raise result
                if isinstance(result, httpx.Response):
                    return result
                return httpx.Response(200, json=result)
        return httpx.Response(404, json={"message": f"no route {path}", "errorCode": 1002})

    def client(self, **kw) -> OrchestratorClient:
        kw.setdefault("sleep", Sleeps())
        transport = httpx.MockTransport(self.handler)
        return OrchestratorClient(BASE, TokenAuth("pat"), transport=transport, **kw)


def params_of(request: httpx.Request) -> dict:
    return dict(request.url.params)


def folder_header_of(request: httpx.Request) -> dict:
    return {h: request.headers[h] for h in FOLDER_HEADERS if h in request.headers}


# -- folder context -------------------------------------------------------------------------


def test_folder_headers():
    assert folder_headers(None) == {}
    assert folder_headers(FolderContext(id=7, path="Shared")) == {
        "X-UIPATH-OrganizationUnitId": "7"}
    assert folder_headers(FolderContext(path="Shared/Support")) == {
        "X-UIPATH-FolderPath": "Shared/Support"}
    encoded = folder_headers(FolderContext(path="Finanzen/Überweisungen"))
    assert list(encoded) == ["X-UIPATH-FolderPath-Encoded"]
    value = encoded["X-UIPATH-FolderPath-Encoded"]
    assert value.isascii()
    assert base64.b64decode(value).decode("utf-16-le") == "Finanzen/Überweisungen"
    with pytest.raises(ValueError):
        FolderContext()
    with pytest.raises(TypeError):
        FolderContext(id="7")


async def test_folder_header_on_requests():
    fake = Fake()
    fake.route("/odata/Releases", {"value": [], "@odata.count": 0})
    fake.route("/odata/Folders", {"value": [], "@odata.count": 0})
    async with fake.client() as client:
        await client.search_releases("")
        client.folder = FolderContext(id=4, path="Default")
        await client.search_releases("")
        client.use_folder("Shared/Support")
        await client.search_releases("")
        client.use_folder("財務/請求書")
        await client.search_releases("")
        client.use_folder(Folder.from_api({"Id": 3, "DisplayName": "Finance",
                                           "FullyQualifiedName": "Finance"}))
        await client.search_releases("")
        await client.list_folders()  # never folder-scoped
    headers = [folder_header_of(r) for r in fake.requests]
    assert headers[0] == {}
    assert headers[1] == {"X-UIPATH-OrganizationUnitId": "4"}
    assert headers[2] == {"X-UIPATH-FolderPath": "Shared/Support"}
    assert list(headers[3]) == ["X-UIPATH-FolderPath-Encoded"]
    decoded = base64.b64decode(headers[3]["X-UIPATH-FolderPath-Encoded"]).decode("utf-16-le")
    assert decoded == "財務/請求書"
    assert headers[4] == {"X-UIPATH-OrganizationUnitId": "3"}
    assert headers[5] == {}


async def test_common_headers():
    fake = Fake()
    fake.route("/odata/Folders", {"value": []})
    async with fake.client(user_agent="startjob-test/1") as client:
        await client.list_folders()
    request = fake.requests[0]
    assert request.headers["User-Agent"] == "startjob-test/1"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["Authorization"] == "Bearer pat"
    assert str(request.url).startswith(BASE + "/odata/Folders?")


# -- folders --------------------------------------------------------------------------------


async def test_list_folders_pages_beyond_1000():
    folders = [{"Id": i, "DisplayName": f"F{i:04d}", "FullyQualifiedName": f"F{i:04d}"}
               for i in range(1, 2501)]

    def reply(request):
        p = params_of(request)
        top, skip = int(p["$top"]), int(p["$skip"])
        return {"@odata.count": len(folders), "value": folders[skip:skip + top]}

    fake = Fake()
    fake.route("/odata/Folders", reply)
    async with fake.client() as client:
        result = await client.list_folders()
    assert [f.id for f in result] == list(range(1, 2501))
    assert [(params_of(r)["$top"], params_of(r)["$skip"]) for r in fake.requests] == [
        ("1000", "0"), ("1000", "1000"), ("1000", "2000")]


async def test_list_folders_single_page():
    fake = Fake()
    fake.route("/odata/Folders", {"value": [
        {"Id": 1, "DisplayName": "Shared", "FullyQualifiedName": "Shared",
         "ProvisionType": "Automatic", "PermissionModel": "FineGrained"},
        {"Id": 4, "DisplayName": "Default", "FullyQualifiedName": "Default",
         "ProvisionType": "Manual", "PermissionModel": "InheritFromTenant"}]})
    async with fake.client() as client:
        folders = await client.list_folders()
    assert [f.fully_qualified_name for f in folders] == ["Shared", "Default"]
    assert [f.is_classic for f in folders] == [False, True]
    assert len(fake.requests) == 1


# -- releases -------------------------------------------------------------------------------


async def test_search_releases_filter_and_paging():
    fake = Fake()
    fake.route("/odata/Releases", {"@odata.count": 31, "value": [release(1), release(2)]})
    async with fake.client(folder=4) as client:
        page = await client.search_releases("  Support ", top=2, skip=4)
    assert page.total == 31
    assert [r.id for r in page.items] == [1, 2]
    assert page.items[0].process_key == "SupportTriage"
    p = params_of(fake.requests[0])
    assert p == {
        "$filter": "contains(tolower(Name),'support') or contains(tolower(ProcessKey),'support')",
        "$top": "2",
        "$skip": "4",
        "$orderby": "Name asc",
        "$count": "true",
    }


async def test_search_releases_empty_text_has_no_filter():
    fake = Fake()
    fake.route("/odata/Releases", {"value": [release(1)]})
    async with fake.client(folder=4) as client:
        page = await client.search_releases("   ")
    assert "$filter" not in params_of(fake.requests[0])
    assert page.total == 1  # no @odata.count: fall back to what was returned


@pytest.mark.parametrize("text", ["' or 1 eq 1 or '", "100% & #1", "O'Brien's ünïcødé"])
async def test_search_releases_hostile_text(text):
    fake = Fake()
    fake.route("/odata/Releases", {"value": []})
    async with fake.client(folder=4) as client:
        await client.search_releases(text)
    request = fake.requests[0]
    lowered = text.lower().replace("'", "''")
    assert params_of(request)["$filter"] == (
        f"contains(tolower(Name),'{lowered}') or contains(tolower(ProcessKey),'{lowered}')")
    assert request.url.path.endswith("/odata/Releases")  # nothing leaked into the path
    assert set(params_of(request)) == {"$filter", "$top", "$skip", "$orderby", "$count"}


async def test_search_releases_validates_arguments():
    async with Fake().client() as client:
        with pytest.raises(ValueError):
            await client.search_releases("x", top=0)
        with pytest.raises(ValueError):
            await client.search_releases("x", top=5000)
        with pytest.raises(ValueError):
            await client.search_releases("x", orderby="Name asc&$top=1")


async def test_releases_for_process_and_by_key():
    fake = Fake()

    def reply(request):
        f = params_of(request)["$filter"]
        if f == "ProcessKey eq 'SupportTriage'":
            return {"value": [release(1), release(2, name="SupportTriage_Production")]}
        if f == "Key eq '99587436-4ce5-480d-988c-6d7f43787a2c'":
            return {"value": [release(1)]}
        return {"value": []}

    fake.route("/odata/Releases", reply)
    async with fake.client(folder=4) as client:
        rels = await client.releases_for_process("SupportTriage")
        one = await client.release_by_key("99587436-4ce5-480d-988c-6d7f43787a2c")
        none = await client.release_by_key("nope'")
    assert [r.name for r in rels] == ["SupportTriage_QuickstartDemo", "SupportTriage_Production"]
    assert one is not None and one.id == 1
    assert none is None
    assert params_of(fake.requests[2])["$filter"] == "Key eq 'nope'''"


# -- robots ---------------------------------------------------------------------------------


class Together:
    """Lets a request through only once ``n`` requests are in flight (proves concurrency)."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.arrived = 0
        self.event = asyncio.Event()

    async def wait(self) -> None:
        self.arrived += 1
        if self.arrived >= self.n:
            self.event.set()
        await asyncio.wait_for(self.event.wait(), timeout=2)


SESSIONS = {"value": [
    {"Id": 1, "State": "Available", "Robot": {"Id": 101, "Name": "SUPPORT-BOT-01"}},
    {"Id": 2, "State": "Busy", "Robot": {"Id": 102, "Name": "SUPPORT-BOT-02"}},
    {"Id": 3, "State": "Disconnected", "Robot": {"Id": 103, "Name": "SUPPORT-BOT-03"}},
    {"Id": 4, "State": "Disconnected", "Robot": {"Id": 201, "Name": "PROD-01"}},
    {"Id": 5, "State": "Available", "Robot": {"Id": 201, "Name": "PROD-01"}},
    {"Id": 6, "State": "Weird", "Robot": {"Id": 202, "Name": "PROD-02"}},
]}


async def test_environment_robots_concurrent_with_sessions():
    together = Together(2)
    fake = Fake()

    async def environments(request):
        await together.wait()
        return {"value": [{"Id": 9, "Name": "QuickstartDemo", "Robots": [
            {"Id": 101, "Name": "SUPPORT-BOT-01", "MachineName": "M1", "Username": "corp\\bot1"},
            {"Id": 102, "Name": "SUPPORT-BOT-02"},
            {"Id": 103, "Name": "SUPPORT-BOT-03"},
            {"Id": 104, "Name": "NO-SESSION"}]}]}

    async def sessions(request):
        await together.wait()
        return SESSIONS

    fake.route("/odata/Environments", environments)
    fake.route("/odata/Sessions", sessions)
    async with fake.client(folder=FolderContext(id=4)) as client:
        env = await client.environment_robots("QuickstartDemo")
    assert env is not None and env.name == "QuickstartDemo"
    assert [(r.id, r.state) for r in env.robots] == [
        (101, "Available"), (102, "Busy"), (103, "Disconnected"), (104, "Unknown")]
    assert env.robots[0].username == "corp\\bot1"
    env_request = next(r for r in fake.requests if r.url.path.endswith("/Environments"))
    assert params_of(env_request)["$expand"] == "Robots"
    assert params_of(env_request)["$filter"] == "Name eq 'QuickstartDemo'"
    assert all(folder_header_of(r) == {"X-UIPATH-OrganizationUnitId": "4"}
               for r in fake.requests)


async def test_environment_robots_best_state_wins_and_unknown_states():
    fake = Fake()
    fake.route("/odata/Environments", {"value": [{"Id": 10, "Name": "Production", "Robots": [
        {"Id": 201, "Name": "PROD-01"}, {"Id": 202, "Name": "PROD-02"}]}]})
    fake.route("/odata/Sessions", SESSIONS)
    async with fake.client(folder=4) as client:
        env = await client.environment_robots("Production")
    assert [(r.id, r.state) for r in env.robots] == [(201, "Available"), (202, "Unknown")]


async def test_environment_missing_and_sessions_forbidden():
    fake = Fake()
    fake.route("/odata/Environments", {"value": []})
    fake.route("/odata/Sessions", httpx.Response(403, json={"message": "no"}))
    async with fake.client(folder=4) as client:
        assert await client.environment_robots("Nope") is None
    fake.route("/odata/Environments", {"value": [{"Id": 1, "Name": "E", "Robots": [
        {"Id": 5, "Name": "R"}]}]})
    async with fake.client(folder=4) as client:
        env = await client.environment_robots("E")
    assert [r.state for r in env.robots] == ["Unknown"]


async def test_environment_error_wins_over_sessions():
    fake = Fake()
    fake.route("/odata/Environments", httpx.Response(
        400, json={"message": "A folder is required for this action.", "errorCode": 1101}))
    fake.route("/odata/Sessions", SESSIONS)
    async with fake.client() as client:
        with pytest.raises(RequestRejected) as info:
            await client.environment_robots("E")
    assert info.value.error_code == 1101


async def test_folder_robots():
    together = Together(2)
    fake = Fake()

    async def robots(request):
        await together.wait()
        return {"value": [{"Id": 301, "Name": "support-robot-1", "UserType": "Robot"},
                          {"Id": 302, "Name": "support-robot-2", "UserType": "Robot"}]}

    async def sessions(request):
        await together.wait()
        return {"value": [{"Id": 1, "State": "Busy", "Robot": {"Id": 302}}]}

    fake.route("GetRobotsFromFolder(folderId=2)", robots)
    fake.route("/odata/Sessions", sessions)
    async with fake.client(folder=4) as client:  # the client's folder does not matter here
        result = await client.folder_robots(2)
        with pytest.raises(TypeError):
            await client.folder_robots("2) or (1")
    assert [(r.id, r.state) for r in result] == [(301, "Unknown"), (302, "Busy")]
    paths = sorted(r.url.path for r in fake.requests)
    assert paths[0].endswith(
        "/odata/Robots/UiPath.Server.Configuration.OData.GetRobotsFromFolder(folderId=2)")
    assert all(folder_header_of(r) == {"X-UIPATH-OrganizationUnitId": "2"}
               for r in fake.requests)


# -- jobs -----------------------------------------------------------------------------------


async def test_start_jobs():
    fake = Fake()
    fake.route("StartJobs", lambda r: httpx.Response(
        201, json={"@odata.context": "x", "value": [job(7), job(8)]}))
    info = {"ReleaseKey": "99587436-4ce5-480d-988c-6d7f43787a2c", "Strategy": "Specific",
            "RobotIds": [101], "InputArguments": json.dumps({"IncidentId": "INC-1"})}
    async with fake.client(folder=4) as client:
        jobs = await client.start_jobs(info)
    assert [(j.id, j.state) for j in jobs] == [(7, "Pending"), (8, "Pending")]
    request = fake.requests[0]
    assert request.method == "POST"
    assert request.url.path == (
        "/acme/DefaultTenant/orchestrator_/odata/Jobs/UiPath.Server.Configuration.OData.StartJobs")
    assert json.loads(request.content) == {"startInfo": info}
    assert request.headers["Content-Type"] == "application/json"
    assert folder_header_of(request) == {"X-UIPATH-OrganizationUnitId": "4"}


@pytest.mark.parametrize("failure", [
    httpx.Response(503, json={"message": "Service Unavailable"}),
    httpx.Response(502, content=b"Bad gateway"),
    httpx.Response(429, headers={"Retry-After": "1"}, json={"message": "slow down"}),
    httpx.RemoteProtocolError("Server disconnected without sending a response."),
    httpx.ReadError("[Errno 104] Connection reset by peer"),
    httpx.ConnectError("[Errno 111] Connection refused"),
    httpx.ReadTimeout("timed out"),
])
async def test_start_jobs_is_never_retried(failure):
    fake = Fake()
    fake.route("StartJobs", lambda r: failure)
    sleeps = Sleeps()
    async with fake.client(folder=4, sleep=sleeps) as client:
        with pytest.raises((ServerError, RateLimited, ConnectionFailed)):
            await client.start_jobs({"ReleaseKey": "k", "Strategy": "JobsCount", "JobsCount": 1})
    assert len(fake.requests) == 1
    assert sleeps.calls == []


async def test_start_jobs_409_keeps_server_facts():
    fake = Fake()
    fake.route("StartJobs", httpx.Response(409, json={
        "message": "Couldn't find any user with unattended robot permissions in the current "
                   "folder.", "errorCode": "InvalidStartJobRobotIds",
        "traceId": "00-f9ec99bcada90902ed5216acd5a19afc-a84b1a270cc7f87a-00"}))
    async with fake.client(folder=3) as client:
        with pytest.raises(RequestRejected) as info:
            await client.start_jobs({"ReleaseKey": "k"})
    err = info.value
    assert err.status == 409
    assert err.message.startswith("Couldn't find any user")
    assert err.server_message == err.message
    assert err.error_code == "InvalidStartJobRobotIds"
    assert err.trace_id.startswith("00-f9ec")
    assert "HTTP 409" in str(err) and "trace id" in str(err)


async def test_get_job_and_not_found():
    fake = Fake()
    fake.route("/odata/Jobs(5)", job(5, "Successful", OutputArguments='{"Result":"ok"}',
                                    Info="Job completed"))
    fake.route("/odata/Jobs(6)", httpx.Response(404, json={
        "message": "Job does not exist.", "errorCode": 1002, "traceId": "t"}))
    async with fake.client(folder=4) as client:
        done = await client.get_job(5)
        with pytest.raises(NotFound) as info:
            await client.get_job(6)
        with pytest.raises(TypeError):
            await client.get_job("5")
    assert done.is_final and done.output_arguments == '{"Result":"ok"}'
    assert done.robot_name == "SUPPORT-BOT-01"
    assert fake.requests[0].url.path.endswith("/odata/Jobs(5)")
    assert info.value.message == "Job does not exist."
    assert info.value.error_code == 1002
    assert len(fake.requests) == 2  # 404 is not retried


async def test_get_jobs_one_request_and_chunks():
    fake = Fake()

    def reply(request):
        f = params_of(request)["$filter"]
        assert f.startswith("Id in (") and f.endswith(")")
        ids = [int(x) for x in f[len("Id in ("):-1].split(",")]
        return {"value": [job(i, "Running") for i in reversed(ids) if i != 2]}

    fake.route("/odata/Jobs", reply)
    async with fake.client(folder=4) as client:
        jobs = await client.get_jobs([3, 1, 2, 3])
        assert [j.id for j in jobs] == [3, 1]  # request order, unknown id 2 left out
        assert len(fake.requests) == 1
        assert params_of(fake.requests[0])["$filter"] == "Id in (3,1,2)"
        many = await client.get_jobs(range(10, 130))
    assert [j.id for j in many] == list(range(10, 130))
    assert len(fake.requests) == 1 + 3  # 120 ids -> 50 + 50 + 20
    assert [params_of(r)["$top"] for r in fake.requests[1:]] == ["50", "50", "20"]


async def test_get_jobs_empty_makes_no_request():
    fake = Fake()
    async with fake.client() as client:
        assert await client.get_jobs([]) == []
    assert fake.requests == []


async def test_find_jobs_by_reference():
    fake = Fake()
    fake.route("/odata/Jobs", {"value": [job(1, Reference="ref'1"), job(2, Reference="ref'1")]})
    async with fake.client(folder=4) as client:
        jobs = await client.find_jobs_by_reference("ref'1")
    assert [j.reference for j in jobs] == ["ref'1", "ref'1"]
    assert params_of(fake.requests[0])["$filter"] == "Reference eq 'ref''1'"


async def test_jobs_by_references_asks_in_chunks_that_fit_a_query_string():
    fake = Fake()
    fake.route("/odata/Jobs", {"value": [job(1, Reference="r'0"), job(2, Reference="R'0"),
                                         job(3, Reference="r'0")]})
    references = [f"r'{n}" for n in range(60)]
    async with fake.client(folder=4) as client:
        client.max_filter_chars = 200
        found = await client.jobs_by_references([*references, "r'0"])
    filters = [params_of(request)["$filter"] for request in fake.requests]
    assert len(filters) > 1 and all(len(f) <= 200 for f in filters)
    assert filters[0].startswith("Reference in ('r''0','r''1',")
    assert sorted(found) == sorted(references)  # each asked once; an exact match only
    assert [j.id for j in found["r'0"]] == [1, 3] and found["r'59"] == []


async def test_stop_jobs():
    fake = Fake()
    fake.route("StopJobs", httpx.Response(200))
    async with fake.client(folder=4) as client:
        assert await client.stop_jobs([7, 8], "SoftStop") is None
        await client.stop_jobs((9,), "Kill")
        with pytest.raises(ValueError):
            await client.stop_jobs([7], "Pause")
        with pytest.raises(ValueError):
            await client.stop_jobs([], "Kill")
        with pytest.raises(TypeError):
            await client.stop_jobs(["7"], "Kill")
    assert [json.loads(r.content) for r in fake.requests] == [
        {"jobIds": [7, 8], "strategy": "SoftStop"}, {"jobIds": [9], "strategy": "Kill"}]
    assert fake.requests[0].url.path.endswith(
        "/odata/Jobs/UiPath.Server.Configuration.OData.StopJobs")


# -- HTTP errors ----------------------------------------------------------------------------


@pytest.mark.parametrize("response, kind, message, code", [
    (httpx.Response(400, json={"message": "Folder does not exist or the user does not have "
                               "access to the folder.", "errorCode": 1100, "traceId": "t1"}),
     RequestRejected, "Folder does not exist or the user does not have access to the folder.",
     1100),
    (httpx.Response(403, json={"Message": "You are not authorized.", "ErrorCode": 0,
                               "TraceId": "t1"}),
     PermissionDenied, "You are not authorized.", 0),
    (httpx.Response(404, json={"message": "Robot does not exist.", "errorCode": 1002,
                               "traceId": "t1"}),
     NotFound, "Robot does not exist.", 1002),
    (httpx.Response(409, json={"MESSAGE": "conflict", "ERRORCODE": 7, "TRACEID": "t1"}),
     RequestRejected, "conflict", 7),
    (httpx.Response(413, content=b""), RequestRejected, "HTTP 413", None),
    (httpx.Response(422, json={
        "type": "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        "title": "One or more validation errors occurred.", "status": 422,
        "errors": {"startInfo": ["The startInfo field is required."]}, "traceId": "t1"}),
     RequestRejected, "One or more validation errors occurred. startInfo: The startInfo field "
                      "is required.", None),
    (httpx.Response(400, json={"result": None, "success": False, "__abp": True, "error": {
        "code": 0, "message": "You are not authorized!",
        "details": "You are not allowed to perform this operation."}}),
     RequestRejected, "You are not authorized! You are not allowed to perform this operation.",
     0),
    (httpx.Response(500, json={"message": "An error has occurred.", "errorCode": 0,
                               "traceId": "t1"}),
     ServerError, "An error has occurred.", 0),
    (httpx.Response(500, content=b"<html>oops</html>"), ServerError, "HTTP 500", None),
])
async def test_http_errors_are_mapped(response, kind, message, code):
    fake = Fake()
    fake.route("/odata/Releases", response)
    sleeps = Sleeps()
    async with fake.client(folder=4, sleep=sleeps) as client:
        with pytest.raises(kind) as info:
            await client.search_releases("x")
    err = info.value
    assert message in err.message
    assert err.status == response.status_code
    assert err.error_code == code
    if code is not None:
        assert err.server_message == message and err.trace_id in ("t1", None)
    assert sleeps.calls == []  # none of these is retried
    assert len(fake.requests) == 1


async def test_401_from_orchestrator_with_pat():
    fake = Fake()
    fake.route("/odata/Folders", httpx.Response(401))
    async with fake.client() as client:
        with pytest.raises(AuthenticationError, match="personal access token"):
            await client.list_folders()
    assert len(fake.requests) == 1


@pytest.mark.parametrize("response, words", [
    (httpx.Response(200, content=b"<!DOCTYPE html><html>Sign in</html>",
                    headers={"Content-Type": "text/html"}), "web page"),
    (httpx.Response(200, content=b'{"value": [', headers={"Content-Type": "application/json"}),
     "not valid JSON"),
    (httpx.Response(200, json=[1, 2]), "instead of an object"),
    (httpx.Response(200, json={"items": []}), "no list of items"),
    (httpx.Response(200, json={"value": [{"Name": "no id"}]}), "cannot read"),
    (httpx.Response(200, json={"value": ["x"]}), "no list of items"),
    (httpx.Response(302, headers={"Location": "https://login.example.com/"}),
     "redirected the request to https://login.example.com/"),
])
async def test_bad_answers_are_protocol_errors(response, words):
    fake = Fake()
    fake.route("/odata/Folders", response)
    async with fake.client() as client:
        with pytest.raises(ProtocolError) as info:
            await client.list_folders()
    assert words in info.value.message


# -- retries --------------------------------------------------------------------------------


def flaky(*failures, then):
    """A reply that fails with each of ``failures`` in turn, then answers ``then``."""
    queue = list(failures)

    def reply(request):
        return queue.pop(0) if queue else then

    return reply


async def test_retry_429_with_retry_after_seconds():
    fake = Fake()
    fake.route("/odata/Folders", flaky(
        httpx.Response(429, headers={"Retry-After": "7"}, json={"message": "Too many"}),
        then={"value": []}))
    sleeps = Sleeps()
    async with fake.client(sleep=sleeps) as client:
        assert await client.list_folders() == []
    assert sleeps.calls == [7.0]
    assert len(fake.requests) == 2


async def test_retry_429_with_retry_after_http_date():
    import time

    fake = Fake()
    date = formatdate(time.time() + 10, usegmt=True)
    fake.route("/odata/Folders", flaky(
        httpx.Response(429, headers={"Retry-After": date}), then={"value": []}))
    sleeps = Sleeps()
    async with fake.client(sleep=sleeps) as client:
        await client.list_folders()
    assert len(sleeps.calls) == 1 and 8.0 <= sleeps.calls[0] <= 10.0


async def test_retry_after_is_capped():
    fake = Fake()
    fake.route("/odata/Folders", flaky(
        httpx.Response(503, headers={"Retry-After": "3600"}), then={"value": []}))
    sleeps = Sleeps()
    async with fake.client(sleep=sleeps, max_retry_wait=12.0) as client:
        await client.list_folders()
    assert sleeps.calls == [12.0]


async def test_backoff_without_retry_after_then_give_up():
    # Issue 13 changed a 429 without Retry-After (below); a 503 keeps the short backoff.
    fake = Fake()
    fake.route("/odata/Folders", httpx.Response(503, json={"message": "Unavailable"}))
    sleeps = Sleeps()
    async with fake.client(sleep=sleeps, rng=lambda: 1.0, max_retries=4,
                           max_retry_wait=3.0) as client:
        with pytest.raises(ServerError) as info:
            await client.list_folders()
    assert sleeps.calls == [0.5, 1.0, 2.0, 3.0]  # full jitter at its maximum, capped
    assert len(fake.requests) == 5
    assert info.value.message == "Unavailable"
    assert info.value.status == 503


async def test_429_without_retry_after_waits_out_the_rate_limit_window():
    fake = Fake()
    fake.route("/odata/Jobs", httpx.Response(429, json={"message": "Too many requests"}))
    sleeps = Sleeps()
    async with fake.client(sleep=sleeps, rng=lambda: 1.0, max_retries=4,
                           max_retry_wait=3.0) as client:
        with pytest.raises(RateLimited) as info:
            await client.get_jobs([1])
    # Growing waits, not bound by max_retries or max_retry_wait, adding up to one minute.
    assert sleeps.calls == [2.0, 4.0, 8.0, 16.0, 30.0]
    assert sum(sleeps.calls) == 60.0
    assert len(fake.requests) == 6
    assert info.value.message == "Too many requests" and info.value.status == 429


async def test_429_without_retry_after_recovers_when_the_window_rolls():
    fake = Fake()
    limited = httpx.Response(429, json={"message": "Too many requests"})
    fake.route("/odata/Jobs", flaky(limited, limited, limited, then={"value": [job(1)]}))
    sleeps = Sleeps()
    async with fake.client(sleep=sleeps, rng=lambda: 0.0) as client:
        assert [j.id for j in await client.get_jobs([1])] == [1]
    assert sleeps.calls == [1.0, 2.0, 4.0]  # equal jitter: at least half of each wait


async def test_429_retry_after_is_honoured_capped_and_counts_as_a_retry():
    fake = Fake()
    fake.route("/odata/Jobs", flaky(
        httpx.Response(429, headers={"Retry-After": "12"}),
        httpx.Response(429, headers={"Retry-After": "600"}), then={"value": []}))
    sleeps = Sleeps()
    async with fake.client(sleep=sleeps, max_retry_wait=30.0) as client:
        await client.get_jobs([1])
    assert sleeps.calls == [12.0, 30.0]


async def test_the_throttle_window_can_be_shortened():
    fake = Fake()
    fake.route("/odata/Jobs", httpx.Response(429))
    sleeps = Sleeps()
    async with fake.client(sleep=sleeps, rng=lambda: 1.0, throttle_window=5.0) as client:
        with pytest.raises(RateLimited):
            await client.get_jobs([1])
    assert sleeps.calls == [2.0, 3.0]


async def test_rate_limited_keeps_retry_after():
    fake = Fake()
    fake.route("/odata/Folders", httpx.Response(429, headers={"Retry-After": "20"}))
    async with fake.client(max_retries=0) as client:
        with pytest.raises(RateLimited) as info:
            await client.list_folders()
    assert info.value.retry_after == 20
    assert "20 seconds" in info.value.message


@pytest.mark.parametrize("failure", [
    httpx.Response(502), httpx.Response(503), httpx.Response(504),
    httpx.ReadError("[Errno 104] Connection reset by peer"),
    httpx.RemoteProtocolError("Server disconnected without sending a response."),
    httpx.ReadTimeout("timed out"),
    httpx.ConnectTimeout("timed out"),
    httpx.ConnectError("All connection attempts failed"),
])
async def test_gets_are_retried(failure):
    fake = Fake()
    fake.route("/odata/Jobs(1)", flaky(failure, failure, then=job(1)))
    sleeps = Sleeps()
    async with fake.client(sleep=sleeps, rng=lambda: 0.5) as client:
        assert (await client.get_job(1)).id == 1
    assert sleeps.calls == [0.25, 0.5]
    assert len(fake.requests) == 3


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 500])
async def test_other_statuses_are_not_retried(status):
    fake = Fake()
    fake.route("/odata/Jobs(1)", httpx.Response(status))
    sleeps = Sleeps()
    async with fake.client(sleep=sleeps) as client:
        with pytest.raises(Exception):  # noqa: B017 - the kind is tested elsewhere
            await client.get_job(1)
    assert sleeps.calls == [] and len(fake.requests) == 1


def test_parse_retry_after():
    assert parse_retry_after(None) is None
    assert parse_retry_after("") is None
    assert parse_retry_after("5") == 5.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after("soon") is None
    now = 1_700_000_000.0
    assert parse_retry_after(formatdate(now + 30, usegmt=True), now=now) == 30.0
    assert parse_retry_after(formatdate(now - 30, usegmt=True), now=now) == 0.0


def test_backoff_full_jitter_bounds():
    policy = RetryPolicy(max_retries=4, max_wait=5.0, base=0.5, rng=lambda: 0.0)
    assert [policy.backoff(a) for a in range(5)] == [0.0] * 5
    policy.rng = lambda: 0.999
    assert [round(policy.backoff(a), 4) for a in range(5)] == [0.4995, 0.999, 1.998, 3.996, 4.995]
    assert policy.delay(0, 100.0) == 5.0
    assert policy.delay(0, 2.0) == 2.0


def test_parse_error_body_variants():
    assert parse_error_body(b"") == parse_error_body(b"not json")
    body = parse_error_body(b'{"error":"invalid_client","error_description":"Bad secret"}')
    assert (body.message, body.error_code) == ("Bad secret", "invalid_client")
    body = parse_error_body(b'{"error":"invalid_scope"}')
    assert (body.message, body.error_code) == ("invalid_scope", "invalid_scope")
    body = parse_error_body(b'{"message":"m","errorCode":1101,"traceId":"00-1-2-00"}')
    assert (body.message, body.error_code, body.trace_id) == ("m", 1101, "00-1-2-00")


# -- transport failures (MockTransport raising what httpx raises) --------------------------


def _raise_from(exc: Exception, cause: BaseException) -> Exception:
    exc.__cause__ = cause
    return exc


@pytest.mark.parametrize("failure, kind, words", [
    (_raise_from(httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify "
                                    "failed: self-signed certificate"),
                 ssl.SSLCertVerificationError(1, "certificate verify failed")),
     CertificateError, "CA bundle"),
    (httpx.ProxyError("407 Proxy Authentication Required"), ConnectionFailed, "proxy"),
    (httpx.ReadError("[Errno 104] Connection reset by peer"), ConnectionFailed, "dropped"),
    (httpx.ReadTimeout("timed out"), RequestTimeout, "did not answer"),
    (httpx.ConnectTimeout("timed out"), RequestTimeout, "Could not connect"),
    (httpx.PoolTimeout("timed out"), RequestTimeout, "free connection"),
])
async def test_transport_failures_are_mapped(failure, kind, words):
    fake = Fake()
    fake.route("/odata/Folders", failure)
    async with fake.client(max_retries=1) as client:
        with pytest.raises(kind) as info:
            await client.list_folders()
    assert words in info.value.message
    assert isinstance(info.value.__cause__, httpx.HTTPError)


async def test_certificate_and_proxy_errors_are_not_retried():
    fake = Fake()
    fake.route("/odata/Folders", _raise_from(
        httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED]"),
        ssl.SSLCertVerificationError(1, "certificate verify failed")))
    sleeps = Sleeps()
    async with fake.client(sleep=sleeps) as client:
        with pytest.raises(CertificateError):
            await client.list_folders()
    assert sleeps.calls == [] and len(fake.requests) == 1


# -- real sockets ---------------------------------------------------------------------------


@pytest.fixture
def no_proxy(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                 "all_proxy"):
        monkeypatch.delenv(name, raising=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_real_dns_failure(no_proxy):
    sleeps = Sleeps()
    url = "https://orchestrator.startjob-test.invalid/acme/DefaultTenant/orchestrator_"
    async with OrchestratorClient(url, TokenAuth("pat"), sleep=sleeps, timeout=10) as client:
        with pytest.raises(ConnectionFailed) as info:
            await client.list_folders()
    assert info.value.message.startswith(
        "The host name orchestrator.startjob-test.invalid could not be")
    assert "Check" in info.value.message
    assert type(info.value) is ConnectionFailed
    assert sleeps.calls == []  # a name that does not exist will not appear by waiting


async def test_real_connection_refused(no_proxy):
    port = free_port()
    sleeps = Sleeps()
    url = f"http://127.0.0.1:{port}/acme/DefaultTenant/orchestrator_"
    async with OrchestratorClient(url, TokenAuth("pat"), sleep=sleeps, max_retries=2) as client:
        with pytest.raises(ConnectionFailed) as info:
            await client.list_folders()
    assert info.value.message == (
        f"127.0.0.1:{port} refused the connection. Check the URL and port, and that "
        "Orchestrator is running.")
    assert sleeps.calls == []  # refused: nothing was sent, reported at once (issue 10.19)


async def test_real_refused_start_jobs_not_retried(no_proxy):
    sleeps = Sleeps()
    url = f"http://127.0.0.1:{free_port()}/o/t/orchestrator_"
    async with OrchestratorClient(url, TokenAuth("pat"), sleep=sleeps) as client:
        with pytest.raises(ConnectionFailed, match="refused"):
            await client.start_jobs({"ReleaseKey": "k"})
    assert sleeps.calls == []


class LoopbackServer:
    """A tiny threaded TCP server on 127.0.0.1 that treats each connection with ``behaviour``.

    ``ok``: read the request, answer 200 ``{"value": []}``. ``plain``: answer at once with
    plain HTTP (whatever was sent). ``silent``: read, never answer (until shut down).
    ``drop``: read the request, close without an answer. With ``tls`` the socket is wrapped
    first. Every socket is closed on exit.
    """

    OK = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 13\r\n"
          b"Connection: close\r\n\r\n{\"value\": []}")
    PLAIN = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"

    def __init__(self, behaviour: str, tls: Optional[ssl.SSLContext] = None) -> None:
        self.behaviour = behaviour
        self.tls = tls
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.listener.settimeout(0.05)
        self.port = self.listener.getsockname()[1]
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> LoopbackServer:
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stopping.set()
        self.thread.join(5)
        self.listener.close()

    def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                continue
            try:
                self._serve(conn)
            except (OSError, ssl.SSLError):
                pass
            finally:
                conn.close()

    def _read_request(self, conn) -> None:
        data = b""
        while b"\r\n\r\n" not in data and not self.stopping.is_set():
            try:
                chunk = conn.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                return
            data += chunk

    def _serve(self, conn) -> None:
        conn.settimeout(0.05)
        if self.behaviour == "plain":
            conn.sendall(self.PLAIN)
            return
        if self.tls is not None:
            conn.settimeout(5)
            conn = self.tls.wrap_socket(conn, server_side=True)
            conn.settimeout(0.05)
        try:
            self._read_request(conn)
            if self.behaviour == "ok":
                conn.sendall(self.OK)
            elif self.behaviour == "silent":
                self.stopping.wait(10)
        finally:
            conn.close()


async def test_real_https_to_plain_http_port(no_proxy):
    sleeps = Sleeps()
    with LoopbackServer("plain") as server:
        url = f"https://127.0.0.1:{server.port}/o/t/orchestrator_"
        async with OrchestratorClient(url, TokenAuth("pat"), sleep=sleeps, timeout=5) as client:
            with pytest.raises(ConnectionFailed) as info:
                await client.list_folders()
    assert "secure (TLS) connection" in info.value.message
    assert "https:// or http://" in info.value.message
    assert sleeps.calls == []
    assert not isinstance(info.value, CertificateError)


async def test_real_read_timeout(no_proxy):
    with LoopbackServer("silent") as server:
        url = f"http://127.0.0.1:{server.port}/o/t/orchestrator_"
        async with OrchestratorClient(url, TokenAuth("pat"), timeout=0.2, max_retries=0) as c:
            with pytest.raises(RequestTimeout) as info:
                await c.list_folders()
    assert "did not answer within 0.2 seconds" in info.value.message


async def test_real_connection_dropped(no_proxy):
    sleeps = Sleeps()
    with LoopbackServer("drop") as server:
        url = f"http://127.0.0.1:{server.port}/o/t/orchestrator_"
        async with OrchestratorClient(url, TokenAuth("pat"), sleep=sleeps, max_retries=1) as c:
            with pytest.raises(ConnectionFailed, match="dropped"):
                await c.list_folders()
            with pytest.raises(ConnectionFailed, match="dropped"):
                await c.start_jobs({"ReleaseKey": "k"})
    assert len(sleeps.calls) == 1  # the GET was retried once, the POST not at all


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    result = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
         "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        capture_output=True, check=False,
    )
    if result.returncode != 0:
        pytest.skip(f"openssl could not make a certificate: {result.stderr.decode()[:200]}")
    return cert, key


async def test_real_untrusted_certificate_and_ca_bundle(no_proxy, self_signed):
    cert, key = self_signed
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert), str(key))
    sleeps = Sleeps()
    with LoopbackServer("ok", tls=context) as server:
        url = f"https://127.0.0.1:{server.port}/o/t/orchestrator_"
        async with OrchestratorClient(url, TokenAuth("pat"), sleep=sleeps) as client:
            with pytest.raises(CertificateError) as info:
                await client.list_folders()
        async with OrchestratorClient(url, TokenAuth("pat"), verify=str(cert)) as client:
            assert await client.list_folders() == []
    assert "not trusted" in info.value.message and "CA bundle" in info.value.message
    assert sleeps.calls == []


def test_missing_ca_bundle_is_a_clear_error(tmp_path):
    with pytest.raises(CertificateError, match="could not be used"):
        OrchestratorClient(BASE, TokenAuth("pat"), verify=str(tmp_path / "missing.pem"))


@pytest.mark.parametrize("url", ["orch.example.com/acme/t/orchestrator_", "", "https://",
                                 "ftp://host/x", "https://[::1/x"])
def test_invalid_orchestrator_url(url):
    with pytest.raises(ConnectionFailed) as info:
        OrchestratorClient(url, TokenAuth("p"))
    assert info.value.message.startswith(f"The Orchestrator URL {url!r} is not valid")
    assert "https://" in info.value.message


async def test_base_url_is_normalised():
    fake = Fake()
    fake.route("/odata/Folders", {"value": []})
    client = OrchestratorClient(BASE + "/?fid=12#x", TokenAuth("p"),
                                transport=httpx.MockTransport(fake.handler))
    async with client:
        assert client.base_url == BASE
        await client.list_folders()
    assert fake.requests[0].url.path == "/acme/DefaultTenant/orchestrator_/odata/Folders"
    assert "fid" not in fake.requests[0].url.params


# -- diagnostics: ValidateDynamicJob, ValidateExistingJob, GetRuntimesForFolder (issue 13) ----

VALIDATE_DYNAMIC = "/odata/Jobs/UiPath.Server.Configuration.OData.ValidateDynamicJob"
VALIDATE_EXISTING = "/odata/Jobs(41)/UiPath.Server.Configuration.OData.ValidateExistingJob"
RUNTIMES = "/odata/Machines/UiPath.Server.Configuration.OData.GetRuntimesForFolder(folderId=7)"


async def test_validate_dynamic_job_sends_the_start_body_and_reads_the_result():
    from tui_app.orchestrator import ValidationResult

    fake = Fake()
    fake.route(VALIDATE_DYNAMIC, {"IsValid": False, "Errors": ["The robot is busy"],
                                  "ErrorCodes": ["RobotBusy"]})
    info = {"ReleaseKey": "rel-1", "Strategy": "ModernJobsCount", "JobsCount": 1}
    async with fake.client(folder=7) as client:
        answer = await client.validate_dynamic_job(info)
    assert answer == ValidationResult(False, ("The robot is busy",), ("RobotBusy",))
    (request,) = fake.requests
    assert request.method == "POST"
    assert json.loads(request.content) == {"startInfo": info}
    assert request.headers["X-UIPATH-OrganizationUnitId"] == "7"


async def test_validate_existing_job_has_no_body_and_valid_means_valid():
    fake = Fake()
    fake.route(VALIDATE_EXISTING, {"IsValid": True, "Errors": [], "ErrorCodes": []})
    async with fake.client() as client:
        answer = await client.validate_existing_job(41)
    assert answer.is_valid and answer.errors == () and answer.error_codes == ()
    assert fake.requests[0].method == "POST" and fake.requests[0].content == b""


async def test_validation_posts_change_nothing_so_they_are_retried():
    fake = Fake()
    fake.route(VALIDATE_EXISTING, flaky(httpx.Response(503), then={"IsValid": True}))
    async with fake.client() as client:
        assert (await client.validate_existing_job(41)).is_valid
    assert len(fake.requests) == 2


@pytest.mark.parametrize("response", [
    httpx.Response(404, text="Not Found"),
    httpx.Response(404, json={"message": "No HTTP resource was found", "errorCode": 0}),
    httpx.Response(405, json={"message": "Method not allowed"}),
    httpx.Response(501, text="Not Implemented"),
])
async def test_missing_diagnostic_endpoints_are_not_available(response):
    from tui_app.orchestrator import NotAvailable

    fake = Fake()
    for path in (VALIDATE_DYNAMIC, VALIDATE_EXISTING, RUNTIMES):
        fake.route(path, response)
    async with fake.client() as client:
        for call in (client.validate_dynamic_job({"ReleaseKey": "k"}),
                     client.validate_existing_job(41), client.runtimes_for_folder(7)):
            with pytest.raises(NotAvailable) as info:
                await call
            assert info.value.status == response.status_code


async def test_an_unknown_job_is_not_found_not_unavailable():
    fake = Fake()
    fake.route(VALIDATE_EXISTING, httpx.Response(
        404, json={"message": "Job does not exist.", "errorCode": 1002}))
    async with fake.client() as client:
        with pytest.raises(NotFound):
            await client.validate_existing_job(41)


async def test_runtimes_for_folder():
    from tui_app.orchestrator import RuntimeCapacity

    fake = Fake()
    fake.route(RUNTIMES, {"value": [
        {"Type": "Unattended", "Total": 2, "Connected": 1, "Available": 0},
        {"Type": "NonProduction", "Total": 5, "Connected": 5, "Available": 5}]})
    async with fake.client() as client:
        rows = await client.runtimes_for_folder(7)
    assert rows == [RuntimeCapacity("Unattended", 2, 1, 0),
                    RuntimeCapacity("NonProduction", 5, 5, 5)]
    (request,) = fake.requests
    assert "$top" not in params_of(request)  # the endpoint has no paging
    assert request.headers["X-UIPATH-OrganizationUnitId"] == "7"


async def test_runtimes_with_a_bad_count_are_a_protocol_error():
    fake = Fake()
    fake.route(RUNTIMES, {"value": [{"Type": "Unattended", "Total": "two"}]})
    async with fake.client() as client:
        with pytest.raises(ProtocolError):
            await client.runtimes_for_folder(7)


async def test_job_error_robot_type_and_suspended_are_read():
    from tui_app.orchestrator import JobError

    fake = Fake()
    fake.route("/odata/Jobs(3)", job(3, "Faulted", Info="boom", JobError={
        "code": "User.Invoice", "title": "Invoice rejected", "detail": "negative total",
        "category": "User", "status": 400, "timestamp": "2026-01-01T00:00:00Z"}))
    fake.route("/odata/Jobs(4)", job(4, "Suspended"))
    fake.route("/odata/Jobs(5)", job(5, "Successful", JobError=None))
    async with fake.client() as client:
        faulted, suspended, fine = [await client.get_job(i) for i in (3, 4, 5)]
    assert faulted.job_error == JobError("User.Invoice", "Invoice rejected", "negative total",
                                         "User", 400, "2026-01-01T00:00:00Z")
    assert suspended.is_suspended and suspended.is_resting and not suspended.is_final
    assert fine.job_error is None and fine.is_resting
    resumed = faulted.__class__.from_api(job(6, "Resumed"))
    assert not resumed.is_final and not resumed.is_resting


def test_httpcores_sniffio_probe_fails_at_once_when_sniffio_is_absent():
    """httpcore tries ``import sniffio`` at every request; without sniffio each try searched
    sys.path again (over a second in a 1,000-row batch)."""
    import importlib.machinery
    import sys

    import tui_app.orchestrator.client  # noqa: F401 - its import sets the entry

    if sys.modules.get("sniffio") is not None:
        pytest.skip("sniffio is installed: httpcore uses it")
    assert importlib.machinery.PathFinder.find_spec("sniffio") is None
    assert "sniffio" in sys.modules and sys.modules["sniffio"] is None
    with pytest.raises(ImportError):
        import sniffio  # noqa: F401
