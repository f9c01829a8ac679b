"""The wizard says why before Start: the pre-flight check on Review, availability on Strategy,
and a refused start that keeps every choice (session without a screen, then Pilot at 80x24)."""

from __future__ import annotations

import asyncio
import json

import tour
from textual.widgets import Input, Select, SelectionList
from wizard_fakes import answer, answers, intercept, refusal, robots_as, validation

from tui_app.connection import ConnectionSettings
from tui_app.orchestrator.errors import NotAvailable, RateLimited, RequestRejected, ServerError
from tui_app.orchestrator.models import Environment, Folder, Release, Robot, RuntimeCapacity
from tui_app.orchestrator.models import ValidationResult as Result
from tui_app.starting import StartOutcome
from tui_app.ui.dialogs import ConfirmDialog
from tui_app.ui.screens import ArgumentsScreen, ReviewScreen, RunScreen, StrategyScreen
from tui_app.ui.screens.review import PREFLIGHT_UNAVAILABLE
from tui_app.wizard.session import WizardSession

SIZE = (80, 24)
VALIDATE = "ValidateDynamicJob"
START = "StartJobs"
CLASSIC = Folder(4, "k4", "Default", "Default", "Manual", "InheritFromTenant")
MODERN = Folder(2, "k2", "Support", "Shared/Support", "Automatic", "FineGrained")
RELEASE = Release(1, "rk1", "Triage_Quick", "Triage", "1.0.1", environment_name="Quick")


def session_with(client=None, folder: Folder = CLASSIC) -> WizardSession:
    session = WizardSession(ConnectionSettings(url="https://x.test/orchestrator_"),
                            reference_factory=iter(f"startjob:ref-{n}" for n in range(99)).__next__)
    state = session.state
    state.folders, state.folder = [folder], folder
    state.releases, state.release = [RELEASE], RELEASE
    state.environments["Quick"] = Environment(11, "Quick", robots=(Robot(101, "BOT-1"),))
    state.strategy_kind = "Specific"
    state.selected_robots[state.robots_key()] = {101}
    session.client = client
    return session


class Client:
    """Answers (or raises) what it is given, in turn; records what it was asked."""

    def __init__(self, *results) -> None:
        self.results = list(results)
        self.asked: list = []

    async def _next(self, what):
        self.asked.append(what)
        result = self.results.pop(0)
        if isinstance(result, Exception):
            raise result
        return result

    async def validate_dynamic_job(self, info):
        return await self._next(info)

    async def validate_existing_job(self, job_id):
        return await self._next(job_id)

    async def runtimes_for_folder(self, folder_id):
        return await self._next(folder_id)


# -- the session ------------------------------------------------------------------------------


def test_preflight_checks_the_exact_body_once_per_body():
    client = Client(Result(False, ("busy",), ("RobotBusy", "RobotNoCredentials")),
                    Result(True))
    session = session_with(client)
    check = asyncio.run(session.preflight())
    assert [f.code for f in check.findings] == ["RobotBusy", "RobotNoCredentials"]
    assert [f.code for f in check.blocking] == ["RobotNoCredentials"]
    assert client.asked == [session.current_plan().start_info()]  # the body StartJobs sends
    session.reference = "startjob:another"  # a new attempt: the same body otherwise
    assert asyncio.run(session.preflight()) is check and len(client.asked) == 1
    assert session.checked_preflight() is check
    session.state.argument_values = {"IncidentId": "INC2"}  # another body: asked again
    assert session.checked_preflight() is None
    assert asyncio.run(session.preflight()).findings == ()
    assert len(client.asked) == 2


def test_preflight_unavailable_failed_or_throttled_never_raises():
    client = Client(NotAvailable("no such endpoint", status=404),
                    ServerError("boom", status=500), RateLimited("slow down"), Result(True))
    session = session_with(client)
    assert asyncio.run(session.preflight()).available is False
    session.state.argument_values = {"X": "1"}
    failed = asyncio.run(session.preflight())
    assert failed.available and "boom" in failed.problem and failed.blocking == []
    assert session.checked_preflight() is None  # a failed check is asked again
    assert "slow down" in asyncio.run(session.preflight()).problem
    assert asyncio.run(session.preflight()).problem == ""


def test_a_refusal_in_words_with_the_servers_words_below():
    session = session_with()
    error = RequestRejected("Orchestrator refused.", status=409, error_code=1670,
                            server_message="The robots already have pending jobs for this "
                                           "Process")
    outcome = StartOutcome("not_started", [], error, "No job was started: ...", "r")
    first, second = session.start_failure_text(outcome).split("\n")
    assert first.startswith("No job was started: The robot already has a pending job")
    assert "Wait for the pending job" in first
    assert second.startswith("Orchestrator said: The robots already have pending jobs")
    assert "HTTP 409, error code 1670" in second and "Starting again is safe" in second
    unknown = RequestRejected("Bad.", status=400, server_message="Something odd")
    plain = StartOutcome("not_started", [], unknown, "No job was started: Bad.", "r")
    assert session.start_failure_text(plain) == "No job was started: Bad."


def test_robots_that_take_no_unattended_job_are_not_offered():
    class Robots:
        async def folder_robots(self, folder_id):
            return [Robot(1, "svc-1", type="Unattended", state="Available"),
                    Robot(2, "ann", type="Attended", state="Available"),
                    Robot(3, "dev", type="StudioX", state="Busy"),
                    Robot(4, "np", type="NonProduction", state="Busy")]

    session = session_with(Robots(), MODERN)
    robots = asyncio.run(session.load_robots())
    assert [robot.name for robot in robots] == ["svc-1", "np"]
    counts = session.robot_counts()
    assert counts.startswith("Robots: 1 Available, 1 Busy.")
    assert "Not listed: ann (Attended), dev (StudioX)" in counts


def test_runtime_counts_and_the_warning_before_the_choice():
    capacities = [RuntimeCapacity("Unattended", 2, 2, 0), RuntimeCapacity("NonProduction", 1, 1, 1),
                  RuntimeCapacity("Headless", 1, 0, 0)]
    session = session_with(Client(capacities), MODERN)
    assert session.runtime_lines("Unattended") == []  # not known yet
    asyncio.run(session.load_runtimes())
    assert session.runtime_lines("Unattended") == [
        "Unattended: 0 of 2 available, 2 connected",
        "NonProduction: 1 of 1 available, 1 connected",
        "Headless: 0 of 1 available, 0 connected",
    ]
    assert session.runtime_lines("Development")[0] == "Development: none in this folder"
    assert "No Unattended runtime is free" in session.runtime_warning("Unattended")
    assert session.runtime_warning("NonProduction") is None
    assert "is connected" in session.runtime_warning("Headless")
    assert "has no TestAutomation runtime" in session.runtime_warning("TestAutomation")
    empty = session_with(Client([]), MODERN)  # a modern folder without any machine
    asyncio.run(empty.load_runtimes())
    assert "has no Unattended runtime" in empty.runtime_warning("Unattended")
    gone = session_with(Client(NotAvailable("no", status=404)), MODERN)
    assert asyncio.run(gone.load_runtimes()) is None and gone.runtime_warning("Unattended") is None


# -- Review -----------------------------------------------------------------------------------


def screen_text(app, widget=None) -> str:
    strips = app.screen._compositor.render_strips()
    if widget is not None:
        region = widget.region.intersection(app.screen.region)
        strips = [strips[y].crop(region.x, region.right) for y in range(region.y, region.bottom)]
    return "\n".join("".join(s.text for s in strip if not s.control) for strip in strips)


def review_text(app) -> str:
    """Everything on the scrollable Review, shown or scrolled away."""
    return "\n".join(str(app.screen.query_one(f"#{name}").render())
                     for name in ("summary", "preflight", "body", "headless"))


BLOCKING_AND_WAITING = validation("RobotNoCredentials", "RobotBusy",
                                  errors=("no credentials", "busy"))


async def test_review_shows_blocking_and_waiting_findings_in_words(make_wizard, sandbox,
                                                                   monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_wizard()
    fake = intercept(app, sandbox, {VALIDATE: answer(200, BLOCKING_AND_WAITING)})
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_review(pilot)
        await pilot.pause()
        shown = screen_text(app)
        assert "Will not run: The robot has no credentials" in shown
        assert "Will wait: The robot is busy with another job" in review_text(app)
        assert "What to do: Ask an Orchestrator administrator" in review_text(app)
        [(_, body)] = fake.seen
        assert body["startInfo"]["RobotIds"] == [101]  # the exact body, nothing started
        assert not any(r.route.endswith(START) for r in sandbox.request_log)

        await pilot.press("ctrl+r")  # a blocking finding: asks first, naming the reason
        await tour.settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert "will not run: The robot has no credentials" in app.screen.question
        await pilot.press("n")
        await tour.settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        assert not any(r.route.endswith(START) for r in sandbox.request_log)
        await pilot.press("ctrl+r")
        await tour.settle(pilot)
        await pilot.press("y")  # the person may know better: the server decides
        await tour.settle(pilot)
        assert isinstance(app.screen, RunScreen)


async def test_review_starts_at_once_when_the_check_only_warns(make_wizard, sandbox):
    app = make_wizard()
    intercept(app, sandbox, {VALIDATE: answer(200, validation("RobotBusy"))})
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_review(pilot)
        assert "Will wait:" in review_text(app) and "Will not run" not in review_text(app)
        await pilot.press("ctrl+r")
        await tour.settle(pilot)
        assert isinstance(app.screen, RunScreen)


async def test_review_says_when_the_check_is_not_available(make_wizard, sandbox):
    app = make_wizard()
    intercept(app, sandbox, {VALIDATE: answer(405, {"message": "Method not allowed"})})
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_review(pilot)
        await pilot.pause()
        preflight = app.screen.query_one("#preflight")
        assert str(preflight.render()) == PREFLIGHT_UNAVAILABLE
        assert PREFLIGHT_UNAVAILABLE in screen_text(app)
        assert all("dim" in str(span.style) for span in preflight.render().spans)
        await pilot.press("ctrl+r")
        await tour.settle(pilot)
        assert isinstance(app.screen, RunScreen)


async def test_many_findings_keep_the_body_and_headless_line_reachable(make_wizard, sandbox):
    codes = ("RobotNoCredentials", "RobotBusy", "TemplateNoLicense", "TemplateMaintenanceMode",
             "RobotNotAssignedToFolder", "DynamicJobForegroundAutomationTypeInvalid")
    app = make_wizard()
    intercept(app, sandbox, {VALIDATE: answer(200, validation(*codes))})
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_review(pilot)
        review = app.screen.query_one("#review")
        assert review.max_scroll_y > 0
        for _ in range(8):
            await pilot.press("pagedown")
        await pilot.pause()
        shown = screen_text(app)
        assert "startjob run" in shown and "Start (ctrl+r)" in shown


async def test_the_check_is_asked_once_per_body_and_again_after_a_change(make_wizard, sandbox):
    app = make_wizard()
    fake = intercept(app, sandbox, {VALIDATE: answer(200, validation())})
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_review(pilot)
        assert "sees nothing that would stop this job" in review_text(app)
        await pilot.press("escape")
        await tour.settle(pilot)
        await pilot.press("ctrl+n")  # the same choices: the same answer
        await tour.settle(pilot)
        assert fake.count(VALIDATE) == 1
        await pilot.press("escape")
        await tour.settle(pilot)
        await tour.fill(pilot, "INC99")
        await pilot.press("ctrl+n")
        await tour.settle(pilot)
        assert fake.count(VALIDATE) == 2
        assert fake.seen[-1][1]["startInfo"]["InputArguments"] == '{"IncidentId":"INC99"}'


# -- a refused start keeps every choice ---------------------------------------------------------


PENDING_LIMIT = refusal(409, "The robots already have pending jobs for this Process", 1670)


async def test_a_refused_start_keeps_every_choice_and_starting_again_works(make_wizard, sandbox):
    app = make_wizard()
    fake = intercept(app, sandbox, {START: answers(PENDING_LIMIT)})
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_process(pilot, "Support")
        await tour.search(pilot, "password")
        await pilot.press("enter")
        await tour.settle(pilot)
        await pilot.press("backspace", "3")  # three jobs
        await pilot.press("tab", "tab", "space")  # only on robots I choose
        await tour.settle(pilot)
        await pilot.press("tab", "tab", "space", "down", "space")  # both robots
        await pilot.press("ctrl+n")
        await tour.settle(pilot)
        await tour.past_options(pilot)
        assert isinstance(app.screen, ArgumentsScreen)
        await tour.fill(pilot, "ada@example.com")
        await pilot.press("ctrl+n")
        await tour.settle(pilot)
        await pilot.press("ctrl+r")
        await tour.settle(pilot)

        assert isinstance(app.screen, ReviewScreen)  # refused: still on Review
        said = str(app.screen.message.render())
        assert "No job was started: The robot already has a pending job" in said
        assert "Orchestrator said: The robots already have pending jobs" in said
        assert "error code 1670" in said
        assert "ada@example.com" in review_text(app) and "RobotIds" in review_text(app)

        await pilot.press("escape")  # every choice is still there, as typed
        await tour.settle(pilot)
        assert isinstance(app.screen, ArgumentsScreen)
        assert app.screen.query_one("#arg-0", Input).value == "ada@example.com"
        await pilot.press("escape", "escape")  # over Options
        await tour.settle(pilot)
        assert isinstance(app.screen, StrategyScreen)
        assert app.screen.query_one("#jobs-count", Input).value == "3"
        assert set(app.screen.query_one("#robots", SelectionList).selected) == {301, 302}

        await pilot.press("ctrl+n")
        await tour.settle(pilot)
        await tour.past_options(pilot)
        await pilot.press("ctrl+n")
        await tour.settle(pilot)
        await pilot.press("ctrl+r")  # fixed meanwhile: starting again works
        await tour.settle(pilot)
        assert isinstance(app.screen, RunScreen)
    first, second = [body["startInfo"] for route, body in fake.seen if route.endswith(START)]
    for info in (first, second):
        assert info["JobsCount"] == 3 and info["RobotIds"] == [301, 302]
        assert json.loads(info["InputArguments"])["UserEmail"] == "ada@example.com"


# -- Strategy -----------------------------------------------------------------------------------


RUNTIMES = {"value": [{"Type": "Unattended", "Total": 2, "Connected": 2, "Available": 0},
                      {"Type": "NonProduction", "Total": 1, "Connected": 1, "Available": 1}]}


async def test_strategy_shows_runtimes_and_warns_before_the_choice(make_wizard, sandbox):
    app = make_wizard()
    intercept(app, sandbox, {"GetRuntimesForFolder(folderId=2)": answer(200, RUNTIMES),
                             "GetRobotsFromFolder(folderId=2)": robots_as(
                                 {"svc-support-02": "Attended"})})
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_process(pilot, "Support")
        await tour.search(pilot, "password")
        await pilot.press("enter")
        await tour.settle(pilot)
        shown = screen_text(app)
        assert "Unattended: 0 of 2 available, 2 connected" in shown
        assert "NonProduction: 1 of 1 available, 1 connected" in shown
        assert "Warning: No Unattended runtime is free" in str(app.screen.message.render())
        app.screen.query_one("#runtime", Select).value = "NonProduction"
        await tour.settle(pilot)
        assert "runtime" not in str(app.screen.message.render())
        await pilot.press("tab", "tab", "space")  # only on robots I choose
        await tour.settle(pilot)
        shown = screen_text(app)
        assert "Not listed: svc-support-02 (Attended)" in shown
        robots = app.screen.query_one("#robots", SelectionList)
        assert [robots.get_option_at_index(i).value for i in range(robots.option_count)] == [301]


async def test_strategy_says_when_runtime_counts_are_not_available(make_wizard, sandbox):
    app = make_wizard()
    intercept(app, sandbox, {"GetRuntimesForFolder(folderId=2)": answer(405, {"message": "No"})})
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_process(pilot, "Support")
        await tour.search(pilot, "password")
        await pilot.press("enter")
        await tour.settle(pilot)
        assert "Runtime counts not available on this server" in screen_text(app)
        assert app.screen.message.render().plain == ""
