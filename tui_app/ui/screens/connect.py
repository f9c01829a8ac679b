"""Step 1: where Orchestrator is and how to sign in."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, RadioSet, Static

from tui_app.connection import AUTH_MODE_LABELS, AUTH_MODES, ConnectionSettings, SettingsError
from tui_app.orchestrator.errors import OrchestratorError
from tui_app.ui.screens.base import StepScreen
from tui_app.ui.widgets import MarkedRadioButton, SafeInput

#: Form fields per auth mode: (settings attribute, label, is secret, placeholder).
FIELDS = {
    "client_credentials": [
        ("client_id", "Client ID", False, "external application id"),
        ("client_secret", "Client secret", True, ""),
        ("scope", "Scopes", False, "default: what the wizard needs"),
        ("identity_url", "Identity URL", False, "default: derived from the URL"),
    ],
    "password": [
        ("tenancy_name", "Tenant", False, "e.g. Default"),
        ("username", "User name", False, ""),
        ("password", "Password", True, ""),
    ],
    "token": [("token", "Access token", True, "personal access token")],
}


class ConnectScreen(StepScreen):
    STEP = "Connect"
    HEADING = "Sign in to Orchestrator"
    HELP = """
Type the Orchestrator URL and choose how to sign in:

- Client credentials: an external application's id and secret (Automation Cloud or
  Automation Suite). The URL looks like https://cloud.uipath.com/ORG/TENANT/orchestrator_
- User and password: on-prem Orchestrator (/api/Account/Authenticate).
- Personal access token: a token you generated under Preferences.

Secrets are masked and never written to disk. Press Enter in any field to connect.
"""
    BINDINGS = [Binding("ctrl+n", "connect", "Connect", key_display="enter/^n")]

    def compose_body(self) -> ComposeResult:
        settings = self.state.settings
        with VerticalScroll(id="connect-form", classes="form"):
            if self.wizard.demo:
                yield Static(
                    Text("Demo: the built-in sandbox Orchestrator is running; press Enter."),
                    classes="note",
                )
            with Horizontal(classes="row"):
                yield Label("URL", classes="field-label")
                yield SafeInput(
                    settings.url, placeholder="https://…/orchestrator_", id="url", compact=True
                )
            with Horizontal(classes="row radio-row"):
                yield Label("Sign in with", classes="field-label")
                with RadioSet(id="auth_mode", compact=True):
                    for mode in AUTH_MODES:
                        yield MarkedRadioButton(
                            AUTH_MODE_LABELS[mode], value=mode == settings.auth_mode, name=mode
                        )
            for mode, fields in FIELDS.items():
                with Vertical(id=f"fields-{mode}", classes="mode-fields"):
                    for name, label, secret, placeholder in fields:
                        with Horizontal(classes="row"):
                            yield Label(label, classes="field-label")
                            yield SafeInput(
                                getattr(settings, name),
                                placeholder=placeholder,
                                password=secret,
                                id=name,
                                compact=True,
                            )
            with Horizontal(classes="row buttons"):
                yield Label("", classes="field-label")
                yield Button("Connect", id="connect", variant="primary", compact=True)

    def on_mount(self) -> None:
        self._show_mode(self.state.settings.auth_mode)
        first_empty = next(
            (i for i in self.query(Input) if i.display and i.parent.parent.display and not i.value),
            None,
        )
        (first_empty or self.query_one("#connect", Button)).focus()

    def _mode(self) -> str:
        pressed = self.query_one(RadioSet).pressed_button
        return pressed.name if pressed is not None and pressed.name else "client_credentials"

    def _show_mode(self, mode: str) -> None:
        for other in AUTH_MODES:
            self.query_one(f"#fields-{other}").display = other == mode

    @on(RadioSet.Changed)
    def _mode_changed(self) -> None:
        self._show_mode(self._mode())
        self.message.clear()

    def settings_from_form(self) -> ConnectionSettings:
        values = {i.id: i.value for i in self.query(Input)}
        return self.state.settings.with_(auth_mode=self._mode(), **values)

    @on(Input.Submitted)
    @on(Button.Pressed, "#connect")
    def action_connect(self) -> None:
        settings = self.settings_from_form()
        try:
            settings.validate()
        except SettingsError as exc:
            self.message.show("error", str(exc))
            return
        self.message.show("info", f"Connecting to {settings.url} …")
        self.query_one("#connect", Button).disabled = True
        self._connect(settings)

    @work(exclusive=True, group="connect")
    async def _connect(self, settings: ConnectionSettings) -> None:
        try:
            await self.wizard.connect(settings)
        except OrchestratorError as exc:
            self.message.show_error(exc)
            return
        finally:
            self.query_one("#connect", Button).disabled = False
        self.message.clear()
        try:
            await self.wizard.after_connect()
        except OrchestratorError as exc:
            self.message.show_error(exc)
