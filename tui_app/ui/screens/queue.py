"""Queue step: find the queue by name (search as you type, on the server)."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.timer import Timer
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tui_app.text import visible
from tui_app.ui.screens.base import StepScreen
from tui_app.ui.screens.folder import ListNavigation, PointerList
from tui_app.ui.screens.process import PAGE_SIZE, SEARCH_DELAY
from tui_app.ui.widgets import SafeInput
from tui_app.wizard.errors import ServerProblem
from tui_app.wizard.queueing import queue_lines


def queue_label(queue, consumer: str = "") -> Text:
    """A queue's name, its rules (unique references, schema, retries, SLA), the process that
    consumes it when known, and its description."""
    text = Text(visible(queue.name, single_line=True, limit=60), style="bold")
    lines = queue_lines(queue)
    if consumer:
        text.append(f"  · processed by {visible(consumer, single_line=True, limit=40)}",
                    style="dim")
    for line in lines:
        text.append("\n  " + visible(line, single_line=True, limit=200), style="dim")
    return text


class QueueScreen(ListNavigation, StepScreen):
    STEP = "Queue"
    HEADING = "Find the queue"
    HELP = """
Type part of the queue name; the list updates when you pause typing (the search runs on
Orchestrator). Up/Down move the ▸ marker; Enter chooses.

Each queue shows its rules: "unique references" (every item needs a reference no other
item of the queue has), "item schema" (the content is checked against the queue's
schema), how often a failed item is retried, its SLA, and the process that consumes it
when Orchestrator says so, with its description below.
"""
    BINDINGS = [
        *ListNavigation.LIST_BINDINGS,
        Binding("ctrl+n", "choose", "Choose", key_display="enter/^n", id="wizard.next"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.queues: list = []
        self._timer: Timer | None = None
        #: The search text the list shows (None: nothing listed yet).
        self._listed: str | None = None
        #: Enter came before the list matched the search text: choose once it does.
        self._choose_when_listed = False

    def heading(self) -> str:
        folder = self.state.folder
        where = f" in {visible(folder.fully_qualified_name, single_line=True)}" if folder else ""
        return f"{self.HEADING}{where}"

    def compose_body(self) -> ComposeResult:
        yield SafeInput(self.state.queue.search_text, placeholder="Search queues…",
                        id="search", compact=True)
        yield Static("", id="count")
        yield PointerList(id="queues", compact=True)

    def on_mount(self) -> None:
        self.query_one("#search", Input).focus()
        self.search(self.state.queue.search_text)

    @on(Input.Changed, "#search")
    def _typed(self, event: Input.Changed) -> None:
        self.state.queue.search_text = event.value
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(SEARCH_DELAY, lambda: self.search(event.value))

    @work(exclusive=True, group="search")
    async def search(self, text: str) -> None:
        options = self.query_one(OptionList)
        options.loading = True
        try:
            page = await self.session.queue.search(text, top=PAGE_SIZE)
            consumers = [await self.session.queue.consumer(q) for q in page.items]
        except ServerProblem as problem:
            self.message.show_error(problem)
            return
        finally:
            options.loading = False
        self.message.clear()
        self.queues = list(page.items)
        self._listed = text
        options.clear_options()
        options.add_options(Option(queue_label(q, c), id=str(q.id))
                            for q, c in zip(self.queues, consumers))
        self._show_count(text, page.total)
        if self._choose_when_listed and text == self.state.queue.search_text:
            self.action_choose()

    def _show_count(self, text: str, total: int) -> None:
        count = self.query_one("#count", Static)
        if not self.queues:
            needle = visible(text.strip(), single_line=True)
            count.update(Text(f"No queue matches '{needle}'." if needle
                              else "No queues in this folder."))
            return
        chosen = self.state.queue.queue
        ids = [q.id for q in self.queues]
        self.query_one(OptionList).highlighted = (ids.index(chosen.id) if chosen and chosen.id
                                                  in ids else 0)
        total = max(total, len(self.queues))
        count.update(Text(f"{len(self.queues)} of {total} queues shown — type more to narrow "
                          "down." if total > len(self.queues) else f"{total} queue(s)."))

    @on(Input.Submitted, "#search")
    @on(OptionList.OptionSelected)
    def action_choose(self) -> None:
        text = self.state.queue.search_text
        if self._listed != text:  # typed ahead of the search: choose from its answer
            self._choose_when_listed = True
            if self._timer is not None:
                self._timer.stop()
            self.search(text)
            return
        self._choose_when_listed = False
        options = self.query_one(OptionList)
        if options.highlighted is None or not self.queues:
            self.message.show("error", "Choose a queue first (type to search, Up/Down, Enter).")
            return
        self.session.queue.choose_queue(self.queues[options.highlighted])
        self.wizard.go_next(self.STEP)
