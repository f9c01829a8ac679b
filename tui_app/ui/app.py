"""The wizard application: one screen per step, pushed in order, popped by Escape.

A thin Textual shell around ``tui_app.wizard.session.WizardSession``, which holds the
choices and does every action; here are the screens per the flow, the dialogs, the
messages, the handler of unexpected errors and the watch for a terminal that went away.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional, cast

from textual.app import App
from textual.binding import Binding

# Imported at start-up on purpose: saving a draft must still work when the installed files
# changed under a running wizard (an upgrade), and that is when lazy imports fail.
from tui_app import hangup
from tui_app.connection import ConnectionSettings
from tui_app.plan import new_reference
from tui_app.signin import SECRET_FIELDS
from tui_app.text import visible
from tui_app.ui.dialogs import ConfirmDialog, HelpDialog
from tui_app.ui.keys import OrderedKeys
from tui_app.wizard.session import WizardSession, scaled_policy
from tui_app.wizard.state import WizardState

if TYPE_CHECKING:  # the screens are imported on first use (start-up only needs Connect)
    from tui_app.ui.screens.base import StepScreen
    from tui_app.ui.screens.connect import ConnectScreen

#: Exit code when an unexpected error ends the wizard (sysexits' EX_SOFTWARE).
EXIT_UNEXPECTED = 70


class WizardApp(OrderedKeys, App):
    """Connect › Folder › Action, then Process › Release › Strategy › Options › Arguments ›
    Review › Run to start a job, or Queue › Content › Item › Review › Monitor to add a queue
    item."""

    TITLE = "startjob"
    CSS_PATH = "styles.tcss"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding("ctrl+q,f10", "request_quit", "Quit", priority=True, key_display="^q",
                id="wizard.quit"),
        Binding("f9", "recent_starts", "Recent starts", show=False, key_display="F9",
                id="wizard.recent"),
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
        watch: Optional[Sequence[Any]] = None,
    ) -> None:
        super().__init__()
        self.session = WizardSession(
            settings,
            demo=demo,
            client_options=client_options,
            reference_factory=reference_factory,
            policy=scaled_policy(poll_interval),
            template=template,
            template_path=template_path,
            warn=lambda text: self.notify(visible(text), severity="warning", markup=False),
        )
        #: ``startjob watch REF... --tui``: the jobs (``jobrefs.Ref``) to open the Run step on.
        self.session.pending_watch = list(watch) if watch else None
        #: Save a draft and leave on SIGHUP/SIGTERM or a vanished terminal (the CLI sets it).
        self.handle_signals = handle_signals
        #: Why an unexpected error ended the wizard (printed once the terminal is restored).
        self._failure: Optional[str] = None

    @property
    def state(self) -> WizardState:
        """The session's choices (what the screens show)."""
        return self.session.state

    # -- flow ---------------------------------------------------------------------------

    def get_default_screen(self):
        """The first step is the app's base screen (no blank screen built and thrown away)."""
        from tui_app.ui.screens.connect import ConnectScreen

        return ConnectScreen()

    def on_mount(self) -> None:
        if self.handle_signals:
            self._watch_for_hangup()
        if self.session.pending_watch is not None:
            self.call_after_refresh(self._sign_in_for_watch)
        elif self.session.pending_template is None:
            self._offer_draft()
        else:
            self.call_after_refresh(self._sign_in_for_template)

    def go_next(self, step: str) -> None:
        from tui_app.ui.screens import screen_class

        session = self.session
        self.push_screen(screen_class(session.next_step(step), session.state.action)())

    async def after_connect(self) -> None:
        """Continue after signing in: the next step, or everything a template fills in, or
        the Run step on jobs started earlier. Raises ``ServerProblem`` when the template's
        choices cannot be looked up."""
        from tui_app.ui.screens import screen_class

        session = self.session
        if session.pending_template is None and session.pending_watch is None:
            self.go_next("Connect")
            return
        # Another Enter on Connect meanwhile would sign in again and lose the template.
        connect_button = self.screen_stack[0].query("#connect").set(disabled=True)
        try:
            opening = await session.open_pending()
            steps = opening.steps if opening is not None else [session.next_step("Connect")]
            for step in steps:
                await self.push_screen(screen_class(step, session.state.action)())
            if opening is not None and opening.message is not None:
                cast("StepScreen", self.screen).message.show(*opening.message)  # the landing
            if session.pending_watch is not None:
                await self._open_monitor(session.open_watch())
        finally:
            connect_button.set(disabled=False)

    async def _open_monitor(self, opening: Awaitable[Optional[list]]) -> None:
        """Open the Run step on the jobs ``opening`` (a session call) looks up; a problem is
        told on the step on screen."""
        from tui_app.jobrefs import RefError
        from tui_app.ui.screens import screen_class
        from tui_app.wizard.errors import ServerProblem

        screen = cast("StepScreen", self.screen)
        try:
            warnings = await opening
        except RefError as exc:
            screen.message.show("error", str(exc))
            return
        except ServerProblem as problem:
            screen.message.show_error(problem)
            return
        if warnings:
            self.session.start_notice = "\n".join(warnings)
        session = self.session
        await self.push_screen(screen_class(session.monitor_step(), session.state.action)())

    def go_back(self) -> None:
        """Back one step; everything entered stays in the session and in the kept screens."""
        if len(self.screen_stack) > 1:
            self.pop_screen()

    def screen_step(self) -> str:
        """The wizard step on screen (under any dialog open on top of it)."""
        for screen in reversed(self.screen_stack):
            step = getattr(screen, "STEP", "")
            if step:
                return step
        return ""

    async def on_unmount(self) -> None:
        await self.session.disconnect()

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
        if self.session.has_choices():
            self.session.keep_draft(self.screen_step())  # no terminal: a failure is not told
        hangup.arm_exit_watchdog(129)
        self.exit(return_code=129)

    def _offer_draft(self) -> None:
        draft = self.session.draft_to_offer()
        if draft is None:
            return
        what = draft.process_key or draft.queue_name or draft.url or "a connection"
        question = (
            f"An unfinished start was kept when the last session ended ({draft.saved_at}, "
            f"{visible(what, single_line=True)}, at the {draft.step or 'Connect'} step). "
            "Resume it? (No discards it.)")
        if draft.started_jobs and draft.action == "add_queue_item":
            question = (
                f"The last session ended ({draft.saved_at}) while following the queue item it "
                f"had added: {draft.started_jobs[0]['id']} ({visible(what, single_line=True)}). "
                "Resume it? Its monitor opens again; nothing is added. (No discards the draft; "
                "the item stays in the queue either way.)")
        elif draft.started_jobs:
            ids = ", ".join(str(job["id"]) for job in draft.started_jobs[:10])
            question = (
                f"The last session ended ({draft.saved_at}) while following the job(s) it had "
                f"started: {ids} ({visible(what, single_line=True)}). Resume it? The monitor "
                "of those jobs opens again; nothing is started. (No discards the draft; the "
                "jobs go on in Orchestrator either way.)")
        self.push_screen(
            ConfirmDialog(question, yes="Resume", no="Discard"),
            lambda yes: self._resume(draft) if yes else self.session.discard_draft(),
        )

    def _resume(self, draft) -> None:
        self.session.resume_draft(draft)
        cast("ConnectScreen", self.screen).refill_from_settings()  # offered over Connect
        self._point_at_missing("Resumed the draft.", sign_in=False)

    def _sign_in_for_watch(self) -> None:
        """``startjob watch --tui``: sign in at once when nothing is missing, else say what."""
        refs = " ".join(ref.text for ref in self.session.pending_watch)
        self._point_at_missing(f"Opening the monitor for {visible(refs, single_line=True)}.",
                               sign_in=True)

    def _sign_in_for_template(self) -> None:
        """``startjob open``: sign in at once when nothing is missing, else say what is."""
        opened = self.session.opened
        assert opened is not None  # the session was made with a template
        self._point_at_missing(
            f"Opening the template {visible(opened.name, single_line=True)!r}.",
            sign_in=True,
        )

    def _point_at_missing(self, intro: str, *, sign_in: bool) -> None:
        """On Connect: focus the first empty field needed to sign in and say what is
        missing; when nothing is, sign in (``sign_in``) or focus the Connect button."""
        from textual.widgets import Button

        from tui_app.ui.screens.connect import ConnectScreen

        screen = self.screen
        if not isinstance(screen, ConnectScreen):
            return
        missing = self.session.missing_to_sign_in(screen.settings_from_form())
        if not missing:
            if sign_in:
                screen.action_connect()
            else:
                screen.query_one("#connect", Button).focus()
                screen.message.show("info", f"{intro} Press Enter to sign in.")
            return
        names = [name for name, _ in missing]
        field = next((i for i in screen.shown_inputs() if i.id in names), None)
        if field is not None:
            field.focus()
        labels = " and ".join(label for _, label in missing)
        never = " (never kept in a file)" if any(n in SECRET_FIELDS for n in names) else ""
        screen.message.show("info", f"{intro} Type the {labels}{never}, then press Enter.")

    # -- unexpected errors --------------------------------------------------------------

    def _handle_exception(self, error: Exception) -> None:
        """Any unexpected error (in a handler or a worker): keep a secret-free draft, then
        leave with a one-paragraph message (no traceback, no locals) and EXIT_UNEXPECTED."""
        if self._failure is not None:
            return  # already on the way out: the first error is the one that is told
        try:
            from textual.worker import WorkerFailed

            cause = error.error if isinstance(error, WorkerFailed) else error
            group: Sequence[BaseException]
            while len(group := getattr(cause, "exceptions", ())) == 1:  # a task group's one error
                cause = group[0]
            path = None
            if not self.session.demo:
                path = self.session.keep_draft(self.screen_step(), self._form_settings())
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
        """The Connect form as settings (what was typed there), else the session's."""
        connect: Any = self.screen_stack[0] if self.screen_stack else None
        try:
            return connect.settings_from_form()
        except Exception:  # noqa: BLE001 - no form, or one that cannot be read
            return self.state.settings

    def _failure_text(self, cause: BaseException, draft: Optional[Path]) -> str:
        detail = f"{type(cause).__name__}: {cause}" if str(cause) else type(cause).__name__
        detail = self.session.without_secrets(detail, self._form_settings())
        detail = visible(detail, single_line=True, limit=300)
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

    # -- app-wide actions ---------------------------------------------------------------

    def show_help(self, screen) -> None:
        self.push_screen(
            HelpDialog(f"{screen.STEP}: {screen.HEADING}", screen.HELP, screen.key_help())
        )

    def check_action(self, action: str, parameters: tuple):
        """Recent starts: not over a dialog, nor on the Run or Monitor step (they follow
        what was started or added)."""
        if action == "recent_starts":
            return getattr(self.screen, "STEP", "") not in ("", "Run", "Monitor")
        return True

    def action_recent_starts(self) -> None:
        """Pick a start from the history and open the Run step on its jobs."""
        from tui_app.history import read_entries
        from tui_app.jobrefs import HISTORY, Ref
        from tui_app.locations import LocationError
        from tui_app.ui.recent import RecentStartsDialog

        screen = cast("StepScreen", self.screen)
        if self.session.client is None:
            screen.message.show("info", "Sign in first (Enter): the jobs of a recent start "
                                        "are looked up in Orchestrator.")
            return
        try:
            entries = read_entries(RecentStartsDialog.LIMIT)
        except (OSError, LocationError) as exc:
            screen.message.show("error", f"The history cannot be read: {exc}")
            return
        if not entries:
            screen.message.show("info", "No job was started with startjob yet.")
            return

        def picked(number: Optional[int]) -> None:
            if number is not None:
                ref = Ref(f"@{number}", HISTORY, number)
                self.run_worker(self._open_monitor(self.session.watch_refs([ref])),
                                group="reattach", exclusive=True)

        self.push_screen(RecentStartsDialog(entries), picked)

    def action_request_quit(self) -> None:
        starting = any(w.group == "start" and w.is_running for w in self.workers)
        question = self.session.quit_question(starting=starting)
        if question is None or isinstance(self.screen, ConfirmDialog):
            self.exit()
            return
        self.push_screen(
            ConfirmDialog(question, yes="Quit", no="Stay"),
            lambda yes: self.exit() if yes else None,
        )


def make_app(
    settings: Optional[ConnectionSettings] = None,
    *,
    demo: bool = False,
    **options,
) -> WizardApp:
    """Build the wizard; the CLI, the tests and the screenshot script all use this."""
    return WizardApp(settings or ConnectionSettings(), demo=demo, **options)
