"""Injected faults, their parsing, and the GET /odata/Jobs rate limit."""

from __future__ import annotations

import time

import httpx
import pytest

from tui_app.sandbox import DEMO, FaultConfig, Sandbox, SandboxConfig, parse_faults
from tui_app.sandbox.faults import FaultInjector
from tui_app.sandbox.ratelimit import RateLimiter

START = "/odata/Jobs/UiPath.Server.Configuration.OData.StartJobs"
HEADERS = {"Authorization": f"Bearer {DEMO.personal_access_token}",
           "X-UIPATH-FolderPath": "Finance"}


def client(sandbox) -> httpx.Client:
    return httpx.Client(base_url=sandbox.orchestrator_url, headers=HEADERS, verify=False)


# ----------------------------------------------------------------------------- parsing


def test_parse_faults_full_spec():
    config = parse_faults("429=0.1,503=0.05,500=0.02,502=0.02,drop=0.01,delay=0.2:1.5,"
                          "drop_after_start=1")
    assert config == FaultConfig(too_many_requests=0.1, unavailable=0.05, server_error=0.02,
                                 bad_gateway=0.02, drop=0.01, delay=0.2, delay_seconds=1.5,
                                 drop_after_start=1.0)


def test_summary_round_trips():
    spec = "429=0.1, 503=0.05, delay=0.2:1.5, drop_after_start=1, retry_after=4"
    assert parse_faults(spec).summary() == spec
    assert parse_faults(parse_faults(spec).summary()) == parse_faults(spec)
    assert FaultConfig().summary() == ""


def test_parse_faults_tolerates_spaces_case_and_empty_items():
    assert parse_faults(" DROP = 0.5 , ,retry_after=7") == FaultConfig(drop=0.5, retry_after=7)
    assert parse_faults("") == FaultConfig()


@pytest.mark.parametrize("spec, message", [
    ("teapot=0.1", "Unknown fault 'teapot'"),
    ("429", "has no value"),
    ("429=", "has no value"),
    ("429=lots", "'lots' is not a number"),
    ("delay=0.5", "delay needs RATE:SECONDS"),
    ("delay=x:1", "'x' is not a number"),
    ("retry_after=1.5", "'1.5' is not a number"),
    ("503=1.5", "unavailable must be a probability between 0 and 1"),
    ("drop=-0.1", "drop must be a probability"),
    ("delay=0.5:-1", "delay_seconds must not be negative"),
    ("429=0.6,503=0.6", "add up to more than 1"),
])
def test_parse_faults_errors(spec, message):
    with pytest.raises(ValueError) as caught:
        parse_faults(spec)
    assert message in str(caught.value)


def test_config_validation():
    with pytest.raises(ValueError, match="job_pending_seconds must not be negative"):
        SandboxConfig(job_pending_seconds=-1)
    with pytest.raises(ValueError, match="scale"):
        SandboxConfig(scale=-5)
    with pytest.raises(ValueError, match="jobs_rate_limit"):
        SandboxConfig(jobs_rate_limit=0)


def test_injector_rates_and_seed():
    config = FaultConfig(too_many_requests=0.2, unavailable=0.3, drop=0.1)
    first = FaultInjector(config, seed=7)
    second = FaultInjector(config, seed=7)
    draws = [first.pick() for _ in range(4000)]
    assert draws == [second.pick() for _ in range(4000)]  # same seed, same faults
    assert abs(draws.count("429") / 4000 - 0.2) < 0.03
    assert abs(draws.count("503") / 4000 - 0.3) < 0.03
    assert abs(draws.count("drop") / 4000 - 0.1) < 0.03
    assert draws.count(None) > 0 and "500" not in draws
    assert FaultInjector(None).pick() is None and FaultInjector(None).delay() == 0


# ----------------------------------------------------------------------------- faults on the wire


@pytest.mark.parametrize("config, status", [
    (FaultConfig(server_error=1.0), 500),
    (FaultConfig(unavailable=1.0), 503),
])
def test_json_error_faults(config, status):
    with Sandbox(SandboxConfig(faults=config)) as sandbox, client(sandbox) as http:
        response = http.get("/odata/Releases")
    assert response.status_code == status
    assert set(response.json()) == {"message", "errorCode", "traceId"}


def test_too_many_requests_fault_has_retry_after():
    config = SandboxConfig(faults=FaultConfig(too_many_requests=1.0, retry_after=3))
    with Sandbox(config) as sandbox, client(sandbox) as http:
        response = http.get("/odata/Releases")
        assert response.status_code == 429
        assert response.headers["retry-after"] == "3"
        assert "Retry after 3 seconds" in response.json()["message"]
        assert sandbox.request_log[-1].status == 429


def test_bad_gateway_is_an_html_page():
    config = SandboxConfig(faults=FaultConfig(bad_gateway=1.0))
    with Sandbox(config) as sandbox, client(sandbox) as http:
        response = http.get("/odata/Releases")
    assert response.status_code == 502
    assert response.headers["content-type"].startswith("text/html")
    assert b"Bad Gateway" in response.content


def test_dropped_connection():
    with Sandbox(SandboxConfig(faults=FaultConfig(drop=1.0))) as sandbox, client(sandbox) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            http.get("/odata/Folders")
        entry = sandbox.request_log[-1]
        assert (entry.route, entry.status) == ("GET /odata/Folders", 0)
        sandbox.set_faults(None)
        assert http.get("/odata/Folders").status_code == 200


def test_delay():
    config = SandboxConfig(faults=FaultConfig(delay=1.0, delay_seconds=0.3))
    with Sandbox(config) as sandbox, client(sandbox) as http:
        began = time.monotonic()
        assert http.get("/odata/Folders").status_code == 200
        assert time.monotonic() - began >= 0.3
        began = time.monotonic()
        token = httpx.post(sandbox.identity_url, data={
            "grant_type": "client_credentials", "client_id": DEMO.client_id,
            "client_secret": DEMO.client_secret}, verify=False)
        assert token.status_code == 200 and time.monotonic() - began < 0.3


def test_drop_after_start_creates_the_jobs():
    config = SandboxConfig(faults=FaultConfig(drop_after_start=1.0))
    with Sandbox(config) as sandbox, client(sandbox) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            http.post(START, json={"startInfo": {"ReleaseName": "InvoiceIntake",
                                                 "Reference": "lost-answer"}})
        assert sandbox.request_log[-1].status == 0
        jobs = http.get("/odata/Jobs", params={"$filter": "Reference eq 'lost-answer'"}).json()
        assert jobs["@odata.count"] == 1 and jobs["value"][0]["State"] == "Pending"
        refused = http.post(START, json={"startInfo": {"ReleaseName": "Nope"}})
        assert refused.status_code == 404  # only successful starts lose their answer


def test_set_faults_while_running(sandbox):
    with client(sandbox) as http:
        assert http.get("/odata/Folders").status_code == 200
        sandbox.set_faults(parse_faults("503=1"))
        assert http.get("/odata/Folders").status_code == 503
        sandbox.set_faults(None)
        assert http.get("/odata/Folders").status_code == 200


# ----------------------------------------------------------------------------- rate limit


def test_jobs_collection_is_rate_limited():
    with Sandbox(SandboxConfig(jobs_rate_limit=3)) as sandbox, client(sandbox) as http:
        for _ in range(3):
            assert http.get("/odata/Jobs", params={"$filter": "State eq 'Running'"}).is_success
        limited = http.get("/odata/Jobs", params={"$top": "5"})
        assert limited.status_code == 429
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        body = limited.json()
        assert set(body) == {"message", "errorCode", "traceId"}
        assert "limited to 3 requests per minute" in body["message"]
        job = http.post(START, json={"startInfo": {"ReleaseName": "InvoiceIntake"}}).json()
        job_id = job["value"][0]["Id"]
        assert http.get(f"/odata/Jobs({job_id})").status_code == 200  # single jobs are free
        sandbox.tenant.jobs_rate_limit = 10
        assert http.get("/odata/Jobs").status_code == 200


def test_rate_limiter_window():
    now = [100.0]
    limiter = RateLimiter(2, window=60.0, clock=lambda: now[0])
    assert limiter.acquire() is None
    now[0] = 110.0
    assert limiter.acquire() is None
    assert limiter.acquire() == 50  # the first call leaves the window at 160
    now[0] = 160.5
    assert limiter.acquire() is None
    assert limiter.acquire() == 10
