"""HTTP-level building blocks: requests, responses, Orchestrator error bodies, query decoding."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any, Optional
from urllib.parse import unquote_plus

JSON_TYPE = "application/json; charset=utf-8"
ODATA_TYPE = "application/json; odata.metadata=minimal; odata.streaming=true; charset=utf-8"


def new_trace_id() -> str:
    """A W3C traceparent-shaped id, as Orchestrator puts in ``traceId``."""
    return f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-00"


def parse_query_string(text: str) -> dict[str, str]:
    """Decode ``a=1&b=x+y`` like ASP.NET: split on ``&`` first, then percent-decode, ``+`` = space.

    A repeated name keeps its last value.
    """
    result: dict[str, str] = {}
    for part in text.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        result[unquote_plus(name)] = unquote_plus(value)
    return result


def get_ci(data: dict, name: str, default: Any = None) -> Any:
    """Read a JSON property case-insensitively, as ASP.NET model binding does."""
    if name in data:
        return data[name]
    lowered = name.lower()
    for key, value in data.items():
        if isinstance(key, str) and key.lower() == lowered:
            return value
    return default


@dataclass(frozen=True)
class Request:
    """One HTTP request as the sandbox sees it (header names lower-case)."""

    method: str
    path: str
    query: dict
    headers: dict
    body: bytes = b""

    def header(self, name: str) -> Optional[str]:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        """The body parsed as JSON (None when empty); a malformed body is a 400."""
        if not self.body.strip():
            return None
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ApiError(400, f"The request body is not valid JSON: {exc}", 1000) from exc


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict = field(default_factory=dict)


class ApiError(Exception):
    """An Orchestrator error answer: ``{"message", "errorCode", "traceId"}`` with a status."""

    def __init__(self, status: int, message: str, error_code: int = 0,
                 headers: Optional[dict] = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_code = error_code
        self.headers = headers or {}

    def to_response(self) -> Response:
        body = {"message": self.message, "errorCode": self.error_code, "traceId": new_trace_id()}
        return json_response(self.status, body, headers=self.headers)


def encode_json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_response(status: int, data: Any, *, odata: bool = False,
                  headers: Optional[dict] = None) -> Response:
    all_headers = {"Content-Type": ODATA_TYPE if odata else JSON_TYPE}
    if odata:
        all_headers["OData-Version"] = "4.0"
    all_headers.update(headers or {})
    return Response(status, encode_json(data), all_headers)
