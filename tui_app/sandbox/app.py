"""Routing and the request pipeline: URL shape → route → bearer token → scope → folder.

Two URL shapes, one API version each (paths match case-insensitively):

- **cloud** ``/{org}/{tenant}/orchestrator_/odata/...`` (only the demo organization and tenant;
  others are 404) serves what Automation Cloud serves today (API v20): modern folders only
  (classic folders are not listed and their folder headers are unknown, 400/1100), no
  ``Environments`` and no ``Account/Authenticate`` (404); tokens come from the identity
  server, ``/identity_/connect/token`` or ``/{org}/identity_/connect/token``.
- **standalone** ``/odata/...`` / ``/api/...`` at the server root serves an on-prem
  Orchestrator (API v18): classic and modern folders, ``Environments``,
  ``/api/Account/Authenticate`` and OAuth at ``/identity/connect/token``; no
  ``/odata/Attachments`` (v20 only, 404 there).
- the attachments' blobs ``/sandbox-blobs/{id}?sig=…`` (PUT / GET, no bearer token, like an
  Azure SAS URL) are at the server root (``tui_app.sandbox.attachments``).

A bound operation written with empty parentheses (``…/UiPath.Server.Configuration.OData.
GetCurrentUser()``, ``…StartJobs()``) is the same route as without them. Both shapes also
serve the job-details web page ``…/jobs(sidepanel:sidepanel/jobs/{key}/details)?fid={id}``
(``tui_app.sandbox.pages``, no token needed).

Errors: unknown path 404, wrong method 405 (with ``Allow``), no/unknown/expired token 401
``{"message": "You are not authenticated!", "errorCode": 0, ...}`` with ``WWW-Authenticate:
Bearer``, missing scope 403 naming the scopes that would do, a non-empty POST body that is not
``application/json`` 415 (message as ASP.NET Web API words it; errorCode 0 UNCONFIRMED), folder
header missing 400/1101 or unknown 400/1100. With several folder headers the path wins over
the key, the key over the id (UNCONFIRMED precedence). ``X-UIPATH-FolderPath-Encoded`` must be
an absolute path (relative ``.`` / ``..`` forms are not supported). ``GET /odata/Jobs`` is
limited per tenant, and so is
``GET /odata/QueueItems`` (see ``tui_app.sandbox.ratelimit``; queues: ``tui_app.sandbox.queueapi``).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any, Callable, Optional
from urllib.parse import unquote

from tui_app.sandbox import attachments, catalog, endpoints, identity, pages, queueapi
from tui_app.sandbox.auth import Grant, scopes_needed
from tui_app.sandbox.config import DEMO
from tui_app.sandbox.edm import ODataError
from tui_app.sandbox.faults import FaultInjector
from tui_app.sandbox.ratelimit import jobs_limit_error
from tui_app.sandbox.tenant import Folder, Tenant
from tui_app.sandbox.wire import ApiError, Request, Response

CLOUD_PREFIX = f"/{DEMO.organization}/{DEMO.tenant}/orchestrator_"
_OP = r"UiPath\.Server\.Configuration\.OData\."
#: A bound operation (a namespace-qualified last segment) called with empty parentheses.
_EMPTY_CALL = re.compile(r"(.*/\w+(?:\.\w+)+)\(\)", re.IGNORECASE)


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern
    label: str
    handler: Callable
    #: "token" (identity), "account" (Account/Authenticate), "page" (a web page, no token)
    #: or "orchestrator".
    kind: str = "orchestrator"
    #: (resource, "Read" | "Write") for the OAuth scope check.
    scope: Optional[tuple] = None
    #: Reads the folder headers (required unless ``optional_folder``).
    folder: bool = False
    #: Without folder headers the handler gets no folder (``GET /odata/Robots``).
    optional_folder: bool = False
    #: A classic-folder API (Environments): served on the standalone shape only.
    classic: bool = False
    #: An API v20 has and v18 lacks (Attachments): served on the cloud shape only.
    v20: bool = False
    #: The collection whose per-tenant rate limit counts it ("Jobs" or "QueueItems").
    limited: Optional[str] = None


def _route(method: str, pattern: str, label: str, handler: Callable, **options: Any) -> Route:
    return Route(method, re.compile(pattern, re.IGNORECASE), f"{method} {label}", handler,
                 **options)


def _op(method: str, entity_set: str, operation: str, handler: Callable,
        **options: Any) -> Route:
    """A bound operation ``/odata/{entity_set}/UiPath.Server.Configuration.OData.{operation}``;
    ``operation`` may end in a ``(name={id})`` parameter (a number in the URL)."""
    name, _, parameter = operation.partition("(")
    pattern = rf"odata/{entity_set.lower()}/{_OP}{name}"
    if parameter:
        pattern += r"\(" + re.escape(parameter[:-1]).replace(re.escape("{id}"), r"(\d+)") + r"\)"
    return _route(method, pattern, f"/odata/{entity_set}/UiPath.Server.Configuration.OData."
                                   f"{operation}", handler, **options)


ROBOTS_READ = {"scope": ("Robots", "Read"), "folder": True}
JOBS_READ = {"scope": ("Jobs", "Read"), "folder": True}
JOBS_WRITE = {"scope": ("Jobs", "Write"), "folder": True}
MONITORING_READ = {"scope": ("Monitoring", "Read"), "folder": True}
QUEUES_READ = {"scope": ("Queues", "Read"), "folder": True}
QUEUES_WRITE = {"scope": ("Queues", "Write"), "folder": True}
_SVC = r"UiPathODataSvc\."

ROUTES = (
    _route("POST", r"identity_/connect/token", "/identity_/connect/token", identity.token,
           kind="token"),
    _route("POST", r"identity/connect/token", "/identity/connect/token", identity.token,
           kind="token"),
    _route("POST", r"api/account/authenticate", "/api/Account/Authenticate",
           identity.authenticate, kind="account"),
    _route("GET", r"odata/folders", "/odata/Folders", endpoints.list_folders,
           scope=("Folders", "Read")),
    _route("GET", r"odata/folders\((\d+)\)", "/odata/Folders({id})", endpoints.get_folder,
           scope=("Folders", "Read")),
    _route("GET", r"odata/releases", "/odata/Releases", endpoints.list_releases,
           scope=("Execution", "Read"), folder=True),
    _route("GET", r"odata/releases\((\d+)\)", "/odata/Releases({id})", endpoints.get_release,
           scope=("Execution", "Read"), folder=True),
    _route("GET", r"odata/processes", "/odata/Processes", catalog.list_processes,
           scope=("Execution", "Read")),
    _route("GET", r"odata/environments", "/odata/Environments", endpoints.list_environments,
           classic=True, **ROBOTS_READ),
    _op("GET", "Environments", "GetRobotsForEnvironment(key={id})",
        catalog.robots_for_environment, classic=True, **ROBOTS_READ),
    _op("GET", "Environments", "GetRobotIdsForEnvironment(key={id})",
        catalog.robot_ids_for_environment, classic=True, **ROBOTS_READ),
    _route("GET", r"odata/robots", "/odata/Robots", catalog.list_robots,
           scope=("Robots", "Read"), folder=True, optional_folder=True),
    _op("GET", "Robots", "GetRobotsFromFolder(folderId={id})", endpoints.robots_from_folder,
        **ROBOTS_READ),
    _route("GET", r"odata/sessions", "/odata/Sessions", endpoints.list_sessions, **ROBOTS_READ),
    _route("GET", r"odata/jobs", "/odata/Jobs", endpoints.list_jobs, limited="Jobs", **JOBS_READ),
    _route("GET", r"odata/jobs\((\d+)\)", "/odata/Jobs({id})", endpoints.get_job, **JOBS_READ),
    _route("GET", rf"odata/jobs/{_OP}GetByKey\(identifier=('?)([^')]+)\1\)",
           "/odata/Jobs/UiPath.Server.Configuration.OData.GetByKey(identifier={key})",
           endpoints.get_job_by_key, **JOBS_READ),
    _op("POST", "Jobs", "StartJobs", endpoints.start, **JOBS_WRITE),
    _op("POST", "Jobs", "StopJobs", endpoints.stop_jobs, **JOBS_WRITE),
    _route("POST", rf"odata/jobs\((\d+)\)/{_OP}StopJob",
           "/odata/Jobs({id})/UiPath.Server.Configuration.OData.StopJob", endpoints.stop_job,
           **JOBS_WRITE),
    _op("GET", "Users", "GetCurrentUser", endpoints.current_user, scope=("Users", "Read")),
    _op("POST", "Jobs", "ValidateDynamicJob", endpoints.validate_dynamic_job, **JOBS_WRITE),
    _route("POST", rf"odata/jobs\((\d+)\)/{_OP}ValidateExistingJob",
           "/odata/Jobs({id})/UiPath.Server.Configuration.OData.ValidateExistingJob",
           endpoints.validate_existing_job, **JOBS_WRITE),
    _op("POST", "Jobs", "ResumeJob", endpoints.resume_job, **JOBS_WRITE),
    _op("POST", "Jobs", "RestartJob", endpoints.restart_job, **JOBS_WRITE),
    _route("GET", r"odata/robotlogs", "/odata/RobotLogs", endpoints.list_robot_logs,
           **MONITORING_READ),
    _op("GET", "RobotLogs", "GetTotalCount", endpoints.robot_logs_total_count,
        **MONITORING_READ),
    _route("GET", r"jobs\(sidepanel:sidepanel/jobs/([^/()]+)/details\)",
           "/jobs(sidepanel:sidepanel/jobs/{key}/details)", pages.job_details, kind="page"),
    _op("GET", "Machines", "GetRuntimesForFolder(folderId={id})", endpoints.runtimes_for_folder,
        scope=("Machines", "Read")),
    _route("GET", r"odata/jobtriggers", "/odata/JobTriggers", endpoints.list_job_triggers,
           **JOBS_READ),
    _route("GET", rf"odata/processes/{_OP}GetProcessVersions\(processId='([^']*)'\)",
           "/odata/Processes/UiPath.Server.Configuration.OData.GetProcessVersions"
           "(processId='{processId}')", catalog.process_versions, scope=("Execution", "Read")),
    _op("GET", "Sessions", "GetMachineSessionRuntimesByFolderId(folderId={id})",
        endpoints.machine_session_runtimes, scope=("Robots", "Read")),
    _route("POST", r"odata/attachments", "/odata/Attachments", attachments.create, v20=True,
           scope=("Folders", "Write"), folder=True),
    _route("GET", r"odata/attachments\(([^)]+)\)", "/odata/Attachments({key})",
           attachments.get, v20=True, scope=("Folders", "Read"), folder=True),
    _route("DELETE", r"odata/attachments\(([^)]+)\)", "/odata/Attachments({key})",
           attachments.delete, v20=True, scope=("Folders", "Write"), folder=True),
    _route("GET", r"odata/queuedefinitions", "/odata/QueueDefinitions",
           queueapi.list_queue_definitions, **QUEUES_READ),
    _route("GET", r"odata/queuedefinitions\((\d+)\)", "/odata/QueueDefinitions({id})",
           queueapi.get_queue_definition, **QUEUES_READ),
    _route("POST", rf"odata/queues/{_SVC}AddQueueItem",
           "/odata/Queues/UiPathODataSvc.AddQueueItem", queueapi.add_queue_item, **QUEUES_WRITE),
    _route("POST", rf"odata/queues/{_SVC}BulkAddQueueItems",
           "/odata/Queues/UiPathODataSvc.BulkAddQueueItems", queueapi.bulk_add_queue_items,
           **QUEUES_WRITE),
    _route("GET", r"odata/queueitems", "/odata/QueueItems", queueapi.list_queue_items,
           limited="QueueItems", **QUEUES_READ),
    _route("GET", r"odata/queueitems\((\d+)\)", "/odata/QueueItems({id})",
           queueapi.get_queue_item, **QUEUES_READ),
    _route("GET", rf"odata/queueitems/{_SVC}GetItemLastRetryByKey\(key=('?)([^')]+)\1\)",
           "/odata/QueueItems/UiPathODataSvc.GetItemLastRetryByKey(key={key})",
           queueapi.last_retry_by_key, **QUEUES_READ),
    _route("PUT", r"sandbox-blobs/([0-9a-fA-F-]{36})", "/sandbox-blobs/{id}", attachments.blob,
           kind="blob"),
    _route("GET", r"sandbox-blobs/([0-9a-fA-F-]{36})", "/sandbox-blobs/{id}", attachments.blob,
           kind="blob"),
)

#: Which route kinds each URL prefix may reach.
_PREFIX_KINDS = {"root": ("token", "account", "orchestrator", "page", "blob"),
                 "org": ("token",),
                 "cloud": ("orchestrator", "page")}

STARTJOBS_LABEL = "POST /odata/Jobs/UiPath.Server.Configuration.OData.StartJobs"


@dataclass(frozen=True)
class RouteMatch:
    """The outcome of routing: a route and its parameters, or the 404/405 to answer."""

    label: str
    base_path: str
    route: Optional[Route] = None
    params: tuple = ()
    error: Optional[ApiError] = None
    #: Whether the request came in on the cloud shape.
    cloud: bool = False

    @property
    def is_sign_in(self) -> bool:
        return self.route is not None and self.route.kind in ("token", "account")


def _split_prefix(path: str) -> tuple:
    """(prefix kind, base path, rest without leading slash) or (None, "", path)."""
    segments = path.strip("/").split("/")
    lowered = [s.lower() for s in segments]
    if len(segments) >= 3 and lowered[2] == "orchestrator_":
        if lowered[:2] == [DEMO.organization.lower(), DEMO.tenant.lower()]:
            return "cloud", "/" + "/".join(segments[:3]), "/".join(segments[3:])
        return None, "", "/".join(segments[3:])
    if len(segments) >= 2 and lowered[1] == "identity_" and lowered[0] != "identity_":
        if lowered[0] == DEMO.organization.lower():
            return "org", "/" + segments[0], "/".join(segments[1:])
        return None, "", "/".join(segments[1:])
    return "root", "", "/".join(segments)


def _serves(prefix: Optional[str], route: Route) -> bool:
    return (prefix is not None and route.kind in _PREFIX_KINDS[prefix]
            and not (route.classic and prefix == "cloud")
            and not (route.v20 and prefix != "cloud"))


def match_route(method: str, raw_path: str) -> RouteMatch:
    path = unquote(raw_path)
    prefix, base_path, rest = _split_prefix(path)
    empty_call = _EMPTY_CALL.fullmatch(rest)
    operation = empty_call.group(1) if empty_call else rest
    cloud = prefix == "cloud"
    candidates = []
    for route in ROUTES:
        found = route.pattern.fullmatch(operation)
        if found and _serves(prefix, route):
            candidates.append((route, found.groups()))
    for route, params in candidates:
        if route.method == method:
            return RouteMatch(route.label, base_path, route, params, cloud=cloud)
    if candidates:
        allowed = ", ".join(sorted({route.method for route, _ in candidates}))
        return RouteMatch(f"{method} /{rest}", base_path, cloud=cloud, error=ApiError(
            405, f"The requested resource does not support http method '{method}'.", 0,
            {"Allow": allowed}))
    return RouteMatch(f"{method} /{rest}", base_path, cloud=cloud, error=ApiError(
        404, f"No HTTP resource was found that matches the request URI '{path}'.", 0))


def _require_json(request: Request) -> None:
    """A non-empty body must be declared ``application/json`` (parameters allowed)."""
    content_type = (request.header("content-type") or "").strip()
    media_type = content_type.split(";")[0].strip().lower()
    if request.body.strip() and media_type != "application/json":
        shown = media_type or "application/octet-stream"
        raise ApiError(415, f"The request entity's media type '{shown}' is not supported for "
                            "this resource.", 0)


class SandboxApp:
    """Turns requests into responses against one tenant; ``faults`` decides whether a 429
    carries ``Retry-After``."""

    def __init__(self, tenant: Tenant, faults: Optional[FaultInjector] = None) -> None:
        self.tenant = tenant
        self.faults = faults or FaultInjector(None)

    def handle(self, request: Request, match: RouteMatch) -> Response:
        if match.error is not None:
            return match.error.to_response()
        route = match.route
        assert route is not None  # routing gives a route or an error
        try:
            with self.tenant.lock:
                if route.kind in ("page", "blob"):
                    return route.handler(request, self.tenant, match.params[0], match.cloud)
                if route.kind != "orchestrator":
                    return route.handler(request, self.tenant)
                grant = self._authenticate(request)
                if route.scope and not grant.allows(*route.scope):
                    needed = " or ".join(f"'{s}'" for s in scopes_needed(*route.scope))
                    raise ApiError(403, f"The access token is not allowed to call this API: it "
                                        f"needs the scope {needed}.", 0)
                if route.method == "POST":
                    _require_json(request)
                folder = self._folder(request, route, match.cloud) if route.folder else None
                if route.limited:
                    self._count_against_limit(route.limited)
                host = request.header("host") or "localhost"
                context = endpoints.Context(request, self.tenant, match.params, grant, folder,
                                            f"http://{host}{match.base_path}",
                                            self.tenant.clock(), cloud=match.cloud)
                return route.handler(context)
        except ODataError as exc:
            return ApiError(400, str(exc), 1000).to_response()
        except ApiError as exc:
            return exc.to_response()

    def _count_against_limit(self, collection: str) -> None:
        """Refuse with 429 when the tenant's budget for ``GET /odata/{collection}`` is used up."""
        queue_items = collection == "QueueItems"
        limiter = self.tenant.queue_items_limiter if queue_items else self.tenant.jobs_limiter
        seconds = limiter.acquire()
        if seconds is not None:
            raise jobs_limit_error(limiter.limit, seconds,
                                   retry_after=not self.faults.omit_retry_after(),
                                   collection=collection,
                                   single="queue items" if queue_items else "jobs")

    def _authenticate(self, request: Request) -> Grant:
        scheme, _, token = (request.header("authorization") or "").partition(" ")
        grant, problem = (None, "missing")
        if scheme.lower() == "bearer" and token.strip():
            grant, problem = self.tenant.tokens.check(token.strip())
        if grant is not None:
            return grant
        challenge = "Bearer"
        if problem == "expired":
            challenge = 'Bearer error="invalid_token", error_description="The token expired"'
        elif problem == "unknown":
            challenge = 'Bearer error="invalid_token"'
        raise ApiError(401, "You are not authenticated!", 0, {"WWW-Authenticate": challenge})

    def _folder(self, request: Request, route: Route, cloud: bool) -> Optional[Folder]:
        """The folder the headers name (None without them on an ``optional_folder`` route);
        the cloud shape knows no classic folder."""
        path = request.header("x-uipath-folderpath")
        encoded = request.header("x-uipath-folderpath-encoded")
        key = request.header("x-uipath-folderkey")
        unit = request.header("x-uipath-organizationunitid")
        if not any(value and value.strip() for value in (path, encoded, key, unit)):
            if route.optional_folder:
                return None
            raise ApiError(400, "A folder is required for this action.", 1101)
        folder = None
        if encoded and encoded.strip():
            try:
                decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-16-le")
            except (binascii.Error, UnicodeDecodeError):
                decoded = None
            folder = self.tenant.folder_by_path(decoded) if decoded else None
        elif path and path.strip():
            folder = self.tenant.folder_by_path(path)
        elif key and key.strip():
            folder = self.tenant.folder_by_key(key)
        elif unit and unit.strip().isdigit():
            folder = self.tenant.folders.get(int(unit))
        if folder is None or (cloud and folder.classic):
            raise ApiError(400, "Folder does not exist or the user does not have access to the "
                                "folder.", 1100)
        return folder
