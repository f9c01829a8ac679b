"""Orchestrator URLs as typed by people: checked before use, never printed with a password.

``url_problem`` says in one sentence what is wrong with a URL (or None): a scheme other than
http/https, no host, a port that is not a number or not 1-65535. ``without_userinfo`` drops a
``user:password@`` part, so the URL can be logged, cached or shown. ``cloud_tenant`` reads the
tenant out of an Automation Cloud URL.
"""

from __future__ import annotations

from typing import Optional
from urllib.parse import urlsplit, urlunsplit


def url_problem(url: str) -> Optional[str]:
    """Why ``url`` cannot be used as an Orchestrator URL, or None when it can."""
    text = (url or "").strip()
    if not text:
        return "no URL is given"
    try:
        parts = urlsplit(text)
    except ValueError as exc:
        return f"the URL cannot be read ({exc})"
    if parts.scheme.lower() not in ("http", "https"):
        return "the URL must start with https:// (or http:// for a local test server)"
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        return "the port in the URL must be a number from 1 to 65535"
    if not host:
        return "the URL has no host name"
    if port is not None and not 1 <= port <= 65535:
        return "the port in the URL must be a number from 1 to 65535"
    return None


def without_userinfo(url: str) -> str:
    """``url`` without a ``user:password@`` part (unchanged when it has none)."""
    text = url or ""
    if "@" not in text:
        return text
    try:
        parts = urlsplit(text)
    except ValueError:
        return text
    if "@" not in parts.netloc:
        return text
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def cloud_tenant(url: str) -> str:
    """The tenant of an Automation Cloud URL (``…/{organization}/{tenant}/orchestrator_``),
    or "" for any other URL (an on-premises Orchestrator names its tenant at sign-in)."""
    try:
        segments = [part for part in urlsplit((url or "").strip()).path.split("/") if part]
    except ValueError:
        return ""
    if len(segments) >= 3 and segments[-1].lower() == "orchestrator_":
        return segments[-2]
    return ""
