"""Helpers shared by the benchmark sections: figures, table rows, child processes."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def log(text: str) -> None:
    """Progress goes to stderr, so stdout is only the table."""
    print(text, file=sys.stderr, flush=True)


@dataclass
class Sample:
    """Several measurements of one figure (seconds, bytes or counts)."""

    values: list = field(default_factory=list)

    def add(self, value: Optional[float]) -> None:
        if value is not None:
            self.values.append(value)

    @property
    def median(self) -> Optional[float]:
        return statistics.median(self.values) if self.values else None

    def show(self, unit: str) -> str:
        """``123 ms (118–140)``; units: ms (from seconds), MB (from KiB), x, n."""
        if not self.values:
            return "n/a"
        scale = {"ms": 1000.0, "MB": 1 / 1024, "x": 1.0, "n": 1.0}[unit]
        fmt = {"ms": "{:.0f}", "MB": "{:.1f}", "x": "{:.2f}", "n": "{:g}"}[unit]
        suffix = {"ms": " ms", "MB": " MB", "x": "×", "n": ""}[unit]
        median = fmt.format(self.median * scale) + suffix
        if len(self.values) == 1:
            return median
        low = fmt.format(min(self.values) * scale)
        high = fmt.format(max(self.values) * scale)
        return f"{median} ({low}–{high})"


def now() -> tuple:
    """(wall clock, CPU time of this thread). Wall time well above CPU time means the
    thread waited (for the machine, or for I/O) rather than worked."""
    return time.perf_counter(), time.thread_time()


@dataclass
class Timing:
    """Wall-clock and CPU durations of the same measured spans."""

    wall: Sample = field(default_factory=Sample)
    cpu: Sample = field(default_factory=Sample)

    def add(self, start: tuple, end: tuple) -> None:
        self.wall.add(end[0] - start[0])
        self.cpu.add(end[1] - start[1])

    @property
    def median(self) -> Optional[float]:
        return self.wall.median

    def show(self) -> str:
        if self.cpu.median is None:
            return self.wall.show("ms")
        return f"{self.wall.show('ms')}, CPU {self.cpu.median * 1000:.0f} ms"


def ratio(numerator: Sample, denominator: Sample) -> Optional[float]:
    if numerator.median is None or not denominator.median:
        return None
    return numerator.median / denominator.median


def pair_ratios(numerator: Sample, denominator: Sample) -> Sample:
    """Ratios of the runs made side by side (run i of one against run i of the other)."""
    return Sample([a / b for a, b in zip(numerator.values, denominator.values) if b])


@dataclass
class Row:
    section: str
    figure: str
    measured: str
    target: str = ""
    met: Optional[bool] = None  # None: informational, no target

    @property
    def verdict(self) -> str:
        return {True: "yes", False: "**no**", None: ""}[self.met]


def verdict(value: Optional[float], limit: float) -> Optional[bool]:
    return None if value is None else value <= limit


@dataclass
class ChildResult:
    seconds_to_line: Optional[float]  # time until the first stdout line (None: never came)
    seconds_to_exit: float
    max_rss_kib: Optional[int]  # peak resident memory of the child (None: not measurable)
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool


def _rss_kib(usage) -> Optional[int]:
    if usage is None:
        return None
    # Linux reports KiB, macOS bytes.
    return usage.ru_maxrss // 1024 if sys.platform == "darwin" else usage.ru_maxrss


def run_child(argv: list, env: dict, timeout: float, *, wait_for_line: bool = False,
              cwd: Optional[Path] = None) -> ChildResult:
    """Run ``argv``; time it from just before the spawn, to its first output line and to exit.

    Peak memory is that child's own ``ru_maxrss`` (``os.wait4``); ``RUSAGE_CHILDREN`` would
    be the largest of every child so far. The child is killed after ``timeout`` seconds.
    """
    with tempfile.TemporaryFile() as err_file:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err_file, env=env,
                                cwd=str(cwd or ROOT), stdin=subprocess.DEVNULL)
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            proc.kill()

        killer = threading.Timer(timeout, kill)
        killer.daemon = True
        killer.start()
        try:
            first_line = b""
            line_at = None
            if wait_for_line:
                first_line = proc.stdout.readline()
                if first_line:
                    line_at = time.perf_counter() - start
            rest = proc.stdout.read()
            usage = None
            if hasattr(os, "wait4"):
                _, status, usage = os.wait4(proc.pid, 0)
                proc.returncode = os.waitstatus_to_exitcode(status)
            else:  # pragma: no cover - not Unix
                proc.wait()
            exit_at = time.perf_counter() - start
        finally:
            killer.cancel()
            proc.stdout.close()
        err_file.seek(0)
        stderr = err_file.read().decode("utf-8", "replace")
    return ChildResult(line_at, exit_at, _rss_kib(usage), proc.returncode,
                       (first_line + rest).decode("utf-8", "replace"), stderr, timed_out.is_set())


#: Runs ``startjob ARGS`` (``python -c PEAK ARGS``) and prints its own peak RSS (``VmHWM``)
#: to stderr last: a child's ``ru_maxrss`` also counts the pages of the benchmark process it
#: was forked from, which grows with each section (a 10,000-release tenant, seeded jobs).
PEAK = """\
import sys
from tui_app.cli import main
try:
    code = main(sys.argv[1:])
finally:
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                sys.stderr.write("PEAK-KIB " + line.split()[1] + "\\n")
    except OSError:
        pass
raise SystemExit(code)
"""


def peak_kib(result: ChildResult) -> Optional[int]:
    """A ``PEAK`` child's own peak RSS; its ``ru_maxrss`` where ``/proc`` is missing."""
    for line in reversed(result.stderr.splitlines()):
        if line.startswith("PEAK-KIB "):
            return int(line.split()[1])
    return result.max_rss_kib


#: Interpreter settings that would change what is measured.
_PYTHON_KNOBS = ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX", "PYTHONPROFILEIMPORTTIME",
                 "PYTHONDEVMODE", "PYTHONMALLOC", "PYTHONTRACEMALLOC", "PYTHONSTARTUP",
                 "PYTHONINSPECT", "PYTHONASYNCIODEBUG", "PYTHONWARNINGS")


def child_env(home: Path, pycache: Path, extra: Optional[dict] = None) -> dict:
    """A clean environment for child processes.

    No ``UIPATH_*`` or ``STARTJOB_*`` settings leak in; startjob's files go to ``home``.
    Bytecode is cached under ``pycache`` (a warm-up run fills it), so the figures are those of
    an installed copy even where ``PYTHONDONTWRITEBYTECODE`` is set, and the checkout stays
    free of ``__pycache__`` folders.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("UIPATH_", "STARTJOB_", "TEXTUAL")) and key not in _PYTHON_KNOBS
    }
    env.update(STARTJOB_HOME=str(home), PYTHONPYCACHEPREFIX=str(pycache), TERM="xterm-256color",
               COLUMNS="80", LINES="24")
    if extra:
        env.update(extra)
    return env
