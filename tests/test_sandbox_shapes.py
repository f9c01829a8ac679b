"""The sandbox's two URL shapes (cloud v20 / standalone v18), the read endpoints other clients
call, bound operations with and without ``()``, and the body checks a real server makes."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from tui_app.orchestrator import ClientCredentialsAuth, FolderContext, OrchestratorClient
from tui_app.sandbox import DEMO
from tui_app.sandbox.config import is_demo_url

PAT = {"Authorization": f"Bearer {DEMO.personal_access_token}"}
HTTP = httpx.Client(verify=False)
OP = "UiPath.Server.Configuration.OData."
DEFAULT_KEY = "e4f5a6b7-c8d9-4e0f-a1b2-c3d4e5f6a744"  # the classic folder "Default" (id 4)


def get(url, folder=None, **params) -> httpx.Response:
    headers = dict(PAT)
    if folder is not None:
        headers["X-UIPATH-FolderPath"] = folder
    return HTTP.get(url, headers=headers, params=params)


def assert_error(response, status, code):
    assert response.status_code == status, response.text
    assert response.json()["errorCode"] == code
    return response.json()["message"]


def shapes(sandbox) -> dict:
    return {"standalone": sandbox.orchestrator_url, "cloud": sandbox.cloud_url}


# ----------------------------------------------------------------------------- URL shapes


def test_cloud_lists_modern_folders_only(sandbox):
    cloud = get(sandbox.cloud_url + "/odata/Folders").json()
    assert [f["FullyQualifiedName"] for f in cloud["value"]] == ["Shared", "Shared/Support",
                                                                "Finance", "Workshop",
                                                                "Operations"]
    assert cloud["@odata.count"] == 5
    standalone = get(sandbox.orchestrator_url + "/odata/Folders").json()
    assert [f["Id"] for f in standalone["value"]] == [1, 2, 3, 4, 8, 9]
    assert_error(get(sandbox.cloud_url + "/odata/Folders(4)"), 404, 1002)
    assert get(sandbox.orchestrator_url + "/odata/Folders(4)").status_code == 200


@pytest.mark.parametrize("headers", [
    {"X-UIPATH-FolderPath": "Default"},
    {"X-UIPATH-OrganizationUnitId": "4"},
    {"X-UIPATH-FolderKey": DEFAULT_KEY},
    {"X-UIPATH-FolderPath-Encoded": base64.b64encode("Default".encode("utf-16-le")).decode()},
])
def test_cloud_refuses_classic_folder_headers_as_unknown(sandbox, headers):
    url = "/odata/Releases"
    cloud = HTTP.get(sandbox.cloud_url + url, headers={**PAT, **headers})
    assert "does not exist" in assert_error(cloud, 400, 1100)
    standalone = HTTP.get(sandbox.orchestrator_url + url, headers={**PAT, **headers})
    assert standalone.status_code == 200 and standalone.json()["@odata.count"] == 5


def test_cloud_knows_no_classic_folder_in_paths(sandbox):
    path = f"/odata/Robots/{OP}GetRobotsFromFolder(folderId=4)"
    assert_error(get(sandbox.cloud_url + path, folder="Shared"), 400, 1100)
    assert get(sandbox.orchestrator_url + path, folder="Shared").json()["@odata.count"] == 6


@pytest.mark.parametrize("path", [
    "/odata/Environments",
    f"/odata/Environments/{OP}GetRobotsForEnvironment(key=11)",
    f"/odata/Environments/{OP}GetRobotIdsForEnvironment(key=11)",
])
def test_environments_are_standalone_only(sandbox, path):
    assert "No HTTP resource" in assert_error(get(sandbox.cloud_url + path, folder="Finance"),
                                              404, 0)
    assert get(sandbox.orchestrator_url + path, folder="Default").status_code == 200


def test_account_authenticate_is_standalone_only(sandbox):
    body = {"usernameOrEmailAddress": DEMO.username, "password": DEMO.password}
    cloud = HTTP.post(sandbox.cloud_url + "/api/Account/Authenticate", json=body)
    assert cloud.status_code == 404
    standalone = HTTP.post(sandbox.orchestrator_url + "/api/Account/Authenticate", json=body)
    assert standalone.json()["success"] is True


@pytest.mark.parametrize("shape", ["standalone", "cloud"])
async def test_client_credentials_on_both_shapes(sandbox, shape):
    """The client derives each shape's identity URL and signs in there."""
    url = shapes(sandbox)[shape]
    sandbox.clear_log()
    async with OrchestratorClient(url, ClientCredentialsAuth(DEMO.client_id,
                                                             DEMO.client_secret)) as client:
        folders = await client.list_folders()
    assert len(folders) == (6 if shape == "standalone" else 5)
    token_route = {"standalone": "POST /identity/connect/token",
                   "cloud": "POST /identity_/connect/token"}[shape]
    assert sandbox.count(token_route) == 1


async def test_demo_settings_sign_in_on_the_standalone_shape(sandbox):
    """``--demo`` walks the seed's classic flow: Default → environments → robots."""
    from tui_app.cli import demo_settings

    settings = demo_settings(sandbox)
    assert settings.url == sandbox.orchestrator_url == sandbox.base_url
    auth = ClientCredentialsAuth(settings.client_id, settings.client_secret)
    async with OrchestratorClient(settings.url, auth,
                                  folder=FolderContext(id=4, path="Default")) as client:
        environment = await client.environment_robots("QuickstartDemo")
    assert [r.name for r in environment.robots] == ["SUPPORT-BOT-01", "SUPPORT-BOT-02",
                                                    "SUPPORT-BOT-03"]


def test_processes_follow_the_api_version_of_the_shape(sandbox):
    """``PackageType`` is v20-only: it tells that the handler knew the shape."""
    standalone = get(sandbox.orchestrator_url + "/odata/Processes").json()["value"]
    cloud = get(sandbox.cloud_url + "/odata/Processes").json()["value"]
    assert all("PackageType" not in p for p in standalone)
    assert all(p["PackageType"] == "Process" for p in cloud)


@pytest.mark.parametrize("url, demo", [
    ("http://127.0.0.1:43210", True),
    ("http://127.0.0.1:43210/", True),
    ("http://localhost:8765", True),
    ("http://[::1]:8765/demo/DefaultTenant/orchestrator_", True),
    ("http://127.0.0.1:43210/demo/DefaultTenant/orchestrator_/", True),
    ("http://127.0.0.1:43210/DEMO/defaulttenant/orchestrator_", True),
    ("http://127.0.0.1:43210/acme/DefaultTenant/orchestrator_", False),
    ("http://127.0.0.1:43210/odata", False),
    ("https://cloud.uipath.com/demo/DefaultTenant/orchestrator_", False),
    ("https://orchestrator.corp.local", False),
    ("", False),
    ("http://[::1", False),
])
def test_is_demo_url_knows_both_shapes(url, demo):
    assert is_demo_url(url) is demo


@pytest.mark.parametrize("saved", ["http://127.0.0.1:9", "http://127.0.0.1:9/demo/"
                                   "DefaultTenant/orchestrator_"])
def test_a_demo_draft_of_either_shape_resumes_on_the_standalone_demo(sandbox, saved):
    """Drafts of older demos hold the cloud URL (folder "Default" is classic): they resume on
    this demo's standalone URL, where "Default" exists."""
    from tui_app.cli import demo_settings
    from tui_app.drafts import Draft, save_draft
    from tui_app.wizard.session import WizardSession

    save_draft(Draft(url=saved, folder_path="Default", process_key="SupportTriage"))
    session = WizardSession(demo_settings(sandbox), demo=True)
    draft = session.draft_to_offer()
    assert draft is not None and draft.url == sandbox.orchestrator_url
    assert draft.folder_path == "Default"


def test_is_demo_url_of_the_running_sandbox(sandbox):
    assert is_demo_url(sandbox.orchestrator_url) and is_demo_url(sandbox.cloud_url)


def test_banner_lists_both_shapes(sandbox):
    from tui_app.sandbox.server import _banner

    text = _banner(sandbox)
    assert f"Orchestrator URL (standalone):  {sandbox.orchestrator_url}\n" in text
    assert f"Orchestrator URL (cloud):       {sandbox.cloud_url}\n" in text
    assert sandbox.identity_url in text and sandbox.cloud_identity_url in text


# ----------------------------------------------------------------------------- bound operations


@pytest.mark.parametrize("shape", ["standalone", "cloud"])
@pytest.mark.parametrize("suffix", ["", "()"])
def test_bound_operations_with_and_without_parentheses(sandbox, shape, suffix):
    base = shapes(sandbox)[shape] + "/odata/"
    sandbox.clear_log()
    user = get(f"{base}Users/{OP}GetCurrentUser{suffix}")
    assert user.json()["UserName"] == "admin"
    headers = {**PAT, "X-UIPATH-FolderPath": "Shared/Support"}
    started = HTTP.post(f"{base}Jobs/{OP}StartJobs{suffix}", headers=headers,
                        json={"startInfo": {"ReleaseName": "PasswordReset",
                                            "InputArguments": '{"UserEmail": "a@b.c"}'}})
    assert started.status_code == 201, started.text
    job_id = started.json()["value"][0]["Id"]
    stopped = HTTP.post(f"{base}Jobs({job_id})/{OP}StopJob{suffix}", headers=headers,
                        json={"strategy": "Kill"})
    assert stopped.status_code == 200
    stopped = HTTP.post(f"{base}Jobs/{OP}StopJobs{suffix}", headers=headers,
                        json={"jobIds": [job_id], "strategy": 2})
    assert stopped.status_code == 200
    assert [entry.route.rsplit(".", 1)[-1] for entry in sandbox.request_log] == [
        "GetCurrentUser", "StartJobs", "StopJob", "StopJobs"]


@pytest.mark.parametrize("path", [
    "/odata/Folders()", f"/odata/Users/{OP}GetCurrentUser(())", f"/odata/Users/{OP}()",
    f"/odata/Users/{OP}GetCurrentUser()()",
])
def test_only_an_operation_may_drop_its_empty_parentheses(sandbox, path):
    assert get(sandbox.orchestrator_url + path).status_code == 404


def test_wrong_method_with_parentheses_is_405(sandbox):
    response = get(f"{sandbox.orchestrator_url}/odata/Jobs/{OP}StartJobs()", folder="Finance")
    assert response.status_code == 405 and response.headers["allow"] == "POST"


# ----------------------------------------------------------------------------- request bodies


START = f"/odata/Jobs/{OP}StartJobs"
BODY = json.dumps({"startInfo": {"ReleaseName": "HelloWorld"}}).encode()


def start(sandbox, content_type, body=BODY) -> httpx.Response:
    headers = {**PAT, "X-UIPATH-FolderPath": "Shared/Support"}
    if content_type is not None:
        headers["Content-Type"] = content_type
    return HTTP.post(sandbox.orchestrator_url + START, headers=headers, content=body)


@pytest.mark.parametrize("content_type, shown", [
    ("text/plain", "text/plain"),
    ("application/x-www-form-urlencoded", "application/x-www-form-urlencoded"),
    ("application/jsonp", "application/jsonp"),
    (None, "application/octet-stream"),
])
def test_a_json_body_with_another_content_type_is_415(sandbox, content_type, shown):
    message = assert_error(start(sandbox, content_type), 415, 0)
    assert message == (f"The request entity's media type '{shown}' is not supported for this "
                       "resource.")
    assert sandbox.tenant.jobs == {}


@pytest.mark.parametrize("content_type", [
    "application/json", "application/json; charset=utf-8", "Application/JSON;charset=UTF-8",
    "application/json;odata.metadata=minimal;odata.streaming=true",
])
def test_json_content_types_with_parameters_are_accepted(sandbox, content_type):
    # HelloWorld is in "Shared", not in "Shared/Support": the body was read (404 of the release
    # or 409, not 415).
    response = start(sandbox, content_type)
    assert response.status_code not in (400, 415), response.text


@pytest.mark.parametrize("body", [b"{oops", b"startInfo=1", b"\xff\xfe{}"])
def test_a_body_that_is_not_json_is_400(sandbox, body):
    assert "not valid JSON" in assert_error(start(sandbox, "application/json", body), 400, 1000)


def test_an_empty_body_is_checked_by_the_endpoint_not_the_media_type(sandbox):
    response = HTTP.post(f"{sandbox.orchestrator_url}/odata/Jobs(1)/{OP}StopJob",
                         headers={**PAT, "X-UIPATH-FolderPath": "Finance"})
    assert response.status_code != 415


def test_the_token_comes_before_the_media_type(sandbox):
    response = HTTP.post(sandbox.orchestrator_url + START, content=BODY,
                         headers={"Content-Type": "text/plain", "X-UIPATH-FolderPath": "Finance"})
    assert response.status_code == 401


# ----------------------------------------------------------------------------- /odata/Robots


def names(response) -> list:
    assert response.status_code == 200, response.text
    return [r["Name"] for r in response.json()["value"]]


def test_robots_of_the_tenant_and_of_a_folder(sandbox):
    classic = ["SUPPORT-BOT-01", "SUPPORT-BOT-02", "SUPPORT-BOT-03", "PROD-BOT-01", "PROD-BOT-02",
               "NIGHT-BOT-01"]
    modern = ["svc-support-01", "svc-support-02", "fin-bot-01", "fin-bot-02", "ws-bot-01",
              "ada.lovelace", "ws-bot-nocreds", "sap-bot-01", "sap-bot-02", "sap-bot-03",
              "ops-bot-01"]
    assert names(get(sandbox.orchestrator_url + "/odata/Robots")) == classic + modern
    assert names(get(sandbox.cloud_url + "/odata/Robots")) == modern
    assert names(get(sandbox.orchestrator_url + "/odata/Robots", "Default")) == classic
    assert names(get(sandbox.cloud_url + "/odata/Robots", "Finance")) == ["fin-bot-01",
                                                                         "fin-bot-02"]
    assert names(get(sandbox.cloud_url + "/odata/Robots", "Shared")) == []


def test_robots_are_robot_dtos_with_odata_options(sandbox):
    response = get(sandbox.orchestrator_url + "/odata/Robots", "Default", **{
        "$filter": "startswith(Name,'PROD')", "$select": "Id,Name,Type", "$count": "true",
        "$expand": "Environments($select=Name)", "$orderby": "Id desc"})
    body = response.json()
    assert body["@odata.context"].endswith("/odata/$metadata#Robots(Id,Name,Type,"
                                           "Environments(Name))")
    assert body["@odata.count"] == 2
    assert body["value"] == [
        {"Name": "PROD-BOT-02", "Type": "Unattended", "Id": 202,
         "Environments": [{"Name": "Production"}]},
        {"Name": "PROD-BOT-01", "Type": "Unattended", "Id": 201,
         "Environments": [{"Name": "Production"}]}]
    full = get(sandbox.cloud_url + "/odata/Robots", "Finance").json()["value"][0]
    assert "Environments" not in full and full["ExecutionSettings"] is None
    assert list(full)[:3] == ["LicenseKey", "MachineName", "MachineId"]
    assert full["RobotEnvironments"] == "" and full["UserId"] == 2401
    bad = get(sandbox.orchestrator_url + "/odata/Robots", **{"$filter": "Nope eq 1"})
    assert "'UiPath.Server.Configuration.OData.RobotDto'" in assert_error(bad, 400, 1000)


def test_robots_need_the_robots_scope(sandbox):
    token = HTTP.post(sandbox.identity_url, data={
        "grant_type": "client_credentials", "client_id": DEMO.client_id,
        "client_secret": DEMO.client_secret, "scope": "OR.Jobs"}).json()["access_token"]
    for path in ("/odata/Robots", "/odata/Processes"):
        response = HTTP.get(sandbox.orchestrator_url + path,
                            headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 403


# ----------------------------------------------------------------------------- environments


def test_robots_for_environment_puts_its_own_first(sandbox):
    base = f"{sandbox.orchestrator_url}/odata/Environments/{OP}"
    production = get(base + "GetRobotsForEnvironment(key=12)", "Default")
    assert names(production) == ["PROD-BOT-01", "PROD-BOT-02", "SUPPORT-BOT-01",
                                 "SUPPORT-BOT-02", "SUPPORT-BOT-03", "NIGHT-BOT-01"]
    assert production.json()["value"][0]["RobotEnvironments"] == "Production"
    ordered = get(base + "GetRobotsForEnvironment(key=12)", "Default",
                  **{"$orderby": "Name", "$top": "2", "$count": "true"})
    assert names(ordered) == ["NIGHT-BOT-01", "PROD-BOT-01"]
    assert ordered.json()["@odata.count"] == 6


def test_robot_ids_for_environment(sandbox):
    base = f"{sandbox.orchestrator_url}/odata/Environments/{OP}"
    body = get(base + "GetRobotIdsForEnvironment(key=11)", "Default").json()
    assert body == {"@odata.context": f"{sandbox.orchestrator_url}/odata/$metadata#"
                                      "Collection(Edm.Int64)", "value": [101, 102, 103]}


@pytest.mark.parametrize("operation", ["GetRobotsForEnvironment", "GetRobotIdsForEnvironment"])
def test_unknown_environment(sandbox, operation):
    base = f"{sandbox.orchestrator_url}/odata/Environments/{OP}{operation}"
    assert_error(get(base + "(key=99)", "Default"), 404, 1002)
    sandbox.tenant.add_folder("Other", classic=True, folder_id=9)
    assert_error(get(base + "(key=11)", "Other"), 404, 1002)  # an environment of "Default"
    assert_error(get(base + "(key=11)"), 400, 1101)


# ----------------------------------------------------------------------------- /odata/Processes


def test_processes_are_the_packages_of_the_releases(sandbox):
    body = get(sandbox.orchestrator_url + "/odata/Processes").json()
    assert body["@odata.context"].endswith("/odata/$metadata#Processes")
    processes = {p["Id"]: p for p in body["value"]}
    assert list(processes) == ["ArgumentShowcase", "AuditExport", "CleanupTempFiles",
                               "FormFiller", "HelloWorld", "InvoiceIntake", "LegacyErpSync",
                               "MonthEndClose", "NightlyBatch", "OpsReportSuite",
                               "PasswordReset", "ReportGenerator", "SapInvoicePosting",
                               "SupportTriage", "UrgentPayments"]
    triage = processes["SupportTriage"]  # releases of 1.0.1 and 1.0.0: the newest
    assert (triage["Title"], triage["Version"], triage["Key"], triage["IsLatestVersion"]) == (
        "SupportTriage", "1.0.1", "SupportTriage:1.0.1", True)
    release = get(sandbox.orchestrator_url + "/odata/Releases(1)", "Default").json()
    assert triage["Arguments"] == release["Arguments"]
    assert triage["TargetFramework"] == release["TargetFramework"] == "Legacy"
    assert triage["MainEntryPointPath"] == "Main.xaml" and triage["ResourceTags"] == []
    assert "EntryPoints" not in triage
    cloud = [p["Id"] for p in get(sandbox.cloud_url + "/odata/Processes").json()["value"]]
    assert cloud == ["ArgumentShowcase", "AuditExport", "FormFiller", "HelloWorld",
                     "InvoiceIntake", "LegacyErpSync", "MonthEndClose", "OpsReportSuite",
                     "PasswordReset", "SapInvoicePosting", "UrgentPayments"]


def test_processes_with_odata_options(sandbox):
    body = get(sandbox.cloud_url + "/odata/Processes", **{
        "$filter": "Title eq 'InvoiceIntake'", "$expand": "EntryPoints",
        "$select": "Key,Version"}).json()
    [process] = body["value"]
    assert (process["Key"], process["Version"]) == ("InvoiceIntake:3.0.2", "3.0.2")
    [entry_point] = process["EntryPoints"]
    assert entry_point["Path"] == "Main.xaml"
    assert [a["name"] for a in json.loads(entry_point["InputArguments"])] == [
        "InvoiceNumber", "Amount", "Currency"]
