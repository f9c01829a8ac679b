"""The wizard's defect fixes: template identity, ask values, Review, dialogs, resume, open,
and unexpected errors (a message and a draft, never a traceback or a secret)."""

from __future__ import annotations

import json

import pytest
import tour
from support import TRIAGE_TEMPLATE
from textual.widgets import Button, Input

from tui_app.drafts import Draft, draft_path, load_draft, save_draft
from tui_app.history import read_entries
from tui_app.locations import templates_dir
from tui_app.ui.dialogs import ConfirmDialog, HelpDialog
from tui_app.ui.save_profile import SaveProfileDialog
from tui_app.ui.save_template import SaveTemplateDialog
from tui_app.ui.screens import ReviewScreen

SIZE = (80, 24)
SECRET = "Sup3r-Secret-Val"

TRIAGE = TRIAGE_TEMPLATE
ASKING = TRIAGE.replace('IncidentId = "INC0010234"\n', "").replace(
    "version = 1\n", 'version = 1\nask = ["IncidentId"]\n'
)


def _template(text: str):
    from tui_app.templates import parse_template

    return parse_template(text, "triage.toml")


def _shown(app, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


async def _save_as(pilot, name: str) -> None:
    await pilot.press("ctrl+s")
    await pilot.pause()
    await tour.fill(pilot, name)
    await pilot.press("ctrl+s")
    await tour.settle(pilot)


# -- 1: the template identity belongs to the choice ------------------------------------------


async def test_a_saved_template_is_forgotten_once_the_choice_changes(make_wizard):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_review(pilot)
        await _save_as(pilot, "First")
        first = templates_dir() / "first.toml"
        assert app.session.template_identity().path == first
        assert "first.toml" in _shown(app, "#headless")

        await pilot.press("escape")  # back to Arguments: another incident
        await pilot.pause()
        await tour.fill(pilot, "INC0099999")
        await pilot.press("ctrl+n")
        await tour.settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        assert app.session.template_identity() is None
        assert "first.toml" not in _shown(app, "#headless")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, SaveTemplateDialog)
        assert app.screen.query_one("#name", Input).value != "First"  # no overwrite by `y`
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("ctrl+r")
        await tour.settle(pilot)
        app.session.record_final_states = lambda: None
    [entry] = read_entries()
    assert entry.template_name is None and entry.template_path is None


async def test_an_opened_template_is_forgotten_when_another_robot_is_chosen(make_wizard, tmp_path):
    path = tmp_path / "triage.toml"
    app = make_wizard(template=_template(TRIAGE), template_path=path)
    async with app.run_test(size=SIZE) as pilot:
        await tour.settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        assert str(path) in _shown(app, "#headless").replace("\n", "")
        key = app.state.robots_key()
        app.state.selected_robots[key] = {102}  # what the Strategy step records
        assert app.session.template_identity() is None
        app.state.selected_robots[key] = {101}  # the template's robot again
        assert app.session.template_identity().path == path


# -- 3: ask values are masked and never kept ----------------------------------------------


async def test_ask_values_are_masked_on_review_and_never_in_a_draft(make_wizard, monkeypatch):
    app = make_wizard(template=_template(ASKING))
    async with app.run_test(size=SIZE) as pilot:
        await tour.settle(pilot)
        assert app.screen.STEP == "Arguments"
        assert app.state.ask_names == {"IncidentId"}
        await tour.fill(pilot, SECRET)
        await pilot.press("ctrl+n")
        await tour.settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        assert "IncidentId = •••" in _shown(app, "#summary")
        assert SECRET not in _shown(app, "#summary") + _shown(app, "#body")
        assert app.session.current_plan().arguments == {"IncidentId": SECRET}  # sent as typed
        monkeypatch.setattr("tui_app.hangup.arm_exit_watchdog", lambda *a, **k: None)
        app.leave_with_draft()
        await pilot.pause()
    assert SECRET not in draft_path().read_text()
    assert load_draft().draft.ask_names == ["IncidentId"]


async def test_ask_choices_of_a_save_are_masked_from_then_on(make_wizard):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_review(pilot, incident=SECRET)
        assert SECRET in _shown(app, "#summary")
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("tab", "tab", "space")  # name -> description -> ask list: tick
        await pilot.press("ctrl+s")
        await tour.settle(pilot)
        assert app.state.ask_names == {"IncidentId"}
        assert SECRET not in _shown(app, "#summary") + _shown(app, "#body")
        assert app.session.template_identity() is not None  # an ask value is typed at every start


def test_a_draft_never_keeps_ask_values():
    draft = Draft(argument_texts={"IncidentId": SECRET, "Other": "x"}, ask_names=["IncidentId"])
    save_draft(draft)
    assert SECRET not in draft_path().read_text()
    assert load_draft().draft.argument_texts == {"Other": "x"}


# -- 7: Review scrolls from its buttons and shows the headless command before a save --------


async def test_review_scrolls_from_the_start_button_and_shows_focus(make_wizard):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_review(pilot)
        review = app.screen.query_one("#review")
        assert app.focused.id == "start"
        await pilot.press("pagedown")
        await pilot.pause()
        assert review.scroll_y > 0 and app.focused.id == "start"
        await pilot.press("pageup")
        await pilot.pause()
        assert review.scroll_y == 0
        assert review.styles.border_left[0] == "blank"
        review.focus()
        await pilot.pause()
        assert review.styles.border_left[0] == "thick"
        headless = _shown(app, "#headless").replace("\n", "")
        assert "startjob run" in headless and "supporttriage-on-quickstartdemo.toml" in headless


# -- 8: dialogs fit the screen, paths break at separators -------------------------------------


async def test_save_dialog_buttons_stay_on_screen_with_many_arguments(make_wizard, monkeypatch):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_review(pilot)
        names = [f"Argument{number}" for number in range(40)]
        app.push_screen(SaveTemplateDialog("x" * 40, names, app.session.save_template))
        await tour.settle(pilot)
        for button in app.screen.query(Button):
            x, y = button.region.x, button.region.y
            assert 0 <= y < SIZE[1] and button.region.height
            assert app.screen.get_widget_at(x, y)[0] is button
        path = app.screen.query_one("#path")
        lines = str(path.render()).splitlines()
        assert len(lines) > 1 and all(line.endswith("/") for line in lines[:-1])
        assert lines[-1].endswith(".toml")


async def test_save_profile_dialog_is_centred(make_wizard):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.settle(pilot)
        await pilot.press("f3")
        await pilot.pause()
        assert isinstance(app.screen, SaveProfileDialog)
        box = app.screen.query_one(".dialog").region
        assert box.y > 1 and box.x > 0 and box.bottom < SIZE[1]


# -- 9, 12: the Review summary -----------------------------------------------------------------


def test_summary_shows_lists_and_objects_as_compact_json():
    from tui_app.connection import ConnectionSettings
    from tui_app.orchestrator.models import Release
    from tui_app.plan import StartPlan, StrategyChoice
    from tui_app.ui.app import make_app
    from tui_app.ui.screens.review import summary_text

    arguments = json.dumps([
        {"name": "Tags", "type": "System.String[]", "required": False},
        {"name": "Settings", "type": "System.Collections.Generic.Dictionary`2"
         "[[System.String],[System.Object]]", "required": False},
    ])
    release = Release(1, "key", "Tagger", "Tagger", "1.0", arguments_input=arguments)
    plan = StartPlan(
        release=release,
        strategy=StrategyChoice(kind="JobsCount", jobs_count=1),
        arguments={"Tags": ["alpha", "beta"], "Settings": {"a": 1}},
    )
    app = make_app(ConnectionSettings(url="https://x.test/orchestrator_"))
    text = summary_text(app.session.summary_rows(plan), 62).plain
    assert 'Tags = ["alpha","beta"]' in text
    assert 'Settings = {"a":1}' in text


async def test_review_warns_about_a_robot_that_is_not_available(make_wizard, sandbox):
    sandbox.tenant.set_robot_state(101, "Busy")
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_review(pilot)
        summary = _shown(app, "#summary").replace("\n", " ")
        assert "SUPPORT-BOT-01 is Busy" in summary and "Pending" in summary


# -- 13: resuming a dropped session -------------------------------------------------------------


async def test_resume_names_the_step_and_focuses_the_missing_secret(make_wizard, monkeypatch):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_review(pilot)
        await pilot.press("f1")  # a dialog is open when the terminal goes
        await pilot.pause()
        assert isinstance(app.screen, HelpDialog)
        monkeypatch.setattr("tui_app.hangup.arm_exit_watchdog", lambda *a, **k: None)
        app.leave_with_draft()
        await pilot.pause()
    assert load_draft().draft.step == "Review"

    resumed = make_wizard(url="", client_id="", client_secret="")
    async with resumed.run_test(size=SIZE) as pilot:
        await tour.settle(pilot)
        assert isinstance(resumed.screen, ConfirmDialog)
        assert "at the Review step" in _shown(resumed, ".dialog-text")
        await pilot.press("y")
        await tour.settle(pilot)
        assert resumed.focused.id == "client_secret"
        assert "Client secret" in str(resumed.screen.message.render())
        await pilot.press(*"demo-secret", "enter")
        await tour.settle(pilot)
        assert isinstance(resumed.screen, ReviewScreen)


# -- 14: startjob open signs in at once and says why it stops ------------------------------------


async def test_open_signs_in_at_once_and_explains_an_ask_stop(make_wizard):
    app = make_wizard(template=_template(ASKING))
    async with app.run_test(size=SIZE) as pilot:
        await tour.settle(pilot)  # no key pressed
        assert app.screen.STEP == "Arguments"
        message = str(app.screen.message.render())
        assert "IncidentId" in message and "never" in message


async def test_open_without_the_secret_says_what_is_missing(make_wizard):
    app = make_wizard(template=_template(TRIAGE), client_secret="")
    async with app.run_test(size=SIZE) as pilot:
        await tour.settle(pilot)
        assert app.screen.STEP == "Connect"
        assert app.focused.id == "client_secret"
        assert "Client secret" in str(app.screen.message.render())
        await pilot.press(*"demo-secret", "enter")
        await tour.settle(pilot)
        assert isinstance(app.screen, ReviewScreen)


# -- 11.1, 22: unexpected errors end with a message and a draft, never a secret ----------------


def _nowhere(secret: str, captured, home) -> None:
    assert secret not in captured.out and secret not in captured.err
    for path in home.rglob("*"):
        if path.is_file():
            assert secret not in path.read_text(errors="replace"), path


async def test_an_error_in_a_worker_keeps_a_draft_and_no_secret(
    make_wizard, monkeypatch, capfd, isolated_home
):
    async def broken(self, settings):
        raise RuntimeError(f"boom {settings.client_secret} {settings.__dict__}")

    monkeypatch.setattr("tui_app.wizard.session.WizardSession.connect", broken)
    app = make_wizard(client_secret=SECRET)
    async with app.run_test(size=SIZE) as pilot:
        await tour.settle(pilot)
        await pilot.press("enter")
        await tour.settle(pilot)
    assert app.return_code == 70
    captured = capfd.readouterr()
    assert "unexpected error (RuntimeError: boom •••" in captured.err
    assert "Traceback" not in captured.err and "locals" not in captured.err
    assert "kept as a draft" in captured.err
    assert load_draft().draft.client_id == "demo-client"
    _nowhere(SECRET, captured, isolated_home)


@pytest.mark.parametrize("case", ["port", "ca-file"])
async def test_a_connect_that_crashes_keeps_no_secret(
    make_wizard, monkeypatch, capfd, isolated_home, tmp_path, case
):
    from tui_app.connection import ConnectionSettings
    from tui_app.ui.app import make_app

    if case == "port":
        url = "http://127.0.0.1:84430/demo/DefaultTenant/orchestrator_"
    else:
        url = "https://127.0.0.1:9/demo/DefaultTenant/orchestrator_"
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "missing.pem"))
    app = make_app(ConnectionSettings(url=url, client_id="c", client_secret=SECRET))
    async with app.run_test(size=SIZE) as pilot:
        await tour.settle(pilot)
        await pilot.press("enter")
        await tour.settle(pilot, 0.5)
    captured = capfd.readouterr()
    assert "Traceback" not in captured.err
    _nowhere(SECRET, captured, isolated_home)


async def test_an_upgrade_under_a_running_wizard_is_explained(make_wizard, monkeypatch, capfd):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.settle(pilot)
        # What a new version on disk looks like to a lazy import: the module is gone.
        monkeypatch.setitem(
            __import__("tui_app.ui.screens", fromlist=["_WHERE"])._WHERE,
            ("start_job", "Folder"),
            ("no_such_module_any_more", "FolderScreen"),
        )
        await pilot.press("enter")
        await tour.settle(pilot)
    assert app.return_code == 70
    err = capfd.readouterr().err
    assert "upgraded" in err and "Traceback" not in err
    assert load_draft().draft.url


# -- 11.9: a save that cannot be written keeps the dialog open ----------------------------------


async def test_a_template_save_that_fails_keeps_the_dialog(make_wizard, monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_review(pilot)
        monkeypatch.setenv("STARTJOB_DATA_DIR", str(blocker / "data"))
        await _save_as(pilot, "Nowhere")
        assert isinstance(app.screen, SaveTemplateDialog)
        assert "not saved" in _shown(app, "#path")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)


async def test_a_profile_save_that_fails_keeps_the_dialog(make_wizard, monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("STARTJOB_CONFIG_DIR", str(blocker / "config"))
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.settle(pilot)
        await pilot.press("f3")
        await pilot.pause()
        await tour.fill(pilot, "prod")
        await pilot.press("ctrl+s")
        await tour.settle(pilot)
        assert isinstance(app.screen, SaveProfileDialog)
        assert "not saved" in _shown(app, "#profile-error")


SHOWCASE = """
version = 1
name = "Showcase"

[connection]
folder = "Finance"

[process]
key = "ArgumentShowcase"

[strategy]
kind = "ModernJobsCount"
jobs_count = 1

[arguments]
Text = "hello"
Count = 3
"""


async def test_an_opened_template_survives_the_form_showing_process_defaults(
    make_wizard, sandbox, tmp_path
):
    sandbox.tenant.update_release(8, input_arguments='{"Tags":["a","b"],"Ratio":0.5}')
    path = tmp_path / "showcase.toml"
    app = make_wizard(template=_template(SHOWCASE), template_path=path)
    async with app.run_test(size=SIZE) as pilot:
        await tour.settle(pilot)
        assert isinstance(app.screen, ReviewScreen), str(app.screen.message.render())
        assert app.session.template_identity() is not None
        await pilot.press("escape")  # the form, defaults shown in it, and on again
        await tour.settle(pilot)
        await pilot.press("ctrl+n")
        await tour.settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        assert app.session.template_identity().path == path
