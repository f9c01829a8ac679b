"""Step 7: everything chosen, the exact request, then Start."""

from __future__ import annotations

import json
import shlex

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Static

from tui_app.plan import PlanError
from tui_app.text import visible
from tui_app.ui.dialogs import ConfirmDialog
from tui_app.ui.save_template import SaveTemplateDialog
from tui_app.ui.screens.arguments import argument_specs
from tui_app.ui.screens.base import StepScreen

START_JOBS_PATH = "/odata/Jobs/UiPath.Server.Configuration.OData.StartJobs"


class ReviewScreen(StepScreen):
    STEP = "Review"
    HEADING = "Review and start"
    HELP = """
Check what will happen before anything starts. The request body below is exactly what
is sent to Orchestrator. Nothing is started until you press Start (ctrl+r or F5).

Save template (ctrl+s or F6) writes these choices to a TOML file that anyone can replay:
interactively with `startjob open FILE`, or headless with `startjob run FILE`. Credentials
are never written, nor the values of arguments you mark "ask at every replay".
"""
    BINDINGS = [
        Binding("ctrl+r,f5", "start", "Start", key_display="^r/F5"),
        Binding("ctrl+s,f6", "save_template", "Save template", key_display="^s/F6"),
    ]

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="review"):
            yield Static(id="summary")
            yield Static(id="body", classes="code")
        with Horizontal(id="review-buttons", classes="buttons"):
            yield Button("Start (ctrl+r)", id="start", variant="success", compact=True)
            yield Button("Save template (ctrl+s)", id="save", compact=True)
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
        text.append(visible(json.dumps(body, indent=2, ensure_ascii=False)) + "\n\n")
        text.append("Headless equivalent\n", style="bold")
        if self.wizard.template_path:
            text.append(visible(f"startjob run {shlex.quote(str(self.wizard.template_path))}"))
        else:
            text.append("Save as template (ctrl+s), then: startjob run TEMPLATE.toml")
        self.query_one("#body", Static).update(text)

    @on(Button.Pressed, "#save")
    def action_save_template(self) -> None:
        release = self.state.release
        names = [spec.name for spec in argument_specs(release)]
        default = self.wizard.template_name or (
            f"{release.process_key} on {release.environment_name}"
            if release.environment_name
            else release.process_key
        )
        self.app.push_screen(SaveTemplateDialog(default, names), self._save)

    def _save(self, request, *, overwrite: bool = False) -> None:
        if request is None:
            return
        try:
            path = self.wizard.save_template(request, overwrite=overwrite)
        except FileExistsError as exc:
            self.app.push_screen(
                ConfirmDialog(f"{exc.filename} exists. Replace it?", yes="Replace", no="Keep"),
                lambda yes: self._save(request, overwrite=True) if yes else None,
            )
            return
        except (OSError, ValueError) as exc:
            self.message.show("error", f"The template was not saved: {exc}")
            return
        self.message.show("info", f"Saved {path}. Replay it with: startjob run {path}")
        self.refresh_review()

    @on(Button.Pressed, "#back")
    def _back(self) -> None:
        self.action_back()

    @on(Button.Pressed, "#start")
    def action_start(self) -> None:
        button = self.query_one("#start", Button)
        if button.disabled:
            return
        if self.wizard.unknown_start:
            self.app.push_screen(
                ConfirmDialog(
                    "Whether the last start created jobs is not known (see the message). "
                    "Starting again may run the process twice. Start again anyway?",
                    yes="Start again",
                    no="Wait",
                ),
                lambda yes: self._confirmed_start() if yes else None,
            )
            return
        self._confirmed_start()

    def _confirmed_start(self) -> None:
        self.query_one("#start", Button).disabled = True
        self.message.show("info", "Starting…")
        self._start()

    @work(exclusive=True, group="start")
    async def _start(self) -> None:
        outcome = await self.wizard.start_jobs()
        if outcome.started:
            self.message.clear()
            if outcome.error is not None:  # the answer was lost, the jobs were found
                self.wizard.start_notice = outcome.message
            self.wizard.go_next(self.STEP)
            return
        self.message.show("error", outcome.message)
        self.refresh_review()  # the next attempt carries a new Reference
