"""Pilot tests: saving the Review step's choices as a template, and the history file."""

from __future__ import annotations

import json

import tour
from support import TRIAGE_TEMPLATE
from textual.widgets import Input

from tui_app.history import read_entries
from tui_app.locations import templates_dir
from tui_app.templates import load_template
from tui_app.ui.save_template import SaveTemplateDialog
from tui_app.ui.screens import ReviewScreen

SIZE = (80, 24)


async def test_save_template_from_review(make_wizard):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_review(pilot, incident="INC0010234")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, SaveTemplateDialog)
        await tour.fill(pilot, "Triage incident")
        await pilot.press("ctrl+s")
        await tour.settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        path = templates_dir() / "triage-incident.toml"
        assert "Saved" in str(app.screen.message.render())
    template = load_template(path)
    assert template.name == "Triage incident"
    assert template.process.key == "SupportTriage"
    assert template.process.environment == "QuickstartDemo"
    assert template.strategy.kind == "Specific"
    assert list(template.strategy.robots) == ["SUPPORT-BOT-01"]
    assert template.arguments == {"IncidentId": "INC0010234"}
    text = path.read_text()
    assert "demo-secret" not in text and "client_secret" not in text


async def test_saving_twice_asks_before_replacing(make_wizard):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_review(pilot)
        for _ in range(2):
            await pilot.press("ctrl+s")
            await pilot.pause()
            await tour.fill(pilot, "Same name")
            await pilot.press("ctrl+s")
            await tour.settle(pilot)
        # The second save found the file: a question, answered "keep".
        assert "exists" in str(app.screen.query_one(".dialog-text").render())
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)


async def test_replacing_an_existing_template_saves_and_closes_both_dialogs(make_wizard):
    """Answering the "exists" question acts once it has closed (dismissing the save dialog
    from the question's own callback froze the app's message queue)."""
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_review(pilot)
        for answer in ("n", "y"):
            await pilot.press("ctrl+s")
            await pilot.pause()
            await tour.fill(pilot, "Same name")
            await pilot.press("ctrl+s")
            await tour.settle(pilot)
            if answer == "y":
                assert "exists" in str(app.screen.query_one(".dialog-text").render())
                await pilot.press("y")
                await tour.settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        await pilot.press("ctrl+s")  # the app still takes keys
        await pilot.pause()
        assert isinstance(app.screen, SaveTemplateDialog)
    assert len(list(templates_dir().glob("*.toml"))) == 1


async def test_ask_arguments_are_never_written(make_wizard):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_review(pilot, incident="SECRET-VALUE-42")
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("tab", "tab", "space")  # name -> description -> ask list: tick
        await pilot.press("ctrl+s")
        await tour.settle(pilot)
    [path] = list(templates_dir().glob("*.toml"))
    assert "SECRET-VALUE-42" not in path.read_text()
    assert list(load_template(path).ask) == ["IncidentId"]


async def test_a_start_is_written_to_history_with_final_states(make_wizard):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_run(pilot)
        while app.state.unfinished_jobs():
            await pilot.pause(0.1)
        await tour.settle(pilot)
    [entry] = read_entries()
    assert entry.source == "wizard"
    assert entry.process_key == "SupportTriage"
    assert entry.strategy == "Specific"
    assert [job.state for job in entry.jobs] == ["Successful"]
    assert json.dumps([job.key for job in entry.jobs]) == json.dumps(
        [job.key for job in app.state.jobs]
    )


async def test_template_name_input_keeps_hostile_text_literal(make_wizard):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_review(pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()
        await tour.fill(pilot, "[bold]x[/] ../../etc")
        assert app.screen.query_one("#name", Input).value == "[bold]x[/] ../../etc"
        assert "bold-x-etc" in str(app.screen.query_one("#path").render())


TRIAGE = TRIAGE_TEMPLATE


def _template(text: str):
    from tui_app.templates import parse_template

    return parse_template(text, "triage.toml")


async def test_open_lands_on_review_when_everything_resolves(make_wizard, sandbox):
    from tui_app.ui.screens import ReviewScreen

    app = make_wizard(template=_template(TRIAGE))
    async with app.run_test(size=SIZE) as pilot:
        await tour.settle(pilot)  # signs in at once: the credentials are complete
        assert isinstance(app.screen, ReviewScreen)
        assert app.session.current_plan().start_info()["RobotIds"] == [101]
        await pilot.press("escape")  # everything before Review was opened too
        await pilot.pause()
        assert app.screen.STEP == "Arguments"
        assert app.screen.query_one("#arg-0", Input).value == "INC0010234"


async def test_open_lands_on_arguments_for_an_ask_argument(make_wizard):
    text = TRIAGE.replace('IncidentId = "INC0010234"\n', "").replace(
        'version = 1\n', 'version = 1\nask = ["IncidentId"]\n'
    )
    app = make_wizard(template=_template(text))
    async with app.run_test(size=SIZE) as pilot:
        await tour.settle(pilot)  # signs in at once: the credentials are complete
        assert app.screen.STEP == "Arguments"


async def test_open_shows_drift_and_lands_on_strategy_when_a_robot_is_gone(make_wizard, sandbox):
    sandbox.tenant.rename_robot(101, "SUPPORT-BOT-01-NEW")
    app = make_wizard(template=_template(TRIAGE))
    async with app.run_test(size=SIZE) as pilot:
        await tour.settle(pilot)  # signs in at once: the credentials are complete
        assert app.screen.STEP == "Strategy"
        assert "SUPPORT-BOT-01" in str(app.screen.message.render())


def test_open_names_a_missing_template_clearly(capsys):
    from tui_app.cli import main

    assert main(["open", "no-such-template"]) == 2
    assert "No template named" in capsys.readouterr().err
