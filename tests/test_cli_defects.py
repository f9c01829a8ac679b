"""CLI defects: tables that fit, --output json, --demo for open/run/drafts, quiet broken pipes,
one launch path (--debug for open), sandbox flags validated."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import tour

from tui_app.cli import demo_settings, main
from tui_app.drafts import Draft, draft_path, load_draft, save_draft
from tui_app.history import HistoryEntry, HistoryJob, append_entry
from tui_app.locations import templates_dir
from tui_app.templates import (
    DEMO_URL,
    ProcessSpec,
    StrategySpec,
    Template,
    load_template,
    save_template,
)

ROOT = Path(__file__).resolve().parent.parent
SIZE = (80, 24)

TRIAGE = """\
version = 1
name = "Demo triage"

[connection]
url = "{url}"
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


def _demo_template(tmp_path: Path) -> Path:
    path = tmp_path / "demo-triage.toml"
    path.write_text(TRIAGE.format(url=DEMO_URL), encoding="utf-8")
    return path


class _FakeApp:
    return_code = 0
    session = SimpleNamespace(handoff_on_exit=None)  # nothing copied on Review

    def run(self, mouse=True):
        pass


@pytest.fixture
def wizard_calls(monkeypatch):
    """Replace ``make_app`` so a command builds the wizard without running it."""
    calls = []

    def fake(settings=None, **options):
        calls.append((settings, options))
        return _FakeApp()

    monkeypatch.setattr("tui_app.ui.app.make_app", fake)
    return calls


# -- 10.8: tables fit the terminal, --output json ------------------------------------------


def test_templates_table_fits_the_terminal_and_has_json(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    long = "Quarterly reconciliation of every supplier invoice in the region"
    save_template(Template(name=long, process=ProcessSpec("Reconcile" * 6, environment="Prod"),
                           strategy=StrategySpec(kind="JobsCount", jobs_count=2)))
    (templates_dir() / "broken.toml").write_text("version = 2\n", encoding="utf-8")
    assert main(["templates"]) == 0
    lines = capsys.readouterr().out.splitlines()
    table = [line for line in lines if not line.startswith(("error:", "(in "))]
    assert max(len(line) for line in table) <= 80, lines
    assert any("…" in line for line in table)

    assert main(["templates", "--output", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["folder"] == str(templates_dir())
    by_name = {item["name"]: item for item in data["templates"]}
    assert by_name[long]["process"] == "Reconcile" * 6
    assert by_name[long]["strategy"] == "JobsCount" and by_name[long]["error"] is None
    assert "version must be 1" in by_name["broken"]["error"]


def test_history_table_fits_the_terminal_and_has_json(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    entry = append_entry(HistoryEntry(
        source="headless", process_key="SupportTriageWithAVeryLongName", folder="Shared/Support",
        jobs=(HistoryJob(101, "k1", "Successful"), HistoryJob(102, "k2")),
        template_name="Triage incident for the night shift", user="operator", host="host01"))
    assert main(["history"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in lines) <= 80, lines
    monkeypatch.setenv("COLUMNS", "300")
    assert main(["history"]) == 0
    assert "SupportTriageWithAVeryLongName  Shared/Support" in capsys.readouterr().out

    assert main(["history", "--output", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["skipped"] == 0
    assert [item["id"] for item in data["entries"]] == [entry.id]
    assert data["entries"][0]["jobs"][0] == {"id": 101, "key": "k1", "state": "Successful"}


# -- 10.16: demo templates and drafts ---------------------------------------------------------


async def test_a_template_saved_in_the_demo_runs_on_a_fresh_demo(sandbox, capsys):
    from tui_app.ui.app import make_app
    from tui_app.ui.save_template import SaveTemplateDialog

    app = make_app(demo_settings(sandbox), demo=True, poll_interval=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_review(pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, SaveTemplateDialog)
        await tour.fill(pilot, "Demo triage")
        await pilot.press("ctrl+s")
        await tour.settle(pilot)
    template = load_template(templates_dir() / "demo-triage.toml")
    assert template.connection.url == DEMO_URL  # not the sandbox's passing port
    capsys.readouterr()

    code = await asyncio.to_thread(main, ["run", "Demo triage", "--demo", "--dry-run",
                                          "--output", "json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert json.loads(out.out)["request"]["startInfo"]["ReleaseKey"]
    code = await asyncio.to_thread(main, ["--demo", "run", "Demo triage"])
    assert code == 0, capsys.readouterr().err


def test_a_demo_template_without_demo_says_how(tmp_path, capsys, wizard_calls):
    path = _demo_template(tmp_path)
    assert main(["open", str(path)]) == 2
    err = capsys.readouterr().err
    assert "saved against the demo sandbox" in err and "startjob --demo open" in err
    assert wizard_calls == []
    assert main(["run", str(path), "--output", "json"]) == 2
    out = capsys.readouterr()
    assert "startjob run" in out.err and "--demo" in out.err
    assert json.loads(out.out)["exit_code"] == 2


def test_demo_open_lands_on_review_on_a_fresh_sandbox(tmp_path, monkeypatch):
    """``startjob --demo open T``: a fresh sandbox, signed in with the demo credentials."""
    from tui_app.ui import app as ui_app

    real_make_app = ui_app.make_app
    landed = []

    async def drive(app):
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("enter")
            await tour.settle(pilot)
            landed.append(app.screen.STEP)

    def make_app(settings=None, **options):
        app = real_make_app(settings, **options)
        app.run = lambda mouse=True: asyncio.run(drive(app))
        return app

    monkeypatch.setattr(ui_app, "make_app", make_app)
    assert main(["--demo", "open", str(_demo_template(tmp_path))]) == 0
    assert landed == ["Review"]
    assert main(["open", str(_demo_template(tmp_path)), "--demo"]) == 0
    assert landed == ["Review", "Review"]


async def test_demo_offers_and_resumes_a_draft_of_an_earlier_demo(sandbox):
    from tui_app.ui.app import make_app
    from tui_app.ui.dialogs import ConfirmDialog

    save_draft(Draft(url="http://127.0.0.1:9/demo/DefaultTenant/orchestrator_",
                     auth_mode="client_credentials", client_id="demo-client",
                     folder_path="Default", process_key="SupportTriage",
                     environment="QuickstartDemo", strategy_kind="Specific",
                     robot_names=["SUPPORT-BOT-01"], argument_texts={"IncidentId": "INC777"},
                     step="Review"))
    app = make_app(demo_settings(sandbox), demo=True, poll_interval=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await tour.settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await tour.settle(pilot)
        await pilot.press("enter")
        await tour.settle(pilot)
        assert app.screen.STEP == "Review", str(app.screen.message.render())
        assert app.state.settings.url == sandbox.orchestrator_url
        assert app.session.current_plan().arguments == {"IncidentId": "INC777"}


async def test_demo_keeps_a_real_tenants_draft_for_later(sandbox):
    from tui_app.ui.app import make_app
    from tui_app.ui.dialogs import ConfirmDialog

    save_draft(Draft(url="https://cloud.uipath.com/acme/prod/orchestrator_",
                     process_key="Payroll"))
    app = make_app(demo_settings(sandbox), demo=True, poll_interval=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await tour.settle(pilot)
        assert not isinstance(app.screen, ConfirmDialog)
    assert draft_path().exists() and load_draft().draft.process_key == "Payroll"


# -- 10.18 / 11.11: a closed pipe ends quietly ------------------------------------------------


def _into_closed_pipe(args, **env):
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run([sys.executable, "-m", "tui_app", *args], stdout=write,
                              stderr=subprocess.PIPE, text=True, cwd=ROOT, timeout=120,
                              env={**os.environ, **env})
    finally:
        os.close(write)


@pytest.mark.parametrize("args", [["history"], ["history", "--output", "json"], ["templates"],
                                  ["templates", "--output", "json"], ["settings"]])
def test_output_into_a_closed_pipe_is_quiet(args):
    done = _into_closed_pipe(args)
    assert done.stderr == ""
    assert done.returncode == 141


def test_help_into_a_closed_pipe_is_quiet():
    assert _into_closed_pipe(["--help"]).stderr == ""  # argparse ignores the error itself


@pytest.mark.parametrize("output", ["text", "json"])
def test_run_dry_run_into_a_closed_pipe_is_quiet(sandbox, tmp_path, output):
    path = tmp_path / "t.toml"
    path.write_text(TRIAGE.format(url=sandbox.orchestrator_url), encoding="utf-8")
    done = _into_closed_pipe(["run", str(path), "--dry-run", "--output", output],
                             UIPATH_CLIENT_ID="demo-client", UIPATH_CLIENT_SECRET="demo-secret")
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr
    assert done.returncode == 141


# -- 10.20: one launch path ----------------------------------------------------------------


def test_open_honours_debug_and_no_token_cache(tmp_path, capsys, wizard_calls, sandbox):
    path = tmp_path / "t.toml"
    path.write_text(TRIAGE.format(url=sandbox.orchestrator_url), encoding="utf-8")
    assert main(["open", str(path), "--debug", "--no-token-cache"]) == 0
    assert "Debug log:" in capsys.readouterr().err
    (settings, options), = wizard_calls
    assert settings.url == sandbox.orchestrator_url
    assert options["client_options"]["debug_log"] is not None
    assert options["client_options"]["token_cache"] is False
    assert options["template"].name == "Demo triage" and options["handle_signals"]


def test_wizard_open_and_demo_share_the_client_options(wizard_calls, capsys):
    assert main(["--debug"]) == 0
    assert main(["--demo", "--debug"]) == 0
    (_, plain), (demo, with_demo) = wizard_calls
    assert plain["client_options"]["debug_log"] is not None
    assert with_demo["demo"] is True and demo.client_id == "demo-client"
    assert with_demo["client_options"]["debug_log"] is not None
    assert with_demo["client_options"]["token_cache"] is False  # a fresh sandbox each time
    assert capsys.readouterr().err.count("Debug log:") == 2


# -- 10.21 / 11.10: the sandbox's flags ----------------------------------------------------


def test_sandbox_help_explains_every_flag(capsys):
    with pytest.raises(SystemExit):
        main(["sandbox", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    for text in ("--host HOST", "--port PORT", "--scale N", "--seed SEED",
                 "--token-lifetime SECONDS how long an access token stays valid"):
        assert text in out


def test_demo_says_which_flags_it_ignores(capsys, wizard_calls):
    assert main(["--demo", "--insecure", "--url", "https://x.example"]) == 0
    err = capsys.readouterr().err
    assert "ignoring --url, --insecure" in err
    assert wizard_calls[0][0].insecure is False


@pytest.mark.parametrize("args, message", [
    (["--port", "99999"], "expected a port number from 0 to 65535, got '99999'"),
    (["--port", "-5"], "expected a port number from 0 to 65535, got '-5'"),
    (["--port", "http"], "expected a port number"),
    (["--scale", "-1"], "expected a whole number from 0 to 100000, got '-1'"),
    (["--scale", "10000000"], "expected a whole number from 0 to 100000"),
    (["--token-lifetime", "-1"], "expected a number of seconds > 0, got '-1'"),
    (["--token-lifetime", "nan"], "expected a number of seconds > 0, got 'nan'"),
    (["--token-lifetime", "inf"], "expected a number of seconds > 0, got 'inf'"),
])
def test_sandbox_refuses_bad_numbers(args, message, capsys, monkeypatch):
    monkeypatch.setattr("tui_app.sandbox.serve", lambda **kwargs: 0)
    with pytest.raises(SystemExit) as exc:
        main(["sandbox", *args])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_sandbox_passes_good_numbers(monkeypatch):
    seen = {}
    monkeypatch.setattr("tui_app.sandbox.serve", lambda **kwargs: seen.update(kwargs) or 0)
    assert main(["sandbox", "--port", "0", "--scale", "3", "--token-lifetime", "1.5"]) == 0
    assert seen["port"] == 0 and seen["config"].scale == 3
    assert seen["config"].token_lifetime == 1.5


def test_sandbox_config_refuses_nan():
    from tui_app.sandbox import SandboxConfig

    with pytest.raises(ValueError, match="token_lifetime must be a finite number"):
        SandboxConfig(token_lifetime=float("nan"))


def test_an_unreadable_history_is_one_line_and_exit_1(capsys):
    from tui_app.locations import history_file

    history_file().mkdir(parents=True)  # a folder where the file should be
    assert main(["history"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"startjob history: cannot read {history_file()}: ")
    assert len(err.splitlines()) == 1


def test_a_queue_template_opens_in_the_wizard_with_its_template(tmp_path, wizard_calls):
    path = tmp_path / "notes.toml"
    path.write_text('version = 1\nname = "Note"\naction = "add_queue_item"\n\n'
                    '[connection]\nurl = "https://x.test/orchestrator_"\nfolder = "Shared"\n\n'
                    '[queue]\nname = "Notes"\n\n[item]\n\n[content]\nText = "hello"\n',
                    encoding="utf-8")
    assert main(["open", str(path)]) == 0
    (settings, options), = wizard_calls
    assert options["template"].action == "add_queue_item"
    assert options["template"].queue.name == "Notes"
    assert settings.url == "https://x.test/orchestrator_"
