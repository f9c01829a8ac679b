"""ValidateDynamicJob and ValidateExistingJob against the sandbox's state, over loopback."""

from __future__ import annotations

import time

import httpx
import pytest

from tui_app.sandbox import DEMO

START = "/odata/Jobs/UiPath.Server.Configuration.OData.StartJobs"
DYNAMIC = "/odata/Jobs/UiPath.Server.Configuration.OData.ValidateDynamicJob"
EXISTING = "/odata/Jobs({})/UiPath.Server.Configuration.OData.ValidateExistingJob"
TRIAGE = "SupportTriage_QuickstartDemo"
#: ``JobPendingReasons`` of spec v20.
PENDING_REASONS = frozenset({
    "RobotNotAssignedToFolder",
    "RobotNotFound",
    "RobotNoCredentials",
    "RobotBusy",
    "RobotConcurrencyLimit",
    "RobotNoMatchingUsernames",
    "RobotVersionTooLow",
    "TemplateNoRuntime",
    "TemplateNoHostsAvailable",
    "TemplateNoLicense",
    "TemplateFullCapacity",
    "TemplateNotAssignedToFolder",
    "TemplateMaintenanceMode",
    "DynamicJobAccountCredentialsInvalid",
    "DynamicJobForegroundAutomationTypeInvalid",
    "DynamicJobBackgroundAutomationTypeInvalid",
    "DynamicJobWindowsTargetFrameworkInvalid",
    "DynamicJobCrossPlatformTargetFrameworkInvalid",
    "DynamicJobConnectedMachinesInvalid",
    "DynamicJobConnectedMachinesUserCredentialsInvalid",
    "DynamicJobConnectedMachinesCrossPlatformRobotVersionInvalid",
    "DynamicJobConnectedMachinesWindowsRobotVersionInvalid",
})


@pytest.fixture
def client(sandbox):
    clients = {}

    def make(folder: str) -> httpx.Client:
        if folder not in clients:
            clients[folder] = httpx.Client(base_url=sandbox.orchestrator_url, verify=False,
                                           headers={"Authorization":
                                                    f"Bearer {DEMO.personal_access_token}",
                                                    "X-UIPATH-FolderPath": folder})
        return clients[folder]

    yield make
    for made in clients.values():
        made.close()


def check(client, folder: str, **info) -> dict:
    response = client(folder).post(DYNAMIC, json={"startInfo": info})
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["@odata.context", "IsValid", "Errors", "ErrorCodes"]
    assert body["@odata.context"].endswith(
        "/odata/$metadata#UiPath.Server.Configuration.OData.ValidationResultDto")
    assert len(body["Errors"]) == len(body["ErrorCodes"])
    assert set(body["ErrorCodes"]) <= PENDING_REASONS
    assert body["IsValid"] == (not body["ErrorCodes"])
    return body


def codes(client, folder: str, **info) -> list:
    return check(client, folder, **info)["ErrorCodes"]


def test_a_start_that_would_run_is_valid_and_nothing_starts(sandbox, client):
    assert check(client, "Finance", ReleaseName="InvoiceIntake") == {
        "@odata.context": sandbox.orchestrator_url
        + "/odata/$metadata#UiPath.Server.Configuration.OData.ValidationResultDto",
        "IsValid": True, "Errors": [], "ErrorCodes": []}
    codes(client, "Default", ReleaseName="NightlyBatch_Overnight", Strategy="All")
    assert sandbox.tenant.jobs == {}


@pytest.mark.parametrize("folder, info, expected, sentence", [
    ("Default", {"ReleaseName": "NightlyBatch_Overnight", "Strategy": "JobsCount",
                 "JobsCount": 1}, ["RobotBusy"], "NIGHT-BOT-01 is busy with other jobs."),
    ("Default", {"ReleaseName": TRIAGE, "Strategy": "Specific", "RobotIds": [999]},
     ["RobotNotFound"], "There is no robot with id 999."),
    ("Workshop", {"ReleaseName": "FormFiller", "RobotIds": [802]}, ["RobotNotFound"],
     "ada.lovelace is an attended robot"),
    ("Default", {"ReleaseName": TRIAGE, "Strategy": "Specific", "RobotIds": [201]},
     ["RobotNotAssignedToFolder"], "PROD-BOT-01 is not assigned to environment "
                                   "'QuickstartDemo'."),
    ("Finance", {"ReleaseName": "InvoiceIntake", "RobotIds": [301]},
     ["RobotNotAssignedToFolder"], "svc-support-01 is not assigned to folder 'Finance'."),
    ("Workshop", {"ReleaseName": "FormFiller", "RobotIds": [803]}, ["RobotNoCredentials"],
     "ws-bot-nocreds has no unattended credentials"),
    ("Workshop", {"ReleaseName": "FormFiller", "RuntimeType": "Headless"},
     ["DynamicJobForegroundAutomationTypeInvalid"], "FormFiller is a foreground process"),
    ("Finance", {"ReleaseName": "InvoiceIntake", "RuntimeType": "NonProduction"},
     ["TemplateNoRuntime"], "No machine in folder 'Finance' has NonProduction runtimes."),
    ("Finance", {"ReleaseName": "InvoiceIntake", "RobotIds": [402]},
     ["TemplateNoHostsAvailable", "DynamicJobConnectedMachinesInvalid"],
     "No host is available on the machine template assigned for this job."),
    ("Default", {"ReleaseName": TRIAGE, "Strategy": "Specific", "RobotIds": [103]},
     ["DynamicJobConnectedMachinesInvalid"], "SUPPORT-BOT-03 disconnected"),
    ("Shared/Support", {"ReleaseName": "PasswordReset", "RobotIds": [302]},
     ["RobotBusy", "TemplateFullCapacity"], "svc-support-02 is busy with other jobs."),
    ("Shared", {"ReleaseName": "HelloWorld"}, ["RobotNotFound"],
     "No robot that can run unattended jobs is assigned to folder 'Shared'."),
])
def test_reasons(client, folder, info, expected, sentence):
    body = check(client, folder, **info)
    assert body["ErrorCodes"] == expected
    assert any(sentence in error for error in body["Errors"]), body["Errors"]


def test_several_reasons_at_once(client):
    assert codes(client, "Workshop", ReleaseName="FormFiller", RuntimeType="Serverless",
                 RobotIds=[802, 803, 801]) == [
        "RobotNotFound", "RobotNoCredentials", "DynamicJobForegroundAutomationTypeInvalid",
        "TemplateNoRuntime"]


def test_reasons_follow_the_state(sandbox, client):
    info = {"ReleaseName": "PasswordReset", "RobotIds": [301]}
    assert codes(client, "Shared/Support", **info) == []
    sandbox.tenant.job_running_seconds = 30
    client("Shared/Support").post(START, json={"startInfo": info})
    time.sleep(0.4)  # the job takes svc-support-01
    assert codes(client, "Shared/Support", **info) == ["RobotBusy", "TemplateFullCapacity"]


@pytest.mark.parametrize("info, status, message", [
    ({"ReleaseName": "InvoiceIntake", "Colour": "blue"}, 400, "The property 'Colour'"),
    ({"ReleaseName": "InvoiceIntake", "JobPriority": "Low", "SpecificPriorityValue": 5}, 400,
     "Cannot set a specific priority value"),
    ({"ReleaseName": "NoSuchProcess"}, 404, "does not exist"),
    ({"ReleaseName": "InvoiceIntake", "Strategy": "All"}, 400, "only available in classic"),
])
def test_request_shape_errors_answer_like_start_jobs(client, info, status, message):
    response = client("Finance").post(DYNAMIC, json={"startInfo": info})
    assert response.status_code == status and message in response.json()["message"]


def existing(client, folder: str, job_id: int) -> dict:
    response = client(folder).post(EXISTING.format(job_id))
    assert response.status_code == 200, response.text
    return response.json()


def test_existing_job_reasons_are_a_snapshot_from_dispatch(sandbox, client):
    job = client("Default").post(START, json={"startInfo": {
        "ReleaseName": "NightlyBatch_Overnight", "Strategy": "All"}}).json()["value"][0]
    time.sleep(0.3)  # past the dispatch latency: waiting for its robot
    body = existing(client, "Default", job["Id"])
    assert (body["IsValid"], body["ErrorCodes"]) == (False, ["RobotBusy"])
    assert body["Errors"] == ["NIGHT-BOT-01 is busy with other jobs."]
    sandbox.tenant.set_robot_state(104, "Disconnected")  # not re-evaluated
    assert existing(client, "Default", job["Id"])["ErrorCodes"] == ["RobotBusy"]
    sandbox.tenant.set_robot_state(104, "Available")  # it starts: no longer Pending
    assert existing(client, "Default", job["Id"]) == {
        "@odata.context": body["@odata.context"], "IsValid": True, "Errors": [],
        "ErrorCodes": []}


def test_existing_jobs_of_one_start_share_out_the_free_robots(client):
    jobs = client("Default").post(START, json={"startInfo": {
        "ReleaseName": "SupportTriage_Production", "Strategy": "JobsCount",
        "JobsCount": 3}}).json()["value"]
    assert [existing(client, "Default", job["Id"])["ErrorCodes"] for job in jobs] == [
        [], [], ["RobotBusy"]]


def test_existing_job_without_a_host_says_so_in_info(client):
    job = client("Finance").post(START, json={"startInfo": {
        "ReleaseName": "InvoiceIntake", "RobotIds": [402]}}).json()["value"][0]
    assert existing(client, "Finance", job["Id"])["ErrorCodes"] == [
        "TemplateNoHostsAvailable", "DynamicJobConnectedMachinesInvalid"]
    read = client("Finance").get(f"/odata/Jobs({job['Id']})").json()
    assert (read["State"], read["Info"]) == (
        "Pending", "No host is available on the machine template assigned for this job")


def test_existing_job_errors(client):
    job = client("Finance").post(START, json={"startInfo": {
        "ReleaseName": "InvoiceIntake"}}).json()["value"][0]
    assert client("Default").post(EXISTING.format(job["Id"])).status_code == 404
    assert client("Finance").post(EXISTING.format(99)).json()["errorCode"] == 1002
