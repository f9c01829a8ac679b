"""startjob run QUEUE-TEMPLATE against an in-memory Orchestrator (tests/queue_fakes.py)."""

from __future__ import annotations

import io
import json

import pytest
from queue_fakes import BASE, FakeOrchestrator

from tui_app import replay
from tui_app.following import FollowPolicy
from tui_app.history import read_entries
from tui_app.replay import ReplayOptions

ENV = {"UIPATH_URL": BASE, "UIPATH_ACCESS_TOKEN": "token-abc"}

INVOICE = """version = 1
name = "Invoice"
action = "add_queue_item"
{top}
[connection]
folder = "Shared"

[queue]
name = "invoices"
unique_reference = false

[item]
priority = "High"
{item}

[content]
InvoiceNo = "INV-1"
Amount = 12.5
{content}

[schema]
InvoiceNo = "string, required"
Amount = "number, required"
Paid = "boolean"
Due = "string (date)"
Kind = "string"
Address = "object"
Tags = "array"
{bindings}
"""


@pytest.fixture(autouse=True)
def quick(monkeypatch):
    monkeypatch.setattr(replay, "FOLLOW", FollowPolicy(first=0.01, longest=0.02))


@pytest.fixture
def fake():
    return FakeOrchestrator()


@pytest.fixture
def run(fake, tmp_path):
    def run(text, stdin="", environ=ENV, **flags):
        path = tmp_path / "invoice.toml"
        path.write_text(text, encoding="utf-8")
        out, err = io.StringIO(), io.StringIO()
        options = ReplayOptions(template=str(path), **flags)
        code = replay.run(options, environ=environ, stdin=io.StringIO(stdin), out=out, err=err,
                          client_options={"transport": fake.transport(), "token_cache": False})
        return code, out.getvalue(), err.getvalue()

    return run


def invoice(top="", item="", content="", bindings=""):
    return INVOICE.format(top=top, item=item, content=content, bindings=bindings)


def added(fake):
    return [json.loads(r.content)["itemData"] for r in fake.requests
            if r.url.path.endswith("AddQueueItem")]


def test_adds_the_exact_item_data_and_records_it(run, fake):
    code, out, err = run(invoice(item='reference = "INV-1"',
                                 content='Address = {City = "Paris"}\nTags = ["a", "b"]'))
    assert code == 0, err
    assert added(fake) == [{
        "Name": "Invoices", "Priority": "High",
        "SpecificContent": {"InvoiceNo": "INV-1", "Amount": 12.5,
                            "Address": '{"City":"Paris"}', "Tags": '["a","b"]'},
        "Reference": "INV-1"}]
    assert "Source" not in added(fake)[0]
    assert "Added item 101 to Invoices" in out
    entry = read_entries()[0]
    assert (entry.kind, entry.queue, entry.reference) == ("queue_item", "Invoices", "INV-1")
    assert entry.jobs[0].id == 101 and entry.body["Name"] == "Invoices"


def test_startjob_makes_a_reference_when_none_is_typed(run, fake):
    code, _, err = run(invoice())
    assert code == 0, err
    assert added(fake)[0]["Reference"].startswith("startjob:")


def test_dry_run_prints_the_item_data_and_adds_nothing(run, fake):
    code, out, _ = run(invoice(), dry_run=True, output="json")
    assert code == 0
    data = json.loads(out)
    assert data["request"]["itemData"]["SpecificContent"] == {"InvoiceNo": "INV-1",
                                                              "Amount": 12.5}
    assert data["item"] is None and added(fake) == []


def test_set_and_set_json_and_event_bindings(run, fake):
    event = json.dumps({"incident": {"number": "INC42", "paid": True,
                                     "address": {"City": "Lyon"}}})
    code, _, err = run(invoice(item='reference = "ref-{incident.number}"',
                               bindings='[bindings]\nPaid = "incident.paid"\n'
                                        'Address = "incident.address"'),
                       sets=["Amount=99", "Due=2025-06-30"], set_json=['Tags=["x"]'],
                       event="-", stdin=event)
    assert code == 0, err
    sent = added(fake)[0]
    assert sent["Reference"] == "ref-INC42"
    assert sent["SpecificContent"] == {"InvoiceNo": "INV-1", "Amount": 99, "Paid": True,
                                       "Due": "2025-06-30", "Address": '{"City":"Lyon"}',
                                       "Tags": '["x"]'}


def test_a_reference_placeholder_the_event_lacks_is_a_usage_error(run, fake):
    code, _, err = run(invoice(item='reference = "{incident.number}"'), event="-",
                       stdin='{"incident": {}}')
    assert code == 2
    assert "The event has no value at \"incident.number\"" in err
    assert added(fake) == []
    code, _, err = run(invoice(item='reference = "{incident.number}"'))
    assert code == 2 and "pass --event" in err


def test_content_the_schema_refuses_is_a_usage_error_with_precise_messages(run, fake):
    code, _, err = run(invoice(content='Kind = "Other"\nAddress = {Street = "x"}'),
                       sets=["Amount=-1"])
    assert code == 2
    assert 'Kind: must be one of "Standard", "Credit", not "Other"' in err
    assert "Address.City: is required" in err
    assert '"-1" is below the minimum 0' in err
    assert added(fake) == []


def test_wrong_typed_value_names_the_field(run, fake):
    code, _, err = run(invoice(), sets=["Amount=twelve"])
    assert code == 2 and "Amount:" in err and "not a number" in err


def test_wait_successful_reports_output(run, fake):
    code, out, err = run(invoice(), wait=True, output="json")
    assert code == 0, err
    item = json.loads(out)["item"]
    assert item["Status"] == "Successful" and item["Output"] == {"Result": "done"}
    assert read_entries()[0].jobs[0].state == "Successful"


def test_wait_failed_exits_1_with_the_processing_exception(run, fake):
    fake.script = ["InProgress", "Failed"]
    fake.exception = {"Reason": "Invoice is a duplicate", "Details": "seen before",
                      "Type": "BusinessException"}
    code, out, err = run(invoice(), wait=True, output="json")
    assert code == 1
    assert json.loads(out)["item"]["ProcessingException"]["Reason"] == "Invoice is a duplicate"
    assert "ended Failed: Invoice is a duplicate" in err
    assert read_entries()[0].jobs[0].state == "Failed"


def test_wait_timeout_exits_5(run, fake):
    fake.script = ["InProgress"] * 1000
    code, _, err = run(invoice(), wait=True, timeout=0.05)
    assert code == 5 and "Timed out" in err


def test_unique_reference_taken_is_refused_before_adding(run, fake):
    fake.items.append({"Id": 55, "Key": "k", "Status": "Successful", "QueueDefinitionId": 3,
                       "Reference": "ORD-1", "SpecificContent": {}})
    text = invoice(item='reference = "ORD-1"').replace('name = "invoices"',
                                                      'name = "UniqueOrders"')
    text = text.replace("unique_reference = false", "unique_reference = true")
    text = text.split("[schema]")[0]
    code, _, err = run(text)
    assert code == 4
    assert "already has item 55" in err
    assert added(fake) == []


def test_queue_gone_blocks(run, fake):
    fake.queues = []
    code, _, err = run(invoice())
    assert code == 2 and 'There is no queue named "invoices"' in err


def test_schema_drift_new_required_field_blocks(run, fake):
    text = invoice().replace('Amount = "number, required"\n', "").replace("Amount = 12.5\n", "")
    code, _, err = run(text)
    assert code == 2
    assert "new required field \"Amount\"" in err


def test_a_refusal_exits_4(run, fake):
    fake.refuse = {"message": "The item does not match the queue's schema.",
                   "errorCode": 2000}
    code, _, err = run(invoice())
    assert code == 4 and "No item was added" in err


def test_a_lost_answer_is_reconciled_by_reference(run, fake):
    fake.add_answer = 502
    code, out, err = run(invoice(), output="json")
    assert code == 0, err
    assert json.loads(out)["item"]["Id"] == 101
    assert len(added(fake)) == 1  # never sent twice
    assert "so the item was added" in err or "so the item was added" in out


def test_ask_content_field_is_hidden_in_the_printed_request(run, fake):
    text = invoice(top='ask = ["InvoiceNo"]').replace('InvoiceNo = "INV-1"\n', "", 1)
    code, out, err = run(text, environ={**ENV, "STARTJOB_ARG_InvoiceNo": "SECRET-NO"})
    assert code == 0, err
    assert "SECRET-NO" not in out and replay.ASK_PLACEHOLDER in out
    assert added(fake)[0]["SpecificContent"]["InvoiceNo"] == "SECRET-NO"
    assert "SECRET-NO" not in json.dumps(read_entries()[0].body)


def test_round_trip_plan_to_template_to_replay_sends_the_same_body(run, fake):
    from tui_app.orchestrator.models import Folder, QueueDefinition
    from tui_app.queue_plan import ItemOptions, QueuePlan
    from tui_app.queue_schema import content_fields
    from tui_app.templates import dump_template, template_from_queue_plan

    queue = QueueDefinition.from_api(fake.queues[0])
    fields = {f.name: f for f in content_fields(queue.specific_data_json_schema)}
    content = {"InvoiceNo": fields["InvoiceNo"].parse("INV-9"),
               "Amount": fields["Amount"].parse("10.25"), "Paid": fields["Paid"].parse("yes"),
               "Due": fields["Due"].parse("2025-06-30"),
               "Address": fields["Address"].parse('{"City": "Nice"}'),
               "Tags": fields["Tags"].parse("a\nb")}
    folder = Folder(id=7, key="f-7", display_name="Shared", fully_qualified_name="Shared")
    plan = QueuePlan(queue, content, ItemOptions(priority="Low", reference="INV-9",
                                                 due_date="2025-06-30T17:00Z"), folder)
    template = template_from_queue_plan(plan, name="Invoice")
    code, out, err = run(dump_template(template), dry_run=True, output="json")
    assert code == 0, err
    assert json.loads(out)["request"]["itemData"] == plan.item_data()


def test_without_a_saved_schema_only_a_missing_required_field_is_drift(run, fake):
    """A hand-written template has no [schema]: optional fields are not "new"."""
    code, _, err = run(invoice().split("[schema]")[0])
    assert code == 0, err
    assert "new optional field" not in err
    code, _, err = run(invoice().split("[schema]")[0].replace("Amount = 12.5\n", ""))
    assert code == 2 and "new required field \"Amount\"" in err
