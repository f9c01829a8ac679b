"""Where a profile's secret comes from, and the owner-only ``secrets.toml`` store.

* ``secret_env = "VAR"`` - an environment variable;
* ``secret_command = "pass show uipath/prod"`` - a command run WITHOUT a shell (the text is
  split like a shell would, ``shlex.split``), with a timeout; its output, stripped, is the
  secret (only the first line when it prints several, like ``pass``); when it fails, only its
  exit status is shown, never what it printed;
* ``secret = "prompt"`` - asked when connecting: the caller passes ``prompt(label) -> text``,
  or gets a ``SecretPromptNeeded`` telling it to ask;
* ``secret = "file"`` - kept in ``secrets.toml`` in the config folder, written with mode 0600
  (under ``tui_app.files.locked``, so concurrent saves keep every secret) and refused when its
  mode lets anyone else read it.

Error messages name the profile and the source (variable, command, file), never the secret.
(The module is not called ``secrets`` so it can never shadow the standard library's.)
"""

from __future__ import annotations

import os
import shlex
import stat
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional

import tomli_w

from tui_app.connection import SettingsError
from tui_app.files import atomic_write_text, locked
from tui_app.locations import config_dir

if TYPE_CHECKING:
    from tui_app.profiles import Profile

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python < 3.11
    import tomli as tomllib

#: Seconds a ``secret_command`` may take.
SECRET_COMMAND_TIMEOUT = 30.0
#: ``prompt(label)`` returns what the person typed (None or "" when they gave up).
PromptCallback = Callable[[str], Optional[str]]


class SecretError(SettingsError):
    """A secret could not be obtained; the message says why and how to fix it."""

    def __init__(self, message: str, *, profile: Optional[str] = None) -> None:
        super().__init__(message)
        self.profile = profile


class SecretPromptNeeded(SecretError):
    """The profile's secret is asked at connect time and no prompt was given.

    ``label`` is what to ask for, e.g. "Client secret for profile 'prod'".
    """

    def __init__(self, message: str, *, profile: Optional[str] = None, label: str = "") -> None:
        super().__init__(message, profile=profile)
        self.label = label


def secrets_file() -> Path:
    return config_dir() / "secrets.toml"


def prompt_label(profile: Profile) -> str:
    text = profile.secret_label
    return f"{text[:1].upper()}{text[1:]} for profile {profile.name!r}"


def needs_prompt(profile: Profile) -> bool:
    return profile.secret_source == "prompt"


def resolve_secret(profile: Profile, prompt: Optional[PromptCallback] = None, *,
                   environ: Optional[Mapping[str, str]] = None,
                   timeout: float = SECRET_COMMAND_TIMEOUT) -> str:
    """The profile's secret from its source; "" when the profile names no source."""
    source = profile.secret_source
    name = profile.name
    if source == "env":
        environ = os.environ if environ is None else environ
        value = (environ.get(profile.secret_env) or "").strip()
        if not value:
            raise SecretError(
                f"Profile {name!r} takes its {profile.secret_label} from the environment "
                f"variable {profile.secret_env}, which is not set (or empty).", profile=name)
        return value
    if source == "command":
        return run_secret_command(profile.secret_command, profile=name, timeout=timeout)
    if source == "prompt":
        label = prompt_label(profile)
        if prompt is None:
            raise SecretPromptNeeded(
                f"Profile {name!r} asks for its {profile.secret_label} when connecting.",
                profile=name, label=label)
        value = (prompt(label) or "").strip()
        if not value:
            raise SecretError(f"No {profile.secret_label} was entered for profile {name!r}.",
                              profile=name)
        return value
    if source == "file":
        return read_secret(name)
    return ""


# -- secret_command -------------------------------------------------------------------------

def run_secret_command(command: str, *, profile: str = "",
                       timeout: float = SECRET_COMMAND_TIMEOUT) -> str:
    """Run ``command`` without a shell and return its first output line, stripped."""
    who = f"Profile {profile!r}: the" if profile else "The"
    shown = f"secret command `{command}`"
    try:
        args = shlex.split(command, posix=os.name != "nt")
    except ValueError as exc:
        raise SecretError(f"{who} {shown} cannot be split into words ({exc}).",
                          profile=profile) from None
    if not args:
        raise SecretError(f"{who} secret command is empty.", profile=profile)
    try:
        done = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise SecretError(f"{who} {shown} did not finish within {timeout:g} seconds.",
                          profile=profile) from None
    except FileNotFoundError:
        raise SecretError(f"{who} {shown} cannot be run: {args[0]!r} was not found.",
                          profile=profile) from None
    except OSError as exc:
        raise SecretError(f"{who} {shown} cannot be run: {exc.strerror or exc}.",
                          profile=profile) from None
    if done.returncode != 0:
        # Its output is never shown: a failing secret tool may print the secret, or part of it.
        raise SecretError(f"{who} {shown} failed (exit status {done.returncode}). Run it "
                          "yourself to see why; its output is not shown, as it may hold the "
                          "secret.", profile=profile)
    output = done.stdout.decode("utf-8", errors="replace").strip()
    secret = output.splitlines()[0].strip() if output else ""
    if not secret:
        raise SecretError(f"{who} {shown} printed nothing.", profile=profile)
    return secret


# -- secrets.toml ---------------------------------------------------------------------------

def _check_private(path: Path, info: os.stat_result) -> None:
    if os.name == "nt":  # pragma: no cover - POSIX modes do not apply
        return
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise SecretError(f"{path} belongs to another user; startjob will not read secrets "
                          "from it.")
    if info.st_mode & 0o077:
        mode = stat.S_IMODE(info.st_mode)
        raise SecretError(
            f"{path} can be read by other users (mode {mode:04o}); startjob will not use the "
            f"secrets in it. Make it private with: chmod 600 {shlex.quote(str(path))}")


def _read_store(path: Path, *, check: bool = True) -> dict:
    """{profile name: secret} from secrets.toml ({} when the file does not exist)."""
    try:
        handle = open(path, "rb")  # noqa: SIM115 - fstat on the open file, then read
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise SecretError(f"{path} cannot be read: {exc.strerror or exc}.") from None
    with handle:
        if check:
            _check_private(path, os.fstat(handle.fileno()))
        raw = handle.read()
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SecretError(f"{path} is not valid TOML ({exc}).") from None
    tables = data.get("profiles", {})
    if set(data) - {"version", "profiles"} or not isinstance(tables, dict):
        raise SecretError(f"{path} is not a startjob secrets file: expected [profiles.NAME] "
                          "tables with a secret key.")
    store = {}
    for name, table in tables.items():
        if (not isinstance(table, dict) or set(table) != {"secret"}
                or not isinstance(table["secret"], str)):
            raise SecretError(f"{path}: profile {name!r} must hold exactly one text key, "
                              "secret.")
        store[name] = table["secret"]
    return store


def _write_store(store: dict, path: Path) -> None:
    if not store:
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        return
    document = {"version": 1,
                "profiles": {name: {"secret": store[name]} for name in sorted(store)}}
    header = "# startjob secrets (owner-only). Written by startjob; keep its mode 0600.\n"
    atomic_write_text(path, header + tomli_w.dumps(document), mode=0o600)


def read_secret(profile: str, *, path: Optional[Path] = None) -> str:
    path = Path(path) if path is not None else secrets_file()
    value = _read_store(path).get(profile, "")
    if not value:
        raise SecretError(
            f"Profile {profile!r} keeps its secret in {path}, but none is stored there for it. "
            "Save the profile again with its secret, or choose another secret source.",
            profile=profile)
    return value


def store_secret(profile: str, secret: str, *, path: Optional[Path] = None) -> Path:
    """Keep ``secret`` for ``profile`` in secrets.toml (mode 0600; other entries kept)."""
    path = Path(path) if path is not None else secrets_file()
    if not secret:
        raise SecretError("There is no secret to store.", profile=profile)
    with locked(path):
        store = _read_store(path)
        store[profile] = secret
        _write_store(store, path)
    return path


def forget_secret(profile: str, *, path: Optional[Path] = None) -> bool:
    """Remove a stored secret (the file is deleted when it is the last one)."""
    path = Path(path) if path is not None else secrets_file()
    with locked(path):
        store = _read_store(path, check=False)
        if profile not in store:
            return False
        del store[profile]
        _write_store(store, path)
    return True
