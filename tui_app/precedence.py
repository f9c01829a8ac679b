"""Where each connection setting comes from: one precedence for every command.

``resolve_settings`` fills ``ConnectionSettings`` with this precedence (first wins), the same
for the wizard, ``startjob open``, ``startjob run`` and ``startjob settings``::

    flag  >  template's [connection]  >  environment (UIPATH_*)  >  profile  >  default

The template layer only exists for ``startjob run`` / ``open`` (its ``url`` and ``folder``);
the profile is ``--profile``, else the template's ``profile``, else ``STARTJOB_PROFILE``.

The auth mode is the exception: flag, else the profile's, else what the credentials imply (a
token, else user + password, else client credentials). ``insecure`` is only ever a flag. The
secret comes from a flag or environment variable when one is set, else from the profile's
secret source (see ``tui_app.secret_sources``). ``ResolvedSettings.describe`` masks secrets.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Callable, Optional

from tui_app.connection import ConnectionSettings, tls_description
from tui_app.profiles import get_profile
from tui_app.secret_sources import SecretPromptNeeded, resolve_secret
from tui_app.signin import ENV_VARS, SECRET_FIELDS, implied_mode, mode_of

PROFILE_ENV = "STARTJOB_PROFILE"


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
        return self.settings.secret_field

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
        profile = (load_profile or get_profile)(name)
    profile_source = f"profile {name!r}"

    values: dict = {}
    sources: dict = {}
    for key, var in ENV_VARS.items():
        if _given(flags.get(key)):
            values[key], sources[key] = flags[key], "flag"
        elif key in layer:
            values[key], sources[key] = layer[key], "template"
        elif environ.get(var, ""):
            values[key], sources[key] = environ[var], f"env {var}"
        elif profile is not None and key not in SECRET_FIELDS and getattr(profile, key, None):
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
    elif implied_mode(values) != "client_credentials":
        implied = implied_mode(values)
        values["auth_mode"] = implied
        sources["auth_mode"] = sources[mode_of(implied).required[0][0]]

    if flags.get("no_token_cache") or flags.get("token_cache") is False:
        values["token_cache"], sources["token_cache"] = False, "flag"
    if profile is not None:
        values["profile"], sources["profile"] = profile.name, (
            "flag" if given_name else "template" if layer.get("profile")
            else f"env {PROFILE_ENV}")

    settings = ConnectionSettings(**values)
    needs_prompt, label = False, ""
    secret_field = settings.secret_field
    pending = (profile is not None and not getattr(settings, secret_field)
               and profile.secret_source and profile.auth_mode == settings.auth_mode)
    if profile is None or not pending:
        pass
    elif not fetch_secret:
        sources[secret_field] = f"{profile_source} ({profile.secret_source}, not read)"
    else:
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


def terminal_prompt() -> Optional[Callable[[str], str]]:
    """``prompt(label)`` asking on the terminal without echo, or None without a terminal."""
    if sys.stdin is None or not sys.stdin.isatty():
        return None
    import getpass

    def prompt(label: str) -> str:
        return getpass.getpass(f"{label}: ")

    return prompt


def require_secret(resolved: ResolvedSettings) -> ConnectionSettings:
    """The settings of a ``ResolvedSettings`` for a headless command: a profile that still
    asks for its secret (no terminal) is a ``SecretPromptNeeded`` saying what to set."""
    if resolved.needs_prompt:
        name = resolved.profile.name
        variable = ENV_VARS[resolved.secret_field]
        raise SecretPromptNeeded(
            f"Profile {name!r} asks for its {resolved.profile.secret_label} when connecting, "
            f"and there is no terminal to ask on; set {variable} instead.",
            profile=name, label=resolved.prompt_label)
    return resolved.settings


def resolve_profile(name: str, *, environ: Optional[Mapping[str, str]] = None,
                    prompt: Optional[Callable[[str], Optional[str]]] = None) -> ConnectionSettings:
    """The settings of profile ``name`` for a headless command: ``UIPATH_*`` variables over
    the profile (see ``resolve_settings``), secret included.

    A profile whose secret is asked at connect time is asked on the terminal (``getpass``)
    when there is one, else this raises ``SecretPromptNeeded`` saying what to set instead.
    Raises ``SettingsError`` subclasses (``ProfileError``, ``SecretError``).
    """
    return require_secret(resolve_settings({}, environ, name,
                                           prompt=prompt or terminal_prompt()))
