"""The tenant's limit on ``GET /odata/Jobs``: shared by every client of the tenant (other users
can use part of it up) and answered with or without ``Retry-After``."""

from __future__ import annotations

import httpx
import pytest

from tui_app.sandbox import DEMO, FaultConfig, Sandbox, SandboxConfig, parse_faults
from tui_app.sandbox.ratelimit import RateLimiter

PAT = {"Authorization": f"Bearer {DEMO.personal_access_token}", "X-UIPATH-FolderPath": "Finance"}
HTTP = httpx.Client(verify=False)
MESSAGE = "Too many requests: GET /odata/Jobs is limited to {} requests per minute for this tenant."


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def jobs(url, headers=PAT) -> httpx.Response:
    return HTTP.get(url + "/odata/Jobs", headers=headers, params={"$filter": "State eq 'Pending'"})


# ----------------------------------------------------------------------------- the counter


def test_other_clients_use_part_of_the_window():
    clock = Clock()
    limiter = RateLimiter(5, clock=clock, used_by_others=3)
    assert [limiter.acquire() for _ in range(3)] == [None, None, 60]
    clock.now += 20
    assert limiter.acquire() == 40
    clock.now += 40
    assert limiter.acquire() is None


def test_others_may_use_up_the_whole_limit():
    clock = Clock()
    limiter = RateLimiter(5, clock=clock, used_by_others=5)
    assert limiter.acquire() == 60
    limiter.used_by_others = 0  # they stop
    assert limiter.acquire() is None


def test_others_use_cannot_be_negative():
    with pytest.raises(ValueError, match="used_by_others"):
        RateLimiter(5, used_by_others=-1)
    with pytest.raises(ValueError, match="used_by_others"):
        Sandbox(SandboxConfig(jobs_rate_used_by_others=-1))


# ----------------------------------------------------------------------------- over HTTP


def test_the_limit_is_shared_with_the_tenants_other_clients():
    with Sandbox(SandboxConfig(jobs_rate_limit=5, jobs_rate_used_by_others=3)) as sandbox:
        assert jobs(sandbox.orchestrator_url).status_code == 200
        assert jobs(sandbox.cloud_url).status_code == 200
        refused = jobs(sandbox.orchestrator_url)
        assert refused.status_code == 429
        assert refused.json()["message"].startswith(MESSAGE.format(5))
        assert "Retry after" in refused.json()["message"]
        assert 55 <= int(refused.headers["retry-after"]) <= 60
        sandbox.tenant.jobs_limiter.used_by_others = 0  # the other users go home
        assert jobs(sandbox.orchestrator_url).status_code == 200
        assert sandbox.count("GET /odata/Jobs") == 4


def test_every_token_of_the_tenant_counts():
    with Sandbox(SandboxConfig(jobs_rate_limit=2)) as sandbox:
        token = HTTP.post(sandbox.cloud_identity_url, data={
            "grant_type": "client_credentials", "client_id": DEMO.client_id,
            "client_secret": DEMO.client_secret}).json()["access_token"]
        app = {"Authorization": f"Bearer {token}", "X-UIPATH-FolderPath": "Finance"}
        assert jobs(sandbox.cloud_url, app).status_code == 200
        assert jobs(sandbox.orchestrator_url).status_code == 200
        assert jobs(sandbox.cloud_url, app).status_code == 429
        assert jobs(sandbox.orchestrator_url).status_code == 429
        single = HTTP.get(sandbox.orchestrator_url + "/odata/Jobs(1)", headers=PAT)
        assert single.status_code == 404  # Jobs({id}) is not limited


def test_a_refusal_before_the_limit_is_not_counted():
    with Sandbox(SandboxConfig(jobs_rate_limit=1)) as sandbox:
        unknown = {**PAT, "X-UIPATH-FolderPath": "Nowhere"}
        assert jobs(sandbox.orchestrator_url, unknown).status_code == 400
        assert jobs(sandbox.orchestrator_url, {}).status_code == 401
        assert jobs(sandbox.orchestrator_url).status_code == 200


def test_the_tenants_429_may_come_without_retry_after():
    config = SandboxConfig(jobs_rate_limit=1, faults=FaultConfig(no_retry_after=1.0))
    with Sandbox(config) as sandbox:
        assert jobs(sandbox.orchestrator_url).status_code == 200
        refused = jobs(sandbox.orchestrator_url)
    assert refused.status_code == 429
    assert "retry-after" not in refused.headers
    assert refused.json()["message"] == (MESSAGE.format(1) + " Read single jobs with "
                                                             "/odata/Jobs({Id}).")
    assert refused.json()["errorCode"] == 0


def test_no_retry_after_can_be_switched_on_while_running():
    with Sandbox(SandboxConfig(jobs_rate_limit=1)) as sandbox:
        jobs(sandbox.orchestrator_url)
        assert "retry-after" in jobs(sandbox.orchestrator_url).headers
        sandbox.set_faults(parse_faults("no_retry_after=1"))
        assert "retry-after" not in jobs(sandbox.orchestrator_url).headers


def test_an_injected_429_may_come_without_retry_after():
    with Sandbox(SandboxConfig(faults=parse_faults("429=1,no_retry_after=1"))) as sandbox:
        response = HTTP.get(sandbox.orchestrator_url + "/odata/Folders", headers=PAT)
    assert response.status_code == 429
    assert "retry-after" not in response.headers
    assert response.json()["message"] == "Too many requests."


def test_no_retry_after_in_the_faults_spec():
    faults = parse_faults("429=0.5, no_retry_after=0.25")
    assert faults.no_retry_after == 0.25
    assert faults.summary() == "429=0.5, retry_after=1, no_retry_after=0.25"
    with pytest.raises(ValueError, match="no_retry_after must be a probability"):
        parse_faults("no_retry_after=2")
    with pytest.raises(ValueError, match="no_retry_after=P"):
        parse_faults("nope=1")
