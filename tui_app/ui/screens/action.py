"""Step 3: start a job, or add a queue item (the template's two halves)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from tui_app.actions import ACTIONS
from tui_app.text import visible
from tui_app.ui.screens.base import StepScreen
from tui_app.ui.screens.folder import PointerList

#: What each action does, under its label.
WHAT = {
    "start_job": "Run a process on robots, with its input arguments, and watch the jobs.",
    "add_queue_item": "Put an item into a queue and watch a robot process it "
                      "(how queue-triggered processes start).",
}


class ActionScreen(StepScreen):
    STEP = "Action"
    HEADING = "What to do"
    HELP = """
Start a job: find a process, choose where it runs and its input arguments, start it and
follow the jobs.

Add a queue item: find a queue of the folder, fill in the item's content (a form made from
the queue's item schema when it has one), its priority, reference and dates, add it and
follow it until a robot has processed it.

Up/Down move the ▸ marker; Enter chooses.
"""
    BINDINGS = [Binding("ctrl+n", "choose", "Choose", key_display="enter/^n", id="wizard.next")]

    def heading(self) -> str:
        folder = self.state.folder
        where = f" in {visible(folder.fully_qualified_name, single_line=True)}" if folder else ""
        return f"{self.HEADING}{where}"

    def compose_body(self) -> ComposeResult:
        options = []
        for name, action in ACTIONS.items():
            label = Text(action.label, style="bold")
            label.append("\n  " + WHAT[name], style="dim")
            options.append(Option(label, id=name))
        yield PointerList(*options, id="actions", compact=True)

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = list(ACTIONS).index(self.state.action)
        options.focus()

    @on(OptionList.OptionSelected)
    def action_choose(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return
        self.session.choose_action(list(ACTIONS)[options.highlighted])
        self.wizard.go_next(self.STEP)
