"""Who started a job, for the history: the Orchestrator identity behind the sign-in.

Shared jump-host accounts make the OS user meaningless, so the history records what
Orchestrator knows (``GetCurrentUser``). An external application signed in with client
credentials may not hold the ``OR.Users`` scope: with scopes of its own that lack it, asking
would only earn a 403, so it is not asked; whenever the question fails or is not asked, the
application's client id (or the on-premises user name) is recorded instead. A failed question
never fails the start.
"""

from __future__ import annotations

from typing import Any, Optional

from tui_app.connection import ConnectionSettings
from tui_app.orchestrator.errors import OrchestratorError
from tui_app.orchestrator.models import CurrentUser


def may_ask(settings: ConnectionSettings) -> bool:
    """Whether the token can call ``GetCurrentUser``: client credentials need ``OR.Users``,
    which the default scopes ask for when the application has it (``OPTIONAL_SCOPES``)."""
    scope = settings.scope.strip()
    if settings.auth_mode != "client_credentials" or not scope:
        return True
    return any(part in ("OR.Users", "OR.Users.Read", "OR.Default") for part in scope.split())


def from_settings(settings: ConnectionSettings) -> Optional[CurrentUser]:
    """The identity the settings name: the external application (its client id) or the
    on-premises user; None for a personal access token."""
    if settings.auth_mode == "client_credentials" and settings.client_id.strip():
        return CurrentUser(user_name=settings.client_id.strip(),
                           type="ExternalApplication (client id)")
    if settings.auth_mode == "password" and settings.username.strip():
        return CurrentUser(user_name=settings.username.strip(), type="User (user name)")
    return None


async def who_started(client: Any, settings: ConnectionSettings) -> Optional[Any]:
    """``GetCurrentUser``'s answer when it may be asked and answers, else ``from_settings``."""
    if may_ask(settings):
        try:
            found = await client.current_user()
        except OrchestratorError:
            found = None
        if found is not None:
            return found
    return from_settings(settings)
