"""The ``templates --check`` row of the benchmark: 100 templates checked at once (issue 18).

A sandbox with ``scale=100`` (classic folder "Scale": 100 processes, 50 robots in
"ScaleEnv") and 100 Specific templates, one per process, each on one robot. Two sides, each
one child process (spawn to exit), measured alternately: ``startjob templates --check``
over the 100 templates, and a per-template loop of 100 ``startjob run TEMPLATE --dry-run``
in one process (one spawn: the loop is not charged 100 interpreter start-ups). The requests
of each side come from the sandbox's request log; the token is cached on both sides after a
warm-up run (as a user's second command finds it).
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from common import Row, Sample, child_env, log, run_child

TEMPLATES = 100
#: The per-template loop: ``startjob run PATH --dry-run`` for each path, in one process.
LOOP = """\
import contextlib, io, sys
from tui_app.cli import main
url, paths = sys.argv[1], sys.argv[2:]
codes = []
for path in paths:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        codes.append(main(["run", path, "--dry-run", "--url", url]))
raise SystemExit(max(codes))
"""

TEMPLATE = """\
version = 1
name = "Scale {number:05d}"

[connection]
folder = "Scale"

[process]
key = "Process{number:05d}"
environment = "ScaleEnv"
version = "1.0.{version}"

[strategy]
kind = "Specific"
robots = ["SCALE-BOT-{robot:05d}"]

[arguments]
InputText = "benchmark"

[signature]
InputText = "System.String"
Count = "System.Int32"
"""


def _write_templates(folder: Path) -> list:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(1, TEMPLATES + 1):
        path = folder / f"scale-{number:05d}.toml"
        path.write_text(TEMPLATE.format(number=number, version=number % 10,
                                        robot=number % (TEMPLATES // 2) + 1), encoding="utf-8")
        paths.append(str(path))
    return paths


def _run(command: list, env: dict, timeout: float, what: str):
    result = run_child(command, env, timeout)
    if result.timed_out or result.returncode != 0:
        raise RuntimeError(f"{what} failed (exit {result.returncode}, timed out "
                           f"{result.timed_out}): {(result.stderr or result.stdout)[-600:]}")
    return result


def measure_check(runs: int, timeout: float, tmp: Path) -> list:
    from tui_app.sandbox import DEMO, Sandbox, SandboxConfig

    section = f"templates --check ({TEMPLATES} templates)"
    folder = tmp / "check-templates"
    paths = _write_templates(folder)
    env = child_env(tmp / "home-check", tmp / "pycache",
                    {"UIPATH_CLIENT_ID": DEMO.client_id,
                     "UIPATH_CLIENT_SECRET": DEMO.client_secret,
                     "STARTJOB_TEMPLATE_PATH": str(folder)})
    with Sandbox(SandboxConfig(scale=TEMPLATES)) as sandbox:
        url = sandbox.orchestrator_url
        sides = {
            "check": [sys.executable, "-m", "tui_app", "templates", "--check", "--url", url,
                      "--output", "json"],
            "loop": [sys.executable, "-c", LOOP, url, *paths],
        }
        for name, command in sides.items():  # warm-up: bytecode, the token cache
            _run(command, env, timeout * 5, name)
        times = {name: Sample() for name in sides}
        requests: dict = {}
        for run in range(runs):
            order = list(sides) if run % 2 == 0 else list(sides)[::-1]
            for name in order:
                sandbox.clear_log()
                times[name].add(_run(sides[name], env, timeout * 5, name).seconds_to_exit)
                requests[name] = Counter(entry.route for entry in sandbox.request_log)
            log(f"check: run {run + 1}/{runs}: check {times['check'].values[-1] * 1000:.0f} ms, "
                f"loop {times['loop'].values[-1] * 1000:.0f} ms")
    rows = []
    for name, figure in (("check", "startjob templates --check (one process)"),
                         ("loop", f"{TEMPLATES} × startjob run --dry-run (a loop in one "
                                  "process)")):
        total = sum(requests[name].values())
        routes = " · ".join(f"{route} ×{n}" for route, n in sorted(requests[name].items()))
        rows.append(Row(section, f"{figure}: spawn → exit, token cached",
                        f"{times[name].show('ms')}; {total} request(s), "
                        f"{total / TEMPLATES:.2f} per template ({routes})"))
    check_ms, loop_ms = times["check"].median, times["loop"].median
    if check_ms and loop_ms:
        rows.append(Row(section, "check ÷ loop (wall time)", f"{check_ms / loop_ms:.2f}×"))
    return rows
