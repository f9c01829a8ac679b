"""Step 7: everything chosen, the exact request, then Start."""

from __future__ import annotations

import json
import textwrap

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Static

from tui_app.arguments.jsontext import dumps
from tui_app.plan import PlanError
from tui_app.text import visible
from tui_app.ui.dialogs import (
    ConfirmDialog,
    TypedConfirmDialog,
    WrappedText,
    wrap_at_separators,
)
from tui_app.ui.handoff_dialog import HandoffDialog
from tui_app.ui.save_template import SaveTemplateDialog
from tui_app.ui.screens.base import StepScreen

START_JOBS_PATH = "/odata/Jobs/UiPath.Server.Configuration.OData.StartJobs"
#: The width of the summary's label column.
LABEL_WIDTH = 13


#: How each pre-flight finding is marked, in words (never by colour alone).
WILL_NOT_RUN = "Will not run: "
WILL_WAIT = "Will wait: "
PREFLIGHT_UNAVAILABLE = "Pre-flight check not available on this server"


#: Said on Review when the arguments go as a job attachment.
FILE_NOTE = ("The input arguments go as a job attachment (InputFile), uploaded at Start; the "
             "pre-flight check is sent without InputFile and InputArguments.")


def preflight_text(check, note: str = "") -> Text:
    """A ``ServerCheck`` of the start body (None: still asking) as sentences for Review,
    after ``note`` (what the check leaves out) when there is one."""
    text = Text(note + "\n") if note else Text()
    text.append_text(_check_text(check))
    return text


def _check_text(check) -> Text:
    if check is None:
        return Text("Pre-flight check: asking Orchestrator whether this would run…", style="dim")
    if not check.available:
        return Text(PREFLIGHT_UNAVAILABLE, style="dim")
    if check.problem:
        return Text(f"Pre-flight check not made: {visible(check.problem)}", style="dim")
    if not check.findings:
        return Text("Pre-flight check: Orchestrator sees nothing that would stop this job.")
    text = Text("Pre-flight check (nothing is started):\n", style="bold")
    for finding in check.findings:
        text.append(WILL_NOT_RUN if finding.blocking else WILL_WAIT, style="bold")
        text.append(visible(finding.sentence) + "\n")
        if finding.advice:
            text.append("  What to do: " + visible(finding.advice) + "\n")
    text.rstrip()
    return text


def guard_questions(guard, what: str = "Start") -> list:
    """The production guard's questions before a start (``tui_app.guard``): the typed
    word of a protected target, then a start over the jobs cap."""
    questions: list = []
    if guard.protected:
        questions.append(TypedConfirmDialog(visible(guard.question()), guard.word, yes=what))
    if guard.over_cap:
        questions.append(ConfirmDialog(visible(guard.cap_question()), yes=f"{what} anyway",
                                       no="Back to Review"))
    return questions


def summary_text(rows: list, value_width: int, label_width: int = LABEL_WIDTH) -> Text:
    """Summary rows as aligned text: bold labels, then the values made visible and wrapped
    at ``value_width`` under their column."""
    text = Text()
    for label, value in rows:
        text.append(f"{label:<{label_width}}", style="bold")
        lines = textwrap.wrap(visible(value, single_line=True, limit=300), value_width) or [""]
        text.append(("\n" + " " * label_width).join(lines) + "\n")
    return text


class ReviewFrame(StepScreen):
    """What both Review steps (a job's, a queue item's) do besides sending: scroll the
    review, save the choice as a template, hand it off (Copy as…), go back. Subclasses
    compose ``#review``, ``#save``, ``#handoff`` and ``#back`` and define ``refresh_review``."""

    BINDINGS = [
        Binding("f7", "handoff", "Copy as…", key_display="F7", show=False,
                id="review.handoff"),
    ]

    def refresh_review(self) -> None:
        raise NotImplementedError

    @on(Button.Pressed, "#handoff")
    def action_handoff(self) -> None:
        """The Copy as… dialog: this start as startjob run, curl, PowerShell, uip."""
        try:
            forms = self.session.handoff_forms()
        except (PlanError, ValueError) as exc:
            self.message.show("error", str(exc))
            return
        self.app.push_screen(HandoffDialog(forms, self._print_on_exit))

    def _print_on_exit(self, text: str) -> None:
        self.session.handoff_on_exit = text

    def action_scroll_review(self, pages: int) -> None:
        review = self.query_one("#review", VerticalScroll)
        if pages > 0:
            review.scroll_page_down(animate=False)
        else:
            review.scroll_page_up(animate=False)

    @on(Button.Pressed, "#save")
    def action_save_template(self) -> None:
        dialog = SaveTemplateDialog(
            self.session.template_default_name(),
            self.session.argument_names(),
            self.session.save_template,
            asked=self.state.ask_names,
            targets=self.session.binding_targets(),
            bindings=self.session.bindings,
            source=self.session.template_source(),
        )
        self.app.push_screen(dialog, self._saved)

    def _saved(self, path) -> None:
        if path is None:
            return
        note = f"Saved {path}. Replay it with: {self.session.headless_command()}"
        # Wrapped for the message line (its margin and padding take 4 columns).
        self.message.show("info", wrap_at_separators(note, self.size.width - 4))
        self.refresh_review()

    @on(Button.Pressed, "#back")
    def _back(self) -> None:
        self.action_back()


class ReviewScreen(ReviewFrame):
    STEP = "Review"
    HEADING = "Review and start"
    HELP = """
Check what will happen before anything starts. The request body below is exactly what
is sent to Orchestrator. Nothing is started until you press Start (ctrl+r or F5).

The pre-flight check asks Orchestrator whether this exact body would run (it starts
nothing). "Will not run:" names a reason the job cannot run as asked; Start then asks
you to confirm (Orchestrator decides). "Will wait:" means the job would wait Pending.
A refused start keeps every choice: fix the cause and press Start again.

Save template (ctrl+s or F6) writes these choices to a TOML file that anyone can replay:
interactively with `startjob open FILE`, or headless with `startjob run FILE`. Credentials
are never written, nor the values of arguments you mark "ask at every replay".

Copy as... (F7) gives this exact start as a `startjob run` command with its --set values,
as curl (the token stays an environment variable, never the secret) and, where they can
say it, as the `uip` CLI and PowerShell Start-OrchJob commands: copied to the clipboard
where the terminal allows it, and shown to copy by hand.

A PROTECTED line means a protected profile, folder or template: Start then asks you to
type the folder (or process) name, and a start over its jobs cap needs that too.
"""
    BINDINGS = [
        Binding("ctrl+r,f5", "start", "Start", key_display="^r/F5", id="review.start"),
        Binding("ctrl+s,f6", "save_template", "Save template", key_display="^s/F6",
                id="review.save_template"),
        Binding("pagedown", "scroll_review(1)", "Scroll", key_display="PgDn/PgUp",
                id="review.page_down"),
        Binding("pageup", "scroll_review(-1)", "Scroll", show=False, id="review.page_up"),
    ]
    # The review scrolls from any button (PgDn/PgUp); focused itself, it shows a bar.
    DEFAULT_CSS = """
    ReviewScreen #review { border-left: blank; }
    ReviewScreen #review:focus { border-left: thick $accent; }
    ReviewScreen #headless { color: $text-muted; }
    """

    _file_note = ""

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="review"):
            yield Static(id="summary")
            yield Static(id="preflight")
            yield Static(id="body", classes="code")
            yield WrappedText(id="headless")
        with Horizontal(id="review-buttons", classes="buttons"):
            yield Button("Start (ctrl+r)", id="start", variant="success", compact=True)
            yield Button("Save template (ctrl+s)", id="save", compact=True)
            yield Button("Copy as… (F7)", id="handoff", compact=True)
            yield Button("Back (esc)", id="back", compact=True)

    def on_mount(self) -> None:
        self.refresh_review()
        self.query_one("#start", Button).focus()

    def on_screen_resume(self) -> None:
        self.refresh_review()

    def refresh_review(self) -> None:
        try:
            plan = self.session.current_plan()
            info = plan.preview_info()
        except (PlanError, ValueError) as exc:
            self.message.show("error", str(exc))
            self.query_one("#start", Button).disabled = True
            return
        self.query_one("#start", Button).disabled = False
        # Long values wrap under their value column (border, padding and scrollbar: 5).
        width = max(30, self.app.size.width - 5 - LABEL_WIDTH)
        rows = self.session.summary_rows(plan)
        self.query_one("#summary", Static).update(summary_text(rows, width))
        if "InputArguments" in info and self.state.ask_names & set(plan.arguments):
            info["InputArguments"] = dumps(self.session.shown_arguments(plan.arguments))
        text = Text("Request: POST …" + START_JOBS_PATH + "\n", style="bold")
        body = json.dumps({"startInfo": info}, indent=2, ensure_ascii=False)
        text.append(visible(body) + "\n\n")
        text.append("Headless equivalent", style="bold")
        self.query_one("#body", Static).update(text)
        self.query_one("#headless", WrappedText).set_text(visible(self.session.headless_command()))
        check = self.session.checked_preflight()
        self._file_note = FILE_NOTE if plan.sends_file else ""
        self.query_one("#preflight", Static).update(preflight_text(check, self._file_note))
        if check is None:
            self.run_preflight()

    @work(exclusive=True, group="preflight")
    async def run_preflight(self) -> None:
        """Ask the pre-flight check for the current body (typing and keys go on meanwhile)."""
        try:
            check = await self.session.preflight()
        except (PlanError, ValueError):
            return  # the choices are unfinished: refresh_review says why
        self.query_one("#preflight", Static).update(preflight_text(check, self._file_note))

    @on(Button.Pressed, "#start")
    def action_start(self) -> None:
        button = self.query_one("#start", Button)
        if button.disabled:
            return
        questions = []
        if self.session.unknown_start:
            questions.append(ConfirmDialog(
                "Whether the last start created jobs is not known (see the message). "
                "Starting again may run the process twice. Start again anyway?",
                yes="Start again",
                no="Wait",
            ))
        check = self.session.checked_preflight()
        blocking = check.blocking if check is not None else []
        if blocking:
            more = len(blocking) - 1
            questions.append(ConfirmDialog(
                "The pre-flight check says this job will not run: "
                + visible(blocking[0].sentence)
                + (f" (and {more} more reason{'s' if more > 1 else ''})" if more else "")
                + " Orchestrator decides when it gets the request. Start anyway?",
                yes="Start anyway",
                no="Back to Review",
            ))
        questions += guard_questions(self.session.guard())
        self._ask_then_start(questions)

    def _ask_then_start(self, questions: list) -> None:
        """Ask each question in turn; start once every one was answered yes."""
        if not questions:
            self._confirmed_start()
            return
        first, rest = questions[0], questions[1:]
        self.app.push_screen(first, lambda yes: self._ask_then_start(rest) if yes else None)

    def _confirmed_start(self) -> None:
        self.query_one("#start", Button).disabled = True
        self.message.show("info", "Starting…")
        self._start()

    @work(exclusive=True, group="start")
    async def _start(self) -> None:
        outcome = await self.session.start_jobs()
        if outcome.started:
            self.message.clear()
            if outcome.error is not None:  # the answer was lost, the jobs were found
                self.session.start_notice = outcome.message
            self.wizard.go_next(self.STEP)
            return
        self.message.show("error", self.session.start_failure_text(outcome))
        self.refresh_review()  # the next attempt carries a new Reference (checked again)
