"""The "Save as template" dialog of the Review step."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static
from textual.widgets.selection_list import Selection

from tui_app.locations import templates_dir
from tui_app.templates import slug
from tui_app.text import visible
from tui_app.ui.widgets import CheckList, SafeInput


@dataclass(frozen=True)
class SaveRequest:
    name: str
    description: str
    ask: tuple


class SaveTemplateDialog(ModalScreen):
    """Ask for a name, a description and the arguments never to store; show the path."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save"),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, default_name: str, argument_names: list) -> None:
        super().__init__()
        self.default_name = default_name
        self.argument_names = argument_names

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text("Save as template", style="bold"), classes="dialog-text")
            with Horizontal(classes="row"):
                yield Label("Name", classes="field-label")
                yield SafeInput(self.default_name, id="name", compact=True)
            with Horizontal(classes="row"):
                yield Label("Description", classes="field-label")
                yield SafeInput(placeholder="optional", id="description", compact=True)
            if self.argument_names:
                yield Static(
                    "Ask at every replay, never stored (e.g. passwords) — Space ticks:",
                    classes="dialog-text",
                )
                yield CheckList(
                    *(Selection(visible(n, single_line=True), n) for n in self.argument_names),
                    id="ask",
                    compact=True,
                )
            yield Static("", id="path", classes="dialog-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (ctrl+s)", id="save", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        for editor in self.query(Input):
            editor.cursor_blink = False
        self.query_one("#name", Input).focus()
        self._show_path()

    def path(self):
        return templates_dir() / f"{slug(self.query_one('#name', Input).value)}.toml"

    @on(Input.Changed, "#name")
    def _show_path(self) -> None:
        self.query_one("#path", Static).update(Text(f"File: {self.path()}", style="dim"))

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        name = self.query_one("#name", Input).value.strip()
        if not name:
            self.query_one("#path", Static).update(Text("Type a name for the template."))
            self.query_one("#name", Input).focus()
            return
        ask = tuple(self.query_one(CheckList).selected) if self.argument_names else ()
        self.dismiss(SaveRequest(name, self.query_one("#description", Input).value.strip(), ask))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
