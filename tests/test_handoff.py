"""Hand-off forms (``tui_app.handoff``) and the Copy as… dialog on both Review steps.

The shell forms are checked by running them in bash with ``curl`` / ``startjob`` / ``uip``
replaced by a function that prints its arguments, so what a pasted form would pass is what
the test compares.
"""

from __future__ import annotations

import json
import shlex
import subprocess

import pytest
import tour

from tui_app import handoff
from tui_app.orchestrator.models import Folder, QueueDefinition, Release
from tui_app.plan import RobotRef, StartPlan, StrategyChoice
from tui_app.queue_plan import QueuePlan
from tui_app.ui.handoff_dialog import HandoffDialog

HOSTILE = [
    "it's \"quoted\"",
    "$(touch /tmp/pwned) `touch /tmp/pwned` ${HOME}",
    "two\nlines; echo pwned",
    "esc \x1b]52;c;cHduZWQ=\x07 bidi \u202e end",
    "back\\slash \u2019curly\u2018 *?[x] -- --set=x",
    "  padded  ",
]
SECRET = "hunter2-secret"
RELEASE = Release(1, "1b2c3d4e-0000-4000-8000-000000000001", "Support Triage", "SupportTriage",
                  "1.0.1")
FOLDER = Folder(7, "f01d0000-0000-4000-8000-000000000007", "Finance", "Shared/Finance")
CLOUD = handoff.Where("https://cloud.uipath.com/org/tenant/orchestrator_", "client_credentials")
UNSAVED = handoff.Replay("/templates/triage.toml", saved=False)


def plan_of(strategy: StrategyChoice, arguments: dict) -> StartPlan:
    return StartPlan(RELEASE, strategy, arguments, FOLDER, reference="startjob:handoff")


STRATEGIES = {
    "Specific": StrategyChoice("Specific", robots=(RobotRef(4, "BOT-01"), RobotRef(5, "BOT-02"))),
    "JobsCount": StrategyChoice("JobsCount", jobs_count=3, priority="High"),
    "ModernJobsCount": StrategyChoice("ModernJobsCount", jobs_count=2, runtime_type="Headless",
                                      priority=70),
}


def forms_of(plan, **options) -> dict:
    options.setdefault("hidden", {"Password"})
    options.setdefault("asked", {"Password"})
    return {form.key: form.text for form in handoff.job_forms(plan, CLOUD, UNSAVED,
                                                              parsers={}, **options)}


def run_in_bash(text: str, command: str, env: dict | None = None) -> list[list[str]]:
    """The argument lists ``command`` gets when bash runs ``text`` (one list per call)."""
    script = (f'{command}() {{ printf "%s\\0" "$@"; printf "\\1"; }}\n' + text)
    done = subprocess.run(["bash", "-c", script], capture_output=True, check=True,
                          env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8", **(env or {})})
    calls = done.stdout.decode("utf-8").split("\x01")[:-1]
    return [call.split("\0")[:-1] for call in calls]


def data_of(curl_args: list[str]) -> dict:
    return json.loads(curl_args[curl_args.index("--data") + 1])


# -- the forms of a job ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(STRATEGIES))
def test_curl_body_is_the_review_body(kind):
    plan = plan_of(STRATEGIES[kind], {"IncidentId": "INC0010234", "Count": 3})
    (call,) = run_in_bash(forms_of(plan, hidden=set(), asked=set())["curl"], "curl")
    assert data_of(call) == {"startInfo": plan.preview_info()}
    assert call[:4] == ["-sS", "-X", "POST", CLOUD.url + handoff.START_JOBS_PATH]
    assert "Authorization: Bearer $UIPATH_TOKEN" not in call  # expanded, as a shell does
    assert "X-UIPATH-OrganizationUnitId: 7" in call


def test_an_ask_value_comes_from_its_variable_and_never_appears():
    plan = plan_of(STRATEGIES["ModernJobsCount"], {"IncidentId": "INC1", "Password": SECRET})
    forms = forms_of(plan)
    assert all(SECRET not in text for text in forms.values())
    assert "STARTJOB_ARG_Password" in forms["run"]
    assert "--set" not in forms["run"].split("STARTJOB_ARG_Password")[0].split("IncidentId")[1]
    # Pasted with the variable set, the body is exactly the wizard's.
    (call,) = run_in_bash(forms["curl"], "curl", {"STARTJOB_ARG_Password": SECRET})
    assert data_of(call) == {"startInfo": plan.preview_info()}
    (uip,) = run_in_bash(forms["uip"], "uip", {"STARTJOB_ARG_Password": SECRET})
    arguments = json.loads(uip[uip.index("--input-arguments") + 1])
    assert arguments == {"IncidentId": "INC1", "Password": SECRET}


def test_an_unset_variable_stops_the_command():
    plan = plan_of(STRATEGIES["Specific"], {"Password": SECRET})
    script = "curl() { echo sent; }\n" + forms_of(plan)["curl"]
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin"})
    assert done.returncode != 0 and "sent" not in done.stdout
    assert "STARTJOB_ARG_Password" in done.stderr


def test_a_secret_looking_value_is_set_from_a_variable():
    plan = plan_of(STRATEGIES["Specific"], {"ApiKey": SECRET})
    run = forms_of(plan, hidden={"ApiKey"}, asked=set())["run"]
    assert SECRET not in run
    (call,) = run_in_bash(run, "startjob", {"STARTJOB_ARG_ApiKey": SECRET})
    assert f"ApiKey={SECRET}" in call


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_round_trip_through_the_shell(value, tmp_path):
    plan = plan_of(STRATEGIES["ModernJobsCount"], {"Note": value})
    forms = forms_of(plan, hidden=set(), asked=set())
    (run,) = run_in_bash(forms["run"], "startjob")
    assert run[run.index("--set") + 1] == f"Note={value}"
    command = forms["run"].splitlines()[-1]
    if "$'" not in command:  # shlex knows no ANSI-C quoting (bash did above)
        assert shlex.split(command)[-1] == f"Note={value}"
    (curl,) = run_in_bash(forms["curl"], "curl")
    assert data_of(curl) == {"startInfo": plan.preview_info()}
    (uip,) = run_in_bash(forms["uip"], "uip")
    assert json.loads(uip[uip.index("--input-arguments") + 1]) == {"Note": value}
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize("value", HOSTILE)
def test_every_line_is_printable(value):
    plan = plan_of(STRATEGIES["ModernJobsCount"], {"Note": value})
    for text in forms_of(plan, hidden=set(), asked=set()).values():
        assert all(line.isprintable() for line in text.split("\n")), text


def test_powershell_quotes_every_kind_of_single_quote():
    assert handoff.ps_quote("it's \u2019x\u2018") == "'it''s \u2019\u2019x\u2018\u2018'"
    assert handoff.ps_quote("a\nb") == "('a' + [char]0x000A + 'b')"
    assert handoff.ps_quote("$(x) `y`") == "'$(x) `y`'"


def test_modern_forms_name_what_the_tools_cannot_send():
    plan = plan_of(STRATEGIES["ModernJobsCount"], {"Password": SECRET, "N": 1})
    forms = forms_of(plan)
    assert "Start-OrchJob -Path 'Orch1:\\Shared\\Finance' -Name 'Support Triage'" in \
        forms["powershell"]
    assert "-RuntimeType 'Headless' -JobsCount 2" in forms["powershell"]
    assert "(ConvertTo-Json -Compress $env:STARTJOB_ARG_Password)" in forms["powershell"]
    assert "# Not offered by Start-OrchJob: SpecificPriorityValue = 70" in forms["powershell"]
    assert "# Not offered by Start-OrchJob: Reference" in forms["powershell"]
    assert f"uip or jobs start {RELEASE.key} --folder-key {FOLDER.key}" in forms["uip"]
    assert "# Not offered by uip: SpecificPriorityValue = 70" in forms["uip"]
    assert SECRET not in forms["powershell"] + forms["uip"]


@pytest.mark.parametrize("kind", ["Specific", "JobsCount"])
def test_classic_strategies_have_no_official_equivalent(kind):
    forms = forms_of(plan_of(STRATEGIES[kind], {}))
    for key in ("powershell", "uip"):
        assert f"no equivalent of the classic {kind} strategy" in forms[key]
        assert all(line.startswith("#") for line in forms[key].splitlines())


def test_the_token_line_follows_the_sign_in_mode():
    plan = plan_of(STRATEGIES["Specific"], {})

    def curl(where):
        forms = handoff.job_forms(plan, where, UNSAVED, hidden=set(), asked=set(), parsers={})
        return forms[1].text.splitlines()[0]

    assert "https://cloud.uipath.com/identity_/connect/token" in curl(CLOUD)
    assert 'client_secret="$UIPATH_CLIENT_SECRET"' in curl(CLOUD)
    onprem = curl(handoff.Where("https://orch.example", "password", tenancy_name="Def'ault"))
    assert "https://orch.example/api/Account/Authenticate" in onprem
    assert "--arg t 'Def'\"'\"'ault'" in onprem
    assert "UIPATH_ACCESS_TOKEN" in curl(handoff.Where("https://orch.example", "token"))


def test_run_form_sets_only_what_differs_from_the_template():
    plan = plan_of(STRATEGIES["Specific"], {"A": "same", "B": "new", "Count": 4})
    replay = handoff.Replay("/t/x.toml", saved=True, differing=frozenset({"B", "Gone"}))
    (run,) = run_in_bash(handoff.run_form(replay, plan.arguments, hidden=set(), asked=set(),
                                          parsers={}, demo=True).text, "startjob")
    assert run == ["run", "/t/x.toml", "--demo", "--set", "B=new", "--set", "Gone="]
    unsaved = handoff.run_form(UNSAVED, plan.arguments, hidden=set(), asked=set(), parsers={},
                               demo=False).text
    assert unsaved.startswith(handoff.SAVE_FIRST)
    (run,) = run_in_bash(unsaved, "startjob")
    assert run == ["run", UNSAVED.path, "--set", "A=same", "--set", "B=new",
                   "--set-json", "Count=4"]


def test_a_text_that_would_not_parse_back_goes_as_json():
    form = handoff.run_form(UNSAVED, {"When": "2024-01-01", "Blank": " "}, hidden=set(),
                            asked=set(), parsers={"When": lambda text: text + "T00:00:00"},
                            demo=False)
    (run,) = run_in_bash(form.text, "startjob")
    assert run[2:] == ["--set-json", 'Blank=" "', "--set-json", 'When="2024-01-01"']


# -- a queue item ---------------------------------------------------------------------------------


def test_queue_item_forms():
    queue = QueueDefinition(3, "q-key", "Invoices")
    plan = QueuePlan(queue, {"Invoice": HOSTILE[1], "Password": SECRET}, folder=FOLDER)
    forms = {form.key: form.text for form in handoff.queue_forms(
        plan, CLOUD, UNSAVED, hidden={"Password"}, asked={"Password"}, parsers={})}
    assert all(SECRET not in text for text in forms.values())
    (curl,) = run_in_bash(forms["curl"], "curl", {"STARTJOB_ARG_Password": SECRET})
    assert curl[3] == CLOUD.url + handoff.ADD_QUEUE_ITEM_PATH
    assert data_of(curl) == {"itemData": plan.item_data()}
    (run,) = run_in_bash(forms["run"], "startjob")
    assert run == ["run", UNSAVED.path, "--set", f"Invoice={HOSTILE[1]}"]
    assert "ask content field" in forms["run"]
    assert "no command to add a queue item" in forms["powershell"]
    assert "no command to add a queue item" in forms["uip"]


# -- the wizard -----------------------------------------------------------------------------------


def all_text(forms) -> str:
    return "\n".join(form.text for form in forms)


async def test_session_forms_follow_the_saved_template(make_wizard):
    from tui_app.wizard.requests import SaveTemplateRequest

    app = make_wizard()
    async with app.run_test(size=(80, 24)) as pilot:
        await tour.to_review(pilot)
        session = app.session
        forms = session.handoff_forms()
        assert "demo-secret" not in all_text(forms)
        assert forms[0].text.startswith(handoff.SAVE_FIRST)
        path = session.save_template(SaveTemplateRequest("Triage", ""))
        (run,) = run_in_bash(session.handoff_forms()[0].text, "startjob")
        assert run == ["run", str(path)]
        session.state.argument_texts["IncidentId"] = "INC0099999"
        session.state.argument_values["IncidentId"] = "INC0099999"
        (run,) = run_in_bash(session.handoff_forms()[0].text, "startjob")
        assert run == ["run", str(path), "--set", "IncidentId=INC0099999"]
        body = data_of(run_in_bash(session.handoff_forms()[1].text, "curl")[0])["startInfo"]
        review = session.current_plan().preview_info()
        assert {**body, "Reference": None} == {**review, "Reference": None}


async def test_copy_as_on_review(make_wizard, monkeypatch):
    app = make_wizard()
    copied = []
    monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
    async with app.run_test(size=(80, 24)) as pilot:
        await tour.to_review(pilot)
        await pilot.press("f7")
        await tour.settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, HandoffDialog)
        assert "startjob run" in str(dialog.query_one("#text").render())
        await pilot.press("right")
        assert dialog.form.key == "curl"
        assert "curl -sS -X POST" in str(dialog.query_one("#text").render())
        await pilot.press("c")
        await pilot.pause()
        assert copied == [dialog.form.text]
        assert "Copied curl" in str(dialog.query_one("#copied").render())
        assert app.session.handoff_on_exit == dialog.form.text
        await pilot.press("right", "p")
        assert app.session.handoff_on_exit == dialog.forms[2].text
        assert "printed when you quit" in str(dialog.query_one("#copied").render())
        await pilot.press("escape")
        assert app.screen.STEP == "Review"


async def test_copy_as_on_queue_review(make_wizard, monkeypatch):
    app = make_wizard()
    copied = []
    monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
    async with app.run_test(size=(80, 24)) as pilot:
        await tour.to_queue_review(pilot)
        await pilot.click("#handoff")
        await tour.settle(pilot)
        assert isinstance(app.screen, HandoffDialog)
        await pilot.press("right", "c")
        await pilot.pause()
        assert handoff.ADD_QUEUE_ITEM_PATH in copied[0]
        assert "INV-20417" in copied[0]


def test_the_cli_prints_the_form_after_the_wizard(monkeypatch, capsys):
    import argparse

    from tui_app import cli
    from tui_app.ui import app as app_module

    class Ran:
        return_code = 0

        def __init__(self):
            from types import SimpleNamespace

            self.session = SimpleNamespace(handoff_on_exit="curl -X POST 'x'")

        def run(self, mouse):
            pass

    monkeypatch.setattr(app_module, "make_app", lambda *a, **k: Ran())
    launch = argparse.Namespace(demo=False, client_options={})
    assert cli._wizard(argparse.Namespace(no_mouse=True), launch, None) == 0
    assert capsys.readouterr().out == "curl -X POST 'x'\n"
