"""``startjob templates``, ``startjob history``, ``startjob run --help`` and the promise that the
headless path never imports Textual."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tui_app.cli import build_parser, main
from tui_app.exit_codes import EXIT_CODES
from tui_app.history import HistoryEntry, HistoryJob, append_entry, update_final_states
from tui_app.locations import templates_dir
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
    assert lines[0].split() == ["Name", "Process", "Strategy", "File"]
    assert lines[1].split()[:2] == ["broken", "(cannot"]
    # The File column shows the file name (issue 10.8: fit the terminal); the folder is below.
    assert lines[2].split() == ["Hello", "HelloWorld", "ModernJobsCount", "hello.toml"]
    assert lines[3].split() == ["Weekly", "report", "ReportGenerator", "(Production)",
                                "JobsCount", "weekly-report.toml"]
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
