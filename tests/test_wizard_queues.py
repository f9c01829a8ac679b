"""The wizard's queue steps (issue 16) at 80x24, keyboard only, against the sandbox: the
Action step, the Queue search, the content form from an item schema (every type and
message) or the key/value editor, the Item options, Review's exact itemData, Add once,
the Monitor, templates, ``startjob open`` and drafts."""

from __future__ import annotations

import io
import json

import pytest
import tour
from textual.widgets import Input, RadioSet

from tui_app import drafts
from tui_app.history import read_entries
from tui_app.replay import ReplayOptions, replay
from tui_app.sandbox import SandboxConfig
from tui_app.templates import load_template
from tui_app.ui.screens import (
    ActionScreen,
    ContentScreen,
    ItemScreen,
    MonitorScreen,
    ProcessScreen,
    QueueReviewScreen,
    QueueScreen,
)
from tui_app.wizard.requests import SaveTemplateRequest

SIZE = (80, 24)
FAST = SandboxConfig(job_pending_seconds=0.2, job_running_seconds=0.4, stop_seconds=0.2,
                     item_processing_seconds=0.3)


def screen_text(app, widget=None) -> str:
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(s.text for s in strip if not s.control) for strip in strips)


def field(app, name: str):
    """The editor of the content field ``name`` (schema form)."""
    screen = app.screen
    index = [f.name for f in screen.fields].index(name)
    return screen.query_one(f"#arg-{index}")


def error_of(app, name: str) -> str:
    screen = app.screen
    index = [f.name for f in screen.fields].index(name)
    return str(screen.query_one(f"#arg-{index}-error").render())


async def type_into(pilot, name: str, text: str) -> None:
    """Focus the content field ``name`` and type ``text`` (as a person would)."""
    editor = field(pilot.app, name)
    editor.focus()
    await pilot.pause()
    if isinstance(editor, Input):
        editor.value = ""
    else:
        editor.text = ""
    await tour.fill(pilot, text)
    await tour.settle(pilot)


async def to_invoice_content(pilot) -> None:
    await tour.to_queue(pilot, "Finance")
    assert isinstance(pilot.app.screen, QueueScreen)
    await pilot.press("enter")
    await tour.settle(pilot)
    assert isinstance(pilot.app.screen, ContentScreen)


async def fill_invoice(pilot, amount: str = "12.5") -> None:
    await type_into(pilot, "InvoiceNumber", "INV-1234")
    await type_into(pilot, "Vendor", "ACME")
    await type_into(pilot, "Amount", amount)
    currency = field(pilot.app, "Currency")
    assert isinstance(currency, RadioSet)
    currency.focus()
    await pilot.press("right", "space")  # USD
    await tour.settle(pilot)


# -- the Action step ------------------------------------------------------------------------------


async def test_the_action_step_comes_after_the_folder_and_forks_the_flow(make_wizard):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_action(pilot, "Finance")
        assert isinstance(app.screen, ActionScreen)
        text = screen_text(app)
        assert "▸ Start a job" in text and "Add a queue item" in text
        assert "Action›Process" in text.splitlines()[0].replace(" ", "")
        await pilot.press("down", "enter")
        await tour.settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert screen_text(app).splitlines()[0].split() == [
            "Connect", "›", "Folder", "›", "Action", "›", "Queue", "›", "Content", "›",
            "Item", "›", "Review", "›", "Monitor"]
        await pilot.press("escape")
        await tour.settle(pilot)
        assert isinstance(app.screen, ActionScreen)
        assert "Queue" in screen_text(app).splitlines()[0]  # the indicator follows the choice
        assert "▸ Add a queue item" in screen_text(app)  # the choice is kept
        await pilot.press("up", "enter")
        await tour.settle(pilot)
        assert isinstance(app.screen, ProcessScreen)


# -- the Queue step -------------------------------------------------------------------------------


async def test_the_queue_list_shows_rules_and_the_consuming_process(make_wizard):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_queue(pilot, "Shared/Support")
        text = screen_text(app)
        assert "AccountResets  · processed by PasswordReset" in text
        assert "unique references" in text
        assert "Notes" in text and "2 queue(s)." in text


async def test_enter_typed_ahead_of_the_search_chooses_from_its_answer(make_wizard):
    """A laggy link: the name and Enter arrive before the search has answered."""
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_queue(pilot, "Shared/Support")
        await pilot.press(*"notes", "enter")  # no pause: the debounce has not fired
        await tour.settle(pilot, 0.5)
        assert isinstance(app.screen, ContentScreen)
        assert app.state.queue.queue.name == "Notes"


# -- the content form from the item schema ---------------------------------------------------------


async def test_the_schema_form_has_every_type_and_precise_messages(make_wizard):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await to_invoice_content(pilot)
        screen = app.screen
        names = [f.name for f in screen.fields]
        assert names[:8] == ["InvoiceNumber", "Vendor", "Amount", "Quantity", "Paid",
                             "ReceivedAt", "DueOn", "Currency"]
        assert isinstance(field(app, "Paid"), RadioSet)
        assert isinstance(field(app, "Currency"), RadioSet)  # an enum: its choices
        cases = {
            "InvoiceNumber": ("INV-12", "does not match"),
            "Vendor": ("A", "too short: 1 character, at least 2"),
            "Amount": ("12,5", "use a dot"),
            "Quantity": ("0", "below the minimum 1"),
            "ReceivedAt": ("2024-05-01 09:00", "time zone"),
            "DueOn": ("2024-05-01T10:30:00", "a date alone"),
        }
        for name, (text, words) in cases.items():
            await type_into(pilot, name, text)
            assert words in error_of(app, name), (name, error_of(app, name))
        await type_into(pilot, "Quantity", "20000")
        assert "above the maximum 10000" in error_of(app, "Quantity")
        await type_into(pilot, "Vendor", "V" * 81)
        assert "too long" in error_of(app, "Vendor")
        await type_into(pilot, "Tags", '["ok", "' + "t" * 21 + '"]')
        assert "item 2" in error_of(app, "Tags") and "too long" in error_of(app, "Tags")
        await type_into(pilot, "Lines", '[{"Sku": "A", "Quantity": 0}, {"Quantity": 2}]')
        assert "below the minimum 1" in error_of(app, "Lines")
        await type_into(pilot, "Lines", '[{"Quantity": 2}]')
        assert "Sku" in error_of(app, "Lines")
        await type_into(pilot, "BillingAddress", '{"City": "Lyon", "PostalCode": "x"}')
        assert "PostalCode" in error_of(app, "BillingAddress")
        await type_into(pilot, "Vendor", "A")
        await pilot.press("ctrl+n")
        await tour.settle(pilot)
        assert isinstance(app.screen, ContentScreen)
        assert "need attention" in screen_text(app)
        assert "Currency: required — choose one" in error_of(app, "Currency")
        # what was typed is kept: back and forth
        await pilot.press("escape")
        await tour.settle(pilot)
        await pilot.press("enter")
        await tour.settle(pilot)
        assert app.state.queue.content_texts["Vendor"] == "A"


async def test_nested_values_are_typed_as_json_and_sent_as_json_text(make_wizard):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await to_invoice_content(pilot)
        await fill_invoice(pilot)
        await type_into(pilot, "BillingAddress", '{"Street": "1 Main St"}')
        assert "City" in error_of(app, "BillingAddress")  # the nested required field
        await type_into(pilot, "BillingAddress", '{"City": "Lyon"}')
        assert error_of(app, "BillingAddress") == ""
        await pilot.press("ctrl+n")
        await tour.settle(pilot)
        assert isinstance(app.screen, ItemScreen)
        values = app.state.queue.content_values
        assert values["BillingAddress"] == {"City": "Lyon"}
        data = app.session.queue.current_plan().item_data()
        assert data["SpecificContent"]["BillingAddress"] == '{"City":"Lyon"}'


# -- the key/value editor -----------------------------------------------------------------------


async def test_a_queue_without_schema_gets_a_typed_key_value_editor(make_wizard):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_queue(pilot, "Shared/Support")
        app.screen.query_one("#search", Input).value = "Notes"
        await tour.settle(pilot, 0.5)
        await pilot.press("enter")
        await tour.settle(pilot)
        screen = app.screen
        assert isinstance(screen, ContentScreen) and not screen.fields
        assert "no item schema" in screen_text(app), screen_text(app)
        await tour.fill(pilot, "Ticket")
        await pilot.press("tab", "tab")
        await tour.fill(pilot, "INC42")
        await pilot.press("ctrl+o")
        await tour.settle(pilot)
        await tour.fill(pilot, "Minutes")
        screen.query_one("#row-kind-1").value = "number"
        await tour.settle(pilot)
        screen.query_one("#row-text-1").focus()
        await pilot.pause()
        await tour.fill(pilot, "ten")
        await tour.settle(pilot)
        assert "not a number" in str(screen.query_one("#row-error-1").render())
        await tour.fill(pilot, "10")
        await pilot.press("ctrl+o")
        await tour.settle(pilot)
        await tour.fill(pilot, "Ticket")  # named twice
        await pilot.press("tab", "tab")
        await tour.fill(pilot, "x")
        await pilot.press("ctrl+n")
        await tour.settle(pilot)
        assert isinstance(app.screen, ContentScreen)
        assert "named twice" in str(screen.query_one("#row-error-2").render())
        await pilot.press("ctrl+g")  # the focused row goes
        await tour.settle(pilot)
        assert len(app.state.queue.rows) == 2
        await pilot.press("ctrl+n")
        await tour.settle(pilot)
        assert isinstance(app.screen, ItemScreen)
        assert app.state.queue.content_values == {"Ticket": "INC42", "Minutes": 10}


# -- item options, Review, Add and the Monitor -------------------------------------------------


@pytest.mark.parametrize("sandbox_config", [FAST])
async def test_add_an_item_review_the_exact_body_and_follow_it_to_successful(
        make_wizard, sandbox):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await to_invoice_content(pilot)
        await fill_invoice(pilot)
        await pilot.press("ctrl+n")
        await tour.settle(pilot)
        assert isinstance(app.screen, ItemScreen)
        app.screen.query_one("#priority").value = "High"
        app.screen.query_one("#defer-date").focus()
        await pilot.pause()
        await tour.fill(pilot, "tomorrow")
        await tour.settle(pilot)
        assert "not a date and time" in screen_text(app)
        await tour.fill(pilot, "2020-01-01 09:00Z")
        await pilot.press("ctrl+n")
        await tour.settle(pilot)
        assert isinstance(app.screen, QueueReviewScreen)
        shown = screen_text(app)
        assert "Postpone until  2020-01-01T09:00:00Z" in shown
        assert "(made by" in shown
        body = app.session.queue.body_text(app.session.queue.current_plan())
        assert json.loads(body) == {"itemData": {
            "Name": "InvoiceIntake", "Priority": "High",
            "SpecificContent": {"InvoiceNumber": "INV-1234", "Vendor": "ACME", "Amount": 12.5,
                                "Currency": "USD"},
            "DeferDate": "2020-01-01T09:00:00Z",
            "Reference": "startjob:00000000-0000-4000-8000-000000000001"}}
        await pilot.press("ctrl+r")
        await tour.settle(pilot)
        assert isinstance(app.screen, MonitorScreen)
        await tour.wait_until(pilot, lambda: app.state.queue.added.is_final)
        await tour.settle(pilot)
        text = screen_text(app)
        assert "Successful — processed successfully" in text
        assert "Output" in text
        adds = [r for r in sandbox.request_log if "AddQueueItem" in r.path]
        assert len(adds) == 1
        entry, = read_entries(None)
        assert entry.kind == "queue_item" and entry.queue == "InvoiceIntake"
        assert entry.jobs[0].state == "Successful"
        assert app.session.quit_question(starting=False) is None


@pytest.mark.parametrize("sandbox_config", [FAST])
async def test_a_failed_item_says_why_in_words(make_wizard):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await to_invoice_content(pilot)
        await fill_invoice(pilot, amount="20000")  # over the demo's approval limit
        await pilot.press("ctrl+n")
        await tour.settle(pilot)
        await pilot.press("ctrl+n")
        await tour.settle(pilot)
        await pilot.press("ctrl+r")
        await tour.settle(pilot)
        await tour.wait_until(pilot, lambda: app.state.queue.added.is_final)
        await tour.settle(pilot)
        text = screen_text(app)
        assert "Failed — processing failed" in text
        assert "business rule" in text and "approval limit" in text


async def test_a_unique_reference_queue_needs_a_free_reference(make_wizard, sandbox):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_queue(pilot, "Shared/Support")
        await pilot.press("enter")  # AccountResets, listed first
        await tour.settle(pilot)
        assert app.state.queue.queue.name == "AccountResets"
        for name, value in (("UserName", "ada"),):
            if name in [f.name for f in app.screen.fields]:
                await type_into(pilot, name, value)
        await pilot.press("ctrl+n")
        await tour.settle(pilot)
        assert isinstance(app.screen, ItemScreen), screen_text(app)
        await pilot.press("ctrl+n")
        await tour.settle(pilot)
        assert "takes each reference once: type the item's reference" in screen_text(app)
        app.screen.query_one("#reference").focus()
        await pilot.pause()
        await tour.fill(pilot, "RESET-1")
        await pilot.press("ctrl+n")
        await tour.settle(pilot)
        assert isinstance(app.screen, QueueReviewScreen)
        await pilot.press("ctrl+r")
        await tour.settle(pilot)
        assert isinstance(app.screen, MonitorScreen)
        # The same reference again is refused before anything is sent.
        await pilot.press("escape", "escape")
        await tour.settle(pilot)
        assert isinstance(app.screen, ItemScreen)
        await pilot.press("ctrl+n")
        await tour.settle(pilot)
        assert isinstance(app.screen, ItemScreen)
        assert "already has item" in screen_text(app)
        adds = [r for r in sandbox.request_log if "AddQueueItem" in r.path]
        assert len(adds) == 1


# -- templates, startjob open and drafts ---------------------------------------------------------


async def test_save_from_review_and_open_the_template_again(make_wizard, sandbox, tmp_path):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await to_invoice_content(pilot)
        await fill_invoice(pilot)
        await pilot.press("ctrl+n")
        await tour.settle(pilot)
        await pilot.press("ctrl+n")
        await tour.settle(pilot)
        body = json.loads(app.session.queue.body_text(app.session.queue.current_plan()))
        path = app.session.save_template(SaveTemplateRequest("Invoice", "an invoice"))
        assert "startjob run" in app.session.headless_command()
        assert app.session.template_identity().name == "Invoice"
    # startjob run of the saved template sends the same body (but its own made-up reference)
    result = await replay(
        ReplayOptions(str(path), dry_run=True, output="json",
                      connection={"url": sandbox.orchestrator_url}),
        environ={"UIPATH_CLIENT_ID": "demo-client", "UIPATH_CLIENT_SECRET": "demo-secret"},
        out=io.StringIO(), err=io.StringIO())
    assert result.exit_code == 0, result.errors
    assert result.item_data["Reference"].startswith("startjob:")
    assert ({k: v for k, v in result.item_data.items() if k != "Reference"}
            == {k: v for k, v in body["itemData"].items() if k != "Reference"})
    template = load_template(path)
    assert template.action == "add_queue_item" and template.queue.name == "InvoiceIntake"
    assert template.content["Amount"] == 12.5 and template.item.reference is None
    opened = make_wizard(template=template, template_path=path)
    async with opened.run_test(size=SIZE) as pilot:
        await tour.settle(pilot, 0.3)
        await tour.wait_until(pilot, lambda: isinstance(opened.screen, QueueReviewScreen))
        again = json.loads(opened.session.queue.body_text(opened.session.queue.current_plan()))
        assert again == body
        assert opened.session.template_identity().name == "Invoice"


async def test_a_dropped_session_keeps_the_queue_choice_as_a_draft(make_wizard):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await to_invoice_content(pilot)
        await type_into(pilot, "Vendor", "ACME")
        path = app.session.keep_draft("Content")
    kept = drafts.load_draft(path).draft
    assert kept.action == "add_queue_item" and kept.queue_name == "InvoiceIntake"
    assert kept.argument_texts["Vendor"] == "ACME"
    resumed = make_wizard()
    async with resumed.run_test(size=SIZE) as pilot:
        await tour.settle(pilot)
        assert "InvoiceIntake, at the Content step" in screen_text(resumed)
        await pilot.press("y")  # Resume
        await tour.settle(pilot)
        await pilot.press("enter")  # sign in
        await tour.wait_until(pilot, lambda: isinstance(resumed.screen, ContentScreen))
        assert resumed.state.queue.content_texts["Vendor"] == "ACME"


async def test_a_session_dropped_while_following_an_item_reopens_its_monitor(make_wizard,
                                                                             sandbox):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_queue_review(pilot)
        await pilot.press("ctrl+r")
        await tour.settle(pilot)
        assert isinstance(app.screen, MonitorScreen)
        added = app.state.queue.added
        app.session.keep_draft("Monitor")
    resumed = make_wizard()
    async with resumed.run_test(size=SIZE) as pilot:
        await tour.settle(pilot)
        shown = " ".join(screen_text(resumed).replace("█", " ").split())
        assert f"the queue item it had added: {added.id} (InvoiceIntake)" in shown, shown
        await pilot.press("y")
        await tour.settle(pilot)
        await pilot.press("enter")
        await tour.wait_until(pilot, lambda: isinstance(resumed.screen, MonitorScreen))
        assert resumed.state.queue.added.id == added.id
    adds = [r for r in sandbox.request_log if "AddQueueItem" in r.path]
    assert len(adds) == 1  # nothing added again


async def test_an_opened_queue_template_asks_for_its_ask_field_on_content(make_wizard,
                                                                         tmp_path):
    path = tmp_path / "invoice.toml"
    path.write_text('version = 1\nname = "Invoice"\naction = "add_queue_item"\n'
                    'ask = ["Vendor"]\n\n[connection]\nfolder = "Finance"\n\n'
                    '[queue]\nname = "InvoiceIntake"\n\n[item]\npriority = "Low"\n\n'
                    '[content]\nInvoiceNumber = "INV-0001"\nAmount = 5\nCurrency = "GBP"\n',
                    encoding="utf-8")
    template = load_template(path)
    app = make_wizard(template=template, template_path=path)
    async with app.run_test(size=SIZE) as pilot:
        await tour.settle(pilot, 0.3)
        await tour.wait_until(pilot, lambda: isinstance(app.screen, ContentScreen))
        await tour.settle(pilot)
        text = " ".join(screen_text(app).split())
        assert "Type Vendor: the template asks for it at every replay" in text
        assert field(app, "Vendor").password  # masked
        assert app.state.queue.item.priority == "Low"
        await type_into(pilot, "Vendor", "Secret Vendor Ltd")
        await pilot.press("ctrl+n")
        await tour.settle(pilot)
        await pilot.press("ctrl+n")
        await tour.settle(pilot)
        assert isinstance(app.screen, QueueReviewScreen)
        assert "Secret Vendor" not in screen_text(app)  # an ask value is never shown


async def test_another_folder_starts_the_queue_choice_afresh(make_wizard):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await to_invoice_content(pilot)
        await type_into(pilot, "Vendor", "ACME")
        await pilot.press("escape", "escape", "escape")  # Content › Queue › Action › Folder
        await tour.settle(pilot)
        await tour.fill(pilot, "Shared/Support")
        await pilot.press("enter")
        await tour.settle(pilot)
        await pilot.press("enter")  # the Action step keeps "Add a queue item"
        await tour.settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert app.state.queue.queue is None and app.state.queue.content_texts == {}
        assert app.screen.query_one("#search", Input).value == ""
