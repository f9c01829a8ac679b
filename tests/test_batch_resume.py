"""A batch survives a kill: the ledger and the row References make the next run start only
what was not started (issue 17), and a 429 on StartJobs is waited out, never lost."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tui_app import replay
from tui_app.cli import main
from tui_app.exit_codes import EXIT_OK
from tui_app.following import FollowPolicy
from tui_app.sandbox import SandboxConfig
from tui_app.sandbox.faults import FaultConfig

START_JOBS = "POST /odata/Jobs/UiPath.Server.Configuration.OData.StartJobs"
TEMPLATE = """\
version = 1
name = "Triage incident"

[connection]
folder = "Default"

[process]
key = "SupportTriage"
environment = "QuickstartDemo"

[strategy]
kind = "JobsCount"
jobs_count = 1

[signature]
IncidentId = "System.String"
"""
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def demo_credentials(monkeypatch):
    monkeypatch.setenv("UIPATH_CLIENT_ID", "demo-client")
    monkeypatch.setenv("UIPATH_CLIENT_SECRET", "demo-secret")
    monkeypatch.setattr(replay, "FOLLOW", FollowPolicy(first=0.05, longest=0.2))


def sent(sandbox, status=None) -> Counter:
    # A request the kill cut before its body arrived started nothing (no body, no job).
    return Counter(json.loads(r.body)["startInfo"]["Reference"] for r in sandbox.request_log
                   if r.route == START_JOBS and r.body
                   and (status is None or r.status == status))


def rows_file(tmp_path, count: int) -> str:
    path = tmp_path / "rows.csv"
    path.write_text("IncidentId\n" + "".join(f"INC{n:04}\n" for n in range(count)),
                    encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("sandbox_config", [SandboxConfig(
    faults=FaultConfig(delay=1.0, delay_seconds=0.02, only="StartJobs"))])
@pytest.mark.parametrize("seed", [1, 2])
def test_a_batch_killed_at_a_random_point_resumes_without_a_double_start(
        sandbox, tmp_path, capsys, seed):
    template = tmp_path / "t.toml"
    template.write_text(TEMPLATE, encoding="utf-8")
    rows = rows_file(tmp_path, 60)
    argv = ["run", str(template), "--rows", rows, "--url", sandbox.orchestrator_url,
            "--parallel", "4"]
    kill_after = random.Random(seed).randint(3, 40)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "tui_app", *argv], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while sum(sent(sandbox).values()) < kill_after and process.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait()
    before = sum(sent(sandbox).values())
    assert 0 < before < 60
    assert main(argv) == EXIT_OK, capsys.readouterr().err
    references = sent(sandbox)
    assert len(references) == 60  # every row started ...
    assert max(references.values()) == 1  # ... and none twice
    jobs = Counter(job.reference for job in sandbox.tenant.jobs.values())
    assert sum(jobs.values()) == 60 and max(jobs.values()) == 1


@pytest.mark.parametrize("sandbox_config", [SandboxConfig(
    faults=FaultConfig(too_many_requests=0.4, retry_after=0, only="StartJobs"), seed=3)])
def test_a_429_on_startjobs_is_sent_again_after_retry_after(sandbox, tmp_path, capsys):
    template = tmp_path / "t.toml"
    template.write_text(TEMPLATE, encoding="utf-8")
    code = main(["run", str(template), "--rows", rows_file(tmp_path, 12), "--url",
                 sandbox.orchestrator_url])
    assert code == EXIT_OK, capsys.readouterr().err
    assert sum(sent(sandbox, 429).values()) > 0  # throttled on the way ...
    created = sent(sandbox, 201)
    assert len(created) == 12 and max(created.values()) == 1  # ... and each row once
