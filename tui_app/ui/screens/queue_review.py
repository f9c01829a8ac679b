"""Review step of the queue flow: the item, the exact ``itemData``, then Add."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Static

from tui_app.plan import PlanError
from tui_app.text import visible
from tui_app.ui.dialogs import ConfirmDialog, WrappedText
from tui_app.ui.screens.review import ReviewFrame, guard_questions, summary_text

#: The width of the label column ("Postpone until" fits).
LABEL_WIDTH = 16

ADD_PATH = "/odata/Queues/UiPathODataSvc.AddQueueItem"


class QueueReviewScreen(ReviewFrame):
    STEP = "Review"
    HEADING = "Review and add"
    HELP = """
Check the item before it is added. The request body below is exactly what is sent to
Orchestrator. Nothing is added until you press Add (ctrl+r or F5).

Add sends the request once. When its answer is lost, the queue is asked for an item with
the item's Reference, so an item is never added twice by retrying; the message says what
was found. A refused item keeps every value: fix the cause and press Add again.

Save template (ctrl+s or F6) writes the queue, content and options to a TOML file that
replays with `startjob run FILE` (or opens here with `startjob open FILE`). Credentials are
never written, nor the values you mark "ask at every replay".

Copy as... (F7) gives this exact item as a `startjob run` command and as curl (the token
stays an environment variable, never the secret): copied to the clipboard where the
terminal allows it, and shown to copy by hand.

A PROTECTED line means a protected profile, folder or template: Add then asks you to type
the folder (or queue) name.
"""
    BINDINGS = [
        Binding("ctrl+r,f5", "add", "Add", key_display="^r/F5", id="review.start"),
        Binding("ctrl+s,f6", "save_template", "Save template", key_display="^s/F6",
                id="review.save_template"),
        Binding("pagedown", "scroll_review(1)", "Scroll", key_display="PgDn/PgUp",
                id="review.page_down"),
        Binding("pageup", "scroll_review(-1)", "Scroll", show=False, id="review.page_up"),
    ]
    DEFAULT_CSS = """
    QueueReviewScreen #review { border-left: blank; }
    QueueReviewScreen #review:focus { border-left: thick $accent; }
    QueueReviewScreen #headless { color: $text-muted; }
    """

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="review"):
            yield Static(id="summary")
            yield Static(id="body", classes="code")
            yield WrappedText(id="headless")
        with Horizontal(id="review-buttons", classes="buttons"):
            yield Button("Add (ctrl+r)", id="add", variant="success", compact=True)
            yield Button("Save template (ctrl+s)", id="save", compact=True)
            yield Button("Copy as… (F7)", id="handoff", compact=True)
            yield Button("Back (esc)", id="back", compact=True)

    def on_mount(self) -> None:
        self.refresh_review()
        self.query_one("#add", Button).focus()

    def on_screen_resume(self) -> None:
        self.refresh_review()

    def refresh_review(self) -> None:
        queue = self.session.queue
        try:
            plan = queue.current_plan()
            body = queue.body_text(plan)
        except (PlanError, ValueError) as exc:
            self.message.show("error", str(exc))
            self.query_one("#add", Button).disabled = True
            return
        self.query_one("#add", Button).disabled = False
        width = max(30, self.app.size.width - 5 - LABEL_WIDTH)
        rows = queue.review_rows(plan)
        self.query_one("#summary", Static).update(summary_text(rows, width, LABEL_WIDTH))
        text = Text("\nRequest: POST …" + ADD_PATH + "\n", style="bold")
        text.append(visible(body) + "\n\n")
        text.append("Headless equivalent", style="bold")
        self.query_one("#body", Static).update(text)
        self.query_one("#headless", WrappedText).set_text(visible(self.session.headless_command()))

    @on(Button.Pressed, "#add")
    def action_add(self) -> None:
        if self.query_one("#add", Button).disabled:
            return
        questions = []
        if self.session.queue.unknown:
            questions.append(ConfirmDialog(
                "Whether the last Add created the item is not known (see the message). "
                "Adding again may add it twice. Add again anyway?", yes="Add again",
                no="Wait"))
        self._ask_then_add(questions + guard_questions(self.session.guard(), "Add"))

    def _ask_then_add(self, questions: list) -> None:
        """Ask each question in turn; add once every one was answered yes."""
        if not questions:
            self._confirmed_add()
            return
        first, rest = questions[0], questions[1:]
        self.app.push_screen(first, lambda yes: self._ask_then_add(rest) if yes else None)

    def _confirmed_add(self) -> None:
        self.query_one("#add", Button).disabled = True
        self.message.show("info", "Adding…")
        self._add()

    @work(exclusive=True, group="start")
    async def _add(self) -> None:
        try:
            outcome = await self.session.queue.add()
        except PlanError as exc:
            self.message.show("error", str(exc))
            self.refresh_review()
            return
        if outcome.added:
            self.message.clear()
            if outcome.error is not None:  # the answer was lost, the item was found
                self.session.start_notice = self.session.without_secrets(outcome.message)
            self.wizard.go_next(self.STEP)
            return
        self.message.show("error", self.session.without_secrets(outcome.message))
        self.refresh_review()  # the next attempt carries a new Reference
