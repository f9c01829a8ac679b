"""Monitor step of the queue flow: the added item until a robot has processed it."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from tui_app.arguments.jsontext import printable_json
from tui_app.text import visible
from tui_app.ui.screens.base import StepScreen
from tui_app.ui.screens.review import summary_text
from tui_app.wizard.errors import ServerProblem

#: The width of the label column ("Postpone until" fits).
LABEL_WIDTH = 16

#: What each item status means, in words.
STATUS_WORDS = {
    "New": "waiting in the queue for a robot",
    "InProgress": "a robot is processing it",
    "Successful": "processed successfully",
    "Failed": "processing failed",
    "Abandoned": "a robot took it but never finished it (abandoned)",
    "Retried": "failed and was retried",
    "Deleted": "deleted from the queue",
}


def item_rows(item, queue_name: str) -> list[tuple[str, str]]:
    """(label, value) rows describing ``item`` for the Monitor step."""
    status = STATUS_WORDS.get(item.status, "")
    rows = [("Item", f"{item.id} in {queue_name}"),
            ("Status", f"{item.status}" + (f" — {status}" if status else "")),
            ("Reference", item.reference or "(none)"),
            ("Priority", item.priority)]
    if item.retry_number:
        rows.append(("Attempt", f"retry {item.retry_number}"))
    if item.robot_name:
        rows.append(("Robot", item.robot_name))
    if item.executor_job_key:
        rows.append(("Job", f"key {item.executor_job_key} (the job that processed it)"))
    for label, moment in (("Added", item.creation_time), ("Started", item.start_processing),
                          ("Ended", item.end_processing)):
        if moment:
            rows.append((label, str(moment)))
    failure = item.processing_exception
    if failure is not None:
        kind = {"BusinessException": "business rule (the data: retrying will not help)",
                "ApplicationException": "application error (may be retried)"}.get(
            failure.type, failure.type or "not said")
        rows.append(("Failure", kind))
        rows.append(("Reason", failure.reason or "(none given)"))
        if failure.details:
            rows.append(("Details", failure.details))
    return rows


class MonitorScreen(StepScreen):
    STEP = "Monitor"
    HEADING = "Follow the item"
    HELP = """
The item as Orchestrator has it, updated at the same pace as a job's monitor (every few
seconds at first, less often later). New: waiting for a robot; InProgress: a robot is
processing it; then Successful, Failed (with the reason and details the process gave;
a business exception means the data, an application exception may be retried) or
Abandoned. A retried item is followed on as its new attempt.

Output shows what the process wrote back. The item stays in the queue whatever happens
here: quitting only stops following it.
"""

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="monitor", classes="form", can_focus=True):
            yield Static(id="item-summary")
            yield Static(id="item-output", classes="code")
        yield Static("", id="poll-status")

    def heading(self) -> str:
        queue = self.state.queue.queue
        return f"{self.HEADING} in {visible(queue.name if queue else '', single_line=True)}"

    def on_mount(self) -> None:
        self.query_one("#monitor").focus()
        notice, self.session.start_notice = self.session.start_notice, None
        if notice:
            self.message.show("warning", notice)
        self.show_item()
        self.follow()

    def show_item(self) -> None:
        item = self.state.queue.added
        if item is None:
            return
        queue = self.state.queue.queue
        width = max(30, self.app.size.width - 5 - LABEL_WIDTH)
        rows = item_rows(item, queue.name if queue else "the queue")
        self.query_one("#item-summary", Static).update(summary_text(rows, width, LABEL_WIDTH))
        output = Text()
        if item.status == "New" and queue is not None and queue.release_id is None:
            output.append("\nOrchestrator names no process that consumes this queue: the item "
                          "waits until a queue trigger or a robot takes it.", style="dim")
        if item.output:
            output.append("\nOutput\n", style="bold")
            output.append(visible(printable_json(item.output)))
        elif item.is_final:
            output.append("\nNo output was written back.", style="dim")
        self.query_one("#item-output", Static).update(output)

    @work(exclusive=True, group="poll")
    async def follow(self) -> None:
        await self.session.queue.follow(self._updated, self._failed)
        item = self.state.queue.added
        if item is not None and item.is_final:
            self.query_one("#poll-status", Static).update(
                Text(f"The item ended {item.status}; it is no longer followed.", style="dim"))
            if self.session.notify != "off":
                self.app.bell()

    def _updated(self, delay: float) -> None:
        self.show_item()
        now = datetime.now().strftime("%H:%M:%S")
        self.query_one("#poll-status", Static).update(
            Text(f"Updated {now}; next update in {delay:.0f} s.", style="dim"))

    def _failed(self, problem: ServerProblem, delay: float) -> None:
        if problem.slow_down:
            self.message.show("warning",
                              f"Orchestrator asks to slow down; next update in {delay:.0f} s.")
        else:
            self.message.show_error(problem)
