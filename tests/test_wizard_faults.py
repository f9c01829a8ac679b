"""Pilot tests of faults in the middle of the wizard: a message, values kept, retry works."""

from __future__ import annotations

import pytest
import tour
from textual.widgets import Input

from tui_app.sandbox import FaultConfig
from tui_app.ui.screens import ProcessScreen, ReleaseScreen

SIZE = (80, 24)


def _search_requests(sandbox) -> int:
    return sum(1 for r in sandbox.request_log if r.route == "GET /odata/Releases")


@pytest.mark.parametrize(
    "fault, words",
    [
        (FaultConfig(server_error=1.0, only="GET /odata/Releases"), "problem"),
        (FaultConfig(drop=1.0, only="GET /odata/Releases"), "connection"),
    ],
    ids=["500", "dropped-connection"],
)
async def test_search_fault_shows_a_message_keeps_the_text_and_retry_works(
    make_wizard, sandbox, fault, words
):
    app = make_wizard()
    app.session.client_options["max_retries"] = 1  # keep the dropped-connection retries short
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_process(pilot)
        sandbox.set_faults(fault)
        await tour.search(pilot, "tri")
        screen = app.screen
        assert isinstance(screen, ProcessScreen)
        assert words in str(screen.message.render()).lower()
        assert screen.query_one("#search", Input).value == "tri"
        sandbox.set_faults(None)
        await tour.search(pilot, "a")  # typing again searches again
        assert screen.message.render().plain == ""
        await pilot.press("enter")
        await tour.settle(pilot)
        assert isinstance(app.screen, ReleaseScreen)


async def test_token_expiry_between_steps_is_invisible(make_wizard, sandbox):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_process(pilot)
        sandbox.tenant.expire_tokens()
        await tour.search(pilot, "tri")
        assert app.screen.message.render().plain == ""
        assert "SupportTriage" in str(app.screen.query_one("#processes").render_line(0).text)
    token_requests = sum(1 for r in sandbox.request_log if "connect/token" in r.route)
    assert token_requests == 2  # signed in again once, the search was replayed


async def test_slow_answers_show_loading_and_stay_usable(make_wizard, sandbox):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_process(pilot)
        sandbox.set_faults(FaultConfig(delay=1.0, delay_seconds=0.6, only="GET /odata/Releases"))
        await pilot.press("t")
        await pilot.pause(0.5)
        assert app.screen.query_one("#processes").loading
        await tour.settle(pilot)
        assert not app.screen.query_one("#processes").loading
        assert _search_requests(sandbox) == 2


async def test_unreadable_argument_list_is_explained_and_blocks(make_wizard, sandbox):
    sandbox.tenant.update_release(1, arguments_input='[{"name": "IncidentId", "type": ')
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_arguments(pilot)
        assert app.screen.STEP == "Arguments"
        assert "cannot be read" in str(app.screen.message.render())
        await pilot.press("ctrl+n")
        await tour.settle(pilot)
        assert app.screen.STEP == "Arguments"
