"""Talking to UiPath Orchestrator: sign-in, the async client, errors and models."""

from __future__ import annotations

from .auth import (
    CLOUD_IDENTITY_URL,
    DEFAULT_SCOPES,
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
    NotFound,
    OrchestratorError,
    PermissionDenied,
    ProtocolError,
    RateLimited,
    RequestRejected,
    RequestTimeout,
    ServerError,
)
from .models import Environment, Folder, Job, Page, Release, Robot

__all__ = [
    "CLOUD_IDENTITY_URL",
    "DEFAULT_SCOPES",
    "STOP_STRATEGIES",
    "AuthenticationError",
    "CertificateError",
    "ClientCredentialsAuth",
    "ConnectionFailed",
    "Environment",
    "Folder",
    "FolderContext",
    "Job",
    "NotFound",
    "OrchestratorClient",
    "OrchestratorError",
    "Page",
    "PasswordAuth",
    "PermissionDenied",
    "ProtocolError",
    "RateLimited",
    "Release",
    "RequestRejected",
    "RequestTimeout",
    "Robot",
    "ServerError",
    "TokenAuth",
    "folder_headers",
    "identity_url_for",
    "orchestrator_base_of",
]
