"""Connection settings: where Orchestrator is and how to sign in.

``ConnectionSettings`` builds the httpx auth flow and the client. ``resolve_settings`` fills it
with this precedence (first wins), the same for every command::

    flag  >  template's [connection]  >  environment (UIPATH_*)  >  profile  >  default

The template layer only exists for ``startjob run`` / ``open`` (its ``url`` and ``folder``);
the profile is ``--profile``, else the template's ``profile``, else ``STARTJOB_PROFILE``.

The auth mode is the exception: flag, else the profile's, else what the credentials imply (a
token, else user + password, else client credentials). ``insecure`` is only ever a flag. The
secret comes from a flag or environment variable when one is set, else from the profile's
secret source (see ``tui_app.secret_sources``). Secrets live only in memory: ``public_dict``
is what may be shown or saved, ``ResolvedSettings.describe`` masks them, and no repr shows
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
from dataclasses import dataclass, field, fields, replace
from typing import Any, Callable, Optional, Union

from tui_app.urls import url_problem, without_userinfo

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
#: The environment variable of each setting (public name of ``_ENV``).
ENV_VARS = _ENV
PROFILE_ENV = "STARTJOB_PROFILE"


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

    def __post_init__(self) -> None:
        for name in ("url", "identity_url"):
            object.__setattr__(self, name, without_userinfo(getattr(self, name)))

    def with_(self, **changes) -> ConnectionSettings:
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
    ):
        """The httpx auth flow for this mode, optionally seeded with a (cached) token."""
        from tui_app.orchestrator import ClientCredentialsAuth, PasswordAuth, TokenAuth

        self.validate()
        if self.auth_mode == "token":
            return TokenAuth(self.token.strip())
        if self.auth_mode == "password":
            return PasswordAuth(self.tenancy_name.strip(), self.username.strip(), self.password,
                                token=token, expires_at=expires_at, on_token=on_token)
        kwargs = {}
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

    def open_client(self, *, debug_log=None, token_cache=None, **client_options):
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


# -- resolving settings from flags, environment and a profile --------------------------------

_FLAG_ONLY = ("ca_bundle", "insecure")


@dataclass(frozen=True)
class ResolvedSettings:
    """The settings, where each value came from, and whether the secret must still be asked.

    ``sources`` maps a field name to "flag", "env UIPATH_URL", "profile 'prod'" or
    "profile 'prod' (secret_command)" (fields left at their default are absent).
    """

    settings: ConnectionSettings
    sources: dict = field(default_factory=dict)
    profile: Any = None
    #: The profile asks for its secret at connect time and no prompt was given.
    needs_prompt: bool = False
    prompt_label: str = ""

    @property
    def secret_field(self) -> str:
        return {"client_credentials": "client_secret", "password": "password",
                "token": "token"}.get(self.settings.auth_mode, "client_secret")

    def describe(self, environ: Optional[Mapping[str, str]] = None) -> list:
        """Rows (setting, value, source) for a debug view; secrets show as "***"."""
        rows = []
        for f in fields(self.settings):
            value = getattr(self.settings, f.name)
            source = self.sources.get(f.name, "default")
            if f.name in SECRET_FIELDS:
                if not value and f.name != self.secret_field:
                    continue
                if value:
                    shown = "***"
                elif self.needs_prompt:
                    shown = "(asked when connecting)"
                else:
                    shown = "(not read)" if source.endswith("not read)") else "(not set)"
            elif value in ("", False) and source == "default":
                continue
            else:
                shown = str(value)
            rows.append((f.name, shown, source))
        rows.append(("tls", tls_description(self.settings, environ), "—"))
        return rows

    def report(self, environ: Optional[Mapping[str, str]] = None) -> str:
        rows = self.describe(environ)
        width = max(len(name) for name, _, _ in rows)
        return "\n".join(f"{name:<{width}}  {value}  [{source}]" for name, value, source in rows)


def _given(value: Any) -> bool:
    return value not in (None, "")


def resolve_settings(
    flags: Optional[Mapping[str, Any]] = None,
    environ: Optional[Mapping[str, str]] = None,
    profile_name: Optional[str] = None,
    *,
    template: Optional[Mapping[str, Any]] = None,
    prompt: Optional[Callable[[str], Optional[str]]] = None,
    fetch_secret: bool = True,
    load_profile: Optional[Callable[[str], Any]] = None,
) -> ResolvedSettings:
    """Settings from flags > template > environment > profile > default (module docstring).

    ``flags`` uses ``ConnectionSettings`` field names (None or "" = not given), plus
    ``no_token_cache`` and ``profile``. ``template`` is a template's ``[connection]`` layer
    (``url``, ``folder``, ``profile``; empty values are ignored). The profile is
    ``profile_name``, else ``flags["profile"]``, else ``template["profile"]``, else
    ``STARTJOB_PROFILE``, loaded with ``load_profile`` (default
    ``tui_app.profiles.get_profile``). The profile's secret source is only used when no flag or
    environment variable gives the secret; with ``fetch_secret=False`` it is not read at all
    (nothing is run), and a "prompt" source without ``prompt`` sets ``needs_prompt``. Raises
    ``SettingsError`` (``ProfileError``, ``SecretError``).
    """
    flags = dict(flags or {})
    layer = {key: value for key, value in (template or {}).items() if _given(value)}
    environ = os.environ if environ is None else environ
    given_name = profile_name or flags.get("profile")
    name = given_name or layer.get("profile") or environ.get(PROFILE_ENV) or ""
    profile = None
    if name:
        if load_profile is None:
            from tui_app.profiles import get_profile as load_profile
        profile = load_profile(name)
    profile_source = f"profile {name!r}"

    values: dict = {}
    sources: dict = {}
    for key, var in _ENV.items():
        if _given(flags.get(key)):
            values[key], sources[key] = flags[key], "flag"
        elif key in layer:
            values[key], sources[key] = layer[key], "template"
        elif environ.get(var, ""):
            values[key], sources[key] = environ[var], f"env {var}"
        elif profile is not None and key not in SECRET_FIELDS and getattr(profile, key, ""):
            values[key], sources[key] = getattr(profile, key), profile_source
    for key in _FLAG_ONLY:
        if _given(flags.get(key)) and flags[key] is not False:
            values[key], sources[key] = flags[key], "flag"
        elif key == "ca_bundle" and profile is not None and profile.ca_bundle:
            values[key], sources[key] = os.path.expanduser(profile.ca_bundle), profile_source

    if _given(flags.get("auth_mode")):
        values["auth_mode"], sources["auth_mode"] = flags["auth_mode"], "flag"
    elif profile is not None:
        values["auth_mode"], sources["auth_mode"] = profile.auth_mode, profile_source
    elif values.get("token"):
        values["auth_mode"], sources["auth_mode"] = "token", sources["token"]
    elif values.get("username") and not values.get("client_id"):
        values["auth_mode"], sources["auth_mode"] = "password", sources["username"]

    if flags.get("no_token_cache") or flags.get("token_cache") is False:
        values["token_cache"], sources["token_cache"] = False, "flag"
    if profile is not None:
        values["profile"], sources["profile"] = profile.name, (
            "flag" if given_name else "template" if layer.get("profile")
            else f"env {PROFILE_ENV}")

    settings = ConnectionSettings(**values)
    needs_prompt, label = False, ""
    secret_field = ResolvedSettings(settings).secret_field
    pending = (profile is not None and not getattr(settings, secret_field)
               and profile.secret_source and profile.auth_mode == settings.auth_mode)
    if pending and not fetch_secret:
        sources[secret_field] = f"{profile_source} ({profile.secret_source}, not read)"
    elif pending:
        from tui_app.secret_sources import SecretPromptNeeded, resolve_secret

        try:
            secret = resolve_secret(profile, prompt, environ=environ)
        except SecretPromptNeeded as exc:
            needs_prompt, label = True, exc.label
        else:
            if secret:
                settings = settings.with_(**{secret_field: secret})
                key = {"env": "secret_env", "command": "secret_command"}.get(
                    profile.secret_source, f"secret = {profile.secret_source}")
                sources[secret_field] = f"{profile_source} ({key})"
    return ResolvedSettings(settings, sources, profile, needs_prompt, label)


# -- failures at the Connect step ----------------------------------------------------------

def explain_connect_failure(exc: Exception, settings: Optional[ConnectionSettings] = None):
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
        if message == exc.message:
            message += " (The identity URL is derived from the Orchestrator URL.)"
        extra = " "
    if not extra or not isinstance(message, str):
        return exc
    explained = copy.copy(exc)
    explained.message = message.rstrip() + extra.rstrip()
    explained.args = (explained.message,)
    return explained
