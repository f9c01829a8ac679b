"""The resolution cache of ``startjob run``: the folder and identity found last time.

A real start (never ``--dry-run``) of a ``start_job`` template looks up, besides the release
and the robots, the folder (``GET /odata/Folders``) and who is signed in (``GetCurrentUser``,
for the history). After a start that went through with a full resolution, those answers are
kept in
``cache_dir()/resolutions/<key>.json`` (0600) for ``TTL`` seconds. The key is a digest of
the Orchestrator URL, the tenant, the folder path, the process key, the sign-in (as the token
cache tells sign-ins apart, no secret in it) and the template file's bytes: editing the
template, or pointing it elsewhere, misses.

What a hit skips, and what it never skips:

- skipped: the Folders list (the cached folder id is sent; a folder id never names another
  folder), ``GetCurrentUser`` (a personal access token's identity is never cached);
- never skipped: the release (``Releases`` is read in the cached folder every time, so the
  release key, its version and argument model, and the argument drift check are today's),
  the robots (a template names robots, and a renamed robot must not be started by its old
  name; their states are today's too), the option facts (entry points, machine sessions,
  runtimes) and StartJobs' own checks.

A hit is only used when it checks out: a cached folder that Orchestrator refuses, no release
in it, or any blocking drift finding against it drops the cache and the full resolution
decides. StartJobs refusing a start for a reason a stale cache explains (``stale_refusal``:
404, or errorCode 1002, 1100, 1101, 2810) started nothing; the cache is dropped and the start
is resolved in full and sent once more. A file that cannot be read, is not JSON of this
format, is for another key or is older than ``TTL`` is ignored (and replaced by the next full
resolution); a write that fails is silently skipped (the cache only saves time).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from tui_app.connection import ConnectionSettings
from tui_app.files import atomic_write_text
from tui_app.locations import LocationError, cache_dir
from tui_app.orchestrator.errors import OrchestratorError
from tui_app.orchestrator.models import CurrentUser, Folder
from tui_app.token_cache import fingerprint
from tui_app.urls import without_userinfo

FORMAT_VERSION = 1
#: Seconds a full resolution stands in for the next ones (a hit never extends it).
TTL = 15 * 60.0
#: StartJobs refusals that a stale folder or release explains (``stale_refusal``).
STALE_CODES = frozenset({"1002", "1100", "1101", "2810"})


def resolution_cache_dir() -> Path:
    return cache_dir() / "resolutions"


def cache_key(settings: ConnectionSettings, folder_path: Optional[str], process_key: str,
              template_path: Path) -> Optional[str]:
    """The digest a resolution is filed under; None when the template cannot be read."""
    try:
        template_hash = hashlib.sha256(Path(template_path).read_bytes()).hexdigest()
    except OSError:
        return None
    parts = {
        "url": without_userinfo(settings.url.strip()).rstrip("/").lower(),
        "tenant": settings.tenant,
        "folder": folder_path or "",
        "process": process_key,
        "sign_in": fingerprint(settings),
        "template": template_hash,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode("utf-8")).hexdigest()


def stale_refusal(error: Optional[OrchestratorError]) -> bool:
    """Whether a StartJobs refusal may come from a stale cached folder or release."""
    if error is None:
        return False
    return error.status == 404 or str(error.error_code) in STALE_CODES


@dataclass(frozen=True)
class Resolution:
    """What a full resolution found: the folder (None: no folder) and the identity (None:
    not cached)."""

    folder: Optional[Folder]
    identity: Optional[CurrentUser]
    saved_at: float


class ResolutionCache:
    """The cache files in ``directory`` (default ``resolution_cache_dir()``)."""

    def __init__(self, directory: Optional[Path] = None, *, ttl: float = TTL,
                 clock: Any = time.time) -> None:
        self._directory = directory
        self.ttl = ttl
        self._clock = clock

    @property
    def directory(self) -> Path:
        return self._directory or resolution_cache_dir()

    def path_for(self, key: str) -> Path:
        return self.directory / f"{key[:32]}.json"

    def load(self, key: str) -> Optional[Resolution]:
        """The resolution filed under ``key``; None when missing, unreadable or expired."""
        try:
            data = json.loads(self.path_for(key).read_text(encoding="utf-8"))
            if data.get("format") != FORMAT_VERSION or data.get("key") != key:
                return None
            saved_at = float(data["saved_at"])
            if not 0 <= self._clock() - saved_at <= self.ttl:
                return None
            folder = Folder.from_api(data["folder"]) if data["folder"] is not None else None
            identity = (CurrentUser.from_api(data["identity"])
                        if data["identity"] is not None else None)
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return None
        return Resolution(folder, identity, saved_at)

    def save(self, key: str, folder: Optional[Folder], identity: Optional[Any]) -> None:
        """File a full resolution under ``key`` (``identity``: only a ``CurrentUser`` that
        Orchestrator answered is kept)."""
        data = {
            "format": FORMAT_VERSION,
            "key": key,
            "saved_at": self._clock(),
            "folder": dict(folder.raw) if folder is not None and folder.raw else None,
            "identity": (dict(identity.raw) if isinstance(identity, CurrentUser) and identity.raw
                         else None),
        }
        if folder is not None and data["folder"] is None:
            return  # a folder without its answer cannot be rebuilt
        with contextlib.suppress(OSError, LocationError, TypeError, ValueError):
            atomic_write_text(self.path_for(key), json.dumps(data), mode=0o600)

    def forget(self, key: str) -> None:
        with contextlib.suppress(OSError):
            self.path_for(key).unlink()
