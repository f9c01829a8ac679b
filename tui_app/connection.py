"""Connection settings: where Orchestrator is and how to sign in.

``ConnectionSettings`` is the settings model: it validates itself, builds the httpx auth flow
for its sign-in mode (``tui_app.signin``) and opens the client. Where each value comes from
(flags, template, environment, profile) is decided in one place, ``tui_app.precedence``.

Secrets live only in memory: ``public_dict`` is what may be shown or saved, and no repr shows
them. A ``user:password@`` part of a URL is dropped when the settings are made (it is never
used: sign-in is by the auth mode), so it is never sent, stored, logged or shown.

``open_client`` reuses a cached access token (``tui_app.token_cache``) unless
``token_cache=False``, and can log every request to a redacting debug log
(``tui_app.debuglog``).
"""

from __future__ import annotations

import copy
import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any, Callable, Optional, TypeVar, Union

from tui_app.signin import AUTH_MODES, ENV_VARS, SECRET_FIELDS, implied_mode, mode_of
from tui_app.urls import cloud_tenant, url_problem, without_userinfo

if TYPE_CHECKING:
    import httpx

    from tui_app.debuglog import DebugLog
    from tui_app.orchestrator import OrchestratorClient
    from tui_app.token_cache import TokenCache


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
    #: The profile these settings came from ("" for none); names the token cache entry.
    profile: str = ""
    #: Reuse and keep access tokens between runs (``--no-token-cache`` turns it off).
    token_cache: bool = True

    @classmethod
    def from_env(
        cls, environ: Optional[Mapping[str, str]] = None, **overrides: Any
    ) -> ConnectionSettings:
        """Settings from ``UIPATH_*`` variables, then ``overrides`` (non-empty flags) on top.

        The auth mode follows the credentials present: a token, else user + password,
        else client credentials.
        """
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {name: environ.get(var, "") for name, var in ENV_VARS.items()}
        values.update({k: v for k, v in overrides.items() if v not in (None, "")})
        if not overrides.get("auth_mode"):
            values["auth_mode"] = implied_mode(values)
        return cls(**values)

    def __post_init__(self) -> None:
        for name in ("url", "identity_url"):
            object.__setattr__(self, name, without_userinfo(getattr(self, name)))

    def with_(self, **changes: Any) -> ConnectionSettings:
        return replace(self, **changes)

    def __repr__(self) -> str:
        """Every field, secrets masked."""
        shown = []
        for f in fields(self):
            value = getattr(self, f.name)
            shown.append(f"{f.name}={'***' if f.name in SECRET_FIELDS and value else value!r}")
        return f"ConnectionSettings({', '.join(shown)})"

    __str__ = __repr__

    def public_dict(self) -> dict:
        """Every non-secret, non-empty setting (safe to display or write to a file)."""
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name not in SECRET_FIELDS and getattr(self, f.name) not in ("", False)
            and not (f.name == "token_cache" and self.token_cache)
        }

    def missing(self) -> list:
        """Labels of the settings still needed to connect, in form order."""
        needed = (("url", "Orchestrator URL"), *mode_of(self.auth_mode).required)
        return [label for name, label in needed if not getattr(self, name).strip()]

    @property
    def tenant(self) -> str:
        """The tenant signed in to: the tenancy name of an on-premises sign-in, else the one
        an Automation Cloud URL names ("" when neither says)."""
        if "tenancy_name" in mode_of(self.auth_mode).optional and self.tenancy_name.strip():
            return self.tenancy_name.strip()
        return cloud_tenant(self.url)

    @property
    def secret_field(self) -> str:
        """The field that holds this sign-in mode's secret."""
        return mode_of(self.auth_mode).secret_field

    def validate(self) -> None:
        if self.auth_mode not in AUTH_MODES:
            raise SettingsError(
                f"Unknown auth mode {self.auth_mode!r}; use {', '.join(AUTH_MODES)}."
            )
        missing = self.missing()
        if missing:
            raise SettingsError("Missing: " + ", ".join(missing) + ".")
        for name, label in (("url", "Orchestrator URL"), ("identity_url", "identity URL")):
            value = getattr(self, name).strip()
            problem = url_problem(value) if value else None  # (an empty URL is missing)
            if problem:
                raise SettingsError(f"The {label} {value!r} cannot be used: {problem}.")
        if self.ca_bundle and not self.insecure:
            path = os.path.expanduser(self.ca_bundle)
            if not os.path.exists(path):
                raise SettingsError(
                    f"The CA bundle {self.ca_bundle!r} does not exist. Point it (--ca-bundle, "
                    "or ca_bundle in the profile) at a PEM file of certificate authorities."
                )

    def build_auth(
        self,
        *,
        token: Optional[str] = None,
        expires_at: Optional[float] = None,
        on_token: Optional[Callable[[str, Optional[float]], None]] = None,
    ) -> httpx.Auth:
        """The httpx auth flow for this mode, optionally seeded with a (cached) token."""
        from tui_app.orchestrator import ClientCredentialsAuth, PasswordAuth, TokenAuth

        self.validate()
        if self.auth_mode == "token":
            return TokenAuth(self.token.strip())
        if self.auth_mode == "password":
            return PasswordAuth(self.tenancy_name.strip(), self.username.strip(), self.password,
                                token=token, expires_at=expires_at, on_token=on_token)
        kwargs: dict[str, Any] = {}
        if self.scope.strip():
            kwargs["scope"] = " ".join(self.scope.split())
        if self.identity_url.strip():
            kwargs["identity_url"] = self.identity_url.strip()
        return ClientCredentialsAuth(self.client_id.strip(), self.client_secret, **kwargs,
                                     token=token, expires_at=expires_at, on_token=on_token)

    def verify_option(self, environ: Optional[Mapping[str, str]] = None
                      ) -> Union[bool, ssl.SSLContext]:
        """``verify`` for the client: False (``--insecure``), else an SSL context from the CA
        bundle, else ``SSL_CERT_FILE`` / ``SSL_CERT_DIR``, else certifi.

        A bundle or variable that names a missing file or no PEM certificates is a
        ``SettingsError`` naming the flag or variable (for http:// URLs too: it is a setting
        that is wrong on every run).
        """
        if self.insecure:
            return False
        environ = os.environ if environ is None else environ
        if self.ca_bundle:
            where = "The CA bundle (--ca-bundle, or ca_bundle in the profile)"
            return _load_authorities(os.path.expanduser(self.ca_bundle), where)
        for variable in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
            if environ.get(variable):
                return _load_authorities(environ[variable], f"The variable {variable}")
        import certifi

        return _load_authorities(certifi.where(), "The certifi certificate store")

    def open_client(self, *, debug_log: Optional[DebugLog] = None,
                    token_cache: Union[None, bool, TokenCache] = None,
                    **client_options: Any) -> OrchestratorClient:
        """A new ``OrchestratorClient`` for these settings (the caller closes it).

        ``token_cache``: None uses the default cache when ``self.token_cache`` is on, False
        disables it, or pass a ``TokenCache``. ``debug_log``: a ``DebugLog`` that records every
        request and answer (redacted). Other options go to ``OrchestratorClient``. A cached
        token is used only when it was obtained with the secret given now (see
        ``tui_app.token_cache``); a personal access token is never replaced by a cached one.
        """
        from tui_app.orchestrator import OrchestratorClient
        from tui_app.token_cache import TokenCache

        self.validate()
        client_options.setdefault("verify", self.verify_option())
        cache = None
        if token_cache is not False and self.token_cache and self.auth_mode != "token":
            cache = token_cache if isinstance(token_cache, TokenCache) else TokenCache()
        cached = cache.load(self) if cache is not None else None
        auth = self.build_auth(
            token=cached.token if cached is not None else None,
            expires_at=cached.expires_at if cached is not None else None,
            on_token=cache.callback(self) if cache is not None else None)
        if debug_log is not None:
            debug_log.add_secret(self.client_secret, self.password, self.token,
                                 cached.token if cached is not None else None)
        client = OrchestratorClient(self.url.strip().rstrip("/"), auth, **client_options)
        if debug_log is not None:
            debug_log.install(client)
        return client


def _load_authorities(path: str, where: str) -> ssl.SSLContext:
    """An SSL context trusting the PEM file (or folder) ``path``; ``where`` names its source."""
    if not os.path.exists(path):
        raise SettingsError(f"{where} names {path!r}, which does not exist. Point it at a PEM "
                            "file of certificate authorities.")
    try:
        if os.path.isdir(path):
            return ssl.create_default_context(capath=path)
        return ssl.create_default_context(cafile=path)
    except (OSError, ssl.SSLError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or exc
        raise SettingsError(f"{where} names {path!r}, which cannot be used as a PEM file of "
                            f"certificate authorities ({reason}).") from None


def tls_description(settings: ConnectionSettings, environ: Optional[Mapping[str, str]] = None
                    ) -> str:
    """How the server certificate will be checked, in words (for a debug view)."""
    environ = os.environ if environ is None else environ
    if settings.insecure:
        return "NOT verified (--insecure): anyone in between can read the traffic"
    if settings.ca_bundle:
        return f"verified with the CA bundle {settings.ca_bundle}"
    if environ.get("SSL_CERT_FILE"):
        return f"verified with SSL_CERT_FILE={environ['SSL_CERT_FILE']}"
    if environ.get("SSL_CERT_DIR"):
        return f"verified with SSL_CERT_DIR={environ['SSL_CERT_DIR']}"
    return "verified with the certifi certificate authorities (default)"


# -- failures at the Connect step ----------------------------------------------------------

_Failure = TypeVar("_Failure", bound=Exception)


def explain_connect_failure(exc: _Failure, settings: Optional[ConnectionSettings] = None
                            ) -> _Failure:
    """``exc`` (an ``OrchestratorError``) with what to do next added for the Connect step.

    A 403 lists the scopes the wizard needs; an untrusted certificate names ``--ca-bundle``.
    The result has the same class and server facts; other exceptions come back unchanged.
    """
    from tui_app.orchestrator import DEFAULT_SCOPES
    from tui_app.orchestrator.errors import CertificateError, ConnectionFailed, PermissionDenied

    extra = ""
    mode = settings.auth_mode if settings is not None else "client_credentials"
    if isinstance(exc, PermissionDenied):
        if mode == "client_credentials":
            wanted = " ".join((settings.scope if settings is not None else "").split())
            extra = (f" The wizard needs these application scopes: {DEFAULT_SCOPES}. Add them to "
                     "the external application (Admin > External Applications)")
            extra += f", or ask for them with --scope (now: {wanted})." if wanted else "."
        else:
            extra = (" The account needs a role that can view folders, processes and robots "
                     "and start jobs in the folder, or a token with the scopes "
                     f"{DEFAULT_SCOPES}.")
    elif isinstance(exc, CertificateError):
        if settings is not None and settings.ca_bundle:
            extra = (f" The CA bundle {settings.ca_bundle} does not contain the authority that "
                     "signed this certificate.")
        else:
            extra = (" Use --ca-bundle FILE (or ca_bundle in the profile) with your "
                     "organization's certificate authority.")
    message = getattr(exc, "message", None)
    if (isinstance(exc, ConnectionFailed) and not isinstance(exc, CertificateError)
            and isinstance(message, str) and "identity URL" in message
            and settings is not None and not settings.identity_url.strip()):
        # The client names the identity URL for a failed sign-in request; here it was derived
        # from the Orchestrator URL, which is the setting the person can fix.
        message = message.replace(
            "Check the identity URL.",
            "Check the Orchestrator URL (the identity URL is derived from it).")
        if message == getattr(exc, "message", None):
            message += " (The identity URL is derived from the Orchestrator URL.)"
        extra = " "
    if not extra or not isinstance(message, str):
        return exc
    explained: Any = copy.copy(exc)
    explained.message = message.rstrip() + extra.rstrip()
    explained.args = (explained.message,)
    return explained
