"""One screen per wizard step, imported on first use (start-up only needs Connect)."""

from __future__ import annotations

import importlib

from tui_app.wizard.flow import STEPS

#: Step name -> (module, class): the ``Folder`` step is ``folder.FolderScreen``.
_WHERE = {step: (step.lower(), f"{step}Screen") for step in STEPS}


def screen_class(step: str) -> type:
    """The screen class of a wizard step."""
    module, name = _WHERE[step]
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def __getattr__(name: str):
    for step, (_, class_name) in _WHERE.items():
        if class_name == name:
            return screen_class(step)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
