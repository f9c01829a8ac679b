"""``startjob templates --check [NAME…]``: a drift report over many templates at once.

The templates (every one of the library, ``templates.list_library``, or the NAMEs, found as
``startjob run`` finds them, ``replay.find_template``) are grouped by where they connect
(``replay.connection_settings``: flags, the template's ``[connection]``, ``UIPATH_*``, the
profile; everything but the folder). Each group signs in once (with the token cache, as
``run``), lists the Folders once, reads the Releases of every process key of a folder in one
request (``OrchestratorClient.releases_for_processes``) and the robots, machines, runtimes,
entry points and queues once per folder (``SharedLookups``). Each template is then judged by
the decisions ``run`` uses: ``replay.resolve_target`` (the release, start options and robot
pool), ``drift.check_drift`` or ``drift.check_queue_drift``, ``resolver.strategy_fits``.
Orchestrator's own pre-flight check (``ValidateDynamicJob``, one request per template) is
left to ``startjob run --dry-run``.

Statuses: ``ok``; ``warnings`` (it runs, but something changed); ``blocked`` (``run`` would
refuse it: a folder, release, robot, machine or entry point gone, a new required argument,
a saved value that no longer fits); ``error`` (it could not be checked: the file cannot be
read, the connection settings are incomplete, sign-in failed or Orchestrator could not be
reached or refused a read). A template's failure never stops the others. Every reason is
one line made visible (``text.visible``): server strings cannot act on the terminal.

Exit code (``CheckReport.exit_code``, the codes of ``tui_app.exit_codes``): 2 when a
template is blocked or cannot be used (cannot be read, bad connection settings), else 3 when
a connection could not sign in or reach Orchestrator, else 4 when Orchestrator refused a
read, else 0 (ok or warnings only).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Optional

from tui_app import replay, resolver
from tui_app.connection import ConnectionSettings, SettingsError
from tui_app.drift import Finding, check_drift, check_queue_drift
from tui_app.exit_codes import EXIT_CONNECTION, EXIT_OK, EXIT_REFUSED, EXIT_USAGE
from tui_app.orchestrator.errors import OrchestratorError
from tui_app.orchestrator.models import Folder, Release
from tui_app.templates import Template, TemplateError, is_demo_template, list_library
from tui_app.text import visible

OK = "ok"
WARNINGS = "warnings"
BLOCKED = "blocked"
ERROR = "error"
STATUSES = (OK, WARNINGS, BLOCKED, ERROR)
#: The overall exit code: the first of these any template has, else 0.
_EXIT_ORDER = (EXIT_USAGE, EXIT_CONNECTION, EXIT_REFUSED)


@dataclass
class TemplateCheck:
    """One template's outcome. ``reasons`` are visible one-line sentences, blocking ones
    first; ``findings`` the drift findings behind them (level, code, text); ``requests``
    the HTTP requests its check sent (data shared with earlier templates costs nothing)."""

    name: str
    path: Optional[str]
    status: str = OK
    reasons: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    exit_code: int = EXIT_OK
    requests: Optional[int] = None

    def to_json(self) -> dict:
        return {"name": self.name, "path": self.path, "status": self.status,
                "reasons": list(self.reasons),
                "findings": [{"level": f.level, "code": f.code,
                              "text": visible(f.text, single_line=True)}
                             for f in self.findings],
                "requests": self.requests}


@dataclass
class CheckReport:
    """Every template's ``TemplateCheck`` in library order, and the library's warnings."""

    templates: list[TemplateCheck]
    warnings: list[str] = field(default_factory=list)

    @property
    def totals(self) -> dict:
        counts = {status: 0 for status in STATUSES}
        for check in self.templates:
            counts[check.status] += 1
        return {"templates": len(self.templates), **counts,
                "requests": sum(check.requests or 0 for check in self.templates)}

    @property
    def exit_code(self) -> int:
        codes = {check.exit_code for check in self.templates}
        return next((code for code in _EXIT_ORDER if code in codes), EXIT_OK)

    def to_json(self) -> dict:
        return {"templates": [check.to_json() for check in self.templates],
                "totals": self.totals, "warnings": list(self.warnings),
                "exit_code": self.exit_code}


@dataclass
class CheckOptions:
    """What ``templates --check`` was asked: the NAMEs (none: every template), the connection
    flags and ``--profile`` (as ``ReplayOptions``), and whether it runs on the ``--demo``
    sandbox (templates saved against the demo need it)."""

    names: Sequence[str] = ()
    connection: Mapping[str, Any] = field(default_factory=dict)
    profile: Optional[str] = None
    demo: bool = False


def _line(text: object) -> str:
    return visible(text, single_line=True)


def _error(check: TemplateCheck, lines: Sequence[str], code: int) -> TemplateCheck:
    check.status, check.exit_code = ERROR, code
    check.reasons = [_line(line) for line in lines]
    return check


@dataclass
class _Candidate:
    check: TemplateCheck
    template: Template
    effective: Template = field(init=False)
    settings: ConnectionSettings = field(init=False)


def _candidates(options: CheckOptions) -> tuple[list[TemplateCheck], list[_Candidate],
                                                list[str]]:
    """Every template to check (errors already judged), the loaded ones, library warnings.
    The personal folder's ``LocationError`` is raised (the CLI's usage error)."""
    checks: list[TemplateCheck] = []
    loaded: list[_Candidate] = []
    warnings: list[str] = []
    found: list[tuple[str, Optional[Template], Optional[Path], Optional[str]]] = []
    if options.names:
        for name in options.names:
            try:
                named, where = replay.find_template(name)
            except (replay.ReplayError, TemplateError) as exc:
                found.append((name, None, None, str(exc)))
            except OSError as exc:
                found.append((name, None, None, f"{name}: cannot be read: "
                                                f"{exc.strerror or exc}"))
            else:
                found.append((named.name, named, where, None))
    else:
        library = list_library()
        warnings = [_line(warning) for warning in library.warnings]
        found = [(entry.name, entry.template, entry.path.absolute(),
                  entry.error or (None if entry.template else f"{entry.path}: cannot be read"))
                 for entry in library.entries]
    seen: set = set()
    for name, template, path, problem in found:
        if path is not None and path in seen:
            continue  # the same file named twice
        if path is not None:
            seen.add(path)
        check = TemplateCheck(_line(name), str(path) if path is not None else None)
        checks.append(check)
        if template is None:
            _error(check, [problem or f"{name}: cannot be read"], EXIT_USAGE)
        elif is_demo_template(template) and not options.demo:
            _error(check, ["The template was saved against the demo sandbox; check it on a "
                           "fresh one with: startjob templates --check --demo"], EXIT_USAGE)
        else:
            loaded.append(_Candidate(check, template))
    return checks, loaded, warnings


def _memo_prompt(prompt: Optional[Callable[[str], Optional[str]]]
                 ) -> Optional[Callable[[str], Optional[str]]]:
    """``prompt`` asking once per label (one secret for every template of a profile)."""
    if prompt is None:
        return None
    answers: dict[str, Optional[str]] = {}

    def ask(label: str) -> Optional[str]:
        if label not in answers:
            answers[label] = prompt(label)
        return answers[label]

    return ask


def _settle_settings(candidates: list[_Candidate], options: CheckOptions,
                     environ: Mapping[str, str],
                     prompt: Optional[Callable[[str], Optional[str]]]) -> list[_Candidate]:
    """Each template's connection settings (``replay.connection_settings``, worked out once
    per distinct ``[connection]``: a secret command runs once); those that fail are errors."""
    from tui_app.precedence import terminal_prompt

    ask = _memo_prompt(prompt if prompt is not None else terminal_prompt())
    known: dict[tuple, Any] = {}
    ready = []
    for candidate in candidates:
        spec = candidate.template.connection
        key = (spec.url, spec.profile, spec.folder)
        if key not in known:
            try:
                known[key] = replay.connection_settings(
                    candidate.template, options.connection, profile=options.profile,
                    environ=environ, prompt=ask)
            except SettingsError as exc:
                known[key] = exc
        settings = known[key]
        if isinstance(settings, SettingsError):
            _error(candidate.check, [f"Cannot connect: {settings}"], EXIT_USAGE)
            continue
        candidate.settings = settings
        folder = settings.folder.strip() or None
        template = candidate.template
        candidate.effective = replace(template,
                                      connection=replace(template.connection, folder=folder))
        ready.append(candidate)
    return ready


class SharedLookups:
    """The client calls a drift check makes, each answered once per folder (and key) and
    shared by every template of a connection; failures are remembered too, so a folder
    whose robots cannot be read is asked once. ``want_releases`` names the process keys of
    a folder read together on the first ``releases_for_process`` there."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.folder: Optional[Folder] = None
        self._answers: dict[Hashable, tuple[bool, Any]] = {}
        self._wanted: dict[Optional[int], set[str]] = {}

    def use_folder(self, folder: Optional[Folder]) -> None:
        self.folder = folder
        self.client.use_folder(folder)

    def want_releases(self, folder: Optional[Folder], process_key: str) -> None:
        self._wanted.setdefault(folder.id if folder else None, set()).add(process_key)

    @property
    def _here(self) -> Optional[int]:
        return self.folder.id if self.folder is not None else None

    async def _once(self, key: Hashable, ask: Callable[[], Awaitable[Any]]) -> Any:
        if key not in self._answers:
            try:
                self._answers[key] = (True, await ask())
            except OrchestratorError as exc:
                self._answers[key] = (False, exc)
        ok, value = self._answers[key]
        if not ok:
            raise value
        return value

    async def list_folders(self) -> list[Folder]:
        return list(await self._once(("folders",), self.client.list_folders))

    async def releases_for_process(self, process_key: str) -> list[Release]:
        keys = sorted(self._wanted.get(self._here, set()) | {process_key})
        found = await self._once(("releases", self._here),
                                 lambda: self.client.releases_for_processes(keys))
        if process_key not in keys:  # not announced: on its own
            found = await self._once(("releases", self._here, process_key),
                                     lambda: self.client.releases_for_process(process_key))
            return list(found)
        wanted = process_key.casefold()  # Orchestrator compares names in any case
        return [release for release in found if release.process_key.casefold() == wanted]

    async def entry_points(self, release: Release) -> Any:
        return await self._once(
            ("entry points", self._here, release.process_key, release.process_version),
            lambda: self.client.entry_points(release))

    async def machine_sessions(self, folder_id: int) -> Any:
        return await self._once(("sessions", folder_id),
                                lambda: self.client.machine_sessions(folder_id))

    async def runtimes_for_folder(self, folder_id: int) -> Any:
        return await self._once(("runtimes", folder_id),
                                lambda: self.client.runtimes_for_folder(folder_id))

    async def environment_robots(self, name: str) -> Any:
        return await self._once(("environment", self._here, name.casefold()),
                                lambda: self.client.environment_robots(name))

    async def folder_robots(self, folder_id: int) -> Any:
        return await self._once(("robots", folder_id),
                                lambda: self.client.folder_robots(folder_id))

    async def queue_by_name(self, name: str) -> Any:
        return await self._once(("queue", self._here, name.casefold()),
                                lambda: self.client.queue_by_name(name))


def _judge(check: TemplateCheck, findings: Sequence[Finding],
           problems: Sequence[str] = (), notes: Sequence[str] = ()) -> None:
    """Set the status from the drift ``findings``, other blocking ``problems`` and
    warnings (``notes``)."""
    check.findings = list(findings)
    blocks = [f.text for f in findings if f.blocks] + list(problems)
    warns = [f.text for f in findings if not f.blocks] + list(notes)
    check.reasons = [_line(text) for text in blocks + warns]
    check.status = BLOCKED if blocks else WARNINGS if warns else OK
    check.exit_code = EXIT_USAGE if blocks else EXIT_OK


async def _check_job(lookups: SharedLookups, candidate: _Candidate,
                     folder: Optional[Folder]) -> None:
    """A ``start_job`` template, judged as ``run`` judges it before the values are known;
    arguments that ``ask`` or ``[bindings]`` fill at run time count as given."""
    template, check = candidate.template, candidate.check
    try:
        target = await replay.resolve_target(lookups, template, candidate.effective, folder)
    except replay.ReplayError as exc:
        _judge(check, [], exc.lines)
        return
    at_run_time = set(template.ask) | set(template.bindings)
    collected = replay.collect_arguments(template, target.specs, target.defaults, {}, None, {})
    given = at_run_time | collected.given
    findings = check_drift(candidate.effective, target.release, target.specs, target.pool,
                           given=given, facts=target.facts)
    settled = {f.subject for f in findings if f.blocks}
    problems: list[str] = []
    notes: list[str] = []
    for name, text in collected.problems.items():
        if name in settled or name in at_run_time:
            continue
        (problems if name in template.arguments else notes).append(text)
    problems += resolver.strategy_fits(template.strategy.kind, target.release, folder)
    _judge(check, findings, problems, notes)


async def _check_queue(lookups: SharedLookups, candidate: _Candidate) -> None:
    """An ``add_queue_item`` template: its queue again, ``check_queue_drift``."""
    template = candidate.template
    assert template.queue is not None  # the parser requires [queue]
    queue = await lookups.queue_by_name(template.queue.name)
    given = set(template.ask) | set(template.bindings)
    _judge(candidate.check, check_queue_drift(candidate.effective, queue, given=given))


class _Counter:
    """Counts the HTTP requests a client sends (an httpx request hook, as ``DebugLog``)."""

    def __init__(self, client: Any) -> None:
        self.count = 0
        http = getattr(client, "_http", None)
        if http is not None:
            hooks = http.event_hooks
            hooks.setdefault("request", []).append(self._seen)
            http.event_hooks = hooks

    async def _seen(self, request: Any) -> None:
        self.count += 1


async def _check_connection(settings: ConnectionSettings, candidates: list[_Candidate],
                            client_options: dict) -> None:
    """Sign in once for ``candidates`` (one connection) and check each on shared data; a
    failure to sign in or reach Orchestrator makes the rest errors without asking again."""
    client = settings.open_client(**client_options)
    async with client:
        lookups = SharedLookups(client)
        counter = _Counter(client)
        folders: Optional[list[Folder]] = None
        dead: Optional[str] = None
        pending = list(candidates)
        if any(c.effective.connection.folder for c in pending):
            try:
                folders = await lookups.list_folders()
            except OrchestratorError as exc:
                code, line = replay._classify(exc)
                if code == EXIT_CONNECTION:
                    dead = line
                for candidate in [c for c in pending if c.effective.connection.folder]:
                    _error(candidate.check, [line], code)
                pending = [c for c in pending if not c.effective.connection.folder]
        placed = []
        for candidate in pending:
            path = candidate.effective.connection.folder
            folder = resolver.find_folder(folders or [], path) if path else None
            if path and folder is None:
                _judge(candidate.check, check_drift(candidate.effective, None,
                                                    folder_missing=True))
                continue
            if candidate.template.action == "start_job":
                lookups.want_releases(folder, candidate.template.process.key)
            placed.append((candidate, folder))
        before = 0  # the first template checked carries the sign-in and the Folders
        for candidate, folder in placed:
            if dead is not None:
                _error(candidate.check, [f"Not checked: {dead}"], EXIT_CONNECTION)
                continue
            lookups.use_folder(folder)
            try:
                if candidate.template.action == "add_queue_item":
                    await _check_queue(lookups, candidate)
                else:
                    await _check_job(lookups, candidate, folder)
            except OrchestratorError as exc:
                code, line = replay._classify(exc)
                dead = line if code == EXIT_CONNECTION else None
                _error(candidate.check, [line], code)
            candidate.check.requests, before = counter.count - before, counter.count


async def check_templates(options: CheckOptions, *,
                          environ: Optional[Mapping[str, str]] = None,
                          client_options: Optional[dict] = None,
                          prompt: Optional[Callable[[str], Optional[str]]] = None
                          ) -> CheckReport:
    """Check the templates ``options`` names (every one of the library without NAMEs).
    ``prompt`` asks for a profile's secret (default: on the terminal, once per profile);
    ``client_options`` go to ``ConnectionSettings.open_client``."""
    environ = os.environ if environ is None else environ
    checks, loaded, warnings = _candidates(options)
    ready = _settle_settings(loaded, options, environ, prompt)
    groups: dict[ConnectionSettings, list[_Candidate]] = {}
    for candidate in ready:
        groups.setdefault(candidate.settings.with_(folder=""), []).append(candidate)
    options_in = {**replay.CLIENT_OPTIONS, **(client_options or {})}
    for settings, members in groups.items():
        try:
            await _check_connection(settings, members, options_in)
        except SettingsError as exc:  # open_client's validation
            for candidate in members:
                _error(candidate.check, [f"Cannot connect: {exc}"], EXIT_USAGE)
    return CheckReport(checks, warnings)


def run_check(options: CheckOptions, **kwargs: Any) -> CheckReport:
    """``check_templates`` from synchronous code."""
    return asyncio.run(check_templates(options, **kwargs))
