"""Sign-in endpoints: the OAuth2 token endpoint and on-prem ``/api/Account/Authenticate``.

Token endpoint (client credentials; the client may authenticate in the form or with HTTP
Basic): errors are OAuth2 JSON ``{"error", "error_description"}`` with HTTP 400 —
``invalid_request``, ``unsupported_grant_type``, ``invalid_client``, ``invalid_scope``
(the exact values UiPath sends are UNCONFIRMED). A request without ``scope`` gets every
``OR.*`` scope.

Account/Authenticate binds ``tenancyName`` / ``usernameOrEmailAddress`` / ``password``
case-insensitively (a missing tenancy name means the default tenant) and answers with the ABP
envelope; a failure is HTTP 400 with the Orchestrator error fields merged into the envelope.
"""

from __future__ import annotations

import base64
import binascii
import math
from typing import Optional

from tui_app.sandbox.auth import KNOWN_SCOPES, parse_scopes
from tui_app.sandbox.config import DEMO
from tui_app.sandbox.tenant import Tenant
from tui_app.sandbox.wire import (
    ApiError,
    Request,
    Response,
    get_ci,
    json_response,
    new_trace_id,
    parse_query_string,
)

_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _oauth_error(error: str, description: str) -> Response:
    return json_response(400, {"error": error, "error_description": description},
                         headers=_NO_STORE)


def _basic_credentials(request: Request) -> tuple:
    header = request.header("authorization") or ""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    client_id, _, secret = decoded.partition(":")
    return client_id, secret


def token(request: Request, tenant: Tenant) -> Response:
    """``POST .../connect/token`` with ``grant_type=client_credentials``."""
    content_type = (request.header("content-type") or "").lower()
    if "application/x-www-form-urlencoded" not in content_type:
        return _oauth_error("invalid_request",
                            "The request must be application/x-www-form-urlencoded.")
    form = parse_query_string(request.body.decode("utf-8", errors="replace"))
    grant_type = form.get("grant_type")
    if not grant_type:
        return _oauth_error("invalid_request", "The grant_type parameter is missing.")
    if grant_type != "client_credentials":
        return _oauth_error("unsupported_grant_type",
                            f"The grant type '{grant_type}' is not supported.")
    basic_id, basic_secret = _basic_credentials(request)
    client_id = form.get("client_id") or basic_id
    secret = form.get("client_secret") or basic_secret
    if client_id != DEMO.client_id or secret != DEMO.client_secret:
        return _oauth_error("invalid_client", "Unknown client or wrong client secret.")
    if "scope" in form:
        scopes, unknown = parse_scopes(form["scope"])
        if unknown or not scopes:
            names = ", ".join(unknown) or "(none)"
            return _oauth_error("invalid_scope", f"Scopes not allowed for this client: {names}.")
    else:
        scopes = KNOWN_SCOPES
    access_token = tenant.tokens.issue(client_id, "client", scopes)
    return json_response(200, {
        "access_token": access_token,
        "expires_in": math.ceil(tenant.tokens.lifetime),
        "token_type": "Bearer",
        "scope": " ".join(sorted(scopes)),
    }, headers=_NO_STORE)


def _abp_failure(message: str, details: str,
                 validation_errors: Optional[list] = None) -> Response:
    return json_response(400, {
        "message": message, "errorCode": 1000, "traceId": new_trace_id(),
        "result": None, "targetUrl": None, "success": False,
        "error": {"code": 0, "message": message, "details": details,
                  "validationErrors": validation_errors},
        "unAuthorizedRequest": False, "__abp": True,
    })


def authenticate(request: Request, tenant: Tenant) -> Response:
    """``POST /api/Account/Authenticate``: username + password → bearer token in ``result``."""
    try:
        body = request.json()
    except ApiError:
        body = None
    body = body if isinstance(body, dict) else {}
    missing = [name for name in ("usernameOrEmailAddress", "password")
               if not isinstance(get_ci(body, name), str) or not get_ci(body, name)]
    if missing:
        return _abp_failure(
            "Your request is not valid!",
            "The following errors were detected during validation.\r\n" + "".join(
                f" - The {name} field is required.\r\n" for name in missing),
            [{"message": f"The {name} field is required.", "members": [name]}
             for name in missing])
    tenancy = get_ci(body, "tenancyName")
    if tenancy and str(tenancy).lower() != DEMO.tenancy_name.lower():
        return _abp_failure("Login failed!", f"There is no tenant defined with name {tenancy}.")
    if (get_ci(body, "usernameOrEmailAddress").lower() != DEMO.username
            or get_ci(body, "password") != DEMO.password):
        return _abp_failure("Invalid username/email address or password",
                            "Invalid username/email address or password")
    access_token = tenant.tokens.issue(DEMO.username, "user", None)
    return json_response(200, {"result": access_token, "targetUrl": None, "success": True,
                               "error": None, "unAuthorizedRequest": False, "__abp": True})
