"""One screen per wizard step, imported on first use (start-up only needs Connect)."""

from __future__ import annotations

import importlib

from tui_app.actions import DEFAULT_ACTION
from tui_app.wizard.flow import FLOWS


def _class_name(module: str) -> str:
    return "".join(part.capitalize() for part in module.split("_")) + "Screen"


#: (action, step name) -> (module, class): the job flow's ``Folder`` step is
#: ``folder.FolderScreen``, the queue flow's ``Review`` is ``queue_review.QueueReviewScreen``.
_WHERE = {(action, step.name): (step.module, _class_name(step.module))
          for action, steps in FLOWS.items() for step in steps}


def screen_class(step: str, action: str = DEFAULT_ACTION) -> type:
    """The screen class of a wizard step of ``action``."""
    module, name = _WHERE[(action, step)]
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def __getattr__(name: str):
    for module, class_name in _WHERE.values():
        if class_name == name:
            return getattr(importlib.import_module(f"{__name__}.{module}"), class_name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
