"""Who started a job: GetCurrentUser when the token may ask, else what the settings name."""

from __future__ import annotations

import asyncio

from tui_app.connection import ConnectionSettings
from tui_app.identity import from_settings, may_ask, who_started
from tui_app.orchestrator.errors import PermissionDenied


class Client:
    def __init__(self, answer):
        self.answer, self.asked = answer, 0

    async def current_user(self):
        self.asked += 1
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def test_client_credentials_ask_only_with_the_users_scope():
    plain = ConnectionSettings(url="https://x", client_id="app", client_secret="s")
    assert may_ask(plain)  # the default scopes ask for OR.Users.Read when the app has it
    assert not may_ask(ConnectionSettings(url="https://x", client_id="app", scope="OR.Jobs"))
    assert may_ask(ConnectionSettings(url="https://x", client_id="app", scope="OR.Jobs OR.Users"))
    assert may_ask(ConnectionSettings(url="https://x", auth_mode="token", token="t"))


def test_the_answer_wins_and_a_refusal_falls_back_to_the_settings():
    user = ConnectionSettings(url="https://x", auth_mode="password", username="ada",
                              password="p", tenancy_name="Default")
    assert asyncio.run(who_started(Client({"UserName": "ADA"}), user)) == {"UserName": "ADA"}
    refused = Client(PermissionDenied("no", status=403))
    assert asyncio.run(who_started(refused, user)) == from_settings(user)
    assert refused.asked == 1
    app = ConnectionSettings(url="https://x", client_id="app", scope="OR.Jobs")
    never = Client({"UserName": "x"})
    assert asyncio.run(who_started(never, app)).user_name == "app" and never.asked == 0
    assert from_settings(ConnectionSettings(url="https://x", auth_mode="token")) is None
