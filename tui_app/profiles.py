"""Named connection profiles in ``profiles.toml`` (config folder), and the last one used.

The file never holds a secret; each profile says where its secret comes from instead::

    version = 1

    [profiles.prod]
    url = "https://cloud.uipath.com/acme/Production/orchestrator_"
    auth_mode = "client_credentials"       # or "password" (on-prem), "token" (PAT)
    client_id = "8c1f..."
    scope = "OR.Folders.Read OR.Execution.Read OR.Jobs OR.Robots.Read OR.Machines.Read"
    folder = "Shared/Finance"               # default folder (a path, or a folder id)
    ca_bundle = "~/certs/corp-ca.pem"       # optional
    secret_env = "PROD_UIPATH_SECRET"       # or secret_command = "pass show uipath/prod"
                                            # or secret = "prompt" / secret = "file"

Other keys: ``identity_url``, ``tenant`` (on-prem tenancy name, like ``--tenant``; the old
name ``tenancy_name`` is still read), ``username``. ``scope`` may also be a list. The
production guard (``tui_app.guard``): ``protected = true`` (every start through the profile
needs a typed confirmation, or ``--yes``), ``protected_folders = ["Production", ...]`` (only
those folders and their subfolders) and ``max_jobs = N`` (a start of more jobs needs a
confirmation); saving a profile from the wizard keeps the guard keys it had. Loading is
strict: an unknown key, a wrong type, a bad URL (or port) or auth mode, a password in the URL,
or a secret written into the file is a ``ProfileError`` naming the file, the profile and the
key. Saving keeps only the keys of the profile's sign-in mode (no ``client_id`` in a token
profile), rewrites the whole file atomically (comments are not kept) and keeps every other
profile; every read-modify-write holds ``tui_app.files.locked``, so concurrent saves never
lose one another's profiles.

The last profile used is remembered in ``state.toml`` in the data folder.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import tomli_w

from tui_app.connection import ConnectionSettings, SettingsError
from tui_app.files import atomic_write_text, locked
from tui_app.locations import LocationError, config_dir, data_dir
from tui_app.secretnames import looks_secret
from tui_app.signin import AUTH_MODES, MODES, SECRET_FIELDS, mode_of
from tui_app.urls import url_problem, without_userinfo

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python < 3.11
    import tomli as tomllib

if TYPE_CHECKING:
    pass

FORMAT_VERSION = 1
#: Where a profile's secret comes from (``secret`` may name the last two).
SECRET_SOURCES = ("env", "command", "prompt", "file")

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_TEXT_KEYS = ("url", "auth_mode", "identity_url", "client_id", "tenancy_name", "username",
              "folder", "ca_bundle", "secret_env", "secret_command", "secret")
_KEYS = _TEXT_KEYS[:7] + ("scope",) + _TEXT_KEYS[7:]
#: The key each field has in the file, where it differs (``tenancy_name`` is still read).
_FILE_KEY = {"tenancy_name": "tenant"}
#: The production guard's keys (``tui_app.guard``).
_GUARD_KEYS = ("protected", "protected_folders", "max_jobs")
_FILE_KEYS = tuple(_FILE_KEY.get(key, key) for key in _KEYS) + _GUARD_KEYS
#: The most ``max_jobs`` may be (StartJobs' own limit on JobsCount).
MAX_JOBS = 10_000


class ProfileError(SettingsError):
    """``profiles.toml`` (or a profile) is not valid, or a profile does not exist.

    ``source`` is the file, ``profile`` and ``key`` what is at fault (None when not known).
    """

    def __init__(self, source: str, problem: str, *, profile: Optional[str] = None,
                 key: Optional[str] = None) -> None:
        where = str(source)
        if profile is not None:
            where += f": profile {profile!r}"
        if key is not None:
            where += f", key {key!r}" if profile is not None else f": key {key!r}"
        super().__init__(f"{where}: {problem}")
        self.source = str(source)
        self.profile = profile
        self.key = key


@dataclass(frozen=True)
class Profile:
    """One named connection. Exactly one (or none) of the secret sources is set."""

    name: str
    url: str
    auth_mode: str = "client_credentials"
    identity_url: str = ""
    client_id: str = ""
    scope: str = ""
    tenancy_name: str = ""
    username: str = ""
    folder: str = ""
    ca_bundle: str = ""
    secret_env: str = ""
    secret_command: str = ""
    #: "prompt" (asked at connect time) or "file" (kept in secrets.toml), or "".
    secret: str = ""
    #: The production guard (``tui_app.guard``): every folder, some folders, a cap.
    protected: bool = False
    protected_folders: tuple[str, ...] = ()
    max_jobs: Optional[int] = None

    @property
    def guarded(self) -> bool:
        """Any guard key is set."""
        return self.protected or bool(self.protected_folders) or self.max_jobs is not None

    @property
    def secret_source(self) -> str:
        """One of ``SECRET_SOURCES``, or "" (no source: flags or environment only)."""
        if self.secret_env:
            return "env"
        if self.secret_command:
            return "command"
        return self.secret

    @property
    def secret_label(self) -> str:
        return mode_of(self.auth_mode).secret_label

    @property
    def secret_field(self) -> str:
        return mode_of(self.auth_mode).secret_field

    def to_settings(self) -> ConnectionSettings:
        """The profile's settings, without the secret (see ``resolve_secret``)."""
        return ConnectionSettings(
            url=self.url, auth_mode=self.auth_mode, client_id=self.client_id,
            scope=self.scope, identity_url=self.identity_url, tenancy_name=self.tenancy_name,
            username=self.username, folder=self.folder,
            ca_bundle=os.path.expanduser(self.ca_bundle) if self.ca_bundle else "",
            profile=self.name,
        )

    def to_toml_table(self) -> dict:
        """The non-empty keys, in file order (``tenancy_name`` is written as ``tenant``)."""
        table: dict = {}
        for key in _KEYS:
            value = getattr(self, key)
            if value:
                table[_FILE_KEY.get(key, key)] = value
        if self.protected:
            table["protected"] = True
        if self.protected_folders:
            table["protected_folders"] = list(self.protected_folders)
        if self.max_jobs is not None:
            table["max_jobs"] = self.max_jobs
        return table

    def for_its_mode(self) -> Profile:
        """This profile without the fields of the other sign-in modes."""
        unused = {key for mode in MODES.values() if mode.name != self.auth_mode
                  for key in mode.fields} - set(mode_of(self.auth_mode).fields) - set(SECRET_FIELDS)
        blank: dict[str, Any] = {key: "" for key in unused}
        return replace(self, **blank)


def profile_from_settings(name: str, settings: ConnectionSettings,
                          **secret_source: str) -> Profile:
    """A profile holding the non-secret parts of ``settings`` (for "save as profile"): only
    the fields of its sign-in mode.

    ``secret_source`` is one of ``secret_env="VAR"``, ``secret_command="..."``,
    ``secret="prompt"`` or ``secret="file"``. The result is validated.
    """
    values: dict[str, Any] = {
        f.name: getattr(settings, f.name) for f in fields(Profile)
        if f.name not in ("name", "secret_env", "secret_command", "secret", *_GUARD_KEYS)}
    profile = Profile(name=name, **{**values, **secret_source}).for_its_mode()
    return check_profile(profile)


# -- locations ------------------------------------------------------------------------------

def profiles_file() -> Path:
    return config_dir() / "profiles.toml"


def state_file() -> Path:
    return data_dir() / "state.toml"


# -- validation -----------------------------------------------------------------------------

def _check_url(source: str, name: str, key: str, value: str) -> None:
    problem = url_problem(value)
    if problem is not None:
        raise ProfileError(source, f"{without_userinfo(value.strip())!r} is not a valid URL: "
                           f"{problem}", profile=name, key=key)
    if without_userinfo(value) != value:
        raise ProfileError(source, "holds a user name or password (user:password@); secrets "
                           "never go in profiles.toml: remove it and say where the secret "
                           "comes from (secret_env, secret_command or secret)",
                           profile=name, key=key)


def _profile_from_table(source: str, name: str, table: object) -> Profile:
    if not isinstance(table, dict):
        raise ProfileError(source, "must be a table ([profiles.NAME])", profile=name)
    if not _NAME.match(name):
        raise ProfileError(
            source, "is not a valid profile name: use letters, digits, '.', '_' and '-' "
            "(at most 64, starting with a letter or digit)", profile=name)
    if "tenant" in table and "tenancy_name" in table:
        raise ProfileError(source, "is the old name of tenant; keep only tenant",
                           profile=name, key="tenancy_name")
    written = {field: key for key in table for field in _KEYS
               if key == _FILE_KEY.get(field, field) or key == field}
    for key in table:
        if key in _FILE_KEYS or key in _KEYS:
            continue
        if looks_secret(key) or key.lower() == "pat":
            raise ProfileError(
                source, "secrets never go in profiles.toml. Say where the secret comes from "
                "instead: secret_env = \"VARIABLE\", secret_command = \"pass show ...\", "
                "secret = \"prompt\" (asked when connecting) or secret = \"file\" (kept in "
                "secrets.toml, owner-only)", profile=name, key=key)
        if key == "insecure":
            raise ProfileError(
                source, "TLS verification cannot be turned off in a profile; use the "
                "--insecure flag for one run, or set ca_bundle to trust your certificate "
                "authority", profile=name, key=key)
        raise ProfileError(source, "is not a known key; expected one of: "
                           f"{', '.join(_FILE_KEYS)}", profile=name, key=key)
    values: dict = {}
    for key in _TEXT_KEYS:
        if key in written:
            value = table[written[key]]
            if not isinstance(value, str):
                raise ProfileError(source, f"must be text, got {type(value).__name__}",
                                   profile=name, key=written[key])
            values[key] = value.strip()
            if not values[key] and key in ("secret_env", "secret_command", "secret"):
                raise ProfileError(source, "is empty; leave it out or say where the secret "
                                   "comes from", profile=name, key=key)
    if "scope" in table:
        scope = table["scope"]
        if isinstance(scope, list) and all(isinstance(s, str) for s in scope):
            scope = " ".join(s.strip() for s in scope if s.strip())
        if not isinstance(scope, str):
            raise ProfileError(source, "must be text or a list of text (space-separated "
                               "scopes)", profile=name, key="scope")
        values["scope"] = " ".join(scope.split())
    values.update(_guard_values(source, name, table))
    if not values.get("url"):
        raise ProfileError(source, "is missing; every profile needs the Orchestrator URL",
                           profile=name, key="url")
    return check_profile(Profile(name=name, **values), source)


def _guard_values(source: str, name: str, table: dict) -> dict:
    """The guard keys of a profile's table, checked (``ProfileError`` naming the key)."""
    values: dict = {}
    if "protected" in table:
        if not isinstance(table["protected"], bool):
            raise ProfileError(source, "must be true or false", profile=name, key="protected")
        values["protected"] = table["protected"]
    if "protected_folders" in table:
        folders = table["protected_folders"]
        if not isinstance(folders, list) or not all(
                isinstance(f, str) and f.strip() for f in folders):
            raise ProfileError(source, "must be a list of folder paths, e.g. [\"Production\", "
                               "\"Finance/Payroll\"]", profile=name, key="protected_folders")
        values["protected_folders"] = tuple(f.strip() for f in folders)
    if "max_jobs" in table:
        cap = table["max_jobs"]
        if isinstance(cap, bool) or not isinstance(cap, int) or not 1 <= cap <= MAX_JOBS:
            raise ProfileError(source, f"must be a whole number from 1 to {MAX_JOBS:,} (the "
                               "most jobs one start may create without a confirmation)",
                               profile=name, key="max_jobs")
        values["max_jobs"] = cap
    return values


def check_profile(profile: Profile, source: Optional[str] = None) -> Profile:
    """Validate one profile; the ``ProfileError`` names ``source`` (default profiles.toml)."""
    source = str(source or profiles_file())
    name = profile.name
    if not _NAME.match(name or ""):
        raise ProfileError(
            source, f"{name!r} is not a valid profile name: use letters, digits, '.', '_' and "
            "'-' (at most 64, starting with a letter or digit)")
    _check_url(source, name, "url", profile.url)
    if profile.identity_url:
        _check_url(source, name, "identity_url", profile.identity_url)
    if profile.auth_mode not in AUTH_MODES:
        raise ProfileError(source, f"unknown auth mode {profile.auth_mode!r}; use one of: "
                           f"{', '.join(AUTH_MODES)}", profile=name, key="auth_mode")
    chosen = [key for key in ("secret_env", "secret_command", "secret") if getattr(profile, key)]
    if len(chosen) > 1:
        raise ProfileError(source, f"only one secret source may be set, found {', '.join(chosen)}",
                           profile=name, key=chosen[1])
    if profile.secret and profile.secret not in ("prompt", "file"):
        raise ProfileError(
            source, "must be \"prompt\" or \"file\"; the secret itself never goes in "
            "profiles.toml (use secret = \"file\" to keep it in secrets.toml)",
            profile=name, key="secret")
    if profile.secret_env and not _ENV_NAME.match(profile.secret_env):
        raise ProfileError(source, f"{profile.secret_env!r} is not an environment variable "
                           "name (letters, digits and '_')", profile=name, key="secret_env")
    if profile.secret_command:
        try:
            words = shlex.split(profile.secret_command)
        except ValueError as exc:
            raise ProfileError(source, f"cannot be split into words ({exc})", profile=name,
                               key="secret_command") from None
        if not words:
            raise ProfileError(source, "is empty", profile=name, key="secret_command")
    return profile


def parse_profiles(text: str, source: str = "profiles.toml") -> dict[str, Profile]:
    """Validate the TOML text of a profiles file."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(source, f"is not valid TOML: {exc}") from None
    for key in data:
        if key not in ("version", "profiles"):
            raise ProfileError(source, "is not a known key; expected version and "
                               "[profiles.NAME] tables", key=key)
    version = data.get("version", FORMAT_VERSION)
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise ProfileError(source, f"unsupported version {version!r}; this startjob reads "
                           f"version {FORMAT_VERSION}", key="version")
    tables = data.get("profiles", {})
    if not isinstance(tables, dict):
        raise ProfileError(source, "must be a table of profiles ([profiles.NAME])",
                           key="profiles")
    return {name: _profile_from_table(source, name, table) for name, table in tables.items()}


# -- reading and writing --------------------------------------------------------------------

def load_profiles(path: Optional[Path] = None) -> dict[str, Profile]:
    """Every profile by name ({} when the file does not exist)."""
    path = Path(path) if path is not None else profiles_file()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ProfileError(str(path), f"cannot be read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ProfileError(str(path), f"is not UTF-8 text (bad byte at offset {exc.start})") \
            from None
    return parse_profiles(text, str(path))


def get_profile(name: str, path: Optional[Path] = None) -> Profile:
    """One profile, or a ``ProfileError`` listing the ones that exist."""
    profiles = load_profiles(path)
    if name not in profiles:
        where = path or profiles_file()
        known = ", ".join(sorted(profiles)) or "none yet"
        raise ProfileError(str(where), f"has no profile {name!r} (profiles: {known})")
    return profiles[name]


def _write_profiles(profiles: dict[str, Profile], path: Path) -> Path:
    document = {
        "version": FORMAT_VERSION,
        "profiles": {name: profiles[name].to_toml_table() for name in sorted(profiles)},
    }
    header = ("# startjob connection profiles. Secrets never go here: each profile names its\n"
              "# source with secret_env, secret_command, secret = \"prompt\" or \"file\".\n")
    text = header + tomli_w.dumps(document)
    parse_profiles(text, str(path))  # never write what could not be read back
    return atomic_write_text(path, text, mode=0o644)


def save_profile(profile: Profile, *, secret: Optional[str] = None,
                 store_secret: bool = False, path: Optional[Path] = None) -> Path:
    """Add or replace ``profile`` (other profiles are kept) and return the file's path.

    With ``store_secret=True`` the ``secret`` is kept in ``secrets.toml`` (mode 0600) and the
    profile's source becomes ``secret = "file"``; only do this when the person chose it. A
    profile whose source is no longer "file" has any stored secret removed. Only the fields of
    the profile's sign-in mode are saved. A profile without guard keys that replaces one
    with them keeps them (``protected``...: only an edit of the file removes them).
    """
    from tui_app import secret_sources

    path = Path(path) if path is not None else profiles_file()
    if store_secret:
        if not secret:
            raise ProfileError(str(path), "there is no secret to store", profile=profile.name)
        profile = replace(profile, secret="file", secret_env="", secret_command="")
    elif secret is not None:
        raise ProfileError(str(path), "a secret is only saved with store_secret=True (the "
                           "person must choose to keep it in secrets.toml)", profile=profile.name)
    profile = check_profile(profile.for_its_mode(), str(path))
    with locked(path):
        profiles = load_profiles(path)
        old = profiles.get(profile.name)
        if old is not None and old.guarded and not profile.guarded:  # only an edit drops them
            profile = replace(profile, protected=old.protected,
                              protected_folders=old.protected_folders, max_jobs=old.max_jobs)
        profiles[profile.name] = profile
        if store_secret and secret:  # store_secret without a secret was refused above
            secret_sources.store_secret(profile.name, secret)
        written = _write_profiles(profiles, path)
        if profile.secret_source != "file":
            secret_sources.forget_secret(profile.name)
    return written




# -- the last profile used ------------------------------------------------------------------

def last_profile() -> Optional[str]:
    """The profile used in the last successful connection (None if unknown or unreadable)."""
    try:
        data = tomllib.loads(state_file().read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    name = data.get("last_profile")
    return name if isinstance(name, str) and _NAME.match(name) else None


def remember_profile(name: Optional[str]) -> None:
    """Remember ``name`` as the last profile used (None forgets it). Best effort: a state file
    that cannot be written is not worth failing a connection for."""
    try:
        with locked(state_file()):
            try:
                data = tomllib.loads(state_file().read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                data = {}
            if name:
                data["last_profile"] = name
            else:
                data.pop("last_profile", None)
            atomic_write_text(state_file(), tomli_w.dumps(data), mode=0o600)
    except (OSError, ValueError, LocationError):
        pass
