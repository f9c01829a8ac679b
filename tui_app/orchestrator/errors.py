"""One small exception hierarchy for everything that can go wrong talking to Orchestrator.

Every error carries a short ``title`` (what happened, for a heading), a ``message`` a support
agent understands (what happened and what to do), and, when the server said something, its
``server_message``, ``error_code`` and ``trace_id`` plus the HTTP ``status``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional, TypedDict

if TYPE_CHECKING:
    from typing_extensions import Unpack


class ServerFacts(TypedDict, total=False):
    """What the server said about an error: keyword arguments of every ``OrchestratorError``."""

    status: Optional[int]
    server_message: Optional[str]
    error_code: Optional[object]
    trace_id: Optional[str]


class OrchestratorError(Exception):
    """Base class: anything that went wrong while talking to Orchestrator."""

    title = "Orchestrator error"

    def __init__(
        self,
        message: str,
        *,
        title: Optional[str] = None,
        status: Optional[int] = None,
        server_message: Optional[str] = None,
        error_code: Optional[object] = None,
        trace_id: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if title is not None:
            self.title = title
        self.status = status
        self.server_message = server_message
        self.error_code = error_code
        self.trace_id = trace_id

    def details(self) -> str:
        """One line with the server facts (status, code, trace id), or an empty string."""
        parts = []
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.error_code not in (None, ""):
            parts.append(f"error code {self.error_code}")
        if self.trace_id:
            parts.append(f"trace id {self.trace_id}")
        return ", ".join(parts)

    def __str__(self) -> str:
        extra = self.details()
        return f"{self.title}: {self.message}" + (f" ({extra})" if extra else "")


class ConnectionFailed(OrchestratorError):
    """The request never got an HTTP answer: DNS, refused, reset, TLS, proxy."""

    title = "Cannot reach Orchestrator"


class CertificateError(ConnectionFailed):
    """TLS handshake failed because the server certificate is not trusted."""

    title = "TLS certificate not trusted"


class RequestTimeout(ConnectionFailed):
    """Connecting or waiting for the answer took too long."""

    title = "Orchestrator did not answer in time"


class AuthenticationError(OrchestratorError):
    """Credentials were refused (token endpoint or a 401 that survived one re-login)."""

    title = "Sign-in failed"


class PermissionDenied(OrchestratorError):
    """HTTP 403: signed in, but not allowed (missing scope or role)."""

    title = "Not allowed"


class NotFound(OrchestratorError):
    """HTTP 404 (errorCode 1002): the release, job or other item does not exist."""

    title = "Not found"


class RequestRejected(OrchestratorError):
    """HTTP 400/409/413/422: Orchestrator understood the request and refused it."""

    title = "Orchestrator refused the request"


class NotAvailable(OrchestratorError):
    """The server has no such endpoint (HTTP 404 without Orchestrator's "item not found",
    405, 501): an older or on-premises Orchestrator. For diagnostics this means "not
    available", never a failure."""

    title = "Not available on this server"


class RateLimited(OrchestratorError):
    """HTTP 429 that survived the retries."""

    title = "Too many requests"

    def __init__(self, message: str, *, retry_after: Optional[float] = None,
                 **facts: Unpack[ServerFacts]) -> None:
        super().__init__(message, **facts)
        self.retry_after = retry_after


class ServerError(OrchestratorError):
    """HTTP 5xx that survived the retries (or a POST, which is never retried)."""

    title = "Orchestrator had a problem"


class ProtocolError(OrchestratorError):
    """The server answered with something that is not what Orchestrator sends (bad JSON...)."""

    title = "Unexpected answer from the server"
