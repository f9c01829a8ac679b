"""The sandbox Orchestrator over HTTP: routing, sign-in, tokens, scopes, folders, wire shapes."""

from __future__ import annotations

import base64
import json
import re
import socket
import time

import httpx
import pytest

from tui_app.orchestrator.models import Environment, Folder, Job, Release, Robot
from tui_app.sandbox import DEMO, Sandbox, SandboxConfig

PAT = {"Authorization": f"Bearer {DEMO.personal_access_token}"}
#: One client for one-off requests; ``verify=False`` skips building a TLS context (plain HTTP).
HTTP = httpx.Client(verify=False)
TRACE_ID = re.compile(r"^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$")


def api(sandbox, token=None, folder=None, base=None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token or DEMO.personal_access_token}"}
    if folder is not None:
        headers["X-UIPATH-FolderPath"] = folder
    return httpx.Client(base_url=base or sandbox.orchestrator_url, headers=headers, verify=False)


def client_token(sandbox, scope=None, url=None) -> httpx.Response:
    form = {"grant_type": "client_credentials", "client_id": DEMO.client_id,
            "client_secret": DEMO.client_secret}
    if scope is not None:
        form["scope"] = scope
    return HTTP.post(url or sandbox.identity_url, data=form)


def assert_error(response, status, code=None, message=None):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) >= {"message", "errorCode", "traceId"}
    assert TRACE_ID.match(body["traceId"])
    if code is not None:
        assert body["errorCode"] == code
    if message is not None:
        assert message in body["message"]
    return body


# ----------------------------------------------------------------------------- URLs, routing


def test_urls(sandbox):
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", sandbox.base_url)
    assert sandbox.orchestrator_url == sandbox.base_url
    assert sandbox.identity_url == sandbox.base_url + "/identity/connect/token"
    assert sandbox.cloud_url == sandbox.base_url + "/demo/DefaultTenant/orchestrator_"
    assert sandbox.cloud_identity_url == sandbox.base_url + "/identity_/connect/token"


def test_demo_credentials():
    assert (DEMO.client_id, DEMO.client_secret, DEMO.tenancy_name, DEMO.username,
            DEMO.password, DEMO.personal_access_token, DEMO.organization, DEMO.tenant) == (
        "demo-client", "demo-secret", "Default", "admin", "demo", "demo-pat", "demo",
        "DefaultTenant")


@pytest.mark.parametrize("prefix", ["/demo/DefaultTenant/orchestrator_", "",
                                    "/DEMO/defaulttenant/Orchestrator_"])
def test_cloud_and_standalone_prefixes(sandbox, prefix):
    response = HTTP.get(f"{sandbox.base_url}{prefix}/odata/Folders", headers=PAT)
    assert response.status_code == 200
    assert response.json()["@odata.context"] == (
        f"{sandbox.base_url}{prefix}/odata/$metadata#Folders")


@pytest.mark.parametrize("path", ["/other/DefaultTenant/orchestrator_/odata/Folders",
                                  "/demo/OtherTenant/orchestrator_/odata/Folders",
                                  "/odata/Nope", "/demo/odata/Folders",
                                  "/demo/DefaultTenant/orchestrator_"])
def test_unknown_paths_are_404(sandbox, path):
    assert_error(HTTP.get(sandbox.base_url + path, headers=PAT), 404, 0, "No HTTP resource")


def test_wrong_method_is_405(sandbox):
    response = HTTP.delete(sandbox.orchestrator_url + "/odata/Releases", headers=PAT)
    assert_error(response, 405, 0, "does not support http method 'DELETE'")
    assert response.headers["allow"] == "GET"
    assert HTTP.get(sandbox.identity_url).status_code == 405


def test_paths_are_case_insensitive(sandbox):
    response = HTTP.get(sandbox.orchestrator_url + "/ODATA/folders", headers=PAT)
    assert response.status_code == 200


# ----------------------------------------------------------------------------- client credentials


def test_client_credentials_token(sandbox):
    response = client_token(sandbox, "OR.Folders.Read OR.Jobs")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "expires_in", "token_type", "scope"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert set(body["scope"].split()) == {"OR.Folders.Read", "OR.Jobs"}
    assert response.headers["cache-control"] == "no-store"
    with api(sandbox, body["access_token"]) as client:
        assert client.get("/odata/Folders").status_code == 200


def test_token_without_scope_gets_every_scope(sandbox):
    scopes = client_token(sandbox).json()["scope"].split()
    assert {"OR.Jobs", "OR.Execution.Read", "OR.Robots.Write"} <= set(scopes)


@pytest.mark.parametrize("path", ["/identity_/connect/token", "/demo/identity_/connect/token",
                                  "/identity/connect/token"])
def test_token_endpoint_paths(sandbox, path):
    assert client_token(sandbox, "OR.Jobs", sandbox.base_url + path).status_code == 200


def test_token_endpoint_of_another_organization_is_404(sandbox):
    response = client_token(sandbox, "OR.Jobs", sandbox.base_url + "/acme/identity_/connect/token")
    assert response.status_code == 404


def test_client_may_authenticate_with_http_basic(sandbox):
    response = HTTP.post(sandbox.identity_url, auth=(DEMO.client_id, DEMO.client_secret),
                          data={"grant_type": "client_credentials", "scope": "OR.Jobs"})
    assert response.status_code == 200


@pytest.mark.parametrize("form, error", [
    ({"client_secret": "wrong"}, "invalid_client"),
    ({"client_id": "someone"}, "invalid_client"),
    ({"scope": "OR.Jobs OR.Nope"}, "invalid_scope"),
    ({"scope": "OR.Jobs.Delete"}, "invalid_scope"),
    ({"scope": "openid"}, "invalid_scope"),
    ({"scope": ""}, "invalid_scope"),
    ({"grant_type": "password"}, "unsupported_grant_type"),
    ({"grant_type": ""}, "invalid_request"),
])
def test_token_errors(sandbox, form, error):
    data = {"grant_type": "client_credentials", "client_id": DEMO.client_id,
            "client_secret": DEMO.client_secret, "scope": "OR.Jobs", **form}
    response = HTTP.post(sandbox.identity_url, data=data)
    assert response.status_code == 400
    assert response.json()["error"] == error
    assert response.json()["error_description"]


def test_token_request_must_be_a_form(sandbox):
    response = HTTP.post(sandbox.identity_url, json={"grant_type": "client_credentials"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_identity_requests_are_never_faulted():
    from tui_app.sandbox import FaultConfig

    config = SandboxConfig(faults=FaultConfig(unavailable=1.0))
    with Sandbox(config) as sandbox:
        assert client_token(sandbox, "OR.Jobs").status_code == 200
        response = HTTP.post(sandbox.base_url + "/api/Account/Authenticate",
                              json={"usernameOrEmailAddress": "admin", "password": "demo"})
        assert response.status_code == 200
        assert HTTP.get(sandbox.orchestrator_url + "/odata/Folders",
                         headers=PAT).status_code == 503


# ----------------------------------------------------------------------------- on-prem sign-in


@pytest.mark.parametrize("prefix", [""])
@pytest.mark.parametrize("body", [
    {"tenancyName": "Default", "usernameOrEmailAddress": "admin", "password": "demo"},
    {"TenancyName": "default", "UsernameOrEmailAddress": "ADMIN", "Password": "demo"},
    {"usernameOrEmailAddress": "admin", "password": "demo"},
])
def test_account_authenticate(sandbox, prefix, body):
    response = HTTP.post(f"{sandbox.base_url}{prefix}/api/account/authenticate", json=body)
    assert response.status_code == 200
    envelope = response.json()
    assert envelope == {"result": envelope["result"], "targetUrl": None, "success": True,
                        "error": None, "unAuthorizedRequest": False, "__abp": True}
    with api(sandbox, envelope["result"], base=sandbox.base_url) as client:
        assert client.get("/odata/Folders").status_code == 200


@pytest.mark.parametrize("body, details", [
    ({"tenancyName": "Default", "usernameOrEmailAddress": "admin", "password": "nope"},
     "Invalid username/email address or password"),
    ({"tenancyName": "Other", "usernameOrEmailAddress": "admin", "password": "demo"},
     "There is no tenant defined with name Other."),
])
def test_account_authenticate_failure(sandbox, body, details):
    response = HTTP.post(sandbox.base_url + "/api/Account/Authenticate", json=body)
    envelope = assert_error(response, 400, 1000)
    assert envelope["success"] is False and envelope["result"] is None
    assert envelope["__abp"] is True and envelope["unAuthorizedRequest"] is False
    assert envelope["error"]["details"] == details
    assert set(envelope["error"]) == {"code", "message", "details", "validationErrors"}


def test_account_authenticate_validation(sandbox):
    response = HTTP.post(sandbox.base_url + "/api/Account/Authenticate",
                          json={"tenancyName": "Default"})
    envelope = assert_error(response, 400, 1000, "Your request is not valid!")
    members = [e["members"] for e in envelope["error"]["validationErrors"]]
    assert members == [["usernameOrEmailAddress"], ["password"]]
    response = HTTP.post(sandbox.base_url + "/api/Account/Authenticate", content=b"{oops")
    assert_error(response, 400, 1000)


# ----------------------------------------------------------------------------- bearer tokens


def assert_not_authenticated(response):
    assert_error(response, 401, 0, "You are not authenticated!")
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"},
                                     {"Authorization": "Basic ZGVtbzpkZW1v"},
                                     {"Authorization": "Bearer"}])
def test_missing_or_unknown_token_is_401(sandbox, headers):
    assert_not_authenticated(HTTP.get(sandbox.orchestrator_url + "/odata/Folders",
                                       headers=headers))


def test_expired_token_is_401(sandbox):
    sandbox.tenant.set_token_lifetime(0.3)
    body = client_token(sandbox, "OR.Folders").json()
    assert body["expires_in"] == 1
    with api(sandbox, body["access_token"]) as client:
        assert client.get("/odata/Folders").status_code == 200
        time.sleep(0.4)
        response = client.get("/odata/Folders")
    assert_not_authenticated(response)
    assert "expired" in response.headers["www-authenticate"]


def test_expire_tokens_keeps_the_personal_access_token(sandbox):
    token = client_token(sandbox, "OR.Folders").json()["access_token"]
    sandbox.tenant.expire_tokens()
    with api(sandbox, token) as client:
        assert_not_authenticated(client.get("/odata/Folders"))
    with api(sandbox) as client:
        assert client.get("/odata/Folders").status_code == 200


def test_configured_token_lifetime():
    with Sandbox(SandboxConfig(token_lifetime=120)) as sandbox:
        assert client_token(sandbox, "OR.Jobs").json()["expires_in"] == 120


# ----------------------------------------------------------------------------- scopes

START = "/odata/Jobs/UiPath.Server.Configuration.OData.StartJobs"
ENDPOINTS = {
    "folders": ("GET", "/odata/Folders", "Folders"),
    "releases": ("GET", "/odata/Releases", "Execution"),
    "environments": ("GET", "/odata/Environments", "Robots"),
    "sessions": ("GET", "/odata/Sessions", "Robots"),
    "robots": ("GET", "/odata/Robots/UiPath.Server.Configuration.OData."
                      "GetRobotsFromFolder(folderId=2)", "Robots"),
    "jobs": ("GET", "/odata/Jobs", "Jobs"),
    "start": ("POST", START, "Jobs"),
    "stop": ("POST", "/odata/Jobs/UiPath.Server.Configuration.OData.StopJobs", "Jobs"),
    "user": ("GET", "/odata/Users/UiPath.Server.Configuration.OData.GetCurrentUser", "Users"),
}


@pytest.mark.parametrize("name, scope, allowed", [
    ("folders", "OR.Folders.Read", True),
    ("folders", "OR.Folders", True),
    ("folders", "OR.Folders.Write", False),
    ("releases", "OR.Execution.Read", True),
    ("releases", "OR.Jobs", False),
    ("environments", "OR.Robots.Read", True),
    ("sessions", "OR.Robots", True),
    ("robots", "OR.Robots.Read", True),
    ("robots", "OR.Machines.Read", False),
    ("jobs", "OR.Jobs.Read", True),
    ("jobs", "OR.Jobs.Write", False),
    ("start", "OR.Jobs.Write", True),
    ("start", "OR.Jobs.Read", False),
    ("stop", "OR.Jobs", True),
    ("user", "OR.Users.Read", True),
    ("user", "OR.Folders", False),
])
def test_scopes(sandbox, name, scope, allowed):
    method, path, resource = ENDPOINTS[name]
    token = client_token(sandbox, scope).json()["access_token"]
    with api(sandbox, token, folder="Shared/Support") as client:
        response = client.request(method, path, json={})
    if allowed:
        assert response.status_code != 403, response.text
    else:
        assert_error(response, 403, 0, f"'OR.{resource}' or 'OR.{resource}.")


def test_password_and_personal_tokens_reach_everything(sandbox):
    envelope = HTTP.post(sandbox.base_url + "/api/Account/Authenticate",
                          json={"usernameOrEmailAddress": "admin", "password": "demo"}).json()
    for token in (envelope["result"], DEMO.personal_access_token):
        with api(sandbox, token, folder="Shared/Support") as client:
            for method, path, _ in ENDPOINTS.values():
                assert client.request(method, path, json={}).status_code != 403


# ----------------------------------------------------------------------------- folders


def releases_in(sandbox, **headers) -> httpx.Response:
    return HTTP.get(sandbox.orchestrator_url + "/odata/Releases", headers={**PAT, **headers})


def encoded(path: str) -> str:
    return base64.b64encode(path.encode("utf-16-le")).decode("ascii")


def test_folder_header_is_required(sandbox):
    assert_error(releases_in(sandbox), 400, 1101, "A folder is required for this action.")
    assert_error(releases_in(sandbox, **{"X-UIPATH-FolderPath": ""}), 400, 1101)


@pytest.mark.parametrize("headers", [
    {"X-UIPATH-OrganizationUnitId": "99"},
    {"X-UIPATH-OrganizationUnitId": "Finance"},
    {"X-UIPATH-FolderKey": "00000000-0000-4000-8000-000000000000"},
    {"X-UIPATH-FolderPath": "Nowhere"},
    {"X-UIPATH-FolderPath": "Shared/Support/"},
    {"X-UIPATH-FolderPath-Encoded": "not base64!"},
    {"X-UIPATH-FolderPath-Encoded": encoded("Shared/Nowhere")},
])
def test_unknown_folder(sandbox, headers):
    assert_error(releases_in(sandbox, **headers), 400, 1100,
                 "Folder does not exist or the user does not have access to the folder.")


@pytest.mark.parametrize("headers", [
    {"X-UIPATH-OrganizationUnitId": "2"},
    {"X-UIPATH-FolderKey": "c7d2f0a8-51e4-4b8e-a0f3-9e8d7c6b5a42"},
    {"X-UIPATH-FolderKey": "C7D2F0A8-51E4-4B8E-A0F3-9E8D7C6B5A42"},
    {"X-UIPATH-FolderPath": "Shared/Support"},
    {"X-UIPATH-FolderPath": "/shared/support"},
    {"X-UIPATH-FolderPath-Encoded": encoded("Shared/Support")},
    # Several headers: the path wins over the key, the key over the id.
    {"X-UIPATH-FolderPath": "Shared/Support", "X-UIPATH-OrganizationUnitId": "3"},
    {"X-UIPATH-FolderKey": "c7d2f0a8-51e4-4b8e-a0f3-9e8d7c6b5a42",
     "X-UIPATH-OrganizationUnitId": "3"},
])
def test_folder_headers(sandbox, headers):
    response = releases_in(sandbox, **headers)
    assert response.status_code == 200, response.text
    assert [r["Name"] for r in response.json()["value"]] == ["PasswordReset"]


def test_encoded_folder_path_with_non_ascii_names(sandbox):
    parent = sandbox.tenant.add_folder("Finanças")
    child = sandbox.tenant.add_folder("Contas à pagar — 東京", parent_id=parent.id)
    sandbox.tenant.add_release(child.id, "Pagamentos", "Pagamentos")
    response = releases_in(sandbox, **{
        "X-UIPATH-FolderPath-Encoded": encoded("Finanças/Contas à pagar — 東京")})
    assert [r["Name"] for r in response.json()["value"]] == ["Pagamentos"]
    assert response.json()["value"][0]["OrganizationUnitFullyQualifiedName"] == (
        "Finanças/Contas à pagar — 東京")


# ----------------------------------------------------------------------------- wire shapes


def test_folders(sandbox):
    with api(sandbox) as client:
        body = client.get("/odata/Folders").json()
    assert list(body) == ["@odata.context", "@odata.count", "value"]
    assert body["@odata.count"] == 6
    folders = {f["Id"]: Folder.from_api(f) for f in body["value"]}
    assert {i: f.fully_qualified_name for i, f in folders.items()} == {
        1: "Shared", 2: "Shared/Support", 3: "Finance", 4: "Default", 8: "Workshop",
        9: "Operations"}
    assert [f.is_classic for f in folders.values()] == [False, False, False, True, False,
                                                        False]
    assert folders[2].parent_id == 1 and folders[2].display_name == "Support"
    support = body["value"][1]
    assert support["ProvisionType"] == "Automatic" and support["PermissionModel"] == "FineGrained"
    assert support["ParentKey"] == folders[1].key
    assert len({f.key for f in folders.values()}) == 6
    with api(sandbox) as client:
        one = client.get("/odata/Folders(4)").json()
        assert one["@odata.context"].endswith("/odata/$metadata#Folders/$entity")
        assert (one["ProvisionType"], one["PermissionModel"]) == ("Manual", "InheritFromTenant")
        assert_error(client.get("/odata/Folders(42)"), 404, 1002)


def test_classic_releases(sandbox):
    with api(sandbox, folder="Default") as client:
        body = client.get("/odata/Releases").json()
    assert body["@odata.context"] == sandbox.orchestrator_url + "/odata/$metadata#Releases"
    releases = {r["Name"]: r for r in body["value"]}
    assert list(releases) == ["SupportTriage_QuickstartDemo", "SupportTriage_Production",
                              "CleanupTempFiles_QuickstartDemo", "ReportGenerator_QuickstartDemo",
                              "NightlyBatch_Overnight"]
    triage = releases["SupportTriage_QuickstartDemo"]
    assert "Environment" not in triage
    assert triage["Key"] == "99587436-4ce5-480d-988c-6d7f43787a2c"
    assert (triage["ProcessKey"], triage["ProcessVersion"], triage["IsLatestVersion"]) == (
        "SupportTriage", "1.0.1", True)
    assert (triage["EnvironmentId"], triage["EnvironmentName"]) == (11, "QuickstartDemo")
    assert triage["Description"] == "Triage a support incident and route it to the right queue"
    assert triage["InputArguments"] is None
    inputs = json.loads(triage["Arguments"]["Input"])
    assert inputs == [{"name": "IncidentId", "type": "System.String, mscorlib, Version=4.0.0.0, "
                       "Culture=neutral, PublicKeyToken=b77a5c561934e089", "required": True,
                       "hasDefault": False}]
    assert [o["name"] for o in json.loads(triage["Arguments"]["Output"])] == [
        "TriageResult", "AssignedQueue"]
    production = releases["SupportTriage_Production"]
    assert (production["ProcessVersion"], production["IsLatestVersion"],
            production["EnvironmentName"]) == ("1.0.0", False, "Production")
    assert releases["CleanupTempFiles_QuickstartDemo"]["Arguments"] == {"Input": None,
                                                                        "Output": None}
    report = Release.from_api(releases["ReportGenerator_QuickstartDemo"])
    assert json.loads(report.input_arguments) == {"Region": "EMEA", "IncludeArchived": False}
    assert [a["name"] for a in json.loads(report.arguments_input)] == [
        "Region", "IncludeArchived", "ReportDate"]
    assert report.organization_unit_id == 4 and report.job_priority == "Normal"


def test_modern_releases(sandbox):
    with api(sandbox, folder="Finance") as client:
        releases = [Release.from_api(r) for r in client.get("/odata/Releases").json()["value"]]
    assert [r.name for r in releases] == ["InvoiceIntake", "ArgumentShowcase"]
    assert all(r.environment_id is None and r.environment_name is None for r in releases)
    showcase = releases[1].arguments_input
    assert showcase.startswith("[\r\n  {\r\n    \"name\": \"Text\"")
    names = [a["name"] for a in json.loads(showcase)]
    assert names == ["Text", "Letter", "Count", "BigCount", "SmallByte", "ShortNumber",
                     "Unsigned", "Amount", "Ratio", "Weight", "Approved", "DueDate", "DueOffset",
                     "Timeout", "Tags", "Scores", "Names", "Settings", "Rows", "Payload",
                     "MaybeCount", "Custom"]
    assert "System.Private.CoreLib, Version=8.0.0.0" in showcase and "mscorlib" in showcase


def test_single_release(sandbox):
    with api(sandbox, folder="Default") as client:
        body = client.get("/odata/Releases(1)", params={"$select": "Name,Key"}).json()
        assert body == {"@odata.context": sandbox.orchestrator_url
                        + "/odata/$metadata#Releases(Key,Name)/$entity",
                        "Key": "99587436-4ce5-480d-988c-6d7f43787a2c",
                        "Name": "SupportTriage_QuickstartDemo"}
        assert_error(client.get("/odata/Releases(5)"), 404, 1002)  # HelloWorld is in Shared
        assert_error(client.get("/odata/Releases(999)"), 404, 1002)


def test_release_expand_environment(sandbox):
    with api(sandbox, folder="Default") as client:
        body = client.get("/odata/Releases", params={
            "$filter": "Name eq 'SupportTriage_Production'",
            "$expand": "Environment($expand=Robots)"}).json()
    environment = body["value"][0]["Environment"]
    assert [r["Name"] for r in environment["Robots"]] == ["PROD-BOT-01", "PROD-BOT-02"]


def test_environments(sandbox):
    with api(sandbox, folder="Default") as client:
        plain = client.get("/odata/Environments").json()
        expanded = client.get("/odata/Environments", params={
            "$expand": "Robots", "$filter": "Name eq 'QuickstartDemo'"}).json()
    assert [(e["Id"], e["Name"]) for e in plain["value"]] == [
        (11, "QuickstartDemo"), (12, "Production"), (15, "Overnight")]
    assert all("Robots" not in e for e in plain["value"])
    assert expanded["@odata.context"].endswith("#Environments(Robots())")
    environment = Environment.from_api(expanded["value"][0])
    assert [(r.id, r.name, r.machine_name) for r in environment.robots] == [
        (101, "SUPPORT-BOT-01", "SUPPORT-VM-01"), (102, "SUPPORT-BOT-02", "SUPPORT-VM-02"),
        (103, "SUPPORT-BOT-03", "SUPPORT-VM-03")]
    with api(sandbox, folder="Shared/Support") as client:
        assert client.get("/odata/Environments").json()["value"] == []


@pytest.mark.parametrize("folder_id, robots", [
    (2, [(301, "svc-support-01", "SUPPORT-HOST-A"), (302, "svc-support-02", "SUPPORT-HOST-B")]),
    (3, [(401, "fin-bot-01", "FIN-HOST-A"), (402, "fin-bot-02", "FIN-HOST-B")]),
    (1, []),
    (4, [(101, "SUPPORT-BOT-01", "SUPPORT-VM-01"), (102, "SUPPORT-BOT-02", "SUPPORT-VM-02"),
         (103, "SUPPORT-BOT-03", "SUPPORT-VM-03"), (201, "PROD-BOT-01", "PROD-VM-01"),
         (202, "PROD-BOT-02", "PROD-VM-02"), (104, "NIGHT-BOT-01", "NIGHT-VM-01")]),
])
def test_robots_from_folder(sandbox, folder_id, robots):
    path = ("/odata/Robots/UiPath.Server.Configuration.OData."
            f"GetRobotsFromFolder(folderId={folder_id})")
    with api(sandbox, folder="Shared") as client:
        body = client.get(path).json()
    parsed = [Robot.from_api(r) for r in body["value"]]
    assert [(r.id, r.name, r.machine_name) for r in parsed] == robots
    assert all(r["UserType"] == "Robot" and r["Type"] == "Unattended" for r in body["value"])


def test_robots_from_unknown_folder(sandbox):
    path = "/odata/Robots/UiPath.Server.Configuration.OData.GetRobotsFromFolder(folderId=77)"
    with api(sandbox, folder="Shared") as client:
        assert_error(client.get(path), 400, 1100)


def test_sessions(sandbox):
    with api(sandbox, folder="Default") as client:
        body = client.get("/odata/Sessions").json()
    states = {s["Robot"]["Id"]: (s["Robot"]["Name"], s["State"], s["MachineName"],
                                 s["HostMachineName"]) for s in body["value"]}
    assert states == {
        101: ("SUPPORT-BOT-01", "Available", "SUPPORT-VM-01", "SUPPORT-VM-01"),
        102: ("SUPPORT-BOT-02", "Busy", "SUPPORT-VM-02", "SUPPORT-VM-02"),
        103: ("SUPPORT-BOT-03", "Disconnected", "SUPPORT-VM-03", "SUPPORT-VM-03"),
        201: ("PROD-BOT-01", "Available", "PROD-VM-01", "PROD-VM-01"),
        202: ("PROD-BOT-02", "Available", "PROD-VM-02", "PROD-VM-02"),
        104: ("NIGHT-BOT-01", "Busy", "NIGHT-VM-01", "NIGHT-VM-01"),
    }
    disconnected = next(s for s in body["value"] if s["State"] == "Disconnected")
    assert disconnected["IsUnresponsive"] is True and disconnected["OrganizationUnitId"] == 4
    with api(sandbox, folder="Finance") as client:
        body = client.get("/odata/Sessions", params={"$filter": "State eq 'Available'"}).json()
    assert [s["Robot"]["Name"] for s in body["value"]] == ["fin-bot-01"]


def test_current_user(sandbox):
    with api(sandbox) as client:
        user = client.get("/odata/Users/UiPath.Server.Configuration.OData.GetCurrentUser").json()
    assert (user["UserName"], user["TenancyName"], user["Type"]) == ("admin", "Default", "User")
    token = client_token(sandbox, "OR.Users.Read").json()["access_token"]
    with api(sandbox, token) as client:
        user = client.get("/odata/Users/UiPath.Server.Configuration.OData.GetCurrentUser").json()
    assert (user["UserName"], user["Type"]) == ("demo-client", "DirectoryExternalApplication")


# ----------------------------------------------------------------------------- OData over HTTP


def test_count_is_before_paging_and_select_changes_the_context(sandbox):
    with api(sandbox, folder="Default") as client:
        body = client.get("/odata/Releases", params={
            "$top": "2", "$skip": "1", "$orderby": "Name desc", "$select": "Id,Name",
            "$count": "true"}).json()
    assert body["@odata.count"] == 5
    assert body["value"] == [{"Name": "SupportTriage_Production", "Id": 2},
                             {"Name": "ReportGenerator_QuickstartDemo", "Id": 4}]
    assert body["@odata.context"].endswith("#Releases(Id,Name)")


@pytest.mark.parametrize("params, message", [
    ({"$filter": "Foo eq 1"}, "Could not find a property named 'Foo' on type "
                              "'UiPath.Server.Configuration.OData.ReleaseDto'."),
    ({"$filter": "Name eq"}, "Expression expected"),
    ({"$filter": "Name eq 'x"}, "unterminated string literal"),
    ({"$top": "1001"}, "The limit of '1000' for Top query has been exceeded"),
    ({"$expand": "Environment($expand=Nope)"}, "property named 'Nope'"),
    ({"$orderby": "Id,Id,Id,Id,Id,Id"}, "maximum number of $orderby clauses allowed is 5"),
])
def test_odata_errors(sandbox, params, message):
    with api(sandbox, folder="Default") as client:
        assert_error(client.get("/odata/Releases", params=params), 400, 1000, message)


@pytest.mark.parametrize("name", ["O'Brien & Sons", "100% #1 ?x=y", "Zoë+Ünïcode 東京",
                                  "a;b,c(d)"])
def test_hostile_literals_over_http(sandbox, name):
    sandbox.tenant.add_release(1, name, "Hostile")
    quoted = name.replace("'", "''")
    with api(sandbox, folder="Shared") as client:
        body = client.get("/odata/Releases", params={"$filter": f"Name eq '{quoted}'"}).json()
    assert [r["Name"] for r in body["value"]] == [name]


def test_plus_in_the_raw_query_is_a_space(sandbox):
    url = sandbox.orchestrator_url + "/odata/Releases?$filter=Name+eq+'HelloWorld'&$select=Name"
    response = HTTP.get(url, headers={**PAT, "X-UIPATH-FolderPath": "Shared"})
    assert response.json()["value"] == [{"Name": "HelloWorld"}]


# ----------------------------------------------------------------------------- HTTP behaviour


def read_response(sock: socket.socket) -> tuple:
    """(status line, headers, body) of one response, using its Content-Length."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(4096)
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(headers["content-length"])
    while len(rest) < length:
        rest += sock.recv(4096)
    return lines[0], headers, rest[:length]


def test_keep_alive_with_content_length(sandbox):
    port = int(sandbox.base_url.rsplit(":", 1)[1])
    request = (b"GET /odata/Folders HTTP/1.1\r\nHost: localhost\r\n"
               b"Authorization: Bearer demo-pat\r\n\r\n")
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        for _ in range(3):
            sock.sendall(request)
            status, headers, body = read_response(sock)
            assert status == "HTTP/1.1 200 OK"
            assert json.loads(body)["@odata.count"] == 6
            assert headers["content-type"].startswith("application/json")
        stop = (b"POST /odata/Jobs/UiPath.Server.Configuration.OData.StopJobs HTTP/1.1\r\n"
                b"Host: localhost\r\nAuthorization: Bearer demo-pat\r\n"
                b"X-UIPATH-FolderPath: Default\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n"
                b"1b\r\n{\"jobIds\":[],\"strategy\":1}\r\n0\r\n\r\n")
        sock.sendall(stop)
        status, headers, body = read_response(sock)
        assert status.startswith("HTTP/1.1 400")  # read as a body: the job list is empty
        sock.sendall(request)
        assert read_response(sock)[0] == "HTTP/1.1 200 OK"


def test_stop_closes_open_connections():
    sandbox = Sandbox().start()
    client = api(sandbox)
    assert client.get("/odata/Folders").status_code == 200
    sandbox.stop()
    with pytest.raises(httpx.TransportError):
        client.get("/odata/Folders")
    client.close()
    sandbox.stop()  # stopping twice is harmless


def test_request_log(sandbox):
    sandbox.clear_log()
    with api(sandbox, folder="Shared") as client:
        client.get("/odata/Releases(5)", params={"$select": "Name", "$filter": "x eq 'a b'"})
        client.get("/odata/Jobs(123)")
        client.post(START, json={"startInfo": {"ReleaseName": "HelloWorld"}})
    client_token(sandbox, "OR.Jobs")
    log = sandbox.request_log
    assert [entry.route for entry in log] == [
        "GET /odata/Releases({id})", "GET /odata/Jobs({id})",
        "POST /odata/Jobs/UiPath.Server.Configuration.OData.StartJobs",
        "POST /identity/connect/token"]
    first = log[0]
    assert first.method == "GET" and first.status == 400
    assert first.path == "/odata/Releases(5)"
    assert first.query == {"$select": "Name", "$filter": "x eq 'a b'"}
    assert first.headers["x-uipath-folderpath"] == "Shared" and first.body is None
    assert log[1].status == 404 and log[2].status == 409
    assert json.loads(log[2].body) == {"startInfo": {"ReleaseName": "HelloWorld"}}
    assert sandbox.count("GET /odata/") == 2
    assert sandbox.count("POST") == 2
    sandbox.clear_log()
    assert sandbox.request_log == [] and sandbox.count("") == 0


def test_models_parse_jobs(sandbox):
    with api(sandbox, folder="Shared/Support") as client:
        job = client.post(START, json={"startInfo": {"ReleaseName": "PasswordReset"}}).json()
    parsed = Job.from_api(job["value"][0])
    assert parsed.state == "Pending" and parsed.release_name == "PasswordReset"
