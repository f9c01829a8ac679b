"""A local sandbox UiPath Orchestrator: a real HTTP server on loopback with a demo tenant.

Used by ``startjob --demo``, ``startjob sandbox``, the tests and benchmarks. Standard library
only; see ``Sandbox`` for the API and ``tui_app.sandbox.tenant`` for changing the tenant.
"""

from __future__ import annotations

import logging

from tui_app.sandbox.config import DEMO, DemoCredentials, SandboxConfig
from tui_app.sandbox.faults import FaultConfig, parse_faults
from tui_app.sandbox.requestlog import LoggedRequest
from tui_app.sandbox.server import Sandbox, serve
from tui_app.sandbox.tenant import arguments_json

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "DEMO",
    "DemoCredentials",
    "FaultConfig",
    "LoggedRequest",
    "Sandbox",
    "SandboxConfig",
    "arguments_json",
    "parse_faults",
    "serve",
]
