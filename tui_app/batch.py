"""Batches and event streams: ``startjob run TEMPLATE --rows FILE`` and ``--events FILE``.

A batch is one start (a job template) or one queue item (a queue template) per row of a rows
file (``tui_app.batch_rows``). The template is resolved ONCE (``replay.connected``,
``replay.resolve_job``: one client, one token, one release lookup); each row's values are
planned by the replay's own rules (``replay.job_plan``): ``--set``/``--set-json`` win over the
row as they win over an event, a row's column fills the argument of its name, a JSON-lines
row is also the event the template's ``[bindings]`` read.

Every row is planned before anything starts: the problems of all rows are listed with their
row numbers (exit 2, nothing started). ``--dry-run`` stops there and prints one line per row
and the first full body. Then the rows go through ``--parallel N`` workers (default 4):
a row is written to the batch ledger (``tui_app.ledger``) as ``starting`` (and synced to
disk, off the event loop; rows written while a sync runs share the next one) before its
StartJobs is sent (``starting.start_once``: never a
blind retry; a 429, which Orchestrator refused before acting, is sent again after its
``Retry-After``), then ``started``,
``refused`` or ``unknown``. Each row's Reference is deterministic
(``ledger.row_tail``), so running the same command again resumes the same batch:
started rows are skipped (neither validated nor planned again), the ``starting``/``unknown``
rows are looked up by Reference in Orchestrator (``look_up_open_rows``: a few requests before
the first start) and only started when Orchestrator has no job for them, refused rows are tried
again. Queue templates add their rows with ``BulkAddQueueItems`` in chunks of
``BULK_CHUNK`` (``--commit-type``, default ``ProcessAllIndependently``); a failed item's
``Ordinal`` names its row.

``--stop-on-refusal`` stops at the first refused row (rows in flight finish, the rest are not
started). ``--wait`` follows every started job in batched polls (``client.get_jobs``: 50 ids
per ``GET /odata/Jobs``), never more than ``POLLS_PER_MINUTE`` such requests a minute.

History: every started row is one history entry (as ``startjob run`` writes), so
``startjob history`` and ``startjob jobs`` find a row's jobs; queue rows added in bulk have no
item ids in Orchestrator's answer and are only in the ledger. A rows batch appends its
entries in groups (``HISTORY_GROUP``, at most ``HISTORY_SECONDS`` late, and at the end): a
kill loses at most that group from the history, never from the ledger.

Output: a progress line on standard error only when it is a terminal (rows done, started,
refused, rate, ETA; cleared at the end); a summary at the end. ``--output json`` writes JSON
lines instead: one object per row as it finishes, then ``{"totals": ...}``.

Events (``--events FILE``, ``-`` for standard input): one JSON object per line, each
processed as it arrives, for as long as input comes; each event is one row of a batch named
by the template and a new stream id. The template's ``[events] id`` (a dotted path) makes
the event's Reference come from its id, so a re-delivered event is found (ledger, then
Orchestrator by Reference) and not started twice. A template ``filter`` skips events that do
not match (counted ``filtered``). A bad event is reported and the stream goes on.

The production guard (``tui_app.guard``) asks once, after every row is planned and before
the first row starts (``--yes`` confirms; without a terminal, or with ``--rows -`` /
``--events -``, a protected batch exits 2 and nothing is started).

Exit codes (``tui_app.exit_codes``): 0 every row started/added (``--wait``: every job ended
Successful), 1 ``--wait``: a job ended Faulted or Stopped, 2 usage or a row that does not
validate, 3 connection, 4 every row refused, 7 rows whose outcome is unknown remain,
9 some rows refused while others started.
"""

from __future__ import annotations

import asyncio
import hashlib
import sys
import time
import uuid
from collections.abc import Awaitable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any, Callable, Optional, TextIO

from tui_app import prompts
from tui_app.arguments.jsontext import dumps, printable_json, quote
from tui_app.batch_rows import Row, RowsError, RowSource, parse_object
from tui_app.exit_codes import (
    EXIT_CONNECTION,
    EXIT_JOB_FAILED,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_SOME_REFUSED,
    EXIT_TIMEOUT,
    EXIT_UNKNOWN,
    EXIT_USAGE,
)
from tui_app.guard import decide
from tui_app.ledger import (
    DONE_STATES,
    MAX_REFERENCE,
    OPEN_STATES,
    Ledger,
    batch_id,
    batches_dir,
    row_states,
    row_tail,
)
from tui_app.orchestrator.errors import OrchestratorError, RateLimited
from tui_app.replay import (
    CLIENT_OPTIONS,
    FOLLOW,
    ReplayError,
    ReplayOptions,
    ReplayResult,
    _classify,
    _Context,
    _Override,
    _Reporter,
    confirm_start,
    connected,
    event_id_tail,
    find_template,
    job_guard,
    job_plan,
    parse_overrides,
    resolve_job,
)
from tui_app.starting import prepare_input, start_once
from tui_app.templates import Template, TemplateError
from tui_app.text import visible

__all__ = ["COMMIT_TYPES", "BatchOptions", "BatchTotals", "run_batch", "template_filter"]

#: ``--commit-type`` values (``BulkAddQueueItemsRequest.commitType``, spec v20).
COMMIT_TYPES = ("AllOrNothing", "StopOnFirstFailure", "ProcessAllIndependently")
#: Queue items per ``BulkAddQueueItems`` request.
BULK_CHUNK = 100
#: A 429 on StartJobs is sent again at most this many times (after its Retry-After).
RATE_RETRIES = 5
#: Seconds to wait after a 429 without ``Retry-After``.
RATE_WAIT = 2.0
#: Filtered ``GET /odata/Jobs`` requests ``--wait`` sends at most per minute (the tenant's
#: limit is 100 for every client together).
POLLS_PER_MINUTE = 60
#: Refused rows named in the text summary (the rest are in the ledger and ``--output json``).
SHOWN_PROBLEMS = 20
#: A rows batch writes its history entries in groups: at most this many at once, and none
#: waits longer than ``HISTORY_SECONDS`` (an event stream writes each at once).
HISTORY_GROUP = 100
HISTORY_SECONDS = 1.0


@dataclass
class BatchOptions:
    """``startjob run`` with ``--rows`` or ``--events``."""

    replay: ReplayOptions
    rows: Optional[str] = None
    events: Optional[str] = None
    parallel: int = 4
    stop_on_refusal: bool = False
    commit_type: str = "ProcessAllIndependently"


@dataclass
class BatchTotals:
    """The counts of a batch; ``to_json`` is the last line of ``--output json``."""

    batch: str = ""
    rows: int = 0
    started: int = 0
    skipped: int = 0
    refused: int = 0
    unknown: int = 0
    filtered: int = 0
    not_started: int = 0
    jobs_failed: int = 0
    timed_out: bool = False
    exit_code: int = EXIT_OK
    errors: list = field(default_factory=list)
    #: The production guard's ``Guard.to_json`` (None: no guard rule applies).
    guard: Optional[dict] = None

    def to_json(self) -> dict:
        totals = {"batch": self.batch, "rows": self.rows, "started": self.started,
                  "already_done": self.skipped, "refused": self.refused,
                  "unknown": self.unknown, "filtered": self.filtered,
                  "not_started": self.not_started, "jobs_failed": self.jobs_failed,
                  "timed_out": self.timed_out, "errors": list(self.errors),
                  "exit_code": self.exit_code}
        if self.guard is not None:
            totals["guard"] = self.guard
        return {"totals": totals}


def template_filter(template: Template) -> Optional[Any]:
    """The template's compiled ``filter`` (``tui_app.event_filter``), or None without one."""
    from tui_app.event_filter import FilterError, compile_filter

    if not template.filter:
        return None
    try:
        return compile_filter(template.filter)
    except FilterError as exc:
        raise ReplayError(f"The template's filter {quote(template.filter)}: {exc}") from None


# -- row values --------------------------------------------------------------------------


def row_values(template: Template, known: Sequence[str], row: Row, csv_row: bool,
               overrides: Mapping[str, _Override]) -> tuple[dict, dict, list]:
    """The overrides and the event of one row, and its problems: a column fills the
    argument (content field) of its name, a JSON-lines row is the event ``[bindings]``
    read; ``overrides`` (``--set``) win over both. A CSV column that is neither an argument
    nor read by a binding is a problem (a JSON-lines row may hold more: it is an event)."""
    bound = {path.split(".")[0] for path in template.bindings.values()}
    flag = "--set" if csv_row else "--set-json"
    values: dict = {}
    problems = []
    for name, value in row.data.items():
        if name in known and name not in template.bindings:
            values[name] = _Override(flag, value, f"row {row.number} {name}")
        elif name not in bound and (csv_row or not template.bindings):
            names = ", ".join(known) or "none"
            problems.append(f"the column {quote(name)} is not an argument of the template "
                            f"(arguments: {names})")
    return {**values, **overrides}, row.data, problems


# -- the engine ------------------------------------------------------------------------------


@dataclass
class _Prepared:
    """One row, planned: its number, Reference, and the body to send (a job's: empty
    when it is not ``shown``, i.e. it has ``ask`` values or goes as a file)."""

    number: int
    reference: str
    body: dict
    plan: Any = None
    shown: Optional[dict] = None
    event_ref: bool = False
    #: Written ``starting`` ahead (``_Engine.mark``).
    marked: bool = False


class _Progress:
    """The ``\\r``-updated progress line on a terminal (nothing elsewhere)."""

    def __init__(self, stream: TextIO, total: Optional[int]) -> None:
        isatty = getattr(stream, "isatty", None)
        self.on = bool(isatty and isatty())
        self.stream = stream
        self.total = total
        self.begun = time.monotonic()
        self.shown = 0.0
        self.width = 0

    def update(self, totals: BatchTotals, done: int, force: bool = False) -> None:
        if not self.on:
            return
        now = time.monotonic()
        if not force and now - self.shown < 0.1:
            return
        self.shown = now
        elapsed = max(now - self.begun, 1e-6)
        rate = done / elapsed
        of = f"/{self.total}" if self.total else ""
        eta = ""
        if self.total and rate > 0:
            eta = f"  ETA {max(self.total - done, 0) / rate:.0f}s"
        line = (f"rows {done}{of}  started {totals.started}  refused {totals.refused}  "
                f"{rate:.1f}/s{eta}")[:79]
        self.stream.write("\r" + line.ljust(self.width))
        self.stream.flush()
        self.width = len(line)

    def clear(self) -> None:
        if self.on and self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()


class _Engine:
    """One batch run: the resolved template, the ledger and the counts."""

    def __init__(self, context: _Context, options: BatchOptions, bid: str,
                 out: TextIO, err: TextIO, prompter: Optional[prompts.Prompter] = None) -> None:
        self.context = context
        #: Asks for the production guard's confirmation (None: not on a terminal).
        self.prompter = prompter
        self.options = options
        self.bid = bid
        self.out = out
        self.err = err
        self.json = options.replay.output == "json"
        self.totals = BatchTotals(batch=bid)
        self.problems: list = []
        self.warned: set = set()
        self.started_jobs: list = []
        self.stop = False
        self.target: Any = None
        self.queue: Any = None
        self.fields: list = []
        self.filter: Any = None
        self.event_id: Optional[str] = getattr(context.template, "event_id", None)
        #: Who starts the batch's jobs (``_history``): asked once, by the first worker.
        self.identity: Optional[asyncio.Future] = None
        self.ledger: Optional[Ledger] = None
        #: Ledger records on disk so far, and the sync that runs (``_synced``).
        self.synced = 0
        self.syncing: Optional[asyncio.Future] = None
        #: History entries not written yet, since when; grouped for rows, not events.
        self.history: list = []
        self.history_since = 0.0
        self.group_history = False
        self.states: dict = {}
        #: The jobs of the rows a resume must look up (``look_up_open_rows``), by Reference.
        self.looked_up: dict = {}
        self.done = 0
        self.progress = _Progress(err, None)
        self.known: list = []

    # ---- resolving and planning

    async def resolve(self) -> None:
        template = self.context.template
        if template.action == "start_job":
            self.target = await resolve_job(self.context)
            self.known = [spec.name for spec in self.target.specs]
        else:
            await self._resolve_queue()
        self.filter = template_filter(template)

    async def _resolve_queue(self) -> None:
        from tui_app.drift import check_queue_drift
        from tui_app.queue_schema import SchemaError, content_fields

        template, client = self.context.template, self.context.client
        assert template.queue is not None  # the parser requires [queue]
        self.queue = await client.queue_by_name(template.queue.name)
        if self.queue is None:
            raise ReplayError([f.text for f in check_queue_drift(self.context.effective, None)])
        try:
            self.fields = content_fields(self.queue.specific_data_json_schema)
        except SchemaError:
            self.fields = []
        self.known = ([f.name for f in self.fields] if self.fields else
                      list(dict.fromkeys([*template.content, *template.bindings])))

    async def confirm(self) -> None:
        """The production guard, once before the first row starts: every row's start has
        the template's strategy, so its cap is checked per row's start here
        (``replay.confirm_start``; a ``ReplayError`` when not confirmed)."""
        context = self.context
        template = context.template
        if template.action == "start_job":
            strategy = template.strategy
            found = await job_guard(context, self.target, strategy.kind,
                                    robots=len(strategy.robots),
                                    jobs_count=strategy.jobs_count or 1)
        else:
            found = decide(profile=context.profile, template=template, folder=context.folder,
                           what=self.queue.name, item=True)
        try:
            confirm_start(context, found, self.prompter)
        finally:
            self.totals.guard = context.result.guard

    def warn(self, line: str) -> None:
        if line not in self.warned:
            self.warned.add(line)
            self.context.report.warn(line)

    def tail(self, row: Row, event: dict) -> str:
        """The unique end of a row's Reference: from the event's id (``[events] id``), else
        from the batch id, the row number and its content."""
        if self.event_id:
            return str(event_id_tail(self.context, event))
        return row_tail(self.bid, row.number, row.digest)

    def plan(self, row: Row, csv_row: bool) -> _Prepared:
        """One row's plan; a ``ReplayError`` lists its problems."""
        template = self.context.template
        overrides, event, problems = row_values(template, self.known, row, csv_row,
                                                self.context.overrides)
        if problems:
            raise ReplayError(problems)
        if template.action == "start_job":
            built = job_plan(self.context, self.target, overrides, event, self.warn,
                             tail=self.tail(row, event))
            sendable = not built.hidden and not built.plan.sends_file
            return _Prepared(row.number, str(built.plan.reference),
                             built.shown if sendable else {}, built.plan, built.shown,
                             bool(self.event_id))
        return self._queue_plan(row, overrides, event)

    def _queue_plan(self, row: Row, overrides: dict, event: dict) -> _Prepared:
        from tui_app.drift import check_queue_drift
        from tui_app.plan import PlanError
        from tui_app.queue_plan import QueuePlan
        from tui_app.queue_schema import SchemaError, check_content
        from tui_app.replay import _fill_reference, collect_content

        template, context = self.context.template, self.context
        collected = collect_content(template, self.fields, overrides, event, context.environ)
        findings = check_queue_drift(context.effective, self.queue, given=collected.given)
        for finding in findings:
            if not finding.blocks:
                self.warn(finding.text)
        problems = [f.text for f in findings if f.blocks]
        problems += list(collected.problems.values())
        try:
            problems += [f"{name}: {problem} (the queue's item schema)" for name, problem in
                         check_content(self.queue.specific_data_json_schema,
                                       collected.values).items()]
        except SchemaError:
            pass
        if problems:
            raise ReplayError(problems)
        prefix = _fill_reference(template.item.reference, event)
        reference = f"{prefix or 'startjob'}:{self.tail(row, event)}"
        if len(reference) > MAX_REFERENCE:
            raise ReplayError(f"the reference {quote(reference[:40] + '...')} is "
                              f"{len(reference)} characters; Orchestrator takes at most "
                              f"{MAX_REFERENCE}")
        item = replace(template.item, reference=reference)
        if context.options.priority is not None:
            item = replace(item, priority=str(context.options.priority))
        try:
            body = QueuePlan(self.queue, dict(collected.values), item, context.folder).item_data()
        except PlanError as exc:
            raise ReplayError(str(exc)) from None
        return _Prepared(row.number, reference, body, event_ref=bool(self.event_id))

    # ---- the ledger and outcomes

    def record(self, prepared: _Prepared, state: str, **facts: Any) -> None:
        assert self.ledger is not None
        self.ledger.row(prepared.number, state, prepared.reference, **facts)
        if state in ("started", "added"):
            self.totals.started += 1
        elif state in ("refused", "invalid"):
            self.totals.refused += 1
            if self.options.stop_on_refusal:
                self.stop = True
        elif state == "unknown":
            self.totals.unknown += 1
        elif state == "filtered":
            self.totals.filtered += 1
        self.emit(prepared.number, prepared.reference, state, **facts)

    def emit(self, number: int, reference: str, state: str, **facts: Any) -> None:
        self.done += 1
        if self.json:
            print(printable_json({"row": number, "reference": reference, "state": state,
                                  **facts}).replace("\n", " "), file=self.out, flush=True)
        elif state in ("refused", "invalid", "unknown") and len(self.problems) < SHOWN_PROBLEMS:
            self.problems.append(f"row {number}: {state}: {facts.get('message', '')}")
        self.progress.update(self.totals, self.done)

    # ---- starting jobs

    async def start_row(self, prepared: _Prepared) -> None:
        """Settle what the ledger left open, then start the row once."""
        client = self.context.client
        last = self.states.get(prepared.number)
        if last is not None and last.state in DONE_STATES:
            self.totals.skipped += 1
            self.done += 1
            return
        if (last is not None and last.state in OPEN_STATES) or prepared.event_ref:
            found = self.looked_up.pop(prepared.reference, None)
            try:
                if found is None:
                    found = await client.find_jobs_by_reference(prepared.reference)
            except OrchestratorError as exc:
                self.record(prepared, "unknown", message=f"could not be looked up: {exc}")
                return
            if found:
                self.totals.skipped += 1
                assert self.ledger is not None
                self.ledger.row(prepared.number, "started", prepared.reference,
                                jobs=_jobs(found), found=True)
                self.done += 1
                self.started_jobs.extend(job.id for job in found)
                return
        plan = prepared.plan
        if plan.sends_file:
            try:
                plan = await prepare_input(client, plan)
            except OrchestratorError as exc:
                self.record(prepared, "refused", message=f"the input file: {exc}",
                            error_code=str(exc.error_code or ""))
                return
        if not prepared.marked:
            await self.record_starting(prepared)
        outcome = await self._send(prepared.body or plan.start_info())
        if outcome.started:
            self.record(prepared, "started", jobs=_jobs(outcome.jobs))
            self.started_jobs.extend(job.id for job in outcome.jobs)
            await self._history(plan, outcome.jobs, prepared.shown)
        elif outcome.unknown:
            self.record(prepared, "unknown", message=outcome.message)
        else:
            error = outcome.error
            self.record(prepared, "refused", message=str(error),
                        error_code=str(getattr(error, "error_code", "") or ""),
                        exit=_classify(error)[0] if error is not None else EXIT_REFUSED)

    async def look_up_open_rows(self) -> None:
        """Look up, in a few requests, the rows the ledger left ``starting`` or ``unknown``
        (a resume after a kill): ``start_row`` then needs no request of its own for them.
        A failure leaves it to ``start_row``'s own look-up."""
        references = [s.reference for s in self.states.values() if s.state in OPEN_STATES]
        if not references:
            return
        try:
            self.looked_up = await self.context.client.jobs_by_references(references)
        except OrchestratorError:
            pass  # start_row looks each of them up

    async def mark(self, group: list) -> None:
        """Write ``starting`` ahead, with one sync, for the rows of ``group`` that need no
        look-up before their start (new, refused or unsent rows): a few rows planned ahead
        share one ``fsync``. A stop turns the ones not sent into ``unsent``; a kill leaves
        them ``starting``, which a resume looks up by Reference."""
        ledger = self.ledger
        assert ledger is not None
        for prepared in group:
            last = self.states.get(prepared.number)
            if prepared.event_ref or (last is not None and last.state not in ("refused",
                                                                               "unsent")):
                continue
            ledger.row(prepared.number, "starting", prepared.reference)
            prepared.marked = True
        await self._synced(ledger.written)

    async def record_starting(self, *prepared: _Prepared) -> None:
        """Write the rows as ``starting`` and sync the ledger before their request is
        sent."""
        ledger = self.ledger
        assert ledger is not None
        for row in prepared:
            ledger.row(row.number, "starting", row.reference)
        await self._synced(ledger.written)

    async def _synced(self, records: int) -> None:
        """Return once the ledger's first ``records`` records are on disk. The sync runs off
        the event loop, so the other workers go on; the workers that ask while one runs
        share the next (a group commit: one ``fsync`` for several rows)."""
        while self.synced < records:
            if self.syncing is None:
                self.syncing = asyncio.ensure_future(self._sync())
            await asyncio.shield(self.syncing)

    async def _sync(self) -> None:
        ledger = self.ledger
        assert ledger is not None
        upto = ledger.written
        try:
            await asyncio.get_running_loop().run_in_executor(None, ledger.sync)
            self.synced = upto
        finally:
            self.syncing = None

    async def _send(self, start_info: dict) -> Any:
        for attempt in range(RATE_RETRIES + 1):
            outcome = await start_once(self.context.client, start_info)
            error = outcome.error
            if (outcome.started or not isinstance(error, RateLimited)
                    or attempt == RATE_RETRIES):
                return outcome
            await asyncio.sleep(error.retry_after if error.retry_after is not None
                                else RATE_WAIT)
        raise AssertionError("unreachable")

    async def _history(self, plan: Any, jobs: Sequence[Any], shown: Optional[dict]) -> None:
        from tui_app.history import start_entry
        from tui_app.identity import who_started

        context = self.context
        if self.identity is None:
            self.identity = asyncio.ensure_future(who_started(context.client, context.settings))
        identity = await asyncio.shield(self.identity)
        if not self.history:
            self.history_since = time.monotonic()
        self.history.append(start_entry(
            "headless", plan, jobs, template_name=context.template.name,
            template_path=str(context.path), orchestrator_url=context.client.base_url,
            tenant=context.settings.tenant, identity=identity or None, body=shown))
        if (not self.group_history or len(self.history) >= HISTORY_GROUP
                or time.monotonic() - self.history_since >= HISTORY_SECONDS):
            self.write_history()

    def write_history(self) -> None:
        """Append the history entries not written yet (one write)."""
        from tui_app.history import append_entries
        from tui_app.locations import LocationError

        entries, self.history = self.history, []
        try:
            append_entries(entries)
        except (OSError, LocationError, ValueError) as exc:
            self.warn(f"{len(entries)} start(s) were not written to the history: {exc}")

    # ---- adding queue items in bulk

    async def add_chunk(self, chunk: list) -> None:
        """Add a chunk of queue rows with one ``BulkAddQueueItems``."""
        client = self.context.client
        todo = []
        for prepared in chunk:
            last = self.states.get(prepared.number)
            if last is not None and last.state in DONE_STATES:
                self.totals.skipped += 1
                self.done += 1
                continue
            if (last is not None and last.state in OPEN_STATES) or prepared.event_ref:
                try:
                    found = await client.queue_items_by_reference(self.queue.id,
                                                                  prepared.reference)
                except OrchestratorError as exc:
                    self.record(prepared, "unknown", message=f"could not be looked up: {exc}")
                    continue
                if found:
                    self.totals.skipped += 1
                    assert self.ledger is not None
                    self.ledger.row(prepared.number, "added", prepared.reference,
                                    items=[item.id for item in found], found=True)
                    self.done += 1
                    continue
            todo.append(prepared)
        if not todo or self.stop:
            return
        await self.record_starting(*todo)
        try:
            result = await client.bulk_add_queue_items(self.queue.name,
                                                       self.options.commit_type,
                                                       [p.body for p in todo])
        except OrchestratorError as exc:
            code, line = _classify(exc)
            state = "refused" if code == EXIT_REFUSED else "unknown"
            for prepared in todo:
                self.record(prepared, state, message=line,
                            error_code=str(exc.error_code or ""))
            return
        failed = {ordinal: (code, message) for ordinal, code, message in result.failed
                  if ordinal is not None}
        first = min(failed, default=None)
        for ordinal, prepared in enumerate(todo):
            if ordinal in failed:
                code, message = failed[ordinal]
                self.record(prepared, "refused", message=message, error_code=code)
            elif failed and self.options.commit_type == "AllOrNothing":
                self.record(prepared, "refused", message="not added: another item of its "
                            "chunk failed (AllOrNothing)", error_code="")
            elif (first is not None and self.options.commit_type == "StopOnFirstFailure"
                  and ordinal > first):
                self.record(prepared, "refused", message="not tried: an earlier item of its "
                            "chunk failed (StopOnFirstFailure)", error_code="")
            else:
                self.record(prepared, "added")

    # ---- following

    async def wait(self, timeout: Optional[float]) -> None:
        """Follow every started job in batched polls until all rest (or ``timeout``)."""
        from tui_app.orchestrator.models import Job

        client = self.context.client
        open_ids = list(dict.fromkeys(self.started_jobs))
        final: dict = {}
        waits = FOLLOW.waits()
        deadline = None if timeout is None else time.monotonic() + timeout
        per_poll = max(1, -(-len(open_ids) // client.job_ids_per_request))
        spacing = 60.0 * per_poll / POLLS_PER_MINUTE
        while open_ids:
            pause = max(next(waits), spacing)
            if deadline is not None and time.monotonic() + pause > deadline:
                self.totals.timed_out = True
                break
            await asyncio.sleep(pause)
            jobs: list[Job] = await client.get_jobs(open_ids)
            for job in jobs:
                if job.is_resting:
                    final[job.id] = job.state
            open_ids = [i for i in open_ids if i not in final]
        self.totals.jobs_failed = sum(1 for state in final.values()
                                      if state in ("Faulted", "Stopped"))
        if not self.json:
            ended = ", ".join(f"{state} {sum(1 for s in final.values() if s == state)}"
                              for state in sorted(set(final.values())))
            self.context.report.say(f"Jobs         {ended or 'none ended'}"
                                    + (f"; {len(open_ids)} still running" if open_ids else ""))


def _jobs(jobs: Sequence[Any]) -> list:
    return [{"Id": job.id, "Key": job.key} for job in jobs]


# -- running a batch ---------------------------------------------------------------------------


def run_batch(options: BatchOptions, *, environ: Optional[Mapping[str, str]] = None,
              stdin: Optional[IO[Any]] = None, out: Optional[TextIO] = None,
              err: Optional[TextIO] = None, client_options: Optional[dict] = None) -> int:
    """``startjob run --rows/--events``: run the batch, print its outcome, return the exit
    code."""
    import os

    out = out or sys.stdout
    err = err or sys.stderr
    totals = asyncio.run(_run(options, os.environ if environ is None else environ, stdin, out,
                              err, {**CLIENT_OPTIONS, **(client_options or {})}))
    if options.replay.output == "json":
        print(printable_json(totals.to_json()).replace("\n", " "), file=out, flush=True)
    for line in totals.errors:
        print(f"startjob run: {visible(line, single_line=True)}", file=err, flush=True)
    return totals.exit_code


async def _run(options: BatchOptions, environ: Mapping[str, str], stdin: Optional[IO[Any]],
               out: TextIO, err: TextIO, client_options: dict) -> BatchTotals:
    from tui_app.connection import SettingsError

    replay_options = options.replay
    result = ReplayResult(template=replay_options.template, dry_run=replay_options.dry_run)
    report = _Reporter(replay_options, result, out, err)
    totals = BatchTotals()
    source: Optional[RowSource] = None
    try:
        template, path = find_template(replay_options.template)
        overrides = parse_overrides(replay_options.sets, replay_options.set_json)
        # The template's file and name, not its content: an edited template resumes the same
        # batch, so a row already started is never started again.
        identity = [str(Path(path).resolve()), template.name]
        if options.rows is not None:
            source = RowSource(options.rows, stdin)
            bid = batch_id(["rows", *identity, source.digest(),
                            *(f"--set {s}" for s in replay_options.sets),
                            *(f"--set-json {s}" for s in replay_options.set_json)])
        else:
            bid = batch_id(["stream", *identity, str(uuid.uuid4())])
        async with connected(replay_options, result, report, environ, client_options,
                             template, path, overrides, None) as context:
            reads_stdin = "-" in (options.rows, options.events)
            engine = _Engine(context, options, bid, out, err,
                             None if replay_options.no_input or reads_stdin
                             else prompts.terminal(stdin, err))
            totals = engine.totals
            await engine.resolve()
            if source is not None:
                await _rows(engine, source)
            else:
                await _events(engine, stdin)
    except RowsError as exc:
        totals.errors, totals.exit_code = [str(exc)], EXIT_USAGE
        return totals
    except ReplayError as exc:
        totals.errors, totals.exit_code = exc.lines, exc.exit_code
        return totals
    except TemplateError as exc:
        totals.errors, totals.exit_code = [str(exc)], EXIT_USAGE
        return totals
    except SettingsError as exc:
        totals.errors, totals.exit_code = [f"Cannot connect: {exc}"], EXIT_USAGE
        return totals
    except OrchestratorError as exc:
        totals.exit_code, line = _classify(exc)
        totals.errors = [line]
        return totals
    finally:
        if source is not None:
            source.close()
    return totals


def _validate(engine: _Engine, source: RowSource) -> int:
    """Plan every row (nothing is kept) but those the ledger has done (a resume never sends
    them again); all problems with their rows are a ReplayError (a problem every row
    shares, such as drift, is said once with the rows it affects)."""
    problems: dict[str, list] = {}
    count = 0
    for row in source.rows():
        count += 1
        last = engine.states.get(row.number)
        if last is not None and last.state in DONE_STATES:
            continue
        try:
            engine.plan(row, source.kind == "csv")
        except ReplayError as exc:
            for line in exc.lines:
                rows = problems.setdefault(line, [])
                if len(rows) < 4:
                    rows.append(row)
                else:
                    rows[3] = None  # and more
    if problems:
        lines = [f"{_rows_named(rows)}: {line}" for line, rows in problems.items()]
        shown = lines[:50]
        if len(lines) > 50:
            shown.append(f"... and {len(lines) - 50} more problems")
        raise ReplayError(shown + ["Nothing was started."], EXIT_USAGE)
    return count


def _rows_named(rows: list) -> str:
    if len(rows) == 1:
        return f"row {rows[0].number} (line {rows[0].line})"
    named = ", ".join(str(row.number) for row in rows if row is not None)
    return f"rows {named}" + (" and more" if rows[-1] is None else "")


async def _rows(engine: _Engine, source: RowSource) -> None:
    totals, report = engine.totals, engine.context.report
    dry_run = engine.options.replay.dry_run
    path = batches_dir() / f"{engine.bid}.jsonl"
    if not dry_run:
        engine.states = row_states(path)
    totals.rows = _validate(engine, source)
    await engine.confirm()
    csv_row = source.kind == "csv"
    if dry_run:
        _dry_run(engine, source, csv_row)
        return
    resumed = bool(engine.states)
    refused_before = sum(1 for s in engine.states.values() if s.state == "refused")
    header = {"batch": engine.bid, "template": engine.context.template.name,
              "template_path": str(engine.context.path), "rows_source": source.name,
              "rows": totals.rows, "action": engine.context.template.action}
    report.say(f"Batch        {engine.bid[:12]}  ({totals.rows} rows"
               + (", resumed" if resumed else "") + ")")
    if refused_before:
        report.say(f"             {refused_before} row(s) refused before are tried again.")
    engine.progress = _Progress(engine.err, totals.rows)
    engine.group_history = True
    with Ledger(path, header) as ledger:
        engine.ledger = ledger
        try:
            if engine.context.template.action == "start_job":
                await engine.look_up_open_rows()
                await _pool(engine, _planned(engine, source, csv_row), engine.start_row,
                            engine.mark)
            else:
                await _pool(engine, _chunks(_planned(engine, source, csv_row)),
                            engine.add_chunk)
        finally:  # also after Ctrl+C or a failure: the starts so far
            engine.write_history()
    engine.progress.clear()
    await _finish(engine)


def _planned(engine: _Engine, source: RowSource, csv_row: bool) -> Iterator[_Prepared]:
    """Each row planned, but a row the ledger has done (a resume) only as its Reference:
    it is skipped, so its plan is not made again."""
    for row in source.rows():
        if engine.stop:
            return
        last = engine.states.get(row.number)
        if last is not None and last.state in DONE_STATES:
            yield _Prepared(row.number, last.reference, {})
        else:
            yield engine.plan(row, csv_row)


def _chunks(prepared: Iterator[_Prepared]) -> Iterator[list]:
    chunk: list = []
    for item in prepared:
        chunk.append(item)
        if len(chunk) == BULK_CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


async def _pool(engine: _Engine, work: Any, handle: Callable[[Any], Awaitable[None]],
                mark: Optional[Callable[[list], Awaitable[None]]] = None) -> None:
    """Run ``handle`` on every item of ``work`` (an iterator, or an async one) with
    ``--parallel`` workers; never more than a few items are planned ahead. ``mark`` is
    awaited on each group of that many items (of an iterator) before they are queued."""
    parallel = engine.options.parallel
    ahead = parallel * 2
    queue: asyncio.Queue = asyncio.Queue(maxsize=ahead)

    async def put(group: list) -> None:
        if mark is not None:
            await mark(group)
        for index, item in enumerate(group):
            if engine.stop:
                for rest in group[index:]:
                    _not_started(engine, rest)
                return
            await queue.put(item)

    async def produce() -> None:
        if hasattr(work, "__aiter__"):
            async for item in work:
                if engine.stop:
                    break
                await queue.put(item)
        else:
            group: list = []
            for item in work:
                if engine.stop:
                    break
                group.append(item)
                if len(group) == (ahead if mark is not None else 1):
                    await put(group)
                    group = []
            if group and not engine.stop:
                await put(group)
        for _ in range(parallel):
            await queue.put(None)

    async def consume() -> None:
        while True:
            item = await queue.get()
            if item is None:
                return
            if engine.stop:
                _not_started(engine, item)
                continue
            await handle(item)

    # The first failure (or Ctrl+C) ends every worker: none waits on a queue nobody fills
    # or empties (Python 3.9's asyncio.run waits for every task it cancels).
    tasks = [asyncio.ensure_future(produce()),
             *(asyncio.ensure_future(consume()) for _ in range(parallel))]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            task.result()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _not_started(engine: _Engine, item: Any) -> None:
    """Count what a stop leaves unsent; a row written ``starting`` ahead becomes ``unsent``
    (a resume sends it without a look-up)."""
    items = item if isinstance(item, list) else [item]
    engine.totals.not_started += len(items)
    for prepared in items:
        if isinstance(prepared, _Prepared) and prepared.marked:
            assert engine.ledger is not None
            engine.ledger.row(prepared.number, "unsent", prepared.reference)


def _dry_run(engine: _Engine, source: RowSource, csv_row: bool) -> None:
    first = True
    for row in source.rows():
        prepared = engine.plan(row, csv_row)
        body = prepared.shown if prepared.shown is not None else prepared.body
        if engine.json:
            engine.emit(row.number, prepared.reference, "planned",
                        request={"startInfo": body} if prepared.shown is not None
                        else {"itemData": body})
            continue
        engine.context.report.say(f"row {row.number:<6} {prepared.reference}  "
                                  f"{_compact(body)}"[:200])
        if first:
            first = False
            engine.context.report.say(printable_json(body))
    engine.context.report.say(f"Dry run: {engine.totals.rows} row(s) valid; nothing was "
                              "started.")


def _compact(body: dict) -> str:
    values = body.get("InputArguments") or body.get("SpecificContent") or ""
    return values if isinstance(values, str) else dumps(values)


async def _finish(engine: _Engine) -> None:
    """``--wait``, the summary and the exit code."""
    totals, options = engine.totals, engine.options
    if options.replay.wait and engine.started_jobs:
        try:
            await engine.wait(options.replay.timeout)
        except OrchestratorError as exc:
            totals.errors.append(f"The jobs started, but following them failed: {exc}")
    _summary(engine)
    totals.exit_code = _exit_code(totals)


def _summary(engine: _Engine) -> None:
    from tui_app.table import format_table

    totals = engine.totals
    if engine.json:
        return
    report = engine.context.report
    rows = [["rows", "started", "already done", "refused", "unknown", "filtered",
             "not started"],
            [str(v) for v in (totals.rows, totals.started, totals.skipped, totals.refused,
                              totals.unknown, totals.filtered, totals.not_started)]]
    for line in format_table(rows, 80):
        report.say(line)
    for line in engine.problems:
        report.say(line)
    if totals.refused + totals.unknown > len(engine.problems):
        report.say(f"See every row: startjob batches show {totals.batch[:12]}")


def _exit_code(totals: BatchTotals) -> int:
    if totals.unknown:
        totals.errors.append(f"{totals.unknown} row(s): not known whether they started; run "
                             "the same command again to check them by Reference.")
        return EXIT_UNKNOWN
    if totals.refused:
        done = totals.started + totals.skipped
        totals.errors.append(f"{totals.refused} row(s) refused"
                             + (f", {done} started" if done else ", none started")
                             + "; run the same command again to retry them.")
        return EXIT_SOME_REFUSED if done else EXIT_REFUSED
    if totals.jobs_failed:
        totals.errors.append(f"{totals.jobs_failed} job(s) ended Faulted or Stopped.")
        return EXIT_JOB_FAILED
    if totals.timed_out:
        totals.errors.append("Timed out waiting; the jobs go on in Orchestrator.")
        return EXIT_TIMEOUT
    if totals.errors:
        return EXIT_CONNECTION
    return EXIT_OK


# -- event streams -------------------------------------------------------------------------------


async def _events(engine: _Engine, stdin: Optional[IO[Any]]) -> None:
    """Read events one line at a time, as they come, and start one row per event."""
    source = engine.options.events
    assert source is not None
    name = "standard input" if source == "-" else source
    stream: Any
    if source == "-":
        stream = stdin if stdin is not None else sys.stdin
    else:
        try:
            stream = open(source, encoding="utf-8")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise ReplayError(f"Cannot read the events file {source}: "
                              f"{exc.strerror or exc}.") from None
    await engine.confirm()
    header = {"batch": engine.bid, "template": engine.context.template.name,
              "template_path": str(engine.context.path), "rows_source": f"events: {name}",
              "action": engine.context.template.action, "stream": True}
    path = batches_dir() / f"{engine.bid}.jsonl"
    engine.context.report.say(f"Stream       {engine.bid[:12]}  (events from {name})"
                              + ("; dry run: nothing is started" if engine.options.replay.dry_run
                                 else ""))
    with Ledger(path, header) as ledger:
        engine.ledger = ledger
        seen: set = set()
        try:
            await _pool(engine, _event_rows(engine, stream, name, seen), _event_handler(engine))
        finally:
            if source != "-":
                stream.close()
    await _finish(engine)


async def _event_rows(engine: _Engine, stream: Any, name: str, seen: set) -> Any:
    loop = asyncio.get_running_loop()
    number = 0
    line_number = 0
    while True:
        line = await loop.run_in_executor(None, stream.readline)
        if not line:
            return
        line_number += 1
        text = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
        if not text.strip():
            continue
        number += 1
        digest = hashlib.sha256(text.strip().encode("utf-8")).hexdigest()
        try:
            event = parse_object(text.strip(), f"{name}:{line_number}")
        except RowsError as exc:
            yield ("invalid", number, str(exc))
            continue
        row = Row(number, line_number, event, digest)
        if engine.filter is not None and not engine.filter.matches(event):
            yield ("filtered", number, row)
            continue
        try:
            prepared = engine.plan(row, False)
        except ReplayError as exc:
            yield ("invalid", number, f"{name}:{line_number}: " + "; ".join(exc.lines))
            continue
        if prepared.reference in seen:  # re-delivered within this stream
            engine.totals.skipped += 1
            continue
        seen.add(prepared.reference)
        yield ("start", number, prepared)


def _event_handler(engine: _Engine) -> Callable[[Any], Awaitable[None]]:
    async def handle(item: tuple) -> None:
        kind, number, value = item
        engine.totals.rows += 1
        if kind == "invalid":
            engine.record(_Prepared(number, "", {}), "invalid", message=value)
        elif kind == "filtered":
            engine.record(_Prepared(number, "", {}), "filtered")
        elif engine.options.replay.dry_run:
            engine.emit(number, value.reference, "planned")
        elif engine.context.template.action == "start_job":
            await engine.start_row(value)
        else:
            await engine.add_chunk([value])

    return handle
