"""In-process measurements: the wizard driven with Pilot (tests/tour.py) against a sandbox.

Everything here runs in the benchmark process: the sandbox on its loopback thread, the wizard
headless at 80x24 through ``App.run_test``. Nothing in ``tui_app.ui`` is changed; timings come
from wrapping methods of the running app's objects (the instance, never the class).
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Optional

from common import ROOT, Timing, now

SIZE = (80, 24)
WAIT_LIMIT = 30.0  # seconds any single wait in a flow may take
#: Where fresh_home() makes its folders (run.py points it into its temporary folder).
HOMES: Optional[str] = None


def load_tour():
    """tests/tour.py, imported by path (tests/ is not a package)."""
    spec = importlib.util.spec_from_file_location("startjob_tour", ROOT / "tests" / "tour.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tour = load_tour()


class FlowError(RuntimeError):
    """The wizard did not do what the flow expected (the UI changed, or something broke)."""


def fresh_home() -> None:
    """A new STARTJOB_HOME: no cached token, no profiles, no history from earlier flows."""
    os.environ["STARTJOB_HOME"] = tempfile.mkdtemp(prefix="home-", dir=HOMES)


def make_wizard(sandbox, poll_interval: float = 0.05):
    """The wizard as ``startjob --demo`` builds it (demo credentials, the sandbox's URL)."""
    from tui_app.cli import demo_settings
    from tui_app.ui.app import make_app

    return make_app(demo_settings(sandbox), poll_interval=poll_interval)


def expect(app, name: str) -> None:
    shown = type(app.screen).__name__
    if shown != name:
        message = str(getattr(app.screen, "message", None) and app.screen.message.render())
        raise FlowError(f"expected {name}, the wizard shows {shown} {message[:200]!r}")


async def wait_until(pilot, condition: Callable[[], bool], what: str,
                     limit: float = WAIT_LIMIT, step: float = 0.005) -> None:
    deadline = time.perf_counter() + limit
    while not condition():
        if time.perf_counter() > deadline:
            raise FlowError(f"timed out waiting for {what}")
        await pilot.pause(step)


class FrameWatch:
    """Records when the app hands a finished frame to its driver (headless: the same work,
    minus writing the escape codes), as ``now()`` stamps."""

    def __init__(self, app) -> None:
        self.frames: list = []
        original = app._display

        def display(screen, renderable):
            original(screen, renderable)
            if renderable is not None and not app._batch_count:
                self.frames.append((now(), type(screen).__name__))  # no reference kept

        app._display = display

    def first_after(self, moment: tuple, screen_type: Optional[str] = None) -> Optional[tuple]:
        for stamp, shown in self.frames:
            if stamp[0] >= moment[0] and screen_type in (None, shown):
                return stamp
        return None

    async def wait_after(self, pilot, moment: tuple, screen_type: Optional[str] = None) -> tuple:
        await wait_until(pilot, lambda: self.first_after(moment, screen_type) is not None,
                         f"a frame of {screen_type or 'the screen'}")
        return self.first_after(moment, screen_type)


async def wait_for_final_jobs(pilot) -> None:
    state = pilot.app.state
    await wait_until(pilot, lambda: state.jobs and not state.unfinished_jobs(),
                     "the jobs to finish", step=0.05)
    await tour.settle(pilot)


# ---------------------------------------------------------------------------- round trips


async def _specific(pilot) -> None:
    await tour.to_strategy(pilot)
    expect(pilot.app, "StrategyScreen")
    await tour.tick_first_robot(pilot)
    await pilot.press("ctrl+n")
    await tour.settle(pilot)
    await _arguments_review_start(pilot, "INC0010234")


async def _jobs_count(pilot) -> None:
    await tour.to_strategy(pilot)
    expect(pilot.app, "StrategyScreen")
    await pilot.press("right", "enter")  # radio set: Number of jobs, then into the field
    await tour.settle(pilot)
    await tour.fill(pilot, "2")
    await pilot.press("ctrl+n")
    await tour.settle(pilot)
    await _arguments_review_start(pilot, "INC0010235")


async def _all(pilot) -> None:
    await tour.to_strategy(pilot)
    expect(pilot.app, "StrategyScreen")
    await pilot.press("right", "right", "enter")  # radio set: All robots
    await tour.settle(pilot)
    await pilot.press("ctrl+n")
    await tour.settle(pilot)
    await _arguments_review_start(pilot, "INC0010236")


async def past_options(pilot) -> None:
    """The Options step (between Strategy and Arguments): Next keeps every option."""
    expect(pilot.app, "OptionsScreen")
    await pilot.press("ctrl+n")
    await tour.settle(pilot)


async def _arguments_review_start(pilot, incident: str) -> None:
    await past_options(pilot)
    expect(pilot.app, "ArgumentsScreen")
    await tour.fill(pilot, incident)
    await pilot.press("ctrl+n")
    await tour.settle(pilot)
    expect(pilot.app, "ReviewScreen")
    await pilot.press("ctrl+r")
    await tour.settle(pilot)
    expect(pilot.app, "RunScreen")
    await wait_for_final_jobs(pilot)


FLOWS = {"Specific": _specific, "JobsCount": _jobs_count, "All": _all}


async def wizard_round_trips(sandbox, kind: str) -> Counter:
    """Requests (by sandbox route) of one whole wizard flow, Connect to finished jobs."""
    fresh_home()
    sandbox.clear_log()
    app = make_wizard(sandbox)
    async with app.run_test(size=SIZE) as pilot:
        await FLOWS[kind](pilot)
    return Counter(entry.route for entry in sandbox.request_log)


# ---------------------------------------------------------------------------- large tenant


@dataclass
class LargeTenantFigures:
    search_response_to_frame: Timing = field(default_factory=Timing)
    search_show_page: Timing = field(default_factory=Timing)
    search_round_trip: Timing = field(default_factory=Timing)
    search_rows: int = 0
    robots_total: int = 0
    robots_first_fill: Timing = field(default_factory=Timing)
    robots_first_fill_frame: Timing = field(default_factory=Timing)
    #: filter text -> (keystroke to frame, _refill_robots alone, robots shown)
    robot_filters: dict = field(default_factory=dict)
    form_arguments: int = 0
    form_build: Timing = field(default_factory=Timing)
    poll_jobs: int = 0
    poll_cycles: int = 0
    poll_requests: Counter = field(default_factory=Counter)
    #: Start answered (Review's go_next) → first frame of the Run step, 50 jobs.
    run_first_frame: Timing = field(default_factory=Timing)
    #: One poll's UI work on the Run step (``_updated``: table cells, detail, status).
    poll_ui: Timing = field(default_factory=Timing)
    #: Bytes of the poll answers (``GET /odata/Jobs``), in all.
    poll_bytes: int = 0
    content_fields: int = 0
    content_build: Timing = field(default_factory=Timing)
    #: The Run step's robot log pane (F4) on an ended job: lines shown, F4 pressed → the log
    #: drawn (the pane's 0.2 s pause and the RobotLogs request included), the log's answer →
    #: frame, and ``_show_log`` alone.
    log_lines: int = 0
    log_press_to_frame: Timing = field(default_factory=Timing)
    log_answer_to_frame: Timing = field(default_factory=Timing)
    log_show: Timing = field(default_factory=Timing)


async def _to_scale_process(pilot, search_text: str) -> None:
    await tour.to_process(pilot, folder="Scale")
    expect(pilot.app, "ProcessScreen")
    await tour.search(pilot, search_text)
    await pilot.press("enter")
    await tour.settle(pilot)
    expect(pilot.app, "StrategyScreen")


async def measure_search(sandbox, runs: int, figures: LargeTenantFigures) -> None:
    """Process search in a folder of 10,000 releases: the UI work after each response."""
    fresh_home()
    app = make_wizard(sandbox)
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_process(pilot, folder="Scale")
        expect(app, "ProcessScreen")
        screen = app.screen
        watch = FrameWatch(app)
        stamps: dict = {}
        client = app.session.client
        search_releases = client.search_releases
        show_page = screen.show_page

        async def timed_search(*args, **kwargs):
            stamps["sent"] = now()
            page = await search_releases(*args, **kwargs)
            stamps["response"] = now()
            return page

        def timed_show_page(text, page):
            stamps["show"] = now()
            show_page(text, page)
            stamps["shown"] = now()
            stamps["rows"] = len(page.items)

        client.search_releases = timed_search
        screen.show_page = timed_show_page
        search_box = screen.query_one("#search")
        for run in range(runs):
            stamps.clear()
            search_box.value = f"Process{run + 1:02d}"  # 1,000 matches: a full page of 50
            await wait_until(pilot, lambda: "shown" in stamps, "the search answer")
            frame = await watch.wait_after(pilot, stamps["shown"], "ProcessScreen")
            figures.search_response_to_frame.add(stamps["response"], frame)
            figures.search_show_page.add(stamps["show"], stamps["shown"])
            figures.search_round_trip.add(stamps["sent"], stamps["response"])
            figures.search_rows = stamps["rows"]
            await tour.settle(pilot)


async def measure_robot_filter(sandbox, runs: int, figures: LargeTenantFigures,
                               filters: tuple) -> None:
    """The robot checklist of an environment with 5,000 robots: first fill, then filtering."""
    fresh_home()
    app = make_wizard(sandbox)
    async with app.run_test(size=SIZE) as pilot:
        await _to_scale_process(pilot, "Process00001")
        screen = app.screen
        watch = FrameWatch(app)
        refills: list = []
        refill = screen._refill_robots

        def timed_refill():
            started = now()
            refill()
            refills.append((started, now()))

        screen._refill_robots = timed_refill
        picker = screen.query_one("#robots")
        await pilot.press("tab", "tab")  # radio set -> filter -> list: the robots are fetched
        await wait_until(pilot, lambda: refills, "the robot list", step=0.02)
        started, ended = refills[-1]
        frame = await watch.wait_after(pilot, ended, "StrategyScreen")
        figures.robots_first_fill.add(started, ended)
        figures.robots_first_fill_frame.add(started, frame)
        figures.robots_total = len(screen.robots())
        await tour.settle(pilot)
        filter_box = screen.query_one("#robot-filter")
        filter_box.focus()
        await tour.settle(pilot)
        for text in filters:
            figures.robot_filters[text] = (Timing(), Timing(), 0)
        for _ in range(runs):
            for text in filters:
                filter_box.value = text[:-1]  # the keystrokes before the measured one
                await tour.settle(pilot)
                count = len(refills)
                pressed = now()
                await pilot.press(text[-1])
                await wait_until(pilot, lambda c=count: len(refills) > c, "the filtered list")
                started, ended = refills[-1]
                frame = await watch.wait_after(pilot, ended, "StrategyScreen")
                to_frame, refill_only, _ = figures.robot_filters[text]
                to_frame.add(pressed, frame)
                refill_only.add(started, ended)
                figures.robot_filters[text] = (to_frame, refill_only, picker.option_count)
                await tour.settle(pilot)


def hundred_arguments() -> list:
    """100 input arguments cycling through every kind the demo's ArgumentShowcase has."""
    from tui_app.sandbox.seed import SHOWCASE_INPUT

    arguments = []
    for number in range(100):
        base = SHOWCASE_INPUT[number % len(SHOWCASE_INPUT)]
        arguments.append({
            "name": f"A{number:03d}_{base['name']}",
            "type": base["type"],
            "required": number % 9 == 0 and "Boolean" not in base["type"],
            "hasDefault": number % 4 == 1,
        })
    return arguments


async def measure_argument_form(sandbox, runs: int, figures: LargeTenantFigures) -> None:
    """From Next on the Options step to the first frame of a 100-field Arguments step."""
    fresh_home()
    app = make_wizard(sandbox)
    async with app.run_test(size=SIZE) as pilot:
        await _to_scale_process(pilot, "Wide100")
        await pilot.press("right", "enter")  # Number of jobs: no robots needed
        await tour.settle(pilot)
        await pilot.press("ctrl+n")
        await tour.settle(pilot)
        expect(app, "OptionsScreen")
        watch = FrameWatch(app)
        stamps: dict = {}
        go_next = app.go_next

        def timed_go_next(step):
            stamps["next"] = now()
            go_next(step)

        app.go_next = timed_go_next
        for _ in range(runs):
            stamps.clear()
            await pilot.press("ctrl+n")
            await wait_until(pilot, lambda: "next" in stamps, "Next")
            frame = await watch.wait_after(pilot, stamps["next"], "ArgumentsScreen")
            figures.form_build.add(stamps["next"], frame)
            figures.form_arguments = len(app.screen.specs)
            await tour.settle(pilot)
            expect(app, "ArgumentsScreen")
            await pilot.press("escape")
            await tour.settle(pilot)
            expect(app, "OptionsScreen")


async def measure_polling(sandbox, jobs: int, runs: int, figures: LargeTenantFigures) -> None:
    """JobsCount ``jobs`` in ScaleEnv; requests per poll of the Run step until all end, then
    the log pane of the highlighted job."""
    fresh_home()
    app = make_wizard(sandbox, poll_interval=0.1)
    async with app.run_test(size=SIZE) as pilot:
        await _to_scale_process(pilot, "Process00001")
        await pilot.press("right", "enter")
        await tour.settle(pilot)
        await tour.fill(pilot, str(jobs))
        await pilot.press("ctrl+n")
        await tour.settle(pilot)
        await past_options(pilot)
        expect(app, "ArgumentsScreen")
        await tour.fill(pilot, "benchmark")
        await pilot.press("ctrl+n")
        await tour.settle(pilot)
        expect(app, "ReviewScreen")
        calls: list = []
        get_jobs = app.session.client.get_jobs

        async def counted_get_jobs(ids):
            ids = list(ids)
            calls.append(len(ids))
            return await get_jobs(ids)

        app.session.client.get_jobs = counted_get_jobs
        watch = FrameWatch(app)
        stamps: dict = {}
        go_next = app.go_next

        def timed_go_next(step):
            stamps["next"] = now()
            go_next(step)
            screen = app.screen
            updated = screen._updated

            def timed_updated(changed, delay):
                started = now()
                updated(changed, delay)
                figures.poll_ui.add(started, now())

            screen._updated = timed_updated

        app.go_next = timed_go_next
        before = len(sandbox.request_log)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: "next" in stamps, "the start")
        frame = await watch.wait_after(pilot, stamps["next"], "RunScreen")
        figures.run_first_frame.add(stamps["next"], frame)
        await tour.settle(pilot)
        expect(app, "RunScreen")
        await wait_for_final_jobs(pilot)
        figures.poll_bytes = sum(entry.response_bytes for entry in sandbox.request_log[before:]
                                 if entry.route == "GET /odata/Jobs")
        figures.poll_jobs = len(app.state.jobs)
        figures.poll_cycles = len(calls)
        # The start itself (StartJobs, and GetCurrentUser for the history) is not a poll.
        figures.poll_requests = Counter(
            entry.route for entry in sandbox.request_log[before:]
            if "StartJobs" not in entry.route and "GetCurrentUser" not in entry.route
        )
        await measure_log_pane(pilot, watch, runs, figures)


async def measure_log_pane(pilot, watch: FrameWatch, runs: int,
                           figures: LargeTenantFigures) -> None:
    """F4 on the Run step, ``runs`` times, the log forgotten before each (read again)."""
    app = pilot.app
    screen, session = app.screen, app.session
    stamps: dict = {}
    read_log, show_log = session.read_log, screen._show_log

    async def timed_read_log():
        asked = await read_log()
        stamps["answer"] = now()
        return asked

    def timed_show_log():
        started = now()
        show_log()
        if "answer" in stamps and "shown" not in stamps:
            stamps["shown"] = now()
            figures.log_show.add(started, stamps["shown"])

    session.read_log, screen._show_log = timed_read_log, timed_show_log
    for _ in range(runs):
        job = screen.selected_job()
        session.logs.pop(job.id, None)
        stamps.clear()
        stamps["press"] = now()
        await pilot.press("f4")
        await wait_until(pilot, lambda: "shown" in stamps, "the robot log")
        frame = await watch.wait_after(pilot, stamps["shown"], "RunScreen")
        figures.log_press_to_frame.add(stamps["press"], frame)
        figures.log_answer_to_frame.add(stamps["answer"], frame)
        figures.log_lines = len(session.logs[job.id].lines)
        await pilot.press("f4")
        await tour.settle(pilot)


def hundred_field_schema() -> dict:
    """A queue item schema of 100 properties cycling through InvoiceIntake's kinds."""
    from tui_app.sandbox.seed import INVOICE_SCHEMA

    kinds = list(INVOICE_SCHEMA["properties"].items())
    properties, required = {}, []
    for number in range(100):
        name, schema = kinds[number % len(kinds)]
        properties[f"F{number:03d}_{name}"] = schema
        if name in INVOICE_SCHEMA["required"] and number % 3 == 0:
            required.append(f"F{number:03d}_{name}")
    return {"type": "object", "required": required, "properties": properties}


async def measure_content_form(sandbox, runs: int, figures: LargeTenantFigures) -> None:
    """From Next on the Queue step to the first frame of a 100-field Content form."""
    fresh_home()
    app = make_wizard(sandbox)
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_queue(pilot, "Finance")
        expect(app, "QueueScreen")
        watch = FrameWatch(app)
        stamps: dict = {}
        go_next = app.go_next

        def timed_go_next(step):
            stamps["next"] = now()
            go_next(step)

        app.go_next = timed_go_next
        for _ in range(runs):
            stamps.clear()
            await pilot.press("enter")  # the highlighted queue: Batch100 sorts first
            await wait_until(pilot, lambda: "next" in stamps, "Next")
            frame = await watch.wait_after(pilot, stamps["next"], "ContentScreen")
            figures.content_build.add(stamps["next"], frame)
            figures.content_fields = len(app.screen.fields)
            await tour.settle(pilot)
            expect(app, "ContentScreen")
            await pilot.press("escape")
            await tour.settle(pilot)
            expect(app, "QueueScreen")


def add_wide_queue(sandbox) -> None:
    import json

    sandbox.tenant.add_queue(3, "Batch100", description="A queue whose items have 100 fields",
                             specific_data_json_schema=json.dumps(hundred_field_schema()))


def add_wide_release(sandbox) -> None:
    from tui_app.sandbox import arguments_json

    sandbox.tenant.add_release(
        5, "Wide100_ScaleEnv", "Wide100", "1.0.0", environment_id=13,
        description="A process with 100 input arguments of every kind",
        arguments_input=arguments_json(hundred_arguments()),
    )


def add_long_logs(sandbox) -> None:
    """The polled process's jobs write 200 activity lines: the log pane shows a full page."""
    tenant = sandbox.tenant
    release = next(r for r in tenant.releases.values() if r.name == "Process00001_ScaleEnv")
    tenant.update_release(release.id, log_lines=200)


def run(coroutine, timeout: float):
    return asyncio.run(asyncio.wait_for(coroutine, timeout))


def large_tenant(runs: int, timeout: float, filters: tuple, poll_jobs: int = 50,
                 scale: int = 10_000) -> LargeTenantFigures:
    from tui_app.sandbox import Sandbox, SandboxConfig

    figures = LargeTenantFigures()
    config = SandboxConfig(scale=scale, job_pending_seconds=0.2, job_running_seconds=1.0,
                           stop_seconds=0.2)
    with Sandbox(config) as sandbox:
        add_wide_release(sandbox)
        add_wide_queue(sandbox)
        add_long_logs(sandbox)
        run(measure_search(sandbox, runs, figures), timeout)
        run(measure_robot_filter(sandbox, runs, figures, filters), timeout)
        run(measure_argument_form(sandbox, runs, figures), timeout)
        run(measure_content_form(sandbox, runs, figures), timeout)
        run(measure_polling(sandbox, poll_jobs, runs, figures), timeout)
    return figures


def round_trips(timeout: float) -> dict:
    from tui_app.sandbox import Sandbox, SandboxConfig

    counts = {}
    config = SandboxConfig(job_pending_seconds=0.2, job_running_seconds=0.4, stop_seconds=0.2)
    with Sandbox(config) as sandbox:
        for kind in FLOWS:
            counts[kind] = run(wizard_round_trips(sandbox, kind), timeout)
    return counts
