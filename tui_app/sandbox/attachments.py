"""Job attachments (API v20, so the cloud shape only): ``/odata/Attachments`` and their blobs.

``POST /odata/Attachments`` ``{"Name": "…"}`` (1–256 characters) answers 201 with the
``AttachmentDto`` plus ``BlobFileAccess {Uri, Headers {Keys, Values}, RequiresAuth}`` as the real
wire does (the spec's ``AttachmentDto`` lacks it): ``PUT`` the bytes to ``Uri`` with those
headers. ``GET /odata/Attachments({key})`` answers the same with a ``BlobFileAccess`` for
reading (404 "Attachment not found", errorCode 1002: the number is UNCONFIRMED);
``DELETE`` answers 204. The blob ``Uri`` is on this sandbox (``/sandbox-blobs/{id}?sig=…``,
no bearer token, like an Azure SAS URL): ``PUT`` needs ``x-ms-blob-type: BlockBlob`` (else 400
``MissingRequiredHeader``, an Azure-style XML error) and answers 201; ``GET`` answers the bytes
(404 ``BlobNotFound`` before an upload); a wrong ``sig`` is 403 ``AuthenticationFailed``.
Attachments belong to the folder the headers name.
"""

from __future__ import annotations

from urllib.parse import quote
from xml.sax.saxutils import escape

from tui_app.sandbox import dtos
from tui_app.sandbox.endpoints import Context
from tui_app.sandbox.odata import parse_query
from tui_app.sandbox.tenant import Attachment, Tenant
from tui_app.sandbox.wire import ApiError, Request, Response, get_ci, json_response

ATTACHMENT = dtos._type("AttachmentDto", Name=dtos.S, LastModificationTime=dtos.DT,
                        LastModifierUserId=dtos.I64, CreationTime=dtos.DT,
                        CreatorUserId=dtos.I64, Id=dtos.G)
BLOB_PREFIX = "/sandbox-blobs/"
NOT_FOUND = "Attachment not found"


def _entity(ctx: Context, attachment: Attachment, upload: bool) -> dict:
    host = ctx.request.header("host") or "localhost"
    headers = ({"Keys": ["x-ms-blob-type"], "Values": ["BlockBlob"]} if upload
               else {"Keys": [], "Values": []})
    return {
        "Name": attachment.name, "LastModificationTime": None, "LastModifierUserId": None,
        "CreationTime": dtos.format_time(attachment.created_at), "CreatorUserId": 1,
        "Id": attachment.id,
        "BlobFileAccess": {
            "Uri": f"http://{host}{BLOB_PREFIX}{attachment.id}?sv=2021-08-06&sr=b&"
                   f"sp={'cw' if upload else 'r'}&sig={quote(attachment.secret)}",
            "Headers": headers, "RequiresAuth": False},
    }


def _answer(ctx: Context, status: int, attachment: Attachment, upload: bool) -> Response:
    body = {"@odata.context": ctx.metadata("Attachments/$entity")}
    body.update(_entity(ctx, attachment, upload))
    return json_response(status, body, odata=True)


def create(ctx: Context) -> Response:
    body = ctx.request.json()
    name = get_ci(body, "Name") if isinstance(body, dict) else None
    if not isinstance(name, str) or not 1 <= len(name) <= 256:
        raise ApiError(400, "The Name field is required: a string of 1 to 256 characters.",
                       1000)
    attachment = ctx.tenant.add_attachment(name, ctx.current_folder.id, ctx.now)
    return _answer(ctx, 201, attachment, upload=True)


def _attachment(ctx: Context) -> Attachment:
    attachment = ctx.tenant.attachment(ctx.params[0], ctx.current_folder.id)
    if attachment is None:
        raise ApiError(404, NOT_FOUND, 1002)
    return attachment


def get(ctx: Context) -> Response:
    attachment = _attachment(ctx)
    parse_query(ctx.request.query, ATTACHMENT)  # refuses unknown options
    return _answer(ctx, 200, attachment, upload=False)


def delete(ctx: Context) -> Response:
    del ctx.tenant.attachments[_attachment(ctx).id]
    return Response(204)


def _blob_error(status: int, code: str, message: str, extra: str = "") -> Response:
    body = (f'<?xml version="1.0" encoding="utf-8"?><Error><Code>{code}</Code><Message>'
            f"{message}</Message>{extra}</Error>")
    return Response(status, body.encode("utf-8"), {"Content-Type": "application/xml",
                                                   "x-ms-error-code": code})


def blob(request: Request, tenant: Tenant, attachment_id: str, _cloud: bool) -> Response:
    """``PUT`` / ``GET`` of an attachment's blob (signed by ``sig``, no bearer token)."""
    attachment = tenant.attachments.get(attachment_id.lower())
    if attachment is None or request.query.get("sig") != attachment.secret:
        return _blob_error(403, "AuthenticationFailed", "Server failed to authenticate the "
                           "request. Make sure the value of Authorization header is formed "
                           "correctly including the signature.")
    if request.method == "GET":
        if attachment.content is None:
            return _blob_error(404, "BlobNotFound", "The specified blob does not exist.")
        return Response(200, attachment.content, {"Content-Type": "application/octet-stream",
                                                  "x-ms-blob-type": "BlockBlob"})
    blob_type = request.header("x-ms-blob-type")
    if blob_type is None:
        return _blob_error(400, "MissingRequiredHeader", "An HTTP header that's mandatory for "
                           "this request is not specified.",
                           "<HeaderName>x-ms-blob-type</HeaderName>")
    if blob_type not in ("BlockBlob", "AppendBlob", "PageBlob"):
        return _blob_error(400, "InvalidHeaderValue", "The value for one of the HTTP headers "
                           "is not in the correct format.",
                           "<HeaderName>x-ms-blob-type</HeaderName>"
                           f"<HeaderValue>{escape(blob_type)}</HeaderValue>")
    attachment.content = request.body
    return Response(201, b"", {"x-ms-request-server-encrypted": "true"})
