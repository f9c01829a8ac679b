"""The sandbox's queues: definitions, AddQueueItem and its refusals, BulkAddQueueItems, queue
items and their processing by the demo robots, the QueueItems rate limit, and the official
Python SDK's requests."""

from __future__ import annotations

import base64
import json
import math
import time
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from tui_app.sandbox import DEMO, Sandbox, SandboxConfig
from tui_app.sandbox.seed import INVOICE_SCHEMA

ADD = "/odata/Queues/UiPathODataSvc.AddQueueItem"
BULK = "/odata/Queues/UiPathODataSvc.BulkAddQueueItems"
LAST_RETRY = "/odata/QueueItems/UiPathODataSvc.GetItemLastRetryByKey(key={})"
STEP = 0.15
DEFINITION_FIELDS = [
    "Key", "Name", "Description", "MaxNumberOfRetries", "AcceptAutomaticallyRetry",
    "RetryAbandonedItems", "EnforceUniqueReference", "Encrypted", "SpecificDataJsonSchema",
    "OutputDataJsonSchema", "AnalyticsDataJsonSchema", "CreationTime", "ProcessScheduleId",
    "SlaInMinutes", "RiskSlaInMinutes", "ReleaseId", "IsProcessInCurrentFolder", "FoldersCount",
    "OrganizationUnitId", "OrganizationUnitFullyQualifiedName", "Tags", "Id"]
DUPLICATE = "Error creating Transaction. Duplicate Reference."
GOOD = {"InvoiceNumber": "INV-1042", "Vendor": "Acme", "Amount": 99.5, "Currency": "EUR"}


@pytest.fixture
def sandbox_config():
    return SandboxConfig(job_pending_seconds=0.2, job_running_seconds=0.4, stop_seconds=0.2,
                         item_processing_seconds=STEP)


@pytest.fixture
def orchestrator(sandbox):
    """``orchestrator(folder, cloud=True)``: a client signed in with the personal access token."""
    clients = []

    def make(folder: str, cloud: bool = True) -> httpx.Client:
        client = httpx.Client(
            base_url=sandbox.cloud_url if cloud else sandbox.orchestrator_url, verify=False,
            headers={"Authorization": f"Bearer {DEMO.personal_access_token}",
                     "X-UIPATH-FolderPath": folder})
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def add(client: httpx.Client, queue: str = "InvoiceIntake", **item) -> httpx.Response:
    return client.post(ADD, json={"itemData": {"Name": queue, **item}})


def refused(response: httpx.Response, status: int, code: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["message", "errorCode", "traceId"]
    assert body["errorCode"] == code
    return body["message"]


def wait_status(client: httpx.Client, item_id: int, statuses: set, timeout: float = 5.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        item = client.get(f"/odata/QueueItems({item_id})", params={"$expand": "Robot"}).json()
        if item["Status"] in statuses or time.monotonic() > deadline:
            return item
        time.sleep(0.03)


# ----------------------------------------------------------------------------- definitions


def test_seeded_queues_and_every_definition_field(orchestrator):
    finance = orchestrator("Finance").get("/odata/QueueDefinitions").json()
    assert finance["@odata.count"] == 1
    invoices = finance["value"][0]
    assert list(invoices) == DEFINITION_FIELDS
    assert invoices["Name"] == "InvoiceIntake" and invoices["Id"] == 1
    assert json.loads(invoices["SpecificDataJsonSchema"]) == INVOICE_SCHEMA
    assert (invoices["ReleaseId"], invoices["IsProcessInCurrentFolder"]) == (7, True)
    assert (invoices["MaxNumberOfRetries"], invoices["AcceptAutomaticallyRetry"]) == (1, True)
    assert (invoices["SlaInMinutes"], invoices["RiskSlaInMinutes"]) == (60, 45)
    assert invoices["OrganizationUnitFullyQualifiedName"] == "Finance"
    assert invoices["Tags"] == [] and invoices["FoldersCount"] == 1
    support = orchestrator("Shared/Support").get("/odata/QueueDefinitions").json()["value"]
    by_name = {q["Name"]: q for q in support}
    assert set(by_name) == {"Notes", "AccountResets"}
    assert by_name["Notes"]["SpecificDataJsonSchema"] is None
    assert by_name["Notes"]["ReleaseId"] is None
    assert by_name["AccountResets"]["EnforceUniqueReference"] is True
    assert by_name["AccountResets"]["ReleaseId"] == 6
    assert orchestrator("Shared").get("/odata/QueueDefinitions").json()["value"] == []


def test_queue_definitions_odata_options(orchestrator):
    client = orchestrator("Shared/Support")

    def names(**params) -> list:
        response = client.get("/odata/QueueDefinitions", params=params)
        assert response.status_code == 200, response.text
        return [q["Name"] for q in response.json()["value"]]

    assert names(**{"$filter": "contains(tolower(Name),'reset')"}) == ["AccountResets"]
    assert names(**{"$filter": "Name eq 'NOTES'"}) == ["Notes"]
    assert names(**{"$filter": "contains(Name,'NOTE')"}) == ["Notes"]
    assert names(**{"$orderby": "Name asc"}) == ["AccountResets", "Notes"]
    assert names(**{"$orderby": "Name desc", "$top": "1"}) == ["Notes"]
    assert names(**{"$orderby": "Name asc", "$skip": "1"}) == ["Notes"]
    body = client.get("/odata/QueueDefinitions", params={
        "$select": "Id,Name", "$count": "true", "$top": "1"}).json()
    assert body["@odata.count"] == 2 and list(body["value"][0]) == ["Name", "Id"]
    single = client.get("/odata/QueueDefinitions(3)").json()
    assert single["Name"] == "AccountResets"
    assert single["@odata.context"].endswith("$metadata#QueueDefinitions/$entity")
    assert refused(client.get("/odata/QueueDefinitions(1)"), 404, 1002)  # Finance's queue


# ----------------------------------------------------------------------------- adding


def test_add_queue_item_answers_201_with_the_item(orchestrator):
    due = "2025-06-30T17:00:00Z"
    response = add(orchestrator("Finance"), Priority="High", Reference="INV-1042", DueDate=due,
                   SpecificContent={**GOOD, "BillingAddress": '{"City":"Paris"}',
                                    "Tags": ["urgent"], "Lines": [{"Sku": "A-1", "Quantity": 2}]})
    assert response.status_code == 201, response.text
    item = response.json()
    assert item["@odata.context"].endswith("$metadata#QueueItems/$entity")
    assert item["Status"] == "New" and item["Priority"] == "High"
    assert item["Reference"] == "INV-1042" and item["DueDate"] == due
    assert item["SpecificContent"]["BillingAddress"] == '{"City":"Paris"}'  # as sent
    assert json.loads(item["SpecificData"])["DynamicProperties"]["Vendor"] == "Acme"
    assert item["QueueDefinitionId"] == 1 and item["RetryNumber"] == 0
    assert item["Key"] != item["UniqueKey"] and item["Error"] is None
    assert item["RobotId"] is None and item["ExecutorJobKey"] is None
    assert "Robot" not in item and "QueueDefinition" not in item
    standalone = add(orchestrator("Finance", cloud=False), SpecificContent=GOOD).json()
    assert "Error" not in standalone and standalone["Priority"] == "Normal"


def test_queue_names_match_in_any_case(orchestrator):
    assert add(orchestrator("Finance"), "invoiceINTAKE", SpecificContent=GOOD).status_code == 201


SCHEMA_CASES = [
    ({"Vendor": None}, "Vendor: null is not of type string"),
    ({"InvoiceNumber": "1042"}, 'InvoiceNumber: "1042" does not match the pattern'),
    ({"Vendor": "A"}, "Vendor: \"A\" is shorter than the minimum length of 2"),
    ({"Vendor": "A" * 81}, "is longer than the maximum length of 80"),
    ({"Amount": 0}, "Amount: 0 is less than the minimum of 0.01"),
    ({"Amount": 2000000}, "Amount: 2000000 is greater than the maximum of 1000000"),
    ({"Amount": "12"}, 'Amount: "12" is not of type number'),
    ({"Quantity": 1.5}, "Quantity: 1.5 is not of type integer"),
    ({"Paid": "yes"}, 'Paid: "yes" is not of type boolean'),
    ({"ReceivedAt": "yesterday"}, 'ReceivedAt: "yesterday" is not a date-time'),
    ({"DueOn": "2024-13-01"}, 'DueOn: "2024-13-01" is not a date'),
    ({"Currency": "JPY"}, 'Currency: "JPY" is not one of "EUR", "USD", "GBP"'),
    ({"BillingAddress": {"Street": "Main St"}}, "BillingAddress.City is required"),
    ({"BillingAddress": '{"Street": "Main St"}'}, "BillingAddress.City is required"),
    ({"BillingAddress": "{not json"}, "BillingAddress: \"{not json\" is not JSON object text"),
    ({"Tags": ["ok", 3]}, "Tags[1]: 3 is not of type string"),
    ({"Tags": "[\"ok\", \"" + "x" * 21 + "\"]"}, "Tags[1]: "),
    ({"Lines": [{"Quantity": 0}]}, "Lines[0].Sku is required; Lines[0].Quantity: 0 is less"),
]


@pytest.mark.parametrize("change,message", SCHEMA_CASES)
def test_content_that_breaks_the_schema_is_refused(orchestrator, change, message):
    response = add(orchestrator("Finance"), SpecificContent={**GOOD, **change})
    text = refused(response, 400, 1000)
    assert text.startswith("The queue item does not match the queue's schema: ")
    assert message in text


def test_a_missing_required_field_and_valid_flat_values(orchestrator):
    client = orchestrator("Finance")
    content = {k: v for k, v in GOOD.items() if k != "Vendor"}
    assert "Vendor is required" in refused(add(client, SpecificContent=content), 400, 1000)
    assert "Vendor is required" in refused(add(client), 400, 1000)  # no SpecificContent
    every = {**GOOD, "Quantity": 3, "Paid": False, "ReceivedAt": "2024-05-01T08:00:00+02:00",
             "DueOn": "2024-05-31", "BillingAddress": {"City": "Paris", "PostalCode": "75001"},
             "Tags": '["a","b"]', "Lines": '[{"Sku":"A-1","Quantity":1}]', "Extra": "kept"}
    assert add(client, SpecificContent=every).status_code == 201


ITEM_DATA_CASES = [
    ({"SpecificContent": {"a.b": 1}}, "field name \"a.b\" is not valid"),
    ({"SpecificContent": {"a:b": 1}}, "field name"),
    ({"SpecificContent": {"a,b": 1}}, "field name"),
    ({"SpecificContent": {"a@b": 1}}, "field name"),
    ({"SpecificContent": {'a"b': 1}}, "field name"),
    ({"SpecificContent": "text"}, "SpecificContent must be a JSON object"),
    ({"Priority": "Urgent"}, 'The value "Urgent" is not valid for Priority'),
    ({"Priority": 1}, "not valid for Priority"),
    ({"Source": "Robot"}, "The field Source must match the regular expression"),
    ({"Source": "ManualManualManualManual"}, "maximum length of 20"),
    ({"Reference": "r" * 129}, "The field Reference must be a string with a maximum length of 128"),
    ({"DueDate": "next week"}, 'The value "next week" is not valid for DueDate'),
    ({"DeferDate": 20250101}, "not valid for DeferDate"),
    ({"RiskSlaDate": "2025-02-30T00:00:00Z"}, "not valid for RiskSlaDate"),
]


@pytest.mark.parametrize("change,message", ITEM_DATA_CASES)
def test_malformed_item_data_is_refused(orchestrator, change, message):
    item = {"SpecificContent": GOOD, **change}
    assert message in refused(add(orchestrator("Finance"), **item), 400, 1000)


def test_source_values_by_api_version(orchestrator):
    assert add(orchestrator("Finance"), SpecificContent=GOOD, Source="Apps").status_code == 201
    assert add(orchestrator("Finance"), SpecificContent=GOOD,
               Source="ProcessOrchestration").status_code == 201
    assert "Manual|Apps'" in refused(add(orchestrator("Finance", cloud=False),
                                         SpecificContent=GOOD, Source="ProcessOrchestration"),
                                     400, 1000)


def test_unknown_queue_and_missing_names(orchestrator):
    client = orchestrator("Finance")
    message = refused(add(client, "Notes"), 404, 1002)  # Notes lives in Shared/Support
    assert message == "The queue \"Notes\" does not exist in folder 'Finance'."
    assert "itemData.Name is required" in refused(client.post(ADD, json={"itemData": {}}),
                                                  400, 1000)
    assert "itemData is required" in refused(client.post(ADD, json={}), 400, 1000)


def test_duplicate_reference_in_a_unique_queue(orchestrator):
    client = orchestrator("Shared/Support")
    assert add(client, "AccountResets", Reference="TICKET-7").status_code == 201
    message = refused(add(client, "AccountResets", Reference="ticket-7"), 409, 1016)
    assert message == "Error creating Transaction. Duplicate Reference."
    assert add(client, "AccountResets", Reference="TICKET-8").status_code == 201
    assert add(client, "AccountResets").status_code == 201  # no reference: nothing to check
    assert add(client, "AccountResets").status_code == 201
    for _ in range(2):  # Notes does not enforce unique references
        assert add(client, "Notes", Reference="same").status_code == 201


# ----------------------------------------------------------------------------- processing


def test_items_are_processed_by_the_consuming_process_robot(orchestrator):
    client = orchestrator("Finance")
    item = add(client, SpecificContent=GOOD).json()
    time.sleep(STEP * 1.3)
    middle = client.get(f"/odata/QueueItems({item['Id']})").json()
    assert middle["Status"] == "InProgress" and middle["RobotId"] == 401
    assert middle["StartProcessing"] is not None and middle["EndProcessing"] is None
    done = wait_status(client, item["Id"], {"Successful"})
    assert done["Status"] == "Successful" and done["Robot"]["Name"] == "fin-bot-01"
    assert done["Output"] == {"Result": "Processed", "ConfirmationNumber": f"CONF-{item['Id']}"}
    assert json.loads(done["OutputData"]) == {"DynamicProperties": done["Output"]}
    assert done["ProcessingException"] is None and done["ExecutorJobKey"] is None
    assert done["RowVersion"] != item["RowVersion"]


@pytest.mark.parametrize("change,reason", [
    ({"Vendor": "FAIL Corp"}, "Business rule: Vendor is FAIL Corp"),
    ({"Amount": 25000}, "Amount 25000 is over the approval limit of 10000"),
])
def test_business_exceptions(orchestrator, change, reason):
    client = orchestrator("Finance")
    item = add(client, SpecificContent={**GOOD, **change}).json()
    failed = wait_status(client, item["Id"], {"Failed", "Successful"})
    assert failed["Status"] == "Failed"
    assert failed["ProcessingExceptionType"] == "BusinessException"
    assert failed["ProcessingException"]["Reason"] == reason
    assert failed["ProcessingException"]["Type"] == "BusinessException"
    assert failed["Error"]["Code"] == "Queue.BusinessException"


def test_an_application_exception_is_retried_once(orchestrator):
    client = orchestrator("Finance")
    first = add(client, Reference="R-1", SpecificContent={**GOOD, "Vendor": "RETRY Ltd"}).json()
    retried = wait_status(client, first["Id"], {"Retried", "Failed"})
    assert retried["Status"] == "Retried"
    assert retried["ProcessingExceptionType"] == "ApplicationException"
    items = client.get("/odata/QueueItems", params={
        "$filter": f"Key eq {first['Key']}", "$orderby": "Id desc"}).json()["value"]
    assert [i["RetryNumber"] for i in items] == [1, 0]
    retry = items[0]
    assert retry["AncestorId"] == first["Id"] and retry["AncestorUniqueKey"] == first["UniqueKey"]
    assert retry["Reference"] == "R-1" and retry["UniqueKey"] != first["UniqueKey"]
    final = wait_status(client, retry["Id"], {"Failed", "Successful"})
    assert final["Status"] == "Failed"
    assert final["ProcessingExceptionType"] == "ApplicationException"
    last = client.get(LAST_RETRY.format(first["Key"])).json()
    assert last["Id"] == retry["Id"]
    assert client.get(LAST_RETRY.format(f"'{first['Key']}'")).json()["Id"] == retry["Id"]
    assert refused(client.get(LAST_RETRY.format("00000000-0000-4000-8000-000000000000")),
                   404, 1002) == "Queue Item does not exist."


def test_unconsumed_and_deferred_items_wait(orchestrator):
    notes = add(orchestrator("Shared/Support"), "Notes", SpecificContent={"Text": "hi"}).json()
    finance = orchestrator("Finance")
    later = (datetime.now(timezone.utc) + timedelta(seconds=STEP * 4)).isoformat()
    deferred = add(finance, SpecificContent=GOOD, DeferDate=later).json()
    time.sleep(STEP * 2.5)
    assert orchestrator("Shared/Support").get(
        f"/odata/QueueItems({notes['Id']})").json()["Status"] == "New"
    assert finance.get(f"/odata/QueueItems({deferred['Id']})").json()["Status"] == "New"
    assert wait_status(finance, deferred["Id"], {"Successful"})["Status"] == "Successful"


# ----------------------------------------------------------------------------- bulk


def bulk(client: httpx.Client, commit: str, items: list, queue: str = "AccountResets"):
    return client.post(BULK, json={"queueName": queue, "commitType": commit, "queueItems": items})


def references(client: httpx.Client) -> list:
    return [i["Reference"] for i in client.get("/odata/QueueItems", params={
        "$filter": "QueueDefinitionId eq 3", "$orderby": "Id asc"}).json()["value"]]


BATCH = [{"Reference": "B-1"}, {"Reference": "B-2", "Priority": "Urgent"}, {"Reference": "B-1"},
         {"Reference": "B-4"}]


def test_bulk_all_or_nothing(orchestrator):
    client = orchestrator("Shared/Support")
    response = bulk(client, "AllOrNothing", BATCH)
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["@odata.context", "Success", "Message", "FailedItems"]
    assert body["@odata.context"].endswith(
        "$metadata#UiPath.Server.Configuration.OData.BulkOperationResponseDtoOfFailedQueueItemDto")
    assert body["Success"] is False and body["Message"] == "No item was added: 2 of 4 items failed."
    assert [(f["Ordinal"], f["ErrorCode"]) for f in body["FailedItems"]] == [
        (1, "InvalidArgument"), (2, "DuplicateReference")]
    assert body["FailedItems"][1]["ErrorMessage"] == DUPLICATE
    assert references(client) == []
    good = bulk(client, "AllOrNothing", [{"Reference": "B-1"}, {"Reference": "B-2"}]).json()
    assert good == {**good, "Success": True, "FailedItems": []}
    assert references(client) == ["B-1", "B-2"]


def test_bulk_stop_on_first_failure_and_process_all(orchestrator):
    client = orchestrator("Shared/Support")
    stop = bulk(client, "StopOnFirstFailure", BATCH).json()
    assert stop["Success"] is False
    assert [f["Ordinal"] for f in stop["FailedItems"]] == [1]
    assert references(client) == ["B-1"]
    every = bulk(client, "processallindependently", [
        {"Reference": "B-1"}, {"Reference": "C-2"}, {"Reference": "C-2"}, {"Reference": "C-4"}]
    ).json()
    assert [(f["Ordinal"], f["ErrorCode"]) for f in every["FailedItems"]] == [
        (0, "DuplicateReference"), (2, "DuplicateReference")]
    assert every["Message"] == "2 of 4 items were added; 2 failed."
    assert references(client) == ["B-1", "C-2", "C-4"]


def test_bulk_schema_failures_and_the_standalone_shape(orchestrator):
    client = orchestrator("Finance", cloud=False)
    body = bulk(client, "ProcessAllIndependently", [
        {"SpecificContent": GOOD}, {"SpecificContent": {**GOOD, "Currency": "JPY"}}],
        "InvoiceIntake").json()
    assert list(body) == ["@odata.context", "success", "message", "failedItems"]
    assert body["success"] is False
    failure = body["failedItems"][0]
    assert failure["Ordinal"] == 1 and failure["ErrorCode"] == "QueueItemSchemaViolationException"
    assert "Currency" in failure["ErrorMessage"]


def test_bulk_refusals(orchestrator):
    client = orchestrator("Shared/Support")
    assert "commitType is required" in refused(bulk(client, "Sometimes", []), 400, 1000)
    assert "commitType is required" in refused(bulk(client, "0", []), 400, 1000)
    assert refused(bulk(client, "AllOrNothing", [], "Nope"), 404, 1002)
    assert "queueName is required" in refused(bulk(client, "AllOrNothing", [], ""), 400, 1000)
    assert "queueItems must be an array" in refused(client.post(BULK, json={
        "queueName": "Notes", "commitType": "AllOrNothing", "queueItems": {}}), 400, 1000)


# ----------------------------------------------------------------------------- queue items


def test_queue_items_filters_order_and_expand(orchestrator):
    client = orchestrator("Shared/Support")
    ids = [add(client, "Notes", Reference=f"N-{n}").json()["Id"] for n in range(3)]
    reset = add(client, "AccountResets", Reference="T-1").json()

    def found(**params) -> list:
        response = client.get("/odata/QueueItems", params=params)
        assert response.status_code == 200, response.text
        return [i["Id"] for i in response.json()["value"]]

    assert found(**{"$filter": "QueueDefinitionId eq 2", "$orderby": "Id desc"}) == ids[::-1]
    assert found(**{"$filter": "QueueDefinitionId eq 2 and Reference eq 'n-1'"}) == [ids[1]]
    assert found(**{"$filter": "Status eq 'New'"}) == [*ids, reset["Id"]]
    assert found(**{"$filter": "Status eq '0' and QueueDefinitionId eq 3"}) == [reset["Id"]]
    assert found(**{"$filter": f"Key eq {reset['Key']}"}) == [reset["Id"]]
    assert found(**{"$filter": f"Id in ({ids[0]}, {ids[2]})"}) == [ids[0], ids[2]]
    body = client.get("/odata/QueueItems", params={"$expand": "Robot,QueueDefinition",
                                                   "$top": "1", "$count": "true"}).json()
    assert body["@odata.count"] == 4 and body["value"][0]["Robot"] is None
    assert body["value"][0]["QueueDefinition"]["Name"] == "Notes"
    assert refused(orchestrator("Finance").get(f"/odata/QueueItems({ids[0]})"), 404, 1002)
    assert refused(client.get("/odata/QueueItems", params={"$filter": "Status eq 'Done'"}),
                   400, 1000)


def test_queue_items_list_is_rate_limited():
    with Sandbox(SandboxConfig(queue_items_rate_limit=2)) as sandbox, httpx.Client(
            base_url=sandbox.cloud_url, headers={
                "Authorization": f"Bearer {DEMO.personal_access_token}",
                "X-UIPATH-FolderPath": "Finance"}) as client:
        item = add(client, SpecificContent=GOOD).json()
        assert [client.get("/odata/QueueItems").status_code for _ in range(2)] == [200, 200]
        limited = client.get("/odata/QueueItems")
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
        assert limited.json()["message"].startswith(
            "Too many requests: GET /odata/QueueItems is limited to 2 requests per minute")
        assert "single queue items with /odata/QueueItems({Id})" in limited.json()["message"]
        assert client.get(f"/odata/QueueItems({item['Id']})").status_code == 200
        assert client.get("/odata/Jobs").status_code == 200  # its own budget


def test_queue_scopes(sandbox):
    def token(scope: str) -> str:
        return httpx.post(sandbox.identity_url, data={
            "grant_type": "client_credentials", "client_id": DEMO.client_id,
            "client_secret": DEMO.client_secret, "scope": scope}).json()["access_token"]

    headers = {"Authorization": f"Bearer {token('OR.Queues.Read')}",
               "X-UIPATH-FolderPath": "Finance"}
    assert httpx.get(sandbox.orchestrator_url + "/odata/QueueItems",
                     headers=headers).status_code == 200
    denied = httpx.post(sandbox.orchestrator_url + ADD, headers=headers,
                        json={"itemData": {"Name": "InvoiceIntake"}})
    assert denied.status_code == 403 and "OR.Queues.Write" in denied.json()["message"]


@pytest.mark.parametrize("settings,message", [
    ({"item_processing_seconds": -1}, "item_processing_seconds must not be negative"),
    ({"item_processing_seconds": math.inf}, "item_processing_seconds must be a finite number"),
    ({"queue_items_rate_limit": 0}, "queue_items_rate_limit must be at least 1"),
])
def test_config_checks_the_queue_settings(settings, message):
    with pytest.raises(ValueError, match=message):
        SandboxConfig(**settings)


# ----------------------------------------------------------------------------- the SDK


def sdk_headers(sandbox: Sandbox, operation: str, folder: dict) -> dict:
    """The headers uipath-platform's BaseService sends (httpx adds Content-Type for ``json=``)."""
    return {"Accept": "application/json",
            "Authorization": f"Bearer {DEMO.personal_access_token}",
            "x-uipath-user-agent": f"UiPath.Python.Sdk/UiPath.Python.Sdk.Activities."
                                   f"QueuesService.{operation}/0.2.20",
            "x-uipath-traceparent-id": "00-" + "1" * 32 + "-" + "2" * 16 + "-01", **folder}


def test_official_python_sdk_requests(sandbox):
    """The requests of UiPath's Python SDK ``QueuesService.create_item`` / ``create_items``, as
    read in UiPath/uipath-python ``packages/uipath-platform/src/uipath/platform/orchestrator/
    _queues_service.py`` and ``queues.py`` (uipath-platform 0.2.20, commit c8ca9d7): the URL is
    ``{base_url}/{org}/{tenant}`` + ``/orchestrator_/odata/Queues/UiPathODataSvc.AddQueueItem``
    (``…BulkAddQueueItems``); the folder goes in ``x-uipath-folderpath`` (or
    ``x-uipath-folderpath-encoded``: Base64 of UTF-16LE, for non-ASCII paths; or
    ``x-uipath-folderkey``); the item is ``QueueItem.model_dump(mode="json", exclude_unset=True,
    by_alias=True)`` (PascalCase, datetimes as ``isoformat()``) with ``Name`` set to the queue
    name, in ``{"itemData": …}``; bulk items are dumped the same way without ``Name``. The SDK
    calls ``raise_for_status()`` and returns ``response.json()``."""
    url = f"{sandbox.base_url}/{DEMO.organization}/{DEMO.tenant}/orchestrator_/odata/Queues/"
    defer = datetime(2025, 6, 30, 8, 0, 0, 123456, tzinfo=timezone.utc).isoformat()
    item = {"Priority": "High", "SpecificContent": {**GOOD, "Tags": ["sdk"]},
            "DeferDate": defer, "DueDate": datetime(2025, 7, 1, 17, 0).isoformat(),
            "Reference": "SDK-1", "Name": "InvoiceIntake"}
    created = httpx.post(url + "UiPathODataSvc.AddQueueItem", json={"itemData": item},
                         headers=sdk_headers(sandbox, "create_item",
                                             {"x-uipath-folderpath": "Finance"}))
    created.raise_for_status()
    body = created.json()
    assert created.status_code == 201 and body["Reference"] == "SDK-1"
    assert body["DeferDate"] == "2025-06-30T08:00:00.123456Z"
    assert body["DueDate"] == "2025-07-01T17:00:00Z"  # a naive datetime is taken as UTC
    assert isinstance(body["Id"], int) and body["Status"] == "New"

    encoded = base64.b64encode("Shared/Support".encode("utf-16-le")).decode("ascii")
    folders = [{"x-uipath-folderpath-encoded": encoded},
               {"x-uipath-folderkey": "c7d2f0a8-51e4-4b8e-a0f3-9e8d7c6b5a42"}]
    for number, folder in enumerate(folders):
        response = httpx.post(url + "UiPathODataSvc.BulkAddQueueItems", headers=sdk_headers(
            sandbox, "create_items", folder), json={
            "queueName": "AccountResets", "commitType": "ProcessAllIndependently",
            "queueItems": [{"Priority": "Low", "Reference": f"SDK-{number}"},
                           {"SpecificContent": {"UserEmail": "ada@example.com"},
                            "Reference": f"SDK-{number}"}]})
        response.raise_for_status()
        result = response.json()
        assert result["Success"] is False
        assert result["FailedItems"] == [{"Ordinal": 1, "ErrorCode": "DuplicateReference",
                                          "ErrorMessage": "Error creating Transaction. "
                                                          "Duplicate Reference."}]


def test_seeded_queues_draw_no_random_keys():
    """Seeding the queues leaves the tenant's seeded key sequence (job keys) unchanged."""
    from tui_app.sandbox.seed import build_tenant, seed_demo, seed_operations
    from tui_app.sandbox.tenant import Tenant

    config = SandboxConfig()
    without = Tenant(config)
    seed_demo(without, config)
    seed_operations(without)
    assert build_tenant(config).new_key() == without.new_key()
