"""One screen per wizard step, imported on first use (start-up only needs Connect)."""

from __future__ import annotations

import importlib

#: Step name -> (module, class).
_WHERE = {
    "Connect": ("connect", "ConnectScreen"),
    "Folder": ("folder", "FolderScreen"),
    "Process": ("process", "ProcessScreen"),
    "Release": ("release", "ReleaseScreen"),
    "Strategy": ("strategy", "StrategyScreen"),
    "Arguments": ("arguments", "ArgumentsScreen"),
    "Review": ("review", "ReviewScreen"),
    "Run": ("run", "RunScreen"),
}


def screen_class(step: str) -> type:
    """The screen class of a wizard step."""
    module, name = _WHERE[step]
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def __getattr__(name: str):
    for step, (_, class_name) in _WHERE.items():
        if class_name == name:
            return screen_class(step)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
