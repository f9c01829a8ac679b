"""Small widgets shared by the wizard's screens."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tui_app.orchestrator.errors import OrchestratorError
from tui_app.text import visible

STEPS = ("Connect", "Folder", "Process", "Release", "Strategy", "Arguments", "Review", "Run")


class StepIndicator(Static):
    """``Connect › Folder › …`` with the current step highlighted and marked in text."""

    def __init__(self, current: str, skipped: tuple = ()) -> None:
        super().__init__(id="steps")
        self.current = current
        self.skipped = skipped

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        index = STEPS.index(self.current)
        for position, step in enumerate(STEPS):
            if position:
                text.append(" › ", style="dim")
            if step == self.current:
                text.append(step, style="reverse bold")
            elif position < index and step not in self.skipped:
                text.append(step)
            else:
                text.append(step, style="dim")
        return text


class Message(Static):
    """A line or two of feedback under a form: an error, a warning or a note.

    The text is always shown literally (server messages are data, not markup). The kind is
    also spelled out in words, so it reads the same without colour.
    """

    DEFAULT_CSS = """
    Message { height: auto; padding: 0 1; display: none; }
    Message.-error { color: $text-error; background: $error-muted; display: block; }
    Message.-warning { color: $text-warning; background: $warning-muted; display: block; }
    Message.-info { color: $text-primary; background: $primary-muted; display: block; }
    """

    def show(self, kind: str, text: str) -> None:
        self.set_classes(f"-{kind}")
        prefix = {"error": "Error: ", "warning": "Warning: ", "info": ""}[kind]
        self.update(Text(prefix + visible(text)))

    def show_error(self, error: Exception) -> None:
        """Show an exception as title, message and (if any) the server's facts."""
        if isinstance(error, OrchestratorError):
            lines = f"{error.title}. {error.message}"
            details = error.details()
            if details:
                lines += f"\n({details})"
        else:
            lines = str(error)
        self.show("error", lines)

    def clear(self) -> None:
        self.set_classes("")
        self.update("")
