"""Pilot tests: the Connect step lists saved profiles, uses their secret source, saves new ones."""

from __future__ import annotations

import tour
from support import UI_URL
from textual.widgets import Input, Select

from tui_app.connection import ConnectionSettings
from tui_app.profiles import (
    load_profiles,
    profile_from_settings,
    profiles_file,
    remember_profile,
    save_profile,
)
from tui_app.ui.save_profile import SaveProfileDialog
from tui_app.ui.screens import ConnectScreen, FolderScreen

SIZE = (80, 24)


def _save_demo_profile(name: str = "sandbox", **source) -> None:
    settings = ConnectionSettings(url=UI_URL, client_id="demo-client")
    save_profile(profile_from_settings(name, settings, **(source or {"secret_env": "DEMO_SECRET"})))


async def test_last_used_profile_is_selected_and_its_secret_source_used(make_wizard, monkeypatch):
    _save_demo_profile("other", secret="prompt")
    _save_demo_profile("sandbox")
    remember_profile("sandbox")
    monkeypatch.setenv("DEMO_SECRET", "demo-secret")
    app = make_wizard(url="", client_id="", client_secret="")
    async with app.run_test(size=SIZE) as pilot:
        await tour.settle(pilot)
        screen = app.screen
        assert screen.query_one("#profile", Select).value == "sandbox"
        assert screen.query_one("#url", Input).value == UI_URL
        assert screen.query_one("#client_secret", Input).value == ""  # never shown
        await pilot.press("ctrl+n")
        await tour.settle(pilot)
        assert isinstance(app.screen, FolderScreen)


async def test_a_prompt_profile_asks_for_the_secret(make_wizard):
    _save_demo_profile("asks", secret="prompt")
    remember_profile("asks")
    app = make_wizard(url="", client_id="", client_secret="")
    async with app.run_test(size=SIZE) as pilot:
        await tour.settle(pilot)
        await pilot.press("ctrl+n")
        await tour.settle(pilot)
        assert isinstance(app.screen, ConnectScreen)
        assert app.focused.id == "client_secret"
        await tour.fill(pilot, "demo-secret")
        await pilot.press("enter")
        await tour.settle(pilot)
        assert isinstance(app.screen, FolderScreen)


async def test_save_as_profile_never_writes_the_secret(make_wizard):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.settle(pilot)
        await pilot.press("f3")
        await pilot.pause()
        assert isinstance(app.screen, SaveProfileDialog)
        await tour.fill(pilot, "prod")
        await pilot.press("tab", "down", "enter")  # source: environment variable
        await pilot.pause()
        app.screen.query_one("#detail", Input).value = "PROD_UIPATH_SECRET"
        await pilot.press("ctrl+s")
        await tour.settle(pilot)
        assert isinstance(app.screen, ConnectScreen)
        assert "Saved profile" in str(app.screen.message.render())
    profile = load_profiles()["prod"]
    assert profile.secret_env == "PROD_UIPATH_SECRET"
    assert profile.url == UI_URL
    assert "demo-secret" not in profiles_file().read_text()


async def test_insecure_shows_a_warning_on_every_step(make_wizard):
    app = make_wizard(insecure=True)
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_process(pilot)
        for screen in app.screen_stack:
            assert "NOT checked" in str(screen.query_one("#insecure").render())
