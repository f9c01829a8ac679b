"""Pilot tests at 80x24: the production guard in the wizard (the PROTECTED line on every step,
the typed confirmation on Review, the jobs cap, queue items, saved templates)."""

from __future__ import annotations

import tour
from support import PROD_SECRET_ENV, TRIAGE_TEMPLATE, write_prod_profile
from textual.widgets import Button, Input, Static

from tui_app.templates import load_template, parse_template
from tui_app.ui.dialogs import ConfirmDialog, TypedConfirmDialog
from tui_app.ui.screens import ReviewScreen, RunScreen
from tui_app.ui.screens.base import StepScreen

SIZE = (80, 24)
START_JOBS = "POST /odata/Jobs/UiPath.Server.Configuration.OData.StartJobs"
ADD_ITEM = "POST /odata/Queues/UiPathODataSvc.AddQueueItem"
BANNER = "PROTECTED: profile prod — every start needs a typed confirmation"


def write_profile(monkeypatch, **keys: str) -> None:
    monkeypatch.setenv(PROD_SECRET_ENV, "demo-secret")
    write_prod_profile(**keys)


def banner(app) -> str:
    """The PROTECTED line of the current step ("" when it is hidden)."""
    screen = app.screen
    assert isinstance(screen, StepScreen), screen
    line = screen.query_one("#guard", Static)
    return str(line.render()) if line.display else ""


def starts(sandbox) -> int:
    return sum(1 for r in sandbox.request_log if r.route == START_JOBS)


async def test_a_protected_profile_shows_the_line_on_every_step(make_wizard, monkeypatch):
    write_profile(monkeypatch, protected="true")
    app = make_wizard(url="", client_id="", client_secret="", profile="prod")
    seen = {}
    async with app.run_test(size=SIZE) as pilot:
        await tour.settle(pilot)
        seen[app.screen.STEP] = banner(app)
        await pilot.press("enter")  # sign in
        await tour.settle(pilot)
        assert app.state.settings.profile == "prod"
        seen[app.screen.STEP] = banner(app)
        await tour.fill(pilot, "Default")
        await pilot.press("enter")
        await tour.settle(pilot)
        seen[app.screen.STEP] = banner(app)  # Action
        await pilot.press("enter")
        await tour.settle(pilot)
        seen[app.screen.STEP] = banner(app)  # Process
        await tour.search(pilot, "triage")
        await pilot.press("enter")
        await tour.settle(pilot)
        seen[app.screen.STEP] = banner(app)  # Release
        await pilot.press("enter")
        await tour.settle(pilot)
        seen[app.screen.STEP] = banner(app)  # Strategy
        await tour.tick_first_robot(pilot)
        await pilot.press("ctrl+n")
        await tour.settle(pilot)
        seen[app.screen.STEP] = banner(app)  # Options
        await tour.past_options(pilot)
        seen[app.screen.STEP] = banner(app)  # Arguments
        await tour.fill(pilot, "INC0010234")
        await pilot.press("ctrl+n")
        await tour.settle(pilot)
        seen[app.screen.STEP] = banner(app)  # Review
        assert isinstance(app.screen, ReviewScreen)
        summary = str(app.screen.query_one("#summary", Static).render())
        assert "Protected    profile prod: type 'Default' to start" in summary
        await pilot.press("escape")  # back: the line is still there
        await tour.settle(pilot)
        assert banner(app) == BANNER
    assert list(seen) == ["Connect", "Folder", "Action", "Process", "Release", "Strategy",
                          "Options", "Arguments", "Review"]
    assert set(seen.values()) == {BANNER}, seen


async def test_an_unprotected_target_shows_no_line(make_wizard):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_review(pilot)
        assert banner(app) == ""
        assert "Protected" not in str(app.screen.query_one("#summary", Static).render())


async def test_a_protected_folder_shows_the_line_once_chosen(make_wizard, monkeypatch):
    write_profile(monkeypatch, protected_folders='["Default"]')
    app = make_wizard(url="", client_id="", client_secret="", profile="prod")
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_folder(pilot)
        assert banner(app) == ""  # no folder chosen yet
        await tour.fill(pilot, "Default")
        await pilot.press("enter")
        await tour.settle(pilot)
        assert banner(app) == ("PROTECTED: folder Default in profile prod — every start "
                               "needs a typed confirmation")


async def test_start_needs_the_exact_word_and_esc_keeps_every_choice(make_wizard, sandbox,
                                                                      monkeypatch):
    write_profile(monkeypatch, protected="true")
    app = make_wizard(url="", client_id="", client_secret="", profile="prod")
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_review(pilot)
        before = (app.state.folder, app.state.release, dict(app.state.argument_values),
                  app.state.strategy_kind)
        await pilot.press("ctrl+r")
        await tour.settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, TypedConfirmDialog)
        assert "type the folder name 'Default'" in str(dialog.query_one(".dialog-text",
                                                                         Static).render())
        yes = dialog.query_one("#yes", Button)
        assert yes.disabled
        for typed, enabled in (("default", False), ("Defaul", False), ("Default", True),
                               ("DEFAULT", False)):
            dialog.query_one("#typed", Input).value = typed
            await pilot.pause()
            assert yes.disabled is not enabled, typed
        await pilot.press("enter")  # "DEFAULT": Enter does not start
        await pilot.pause()
        assert app.screen is dialog
        await pilot.press("escape")
        await tour.settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        assert starts(sandbox) == 0
        assert (app.state.folder, app.state.release, dict(app.state.argument_values),
                app.state.strategy_kind) == before
        await pilot.press("ctrl+r")
        await tour.settle(pilot)
        assert app.screen.query_one("#typed", Input).value == ""  # nothing typed is kept
        await tour.fill(pilot, "Default")
        await pilot.press("enter")
        await tour.settle(pilot)
        assert isinstance(app.screen, RunScreen)
        assert starts(sandbox) == 1


async def test_over_the_cap_asks_naming_the_count_and_the_cap(make_wizard, sandbox,
                                                              monkeypatch):
    write_profile(monkeypatch, max_jobs="1")
    app = make_wizard(url="", client_id="", client_secret="", profile="prod")
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_strategy(pilot)
        await tour.tick_first_robot(pilot)
        await pilot.press("down", "space")  # a second robot: two jobs
        await pilot.press("ctrl+n")
        await tour.settle(pilot)
        await tour.past_options(pilot)
        await tour.fill(pilot, "INC0010234")
        await pilot.press("ctrl+n")
        await tour.settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        assert banner(app) == ""  # a cap alone is not a protected target
        await pilot.press("ctrl+r")
        await tour.settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog)
        assert ("2 jobs, more than the cap of 1 jobs per start (profile prod)"
                in dialog.question)
        await pilot.press("n")
        await tour.settle(pilot)
        assert isinstance(app.screen, ReviewScreen) and starts(sandbox) == 0
        await pilot.press("ctrl+r")
        await tour.settle(pilot)
        await pilot.press("y")
        await tour.settle(pilot)
        assert isinstance(app.screen, RunScreen) and starts(sandbox) == 1


async def test_a_protected_queue_item_needs_the_word(make_wizard, sandbox, monkeypatch):
    from tui_app.ui.screens.queue_review import QueueReviewScreen

    write_profile(monkeypatch, protected_folders='["Finance"]')
    app = make_wizard(url="", client_id="", client_secret="", profile="prod")
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_queue_review(pilot)
        assert isinstance(app.screen, QueueReviewScreen)
        assert banner(app).startswith("PROTECTED: folder Finance in profile prod")
        await pilot.press("ctrl+r")
        await tour.settle(pilot)
        assert isinstance(app.screen, TypedConfirmDialog)
        await pilot.press("escape")
        await tour.settle(pilot)
        assert sum(1 for r in sandbox.request_log if r.route == ADD_ITEM) == 0
        await pilot.press("ctrl+r")
        await tour.settle(pilot)
        await tour.fill(pilot, "Finance")
        await pilot.press("enter")
        await tour.settle(pilot)
        assert sum(1 for r in sandbox.request_log if r.route == ADD_ITEM) == 1


async def test_an_opened_protected_template_protects_and_a_saved_copy_keeps_it(
        make_wizard, tmp_path):
    from tui_app.ui.save_template import SaveTemplateDialog

    path = tmp_path / "triage.toml"
    path.write_text("protected = true\nmax_jobs = 4\n" + TRIAGE_TEMPLATE, encoding="utf-8")
    app = make_wizard(template=parse_template(path.read_text()), template_path=path)
    async with app.run_test(size=SIZE) as pilot:
        await tour.settle(pilot, 0.3)
        assert banner(app) == ("PROTECTED: template Triage incident — every start needs a "
                               "typed confirmation")
        await pilot.press("ctrl+s")
        await tour.settle(pilot)
        assert isinstance(app.screen, SaveTemplateDialog)
        await tour.fill(pilot, "Triage copy")
        await pilot.press("ctrl+s")
        await tour.settle(pilot)
    saved = [p for p in (tmp_path / "startjob-home").rglob("*.toml") if "copy" in p.name]
    assert saved, list((tmp_path / "startjob-home").rglob("*"))
    copy = load_template(saved[0])
    assert copy.protected and copy.max_jobs == 4
