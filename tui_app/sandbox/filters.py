"""``$filter`` and ``$orderby`` expressions: tokenizer, parser and type-checked compiler.

Supported: ``eq ne gt ge lt le``, ``and or not``, parentheses, ``in (...)``,
``contains startswith endswith tolower toupper``, string (``''`` escapes a quote) / number
(optional ``L M D F`` suffix) / boolean / null / date-time / GUID literals and navigation paths
such as ``Robot/Id``. Precedence follows ASP.NET OData (``not`` binds tightest, then
comparisons, ``and``, ``or``), and so do the error messages. Enum properties compare with names
(any case) or numbers; GUIDs with GUID or string literals; date-times as instants.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Callable, Optional

from tui_app.sandbox.edm import (
    Complex,
    EntityType,
    EnumType,
    Navigation,
    ODataError,
    parse_datetime,
    resolve,
)

MAX_ORDERBY = 5

_NUMERIC = {"Edm.Int16", "Edm.Int32", "Edm.Int64", "Edm.Decimal", "Edm.Double", "Edm.Single",
            "Edm.Byte"}


def _type_name(kind: Any) -> str:
    if kind is None:
        return "null"
    if isinstance(kind, (EnumType, EntityType)):
        return kind.name
    return kind


# ----------------------------------------------------------------------------- tokens

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<datetime>\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))?)
        (?![\w.:-])
  | (?P<guid>[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})(?![\w-])
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(?P<suffix>[LlMmDdFf]?)(?![\w.])
  | (?P<ident>[A-Za-z_$][A-Za-z0-9_]*)
  | (?P<punct>[(),/])
  | (?P<string>')
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Token:
    kind: str  # ident, punct, string, number, datetime, guid, end
    value: Any
    pos: int


def _tokenize(text: str) -> list:
    tokens = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise ODataError(
                f"Syntax error: character '{text[pos]}' is not valid at position {pos} "
                f"in '{text}'."
            )
        kind = match.lastgroup
        assert kind is not None  # every alternative of _TOKEN is a named group
        if kind == "suffix":
            kind = "number"
        if kind == "string":
            value, pos = _read_string(text, pos)
            tokens.append(_Token("string", value, match.start()))
            continue
        if kind == "number":
            raw = match.group("number")
            suffix = match.group("suffix").lower()
            is_int = re.fullmatch(r"-?\d+", raw) is not None and suffix not in ("m", "d", "f")
            value = int(raw) if is_int else float(raw)
            tokens.append(_Token("number", value, pos))
        elif kind != "space":
            tokens.append(_Token(kind, match.group(kind), pos))
        pos = match.end()
    tokens.append(_Token("end", None, len(text)))
    return tokens


def _read_string(text: str, start: int) -> tuple:
    chars = []
    pos = start + 1
    while pos < len(text):
        char = text[pos]
        if char == "'":
            if text.startswith("''", pos):
                chars.append("'")
                pos += 2
                continue
            return "".join(chars), pos + 1
        chars.append(char)
        pos += 1
    raise ODataError(f"There is an unterminated string literal at position {start} in '{text}'.")


# ----------------------------------------------------------------------------- syntax tree


@dataclass(frozen=True)
class Literal:
    kind: str  # string, number, bool, null, datetime, guid
    value: Any


@dataclass(frozen=True)
class Path:
    segments: tuple


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple


@dataclass(frozen=True)
class Binary:
    op: str
    left: Any
    right: Any


@dataclass(frozen=True)
class Not:
    operand: Any


@dataclass(frozen=True)
class In:
    operand: Any
    values: tuple


_COMPARISONS = ("eq", "ne", "gt", "ge", "lt", "le")


class _Parser:
    """Recursive descent with ASP.NET OData's precedence: or < and < comparison < not."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.index]

    def _syntax_error(self, token: Optional[_Token] = None) -> ODataError:
        token = token or self.token
        if token.kind == "end":
            return ODataError(f"Expression expected at position {token.pos} in '{self.text}'.")
        return ODataError(f"Syntax error at position {token.pos} in '{self.text}'.")

    def _keyword(self, *words: str) -> Optional[str]:
        token = self.token
        if token.kind == "ident" and token.value in words:
            self.index += 1
            return token.value
        return None

    def _punct(self, char: str) -> bool:
        if self.token.kind == "punct" and self.token.value == char:
            self.index += 1
            return True
        return False

    def _expect(self, char: str) -> None:
        if not self._punct(char):
            raise self._syntax_error()

    def parse_expression(self) -> Any:
        left = self._and()
        while self._keyword("or"):
            left = Binary("or", left, self._and())
        return left

    def _and(self) -> Any:
        left = self._comparison()
        while self._keyword("and"):
            left = Binary("and", left, self._comparison())
        return left

    def _comparison(self) -> Any:
        left = self._unary()
        while True:
            op = self._keyword(*_COMPARISONS)
            if op:
                left = Binary(op, left, self._unary())
            elif self._keyword("in"):
                left = In(left, self._literal_list())
            else:
                return left

    def _literal_list(self) -> tuple:
        self._expect("(")
        values = [self._literal_or_fail()]
        while self._punct(","):
            values.append(self._literal_or_fail())
        self._expect(")")
        return tuple(values)

    def _literal_or_fail(self) -> Literal:
        literal = self._literal()
        if literal is None:
            raise self._syntax_error()
        return literal

    def _unary(self) -> Any:
        if self._keyword("not"):
            return Not(self._unary())
        return self._primary()

    def _literal(self) -> Optional[Literal]:
        token = self.token
        if token.kind == "datetime":
            value = parse_datetime(token.value)
            if value is None:
                raise ODataError(f"Unrecognized 'Edm.DateTimeOffset' literal '{token.value}' at "
                                 f"position {token.pos} in '{self.text}'.")
            self.index += 1
            return Literal("datetime", value)
        if token.kind in ("string", "number", "guid"):
            self.index += 1
            return Literal(token.kind, token.value)
        if token.kind == "ident" and token.value in ("true", "false", "null"):
            self.index += 1
            if token.value == "null":
                return Literal("null", None)
            return Literal("bool", token.value == "true")
        return None

    def _primary(self) -> Any:
        if self._punct("("):
            inner = self.parse_expression()
            self._expect(")")
            return inner
        literal = self._literal()
        if literal is not None:
            return literal
        token = self.token
        if token.kind != "ident":
            raise self._syntax_error()
        self.index += 1
        if self._punct("("):
            args = []
            if not self._punct(")"):
                args.append(self.parse_expression())
                while self._punct(","):
                    args.append(self.parse_expression())
                self._expect(")")
            return Call(token.value, tuple(args))
        segments = [token.value]
        while self._punct("/"):
            if self.token.kind != "ident":
                raise self._syntax_error()
            segments.append(self.token.value)
            self.index += 1
        return Path(tuple(segments))

    def parse_all(self) -> Any:
        expr = self.parse_expression()
        if self.token.kind != "end":
            raise self._syntax_error()
        return expr

    def parse_orderby(self) -> list:
        clauses = []
        while True:
            expr = self.parse_expression()
            direction = self._keyword("asc", "desc") or "asc"
            clauses.append((expr, direction == "desc"))
            if self.token.kind == "end":
                return clauses
            self._expect(",")


def parse_filter(text: str) -> Any:
    """The syntax tree of a ``$filter`` expression (no type checks yet)."""
    return _Parser(text).parse_all()


def required_values(text: str, name: str) -> Optional[frozenset]:
    """The values (strings lower-cased) that property ``name`` must have for ``text`` to hold,
    as far as its ``eq`` / ``in`` clauses joined by ``and`` / ``or`` say; None when it does
    not pin ``name`` down (so a caller can skip what no match can come from)."""
    def values(node: Any) -> Optional[frozenset]:
        if isinstance(node, Binary) and node.op in ("and", "or"):
            left, right = values(node.left), values(node.right)
            if node.op == "and":
                return left if right is None else right if left is None else left & right
            return None if left is None or right is None else left | right
        if isinstance(node, Binary) and node.op == "eq":
            pair = (node.left, node.right)
            for path, literal in (pair, pair[::-1]):
                if isinstance(path, Path) and path.segments == (name,) \
                        and isinstance(literal, Literal):
                    return frozenset({_plain(literal.value)})
        if isinstance(node, In) and isinstance(node.operand, Path) \
                and node.operand.segments == (name,):
            return frozenset(_plain(literal.value) for literal in node.values)
        return None

    return values(parse_filter(text))


def referenced(text: str) -> frozenset:
    """The properties (first path segments) a ``$filter`` expression reads."""
    def names(node: Any) -> Iterator[str]:
        if isinstance(node, Path):
            yield node.segments[0]
        children = {Binary: ("left", "right"), Not: ("operand",), In: ("operand",)}
        for attribute in children.get(type(node), ()):
            yield from names(getattr(node, attribute))
        if isinstance(node, Call):
            for argument in node.args:
                yield from names(argument)

    return frozenset(names(parse_filter(text)))


def _plain(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


# ----------------------------------------------------------------------------- values


def _group(kind: Any) -> str:
    """Comparison family of a static type."""
    if kind is None:
        return "null"
    if isinstance(kind, EnumType):
        return "enum"
    if isinstance(kind, EntityType):
        return "entity"
    if kind in _NUMERIC:
        return "number"
    return {"Edm.String": "string", "Edm.Boolean": "bool", "Edm.DateTimeOffset": "datetime",
            "Edm.Guid": "guid"}.get(kind, "other")


def _same(value: Any) -> Any:
    return value


def _normalizer(group: str, kind: Any) -> Callable[[Any], Any]:
    """Turn a runtime value into something comparable within its family."""
    if group == "datetime":
        return lambda v: parse_datetime(v) if isinstance(v, str) else v
    if group == "guid":
        return lambda v: v.lower() if isinstance(v, str) else v
    if group == "enum":
        return lambda v: _enum_index(kind, v)
    return _same


def _enum_index(kind: EnumType, value: Any) -> Optional[int]:
    member = kind.member(value) if value is not None else None
    return None if member is None else kind.members.index(member)


_LITERAL_TYPES = {"string": "Edm.String", "bool": "Edm.Boolean", "datetime": "Edm.DateTimeOffset",
                  "guid": "Edm.Guid", "null": None}

_OPERATOR_KINDS = {"eq": "Equal", "ne": "NotEqual", "gt": "GreaterThan",
                   "ge": "GreaterThanOrEqual", "lt": "LessThan", "le": "LessThanOrEqual",
                   "and": "And", "or": "Or", "in": "In"}

#: name -> (arity, result type, function)
_STRING_FUNCTIONS: dict[str, tuple[int, str, Callable[..., Any]]] = {
    "contains": (2, "Edm.Boolean", lambda a, b: b in a),
    "startswith": (2, "Edm.Boolean", lambda a, b: a.startswith(b)),
    "endswith": (2, "Edm.Boolean", lambda a, b: a.endswith(b)),
    "tolower": (1, "Edm.String", lambda a: a.lower()),
    "toupper": (1, "Edm.String", lambda a: a.upper()),
}


# ----------------------------------------------------------------------------- compiling

#: (function(entity) -> value, static type: an Edm name, an EntityType, an EnumType or None)
Compiled = tuple[Callable[[dict], Any], Any]


def _negate(value: Any) -> Optional[bool]:
    return None if value is None else not value


def _literal_type(literal: Literal) -> Any:
    if literal.kind == "number":
        return "Edm.Int64" if isinstance(literal.value, int) else "Edm.Double"
    return _LITERAL_TYPES[literal.kind]


def _incompatible(op: str, left: Any, right: Any) -> ODataError:
    return ODataError(
        "A binary operator with incompatible types was detected. Found operand types "
        f"'{_type_name(left)}' and '{_type_name(right)}' for operator kind "
        f"'{_OPERATOR_KINDS[op]}'."
    )


def _coerce_literal(literal: Literal, target: Any, op: str) -> Any:
    """A literal's value in the comparison family of ``target`` (a property type)."""
    group = _group(target)
    kind = _literal_type(literal)
    if literal.kind == "null" or group in ("null", _group(kind)):
        return _normalizer(group, target)(literal.value)
    if group == "enum" and literal.kind in ("string", "number"):
        member = target.member(literal.value)
        if member is None:
            raise ODataError(
                f"The string '{literal.value}' is not a valid enumeration type constant.")
        return target.members.index(member)
    if group == "guid" and literal.kind == "string":
        return literal.value.lower()
    if group == "datetime" and literal.kind == "string":
        parsed = parse_datetime(literal.value)
        if parsed is not None:
            return parsed
    raise _incompatible(op, target, kind)


class _Compiler:
    def __init__(self, entity_type: EntityType) -> None:
        self.entity_type = entity_type
        self.ignore_case = entity_type.ignore_case

    def _fold(self, value: Any, kind: Any) -> Any:
        """A string value of a type that ignores case, lower-cased."""
        if self.ignore_case and isinstance(value, str) and _group(kind) == "string":
            return value.lower()
        return value

    def compile(self, node: Any) -> Compiled:
        if isinstance(node, Literal):
            value = node.value
            if node.kind == "guid" or (node.kind == "string" and self.ignore_case):
                value = value.lower()
            return (lambda _e: value), _literal_type(node)
        if isinstance(node, Path):
            return self._path(node)
        if isinstance(node, Call):
            return self._call(node)
        if isinstance(node, Not):
            operand, kind = self.compile(node.operand)
            if kind not in ("Edm.Boolean", None):
                raise ODataError(
                    "A unary operator with an incompatible type was detected. Found operand "
                    f"type '{_type_name(kind)}' for operator kind 'Not'.")
            return (lambda e: _negate(operand(e))), "Edm.Boolean"
        if isinstance(node, In):
            return self._in(node)
        if node.op in ("and", "or"):
            return self._logical(node)
        return self._comparison(node)

    def _path(self, node: Path) -> Compiled:
        kind: Any = self.entity_type
        for index, name in enumerate(node.segments):
            if not isinstance(kind, EntityType):
                raise ODataError(
                    f"Could not find a property named '{name}' on type '{_type_name(kind)}'.")
            prop = kind.prop(name)
            if isinstance(prop, Navigation) and prop.many and index < len(node.segments) - 1:
                raise ODataError(
                    f"The parent value for a property access of a property "
                    f"'{node.segments[index + 1]}' is not a single value. Property access can "
                    "only be applied to a single value.")
            if isinstance(prop, Navigation) and prop.many:
                kind = f"Collection({prop.target.name})"
            elif isinstance(prop, (Navigation, Complex)):
                kind = prop.target
            else:
                kind = prop
        segments = node.segments
        fold = self.ignore_case and kind == "Edm.String"

        def read(entity: dict) -> Any:
            value: Any = entity
            for name in segments:
                if value is None:
                    return None
                value = resolve(value.get(name))
            return value.lower() if fold and isinstance(value, str) else value

        return read, kind

    def _call(self, node: Call) -> Compiled:
        name = node.name.lower()
        if name not in _STRING_FUNCTIONS:
            raise ODataError(
                f"An unknown function with name '{node.name}' was found. This may also be a "
                "function import or a key lookup on a navigation property, which is not allowed.")
        arity, result, function = _STRING_FUNCTIONS[name]
        args = [self.compile(arg) for arg in node.args]
        if len(args) != arity or any(kind not in ("Edm.String", None) for _, kind in args):
            signature = ", ".join(["Edm.String Nullable=true"] * arity)
            raise ODataError(
                f"No function signature for the function with name '{name}' matches the "
                f"specified arguments. The function signatures considered are: "
                f"{name}({signature}).")
        readers = [reader for reader, _ in args]

        def call(entity: dict) -> Any:
            values = [reader(entity) for reader in readers]
            if any(value is None for value in values):
                return None
            return function(*values)

        return call, result

    def _logical(self, node: Binary) -> Compiled:
        left, left_kind = self.compile(node.left)
        right, right_kind = self.compile(node.right)
        for kind in (left_kind, right_kind):
            if kind not in ("Edm.Boolean", None):
                raise _incompatible(node.op, left_kind, right_kind)
        if node.op == "and":
            return (lambda e: bool(left(e)) and bool(right(e))), "Edm.Boolean"
        return (lambda e: bool(left(e)) or bool(right(e))), "Edm.Boolean"

    def _operands(self, node: Binary) -> list:
        """Both sides as (reader, normalizer); a literal is coerced to the other side's type."""
        left_literal, right_literal = (isinstance(n, Literal) for n in (node.left, node.right))
        if left_literal != right_literal:
            literal, other = (node.left, node.right) if left_literal else (node.right, node.left)
            reader, kind = self.compile(other)
            value = self._fold(_coerce_literal(literal, kind, node.op), kind)
            sides = [(lambda _e: value, _same), (reader, _normalizer(_group(kind), kind))]
            return sides if left_literal else sides[::-1]
        (left, left_kind), (right, right_kind) = self.compile(node.left), self.compile(node.right)
        groups = {_group(left_kind), _group(right_kind)}
        if len(groups - {"null"}) > 1 or groups & {"entity", "other"}:
            raise _incompatible(node.op, left_kind, right_kind)
        return [(left, _normalizer(_group(left_kind), left_kind)),
                (right, _normalizer(_group(right_kind), right_kind))]

    def _comparison(self, node: Binary) -> Compiled:
        (left, left_norm), (right, right_norm) = self._operands(node)
        op = node.op

        def compare(entity: dict) -> Optional[bool]:
            a, b = left_norm(left(entity)), right_norm(right(entity))
            if op == "eq":
                return a == b
            if op == "ne":
                return a != b
            if a is None or b is None:
                return False
            if op == "gt":
                return a > b
            if op == "ge":
                return a >= b
            if op == "lt":
                return a < b
            return a <= b

        return compare, "Edm.Boolean"

    def _in(self, node: In) -> Compiled:
        reader, kind = self.compile(node.operand)
        if isinstance(kind, EntityType) or str(kind).startswith("Collection("):
            raise _incompatible("in", kind, "Collection")
        normalize = _normalizer(_group(kind), kind)
        allowed = {self._fold(_coerce_literal(value, kind, "in"), kind) for value in node.values}
        return (lambda e: normalize(reader(e)) in allowed), "Edm.Boolean"


def compile_filter(text: str, entity_type: EntityType) -> Callable[[dict], bool]:
    """A predicate for ``$filter`` text, checked against ``entity_type``."""
    reader, kind = _Compiler(entity_type).compile(parse_filter(text))
    if kind not in ("Edm.Boolean", None):
        raise ODataError("The $filter expression must evaluate to a single boolean value.")
    return lambda entity: reader(entity) is True


def compile_orderby(text: str, entity_type: EntityType) -> list:
    """``[(sort key function, descending)]`` for ``$orderby`` text."""
    clauses = _Parser(text).parse_orderby()
    if len(clauses) > MAX_ORDERBY:
        raise ODataError(
            "The number of clauses in $orderby query option exceeded the maximum number allowed. "
            f"The maximum number of $orderby clauses allowed is {MAX_ORDERBY}.")
    compiler = _Compiler(entity_type)
    result = []
    for expr, descending in clauses:
        reader, kind = compiler.compile(expr)
        group = _group(kind)
        if group in ("entity", "other"):
            raise ODataError(f"The $orderby expression must evaluate to a single value of "
                             f"primitive type; '{_type_name(kind)}' is not.")
        normalize = _normalizer(group, kind)

        def key(entity: dict, reader: Callable[[dict], Any] = reader,
                normalize: Callable[[Any], Any] = normalize) -> tuple:
            value = normalize(reader(entity))
            return (0, 0) if value is None else (1, value)

        result.append((key, descending))
    return result
