"""The production guard in ``startjob run`` against the sandbox: ``--yes``, exit 2 without it,
``--dry-run``, batches, queue items, and the typed confirmation on a real terminal (pty)."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time

import pytest
from support import TRIAGE_TEMPLATE

from tui_app import replay
from tui_app.cli import main
from tui_app.exit_codes import EXIT_OK, EXIT_USAGE
from tui_app.following import FollowPolicy
from tui_app.profiles import profiles_file

START_JOBS = "POST /odata/Jobs/UiPath.Server.Configuration.OData.StartJobs"
ADD_ITEM = "POST /odata/Queues/UiPathODataSvc.AddQueueItem"
COUNTED = """\
version = 1
name = "Counted"

[connection]
folder = "Finance"

[process]
key = "ArgumentShowcase"

[strategy]
kind = "ModernJobsCount"
jobs_count = {count}

[arguments]
Text = "hello"
Count = 3
"""
INVOICE = """\
version = 1
name = "Invoice"
action = "add_queue_item"
{top}
[connection]
folder = "Finance"

[queue]
name = "InvoiceIntake"

[item]

[content]
InvoiceNumber = "INV-1042"
Vendor = "ACME"
Amount = 99.5
Currency = "EUR"
"""


@pytest.fixture(autouse=True)
def demo_credentials(monkeypatch):
    monkeypatch.setenv("UIPATH_CLIENT_ID", "demo-client")
    monkeypatch.setenv("UIPATH_CLIENT_SECRET", "demo-secret")
    monkeypatch.setattr(replay, "FOLLOW", FollowPolicy(first=0.05, longest=0.2))


@pytest.fixture
def prod(sandbox):
    """Write profiles.toml with a profile "prod" on the sandbox; ``prod(**keys)``."""

    def write(**keys: str) -> None:
        lines = [f'url = "{sandbox.orchestrator_url}"', 'client_id = "demo-client"',
                 'secret_env = "UIPATH_CLIENT_SECRET"'] + [f"{k} = {v}" for k, v in keys.items()]
        profiles_file().parent.mkdir(parents=True, exist_ok=True)
        profiles_file().write_text("[profiles.prod]\n" + "\n".join(lines) + "\n",
                                   encoding="utf-8")

    return write


@pytest.fixture
def cli(capsys, tmp_path):
    def run(text: str, *args: str):
        path = tmp_path / "template.toml"
        path.write_text(text, encoding="utf-8")
        code = main(["run", str(path), "--profile", "prod", *args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def starts(sandbox) -> int:
    return sum(1 for r in sandbox.request_log if r.route == START_JOBS)


def test_a_protected_profile_without_yes_exits_2_and_sends_nothing(sandbox, prod, cli):
    prod(protected="true")
    code, out, err = cli(TRIAGE_TEMPLATE)
    assert code == EXIT_USAGE
    assert "Not started: the target is protected (profile prod); confirm with --yes" in err
    assert starts(sandbox) == 0


def test_a_protected_profile_with_yes_starts(sandbox, prod, cli):
    prod(protected="true")
    code, out, err = cli(TRIAGE_TEMPLATE, "--yes", "--output", "json")
    assert code == EXIT_OK, err
    data = json.loads(out)
    assert data["guard"]["confirmed"] == "--yes" and data["guard"]["word"] == "Default"
    assert len(data["jobs"]) == 1 and starts(sandbox) == 1


def test_an_unprotected_folder_of_the_profile_starts_without_asking(sandbox, prod, cli):
    prod(protected_folders='["Finance", "Shared/Support"]')
    code, out, err = cli(TRIAGE_TEMPLATE, "--output", "json")  # Default is not listed
    assert code == EXIT_OK, err
    assert "guard" not in json.loads(out) and starts(sandbox) == 1


def test_a_protected_folder_or_template_is_guarded(sandbox, prod, cli):
    prod(protected_folders='["default"]')
    code, _, err = cli(TRIAGE_TEMPLATE)
    assert code == EXIT_USAGE and "folder default in profile prod" in err
    prod()
    code, _, err = cli("protected = true\n" + TRIAGE_TEMPLATE)
    assert code == EXIT_USAGE and "template Triage incident" in err
    assert starts(sandbox) == 0


def test_dry_run_reports_that_a_real_run_needs_a_confirmation(sandbox, prod, cli):
    prod(protected="true")
    code, out, err = cli(TRIAGE_TEMPLATE, "--dry-run")
    assert code == EXIT_OK, err
    assert "A real run needs a confirmation: the target is protected (profile prod)" in err
    code, out, err = cli(TRIAGE_TEMPLATE, "--dry-run", "--output", "json")
    guard = json.loads(out)["guard"]
    assert guard["needs_confirmation"] and guard["confirmed"] is None
    assert starts(sandbox) == 0


def test_the_cap_refuses_more_jobs_without_yes(sandbox, prod, cli):
    prod(max_jobs="3")
    code, _, err = cli(COUNTED.format(count=4))
    assert code == EXIT_USAGE
    assert "it would start 4 jobs, more than the cap of 3 jobs per start (profile prod)" in err
    assert starts(sandbox) == 0
    assert cli(COUNTED.format(count=3))[0] == EXIT_OK  # at the cap: no question
    code, _, err = cli("max_jobs = 2\n" + COUNTED.format(count=3))  # the smaller cap wins
    assert code == EXIT_USAGE and "cap of 2 jobs per start (template Counted)" in err
    assert cli(COUNTED.format(count=4), "--yes")[0] == EXIT_OK
    assert starts(sandbox) == 2


def test_all_robots_under_a_cap_counts_the_robot_pool(sandbox, prod, cli):
    prod(max_jobs="1")
    template = TRIAGE_TEMPLATE.replace('kind = "Specific"\nrobots = ["SUPPORT-BOT-01"]',
                                       'kind = "All"')
    code, _, err = cli(template, "--dry-run")
    assert code == EXIT_OK
    assert "jobs, more than the cap of 1 jobs per start" in err
    assert "unknown number" not in err  # the environment's robots were counted


def test_a_queue_item_into_a_protected_folder_is_guarded(sandbox, prod, cli):
    prod(protected_folders='["Finance"]')
    code, _, err = cli(INVOICE.format(top=""))
    assert code == EXIT_USAGE and "folder Finance in profile prod" in err
    assert sum(1 for r in sandbox.request_log if r.route == ADD_ITEM) == 0
    code, out, err = cli(INVOICE.format(top=""), "--yes")
    assert code == EXIT_OK, err
    assert sum(1 for r in sandbox.request_log if r.route == ADD_ITEM) == 1


def test_a_batch_is_refused_before_its_first_row_and_goes_with_yes(sandbox, prod, cli,
                                                                   tmp_path):
    prod(protected="true")
    rows = tmp_path / "rows.csv"
    rows.write_text("Text\na\nb\nc\n", encoding="utf-8")
    code, out, err = cli(COUNTED.format(count=1), "--rows", str(rows), "--output", "json")
    assert code == EXIT_USAGE and "confirm with --yes" in err
    assert json.loads(out.splitlines()[-1])["totals"]["guard"]["needs_confirmation"]
    assert starts(sandbox) == 0
    code, out, err = cli(COUNTED.format(count=1), "--rows", str(rows), "--yes")
    assert code == EXIT_OK, err
    assert starts(sandbox) == 3


def test_a_batch_asks_once_on_a_terminal(sandbox, prod, tmp_path, monkeypatch):
    from tui_app import prompts
    from tui_app.batch import BatchOptions, run_batch
    from tui_app.replay import ReplayOptions

    prod(protected="true")
    path = tmp_path / "t.toml"
    path.write_text(COUNTED.format(count=1), encoding="utf-8")
    rows = tmp_path / "rows.csv"
    rows.write_text("Text\na\nb\n", encoding="utf-8")
    asked: list = []

    class Typed(prompts.Prompter):
        def read(self, label: str, *, masked: bool = False) -> str:
            asked.append(label)
            return "Finance"

    monkeypatch.setattr(prompts, "terminal", lambda stdin=None, err=None: Typed(None, err))
    code = run_batch(BatchOptions(ReplayOptions(str(path), profile="prod"), rows=str(rows)))
    assert code == EXIT_OK
    assert asked == ["Type the folder name (Finance) to start in a protected folder: "]
    assert starts(sandbox) == 2


def _read_until(fd: int, wanted: bytes, timeout: float = 60.0) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while wanted not in seen:
        assert time.monotonic() < deadline, seen.decode("utf-8", "replace")
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    return seen


@pytest.mark.skipif(sys.platform == "win32", reason="a pty")
def test_the_typed_confirmation_on_a_real_terminal(sandbox, prod, tmp_path):
    import pty

    prod(protected="true")
    path = tmp_path / "t.toml"
    path.write_text(TRIAGE_TEMPLATE, encoding="utf-8")
    main_fd, terminal_fd = pty.openpty()
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    process = subprocess.Popen(
        [sys.executable, "-m", "tui_app", "run", str(path), "--profile", "prod"],
        stdin=terminal_fd, stderr=terminal_fd, stdout=subprocess.PIPE, env=env)
    os.close(terminal_fd)
    try:
        seen = _read_until(main_fd, b"to start in a protected folder: ")
        assert b"Protected: profile prod." in seen
        assert starts(sandbox) == 0  # nothing is sent before the confirmation
        os.write(main_fd, b"default\n")  # the wrong case
        seen = _read_until(main_fd, b"to start in a protected folder: ")
        assert b"That is not 'Default'" in seen
        os.write(main_fd, b"Default\n")
        out, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(main_fd)
    assert process.returncode == EXIT_OK
    assert b"Started 1 job(s)" in out and starts(sandbox) == 1


def test_route_never_asks_and_starts_a_protected_template_only_with_yes(sandbox, prod, tmp_path,
                                                                        capsys):
    prod(protected="true")
    (tmp_path / "triage.toml").write_text(TRIAGE_TEMPLATE, encoding="utf-8")
    routes = tmp_path / "routes.toml"
    routes.write_text('[[route]]\ntemplate = "triage.toml"\n', encoding="utf-8")
    events = tmp_path / "events.jsonl"
    events.write_text('{"incident": {"number": "INC1"}}\n', encoding="utf-8")
    argv = ["route", str(routes), "--events", str(events), "--profile", "prod"]
    assert main(argv) == 4
    assert "not started (exit 2): Not started: the target is protected" in capsys.readouterr().out
    assert starts(sandbox) == 0
    assert main([*argv, "--yes"]) == EXIT_OK
    assert starts(sandbox) == 1
