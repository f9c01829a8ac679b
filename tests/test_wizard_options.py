"""The Options step (issue 15): entry point, priority, execution target, stop after and
alerts, at 80x24 with the keyboard only; the session's options logic without a screen."""

from __future__ import annotations

import dataclasses
import json

import httpx
import tour
from textual.widgets import Input
from wizard_fakes import answer, intercept

from tui_app.connection import ConnectionSettings
from tui_app.orchestrator.errors import RequestRejected
from tui_app.orchestrator.models import EntryPoint, Folder, MachineSession, Release
from tui_app.start_options import INPUT_FILE_PLACEHOLDER
from tui_app.ui.screens import ArgumentsScreen, OptionsScreen, ReviewScreen
from tui_app.wizard.session import WizardSession
from tui_app.wizard.state import OptionsChoice

SIZE = (80, 24)
SESSIONS = "GetMachineSessionRuntimesByFolderId(folderId=2)"
HOSTS = {"value": [
    {"SessionId": 7, "MachineId": 1, "MachineName": "SAP-VMS", "HostMachineName": "SAP-01",
     "RuntimeType": "Unattended", "Status": "Available", "Runtimes": 1, "UsedRuntimes": 0},
    {"SessionId": 8, "MachineId": 1, "MachineName": "SAP-VMS", "HostMachineName": "SAP-02",
     "RuntimeType": "Unattended", "Status": "Available", "MaintenanceMode": "Enabled",
     "Runtimes": 1},
]}
TWO_ENTRY_POINTS = {"value": [{"Version": "1.0.1", "EntryPoints": [
    {"Path": "Main.xaml", "InputArguments": None},
    {"Path": "Flows/Refund.xaml", "InputArguments": json.dumps(
        [{"name": "OrderId", "type": "System.String", "required": True}])},
]}]}


def screen_text(app) -> str:
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(s.text for s in strip if not s.control) for strip in strips)


def releases_as(**changes):
    """The sandbox's releases, each with ``changes`` (PascalCase fields) applied."""

    async def handle(request, forward):
        response = await forward()
        data = json.loads(await response.aread())
        for release in data.get("value", []):
            release.update(changes)
        return httpx.Response(response.status_code, json=data)

    return handle


async def to_options(pilot) -> None:
    """Support (modern) → the "password" process → Options, keyboard only."""
    await tour.to_process(pilot, "Support")
    await tour.search(pilot, "password")
    await pilot.press("enter")
    await tour.settle(pilot)
    await pilot.press("ctrl+n")
    await tour.settle(pilot)
    assert isinstance(pilot.app.screen, OptionsScreen)


async def pick(pilot, widget_id: str, downs: int) -> None:
    """Open the Select ``widget_id`` (focused by Tab) and pick ``downs`` rows further."""
    pilot.app.screen.query_one(f"#{widget_id}").focus()
    await pilot.press("enter", *["down"] * downs, "enter")
    await tour.settle(pilot)


async def test_step_indicator_shows_every_step_at_80_columns(make_wizard, sandbox):
    app = make_wizard()
    intercept(app, sandbox, {SESSIONS: answer(200, HOSTS)})
    async with app.run_test(size=SIZE) as pilot:
        await to_options(pilot)
        top = screen_text(app).splitlines()[0]
        for step in ("Connect", "Folder", "Process", "Release", "Strategy", "Options",
                     "Arguments", "Review", "Run"):
            assert step in top, top
        assert "…" not in top


async def test_options_pass_straight_through_and_the_body_has_none(make_wizard, sandbox):
    app = make_wizard()
    intercept(app, sandbox, {SESSIONS: answer(200, HOSTS)})
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_process(pilot, "Support")
        await tour.search(pilot, "password")
        # Strategy → Options → on, typed in one burst: no key is lost on the new step.
        await pilot.press("enter", "ctrl+n", "ctrl+n")
        await tour.settle(pilot)
        assert not isinstance(app.screen, OptionsScreen)
        plan = app.session.current_plan()
        info = plan.preview_info()
        for field in ("JobPriority", "SpecificPriorityValue", "MachineSessionIds",
                      "EntryPointPath", "StopProcessExpression"):
            assert field not in info


async def test_each_option_by_keyboard_reaches_the_body_and_review(make_wizard, sandbox):
    app = make_wizard()
    transport = intercept(app, sandbox, {SESSIONS: answer(200, HOSTS)})
    async with app.run_test(size=SIZE) as pilot:
        await to_options(pilot)
        shown = screen_text(app)
        assert "The release's own" in shown
        assert "Execution target" in shown and "Orchestrator picks" in shown
        # Priority: a specific value, its word next to it.
        await pick(pilot, "priority", 4)
        assert app.focused.id == "priority-value"
        await pilot.press("7", "5")
        await tour.settle(pilot)
        assert "high" in str(app.screen.query_one("#priority-words").render())
        assert "75" in screen_text(app) and "high" in screen_text(app)  # on screen at 80 cols
        # Execution target: the host in maintenance mode is marked and warned about.
        await pick(pilot, "target", 3)
        assert app.state.options.machine == "SAP-VMS" and app.state.options.host == "SAP-02"
        assert "maintenance mode" in str(app.screen.message.render())
        await pilot.press("enter", "up", "enter")  # the list opens on SAP-02: up to SAP-01
        await tour.settle(pilot)
        assert app.state.options.host == "SAP-01"
        # Stop after: a bad duration is refused in words and nothing typed is lost.
        app.screen.query_one("#stop-after").focus()
        await pilot.press("9", "0", "x")
        await pilot.press("ctrl+n")
        await tour.settle(pilot)
        assert isinstance(app.screen, OptionsScreen)
        assert "Stop after: expected a duration" in str(app.screen.message.render())
        assert app.screen.query_one("#stop-after", Input).value == "90x"
        assert app.focused.id == "stop-after"
        await pilot.press("backspace", "m", "tab")  # 90m, then Stop strategy
        await pick(pilot, "stop-strategy", 0)
        app.screen.query_one("#kill-after").focus()
        await pilot.press("5", "m")
        app.screen.query_one("#alert-pending").focus()
        await pilot.press("1", "h")
        app.screen.query_one("#alert-running").focus()
        await pilot.press("2", "h")
        await pilot.press("ctrl+n")
        await tour.settle(pilot)
        assert isinstance(app.screen, ArgumentsScreen)
        await tour.fill(pilot, "ann@example.com")  # UserEmail, required
        await pilot.press("ctrl+n")
        await tour.settle(pilot)
        assert isinstance(app.screen, ReviewScreen), screen_text(app)
        review = str(app.screen.query_one("#summary").render())
        assert "75 (high)" in review and "host SAP-01 of machine SAP-VMS" in review
        assert "soft stop after 1h30m running, kill 5m later" in review
        body = str(app.screen.query_one("#body").render())
        for text in ('"SpecificPriorityValue": 75', '"MachineSessionIds": [\n      7',
                     '"StopProcessExpression": "5400"', '"KillProcessExpression": "300"',
                     '"AlertPendingExpression": "3600"', '"AlertRunningExpression": "7200"'):
            assert text in body, body
        assert transport.count(SESSIONS) == 1


async def test_the_argument_form_follows_the_chosen_entry_point(make_wizard, sandbox):
    app = make_wizard()
    intercept(app, sandbox, {"GET /odata/Releases": releases_as(
        SupportsMultipleEntryPoints=True, EntryPointPath="Main.xaml"),
        "GetProcessVersions(processId='SupportTriage')": answer(200, TWO_ENTRY_POINTS)})
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_process(pilot)
        await tour.search(pilot, "triage")
        await pilot.press("enter")
        await tour.settle(pilot)
        if not isinstance(app.screen, OptionsScreen):
            await pilot.press("enter")  # the release
            await tour.settle(pilot)
            await tour.tick_first_robot(pilot)
            await pilot.press("ctrl+n")
            await tour.settle(pilot)
        assert isinstance(app.screen, OptionsScreen)
        assert app.focused.id == "entry-point"
        assert "Main.xaml (the release's own)" in screen_text(app)
        await pick(pilot, "entry-point", 1)
        assert app.state.options.entry_point == "Flows/Refund.xaml"
        await pilot.press("ctrl+n")
        await tour.settle(pilot)
        assert isinstance(app.screen, ArgumentsScreen)
        assert [spec.name for spec in app.screen.specs] == ["OrderId"]
        await tour.fill(pilot, "A-17")
        await pilot.press("ctrl+n")
        await tour.settle(pilot)
        info = app.session.current_plan().preview_info()
        assert info["EntryPointPath"] == "Flows/Refund.xaml"
        assert json.loads(info["InputArguments"]) == {"OrderId": "A-17"}


# -- the session, without a screen -------------------------------------------------------

MODERN = Folder(2, "k2", "Support", "Shared/Support", "Automatic", "FineGrained")
ARGS = json.dumps([{"name": "Note", "type": "System.String"},
                   {"name": "Count", "type": "System.Int32"}])
RELEASE = Release(1, "rk1", "Triage", "Triage", "1.0.0", arguments_input=ARGS,
                  supports_multiple_entry_points=True, entry_point_path="Main.xaml")


class Client:
    def __init__(self) -> None:
        self.uploads: list = []
        self.started: list = []
        self.checked: list = []
        self.fail_upload = False

    async def entry_points(self, release):
        return [EntryPoint("Main.xaml", ARGS),
                EntryPoint("Other.xaml", json.dumps([{"name": "Count",
                                                      "type": "System.String"}]))]

    async def machine_sessions(self, folder_id, runtime_type=None):
        return [MachineSession(7, 1, "SAP-VMS", "SAP-01", status="Available"),
                MachineSession(9, 1, "SAP-VMS", "SAP-02", status="Disconnected")]

    async def upload_attachment(self, name, content):
        if self.fail_upload:
            raise RequestRejected("Upload refused", status=400)
        self.uploads.append((name, content))
        return "att-1"

    async def start_jobs(self, info):
        self.started.append(info)
        raise RequestRejected("refused here: only the body matters", status=400)

    async def validate_dynamic_job(self, info):
        self.checked.append(info)
        raise RequestRejected("x", status=400)


def session() -> WizardSession:
    made = WizardSession(ConnectionSettings(url="https://x.test/orchestrator_"),
                         reference_factory=lambda: "startjob:ref")
    state = made.state
    state.folders, state.folder = [MODERN], MODERN
    state.releases, state.release = [RELEASE], RELEASE
    state.strategy_kind = "ModernJobsCount"
    made.client = Client()
    return made


async def test_changing_the_entry_point_drops_values_that_no_longer_apply():
    made = session()
    await made.load_entry_points()
    made.state.argument_texts.update(Note="hi", Count="3")
    assert made.choose_entry_point("Main.xaml") == []  # the release's own: nothing sent
    assert made.state.options.entry_point == ""
    made.state.argument_texts["Count"] = "three"
    assert made.choose_entry_point("other.XAML") == ["Note"]  # Count fits a String
    assert made.state.argument_texts == {"Count": "three"}
    assert [spec.name for spec in made.argument_specs()] == ["Count"]
    made.state.options.entry_point = "Gone.xaml"
    assert made.options_problem()[0] == "entry_point"


async def test_machine_target_carries_session_ids_and_a_gone_one_is_refused():
    made = session()
    made.state.options.machine = "sap-vms"
    assert made.options_problem()[0] == "machine"  # not listed yet: never started blind
    await made.load_machine_sessions()
    assert made.current_plan().options.target.session_ids == (7, 9)
    made.state.options.host = "SAP-02"
    assert made.current_plan().preview_info()["MachineSessionIds"] == [9]
    made.state.options.host = "SAP-03"
    assert made.options_problem()[0] == "machine"


async def test_a_host_that_takes_no_job_is_warned_about_as_drift_judges_it():
    made = session()
    made.state.options.machine = "sap-vms"
    await made.load_machine_sessions()
    assert made.target_warning().endswith("Orchestrator uses the other hosts.")  # SAP-01
    made.state.options.host = "SAP-01"
    assert made.target_warning() is None
    made.state.options.host = "SAP-02"  # disconnected (not unresponsive, not in maintenance)
    assert "SAP-02 (disconnected); the jobs wait Pending" in made.target_warning()


async def test_large_input_goes_as_a_file_uploaded_before_the_start():
    made = session()
    made.state.options.large_input = "file"
    made.state.argument_values = {"Note": "x" * 12_000}
    plan = made.current_plan()
    assert plan.preview_info()["InputFile"] == INPUT_FILE_PLACEHOLDER
    body = made.preflight_body(plan)
    assert "InputFile" not in body and "InputArguments" not in body
    await made.preflight()
    assert "InputFile" not in made.client.checked[0]
    made.client.fail_upload = True
    outcome = await made.start_jobs()
    assert outcome.not_started and "could not be uploaded" in outcome.message
    assert made.client.started == []
    made.client.fail_upload = False
    await made.start_jobs()
    assert made.client.uploads[0][0] == "startjob-input-ref.json"  # no "startjob:" prefix
    assert made.client.started[0]["InputFile"] == "att-1"


def test_runtime_types_are_those_of_the_folder_the_release_can_use():
    from tui_app.orchestrator.models import RuntimeCapacity

    made = session()
    made.runtimes[2] = [RuntimeCapacity("Unattended", 2, 1, 1),
                        RuntimeCapacity("Headless", 1, 1, 1),
                        RuntimeCapacity("NonProduction", 0, 0, 0)]
    assert made.runtime_types() == ["Unattended", "Headless"]
    made.state.release = dataclasses.replace(RELEASE, requires_user_interaction=True)
    assert made.runtime_types() == ["Unattended"]
    assert made.runtime_words("Unattended") == "1 of 2 available, 1 connected"


def test_drafts_keep_the_options_by_name():
    from tui_app import drafts

    made = session()
    made.state.options = OptionsChoice(priority="value", priority_value="75", machine="SAP-VMS",
                                       host="SAP-01", stop_after="90m")
    draft = drafts.draft_from_state(made.state, step="Options")
    again = drafts.Draft.from_dict(json.loads(json.dumps(draft.to_dict())))
    assert again.options["machine"] == "SAP-VMS" and again.options["priority_value"] == "75"
    assert "session" not in json.dumps(draft.to_dict()).lower()
