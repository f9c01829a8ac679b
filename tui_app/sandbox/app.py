"""Routing and the request pipeline: URL prefix → route → bearer token → scope → folder.

URL shapes: cloud ``/{org}/{tenant}/orchestrator_/odata/...`` (only the demo organization and
tenant; others are 404) and standalone ``/odata/...`` / ``/api/...`` at the root. Token
endpoints: ``/identity_/connect/token``, ``/{org}/identity_/connect/token`` and
``/identity/connect/token``. Paths match case-insensitively.

Errors: unknown path 404, wrong method 405 (with ``Allow``), no/unknown/expired token 401
``{"message": "You are not authenticated!", "errorCode": 0, ...}`` with ``WWW-Authenticate:
Bearer``, missing scope 403 naming the scopes that would do, folder header missing 400/1101 or
unknown 400/1100. With several folder headers the path wins over the key, the key over the id
(UNCONFIRMED precedence). ``X-UIPATH-FolderPath-Encoded`` must be an absolute path (relative
``.`` / ``..`` forms are not supported).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any, Callable, Optional
from urllib.parse import unquote

from tui_app.sandbox import endpoints, identity
from tui_app.sandbox.auth import Grant, scopes_needed
from tui_app.sandbox.config import DEMO
from tui_app.sandbox.edm import ODataError
from tui_app.sandbox.tenant import Folder, Tenant
from tui_app.sandbox.wire import ApiError, Request, Response

CLOUD_PREFIX = f"/{DEMO.organization}/{DEMO.tenant}/orchestrator_"
_OP = r"UiPath\.Server\.Configuration\.OData\."


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern
    label: str
    handler: Callable
    #: "token" (identity), "account" (Account/Authenticate) or "orchestrator".
    kind: str = "orchestrator"
    #: (resource, "Read" | "Write") for the OAuth scope check.
    scope: Optional[tuple] = None
    folder: bool = False


def _route(method: str, pattern: str, label: str, handler: Callable, **options: Any) -> Route:
    return Route(method, re.compile(pattern, re.IGNORECASE), f"{method} {label}", handler,
                 **options)


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
    _route("GET", r"odata/environments", "/odata/Environments", endpoints.list_environments,
           scope=("Robots", "Read"), folder=True),
    _route("GET", rf"odata/robots/{_OP}GetRobotsFromFolder\(folderId=(\d+)\)",
           "/odata/Robots/UiPath.Server.Configuration.OData.GetRobotsFromFolder(folderId={id})",
           endpoints.robots_from_folder, scope=("Robots", "Read"), folder=True),
    _route("GET", r"odata/sessions", "/odata/Sessions", endpoints.list_sessions,
           scope=("Robots", "Read"), folder=True),
    _route("GET", r"odata/jobs", "/odata/Jobs", endpoints.list_jobs,
           scope=("Jobs", "Read"), folder=True),
    _route("GET", r"odata/jobs\((\d+)\)", "/odata/Jobs({id})", endpoints.get_job,
           scope=("Jobs", "Read"), folder=True),
    _route("GET", rf"odata/jobs/{_OP}GetByKey\(identifier=('?)([^')]+)\1\)",
           "/odata/Jobs/UiPath.Server.Configuration.OData.GetByKey(identifier={key})",
           endpoints.get_job_by_key, scope=("Jobs", "Read"), folder=True),
    _route("POST", rf"odata/jobs/{_OP}StartJobs",
           "/odata/Jobs/UiPath.Server.Configuration.OData.StartJobs", endpoints.start,
           scope=("Jobs", "Write"), folder=True),
    _route("POST", rf"odata/jobs/{_OP}StopJobs",
           "/odata/Jobs/UiPath.Server.Configuration.OData.StopJobs", endpoints.stop_jobs,
           scope=("Jobs", "Write"), folder=True),
    _route("POST", rf"odata/jobs\((\d+)\)/{_OP}StopJob",
           "/odata/Jobs({id})/UiPath.Server.Configuration.OData.StopJob", endpoints.stop_job,
           scope=("Jobs", "Write"), folder=True),
    _route("GET", rf"odata/users/{_OP}GetCurrentUser",
           "/odata/Users/UiPath.Server.Configuration.OData.GetCurrentUser",
           endpoints.current_user, scope=("Users", "Read")),
    _route("POST", rf"odata/jobs/{_OP}ValidateDynamicJob",
           "/odata/Jobs/UiPath.Server.Configuration.OData.ValidateDynamicJob",
           endpoints.validate_dynamic_job, scope=("Jobs", "Write"), folder=True),
    _route("POST", rf"odata/jobs\((\d+)\)/{_OP}ValidateExistingJob",
           "/odata/Jobs({id})/UiPath.Server.Configuration.OData.ValidateExistingJob",
           endpoints.validate_existing_job, scope=("Jobs", "Write"), folder=True),
    _route("POST", rf"odata/jobs/{_OP}ResumeJob",
           "/odata/Jobs/UiPath.Server.Configuration.OData.ResumeJob", endpoints.resume_job,
           scope=("Jobs", "Write"), folder=True),
    _route("GET", rf"odata/machines/{_OP}GetRuntimesForFolder\(folderId=(\d+)\)",
           "/odata/Machines/UiPath.Server.Configuration.OData.GetRuntimesForFolder(folderId={id})",
           endpoints.runtimes_for_folder, scope=("Machines", "Read")),
    _route("GET", r"odata/jobtriggers", "/odata/JobTriggers", endpoints.list_job_triggers,
           scope=("Jobs", "Read"), folder=True),
)

#: Which route kinds each URL prefix may reach.
_PREFIX_KINDS = {"root": ("token", "account", "orchestrator"), "org": ("token",),
                 "cloud": ("account", "orchestrator")}

STARTJOBS_LABEL = "POST /odata/Jobs/UiPath.Server.Configuration.OData.StartJobs"


@dataclass(frozen=True)
class RouteMatch:
    """The outcome of routing: a route and its parameters, or the 404/405 to answer."""

    label: str
    base_path: str
    route: Optional[Route] = None
    params: tuple = ()
    error: Optional[ApiError] = None

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


def match_route(method: str, raw_path: str) -> RouteMatch:
    path = unquote(raw_path)
    prefix, base_path, rest = _split_prefix(path)
    candidates = []
    for route in ROUTES:
        found = route.pattern.fullmatch(rest)
        if found and prefix is not None and route.kind in _PREFIX_KINDS[prefix]:
            candidates.append((route, found.groups()))
    for route, params in candidates:
        if route.method == method:
            return RouteMatch(route.label, base_path, route, params)
    if candidates:
        allowed = ", ".join(sorted({route.method for route, _ in candidates}))
        return RouteMatch(f"{method} /{rest}", base_path, error=ApiError(
            405, f"The requested resource does not support http method '{method}'.", 0,
            {"Allow": allowed}))
    return RouteMatch(f"{method} /{rest}", base_path, error=ApiError(
        404, f"No HTTP resource was found that matches the request URI '{path}'.", 0))


class SandboxApp:
    """Turns requests into responses against one tenant."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant

    def handle(self, request: Request, match: RouteMatch) -> Response:
        if match.error is not None:
            return match.error.to_response()
        route = match.route
        assert route is not None  # routing gives a route or an error
        try:
            with self.tenant.lock:
                if route.kind != "orchestrator":
                    return route.handler(request, self.tenant)
                grant = self._authenticate(request)
                if route.scope and not grant.allows(*route.scope):
                    needed = " or ".join(f"'{s}'" for s in scopes_needed(*route.scope))
                    raise ApiError(403, f"The access token is not allowed to call this API: it "
                                        f"needs the scope {needed}.", 0)
                folder = self._folder(request) if route.folder else None
                host = request.header("host") or "localhost"
                context = endpoints.Context(request, self.tenant, match.params, grant, folder,
                                            f"http://{host}{match.base_path}",
                                            self.tenant.clock())
                return route.handler(context)
        except ODataError as exc:
            return ApiError(400, str(exc), 1000).to_response()
        except ApiError as exc:
            return exc.to_response()

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

    def _folder(self, request: Request) -> Folder:
        path = request.header("x-uipath-folderpath")
        encoded = request.header("x-uipath-folderpath-encoded")
        key = request.header("x-uipath-folderkey")
        unit = request.header("x-uipath-organizationunitid")
        if not any(value and value.strip() for value in (path, encoded, key, unit)):
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
        if folder is None:
            raise ApiError(400, "Folder does not exist or the user does not have access to the "
                                "folder.", 1100)
        return folder
