"""The Copy as… dialog (F7 on Review): the start as startjob run, curl, PowerShell or uip.

The chosen form is shown in full and copied with OSC 52 (``App.copy_to_clipboard``), which
many terminals (and tmux without ``set-clipboard on``) silently ignore: so the text stays on
screen to select, and the last form copied (or chosen with ``p``) is printed on standard
output once the wizard has ended.
"""

from __future__ import annotations

from typing import Callable, Optional

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from tui_app.text import visible

#: Said once a form is copied: OSC 52 cannot tell whether the terminal took it.
COPIED = ("Copied {label} (OSC 52; a terminal or tmux may ignore it: then select the text "
          "above). It is printed on the terminal again when you quit the wizard.")
PRINTED = "{label} is printed when you quit the wizard (ctrl+q), to copy from the terminal."


class HandoffDialog(ModalScreen[None]):
    """Lists the forms (``handoff.Form``), shows the chosen one, copies it."""

    BINDINGS = [
        Binding("left", "move(-1)", "Previous form", show=False, id="handoff.previous"),
        Binding("right", "move(1)", "Next form", show=False, id="handoff.next"),
        Binding("c", "copy", "Copy", id="handoff.copy"),
        Binding("p", "print_on_exit", "Print on quit", id="handoff.print"),
        Binding("pagedown", "scroll(1)", "Scroll", show=False, id="handoff.page_down"),
        Binding("pageup", "scroll(-1)", "Scroll", show=False, id="handoff.page_up"),
        Binding("escape", "close", "Close", id="dialog.close"),
    ]
    def __init__(self, forms: list, on_exit: Optional[Callable[[str], None]] = None) -> None:
        super().__init__()
        self.forms = forms
        self.chosen = 0
        #: Called with the text to print once the wizard has ended.
        self.on_exit = on_exit

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text("Copy as… ←/→ picks the form, c copies it, p prints it "
                              "when you quit, Escape closes.", style="bold"))
            with Horizontal(id="forms"):
                for i, form in enumerate(self.forms):
                    yield Button(form.label, id=f"form-{i}", compact=True)
            with VerticalScroll(id="form"):
                yield Static(id="text")
            yield Static(id="copied")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Copy (c)", id="copy", variant="primary", compact=True)
                yield Button("Close (esc)", id="close", compact=True)

    def on_mount(self) -> None:
        self._show()
        self.query_one("#copy", Button).focus()

    @property
    def form(self):
        return self.forms[self.chosen]

    def _show(self) -> None:
        for i, _ in enumerate(self.forms):
            self.query_one(f"#form-{i}", Button).variant = "primary" if i == self.chosen \
                else "default"
        self.query_one("#text", Static).update(Text(visible(self.form.text)))
        self.query_one("#form", VerticalScroll).scroll_home(animate=False)

    def action_move(self, step: int) -> None:
        self.chosen = (self.chosen + step) % len(self.forms)
        self._show()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        button = event.button.id or ""
        if button.startswith("form-"):
            self.chosen = int(button.removeprefix("form-"))
            self._show()
        elif button == "copy":
            self.action_copy()
        elif button == "close":
            self.action_close()

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.form.text)
        self._keep()
        self._say(COPIED.format(label=self.form.label))

    def action_print_on_exit(self) -> None:
        self._keep()
        self._say(PRINTED.format(label=self.form.label))

    def _keep(self) -> None:
        if self.on_exit is not None:
            self.on_exit(self.form.text)

    def _say(self, text: str) -> None:
        self.query_one("#copied", Static).update(Text(text))

    def action_scroll(self, pages: int) -> None:
        view = self.query_one("#form", VerticalScroll)
        if pages > 0:
            view.scroll_page_down(animate=False)
        else:
            view.scroll_page_up(animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
