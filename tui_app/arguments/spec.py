"""Input argument specs read from a release's ``Arguments.Input``."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Optional

from .dotnet_types import DotNetType, DotNetTypeError, parse_type_name
from .errors import ArgumentsFormatError, ArgumentValueError
from .jsontext import JsonSyntaxError, clip, describe, dumps, loads, quote
from .kinds import Codec, Invalid, JsonCodec, Kind, ListCodec, codec_for

_WHERE = "the process's argument list (Arguments.Input)"
_WHERE_START = _WHERE[0].upper() + _WHERE[1:]


@lru_cache(maxsize=512)
def _resolve(type_name: str) -> tuple[Optional[DotNetType], Codec]:
    """Parse a type name once; a malformed one is handled as raw JSON."""
    try:
        dotnet = parse_type_name(type_name)
    except DotNetTypeError:
        return None, JsonCodec()
    return dotnet, codec_for(dotnet)


@dataclass(frozen=True)
class ArgumentSpec:
    """One input argument: its type, what a form needs, and its value conversions.

    Only ``name``, ``type_name``, ``required`` and ``has_default`` are given; the rest is
    derived from ``type_name``. Values are JSON data: ``str``, ``int``, ``Decimal`` (every
    floating-point type, kept exact), ``bool``, ``list``, ``dict``; date-times and time spans
    are normalised strings (``2024-05-01T09:00:00+02:00``, ``1.02:00:00``).
    """

    name: str
    #: The assembly-qualified .NET type name as Orchestrator sent it.
    type_name: str
    required: bool = False
    #: The package has a Studio default (Orchestrator does not say which).
    has_default: bool = False
    #: Assembly-free full name, the same on every .NET version, e.g. ``System.String``,
    #: ``System.Collections.Generic.List<System.String>``; a template's type "signature".
    full_type: str = field(init=False)
    #: Display name, e.g. ``String``, ``Int32?``, ``List<String>``, ``DataTable``.
    short_type: str = field(init=False)
    kind: Kind = field(init=False)
    #: ``Nullable<T>``: the kind is T's.
    nullable: bool = field(init=False)
    #: For TEXT_LIST and LIST, the kind of the items.
    element_kind: Optional[Kind] = field(init=False)
    #: For integers, the range of the .NET type.
    min_value: Optional[int] = field(init=False)
    max_value: Optional[int] = field(init=False)
    #: Edited as multi-line text (lists, objects, tables, raw JSON).
    multiline: bool = field(init=False)
    #: What to type, e.g. "a whole number from 0 to 255" or "true or false".
    hint: str = field(init=False)

    def __post_init__(self) -> None:
        dotnet, codec = _resolve(self.type_name)
        if dotnet is None:
            full = self.type_name.strip()
            short = clip(full.split(",", 1)[0].strip()) or "unknown type"
        else:
            full, short = dotnet.full_name, dotnet.short_name
        derived = {
            "full_type": full,
            "short_type": short,
            "kind": codec.kind,
            "nullable": dotnet is not None and dotnet.nullable_of is not None,
            "element_kind": codec.element.kind if isinstance(codec, ListCodec) else None,
            "min_value": codec.minimum,
            "max_value": codec.maximum,
            "multiline": codec.multiline,
            "hint": codec.hint,
        }
        for name, value in derived.items():
            object.__setattr__(self, name, value)

    @property
    def _codec(self) -> Codec:
        return _resolve(self.type_name)[1]

    def parse(self, text: str) -> Any:
        """Convert what a person typed (form field or ``--set``) into the value to send."""
        return self._convert(self._codec.parse, text)

    def from_toml(self, value: Any) -> Any:
        """Convert a natural TOML/JSON value (template, ``--set-json``), checked like typed text.

        A string for a kind whose JSON form is not a string (number, list, object, raw JSON)
        is read as typed text, so ``"12.5"`` works for a Decimal and ``'{"a": 1}'`` for an
        object. ``null`` is accepted only for raw JSON; otherwise leave the argument out.
        """
        codec = self._codec
        if value is None and codec.kind is not Kind.JSON:
            raise ArgumentValueError(
                self.name, "null is not a value here — leave the argument out to use its default"
            )
        if isinstance(value, str) and not codec.string_valued:
            return self.parse(value)
        return self._convert(codec.from_json, value)

    def to_text(self, value: Any) -> str:
        """Editable text for a value; :meth:`parse` reads it back. JSON is indented by 2."""
        return self._codec.to_text(value)

    def to_toml(self, value: Any) -> Any:
        """The value as a template stores it: TOML scalars, arrays and tables as they are;
        date-times and time spans as strings; JSON text where TOML has no equivalent (null).
        """
        return self._codec.to_toml(value)

    def _convert(self, convert: Callable[[Any], Any], raw: Any) -> Any:
        try:
            value = convert(raw)
        except Invalid as exc:
            raise ArgumentValueError(self.name, str(exc)) from None
        except RecursionError:
            raise ArgumentValueError(self.name, "the value is nested too deeply") from None
        try:
            dumps(value).encode("utf-8")
        except UnicodeEncodeError:
            raise ArgumentValueError(
                self.name,
                "contains a broken character (a lone UTF-16 surrogate) — type or paste it again",
            ) from None
        return value


def parse_arguments_input(raw: Optional[str]) -> list[ArgumentSpec]:
    """Read ``Arguments.Input`` (a JSON string of a list) into specs, in the server's order.

    ``None``, empty text and JSON ``null`` mean no arguments. Unknown fields of an entry are
    ignored; invalid JSON, a wrong shape, a missing or empty name and a repeated name raise
    :class:`ArgumentsFormatError`.
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return []
    if not isinstance(raw, str):
        raise ArgumentsFormatError(f"{_WHERE_START} should be JSON text, but it is {describe(raw)}")
    try:
        entries = loads(raw, unique_keys=False)
    except JsonSyntaxError as exc:
        raise ArgumentsFormatError(f"{_WHERE_START} is not valid JSON: {exc}") from None
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise ArgumentsFormatError(
            f"{_WHERE_START} should be a JSON list, but it is {describe(entries)}"
        )
    specs: list[ArgumentSpec] = []
    positions: dict[str, int] = {}
    for position, entry in enumerate(entries, start=1):
        spec = _spec_from_entry(position, entry)
        if spec.name in positions:
            raise ArgumentsFormatError(
                f"The argument {quote(spec.name)} appears twice in {_WHERE}: "
                f"entries {positions[spec.name]} and {position}"
            )
        positions[spec.name] = position
        specs.append(spec)
    return specs


def _spec_from_entry(position: int, entry: Any) -> ArgumentSpec:
    where = f"Entry {position} of {_WHERE}"
    if not isinstance(entry, dict):
        raise ArgumentsFormatError(f"{where} should be an object, but it is {describe(entry)}")
    name = entry.get("name")
    if not isinstance(name, str):
        problem = "has no name" if name is None else f"has {describe(name)} as its name"
        raise ArgumentsFormatError(f"{where} {problem}")
    if not name.strip():
        raise ArgumentsFormatError(f"{where} has an empty name")
    type_name = entry.get("type")
    if not isinstance(type_name, str):
        problem = "no type" if type_name is None else f"{describe(type_name)} as its type"
        raise ArgumentsFormatError(f"{where} ({quote(name)}) has {problem}")
    flags = {}
    for key in ("required", "hasDefault"):
        flag = entry.get(key)
        if flag is not None and not isinstance(flag, bool):
            raise ArgumentsFormatError(
                f"{where} ({quote(name)}) should have true or false as {key!r}, "
                f"but it is {describe(flag)}"
            )
        flags[key] = bool(flag)
    return ArgumentSpec(name, type_name, flags["required"], flags["hasDefault"])
