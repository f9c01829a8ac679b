"""Job attachments on the cloud shape: create, upload the blob, read it back; ``InputFile``
and the ``OutputFile`` of a job whose output arguments are over 10,000 characters."""

from __future__ import annotations

import json

import httpx
import pytest
from support import ClockedOrchestrator

ATTACHMENTS = "/odata/Attachments"


@pytest.fixture
def orch(sandbox):
    clocked = ClockedOrchestrator(sandbox)
    yield clocked
    clocked.close()


@pytest.fixture
def cloud(orch):
    return orch.client("Operations", base=orch.sandbox.cloud_url)


def refused(response, status: int, code: int, words: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["errorCode"] == code and words in body["message"], body


def upload(cloud: httpx.Client, content: bytes, name: str = "input.json") -> str:
    created = cloud.post(ATTACHMENTS, json={"Name": name})
    assert created.status_code == 201, created.text
    access = created.json()["BlobFileAccess"]
    headers = dict(zip(access["Headers"]["Keys"], access["Headers"]["Values"]))
    assert httpx.put(access["Uri"], content=content, headers=headers).status_code == 201
    return created.json()["Id"]


def test_create_upload_and_read_an_attachment(cloud, orch):
    created = cloud.post(ATTACHMENTS, json={"Name": "input.json"})
    assert created.status_code == 201
    body = created.json()
    assert list(body) == ["@odata.context", "Name", "LastModificationTime",
                          "LastModifierUserId", "CreationTime", "CreatorUserId", "Id",
                          "BlobFileAccess"]
    assert body["Name"] == "input.json" and len(body["Id"]) == 36
    access = body["BlobFileAccess"]
    assert access["Headers"] == {"Keys": ["x-ms-blob-type"], "Values": ["BlockBlob"]}
    assert access["RequiresAuth"] is False
    assert access["Uri"].startswith(orch.sandbox.base_url + "/sandbox-blobs/" + body["Id"])
    missing = httpx.put(access["Uri"], content=b"{}")
    assert missing.status_code == 400
    assert "<Code>MissingRequiredHeader</Code>" in missing.text
    wrong = httpx.put(access["Uri"], content=b"{}", headers={"x-ms-blob-type": "Folder"})
    assert "<Code>InvalidHeaderValue</Code>" in wrong.text
    assert httpx.get(access["Uri"]).status_code == 404  # nothing uploaded yet
    assert httpx.put(access["Uri"], content=b'{"A":1}',
                     headers={"x-ms-blob-type": "BlockBlob"}).status_code == 201
    read = cloud.get(f"{ATTACHMENTS}({body['Id']})").json()
    assert read["Name"] == "input.json" and read["BlobFileAccess"]["Headers"]["Keys"] == []
    assert httpx.get(read["BlobFileAccess"]["Uri"]).content == b'{"A":1}'
    forged = access["Uri"].split("sig=")[0] + "sig=forged"
    assert httpx.get(forged).status_code == 403
    assert cloud.delete(f"{ATTACHMENTS}({body['Id']})").status_code == 204
    refused(cloud.get(f"{ATTACHMENTS}({body['Id']})"), 404, 1002, "Attachment not found")


@pytest.mark.parametrize("body", [{}, {"Name": ""}, {"Name": "x" * 257}, {"Name": 5}])
def test_an_attachment_needs_a_name_of_1_to_256_characters(cloud, body):
    refused(cloud.post(ATTACHMENTS, json=body), 400, 1000, "Name")


def test_attachments_are_v20_only(orch):
    standalone = orch.client("Operations")
    assert standalone.post(ATTACHMENTS, json={"Name": "a"}).status_code == 404
    assert standalone.get(ATTACHMENTS + "(9f0e3c1a-4b2d-4e6f-8a7c-1d3e5f7a9b0c)"
                          ).status_code == 404


def test_an_attachment_of_another_folder_is_not_found(orch, cloud):
    attachment = upload(cloud, b"{}")
    other = orch.client("Finance", base=orch.sandbox.cloud_url)
    refused(other.get(f"{ATTACHMENTS}({attachment})"), 404, 1002, "Attachment not found")


def test_start_with_an_input_file_over_10000_characters(orch, cloud):
    arguments = {"InvoiceNumber": "INV-" + "9" * 12_000}
    attachment = upload(cloud, json.dumps(arguments).encode())
    response = cloud.post(orch.START, json={"startInfo": {
        "ReleaseName": "SapInvoicePosting", "InputFile": attachment}})
    assert response.status_code == 201, response.text
    [job] = response.json()["value"]
    assert (job["InputFile"], job["InputArguments"]) == (attachment, None)
    orch.wait(1.0)
    assert cloud.get(f"/odata/Jobs({job['Id']})").json()["State"] == "Successful"


def test_an_input_file_that_fails_the_job_like_input_arguments(orch, cloud):
    attachment = upload(cloud, b'{"InvoiceNumber": "FAIL please"}')
    response = cloud.post(orch.START, json={"startInfo": {
        "ReleaseName": "SapInvoicePosting", "InputFile": attachment}})
    orch.wait(1.0)
    assert cloud.get(f"/odata/Jobs({response.json()['value'][0]['Id']})").json()[
        "State"] == "Faulted"


def test_input_file_refusals(orch, cloud):
    start = {"ReleaseName": "SapInvoicePosting"}
    refused(cloud.post(orch.START, json={"startInfo": {
        **start, "InputFile": "0f8fad5b-d9cb-469f-a165-70867728950e"}}), 404, 1002,
        "does not exist")
    for content in (b"[1, 2]", b"not json", b"\xff\xfe", None):
        created = cloud.post(ATTACHMENTS, json={"Name": "bad.json"}).json()
        if content is not None:
            httpx.put(created["BlobFileAccess"]["Uri"], content=content,
                      headers={"x-ms-blob-type": "BlockBlob"})
        refused(cloud.post(orch.START, json={"startInfo": {**start, "InputFile": created["Id"]}}),
                400, 1000, "must hold a JSON object")
    attachment = upload(cloud, b"{}")
    refused(cloud.post(orch.START, json={"startInfo": {
        **start, "InputFile": attachment, "InputArguments": "{}"}}), 400, 1000,
        "both input file and input arguments")


def test_output_over_10000_characters_comes_back_as_an_output_file(orch, cloud):
    started = orch.start("Operations", ReleaseName="AuditExport")
    orch.wait(1.0)
    job = cloud.get(f"/odata/Jobs({started['Id']})").json()
    assert job["State"] == "Successful"
    assert job["OutputArguments"] is None and job["OutputFile"]
    read = cloud.get(f"{ATTACHMENTS}({job['OutputFile']})").json()
    output = json.loads(httpx.get(read["BlobFileAccess"]["Uri"]).content)
    assert len(output["AuditLog"]) == 12_000 and output["Entries"] == started["Id"]
    # The standalone shape (v18 JobDto has no OutputFile) keeps them inline.
    standalone = orch.client("Operations").get(f"/odata/Jobs({started['Id']})").json()
    assert "OutputFile" not in standalone
    assert json.loads(standalone["OutputArguments"]) == output
    small = orch.start("Operations", ReleaseName="OpsReportSuite")
    orch.wait(1.0)
    shown = cloud.get(f"/odata/Jobs({small['Id']})").json()
    assert shown["OutputFile"] is None and json.loads(shown["OutputArguments"])
