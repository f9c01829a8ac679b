"""Pilot tests at 80x24, keyboard only: the Save dialog's Bindings… (issue 17) — paste or
load a sample event, pick a path per argument or content field with a live preview, save,
and replay the template with that event."""

from __future__ import annotations

import asyncio
import json

import pytest
import tour
from textual.widgets import Select

from tui_app.cli import main
from tui_app.exit_codes import EXIT_OK
from tui_app.locations import templates_dir
from tui_app.templates import load_template
from tui_app.ui.bindings_dialog import BindingsDialog
from tui_app.ui.save_template import SaveTemplateDialog
from tui_app.ui.screens import ReviewScreen

SIZE = (80, 24)
SAMPLE = {"incident": {"number": "INC0099", "state": "new"}, "ignored": [1, 2]}


@pytest.fixture(autouse=True)
def demo_credentials(monkeypatch):
    monkeypatch.setenv("UIPATH_CLIENT_ID", "demo-client")
    monkeypatch.setenv("UIPATH_CLIENT_SECRET", "demo-secret")


def screen_text(app) -> str:
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(s.text for s in strip if not s.control) for strip in strips)


async def open_bindings(pilot, name: str = "Triage incident") -> None:
    await pilot.press("ctrl+s")
    await pilot.pause()
    assert isinstance(pilot.app.screen, SaveTemplateDialog)
    await tour.fill(pilot, name)
    await pilot.press("ctrl+b")
    await tour.settle(pilot)
    assert isinstance(pilot.app.screen, BindingsDialog)


async def pick(pilot, downs: int) -> None:
    """On a picker: open it, go ``downs`` options down from "(not bound)", choose."""
    assert isinstance(pilot.app.focused, Select), pilot.app.focused
    await pilot.press("enter", *["down"] * downs, "enter")
    await tour.settle(pilot)


async def replayed(sandbox, capsys, path, event, *args):
    """``startjob run PATH --event EVENT --dry-run`` (in a thread: the test's loop runs)."""
    code = await asyncio.to_thread(main, [
        "run", str(path), "--url", sandbox.orchestrator_url, "--event", str(event),
        "--dry-run", "--output", "json", *args])
    captured = capsys.readouterr()
    assert code == EXIT_OK, captured.err
    return json.loads(captured.out)["request"]


async def test_pick_a_path_preview_save_and_replay_with_the_event(make_wizard, sandbox,
                                                                  capsys, tmp_path):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_review(pilot, incident="INC0010234")
        await open_bindings(pilot)
        await tour.fill(pilot, json.dumps(SAMPLE))  # the sample box has the focus
        await tour.settle(pilot)
        text = screen_text(app)
        assert "never stored" in text
        assert "path(s) to pick from" in text
        await pilot.press("tab")
        await pick(pilot, 2)  # (not bound), incident, incident.number
        assert 'yields "INC0099"' in screen_text(app)
        await pilot.press("ctrl+s")
        await tour.settle(pilot)
        assert isinstance(app.screen, SaveTemplateDialog)
        assert "IncidentId <- incident.number" in screen_text(app)
        await pilot.press("ctrl+s")
        await tour.settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
    path = templates_dir() / "triage-incident.toml"
    assert load_template(path).bindings == {"IncidentId": "incident.number"}
    assert "INC0099" not in path.read_text()  # the sample is never stored
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"incident": {"number": "INC4242"}}))
    request = await replayed(sandbox, capsys, path, event)
    assert json.loads(request["startInfo"]["InputArguments"]) == {"IncidentId": "INC4242"}
