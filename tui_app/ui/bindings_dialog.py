"""The Save dialog's "Bindings…": pick, from a sample event, the path that fills each argument.

The dialog closes with the chosen ``[bindings]`` (name -> dotted path; None: Esc, nothing
kept). The sample event (pasted, or read from a file) is used only here and never stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Optional

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from tui_app.arguments.jsontext import dumps
from tui_app.bindings import (
    PathList,
    SampleError,
    event_paths,
    load_sample,
    preview,
    suggest,
    target_name,
)
from tui_app.text import visible
from tui_app.ui.dialogs import WrappedText
from tui_app.ui.widgets import OrderedTextArea, SafeInput

#: The widest a path's label in a picker gets (the dialog is 64 columns inside).
LABEL_WIDTH = 44
NO_SAMPLE = ("No sample yet: paste an event JSON object above, or type the path of a file "
             "holding one and press Enter.")


class BindingsDialog(ModalScreen[Optional[dict]]):
    """Paste or load a sample event; per argument (content field) a picker of its paths,
    "(not bound)" first, and a line saying what the chosen path yields or what is wrong."""

    BINDINGS = [
        Binding("ctrl+s", "done", "Done", id="dialog.save"),
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
    ]

    def __init__(self, targets: Sequence[Any], bindings: Mapping[str, str]) -> None:
        super().__init__()
        #: ``ArgumentSpec``s, ``ContentField``s or plain content names (``bindings.preview``).
        self.targets = list(targets)
        self.start = dict(bindings)
        self.sample: Optional[dict] = None
        self.paths = PathList()

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text("Bindings: which event field fills each name (run --event)",
                              style="bold"))
            yield Static("The sample is only used here and never stored (it may hold "
                         "personal data).", classes="hint")
            with Horizontal(classes="row"):
                yield Label("Sample file", classes="field-label")
                yield SafeInput(placeholder="path, then Enter (or paste below)",
                                id="sample-file", compact=True)
            yield OrderedTextArea(id="sample", soft_wrap=True, compact=True,
                                  placeholder="paste a sample event JSON object here")
            yield WrappedText(NO_SAMPLE, id="sample-status")
            with VerticalScroll(id="fields", can_focus=False):
                for index, target in enumerate(self.targets):
                    name = target_name(target)
                    with Horizontal(classes="row"):
                        yield Label(visible(name, single_line=True, limit=15),
                                    classes="field-label")
                        yield Select(self._options(name), prompt="(not bound)", compact=True,
                                     value=self.start.get(name, Select.NULL),
                                     id=f"bind-{index}")
                    yield Static(id=f"preview-{index}", classes="binding-preview")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Done (ctrl+s)", id="done", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        for editor in self.query(Input):
            editor.cursor_blink = False
        self.query_one("#sample", TextArea).focus()
        self._show_previews()

    # -- the sample ---------------------------------------------------------------------

    @on(Input.Submitted, "#sample-file")
    def _load_file(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if not text:
            self._status("Type the path of a sample event file, then press Enter.")
            return
        self._use(Path(text), f"the file {text}")

    @on(TextArea.Changed, "#sample")
    def _pasted(self) -> None:
        text = self.query_one("#sample", TextArea).text
        if not text.strip():
            self._set_sample(None)
            self._status(NO_SAMPLE)
            return
        self._use(text, "the pasted sample")

    def _use(self, source: Any, where: str) -> None:
        try:
            sample = load_sample(source)
        except SampleError as exc:
            self._set_sample(None)  # no preview from a sample that is no longer there
            self._status(str(exc))
            return
        self._set_sample(sample)
        note = self.paths.note()
        self._status(f"Using {where}: {len(self.paths)} path(s) to pick from"
                     + (f" ({note})." if note else "."))

    def _status(self, text: str) -> None:
        self.query_one("#sample-status", WrappedText).set_text(visible(text))

    def _set_sample(self, sample: Optional[dict]) -> None:
        """Take ``sample``: every picker lists its paths (keeping each choice, suggesting a
        path for a name not bound yet)."""
        self.sample = sample
        self.paths = event_paths(sample) if sample is not None else PathList()
        chosen = self.chosen()
        unbound = [target_name(t) for t in self.targets if target_name(t) not in chosen]
        guesses = suggest(unbound, self.paths)
        for index, target in enumerate(self.targets):
            name = target_name(target)
            picker = self.query_one(f"#bind-{index}", Select)
            with picker.prevent(Select.Changed):
                picker.set_options(self._options(name, chosen.get(name)))
                value = chosen.get(name) or guesses.get(name)
                picker.value = value if value else Select.NULL
        self._show_previews()

    def _options(self, name: str, current: Optional[str] = None) -> list[tuple[str, str]]:
        """A picker's options: the sample's paths, and the name's binding when the sample
        lacks it (it is kept unless changed)."""
        options = [(self._label(entry.path, entry.json_type, entry.value), entry.path)
                   for entry in self.paths]
        bound = current or self.start.get(name)
        if bound and bound not in {entry.path for entry in self.paths}:
            options.insert(0, (visible(f"{bound}  (not in the sample)", single_line=True,
                                       limit=LABEL_WIDTH), bound))
        return options

    @staticmethod
    def _label(path: str, json_type: str, value: Any) -> str:
        shown = json_type if json_type in ("object", "array") else dumps(value)
        return visible(f"{path}  {shown}", single_line=True, limit=LABEL_WIDTH)

    # -- the choices --------------------------------------------------------------------

    def chosen(self) -> dict[str, str]:
        """The bindings picked so far (name -> path)."""
        result = {}
        for index, target in enumerate(self.targets):
            value = self.query_one(f"#bind-{index}", Select).value
            if isinstance(value, str):
                result[target_name(target)] = value
        return result

    @on(Select.Changed)
    def _picked(self) -> None:
        self._show_previews()

    def _show_previews(self) -> None:
        chosen = self.chosen()
        found = preview(chosen, self.sample, self.targets) if self.sample is not None else {}
        for index, target in enumerate(self.targets):
            name = target_name(target)
            line = self.query_one(f"#preview-{index}", Static)
            if name not in chosen:
                line.update(Text("not bound: the value comes from the template or --set",
                                 style="dim"))
            elif name not in found:
                line.update(Text("no sample to preview with", style="dim"))
            elif found[name].problem:
                line.update(Text(visible(f"problem: {found[name].text}", single_line=True,
                                         limit=200), style="bold"))
            else:
                line.update(visible(f"yields {found[name].text}", single_line=True, limit=200))

    @on(Button.Pressed, "#done")
    def action_done(self) -> None:
        self.dismiss(self.chosen())

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
