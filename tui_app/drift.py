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
  ``ModernJobsCount`` warn and leave it out, block when none is left).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Optional

from tui_app.arguments import ArgumentSpec, ArgumentValueError
from tui_app.arguments.jsontext import quote
from tui_app.orchestrator.models import EntryPoint, MachineSession, Release, Robot
from tui_app.plan import ROBOT_STRATEGIES, STRATEGY_TABLE
from tui_app.resolver import find_robot
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
    entry_points: Optional[Sequence[EntryPoint]] = None,
    sessions: Optional[Sequence[MachineSession]] = None,
) -> list[Finding]:
    """Compare ``template`` with what Orchestrator has now.

    ``release`` is the release found for the template (None: there is none any more);
    ``specs`` its input arguments (``parse_arguments_input(release.arguments_input)``);
    ``robots`` the robots the strategy may use — the environment's robots (classic) or the
    folder's robot users (modern) — or None when they were not looked up. ``given`` names the
    arguments that get a value from somewhere other than the template's ``[arguments]``
    (``--set``, an event, an environment variable, a process default), which settles an added
    required argument or a stored value that no longer converts. ``folder_missing``: the
    template's folder does not exist (or cannot be seen) any more.
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
    findings += _option_findings(template, entry_points, sessions)
    return findings


# contract (issue 15): core helper's version wins at merge
def _option_findings(template: Template, entry_points: Optional[Sequence[EntryPoint]],
                     sessions: Optional[Sequence[MachineSession]]) -> list[Finding]:
    """A saved entry point, machine or host that is gone (block: it would start elsewhere)."""
    from tui_app.resolver import entry_point_named, machine_target

    options, findings = template.options, []
    if (options.entry_point and entry_points is not None
            and entry_point_named(entry_points, options.entry_point) is None):
        findings.append(Finding(BLOCK, f"The entry point {_q(options.entry_point)} no longer "
                                       "exists in this release.", "entry-point-gone",
                                options.entry_point))
    target = options.target
    if target is not None and sessions is not None:
        if machine_target(sessions, target.machine, None) is None:
            findings.append(Finding(BLOCK, f"The machine {_q(target.machine)} has no session "
                                           "in this folder any more.", "machine-gone",
                                    target.machine))
        elif target.host and machine_target(sessions, target.machine, target.host) is None:
            findings.append(Finding(BLOCK, f"The host {_q(target.host)} of machine "
                                           f"{_q(target.machine)} is gone.", "host-gone",
                                    target.host))
    return findings


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
