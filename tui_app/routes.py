"""Route files: which template each event goes to (``startjob route ROUTES.toml``).

A route file is TOML::

    [[route]]                       # checked in order: the first that matches wins
    template = "Triage incident"    # a saved template's name, or a .toml path (relative
    filter = 'incident.state == "new" and incident.priority <= 2'   # to the route file)

    [[route]]
    template = "close-ticket.toml"
    filter = 'incident.state == "closed"'   # optional: no filter matches every event

    [default]                       # optional: the template for events no route matches
    template = "Log event"

A route matches an event when its ``filter`` and its template's own ``filter`` both match
(``tui_app.event_filter``). An event that no route matches, and no ``[default]``, is skipped
(and counted). Loading checks everything before any event is read: every template exists and
loads, every filter compiles; a ``RouteError`` names the file, the route (by number) and the
key. Matching never does any I/O; running the matched template is the caller's
(``tui_app.route_cli``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from tui_app.event_filter import Filter, FilterError, compile_filter
from tui_app.replay import ReplayError, find_template
from tui_app.templates import Template, TemplateError

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

__all__ = ["Route", "RouteError", "RouteTable", "load_routes", "parse_routes"]

_TOP_KEYS = ("route", "default")
_ROUTE_KEYS = ("template", "filter")
_DEFAULT_KEYS = ("template",)

#: How a route file's ``template`` is found: (reference) -> (template, its path).
Finder = Callable[[str], "tuple[Template, Path]"]


class RouteError(ValueError):
    """A route file that cannot be used; the message names the file, route and key."""


@dataclass(frozen=True)
class Route:
    """One ``[[route]]`` (``number`` from 1 in file order) or the ``[default]`` (0)."""

    number: int
    template: Template
    path: Path
    filter: Optional[Filter] = None
    #: The template's own ``filter``, compiled.
    template_filter: Optional[Filter] = None

    @property
    def label(self) -> str:
        return f"route {self.number}" if self.number else "default"

    def matches(self, event: Any) -> bool:
        return all(test is None or test.matches(event)
                   for test in (self.filter, self.template_filter))


@dataclass(frozen=True)
class RouteTable:
    """The routes of a file, in order, and the optional default."""

    source: str
    routes: tuple[Route, ...]
    default: Optional[Route] = None

    def route_for(self, event: Any) -> Optional[Route]:
        """The first route that matches ``event``, else the default (if it matches its own
        template's filter), else None."""
        for route in self.routes:
            if route.matches(event):
                return route
        if self.default is not None and self.default.matches(event):
            return self.default
        return None


def load_routes(path: Path, find: Optional[Finder] = None) -> RouteTable:
    """Read and check a route file; templates given by a relative path are found next to
    it. ``find`` defaults to ``replay.find_template`` (names and paths, as ``startjob run``);
    a template that cannot be found or loaded is a ``RouteError``."""
    from tui_app.userfiles import MAX_TEMPLATE_BYTES, UserFileError, read_user_file

    source = str(path)
    try:
        raw = read_user_file(Path(path).expanduser(), MAX_TEMPLATE_BYTES)
    except UserFileError as exc:
        raise RouteError(f"{source}: cannot be used as a route file: it {exc}") from None
    except OSError as exc:
        raise RouteError(f"{source}: cannot be read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RouteError(f"{source}: is not UTF-8 text (bad byte at offset {exc.start})"
                         ) from None
    return parse_routes(text, source, Path(path).expanduser().absolute().parent, find)


def parse_routes(text: str, source: str, base: Path, find: Optional[Finder] = None
                 ) -> RouteTable:
    """Check the TOML ``text`` of a route file (``source`` names it in messages)."""
    find = find or find_template
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RouteError(f"{source}: is not valid TOML: {exc}") from None
    except RecursionError:
        raise RouteError(f"{source}: is not valid TOML: values are nested too deeply") from None
    _known(source, "", data, _TOP_KEYS)
    tables = data.get("route", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise RouteError(f"{source}: route must be [[route]] tables")
    if not tables and "default" not in data:
        raise RouteError(f"{source}: has no [[route]] tables; each one names a template and "
                         "(optionally) a filter")
    routes = tuple(_route(source, base, find, number, table)
                   for number, table in enumerate(tables, 1))
    default = None
    if "default" in data:
        table = data["default"]
        if not isinstance(table, dict):
            raise RouteError(f"{source}: default must be a [default] table")
        _known(source, "default: ", table, _DEFAULT_KEYS)
        default = _route(source, base, find, 0, table)
    return RouteTable(source, routes, default)


def _known(source: str, where: str, table: dict, allowed: tuple) -> None:
    for key in table:
        if key not in allowed:
            raise RouteError(f"{source}: {where}{key} is not a known key; expected one of: "
                             f"{', '.join(allowed)}")


def _route(source: str, base: Path, find: Finder, number: int, table: dict) -> Route:
    where = f"{source}: {'route ' + str(number) if number else 'default'}:"
    if number:
        _known(source, f"route {number}: ", table, _ROUTE_KEYS)
    reference = table.get("template")
    if not isinstance(reference, str) or not reference.strip():
        problem = "is missing" if reference is None else "must be a non-empty string"
        raise RouteError(f"{where} template {problem}; expected a template name or a .toml "
                         "path")
    condition = None
    if "filter" in table:
        text = table["filter"]
        if not isinstance(text, str):
            raise RouteError(f"{where} filter must be a string, got {type(text).__name__}")
        try:
            condition = compile_filter(text)
        except FilterError as exc:
            raise RouteError(f"{where} filter is not a valid filter (column {exc.column}: "
                             f"{exc.problem})") from None
    try:
        template, path = find(_relative_to(base, reference))
    except (ReplayError, TemplateError, OSError) as exc:
        raise RouteError(f"{where} template {reference!r}: {exc}") from None
    own = compile_filter(template.filter) if template.filter else None
    return Route(number, template, path, condition, own)


def _relative_to(base: Path, reference: str) -> str:
    """A path-like reference (``.toml`` or with a slash) relative to the route file's folder;
    a name as it is."""
    path = Path(reference).expanduser()
    looks_like_path = path.suffix.lower() == ".toml" or "/" in reference or "\\" in reference
    if looks_like_path and not path.is_absolute():
        return str(base / path)
    return reference
