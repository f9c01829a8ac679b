"""Where startjob keeps its files.

Folders come from platformdirs (app name ``startjob``). ``STARTJOB_HOME`` puts everything under
one folder; ``STARTJOB_CONFIG_DIR`` / ``STARTJOB_DATA_DIR`` / ``STARTJOB_CACHE_DIR`` override one
each (for a read-only or shared HOME). Nothing is created here: ``ensure_dir`` creates a folder
on demand and turns any OS error into a ``LocationError`` with a sentence a person understands.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "startjob"


class LocationError(Exception):
    """A folder startjob needs cannot be created or used."""


def _override(kind: str) -> Path | None:
    specific = os.environ.get(f"STARTJOB_{kind.upper()}_DIR")
    if specific:
        return Path(specific).expanduser()
    home = os.environ.get("STARTJOB_HOME")
    if home:
        return Path(home).expanduser() / kind
    return None


def config_dir() -> Path:
    return _override("config") or platformdirs.user_config_path(APP_NAME, appauthor=False)


def data_dir() -> Path:
    return _override("data") or platformdirs.user_data_path(APP_NAME, appauthor=False)


def cache_dir() -> Path:
    return _override("cache") or platformdirs.user_cache_path(APP_NAME, appauthor=False)


def log_dir() -> Path:
    return _override("log") or platformdirs.user_log_path(APP_NAME, appauthor=False)


def templates_dir() -> Path:
    return data_dir() / "templates"


def settings_file() -> Path:
    """``settings.toml``: settings that are not a profile (``template_path``, see
    ``tui_app.library``)."""
    return config_dir() / "settings.toml"


def history_file() -> Path:
    return data_dir() / "history.jsonl"


def ensure_dir(path: Path, *, private: bool = False) -> Path:
    """Create ``path`` (and parents) if missing; ``private`` makes it owner-only (0700)."""
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700 if private else 0o777)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise LocationError(
            f"Cannot create the folder {path}: {reason}. "
            "Set STARTJOB_HOME (or STARTJOB_CONFIG_DIR / STARTJOB_DATA_DIR) to a writable folder."
        ) from exc
    if not path.is_dir():
        raise LocationError(f"{path} exists but is not a folder.")
    return path


def all_locations() -> dict[str, Path]:
    """Every path startjob uses, for ``startjob locate``."""
    return {
        "config": config_dir(),
        "data": data_dir(),
        "templates": templates_dir(),
        "history": history_file(),
        "cache": cache_dir(),
        "log": log_dir(),
    }
