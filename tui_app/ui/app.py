"""The wizard application: one screen per step, pushed in order, popped by Escape."""

from __future__ import annotations

import dataclasses
import shlex
import textwrap
from pathlib import Path
from typing import Callable, NamedTuple, Optional

from textual.app import App
from textual.binding import Binding

# Imported at start-up on purpose: saving a draft must still work when the installed files
# changed under a running wizard (an upgrade), and that is when lazy imports fail.
from tui_app import drafts, hangup
from tui_app.connection import ConnectionSettings, SettingsError
from tui_app.plan import RobotRef, StartPlan, StrategyChoice, new_reference
from tui_app.signin import AUTH_MODE_LABELS, SECRET_FIELDS
from tui_app.text import visible
from tui_app.ui.dialogs import ConfirmDialog, HelpDialog
from tui_app.ui.keys import OrderedKeys
from tui_app.ui.state import WizardState
from tui_app.wizard import flow
from tui_app.wizard.flow import Facts

#: Exit code when an unexpected error ends the wizard (sysexits' EX_SOFTWARE).
EXIT_UNEXPECTED = 70
#: Shown instead of an ``ask`` argument's value (and of a secret in an error message).
MASK = "•••"


class TemplateIdentity(NamedTuple):
    """The template file the current choice was saved to or opened from."""

    name: str
    path: Optional[Path]


class WizardApp(OrderedKeys, App):
    """Connect › Folder › Process › Release › Strategy › Arguments › Review › Run."""

    TITLE = "startjob"
    CSS_PATH = "styles.tcss"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding("ctrl+q,f10", "request_quit", "Quit", priority=True, key_display="^q"),
    ]

    def __init__(
        self,
        settings: ConnectionSettings,
        *,
        demo: bool = False,
        client_options: Optional[dict] = None,
        reference_factory: Callable[[], str] = new_reference,
        poll_interval: float = 1.0,
        template=None,
        template_path=None,
        handle_signals: bool = False,
    ) -> None:
        super().__init__()
        self.state = WizardState(settings=settings)
        self.demo = demo
        self.client_options = client_options or {}
        self.client = None
        self.reference_factory = reference_factory
        self.reference = reference_factory()
        self.poll_interval = poll_interval
        self._history_entry = None
        self.profiles, self.profiles_error = _load_profiles()
        #: The last start's outcome could not be found out (the next Start asks first).
        self.unknown_start = False
        #: Shown on the Run step: how a lost StartJobs answer was resolved.
        self.start_notice: Optional[str] = None
        #: The template the choice was saved to or opened from, with the fingerprint of that
        #: choice (see ``template_identity``); an opened one is fingerprinted once filled in.
        self._template: Optional[tuple] = None
        self._opened = TemplateIdentity(template.name, template_path) if template else None
        #: A template to apply once signed in (``startjob open``), and its drift findings.
        self.pending_template = template
        self.drift_findings: list = []
        #: Save a draft and leave on SIGHUP/SIGTERM or a vanished terminal (the CLI sets it).
        self.handle_signals = handle_signals
        #: A resumed draft still to apply after sign-in (it skips the drift check).
        self.pending_is_draft = False
        #: Why an unexpected error ended the wizard (printed once the terminal is restored).
        self._failure: Optional[str] = None

    # -- flow ---------------------------------------------------------------------------

    def get_default_screen(self):
        """The first step is the app's base screen (no blank screen built and thrown away)."""
        from tui_app.ui.screens.connect import ConnectScreen

        return ConnectScreen()

    def on_mount(self) -> None:
        if self.handle_signals:
            self._watch_for_hangup()
        if self.pending_template is None:
            self._offer_draft()
        elif self.pending_template is not None:
            self.call_after_refresh(self._sign_in_for_template)

    # -- drafts and dropped sessions ----------------------------------------------------

    def _watch_for_hangup(self) -> None:
        import asyncio

        from tui_app.hangup import TerminalWatch, install_exit_handlers

        install_exit_handlers(
            lambda signum: self.leave_with_draft(),
            loop=asyncio.get_running_loop(),
            raise_exit=False,
        )
        watch = TerminalWatch()
        if watch.watching:
            self.set_interval(2.0, lambda: self.leave_with_draft() if watch.gone() else None)

    def leave_with_draft(self) -> None:
        """The terminal went away: keep the choices (never secrets) as a draft, then exit."""
        if self.state.release is not None or self.state.folder is not None:
            self._keep_draft()  # a failure: nothing more can be done without a terminal
        hangup.arm_exit_watchdog(129)
        self.exit(return_code=129)

    def _keep_draft(self, settings: Optional[ConnectionSettings] = None) -> Optional[Path]:
        """Save the choices (never a secret, nor an ``ask`` value) as a draft; its path, or
        None when it could not be written."""
        state = self.state
        if settings is not None:
            state = dataclasses.replace(state, settings=settings)
        try:
            return drafts.save_draft(drafts.draft_from_state(state, step=self.screen_step()))
        except Exception:  # noqa: BLE001 - keeping a draft must never fail the way out
            return None

    def screen_step(self) -> str:
        """The wizard step on screen (under any dialog open on top of it)."""
        for screen in reversed(self.screen_stack):
            step = getattr(screen, "STEP", "")
            if step:
                return step
        return ""

    # -- unexpected errors --------------------------------------------------------------

    def _handle_exception(self, error: Exception) -> None:
        """Any unexpected error (in a handler or a worker): keep a secret-free draft, then
        leave with a one-paragraph message (no traceback, no locals) and EXIT_UNEXPECTED."""
        if self._failure is not None:
            return  # already on the way out: the first error is the one that is told
        try:
            from textual.worker import WorkerFailed

            cause = error.error if isinstance(error, WorkerFailed) else error
            while len(getattr(cause, "exceptions", ())) == 1:  # a task group's one error
                cause = cause.exceptions[0]
            path = self._keep_draft(self._form_settings()) if not self.demo else None
            text = self._failure_text(cause, path)
        except Exception:  # noqa: BLE001 - the way out must not fail
            text = "startjob stopped on an unexpected error."
        self._return_code = EXIT_UNEXPECTED
        self._failure = text
        self._exception_event.set()  # what waits for the app (a Pilot) stops waiting
        self._close_messages_no_wait()

    def _print_error_renderables(self) -> None:
        """After the terminal is restored: the failure message, as one line that the
        terminal wraps (a path copied from it stays whole)."""
        if self._failure:
            self.error_console.print(self._failure, soft_wrap=True, markup=False)
            self._failure = None
        super()._print_error_renderables()

    def _form_settings(self) -> ConnectionSettings:
        """The Connect form as settings (what was typed there), else ``state.settings``."""
        connect = self.screen_stack[0] if self.screen_stack else None
        try:
            return connect.settings_from_form()
        except Exception:  # noqa: BLE001 - no form, or one that cannot be read
            return self.state.settings

    def _failure_text(self, cause: BaseException, draft: Optional[Path]) -> str:
        detail = f"{type(cause).__name__}: {cause}" if str(cause) else type(cause).__name__
        detail = visible(self._without_secrets(detail), single_line=True, limit=300)
        if isinstance(cause, ImportError):
            text = (
                "startjob stopped: a part of it could not be loaded, most likely because it "
                f"was upgraded or removed while the wizard was running ({detail})."
            )
        else:
            text = f"startjob stopped on an unexpected error ({detail})."
        if draft is not None:
            text += (
                f" Your choices were kept as a draft ({draft}, without secrets); start "
                "startjob again to resume them."
            )
        return text

    def _without_secrets(self, text: str) -> str:
        """``text`` with every secret the wizard knows of (as typed, quoted or escaped)
        replaced by MASK: the client secret, password and token in the settings and the
        Connect form, and the values of ``ask`` and secret-looking arguments."""
        import json
        from urllib.parse import quote, quote_plus

        secrets = set()
        for settings in (self.state.settings, self._form_settings()):
            secrets.update(getattr(settings, name, "") for name in SECRET_FIELDS)
        for name, value in self.state.argument_texts.items():
            if name in self.state.ask_names or drafts.is_secret_name(name):
                secrets.add(value)
        for secret in sorted((s for s in secrets if isinstance(s, str) and s), key=len)[::-1]:
            for form in {secret, quote(secret, safe=""), quote_plus(secret),
                         json.dumps(secret)[1:-1], repr(secret)[1:-1]}:
                text = text.replace(form, MASK)
        return text

    def _offer_draft(self) -> None:
        found = drafts.load_draft()
        if not found:
            return
        draft = found.draft
        if self.demo:  # only a demo session's draft, resumed on this session's fresh sandbox
            from tui_app.sandbox.config import is_demo_url

            if not is_demo_url(draft.url):
                return
            draft.url = self.state.settings.url
        what = draft.process_key or draft.url or "a connection"
        self.push_screen(
            ConfirmDialog(
                f"An unfinished start was kept when the last session ended ({draft.saved_at}, "
                f"{visible(what, single_line=True)}, at the {draft.step or 'Connect'} step). "
                "Resume it? (No discards it.)",
                yes="Resume",
                no="Discard",
            ),
            lambda yes: self._resume(draft) if yes else self._discard_draft(),
        )

    def _resume(self, draft) -> None:
        from tui_app.ui.opening import draft_template

        settings = self.state.settings.with_(
            **{
                name: getattr(draft, name)
                for name in (
                    "url",
                    "auth_mode",
                    "client_id",
                    "tenancy_name",
                    "username",
                    "scope",
                    "identity_url",
                )
                if getattr(draft, name)
            }
        )
        self.state.settings = settings
        self.state.search_text = draft.search_text
        self.pending_template = draft_template(draft)
        self.pending_is_draft = True
        self._discard_draft()
        self.screen.refill_from_settings()
        self._point_at_missing("Resumed the draft.", sign_in=False)

    def _discard_draft(self) -> None:
        try:
            drafts.discard_draft()
        except OSError:
            pass

    def _sign_in_for_template(self) -> None:
        """``startjob open``: sign in at once when nothing is missing, else say what is."""
        self._point_at_missing(
            f"Opening the template {visible(self._opened.name, single_line=True)!r}.",
            sign_in=True,
        )

    def _point_at_missing(self, intro: str, *, sign_in: bool) -> None:
        """On Connect: focus the first empty field needed to sign in and say what is
        missing; when nothing is, sign in (``sign_in``) or focus the Connect button."""
        from textual.widgets import Button, Input

        screen = self.screen
        if getattr(screen, "STEP", "") != "Connect":
            return
        missing = self.missing_to_sign_in(screen.settings_from_form())
        if not missing:
            if sign_in:
                screen.action_connect()
            else:
                screen.query_one("#connect", Button).focus()
                screen.message.show("info", f"{intro} Press Enter to sign in.")
            return
        names = [name for name, _ in missing]
        shown = (i for i in screen.query(Input) if i.display and i.parent.parent.display)
        field = next((i for i in shown if i.id in names), None)
        if field is not None:
            field.focus()
        labels = " and ".join(label for _, label in missing)
        never = " (never kept in a file)" if any(n in SECRET_FIELDS for n in names) else ""
        screen.message.show("info", f"{intro} Type the {labels}{never}, then press Enter.")

    def missing_to_sign_in(self, settings: ConnectionSettings) -> list:
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

    def flow_facts(self) -> Facts:
        """What the flow's skip rules look at, from the current choices."""
        from tui_app.arguments import ArgumentsFormatError
        from tui_app.ui.screens.arguments import argument_specs

        try:
            has_arguments = bool(argument_specs(self.state.release))
        except ArgumentsFormatError:
            has_arguments = True  # the Arguments step explains what is wrong
        return Facts(
            connected=self.client is not None,
            folders=len(self.state.folders),
            release_chosen=self.state.release is not None,
            releases=len(self.state.releases),
            has_arguments=has_arguments,
        )

    def skipped_steps(self) -> tuple:
        """Steps the current choices skip, shown dimmed in the step indicator."""
        return flow.skipped_steps(self.flow_facts())

    def next_step(self, step: str) -> str:
        """The step after ``step`` for the current choices (skipping what does not apply)."""
        return flow.next_step(step, self.flow_facts())

    def go_next(self, step: str) -> None:
        from tui_app.ui.screens import screen_class

        self.push_screen(screen_class(self.next_step(step))())

    async def after_connect(self) -> None:
        """Continue after signing in: the next step, or everything a template fills in."""
        from tui_app.ui.screens import screen_class

        template, self.pending_template = self.pending_template, None
        if template is None:
            self.go_next("Connect")
            return
        from tui_app.ui.opening import landing_note, prefill

        # Another Enter on Connect meanwhile would sign in again and lose the template.
        connect_button = self.screen_stack[0].query("#connect").set(disabled=True)
        try:
            landing, self.drift_findings = await prefill(
                self, template, check=not self.pending_is_draft
            )
            if not self.pending_is_draft and self._opened is not None:
                self._remember_template(self._opened)
            for step in flow.steps_until(landing, self.flow_facts()):
                await self.push_screen(screen_class(step)())
        finally:
            connect_button.set(disabled=False)
        if self.drift_findings:
            blocking = any(finding.blocks for finding in self.drift_findings)
            self.screen.message.show(
                "error" if blocking else "warning",
                "Changed since the template was saved:\n"
                + "\n".join(f"- {finding.text}" for finding in self.drift_findings),
            )
        else:
            note = landing_note(landing, self, template)
            if note:
                self.screen.message.show("info", note)

    def go_back(self) -> None:
        """Back one step; everything entered stays in ``state`` and in the kept screens."""
        if len(self.screen_stack) > 1:
            self.pop_screen()

    # -- connection ---------------------------------------------------------------------

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

    async def with_profile_secret(self, settings: ConnectionSettings) -> ConnectionSettings:
        """Fill an empty secret from the chosen profile's source (may run a command, so it
        runs in a thread). Raises ``SecretPromptNeeded`` when the profile asks every time."""
        import asyncio

        from tui_app.secret_sources import resolve_secret

        profile = self.profiles.get(settings.profile)
        if profile is None or getattr(settings, profile.secret_field):
            return settings
        secret = await asyncio.to_thread(resolve_secret, profile)
        return settings.with_(**{profile.secret_field: secret})

    def save_profile(self, request, settings: ConnectionSettings):
        """Save the form as a profile (the secret only if the person chose to store it)."""
        from tui_app.profiles import profile_from_settings, save_profile

        profile = profile_from_settings(request.name, settings, **request.source)
        secret_field = profile.secret_field
        secret = getattr(settings, secret_field) if request.store_secret else None
        path = save_profile(profile, secret=secret, store_secret=request.store_secret)
        self.profiles, self.profiles_error = _load_profiles()
        return path

    async def connect(self, settings: ConnectionSettings) -> list:
        """Sign in with ``settings`` and list the folders (one call proves both)."""
        client = settings.open_client(**self.client_options)
        try:
            folders = await client.list_folders()
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

    async def on_unmount(self) -> None:
        await self.disconnect()

    # -- choices ------------------------------------------------------------------------

    def choose_folder(self, folder) -> None:
        if self.state.folder is None or self.state.folder.id != folder.id:
            self.state.release = None
            self.state.releases = []
            self.state.environments = {}
        self.state.folder = folder
        self.client.use_folder(folder)

    def choose_process(self, releases: list) -> None:
        """Keep the releases of the chosen process; one release is chosen at once."""
        self.state.releases = list(releases)
        current = self.state.release
        if len(releases) == 1:
            self.state.release = releases[0]
        elif current is None or current.id not in {r.id for r in releases}:
            self.state.release = None

    def choose_release(self, release) -> None:
        self.state.release = release

    def current_plan(self) -> StartPlan:
        """The StartPlan for everything chosen so far (raises PlanError when incomplete)."""
        from tui_app.ui.screens.strategy import parse_jobs_count

        state = self.state
        kind = state.strategy_kind
        robots = ()
        if kind in ("Specific", "ModernJobsCount"):
            robots = tuple(RobotRef(r.id, r.name) for r in self.chosen_robots())
        jobs_count = (
            parse_jobs_count(state.jobs_count_text)
            if kind in ("JobsCount", "ModernJobsCount")
            else 1
        )
        strategy = StrategyChoice(
            kind=kind, robots=robots, jobs_count=jobs_count, runtime_type=state.runtime_type
        )
        return StartPlan(
            release=state.release,
            strategy=strategy,
            arguments=dict(state.argument_values),
            folder=state.folder,
            reference=self.reference,
        )

    # -- the template of the choice -----------------------------------------------------

    def _choice_fingerprint(self) -> tuple:
        """What a template stores of the current choice: folder, release, strategy (kind,
        robots, count, runtime) and argument values (``ask`` ones are typed each time)."""
        state = self.state
        kind = state.strategy_kind
        robots = ()
        if kind in ("Specific", "ModernJobsCount"):
            robots = tuple(sorted(state.selected_robots.get(state.robots_key(), ())))
        return (
            state.folder.id if state.folder else None,
            state.release.key if state.release else None,
            kind,
            robots,
            state.jobs_count_text.strip() if kind in ("JobsCount", "ModernJobsCount") else "",
            state.runtime_type if kind == "ModernJobsCount" else "",
            self._arguments_fingerprint(),
        )

    def _arguments_fingerprint(self) -> tuple:
        """The argument values the typed texts mean, without ``ask`` ones and without those
        equal to the process default (the form shows defaults as if typed)."""
        from tui_app.arguments import ArgumentsFormatError, collect_values, parse_process_defaults
        from tui_app.arguments.jsontext import dumps
        from tui_app.ui.screens.arguments import argument_specs

        state = self.state
        texts = {n: t for n, t in state.argument_texts.items() if n not in state.ask_names}
        try:
            specs = [s for s in argument_specs(state.release) if s.name not in state.ask_names]
            defaults = parse_process_defaults(state.release.input_arguments)
        except (ArgumentsFormatError, AttributeError):  # unreadable, or no release yet
            return tuple(sorted(texts.items()))
        values, errors = collect_values(specs, texts, defaults)
        meant = {
            name: dumps(value)
            for name, value in values.items()
            if name not in defaults or dumps(defaults[name]) != dumps(value)
        }
        meant.update((name, f"error: {texts.get(name, '')}") for name in errors)
        return tuple(sorted(meant.items()))

    def _remember_template(self, identity: TemplateIdentity) -> None:
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
        release = self.state.release
        if release.environment_name:
            return f"{release.process_key} on {release.environment_name}"
        return release.process_key

    def headless_command(self) -> str:
        """``startjob run PATH`` for the current choice: the template's path, or the one
        the Save dialog would use (with a note that it is saved first)."""
        from tui_app.locations import templates_dir
        from tui_app.templates import slug

        identity = self.template_identity()
        if identity is not None and identity.path is not None:
            return f"startjob run {shlex.quote(str(identity.path))}"
        path = templates_dir() / f"{slug(self.template_default_name())}.toml"
        return f"startjob run {shlex.quote(str(path))}\n(once saved with Save template, ctrl+s)"

    # -- Review ---------------------------------------------------------------------------

    def chosen_robots(self) -> list:
        """The robots the current strategy names (with their ``.state``): the ticked ones,
        or for All every robot of the environment."""
        state = self.state
        kind = state.strategy_kind
        if state.is_classic:
            environment = state.environment()
            pool = list(environment.robots) if environment else []
        else:
            pool = list(state.folder_robots.get(state.folder.id if state.folder else None, []))
        if kind == "All":
            return pool
        if kind in ("Specific", "ModernJobsCount"):
            chosen = state.selected_robots.get(state.robots_key(), set())
            return [robot for robot in pool if robot.id in chosen]
        return []

    def shown_arguments(self, arguments: dict) -> dict:
        """``arguments`` as shown on screen: ``ask`` values are MASK."""
        return {
            name: MASK if name in self.state.ask_names else value
            for name, value in arguments.items()
        }

    def summary(self, plan: StartPlan):
        """A readable summary of the plan for the Review step (plain text, never markup)."""
        from rich.text import Text

        from tui_app.arguments.jsontext import dumps
        from tui_app.availability import availability_note
        from tui_app.ui.screens.arguments import argument_specs

        settings = self.state.settings
        rows = [
            ("Orchestrator", settings.url),
            ("Signed in by", AUTH_MODE_LABELS[settings.auth_mode]),
        ]
        if plan.folder is not None:
            kind = "classic" if plan.folder.is_classic else "modern"
            rows.append(("Folder", f"{plan.folder.fully_qualified_name}  ({kind})"))
        release = plan.release
        rows.append(("Process", f"{release.process_key}  v{release.process_version}"))
        rows.append(("Release", release.name))
        if release.environment_name:
            rows.append(("Environment", release.environment_name))
        rows.append(("Strategy", plan.strategy.describe(release.environment_name)))
        note = availability_note(self.chosen_robots())
        if note:
            rows.append(("Robots", note))
        specs = argument_specs(release)
        if not specs:
            rows.append(("Arguments", "(this process has no input arguments)"))
        for index, spec in enumerate(specs):
            label = "Arguments" if index == 0 else ""
            if spec.name in plan.arguments:
                value = plan.arguments[spec.name]
                if spec.name in self.state.ask_names:
                    shown = MASK
                elif isinstance(value, (list, dict)):
                    shown = dumps(value)
                else:
                    shown = spec.to_text(value).replace("\n", " ")
                rows.append((label, f"{spec.name} = {shown}"))
            else:
                rows.append((label, f"{spec.name}: not set (Orchestrator default applies)"))
        # Long values wrap under their value column (border, padding and scrollbar: 5).
        width = max(30, self.size.width - 5 - 13)
        text = Text()
        for label, value in rows:
            text.append(f"{label:<13}", style="bold")
            lines = textwrap.wrap(visible(value, single_line=True, limit=300), width) or [""]
            text.append(("\n" + " " * 13).join(lines) + "\n")
        return text

    def save_template(self, request, *, overwrite: bool = False):
        """Write the current choices as a template (never a secret); return its path."""
        from tui_app.templates import save_template, template_from_plan
        from tui_app.ui.screens.arguments import argument_specs

        plan = self.current_plan()
        template = template_from_plan(
            plan,
            name=request.name,
            description=request.description,
            url=self.state.settings.url,
            specs=list(argument_specs(plan.release)),
            ask=request.ask,
            demo=self.demo,
        )
        path = save_template(template, overwrite=overwrite)
        self.state.ask_names = self.state.ask_names | frozenset(request.ask)
        self._remember_template(TemplateIdentity(template.name, path))
        return path

    async def start_jobs(self):
        """Send StartJobs once and find out what really happened (``StartOutcome``).

        The request carries a unique Reference; when the answer is lost, Orchestrator is
        asked whether jobs with that Reference exist, so a start is never repeated blindly.
        """
        from tui_app.starting import start_once

        plan = self.current_plan()
        outcome = await start_once(self.client, plan.start_info())
        self.reference = self.reference_factory()  # another attempt is a new start
        self.unknown_start = outcome.unknown
        if outcome.started:
            self.state.jobs = list(outcome.jobs)
            self._history_entry = self._record_start(plan, outcome.jobs)
        return outcome

    def _record_start(self, plan: StartPlan, jobs: list):
        """Append the start to the history file; a history problem never hides the jobs."""
        from tui_app.history import HistoryEntry, HistoryJob, append_entry
        from tui_app.locations import LocationError

        identity = self.template_identity()
        entry = HistoryEntry(
            source="wizard",
            process_key=plan.release.process_key,
            folder=plan.folder.fully_qualified_name if plan.folder else "",
            release_key=plan.release.key,
            strategy=plan.strategy.kind,
            jobs=tuple(HistoryJob(job.id, job.key, job.state) for job in jobs),
            template_name=identity.name if identity else None,
            template_path=str(identity.path) if identity and identity.path else None,
        )
        try:
            return append_entry(entry)
        except (OSError, LocationError) as exc:
            self.notify(
                visible(f"The history file could not be written: {exc}"),
                severity="warning",
                markup=False,
            )
            return None

    def record_final_states(self) -> None:
        """Add the jobs' final states to the history entry of this start."""
        from tui_app.history import update_final_states
        from tui_app.locations import LocationError

        entry, self._history_entry = self._history_entry, None
        if entry is None:
            return
        try:
            update_final_states(entry.id, {job.key: job.state for job in self.state.jobs})
        except (OSError, LocationError) as exc:
            self.notify(
                visible(f"The history file could not be written: {exc}"),
                severity="warning",
                markup=False,
            )

    # -- app-wide actions ---------------------------------------------------------------

    def show_help(self, screen) -> None:
        self.push_screen(
            HelpDialog(f"{screen.STEP}: {screen.HEADING}", screen.HELP, screen.key_help())
        )

    def quit_question(self) -> Optional[str]:
        """Why quitting now needs a confirmation, or None when nothing would be lost."""
        if any(w.group == "start" and w.is_running for w in self.workers):
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
        if self.state.release is not None and not self.state.jobs:
            return "The choices you made have not been used to start a job. Quit anyway?"
        return None

    def action_request_quit(self) -> None:
        question = self.quit_question()
        if question is None or isinstance(self.screen, ConfirmDialog):
            self.exit()
            return
        self.push_screen(
            ConfirmDialog(question, yes="Quit", no="Stay"),
            lambda yes: self.exit() if yes else None,
        )


def _load_profiles() -> tuple:
    """The saved profiles and, when profiles.toml cannot be read, why (shown on Connect)."""
    from tui_app.locations import LocationError
    from tui_app.profiles import load_profiles

    try:
        return load_profiles(), None
    except (SettingsError, LocationError, OSError) as exc:
        return {}, f"Profiles cannot be read: {exc}"


def make_app(
    settings: Optional[ConnectionSettings] = None,
    *,
    demo: bool = False,
    **options,
) -> WizardApp:
    """Build the wizard; the CLI, the tests and the screenshot script all use this."""
    return WizardApp(settings or ConnectionSettings(), demo=demo, **options)
