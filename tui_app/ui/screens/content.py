"""Content step: the queue item's ``SpecificContent``.

A queue with an item schema gets a form made from it, with the argument form's editors (a
subclass of the Arguments step): required fields, enums as choices, nested objects and lists
as JSON, and the schema's own limits checked as you type. A queue without one gets a
key/value editor whose values are typed (text, number, boolean, JSON).
"""

from __future__ import annotations

from typing import Optional

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Input, RadioSet, Select, Static

from tui_app.arguments import Kind
from tui_app.queue_schema import TYPED_KINDS, SchemaError
from tui_app.text import visible
from tui_app.ui.screens.arguments import UNSET, ArgumentsScreen, field_id
from tui_app.ui.widgets import MarkedRadioButton, SafeInput
from tui_app.wizard.state import ContentRow

#: What the key/value editor's kinds take.
KIND_HINTS = {"text": "any text", "number": "e.g. 42 or 9.5", "boolean": "true or false",
              "json": 'JSON, e.g. {"a": 1} or [1, 2]'}


class ContentScreen(ArgumentsScreen):
    STEP = "Content"
    HEADING = "Item content"
    HELP = """
The item's content: the values the process that consumes the queue reads
(SpecificContent).

When the queue has an item schema, there is one field per property; a * marks a required
one, and each is checked as you type against the schema (type, allowed values, limits).
Choices are picked with Left/Right and Space. Nested objects and lists are typed as JSON;
they are sent as JSON text, because Orchestrator keeps an item's content flat (name →
value), and the process reads them back with a JSON deserializer.

Without a schema, type each value's name, its kind (text, number, boolean or JSON) and
the value. Ctrl+O adds a row, Ctrl+G removes the row with the cursor; empty rows are
ignored.

Tab / Shift+Tab move between fields; Ctrl+N continues.
"""
    BINDINGS = [
        Binding("ctrl+n", "next", "Next", key_display="^n", id="wizard.next"),
        Binding("ctrl+o", "add_row", "Add a value", key_display="^o", id="content.add"),
        Binding("ctrl+g", "remove_row", "Remove the value", key_display="^g",
                id="content.remove"),
    ]

    DEFAULT_CSS = """
    ContentScreen .kv-row { height: 1; }
    ContentScreen .row-name { width: 24; }
    ContentScreen .row-kind { width: 12; margin: 0 1; }
    ContentScreen .row-text { width: 1fr; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.fields: tuple = ()
        self.schema_problem: Optional[str] = None
        try:
            self.fields = self.session.queue.fields()
        except SchemaError as exc:
            self.schema_problem = str(exc)
        self.specs = tuple(f.spec for f in self.fields)
        self.defaults = {}
        self.load_error = None
        choice = self.state.queue
        for content_field in self.fields:  # a required switch left alone is sent false
            if content_field.spec.kind is Kind.BOOLEAN and content_field.required:
                choice.content_texts.setdefault(content_field.name, "false")
        if not self.fields and not choice.rows:
            choice.rows.append(ContentRow())
        #: The key/value rows' widget numbers, in row order (ids stay put when one goes).
        self.serials = list(range(len(choice.rows)))

    def heading(self) -> str:
        queue = self.state.queue.queue
        return f"{self.HEADING} for {visible(queue.name if queue else '', single_line=True)}"

    @property
    def texts(self) -> dict:
        return self.state.queue.content_texts

    def check_action(self, action: str, parameters: tuple):
        if action in ("add_row", "remove_row"):
            return not self.fields  # only the key/value editor has rows
        return True

    # -- the schema form ------------------------------------------------------------------

    def type_of(self, index: int) -> str:
        return self.fields[index].schema_type.replace(", required", "")

    def hint_of(self, index: int) -> str:
        content_field = self.fields[index]
        kind = content_field.schema_type.split(",")[0]
        schema = content_field.schema if isinstance(content_field.schema, dict) else {}
        low, high = schema.get("minimum"), schema.get("maximum")
        if kind == "string (date)":
            return "a date, e.g. 2024-05-01"
        if kind in ("integer", "number") and (low is not None or high is not None):
            what = "a whole number" if kind == "integer" else "a number (a dot for decimals)"
            if low is not None and high is not None:
                return f"{what} from {low} to {high}"
            return f"{what} of at least {low}" if low is not None else f"{what} up to {high}"
        if kind == "string" and ("minLength" in schema or "maxLength" in schema):
            shortest, longest = schema.get("minLength", 0), schema.get("maxLength")
            if longest is None:
                return f"text of at least {shortest} characters"
            return f"text of {shortest} to {longest} characters"
        return content_field.spec.hint

    def unset_label(self, default) -> str:
        return "not set (left out)"

    def notes(self, index: int) -> list:
        content_field = self.fields[index]
        lines = [content_field.description] if content_field.description else []
        if content_field.choices:
            lines.append("One of: " + ", ".join(content_field.spec.to_text(c)
                                                for c in content_field.choices))
        return lines

    def _editor(self, index: int, spec, text: Optional[str], default, masked: bool,
                placeholder: str) -> Widget:
        content_field = self.fields[index]
        if not content_field.choices or masked or len(content_field.choices) > 8:
            return super()._editor(index, spec, text, default, masked, placeholder)
        names = [spec.to_text(choice) for choice in content_field.choices]
        if not content_field.required:
            names.append(UNSET)
        current = text if text in names else (UNSET if not content_field.required else None)
        return RadioSet(
            *(MarkedRadioButton(Text(name if name != UNSET else self.unset_label(None)),
                                value=name == current, name=name) for name in names),
            id=field_id(index), classes="arg-boolean", compact=True)

    def problem(self, index: int, text: str) -> Optional[str]:
        return self.session.queue.field_problem(self.fields[index], text)

    def _errors(self) -> tuple:
        return self.session.queue.schema_content()

    # -- the key/value editor -------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        if self.fields:
            yield from super().compose_body()
            return
        with VerticalScroll(id="arguments", classes="form", can_focus=False):
            yield Static(Text(self._rows_intro()), classes="note", id="rows-intro")
            for serial, row in zip(self.serials, self.state.queue.rows):
                yield self._row(serial, row)

    def _rows_intro(self) -> str:
        if self.schema_problem:
            return (f"{self.schema_problem} Type the content as names and values; "
                    "Orchestrator still checks it against the queue's schema.")
        return ("This queue has no item schema: type each value's name, kind and value "
                "(ctrl+o adds a row, ctrl+g removes one).")

    def _row(self, serial: int, row: ContentRow) -> Widget:
        masked = row.name.strip() in self.state.ask_names
        return Vertical(
            Horizontal(
                SafeInput(row.name, placeholder="name", compact=True, id=f"row-name-{serial}",
                          classes="row-name"),
                Select([(kind, kind) for kind in TYPED_KINDS], value=row.kind, compact=True,
                       allow_blank=False, id=f"row-kind-{serial}", classes="row-kind"),
                SafeInput(row.text, placeholder=KIND_HINTS[row.kind], compact=True,
                          id=f"row-text-{serial}", classes="row-text", password=masked),
                classes="kv-row",
            ),
            Static("", classes="arg-error", id=f"row-error-{serial}"),
            classes="arg-field", id=f"row-{serial}",
        )

    def on_mount(self) -> None:
        if self.fields:
            return  # ArgumentsScreen.on_mount builds and focuses the form
        self.complete = True
        self.query_one(f"#row-name-{self.serials[0]}").focus(scroll_visible=False)

    def _row_index(self, widget: Widget) -> Optional[int]:
        """The row (its index in ``state.queue.rows``) that ``widget`` belongs to."""
        for node in (widget, *widget.ancestors):
            if node.id and node.id.startswith("row-") and node.id.split("-")[-1].isdigit():
                serial = int(node.id.split("-")[-1])
                return self.serials.index(serial) if serial in self.serials else None
        return None

    @on(Input.Changed, ".row-name, .row-text")
    @on(Select.Changed, ".row-kind")
    def _row_changed(self, event) -> None:
        event.stop()
        widget = event.control
        index = self._row_index(widget)
        if index is None or index >= len(self.state.queue.rows):
            return
        row = self.state.queue.rows[index]
        if widget.has_class("row-name"):
            row.name = widget.value
        elif widget.has_class("row-text"):
            row.text = widget.value
        elif isinstance(widget.value, str):
            row.kind = widget.value
            self.query_one(f"#row-text-{self.serials[index]}", Input).placeholder = \
                KIND_HINTS[row.kind]
        problems = self.session.queue.row_content()[1]
        self._show_row_error(index, problems.get(index) if row.text.strip() else None)

    def _show_row_error(self, index: int, error: Optional[str]) -> None:
        label = self.query_one(f"#row-error-{self.serials[index]}", Static)
        label.update(Text("✗ " + visible(error)) if error else "")
        label.set_class(bool(error), "-shown")

    async def action_add_row(self) -> None:
        await self._add_row()

    async def _add_row(self) -> None:
        rows = self.state.queue.rows
        rows.append(ContentRow())
        serial = max(self.serials, default=-1) + 1
        self.serials.append(serial)
        await self.query_one("#arguments").mount(self._row(serial, rows[-1]))
        self.query_one(f"#row-name-{serial}").focus()

    async def action_remove_row(self) -> None:
        focused = self.focused
        index = self._row_index(focused) if focused is not None else None
        rows = self.state.queue.rows
        if index is None:
            self.message.show("info", "Move to the row to remove first (Tab).")
            return
        del rows[index]
        self.query_one(f"#row-{self.serials.pop(index)}").remove()
        if not rows:
            await self._add_row()
            return
        self.query_one(f"#row-name-{self.serials[min(index, len(rows) - 1)]}").focus()

    # -- leaving --------------------------------------------------------------------------

    def action_next(self) -> None:
        queue = self.session.queue
        if self.fields:
            if not self.complete:
                self.message.show("info", "The form is still being built; try again in a "
                                          "moment.")
                return
            values, errors = self._errors()
            for index, content_field in enumerate(self.fields):
                self._show_field_error(index, errors.get(content_field.name))
            if errors:
                self.message.show("error", f"{len(errors)} value(s) need attention.")
                first = next(i for i, f in enumerate(self.fields) if f.name in errors)
                self.query_one(f"#{field_id(first)}").focus()
                return
        else:
            values, problems = queue.row_content()
            for index in range(len(self.state.queue.rows)):
                self._show_row_error(index, problems.get(index))
            if problems:
                self.message.show("error", f"{len(problems)} value(s) need attention.")
                self.query_one(f"#row-name-{self.serials[min(problems)]}").focus()
                return
        self.message.clear()
        self.state.queue.content_values = values
        self.wizard.go_next(self.STEP)
