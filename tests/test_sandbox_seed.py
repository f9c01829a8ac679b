"""The demo tenant's data, the --scale generator, tenant mutators, and ``serve``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid

import httpx
import pytest

from tui_app.orchestrator.models import Release
from tui_app.sandbox import DEMO, Sandbox, SandboxConfig, arguments_json
from tui_app.sandbox.seed import build_tenant


def client(sandbox, folder: str) -> httpx.Client:
    return httpx.Client(base_url=sandbox.orchestrator_url, verify=False, headers={
        "Authorization": f"Bearer {DEMO.personal_access_token}", "X-UIPATH-FolderPath": folder})


@pytest.fixture(scope="module")
def tenant():
    return build_tenant(SandboxConfig())


def test_folders_and_keys(tenant):
    summary = {f.id: (f.fully_qualified_name, f.classic, f.parent_id)
               for f in tenant.folders.values()}
    assert summary == {1: ("Shared", False, None), 2: ("Shared/Support", False, 1),
                       3: ("Finance", False, None), 4: ("Default", True, None),
                       8: ("Workshop", False, None), 9: ("Operations", False, None)}
    keys = [f.key for f in tenant.folders.values()] + [r.key for r in tenant.releases.values()]
    assert all(str(uuid.UUID(key)) == key for key in keys)
    assert len(set(keys)) == len(keys)
    assert build_tenant(SandboxConfig()).folders[2].key == tenant.folders[2].key  # fixed


def test_robots(tenant):
    robots = {r.id: (r.name, r.machine_name, r.state) for r in tenant.robots.values()}
    assert robots == {
        101: ("SUPPORT-BOT-01", "SUPPORT-VM-01", "Available"),
        102: ("SUPPORT-BOT-02", "SUPPORT-VM-02", "Busy"),
        103: ("SUPPORT-BOT-03", "SUPPORT-VM-03", "Disconnected"),
        201: ("PROD-BOT-01", "PROD-VM-01", "Available"),
        202: ("PROD-BOT-02", "PROD-VM-02", "Available"),
        301: ("svc-support-01", "SUPPORT-HOST-A", "Available"),
        302: ("svc-support-02", "SUPPORT-HOST-B", "Busy"),
        401: ("fin-bot-01", "FIN-HOST-A", "Available"),
        402: ("fin-bot-02", "FIN-HOST-B", "Disconnected"),
        104: ("NIGHT-BOT-01", "NIGHT-VM-01", "Busy"),
        801: ("ws-bot-01", "WS-HOST-A", "Available"),
        802: ("ada.lovelace", "WS-DESK-ADA", "Available"),
        803: ("ws-bot-nocreds", "WS-HOST-C", "Available"),
        701: ("sap-bot-01", "SAP-VM-01", "Available"),
        702: ("sap-bot-02", "SAP-VM-02", "Available"),
        703: ("sap-bot-03", "SAP-VM-03", "Disconnected"),
        704: ("ops-bot-01", "OPS-HOST-A", "Available"),
    }
    assert {e.id: (e.name, e.robot_ids) for e in tenant.environments.values()} == {
        11: ("QuickstartDemo", [101, 102, 103]), 12: ("Production", [201, 202]),
        15: ("Overnight", [104])}
    assert tenant.folder_robots == {1: [], 2: [301, 302], 3: [401, 402], 8: [801, 802, 803],
                                    9: [701, 702, 703, 704]}
    robots = tenant.robots
    assert (robots[802].type, robots[802].takes_unattended) == ("Attended", False)
    assert (robots[803].has_credentials, robots[803].takes_unattended) == (False, False)
    assert {i: robots[i].free_after for i in (102, 104, 302)} == {102: 30.0, 104: 30.0,
                                                                   302: 30.0}
    assert {i: robots[i].reconnect_after for i in (103, 402)} == {103: 20.0, 402: 20.0}
    assert tenant.machine_runtimes == {
        "SUPPORT-HOST-A": {"Unattended": 1, "NonProduction": 1},
        "SUPPORT-HOST-B": {"Unattended": 1, "NonProduction": 1},
        "FIN-HOST-A": {"Unattended": 1}, "FIN-HOST-B": {"Unattended": 1},
        "WS-HOST-A": {"Unattended": 1, "Headless": 1}, "WS-DESK-ADA": {},
        "WS-HOST-C": {"Unattended": 1}, "SAP-VM-01": {"Unattended": 1},
        "SAP-VM-02": {"Unattended": 1}, "SAP-VM-03": {"Unattended": 1},
        "OPS-HOST-A": {"Unattended": 1, "NonProduction": 1}}


def test_releases(tenant):
    releases = {r.name: r for r in tenant.releases.values()}
    assert {name: (r.folder_id, r.process_key, r.process_version, r.is_latest_version,
                   r.environment_id) for name, r in releases.items()} == {
        "SupportTriage_QuickstartDemo": (4, "SupportTriage", "1.0.1", True, 11),
        "SupportTriage_Production": (4, "SupportTriage", "1.0.0", False, 12),
        "CleanupTempFiles_QuickstartDemo": (4, "CleanupTempFiles", "2.3.0", True, 11),
        "ReportGenerator_QuickstartDemo": (4, "ReportGenerator", "1.4.0", True, 11),
        "HelloWorld": (1, "HelloWorld", "1.0.0", True, None),
        "PasswordReset": (2, "PasswordReset", "2.1.0", True, None),
        "InvoiceIntake": (3, "InvoiceIntake", "3.0.2", True, None),
        "ArgumentShowcase": (3, "ArgumentShowcase", "1.0.0", True, None),
        "NightlyBatch_Overnight": (4, "NightlyBatch", "1.2.0", True, 15),
        "FormFiller": (8, "FormFiller", "1.0.0", True, None),
        "MonthEndClose": (8, "MonthEndClose", "2.0.0", True, None),
        "LegacyErpSync": (8, "LegacyErpSync", "1.0.3", True, None),
        "SapInvoicePosting": (9, "SapInvoicePosting", "1.2.0", True, None),
        "OpsReportSuite": (9, "OpsReportSuite", "3.1.0", True, None),
        "AuditExport": (9, "AuditExport", "1.0.0", True, None),
        "UrgentPayments": (9, "UrgentPayments", "1.0.1", True, None),
    }
    assert releases["FormFiller"].requires_user_interaction
    month_end = releases["MonthEndClose"]
    assert (month_end.running_seconds, month_end.suspend_after, month_end.suspend_seconds) == (
        6.0, 2.0, 8.0)
    fault = releases["LegacyErpSync"].fault
    assert (fault.category, fault.title) == ("Deployment",
                                            "The workstation is in use by another user")

    def inputs(name):
        return [(a["name"], a["type"].split(",")[0], a["required"], a["hasDefault"])
                for a in json.loads(releases[name].arguments_input)]

    assert inputs("HelloWorld") == [("Name", "System.String", False, True)]
    assert inputs("PasswordReset") == [
        ("UserEmail", "System.String", True, False),
        ("NotifyManager", "System.Boolean", False, True),
        ("TicketOpened", "System.DateTimeOffset", False, False)]
    assert inputs("InvoiceIntake") == [
        ("InvoiceNumber", "System.String", True, False),
        ("Amount", "System.Decimal", True, False),
        ("Currency", "System.String", False, True)]
    assert inputs("ReportGenerator_QuickstartDemo") == [
        ("Region", "System.String", True, False),
        ("IncludeArchived", "System.Boolean", False, True),
        ("ReportDate", "System.DateTime", False, False)]
    assert releases["CleanupTempFiles_QuickstartDemo"].arguments_input is None


def test_argument_showcase_covers_every_kind(tenant):
    release = next(r for r in tenant.releases.values() if r.name == "ArgumentShowcase")
    text = release.arguments_input
    assert "\r\n  {\r\n    \"name\"" in text and "\n" not in text.replace("\r\n", "")
    types = {a["name"]: a["type"] for a in json.loads(text)}
    required = [a["name"] for a in json.loads(text) if a["required"]]
    assert required == ["Text", "Count"]
    assert types["Names"].startswith("System.Collections.Generic.List`1[[System.String, ")
    assert types["Settings"].startswith(
        "System.Collections.Generic.Dictionary`2[[System.String, mscorlib, Version=4.0.0.0, "
        "Culture=neutral, PublicKeyToken=b77a5c561934e089],[System.Object, mscorlib")
    assert types["Rows"].startswith("System.Data.DataTable, System.Data, Version=4.0.0.0")
    assert types["Payload"] == ("Newtonsoft.Json.Linq.JObject, Newtonsoft.Json, Version=13.0.0.0,"
                                " Culture=neutral, PublicKeyToken=30ad4fe6b2a6aeed")
    assert types["MaybeCount"].startswith("System.Nullable`1[[System.Int32, mscorlib")
    assert types["Custom"].endswith("PublicKeyToken=null")
    assert types["Tags"].startswith("System.String[], ")
    assert types["Scores"].startswith("System.Int32[], System.Private.CoreLib, Version=8.0.0.0")
    assert {t.split(", ", 1)[1] for t in types.values() if t.count(",") == 4} >= {
        "mscorlib, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089",
        "System.Private.CoreLib, Version=8.0.0.0, Culture=neutral, "
        "PublicKeyToken=7cec85d7bea7798e"}


def test_arguments_json():
    assert arguments_json([]) is None
    assert arguments_json([{"name": "A"}]) == '[{"name":"A"}]'
    assert arguments_json([{"name": "A"}], pretty=True) == '[\r\n  {\r\n    "name": "A"\r\n  }\r\n]'


# ----------------------------------------------------------------------------- scale


def test_scale_builds_fast():
    began = time.perf_counter()
    tenant = build_tenant(SandboxConfig(scale=10_000))
    assert time.perf_counter() - began < 2.0
    scale = tenant.folder_by_path("Scale")
    assert scale.classic and scale.id == 5
    assert len(tenant.releases_in(scale)) == 10_000
    assert len(tenant.robots_in_folder(scale)) == 5_000
    states = {r.state for r in tenant.robots_in_folder(scale)}
    assert states == {"Available", "Busy", "Disconnected"}
    assert len({r.key for r in tenant.releases.values()}) == 10_016


def test_scale_over_http():
    with Sandbox(SandboxConfig(scale=2_000)) as sandbox, client(sandbox, "Scale") as http:
        page = http.get("/odata/Releases", params={
            "$top": "25", "$skip": "50", "$orderby": "Name", "$select": "Name"}).json()
        assert page["@odata.count"] == 2_000
        assert [r["Name"] for r in page["value"]][:2] == ["Process00051_ScaleEnv",
                                                          "Process00052_ScaleEnv"]
        found = http.get("/odata/Releases", params={
            "$filter": "contains(Name, '0199')"}).json()
        release = Release.from_api(found["value"][0])
        assert release.environment_name == "ScaleEnv"
        assert [a["name"] for a in json.loads(release.arguments_input)] == ["InputText", "Count"]
        job = http.post("/odata/Jobs/UiPath.Server.Configuration.OData.StartJobs", json={
            "startInfo": {"ReleaseKey": release.key, "Strategy": "JobsCount", "JobsCount": 5}})
        assert job.status_code == 201 and len(job.json()["value"]) == 5


# ----------------------------------------------------------------------------- hostile


def test_hostile_is_opt_in(tenant):
    assert "Hostile" not in {f.fully_qualified_name for f in tenant.folders.values()}
    assert SandboxConfig().hostile is False


def test_hostile_folders_robots_and_releases():
    from tui_app.sandbox import hostile

    tenant = build_tenant(SandboxConfig(hostile=True, scale=4))
    folder = tenant.folder_by_path("Hostile")
    assert (folder.id, folder.classic) == (6, True)
    sub = tenant.folders[7]
    assert (sub.parent_id, sub.classic, sub.fully_qualified_name) == (
        6, False, "Hostile/" + hostile.HOSTILE_SUBFOLDER)
    assert tenant.folder_by_path("Scale").id == 5  # both generators together
    environment = tenant.environments[14]
    assert (environment.folder_id, environment.name) == (6, hostile.HOSTILE_ENVIRONMENT)
    assert [(r.id, r.name, r.machine_name, r.state) for r in
            tenant.robots_of(environment.robot_ids)] == list(hostile.HOSTILE_ROBOTS)
    assert [r.name for r in tenant.robots_in_folder(sub)] == [hostile.MARKUP, hostile.RTL]
    releases = tenant.releases_in(folder)
    by_name = {r.name: r for r in releases}
    assert len(releases) == len(hostile.HOSTILE_STRINGS) + 2
    for text in hostile.HOSTILE_STRINGS:
        release = by_name[text]
        assert (release.process_key, release.description, release.environment_id) == (
            text, text, 14)
    arguments = by_name["HostileArguments"]
    assert arguments.key == hostile.HOSTILE_ARGUMENTS_KEY
    assert [a["name"] for a in json.loads(arguments.arguments_input)] == list(
        hostile.HOSTILE_ARGUMENT_NAMES)
    assert json.loads(arguments.input_arguments) == {"Plain": hostile.HOSTILE_FAILURE_VALUE}
    assert by_name["HostileRefusal"].start_error == hostile.HOSTILE_ERROR
    keys = [r.key for r in tenant.releases.values()]
    assert len(set(keys)) == len(keys)
    assert all(str(uuid.UUID(k)) == k for k in keys)
    # The demo data is untouched.
    assert {f.id for f in tenant.folders.values()} == {1, 2, 3, 4, 5, 6, 7, 8, 9}
    assert build_tenant(SandboxConfig(hostile=True, scale=4)).releases_in(folder)[0].key == \
        releases[0].key  # seeded keys repeat


def test_hostile_over_http():
    from tui_app.sandbox import hostile

    with Sandbox(SandboxConfig(hostile=True)) as sandbox, client(sandbox, "Hostile") as http:
        body = http.get("/odata/Releases", params={
            "$filter": "ProcessKey eq 'Quote O''Brien''s \"report\"'"}).json()
        assert [r["Name"] for r in body["value"]] == [hostile.QUOTES]
        nul = http.get("/odata/Releases", params={
            "$filter": f"Name eq '{hostile.CONTROL}'"}).json()
        assert [r["Description"] for r in nul["value"]] == [hostile.CONTROL]
        refused = http.post("/odata/Jobs/UiPath.Server.Configuration.OData.StartJobs", json={
            "startInfo": {"ReleaseKey": hostile.HOSTILE_REFUSAL_KEY, "Strategy": "All"}})
        assert refused.status_code == 409 and refused.json()["message"] == hostile.HOSTILE_ERROR
        started = http.post("/odata/Jobs/UiPath.Server.Configuration.OData.StartJobs", json={
            "startInfo": {"ReleaseKey": hostile.HOSTILE_ARGUMENTS_KEY, "Strategy": "Specific",
                          "RobotIds": [501]}})
        assert started.status_code == 201
        job = sandbox.tenant.jobs[started.json()["value"][0]["Id"]]
        assert hostile.HOSTILE_FAILURE_VALUE in job.fault.info


# ----------------------------------------------------------------------------- mutators


def test_release_changes_show_on_the_wire(sandbox):
    with client(sandbox, "Shared") as http:
        before = http.get("/odata/Releases(5)").json()
        assert before["ProcessVersion"] == "1.0.0"
        sandbox.tenant.update_release(
            5, process_version="1.1.0", is_latest_version=False,
            arguments_input=arguments_json([{"name": "Greeting", "type": "System.String",
                                             "required": True, "hasDefault": False}]),
            input_arguments='{"Greeting":"Hi"}')
        after = http.get("/odata/Releases(5)").json()
        assert (after["ProcessVersion"], after["IsLatestVersion"]) == ("1.1.0", False)
        assert json.loads(after["Arguments"]["Input"])[0]["name"] == "Greeting"
        assert after["InputArguments"] == '{"Greeting":"Hi"}'
        sandbox.tenant.remove_release(5)
        assert http.get("/odata/Releases(5)").status_code == 404
    with pytest.raises(TypeError):
        sandbox.tenant.update_release(6, colour="blue")


def test_robot_changes_show_on_the_wire(sandbox):
    tenant = sandbox.tenant
    with client(sandbox, "Default") as http:
        tenant.rename_robot(102, "SUPPORT-BOT-02B")
        tenant.remove_robot(103)
        added = tenant.add_robot("SUPPORT-BOT-04", "SUPPORT-VM-04", "Available",
                                 environment_id=11)
        body = http.get("/odata/Environments", params={"$expand": "Robots"}).json()
        names = [r["Name"] for r in body["value"][0]["Robots"]]
        assert names == ["SUPPORT-BOT-01", "SUPPORT-BOT-02B", "SUPPORT-BOT-04"]
        assert added.id == 804 and added.username == "SANDBOX\\support-bot-04"
        tenant.set_robot_state(101, "Disconnected")
        sessions = http.get("/odata/Sessions").json()["value"]
        assert {s["Robot"]["Id"]: s["State"] for s in sessions if s["OrganizationUnitId"] == 4}[
            101] == "Disconnected"
    with client(sandbox, "Shared") as http:
        tenant.add_robot("svc-shared", "SHARED-HOST", folder_id=1)
        response = http.post("/odata/Jobs/UiPath.Server.Configuration.OData.StartJobs",
                             json={"startInfo": {"ReleaseName": "HelloWorld"}})
        assert response.status_code == 201
    with pytest.raises(ValueError):
        tenant.set_robot_state(101, "Sleepy")
    with pytest.raises(ValueError):
        tenant.add_robot("x", "y", folder_id=1, environment_id=11)
    with pytest.raises(ValueError):
        tenant.add_robot("x", "y", folder_id=4)


def test_job_timings_follow_the_tenant(sandbox):
    sandbox.tenant.job_pending_seconds = 0
    sandbox.tenant.job_running_seconds = 60
    with client(sandbox, "Finance") as http:
        job = http.post("/odata/Jobs/UiPath.Server.Configuration.OData.StartJobs",
                        json={"startInfo": {"ReleaseName": "InvoiceIntake"}}).json()["value"][0]
        assert job["State"] == "Pending"  # the start answer shows the jobs as created
        assert http.get(f"/odata/Jobs({job['Id']})").json()["State"] == "Running"


# ----------------------------------------------------------------------------- serve


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT")
def test_serve_prints_urls_and_credentials_and_stops_on_ctrl_c():
    code = ("from tui_app.sandbox import serve, SandboxConfig, parse_faults; "
            "raise SystemExit(serve('127.0.0.1', 0, SandboxConfig(scale=3, "
            "faults=parse_faults('503=0.5'))))")
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True,
                               cwd=os.path.dirname(os.path.dirname(__file__)))
    try:
        lines = []
        while not lines or not lines[-1].startswith("Press Ctrl+C"):
            line = process.stdout.readline()
            assert line, process.stderr.read()
            lines.append(line.strip())
        text = "\n".join(lines)
        for needle in ("/demo/DefaultTenant/orchestrator_", "/identity_/connect/token",
                       "demo-client", "demo-secret", "tenancy Default", "user admin",
                       "password demo", "demo-pat", "3 releases", "Injected faults: 503=0.5"):
            assert needle in text
        url = text.split("Orchestrator URL (standalone):")[1].split()[0]
        response = httpx.post(url + "/api/Account/Authenticate", verify=False,
                              json={"usernameOrEmailAddress": "admin", "password": "demo"})
        assert response.json()["success"] is True
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
        assert "Sandbox stopped." in process.stdout.read()
        assert process.stderr.read() == ""
    finally:
        process.kill()


def test_serve_reports_a_busy_port(capsys):
    from tui_app.sandbox import serve

    with Sandbox() as running:
        assert serve("127.0.0.1", running.port) == 1
    assert "Cannot start the sandbox" in capsys.readouterr().err


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT")
def test_a_ctrl_c_while_the_banner_is_printed_still_stops_cleanly(monkeypatch, capsys):
    """CI saw exit -2: a Ctrl+C landing before the wait loop escaped as KeyboardInterrupt."""
    from tui_app.sandbox import server

    banner = server._banner

    def banner_then_ctrl_c(sandbox):
        os.kill(os.getpid(), signal.SIGINT)
        return banner(sandbox)

    monkeypatch.setattr(server, "_banner", banner_then_ctrl_c)
    handler = signal.getsignal(signal.SIGINT)
    assert server.serve("127.0.0.1", 0, SandboxConfig()) == 0
    assert "Sandbox stopped." in capsys.readouterr().out
    assert signal.getsignal(signal.SIGINT) is handler
