"""Pre-flight (``starting.preflight``, ``startjob run --dry-run``), refusals in words, and the
Strategy/Review helpers (robots that cannot take unattended jobs, runtime availability).

The sandbox has no ValidateDynamicJob yet in some versions: the client method is replaced
where a test needs an answer (the shapes are the spec's ``ValidationResultDto``).
"""

from __future__ import annotations

import json

import pytest
from test_replay import SHOWCASE, START_JOBS, triage

from tui_app import replay
from tui_app.availability import runtime_note
from tui_app.cli import main
from tui_app.exit_codes import EXIT_OK, EXIT_REFUSED
from tui_app.history import read_entries
from tui_app.orchestrator.client import OrchestratorClient
from tui_app.orchestrator.errors import (
    NotAvailable,
    PermissionDenied,
    RequestRejected,
    ServerError,
)
from tui_app.orchestrator.models import Folder, Release, Robot, RuntimeCapacity, ValidationResult
from tui_app.resolver import NOT_UNATTENDED, chosen_robots, robot_pool, takes_unattended_jobs
from tui_app.starting import PREFLIGHT_UNAVAILABLE, preflight


@pytest.fixture(autouse=True)
def demo_credentials(monkeypatch):
    monkeypatch.setenv("UIPATH_CLIENT_ID", "demo-client")
    monkeypatch.setenv("UIPATH_CLIENT_SECRET", "demo-secret")


@pytest.fixture
def write(tmp_path):
    def write(text: str) -> str:
        path = tmp_path / "template.toml"
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write


@pytest.fixture
def cli(sandbox, capsys):
    def run(path: str, *args: str):
        code = main(["run", path, *args, "--url", sandbox.orchestrator_url])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def answer(monkeypatch, reply):
    """Make ValidateDynamicJob answer ``reply`` (a ValidationResult or an exception)."""
    sent = []

    async def validate(self, start_info):
        sent.append(start_info)
        if isinstance(reply, Exception):
            raise reply
        return reply

    monkeypatch.setattr(OrchestratorClient, "validate_dynamic_job", validate)
    return sent


# -- starting.preflight ------------------------------------------------------------------------


class Client:
    def __init__(self, reply):
        self.reply = reply

    async def validate_dynamic_job(self, start_info):
        if isinstance(self.reply, Exception):
            raise self.reply
        return self.reply


async def test_preflight_findings_split_into_blocking_and_warnings():
    checked = await preflight(Client(ValidationResult(
        False, ("busy", "no folder"), ("RobotBusy", "RobotNotAssignedToFolder"))), {})
    assert checked.checked and checked.note == ""
    assert [f.code for f in checked.blocking] == ["RobotNotAssignedToFolder"]
    assert [f.code for f in checked.warnings] == ["RobotBusy"]
    assert checked.to_json()["findings"][0]["code"] == "RobotBusy"


async def test_preflight_unavailable_and_failing_checks_do_not_run():
    missing = await preflight(Client(NotAvailable("none", status=404)), {})
    assert not missing.checked and missing.note == PREFLIGHT_UNAVAILABLE
    denied = await preflight(Client(PermissionDenied("not allowed", status=403)), {})
    assert not denied.checked and "could not run" in denied.note and denied.findings == ()


async def test_preflight_refused_check_is_a_blocking_finding_in_words():
    refused = RequestRejected("x", status=400, error_code="InvalidArgument",
                              server_message="A job cannot have both input file and input "
                                             "arguments.")
    (finding,) = (await preflight(Client(refused), {})).findings
    assert finding.blocking and "input file" in finding.sentence
    odd = RequestRejected("Strange \x1b[2J thing", status=400, error_code=1000,
                          server_message="Strange \x1b[2J thing")
    (finding,) = (await preflight(Client(odd), {})).findings
    assert finding.blocking and "\x1b" not in finding.sentence and "Strange" in finding.sentence


# -- startjob run --dry-run ----------------------------------------------------------------------


def test_dry_run_with_a_blocking_finding_exits_4_with_the_reasons(sandbox, cli, write,
                                                                   monkeypatch):
    sent = answer(monkeypatch, ValidationResult(
        False, ("x", "y"), ("RobotNoCredentials", "RobotBusy")))
    code, out, err = cli(write(triage()), "--dry-run")
    assert code == EXIT_REFUSED
    assert sandbox.count(START_JOBS) == 0 and read_entries() == []
    (body,) = sent
    assert body["ReleaseKey"] and body["Reference"].startswith("startjob:")  # the exact body
    assert "Pre-flight check:" in out
    assert "  - blocks: The robot has no credentials" in out
    assert "  - warning: The robot is busy" in out
    assert "The request would be:" in out
    lines = [line for line in err.splitlines() if line.startswith("startjob run:")]
    assert lines == ["startjob run: Pre-flight check: the job could not run: The robot has "
                     "no credentials to sign in to the machine unattended. Ask an "
                     "Orchestrator administrator to set the robot's Windows credentials "
                     "(unattended setup)."]


def test_dry_run_with_warnings_only_exits_0_and_prints_them(sandbox, cli, write, monkeypatch):
    answer(monkeypatch, ValidationResult(False, ("busy",), ("RobotBusy",)))
    code, out, err = cli(write(triage()), "--dry-run")
    assert code == EXIT_OK, err
    assert "  - warning: The robot is busy" in out
    assert err == ""  # printed once, in the pre-flight block
    code, out, _ = cli(write(triage()), "--dry-run", "--output", "json")
    assert code == EXIT_OK and json.loads(out)["warnings"][0].startswith("The robot is busy")


def test_dry_run_clean_check(sandbox, cli, write, monkeypatch):
    answer(monkeypatch, ValidationResult(True))
    code, out, err = cli(write(triage()), "--dry-run")
    assert code == EXIT_OK and "Pre-flight check: Orchestrator sees nothing in the way." in out
    assert err == ""


def test_dry_run_on_a_server_without_the_check_goes_on(sandbox, cli, write, monkeypatch):
    answer(monkeypatch, NotAvailable("none", status=404))
    code, out, err = cli(write(triage()), "--dry-run")
    assert code == EXIT_OK
    assert "warning: The pre-flight check is not available on this server." in err
    assert sandbox.count(START_JOBS) == 0


def test_dry_run_json_carries_the_findings(sandbox, cli, write, monkeypatch):
    answer(monkeypatch, ValidationResult(False, ("no runtime",), ("TemplateNoRuntime",)))
    code, out, err = cli(write(SHOWCASE), "--dry-run", "--output", "json")
    data = json.loads(out)
    assert code == EXIT_REFUSED == data["exit_code"]
    assert data["preflight"]["checked"] is True
    (finding,) = data["preflight"]["findings"]
    assert finding["code"] == "TemplateNoRuntime" and finding["blocking"] is True
    assert data["errors"][0].startswith("Pre-flight check: the job could not run: ")


# -- refusals: documented exit code, the reason on one line ------------------------------------


@pytest.mark.parametrize("error, words", [
    (RequestRejected("The robots already have pending jobs for this Process", status=409,
                     error_code=1670,
                     server_message="The robots already have pending jobs for this Process"),
     "already has a pending job of this process"),
    # 1670's HTTP status is not documented: even a 5xx with it is a refusal, not "unknown".
    (ServerError("The robots already have pending jobs for this Process", status=500,
                 error_code=1670,
                 server_message="The robots already have pending jobs for this Process"),
     "already has a pending job of this process"),
    (RequestRejected("Could not find a machine with Unattended or NonProduction runtimes in "
                     "the current folder", status=409, error_code=2818,
                     server_message="Could not find a machine with Unattended or "
                                    "NonProduction runtimes in the current folder"),
     "no machine with Unattended or NonProduction runtimes"),
    (RequestRejected("Couldn't find the specified unattended user/robot in the current "
                     "folder.", status=409, error_code="InvalidStartJobRobotIds",
                     server_message="Couldn't find the specified unattended user/robot in "
                                    "the current folder."),
     "Choose the robots again"),
])
def test_refusals_exit_4_with_the_reason_on_one_line(sandbox, cli, write, monkeypatch, error,
                                                     words):
    async def refuse(self, start_info):
        raise error

    monkeypatch.setattr(OrchestratorClient, "start_jobs", refuse)
    code, _, err = cli(write(triage()))
    assert code == EXIT_REFUSED
    (line,) = [line for line in err.splitlines() if line.startswith("startjob run:")]
    assert line.startswith("startjob run: No job was started: Orchestrator refused the request.")
    assert words in line and "Starting again is safe" in line
    assert read_entries() == []


# -- Strategy and Review helpers -----------------------------------------------------------------


def robot(i, kind, state="Available"):
    return Robot(id=i, name=f"R{i}", type=kind, state=state)


KEPT = ["Unattended", "NonProduction", "Development", "TestAutomation", "Headless",
        "Serverless", "AutomationCloud", "SomethingNew"]


def test_robots_that_cannot_take_unattended_jobs_are_never_offered():
    pool = [robot(i, kind) for i, kind in enumerate(KEPT + sorted(NOT_UNATTENDED))]
    assert [r.type for r in pool if takes_unattended_jobs(r)] == KEPT
    chosen = chosen_robots(pool, [r.id for r in pool])
    assert [r.type for r in chosen] == KEPT


async def test_robot_pool_leaves_out_attended_and_studio_robots():
    class Client:
        async def folder_robots(self, folder_id):
            return [robot(1, "Unattended"), robot(2, "Attended"), robot(3, "Studio"),
                    robot(4, "NonProduction")]

    folder = Folder(id=7, key="f", display_name="F", fully_qualified_name="F")
    release = Release(id=1, key="r", name="R", process_key="P", process_version="1")
    assert [r.id for r in await robot_pool(Client(), release, folder)] == [1, 4]


def test_runtime_note():
    rows = [RuntimeCapacity("Unattended", 2, 1, 0), RuntimeCapacity("NonProduction", 5, 5, 3),
            RuntimeCapacity("Headless", 1, 0, 0), RuntimeCapacity("TestAutomation", 0, 0, 0)]
    assert runtime_note(rows, "Unattended") == (
        "No Unattended runtime is free (0 of 2 available, 1 connected): its job waits "
        "Pending until one is.")
    assert runtime_note(rows, "nonproduction") is None
    assert "none connected" in runtime_note(rows, "Headless")
    assert "has no TestAutomation runtime" in runtime_note(rows, "TestAutomation")
    assert "has no Development runtime" in runtime_note(rows, "Development")
    assert "has no Unattended runtime" in runtime_note([], "Unattended")  # no machine at all


def test_replay_module_keeps_its_follow_policy():
    assert replay.FOLLOW.pending_check_after == 5.0
