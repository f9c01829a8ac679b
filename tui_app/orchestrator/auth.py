"""Signing in to Orchestrator, as ``httpx.Auth`` classes.

* :class:`ClientCredentialsAuth` - an external application (client id + secret) asks the
  identity server for a token (OAuth2 client credentials). Automation Cloud / Automation Suite.
* :class:`PasswordAuth` - user name + password against ``/api/Account/Authenticate``
  (standalone Orchestrator; the token lives 30 minutes).
* :class:`TokenAuth` - a personal access token, sent as is.

The token request is yielded from the auth flow itself, so it goes through the same
``httpx.AsyncClient`` (and the same transport in tests). A token is renewed shortly before it
runs out; when Orchestrator answers 401 the flow signs in again once and replays the request,
and if that is refused too it raises :class:`AuthenticationError`.

A caller can seed a token (``token=``, ``expires_at=``; ``expires_at`` is seconds since the
epoch) and observe new ones with ``on_token(token, expires_at)`` - enough to put a token
cache in front later. Nothing is counted or stored globally.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import weakref
from collections.abc import AsyncGenerator, Generator, Iterable
from typing import Any, Callable, Optional, Union

import httpx

from .errors import (
    AuthenticationError,
    PermissionDenied,
    ProtocolError,
    RateLimited,
    ServerError,
    ServerFacts,
)
from .failures import parse_error_body
from .retry import parse_retry_after

__all__ = [
    "CLOUD_IDENTITY_URL",
    "DEFAULT_SCOPES",
    "OPTIONAL_SCOPES",
    "ClientCredentialsAuth",
    "PasswordAuth",
    "TokenAuth",
    "identity_url_for",
    "orchestrator_base_of",
]

log = logging.getLogger(__name__)

#: The scopes the wizard needs: folders, processes, jobs (read + start/stop), robots, machines.
DEFAULT_SCOPES = "OR.Folders.Read OR.Execution.Read OR.Jobs OR.Robots.Read OR.Machines.Read"
#: Asked for too with the default scopes, for robot logs, the identity in the history, job
#: attachments (input over 10,000 characters sent as a file) and queue items; an application
#: not granted them gets ``invalid_scope``, and is then signed in without them.
OPTIONAL_SCOPES = "OR.Monitoring.Read OR.Users.Read OR.Folders.Write OR.Queues"
CLOUD_IDENTITY_URL = "https://cloud.uipath.com/identity_/connect/token"
#: Client-credentials fallback when the identity server does not say ``expires_in``.
DEFAULT_TOKEN_LIFETIME = 3600.0
#: ``/api/Account/Authenticate`` tokens expire after 30 minutes by default.
PASSWORD_TOKEN_LIFETIME = 1800.0
#: Renew this long before the token runs out (at most; a tenth of a short lifetime).
RENEW_MARGIN = 60.0

TokenCallback = Callable[[str, Optional[float]], None]


def _origin(url: httpx.URL) -> httpx.URL:
    return url.copy_with(path="/", query=None, fragment=None)


def _segments(url: httpx.URL) -> list:
    return [s for s in url.path.split("/") if s]


def orchestrator_base_of(url: Union[str, httpx.URL]) -> str:
    """The Orchestrator base URL that a request URL belongs to.

    ``https://h/org/tenant/orchestrator_/odata/Jobs`` -> ``https://h/org/tenant/orchestrator_``;
    ``https://onprem/odata/Jobs`` -> ``https://onprem``. A base URL is returned unchanged
    (without a trailing slash).
    """
    url = httpx.URL(str(url))
    segments = _segments(url)
    keep = segments
    lowered = [s.lower() for s in segments]
    if "orchestrator_" in lowered:
        keep = segments[: lowered.index("orchestrator_") + 1]
    else:
        for i, s in enumerate(lowered):
            if s in ("odata", "api"):
                keep = segments[:i]
                break
    base = url.copy_with(path="/" + "/".join(keep), query=None, fragment=None)
    return str(base).rstrip("/")


def identity_url_for(orchestrator_url: Union[str, httpx.URL]) -> str:
    """The token endpoint that belongs to an Orchestrator URL.

    Cloud-shaped URLs (``scheme://host/{org}/{tenant}/orchestrator_``: Automation Cloud,
    Automation Suite, the sandbox) and any ``*.uipath.com`` host use the host-level
    ``scheme://host/identity_/connect/token``. Anything else is treated as a standalone
    Orchestrator with its Identity Server at ``scheme://host/identity/connect/token``.
    """
    url = httpx.URL(str(orchestrator_url))
    if not url.host:
        raise ValueError(f"not an absolute URL: {str(orchestrator_url)!r}")
    host = url.host.lower()
    lowered = [s.lower() for s in _segments(url)]
    cloud = "orchestrator_" in lowered or host == "uipath.com" or host.endswith(".uipath.com")
    path = "/identity_/connect/token" if cloud else "/identity/connect/token"
    return str(url.copy_with(path=path, query=None, fragment=None))


def _scope_text(scope: Union[str, Iterable[str], None]) -> str:
    if scope is None:
        return DEFAULT_SCOPES
    if isinstance(scope, str):
        return " ".join(scope.split())
    return " ".join(str(s).strip() for s in scope if str(s).strip())


def _json_object(response: httpx.Response, what: str) -> dict:
    try:
        data = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        raise ProtocolError(
            f"{what} at {response.request.url} did not answer with JSON. Check the URL.",
            status=response.status_code,
        )
    return data


class _BearerAuth(httpx.Auth):
    """Bearer tokens with renewal before expiry and one re-sign-in on 401."""

    requires_response_body = True
    #: Whether this flow can get a new token by itself.
    can_renew = True

    def __init__(
        self,
        *,
        token: Optional[str] = None,
        expires_at: Optional[float] = None,
        on_token: Optional[TokenCallback] = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._token = token or None
        self._expires_at = expires_at if token else None
        self._on_token = on_token
        self._clock = clock
        self._margin = RENEW_MARGIN
        self._locks: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    # -- state ------------------------------------------------------------------------------

    @property
    def token(self) -> Optional[str]:
        """The current access token (None before the first sign-in)."""
        return self._token

    @property
    def expires_at(self) -> Optional[float]:
        """When the current token runs out, in seconds since the epoch (None: unknown)."""
        return self._expires_at

    def invalidate(self) -> None:
        """Forget the token; the next request signs in again."""
        if self.can_renew:
            self._token = None
            self._expires_at = None

    def _usable(self) -> Optional[str]:
        if not self._token:
            return None
        if self._expires_at is not None and self._clock() >= self._expires_at - self._margin:
            return None
        return self._token

    def _store(self, token: str, expires_at: Optional[float]) -> None:
        self._token = token
        self._expires_at = expires_at
        if expires_at is not None:
            lifetime = max(0.0, expires_at - self._clock())
            self._margin = min(RENEW_MARGIN, lifetime / 10.0)
        if self._on_token is not None:
            try:
                self._on_token(token, expires_at)
            except Exception:  # a failing cache must not break signing in
                log.warning("on_token callback failed", exc_info=True)

    def _lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[loop] = lock
        return lock

    # -- what subclasses provide -----------------------------------------------------------

    def _token_request(self, original: httpx.Request) -> httpx.Request:
        raise NotImplementedError

    def _read_token_response(self, response: httpx.Response) -> tuple[str, Optional[float]]:
        raise NotImplementedError

    def _refused_text(self, after_retry: bool) -> str:
        raise NotImplementedError

    # -- shared pieces ----------------------------------------------------------------------

    def _new_request(self, original: httpx.Request, method: str, url: str, *,
                     data: Optional[dict[str, str]] = None,
                     json: Optional[dict[str, Any]] = None) -> httpx.Request:
        headers = {"Accept": "application/json"}
        agent = original.headers.get("User-Agent")
        if agent:
            headers["User-Agent"] = agent
        extensions = {}
        if "timeout" in original.extensions:
            extensions["timeout"] = original.extensions["timeout"]
        return httpx.Request(method, url, headers=headers, extensions=extensions, data=data,
                             json=json)

    def _accept(self, response: httpx.Response) -> str:
        token, expires_at = self._read_token_response(response)
        self._store(token, expires_at)
        return token

    def _accept_or_retry(self, response: httpx.Response) -> Optional[str]:
        """The token of ``response``, or None when the token request should be sent again
        (``ClientCredentialsAuth`` without its optional scopes)."""
        return self._accept(response)

    @staticmethod
    def _apply(request: httpx.Request, token: str) -> None:
        request.headers["Authorization"] = f"Bearer {token}"

    def _refused(self, response: httpx.Response, *, after_retry: bool) -> AuthenticationError:
        """The error for a 401 that will not be retried; the refused token is forgotten."""
        self.invalidate()
        body = parse_error_body(response.content)
        return AuthenticationError(
            self._refused_text(after_retry),
            status=response.status_code,
            server_message=body.message,
            error_code=body.error_code,
            trace_id=body.trace_id,
        )

    # -- the flows --------------------------------------------------------------------------

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Synchronous flow (httpx.Client). See :meth:`async_auth_flow` for the async one."""
        fresh = False
        token = self._usable()
        while token is None:
            token = self._accept_or_retry((yield self._token_request(request)))
            fresh = True
        self._apply(request, token)
        response = yield request
        if response.status_code != 401:
            return
        if not self.can_renew or fresh:
            raise self._refused(response, after_retry=False)
        current = self._usable()
        if current is None or current == token:
            token = self._accept((yield self._token_request(request)))
        else:
            token = current
        self._apply(request, token)
        response = yield request
        if response.status_code == 401:
            raise self._refused(response, after_retry=True)

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """Like :meth:`auth_flow`, but concurrent requests share one sign-in (asyncio lock)."""
        fresh = False
        token = self._usable()
        if token is None:
            async with self._lock():
                token = self._usable()
                while token is None:
                    response = yield self._token_request(request)
                    await response.aread()
                    token = self._accept_or_retry(response)
                    fresh = True
        self._apply(request, token)
        response = yield request
        if response.status_code != 401:
            return
        await response.aread()
        if not self.can_renew or fresh:
            raise self._refused(response, after_retry=False)
        async with self._lock():
            current = self._usable()
            if current is None or current == token:
                reply = yield self._token_request(request)
                await reply.aread()
                current = self._accept(reply)
        self._apply(request, current)
        response = yield request
        if response.status_code == 401:
            await response.aread()
            raise self._refused(response, after_retry=True)


class ClientCredentialsAuth(_BearerAuth):
    """OAuth2 client credentials for an external application (Automation Cloud / Suite).

    ``identity_url`` defaults to the one derived from the Orchestrator URL of the request
    (see :func:`identity_url_for`). ``scope`` is a space-separated string or a list.
    """

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        scope: Union[str, Iterable[str], None] = DEFAULT_SCOPES,
        identity_url: Optional[str] = None,
        *,
        token: Optional[str] = None,
        expires_at: Optional[float] = None,
        on_token: Optional[TokenCallback] = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(token=token, expires_at=expires_at, on_token=on_token, clock=clock)
        self.client_id = client_id
        self._client_secret = client_secret
        self.scope = _scope_text(scope)
        #: The default scopes also ask for ``OPTIONAL_SCOPES`` (dropped on ``invalid_scope``).
        self.optional_scopes = OPTIONAL_SCOPES if self.scope == DEFAULT_SCOPES else ""
        self.identity_url = identity_url or None

    def __repr__(self) -> str:
        return f"ClientCredentialsAuth(client_id={self.client_id!r}, scope={self.scope!r})"

    def token_url(self, request_url: Union[str, httpx.URL]) -> str:
        """The token endpoint used for requests to ``request_url``."""
        return self.identity_url or identity_url_for(orchestrator_base_of(request_url))

    def _token_request(self, original: httpx.Request) -> httpx.Request:
        form = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self._client_secret,
        }
        scope = " ".join(part for part in (self.scope, self.optional_scopes) if part)
        if scope:
            form["scope"] = scope
        return self._new_request(original, "POST", self.token_url(original.url), data=form)

    def _accept_or_retry(self, response: httpx.Response) -> Optional[str]:
        code = str(parse_error_body(response.content).error_code or "").strip().lower()
        if self.optional_scopes and code == "invalid_scope":
            log.info("The application lacks %s; signing in without them", self.optional_scopes)
            self.optional_scopes = ""
            return None
        return self._accept(response)

    def _read_token_response(self, response: httpx.Response) -> tuple[str, Optional[float]]:
        status = response.status_code
        where = response.request.url.host or "the identity server"
        if 200 <= status < 300:
            data = _json_object(response, "The identity server")
            token = data.get("access_token")
            if not isinstance(token, str) or not token:
                raise ProtocolError(
                    f"The identity server at {response.request.url} answered without an "
                    "access token. Check the identity URL.",
                    status=status,
                )
            try:
                lifetime = float(data.get("expires_in") or DEFAULT_TOKEN_LIFETIME)
            except (TypeError, ValueError):
                lifetime = DEFAULT_TOKEN_LIFETIME
            return token, self._clock() + max(0.0, lifetime)

        body = parse_error_body(response.content)
        code = str(body.error_code or "").strip().lower()
        facts = ServerFacts(
            status=status,
            server_message=body.message,
            error_code=body.error_code,
            trace_id=body.trace_id,
        )
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            raise RateLimited(
                f"The identity rate limit of {where} was reached (too many sign-ins in a "
                "short time). Wait a few minutes and try again.",
                retry_after=retry_after,
                **facts,
            )
        if code == "invalid_scope":
            raise PermissionDenied(
                f"The identity server refused the requested scopes ({self.scope}). Give "
                "the external application these application scopes in Admin > External "
                "Applications, or ask for fewer.",
                **facts,
            )
        if status >= 500:
            raise ServerError(
                f"The identity server {where} had a problem (HTTP {status}). Try again "
                "later.",
                **facts,
            )
        if status in (404, 405):
            raise AuthenticationError(
                f"No token service answered at {response.request.url} (HTTP {status}). "
                "Check the identity URL.",
                **facts,
            )
        if code in ("unsupported_grant_type", "unauthorized_client"):
            raise AuthenticationError(
                f"The identity server {where} does not allow this application to sign in "
                "with a client secret. Register it as a confidential application with "
                "application scopes.",
                **facts,
            )
        raise AuthenticationError(
            f"The client id or client secret was refused by {where}. Check the external "
            "application's App ID and App Secret, and that it belongs to this "
            "organization.",
            **facts,
        )

    def _refused_text(self, after_retry: bool) -> str:
        first = (
            "Orchestrator refused the access token, even after signing in again"
            if after_retry
            else "Orchestrator refused the access token the identity server had just issued"
        )
        return (
            f"{first}. Check that the Orchestrator URL names the right organization and "
            "tenant, and that the external application has access to that tenant."
        )


class PasswordAuth(_BearerAuth):
    """User name + password via ``POST {orchestrator}/api/Account/Authenticate`` (ROPC).

    The Orchestrator URL comes from ``orchestrator_url`` or from the request being sent.
    """

    def __init__(
        self,
        tenancy_name: str,
        username: str,
        password: str,
        *,
        orchestrator_url: Optional[str] = None,
        token: Optional[str] = None,
        expires_at: Optional[float] = None,
        on_token: Optional[TokenCallback] = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(token=token, expires_at=expires_at, on_token=on_token, clock=clock)
        self.tenancy_name = tenancy_name
        self.username = username
        self._password = password
        self.orchestrator_url = orchestrator_url.rstrip("/") if orchestrator_url else None

    def __repr__(self) -> str:
        return f"PasswordAuth(tenancy_name={self.tenancy_name!r}, username={self.username!r})"

    def authenticate_url(self, request_url: Union[str, httpx.URL]) -> str:
        base = self.orchestrator_url or orchestrator_base_of(request_url)
        return base.rstrip("/") + "/api/Account/Authenticate"

    def _who(self) -> str:
        tenant = f" in tenant {self.tenancy_name!r}" if self.tenancy_name else ""
        return f"user {self.username!r}{tenant}"

    def _token_request(self, original: httpx.Request) -> httpx.Request:
        body = {
            "tenancyName": self.tenancy_name,
            "usernameOrEmailAddress": self.username,
            "password": self._password,
        }
        return self._new_request(original, "POST", self.authenticate_url(original.url), json=body)

    def _read_token_response(self, response: httpx.Response) -> tuple[str, Optional[float]]:
        status = response.status_code
        body = parse_error_body(response.content)
        facts = ServerFacts(
            status=status,
            server_message=body.message,
            error_code=body.error_code,
            trace_id=body.trace_id,
        )
        said = f": {body.message.rstrip()}" if body.message else ""
        if not said.endswith((".", "!", "?")):
            said += "."  # "…: Invalid password. Check the tenant…", never "password Check"
        if 200 <= status < 300:
            data = _json_object(response, "Orchestrator's sign-in")
            error = data.get("error")
            token = data.get("result")
            if error or data.get("success") is False:
                raise AuthenticationError(
                    f"Orchestrator refused the sign-in for {self._who()}{said}", **facts
                )
            if not isinstance(token, str) or not token:
                raise ProtocolError(
                    f"Orchestrator's sign-in at {response.request.url} answered without a "
                    "token. Check the Orchestrator URL.",
                    status=status,
                )
            return token, self._clock() + PASSWORD_TOKEN_LIFETIME
        if status in (404, 405):
            raise AuthenticationError(
                "This Orchestrator does not offer user name and password sign-in "
                f"({response.request.url} answered HTTP {status}). Use an external "
                "application (client id and secret) or a personal access token instead.",
                **facts,
            )
        if status == 429:
            raise RateLimited(
                "Orchestrator is limiting sign-ins right now. Wait a minute and try again.",
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
                **facts,
            )
        if status >= 500:
            raise ServerError(
                f"Orchestrator had a problem while signing in (HTTP {status}). Try again later.",
                **facts,
            )
        raise AuthenticationError(
            f"Orchestrator refused the sign-in for {self._who()}{said} Check the tenant, user "
            "name and password.",
            **facts,
        )

    def _refused_text(self, after_retry: bool) -> str:
        first = (
            "Orchestrator refused the sign-in token, even after signing in again,"
            if after_retry
            else "Orchestrator refused the sign-in token it had just issued"
        )
        return f"{first} for {self._who()}. Check the tenant and the user's roles."


class TokenAuth(_BearerAuth):
    """A personal access token (or any bearer token obtained elsewhere), sent as is."""

    can_renew = False

    def __init__(self, token: str) -> None:
        if not isinstance(token, str) or not token.strip():
            raise ValueError("a personal access token is required")
        super().__init__(token=token.strip())

    def __repr__(self) -> str:
        return "TokenAuth(token=***)"

    def _token_request(self, original: httpx.Request) -> httpx.Request:  # pragma: no cover
        raise AuthenticationError("There is no access token to sign in with.")

    def _refused_text(self, after_retry: bool) -> str:
        return (
            "Orchestrator refused the personal access token. It may have expired or been "
            "revoked, or it lacks the scopes needed; create a new one under Preferences > "
            "Personal access token."
        )
