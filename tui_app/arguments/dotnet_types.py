"""Parse assembly-qualified .NET type names, as found in a release's ``Arguments.Input``.

The grammar is the one of ``Type.AssemblyQualifiedName``::

    qualified   := type [ "," assembly ]
    type        := name [ "[" generic-arg { "," generic-arg } "]" ] { "[" { "," } "]" }
    generic-arg := "[" qualified "]" | type
    name        := namespace-qualified name, nested types joined by "+", generic
                   definitions ending in "`" arity, "\\" escapes the next character

Examples: ``System.String, mscorlib, Version=4.0.0.0, ...``,
``System.Collections.Generic.Dictionary`2[[System.String, mscorlib],[System.Object, mscorlib]]``,
``System.Int32[,], System.Private.CoreLib``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NoReturn

NULLABLE = "System.Nullable`1"

_MAX_DEPTH = 32
_NAME_STOP = ",[]&*"


class DotNetTypeError(ValueError):
    """The text is not a well-formed .NET type name."""


@dataclass(frozen=True)
class DotNetType:
    """One parsed type: definition name, generic arguments, array ranks and assembly."""

    #: Namespace-qualified definition name as written, e.g. ``System.Collections.Generic.List`1``.
    name: str
    generic_args: tuple[DotNetType, ...] = ()
    #: Array suffixes in the order written: ``Int32[][,]`` is ``(1, 2)``.
    array_ranks: tuple[int, ...] = ()
    #: Everything after the type's top-level comma, e.g. ``mscorlib, Version=4.0.0.0, ...``.
    assembly: str = ""

    @property
    def assembly_name(self) -> str:
        """The simple assembly name, e.g. ``mscorlib`` or ``System.Private.CoreLib``."""
        return self.assembly.split(",", 1)[0].strip()

    @property
    def element_type(self) -> DotNetType | None:
        """For an array, the type of its elements (one rank less); otherwise None."""
        if not self.array_ranks:
            return None
        return DotNetType(self.name, self.generic_args, self.array_ranks[:-1], self.assembly)

    @property
    def nullable_of(self) -> DotNetType | None:
        """For ``Nullable<T>`` (not an array of it), the type ``T``; otherwise None."""
        if self.name == NULLABLE and len(self.generic_args) == 1 and not self.array_ranks:
            return self.generic_args[0]
        return None

    @property
    def full_name(self) -> str:
        """Namespace-qualified name without assemblies, generic arguments in angle brackets.

        ``System.String``, ``System.Collections.Generic.List<System.String>``,
        ``System.Nullable<System.Int32>``, ``System.Int32[,]``. It does not depend on the
        framework (``mscorlib`` or ``System.Private.CoreLib``), so it identifies the type.
        """
        return self._render(qualified=True)

    @property
    def short_name(self) -> str:
        """C#-like display name: ``String``, ``List<String>``, ``Int32?``, ``String[]``."""
        return self._render(qualified=False)

    def _render(self, qualified: bool) -> str:
        nullable_of = self.generic_args[0] if self.name == NULLABLE and self.generic_args else None
        if nullable_of is not None and not qualified:
            text = nullable_of.short_name + "?"
        else:
            name = self.name if qualified else self.name.rpartition(".")[2]
            args = list(self.generic_args)
            parts = []
            for part in name.split("+"):
                base, arity = _split_arity(part)
                if arity and args:
                    taken, args = args[:arity], args[arity:]
                    base += "<" + ", ".join(arg._render(qualified) for arg in taken) + ">"
                elif arity:
                    base += "<" + "," * (arity - 1) + ">"
                parts.append(base)
            text = ("+" if qualified else ".").join(parts)
        return text + "".join("[" + "," * (rank - 1) + "]" for rank in self.array_ranks)

    def __str__(self) -> str:
        return self.full_name


def parse_type_name(text: str) -> DotNetType:
    """Parse an (assembly-qualified) type name; raise :class:`DotNetTypeError` if malformed."""
    return _Parser(text).parse()


def _valid_name_part(part: str) -> bool:
    """``Name.Space.Type`` or ``Type`N`` with non-empty segments and a positive arity."""
    base, tick, digits = part.partition("`")
    arity_ok = not tick or (digits.isascii() and digits.isdigit() and int(digits) > 0)
    return all(base.split(".")) and arity_ok


def _split_arity(part: str) -> tuple[str, int]:
    base, tick, digits = part.partition("`")
    return base, int(digits) if tick else 0


class _Parser:
    """Recursive descent over the text; ``pos`` is the index of the next character."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def parse(self) -> DotNetType:
        parsed = self._qualified(depth=0, closing="")
        self._skip_spaces()
        if self.pos < len(self.text):
            self._fail(f"unexpected {self.text[self.pos]!r}")
        return parsed

    def _fail(self, problem: str) -> NoReturn:
        raise DotNetTypeError(f"{problem} at position {self.pos + 1} of type name {self.text!r}")

    def _peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _skip_spaces(self) -> None:
        while self._peek().isspace():
            self.pos += 1

    def _expect(self, char: str) -> None:
        self._skip_spaces()
        if self._peek() != char:
            self._fail(f"expected {char!r}")
        self.pos += 1

    def _qualified(self, depth: int, closing: str) -> DotNetType:
        """A type plus optional assembly; the assembly runs up to ``closing`` (or the end)."""
        parsed = self._type(depth)
        self._skip_spaces()
        if self._peek() != ",":
            return parsed
        self.pos += 1
        end = self.text.find(closing, self.pos) if closing else len(self.text)
        if end < 0:
            end = len(self.text)
        assembly = self.text[self.pos:end].strip()
        if not assembly or any(c in assembly for c in "[]"):
            self._fail("expected an assembly name")
        self.pos = end
        return DotNetType(parsed.name, parsed.generic_args, parsed.array_ranks, assembly)

    def _type(self, depth: int) -> DotNetType:
        if depth > _MAX_DEPTH:
            self._fail("type name nested too deeply")
        name = self._name()
        generic_args: list[DotNetType] = []
        ranks: list[int] = []
        while True:
            self._skip_spaces()
            if self._peek() != "[":
                break
            start = self.pos
            self.pos += 1
            self._skip_spaces()
            if self._peek() in ("]", ","):
                ranks.append(self._array_rank())
            elif generic_args or ranks:
                self.pos = start
                self._fail("unexpected '['")
            else:
                generic_args = self._generic_args(depth)
        arity = sum(_split_arity(part)[1] for part in name.split("+"))
        if generic_args and len(generic_args) != arity:
            self._fail(f"{name} takes {arity} generic argument(s), found {len(generic_args)}")
        return DotNetType(name, tuple(generic_args), tuple(ranks))

    def _array_rank(self) -> int:
        rank = 1
        while True:
            self._skip_spaces()
            char = self._peek()
            self.pos += 1
            if char == "]":
                return rank
            if char != ",":
                self.pos -= 1
                self._fail("expected ',' or ']' in an array rank")
            rank += 1

    def _generic_args(self, depth: int) -> list[DotNetType]:
        args = []
        while True:
            self._skip_spaces()
            if self._peek() == "[":
                self.pos += 1
                args.append(self._qualified(depth + 1, closing="]"))
                self._expect("]")
            else:
                args.append(self._type(depth + 1))
            self._skip_spaces()
            char = self._peek()
            self.pos += 1
            if char == "]":
                return args
            if char != ",":
                self.pos -= 1
                self._fail("expected ',' or ']' after a generic argument")

    def _name(self) -> str:
        self._skip_spaces()
        chars = []
        while self.pos < len(self.text) and self.text[self.pos] not in _NAME_STOP:
            char = self.text[self.pos]
            if char == "\\":
                self.pos += 1
                if self.pos >= len(self.text):
                    self._fail("'\\' with nothing after it")
                char = self.text[self.pos]
            elif char.isspace():
                break
            chars.append(char)
            self.pos += 1
        name = "".join(chars)
        if not name:
            self._fail("expected a type name")
        if not all(_valid_name_part(part) for part in name.split("+")):
            self._fail(f"{name!r} is not a valid type name")
        return name
