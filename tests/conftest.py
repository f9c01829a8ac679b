"""Shared fixtures: an isolated HOME for startjob's folders, and the sandbox Orchestrator."""

from __future__ import annotations

import pytest
from support import FIXED_REFERENCE, UI_URL, SandboxRedirect


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """Every test gets its own startjob folders; a developer's real files are never touched."""
    home = tmp_path / "startjob-home"
    monkeypatch.setenv("STARTJOB_HOME", str(home))
    for name in (
        "STARTJOB_CONFIG_DIR",
        "STARTJOB_DATA_DIR",
        "STARTJOB_CACHE_DIR",
        "STARTJOB_LOG_DIR",
        "STARTJOB_PROFILE",
        "STARTJOB_TEMPLATE_PATH",
    ):
        monkeypatch.delenv(name, raising=False)
    for name in (
        "UIPATH_URL",
        "UIPATH_CLIENT_ID",
        "UIPATH_CLIENT_SECRET",
        "UIPATH_IDENTITY_URL",
        "UIPATH_SCOPE",
        "UIPATH_ACCESS_TOKEN",
        "UIPATH_USERNAME",
        "UIPATH_PASSWORD",
        "UIPATH_TENANT",
        "UIPATH_FOLDER_PATH",
    ):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def sandbox_config():
    """Settings for the ``sandbox`` fixture; override this fixture to change them."""
    from tui_app.sandbox import SandboxConfig

    return SandboxConfig(job_pending_seconds=0.2, job_running_seconds=0.4, stop_seconds=0.2)


@pytest.fixture
def sandbox(sandbox_config):
    """A running sandbox Orchestrator on a free loopback port, with the demo tenant."""
    from tui_app.sandbox import Sandbox

    with Sandbox(sandbox_config) as running:
        yield running


@pytest.fixture
def make_wizard(sandbox):
    """Build the wizard the way the CLI does, pointed at the sandbox, with demo credentials."""
    from tui_app.connection import ConnectionSettings
    from tui_app.ui.app import make_app

    def build(template=None, template_path=None, **settings):
        values = {"url": UI_URL, "client_id": "demo-client", "client_secret": "demo-secret"}
        values.update(settings)
        return make_app(
            ConnectionSettings(**values),
            client_options={"transport": SandboxRedirect(sandbox.base_url)},
            reference_factory=lambda: FIXED_REFERENCE,
            poll_interval=0.05,
            template=template,
            template_path=template_path,
        )

    return build
