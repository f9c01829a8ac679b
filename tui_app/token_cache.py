"""Access tokens kept between runs, so a replay does not sign in again.

One small JSON file per connection in ``<cache>/tokens`` (folder 0700, files 0600):
``profile-NAME.json`` for a profile, ``url-HASH.json`` otherwise. Each file records a
fingerprint of what the token was issued for (URL, auth mode, client id or user, tenant,
scope, identity URL), so a changed profile never reuses a token meant for something else,
and a keyed hash of the secret that obtained it (HMAC-SHA256 with a random per-install key,
``<cache>/tokens/.hmac-key``, 0600; never the secret, never a plain hash of it): a token is
only reused when the client secret or password given now is the one that obtained it, so a
wrong secret signs in afresh and is refused as it should be. A token is reused until
``margin`` seconds before it expires; a file that cannot be read, parsed or trusted is ignored
(and replaced by the next sign-in), never fatal. Personal access tokens are not cached: they
are the credential itself, and never replaced by a cached one.

``ConnectionSettings.open_client`` seeds the auth flow with the cached token and saves new
ones through its ``on_token`` callback; a cached token the server refuses (401) makes the flow
sign in again once, and the new token replaces it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable, NamedTuple, Optional

from tui_app.files import atomic_write_text
from tui_app.locations import LocationError, cache_dir, ensure_dir
from tui_app.urls import without_userinfo

if TYPE_CHECKING:
    from tui_app.connection import ConnectionSettings

log = logging.getLogger(__name__)

FORMAT_VERSION = 2
#: The per-install HMAC key, in the tokens folder (never removed by ``logout``).
KEY_FILE = ".hmac-key"
#: A cached token is not used when it expires within this many seconds.
REUSE_MARGIN = 120.0


def token_cache_dir() -> Path:
    return cache_dir() / "tokens"


def fingerprint(settings: ConnectionSettings) -> str:
    """What a token is valid for, as a hex digest (no secret goes into it)."""
    parts = {
        "url": without_userinfo(settings.url.strip()).rstrip("/").lower(),
        "auth_mode": settings.auth_mode,
        "client_id": settings.client_id.strip(),
        "scope": " ".join(settings.scope.split()),
        "identity_url": settings.identity_url.strip().lower(),
        "tenancy_name": settings.tenancy_name.strip().lower(),
        "username": settings.username.strip().lower(),
    }
    text = json.dumps(parts, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cacheable(settings: ConnectionSettings) -> bool:
    return bool(getattr(settings, "token_cache", True)) and settings.auth_mode != "token"


def _secret_of(settings: ConnectionSettings) -> str:
    return settings.password if settings.auth_mode == "password" else settings.client_secret


class CachedToken(NamedTuple):
    """A cached access token and when it expires (its repr never shows the token)."""

    token: str
    expires_at: float

    def __repr__(self) -> str:
        return f"CachedToken(token='***', expires_at={self.expires_at!r})"

    def __str__(self) -> str:
        return self.__repr__()


class TokenCache:
    """Load, save and forget cached tokens (``directory`` defaults to ``token_cache_dir()``)."""

    def __init__(self, directory: Optional[Path] = None, *, margin: float = REUSE_MARGIN,
                 clock: Callable[[], float] = time.time) -> None:
        self._directory = Path(directory) if directory is not None else None
        self.margin = margin
        self._clock = clock

    @property
    def directory(self) -> Path:
        return self._directory if self._directory is not None else token_cache_dir()

    def path_for(self, settings: ConnectionSettings) -> Path:
        profile = getattr(settings, "profile", "")
        if profile:
            return self.directory / f"profile-{profile}.json"
        return self.directory / f"url-{fingerprint(settings)[:32]}.json"

    def load(self, settings: ConnectionSettings) -> Optional[CachedToken]:
        """The cached token for ``settings`` when it is fresh and was obtained with the secret
        in ``settings``, else None."""
        if not cacheable(settings):
            return None
        data = _read_private(self.path_for(settings))
        if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
            return None
        token, expires_at = data.get("access_token"), data.get("expires_at")
        if (data.get("fingerprint") != fingerprint(settings) or not isinstance(token, str)
                or not token or isinstance(expires_at, bool)
                or not isinstance(expires_at, (int, float))):
            return None
        if self._clock() >= expires_at - self.margin:
            return None
        expected = self._credential(settings, create=False)
        stored = data.get("credential")
        if expected is None or not isinstance(stored, str) or not hmac.compare_digest(
                stored, expected):
            log.info("the cached token was obtained with other credentials; signing in afresh")
            return None
        return CachedToken(token, float(expires_at))

    def save(self, settings: ConnectionSettings, token: str, expires_at: Optional[float]) -> None:
        """Keep ``token`` (tokens without an expiry time are not kept). Never raises."""
        if not cacheable(settings) or not token or expires_at is None:
            return
        try:
            ensure_dir(self.directory, private=True)
            credential = self._credential(settings, create=True)
            if credential is None:
                return
            data = {
                "version": FORMAT_VERSION,
                "fingerprint": fingerprint(settings),
                "credential": credential,
                "url": without_userinfo(settings.url.strip()),
                "auth_mode": settings.auth_mode,
                "access_token": token,
                "expires_at": float(expires_at),
                "saved_at": self._clock(),
            }
            atomic_write_text(self.path_for(settings), json.dumps(data, indent=1), mode=0o600)
        except (OSError, LocationError) as exc:
            log.warning("could not cache the access token: %s", exc)

    def _credential(self, settings: ConnectionSettings, *, create: bool) -> Optional[str]:
        """HMAC-SHA256 of the secret in ``settings`` (and what it is for) with the install
        key; None when there is no usable key (``create`` makes one when there is none)."""
        key = self._key(create)
        if key is None:
            return None
        message = json.dumps({"for": fingerprint(settings), "secret": _secret_of(settings)})
        return hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()

    def _key(self, create: bool) -> Optional[bytes]:
        path = self.directory / KEY_FILE
        for _ in range(2):
            text = _read_private(path, parse=False)
            if isinstance(text, str):
                try:
                    key = bytes.fromhex(text.strip())
                except ValueError:
                    key = b""
                if len(key) >= 32:
                    return key
                log.warning("ignoring the malformed token cache key %s", path)
                return None
            if not create or text is None:
                return None
            try:
                atomic_write_text(path, secrets.token_hex(32), overwrite=False, mode=0o600)
            except FileExistsError:
                pass  # another process made it at the same moment: read theirs
        return None

    def forget(self, settings: ConnectionSettings) -> bool:
        return _unlink(self.path_for(settings))

    def clear(self, profile: Optional[str] = None) -> int:
        """Remove one profile's cached token, or (None) every cached token; how many."""
        if profile:
            return int(_unlink(self.directory / f"profile-{profile}.json"))
        try:
            paths = list(self.directory.glob("*.json"))
        except OSError:
            return 0
        return sum(1 for path in paths if _unlink(path))

    def callback(self, settings: ConnectionSettings) -> Callable[[str, Optional[float]], None]:
        """An ``on_token`` callback for the auth flows that saves into this cache."""
        def on_token(token: str, expires_at: Optional[float]) -> None:
            self.save(settings, token, expires_at)
        return on_token


_MISSING = object()


def _read_private(path: Path, *, parse: bool = True) -> object:
    """The JSON (or, without ``parse``, the text) of a cache file that only we can read;
    ``_MISSING`` when it does not exist, None when it cannot be read or trusted."""
    try:
        with open(path, "rb") as handle:
            info = os.fstat(handle.fileno())
            raw = handle.read(64 * 1024)
    except FileNotFoundError:
        return _MISSING
    except OSError:
        return None
    if os.name != "nt" and (info.st_mode & 0o077 or (
            hasattr(os, "getuid") and info.st_uid != os.getuid())):
        log.warning("ignoring %s: it is readable by others or not ours", path)
        return None
    try:
        return json.loads(raw) if parse else raw.decode("ascii")
    except (ValueError, UnicodeDecodeError):
        log.warning("ignoring the unreadable token cache file %s", path)
        return None


def _unlink(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    except OSError as exc:
        log.warning("could not remove %s: %s", path, exc)
        return False
    return True


def logout(profile: Optional[str] = None) -> int:
    """Forget the cached token of ``profile``, or every cached token; returns how many."""
    return TokenCache().clear(profile)
