"""The client's queue calls: the requests they send (v20 spec shapes) and what they read."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from queue_fakes import BASE, SCHEMA, FakeOrchestrator

from tui_app.following import FollowPolicy, follow_item
from tui_app.orchestrator import OrchestratorClient, ServerError, TokenAuth
from tui_app.orchestrator.models import QUEUE_ITEM_STATUSES, QueueItem


async def no_sleep(_seconds):
    return None


def client_for(handler) -> OrchestratorClient:
    transport = handler if isinstance(handler, httpx.MockTransport) else httpx.MockTransport(
        handler)
    return OrchestratorClient(BASE, TokenAuth("t"), transport=transport, folder=7,
                              sleep=no_sleep)


def call(handler, method, *args):
    async def go():
        async with client_for(handler) as client:
            return await getattr(client, method)(*args)

    return asyncio.run(go())


def test_search_queues_filters_any_case_by_name_with_count():
    fake = FakeOrchestrator()
    page = call(fake.transport(), "search_queues", "ORDER")
    request = fake.requests[0]
    assert request.url.path.endswith("/odata/QueueDefinitions")
    assert request.url.params["$filter"] == "contains(tolower(Name),'order')"
    assert request.url.params["$orderby"] == "Name asc"
    assert request.url.params["$count"] == "true"
    assert request.headers["X-UIPATH-OrganizationUnitId"] == "7"
    assert [q.name for q in page.items] == ["UniqueOrders"] and page.total == 1
    queue = page.items[0]
    assert queue.enforce_unique_reference and queue.sla_in_minutes == 60
    assert queue.release_id == 3 and queue.max_number_of_retries == 1


def test_queue_by_name_matches_in_any_case_only_the_whole_name():
    fake = FakeOrchestrator()
    found = call(fake.transport(), "queue_by_name", "INVOICES")
    assert found.name == "Invoices" and found.specific_data_json_schema == SCHEMA
    assert call(fake.transport(), "queue_by_name", "Invoice") is None


def test_add_queue_item_posts_item_data_and_is_never_retried():
    fake = FakeOrchestrator()
    item = call(fake.transport(), "add_queue_item",
                {"Name": "Tickets", "SpecificContent": {"a": 1}, "Reference": "R"})
    request = fake.requests[-1]
    assert request.method == "POST"
    assert request.url.path.endswith("/odata/Queues/UiPathODataSvc.AddQueueItem")
    assert json.loads(request.content) == {
        "itemData": {"Name": "Tickets", "SpecificContent": {"a": 1}, "Reference": "R"}}
    assert (item.id, item.status, item.reference) == (101, "New", "R")
    fake.add_answer = 503
    with pytest.raises(ServerError):
        call(fake.transport(), "add_queue_item", {"Name": "Tickets"})
    assert sum(r.url.path.endswith("AddQueueItem") for r in fake.requests) == 2  # one each


def test_queue_items_by_reference_and_by_ids():
    fake = FakeOrchestrator()
    call(fake.transport(), "add_queue_item", {"Name": "Tickets", "Reference": "it's"})
    found = call(fake.transport(), "queue_items_by_reference", 2, "it's")
    request = fake.requests[-1]
    assert request.url.params["$filter"] == "QueueDefinitionId eq 2 and Reference eq 'it''s'"
    assert request.url.params["$orderby"] == "Id desc"
    assert [i.id for i in found] == [101]
    assert [i.id for i in call(fake.transport(), "queue_items", [101, 999])] == [101]
    assert fake.requests[-1].url.params["$filter"] == "Id in (101,999)"


def test_queue_item_reads_output_and_processing_exception():
    data = {"Id": 5, "Key": "k", "Status": "Failed", "Reference": "R", "Priority": "High",
            "SpecificContent": {"a": "1"}, "OutputData": '{"x": 1}',
            "ProcessingException": {"Reason": "Bad", "Details": "d", "Type": "BusinessException"},
            "ExecutorJobKey": "job-key", "Robot": {"Name": "BOT"}, "RetryNumber": 1}

    def handler(request):
        assert request.url.path.endswith("/odata/QueueItems(5)")
        return httpx.Response(200, json=data)

    item = call(handler, "queue_item", 5)
    assert item.is_final and item.output == {"x": 1}
    assert item.processing_exception.reason == "Bad"
    assert item.processing_exception.type == "BusinessException"
    assert (item.executor_job_key, item.robot_name, item.retry_number) == ("job-key", "BOT", 1)
    assert len(QUEUE_ITEM_STATUSES) == 7


@pytest.mark.parametrize("answer", [
    {"Success": False, "Message": "m", "FailedItems": [
        {"Ordinal": 1, "ErrorCode": "DuplicateReference", "ErrorMessage": "dup"}]},
    {"success": False, "message": "m", "failedItems": [
        {"ordinal": 1, "errorCode": "DuplicateReference", "errorMessage": "dup"}]},
])
def test_bulk_add_reads_v20_and_v18_spellings(answer):
    sent = []

    def handler(request):
        sent.append(json.loads(request.content))
        return httpx.Response(200, json=answer)

    result = call(handler, "bulk_add_queue_items", "Tickets", "ProcessAllIndependently",
                  [{"SpecificContent": {}}])
    assert sent == [{"queueName": "Tickets", "commitType": "ProcessAllIndependently",
                     "queueItems": [{"SpecificContent": {}}]}]
    assert not result.success and result.message == "m"
    assert result.failed == [(1, "DuplicateReference", "dup")]


def test_follow_item_follows_a_retried_item_to_its_newest_attempt():
    statuses = {5: ["InProgress", "Retried"], 6: ["InProgress", "Successful"]}
    newest = {"Id": 6, "Key": "00000000-0000-0000-0000-000000000005", "Status": "New",
              "RetryNumber": 1}

    def handler(request):
        path = request.url.path
        if "GetItemLastRetryByKey" in path:
            return httpx.Response(200, json=newest)
        item_id = int(path.rsplit("(", 1)[1].rstrip(")"))
        return httpx.Response(200, json={**newest, "Id": item_id,
                                         "Status": statuses[item_id].pop(0)})

    seen = []
    start = QueueItem(id=5, key="00000000-0000-0000-0000-000000000005", status="New")

    async def go():
        async with client_for(handler) as client:
            return await follow_item(client, start, FollowPolicy(first=0.0),
                                     lambda old, new: seen.append((new.id, new.status)),
                                     no_sleep)

    outcome = asyncio.run(go())
    assert outcome.item.id == 6 and outcome.item.status == "Successful"
    assert not outcome.timed_out
    assert seen == [(5, "InProgress"), (6, "New"), (6, "InProgress"), (6, "Successful")]
