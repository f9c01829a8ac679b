"""The wizard session: the choices made so far and every action a step needs, without Textual.

A screen shows ``session.state`` and forwards what the person did to a method here: plain
inputs, plain outputs, and a ``ServerProblem`` when Orchestrator could not do it. The client,
the template the choice came from, the history entry of a start and the drafts live here.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import shlex
import time
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional

# Imported at start-up on purpose: saving a draft must still work when the installed files
# changed under a running wizard (an upgrade), and that is when lazy imports fail.
from tui_app import diagnosis, drafts
from tui_app.availability import runtime_note
from tui_app.connection import ConnectionSettings, SettingsError, explain_connect_failure
from tui_app.following import (
    PENDING_CHECK_UNAVAILABLE,
    POLICY,
    FollowPolicy,
    PendingReport,
    PendingWatch,
    poll_once,
)
from tui_app.guard import Guard, GuardKeys, decide, planned_jobs
from tui_app.orchestrator.errors import (
    NotAvailable,
    OrchestratorError,
    PermissionDenied,
    RateLimited,
)
from tui_app.orchestrator.models import (
    EntryPoint,
    Folder,
    Job,
    MachineSession,
    Page,
    Release,
    Robot,
    RuntimeCapacity,
)
from tui_app.plan import (
    MODERN_STRATEGY,
    ROBOT_STRATEGIES,
    RUNTIME_TYPES,
    PlanError,
    StartPlan,
    new_reference,
)
from tui_app.resolver import (
    chosen_robots,
    entry_point_named,
    entry_points_or_own,
    machine_target,
    runtime_types_for,
    strategy_choice,
    takes_unattended_jobs,
)
from tui_app.secretnames import looks_secret
from tui_app.signin import AUTH_MODE_LABELS, SECRET_FIELDS
from tui_app.start_options import (
    MAX_PRIORITY_VALUE,
    MIN_PRIORITY_VALUE,
    MachineTarget,
    OptionError,
    Priority,
    StartOptions,
    parse_duration,
)
from tui_app.text import visible
from tui_app.wizard import flow
from tui_app.wizard.choices import argument_specs, parse_jobs_count
from tui_app.wizard.errors import ServerProblem, asking_orchestrator
from tui_app.wizard.notify import notify_mode
from tui_app.wizard.queueing import QueueSteps
from tui_app.wizard.requests import (
    MASK,
    SaveProfileRequest,
    SaveTemplateRequest,
    TemplateIdentity,
)
from tui_app.wizard.state import DURATION_FIELDS, QueueChoice, WizardState

if TYPE_CHECKING:
    from tui_app.drift import Finding
    from tui_app.history import HistoryEntry
    from tui_app.profiles import Profile
    from tui_app.starting import StartOutcome
    from tui_app.templates import Template

#: Strategies with a typed number of jobs.
COUNTED = ("JobsCount", MODERN_STRATEGY)
#: How many of a job's last robot log lines the Run step reads (one request).
LOG_LINES = 40


@dataclass(frozen=True)
class JobLog:
    """The last robot log lines of one job, as last read (oldest first)."""

    lines: tuple = ()
    #: How many lines the job has logged in all (the server's count).
    total: int = 0
    #: Read after the job ended, or the log cannot be read at all: not read again.
    complete: bool = False
    #: Why the log could not be read ("" when it was).
    problem: str = ""


@dataclass(frozen=True)
class Opening:
    """Where the wizard lands after being filled from a template or a draft."""

    landing: str
    #: The steps to open after Connect, in order, up to ``landing``.
    steps: list[str]
    #: (kind, text) for the landing step's message line, or None.
    message: Optional[tuple[str, str]]


@dataclass(frozen=True)
class ServerCheck:
    """What Orchestrator said when asked whether a job would run (``ValidateDynamicJob``) or
    why it is Pending (``ValidateExistingJob``), in plain words."""

    #: The findings (``tui_app.diagnosis.Finding``), in the server's order.
    findings: tuple = ()
    #: False when the server has no such check (older or on-premises Orchestrator).
    available: bool = True
    #: Why the check itself failed ("" when it did not); a failed check never blocks.
    problem: str = ""

    @property
    def blocking(self) -> list[diagnosis.Finding]:
        return diagnosis.blocking(self.findings)


def _pending_check(report: PendingReport) -> ServerCheck:
    if report.checked:
        return ServerCheck(findings=report.findings)
    if report.note == PENDING_CHECK_UNAVAILABLE:
        return ServerCheck(available=False)
    return ServerCheck(problem=report.note)


def scaled_policy(first: float) -> FollowPolicy:
    """The follow policy with every wait scaled so that the first is ``first`` seconds
    (1.0 gives ``following.POLICY`` itself; the tests follow faster)."""
    scale = first / POLICY.first
    return dataclasses.replace(POLICY, first=first, longest=POLICY.longest * scale)


def _load_profiles() -> tuple[dict[str, Profile], Optional[str]]:
    """The saved profiles and, when profiles.toml cannot be read, why (shown on Connect)."""
    from tui_app.locations import LocationError
    from tui_app.profiles import load_profiles

    try:
        return load_profiles(), None
    except (SettingsError, LocationError, OSError) as exc:
        return {}, f"Profiles cannot be read: {exc}"


class WizardSession:
    """Everything the wizard knows and does between its screens."""

    def __init__(
        self,
        settings: ConnectionSettings,
        *,
        demo: bool = False,
        client_options: Optional[dict[str, Any]] = None,
        reference_factory: Callable[[], str] = new_reference,
        policy: FollowPolicy = POLICY,
        template: Optional[Template] = None,
        template_path: Optional[Path] = None,
        warn: Callable[[str], None] = lambda text: None,
    ) -> None:
        self.state = WizardState(settings=settings)
        self.demo = demo
        self.client_options = client_options or {}
        self.client: Any = None
        self.reference_factory = reference_factory
        self.reference = reference_factory()
        #: How often the Run step polls (the same policy as ``startjob run --wait``).
        self.policy = policy
        #: Told what went wrong on the side (a history file that cannot be written).
        self.warn = warn
        self.history_entry: Optional[HistoryEntry] = None
        #: History entries of restarts from the Run step (their final states are added too).
        self.restart_entries: list[HistoryEntry] = []
        #: Keys of the jobs whose final state is in the history already.
        self._recorded: set[str] = set()
        #: ``GetCurrentUser`` once per session (``identity()``); None: not asked yet.
        self._identity: Optional[tuple[Any]] = None
        #: The robot log of each job, as last read; ``log_job``: the job whose log the Run
        #: step shows (None: it shows the details), read once per poll while it runs.
        self.logs: dict[int, JobLog] = {}
        self.log_job: Optional[int] = None
        #: What the Run step watches when it did not start the jobs (re-attached), e.g.
        #: "history entry @2 (SupportTriage)"; None for the jobs started here.
        self.watching: Optional[str] = None
        #: How the Run step tells that every job has ended (``tui_app.wizard.notify``).
        #: ``notify_problem``: why the setting was not understood (the Run step says it).
        self.notify, self.notify_problem = notify_mode()
        #: Jobs to open the Run step on once signed in: ``jobrefs.Ref``s (``startjob watch
        #: --tui``) or a draft's started jobs (``drafts.Draft``).
        self.pending_watch: Any = None
        self.profiles, self.profiles_error = _load_profiles()
        #: The last start's outcome could not be found out (the next Start asks first).
        self.unknown_start = False
        #: Shown on the Run step: how a lost StartJobs answer was resolved.
        self.start_notice: Optional[str] = None
        #: The template the choice was saved to or opened from, with the fingerprint of that
        #: choice (see ``template_identity``); an opened one is fingerprinted once filled in.
        self._template: Optional[tuple[TemplateIdentity, tuple[Any, ...]]] = None
        self.opened = TemplateIdentity(template.name, template_path) if template else None
        #: The ``[bindings]`` of the template opened or last saved (the Save dialog's start).
        self.bindings: dict[str, str] = dict(template.bindings) if template else {}
        #: A template to apply once signed in (``startjob open``, a resumed draft).
        self.pending_template = template
        #: The production guard keys of the template opened (``tui_app.guard``): they
        #: protect the whole session, and a template saved from it keeps them.
        self.template_guard = GuardKeys.of(template)
        #: The pending template is a resumed draft (it skips the drift check).
        self.pending_is_draft = False
        self.pending_draft: Optional[drafts.Draft] = None
        self.drift_findings: list[Finding] = []
        #: Robots left out of the Strategy step's pool (they take no unattended job), per
        #: ``state.robots_key()``.
        self.not_offered: dict[str, list[Robot]] = {}
        #: Runtime counts per modern folder id (``GetRuntimesForFolder``), as last fetched.
        self.runtimes: dict[int, list[RuntimeCapacity]] = {}
        #: The entry points to choose from per release key, with a note when only the
        #: release's own could be listed (``load_entry_points``).
        self.entry_point_lists: dict[str, tuple[list[EntryPoint], str]] = {}
        #: Machine sessions (hosts) per (folder id, runtime type), as last fetched.
        self.sessions: dict[tuple[int, str], list[MachineSession]] = {}
        #: Output arguments read from a job's OutputFile, per job id.
        self.outputs: dict[int, Optional[str]] = {}
        #: The last pre-flight check: (the body it checked, without its Reference; answer).
        self._preflight: Optional[tuple[str, ServerCheck]] = None
        #: The clock of the "why is it Pending?" check (``policy.pending_check_after``).
        self.clock: Callable[[], float] = time.monotonic
        self._pending_watch: Optional[PendingWatch] = None
        #: What Orchestrator said about each job that stayed Pending.
        self.pending_checks: dict[int, ServerCheck] = {}
        #: The queue steps (``state.action == "add_queue_item"``).
        self.queue = QueueSteps(self)
        #: A hand-off form copied or chosen on Review, printed once the wizard has ended (a
        #: terminal that ignores OSC 52 still gets it).
        self.handoff_on_exit: Optional[str] = None

    # -- the flow -------------------------------------------------------------------------

    def facts(self) -> flow.Facts:
        """What the flow's skip rules look at, from the current choices."""
        from tui_app.arguments import ArgumentsFormatError

        state = self.state
        try:
            has_arguments = bool(self.argument_specs())
        except ArgumentsFormatError:
            has_arguments = True  # the Arguments step explains what is wrong
        return flow.Facts(
            connected=self.client is not None,
            folders=len(state.folders),
            release_chosen=state.release is not None,
            releases=len(state.releases),
            has_arguments=has_arguments,
            action=state.action,
        )

    @property
    def adds_item(self) -> bool:
        """The Action step chose to add a queue item (not to start a job)."""
        return self.state.action == "add_queue_item"

    def choose_action(self, action: str) -> None:
        """Start a job or add a queue item (``tui_app.actions`` names)."""
        self.state.action = action

    def step_names(self) -> tuple[str, ...]:
        """The steps of the chosen action's flow (the step indicator shows them)."""
        return flow.step_names(self.facts())

    def next_step(self, step: str) -> str:
        """The step after ``step`` for the current choices (skipping what does not apply)."""
        return flow.next_step(step, self.facts())

    def skipped_steps(self) -> tuple[str, ...]:
        """Steps the current choices skip, shown dimmed in the step indicator."""
        return flow.skipped_steps(self.facts())

    # -- connection -----------------------------------------------------------------------

    def initial_profile(self) -> str:
        """The profile the Connect step starts on: the chosen one, else the last used one
        (unless a URL was given on the command line or in the environment), else none."""
        settings = self.state.settings
        if settings.profile in self.profiles:
            return settings.profile
        if settings.url or self.demo:
            return ""
        from tui_app.profiles import last_profile

        last = last_profile()
        return last if last in self.profiles else ""

    def missing_to_sign_in(self, settings: ConnectionSettings) -> list[tuple[str, str]]:
        """(field, label) of the settings still needed to sign in, in form order; a secret
        that the chosen profile reads from its source (not asked) is not missing."""
        profile = self.profiles.get(settings.profile)
        from_source = (
            profile.secret_field
            if profile is not None and profile.secret_source in ("env", "command", "file")
            else None
        )
        needed = set(settings.missing())
        found = []
        for name in ("url", "client_id", "client_secret", "tenancy_name", "username",
                     "password", "token"):
            if name == from_source or getattr(settings, name).strip():
                continue
            gained = needed - set(settings.with_(**{name: "x"}).missing())
            if gained:
                found.append((name, gained.pop()))
        return found

    async def with_profile_secret(self, settings: ConnectionSettings) -> ConnectionSettings:
        """Fill an empty secret from the chosen profile's source (may run a command, so it
        runs in a thread). Raises ``SecretPromptNeeded`` when the profile asks every time."""
        from tui_app.secret_sources import resolve_secret

        profile = self.profiles.get(settings.profile)
        if profile is None or getattr(settings, profile.secret_field):
            return settings
        secret = await asyncio.to_thread(resolve_secret, profile)
        return settings.with_(**{profile.secret_field: secret})

    def save_profile(self, request: SaveProfileRequest, settings: ConnectionSettings) -> Path:
        """Save ``settings`` as a profile (the secret only if the person chose to store it)."""
        from tui_app.profiles import profile_from_settings, save_profile

        profile = profile_from_settings(request.name, settings, **request.source)
        secret = getattr(settings, profile.secret_field) if request.store_secret else None
        path = save_profile(profile, secret=secret, store_secret=request.store_secret)
        self.profiles, self.profiles_error = _load_profiles()
        return path

    async def connect(self, settings: ConnectionSettings) -> list[Folder]:
        """Sign in with ``settings`` and list the folders (one call proves both). Raises
        ``ServerProblem`` saying what to do next."""
        client = settings.open_client(**self.client_options)
        try:
            folders = await client.list_folders()
        except OrchestratorError as exc:
            await client.aclose()
            raise ServerProblem(explain_connect_failure(exc, settings)) from exc
        except BaseException:
            await client.aclose()
            raise
        await self.disconnect()
        self.client = client
        self.state.settings = settings
        if settings.profile:
            from tui_app.profiles import remember_profile

            try:
                remember_profile(settings.profile)
            except OSError:
                pass  # remembering the last profile is a convenience, never a failure
        self.state.folders = sorted(folders, key=lambda f: f.fully_qualified_name.lower())
        return self.state.folders

    async def disconnect(self) -> None:
        if self.client is not None:
            await self.client.aclose()
            self.client = None

    # -- choices --------------------------------------------------------------------------

    def choose_folder(self, folder: Folder) -> None:
        state = self.state
        if state.folder is not None and state.folder.id != folder.id:
            state.search_text = ""  # the last folder's search would find nothing here
        if state.folder is None or state.folder.id != folder.id:
            state.release = None
            state.releases = []
            state.environments = {}
            if state.queue.added is None:  # a queue is another folder's: choose again
                state.queue = dataclasses.replace(QueueChoice(), item=state.queue.item)
        state.folder = folder
        self.client.use_folder(folder)

    async def search_releases(self, text: str, top: int) -> Page:
        """One page of the releases whose process matches ``text``."""
        with asking_orchestrator():
            page: Page = await self.client.search_releases(text.strip(), top=top)
        return page

    async def pick_process(self, key: str, listed: Sequence[Release], *, complete: bool) -> None:
        """Choose the process ``key`` with the releases ``listed`` for it; when the list was
        cut short (not ``complete``), every release of the process is asked for first."""
        releases = list(listed)
        if not complete:
            with asking_orchestrator():
                releases = await self.client.releases_for_process(key)
        self.choose_process(releases)

    def choose_process(self, releases: Sequence[Release]) -> None:
        """Keep the releases of the chosen process; one release is chosen at once."""
        self.state.releases = list(releases)
        current = self.state.release
        if len(releases) == 1:
            self.state.release = releases[0]
        elif current is None or current.id not in {r.id for r in releases}:
            self.state.release = None

    def choose_release(self, release: Release) -> None:
        self.state.release = release

    # -- robots ---------------------------------------------------------------------------

    def robot_pool(self) -> Sequence[Robot]:
        """The robots the current choice picks from, as fetched (the state's own sequence):
        the release's environment (classic) or the folder's robots (modern)."""
        state = self.state
        if state.is_classic:
            environment = state.environment()
            return environment.robots if environment else ()
        return state.folder_robots.get(state.folder.id, ()) if state.folder else ()

    def robots_loaded(self) -> bool:
        """The robots of the current choice were fetched (``load_robots`` asks nothing)."""
        state = self.state
        if state.is_classic:
            return self._environment_name() in state.environments
        return state.folder is None or state.folder.id in state.folder_robots

    def _environment_name(self) -> str:
        release = self.state.release
        return (release.environment_name or "") if release is not None else ""

    async def load_robots(self) -> Optional[Sequence[Robot]]:
        """The robot pool, fetched once per environment or folder, without the robots that
        take no unattended job (``not_offered``); None when the release's environment no
        longer exists."""
        state = self.state
        with asking_orchestrator():
            if state.is_classic:
                name = self._environment_name()
                if name not in state.environments:
                    environment = await self.client.environment_robots(name)
                    if environment is None:
                        return None
                    offered = self._offer(environment.robots)
                    state.environments[name] = dataclasses.replace(environment,
                                                                   robots=tuple(offered))
            elif state.folder is not None and state.folder.id not in state.folder_robots:
                robots = await self.client.folder_robots(state.folder.id)
                state.folder_robots[state.folder.id] = self._offer(robots)
        return self.robot_pool()

    def _offer(self, robots: Sequence[Robot]) -> list[Robot]:
        """The robots that can take an unattended job; the others go to ``not_offered``."""
        takes = [takes_unattended_jobs(robot) for robot in robots]
        self.not_offered[self.state.robots_key()] = [
            robot for robot, ok in zip(robots, takes) if not ok]
        return [robot for robot, ok in zip(robots, takes) if ok]

    def robot_counts(self) -> str:
        """The pool's robots by state, and those not offered, e.g. "Robots: 2 Available,
        1 Busy; not listed: SUPPORT-ATT (Attended: Orchestrator starts no unattended job
        on it)." ("" before the robots are fetched)."""
        if not self.robots_loaded():
            return ""
        states = [robot.state for robot in self.robot_pool()]
        counts = ", ".join(f"{states.count(s)} {s}" for s in dict.fromkeys(states)) or "none"
        text = f"Robots: {counts}."
        hidden = self.not_offered.get(self.state.robots_key(), [])
        if hidden:
            names = ", ".join(f"{robot.name} ({robot.type})" for robot in hidden[:3])
            more = f" and {len(hidden) - 3} more" if len(hidden) > 3 else ""
            text += (f" Not listed: {names}{more}: Orchestrator starts no unattended job on "
                     "attended or developer robots.")
        return text

    # -- runtimes (modern folders) ----------------------------------------------------------

    async def load_runtimes(self) -> Optional[list[RuntimeCapacity]]:
        """The runtime counts of the chosen modern folder, asked anew; None for a classic
        folder or a server without them. Raises ``ServerProblem``."""
        folder = self.state.folder
        if folder is None or self.state.is_classic:
            return None
        try:
            with asking_orchestrator():
                capacities = await self.client.runtimes_for_folder(folder.id)
        except ServerProblem as problem:
            if isinstance(problem.error, NotAvailable):
                self.runtimes.pop(folder.id, None)
                return None
            raise
        self.runtimes[folder.id] = list(capacities)
        return self.runtimes[folder.id]

    def known_runtimes(self) -> Optional[list[RuntimeCapacity]]:
        """The runtime counts last fetched for the chosen folder, or None."""
        folder = self.state.folder
        return self.runtimes.get(folder.id) if folder is not None else None

    def runtime_lines(self, runtime_type: str) -> list[str]:
        """ "Unattended: 1 of 2 available, 2 connected" for ``runtime_type`` and every other
        type the folder has (empty when the counts are not known)."""
        capacities = self.known_runtimes()
        if capacities is None:
            return []
        return [f"{wanted}: {self.runtime_words(wanted)}" for wanted in
                dict.fromkeys([runtime_type, *(c.type for c in capacities if c.total)])]

    def runtime_words(self, runtime_type: str) -> str:
        """ "1 of 2 available, 2 connected" (Available / Total / Connected) for
        ``runtime_type``; "none in this folder"; "" when the counts are not known."""
        capacities = self.known_runtimes()
        if capacities is None:
            return ""
        found = next((c for c in capacities if c.type == runtime_type), None)
        if found is None or not found.total:
            return "none in this folder"
        return f"{found.available} of {found.total} available, {found.connected} connected"

    def runtime_types(self) -> list[str]:
        """The runtime types the Strategy step offers: those the folder has that the
        release can use (``resolver.runtime_types_for``); the chosen one when none is left."""
        release = self.state.release
        types = (runtime_types_for(release, self.known_runtimes()) if release is not None
                 else list(RUNTIME_TYPES))
        return types or [self.state.runtime_type]

    def runtime_warning(self, runtime_type: str) -> Optional[str]:
        """What happens to a job of ``runtime_type`` when none of its runtimes is free
        (None when one is, or the counts are not known)."""
        capacities = self.known_runtimes()
        return None if capacities is None else runtime_note(capacities, runtime_type)

    def ticked_robots(self) -> set[int]:
        """The ids ticked for the current environment or folder (the state's own set)."""
        return self.state.selected_robots.setdefault(self.state.robots_key(), set())

    def chosen_robots(self) -> list[Robot]:
        """The robots the current strategy names (with their ``.state``): the ticked ones,
        or for All every robot of the environment."""
        kind = self.state.strategy_kind
        pool = self.robot_pool()
        if kind == "All":
            return list(pool)
        if kind in ROBOT_STRATEGIES:
            return chosen_robots(pool, self.state.selected_robots.get(self.state.robots_key(), ()))
        return []

    # -- start options (the Options step) -----------------------------------------------------

    def several_entry_points(self) -> bool:
        """The release supports several entry points (the Options step offers a choice)."""
        release = self.state.release
        return bool(release is not None and release.supports_multiple_entry_points)

    async def load_entry_points(self) -> tuple[list[EntryPoint], str]:
        """The entry points to choose from, and a note ("" or why only the release's own is
        listed); asked once per release, and only when it supports several. Raises
        ``ServerProblem``."""
        release = self._release()
        if release.key not in self.entry_point_lists:
            found, note = None, ""
            if release.supports_multiple_entry_points:
                try:
                    with asking_orchestrator():
                        found = await self.client.entry_points(release)
                except ServerProblem as problem:
                    if not isinstance(problem.error, NotAvailable):
                        raise
                    note = ("The entry points of this release cannot be listed here: its own "
                            "entry point is used.")
            self.entry_point_lists[release.key] = (entry_points_or_own(release, found), note)
        return self.entry_point_lists[release.key]

    def entry_point(self, release: Optional[Release] = None,
                    path: Optional[str] = None) -> Optional[EntryPoint]:
        """The entry point ``path`` of ``release`` (default: the chosen ones); None for the
        release's own, or while the list is not read yet."""
        if release is None:
            release, path = self.state.release, self.state.options.entry_point
        listed = self.entry_point_lists.get(release.key) if release is not None else None
        return entry_point_named(listed[0], path) if listed and path else None

    def argument_specs(self, plan: Optional[StartPlan] = None) -> tuple:
        """The input arguments of the chosen release and entry point (the argument form), or
        of ``plan``'s."""
        if plan is not None:
            return argument_specs(plan.release,
                                  self.entry_point(plan.release, plan.options.entry_point))
        return argument_specs(self.state.release, self.entry_point())

    def choose_entry_point(self, path: str) -> list[str]:
        """Choose the entry point at ``path`` ("" or the release's own: none is sent). Typed
        values whose argument the new entry point lacks, or whose text no longer fits its
        type, are dropped and never sent; their names are returned."""
        from tui_app.arguments import ArgumentsFormatError, ArgumentValueError

        state = self.state
        own = (state.release.entry_point_path or "") if state.release else ""
        if own and entry_point_named([EntryPoint(own)], path) is not None:
            path = ""
        if path == state.options.entry_point:
            return []
        state.options.entry_point = path
        try:
            specs = {spec.name: spec for spec in self.argument_specs()}
        except ArgumentsFormatError:
            specs = {}
        dropped = []
        for name, text in list(state.argument_texts.items()):
            spec = specs.get(name)
            fits = spec is not None
            if spec is not None and text.strip():
                try:
                    spec.parse(text)
                except ArgumentValueError:
                    fits = False
            if not fits:
                dropped.append(name)
                del state.argument_texts[name]
        state.argument_values = {name: value for name, value in state.argument_values.items()
                                 if name in specs and name not in dropped}
        return dropped

    def priority(self) -> Priority:
        """The chosen priority: None (the release's own), a level, or a specific value
        (``PlanError`` for a value that is not a whole number from 1 to 100)."""
        choice = self.state.options
        if choice.priority == "inherit":
            return None
        if choice.priority != "value":
            return choice.priority
        text = choice.priority_value.strip()
        if not (text.isascii() and text.isdigit()
                and MIN_PRIORITY_VALUE <= int(text) <= MAX_PRIORITY_VALUE):
            raise PlanError(f"Priority: type a whole number from {MIN_PRIORITY_VALUE} to "
                            f"{MAX_PRIORITY_VALUE} (got {visible(text, single_line=True)!r}).")
        return int(text)

    def _sessions_key(self) -> Optional[tuple[int, str]]:
        folder = self.state.folder
        if folder is None or self.state.is_classic:
            return None
        return (folder.id, self.state.runtime_type)

    async def load_machine_sessions(self) -> Optional[list[MachineSession]]:
        """The hosts of the modern folder for the chosen runtime type (asked once per folder
        and type); None for a classic folder or a server without the list. Raises
        ``ServerProblem``."""
        key = self._sessions_key()
        if key is None:
            return None
        if key not in self.sessions:
            try:
                with asking_orchestrator():
                    found = await self.client.machine_sessions(*key)
            except ServerProblem as problem:
                if isinstance(problem.error, NotAvailable):
                    return None
                raise
            self.sessions[key] = sorted(found, key=lambda s: (s.machine_name.casefold(),
                                                               s.host_machine_name.casefold()))
        return self.sessions[key]

    def known_sessions(self) -> Optional[list[MachineSession]]:
        """The machine sessions last fetched for the folder and runtime type, or None."""
        key = self._sessions_key()
        return self.sessions.get(key) if key is not None else None

    def target(self) -> Optional[MachineTarget]:
        """The chosen machine (and host) with its session ids (none when they are not
        known: the plan then says to choose again), or None: Orchestrator picks."""
        choice = self.state.options
        if not choice.machine or self._sessions_key() is None:
            return None
        host = choice.host or None
        return (machine_target(self.known_sessions() or (), choice.machine, host)
                or MachineTarget(choice.machine, host))

    def target_warning(self) -> Optional[str]:
        """Which chosen hosts take no job now: maintenance mode, unresponsive or
        disconnected (``MachineSession.takes_jobs``, as drift judges them; None: none)."""
        choice = self.state.options
        if not choice.machine:
            return None
        hosts = [s for s in self.known_sessions() or ()
                 if s.machine_name.casefold() == choice.machine.casefold()
                 and (not choice.host or s.host_machine_name.casefold() == choice.host.casefold())]
        bad = [s for s in hosts if not s.takes_jobs]
        if not bad:
            return None
        names = ", ".join(f"{s.host_machine_name} ({s.status_words()})" for s in bad)
        tail = ("; the jobs wait Pending until it is back" if len(bad) == len(hosts)
                else "; Orchestrator uses the other hosts")
        return f"Not taking jobs now: {visible(names, single_line=True)}{tail}."

    def _durations(self) -> dict[str, Optional[int]]:
        """The typed durations in seconds (``PlanError`` naming the field that is not one);
        Kill after only counts with a soft stop."""
        choice, found = self.state.options, {}
        for name, label in DURATION_FIELDS:
            text = getattr(choice, name).strip()
            if name == "kill_after" and choice.stop_strategy != "SoftStop":
                text = ""
            try:
                found[name] = parse_duration(text) if text else None
            except OptionError as exc:
                raise PlanError(f"{label}: {exc}") from None
        if found["kill_after"] is not None and found["stop_after"] is None:
            raise PlanError("Kill after: type a Stop after duration first (the grace period "
                            "counts from the soft stop).")
        return found

    def options_problem(self) -> Optional[tuple[str, str]]:
        """(field, message) for the first Options field that cannot be used, or None."""
        problem = self._entry_point_problem()
        if problem:
            return "entry_point", problem
        try:
            self.priority()
        except PlanError as exc:
            return "priority_value", str(exc)
        try:
            self._durations()
        except PlanError as exc:
            name = next(n for n, label in DURATION_FIELDS if str(exc).startswith(label + ":"))
            return name, str(exc)
        target = self.target()
        if target is not None and not target.session_ids:
            return "machine", (f"No session of {target.describe()} is known in this folder; "
                               "choose another machine or Orchestrator picks.")
        return None

    def _entry_point_problem(self) -> Optional[str]:
        """Why the chosen entry point cannot be sent (listed, and not in the list)."""
        release, path = self.state.release, self.state.options.entry_point
        if release is None or not path or release.key not in self.entry_point_lists:
            return None
        if self.entry_point() is not None:
            return None
        return (f"Entry point: {visible(path, single_line=True)!r} is not in this release; "
                "choose another.")

    def start_options(self) -> StartOptions:
        """The Options step's choice as ``StartOptions`` (``PlanError`` for a bad field)."""
        problem = self._entry_point_problem()
        if problem:
            raise PlanError(problem)
        choice = self.state.options
        return StartOptions(entry_point=choice.entry_point or None, target=self.target(),
                            stop_strategy=choice.stop_strategy, large_input=choice.large_input,
                            **self._durations())

    async def output_arguments(self, job: Job) -> Optional[str]:
        """An ended job's output arguments: ``OutputArguments``, or its ``OutputFile``
        downloaded once. Raises ``ServerProblem`` (asked again next time)."""
        from tui_app.outputs import output_arguments

        if job.id not in self.outputs:
            with asking_orchestrator():
                self.outputs[job.id] = await output_arguments(self.client, job)
        return self.outputs[job.id]

    def known_output(self, job: Job) -> Optional[str]:
        """The output arguments known for ``job`` without asking (None: none, or not read)."""
        return job.output_arguments or self.outputs.get(job.id)

    def output_due(self, job: Job) -> bool:
        """``job`` ended with an OutputFile that was not read yet."""
        return (job.is_final and bool(job.output_file) and not job.output_arguments
                and job.id not in self.outputs)

    # -- the plan -------------------------------------------------------------------------

    def current_plan(self) -> StartPlan:
        """The StartPlan for everything chosen so far (raises PlanError when incomplete,
        ValueError for a number of jobs that is not one)."""
        from tui_app.templates import StrategySpec

        state = self.state
        kind = state.strategy_kind
        spec = StrategySpec(
            kind=kind,
            jobs_count=parse_jobs_count(state.jobs_count_text) if kind in COUNTED else 1,
            runtime_type=state.runtime_type,
        )
        robots = self.chosen_robots() if kind in ROBOT_STRATEGIES else []
        return StartPlan(
            release=self._release(),
            strategy=dataclasses.replace(strategy_choice(spec, robots), priority=self.priority()),
            arguments=dict(state.argument_values),
            folder=state.folder,
            reference=self.reference,
            options=self.start_options(),
        )

    def _release(self) -> Release:
        if self.state.release is None:
            raise PlanError("Choose a process first.")
        return self.state.release

    def shown_arguments(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """``arguments`` as shown on screen: ``ask`` values are MASK."""
        return {
            name: MASK if name in self.state.ask_names else value
            for name, value in arguments.items()
        }

    def summary_rows(self, plan: StartPlan) -> list[tuple[str, str]]:
        """(label, value) rows summing up ``plan`` for the Review step (``ask`` values are
        MASK; the values are raw text: the screen makes them visible)."""
        from tui_app.availability import availability_note
        from tui_app.summary import plan_rows

        settings = self.state.settings
        rows = [
            ("Orchestrator", settings.url),
            ("Signed in by", AUTH_MODE_LABELS[settings.auth_mode]),
        ]
        rows += self.guard().summary_rows()
        # The same rows as ``startjob run`` prints, and the robots that are not Available.
        for label, value in plan_rows(plan, self.argument_specs(plan),
                                      hidden=self.state.ask_names, hidden_as=MASK):
            rows.append((label, value))
            if label != "Strategy":
                continue
            note = availability_note(self.chosen_robots())
            if note:
                rows.append(("Robots", note))
            if plan.strategy.kind == MODERN_STRATEGY:
                lines = self.runtime_lines(plan.strategy.runtime_type)
                if lines:
                    rows.append(("Runtimes", "; ".join(lines)))
        return rows

    # -- the production guard -----------------------------------------------------------------

    def guard(self, profile_name: Optional[str] = None) -> Guard:
        """The production guard of the current choice (``tui_app.guard``): the profile
        signed in with (``profile_name``: the one chosen on Connect), the template opened,
        the folder, and how many jobs a start creates (None until that is known). Every
        step shows ``banner()``; Review asks with it."""
        state = self.state
        name = state.settings.profile if profile_name is None else profile_name
        profile = self.profiles.get(name) if name else None
        if self.adds_item:
            queue = state.queue.queue
            return decide(profile=profile, template=self.template_guard, folder=state.folder,
                          what=queue.name if queue is not None else "", item=True)
        release = state.release
        return decide(profile=profile, template=self.template_guard, folder=state.folder,
                      what=release.process_key if release is not None else "",
                      jobs=self._planned_jobs())

    def _planned_jobs(self) -> Optional[int]:
        kind = self.state.strategy_kind
        try:
            count = parse_jobs_count(self.state.jobs_count_text) if kind in COUNTED else 1
        except ValueError:
            return None
        robots = len(self.chosen_robots()) if kind in ROBOT_STRATEGIES else 0
        pool = self.robot_pool() if self.robots_loaded() else None
        return planned_jobs(kind, robots=robots, jobs_count=count, pool=pool)

    def with_guard_keys(self, template: Template) -> Template:
        """``template`` (being saved) with the guard keys of the template opened."""
        keys = self.template_guard
        if keys is None:
            return template
        return dataclasses.replace(template, protected=keys.protected,
                                   max_jobs=keys.max_jobs if not self.adds_item else None)

    # -- the pre-flight check ---------------------------------------------------------------

    @staticmethod
    def _body_key(info: dict[str, Any]) -> str:
        """A start body without its Reference (each attempt carries a new one)."""
        return json.dumps({k: v for k, v in info.items() if k != "Reference"}, sort_keys=True,
                          default=str)

    @staticmethod
    def preflight_body(plan: StartPlan) -> dict[str, Any]:
        """The body the pre-flight check sends: the start body with its options; when the
        arguments go as a file, without ``InputFile`` / ``InputArguments`` (the attachment
        is only uploaded at Start)."""
        info = plan.preview_info()
        if plan.sends_file:
            info.pop("InputFile", None)
            info.pop("InputArguments", None)
        return info

    def checked_preflight(self) -> Optional[ServerCheck]:
        """The pre-flight answer for the current choices, when one was asked for them."""
        if self._preflight is None:
            return None
        try:
            key = self._body_key(self.preflight_body(self.current_plan()))
        except (PlanError, ValueError):
            return None
        return self._preflight[1] if self._preflight[0] == key else None

    async def preflight(self) -> ServerCheck:
        """Ask Orchestrator whether the exact start body would run (``ValidateDynamicJob``;
        it starts nothing): once per body, the same choices get the same answer. Raises
        ``PlanError`` / ``ValueError`` for unfinished choices, never for the server: a check
        that fails says why in ``problem`` (and is asked again next time)."""
        info = self.preflight_body(self.current_plan())
        key = self._body_key(info)
        if self._preflight is not None and self._preflight[0] == key:
            return self._preflight[1]
        try:
            check = await self._check(self.client.validate_dynamic_job(info))
        except RateLimited:
            return ServerCheck(problem="Orchestrator asks to slow down; the check was not made.")
        if not check.problem:
            self._preflight = (key, check)
        return check

    async def _check(self, asking: Awaitable[Any]) -> ServerCheck:
        """The ``ServerCheck`` of a validation request (``RateLimited`` is raised)."""
        try:
            result = await asking
        except NotAvailable:
            return ServerCheck(available=False)
        except RateLimited:
            raise
        except OrchestratorError as exc:
            return ServerCheck(problem=self.without_secrets(f"{exc.title}. {exc.message}"))
        return ServerCheck(tuple(
            dataclasses.replace(finding, sentence=self.without_secrets(finding.sentence),
                                advice=self.without_secrets(finding.advice))
            for finding in diagnosis.findings(result)
        ))

    # -- the template of the choice ---------------------------------------------------------

    def _choice_fingerprint(self) -> tuple[Any, ...]:
        """What a template stores of the current choice: folder, release, strategy (kind,
        robots, count, runtime) and argument values (``ask`` ones are typed each time)."""
        state = self.state
        if self.adds_item:
            return ("add_queue_item", *self.queue.fingerprint())
        kind = state.strategy_kind
        robots: tuple[int, ...] = ()
        if kind in ROBOT_STRATEGIES:
            robots = tuple(sorted(state.selected_robots.get(state.robots_key(), ())))
        return (
            state.folder.id if state.folder else None,
            state.release.key if state.release else None,
            kind,
            robots,
            state.jobs_count_text.strip() if kind in COUNTED else "",
            state.runtime_type if kind == MODERN_STRATEGY else "",
            dataclasses.astuple(state.options),
            self._arguments_fingerprint(),
        )

    def _arguments_fingerprint(self) -> tuple[tuple[str, str], ...]:
        """The argument values the typed texts mean, without ``ask`` ones and without those
        equal to the process default (the form shows defaults as if typed)."""
        from tui_app.arguments import ArgumentsFormatError, collect_values, parse_process_defaults
        from tui_app.arguments.jsontext import dumps

        state = self.state
        texts = {n: t for n, t in state.argument_texts.items() if n not in state.ask_names}
        if state.release is None:
            return tuple(sorted(texts.items()))
        try:
            specs = [s for s in self.argument_specs() if s.name not in state.ask_names]
            defaults = parse_process_defaults(state.release.input_arguments)
        except ArgumentsFormatError:  # unreadable: the Arguments step says so
            return tuple(sorted(texts.items()))
        values, errors = collect_values(specs, texts, defaults)
        meant = {
            name: dumps(value)
            for name, value in values.items()
            if name not in defaults or dumps(defaults[name]) != dumps(value)
        }
        meant.update((name, f"error: {texts.get(name, '')}") for name in errors)
        return tuple(sorted(meant.items()))

    def remember_template(self, identity: TemplateIdentity) -> None:
        """The current choice is the one of ``identity`` (until a choice changes)."""
        self._template = (identity, self._choice_fingerprint())

    def template_identity(self) -> Optional[TemplateIdentity]:
        """The template the current choice was saved to or opened from, or None once any
        choice differs from it (Review, the Save dialog and the history all ask this)."""
        if self._template is None:
            return None
        identity, fingerprint = self._template
        return identity if fingerprint == self._choice_fingerprint() else None

    def template_default_name(self) -> str:
        """The name the Save dialog offers: the current template's, else one made up."""
        identity = self.template_identity()
        if identity is not None:
            return identity.name
        if self.adds_item:
            return self.queue.default_name()
        release = self._release()
        if release.environment_name:
            return f"{release.process_key} on {release.environment_name}"
        return release.process_key

    def headless_command(self) -> str:
        """``startjob run PATH`` for the current choice: the template's path, or the one
        the Save dialog would use (with a note that it is saved first)."""
        from tui_app.locations import templates_dir
        from tui_app.templates import slug

        demo = " --demo" if self.demo else ""  # a demo template runs on a fresh sandbox
        identity = self.template_identity()
        if self.adds_item:
            return self.queue.headless_command(identity)
        if identity is not None and identity.path is not None:
            return f"startjob run {shlex.quote(str(identity.path))}{demo}"
        path = templates_dir() / f"{slug(self.template_default_name())}.toml"
        return (f"startjob run {shlex.quote(str(path))}{demo}\n"
                "(once saved with Save template, ctrl+s)")

    def handoff_forms(self) -> list[Any]:
        """The current choice as ``handoff.Form``s to paste elsewhere (``startjob run``,
        curl, PowerShell, uip), with a Reference of their own and never a secret: ``ask``
        and secret-looking values come from environment variables. Raises ``PlanError`` /
        ``ValueError`` for unfinished choices."""
        from tui_app import handoff

        settings = self.state.settings
        where = handoff.Where(url=settings.url, auth_mode=settings.auth_mode,
                              tenancy_name=settings.tenancy_name,
                              identity_url=settings.identity_url, scope=settings.scope,
                              demo=self.demo)
        asked = set(self.state.ask_names)
        replay = self._handoff_replay()
        if self.adds_item:
            item = self.queue.current_plan()
            if not item.typed_reference:  # the wizard's own next Add keeps its reference
                item = dataclasses.replace(item, options=dataclasses.replace(
                    item.options, reference=self.reference_factory()))
            hidden = asked | {name for name in item.content if looks_secret(name)}
            parsers = {field.name: field.parse for field in self.queue.fields()}
            return handoff.queue_forms(item, where, replay, hidden=hidden, asked=asked,
                                       parsers=parsers)
        plan = dataclasses.replace(self.current_plan(), reference=self.reference_factory())
        hidden = asked | {name for name in plan.arguments if looks_secret(name)}
        parsers = {spec.name: spec.parse for spec in self.argument_specs(plan)}
        return handoff.job_forms(plan, where, replay, hidden=hidden, asked=asked,
                                 parsers=parsers)

    def _handoff_replay(self) -> Any:
        """The template the ``startjob run`` hand-off replays: the current one; the one the
        choice came from when only values differ (they go as ``--set``); else the file the
        Save dialog would write (saved first)."""
        from tui_app.handoff import Replay
        from tui_app.locations import templates_dir
        from tui_app.templates import slug

        if self._template is not None:
            identity, fingerprint = self._template
            where = str(identity.path) if identity.path is not None else identity.name
            differing = self._values_differing(fingerprint)
            if differing is not None:
                return Replay(where, saved=True, differing=differing)
        path = templates_dir() / f"{slug(self.template_default_name())}.toml"
        return Replay(str(path), saved=False)

    def _values_differing(self, saved: tuple[Any, ...]) -> Optional[frozenset]:
        """The names whose value differs between the ``saved`` choice fingerprint and the
        current one, or None when anything else differs (folder, process, strategy…)."""
        def split(fingerprint: tuple[Any, ...]) -> tuple[tuple[Any, ...], dict[str, Any]]:
            if fingerprint and fingerprint[0] == "add_queue_item":
                _, queue, content, rows, item = fingerprint
                values = {**dict(content), **{row[0]: row[1:] for row in rows}}
                return (queue, item), values
            return fingerprint[:-1], dict(fingerprint[-1])

        (rest, before), (now_rest, now) = split(saved), split(self._choice_fingerprint())
        if rest != now_rest:
            return None
        return frozenset(name for name in {*before, *now} if before.get(name) != now.get(name))

    def argument_names(self) -> list[str]:
        """The input argument names of the chosen release, or the queue item's content
        names (the Save dialog's ``ask`` list)."""
        if self.adds_item:
            return self.queue.content_names()
        return [spec.name for spec in self.argument_specs()]

    def binding_targets(self) -> list:
        """What a binding can fill, for the Bindings dialog's preview: the chosen release's
        ``ArgumentSpec``s, or the queue's ``ContentField``s (names alone without a schema)."""
        if self.adds_item:
            return list(self.queue.fields()) or self.queue.content_names()
        return list(self.argument_specs())

    def keep_bindings(self, bindings: Mapping[str, str]) -> dict[str, str]:
        """``bindings`` of the names the current choice still has (a binding of an argument
        the chosen release lacks would not load)."""
        names = set(self.argument_names())
        return {name: path for name, path in bindings.items() if name in names}

    def save_template(self, request: SaveTemplateRequest, *, overwrite: bool = False) -> Path:
        """Write the current choices as a template (never a secret); return its path.
        Raises ``FileExistsError`` (unless ``overwrite``), ``OSError``, ``ValueError``."""
        from tui_app.library import personal_target
        from tui_app.templates import save_template, template_from_plan

        if self.adds_item:
            return self.queue.save_template(request, overwrite=overwrite)
        plan = self.current_plan()
        template = template_from_plan(
            plan,
            name=request.name,
            description=request.description,
            url=self.state.settings.url,
            specs=list(self.argument_specs()),
            ask=request.ask,
            bindings=self.keep_bindings(request.bindings),
            demo=self.demo,
        )
        template = self.with_guard_keys(template)
        path = save_template(template, personal_target(request.path), overwrite=overwrite)
        self.bindings = dict(template.bindings)
        self.state.ask_names = self.state.ask_names | frozenset(request.ask)
        self.remember_template(TemplateIdentity(template.name, path))
        return path

    def template_source(self) -> Optional[Path]:
        """The file of the template the choice was saved to or opened from (the Save dialog
        says when it is a shared one)."""
        identity = self.template_identity() or self.opened
        return identity.path if identity is not None else None

    # -- starting and following ---------------------------------------------------------------

    async def start_jobs(self) -> StartOutcome:
        """Send StartJobs once and find out what really happened (``StartOutcome``).

        The request carries a unique Reference; when the answer is lost, Orchestrator is
        asked whether jobs with that Reference exist, so a start is never repeated blindly.
        """
        from tui_app.starting import NOT_STARTED, StartOutcome, prepare_input, start_once

        plan = self.current_plan()
        try:
            plan = await prepare_input(self.client, plan)
        except OrchestratorError as exc:
            self._preflight = None
            return StartOutcome(NOT_STARTED, reference=plan.reference or "", message=(
                self.without_secrets(f"No job was started: the input arguments could not be "
                                     f"uploaded as a job attachment: {exc.title}. {exc.message}")))
        outcome = await start_once(self.client, plan.start_info())
        self.reference = self.reference_factory()  # another attempt is a new start
        self.unknown_start = outcome.unknown
        if outcome.started:
            self.state.jobs = list(outcome.jobs)
            self.watching = None
            self.history_entry = self._record_start(plan, outcome.jobs, await self.identity())
        else:
            self._preflight = None  # Review checks again: something may have changed
        return outcome

    def start_failure_text(self, outcome: StartOutcome) -> str:
        """What Review says about a start that started nothing: for a refusal, the reason in
        words (``diagnosis.explain_refusal``), then the server's own words; otherwise the
        outcome's message."""
        from tui_app.starting import REFUSED, classify_failure

        error = outcome.error
        finding = None
        if outcome.not_started and error is not None and classify_failure(error) == REFUSED:
            finding = diagnosis.explain_refusal(error)
        if error is None or finding is None:
            return self.without_secrets(outcome.message)
        said = (error.server_message or error.message).strip()
        details = error.details()
        return self.without_secrets(
            f"No job was started: {finding.sentence} {finding.advice}\n"
            f"Orchestrator said: {said}" + (f" ({details})" if details else "")
            + ". Starting again is safe once the problem is fixed."
        )

    async def identity(self) -> Any:
        """The Orchestrator identity signed in (``tui_app.identity.who_started``), asked once
        per session; None when it cannot be told (a failure never stops anything)."""
        from tui_app.identity import who_started

        if self._identity is None:
            self._identity = (await who_started(self.client, self.state.settings),)
        return self._identity[0]

    def where(self, identity: Any) -> dict[str, Any]:
        """The history fields saying where and as whom: Orchestrator URL, tenant, identity."""
        from tui_app.urls import without_userinfo

        settings = self.state.settings
        return {
            "orchestrator_url": without_userinfo(settings.url) or None,
            "tenant": settings.tenant or getattr(identity, "tenancy_name", "") or None,
            "identity": identity,
        }

    def recorded_body(self, plan: StartPlan) -> Optional[dict]:
        """The start body as sent, with ``ask`` (and secret-looking) argument values MASK."""
        hidden = {name: MASK for name in plan.arguments
                  if name in self.state.ask_names or looks_secret(name)}
        try:
            return dataclasses.replace(plan, arguments={**plan.arguments, **hidden}).start_info()
        except (PlanError, ValueError):
            return None

    def _record_start(self, plan: StartPlan, jobs: Sequence[Job],
                      identity: Any = None) -> Optional[HistoryEntry]:
        """Append the start to the history file; a history problem never hides the jobs."""
        from tui_app.history import record_start
        from tui_app.locations import LocationError

        template = self.template_identity()
        try:
            return record_start(
                "wizard",
                plan,
                jobs,
                template_name=template.name if template else None,
                template_path=str(template.path) if template and template.path else None,
                body=self.recorded_body(plan),
                **self.where(identity),
            )
        except (OSError, ValueError, LocationError) as exc:
            self.warn(f"The history file could not be written: {exc}")
            return None

    def _record_restart(self, old: Job, new: Job, identity: Any) -> None:
        """Append a restart from the Run step to the history (as its own start)."""
        from tui_app.history import HistoryEntry, append_entry, history_jobs, identity_json
        from tui_app.locations import LocationError

        first = self.history_entry
        release, folder = self.state.release, self.state.folder
        where = self.where(identity)
        try:
            self.restart_entries.append(append_entry(HistoryEntry(
                source="wizard",
                process_key=(release.process_key if release else
                             first.process_key if first else old.release_name),
                release_key=release.key if release else first.release_key if first else "",
                folder=folder.fully_qualified_name if folder else "",
                folder_id=folder.id if folder else None,
                strategy="Restart",
                jobs=history_jobs([new]),
                reference=new.reference or None,
                orchestrator_url=where["orchestrator_url"],
                tenant=where["tenant"],
                identity=identity_json(identity),
            )))
        except (OSError, ValueError, LocationError) as exc:
            self.warn(f"The history file could not be written: {exc}")

    def record_final_states(self) -> None:
        """Add the final states of the jobs that ended to their history entries (the start's,
        a re-attached one's, the restarts'), each state once."""
        from tui_app.history import record_final_states
        from tui_app.locations import LocationError

        entries = [e for e in (self.history_entry, *self.restart_entries) if e is not None]
        for entry in entries:
            keys = {job.key for job in entry.jobs} - self._recorded
            ended = [job for job in self.state.jobs if job.key in keys and job.is_final]
            if not ended:
                continue
            try:
                record_final_states(entry.id, ended)
            except (OSError, ValueError, LocationError) as exc:
                self.warn(f"The history file could not be written: {exc}")
                return
            self._recorded.update(job.key for job in ended)

    async def poll_jobs(self) -> list[int]:
        """Refresh the unfinished jobs in one request; the indexes of those that changed."""
        with asking_orchestrator():
            fresh = await poll_once(self.client, self.state.jobs)
        changed = [i for i, (old, new) in enumerate(zip(self.state.jobs, fresh)) if new != old]
        for index in changed:
            self.state.jobs[index] = fresh[index]
        return changed

    async def follow_jobs(
        self,
        on_update: Callable[[list[int], float], None],
        on_problem: Callable[[ServerProblem, float], None],
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        *,
        at_least_once: bool = False,
    ) -> None:
        """Poll by ``policy`` until every job ended or rests Suspended (``at_least_once``:
        poll once even so, e.g. after stopping a Suspended job). After each poll
        ``on_update(changed indexes, seconds to the next poll)``, or ``on_problem(problem,
        seconds)`` when it failed (the next poll then waits at least what Orchestrator asked
        for). A job that stays Pending is asked about once (``ask_why_pending``); its answer
        comes as another ``on_update``."""
        waits = self.policy.waits()
        delay = next(waits)
        await self.ask_why_pending()  # notes when each job was first seen Pending
        once = at_least_once
        while once or self.state.active_jobs():
            once = False
            await sleep(delay)
            delay = next(waits)
            try:
                changed = await self.poll_jobs()
            except ServerProblem as problem:
                if problem.slow_down:
                    delay = min(max(delay, problem.retry_after or 0), self.policy.longest)
                on_problem(problem, delay)
                continue
            await self.read_log()
            on_update(changed, delay)
            asked = await self.ask_why_pending()
            if asked:
                on_update(asked, delay)

    async def ask_why_pending(self) -> list[int]:
        """Ask ``ValidateExistingJob`` about the jobs Pending long enough, by the follow
        policy (once per job, a few per poll: ``following.PendingWatch``); the indexes of the
        jobs whose answer came (in ``pending_checks``). A 429 leaves it for the next poll."""
        if self._pending_watch is None:
            self._pending_watch = PendingWatch(self.policy, self.clock)
        watch = self._pending_watch
        reports = {report.job.id: report
                   for report in await watch.check(self.client, self.state.jobs)}
        asked: list[int] = []
        for index, job in enumerate(self.state.jobs):
            report = reports.get(job.id)
            if report is not None:
                self.pending_checks[job.id] = _pending_check(report)
            elif watch.available or job.state != "Pending" or job.id in self.pending_checks:
                continue
            else:  # the server has no such check: no need to ask about this job
                self.pending_checks[job.id] = ServerCheck(available=False)
            asked.append(index)
        return asked

    async def stop_job(self, job_id: int, strategy: str) -> None:
        """Ask Orchestrator to stop (``SoftStop``) or kill (``Kill``) a job."""
        with asking_orchestrator():
            await self.client.stop_jobs([job_id], strategy)

    # -- robot logs, restart, resume ----------------------------------------------------------

    def _job(self, job_id: Optional[int]) -> Optional[Job]:
        return next((job for job in self.state.jobs if job.id == job_id), None)

    def log_due(self) -> Optional[Job]:
        """The job of ``log_job`` when its log is worth reading now (not read since it
        ended), else None."""
        job = self._job(self.log_job)
        if job is None:
            return None
        log = self.logs.get(job.id)
        return job if log is None or not log.complete else None

    async def read_log(self) -> bool:
        """Read the last ``LOG_LINES`` robot log lines of ``log_job`` when due (one request);
        True when it was asked. A failure is kept in the log's ``problem``, never raised."""
        job = self.log_due()
        if job is None:
            return False
        old = self.logs.get(job.id, JobLog())
        try:
            page = await self.client.robot_logs(job.key, top=LOG_LINES, newest_first=True)
        except RateLimited:
            self.logs[job.id] = dataclasses.replace(
                old, problem="Orchestrator asks to slow down; the log is read again later.")
        except OrchestratorError as exc:
            final = isinstance(exc, (NotAvailable, PermissionDenied))
            problem = f"The robot log could not be read: {exc.title}. {exc.message}"
            self.logs[job.id] = dataclasses.replace(old, complete=final,
                                                    problem=self.without_secrets(problem))
        else:
            lines = tuple(reversed(page.items))
            self.logs[job.id] = JobLog(lines, max(page.total, len(lines)), job.is_final)
        return True

    @staticmethod
    def restart_refusal(job: Job) -> Optional[str]:
        """Why ``job`` cannot be restarted in its state (None: it can)."""
        if job.is_final:
            return None
        return (f"Job {job.id} is {job.state}: only a job that ended (Successful, Faulted or "
                "Stopped) can be restarted.")

    @staticmethod
    def resume_refusal(job: Job) -> Optional[str]:
        """Why ``job`` cannot be resumed in its state (None: it can)."""
        if job.is_suspended:
            return None
        return f"Job {job.id} is {job.state}: only a Suspended job can be resumed."

    async def restart_job(self, job: Job) -> Job:
        """``RestartJob`` for a job that ended: the new job joins the monitor and the history.
        Raises ``ServerProblem``."""
        with asking_orchestrator():
            new = await self.client.restart_job(job.id)
        self.state.jobs.append(new)
        self._record_restart(job, new, await self.identity())
        return new

    async def resume_job(self, job: Job) -> Job:
        """``ResumeJob`` for a Suspended job; the job as Orchestrator answered. Raises
        ``ServerProblem``."""
        with asking_orchestrator():
            resumed = await self.client.resume_job(job.key)
        for index, known in enumerate(self.state.jobs):
            if known.id == resumed.id:
                self.state.jobs[index] = resumed
        return resumed

    # -- watching jobs started earlier ----------------------------------------------------------

    def monitor_step(self) -> str:
        """The step that follows what was started or added: Run (jobs) or Monitor (an item)."""
        return flow.step_names(self.facts())[-1]

    def watch_title(self) -> str:
        """What the Run step's heading names: the release started, or what is watched."""
        if self.watching is not None:
            return self.watching
        return self.state.release.name if self.state.release else ""

    def _watch(self, jobs: Sequence[Job], folder: Optional[Folder], title: str,
               entry: Optional[HistoryEntry] = None) -> None:
        if folder is not None and (self.state.folder is None or self.state.folder.id != folder.id):
            self.choose_folder(folder)
        self.client.use_folder(folder)
        self.state.action = "start_job"  # the Run step follows jobs
        self.state.jobs = list(jobs)
        self.watching = title
        self.history_entry = entry
        self.restart_entries = []
        self._recorded = {job.key for job in (entry.jobs if entry else ()) if job.state}
        self.logs, self.log_job, self.pending_checks = {}, None, {}
        self._pending_watch = None

    async def watch_refs(self, refs: Sequence[Any]) -> list[str]:
        """Open the monitor on the jobs ``refs`` (``jobrefs.Ref``) stand for, looked up as
        ``startjob watch`` does (in the settings' folder first); the warnings (e.g. a job
        Orchestrator no longer lists). Raises ``RefError`` (its message says why) or
        ``ServerProblem``."""
        from tui_app.history import read_entries
        from tui_app.jobrefs import HISTORY, resolve
        from tui_app.resolver import find_folder

        path = self.state.settings.folder.strip()  # --folder: where an id or key is looked
        folder = find_folder(self.state.folders, path) if path else None
        with asking_orchestrator():
            found = await resolve(self.client, refs, folder=folder,
                                  entries=lambda: read_entries(None),
                                  known_folders=self.state.folders)
        entries = [entry for _, entry in found.entries]
        if len(refs) == 1 and refs[0].kind == HISTORY and entries:
            title = f"history entry {refs[0].text} ({entries[0].process_key})"
        else:
            title = ", ".join(ref.text for ref in refs)
        self._watch(found.jobs, found.folder, title, entries[0] if len(entries) == 1 else None)
        return list(found.warnings)

    async def watch_draft_jobs(self, draft: drafts.Draft) -> list[str]:
        """Open the monitor on the jobs a dropped session had started (kept in its draft);
        the warnings. Raises ``ServerProblem``; ``RefError`` when none is listed any more."""
        from tui_app.history import read_entries
        from tui_app.jobrefs import RefError
        from tui_app.resolver import find_folder

        folder = next((f for f in self.state.folders if f.id == draft.started_folder_id), None)
        if folder is None and draft.folder_path:
            folder = find_folder(self.state.folders, draft.folder_path)
        wanted = {int(job["id"]): str(job["key"]) for job in draft.started_jobs}
        self.client.use_folder(folder)
        with asking_orchestrator():
            jobs = [job for job in await self.client.get_jobs(list(wanted))
                    if wanted.get(job.id) == job.key]
        ids = ", ".join(str(job_id) for job_id in wanted)
        if not jobs:
            raise RefError(f"Orchestrator no longer lists the jobs the last session started "
                           f"({ids}): nothing to follow.")
        entry = next((e for e in read_entries(None) if e.id == draft.history_id), None)
        self._watch(jobs, folder, f"the jobs the last session started ({draft.process_key})",
                    entry)
        missing = [str(i) for i in wanted if i not in {job.id for job in jobs}]
        return [f"Orchestrator no longer lists job(s) {', '.join(missing)}."] if missing else []

    # -- opening a template or a draft ------------------------------------------------------

    async def open_pending(self) -> Optional[Opening]:
        """Fill the state from the pending template or draft (None: there is none) and say
        where to land."""
        from tui_app.wizard.opening import landing_note, prefill

        template, self.pending_template = self.pending_template, None
        if template is None:
            return None
        draft = self.pending_draft if self.pending_is_draft else None
        with asking_orchestrator():
            if template.action == "add_queue_item":
                landing, self.drift_findings = await self.queue.prefill(
                    template, check=not self.pending_is_draft,
                    kinds=draft.content_kinds if draft is not None else None)
            else:
                landing, self.drift_findings = await prefill(
                    self, template, check=not self.pending_is_draft, draft=draft)
        if not self.pending_is_draft and self.opened is not None:
            self.remember_template(self.opened)
        steps = flow.steps_until(landing, self.facts())
        message: Optional[tuple[str, str]] = None
        if self.drift_findings:
            blocking = any(finding.blocks for finding in self.drift_findings)
            message = (
                "error" if blocking else "warning",
                "Changed since the template was saved:\n"
                + "\n".join(f"- {finding.text}" for finding in self.drift_findings),
            )
        else:
            note = landing_note(landing, self, template)
            if note:
                message = ("info", note)
        return Opening(landing, steps, message)

    def draft_to_offer(self) -> Optional[drafts.Draft]:
        """The draft kept when a session ended, to offer for resuming (None: none, or in
        the demo one of a real tenant: only a demo's draft resumes on a fresh sandbox)."""
        draft = drafts.load_draft().draft
        if draft is None:
            return None
        if self.demo:
            from tui_app.sandbox.config import is_demo_url

            if not is_demo_url(draft.url):
                return None
            draft.url = self.state.settings.url
        return draft

    def resume_draft(self, draft: drafts.Draft) -> None:
        """Take the draft's connection settings and choices (applied once signed in) and the
        jobs it had started (their monitor opens then); the draft file is used up."""
        from tui_app.wizard.opening import draft_template

        names = ("url", "auth_mode", "client_id", "tenancy_name", "username", "scope",
                 "identity_url")
        self.state.settings = self.state.settings.with_(
            **{name: getattr(draft, name) for name in names if getattr(draft, name)}
        )
        self.state.search_text = draft.search_text
        self.pending_template = draft_template(draft)
        self.pending_is_draft = True
        self.pending_draft = draft  # its Options step texts are kept as typed
        if draft.started_jobs:  # jobs were started: reopen their monitor, never start again
            self.pending_watch = draft
        self.discard_draft()

    def discard_draft(self) -> None:
        try:
            drafts.discard_draft()
        except OSError:
            pass

    def has_choices(self) -> bool:
        """A folder or a release was chosen, or jobs are followed (worth a draft when the
        terminal goes away)."""
        state = self.state
        return (state.release is not None or state.folder is not None or bool(state.jobs)
                or state.queue.queue is not None)

    async def open_watch(self) -> Optional[list[str]]:
        """Open the monitor on the pending jobs (``pending_watch``; None: there are none):
        the warnings. Raises ``RefError`` or ``ServerProblem``."""
        pending, self.pending_watch = self.pending_watch, None
        if pending is None:
            return None
        if isinstance(pending, drafts.Draft):
            if pending.action == "add_queue_item":
                return await self.queue.watch_draft_item(pending)
            return await self.watch_draft_jobs(pending)
        return await self.watch_refs(pending)

    def keep_draft(
        self, step: str, settings: Optional[ConnectionSettings] = None
    ) -> Optional[Path]:
        """Save the choices (never a secret, nor an ``ask`` value), on ``step``, with
        ``settings`` instead of the state's when given; the path, or None when it could not
        be written."""
        state = self.state
        if settings is not None:
            state = dataclasses.replace(state, settings=settings)
        try:
            draft = drafts.draft_from_state(state, step=step)
            entry = self.queue.entry if self.adds_item else self.history_entry
            if draft.started_jobs and entry is not None:
                draft.history_id = entry.id
            return drafts.save_draft(draft)
        except Exception:  # noqa: BLE001 - keeping a draft must never fail the way out
            return None

    # -- leaving ------------------------------------------------------------------------------

    def quit_question(self, *, starting: bool) -> Optional[str]:
        """Why quitting now needs a confirmation (``starting``: a start request is on its
        way), or None when nothing would be lost."""
        if starting:
            return (
                "A start request is on its way: quitting now leaves it unknown whether jobs "
                "were started. Quit anyway?"
            )
        running = self.state.unfinished_jobs()
        if running:
            return (
                f"{len(running)} job(s) you started are still running; they keep running "
                "in Orchestrator, but this screen stops following them. Quit anyway?"
            )
        if self.adds_item:
            if self.state.queue.queue is not None and self.state.queue.added is None:
                return "The queue item you prepared has not been added. Quit anyway?"
            return None
        if self.state.release is not None and not self.state.jobs:
            return "The choices you made have not been used to start a job. Quit anyway?"
        return None

    def without_secrets(self, text: str, *also: ConnectionSettings) -> str:
        """``text`` with every secret the session knows of (as typed, quoted or escaped)
        replaced by MASK: the client secret, password and token of the settings (and of
        ``also``), and the values of ``ask`` and secret-looking arguments."""
        import json
        from urllib.parse import quote, quote_plus

        secrets: set[str] = set()
        for settings in (self.state.settings, *also):
            secrets.update(getattr(settings, name, "") for name in SECRET_FIELDS)
        queue = self.state.queue
        typed = [*self.state.argument_texts.items(), *queue.content_texts.items(),
                 *((row.name.strip(), row.text) for row in queue.rows)]
        for name, value in typed:
            if name in self.state.ask_names or looks_secret(name):
                secrets.add(value)
        for secret in sorted((s for s in secrets if isinstance(s, str) and s), key=len)[::-1]:
            for form in {secret, quote(secret, safe=""), quote_plus(secret),
                         json.dumps(secret)[1:-1], repr(secret)[1:-1]}:
                text = text.replace(form, MASK)
        return text
