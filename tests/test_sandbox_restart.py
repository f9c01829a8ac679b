"""RestartJob and the job-details web page of the sandbox, over loopback on a clock the test
moves."""

from __future__ import annotations

import json

import httpx
import pytest
from support import ClockedOrchestrator

from tui_app.jobrefs import job_details_url
from tui_app.sandbox import DEMO, SandboxConfig

START = "/odata/Jobs/UiPath.Server.Configuration.OData.StartJobs"
RESTART = "/odata/Jobs/UiPath.Server.Configuration.OData.RestartJob"


@pytest.fixture
def sandbox_config():
    return SandboxConfig(job_pending_seconds=1, job_running_seconds=3, stop_seconds=1)


class Orchestrator(ClockedOrchestrator):
    START_DEFAULTS = {"Strategy": "JobsCount", "JobsCount": 1,
                      "InputArguments": json.dumps({"IncidentId": "INC-7"})}

    def job(self, job_id: int, folder="Default") -> dict:
        return self.client(folder).get(f"/odata/Jobs({job_id})",
                                       params={"$expand": "Robot"}).json()

    def restart(self, job_id, folder="Default") -> httpx.Response:
        return self.client(folder).post(RESTART, json={"jobId": job_id})


@pytest.fixture
def orch(sandbox):
    orchestrator = Orchestrator(sandbox)
    yield orchestrator
    orchestrator.close()


def test_restart_a_finished_job_makes_a_new_pending_job_like_it(orch):
    old = orch.start(Reference="startjob:first")
    orch.now += 10
    assert orch.job(old["Id"])["State"] == "Successful"
    response = orch.restart(old["Id"])
    assert response.status_code == 200, response.text
    new = response.json()
    assert new["@odata.context"].endswith("/odata/$metadata#Jobs/$entity")
    assert new["State"] == "Pending" and new["Id"] > old["Id"] and new["Key"] != old["Key"]
    assert new["BatchExecutionKey"] != old["BatchExecutionKey"]
    for name in ("ReleaseName", "InputArguments", "Reference", "RuntimeType", "JobPriority",
                 "OrganizationUnitId"):
        assert new[name] == old[name], name
    assert new["StartTime"] is None and new["Source"] == "Manual"
    orch.now += 10
    done = orch.job(new["Id"])
    assert done["State"] == "Successful"
    assert done["Robot"]["Name"] in ("SUPPORT-BOT-01", "SUPPORT-BOT-02", "SUPPORT-BOT-03")
    assert json.loads(done["OutputArguments"])["TriageResult"] == f"Done by job {new['Id']}"


def test_restart_keeps_the_robot_choice_and_the_fault(orch):
    specific = orch.start(Strategy="Specific", RobotIds=[201],
                          ReleaseName="SupportTriage_Production",
                          InputArguments=json.dumps({"IncidentId": "FAIL again"}))
    orch.now += 10
    assert orch.job(specific["Id"])["State"] == "Faulted"
    again = orch.restart(str(specific["Id"])).json()  # a number in a string binds too
    orch.now += 10
    done = orch.job(again["Id"])
    assert done["State"] == "Faulted" and done["Robot"]["Id"] == 201
    assert "FAIL again" in done["Info"]


def test_restart_of_a_resumed_job_uses_its_first_candidates(orch, sandbox):
    job = orch.start("Workshop", ReleaseName="MonthEndClose")
    orch.now += 30
    assert orch.job(job["Id"], "Workshop")["State"] == "Successful"
    assert sandbox.tenant.jobs[job["Id"]].candidates == (801,)  # a resume pins its robot
    new = orch.restart(job["Id"], "Workshop").json()
    assert sandbox.tenant.jobs[new["Id"]].candidates == sandbox.tenant.jobs[
        job["Id"]].start_candidates


@pytest.mark.parametrize("wait, state", [(0, "Pending"), (2, "Running")])
def test_restart_of_an_unfinished_job_is_refused(orch, wait, state):
    job = orch.start()
    orch.now += wait
    response = orch.restart(job["Id"])
    assert response.status_code == 409
    assert response.json()["errorCode"] == 1000
    assert response.json()["message"] == (f"Job {job['Id']} is {state}: only a job that ended "
                                          "(Successful, Faulted or Stopped) can be restarted.")


def test_restart_of_an_unknown_or_elsewhere_job_and_bad_bodies(orch, sandbox):
    job = orch.start()
    orch.now += 10
    for job_id, folder in ((99999, "Default"), (job["Id"], "Finance")):
        response = orch.restart(job_id, folder)
        assert response.status_code == 404 and response.json()["errorCode"] == 1002
        assert response.json()["message"] == f"Job {job_id} does not exist."
    for body in ({}, {"jobId": "x"}, {"jobId": True}, [1]):
        response = orch.client().post(RESTART, json=body)
        assert response.status_code == 400, body
    token = httpx.post(sandbox.identity_url, data={
        "grant_type": "client_credentials", "client_id": DEMO.client_id,
        "client_secret": DEMO.client_secret, "scope": "OR.Jobs.Read"}).json()["access_token"]
    assert orch.client(token=token).post(RESTART, json={"jobId": job["Id"]}).status_code == 403


def test_restart_of_a_job_whose_release_is_gone(orch, sandbox):
    job = orch.start()
    orch.now += 10
    sandbox.tenant.remove_release(1)
    response = orch.restart(job["Id"])
    assert response.status_code == 404 and response.json()["errorCode"] == 1002
    assert "does not exist in folder 'Default' any more" in response.json()["message"]


# ----------------------------------------------------------------------------- details page


def page(url: str) -> httpx.Response:
    return httpx.get(url)


def test_the_details_page_on_both_url_shapes(orch, sandbox):
    job = orch.start("Workshop", ReleaseName="LegacyErpSync")
    orch.now += 10
    for base in (sandbox.orchestrator_url, sandbox.cloud_url):
        response = page(job_details_url(base, job["Key"], 8))
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert response.headers["content-security-policy"].startswith("default-src 'none'")
        text = response.text
        assert f"<title>Job {job['Id']} – LegacyErpSync</title>" in text
        for words in ("<th>State</th><td><pre>Faulted</pre>", "<pre>ws-bot-01</pre>",
                      "<pre>WS-HOST-A</pre>", "<pre>Workshop</pre>",
                      "Robot.WorkstationInUse: The workstation is in use by another user",
                      "<td>FATAL</td>", "Could not start executor"):
            assert words in text, words
        assert 'http-equiv="refresh"' not in text  # it has ended
    no_folder = page(job_details_url(sandbox.orchestrator_url, job["Key"], None))
    assert no_folder.status_code == 200


def test_a_running_jobs_page_reloads(orch, sandbox):
    job = orch.start()
    orch.now += 2
    text = page(job_details_url(sandbox.orchestrator_url, job["Key"], 4)).text
    assert "<pre>Running</pre>" in text and 'http-equiv="refresh" content="5"' in text
    assert "SupportTriage_QuickstartDemo execution started" in text


def test_unknown_jobs_get_a_404_page(orch, sandbox):
    job = orch.start()  # Default is a classic folder: the cloud shape does not know it
    for url in (job_details_url(sandbox.orchestrator_url, "0f8fad5b-d9cb-469f-a165-70867728950e",
                                4),
                job_details_url(sandbox.orchestrator_url, job["Key"], 8),
                job_details_url(sandbox.cloud_url, job["Key"], 4),
                job_details_url(sandbox.orchestrator_url, job["Key"], None) + "?fid=x"):
        response = page(url)
        assert response.status_code == 404, url
        assert "<h1>Job not found</h1>" in response.text
        assert response.headers["content-type"] == "text/html; charset=utf-8"
    hostile = page(sandbox.orchestrator_url + "/jobs(sidepanel:sidepanel/jobs/<b>x/details)")
    assert hostile.status_code == 404 and "<b>x" not in hostile.text
    assert "&lt;b&gt;x" in hostile.text


def test_the_details_page_escapes_hostile_text(orch, sandbox):
    evil = '<script>alert("x")</script>&amp;'
    job = orch.start(Reference=evil, InputArguments=json.dumps({"IncidentId": evil}))
    sandbox.tenant.rename_robot(101, "<img src=x onerror=alert(1)>")
    sandbox.tenant.rename_robot(102, "<img src=x onerror=alert(2)>")
    sandbox.tenant.rename_robot(103, "<img src=x onerror=alert(3)>")
    orch.now += 10
    text = page(job_details_url(sandbox.orchestrator_url, job["Key"], 4)).text
    assert "<script>" not in text and "<img" not in text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;amp;" in text
    assert "&lt;img src=x onerror=alert(" in text
    assert "Incident &lt;script&gt;" in text  # the log lines too
