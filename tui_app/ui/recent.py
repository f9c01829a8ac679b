"""The Recent starts dialog (F9): the history, newest first; Enter opens a start's jobs."""

from __future__ import annotations

from typing import Optional

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui_app.table import format_table
from tui_app.text import visible
from tui_app.ui.screens.folder import PointerList

#: The width of the list inside the dialog (78 columns, its border and padding).
WIDTH = 66


def recent_rows(entries: list, width: int) -> list:
    """A header, then one line per start: @N, when (UTC), what, folder, jobs, their states."""
    numbers = getattr(entries, "numbers", None) or range(1, len(entries) + 1)
    rows: list = [("", "Time (UTC)", "Started", "Folder", "Jobs", "State")]
    for number, entry in zip(numbers, entries):
        states = [job.state or "unknown" for job in entry.jobs]
        rows.append(tuple(visible(cell, single_line=True, limit=40) for cell in (
            f"@{number}", entry.time[:16].replace("T", " "),
            entry.template_name or entry.process_key, entry.folder or "-",
            ", ".join(str(job.id) for job in entry.jobs) or "-",
            ", ".join(f"{states.count(s)} {s}" for s in dict.fromkeys(states)) or "-")))
    return format_table(rows, width, keep=(0, 1))


class RecentStartsDialog(ModalScreen[Optional[int]]):
    """The latest starts of the history (``@N`` first); dismissed with the N picked."""

    #: How many starts are listed.
    LIMIT = 50
    BINDINGS = [Binding("escape", "close", "Close", id="dialog.close")]

    def __init__(self, entries: list) -> None:
        super().__init__()
        self.entries = entries

    def compose(self) -> ComposeResult:
        lines = recent_rows(self.entries, WIDTH)
        with Vertical(classes="dialog recent"):
            yield Static(Text("Recent starts: Enter opens the monitor of a start's jobs; "
                              "Escape closes.", style="bold"), classes="dialog-text")
            yield Static(Text(lines[0], style="dim", no_wrap=True, overflow="crop"))
            yield PointerList(*(Option(Text(line, no_wrap=True, overflow="ellipsis"), id=str(i))
                                for i, line in enumerate(lines[1:])), id="recent", compact=True)

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _pick(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return
        numbers = getattr(self.entries, "numbers", None) or range(1, len(self.entries) + 1)
        self.dismiss(list(numbers)[options.highlighted])

    def action_close(self) -> None:
        self.dismiss(None)
