"""Access tokens cached between runs: reuse (no token request), expiry, 401, logout."""

from __future__ import annotations

import json
import os
import stat
import time

import pytest

from tui_app.connection import ConnectionSettings
from tui_app.sandbox import DEMO
from tui_app.token_cache import TokenCache, fingerprint, logout, token_cache_dir

TOKEN_ROUTE = "POST /identity/connect/token"
ROPC_ROUTE = "POST /api/Account/Authenticate"


def cc_settings(sandbox, **changes) -> ConnectionSettings:
    values = dict(url=sandbox.orchestrator_url, client_id=DEMO.client_id,
                  client_secret=DEMO.client_secret)
    values.update(changes)
    return ConnectionSettings(**values)


def password_settings(sandbox, **changes) -> ConnectionSettings:
    values = dict(url=sandbox.base_url, auth_mode="password", tenancy_name=DEMO.tenancy_name,
                  username=DEMO.username, password=DEMO.password)
    values.update(changes)
    return ConnectionSettings(**values)


async def connect(settings: ConnectionSettings, **options) -> list:
    async with settings.open_client(**options) as client:
        return await client.list_folders()


def cached_files() -> list:
    folder = token_cache_dir()
    return sorted(folder.glob("*.json")) if folder.exists() else []


async def test_a_replay_with_a_cached_token_makes_no_token_request(sandbox):
    settings = cc_settings(sandbox)
    await connect(settings)
    assert sandbox.count(TOKEN_ROUTE) == 1
    [path] = cached_files()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    await connect(settings)
    await connect(settings)
    assert sandbox.count(TOKEN_ROUTE) == 1  # every replay reused the cached token
    assert sandbox.count("GET /odata/Folders") == 3


async def test_password_sign_in_is_cached_too(sandbox):
    settings = password_settings(sandbox)
    await connect(settings)
    await connect(settings)
    assert sandbox.count(ROPC_ROUTE) == 1
    assert sandbox.count(TOKEN_ROUTE) == 0


async def test_per_profile_file(sandbox):
    settings = cc_settings(sandbox, profile="prod")
    await connect(settings)
    assert [p.name for p in cached_files()] == ["profile-prod.json"]
    data = json.loads(cached_files()[0].read_text())
    assert data["fingerprint"] == fingerprint(settings)
    assert DEMO.client_secret not in cached_files()[0].read_text()


async def test_no_token_cache_flag(sandbox):
    settings = cc_settings(sandbox, token_cache=False)
    await connect(settings)
    await connect(settings)
    assert sandbox.count(TOKEN_ROUTE) == 2
    assert cached_files() == []
    # token_cache=False on open_client does the same for one client
    await connect(cc_settings(sandbox), token_cache=False)
    assert sandbox.count(TOKEN_ROUTE) == 3 and cached_files() == []


async def test_personal_access_tokens_are_not_cached(sandbox):
    settings = ConnectionSettings(url=sandbox.orchestrator_url, auth_mode="token",
                                  token=DEMO.personal_access_token)
    await connect(settings)
    assert cached_files() == []


async def test_a_token_about_to_expire_is_not_reused(sandbox):
    settings = cc_settings(sandbox)
    TokenCache().save(settings, "nearly-expired-token", time.time() + 30)
    await connect(settings)
    assert sandbox.count(TOKEN_ROUTE) == 1
    # The stale token was never sent: no 401 anywhere.
    assert all(entry.status != 401 for entry in sandbox.request_log)
    assert TokenCache().load(settings)[0] != "nearly-expired-token"


async def test_a_cached_token_the_server_refuses_is_replaced(sandbox):
    settings = cc_settings(sandbox)
    TokenCache().save(settings, "revoked-token", time.time() + 3600)
    folders = await connect(settings)
    assert folders
    statuses = [(e.route, e.status) for e in sandbox.request_log]
    assert statuses == [("GET /odata/Folders", 401), (TOKEN_ROUTE, 200),
                        ("GET /odata/Folders", 200)]
    token, _ = TokenCache().load(settings)
    assert token != "revoked-token"
    await connect(settings)
    assert sandbox.count(TOKEN_ROUTE) == 1


async def test_an_expired_sandbox_token_is_renewed_and_saved(sandbox):
    settings = cc_settings(sandbox)
    await connect(settings)
    first, _ = TokenCache().load(settings)
    sandbox.tenant.tokens.expire_all()
    await connect(settings)
    second, _ = TokenCache().load(settings)
    assert second != first and sandbox.count(TOKEN_ROUTE) == 2


@pytest.mark.parametrize("content", [b"{not json", b"[]", b'{"version": 1}', b"\xff\xfe",
                                     b'{"version": 1, "access_token": 5, "expires_at": "x"}'])
async def test_corrupt_cache_files_are_ignored_and_replaced(sandbox, content):
    settings = cc_settings(sandbox)
    cache = TokenCache()
    path = cache.path_for(settings)
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    os.chmod(path, 0o600)
    assert cache.load(settings) is None
    await connect(settings)
    assert cache.load(settings) is not None


def test_fingerprint_mismatch_is_a_miss():
    cache = TokenCache()
    settings = ConnectionSettings(url="https://a.example/o/t/orchestrator_", client_id="x",
                                  client_secret="s", profile="prod")
    cache.save(settings, "token-for-a", time.time() + 3600)
    assert cache.load(settings)[0] == "token-for-a"
    moved = settings.with_(url="https://b.example/o/t/orchestrator_")
    assert cache.path_for(moved) == cache.path_for(settings)
    assert cache.load(moved) is None
    assert cache.load(settings.with_(client_id="y")) is None
    assert cache.load(settings.with_(scope="OR.Jobs")) is None


@pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")
def test_a_cache_file_others_can_read_is_ignored():
    cache = TokenCache()
    settings = ConnectionSettings(url="https://a.example/o", client_id="x", client_secret="s")
    cache.save(settings, "tok", time.time() + 3600)
    os.chmod(cache.path_for(settings), 0o644)
    assert cache.load(settings) is None


def test_reuse_margin_with_a_clock():
    now = [1000.0]
    cache = TokenCache(clock=lambda: now[0], margin=120)
    settings = ConnectionSettings(url="https://a.example/o", client_id="x", client_secret="s")
    cache.save(settings, "tok", 2000.0)
    cache.save(settings.with_(client_id="no-expiry"), "tok", None)  # not kept
    assert cache.load(settings) == ("tok", 2000.0)
    now[0] = 1879.0
    assert cache.load(settings) == ("tok", 2000.0)
    now[0] = 1880.0
    assert cache.load(settings) is None
    assert cache.load(settings.with_(client_id="no-expiry")) is None


def test_logout_one_or_all():
    cache = TokenCache()
    base = ConnectionSettings(url="https://a.example/o", client_id="x", client_secret="s")
    for settings in (base.with_(profile="prod"), base.with_(profile="dev"), base):
        cache.save(settings, "tok", time.time() + 3600)
    assert len(cached_files()) == 3
    assert logout("prod") == 1
    assert logout("prod") == 0
    assert cache.load(base.with_(profile="dev")) is not None
    assert logout() == 2
    assert cached_files() == []


async def test_an_unusable_cache_folder_never_breaks_signing_in(sandbox, isolated_home):
    (isolated_home / "cache").parent.mkdir(parents=True, exist_ok=True)
    (isolated_home / "cache").write_text("a file where the cache folder should be")
    settings = cc_settings(sandbox)
    assert await connect(settings)
    assert await connect(settings)
    assert sandbox.count(TOKEN_ROUTE) == 2
