"""Step 3: find the process by name (search as you type, on the server)."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.timer import Timer
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tui_app.text import visible
from tui_app.ui.screens.base import StepScreen
from tui_app.ui.screens.folder import ListNavigation, PointerList
from tui_app.ui.widgets import SafeInput
from tui_app.wizard.errors import ServerProblem

SEARCH_DELAY = 0.3  # seconds of quiet typing before one request is sent
PAGE_SIZE = 50


@dataclass(frozen=True)
class ProcessRow:
    """One process (ProcessKey) with its releases on the current page."""

    key: str
    releases: tuple

    @property
    def latest(self):
        return max(self.releases, key=lambda r: (r.is_latest_version, r.process_version))

    def label(self) -> Text:
        latest = self.latest
        text = Text(visible(self.key, single_line=True, limit=60), style="bold")
        if len({r.process_version for r in self.releases}) == 1:
            text.append(f"  v{visible(latest.process_version, single_line=True, limit=20)}")
            where = [r.environment_name for r in self.releases if r.environment_name]
        else:  # e.g. Production still on an older version than QuickstartDemo
            where = [f"{r.environment_name or r.name} v{r.process_version}" for r in self.releases]
        if where:
            text.append("  · " + visible(", ".join(where), single_line=True, limit=70), style="dim")
        if latest.description:
            text.append(
                "\n  " + visible(latest.description, single_line=True, limit=200), style="dim"
            )
        return text


def group_releases(releases) -> list:
    """One row per process key, its releases in the order listed."""
    rows: dict = {}
    for release in releases:
        rows.setdefault(release.process_key, []).append(release)
    return [ProcessRow(key, tuple(releases)) for key, releases in rows.items()]


class ProcessScreen(ListNavigation, StepScreen):
    STEP = "Process"
    HEADING = "Find the process"
    HELP = """
Type part of the process name; the list updates when you pause typing (the search runs
on Orchestrator, so it finds processes in large tenants too). Up/Down move; Enter chooses.

Each entry shows the process key, its version and the environments it is released to
(each with its own version when they differ), with the description below. The
highlighted entry is marked ▸.
"""
    BINDINGS = [
        *ListNavigation.LIST_BINDINGS,
        Binding("ctrl+n", "choose", "Choose", key_display="enter/^n", id="wizard.next"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list = []
        #: The last search listed every release it found (not one page of more).
        self.complete = True
        self._timer: Timer | None = None
        #: The search text the list shows the answer to (None: no answer yet), and whether
        #: Enter came before the answer to what was typed (a burst of keys over a slow link).
        self._shown: str | None = None
        self._choose_when_shown = False

    def heading(self) -> str:
        folder = self.state.folder
        where = f" in {visible(folder.fully_qualified_name, single_line=True)}" if folder else ""
        return f"{self.HEADING}{where}"

    def compose_body(self) -> ComposeResult:
        yield SafeInput(
            self.state.search_text, placeholder="Search processes…", id="search", compact=True
        )
        yield Static("", id="count")
        yield PointerList(id="processes", compact=True)

    def on_mount(self) -> None:
        self.query_one("#search", Input).focus()
        self.search(self.state.search_text)

    @on(Input.Changed, "#search")
    def _typed(self, event: Input.Changed) -> None:
        self.state.search_text = event.value
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(SEARCH_DELAY, lambda: self.search(event.value))

    @work(exclusive=True, group="search")
    async def search(self, text: str) -> None:
        options = self.query_one(OptionList)
        options.loading = True
        try:
            page = await self.session.search_releases(text, top=PAGE_SIZE)
        except ServerProblem as problem:
            self._choose_when_shown = False
            self.message.show_error(problem)
            return
        finally:
            options.loading = False
        self.message.clear()
        self.show_page(text, page)
        if self._choose_when_shown and text == self.state.search_text:
            self._choose_when_shown = False
            self.action_choose()

    def show_page(self, text: str, page) -> None:
        self._shown = text
        self.complete = page.total <= len(page.items)
        self.rows = group_releases(page.items)
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(Option(row.label(), id=str(i)) for i, row in enumerate(self.rows))
        count = self.query_one("#count", Static)
        if not self.rows:
            needle = visible(text.strip(), single_line=True)
            count.update(
                Text(f"No process matches '{needle}'." if needle else "No processes here.")
            )
            return
        chosen = self.state.release.process_key if self.state.release else None
        keys = [row.key for row in self.rows]
        options.highlighted = keys.index(chosen) if chosen in keys else 0
        shown = len(page.items)
        total = max(page.total, shown)
        noun = "release" if total == 1 else "releases"
        if total > shown:
            count.update(Text(f"{shown} of {total} {noun} shown — type more to narrow down."))
        else:
            count.update(Text(f"{len(self.rows)} process(es), {total} {noun}."))

    @on(Input.Submitted, "#search")
    @on(OptionList.OptionSelected)
    def action_choose(self) -> None:
        if self._shown != self.state.search_text:  # the list is older than what was typed
            self._choose_when_shown = True
            if self._timer is not None:
                self._timer.stop()
            self.search(self.state.search_text)
            return
        options = self.query_one(OptionList)
        if options.highlighted is None or not self.rows:
            self.message.show("error", "Choose a process first (type to search, Up/Down, Enter).")
            return
        self.choose(self.rows[options.highlighted])

    @work(exclusive=True, group="choose")
    async def choose(self, row: ProcessRow) -> None:
        try:
            await self.session.pick_process(row.key, row.releases, complete=self.complete)
        except ServerProblem as problem:
            self.message.show_error(problem)
            return
        self.wizard.go_next(self.STEP)
