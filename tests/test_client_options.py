"""Client calls of the start options (issue 15) against the wire shapes of the v20 spec:
entry points (GetProcessVersions), machine sessions (GetMachineSessionRuntimesByFolderId) and
job attachments (POST /odata/Attachments + the blob PUT/GET of ``BlobFileAccess``)."""

from __future__ import annotations

import json

import httpx
import pytest

from tui_app.debuglog import DebugLog
from tui_app.orchestrator import (
    EntryPoint,
    MachineSession,
    NotAvailable,
    NotFound,
    OrchestratorClient,
    Release,
    RequestRejected,
    ServerError,
    TokenAuth,
)

BASE = "https://orch.example.com/acme/DefaultTenant/orchestrator_"
VERSIONS = "/odata/Processes/UiPath.Server.Configuration.OData.GetProcessVersions"
SESSIONS = ("/odata/Sessions/UiPath.Server.Configuration.OData."
            "GetMachineSessionRuntimesByFolderId(folderId=7)")
ATTACHMENT_ID = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b"
SAS = "sv=2021-08-06&se=2030-01-01&sr=b&sp=cw&sig=S3cr3tSignature%2Bvalue%3D"
BLOB = f"https://storage.example.net/attachments/{ATTACHMENT_ID}?{SAS}"
RELEASE = Release(id=1, key="rel-1", name="Nightly", process_key="Nightly Batch",
                  process_version="2.0.1", arguments_input='[]',
                  entry_point_path="Main.xaml")


class Wire:
    """A scripted server: ``answers`` maps (method, host, path) to a Response or a callable."""

    def __init__(self, answers: dict) -> None:
        self.answers = answers
        self.requests: list[httpx.Request] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        key = (request.method, request.url.host, request.url.path)
        answer = self.answers.get(key)
        if answer is None:
            return httpx.Response(404, json={"message": "No HTTP resource was found."})
        return answer(request) if callable(answer) else answer

    def client(self, **kw) -> OrchestratorClient:
        return OrchestratorClient(BASE, TokenAuth("orchestrator-pat"),
                                  transport=httpx.MockTransport(self.handler),
                                  sleep=_no_sleep, **kw)


async def _no_sleep(_seconds: float) -> None:
    return None


def _orch(path: str) -> tuple:
    return "orch.example.com", "/acme/DefaultTenant/orchestrator_" + path


def _attachment(requires_auth: bool = False) -> dict:
    """The 201 of POST /odata/Attachments as seen on the wire (``BlobFileAccess`` included)."""
    return {"Name": "startjob-input-x.json", "Id": ATTACHMENT_ID,
            "CreationTime": "2025-01-01T00:00:00Z", "CreatorUserId": 4,
            "BlobFileAccess": {"Uri": BLOB, "Verb": "PUT", "RequiresAuth": requires_auth,
                               "Headers": {"Keys": ["x-ms-blob-type"],
                                           "Values": ["BlockBlob"]}}}


# -- entry points ----------------------------------------------------------------------------


async def test_entry_points_asks_for_the_release_version_with_its_entry_points():
    version = {"Version": "2.0.1", "Key": "Nightly Batch:2.0.1", "Id": "Nightly Batch",
               "SupportsMultipleEntryPoints": True, "MainEntryPointPath": "Main.xaml",
               "EntryPoints": [
                   {"UniqueId": "0b1c", "Path": "Main.xaml", "InputArguments": "[]", "Id": 1},
                   {"Path": "Flows\\Cleanup.xaml", "Id": 2,
                    "InputArguments": '[{"name":"Days","type":"System.Int32"}]'}]}
    path = VERSIONS + "(processId='Nightly Batch')"
    wire = Wire({("GET", *_orch(path)): httpx.Response(200, json={"value": [version]})})
    async with wire.client(folder=7) as client:
        found = await client.entry_points(RELEASE)
    assert found == [EntryPoint("Main.xaml", "[]", None, 1),
                     EntryPoint("Flows\\Cleanup.xaml", '[{"name":"Days","type":"System.Int32"}]',
                                None, 2)]
    (request,) = wire.requests
    assert request.url.params["$filter"] == "Version eq '2.0.1'"
    assert request.url.params["$expand"] == "EntryPoints"


async def test_entry_points_quote_the_process_key_and_list_none_for_another_version():
    path = VERSIONS + "(processId='O''Brien')"
    wire = Wire({("GET", *_orch(path)): httpx.Response(200, json={"value": [
        {"Version": "9.9.9", "EntryPoints": [{"Path": "Main.xaml"}]}]})})
    async with wire.client() as client:
        release = Release(id=1, key="k", name="n", process_key="O'Brien", process_version="1")
        assert await client.entry_points(release) == []


@pytest.mark.parametrize("status", [403, 404, 405, 501])
async def test_entry_points_not_available(status):
    path = VERSIONS + "(processId='Nightly Batch')"
    body = {"message": "nope", "errorCode": 1002 if status == 404 else 0}
    wire = Wire({("GET", *_orch(path)): httpx.Response(status, json=body)})
    async with wire.client() as client:
        with pytest.raises(NotAvailable, match="entry points"):
            await client.entry_points(RELEASE)


# -- machine sessions ------------------------------------------------------------------------


def _session(session_id: int, host: str, **extra) -> dict:
    data = {"SessionId": session_id, "MachineId": 30, "MachineName": "RPA-TEMPLATE",
            "HostMachineName": host, "ServiceUserName": "svc", "MaintenanceMode": "Default",
            "RuntimeType": "Unattended", "MachineType": "Template", "MachineScope": "Default",
            "Status": "Available", "IsUnresponsive": False, "Runtimes": 2, "UsedRuntimes": 1,
            "ReportingTime": "2025-01-01T00:00:00Z", "Version": "23.10", "Platform": "Windows"}
    data.update(extra)
    return data


async def test_machine_sessions_reads_every_page_in_the_folder():
    pages = [[_session(1, "HOST-01"), _session(2, "HOST-02")],
             [_session(3, "HOST-03", MaintenanceMode="Enabled")]]

    def answer(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["$skip"]) // 2
        return httpx.Response(200, json={"@odata.count": 3, "value": pages[page]})

    wire = Wire({("GET", *_orch(SESSIONS)): answer})
    async with wire.client() as client:
        client.page_size = 2
        sessions = await client.machine_sessions(7, "Unattended")
    assert [s.session_id for s in sessions] == [1, 2, 3]
    assert isinstance(sessions[2], MachineSession) and sessions[2].in_maintenance
    assert sessions[0].status_words() == "connected, 1 of 2 runtimes free"
    first = wire.requests[0]
    assert first.url.params["runtimeType"] == "Unattended"
    assert first.headers["X-UIPATH-OrganizationUnitId"] == "7"


@pytest.mark.parametrize("status", [403, 404])
async def test_machine_sessions_not_available(status):
    wire = Wire({("GET", *_orch(SESSIONS)): httpx.Response(status, json={"message": "no"})})
    async with wire.client() as client:
        with pytest.raises(NotAvailable, match="machine sessions"):
            await client.machine_sessions(7)
    assert "runtimeType" not in wire.requests[0].url.params


# -- attachments -----------------------------------------------------------------------------


async def test_upload_posts_the_name_then_puts_the_bytes_without_the_orchestrator_token():
    wire = Wire({("POST", *_orch("/odata/Attachments")): httpx.Response(201, json=_attachment()),
                 ("PUT", "storage.example.net", f"/attachments/{ATTACHMENT_ID}"):
                     httpx.Response(201)})
    async with wire.client(folder=7) as client:
        assert await client.upload_attachment("startjob-input-x.json", b'{"A":1}') \
            == ATTACHMENT_ID
    post, put = wire.requests
    assert json.loads(post.content) == {"Name": "startjob-input-x.json"}
    assert post.headers["Authorization"] == "Bearer orchestrator-pat"
    assert post.headers["X-UIPATH-OrganizationUnitId"] == "7"
    assert put.content == b'{"A":1}'
    assert put.headers["x-ms-blob-type"] == "BlockBlob"
    assert str(put.url) == BLOB  # the signed address exactly as given
    assert "Authorization" not in put.headers
    assert "X-UIPATH-OrganizationUnitId" not in put.headers


async def test_upload_sends_the_token_to_storage_only_when_it_requires_auth():
    wire = Wire({("POST", *_orch("/odata/Attachments")):
                 httpx.Response(201, json=_attachment(requires_auth=True)),
                 ("PUT", "storage.example.net", f"/attachments/{ATTACHMENT_ID}"):
                     httpx.Response(201)})
    async with wire.client() as client:
        await client.upload_attachment("a.json", b"{}")
    assert wire.requests[1].headers["Authorization"] == "Bearer orchestrator-pat"


@pytest.mark.parametrize("failing", ["POST", "PUT"])
async def test_upload_is_never_retried_and_the_signature_is_never_shown(failing):
    post = httpx.Response(503 if failing == "POST" else 201, json=_attachment())
    put = httpx.Response(503, text="<Error>busy</Error>")
    wire = Wire({("POST", *_orch("/odata/Attachments")): post,
                 ("PUT", "storage.example.net", f"/attachments/{ATTACHMENT_ID}"): put})
    async with wire.client() as client:
        with pytest.raises(ServerError) as caught:
            await client.upload_attachment("a.json", b"{}")
    assert len(wire.requests) == (1 if failing == "POST" else 2)
    assert "S3cr3t" not in str(caught.value) and "sig=" not in str(caught.value)
    if failing == "PUT":
        assert "storage.example.net" in str(caught.value)


async def test_upload_refused_by_storage_is_a_refusal_naming_only_the_host():
    wire = Wire({("POST", *_orch("/odata/Attachments")): httpx.Response(201, json=_attachment()),
                 ("PUT", "storage.example.net", f"/attachments/{ATTACHMENT_ID}"):
                     httpx.Response(403, text="AuthenticationFailed")})
    async with wire.client() as client:
        with pytest.raises(RequestRejected, match="storage.example.net refused the upload"):
            await client.upload_attachment("a.json", b"{}")


async def test_upload_on_a_server_without_attachments_is_not_available():
    wire = Wire({})
    async with wire.client() as client:
        with pytest.raises(NotAvailable, match="job attachments"):
            await client.upload_attachment("a.json", b"{}")


async def test_a_connection_failure_to_storage_shows_no_signature():
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    wire = Wire({("POST", *_orch("/odata/Attachments")): httpx.Response(201, json=_attachment()),
                 ("PUT", "storage.example.net", f"/attachments/{ATTACHMENT_ID}"): refuse})
    async with wire.client() as client:
        with pytest.raises(Exception) as caught:
            await client.upload_attachment("a.json", b"{}")
    assert "S3cr3t" not in str(caught.value) and "S3cr3t" not in repr(caught.value.__cause__)


async def test_upload_without_a_storage_address_is_a_protocol_error():
    answer = dict(_attachment(), BlobFileAccess={"Uri": "file:///etc/passwd"})
    wire = Wire({("POST", *_orch("/odata/Attachments")): httpx.Response(201, json=answer)})
    async with wire.client() as client:
        with pytest.raises(Exception, match="BlobFileAccess.Uri"):
            await client.upload_attachment("a.json", b"{}")
    assert len(wire.requests) == 1


async def test_read_attachment_gets_the_attachment_then_its_blob():
    answer = dict(_attachment(), BlobFileAccess={"Uri": BLOB, "Verb": "GET",
                                                 "RequiresAuth": False,
                                                 "Headers": {"Keys": [], "Values": []}})
    wire = Wire({("GET", *_orch(f"/odata/Attachments({ATTACHMENT_ID})")):
                 httpx.Response(200, json=answer),
                 ("GET", "storage.example.net", f"/attachments/{ATTACHMENT_ID}"):
                     httpx.Response(200, content=b'{"Result":"done"}')})
    async with wire.client() as client:
        assert await client.read_attachment(ATTACHMENT_ID.upper()) == b'{"Result":"done"}'
    assert "Authorization" not in wire.requests[1].headers


async def test_read_attachment_unknown_is_not_found():
    wire = Wire({("GET", *_orch(f"/odata/Attachments({ATTACHMENT_ID})")):
                 httpx.Response(404, json={"message": "Attachment not found", "errorCode": 1002})})
    async with wire.client() as client:
        with pytest.raises(NotFound):
            await client.read_attachment(ATTACHMENT_ID)


async def test_the_debug_log_masks_the_storage_signature(tmp_path):
    wire = Wire({("POST", *_orch("/odata/Attachments")): httpx.Response(201, json=_attachment()),
                 ("PUT", "storage.example.net", f"/attachments/{ATTACHMENT_ID}"):
                     httpx.Response(201)})
    log = DebugLog(tmp_path / "debug.log")
    async with wire.client() as client:
        log.install(client)
        await client.upload_attachment("a.json", b"{}")
    log.close()
    text = (tmp_path / "debug.log").read_text(encoding="utf-8")
    assert "storage.example.net" in text and "sig=***" in text
    assert "S3cr3tSignature" not in text
