"""Step 6: a form generated from the release's input arguments."""

from __future__ import annotations

import re
from typing import Optional

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Input, Label, RadioSet, Static, TextArea

from tui_app.arguments import (
    ArgumentsFormatError,
    ArgumentValueError,
    InputArgumentsTooLarge,
    Kind,
    build_input_arguments,
    collect_values,
    parse_process_defaults,
)
from tui_app.text import visible
from tui_app.ui.dialogs import ConfirmDialog
from tui_app.ui.screens.base import StepScreen
from tui_app.ui.widgets import MarkedRadioButton, OrderedTextArea, SafeInput

JSON_KINDS = {Kind.TEXT_LIST, Kind.LIST, Kind.DICTIONARY, Kind.DATATABLE, Kind.JSON}


_RAW_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def escape_controls(text: str) -> str:
    """Control characters (but tab and line breaks) as JSON ``\\uXXXX`` escapes."""
    return _RAW_CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


#: Fields composed before the first frame; the rest follow in batches of this size.
FIELDS_PER_BATCH = 12


#: Longer hints get a line of their own (a placeholder is cut at ~74 characters at 80x24).
HINT_IN_FIELD = 70
#: The name of the Boolean choice that leaves the argument out.
UNSET = "unset"


def field_id(index: int) -> str:
    return f"arg-{index}"


def boolean_choice(text: Optional[str]) -> Optional[str]:
    """``"true"``, ``"false"`` or ``UNSET`` for a Boolean's text; None when it is neither."""
    value = (text or "").strip().lower()
    if not value:
        return UNSET
    if value in ("true", "yes", "1"):
        return "true"
    if value in ("false", "no", "0"):
        return "false"
    return None


class ArgumentsScreen(StepScreen):
    STEP = "Arguments"
    HEADING = "Input arguments"
    HELP = """
One field per input argument of the process. A * marks a required argument.

- Leave a field empty to let Orchestrator use the default (the process-level value, or
  the default set in Studio when the argument "has a default").
- Numbers use a dot for decimals. Dates are ISO 8601 (2024-05-01T09:00:00Z).
- Lists, dictionaries, data tables and other types are typed as JSON; the field says at
  once whether the JSON is valid.
- Booleans have three choices: true, false, or not set (the argument is not sent and
  the process default applies). Left/Right move, Space or Enter chooses.
- Arguments a template asks for every time are masked, like a password.

Tab / Shift+Tab move between fields; Ctrl+N continues (it stops at the first field that
needs attention).
"""
    BINDINGS = [Binding("ctrl+n", "next", "Next", key_display="^n", id="wizard.next")]

    def __init__(self) -> None:
        super().__init__()
        self.specs: tuple = ()
        self.defaults: dict = {}
        self.load_error: Optional[str] = None
        #: Every field is mounted (long forms are built in batches after the first frame).
        self.complete = False
        #: The message line counts the arguments that need attention (kept up to date).
        self._attention = False
        try:
            release = self.state.release
            self.specs = self.session.argument_specs()
            self.defaults = parse_process_defaults(release.input_arguments if release else None)
        except ArgumentsFormatError as exc:
            self.load_error = str(exc)

    def heading(self) -> str:
        release = self.state.release
        return (
            f"{self.HEADING} of {visible(release.process_key if release else '', single_line=True)}"
        )

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="arguments", classes="form", can_focus=False):
            for index, spec in enumerate(self.specs[:FIELDS_PER_BATCH]):
                yield self._field(index, spec)

    def _mount_more(self, start: int) -> None:
        """Add the next batch of fields after a frame has been drawn (long forms)."""
        end = min(start + FIELDS_PER_BATCH, len(self.specs))
        self.query_one("#arguments").mount_all(
            self._field(index, self.specs[index]) for index in range(start, end)
        )
        if end < len(self.specs):
            self.call_after_refresh(self._mount_more, end)
        else:
            self.complete = True

    @property
    def texts(self) -> dict:
        """What was typed per field name (kept in the wizard state)."""
        return self.state.argument_texts

    def type_of(self, index: int) -> str:
        """The type shown beside a field's name."""
        return self.specs[index].short_type

    def hint_of(self, index: int) -> str:
        """What to type in a field (its placeholder, or a line of its own when long)."""
        return self.specs[index].hint

    def unset_label(self, default) -> str:
        """The Boolean choice that leaves the value out."""
        shown = f": {default}" if default is not None else ""
        return f"not set (process default{shown})"

    def notes(self, index: int) -> list:
        """Lines shown under a field's title besides its hint (none here)."""
        return []

    def _field(self, index: int, spec) -> Widget:
        texts = self.texts
        default = self.defaults.get(spec.name)
        text = texts.get(spec.name)
        if text is None and default is not None:
            text = spec.to_text(default)
        masked = spec.name in self.state.ask_names
        title = Text(visible(spec.name, single_line=True), style="bold")
        if spec.required:
            title.append(" *", style="bold red")
        title.append(f"  {visible(self.type_of(index), single_line=True)}", style="dim")
        if spec.required:
            title.append("  required", style="dim")
        if default is not None:
            title.append("  process default set", style="dim")
        elif spec.has_default:
            title.append("  has a default in the process", style="dim")
        if masked:
            title.append("  asked every time (masked)", style="dim")
        hint = "" if spec.kind is Kind.BOOLEAN and not masked else self.hint_of(index)
        placeholder = hint if len(hint) <= HINT_IN_FIELD else ""
        editor = self._editor(index, spec, text, default, masked, placeholder)
        if isinstance(editor, (Input, TextArea)):
            editor.cursor_blink = False  # a steady cursor, as on every other step
        parts: list[Widget] = [Label(title, classes="arg-title")]
        parts += [Static(Text(visible(note)), classes="arg-hint") for note in self.notes(index)]
        if hint and not placeholder:
            parts.append(Static(Text(visible(hint)), classes="arg-hint"))
        parts += [
            Horizontal(editor, classes="arg-editor"),
            Static("", classes="arg-error", id=f"{field_id(index)}-error"),
        ]
        return Vertical(*parts, classes="arg-field")

    def _editor(self, index: int, spec, text: Optional[str], default, masked: bool,
                placeholder: str) -> Widget:
        """The editor of one field: true/false/not set, a JSON editor, or a line."""
        editor: Widget
        if spec.kind is Kind.BOOLEAN and not masked:
            editor = self._boolean_editor(index, spec, self.texts.get(spec.name), default)
        elif spec.kind in JSON_KINDS and not masked:
            editor = OrderedTextArea(
                escape_controls(text or ""),
                id=field_id(index),
                classes="json-editor",
                soft_wrap=True,
                compact=True,
                placeholder=placeholder,
            )
        else:
            editor = SafeInput(
                text or "",
                id=field_id(index),
                compact=True,
                placeholder=placeholder,
                password=masked,  # a template's ``ask``: never shown in clear
            )
        return editor

    def _boolean_editor(self, index: int, spec, text: Optional[str], default) -> RadioSet:
        """true / false / not set: every state in words, and a way back to "not set"."""
        choices = [("true", "true"), ("false", "false")]
        if not spec.required or default is not None:
            choices.append((UNSET, self.unset_label(
                spec.to_text(default) if default is not None else None)))
        current = boolean_choice(text)
        if text is None and spec.required and default is None:
            current = "false"  # what is sent when a required switch is left alone
        return RadioSet(
            *(
                MarkedRadioButton(Text(label), value=name == current, name=name)
                for name, label in choices
            ),
            id=field_id(index),
            classes="arg-boolean",
            compact=True,
        )

    def on_mount(self) -> None:
        if len(self.specs) > FIELDS_PER_BATCH:
            self.call_after_refresh(self._mount_more, FIELDS_PER_BATCH)
        else:
            self.complete = True
        if self.load_error:
            self.message.show(
                "error", f"The argument list of this release cannot be read: {self.load_error}"
            )
            return
        editors = self.query(".arg-editor > *")
        first = editors.first() if editors else None
        if first is not None:
            first.focus(scroll_visible=False)
            form = self.query_one("#arguments")
            self.call_after_refresh(form.scroll_home, animate=False)

    def on_descendant_focus(self, event) -> None:
        """Keep the whole field (its title and error line too) in view, not only the editor."""
        for field in event.widget.ancestors:
            if field.has_class("arg-field"):
                # After Textual's own scroll to the editor, so the title wins.
                form = self.query_one("#arguments")
                self.call_after_refresh(form.scroll_to_widget, field, animate=False)
                break

    # -- reading the form ---------------------------------------------------------------

    def _index(self, widget: Widget) -> int:
        return int((widget.id or "arg--1").split("-")[1])

    def _store(self, widget: Widget) -> None:
        """Keep what was typed in the wizard state, so Escape and back keep it."""
        spec = self.specs[self._index(widget)]
        if isinstance(widget, RadioSet):
            pressed = widget.pressed_button
            if pressed is None or pressed.name == UNSET:
                self.texts.pop(spec.name, None)
            else:
                self.texts[spec.name] = pressed.name or ""
        elif isinstance(widget, TextArea):
            self.texts[spec.name] = widget.text
        elif isinstance(widget, Input):
            self.texts[spec.name] = widget.value

    def _check(self, widget: Widget) -> Optional[str]:
        """Validate one field as typed; empty is fine here (required is checked on Next)."""
        index = self._index(widget)
        error = self.problem(index, self.texts.get(self.specs[index].name, ""))
        self._show_field_error(index, error)
        return error

    def problem(self, index: int, text: str) -> Optional[str]:
        """What is wrong with ``text`` as field ``index``'s value (None: nothing; empty text
        is checked on Next)."""
        if text.strip():
            try:
                self.specs[index].parse(text)
            except ArgumentValueError as exc:
                return str(exc)
        return None

    def _show_field_error(self, index: int, error: Optional[str]) -> None:
        label = self.query_one(f"#{field_id(index)}-error", Static)
        label.update(Text("✗ " + visible(error)) if error else "")
        label.set_class(bool(error), "-shown")

    @on(Input.Changed)
    @on(TextArea.Changed)
    @on(RadioSet.Changed)
    def _changed(self, event) -> None:
        widget = event.control if hasattr(event, "control") else event.text_area
        if not (widget.id and widget.id.startswith("arg-")):
            return
        if isinstance(widget, TextArea) and _RAW_CONTROL.search(widget.text):
            # A JSON editor never draws raw control characters: they become JSON escapes,
            # which mean the same inside a JSON string (and are invalid JSON elsewhere).
            widget.text = escape_controls(widget.text)
            return
        self._store(widget)
        self._check(widget)
        if self._attention:
            self._count_attention()

    def _errors(self) -> tuple:
        """(values, errors by name) of the whole form as it is now."""
        texts = {s.name: t for s, t in self._texts().items()}
        return collect_values(list(self.specs), texts, self.defaults)

    def _count_attention(self) -> dict:
        """Show how many arguments need attention (none: the line goes); return the errors."""
        errors = self._errors()[1]
        self._attention = bool(errors)
        if errors:
            self.message.show("error", f"{len(errors)} argument(s) need attention.")
        else:
            self.message.clear()
        return errors

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.focus_next()

    def action_next(self) -> None:
        if not self.complete:
            self.message.show("info", "The form is still being built; try again in a moment.")
            return
        if self.load_error:
            self.message.show(
                "error",
                "This release's arguments cannot be read, so it cannot "
                "be started from here. Go back (Escape) and choose another.",
            )
            return
        values, errors = self._errors()
        for index, spec in enumerate(self.specs):
            self._show_field_error(index, errors.get(spec.name))
        if self._count_attention():
            first = next(i for i, s in enumerate(self.specs) if s.name in errors)
            self.query_one(f"#{field_id(first)}").focus()
            return
        try:
            build_input_arguments(values)
        except InputArgumentsTooLarge as exc:
            if self.state.options.large_input != "file":
                self._offer_file(exc, values)
                return
        self._go_on(values)

    def _offer_file(self, error: InputArgumentsTooLarge, values: dict) -> None:
        """Over Orchestrator's limit: offer to send the arguments as a job attachment."""
        def answered(yes: Optional[bool]) -> None:
            if yes:
                self.state.options.large_input = "file"
                self._go_on(values)
            else:
                self.message.show("error", str(error))

        self.app.push_screen(ConfirmDialog(
            f"The input arguments are {error.size:,} characters as JSON; Orchestrator takes "
            f"at most {error.limit:,} in the request. Send them as a job attachment "
            "(InputFile, uploaded at Start) instead?",
            yes="Send as a file", no="Shorten them"), answered)

    def _go_on(self, values: dict) -> None:
        self.message.clear()
        self.state.argument_values = values
        self.wizard.go_next(self.STEP)

    def _texts(self) -> dict:
        """Text per spec: what was typed; Booleans left "not set" are left out."""
        result = {}
        for spec in self.specs:
            text = self.texts.get(spec.name)
            required = spec.required and spec.name not in self.defaults
            if text is None and spec.kind is Kind.BOOLEAN and required:
                text = "false"
            if text is not None:
                result[spec] = text
        return result
