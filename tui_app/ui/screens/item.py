"""Item step: the queue item's priority, reference and dates."""

from __future__ import annotations

from typing import Optional

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Label, Select, Static

from tui_app.queue_plan import ITEM_DATE_FIELDS, ITEM_PRIORITIES, MAX_REFERENCE_LENGTH
from tui_app.text import visible
from tui_app.ui.screens.base import StepScreen
from tui_app.ui.widgets import SafeInput
from tui_app.wizard.errors import ServerProblem

DATE_HINT = "e.g. 2024-05-01 09:00+02:00 or 2024-05-01 07:00Z"
#: The Item step's text fields: (``ItemChoice`` name, label, placeholder).
TEXT_FIELDS = (("reference", "Reference", "empty: startjob makes one up"),
               *((name, label, DATE_HINT) for name, (_, label) in ITEM_DATE_FIELDS.items()))


class ItemScreen(StepScreen):
    STEP = "Item"
    HEADING = "Item options"
    HELP = f"""
Priority: the order in which robots take items (High first). "Queue default" sends none,
and Orchestrator uses Normal.

Reference: a text that finds the item again, e.g. a ticket number (at most
{MAX_REFERENCE_LENGTH} characters). A queue with unique references takes each reference
once: you must type one, and it is looked up before you go on. Left empty elsewhere,
startjob makes one up (startjob:…), so that a lost answer can be checked without adding
the item twice.

Postpone until (DeferDate): no robot takes the item before then. Deadline (DueDate) and
Risk SLA date: when it must be done, and when it is at risk. Dates are ISO 8601 with a
time zone: 2024-05-01T09:00:00+02:00, 2024-05-01 09:00+02:00 or 2024-05-01 07:00Z.

Tab / Shift+Tab move between fields; Ctrl+N continues.
"""
    BINDINGS = [Binding("ctrl+n", "next", "Next", key_display="^n", id="wizard.next")]
    DEFAULT_CSS = """
    ItemScreen .option { height: 1; }
    ItemScreen .option-label { width: 17; padding-right: 1; color: $text-muted; }
    ItemScreen .option > Select, ItemScreen .option > Input { width: 1fr; }
    ItemScreen .arg-error { padding-left: 17; }
    ItemScreen .option-note { height: auto; color: $text-muted; margin-bottom: 1; }
    """

    def heading(self) -> str:
        queue = self.state.queue.queue
        return f"{self.HEADING} for {visible(queue.name if queue else '', single_line=True)}"

    def compose_body(self) -> ComposeResult:
        item = self.state.queue.item
        queue = self.state.queue.queue
        with VerticalScroll(id="item", classes="form", can_focus=False):
            if queue is not None and queue.enforce_unique_reference:
                yield Static(Text("This queue takes each reference once: type the item's "
                                  "reference; it is looked up before you go on."),
                             classes="option-note")
            with Horizontal(classes="option"):
                yield Label("Priority", classes="option-label")
                yield Select([("Queue default (Normal; none sent)", "")]
                             + [(p, p) for p in ITEM_PRIORITIES], value=item.priority,
                             allow_blank=False, compact=True, id="priority")
            for name, label, hint in TEXT_FIELDS:
                with Horizontal(classes="option"):
                    yield Label(label, classes="option-label")
                    yield SafeInput(getattr(item, name), placeholder=hint, compact=True,
                                    id=name.replace("_", "-"))
                yield Static("", classes="arg-error", id=f"{name.replace('_', '-')}-error")

    def on_mount(self) -> None:
        self.query_one("#priority").focus()

    @on(Select.Changed, "#priority")
    def _priority(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self.state.queue.item.priority = event.value

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        name = (event.input.id or "").replace("-", "_")
        if name in {field for field, _, _ in TEXT_FIELDS}:
            setattr(self.state.queue.item, name, event.value)
            self._show_problems(only=name)

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.focus_next()

    def _show_problems(self, only: Optional[str] = None) -> dict:
        problems = self.session.queue.item_problems()
        item = self.state.queue.item
        for name, _, _ in TEXT_FIELDS:
            if only is not None and name != only:
                continue
            typed = getattr(item, name).strip()
            problem = problems.get(name) if (typed or only is None) else None
            label = self.query_one(f"#{name.replace('_', '-')}-error", Static)
            label.update(Text("✗ " + visible(problem)) if problem else "")
            label.set_class(bool(problem), "-shown")
        return problems

    def action_next(self) -> None:
        problems = self._show_problems()
        if problems:
            first = next(name for name, _, _ in TEXT_FIELDS if name in problems)
            self.message.show("error", f"{len(problems)} option(s) need attention.")
            self.query_one(f"#{first.replace('_', '-')}").focus()
            return
        self.check_reference()

    @work(exclusive=True, group="reference")
    async def check_reference(self) -> None:
        """A unique-reference queue: look the reference up before going on."""
        try:
            taken = await self.session.queue.reference_in_use()
        except ServerProblem as problem:
            self.message.show_error(problem)
            return
        if taken:
            self.message.show("error", taken)
            self.query_one("#reference").focus()
            return
        self.message.clear()
        self.wizard.go_next(self.STEP)
