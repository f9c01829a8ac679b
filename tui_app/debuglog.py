"""``--debug``: a log file of every HTTP request and answer, with secrets redacted.

``start_debug_log()`` creates ``<log>/startjob-debug-YYYYmmdd-HHMMSS-PID.log`` (mode 0600) and
returns a :class:`DebugLog`; ``ConnectionSettings.open_client(debug_log=...)`` installs its
httpx event hooks on the client, so sign-in requests are logged too. Each entry has the
method, URL, status, duration, headers and the body (truncated).

Redaction happens before anything is written: ``Authorization``/cookie headers and any header
named like a secret; JSON keys and form fields named like a secret, password or token
(``client_secret``, ``password``, ``access_token``...); the ``result`` of
``/api/Account/Authenticate``; ``Bearer``/``Basic`` values anywhere; the ``sig=`` signature of
a storage address (a job attachment's URI); and every secret value the
log was told about or saw in an answer (``add_secret``), wherever it shows up; and the
``user:password@`` part of any URL.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import re
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Union
from urllib.parse import parse_qsl, urlencode

import httpx

from tui_app import __version__
from tui_app.locations import ensure_dir, log_dir
from tui_app.secretnames import looks_secret

if TYPE_CHECKING:
    from tui_app.orchestrator import OrchestratorClient

MASK = "***"
#: Bodies longer than this are cut (after redaction).
BODY_LIMIT = 4000
#: Debug logs kept in the log folder (oldest removed when a new one starts).
KEEP_LOGS = 20

_SENSITIVE_HEADERS = {"authorization", "proxy-authorization", "cookie", "set-cookie"}
_AUTH_VALUE = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
_JSON_PAIR = re.compile(  # "name": "value" where the name looks secret (not token_type)
    r'("(?!token_?type")[^"\\]*(?:secret|passw|pwd|token|assertion|api[-_]?key|credential)[^"\\]*"\s*:\s*)'
    r'"(?:[^"\\]|\\.)*"', re.IGNORECASE)
_FORM_PAIR = re.compile(
    r"((?:^|[&?])[^=&\s]*(?:secret|passw|pwd|token|assertion|api[-_]?key|credential)"
    r"[^=&\s]*=)[^&\s]*", re.IGNORECASE)
#: The signature of a storage address (an attachment's SAS URI): as good as a password.
_SIGNATURE = re.compile(r"([?&]sig=)[^&\s\"'<>]+", re.IGNORECASE)
_USERINFO = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://)[^/?#\s\"'<>]+@")
#: Values shorter than this are only masked where they stand alone (a JSON string or a form
#: value): masking a 4-letter password everywhere would mask ordinary words too.
_MIN_ANYWHERE = 6


def _is_authenticate(url: httpx.URL) -> bool:
    return url.path.rstrip("/").lower().endswith("/account/authenticate")


class DebugLog:
    """A redacting HTTP log. Thread-safe; close it when done (or let the process end)."""

    def __init__(self, path: Path, *, body_limit: int = BODY_LIMIT) -> None:
        self.path = Path(path)
        self.body_limit = body_limit
        self._secrets: set = set()
        self._lock = threading.Lock()
        self._started: dict = {}
        self._numbers = itertools.count(1)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | getattr(os, "O_BINARY", 0)
        fd = os.open(self.path, flags, 0o600)
        self._file = os.fdopen(fd, "w", encoding="utf-8", newline="\n")
        self._handler: Optional[logging.Handler] = None
        self.write(f"startjob {__version__} debug log, started {datetime.now().isoformat()} "
                   f"(Python {sys.version.split()[0]}, httpx {httpx.__version__})")

    # -- secrets and redaction --------------------------------------------------------------

    def add_secret(self, *values: Optional[str]) -> None:
        """Mask these values wherever they appear from now on."""
        with self._lock:
            for value in values:
                if isinstance(value, str) and value.strip():
                    self._secrets.add(value.strip())

    def scrub(self, text: str) -> str:
        """``text`` with auth header values, URL passwords and every known secret masked."""
        text = _AUTH_VALUE.sub(lambda m: f"{m.group(1)} {MASK}", text)
        text = _USERINFO.sub(lambda m: f"{m.group(1)}{MASK}@", text)
        text = _SIGNATURE.sub(lambda m: f"{m.group(1)}{MASK}", text)
        text = _JSON_PAIR.sub(lambda m: f'{m.group(1)}"{MASK}"', text)
        text = _FORM_PAIR.sub(lambda m: f"{m.group(1)}{MASK}", text)
        with self._lock:
            known = sorted(self._secrets, key=len, reverse=True)
        for value in known:
            if len(value) >= _MIN_ANYWHERE:
                text = text.replace(value, MASK)
            else:
                text = text.replace(json.dumps(value), f'"{MASK}"')
                text = re.sub(rf"(=){re.escape(value)}(?=&|\s|$)", rf"\g<1>{MASK}", text)
        return text

    def _redact_json(self, data: Any, authenticate: bool) -> Any:
        if isinstance(data, dict):
            redacted = {}
            for key, value in data.items():
                name = str(key)
                if (looks_secret(name) and value not in (None, "")) or (
                        authenticate and name.lower() == "result" and isinstance(value, str)):
                    if isinstance(value, str):
                        self.add_secret(value)
                    redacted[key] = MASK
                else:
                    redacted[key] = self._redact_json(value, authenticate)
            return redacted
        if isinstance(data, list):
            return [self._redact_json(item, authenticate) for item in data]
        return data

    def redact_body(self, content: bytes, content_type: str, url: httpx.URL) -> str:
        if not content:
            return ""
        text = content.decode("utf-8", errors="replace")
        if "json" in content_type.lower() or text.lstrip()[:1] in ("{", "["):
            try:
                data = json.loads(text)
            except ValueError:
                pass
            else:
                text = json.dumps(self._redact_json(data, _is_authenticate(url)),
                                  ensure_ascii=False)
        elif "x-www-form-urlencoded" in content_type.lower():
            pairs = parse_qsl(text, keep_blank_values=True)
            for key, value in pairs:
                if looks_secret(key):
                    self.add_secret(value)
            text = urlencode([(k, MASK if looks_secret(k) else v) for k, v in pairs],
                             safe="*/:")
        text = self.scrub(text)
        if len(text) > self.body_limit:
            text = text[: self.body_limit] + f"… [{len(text) - self.body_limit} more characters]"
        return text

    def _headers(self, headers: httpx.Headers) -> list:
        lines = []
        for raw_name, raw_value in headers.raw:
            name, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
            lowered = name.lower()
            if lowered in _SENSITIVE_HEADERS or looks_secret(lowered):
                scheme = value.split(" ", 1)[0] if " " in value.strip() else ""
                value = f"{scheme} {MASK}" if scheme else MASK
            lines.append(f"    {name}: {self.scrub(value)}")
        return lines

    def _url(self, url: httpx.URL) -> str:
        return self.scrub(str(url))

    # -- writing ----------------------------------------------------------------------------

    def write(self, text: str) -> None:
        """Append one entry (scrubbed) with a timestamp."""
        stamp = datetime.now().isoformat(timespec="milliseconds")
        entry = self.scrub(f"{stamp} {text}")
        with self._lock:
            if self._file.closed:
                return
            self._file.write(entry.rstrip("\n") + "\n")
            self._file.flush()

    def close(self) -> None:
        self.detach_logging()
        with self._lock:
            if not self._file.closed:
                self._file.close()

    def __enter__(self) -> DebugLog:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- httpx event hooks ------------------------------------------------------------------

    def event_hooks(self) -> dict:
        """``{"request": [...], "response": [...]}`` for an ``httpx.AsyncClient``."""
        return {"request": [self.on_request], "response": [self.on_response]}

    def install(self, client: Union[OrchestratorClient, httpx.AsyncClient]) -> None:
        """Add the hooks to an ``OrchestratorClient`` (or an ``httpx.AsyncClient``)."""
        http = client if isinstance(client, httpx.AsyncClient) else client._http
        hooks = http.event_hooks
        hooks.setdefault("request", []).append(self.on_request)
        hooks.setdefault("response", []).append(self.on_response)
        http.event_hooks = hooks

    async def on_request(self, request: httpx.Request) -> None:
        number = next(self._numbers)
        self._started[id(request)] = (number, time.monotonic())
        lines = [f"#{number} -> {request.method} {self._url(request.url)}"]
        lines += self._headers(request.headers)
        try:
            body = self.redact_body(request.content, request.headers.get("Content-Type", ""),
                                    request.url)
        except httpx.RequestNotRead:
            body = "(streamed body, not logged)"
        if body:
            lines.append(f"    body: {body}")
        self.write("\n".join(lines))

    async def on_response(self, response: httpx.Response) -> None:
        request = response.request
        number, started = self._started.pop(id(request), (0, None))
        took = f" in {(time.monotonic() - started) * 1000:.0f} ms" if started else ""
        try:
            await response.aread()
            content = response.content
        except httpx.HTTPError as exc:
            content = f"(body could not be read: {exc})".encode()
        lines = [f"#{number} <- {response.status_code} {response.reason_phrase} "
                 f"{request.method} {self._url(request.url)}{took}"]
        lines += self._headers(response.headers)
        body = self.redact_body(content, response.headers.get("Content-Type", ""), request.url)
        if body:
            lines.append(f"    body: {body}")
        self.write("\n".join(lines))

    # -- Python logging ---------------------------------------------------------------------

    def attach_logging(self, logger_name: str = "tui_app", level: int = logging.DEBUG) -> None:
        """Also write the records of ``logger_name`` (retries, warnings...), scrubbed."""
        if self._handler is not None:
            return
        handler = _LogHandler(self)
        handler.setLevel(level)
        logger = logging.getLogger(logger_name)
        logger.addHandler(handler)
        self._previous_level = logger.level
        if logger.getEffectiveLevel() > level:
            logger.setLevel(level)
        self._handler = handler
        self._logger_name = logger_name

    def detach_logging(self) -> None:
        if self._handler is not None:
            logger = logging.getLogger(self._logger_name)
            logger.removeHandler(self._handler)
            logger.setLevel(self._previous_level)
            self._handler = None


class _LogHandler(logging.Handler):
    def __init__(self, debug_log: DebugLog) -> None:
        super().__init__()
        self._log = debug_log

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = f"[{record.levelname.lower()} {record.name}] {record.getMessage()}"
            if record.exc_info:
                text += "\n" + logging.Formatter().formatException(record.exc_info)
            self._log.write(text)
        except Exception:  # pragma: no cover - logging must never break the program
            self.handleError(record)


def start_debug_log(directory: Optional[Path] = None, *, keep: int = KEEP_LOGS) -> DebugLog:
    """A new debug log file in ``directory`` (default: the log folder); older ones beyond
    ``keep`` are removed. Raises ``LocationError`` when the folder cannot be created."""
    folder = ensure_dir(Path(directory) if directory is not None else log_dir(), private=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    base = f"startjob-debug-{stamp}-{os.getpid()}"
    for n in itertools.count():
        path = folder / (f"{base}.log" if n == 0 else f"{base}-{n}.log")
        try:
            log = DebugLog(path)
            break
        except FileExistsError:
            continue
    _prune(folder, keep, log.path)
    return log


def _prune(folder: Path, keep: int, current: Path) -> None:
    try:
        logs = sorted(folder.glob("startjob-debug-*.log"), key=lambda p: p.stat().st_mtime)
    except OSError:
        return
    for path in logs[: max(0, len(logs) - keep)]:
        if path != current:
            try:
                path.unlink()
            except OSError:
                pass
