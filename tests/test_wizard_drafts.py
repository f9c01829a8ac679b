"""Dropped sessions: the choices are kept as a draft, and the next start offers to resume."""

from __future__ import annotations

import json

import tour
from textual.widgets import Input

from tui_app.drafts import draft_path, load_draft
from tui_app.ui.dialogs import ConfirmDialog

SIZE = (80, 24)


async def test_hangup_keeps_a_draft_without_secrets_and_resume_restores_it(
    make_wizard, monkeypatch
):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_arguments(pilot)
        await tour.fill(pilot, "INC4242")
        app.session.history_entry = None
        # What the SIGHUP handler and the terminal watchdog call:
        monkeypatch.setattr("tui_app.hangup.arm_exit_watchdog", lambda *a, **k: None)
        app.leave_with_draft()
        await pilot.pause()
    saved = draft_path().read_text()
    assert "demo-secret" not in saved
    draft = load_draft().draft
    assert draft.process_key == "SupportTriage" and draft.robot_names == ["SUPPORT-BOT-01"]
    assert json.loads(saved)["argument_texts"] == {"IncidentId": "INC4242"}

    resumed = make_wizard(url="", client_id="")
    async with resumed.run_test(size=SIZE) as pilot:
        await tour.settle(pilot)
        assert isinstance(resumed.screen, ConfirmDialog)
        await pilot.press("y")
        await tour.settle(pilot)
        assert resumed.screen.query_one("#client_id", Input).value == "demo-client"
        resumed.screen.query_one("#client_secret", Input).focus()
        await pilot.pause()
        await tour.fill(pilot, "demo-secret")  # the secret was never kept: type it again
        await pilot.press("enter")
        await tour.settle(pilot)
        assert resumed.screen.STEP == "Review", str(resumed.screen.message.render())
        assert resumed.session.current_plan().arguments == {"IncidentId": "INC4242"}
    assert not draft_path().exists()  # resumed: the draft is used up


async def test_discarding_the_offered_draft_removes_it(make_wizard):
    from tui_app.drafts import Draft, save_draft

    save_draft(Draft(url="http://x.test/orchestrator_", process_key="SupportTriage"))
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        await pilot.pause()
    assert not draft_path().exists()
