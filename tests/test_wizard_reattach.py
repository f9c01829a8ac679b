"""Jobs after the start, in the wizard: restart and resume keys, re-attaching to jobs started
earlier (a history entry, ``startjob watch --tui``, a dropped session's draft), the history
fields of a wizard start, and the bell when every job has ended."""

from __future__ import annotations

import json
import time

import httpx
import pytest
import tour
from support import FIXED_REFERENCE, UI_URL, SandboxRedirect
from test_wizard_flow import _count
from textual.widgets import Input
from tour import wait_until
from wizard_fakes import answer, intercept

from tui_app.drafts import draft_path, load_draft
from tui_app.history import HistoryEntry, HistoryJob, append_entry, read_entries
from tui_app.sandbox import DEMO, SandboxConfig
from tui_app.ui.dialogs import ConfirmDialog
from tui_app.ui.recent import RecentStartsDialog
from tui_app.ui.screens import RunScreen

SIZE = (80, 24)
START = "/odata/Jobs/UiPath.Server.Configuration.OData.StartJobs"
LONG = SandboxConfig(job_pending_seconds=0.1, job_running_seconds=30, stop_seconds=0.2)


def message(app) -> str:
    return str(app.screen.message.render())


def footer(app) -> str:
    strips = app.screen._compositor.render_strips()
    return "".join(s.text for s in strips[-1] if not s.control)


def start_month_end(sandbox) -> dict:
    """A MonthEndClose job in Workshop that suspends at once and stays Suspended, started
    over HTTP, and its history entry (as another startjob session would have written it)."""
    sandbox.tenant.update_release(11, suspend_after=0.1, suspend_seconds=600)
    headers = {"Authorization": f"Bearer {DEMO.personal_access_token}",
               "X-UIPATH-FolderPath": "Workshop"}
    with httpx.Client(base_url=sandbox.orchestrator_url, verify=False, headers=headers) as http:
        job = http.post(START, json={"startInfo": {"ReleaseName": "MonthEndClose"}}).json()
        job = job["value"][0]
        deadline = time.monotonic() + 5
        while http.get(f"/odata/Jobs({job['Id']})").json()["State"] != "Suspended":
            assert time.monotonic() < deadline
            time.sleep(0.05)
    append_entry(HistoryEntry(source="headless", process_key="MonthEndClose", folder="Workshop",
                              folder_id=8, jobs=(HistoryJob(job["Id"], job["Key"]),),
                              orchestrator_url=UI_URL))
    return job


async def test_reattach_from_a_history_entry_then_resume_the_suspended_job(make_wizard,
                                                                          sandbox):
    job = start_month_end(sandbox)
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_folder(pilot)
        assert "F9 Recent starts" in footer(app)
        await pilot.press("f9")
        await tour.settle(pilot)
        assert isinstance(app.screen, RecentStartsDialog)
        assert "MonthEndClose" in str(app.screen.query_one("#recent").get_option_at_index(0)
                                      .prompt)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, RunScreen))
        assert [j.id for j in app.state.jobs] == [job["Id"]]
        assert app.state.folder.fully_qualified_name == "Workshop"
        heading = str(app.screen.query_one("#heading").render())
        assert heading == "1 job(s) of history entry @1 (MonthEndClose)"
        await wait_until(pilot, lambda: "Still Suspended" in message(app))
        assert "F6 Resume" in footer(app) and "Restart" not in footer(app)
        assert "Ctrl+N starts the same again" not in message(app)  # nothing was chosen
        await pilot.press("f5")  # not for a Suspended job: said in words
        await pilot.pause()
        assert "only a job that ended (Successful, Faulted or Stopped) can be restarted" in (
            message(app))
        await pilot.press("f6")
        await wait_until(pilot, lambda: "resume job" in message(app))
        assert f"Asked Orchestrator to resume job {job['Id']}" in message(app)
        assert _count(sandbox, "ResumeJob") == 1
        await wait_until(pilot, lambda: app.state.jobs[0].state in ("Resumed", "Running"))
        await pilot.press("f6")
        await pilot.pause()
        assert "only a Suspended job can be resumed" in message(app)
    assert _count(sandbox, "StartJobs") == 1  # the one of the other session


async def test_a_recent_start_needs_a_sign_in_first(make_wizard):
    append_entry(HistoryEntry(source="headless", process_key="X", jobs=(HistoryJob(1, "k"),)))
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.settle(pilot)
        await pilot.press("f9")
        await pilot.pause()
        assert "Sign in first" in message(app)


async def test_watch_tui_opens_the_wizard_on_the_monitor(sandbox, monkeypatch):
    from tui_app import cli
    from tui_app.jobrefs import parse_ref
    from tui_app.ui.app import make_app

    job = start_month_end(sandbox)
    opened: dict = {}

    def wizard(args, launch, settings, **options):
        opened.update(options, settings=settings)
        return 0

    monkeypatch.setattr(cli, "_wizard", wizard)
    monkeypatch.setenv("UIPATH_CLIENT_SECRET", "demo-secret")
    assert cli.main(["watch", "@1", "--tui", "--url", UI_URL, "--client-id", "demo-client"]) == 0
    assert [ref.text for ref in opened["watch"]] == ["@1"]
    assert cli.main(["watch", "@x", "--tui"]) == 2

    app = make_app(opened["settings"], watch=[parse_ref("@1")],
                   client_options={"transport": SandboxRedirect(sandbox.base_url)},
                   reference_factory=lambda: FIXED_REFERENCE, poll_interval=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, RunScreen))  # signed in at once
        assert [j.id for j in app.state.jobs] == [job["Id"]]
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.STEP == "Folder"  # below the monitor: a new start


@pytest.mark.parametrize("sandbox_config", [LONG])
async def test_a_resumed_draft_with_started_jobs_reopens_their_monitor(make_wizard, sandbox,
                                                                       monkeypatch):
    monkeypatch.setattr("tui_app.hangup.arm_exit_watchdog", lambda *a, **k: None)
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_review(pilot)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: isinstance(app.screen, RunScreen))
        started = [job.id for job in app.state.jobs]
        app.leave_with_draft()  # the SSH connection dropped
        await pilot.pause()
    draft = load_draft().draft
    assert [job["id"] for job in draft.started_jobs] == started
    assert draft.history_id == read_entries()[0].id
    assert "demo-secret" not in draft_path().read_text()

    resumed = make_wizard(url="", client_id="")
    async with resumed.run_test(size=SIZE) as pilot:
        await tour.settle(pilot)
        assert isinstance(resumed.screen, ConfirmDialog)
        await pilot.press("y")
        await tour.settle(pilot)
        resumed.screen.query_one("#client_secret", Input).focus()
        await pilot.pause()
        await tour.fill(pilot, "demo-secret")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(resumed.screen, RunScreen))
        assert [job.id for job in resumed.state.jobs] == started
        assert "Review" not in footer(resumed) and "Start" not in str(
            resumed.screen.query_one("#heading").render())
        await pilot.press("ctrl+k")
        await pilot.pause()
        await pilot.press("y")
        await wait_until(pilot, lambda: resumed.state.jobs[0].is_final)
        await tour.settle(pilot, 0.1)
        await pilot.press("escape")  # under the monitor: Review, with the draft's choices
        await pilot.pause()
        assert resumed.screen.STEP == "Review"
    assert _count(sandbox, "StartJobs") == 1  # never a second start
    assert not draft_path().exists()
    [entry] = read_entries()
    assert entry.jobs[0].state == "Stopped"  # the final state reached the first entry


async def test_restart_asks_then_the_new_job_joins_the_monitor_and_history(make_wizard,
                                                                          sandbox):
    app = make_wizard()

    async def restart(request: httpx.Request, forward) -> httpx.Response:
        """RestartJob as the spec has it (the new JobDto), made by starting the same again."""
        info = {**app.session.current_plan().start_info(), "Reference": "startjob:restarted"}
        start = httpx.Request("POST", request.url.copy_with(path=START),
                              headers={"Authorization": request.headers["Authorization"],
                                       **{k: v for k, v in request.headers.items()
                                          if k.lower().startswith("x-uipath")}},
                              json={"startInfo": info})
        reply = await fake._inner.handle_async_request(start)
        return httpx.Response(200, json=json.loads(await reply.aread())["value"][0])

    fake = intercept(app, sandbox, {"RestartJob": restart})
    bells: list = []
    app.bell = lambda: bells.append(1)
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_run(pilot)
        await wait_until(pilot, lambda: bells)  # every job ended: the bell
        first = app.state.jobs[0]
        await pilot.press("f5")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        await pilot.pause()
        assert fake.count("RestartJob") == 0
        sandbox.tenant.job_running_seconds = 2.0  # the message is read while the new job runs
        await pilot.press("f5")
        await pilot.pause()
        await pilot.press("y")
        await wait_until(pilot, lambda: len(app.state.jobs) == 2)
        new = app.state.jobs[1]
        assert fake.seen[-1][1] == {"jobId": first.id}
        assert f"Restarted job {first.id} as job {new.id}" in message(app)
        assert "2 job(s)" in str(app.screen.query_one("#heading").render())
        await wait_until(pilot, lambda: app.state.jobs[1].is_final)
        await wait_until(pilot, lambda: len(bells) == 2)
    restart_entry, start_entry = read_entries()
    assert restart_entry.strategy == "Restart" and restart_entry.source == "wizard"
    assert [job.id for job in restart_entry.jobs] == [new.id]
    assert restart_entry.jobs[0].state == "Successful"
    assert restart_entry.folder_id == start_entry.folder_id


async def test_a_wizard_start_records_where_who_and_the_body(make_wizard, sandbox, monkeypatch):
    from tui_app.orchestrator import DEFAULT_SCOPES

    for robot_id in (102, 103):  # whichever robot the tour ticks, the job runs at once
        sandbox.tenant.set_robot_state(robot_id, "Available")
    monkeypatch.setenv("STARTJOB_NOTIFY", "off")
    app = make_wizard(scope=f"{DEFAULT_SCOPES} OR.Users.Read")  # GetCurrentUser needs it
    bells: list = []
    app.bell = lambda: bells.append(1)
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_review(pilot, incident="INC-SECRET-77")
        app.session.state.ask_names = frozenset({"IncidentId"})
        await pilot.press("ctrl+r")
        await tour.settle(pilot)
        await wait_until(pilot, lambda: not app.state.unfinished_jobs(), timeout=60.0)
        await tour.settle(pilot, 0.1)
    assert bells == []  # STARTJOB_NOTIFY=off
    [entry] = read_entries()
    assert entry.orchestrator_url == UI_URL
    assert entry.folder == "Default" and entry.folder_id == app.state.folder.id
    assert entry.reference == FIXED_REFERENCE
    assert entry.identity and entry.identity.get("user_name")
    assert entry.tenant
    assert entry.body["ReleaseKey"] == app.state.release.key
    assert entry.body["Reference"] == FIXED_REFERENCE
    assert json.loads(entry.body["InputArguments"]) == {"IncidentId": "•••"}
    assert "INC-SECRET-77" not in json.dumps(entry.to_json())


async def test_an_identity_that_cannot_be_asked_never_fails_the_start(make_wizard, sandbox):
    app = make_wizard()
    intercept(app, sandbox, {"GetCurrentUser": answer(403, {"message": "No", "errorCode": 0})})
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_run(pilot)
    [entry] = read_entries()
    assert len(entry.jobs) == 1  # the start is recorded; who did it comes from the settings
    assert entry.identity == {"user_name": "demo-client", "id": None, "email": None,
                              "type": "ExternalApplication (client id)"}
