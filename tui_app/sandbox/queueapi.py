"""The queue endpoints and their wire shapes (``QueueDefinitionDto``, ``QueueItemDto``).

- ``GET /odata/QueueDefinitions`` (OData options; names compare without regard to case) and
  ``GET /odata/QueueDefinitions({Id})``: the folder's queues (unknown: 404 / 1002).
- ``POST /odata/Queues/UiPathODataSvc.AddQueueItem`` ``{"itemData": QueueItemDataDto}`` →
  201 ``QueueItemDto``. Checked in this order: the ``QueueItemDataDto`` fields (400), the queue
  ``Name`` (missing 400, unknown 404 / 1002), the schema (400), the unique reference (409);
  see ``tui_app.sandbox.queues`` for the codes.
- ``POST /odata/Queues/UiPathODataSvc.BulkAddQueueItems`` ``{queueName, commitType,
  queueItems}`` → 200 ``BulkOperationResponseDtoOfFailedQueueItemDto``: ``Success``,
  ``Message``, ``FailedItems`` ``[{Ordinal, ErrorCode, ErrorMessage}]`` on the cloud shape (v20),
  ``success`` / ``message`` / ``failedItems`` on the standalone shape (v18). ``AllOrNothing``
  adds nothing when an item fails (every failure is reported); ``StopOnFirstFailure`` keeps the
  items before the first failure and reports it; ``ProcessAllIndependently`` adds every valid
  item and reports the others (the semantics are read from the names: UNCONFIRMED). An unknown
  queue is 404 / 1002 for the whole call, a bad ``commitType`` or ``queueItems`` 400.
- ``GET /odata/QueueItems`` (OData options, ``$expand=Robot,QueueDefinition``; rate-limited
  like ``GET /odata/Jobs``), ``GET /odata/QueueItems({Id})`` and
  ``GET /odata/QueueItems/UiPathODataSvc.GetItemLastRetryByKey(key={uuid})`` (the attempt with
  the highest ``RetryNumber``): items of the folder's queues; unknown: 404 / 1002 "Queue Item
  does not exist.".

``SpecificContent`` / ``Output`` are answered as sent / produced; ``SpecificData`` /
``OutputData`` hold ``{"DynamicProperties": …}`` JSON text (UNCONFIRMED shape). v20 items have
``Error`` (``QueueItemErrorDto``, the sandbox's own codes ``Queue.BusinessException`` /
``Queue.ApplicationException``); v18 items do not.
"""

from __future__ import annotations

import base64
import json
from typing import Optional

from tui_app.sandbox import dtos
from tui_app.sandbox.dtos import DT, I32, I64, NS, B, G, S, format_time
from tui_app.sandbox.edm import Complex, EntityType, EnumType, Lazy, Navigation
from tui_app.sandbox.endpoints import Context, _collection, _json_object, _single
from tui_app.sandbox.queues import (
    ENUMS,
    INVALID_CODE,
    ITEM_STATUSES,
    PRIORITIES,
    ItemRefused,
    QueueDefinition,
    QueueItem,
    duplicate_refusal,
    parse_item,
)
from tui_app.sandbox.tenant import Tenant
from tui_app.sandbox.wire import ApiError, Response, get_ci, json_response

UNTYPED = "Edm.Untyped"
EXCEPTION_TYPES = EnumType(ENUMS + "ProcessingExceptionType",
                           ("ApplicationException", "BusinessException"))
COMMIT_TYPES = EnumType(ENUMS + "BulkAddQueueItemsCommitType",
                        ("AllOrNothing", "StopOnFirstFailure", "ProcessAllIndependently"))

QUEUE_DEFINITION = EntityType(NS + "QueueDefinitionDto", dict(
    Key=G, Name=S, Description=S, MaxNumberOfRetries=I32, AcceptAutomaticallyRetry=B,
    RetryAbandonedItems=B, EnforceUniqueReference=B, Encrypted=B, SpecificDataJsonSchema=S,
    OutputDataJsonSchema=S, AnalyticsDataJsonSchema=S, CreationTime=DT, ProcessScheduleId=I64,
    SlaInMinutes=I32, RiskSlaInMinutes=I32, ReleaseId=I64, IsProcessInCurrentFolder=B,
    FoldersCount=I32, OrganizationUnitId=I64, OrganizationUnitFullyQualifiedName=S,
    Tags=f"Collection({NS}TagDto)", Id=I64), ignore_case=True)
PROCESSING_EXCEPTION = EntityType(NS + "ProcessingExceptionDto", dict(
    Reason=S, Details=S, Type=EXCEPTION_TYPES, AssociatedImageFilePath=S, CreationTime=DT))
QUEUE_ITEM_ERROR = EntityType(NS + "QueueItemErrorDto", dict(
    Code=S, Title=S, Detail=S, Category=S, Status=I32, Timestamp=DT))
#: ``ReviewerUser`` is always null here: only a few ``SimpleUserDto`` properties are declared.
SIMPLE_USER = EntityType(NS + "SimpleUserDto", dict(
    Name=S, Surname=S, UserName=S, FullName=S, EmailAddress=S, Key=G, Id=I64))

_ITEM_V20 = dict(
    QueueDefinitionId=I64, QueueDefinition=Navigation(QUEUE_DEFINITION),
    ProcessingException=Complex(PROCESSING_EXCEPTION), Error=Complex(QUEUE_ITEM_ERROR),
    Encrypted=B, SpecificContent=UNTYPED, Output=UNTYPED, OutputData=S, Analytics=UNTYPED,
    AnalyticsData=S, Status=ITEM_STATUSES,
    ReviewStatus=EnumType(ENUMS + "QueueItemReviewStatus",
                          ("None", "InReview", "Verified", "Retried")),
    ReviewerUserId=I64, ReviewerUser=Navigation(SIMPLE_USER), Key=G, Reference=S,
    ProcessingExceptionType=EXCEPTION_TYPES, DueDate=DT, RiskSlaDate=DT, Priority=PRIORITIES,
    Robot=Navigation(dtos.ROBOT), RobotId=I64, CreatorJobKey=G, ExecutorJobKey=G, DeferDate=DT,
    StartProcessing=DT, EndProcessing=DT, SecondsInPreviousAttempts=I32, AncestorId=I64,
    AncestorUniqueKey=G, RetryNumber=I32, ManualAncestorId=I64, ManualAncestorUniqueKey=G,
    ManualRetryNumber=I32, UniqueKey=G, HasVideoRecorded=B, SpecificData=S, CreationTime=DT,
    Progress=S, RowVersion=S, ParentOperationId=S, OperationId=S, OrganizationUnitId=I64,
    OrganizationUnitFullyQualifiedName=S, Id=I64)
QUEUE_ITEM_V20 = EntityType(NS + "QueueItemDto", _ITEM_V20, ignore_case=True)
QUEUE_ITEM = EntityType(NS + "QueueItemDto",
                        {k: v for k, v in _ITEM_V20.items() if k != "Error"}, ignore_case=True)
BULK_CONTEXT = NS + "BulkOperationResponseDtoOfFailedQueueItemDto"
ITEM_NOT_FOUND = "Queue Item does not exist."


def item_type(cloud: bool) -> EntityType:
    return QUEUE_ITEM_V20 if cloud else QUEUE_ITEM


def definition_entity(tenant: Tenant, queue: QueueDefinition) -> dict:
    folder = tenant.folders[queue.folder_id]
    release = tenant.releases.get(queue.release_id) if queue.release_id is not None else None
    return {
        "Key": queue.key, "Name": queue.name, "Description": queue.description or None,
        "MaxNumberOfRetries": queue.max_number_of_retries,
        "AcceptAutomaticallyRetry": queue.accept_automatically_retry,
        "RetryAbandonedItems": queue.retry_abandoned_items,
        "EnforceUniqueReference": queue.enforce_unique_reference, "Encrypted": False,
        "SpecificDataJsonSchema": queue.specific_data_json_schema,
        "OutputDataJsonSchema": None, "AnalyticsDataJsonSchema": None,
        "CreationTime": format_time(queue.created_at), "ProcessScheduleId": None,
        "SlaInMinutes": queue.sla_in_minutes, "RiskSlaInMinutes": queue.risk_sla_in_minutes,
        "ReleaseId": queue.release_id,
        "IsProcessInCurrentFolder": release is not None and release.folder_id == folder.id,
        "FoldersCount": 1, "OrganizationUnitId": folder.id,
        "OrganizationUnitFullyQualifiedName": folder.fully_qualified_name, "Tags": [],
        "Id": queue.id,
    }


def _dynamic(values: Optional[dict]) -> Optional[str]:
    return None if values is None else json.dumps({"DynamicProperties": values},
                                                  separators=(",", ":"))


def item_entity(tenant: Tenant, item: QueueItem, cloud: bool) -> dict:
    queue = tenant.queues.definitions[item.queue_id]
    folder = tenant.folders[queue.folder_id]
    robot = tenant.robots.get(item.robot_id) if item.robot_id is not None else None
    problem = item.exception
    data = item.data
    business = problem is not None and problem.type == "BusinessException"
    entity = {
        "QueueDefinitionId": queue.id,
        "QueueDefinition": Lazy(lambda: definition_entity(tenant, queue)),
        "ProcessingException": None if problem is None else {
            "Reason": problem.reason, "Details": problem.details, "Type": problem.type,
            "AssociatedImageFilePath": None, "CreationTime": format_time(problem.created_at)},
        "Error": None if problem is None else {
            "Code": f"Queue.{problem.type}", "Title": problem.reason, "Detail": problem.details,
            "Category": "User" if business else "System", "Status": None,
            "Timestamp": format_time(problem.created_at)},
        "Encrypted": False, "SpecificContent": data.specific_content, "Output": item.output,
        "OutputData": _dynamic(item.output), "Analytics": None, "AnalyticsData": None,
        "Status": item.status, "ReviewStatus": "None", "ReviewerUserId": None,
        "ReviewerUser": None, "Key": item.key, "Reference": data.reference,
        "ProcessingExceptionType": problem.type if problem else None,
        "DueDate": format_time(data.due_date), "RiskSlaDate": format_time(data.risk_sla_date),
        "Priority": data.priority,
        "Robot": Lazy(lambda: dtos.robot_entity(tenant, robot) if robot else None),
        "RobotId": item.robot_id, "CreatorJobKey": None, "ExecutorJobKey": None,
        "DeferDate": format_time(data.defer_date),
        "StartProcessing": format_time(item.started_at),
        "EndProcessing": format_time(item.ended_at),
        "SecondsInPreviousAttempts": item.seconds_in_previous_attempts,
        "AncestorId": item.ancestor_id, "AncestorUniqueKey": item.ancestor_unique_key,
        "RetryNumber": item.retry_number, "ManualAncestorId": None,
        "ManualAncestorUniqueKey": None, "ManualRetryNumber": 0, "UniqueKey": item.unique_key,
        "HasVideoRecorded": False, "SpecificData": _dynamic(data.specific_content),
        "CreationTime": format_time(item.created_at), "Progress": data.progress,
        "RowVersion": base64.b64encode(item.version.to_bytes(8, "big")).decode("ascii"),
        "ParentOperationId": data.parent_operation_id, "OperationId": None,
        "OrganizationUnitId": folder.id,
        "OrganizationUnitFullyQualifiedName": folder.fully_qualified_name, "Id": item.id,
    }
    return {name: entity[name] for name in item_type(cloud).properties}


# ----------------------------------------------------------------------------- handlers


def list_queue_definitions(ctx: Context) -> Response:
    queues = [definition_entity(ctx.tenant, q)
              for q in ctx.tenant.queues.in_folder(ctx.current_folder.id)]
    return _collection(ctx, "QueueDefinitions", QUEUE_DEFINITION, queues)


def get_queue_definition(ctx: Context) -> Response:
    queue = ctx.tenant.queues.definitions.get(int(ctx.params[0]))
    if queue is None or queue.folder_id != ctx.current_folder.id:
        raise ApiError(404, f"Queue {ctx.params[0]} does not exist.", 1002)
    return _single(ctx, "QueueDefinitions", QUEUE_DEFINITION,
                   definition_entity(ctx.tenant, queue))


def _queue(ctx: Context, name: object, field: str) -> QueueDefinition:
    if not isinstance(name, str) or not name.strip():
        raise ApiError(400, f"{field} is required: the name of the queue.", INVALID_CODE)
    queue = ctx.tenant.queues.named(ctx.current_folder.id, name)
    if queue is None:  # 404 / 1002 UNCONFIRMED
        raise ApiError(404, f"The queue {json.dumps(name)} does not exist in folder "
                            f"'{ctx.current_folder.fully_qualified_name}'.", 1002)
    return queue


def add_queue_item(ctx: Context) -> Response:
    item_data = get_ci(_json_object(ctx), "itemData")
    data = parse_item(item_data, ctx.cloud)
    queue = _queue(ctx, get_ci(item_data, "Name"), "itemData.Name")
    ctx.tenant.advance(ctx.now)
    refusal = ctx.tenant.queues.refusal(queue, data)
    if refusal is not None:
        raise refusal
    item = ctx.tenant.queues.add(queue, data, ctx.now)
    response = _single(ctx, "QueueItems", item_type(ctx.cloud),
                       item_entity(ctx.tenant, item, ctx.cloud))
    response.status = 201
    return response


def _attempt(ctx: Context, queue: QueueDefinition, raw: object, batch: set) -> tuple:
    """(checked item data, None) or (None, the refusal); ``batch``: the references of the
    call's earlier items that passed (AllOrNothing adds them only at the end)."""
    try:
        data = parse_item(raw, ctx.cloud)
    except ItemRefused as exc:
        return None, exc
    refusal = ctx.tenant.queues.refusal(queue, data)
    reference = (data.reference or "").lower()
    if refusal is None and queue.enforce_unique_reference and data.reference is not None:
        if reference in batch:
            refusal = duplicate_refusal()
        batch.add(reference)
    return (None, refusal) if refusal else (data, None)


def bulk_add_queue_items(ctx: Context) -> Response:
    body = _json_object(ctx)
    raw_commit = get_ci(body, "commitType")
    commit = COMMIT_TYPES.member(raw_commit) if isinstance(raw_commit, str) else None
    if commit is None or raw_commit.strip().isdigit():
        raise ApiError(400, "commitType is required: AllOrNothing, StopOnFirstFailure or "
                            "ProcessAllIndependently.", INVALID_CODE)
    items = get_ci(body, "queueItems")
    if items is None:
        items = []
    if not isinstance(items, list):
        raise ApiError(400, "queueItems must be an array of QueueItemDataDto objects.",
                       INVALID_CODE)
    queue = _queue(ctx, get_ci(body, "queueName"), "queueName")
    ctx.tenant.advance(ctx.now)
    book = ctx.tenant.queues
    failed: list = []
    ready: list = []
    batch: set = set()
    for ordinal, raw in enumerate(items):
        data, refusal = _attempt(ctx, queue, raw, batch)
        if refusal is not None:
            failed.append((ordinal, refusal))
            if commit == "StopOnFirstFailure":
                break
        else:
            ready.append(data)
            if commit != "AllOrNothing":
                book.add(queue, data, ctx.now)
    if commit == "AllOrNothing":
        ready = [] if failed else ready
        for data in ready:
            book.add(queue, data, ctx.now)
    added = len(ready)
    message = _bulk_message(commit, queue.name, len(items), added, failed)
    names = ("Success", "Message", "FailedItems") if ctx.cloud else (
        "success", "message", "failedItems")
    return json_response(200, {
        "@odata.context": ctx.metadata(BULK_CONTEXT),
        names[0]: not failed, names[1]: message,
        names[2]: [{"Ordinal": ordinal, "ErrorCode": refusal.name,
                    "ErrorMessage": refusal.message} for ordinal, refusal in failed],
    }, odata=True)


def _bulk_message(commit: str, queue: str, total: int, added: int, failed: list) -> str:
    if not failed:
        return f"{total} of {total} items were added to the queue {queue}."
    if commit == "AllOrNothing":
        return f"No item was added: {len(failed)} of {total} items failed."
    if commit == "StopOnFirstFailure":
        return (f"{added} of {total} items were added; the item at ordinal {failed[0][0]} "
                "failed, so the rest were not tried.")
    return f"{added} of {total} items were added; {len(failed)} failed."


def list_queue_items(ctx: Context) -> Response:
    ctx.tenant.advance(ctx.now)
    items = [item_entity(ctx.tenant, item, ctx.cloud)
             for item in ctx.tenant.queues.items_in(ctx.current_folder.id)]
    return _collection(ctx, "QueueItems", item_type(ctx.cloud), items)


def _item_answer(ctx: Context, item: Optional[QueueItem]) -> Response:
    if item is None:
        raise ApiError(404, ITEM_NOT_FOUND, 1002)
    return _single(ctx, "QueueItems", item_type(ctx.cloud),
                   item_entity(ctx.tenant, item, ctx.cloud))


def get_queue_item(ctx: Context) -> Response:
    ctx.tenant.advance(ctx.now)
    item = ctx.tenant.queues.items.get(int(ctx.params[0]))
    folder_queues = {q.id for q in ctx.tenant.queues.in_folder(ctx.current_folder.id)}
    return _item_answer(ctx, item if item and item.queue_id in folder_queues else None)


def last_retry_by_key(ctx: Context) -> Response:
    ctx.tenant.advance(ctx.now)
    return _item_answer(ctx, ctx.tenant.queues.last_retry(ctx.current_folder.id,
                                                          ctx.params[1]))
