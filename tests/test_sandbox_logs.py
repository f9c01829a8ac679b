"""Robot logs in the sandbox (``GET /odata/RobotLogs``, ``GetTotalCount``) over loopback, on a
clock the test moves: lines derived from each job's life, levels, filters, paging, ordering."""

from __future__ import annotations

import json
import re
import time

import httpx
import pytest
from support import ClockedOrchestrator

from tui_app.sandbox import DEMO, SandboxConfig, endpoints, robotlogs
from tui_app.sandbox.endpoints import Context
from tui_app.sandbox.seed import WORKSTATION_IN_USE, build_tenant
from tui_app.sandbox.startjobs import start_jobs
from tui_app.sandbox.wire import Request

LOGS = "/odata/RobotLogs"
TOTAL = "/odata/RobotLogs/UiPath.Server.Configuration.OData.GetTotalCount"
START = "/odata/Jobs/UiPath.Server.Configuration.OData.StartJobs"
RESUME = "/odata/Jobs/UiPath.Server.Configuration.OData.ResumeJob"
STOP = "/odata/Jobs({})/UiPath.Server.Configuration.OData.StopJob"
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z\Z")


@pytest.fixture
def sandbox_config():
    return SandboxConfig(job_pending_seconds=1, job_running_seconds=3, stop_seconds=1)


class Orchestrator(ClockedOrchestrator):
    """The sandbox on a clock that moves only when told, and an HTTP client per folder."""

    START_DEFAULTS = {"Strategy": "Specific", "RobotIds": [101],
                      "InputArguments": json.dumps({"IncidentId": "INC-42"})}

    def logs(self, key=None, folder="Default", **params) -> dict:
        if key:
            params.setdefault("$filter", f"JobKey eq {key}")
        params.setdefault("$orderby", "TimeStamp asc")
        response = self.client(folder).get(LOGS, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def messages(self, key, folder="Default", **params) -> list:
        return [(line["Level"], line["Message"])
                for line in self.logs(key, folder, **params)["value"]]


@pytest.fixture
def orch(sandbox):
    orchestrator = Orchestrator(sandbox)
    yield orchestrator
    orchestrator.close()


def test_a_successful_job_logs_its_start_activities_and_end(orch):
    job = orch.start()
    orch.wait(10)
    body = orch.logs(job["Key"])
    lines = body["value"]
    assert body["@odata.context"].endswith("/odata/$metadata#RobotLogs")
    assert body["@odata.count"] == len(lines) == 14
    assert (lines[0]["Level"], lines[0]["Message"]) == (
        "Info", "SupportTriage_QuickstartDemo execution started")
    assert (lines[-1]["Level"], lines[-1]["Message"]) == (
        "Info", "SupportTriage_QuickstartDemo execution ended")
    assert {line["Level"] for line in lines} == {"Info", "Trace", "Warn"}
    assert ("Trace", "Sequence Executing") in [(x["Level"], x["Message"]) for x in lines]
    assert ("Info", "Incident INC-42: checked rule 1 of the triage table.") in [
        (x["Level"], x["Message"]) for x in lines]
    first = lines[0]
    assert list(first) == ["Level", "WindowsIdentity", "ProcessName", "TimeStamp", "Message",
                           "JobKey", "RawMessage", "RobotName", "HostMachineName", "MachineId",
                           "MachineKey", "RuntimeType", "Id"]
    assert {k: first[k] for k in ("WindowsIdentity", "ProcessName", "JobKey", "RobotName",
                                  "HostMachineName", "RuntimeType", "Id")} == {
        "WindowsIdentity": "SANDBOX\\support-bot-01",
        "ProcessName": "SupportTriage_QuickstartDemo", "JobKey": job["Key"],
        "RobotName": "SUPPORT-BOT-01", "HostMachineName": "SUPPORT-VM-01",
        "RuntimeType": "Unattended", "Id": 0}
    assert isinstance(first["MachineId"], int) and re.fullmatch(r"[0-9a-f-]{36}",
                                                                first["MachineKey"])
    assert all(STAMP.match(line["TimeStamp"]) for line in lines)
    assert [x["TimeStamp"] for x in lines] == sorted(x["TimeStamp"] for x in lines)
    assert first["TimeStamp"][:19] == orch.client().get(
        f"/odata/Jobs({job['Id']})").json()["StartTime"][:19]
    raw = json.loads(lines[-1]["RawMessage"])
    assert raw["message"] == "SupportTriage_QuickstartDemo execution ended"
    assert raw["level"] == "Information" and raw["jobId"] == job["Key"]
    assert raw["totalExecutionTimeInSeconds"] == 3 and raw["totalExecutionTime"] == "00:00:03"
    assert raw["timeStamp"].endswith("+00:00") and raw["processVersion"] == "1.0.1"


def test_a_pending_job_has_no_lines_and_a_running_jobs_log_grows(orch):
    job = orch.start()
    assert orch.logs(job["Key"])["value"] == []  # Pending: the robot has not written yet
    orch.wait(1.0)
    assert orch.messages(job["Key"]) == [("Info", "SupportTriage_QuickstartDemo execution "
                                                  "started")]
    counts = []
    for _ in range(3):
        orch.wait(0.7)
        counts.append(orch.logs(job["Key"])["@odata.count"])
    assert counts == sorted(counts) and len(set(counts)) == 3
    stamps = [line["TimeStamp"] for line in orch.logs(job["Key"])["value"]]
    now = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(orch.now))
    assert max(stamps)[:19] <= now  # only lines whose time has come
    orch.wait(5)
    assert orch.messages(job["Key"])[-1] == ("Info", "SupportTriage_QuickstartDemo execution "
                                                     "ended")


def test_filters_on_job_key_level_and_time(orch):
    job = orch.start()
    other = orch.start(RobotIds=[201], ReleaseName="SupportTriage_Production")
    orch.wait(10)
    key = job["Key"]
    bare = orch.logs(key)["value"]
    quoted = orch.logs(**{"$filter": f"JobKey eq '{key.upper()}'"})
    assert quoted["value"] == bare
    assert {line["JobKey"] for line in bare} == {key}
    both = orch.logs(**{"$filter": f"JobKey eq {key} or JobKey eq {other['Key']}"})["value"]
    assert len(both) == 28 and [x["TimeStamp"] for x in both] == sorted(
        x["TimeStamp"] for x in both)
    assert len(orch.logs()["value"]) == 28  # no filter: the folder's lines
    assert orch.messages(key, **{"$filter": f"JobKey eq {key} and Level eq 'Warn'"}) == [
        ("Warn", "Incident INC-42: the ticket system answered slowly; retrying once.")]
    warn_up = orch.logs(**{"$filter": f"JobKey eq {key} and Level ge 'Warn'"})["value"]
    assert [x["Level"] for x in warn_up] == ["Warn"]
    either = orch.logs(**{"$filter": f"JobKey eq {key} and (Level eq 'Info' or Level eq "
                                     "'Warn')"})["value"]
    assert {x["Level"] for x in either} == {"Info", "Warn"} and len(either) == 5
    middle = bare[5]["TimeStamp"]
    later = orch.logs(**{"$filter": f"JobKey eq {key} and TimeStamp ge {middle}"})["value"]
    assert later == bare[5:]
    names = orch.logs(**{"$filter": "ProcessName eq 'SupportTriage_Production'"})["value"]
    assert {x["JobKey"] for x in names} == {other["Key"]}
    unknown = orch.logs(**{"$filter": "JobKey eq 0f8fad5b-d9cb-469f-a165-70867728950e"})
    assert unknown["value"] == [] and unknown["@odata.count"] == 0


def test_paging_ordering_and_get_total_count(orch):
    job = orch.start()
    orch.wait(10)
    key = job["Key"]
    everything = orch.logs(key)["value"]
    pages = [orch.logs(key, **{"$top": "5", "$skip": str(skip)}) for skip in (0, 5, 10)]
    assert [len(page["value"]) for page in pages] == [5, 5, 4]
    assert all(page["@odata.count"] == 14 for page in pages)
    assert sum((page["value"] for page in pages), []) == everything
    newest = orch.logs(key, **{"$orderby": "TimeStamp desc", "$top": "3", "$skip": "1"})
    assert newest["value"] == everything[::-1][1:4] and newest["@odata.count"] == 14
    by_level = orch.logs(key, **{"$orderby": "Level desc, TimeStamp asc"})["value"]
    assert by_level[0]["Level"] == "Warn" and len(by_level) == 14
    selected = orch.logs(key, **{"$select": "Level,Message", "$top": "1"})
    assert selected["value"] == [{"Level": "Info", "Message": "SupportTriage_QuickstartDemo "
                                                             "execution started"}]
    assert selected["@odata.context"].endswith("#RobotLogs(Level,Message)")
    total = orch.client().get(TOTAL, params={"$filter": f"JobKey eq {key} and Level eq "
                                                        "'Trace'"})
    assert total.status_code == 200
    assert total.json() == {"@odata.context": total.json()["@odata.context"], "value": 9}
    assert total.json()["@odata.context"].endswith("$metadata#Edm.Int64")
    assert orch.client().get(TOTAL + "()").json()["value"] == 14


def test_top_above_1000_and_bad_queries_are_refused(orch):
    too_many = orch.client().get(LOGS, params={"$top": "1001"})
    assert too_many.status_code == 400 and too_many.json()["errorCode"] == 1000
    assert "The limit of '1000' for Top query has been exceeded" in too_many.json()["message"]
    assert orch.client().get(LOGS, params={"$top": "1000"}).status_code == 200
    assert orch.client().get(LOGS, params={"$filter": "Level eq 'Loud'"}).status_code == 400
    assert orch.client().get(LOGS, params={"$filter": "Nope eq 1"}).status_code == 400
    assert orch.client().get(LOGS, params={"$expand": "Robot"}).status_code == 400


def test_folder_header_and_the_monitoring_scope(orch, sandbox):
    job = orch.start()
    orch.wait(10)
    assert orch.logs(job["Key"], folder="Finance")["value"] == []  # another folder's job
    assert orch.client(folder=None).get(LOGS).json()["errorCode"] == 1101
    token = httpx.post(sandbox.identity_url, data={
        "grant_type": "client_credentials", "client_id": DEMO.client_id,
        "client_secret": DEMO.client_secret, "scope": "OR.Jobs OR.Folders.Read"}).json()
    refused = orch.client(token=token["access_token"]).get(LOGS)
    assert refused.status_code == 403
    assert "'OR.Monitoring' or 'OR.Monitoring.Read'" in refused.json()["message"]
    token = httpx.post(sandbox.identity_url, data={
        "grant_type": "client_credentials", "client_id": DEMO.client_id,
        "client_secret": DEMO.client_secret, "scope": "OR.Monitoring.Read"}).json()
    assert orch.client(token=token["access_token"]).get(TOTAL).json()["value"] == 14


def test_a_faulted_job_logs_its_error(orch):
    job = orch.start(InputArguments=json.dumps({"IncidentId": "FAIL on purpose"}))
    orch.wait(10)
    lines = orch.messages(job["Key"])
    level, message = lines[-2]
    assert level == "Error"
    assert message.startswith("Execution error : System.Exception: Demo failure requested by "
                              "input IncidentId=FAIL on purpose")
    assert lines[-1] == ("Info", "SupportTriage_QuickstartDemo execution ended")
    errors = orch.logs(job["Key"], **{"$filter": f"JobKey eq {job['Key']} and Level ge "
                                                 "'Error'"})["value"]
    assert [x["Level"] for x in errors] == ["Error"]
    assert json.loads(errors[0]["RawMessage"])["errorCode"] == "Robot.UnhandledException"


def test_a_job_that_cannot_start_logs_one_fatal_line(orch):
    job = orch.start("Workshop", ReleaseName="LegacyErpSync")
    orch.wait(10)
    assert orch.messages(job["Key"], "Workshop") == [("Fatal", WORKSTATION_IN_USE.info)]


def test_a_suspending_job_logs_its_suspension_and_resumption(orch):
    job = orch.start("Workshop", ReleaseName="MonthEndClose")
    orch.wait(1 + 2 + 1)  # latency, 2 s of running, then suspended
    client = orch.client("Workshop")
    assert client.get(f"/odata/Jobs({job['Id']})").json()["State"] == "Suspended"
    last = orch.logs(job["Key"], "Workshop", **{"$orderby": "TimeStamp desc", "$top": "2"})
    (suspended, before) = [(x["Level"], x["Message"]) for x in last["value"]]
    assert suspended[0] == "Info" and "the job is suspended" in suspended[1]
    assert before[0] == "Trace"
    assert 490 < last["@odata.count"] < 510  # a third of 1,500 activity lines
    assert client.post(RESUME, json={"jobKey": job["Key"]}).status_code == 200
    orch.wait(0.5)
    resumed = orch.logs(job["Key"], "Workshop", **{
        "$filter": f"JobKey eq {job['Key']} and Level eq 'Info' and "
                   "endswith(Message, 'execution resumed')"})["value"]
    assert [x["Message"] for x in resumed] == ["MonthEndClose execution resumed"]
    orch.wait(10)
    body = orch.logs(job["Key"], "Workshop", **{"$top": "1000"})
    assert body["@odata.count"] == 1504 > len(body["value"]) == 1000  # needs a second page
    rest = orch.logs(job["Key"], "Workshop", **{"$top": "1000", "$skip": "1000"})["value"]
    assert rest[-1]["Message"] == "MonthEndClose execution ended"
    assert "Reconciled account 4001: the ledger and the bank statement agree." in [
        x["Message"] for x in body["value"]]


@pytest.mark.parametrize("strategy, level, words", [
    ("SoftStop", "Info", "Stop requested from Orchestrator (SoftStop)"),
    ("Kill", "Warn", "Kill requested from Orchestrator")])
def test_stop_and_kill_are_logged(orch, strategy, level, words):
    job = orch.start()
    orch.wait(2)
    stopped = orch.client().post(STOP.format(job["Id"]), json={"strategy": strategy})
    assert stopped.status_code == 200
    orch.wait(5)
    lines = orch.messages(job["Key"])
    (request,) = [line for line in lines if words in line[1]]
    assert request[0] == level
    assert lines[-1] == ("Info", "SupportTriage_QuickstartDemo execution ended")
    assert len(lines) < 14  # stopped before all its work was done
    raw = json.loads(orch.logs(job["Key"])["value"][-1]["RawMessage"])
    assert raw["finalState"] == "Stopped"


def test_the_cloud_shape_serves_logs_too(orch, sandbox):
    job = orch.start("Workshop", ReleaseName="FormFiller")
    orch.wait(10)
    client = orch.client("Workshop", base=sandbox.cloud_url)
    body = client.get(LOGS, params={"$filter": f"JobKey eq {job['Key']}"}).json()
    assert body["@odata.count"] == 14
    assert "Filled in field 1 of the web form." in [x["Message"] for x in body["value"]]


def test_only_the_jobs_the_filter_names_are_generated(orch, monkeypatch):
    jobs = [orch.start(RobotIds=[robot], ReleaseName="SupportTriage_Production")
            for robot in (201, 202)]
    orch.wait(10)
    read = []

    class Counting(robotlogs.JobLog):
        def entries(self):
            read.append(self.job.key)
            return super().entries()

    monkeypatch.setattr(robotlogs, "JobLog", Counting)
    orch.logs(jobs[1]["Key"])
    assert read == [jobs[1]["Key"]]
    read.clear()
    orch.logs(**{"$filter": f"JobKey in ({jobs[0]['Key']}) and Level eq 'Info'"})
    assert read == [jobs[0]["Key"]]
    read.clear()
    orch.logs(**{"$filter": f"JobKey eq {jobs[0]['Key']} or Level eq 'Info'"})
    assert sorted(read) == sorted(job["Key"] for job in jobs)


def test_a_hundred_thousand_lines_are_paged_quickly():
    tenant = build_tenant(SandboxConfig(job_pending_seconds=0))
    now = [1_700_000_000.0]
    tenant.clock = lambda: now[0]
    tenant.update_release(5, running_seconds=5000.0, log_lines=100_000)
    tenant.add_robot("hello-bot", "HELLO-VM", folder_id=1)  # Shared has no robot otherwise
    (job,) = start_jobs({"startInfo": {"ReleaseName": "HelloWorld"}}, tenant.folders[1], tenant)
    now[0] += 6000
    tenant.advance(now[0])

    def read(**query) -> dict:
        context = Context(Request("GET", "/odata/RobotLogs", query, {}), tenant, (), None,
                          tenant.folders[1], "http://sandbox", now[0])
        return json.loads(endpoints.list_robot_logs(context).body)

    began = time.perf_counter()
    last = read(**{"$filter": f"JobKey eq {job.key}", "$orderby": "TimeStamp desc",
                   "$top": "100"})
    deep = read(**{"$filter": f"JobKey eq {job.key}", "$top": "1000", "$skip": "99000"})
    warnings = read(**{"$filter": f"JobKey eq {job.key} and Level eq 'Warn'", "$top": "10"})
    assert time.perf_counter() - began < 5
    assert last["@odata.count"] == deep["@odata.count"] == 100_002
    assert last["value"][0]["Message"] == "HelloWorld execution ended"
    assert len(deep["value"]) == 1000 and deep["value"][-1]["Message"].endswith("(greeting 25000)")
    assert warnings["@odata.count"] == 10_000
    assert warnings["value"][0]["Message"] == "Step 2 took longer than expected; retrying it once."


def test_a_short_job_at_todays_clock_does_not_suspend_by_rounding():
    tenant = build_tenant(SandboxConfig(job_pending_seconds=0, job_running_seconds=0.3))
    now = [1_700_000_000.0]
    tenant.clock = lambda: now[0]
    (job,) = start_jobs({"startInfo": {"ReleaseName": "SupportTriage_QuickstartDemo",
                                       "Strategy": "Specific", "RobotIds": [101]}},
                        tenant.folders[4], tenant)
    now[0] += 1
    tenant.advance(now[0])
    assert [state for _, state in job.history] == ["Pending", "Running", "Successful"]
    messages = [line["Message"] for line in robotlogs.job_lines(tenant, job, now[0])]
    assert not any("suspended" in message for message in messages)
