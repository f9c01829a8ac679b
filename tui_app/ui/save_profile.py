"""The "Save as profile" dialog: keep a connection (never its secret, unless asked to)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, RadioSet, Static

from tui_app.connection import SettingsError
from tui_app.locations import LocationError
from tui_app.ui.dialogs import WrappedText, wrap_at_separators
from tui_app.ui.widgets import MarkedRadioButton, SafeInput
from tui_app.wizard.requests import SaveProfileRequest

SOURCES = (
    ("prompt", "Ask for it every time I connect"),
    ("env", "Read it from an environment variable"),
    ("command", "Run a command that prints it (e.g. pass show uipath/prod)"),
    ("file", "Store it in secrets.toml (readable by me only, mode 0600)"),
)


class SaveProfileDialog(ModalScreen[Optional[str]]):
    """Ask for a profile name and where its secret should come from.

    ``save(request)`` writes the profile and returns the file's path; the dialog closes with
    a note saying where it was saved (None: cancelled), or stays open and says why it could
    not be.
    """

    DEFAULT_CSS = "SaveProfileDialog { align: center middle; }"

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="dialog.save"),
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
    ]

    def __init__(self, default_name: str, save: Callable[[SaveProfileRequest], Path]) -> None:
        super().__init__()
        self.default_name = default_name
        self.save = save

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text("Save this connection as a profile", style="bold"))
            yield Static(
                "profiles.toml never holds a secret. Where should it come from?",
                classes="dialog-text",
            )
            with Horizontal(classes="row"):
                yield Label("Name", classes="field-label")
                yield SafeInput(self.default_name, id="profile-name", compact=True)
            with RadioSet(id="source", compact=True):
                for index, (value, label) in enumerate(SOURCES):
                    yield MarkedRadioButton(label, value=index == 0, name=value)
            with Horizontal(classes="row", id="detail-row"):
                yield Label("", classes="field-label", id="detail-label")
                yield SafeInput(id="detail", compact=True)
            yield WrappedText(id="profile-error", classes="dialog-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (ctrl+s)", id="save", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        for editor in self.query(SafeInput):
            editor.cursor_blink = False
        self.query_one("#profile-name", SafeInput).focus()
        self._source_changed()

    def _source(self) -> str:
        pressed = self.query_one(RadioSet).pressed_button
        return pressed.name if pressed is not None and pressed.name else "prompt"

    @on(RadioSet.Changed)
    def _source_changed(self) -> None:
        source = self._source()
        labels = {"env": "Variable", "command": "Command"}
        self.query_one("#detail-row").display = source in labels
        self.query_one("#detail-label", Label).update(labels.get(source, ""))

    @on(SafeInput.Submitted)
    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        name = self.query_one("#profile-name", SafeInput).value.strip()
        source = self._source()
        detail = self.query_one("#detail", SafeInput).value.strip()
        error = self.query_one("#profile-error", WrappedText)
        if not name:
            error.set_text("Type a name for the profile.")
            return
        if source in ("env", "command") and not detail:
            error.set_text(f"Type the {'variable name' if source == 'env' else 'command'}.")
            return
        kwargs = {
            "prompt": {"secret": "prompt"},
            "env": {"secret_env": detail},
            "command": {"secret_command": detail},
            "file": {},
        }[source]
        try:
            path = self.save(SaveProfileRequest(name, kwargs, store_secret=source == "file"))
        except (SettingsError, LocationError, OSError) as exc:
            error.set_text(f"The profile was not saved: {exc}")
            return
        # Wrapped for the message line under the form (margin and padding: 4 columns).
        note = f"Saved profile {name!r} in {path}."
        self.dismiss(wrap_at_separators(note, self.app.size.width - 4))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
