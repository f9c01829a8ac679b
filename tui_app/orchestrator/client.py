"""The async Orchestrator client the wizard uses: folders, processes, robots, jobs.

One ``httpx.AsyncClient`` per :class:`OrchestratorClient`. Reads (GET) are retried on
throttling, gateway errors and connection problems (a refused connection is reported at
once); writes (POST, and an attachment's upload) never are, so a job is never started twice
by accident. Every failure surfaces as an
:class:`~tui_app.orchestrator.errors.OrchestratorError` subclass.

URLs are never pasted together from user or server text: OData values go through
:func:`tui_app.orchestrator.odata.literal`, httpx encodes the query, and the only values in
paths are validated integers.
"""

from __future__ import annotations

import asyncio
import base64
import importlib.util
import json
import logging
import os
import random
import ssl
import sys
import time
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass
from typing import Any, Callable, Optional, TypeVar, Union

import httpx

from .. import __version__
from ..urls import url_problem, without_userinfo
from . import odata
from .errors import (
    CertificateError,
    ConnectionFailed,
    NotAvailable,
    NotFound,
    OrchestratorError,
    PermissionDenied,
    ProtocolError,
    RequestRejected,
    ServerError,
)
from .failures import error_from_exception, error_from_response, exception_is_retryable
from .models import (
    ROBOT_STATES,
    BulkResult,
    EntryPoint,
    Environment,
    Folder,
    Job,
    MachineSession,
    Page,
    QueueDefinition,
    QueueItem,
    Release,
    Robot,
    RuntimeCapacity,
    ValidationResult,
)
from .retry import RETRY_STATUSES, RetryPolicy, parse_retry_after

# httpcore asks ``import sniffio`` at every request to tell trio from asyncio; without
# sniffio installed (anyio 4 no longer needs it) each failed import searches sys.path again,
# about 0.2 ms a request (a 1,000-row batch: over a second). A None entry makes that import
# fail at once; it is only set when sniffio cannot be found, so nothing that has it changes.
if importlib.util.find_spec("sniffio") is None:
    sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]

__all__ = [
    "COMMIT_TYPES",
    "DEFAULT_USER_AGENT",
    "STOP_STRATEGIES",
    "FolderContext",
    "OrchestratorClient",
    "folder_headers",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_USER_AGENT = f"startjob/{__version__} python-httpx/{httpx.__version__}"
STOP_STRATEGIES = ("SoftStop", "Kill")

_ODATA = "/odata"
_START_JOBS = "/odata/Jobs/UiPath.Server.Configuration.OData.StartJobs"
_STOP_JOBS = "/odata/Jobs/UiPath.Server.Configuration.OData.StopJobs"
_ROBOTS_FROM_FOLDER = "/odata/Robots/UiPath.Server.Configuration.OData.GetRobotsFromFolder"
_VALIDATE_DYNAMIC = "/odata/Jobs/UiPath.Server.Configuration.OData.ValidateDynamicJob"
_VALIDATE_EXISTING = "UiPath.Server.Configuration.OData.ValidateExistingJob"
_RUNTIMES_FOR_FOLDER = "/odata/Machines/UiPath.Server.Configuration.OData.GetRuntimesForFolder"
_PROCESS_VERSIONS = "/odata/Processes/UiPath.Server.Configuration.OData.GetProcessVersions"
_MACHINE_SESSIONS = (
    "/odata/Sessions/UiPath.Server.Configuration.OData.GetMachineSessionRuntimesByFolderId")
_ADD_QUEUE_ITEM = "/odata/Queues/UiPathODataSvc.AddQueueItem"
_BULK_ADD_QUEUE_ITEMS = "/odata/Queues/UiPathODataSvc.BulkAddQueueItems"
_LAST_RETRY_BY_KEY = "/odata/QueueItems/UiPathODataSvc.GetItemLastRetryByKey"
#: ``BulkAddQueueItems`` ``commitType`` values.
COMMIT_TYPES = ("AllOrNothing", "StopOnFirstFailure", "ProcessAllIndependently")
#: Statuses after which an optional read (entry points, machine sessions) is "not available
#: here": no such endpoint, or the account may not read it.
_NOT_READABLE = frozenset({403, 404, 405, 501})
#: Statuses that mean "this server has no such endpoint" (with a 404 only when it is not
#: Orchestrator's "item not found", errorCode 1002).
_NO_ENDPOINT = frozenset({404, 405, 501})

# Which state wins when a robot has several sessions: can it take a job right now?
_STATE_RANK = {"Available": 0, "Busy": 1, "Disconnected": 2, "Unknown": 3}


@dataclass(frozen=True)
class FolderContext:
    """The folder requests run in: its ``id`` when known, else its fully qualified ``path``."""

    id: Optional[int] = None
    path: Optional[str] = None

    def __post_init__(self) -> None:
        if self.id is not None and (isinstance(self.id, bool) or not isinstance(self.id, int)):
            raise TypeError("FolderContext.id must be an integer")
        if self.path is not None and not isinstance(self.path, str):
            raise TypeError("FolderContext.path must be text")
        if self.id is None and not self.path:
            raise ValueError("a folder needs an id or a path")

    @classmethod
    def from_folder(cls, folder: Folder) -> FolderContext:
        return cls(id=folder.id, path=folder.fully_qualified_name or None)

    def headers(self) -> dict[str, str]:
        return folder_headers(self)


def folder_headers(folder: Optional[FolderContext]) -> dict[str, str]:
    """The folder header for a request.

    ``X-UIPATH-OrganizationUnitId`` when the id is known; otherwise the path, as
    ``X-UIPATH-FolderPath`` when it is plain printable ASCII, else
    ``X-UIPATH-FolderPath-Encoded`` (Base64 of the UTF-16LE bytes).
    """
    if folder is None:
        return {}
    if folder.id is not None:
        return {"X-UIPATH-OrganizationUnitId": str(int(folder.id))}
    path = folder.path or ""
    if path.isascii() and path.isprintable():
        return {"X-UIPATH-FolderPath": path}
    encoded = base64.b64encode(path.encode("utf-16-le")).decode("ascii")
    return {"X-UIPATH-FolderPath-Encoded": encoded}


def _as_folder(folder: Union[FolderContext, Folder, int, str, None]) -> Optional[FolderContext]:
    if folder is None or isinstance(folder, FolderContext):
        return folder
    if isinstance(folder, Folder):
        return FolderContext.from_folder(folder)
    if isinstance(folder, bool):
        raise TypeError("a folder is a Folder, FolderContext, id or path")
    if isinstance(folder, int):
        return FolderContext(id=folder)
    if isinstance(folder, str):
        return FolderContext(path=folder)
    raise TypeError("a folder is a Folder, FolderContext, id or path")


def _ssl_context(
    verify: Union[bool, str, os.PathLike, ssl.SSLContext],
) -> Union[bool, ssl.SSLContext]:
    """httpx 0.28 wants an SSLContext for a custom CA bundle; build it (with a clear error)."""
    if isinstance(verify, (bool, ssl.SSLContext)):
        return verify
    path = os.fspath(verify)
    try:
        if os.path.isdir(path):
            return ssl.create_default_context(capath=path)
        return ssl.create_default_context(cafile=path)
    except (OSError, ssl.SSLError) as exc:
        raise CertificateError(
            f"The CA bundle {path!r} could not be used ({exc}). Point the CA bundle setting "
            "at a PEM file with the certificate authority that signed Orchestrator's "
            "certificate."
        ) from exc


def _check_base_url(text: str) -> str:
    """The Orchestrator URL without query, fragment, trailing slash or ``user:password@``;
    or a clear error (a port above 65535 included)."""
    shown = without_userinfo(str(text).strip())
    hint = ("it must start with https:// (or http://) followed by a host name, e.g. "
            "https://cloud.uipath.com/ORGANIZATION/TENANT/orchestrator_")
    problem = url_problem(shown)
    if problem is not None and "port" in problem:
        raise ConnectionFailed(f"The Orchestrator URL {shown!r} is not valid: {problem}.")
    try:
        url = httpx.URL(shown)
    except httpx.InvalidURL as exc:
        raise ConnectionFailed(f"The Orchestrator URL {shown!r} is not valid ({exc}); {hint}.") \
            from exc
    if problem is not None or url.scheme not in ("http", "https") or not url.host:
        raise ConnectionFailed(f"The Orchestrator URL {shown!r} is not valid: {hint}.")
    return str(url.copy_with(query=None, fragment=None)).rstrip("/")


@dataclass(frozen=True)
class _BlobAccess:
    """Where an attachment's bytes are stored (``BlobFileAccess``)."""

    url: httpx.URL
    headers: dict
    requires_auth: bool

    def __repr__(self) -> str:  # the query holds a signature
        return f"_BlobAccess(host={self.url.host!r})"


def _blob_access(data: dict) -> _BlobAccess:
    """The ``BlobFileAccess`` of an ``AttachmentDto`` (``Headers`` as ``{Keys, Values}``)."""
    found = data.get("BlobFileAccess")
    access: dict = found if isinstance(found, dict) else {}
    uri = access.get("Uri")
    try:
        url = httpx.URL(uri) if isinstance(uri, str) else None
    except httpx.InvalidURL:
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.host:
        raise ProtocolError("Orchestrator's answer about a job attachment has no storage "
                            "address (BlobFileAccess.Uri).")
    raw = access.get("Headers") or {}
    keys = raw.get("Keys") if isinstance(raw, dict) else None
    values = raw.get("Values") if isinstance(raw, dict) else None
    pairs: Iterable[tuple[Any, Any]]
    if isinstance(keys, list) and isinstance(values, list):
        pairs = zip(keys, values)
    elif isinstance(raw, dict) and keys is None and values is None:
        pairs = raw.items()
    else:
        raise ProtocolError("Orchestrator's BlobFileAccess.Headers are not readable.")
    headers = {str(key): str(value) for key, value in pairs}
    return _BlobAccess(url, headers, access.get("RequiresAuth") is True)


_CURRENT = object()  # "use the client's folder" marker for _request


class OrchestratorClient:
    """Talks to one Orchestrator (``base_url`` up to and including ``orchestrator_``)."""

    #: Largest ``$top`` Orchestrator accepts.
    page_size = 1000
    #: Job ids per ``Id in (...)`` query.
    job_ids_per_request = 50
    #: Safety stop for collections that never end (a server ignoring ``$skip``).
    max_pages = 1000

    def __init__(
        self,
        base_url: str,
        auth: Optional[httpx.Auth],
        *,
        transport: Optional[httpx.AsyncBaseTransport] = None,
        verify: Union[bool, str, os.PathLike, ssl.SSLContext] = True,
        timeout: Union[float, httpx.Timeout] = 30.0,
        max_retries: int = 4,
        max_retry_wait: float = 30.0,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        user_agent: str = DEFAULT_USER_AGENT,
        folder: Union[FolderContext, Folder, int, str, None] = None,
        trust_env: bool = True,
        rng: Callable[[], float] = random.random,
        throttle_window: float = 60.0,
    ) -> None:
        self.base_url = _check_base_url(base_url)
        self.auth = auth
        self.folder: Optional[FolderContext] = _as_folder(folder)
        self.retry = RetryPolicy(max_retries=max(0, int(max_retries)), max_wait=max_retry_wait,
                                 rng=rng, throttle_window=max(0.0, float(throttle_window)))
        self._sleep = sleep
        if not isinstance(timeout, httpx.Timeout):
            timeout = httpx.Timeout(timeout)
        self._http = httpx.AsyncClient(
            base_url=self.base_url + "/",
            auth=auth,
            transport=transport,
            verify=_ssl_context(verify),
            timeout=timeout,
            trust_env=trust_env,
            follow_redirects=False,
            headers={"User-Agent": user_agent, "Accept": "application/json"},
        )

    # -- lifecycle --------------------------------------------------------------------------

    async def __aenter__(self) -> OrchestratorClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def closed(self) -> bool:
        return self._http.is_closed

    def use_folder(self, folder: Union[FolderContext, Folder, int, str, None]) -> None:
        """Run the following folder-scoped requests in ``folder`` (None: no folder header)."""
        self.folder = _as_folder(folder)

    # -- plumbing ---------------------------------------------------------------------------

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Optional[dict[str, Any]] = None,
        json_body: Any = None,
        folder: Any = _CURRENT,
        safe: bool = False,
    ) -> httpx.Response:
        """Send one request, retrying reads (and POSTs marked ``safe``: they change
        nothing); return the 2xx answer or raise."""
        context = self.folder if folder is _CURRENT else folder
        headers = folder_headers(context)
        retry = method == "GET" or safe
        attempt = 0
        throttled = 0  # 429s without Retry-After so far, and the seconds waited for them
        throttled_for = 0.0
        while True:
            request = self._http.build_request(
                method, path, params=params, json=json_body, headers=headers
            )
            started = time.monotonic()
            try:
                response = await self._http.send(request)
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                # The failing request may be the sign-in (identity host), not ``request``.
                failed = getattr(exc, "_request", None)
                error = error_from_exception(exc, failed.url if failed is not None else request.url)
                if retry and attempt < self.retry.max_retries and exception_is_retryable(exc):
                    wait = self.retry.delay(attempt, None)
                    log.info("%s %s failed (%s); retry in %.1fs", method, request.url.path,
                             type(exc).__name__, wait)
                    attempt += 1
                    await self._sleep(wait)
                    continue
                raise error from exc
            log.debug("%s %s -> %s in %.0f ms", method, request.url.path, response.status_code,
                      (time.monotonic() - started) * 1000)
            status = response.status_code
            if 200 <= status < 300:
                return response
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if retry and status == 429 and retry_after is None:
                pause = self.retry.throttle_delay(throttled, throttled_for)
                if pause is not None:
                    log.info("%s %s answered 429 without Retry-After; retry in %.1fs", method,
                             request.url.path, pause)
                    throttled += 1
                    throttled_for += pause
                    await self._sleep(pause)
                    continue
            elif retry and status in RETRY_STATUSES and attempt < self.retry.max_retries:
                wait = self.retry.delay(attempt, retry_after)
                log.info("%s %s answered %s; retry in %.1fs", method, request.url.path, status,
                         wait)
                attempt += 1
                await self._sleep(wait)
                continue
            raise error_from_response(response, retry_after=retry_after)

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        content_type = response.headers.get("Content-Type", "")
        try:
            return json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            pass
        where = response.request.url.host or "The server"
        if "html" in content_type.lower() or response.content.lstrip()[:1] == b"<":
            raise ProtocolError(
                f"{where} answered with a web page instead of Orchestrator data. Check that "
                "the URL points at Orchestrator (for Automation Cloud it ends with "
                "/orchestrator_).",
                status=response.status_code,
            )
        raise ProtocolError(
            f"{where} answered with something that is not valid JSON. Check the Orchestrator "
            "URL, and any proxy in between.",
            status=response.status_code,
        )

    async def _get_object(self, path: str, params: Optional[dict[str, Any]] = None,
                          folder: Any = _CURRENT) -> dict:
        response = await self._request("GET", path, params=params, folder=folder)
        data = self._json(response)
        if not isinstance(data, dict):
            raise ProtocolError(
                f"Orchestrator answered {path} with {type(data).__name__} instead of an object.",
                status=response.status_code,
            )
        return data

    @staticmethod
    def _values(data: dict, path: str) -> list:
        values = data.get("value")
        if not isinstance(values, list) or not all(isinstance(v, dict) for v in values):
            raise ProtocolError(
                f"Orchestrator's answer to {path} has no list of items ('value')."
            )
        return values

    @staticmethod
    def _count(data: dict) -> Optional[int]:
        count = data.get("@odata.count")
        if isinstance(count, bool):
            return None
        if isinstance(count, int):
            return count
        if isinstance(count, str) and count.isdigit():
            return int(count)
        return None

    async def _get_all(self, path: str, params: Optional[dict] = None,
                       folder: Any = _CURRENT) -> list:
        """Every item of a collection, ``page_size`` at a time."""
        items: list = []
        for _ in range(self.max_pages):
            page_params = dict(params or {})
            page_params["$top"] = self.page_size
            page_params["$skip"] = len(items)
            data = await self._get_object(path, page_params, folder)
            values = self._values(data, path)
            items.extend(values)
            total = self._count(data)
            if len(values) < self.page_size or not values:
                return items
            if total is not None and len(items) >= total:
                return items
        raise ProtocolError(
            f"Orchestrator kept sending pages of {path} (more than {self.max_pages}); it may be "
            "ignoring $skip."
        )

    @staticmethod
    def _parse(build: Callable[..., Any], data: Any, *args: Any) -> Any:
        try:
            return build(data, *args)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ProtocolError(
                f"Orchestrator sent an item this client cannot read ({exc!r})."
            ) from exc

    # -- folders ----------------------------------------------------------------------------

    async def list_folders(self) -> list[Folder]:
        """Every folder the signed-in account can see (no folder header)."""
        values = await self._get_all(
            f"{_ODATA}/Folders", {"$orderby": "FullyQualifiedName asc"}, folder=None
        )
        return [self._parse(Folder.from_api, v) for v in values]

    # -- processes (releases) ---------------------------------------------------------------

    async def search_releases(
        self, text: str, *, top: int = 50, skip: int = 0, orderby: str = "Name asc"
    ) -> Page:
        """One page of processes whose name or package contains ``text`` (any case)."""
        if isinstance(top, bool) or not isinstance(top, int) or not 1 <= top <= self.page_size:
            raise ValueError(f"top must be between 1 and {self.page_size}")
        if isinstance(skip, bool) or not isinstance(skip, int) or skip < 0:
            raise ValueError("skip must be a whole number >= 0")
        params: dict[str, Any] = {
            "$top": top,
            "$skip": skip,
            "$orderby": odata.orderby(orderby),
            "$count": "true",
        }
        needle = (text or "").strip()
        if needle:
            params["$filter"] = odata.any_of(
                odata.contains("Name", needle, ignore_case=True),
                odata.contains("ProcessKey", needle, ignore_case=True),
            )
        data = await self._get_object(f"{_ODATA}/Releases", params)
        items = [self._parse(Release.from_api, v) for v in self._values(data, "Releases")]
        total = self._count(data)
        return Page(items=items, total=total if total is not None else skip + len(items))

    async def releases_for_process(self, process_key: str) -> list[Release]:
        """Every release of one package (``ProcessKey``) in the current folder."""
        values = await self._get_all(
            f"{_ODATA}/Releases",
            {"$filter": odata.eq("ProcessKey", process_key), "$orderby": "Name asc"},
        )
        return [self._parse(Release.from_api, v) for v in values]

    #: An ``in (...)`` ``$filter`` longer than this is split (IIS refuses query strings over
    #: 2,048 bytes by default).
    max_filter_chars = 1000

    def _in_chunks(self, name: str, values: Iterable[str]) -> list[list[str]]:
        """``values`` (each once) in chunks whose ``name in (...)`` fits
        ``max_filter_chars``."""
        chunks: list[list[str]] = [[]]
        for value in dict.fromkeys(values):
            if chunks[-1] and len(odata.in_(name, [*chunks[-1], value])) > (
                    self.max_filter_chars):
                chunks.append([])
            chunks[-1].append(value)
        return [chunk for chunk in chunks if chunk]

    async def releases_for_processes(self, process_keys: Iterable[str]) -> list[Release]:
        """Every release of several packages in the current folder: one ``ProcessKey in
        (...)`` request per ``max_filter_chars`` of keys instead of one per key."""
        releases: list[Release] = []
        for chunk in self._in_chunks("ProcessKey", process_keys):
            values = await self._get_all(
                f"{_ODATA}/Releases",
                {"$filter": odata.in_("ProcessKey", chunk), "$orderby": "Name asc"})
            releases += [self._parse(Release.from_api, v) for v in values]
        return releases

    async def release_by_key(self, key: str) -> Optional[Release]:
        """The release with this ``Key`` in the current folder, or None."""
        data = await self._get_object(
            f"{_ODATA}/Releases", {"$filter": odata.eq("Key", str(key)), "$top": 1}
        )
        values = self._values(data, "Releases")
        return self._parse(Release.from_api, values[0]) if values else None

    async def release_by_id(self, release_id: int) -> Release:
        """One release by id (``GET /odata/Releases(id)``), e.g. the one a queue names."""
        data = await self._get_object(f"{_ODATA}/Releases({odata.path_int(release_id)})")
        return self._parse(Release.from_api, data)

    # -- robots -----------------------------------------------------------------------------

    async def _session_states(self, folder: Any = _CURRENT) -> dict[int, str]:
        """Robot id -> Available/Busy/Disconnected/Unknown from ``/odata/Sessions``."""
        values = await self._get_all(
            f"{_ODATA}/Sessions", {"$expand": "Robot", "$orderby": "Id asc"}, folder
        )
        states: dict[int, str] = {}
        for session in values:
            robot = session.get("Robot")
            robot_id = robot.get("Id") if isinstance(robot, dict) else None
            if robot_id is None:
                robot_id = session.get("RobotId")
            if isinstance(robot_id, bool) or not isinstance(robot_id, int):
                continue
            state = session.get("State")
            if state not in ROBOT_STATES:
                state = "Unknown"
            old = states.get(robot_id)
            if old is None or _STATE_RANK[state] < _STATE_RANK[old]:
                states[robot_id] = state
        return states

    async def _with_states(
        self, main: Awaitable[T], folder: Any = _CURRENT
    ) -> tuple[T, dict[int, str]]:
        """Run ``main`` and the sessions query at the same time; return (main, states)."""
        result, states = await asyncio.gather(
            main, self._session_states(folder), return_exceptions=True
        )
        if isinstance(result, BaseException):
            raise result
        if isinstance(states, PermissionDenied):
            log.warning("no permission to read sessions; robot states unknown: %s", states)
            states = {}
        elif isinstance(states, BaseException):
            raise states
        return result, states

    async def environment_robots(self, name: str) -> Optional[Environment]:
        """A classic folder's environment with its robots and their states, or None."""
        params = {"$expand": "Robots", "$filter": odata.eq("Name", name)}
        data, states = await self._with_states(
            self._get_object(f"{_ODATA}/Environments", params)
        )
        values = self._values(data, "Environments")
        if not values:
            return None
        return self._parse(Environment.from_api, values[0], states)

    async def folder_robots(self, folder_id: int) -> list[Robot]:
        """A modern folder's robot users (``GetRobotsFromFolder``) with their states."""
        fid = odata.path_int(folder_id)
        context = FolderContext(id=fid)
        values, states = await self._with_states(
            self._get_all(f"{_ROBOTS_FROM_FOLDER}(folderId={fid})", {"$orderby": "Id asc"},
                          context),
            context,
        )
        robots = []
        for value in values:
            robot_id = value.get("Id")
            state = states.get(robot_id, "Unknown") if isinstance(robot_id, int) else "Unknown"
            robots.append(self._parse(Robot.from_api, value, state))
        return robots

    # -- diagnostics --------------------------------------------------------------------------

    @staticmethod
    def _unavailable(error: OrchestratorError, what: str) -> OrchestratorError:
        """``error`` as ``NotAvailable`` when it says the server lacks the endpoint."""
        if error.status not in _NO_ENDPOINT:
            return error
        if isinstance(error, NotFound) and str(error.error_code) == "1002":
            return error  # the job, release or folder asked about does not exist
        return NotAvailable(f"This Orchestrator has no {what} (HTTP {error.status}).",
                            status=error.status, server_message=error.server_message,
                            error_code=error.error_code, trace_id=error.trace_id)

    async def _diagnose(self, path: str, what: str, json_body: Any = None,
                        folder: Any = _CURRENT) -> dict:
        try:
            response = await self._request("POST", path, json_body=json_body, folder=folder,
                                           safe=True)
        except OrchestratorError as exc:
            raise self._unavailable(exc, what) from exc
        data = self._json(response)
        if not isinstance(data, dict):
            raise ProtocolError(f"Orchestrator's answer to {what} is not an object.",
                                status=response.status_code)
        return data

    async def validate_dynamic_job(self, start_info: dict) -> ValidationResult:
        """``ValidateDynamicJob``: would this ``startInfo`` start a job (it starts nothing)?

        Raises ``NotAvailable`` when the server has no such endpoint.
        """
        if not isinstance(start_info, dict):
            raise TypeError("start_info must be a dict")
        data = await self._diagnose(_VALIDATE_DYNAMIC, "pre-flight check (ValidateDynamicJob)",
                                    {"startInfo": start_info})
        return self._parse(ValidationResult.from_api, data)

    async def validate_existing_job(self, job_id: int) -> ValidationResult:
        """``ValidateExistingJob``: why a Pending job is not dispatched (the reasons are a
        snapshot from its first dispatch). Raises ``NotAvailable`` when the server has no
        such endpoint, ``NotFound`` for an unknown job."""
        jid = odata.path_int(job_id)
        data = await self._diagnose(f"{_ODATA}/Jobs({jid})/{_VALIDATE_EXISTING}",
                                    "pending-job check (ValidateExistingJob)")
        return self._parse(ValidationResult.from_api, data)

    async def runtimes_for_folder(self, folder_id: int) -> list[RuntimeCapacity]:
        """``GetRuntimesForFolder``: Total / Connected / Available runtimes per type in a
        modern folder (one request: the endpoint has no paging). Raises ``NotAvailable``
        when the server has no such endpoint."""
        fid = odata.path_int(folder_id)
        what = "runtime counts (GetRuntimesForFolder)"
        try:
            data = await self._get_object(f"{_RUNTIMES_FOR_FOLDER}(folderId={fid})",
                                          folder=FolderContext(id=fid))
        except OrchestratorError as exc:
            raise self._unavailable(exc, what) from exc
        return [self._parse(RuntimeCapacity.from_api, v)
                for v in self._values(data, "GetRuntimesForFolder")]

    # -- start options: entry points, machine sessions (issue 15) ---------------------------

    @staticmethod
    def _not_readable(error: OrchestratorError, what: str) -> OrchestratorError:
        """``error`` as ``NotAvailable`` when the server lacks ``what`` or the account may not
        read it (403, 404, 405, 501); any other error as it is."""
        if error.status not in _NOT_READABLE:
            return error
        why = ("this account may not read" if error.status == 403
               else "this Orchestrator has no")
        return NotAvailable(f"Not available: {why} {what} (HTTP {error.status}).",
                            status=error.status, server_message=error.server_message,
                            error_code=error.error_code, trace_id=error.trace_id)

    async def entry_points(self, release: Release) -> list[EntryPoint]:
        """The entry points of ``release``'s package version (``GetProcessVersions`` with
        ``$expand=EntryPoints``), each with its own input arguments; empty when the server
        lists none. Raises ``NotAvailable`` when the server has no such call or the account
        may not read packages."""
        path = f"{_PROCESS_VERSIONS}(processId={odata.literal(release.process_key)})"
        params = {"$filter": odata.eq("Version", release.process_version),
                  "$expand": "EntryPoints"}
        try:
            data = await self._get_object(path, params)
        except OrchestratorError as exc:
            raise self._not_readable(exc, "package entry points (GetProcessVersions)") from exc
        for version in self._values(data, "GetProcessVersions"):
            if str(version.get("Version") or "") != release.process_version:
                continue
            entry_points = version.get("EntryPoints") or []
            if not isinstance(entry_points, list):
                raise ProtocolError("Orchestrator's EntryPoints of a package version are not "
                                    "a list.")
            return [self._parse(EntryPoint.from_api, item) for item in entry_points]
        return []

    async def machine_sessions(self, folder_id: int,
                               runtime_type: Optional[str] = None) -> list[MachineSession]:
        """The hosts of the machines (templates) of a modern folder, one row per host and
        runtime type, with their states (``GetMachineSessionRuntimesByFolderId``, every
        page); only ``runtime_type``'s rows when given. Raises ``NotAvailable`` when the
        server has no such call or the account may not read machines."""
        fid = odata.path_int(folder_id)
        params: dict[str, Any] = {"$orderby": "SessionId asc"}
        if runtime_type:
            params["runtimeType"] = runtime_type
        try:
            values = await self._get_all(f"{_MACHINE_SESSIONS}(folderId={fid})", params,
                                         FolderContext(id=fid))
        except OrchestratorError as exc:
            raise self._not_readable(
                exc, "machine sessions (GetMachineSessionRuntimesByFolderId)") from exc
        return [self._parse(MachineSession.from_api, value) for value in values]

    # -- job attachments: large input (InputFile) and output (OutputFile) -------------------

    #: Largest attachment ``read_attachment`` accepts (an OutputFile is JSON text).
    max_attachment_bytes = 32 * 1024 * 1024

    async def upload_attachment(self, name: str, content: bytes) -> str:
        """Store ``content`` as a job attachment called ``name`` and return its id (for
        ``InputFile``): ``POST /odata/Attachments``, then ``PUT`` the bytes to the storage
        address the answer gives (``BlobFileAccess``). Neither request is retried."""
        if not isinstance(content, bytes):
            raise TypeError("content must be bytes")
        try:
            response = await self._request("POST", f"{_ODATA}/Attachments",
                                           json_body={"Name": str(name)})
        except OrchestratorError as exc:
            raise self._unavailable(exc, "job attachments (POST /odata/Attachments)") from exc
        data = self._json(response)
        if not isinstance(data, dict):
            raise ProtocolError("Orchestrator's answer to creating an attachment is not an "
                                "object.", status=response.status_code)
        attachment_id = self._guid_field(data, "attachment")
        await self._blob("PUT", _blob_access(data), content)
        return attachment_id

    async def read_attachment(self, attachment_id: str) -> bytes:
        """The bytes of a job attachment (``GET /odata/Attachments({id})``, then ``GET`` its
        storage address); ``NotFound`` for an unknown id."""
        key = self._guid(attachment_id)
        data = await self._get_object(f"{_ODATA}/Attachments({key})")
        return await self._blob("GET", _blob_access(data), None)

    def _guid_field(self, data: dict, what: str) -> str:
        try:
            return self._guid(data.get("Id"))
        except ValueError:
            raise ProtocolError(f"Orchestrator's {what} has no id (a GUID).") from None

    async def _blob(self, method: str, access: _BlobAccess, content: Optional[bytes]) -> bytes:
        """One request to attachment storage: a foreign host, so no Orchestrator token
        (unless ``RequiresAuth``) and no folder header; the address carries a signature, so
        no error or log line shows more of it than the host. Never retried."""
        url = access.url
        where = url.host
        try:
            request = self._http.build_request(method, url, content=content,
                                               headers=access.headers)
            response = await self._http.send(
                request, auth=httpx.USE_CLIENT_DEFAULT if access.requires_auth else None)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise error_from_exception(exc, url.copy_with(query=None, fragment=None)) \
                from None
        log.debug("%s attachment storage %s -> %s", method, where, response.status_code)
        status = response.status_code
        if not 200 <= status < 300:
            kind = ServerError if status >= 500 else RequestRejected
            doing = "upload of" if method == "PUT" else "download of"
            raise kind(f"The attachment storage at {where} refused the {doing} the job "
                       f"attachment (HTTP {status}).", status=status)
        if method == "GET" and len(response.content) > self.max_attachment_bytes:
            raise ProtocolError(f"The job attachment is larger than "
                                f"{self.max_attachment_bytes // (1024 * 1024)} MB.")
        return response.content

    # -- jobs -------------------------------------------------------------------------------

    async def start_jobs(self, start_info: dict) -> list[Job]:
        """``StartJobs`` with ``{"startInfo": start_info}``. Never retried."""
        if not isinstance(start_info, dict):
            raise TypeError("start_info must be a dict")
        response = await self._request("POST", _START_JOBS, json_body={"startInfo": start_info})
        data = self._json(response)
        if not isinstance(data, dict):
            raise ProtocolError("Orchestrator's answer to StartJobs is not an object.",
                                status=response.status_code)
        return [self._parse(Job.from_api, v) for v in self._values(data, "StartJobs")]

    async def get_job(self, job_id: int) -> Job:
        """One job by id (``GET /odata/Jobs(id)``, the request that is not rate limited)."""
        jid = odata.path_int(job_id)
        data = await self._get_object(f"{_ODATA}/Jobs({jid})", {"$expand": "Robot"})
        return self._parse(Job.from_api, data)

    async def get_jobs(self, ids: Iterable[int]) -> list[Job]:
        """Several jobs in one request (``Id in (...)``, 50 ids per request), in ``ids`` order.

        Ids Orchestrator does not know are left out.
        """
        wanted: list[int] = []
        for job_id in ids:
            jid = odata.path_int(job_id)
            if jid not in wanted:
                wanted.append(jid)
        found: dict[int, Job] = {}
        step = self.job_ids_per_request
        for start in range(0, len(wanted), step):
            chunk = wanted[start:start + step]
            data = await self._get_object(
                f"{_ODATA}/Jobs",
                {"$filter": odata.in_("Id", chunk), "$top": len(chunk), "$expand": "Robot"},
            )
            for value in self._values(data, "Jobs"):
                job = self._parse(Job.from_api, value)
                found[job.id] = job
        return [found[j] for j in wanted if j in found]

    async def find_jobs_by_reference(self, reference: str) -> list[Job]:
        """Jobs started with this ``Reference`` in the current folder, oldest first."""
        values = await self._get_all(
            f"{_ODATA}/Jobs",
            {"$filter": odata.eq("Reference", reference), "$orderby": "Id asc",
             "$expand": "Robot"},
        )
        return [self._parse(Job.from_api, v) for v in values]

    async def jobs_by_references(self, references: Iterable[str]) -> dict[str, list[Job]]:
        """``find_jobs_by_reference`` for several References at once (``Reference in
        (...)``, ``max_filter_chars`` at a time): each Reference's jobs, oldest first (an
        empty list for one no job has)."""
        found: dict[str, list[Job]] = {}
        for chunk in self._in_chunks("Reference", references):
            values = await self._get_all(
                f"{_ODATA}/Jobs",
                {"$filter": odata.in_("Reference", chunk), "$orderby": "Id asc",
                 "$expand": "Robot"},
            )
            jobs: dict[str, list[Job]] = {reference: [] for reference in chunk}
            for value in values:
                job = self._parse(Job.from_api, value)
                if job.reference in jobs:  # an exact match only
                    jobs[job.reference].append(job)
            found.update(jobs)
        return found

    async def stop_jobs(self, ids: Iterable[int], strategy: str) -> None:
        """Ask Orchestrator to stop jobs: ``"SoftStop"`` (ask nicely) or ``"Kill"``."""
        if strategy not in STOP_STRATEGIES:
            raise ValueError(f"strategy must be one of {', '.join(STOP_STRATEGIES)}")
        job_ids = [odata.path_int(i) for i in ids]
        if not job_ids:
            raise ValueError("no job ids to stop")
        await self._request(
            "POST", _STOP_JOBS, json_body={"jobIds": job_ids, "strategy": strategy}
        )

    # -- queues (issue 16) ------------------------------------------------------------------

    async def search_queues(self, text: str, *, top: int = 50, skip: int = 0) -> Page:
        """One page of the current folder's queues whose name contains ``text`` (any case),
        by name."""
        if isinstance(top, bool) or not isinstance(top, int) or not 1 <= top <= self.page_size:
            raise ValueError(f"top must be between 1 and {self.page_size}")
        if isinstance(skip, bool) or not isinstance(skip, int) or skip < 0:
            raise ValueError("skip must be a whole number >= 0")
        params: dict[str, Any] = {"$top": top, "$skip": skip, "$orderby": "Name asc",
                                  "$count": "true"}
        needle = (text or "").strip()
        if needle:
            params["$filter"] = odata.contains("Name", needle, ignore_case=True)
        data = await self._get_object(f"{_ODATA}/QueueDefinitions", params)
        items = [self._parse(QueueDefinition.from_api, v)
                 for v in self._values(data, "QueueDefinitions")]
        total = self._count(data)
        return Page(items=items, total=total if total is not None else skip + len(items))

    async def queue_by_name(self, name: str) -> Optional[QueueDefinition]:
        """The current folder's queue called ``name`` (names match in any case), or None."""
        wanted = str(name).strip()
        if not wanted:
            return None
        values = await self._get_all(
            f"{_ODATA}/QueueDefinitions",
            {"$filter": odata.contains("Name", wanted, ignore_case=True), "$orderby": "Id asc"})
        for value in values:
            queue = self._parse(QueueDefinition.from_api, value)
            if queue.name.casefold() == wanted.casefold():
                return queue
        return None

    async def add_queue_item(self, item_data: dict) -> QueueItem:
        """``AddQueueItem`` with ``{"itemData": item_data}`` (201: the new item). Never
        retried: it is not idempotent (``tui_app.adding`` reconciles a lost answer)."""
        if not isinstance(item_data, dict):
            raise TypeError("item_data must be a dict")
        response = await self._request("POST", _ADD_QUEUE_ITEM,
                                       json_body={"itemData": item_data})
        data = self._json(response)
        if not isinstance(data, dict):
            raise ProtocolError("Orchestrator's answer to AddQueueItem is not an object.",
                                status=response.status_code)
        return self._parse(QueueItem.from_api, data)

    async def bulk_add_queue_items(self, queue_name: str, commit_type: str,
                                   items: list[dict]) -> BulkResult:
        """``BulkAddQueueItems`` (``commit_type`` one of ``COMMIT_TYPES``). Never retried."""
        if commit_type not in COMMIT_TYPES:
            raise ValueError(f"commit_type must be one of {', '.join(COMMIT_TYPES)}")
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise TypeError("items must be a list of dicts")
        response = await self._request(
            "POST", _BULK_ADD_QUEUE_ITEMS,
            json_body={"queueName": str(queue_name), "commitType": commit_type,
                       "queueItems": items})
        data = self._json(response)
        if not isinstance(data, dict):
            raise ProtocolError("Orchestrator's answer to BulkAddQueueItems is not an object.",
                                status=response.status_code)
        return self._parse(BulkResult.from_api, data)

    async def queue_items_by_reference(self, queue_id: int, reference: str) -> list[QueueItem]:
        """The items of one queue carrying ``reference``, newest first."""
        clause = odata.all_of(f"QueueDefinitionId eq {odata.path_int(queue_id)}",
                              odata.eq("Reference", str(reference)))
        values = await self._get_all(f"{_ODATA}/QueueItems",
                                     {"$filter": clause, "$orderby": "Id desc"})
        return [self._parse(QueueItem.from_api, v) for v in values]

    async def queue_item(self, item_id: int) -> QueueItem:
        """One queue item by id (``GET /odata/QueueItems(id)``)."""
        data = await self._get_object(f"{_ODATA}/QueueItems({odata.path_int(item_id)})")
        return self._parse(QueueItem.from_api, data)

    async def queue_items(self, ids: Iterable[int]) -> list[QueueItem]:
        """Several queue items in one request (``Id in (...)``), in ``ids`` order; ids
        Orchestrator does not know are left out."""
        wanted = list(dict.fromkeys(odata.path_int(i) for i in ids))
        if not wanted:
            return []
        data = await self._get_object(f"{_ODATA}/QueueItems",
                                      {"$filter": odata.in_("Id", wanted), "$top": len(wanted)})
        found = {item.id: item for item in (self._parse(QueueItem.from_api, v)
                                            for v in self._values(data, "QueueItems"))}
        return [found[i] for i in wanted if i in found]

    async def queue_item_last_retry(self, key: str) -> QueueItem:
        """The newest attempt of the item with this ``Key`` (``GetItemLastRetryByKey``);
        ``NotFound`` when there is none."""
        data = await self._get_object(f"{_LAST_RETRY_BY_KEY}(key={self._guid(key)})")
        return self._parse(QueueItem.from_api, data)

    # -- after the start: identity, recent jobs, robot logs, restart, resume (issue 14) -----

    @staticmethod
    def _guid(value: Any) -> str:
        """A job key in its canonical form (so it is safe in a filter or path)."""
        import uuid

        try:
            return str(uuid.UUID(str(value)))
        except ValueError:
            raise ValueError(f"not a job key (a GUID): {value!r}") from None

    async def current_user(self) -> Optional[Any]:
        """``GetCurrentUser`` as a ``CurrentUser`` (user name, id, e-mail as the API gives
        them); None when Orchestrator answers 204 No Content. No folder header."""
        from .models import CurrentUser

        response = await self._request(
            "GET", f"{_ODATA}/Users/UiPath.Server.Configuration.OData.GetCurrentUser",
            folder=None)
        if response.status_code == 204 or not response.content.strip():
            return None
        data = self._json(response)
        if not isinstance(data, dict):
            raise ProtocolError("Orchestrator's answer to GetCurrentUser is not an object.",
                                status=response.status_code)
        return self._parse(CurrentUser.from_api, data)

    async def recent_jobs(self, *, state: Optional[str] = None, process: Optional[str] = None,
                          since: Optional[Any] = None, ids: Optional[Iterable[int]] = None,
                          top: int = 50) -> list[Job]:
        """The newest ``top`` jobs of the current folder in one request (``CreationTime
        desc``): in ``state``, of a process whose name contains ``process`` (any case),
        created at or after ``since`` (an aware ``datetime``), among ``ids``."""
        from datetime import datetime, timezone

        if isinstance(top, bool) or not isinstance(top, int) or not 1 <= top <= self.page_size:
            raise ValueError(f"top must be between 1 and {self.page_size}")
        clauses = []
        if state:
            clauses.append(odata.eq("State", state))
        if process:
            clauses.append(odata.contains("ReleaseName", process, ignore_case=True))
        if since is not None:
            if not isinstance(since, datetime) or since.tzinfo is None:
                raise TypeError("since must be a timezone-aware datetime")
            moment = since.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            clauses.append(f"CreationTime ge {moment}")
        if ids is not None:
            clauses.append(odata.in_("Id", [odata.path_int(i) for i in ids]))
        params: dict[str, Any] = {"$orderby": "CreationTime desc", "$top": top,
                                  "$expand": "Robot"}
        if clauses:
            params["$filter"] = odata.all_of(*(odata.group(c) for c in clauses))
        data = await self._get_object(f"{_ODATA}/Jobs", params)
        return [self._parse(Job.from_api, v) for v in self._values(data, "Jobs")]

    async def job_by_key(self, key: str) -> Job:
        """One job by its key (``GetByKey``, as UiPath's Python SDK reads it); ``NotFound``
        when the current folder has no such job."""
        identifier = self._guid(key)
        data = await self._get_object(
            f"{_ODATA}/Jobs/UiPath.Server.Configuration.OData.GetByKey(identifier={identifier})",
            {"$expand": "Robot"})
        return self._parse(Job.from_api, data)

    async def robot_logs(self, job_key: str, *, level: Optional[str] = None, top: int = 100,
                         skip: int = 0, newest_first: bool = False) -> Page:
        """One page of a job's robot log lines (``GET /odata/RobotLogs``, ``JobKey eq`` the
        bare GUID), oldest first unless ``newest_first``; ``level`` keeps that level and the
        more severe ones. ``Page.total`` is the server's count of matching lines."""
        from .models import LOG_LEVELS, LogEntry

        if isinstance(top, bool) or not isinstance(top, int) or not 1 <= top <= self.page_size:
            raise ValueError(f"top must be between 1 and {self.page_size}")
        if isinstance(skip, bool) or not isinstance(skip, int) or skip < 0:
            raise ValueError("skip must be a whole number >= 0")
        key = self._guid(job_key)
        clause = f"JobKey eq {key}"  # OData v4 GUID literal: bare, never quoted
        if level is not None:
            if level not in LOG_LEVELS:
                raise ValueError(f"level must be one of {', '.join(LOG_LEVELS)}")
            wanted = LOG_LEVELS[LOG_LEVELS.index(level):]
            if len(wanted) < len(LOG_LEVELS):
                levels = odata.any_of(*(odata.eq("Level", name) for name in wanted))
                clause = odata.all_of(clause, odata.group(levels))
        params = {"$filter": clause, "$top": top, "$skip": skip, "$count": "true",
                  "$orderby": "TimeStamp desc" if newest_first else "TimeStamp asc"}
        data = await self._get_object(f"{_ODATA}/RobotLogs", params)
        items = [self._parse(LogEntry.from_api, v) for v in self._values(data, "RobotLogs")]
        total = self._count(data)
        return Page(items=items, total=total if total is not None else skip + len(items))

    async def _job_action(self, operation: str, body: dict) -> Job:
        """POST a job operation that answers with a ``JobDto``. Never retried."""
        response = await self._request(
            "POST", f"{_ODATA}/Jobs/UiPath.Server.Configuration.OData.{operation}",
            json_body=body)
        data = self._json(response)
        if not isinstance(data, dict):
            raise ProtocolError(f"Orchestrator's answer to {operation} is not an object.",
                                status=response.status_code)
        return self._parse(Job.from_api, data)

    async def restart_job(self, job_id: int) -> Job:
        """``RestartJob`` ``{"jobId": id}`` for a job that ended: returns the new job."""
        return await self._job_action("RestartJob", {"jobId": odata.path_int(job_id)})

    async def resume_job(self, job_key: str) -> Job:
        """``ResumeJob`` ``{"jobKey": key}`` for a Suspended job: returns the job."""
        return await self._job_action("ResumeJob", {"jobKey": self._guid(job_key)})
