"""The wizard's queue steps without Textual: find the queue, read the content form, check the
item options, add the item once and follow it.

``WizardSession.queue`` is a ``QueueSteps``; the Queue, Content, Item, Review and Monitor
screens call it. The body a person reviews is the body ``add`` sends (``QueuePlan``), with the
same reference: the plan's made-up ``startjob:<uuid>`` is kept until an addition was tried.
"""

from __future__ import annotations

import asyncio
import dataclasses
import shlex
from collections.abc import Awaitable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional

from tui_app.orchestrator.errors import OrchestratorError
from tui_app.orchestrator.models import Page, QueueDefinition, QueueItem
from tui_app.plan import PlanError
from tui_app.queue_plan import ITEM_DATE_FIELDS, MAX_REFERENCE_LENGTH, ItemOptions, QueuePlan
from tui_app.text import visible
from tui_app.wizard.errors import ServerProblem, asking_orchestrator
from tui_app.wizard.requests import MASK, SaveTemplateRequest, TemplateIdentity
from tui_app.wizard.state import ContentRow, ItemChoice, QueueChoice

if TYPE_CHECKING:
    from tui_app.adding import AddOutcome
    from tui_app.drift import Finding
    from tui_app.history import HistoryEntry
    from tui_app.queue_schema import ContentField
    from tui_app.templates import Template
    from tui_app.wizard.session import WizardSession


@lru_cache(maxsize=16)
def _fields(schema: Optional[str]) -> tuple:
    from tui_app.queue_schema import content_fields

    return tuple(content_fields(schema))


def content_fields_of(queue: Optional[QueueDefinition]) -> tuple[ContentField, ...]:
    """The content fields of ``queue``'s item schema (() without one; cached). Raises
    ``queue_schema.SchemaError`` when the schema cannot be read."""
    return _fields(queue.specific_data_json_schema) if queue is not None else ()


def queue_lines(queue: QueueDefinition) -> list[str]:
    """What the Queue step says of a queue beyond its name: description, rules, SLA."""
    rules = []
    if queue.enforce_unique_reference:
        rules.append("unique references")
    if queue.specific_data_json_schema:
        rules.append("item schema")
    if queue.max_number_of_retries:
        rules.append(f"retried up to {queue.max_number_of_retries}×")
    if queue.sla_in_minutes:
        rules.append(f"SLA {queue.sla_in_minutes} min")
    if queue.risk_sla_in_minutes:
        rules.append(f"risk SLA {queue.risk_sla_in_minutes} min")
    lines = [", ".join(rules)] if rules else []
    if queue.description:
        lines.append(queue.description)
    return lines


class QueueSteps:
    """The queue steps' actions; the choices live in ``session.state.queue``."""

    def __init__(self, session: WizardSession) -> None:
        self.session = session
        #: The Reference of the next addition when none is typed (made anew after each try).
        self.reference = session.reference_factory()
        #: The history entry of the addition (its final status is added later).
        self.entry: Optional[HistoryEntry] = None
        #: Release names by id (``processed_by``), fetched once per session.
        self._consumers: dict[int, str] = {}
        #: The last addition's outcome could not be found out (Review says so).
        self.unknown = False

    @property
    def choice(self) -> QueueChoice:
        return self.session.state.queue

    # -- Queue ----------------------------------------------------------------------------

    async def search(self, text: str, top: int) -> Page:
        """One page of the folder's queues whose name contains ``text``."""
        with asking_orchestrator():
            page: Page = await self.session.client.search_queues(text.strip(), top=top)
        return page

    async def consumer(self, queue: QueueDefinition) -> str:
        """The name of the process that consumes ``queue`` ("" when the API does not say)."""
        if queue.release_id is None:
            return ""
        if queue.release_id not in self._consumers:
            try:
                release = await self.session.client.release_by_id(queue.release_id)
            except OrchestratorError:
                return ""
            self._consumers[queue.release_id] = release.name
        return self._consumers[queue.release_id]

    def choose_queue(self, queue: QueueDefinition) -> None:
        """Keep ``queue``; another queue than before starts the content form afresh."""
        choice = self.choice
        if choice.queue is not None and choice.queue.id != queue.id:
            choice.content_texts, choice.rows, choice.content_values = {}, [], {}
        choice.queue = queue

    # -- Content --------------------------------------------------------------------------

    def fields(self) -> tuple[ContentField, ...]:
        return content_fields_of(self.choice.queue)

    def field_problem(self, content_field: ContentField, text: str) -> Optional[str]:
        """What is wrong with ``text`` as ``content_field``'s value (None: nothing; empty text
        is not checked here: required fields are checked when the step is left)."""
        from tui_app.arguments import ArgumentValueError
        from tui_app.queue_schema import check_content

        if not text.strip():
            return None
        try:
            value = content_field.parse(text)
        except ArgumentValueError as exc:
            return str(exc)
        schema = self.choice.queue.specific_data_json_schema if self.choice.queue else None
        problems = check_content(schema, {content_field.name: value})
        mine = {path: why for path, why in problems.items()
                if path == content_field.name or path.startswith(content_field.name + ".")}
        return "; ".join(f"{path} {why}" for path, why in mine.items()) or None

    def schema_content(self) -> tuple[dict, dict]:
        """(values, problems by field name) of the schema form as typed."""
        values: dict[str, Any] = {}
        problems: dict[str, str] = {}
        for content_field in self.fields():
            text = self.choice.content_texts.get(content_field.name, "")
            if not text.strip():
                if content_field.required:
                    what = "choose one" if content_field.choices else "type a value"
                    problems[content_field.name] = f"{content_field.name}: required — {what}"
                continue
            problem = self.field_problem(content_field, text)
            if problem:
                problems[content_field.name] = problem
            else:
                values[content_field.name] = content_field.parse(text)
        return values, problems

    def row_content(self) -> tuple[dict, dict]:
        """(values, problems by row index) of the key/value editor: names must be given and
        unique, values of their kind."""
        from tui_app.queue_schema import typed_value

        values: dict[str, Any] = {}
        problems: dict[int, str] = {}
        seen: set[str] = set()
        for index, row in enumerate(self.choice.rows):
            name = row.name.strip()
            if not name and not row.text.strip():
                continue  # an empty row is ignored
            if not name:
                problems[index] = "type a name for this value"
                continue
            if name in seen:
                problems[index] = f"{visible(name, single_line=True)} is named twice"
                continue
            seen.add(name)
            try:
                values[name] = typed_value(row.kind, row.text)
            except ValueError as exc:
                problems[index] = f"{visible(name, single_line=True)}: {exc}"
        return values, problems

    # -- Item -----------------------------------------------------------------------------

    def item_options(self, item: Optional[ItemChoice] = None) -> ItemOptions:
        """The Item step's texts as options ("" leaves a field out)."""
        item = item or self.choice.item
        return ItemOptions(
            priority=item.priority or None,
            reference=item.reference.strip() or None,
            **{name: getattr(item, name).strip() or None for name in ITEM_DATE_FIELDS},
        )

    def item_problems(self) -> dict[str, str]:
        """Problems per ``ItemChoice`` field name ({}: the options can be sent)."""
        from tui_app.queue_plan import item_date

        item = self.choice.item
        problems: dict[str, str] = {}
        reference = item.reference.strip()
        if len(reference) > MAX_REFERENCE_LENGTH:
            problems["reference"] = (f"{len(reference)} characters; Orchestrator takes at most "
                                     f"{MAX_REFERENCE_LENGTH}")
        elif not reference and self.choice.queue and self.choice.queue.enforce_unique_reference:
            problems["reference"] = ("this queue takes each reference once: type the item's "
                                     "reference (e.g. the ticket number)")
        for name, (_, label) in ITEM_DATE_FIELDS.items():
            text = getattr(item, name).strip()
            if text:
                try:
                    item_date(text, label)
                except PlanError as exc:
                    problems[name] = str(exc)
        return problems

    async def reference_in_use(self) -> Optional[str]:
        """For a queue that takes each reference once: why the typed reference cannot be
        used (None: it can, or the queue does not care). Raises ``ServerProblem``."""
        from tui_app.adding import existing_item

        queue, reference = self.choice.queue, self.choice.item.reference.strip()
        if queue is None or not queue.enforce_unique_reference or not reference:
            return None
        with asking_orchestrator():
            item = await existing_item(self.session.client, queue, reference)
        if item is None:
            return None
        return (f"The queue {visible(queue.name, single_line=True)} already has item {item.id} "
                f"({item.status}) with the reference {visible(reference, single_line=True)}, "
                "and it takes each reference once. Type another reference.")

    # -- the plan -------------------------------------------------------------------------

    def current_plan(self) -> QueuePlan:
        """The item to add for everything chosen so far (``PlanError`` when incomplete)."""
        choice = self.choice
        if choice.queue is None:
            raise PlanError("Choose a queue first.")
        options = self.item_options()
        if options.reference is None:
            options = dataclasses.replace(options, reference=self.reference)
        return QueuePlan(choice.queue, dict(choice.content_values), options,
                         self.session.state.folder)

    def shown_content(self, plan: QueuePlan) -> QueuePlan:
        """``plan`` with ``ask`` content values masked (what screens and the history show)."""
        from tui_app.secretnames import looks_secret

        hidden = {name: MASK for name in plan.content
                  if name in self.session.state.ask_names or looks_secret(name)}
        return dataclasses.replace(plan, content={**plan.content, **hidden}) if hidden else plan

    def review_rows(self, plan: QueuePlan) -> list[tuple[str, str]]:
        """(label, value) rows for Review: where and how signed in, then the item."""
        from tui_app.signin import AUTH_MODE_LABELS

        settings = self.session.state.settings
        return [("Orchestrator", settings.url),
                ("Signed in by", AUTH_MODE_LABELS[settings.auth_mode]),
                *self.session.guard().summary_rows(),
                *self.shown_content(plan).rows()]

    def body_text(self, plan: QueuePlan) -> str:
        """The exact request body, ``{"itemData": …}``, as JSON text (``ask`` values masked)."""
        from tui_app.arguments.jsontext import printable_json

        return printable_json({"itemData": self.shown_content(plan).item_data()})

    # -- adding and following -------------------------------------------------------------

    async def add(self) -> AddOutcome:
        """Send ``AddQueueItem`` once (``adding.add_once``: a lost answer is looked up by the
        Reference, never sent again blindly); an added item is recorded in the history."""
        from tui_app.adding import add_once

        plan = self.current_plan()
        outcome = await add_once(self.session.client, plan)
        self.reference = self.session.reference_factory()  # another attempt: a new item
        self.unknown = outcome.state == "unknown"
        if outcome.added and outcome.item is not None:
            self.choice.added = outcome.item
            self.entry = await self._record(plan, outcome.item)
        return outcome

    async def _record(self, plan: QueuePlan, item: QueueItem) -> Optional[HistoryEntry]:
        from tui_app.history import record_item
        from tui_app.locations import LocationError

        session = self.session
        template = session.template_identity()
        identity = await session.identity()
        try:
            return record_item(
                "wizard", plan, item,
                template_name=template.name if template else None,
                template_path=str(template.path) if template and template.path else None,
                body=self.shown_content(plan).item_data(),
                **session.where(identity),
            )
        except (OSError, ValueError, LocationError) as exc:
            session.warn(f"The history file could not be written: {exc}")
            return None

    async def follow(self, on_update: Callable[[float], None],
                     on_problem: Callable[[ServerProblem, float], None],
                     sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
        """Poll the added item by the session's follow policy (the jobs' waits) until it is
        final; after each poll ``on_update(seconds to the next)``, or ``on_problem(problem,
        seconds)`` when it failed (a throttled poll waits at least what Orchestrator asked).
        Its final status goes into the history."""
        from tui_app.following import poll_item

        policy = self.session.policy
        waits = policy.waits()
        delay = next(waits)
        while self.choice.added is not None and not self.choice.added.is_final:
            await sleep(delay)
            delay = next(waits)
            try:
                with asking_orchestrator():
                    self.choice.added = await poll_item(self.session.client, self.choice.added)
            except ServerProblem as problem:
                if problem.slow_down:
                    delay = min(max(delay, problem.retry_after or 0), policy.longest)
                on_problem(problem, delay)
                continue
            on_update(delay)
        if self.choice.added is not None and self.entry is not None:
            self._record_final(self.choice.added)

    def _record_final(self, item: QueueItem) -> None:
        from tui_app.history import record_final_states
        from tui_app.locations import LocationError

        assert self.entry is not None
        try:
            record_final_states(self.entry.id, [item])
        except (OSError, ValueError, LocationError) as exc:
            self.session.warn(f"The history file could not be written: {exc}")
        self.entry = None  # recorded once

    async def watch_draft_item(self, draft: Any) -> list[str]:
        """Open the monitor on the item a dropped session had added (kept in its draft);
        the warnings. Raises ``ServerProblem``; ``RefError`` when it is not listed any more."""
        from tui_app.history import read_entries
        from tui_app.jobrefs import RefError
        from tui_app.orchestrator.errors import NotFound

        session = self.session
        wanted = draft.started_jobs[0]
        folder = next((f for f in session.state.folders if f.id == draft.started_folder_id),
                      session.state.folder)
        session.client.use_folder(folder)
        try:
            with asking_orchestrator():
                item = await session.client.queue_item(int(wanted["id"]))
        except NotFound:
            item = None
        if item is None or item.key != wanted["key"]:
            raise RefError(f"Orchestrator no longer lists the queue item the last session "
                           f"added ({wanted['id']}): nothing to follow.")
        session.state.action = "add_queue_item"
        self.choice.added = item
        self.entry = next((e for e in read_entries(None) if e.id == draft.history_id), None)
        return []

    # -- templates ------------------------------------------------------------------------

    def fingerprint(self) -> tuple[Any, ...]:
        """What a template stores of the queue choice (``ask`` values are typed each time)."""
        choice = self.choice
        ask = self.session.state.ask_names
        return (
            choice.queue.id if choice.queue else None,
            tuple(sorted((k, v) for k, v in choice.content_texts.items() if k not in ask)),
            tuple((r.name, r.kind, r.text) for r in choice.rows if r.name not in ask),
            dataclasses.astuple(choice.item),
        )

    def default_name(self) -> str:
        return self.choice.queue.name if self.choice.queue else "queue item"

    def content_names(self) -> list[str]:
        """The content field names (the Save dialog's ``ask`` list)."""
        names = [f.name for f in self.fields()]
        return names or [r.name.strip() for r in self.choice.rows if r.name.strip()]

    def save_template(self, request: SaveTemplateRequest, *, overwrite: bool = False) -> Path:
        """Write the queue choice as an ``add_queue_item`` template; its path. Raises
        ``FileExistsError`` (unless ``overwrite``), ``OSError``, ``ValueError``."""
        from tui_app.library import personal_target
        from tui_app.templates import save_template, template_from_queue_plan

        session = self.session
        plan = self.current_plan()
        if not plan.typed_reference:  # a made-up reference is made anew at every replay
            plan = dataclasses.replace(plan, options=dataclasses.replace(plan.options,
                                                                         reference=None))
        template = template_from_queue_plan(plan, name=request.name,
                                            description=request.description, ask=request.ask,
                                            demo=session.demo, url=session.state.settings.url,
                                            bindings=session.keep_bindings(request.bindings))
        template = session.with_guard_keys(template)
        path = save_template(template, personal_target(request.path), overwrite=overwrite)
        session.bindings = dict(template.bindings)
        session.state.ask_names = session.state.ask_names | frozenset(request.ask)
        session.remember_template(TemplateIdentity(template.name, path))
        return path

    def headless_command(self, identity: Any) -> str:
        """``startjob run PATH`` for the queue choice (see ``WizardSession.headless_command``)."""
        from tui_app.locations import templates_dir
        from tui_app.templates import slug

        demo = " --demo" if self.session.demo else ""
        if identity is not None and identity.path is not None:
            return f"startjob run {shlex.quote(str(identity.path))}{demo}"
        path = templates_dir() / f"{slug(self.default_name())}.toml"
        return (f"startjob run {shlex.quote(str(path))}{demo}\n"
                "(once saved with Save template, ctrl+s)")

    # -- opening a queue template ---------------------------------------------------------

    async def prefill(self, template: Template, *, check: bool = True,
                      kinds: Optional[dict] = None) -> tuple[str, list[Finding]]:
        """Fill the queue steps from an ``add_queue_item`` template (``kinds``: a resumed
        draft's key/value rows, name -> kind); (landing step, drift findings)."""
        from tui_app.drift import check_drift, check_queue_drift
        from tui_app.queue_schema import SchemaError
        from tui_app.resolver import find_folder

        session = self.session
        state = session.state
        state.action = "add_queue_item"
        state.ask_names = state.ask_names | frozenset(template.ask)
        if template.connection.folder:
            folder = find_folder(state.folders, template.connection.folder)
            if folder is None:
                return "Folder", check_drift(template, None, folder_missing=True)
            session.choose_folder(folder)  # a new folder starts a new queue choice
        choice = self.choice
        assert template.queue is not None  # the parser requires [queue]
        choice.search_text = template.queue.name
        with asking_orchestrator():
            queue = await session.client.queue_by_name(template.queue.name)
        if queue is None:
            return "Queue", check_queue_drift(template, None) if check else []
        self.choose_queue(queue)
        # ``ask`` fields are typed on the Content step: they have a value to come.
        findings = check_queue_drift(template, queue, given=template.ask) if check else []
        self._fill_item(template)
        try:
            fields = self.fields()
        except SchemaError:
            fields = ()
        if fields:
            self._fill_fields(template, fields)
        else:
            choice.rows = [ContentRow(name, (kinds or {}).get(name) or _kind_of(value),
                                      _row_text(value)) for name, value in template.content.items()]
            choice.rows += [ContentRow(name) for name in template.ask
                            if name not in template.content]  # typed at every replay
        if any(f.blocks for f in findings) or self.asked_for(template):
            return "Content", findings
        values, problems = self.schema_content() if fields else self.row_content()
        if problems:
            return "Content", findings
        choice.content_values = values
        if self.item_problems():
            return "Item", findings
        return "Review", findings

    def asked_for(self, template: Template) -> list[str]:
        """The template's ``ask`` content fields still without a value."""
        typed = {**self.choice.content_texts,
                 **{row.name.strip(): row.text for row in self.choice.rows}}
        return [name for name in template.ask if not typed.get(name, "").strip()]

    def _fill_fields(self, template: Template, fields: tuple) -> None:
        from tui_app.arguments import ArgumentValueError

        for content_field in fields:
            if content_field.name not in template.content:
                continue
            saved = template.content[content_field.name]
            try:
                text = content_field.spec.to_text(content_field.convert(saved))
            except ArgumentValueError:
                text = str(saved)
            self.choice.content_texts[content_field.name] = text

    def _fill_item(self, template: Template) -> None:
        item = template.item
        reference = item.reference or ""
        self.choice.item = ItemChoice(
            priority=item.priority or "",
            reference="" if "{" in reference else reference,  # an event's placeholder
            **{name: getattr(item, name) or "" for name in ITEM_DATE_FIELDS},
        )


def _kind_of(value: Any) -> str:
    """The key/value editor's kind of a saved value."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "text"
    return "json"


def _row_text(value: Any) -> str:
    from tui_app.arguments.jsontext import dumps

    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else dumps(value)
