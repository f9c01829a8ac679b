"""Drift: what changed in Orchestrator since a template was saved.

``check_drift`` compares a template with what the folder holds now (the release found for it,
that release's input arguments, the robots it may use) and returns one ``Finding`` per change,
each one clear line. ``"block"`` findings stop a replay (starting would do something other than
what the template says); ``"warn"`` findings are shown and the replay goes on. The headless
replay and the wizard (loading a template) both use it; it sends no request.

What is checked:

- folder gone (block);
- release gone (block) — or its key changed and it was found again by process key and
  environment (warn), renamed (warn), a different package version (warn);
- input arguments, against the template's ``[signature]``: added (required and not given →
  block; otherwise warn), removed (warn; a stored value is dropped), type changed (block when a
  stored value no longer converts to the new type, else warn);
- robots named in ``[strategy]``: renamed or gone (block for ``Specific``; for
  ``ModernJobsCount`` warn and leave it out, block when none is left);
- ``[options]`` against ``resolver.OptionFacts`` (when given): an entry point the package
  version no longer has (block; a server that cannot list entry points: warn, sent as
  saved); a machine or host no longer in the folder, or the folder's machines could not be
  read (block, naming what exists instead); a host in maintenance mode, disconnected or
  unresponsive (warn); a runtime type the folder has no runtimes of while it has others, or a
  Headless/Serverless one for a foreground release (block; a folder without any runtime is
  left to Orchestrator's own refusal, which ``tui_app.diagnosis`` explains).

``check_queue_drift`` does the same for a template that adds a queue item: the queue gone or
renamed, its item schema changed (a field added, removed, retyped, now required), its
unique-reference rule changed.

The input arguments are checked against the chosen entry point's arguments when the caller
passes those as ``specs`` (``resolver.argument_source``).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Optional

from tui_app.arguments import ArgumentSpec, ArgumentValueError
from tui_app.arguments.jsontext import quote
from tui_app.orchestrator.models import QueueDefinition, Release, Robot
from tui_app.plan import ROBOT_STRATEGIES, STRATEGY_TABLE
from tui_app.resolver import (
    BACKGROUND_ONLY,
    OptionFacts,
    entry_points_or_own,
    find_robot,
    runtime_types_for,
)
from tui_app.templates import Template

BLOCK = "block"
WARN = "warn"
LEVELS = (BLOCK, WARN)

#: Strategies whose ``[strategy] robots`` names are checked against the robots found.


@dataclass(frozen=True)
class Finding:
    """One change. ``code`` is a stable identifier for programs (e.g. ``argument-added``);
    ``subject`` is the argument or robot name concerned, when there is one."""

    level: str
    text: str
    code: str = ""
    subject: Optional[str] = None

    @property
    def blocks(self) -> bool:
        return self.level == BLOCK

    def __str__(self) -> str:
        return f"{self.level}: {self.text}"


def blocking(findings: Sequence[Finding]) -> list[Finding]:
    """The findings that stop a replay."""
    return [finding for finding in findings if finding.blocks]


def check_drift(
    template: Template,
    release: Optional[Release],
    specs: Sequence[ArgumentSpec] = (),
    robots: Optional[Sequence[Robot]] = None,
    *,
    given: Collection[str] = (),
    folder_missing: bool = False,
    facts: Optional[OptionFacts] = None,
) -> list[Finding]:
    """Compare ``template`` with what Orchestrator has now.

    ``release`` is the release found for the template (None: there is none any more);
    ``specs`` its input arguments (``parse_arguments_input(release.arguments_input)``);
    ``robots`` the robots the strategy may use — the environment's robots (classic) or the
    folder's robot users (modern) — or None when they were not looked up. ``given`` names the
    arguments that get a value from somewhere other than the template's ``[arguments]``
    (``--set``, an event, an environment variable, a process default), which settles an added
    required argument or a stored value that no longer converts. ``folder_missing``: the
    template's folder does not exist (or cannot be seen) any more. ``facts``
    (``resolver.option_facts``) checks the template's ``[options]`` and runtime type; None
    leaves them unchecked.
    """
    process = template.process
    where = _where(template)
    if folder_missing:
        return [Finding(BLOCK, f"The folder {_q(template.connection.folder)} no longer exists "
                               "(or this account cannot see it).", "folder-gone")]
    if release is None:
        return [Finding(BLOCK, f"There is no release of process {_q(process.key)}"
                               f"{_in_environment(process.environment)} in {where} any more.",
                        "release-gone")]
    findings: list[Finding] = []
    findings += _release_findings(template, release)
    findings += _argument_findings(template, specs, set(given))
    if robots is not None:
        findings += _robot_findings(template, release, robots)
    if facts is not None:
        findings += option_findings(template, release, facts)
    return findings


def option_findings(template: Template, release: Release, facts: OptionFacts) -> list[Finding]:
    """The ``[options]`` and runtime-type part of ``check_drift``."""
    return (_entry_point_findings(template, release, facts)
            + _machine_findings(template, facts) + _runtime_findings(template, release, facts))


def _entry_point_findings(template: Template, release: Release,
                          facts: OptionFacts) -> list[Finding]:
    saved = template.options.entry_point
    if not saved or facts.entry_point(release, saved) is not None:
        return []
    package = f"{_q(release.process_key)} {release.process_version}"
    if not facts.entry_points:
        return [Finding(WARN, f"This Orchestrator does not list the entry points of {package}; "
                              f"the entry point {_q(saved)} is sent as saved and the arguments "
                              "are checked against the release's own.", "entry-point-unchecked",
                        saved)]
    now = ", ".join(_q(e.path) for e in entry_points_or_own(release, facts.entry_points))
    return [Finding(BLOCK, f"The entry point {_q(saved)} is not in {package} any more; its "
                           f"entry points now: {now}.", "entry-point-gone", saved)]


def _machine_findings(template: Template, facts: OptionFacts) -> list[Finding]:
    target = template.options.target
    if target is None:
        return []
    where = _where(template)
    if facts.sessions is None:
        why = (facts.sessions_problem or "they were not looked up").rstrip(".")
        return [Finding(BLOCK, f"The template runs on {target.describe()}, but the machines of "
                               f"{where} could not be read: {why}.", "machines-unknown",
                        target.machine)]
    machine = target.machine.casefold()
    mine = [s for s in facts.sessions if s.machine_name.casefold() == machine]
    if not mine:
        now = _names(s.machine_name for s in facts.sessions)
        return [Finding(BLOCK, f"The machine {_q(target.machine)} is not in {where} any more "
                               f"(renamed or removed); machines there now: {now}.",
                        "machine-gone", target.machine)]
    if target.host:
        host = target.host.casefold()
        hosts = [s for s in mine if s.host_machine_name.casefold() == host]
        if not hosts:
            now = _names(s.host_machine_name for s in mine)
            return [Finding(BLOCK, f"The host {_q(target.host)} is not a host of machine "
                                   f"{_q(target.machine)} in {where} any more; its hosts now: "
                                   f"{now}.", "host-gone", target.host)]
        mine = hosts
    if any(session.takes_jobs for session in mine):
        return []
    states = "; ".join(sorted({f"{s.host_machine_name or s.machine_name}: {s.status_words()}"
                               for s in mine}))
    return [Finding(WARN, f"No host of {target.describe()} can take a job right now ({states}); "
                          "the job waits until one can.", "host-unavailable",
                    target.host or target.machine)]


def _runtime_findings(template: Template, release: Release,
                      facts: OptionFacts) -> list[Finding]:
    strategy = template.strategy
    if not STRATEGY_TABLE[strategy.kind].runtime:
        return []
    runtime = strategy.runtime_type or "Unattended"
    if release.requires_user_interaction and runtime in BACKGROUND_ONLY:
        return [Finding(BLOCK, f"{_q(release.name)} is a foreground process (it needs user "
                               f"interaction) and cannot run on a {runtime} runtime; choose "
                               "another runtime_type.", "runtime-foreground", runtime)]
    offered = runtime_types_for(release, facts.capacities)
    if facts.capacities is None or runtime in offered or not any(
            capacity.total for capacity in facts.capacities):
        return []  # unknown, fine, or a folder without runtimes: Orchestrator's refusal says
    where = _where(template)
    return [Finding(BLOCK, f"{where[0].upper()}{where[1:]} has no {runtime} runtimes; "
                           f"runtime types there: {', '.join(offered) or 'none'}.",
                    "runtime-gone", runtime)]


def _names(values: Any) -> str:
    names = sorted({_q(value) for value in values if value})
    return ", ".join(names) or "none"


def _release_findings(template: Template, release: Release) -> list[Finding]:
    process = template.process
    findings = []
    if process.release_key and process.release_key.lower() != release.key.lower():
        was = f" {_q(process.release_name)}" if process.release_name else ""
        findings.append(Finding(
            WARN,
            f"The saved release{was} (key {process.release_key}) is gone; found again by "
            f"process key {_q(process.key)}{_and_environment(release.environment_name)}: "
            f"{_q(release.name)}, key {release.key}.",
            "release-key-changed",
        ))
    elif process.release_name and process.release_name != release.name:
        findings.append(Finding(
            WARN, f"The release {_q(process.release_name)} is now named {_q(release.name)}.",
            "release-renamed",
        ))
    if process.version and release.process_version and process.version != release.process_version:
        findings.append(Finding(
            WARN,
            f"{_q(process.key)} is now version {release.process_version} "
            f"(the template was saved with {process.version}).",
            "version-changed",
        ))
    return findings


def _argument_findings(template: Template, specs: Sequence[ArgumentSpec],
                       given: set) -> list[Finding]:
    findings = []
    signature = template.signature
    current = {spec.name: spec for spec in specs}
    stored = template.arguments
    for name, saved_type in signature.items():
        if name in current:
            continue
        dropped = " Its saved value is not sent." if name in stored else ""
        findings.append(Finding(
            WARN, f"The input argument {_q(name)} ({saved_type}) was removed from the process."
                  f"{dropped}", "argument-removed", name,
        ))
    for name in stored:  # a hand-written template without [signature]
        if name not in signature and name not in current:
            findings.append(Finding(
                WARN, f"{_q(name)} in [arguments] is not an input argument of the process; "
                      "its value is not sent.", "argument-removed", name,
            ))
    if not signature:
        return findings
    for spec in specs:
        saved = signature.get(spec.name)
        if saved is None:
            findings.append(_added(spec, given))
        elif saved != spec.full_type:
            findings.append(_type_changed(spec, saved, stored, given))
    return findings


def _added(spec: ArgumentSpec, given: set) -> Finding:
    name = spec.name
    if spec.required and name not in given:
        return Finding(
            BLOCK, f"The process has a new required input argument {_q(name)} "
                   f"({spec.short_type}); give it with --set {name}=VALUE.",
            "argument-added", name,
        )
    kind = "required" if spec.required else "optional"
    return Finding(
        WARN, f"The process has a new {kind} input argument {_q(name)} ({spec.short_type}).",
        "argument-added", name,
    )


def _type_changed(spec: ArgumentSpec, saved_type: str, stored: dict, given: set) -> Finding:
    name = spec.name
    change = f"The type of {_q(name)} changed from {saved_type} to {spec.full_type}"
    if name in stored and name not in given:
        try:
            spec.from_toml(stored[name])
        except ArgumentValueError as exc:
            return Finding(
                BLOCK, f"{change}, and the saved value no longer fits: {exc.problem}.",
                "type-changed", name,
            )
        return Finding(WARN, f"{change}; the saved value still fits.", "type-changed", name)
    return Finding(WARN, f"{change}.", "type-changed", name)


def _robot_findings(template: Template, release: Release,
                    robots: Sequence[Robot]) -> list[Finding]:
    strategy = template.strategy
    if strategy.kind not in ROBOT_STRATEGIES or not strategy.robots:
        return []
    pool = (f"environment {_q(release.environment_name)}" if release.environment_name
            else _where(template))
    missing = [name for name in strategy.robots if find_robot(robots, name) is None]
    if not missing:
        return []
    now = ", ".join(robot.name for robot in robots) or "none"
    required = STRATEGY_TABLE[strategy.kind].robots == "required"
    findings = []
    for name in missing:
        if required:
            findings.append(Finding(
                BLOCK, f"The robot {_q(name)} is not in {pool} any more (renamed or removed); "
                       f"robots there now: {now}.", "robot-gone", name,
            ))
        else:
            findings.append(Finding(
                WARN, f"The robot {_q(name)} is not in {pool} any more (renamed or removed); "
                      "the jobs run on the other chosen robots.", "robot-gone", name,
            ))
    if not required and len(missing) == len(strategy.robots):
        findings.append(Finding(
            BLOCK, f"None of the chosen robots is in {pool} any more; robots there now: {now}.",
            "robots-gone",
        ))
    return findings


def _where(template: Template) -> str:
    folder = template.connection.folder
    return f"the folder {_q(folder)}" if folder else "the tenant"


def _in_environment(environment: Optional[str]) -> str:
    return f" in environment {_q(environment)}" if environment else ""


def _and_environment(environment: Optional[str]) -> str:
    return f" and environment {_q(environment)}" if environment else ""


def _q(value: Any) -> str:
    """A name in a message: double-quoted, control characters shown, long ones shortened."""
    return quote(str(value), limit=80)


# -- queue templates (issue 16) ---------------------------------------------------------------


def check_queue_drift(template: Template, queue: Optional[QueueDefinition], *,
                      given: Collection[str] = ()) -> list[Finding]:
    """Compare an ``add_queue_item`` template with the queue found for it now (None: there
    is no queue of that name any more). ``given`` names the content fields that get a value
    from somewhere other than ``[content]`` (``--set``, an event, an environment variable).

    The queue gone or renamed (block); named in another case (warn); the item schema against
    ``[schema]``: a field added (required and not given → block, else warn), removed (warn;
    its saved value is not sent), retyped (block when the saved value no longer fits, else
    warn), now required (block when it has no value, else warn), a schema that cannot be
    read (warn: Orchestrator still checks); the unique-reference rule changed (warn).
    """
    from tui_app.queue_schema import SchemaError, content_fields

    saved = template.queue
    name = saved.name if saved is not None else ""
    where = _where(template)
    if queue is None:
        return [Finding(BLOCK, f"There is no queue named {_q(name)} in {where} any more "
                               "(renamed or removed).", "queue-gone", name)]
    findings: list[Finding] = []
    if queue.name != name:
        findings.append(Finding(WARN, f"The queue {_q(name)} is now named {_q(queue.name)}.",
                                "queue-renamed", name))
    if saved is not None and saved.unique_reference is not None and (
            saved.unique_reference != queue.enforce_unique_reference):
        now = ("now takes each reference only once" if queue.enforce_unique_reference
               else "no longer requires unique references")
        findings.append(Finding(WARN, f"The queue {_q(queue.name)} {now}.",
                                "unique-reference-changed", queue.name))
    try:
        fields = content_fields(queue.specific_data_json_schema)
    except SchemaError as exc:
        return findings + [Finding(WARN, f"{exc} The content is sent unchecked; Orchestrator "
                                         "still checks it.", "schema-unreadable", queue.name)]
    given = set(given)
    has_value = set(template.content) | given
    current = {f.name: f for f in fields}
    schema = template.schema
    for field_name, saved_type in schema.items():
        if field_name not in current and fields:
            dropped = " Its saved value is not sent." if field_name in template.content else ""
            findings.append(Finding(WARN, f"The content field {_q(field_name)} ({saved_type}) "
                                          f"was removed from the queue's schema.{dropped}",
                                    "field-removed", field_name))
    if schema and not fields:
        findings.append(Finding(WARN, f"The queue {_q(queue.name)} no longer has an item "
                                      "schema; the content is sent as saved.",
                                "schema-removed", queue.name))
    for field_name, spec in current.items():
        was = schema.get(field_name)
        if was is None:
            # Without a saved [schema] (a hand-written template) only a required field
            # without a value matters.
            if schema or (spec.required and field_name not in has_value):
                findings.append(_field_added(spec, field_name in has_value))
            continue
        old_type, _, old_required = was.partition(", ")
        new_type = spec.schema_type.partition(", ")[0]
        if old_type != new_type:
            findings.append(_field_retyped(template, spec, old_type, new_type, given))
        if spec.required and not old_required and field_name not in has_value:
            findings.append(Finding(BLOCK, f"The content field {_q(field_name)} is now "
                                           f"required; give it with --set {field_name}=VALUE.",
                                    "field-now-required", field_name))
        elif spec.required and not old_required:
            findings.append(Finding(WARN, f"The content field {_q(field_name)} is now required.",
                                    "field-now-required", field_name))
    return findings


def _field_added(spec: Any, has_value: bool) -> Finding:
    if spec.required and not has_value:
        return Finding(BLOCK, f"The queue's schema has a new required field {_q(spec.name)} "
                              f"({spec.schema_type}); give it with --set {spec.name}=VALUE.",
                       "field-added", spec.name)
    kind = "required" if spec.required else "optional"
    return Finding(WARN, f"The queue's schema has a new {kind} field {_q(spec.name)} "
                         f"({spec.schema_type.partition(', ')[0]}).", "field-added", spec.name)


def _field_retyped(template: Template, spec: Any, old: str, new: str,
                   given: set) -> Finding:
    change = f"The type of the content field {_q(spec.name)} changed from {old} to {new}"
    if spec.name in template.content and spec.name not in given:
        try:
            spec.convert(template.content[spec.name])
        except ArgumentValueError as exc:
            return Finding(BLOCK, f"{change}, and the saved value no longer fits: "
                                  f"{exc.problem}.", "field-retyped", spec.name)
        return Finding(WARN, f"{change}; the saved value still fits.", "field-retyped",
                       spec.name)
    return Finding(WARN, f"{change}.", "field-retyped", spec.name)
