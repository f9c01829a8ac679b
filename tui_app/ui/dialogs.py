"""Modal dialogs: yes/no confirmation, a typed confirmation (the production guard) and step
help; text that keeps paths whole."""

from __future__ import annotations

import re

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

#: A run of spaces, a name ending in a path separator, or a name.
_CHUNK = re.compile(r"\s+|[^\s/\\]*[/\\]|[^\s/\\]+")


def wrap_at_separators(text: str, width: int) -> str:
    """``text`` in lines of at most ``width``, broken at spaces or after a ``/`` or ``\\``,
    so a path is never cut inside a name (only a name longer than a whole line is)."""
    if width < 1:
        return text
    lines = []
    for paragraph in text.split("\n"):
        line = ""
        for chunk in _CHUNK.findall(paragraph):
            if len(line) + len(chunk) > width:
                if line.strip():
                    lines.append(line.rstrip())
                line = ""
                if chunk.isspace():
                    continue
                while len(chunk) > width:
                    lines.append(chunk[:width])
                    chunk = chunk[width:]
            line += chunk
        lines.append(line.rstrip())
    return "\n".join(lines)


class WrappedText(Static):
    """Plain text wrapped to the widget's width by ``wrap_at_separators`` (paths stay whole)."""

    def __init__(self, text: str = "", *, style: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self._plain = text
        self._style = style

    def set_text(self, text: str, style: str = "") -> None:
        self._plain, self._style = text, style
        self._rewrap()

    def on_resize(self) -> None:
        self._rewrap()

    def _rewrap(self) -> None:
        width = self.content_size.width
        self.update(Text(wrap_at_separators(self._plain, width), style=self._style))


def reflow(text: str) -> str:
    """Join hard-wrapped lines so help text wraps to the dialog width; keeps "- " items."""
    paragraphs = []
    for block in text.strip().split("\n\n"):
        items: list = []
        for line in block.splitlines():
            line = line.strip()
            if line.startswith("- ") or not items:
                items.append(line)
            else:
                items[-1] += " " + line
        paragraphs.append("\n".join(items))
    return "\n\n".join(paragraphs)


class ConfirmDialog(ModalScreen[bool]):
    """Ask a yes/no question; Enter/y answers yes, Escape/n answers no."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="dialog.yes"),
        Binding("n,escape", "answer(False)", "No", id="dialog.no"),
        Binding("left,right", "toggle_focus", "Move", show=False, id="dialog.move"),
    ]

    def __init__(self, question: str, *, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self.question = question
        self.yes_label = yes
        self.no_label = no

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self.question), classes="dialog-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes_label} (y)", id="yes", variant="warning", compact=True)
                yield Button(f"{self.no_label} (n)", id="no", compact=True)

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

    def action_toggle_focus(self) -> None:
        self.focus_next()


class TypedConfirmDialog(ModalScreen[bool]):
    """Ask to type ``word`` (the production guard's confirmation): the confirm button is
    enabled only while the text is exactly the word (case-sensitive, ``accepts``); Enter
    confirms then, Escape cancels. What was typed is not kept."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    def __init__(self, question: str, word: str, *, yes: str = "Start",
                 no: str = "Cancel") -> None:
        super().__init__()
        self.question = question
        self.word = word
        self.yes_label = yes
        self.no_label = no

    def accepts(self, typed: str) -> bool:
        return bool(self.word) and typed.strip() == self.word

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self.question), classes="dialog-text")
            yield Input(placeholder=f"type {self.word}", id="typed", compact=True)
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes_label} (Enter)", id="yes", variant="warning",
                             compact=True, disabled=True)
                yield Button(f"{self.no_label} (esc)", id="no", compact=True)

    def on_mount(self) -> None:
        self.query_one("#typed", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_one("#yes", Button).disabled = not self.accepts(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if self.accepts(event.value):
            self._answer(True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self._answer(event.button.id == "yes")

    def action_cancel(self) -> None:
        self._answer(False)

    def _answer(self, value: bool) -> None:
        self.query_one("#typed", Input).value = ""
        self.dismiss(value)


class HelpDialog(ModalScreen[None]):
    """Help for the current step: what it does and which keys do what."""

    BINDINGS = [Binding("escape,f1,q", "close", "Close", id="dialog.close")]

    def __init__(self, title: str, body: str, keys: list) -> None:
        super().__init__()
        self.title_text = title
        self.body = body
        self.keys = keys

    def compose(self) -> ComposeResult:
        lines = Text(self.title_text + "\n\n", style="bold")
        lines.append(reflow(self.body) + "\n\nKeys\n")
        for key, description in self.keys:
            lines.append(f"  {key:<20}", style="bold")
            lines.append(f"{description}\n")
        lines.append("\nPress Escape or F1 to close.", style="dim")
        with VerticalScroll(classes="dialog help"):
            yield Static(lines)

    def action_close(self) -> None:
        self.dismiss(None)
