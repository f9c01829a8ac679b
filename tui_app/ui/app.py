"""The wizard application: one screen per step, pushed in order, popped by Escape."""

from __future__ import annotations

from typing import Callable, Optional

from textual.app import App
from textual.binding import Binding

from tui_app.connection import ConnectionSettings, SettingsError
from tui_app.plan import RobotRef, StartPlan, StrategyChoice, new_reference
from tui_app.signin import AUTH_MODE_LABELS
from tui_app.text import visible
from tui_app.ui.dialogs import ConfirmDialog, HelpDialog
from tui_app.ui.keys import OrderedKeys
from tui_app.ui.state import WizardState


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
        #: The template these choices were saved to or opened from, if any.
        self.template_name: Optional[str] = template.name if template else None
        self.template_path = template_path
        #: A template to apply once signed in (``startjob open``), and its drift findings.
        self.pending_template = template
        self.drift_findings: list = []
        #: Save a draft and leave on SIGHUP/SIGTERM or a vanished terminal (the CLI sets it).
        self.handle_signals = handle_signals
        #: A resumed draft still to apply after sign-in (it skips the drift check).
        self.pending_is_draft = False

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

    # -- drafts and dropped sessions ----------------------------------------------------

    def _watch_for_hangup(self) -> None:
        import asyncio

        from tui_app.drafts import TerminalWatch, install_exit_handlers

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
        from tui_app.drafts import arm_exit_watchdog, draft_from_state, save_draft

        if self.state.release is not None or self.state.folder is not None:
            try:
                save_draft(draft_from_state(self.state, step=self.screen_step()))
            except (OSError, ValueError):
                pass  # nothing more can be done without a terminal
        arm_exit_watchdog(129)
        self.exit(return_code=129)

    def screen_step(self) -> str:
        return getattr(self.screen, "STEP", "")

    def _offer_draft(self) -> None:
        from tui_app.drafts import load_draft

        found = load_draft()
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

    def _discard_draft(self) -> None:
        from tui_app.drafts import discard_draft

        try:
            discard_draft()
        except OSError:
            pass

    def skipped_steps(self) -> tuple:
        """Steps the current choices skip, shown dimmed in the step indicator."""
        skipped = []
        if self.client is not None and not self.state.folders:
            skipped.append("Folder")
        if self.state.release is not None and len(self.state.releases) <= 1:
            skipped.append("Release")
        return tuple(skipped)

    def next_step(self, step: str) -> str:
        """The step after ``step`` for the current choices (skipping what does not apply)."""
        from tui_app.arguments import ArgumentsFormatError
        from tui_app.ui.screens.arguments import argument_specs

        if step == "Connect":
            return "Folder" if self.state.folders else "Process"
        if step == "Folder":
            return "Process"
        if step == "Process":
            return "Release" if len(self.state.releases) > 1 else "Strategy"
        if step == "Release":
            return "Strategy"
        if step == "Strategy":
            try:
                has_arguments = bool(argument_specs(self.state.release))
            except ArgumentsFormatError:
                has_arguments = True  # the Arguments step explains what is wrong
            return "Arguments" if has_arguments else "Review"
        if step == "Arguments":
            return "Review"
        return "Run"

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
        from tui_app.ui.opening import prefill, steps_until

        landing, self.drift_findings = await prefill(
            self, template, check=not self.pending_is_draft
        )
        for step in steps_until(landing, self):
            await self.push_screen(screen_class(step)())
        if self.drift_findings:
            blocking = any(finding.blocks for finding in self.drift_findings)
            self.screen.message.show(
                "error" if blocking else "warning",
                "Changed since the template was saved:\n"
                + "\n".join(f"- {finding.text}" for finding in self.drift_findings),
            )

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
            chosen = state.selected_robots.get(state.robots_key(), set())
            pool = (
                (state.environment().robots if state.environment() else ())
                if state.is_classic
                else state.folder_robots.get(state.folder.id if state.folder else None, [])
            )
            robots = tuple(RobotRef(r.id, r.name) for r in pool if r.id in chosen)
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

    def summary(self, plan: StartPlan):
        """A readable summary of the plan for the Review step (plain text, never markup)."""
        from rich.text import Text

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
        specs = argument_specs(release)
        if not specs:
            rows.append(("Arguments", "(this process has no input arguments)"))
        for index, spec in enumerate(specs):
            label = "Arguments" if index == 0 else ""
            if spec.name in plan.arguments:
                shown = spec.to_text(plan.arguments[spec.name]).replace("\n", " ")
                rows.append((label, f"{spec.name} = {shown}"))
            else:
                rows.append((label, f"{spec.name}: not set (Orchestrator default applies)"))
        text = Text()
        for label, value in rows:
            text.append(f"{label:<13}", style="bold")
            text.append(visible(value, single_line=True, limit=300) + "\n")
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
        self.template_name, self.template_path = template.name, path
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

        entry = HistoryEntry(
            source="wizard",
            process_key=plan.release.process_key,
            folder=plan.folder.fully_qualified_name if plan.folder else "",
            release_key=plan.release.key,
            strategy=plan.strategy.kind,
            jobs=tuple(HistoryJob(job.id, job.key, job.state) for job in jobs),
            template_name=self.template_name,
            template_path=str(self.template_path) if self.template_path else None,
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
