"""``startjob run`` defects: hidden ``ask`` values, lists in summaries, start outcomes, failures
after a start, error classification, hostile server text and ``--insecure``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_replay import ASKED, SHARED, SHOWCASE, START_JOBS, posted, triage

from tui_app import replay
from tui_app.exit_codes import (
    EXIT_CONNECTION,
    EXIT_NOT_FOLLOWED,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_TIMEOUT,
    EXIT_UNKNOWN,
    EXIT_USAGE,
)
from tui_app.following import FollowPolicy
from tui_app.history import read_entries
from tui_app.sandbox import SandboxConfig, parse_faults
from tui_app.sandbox import hostile as h
from tui_app.sandbox.jobs import Job as SandboxJob
from tui_app.sandbox.jobs import JobStatus

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def demo_credentials(monkeypatch):
    monkeypatch.setenv("UIPATH_CLIENT_ID", "demo-client")
    monkeypatch.setenv("UIPATH_CLIENT_SECRET", "demo-secret")
    monkeypatch.setattr(replay, "FOLLOW", FollowPolicy(first=0.05, longest=0.2))
    monkeypatch.setattr(replay, "CLIENT_OPTIONS", {"max_retries": 1, "max_retry_wait": 0.01})


@pytest.fixture
def write(tmp_path):
    def write(text: str, name: str = "template.toml") -> str:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write


@pytest.fixture
def cli(sandbox, capsys):
    from tui_app.cli import main

    def run(path: str, *args: str, url=None):
        code = main(["run", path, *args, "--url", url or sandbox.orchestrator_url])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def lines(err: str) -> list:
    return [line for line in err.splitlines() if line.strip()]


# -- 10.3: ask values are never printed --------------------------------------------------------


SECRET = "s3cr3t-INC-777"


@pytest.mark.parametrize("output", ["text", "json"])
def test_ask_values_are_hidden_in_printed_bodies(sandbox, cli, write, monkeypatch, output):
    monkeypatch.setenv("STARTJOB_ARG_IncidentId", SECRET)
    code, out, err = cli(write(ASKED), "--dry-run", "--output", output)
    assert code == EXIT_OK, err
    assert SECRET not in out and SECRET not in err
    body = json.loads(out[out.index("{"):])
    info = (body["request"] if output == "json" else body)["startInfo"]
    assert json.loads(info["InputArguments"]) == {"IncidentId": "(hidden: an ask argument)"}


def test_ask_values_are_sent_but_not_shown_in_json_output(sandbox, cli, write, monkeypatch):
    monkeypatch.setenv("STARTJOB_ARG_IncidentId", SECRET)
    code, out, err = cli(write(ASKED), "--output", "json")
    assert code == EXIT_OK, err
    assert SECRET not in out
    (sent,) = posted(sandbox)
    assert json.loads(sent["InputArguments"]) == {"IncidentId": SECRET}


def test_an_invalid_ask_value_is_not_repeated(sandbox, cli, write, monkeypatch):
    text = SHOWCASE.replace('name = "Showcase"', 'name = "Showcase"\nask = ["Count"]').replace(
        "Count = 3\n", "")
    monkeypatch.setenv("STARTJOB_ARG_Count", "hunter2")
    code, out, err = cli(write(text), "--output", "json")
    assert code == EXIT_USAGE
    assert "hunter2" not in out + err
    assert "Count: the value of STARTJOB_ARG_Count is not valid" in err


# -- 10.9: lists and objects read as compact JSON in the summary ----------------------------------


def test_lists_and_objects_show_as_compact_json(sandbox, cli, write):
    code, out, err = cli(write(SHOWCASE), "--dry-run", "--set-json", 'Tags=["alpha","beta"]',
                         "--set-json", 'Settings={"k": [1, 2.50]}')
    assert code == EXIT_OK, err
    assert 'Tags = ["alpha","beta"]  [--set-json]' in out
    assert 'Settings = {"k":[1,2.50]}  [--set-json]' in out
    assert "alpha\u240abeta" not in out


# -- 10.17: what became of an ambiguous start ---------------------------------------------------


def test_ambiguous_start_found_not_started_says_so_on_one_line(sandbox, cli, write):
    sandbox.set_faults(parse_faults("only=StartJobs,503=1"))
    code, out, err = cli(write(triage()))
    assert code == EXIT_CONNECTION
    (line,) = lines(err)
    assert line.startswith("startjob run: No job was started.")
    assert "HTTP 503" in line and "Starting again is safe" in line
    assert sandbox.count(START_JOBS) == 1 and read_entries() == []


def test_no_log_line_before_the_outcome_in_a_fresh_interpreter(sandbox, write):
    """Without pytest's log capture, the module loggers must not print on standard error."""
    sandbox.set_faults(parse_faults("only=StartJobs,503=1"))
    code = ("import sys\nfrom tui_app.cli import main\n"
            f"sys.exit(main(['run', {write(triage())!r}, '--url', {sandbox.orchestrator_url!r}]))")
    env = dict(os.environ, UIPATH_CLIENT_ID="demo-client", UIPATH_CLIENT_SECRET="demo-secret")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120)
    assert done.returncode == EXIT_CONNECTION, done.stderr
    (line,) = lines(done.stderr)
    assert line.startswith("startjob run: No job was started.")


def test_unknown_start_outcome_has_its_own_exit_code(sandbox, cli, write):
    sandbox.set_faults(parse_faults("drop_after_start=1,503=1,only=GET /odata/Jobs"))
    code, out, err = cli(write(triage()), "--output", "json")
    assert code == EXIT_UNKNOWN == json.loads(out)["exit_code"]
    (line,) = lines(err)
    assert line.startswith("startjob run: It is not known whether the jobs started.")
    assert "Do not start again yet" in line and "startjob:" in line


def test_a_refused_start_is_not_started_exit_4(sandbox, cli, write):
    code, _, err = cli(write(SHARED))
    assert code == EXIT_REFUSED
    (line,) = lines(err)
    assert line.startswith("startjob run: No job was started: Orchestrator refused the request.")
    assert "unattended robot permissions" in line


# -- 11.5: a failure after the start ---------------------------------------------------------------


# A 429 is not among them any more: issue 13 made it slow following down instead (below).
POLL_FAULTS = ["500=1", "502=1", "503=1", "drop=1"]


def assert_not_followed(code, out, err, *, json_output=False):
    assert code == EXIT_NOT_FOLLOWED, err
    first = lines(err)[0]
    assert first.startswith("startjob run: Started 1 job(s) (id 10001, reference startjob:")
    assert "could not follow them:" in first and "do not start them again" in first
    if json_output:
        data = json.loads(out)
        assert data["exit_code"] == EXIT_NOT_FOLLOWED
        assert [job["Id"] for job in data["jobs"]] == [10001]
    (entry,) = read_entries()
    assert [job.id for job in entry.jobs] == [10001]


@pytest.mark.parametrize("spec", POLL_FAULTS)
@pytest.mark.parametrize("output", ["text", "json"])
def test_a_poll_failure_after_the_start_is_started_not_followed(sandbox, cli, write, spec,
                                                                output):
    sandbox.set_faults(parse_faults(f"only=GET /odata/Jobs,{spec}"))
    code, out, err = cli(write(triage()), "--wait", "--output", output)
    assert_not_followed(code, out, err, json_output=output == "json")
    assert sandbox.count(START_JOBS) == 1


@pytest.mark.parametrize("output", ["text", "json"])
def test_a_throttled_poll_keeps_following_until_the_timeout(sandbox, cli, write, output):
    sandbox.set_faults(parse_faults("only=GET /odata/Jobs,429=1,retry_after=0"))
    code, out, err = cli(write(triage()), "--wait", "--timeout", "1", "--output", output)
    assert code == EXIT_TIMEOUT, err
    assert "Timed out waiting; still running: 10001 (Pending)" in err
    assert "could not follow" not in err
    (entry,) = read_entries()
    assert [job.id for job in entry.jobs] == [10001]
    assert sandbox.count(START_JOBS) == 1


def test_throttled_polls_then_an_answer_end_normally(sandbox, cli, write):
    sandbox.set_faults(parse_faults("only=GET /odata/Jobs,429=0.5,retry_after=0"))
    code, out, err = cli(write(triage()), "--wait", "--timeout", "60")
    assert code == EXIT_OK, err
    assert "All 1 job(s) ended Successful." in out


def test_a_401_poll_after_the_start_is_started_not_followed(sandbox, cli, write, monkeypatch):
    tokens = sandbox.tenant.tokens
    check = tokens.check

    def refuse_once_started(token):
        return (None, "unknown") if sandbox.tenant.jobs else check(token)

    monkeypatch.setattr(tokens, "check", refuse_once_started)
    code, out, err = cli(write(triage()), "--wait", "--output", "json")
    assert_not_followed(code, out, err, json_output=True)
    assert "Sign-in failed" in lines(err)[0]


# -- 11.6: one classification of failures ---------------------------------------------------------


def test_a_refused_scope_is_a_sign_in_failure(sandbox, cli, write):
    code, _, err = cli(write(triage()), "--scope", "OR.Nope")
    assert code == EXIT_CONNECTION
    assert "refused the requested scopes" in err
    assert sandbox.count(START_JOBS) == 0


def test_a_wrong_tenant_path_says_to_check_the_url(sandbox, cli, write):
    url = sandbox.base_url + "/demo/NoSuchTenant/orchestrator_"
    code, _, err = cli(write(triage()), url=url)
    assert code == EXIT_CONNECTION
    (line,) = lines(err)
    assert "No HTTP resource" in line and "Check the Orchestrator URL" in line
    assert sandbox.count(START_JOBS) == 0


def test_a_server_error_before_the_start_is_exit_3(sandbox, cli, write):
    sandbox.set_faults(parse_faults("only=GET /odata/Releases,500=1"))
    code, _, err = cli(write(triage()))
    assert code == EXIT_CONNECTION
    assert sandbox.count(START_JOBS) == 0


# -- 11.15: hostile server text -------------------------------------------------------------------


HOSTILE_STATE = f"Running {h.TITLE} {h.OSC52} {h.CLEAR} {h.BIDI} {h.C1} {h.CONTROL}"

HOSTILE = """\
version = 1
name = "Hostile"

[connection]
folder = "Hostile"

[process]
key = "HostileArguments"

[strategy]
kind = "JobsCount"
jobs_count = 1
"""


def hostile_running_state(monkeypatch):
    status = SandboxJob.status

    def hostile(self, now):
        found = status(self, now)
        if found.state == "Running":
            return JobStatus(HOSTILE_STATE, found.started_at, found.ended_at, found.changed_at,
                             h.OSC52)
        return found

    monkeypatch.setattr(SandboxJob, "status", hostile)


def assert_no_terminal_control(text: str):
    for char in text:
        code = ord(char)
        assert char in "\n" or (code >= 0x20 and code != 0x7F and not 0x80 <= code <= 0x9F), \
            repr(char)
        assert char not in "\u202e\u202c", repr(char)


@pytest.mark.parametrize("sandbox_config", [SandboxConfig(hostile=True, job_pending_seconds=0.1,
                                                          job_running_seconds=0.5)])
def test_hostile_job_state_and_info_are_shown_as_visible_text(sandbox, cli, write, monkeypatch):
    hostile_running_state(monkeypatch)
    code, out, err = cli(write(HOSTILE), "--wait")
    assert code == 1, err
    assert_no_terminal_control(out + err)
    assert "Running Title \u241b]0;pwned\u2407 set" in out
    assert "FAIL Markup [bold red]x[/]" in err and "\u241b[2J" in err


@pytest.mark.parametrize("sandbox_config", [SandboxConfig(hostile=True, job_pending_seconds=0.1,
                                                          job_running_seconds=0.5)])
def test_hostile_text_in_json_output_is_escaped(sandbox, cli, write, monkeypatch):
    hostile_running_state(monkeypatch)
    code, out, err = cli(write(HOSTILE), "--wait", "--timeout", "0.3", "--output", "json")
    assert_no_terminal_control(out + err)
    data = json.loads(out)
    assert data["jobs"][0]["State"] == HOSTILE_STATE and data["jobs"][0]["Info"] == h.OSC52
    assert "\\u202e" in out and "\\u009b" in out and "\\u007f" in out


@pytest.mark.parametrize("sandbox_config", [SandboxConfig(hostile=True)])
def test_hostile_names_in_the_summary_and_drift_warnings(sandbox, cli, write):
    (release,) = [r for r in sandbox.tenant.releases.values()
                  if r.process_key == "HostileArguments"]
    sandbox.tenant.update_release(release.id, process_version=h.TITLE)
    text = HOSTILE.replace('key = "HostileArguments"', 'key = "HostileArguments"\nversion = "0.9"')
    code, out, err = cli(write(text), "--dry-run")
    assert code == EXIT_OK, err
    assert_no_terminal_control(out + err)
    assert "is now version Title \u241b]0;pwned\u2407 set" in err
    assert "Markup [bold red]x[/]: not sent" in out  # a hostile argument name, literally


# -- 11.17: --insecure warns ---------------------------------------------------------------------


@pytest.mark.parametrize("output", ["text", "json"])
def test_insecure_warns_once_on_stderr(sandbox, cli, write, output):
    code, out, err = cli(write(triage()), "--insecure", "--wait", "--output", output)
    assert code == EXIT_OK, err
    warnings = [line for line in lines(err) if "NOT verified" in line]
    assert len(warnings) == 1 and warnings[0].startswith("warning: ")
    assert "--insecure" in warnings[0]


def test_no_insecure_warning_without_the_flag(sandbox, cli, write):
    code, _, err = cli(write(triage()))
    assert code == EXIT_OK and "NOT verified" not in err
