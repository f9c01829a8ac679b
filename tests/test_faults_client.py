"""The sandbox's targeted faults (``only``, ``after_start``) and how the client meets faults.

Reads are retried through throttling, gateway errors and dropped connections; StartJobs is
sent exactly once whatever happens.
"""

from __future__ import annotations

import httpx
import pytest

from tui_app.orchestrator import (
    ConnectionFailed,
    OrchestratorClient,
    ProtocolError,
    RateLimited,
    RequestTimeout,
    ServerError,
    TokenAuth,
)
from tui_app.sandbox import DEMO, FaultConfig, parse_faults

START = "/odata/Jobs/UiPath.Server.Configuration.OData.StartJobs"
INVOICE = "f4a7b0c3-9d6e-4b1f-8e2a-c5d8f1b4e757"


class Sleeps:
    def __init__(self) -> None:
        self.calls: list = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def http(sandbox) -> httpx.Client:
    return httpx.Client(base_url=sandbox.orchestrator_url, trust_env=False, headers={
        "Authorization": f"Bearer {DEMO.personal_access_token}", "X-UIPATH-FolderPath": "Finance"})


def orchestrator(sandbox, **options) -> OrchestratorClient:
    options.setdefault("sleep", Sleeps())
    return OrchestratorClient(sandbox.orchestrator_url, TokenAuth(DEMO.personal_access_token),
                              folder="Finance", trust_env=False, **options)


def routes(sandbox, fragment: str) -> list:
    return [r for r in sandbox.request_log if fragment in r.route]


START_INFO = {"ReleaseKey": INVOICE, "Strategy": "ModernJobsCount", "JobsCount": 1,
              "Reference": "startjob:faults"}


# ------------------------------------------------------------------------------ the options


def test_parse_only_and_after_start():
    config = parse_faults("503=1, only=StartJobs|GET /odata/Jobs, after_start=Garble")
    assert config == FaultConfig(unavailable=1.0, only="StartJobs|GET /odata/Jobs",
                                 after_start="garble")
    assert parse_faults(config.summary()) == config
    assert config.summary() == "503=1, after_start=garble, only=StartJobs|GET /odata/Jobs"
    assert config.applies_to("POST /odata/Jobs/UiPath.Server.Configuration.OData.StartJobs")
    assert config.applies_to("GET /odata/Jobs({id})")
    assert not config.applies_to("GET /odata/Folders")
    assert FaultConfig().applies_to("GET /odata/Folders")
    assert FaultConfig(only=" | ").applies_to("anything")


@pytest.mark.parametrize("spec, message", [
    ("after_start=418", "after_start must be one of 500, 502, 503, 504, garble"),
    ("after_start=", "has no value"),
    ("only=", "has no value"),
])
def test_parse_errors(spec, message):
    with pytest.raises(ValueError) as caught:
        parse_faults(spec)
    assert message in str(caught.value)


def test_only_limits_faults_to_some_routes(sandbox):
    sandbox.set_faults(parse_faults("503=1,delay=1:0.01,only=StartJobs"))
    with http(sandbox) as client:
        assert client.get("/odata/Releases").status_code == 200
        assert client.post(START, json={"startInfo": START_INFO}).status_code == 503
    assert not any(j.reference == "startjob:faults" for j in sandbox.tenant.jobs.values())


@pytest.mark.parametrize("after, status, content_type", [
    ("500", 500, "application/json"),
    ("502", 502, "text/html"),
    ("503", 503, "application/json"),
    ("504", 504, "text/html"),
    ("garble", 201, "application/json"),
])
def test_after_start_answers_after_the_jobs_exist(sandbox, after, status, content_type):
    sandbox.set_faults(FaultConfig(after_start=after))
    with http(sandbox) as client:
        response = client.post(START, json={"startInfo": START_INFO})
        assert response.status_code == status
        assert response.headers["content-type"].startswith(content_type)
        if after == "garble":
            with pytest.raises(ValueError):
                response.json()
        refused = client.post(START, json={"startInfo": {"ReleaseKey": "nope"}})
        assert refused.status_code == 404  # only successful starts are replaced
    assert [j.reference for j in sandbox.tenant.jobs.values()] == ["startjob:faults"]
    assert routes(sandbox, "StartJobs")[0].status == status


# ------------------------------------------------------------------------------ the client


async def test_reads_are_retried_through_intermittent_faults(sandbox):
    sandbox.set_faults(parse_faults("503=0.3,502=0.2,429=0.2,drop=0.1,only=GET /odata/Releases"))
    sleeps = Sleeps()
    async with orchestrator(sandbox, sleep=sleeps, max_retries=20) as client:
        for _ in range(5):
            page = await client.search_releases("invoice")
            assert [r.name for r in page.items] == ["InvoiceIntake"]
    tries = routes(sandbox, "GET /odata/Releases")
    assert len(tries) == 5 + len(sleeps.calls) and sleeps.calls  # some retries, all recovered


async def test_retries_end_with_a_clear_error(sandbox):
    cases = [
        ("503=1,only=Releases", ServerError, "temporarily unavailable"),
        ("502=1,only=Releases", ServerError, "HTTP 502"),
        ("429=1,retry_after=2,only=Releases", RateLimited, "Too many requests"),
        ("drop=1,only=Releases", ConnectionFailed, "dropped"),
    ]
    for spec, kind, words in cases:
        sandbox.set_faults(parse_faults(spec))
        sleeps = Sleeps()
        async with orchestrator(sandbox, sleep=sleeps, max_retries=2) as client:
            with pytest.raises(kind) as caught:
                await client.search_releases("x")
        assert words in str(caught.value), spec
        assert len(sleeps.calls) == 2, spec
        if kind is RateLimited:
            assert sleeps.calls == [2, 2] and caught.value.retry_after == 2


async def test_a_slow_answer_is_a_timeout(sandbox):
    sandbox.set_faults(parse_faults("delay=1:0.5,only=Releases"))
    async with orchestrator(sandbox, timeout=0.1, max_retries=1) as client:
        with pytest.raises(RequestTimeout) as caught:
            await client.search_releases("x")
    assert "did not answer within 0.1 seconds" in caught.value.message


@pytest.mark.parametrize("spec, kind", [
    ("503=1,only=StartJobs", ServerError),
    ("500=1,only=StartJobs", ServerError),
    ("429=1,only=StartJobs", RateLimited),
    ("drop=1,only=StartJobs", ConnectionFailed),
    ("drop_after_start=1", ConnectionFailed),
    ("after_start=garble", ProtocolError),
    ("after_start=504", ServerError),
])
async def test_start_jobs_is_sent_exactly_once_whatever_happens(sandbox, spec, kind):
    sandbox.set_faults(parse_faults(spec))
    sleeps = Sleeps()
    async with orchestrator(sandbox, sleep=sleeps) as client:
        with pytest.raises(kind):
            await client.start_jobs(START_INFO)
    assert len(routes(sandbox, "StartJobs")) == 1 and sleeps.calls == []
