"""Pilot tests: the whole wizard against the sandbox, keyboard only, at 80x24."""

from __future__ import annotations

import json

import pytest
from textual.widgets import Input, OptionList, SelectionList
from tour import fill, past_options, search, settle, to_review, wait_for_final_jobs

from tui_app.sandbox import SandboxConfig
from tui_app.ui.screens import (
    ActionScreen,
    ArgumentsScreen,
    ConnectScreen,
    FolderScreen,
    ProcessScreen,
    ReleaseScreen,
    ReviewScreen,
    RunScreen,
    StrategyScreen,
)
from tui_app.wizard.session import scaled_policy

SIZE = (80, 24)


async def connect(pilot) -> None:
    assert isinstance(pilot.app.screen, ConnectScreen)
    await pilot.press("enter")
    await settle(pilot)


async def choose_folder(pilot, name: str) -> None:
    """Choose the folder ``name``, then Start a job on the Action step."""
    assert isinstance(pilot.app.screen, FolderScreen)
    await fill(pilot, name)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ActionScreen)
    await pilot.press("enter")
    await settle(pilot)


async def find_process(pilot, text: str) -> None:
    assert isinstance(pilot.app.screen, ProcessScreen)
    await search(pilot, text)
    await pilot.press("enter")
    await settle(pilot)


async def to_strategy_of_support_triage(pilot) -> None:
    await connect(pilot)
    await choose_folder(pilot, "Default")
    await find_process(pilot, "triage")
    assert isinstance(pilot.app.screen, ReleaseScreen)
    await pilot.press("enter")  # the latest release (QuickstartDemo) is highlighted first
    await settle(pilot)
    assert isinstance(pilot.app.screen, StrategyScreen)


async def test_specific_flow_starts_one_job_per_ticked_robot(make_wizard, sandbox):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await to_strategy_of_support_triage(pilot)
        await pilot.press("tab", "tab")  # radio set -> filter -> robot list
        assert isinstance(app.focused, SelectionList)
        await pilot.press("space")  # tick SUPPORT-BOT-01
        await pilot.press("ctrl+n")
        await settle(pilot)
        await past_options(pilot)
        assert isinstance(app.screen, ArgumentsScreen)
        await fill(pilot, "INC0010234")
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert isinstance(app.screen, RunScreen)
        await wait_for_final_jobs(pilot)

    info = start_info_sent(sandbox)
    assert info["Strategy"] == "Specific"
    assert info["RobotIds"] == [101]
    assert info["ReleaseKey"] == "99587436-4ce5-480d-988c-6d7f43787a2c"
    assert json.loads(info["InputArguments"]) == {"IncidentId": "INC0010234"}
    assert [job.state for job in app.state.jobs] == ["Successful"]


def start_info_sent(sandbox) -> dict:
    """The startInfo of the one StartJobs request the sandbox received."""
    [start] = [r for r in sandbox.request_log if r.route.endswith("StartJobs")]
    return json.loads(start.body)["startInfo"]


async def start_with_incident(pilot, incident: str) -> None:
    """From the Options step: straight on, type the IncidentId, continue, start, wait for
    the end."""
    await past_options(pilot)
    await fill(pilot, incident)
    await pilot.press("ctrl+n")
    await settle(pilot)
    await pilot.press("ctrl+r")
    await settle(pilot)
    await wait_for_final_jobs(pilot)


def _count(sandbox, fragment: str) -> int:
    return sum(1 for r in sandbox.request_log if fragment in r.route)


async def test_round_trips_of_a_specific_flow_are_the_minimum(make_wizard, sandbox):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await to_review(pilot, incident="INC1")
        await pilot.press("ctrl+r")
        await settle(pilot)
    assert _count(sandbox, "connect/token") == 1
    assert _count(sandbox, "/odata/Folders") == 1
    assert _count(sandbox, "/odata/Releases") == 2  # the list on arrival + one per pause
    assert _count(sandbox, "/odata/Environments") == 1
    assert _count(sandbox, "/odata/Sessions") == 1
    assert _count(sandbox, "StartJobs") == 1
    assert _count(sandbox, "GetArguments") == 0


async def test_jobs_count_flow_fetches_no_robots(make_wizard, sandbox):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await to_strategy_of_support_triage(pilot)
        await pilot.press("right")  # radio set: Number of jobs
        await pilot.press("enter")  # picks it and moves into the number field
        await settle(pilot)
        field = app.screen.query_one("#jobs-count", Input)
        assert app.focused is field
        await pilot.press("backspace", "3", "ctrl+n")
        await settle(pilot)
        await start_with_incident(pilot, "INC2")
    info = start_info_sent(sandbox)
    assert info["Strategy"] == "JobsCount" and info["JobsCount"] == 3
    assert len(app.state.jobs) == 3
    assert _count(sandbox, "connect/token") == 1
    assert _count(sandbox, "/odata/Folders") == 1
    # the list on arrival + one search per pause in typing (a loaded machine may pause mid-word)
    assert 2 <= _count(sandbox, "/odata/Releases") <= 3
    assert _count(sandbox, "/odata/Environments") == 0
    assert _count(sandbox, "/odata/Sessions") == 0
    assert _count(sandbox, "StartJobs") == 1


@pytest.mark.parametrize("bad", ["0", "10001"])
async def test_jobs_count_out_of_range_is_refused_and_kept(make_wizard, bad):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await to_strategy_of_support_triage(pilot)
        await pilot.press("right", "enter")
        await pilot.press("backspace", *list(bad), "ctrl+n")
        await settle(pilot)
        assert isinstance(app.screen, StrategyScreen)
        assert "1 to 10,000" in str(app.screen.message.render())
        assert app.screen.query_one("#jobs-count", Input).value == bad


async def test_required_argument_blocks_and_escape_keeps_values(make_wizard):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await to_strategy_of_support_triage(pilot)
        await pilot.press("tab", "tab", "space", "ctrl+n")
        await settle(pilot)
        await past_options(pilot)
        await pilot.press("ctrl+n")  # IncidentId is empty
        await settle(pilot)
        assert isinstance(app.screen, ArgumentsScreen)
        assert "IncidentId" in str(app.screen.query_one("#arg-0-error").render())
        await fill(pilot, "INC9")
        await pilot.press("escape", "escape")  # back over Options to Strategy
        await settle(pilot)
        assert isinstance(app.screen, StrategyScreen)
        assert app.screen.query_one(SelectionList).selected == [101]  # still ticked
        await pilot.press("ctrl+n")
        await settle(pilot)
        await past_options(pilot)
        assert app.screen.query_one("#arg-0", Input).value == "INC9"


async def test_wrong_secret_shows_error_and_keeps_the_form(make_wizard):
    app = make_wizard(client_secret="wrong")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConnectScreen)
        message = str(app.screen.message.render())
        assert "refused" in message.lower()
        assert app.screen.query_one("#client_secret", Input).value == "wrong"


async def test_modern_folder_flow_with_chosen_robot(make_wizard, sandbox):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await connect(pilot)
        await choose_folder(pilot, "Support")
        await find_process(pilot, "password")
        assert isinstance(app.screen, StrategyScreen)  # one release: Release step skipped
        await pilot.press("backspace", "2")
        await pilot.press("tab", "tab")  # runtime type -> checkbox
        await pilot.press("space")  # only on robots I choose
        await settle(pilot)
        await pilot.press("tab", "tab", "space")  # filter -> list, tick svc-support-01
        await pilot.press("ctrl+n")
        await settle(pilot)
        await past_options(pilot)
        assert isinstance(app.screen, ArgumentsScreen)
        await fill(pilot, "ada@example.com")
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        await pilot.press("ctrl+r")
        await settle(pilot)
        await wait_for_final_jobs(pilot)
    info = start_info_sent(sandbox)
    assert info["Strategy"] == "ModernJobsCount"
    assert info["JobsCount"] == 2 and info["RobotIds"] == [301]
    assert info["RuntimeType"] == "Unattended"


async def test_faulted_job_and_output_shown(make_wizard):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await to_review(pilot, incident="FAIL-1")
        await pilot.press("ctrl+r")
        await settle(pilot)
        await wait_for_final_jobs(pilot)
        assert app.state.jobs[0].state == "Faulted"
        detail = str(app.screen.query_one("#job-detail").render())
        assert "Demo failure" in detail
        assert "Faulted" in str(app.screen.message.render())


@pytest.mark.parametrize(
    "sandbox_config",
    [SandboxConfig(job_pending_seconds=0.1, job_running_seconds=30, stop_seconds=0.2)],
)
async def test_stop_asks_first_then_stops(make_wizard, sandbox):
    app = make_wizard()
    app.session.policy = scaled_policy(0.05)
    async with app.run_test(size=SIZE) as pilot:
        await to_review(pilot, incident="INC5")
        await pilot.press("ctrl+r")
        await pilot.pause(0.3)
        assert isinstance(app.screen, RunScreen)
        await pilot.press("ctrl+k")
        await pilot.pause()
        await pilot.press("n")  # keep running
        await pilot.pause()
        assert _count(sandbox, "StopJobs") == 0
        await pilot.press("ctrl+k")
        await pilot.pause()
        await pilot.press("y")
        await wait_for_final_jobs(pilot)
    assert _count(sandbox, "StopJobs") == 1
    assert app.state.jobs[0].state == "Stopped"


async def test_quit_asks_when_choices_would_be_lost(make_wizard):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await to_strategy_of_support_triage(pilot)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app.is_running
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, StrategyScreen)


async def test_no_process_matches(make_wizard):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await connect(pilot)
        await choose_folder(pilot, "Default")
        await search(pilot, "zzz-no")
        assert "No process matches" in str(app.screen.query_one("#count").render())
        assert app.screen.query_one(OptionList).option_count == 0


async def test_all_strategy_shows_the_robot_count_and_starts_one_job_per_robot(
    make_wizard, sandbox
):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await to_strategy_of_support_triage(pilot)
        await pilot.press("right", "right", "enter")  # All robots
        await settle(pilot)
        summary = str(app.screen.query_one("#all-summary").render())
        assert "each of the 3 robot(s)" in summary
        await pilot.press("ctrl+n")
        await settle(pilot)
        await start_with_incident(pilot, "INC3")
    info = start_info_sent(sandbox)
    assert info["Strategy"] == "All" and "RobotIds" not in info
    assert len(app.state.jobs) == 3


async def test_a_lost_start_answer_is_reconciled_by_reference(make_wizard, sandbox):
    """The sandbox creates the jobs, then drops the connection: the wizard finds them."""
    from tui_app.sandbox import FaultConfig

    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await to_review(pilot, incident="INC7")
        sandbox.set_faults(FaultConfig(drop_after_start=1.0))
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert isinstance(app.screen, RunScreen)
        assert len(app.state.jobs) == 1
        assert "Do not start again" in str(app.screen.message.render())
    assert _count(sandbox, "StartJobs") == 1  # found, not started twice


async def test_a_refused_start_stays_on_review_and_can_be_retried(make_wizard, sandbox):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await to_review(pilot, incident="INC8")
        sandbox.tenant.remove_robot(101)  # gone between Strategy and Start: 409
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        assert "No job was started" in str(app.screen.message.render())
        assert not app.screen.query_one("#start").disabled
