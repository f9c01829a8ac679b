"""OData entity types (EDM) for the sandbox: enums, navigations, complex properties, errors.

Primitive property types are ``Edm.*`` names (``"Edm.String"``...). Entity values are plain
dicts; a navigation value may be a ``Lazy`` that is built only when read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Optional, Union


class ODataError(ValueError):
    """An invalid query option (answered as HTTP 400, errorCode 1000)."""


@dataclass(frozen=True)
class EnumType:
    """Named members numbered from ``first`` (names match case-insensitively)."""

    name: str
    members: tuple
    first: int = 0

    def member(self, value: Any) -> Optional[str]:
        """The member named or numbered (int or numeric string) by ``value``, or None."""
        if isinstance(value, bool):
            return None
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value)
        if isinstance(value, int):
            index = value - self.first
            return self.members[index] if 0 <= index < len(self.members) else None
        if isinstance(value, str):
            for member in self.members:
                if member.lower() == value.lower():
                    return member
        return None


@dataclass(frozen=True)
class Navigation:
    """A related entity (or collection): present only when expanded, unless ``always``."""

    target: EntityType
    many: bool = False
    always: bool = False


@dataclass(frozen=True)
class Complex:
    """A structured property that is always serialized (e.g. ``Arguments``)."""

    target: EntityType


PropertyType = Union[str, EnumType, Navigation, Complex]


class Lazy:
    """A navigation value computed on first use, so unexpanded relations cost nothing."""

    __slots__ = ("_factory", "_value", "_done")

    def __init__(self, factory: Callable[[], Any]) -> None:
        self._factory = factory
        self._value = None
        self._done = False

    def get(self) -> Any:
        if not self._done:
            self._value = self._factory()
            self._done = True
        return self._value


def resolve(value: Any) -> Any:
    """The value itself, or what a ``Lazy`` builds."""
    return value.get() if isinstance(value, Lazy) else value


@dataclass(frozen=True)
class EntityType:
    """A type name plus its properties in wire order; primitive types are ``Edm.*`` names."""

    name: str
    properties: dict = field(hash=False)
    #: ``$filter`` / ``$orderby`` compare its strings without regard to case (SQL Server's
    #: default collation), e.g. ``Name eq 'invoices'`` finds "Invoices".
    ignore_case: bool = False

    def prop(self, name: str) -> PropertyType:
        try:
            return self.properties[name]
        except KeyError:
            raise ODataError(
                f"Could not find a property named '{name}' on type '{self.name}'."
            ) from None


def parse_datetime(value: str) -> Optional[datetime]:
    """An aware datetime from ISO-8601 with any number of fraction digits, or None."""
    match = re.fullmatch(
        r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?"
        r"(Z|[+-]\d{2}:\d{2})?", value.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        result = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                          int(second or 0), int((fraction or "0")[:6].ljust(6, "0")),
                          tzinfo=timezone.utc)
    except ValueError:
        return None
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        result -= sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    return result
