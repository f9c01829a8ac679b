"""Every secret source: env, command (failure, exit status, timeout), prompt, 0600 file."""

from __future__ import annotations

import os
import shlex
import stat
import sys

import pytest

from tui_app.profiles import Profile
from tui_app.secret_sources import (
    SecretError,
    SecretPromptNeeded,
    forget_secret,
    needs_prompt,
    read_secret,
    resolve_secret,
    run_secret_command,
    secrets_file,
    store_secret,
)

URL = "https://orch.example.com"
PY = shlex.quote(sys.executable)


def profile(**source) -> Profile:
    return Profile(name="prod", url=URL, client_id="abc", **source)


def command(code: str) -> str:
    return f"{PY} -c {shlex.quote(code)}"


def test_env_source():
    p = profile(secret_env="PROD_UIPATH_SECRET")
    assert resolve_secret(p, environ={"PROD_UIPATH_SECRET": " s3cret \n"}) == "s3cret"
    with pytest.raises(SecretError, match="environment variable PROD_UIPATH_SECRET, which is "
                                          "not set") as caught:
        resolve_secret(p, environ={})
    assert "'prod'" in str(caught.value) and caught.value.profile == "prod"


def test_command_source_strips_and_takes_the_first_line():
    p = profile(secret_command=command("print('  from-command  '); print('meta: x')"))
    assert resolve_secret(p) == "from-command"


def test_command_runs_without_a_shell(tmp_path):
    marker = tmp_path / "marker"
    # With a shell, "; touch marker" would run; without one it is just two more arguments.
    p = profile(secret_command=command("import sys; print(sys.argv[1:])") + f" ; touch {marker}")
    assert resolve_secret(p) == f"[';', 'touch', '{marker}']"
    assert not marker.exists()


def test_command_not_found():
    p = profile(secret_command="no-such-secret-tool-xyz show uipath/prod")
    with pytest.raises(SecretError) as caught:
        resolve_secret(p)
    message = str(caught.value)
    assert "Profile 'prod'" in message and "`no-such-secret-tool-xyz show uipath/prod`" in message
    assert "was not found" in message


def test_command_non_zero_exit_names_profile_and_status_never_its_output():
    code = ("import sys; print('leaked' + '-secret'); "
            "sys.stderr.write('gpg: decryption' + ' failed\\n'); sys.exit(3)")
    p = profile(secret_command=command(code))
    with pytest.raises(SecretError) as caught:
        resolve_secret(p)
    message = str(caught.value)
    assert "Profile 'prod'" in message and "exit status 3" in message
    assert "gpg: decryption failed" not in message
    assert "leaked-secret" not in message


def test_command_that_prints_its_secret_to_stderr_is_not_echoed():
    code = ("import sys; s = 'leaked' + '-secret'; print(s); sys.stderr.write(s + '\\n'); "
            "sys.exit(1)")
    with pytest.raises(SecretError) as caught:
        run_secret_command(command(code), profile="prod")
    assert "leaked-secret" not in str(caught.value)


def test_command_empty_output():
    with pytest.raises(SecretError, match="printed nothing"):
        resolve_secret(profile(secret_command=command("print('   ')")))


def test_command_timeout():
    p = profile(secret_command=command("import time; time.sleep(10)"))
    with pytest.raises(SecretError, match=r"did not finish within 0\.5 seconds") as caught:
        resolve_secret(p, timeout=0.5)
    assert "Profile 'prod'" in str(caught.value)


def test_prompt_source():
    p = profile(secret="prompt")
    assert needs_prompt(p)
    with pytest.raises(SecretPromptNeeded) as caught:
        resolve_secret(p)
    assert caught.value.label == "Client secret for profile 'prod'"
    asked = []
    assert resolve_secret(p, lambda label: asked.append(label) or "typed") == "typed"
    assert asked == ["Client secret for profile 'prod'"]
    with pytest.raises(SecretError, match="No client secret was entered"):
        resolve_secret(p, lambda label: "")


def test_no_source_means_empty():
    assert resolve_secret(profile()) == ""


def test_file_source_round_trip_and_mode(isolated_home):
    path = store_secret("prod", "file-secret")
    assert path == secrets_file() == isolated_home / "config" / "secrets.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    store_secret("dev", "other")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert resolve_secret(profile(secret="file")) == "file-secret"
    assert forget_secret("prod") is True
    with pytest.raises(SecretError, match="none is stored there"):
        read_secret("prod")
    assert read_secret("dev") == "other"


@pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_file_source_refused_when_others_can_read(isolated_home, mode):
    path = store_secret("prod", "file-secret")
    os.chmod(path, mode)
    with pytest.raises(SecretError) as caught:
        resolve_secret(profile(secret="file"))
    message = str(caught.value)
    assert f"mode {mode:04o}" in message
    assert f"chmod 600 {path}" in message
    assert "file-secret" not in message
    with pytest.raises(SecretError):  # storing refuses too, until it is fixed
        store_secret("dev", "x")
    os.chmod(path, 0o600)
    assert resolve_secret(profile(secret="file")) == "file-secret"


def test_broken_secrets_file_does_not_echo_it(isolated_home):
    path = secrets_file()
    path.parent.mkdir(parents=True)
    path.write_text('[profiles.prod]\nsecret = "abc-secret"\nextra = 1\n')
    os.chmod(path, 0o600)
    with pytest.raises(SecretError, match="must hold exactly one text key") as caught:
        read_secret("prod")
    assert "abc-secret" not in str(caught.value)
