"""tui_app.following: Suspended is a resting state, why-Pending is asked once per job, and a
throttled poll never ends following (fake client, clock and sleep: no real waiting)."""

from __future__ import annotations

import pytest

from tui_app import diagnosis
from tui_app.following import (
    PENDING_CHECK_UNAVAILABLE,
    FollowPolicy,
    PendingWatch,
    follow,
    moving,
    unfinished,
)
from tui_app.orchestrator.errors import NotAvailable, RateLimited, ServerError
from tui_app.orchestrator.models import Job, ValidationResult

POLICY = FollowPolicy(first=1.0, factor=1.0, longest=1.0, pending_check_after=5.0)


def job(i, state):
    return Job(id=i, key=f"k{i}", state=state)


class Clock:
    """A clock that only the fake sleep moves."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


class FakeClient:
    """``get_jobs`` answers from a script (one entry per poll: a list of states, or an
    exception); ``validate_existing_job`` from ``reasons``."""

    def __init__(self, script, reasons=None):
        self.script = list(script)
        self.reasons = reasons if reasons is not None else ValidationResult(
            False, ("The robot is busy",), ("RobotBusy",))
        self.polls = 0
        self.asked: list = []

    async def get_jobs(self, ids):
        self.polls += 1
        step = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(step, Exception):
            raise step
        return [job(i, state) for i, state in zip(ids, step)]

    async def validate_existing_job(self, job_id):
        self.asked.append(job_id)
        if isinstance(self.reasons, Exception):
            raise self.reasons
        return self.reasons


async def run(client, jobs, **kw):
    clock = Clock()
    changes, reports = [], []
    outcome = await follow(client, jobs, on_change=lambda old, new: changes.append(new.state),
                           on_pending=reports.append, policy=POLICY, sleep=clock.sleep,
                           clock=clock, **kw)
    return outcome, changes, reports, clock


def test_suspended_rests_but_stays_unfinished():
    jobs = [job(1, "Suspended"), job(2, "Resumed"), job(3, "Successful")]
    assert [j.id for j in moving(jobs)] == [2]
    assert [j.id for j in unfinished(jobs)] == [1, 2]


async def test_following_stops_at_a_suspended_job_and_says_so():
    client = FakeClient([["Running"], ["Suspended"]])
    outcome, changes, _, _ = await run(client, [job(1, "Pending")])
    assert not outcome.timed_out
    assert changes == ["Running", "Suspended"]
    assert [j.id for j in outcome.suspended] == [1]
    assert client.polls == 2  # no polling on until a timeout


async def test_a_job_pending_for_a_while_is_asked_about_once():
    client = FakeClient([["Pending"]] * 12 + [["Successful"]])
    outcome, _, reports, clock = await run(client, [job(1, "Pending")])
    assert client.asked == [1]  # once, not on every poll
    (report,) = reports
    assert report.job.id == 1 and report.checked
    assert [f.code for f in report.findings] == ["RobotBusy"]
    assert report.note == diagnosis.SNAPSHOT_NOTE
    assert outcome.pending == reports and outcome.jobs[0].state == "Successful"


async def test_no_question_before_the_job_has_been_pending_long_enough():
    client = FakeClient([["Pending"], ["Pending"], ["Running"], ["Successful"]])
    _, _, reports, _ = await run(client, [job(1, "Pending")])
    assert client.asked == [] and reports == []


async def test_a_server_without_the_check_is_reported_once_then_not_asked():
    client = FakeClient([["Pending", "Pending"]] * 12 + [["Successful", "Successful"]],
                        reasons=NotAvailable("no such endpoint", status=404))
    _, _, reports, _ = await run(client, [job(1, "Pending"), job(2, "Pending")])
    assert client.asked == [1]
    (report,) = reports
    assert not report.checked and report.note == PENDING_CHECK_UNAVAILABLE


async def test_a_failed_check_is_a_note_not_a_failure():
    client = FakeClient([["Pending"]] * 8 + [["Successful"]],
                        reasons=ServerError("boom", status=500))
    outcome, _, reports, _ = await run(client, [job(1, "Pending")])
    assert outcome.jobs[0].state == "Successful"
    (report,) = reports
    assert not report.checked and "could not be asked" in report.note


async def test_valid_answer_says_no_reason():
    client = FakeClient([["Pending"]] * 8 + [["Successful"]],
                        reasons=ValidationResult(True))
    _, _, reports, _ = await run(client, [job(1, "Pending")])
    assert reports[0].findings == () and "gives no reason" in reports[0].note


async def test_throttled_polls_keep_following():
    limited = RateLimited("Too many requests", status=429)
    client = FakeClient([limited, limited, ["Running"], limited, ["Successful"]])
    outcome, changes, _, _ = await run(client, [job(1, "Pending")])
    assert changes == ["Running", "Successful"] and not outcome.timed_out


async def test_throttled_until_the_timeout_is_a_timeout():
    client = FakeClient([RateLimited("Too many requests", status=429)])
    outcome, _, _, clock = await run(client, [job(1, "Pending")], timeout=10)
    assert outcome.timed_out and clock.now == pytest.approx(10)
    assert outcome.jobs[0].state == "Pending"


async def test_other_poll_failures_are_raised_with_the_latest_jobs():
    latest: list = []
    client = FakeClient([["Running"], ServerError("boom", status=500)])
    with pytest.raises(ServerError):
        await run(client, [job(1, "Pending")], latest=latest)
    assert latest[0].state == "Running"


def test_pending_watch_forgets_a_job_that_moved_on():
    clock = Clock()
    watch = PendingWatch(POLICY, clock)
    assert watch.due([job(1, "Pending")]) == []
    clock.now = 4
    assert watch.due([job(1, "Running")]) == []
    clock.now = 6
    assert watch.due([job(1, "Pending")]) == []  # pending again: counted from now
    clock.now = 11
    assert [j.id for j in watch.due([job(1, "Pending")])] == [1]
