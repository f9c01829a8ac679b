"""--debug log: what is written, and that no secret or token ever is."""

from __future__ import annotations

import json
import logging
import os
import re
import stat

import httpx
import pytest

from tui_app.connection import ConnectionSettings
from tui_app.debuglog import MASK, DebugLog, start_debug_log
from tui_app.orchestrator import FolderContext
from tui_app.sandbox import DEMO

RELEASE_KEY = "99587436-4ce5-480d-988c-6d7f43787a2c"  # SupportTriage_QuickstartDemo
#: The password "demo" is also the organization in every sandbox URL ("/demo/..."), so look
#: for it as a value on its own, not as part of a path or a longer word.
PASSWORD_ALONE = re.compile(r"(?<![\w/.-])demo(?![\w/.-])")


def bearer_tokens(sandbox) -> set:
    tokens = set()
    for entry in sandbox.request_log:
        header = entry.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            tokens.add(header.split(" ", 1)[1])
    return tokens


async def full_flow(settings: ConnectionSettings, log: DebugLog) -> None:
    async with settings.open_client(debug_log=log, folder=FolderContext(id=4)) as client:
        await client.list_folders()
        await client.search_releases("Support")
        jobs = await client.start_jobs({"ReleaseKey": RELEASE_KEY, "Strategy": "JobsCount",
                                        "JobsCount": 1,
                                        "InputArguments": json.dumps({"IncidentId": "INC-1"})})
        await client.get_jobs([job.id for job in jobs])


@pytest.mark.parametrize("mode", ["client_credentials", "password", "token"])
async def test_full_flow_leaves_no_secret_in_any_file(sandbox, isolated_home, mode):
    settings = {
        "client_credentials": ConnectionSettings(
            url=sandbox.orchestrator_url, client_id=DEMO.client_id,
            client_secret=DEMO.client_secret),
        "password": ConnectionSettings(
            url=sandbox.base_url, auth_mode="password", tenancy_name=DEMO.tenancy_name,
            username=DEMO.username, password=DEMO.password),
        "token": ConnectionSettings(
            url=sandbox.orchestrator_url, auth_mode="token", token=DEMO.personal_access_token),
    }[mode]
    log = start_debug_log()
    log.attach_logging()
    try:
        await full_flow(settings, log)
        # A second run reuses the cached token: that one must be masked as well.
        await full_flow(settings, log)
    finally:
        log.close()

    text = log.path.read_text(encoding="utf-8")
    assert log.path.parent == isolated_home / "log"
    assert stat.S_IMODE(log.path.stat().st_mode) == 0o600
    # The log says what happened...
    assert "-> GET " in text and "<- 200 OK GET " in text and " ms" in text
    assert "StartJobs" in text and "INC-1" in text
    assert f"Authorization: Bearer {MASK}" in text
    if mode == "client_credentials":
        assert f"client_secret={MASK}" in text and f'"access_token": "{MASK}"' in text
        assert '"token_type": "Bearer"' in text
        assert "client_id=demo-client" in text
    if mode == "password":
        assert f'"password": "{MASK}"' in text and f'"result": "{MASK}"' in text

    # ...and no secret is in it, nor in any other file startjob wrote.
    tokens = bearer_tokens(sandbox)
    assert tokens
    for value in tokens:
        assert value not in text
    for path in sorted(p for p in isolated_home.rglob("*") if p.is_file()):
        content = path.read_text(encoding="utf-8", errors="replace")
        assert DEMO.client_secret not in content, path
        assert DEMO.personal_access_token not in content, path
        assert not PASSWORD_ALONE.search(content), (path, PASSWORD_ALONE.search(content))
        if path != log.path:
            assert path.parent.name == "tokens", path  # only the token cache holds a token


def make_log(tmp_path) -> DebugLog:
    return DebugLog(tmp_path / "debug.log")


def test_form_json_headers_and_free_text_are_redacted(tmp_path):
    log = make_log(tmp_path)
    url = httpx.URL("https://id.example.com/identity_/connect/token")
    form = log.redact_body(b"grant_type=client_credentials&client_id=app&client_secret=abc%2Bdef"
                           b"&scope=OR.Jobs", "application/x-www-form-urlencoded", url)
    assert form == f"grant_type=client_credentials&client_id=app&client_secret={MASK}" \
                   "&scope=OR.Jobs"
    body = json.dumps({"access_token": "tok-abcdefgh", "expires_in": 3600,
                       "nested": [{"Password": "pw"}, {"apiKey": "k"}], "Name": "ok"})
    redacted = json.loads(log.redact_body(body.encode(), "application/json", url))
    assert redacted == {"access_token": MASK, "expires_in": 3600,
                        "nested": [{"Password": MASK}, {"apiKey": MASK}], "Name": "ok"}
    # Values seen once are masked everywhere afterwards, even in text that is not JSON.
    assert log.scrub("echo tok-abcdefgh and abc+def") == f"echo {MASK} and {MASK}"
    assert log.scrub("Authorization: Bearer xyz.123") == f"Authorization: Bearer {MASK}"
    assert log.scrub("https://h/p?access_token=xyz&a=1") == f"https://h/p?access_token={MASK}&a=1"
    assert log.scrub('{"client_secret": "broken json') == '{"client_secret": "broken json'
    assert log.scrub('partial {"refresh_token": "r1", "x"') == \
        f'partial {{"refresh_token": "{MASK}", "x"'
    log.close()


def test_authenticate_result_is_redacted_only_there(tmp_path):
    log = make_log(tmp_path)
    body = b'{"result": "the-token-value", "success": true}'
    auth = httpx.URL("https://onprem/api/Account/Authenticate")
    other = httpx.URL("https://onprem/odata/Jobs")
    assert json.loads(log.redact_body(body, "application/json", auth))["result"] == MASK
    assert "the-token-value" not in log.redact_body(body, "application/json", other)
    log.close()


def test_short_secrets_are_masked_where_they_stand_alone(tmp_path):
    log = make_log(tmp_path)
    log.add_secret("demo")
    assert log.scrub('{"x": "demo"} /demo/Tenant demo-client a=demo&b') == \
        f'{{"x": "{MASK}"}} /demo/Tenant demo-client a={MASK}&b'
    log.close()


def test_headers_and_cookies(tmp_path):
    log = make_log(tmp_path)
    headers = httpx.Headers([("Authorization", "Basic dXNlcjpwYXNz"), ("Cookie", "a=b"),
                             ("X-Api-Key", "k1"), ("Accept", "application/json")])
    lines = log._headers(headers)
    assert lines == [f"    Authorization: Basic {MASK}", f"    Cookie: {MASK}",
                     f"    X-Api-Key: {MASK}", "    Accept: application/json"]
    log.close()


def test_bodies_are_truncated_after_redaction(tmp_path):
    log = DebugLog(tmp_path / "debug.log", body_limit=50)
    body = json.dumps({"client_secret": "s" * 10, "filler": "x" * 500}).encode()
    text = log.redact_body(body, "application/json", httpx.URL("https://h/x"))
    assert text.startswith(f'{{"client_secret": "{MASK}"')
    assert "more characters]" in text and "ssss" not in text
    log.close()


def test_logging_records_are_written_scrubbed(tmp_path):
    log = make_log(tmp_path)
    log.add_secret("very-secret-value")
    log.attach_logging()
    logging.getLogger("tui_app.orchestrator.client").warning(
        "retrying with very-secret-value and Bearer abc")
    log.close()
    logging.getLogger("tui_app.orchestrator.client").warning("after close: not written")
    text = log.path.read_text()
    assert f"retrying with {MASK} and Bearer {MASK}" in text
    assert "after close" not in text


def test_new_log_files_are_private_and_old_ones_pruned(tmp_path):
    folder = tmp_path / "logs"
    paths = []
    for _ in range(4):
        log = start_debug_log(folder, keep=2)
        log.close()
        paths.append(log.path)
    assert sorted(folder.glob("*.log")) == sorted(set(paths[-2:]))
    assert len(set(paths[-2:])) == 2
    if os.name != "nt":
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in paths[-2:])


def test_cannot_create_log_folder_is_a_location_error(tmp_path):
    from tui_app.locations import LocationError

    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(LocationError, match="Cannot create the folder"):
        start_debug_log(blocker / "logs")
