"""``startjob templates --check``: many templates checked on the sandbox with shared requests."""

from __future__ import annotations

import json

import pytest
from support import TRIAGE_TEMPLATE

from tui_app.cli import main
from tui_app.exit_codes import EXIT_CONNECTION, EXIT_OK, EXIT_USAGE
from tui_app.locations import templates_dir
from tui_app.sandbox.hostile import OSC52

TOKEN = "POST /identity/connect/token"
FOLDERS = "GET /odata/Folders"
RELEASES = "GET /odata/Releases"

RESET = """\
version = 1
name = "Reset password"

[connection]
folder = "Shared/Support"

[process]
key = "PasswordReset"
release_key = "b8c1d4e7-5f2a-4c9b-a6d3-e0f7a4b1c856"
release_name = "PasswordReset"
version = "2.1.0"

[strategy]
kind = "ModernJobsCount"
robots = ["svc-support-01", "svc-support-02"]
jobs_count = 2

[arguments]
UserEmail = "ada@example.com"

[signature]
UserEmail = "System.String"
NotifyManager = "System.Boolean"
TicketOpened = "System.DateTimeOffset"
"""

NOTE = """\
version = 1
name = "Note"
action = "add_queue_item"

[connection]
folder = "Shared/Support"

[queue]
name = "Notes"

[item]
priority = "Normal"

[content]
Text = "hello"
"""


def renamed(text: str, name: str, **replacements: str) -> str:
    text = text.replace(text.split('name = "', 1)[1].split('"', 1)[0], name, 1)
    for old, new in replacements.items():
        text = text.replace(old, new)
    return text


@pytest.fixture
def library():
    """Write templates into the personal folder: ``library(file=text, ...)``."""
    folder = templates_dir()
    folder.mkdir(parents=True, exist_ok=True)

    def write(**files: str) -> None:
        for stem, text in files.items():
            (folder / f"{stem}.toml").write_text(text, encoding="utf-8")

    return write


@pytest.fixture
def check(sandbox, capsys, monkeypatch):
    """``startjob templates --check ARGS`` on the sandbox: (exit code, stdout, stderr)."""
    monkeypatch.setenv("UIPATH_CLIENT_ID", "demo-client")
    monkeypatch.setenv("UIPATH_CLIENT_SECRET", "demo-secret")
    monkeypatch.setenv("COLUMNS", "100")

    def run(*args: str, url: bool = True):
        capsys.readouterr()
        code = main(["templates", "--check", *args,
                     *(["--url", sandbox.orchestrator_url] if url else [])])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def statuses(out: str) -> dict:
    return {t["name"]: t["status"] for t in json.loads(out)["templates"]}


def test_several_templates_one_blocked_exits_2(sandbox, library, check):
    library(triage=TRIAGE_TEMPLATE, reset=RESET, note=NOTE,
            gone=renamed(TRIAGE_TEMPLATE, "Gone robot", **{"SUPPORT-BOT-01": "SUPPORT-BOT-09"}))
    code, out, err = check()
    assert code == EXIT_USAGE, out
    lines = out.splitlines()
    assert lines[0].split() == ["Template", "Status", "Reasons"]
    assert all(len(line) <= 100 for line in lines)
    assert any(line.startswith("Gone robot") and "blocked" in line for line in lines)
    assert '"SUPPORT-BOT-09" is not in environment' in " ".join(out.split())
    assert lines[-1].startswith("4 template(s): 3 ok, 0 with warnings, 1 blocked, 0 not "
                                "checked"), out


@pytest.mark.parametrize("change", ["process removed", "folder gone", "queue gone"])
def test_what_blocks(sandbox, library, check, change):
    library(triage=TRIAGE_TEMPLATE, note=NOTE)
    if change == "process removed":
        sandbox.tenant.remove_release(1)
        blocked, reason = "Triage incident", 'no release of process "SupportTriage"'
    elif change == "folder gone":
        library(triage=TRIAGE_TEMPLATE.replace('folder = "Default"', 'folder = "Retired"'))
        blocked, reason = "Triage incident", 'The folder "Retired" no longer exists'
    else:
        library(note=NOTE.replace('name = "Notes"', 'name = "OldNotes"'))
        blocked, reason = "Note", 'no queue named "OldNotes"'
    code, out, _ = check("--output", "json")
    assert code == EXIT_USAGE
    found = {t["name"]: t for t in json.loads(out)["templates"]}
    assert found[blocked]["status"] == "blocked"
    assert reason in found[blocked]["reasons"][0]
    assert [t["status"] for name, t in found.items() if name != blocked] == ["ok"]


def test_warnings_only_exit_0(sandbox, library, check):
    library(triage=TRIAGE_TEMPLATE, reset=RESET)
    sandbox.tenant.update_release(1, process_version="1.0.2")
    code, out, _ = check("--output", "json")
    assert code == EXIT_OK
    found = {t["name"]: t for t in json.loads(out)["templates"]}
    assert found["Triage incident"]["status"] == "warnings"
    assert "now version 1.0.2" in found["Triage incident"]["reasons"][0]
    assert found["Triage incident"]["findings"][0]["code"] == "version-changed"
    assert found["Reset password"]["status"] == "ok"


def test_one_sign_in_and_one_releases_request_per_folder(sandbox, library, check):
    """Six templates, two folders, three processes: one token, one Folders list, one
    Releases request per folder, the robots of an environment read once."""
    other = TRIAGE_TEMPLATE.replace('key = "SupportTriage"', 'key = "CleanupTempFiles"')
    library(**{f"triage{n}": renamed(TRIAGE_TEMPLATE, f"Triage {n}") for n in range(3)},
            reset=RESET, note=NOTE, other=renamed(other, "Other process"))
    sandbox.clear_log()
    code, out, err = check("--output", "json")
    assert sandbox.count(TOKEN) == 1
    assert sandbox.count(FOLDERS) == 1
    releases = [r for r in sandbox.request_log if r.route == RELEASES]
    assert len(releases) == 2  # Default (two process keys in one request), Shared/Support
    assert any("SupportTriage" in r.query["$filter"] and "CleanupTempFiles" in r.query["$filter"]
               for r in releases)
    assert sandbox.count("GET /odata/Environments") == 1
    report = json.loads(out)
    assert report["totals"]["templates"] == 6
    assert report["totals"]["requests"] == len(sandbox.request_log)
    assert [t["requests"] for t in report["templates"]].count(0) >= 2  # shared answers


def test_a_broken_file_is_reported_and_the_others_checked(sandbox, library, check):
    library(triage=TRIAGE_TEMPLATE, broken='version = 1\nname = "Broken\n',
            wrong="version = 1\nname = \"Wrong\"\n[process]\n")
    code, out, err = check()
    assert code == EXIT_USAGE
    assert "Triage incident  ok" in out
    assert "is not valid TOML" in out
    assert "1 ok, 0 with warnings, 0 blocked, 2 not checked" in out
    assert "Traceback" not in err


def test_names_select_templates(sandbox, library, check, tmp_path):
    library(triage=TRIAGE_TEMPLATE, reset=RESET)
    loose = tmp_path / "loose.toml"
    loose.write_text(renamed(TRIAGE_TEMPLATE, "Loose"), encoding="utf-8")
    code, out, _ = check("triage incident", str(loose), "--output", "json")
    assert code == EXIT_OK
    assert statuses(out) == {"Triage incident": "ok", "Loose": "ok"}
    code, out, _ = check("Reset password", "No such template", "--output", "json")
    assert code == EXIT_USAGE
    found = json.loads(out)["templates"]
    assert [(t["name"], t["status"]) for t in found] == [("Reset password", "ok"),
                                                          ("No such template", "error")]
    assert "No template named" in found[1]["reasons"][0]


def test_names_need_check(capsys):
    assert main(["templates", "Triage incident"]) == EXIT_USAGE
    assert "NAMEs go with --check" in capsys.readouterr().err


def test_sign_in_failure_is_an_error_for_its_templates_exit_3(sandbox, library, check,
                                                              monkeypatch):
    from tui_app.profiles import Profile, save_profile

    monkeypatch.delenv("UIPATH_CLIENT_SECRET", raising=False)
    monkeypatch.delenv("UIPATH_CLIENT_ID", raising=False)
    monkeypatch.setenv("GOOD_SECRET", "demo-secret")
    monkeypatch.setenv("BAD_SECRET", "not-the-secret")
    for name in ("good", "bad"):
        save_profile(Profile(name=name, url=sandbox.orchestrator_url, client_id="demo-client",
                             secret_env=f"{name.upper()}_SECRET"))
    good = TRIAGE_TEMPLATE.replace('folder = "Default"', 'profile = "good"\nfolder = "Default"')
    bad = RESET.replace('folder = "Shared/Support"',
                        'profile = "bad"\nfolder = "Shared/Support"')
    tenant_wide = renamed(NOTE, "Tenant note", **{'folder = "Shared/Support"': 'profile = "bad"'})
    library(good=good, bad=bad, tenant=tenant_wide,
            bad_note=NOTE.replace('folder = "Shared/Support"',
                                  'profile = "bad"\nfolder = "Shared/Support"'))
    sandbox.clear_log()
    code, out, _ = check("--output", "json", url=False)
    assert code == EXIT_CONNECTION
    found = {t["name"]: t for t in json.loads(out)["templates"]}
    assert found["Triage incident"]["status"] == "ok"
    assert {found[name]["status"] for name in ("Reset password", "Note", "Tenant note")} == {
        "error"}
    assert found["Tenant note"]["reasons"][0].startswith("Not checked: Sign-in failed")
    assert "Sign-in failed" in found["Reset password"]["reasons"][0]
    assert "not-the-secret" not in out
    failed = [r for r in sandbox.request_log if r.route == TOKEN and r.status != 200]
    assert len(failed) == 1  # the bad connection tried once, not once per template
    # a blocked template still wins: exit 2
    sandbox.tenant.remove_release(1)
    assert check("--output", "json", url=False)[0] == EXIT_USAGE


def test_json_shape(sandbox, library, check):
    library(triage=TRIAGE_TEMPLATE)
    code, out, _ = check("--output", "json")
    report = json.loads(out)
    assert set(report) == {"templates", "totals", "warnings", "exit_code"}
    assert report["totals"] == {"templates": 1, "ok": 1, "warnings": 0, "blocked": 0,
                                "error": 0, "requests": report["templates"][0]["requests"]}
    (entry,) = report["templates"]
    assert set(entry) == {"name", "path", "status", "reasons", "findings", "requests"}
    assert entry["path"].endswith("triage.toml") and entry["requests"] >= 4
    assert report["exit_code"] == code == EXIT_OK


def test_hostile_server_strings_are_made_visible(sandbox, library, check):
    sandbox.tenant.rename_robot(102, OSC52)
    library(gone=renamed(TRIAGE_TEMPLATE, "Gone", **{"SUPPORT-BOT-01": "SUPPORT-BOT-09"}))
    code, out, _ = check()
    assert code == EXIT_USAGE
    assert "\x1b" not in out and "\x07" not in out
    assert "Clipboard" in out
    code, out, _ = check("--output", "json")
    assert "\x1b" not in out and "\\u001b" not in out.replace("\\\\", "")  # shown, not sent


def test_demo_templates_need_demo(library, check, capsys):
    from tui_app.templates import DEMO_URL

    demo = TRIAGE_TEMPLATE.replace('folder = "Default"', f'url = "{DEMO_URL}"\nfolder = "Default"')
    library(demo=demo)
    code, out, _ = check("--output", "json", url=False)
    assert code == EXIT_USAGE
    assert "--check --demo" in json.loads(out)["templates"][0]["reasons"][0]
    assert main(["templates", "--check", "--demo", "--output", "json"]) == EXIT_OK
    assert statuses(capsys.readouterr().out) == {"Triage incident": "ok"}


def test_releases_for_processes_splits_a_long_filter(sandbox):
    import asyncio

    from tui_app.cli import demo_settings

    async def read(limit: int) -> list:
        async with demo_settings(sandbox).open_client(token_cache=False) as client:
            client.max_filter_chars = limit
            client.use_folder(4)
            return await client.releases_for_processes(
                ["SupportTriage", "CleanupTempFiles", "SupportTriage"])

    sandbox.clear_log()
    wide = asyncio.run(read(1000))
    assert sandbox.count(RELEASES) == 1
    narrow = asyncio.run(read(40))
    assert sandbox.count(RELEASES) == 3
    assert sorted(r.key for r in wide) == sorted(r.key for r in narrow)
    assert {r.process_key for r in wide} == {"SupportTriage", "CleanupTempFiles"}


def test_values_given_at_run_time_count_as_given(sandbox, library, check):
    """An ``ask`` argument without a saved value is fine; a required one that nothing fills
    is a warning (``run`` would need --set); a saved value that no longer fits blocks."""
    asked = TRIAGE_TEMPLATE.replace('version = 1\n', 'version = 1\nask = ["IncidentId"]\n')
    asked = asked.replace('IncidentId = "INC0010234"\n', "", 1)
    library(asked=renamed(asked, "Asked"),
            unset=renamed(TRIAGE_TEMPLATE.replace('IncidentId = "INC0010234"\n', "", 1), "Unset"))
    code, out, _ = check("--output", "json")
    assert code == EXIT_OK
    found = {t["name"]: t for t in json.loads(out)["templates"]}
    assert found["Asked"]["status"] == "ok"
    assert found["Unset"]["status"] == "warnings"
    assert "IncidentId is required: pass --set IncidentId=VALUE" in found["Unset"]["reasons"][0]
