"""Step 4: pick the release (environment) when a process has several."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from tui_app.text import visible
from tui_app.ui.screens.base import StepScreen
from tui_app.ui.screens.folder import PointerList


def release_label(release) -> Text:
    """A release's environment, version (latest or older) and name."""
    environment = release.environment_name or "(no environment)"
    text = Text(visible(environment, single_line=True, limit=60), style="bold")
    text.append(f"  v{visible(release.process_version, single_line=True, limit=20)}")
    text.append(
        "  latest" if release.is_latest_version else "  older version",
        style="" if release.is_latest_version else "dim",
    )
    text.append("\n  " + visible(release.name, single_line=True, limit=120), style="dim")
    return text


class ReleaseScreen(StepScreen):
    STEP = "Release"
    HEADING = "Choose the release"
    HELP = """
This process is released more than once (usually once per environment). Choose the one
to start: the environment decides which robots can run it. Up/Down move the ▸ marker;
Enter chooses the marked release.
"""
    BINDINGS = [Binding("ctrl+n", "choose", "Choose", key_display="enter/^n", id="wizard.next")]

    def heading(self) -> str:
        key = self.state.releases[0].process_key if self.state.releases else ""
        return f"{self.HEADING} of {visible(key, single_line=True)}"

    def releases(self) -> list:
        return sorted(
            self.state.releases,
            key=lambda r: (not r.is_latest_version, (r.environment_name or "").lower(), r.name),
        )

    def compose_body(self) -> ComposeResult:
        yield PointerList(
            *(Option(release_label(r), id=str(r.id)) for r in self.releases()),
            id="releases",
            compact=True,
        )

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        ids = [r.id for r in self.releases()]
        chosen = self.state.release
        options.highlighted = ids.index(chosen.id) if chosen and chosen.id in ids else 0
        options.focus()

    @on(OptionList.OptionSelected)
    def action_choose(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return
        self.session.choose_release(self.releases()[options.highlighted])
        self.wizard.go_next(self.STEP)
