"""The wizard steps' defects from the defect issue, each pinned by a test (Pilot at 80x24)."""

from __future__ import annotations

import pytest
import tour
from support import UI_URL
from textual.widgets import Input, RadioSet, Select, SelectionList
from textual.widgets._select import SelectOverlay
from tour import fill, past_options, search, settle, wait_until

from tui_app.connection import ConnectionSettings
from tui_app.plan import RUNTIME_TYPES
from tui_app.profiles import profile_from_settings, save_profile
from tui_app.sandbox import FaultConfig, SandboxConfig
from tui_app.text import visible
from tui_app.ui.screens import (
    ArgumentsScreen,
    ConnectScreen,
    FolderScreen,
    ProcessScreen,
    ReviewScreen,
    RunScreen,
    StrategyScreen,
)
from tui_app.ui.screens.base import key_name

SIZE = (80, 24)


def screen_text(app, widget=None) -> str:
    """What the terminal shows, for the whole screen or one widget."""
    strips = app.screen._compositor.render_strips()
    if widget is not None:
        region = widget.region.intersection(app.screen.region)
        strips = [strips[y].crop(region.x, region.right) for y in range(region.y, region.bottom)]
    return "\n".join("".join(s.text for s in strip if not s.control) for strip in strips)


def message(app) -> str:
    return str(app.screen.message.render())


async def open_process(pilot, folder: str, text: str) -> None:
    """Sign in, choose ``folder``, find ``text`` and choose the first process."""
    await tour.to_process(pilot, folder)
    await search(pilot, text)
    await pilot.press("enter")
    await settle(pilot)


async def test_enter_typed_with_the_search_chooses_from_its_answer(make_wizard):
    """A burst of keys (a slow SSH link): the name and Enter arrive before the search
    answer. Enter waits for it instead of choosing the highlighted row of the old list
    (CleanupTempFiles, one release: straight on to Strategy)."""
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_process(pilot)
        assert isinstance(app.screen, ProcessScreen)
        await pilot.press(*list("SupportTriage"), "enter")
        await settle(pilot, 0.45)
        assert type(app.screen).__name__ == "ReleaseScreen"
        assert app.state.releases and {r.process_key for r in app.state.releases} == {
            "SupportTriage"}


# -- 3: a template's ask arguments are masked in the form ------------------------------------


async def test_ask_argument_is_a_masked_field(make_wizard):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_strategy(pilot)
        app.state.ask_names = frozenset({"IncidentId"})
        await tour.tick_first_robot(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        await past_options(pilot)
        field = app.screen.query_one("#arg-0", Input)
        assert field.password
        await pilot.press(*"TOPSECRET")
        await settle(pilot)
        assert app.state.argument_texts["IncidentId"] == "TOPSECRET"
        assert "TOPSECRET" not in screen_text(app)
        assert "masked" in screen_text(app, app.screen.query_one(".arg-title"))


# -- 4: drop-downs show every choice -----------------------------------------------------------


async def test_runtime_type_drop_down_shows_every_choice(make_wizard):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await open_process(pilot, "Support", "password")
        assert isinstance(app.screen, StrategyScreen)
        app.screen.query_one("#runtime", Select).focus()
        await pilot.press("enter")
        await settle(pilot)
        overlay = app.screen.query_one(SelectOverlay)
        # Every runtime type the folder has and the release can use (not all RUNTIME_TYPES).
        offered = app.session.runtime_types()
        assert set(offered) < set(RUNTIME_TYPES)
        assert overlay.display and overlay.option_count == len(offered)
        assert overlay.size.height >= len(offered)


async def test_profile_drop_down_shows_every_choice(make_wizard):
    for name in ("alpha", "beta"):
        settings = ConnectionSettings(url=UI_URL, client_id="demo-client")
        save_profile(profile_from_settings(name, settings, secret_env="DEMO_SECRET"))
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.query_one("#profile", Select).focus()
        await pilot.press("enter")
        await settle(pilot)
        overlay = app.screen.query_one(SelectOverlay)
        assert overlay.option_count == 3  # two profiles and "New connection"
        assert overlay.size.height >= 3


# -- 6: meaning never in colour only --------------------------------------------------------


async def test_highlighted_folder_and_process_are_marked_with_a_glyph(make_wizard):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_folder(pilot)
        folders = app.screen.query_one("#folders")
        assert screen_text(app, folders).splitlines()[0].startswith("▸ Default")
        await pilot.press("down")
        await settle(pilot)
        shown = screen_text(app, folders).splitlines()
        assert shown[1].startswith("▸ Finance") and not shown[0].startswith("▸")
        await pilot.press("up", "enter")
        await settle(pilot)
        await pilot.press("enter")  # Action: Start a job
        await settle(pilot)
        await search(pilot, "triage")
        processes = app.screen.query_one("#processes")
        first, second = screen_text(app, processes).splitlines()[:2]
        assert first.startswith("▸ SupportTriage") and not second.lstrip().startswith("▸")


async def test_disconnected_is_plain_text_without_colour(make_wizard, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_strategy(pilot)
        await pilot.press("tab")
        await settle(pilot)
        labels = [label for _, label, _ in app.screen._rows()]
        assert "Disconnected" in labels[2].plain
        assert all(span.style in ("", "dim") for label in labels for span in label.spans)


async def test_the_robot_row_space_ticks_is_marked_by_a_glyph(make_wizard, monkeypatch):
    """Under NO_COLOR the highlighted checklist row is marked ▸ while the list has focus."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_strategy(pilot)
        await pilot.press("tab")
        await settle(pilot)
        await pilot.press("down", "down")  # filter -> list -> second robot
        await settle(pilot)
        robots = app.screen.query_one("#robots", SelectionList)
        assert robots.has_focus and robots.highlighted == 1
        rows = [line for line in screen_text(app, robots).splitlines() if line.strip()]
        assert "▸" in rows[1] and not any("▸" in row for i, row in enumerate(rows) if i != 1)
        await pilot.press("tab")  # away from the list: no marker
        await settle(pilot)
        assert "▸" not in screen_text(app, robots)


async def test_boolean_has_three_visible_states_and_a_way_back_to_not_set(make_wizard):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await open_process(pilot, "Default", "report")
        await pilot.press("ctrl+t", "ctrl+n")
        await settle(pilot)
        await past_options(pilot)
        assert isinstance(app.screen, ArgumentsScreen)
        choices = app.screen.query_one("#arg-1", RadioSet)
        shown = screen_text(app, choices)
        assert "true" in shown and "false" in shown
        assert "not set (process default: false)" in shown
        assert choices.pressed_button.name == "unset"  # untouched: not sent
        choices.focus()
        await pilot.press("home", "enter")  # the first choice: true
        await settle(pilot)
        assert app.state.argument_texts["IncludeArchived"] == "true"
        assert "▐●▌ true" in screen_text(app, choices)
        await pilot.press("right", "right", "enter")  # back to not set
        await settle(pilot)
        assert "IncludeArchived" not in app.state.argument_texts
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        assert "IncludeArchived" not in app.state.argument_values


# -- 8: layout ----------------------------------------------------------------------------------


async def test_long_argument_hints_are_shown_in_full(make_wizard):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await open_process(pilot, "Default", "report")
        await pilot.press("ctrl+t", "ctrl+n")
        await settle(pilot)
        await past_options(pilot)
        assert isinstance(app.screen, ArgumentsScreen)
        shown = "".join(screen_text(app, app.screen.query_one("#arguments")).split())
        assert "(timezoneoptional,e.g.…Zor…+02:00)" in shown  # whitespace left out


async def test_first_argument_title_is_in_view(make_wizard):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await open_process(pilot, "Finance", "showcase")
        await pilot.press("ctrl+n")
        await settle(pilot)
        await past_options(pilot)
        assert "Text *  String" in screen_text(app, app.screen.query_one("#arguments"))


async def test_attention_banner_goes_when_every_field_is_fixed(make_wizard):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_arguments(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert "1 argument(s) need attention" in message(app)
        await pilot.press("I")
        await settle(pilot)
        assert "need attention" not in message(app)
        assert not app.screen.message.display


async def test_run_table_shows_robot_and_machine_in_full(make_wizard):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_run(pilot)
        await wait_until(pilot, lambda: not app.state.unfinished_jobs())
        assert "SUPPORT-BOT-01 / SUPPORT-VM-01" in screen_text(app, app.screen.query_one("#jobs"))


# -- 9: CRLF in server text ------------------------------------------------------------------


def test_visible_treats_crlf_as_a_line_break():
    assert visible("at A()\r\n   at B()\nend") == "at A()\n   at B()\nend"
    assert visible("lone\rcarriage") == "lone␍carriage"
    assert visible("a\r\nb", single_line=True) == "a␍␊b"


# -- 10: the Run detail after a lost StartJobs answer ------------------------------------------


async def test_lost_start_answer_still_shows_the_output_arguments(make_wizard, sandbox):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_review(pilot, incident="INC7")
        sandbox.set_faults(FaultConfig(drop_after_start=1.0))
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert isinstance(app.screen, RunScreen)
        await wait_until(pilot, lambda: not app.state.unfinished_jobs())
        detail = str(app.screen.query_one("#job-detail").render())
        assert "Successful" in detail and "Output arguments:" in detail
        assert "appear here" not in detail
        assert "Do not start again" in message(app)


# -- 11 / 12: the modern strategy refuses no robot; robots that are not Available -----------


async def test_modern_only_on_chosen_robots_refuses_none(make_wizard):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await open_process(pilot, "Support", "password")
        await pilot.press("tab", "tab", "space")  # only on robots I choose
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert isinstance(app.screen, StrategyScreen)
        assert "Tick at least one robot" in message(app)


async def test_strategy_warns_about_busy_and_disconnected_robots(make_wizard):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_strategy(pilot)
        await pilot.press("tab", "tab", "space")  # SUPPORT-BOT-01 is Available
        await settle(pilot)
        assert "Available" not in message(app)
        await pilot.press("down", "space")  # SUPPORT-BOT-02 is Busy
        await settle(pilot)
        assert "SUPPORT-BOT-02 is Busy" in message(app) and "Pending" in message(app)
        await pilot.press("space")
        await settle(pilot)
        assert "Busy" not in message(app)
        await pilot.press("shift+tab", "shift+tab", "right", "right", "enter")  # All robots
        await settle(pilot)
        assert "SUPPORT-BOT-03 is Disconnected" in message(app)


# -- 15: keys and words -------------------------------------------------------------------


async def test_ctrl_t_before_the_robots_are_listed_ticks_them_all(make_wizard):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_strategy(pilot)
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert set(app.screen.query_one("#robots", SelectionList).selected) == {101, 102, 103}
        assert app.state.selected_robots[app.state.robots_key()] == {101, 102, 103}


async def test_down_in_the_robot_filter_moves_into_the_list(make_wizard):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_strategy(pilot)
        await pilot.press("tab")
        await settle(pilot)
        assert app.focused.id == "robot-filter"
        count = str(app.screen.query_one("#robot-count").render())
        assert "Space ticks" not in count and "Down" in count
        await pilot.press("down")
        await settle(pilot)
        assert app.focused.id == "robots"
        await pilot.press("space")
        assert app.screen.query_one("#robots", SelectionList).selected == [101]


async def test_another_folder_starts_with_an_empty_search(make_wizard):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_process(pilot, "Default")
        await search(pilot, "triage")
        await pilot.press("escape", "escape")  # back past the Action step
        await settle(pilot)
        assert isinstance(app.screen, FolderScreen)
        await fill(pilot, "Finance")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")  # Action: Start a job
        await settle(pilot)
        assert isinstance(app.screen, ProcessScreen)
        assert app.screen.query_one("#search", Input).value == ""
        assert app.screen.query_one("#processes").option_count > 0


@pytest.mark.parametrize(
    "sandbox_config",
    [SandboxConfig(job_pending_seconds=0.1, job_running_seconds=30, stop_seconds=30)],
)
async def test_kill_says_it_was_requested(make_wizard, sandbox):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_review(pilot, incident="INC5")
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: app.state.jobs and app.state.jobs[0].state == "Running")
        await pilot.press("ctrl+k")
        await pilot.pause()
        await pilot.press("y")
        await wait_until(pilot, lambda: app.state.jobs[0].state == "Terminating")
        assert f"Kill requested for job {app.state.jobs[0].id}" in message(app)


async def test_connect_footer_and_help_words(make_wizard):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ConnectScreen)
        footer = screen_text(app).splitlines()[-1]
        assert "Back" not in footer and "F1 Help" in footer and "F3" in footer
        assert "never written to disk" not in app.screen.HELP
        assert "secrets.toml" in app.screen.HELP
        await tour.to_folder(pilot)
        rows = app.screen.key_help()
        assert all(keys != text for keys, text in rows), rows
        assert "Esc / Ctrl+B" in [keys for keys, _ in rows]


def test_key_names_are_spelled_one_way():
    assert [key_name(k) for k in ("up", "down", "pagedown", "f1", "ctrl+t")] == [
        "Up",
        "Down",
        "PgDn",
        "F1",
        "Ctrl+T",
    ]


async def test_sign_in_error_sentences_are_separated(make_wizard):
    app = make_wizard(auth_mode="password", username="x", password="y", tenancy_name="Default")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await settle(pilot)
        text = " ".join(message(app).split())
        assert "Check the tenant" in text
        before = text.split(" Check the tenant")[0]
        assert before.endswith((".", "!", "?")), text


async def test_process_list_shows_each_environments_version(make_wizard):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_process(pilot, "Default")
        await search(pilot, "triage")
        shown = screen_text(app, app.screen.query_one("#processes"))
        assert "Production v1.0.0" in shown and "QuickstartDemo v1.0.1" in shown
