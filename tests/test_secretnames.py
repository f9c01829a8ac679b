"""One rule for names that look like secrets (drafts, templates, profiles, the debug log)."""

from __future__ import annotations

import pytest

from tui_app.secretnames import looks_secret


@pytest.mark.parametrize("name", [
    "Password", "userPassword", "DB_PWD", "ClientSecret", "client_secret", "api_key", "ApiKey",
    "AccessToken", "refresh_token", "PIN", "otp", "Credential", "Passphrase", "Authorization",
    "Cookie", "client_assertion", "private-key",
])
def test_secret_names(name):
    assert looks_secret(name)


@pytest.mark.parametrize("name", [
    "IncidentId", "Name", "Region", "Spinner", "Amount", "RobotPool", "Footprint",
    "token_type",  # an OAuth answer's token type is not a secret
])
def test_ordinary_names(name):
    assert not looks_secret(name)
