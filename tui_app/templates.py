"""Templates: a wizard run saved as a small TOML file that can be replayed.

The version-1 format is a public contract; in outline::

    version = 1
    name = "Triage incident"
    description = "Start SupportTriage for one incident"
    ask = []                 # arguments never stored, asked at every replay
    filter = '...'           # optional: an --event must match it (tui_app.event_filter)
    protected = true         # optional: every start needs a typed confirmation (or --yes)
    max_jobs = 5             # optional (job templates): more jobs per start need confirming

    [connection]             # optional: profile or url, and folder; never a secret
    [process]                # key (required), environment, release_key, release_name, version
    [strategy]               # kind (required), robots, jobs_count, runtime_type, priority
                             # (priority: "Low" | "Normal" | "High", or a number 1-100)
    [options]                # optional, the Start Job dialog's other choices:
                             # entry_point, machine, host (needs machine), stop_after,
                             # stop_strategy ("SoftStop" | "Kill"), kill_after (after a soft
                             # stop_after), alert_pending, alert_running (durations: "1h30m",
                             # "45s" or whole seconds), large_input ("refuse" | "file")
    [arguments]              # stored values, natural TOML types
    [signature]              # input argument name = full .NET type name at save time
    [bindings]               # argument = dotted path into an event JSON object

Also optional, both for batches and streams (``tui_app.batch``)::

    reference = "INC:{IncidentId}"   # top level, before the tables (job templates): the job
                             # Reference from values: {Name} an argument's value (not an ask
                             # one), else a dotted path into the event; startjob adds a
                             # unique suffix; at most 128 characters in all
    [events]                 # id = "incident.id": the dotted path of an event's id, so a
                             # re-delivered event (--events) is not started twice

A template that adds a queue item says ``action = "add_queue_item"`` and has, instead of
``[process]``, ``[strategy]``, ``[options]``, ``[arguments]`` and ``[signature]``::

    action = "add_queue_item"
    ask = []                 # content fields never stored, asked at every replay
    [queue]                  # name (required; any case), unique_reference (true/false at
                             # save time, for drift)
    [item]                   # required (may be empty): priority ("Low" | "Normal" |
                             # "High"), reference (may hold "{dotted.path}" placeholders
                             # filled from --event), defer_date, due_date, risk_sla_date
                             # (ISO 8601 with a time zone, or TOML offset date-times)
    [content]                # content values, natural TOML types (tables and arrays are
                             # sent as compact JSON text: SpecificContent is flat)
    [schema]                 # content field = JSON-schema type at save time, e.g.
                             # "integer", "string (date-time)", "object, required"
    [bindings]               # content field = dotted path into an event JSON object

Loading only parses TOML and validates it strictly; every ``TemplateError`` names the file and
the dotted key and says what is expected. TOML floats are read as ``Decimal`` (exactly as
written, as the argument model keeps numbers), and ``Decimal`` values can be saved. Saving
writes atomically and never writes the value of an ``ask`` argument. For ``ModernJobsCount`` a
missing ``jobs_count`` means one job. ``[options]`` names the machine and host; the sessions
they stand for are looked up at every replay (never saved). Durations are saved as
``format_duration`` text (``"1h30m"``). A file without ``[options]`` or a numeric priority
reads exactly as before. ``template_from_plan`` builds a template from a wizard
choice (a ``StartPlan``), ``template_from_queue_plan`` from a ``QueuePlan``; a table of the
other action (``[queue]`` in a job template, ``[process]`` in a queue one) is an error. A
template saved in ``--demo`` connects to ``DEMO_URL``, which stands for "a fresh demo
sandbox" (``startjob --demo open`` / ``startjob run --demo`` start one).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import sys
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NoReturn, Optional, Union, overload
from urllib.parse import urlsplit

import tomli_w

from tui_app.actions import ACTIONS, DEFAULT_ACTION
from tui_app.files import atomic_write_text
from tui_app.locations import LocationError, templates_dir
from tui_app.plan import MAX_JOBS_COUNT, STRATEGIES, STRATEGY_TABLE, PlanError
from tui_app.queue_plan import ITEM_PRIORITIES, MAX_REFERENCE_LENGTH, ItemOptions, item_date
from tui_app.secretnames import looks_secret
from tui_app.start_options import (
    LARGE_INPUT_MODES,
    MAX_PRIORITY_VALUE,
    MIN_PRIORITY_VALUE,
    PRIORITIES,
    STOP_STRATEGIES,
    MachineTarget,
    OptionError,
    Priority,
    StartOptions,
    format_duration,
    parse_duration,
)
from tui_app.urls import url_problem, without_userinfo
from tui_app.userfiles import MAX_TEMPLATE_BYTES, UserFileError, read_user_file

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

if TYPE_CHECKING:
    from tui_app.arguments import ArgumentSpec
    from tui_app.library import Folder
    from tui_app.secretnames import looks_secret
from tui_app.plan import StartPlan

if TYPE_CHECKING:
    from tui_app.queue_plan import QueuePlan

FORMAT_VERSION = 1
#: ``[connection] url`` of a template saved against the demo sandbox. The sandbox's real port
#: changes every time, so this placeholder (``.invalid`` never resolves) is stored instead.
DEMO_URL = "http://demo.startjob.invalid/demo/DefaultTenant/orchestrator_"
SLUG_MAX_LENGTH = 64

_TOP_KEYS = (
    "version", "name", "description", "action", "ask", "filter",
    "connection", "process", "strategy", "options", "arguments", "signature", "bindings",
    "queue", "item", "content", "schema", "reference", "events", "protected", "max_jobs",
)
#: The tables that belong to one action (a template of another action must not have them).
_ACTION_TABLES = ("process", "strategy", "options", "arguments", "signature", "queue", "item",
                  "content", "schema")
_QUEUE_KEYS = ("name", "unique_reference")
_ITEM_KEYS = ("priority", "reference", "defer_date", "due_date", "risk_sla_date")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_CONNECTION_KEYS = ("profile", "url", "folder")
_PROCESS_KEYS = ("key", "environment", "release_key", "release_name", "version")
_STRATEGY_KEYS = ("kind", "robots", "jobs_count", "runtime_type", "priority")
_DURATION_KEYS = ("stop_after", "kill_after", "alert_pending", "alert_running")
_OPTION_KEYS = ("entry_point", "machine", "host", "stop_after", "stop_strategy", "kill_after",
                "alert_pending", "alert_running", "large_input")
_DOTTED_PATH = re.compile(r"[\w$@-]+(?:\.[\w$@-]+)*\Z")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+\Z")
_TOML_SCALARS = (str, bool, int, float, Decimal, datetime, date, time)
_WINDOWS_RESERVED = frozenset(
    ["con", "prn", "aux", "nul"] + [f"{port}{n}" for port in ("com", "lpt") for n in range(1, 10)]
)


class TemplateError(ValueError):
    """A template cannot be read, or is not a valid version-1 template.

    ``source`` is the file (as given), ``key`` the dotted key at fault (None for file-level
    problems such as TOML syntax errors).
    """

    def __init__(self, source: str, problem: str, key: Optional[str] = None) -> None:
        super().__init__(f"{source}: {problem}")
        self.source = source
        self.key = key


@dataclass(frozen=True)
class ConnectionSpec:
    """Where to connect: a saved profile name or an Orchestrator URL, and a folder path."""

    profile: Optional[str] = None
    url: Optional[str] = None
    folder: Optional[str] = None


@dataclass(frozen=True)
class ProcessSpec:
    """Which process: ``key`` is the ProcessKey; the release fields are checked at replay."""

    key: str
    environment: Optional[str] = None
    release_key: Optional[str] = None
    release_name: Optional[str] = None
    version: Optional[str] = None


@dataclass(frozen=True)
class StrategySpec:
    """How many jobs and where; robots are names (ids are resolved at replay)."""

    kind: str = "ModernJobsCount"
    robots: tuple[str, ...] = ()
    jobs_count: Optional[int] = None
    runtime_type: Optional[str] = None
    #: A ``JobPriority`` name or a ``SpecificPriorityValue`` (1-100); None: the release's.
    priority: Priority = None


@dataclass(frozen=True)
class QueueSpec:
    """Which queue (by name, any case) and whether it took each reference once at save
    time (None: not recorded)."""

    name: str
    unique_reference: Optional[bool] = None


@dataclass(frozen=True)
class Template:
    """One version-1 template. ``arguments`` keeps TOML values as Python values."""

    name: str
    process: ProcessSpec
    description: str = ""
    connection: ConnectionSpec = field(default_factory=ConnectionSpec)
    strategy: StrategySpec = field(default_factory=StrategySpec)
    #: The ``[options]`` table: machine and host by name (no session ids).
    options: StartOptions = field(default_factory=StartOptions)
    arguments: dict[str, Any] = field(default_factory=dict)
    signature: dict[str, str] = field(default_factory=dict)
    bindings: dict[str, str] = field(default_factory=dict)
    ask: tuple[str, ...] = ()
    #: What the template does (a key of ``tui_app.actions.ACTIONS``).
    action: str = DEFAULT_ACTION
    #: ``add_queue_item``: the ``[queue]``, the ``[item]`` options (``reference`` may hold
    #: ``{dotted.path}`` placeholders), the ``[content]`` values (natural TOML types) and
    #: the ``[schema]`` (content field -> JSON-schema type at save time). ``bindings`` then
    #: map content fields to event paths, and ``ask`` names content fields.
    queue: Optional[QueueSpec] = None
    item: ItemOptions = field(default_factory=ItemOptions)
    content: dict[str, Any] = field(default_factory=dict)
    schema: dict[str, str] = field(default_factory=dict)
    #: ``start_job``: the job ``Reference`` made from the values (``reference = "INC:{Id}"``,
    #: ``{Name}`` an argument, else a dotted path into the event); startjob adds a suffix.
    reference: Optional[str] = None
    #: ``[events] id``: the dotted path of an event's id (``--events``: a re-delivered event
    #: is not started twice).
    event_id: Optional[str] = None
    #: The top-level ``filter`` (``tui_app.event_filter``): an ``--event`` that does not
    #: match it starts nothing. None: every event.
    filter: Optional[str] = None
    #: The production guard (``tui_app.guard``): a start needs a typed confirmation (or
    #: ``--yes``); ``max_jobs``: a start of more jobs needs one (job templates only).
    protected: bool = False
    max_jobs: Optional[int] = None


@dataclass(frozen=True)
class TemplateEntry:
    """A file in a template folder: its template, or why it could not be loaded; where it
    comes from (``origin`` "personal" or "shared"), its owner's login name, and whether
    startjob must not write it (``read_only``: every shared file, and any not writable)."""

    path: Path
    template: Optional[Template] = None
    error: Optional[str] = None
    origin: str = "personal"

    @property
    def name(self) -> str:
        return self.template.name if self.template is not None else self.path.stem

    @property
    def owner(self) -> str:
        """The file owner's login name (looked up when shown, not on every name search)."""
        from tui_app import library

        return library.owner(self.path)

    @property
    def read_only(self) -> bool:
        from tui_app import library

        return self.origin == "shared" or not library.writable(self.path)

    @property
    def folder(self) -> Path:
        """The library folder holding the file."""
        return self.path.parent


@dataclass(frozen=True)
class NameClash:
    """Library entries whose names match case-insensitively, in search order."""

    entries: tuple[TemplateEntry, ...]

    @property
    def name(self) -> str:
        return self.entries[0].name

    @property
    def winner(self) -> Optional[TemplateEntry]:
        """The entry a name finds (the first folder's); None when that folder holds two."""
        first, second = self.entries[0], self.entries[1]
        return None if first.folder == second.folder else first


@dataclass(frozen=True)
class Library:
    """Every template of every library folder (``tui_app.library``), in search order."""

    entries: list[TemplateEntry]
    clashes: list[NameClash]
    #: The folders searched, in order.
    folders: tuple[Folder, ...]
    #: Shared folders that are missing or unreadable, a settings file that is not valid.
    warnings: tuple[str, ...]


def is_demo_template(template: Template) -> bool:
    """Whether ``template`` was saved against the demo sandbox (see ``DEMO_URL``)."""
    return (template.connection.url or "").rstrip("/") == DEMO_URL


def load_template(path: Union[str, os.PathLike]) -> Template:
    """Read and validate a template file (nothing in it is ever executed)."""
    source = str(path)
    try:
        raw = read_user_file(Path(path).expanduser(), MAX_TEMPLATE_BYTES)
    except UserFileError as exc:
        raise TemplateError(source, f"cannot be used as a template: it {exc}") from None
    except OSError as exc:
        raise TemplateError(source, f"cannot be read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TemplateError(source, f"is not UTF-8 text (bad byte at offset {exc.start})") from None
    return parse_template(text, source)


def parse_template(text: str, source: str = "<template>") -> Template:
    """Validate TOML ``text``; ``source`` names the file in error messages."""
    try:
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise TemplateError(source, f"is not valid TOML: {exc}") from None
    except RecursionError:
        raise TemplateError(source, "is not valid TOML: values are nested too deeply") from None
    return _Parser(source).template(data)


def dump_template(template: Template) -> str:
    """The template as version-1 TOML, keys in the documented order, ask values left out."""
    return _render(template, f"template {_show(template.name)}")


def save_template(
    template: Template,
    path: Union[str, os.PathLike, None] = None,
    *,
    overwrite: bool = False,
) -> Path:
    """Write ``template`` atomically and return its path.

    The default path is ``templates_dir() / f"{slug(template.name)}.toml"``. The text is
    validated exactly as ``load_template`` would before anything is written. Raises
    ``FileExistsError`` if the file exists and ``overwrite`` is false.
    """
    target = Path(path) if path is not None else templates_dir() / f"{slug(template.name)}.toml"
    text = _render(template, str(target))
    parse_template(text, str(target))
    try:
        return atomic_write_text(target, text, overwrite=overwrite)
    except FileExistsError:
        raise FileExistsError(
            errno.EEXIST,
            "A template file with this name already exists; choose another name or overwrite it",
            str(target),
        ) from None


def list_templates(folder: Union[str, os.PathLike, None] = None, *,
                   origin: str = "personal") -> list[TemplateEntry]:
    """Every ``*.toml`` file in ``folder`` (default: the templates folder), sorted by name.

    A file that cannot be loaded is listed with its error; it never hides the others. Entries
    of a ``"shared"`` folder are read-only.
    """
    where = Path(folder) if folder is not None else templates_dir()
    try:
        paths = [
            p for p in where.iterdir() if p.suffix.lower() == ".toml" and not p.name.startswith(".")
        ]
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise LocationError(
            f"Cannot read the templates folder {where}: {exc.strerror or exc}."
        ) from None
    entries = []
    for path in paths:
        try:
            entries.append(TemplateEntry(path, template=load_template(path), origin=origin))
        except TemplateError as exc:
            entries.append(TemplateEntry(path, error=str(exc), origin=origin))
    return sorted(entries, key=lambda entry: (entry.name.casefold(), entry.path.name))


def list_library() -> Library:
    """The templates of every library folder in search order (personal first), with the
    name clashes. A shared folder that cannot be read is a warning; the personal folder
    raises ``LocationError`` as ``list_templates`` does."""
    from tui_app.library import search_path

    search = search_path()
    warnings = list(search.warnings)
    entries: list[TemplateEntry] = []
    for folder in search.folders:
        if folder.problem:  # already a warning
            continue
        try:
            entries += list_templates(folder.path, origin=folder.origin)
        except LocationError as exc:
            if folder.origin == "personal":
                raise
            warnings.append(f"shared template folder {folder.path} ({folder.source}): {exc}")
    groups: dict[str, list[TemplateEntry]] = {}
    for entry in entries:
        groups.setdefault(entry.name.casefold(), []).append(entry)
    clashes = [NameClash(tuple(group)) for group in groups.values() if len(group) > 1]
    return Library(entries, clashes, search.folders, tuple(warnings))


def slug(name: str) -> str:
    """A safe file stem for ``name``: lower-case ASCII letters, digits and dashes, never empty.

    Accents are folded (``Überprüfung`` → ``uberprufung``); a name with no ASCII letters or
    digits gets a stable ``template-<hash>``; Windows device names get a ``-template`` suffix.
    """
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    text = "-".join(re.findall(r"[a-z0-9]+", folded.lower()))[:SLUG_MAX_LENGTH].strip("-")
    if not text:
        return "template-" + hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    if text in _WINDOWS_RESERVED:
        return f"{text}-template"
    return text


def _key(*parts: str) -> str:
    """A dotted key as TOML spells it (quoting parts that are not bare keys)."""
    return ".".join(p if _BARE_KEY.match(p) else json.dumps(p, ensure_ascii=False) for p in parts)


def _show(value: Any) -> str:
    """A short rendering of a value for an error message (strings JSON-quoted and escaped)."""
    if isinstance(value, str):
        return json.dumps(value if len(value) <= 60 else value[:59] + "…", ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return f"{type(value).__name__} {value}"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class _Parser:
    """Turns the parsed TOML document into a ``Template``, failing on the first problem."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, problem: str) -> NoReturn:
        if key.endswith(".ask"):
            problem += " (a top-level ask = [...] must come before the first [table])"
        raise TemplateError(self.source, f"{key} {problem}", key)

    def template(self, data: dict) -> Template:
        self.known_keys(data, (), _TOP_KEYS)
        if "version" not in data:
            self.fail("version", f"is missing; expected version = {FORMAT_VERSION}")
        version = data["version"]
        if not _is_int(version) or version != FORMAT_VERSION:
            self.fail(
                "version",
                f"must be {FORMAT_VERSION} (the only template format this startjob reads), "
                f"got {_show(version)}",
            )
        name = self.text(data, ("name",), required=True)
        action = data.get("action", DEFAULT_ACTION)
        if action not in ACTIONS:
            self.fail("action", f"must be one of {', '.join(ACTIONS)}, got {_show(action)}")
        needs = ACTIONS[action].tables
        for table in _ACTION_TABLES:
            if table in data and table not in needs + ACTIONS[action].optional:
                self.fail(table, f"does not apply to action = \"{action}\" "
                          f"({ACTIONS[action].label.lower()})")
        description = data.get("description", "")
        if not isinstance(description, str):
            self.fail("description", f"must be a string, got {_show(description)}")
        connection = self.connection(self.table(data, "connection", _CONNECTION_KEYS))
        condition = self.filter(data)
        guard = self.guard(data, action)
        if action == "add_queue_item":
            return replace(self.queue_template(data, name, description, connection),
                           filter=condition, **guard)
        process = self.process(
            self.table(data, "process", _PROCESS_KEYS, required="process" in needs))
        strategy = self.strategy(
            self.table(data, "strategy", _STRATEGY_KEYS, required="strategy" in needs))
        options = self.options(self.table(data, "options", _OPTION_KEYS))
        arguments = self.table(data, "arguments")
        signature = self.table(data, "signature")
        for argument in signature:
            self.text(signature, ("signature", argument), required=True)
        bindings = self.bindings(data)
        ask = self.ask(data.get("ask", []), arguments)
        if signature:
            self.in_signature(signature, arguments, bindings, ask)
        reference = self.reference_pattern(data, "reference")
        for placeholder in _PLACEHOLDER.findall(reference or ""):
            if placeholder in ask:
                self.fail("reference", f"must not use the ask argument {_show(placeholder)} "
                          "(references are shown and stored)")
        return Template(
            name=name,
            reference=reference,
            event_id=self.event_id(data),
            description=description,
            connection=connection,
            process=process,
            strategy=strategy,
            options=options,
            arguments=arguments,
            signature=signature,
            bindings=bindings,
            ask=ask,
            action=action,
            filter=condition,
            **guard,
        )

    def guard(self, data: dict, action: str) -> dict:
        """The top-level ``protected`` and ``max_jobs`` (``tui_app.guard``)."""
        values: dict = {}
        if "protected" in data:
            if not isinstance(data["protected"], bool):
                self.fail("protected", f"must be true or false, got {_show(data['protected'])}")
            values["protected"] = data["protected"]
        if "max_jobs" in data:
            cap = data["max_jobs"]
            if action == "add_queue_item":
                self.fail("max_jobs", "does not apply to a queue template (it adds one item)")
            if not (_is_int(cap) and 1 <= cap <= MAX_JOBS_COUNT):
                self.fail("max_jobs", f"must be a whole number from 1 to {MAX_JOBS_COUNT}, "
                          f"got {_show(cap)}")
            values["max_jobs"] = cap
        return values

    def filter(self, data: dict) -> Optional[str]:
        """The top-level ``filter``: text that ``event_filter.compile_filter`` takes."""
        text = self.text(data, ("filter",))
        if text is not None:
            from tui_app.event_filter import FilterError, compile_filter

            try:
                compile_filter(text)
            except FilterError as exc:
                self.fail("filter", f"is not a valid filter (column {exc.column}: "
                                    f"{exc.problem})")
        return text

    def bindings(self, data: dict) -> dict:
        bindings = self.table(data, "bindings")
        for argument, path in bindings.items():
            if not isinstance(path, str) or not _DOTTED_PATH.match(path):
                self.fail(
                    _key("bindings", argument),
                    "must be a dotted path into the event JSON such as \"incident.number\", "
                    f"got {_show(path)}",
                )
        return bindings

    def queue_template(self, data: dict, name: str, description: str,
                       connection: ConnectionSpec) -> Template:
        """An ``add_queue_item`` template: ``[queue]``, ``[item]``, ``[content]``,
        ``[schema]``, ``[bindings]``."""
        if "reference" in data:
            self.fail("reference", "does not apply to a queue template: its reference is "
                      "[item] reference")
        queue = self.table(data, "queue", _QUEUE_KEYS, required=True)
        unique = queue.get("unique_reference")
        if unique is not None and not isinstance(unique, bool):
            self.fail("queue.unique_reference", f"must be true or false, got {_show(unique)}")
        spec = QueueSpec(self.text(queue, ("queue", "name"), required=True), unique)
        item = self.item(self.table(data, "item", _ITEM_KEYS, required=True))
        content = self.table(data, "content")
        schema = self.table(data, "schema")
        for field_name in schema:
            self.text(schema, ("schema", field_name), required=True)
        for field_name in content:
            if not field_name.strip() or any(c in field_name for c in ':.,@"'):
                self.fail(_key("content", field_name),
                          'is not a name Orchestrator takes (no : . , @ " and not empty)')
        bindings = self.bindings(data)
        ask = self.ask(data.get("ask", []), content, "content")
        if schema:
            for prefix, names in (("content", content), ("bindings", bindings)):
                for field_name in names:
                    if field_name not in schema:
                        self.fail(_key(prefix, field_name),
                                  "is not a content field listed in [schema]; expected one "
                                  f"of: {', '.join(schema)}")
            for field_name in ask:
                if field_name not in schema:
                    self.fail("ask", f"names {_show(field_name)}, which is not a content "
                                     "field listed in [schema]")
        return Template(name=name, description=description, connection=connection,
                        process=ProcessSpec(""), action="add_queue_item", queue=spec,
                        item=item, content=content, schema=schema, bindings=bindings,
                        ask=ask, event_id=self.event_id(data))

    def event_id(self, data: dict) -> Optional[str]:
        """``[events] id``: a dotted path into an event."""
        table = self.table(data, "events", ("id",))
        path = table.get("id")
        if path is not None and (not isinstance(path, str) or not _DOTTED_PATH.match(path)):
            self.fail("events.id", "must be a dotted path into the event JSON such as "
                      f"\"incident.id\", got {_show(path)}")
        return path

    def item(self, table: dict) -> ItemOptions:
        priority = table.get("priority")
        if priority is not None and priority not in ITEM_PRIORITIES:
            self.fail("item.priority",
                      f"must be one of {', '.join(ITEM_PRIORITIES)}, got {_show(priority)}")
        dates: dict[str, Optional[str]] = {}
        for name in ("defer_date", "due_date", "risk_sla_date"):
            value = table.get(name)
            if isinstance(value, datetime):  # a TOML offset date-time
                value = value.isoformat()
            if value is not None:
                try:
                    value = item_date(value if isinstance(value, str) else _show(value))
                except PlanError as exc:
                    self.fail(_key("item", name), f"must be a date and time with a time zone "
                              f"such as \"2024-05-01T09:00:00+02:00\" ({exc})")
            dates[name] = value
        reference = self.reference_pattern(table, "item", "reference")
        return ItemOptions(priority=priority, reference=reference, **dates)

    def reference_pattern(self, table: dict, *keys: str) -> Optional[str]:
        """A reference that may hold ``{dotted.path}`` placeholders (at most 128
        characters)."""
        key = ".".join(keys)
        reference = self.text(table, keys)
        if reference is not None:
            if len(reference) > MAX_REFERENCE_LENGTH:
                self.fail(key, f"must be at most {MAX_REFERENCE_LENGTH} "
                          f"characters, got {len(reference)}")
            for path in _PLACEHOLDER.findall(reference):
                if not _DOTTED_PATH.match(path):
                    self.fail(key, "may hold placeholders such as "
                              f"\"{{incident.number}}\" (a dotted path), got {_show(path)}")
            if "{" in _PLACEHOLDER.sub("", reference) or "}" in _PLACEHOLDER.sub("", reference):
                self.fail(key, "has a { or } that is not part of a placeholder "
                          "such as \"{incident.number}\"")
        return reference

    def known_keys(self, table: dict, prefix: tuple, allowed: tuple) -> None:
        for key in table:
            if key in allowed:
                continue
            dotted = _key(*prefix, key)
            if looks_secret(key):
                self.fail(
                    dotted,
                    "is not allowed: secrets do not belong in templates "
                    "(keep credentials in a connection profile or environment variables)",
                )
            self.fail(dotted, f"is not a known key; expected one of: {', '.join(allowed)}")

    def table(self, data: dict, name: str, allowed: Optional[tuple] = None, *,
              required: bool = False) -> dict:
        if name not in data:
            if required:
                self.fail(name, f"is missing; expected a [{name}] table")
            return {}
        value = data[name]
        if not isinstance(value, dict):
            self.fail(name, f"must be a table ([{name}]), got {_show(value)}")
        if allowed is not None:
            self.known_keys(value, (name,), allowed)
        return value

    @overload
    def text(self, table: dict, key: tuple, *, required: Literal[True]) -> str: ...

    @overload
    def text(self, table: dict, key: tuple, *, required: bool = False) -> Optional[str]: ...

    def text(self, table: dict, key: tuple, *, required: bool = False) -> Optional[str]:
        """A non-empty string at ``table[key[-1]]``; ``key`` is the full dotted key."""
        if key[-1] not in table:
            if required:
                self.fail(_key(*key), "is missing; expected a non-empty string")
            return None
        value = table[key[-1]]
        if not isinstance(value, str) or not value.strip():
            self.fail(_key(*key), f"must be a non-empty string, got {_show(value)}")
        return value

    def connection(self, table: dict) -> ConnectionSpec:
        profile = self.text(table, ("connection", "profile"))
        url = self.text(table, ("connection", "url"))
        if profile is not None and url is not None:
            self.fail("connection.url", "cannot be set together with connection.profile; keep one")
        if url is not None:
            problem = url_problem(url)
            if problem is not None:
                self.fail("connection.url", f"must be an http(s) URL ({problem}), "
                          f"got {_show(without_userinfo(url))}")
            parts = urlsplit(url.strip())
            if parts.username is not None or parts.password is not None:
                self.fail(
                    "connection.url",
                    "must not contain a user name or password: secrets do not belong in templates",
                )
        return ConnectionSpec(
            profile=profile, url=url, folder=self.text(table, ("connection", "folder"))
        )

    def process(self, table: dict) -> ProcessSpec:
        key = self.text(table, ("process", "key"), required=True)
        values = {name: self.text(table, ("process", name))
                  for name in _PROCESS_KEYS if name != "key"}
        return ProcessSpec(key, **values)

    def strategy(self, table: dict) -> StrategySpec:
        kind = table.get("kind")
        if kind not in STRATEGIES:
            problem = "is missing" if "kind" not in table else f"got {_show(kind)}"
            self.fail("strategy.kind", f"must be one of {', '.join(STRATEGIES)}; {problem}")
        for key in table:
            if key != "kind" and key not in STRATEGY_TABLE[kind].template_keys:
                self.fail(_key("strategy", key), f"does not apply to kind = \"{kind}\"")
        robots = table.get("robots", [])
        if not isinstance(robots, list) or not all(
            isinstance(r, str) and r.strip() for r in robots
        ):
            self.fail(
                "strategy.robots", f"must be an array of robot names, got {_show(robots)}"
            )
        if len(set(robots)) != len(robots):
            self.fail("strategy.robots", "must not name the same robot twice")
        if kind == "Specific" and not robots:
            self.fail("strategy.robots", 'must name at least one robot for kind = "Specific"')
        jobs_count = table.get("jobs_count")
        if kind == "JobsCount" and jobs_count is None:
            self.fail(
                "strategy.jobs_count",
                f'is required for kind = "JobsCount"; expected an integer from 1 to '
                f"{MAX_JOBS_COUNT}",
            )
        if jobs_count is not None and not (
            _is_int(jobs_count) and 1 <= jobs_count <= MAX_JOBS_COUNT
        ):
            self.fail(
                "strategy.jobs_count",
                f"must be an integer from 1 to {MAX_JOBS_COUNT}, got {_show(jobs_count)}",
            )
        priority = table.get("priority")
        if priority is not None and priority not in PRIORITIES and not (
                _is_int(priority) and MIN_PRIORITY_VALUE <= priority <= MAX_PRIORITY_VALUE):
            self.fail(
                "strategy.priority",
                f"must be one of {', '.join(PRIORITIES)} or a whole number from "
                f"{MIN_PRIORITY_VALUE} to {MAX_PRIORITY_VALUE}, got {_show(priority)}",
            )
        return StrategySpec(
            kind=kind,
            robots=tuple(robots),
            jobs_count=jobs_count,
            runtime_type=self.text(table, ("strategy", "runtime_type")),
            priority=priority,
        )

    def options(self, table: dict) -> StartOptions:
        def text(name: str) -> Optional[str]:
            return self.text(table, ("options", name))

        machine, host = text("machine"), text("host")
        if host is not None and machine is None:
            self.fail("options.host", "needs options.machine (the machine the host belongs to)")
        durations: dict[str, Any] = {name: self.duration(table, name) for name in _DURATION_KEYS}
        choices = {}
        for name, allowed, default in (("stop_strategy", STOP_STRATEGIES, "SoftStop"),
                                       ("large_input", LARGE_INPUT_MODES, "refuse")):
            value = table.get(name, default)
            if value not in allowed:
                self.fail(_key("options", name),
                          f"must be {' or '.join(map(_show, allowed))}, got {_show(value)}")
            choices[name] = value
        if "stop_strategy" in table and durations["stop_after"] is None:
            self.fail("options.stop_strategy", "needs options.stop_after (when to stop)")
        if durations["kill_after"] is not None and (durations["stop_after"] is None
                                                    or choices["stop_strategy"] != "SoftStop"):
            self.fail("options.kill_after",
                      'needs a soft stop: options.stop_after with stop_strategy = "SoftStop"')
        target = MachineTarget(machine, host) if machine is not None else None
        return StartOptions(entry_point=text("entry_point"), target=target, **durations,
                            **choices)

    def duration(self, table: dict, name: str) -> Optional[int]:
        """A duration: text such as ``"1h30m"`` or a whole number of seconds (at least 1)."""
        if name not in table:
            return None
        value = table[name]
        if _is_int(value) and value >= 1:
            return value
        if isinstance(value, str):
            try:
                return parse_duration(value)
            except OptionError:
                pass
        self.fail(_key("options", name), "must be a duration such as \"90s\", \"15m\", \"2h\" "
                  f"or \"1h30m\", or whole seconds (at least 1), got {_show(value)}")

    def ask(self, value: Any, arguments: dict, table: str = "arguments") -> tuple[str, ...]:
        what = "argument" if table == "arguments" else "content field"
        if not isinstance(value, list) or not all(isinstance(n, str) and n for n in value):
            self.fail("ask", f"must be an array of {what} names, got {_show(value)}")
        if len(set(value)) != len(value):
            self.fail("ask", f"must not name the same {what} twice")
        for name in value:
            if name in arguments:
                self.fail(
                    "ask",
                    f"names {_show(name)}, which also has a stored value in "
                    f"{_key(table, name)}; asked {what}s are never stored, "
                    "so remove one of them",
                )
        return tuple(value)

    def in_signature(self, signature: dict, arguments: dict, bindings: dict,
                     ask: tuple[str, ...]) -> None:
        """Every argument the template mentions must be an input argument of the signature."""
        for prefix, names in (("arguments", arguments), ("bindings", bindings)):
            for name in names:
                if name not in signature:
                    self.fail(
                        _key(prefix, name),
                        "is not an input argument listed in [signature]; "
                        f"expected one of: {', '.join(signature)}",
                    )
        for name in ask:
            if name not in signature:
                self.fail(
                    "ask",
                    f"names {_show(name)}, which is not an input argument listed in [signature]",
                )


def _render(template: Template, source: str) -> str:
    """``dump_template`` with ``source`` naming the destination in error messages."""

    def compact(values: dict) -> dict:
        return {key: value for key, value in values.items() if value not in (None, "", ())}

    data: dict[str, Any] = {"version": FORMAT_VERSION, "name": template.name}
    if template.description:
        data["description"] = template.description
    if template.action != DEFAULT_ACTION:  # older startjobs read templates without the key
        data["action"] = template.action
    if template.ask:
        data["ask"] = list(template.ask)
    if template.reference:
        data["reference"] = template.reference
    if template.event_id:
        data["events"] = {"id": template.event_id}
    if template.filter:
        data["filter"] = template.filter
    if template.protected:
        data["protected"] = True
    if template.max_jobs is not None:
        data["max_jobs"] = template.max_jobs
    connection = compact(
        {
            "profile": template.connection.profile,
            "url": template.connection.url,
            "folder": template.connection.folder,
        }
    )
    if connection:
        data["connection"] = connection
    if template.action == "add_queue_item":
        return tomli_w.dumps({**data, **_queue_tables(template, source, compact)})
    data["process"] = compact({key: getattr(template.process, key) for key in _PROCESS_KEYS})
    strategy = compact({key: getattr(template.strategy, key) for key in _STRATEGY_KEYS})
    if "robots" in strategy:
        strategy["robots"] = list(strategy["robots"])
    data["strategy"] = strategy
    options = _options_table(template.options)
    if options:
        data["options"] = options
    arguments = {k: v for k, v in template.arguments.items() if k not in template.ask}
    for name, value in arguments.items():
        _check_storable(value, _key("arguments", name), source)
    arguments = {name: _whole_decimals(value) for name, value in arguments.items()}
    if arguments:
        data["arguments"] = arguments
    if template.signature:
        data["signature"] = dict(template.signature)
    if template.bindings:
        data["bindings"] = dict(template.bindings)
    return tomli_w.dumps(data)


def _queue_tables(template: Template, source: str, compact: Any) -> dict:
    """The ``[queue]``, ``[item]``, ``[content]``, ``[schema]`` and ``[bindings]`` tables."""
    queue = template.queue
    if queue is None:
        raise TemplateError(source, "an add_queue_item template needs a queue", "queue")
    data: dict[str, Any] = {"queue": compact({"name": queue.name,
                                              "unique_reference": queue.unique_reference})}
    data["item"] = compact({name: getattr(template.item, name) for name in _ITEM_KEYS})
    content = {k: v for k, v in template.content.items() if k not in template.ask}
    for name, value in content.items():
        _check_storable(value, _key("content", name), source)
    if content:
        data["content"] = {name: _whole_decimals(value) for name, value in content.items()}
    if template.schema:
        data["schema"] = dict(template.schema)
    if template.bindings:
        data["bindings"] = dict(template.bindings)
    return data


def _options_table(options: StartOptions) -> dict:
    """The ``[options]`` table of ``options`` (defaults and session ids left out)."""
    target = options.target
    table: dict[str, Any] = {
        "entry_point": options.entry_point,
        "machine": target.machine if target is not None else None,
        "host": target.host if target is not None else None,
    }
    for name in _DURATION_KEYS:
        seconds = getattr(options, name)
        table[name] = format_duration(seconds) if seconds is not None else None
        if name == "stop_after" and seconds is not None and options.stop_strategy != "SoftStop":
            table["stop_strategy"] = options.stop_strategy
    if options.large_input != "refuse":
        table["large_input"] = options.large_input
    return {name: value for name, value in table.items() if value not in (None, "")}


def _whole_decimals(value: Any) -> Any:
    """``Decimal("12")`` as the TOML integer 12: TOML writes a float as ``12.0``, which would
    come back as ``Decimal("12.0")`` and be sent as ``12.0`` instead of the ``12`` typed."""
    if isinstance(value, Decimal):
        if value.is_finite() and value.as_tuple().exponent == 0 and not value.is_signed():
            return int(value)
        return value
    if isinstance(value, dict):
        return {name: _whole_decimals(item) for name, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_whole_decimals(item) for item in value]
    return value


def _check_storable(value: Any, key: str, source: str) -> None:
    """Fail with the dotted key if ``value`` (an argument value) has no TOML form."""
    if isinstance(value, dict):
        for name, item in value.items():
            if not isinstance(name, str):
                raise TemplateError(source, f"{key} has the non-string key {name!r}", key)
            _check_storable(item, f"{key}.{_key(name)}", source)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _check_storable(item, f"{key}[{index}]", source)
    elif (
        not isinstance(value, _TOML_SCALARS)
        or (isinstance(value, time) and value.tzinfo)
        or (isinstance(value, Decimal) and not value.is_finite())
    ):
        raise TemplateError(
            source,
            f"{key} cannot be stored in TOML (a {type(value).__name__} value); expected a "
            "string, number, boolean, date/time, array or table - or list it in ask",
            key,
        )


def _named_only(options: StartOptions) -> StartOptions:
    """``options`` with the machine target by name only (session ids are resolved anew)."""
    target = options.target
    if target is None or not target.session_ids:
        return options
    return replace(options, target=MachineTarget(target.machine, target.host))


def template_from_plan(
    plan: StartPlan,
    *,
    name: str,
    description: str = "",
    url: Optional[str] = None,
    profile: Optional[str] = None,
    specs: Sequence[ArgumentSpec] = (),
    ask: Collection[str] = (),
    bindings: Optional[Mapping[str, str]] = None,
    demo: bool = False,
) -> Template:
    """A template of the wizard's choice ``plan`` (what "Save as template" stores).

    The folder path comes from ``plan.folder``; ``url`` or ``profile`` (not both) says where to
    connect; ``demo`` (the wizard runs on the demo sandbox) stores ``DEMO_URL`` instead of the
    sandbox's passing address. ``specs`` are the release's input arguments: the signature is each
    ``spec.full_type`` and values are stored with ``spec.to_toml``; arguments named in ``ask``
    are listed in ``ask`` and their values are never stored. Robots are stored by name, and so
    are the machine and host of ``plan.options`` (their session ids are not). Raises
    ``TemplateError`` when the result would not be a valid template (it is checked exactly as
    ``load_template`` would check the saved file).
    """
    release = plan.release
    strategy = plan.strategy
    by_name = {spec.name: spec for spec in specs}
    source = f"template {_show(name)}"
    for argument in (*plan.arguments, *ask):
        if argument not in by_name:
            raise TemplateError(
                source,
                f"{_show(argument)} is not an input argument of {release.process_key}",
                _key("arguments", argument),
            )
    options = STRATEGY_TABLE[strategy.kind].template_keys
    names = tuple(robot.name for robot in strategy.robots)
    template = Template(
        name=name,
        description=description,
        connection=ConnectionSpec(
            profile=profile or None,
            url=None if profile else (DEMO_URL if demo else (url or None)),
            folder=(plan.folder.fully_qualified_name or None) if plan.folder else None,
        ),
        process=ProcessSpec(
            key=release.process_key,
            environment=release.environment_name or None,
            release_key=release.key or None,
            release_name=release.name or None,
            version=release.process_version or None,
        ),
        strategy=StrategySpec(
            kind=strategy.kind,
            robots=names if "robots" in options else (),
            jobs_count=strategy.jobs_count if "jobs_count" in options else None,
            runtime_type=strategy.runtime_type if "runtime_type" in options else None,
            priority=strategy.priority,
        ),
        options=_named_only(plan.options),
        arguments={
            argument: by_name[argument].to_toml(value)
            for argument, value in plan.arguments.items()
            if argument not in ask
        },
        signature={spec.name: spec.full_type for spec in specs},
        bindings=dict(bindings or {}),
        ask=tuple(argument for argument in by_name if argument in ask),
    )
    parse_template(_render(template, source), source)
    return template


def template_from_queue_plan(
    plan: QueuePlan,
    *,
    name: str,
    description: str = "",
    ask: Collection[str] = (),
    demo: bool = False,
    url: Optional[str] = None,
    profile: Optional[str] = None,
    bindings: Optional[Mapping[str, str]] = None,
) -> Template:
    """An ``add_queue_item`` template of the wizard's choice ``plan`` (a ``QueuePlan``).

    The queue is stored by name with its unique-reference rule; ``[schema]`` is the queue's
    item schema (``queue_schema.schema_signature``), content values are stored with each
    field's ``spec.to_toml`` (as they are without a schema); content fields named in ``ask``
    are never stored. The reference is stored only when the person typed it (one startjob
    made up is made up anew at every replay). ``url``/``profile``/``demo`` as for
    ``template_from_plan``. Raises ``TemplateError`` when the result would not load.
    """
    from tui_app.queue_schema import SchemaError, content_fields, schema_signature

    source = f"template {_show(name)}"
    queue = plan.queue
    try:
        fields = {f.name: f for f in content_fields(queue.specific_data_json_schema)}
        signature = schema_signature(queue.specific_data_json_schema)
    except SchemaError as exc:
        raise TemplateError(source, str(exc), "schema") from None
    content = {key: fields[key].spec.to_toml(value) if key in fields else value
               for key, value in plan.content.items() if key not in ask}
    template = Template(
        name=name,
        description=description,
        connection=ConnectionSpec(
            profile=profile or None,
            url=None if profile else (DEMO_URL if demo else (url or None)),
            folder=(plan.folder.fully_qualified_name or None) if plan.folder else None,
        ),
        process=ProcessSpec(""),
        action="add_queue_item",
        queue=QueueSpec(queue.name, queue.enforce_unique_reference),
        item=replace(plan.options, reference=plan.reference if plan.typed_reference else None),
        content=content,
        schema=signature,
        bindings=dict(bindings or {}),
        ask=tuple(key for key in dict.fromkeys((*signature, *plan.content, *ask))
                  if key in ask),
    )
    parse_template(_render(template, source), source)
    return template
