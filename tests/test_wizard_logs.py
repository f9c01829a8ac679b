"""The Run step's robot log pane (F4): the highlighted job's last lines, ERROR in words, read
once per poll while the job runs and no more once it ended; the job's Orchestrator link."""

from __future__ import annotations

from urllib.parse import parse_qs

import httpx
import pytest
import tour
from tour import wait_until
from wizard_fakes import intercept

from tui_app.sandbox import SandboxConfig
from tui_app.ui.screens import RunScreen

SIZE = (80, 24)
LOGS = "GET /odata/RobotLogs"


def log_line(job_key: str, level: str, second: int, message: str) -> dict:
    """A ``LogDto`` as Orchestrator sends it."""
    return {"Level": level, "WindowsIdentity": "SUPPORT-VM-01\\robot", "ProcessName":
            "SupportTriage_QuickstartDemo", "TimeStamp": f"2026-01-05T09:00:{second:02d}.1234567Z",
            "Message": message, "JobKey": job_key, "RawMessage": "{}", "RobotName":
            "SUPPORT-BOT-01", "HostMachineName": "SUPPORT-VM-01", "MachineId": 1, "Id": 0}


class GrowingLog:
    """RobotLogs answers: one more line at each request, an Error line among them."""

    def __init__(self) -> None:
        self.asked: list = []

    async def __call__(self, request: httpx.Request, forward) -> httpx.Response:
        query = parse_qs(request.url.query.decode())
        key = query["$filter"][0].split(" eq ")[1]
        self.asked.append(key)
        lines = [log_line(key, "Info", 0, "Execution started"),
                 log_line(key, "Error", 1, "Ticket INC1 not found: System.Exception\nat Main")]
        lines += [log_line(key, "Info", 2 + n, f"Step {n}") for n in range(len(self.asked))]
        assert query["$orderby"] == ["TimeStamp desc"]
        return httpx.Response(200, json={"@odata.count": len(lines),
                                         "value": list(reversed(lines))[:int(query["$top"][0])]})


def pane(app) -> str:
    return str(app.screen.query_one("#log-lines").render())


# Long enough for three reads of the log while it runs, on a loaded CI machine too.
@pytest.mark.parametrize("sandbox_config", [SandboxConfig(job_pending_seconds=0.1,
                                                          job_running_seconds=4.0)])
async def test_the_log_pane_shows_the_last_lines_while_the_job_runs(make_wizard, sandbox):
    app = make_wizard()
    logs = GrowingLog()
    fake = intercept(app, sandbox, {LOGS: logs})
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_review(pilot)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: isinstance(app.screen, RunScreen))
        assert fake.count("RobotLogs") == 0  # the details are shown: no log is read
        footer = tour_footer(app)
        assert "F4 Log" in footer and "Stop" in footer
        await pilot.press("f4")
        await wait_until(pilot, lambda: "Execution started" in pane(app))
        shown = pane(app)
        assert f"Robot log of job {app.state.jobs[0].id}" in shown
        assert "ERROR Ticket INC1 not found" in shown  # in words, not by colour only
        assert not app.screen.query_one("#job-detail").display
        job = app.state.jobs[0]
        assert logs.asked[0] == job.key
        await wait_until(pilot, lambda: "Step 2" in pane(app))  # read again while it runs
        await wait_until(pilot, lambda: app.state.jobs[0].is_final)
        await tour.settle(pilot, 0.2)
        read = fake.count("RobotLogs")
        assert app.session.logs[job.id].complete  # read once more after it ended
        await pilot.pause(0.5)
        assert fake.count("RobotLogs") == read  # ... and no more
        await pilot.press("f4")
        await pilot.pause()
        assert app.screen.query_one("#job-detail").display
        assert app.session.log_job is None


async def test_the_detail_links_to_the_job_in_orchestrator(make_wizard):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_run(pilot)
        job = app.state.jobs[0]
        detail = app.screen.query_one("#job-detail").render()
        url = f"http://orchestrator.test/jobs(sidepanel:sidepanel/jobs/{job.key}/details)?fid=4"
        assert "In Orchestrator:" in str(detail)
        assert url in str(detail).replace("\n", "")
        links = {span.style.link for span in detail.spans if hasattr(span.style, "link")}
        assert url in links  # an OSC 8 hyperlink where the terminal shows them
        assert "F5 Restart" in tour_footer(app) and "Stop" not in tour_footer(app)


async def test_a_log_that_cannot_be_read_says_so_once(make_wizard, sandbox):
    app = make_wizard()

    async def denied(request, forward):
        return httpx.Response(403, json={"message": "You are not authorized.",
                                         "errorCode": 0})

    fake = intercept(app, sandbox, {LOGS: denied})
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_run(pilot)
        await pilot.press("f4")
        await wait_until(pilot, lambda: "could not be read" in pane(app))
        await pilot.press("f4", "f4")
        await tour.settle(pilot, 0.3)
        assert fake.count("RobotLogs") == 1


def tour_footer(app) -> str:
    strips = app.screen._compositor.render_strips()
    return "".join(s.text for s in strips[-1] if not s.control)


