"""``startjob jobs/watch/logs/stop/kill/restart/resume`` over loopback against the sandbox (its
RobotLogs, RestartJob and ResumeJob too); one ``httpx.MockTransport`` test for what the sandbox
never sends (a RobotLogs answer without ``@odata.count``)."""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid

import httpx
import pytest

from tui_app import jobs_cli, replay
from tui_app.cli import main
from tui_app.following import FollowPolicy
from tui_app.history import HistoryEntry, HistoryJob, append_entry, read_entries
from tui_app.orchestrator import DEFAULT_SCOPES, FolderContext, OrchestratorClient, TokenAuth
from tui_app.sandbox import SandboxConfig

RELEASE_KEY = "99587436-4ce5-480d-988c-6d7f43787a2c"  # SupportTriage_QuickstartDemo, Default
DEFAULT = FolderContext(id=4, path="Default")
MOCK_URL = "https://orch.test/org/tenant/orchestrator_"
FAST = FollowPolicy(first=0.05, factor=1.5, longest=0.2)
#: Jobs that stay Running while a test acts on them (a loaded machine is slow).
LONG_RUNNING = pytest.mark.parametrize(
    "sandbox_config", [SandboxConfig(job_pending_seconds=0, job_running_seconds=60,
                                     stop_seconds=0.2)])


@pytest.fixture(autouse=True)
def fast(monkeypatch):
    monkeypatch.setattr(replay, "FOLLOW", FAST)
    monkeypatch.setattr(jobs_cli, "FOLLOW", FAST)


@pytest.fixture
def connected(sandbox, monkeypatch):
    monkeypatch.setenv("UIPATH_URL", sandbox.orchestrator_url)
    monkeypatch.setenv("UIPATH_CLIENT_ID", "demo-client")
    monkeypatch.setenv("UIPATH_CLIENT_SECRET", "demo-secret")
    return sandbox


@pytest.fixture
def cli(capsys):
    def run(*argv):
        code = main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


RESET_KEY = "b8c1d4e7-5f2a-4c9b-a6d3-e0f7a4b1c856"  # PasswordReset, modern Shared/Support


def start(sandbox, count=1, arguments=None, folder=DEFAULT):
    """Start ``count`` jobs in the sandbox's Default folder (or PasswordReset in folder 2)."""
    async def go():
        auth = TokenAuth(sandbox_token())
        modern = folder.id == 2
        strategy = {"ReleaseKey": RESET_KEY, "Strategy": "ModernJobsCount"} if modern else {
            "ReleaseKey": RELEASE_KEY, "Strategy": "JobsCount"}
        async with OrchestratorClient(sandbox.orchestrator_url, auth, folder=folder) as client:
            return await client.start_jobs({
                **strategy, "JobsCount": count,
                "Reference": f"startjob:{uuid.uuid4()}",
                "InputArguments": json.dumps(arguments or ({"UserEmail": "a@b.c"} if modern else
                                                           {"IncidentId": "INC1"}))})

    return asyncio.run(go())


def sandbox_token() -> str:
    from tui_app.sandbox import DEMO

    return DEMO.personal_access_token


def record(sandbox, jobs, url=None, folder_id=4, folder="Default") -> HistoryEntry:
    return append_entry(HistoryEntry(
        source="headless", process_key="SupportTriage", folder=folder, folder_id=folder_id,
        jobs=tuple(HistoryJob(job.id, job.key) for job in jobs),
        orchestrator_url=url or sandbox.orchestrator_url, template_name="Triage",
        reference=jobs[0].reference if jobs else None))


def wait_ended(sandbox, seconds=0.9):
    time.sleep(seconds)  # pending 0.2 + running 0.4 (conftest's sandbox_config)


# -- startjob jobs ---------------------------------------------------------------------------


def test_jobs_lists_the_folder_newest_first_in_one_request(connected, cli):
    first, = start(connected)
    second, = start(connected)
    before = connected.count("GET /odata/Jobs")
    code, out, err = cli("jobs", "--folder", "Default")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["Id", "State", "Process"]
    assert [line.split()[0] for line in lines[2:4]] == [str(second.id), str(first.id)]
    assert max(len(line) for line in lines) <= 80
    assert connected.count("GET /odata/Jobs") - before == 1
    (query,) = [r for r in connected.request_log if r.route == "GET /odata/Jobs"][-1:]
    assert "CreationTime desc" in str(query.query)


@pytest.mark.parametrize("sandbox_config", [SandboxConfig(job_pending_seconds=30)])
def test_jobs_filters_and_json(connected, cli):
    job, = start(connected)
    code, out, _ = cli("jobs", "--folder", "Default", "--state", "pending", "--process",
                       "triage", "--since", "1h", "--limit", "5", "--output", "json")
    data = json.loads(out)
    assert code == 0 and data["exit_code"] == 0
    assert [j["Id"] for j in data["jobs"]] == [job.id]
    assert data["jobs"][0]["Url"].endswith(
        f"/jobs(sidepanel:sidepanel/jobs/{job.key}/details)?fid=4")


def test_jobs_mine_keeps_only_the_history_jobs(connected, cli):
    mine, = start(connected)
    start(connected)  # not started by startjob
    record(connected, [mine])
    code, out, _ = cli("jobs", "--folder", "Default", "--mine", "--output", "json")
    assert code == 0
    assert [j["Id"] for j in json.loads(out)["jobs"]] == [mine.id]


def test_jobs_needs_a_folder_and_a_known_one(connected, cli):
    code, _, err = cli("jobs")
    assert code == 2 and "--folder" in err
    code, _, err = cli("jobs", "--folder", "Nowhere")
    assert code == 2 and "There is no folder 'Nowhere'" in err


# -- startjob watch and the REF forms --------------------------------------------------------


@pytest.mark.parametrize("form", ["id", "key", "reference", "history"])
def test_watch_every_ref_form(connected, cli, form):
    job, = start(connected)
    entry = record(connected, [job])
    ref = {"id": str(job.id), "key": job.key, "reference": job.reference, "history": "@1"}[form]
    code, out, err = cli("watch", ref)
    assert code == 0, err
    assert "All 1 job(s) ended Successful." in out
    assert f"Job {job.id}" in out and "output:" in out
    assert f"jobs(sidepanel:sidepanel/jobs/{job.key}/details)?fid=4" in out
    if form == "history":  # the entry learns its final state
        assert read_entries()[0].jobs[0].state == "Successful"
        assert read_entries()[0].id == entry.id


def test_watch_an_entry_with_several_jobs_polls_them_together(connected, cli):
    jobs = start(connected, count=3)
    record(connected, jobs)
    code, out, err = cli("watch", "@1", "--output", "json")
    data = json.loads(out)
    assert code == 0 and data["exit_code"] == 0, err
    assert [j["State"] for j in data["jobs"]] == ["Successful"] * 3
    polls = [r for r in connected.request_log if r.route == "GET /odata/Jobs"]
    assert all("Id in" in str(r.query) for r in polls)


def test_watch_exit_1_when_a_job_faults(connected, cli):
    job, = start(connected, arguments={"IncidentId": "FAIL please"})
    code, out, err = cli("watch", str(job.id), "--folder", "Default")
    assert code == 1
    assert f"Job {job.id} ended Faulted" in err


def test_watch_timeout_is_exit_5(connected, cli):
    job, = start(connected)
    code, _, err = cli("watch", str(job.id), "--timeout", "0.05")
    assert code == 5 and "Timed out" in err


def test_unknown_job_and_job_in_another_folder(connected, cli):
    job, = start(connected)
    code, _, err = cli("watch", "99999")
    assert code == 4 and "There is no job 99999 in any folder you can see." in err
    code, _, err = cli("watch", str(job.id), "--folder", "Shared")
    assert code == 4
    assert f"Job {job.id} is in folder 'Default', not in 'Shared': add --folder Default" in err
    code, _, err = cli("logs", str(uuid.uuid4()), "--folder", "Default")
    assert code == 4 and "nor in any other folder" in err


def test_malformed_and_out_of_range_refs(connected, cli):
    code, _, err = cli("watch", "@0")
    assert code == 2 and "count from @1" in err
    code, _, err = cli("watch", "@x")
    assert code == 2 and "a history entry is @ and a number" in err
    code, _, err = cli("watch", "@3")
    assert code == 2 and "the history has 0 start(s) yet" in err


def test_an_entry_of_another_orchestrator_is_refused(connected, cli):
    job, = start(connected)
    record(connected, [job], url="https://cloud.uipath.com/other/Tenant/orchestrator_")
    code, _, err = cli("watch", "@1")
    assert code == 2
    assert "@1 was started on https://cloud.uipath.com/other/Tenant/orchestrator_" in err
    assert connected.count("GET /odata/Jobs") == 0


def test_jobs_of_several_folders_are_refused(connected, cli):
    job, = start(connected)
    modern, = start(connected, folder=FolderContext(id=2))  # Shared/Support
    code, _, err = cli("watch", str(job.id), str(modern.id))
    assert code == 2 and "different folders" in err


def test_watch_does_not_import_textual(connected, tmp_path):
    import subprocess
    import sys

    job, = start(connected)
    code = ("import sys; from tui_app.cli import main; rc = main(['watch', "
            f"{str(job.id)!r}]); assert 'textual' not in sys.modules; sys.exit(rc)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


# -- startjob stop / kill --------------------------------------------------------------------


@LONG_RUNNING
def test_stop_needs_yes_without_a_terminal(connected, cli, monkeypatch):
    monkeypatch.setattr(jobs_cli, "_is_terminal", lambda: False)
    job, = start(connected)
    code, _, err = cli("stop", str(job.id))
    assert code == 2 and "add --yes" in err
    assert connected.count("POST /odata/Jobs/UiPath.Server.Configuration.OData.StopJobs") == 0


@LONG_RUNNING
def test_stop_with_yes(connected, cli):
    job, = start(connected)
    code, out, err = cli("stop", str(job.id), "--yes")
    assert code == 0, err
    assert f"Asked Orchestrator to stop job(s) {job.id}" in out
    (request,) = [r for r in connected.request_log
                  if r.route == "POST /odata/Jobs/UiPath.Server.Configuration.OData.StopJobs"]
    assert json.loads(request.body) == {"jobIds": [job.id], "strategy": "SoftStop"}
    code, out, _ = cli("watch", str(job.id))
    assert code == 1 and "Stopped" in out


@LONG_RUNNING
@pytest.mark.parametrize("answer, expected", [("y\n", 0), ("\n", 1)])
def test_kill_asks_on_a_terminal(connected, cli, monkeypatch, answer, expected):
    monkeypatch.setattr(jobs_cli, "_is_terminal", lambda: True)
    asked = []
    monkeypatch.setattr(jobs_cli, "_ask", lambda question: asked.append(question) or answer)
    job, = start(connected)
    record(connected, [job])
    code, _, err = cli("kill", "@1")
    assert code == expected
    assert asked and asked[0].startswith("Kill 1 job(s) in folder 'Default'")
    kills = [json.loads(r.body) for r in connected.request_log
             if r.route == "POST /odata/Jobs/UiPath.Server.Configuration.OData.StopJobs"]
    assert kills == ([{"jobIds": [job.id], "strategy": "Kill"}] if expected == 0 else [])
    if expected:
        assert "Nothing was killed." in err


def test_stop_a_job_that_ended_does_nothing(connected, cli):
    job, = start(connected)
    wait_ended(connected)
    code, out, _ = cli("stop", str(job.id), "--yes")
    assert code == 0 and "already ended Successful: nothing to stop" in out


@LONG_RUNNING
def test_restart_refuses_a_running_job(connected, cli):
    job, = start(connected)
    code, _, err = cli("restart", str(job.id))
    assert code == 4 and "only a job that ended" in err


def test_resume_refuses_a_job_that_is_not_suspended(connected, cli):
    job, = start(connected)
    code, _, err = cli("resume", str(job.id))
    assert code == 4 and "only a Suspended job can be resumed" in err


def test_logs_restart_resume_take_one_job(connected, cli):
    record(connected, start(connected, count=2))
    for command in ("logs", "restart", "resume"):
        code, _, err = cli(command, "@1")
        assert code == 2 and "stands for 2 jobs" in err


# -- startjob logs / restart / resume against the sandbox ----------------------------------

#: The default scopes and the ones RobotLogs (OR.Monitoring) and GetCurrentUser (OR.Users) need.
LOG_SCOPES = DEFAULT_SCOPES + " OR.Monitoring.Read OR.Users.Read"
LOGS_ROUTE = "GET /odata/RobotLogs"
WORKSHOP = FolderContext(id=8, path="Workshop")
LINE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d  (\w+) +(.*)\Z")


@pytest.fixture
def monitoring(connected, monkeypatch):
    """``connected`` with a token that may read robot logs and the current user."""
    monkeypatch.setenv("UIPATH_SCOPE", LOG_SCOPES)
    return connected


def start_release(sandbox, name, folder=WORKSHOP, arguments=None):
    """Start one job of release ``name`` in a modern folder (Workshop by default)."""
    async def go():
        async with OrchestratorClient(sandbox.orchestrator_url, TokenAuth(sandbox_token()),
                                      folder=folder) as client:
            info = {"ReleaseName": name, "Reference": f"startjob:{uuid.uuid4()}"}
            if arguments:
                info["InputArguments"] = json.dumps(arguments)
            return await client.start_jobs(info)

    (job,) = asyncio.run(go())
    return job


def later(sandbox, seconds):
    """Move the sandbox's clock ``seconds`` ahead of real time (jobs end without waiting)."""
    sandbox.tenant.clock = lambda: time.time() + seconds


def state(sandbox, job) -> str:
    tenant = sandbox.tenant
    with tenant.lock:
        tenant.advance(tenant.clock())
        return tenant.jobs[job.id].state


def wait_for(sandbox, job, wanted, seconds=5.0):
    deadline = time.monotonic() + seconds
    while state(sandbox, job) != wanted:
        assert time.monotonic() < deadline, f"job {job.id} is {state(sandbox, job)}"
        time.sleep(0.02)


def log_requests(sandbox) -> list:
    return [r.query for r in sandbox.request_log if r.route == LOGS_ROUTE]


def parsed(out: str) -> list:
    """(level, message) of each log line printed (a continuation line joins its message)."""
    lines: list = []
    for text in out.splitlines():
        match = LINE.match(text)
        if match:
            lines.append([match.group(1), match.group(2)])
        elif text.startswith(" ") and lines:
            lines[-1][1] += "\n" + text.strip()
    return [tuple(line) for line in lines]


def test_logs_oldest_first_with_errors_in_words(monitoring, cli):
    job, = start(monitoring, arguments={"IncidentId": "FAIL please"})
    wait_ended(monitoring)
    code, out, err = cli("logs", str(job.id))
    assert code == 0, err
    lines = parsed(out)
    assert lines[0] == ("Info", "SupportTriage_QuickstartDemo execution started")
    assert ("Trace", "Sequence Executing") in lines
    assert ("Warn", "Incident FAIL please: the ticket system answered slowly; retrying "
                    "once.") in lines
    assert lines[-2] == ("ERROR", "Execution error : System.Exception: Demo failure requested "
                                  "by input IncidentId=FAIL please\n"
                                  "at UiPath.Sandbox.Demo.Fail(String argument)\n"
                                  "at Main.xaml: Throw")
    assert lines[-1] == ("Info", "SupportTriage_QuickstartDemo execution ended")
    assert len(lines) == 15 and len(out.splitlines()) == 17  # 12 activities, 3 events
    assert "                              at UiPath.Sandbox.Demo.Fail" in out  # indented
    (request,) = log_requests(monitoring)
    assert request["$filter"] == f"JobKey eq {job.key}"
    assert request["$top"] == "100" and request["$orderby"] == "TimeStamp desc"


def test_logs_level_error_on_a_faulted_job(monitoring, cli):
    job = start_release(monitoring, "LegacyErpSync")
    wait_for(monitoring, job, "Faulted")
    code, out, err = cli("logs", job.key, "--level", "Error")
    assert code == 0, err
    (line,) = parsed(out)
    assert line[0] == "FATAL" and line[1].startswith("Could not start executor. The "
                                                     "workstation is in use by another user")
    code, out, _ = cli("logs", str(job.id), "--level", "Error", "--folder", "Workshop",
                       "--output", "json")
    data = json.loads(out)
    assert code == 0 and [x["Level"] for x in data["lines"]] == ["Fatal"]
    assert data["lines"][0]["RobotName"] == "ws-bot-01"
    assert data["lines"][0]["HostMachineName"] == "WS-HOST-A"


def test_logs_level_and_limit(monitoring, cli):
    job, = start(monitoring, arguments={"IncidentId": "FAIL twice"})
    wait_ended(monitoring)
    code, out, _ = cli("logs", job.key, "--level", "warn", "--limit", "2", "--output", "json")
    data = json.loads(out)
    assert code == 0
    assert [line["Level"] for line in data["lines"]] == ["Warn", "Error"]
    assert data["lines"][1]["Message"].startswith("Execution error : System.Exception")
    assert "(Level eq 'Warn' or Level eq 'Error' or Level eq 'Fatal')" in log_requests(
        monitoring)[0]["$filter"]


def test_logs_limit_0_pages_through_everything(monitoring, cli, monkeypatch):
    monkeypatch.setattr(OrchestratorClient, "page_size", 4)
    job, = start(monitoring)
    wait_ended(monitoring)
    code, out, _ = cli("logs", str(job.id), "--limit", "0")
    assert code == 0
    lines = parsed(out)
    assert len(lines) == 14 and lines[-1] == ("Info", "SupportTriage_QuickstartDemo "
                                                      "execution ended")
    assert [(r["$skip"], r["$top"]) for r in log_requests(monitoring)] == [
        ("0", "4"), ("4", "4"), ("8", "4"), ("12", "4")]



def test_logs_json_is_written_as_the_pages_arrive_and_still_closed_after_a_failure(
        monitoring, cli, monkeypatch):
    """``--limit 0 --output json`` writes each page before asking for the next (a job of
    100,000 lines is never held in memory), and a failure on a later page still ends in one
    valid object with the lines so far, the error and its exit code."""
    import sys

    from tui_app.orchestrator.errors import ServerError

    job = start_release(monitoring, "MonthEndClose")
    later(monitoring, 60)
    read_pages = OrchestratorClient.robot_logs
    written_before = []

    async def robot_logs(self, *args, **kwargs):
        written_before.append(sys.stdout.getvalue().count('"Message"'))
        if len(written_before) == 2:
            raise ServerError("Orchestrator answered 503.", status=503)
        return await read_pages(self, *args, **kwargs)

    monkeypatch.setattr(OrchestratorClient, "robot_logs", robot_logs)
    code, out, err = cli("logs", job.key, "--limit", "0", "--output", "json")
    assert written_before == [0, 1000]
    data = json.loads(out)
    assert len(data["lines"]) == 1000 and data["job"]["Id"] == job.id
    assert data["exit_code"] == code == 3 and len(data["errors"]) == 1
    assert data["folder"]["Path"] == "Workshop"

def test_logs_of_a_long_job_need_more_than_one_page(monitoring, cli):
    job = start_release(monitoring, "MonthEndClose")
    later(monitoring, 60)
    assert state(monitoring, job) == "Successful"
    code, out, err = cli("logs", job.key, "--limit", "0", "--output", "json")
    assert code == 0, err
    lines = json.loads(out)["lines"]
    assert len(lines) == 1504
    assert [line["Message"] for line in lines[:1]] == ["MonthEndClose execution started"]
    assert "MonthEndClose execution resumed" in [line["Message"] for line in lines]
    assert [(r["$skip"], r["$top"]) for r in log_requests(monitoring)] == [
        ("0", "1000"), ("1000", "1000")]


class Ticking:
    """A sandbox clock that moves ``step`` seconds each time it is read (each request reads
    it once): the job's progress follows the requests, however slow the machine is."""

    def __init__(self, step: float) -> None:
        self.now, self.step = time.time(), step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


@pytest.mark.parametrize("sandbox_config", [SandboxConfig(job_pending_seconds=0,
                                                          job_running_seconds=1.5)])
def test_logs_follow_tails_a_running_job_until_it_ends(monitoring, cli):
    monitoring.tenant.clock = Ticking(0.05)  # ~30 requests from its start to its end
    job, = start(monitoring)
    wait_for(monitoring, job, "Running")
    code, out, err = cli("logs", str(job.id), "--follow")
    assert code == 0, err
    lines = parsed(out)
    assert lines[0] == ("Info", "SupportTriage_QuickstartDemo execution started")
    assert lines[-1] == ("Info", "SupportTriage_QuickstartDemo execution ended")
    assert len(lines) == 14  # every line once, in order
    assert out.splitlines()[-1] == f"Job {job.id} is Successful."
    skips = [int(r["$skip"]) for r in log_requests(monitoring)]
    assert skips == sorted(skips) and len({s for s in skips if 0 < s < 14}) >= 2  # it grew
    assert any(r.route == "GET /odata/Jobs({id})" for r in monitoring.request_log)


def test_logs_without_the_monitoring_scope_says_which_it_needs(connected, cli, monkeypatch):
    monkeypatch.setenv("UIPATH_SCOPE", "OR.Folders.Read OR.Jobs")
    job, = start(connected)
    code, _, err = cli("logs", str(job.id))
    assert code == 4
    assert "needs the scope 'OR.Monitoring' or 'OR.Monitoring.Read'" in err


def test_restart_at_1(monitoring, cli):
    old, = start(monitoring)
    record(monitoring, [old])
    wait_ended(monitoring)
    code, out, err = cli("restart", "@1")
    assert code == 0, err
    (request,) = [r for r in monitoring.request_log
                  if r.route == "POST /odata/Jobs/UiPath.Server.Configuration.OData.RestartJob"]
    assert json.loads(request.body) == {"jobId": old.id}
    latest = read_entries()[0]
    new_id = latest.jobs[0].id
    assert new_id != old.id
    assert (f"Restarted job {old.id} as job {new_id} (Pending); follow it with 'startjob watch "
            "@1'") in out
    assert f"jobs(sidepanel:sidepanel/jobs/{latest.jobs[0].key}/details)?fid=4" in out
    assert latest.strategy == "Restart" and latest.folder_id == 4
    assert latest.orchestrator_url == monitoring.orchestrator_url
    assert latest.identity["user_name"] == "demo-client"
    assert latest.reference == old.reference
    code, out, err = cli("watch", "@1")
    assert code == 0 and "All 1 job(s) ended Successful." in out, err


def test_restart_refuses_a_suspended_job(monitoring, cli):
    monitoring.tenant.update_release(11, suspend_after=0.1, suspend_seconds=600)
    job = start_release(monitoring, "MonthEndClose")
    wait_for(monitoring, job, "Suspended")
    code, _, err = cli("restart", str(job.id), "--output", "json")
    assert code == 4
    assert f"Job {job.id} is Suspended: only a job that ended" in err
    assert monitoring.count("POST /odata/Jobs/UiPath.Server.Configuration.OData.RestartJob") == 0


def test_resume_the_suspended_month_end_close(monitoring, cli):
    monitoring.tenant.update_release(11, suspend_after=0.1, suspend_seconds=600)
    job = start_release(monitoring, "MonthEndClose")
    record(monitoring, [job], folder_id=8, folder="Workshop")
    wait_for(monitoring, job, "Suspended")
    code, out, err = cli("resume", "@1", "--output", "json")
    assert code == 0, err
    (request,) = [r for r in monitoring.request_log
                  if r.route == "POST /odata/Jobs/UiPath.Server.Configuration.OData.ResumeJob"]
    assert json.loads(request.body) == {"jobKey": job.key}
    assert json.loads(out)["job"]["State"] in ("Resumed", "Running")
    code, out, _ = cli("logs", "@1", "--level", "Info")
    assert ("Info", "MonthEndClose execution resumed") in parsed(out)
    assert any("the job is suspended" in message for _, message in parsed(out))


def log_dto(key: str, number: int, level: str = "Info", message: str = "") -> dict:
    """A ``LogDto`` as Orchestrator sends it (Id 0, RuntimeType null seen in practice)."""
    stamp = f"2025-04-14T12:{number // 60:02d}:{number % 60:02d}.6730769Z"
    text = message or f"line {number}"
    return {"Level": level, "WindowsIdentity": "SUPPORT-VM-01\\robot", "ProcessName":
            "SupportTriage_QuickstartDemo", "TimeStamp": stamp, "Message": text,
            "JobKey": key, "RawMessage": json.dumps({"message": text, "level": level}),
            "RobotName": "SUPPORT-BOT-01", "HostMachineName": "SUPPORT-VM-01",
            "MachineId": 7, "MachineKey": "8a0f4a5e-0c9b-4e33-9c4e-2b8a3c1f9d10",
            "RuntimeType": None, "Id": 0}


def job_dto(job_id: int, key: str, state: str, folder_id: int = 4) -> dict:
    """A ``JobDto`` (the fields this client reads, as Orchestrator sends them)."""
    return {"Key": key, "StartTime": None, "EndTime": None, "State": state,
            "Robot": None, "Source": "Manual", "Info": None, "CreationTime":
            "2025-04-14T12:00:00.1234567Z", "ReleaseName": "SupportTriage_QuickstartDemo",
            "InputArguments": '{"IncidentId":"INC1"}', "OutputArguments": None,
            "HostMachineName": None, "OrganizationUnitId": folder_id,
            "OrganizationUnitFullyQualifiedName": "Default", "Reference": "startjob:r",
            "Id": job_id}


async def test_client_calls_send_the_spec_bodies():
    """MockTransport: a RobotLogs answer in the spec's bare shape ``{"value": [...]}`` (no
    ``@odata.count``, which the sandbox always sends) still gives ``Page.total``."""
    seen = []

    def handler(request):
        seen.append((request.method, request.url.path, dict(request.url.params),
                     request.content and json.loads(request.content)))
        if request.url.path.endswith("RobotLogs"):
            return httpx.Response(200, json={"value": [log_dto(KEY, 1)]})
        return httpx.Response(200, json=job_dto(9, KEY, "Pending"))

    KEY = "b6dd3f45-03c6-46c2-98ad-95a05f59905d"
    async with OrchestratorClient(MOCK_URL, None, transport=httpx.MockTransport(handler),
                                  folder=4) as client:
        page = await client.robot_logs(KEY.upper(), level="Error", top=10, skip=20)
        restarted = await client.restart_job(5)
        resumed = await client.resume_job(KEY)
        with pytest.raises(ValueError):
            await client.robot_logs("1 or true")
    assert page.items[0].message == "line 1" and page.total == 21
    assert seen[0][2] == {"$filter": f"JobKey eq {KEY} and (Level eq 'Error' or Level eq "
                                     "'Fatal')", "$top": "10", "$skip": "20",
                          "$count": "true", "$orderby": "TimeStamp asc"}
    assert seen[1][1].endswith("/odata/Jobs/UiPath.Server.Configuration.OData.RestartJob")
    assert seen[1][3] == {"jobId": 5} and restarted.id == 9
    assert seen[2][3] == {"jobKey": KEY} and resumed.key == KEY
    assert len(seen) == 3


def test_unreachable_orchestrator_is_exit_3(cli, monkeypatch):
    monkeypatch.setenv("UIPATH_URL", "http://127.0.0.1:9/orchestrator_")
    monkeypatch.setenv("UIPATH_ACCESS_TOKEN", "t")
    code, out, err = cli("watch", "5", "--output", "json")
    assert code == 3 and json.loads(out)["exit_code"] == 3
    assert "Cannot reach Orchestrator" in err


def test_watch_of_a_queue_item_entry_says_it_started_no_job(connected, cli):
    append_entry(HistoryEntry(
        source="wizard", process_key="", kind="queue_item", queue="Notes", folder="Shared",
        folder_id=2, jobs=(HistoryJob(50001, "item-key"),),
        orchestrator_url=connected.orchestrator_url, strategy="queue item"))
    code, _, err = cli("watch", "@1")
    assert code == 4
    assert "@1 added a queue item (item 50001 to Notes), it started no job" in err
