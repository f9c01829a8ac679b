"""OData query options: ``$filter``, ``$orderby``, ``$top`` (at most 1000), ``$skip``,
``$count``, ``$select`` and ``$expand`` (nested ``$select`` / ``$expand`` in parentheses, at
most 2 levels deep), checked against an entity type and applied to entity dicts.

Entities hold every property of their type, navigation properties included; ``Query.apply``
filters, counts, sorts, pages and then projects them. Messages follow ASP.NET OData's wording.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice
from typing import Callable, Optional

from tui_app.sandbox.edm import EntityType, Navigation, ODataError, resolve
from tui_app.sandbox.filters import compile_filter, compile_orderby

MAX_TOP = 1000
MAX_EXPAND_DEPTH = 2


# ----------------------------------------------------------------------------- projection


@dataclass(frozen=True)
class Projection:
    """Which properties to keep (``select`` None = all) and which navigations to expand."""

    select: Optional[frozenset] = None
    expand: dict = field(default_factory=dict, hash=False)

    def context(self) -> str:
        """The ``(…)`` part of ``@odata.context`` for this projection."""
        items = sorted(self.select or ())
        items += [f"{name}({sub.context()[1:-1]})" for name, sub in self.expand.items()]
        return f"({','.join(items)})" if items else ""

    def apply(self, entity: dict, entity_type: EntityType) -> dict:
        out = {}
        for name, prop in entity_type.properties.items():
            if isinstance(prop, Navigation):
                if name in self.expand or prop.always:
                    sub = self.expand.get(name, Projection())
                    value = resolve(entity.get(name))
                    if value is not None:
                        value = ([sub.apply(v, prop.target) for v in value] if prop.many
                                 else sub.apply(value, prop.target))
                    out[name] = value
            elif self.select is None or name in self.select:
                out[name] = resolve(entity.get(name))
        return out


def _split_top_level(text: str, separator: str) -> list:
    """Split on ``separator`` outside parentheses and quotes."""
    parts, depth, quoted, start = [], 0, False, 0
    for index, char in enumerate(text):
        if char == "'":
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
        elif not quoted and depth == 0 and char == separator:
            parts.append(text[start:index])
            start = index + 1
    if depth != 0 or quoted:
        raise ODataError(f"Syntax error: unbalanced parentheses or quotes in '{text}'.")
    parts.append(text[start:])
    return parts


def parse_projection(select: Optional[str], expand: Optional[str], entity_type: EntityType,
                     depth: int = 1) -> Projection:
    """Check ``$select`` / ``$expand`` against ``entity_type``."""
    selected: Optional[frozenset[str]] = None
    if select is not None and select.strip() not in ("", "*"):
        names = set()
        for raw in _split_top_level(select, ","):
            name = raw.strip()
            prop = entity_type.prop(name)
            if not isinstance(prop, Navigation):
                names.add(name)
        selected = frozenset(names)
    expanded: dict = {}
    if expand is not None and expand.strip():
        if depth > MAX_EXPAND_DEPTH:
            raise ODataError("The request includes a $expand path which is too deep. The "
                             f"maximum depth allowed is {MAX_EXPAND_DEPTH}.")
        for raw in _split_top_level(expand, ","):
            item = raw.strip()
            name, _, rest = item.partition("(")
            name = name.strip()
            prop = entity_type.prop(name)
            if not isinstance(prop, Navigation):
                raise ODataError(
                    f"Property '{name}' on type '{entity_type.name}' is not a navigation "
                    "property or complex property. Only navigation properties can be expanded.")
            options = {}
            if rest:
                if not rest.endswith(")"):
                    raise ODataError(f"Syntax error in $expand item '{item}'.")
                for option in _split_top_level(rest[:-1], ";"):
                    key, _, value = option.partition("=")
                    key = key.strip().lower()
                    if key not in ("$select", "$expand"):
                        raise ODataError(
                            f"The query option '{key}' is not supported inside $expand.")
                    options[key] = value
            expanded[name] = parse_projection(options.get("$select"), options.get("$expand"),
                                              prop.target, depth + 1)
    return Projection(selected, expanded)


# ----------------------------------------------------------------------------- query


def _non_negative(name: str, raw: str) -> int:
    if not raw.strip().isdigit():
        raise ODataError(f"Invalid value '{raw}' for {name} query option found. The {name} "
                         "query option requires a non-negative integer value.")
    return int(raw)


_OPTIONS = ("$filter", "$orderby", "$top", "$skip", "$count", "$select", "$expand")


@dataclass(frozen=True)
class Query:
    predicate: Optional[Callable] = None
    order: tuple = ()
    top: Optional[int] = None
    skip: int = 0
    projection: Projection = field(default_factory=Projection)
    #: The ``$filter`` and ``$orderby`` texts as given ("" when absent).
    filter_text: str = ""
    orderby_text: str = ""

    @property
    def has_filter(self) -> bool:
        return self.predicate is not None

    def matches(self, entities: Iterable) -> Iterable:
        return (e for e in entities if self.predicate(e)) if self.predicate else entities

    def apply_ordered(self, entities: Iterable, entity_type: EntityType,
                      descending: bool = False,
                      build: Optional[Callable[[object], dict]] = None) -> tuple:
        """``apply`` for entities that already come in the ``$orderby`` order (ascending;
        ``descending`` reverses it): one pass, keeping only the page. With ``build``,
        ``entities`` are items already filtered, and ``build`` makes the page's items entity
        dicts."""
        count = 0
        matches = entities if build else self.matches(entities)
        if descending:
            window: deque = deque(maxlen=None if self.top is None else self.skip + self.top)
            for entity in matches:
                window.append(entity)
                count += 1
            page = list(islice(reversed(window), self.skip, None))
        else:
            page = []
            end = None if self.top is None else self.skip + self.top
            for entity in matches:
                if self.skip <= count and (end is None or count < end):
                    page.append(entity)
                count += 1
        return [self.projection.apply(build(e) if build else e, entity_type)
                for e in page], count

    def apply(self, entities: list, entity_type: EntityType) -> tuple:
        """(projected page, number of matches before ``$skip`` / ``$top``)."""
        matches = list(self.matches(entities))
        for key, descending in reversed(self.order):
            matches.sort(key=key, reverse=descending)
        count = len(matches)
        end = None if self.top is None else self.skip + self.top
        page = matches[self.skip:end]
        return [self.projection.apply(e, entity_type) for e in page], count


def parse_query(params: dict, entity_type: EntityType) -> Query:
    """Check the ``$`` options among ``params`` (other parameters are ignored)."""
    options = {}
    for name, value in params.items():
        if not name.startswith("$"):
            continue
        key = name.lower()
        if key not in _OPTIONS:
            raise ODataError(f"The query parameter '{name}' is not supported.")
        options[key] = value
    top = None
    if "$top" in options:
        top = _non_negative("$top", options["$top"])
        if top > MAX_TOP:
            raise ODataError(f"The limit of '{MAX_TOP}' for Top query has been exceeded. The "
                             f"value from the incoming request is '{top}'.")
    skip = _non_negative("$skip", options["$skip"]) if "$skip" in options else 0
    if options.get("$count", "false").strip().lower() not in ("true", "false"):
        raise ODataError(f"'{options['$count']}' is not a valid count option.")
    predicate = None
    if options.get("$filter", "").strip():
        predicate = compile_filter(options["$filter"], entity_type)
    order: tuple = ()
    if options.get("$orderby", "").strip():
        order = tuple(compile_orderby(options["$orderby"], entity_type))
    projection = parse_projection(options.get("$select"), options.get("$expand"), entity_type)
    return Query(predicate, order, top, skip, projection, options.get("$filter", "").strip(),
                 options.get("$orderby", "").strip())
