"""queue_plan: the exact itemData (QueueItemDataDto), forgiving dates, rows; adding.add_once."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from tui_app.adding import add_once, reference_taken
from tui_app.orchestrator.errors import ConnectionFailed, RequestRejected, ServerError
from tui_app.orchestrator.models import QueueDefinition, QueueItem
from tui_app.queue_plan import ItemOptions, PlanError, QueuePlan, item_date

QUEUE = QueueDefinition(id=1, key="k", name="Invoices")


def test_item_data_is_exactly_queue_item_data_dto_with_nested_values_as_json_text():
    plan = QueuePlan(QUEUE, {"No": "1", "Amount": Decimal("12.50"), "Count": Decimal("3"),
                             "Paid": False, "Address": {"City": "Paris", "Zip": Decimal("1.5")},
                             "Tags": ["a"]},
                     ItemOptions(priority="High", reference="INV-1",
                                 defer_date="2025-06-01 08:00+02",
                                 due_date="2025-06-30 17:00Z", risk_sla_date=None))
    assert plan.item_data() == {
        "Name": "Invoices", "Priority": "High",
        "SpecificContent": {"No": "1", "Amount": 12.5, "Count": 3, "Paid": False,
                            "Address": '{"City":"Paris","Zip":1.5}', "Tags": '["a"]'},
        "DeferDate": "2025-06-01T08:00:00+02:00", "DueDate": "2025-06-30T17:00:00Z",
        "Reference": "INV-1"}


def test_unset_fields_are_left_out_and_a_reference_is_made():
    plan = QueuePlan(QUEUE, {})
    data = plan.item_data()
    assert set(data) == {"Name", "SpecificContent", "Reference"}
    assert data["Reference"].startswith("startjob:") and not plan.typed_reference
    assert plan.item_data() == data  # stable: the reviewed reference is the one sent


def test_item_dates_are_forgiving_and_precise():
    assert item_date("2025-06-30T17:00:00+02:00") == "2025-06-30T17:00:00+02:00"
    assert item_date("2025-06-30 09:00 +0200") == "2025-06-30T09:00:00+02:00"
    with pytest.raises(PlanError, match="Deadline: .*needs a time zone"):
        QueuePlan(QUEUE, {}, ItemOptions(due_date="2025-06-30T17:00")).item_data()
    with pytest.raises(PlanError, match="not a real date"):
        item_date("2025-02-30T00:00Z")
    with pytest.raises(PlanError, match="needs a time zone"):
        item_date("2025-06-01")


@pytest.mark.parametrize(("options", "content", "fragment"), [
    (ItemOptions(priority="Urgent"), {}, "Priority must be one of Low, Normal, High"),
    (ItemOptions(reference="x" * 129), {}, "at most 128"),
    (ItemOptions(), {"a.b": 1}, "cannot be sent"),
])
def test_plan_errors(options, content, fragment):
    with pytest.raises(PlanError, match=fragment):
        QueuePlan(QUEUE, content, options).item_data()


def test_rows_show_what_is_sent():
    orders = QueueDefinition(id=1, key="k", name="Orders", enforce_unique_reference=True)
    plan = QueuePlan(orders, {"Address": {"City": "P"}},
                     ItemOptions(reference="R-1", due_date="2025-01-01T00:00Z"))
    rows = dict(plan.rows())
    assert rows["Queue"] == "Orders  (unique references)"
    assert rows["Reference"] == "R-1"
    assert rows["Deadline"] == "2025-01-01T00:00:00Z"
    assert rows["Content"] == 'Address = {"City":"P"}'


def item(i=9, status="New", reference="R-1", content=None):
    return QueueItem(id=i, key=f"key-{i}", status=status, reference=reference,
                     specific_content=content or {})


class Client:
    def __init__(self, add=None, found=(), lookup_error=None):
        self.add, self.found, self.lookup_error = add, list(found), lookup_error
        self.sent: list = []
        self.lookups = 0

    async def add_queue_item(self, data):
        self.sent.append(data)
        if isinstance(self.add, Exception):
            raise self.add
        return self.add

    async def queue_items_by_reference(self, queue_id, reference):
        self.lookups += 1
        if self.lookup_error is not None:
            raise self.lookup_error
        return [found for found in self.found if found.reference == reference]


async def no_sleep(_seconds):
    return None


def add(client, plan):
    return asyncio.run(add_once(client, plan, sleep=no_sleep))


def test_added_once():
    client = Client(add=item())
    outcome = add(client, QueuePlan(QUEUE, {"a": 1}, ItemOptions(reference="R-1")))
    assert outcome.added and outcome.item.id == 9 and len(client.sent) == 1


def test_duplicate_reference_is_refused_and_explained():
    error = RequestRejected("Error creating Transaction. Duplicate Reference.", status=409,
                            error_code=1016)
    outcome = add(Client(add=error), QueuePlan(QUEUE, {}, ItemOptions(reference="R-1")))
    assert outcome.state == "refused" and "already has an item with the reference R-1" in \
        outcome.message


def test_a_lost_answer_is_settled_by_the_reference():
    plan = QueuePlan(QUEUE, {"a": 1})
    client = Client(add=ServerError("Bad gateway", status=502),
                    found=[item(reference=plan.reference, content={"a": 1})])
    outcome = add(client, plan)
    assert outcome.added and outcome.error is not None and len(client.sent) == 1


def test_a_typed_reference_counts_only_an_item_with_the_same_content():
    plan = QueuePlan(QUEUE, {"a": 1}, ItemOptions(reference="R-1"))
    client = Client(add=ServerError("Bad gateway", status=502),
                    found=[item(reference="R-1", content={"a": 2})])
    outcome = add(client, plan)
    assert outcome.state == "not_sent" and client.lookups == 3


def test_unknown_when_orchestrator_cannot_be_asked():
    client = Client(add=ServerError("Bad gateway", status=502),
                    lookup_error=ConnectionFailed("down"))
    outcome = add(client, QueuePlan(QUEUE, {}))
    assert outcome.state == "unknown" and "Do not add it again yet" in outcome.message


def test_reference_taken_ignores_deleted_and_retried_items():
    client = Client(found=[item(status="Deleted"), item(status="Retried")])
    assert not asyncio.run(reference_taken(client, QUEUE, "R-1"))
    client.found.append(item(status="New"))
    assert asyncio.run(reference_taken(client, QUEUE, "R-1"))
