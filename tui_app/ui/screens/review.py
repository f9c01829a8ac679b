"""Step 7: everything chosen, the exact request, then Start."""

from __future__ import annotations

import json

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Static

from tui_app.orchestrator.errors import OrchestratorError
from tui_app.plan import PlanError
from tui_app.text import visible
from tui_app.ui.screens.base import StepScreen

START_JOBS_PATH = "/odata/Jobs/UiPath.Server.Configuration.OData.StartJobs"


class ReviewScreen(StepScreen):
    STEP = "Review"
    HEADING = "Review and start"
    HELP = """
Check what will happen before anything starts. The request body below is exactly what
is sent to Orchestrator. Nothing is started until you press Start (ctrl+r or F5).
"""
    BINDINGS = [
        Binding("ctrl+r,f5", "start", "Start", key_display="^r/F5"),
    ]

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="review"):
            yield Static(id="summary")
            yield Static(id="body", classes="code")
        with Horizontal(id="review-buttons", classes="buttons"):
            yield Button("Start (ctrl+r)", id="start", variant="success", compact=True)
            yield Button("Back (esc)", id="back", compact=True)

    def on_mount(self) -> None:
        self.refresh_review()
        self.query_one("#start", Button).focus()

    def on_screen_resume(self) -> None:
        self.refresh_review()

    def refresh_review(self) -> None:
        try:
            plan = self.wizard.current_plan()
            body = {"startInfo": plan.start_info()}
        except (PlanError, ValueError) as exc:
            self.message.show("error", str(exc))
            self.query_one("#start", Button).disabled = True
            return
        self.query_one("#start", Button).disabled = False
        self.query_one("#summary", Static).update(self.wizard.summary(plan))
        text = Text("Request: POST …" + START_JOBS_PATH + "\n", style="bold")
        text.append(visible(json.dumps(body, indent=2, ensure_ascii=False)))
        self.query_one("#body", Static).update(text)

    @on(Button.Pressed, "#back")
    def _back(self) -> None:
        self.action_back()

    @on(Button.Pressed, "#start")
    def action_start(self) -> None:
        button = self.query_one("#start", Button)
        if button.disabled:
            return
        button.disabled = True
        self.message.show("info", "Starting…")
        self._start()

    @work(exclusive=True, group="start")
    async def _start(self) -> None:
        try:
            await self.wizard.start_jobs()
        except OrchestratorError as exc:
            self.message.show_error(exc)
            self.query_one("#start", Button).disabled = False
            return
        self.message.clear()
        self.wizard.go_next(self.STEP)
