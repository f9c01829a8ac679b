"""``startjob templates``, ``startjob history``, ``startjob run --help`` and the promise that the
headless path never imports Textual."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tui_app.cli import COMMANDS, build_parser, main
from tui_app.exit_codes import EXIT_CODES
from tui_app.history import HistoryEntry, HistoryJob, append_entry, update_final_states
from tui_app.library import owner
from tui_app.locations import history_file, templates_dir
from tui_app.templates import ProcessSpec, StrategySpec, Template, save_template

ROOT = Path(__file__).resolve().parent.parent

TRIAGE = """\
version = 1
name = "Triage incident"

[connection]
folder = "Default"

[process]
key = "SupportTriage"
environment = "QuickstartDemo"

[strategy]
kind = "Specific"
robots = ["SUPPORT-BOT-01"]

[arguments]
IncidentId = "INC0010234"
"""


def test_templates_lists_saved_and_broken_templates(capsys):
    save_template(Template(name="Weekly report", process=ProcessSpec("ReportGenerator",
                                                                     environment="Production"),
                           strategy=StrategySpec(kind="JobsCount", jobs_count=2)))
    save_template(Template(name="Hello", process=ProcessSpec("HelloWorld"),
                           strategy=StrategySpec(kind="ModernJobsCount")))
    (templates_dir() / "broken.toml").write_text("version = 2\n", encoding="utf-8")
    assert main(["templates"]) == 0
    lines = capsys.readouterr().out.splitlines()
    # No template has a description: no Description column.
    assert lines[0].split() == ["Name", "Process", "Strategy", "From", "Owner"]
    assert lines[1].split()[:2] == ["broken", "(cannot"]
    # From says personal or the shared folder (issue 18); the folders are below.
    me = owner(templates_dir() / "hello.toml")
    assert lines[2].split() == ["Hello", "HelloWorld", "ModernJobsCount", "personal", me]
    assert lines[3].split() == ["Weekly", "report", "ReportGenerator", "(Production)",
                                "JobsCount", "personal", me]
    assert lines[4] == (f"error: {templates_dir() / 'broken.toml'}: version must be 1 (the only "
                        "template format this startjob reads), got 2")
    assert lines[5] == f"(in {templates_dir()})"


def test_templates_when_there_are_none(capsys):
    assert main(["templates"]) == 0
    assert capsys.readouterr().out.startswith("No templates saved yet")


def test_history_shows_the_latest_entries(capsys):
    assert main(["history"]) == 0
    assert capsys.readouterr().out.strip() == "No jobs started yet."
    for number in range(3):
        entry = append_entry(HistoryEntry(
            source="headless", process_key=f"Process{number}", folder="Default",
            jobs=(HistoryJob(100 + number, f"key-{number}"),), template_name=f"T{number}"))
    update_final_states(entry.id, {"key-2": "Faulted"})
    assert main(["history", "--limit", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4  # header, rule, two entries
    assert "Process2" in lines[2] and "headless" in lines[2] and "T2" in lines[2]
    assert lines[2].rstrip().endswith("Faulted")
    assert "Process1" in lines[3]
    assert main(["history", "--limit", "0"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 5


def test_history_limit_must_be_a_count(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["history", "--limit", "-1"])
    assert exc.value.code == 2
    assert "expected a whole number >= 0" in capsys.readouterr().err


def test_run_help_lists_the_exit_codes(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--help"])
    out = capsys.readouterr().out
    assert "exit codes:" in out
    for code, text in EXIT_CODES:
        assert f"  {code}  {text}" in out
    for flag in ("--set NAME=VALUE", "--set-json NAME=JSON", "--event FILE", "--wait",
                 "--timeout SECONDS", "--output {text,json}", "--dry-run", "--url", "--folder",
                 "--profile"):
        assert flag in out


def test_run_never_imports_textual(sandbox, tmp_path):
    """A headless replay, start to finish (with --wait), in a fresh interpreter."""
    template = tmp_path / "triage.toml"
    template.write_text(TRIAGE, encoding="utf-8")
    code = (
        "import json, sys\n"
        "import tui_app.replay as replay\n"
        "from tui_app.following import FollowPolicy\n"
        "replay.FOLLOW = FollowPolicy(first=0.05)\n"
        "from tui_app.cli import main\n"
        f"rc = main(['run', {str(template)!r}, '--url', {sandbox.orchestrator_url!r}, "
        "'--wait', '--output', 'json'])\n"
        "print(json.dumps({'rc': rc, 'textual': sorted(m for m in sys.modules "
        "if m == 'textual' or m.startswith(('textual.', 'tui_app.ui')))}), file=sys.stderr)\n"
    )
    env = dict(os.environ, UIPATH_CLIENT_ID="demo-client", UIPATH_CLIENT_SECRET="demo-secret")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120)
    report = json.loads(done.stderr.strip().splitlines()[-1])
    assert report == {"rc": 0, "textual": []}, done.stderr
    assert json.loads(done.stdout)["jobs"][0]["State"] == "Successful"


def test_console_script_run_exit_code(tmp_path):
    """``python -m tui_app run`` returns the replay's exit code to the shell."""
    done = subprocess.run([sys.executable, "-m", "tui_app", "run", str(tmp_path / "nope.toml")],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 2
    assert "nope.toml: cannot be read" in done.stderr


# -- issue 14: startjob history fills in the outcome, @N, filters, JSON -----------------------


def _started(sandbox, count=1):
    import asyncio

    from tui_app.orchestrator import OrchestratorClient, TokenAuth
    from tui_app.sandbox import DEMO

    async def go():
        async with OrchestratorClient(sandbox.orchestrator_url,
                                      TokenAuth(DEMO.personal_access_token), folder=4) as client:
            return await client.start_jobs({
                "ReleaseKey": "99587436-4ce5-480d-988c-6d7f43787a2c", "Strategy": "JobsCount",
                "JobsCount": count, "InputArguments": '{"IncidentId": "INC1"}'})

    return asyncio.run(go())


def _entry(sandbox, jobs, **fields):
    values = dict(source="headless", process_key="SupportTriage", folder="Default",
                  folder_id=4, orchestrator_url=sandbox.orchestrator_url,
                  jobs=tuple(HistoryJob(job.id, job.key) for job in jobs),
                  body={"ReleaseKey": "99587436-4ce5-480d-988c-6d7f43787a2c"})
    values.update(fields)
    return append_entry(HistoryEntry(**values))


@pytest.fixture
def connected(sandbox, monkeypatch):
    monkeypatch.setenv("UIPATH_URL", sandbox.orchestrator_url)
    monkeypatch.setenv("UIPATH_CLIENT_ID", "demo-client")
    monkeypatch.setenv("UIPATH_CLIENT_SECRET", "demo-secret")
    return sandbox


def test_history_fills_in_final_states_once_per_run(connected, capsys, monkeypatch):
    import time

    monkeypatch.setenv("COLUMNS", "200")
    connected.tenant.set_robot_state(103, "Available")  # else the second job waits for it
    jobs = _started(connected, 2)
    _entry(connected, jobs[:1])
    _entry(connected, jobs[1:])
    time.sleep(0.9)
    assert main(["history"]) == 0
    out = capsys.readouterr().out
    assert out.count("Successful") == 2
    assert connected.count("GET /odata/Jobs") == 1  # both entries, one folder, one request
    lines = history_file().read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["kind"] for line in lines] == ["start", "start", "states",
                                                           "states"]
    assert main(["history"]) == 0  # nothing unfinished any more: nothing asked
    capsys.readouterr()
    assert connected.count("GET /odata/Jobs") == 1


def test_history_shows_a_running_state_without_recording_it(connected, capsys):
    jobs = _started(connected)
    _entry(connected, jobs)
    assert main(["history", "--output", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    [job] = data["entries"][0]["jobs"]
    key = jobs[0].key
    assert job["state"] is None
    assert data["entries"][0]["current_states"][key] in ("Pending", "Running")
    assert data["entries"][0]["urls"][key].endswith(
        f"/jobs(sidepanel:sidepanel/jobs/{key}/details)?fid=4")
    assert data["entries"][0]["number"] == 1 and data["states_unknown"] is None
    assert "states" not in history_file().read_text(encoding="utf-8")


def test_history_offline_or_without_settings_says_unknown(capsys, sandbox):
    _entry(sandbox, _started(sandbox))
    assert main(["history"]) == 0  # no UIPATH_* and no profile: no connection settings
    captured = capsys.readouterr()
    assert captured.out.splitlines()[2].rstrip().endswith("unknown")
    assert "states not recorded yet are unknown: no connection settings" in captured.err
    assert main(["history", "--offline", "--output", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["states_unknown"] == "--offline"
    assert set(data["entries"][0]["current_states"].values()) == {None}


def test_history_unreachable_orchestrator_does_not_fail(capsys, monkeypatch):
    append_entry(HistoryEntry(source="headless", process_key="P", folder="Default",
                              jobs=(HistoryJob(1, "k"),)))
    monkeypatch.setenv("UIPATH_URL", "http://127.0.0.1:9/orchestrator_")
    monkeypatch.setenv("UIPATH_ACCESS_TOKEN", "t")
    assert main(["history"]) == 0
    captured = capsys.readouterr()
    assert "unknown" in captured.out and "states not recorded yet are unknown" in captured.err


def test_history_entry_in_full(connected, capsys):
    import time

    jobs = _started(connected)
    _entry(connected, jobs, identity={"user_name": "demo-client", "id": 2, "email": None,
                                      "type": None})
    time.sleep(0.9)
    assert main(["history", "@1"]) == 0
    out = capsys.readouterr().out
    assert "Entry        @1" in out
    assert "Started as   user_name demo-client, id 2" in out
    assert f"Orchestrator {connected.orchestrator_url}" in out
    assert "Successful" in out and "output: {" in out
    assert f"jobs(sidepanel:sidepanel/jobs/{jobs[0].key}/details)?fid=4" in out
    assert '"ReleaseKey": "99587436-4ce5-480d-988c-6d7f43787a2c"' in out
    assert main(["history", "@1", "--output", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["jobs"][0]["state"] == "Successful"
    assert isinstance(data["output_arguments"][jobs[0].key], dict)
    assert main(["history", "@2", "--offline"]) == 2
    assert "the history has 1 start(s)" in capsys.readouterr().err


def test_history_filters(capsys):
    append_entry(HistoryEntry(source="wizard", process_key="Alpha", template_name="Nightly",
                              jobs=(HistoryJob(1, "a", "Faulted"),)))
    append_entry(HistoryEntry(source="wizard", process_key="Beta",
                              jobs=(HistoryJob(2, "b", "Successful"),)))
    assert main(["history", "--state", "faulted", "--output", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [(e["number"], e["process_key"]) for e in data["entries"]] == [(2, "Alpha")]
    assert main(["history", "--template", "night", "--process", "alp", "--since", "1h"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[2].split()[0] == "@2" and len(lines) == 3
    with pytest.raises(SystemExit) as info:
        main(["history", "--since", "soon"])
    assert info.value.code == 2
    assert "expected a duration" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [
    [], ["--demo"], ["--folder", "Shared", "--profile", "p"], ["run", "T", "--dry-run"],
    ["--folder", "run", "run", "T", "--set", "A=1"], ["--url=https://o.test", "jobs", "--mine"],
    ["history", "--user", "ana", "--limit", "5"], ["templates", "--check", "a", "b"],
    ["--fold", "Shared", "locate"],  # an abbreviated option: every subcommand is built
    ["stop", "@1", "--yes"], ["sandbox", "--port", "0"],
])
def test_a_parser_built_for_its_command_parses_as_the_whole_one(argv):
    """Only the subcommand named is built in full (start-up time); what it parses is what
    the parser with every subcommand parses."""
    assert vars(build_parser(argv).parse_args(argv)) == vars(build_parser().parse_args(argv))


def test_only_the_named_subcommand_is_built():
    def built(parser):
        [commands] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        return {name for name, sub in commands.choices.items() if sub is not None}

    assert built(build_parser(["run", "T"])) == {"run"}  # the others: listed, not built
    assert built(build_parser([])) == set()  # the wizard
    assert built(build_parser(["--fold", "x", "run"])) == built(build_parser()) == set(COMMANDS)
