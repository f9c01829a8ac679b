"""The jobs section of the benchmark: ``startjob jobs`` / ``watch`` / ``logs`` on a big tenant.

A sandbox whose folder "Default" holds 10,000 jobs (one StartJobs of ``JobsCount`` 10,000,
left Pending) and one ended job of a release that logs 100,000 lines. Each command is a child
process (spawn to exit, peak RSS) against ``python -c "import httpx"`` measured alternately;
its requests and the bytes of their answers come from the sandbox's request log. Nothing may
grow with the tenant: ``jobs`` reads one page, ``watch`` one job, ``logs`` the last 100 lines
in one request, and ``logs --limit 0`` (every line) pages 1,000 at a time.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

from common import PEAK, Row, Sample, child_env, log, peak_kib, run_child

JOBS = 10_000
LOG_LINES = 100_000
START = "/odata/Jobs/UiPath.Server.Configuration.OData.StartJobs"
def _start(sandbox, body: dict) -> list:
    import httpx

    with httpx.Client(base_url=sandbox.orchestrator_url, timeout=600) as http:
        token = http.post(sandbox.identity_url, data={
            "grant_type": "client_credentials", "client_id": "demo-client",
            "client_secret": "demo-secret", "scope": "OR.Jobs"}).json()["access_token"]
        answer = http.post(START, json={"startInfo": body},
                           headers={"Authorization": f"Bearer {token}",
                                    "X-UIPATH-FolderPath": "Default"})
        answer.raise_for_status()
        return [job["Id"] for job in answer.json()["value"]]


def _tenant(sandbox) -> int:
    """Seed the long-log job (run to its end), then the 10,000 jobs; the long job's id."""
    triage = next(r for r in sandbox.tenant.releases.values()
                  if r.process_key == "SupportTriage" and r.folder_id == 4)
    long_log = sandbox.tenant.add_release(
        4, "LongLog_QuickstartDemo", "LongLog", "1.0.0", environment_id=triage.environment_id,
        log_lines=LOG_LINES, description="A process that logs 100,000 lines")
    (job_id,) = _start(sandbox, {"ReleaseKey": long_log.key, "Strategy": "Specific",
                                 "RobotIds": [101]})
    deadline = time.monotonic() + 60
    while sandbox.tenant.jobs[job_id].state not in ("Successful", "Faulted", "Stopped"):
        sandbox.tenant.advance(sandbox.tenant.clock())  # the tenant moves when asked
        if time.monotonic() > deadline:
            raise RuntimeError("the long-log job did not end")
        time.sleep(0.05)
    _start(sandbox, {"ReleaseKey": triage.key, "Strategy": "JobsCount", "JobsCount": JOBS,
                     "InputArguments": '{"IncidentId": "INC0010234"}'})
    return job_id


def measure_jobs(runs: int, timeout: float, tmp: Path) -> list:
    from tui_app.sandbox import DEMO, Sandbox, SandboxConfig

    section = f"Jobs ({JOBS:,} jobs, a job of {LOG_LINES:,} log lines)"
    env = child_env(tmp / "home-jobs", tmp / "pycache",
                    {"UIPATH_CLIENT_ID": DEMO.client_id,
                     "UIPATH_CLIENT_SECRET": DEMO.client_secret})
    config = SandboxConfig(job_pending_seconds=0.0, job_running_seconds=1.0)
    rows = []
    with Sandbox(config) as sandbox:
        log(f"jobs: seeding {JOBS:,} jobs and {LOG_LINES:,} log lines")
        job_id = _tenant(sandbox)
        where = ["--url", sandbox.orchestrator_url, "--folder", "Default"]
        startjob = [sys.executable, "-c", PEAK]
        commands = {
            "startjob jobs (latest 20)": startjob + ["jobs"] + where,
            f"startjob watch {job_id} (one ended job)": startjob + ["watch", str(job_id)] + where,
            f"startjob logs {job_id} (the last 100 lines)": startjob + ["logs", str(job_id)]
            + where,
            f"startjob logs {job_id} --limit 0 (all {LOG_LINES:,} lines)":
                startjob + ["logs", str(job_id), "--limit", "0"] + where,
        }
        floor = [sys.executable, "-c", "import httpx"]
        run_child(commands["startjob jobs (latest 20)"], env, timeout)  # signs in, warms up
        floor_times = Sample()
        for figure, command in commands.items():
            times, peak = Sample(), Sample()
            routes: Counter = Counter()
            answer_bytes = 0
            for run in range(runs):
                if run % 2:
                    floor_times.add(run_child(floor, env, timeout).seconds_to_exit)
                sandbox.clear_log()
                result = run_child(command, env, timeout * 5)
                if result.timed_out or result.returncode != 0:
                    raise RuntimeError(f"{figure} failed (exit {result.returncode}): "
                                       f"{(result.stderr or result.stdout)[-400:]}")
                times.add(result.seconds_to_exit)
                peak.add(peak_kib(result))
                entries = sandbox.request_log
                routes = Counter(entry.route for entry in entries)
                answer_bytes = sum(entry.response_bytes for entry in entries)
                if run % 2 == 0:
                    floor_times.add(run_child(floor, env, timeout).seconds_to_exit)
            requests = " · ".join(f"{route} ×{n}" for route, n in sorted(routes.items()))
            rows.append(Row(section, f"{figure}: spawn → exit; peak RSS {peak.show('MB')}",
                            f"{times.show('ms')}; {sum(routes.values())} request(s), "
                            f"{answer_bytes / 1024:,.0f} KiB answered ({requests})"))
            log(f"jobs: {figure}: {times.median * 1000:.0f} ms, {sum(routes.values())} "
                "requests")
    rows.append(Row(section, 'python -c "import httpx", measured alongside',
                    floor_times.show("ms")))
    return rows
