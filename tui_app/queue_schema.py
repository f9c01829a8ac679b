"""A queue's item schema (``SpecificDataJsonSchema``): content fields and precise messages.

Orchestrator checks an item's ``SpecificContent`` against the queue's JSON Schema when the
item is added. This module reads the subset queues use — an object of ``properties`` with
``required``; per property ``type`` (``string``, ``integer``, ``number``, ``boolean``,
``object``, ``array``, or a list with ``"null"``), ``format`` (``date-time``, ``date``),
``enum``, ``minimum`` / ``maximum`` (and the exclusive ones), ``minLength`` / ``maxLength``,
``pattern``, ``minItems`` / ``maxItems``, ``items``, nested ``properties`` / ``required``,
``description`` — and turns each property into a ``ContentField`` whose ``spec`` is an
``ArgumentSpec`` of a matching .NET type, so the wizard's form reuses the argument editors and
their messages. ``check_content`` says what is wrong with content, one message per field path
(``Address.City``; an array item is ``item n`` in the message); ``{}`` when it is valid.

Dates: a ``date-time`` field is edited as a DateTimeOffset (a time zone is required, as
RFC 3339 says); a ``date`` field as a DateTime whose value is sent as the date alone
(``ContentField.parse`` cuts ``T00:00:00`` off, and refuses a time of day).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Optional

from tui_app.arguments import ArgumentSpec, ArgumentValueError
from tui_app.arguments.jsontext import JsonSyntaxError, describe, loads, quote
from tui_app.arguments.kinds import BooleanCodec, DateTimeCodec, DecimalCodec, Invalid

__all__ = [
    "SCHEMA_TYPES",
    "TYPED_KINDS",
    "ContentField",
    "SchemaError",
    "check_content",
    "content_fields",
    "schema_signature",
    "typed_value",
]

SCHEMA_TYPES = ("string", "integer", "number", "boolean", "object", "array")
#: The value kinds of the schema-less key/value editor (``typed_value``).
TYPED_KINDS = ("text", "number", "boolean", "json")

_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})\Z")
_ZONED = DateTimeCodec(needs_zone=True)


class SchemaError(ValueError):
    """The queue's schema cannot be read; the message says why in one sentence."""


@dataclass(frozen=True)
class ContentField:
    """One top-level property of the item schema."""

    name: str
    spec: ArgumentSpec
    required: bool
    #: The ``enum`` values (shown as choices).
    choices: tuple = ()
    description: str = ""
    #: The property's own schema (nested ones for objects and arrays), for ``check_content``.
    schema: Any = None

    @property
    def schema_type(self) -> str:
        """The JSON-schema type as a template's ``[schema]`` saves it, e.g. ``integer``,
        ``string (date-time)``, ``array, required``."""
        return _signature(self.schema or {}, self.required)

    def parse(self, text: str) -> Any:
        """What a person typed as this field's value (``ArgumentValueError`` when it does
        not fit); a ``date`` field gives the date alone."""
        return self._dated(self.spec.parse(text))

    def convert(self, value: Any) -> Any:
        """A natural TOML/JSON value (template, event, ``--set-json``) as this field's value."""
        return self._dated(self.spec.from_toml(value))

    def _dated(self, value: Any) -> Any:
        if _format(self.schema) != "date" or not isinstance(value, str):
            return value
        day, _, moment = value.partition("T")
        if moment and moment.rstrip("Z") not in ("00:00:00", ""):
            raise ArgumentValueError(self.name, f"{quote(value)} has a time of day — this "
                                                "field is a date alone, e.g. 2024-05-01")
        return day


def _load(schema_text: Optional[str]) -> Optional[dict]:
    if schema_text is None or not str(schema_text).strip():
        return None
    try:
        schema = loads(schema_text, unique_keys=False)
    except JsonSyntaxError as exc:
        raise SchemaError(f"The queue's item schema is not valid JSON ({exc}).") from None
    if not isinstance(schema, dict):
        raise SchemaError(f"The queue's item schema must be a JSON object, not "
                          f"{describe(schema)}.")
    _check(schema, "the schema")
    if _type(schema)[0] != "object":
        raise SchemaError("The queue's item schema does not describe an object of fields "
                          "(type \"object\" with \"properties\").")
    return schema


def _check(schema: Any, where: str) -> None:
    """Refuse what this reader cannot honour, with where it is."""
    if not isinstance(schema, dict):
        raise SchemaError(f"The queue's item schema has {describe(schema)} at {where}, where "
                          "a schema object belongs.")
    if "$ref" in schema:
        raise SchemaError(f"The queue's item schema uses $ref at {where}; startjob reads "
                          "schemas without references.")
    kind, _ = _type(schema)
    if kind is not None and kind not in SCHEMA_TYPES:
        raise SchemaError(f"The queue's item schema has the unknown type {quote(str(kind))} "
                          f"at {where}.")
    properties = schema.get("properties", {})
    if not isinstance(properties, dict):
        raise SchemaError(f"The \"properties\" at {where} are not an object.")
    required = schema.get("required", [])
    if not isinstance(required, list) or not all(isinstance(n, str) for n in required):
        raise SchemaError(f"The \"required\" list at {where} is not a list of names.")
    enum = schema.get("enum")
    if enum is not None and (not isinstance(enum, list) or not enum):
        raise SchemaError(f"The \"enum\" at {where} is not a list of values.")
    for name, sub in properties.items():
        _check(sub, f"{where} → {name}")
    if "items" in schema:
        _check(schema["items"], f"{where} → items")


def _type(schema: Any) -> tuple[Optional[str], bool]:
    """(the type, null allowed). No ``type``: an object when it has properties, the type of
    its ``enum`` values when they agree, else None (any JSON value)."""
    if not isinstance(schema, dict):
        return None, True
    found = schema.get("type")
    if isinstance(found, list):
        types = [t for t in found if t != "null"]
        return (types[0] if len(types) == 1 else None), "null" in found
    if isinstance(found, str):
        return (None, True) if found == "null" else (found, False)
    if "properties" in schema:
        return "object", False
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        kinds = {_json_type(value) for value in enum}
        if len(kinds) == 1:
            return kinds.pop(), False
    return None, True


def _format(schema: Any) -> str:
    found = schema.get("format") if isinstance(schema, dict) else None
    return found if isinstance(found, str) else ""


def _json_type(value: Any) -> Optional[str]:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, (float, Decimal)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return None


def _dotnet(schema: dict) -> str:
    kind, _ = _type(schema)
    if kind == "string":
        return {"date-time": "System.DateTimeOffset",
                "date": "System.DateTime"}.get(_format(schema), "System.String")
    if kind == "array":
        items = schema.get("items")
        plain = isinstance(items, dict) and _type(items)[0] == "string" and not _format(items)
        return "System.String[]" if plain else "Newtonsoft.Json.Linq.JArray"
    return {"integer": "System.Int64", "number": "System.Decimal", "boolean": "System.Boolean",
            "object": "Newtonsoft.Json.Linq.JObject"}.get(kind or "", "System.Object")


def _signature(schema: dict, required: bool) -> str:
    kind = _type(schema)[0] or "any"
    shown = f"{kind} ({_format(schema)})" if _format(schema) else kind
    return f"{shown}, required" if required else shown


def content_fields(schema_text: Optional[str]) -> list[ContentField]:
    """The schema's top-level fields in its order (empty without a schema); raises
    ``SchemaError`` for a schema it cannot read."""
    schema = _load(schema_text)
    if schema is None:
        return []
    required = set(schema.get("required", []))
    fields = []
    for name, sub in schema.get("properties", {}).items():
        description = sub.get("description") or sub.get("title") or ""
        fields.append(ContentField(
            name=name, spec=ArgumentSpec(name, _dotnet(sub), name in required),
            required=name in required, choices=tuple(sub.get("enum") or ()),
            description=str(description), schema=sub))
    return fields


def schema_signature(schema_text: Optional[str]) -> dict[str, str]:
    """Field name -> ``ContentField.schema_type``: a template's ``[schema]`` table."""
    return {f.name: f.schema_type for f in content_fields(schema_text)}


def check_content(schema_text: Optional[str], content: dict) -> dict[str, str]:
    """Field path -> what is wrong (without the name); ``{}`` when ``content`` fits the
    schema, or when there is no schema. Raises ``SchemaError`` for an unreadable schema."""
    schema = _load(schema_text)
    if schema is None:
        return {}
    problems: dict[str, str] = {}
    _object(schema, content, "", problems)
    return problems


def _object(schema: dict, value: dict, path: str, problems: dict) -> None:
    properties = schema.get("properties", {})
    for name in schema.get("required", []):
        if name not in value or value[name] is None and not _type(properties.get(name))[1]:
            problems[_join(path, name)] = "is required"
    for name, item in value.items():
        if name in properties and (item is not None or not _type(properties[name])[1]):
            where = _join(path, name)
            if where in problems:
                continue
            problem = _problem(properties[name], item, where, problems)
            if problem:
                problems[where] = problem
    if schema.get("additionalProperties") is False:
        for name in value:
            if name not in properties:
                problems[_join(path, name)] = ("is not a field of this queue; fields: "
                                               + ", ".join(properties))


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _problem(schema: dict, value: Any, where: str, problems: dict) -> str:
    """What is wrong with one value ("" when nothing); nested objects add their own paths."""
    kind, nullable = _type(schema)
    if value is None:
        return "" if nullable else f"must have a value ({_expected(schema)}), not null"
    enum = schema.get("enum")
    if enum is not None and value not in enum:
        return "must be one of " + ", ".join(quote(str(choice)) for choice in enum) + (
            f", not {quote(str(value))}")
    if kind is not None and not _fits(kind, value):
        return f"expected {_expected(schema)}, got {describe(value)}"
    if kind == "string":
        return _string(schema, value)
    if kind in ("integer", "number"):
        return _number(schema, value)
    if kind == "object":
        _object(schema, value, where, problems)
    if kind == "array":
        return _array(schema, value)
    return ""


def _fits(kind: str, value: Any) -> bool:
    found = _json_type(value)
    if kind == "number":
        return found in ("integer", "number")
    if kind == "integer" and found == "number":
        return value == int(value)
    return found == kind


def _expected(schema: dict) -> str:
    kind = _type(schema)[0]
    if kind == "string" and _format(schema) == "date-time":
        return f"a date and time with a time zone, e.g. {_ZONED.sample}"
    if kind == "string" and _format(schema) == "date":
        return "a date, e.g. 2024-05-01"
    return {"string": "text", "integer": "a whole number", "number": "a number",
            "boolean": "true or false", "object": "an object of fields",
            "array": "a list"}.get(kind or "", "a JSON value")


def _string(schema: dict, value: str) -> str:
    form = _format(schema)
    if form == "date-time":
        try:
            _ZONED.parse(value)
        except Invalid as exc:
            return str(exc)
    if form == "date":
        match = _DATE.match(value)
        try:
            if match is None:
                raise ValueError
            date(*(int(part) for part in match.groups()))
        except ValueError:
            return f"{quote(value)} is not a date — use YYYY-MM-DD, e.g. 2024-05-01"
    low, high = schema.get("minLength"), schema.get("maxLength")
    if isinstance(low, int) and len(value) < low:
        return f"is too short: {_characters(len(value))}, at least {low}"
    if isinstance(high, int) and len(value) > high:
        return f"is too long: {_characters(len(value))}, at most {high}"
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        try:
            matched = re.search(pattern, value) is not None
        except re.error:
            return ""  # a pattern Python cannot read is left to Orchestrator
        if not matched:
            return f"{quote(value)} does not match the pattern {quote(pattern)}"
    return ""


def _characters(count: int) -> str:
    return f"{count} character" + ("" if count == 1 else "s")


def _number(schema: dict, value: Any) -> str:
    shown = quote(str(value))
    for key, bad, words in (("minimum", lambda v, b: v < b, "below the minimum"),
                            ("maximum", lambda v, b: v > b, "above the maximum"),
                            ("exclusiveMinimum", lambda v, b: v <= b, "not above"),
                            ("exclusiveMaximum", lambda v, b: v >= b, "not below")):
        bound = schema.get(key)
        if isinstance(bound, bool) or not isinstance(bound, (int, Decimal)):
            continue
        if bad(Decimal(str(value)), Decimal(str(bound))):
            return f"{shown} is {words} {bound}"
    return ""


def _array(schema: dict, value: list) -> str:
    low, high = schema.get("minItems"), schema.get("maxItems")
    if isinstance(low, int) and len(value) < low:
        return f"has {len(value)} items, at least {low} needed"
    if isinstance(high, int) and len(value) > high:
        return f"has {len(value)} items, at most {high} allowed"
    items = schema.get("items")
    if not isinstance(items, dict):
        return ""
    for number, item in enumerate(value, start=1):
        nested: dict = {}
        problem = _problem(items, item, "", nested)
        if problem:
            return f"item {number}: {problem}"
        if nested:
            name, text = next(iter(nested.items()))
            return f"item {number}: {name} {text}"
    return ""


def typed_value(kind: str, text: str) -> Any:
    """A value of the schema-less key/value editor: ``kind`` is one of ``TYPED_KINDS``.
    ``ValueError`` with a sentence when ``text`` is not such a value."""
    try:
        if kind == "text":
            return text
        if kind == "number":
            number = DecimalCodec("a number", "79228162514264337593543950335").parse(text)
            return int(number) if number == number.to_integral_value() and "." not in text \
                and "e" not in text.lower() else number
        if kind == "boolean":
            return BooleanCodec().parse(text)
        if kind == "json":
            try:
                return loads(text)
            except JsonSyntaxError as exc:
                raise Invalid(f"not valid JSON ({exc}) — text goes in double quotes, "
                              'e.g. "hello"') from None
    except Invalid as exc:
        raise ValueError(str(exc)) from None
    raise ValueError(f"unknown value kind {quote(str(kind))}; use one of "
                     f"{', '.join(TYPED_KINDS)}")
