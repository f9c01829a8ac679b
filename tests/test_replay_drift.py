"""Drift: the sandbox tenant changes between saving a template and replaying it."""

from __future__ import annotations

import json

import pytest

from tui_app import replay
from tui_app.arguments import ArgumentSpec
from tui_app.cli import main
from tui_app.drift import BLOCK, WARN, Finding, blocking, check_drift, find_robot
from tui_app.exit_codes import EXIT_OK, EXIT_USAGE
from tui_app.following import FollowPolicy
from tui_app.orchestrator.models import Release, Robot
from tui_app.sandbox import arguments_json
from tui_app.sandbox.seed import STRING, _t
from tui_app.templates import parse_template

START_JOBS = "POST /odata/Jobs/UiPath.Server.Configuration.OData.StartJobs"
NEW_KEY = "11111111-2222-4333-8444-555555555555"

TRIAGE = """\
version = 1
name = "Triage incident"

[connection]
folder = "Default"

[process]
key = "SupportTriage"
environment = "QuickstartDemo"
release_key = "99587436-4ce5-480d-988c-6d7f43787a2c"
release_name = "SupportTriage_QuickstartDemo"
version = "1.0.1"

[strategy]
kind = "Specific"
robots = ["SUPPORT-BOT-01"]

[arguments]
IncidentId = "{value}"

[signature]
IncidentId = "System.String"
"""

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


def _in(name: str, type_name: str, required: bool = False) -> dict:
    return {"name": name, "type": type_name, "required": required, "hasDefault": False}


@pytest.fixture(autouse=True)
def demo_credentials(monkeypatch):
    monkeypatch.setenv("UIPATH_CLIENT_ID", "demo-client")
    monkeypatch.setenv("UIPATH_CLIENT_SECRET", "demo-secret")
    monkeypatch.setattr(replay, "FOLLOW", FollowPolicy(first=0.05))


@pytest.fixture
def saved(tmp_path):
    def save(text: str = TRIAGE, value: str = "INC0010234") -> str:
        path = tmp_path / "saved.toml"
        path.write_text(text.replace("{value}", value), encoding="utf-8")
        return str(path)

    return save


@pytest.fixture
def replay_cli(sandbox, capsys):
    def run(path: str, *args: str):
        code = main(["run", path, "--url", sandbox.orchestrator_url, *args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def posted(sandbox) -> list:
    return [json.loads(r.body)["startInfo"] for r in sandbox.request_log if r.route == START_JOBS]


def test_no_drift_no_warnings(sandbox, replay_cli, saved):
    code, out, err = replay_cli(saved(), "--output", "json")
    assert code == EXIT_OK and json.loads(out)["warnings"] == [] and err == ""


def test_version_changed_warns(sandbox, replay_cli, saved):
    path = saved()
    sandbox.tenant.update_release(1, process_version="1.0.2")
    code, out, err = replay_cli(path)
    assert code == EXIT_OK
    assert ('warning: "SupportTriage" is now version 1.0.2 (the template was saved with '
            "1.0.1).") in err
    assert len(posted(sandbox)) == 1


def test_release_key_changed_is_found_again(sandbox, replay_cli, saved):
    path = saved()
    sandbox.tenant.update_release(1, key=NEW_KEY)
    code, out, err = replay_cli(path, "--output", "json")
    assert code == EXIT_OK
    (warning,) = json.loads(out)["warnings"]
    assert warning == (
        'The saved release "SupportTriage_QuickstartDemo" (key '
        "99587436-4ce5-480d-988c-6d7f43787a2c) is gone; found again by process key "
        f'"SupportTriage" and environment "QuickstartDemo": "SupportTriage_QuickstartDemo", '
        f"key {NEW_KEY}."
    )
    assert posted(sandbox)[0]["ReleaseKey"] == NEW_KEY


def test_release_renamed_warns(sandbox, replay_cli, saved):
    path = saved()
    sandbox.tenant.update_release(1, name="SupportTriage_Demo")
    code, _, err = replay_cli(path)
    assert code == EXIT_OK
    assert 'The release "SupportTriage_QuickstartDemo" is now named "SupportTriage_Demo".' in err


def test_release_gone_blocks(sandbox, replay_cli, saved):
    path = saved()
    sandbox.tenant.remove_release(1)
    code, _, err = replay_cli(path)
    assert code == EXIT_USAGE
    assert ('There is no release of process "SupportTriage" in environment "QuickstartDemo" '
            'in the folder "Default" any more.') in err
    assert posted(sandbox) == []


def test_folder_gone_blocks(sandbox, replay_cli, saved):
    path = saved(TRIAGE.replace('folder = "Default"', 'folder = "Archive/Default"'))
    code, _, err = replay_cli(path, "--dry-run")
    assert code == EXIT_USAGE
    assert 'The folder "Archive/Default" no longer exists (or this account cannot see it).' in err


def test_folder_match_ignores_case(sandbox, replay_cli, saved):
    assert replay_cli(saved(), "--folder", "dEFAULT", "--dry-run")[0] == EXIT_OK


def test_required_argument_added_blocks_unless_given(sandbox, replay_cli, saved):
    path = saved()
    sandbox.tenant.update_release(1, arguments_input=arguments_json([
        _in("IncidentId", STRING, True), _in("Queue", STRING, True)]))
    code, _, err = replay_cli(path, "--dry-run")
    assert code == EXIT_USAGE
    assert ('The process has a new required input argument "Queue" (String); give it with '
            "--set Queue=VALUE.") in err
    assert "Queue is required" not in err  # said once
    code, _, err = replay_cli(path, "--set", "Queue=L2")
    assert code == EXIT_OK
    assert 'warning: The process has a new required input argument "Queue" (String).' in err
    assert json.loads(posted(sandbox)[0]["InputArguments"]) == {"IncidentId": "INC0010234",
                                                                "Queue": "L2"}


def test_required_argument_added_with_a_process_default_only_warns(sandbox, replay_cli, saved):
    path = saved()
    sandbox.tenant.update_release(
        1, input_arguments='{"Queue": "L1"}',
        arguments_input=arguments_json([_in("IncidentId", STRING, True),
                                        _in("Queue", STRING, True)]))
    code, _, err = replay_cli(path)
    assert code == EXIT_OK
    assert 'new required input argument "Queue"' in err
    assert json.loads(posted(sandbox)[0]["InputArguments"]) == {"IncidentId": "INC0010234"}


def test_optional_argument_added_warns(sandbox, replay_cli, saved):
    path = saved()
    sandbox.tenant.update_release(1, arguments_input=arguments_json([
        _in("IncidentId", STRING, True), _in("Note", STRING)]))
    code, _, err = replay_cli(path)
    assert code == EXIT_OK
    assert 'warning: The process has a new optional input argument "Note" (String).' in err


def test_argument_removed_warns_and_drops_the_value(sandbox, replay_cli, saved):
    path = saved()
    sandbox.tenant.update_release(1, arguments_input=arguments_json([_in("Other", STRING)]))
    code, _, err = replay_cli(path)
    assert code == EXIT_OK
    assert ('warning: The input argument "IncidentId" (System.String) was removed from the '
            "process. Its saved value is not sent.") in err
    assert posted(sandbox)[0]["InputArguments"] == "{}"


def test_type_changed_blocks_when_the_value_no_longer_fits(sandbox, replay_cli, saved):
    path = saved()
    sandbox.tenant.update_release(1, arguments_input=arguments_json([
        _in("IncidentId", _t("System.Int32"), True)]))
    code, _, err = replay_cli(path)
    assert code == EXIT_USAGE
    assert ('The type of "IncidentId" changed from System.String to System.Int32, and the '
            'saved value no longer fits: "INC0010234" is not a whole number, e.g. 42.') in err
    assert err.count("INC0010234") == 1  # one line, not repeated as a value error
    # --set gives a value of the new type: only a warning is left
    code, _, err = replay_cli(path, "--set", "IncidentId=7")
    assert code == EXIT_OK
    assert "warning: The type of \"IncidentId\" changed from System.String to System.Int32." in err
    assert json.loads(posted(sandbox)[0]["InputArguments"]) == {"IncidentId": 7}


def test_type_changed_warns_when_the_value_still_fits(sandbox, replay_cli, saved):
    path = saved(value="42")
    sandbox.tenant.update_release(1, arguments_input=arguments_json([
        _in("IncidentId", _t("System.Int64"), True)]))
    code, _, err = replay_cli(path)
    assert code == EXIT_OK
    assert "System.String to System.Int64; the saved value still fits." in err
    assert posted(sandbox)[0]["InputArguments"] == '{"IncidentId":42}'


@pytest.mark.parametrize("change", ["rename", "remove"])
def test_specific_robot_renamed_or_gone_blocks(sandbox, replay_cli, saved, change):
    path = saved()
    if change == "rename":
        sandbox.tenant.rename_robot(101, "SUPPORT-BOT-01-NEW")
        now = "SUPPORT-BOT-01-NEW, SUPPORT-BOT-02, SUPPORT-BOT-03"
    else:
        sandbox.tenant.remove_robot(101)
        now = "SUPPORT-BOT-02, SUPPORT-BOT-03"
    code, _, err = replay_cli(path)
    assert code == EXIT_USAGE
    assert ('The robot "SUPPORT-BOT-01" is not in environment "QuickstartDemo" any more '
            f"(renamed or removed); robots there now: {now}.") in err
    assert posted(sandbox) == []


def test_modern_robot_gone_warns_and_uses_the_others(sandbox, replay_cli, saved):
    path = saved(RESET)
    sandbox.tenant.remove_robot(301)
    code, _, err = replay_cli(path)
    assert code == EXIT_OK
    assert ('warning: The robot "svc-support-01" is not in the folder "Shared/Support" any '
            "more (renamed or removed); the jobs run on the other chosen robots.") in err
    (info,) = posted(sandbox)
    assert info["RobotIds"] == [302] and info["JobsCount"] == 2


def test_modern_robots_all_gone_blocks(sandbox, replay_cli, saved):
    path = saved(RESET)
    sandbox.tenant.rename_robot(301, "svc-a")
    sandbox.tenant.rename_robot(302, "svc-b")
    code, _, err = replay_cli(path)
    assert code == EXIT_USAGE
    assert ('None of the chosen robots is in the folder "Shared/Support" any more; robots '
            "there now: svc-a, svc-b.") in err


def test_modern_replay_without_drift(sandbox, replay_cli, saved):
    code, _, err = replay_cli(saved(RESET))
    assert code == EXIT_OK, err
    (info,) = posted(sandbox)
    assert info == {
        "ReleaseKey": "b8c1d4e7-5f2a-4c9b-a6d3-e0f7a4b1c856", "Strategy": "ModernJobsCount",
        "JobsCount": 2, "RuntimeType": "Unattended", "RobotIds": [301, 302],
        "Source": "CommandLine", "InputArguments": '{"UserEmail":"ada@example.com"}',
        "Reference": info["Reference"],
    }
    headers = next(r.headers for r in sandbox.request_log if r.route == START_JOBS)
    assert {k.lower(): v for k, v in headers.items()}["x-uipath-organizationunitid"] == "2"


# -- check_drift on its own (the wizard uses it too) -------------------------------------------


def _release(**changes) -> Release:
    values = dict(id=1, key="k1", name="P_Env", process_key="P", process_version="1.0.0",
                  environment_name="Env")
    values.update(changes)
    return Release(**values)


TEMPLATE = parse_template("""\
version = 1
name = "t"
[connection]
folder = "F"
[process]
key = "P"
environment = "Env"
release_key = "k1"
release_name = "P_Env"
version = "1.0.0"
[strategy]
kind = "Specific"
robots = ["R1"]
[arguments]
A = "x"
[signature]
A = "System.String"
""")
SPEC_A = ArgumentSpec("A", "System.String", required=True)


def test_check_drift_nothing_changed():
    assert check_drift(TEMPLATE, _release(), [SPEC_A], [Robot(1, "R1")]) == []


def test_check_drift_robots_not_looked_up_are_not_checked():
    assert check_drift(TEMPLATE, _release(), [SPEC_A], None) == []


def test_check_drift_findings_have_levels_codes_and_subjects():
    findings = check_drift(
        TEMPLATE,
        _release(key="k2", process_version="2.0.0"),
        [ArgumentSpec("A", "System.Int32"), ArgumentSpec("B", "System.String", required=True)],
        [Robot(2, "R2")],
    )
    assert [(f.level, f.code, f.subject) for f in findings] == [
        (WARN, "release-key-changed", None),
        (WARN, "version-changed", None),
        (BLOCK, "type-changed", "A"),
        (BLOCK, "argument-added", "B"),
        (BLOCK, "robot-gone", "R1"),
    ]
    assert [f.text for f in blocking(findings)] == [f.text for f in findings[2:]]
    assert all("\n" not in f.text for f in findings)
    assert str(findings[0]).startswith("warn: The saved release")


def test_check_drift_given_settles_added_and_changed_arguments():
    findings = check_drift(
        TEMPLATE, _release(),
        [ArgumentSpec("A", "System.Int32"), ArgumentSpec("B", "System.String", required=True)],
        given={"A", "B"},
    )
    assert [f.level for f in findings] == [WARN, WARN]


def test_check_drift_folder_and_release_gone():
    (folder,) = check_drift(TEMPLATE, None, folder_missing=True)
    assert folder == Finding(BLOCK, 'The folder "F" no longer exists (or this account cannot '
                                    "see it).", "folder-gone")
    (release,) = check_drift(TEMPLATE, None)
    assert release.blocks and release.code == "release-gone"


def test_check_drift_without_signature_warns_about_unknown_stored_values():
    template = parse_template("""\
version = 1
name = "t"
[process]
key = "P"
[strategy]
kind = "All"
[arguments]
Gone = 1
""")
    (finding,) = check_drift(template, _release(), [SPEC_A])
    assert finding.level == WARN and finding.subject == "Gone"
    assert "its value is not sent" in finding.text


def test_find_robot_prefers_the_exact_name():
    robots = [Robot(1, "bot"), Robot(2, "BOT")]
    assert find_robot(robots, "BOT").id == 2
    assert find_robot(robots, "Bot") is None  # two case-insensitive matches: ambiguous
    assert find_robot([Robot(3, "Bot-1")], "bot-1").id == 3


# -- issue 15: start options and runtime types -------------------------------------------------

FORM_FILLER = """\
version = 1
name = "Fill the form"

[connection]
folder = "Workshop"

[process]
key = "FormFiller"

[strategy]
kind = "ModernJobsCount"
runtime_type = "{runtime}"
"""


def test_a_runtime_type_the_folder_has_no_runtimes_of_blocks_before_the_start(
        sandbox, replay_cli, saved):
    path = saved(RESET.replace("jobs_count = 2", 'jobs_count = 2\nruntime_type = "Headless"'))
    code, _, err = replay_cli(path)
    assert code == EXIT_USAGE
    assert ('The folder "Shared/Support" has no Headless runtimes; runtime types there: '
            "Unattended, NonProduction.") in err
    assert posted(sandbox) == []


def test_a_foreground_release_on_a_headless_runtime_blocks(sandbox, replay_cli, saved):
    code, _, err = replay_cli(saved(FORM_FILLER.format(runtime="Headless")), "--dry-run")
    assert code == EXIT_USAGE
    assert ('"FormFiller" is a foreground process (it needs user interaction) and cannot run '
            "on a Headless runtime; choose another runtime_type.") in err
    code, _, err = replay_cli(saved(FORM_FILLER.format(runtime="Unattended")), "--dry-run")
    assert code == EXIT_OK, err


def test_a_saved_machine_is_never_dropped_silently(sandbox, replay_cli, saved):
    path = saved(RESET.replace("[arguments]", '[options]\nmachine = "SAP-CLIENT-VM"\n'
                               'host = "SAP-HOST-1"\n\n[arguments]'))
    code, _, err = replay_cli(path)
    assert code == EXIT_USAGE
    assert "SAP-CLIENT-VM" in err
    assert posted(sandbox) == []
