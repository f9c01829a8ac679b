"""Capacity and job life over time: the tenant's discrete-event model on a fake clock, and the
same behaviour (runtimes, ResumeJob, session states) over loopback."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from tui_app.sandbox import DEMO, SandboxConfig, dtos
from tui_app.sandbox.seed import build_tenant
from tui_app.sandbox.startjobs import start_jobs

T0 = 1_000_000.0
RUNTIMES = "/odata/Machines/UiPath.Server.Configuration.OData.GetRuntimesForFolder(folderId={})"
RESUME = "/odata/Jobs/UiPath.Server.Configuration.OData.ResumeJob"
START = "/odata/Jobs/UiPath.Server.Configuration.OData.StartJobs"


class World:
    """The demo tenant on a clock that moves only when told: 1 s latency, 3 s of running."""

    def __init__(self, **config) -> None:
        self.now = T0
        settings = dict(job_pending_seconds=1.0, job_running_seconds=3.0, stop_seconds=1.0)
        settings.update(config)
        self.tenant = build_tenant(SandboxConfig(**settings))
        self.tenant.clock = lambda: self.now

    def start(self, folder: str, **info) -> list:
        """StartJobs now (the tenant's clock is this world's)."""
        return start_jobs({"startInfo": info}, self.tenant.folder_by_path(folder), self.tenant)

    def at(self, offset: float) -> World:
        self.now = T0 + offset
        self.tenant.advance(self.now)
        return self

    def session(self, robot_id: int) -> str:
        return self.tenant.session_state(self.tenant.robots[robot_id],
                                         self.tenant.busy_robot_ids())


def changes(job) -> list:
    return [(round(at - T0, 3), state) for at, state in job.history]


@pytest.fixture
def world():
    return World()


def triage(world: World, *robots: int, release: str = "SupportTriage_QuickstartDemo") -> list:
    return world.start("Default", ReleaseName=release, Strategy="Specific", RobotIds=list(robots))


def test_pending_running_successful(world):
    (job,) = triage(world, 101)
    assert world.at(0.99).session(101) == "Available" and job.state == "Pending"
    world.at(1)
    assert (job.state, job.robot_id, job.host_machine_name) == ("Running", 101, "SUPPORT-VM-01")
    assert world.session(101) == "Busy"
    world.at(10)
    assert changes(job) == [(0, "Pending"), (1, "Running"), (4, "Successful")]
    assert (job.started_at, job.ended_at, job.info) == (T0 + 1, T0 + 4, "Job completed")
    assert world.session(101) == "Available"


def test_a_robot_runs_one_job_at_a_time(world):
    (first,) = triage(world, 101)
    (second,) = triage(world, 101, release="CleanupTempFiles_QuickstartDemo")
    world.at(20)
    assert changes(first) == [(0, "Pending"), (1, "Running"), (4, "Successful")]
    assert changes(second) == [(0, "Pending"), (4, "Running"), (7, "Successful")]


def test_jobs_count_spreads_over_free_robots(world):
    jobs = world.start("Default", ReleaseName="SupportTriage_Production", Strategy="JobsCount",
                       JobsCount=3)
    world.at(20)
    assert [(job.robot_id, changes(job)[1]) for job in jobs] == [
        (201, (1, "Running")), (202, (1, "Running")), (201, (4, "Running"))]


def test_a_busy_robot_takes_the_job_when_its_other_work_ends(world):
    (job,) = world.start("Default", ReleaseName="NightlyBatch_Overnight", Strategy="All")
    assert world.at(5).session(104) == "Busy"
    assert world.tenant.robots[104].busy_until == T0 + 1 + 30  # 30 s after the job waits
    assert world.at(30.9).tenant.jobs[job.id].state == "Pending"
    world.at(31)
    assert (job.state, world.session(104)) == ("Running", "Busy")
    world.at(40)
    assert (job.state, world.session(104)) == ("Successful", "Available")


def test_a_fixed_busy_until(world):
    world.tenant.robots[102].busy_until = T0 + 10
    (job,) = triage(world, 102)
    world.at(20)
    assert changes(job) == [(0, "Pending"), (10, "Running"), (13, "Successful")]


def test_a_disconnected_robot_connects_some_seconds_after_a_job_waits():
    world = World(reconnect_seconds=5)
    (job,) = triage(world, 103)
    assert world.at(5.9).session(103) == "Disconnected" and job.state == "Pending"
    world.at(6)
    assert (job.state, world.session(103)) == ("Running", "Busy")


def test_a_disconnected_robot_without_a_timer_waits_for_set_robot_state(world):
    world.tenant.robots[103].reconnect_after = None
    (job,) = triage(world, 103)
    assert world.at(3600).tenant.jobs[job.id].state == "Pending"
    world.tenant.set_robot_state(103, "Available")
    assert (job.state, job.started_at) == ("Running", T0 + 3600)


def test_modern_jobs_wait_for_a_runtime_slot(world):
    world.tenant.robots[402].reconnect_after = None
    jobs = world.start("Finance", ReleaseName="InvoiceIntake", JobsCount=2)
    world.at(1)
    assert [job.state for job in jobs] == ["Running", "Pending"]  # fin-bot-02 is offline
    world.at(20)
    assert changes(jobs[1]) == [(0, "Pending"), (4, "Running"), (7, "Successful")]


def test_runtimes_follow_the_state(world):
    tenant = world.tenant

    def runtimes(path):
        return {row["Type"]: (row["Total"], row["Connected"], row["Available"])
                for row in dtos.runtime_entities(tenant, tenant.folder_by_path(path))}

    assert runtimes("Shared/Support") == {"NonProduction": (2, 2, 2), "Unattended": (2, 2, 1)}
    assert runtimes("Finance") == {"Unattended": (2, 1, 1)}
    assert runtimes("Workshop") == {"Unattended": (2, 2, 2), "Headless": (1, 1, 1)}
    assert runtimes("Shared") == {} and runtimes("Default") == {}
    world.start("Finance", ReleaseName="InvoiceIntake")
    assert runtimes("Finance") == {"Unattended": (2, 1, 1)}  # still Pending
    world.at(1)
    assert runtimes("Finance") == {"Unattended": (2, 1, 0)}
    tenant.set_robot_state(402, "Available")
    assert runtimes("Finance") == {"Unattended": (2, 2, 1)}


def test_a_long_running_job_suspends_and_resumes(world):
    (job,) = world.start("Workshop", ReleaseName="MonthEndClose")
    world.at(3)
    assert (job.state, job.resume_version, world.session(801)) == ("Suspended", 1, "Available")
    assert job.persistence_id
    world.at(30)
    assert changes(job) == [(0, "Pending"), (1, "Running"), (3, "Suspended"), (11, "Resumed"),
                            (11, "Running"), (15, "Successful")]
    assert (job.resume_time, job.started_at, job.ended_at) == (T0 + 11, T0 + 1, T0 + 15)


def test_a_resumed_job_waits_for_its_robot(world):
    world.tenant.update_release(11, suspend_seconds=2.0)
    (job,) = world.start("Workshop", ReleaseName="MonthEndClose")
    world.at(3.5)
    (other,) = world.start("Workshop", ReleaseName="FormFiller")  # takes ws-bot-01 at 4.5
    world.at(30)
    assert changes(other) == [(3.5, "Pending"), (4.5, "Running"), (7.5, "Successful")]
    assert changes(job)[2:] == [(3, "Suspended"), (5, "Resumed"), (7.5, "Running"),
                                (11.5, "Successful")]


def test_resume_job_ends_the_wait_early(world):
    (job,) = world.start("Workshop", ReleaseName="MonthEndClose")
    world.at(4)
    assert world.tenant.resume_job(job, world.now) is True
    assert job.state == "Running"
    assert world.tenant.resume_job(job, world.now) is False  # not Suspended any more
    world.at(30)
    assert changes(job)[-3:] == [(4, "Resumed"), (4, "Running"), (8, "Successful")]


def test_soft_stop_is_honoured_later(world):
    (job,) = triage(world, 101)
    world.at(2)
    world.tenant.stop_job(job, "SoftStop", world.now)
    assert job.state == "Stopping"
    world.at(10)
    assert changes(job)[-2:] == [(2, "Stopping"), (3, "Stopped")]
    assert (job.info, job.stop_strategy, job.started_at) == (
        "The job was stopped.", "SoftStop", T0 + 1)


def test_soft_stop_near_the_end_may_still_succeed(world):
    (job,) = triage(world, 101)
    world.at(3.5)
    world.tenant.stop_job(job, "SoftStop", world.now)  # honoured at 4.5, but it ends at 4
    world.at(10)
    assert changes(job)[-2:] == [(3.5, "Stopping"), (4, "Successful")]
    assert job.stop_strategy == "SoftStop"


def test_kill_terminates_then_stops(world):
    (job,) = triage(world, 101)
    world.at(1.5)
    world.tenant.stop_job(job, "SoftStop", world.now)
    world.at(1.7)
    world.tenant.stop_job(job, "Kill", world.now)
    assert job.state == "Terminating"
    world.at(10)
    assert changes(job)[-3:] == [(1.5, "Stopping"), (1.7, "Terminating"), (2.7, "Stopped")]
    assert job.info == "The job was killed."


def test_waiting_and_suspended_jobs_stop_at_once(world):
    (pending,) = triage(world, 103)
    (suspended,) = world.start("Workshop", ReleaseName="MonthEndClose")
    world.at(5)
    for job in (pending, suspended):
        world.tenant.stop_job(job, "SoftStop", world.now)
        assert (job.state, job.ended_at) == ("Stopped", T0 + 5)
    world.at(60)
    assert suspended.state == "Stopped"  # its timer no longer fires


def test_a_soft_stop_is_honoured_at_the_persistence_point(world):
    world.tenant.update_release(11, suspend_after=2.0)
    world.tenant.stop_seconds = 5
    (job,) = world.start("Workshop", ReleaseName="MonthEndClose")
    world.at(2)
    world.tenant.stop_job(job, "SoftStop", world.now)
    world.at(10)
    assert changes(job)[-2:] == [(2, "Stopping"), (3, "Stopped")]


def test_a_structured_fault_on_both_url_shapes(world):
    (job,) = world.start("Workshop", ReleaseName="LegacyErpSync")
    world.at(5)
    assert changes(job) == [(0, "Pending"), (1, "Running"), (1.5, "Faulted")]
    cloud = dtos.job_entity(world.tenant, job, world.now, cloud=True)
    assert cloud["JobError"] == {
        "code": "Robot.WorkstationInUse", "title": "The workstation is in use by another user",
        "detail": job.fault.detail, "category": "Deployment", "status": None,
        "timestamp": dtos.format_time(T0 + 1.5)}
    assert cloud["ErrorCode"] == "Robot.WorkstationInUse"
    assert cloud["Info"].startswith("Could not start executor. The workstation is in use")
    on_prem = dtos.job_entity(world.tenant, job, world.now)
    assert on_prem["Info"] == cloud["Info"]
    assert "JobError" not in on_prem and "ErrorCode" not in on_prem
    assert list(cloud) == list(dtos.JOB_V20.properties)
    assert list(on_prem) == list(dtos.JOB.properties)


def test_the_fail_input_fault_carries_a_job_error(world):
    (job,) = world.start("Finance", ReleaseName="InvoiceIntake",
                         InputArguments='{"InvoiceNumber":"FAIL-3"}')
    world.at(5)
    error = dtos.job_entity(world.tenant, job, world.now, cloud=True)["JobError"]
    assert (job.state, error["category"]) == ("Faulted", "User")
    assert "InvoiceNumber=FAIL-3" in error["detail"]
    assert dtos.job_entity(world.tenant, job, job.created_at, cloud=True)["JobError"] is None


def test_release_shapes_per_url_shape(world):
    release = world.tenant.releases[1]
    on_prem = dtos.release_entity(world.tenant, release)
    cloud = dtos.release_entity(world.tenant, release, cloud=True)
    assert on_prem["EnvironmentName"] == "QuickstartDemo" and "FolderKey" not in on_prem
    assert not {"EnvironmentId", "EnvironmentName", "Environment"} & set(cloud)
    assert cloud["FolderKey"] == world.tenant.folders[4].key
    assert list(cloud) == list(dtos.RELEASE_V20.properties)
    assert dtos.release_entity(world.tenant, world.tenant.releases[10], cloud=True)[
        "RequiresUserInteraction"] is True


def test_ten_thousand_jobs_are_replayed_quickly():
    world = World(job_running_seconds=0.001)
    began = time.perf_counter()
    jobs = world.start("Default", ReleaseName="SupportTriage_Production", Strategy="JobsCount",
                       JobsCount=10_000)
    world.at(2)
    world.at(8)
    assert time.perf_counter() - began < 10
    assert len(jobs) == 10_000 and jobs[-1].state == "Successful"


# ----------------------------------------------------------------------------- over loopback


@pytest.fixture
def http(sandbox):
    clients = []

    def make(folder=None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {DEMO.personal_access_token}"}
        if folder:
            headers["X-UIPATH-FolderPath"] = folder
        client = httpx.Client(base_url=sandbox.orchestrator_url, verify=False, headers=headers)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def test_get_runtimes_for_folder_over_http(sandbox, http):
    response = http().get(RUNTIMES.format(2))
    assert response.status_code == 200
    body = response.json()
    assert body["@odata.context"].endswith(
        "$metadata#Collection(UiPath.Server.Configuration.OData.MachineRuntimeDto)")
    assert body["value"] == [
        {"Type": "NonProduction", "Total": 2, "Connected": 2, "Available": 2},
        {"Type": "Unattended", "Total": 2, "Connected": 2, "Available": 1}]
    filtered = http().get(RUNTIMES.format(8), params={"$filter": "Type eq 'Headless'"}).json()
    assert filtered["value"] == [{"Type": "Headless", "Total": 1, "Connected": 1,
                                  "Available": 1}]
    assert http().get(RUNTIMES.format(99)).status_code == 400


def test_suspend_and_resume_job_over_http(sandbox, http):
    sandbox.tenant.update_release(11, suspend_after=0.1, suspend_seconds=600)
    client = http("Workshop")
    job = client.post(START, json={"startInfo": {"ReleaseName": "MonthEndClose"}}).json()
    job = job["value"][0]
    deadline = time.monotonic() + 3
    while client.get(f"/odata/Jobs({job['Id']})").json()["State"] != "Suspended":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    suspended = client.get(f"/odata/Jobs({job['Id']})").json()
    assert suspended["ResumeVersion"] == 1 and suspended["PersistenceId"]

    def triggers():
        return client.get("/odata/JobTriggers",
                          params={"$filter": f"JobId eq {job['Id']}"}).json()["value"]

    (trigger,) = triggers()
    assert {k: trigger[k] for k in ("JobId", "TriggerType", "Status", "TriggerMessage")} == {
        "JobId": job["Id"], "TriggerType": "Timer", "Status": "New",
        "TriggerMessage": "Resume After Delay"}
    assert trigger["Timer"] > suspended["LastModificationTime"]
    resumed = client.post(RESUME, json={"jobKey": job["Key"]})
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["State"] in ("Resumed", "Running")
    assert resumed.json()["@odata.context"].endswith("#Jobs/$entity")
    assert triggers()[0]["Status"] == "Fired"
    again = client.post(RESUME, json={"jobKey": job["Key"]})
    assert again.status_code == 409 and "only a Suspended job can be resumed" in again.text
    missing = client.post(RESUME, json={"jobKey": "0f8fad5b-d9cb-469f-a165-70867728950e"})
    assert missing.status_code == 404 and missing.json()["errorCode"] == 1002


def test_session_states_follow_the_jobs_over_http(sandbox, http):
    sandbox.tenant.job_running_seconds = 5
    client = http("Default")

    def states():
        return {s["Robot"]["Id"]: s["State"] for s in client.get("/odata/Sessions").json()["value"]}

    assert states() == {101: "Available", 102: "Busy", 103: "Disconnected", 201: "Available",
                        202: "Available", 104: "Busy"}
    client.post(START, json={"startInfo": {"ReleaseName": "SupportTriage_Production",
                                           "Strategy": "All"}})
    time.sleep(0.4)
    assert states()[201] == states()[202] == "Busy"
    sandbox.tenant.set_robot_state(104, "Available")
    assert states()[104] == "Available"


def test_handlers_serve_the_shape_of_the_url(world):
    """``Context.cloud`` (set by the app for the Automation Cloud URL shape) picks v20 DTOs."""
    from tui_app.sandbox.endpoints import Context, list_jobs, list_releases
    from tui_app.sandbox.wire import Request

    world.start("Workshop", ReleaseName="LegacyErpSync")
    world.at(5)

    def read(handler, folder: str, cloud: bool) -> dict:
        context = Context(Request("GET", "/", {}, {}), world.tenant, (), None,
                          world.tenant.folder_by_path(folder), "http://sandbox", world.now,
                          cloud)
        return json.loads(handler(context).body)["value"][0]

    assert read(list_jobs, "Workshop", True)["JobError"]["category"] == "Deployment"
    assert "JobError" not in read(list_jobs, "Workshop", False)
    assert "EnvironmentName" not in read(list_releases, "Default", True)
    assert read(list_releases, "Default", False)["EnvironmentName"] == "QuickstartDemo"


@pytest.mark.parametrize("name", ["busy_seconds", "reconnect_seconds"])
def test_robot_timers_must_not_be_negative(name):
    with pytest.raises(ValueError, match=f"{name} must not be negative"):
        SandboxConfig(**{name: -1})
