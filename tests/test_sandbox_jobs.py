"""StartJobs validation, the official SDK's requests, job life, stopping and job queries."""

from __future__ import annotations

import base64
import json
import time

import httpx
import pytest

from tui_app.orchestrator.models import Job
from tui_app.sandbox import DEMO
from tui_app.sandbox.startjobs import ROBOT_IDS_CODE

START = "/odata/Jobs/UiPath.Server.Configuration.OData.StartJobs"
STOP = "/odata/Jobs/UiPath.Server.Configuration.OData.StopJobs"
GET_BY_KEY = "/odata/Jobs/UiPath.Server.Configuration.OData.GetByKey(identifier={})"
TRIAGE_KEY = "99587436-4ce5-480d-988c-6d7f43787a2c"
#: One client for one-off requests; ``verify=False`` skips building a TLS context (plain HTTP).
HTTP = httpx.Client(verify=False)


@pytest.fixture
def orchestrator(sandbox):
    """Client factory: ``orchestrator(folder)`` signed in with the personal access token."""
    clients = []

    def make(folder: str) -> httpx.Client:
        client = httpx.Client(base_url=sandbox.orchestrator_url, verify=False, headers={
            "Authorization": f"Bearer {DEMO.personal_access_token}",
            "X-UIPATH-FolderPath": folder})
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def start(client: httpx.Client, **start_info) -> httpx.Response:
    return client.post(START, json={"startInfo": start_info})


def assert_refused(response, status, code, message):
    assert response.status_code == status, response.text
    body = response.json()
    assert body["errorCode"] == code
    assert message in body["message"]
    assert body["traceId"].startswith("00-")


def wait_for(client: httpx.Client, job_id: int, states: set, timeout: float = 3.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(f"/odata/Jobs({job_id})", params={"$expand": "Robot"}).json()
        if job["State"] in states or time.monotonic() > deadline:
            return job
        time.sleep(0.05)


# ----------------------------------------------------------------------------- starting


def test_start_response_shape(sandbox, orchestrator):
    client = orchestrator("Default")
    response = start(client, ReleaseKey=TRIAGE_KEY, Strategy="JobsCount", JobsCount=3,
                     InputArguments='{"IncidentId":"INC-1"}', Reference="ticket-42")
    assert response.status_code == 201
    body = response.json()
    assert list(body) == ["@odata.context", "value"]
    assert body["@odata.context"] == sandbox.orchestrator_url + "/odata/$metadata#Jobs"
    jobs = body["value"]
    assert len(jobs) == 3
    assert {j["State"] for j in jobs} == {"Pending"}
    assert len({j["BatchExecutionKey"] for j in jobs}) == 1
    assert len({j["Key"] for j in jobs}) == 3
    first = jobs[0]
    assert first["StartTime"] is None and first["EndTime"] is None
    assert first["HostMachineName"] is None and "Robot" not in first
    assert (first["ReleaseName"], first["InputArguments"], first["Reference"]) == (
        "SupportTriage_QuickstartDemo", '{"IncidentId":"INC-1"}', "ticket-42")
    assert (first["OrganizationUnitId"], first["OrganizationUnitFullyQualifiedName"]) == (
        4, "Default")
    assert (first["Source"], first["Type"], first["RuntimeType"], first["JobPriority"]) == (
        "Manual", "Unattended", "Unattended", "Normal")
    assert first["CreationTime"].endswith("Z")
    parsed = Job.from_api(first)
    assert parsed.state == "Pending" and parsed.reference == "ticket-42"


def test_body_binds_case_insensitively_and_enums_by_number(orchestrator):
    response = orchestrator("Default").post(START, json={"StartInfo": {
        "releasekey": TRIAGE_KEY, "STRATEGY": 1, "robotIds": [101], "jobPriority": "2",
        "runtimeType": 0, "source": "assistant", "inputArguments": "{}"}})
    assert response.status_code == 201, response.text
    job = response.json()["value"][0]
    assert (job["JobPriority"], job["RuntimeType"], job["Source"]) == (
        "High", "NonProduction", "Assistant")


@pytest.mark.parametrize("strategy", ["Specific", "specific", 1, "1"])
def test_specific_strategy_names_and_numbers(orchestrator, strategy):
    response = start(orchestrator("Default"), releaseKey=TRIAGE_KEY, strategy=strategy,
                     robotIds=[102, 101, 102])
    assert response.status_code == 201, response.text
    assert len(response.json()["value"]) == 2


def test_all_strategy_makes_one_job_per_environment_robot(orchestrator):
    response = start(orchestrator("Default"), ReleaseName="SupportTriage_Production",
                     Strategy="All", InputArguments='{"IncidentId":"INC-2"}')
    assert response.status_code == 201
    assert len(response.json()["value"]) == 2


def test_robot_count_strategy(orchestrator):
    response = start(orchestrator("Default"), ReleaseKey=TRIAGE_KEY, Strategy="RobotCount",
                     NoOfRobots=2)
    assert response.status_code == 201 and len(response.json()["value"]) == 2


def test_modern_jobs_count_with_robot_ids(sandbox, orchestrator):
    client = orchestrator("Shared/Support")
    response = start(client, ReleaseName="PasswordReset", Strategy="ModernJobsCount",
                     JobsCount=2, RobotIds=[302], RuntimeType="NonProduction",
                     InputArguments='{"UserEmail":"ada@example.com"}')
    assert response.status_code == 201
    jobs = response.json()["value"]
    assert [j["RuntimeType"] for j in jobs] == ["NonProduction", "NonProduction"]
    # svc-support-02 is Busy with other work: the jobs wait until it is free.
    assert wait_for(client, jobs[0]["Id"], {"Running"}, timeout=0.5)["State"] == "Pending"
    sandbox.tenant.set_robot_state(302, "Available")
    job = wait_for(client, jobs[0]["Id"], {"Running", "Successful"})
    assert job["Robot"]["Id"] == 302 and job["HostMachineName"] == "SUPPORT-HOST-B"


@pytest.mark.parametrize("start_info, status, code, message", [
    # Request shape and field validation.
    ({}, 400, 1000, "ReleaseKey or ReleaseName is required"),
    ({"ReleaseKey": TRIAGE_KEY, "Strategy": "Sideways"}, 400, 1000,
     'The value "Sideways" is not valid for Strategy'),
    ({"ReleaseKey": TRIAGE_KEY, "Strategy": 9}, 400, 1000, "not valid for Strategy"),
    ({"ReleaseKey": TRIAGE_KEY, "Strategy": "All", "RuntimeType": "Robotic"}, 400, 1000,
     "not valid for RuntimeType"),
    ({"ReleaseKey": TRIAGE_KEY, "Strategy": "All", "Source": "Telepathy"}, 400, 1000,
     "not valid for Source"),
    ({"ReleaseKey": TRIAGE_KEY, "Strategy": "JobsCount", "JobsCount": "three"}, 400, 1000,
     "expected an integer"),
    ({"ReleaseKey": TRIAGE_KEY, "Strategy": "Specific", "RobotIds": 101}, 400, 1000,
     "RobotIds must be an array"),
    # InputArguments.
    ({"ReleaseKey": TRIAGE_KEY, "Strategy": "All", "InputArguments": {"IncidentId": "x"}},
     400, 1000, "must be a string containing a JSON object"),
    ({"ReleaseKey": TRIAGE_KEY, "Strategy": "All", "InputArguments": ["x"]}, 400, 1000,
     "not a JSON array"),
    ({"ReleaseKey": TRIAGE_KEY, "Strategy": "All", "InputArguments": "{oops"}, 400, 1000,
     "InputArguments is not valid JSON"),
    ({"ReleaseKey": TRIAGE_KEY, "Strategy": "All", "InputArguments": "[1, 2]"}, 400, 1000,
     "must be a JSON object"),
    ({"ReleaseKey": TRIAGE_KEY, "Strategy": "All",
      "InputArguments": json.dumps({"IncidentId": "x" * 10_000})}, 400, 1000,
     "maximum length of 10,000"),
    ({"ReleaseKey": TRIAGE_KEY, "Strategy": "All", "InputArguments": "{}",
      "InputFile": "0f8fad5b-d9cb-469f-a165-70867728950e"}, 400, 1000,
     "A job cannot have both input file and input arguments."),
    ({"ReleaseKey": TRIAGE_KEY, "Strategy": "All",
      "InputFile": "0f8fad5b-d9cb-469f-a165-70867728950e"}, 404, 1002, "does not exist"),
    # Priority and reference.
    ({"ReleaseKey": TRIAGE_KEY, "Strategy": "All", "JobPriority": "High",
      "SpecificPriorityValue": 50}, 400, 1000,
     "Cannot set a specific priority value when a standard job priority setting is selected."),
    ({"ReleaseKey": TRIAGE_KEY, "Strategy": "All", "SpecificPriorityValue": 101}, 400, 1000,
     "between 1 and 100"),
    ({"ReleaseKey": TRIAGE_KEY, "Strategy": "All", "Reference": "r" * 129}, 400, 1000,
     "maximum length of 128"),
    # Release lookup.
    ({"ReleaseKey": "00000000-0000-4000-8000-000000000000", "Strategy": "All"}, 404, 1002,
     "does not exist in folder 'Default'"),
    ({"ReleaseName": "NoSuchProcess", "Strategy": "All"}, 404, 1002, "name 'NoSuchProcess'"),
    ({"ReleaseName": "HelloWorld", "Strategy": "All"}, 404, 1002, "does not exist"),
    # Classic strategies.
    ({"ReleaseKey": TRIAGE_KEY}, 400, 1000, "Strategy is required for a process in a classic"),
    ({"ReleaseKey": TRIAGE_KEY, "Strategy": "ModernJobsCount", "JobsCount": 1}, 400, 1000,
     "only available in modern folders"),
    ({"ReleaseKey": TRIAGE_KEY, "Strategy": "Specific"}, 400, 1000,
     "RobotIds must name at least one robot"),
    ({"ReleaseKey": TRIAGE_KEY, "Strategy": "Specific", "RobotIds": []}, 400, 1000,
     "RobotIds must name at least one robot"),
    ({"ReleaseKey": TRIAGE_KEY, "Strategy": "Specific", "RobotIds": [101, 201]}, 409,
     ROBOT_IDS_CODE, "Couldn't find the specified unattended user/robot in the current folder."),
    ({"ReleaseKey": TRIAGE_KEY, "Strategy": "JobsCount"}, 400, 1000,
     "JobsCount must be greater than 0"),
    ({"ReleaseKey": TRIAGE_KEY, "Strategy": "JobsCount", "JobsCount": 0}, 400, 1000,
     "JobsCount must be greater than 0"),
    ({"ReleaseKey": TRIAGE_KEY, "Strategy": "JobsCount", "JobsCount": 10_001}, 400, 1000,
     "JobsCount must be at most 10,000."),
    ({"ReleaseKey": TRIAGE_KEY, "Strategy": "RobotCount", "NoOfRobots": 0}, 400, 1000,
     "NoOfRobots must be greater than 0"),
])
def test_classic_folder_validation(orchestrator, start_info, status, code, message):
    assert_refused(start(orchestrator("Default"), **start_info), status, code, message)


@pytest.mark.parametrize("folder, start_info, status, code, message", [
    ("Shared/Support", {"ReleaseName": "PasswordReset", "Strategy": "Specific",
                        "RobotIds": [301]}, 400, 1000, "only available in classic folders"),
    ("Shared/Support", {"ReleaseName": "PasswordReset", "Strategy": "JobsCount",
                        "JobsCount": 1}, 400, 1000, "use ModernJobsCount"),
    ("Shared/Support", {"ReleaseName": "PasswordReset", "Strategy": "ModernJobsCount"}, 400,
     1000, "JobsCount must be greater than 0"),
    ("Shared/Support", {"ReleaseName": "PasswordReset", "Strategy": "ModernJobsCount",
                        "JobsCount": 1, "RobotIds": [401]}, 409, ROBOT_IDS_CODE,
     "Couldn't find the specified unattended user/robot in the current folder."),
    ("Shared/Support", {"ReleaseName": "PasswordReset", "Strategy": "ModernJobsCount",
                        "JobsCount": 1, "RuntimeType": "Robot"}, 400, 1000,
     "not valid for RuntimeType"),
    ("Shared", {"ReleaseName": "HelloWorld"}, 409, ROBOT_IDS_CODE,
     "Couldn't find any user with unattended robot permissions in the current folder."),
])
def test_modern_folder_validation(orchestrator, folder, start_info, status, code, message):
    assert_refused(start(orchestrator(folder), **start_info), status, code, message)


@pytest.mark.parametrize("body", [None, [], {"startInfo": None}, {"startInfo": "x"}, {}])
def test_body_must_hold_a_start_info_object(orchestrator, body):
    response = orchestrator("Default").post(START, json=body)
    assert_refused(response, 400, 1000, "startInfo is required")


def test_malformed_json_body(orchestrator):
    response = orchestrator("Default").post(START, content=b"{not json",
                                            headers={"Content-Type": "application/json"})
    assert_refused(response, 400, 1000, "not valid JSON")


def test_input_arguments_at_the_limit_are_accepted(orchestrator):
    text = json.dumps({"IncidentId": "x" * (10_000 - len('{"IncidentId": ""}'))})
    assert len(text) == 10_000
    response = start(orchestrator("Default"), ReleaseKey=TRIAGE_KEY, Strategy="Specific",
                     RobotIds=[101], InputArguments=text)
    assert response.status_code == 201


def test_missing_strategy_in_a_modern_folder_starts_one_job(orchestrator):
    client = orchestrator("Finance")
    response = start(client, ReleaseName="InvoiceIntake")
    assert response.status_code == 201 and len(response.json()["value"]) == 1
    response = start(client, ReleaseName="InvoiceIntake", JobsCount=2)
    assert len(response.json()["value"]) == 2


def test_batch_execution_key_may_be_given(orchestrator):
    key = "0F8FAD5B-D9CB-469F-A165-70867728950E"
    response = start(orchestrator("Finance"), ReleaseName="InvoiceIntake",
                     BatchExecutionKey=key)
    assert response.json()["value"][0]["BatchExecutionKey"] == key.lower()
    assert_refused(start(orchestrator("Finance"), ReleaseName="InvoiceIntake",
                         BatchExecutionKey="nope"), 400, 1000, "is not a GUID")


def test_priorities(orchestrator):
    client = orchestrator("Finance")
    high = start(client, ReleaseName="InvoiceIntake", JobPriority="high").json()["value"][0]
    assert high["JobPriority"] == "High" and high["SpecificPriorityValue"] is None
    specific = start(client, ReleaseName="InvoiceIntake", SpecificPriorityValue=77).json()
    assert specific["value"][0]["SpecificPriorityValue"] == 77


# ----------------------------------------------------------------------------- the official SDK


def test_official_sdk_start_and_get_by_key(sandbox):
    """The requests uipath-python sends: ReleaseName, no Strategy, folder path header."""
    token = HTTP.post(sandbox.identity_url, data={
        "grant_type": "client_credentials", "client_id": DEMO.client_id,
        "client_secret": DEMO.client_secret, "scope": "OR.Execution"}).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}", "x-uipath-folderpath": "Shared/Support"}
    # The SDK defaults to the OR.Execution scope, which does not cover jobs.
    response = HTTP.post(sandbox.orchestrator_url + START, headers=headers, json={
        "startInfo": {"ReleaseName": "PasswordReset",
                      "InputArguments": json.dumps({"UserEmail": "ada@example.com"}),
                      "Source": "AgentService"}})
    assert response.status_code == 403
    token = HTTP.post(sandbox.identity_url, data={
        "grant_type": "client_credentials", "client_id": DEMO.client_id,
        "client_secret": DEMO.client_secret, "scope": "OR.Execution OR.Jobs"}).json()
    headers["Authorization"] = f"Bearer {token['access_token']}"
    response = HTTP.post(sandbox.orchestrator_url + START, headers=headers, json={
        "startInfo": {"ReleaseName": "PasswordReset",
                      "InputArguments": json.dumps({"UserEmail": "ada@example.com"}),
                      "Source": "AgentService"}})
    assert response.status_code == 201
    jobs = response.json()["value"]
    assert len(jobs) == 1
    job = jobs[0]
    assert (job["Source"], job["SourceType"]) == ("AgentService", "AgentService")
    for identifier in (job["Key"], f"'{job['Key']}'", job["Key"].upper()):
        found = HTTP.get(sandbox.orchestrator_url + GET_BY_KEY.format(identifier),
                          headers=headers)
        assert found.status_code == 200
        assert found.json()["Id"] == job["Id"]
        assert found.json()["@odata.context"].endswith("#Jobs/$entity")
    missing = HTTP.get(sandbox.orchestrator_url
                        + GET_BY_KEY.format("0f8fad5b-d9cb-469f-a165-70867728950e"),
                        headers=headers)
    assert_refused(missing, 404, 1002, "does not exist")


def test_sdk_encoded_folder_path(orchestrator, sandbox):
    headers = {"Authorization": f"Bearer {DEMO.personal_access_token}",
               "x-uipath-folderpath-encoded":
                   base64.b64encode("Finance".encode("utf-16-le")).decode()}
    response = HTTP.post(sandbox.orchestrator_url + START, headers=headers,
                          json={"startInfo": {"ReleaseName": "InvoiceIntake",
                                              "InputArguments": "{}"}})
    assert response.status_code == 201


# ----------------------------------------------------------------------------- job life


def test_job_runs_and_succeeds(sandbox, orchestrator):
    client = orchestrator("Default")
    job = start(client, ReleaseKey=TRIAGE_KEY, Strategy="Specific", RobotIds=[101],
                InputArguments='{"IncidentId":"INC-7"}').json()["value"][0]
    running = wait_for(client, job["Id"], {"Running"})
    assert running["State"] == "Running"
    assert running["StartTime"] and running["EndTime"] is None
    assert running["Robot"]["Name"] == "SUPPORT-BOT-01"
    assert running["HostMachineName"] == "SUPPORT-VM-01"
    sessions = orchestrator("Default").get("/odata/Sessions").json()["value"]
    assert next(s["State"] for s in sessions if s["Robot"]["Id"] == 101) == "Busy"
    done = wait_for(client, job["Id"], {"Successful", "Faulted"})
    assert done["State"] == "Successful"
    assert done["Info"] == "Job completed"
    assert done["EndTime"] > done["StartTime"] > done["CreationTime"]
    assert json.loads(done["OutputArguments"]) == {
        "TriageResult": f"Done by job {job['Id']}", "AssignedQueue": f"Done by job {job['Id']}"}
    parsed = Job.from_api(done)
    assert parsed.is_final and parsed.robot_name == "SUPPORT-BOT-01"


@pytest.mark.parametrize("arguments, culprit", [
    ({"IncidentId": "FAIL-1"}, "IncidentId=FAIL-1"),
    ({"IncidentId": "fail please"}, "IncidentId=fail please"),
])
def test_job_faults_on_fail_input(orchestrator, arguments, culprit):
    client = orchestrator("Default")
    job = start(client, ReleaseKey=TRIAGE_KEY, Strategy="Specific", RobotIds=[101],
                InputArguments=json.dumps(arguments)).json()["value"][0]
    done = wait_for(client, job["Id"], {"Successful", "Faulted"})
    assert done["State"] == "Faulted"
    assert done["Info"].startswith(
        f"Execution error : System.Exception: Demo failure requested by input {culprit}\r\n"
        "   at ")
    assert done["OutputArguments"] is None and done["EndTime"]


def test_process_defaults_count_for_failure(sandbox, orchestrator):
    sandbox.tenant.update_release(4, input_arguments='{"Region":"FAIL-EMEA"}')
    client = orchestrator("Default")
    defaults = start(client, ReleaseName="ReportGenerator_QuickstartDemo",
                     Strategy="All").json()["value"][0]
    overridden = start(client, ReleaseName="ReportGenerator_QuickstartDemo", Strategy="All",
                       InputArguments='{"Region":"APAC"}').json()["value"][0]
    assert wait_for(client, defaults["Id"], {"Successful", "Faulted"})["State"] == "Faulted"
    assert wait_for(client, overridden["Id"], {"Successful", "Faulted"})["State"] == "Successful"


def test_jobs_count_prefers_available_robots(sandbox, orchestrator):
    client = orchestrator("Default")
    jobs = start(client, ReleaseKey=TRIAGE_KEY, Strategy="JobsCount", JobsCount=2).json()
    for job in jobs["value"]:
        assert wait_for(client, job["Id"], {"Running"})["Robot"]["Id"] == 101  # the only one
    client = orchestrator("Default")
    jobs = start(client, ReleaseName="SupportTriage_Production", Strategy="JobsCount",
                 JobsCount=4).json()["value"]
    robots = [wait_for(client, j["Id"], {"Running"})["Robot"]["Id"] for j in jobs]
    assert sorted(robots) == [201, 201, 202, 202]
    sandbox.tenant.set_robot_state(101, "Disconnected")
    jobs = start(orchestrator("Default"), ReleaseKey=TRIAGE_KEY, Strategy="JobsCount",
                 JobsCount=3).json()["value"]
    # Nothing Available: the jobs wait (they used to run on Busy and Disconnected robots).
    assert wait_for(client, jobs[0]["Id"], {"Running"}, timeout=0.5)["State"] == "Pending"
    for robot_id in (101, 102, 103):
        sandbox.tenant.set_robot_state(robot_id, "Available")
    robots = {wait_for(client, j["Id"], {"Running"})["Robot"]["Id"] for j in jobs}
    assert robots == {101, 102, 103}


def test_soft_stop_of_a_running_job(sandbox, orchestrator):
    sandbox.tenant.job_running_seconds = 5  # still running when it honours the stop
    client = orchestrator("Default")
    job = start(client, ReleaseKey=TRIAGE_KEY, Strategy="Specific",
                RobotIds=[101]).json()["value"][0]
    wait_for(client, job["Id"], {"Running"})
    response = client.post(STOP, json={"jobIds": [job["Id"]], "strategy": "SoftStop"})
    assert response.status_code == 200 and response.content == b""
    assert response.headers["content-length"] == "0"
    stopping = client.get(f"/odata/Jobs({job['Id']})").json()
    assert (stopping["State"], stopping["StopStrategy"]) == ("Stopping", "SoftStop")
    done = wait_for(client, job["Id"], {"Stopped"})
    assert done["State"] == "Stopped" and done["EndTime"] and done["StartTime"]


def test_kill_one_job_and_kill_overrides_soft_stop(orchestrator):
    client = orchestrator("Default")
    jobs = start(client, ReleaseName="SupportTriage_Production",
                 Strategy="All").json()["value"]
    wait_for(client, jobs[0]["Id"], {"Running"})
    stop_one = f"/odata/Jobs({jobs[0]['Id']})/UiPath.Server.Configuration.OData.StopJob"
    assert client.post(stop_one, json={"strategy": "2"}).status_code == 200
    assert client.get(f"/odata/Jobs({jobs[0]['Id']})").json()["State"] == "Terminating"
    client.post(STOP, json={"jobIds": [jobs[1]["Id"]], "strategy": 1})
    assert client.get(f"/odata/Jobs({jobs[1]['Id']})").json()["State"] == "Stopping"
    client.post(STOP, json={"JobIds": [str(jobs[1]["Id"])], "Strategy": "kill"})
    assert client.get(f"/odata/Jobs({jobs[1]['Id']})").json()["State"] == "Terminating"
    assert wait_for(client, jobs[0]["Id"], {"Stopped"})["State"] == "Stopped"


def test_stopping_pending_and_finished_jobs(orchestrator):
    client = orchestrator("Default")
    pending = start(client, ReleaseKey=TRIAGE_KEY, Strategy="Specific",
                    RobotIds=[101]).json()["value"][0]
    client.post(STOP, json={"jobIds": [pending["Id"]], "strategy": "Kill"})
    stopped = client.get(f"/odata/Jobs({pending['Id']})").json()
    assert (stopped["State"], stopped["StartTime"]) == ("Stopped", None)
    finished = start(client, ReleaseKey=TRIAGE_KEY, Strategy="Specific",
                     RobotIds=[101]).json()["value"][0]
    wait_for(client, finished["Id"], {"Successful"})
    client.post(STOP, json={"jobIds": [finished["Id"]], "strategy": "SoftStop"})
    assert client.get(f"/odata/Jobs({finished['Id']})").json()["State"] == "Successful"


@pytest.mark.parametrize("body, status, code", [
    ({"jobIds": [1], "strategy": "SoftStop"}, 404, 1002),
    ({"jobIds": [], "strategy": "SoftStop"}, 400, 1000),
    ({"jobIds": "1", "strategy": "SoftStop"}, 400, 1000),
    ({"jobIds": ["x"], "strategy": "SoftStop"}, 404, 1002),
    ({"jobIds": [10001]}, 400, 1000),
    ({"jobIds": [10001], "strategy": "Pause"}, 400, 1000),
    ({"jobIds": [10001], "strategy": 3}, 400, 1000),
    ([10001], 400, 1000),
])
def test_stop_jobs_errors(orchestrator, body, status, code):
    client = orchestrator("Finance")
    assert start(client, ReleaseName="InvoiceIntake").json()["value"][0]["Id"] == 10001
    response = client.post(STOP, json=body)
    assert response.status_code == status and response.json()["errorCode"] == code


def test_jobs_belong_to_their_folder(orchestrator):
    job = start(orchestrator("Finance"), ReleaseName="InvoiceIntake").json()["value"][0]
    other = orchestrator("Default")
    assert_refused(other.get(f"/odata/Jobs({job['Id']})"), 404, 1002, "does not exist")
    assert_refused(other.get(GET_BY_KEY.format(job["Key"])), 404, 1002, "does not exist")
    assert_refused(other.post(STOP, json={"jobIds": [job["Id"]], "strategy": 1}), 404, 1002,
                   "does not exist")
    assert other.get("/odata/Jobs").json()["value"] == []
    assert orchestrator("Finance").get("/odata/Jobs").json()["@odata.count"] == 1


def test_job_queries(sandbox, orchestrator):
    sandbox.tenant.set_robot_state(102, "Available")  # its other work is done
    client = orchestrator("Default")
    batch = start(client, ReleaseKey=TRIAGE_KEY, Strategy="Specific", RobotIds=[101, 102],
                  InputArguments='{"IncidentId":"FAIL-9"}').json()["value"]
    other = start(client, ReleaseName="CleanupTempFiles_QuickstartDemo", Strategy="Specific",
                  RobotIds=[101]).json()["value"][0]
    keys = ",".join(f"'{j['Key']}'" for j in batch)
    body = client.get("/odata/Jobs", params={"$filter": f"Key in ({keys})",
                                             "$select": "Id,Key"}).json()
    assert body["value"] == [{"Key": j["Key"], "Id": j["Id"]} for j in batch]
    assert body["@odata.context"].endswith("#Jobs(Id,Key)")
    body = client.get("/odata/Jobs", params={
        "$filter": f"Id eq {other['Id']}", "$expand": "Release($select=ProcessKey)"}).json()
    assert body["value"][0]["Release"] == {"ProcessKey": "CleanupTempFiles"}
    wait_for(client, other["Id"], {"Successful"})
    body = client.get("/odata/Jobs", params={
        "$filter": "State eq 'Faulted' and Robot/Id eq 102L", "$orderby": "CreationTime desc",
        "$expand": "Robot,Machine,Release"}).json()
    assert [j["Id"] for j in body["value"]] == [batch[1]["Id"]]
    assert body["value"][0]["Machine"]["Name"] == "SUPPORT-VM-02"
    body = client.get("/odata/Jobs", params={"$filter": "State eq 'Successful'",
                                             "$top": "1", "$count": "true"}).json()
    assert body["@odata.count"] == 1 and body["value"][0]["Id"] == other["Id"]


def test_removed_robot_and_release_leave_jobs_readable(sandbox, orchestrator):
    client = orchestrator("Default")
    job = start(client, ReleaseKey=TRIAGE_KEY, Strategy="Specific",
                RobotIds=[101]).json()["value"][0]
    wait_for(client, job["Id"], {"Running"})
    sandbox.tenant.remove_robot(101)
    sandbox.tenant.remove_release(1)
    body = client.get(f"/odata/Jobs({job['Id']})", params={"$expand": "Robot,Release"}).json()
    assert body["Robot"] is None and body["Release"] is None
    assert body["HostMachineName"] == "SUPPORT-VM-01"
    assert body["ReleaseName"] == "SupportTriage_QuickstartDemo"
