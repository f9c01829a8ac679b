"""The Save dialog's "Bindings…": pick, from a sample event, the path that fills each argument.

The dialog closes with the chosen ``[bindings]`` (name -> dotted path; None: Esc, nothing
kept). Each name's button opens a ``PathPicker``: the sample as a tree (``tui_app.bindings``
builds its levels, a node's children only when it is opened), a filter, and a line saying
what the highlighted path yields. The sample event (pasted, or read from a file) is used only
here and never stored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Optional

from rich.style import Style
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static, TextArea, Tree
from textual.widgets.tree import TreeNode
from textual.worker import get_current_worker

from tui_app.bindings import (
    MAX_MATCHES,
    FilteredTree,
    Level,
    PathEntry,
    SampleError,
    Tally,
    filtered_tree,
    has_path,
    load_sample,
    pasted_source,
    preview,
    suggest,
    survey,
    target_name,
    tree_level,
)
from tui_app.text import visible
from tui_app.ui.dialogs import WrappedText
from tui_app.ui.widgets import POINTER, OrderedTextArea, SafeInput

#: The widest a chosen path gets on its button (the dialog is 72 columns inside).
LABEL_WIDTH = 50
NO_SAMPLE = ("No sample yet: paste an event JSON object above, or type the path of a file "
             "holding one and press Enter.")
NOT_BOUND = "(not bound)"
NOT_BOUND_LINE = "not bound: the value comes from the template or --set"


def yields_line(name: str, path: str, sample: Optional[dict], target: Any) -> Text:
    """What binding ``name`` to ``path`` yields from ``sample``, in words, safe to show."""
    if not path:
        return Text(NOT_BOUND_LINE, style="dim")
    if sample is None:
        return Text("no sample to preview with", style="dim")
    found = preview({name: path}, sample, [target])[name]
    if found.problem:
        return Text(visible(f"problem: {found.text}", single_line=True, limit=200),
                    style="bold")
    return Text(visible(f"yields {found.text}", single_line=True, limit=200))


def _leads_to(data: Any, path: str) -> bool:
    """Whether a tree node holding ``data`` is ``path`` or one of its ancestors."""
    if isinstance(data, PathEntry):
        return path == data.path or path.startswith(data.path + ".")
    return data == path


def _add_entry(node: TreeNode, entry: PathEntry) -> None:
    """``entry`` under ``node``: a node that opens (its children added then), or a leaf."""
    if entry.openable:
        node.add(Text(entry.label), data=entry)
    else:
        node.add_leaf(Text(entry.label), data=entry)


class PathTree(Tree[Any]):
    """The sample's tree: Right opens a node (then goes into it), Left closes it (then goes
    to its parent), Enter picks; while it has the focus the cursor's line is marked ▸, so it
    reads without colour (NO_COLOR). ``fill`` adds a node's children before it opens."""

    BINDINGS = [
        Binding("right", "open", "Open", show=False, id="picker.open"),
        Binding("left", "close", "Close", show=False, id="picker.close"),
    ]

    def __init__(self, fill: Callable[[TreeNode], None], **kwargs: Any) -> None:
        super().__init__(Text("sample"), **kwargs)
        self.fill = fill
        # Set before the first layout: a root shown then would be the first line the
        # cursor highlights (and the preview would describe it, not "(not bound)").
        self.show_root = False
        self.auto_expand = False

    def render_label(self, node: TreeNode, base_style: Style, style: Style) -> Text:
        marked = node is self.cursor_node and self.has_focus
        return Text.assemble((f"{POINTER} " if marked else "  ", style),
                             super().render_label(node, base_style, style))

    def action_open(self) -> None:
        node = self.cursor_node
        if node is None or not node.allow_expand:
            return
        if node.is_expanded and node.children:
            self.move_cursor(node.children[0])
        else:
            self.fill(node)
            node.expand()

    def action_close(self) -> None:
        node = self.cursor_node
        if node is not None and node.is_expanded:
            node.collapse()
        else:
            self.action_cursor_parent()


class PathPicker(ModalScreen[Optional[str]]):
    """Pick the path that fills one name: a path, "" for not bound, None (Esc) for no
    change."""

    DEFAULT_CSS = """
    PathPicker { align: center middle; }
    PathPicker > .dialog { width: 76; height: 90%; padding: 0 1; }
    PathPicker #paths { height: 1fr; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Back", id="dialog.cancel"),
        Binding("down", "to_tree", "To the tree", show=False, id="picker.to_tree"),
    ]

    def __init__(self, target: Any, sample: Optional[dict], current: str) -> None:
        super().__init__()
        self.target = target
        self.field_name = target_name(target)
        self.sample = sample
        self.current = current
        self._filled: set[int] = set()

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(visible(f"Which event field fills {self.field_name}?",
                                      single_line=True, limit=70), style="bold"))
            with Horizontal(classes="row"):
                yield Label("Filter", classes="field-label")
                yield SafeInput(placeholder="part of a path, e.g. inc", id="filter",
                                compact=True, select_on_focus=False)
            yield PathTree(self.fill, id="paths")
            yield Static(id="picker-path")
            yield Static(id="picker-preview")
            yield Static("↑↓ move  → open  ← close  Enter pick  type to filter  Esc back",
                         classes="hint")

    def on_mount(self) -> None:
        self.query_one("#filter", Input).cursor_blink = False
        tree = self.query_one(PathTree)
        self._show(None)
        self._reveal(self.current)
        tree.focus()

    # -- building the tree --------------------------------------------------------------

    def _show(self, filtered: Optional[FilteredTree], needle: str = "") -> None:
        """The whole sample (its top level), or the paths ``filtered`` keeps."""
        tree = self.query_one(PathTree)
        tree.clear()
        self._filled.clear()
        root = tree.root
        root.add_leaf(Text(NOT_BOUND), data="")
        if self.current and not has_path(self.sample, self.current):
            root.add_leaf(Text(visible(f"{self.current}  (not in the sample)",
                                       single_line=True, limit=70)), data=self.current)
        if self.sample is None:
            root.add_leaf(Text("no sample yet: paste one in the Bindings dialog", style="dim"))
        elif filtered is None:
            self._add(root, tree_level(self.sample))
        elif not filtered:
            root.add_leaf(Text(visible(f'no path contains "{needle}"', single_line=True,
                                       limit=70), style="dim"))
        else:
            self._add_filtered(root, filtered, "")
            if filtered.cut:
                root.add_leaf(Text(f"… only the first {MAX_MATCHES} matching paths are shown",
                                   style="dim"))
        root.expand()
        tree.move_cursor_to_line(0)
        if filtered:
            self._reveal(filtered.first)

    def _add(self, node: TreeNode, level: Level) -> None:
        for entry in level:
            _add_entry(node, entry)
        for note in level.notes():
            node.add_leaf(Text(note, style="dim"))
        self._filled.add(node.id)

    def _add_filtered(self, node: TreeNode, filtered: FilteredTree, parent: str) -> None:
        for entry in filtered.get(parent, ()):
            if entry.path in filtered:
                child = node.add(Text(entry.label), data=entry, expand=True)
                self._add_filtered(child, filtered, entry.path)
                self._filled.add(child.id)
            else:
                _add_entry(node, entry)

    def fill(self, node: TreeNode) -> None:
        """Add ``node``'s children the first time it is opened."""
        entry = node.data
        if node.id not in self._filled and isinstance(entry, PathEntry):
            self._add(node, tree_level(entry.value, entry.path, entry.depth))

    @on(Tree.NodeExpanded)
    def _expanded(self, event: Tree.NodeExpanded) -> None:
        self.fill(event.node)  # opened with Space or a click

    def _reveal(self, path: str) -> None:
        """Open the nodes down to ``path`` and put the cursor on it (when the tree has it)."""
        tree = self.query_one(PathTree)
        node = tree.root
        while path:
            step = next((child for child in node.children if _leads_to(child.data, path)),
                        None)
            if step is None:
                return
            entry = step.data
            if not isinstance(entry, PathEntry) or entry.path == path:
                tree.get_node_at_line(0)  # lays the lines out again (nodes opened)
                tree.move_cursor(step)
                return
            self.fill(step)
            step.expand()
            node = step

    # -- the filter ---------------------------------------------------------------------

    def on_key(self, event: events.Key) -> None:
        """A printable key on the tree goes to the filter (type to filter)."""
        field = self.query_one("#filter", Input)
        if (self.focused is self.query_one(PathTree) and event.is_printable
                and event.character and event.character != " "):
            event.stop()
            event.prevent_default()
            field.focus()
            field.insert_text_at_cursor(event.character)

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        needle = event.value.strip()
        if not needle or self.sample is None:
            self._show(None)
        else:
            self._filter(needle)

    @work(thread=True, exclusive=True, group="filter")
    def _filter(self, needle: str) -> None:
        """Find the paths off the event loop (a large sample takes a moment)."""
        found = filtered_tree(self.sample, needle)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._filtered, found, needle)

    def _filtered(self, found: FilteredTree, needle: str) -> None:
        if self.is_attached and self.query_one("#filter", Input).value.strip() == needle:
            self._show(found, needle)  # not a late answer for an older text

    @on(Input.Submitted, "#filter")
    def action_to_tree(self) -> None:
        self.query_one(PathTree).focus()

    # -- the choice ---------------------------------------------------------------------

    @on(Tree.NodeHighlighted)
    def _highlighted(self, event: Tree.NodeHighlighted) -> None:
        data = event.node.data
        path = data.path if isinstance(data, PathEntry) else data
        where = self.query_one("#picker-path", Static)
        line = self.query_one("#picker-preview", Static)
        if path is None:  # a note ("… 55 more")
            where.update("")
            line.update(Text("not a path (type part of a path to filter the tree)",
                             style="dim"))
            return
        where.update(Text(visible(f"path: {path or NOT_BOUND}", single_line=True,
                                  limit=200), style="dim"))
        line.update(yields_line(self.field_name, path, self.sample, self.target))

    @on(Tree.NodeSelected)
    def _selected(self, event: Tree.NodeSelected) -> None:
        data = event.node.data
        if isinstance(data, PathEntry):
            self.dismiss(data.path)
        elif isinstance(data, str):
            self.dismiss(data)

    def action_cancel(self) -> None:
        self.dismiss(None)


class BindingsDialog(ModalScreen[Optional[dict]]):
    """Paste or load a sample event; per argument (content field) a button showing its path
    (Enter opens the ``PathPicker``), and a line saying what the path yields or what is
    wrong."""

    DEFAULT_CSS = """
    BindingsDialog .binding-path { width: 1fr; content-align: left middle; text-align: left; }
    """
    BINDINGS = [
        Binding("ctrl+s", "done", "Done", id="dialog.save"),
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
    ]

    def __init__(self, targets: Sequence[Any], bindings: Mapping[str, str]) -> None:
        super().__init__()
        #: ``ArgumentSpec``s, ``ContentField``s or plain content names (``bindings.preview``).
        self.targets = list(targets)
        self.choice = {target_name(t): bindings[target_name(t)] for t in self.targets
                       if bindings.get(target_name(t))}
        self.sample: Optional[dict] = None
        self.tally = Tally()

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text("Bindings: which event field fills each name (run --event)",
                              style="bold"))
            yield Static("Enter on a path opens the sample as a tree. The sample is only "
                         "used here and never stored (it may hold personal data).",
                         classes="hint")
            with Horizontal(classes="row"):
                yield Label("Sample file", classes="field-label")
                yield SafeInput(placeholder="path, then Enter (or paste below)",
                                id="sample-file", compact=True)
            yield OrderedTextArea(id="sample", soft_wrap=True, compact=True,
                                  placeholder="paste a sample event JSON object here")
            yield WrappedText(NO_SAMPLE, id="sample-status")
            with VerticalScroll(id="fields", can_focus=False):
                for index, target in enumerate(self.targets):
                    with Horizontal(classes="row"):
                        yield Label(visible(target_name(target), single_line=True, limit=15),
                                    classes="field-label")
                        yield Button("", id=f"bind-{index}", compact=True,
                                     classes="binding-path")
                    yield Static(id=f"preview-{index}", classes="binding-preview")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Done (ctrl+s)", id="done", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        for editor in self.query(Input):
            editor.cursor_blink = False
        self.query_one("#sample", TextArea).focus()
        self._show_choices()

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
        source = pasted_source(text)
        self._use(source, f"the file {text.strip()}" if isinstance(source, Path)
                  else "the pasted sample")

    def _use(self, source: Any, where: str) -> None:
        try:
            sample = load_sample(source)
        except SampleError as exc:
            self._set_sample(None)  # no preview from a sample that is no longer there
            self._status(str(exc))
            return
        self._set_sample(sample)
        note = self.tally.note()
        self._status(f"Using {where}: {self.tally.paths:,} path(s) to pick from"
                     + (f" ({note})." if note else "."))

    def _status(self, text: str) -> None:
        self.query_one("#sample-status", WrappedText).set_text(visible(text))

    def _set_sample(self, sample: Optional[dict]) -> None:
        """Take ``sample``, keeping each choice and suggesting a path for a name not bound
        yet."""
        self.sample = sample
        self.tally = survey(sample) if sample is not None else Tally()
        if sample is not None:
            unbound = [target_name(t) for t in self.targets
                       if target_name(t) not in self.choice]
            self.choice.update(suggest(unbound, sample))
        self._show_choices()

    # -- the choices --------------------------------------------------------------------

    def chosen(self) -> dict[str, str]:
        """The bindings picked so far (name -> path)."""
        return dict(self.choice)

    @on(Button.Pressed, ".binding-path")
    def _pick(self, event: Button.Pressed) -> None:
        event.stop()
        index = int(str(event.button.id).rpartition("-")[2])
        target = self.targets[index]
        name = target_name(target)

        def picked(path: Optional[str]) -> None:
            if path is None:
                return
            if path:
                self.choice[name] = path
            else:
                self.choice.pop(name, None)
            self._show_choices()

        self.app.push_screen(PathPicker(target, self.sample, self.choice.get(name, "")),
                             picked)

    def _show_choices(self) -> None:
        for index, target in enumerate(self.targets):
            name = target_name(target)
            path = self.choice.get(name, "")
            shown = path or NOT_BOUND
            if path and not has_path(self.sample, path):
                shown = f"{path}  (not in the sample)"
            self.query_one(f"#bind-{index}", Button).label = Text(
                visible(shown, single_line=True, limit=LABEL_WIDTH))
            self.query_one(f"#preview-{index}", Static).update(
                yields_line(name, path, self.sample, target))

    @on(Button.Pressed, "#done")
    def action_done(self) -> None:
        self.dismiss(self.chosen())

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
