"""The "Save as template" dialog of the Review step."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any, Callable, Optional

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static
from textual.widgets.selection_list import Selection

from tui_app.bindings import target_name
from tui_app.library import owner, shared_folder_of
from tui_app.locations import LocationError, templates_dir
from tui_app.templates import slug
from tui_app.text import visible
from tui_app.ui.bindings_dialog import BindingsDialog
from tui_app.ui.dialogs import ConfirmDialog, WrappedText
from tui_app.ui.widgets import CheckList, SafeInput
from tui_app.wizard.requests import SaveTemplateRequest


class SaveTemplateDialog(ModalScreen[Optional[Path]]):
    """Ask for a name, a description, the arguments never to store and (Bindings…) the
    event fields that fill them; show the path.

    ``save(request, overwrite=...)`` writes the file and returns its path; the dialog closes
    with that path (None: cancelled), or stays open and says why it could not be written.
    ``targets`` (``WizardSession.binding_targets``) are what a binding can fill, ``bindings``
    the ones to start from (an opened template's). The Folder field (or a ``.toml`` path) says
    where the file goes, the personal templates folder by default; when ``source`` (the file
    the choice came from) is in a shared folder, a line says a personal copy is saved. A
    path in a shared folder is refused by ``save`` (``library.personal_target``).
    """

    # The fields scroll and the buttons stay at the bottom, however many arguments there are.
    DEFAULT_CSS = """
    SaveTemplateDialog > .dialog { height: auto; }
    SaveTemplateDialog .dialog-buttons { dock: bottom; }
    """

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="dialog.save"),
        Binding("f2", "bindings", "Bindings", id="dialog.bindings"),
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
    ]

    def __init__(
        self,
        default_name: str,
        argument_names: list,
        save: Callable[..., Path],
        *,
        asked: Collection[str] = (),
        targets: Sequence[Any] = (),
        bindings: Optional[Mapping[str, str]] = None,
        source: Optional[Path] = None,
    ) -> None:
        super().__init__()
        self.source = source
        self.default_name = default_name
        self.argument_names = argument_names
        self.save = save
        self.asked = set(asked)
        self.targets = list(targets)
        names = {target_name(target) for target in self.targets}
        self.bindings = {k: v for k, v in (bindings or {}).items() if k in names}

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog", can_focus=False):
            yield Static(Text("Save as template", style="bold"), classes="dialog-text")
            with Horizontal(classes="row"):
                yield Label("Name", classes="field-label")
                yield SafeInput(self.default_name, id="name", compact=True)
            with Horizontal(classes="row"):
                yield Label("Description", classes="field-label")
                yield SafeInput(placeholder="optional", id="description", compact=True)
            if self.argument_names:
                yield Static(
                    "Ask at every replay, never stored (e.g. passwords) — Space ticks:",
                    classes="dialog-text",
                )
                yield CheckList(
                    *(
                        Selection(visible(n, single_line=True), n, n in self.asked)
                        for n in self.argument_names
                    ),
                    id="ask",
                    compact=True,
                )
            with Horizontal(classes="row"):
                yield Label("Folder", classes="field-label")
                yield SafeInput(str(templates_dir()), id="folder", compact=True)
            note = self._shared_note()
            if note:
                yield WrappedText(note, id="shared", classes="dialog-text")
            if self.targets:
                yield WrappedText(id="bindings-summary", classes="dialog-text")
            yield WrappedText(id="path", classes="dialog-text")
            with Horizontal(classes="dialog-buttons"):
                if self.targets:
                    yield Button("Bindings… (F2)", id="bindings", compact=True)
                yield Button("Save (ctrl+s)", id="save", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        for editor in self.query(Input):
            editor.cursor_blink = False
        self.query_one("#name", Input).focus()
        self._show_path()
        self._show_bindings()

    def path(self) -> Path:
        """The file Save writes: the Folder field's ``.toml`` file, else ``slug(name).toml``
        in that folder (the personal templates folder when it is empty)."""
        typed = self.query_one("#folder", Input).value.strip()
        where = Path(typed).expanduser() if typed else templates_dir()
        if where.suffix.lower() == ".toml":
            return where
        return where / f"{slug(self.query_one('#name', Input).value)}.toml"

    def _shared_note(self) -> str:
        if self.source is None:
            return ""
        folder = shared_folder_of(self.source)
        if folder is None:
            return ""
        return visible(f"Shared template (owner {owner(self.source)}, in {folder.path}): "
                       "saving a personal copy", single_line=True)

    @on(Input.Changed, "#name")
    @on(Input.Changed, "#folder")
    def _name_changed(self) -> None:
        self._show_path()

    def _show_path(self, problem: str = "") -> None:
        text = f"File: {self.path()}"
        line = self.query_one("#path", WrappedText)
        line.set_text(f"{text}\n{problem}" if problem else text, style="" if problem else "dim")
        if problem:  # the fields scroll: a problem must not stay below the fold
            self.call_after_refresh(line.scroll_visible, animate=False)

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        name = self.query_one("#name", Input).value.strip()
        if not name:
            self._show_path("Type a name for the template.")
            self.query_one("#name", Input).focus()
            return
        ask = tuple(self.query_one(CheckList).selected) if self.argument_names else ()
        description = self.query_one("#description", Input).value.strip()
        self._save(SaveTemplateRequest(name, description, ask, dict(self.bindings),
                                       self.path()))

    def _save(self, request: SaveTemplateRequest, *, overwrite: bool = False) -> None:
        try:
            path = self.save(request, overwrite=overwrite)
        except FileExistsError as exc:
            # The answer is acted on once the question has closed: dismissing this dialog
            # from inside the question's own callback would pop the question instead and
            # leave the app waiting on itself.
            def answered(replace: Optional[bool]) -> None:
                self.app.call_later(self._answered, request, bool(replace))

            self.app.push_screen(
                ConfirmDialog(f"{exc.filename} exists. Replace it?", yes="Replace", no="Keep"),
                answered,
            )
            return
        except (OSError, ValueError, LocationError) as exc:
            self._show_path(f"The template was not saved: {exc}")
            return
        self.dismiss(path)

    def _answered(self, request: SaveTemplateRequest, replace: bool) -> None:
        if replace:
            self._save(request, overwrite=True)
        else:
            self.dismiss(None)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#bindings")
    def action_bindings(self) -> None:
        if not self.targets:
            return

        def picked(bindings: Optional[dict]) -> None:
            if bindings is not None:
                self.bindings = bindings
                self._show_bindings()

        self.app.push_screen(BindingsDialog(self.targets, self.bindings), picked)

    def _show_bindings(self) -> None:
        if not self.targets:
            return
        text = ("Bindings (startjob run --event): "
                + ", ".join(f"{name} <- {path}" for name, path in self.bindings.items())
                if self.bindings else "No bindings: startjob run --event fills nothing.")
        self.query_one("#bindings-summary", WrappedText).set_text(
            visible(text, single_line=True, limit=300), style="dim")
