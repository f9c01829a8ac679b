"""Step 2: choose the folder (skipped when the tenant has none)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.segment import Segment
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.strip import Strip
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from tui_app.text import visible
from tui_app.ui.screens.base import StepScreen
from tui_app.ui.widgets import POINTER, SafeInput

if TYPE_CHECKING:  # what ListNavigation is mixed into (at run time it stays a plain mixin)
    from textual.screen import Screen

    _ScreenBase = Screen
else:
    _ScreenBase = object


def folder_label(folder) -> Text:
    """A folder's path and kind (classic or modern)."""
    kind = "classic (environments)" if folder.is_classic else "modern"
    label = Text(visible(folder.fully_qualified_name, single_line=True, limit=200))
    label.append(f"  · {kind}", style="dim")
    return label



class PointerList(OptionList):
    """An OptionList that marks the highlighted option with ▸ (Enter picks it), so the
    highlight does not rely on colour alone (NO_COLOR, 16 colours)."""

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        try:
            index, line = self._lines[self.scroll_offset.y + y]
        except IndexError:
            return strip
        if index != self.highlighted or line or not strip.cell_length:
            return strip
        style = next(iter(strip)).style
        return Strip.join([Strip([Segment(POINTER, style)]), strip.crop(1)])


class ListNavigation(_ScreenBase):
    """Up/Down/PageUp/PageDown move the list while the cursor stays in the filter box."""

    LIST_BINDINGS = [
        Binding("down", "move(1)", "Next in the list", show=False, id="list.down"),
        Binding("up", "move(-1)", "Previous in the list", show=False, id="list.up"),
        Binding("pagedown", "move(10)", "10 down the list", show=False, id="list.page_down"),
        Binding("pageup", "move(-10)", "10 up the list", show=False, id="list.page_up"),
    ]

    def action_move(self, delta: int) -> None:
        options = self.query_one(OptionList)
        if not options.option_count:
            return
        current = options.highlighted if options.highlighted is not None else -1
        options.highlighted = max(0, min(options.option_count - 1, current + delta))


class FolderScreen(ListNavigation, StepScreen):
    STEP = "Folder"
    HEADING = "Choose the folder"
    HELP = """
The folders you can see, by full path. Type to filter; Up/Down move the ▸ marker;
Enter chooses the marked folder.

F9 lists the recent starts (the history): Enter on one opens the monitor of its jobs
(their state, log, stop, restart), in the folder they were started in.

Classic folders group robots in environments: there you start a job on specific robots,
a number of jobs, or all robots of the environment. Modern folders run jobs on the robots
(users) and machines assigned to the folder.
"""
    BINDINGS = [
        *ListNavigation.LIST_BINDINGS,
        Binding("ctrl+n", "choose", "Choose", key_display="enter/^n", id="wizard.next"),
        Binding("f9", "app.recent_starts", "Recent starts", key_display="F9",
                id="folder.recent"),
    ]

    def compose_body(self) -> ComposeResult:
        yield SafeInput(placeholder="Filter folders…", id="filter", compact=True)
        yield PointerList(id="folders", compact=True)

    def on_mount(self) -> None:
        self._refill("")
        self.query_one("#filter", Input).focus()

    def _refill(self, text: str) -> None:
        needle = text.strip().lower()
        options = self.query_one(OptionList)
        options.clear_options()
        shown = [f for f in self.state.folders if needle in f.fully_qualified_name.lower()]
        options.add_options(Option(folder_label(f), id=str(f.id)) for f in shown)
        if shown:
            current = self.state.folder
            ids = [f.id for f in shown]
            options.highlighted = ids.index(current.id) if current and current.id in ids else 0
            self.message.clear()
        else:
            self.message.show("info", f"No folder matches {text!r}.")

    @on(Input.Changed, "#filter")
    def _filter(self, event: Input.Changed) -> None:
        self._refill(event.value)

    @on(Input.Submitted, "#filter")
    @on(OptionList.OptionSelected)
    def action_choose(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            self.message.show("error", "Choose a folder first (type to filter, Up/Down, Enter).")
            return
        option_id = options.get_option_at_index(options.highlighted).id
        assert option_id is not None  # every option is made with its folder's id
        folder_id = int(option_id)
        folder = next(f for f in self.state.folders if f.id == folder_id)
        self.session.choose_folder(folder)
        self.wizard.go_next(self.STEP)
