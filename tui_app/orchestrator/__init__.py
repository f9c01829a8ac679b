"""Talking to UiPath Orchestrator: sign-in, the async client, errors and models.

The names below are imported on first use (PEP 562), so ``tui_app.orchestrator.models`` and
``.errors`` stay cheap: importing them does not load httpx, the auth flows and the client.
The wizard needs the models to draw its first screen, and httpx only once it connects.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .auth import (
        CLOUD_IDENTITY_URL,
        DEFAULT_SCOPES,
        OPTIONAL_SCOPES,
        ClientCredentialsAuth,
        PasswordAuth,
        TokenAuth,
        identity_url_for,
        orchestrator_base_of,
    )
    from .client import STOP_STRATEGIES, FolderContext, OrchestratorClient, folder_headers
    from .errors import (
        AuthenticationError,
        CertificateError,
        ConnectionFailed,
        NotAvailable,
        NotFound,
        OrchestratorError,
        PermissionDenied,
        ProtocolError,
        RateLimited,
        RequestRejected,
        RequestTimeout,
        ServerError,
    )
    from .models import (
        BulkResult,
        EntryPoint,
        Environment,
        Folder,
        Job,
        JobError,
        MachineSession,
        Page,
        ProcessingException,
        QueueDefinition,
        QueueItem,
        Release,
        Robot,
        RuntimeCapacity,
        ValidationResult,
    )

#: Public name -> the submodule that defines it.
_EXPORTS = {
    **dict.fromkeys(
        ("CLOUD_IDENTITY_URL", "DEFAULT_SCOPES", "OPTIONAL_SCOPES", "ClientCredentialsAuth",
         "PasswordAuth", "TokenAuth", "identity_url_for", "orchestrator_base_of"),
        "auth",
    ),
    **dict.fromkeys(
        ("STOP_STRATEGIES", "FolderContext", "OrchestratorClient", "folder_headers"), "client"
    ),
    **dict.fromkeys(
        ("AuthenticationError", "CertificateError", "ConnectionFailed", "NotAvailable",
         "NotFound", "OrchestratorError", "PermissionDenied", "ProtocolError", "RateLimited",
         "RequestRejected", "RequestTimeout", "ServerError"),
        "errors",
    ),
    **dict.fromkeys(("BulkResult", "EntryPoint", "Environment", "Folder", "Job", "JobError",
                     "MachineSession", "Page", "ProcessingException", "QueueDefinition",
                     "QueueItem", "Release", "Robot", "RuntimeCapacity", "ValidationResult"),
                    "models"),
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list:
    return sorted(set(globals()) | set(_EXPORTS))


__all__ = [
    "CLOUD_IDENTITY_URL",
    "DEFAULT_SCOPES",
    "OPTIONAL_SCOPES",
    "STOP_STRATEGIES",
    "AuthenticationError",
    "BulkResult",
    "CertificateError",
    "ClientCredentialsAuth",
    "ConnectionFailed",
    "EntryPoint",
    "Environment",
    "Folder",
    "FolderContext",
    "Job",
    "JobError",
    "MachineSession",
    "NotAvailable",
    "NotFound",
    "OrchestratorClient",
    "OrchestratorError",
    "Page",
    "PasswordAuth",
    "PermissionDenied",
    "ProcessingException",
    "ProtocolError",
    "QueueDefinition",
    "QueueItem",
    "RateLimited",
    "Release",
    "RequestRejected",
    "RequestTimeout",
    "Robot",
    "RuntimeCapacity",
    "ServerError",
    "TokenAuth",
    "ValidationResult",
    "folder_headers",
    "identity_url_for",
    "orchestrator_base_of",
]
