"""Authoring a template's ``[bindings]`` from a sample event (the Save dialog's Bindings…).

A binding maps an argument (or a queue content field) to a dotted path into an event's JSON
object, read by ``replay.lookup``: each part is an object key, or a number indexing a list
(``incident.number``, ``items.0.id``). ``walk`` goes through every path of a sample event
that a binding can name: a key holding a dot (``lookup`` would split it), a space, a control
character or any other character a template's binding path refuses (``[\\w$@-]``) cannot be
named, so it is left out with its whole subtree and counted (``Tally.unreachable``).

The dialog shows the sample as a tree: ``tree_level`` gives one node's children (at most
``MAX_CHILDREN``, the rest counted), built only when the node is opened, so a large sample
stays fast; ``filtered_tree`` gives the paths containing a text, with their ancestors (at
most ``MAX_MATCHES``). Each ``PathEntry`` carries its label (``number: "INC0099"``, a list's
items as ``[0]``), made safe with ``text.visible``.

``preview`` converts the value each binding yields exactly as a replay converts an event
value (``replay.event_value``). The sample itself is never stored: it may hold personal data.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Union

from tui_app.arguments import ArgumentValueError
from tui_app.arguments.jsontext import JsonSyntaxError, dumps, loads, quote
from tui_app.text import visible

#: The deepest path shown (its parts), the most children a tree node shows, and the most
#: paths a filter shows.
MAX_DEPTH = 32
MAX_CHILDREN = 200
MAX_MATCHES = 500
#: The widest a tree label gets (the picker is 72 columns inside).
LABEL_WIDTH = 64
#: The largest sample event read (pasted or from a file).
MAX_SAMPLE_BYTES = 5_000_000


class SampleError(ValueError):
    """The sample event cannot be used; the message says why in one line."""


@dataclass(frozen=True)
class PathEntry:
    """One dotted path of a sample event with its value."""

    path: str
    #: The last part as the tree shows it: the key, or ``[0]`` for a list's item.
    key: str
    value: Any
    #: ``object``, ``array``, ``string``, ``number``, ``boolean`` or ``null``.
    json_type: str
    #: The number of parts of the path (1 for a top-level key).
    depth: int

    @property
    def openable(self) -> bool:
        """An object or list with something inside, not at the deepest level shown."""
        return _has_children(self.value) and self.depth < MAX_DEPTH

    @property
    def label(self) -> str:
        """``key: value``, the value shortened (an object or list by its size), one line."""
        value = self.value
        if self.json_type == "object":
            shown = f"{{{_count(len(value), 'key')}}}" if value else "{}"
        elif self.json_type == "array":
            shown = f"[{_count(len(value), 'item')}]" if value else "[]"
        elif isinstance(value, str):
            shown = dumps(value[:LABEL_WIDTH])
        else:
            shown = dumps(value)
        return visible(f"{self.key}: {shown}", single_line=True, limit=LABEL_WIDTH)


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


@dataclass
class Tally:
    """What ``survey`` counted: the paths a binding can name, and what was left out."""

    paths: int = 0
    #: Keys a binding path cannot name (a dot, a space, a control character...).
    unreachable: int = 0
    #: Some paths are deeper than ``MAX_DEPTH``.
    deep: bool = False

    def note(self) -> str:
        """What was left out, in words ("" when nothing was)."""
        notes = []
        if self.deep:
            notes.append(f"paths deeper than {MAX_DEPTH} parts are left out")
        if self.unreachable:
            notes.append(f"{self.unreachable} key(s) with a dot, a space or another character "
                         "a binding path cannot hold are left out")
        return "; ".join(notes)


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float, Decimal)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


@lru_cache(maxsize=4096)  # events repeat their keys (a list of records)
def _nameable(key: str) -> bool:
    from tui_app.templates import _DOTTED_PATH  # the one rule for a binding path

    return "." not in key and bool(_DOTTED_PATH.match(key))


def _has_children(value: Any) -> bool:
    return isinstance(value, (dict, list)) and bool(value)


def _children(value: Any) -> Iterable[tuple[str, Any]]:
    if isinstance(value, dict):
        return value.items()
    if isinstance(value, list):
        return ((str(index), item) for index, item in enumerate(value))
    return ()


def _join(prefix: str, key: str) -> str:
    """The path of ``key`` under the path ``prefix`` ("" for the sample itself)."""
    return f"{prefix}.{key}" if prefix else key


def _entry(prefix: str, key: str, value: Any, parent: Any, depth: int) -> PathEntry:
    return PathEntry(_join(prefix, key),
                     f"[{key}]" if isinstance(parent, list) else key,
                     value, json_type(value), depth)


#: One step of ``_steps``: the parent's path, the key, the value, the parent, the depth.
_Step = tuple[str, str, Any, Any, int]


def _steps(sample: Any, tally: Tally) -> Iterator[_Step]:
    """``walk``'s steps, without building a ``PathEntry`` for each (``tally`` counts)."""
    stack = [("", sample, 0, iter(_children(sample)))]
    while stack:
        prefix, parent, depth, items = stack[-1]
        step = next(items, None)
        if step is None:
            stack.pop()
            continue
        key, child = step
        if not _nameable(key):
            tally.unreachable += 1
            continue
        tally.paths += 1
        yield prefix, key, child, parent, depth + 1
        if _has_children(child):
            if depth + 1 < MAX_DEPTH:
                path = _join(prefix, key)
                stack.append((path, child, depth + 1, iter(_children(child))))
            else:
                tally.deep = True


def walk(sample: Any) -> Iterator[PathEntry]:
    """Every path of ``sample`` a binding can name, in document order, each parent before
    its children (an object or a list is a path too: a JSON argument takes it whole), at
    most ``MAX_DEPTH`` parts deep."""
    return (_entry(*step) for step in _steps(sample, Tally()))


def survey(sample: Any) -> Tally:
    """How many paths ``sample`` has, and what a binding cannot name."""
    tally = Tally()
    for _ in _steps(sample, tally):
        pass
    return tally


class Level(list):
    """One tree node's children (``PathEntry``), with what is not shown."""

    #: Children past ``MAX_CHILDREN`` (or, in a filtered tree, paths past ``MAX_MATCHES``).
    more: int = 0
    #: Keys a binding path cannot name.
    unreachable: int = 0

    def notes(self) -> list[str]:
        """The lines the tree shows after the children (none when all are shown)."""
        notes = []
        if self.more:
            notes.append(f"… {self.more:,} more")
        if self.unreachable:
            notes.append(f"… {self.unreachable:,} key(s) a binding path cannot name")
        return notes


def tree_level(value: Any, path: str = "", depth: int = 0) -> Level:
    """The children of the node at ``path`` (``depth`` parts; "" and 0 for the sample)."""
    level = Level()
    for index, (key, child) in enumerate(_children(value)):
        if not _nameable(key):
            level.unreachable += 1
        elif len(level) >= MAX_CHILDREN:
            level.more = len(value) - index
            break
        else:
            level.append(_entry(path, key, child, value, depth + 1))
    return level


class FilteredTree(dict):
    """``filtered_tree``'s answer: parent path ("" for the sample) -> its shown children."""

    #: The paths containing the text that are shown (at most ``MAX_MATCHES``).
    matches: int = 0
    #: There are more paths containing the text than are shown.
    cut: bool = False
    #: The first path containing the text ("" when none does).
    first: str = ""


def filtered_tree(sample: Any, needle: str) -> FilteredTree:
    """The paths of ``sample`` that contain ``needle`` (any case), each with its ancestors,
    as levels of a tree in document order."""
    wanted = needle.casefold()
    tree = FilteredTree()
    shown: set[str] = set()
    ancestors: list[_Step] = []
    for step in _steps(sample, Tally()):
        prefix, key, _, _, depth = step
        del ancestors[depth - 1:]
        ancestors.append(step)
        path = _join(prefix, key)
        if wanted not in path.casefold():
            continue
        if tree.matches >= MAX_MATCHES:
            tree.cut = True
            break
        tree.matches += 1
        tree.first = tree.first or path
        for line in ancestors:
            entry = _entry(*line)
            if entry.path not in shown:
                shown.add(entry.path)
                tree.setdefault(line[0], Level()).append(entry)
    return tree


def has_path(sample: Any, path: str) -> bool:
    """Whether ``sample`` has a value at ``path`` (as a replay looks it up)."""
    from tui_app.replay import _MISSING, lookup

    return sample is not None and lookup(sample, path) is not _MISSING


def pasted_source(text: str) -> Union[str, Path]:
    """What was typed or pasted into the sample box: a ``Path`` when it is one line naming
    a file that exists (people type a path where the box is), else the text itself."""
    line = text.strip()
    if not line or "\n" in line or line.startswith(("{", "[", '"')):
        return text
    path = Path(line).expanduser()
    try:
        return path if path.is_file() else text
    except (OSError, ValueError):  # a name too long, a NUL: not a file
        return text


def load_sample(source: Union[str, Path]) -> dict:
    """The sample event: ``source`` is pasted JSON text, or a ``Path`` to read. Raises
    ``SampleError`` (not JSON, not an object, the file unreadable, over 5 MB)."""
    from tui_app.userfiles import UserFileError, read_user_file

    where = "The sample"
    if isinstance(source, Path):
        where = f"The file {source}"
        try:
            data = read_user_file(source.expanduser(), MAX_SAMPLE_BYTES)
        except UserFileError as exc:
            raise SampleError(f"{where} cannot be used: it {exc}.") from None
        except OSError as exc:
            raise SampleError(f"{where} cannot be read: {exc.strerror or exc}.") from None
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise SampleError(f"{where} is not UTF-8 text (bad byte at offset "
                              f"{exc.start}).") from None
    else:
        text = source
        if len(text.encode("utf-8", "surrogatepass")) > MAX_SAMPLE_BYTES:
            raise SampleError(f"{where} is over {MAX_SAMPLE_BYTES:,} bytes; paste a smaller "
                              "event.")
    if not text.strip():
        raise SampleError(f"{where} is empty: paste an event JSON object or load a file.")
    try:
        event = loads(text, unique_keys=False)
    except JsonSyntaxError as exc:
        raise SampleError(f"{where} is not valid JSON: {exc}.") from None
    if not isinstance(event, dict):
        raise SampleError(f"{where} must be a JSON object ({{...}}), not "
                          f"{'a list' if isinstance(event, list) else 'a single value'}.")
    return event


@dataclass(frozen=True)
class Preview:
    """What one binding yields from the sample: the value as JSON text, or the problem."""

    text: str
    problem: bool = False


def target_name(target: Any) -> str:
    """The name of a binding's target (an ``ArgumentSpec``, a ``ContentField`` or a name)."""
    return target if isinstance(target, str) else target.name


def preview(bindings: Mapping[str, str], sample: Any,
            targets: Sequence[Any]) -> dict[str, Preview]:
    """The value each binding of ``bindings`` yields from ``sample``, converted as a replay
    converts it for its target (an ``ArgumentSpec``, a ``ContentField``, or a plain name for
    a content field without a schema), or the problem in words."""
    from tui_app.replay import _MISSING, event_value, lookup

    result = {}
    for target in targets:
        name = target_name(target)
        path = bindings.get(name)
        if not path:
            continue
        found = lookup(sample, path)
        if found is _MISSING:
            result[name] = Preview(f"the event has no value at {quote(path)}", True)
            continue
        try:
            value = event_value(None if isinstance(target, str) else target, found)
        except ArgumentValueError as exc:
            result[name] = Preview(exc.problem, True)
            continue
        result[name] = Preview(dumps(value))
    return result


def suggest(names: Iterable[str], sample: Any) -> dict[str, str]:
    """A best-guess path per name: the first path of ``sample`` whose last part is the name
    (any case); names with no such path are left out. Only a suggestion, shown
    pre-selected."""
    wanted = {name.casefold(): name for name in names}
    found: dict[str, str] = {}
    for prefix, key, _, _, _ in _steps(sample, Tally()):
        name = wanted.get(key.casefold())
        if name is not None and name not in found:
            found[name] = _join(prefix, key)
    return found
