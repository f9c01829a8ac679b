"""Command-line pieces for connections: flags, ``locate``, ``logout``, ``profiles``.

Kept apart from ``tui_app.cli`` so subcommands can share them::

    add_connection_arguments(parser)            # on the main parser and on e.g. "run"
    resolved = resolve_from_args(args)          # flags > UIPATH_* > profile > default
    debug_log = debug_log_from_args(args, resolved)   # --debug: prints the log's path

Every argument defaults to ``argparse.SUPPRESS``, so adding them to a subparser as well never
overwrites what was given before the subcommand.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Optional, TextIO

from tui_app.connection import ConnectionSettings
from tui_app.locations import LocationError, all_locations
from tui_app.precedence import ResolvedSettings, resolve_settings
from tui_app.signin import AUTH_MODES

if TYPE_CHECKING:
    from tui_app.debuglog import DebugLog
    from tui_app.secret_sources import PromptCallback

EXIT_OK = 0
EXIT_FAILED = 1

#: argparse dest -> resolve_settings flag name (the same, except where noted).
_FLAG_NAMES = ("url", "folder", "client_id", "identity_url", "scope", "tenancy_name",
               "username", "auth_mode", "ca_bundle", "insecure", "profile", "no_token_cache")


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    """The connection flags (secrets are never flags: use UIPATH_* variables or a profile)."""
    group = parser.add_argument_group(
        "connection (flag > template's [connection] > UIPATH_* variable > profile > default)")
    add = group.add_argument
    add("--profile", metavar="NAME", default=argparse.SUPPRESS,
        help="use the saved connection profile NAME (default: the template's, else "
        "$STARTJOB_PROFILE)")
    add("--url", default=argparse.SUPPRESS,
        help="Orchestrator URL, e.g. https://cloud.uipath.com/ORG/TENANT/orchestrator_")
    add("--folder", default=argparse.SUPPRESS,
        help="folder path or id, e.g. Shared/Support or 4")
    add("--auth", dest="auth_mode", choices=AUTH_MODES, default=argparse.SUPPRESS,
        help="how to sign in (default: the profile's, else what the credentials imply)")
    add("--client-id", default=argparse.SUPPRESS,
        help="external application id (client credentials)")
    add("--identity-url", default=argparse.SUPPRESS,
        help="token endpoint (default: derived from --url)")
    add("--scope", default=argparse.SUPPRESS, help="space-separated OAuth scopes")
    add("--tenant", dest="tenancy_name", default=argparse.SUPPRESS,
        help="tenancy name (on-prem sign-in)")
    add("--username", default=argparse.SUPPRESS, help="user name (on-prem sign-in)")
    add("--ca-bundle", metavar="FILE", default=argparse.SUPPRESS,
        help="PEM file of certificate authorities to trust (SSL_CERT_FILE is honoured too)")
    add("--insecure", action="store_true", default=argparse.SUPPRESS,
        help="do not verify TLS certificates (never in production)")
    add("--no-token-cache", action="store_true", default=argparse.SUPPRESS,
        help="neither reuse nor keep access tokens between runs")
    add("--debug", action="store_true", default=argparse.SUPPRESS,
        help="log every request and answer (secrets redacted) to a file in the log folder")


def connection_flags(args: argparse.Namespace) -> dict:
    """The connection flags that were given, by ``resolve_settings`` name."""
    return {name: getattr(args, name) for name in _FLAG_NAMES if hasattr(args, name)}


_SETTINGS_FIELDS = ("url", "folder", "client_id", "identity_url", "scope", "tenancy_name",
                    "username", "auth_mode", "ca_bundle", "insecure")


def connection_overrides(args: argparse.Namespace) -> dict:
    """The flags that were given, as ``ConnectionSettings`` fields (for ``from_env(**...)`` or
    ``.with_(**...)``); ``--no-token-cache`` becomes ``token_cache=False``, ``--profile`` is
    left out."""
    values = {name: getattr(args, name) for name in _SETTINGS_FIELDS if hasattr(args, name)}
    if getattr(args, "no_token_cache", False):
        values["token_cache"] = False
    return values


def terminal_prompt(label: str) -> str:
    """Ask for a secret on the terminal without echoing it."""
    return getpass.getpass(f"{label}: ")


def resolve_from_args(args: argparse.Namespace, environ: Optional[Mapping[str, str]] = None,
                      *, prompt: Optional[PromptCallback] = None,
                      fetch_secret: bool = True) -> ResolvedSettings:
    """``resolve_settings`` for parsed arguments. Raises ``SettingsError`` subclasses."""
    return resolve_settings(connection_flags(args), environ, prompt=prompt,
                            fetch_secret=fetch_secret)


def settings_from_args(args: argparse.Namespace, environ: Optional[Mapping[str, str]] = None,
                       *, prompt: Optional[PromptCallback] = None) -> ConnectionSettings:
    """The settings for parsed arguments. A profile whose secret is asked at connect time
    leaves the secret empty (the wizard asks) unless ``prompt`` is given (e.g.
    ``terminal_prompt`` for a headless command)."""
    return resolve_from_args(args, environ, prompt=prompt).settings


def debug_log_from_args(args: argparse.Namespace, resolved: Optional[ResolvedSettings] = None,
                        *, stream: Optional[TextIO] = None) -> Optional[DebugLog]:
    """With ``--debug``: a new ``DebugLog`` (its path printed to ``stream``, default stderr)
    with the resolved settings at the top; else None. ``LocationError`` when the log folder
    cannot be created."""
    if not getattr(args, "debug", False):
        return None
    from tui_app.debuglog import start_debug_log

    log = start_debug_log()
    log.attach_logging()
    if resolved is not None:
        log.write("connection settings (secrets masked):\n" + resolved.report())
    print(f"Debug log: {log.path}", file=stream or sys.stderr)
    return log


# -- startjob locate -----------------------------------------------------------------------

def every_location() -> dict[str, Path]:
    """Every path startjob uses, in a fixed order."""
    from tui_app.profiles import profiles_file, state_file
    from tui_app.secret_sources import secrets_file
    from tui_app.token_cache import token_cache_dir

    base = all_locations()
    return {
        "config": base["config"],
        "profiles": profiles_file(),
        "secrets": secrets_file(),
        "data": base["data"],
        "templates": base["templates"],
        "history": base["history"],
        "state": state_file(),
        "cache": base["cache"],
        "tokens": token_cache_dir(),
        "log": base["log"],
    }


def path_problem(path: Path) -> Optional[str]:
    """Why ``path`` (or its folder) cannot be created or used, or None."""
    if path.exists():
        if path.suffix and path.is_dir():
            return f"{path} is a folder, not a file"
        return None
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        return f"{ancestor} is not a folder"
    if not os.access(ancestor, os.W_OK | os.X_OK):
        return f"{ancestor} is not writable"
    return None


def cmd_locate(args: Optional[argparse.Namespace] = None, *,
               stream: Optional[TextIO] = None) -> int:
    """``startjob locate``: print every path; flag the ones that cannot be created."""
    out = stream or sys.stdout
    try:
        locations = every_location()
    except (LocationError, OSError, RuntimeError) as exc:
        print(f"startjob: cannot work out where to keep files: {exc}", file=sys.stderr)
        return EXIT_FAILED
    width = max(len(name) for name in locations)
    problems = 0
    for name, path in locations.items():
        problem = path_problem(path)
        note = f"  (cannot be created: {problem})" if problem else ""
        problems += bool(problem)
        print(f"{name:<{width}}  {path}{note}", file=out)
    if problems:
        print("startjob: set STARTJOB_HOME (or STARTJOB_CONFIG_DIR / STARTJOB_DATA_DIR / "
              "STARTJOB_CACHE_DIR / STARTJOB_LOG_DIR) to a writable folder.", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


# -- startjob logout -------------------------------------------------------------------------

def add_logout_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("logout_profile", nargs="?", metavar="PROFILE",
                        help="forget this profile's cached access token (default: all)")


def cmd_logout(args: argparse.Namespace, *, stream: Optional[TextIO] = None) -> int:
    """``startjob logout [PROFILE]``: forget cached access tokens."""
    from tui_app.token_cache import logout

    out = stream or sys.stdout
    name = getattr(args, "logout_profile", None)
    try:
        removed = logout(name)
    except (LocationError, OSError) as exc:
        print(f"startjob: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if name:
        text = (f"Signed out of profile {name!r}: its cached access token was removed."
                if removed else f"No cached access token for profile {name!r}.")
    else:
        text = f"Removed {removed} cached access token{'s' if removed != 1 else ''}."
    print(text, file=out)
    return EXIT_OK


# -- startjob profiles -----------------------------------------------------------------------

_SOURCE_TEXT = {"env": "environment variable {0.secret_env}",
                "command": "command `{0.secret_command}`",
                "prompt": "asked when connecting",
                "file": "secrets.toml",
                "": "flags or UIPATH_* variables"}


def cmd_profiles(args: Optional[argparse.Namespace] = None, *,
                 stream: Optional[TextIO] = None) -> int:
    """``startjob profiles``: list the saved profiles (``*`` marks the last one used)."""
    from tui_app.connection import SettingsError
    from tui_app.profiles import last_profile, load_profiles, profiles_file
    from tui_app.signin import AUTH_MODE_LABELS

    out = stream or sys.stdout
    try:
        profiles = load_profiles()
    except SettingsError as exc:
        print(f"startjob: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if not profiles:
        print(f"No profiles yet. They are kept in {profiles_file()}.", file=out)
        return EXIT_OK
    last = last_profile()
    for name in sorted(profiles):
        profile = profiles[name]
        mark = "*" if name == last else " "
        secret = _SOURCE_TEXT[profile.secret_source].format(profile)
        print(f"{mark} {name}  {profile.url}", file=out)
        print(f"    {AUTH_MODE_LABELS[profile.auth_mode]}; secret: {secret}", file=out)
    return EXIT_OK


def cmd_settings(args: argparse.Namespace, *, stream: Optional[TextIO] = None) -> int:
    """``startjob settings``: where each connection setting comes from (secrets masked;
    nothing is run and nothing is asked)."""
    from tui_app.connection import SettingsError

    out = stream or sys.stdout
    try:
        resolved = resolve_from_args(args, fetch_secret=False)
    except SettingsError as exc:
        print(f"startjob: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(resolved.report(), file=out)
    return EXIT_OK
