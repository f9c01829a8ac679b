"""The Run step says why: a job that stays Pending, a Faulted job's error, a Suspended job,
and a 429 while following (session without a screen, then Pilot at 80x24)."""

from __future__ import annotations

import asyncio
import dataclasses

import tour
from tour import wait_until
from wizard_fakes import answer, answers, intercept, jobs_as, validation

from tui_app.connection import ConnectionSettings
from tui_app.diagnosis import SNAPSHOT_NOTE
from tui_app.following import POLICY
from tui_app.orchestrator.errors import NotAvailable, RateLimited
from tui_app.orchestrator.models import Job, ValidationResult
from tui_app.ui.screens import RunScreen
from tui_app.wizard.session import WizardSession

SIZE = (80, 24)
WHY = "ValidateExistingJob"
JOBS = "GET /odata/Jobs"


class Clock:
    now = 100.0

    def __call__(self) -> float:
        return self.now


class Client:
    def __init__(self, *results) -> None:
        self.results = list(results)
        self.asked: list = []

    async def validate_existing_job(self, job_id):
        self.asked.append(job_id)
        result = self.results.pop(0)
        if isinstance(result, Exception):
            raise result
        return result


def pending_session(client, *states) -> tuple:
    session = WizardSession(ConnectionSettings(url="https://x.test/orchestrator_"))
    session.client = client
    session.clock = clock = Clock()
    session.state.jobs = [Job(n, f"k{n}", state) for n, state in enumerate(states, start=1)]
    return session, clock


def test_why_pending_is_asked_once_per_job_after_a_few_seconds():
    assert POLICY.pending_check_after == 5.0
    client = Client(ValidationResult(False, (), ("RobotBusy",)))
    session, clock = pending_session(client, "Pending", "Running")
    assert asyncio.run(session.ask_why_pending()) == []  # just seen Pending
    clock.now += 4.9
    assert asyncio.run(session.ask_why_pending()) == []
    clock.now += 0.1
    assert asyncio.run(session.ask_why_pending()) == [0]
    assert [f.code for f in session.pending_checks[1].findings] == ["RobotBusy"]
    clock.now += 60
    assert asyncio.run(session.ask_why_pending()) == []  # once, not on every poll
    assert client.asked == [1]


def test_a_429_asks_again_later_and_not_available_is_asked_once():
    client = Client(RateLimited("slow down"), NotAvailable("no", status=404))
    session, clock = pending_session(client, "Pending", "Pending")
    asyncio.run(session.ask_why_pending())
    clock.now += 10
    assert asyncio.run(session.ask_why_pending()) == []  # throttled: nothing shown, no failure
    assert session.pending_checks == {}
    assert asyncio.run(session.ask_why_pending()) == [0, 1]
    assert client.asked == [1, 1]  # job 2 was not asked: the server has no such check
    assert not session.pending_checks[2].available


def test_following_ends_when_every_job_rests_suspended():
    session = WizardSession(ConnectionSettings(url="https://x.test/orchestrator_"))
    session.state.jobs = [Job(1, "k1", "Suspended"), Job(2, "k2", "Successful")]
    polls: list = []

    async def sleep(seconds):
        polls.append(seconds)

    asyncio.run(session.follow_jobs(lambda *a: None, lambda *a: None, sleep=sleep))
    assert polls == [] and session.state.unfinished_jobs() == [session.state.jobs[0]]


# -- Pilot ---------------------------------------------------------------------------------------


def detail(app) -> str:
    return str(app.screen.query_one("#job-detail").render())


async def test_a_job_that_stays_pending_says_why(make_wizard, sandbox):
    app = make_wizard()
    fake = intercept(app, sandbox, {JOBS: jobs_as(State="Pending"),
                                    WHY: answer(200, validation("RobotBusy"))})
    app.session.policy = dataclasses.replace(app.session.policy, pending_check_after=1.5)
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_review(pilot)
        await pilot.press("ctrl+r")  # no settle: following a Pending job does not end
        await wait_until(pilot, lambda: isinstance(app.screen, RunScreen))
        assert "Orchestrator is asked why in a few seconds" in detail(app)
        await wait_until(pilot, lambda: app.session.pending_checks)
        shown = detail(app)
        assert "Why is it Pending?" in shown
        assert "The robot is busy with another job" in shown
        assert "What to do: Wait, or choose a robot that is Available." in shown
        assert SNAPSHOT_NOTE in shown
        polls = fake.count("/odata/Jobs")
        await wait_until(pilot, lambda: fake.count("/odata/Jobs") > polls + 2)
        assert fake.count(WHY) == 1  # not on every poll


async def test_a_faulted_job_says_why_in_words(make_wizard, sandbox):
    error = {"code": "Robot.SessionFailed", "title": "Could not start the robot",
             "detail": "The workstation is in use by another user.", "category": "System"}
    app = make_wizard()
    intercept(app, sandbox, {JOBS: jobs_as(State="Faulted", Info="Could not start executor.",
                                           JobError=error)})
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_run(pilot)
        await wait_until(pilot, lambda: not app.state.unfinished_jobs())
        shown = detail(app)
        assert "Info: Could not start executor." in shown
        assert ("Why it faulted: Could not start the robot - The workstation is in use by "
                "another user: Another user was signed in") in shown
        assert "What to do: Sign that user out" in shown
        assert "All jobs finished: 1 Faulted" in str(app.screen.message.render())


async def test_a_suspended_job_rests_and_is_not_counted_finished(make_wizard, sandbox):
    app = make_wizard()
    fake = intercept(app, sandbox, {JOBS: jobs_as(State="Suspended")})
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_run(pilot)
        await wait_until(pilot, lambda: "Suspended" in str(app.screen.message.render()))
        said = str(app.screen.message.render())
        assert "All jobs finished" not in said
        job = app.state.jobs[0]
        assert f"Still Suspended, not finished: job {job.id}" in said
        assert "Suspended: The workflow paused at a persistence point" in detail(app)
        assert "it is not stuck" in detail(app)
        polls = fake.count("/odata/Jobs")
        await pilot.pause(0.5)
        assert fake.count("/odata/Jobs") == polls  # resting: not followed any more
        assert app.state.unfinished_jobs() == [job]


async def test_a_429_while_following_is_no_failure_of_the_start(make_wizard, sandbox):
    app = make_wizard()
    throttled = answer(429, {"message": "Too many requests", "errorCode": 0},
                       **{"Retry-After": "1"})
    intercept(app, sandbox, {JOBS: answers(throttled)})
    app.session.client_options["max_retries"] = 0
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_review(pilot)
        await pilot.press("ctrl+r")  # no settle: it would wait until the jobs ended
        await wait_until(pilot, lambda: "slow down" in str(app.screen.message.render()))
        said = str(app.screen.message.render())
        assert said.startswith("Warning: Orchestrator asks to slow down") and "Error" not in said
        await wait_until(pilot, lambda: not app.state.unfinished_jobs())
        assert "All jobs finished: 1 Successful" in str(app.screen.message.render())


async def test_the_footer_may_ask_for_the_keys_before_the_job_table_is_composed():
    """Textual asks ``check_action`` when the screen is pushed, before its body exists (it
    stopped the wizard on CI: "No nodes match 'DataTable' on RunScreen()"). Async: a widget
    needs a running loop on Python 3.9."""
    screen = RunScreen()
    assert screen.selected_job() is None
    assert screen.check_action("stop", ("Kill",)) is True
    assert screen.check_action("restart", ()) is False
