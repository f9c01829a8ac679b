"""Headless replay of a template: ``startjob run TEMPLATE`` (no Textual anywhere on this path).

A replay loads the template, works out every argument value, connects, finds the folder,
release and robots again by name, checks for drift (``tui_app.drift``), builds the StartJobs
body with the same ``StartPlan`` the wizard uses, sends it (unless ``--dry-run``), records the
start in the history and, with ``--wait``, follows the jobs until they end.

``--dry-run`` then checks the exact body with ``ValidateDynamicJob`` (it starts nothing) and
prints each finding as a sentence with what to do (``tui_app.diagnosis``): a blocking one
exits 4 with the reasons, warnings alone exit 0; a server without the check says so and the
dry run goes on. ``--wait`` says once why a job stays Pending (``ValidateExistingJob``, with
the note that the reasons are a snapshot from dispatch), explains a fault (``JobError``,
known ``Info`` signatures), and stops at a Suspended job (exit 8, with what it waits on). A
429 while following only slows the polls down.

Argument values, highest precedence first:

1. ``--set NAME=VALUE`` (text, converted by the argument model for the argument's type;
   ``--set NAME=`` leaves the argument out) and ``--set-json NAME=JSON``;
2. for arguments listed in ``ask``: the environment variable ``STARTJOB_ARG_<NAME>``
   (``<NAME>`` as written, or upper-case) — ``ask`` values never come from the template;
3. ``--event FILE`` (``-`` = standard input): the template's ``[bindings]`` map an argument to
   a dotted path into the event's JSON object (``incident.number``, ``items.0.id``);
   JSON values (events, ``--set-json``) convert like template values — ``"12"`` works for a
   number — except that a string for a raw-JSON argument is that string;
4. the template's ``[arguments]``;
5. the process defaults: Orchestrator applies them to arguments that are left out, so they are
   never sent, but a required argument that has one is not missing.

A template's ``filter`` (``tui_app.event_filter``) is checked against the event before
connecting: an event it does not match starts nothing and exits 0 (``filter_matches`` in
``--output json``; ``--dry-run`` says it). ``ReplayOptions.event_data`` gives an event
already parsed (``startjob route``) instead of ``--event``.

On a terminal (standard input and standard error), right after the values are collected,
``_ask_missing`` asks for ``ask`` values and missing required ones (``tui_app.prompts``;
hidden for ``ask`` and secret-looking names, which are then hidden in print as ``ask``
values are); ``--no-input`` (``ReplayOptions.no_input``) and ``--event -`` turn it off.

Where to connect, as for every command (``tui_app.precedence.resolve_settings``): flags, then
the template's ``[connection]``, then the ``UIPATH_*`` variables, then the profile
(``--profile``, else the template's, else ``STARTJOB_PROFILE``); see ``connection_settings``.

Exit codes (``tui_app.exit_codes``); ``_classify`` is the one place that maps a failure:

====  ========================================================================
0     started (with ``--wait``: every job ended Successful); dry run: valid (pre-flight
      warnings are printed)
1     with ``--wait``: a job ended Faulted or Stopped
2     usage or template error, missing or invalid argument (input arguments over
      10,000 characters without ``--large-input=file``), drift that blocks (an entry
      point, machine, host or runtime type gone, the folder's machines unreadable)
3     sign-in failed (a refused ``--scope`` too), or Orchestrator cannot be reached
      or failed: a wrong URL (HTTP 404 without an Orchestrator error code), 5xx,
      429 beyond the retries, an answer that is not Orchestrator's; no job started
4     Orchestrator refused the request (400, 403, 404, 409, errorCode 1670 or 2818...)
      or the upload of the arguments as a file (also: no job attachments on this
      server), or the dry run's pre-flight check found a reason the job cannot run; no
      job started
5     with ``--wait``: ``--timeout`` passed before every job ended
6     with ``--wait``: the jobs started, but following them failed (a status poll
      failed: 5xx, 401, a dropped connection; a 429 only slows polling down); they
      keep running
7     the answer to the start was lost and Orchestrator could not be asked whether
      the jobs exist: look for the reference before starting again
8     with ``--wait``: no job failed, but one is Suspended, waiting on a trigger
====  ========================================================================

So 2, 3 and 4 always mean that nothing was started; once jobs started, the exit code is 0,
1, 5, 6 or 8, the jobs are in ``--output json`` and in the history.

What is printed never holds an ``ask`` value (``ASK_PLACEHOLDER`` stands for it in the
printed request; the request sent has the value), and every server string goes through
``tui_app.text.visible``; ``--output json`` writes control, bidi and other invisible
characters as ``\\u`` escapes. ``--insecure`` warns once on standard error.

The job ``Source`` sent is ``tui_app.plan.SOURCE`` (``CommandLine``), as the wizard sends: a
replay's body is the wizard's body exactly; the history records replays as ``headless``.

A queue template (``action = "add_queue_item"``) runs ``_add_queue_item``: the queue is found
by name (``queue_by_name``) and compared with the template (``drift.check_queue_drift``);
content values come by the argument precedence above (``--set``/``--set-json``,
``STARTJOB_ARG_<NAME>`` for ``ask`` fields, ``--event`` via ``[bindings]``, ``[content]``),
converted by the queue schema's field types (``queue_schema``) and checked against the schema
(exit 2); ``{dotted.path}`` placeholders in ``[item] reference`` are filled from the event
(a missing path, or no ``--event``, is exit 2). A unique-reference queue that already has an
item with the reference is refused before adding (exit 4, naming that item's id). The
``itemData`` (``queue_plan.QueuePlan``) is printed and, unless ``--dry-run``, sent once
(``adding.add_once``: a lost answer is settled by looking the reference up; exit 7 when it
cannot be). The history records the addition (kind ``queue_item``). ``--wait`` follows the
item (``following.follow_item``, a Retried one as its newest attempt): exit 0 Successful, 1
Failed, Abandoned or Deleted, 5 ``--timeout``, 6 when following failed. ``--output json``
has ``request.itemData`` and ``item`` (``Status``, ``Output``, ``ProcessingException``).
Nested content values are sent as compact JSON text (``SpecificContent`` is flat); no
``Source`` is sent (``tui_app.queue_plan``).

Start options (the template's ``[options]``, ``tui_app.start_options``) are resolved by the
functions the wizard uses: ``resolver.option_facts`` asks for the entry points, machine
sessions and runtimes they need, ``check_drift`` judges them, ``resolver.resolve_options``
fills in the session ids; the arguments are those of the chosen entry point
(``resolver.argument_source``). ``--priority`` replaces the template's priority.
``--large-input=file`` (or ``large_input = "file"``) sends arguments over Orchestrator's
10,000 characters as a job attachment (``starting.prepare_input``, just before the start;
``--dry-run`` uploads nothing and shows ``INPUT_FILE_PLACEHOLDER``); without it they are
refused (exit 2). Output arguments kept as a file (``OutputFile``) are downloaded after
``--wait`` and shown like ``OutputArguments`` (``tui_app.outputs``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import sys
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn, Optional, TextIO, Union

from tui_app import diagnosis, following, outputs, prompts, resolver
from tui_app.arguments import (
    ArgumentsFormatError,
    ArgumentSpec,
    ArgumentValueError,
    InputArgumentsTooLarge,
    Kind,
    parse_arguments_input,
    parse_process_defaults,
)
from tui_app.arguments.jsontext import JsonSyntaxError, dumps, loads, printable_json, quote
from tui_app.arguments.payload import _unknown_argument
from tui_app.connection import ConnectionSettings, SettingsError, tls_description
from tui_app.drift import Finding, check_drift
from tui_app.exit_codes import (
    EXIT_CONNECTION,
    EXIT_JOB_FAILED,
    EXIT_NOT_FOLLOWED,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_SUSPENDED,
    EXIT_TIMEOUT,
    EXIT_UNKNOWN,
    EXIT_USAGE,
)
from tui_app.guard import Guard, decide, planned_jobs
from tui_app.ledger import event_tail, stream_key
from tui_app.locations import LocationError
from tui_app.orchestrator.errors import (
    AuthenticationError,
    ConnectionFailed,
    NotFound,
    OrchestratorError,
    PermissionDenied,
    ProtocolError,
    RateLimited,
    ServerError,
)
from tui_app.orchestrator.models import Folder, Job, Release, Robot
from tui_app.plan import ROBOT_STRATEGIES, STRATEGY_TABLE, PlanError, StartPlan, new_reference
from tui_app.resolution_cache import Resolution, ResolutionCache, cache_key, stale_refusal
from tui_app.start_options import INPUT_FILE_PLACEHOLDER, Priority
from tui_app.starting import REFUSAL_CODES, Preflight, preflight, prepare_input, start_once
from tui_app.summary import format_rows, plan_rows
from tui_app.templates import Template, TemplateError, list_library, load_template, slug
from tui_app.text import visible

if TYPE_CHECKING:
    from tui_app.orchestrator import OrchestratorClient

__all__ = [
    "ASK_ENV_PREFIX",
    "ASK_PLACEHOLDER",
    "ReplayError",
    "ReplayOptions",
    "ReplayResult",
    "connection_settings",
    "find_template",
    "replay",
    "run",
]

#: ``STARTJOB_ARG_<NAME>`` gives the value of an ``ask`` argument.
ASK_ENV_PREFIX = "STARTJOB_ARG_"
#: What printed requests show instead of an ``ask`` argument's value.
ASK_PLACEHOLDER = "(hidden: an ask argument)"
#: ``--wait``: how often the jobs are polled (the wizard's Run step follows the same policy).
FOLLOW = following.POLICY
#: Extra ``OrchestratorClient`` options (tests shorten the retry waits with it).
CLIENT_OPTIONS: dict = {}

_FINAL_FAILURES = ("Faulted", "Stopped")


class ReplayError(Exception):
    """The replay cannot go on; ``lines`` are the problems (each one line), ``exit_code`` says
    which kind of failure it is."""

    def __init__(self, lines: Union[str, Iterable[str]], exit_code: int = EXIT_USAGE) -> None:
        self.lines = [lines] if isinstance(lines, str) else list(lines)
        super().__init__("\n".join(self.lines))
        self.exit_code = exit_code


@dataclass
class ReplayOptions:
    """What ``startjob run`` was asked to do (the parsed command line)."""

    template: str
    sets: Sequence[str] = ()
    set_json: Sequence[str] = ()
    event: Optional[str] = None
    wait: bool = False
    timeout: Optional[float] = None
    dry_run: bool = False
    output: str = "text"
    #: ``--large-input``: "refuse" or "file" (None: the template's ``[options] large_input``).
    large_input: Optional[str] = None
    #: ``--priority``: a ``JobPriority`` name or 1-100 (None: the template's).
    priority: Priority = None
    #: Connection flags (``url``, ``folder``, ``client_id``, ...); empty ones are ignored.
    connection: Mapping[str, Any] = field(default_factory=dict)
    profile: Optional[str] = None
    #: An event already parsed (``startjob route``), used instead of reading ``event``.
    event_data: Optional[dict] = None
    #: ``--no-input``: never ask on the terminal for a missing value (``tui_app.prompts``).
    no_input: bool = False
    #: ``--yes``: confirm a start the production guard protects (``tui_app.guard``).
    yes: bool = False


@dataclass
class ReplayResult:
    """What happened; ``to_json`` is the ``--output json`` object."""

    template: str
    template_path: Optional[str] = None
    dry_run: bool = False
    #: The request's ``startInfo`` as printed: ``ask`` values replaced by ``ASK_PLACEHOLDER``.
    start_info: Optional[dict] = None
    jobs: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    exit_code: int = EXIT_OK
    history_id: Optional[str] = None
    #: The dry run's pre-flight check (None when it did not get that far, or no dry run).
    preflight: Optional[Preflight] = None
    #: ``--wait``: why a job stayed Pending, by job id (``following.PendingReport``).
    pending: dict = field(default_factory=dict)
    #: The template's action; ``add_queue_item`` results have ``item_data`` and ``item``.
    action: str = "start_job"
    #: The ``itemData`` as printed (``ask`` values replaced by ``ASK_PLACEHOLDER``).
    item_data: Optional[dict] = None
    item: Any = None
    #: Whether the event matched the template's ``filter`` (None: no filter or no event).
    filter_matches: Optional[bool] = None
    #: The production guard's ``Guard.to_json`` (None: no guard rule applies).
    guard: Optional[dict] = None
    #: The event (``[events] id``) was started before: ``jobs`` are that start's.
    already_started: bool = False

    def to_json(self) -> dict:
        data = self._json()
        if self.filter_matches is not None:
            data["filter_matches"] = self.filter_matches
        if self.guard is not None:
            data["guard"] = self.guard
        if self.already_started:
            data["already_started"] = True
        return data

    def _json(self) -> dict:
        if self.action == "add_queue_item":
            return {"template": self.template, "dry_run": self.dry_run,
                    "request": ({"itemData": self.item_data} if self.item_data is not None
                                else None),
                    "item": _item_json(self.item) if self.item is not None else None,
                    "warnings": list(self.warnings), "errors": list(self.errors),
                    "exit_code": self.exit_code}
        return {
            "template": self.template,
            "dry_run": self.dry_run,
            "request": {"startInfo": self.start_info} if self.start_info is not None else None,
            "preflight": self.preflight.to_json() if self.preflight is not None else None,
            "jobs": [_job_json(job, self.pending.get(job.id)) for job in self.jobs],
            "warnings": list(self.warnings),
            "errors": list(self.errors),
            "exit_code": self.exit_code,
        }


def _item_json(item: Any) -> dict:
    """A queue item as ``--output json`` shows it: status, Output, ProcessingException."""
    failure = item.processing_exception
    return {"Id": item.id, "Key": item.key, "Status": item.status, "Reference": item.reference,
            "Priority": item.priority, "RetryNumber": item.retry_number,
            "ExecutorJobKey": item.executor_job_key, "Output": item.output,
            "ProcessingException": {"Reason": failure.reason, "Details": failure.details,
                                    "Type": failure.type} if failure is not None else None}


def _explanation(job: Job) -> Optional[diagnosis.Finding]:
    """A fault explained, or what a Suspended job waits on; None otherwise."""
    if job.state == "Faulted":
        return diagnosis.explain_fault(job)
    if job.is_suspended:
        return diagnosis.explain_suspended(job)
    return None


def _job_json(job: Job, pending: Optional[following.PendingReport] = None) -> dict:
    outputs: Any = job.output_arguments
    if isinstance(outputs, str):
        try:
            outputs = loads(outputs, unique_keys=False)
        except JsonSyntaxError:
            pass  # not JSON: keep Orchestrator's text as it is
    error = job.job_error
    explained = _explanation(job)
    return {"Id": job.id, "Key": job.key, "State": job.state, "Info": job.info,
            "OutputArguments": outputs,
            "JobError": dataclasses.asdict(error) if error is not None else None,
            "Explanation": explained.to_json() if explained is not None else None,
            "PendingReasons": pending.to_json() if pending is not None else None}


# -- finding the template --------------------------------------------------------------------


def find_template(reference: str) -> tuple[Template, Path]:
    """The template a command line names: a path to a file, or a saved template's name
    (``name = ...`` in any case, or its file name without ``.toml``), looked up in the
    library folders in order (``tui_app.library``): the first folder holding it wins."""
    path = Path(reference).expanduser()
    if path.is_file() or path.suffix.lower() == ".toml":
        return load_template(path), path.absolute()
    try:
        library = list_library()
    except LocationError as exc:
        raise ReplayError(str(exc)) from None
    wanted = reference.casefold()
    stem = slug(reference)
    for folder in library.folders:
        entries = [e for e in library.entries if e.folder == folder.path]
        matches = [e for e in entries if e.template is not None and e.name.casefold() == wanted]
        if not matches:
            matches = [e for e in entries if e.path.stem == stem or e.path.stem == reference]
        if len(matches) > 1:
            raise ReplayError(
                f"Several templates are named {quote(reference)}: "
                + ", ".join(str(e.path) for e in matches) + "; give the path of one."
            )
        if matches:
            entry = matches[0]
            if entry.template is None:
                raise ReplayError(entry.error or f"{entry.path}: cannot be read")
            return entry.template, entry.path.absolute()
    if any(sep and sep in reference for sep in ("/", os.sep, os.altsep)):
        return load_template(path), path.absolute()  # a path to a missing file: say so
    names = ", ".join(quote(e.name) for e in library.entries if e.template is not None)
    known = f"saved templates: {names}" if names else "no templates are saved there yet"
    searched = ", ".join(str(folder.path) for folder in library.folders)
    raise ReplayError(
        f"No template named {quote(reference)} in {searched} ({known}); "
        "give a template name (see 'startjob templates') or the path of a .toml file."
    )


# -- where to connect ------------------------------------------------------------------------


def connection_settings(
    template: Template,
    flags: Mapping[str, Any],
    *,
    profile: Optional[str] = None,
    environ: Optional[Mapping[str, str]] = None,
    prompt: Optional[Callable[[str], Optional[str]]] = None,
) -> ConnectionSettings:
    """Where and how a replay (or ``startjob open``) connects, by the resolver every command
    uses (``tui_app.precedence.resolve_settings``)::

        flag  >  template's [connection]  >  UIPATH_* variables  >  profile  >  default

    ``flags`` are ``--url``, ``--folder``, ``--client-id``... (None and "" are not given).
    The template gives its ``folder``, and where to connect: its ``url`` unless ``--profile``
    is given, its ``profile`` unless ``--url`` is. The profile is ``--profile`` (``profile``),
    else the template's, else ``STARTJOB_PROFILE``. A profile that asks for its secret asks on
    the terminal (``prompt``, default ``terminal_prompt()``), else ``SecretPromptNeeded`` says
    which variable to set. Raises ``SettingsError`` (``ProfileError``, ``SecretError``).
    """
    from tui_app.precedence import PROFILE_ENV, require_secret, resolve_settings, terminal_prompt

    environ = os.environ if environ is None else environ
    chosen = {key: value for key, value in flags.items() if value not in (None, "")}
    spec = template.connection
    layer = {"folder": spec.folder, "url": None if profile else spec.url,
             "profile": None if chosen.get("url") else spec.profile}
    name = profile or layer["profile"] or environ.get(PROFILE_ENV)
    if not name:
        return resolve_settings(chosen, environ, template=layer).settings

    return require_secret(resolve_settings(chosen, environ, profile, template=layer,
                                           prompt=prompt or terminal_prompt()))


# -- argument values -------------------------------------------------------------------------


_MISSING = object()


@dataclass
class _Override:
    flag: str  # "--set" or "--set-json"
    raw: Any  # text for --set, parsed JSON for --set-json
    #: Where the value came from when not the command line (a batch row: "row 7 Name").
    label: Optional[str] = None


def _assignments(items: Sequence[str], flag: str) -> list[tuple[str, str]]:
    pairs = []
    for item in items:
        name, equals, value = item.partition("=")
        if not equals or not name.strip():
            raise ReplayError(f"{flag} {quote(item)}: expected {flag} NAME=VALUE.")
        pairs.append((name.strip(), value))
    return pairs


def parse_overrides(sets: Sequence[str], set_json: Sequence[str]) -> dict[str, _Override]:
    """``--set`` and ``--set-json`` values by argument name (JSON parsed, not yet converted)."""
    overrides: dict[str, _Override] = {}
    problems = []
    pairs = [(name, value, "--set") for name, value in _assignments(sets, "--set")]
    pairs += [(name, value, "--set-json") for name, value in _assignments(set_json, "--set-json")]
    for name, value, flag in pairs:
        if name in overrides:
            problems.append(f"{name} is given twice ({overrides[name].flag} and {flag}); "
                            "give it once.")
            continue
        if flag == "--set-json":
            try:
                value = loads(value)
            except JsonSyntaxError as exc:
                problems.append(f"--set-json {name}: not valid JSON ({exc}); text goes in "
                                'double quotes, e.g. --set-json Name=\'"text"\'.')
                continue
        overrides[name] = _Override(flag, value)
    if problems:
        raise ReplayError(problems)
    return overrides


def read_event(source: str, stdin: Optional[IO[Any]] = None) -> dict:
    """The event JSON object from a regular file, or from standard input for ``-`` (at most
    ``MAX_EVENT_BYTES`` either way)."""
    from tui_app.userfiles import MAX_EVENT_BYTES, UserFileError, read_capped, read_user_file

    where = "the event on standard input" if source == "-" else f"the event file {source}"
    data: Union[bytes, str]
    try:
        if source == "-":
            stream = stdin if stdin is not None else sys.stdin
            data = read_capped(getattr(stream, "buffer", stream), MAX_EVENT_BYTES)
        else:
            data = read_user_file(Path(source).expanduser(), MAX_EVENT_BYTES)
    except UserFileError as exc:
        raise ReplayError(f"Cannot use {where}: it {exc}.") from None
    except OSError as exc:
        raise ReplayError(f"Cannot read {where}: {exc.strerror or exc}.") from None
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ReplayError(f"{where[0].upper()}{where[1:]} is not UTF-8 text "
                              f"(bad byte at offset {exc.start}).") from None
    try:
        event = loads(data, unique_keys=False)
    except JsonSyntaxError as exc:
        raise ReplayError(f"{where[0].upper()}{where[1:]} is not valid JSON: {exc}.") from None
    if not isinstance(event, dict):
        raise ReplayError(f"{where[0].upper()}{where[1:]} must be a JSON object "
                          "({...}), not a list or a single value.")
    return event


def lookup(event: Any, path: str) -> Any:
    """The value at a dotted path (``incident.number``; a number indexes a list), or
    ``_MISSING``."""
    value = event
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
    return value


def _env_value(name: str, environ: Mapping[str, str]) -> Optional[str]:
    for variable in (ASK_ENV_PREFIX + name, ASK_ENV_PREFIX + name.upper()):
        if variable in environ:
            return environ[variable]
    return None


@dataclass
class _Values:
    values: dict = field(default_factory=dict)  # name -> JSON value to send
    sources: dict = field(default_factory=dict)  # name -> where the value came from
    problems: dict = field(default_factory=dict)  # name -> one-line problem
    given: set = field(default_factory=set)  # names with a value not from [arguments]
    left_out: set = field(default_factory=set)  # names left out on purpose (--set NAME=)


def collect_arguments(
    template: Template,
    specs: Sequence[ArgumentSpec],
    defaults: Mapping[str, Any],
    overrides: Mapping[str, _Override],
    event: Optional[dict],
    environ: Mapping[str, str],
) -> _Values:
    """Every argument's value by precedence (see the module docstring), and the problems."""
    result = _Values()
    known = [spec.name for spec in specs]
    for name, override in overrides.items():
        if name not in known:
            result.problems[name] = f"{override.flag} {_unknown_argument(name, known)}"
    for spec in specs:
        name = spec.name
        try:
            found = _value_of(spec, template, overrides, event, environ, result)
        except ArgumentValueError as exc:
            source = result.sources.get(name)
            if name in template.ask:  # the problem quotes the value: never show it
                result.problems[name] = (f"{name}: the value of {source} is not valid, "
                                         f"expected {spec.hint} (not shown: an ask argument)")
            else:
                result.problems[name] = f"{exc} (from {source})"
            continue
        if found is not _MISSING:
            result.values[name] = found
        if name in defaults:
            result.given.add(name)
    for spec in specs:
        name = spec.name
        if (spec.required and name not in result.values and name not in defaults
                and name not in result.problems):
            result.problems[name] = _missing(spec, template)
    return result


def _value_of(spec: ArgumentSpec, template: Template, overrides: Mapping[str, _Override],
              event: Optional[dict], environ: Mapping[str, str], result: _Values) -> Any:
    name = spec.name
    if name in overrides:
        override = overrides[name]
        result.given.add(name)
        result.sources[name] = override.label or override.flag
        if override.flag == "--set":
            if not override.raw.strip():
                result.left_out.add(name)
                return _MISSING
            return spec.parse(override.raw)
        return _from_json(spec, override.raw)
    if name in template.ask:
        text = _env_value(name, environ)
        if text is not None:
            result.given.add(name)
            result.sources[name] = f"{ASK_ENV_PREFIX}{name}"
            return spec.parse(text)
    if event is not None and name in template.bindings:
        path = template.bindings[name]
        result.given.add(name)
        result.sources[name] = f"event {path}"
        value = lookup(event, path)
        if value is _MISSING:
            raise ArgumentValueError(name, f"the event has no value at {quote(path)}")
        return _from_json(spec, value)
    if name in template.arguments and name not in template.ask:
        result.sources[name] = "the template"
        return spec.from_toml(template.arguments[name])
    return _MISSING


def _from_json(spec: ArgumentSpec, value: Any) -> Any:
    """Convert a JSON value (``--set-json``, an event): like a template value, except that a
    string for a raw-JSON argument (System.Object, unknown types) is that string, not JSON
    text to parse."""
    if spec.kind is Kind.JSON and isinstance(value, str):
        return spec.from_toml(dumps(value))
    return spec.from_toml(value)


def event_value(target: Any, value: Any) -> Any:
    """An event's JSON ``value`` converted as a replay converts it for ``target``: an
    ``ArgumentSpec`` (a job argument), a ``queue_schema.ContentField`` (a queue content
    field) or None (a content field without a schema: sent as it is). Raises
    ``ArgumentValueError`` when it does not fit."""
    if isinstance(target, ArgumentSpec):
        return _from_json(target, value)
    if target is None:
        return value
    if target.spec.kind is Kind.JSON and isinstance(value, str):
        value = dumps(value)
    return target.convert(value)


def _missing(spec: ArgumentSpec, template: Template) -> str:
    name = spec.name
    ways = [f"pass --set {name}=VALUE"]
    if name in template.ask:
        ways.append(f"set {ASK_ENV_PREFIX}{name}")
    if name in template.bindings:
        ways.append(f"give an event with {template.bindings[name]} (--event)")
    return f"{name} is required: " + " or ".join(ways) + "."


# -- resolving the release and robots ---------------------------------------------------------


# -- the replay ------------------------------------------------------------------------------


class _Reporter:
    """Progress lines (stdout, text mode only) and warnings (stderr, text mode only unless
    ``always``); every line goes through ``visible`` (it may hold server strings)."""

    def __init__(self, options: ReplayOptions, result: ReplayResult, out: TextIO,
                 err: TextIO) -> None:
        self.text = options.output != "json"
        self.result = result
        self.out = out
        self.err = err

    def say(self, line: str) -> None:
        if self.text:
            print(visible(line), file=self.out, flush=True)

    def warn(self, line: str, *, always: bool = False) -> None:
        self.result.warnings.append(line)
        if self.text or always:
            print(f"warning: {visible(line, single_line=True)}", file=self.err, flush=True)


async def replay(
    options: ReplayOptions,
    *,
    environ: Optional[Mapping[str, str]] = None,
    stdin: Optional[IO[Any]] = None,
    out: Optional[TextIO] = None,
    err: Optional[TextIO] = None,
    client_options: Optional[dict] = None,
) -> ReplayResult:
    """Run one replay; never raises for an expected failure (see ``ReplayResult.exit_code``)."""
    environ = os.environ if environ is None else environ
    result = ReplayResult(template=options.template, dry_run=options.dry_run)
    report = _Reporter(options, result, out or sys.stdout, err or sys.stderr)
    try:
        await _replay(options, result, report, environ, stdin,
                      {**CLIENT_OPTIONS, **(client_options or {})})
    except ReplayError as exc:
        result.errors = exc.lines
        result.exit_code = exc.exit_code
    except TemplateError as exc:
        result.errors = [str(exc)]
        result.exit_code = EXIT_USAGE
    except SettingsError as exc:
        hint = (" Set UIPATH_CLIENT_ID and UIPATH_CLIENT_SECRET, or UIPATH_ACCESS_TOKEN, or "
                "UIPATH_TENANT, UIPATH_USERNAME and UIPATH_PASSWORD."
                if str(exc).startswith("Missing:") else "")
        result.errors = [f"Cannot connect: {exc}{hint}"]
        result.exit_code = EXIT_USAGE
    except OrchestratorError as exc:
        result.exit_code, line = _classify(exc)
        result.errors = [line]
    return result


_URL_HINT = (" Check the Orchestrator URL: it names the organization and tenant, e.g. "
             "https://cloud.uipath.com/ORG/TENANT/orchestrator_ (as in the browser's address "
             "bar), or https://SERVER/ for Orchestrator on your own server.")


def _classify(error: OrchestratorError) -> tuple[int, str]:
    """The exit code and the line for a failure that left nothing started."""
    if isinstance(error, NotFound) and str(error.error_code) != "1002":
        # Not Orchestrator's "item not found" (errorCode 1002): no API at this URL.
        return EXIT_CONNECTION, str(error) + _URL_HINT
    if isinstance(error, PermissionDenied) and str(error.error_code) == "invalid_scope":
        return EXIT_CONNECTION, str(error)  # the sign-in refused the requested scopes
    if str(error.error_code) in REFUSAL_CODES:
        return EXIT_REFUSED, str(error)  # a refusal whatever its HTTP status
    if isinstance(error, (AuthenticationError, ConnectionFailed, ServerError, RateLimited,
                          ProtocolError)):
        return EXIT_CONNECTION, str(error)
    return EXIT_REFUSED, str(error)


async def _replay(options: ReplayOptions, result: ReplayResult, report: _Reporter,
                  environ: Mapping[str, str], stdin: Optional[IO[Any]],
                  client_options: dict) -> None:
    template, path = find_template(options.template)
    result.template, result.template_path = template.name, str(path)
    overrides = parse_overrides(options.sets, options.set_json)
    event = options.event_data
    if event is None and options.event is not None:
        event = read_event(options.event, stdin)
    if event is not None and template.filter and not _event_matches(template, event, options,
                                                                     result, report):
        return
    if (event is not None and not template.bindings and not template.filter
            and "{" not in (template.item.reference or "")):
        report.warn("The template has no [bindings], so the event is not used.")
    prompter = (None if options.no_input or options.event == "-"
                else prompts.terminal(stdin, report.err))
    async with connected(options, result, report, environ, client_options, template, path,
                         overrides, event, prompter=prompter, cache=True) as context:
        await _RUNNERS[template.action](context)


@contextlib.asynccontextmanager
async def connected(options: ReplayOptions, result: ReplayResult, report: _Reporter,
                    environ: Mapping[str, str], client_options: dict, template: Template,
                    path: Path, overrides: dict, event: Optional[dict], *,
                    prompter: Optional[prompts.Prompter] = None,
                    cache: bool = False) -> AsyncIterator[_Context]:
    """Connect as the template says (``connection_settings``), sign in, enter its folder and
    yield the ``_Context`` the action runners take (one replay, or a whole batch; only a
    single replay on a terminal has a ``prompter``). ``cache``: a real start of a
    ``start_job`` template may use the resolution cache (``tui_app.resolution_cache``; its
    folder stands in for the Folders list); a dry run never does."""
    result.template = template.name
    result.template_path = str(path)
    settings = connection_settings(template, options.connection, profile=options.profile,
                                   environ=environ)
    if settings.insecure:
        report.warn(f"The server certificate is {tls_description(settings, environ)}.",
                    always=True)
    folder_path = settings.folder.strip() or None
    effective = replace(template, connection=replace(template.connection, folder=folder_path))
    report.say(f"Template     {visible(template.name, single_line=True)}  ({path})")
    store = key = cached = None
    if cache and not options.dry_run and template.action == "start_job":
        key = cache_key(settings, folder_path, template.process.key, path)
        store = ResolutionCache() if key else None
        cached = store.load(key) if store is not None and key else None
        if cached is not None and (cached.folder is None) != (folder_path is None):
            cached = None
    client = settings.open_client(**client_options)
    async with client:
        if cached is not None:
            folder = cached.folder
            client.use_folder(folder)
        else:
            folder = await _find_folder(client, effective)
        yield _Context(options, result, report, environ, client_options, template, path,
                       effective, overrides, event, client, folder, settings, prompter,
                       store, key, cached, cached.identity if cached is not None else None,
                       _profile_of(settings))


def _profile_of(settings: ConnectionSettings) -> Optional[Any]:
    """The profile in effect (its guard keys decide with the template's), None without."""
    if not settings.profile:
        return None
    from tui_app.profiles import get_profile

    return get_profile(settings.profile)


async def _find_folder(client: OrchestratorClient, effective: Template) -> Optional[Folder]:
    """The template's folder by path (Folders list), entered; None without a folder."""
    folder_path = effective.connection.folder
    if not folder_path:
        return None
    folder = resolver.find_folder(await client.list_folders(), folder_path)
    if folder is None:
        _stop(check_drift(effective, None, folder_missing=True))
    client.use_folder(folder)
    return folder


def _event_matches(template: Template, event: dict, options: ReplayOptions,
                   result: ReplayResult, report: _Reporter) -> bool:
    """Whether ``event`` matches the template's ``filter``; a mismatch starts nothing (exit
    0) and says so."""
    from tui_app.event_filter import compile_filter

    assert template.filter is not None
    shown = visible(template.filter, single_line=True, limit=200)
    result.filter_matches = compile_filter(template.filter).matches(event)
    if result.filter_matches:
        report.say(f"Filter       the event matches: {shown}")
        return True
    if options.dry_run:
        report.say(f"Dry run: the event does not match the template's filter ({shown}): "
                   "nothing would start.")
    else:
        report.say(f"The event does not match the template's filter ({shown}): nothing "
                   "started.")
    return False


@dataclass
class _Context:
    """What every action's runner gets: the options, the template and a signed-in client
    with the folder in effect."""

    options: ReplayOptions
    result: ReplayResult
    report: _Reporter
    environ: Mapping[str, str]
    client_options: dict
    template: Template
    path: Path
    #: The template with the folder in effect (for drift findings).
    effective: Template
    overrides: dict
    event: Optional[dict]
    client: Any
    folder: Optional[Folder]
    settings: ConnectionSettings
    #: Asks for missing values on the terminal (None: not on one, or ``--no-input``).
    prompter: Optional[prompts.Prompter] = None
    #: The resolution cache and this start's key in it (None: not used).
    cache: Optional[ResolutionCache] = None
    cache_key: Optional[str] = None
    #: The cached resolution in use (None: a full resolution).
    cached: Optional[Resolution] = None
    #: Who started, for the history (None: ask ``identity.who_started``).
    identity: Optional[Any] = None
    #: The profile in effect (``profiles.Profile``; None: none), for the guard.
    profile: Optional[Any] = None


# -- the production guard ----------------------------------------------------------------------


async def job_guard(context: _Context, target: JobTarget, kind: str, *, robots: int,
                    jobs_count: int) -> Guard:
    """The guard of a start (``tui_app.guard``); for All robots under a cap, the robot pool
    is listed to count the jobs (None when it cannot be)."""
    template = context.template

    def decided(pool: Optional[Sequence[Any]]) -> Guard:
        jobs = planned_jobs(kind, robots=robots, jobs_count=jobs_count, pool=pool)
        return decide(profile=context.profile, template=template, folder=context.folder,
                      what=template.process.key, jobs=jobs)

    found = decided(target.pool)
    if kind == "All" and target.pool is None and found.over_cap:
        try:
            found = decided(await resolver.robot_pool(context.client, target.release,
                                                      context.folder))
        except (resolver.FolderNeeded, OrchestratorError):
            pass  # not known: over the cap until confirmed
    return found


def confirm_start(context: _Context, found: Guard,
                  prompter: Optional[prompts.Prompter]) -> None:
    """Go on with a start the guard lets through: nothing to confirm, ``--yes``, or the word
    typed on the terminal (``prompter``; up to ``prompts.TRIES`` tries). ``--dry-run`` only
    says a real run needs a confirmation. Else a ``ReplayError`` (exit 2): nothing is sent."""
    options, result, report = context.options, context.result, context.report
    if not found.applies:
        return
    result.guard = found.to_json()
    if not found.needs_confirmation:
        return
    if options.dry_run:
        report.warn(f"A real run needs a confirmation: {found.refusal().partition(': ')[2]}")
        return
    if options.yes:
        result.guard = found.to_json("--yes")
        what = "; ".join(filter(None, (found.protected_by,
                                       found.cap_sentence() if found.over_cap else "")))
        report.say(f"Guard        {what}: confirmed with --yes")
        return
    if prompter is None:
        raise ReplayError(found.refusal(), EXIT_USAGE)
    if found.protected:
        prompter.say(f"Protected: {found.protected_by}.")
    if found.over_cap:
        prompter.say(f"This start creates {found.cap_sentence()}.")
    try:
        prompts.ask_word(prompter, found.prompt(), found.accepts,
                         f"  That is not {found.terminal_word()!r} (exactly, in this case).")
    except prompts.PromptCancelled:
        raise ReplayError("Cancelled: nothing was started.") from None
    except prompts.PromptFailed:
        raise ReplayError(f"Not confirmed after {prompts.TRIES} tries: nothing was started.") \
            from None
    result.guard = found.to_json("typed")


def _ask_missing(context: _Context, collected: _Values,
                 candidates: Sequence[tuple[str, str, Callable[[str], Any]]]) -> Template:
    """Right after the values are collected: on a terminal, ask for the ``ask`` values and
    the required ones that nothing gave (``tui_app.prompts``). Returns the template with
    the names read hidden added to ``ask``, so they are hidden in print as ``ask`` values."""
    template, prompter = context.template, context.prompter
    if prompter is None:
        return template
    missing = {name: text for name, text in collected.problems.items()
               if name not in collected.sources}
    wanted = prompts.wanted_values(candidates, template.ask, collected.sources, missing)
    what = "argument" if template.action == "start_job" else "content field"
    try:
        typed = prompts.ask_values(prompter, wanted, what)
    except prompts.PromptCancelled:
        raise ReplayError("Cancelled: nothing was started.") from None
    except prompts.PromptFailed as exc:
        raise ReplayError(str(exc)) from None
    for name, value in typed.items():
        collected.values[name] = value
        collected.sources[name] = "typed in"
        collected.given.add(name)
        collected.problems.pop(name, None)
    hidden = tuple(item.name for item in wanted if item.masked and item.name not in template.ask)
    debug_log = context.client_options.get("debug_log")
    if debug_log is not None:
        debug_log.add_secret(*(value if isinstance(value, str) else dumps(value)
                               for name, value in typed.items()
                               if name in hidden or name in template.ask))
    return replace(template, ask=template.ask + hidden) if hidden else template


@dataclass
class JobTarget:
    """What a ``start_job`` template resolves to once (``resolve_job``): the release, the
    start options' facts, the argument model and the robot pool; every plan built from it
    (``job_plan``: one replay, or each row of a batch) uses the same resolution."""

    release: Release
    chosen: Any
    facts: Any
    specs: list
    defaults: dict
    pool: Optional[list]


async def resolve_job(context: _Context) -> JobTarget:
    """Find the release and robots again and read its argument model (drift that blocks
    before any value is known is a ``ReplayError``)."""
    return await resolve_target(context.client, context.template, context.effective,
                                context.folder, context.options.large_input)


async def resolve_target(client: Any, template: Template, effective: Template,
                         folder: Optional[Folder],
                         large_input: Optional[str] = None) -> JobTarget:
    """``resolve_job`` on plain inputs (also ``startjob templates --check``): ``effective``
    is the template with the folder in effect, ``large_input`` the ``--large-input`` flag.
    The robots are read alongside the releases where they do not depend on the release
    (``_early_pool``)."""
    early = _early_pool(client, template, folder)
    try:
        target = await _resolve_target(client, template, effective, folder, large_input, early)
    finally:
        if early is not None:  # unused (a stop, a refusal, another release): cancel()
            early.cancel()  # also marks a failure as seen (no "never retrieved")
    return target


async def _resolve_target(client: Any, template: Template, effective: Template,
                          folder: Optional[Folder], large_input: Optional[str],
                          early: Optional[asyncio.Task]) -> JobTarget:
    try:
        release = resolver.pick_release(
            template.process, await client.releases_for_process(template.process.key))
    except resolver.AmbiguousRelease as exc:
        raise ReplayError(str(exc)) from None
    if release is None:
        _stop(check_drift(effective, None))
    chosen = replace(template.options,
                     large_input=large_input or template.options.large_input)
    spec = STRATEGY_TABLE[template.strategy.kind]
    facts = await resolver.option_facts(
        client, release, folder, chosen,
        (template.strategy.runtime_type or "Unattended") if spec.runtime else None)
    entry_point = facts.entry_point(release, chosen.entry_point)
    try:
        specs = parse_arguments_input(resolver.argument_source(release, entry_point))
        defaults = parse_process_defaults(release.input_arguments)
    except ArgumentsFormatError as exc:
        raise ReplayError(f"Cannot read the input arguments of {quote(release.name)}: {exc}",
                          EXIT_REFUSED) from None
    if early is not None and (not resolver.is_classic(release, folder)
                              or release.environment_name == template.process.environment):
        pool: Optional[list[Robot]] = await early
    else:
        pool = await _robot_pool(client, template, release, folder)
    return JobTarget(release, chosen, facts, list(specs), dict(defaults), pool)


def _early_pool(client: Any, template: Template,
                folder: Optional[Folder]) -> Optional[asyncio.Task]:
    """The robot pool, being read, when the template names robots and the pool does not
    depend on the release: a modern folder, or a classic one in the environment the
    template names (used only if the release found runs there). One round trip instead of
    two before StartJobs."""
    if not _names_robots(template) or folder is None:
        return None
    environment = template.process.environment
    if folder.is_classic and not environment:
        return None
    return asyncio.ensure_future(resolver.pool_in(client, folder.is_classic, environment,
                                                  folder))


@dataclass
class JobPlan:
    """One start, ready to send: the plan, the body as printed (``ask`` values hidden), the
    collected values; ``rows``: the summary rows, made when shown (a batch never shows
    them)."""

    plan: StartPlan
    shown: dict
    hidden: dict
    collected: _Values
    specs: Sequence[Any]
    ask: Sequence[str]

    @property
    def rows(self) -> list:
        return plan_rows(self.plan, self.specs, hidden=self.ask, hidden_as=ASK_PLACEHOLDER,
                         sources=self.collected.sources)


def job_reference(template: Template, values: Mapping[str, Any], event: Optional[dict],
                  tail: Optional[str] = None) -> str:
    """The job's Reference: ``startjob:<tail>``, or the template's ``reference`` with its
    ``{Name}`` placeholders filled (an argument's value, else a dotted path into the
    event), then ``:<tail>``; ``tail`` defaults to a random one (``startjob:<uuid>``
    without a template reference). Over 128 characters is a ``ReplayError``."""
    import uuid

    from tui_app.queue_plan import MAX_REFERENCE_LENGTH
    from tui_app.templates import _PLACEHOLDER

    pattern = template.reference
    if not pattern:
        return f"startjob:{tail}" if tail else new_reference()

    def value(match: Any) -> str:
        name = match.group(1)
        found = values[name] if name in values else (
            lookup(event, name) if event is not None else _MISSING)
        if found is _MISSING or found is None:
            raise ReplayError(f"The reference {quote(pattern)} needs a value for {{{name}}}: "
                              "an argument of that name, or that path in the event.")
        return found if isinstance(found, str) else dumps(found)

    reference = f"{_PLACEHOLDER.sub(value, pattern)}:{tail or uuid.uuid4().hex[:12]}"
    if len(reference) > MAX_REFERENCE_LENGTH:
        raise ReplayError(f"The reference {quote(reference[:40] + '...')} is {len(reference)} "
                          f"characters; Orchestrator takes at most {MAX_REFERENCE_LENGTH} "
                          "(shorten the template's reference).")
    return reference


def job_plan(context: _Context, target: JobTarget, overrides: Mapping[str, _Override],
             event: Optional[dict], warn: Callable[[str], None],
             tail: Optional[str] = None) -> JobPlan:
    """The values of one start (``overrides``, ``event``) made into its plan by the
    argument precedence and drift rules of a replay; the problems are a ``ReplayError``.
    The Reference is ``job_reference`` (``tail``: the unique end)."""
    template, options = context.template, context.options
    release, folder, pool = target.release, context.folder, target.pool
    collected = collect_arguments(template, target.specs, target.defaults, overrides, event,
                                  context.environ)
    template = _ask_missing(context, collected,
                            [(s.name, s.hint, s.parse) for s in target.specs])
    debug_log = context.client_options.get("debug_log")
    if debug_log is not None:  # the --debug log masks ask values too
        asked = [collected.values[name] for name in template.ask if name in collected.values]
        debug_log.add_secret(*(v if isinstance(v, str) else dumps(v) for v in asked))
    findings = check_drift(context.effective, release, target.specs, pool,
                           given=collected.given, facts=target.facts)
    blocked_names = {f.subject for f in findings if f.blocks and f.subject}
    problems = [f.text for f in findings if f.blocks]
    problems += [text for name, text in collected.problems.items()
                 if name not in blocked_names]
    problems += resolver.strategy_fits(template.strategy.kind, release, folder)
    for finding in findings:
        if not finding.blocks:
            warn(finding.text)
    if problems:
        raise ReplayError(problems)
    strategy = resolver.strategy_choice(
        template.strategy, resolver.robots_named(pool or [], template.strategy.robots))
    if options.priority is not None:
        strategy = replace(strategy, priority=options.priority)
    plan = StartPlan(release=release, strategy=strategy, arguments=dict(collected.values),
                     folder=folder,
                     reference=job_reference(template, collected.values, event, tail),
                     options=resolver.resolve_options(release, target.chosen, target.facts))
    hidden = {name: ASK_PLACEHOLDER for name in template.ask if name in plan.arguments}
    return JobPlan(plan, _shown(plan, hidden), hidden, collected, target.specs, template.ask)


async def _start_job(context: _Context) -> None:
    """The ``start_job`` action: find the release and robots again, check drift, build the
    plan, start once, record it and (with ``--wait``) follow the jobs."""
    options, result, report = context.options, context.result, context.report
    client = context.client
    target, built = await _resolved_plan(context)
    plan, hidden, reference = built.plan, built.hidden, str(built.plan.reference)
    result.start_info = shown = built.shown
    for line in format_rows(built.rows):
        report.say(line)
    strategy = plan.strategy
    confirm_start(context, await job_guard(context, target, strategy.kind,
                                           robots=len(strategy.robots),
                                           jobs_count=strategy.jobs_count), context.prompter)
    if options.dry_run:
        check = {k: v for k, v in shown.items() if v != INPUT_FILE_PLACEHOLDER}
        if hidden and "InputArguments" in check:
            check = plan.preview_info()  # the check gets the real values
        checked = await _preflight(client, check, result, report)
        report.say("Dry run: nothing was started. The request would be:")
        report.say(printable_json({"startInfo": shown}))
        if checked.blocking:
            raise ReplayError([f"Pre-flight check: the job could not run: {finding.text}"
                               for finding in checked.blocking], EXIT_REFUSED)
        return
    if context.event is not None and context.template.event_id:
        found = await client.find_jobs_by_reference(reference)
        if found:
            result.jobs, result.already_started = found, True
            report.say(f"This event was started before: job(s) "
                       f"{', '.join(str(job.id) for job in found)} (reference {reference}); "
                       "nothing started.")
            if options.wait:
                _finish(report, result, None, await _wait(client, result, report,
                                                          options.timeout))
            return
    try:
        plan, shown, jobs = await _send(context, plan, shown, hidden)
    except _StaleStart:
        report.say("StartJobs refused the cached folder or release (nothing started): "
                   "looking them up again.")
        await _full_resolution(context)
        target, built = await _resolved_plan(context)
        plan, hidden, reference = built.plan, built.hidden, str(built.plan.reference)
        result.start_info = shown = built.shown
        for line in format_rows(built.rows):
            report.say(line)
        plan, shown, jobs = await _send(context, plan, shown, hidden)
    result.jobs = list(jobs)
    entry_id = await _record(context, plan, jobs, shown)
    result.history_id = entry_id
    if context.cache is not None and context.cache_key and context.cached is None:
        context.cache.save(context.cache_key, context.folder, context.identity)
    ids = ", ".join(str(job.id) for job in jobs)
    report.say(f"Started {len(jobs)} job(s): {ids or 'none'}  (reference {reference})")
    if not options.wait:
        return
    try:
        timed_out = await _wait(client, result, report, options.timeout)
    except OrchestratorError as exc:
        _record_final_states(report, result, entry_id)
        raise ReplayError(_not_followed(result.jobs, reference, exc),
                          EXIT_NOT_FOLLOWED) from None
    _finish(report, result, entry_id, timed_out)


class _StaleStart(Exception):
    """StartJobs refused a start built from a cached resolution for a reason a stale cache
    explains (``resolution_cache.stale_refusal``); nothing started."""


async def _resolved_plan(context: _Context) -> tuple[JobTarget, JobPlan]:
    """``resolve_job`` and ``job_plan``; a cached resolution that does not check out (the
    folder refused, no release, a blocking drift finding...) is dropped, and the full
    resolution decides (warnings of the cached attempt are not shown)."""
    report = context.report
    if context.cached is not None:
        warnings: list = []
        try:
            target = await resolve_job(context)
            built = job_plan(context, target, context.overrides, context.event,
                             warnings.append, tail=event_id_tail(context))
        except (ReplayError, OrchestratorError):
            await _full_resolution(context)
        else:
            for line in warnings:
                report.warn(line)
            return target, built
    target = await resolve_job(context)
    return target, job_plan(context, target, context.overrides, context.event, report.warn,
                            tail=event_id_tail(context))


def event_id_tail(context: _Context, event: Optional[dict] = None) -> Optional[str]:
    """The unique end of the Reference of ``event`` (default: the run's ``--event``) from
    its id (the template's ``[events] id``; ``ledger.event_tail``), None without an id
    setting or an event; an event without its id is a ``ReplayError``."""
    event = context.event if event is None else event
    id_path = context.template.event_id
    if event is None or not id_path:
        return None
    found = lookup(event, id_path)
    if found is _MISSING or found in (None, ""):
        raise ReplayError(f"the event has no id at {quote(id_path)} ([events] id)")
    return event_tail(stream_key(str(context.path), context.template.name),
                      found if isinstance(found, str) else dumps(found))


async def _full_resolution(context: _Context) -> None:
    """Drop the cached resolution (file and context) and find the folder again."""
    if context.cache is not None and context.cache_key:
        context.cache.forget(context.cache_key)
    context.cached = None
    context.identity = None
    context.folder = await _find_folder(context.client, context.effective)


async def _send(context: _Context, plan: StartPlan, shown: dict,
                hidden: dict) -> tuple[StartPlan, dict, list[Job]]:
    """Upload the arguments file if the plan sends one, then StartJobs once: (the plan as
    sent, the body as printed, the jobs)."""
    result, client = context.result, context.client
    if plan.sends_file:
        try:
            plan = await prepare_input(client, plan)
        except OrchestratorError as exc:
            code, line = _classify(exc)
            raise ReplayError("No job was started: the input arguments could not be uploaded "
                              f"as a file (a job attachment). {line}", code) from None
        result.start_info = shown = _shown(plan, hidden)
    jobs = await _start(client, plan.start_info(), context.report,
                        cached=context.cached is not None)
    return plan, shown, jobs


def _shown(plan: StartPlan, hidden: dict) -> dict:
    """The ``startInfo`` as printed (``preview_info``: arguments that go as a file show as
    ``INPUT_FILE_PLACEHOLDER`` until uploaded), ``ask`` values as ``ASK_PLACEHOLDER``; a
    plan that cannot be sent is a ``ReplayError``."""
    try:
        if not hidden or plan.sends_file:  # a file's values are never in the body
            return plan.preview_info()
        plan.preview_info()  # the real values decide what is sent
        return replace(plan, arguments={**plan.arguments, **hidden},
                       options=replace(plan.options, large_input="refuse")).preview_info()
    except InputArgumentsTooLarge as exc:
        raise ReplayError(f"{exc} Or send them as a file (a job attachment) with "
                          "--large-input=file.") from None
    except PlanError as exc:
        raise ReplayError(str(exc)) from None


async def _preflight(client: Any, start_info: dict, result: ReplayResult,
                     report: _Reporter) -> Preflight:
    """The dry run's ``ValidateDynamicJob`` check (it starts nothing): print each finding
    with what to do; a warning is also in ``result.warnings``."""
    checked = await preflight(client, start_info)
    result.preflight = checked
    if not checked.checked:
        report.warn(checked.note)
        return checked
    if not checked.findings:
        report.say("Pre-flight check: Orchestrator sees nothing in the way.")
        return checked
    report.say("Pre-flight check:")
    for finding in checked.findings:
        kind = "blocks" if finding.blocking else "warning"
        report.say(f"  - {kind}: {finding.text}")
    result.warnings.extend(finding.text for finding in checked.warnings)
    return checked


# -- add_queue_item ----------------------------------------------------------------------------


def _fill_reference(text: Optional[str], event: Optional[dict]) -> Optional[str]:
    """``[item] reference`` with its ``{dotted.path}`` placeholders filled from the event; a
    placeholder without an event, or a path the event lacks, is a usage error."""
    from tui_app.templates import _PLACEHOLDER

    if text is None or not _PLACEHOLDER.search(text):
        return text

    def value(match: Any) -> str:
        path = match.group(1)
        if event is None:
            raise ReplayError(f"The reference {quote(text)} needs an event for {{{path}}}: "
                              "pass --event FILE.")
        found = lookup(event, path)
        if found is _MISSING or found is None:
            raise ReplayError(f"The event has no value at {quote(path)} for the reference "
                              f"{quote(text)}.")
        return found if isinstance(found, str) else dumps(found)

    return _PLACEHOLDER.sub(value, text)


def collect_content(template: Template, fields: Sequence[Any], overrides: Mapping[str, _Override],
                    event: Optional[dict], environ: Mapping[str, str]) -> _Values:
    """Every content value by the precedence of arguments (``--set``/``--set-json``, an
    ``ask`` field's ``STARTJOB_ARG_<NAME>``, the event's binding, ``[content]``). With a
    schema (``fields``) values convert by each field's type and only its fields are sent;
    without one ``--set`` gives text and the rest are sent as they are."""
    result = _Values()
    by_name = {f.name: f for f in fields}
    if fields:
        names = list(by_name)
        for name, override in overrides.items():
            if name not in by_name:
                result.problems[name] = f"{override.flag} {_unknown_argument(name, names)}"
    else:
        names = list(dict.fromkeys([*template.content, *template.bindings, *template.ask,
                                    *overrides]))
    for name in names:
        spec = by_name.get(name)
        try:
            found = _content_value(name, spec, template, overrides, event, environ, result)
        except ArgumentValueError as exc:
            source = result.sources.get(name)
            result.problems[name] = (f"{name}: the value of {source} is not valid (not shown: "
                                     "an ask field)" if name in template.ask
                                     else f"{exc} (from {source})")
            continue
        if found is not _MISSING:
            result.values[name] = found
    for spec in fields:
        if spec.required and spec.name not in result.values and spec.name not in result.problems:
            result.problems[spec.name] = _missing(spec.spec, template)
    return result


def _content_value(name: str, spec: Any, template: Template,
                   overrides: Mapping[str, _Override], event: Optional[dict],
                   environ: Mapping[str, str], result: _Values) -> Any:
    def typed(value: Any, text: bool = False) -> Any:
        if spec is not None and text:
            return spec.parse(value)
        return event_value(spec, value)

    if name in overrides:
        override = overrides[name]
        result.given.add(name)
        result.sources[name] = override.label or override.flag
        if override.flag == "--set" and not override.raw.strip():
            result.left_out.add(name)
            return _MISSING
        return typed(override.raw, override.flag == "--set")
    if name in template.ask:
        text = _env_value(name, environ)
        if text is not None:
            result.given.add(name)
            result.sources[name] = f"{ASK_ENV_PREFIX}{name}"
            return typed(text, True)
    if event is not None and name in template.bindings:
        path = template.bindings[name]
        result.given.add(name)
        result.sources[name] = f"event {path}"
        value = lookup(event, path)
        if value is _MISSING:
            raise ArgumentValueError(name, f"the event has no value at {quote(path)}")
        return typed(value)
    if name in template.content and name not in template.ask:
        result.sources[name] = "the template"
        return typed(template.content[name])
    return _MISSING


async def _add_queue_item(context: _Context) -> None:
    """The ``add_queue_item`` action: find the queue, check drift, collect the content,
    check a unique reference, add once, record it and (with ``--wait``) follow the item."""
    from tui_app.adding import add_once, existing_item
    from tui_app.drift import check_queue_drift
    from tui_app.queue_plan import ITEM_PRIORITIES, QueuePlan
    from tui_app.queue_schema import SchemaError, check_content, content_fields

    options, result, report = context.options, context.result, context.report
    template, client = context.template, context.client
    result.action = template.action
    assert template.queue is not None  # the parser requires [queue]
    queue = await client.queue_by_name(template.queue.name)
    if queue is None:
        _stop(check_queue_drift(context.effective, None))
    try:
        fields = content_fields(queue.specific_data_json_schema)
    except SchemaError:
        fields = []  # check_queue_drift warns; Orchestrator still checks the content
    collected = collect_content(template, fields, context.overrides, context.event,
                                context.environ)
    template = _ask_missing(context, collected, [(f.name, f.spec.hint, f.parse) for f in fields]
                            or [(name, "text", str) for name in template.ask])
    findings = check_queue_drift(context.effective, queue, given=collected.given)
    for finding in findings:
        if not finding.blocks:
            report.warn(finding.text)
    problems = [f.text for f in findings if f.blocks]
    blocked = {f.subject for f in findings if f.blocks}
    problems += [text for name, text in collected.problems.items() if name not in blocked]
    if problems:
        raise ReplayError(problems)
    try:
        invalid = check_content(queue.specific_data_json_schema, collected.values)
    except SchemaError:
        invalid = {}
    if invalid:
        raise ReplayError([f"{name}: {problem} (the queue's item schema)"
                           for name, problem in invalid.items()])
    item = replace(template.item, reference=_fill_reference(template.item.reference,
                                                            context.event))
    if options.priority is not None:
        if options.priority not in ITEM_PRIORITIES:
            raise ReplayError(f"--priority for a queue item is one of "
                              f"{', '.join(ITEM_PRIORITIES)}, not {quote(str(options.priority))}.")
        item = replace(item, priority=str(options.priority))
    plan = QueuePlan(queue, dict(collected.values), item, context.folder)
    try:
        rows, item_data = plan.rows(), plan.item_data()
    except PlanError as exc:
        raise ReplayError(str(exc)) from None
    hidden = {name: ASK_PLACEHOLDER for name in template.ask if name in plan.content}
    result.item_data = shown = {**item_data, "SpecificContent": {
        **item_data["SpecificContent"], **hidden}}
    for label, value in rows:
        name = value.partition(" = ")[0]
        report.say(f"{label:<13}{f'{name} = {ASK_PLACEHOLDER}' if name in hidden else value}")
    if queue.enforce_unique_reference:
        taken = await existing_item(client, queue, plan.reference)
        if taken is not None:
            raise ReplayError(f"The queue {quote(queue.name)} takes each reference once and "
                              f"already has item {taken.id} ({taken.status}) with the reference "
                              f"{quote(plan.reference)}; nothing was added.", EXIT_REFUSED)
    confirm_start(context, decide(profile=context.profile, template=template,
                                  folder=context.folder, what=queue.name, item=True),
                  context.prompter)
    if options.dry_run:
        report.say("Dry run: nothing was added. The request would be:")
        report.say(printable_json({"itemData": shown}))
        return
    outcome = await add_once(client, plan)
    if outcome.state == "unknown":
        raise ReplayError(outcome.message, EXIT_UNKNOWN)
    if not outcome.added:
        assert outcome.error is not None  # add_once always says why nothing was added
        raise ReplayError(outcome.message, _classify(outcome.error)[0])
    if outcome.error is not None:
        report.warn(outcome.message)
    assert outcome.item is not None
    result.item = outcome.item
    entry_id = await _record_item(context, plan, outcome.item, shown)
    result.history_id = entry_id
    report.say(f"Added item {outcome.item.id} to {queue.name}  (reference {plan.reference})")
    if options.wait:
        await _wait_item(context, entry_id)


async def _record_item(context: _Context, plan: Any, item: Any, shown: dict) -> Optional[str]:
    """Append the addition to the history (a problem is a warning, never a failure)."""
    from tui_app.history import record_item

    return await _append_history(context, record_item, "addition", plan, item, shown)


async def _wait_item(context: _Context, entry_id: Optional[str]) -> None:
    """``--wait`` for an item: follow it until it is processed (``following.follow_item``);
    Successful exits 0, Failed/Abandoned/Deleted 1, ``--timeout`` 5, a failed poll 6."""
    result, report = context.result, context.report
    item = result.item

    def said(old: Any, new: Any) -> None:
        retry = f" (retry {new.retry_number})" if new.id != old.id else ""
        report.say(f"{f'Item {new.id}':<13}{visible(new.status, single_line=True)}{retry}")

    try:
        followed = await following.follow_item(context.client, item, FOLLOW, said,
                                               timeout=context.options.timeout)
    except OrchestratorError as exc:
        raise ReplayError(f"Added item {item.id}, but could not follow it: "
                          f"{str(exc).rstrip('.')}. The item stays in the queue; do not add it "
                          "again.", EXIT_NOT_FOLLOWED) from None
    result.item = item = followed.item
    if item.is_final:
        _record_final_states(report, result, entry_id, [item])
    if followed.timed_out:
        result.exit_code = EXIT_TIMEOUT
        result.errors = [f"Timed out waiting; item {item.id} is {item.status}. It stays in the "
                         "queue."]
    elif item.status != "Successful":
        result.exit_code = EXIT_JOB_FAILED
        failure = item.processing_exception
        why = f": {failure.reason}" if failure is not None and failure.reason else ""
        result.errors = [f"Item {item.id} ended {item.status}{why}"]
    else:
        report.say(f"Item {item.id} ended Successful.")


#: The runner of each template action (``tui_app.actions``).
_RUNNERS = {"start_job": _start_job, "add_queue_item": _add_queue_item}


def _not_followed(jobs: list[Job], reference: str, error: OrchestratorError) -> str:
    ids = ", ".join(str(job.id) for job in jobs) or "none listed"
    return (f"Started {len(jobs)} job(s) (id {ids}, reference {reference}), but could not "
            f"follow them: {str(error).rstrip('.')}. The jobs go on in Orchestrator; do not "
            "start them again (see Orchestrator's Jobs page, or 'startjob history').")


def _stop(findings: list[Finding]) -> NoReturn:
    raise ReplayError([finding.text for finding in findings])


def _names_robots(template: Template) -> bool:
    """The template's strategy names robots to start on (``ROBOT_STRATEGIES``)."""
    strategy = template.strategy
    return strategy.kind in ROBOT_STRATEGIES and bool(strategy.robots)


async def _robot_pool(client: OrchestratorClient, template: Template, release: Release,
                      folder: Optional[Folder]) -> Optional[list[Robot]]:
    """The robots the template's robot names are looked up in, or None when none are named."""
    if not _names_robots(template):
        return None
    try:
        return await resolver.robot_pool(client, release, folder)
    except resolver.FolderNeeded as exc:
        raise ReplayError(str(exc)) from None


async def _start(client: OrchestratorClient, start_info: dict, report: _Reporter, *,
                 cached: bool = False) -> list[Job]:
    """Send StartJobs once; when the answer is lost, ask Orchestrator by Reference whether the
    jobs exist, so a start is never repeated blindly (``tui_app.starting``). ``cached``: the
    start was built from a cached resolution, and a refusal that a stale cache explains is
    ``_StaleStart``."""
    outcome = await start_once(client, start_info)
    if outcome.started:
        if outcome.error is not None:
            report.warn(outcome.message)
        return list(outcome.jobs)
    if outcome.unknown:
        raise ReplayError(outcome.message, EXIT_UNKNOWN)
    if cached and stale_refusal(outcome.error):
        raise _StaleStart()
    # Not started (refused, never sent, or confirmed absent): the error's own exit code.
    assert outcome.error is not None  # start_once always says why nothing started
    raise ReplayError(outcome.message, _classify(outcome.error)[0])


async def _record(context: _Context, plan: StartPlan, jobs: list[Job],
                  shown: dict) -> Optional[str]:
    """Append the start to the history with where and by whom it was started (``shown``: the
    body as printed, ``ask`` values hidden); a history problem is a warning, never a
    failure."""
    from tui_app.history import record_start

    return await _append_history(context, record_start, "start", plan, jobs, shown)


async def _append_history(context: _Context, record: Callable[..., Any], what: str,
                          plan: Any, found: Any, shown: dict) -> Optional[str]:
    """``record`` (history.record_start / record_item) with where and by whom; the entry id,
    or None after warning that the ``what`` was not written."""
    from tui_app.identity import who_started

    client = context.client
    identity = context.identity
    if identity is None:
        identity = context.identity = await who_started(client, context.settings)
    try:
        entry = record("headless", plan, found, template_name=context.template.name,
                       template_path=str(context.path), orchestrator_url=client.base_url,
                       tenant=context.settings.tenant, identity=identity, body=shown)
    except (OSError, LocationError, ValueError) as exc:
        context.report.warn(f"The {what} was not written to the history: {exc}")
        return None
    return entry.id


async def _wait(client: OrchestratorClient, result: ReplayResult, report: _Reporter,
                timeout: Optional[float]) -> bool:
    """Follow the jobs until every one ended or is Suspended (``tui_app.following``); True
    when ``timeout`` passed first. ``result.jobs`` keeps the last known states, also after a
    failed poll; why a job stayed Pending goes to ``result.pending``."""
    noted: list = []

    def said(old: Job, job: Job) -> None:
        info = f"  {_first_line(job.info)}" if job.state in _FINAL_FAILURES and job.info else ""
        state = visible(job.state, single_line=True, limit=200)
        report.say(f"{f'Job {job.id}':<13}{state}{info}")
        explained = _explanation(job)
        if explained is not None:
            report.say(f"{'':<13}Why: {explained.text}")

    def pending(found: following.PendingReport) -> None:
        result.pending[found.job.id] = found
        if not found.checked:
            report.say(f"{f'Job {found.job.id}':<13}Pending: {found.note}")
            return
        report.say(f"{f'Job {found.job.id}':<13}Pending. Why, according to Orchestrator:")
        for finding in found.findings:
            report.say(f"{'':<13}- {finding.text}")
        if found.findings and not noted:
            noted.append(True)
            report.say(f"{'':<13}{found.note}")
        elif not found.findings:
            report.say(f"{'':<13}{found.note}")

    latest: list[Job] = []
    try:
        outcome = await following.follow(client, result.jobs, on_change=said,
                                         on_pending=pending, timeout=timeout, policy=FOLLOW,
                                         latest=latest)
    finally:
        result.jobs = latest or result.jobs
    result.jobs = await outputs.with_outputs(client, result.jobs, report.warn)
    return outcome.timed_out


def _first_line(text: str) -> str:
    """The first non-blank line of a job's Info (the rest is in ``--output json``)."""
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return lines[0][:300] if lines else ""


def _record_final_states(report: _Reporter, result: ReplayResult,
                         entry_id: Optional[str], ended: Optional[list] = None) -> None:
    """Write the states of the jobs (or ``ended``: the item) that ended to the history entry
    (a problem warns)."""
    from tui_app.history import record_final_states

    if entry_id is None:
        return
    try:
        record_final_states(entry_id, result.jobs if ended is None else ended)
    except (OSError, LocationError, ValueError) as exc:
        report.warn(f"The final states were not written to the history: {exc}")


def _finish(report: _Reporter, result: ReplayResult, entry_id: Optional[str],
            timed_out: bool) -> None:
    """Record final states and set the exit code after ``--wait``: a failure (1) wins over a
    timeout (5), which wins over a Suspended job (8)."""
    _record_final_states(report, result, entry_id)
    failed = [job for job in result.jobs if job.state in _FINAL_FAILURES]
    suspended = [job for job in result.jobs if job.is_suspended]
    if failed:
        result.exit_code = EXIT_JOB_FAILED
        result.errors = [_ended(job) for job in failed]
    elif timed_out:
        result.exit_code = EXIT_TIMEOUT
        running = ", ".join(f"{job.id} ({job.state})" for job in result.jobs if not job.is_final)
        result.errors = [f"Timed out waiting; still running: {running}. The jobs go on in "
                         "Orchestrator."]
    elif suspended:
        result.exit_code = EXIT_SUSPENDED
        result.errors = [f"Job {job.id} is Suspended: {diagnosis.explain_suspended(job).text}"
                         for job in suspended]
    else:
        report.say(f"All {len(result.jobs)} job(s) ended Successful.")


def _ended(job: Job) -> str:
    """One line for a job that ended Faulted or Stopped, with the explanation when known."""
    line = f"Job {job.id} ended {job.state}" + (f": {_first_line(job.info)}" if job.info else "")
    explained = _explanation(job)
    return f"{line}. Why: {explained.text}" if explained is not None else line


def run(options: ReplayOptions, *, environ: Optional[Mapping[str, str]] = None,
        stdin: Optional[IO[Any]] = None, out: Optional[TextIO] = None,
        err: Optional[TextIO] = None, client_options: Optional[dict] = None) -> int:
    """``startjob run``: replay, print the outcome (text or one JSON object), return the exit
    code. ``client_options`` go to ``ConnectionSettings.open_client`` (e.g. ``debug_log``,
    ``token_cache=False``)."""
    out = out or sys.stdout
    err = err or sys.stderr
    result = asyncio.run(replay(options, environ=environ, stdin=stdin, out=out, err=err,
                                client_options=client_options))
    return print_outcome(result, options.output, out, err)


def print_outcome(result: ReplayResult, output: str, out: TextIO, err: TextIO) -> int:
    """Print what ``startjob run`` ends with (one JSON object with ``--output json``, then
    the error lines on ``err``) and return its exit code."""
    if output == "json":
        print(printable_json(result.to_json()), file=out, flush=True)
    for line in result.errors:
        print(f"startjob run: {visible(line, single_line=True)}", file=err, flush=True)
    return result.exit_code

