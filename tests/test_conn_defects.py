"""Connection defects: cached tokens vs a wrong secret, refused connections, profile keys,
secrets in reprs and URLs, secret_command output, stale temporary files, ports, TLS sources,
concurrent saves, and one precedence for every command."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tour import settle

import tui_app
from tui_app import files, replay
from tui_app.cli import main
from tui_app.connection import ConnectionSettings, SettingsError
from tui_app.exit_codes import EXIT_CONNECTION, EXIT_OK, EXIT_USAGE
from tui_app.following import FollowPolicy
from tui_app.orchestrator import (
    AuthenticationError,
    ClientCredentialsAuth,
    ConnectionFailed,
    OrchestratorClient,
    PasswordAuth,
    TokenAuth,
)
from tui_app.orchestrator.models import Folder
from tui_app.precedence import resolve_settings
from tui_app.profiles import (
    Profile,
    ProfileError,
    load_profiles,
    profile_from_settings,
    profiles_file,
    save_profile,
)
from tui_app.resolver import find_folder
from tui_app.sandbox import DEMO
from tui_app.secret_sources import SecretError, run_secret_command, secrets_file, store_secret
from tui_app.templates import ConnectionSpec, ProcessSpec, Template
from tui_app.token_cache import KEY_FILE, CachedToken, TokenCache, token_cache_dir

REPO_ROOT = Path(tui_app.__file__).resolve().parents[1]
TOKEN_ROUTE = "POST /identity/connect/token"
ROPC_ROUTE = "POST /api/Account/Authenticate"
START_JOBS = "POST /odata/Jobs/UiPath.Server.Configuration.OData.StartJobs"
SECRET = "sup3r-s3cret-value"
POSIX_ONLY = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions and flock")

TEMPLATE = """\
version = 1
name = "Triage incident"

[connection]
{connection}

[process]
key = "SupportTriage"
environment = "QuickstartDemo"

[strategy]
kind = "Specific"
robots = ["SUPPORT-BOT-01"]

[arguments]
IncidentId = "INC0010234"
"""


@pytest.fixture
def template_file(tmp_path):
    def write(connection: str = 'folder = "Default"') -> str:
        path = tmp_path / "triage.toml"
        path.write_text(TEMPLATE.format(connection=connection), encoding="utf-8")
        return str(path)

    return write


@pytest.fixture
def run_cli(capsys, monkeypatch):
    monkeypatch.setattr(replay, "FOLLOW", FollowPolicy(first=0.05))

    def run(*argv: str):
        code = main(["run", *argv])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def cc(sandbox, **changes) -> ConnectionSettings:
    values = dict(url=sandbox.orchestrator_url, client_id=DEMO.client_id,
                  client_secret=DEMO.client_secret)
    values.update(changes)
    return ConnectionSettings(**values)


def ropc(sandbox, **changes) -> ConnectionSettings:
    values = dict(url=sandbox.base_url, auth_mode="password", tenancy_name=DEMO.tenancy_name,
                  username=DEMO.username, password=DEMO.password)
    values.update(changes)
    return ConnectionSettings(**values)


async def folders(settings: ConnectionSettings, **options) -> list:
    async with settings.open_client(**options) as client:
        return await client.list_folders()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- 10.2 a cached token never hides a wrong secret ------------------------------------------


@pytest.mark.parametrize("make, wrong, route", [
    (cc, {"client_secret": "wrong"}, TOKEN_ROUTE),
    (ropc, {"password": "wrong"}, ROPC_ROUTE),
])
async def test_a_cached_token_is_not_used_with_a_wrong_secret(sandbox, make, wrong, route):
    good = make(sandbox)
    await folders(good)
    assert sandbox.count(route) == 1
    with pytest.raises(AuthenticationError):
        await folders(make(sandbox, **wrong))
    assert sandbox.count(route) == 2  # signed in afresh, and was refused
    await folders(good)
    assert sandbox.count(route) == 2  # the right secret still reuses the cached token


async def test_the_cache_keeps_a_keyed_hash_never_the_secret(sandbox):
    settings = cc(sandbox, client_secret=DEMO.client_secret, profile="prod")
    await folders(settings)
    entry = token_cache_dir() / "profile-prod.json"
    text = entry.read_text()
    data = json.loads(text)
    assert DEMO.client_secret not in text
    assert hashlib.sha256(DEMO.client_secret.encode()).hexdigest() not in text
    assert len(data["credential"]) == 64
    key = token_cache_dir() / KEY_FILE
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert data["credential"] not in key.read_text()
    # A cache folder copied to another install (another key) is not trusted either.
    key.unlink()
    assert TokenCache().load(settings) is None


def test_run_with_a_wrong_secret_after_a_good_run_exits_3(sandbox, run_cli, template_file,
                                                                monkeypatch):
    monkeypatch.setenv("UIPATH_CLIENT_ID", DEMO.client_id)
    monkeypatch.setenv("UIPATH_CLIENT_SECRET", DEMO.client_secret)
    path = template_file()
    assert run_cli(path, "--url", sandbox.orchestrator_url)[0] == EXIT_OK
    monkeypatch.setenv("UIPATH_CLIENT_SECRET", "wrong")
    code, _, err = run_cli(path, "--url", sandbox.orchestrator_url)
    assert code == EXIT_CONNECTION, err
    assert "client secret was refused" in err
    assert sandbox.count(START_JOBS) == 1  # only the good run started a job


async def test_wizard_connect_with_a_wrong_secret_after_a_good_one(make_wizard, sandbox):
    from tui_app.ui.screens import ConnectScreen, FolderScreen

    app = make_wizard()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, FolderScreen)
    app = make_wizard(client_secret="wrong")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConnectScreen)
        assert "refused" in str(app.screen.message.render()).lower()
    assert sandbox.count(TOKEN_ROUTE) == 2


async def test_a_personal_access_token_is_never_replaced_by_a_cached_one(sandbox):
    await folders(cc(sandbox, profile="prod"))
    assert TokenCache().load(cc(sandbox, profile="prod")) is not None
    pat = ConnectionSettings(url=sandbox.orchestrator_url, auth_mode="token", token="bad-pat",
                             profile="prod")
    with pytest.raises(AuthenticationError, match="personal access token"):
        await folders(pat)


# -- 10.19 a refused connection is reported at once -------------------------------------------


async def test_a_refused_connection_is_not_retried():
    waits = []

    async def sleep(seconds):
        waits.append(seconds)

    url = f"http://127.0.0.1:{free_port()}/o/t/orchestrator_"
    async with OrchestratorClient(url, TokenAuth("pat"), sleep=sleep) as client:
        with pytest.raises(ConnectionFailed, match="refused the connection"):
            await client.list_folders()
    assert waits == []


def test_run_against_a_refused_port_answers_at_once(run_cli, template_file, monkeypatch):
    monkeypatch.setattr(replay, "CLIENT_OPTIONS", {"rng": lambda: 1.0})  # retries: 7.5 s
    monkeypatch.setenv("UIPATH_CLIENT_ID", "c")
    monkeypatch.setenv("UIPATH_CLIENT_SECRET", "s")
    started = time.monotonic()
    code, _, err = run_cli(template_file(), "--url",
                           f"http://127.0.0.1:{free_port()}/o/t/orchestrator_")
    assert code == EXIT_CONNECTION and "refused the connection" in err
    assert time.monotonic() - started < 2.0


# -- 10.21 profile keys, folder ids, fields of the chosen mode ---------------------------------

URL = "https://orch.example.com"


def test_profiles_take_tenant_and_still_read_tenancy_name(isolated_home):
    path = profiles_file()
    path.parent.mkdir(parents=True)
    path.write_text(f'[profiles.new]\nurl = "{URL}"\nauth_mode = "password"\ntenant = "T1"\n'
                    f'[profiles.old]\nurl = "{URL}"\nauth_mode = "password"\n'
                    'tenancy_name = "T2"\n')
    profiles = load_profiles()
    assert (profiles["new"].tenancy_name, profiles["old"].tenancy_name) == ("T1", "T2")
    save_profile(profiles["old"])
    text = path.read_text()
    assert 'tenant = "T2"' in text and "tenancy_name" not in text
    assert load_profiles()["old"].tenancy_name == "T2"


@pytest.mark.parametrize("table, key, words", [
    ('tenant = "a"\ntenancy_name = "b"', "tenancy_name", "old name of tenant"),
    ("tenant = 5", "tenant", "must be text"),
])
def test_tenant_key_errors_name_the_key_as_written(isolated_home, table, key, words):
    path = profiles_file()
    path.parent.mkdir(parents=True)
    path.write_text(f'[profiles.p]\nurl = "{URL}"\n{table}\n')
    with pytest.raises(ProfileError, match=words) as caught:
        load_profiles()
    assert caught.value.key == key


@pytest.mark.parametrize("mode, kept, dropped", [
    ("token", (), ("client_id", "scope", "identity_url", "tenancy_name", "username")),
    ("password", ("tenancy_name", "username"), ("client_id", "scope", "identity_url")),
    ("client_credentials", ("client_id", "scope", "identity_url"), ("tenancy_name", "username")),
])
def test_a_saved_profile_keeps_only_the_fields_of_its_mode(isolated_home, mode, kept, dropped):
    settings = ConnectionSettings(url=URL, auth_mode=mode, client_id="app", scope="OR.Jobs",
                                  identity_url=URL + "/identity", tenancy_name="T",
                                  username="u", folder="Shared")
    profile = profile_from_settings("p", settings, secret="prompt")
    save_profile(profile)
    saved = load_profiles()["p"]
    assert all(getattr(saved, name) for name in kept)
    assert not any(getattr(saved, name) for name in dropped)
    assert saved.folder == "Shared" and saved.url == URL
    # save_profile trims a profile built by hand too
    save_profile(Profile(name="q", url=URL, auth_mode=mode, client_id="app", username="u"))
    assert not any(getattr(load_profiles()["q"], name) for name in dropped)


def test_a_folder_id_finds_the_folder():
    shared = Folder(id=4, key="k4", display_name="Shared", fully_qualified_name="Shared")
    named_7 = Folder(id=9, key="k9", display_name="7", fully_qualified_name="7")
    other = Folder(id=7, key="k7", display_name="Other", fully_qualified_name="Other")
    folders = [shared, named_7, other]
    assert find_folder(folders, "4") is shared
    assert find_folder(folders, " 4 ") is shared
    assert find_folder(folders, "7") is named_7  # a folder's name wins over an id
    assert find_folder(folders, "12") is None


def test_run_with_a_numeric_folder(sandbox, run_cli, template_file, monkeypatch):
    monkeypatch.setenv("UIPATH_CLIENT_ID", DEMO.client_id)
    monkeypatch.setenv("UIPATH_CLIENT_SECRET", DEMO.client_secret)
    code, out, err = run_cli(template_file(""), "--url", sandbox.orchestrator_url,
                             "--folder", "4", "--dry-run")
    assert code == EXIT_OK, err
    assert "Folder       Default  (classic, id 4)" in out


# -- 11.1 no repr shows a secret; URLs are checked early ----------------------------------------


def secret_holders() -> list:
    settings = ConnectionSettings(url=f"https://bob:{SECRET}@orch.example.com/o/t/orchestrator_",
                                  client_id="app", client_secret=SECRET, password=SECRET,
                                  token=SECRET)
    return [
        settings,
        resolve_settings({"url": settings.url, "client_id": "app"},
                         {"UIPATH_CLIENT_SECRET": SECRET}),
        ClientCredentialsAuth("app", SECRET, token=SECRET, expires_at=time.time() + 60),
        PasswordAuth("T", "u", SECRET, token=SECRET),
        TokenAuth(SECRET),
        CachedToken(SECRET, 1.0),
        TokenCache(),
        SecretError("Profile 'p': no secret", profile="p"),
    ]


@pytest.mark.parametrize("holder", secret_holders(), ids=lambda h: type(h).__name__)
def test_no_repr_shows_a_secret(holder):
    from rich.pretty import pretty_repr

    for text in (repr(holder), str(holder), pretty_repr(holder)):
        assert SECRET not in text


def test_a_crash_report_with_locals_shows_no_secret():
    """Textual's crash report is a rich traceback with locals."""
    from rich.console import Console
    from rich.traceback import Traceback

    def connect(settings):
        auth = settings.build_auth()
        cached = CachedToken(SECRET, 1.0)
        raise RuntimeError(f"boom {type(auth).__name__} {cached.expires_at}")

    try:
        connect(secret_holders()[0])
    except RuntimeError:
        console = Console(record=True, width=200)
        console.print(Traceback(show_locals=True, width=200))
    text = console.export_text()
    assert "settings = ConnectionSettings(" in text and "client_secret='***'" in text
    assert SECRET not in text


@pytest.mark.parametrize("field, value, words", [
    ("url", "https://orch:84430/", "Orchestrator URL 'https://orch:84430/' cannot be used: the "
                                   "port in the URL must be a number from 1 to 65535"),
    ("url", "https://orch:0/", "port in the URL must be a number from 1 to 65535"),
    ("url", "orch.example.com", "must start with https://"),
    ("identity_url", "https://id:99999/token", "identity URL .* port"),
])
def test_urls_are_validated_before_httpx_sees_them(field, value, words):
    settings = ConnectionSettings(url="https://orch.example.com", client_id="a",
                                  client_secret="b").with_(**{field: value})
    with pytest.raises(SettingsError, match=words):
        settings.validate()
    with pytest.raises(SettingsError, match=words):
        settings.open_client(token_cache=False)


def test_the_client_refuses_a_port_above_65535():
    with pytest.raises(ConnectionFailed, match="port in the URL must be a number"):
        OrchestratorClient("https://orch:84430/", TokenAuth("pat"))


# -- 11.7 a port above 65535 anywhere a URL is accepted: a message, not a traceback ------------


def test_run_with_a_port_above_65535_in_flag_or_variable(run_cli, template_file, monkeypatch):
    monkeypatch.setenv("UIPATH_CLIENT_ID", "c")
    monkeypatch.setenv("UIPATH_CLIENT_SECRET", "s")
    code, _, err = run_cli(template_file(), "--url", "https://orch:84430/")
    assert code == EXIT_USAGE and "port in the URL must be a number from 1 to 65535" in err
    assert "Traceback" not in err
    monkeypatch.setenv("UIPATH_URL", "https://orch:84430/")
    code, _, err = run_cli(template_file())
    assert code == EXIT_USAGE and "port in the URL" in err


def test_a_profile_with_a_port_above_65535_names_file_and_key(isolated_home):
    path = profiles_file()
    path.parent.mkdir(parents=True)
    path.write_text('[profiles.p]\nurl = "https://orch:84430/"\n')
    with pytest.raises(ProfileError, match="port in the URL must be a number") as caught:
        load_profiles()
    assert str(caught.value).startswith(f"{path}: profile 'p', key 'url'")


def test_run_with_a_profile_whose_port_is_too_big(run_cli, template_file, isolated_home):
    path = profiles_file()
    path.parent.mkdir(parents=True)
    path.write_text('[profiles.p]\nurl = "https://orch:84430/"\n')
    code, _, err = run_cli(template_file(), "--profile", "p")
    assert code == EXIT_USAGE and "key 'url'" in err and "Traceback" not in err


# -- 11.2 a password in the URL is never stored or printed -------------------------------------


async def test_a_password_in_the_url_reaches_no_file(sandbox, isolated_home):
    from tui_app.debuglog import start_debug_log

    url = sandbox.orchestrator_url.replace("http://", f"http://bob:{SECRET}@")
    settings = cc(sandbox, url=url)
    assert settings.url == sandbox.orchestrator_url  # dropped at once: drafts, screens...
    assert settings.with_(identity_url=f"https://bob:{SECRET}@id/t").identity_url == \
        "https://id/t"
    resolved = resolve_settings({"url": url, "client_id": DEMO.client_id},
                                {"UIPATH_CLIENT_SECRET": DEMO.client_secret})
    log = start_debug_log()
    log.attach_logging()
    try:
        log.write("connection settings (secrets masked):\n" + resolved.report())
        assert await folders(settings, debug_log=log)
    finally:
        log.close()
    assert "GET " in log.path.read_text()
    for path in sorted(p for p in isolated_home.rglob("*") if p.is_file()):
        assert SECRET not in path.read_text(errors="replace"), path
    for text in (repr(settings), str(resolved), resolved.report(),
                 json.dumps(settings.public_dict())):
        assert SECRET not in text and "bob" not in text


def test_the_debug_log_masks_userinfo_in_any_text(tmp_path):
    from tui_app.debuglog import DebugLog

    log = DebugLog(tmp_path / "debug.log")
    log.write(f"retrying https://bob:{SECRET}@orch/odata and mail bob@example.com")
    log.close()
    text = log.path.read_text()
    assert SECRET not in text and "https://***@orch/odata" in text
    assert "bob@example.com" in text


def test_profiles_never_keep_a_password_in_the_url(isolated_home):
    url = f"https://bob:{SECRET}@orch.example.com"
    profile = profile_from_settings("p", ConnectionSettings(url=url), secret="prompt")
    assert profile.url == "https://orch.example.com"
    path = profiles_file()
    path.parent.mkdir(parents=True)
    path.write_text(f'[profiles.p]\nurl = "{url}"\n')
    with pytest.raises(ProfileError, match="user name or password") as caught:
        load_profiles()
    assert SECRET not in str(caught.value) and caught.value.key == "url"


# -- 11.3 a failing secret_command never echoes its output -------------------------------------


def test_a_failing_secret_command_shows_only_its_exit_status():
    code = ("import sys; s = 'part-of-' + 'the-secret'; sys.stderr.write('gpg: ' + s + '\\n'); "
            "sys.exit(2)")
    command = f"{sys.executable} -c \"{code}\""
    with pytest.raises(SecretError) as caught:
        run_secret_command(command, profile="prod")
    message = str(caught.value)
    assert "exit status 2" in message and "Profile 'prod'" in message
    assert "part-of-the-secret" not in message and "gpg: part" not in message


# -- 11.4 temporary files left by a killed writer are removed ----------------------------------


def stale_temp(target: Path, age: float, content: str = SECRET) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    leftover = target.parent / f".{target.name}.killed9.tmp"
    leftover.write_text(content)
    os.chmod(leftover, 0o600)
    then = time.time() - age
    os.utime(leftover, (then, then))
    return leftover


@POSIX_ONLY
def test_the_next_secret_save_removes_a_killed_writers_temp_file(isolated_home):
    old = stale_temp(secrets_file(), age=60)
    store_secret("prod", "new-secret")
    assert not old.exists()
    assert stat.S_IMODE(secrets_file().stat().st_mode) == 0o600


@POSIX_ONLY
async def test_the_next_token_save_removes_a_killed_writers_temp_file(sandbox):
    settings = cc(sandbox, profile="prod")
    old = stale_temp(TokenCache().path_for(settings), age=60)
    await folders(settings)
    assert not old.exists()


@POSIX_ONLY
def test_temp_files_of_live_writers_and_young_ones_are_kept(tmp_path):
    import fcntl

    target = tmp_path / "secrets.toml"
    young = stale_temp(target, age=0)
    held = target.parent / f".{target.name}.alive.tmp"
    held.write_text("writing")
    os.utime(held, (time.time() - 60, time.time() - 60))
    with open(held) as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        holder = subprocess.Popen(  # a live writer in another process
            [sys.executable, "-c", "import fcntl, sys, time; f = open(sys.argv[1]); "
             "fcntl.flock(f.fileno(), fcntl.LOCK_EX); print('ready', flush=True); "
             "time.sleep(30)", str(held)], stdout=subprocess.PIPE)
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    try:
        assert holder.stdout.readline().strip() == b"ready"
        files.atomic_write_text(target, "x", mode=0o600)
        assert young.exists() and held.exists()
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    files.atomic_write_text(target, "y", mode=0o600)
    assert not held.exists()


@POSIX_ONLY
def test_the_temp_file_is_private_until_its_content_is_final(tmp_path, monkeypatch):
    modes = []
    real_fsync = os.fsync

    def fsync(fd):
        modes.append(stat.S_IMODE(os.fstat(fd).st_mode))
        real_fsync(fd)

    monkeypatch.setattr(files.os, "fsync", fsync)
    target = files.atomic_write_text(tmp_path / "profiles.toml", "x", mode=0o644)
    assert modes[0] == 0o600  # (then the folder entry is flushed)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


# -- 11.8 SSL_CERT_FILE / --ca-bundle that cannot be used --------------------------------------


@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "SSL_CERT_DIR"])
def test_a_missing_tls_variable_is_a_usage_error(sandbox, run_cli, template_file, monkeypatch,
                                                 tmp_path, variable):
    monkeypatch.setenv("UIPATH_CLIENT_ID", DEMO.client_id)
    monkeypatch.setenv("UIPATH_CLIENT_SECRET", DEMO.client_secret)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.setenv(variable, str(tmp_path / "missing"))
    code, _, err = run_cli(template_file(), "--url", sandbox.orchestrator_url)  # http:// too
    assert code == EXIT_USAGE, err
    assert f"The variable {variable} names" in err and "does not exist" in err
    assert "Traceback" not in err


def test_a_ca_bundle_that_is_not_pem_is_a_usage_error(sandbox, run_cli, template_file,
                                                      monkeypatch, tmp_path):
    monkeypatch.setenv("UIPATH_CLIENT_ID", DEMO.client_id)
    monkeypatch.setenv("UIPATH_CLIENT_SECRET", DEMO.client_secret)
    bundle = tmp_path / "bundle.pem"
    bundle.write_text("not a certificate\n")
    code, _, err = run_cli(template_file(), "--url", sandbox.orchestrator_url,
                           "--ca-bundle", str(bundle))
    assert code == EXIT_USAGE, err
    assert "--ca-bundle" in err and "cannot be used as a PEM file" in err
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    with pytest.raises(SettingsError, match="The variable SSL_CERT_FILE names .*PEM"):
        cc(sandbox).open_client()
    assert cc(sandbox, insecure=True).verify_option() is False


# -- 11.14 concurrent saves keep every profile and secret --------------------------------------

SAVER = """
import sys, time
from tui_app.profiles import Profile, save_profile

number, start = int(sys.argv[1]), float(sys.argv[2])
while time.time() < start:
    time.sleep(0.001)
save_profile(Profile(name=f"p{number}", url="https://orch.example.com", client_id="app"),
             secret=f"secret-{number}", store_secret=True)
"""


@POSIX_ONLY
def test_twenty_concurrent_saves_keep_every_profile_and_secret(isolated_home):
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "STARTJOB_HOME": str(isolated_home)}
    start = time.time() + 3.0
    savers = [subprocess.Popen([sys.executable, "-c", SAVER, str(n), str(start)],
                               cwd=REPO_ROOT, env=env, stderr=subprocess.PIPE)
              for n in range(20)]
    for saver in savers:
        _, err = saver.communicate(timeout=60)
        assert saver.returncode == 0, err.decode()
    assert sorted(load_profiles()) == sorted(f"p{n}" for n in range(20))
    from tui_app.secret_sources import read_secret

    assert [read_secret(f"p{n}") for n in range(20)] == [f"secret-{n}" for n in range(20)]


# -- 11.16 one precedence for every command ---------------------------------------------------


@pytest.fixture
def env_profile(sandbox, monkeypatch):
    monkeypatch.setenv("DEMO_SECRET", DEMO.client_secret)
    save_profile(Profile(name="envprof", url=sandbox.orchestrator_url, client_id=DEMO.client_id,
                         secret_env="DEMO_SECRET", folder="Finance"))
    monkeypatch.setenv("STARTJOB_PROFILE", "envprof")
    return "envprof"


def test_run_honours_startjob_profile(sandbox, run_cli, template_file, env_profile):
    code, out, err = run_cli(template_file(), "--dry-run")
    assert code == EXIT_OK, err
    assert "Folder       Default" in out  # the template's folder wins over the profile's


def template(**connection) -> Template:
    return Template(name="t", process=ProcessSpec(key="P"),
                    connection=ConnectionSpec(**connection))


def test_run_open_and_the_wizard_resolve_alike(sandbox, env_profile, monkeypatch):
    monkeypatch.setenv("UIPATH_SCOPE", "OR.Jobs")
    for_run = replay.connection_settings(template(), {})
    for_wizard = resolve_settings({}).settings
    assert for_run == for_wizard
    assert (for_run.profile, for_run.folder, for_run.client_secret, for_run.scope) == (
        "envprof", "Finance", DEMO.client_secret, "OR.Jobs")


def test_template_layer_sits_between_flags_and_environment(sandbox, env_profile, monkeypatch):
    monkeypatch.setenv("UIPATH_FOLDER_PATH", "EnvFolder")
    assert replay.connection_settings(template(), {}).folder == "EnvFolder"
    assert replay.connection_settings(template(folder="Tpl"), {}).folder == "Tpl"
    assert replay.connection_settings(template(folder="Tpl"), {"folder": "Flag"}).folder == \
        "Flag"
    # The template's url says where; STARTJOB_PROFILE still gives the credentials.
    chosen = replay.connection_settings(template(url="https://other.example.com"), {})
    assert (chosen.url, chosen.client_id) == ("https://other.example.com", DEMO.client_id)
    # --profile replaces the template's url; --url replaces the template's profile.
    save_profile(Profile(name="second", url="https://second.example.com", client_id="x",
                         secret_env="DEMO_SECRET"))
    chosen = replay.connection_settings(template(url="https://other.example.com"), {},
                                        profile="second")
    assert (chosen.url, chosen.profile) == ("https://second.example.com", "second")
    chosen = replay.connection_settings(template(profile="second"), {"url": "https://f.example"})
    assert (chosen.url, chosen.profile) == ("https://f.example", "envprof")
    chosen = replay.connection_settings(template(profile="second"), {})
    assert (chosen.url, chosen.profile) == ("https://second.example.com", "second")

