"""Start options on the sandbox's wire: priorities, entry points, machine sessions, stop/kill
after, alerts, ``Source`` (the attachments and ``InputFile`` / ``OutputFile`` are in
``test_sandbox_attachments``)."""

from __future__ import annotations

import json

import pytest
from support import ClockedOrchestrator

from tui_app.sandbox import SandboxConfig
from tui_app.sandbox.startjobs import (
    ENTRY_POINT_CODE,
    MACHINE_SESSION_CODE,
    ROBOT_IDS_CODE,
)

START = ClockedOrchestrator.START
VERSIONS = ("/odata/Processes/UiPath.Server.Configuration.OData.GetProcessVersions"
            "(processId='{}')")
SESSIONS = ("/odata/Sessions/UiPath.Server.Configuration.OData."
            "GetMachineSessionRuntimesByFolderId(folderId={})")
RUNTIMES = "/odata/Machines/UiPath.Server.Configuration.OData.GetRuntimesForFolder(folderId={})"
VALIDATE_EXISTING = "/odata/Jobs({})/UiPath.Server.Configuration.OData.ValidateExistingJob"
VALIDATE_DYNAMIC = "/odata/Jobs/UiPath.Server.Configuration.OData.ValidateDynamicJob"


@pytest.fixture
def sandbox_config():
    return SandboxConfig(job_pending_seconds=0.2, job_running_seconds=0.4, stop_seconds=0.2,
                         expression_seconds=0.1)


@pytest.fixture
def orch(sandbox):
    clocked = ClockedOrchestrator(sandbox)
    yield clocked
    clocked.close()


def refused(response, status: int, code: int, words: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["errorCode"] == code and words in body["message"], body
    return body["message"]


def post(orch, folder: str, **info):
    return orch.client(folder).post(START, json={"startInfo": info})


def job(orch, folder: str, job_id: int) -> dict:
    return orch.client(folder).get(f"/odata/Jobs({job_id})").json()


# ----------------------------------------------------------------------------- priorities


def test_releases_carry_their_priority_and_jobs_echo_the_effective_one(orch):
    releases = orch.client("Operations").get("/odata/Releases", params={
        "$select": "Name,JobPriority,SpecificPriorityValue"}).json()["value"]
    assert {r["Name"]: (r["JobPriority"], r["SpecificPriorityValue"]) for r in releases} == {
        "SapInvoicePosting": ("High", None), "OpsReportSuite": ("Normal", None),
        "AuditExport": ("Low", None), "UrgentPayments": ("Normal", 90)}
    urgent = orch.start("Operations", ReleaseName="UrgentPayments")
    assert (urgent["JobPriority"], urgent["SpecificPriorityValue"]) == ("Normal", 90)
    high = orch.start("Operations", ReleaseName="UrgentPayments", JobPriority="High")
    assert (high["JobPriority"], high["SpecificPriorityValue"]) == ("High", None)
    sent = orch.start("Operations", ReleaseName="SapInvoicePosting", SpecificPriorityValue=7)
    assert sent["SpecificPriorityValue"] == 7
    assert orch.start("Operations", ReleaseName="SapInvoicePosting")["JobPriority"] == "High"


@pytest.mark.parametrize("value", [0, 101, -3])
def test_specific_priority_outside_1_to_100_is_refused(orch, value):
    refused(post(orch, "Operations", ReleaseName="UrgentPayments",
                 SpecificPriorityValue=value), 400, 1000, "between 1 and 100")


def test_both_priority_fields_are_refused(orch):
    refused(post(orch, "Operations", ReleaseName="UrgentPayments", JobPriority="Low",
                 SpecificPriorityValue=50), 400, 1000, "Cannot set a specific priority value")


# ----------------------------------------------------------------------------- entry points


def test_process_versions_list_the_entry_points_with_their_own_arguments(orch):
    body = orch.client(None).get(VERSIONS.format("OpsReportSuite"), params={
        "$filter": "Version eq '3.1.0'", "$expand": "EntryPoints"}).json()
    [process] = body["value"]
    assert process["SupportsMultipleEntryPoints"] is True
    assert process["MainEntryPointPath"] == "Main.xaml"
    arguments = {e["Path"]: [a["name"] for a in json.loads(e["InputArguments"])]
                 for e in process["EntryPoints"]}
    assert arguments == {"Main.xaml": ["ReportDate"],
                         "Flows/Extract.xaml": ["SourceSystem", "Since"],
                         "Flows/Report.xaml": ["Recipients", "Format"]}
    assert len({e["Id"] for e in process["EntryPoints"]}) == 3
    assert orch.client(None).get(VERSIONS.format("OpsReportSuite"), params={
        "$filter": "Version eq '9.9.9'"}).json()["value"] == []
    assert orch.client(None).get(VERSIONS.format("NoSuchProcess")).json()["value"] == []
    listed = orch.client(None).get("/odata/Processes", params={
        "$filter": "Title eq 'OpsReportSuite'", "$expand": "EntryPoints"}).json()["value"]
    assert [e["Path"] for e in listed[0]["EntryPoints"]] == list(arguments)


def test_release_names_its_default_entry_point(orch):
    release = orch.client("Operations").get("/odata/Releases(14)", params={
        "$expand": "EntryPoint"}).json()
    assert (release["SupportsMultipleEntryPoints"], release["EntryPointPath"],
            release["EntryPointId"]) == (True, "Main.xaml", 14)
    assert release["EntryPoint"]["Path"] == "Main.xaml"
    assert release["EntryPoint"]["Id"] == 14
    assert "ReportDate" in release["EntryPoint"]["InputArguments"]
    assert "EntryPoint" not in orch.client("Operations").get("/odata/Releases(14)").json()


def test_job_runs_the_entry_point_it_was_started_at(orch):
    started = orch.start("Operations", ReleaseName="OpsReportSuite",
                         EntryPointPath="Flows/Extract.xaml",
                         InputArguments='{"SourceSystem":"SAP"}')
    assert started["EntryPointPath"] == "Flows/Extract.xaml"
    orch.wait(1.0)
    done = job(orch, "Operations", started["Id"])
    assert done["State"] == "Successful"
    assert list(json.loads(done["OutputArguments"])) == ["RowCount"]
    default = orch.start("Operations", ReleaseName="OpsReportSuite")
    assert default["EntryPointPath"] == "Main.xaml"


def test_an_entry_point_the_release_does_not_have_is_refused(orch):
    message = refused(post(orch, "Operations", ReleaseName="OpsReportSuite",
                           EntryPointPath="Flows/Delete.xaml"), 400, ENTRY_POINT_CODE,
                      "is not valid for the process OpsReportSuite")
    assert "Flows/Extract.xaml" in message
    refused(post(orch, "Operations", ReleaseName="SapInvoicePosting",
                 EntryPointPath="Flows/Extract.xaml"), 400, ENTRY_POINT_CODE, "Main.xaml")
    plain = orch.start("Operations", ReleaseName="SapInvoicePosting", EntryPointPath="Main.xaml")
    assert plain["EntryPointPath"] == "Main.xaml"


# ----------------------------------------------------------------------------- machine sessions


def test_machine_sessions_of_the_folder(orch):
    rows = orch.client(None).get(SESSIONS.format(9)).json()["value"]
    shown = {(r["SessionId"], r["RuntimeType"]): (
        r["MachineName"], r["MachineType"], r["HostMachineName"], r["ServiceUserName"],
        r["MaintenanceMode"], r["Status"], r["IsUnresponsive"], r["Runtimes"],
        r["UsedRuntimes"]) for r in rows}
    assert shown == {
        (5701, "Unattended"): ("SAP-VMs", "Template", "SAP-VM-01", "sap-bot-01", "Default",
                               "Available", False, 1, 0),
        (5702, "Unattended"): ("SAP-VMs", "Template", "SAP-VM-02", "sap-bot-02", "Enabled",
                               "Available", False, 1, 0),
        (5703, "Unattended"): ("SAP-VMs", "Template", "SAP-VM-03", "sap-bot-03", "Default",
                               "Disconnected", True, 1, 0),
        (5704, "Unattended"): ("OPS-HOST-A", "Standard", "OPS-HOST-A", "ops-bot-01", "Default",
                               "Available", False, 1, 0),
        (5704, "NonProduction"): ("OPS-HOST-A", "Standard", "OPS-HOST-A", "ops-bot-01",
                                  "Default", "Available", False, 1, 0),
    }
    assert len({r["MachineId"] for r in rows if r["MachineName"] == "SAP-VMs"}) == 1
    narrow = orch.client(None).get(SESSIONS.format(9), params={
        "runtimeType": "NonProduction"}).json()["value"]
    assert [r["SessionId"] for r in narrow] == [5704]
    mine = orch.client(None).get(SESSIONS.format(9), params={
        "robotId": "701", "$select": "SessionId,Status"}).json()["value"]
    assert mine == [{"SessionId": 5701, "Status": "Available"}]
    assert orch.client(None).get(SESSIONS.format(4)).json()["value"] == []
    refused(orch.client(None).get(SESSIONS.format(9), params={"runtimeType": "Robotic"}),
            400, 1000, "runtimeType")
    refused(orch.client(None).get(SESSIONS.format(99)), 400, 1100, "Folder does not exist")


def test_jobs_run_only_on_the_named_host_and_runtimes_stay_consistent(orch):
    def unattended() -> dict:
        rows = orch.client(None).get(RUNTIMES.format(9)).json()["value"]
        return next(r for r in rows if r["Type"] == "Unattended")

    # SAP-VM-03 is disconnected, SAP-VM-02 in maintenance mode: Connected 3, Available 2.
    assert unattended() == {"Type": "Unattended", "Total": 4, "Connected": 3, "Available": 2}
    started = orch.start("Operations", ReleaseName="SapInvoicePosting", MachineSessionIds=[5701],
                         InputArguments='{"InvoiceNumber":"INV-1"}')
    orch.wait(0.3)
    running = orch.client("Operations").get(f"/odata/Jobs({started['Id']})",
                                            params={"$expand": "Machine"}).json()
    assert (running["State"], running["HostMachineName"]) == ("Running", "SAP-VM-01")
    assert (running["Machine"]["Name"], running["Machine"]["Type"]) == ("SAP-VMs", "Template")
    rows = orch.client(None).get(SESSIONS.format(9), params={"robotId": 701}).json()["value"]
    assert (rows[0]["UsedRuntimes"], rows[0]["Status"]) == (1, "Busy")
    assert unattended()["Available"] == 1


@pytest.mark.parametrize(("session", "codes"), [
    (5702, ["TemplateMaintenanceMode"]),
    (5703, ["TemplateNoHostsAvailable", "DynamicJobConnectedMachinesInvalid"]),
])
def test_a_host_in_maintenance_or_disconnected_leaves_the_job_pending(orch, session, codes):
    info = {"ReleaseName": "SapInvoicePosting", "MachineSessionIds": [session]}
    dynamic = orch.client("Operations").post(VALIDATE_DYNAMIC, json={"startInfo": info}).json()
    assert (dynamic["IsValid"], dynamic["ErrorCodes"]) == (False, codes)
    started = orch.start("Operations", **info)
    orch.wait(2.0)
    assert job(orch, "Operations", started["Id"])["State"] == "Pending"
    existing = orch.client("Operations").post(VALIDATE_EXISTING.format(started["Id"])).json()
    assert existing["ErrorCodes"] == codes and len(existing["Errors"]) == len(codes)
    if session == 5702:
        orch.sandbox.tenant.set_maintenance(702, False)
        orch.wait(0.1)
        assert job(orch, "Operations", started["Id"])["HostMachineName"] == "SAP-VM-02"


def test_an_unknown_machine_session_is_refused(orch):
    message = refused(post(orch, "Operations", ReleaseName="SapInvoicePosting",
                           MachineSessionIds=[5701, 9999]), 404, MACHINE_SESSION_CODE, "9999")
    assert "5701" not in message
    # a session of another folder's robot is unknown here
    refused(post(orch, "Operations", ReleaseName="SapInvoicePosting", MachineSessionIds=[5301]),
            404, MACHINE_SESSION_CODE, "5301")
    refused(orch.client("Operations").post(VALIDATE_DYNAMIC, json={"startInfo": {
        "ReleaseName": "SapInvoicePosting", "MachineSessionIds": [1]}}), 404,
        MACHINE_SESSION_CODE, "not found")


def test_machine_sessions_with_robot_ids_and_in_classic_folders(orch):
    both = orch.start("Operations", ReleaseName="SapInvoicePosting", RobotIds=[704],
                      MachineSessionIds=[5704])
    orch.wait(0.3)
    assert job(orch, "Operations", both["Id"])["HostMachineName"] == "OPS-HOST-A"
    refused(post(orch, "Operations", ReleaseName="SapInvoicePosting", RobotIds=[704],
                 MachineSessionIds=[5701]), 409, ROBOT_IDS_CODE, "Couldn't find")
    refused(post(orch, "Default", ReleaseName="SupportTriage_QuickstartDemo",
                 Strategy="JobsCount", JobsCount=1, MachineSessionIds=[5101]), 400, 1000,
            "only available in modern folders")


# ----------------------------------------------------------------------------- stop/kill after


@pytest.fixture
def long_job(orch):
    """SapInvoicePosting's jobs run 5 s (50 expression seconds)."""
    orch.sandbox.tenant.update_release(13, running_seconds=5.0)
    return orch


def test_a_job_still_running_is_soft_stopped_after_the_stop_expression(long_job):
    orch = long_job
    started = orch.start("Operations", ReleaseName="SapInvoicePosting",
                         StopProcessExpression="10", StopStrategy="SoftStop")
    assert started["StopStrategy"] == "SoftStop"
    orch.wait(1.1)  # started at 0.2, stop due at 1.2
    assert job(orch, "Operations", started["Id"])["State"] == "Running"
    orch.wait(0.15)
    assert job(orch, "Operations", started["Id"])["State"] == "Stopping"
    orch.wait(0.25)
    stopped = job(orch, "Operations", started["Id"])
    assert (stopped["State"], stopped["Info"]) == ("Stopped", "The job was stopped.")


def test_kill_strategy_and_kill_after_the_grace(long_job):
    orch = long_job
    orch.sandbox.tenant.stop_seconds = 1.0  # a soft stop takes 1 s to be honoured
    killed = orch.start("Operations", ReleaseName="SapInvoicePosting",
                        StopProcessExpression="10", StopStrategy="Kill")
    graced = orch.start("Operations", ReleaseName="SapInvoicePosting", MachineSessionIds=[5704],
                        StopProcessExpression="10", StopStrategy="SoftStop",
                        KillProcessExpression="2")
    orch.wait(1.25)
    assert job(orch, "Operations", killed["Id"])["State"] == "Terminating"
    assert job(orch, "Operations", graced["Id"])["State"] == "Stopping"
    orch.wait(0.2)  # the grace (0.2 s) is over before the soft stop (1 s) is honoured
    assert job(orch, "Operations", graced["Id"])["State"] == "Terminating"
    orch.wait(1.0)
    for started in (killed, graced):
        ended = job(orch, "Operations", started["Id"])
        assert (ended["State"], ended["Info"]) == ("Stopped", "The job was killed.")


def test_a_job_that_finishes_first_is_not_stopped(orch):
    started = orch.start("Operations", ReleaseName="SapInvoicePosting",
                         StopProcessExpression="4")  # stop due at 0.6, work ends at 0.6
    orch.wait(1.0)
    assert job(orch, "Operations", started["Id"])["State"] == "Successful"


@pytest.mark.parametrize(("name", "value"), [
    ("StopProcessExpression", "ten"), ("StopProcessExpression", "-5"),
    ("KillProcessExpression", "1.5"), ("AlertPendingExpression", ""),
    ("AlertRunningExpression", True), ("StopProcessExpression", {"seconds": 3}),
])
def test_an_expression_that_is_not_seconds_is_refused(orch, name, value):
    refused(post(orch, "Operations", ReleaseName="SapInvoicePosting", **{name: value}), 400,
            1000, name)


def test_an_unknown_stop_strategy_is_refused(orch):
    refused(post(orch, "Operations", ReleaseName="SapInvoicePosting", StopProcessExpression="5",
                 StopStrategy="Pause"), 400, 1000, "SoftStop, Kill")


# ----------------------------------------------------------------------------- alerts


def test_alerts_for_jobs_pending_or_running_too_long(long_job):
    orch = long_job
    tenant = orch.sandbox.tenant
    waiting = orch.start("Operations", ReleaseName="SapInvoicePosting", MachineSessionIds=[5702],
                         AlertPendingExpression="3")
    quick = orch.start("Operations", ReleaseName="SapInvoicePosting", MachineSessionIds=[5701],
                       AlertPendingExpression="3", AlertRunningExpression="20")
    orch.wait(1.0)
    orch.client("Operations").get("/odata/Jobs")
    assert [(a.job_id, a.kind) for a in tenant.alerts] == [(waiting["Id"], "Pending")]
    orch.wait(2.0)
    orch.client("Operations").get("/odata/Jobs")
    alerts = [(a.job_id, a.kind, a.folder_id) for a in tenant.alerts]
    assert alerts == [(waiting["Id"], "Pending", 9), (quick["Id"], "Running", 9)]
    assert "has been Running for more than" in tenant.alerts[1].message


# ----------------------------------------------------------------------------- Source


def test_an_unknown_source_is_refused(orch):
    refused(post(orch, "Operations", ReleaseName="SapInvoicePosting", Source="Startjob"), 400,
            1000, "Valid values: Manual")
    started = orch.start("Operations", ReleaseName="SapInvoicePosting", Source="CommandLine")
    assert (started["Source"], started["SourceType"]) == ("CommandLine", "CommandLine")
