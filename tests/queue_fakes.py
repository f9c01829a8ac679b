"""A small in-memory Orchestrator with queues for httpx.MockTransport (the shapes of the
v20 spec: QueueDefinitionDto, AddQueueItem, QueueItemDto), until the sandbox has queues."""

from __future__ import annotations

import json
import re
import uuid

import httpx

BASE = "https://orch.example.com/acme/DefaultTenant/orchestrator_"
FOLDER = {"Id": 7, "Key": "f-7", "DisplayName": "Shared", "FullyQualifiedName": "Shared",
          "ProvisionType": "Automatic", "PermissionModel": "FineGrained"}
SCHEMA = json.dumps({
    "type": "object", "required": ["InvoiceNo", "Amount"],
    "properties": {
        "InvoiceNo": {"type": "string", "minLength": 3},
        "Amount": {"type": "number", "minimum": 0},
        "Paid": {"type": "boolean"},
        "Due": {"type": "string", "format": "date"},
        "Kind": {"type": "string", "enum": ["Standard", "Credit"]},
        "Address": {"type": "object", "required": ["City"],
                    "properties": {"City": {"type": "string"}}},
        "Tags": {"type": "array", "items": {"type": "string"}},
    },
})


def queue(i, name, *, unique=False, schema=None, **extra):
    data = {"Id": i, "Key": str(uuid.UUID(int=i)), "Name": name, "Description": f"{name} queue",
            "EnforceUniqueReference": unique, "SpecificDataJsonSchema": schema,
            "SlaInMinutes": 60, "RiskSlaInMinutes": 30, "ReleaseId": 3,
            "MaxNumberOfRetries": 1}
    data.update(extra)
    return data


class FakeOrchestrator:
    """Queues and items; ``script`` lists the statuses an item goes through, one per poll;
    ``add_answer`` makes AddQueueItem answer that status after storing the item (a lost
    answer), or ``refuse`` answers 400 without storing."""

    def __init__(self, queues=None):
        self.queues = queues if queues is not None else [
            queue(1, "Invoices", schema=SCHEMA), queue(2, "Tickets"),
            queue(3, "UniqueOrders", unique=True)]
        self.items: list = []
        self.requests: list = []
        self.script: list = ["InProgress", "Successful"]
        self.add_answer = None
        self.refuse = None
        self.output = {"Result": "done"}
        self.exception = None

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def _item(self, data, queue_id):
        number = len(self.items) + 1
        item = {"Id": 100 + number, "Key": str(uuid.UUID(int=1000 + number)), "Status": "New",
                "QueueDefinitionId": queue_id, "Reference": data.get("Reference"),
                "Priority": data.get("Priority", "Normal"),
                "SpecificContent": dict(data.get("SpecificContent") or {}),
                "CreationTime": "2025-01-01T00:00:00Z", "RetryNumber": 0,
                "Output": None, "ProcessingException": None}
        self.items.append(item)
        return item

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path.split("/orchestrator_", 1)[-1]
        params = request.url.params
        if path == "/odata/Folders":
            return httpx.Response(200, json={"value": [FOLDER], "@odata.count": 1})
        if path.endswith("GetCurrentUser"):
            return httpx.Response(200, json={"UserName": "robot-app", "Id": 5})
        if path == "/odata/QueueDefinitions":
            found = self.queues
            match = re.search(r"contains\(tolower\(Name\),'(.*)'\)", params.get("$filter", ""))
            if match:
                needle = match.group(1).replace("''", "'")
                found = [q for q in found if needle in q["Name"].lower()]
            return httpx.Response(200, json={"value": found, "@odata.count": len(found)})
        if path == "/odata/Queues/UiPathODataSvc.AddQueueItem":
            data = json.loads(request.content)["itemData"]
            if self.refuse is not None:
                return httpx.Response(400, json=self.refuse)
            target = next(q for q in self.queues if q["Name"].lower() == data["Name"].lower())
            if target["EnforceUniqueReference"] and any(
                    i["Reference"] == data.get("Reference") for i in self.items):
                return httpx.Response(409, json={
                    "message": "Error creating Transaction. Duplicate Reference.",
                    "errorCode": 1016})
            item = self._item(data, target["Id"])
            if self.add_answer is not None:
                return httpx.Response(self.add_answer, json={"message": "Bad gateway"})
            return httpx.Response(201, json=item)
        match = re.fullmatch(r"/odata/QueueItems\((\d+)\)", path)
        if match:
            item = next(i for i in self.items if i["Id"] == int(match.group(1)))
            if self.script and item["Status"] not in ("Successful", "Failed", "Abandoned"):
                item["Status"] = self.script.pop(0)
                if item["Status"] == "Successful":
                    item["Output"] = self.output
                if item["Status"] == "Failed":
                    item["ProcessingException"] = self.exception
            return httpx.Response(200, json=item)
        if path == "/odata/QueueItems":
            text = params.get("$filter", "")
            found = list(self.items)
            ref = re.search(r"QueueDefinitionId eq (\d+) and Reference eq '(.*)'", text)
            if ref:
                found = [i for i in found if i["QueueDefinitionId"] == int(ref.group(1))
                         and i["Reference"] == ref.group(2).replace("''", "'")]
            ids = re.search(r"Id in \(([\d,]+)\)", text)
            if ids:
                wanted = {int(x) for x in ids.group(1).split(",")}
                found = [i for i in found if i["Id"] in wanted]
            found.sort(key=lambda i: -i["Id"])
            return httpx.Response(200, json={"value": found, "@odata.count": len(found)})
        return httpx.Response(404, json={"message": f"no route {path}", "errorCode": 0})
