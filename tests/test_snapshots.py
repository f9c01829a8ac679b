"""SVG snapshots of every wizard step at 80x24 (pytest-textual-snapshot).

Review them with ``pytest tests/test_snapshots.py --snapshot-report``; after a deliberate
change, ``pytest tests/test_snapshots.py --snapshot-update`` and look at the new SVGs.
"""

from __future__ import annotations

import time

import pytest
import tour
from support import PROD_SECRET_ENV, write_prod_profile

from tui_app.sandbox import SandboxConfig

SIZE = (80, 24)
#: 2026-01-05 09:00:00 UTC: the sandbox clock for the Run snapshot, so job times are fixed.
FIXED_EPOCH = 1767603600.0


@pytest.fixture(autouse=True)
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(
    "step",
    ["connect", "folder", "action", "process", "release", "strategy", "options",
     "modern_options", "arguments", "review", "queue", "content", "item", "queue_review"],
)
def test_step(step, snap_compare, make_wizard):
    assert snap_compare(make_wizard(), run_before=getattr(tour, f"to_{step}"), terminal_size=SIZE)


def test_review_protected(snap_compare, make_wizard, monkeypatch, request):
    """Review through a protected profile: the PROTECTED line and the Protected row. The
    data folder's path has a fixed length (pytest's differs under xdist), so the headless
    command below the fold wraps the same and the scrollbar looks the same."""
    import shutil
    import tempfile

    data = tempfile.mkdtemp(prefix="sj-")
    request.addfinalizer(lambda: shutil.rmtree(data, ignore_errors=True))
    monkeypatch.setenv("STARTJOB_DATA_DIR", data)
    monkeypatch.setenv(PROD_SECRET_ENV, "demo-secret")
    write_prod_profile(protected="true", max_jobs="5")
    app = make_wizard(url="", client_id="", client_secret="", profile="prod")
    assert snap_compare(app, run_before=tour.to_review, terminal_size=SIZE)


def test_run(snap_compare, make_wizard, sandbox):
    clock = {"now": FIXED_EPOCH}
    sandbox.tenant.clock = lambda: clock["now"]

    async def run_and_finish(pilot):
        await tour.to_review(pilot)
        await pilot.press("ctrl+r")
        await pilot.pause(0.2)
        clock["now"] += 60  # every job has finished by now
        await tour.settle(pilot, 0.2)

    assert snap_compare(make_wizard(), run_before=run_and_finish, terminal_size=SIZE)


@pytest.mark.parametrize("sandbox_config", [SandboxConfig(item_processing_seconds=0.2)])
def test_monitor(snap_compare, make_wizard, sandbox):
    clock = {"now": FIXED_EPOCH}
    sandbox.tenant.clock = lambda: clock["now"]

    async def add_and_finish(pilot):
        await tour.to_queue_review(pilot)
        await pilot.press("ctrl+r")
        await pilot.pause(0.2)
        clock["now"] += 60  # the robot has processed the item by now
        await tour.wait_until(pilot, lambda: pilot.app.state.queue.added.is_final)
        await tour.settle(pilot, 0.2)

    assert snap_compare(make_wizard(), run_before=add_and_finish, terminal_size=SIZE)


def test_strategy_jobs_count(snap_compare, make_wizard):
    async def jobs_count(pilot):
        await tour.to_strategy(pilot)
        await pilot.press("right", "enter")

    assert snap_compare(make_wizard(), run_before=jobs_count, terminal_size=SIZE)


def test_arguments_every_kind(snap_compare, make_wizard):
    async def showcase(pilot):
        await tour.to_process(pilot, "Finance")
        await tour.search(pilot, "showcase")
        await pilot.press("enter")
        await tour.settle(pilot)
        await pilot.press("ctrl+n")
        await tour.settle(pilot)

    assert snap_compare(make_wizard(), run_before=showcase, terminal_size=SIZE)


def test_connect_error(snap_compare, make_wizard):
    async def wrong_secret(pilot):
        await pilot.press("enter")
        await tour.settle(pilot)

    assert snap_compare(
        make_wizard(client_secret="wrong"), run_before=wrong_secret, terminal_size=SIZE
    )


def test_handoff_dialog(snap_compare, make_wizard):
    async def copy_as(pilot):
        await tour.to_review(pilot)
        await pilot.press("f7", "right")
        await tour.settle(pilot)

    assert snap_compare(make_wizard(), run_before=copy_as, terminal_size=SIZE)
