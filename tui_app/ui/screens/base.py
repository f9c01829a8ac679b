"""The frame every wizard step shares: step indicator, title, the production guard's
PROTECTED line (only for a protected target), body, message line, footer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Input, Static, TextArea

from tui_app.ui.widgets import Message, StepIndicator

if TYPE_CHECKING:
    from tui_app.ui.app import WizardApp
    from tui_app.wizard.session import WizardSession
    from tui_app.wizard.state import WizardState


class StepScreen(Screen):
    """Base class of the wizard steps. Subclasses set STEP, HEADING, HELP and compose_body."""

    STEP = ""
    HEADING = ""
    HELP = ""
    BINDINGS = [
        Binding("escape,ctrl+b", "back", "Back", key_display="esc", id="wizard.back"),
        Binding("f1", "help", "Help", key_display="F1", id="wizard.help"),
    ]

    @property
    def wizard(self) -> WizardApp:
        return self.app  # type: ignore[return-value]

    @property
    def session(self) -> WizardSession:
        return self.wizard.session

    @property
    def state(self) -> WizardState:
        return self.wizard.session.state

    def compose(self) -> ComposeResult:
        yield StepIndicator(self.STEP, skipped=self.session.skipped_steps(),
                            steps=self.session.step_names())
        yield Static(Text(self.heading(), style="bold"), id="heading")
        yield Static(id="guard")
        if self.state.settings.insecure:
            yield Static(
                Text("Warning: TLS certificates are NOT checked (--insecure). Testing only."),
                id="insecure",
            )
        yield from self.compose_body()
        yield Message(id="message")
        yield Footer()

    @on(events.DescendantFocus)
    def _mark_focused_row(self, event: events.DescendantFocus) -> None:
        """The form row holding the focused field gets ``-focused-row``: its label is shown
        in reverse, so where the cursor is reads without colour (NO_COLOR; a compact Select
        has no cursor of its own). CSS ``:focus-within`` on the row would not repaint the
        label when the focus leaves."""
        row = event.widget.parent
        for marked in self.query(".-focused-row"):
            if marked is not row:
                marked.remove_class("-focused-row")
        if row is not None and (row.has_class("row") or row.has_class("option")):
            row.add_class("-focused-row")

    @on(events.ScreenResume)
    def _refresh_steps(self) -> None:
        """Back on this step: the indicator shows the flow as the choices are now (the
        Action step may have changed it)."""
        for indicator in self.query(StepIndicator):
            indicator.steps = self.session.step_names()
            indicator.skipped = self.session.skipped_steps()
            indicator.refresh()
        self.show_guard()

    def show_guard(self, banner: Optional[str] = None) -> None:
        """The PROTECTED line (``session.guard().banner()``, or ``banner``): in words, so it
        reads without colour; no line at all when the target is not protected."""
        text = self.session.guard().banner() if banner is None else banner
        line = self.query_one("#guard", Static)
        line.update(Text(text))
        line.display = bool(text)

    def on_mount(self) -> None:
        # Runs besides each step's own on_mount (Textual calls the handler of every class in
        # the MRO). A steady cursor: blinking costs a redraw twice a second over SSH.
        for editor in self.query("Input, TextArea"):
            if isinstance(editor, (Input, TextArea)):  # what the selector matched
                editor.cursor_blink = False
        self.show_guard()

    def heading(self) -> str:
        return self.HEADING

    def compose_body(self) -> ComposeResult:
        yield from ()

    @property
    def message(self) -> Message:
        return self.query_one("#message", Message)

    def action_back(self) -> None:
        self.wizard.go_back()

    def action_help(self) -> None:
        self.wizard.show_help(self)

    def key_help(self) -> list:
        """(keys, description) rows for the help dialog: this step's keys, then the app's."""
        rows: dict = {}
        for node in (self, self.app):
            for key, bindings in node._bindings.key_to_bindings.items():
                for binding in bindings:
                    if binding.description:
                        rows.setdefault(binding.description, []).append(key_name(key))
        return [(" / ".join(dict.fromkeys(keys)), text) for text, keys in rows.items()]


def key_name(key: str) -> str:
    """``ctrl+b`` -> ``Ctrl+B``, ``escape`` -> ``Esc``, ``f5`` -> ``F5``, ``pageup`` -> ``PgUp``."""
    names = {
        "escape": "Esc",
        "enter": "Enter",
        "space": "Space",
        "tab": "Tab",
        "up": "Up",
        "down": "Down",
        "pageup": "PgUp",
        "pagedown": "PgDn",
    }
    parts = key.split("+")
    *mods, last = parts
    last = names.get(last, last.upper() if len(last) <= 3 else last.capitalize())
    return "+".join([m.capitalize() for m in mods] + [last])
