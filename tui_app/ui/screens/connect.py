"""Step 1: where Orchestrator is and how to sign in."""

from __future__ import annotations

from typing import Optional

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Button, Input, Label, RadioSet, Select, Static

from tui_app.connection import ConnectionSettings, SettingsError
from tui_app.secret_sources import SecretPromptNeeded
from tui_app.signin import AUTH_MODE_LABELS, AUTH_MODES, SECRET_FIELDS
from tui_app.text import visible
from tui_app.ui.save_profile import SaveProfileDialog
from tui_app.ui.screens.base import StepScreen
from tui_app.ui.widgets import MarkedRadioButton, SafeInput
from tui_app.wizard.errors import ServerProblem

#: The secret's field for each auth mode.
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

Profiles (F3 saves the form as one) keep a connection by name in profiles.toml. A profile
never holds the secret itself: it is read from an environment variable, printed by a
command, asked every time, or, only if you choose it, kept in secrets.toml (mode 0600).
Choose a profile in the list to fill the form; leave the secret empty to use the profile's.

Secrets are masked on screen and never written to a log, a draft or a template; one is
written to disk only when you choose to keep it in secrets.toml with a profile.
Press Enter in any field to connect.
"""
    BINDINGS = [
        Binding("ctrl+n", "connect", "Connect", key_display="enter/^n", id="wizard.next"),
        Binding("f3,ctrl+o", "save_profile", "Save as profile", key_display="F3",
                id="connect.save_profile"),
    ]

    #: What a secret field says when a profile's secret is used (set by choosing one).
    _profile_secret = ""

    def check_action(self, action: str, parameters: tuple):
        """Connect is the first step: there is nothing to go back to (no ``esc Back``)."""
        return action != "back"

    def compose_body(self) -> ComposeResult:
        settings = self.state.settings
        with VerticalScroll(id="connect-form", classes="form", can_focus=False):
            if self.session.demo:
                yield Static(
                    Text("Demo: the built-in sandbox Orchestrator is running; press Enter."),
                    classes="note",
                )
            if self.session.profiles:
                with Horizontal(classes="row"):
                    yield Label("Profile", classes="field-label")
                    yield Select(
                        [
                            (visible(f"{p.name} · {p.url} · {p.auth_mode}", single_line=True), n)
                            for n, p in self.session.profiles.items()
                        ]
                        + [("New connection", "")],
                        value=self.session.initial_profile(),
                        allow_blank=False,
                        id="profile",
                        compact=True,
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
            # Only the chosen sign-in mode's fields are built now; another mode's are built
            # when it is chosen (start-up time: fewer widgets before the first frame).
            for mode in FIELDS:
                shown = self._mode_rows(mode, settings) if mode == settings.auth_mode else ()
                yield Vertical(*shown, id=f"fields-{mode}", classes="mode-fields")
            with Horizontal(classes="row buttons"):
                yield Label("", classes="field-label")
                yield Button("Connect", id="connect", variant="primary", compact=True)

    def _mode_rows(self, mode: str, settings: ConnectionSettings) -> list[Horizontal]:
        """The form rows of one sign-in mode, filled from ``settings`` (a secret field says
        where a chosen profile's secret comes from)."""
        return [
            Horizontal(
                Label(label, classes="field-label"),
                SafeInput(
                    "" if secret and self._profile_secret else getattr(settings, name),
                    placeholder=self._profile_secret if secret and self._profile_secret
                    else placeholder,
                    password=secret, id=name, compact=True,
                ),
                classes="row",
            )
            for name, label, secret, placeholder in FIELDS[mode]
        ]

    def on_mount(self) -> None:
        if self.session.profiles_error:
            self.message.show("warning", self.session.profiles_error)
        if self._profile_name():
            self._fill_from_profile(self._profile_name())
        self._show_mode(self._mode())
        first_empty = next((i for i in self.shown_inputs() if not i.value), None)
        (first_empty or self.query_one("#connect", Button)).focus()

    def shown_inputs(self) -> list[Input]:
        """The form's fields on view: shown, in a row of a shown group (the URL's, the
        chosen auth mode's)."""
        return [i for i in self.query(Input) if i.display and _group_shown(i)]

    def _mode(self) -> str:
        pressed = self.query_one(RadioSet).pressed_button
        return pressed.name if pressed is not None and pressed.name else "client_credentials"

    def _show_mode(self, mode: str, settings: Optional[ConnectionSettings] = None) -> None:
        """Show ``mode``'s fields (built now, from ``settings``, if they were not yet)."""
        for other in AUTH_MODES:
            group = self.query_one(f"#fields-{other}")
            group.display = other == mode
            if other == mode and not group.children:
                group.mount_all(self._mode_rows(mode, settings or self.state.settings))

    @on(RadioSet.Changed)
    def _mode_changed(self) -> None:
        self._show_mode(self._mode())
        self.message.clear()

    def refill_from_settings(self) -> None:
        """Show ``state.settings`` in the form again (after a draft was resumed)."""
        self._show_settings(self.state.settings)

    def _show_settings(self, settings: ConnectionSettings) -> None:
        """Put the non-secret ``settings`` in the form and show their auth mode's fields."""
        for field in self.query(Input):
            if field.id and field.id not in SECRET_FIELDS and hasattr(settings, field.id):
                field.value = getattr(settings, field.id)
        for button in self.query(MarkedRadioButton):
            button.value = button.name == settings.auth_mode
        self._show_mode(settings.auth_mode, settings)

    # -- profiles -----------------------------------------------------------------------

    def _profile_name(self) -> str:
        chooser = self.query("#profile")
        return str(chooser.first(Select).value or "") if chooser else ""

    @on(Select.Changed, "#profile")
    def _profile_chosen(self) -> None:
        name = self._profile_name()
        if name:
            self._fill_from_profile(name)
        else:
            self._profile_secret = ""
        self.message.clear()
        self.show_guard()

    def show_guard(self, banner: Optional[str] = None) -> None:
        """Before signing in, the PROTECTED line follows the profile chosen in the list."""
        if banner is None and self.session.client is None:
            banner = self.session.guard(self._profile_name()).banner()
        super().show_guard(banner)

    def _fill_from_profile(self, name: str) -> None:
        """Put the profile's settings in the form; its secret stays with its source."""
        profile = self.session.profiles[name]
        self._profile_secret = f"from the profile ({profile.secret_source or 'none'})"
        for field in self.query(Input):
            if field.id in SECRET_FIELDS:
                field.value = ""
                field.placeholder = self._profile_secret
        self._show_settings(profile.to_settings())

    def action_save_profile(self) -> None:
        default = self._profile_name() or "default"
        dialog = SaveProfileDialog(
            default, lambda request: self.session.save_profile(request, self.settings_from_form())
        )
        self.app.push_screen(dialog, self._profile_saved)

    def _profile_saved(self, note) -> None:
        """The dialog saved the profile (it shows any error itself and stays open)."""
        if note:
            self.message.show("info", note)

    # -- connecting ---------------------------------------------------------------------

    def settings_from_form(self) -> ConnectionSettings:
        values = {i.id: i.value for i in self.query(Input) if i.id}  # every field has one
        return self.state.settings.with_(
            auth_mode=self._mode(), profile=self._profile_name(), **values
        )

    @on(Input.Submitted)
    @on(Button.Pressed, "#connect")
    def action_connect(self) -> None:
        if self.query_one("#connect", Button).disabled:
            return
        self.query_one("#connect", Button).disabled = True
        self._connect(self.settings_from_form())

    @work(exclusive=True, group="connect")
    async def _connect(self, settings: ConnectionSettings) -> None:
        try:
            settings = await self.session.with_profile_secret(settings)
            settings.validate()
            self.message.show("info", f"Connecting to {settings.url} …")
            await self.session.connect(settings)
        except SecretPromptNeeded as exc:
            self.message.show("info", f"{exc} Type it in the masked field, then press Enter.")
            self.query_one(f"#{settings.secret_field}", Input).focus()
            return
        except SettingsError as exc:
            self.message.show("error", str(exc))
            return
        except ServerProblem as problem:
            self.message.show_error(problem)
            return
        finally:
            self.query_one("#connect", Button).disabled = False
        self.message.clear()
        try:
            await self.wizard.after_connect()
        except ServerProblem as problem:
            self.message.show_error(problem)


def _group_shown(field: Widget) -> bool:
    """Whether the group of the field's row (its parent's parent) is displayed."""
    row = field.parent
    group = row.parent if row is not None else None
    return group is not None and group.display
