"""JSON helpers for argument values: exact decimals, strict parsing, safe quoting in messages.

Values are plain JSON data (``dict``, ``list``, ``str``, ``int``, ``bool``, ``None``) where
numbers with a fraction or exponent are :class:`decimal.Decimal`, so they are written back
exactly as typed instead of going through a binary float.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any


class JsonSyntaxError(ValueError):
    """Text that is not JSON; the message says where (line and column) and why."""


def loads(text: str, *, unique_keys: bool = True) -> Any:
    """Parse JSON; fractions become Decimal, NaN/Infinity are refused.

    With ``unique_keys`` an object that repeats a key is an error instead of keeping the last.
    """

    def reject_constant(name: str) -> Any:
        raise JsonSyntaxError(f"{name} is not a JSON number")

    def build_object(pairs: list[tuple[str, Any]]) -> dict:
        result = dict(pairs)
        if unique_keys and len(result) != len(pairs):
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    raise JsonSyntaxError(f"the key {quote(key)} appears twice in one object")
                seen.add(key)
        return result

    try:
        return json.loads(
            text,
            parse_float=Decimal,
            parse_constant=reject_constant,
            object_pairs_hook=build_object,
        )
    except JsonSyntaxError:
        raise
    except json.JSONDecodeError as exc:
        raise JsonSyntaxError(f"line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise JsonSyntaxError("it is nested too deeply") from None
    except ValueError:  # an integer with more digits than Python converts
        raise JsonSyntaxError("a number has too many digits") from None


def dumps(value: Any, indent: int | None = None) -> str:
    """Serialise JSON data: compact without ``indent``, non-ASCII kept, Decimal exact.

    Raises ``ValueError`` for NaN/infinity and ``TypeError`` for non-JSON data.
    """
    parts: list[str] = []
    _write(value, parts, indent, 0)
    return "".join(parts)


def _write(value: Any, out: list[str], indent: int | None, level: int) -> None:
    if value is None or isinstance(value, (bool, str)):
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} is not a JSON number")
        out.append(decimal_text(value))
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value} is not a JSON number")
        out.append(float.__repr__(value))
    elif isinstance(value, (list, tuple, dict)):
        is_dict = isinstance(value, dict)
        opening, closing = ("{", "}") if is_dict else ("[", "]")
        if not value:
            out.append(opening + closing)
            return
        inner = "" if indent is None else "\n" + " " * (indent * (level + 1))
        items = value.items() if isinstance(value, dict) else ((None, item) for item in value)
        out.append(opening)
        for position, (key, item) in enumerate(items):
            out.append(("," if position else "") + inner)
            if is_dict:
                if not isinstance(key, str):
                    raise TypeError(f"object keys must be text, not {type(key).__name__}")
                out.append(json.dumps(key, ensure_ascii=False) + (":" if indent is None else ": "))
            _write(item, out, indent, level + 1)
        out.append(("" if indent is None else "\n" + " " * (indent * level)) + closing)
    else:
        raise TypeError(f"{type(value).__name__} is not JSON data")


def decimal_text(value: Decimal) -> str:
    """A decimal as a JSON number, positional unless the exponent is extreme (``1E+300``)."""
    if -30 <= value.adjusted() <= 30:
        return format(value, "f")
    return str(value)


def quote(text: str, limit: int = 40) -> str:
    """Quote text for a message: shortened, with quotes and invisible characters escaped."""
    shown = text if len(text) <= limit else text[: limit - 1] + "…"
    quoted = json.dumps(shown, ensure_ascii=False)
    return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in quoted)


def describe(value: Any) -> str:
    """Name a value for a message: ``the text "abc"``, ``the number 5``, ``a list``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"the text {quote(value)}"
    if isinstance(value, (int, float, Decimal)):
        return f"the number {clip(str(value))}"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


def clip(text: str, limit: int = 40) -> str:
    """Shorten text for a message without quoting it."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def printable_json(value: Any, indent: int | None = 2) -> str:
    """``value`` as JSON (indented, or compact with ``indent=None``) in which every character
    is printable: control, C1, DEL, bidi and other invisible characters (and lone surrogates)
    become ``\\u`` escapes."""
    return escape_unprintable(dumps(value, indent=indent))


def escape_unprintable(text: str) -> str:
    """JSON text with every unprintable character but a line break as a ``\\u`` escape
    (they can only be inside strings, where the escape means the same character)."""
    return "".join(char if char.isprintable() or char == "\n" else _escape(char)
                   for char in text)


def _escape(char: str) -> str:
    code = ord(char)
    if code > 0xFFFF:  # a UTF-16 surrogate pair, as JSON writes characters beyond the BMP
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"
