"""The HTTP server: HTTP/1.1 keep-alive on a background thread, faults, the request log.

Every answer carries ``Content-Length``; nothing is written to stderr (unexpected handler
errors go to the ``tui_app.sandbox`` logger and are answered with a 500).
"""

from __future__ import annotations

import logging
import selectors
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional

from tui_app.sandbox.app import CLOUD_PREFIX, STARTJOBS_LABEL, RouteMatch, SandboxApp, match_route
from tui_app.sandbox.config import DEMO, SandboxConfig
from tui_app.sandbox.faults import FaultConfig, FaultInjector
from tui_app.sandbox.requestlog import LoggedRequest, RequestLog
from tui_app.sandbox.seed import build_tenant
from tui_app.sandbox.wire import ApiError, Request, Response, parse_query_string

logger = logging.getLogger("tui_app.sandbox")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "startjob-sandbox"
    sys_version = ""
    # One buffered write per answer and no Nagle delay: otherwise every keep-alive request
    # waits ~40 ms for a delayed ACK.
    wbufsize = 64 * 1024
    disable_nagle_algorithm = True
    #: Idle keep-alive connections are closed after this many seconds.
    timeout = 120
    server: _Server

    def log_message(self, *args: object) -> None:
        """Silence the default per-request stderr line."""

    def _read_body(self) -> Optional[bytes]:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = self.headers.get("Content-Length", "0").strip() or "0"
        if not length.isdigit():
            return None
        return self.rfile.read(int(length))

    def _serve(self) -> None:
        sandbox = self.server.sandbox
        raw_path, _, query = self.path.partition("?")
        try:
            body = self._read_body()
        except ValueError:
            body = None
        headers = {name.lower(): value for name, value in self.headers.items()}
        request = Request(self.command, raw_path, parse_query_string(query), headers, body or b"")
        match = match_route(self.command, raw_path)
        if body is None:
            self.close_connection = True
            response: Optional[Response] = ApiError(400, "Invalid request body length.",
                                                    0).to_response()
        else:
            response = sandbox.answer(request, match)
        sandbox.record(request, match, response.status if response else 0,
                       len(response.body) if response else 0)
        if response is None:
            self.close_connection = True
            return
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self._wake_reader, self._wake_writer = socket.socketpair()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def run(self) -> None:
        """Accept connections until ``wake_up`` (no polling, so stopping is immediate)."""
        with selectors.DefaultSelector() as selector:
            selector.register(self, selectors.EVENT_READ)
            selector.register(self._wake_reader, selectors.EVENT_READ)
            while True:
                for key, _ in selector.select():
                    if key.fileobj is self._wake_reader:
                        return
                    # A private BaseServer method, missing from the typeshed stubs.
                    self._handle_request_noblock()  # type: ignore[attr-defined]

    def wake_up(self) -> None:
        """Make ``run`` return."""
        self._wake_writer.send(b"x")

    def server_close(self) -> None:
        super().server_close()
        self._wake_reader.close()
        self._wake_writer.close()

    # A TCP server's requests are sockets (the stubs' type also has UDP's (data, socket)).
    def process_request(self, request: socket.socket,  # type: ignore[override]
                        client_address: tuple) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: socket.socket) -> None:  # type: ignore[override]
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """End open keep-alive connections, so no request is answered after ``stop``."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request: object, client_address: tuple) -> None:
        logger.debug("Connection from %s failed", client_address, exc_info=True)


class Sandbox:
    """A sandbox Orchestrator on a loopback port (``port=0`` picks a free one).

    Use as a context manager, or call ``start()`` / ``stop()``. ``tenant`` is the live state
    (see ``tui_app.sandbox.tenant`` for its mutators); ``set_faults`` changes the injected
    faults while running.
    """

    def __init__(self, config: Optional[SandboxConfig] = None, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        self.config = config or SandboxConfig()
        self.tenant = build_tenant(self.config)
        self.faults = FaultInjector(self.config.faults, self.config.seed)
        self._app = SandboxApp(self.tenant, self.faults)
        self._log = RequestLog()
        self._address = (host, port)
        self._server: Optional[_Server] = None
        self._thread: Optional[threading.Thread] = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Sandbox:
        if self._server is not None:
            raise RuntimeError("The sandbox is already running.")
        self._server = _Server(self._address, self)
        self._thread = threading.Thread(target=self._server.run, name="startjob-sandbox",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.wake_up()
        thread.join()
        server.close_connections()
        server.server_close()
        self._server = self._thread = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ addresses

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("The sandbox is not running.")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        host = self._address[0]
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}"

    @property
    def orchestrator_url(self) -> str:
        """The standalone (on-prem) shape: classic and modern folders, what ``--demo`` uses."""
        return self.base_url

    @property
    def identity_url(self) -> str:
        """The standalone shape's token endpoint (what a client derives from its URL)."""
        return self.base_url + "/identity/connect/token"

    @property
    def cloud_url(self) -> str:
        """The Automation Cloud shape: modern folders only, no Environments or Authenticate."""
        return self.base_url + CLOUD_PREFIX

    @property
    def cloud_identity_url(self) -> str:
        """The cloud shape's token endpoint (host-level; ``/{org}/identity_/…`` works too)."""
        return self.base_url + "/identity_/connect/token"

    # ------------------------------------------------------------------ requests

    def set_faults(self, faults: Optional[FaultConfig]) -> None:
        self.faults.config = faults or FaultConfig()

    def answer(self, request: Request, match: RouteMatch) -> Optional[Response]:
        """The response to send, or None to drop the connection without one."""
        if self.config.latency:
            time.sleep(self.config.latency)
        if not match.is_sign_in and self.faults.config.applies_to(match.label):
            delay = self.faults.delay()
            if delay:
                time.sleep(delay)
            kind = self.faults.pick()
            if kind == "drop":
                return None
            if kind is not None:
                return self.faults.response(kind)
        try:
            response = self._app.handle(request, match)
        except Exception:
            logger.exception("Sandbox failed on %s %s", request.method, request.path)
            return ApiError(500, "An error has occurred.", 0).to_response()
        if match.label == STARTJOBS_LABEL and response.status == 201:
            if self.faults.drop_after_start():
                return None
            replaced = self.faults.after_start()
            if replaced is not None:
                return replaced
        return response

    def record(self, request: Request, match: RouteMatch, status: int,
               response_bytes: int = 0) -> None:
        body = request.body.decode("utf-8", errors="replace") if request.body else None
        self._log.add(LoggedRequest(request.method, request.path, match.label,
                                    dict(request.query), dict(request.headers), body, status,
                                    response_bytes))

    @property
    def request_log(self) -> list:
        """A snapshot list of ``LoggedRequest``, oldest first."""
        return self._log.snapshot()

    def clear_log(self) -> None:
        self._log.clear()

    def count(self, route_prefix: str) -> int:
        """How many logged requests have a route starting with ``route_prefix``."""
        return self._log.count(route_prefix)


def _banner(sandbox: Sandbox) -> str:
    config = sandbox.config
    lines = [
        f"Sandbox Orchestrator running at {sandbox.base_url}",
        "",
        f"  Orchestrator URL (standalone):  {sandbox.orchestrator_url}",
        "    an on-prem Orchestrator (API v18): classic and modern folders, Environments,",
        f"    Account/Authenticate; identity token URL {sandbox.identity_url}",
        f"  Orchestrator URL (cloud):       {sandbox.cloud_url}",
        "    Automation Cloud (API v20): modern folders only;",
        f"    identity token URL {sandbox.cloud_identity_url}",
        "",
        "Demo credentials:",
        f"  OAuth client credentials:  client id {DEMO.client_id}, "
        f"client secret {DEMO.client_secret}",
        f"  On-prem sign-in:           tenancy {DEMO.tenancy_name}, user {DEMO.username}, "
        f"password {DEMO.password} (standalone URL)",
        f"  Personal access token:     {DEMO.personal_access_token}",
    ]
    if config.scale:
        lines.append(f"\nScale folder: {config.scale} releases in folder \"Scale\".")
    if config.hostile:
        lines.append("\nHostile folders: \"Hostile\" and the one below it hold hostile text.")
    if config.faults and config.faults.summary():
        lines.append(f"\nInjected faults: {config.faults.summary()}")
    lines.append("\nPress Ctrl+C to stop.")
    return "\n".join(lines)


def serve(host: str = "127.0.0.1", port: int = 8765,
          config: Optional[SandboxConfig] = None) -> int:
    """Run the sandbox in the foreground until Ctrl+C (or SIGTERM); returns the exit code.

    The stop signals only set an event, and their handlers are in place before the banner
    says "Press Ctrl+C": a Ctrl+C at any moment after that stops the sandbox cleanly instead
    of interrupting whatever line the main thread happens to be on.
    """
    sandbox = Sandbox(config, host, port)
    try:
        sandbox.start()
    except OSError as exc:
        print(f"Cannot start the sandbox on {host}:{port}: {exc.strerror or exc}",
              file=sys.stderr)
        return 1
    stopping = threading.Event()
    previous = {number: signal.signal(number, lambda *_: stopping.set())
                for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        print(_banner(sandbox), flush=True)
        while not stopping.wait(0.5):
            pass
        print("Sandbox stopped.", flush=True)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        sandbox.stop()
    return 0
