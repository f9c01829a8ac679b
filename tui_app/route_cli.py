"""``startjob route ROUTES.toml --events FILE|-``: each event to the template that matches it.

Events are JSON objects, one per line (JSON lines; blank lines are ignored), from a file or
standard input, each handled as it arrives: the route file (``tui_app.routes``) picks the
template, and the template runs as ``startjob run TEMPLATE`` would with that event (its
``[bindings]`` fill the values; nothing is asked on the terminal; with ``[events] id`` an
event started before, by any run of that template, is found by Reference and not started
again). One line per event, on
standard output: the event's number, the route, the template and the outcome
(``--output json``: one JSON object per line). A summary goes to standard error at the end.

Exit codes: 0 every event a route matched was started (events no route matched are only
counted); 2 the route file, a template it names, or ``--events`` cannot be used (nothing
ran); 4 at least one event was not started: its run failed (the line says why and with which
``startjob run`` exit code: 2 for a start the production guard protects, without ``--yes``)
or the line was not a JSON object.
"""

from __future__ import annotations

import asyncio
import io
import json
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Optional, TextIO

from tui_app.arguments.jsontext import JsonSyntaxError, loads
from tui_app.exit_codes import EXIT_OK, EXIT_REFUSED, EXIT_USAGE
from tui_app.routes import RouteTable
from tui_app.text import visible
from tui_app.userfiles import MAX_EVENT_BYTES

__all__ = ["RouteCounts", "read_events", "route_events"]


@dataclass
class RouteCounts:
    """How the events went."""

    started: int = 0
    #: Events started before (the template's ``[events] id``): found, not started again.
    already: int = 0
    skipped: int = 0
    failed: int = 0
    invalid: int = 0
    outcomes: list = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return EXIT_REFUSED if self.failed or self.invalid else EXIT_OK

    def summary(self) -> str:
        total = self.started + self.already + self.skipped + self.failed + self.invalid
        return (f"{total} event(s): {self.started} started, "
                + (f"{self.already} started before, " if self.already else "")
                + f"{self.skipped} matched no route, "
                f"{self.failed} not started, {self.invalid} not a JSON object.")


def read_events(stream: IO[str]) -> Iterator[tuple[int, Optional[dict], Optional[str]]]:
    """(line number, event, None) for each JSON object line as it arrives, or (line number,
    None, problem) for a line that is not one; blank lines are skipped."""
    number = 0
    while True:
        line = stream.readline(MAX_EVENT_BYTES + 1)
        if not line:
            return
        number += 1
        if len(line) > MAX_EVENT_BYTES:
            while line and not line.endswith("\n"):
                line = stream.readline(MAX_EVENT_BYTES)
            yield number, None, f"longer than {MAX_EVENT_BYTES:,} characters"
            continue
        if not line.strip():
            continue
        try:
            event = loads(line.lstrip("\ufeff"), unique_keys=False)
        except JsonSyntaxError as exc:
            yield number, None, f"not valid JSON: {exc}"
            continue
        if not isinstance(event, dict):
            yield number, None, "a JSON object ({...}) is expected, not a list or a value"
            continue
        yield number, event, None


def route_events(table: RouteTable, stream: IO[str], *, connection: Mapping[str, Any],
                 profile: Optional[str] = None, dry_run: bool = False, output: str = "text",
                 environ: Optional[Mapping[str, str]] = None,
                 client_options: Optional[dict] = None, out: Optional[TextIO] = None,
                 err: Optional[TextIO] = None, yes: bool = False) -> int:
    """Route and run every event of ``stream``; prints a line per event and the summary,
    returns the exit code (see the module docstring). ``yes``: ``--yes`` (the production
    guard's starts are confirmed; without it they are not started)."""
    out = out or sys.stdout
    err = err or sys.stderr
    counts = RouteCounts()
    try:
        for number, event, problem in read_events(stream):
            _route_one(table, number, event, problem, counts, out, output,
                       lambda path, found: _run(path, found, connection, profile, dry_run,
                                                environ, client_options, yes))
    finally:  # also after Ctrl+C: what ran so far
        print(f"startjob route: {counts.summary()}", file=err, flush=True)
    return counts.exit_code


def _route_one(table: RouteTable, number: int, event: Optional[dict], problem: Optional[str],
               counts: RouteCounts, out: TextIO, output: str,
               run: Callable[[Path, dict], Any]) -> None:
    """Route one line of the events, run it, count it and print its line."""
    if event is None:
        counts.invalid += 1
        _report(out, output, {"event": number, "route": None, "template": None,
                              "outcome": "invalid", "errors": [f"line {number}: {problem}"]},
                f"event {number}: not started: line {number} is {problem}")
        return
    route = table.route_for(event)
    if route is None:
        counts.skipped += 1
        _report(out, output, {"event": number, "route": None, "template": None,
                              "outcome": "skipped", "errors": []},
                f"event {number}: no route matches: skipped")
        return
    result = run(route.path, event)
    outcome, text = _outcome(result)
    if outcome == "not_started":
        counts.failed += 1
    elif outcome == "already_started":
        counts.already += 1
    else:
        counts.started += 1
    _report(out, output, {"event": number, "route": route.number or "default",
                          "template": route.template.name, "outcome": outcome,
                          "exit_code": result.exit_code, "history_id": result.history_id,
                          "jobs": [job.id for job in result.jobs],
                          "item": result.item.id if result.item is not None else None,
                          "errors": list(result.errors)},
            f"event {number}: {route.label} -> "
            f"{visible(route.template.name, single_line=True)}: {text}")


def _run(path: Path, event: dict, connection: Mapping[str, Any], profile: Optional[str],
         dry_run: bool, environ: Optional[Mapping[str, str]],
         client_options: Optional[dict], yes: bool = False) -> Any:
    """One event through the single-run path (``replay.replay``), its printing kept."""
    from tui_app.replay import ReplayOptions, replay

    options = ReplayOptions(template=str(path), event_data=event, dry_run=dry_run,
                            connection=connection, profile=profile, no_input=True, yes=yes)
    quiet = io.StringIO()
    return asyncio.run(replay(options, environ=environ, out=quiet, err=quiet,
                              client_options=client_options))


def _outcome(result: Any) -> tuple[str, str]:
    """("started" | "already_started" | "dry_run" | "not_started", the line's text) of a
    run's result."""
    if result.exit_code != EXIT_OK:
        why = visible(result.errors[0], single_line=True, limit=300) if result.errors else ""
        return "not_started", f"not started (exit {result.exit_code}): {why}"
    if result.dry_run:
        return "dry_run", "dry run: valid, nothing started"
    if result.item is not None:
        return "started", f"added item {result.item.id}"
    ids = ", ".join(str(job.id) for job in result.jobs) or "none"
    if result.already_started:
        return "already_started", f"started before: job(s) {ids}; nothing started"
    return "started", f"started job(s) {ids}"


def _report(out: TextIO, output: str, data: dict, line: str) -> None:
    if output == "json":
        print(json.dumps(data, ensure_ascii=True), file=out, flush=True)  # ASCII: printable
    else:
        print(visible(line, single_line=True), file=out, flush=True)


def open_events(source: str, stdin: Optional[IO[str]] = None) -> IO[str]:
    """The events stream: standard input for ``-``, else the file (``OSError`` when it
    cannot be opened)."""
    if source == "-":
        return stdin if stdin is not None else sys.stdin
    return open(Path(source).expanduser(), encoding="utf-8-sig")  # noqa: SIM115


def exit_usage(problem: str, err: Optional[TextIO] = None) -> int:
    print(f"startjob route: {visible(problem, single_line=True)}", file=err or sys.stderr)
    return EXIT_USAGE
