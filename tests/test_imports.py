"""The import contract of ``tui_app``, read from the source with ``ast`` (nothing is imported).

- Core (everything outside ``tui_app/ui/``) never imports Textual nor the UI; only the entry
  point ``tui_app.cli`` starts the wizard, from inside a function.
- The screens get Orchestrator data from the wizard, never from ``tui_app.orchestrator``.
- ``tui_app.orchestrator``, ``tui_app.arguments`` and ``tui_app.sandbox`` stand on their own.
- No import cycles among the core modules.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "tui_app"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def within(name: str, package: str) -> bool:
    """Whether module ``name`` is ``package`` or inside it."""
    return name == package or name.startswith(package + ".")


CORE = sorted(name for name in MODULES if not within(name, "tui_app.ui"))
SCREENS = sorted(name for name in MODULES if within(name, "tui_app.ui.screens"))


#: When an import runs: with the module, when a function runs, or never (type checkers only).
AT_IMPORT, DEFERRED, TYPING = "at import", "deferred", "typing"


@dataclass(frozen=True)
class Import:
    target: str  # the most specific module named: "tui_app.orchestrator.models", "textual.app"
    line: int
    when: str  # AT_IMPORT, DEFERRED (inside a function) or TYPING (under ``if TYPE_CHECKING:``)


def _target(package: str, node: ast.ImportFrom, alias: ast.alias) -> str:
    base = node.module or ""
    if node.level:
        parts = package.split(".")[: len(package.split(".")) - node.level + 1]
        base = ".".join(parts + ([node.module] if node.module else []))
    submodule = f"{base}.{alias.name}"
    return submodule if submodule in MODULES else base


def imports_of(name: str) -> list[Import]:
    """Every import statement of module ``name``, wherever it is in the file."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[Import] = []

    def visit(node: ast.AST, when: str) -> None:
        if isinstance(node, ast.Import):
            found.extend(Import(alias.name, node.lineno, when) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.extend(Import(_target(package, node, alias), node.lineno, when)
                         for alias in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            for child in ast.iter_child_nodes(node):
                visit(child, DEFERRED if when == AT_IMPORT else when)
        elif isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                visit(child, TYPING)
            for child in node.orelse:
                visit(child, when)
        else:
            for child in ast.iter_child_nodes(node):
                visit(child, when)

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)), AT_IMPORT)
    return found


IMPORTS = {name: imports_of(name) for name in MODULES}


def where(name: str, item: Import) -> str:
    return f"{MODULES[name].relative_to(ROOT)}:{item.line} imports {item.target}"


def test_the_walk_sees_every_kind_of_import():
    """The walk resolves relative imports and tells deferred ones apart (or every rule below
    would pass vacuously)."""
    client = {item.target: item for item in IMPORTS["tui_app.orchestrator.client"]}
    assert client["tui_app"].when == AT_IMPORT  # from .. import __version__
    assert client["tui_app.urls"].when == AT_IMPORT  # from ..urls import ...
    assert client["tui_app.orchestrator.odata"].when == AT_IMPORT  # from . import odata
    cli = {item.target: item for item in IMPORTS["tui_app.cli"]}
    assert cli["tui_app.ui.app"].when == DEFERRED
    errors = {item.target: item for item in IMPORTS["tui_app.orchestrator.errors"]}
    assert errors["typing_extensions"].when == TYPING
    assert len(CORE) > 50 and "tui_app.sandbox.seed" in CORE and "tui_app.ui.app" not in CORE


# -- layering --------------------------------------------------------------------------------

#: May import ``tui_app.ui`` (and so Textual), only from inside a function: starting the wizard.
UI_ENTRY_POINTS = {"tui_app.cli"}


def _reaches_the_ui(name: str, item: Import) -> bool:
    if within(item.target, "textual"):
        return True
    starts_the_wizard = name in UI_ENTRY_POINTS and item.when == DEFERRED
    return within(item.target, "tui_app.ui") and not starts_the_wizard


def test_core_never_imports_textual_nor_the_ui():
    wrong = [where(name, item) for name in CORE for item in IMPORTS[name]
             if _reaches_the_ui(name, item)]
    assert wrong == []


def test_screens_never_import_the_orchestrator_package():
    wrong = [where(name, item) for name in SCREENS for item in IMPORTS[name]
             if within(item.target, "tui_app.orchestrator")]
    assert wrong == []


#: Package -> what it may import from the rest of tui_app ("tui_app" itself: ``__version__``).
LAYERS = {
    "tui_app.orchestrator": {"tui_app", "tui_app.urls"},
    "tui_app.arguments": set(),
    "tui_app.sandbox": set(),
}


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_self_contained_packages(layer):
    allowed = LAYERS[layer]
    wrong = [where(name, item) for name in MODULES if within(name, layer)
             for item in IMPORTS[name]
             if within(item.target, "tui_app") and not within(item.target, layer)
             and item.target not in allowed]
    assert wrong == []


# -- cycles ----------------------------------------------------------------------------------

#: Cycles through deferred imports (inside functions) that are being broken: remove the entry
#: when its cycle is gone (the test says so).
def import_cycles(*, deferred: bool) -> list[list[str]]:
    """The sets of core modules that import each other in a circle (Tarjan's strongly
    connected components); ``deferred`` counts imports inside functions too. Imports for
    type checkers only never run, so they make no cycle."""
    counted = (AT_IMPORT, DEFERRED) if deferred else (AT_IMPORT,)
    graph = {name: sorted({item.target for item in IMPORTS[name]
                           if item.target in CORE and item.target not in ("tui_app", name)
                           and item.when in counted})
             for name in CORE}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def connect(name: str) -> None:
        index[name] = low[name] = len(index)
        stack.append(name)
        for target in graph[name]:
            if target not in index:
                connect(target)
                low[name] = min(low[name], low[target])
            elif target in stack:
                low[name] = min(low[name], index[target])
        if low[name] == index[name]:
            component = [stack.pop()]
            while component[-1] != name:
                component.append(stack.pop())
            if len(component) > 1:
                cycles.append(sorted(component))

    for name in CORE:
        if name not in index:
            connect(name)
    return sorted(cycles)


def test_no_import_cycles_at_import_time():
    assert import_cycles(deferred=False) == []


def test_no_import_cycles_even_through_deferred_imports():
    """A deferred import only hides a cycle: seed <-> hostile and connection <-> profiles <->
    secret_sources were two."""
    assert import_cycles(deferred=True) == []
