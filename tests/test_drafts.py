"""Drafts of the wizard's choices: no secrets, atomic, never a crash on a bad file; signals."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from tui_app.connection import ConnectionSettings
from tui_app.drafts import (
    DRAFT_FORMAT,
    Draft,
    discard_draft,
    draft_from_state,
    draft_path,
    load_draft,
    save_draft,
)
from tui_app.hangup import TerminalWatch, install_exit_handlers
from tui_app.orchestrator.models import Environment, Folder, Release, Robot
from tui_app.sandbox.hostile import HOSTILE_STRINGS
from tui_app.secretnames import looks_secret as is_secret_name
from tui_app.wizard.state import WizardState

POSIX = os.name == "posix"
SECRETS = ("S3cret-client-secret", "S3cret-password", "S3cret-token", "S3cret-argument",
           "S3cret-api-key")
REPO = Path(__file__).resolve().parents[1]


def full_draft(**changes) -> Draft:
    values = dict(
        url="https://cloud.uipath.com/acme/DefaultTenant/orchestrator_",
        auth_mode="client_credentials", client_id="app-id", tenancy_name="Default",
        username="admin", scope="OR.Jobs OR.Folders.Read", identity_url="",
        folder_path="Shared/Support", search_text="triage", process_key="SupportTriage",
        release_key="99587436-4ce5-480d-988c-6d7f43787a2c", environment="QuickstartDemo",
        strategy_kind="Specific", robot_names=["SUPPORT-BOT-01", "SUPPORT-BOT-02"],
        jobs_count_text="3", runtime_type="Unattended",
        argument_texts={"IncidentId": "INC0010234", "Note": "line one\nline two"},
        step="Arguments",
    )
    values.update(changes)
    return Draft(**values)


def test_draft_path_is_in_the_data_folder(isolated_home):
    assert draft_path() == isolated_home / "data" / "draft.json"


def test_round_trip(isolated_home):
    draft = full_draft()
    path = save_draft(draft)
    assert path == draft_path()
    loaded = load_draft()
    assert loaded and loaded.problem is None and loaded.path == path
    assert loaded.draft == draft
    assert loaded.draft.saved_at.endswith("Z") and draft.saved_at == loaded.draft.saved_at
    data = json.loads(path.read_text("utf-8"))
    assert data["format"] == DRAFT_FORMAT and data["version"] == 1
    assert data["robot_names"] == ["SUPPORT-BOT-01", "SUPPORT-BOT-02"]
    if POSIX:
        assert path.stat().st_mode & 0o777 == 0o600


def test_hostile_text_round_trips(tmp_path):
    draft = full_draft(search_text=HOSTILE_STRINGS[0], robot_names=list(HOSTILE_STRINGS),
                       argument_texts={s[:40]: s for s in HOSTILE_STRINGS
                                       if not is_secret_name(s[:40])})
    path = save_draft(draft, tmp_path / "d.json")
    assert load_draft(path).draft == draft


def test_secrets_are_never_stored(tmp_path):
    data = full_draft().__dict__ | {
        "client_secret": SECRETS[0], "password": SECRETS[1], "token": SECRETS[2],
        "argument_texts": {"Password": SECRETS[3], "ApiKey": SECRETS[4],
                           "db_pwd": "S3cret-pwd", "AccessToken": "S3cret-at",
                           "IncidentId": "INC1"},
    }
    draft = Draft.from_dict(data)
    assert not hasattr(draft, "client_secret")
    assert draft.argument_texts == {"IncidentId": "INC1"}
    with pytest.raises(TypeError):
        Draft(password="x")  # a secret cannot even be passed in
    path = save_draft(draft, tmp_path / "draft.json")
    written = path.read_text("utf-8")
    for secret in (*SECRETS, "S3cret-pwd", "S3cret-at"):
        assert secret not in written
    for key in ("client_secret", '"password"', '"token"'):
        assert key not in written


def test_a_draft_of_the_wizard_state_has_no_secrets(tmp_path):
    settings = ConnectionSettings(
        url="https://orch.example.com/acme/T/orchestrator_", client_id="app",
        client_secret=SECRETS[0], password=SECRETS[1], token=SECRETS[2], username="admin")
    folder = Folder(4, "k", "Default", "Default", "Manual", "InheritFromTenant")
    robots = (Robot(101, "SUPPORT-BOT-01"), Robot(102, "SUPPORT-BOT-02"),
              Robot(103, "SUPPORT-BOT-03"))
    release = Release(1, "rel-key", "SupportTriage_QuickstartDemo", "SupportTriage", "1.0.1",
                      environment_name="QuickstartDemo")
    state = WizardState(settings=settings, folder=folder, release=release,
                        search_text="tri", strategy_kind="Specific",
                        environments={"QuickstartDemo": Environment(11, "QuickstartDemo",
                                                                    robots=robots)},
                        jobs_count_text="2",
                        argument_texts={"IncidentId": "INC7", "Password": SECRETS[3]})
    state.selected_robots[state.robots_key()] = {103, 101}
    draft = draft_from_state(state, "Review")
    assert (draft.url, draft.client_id, draft.username) == (settings.url, "app", "admin")
    assert (draft.folder_path, draft.process_key, draft.release_key, draft.environment) == (
        "Default", "SupportTriage", "rel-key", "QuickstartDemo")
    assert draft.robot_names == ["SUPPORT-BOT-01", "SUPPORT-BOT-03"]
    assert draft.argument_texts == {"IncidentId": "INC7"} and draft.step == "Review"
    written = save_draft(draft, tmp_path / "draft.json").read_text("utf-8")
    assert not any(secret in written for secret in SECRETS)
    # An empty state (Connect step) works too.
    empty = draft_from_state(WizardState(settings=ConnectionSettings()), "Connect")
    assert empty.step == "Connect" and empty.robot_names == [] and empty.folder_path == ""


def test_is_secret_name():
    for name in ("Password", "userPassword", "DB_PWD", "ClientSecret", "api_key", "ApiKey",
                 "AccessToken", "PIN", "Credential", "Passphrase"):
        assert is_secret_name(name), name
    for name in ("IncidentId", "Name", "Region", "Spinner", "Input", "Amount"):
        assert not is_secret_name(name), name


@pytest.mark.parametrize("content, words", [
    (b"", "damaged"),
    (b"{not json", "damaged"),
    (b'{"format": "startjob-draft", "version": 1, "url": "ht', "damaged"),
    (b"\xff\xfe\x00garbage", "damaged"),
    (b"[1, 2, 3]", "not a startjob draft"),
    (b'{"url": "x"}', "not a startjob draft"),
    (b'{"format": "startjob-template", "version": 1}', "not a startjob draft"),
    (b'{"format": "startjob-draft", "version": 2}', "newer startjob"),
    (b'{"format": "startjob-draft", "version": "1"}', "unknown format version"),
    (b'{"format": "startjob-draft"}', "unknown format version"),
    (b'{"format": "startjob-draft", "version": 1, "url": 5}', "url must be text"),
    (b'{"format": "startjob-draft", "version": 1, "robot_names": "BOT"}', "robot_names"),
    (b'{"format": "startjob-draft", "version": 1, "argument_texts": {"a": 1}}',
     "argument_texts"),
])
def test_a_bad_draft_is_ignored_and_reported(content, words):
    path = draft_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    loaded = load_draft()
    assert not loaded and loaded.draft is None
    assert words in loaded.problem and str(path) in loaded.problem
    assert path.exists()  # left for discard_draft
    assert discard_draft() and not path.exists()


def test_missing_huge_and_unreadable_drafts(tmp_path):
    missing = load_draft(tmp_path / "none.json")
    assert not missing and missing.problem is None
    huge = tmp_path / "huge.json"
    huge.write_bytes(b" " * 2_000_001)
    assert "too big" in load_draft(huge).problem
    folder = tmp_path / "folder.json"
    folder.mkdir()
    assert "could not be read" in load_draft(folder).problem


def test_unknown_keys_are_ignored(tmp_path):
    path = tmp_path / "d.json"
    data = full_draft().to_dict() | {"future_field": [1, 2], "token": "S3cret"}
    path.write_text(json.dumps(data), "utf-8")
    loaded = load_draft(path)
    assert loaded.problem is None and loaded.draft.url == full_draft().url


def test_discard(tmp_path):
    path = tmp_path / "draft.json"
    assert discard_draft(path) is False
    save_draft(full_draft(), path)
    leftover = tmp_path / ".draft.json.abc123.tmp"
    leftover.write_text("{", "utf-8")
    assert discard_draft(path) is True
    assert not path.exists() and not leftover.exists()


def test_saving_into_an_unwritable_place_raises_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x", "utf-8")
    from tui_app.locations import LocationError

    with pytest.raises(LocationError):
        save_draft(full_draft(), blocker / "sub" / "draft.json")


# ------------------------------------------------------------------------------ terminal watch


@pytest.mark.skipif(not POSIX, reason="pseudo-terminals are POSIX")
def test_terminal_watch_notices_a_closed_terminal():
    master, slave = os.openpty()
    try:
        watch = TerminalWatch([slave])
        assert watch.watching and not watch.gone()
        os.close(master)
        master = None
        assert watch.gone()
    finally:
        os.close(slave)
        if master is not None:
            os.close(master)


def test_terminal_watch_ignores_streams_that_were_never_terminals(tmp_path):
    with open(tmp_path / "f", "w") as handle:
        watch = TerminalWatch([handle, None, object()])
        assert not watch.watching and not watch.gone()


def test_install_exit_handlers_outside_the_main_thread_does_nothing():
    result = []
    thread = threading.Thread(target=lambda: result.append(install_exit_handlers(print)))
    thread.start()
    thread.join()
    assert result == [[]]


# ------------------------------------------------------------------------------ subprocesses


SIGNAL_SCRIPT = textwrap.dedent("""
    import os, sys, time
    from tui_app.drafts import Draft, save_draft
    from tui_app.hangup import TerminalWatch, install_exit_handlers

    path = sys.argv[1]
    watch = TerminalWatch()  # remember which streams are terminals
    ready_cpu = time.process_time()

    def on_signal(signum):
        idle_cpu = time.process_time() - ready_cpu
        save_draft(Draft(url="https://orch.example.com/o/t/orchestrator_", step="Process",
                         search_text=f"signal {signum}",
                         argument_texts={"idle_cpu": repr(idle_cpu),
                                         "gone": repr(watch.gone())}), path)

    install_exit_handlers(on_signal)
    os.write(1, b"ready\\n")
    while True:
        time.sleep(0.25)
""")


def _child_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _wait_exit(proc: subprocess.Popen, limit: float) -> float:
    began = time.monotonic()
    try:
        proc.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        pytest.fail(f"the process did not exit within {limit} s of the signal")
    return time.monotonic() - began


@pytest.mark.skipif(not POSIX, reason="SIGHUP is POSIX")
@pytest.mark.parametrize("signame", ["SIGHUP", "SIGTERM"])
def test_a_signal_saves_the_draft_and_exits_promptly(tmp_path, signame):
    import signal

    signum = getattr(signal, signame)
    script = tmp_path / "child.py"
    script.write_text(SIGNAL_SCRIPT, "utf-8")
    path = tmp_path / "draft.json"
    proc = subprocess.Popen([sys.executable, str(script), str(path)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=_child_env())
    try:
        assert proc.stdout.readline() == b"ready\n"
        time.sleep(1.0)  # idle: the child must not burn CPU meanwhile
        proc.send_signal(signum)
        took = _wait_exit(proc, 2.0)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    assert took < 2.0
    assert proc.returncode == 128 + signum
    loaded = load_draft(path)
    assert loaded.problem is None and loaded.draft.search_text == f"signal {signum}"
    assert float(loaded.draft.argument_texts["idle_cpu"]) < 0.3  # no busy loop while idle


LOOP_SCRIPT = textwrap.dedent("""
    import asyncio, os, sys, time
    from tui_app.drafts import Draft, save_draft
    from tui_app.hangup import install_exit_handlers

    path, mode = sys.argv[1], sys.argv[2]

    async def main():
        stop = asyncio.Event()

        def on_signal(signum):  # runs as a loop callback: safe to touch the app here
            save_draft(Draft(step=mode, search_text=f"signal {signum}"), path)
            if mode == "loop":
                stop.set()  # what app.exit() does in the wizard

        install_exit_handlers(on_signal, raise_exit=False, grace=0.5,
                              loop=asyncio.get_running_loop())
        os.write(1, b"ready\\n")
        if mode == "loop":
            await stop.wait()
            os.write(1, b"clean exit\\n")
            return
        while True:  # never notices: the watchdog must end it
            await asyncio.sleep(0.2)

    asyncio.run(main())
""")


@pytest.mark.skipif(not POSIX, reason="signals are POSIX")
@pytest.mark.parametrize("mode", ["loop", "watchdog"])
def test_exit_handlers_in_an_event_loop(tmp_path, mode):
    import signal

    script = tmp_path / "child.py"
    script.write_text(LOOP_SCRIPT, "utf-8")
    path = tmp_path / "draft.json"
    proc = subprocess.Popen([sys.executable, str(script), str(path), mode],
                            stdout=subprocess.PIPE, env=_child_env())
    try:
        assert proc.stdout.readline() == b"ready\n"
        proc.send_signal(signal.SIGTERM)
        took = _wait_exit(proc, 2.0)
        rest = proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
    draft = load_draft(path).draft
    assert draft.step == mode and draft.search_text == f"signal {int(signal.SIGTERM)}"
    if mode == "loop":
        assert rest == b"clean exit\n" and proc.returncode == 0
    else:
        assert proc.returncode == 128 + signal.SIGTERM and 0.4 < took < 2.0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux pty hang-up semantics")
def test_closing_the_terminal_sends_sighup_and_the_draft_is_saved(tmp_path):
    import fcntl
    import signal
    import termios

    script = tmp_path / "child.py"
    script.write_text(SIGNAL_SCRIPT, "utf-8")
    path = tmp_path / "draft.json"
    master, slave = os.openpty()

    def make_controlling_terminal():  # runs in the child after setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen([sys.executable, str(script), str(path)], stdin=slave,
                            stdout=slave, stderr=slave, start_new_session=True,
                            preexec_fn=make_controlling_terminal, env=_child_env())
    os.close(slave)
    try:
        seen = b""
        deadline = time.monotonic() + 10
        while b"ready" not in seen and time.monotonic() < deadline:
            seen += os.read(master, 1024)
        assert b"ready" in seen
    finally:
        os.close(master)  # the terminal window closes / the SSH connection drops
    took = _wait_exit(proc, 2.0)
    assert took < 2.0 and proc.returncode == 128 + signal.SIGHUP
    draft = load_draft(path).draft
    assert draft.search_text == f"signal {int(signal.SIGHUP)}"
    assert draft.argument_texts["gone"] == "True"  # the watchdog check sees it too


WRITER_SCRIPT = textwrap.dedent("""
    import os, sys
    from tui_app.drafts import Draft, save_draft

    path = sys.argv[1]
    n = 0
    os.write(1, b"ready\\n")
    while True:
        n += 1
        save_draft(Draft(step="Arguments", jobs_count_text=str(n),
                         argument_texts={"Big": f"{n:06d}" * (5000 + n % 7 * 5000)}), path)
""")


@pytest.mark.skipif(not POSIX, reason="SIGKILL is POSIX")
def test_a_draft_killed_while_being_written_is_whole_or_absent(tmp_path):
    script = tmp_path / "writer.py"
    script.write_text(WRITER_SCRIPT, "utf-8")
    path = tmp_path / "draft.json"
    rng = random.Random(1234)
    seen_whole = 0
    for _ in range(12):
        proc = subprocess.Popen([sys.executable, str(script), str(path)],
                                stdout=subprocess.PIPE, env=_child_env())
        try:
            assert proc.stdout.readline() == b"ready\n"
            time.sleep(rng.uniform(0.0, 0.25))
        finally:
            proc.kill()
            proc.wait()
            proc.stdout.close()
        loaded = load_draft(path)
        assert loaded.problem is None, loaded.problem
        if loaded.draft is not None:
            n = int(loaded.draft.jobs_count_text)
            assert loaded.draft.argument_texts["Big"] == f"{n:06d}" * (5000 + n % 7 * 5000)
            seen_whole += 1
    assert seen_whole >= 1
    discard_draft(path)
    assert not path.exists() and not list(tmp_path.glob(".draft.json.*.tmp"))
