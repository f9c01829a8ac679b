"""The sign-in modes: one table that the settings model, profiles, the command line and the
Connect step all read.

Adding a mode means one ``SignInMode`` row here, its auth flow in ``tui_app.orchestrator``
and its branch in ``ConnectionSettings.build_auth``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SignInMode:
    """One way to sign in: its settings fields, which one is the secret, how it is named."""

    name: str
    #: Shown on the Connect step and in ``startjob settings``.
    label: str
    #: (field, label) the mode needs, in form order; the secret is the last one.
    required: tuple[tuple[str, str], ...]
    #: Other fields only this mode uses (profiles of another mode drop them).
    optional: tuple[str, ...] = ()

    @property
    def secret_field(self) -> str:
        return self.required[-1][0]

    @property
    def secret_label(self) -> str:
        """What the secret is called in prompts and messages (lower case)."""
        label = self.required[-1][1]
        return label[0].lower() + label[1:]

    @property
    def fields(self) -> tuple[str, ...]:
        """Every field of this mode."""
        return tuple(name for name, _ in self.required) + self.optional


MODES: dict[str, SignInMode] = {
    mode.name: mode
    for mode in (
        SignInMode(
            "client_credentials",
            "Client credentials (Automation Cloud / Suite)",
            (("client_id", "Client ID"), ("client_secret", "Client secret")),
            ("identity_url", "scope"),
        ),
        SignInMode(
            "password",
            "User and password (on-prem Orchestrator)",
            (("username", "User name"), ("password", "Password")),
            ("tenancy_name",),
        ),
        SignInMode("token", "Personal access token", (("token", "Personal access token"),)),
    )
}
AUTH_MODES = tuple(MODES)
AUTH_MODE_LABELS = {name: mode.label for name, mode in MODES.items()}
SECRET_FIELDS = tuple(mode.secret_field for mode in MODES.values())
DEFAULT_MODE = "client_credentials"

#: The environment variable of each setting.
ENV_VARS = {
    "url": "UIPATH_URL",
    "client_id": "UIPATH_CLIENT_ID",
    "client_secret": "UIPATH_CLIENT_SECRET",
    "identity_url": "UIPATH_IDENTITY_URL",
    "scope": "UIPATH_SCOPE",
    "token": "UIPATH_ACCESS_TOKEN",
    "username": "UIPATH_USERNAME",
    "password": "UIPATH_PASSWORD",
    "tenancy_name": "UIPATH_TENANT",
    "folder": "UIPATH_FOLDER_PATH",
}


def mode_of(name: str) -> SignInMode:
    """The mode called ``name`` (the default mode for an unknown name: validation names it)."""
    return MODES.get(name, MODES[DEFAULT_MODE])


def implied_mode(values: dict) -> str:
    """The mode the given credentials imply: a token, else user + password, else client
    credentials."""
    if values.get("token"):
        return "token"
    if values.get("username") and not values.get("client_id"):
        return "password"
    return DEFAULT_MODE
