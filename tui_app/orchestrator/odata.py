"""Safe building blocks for OData query text.

Every value that ends up inside a ``$filter`` goes through :func:`literal`, the one place that
quotes and escapes. Property names are checked against a strict pattern so a caller can never
smuggle an expression in through a "name". The finished text is passed to httpx as a query
parameter, which percent-encodes it; nothing here builds URLs.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Iterable

__all__ = [
    "all_of",
    "any_of",
    "contains",
    "eq",
    "group",
    "in_",
    "literal",
    "orderby",
    "path_int",
    "prop",
]

_PROP = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)*\Z")
_ORDER_ITEM = re.compile(r"([A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)*)(?: +(asc|desc))?\Z")


def literal(value: object) -> str:
    """Return ``value`` as an OData literal.

    Text becomes ``'...'`` with every single quote doubled (the only escape OData string
    literals have); booleans become ``true``/``false``; integers stay bare; ``None`` is
    ``null``; UUIDs are quoted like text (Orchestrator keys are strings on the wire).
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("OData has no literal for NaN or infinity")
        return repr(value)
    if isinstance(value, uuid.UUID):
        value = str(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"cannot use a {type(value).__name__} as an OData literal")


def prop(name: str) -> str:
    """Check that ``name`` is a plain property path (``Name``, ``Robot/Id``) and return it."""
    if not isinstance(name, str) or not _PROP.match(name):
        raise ValueError(f"not an OData property name: {name!r}")
    return name


def eq(name: str, value: object) -> str:
    """``Name eq 'value'``."""
    return f"{prop(name)} eq {literal(value)}"


def contains(name: str, text: str, *, ignore_case: bool = False) -> str:
    """``contains(Name,'text')``; with ``ignore_case`` both sides are lower-cased."""
    if not isinstance(text, str):
        raise TypeError("contains() needs text")
    if ignore_case:
        return f"contains(tolower({prop(name)}),{literal(text.lower())})"
    return f"contains({prop(name)},{literal(text)})"


def in_(name: str, values: Iterable[object]) -> str:
    """``Id in (1,2,3)`` / ``Key in ('a','b')``. An empty list is refused."""
    items = [literal(v) for v in values]
    if not items:
        raise ValueError("an 'in' filter needs at least one value")
    return f"{prop(name)} in ({','.join(items)})"


def group(clause: str) -> str:
    """Wrap a clause in parentheses so it can be combined safely."""
    return f"({clause})"


def any_of(*clauses: str) -> str:
    """Join clauses with ``or``. Group compound clauses first with :func:`group`."""
    parts = [c for c in clauses if c]
    if not parts:
        raise ValueError("nothing to combine")
    return " or ".join(parts)


def all_of(*clauses: str) -> str:
    """Join clauses with ``and``. Group compound clauses first with :func:`group`."""
    parts = [c for c in clauses if c]
    if not parts:
        raise ValueError("nothing to combine")
    return " and ".join(parts)


def orderby(text: str) -> str:
    """Check an ``$orderby`` value such as ``"Name asc, ProcessVersion desc"``."""
    if not isinstance(text, str):
        raise TypeError("orderby needs text")
    items = [part.strip() for part in text.split(",")]
    if not items or len(items) > 5 or not all(_ORDER_ITEM.match(i) for i in items):
        raise ValueError(f"not an OData $orderby value: {text!r}")
    return ",".join(items)


def path_int(value: object) -> int:
    """Validate a number that goes into a URL path, e.g. ``Jobs(42)`` or ``folderId=7``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer id, got {type(value).__name__}")
    return int(value)
