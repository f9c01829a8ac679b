"""The template library: the folders templates are found in, in search order.

The personal folder (``locations.templates_dir()``) comes first, then shared ones: those of
``STARTJOB_TEMPLATE_PATH`` (``os.pathsep``-separated, ``~`` expanded), then those of
``template_path = [...]`` in ``<config dir>/settings.toml``. A folder listed twice (or the
personal folder listed again) is searched once. startjob never writes into a shared folder;
a shared folder that is missing or cannot be read is reported as a warning, never an error.
"""

from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Optional

from tui_app.locations import settings_file, templates_dir
from tui_app.userfiles import UserFileError, read_user_file

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ENV_VAR = "STARTJOB_TEMPLATE_PATH"
SETTING = "template_path"
#: settings.toml is a few lines; anything bigger is not one.
_MAX_SETTINGS_BYTES = 64 * 1024

Origin = Literal["personal", "shared"]


@dataclass(frozen=True)
class Folder:
    """One folder of the library and where it was configured (``source``)."""

    path: Path
    origin: Origin
    source: str
    #: Why a shared folder cannot be searched (None: it can); ``warnings`` says it too.
    problem: Optional[str] = None


@dataclass(frozen=True)
class SearchPath:
    """The folders in search order and what was wrong with the configuration."""

    folders: tuple[Folder, ...]
    warnings: tuple[str, ...] = field(default=())

    @property
    def shared(self) -> tuple[Folder, ...]:
        return tuple(f for f in self.folders if f.origin == "shared")


def search_path() -> SearchPath:
    """The personal folder, then the shared ones (env, then setting), duplicates dropped."""
    warnings: list[str] = []
    personal = templates_dir()
    folders = [Folder(personal, "personal", "personal folder")]
    seen = {_key(personal)}
    candidates = [(p, ENV_VAR) for p in _env_paths()]
    setting, problem = _setting_paths()
    if problem:
        warnings.append(problem)
    candidates += [(p, f"{SETTING} in {settings_file()}") for p in setting]
    for path, source in candidates:
        key = _key(path)
        if key in seen:
            continue
        seen.add(key)
        problem = folder_problem(path)
        folders.append(Folder(path, "shared", source, problem))
        if problem:
            warnings.append(f"shared template folder {path} ({source}): {problem}")
    return SearchPath(tuple(folders), tuple(warnings))


def folder_problem(path: Path) -> Optional[str]:
    """Why ``path`` cannot be searched (None: it can)."""
    try:
        if not path.is_dir():
            return "does not exist" if not path.exists() else "is not a folder"
        with os.scandir(path) as listing:
            next(listing, None)
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    return None


def shared_folder_of(path: Path, search: Optional[SearchPath] = None) -> Optional[Folder]:
    """The shared folder ``path`` lies in (at any depth), or None."""
    target = _key(path)
    for folder in (search or search_path()).shared:
        root = _key(folder.path)
        if target == root or root in target.parents:
            return folder
    return None


class SharedFolderError(ValueError):
    """A template was to be written into a shared folder (startjob never does)."""


def personal_target(path: Optional[Path]) -> Optional[Path]:
    """``path`` (None: the default, personal one), unless it lies in a shared folder and not
    in the personal one: then ``SharedFolderError`` says to save a personal copy."""
    if path is None:
        return None
    search = search_path()
    personal = _key(search.folders[0].path)
    target = _key(path)
    if target == personal or personal in target.parents:
        return path
    folder = shared_folder_of(path, search)
    if folder is None:
        return path
    raise SharedFolderError(
        f"{path} is in the shared template folder {folder.path} ({folder.source}), which "
        f"startjob never writes to; save a personal copy in {search.folders[0].path}."
    )


def owner(path: Path) -> str:
    """The login name of the file's owner; its uid when it has none (or no ``pwd``)."""
    try:
        return _login_name(path.stat().st_uid)
    except OSError:
        return "?"


@functools.lru_cache(maxsize=64)
def _login_name(uid: int) -> str:
    """Looked up once per uid (a directory service can be slow)."""
    try:
        import pwd
    except ImportError:  # Windows: no owner names
        return str(uid)
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def writable(path: Path) -> bool:
    return os.access(path, os.W_OK)


def _env_paths() -> list[Path]:
    value = os.environ.get(ENV_VAR, "")
    return [Path(part).expanduser() for part in value.split(os.pathsep) if part.strip()]


def _setting_paths() -> tuple[list[Path], Optional[str]]:
    path = settings_file()
    try:
        raw = read_user_file(path, _MAX_SETTINGS_BYTES)
    except FileNotFoundError:
        return [], None
    except UserFileError as exc:
        return [], f"{path}: {exc}; its {SETTING} is ignored"
    except OSError as exc:
        return [], f"{path}: cannot be read ({exc.strerror or exc}); its {SETTING} is ignored"
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return [], f"{path}: is not valid TOML ({exc}); its {SETTING} is ignored"
    value = data.get(SETTING, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return [], f"{path}: {SETTING} must be a list of folder paths; it is ignored"
    return [Path(v).expanduser() for v in value if v.strip()], None


def _key(path: Path) -> Path:
    """``path`` made comparable (absolute, normalised, case-folded where the OS is)."""
    return Path(os.path.normcase(os.path.abspath(path)))
