"""Regenerate the README screenshots: ``python tests/make_screenshots.py [STEP...]``.

Starts the sandbox Orchestrator, drives the wizard with the keyboard to every step at
80x24 (the same tour the snapshot tests use) and writes one SVG per step to screenshots/
(only the STEPs named, e.g. ``review_protected``, when some are).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import tour  # noqa: E402
from support import (  # noqa: E402
    FIXED_REFERENCE,
    PROD_SECRET_ENV,
    UI_URL,
    SandboxRedirect,
    write_prod_profile,
)

from tui_app.connection import ConnectionSettings  # noqa: E402
from tui_app.sandbox import Sandbox, SandboxConfig  # noqa: E402
from tui_app.ui.app import make_app  # noqa: E402

STEPS = ["connect", "folder", "action", "process", "release", "strategy", "modern_options",
         "arguments", "review", "run", "run-log", "queue", "content", "item", "queue_review",
         "monitor", "review_protected", "copy_as"]
OUT = HERE.parent / "screenshots"


async def shoot(sandbox: Sandbox, index: int, step: str) -> Path:
    settings = ConnectionSettings(url=UI_URL, client_id="demo-client", client_secret="demo-secret")
    saved = dict(os.environ)
    if step == "review_protected":  # a protected profile, in a startjob home of its own
        import tempfile

        os.environ["STARTJOB_HOME"] = tempfile.mkdtemp(prefix="startjob-shots-")
        os.environ[PROD_SECRET_ENV] = "demo-secret"
        write_prod_profile(protected="true", max_jobs="5")
        settings = ConnectionSettings(profile="prod")
    try:
        return await _drive(sandbox, index, step, settings)
    finally:
        os.environ.clear()
        os.environ.update(saved)  # the next step's home is the usual one again


async def _drive(sandbox: Sandbox, index: int, step: str, settings: ConnectionSettings) -> Path:
    app = make_app(
        settings,
        client_options={"transport": SandboxRedirect(sandbox.base_url)},
        reference_factory=lambda: FIXED_REFERENCE,
        poll_interval=0.05,
    )
    async with app.run_test(size=(80, 24)) as pilot:
        if step == "monitor":
            await tour.to_queue_review(pilot)
            await pilot.press("ctrl+r")
            await pilot.pause(0.3)
            sandbox.tenant.clock = lambda: time.time() + 60  # the robot has processed it now
            await tour.wait_until(pilot, lambda: app.state.queue.added.is_final)
            await tour.settle(pilot, 0.3)
        elif step.startswith("run"):
            await tour.to_review(pilot)
            await pilot.press("ctrl+r")
            await pilot.pause(0.3)
            sandbox.tenant.clock = lambda: time.time() + 60  # let the job finish now
            await tour.settle(pilot, 0.3)
            if step == "run-log":
                await pilot.press("f4")  # the highlighted job's robot log
                await tour.settle(pilot, 0.5)
        elif step == "copy_as":  # Review's Copy as… dialog (F7)
            await tour.to_review(pilot)
            await pilot.press("f7")
            await tour.settle(pilot)
        else:
            await getattr(tour, f"to_{step.replace('_protected', '')}")(pilot)
        if step == "process":
            await tour.search(pilot, "tri")
        if step == "strategy":
            await tour.tick_first_robot(pilot)
            await tour.settle(pilot)
        name = f"{index:02d}-{step.replace('modern_', '').replace('_', '-')}.svg"
        app.save_screenshot(filename=name, path=str(OUT))
    return OUT / name


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    os.environ.setdefault("TZ", "UTC")
    time.tzset()
    config = SandboxConfig(job_pending_seconds=0.2, job_running_seconds=0.4,
                           item_processing_seconds=0.3)
    wanted = sys.argv[1:]
    for index, step in enumerate(STEPS, start=1):
        if wanted and step not in wanted:
            continue
        with Sandbox(config) as sandbox:
            print(await shoot(sandbox, index, step))


if __name__ == "__main__":
    asyncio.run(main())
