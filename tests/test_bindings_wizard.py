"""Pilot tests at 80x24, keyboard only: the Save dialog's Bindings… (issue 17) — paste or
load a sample event, pick a path per argument or content field from the sample's tree (with
a filter and a live preview), save, and replay the template with that event."""

from __future__ import annotations

import asyncio
import json

import pytest
import tour
from support import TRIAGE_TEMPLATE
from textual.widgets import Button

from tui_app.cli import main
from tui_app.exit_codes import EXIT_OK
from tui_app.locations import templates_dir
from tui_app.templates import load_template
from tui_app.ui.bindings_dialog import BindingsDialog, PathPicker, PathTree
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
    await pilot.press("f2")
    await tour.settle(pilot)
    assert isinstance(pilot.app.screen, BindingsDialog)


async def open_picker(pilot) -> None:
    """On a name's button: open its path picker (the tree has the focus)."""
    assert isinstance(pilot.app.focused, Button), pilot.app.focused
    await pilot.press("enter")
    await tour.settle(pilot)
    assert isinstance(pilot.app.screen, PathPicker)
    assert isinstance(pilot.app.focused, PathTree)


async def picker_of(pilot, sample: dict) -> None:
    """From a fresh wizard: Review, the Bindings dialog with ``sample`` pasted, the first
    name's path picker open."""
    await tour.to_review(pilot)
    await open_bindings(pilot)
    await tour.fill(pilot, json.dumps(sample))
    await tour.settle(pilot)
    await pilot.press("tab")
    await open_picker(pilot)


async def keys(pilot, *names: str) -> None:
    await pilot.press(*names)
    await tour.settle(pilot)


def highlighted(app) -> str:
    node = app.screen.query_one(PathTree).cursor_node
    return str(node.label) if node is not None else ""



def bound(app, index: int = 0) -> str:
    return str(app.screen.query_one(f"#bind-{index}", Button).label)


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
        await open_picker(pilot)
        text = screen_text(app)
        assert "(not bound)" in text and "incident: {2 keys}" in text
        assert "ignored: [2 items]" in text and "number" not in text  # closed
        await keys(pilot, "down", "right")  # incident, opened
        assert 'number: "INC0099"' in screen_text(app)
        await keys(pilot, "right")  # into it: its first child
        assert highlighted(app) == 'number: "INC0099"'
        text = screen_text(app)
        assert "path: incident.number" in text and 'yields "INC0099"' in text  # live
        await keys(pilot, "enter")
        assert isinstance(app.screen, BindingsDialog)
        assert bound(app) == "incident.number"
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
    assert '[bindings]\nIncidentId = "incident.number"' in path.read_text()
    assert "INC0099" not in path.read_text()  # the sample is never stored
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"incident": {"number": "INC4242"}}))
    request = await replayed(sandbox, capsys, path, event)
    assert json.loads(request["startInfo"]["InputArguments"]) == {"IncidentId": "INC4242"}


TRIAGE = TRIAGE_TEMPLATE + '''
[bindings]
IncidentId = "ticket.id"
'''


async def test_an_opened_templates_bindings_are_kept_and_start_the_dialog(make_wizard,
                                                                          tmp_path):
    from tui_app.templates import parse_template

    source = tmp_path / "triage.toml"
    source.write_text(TRIAGE)
    app = make_wizard(template=parse_template(TRIAGE, str(source)), template_path=source)
    async with app.run_test(size=SIZE) as pilot:
        await tour.settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        await open_bindings(pilot, "Copy")
        assert bound(app) == "ticket.id  (not in the sample)"
        text = screen_text(app)
        assert "ticket.id  (not in the sample)" in text
        assert "no sample to preview with" in text
        await tour.fill(pilot, '{"ticket": {"id": 17}}')
        await tour.settle(pilot)
        assert "problem: expected text, got the number 17" in screen_text(app)
        await pilot.press("escape")  # keeps nothing
        await tour.settle(pilot)
        assert isinstance(app.screen, SaveTemplateDialog)
        assert "IncidentId <- ticket.id" in screen_text(app)
        await pilot.press("ctrl+s")
        await tour.settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
    assert load_template(templates_dir() / "copy.toml").bindings == {"IncidentId": "ticket.id"}


async def test_unbinding_in_the_dialog_removes_the_binding(make_wizard, tmp_path):
    from tui_app.templates import parse_template

    source = tmp_path / "triage.toml"
    source.write_text(TRIAGE)
    app = make_wizard(template=parse_template(TRIAGE, str(source)), template_path=source)
    async with app.run_test(size=SIZE) as pilot:
        await tour.settle(pilot)
        await open_bindings(pilot, "Unbound")
        await pilot.press("tab")
        await open_picker(pilot)
        assert highlighted(app) == "ticket.id  (not in the sample)"  # the cursor is on it
        await keys(pilot, "up", "enter")  # up to "(not bound)"
        assert bound(app) == "(not bound)"
        assert "not bound: the value comes from the template" in screen_text(app)
        await pilot.press("ctrl+s")
        await tour.settle(pilot)
        assert "No bindings" in screen_text(app)
        await pilot.press("ctrl+s")
        await tour.settle(pilot)
    assert load_template(templates_dir() / "unbound.toml").bindings == {}


async def test_a_sample_file_is_loaded_by_path_and_a_bad_one_says_why(make_wizard, tmp_path):
    good = tmp_path / "event.json"
    good.write_text(json.dumps({"IncidentId": "INC-FILE"}))
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_review(pilot)
        await open_bindings(pilot)
        await pilot.press("shift+tab")  # the sample box -> the file field
        await tour.fill(pilot, str(tmp_path / "missing.json"))
        await pilot.press("enter")
        await tour.settle(pilot)
        assert "cannot be read" in screen_text(app)
        await tour.fill(pilot, str(good))
        await pilot.press("enter")
        await tour.settle(pilot)
        text = screen_text(app)
        assert "Using the file" in text and "1 path(s)" in text
        # The same name: suggested, pre-selected, previewed.
        assert bound(app) == "IncidentId"
        assert 'yields "INC-FILE"' in text
        await pilot.press("ctrl+s")
        await tour.settle(pilot)
        await pilot.press("ctrl+s")
        await tour.settle(pilot)
    path = templates_dir() / "triage-incident.toml"
    assert load_template(path).bindings == {"IncidentId": "IncidentId"}
    assert "INC-FILE" not in path.read_text()



async def test_a_path_typed_into_the_sample_box_loads_that_file(make_wizard, tmp_path):
    """The sample box has the focus when the dialog opens: a path typed there (where people
    type first) loads the file instead of saying the path is not valid JSON."""
    good = tmp_path / "event.json"
    good.write_text(json.dumps({"IncidentId": "INC-TYPED"}))
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_review(pilot)
        await open_bindings(pilot)
        await tour.fill(pilot, str(good))
        await tour.settle(pilot)
        text = screen_text(app)
        assert "Using the file" in text and "not valid JSON" not in text
        assert 'yields "INC-TYPED"' in text

async def test_hostile_sample_text_is_shown_escaped_and_its_odd_keys_left_out(make_wizard):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_review(pilot)
        await open_bindings(pilot)
        await tour.fill(pilot, json.dumps({"evil\x1b[2Jkey": 1, "a.b": 2,
                                           "ok": "\x1b]0;title\x07\u202e"}))
        await tour.settle(pilot)
        assert "1 path(s)" in screen_text(app) and "2 key(s)" in screen_text(app)
        await pilot.press("tab")
        await open_picker(pilot)
        assert "… 2 key(s) a binding path cannot name" in screen_text(app)
        await keys(pilot, "down", "enter")
        line = str(app.screen.query_one("#preview-0").render())
        assert "\x1b" not in line and "\u202e" not in line and "yields" in line
        assert "\x1b" not in screen_text(app) and "\u202e" not in screen_text(app)


async def test_queue_template_bindings_from_suggestions_round_trip(make_wizard, sandbox,
                                                                   capsys, tmp_path):
    from test_wizard_queues import fill_invoice, to_invoice_content

    from tui_app.ui.screens import QueueReviewScreen

    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await to_invoice_content(pilot)
        await fill_invoice(pilot)
        await pilot.press("ctrl+n")
        await tour.settle(pilot)
        await pilot.press("ctrl+n")
        await tour.settle(pilot)
        assert isinstance(app.screen, QueueReviewScreen)
        await open_bindings(pilot, "Invoice")
        await tour.fill(pilot, json.dumps({"invoice": {"amount": "99.5"}, "vendor": "Globex"}))
        await tour.settle(pilot)
        text = screen_text(app)
        assert 'yields "Globex"' in text and "yields 99.5" in text  # suggested by name
        await pilot.press("ctrl+s")
        await tour.settle(pilot)
        await pilot.press("ctrl+s")
        await tour.settle(pilot)
        assert isinstance(app.screen, QueueReviewScreen)
    path = templates_dir() / "invoice.toml"
    assert load_template(path).bindings == {"Vendor": "vendor", "Amount": "invoice.amount"}
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"invoice": {"amount": 7}, "vendor": "Initech"}))
    request = await replayed(sandbox, capsys, path, event)
    content = request["itemData"]["SpecificContent"]
    assert content["Amount"] == 7 and content["Vendor"] == "Initech"


async def test_bindings_of_names_the_choice_lacks_are_dropped_on_save(make_wizard):
    """A binding of an argument the chosen release no longer has would make a template that
    does not load: the session keeps only the current names."""
    from tui_app.wizard.requests import SaveTemplateRequest

    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_review(pilot)
        path = app.session.save_template(SaveTemplateRequest(
            "Kept", "", bindings={"IncidentId": "incident.number", "Gone": "x"}))
        assert app.session.bindings == {"IncidentId": "incident.number"}
    assert load_template(path).bindings == {"IncidentId": "incident.number"}


async def test_a_sample_edited_into_invalid_json_previews_nothing(make_wizard):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_review(pilot)
        await open_bindings(pilot)
        await tour.fill(pilot, '{"IncidentId": "INC1"}')
        await tour.settle(pilot)
        assert 'yields "INC1"' in screen_text(app)  # suggested by its name
        await tour.fill(pilot, '{"IncidentId": "INC1"')
        await tour.settle(pilot)
        text = screen_text(app)
        assert "is not valid JSON" in text and "no sample to preview with" in text
        assert "INC1\"" not in str(app.screen.query_one("#preview-0").render())


NESTED = {"incident": {"number": "INC1", "items": [{"id": "A-7"}, {"id": "A-8"}]},
          "caller": {"name": "Ann", "id": "U1"}}


async def test_a_nested_array_path_is_picked_with_the_arrows_and_replays(make_wizard, sandbox,
                                                                        capsys, tmp_path):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await picker_of(pilot, NESTED)
        await keys(pilot, "down", "right", "right")  # incident, opened, its number
        await keys(pilot, "down", "right", "right")  # items, opened, its [0]
        assert highlighted(app) == "[0]: {1 key}"
        await keys(pilot, "down", "right", "right")  # [1], opened, its id
        assert highlighted(app) == 'id: "A-8"'
        text = screen_text(app)
        assert "path: incident.items.1.id" in text and 'yields "A-8"' in text
        await keys(pilot, "left", "left")  # to [1], then closed
        assert highlighted(app) == "[1]: {1 key}" and 'id: "A-8"' not in screen_text(app)
        assert "problem: expected text" in screen_text(app)  # an object for a string
        await keys(pilot, "right", "right", "enter")
        assert isinstance(app.screen, BindingsDialog)
        assert bound(app) == "incident.items.1.id" and 'yields "A-8"' in screen_text(app)
        await open_picker(pilot)  # again (the button kept the focus): the cursor is on the
        # binding, its parents open
        assert highlighted(app) == 'id: "A-8"'
        await keys(pilot, "escape")  # back, nothing changed
        assert bound(app) == "incident.items.1.id"
        await keys(pilot, "ctrl+s")
        assert isinstance(app.screen, SaveTemplateDialog)
        assert app.screen.bindings == {"IncidentId": "incident.items.1.id"}
        await keys(pilot, "ctrl+s")
    path = templates_dir() / "triage-incident.toml"
    assert load_template(path).bindings == {"IncidentId": "incident.items.1.id"}
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"incident": {"items": [{}, {"id": "B-2"}]}}))
    request = await replayed(sandbox, capsys, path, event)
    assert json.loads(request["startInfo"]["InputArguments"]) == {"IncidentId": "B-2"}


async def test_the_picker_opens_describing_the_line_its_cursor_is_on(make_wizard):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await picker_of(pilot, NESTED)
        assert highlighted(app) == "(not bound)"
        text = screen_text(app)
        assert "path: (not bound)" in text and "not a path" not in text


async def test_typing_on_the_tree_filters_it_to_the_paths_containing_the_text(make_wizard):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await picker_of(pilot, NESTED)
        await keys(pilot, "i", "n", "c")  # the first key moves to the filter
        field = app.screen.query_one("#filter")
        assert field.has_focus and field.value == "inc"
        text = screen_text(app)
        assert "incident: {2 keys}" in text and 'id: "A-8"' in text  # opened down to it
        assert "caller" not in text and "(not bound)" in text
        await keys(pilot, "backspace", "backspace", "backspace", "n", "a", "m", "e")
        text = screen_text(app)
        assert "caller: {2 keys}" in text and 'name: "Ann"' in text
        assert "incident" not in text and 'id: "U1"' not in text
        assert highlighted(app) == 'name: "Ann"' and 'yields "Ann"' in text  # the first one
        await keys(pilot, "enter")  # to the tree
        assert isinstance(app.focused, PathTree)
        await keys(pilot, "enter")  # picked
        assert bound(app) == "caller.name"
        await open_picker(pilot)
        await keys(pilot, "z", "z", "z")
        assert 'no path contains "zzz"' in screen_text(app)
        await keys(pilot, *["backspace"] * 3)  # no filter: the whole tree again
        await keys(pilot, "down")
        assert isinstance(app.focused, PathTree)
        text = screen_text(app)
        assert "incident: {2 keys}" in text and "caller: {2 keys}" in text


async def test_a_large_sample_file_shows_the_first_children_and_counts_the_rest(make_wizard,
                                                                             tmp_path):
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"rows": [{"id": f"R{i}", "text": "x" * 40}
                                        for i in range(40_000)]}))
    assert big.stat().st_size > 2_000_000
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_review(pilot)
        await open_bindings(pilot)
        await pilot.press("shift+tab")
        await tour.fill(pilot, str(big))
        await keys(pilot, "enter")
        assert "120,001 path(s)" in screen_text(app)
        await pilot.press("tab", "tab")
        await open_picker(pilot)
        await keys(pilot, "down", "right")
        tree = app.screen.query_one(PathTree)
        rows = tree.cursor_node.children
        assert len(rows) == 201 and str(rows[-1].label) == "… 39,800 more"
        tree.move_cursor(rows[-1])
        await keys(pilot, "enter")  # a note, not a path: nothing is picked
        assert isinstance(app.screen, PathPicker)
        assert "not a path (type part of a path to filter" in screen_text(app)
        await keys(pilot, "3", "9", "9", "9", "9")  # past the first 200: found by the filter
        assert highlighted(app) == "[39999]: {2 keys}"
        await keys(pilot, *["backspace"] * 5, "i", "d")
        assert "only the first 500 matching paths" in screen_text(app) or any(
            "only the first 500" in str(node.label) for node in tree.root.children)


async def test_the_tree_cursor_reads_without_colour(make_wizard, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await picker_of(pilot, NESTED)
        await keys(pilot, "down")
        tree = app.screen.query_one(PathTree)
        rows = [line.strip() for line in screen_text(app).splitlines()]
        assert any("  ▸ ▶ incident: {2 keys}" in row for row in rows), rows
        assert sum("▸" in row for row in rows) == 1
        await keys(pilot, "a")  # to the filter: no marker
        assert not tree.has_focus and "▸" not in screen_text(app)
