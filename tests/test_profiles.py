"""profiles.toml: round trip, strict validation naming file, profile and key; last used."""

from __future__ import annotations

import os
import stat

import pytest

from tui_app.connection import ConnectionSettings, SettingsError
from tui_app.profiles import (
    Profile,
    ProfileError,
    get_profile,
    last_profile,
    load_profiles,
    parse_profiles,
    profile_from_settings,
    profiles_file,
    remember_profile,
    save_profile,
    state_file,
)
from tui_app.secret_sources import read_secret, secrets_file

URL = "https://cloud.uipath.com/acme/Prod/orchestrator_"


def write(text: str):
    path = profiles_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_means_no_profiles(isolated_home):
    assert load_profiles() == {}
    assert profiles_file().parent == isolated_home / "config"


def test_every_key_loads(isolated_home):
    write(f"""
version = 1
[profiles.prod]
url = "{URL}"
auth_mode = "client_credentials"
identity_url = "https://cloud.uipath.com/identity_/connect/token"
client_id = "abc"
scope = ["OR.Folders.Read", "OR.Jobs"]
folder = "Shared/Finance"
ca_bundle = "~/corp.pem"
secret_env = "PROD_UIPATH_SECRET"

[profiles.onprem]
url = "https://orch.corp.local"
auth_mode = "password"
tenancy_name = "Default"
username = "admin"
secret = "prompt"
""")
    profiles = load_profiles()
    prod = profiles["prod"]
    assert prod.scope == "OR.Folders.Read OR.Jobs"
    assert prod.secret_source == "env" and prod.secret_label == "client secret"
    assert profiles["onprem"].secret_source == "prompt"
    assert profiles["onprem"].secret_field == "password"
    settings = prod.to_settings()
    assert settings.profile == "prod" and settings.folder == "Shared/Finance"
    assert settings.ca_bundle == os.path.expanduser("~/corp.pem")
    assert settings.client_secret == ""


def test_save_round_trip_keeps_other_profiles(isolated_home):
    first = Profile(name="prod", url=URL, client_id="abc", secret_command="pass show uipath/prod")
    second = Profile(name="dev", url="http://127.0.0.1:8765", auth_mode="token", secret="prompt")
    save_profile(first)
    path = save_profile(second)
    assert load_profiles() == {"prod": first, "dev": second}
    changed = Profile(name="prod", url=URL, client_id="xyz", secret_env="X")
    save_profile(changed)
    assert load_profiles() == {"prod": changed, "dev": second}
    text = path.read_text()
    assert "secret" not in text.replace("secret_env", "").replace("secret_command", "") \
        .replace('secret = "prompt"', "").split("\n", 2)[2]
    assert not list(path.parent.glob(".*.tmp"))


def test_profile_from_settings_never_takes_the_secret(isolated_home):
    settings = ConnectionSettings(url=URL, client_id="abc", client_secret="s3cret-value",
                                  folder="Shared")
    profile = profile_from_settings("prod", settings, secret="prompt")
    save_profile(profile)
    assert "s3cret-value" not in profiles_file().read_text()
    assert get_profile("prod").folder == "Shared"


def test_store_secret_only_when_chosen(isolated_home):
    profile = Profile(name="prod", url=URL, client_id="abc")
    with pytest.raises(ProfileError, match="store_secret=True"):
        save_profile(profile, secret="s3cret-value")
    assert not secrets_file().exists()
    save_profile(profile, secret="s3cret-value", store_secret=True)
    assert get_profile("prod").secret_source == "file"
    assert stat.S_IMODE(secrets_file().stat().st_mode) == 0o600
    assert read_secret("prod") == "s3cret-value"
    assert "s3cret-value" not in profiles_file().read_text()
    # Switching to another source removes the stored secret (the file goes with the last one).
    save_profile(Profile(name="prod", url=URL, client_id="abc", secret="prompt"))
    assert not secrets_file().exists()


def test_get_unknown_profile_lists_known(isolated_home):
    save_profile(Profile(name="prod", url=URL))
    with pytest.raises(ProfileError, match=r"has no profile 'nope' \(profiles: prod\)"):
        get_profile("nope")


def test_last_profile_is_remembered_in_the_data_folder(isolated_home):
    assert last_profile() is None
    remember_profile("prod")
    assert last_profile() == "prod"
    assert state_file().parent == isolated_home / "data"
    state_file().write_text("not = [valid")
    assert last_profile() is None  # a broken state file is never fatal
    remember_profile("dev")
    assert last_profile() == "dev"


@pytest.mark.parametrize(
    ("body", "key", "words"),
    [
        ('url = "https://x/o"\nclient_secret = "abc"', "client_secret", "secrets never go"),
        ('url = "https://x/o"\npassword = "abc"', "password", "secrets never go"),
        ('url = "https://x/o"\ntoken = "abc"', "token", "secrets never go"),
        ('url = "https://x/o"\nsecret = "hunter2"', "secret", "the secret itself never"),
        ('url = "https://x/o"\ncolour = "blue"', "colour", "is not a known key"),
        ('url = "https://x/o"\ninsecure = true', "insecure", "--insecure flag"),
        ('url = 42', "url", "must be text, got int"),
        ('url = "ftp://x/o"', "url", "not a valid URL"),
        ('url = "not a url"', "url", "not a valid URL"),
        ('client_id = "a"', "url", "is missing"),
        ('url = "https://x/o"\nauth_mode = "kerberos"', "auth_mode", "unknown auth mode"),
        ('url = "https://x/o"\nidentity_url = "x"', "identity_url", "not a valid URL"),
        ('url = "https://x/o"\nscope = [1, 2]', "scope", "list of text"),
        ('url = "https://x/o"\nsecret_env = "A"\nsecret = "prompt"', "secret",
         "only one secret source"),
        ('url = "https://x/o"\nsecret_env = "NOT A NAME"', "secret_env",
         "not an environment variable name"),
        ('url = "https://x/o"\nsecret_command = "pass \'unclosed"', "secret_command",
         "cannot be split"),
        ('url = "https://x/o"\nsecret_command = "  "', "secret_command", "is empty"),
    ],
)
def test_validation_errors_name_file_profile_and_key(isolated_home, body, key, words):
    path = write(f"[profiles.prod]\n{body}\n")
    with pytest.raises(ProfileError) as caught:
        load_profiles()
    message = str(caught.value)
    assert message.startswith(f"{path}: profile 'prod', key '{key}': "), message
    assert words in message
    assert caught.value.key == key and caught.value.profile == "prod"
    assert isinstance(caught.value, SettingsError)


def test_secret_values_are_not_echoed_in_errors(isolated_home):
    write('[profiles.prod]\nurl = "https://x/o"\nclient_secret = "super-secret-value"\n')
    with pytest.raises(ProfileError) as caught:
        load_profiles()
    assert "super-secret-value" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[profiles.prod\n", "is not valid TOML"),
        ("version = 2\n", "unsupported version"),
        ("profiles = 3\n", "must be a table of profiles"),
        ("[other]\n", "is not a known key"),
        ('[profiles]\nprod = "x"\n', "must be a table"),
        ('[profiles."bad name"]\nurl = "https://x/o"\n', "not a valid profile name"),
    ],
)
def test_file_level_errors(isolated_home, text, words):
    path = write(text)
    with pytest.raises(ProfileError, match=words) as caught:
        load_profiles()
    assert str(caught.value).startswith(str(path))


def test_saving_never_clobbers_a_broken_file(isolated_home):
    path = write("[profiles.prod\n")
    with pytest.raises(ProfileError):
        save_profile(Profile(name="dev", url=URL))
    assert path.read_text() == "[profiles.prod\n"


def test_parse_profiles_source_name():
    with pytest.raises(ProfileError, match=r"^here\.toml: profile 'p', key 'url'"):
        parse_profiles('[profiles.p]\nurl = "x"\n', "here.toml")


def test_resolve_profile_for_headless_commands(isolated_home):
    from tui_app.precedence import resolve_profile
    from tui_app.secret_sources import SecretPromptNeeded

    save_profile(Profile(name="prod", url=URL, client_id="abc", secret_env="PROD_SECRET",
                         folder="Shared"))
    settings = resolve_profile("prod", environ={"PROD_SECRET": "s", "UIPATH_FOLDER_PATH": "Env"})
    assert (settings.client_secret, settings.folder, settings.profile) == ("s", "Env", "prod")
    save_profile(Profile(name="ask", url=URL, client_id="abc", secret="prompt"))
    with pytest.raises(SecretPromptNeeded, match="no terminal to ask on; set "
                                                 "UIPATH_CLIENT_SECRET instead"):
        resolve_profile("ask", environ={})
    assert resolve_profile("ask", environ={}, prompt=lambda label: "typed").client_secret == \
        "typed"
    with pytest.raises(ProfileError, match="has no profile 'nope'"):
        resolve_profile("nope")


def test_replay_uses_profiles(isolated_home, monkeypatch):
    from tui_app import replay
    from tui_app.templates import ConnectionSpec, ProcessSpec, Template

    monkeypatch.setenv("PROD_SECRET", "s")
    save_profile(Profile(name="prod", url=URL, client_id="abc", secret_env="PROD_SECRET"))
    template = Template(name="t", process=ProcessSpec(key="P"),
                        connection=ConnectionSpec(profile="prod", folder="Shared"))
    settings = replay.connection_settings(template, {"scope": "OR.Jobs"})
    assert (settings.url, settings.client_secret, settings.folder, settings.scope) == (
        URL, "s", "Shared", "OR.Jobs")


def test_a_config_folder_that_cannot_be_created(tmp_path, monkeypatch):
    from tui_app.locations import LocationError

    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("STARTJOB_CONFIG_DIR", str(blocker / "config"))
    with pytest.raises(ProfileError, match="profiles.toml: cannot be read: Not a directory"):
        load_profiles()
    with pytest.raises((ProfileError, LocationError), match="Not a directory|Cannot create"):
        save_profile(Profile(name="prod", url=URL))
    monkeypatch.setenv("STARTJOB_CONFIG_DIR", str(tmp_path / "config"))
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "secrets.toml").mkdir()  # a folder where the file should be
    with pytest.raises(Exception, match="secrets.toml") as caught:
        save_profile(Profile(name="prod", url=URL), secret="x", store_secret=True)
    assert isinstance(caught.value, (ProfileError, LocationError, SettingsError))
    remember_profile("prod")  # best effort, never fatal (the data folder is fine here)
    assert last_profile() == "prod"
