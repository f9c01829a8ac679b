"""Step 6: the rest of Orchestrator's Start Job dialog: entry point, priority, execution
target, stop after a duration, alerts. Pre-filled so Ctrl+N goes straight on."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static

from tui_app.start_options import PRIORITIES, STOP_STRATEGIES, priority_words
from tui_app.text import visible
from tui_app.ui.screens.base import StepScreen
from tui_app.ui.widgets import SafeInput
from tui_app.wizard.errors import ServerProblem
from tui_app.wizard.state import DURATION_FIELDS

#: Widget id of each ``OptionsChoice`` field the person types or picks.
FIELD_IDS = {
    "entry_point": "entry-point",
    "priority": "priority",
    "priority_value": "priority-value",
    "machine": "target",
    "stop_strategy": "stop-strategy",
    **{name: name.replace("_", "-") for name, _ in DURATION_FIELDS},
}
STOP_LABELS = {"SoftStop": "Soft stop (the process ends cleanly)", "Kill": "Kill"}
DURATION_HINT = "e.g. 90m, 2h, 1h30m (empty: none)"
#: ``target`` Select values: "" (Orchestrator picks), machine, or machine + TAB + host.
PICKS = ""


def target_value(machine: str, host: str = "") -> str:
    return f"{machine}\t{host}" if host else machine if machine else PICKS


class OptionsScreen(StepScreen):
    STEP = "Options"
    HEADING = "Start options"
    HELP = """
The rest of Orchestrator's Start Job dialog; every field is pre-filled, so Ctrl+N goes
straight on when nothing needs changing.

- Entry point: the workflow the job starts with (a choice when the release has several;
  the argument form then shows that entry point's own arguments).
- Priority: Inherit keeps the release's own; Low / Normal / High; or a specific value
  from 1 to 100 (its word is shown next to it).
- Execution target (modern folders): Orchestrator picks, or a machine, or one host of
  it. Each host's status is shown in words; a host in maintenance mode or unresponsive
  takes no job (the message line warns).
- Stop after: a running job is stopped after that long (90m, 2h, 1h30m); Soft stop asks
  the process to end, Kill ends it at once. Kill after: a soft-stopped job still running
  that much later is killed.
- Alerts: Orchestrator raises an alert for a job Pending or Running longer than that.

Tab / Shift+Tab move between fields; Enter opens a list; Ctrl+N continues.
"""
    BINDINGS = [Binding("ctrl+n", "next", "Next", key_display="^n", id="wizard.next")]
    DEFAULT_CSS = """
    OptionsScreen .option { height: 1; }
    OptionsScreen .option-label { width: 29; padding-right: 1; color: $text-muted; }
    OptionsScreen .option > Select, OptionsScreen .option > Input { width: 1fr; }
    OptionsScreen #priority { width: 29; }
    OptionsScreen #priority-value { width: 8; margin-left: 1; }
    OptionsScreen #priority-words { width: 1fr; padding-left: 1; }
    OptionsScreen .option-note { height: auto; color: $text-muted; padding-left: 29; }
    """

    def heading(self) -> str:
        release = self.state.release
        name = release.process_key if release else ""
        return f"{self.HEADING} of {visible(name, single_line=True)}"

    def compose_body(self) -> ComposeResult:
        choice = self.state.options
        release = self.state.release
        own = (release.entry_point_path if release else None) or "the release's own"
        with VerticalScroll(id="options", classes="form", can_focus=False):
            with Horizontal(classes="option"):
                yield Label("Entry point", classes="option-label")
                if self.session.several_entry_points():
                    yield Select(self._entry_options(["", choice.entry_point]),
                                 value=choice.entry_point, allow_blank=False, compact=True,
                                 id="entry-point")
                else:
                    yield Static(Text(visible(own, single_line=True)),
                                 id="entry-point-text")
            yield Static(id="entry-note", classes="option-note")
            with Horizontal(classes="option"):
                yield Label("Priority", classes="option-label")
                yield Select(self._priority_options(), value=choice.priority,
                             allow_blank=False, compact=True, id="priority")
                yield SafeInput(choice.priority_value, placeholder="1-100", restrict=r"[0-9]*",
                                max_length=3, compact=True, id="priority-value")
                yield Static(id="priority-words")
            if not self.state.is_classic:
                with Horizontal(classes="option"):
                    yield Label("Execution target", classes="option-label")
                    yield Select(self._target_options(), allow_blank=False, compact=True,
                                 value=target_value(choice.machine, choice.host), id="target")
                yield Static(id="target-note", classes="option-note")
            for name, label in DURATION_FIELDS:
                if name == "kill_after":
                    with Horizontal(classes="option"):
                        yield Label("Stop strategy", classes="option-label")
                        yield Select(((STOP_LABELS[s], s) for s in STOP_STRATEGIES),
                                     value=choice.stop_strategy, allow_blank=False,
                                     compact=True, id="stop-strategy")
                with Horizontal(classes="option", id=f"{FIELD_IDS[name]}-row"):
                    shown = "Kill after (grace period)" if name == "kill_after" else label
                    yield Label(shown, classes="option-label")
                    yield SafeInput(getattr(choice, name), placeholder=DURATION_HINT,
                                    compact=True, id=FIELD_IDS[name])

    def on_mount(self) -> None:
        self.query_one("#entry-point" if self.session.several_entry_points()
                       else "#priority").focus()
        self._show_priority()
        self._show_kill_after()
        self.query_one("#entry-note", Static).display = False
        if self.session.several_entry_points():
            self.load_entry_points()
        if not self.state.is_classic:
            self.query_one("#target-note", Static).display = False
            self.load_targets()

    # -- the lists --------------------------------------------------------------------------

    def _entry_options(self, paths) -> list:
        """(label, value) per entry point path; "" is the release's own."""
        release = self.state.release
        own = f"{(release.entry_point_path if release else None) or ''} (the release's own)"
        return [(visible(path or own.lstrip(), single_line=True), path)
                for path in dict.fromkeys(paths)]

    def _priority_options(self) -> list:
        release = self.state.release
        inherit = priority_words(None, release.default_priority if release else None)
        return ([(inherit[0].upper() + inherit[1:], "inherit")] + [(p, p) for p in PRIORITIES]
                + [("Specific value (1-100)", "value")])

    def _target_options(self) -> list:
        """Orchestrator picks, then each machine and each of its hosts, status in words."""
        choice = self.state.options
        options = [("Orchestrator picks", PICKS)]
        values = {PICKS}
        machine = None
        for found in self.session.known_sessions() or ():
            if found.machine_name != machine:
                machine = found.machine_name
                options.append((visible(f"Machine {machine}: any host", single_line=True),
                                target_value(machine)))
            words = found.status_words()
            mark = "    " if found.takes_jobs else "  ! "
            options.append((visible(f"{mark}{found.host_machine_name}: {words}",
                                    single_line=True),
                            target_value(found.machine_name, found.host_machine_name)))
        values.update(value for _, value in options)
        chosen = target_value(choice.machine, choice.host)
        if chosen not in values:  # a saved name that is not listed (yet): kept, said so
            where = f"{choice.machine} / {choice.host}" if choice.host else choice.machine
            options.append((visible(f"{where} (not found in this folder)", single_line=True),
                            chosen))
        return options

    @work(exclusive=True, group="entry-points")
    async def load_entry_points(self) -> None:
        try:
            entry_points, note = await self.session.load_entry_points()
        except ServerProblem as problem:
            self._note("#entry-note", f"The entry points could not be read: "
                                      f"{problem.error.title}. The release's own is used.")
            return
        picker = self.query_one("#entry-point", Select)
        current = self.state.options.entry_point
        own = (self.state.release.entry_point_path or "") if self.state.release else ""
        paths = [""] + [e.path for e in entry_points if e.path != own]
        with picker.prevent(Select.Changed):
            picker.set_options(self._entry_options(paths + [current]))
            picker.value = current
        self._note("#entry-note", note)

    @work(exclusive=True, group="targets")
    async def load_targets(self) -> None:
        try:
            found = await self.session.load_machine_sessions()
        except ServerProblem as problem:
            self._note("#target-note", f"The machines could not be listed: "
                                       f"{problem.error.title}.")
            return
        picker = self.query_one("#target", Select)
        with picker.prevent(Select.Changed):
            picker.set_options(self._target_options())
            picker.value = target_value(self.state.options.machine, self.state.options.host)
        if found is None:
            self._note("#target-note", "Machine sessions are not available on this server: "
                                       "Orchestrator picks.")
        self._warn_target()

    def _note(self, where: str, text: str) -> None:
        note = self.query_one(where, Static)
        note.update(Text(visible(text)))
        note.display = bool(text)

    # -- changes ----------------------------------------------------------------------------

    @on(Select.Changed, "#entry-point")
    def _entry_point_changed(self, event: Select.Changed) -> None:
        dropped = self.session.choose_entry_point(str(event.value))
        if dropped:
            self.message.show("warning", "Not sent any more (the entry point has no such "
                                         f"argument, or another type): {', '.join(dropped)}.")

    @on(Select.Changed, "#priority")
    def _priority_changed(self, event: Select.Changed) -> None:
        self.state.options.priority = str(event.value)
        self._show_priority()
        if event.value == "value":
            self.query_one("#priority-value", Input).focus()

    @on(Select.Changed, "#target")
    def _target_changed(self, event: Select.Changed) -> None:
        machine, _, host = str(event.value).partition("\t")
        self.state.options.machine, self.state.options.host = machine, host
        self._warn_target()

    @on(Select.Changed, "#stop-strategy")
    def _stop_strategy_changed(self, event: Select.Changed) -> None:
        self.state.options.stop_strategy = str(event.value)
        self._show_kill_after()

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        for name, widget_id in FIELD_IDS.items():
            if event.input.id == widget_id:
                setattr(self.state.options, name, event.value)
        if event.input.id == "priority-value":
            self._show_priority()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.focus_next()

    def _show_priority(self) -> None:
        choice = self.state.options
        specific = choice.priority == "value"
        self.query_one("#priority-value").display = specific
        words = self.query_one("#priority-words", Static)
        words.display = specific
        text = choice.priority_value.strip()
        if specific and text.isdigit() and 1 <= int(text) <= 100:
            words.update(priority_words(int(text)).partition(" ")[2].strip("()"))
        else:
            words.update("")

    def _show_kill_after(self) -> None:
        self.query_one("#kill-after-row").display = (
            self.state.options.stop_strategy == "SoftStop")

    def _warn_target(self) -> None:
        warning = self.session.target_warning()
        if warning:
            self.message.show("warning", warning)
        else:
            self.message.clear()

    # -- next -------------------------------------------------------------------------------

    def action_next(self) -> None:
        problem = self.session.options_problem()
        if problem is not None:
            name, text = problem
            self.message.show("error", text)
            widget: Widget = self.query_one(f"#{FIELD_IDS[name]}")
            widget.focus()
            return
        self.message.clear()
        self.wizard.go_next(self.STEP)
