"""Turn httpx exceptions and HTTP error answers into the errors of :mod:`errors`.

Every message is a sentence a support agent can act on. Server facts (message, error code,
trace id, HTTP status) are kept on the exception so they can be shown or logged.
"""

from __future__ import annotations

import errno
import json
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Optional, TypeVar, Union

import httpx

from .errors import (
    AuthenticationError,
    CertificateError,
    ConnectionFailed,
    NotFound,
    OrchestratorError,
    PermissionDenied,
    ProtocolError,
    RateLimited,
    RequestRejected,
    RequestTimeout,
    ServerError,
    ServerFacts,
)
from .retry import parse_retry_after

__all__ = [
    "ErrorBody",
    "error_from_exception",
    "error_from_response",
    "exception_is_retryable",
    "parse_error_body",
]

#: getaddrinfo answers that mean "this name does not exist" (not "try again later").
_DNS_NOT_FOUND = {
    code
    for code in (
        getattr(socket, "EAI_NONAME", None),
        getattr(socket, "EAI_NODATA", None),
        getattr(socket, "EAI_FAIL", None),
        getattr(socket, "EAI_ADDRFAMILY", None),
        11001,  # WSAHOST_NOT_FOUND (Windows)
    )
    if code is not None
}
_DNS_TEXT = (
    "name or service not known",
    "nodename nor servname",
    "getaddrinfo failed",
    "no address associated",
    "name does not resolve",
    "temporary failure in name resolution",
)


@dataclass(frozen=True)
class ErrorBody:
    """What an error answer said, whatever envelope it came in."""

    message: Optional[str] = None
    error_code: Optional[object] = None
    trace_id: Optional[str] = None


def _ci(data: dict, name: str) -> Any:
    """Case-insensitive key lookup."""
    if name in data:
        return data[name]
    lowered = name.lower()
    for key, value in data.items():
        if isinstance(key, str) and key.lower() == lowered:
            return value
    return None


def _text(value: Any) -> Optional[str]:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return None


def parse_error_body(content: Union[bytes, str, None]) -> ErrorBody:
    """Read ``{"message","errorCode","traceId"}`` and the other envelopes Orchestrator uses.

    Understood: the Orchestrator error body (any casing), the ABP envelope
    (``error.message`` / ``error.details``), OAuth (``error`` / ``error_description``) and
    ASP.NET ProblemDetails (``title`` / ``detail`` / ``errors``). Anything else gives an
    empty :class:`ErrorBody`.
    """
    if not content:
        return ErrorBody()
    try:
        data = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return ErrorBody()
    if not isinstance(data, dict):
        return ErrorBody()

    message = _text(_ci(data, "message"))
    code = _ci(data, "errorCode")
    trace_id = _text(_ci(data, "traceId"))

    error = _ci(data, "error")
    if isinstance(error, dict):  # ABP envelope
        if message is None:
            message = _text(_ci(error, "message"))
            details = _text(_ci(error, "details"))
            if details and message and details != message:
                message = f"{message} {details}"
            elif details and not message:
                message = details
        if code is None:
            code = _ci(error, "code")
    elif isinstance(error, str) and error.strip():  # OAuth
        description = _text(_ci(data, "error_description"))
        if message is None:
            message = description or error.strip()
        if code is None:
            code = error.strip()

    if message is None:  # ProblemDetails
        title = _text(_ci(data, "title"))
        detail = _text(_ci(data, "detail"))
        problems = _ci(data, "errors")
        lines = []
        if isinstance(problems, dict):
            for field, msgs in problems.items():
                if isinstance(msgs, list):
                    msgs = "; ".join(str(m) for m in msgs)
                lines.append(f"{field}: {msgs}" if field else str(msgs))
        elif isinstance(problems, list):
            lines.extend(str(p) for p in problems)
        pieces = [p for p in (title, detail, " ".join(lines) if lines else None) if p]
        if pieces:
            message = " ".join(pieces)

    if isinstance(code, str) and not code.strip():
        code = None
    return ErrorBody(message=message, error_code=code, trace_id=trace_id)


def _where(url: httpx.URL) -> str:
    return url.host or str(url)


def _host_port(url: httpx.URL) -> str:
    port = url.port
    if port is None:
        port = 443 if url.scheme == "https" else 80
    return f"{url.host}:{port}"


def error_from_response(
    response: httpx.Response, *, retry_after: Optional[float] = None
) -> OrchestratorError:
    """Map an HTTP error answer to the matching exception, using the server's words."""
    status = response.status_code
    try:
        content = response.content
    except httpx.ResponseNotRead:  # pragma: no cover - the client always reads bodies
        content = b""
    body = parse_error_body(content)
    facts = ServerFacts(
        status=status,
        server_message=body.message,
        error_code=body.error_code,
        trace_id=body.trace_id,
    )
    said = body.message
    where = _where(response.request.url) if response.request is not None else "the server"

    if status == 401:
        return AuthenticationError(
            said or "Orchestrator did not accept the sign-in. Check the credentials and that "
            "they belong to this organization and tenant.",
            **facts,
        )
    if status == 403:
        return PermissionDenied(
            said or "The signed-in account is not allowed to do this. Ask an Orchestrator "
            "administrator for the needed role in this folder, or add the missing scope to "
            "the external application.",
            **facts,
        )
    if status == 404:
        return NotFound(said or f"{where} has no such item (HTTP 404).", **facts)
    if status == 408:
        return RequestTimeout(
            said or f"{where} gave up waiting for the request (HTTP 408). Try again.", **facts
        )
    if status == 429:
        if retry_after is None:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if retry_after:
            wait = f" Wait about {int(retry_after + 0.999)} seconds and try again."
        else:
            wait = " Wait a minute and try again."
        return RateLimited(
            said or "Orchestrator is limiting the number of requests." + wait,
            retry_after=retry_after,
            **facts,
        )
    if status >= 500:
        return ServerError(
            said or f"{where} answered HTTP {status}: Orchestrator, or a proxy in front of it, "
            "had a problem. Try again later; if it keeps happening, give the trace id to "
            "your Orchestrator administrator.",
            **facts,
        )
    if 400 <= status < 500:
        return RequestRejected(
            said or f"Orchestrator refused the request (HTTP {status}).", **facts
        )
    if 300 <= status < 400:
        location = response.headers.get("Location")
        target = f" to {location}" if location else ""
        return ProtocolError(
            f"{where} redirected the request{target}. Check the Orchestrator URL "
            "(for Automation Cloud it looks like https://cloud.uipath.com/ORG/TENANT/"
            "orchestrator_).",
            status=status,
        )
    return ProtocolError(f"{where} answered with unexpected HTTP status {status}.", status=status)


def exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and everything it was raised from (cause or context), once each."""
    seen = set()
    current: Optional[BaseException] = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


E = TypeVar("E", bound=BaseException)


def _find(exc: BaseException, kind: type[E]) -> Optional[E]:
    for item in exception_chain(exc):
        if isinstance(item, kind):
            return item
    return None


def _is_dns_failure(exc: BaseException) -> bool:
    if _find(exc, socket.gaierror) is not None:
        return True
    text = " ".join(str(e) for e in exception_chain(exc)).lower()
    return any(marker in text for marker in _DNS_TEXT)


def _dns_is_permanent(exc: BaseException) -> bool:
    gai = _find(exc, socket.gaierror)
    if gai is not None and getattr(gai, "errno", None) is not None:
        return gai.errno in _DNS_NOT_FOUND
    return "temporary failure" not in " ".join(str(e) for e in exception_chain(exc)).lower()


def _certificate_problem(exc: BaseException) -> Optional[str]:
    cert = _find(exc, ssl.SSLCertVerificationError)
    if cert is not None:
        return getattr(cert, "verify_message", None) or str(cert)
    for item in exception_chain(exc):
        text = str(item)
        if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
            return text
    return None


def _tls_problem(exc: BaseException) -> Optional[str]:
    tls = _find(exc, ssl.SSLError)
    if tls is not None:
        return getattr(tls, "reason", None) or str(tls)
    return None


def _has_errno(exc: BaseException, *codes: int) -> bool:
    return any(
        isinstance(item, OSError) and item.errno in codes for item in exception_chain(exc)
    )


def _is_refused(exc: BaseException) -> bool:
    """Nothing listens there: the connection was refused before anything was sent."""
    return _find(exc, ConnectionRefusedError) is not None or _has_errno(exc, errno.ECONNREFUSED)


def _seconds(exc: BaseException, kind: str = "read") -> str:
    timeout = None
    request = getattr(exc, "_request", None)
    if request is not None:
        timeout = (request.extensions.get("timeout") or {}).get(kind)
    return f" within {timeout:g} seconds" if isinstance(timeout, (int, float)) else ""


def error_from_exception(exc: Exception, url: Optional[httpx.URL] = None) -> OrchestratorError:
    """Map an httpx failure (no HTTP answer, or an unreadable one) to an Orchestrator error.

    ``url`` is the request that failed (default: the one attached to ``exc``). A failed
    token request (``.../connect/token``) is reported as a problem with the identity URL.
    """
    if url is None:
        request = getattr(exc, "_request", None)
        url = request.url if request is not None else None
    setting = "Orchestrator URL"
    if url is not None and url.path.rstrip("/").endswith("/connect/token"):
        setting = "identity URL"
    host = _where(url) if url is not None else "the server"
    host_port = _host_port(url) if url is not None and url.host else host
    detail = str(exc) or type(exc).__name__

    if isinstance(exc, (httpx.InvalidURL, httpx.UnsupportedProtocol)):
        shown = str(url) if url is not None else ""
        return ConnectionFailed(
            f"The {setting} {shown!r} is not valid: it must start with https:// "
            f"(or http://) followed by a host name. ({detail})"
        )
    if isinstance(exc, httpx.ConnectTimeout):
        return RequestTimeout(
            f"Could not connect to {host_port}{_seconds(exc, 'connect')}. Check the "
            "Orchestrator URL, your network, and any proxy or firewall in between."
        )
    if isinstance(exc, httpx.PoolTimeout):
        return RequestTimeout(
            f"Too many requests to {host} were waiting for a free connection. Try again."
        )
    if isinstance(exc, httpx.TimeoutException):
        return RequestTimeout(
            f"{host} did not answer{_seconds(exc)}. Orchestrator may be busy or the network "
            "slow; try again."
        )
    if isinstance(exc, httpx.ProxyError):
        return ConnectionFailed(
            f"The proxy server did not let the request through to {host} ({detail}). Check "
            "the proxy settings (HTTPS_PROXY, HTTP_PROXY, NO_PROXY)."
        )
    if isinstance(exc, httpx.ConnectError):
        reason = _certificate_problem(exc)
        if reason is not None:
            return CertificateError(
                f"The TLS certificate of {host} is not trusted ({reason}). If your "
                "organization uses its own certificate authority, set a CA bundle that "
                "contains it (the SSL_CERT_FILE environment variable, or the CA bundle "
                "setting)."
            )
        reason = _tls_problem(exc)
        if reason is not None:
            return ConnectionFailed(
                f"The secure (TLS) connection to {host_port} failed ({reason}). Check that "
                "the URL uses the right scheme (https:// or http://) and port."
            )
        if _is_dns_failure(exc):
            if _dns_is_permanent(exc):
                return ConnectionFailed(
                    f"The host name {host} could not be found. Check the {setting}."
                )
            return ConnectionFailed(
                f"The host name {host} could not be looked up right now (temporary DNS "
                "failure). Check your network connection and try again."
            )
        if _is_refused(exc):
            return ConnectionFailed(
                f"{host_port} refused the connection. Check the URL and port, and that "
                "Orchestrator is running."
            )
        if _has_errno(exc, errno.ENETUNREACH, errno.EHOSTUNREACH):
            return ConnectionFailed(
                f"{host} cannot be reached from this computer (no network route). Check your "
                "network connection, VPN and proxy settings."
            )
        if _find(exc, ConnectionResetError) is not None:
            return ConnectionFailed(
                f"The connection to {host_port} was reset while connecting. A firewall or "
                "proxy may be blocking it; check the URL and network, then try again."
            )
        return ConnectionFailed(f"Could not connect to {host_port} ({detail}).")
    if isinstance(exc, (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)):
        return ConnectionFailed(
            f"The connection to {host} was dropped before Orchestrator answered ({detail}). "
            "This is usually a network, proxy or firewall problem; try again."
        )
    if isinstance(exc, httpx.DecodingError):
        return ProtocolError(f"The answer from {host} could not be decoded ({detail}).")
    if isinstance(exc, httpx.TooManyRedirects):
        return ProtocolError(f"{host} redirected too many times. Check the Orchestrator URL.")
    if isinstance(exc, httpx.HTTPError):
        return ConnectionFailed(f"The request to {host} failed ({detail}).")
    return OrchestratorError(f"The request to {host} failed ({detail}).")


def exception_is_retryable(exc: Exception) -> bool:
    """True when a GET that failed this way may succeed if simply tried again.

    A refused connection is not: nothing was sent, and a server that is not listening rarely
    starts within the few seconds of the retries, so it is reported at once."""
    if isinstance(exc, (httpx.InvalidURL, httpx.UnsupportedProtocol, httpx.ProxyError)):
        return False
    if isinstance(exc, httpx.TimeoutException):
        return True
    if isinstance(exc, httpx.ConnectError):
        if _certificate_problem(exc) is not None or _tls_problem(exc) is not None:
            return False
        if _is_refused(exc):
            return False
        if _is_dns_failure(exc):
            return not _dns_is_permanent(exc)
        return True
    return isinstance(exc, (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError))
