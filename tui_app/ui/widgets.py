"""Small widgets shared by the wizard's screens."""

from __future__ import annotations

from rich.segment import Segment
from rich.text import Text
from textual.strip import Strip
from textual.widgets import Checkbox, Input, RadioButton, SelectionList, Static, TextArea
from textual.widgets.option_list import OptionDoesNotExist

from tui_app.text import one_to_one, visible
from tui_app.ui.keys import InlineBindings
from tui_app.wizard.errors import ServerProblem
from tui_app.wizard.flow import STEPS

#: Marks the highlighted row of a list (Enter picks it, Space ticks it) without colour.
POINTER = "▸"


class StepIndicator(Static):
    """``Connect › Folder › …`` with the current step highlighted and marked in text.

    When every step does not fit the width, the separators tighten (``Connect› Folder``,
    then ``Connect›Folder``), then the dimmed skipped steps are left out; only then is the end
    cut with an ellipsis.
    """

    SEPARATORS = (" › ", "› ", "›")

    def __init__(self, current: str, skipped: tuple = (), steps: tuple = STEPS) -> None:
        super().__init__(id="steps")
        self.current = current
        self.skipped = skipped
        #: The steps of the chosen action's flow.
        self.steps = steps

    def _forms(self) -> list:
        """(separator, steps) from the widest form to the narrowest."""
        kept = [step for step in self.steps if step == self.current or step not in self.skipped]
        return [(separator, steps) for steps in (list(self.steps), kept)
                for separator in self.SEPARATORS]

    def render(self) -> Text:
        width = self.content_size.width or 80
        forms = self._forms()
        separator, steps = next(
            ((sep, steps) for sep, steps in forms
             if sum(map(len, steps)) + len(sep) * (len(steps) - 1) <= width), forms[-1])
        text = Text(no_wrap=True, overflow="ellipsis")
        index = self.steps.index(self.current)
        for position, step in enumerate(steps):
            if position:
                text.append(separator, style="dim")
            if step == self.current:
                text.append(step, style="reverse bold")
            elif self.steps.index(step) < index and step not in self.skipped:
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
        """Show an exception: for a ``ServerProblem`` its title, message and (if any) the
        server's facts."""
        self.show("error", error.text if isinstance(error, ServerProblem) else str(error))

    def clear(self) -> None:
        self.set_classes("")
        self.update("")


class _MarkedToggle:
    """Shows the state of a toggle in its glyph, not only in its colour (NO_COLOR, 16 colours)."""

    ON = "●"

    @property
    def _button(self):
        self.BUTTON_INNER = self.ON if self.value else " "
        return super()._button


class MarkedRadioButton(_MarkedToggle, RadioButton):
    """A radio button whose dot is only drawn when it is chosen."""


class MarkedCheckbox(_MarkedToggle, Checkbox):
    """A checkbox that shows ✓ when ticked."""

    ON = "✓"


class CheckList(SelectionList):
    """A SelectionList that draws ✓ for ticked items and a blank for the others, and ▸ at the
    highlighted row while it has focus. A Space typed while it is still empty (its items on
    their way) is kept (``typed_ahead``), and ``catch_up`` applies it once they are listed."""

    typed_ahead = False

    def action_select(self) -> None:
        if not self.option_count:
            self.typed_ahead = True
            return
        super().action_select()

    def catch_up(self) -> None:
        """Tick the highlighted item for a Space typed before the items were listed."""
        if self.typed_ahead and self.option_count:
            self.typed_ahead = False
            if self.highlighted is None:
                self.highlighted = 0
            super().action_select()

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        segments = list(strip)
        try:
            selection = self.get_option_at_index(self.scroll_offset.y + y)
        except OptionDoesNotExist:
            return strip
        if len(segments) < 2:
            return strip
        mark = "✓" if selection.value in self._selected else " "
        segments[1] = Segment(mark, segments[1].style)
        if self.has_focus and self.scroll_offset.y + y == self.highlighted:
            # The row Space ticks is marked by a glyph too, not by its background alone.
            for index in range(3, len(segments)):
                text, style = segments[index].text, segments[index].style
                if text.startswith(" "):
                    segments[index] = Segment(POINTER + text[1:], style)
                    break
        return Strip(segments, strip.cell_length)


class SafeInput(InlineBindings, Input):
    """An Input that draws control characters as visible symbols, never as terminal codes.

    The value itself is untouched (what was typed or pasted is kept exactly); only the
    drawing changes, one symbol per character so the cursor stays in place. Its editing
    keys apply in the order typed (``tui_app.ui.keys``).
    """

    @property
    def _value(self) -> Text:
        if self.password:
            return super()._value
        return Text(one_to_one(self.value), no_wrap=True, overflow="ignore", end="")


class OrderedTextArea(InlineBindings, TextArea):
    """A TextArea whose editing keys apply in the order typed (``tui_app.ui.keys``)."""
