"""A small JSON Schema validator for queue items' ``SpecificContent`` (the subset the seed uses).

Keywords: ``type`` (string, integer, number, boolean, object, array, null, or a list of them),
``format`` ``date-time`` / ``date``, ``enum``, ``required``, ``properties``, ``items``,
``minimum`` / ``maximum``, ``minLength`` / ``maxLength`` and ``pattern`` (searched, as JSON Schema
says). Other keywords are ignored.

``SpecificContent`` arrives flat: a value the schema wants as an object or array may arrive as
its JSON text (a string), as the Add Queue Item activity sends it; such a string is parsed and
the parsed value is checked (the sandbox stores and answers the value as it was sent).
"""

from __future__ import annotations

import json
import re
from typing import Any

from tui_app.sandbox.edm import parse_datetime

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _allowed(schema: dict) -> list:
    wanted = schema.get("type")
    if wanted is None:
        return []
    return list(wanted) if isinstance(wanted, list) else [wanted]


def _fits(kind: str, allowed: list) -> bool:
    return not allowed or kind in allowed or (kind == "integer" and "number" in allowed)


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def check(schema: dict, value: Any, path: str = "") -> list:
    """``[(field path, message)]`` for every rule ``value`` breaks (``[]`` when it is valid);
    paths read ``Address.City`` and ``Lines[0].Sku``."""
    allowed = _allowed(schema)
    kind = _kind(value)
    if kind == "string" and set(allowed) & {"object", "array"} and "string" not in allowed:
        try:
            value = json.loads(value)
        except ValueError:
            return [(path, f"{_shown(value)} is not JSON {' or '.join(allowed)} text")]
        kind = _kind(value)
    if not _fits(kind, allowed):
        return [(path, f"{_shown(value)} is not of type {' or '.join(allowed)}")]
    problems: list = []
    if "enum" in schema and value not in schema["enum"]:
        choices = ", ".join(_shown(choice) for choice in schema["enum"])
        problems.append((path, f"{_shown(value)} is not one of {choices}"))
    if kind == "string":
        problems += _string(schema, value, path)
    elif kind in ("integer", "number"):
        if "minimum" in schema and value < schema["minimum"]:
            problems.append((path, f"{value} is less than the minimum of {schema['minimum']}"))
        if "maximum" in schema and value > schema["maximum"]:
            problems.append((path, f"{value} is greater than the maximum of {schema['maximum']}"))
    elif kind == "object":
        problems += _object(schema, value, path)
    elif kind == "array" and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            problems += check(schema["items"], item, f"{path}[{index}]")
    return problems


def _string(schema: dict, value: str, path: str) -> list:
    problems = []
    if "minLength" in schema and len(value) < schema["minLength"]:
        problems.append((path, f"{_shown(value)} is shorter than the minimum length of "
                               f"{schema['minLength']}"))
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        problems.append((path, f"{_shown(value)} is longer than the maximum length of "
                               f"{schema['maxLength']}"))
    if "pattern" in schema and not re.search(schema["pattern"], value):
        problems.append((path, f"{_shown(value)} does not match the pattern "
                               f"{_shown(schema['pattern'])}"))
    form = schema.get("format")
    if form == "date-time" and (parse_datetime(value) is None or "T" not in value.upper()):
        problems.append((path, f"{_shown(value)} is not a date-time (ISO 8601, e.g. "
                               "2024-05-01T08:00:00Z)"))
    elif form == "date" and (not _DATE.fullmatch(value) or parse_datetime(value) is None):
        problems.append((path, f"{_shown(value)} is not a date (e.g. 2024-05-01)"))
    return problems


def _object(schema: dict, value: dict, path: str) -> list:
    problems = []
    prefix = f"{path}." if path else ""
    for name in schema.get("required", ()):
        if name not in value:
            problems.append((prefix + name, "is required"))
    properties = schema.get("properties") or {}
    for name, item in value.items():
        if isinstance(properties.get(name), dict):
            problems += check(properties[name], item, prefix + name)
    return problems
