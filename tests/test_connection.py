"""Settings precedence, CLI helpers, TLS, proxies and the Connect step's failure messages."""

from __future__ import annotations

import argparse
import http.client
import io
import json
import shlex
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tui_app.connection import (
    ConnectionSettings,
    SettingsError,
    explain_connect_failure,
    tls_description,
)
from tui_app.connection_cli import (
    add_connection_arguments,
    add_logout_arguments,
    cmd_locate,
    cmd_logout,
    cmd_profiles,
    cmd_settings,
    debug_log_from_args,
    every_location,
    settings_from_args,
)
from tui_app.orchestrator import (
    DEFAULT_SCOPES,
    AuthenticationError,
    CertificateError,
    ConnectionFailed,
    PermissionDenied,
    RateLimited,
)
from tui_app.precedence import resolve_settings
from tui_app.profiles import Profile, ProfileError, remember_profile, save_profile
from tui_app.sandbox import DEMO
from tui_app.secret_sources import SecretError

URL = "https://cloud.uipath.com/acme/Prod/orchestrator_"
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY",
              "http_proxy", "https_proxy", "all_proxy", "no_proxy")


@pytest.fixture(autouse=True)
def no_env_proxy(monkeypatch):
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)


def profile(**changes) -> Profile:
    values = dict(name="prod", url=URL, client_id="profile-client", folder="Shared/Finance",
                  scope="OR.Jobs", secret_env="PROD_SECRET")
    values.update(changes)
    return Profile(**values)


# -- precedence ----------------------------------------------------------------------------

def test_flag_beats_env_beats_profile_beats_default():
    # (a client-credentials profile no longer keeps a tenant when saved: issue 10.21)
    save_profile(profile(tenancy_name="ProfileTenant"))
    environ = {"UIPATH_CLIENT_ID": "env-client", "UIPATH_FOLDER_PATH": "EnvFolder",
               "PROD_SECRET": "profile-secret"}
    resolved = resolve_settings({"folder": "FlagFolder", "url": None, "scope": ""}, environ,
                                "prod")
    s = resolved.settings
    assert (s.folder, s.client_id, s.url, s.scope) == ("FlagFolder", "env-client", URL, "OR.Jobs")
    assert s.tenancy_name == "" and s.identity_url == ""  # default
    assert s.client_secret == "profile-secret" and s.profile == "prod"
    assert resolved.sources["folder"] == "flag"
    assert resolved.sources["client_id"] == "env UIPATH_CLIENT_ID"
    assert resolved.sources["url"] == "profile 'prod'"
    assert resolved.sources["client_secret"] == "profile 'prod' (secret_env)"
    assert "identity_url" not in resolved.sources


def test_no_profile_behaves_like_from_env():
    environ = {"UIPATH_URL": URL, "UIPATH_ACCESS_TOKEN": "pat-value"}
    resolved = resolve_settings({}, environ)
    assert resolved.settings == ConnectionSettings.from_env(environ)
    assert resolved.settings.auth_mode == "token"
    assert resolved.sources["auth_mode"] == "env UIPATH_ACCESS_TOKEN"
    environ = {"UIPATH_URL": URL, "UIPATH_USERNAME": "admin", "UIPATH_PASSWORD": "pw"}
    assert resolve_settings({}, environ).settings.auth_mode == "password"


def test_env_secret_wins_and_the_profile_command_is_not_run(tmp_path):
    marker = tmp_path / "ran"
    command = f"{shlex.quote(sys.executable)} -c " + shlex.quote(
        f"open({str(marker)!r}, 'w'); print('from-command')")
    save_profile(profile(secret_env="", secret_command=command))
    resolved = resolve_settings({}, {"UIPATH_CLIENT_SECRET": "env-secret"}, "prod")
    assert resolved.settings.client_secret == "env-secret"
    assert not marker.exists()
    resolved = resolve_settings({}, {}, "prod")
    assert resolved.settings.client_secret == "from-command" and marker.exists()
    assert resolved.sources["client_secret"] == "profile 'prod' (secret_command)"


def test_auth_mode_flag_then_profile_then_inferred():
    save_profile(profile(auth_mode="password", username="u", secret="prompt", secret_env=""))
    environ = {"UIPATH_ACCESS_TOKEN": "pat"}
    assert resolve_settings({}, environ, "prod").settings.auth_mode == "password"
    resolved = resolve_settings({"auth_mode": "token"}, environ, "prod")
    assert resolved.settings.auth_mode == "token" and resolved.settings.token == "pat"
    assert not resolved.needs_prompt  # the profile's prompt is for its password, not a token


def test_profile_from_startjob_profile_env_and_flag_wins():
    save_profile(profile())
    save_profile(profile(name="dev", url="http://127.0.0.1:8765"))
    environ = {"STARTJOB_PROFILE": "dev", "PROD_SECRET": "x"}
    resolved = resolve_settings({}, environ)
    assert resolved.settings.url == "http://127.0.0.1:8765"
    assert resolved.sources["profile"] == "env STARTJOB_PROFILE"
    assert resolve_settings({"profile": "prod"}, environ).settings.url == URL
    assert resolve_settings({}, environ, "prod").settings.url == URL


def test_unknown_profile_and_missing_secret_are_clear_errors():
    with pytest.raises(ProfileError, match="has no profile 'nope'"):
        resolve_settings({}, {}, "nope")
    save_profile(profile())
    with pytest.raises(SecretError, match="PROD_SECRET, which is not set"):
        resolve_settings({}, {}, "prod")


def test_prompt_profiles():
    save_profile(profile(secret="prompt", secret_env=""))
    resolved = resolve_settings({}, {}, "prod")
    assert resolved.needs_prompt and resolved.prompt_label == "Client secret for profile 'prod'"
    assert resolved.settings.client_secret == "" and resolved.secret_field == "client_secret"
    assert ("client_secret", "(asked when connecting)", "default") in resolved.describe({})
    resolved = resolve_settings({}, {}, "prod", prompt=lambda label: "typed")
    assert resolved.settings.client_secret == "typed" and not resolved.needs_prompt
    assert resolved.sources["client_secret"] == "profile 'prod' (secret = prompt)"


def test_fetch_secret_false_reads_nothing():
    save_profile(profile(secret_env="", secret_command="no-such-command-xyz"))
    resolved = resolve_settings({}, {}, "prod", fetch_secret=False)
    assert resolved.settings.client_secret == ""
    assert ("client_secret", "(not read)", "profile 'prod' (command, not read)") in \
        resolved.describe({})


def test_tls_settings_come_from_flags_or_profile_only(tmp_path):
    bundle = tmp_path / "ca.pem"
    save_profile(profile(ca_bundle=str(bundle)))
    environ = {"PROD_SECRET": "x"}
    s = resolve_settings({}, environ, "prod").settings
    assert s.ca_bundle == str(bundle) and s.insecure is False
    s = resolve_settings({"ca_bundle": "/other.pem", "insecure": True}, environ, "prod").settings
    assert s.ca_bundle == "/other.pem" and s.insecure is True
    assert s.verify_option() is False
    assert resolve_settings({"insecure": False}, environ, "prod").settings.insecure is False


def test_no_token_cache_flag():
    s = resolve_settings({"no_token_cache": True, "url": URL}, {}).settings
    assert s.token_cache is False
    assert resolve_settings({"url": URL}, {}).settings.token_cache is True


def test_describe_masks_secrets():
    save_profile(profile())
    environ = {"PROD_SECRET": "the-secret-value", "UIPATH_PASSWORD": "the-password"}
    resolved = resolve_settings({}, environ, "prod")
    report = resolved.report(environ)
    assert "the-secret-value" not in report and "the-password" not in report
    assert "client_secret" in report and "***" in report
    assert "[profile 'prod' (secret_env)]" in report
    assert resolved.settings.public_dict() == {
        "url": URL, "auth_mode": "client_credentials", "client_id": "profile-client",
        "scope": "OR.Jobs", "folder": "Shared/Finance", "profile": "prod"}


def test_tls_description():
    s = ConnectionSettings(url=URL)
    assert "certifi" in tls_description(s, {})
    assert "SSL_CERT_FILE=/x.pem" in tls_description(s, {"SSL_CERT_FILE": "/x.pem"})
    assert "CA bundle /b.pem" in tls_description(s.with_(ca_bundle="/b.pem"), {})
    assert "NOT verified" in tls_description(s.with_(insecure=True), {})


def test_validate_names_a_missing_ca_bundle(tmp_path):
    s = ConnectionSettings(url=URL, client_id="a", client_secret="b",
                           ca_bundle=str(tmp_path / "missing.pem"))
    with pytest.raises(SettingsError, match="CA bundle .*missing.pem.* does not exist"):
        s.validate()


# -- command line --------------------------------------------------------------------------

def parser_with_subcommand() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="startjob")
    add_connection_arguments(parser)
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("run")
    add_connection_arguments(run)
    logout = sub.add_parser("logout")
    add_logout_arguments(logout)
    return parser


def test_flags_before_and_after_a_subcommand():
    parser = parser_with_subcommand()
    args = parser.parse_args(["--url", URL, "--client-id", "cid", "run", "--folder", "F",
                              "--no-token-cache", "--auth", "client_credentials"])
    settings = settings_from_args(args, {"UIPATH_CLIENT_SECRET": "s"})
    assert (settings.url, settings.client_id, settings.folder) == (URL, "cid", "F")
    assert settings.token_cache is False and settings.client_secret == "s"
    assert not hasattr(parser.parse_args([]), "url")  # nothing given, nothing set


def test_settings_from_args_with_profile_and_terminal_prompt():
    save_profile(profile(secret="prompt", secret_env=""))
    args = parser_with_subcommand().parse_args(["--profile", "prod", "--tenant", "T"])
    assert settings_from_args(args, {}).client_secret == ""
    settings = settings_from_args(args, {}, prompt=lambda label: "typed")
    assert settings.client_secret == "typed" and settings.tenancy_name == "T"


def test_locate_prints_every_path(isolated_home):
    out = io.StringIO()
    assert cmd_locate(stream=out) == 0
    lines = out.getvalue().splitlines()
    names = [line.split()[0] for line in lines]
    assert names == ["config", "profiles", "secrets", "data", "templates", "history", "state",
                     "cache", "tokens", "log"]
    text = out.getvalue()
    for path in every_location().values():
        assert str(path) in text
    assert str(isolated_home / "config" / "profiles.toml") in text
    assert str(isolated_home / "cache" / "tokens") in text
    assert not isolated_home.exists()  # locating creates nothing


def test_locate_explains_a_folder_that_cannot_be_created(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("STARTJOB_HOME", str(blocker / "home"))
    out = io.StringIO()
    assert cmd_locate(stream=out) == 1
    assert f"(cannot be created: {blocker} is not a folder)" in out.getvalue()
    assert "STARTJOB_HOME" in capsys.readouterr().err


def test_logout_command():
    from tui_app.token_cache import TokenCache

    cache = TokenCache()
    base = ConnectionSettings(url=URL, client_id="x", client_secret="s")
    cache.save(base.with_(profile="prod"), "t", 4_000_000_000.0)
    cache.save(base, "t", 4_000_000_000.0)
    parser = parser_with_subcommand()
    out = io.StringIO()
    assert cmd_logout(parser.parse_args(["logout", "prod"]), stream=out) == 0
    assert cmd_logout(parser.parse_args(["logout", "prod"]), stream=out) == 0
    assert cmd_logout(parser.parse_args(["logout"]), stream=out) == 0
    assert out.getvalue().splitlines() == [
        "Signed out of profile 'prod': its cached access token was removed.",
        "No cached access token for profile 'prod'.",
        "Removed 1 cached access token.",
    ]


def test_profiles_command(capsys):
    out = io.StringIO()
    assert cmd_profiles(stream=out) == 0
    assert "No profiles yet" in out.getvalue()
    save_profile(profile())
    save_profile(profile(name="dev", secret_env="", secret_command="pass show dev"))
    remember_profile("prod")
    out = io.StringIO()
    assert cmd_profiles(stream=out) == 0
    assert out.getvalue().splitlines() == [
        f"  dev  {URL}",
        "    Client credentials (Automation Cloud / Suite); secret: command `pass show dev`",
        f"* prod  {URL}",
        "    Client credentials (Automation Cloud / Suite); secret: environment variable "
        "PROD_SECRET",
    ]
    from tui_app.profiles import profiles_file

    profiles_file().write_text("[profiles.x]\nurl = 1\n")
    assert cmd_profiles(stream=io.StringIO()) == 1
    assert "key 'url'" in capsys.readouterr().err


def test_settings_command_never_runs_the_secret_command(tmp_path):
    marker = tmp_path / "ran"
    save_profile(profile(secret_env="", secret_command=f"touch {marker}"))
    args = parser_with_subcommand().parse_args(["--profile", "prod"])
    out = io.StringIO()
    assert cmd_settings(args, stream=out) == 0
    assert "client_secret" in out.getvalue() and "(not read)" in out.getvalue()
    assert not marker.exists()


def test_debug_flag_starts_a_log_and_prints_its_path(isolated_home):
    args = parser_with_subcommand().parse_args(["--debug", "--url", URL])
    resolved = resolve_settings({"url": URL, "client_id": "c"},
                                {"UIPATH_CLIENT_SECRET": "hidden-secret"})
    err = io.StringIO()
    log = debug_log_from_args(args, resolved, stream=err)
    log.close()
    assert err.getvalue() == f"Debug log: {log.path}\n"
    assert log.path.parent == isolated_home / "log"
    text = log.path.read_text()
    assert "client_id" in text and "hidden-secret" not in text
    assert debug_log_from_args(parser_with_subcommand().parse_args([])) is None


# -- failures at the Connect step, end to end -----------------------------------------------

async def connect(settings: ConnectionSettings, **options):
    options.setdefault("max_retries", 0)
    async with settings.open_client(**options) as client:
        return await client.list_folders()


def sandbox_settings(sandbox, **changes) -> ConnectionSettings:
    values = dict(url=sandbox.orchestrator_url, client_id=DEMO.client_id,
                  client_secret=DEMO.client_secret)
    values.update(changes)
    return ConnectionSettings(**values)


async def test_unknown_host():
    settings = ConnectionSettings(url="https://nonexistent-host.invalid/o/t/orchestrator_",
                                  client_id="a", client_secret="b")
    with pytest.raises(ConnectionFailed) as caught:
        await connect(settings)
    message = explain_connect_failure(caught.value, settings).message
    assert "nonexistent-host.invalid" in message
    assert "could not be found" in message or "could not be looked up" in message
    assert "Check the Orchestrator URL (the identity URL is derived from it)." in message \
        or "derived from the Orchestrator URL" in message
    explicit = settings.with_(identity_url="https://nonexistent-host.invalid/identity_/x")
    assert explain_connect_failure(caught.value, explicit) is caught.value


async def test_connection_refused():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = ConnectionSettings(url=f"http://127.0.0.1:{port}", auth_mode="token", token="t")
    with pytest.raises(ConnectionFailed, match=f"127.0.0.1:{port} refused the connection"):
        await connect(settings)


@pytest.mark.parametrize("mode", ["client_credentials", "password", "token"])
async def test_wrong_credentials(sandbox, mode):
    settings = {
        "client_credentials": sandbox_settings(sandbox, client_secret="wrong"),
        "password": ConnectionSettings(url=sandbox.base_url, auth_mode="password",
                                       tenancy_name="Default", username="admin",
                                       password="wrong"),
        "token": ConnectionSettings(url=sandbox.orchestrator_url, auth_mode="token",
                                    token="wrong"),
    }[mode]
    with pytest.raises(AuthenticationError) as caught:
        await connect(settings)
    words = {"client_credentials": "client id or client secret was refused",
             "password": "Check the tenant, user name and password",
             "token": "refused the personal access token"}[mode]
    assert words in caught.value.message
    assert explain_connect_failure(caught.value, settings) is caught.value
    assert "wrong" not in caught.value.message


async def test_missing_scope_lists_the_scopes_the_wizard_needs(sandbox):
    settings = sandbox_settings(sandbox, scope="OR.Jobs")
    with pytest.raises(PermissionDenied) as caught:
        await connect(settings)
    explained = explain_connect_failure(caught.value, settings)
    assert type(explained) is PermissionDenied and explained.status == 403
    assert "OR.Folders" in explained.message  # what the server said is kept
    assert f"needs these application scopes: {DEFAULT_SCOPES}" in explained.message
    assert "--scope (now: OR.Jobs)" in explained.message
    assert caught.value.message in str(explained)


async def test_unknown_scope_refused_by_the_identity_server(sandbox):
    settings = sandbox_settings(sandbox, scope="OR.Nonsense")
    with pytest.raises(PermissionDenied) as caught:
        await connect(settings)
    explained = explain_connect_failure(caught.value, settings)
    assert "refused the requested scopes (OR.Nonsense)" in explained.message
    assert DEFAULT_SCOPES in explained.message


async def test_identity_rate_limit():
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.path.endswith("/connect/token")
        return httpx.Response(429, headers={"Retry-After": "30"},
                              json={"error": "rate_limited"})

    settings = ConnectionSettings(url=URL, client_id="a", client_secret="b")
    with pytest.raises(RateLimited) as caught:
        await connect(settings, transport=httpx.MockTransport(answer))
    assert "identity rate limit of cloud.uipath.com was reached" in caught.value.message
    assert caught.value.retry_after == 30


# -- TLS ----------------------------------------------------------------------------------------

class _TLSHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        if self.path.endswith("/connect/token"):
            body = {"access_token": "tls-token", "expires_in": 3600}
        else:
            body = {"value": []}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _answer


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        pass  # refused handshakes are the point of these tests


def _serve(server):
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    done = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
         "-out", str(cert), "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip("openssl could not make a certificate: " + done.stderr.decode()[-200:])
    return cert, key


@pytest.fixture
def tls_server(certificate):
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = _QuietServer(("127.0.0.1", 0), _TLSHandler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    _serve(server)
    yield f"https://127.0.0.1:{server.server_address[1]}/org/tenant/orchestrator_", cert
    server.shutdown()
    server.server_close()


async def test_untrusted_certificate_says_how_to_trust_it(tls_server, monkeypatch):
    url, _ = tls_server
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    settings = ConnectionSettings(url=url, client_id="a", client_secret="b")
    with pytest.raises(CertificateError) as caught:
        await connect(settings)
    explained = explain_connect_failure(caught.value, settings)
    assert "is not trusted" in explained.message
    assert "--ca-bundle FILE" in explained.message and "SSL_CERT_FILE" in explained.message


async def test_ca_bundle_trusts_the_certificate(tls_server, monkeypatch):
    url, cert = tls_server
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    assert await connect(ConnectionSettings(url=url, client_id="a", client_secret="b",
                                            ca_bundle=str(cert))) == []


async def test_a_ca_bundle_without_the_authority(tls_server, monkeypatch):
    import certifi

    url, _ = tls_server
    settings = ConnectionSettings(url=url, client_id="a", client_secret="b",
                                  ca_bundle=certifi.where())
    with pytest.raises(CertificateError) as caught:
        await connect(settings)
    assert "does not contain the authority" in explain_connect_failure(caught.value,
                                                                       settings).message


async def test_ssl_cert_file_is_honoured_by_default(tls_server, monkeypatch):
    url, cert = tls_server
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    assert await connect(ConnectionSettings(url=url, client_id="a", client_secret="b")) == []


async def test_insecure_skips_verification(tls_server, monkeypatch):
    url, _ = tls_server
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    assert await connect(ConnectionSettings(url=url, client_id="a", client_secret="b",
                                            insecure=True)) == []


# -- proxies --------------------------------------------------------------------------------------

class _ProxyHandler(BaseHTTPRequestHandler):
    """A forward proxy for plain HTTP (absolute-form request lines), recording what it saw."""

    protocol_version = "HTTP/1.1"
    seen: list = []

    def log_message(self, *args) -> None:
        pass

    def _forward(self) -> None:
        self.seen.append(f"{self.command} {self.path}")
        target = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("connection", "proxy-connection", "keep-alive")}
        upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
        path = target.path + (f"?{target.query}" if target.query else "")
        upstream.request(self.command, path, body=body, headers=headers)
        answer = upstream.getresponse()
        data = answer.read()
        upstream.close()
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _forward


@pytest.fixture
def proxy():
    _ProxyHandler.seen = []
    server = _QuietServer(("127.0.0.1", 0), _ProxyHandler)
    _serve(server)
    yield f"http://127.0.0.1:{server.server_address[1]}", _ProxyHandler.seen
    server.shutdown()
    server.server_close()


async def test_env_proxy_is_used(sandbox, proxy, monkeypatch):
    proxy_url, seen = proxy
    monkeypatch.setenv("HTTP_PROXY", proxy_url)
    assert await connect(sandbox_settings(sandbox))
    assert any(line.startswith("POST http://127.0.0.1") and "/connect/token" in line
               for line in seen), seen
    assert any("/odata/Folders" in line for line in seen), seen


async def test_no_proxy_is_honoured(sandbox, proxy, monkeypatch):
    proxy_url, seen = proxy
    monkeypatch.setenv("HTTP_PROXY", proxy_url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert await connect(sandbox_settings(sandbox))
    assert seen == []
    assert sandbox.count("GET /odata/Folders") == 1


def test_connection_overrides_are_settings_fields():
    from tui_app.connection_cli import connection_overrides

    args = parser_with_subcommand().parse_args(["--url", URL, "--no-token-cache", "--insecure",
                                                "--profile", "p", "--tenant", "T"])
    overrides = connection_overrides(args)
    assert overrides == {"url": URL, "insecure": True, "tenancy_name": "T",
                         "token_cache": False}
    assert ConnectionSettings.from_env({}, **overrides).token_cache is False
