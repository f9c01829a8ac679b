"""Value kinds: how each .NET argument type is typed, checked, sent as JSON and stored in TOML.

A *codec* converts one type's values between three forms:

* text a person types in the form or passes with ``--set`` (:meth:`Codec.parse`,
  :meth:`Codec.to_text`);
* JSON data, the value sent to Orchestrator (:meth:`Codec.from_json` checks data that came
  from JSON, a template or Python; numbers with a fraction are ``Decimal``);
* natural TOML values (:meth:`Codec.to_toml`): scalars as they are, date-times and time spans
  as ISO/.NET strings, lists and objects as TOML arrays and tables, or as JSON text when TOML
  cannot hold them (a ``null`` anywhere, or a bare raw-JSON string).

Problems raise :class:`Invalid` with a message that does not name the argument; the caller
(:class:`~tui_app.arguments.spec.ArgumentSpec`) puts the name in front.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from functools import partial
from typing import Any, Callable, Optional

from .dotnet_types import DotNetType
from .jsontext import JsonSyntaxError, clip, decimal_text, describe, dumps, loads, quote


class Kind(str, Enum):
    """Which editor a form shows and which rules apply."""

    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    TIMESPAN = "timespan"
    TEXT_LIST = "text_list"
    LIST = "list"
    DICTIONARY = "dictionary"
    DATATABLE = "datatable"
    JSON = "json"


class Invalid(ValueError):
    """A value does not fit its type; the message leaves out the argument's name."""


class Codec:
    """Base: conversions for one .NET type. Subclasses set the class attributes."""

    kind: Kind
    #: Hint for a form or ``--help``, e.g. "true or false".
    hint = ""
    #: One value as JSON, and a list of them, for examples in messages.
    example = ""
    list_example = ""
    #: The values, in a phrase like "a JSON list of whole numbers".
    plural = ""
    #: The JSON form is a string (text, date-time, time span).
    string_valued = False
    #: Typed on one line; lists of it also accept one item per line.
    scalar = True
    multiline = False
    minimum: Optional[int] = None
    maximum: Optional[int] = None

    def parse(self, text: str) -> Any:
        """Convert what a person typed."""
        raise NotImplementedError

    def from_json(self, value: Any) -> Any:
        """Check (and normalise) JSON data or a natural TOML/Python value."""
        raise NotImplementedError

    def to_text(self, value: Any) -> str:
        """Editable text that :meth:`parse` turns back into ``value``."""
        return value if isinstance(value, str) else dumps(value)

    def to_toml(self, value: Any) -> Any:
        """The value as TOML holds it naturally."""
        return value


class TextCodec(Codec):
    kind = Kind.TEXT
    hint = "text"
    example = '"text"'
    list_example = '["a", "b"]'
    plural = "texts"
    string_valued = True

    def parse(self, text: str) -> str:
        return text

    def from_json(self, value: Any) -> str:
        if isinstance(value, (bool, int, float, Decimal)):
            raise Invalid(f'expected text, got {describe(value)} — write it in double quotes: '
                          f'"{dumps(value)}"')
        if not isinstance(value, str):
            raise Invalid(f"expected text, got {describe(value)}")
        return self.parse(value)


class CharCodec(TextCodec):
    hint = "exactly one character"
    example = '"A"'
    list_example = '["A", "B"]'
    plural = "single characters"

    def parse(self, text: str) -> str:
        if len(text) != 1:
            raise Invalid(f"{quote(text)} is {len(text)} characters — a Char holds exactly one")
        if ord(text) > 0xFFFF:
            raise Invalid(f"{quote(text)} does not fit in a Char — emoji and other rare "
                          "characters take two")
        return text


_HEX = "[0-9a-fA-F]"
_GUID_D = rf"{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}"
_GUID = re.compile(rf"{_GUID_D}|\{{{_GUID_D}\}}|\({_GUID_D}\)|{_HEX}{{32}}")
_GUID_EXAMPLE = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"


class GuidCodec(TextCodec):
    hint = f"a GUID, e.g. {_GUID_EXAMPLE}"
    example = f'"{_GUID_EXAMPLE}"'
    list_example = f'["{_GUID_EXAMPLE}"]'
    plural = "GUIDs"

    def parse(self, text: str) -> str:
        """Accept the usual .NET forms (with or without dashes, braces); return lower-case."""
        cleaned = text.strip()
        if not _GUID.fullmatch(cleaned):
            raise Invalid(f"{quote(cleaned)} is not a GUID, e.g. {_GUID_EXAMPLE}")
        return str(uuid.UUID(re.sub("[^0-9a-fA-F]", "", cleaned)))


_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")


class IntegerCodec(Codec):
    kind = Kind.INTEGER
    example = "42"
    list_example = "[1, 2]"
    plural = "whole numbers"
    minimum: int
    maximum: int

    def __init__(self, label: str, minimum: int, maximum: int) -> None:
        self.label = label
        self.minimum = minimum
        self.maximum = maximum
        self.hint = f"a whole number from {minimum} to {maximum}"

    def parse(self, text: str) -> int:
        cleaned = text.strip()
        if not _WHOLE_NUMBER.fullmatch(cleaned):
            raise Invalid(f"{quote(cleaned)} is not a whole number, e.g. 42")
        if len(cleaned.lstrip("+-").lstrip("0")) > 20:  # beyond every .NET integer type
            raise self._outside(cleaned.lstrip("+"))
        return self._in_range(int(cleaned))

    def from_json(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(f"expected a whole number, got {describe(value)}")
        return self._in_range(value)

    def _in_range(self, number: int) -> int:
        if not self.minimum <= number <= self.maximum:
            raise self._outside(str(number))
        return number

    def _outside(self, shown: str) -> Invalid:
        return Invalid(f"{clip(shown)} is outside {self.label} ({self.minimum} to {self.maximum})")


_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


class DecimalCodec(Codec):
    """Single, Double, Decimal: values are ``Decimal`` so they are sent exactly as typed."""

    kind = Kind.DECIMAL
    hint = "a number with a dot for decimals, e.g. 12.5"
    example = "12.5"
    list_example = "[1.5, 2]"
    plural = "numbers"

    def __init__(self, label: str, limit: str) -> None:
        self.label = label
        self.limit = Decimal(limit)
        self.range_text = f"-{limit} to {limit}"

    def parse(self, text: str) -> Decimal:
        cleaned = text.strip()
        if _NUMBER.fullmatch(cleaned):
            return self._in_range(Decimal(cleaned), cleaned)
        if "," in cleaned:
            thousands = "." in cleaned
            fixed = cleaned.replace(",", "" if thousands else ".")
            if _NUMBER.fullmatch(fixed):
                advice = "leave out the thousands separators" if thousands else "use a dot"
                raise Invalid(f"{quote(cleaned)} is not a number — {advice}, e.g. {fixed}")
        raise Invalid(f"{quote(cleaned)} is not a number, e.g. 12.5")

    def from_json(self, value: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
            raise Invalid(f"expected a number, got {describe(value)}")
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if not number.is_finite():
            raise Invalid(f"{value} is not a number, e.g. 12.5")
        return self._in_range(number, decimal_text(number))

    def _in_range(self, number: Decimal, shown: str) -> Decimal:
        if number.copy_abs() > self.limit:
            raise Invalid(f"{clip(shown)} is outside {self.label} ({self.range_text})")
        return number


class BooleanCodec(Codec):
    kind = Kind.BOOLEAN
    hint = "true or false"
    example = "true"
    list_example = "[true, false]"
    plural = "true/false values"
    _WORDS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}

    def parse(self, text: str) -> bool:
        cleaned = text.strip()
        try:
            return self._WORDS[cleaned.lower()]
        except KeyError:
            raise Invalid(
                f"{quote(cleaned)} is not true or false (yes/no and 1/0 work too)"
            ) from None

    def from_json(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise Invalid(f"expected true or false, got {describe(value)}")
        return value


_DATE_TIME = re.compile(
    r"(?P<date>(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2}))"
    r"(?:[Tt ](?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})"
    r"(?::(?P<second>[0-9]{2})(?:[.,](?P<fraction>[0-9]{1,7}))?)?"
    r" ?(?P<zone>[Zz]|(?P<sign>[+-])(?P<zh>[0-9]{2})(?::?(?P<zm>[0-9]{2}))?)?)?"
)


class DateTimeCodec(Codec):
    """DateTime (time zone optional) and DateTimeOffset (time zone required), ISO 8601.

    Values are normalised strings: ``2024-05-01T09:00:00``, ``…T09:00:00.5+02:00``, ``…Z``;
    fractions keep up to 7 digits (.NET ticks), so they also stay strings in TOML.
    """

    kind = Kind.DATETIME
    string_valued = True

    def __init__(self, needs_zone: bool) -> None:
        self.needs_zone = needs_zone
        sample = "2024-05-01T09:00:00" + ("+02:00" if needs_zone else "")
        self.hint = (
            f"date and time with a time zone, e.g. {sample} or 2024-05-01T07:00:00Z"
            if needs_zone
            else f"date and time, e.g. {sample} (time zone optional, e.g. …Z or …+02:00)"
        )
        self.sample = sample
        self.example = f'"{sample}"'
        self.list_example = f'["{sample}"]'
        self.plural = "dates and times"

    def parse(self, text: str) -> str:
        cleaned = text.strip()
        match = _DATE_TIME.fullmatch(cleaned)
        if not match:
            raise Invalid(
                f"{quote(cleaned)} is not a date and time — use ISO 8601, e.g. {self.sample}"
            )
        parts = match.groupdict()
        try:
            year, month, day, hour, minute, second = (
                int(parts[key] or 0)
                for key in ("year", "month", "day", "hour", "minute", "second"))
            datetime(year, month, day, hour, minute, second)
        except ValueError as exc:
            raise Invalid(f"{quote(cleaned)} is not a real date and time ({exc})") from None
        local = "{date}T{hour}:{minute}:{second}".format(
            date=parts["date"],
            hour=parts["hour"] or "00",
            minute=parts["minute"] or "00",
            second=parts["second"] or "00",
        ) + (f".{parts['fraction']}" if parts["fraction"] else "")
        zone = parts["zone"]
        if zone is None:
            if self.needs_zone:
                raise Invalid(f"{quote(cleaned)} needs a time zone, e.g. {local}+02:00 or …Z")
            return local
        if zone.upper() == "Z":
            return local + "Z"
        hours, minutes = int(parts["zh"]), int(parts["zm"] or 0)
        if minutes > 59 or hours * 60 + minutes > 14 * 60:
            raise Invalid(
                f"{quote(cleaned)} has the offset {zone}; offsets go from -14:00 to +14:00"
            )
        return f"{local}{parts['sign']}{hours:02d}:{minutes:02d}"

    def from_json(self, value: Any) -> str:
        if isinstance(value, (datetime, date)):  # a TOML date-time or date
            value = value.isoformat()
        if not isinstance(value, str):
            raise Invalid(f"expected a date and time such as {self.sample}, got {describe(value)}")
        return self.parse(value)


_TIME_SPAN = re.compile(
    r"(?P<sign>-)?(?:(?P<days>[0-9]{1,8})\.)?(?P<hours>[0-9]{1,2}):(?P<minutes>[0-9]{2})"
    r"(?::(?P<seconds>[0-9]{2})(?:\.(?P<fraction>[0-9]{1,7}))?)?"
)
_TICKS_PER_SECOND = 10_000_000
_MAX_TICKS = 2**63 - 1


class TimeSpanCodec(Codec):
    """.NET TimeSpan ``[-][d.]hh:mm[:ss[.fffffff]]``; values are strings in the "c" format."""

    kind = Kind.TIMESPAN
    hint = "a duration [d.]hh:mm[:ss], e.g. 01:30:00, or 2.00:00:00 for 2 days"
    example = '"01:30:00"'
    list_example = '["00:30:00", "1.00:00:00"]'
    plural = "time spans"
    string_valued = True

    def parse(self, text: str) -> str:
        cleaned = text.strip()
        match = _TIME_SPAN.fullmatch(cleaned)
        if not match:
            raise Invalid(
                f"{quote(cleaned)} is not a time span — use [d.]hh:mm[:ss], "
                "e.g. 01:30:00, or 2.00:00:00 for 2 days"
            )
        sign, fraction = match["sign"] or "", match["fraction"] or ""
        days, hours, minutes, seconds = (
            int(match[key] or 0) for key in ("days", "hours", "minutes", "seconds")
        )
        if minutes > 59 or seconds > 59:
            raise Invalid(f"{quote(cleaned)} is not a time span — minutes and seconds go up to 59")
        if hours > 23:
            suggestion = _time_span_text(sign, days + hours // 24, hours % 24, minutes, seconds,
                                         fraction)
            raise Invalid(f"{quote(cleaned)} has more than 23 hours — put the days in front, "
                          f"e.g. {suggestion}")
        total = (((days * 24 + hours) * 60 + minutes) * 60 + seconds) * _TICKS_PER_SECOND
        if total + int(fraction.ljust(7, "0")) > _MAX_TICKS:
            raise Invalid(f"{quote(cleaned)} is longer than a TimeSpan can be "
                          "(10675199.02:48:05.4775807)")
        return _time_span_text(sign, days, hours, minutes, seconds, fraction)

    def from_json(self, value: Any) -> str:
        if isinstance(value, time):  # a TOML local time
            value = value.isoformat()
        if not isinstance(value, str):
            raise Invalid(f'expected a time span such as "01:30:00", got {describe(value)}')
        return self.parse(value)


def _time_span_text(sign: str, days: int, hours: int, minutes: int, seconds: int,
                    fraction: str) -> str:
    text = f"{sign}{f'{days}.' if days else ''}{hours:02d}:{minutes:02d}:{seconds:02d}"
    return text + (f".{fraction}" if fraction else "")


def _json_error(problem: str, exc: JsonSyntaxError, expected: str) -> Invalid:
    return Invalid(f"{problem} ({exc}) — {expected}")


def _toml_value(value: Any) -> Any:
    """Native TOML data when TOML can hold it (no null anywhere), else compact JSON text."""

    def holdable(data: Any) -> bool:
        if data is None:
            return False
        if isinstance(data, list):
            return all(holdable(item) for item in data)
        if isinstance(data, dict):
            return all(holdable(item) for item in data.values())
        return True

    return value if holdable(value) else dumps(value)


def _wrapped(where: str, convert: Callable[[], Any]) -> Any:
    """Run ``convert``, prefixing an :class:`Invalid` message with ``where``."""
    try:
        return convert()
    except Invalid as exc:
        raise Invalid(f"{where}: {exc}") from None


class ListCodec(Codec):
    """Arrays and generic lists: a JSON list, or for scalar elements also one item per line."""

    scalar = False
    multiline = True

    def __init__(self, element: Codec) -> None:
        self.element = element
        self.kind = Kind.TEXT_LIST if element.kind is Kind.TEXT else Kind.LIST
        self.example = element.list_example
        self.list_example = f"[{element.list_example}]"
        self.plural = "lists"
        self.expected = f"expected a JSON list of {element.plural}, e.g. {element.list_example}"
        self.hint = (
            f"one per line, or a JSON list such as {element.list_example}"
            if element.scalar
            else f"a JSON list such as {element.list_example}"
        )

    def parse(self, text: str) -> list:
        if text.lstrip().startswith("[") or not self.element.scalar:
            try:
                data = loads(text)
            except JsonSyntaxError as exc:
                raise Invalid(f"{self.expected} ({exc})") from None
            return self.from_json(data)
        lines = [(number, line.strip(" \t\r")) for number, line in
                 enumerate(text.split("\n"), start=1)]
        return [
            _wrapped(f"line {number}", partial(self.element.parse, line))
            for number, line in lines
            if line
        ]

    def from_json(self, value: Any) -> list:
        if not isinstance(value, (list, tuple)):
            raise Invalid(self.expected)
        return [
            _wrapped(f"item {position}", partial(self.element.from_json, item))
            for position, item in enumerate(value, start=1)
        ]

    def to_text(self, value: Any) -> str:
        """One item per line when that reads back the same, else JSON with indent 2."""
        if isinstance(value, list) and value and self.element.scalar:
            lines = "\n".join(self.element.to_text(item) for item in value)
            try:
                if self.parse(lines) == value:
                    return lines
            except Invalid:
                pass
        return dumps(value, indent=2)

    def to_toml(self, value: Any) -> Any:
        return _toml_value(value)


class DictionaryCodec(Codec):
    """Dictionary<K, V> and JObject: a JSON object; keys and values checked by their types."""

    kind = Kind.DICTIONARY
    scalar = False
    multiline = True
    plural = "objects"

    def __init__(self, key: Codec, value: Codec) -> None:
        self.key = key
        self.value = value
        self.example = f'{{"key": {value.example}}}'
        self.list_example = f"[{self.example}]"
        self.expected = f"expected a JSON object, e.g. {self.example}"
        self.hint = f"a JSON object such as {self.example}"

    def parse(self, text: str) -> dict:
        try:
            data = loads(text)
        except JsonSyntaxError as exc:
            raise _json_error("not valid JSON", exc, self.expected) from None
        return self.from_json(data)

    def from_json(self, value: Any) -> dict:
        if not isinstance(value, dict):
            raise Invalid(f"{self.expected}, got {describe(value)}")
        result = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise Invalid(f"keys must be text, got {describe(key)}")
            _wrapped(f"key {quote(key)}", partial(self._check_key, key))
            result[key] = _wrapped(quote(key), partial(self.value.from_json, item))
        return result

    def _check_key(self, key: str) -> None:
        """JSON keys are text; a number, true/false, date or GUID key must read as one."""
        if self.key.string_valued:
            self.key.from_json(key)
        elif self.key.kind in (Kind.INTEGER, Kind.DECIMAL, Kind.BOOLEAN):
            self.key.parse(key)

    def to_text(self, value: Any) -> str:
        return dumps(value, indent=2)

    def to_toml(self, value: Any) -> Any:
        return _toml_value(value)


def _json_data(value: Any) -> Any:
    """JSON data from a JSON, TOML or Python value (TOML dates become ISO strings)."""
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, (float, Decimal)):
        number = Decimal(repr(value)) if isinstance(value, float) else value
        if not number.is_finite():
            raise Invalid(f"{value} is not a number JSON can hold")
        return number
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_json_data(item) for item in value]
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise Invalid("object keys must be text")
        return {key: _json_data(item) for key, item in value.items()}
    raise Invalid(f"{describe(value)} cannot be sent as JSON")


class JsonCodec(Codec):
    """Any JSON value: unknown types, System.Object, JToken. Typed as JSON text."""

    kind = Kind.JSON
    hint = 'any JSON value, e.g. {"id": 1}, [1, 2], "text", 12.5 or true'
    example = '"value"'
    list_example = '[1, "a", {"b": true}]'
    plural = "JSON values"
    scalar = False
    multiline = True

    def parse(self, text: str) -> Any:
        try:
            return loads(text)
        except JsonSyntaxError as exc:
            raise _json_error(
                "not valid JSON", exc, 'text goes in double quotes, e.g. "hello"'
            ) from None

    def from_json(self, value: Any) -> Any:
        return _json_data(value)

    def to_text(self, value: Any) -> str:
        return dumps(value, indent=2)

    def to_toml(self, value: Any) -> Any:
        """Native TOML, except a string (a TOML string is read as JSON text) or null."""
        return dumps(value) if isinstance(value, str) else _toml_value(value)


class DataTableCodec(Codec):
    """System.Data.DataTable: a JSON list of rows, each an object of column values."""

    kind = Kind.DATATABLE
    example = '[{"Name": "Ada", "Age": 36}]'
    list_example = f"[{example}]"
    plural = "tables"
    hint = f"a JSON list of rows such as {example}"
    expected = f"expected a JSON list of rows, e.g. {example}"
    scalar = False
    multiline = True

    def parse(self, text: str) -> list:
        try:
            data = loads(text)
        except JsonSyntaxError as exc:
            raise _json_error("not valid JSON", exc, self.expected) from None
        return self.from_json(data)

    def from_json(self, value: Any) -> list:
        if not isinstance(value, (list, tuple)):
            raise Invalid(f"{self.expected}, got {describe(value)}")
        return [self._row(number, row) for number, row in enumerate(value, start=1)]

    @staticmethod
    def _row(number: int, row: Any) -> dict:
        if not isinstance(row, dict):
            raise Invalid(
                f'row {number}: expected an object of column values such as {{"Name": "Ada"}}, '
                f"got {describe(row)}"
            )
        cells = _wrapped(f"row {number}", lambda: _json_data(row))
        for column, cell in cells.items():
            if isinstance(cell, (list, dict)):
                raise Invalid(
                    f"row {number}, column {quote(column)}: a cell holds text, a number, "
                    f"true/false or null, not {describe(cell)}"
                )
        return cells

    def to_text(self, value: Any) -> str:
        return dumps(value, indent=2)

    def to_toml(self, value: Any) -> Any:
        return _toml_value(value)


class NullableCodec(Codec):
    """``Nullable<T>``: T's rules; ``null`` is accepted inside lists and objects."""

    def __init__(self, inner: Codec) -> None:
        self.inner = inner
        for name in ("kind", "hint", "example", "list_example", "plural", "string_valued",
                     "scalar", "multiline", "minimum", "maximum"):
            setattr(self, name, getattr(inner, name))

    def parse(self, text: str) -> Any:
        return self.inner.parse(text)

    def from_json(self, value: Any) -> Any:
        return None if value is None else self.inner.from_json(value)

    def to_text(self, value: Any) -> str:
        return "null" if value is None else self.inner.to_text(value)

    def to_toml(self, value: Any) -> Any:
        return self.inner.to_toml(value)


_INTEGER_RANGES = {
    "System.Byte": (0, 2**8 - 1),
    "System.SByte": (-(2**7), 2**7 - 1),
    "System.Int16": (-(2**15), 2**15 - 1),
    "System.UInt16": (0, 2**16 - 1),
    "System.Int32": (-(2**31), 2**31 - 1),
    "System.UInt32": (0, 2**32 - 1),
    "System.Int64": (-(2**63), 2**63 - 1),
    "System.UInt64": (0, 2**64 - 1),
}
_DECIMAL_LIMITS = {
    "System.Single": "3.4028235E+38",
    "System.Double": "1.7976931348623157E+308",
    "System.Decimal": "79228162514264337593543950335",
}
_LIST_TYPES = frozenset(
    f"System.Collections.Generic.{name}`1"
    for name in ("List", "IList", "ICollection", "IEnumerable", "IReadOnlyList",
                 "IReadOnlyCollection", "HashSet", "ISet")
) | {"System.Collections.ObjectModel.Collection`1"}
_DICTIONARY_TYPES = frozenset(
    f"System.Collections.Generic.{name}`2"
    for name in ("Dictionary", "IDictionary", "IReadOnlyDictionary", "SortedDictionary")
)
_SIMPLE_CODECS: dict[str, Callable[[], Codec]] = {
    "System.String": TextCodec,
    "System.Char": CharCodec,
    "System.Guid": GuidCodec,
    "System.Boolean": BooleanCodec,
    "System.DateTime": lambda: DateTimeCodec(needs_zone=False),
    "System.DateTimeOffset": lambda: DateTimeCodec(needs_zone=True),
    "System.TimeSpan": TimeSpanCodec,
    "System.Data.DataTable": DataTableCodec,
    "Newtonsoft.Json.Linq.JObject": lambda: DictionaryCodec(TextCodec(), JsonCodec()),
    "Newtonsoft.Json.Linq.JArray": lambda: ListCodec(JsonCodec()),
}


def codec_for(dotnet: DotNetType) -> Codec:
    """The codec for a parsed type; anything unknown (incl. System.Object) is raw JSON."""
    element = dotnet.element_type
    if element is not None:
        codec = codec_for(element)
        for _ in range(dotnet.array_ranks[-1]):  # Int32[,] is sent as [[1, 2], [3, 4]]
            codec = ListCodec(codec)
        return codec
    if dotnet.nullable_of is not None:
        return NullableCodec(codec_for(dotnet.nullable_of))
    name, args = dotnet.name, dotnet.generic_args
    if name in _SIMPLE_CODECS:
        return _SIMPLE_CODECS[name]()
    if name in _INTEGER_RANGES:
        return IntegerCodec(dotnet.short_name, *_INTEGER_RANGES[name])
    if name in _DECIMAL_LIMITS:
        return DecimalCodec(dotnet.short_name, _DECIMAL_LIMITS[name])
    if name in _LIST_TYPES and len(args) == 1:
        return ListCodec(codec_for(args[0]))
    if name in _DICTIONARY_TYPES and len(args) == 2:
        return DictionaryCodec(codec_for(args[0]), codec_for(args[1]))
    return JsonCodec()
