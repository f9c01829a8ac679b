"""Event filters: a small, safe expression language for a template's ``filter`` and a route
file's ``filter`` (``startjob run --event``, ``startjob route``).

A filter is parsed once (``compile_filter``) into a tree of plain functions; nothing is ever
handed to ``eval``, ``exec`` or Python's parser, and evaluation only reads the event. Grammar,
loosest binding first::

    expr       := and ("or" and)*
    and        := not ("and" not)*
    not        := "not" not | comparison
    comparison := operand [ ("==" | "!=" | "<" | "<=" | ">" | ">=") operand
                          | "in" (list | path)
                          | ("contains" | "startswith" | "endswith") operand
                          | "exists" ]
    operand    := "(" expr ")" | "exists" "(" path ")" | literal | path
    list       := "[" [literal ("," literal)*] "]"
    literal    := string | number | "true" | "false" | "null"

- A **path** is dotted keys into the event's JSON object: ``incident.state``; a whole-number
  part indexes a list (``items.0.id``), as in ``[bindings]``. Parts are letters, digits,
  ``_ $ @ -``. A path the event lacks is ``null``; ``exists(path)`` (or ``path exists``) is
  true when the event has the path, even with the value ``null``.
- A **string** is in double quotes with the JSON escapes (``\\"``, ``\\\\``, ``\\n``,
  ``\\t``, ``\\/``, ``\\uXXXX``); a **number** is JSON's (``-3``, ``2.5``, ``1e3``).
- **No coercion**: ``==`` is true only for values of the same type (``"12" == 12`` is false;
  whole and decimal numbers compare by value; ``true`` is not ``1``); ``!=`` is its negation.
  ``< <= > >=`` compare two numbers or two strings (by code point) and are false for anything
  else. ``x in [a, b]`` is ``x == a or x == b``; ``x in path`` looks in an array.
  ``a contains b``: ``b`` is part of the string ``a``, or an element of the array ``a``.
  ``startswith`` / ``endswith`` work on strings only.
- An operand alone is a condition only when it is ``true`` (``incident.urgent``): there is no
  "truthiness", so ``not incident.urgent`` is true for a missing or ``false`` value alike.
- Keywords (``and or not in contains startswith endswith exists true false null``) are
  lower-case; a key that is a keyword cannot start a path.

Limits: at most ``MAX_LENGTH`` characters and ``MAX_DEPTH`` nested parentheses / ``not``, so
hostile text cannot exhaust the stack; ``==`` between two arrays or objects of the event
looks at most ``MAX_COMPARE_DEPTH`` levels deep (deeper ones are not equal). Errors are
``FilterError`` (a ``ValueError``) with the column and what was expected, e.g. ``filter:
column 18: expected a value after "==", found end of text``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Optional

__all__ = ["MAX_COMPARE_DEPTH", "MAX_DEPTH", "MAX_LENGTH", "Filter", "FilterError",
           "compile_filter", "lookup"]

#: The longest filter text accepted, in characters.
MAX_LENGTH = 2000
#: How deeply parentheses and ``not`` may nest.
MAX_DEPTH = 32
#: How deeply ``==`` looks into the event's arrays and objects (deeper ones are not equal).
MAX_COMPARE_DEPTH = 64

_KEYWORDS = frozenset({"and", "or", "not", "in", "contains", "startswith", "endswith",
                       "exists", "true", "false", "null"})
_COMPARISONS = ("==", "!=", "<=", ">=", "<", ">")
_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?(?![\w$@.-]))
  | (?P<string>")
  | (?P<op>==|!=|<=|>=|<|>)
  | (?P<punct>[()\[\],])
  | (?P<path>[\w$@-]+(?:\.[\w$@-]+)*)
""", re.VERBOSE)
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r",
            "t": "\t"}
_MISSING = object()

_Node = Callable[[Any], Any]


class FilterError(ValueError):
    """A filter that cannot be compiled; ``column`` (1-based) is where the problem is."""

    def __init__(self, column: int, problem: str) -> None:
        super().__init__(f"filter: column {column}: {problem}")
        self.column = column
        self.problem = problem


@dataclass(frozen=True)
class _Token:
    kind: str  # "number", "string", "op", "punct", "path", "word" (a keyword), "end"
    text: str  # as written (a string's decoded value for "string")
    column: int
    value: Any = None

    def shown(self) -> str:
        if self.kind == "end":
            return "end of text"
        if self.kind == "string":
            return "a string"
        return f'"{self.text}"'


@dataclass(frozen=True)
class Filter:
    """A compiled filter: ``matches(event)`` says whether ``event`` (a JSON object) passes."""

    text: str
    _test: _Node

    def matches(self, event: Any) -> bool:
        return self._test(event) is True


def compile_filter(text: str) -> Filter:
    """Parse ``text`` (see the module docstring); raises ``FilterError``."""
    if not isinstance(text, str):
        raise FilterError(1, f"expected the filter as text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise FilterError(MAX_LENGTH + 1, f"a filter is at most {MAX_LENGTH:,} characters, "
                                          f"this one has {len(text):,}")
    if not text.strip():
        raise FilterError(1, "expected a condition such as incident.state == \"new\", "
                             "found end of text")
    parser = _Parser(_tokens(text))
    node = parser.expression()
    parser.expect_end()
    return Filter(text, node)


def lookup(event: Any, path: str) -> Any:
    """The value at a dotted path (a whole-number part indexes a list), or ``None``."""
    found = _find(event, path)
    return None if found is _MISSING else found


def _find(event: Any, path: str) -> Any:
    value = event
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
    return value


# -- reading the text ------------------------------------------------------------------------


def _tokens(text: str) -> list[_Token]:
    tokens = []
    at = 0
    while at < len(text):
        match = _TOKEN.match(text, at)
        column = at + 1
        if match is None:
            raise FilterError(column, f"unexpected character {_char(text[at])}")
        kind = match.lastgroup
        assert kind is not None
        if kind == "string":
            value, at = _string(text, at)
            tokens.append(_Token("string", value, column, value))
            continue
        word = match.group()
        at = match.end()
        if kind == "space":
            continue
        if kind == "number":
            tokens.append(_Token("number", word, column, Decimal(word)))
        elif kind == "path" and word in _KEYWORDS:
            tokens.append(_Token("word", word, column))
        else:
            tokens.append(_Token(kind, word, column))
    tokens.append(_Token("end", "", len(text) + 1))
    return tokens


def _char(text: str) -> str:
    if text.isprintable():
        return f'"{text}"'
    return "U+" + "-".join(f"{ord(c):04X}" for c in text)


def _string(text: str, start: int) -> tuple[str, int]:
    """The string that opens at ``text[start]`` (a ``"``) and where it ends."""
    chars: list[str] = []
    at = start + 1
    while at < len(text):
        char = text[at]
        if char == '"':
            return "".join(chars), at + 1
        if char == "\\":
            code = text[at + 1:at + 2]
            if code == "u":
                digits = text[at + 2:at + 6]
                if not re.fullmatch(r"[0-9A-Fa-f]{4}", digits):
                    raise FilterError(at + 1, "expected four hex digits after \\u")
                chars.append(chr(int(digits, 16)))
                at += 6
                continue
            if code not in _ESCAPES:
                shown = "end of text" if not code else _char(code)
                raise FilterError(at + 1, f'expected one of \\" \\\\ \\/ \\b \\f \\n \\r \\t '
                                          f"\\u after a backslash, found {shown}")
            chars.append(_ESCAPES[code])
            at += 2
            continue
        if ord(char) < 0x20:
            raise FilterError(at + 1, "a string cannot hold a control character; write "
                                      "\\n, \\t or \\uXXXX")
        chars.append(char)
        at += 1
    raise FilterError(start + 1, "a string is not closed: expected a \" before the end of text")


# -- parsing ---------------------------------------------------------------------------------


class _Parser:
    """Recursive descent over the tokens; every node is a function of the event."""

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.at = 0
        self.depth = 0

    @property
    def next(self) -> _Token:
        return self.tokens[self.at]

    def take(self) -> _Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def is_word(self, *words: str) -> bool:
        return self.next.kind == "word" and self.next.text in words

    def is_punct(self, char: str) -> bool:
        return self.next.kind == "punct" and self.next.text == char

    def fail(self, expected: str, token: Optional[_Token] = None) -> FilterError:
        token = token or self.next
        return FilterError(token.column, f"expected {expected}, found {token.shown()}")

    def deeper(self, token: _Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FilterError(token.column, f"nested more than {MAX_DEPTH} levels deep "
                                            "(parentheses and not)")

    def expect_end(self) -> None:
        if self.next.kind != "end":
            raise self.fail('"and", "or" or the end of the filter')

    def expression(self) -> _Node:
        parts = [self.conjunction()]
        while self.is_word("or"):
            self.take()
            parts.append(self.conjunction())
        if len(parts) == 1:
            return parts[0]
        return lambda event: any(part(event) is True for part in parts)

    def conjunction(self) -> _Node:
        parts = [self.negation()]
        while self.is_word("and"):
            self.take()
            parts.append(self.negation())
        if len(parts) == 1:
            return parts[0]
        return lambda event: all(part(event) is True for part in parts)

    def negation(self) -> _Node:
        if not self.is_word("not"):
            return self.comparison()
        token = self.take()
        self.deeper(token)
        inner = self.negation()
        self.depth -= 1
        return lambda event: inner(event) is not True

    def comparison(self) -> _Node:
        left = self.operand()
        token = self.next
        if token.kind == "op":
            self.take()
            right = self.operand(after=token.text)
            compare = _COMPARE[token.text]
            return lambda event: compare(_value(left(event)), _value(right(event)))
        if self.is_word("in"):
            self.take()
            if self.is_punct("["):
                choices = self.literal_list()
                return lambda event: any(_equal(_value(left(event)), c) for c in choices)
            if self.next.kind != "path":
                raise self.fail('a list such as ["new", "open"] or a path after "in"')
            found = self.path()
            return lambda event: _member(_value(left(event)), _value(found(event)))
        if self.is_word("contains", "startswith", "endswith"):
            self.take()
            right = self.operand(after=token.text)
            test = _TEXT_TESTS[token.text]
            return lambda event: test(_value(left(event)), _value(right(event)))
        if self.is_word("exists"):
            self.take()
            if getattr(left, "path", None) is None:
                raise FilterError(token.column, '"exists" follows a path, e.g. '
                                                "incident.owner exists")
            return _exists(left.path)  # type: ignore[attr-defined]
        return left

    def operand(self, after: Optional[str] = None) -> _Node:
        token = self.next
        if self.is_punct("("):
            self.take()
            self.deeper(token)
            inner = self.expression()
            self.depth -= 1
            if not self.is_punct(")"):
                raise self.fail(f'")" to close the "(" at column {token.column}')
            self.take()
            return inner
        if self.is_word("exists"):
            self.take()
            if not self.is_punct("("):
                raise self.fail('"(" after "exists", as in exists(incident.owner)')
            self.take()
            if self.next.kind != "path":
                raise self.fail("a path inside exists(...)")
            path = self.take().text
            if not self.is_punct(")"):
                raise self.fail('")" to close exists(...)')
            self.take()
            return _exists(path)
        if token.kind == "path":
            return self.path()
        if token.kind in ("number", "string") or self.is_word("true", "false", "null"):
            value = self.literal()
            return lambda event: value
        if after:
            raise self.fail(f'a value after "{after}"')
        raise self.fail("a condition: a path, a string in double quotes, a number, true, "
                        'false, null, exists(...), "not" or "("')

    def path(self) -> _Node:
        path = self.take().text

        def node(event: Any) -> Any:
            return _find(event, path)

        node.path = path  # type: ignore[attr-defined]
        return node

    def literal(self) -> Any:
        token = self.take()
        if token.kind in ("number", "string"):
            return token.value
        if token.kind == "word" and token.text in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[token.text]
        raise self.fail("a string, number, true, false or null", token)

    def literal_list(self) -> list:
        opening = self.take()
        values: list = []
        if self.is_punct("]"):
            self.take()
            return values
        while True:
            values.append(self.literal())
            if self.is_punct(","):
                self.take()
                continue
            if self.is_punct("]"):
                self.take()
                return values
            raise self.fail(f'"," or "]" to close the list opened at column {opening.column}')


# -- evaluating ------------------------------------------------------------------------------


def _exists(path: str) -> _Node:
    return lambda event: _find(event, path) is not _MISSING


def _value(found: Any) -> Any:
    """A path's value as compared: missing is null, numbers are exact ``Decimal``."""
    if found is _MISSING:
        return None
    if isinstance(found, bool):
        return found
    if isinstance(found, int):
        return Decimal(found)
    if isinstance(found, float):
        return Decimal(repr(found))
    return found


def _kind(value: Any) -> str:
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
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _equal(left: Any, right: Any, depth: int = 0) -> bool:
    """Equal by JSON type and value; arrays and objects nested deeper than
    ``MAX_COMPARE_DEPTH`` are not equal (a hostile event cannot exhaust the stack)."""
    left, right = _value(left), _value(right)
    kind = _kind(left)
    if kind != _kind(right):
        return False
    if kind in ("array", "object") and depth >= MAX_COMPARE_DEPTH:
        return False
    if kind == "array":
        return len(left) == len(right) and all(_equal(a, b, depth + 1)
                                               for a, b in zip(left, right))
    if kind == "object":
        return left.keys() == right.keys() and all(_equal(left[k], right[k], depth + 1)
                                                   for k in left)
    return bool(left == right)


def _ordered(test: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def compare(left: Any, right: Any) -> bool:
        kind = _kind(left)
        return kind in ("number", "string") and kind == _kind(right) and test(left, right)

    return compare


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": _equal,
    "!=": lambda left, right: not _equal(left, right),
    "<": _ordered(lambda left, right: left < right),
    "<=": _ordered(lambda left, right: left <= right),
    ">": _ordered(lambda left, right: left > right),
    ">=": _ordered(lambda left, right: left >= right),
}


def _member(value: Any, container: Any) -> bool:
    return isinstance(container, list) and any(_equal(value, item) for item in container)


def _contains(left: Any, right: Any) -> bool:
    if isinstance(left, str):
        return isinstance(right, str) and right in left
    return _member(right, left)


_TEXT_TESTS: dict[str, Callable[[Any, Any], bool]] = {
    "contains": _contains,
    "startswith": lambda left, right: (isinstance(left, str) and isinstance(right, str)
                                       and left.startswith(right)),
    "endswith": lambda left, right: (isinstance(left, str) and isinstance(right, str)
                                     and left.endswith(right)),
}
