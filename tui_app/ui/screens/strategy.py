"""Step 5: how many jobs and on which robots."""

from __future__ import annotations

from typing import Optional

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import (
    Checkbox,
    ContentSwitcher,
    Input,
    Label,
    RadioSet,
    Select,
    SelectionList,
    Static,
)
from textual.widgets.selection_list import Selection

from tui_app.availability import availability_note
from tui_app.plan import CLASSIC_STRATEGIES, MAX_JOBS_COUNT
from tui_app.text import visible
from tui_app.ui.screens.base import StepScreen
from tui_app.ui.widgets import CheckList, MarkedCheckbox, MarkedRadioButton, SafeInput
from tui_app.wizard.choices import parse_jobs_count
from tui_app.wizard.errors import ServerProblem

CLASSIC_LABELS = {
    "Specific": "Specific robots",
    "JobsCount": "Number of jobs",
    "All": "All robots",
}
#: Rows drawn in the robot checklist at most; the filter narrows the rest down.
MAX_SHOWN = 200
STATE_MARK = {"Available": "●", "Busy": "◐", "Disconnected": "○", "Unknown": "?"}


def robot_label(robot, colour: bool = True) -> Text:
    """Name, machine and state in words (the state is never shown by colour alone).

    Without colour (NO_COLOR) the state is plain text: a red turned grey is unreadable.
    """
    state_style = {"Available": "green", "Busy": "yellow", "Disconnected": "red"} if colour else {}
    text = Text(visible(robot.name, single_line=True, limit=24).ljust(24))
    text.append(
        " " + visible(robot.machine_name, single_line=True, limit=20).ljust(20), style="dim"
    )
    text.append(
        f" {STATE_MARK.get(robot.state, '?')} {robot.state}", style=state_style.get(robot.state, "")
    )
    return text


class StrategyScreen(StepScreen):
    STEP = "Strategy"
    HEADING = "Choose where the jobs run"
    HELP = """
Classic folders (environments):
- Specific robots: tick one or more robots of the release's environment (Space ticks,
  Ctrl+T ticks every robot shown, Ctrl+Y clears; type in the filter box to narrow down,
  Down moves from the filter box into the list).
- Number of jobs: Orchestrator places that many jobs on the environment's robots.
- All robots: one job on every robot of the environment.

Modern folders: a number of jobs of a runtime type (Unattended by default), optionally
only on chosen robots (users) of the folder.

The robot state (Available, Busy, Disconnected) is shown in words. A job for a Busy or
Disconnected robot waits Pending until the robot is free or connected; the message line
says which chosen robots are not Available. Attended and developer robots are not listed:
Orchestrator starts no unattended job on them. In a modern folder the runtimes of each
type are counted (available, connected), and the message line warns when none of the
chosen type is free. Tab moves between fields; Ctrl+N continues.
"""
    DEFAULT_CSS = """
    StrategyScreen #availability { height: auto; padding: 0 1; margin-bottom: 1; }
    """
    BINDINGS = [
        Binding("ctrl+n", "next", "Next", key_display="^n", id="wizard.next"),
        Binding("ctrl+t", "select_all", "All robots", id="strategy.tick_all"),
        Binding("ctrl+y", "select_none", "None", id="strategy.tick_none"),
        Binding("down", "into_list", "Into the robot list", show=False,
                id="strategy.into_list"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._rows_cache: tuple = (None, [])
        #: Ids of the robots matching the filter (ctrl+t / ctrl+y act on all of them).
        self._matches: list = []
        #: The checklist has been filled once (ctrl+t / ctrl+y before that load the robots).
        self._listed = False
        #: The message line shows the note about robots that are not Available.
        self._noted = False
        #: Why the runtime counts are not shown ("" when they are, or not asked yet).
        self._runtimes_missing = ""

    def _environment_name(self) -> str:
        """The chosen release's environment ("" when it has none)."""
        release = self.state.release
        return (release.environment_name if release else None) or ""

    def heading(self) -> str:
        if self.state.is_classic:
            where = self._environment_name() or "?"
            return f"{self.HEADING} (environment {visible(where, single_line=True)})"
        folder = self.state.folder.fully_qualified_name if self.state.folder else ""
        return f"{self.HEADING} (modern folder {visible(folder, single_line=True)})"

    def compose_body(self) -> ComposeResult:
        if self.state.is_classic:
            kind = (
                self.state.strategy_kind
                if self.state.strategy_kind in CLASSIC_STRATEGIES
                else "Specific"
            )
            with RadioSet(id="kind", compact=True):
                for name in CLASSIC_STRATEGIES:
                    yield MarkedRadioButton(CLASSIC_LABELS[name], value=name == kind, name=name)
            yield Static(id="availability")
            with ContentSwitcher(initial=kind, id="panes"):
                with Vertical(id="Specific"):
                    yield from self._robot_picker()
                with Vertical(id="JobsCount"):
                    yield from self._jobs_count_row()
                    yield Static(
                        f"Orchestrator places that many jobs (1 to {MAX_JOBS_COUNT:,}) on the "
                        "robots of the environment that are free.",
                        classes="hint",
                    )
                with Vertical(id="All"):
                    yield Static("", id="all-summary")
        else:
            yield from self._jobs_count_row()
            with Horizontal(classes="row"):
                yield Label("Runtime type", classes="field-label")
                yield Select(
                    self._runtime_options(),
                    value=self.state.runtime_type,
                    allow_blank=False,
                    id="runtime",
                    compact=True,
                )
            yield Static(id="availability")
            robots_chosen = bool(self.state.selected_robots.get(self.state.robots_key()))
            yield MarkedCheckbox(
                "Only on robots I choose (otherwise Orchestrator picks)",
                value=robots_chosen,
                id="pick-robots",
                compact=True,
            )
            with Vertical(id="modern-robots"):
                yield from self._robot_picker()

    def _robot_picker(self) -> ComposeResult:
        yield SafeInput(placeholder="Filter robots…", id="robot-filter", compact=True)
        yield Static("The robots are listed when you move here (Tab).", id="robot-count")
        yield CheckList(id="robots", compact=True)

    def _jobs_count_row(self) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Label("Number of jobs", classes="field-label")
            yield SafeInput(
                self.state.jobs_count_text,
                id="jobs-count",
                compact=True,
                restrict=r"[0-9]*",
                max_length=6,
            )

    def on_mount(self) -> None:
        if self.state.is_classic:
            self._kind_changed_to(self._kind())
            self.query_one(RadioSet).focus()
        else:
            self.query_one("#jobs-count", Input).focus()
            self._toggle_modern_robots()
            self.load_runtimes()
        self._show_availability()

    # -- which strategy -------------------------------------------------------------------

    def _kind(self) -> str:
        if not self.state.is_classic:
            return "ModernJobsCount"
        pressed = self.query_one(RadioSet).pressed_button
        return pressed.name if pressed is not None and pressed.name else "Specific"

    @on(RadioSet.Changed, "#kind")
    def _kind_event(self) -> None:
        """A strategy was picked (Enter/Space): show its pane and move into it."""
        kind = self._kind()
        self._kind_changed_to(kind)
        first = {"Specific": "#robots", "JobsCount": "#jobs-count"}.get(kind)
        if first:
            self.query_one(first).focus()

    def _kind_changed_to(self, kind: str) -> None:
        self.state.strategy_kind = kind
        self.query_one(ContentSwitcher).current = kind
        self.message.clear()
        self._noted = False
        self._note_availability()
        self.refresh_bindings()
        if kind == "All":
            self.load_robots()

    def on_descendant_focus(self, event) -> None:
        """Robots are fetched when the person moves into the checklist, not before."""
        if event.widget.id in ("robots", "robot-filter"):
            self.load_robots()
            if self._listed:
                self._update_counts()  # the hint depends on where the cursor is

    @on(Checkbox.Changed, "#pick-robots")
    def _toggle_modern_robots(self) -> None:
        wanted = self.query_one("#pick-robots", Checkbox).value
        self.query_one("#modern-robots").display = wanted
        self.refresh_bindings()
        self._note_availability()
        self._show_availability()
        if wanted:
            self.load_robots()

    # -- availability ---------------------------------------------------------------------

    def _runtime_options(self) -> list:
        """The runtime types the folder has that the release can use, each with its counts
        in words (once they are known)."""
        types = self.session.runtime_types()
        if self.state.runtime_type not in types:
            self.state.runtime_type = types[0]
        options = []
        for runtime in types:
            words = self.session.runtime_words(runtime)
            options.append((f"{runtime}: {words}" if words else runtime, runtime))
        return options

    def _runtime_type(self) -> str:
        return str(self.query_one("#runtime", Select).value)

    @work(exclusive=True, group="runtimes")
    async def load_runtimes(self) -> None:
        """Ask for the folder's runtime counts (modern folders), then show and check them."""
        try:
            found = await self.session.load_runtimes()
        except ServerProblem as problem:
            self._runtimes_missing = f"Runtime counts could not be read: {problem.error.title}."
        else:
            self._runtimes_missing = (
                "" if found is not None else "Runtime counts not available on this server")
        picker = self.query_one("#runtime", Select)
        with picker.prevent(Select.Changed):
            picker.set_options(self._runtime_options())
            picker.value = self.state.runtime_type
        self._show_availability()
        self._note_availability()

    @on(Select.Changed, "#runtime")
    def _runtime_changed(self) -> None:
        self.state.runtime_type = self._runtime_type()
        self._show_availability()
        self._note_availability()

    def _show_availability(self) -> None:
        """The runtime counts (modern) and the robots by state, once they are known."""
        text = Text()
        if not self.state.is_classic:
            for line in self.session.runtime_lines(self._runtime_type()):
                text.append(line + "\n")
            if self._runtimes_missing:
                text.append(self._runtimes_missing + "\n", style="dim")
        counts = self.session.robot_counts()
        if counts and (self.state.is_classic or self._robots_visible()):
            text.append(visible(counts) + "\n")
        text.rstrip()
        shown = self.query_one("#availability", Static)
        shown.update(text)
        shown.display = bool(text.plain)

    # -- robots -------------------------------------------------------------------------

    def robots(self):
        """The robots on offer (the state's own sequence: it is not copied)."""
        return self.session.robot_pool()

    def selected(self) -> set:
        return self.session.ticked_robots()

    @work(exclusive=True, group="robots")
    async def load_robots(self, tick: Optional[bool] = None) -> None:
        """Fetch the robots once per environment/folder, then show them; then tick (True)
        or clear (False) every robot shown when ``tick`` is given (ctrl+t / ctrl+y)."""
        # Not ``loading``: Textual gives a loading widget neither focus nor keys, and a Tab and
        # Space typed ahead must reach the list (it keeps the Space until robots are listed).
        if not self.session.robots_loaded():
            self.query_one("#robot-count", Static).update(Text("Listing the robots…"))
        try:
            robots = await self.session.load_robots()
        except ServerProblem as problem:
            self.message.show_error(problem)
            return
        if robots is None:
            name = self._environment_name()
            self.message.show(
                "error",
                f"The environment {name!r} no longer exists "
                "in this folder. Go back and choose another release.",
            )
            return
        self._refill_robots()
        self._show_availability()
        if tick is not None:
            self._set_all(tick)
        self.query_one("#robots", CheckList).catch_up()  # a Space typed while loading

    def _rows(self) -> list:
        """(robot, label, lower-case search text) per robot, built once per robot list."""
        robots = self.robots()
        if self._rows_cache[0] is not robots:
            colour = not self.app.no_color
            rows = [
                (r, robot_label(r, colour), f"{r.name} {r.machine_name} {r.state}".lower())
                for r in robots
            ]
            self._rows_cache = (robots, rows)
        return self._rows_cache[1]

    def _refill_robots(self) -> None:
        """Show the robots matching the filter (at most MAX_SHOWN rows; counts cover all)."""
        needle = self.query_one("#robot-filter", Input).value.strip().lower()
        rows = self._rows()
        chosen = self.selected()
        chosen &= {robot.id for robot, _, _ in rows}  # robots that disappeared are unticked
        matches = [row for row in rows if needle in row[2]] if needle else rows
        self._matches = [robot.id for robot, _, _ in matches]
        picker = self.query_one("#robots", SelectionList)
        picker.clear_options()
        picker.add_options(
            Selection(label, robot.id, robot.id in chosen)
            for robot, label, _ in matches[:MAX_SHOWN]
        )
        if matches:
            picker.highlighted = 0
        self._listed = True
        self._update_counts()

    def _update_counts(self) -> None:
        robots = self.robots()
        matching = len(self._matches)
        note = ""
        if matching != len(robots):
            note = f", {matching:,} match the filter"
        if matching > MAX_SHOWN:
            note += f" (first {MAX_SHOWN} shown: type to narrow)"
        in_filter = self.focused is not None and self.focused.id == "robot-filter"
        hint = "Down: into the list." if in_filter else "Space ticks the highlighted robot."
        self.query_one("#robot-count", Static).update(
            Text(f"{len(self.selected()):,} of {len(robots):,} robot(s) selected{note}. {hint}")
        )
        self._note_availability()
        if self.state.is_classic:
            environment = self._environment_name() or "?"
            count = len(robots)
            self.query_one("#all-summary", Static).update(
                Text(
                    f"One job on each of the {count} robot(s) of {visible(environment)}: "
                    f"{count} job(s) in total.\n"
                    + "\n".join(
                        f"  {visible(r.name, single_line=True)} ({r.state})" for r in robots[:8]
                    )
                    + ("\n  …" if count > 8 else "")
                )
            )

    @on(Input.Changed, "#robot-filter")
    def _filter_robots(self) -> None:
        self.query_one("#robots", CheckList).typed_ahead = False  # a Space in an empty filter
        self._refill_robots()

    @on(SelectionList.SelectionToggled, "#robots")
    def _toggled(self, event: SelectionList.SelectionToggled) -> None:
        value = event.selection.value
        chosen = self.selected()
        chosen.symmetric_difference_update({value})
        self._update_counts()

    def _set_all(self, tick: bool) -> None:
        """Tick (or clear) every robot matching the filter, shown or not."""
        picker = self.query_one("#robots", SelectionList)
        if tick:
            self.selected().update(self._matches)
            picker.select_all()
        else:
            self.selected().difference_update(self._matches)
            picker.deselect_all()
        self._update_counts()

    def _note_availability(self) -> None:
        """Say which robots the jobs would go to are not Available, and (modern) when no
        runtime of the chosen type is free: the jobs would wait Pending."""
        robots = self.robots()
        if self._kind() == "All":
            chosen = robots
        elif self._robots_visible():
            ticked = self.selected()
            chosen = [robot for robot in robots if robot.id in ticked]
        else:
            chosen = []
        notes = [availability_note(chosen)]
        if not self.state.is_classic:
            notes.append(self.session.runtime_warning(self._runtime_type()))
        note = "\n".join(filter(None, notes))
        if note:
            self.message.show("warning", note)
        elif self._noted:
            self.message.clear()
        self._noted = bool(note)

    def action_select_all(self) -> None:
        if self._listed:
            self._set_all(True)
        else:
            self.load_robots(tick=True)

    def action_select_none(self) -> None:
        if self._listed:
            self._set_all(False)
        else:
            self.load_robots(tick=False)

    def action_into_list(self) -> None:
        self.query_one("#robots", SelectionList).focus()

    def _robots_visible(self) -> bool:
        if self.state.is_classic:
            return self._kind() == "Specific"
        return self.query_one("#pick-robots", Checkbox).value

    def check_action(self, action: str, parameters: tuple):
        """The robot keys only show (and work) while the checklist is on screen."""
        if action in ("select_all", "select_none") and self.is_mounted:
            return self._robots_visible()
        if action == "into_list":  # only from the filter box; elsewhere Down is the widget's
            return self.focused is not None and self.focused.id == "robot-filter"
        return True

    # -- next ---------------------------------------------------------------------------

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "jobs-count":
            self.action_next()

    def action_next(self) -> None:
        kind = self._kind()
        if kind in ("JobsCount", "ModernJobsCount"):
            field = self.query_one("#jobs-count", Input)
            self.state.jobs_count_text = field.value
            try:
                parse_jobs_count(field.value)
            except ValueError as exc:
                self.message.show("error", str(exc))
                field.focus()
                return
        if kind == "ModernJobsCount":
            self.state.runtime_type = str(self.query_one("#runtime", Select).value)
            if not self.query_one("#pick-robots", Checkbox).value:
                self.selected().clear()
        if self._robots_visible() and not self.selected():
            untick = ', or untick "Only on robots I choose"' if kind == "ModernJobsCount" else ""
            self.message.show(
                "error",
                "Tick at least one robot (Space ticks the highlighted robot, Ctrl+T ticks all "
                f"shown){untick}.",
            )
            self._noted = False
            self.query_one("#robots", SelectionList).focus()
            return
        if kind == "All" and not self.robots():
            self.message.show(
                "error",
                "This environment has no robots, so All would start "
                "nothing. Choose another strategy or release.",
            )
            return
        self.state.strategy_kind = kind
        self.wizard.go_next(self.STEP)
