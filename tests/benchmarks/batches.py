"""The batch section of the benchmark (issue 17): ``startjob run TEMPLATE --rows FILE``.

- Throughput: a 1,000-row batch (``--parallel 4``) against a minimal httpx script that signs
  in and sends the same 1,000 StartJobs with the same concurrency; both are child processes
  (spawn to exit) against a fresh sandbox in this process, run alternately.
- Memory: the child's own peak RSS (``VmHWM``) for 100 rows and for 10,000 rows (the
  difference must stay within 10 MB: the rows are streamed, never held as plans).
- Resume: a 10,000-row batch killed (SIGKILL) once the sandbox has seen 5,000 StartJobs, then
  the same command again: StartJobs it sends again for rows already sent (from the sandbox's
  request log; must be 0), and the time from its spawn to its first new StartJobs against
  the time the full run took to reach row 5,000 (target: under a fifth).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from common import (
    PEAK,
    ROOT,
    Row,
    Sample,
    child_env,
    log,
    pair_ratios,
    peak_kib,
    ratio,
    run_child,
    verdict,
)

TARGETS = {"throughput": 1.2, "memory_mb": 10.0, "resume": 0.2}
START = "POST /odata/Jobs/UiPath.Server.Configuration.OData.StartJobs"
TEMPLATE = """\
version = 1
name = "Benchmark batch"

[connection]
url = "{url}"
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
HTTPX_SCRIPT = """\
import asyncio, sys
import httpx

URL, COUNT, PARALLEL = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
START = "/odata/Jobs/UiPath.Server.Configuration.OData.StartJobs"


async def main():
    async with httpx.AsyncClient(base_url=URL) as http:
        token = (await http.post(sys.argv[4], data={
            "grant_type": "client_credentials", "client_id": "demo-client",
            "client_secret": "demo-secret", "scope": "OR.Jobs"})).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}", "X-UIPATH-FolderPath": "Default"}
        gate = asyncio.Semaphore(PARALLEL)

        async def start(n):
            async with gate:
                answer = await http.post(START, headers=headers, json={"startInfo": {
                    "ReleaseName": "SupportTriage_QuickstartDemo",
                    "Strategy": "JobsCount", "JobsCount": 1,
                    "Reference": f"bench:{n}",
                    "InputArguments": '{"IncidentId": "INC%05d"}' % n}})
                answer.raise_for_status()

        await asyncio.gather(*(start(n) for n in range(COUNT)))


asyncio.run(main())
"""


def _rows(tmp: Path, count: int) -> Path:
    path = tmp / f"rows-{count}.csv"
    with path.open("w", encoding="utf-8") as stream:
        stream.write("IncidentId\n")
        for n in range(count):
            stream.write(f"INC{n:05}\n")
    return path


def _template(tmp: Path, url: str) -> Path:
    path = tmp / "batch-template.toml"
    path.write_text(TEMPLATE.format(url=url), encoding="utf-8")
    return path


def _batch_command(template: Path, rows: Path, runner: tuple = ("-m", "tui_app")) -> list:
    # ``-m tui_app`` from ROOT: this checkout's startjob, whatever is installed.
    return [sys.executable, *runner, "run", str(template), "--rows", str(rows),
            "--parallel", "4"]


def _env(tmp: Path, name: str) -> dict:
    from tui_app.sandbox import DEMO

    return child_env(tmp / f"home-{name}", tmp / "pycache",
                     {"UIPATH_CLIENT_ID": DEMO.client_id,
                      "UIPATH_CLIENT_SECRET": DEMO.client_secret})


def _checked(result, what: str):
    if result.timed_out or result.returncode != 0:
        raise RuntimeError(f"{what} failed (exit {result.returncode}, timed out "
                           f"{result.timed_out}): {(result.stderr or result.stdout)[-600:]}")
    return result


def measure_batches(runs: int, timeout: float, tmp: Path) -> list:
    from tui_app.sandbox import Sandbox, SandboxConfig

    section = "Batches"
    config = SandboxConfig(job_pending_seconds=3600)  # jobs wait: the tenant stays the same
    rows_1000 = _rows(tmp, 1000)
    script = tmp / "minimal_batch.py"
    script.write_text(HTTPX_SCRIPT, encoding="utf-8")
    batch_times, httpx_times = Sample(), Sample()
    for run in range(runs):
        order = ("batch", "httpx") if run % 2 == 0 else ("httpx", "batch")
        for side in order:
            with Sandbox(config) as sandbox:
                template = _template(tmp, sandbox.orchestrator_url)
                if side == "batch":
                    command = _batch_command(template, rows_1000)
                    result = _checked(run_child(command, _env(tmp, f"b{run}"), timeout * 5),
                                      "the batch")
                    batch_times.add(result.seconds_to_exit)
                else:
                    token_url = sandbox.identity_url
                    command = [sys.executable, str(script), sandbox.orchestrator_url, "1000",
                               "4", token_url]
                    result = _checked(run_child(command, _env(tmp, "h"), timeout * 5),
                                      "the httpx script")
                    httpx_times.add(result.seconds_to_exit)
                assert sandbox.request_log and sum(
                    1 for r in sandbox.request_log if r.route == START) == 1000
        log(f"batches: run {run + 1}/{runs}: batch {batch_times.values[-1]:.2f} s, "
            f"httpx {httpx_times.values[-1]:.2f} s")
    through = ratio(batch_times, httpx_times)
    rows = [
        Row(section, "1,000-row batch (--parallel 4): spawn → exit", batch_times.show("ms")),
        Row(section, "minimal httpx script, same 1,000 StartJobs, 4 at once",
            httpx_times.show("ms")),
        Row(section, "Batch ÷ httpx script",
            f"{through:.2f}× (pairs {pair_ratios(batch_times, httpx_times).show('x')})"
            if through else "n/a", f"≤ {TARGETS['throughput']}×",
            verdict(through, TARGETS["throughput"])),
    ]
    rows += _memory(tmp, timeout, config)
    rows += _resume(tmp, timeout, config)
    return rows


def _memory(tmp: Path, timeout: float, config) -> list:
    from tui_app.sandbox import Sandbox

    peaks = {}
    for count in (100, 10_000):
        with Sandbox(config) as sandbox:
            template = _template(tmp, sandbox.orchestrator_url)
            command = _batch_command(template, _rows(tmp, count), ("-c", PEAK))
            result = _checked(run_child(command, _env(tmp, f"m{count}"), timeout * 20),
                              f"the {count}-row batch")
            peaks[count] = peak_kib(result)
        log(f"batches: {count} rows: peak RSS {peaks[count]} KiB")
    if None in peaks.values():
        return [Row("Batches", "Peak memory (RSS), 100 vs 10,000 rows", "n/a")]
    grown = (peaks[10_000] - peaks[100]) / 1024
    return [Row("Batches", "Peak memory (RSS): 100 rows → 10,000 rows",
                f"{peaks[100] / 1024:.1f} MB → {peaks[10_000] / 1024:.1f} MB "
                f"(+{grown:.1f} MB)", f"≤ +{TARGETS['memory_mb']:.0f} MB",
                grown <= TARGETS["memory_mb"])]


def _resume(tmp: Path, timeout: float, config) -> list:
    from tui_app.sandbox import Sandbox

    def references(sandbox) -> Counter:
        return Counter(json.loads(r.body)["startInfo"]["Reference"]
                       for r in sandbox.request_log if r.route == START)

    with Sandbox(config) as sandbox:
        template = _template(tmp, sandbox.orchestrator_url)
        command = _batch_command(template, _rows(tmp, 10_000))
        env = _env(tmp, "resume")
        began = time.perf_counter()
        child = subprocess.Popen(command, env=env, cwd=str(ROOT), stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        while sandbox.count(START) < 5000 and child.poll() is None:
            if time.perf_counter() - began > timeout * 20:
                child.kill()
                raise RuntimeError("the 10,000-row batch did not reach row 5,000 in time")
            time.sleep(0.01)
        child.send_signal(signal.SIGKILL)
        child.wait()
        to_5000 = time.perf_counter() - began
        time.sleep(1.0)  # requests the killed child had in flight are logged by now
        before = references(sandbox)
        seen = len(sandbox.request_log)
        began = time.perf_counter()
        child = subprocess.Popen(command, env=env, cwd=str(ROOT), stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        back = None
        while child.poll() is None:
            if back is None:
                fresh = sandbox.request_log[seen:]
                seen += len(fresh)
                if any(r.route == START and json.loads(r.body)["startInfo"]["Reference"]
                       not in before for r in fresh):
                    back = time.perf_counter() - began
            time.sleep(0.01)
        if child.returncode != 0:
            raise RuntimeError(f"the resumed batch exited {child.returncode}")
        after = references(sandbox)
    again = sum(after[ref] - 1 for ref in before)  # rows sent in both runs
    log(f"batches: resume: killed after {sum(before.values())} starts ({to_5000:.1f} s); back in "
        f"{back if back is not None else float('nan'):.2f} s; {again} sent again")
    share = back / to_5000 if back is not None and to_5000 else None
    return [
        Row("Batches", "Resume after SIGKILL at row 5,000 of 10,000: StartJobs sent again for "
            "rows already sent", str(again), "0", again == 0),
        Row("Batches", "Resume: spawn → first new StartJobs, ÷ the full run's time to row "
            "5,000", f"{share:.2f} ({back:.1f} s ÷ {to_5000:.1f} s)" if share else "n/a",
            f"< {TARGETS['resume']}", verdict(share, TARGETS["resume"] - 1e-9)),
    ]
