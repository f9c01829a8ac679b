"""StartJobs refusals a real tenant gives, with their codes and messages, over loopback."""

from __future__ import annotations

import time

import httpx
import pytest

from tui_app.sandbox import DEMO
from tui_app.sandbox.startjobs import (
    FOREGROUND_CODE,
    NO_RUNTIME_CODE,
    PENDING_LIMIT_CODE,
    ROBOT_IDS_CODE,
    START_FIELDS,
)

START = "/odata/Jobs/UiPath.Server.Configuration.OData.StartJobs"
UNKNOWN_ROBOT = "Couldn't find the specified unattended user/robot in the current folder."
TRIAGE = "SupportTriage_QuickstartDemo"


@pytest.fixture
def start(sandbox):
    clients = {}

    def post(folder: str, **start_info) -> httpx.Response:
        if folder not in clients:
            # 10,000 jobs in one answer take a while on a loaded CI machine.
            clients[folder] = httpx.Client(base_url=sandbox.orchestrator_url, verify=False,
                                           timeout=60,
                                           headers={"Authorization":
                                                    f"Bearer {DEMO.personal_access_token}",
                                                    "X-UIPATH-FolderPath": folder})
        return clients[folder].post(START, json={"startInfo": start_info})

    yield post
    for client in clients.values():
        client.close()


def refused(response: httpx.Response, status: int, code: int, message: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert (body["errorCode"], body["message"]) == (code, message)


@pytest.mark.parametrize("robot_id", [802, 803], ids=["attended", "no-credentials"])
def test_robots_that_cannot_run_unattended_jobs_are_refused(sandbox, start, robot_id):
    refused(start("Workshop", ReleaseName="FormFiller", Strategy="ModernJobsCount",
                  JobsCount=1, RobotIds=[robot_id]), 409, ROBOT_IDS_CODE, UNKNOWN_ROBOT)
    assert sandbox.tenant.jobs == {}


def test_robots_that_cannot_run_unattended_jobs_are_never_picked(sandbox, start):
    response = start("Workshop", ReleaseName="FormFiller", JobsCount=3)
    assert response.status_code == 201
    assert {job.candidates for job in sandbox.tenant.jobs.values()} == {(801,)}


def test_a_folder_with_only_attended_robots_is_refused(sandbox, start):
    sandbox.tenant.remove_robot(801)
    sandbox.tenant.remove_robot(803)
    refused(start("Workshop", ReleaseName="FormFiller"), 409, ROBOT_IDS_CODE,
            "Couldn't find any user with unattended robot permissions in the current folder.")


@pytest.mark.parametrize("runtime", ["Headless", "Serverless", "headless", 13])
def test_a_foreground_process_on_a_background_runtime_is_refused(sandbox, start, runtime):
    response = start("Workshop", ReleaseName="FormFiller", RuntimeType=runtime)
    assert response.status_code == 400 and response.json()["errorCode"] == FOREGROUND_CODE
    assert "requires user interaction" in response.json()["message"]
    assert sandbox.tenant.jobs == {}


def test_a_background_process_may_use_the_headless_runtime(start):
    response = start("Workshop", ReleaseName="MonthEndClose", RuntimeType="Headless")
    assert response.status_code == 201, response.text
    assert start("Workshop", ReleaseName="FormFiller").status_code == 201


@pytest.mark.parametrize("folder, release, runtime, text", [
    ("Finance", "InvoiceIntake", "NonProduction", "Unattended or NonProduction"),
    ("Shared/Support", "PasswordReset", "TestAutomation", "TestAutomation"),
    ("Workshop", "MonthEndClose", "Development", "Development"),
])
def test_no_runtime_of_the_type_in_the_folder(sandbox, start, folder, release, runtime, text):
    refused(start(folder, ReleaseName=release, RuntimeType=runtime), 409, NO_RUNTIME_CODE,
            f"Could not find a machine with {text} runtimes in the current folder")
    assert sandbox.tenant.jobs == {}


def test_a_runtime_without_a_connected_host_is_accepted_and_pending(sandbox, start):
    sandbox.tenant.set_robot_state(401, "Disconnected")
    response = start("Finance", ReleaseName="InvoiceIntake")
    assert response.status_code == 201
    time.sleep(0.4)
    job = sandbox.tenant.jobs[response.json()["value"][0]["Id"]]
    assert job.state == "Pending"


def test_the_pending_job_limit(sandbox, start):
    first = start("Default", ReleaseName=TRIAGE, Strategy="Specific", RobotIds=[103])
    assert first.status_code == 201
    body = {"ReleaseName": TRIAGE, "Strategy": "Specific", "RobotIds": [101, 103]}
    refused(start("Default", **body), 409, PENDING_LIMIT_CODE,
            "The robots already have pending jobs for this Process")
    # Another process, or a count strategy, may still queue on that robot.
    assert start("Default", ReleaseName="CleanupTempFiles_QuickstartDemo", Strategy="Specific",
                 RobotIds=[103]).status_code == 201
    assert start("Default", ReleaseName=TRIAGE, Strategy="JobsCount",
                 JobsCount=2).status_code == 201
    time.sleep(0.3)  # past the dispatch latency
    sandbox.tenant.set_robot_state(103, "Available")  # the pending job starts
    assert start("Default", **body).status_code == 201


def test_unknown_start_info_fields_are_named(start):
    response = start("Finance", ReleaseName="InvoiceIntake", Priority="High")
    refused(response, 400, 1000,
            "The property 'Priority' does not exist on type "
            "'UiPath.Server.Configuration.OData.StartProcessDto'. Make sure to only use property "
            "names that are defined by the type.")


def test_every_v20_field_is_accepted_in_any_case(start):
    info = {name.lower() if index % 2 else name.upper(): None
            for index, name in enumerate(START_FIELDS)}
    info["releasename"] = "InvoiceIntake"
    response = start("Finance", **info)
    assert response.status_code == 201, response.text


def test_ten_thousand_jobs_in_one_request(start):
    response = start("Finance", ReleaseName="InvoiceIntake", Strategy="ModernJobsCount",
                     JobsCount=10_000)
    assert response.status_code == 201
    assert len(response.json()["value"]) == 10_000


@pytest.mark.parametrize("info, message", [
    ({"JobPriority": "High", "SpecificPriorityValue": 50},
     "Cannot set a specific priority value when a standard job priority setting is selected."),
    ({"InputArguments": "{}", "InputFile": "0f8fad5b-d9cb-469f-a165-70867728950e"},
     "A job cannot have both input file and input arguments."),
])
def test_documented_invalid_argument_messages(start, info, message):
    refused(start("Finance", ReleaseName="InvoiceIntake", **info), 400, 1000, message)
