"""start_once: never a double start, and the honest outcome when the answer is lost."""

from __future__ import annotations

import asyncio
import socket
import ssl

import httpx
import pytest

from tui_app.orchestrator import (
    AuthenticationError,
    CertificateError,
    ClientCredentialsAuth,
    ConnectionFailed,
    NotFound,
    OrchestratorClient,
    PermissionDenied,
    ProtocolError,
    RateLimited,
    RequestRejected,
    RequestTimeout,
    ServerError,
    TokenAuth,
)
from tui_app.plan import new_reference
from tui_app.sandbox import DEMO, FaultConfig, parse_faults
from tui_app.starting import (
    AMBIGUOUS,
    NOT_SENT,
    REFUSED,
    classify_failure,
    start_once,
)

BASE = "https://orch.example.com/acme/DefaultTenant/orchestrator_"
START_PATH = "/odata/Jobs/UiPath.Server.Configuration.OData.StartJobs"
REF = "startjob:11111111-2222-4333-8444-555555555555"


class Sleeps:
    """An injected sleep that records the waits instead of waiting."""

    def __init__(self) -> None:
        self.calls: list = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def job(i: int, reference: str = REF) -> dict:
    return {"Id": i, "Key": f"key-{i}", "State": "Pending", "ReleaseName": "R",
            "Reference": reference}


def error_body(message: str, code: int = 0) -> dict:
    return {"message": message, "errorCode": code, "traceId": "00-abc-def-00"}


class Fake:
    """Orchestrator in memory: ``start`` answers StartJobs, ``lookups`` answer GET /odata/Jobs.

    Each item of ``lookups`` is used once (the last one repeats): a list of job dicts, an
    ``httpx.Response`` or an exception to raise.
    """

    def __init__(self, start, lookups=None) -> None:
        self.start = start
        self.lookups = list(lookups if lookups is not None else [[]])
        self.requests: list = []

    @property
    def posts(self) -> list:
        return [r for r in self.requests if r.method == "POST" and r.url.path.endswith(
            "StartJobs")]

    @property
    def gets(self) -> list:
        return [r for r in self.requests if r.method == "GET"]

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path.endswith("StartJobs"):
            reply = self.start(request) if callable(self.start) else self.start
        elif request.url.path.endswith("/odata/Jobs"):
            assert request.url.params["$filter"] == f"Reference eq '{REF}'"
            reply = self.lookups.pop(0) if len(self.lookups) > 1 else self.lookups[0]
            if isinstance(reply, list):
                reply = httpx.Response(200, json={"@odata.count": len(reply), "value": reply})
        else:
            reply = httpx.Response(404, json=error_body("no such route", 1002))
        if isinstance(reply, Exception):
            raise reply
        return reply

    def client(self, auth=None, **kw) -> OrchestratorClient:
        kw.setdefault("sleep", Sleeps())
        kw.setdefault("max_retries", 0)
        return OrchestratorClient(BASE, auth or TokenAuth("pat"), folder="Shared/Support",
                                  transport=httpx.MockTransport(self.handler), **kw)


def info(reference: str = REF) -> dict:
    start = {"ReleaseKey": "rel-1", "Strategy": "ModernJobsCount", "JobsCount": 2,
             "InputArguments": "{}"}
    if reference is not None:
        start["Reference"] = reference
    return start


async def run(fake: Fake, *, attempts: int = 3, auth=None, **client_options):
    sleeps = Sleeps()
    async with fake.client(auth, **client_options) as client:
        outcome = await start_once(client, info(), lookup_attempts=attempts, sleep=sleeps)
    return outcome, sleeps


def _with_cause(exc: Exception, cause: BaseException) -> Exception:
    exc.__cause__ = cause
    return exc


# ------------------------------------------------------------------------------ answered


async def test_started_when_answered():
    fake = Fake(httpx.Response(201, json={"value": [job(1), job(2)]}))
    outcome, sleeps = await run(fake)
    assert outcome.status == "started" and outcome.started and not outcome.safe_to_retry
    assert [j.id for j in outcome.jobs] == [1, 2]
    assert outcome.error is None and outcome.reference == REF
    assert REF in outcome.message and "2 jobs" in outcome.message
    assert len(fake.posts) == 1 and fake.gets == [] and sleeps.calls == []
    assert outcome.title == "Jobs started"


async def test_reference_is_required():
    fake = Fake(httpx.Response(201, json={"value": [job(1)]}))
    async with fake.client() as client:
        for reference in (None, "", "   "):
            with pytest.raises(ValueError, match="Reference"):
                await start_once(client, info(reference))
        with pytest.raises(TypeError):
            await start_once(client, [("Reference", REF)])
        with pytest.raises(ValueError, match="lookup_attempts"):
            await start_once(client, info(), lookup_attempts=0)
    assert fake.requests == []  # nothing was sent


@pytest.mark.parametrize("status, kind, said", [
    (400, RequestRejected, "InputArguments is not valid JSON."),
    (401, AuthenticationError, "You are not authenticated!"),
    (403, PermissionDenied, "The access token is not allowed to call this API."),
    (404, NotFound, "The process with key rel-1 does not exist in folder 'Shared/Support'."),
    (409, RequestRejected, "Couldn't find any user with unattended robot permissions in the "
                           "current folder."),
    (429, RateLimited, "Too many requests."),
])
async def test_a_clear_refusal_is_not_started_without_a_lookup(status, kind, said):
    fake = Fake(httpx.Response(status, json=error_body(said), headers={"Retry-After": "5"}))
    outcome, sleeps = await run(fake)
    assert outcome.status == "not_started" and outcome.safe_to_retry
    assert isinstance(outcome.error, kind)
    assert said in outcome.message and "No job was started" in outcome.message
    assert outcome.jobs == [] and outcome.lookups == 0
    assert len(fake.posts) == 1 and fake.gets == [] and sleeps.calls == []


async def test_a_redirect_is_not_started_without_a_lookup():
    fake = Fake(httpx.Response(302, headers={"Location": "https://login.example.com/"}))
    outcome, _ = await run(fake)
    assert outcome.status == "not_started" and isinstance(outcome.error, ProtocolError)
    assert fake.gets == []


# ------------------------------------------------------------------------------ not sent


@pytest.mark.parametrize("failure, kind", [
    (httpx.ConnectError("[Errno 111] Connection refused"), ConnectionFailed),
    (_with_cause(httpx.ConnectError("[Errno -2] Name or service not known"),
                 socket.gaierror(socket.EAI_NONAME, "Name or service not known")),
     ConnectionFailed),
    (_with_cause(httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify "
                                    "failed"),
                 ssl.SSLCertVerificationError(1, "certificate verify failed")), CertificateError),
    (httpx.ConnectTimeout("timed out"), RequestTimeout),
    (httpx.PoolTimeout("timed out"), RequestTimeout),
    (httpx.ProxyError("407 Proxy Authentication Required"), ConnectionFailed),
])
async def test_failing_before_sending_is_not_started_without_a_lookup(failure, kind):
    fake = Fake(failure)
    outcome, _ = await run(fake)
    assert outcome.status == "not_started"
    assert isinstance(outcome.error, kind)
    assert "never reached Orchestrator" in outcome.message
    assert fake.gets == [] and len(fake.posts) == 1


async def test_a_failing_sign_in_means_the_start_was_never_sent():
    def handler(request: httpx.Request):
        if request.url.path.endswith("/connect/token"):
            raise httpx.ReadTimeout("timed out")  # even an ambiguous kind of failure
        raise AssertionError("StartJobs must not be sent without a token")

    auth = ClientCredentialsAuth("id", "secret")
    async with OrchestratorClient(BASE, auth, transport=httpx.MockTransport(handler),
                                  folder=7, max_retries=0) as client:
        outcome = await start_once(client, info(), sleep=Sleeps())
    assert outcome.status == "not_started"
    assert isinstance(outcome.error, RequestTimeout)


async def test_connection_refused_on_a_real_socket():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sleeps = Sleeps()
    url = f"http://127.0.0.1:{port}/acme/DefaultTenant/orchestrator_"
    async with OrchestratorClient(url, TokenAuth("pat"), folder=1, trust_env=False,
                                  max_retries=0) as client:
        outcome = await start_once(client, info(), sleep=sleeps)
    assert outcome.status == "not_started" and "refused the connection" in outcome.message
    assert sleeps.calls == []


# ------------------------------------------------------------------------------ ambiguous


AMBIGUOUS_FAILURES = [
    pytest.param(httpx.ReadTimeout("timed out"), RequestTimeout, id="read-timeout"),
    pytest.param(httpx.WriteTimeout("timed out"), RequestTimeout, id="write-timeout"),
    pytest.param(httpx.ReadError("[Errno 104] Connection reset by peer"), ConnectionFailed,
                 id="reset"),
    pytest.param(httpx.RemoteProtocolError("Server disconnected without sending a response."),
                 ConnectionFailed, id="dropped"),
    pytest.param(httpx.Response(500, json=error_body("An error has occurred.")), ServerError,
                 id="500"),
    pytest.param(httpx.Response(502, text="<html>Bad Gateway</html>"), ServerError, id="502"),
    pytest.param(httpx.Response(503, json=error_body("Unavailable")), ServerError, id="503"),
    pytest.param(httpx.Response(504, text="<html>Gateway Time-out</html>"), ServerError,
                 id="504"),
    pytest.param(httpx.Response(408, text=""), RequestTimeout, id="408"),
    pytest.param(httpx.Response(201, content=b'{"value":[{"Id":'), ProtocolError,
                 id="cut-off-json"),
    pytest.param(httpx.Response(200, text="<html>login</html>"), ProtocolError,
                 id="html-on-2xx"),
    pytest.param(httpx.Response(201, json={"value": "nope"}), ProtocolError, id="no-list"),
    pytest.param(httpx.Response(201, json={"value": [{"Id": "x"}]}), ProtocolError,
                 id="bad-item"),
]


@pytest.mark.parametrize("failure, kind", AMBIGUOUS_FAILURES)
async def test_ambiguous_failure_and_the_jobs_exist_is_started(failure, kind):
    fake = Fake(failure, lookups=[[job(7), job(8)]])
    outcome, sleeps = await run(fake)
    assert outcome.status == "started" and not outcome.safe_to_retry
    assert [j.id for j in outcome.jobs] == [7, 8]
    assert isinstance(outcome.error, kind)
    assert "Do not start again" in outcome.message and REF in outcome.message
    assert "Shared/Support" in outcome.message
    assert len(fake.posts) == 1  # StartJobs was sent exactly once
    assert len(fake.gets) == 1 and sleeps.calls == [] and outcome.lookups == 1


@pytest.mark.parametrize("failure, kind", AMBIGUOUS_FAILURES)
async def test_ambiguous_failure_and_no_jobs_is_not_started_after_every_lookup(failure, kind):
    fake = Fake(failure, lookups=[[]])
    outcome, sleeps = await run(fake)
    assert outcome.status == "not_started" and outcome.safe_to_retry
    assert isinstance(outcome.error, kind)
    assert "no job with reference" in outcome.message and "checked 3 times" in outcome.message
    assert "Starting again is safe" in outcome.message
    assert len(fake.posts) == 1 and len(fake.gets) == 3 and outcome.lookups == 3
    assert sleeps.calls == [0.5, 1.0]  # short backoff between lookups


async def test_jobs_that_show_up_late_are_found():
    fake = Fake(httpx.Response(503, json=error_body("Unavailable")),
                lookups=[[], [], [job(9)]])
    outcome, sleeps = await run(fake, attempts=4)
    assert outcome.status == "started" and [j.id for j in outcome.jobs] == [9]
    assert sleeps.calls == [0.5, 1.0] and outcome.lookups == 3


async def test_lookups_failing_too_is_unknown():
    fake = Fake(httpx.ReadTimeout("timed out"),
                lookups=[httpx.Response(503, json=error_body("Down for maintenance"))])
    outcome, sleeps = await run(fake)
    assert outcome.status == "unknown" and outcome.unknown and not outcome.safe_to_retry
    assert isinstance(outcome.error, RequestTimeout)
    assert isinstance(outcome.lookup_error, ServerError)
    assert "not known whether the jobs started" in outcome.message
    assert "Down for maintenance" in outcome.message
    assert f"search for the reference {REF}" in outcome.message
    assert "Jobs page in folder Shared/Support" in outcome.message
    assert "Do not start again yet" in outcome.message
    assert len(fake.posts) == 1 and len(fake.gets) == 3 and outcome.lookups == 0


async def test_a_lookup_that_fails_then_answers():
    fake = Fake(httpx.ReadError("reset"),
                lookups=[httpx.ReadError("reset"), [job(3)]])
    outcome, _ = await run(fake)
    assert outcome.status == "started" and [j.id for j in outcome.jobs] == [3]


async def test_no_jobs_then_the_last_lookup_fails_is_unknown():
    fake = Fake(httpx.ReadError("reset"),
                lookups=[[], httpx.Response(503, json=error_body("Down"))])
    outcome, _ = await run(fake)
    assert outcome.status == "unknown" and outcome.lookups == 1


async def test_the_lookup_itself_is_retried_by_the_client():
    fake = Fake(httpx.Response(500, json=error_body("An error has occurred.")),
                lookups=[httpx.Response(503, json=error_body("busy")), [job(4)]])
    client_sleeps = Sleeps()
    outcome, sleeps = await run(fake, attempts=1, max_retries=2, sleep=client_sleeps)
    assert outcome.status == "started"
    assert len(client_sleeps.calls) == 1  # one GET retry inside the client
    assert len(fake.posts) == 1  # ... and the POST was never retried


def test_classify_failure_table():
    def response(status):
        return httpx.Response(status, request=httpx.Request("POST", BASE + START_PATH))

    from tui_app.orchestrator.failures import error_from_exception, error_from_response

    for status in (400, 401, 403, 404, 409, 413, 422, 429, 302):
        assert classify_failure(error_from_response(response(status))) == REFUSED, status
    for status in (408, 500, 502, 503, 504):
        assert classify_failure(error_from_response(response(status))) == AMBIGUOUS, status
    request = httpx.Request("POST", BASE + START_PATH)
    token = httpx.Request("POST", "https://orch.example.com/identity_/connect/token")

    def mapped(exc, req):
        exc.request = req
        try:
            raise error_from_exception(exc, req.url) from exc
        except Exception as error:  # noqa: BLE001 - the mapped error
            return error

    assert classify_failure(mapped(httpx.ConnectError("refused"), request)) == NOT_SENT
    assert classify_failure(mapped(httpx.ReadTimeout("slow"), request)) == AMBIGUOUS
    assert classify_failure(mapped(httpx.ReadTimeout("slow"), token)) == NOT_SENT
    assert classify_failure(AuthenticationError("no")) == REFUSED
    assert classify_failure(ServerError("boom")) == AMBIGUOUS
    assert classify_failure(ConnectionFailed("who knows")) == AMBIGUOUS  # no cause: be careful


# ------------------------------------------------------------------------------ the sandbox


FINANCE_INVOICE_KEY = "f4a7b0c3-9d6e-4b1f-8e2a-c5d8f1b4e757"


def sandbox_info(reference: str, jobs: int = 2) -> dict:
    return {"ReleaseKey": FINANCE_INVOICE_KEY, "Strategy": "ModernJobsCount",
            "JobsCount": jobs, "InputArguments": '{"InvoiceNumber":"INV-1","Amount":1}',
            "Reference": reference, "Source": "Manual"}


def jobs_with(sandbox, reference: str) -> list:
    return [j for j in sandbox.tenant.jobs.values() if j.reference == reference]


def starts(sandbox) -> int:
    return sum(1 for r in sandbox.request_log if r.route.endswith("StartJobs"))


def sandbox_client(sandbox, **options) -> OrchestratorClient:
    options.setdefault("sleep", Sleeps())
    return OrchestratorClient(sandbox.orchestrator_url, TokenAuth(DEMO.personal_access_token),
                              folder="Finance", trust_env=False, **options)


async def sandbox_start(sandbox, faults, *, jobs: int = 2, lookup_sleep=None, attempts=3,
                        **options):
    sandbox.set_faults(faults)
    reference = new_reference()
    async with sandbox_client(sandbox, **options) as client:
        outcome = await start_once(client, sandbox_info(reference, jobs), sleep=lookup_sleep
                                   or Sleeps(), lookup_attempts=attempts)
    sandbox.set_faults(None)
    return outcome, reference


async def test_sandbox_normal_start(sandbox):
    outcome, reference = await sandbox_start(sandbox, None)
    assert outcome.status == "started" and len(outcome.jobs) == 2
    assert len(jobs_with(sandbox, reference)) == 2 and starts(sandbox) == 1


async def test_sandbox_dropped_answer_is_started_once(sandbox):
    outcome, reference = await sandbox_start(sandbox, parse_faults("drop_after_start=1"),
                                             jobs=3)
    assert outcome.status == "started"
    assert isinstance(outcome.error, ConnectionFailed)
    assert sorted(j.id for j in outcome.jobs) == sorted(j.id for j in jobs_with(sandbox,
                                                                                reference))
    assert len(jobs_with(sandbox, reference)) == 3 and starts(sandbox) == 1


@pytest.mark.parametrize("spec", ["500=1,only=StartJobs", "503=1,only=StartJobs",
                                  "502=1,only=StartJobs", "drop=1,only=StartJobs"])
async def test_sandbox_failure_before_the_jobs_exist_is_not_started(sandbox, spec):
    outcome, reference = await sandbox_start(sandbox, parse_faults(spec))
    assert outcome.status == "not_started" and outcome.lookups == 3
    assert jobs_with(sandbox, reference) == [] and starts(sandbox) == 1


@pytest.mark.parametrize("after", ["500", "503", "504", "garble"])
async def test_sandbox_failure_after_the_jobs_exist_is_started(sandbox, after):
    outcome, reference = await sandbox_start(sandbox, FaultConfig(after_start=after))
    assert outcome.status == "started" and outcome.error is not None
    assert len(outcome.jobs) == 2 == len(jobs_with(sandbox, reference))
    assert starts(sandbox) == 1


async def test_sandbox_read_timeout_then_the_job_appears(sandbox):
    """The answer comes too late for the client; the job is created after it gave up."""
    async def wait(seconds):
        await asyncio.sleep(seconds)

    faults = parse_faults("delay=1:0.6,only=StartJobs")
    outcome, reference = await sandbox_start(sandbox, faults, lookup_sleep=wait, attempts=4,
                                             timeout=0.25)
    assert isinstance(outcome.error, RequestTimeout)
    assert outcome.status == "started", outcome.message
    assert len(outcome.jobs) == 2 == len(jobs_with(sandbox, reference))
    assert outcome.lookups >= 2  # the first lookup came before the job existed
    assert starts(sandbox) == 1


async def test_sandbox_read_timeout_and_no_job_is_not_started(sandbox):
    async def wait(seconds):
        await asyncio.sleep(seconds)

    faults = parse_faults("delay=1:0.4,500=1,only=StartJobs")
    outcome, reference = await sandbox_start(sandbox, faults, lookup_sleep=wait, timeout=0.2)
    assert isinstance(outcome.error, RequestTimeout)
    assert outcome.status == "not_started"
    assert jobs_with(sandbox, reference) == []


async def test_sandbox_lookups_failing_is_unknown(sandbox):
    faults = parse_faults("drop_after_start=1,503=1,only=GET /odata/Jobs")
    outcome, reference = await sandbox_start(sandbox, faults)
    assert outcome.status == "unknown"
    assert isinstance(outcome.lookup_error, ServerError)
    assert reference in outcome.message and "Jobs page in folder Finance" in outcome.message
    assert len(jobs_with(sandbox, reference)) == 2 and starts(sandbox) == 1


async def test_sandbox_refusal_is_not_started_without_a_lookup(sandbox):
    reference = new_reference()
    async with sandbox_client(sandbox) as client:
        client.use_folder("Shared")  # no robot users: 409
        start = dict(sandbox_info(reference), ReleaseKey="7e1a4d7b-0c3f-4f6a-8d9c-2b5e8f1a4d55")
        outcome = await start_once(client, start)
    assert outcome.status == "not_started" and isinstance(outcome.error, RequestRejected)
    assert "unattended robot permissions" in outcome.message
    assert not any(r.route == "GET /odata/Jobs" for r in sandbox.request_log)
