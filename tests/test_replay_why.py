"""``startjob run --wait`` says why: a job left Pending (asked once, with the snapshot note),
a fault explained, and a Suspended job (exit 8, what it waits on)."""

from __future__ import annotations

import dataclasses
import json

import pytest
from test_replay import triage

from tui_app import replay
from tui_app.cli import main
from tui_app.exit_codes import EXIT_JOB_FAILED, EXIT_OK, EXIT_SUSPENDED
from tui_app.following import FollowPolicy
from tui_app.history import read_entries
from tui_app.orchestrator.client import OrchestratorClient
from tui_app.orchestrator.errors import NotAvailable
from tui_app.orchestrator.models import JobError, ValidationResult


@pytest.fixture(autouse=True)
def setup(monkeypatch):
    monkeypatch.setenv("UIPATH_CLIENT_ID", "demo-client")
    monkeypatch.setenv("UIPATH_CLIENT_SECRET", "demo-secret")
    monkeypatch.setattr(replay, "FOLLOW", FollowPolicy(first=0.05, longest=0.05,
                                                       pending_check_after=0.1))


@pytest.fixture
def cli(sandbox, capsys, tmp_path):
    def run(*args: str):
        path = tmp_path / "template.toml"
        path.write_text(triage(), encoding="utf-8")
        code = main(["run", str(path), "--wait", *args, "--url", sandbox.orchestrator_url])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def polls(monkeypatch, *changes):
    """The jobs' states as the polls see them: each of ``changes`` (a dict of job fields) in
    turn, the last one for ever."""
    script = list(changes)
    original = OrchestratorClient.get_jobs

    async def get_jobs(self, ids):
        jobs = await original(self, ids)
        change = script.pop(0) if len(script) > 1 else script[0]
        return [dataclasses.replace(job, **change) for job in jobs]

    monkeypatch.setattr(OrchestratorClient, "get_jobs", get_jobs)


def reasons(monkeypatch, reply):
    asked = []

    async def validate(self, job_id):
        asked.append(job_id)
        if isinstance(reply, Exception):
            raise reply
        return reply

    monkeypatch.setattr(OrchestratorClient, "validate_existing_job", validate)
    return asked


def test_a_job_left_pending_is_explained_once_with_the_snapshot_note(cli, monkeypatch):
    polls(monkeypatch, *[{"state": "Pending"}] * 8, {"state": "Successful"})
    asked = reasons(monkeypatch, ValidationResult(
        False, ("No host is available", "busy"), ("TemplateNoHostsAvailable", "RobotBusy")))
    code, out, err = cli()
    assert code == EXIT_OK, err
    assert asked == [10001]  # once, not on every poll
    assert "Job 10001    Pending. Why, according to Orchestrator:" in out
    assert "- No machine (host) of the machine template is connected" in out
    assert "- The robot is busy with another job" in out
    assert out.count("a snapshot from when Orchestrator first tried to dispatch") == 1
    assert "stop the job and start it again" in out


def test_pending_reasons_in_json(cli, monkeypatch):
    polls(monkeypatch, *[{"state": "Pending"}] * 8, {"state": "Successful"})
    reasons(monkeypatch, ValidationResult(False, ("busy",), ("RobotBusy",)))
    code, out, _ = cli("--output", "json")
    (job,) = json.loads(out)["jobs"]
    assert code == EXIT_OK
    assert job["PendingReasons"]["checked"] is True
    assert job["PendingReasons"]["findings"][0]["code"] == "RobotBusy"
    assert "snapshot" in job["PendingReasons"]["note"]


def test_a_server_without_the_pending_check_says_so_and_goes_on(cli, monkeypatch):
    polls(monkeypatch, *[{"state": "Pending"}] * 8, {"state": "Successful"})
    reasons(monkeypatch, NotAvailable("none", status=404))
    code, out, err = cli()
    assert code == EXIT_OK, err
    assert "Job 10001    Pending: Why the job is Pending cannot be asked: the check is not " \
           "available on this server." in out


FAULT = {"state": "Faulted", "info": "Could not start executor. The workstation is in use "
                                     "by another user.",
         "job_error": JobError(code="Robot.SessionFailed", title="Could not start the job",
                               detail="The workstation is in use by another user.",
                               category="System")}


def test_a_fault_is_explained(cli, monkeypatch):
    polls(monkeypatch, {"state": "Running"}, FAULT)
    code, out, err = cli()
    assert code == EXIT_JOB_FAILED
    assert "Why: Could not start the job - The workstation is in use by another user: " \
           "Another user was signed in" in out
    (line,) = [line for line in err.splitlines() if line.startswith("startjob run:")]
    assert line.startswith("startjob run: Job 10001 ended Faulted: Could not start executor.")
    assert "Why: Could not start the job" in line and "Sign that user out" in line


def test_a_fault_in_json_has_the_job_error_and_explanation(cli, monkeypatch):
    polls(monkeypatch, FAULT)
    code, out, _ = cli("--output", "json")
    (job,) = json.loads(out)["jobs"]
    assert code == EXIT_JOB_FAILED
    assert job["JobError"]["code"] == "Robot.SessionFailed"
    assert job["Explanation"]["code"] == "Robot.SessionFailed"
    assert "Another user was signed in" in job["Explanation"]["sentence"]


def test_a_suspended_job_is_exit_8_and_says_what_it_waits_on(cli, monkeypatch):
    polls(monkeypatch, {"state": "Running"},
          {"state": "Suspended", "raw": {"ResumeTime": "2026-03-01T09:00:00Z"}})
    code, out, err = cli("--timeout", "30")
    assert code == EXIT_SUSPENDED
    assert "Job 10001    Suspended" in out
    (line,) = [line for line in err.splitlines() if line.startswith("startjob run:")]
    assert line == ("startjob run: Job 10001 is Suspended: The workflow paused at a "
                    "persistence point and waits on a timer: it resumes at "
                    "2026-03-01T09:00:00Z. It goes on by itself when that happens (see the "
                    "job in Orchestrator); it is not stuck.")
    (entry,) = read_entries()
    assert [job.state for job in entry.jobs] == [None]  # not final: not recorded as ended


def test_a_suspended_job_in_json(cli, monkeypatch):
    polls(monkeypatch, {"state": "Suspended"})
    code, out, _ = cli("--output", "json")
    assert code == EXIT_SUSPENDED
    assert json.loads(out)["jobs"][0]["Explanation"]["code"] == "Suspended"
