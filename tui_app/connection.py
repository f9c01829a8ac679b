"""Connection settings: where Orchestrator is and how to sign in.

``ConnectionSettings`` is filled from command-line flags and the standard ``UIPATH_*``
environment variables (flags win), and builds the httpx auth flow and the client. Secrets live
only in memory: ``public_dict`` is what may be shown or saved.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Optional

AUTH_MODES = ("client_credentials", "password", "token")
AUTH_MODE_LABELS = {
    "client_credentials": "Client credentials (Automation Cloud / Suite)",
    "password": "User and password (on-prem Orchestrator)",
    "token": "Personal access token",
}
SECRET_FIELDS = ("client_secret", "password", "token")

_ENV = {
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


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names it."""


@dataclass(frozen=True)
class ConnectionSettings:
    url: str = ""
    auth_mode: str = "client_credentials"
    client_id: str = ""
    client_secret: str = ""
    scope: str = ""
    identity_url: str = ""
    tenancy_name: str = ""
    username: str = ""
    password: str = ""
    token: str = ""
    folder: str = ""
    ca_bundle: str = ""
    insecure: bool = False

    @classmethod
    def from_env(
        cls, environ: Optional[Mapping[str, str]] = None, **overrides
    ) -> ConnectionSettings:
        """Settings from ``UIPATH_*`` variables, then ``overrides`` (non-empty flags) on top.

        The auth mode follows the credentials present: a token, else user + password,
        else client credentials.
        """
        environ = os.environ if environ is None else environ
        values = {name: environ.get(var, "") for name, var in _ENV.items()}
        values.update({k: v for k, v in overrides.items() if v not in (None, "")})
        if "auth_mode" not in overrides or not overrides["auth_mode"]:
            if values.get("token"):
                values["auth_mode"] = "token"
            elif values.get("username") and not values.get("client_id"):
                values["auth_mode"] = "password"
        return cls(**values)

    def with_(self, **changes) -> ConnectionSettings:
        return replace(self, **changes)

    def public_dict(self) -> dict:
        """Every non-secret, non-empty setting (safe to display or write to a file)."""
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name not in SECRET_FIELDS and getattr(self, f.name) not in ("", False)
        }

    def missing(self) -> list:
        """Labels of the settings still needed to connect, in form order."""
        needed = [("url", "Orchestrator URL")]
        needed += {
            "client_credentials": [("client_id", "Client ID"), ("client_secret", "Client secret")],
            "password": [("username", "User name"), ("password", "Password")],
            "token": [("token", "Personal access token")],
        }[self.auth_mode]
        return [label for name, label in needed if not getattr(self, name).strip()]

    def validate(self) -> None:
        if self.auth_mode not in AUTH_MODES:
            raise SettingsError(
                f"Unknown auth mode {self.auth_mode!r}; use {', '.join(AUTH_MODES)}."
            )
        missing = self.missing()
        if missing:
            raise SettingsError("Missing: " + ", ".join(missing) + ".")
        if not self.url.strip().lower().startswith(("http://", "https://")):
            raise SettingsError(
                f"The Orchestrator URL must start with https:// (or http://), got {self.url!r}."
            )

    def build_auth(self):
        """The httpx auth flow for this mode."""
        from tui_app.orchestrator import ClientCredentialsAuth, PasswordAuth, TokenAuth

        self.validate()
        if self.auth_mode == "token":
            return TokenAuth(self.token.strip())
        if self.auth_mode == "password":
            return PasswordAuth(self.tenancy_name.strip(), self.username.strip(), self.password)
        kwargs = {}
        if self.scope.strip():
            kwargs["scope"] = " ".join(self.scope.split())
        if self.identity_url.strip():
            kwargs["identity_url"] = self.identity_url.strip()
        return ClientCredentialsAuth(self.client_id.strip(), self.client_secret, **kwargs)

    def open_client(self, **client_options):
        """A new ``OrchestratorClient`` for these settings (the caller closes it)."""
        from tui_app.orchestrator import OrchestratorClient

        verify: object = True
        if self.insecure:
            verify = False
        elif self.ca_bundle:
            verify = self.ca_bundle
        return OrchestratorClient(
            self.url.strip().rstrip("/"), self.build_auth(), verify=verify, **client_options
        )
