"""Authoring a template's ``[bindings]`` from a sample event (the Save dialog's Bindings…).

A binding maps an argument (or a queue content field) to a dotted path into an event's JSON
object, read by ``replay.lookup``: each part is an object key, or a number indexing a list
(``incident.number``, ``items.0.id``). ``event_paths`` lists every path of a sample event
that a binding can name: a key holding a dot (``lookup`` would split it), a space, a control
character or any other character a template's binding path refuses (``[\\w$@-]``) cannot be
named, so it is left out with its whole subtree and counted (``PathList.unreachable``).
``preview`` converts the value each binding yields exactly as a replay converts an event
value (``replay.event_value``). The sample itself is never stored: it may hold personal data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Union

from tui_app.arguments import ArgumentValueError
from tui_app.arguments.jsontext import JsonSyntaxError, dumps, loads, quote

#: The most paths ``event_paths`` lists, and the deepest it goes.
MAX_PATHS = 2_000
MAX_DEPTH = 32
#: The largest sample event read (pasted or from a file).
MAX_SAMPLE_BYTES = 1_000_000


class SampleError(ValueError):
    """The sample event cannot be used; the message says why in one line."""


@dataclass(frozen=True)
class PathEntry:
    """One dotted path of a sample event with its value."""

    path: str
    value: Any
    #: ``object``, ``array``, ``string``, ``number``, ``boolean`` or ``null``.
    json_type: str
    #: The number of parts of the path (1 for a top-level key).
    depth: int


class PathList(list):
    """``event_paths``' answer: the entries, with what was left out."""

    #: Some paths were not listed: more than ``MAX_PATHS``, or deeper than ``MAX_DEPTH``.
    cut: bool = False
    #: Keys a binding path cannot name (a dot, a space, a control character...).
    unreachable: int = 0

    def note(self) -> str:
        """What was left out, in words ("" when nothing was)."""
        notes = []
        if self.cut:
            notes.append(f"only the first {MAX_PATHS} paths, at most {MAX_DEPTH} deep, "
                         "are listed")
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


def _nameable(key: str) -> bool:
    from tui_app.templates import _DOTTED_PATH  # the one rule for a binding path

    return "." not in key and bool(_DOTTED_PATH.match(key))


def _children(value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return list(value.items())
    if isinstance(value, list):
        return [(str(index), item) for index, item in enumerate(value)]
    return []


def event_paths(sample: Any) -> PathList:
    """Every path of ``sample`` a binding can name, in document order, each parent before
    its children (an object or a list is a path too: a JSON argument takes it whole)."""
    found = PathList()
    stack = [("", 0, iter(_children(sample)))]
    while stack:
        prefix, depth, items = stack[-1]
        step = next(items, None)
        if step is None:
            stack.pop()
            continue
        key, child = step
        if not _nameable(key):
            found.unreachable += 1
            continue
        if len(found) >= MAX_PATHS:
            found.cut = True
            break
        path = f"{prefix}.{key}" if prefix else key
        found.append(PathEntry(path, child, json_type(child), depth + 1))
        below = _children(child)
        if below and depth + 1 >= MAX_DEPTH:
            found.cut = True
        elif below:
            stack.append((path, depth + 1, iter(below)))
    return found


def load_sample(source: Union[str, Path]) -> dict:
    """The sample event: ``source`` is pasted JSON text, or a ``Path`` to read. Raises
    ``SampleError`` (not JSON, not an object, the file unreadable, over 1 MB)."""
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


def suggest(names: Iterable[str], paths: Sequence[PathEntry]) -> dict[str, str]:
    """A best-guess path per name: the first path whose last part is the name (any case);
    names with no such path are left out. Only a suggestion, shown pre-selected."""
    by_leaf: dict[str, str] = {}
    for entry in paths:
        by_leaf.setdefault(entry.path.rpartition(".")[2].casefold(), entry.path)
    return {name: by_leaf[name.casefold()] for name in names if name.casefold() in by_leaf}
