"""How the Run step tells that every job has ended: ``STARTJOB_NOTIFY``.

- ``bell`` (the default): the terminal bell;
- ``osc9``: a desktop notification by OSC 9 (iTerm2, WezTerm, Windows Terminal, kitty,
  foot and others show it; other terminals ignore it), and the bell;
- ``off``: nothing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Optional

NOTIFY_ENV = "STARTJOB_NOTIFY"
MODES = ("bell", "osc9", "off")


def notify_mode(environ: Optional[Mapping[str, str]] = None) -> tuple[str, Optional[str]]:
    """(mode, why the setting was not understood or None); an unknown value rings the bell."""
    value = (os.environ if environ is None else environ).get(NOTIFY_ENV, "").strip().lower()
    if not value:
        return "bell", None
    if value in MODES:
        return value, None
    return "bell", (f"{NOTIFY_ENV}={value[:20]!r} is not one of {', '.join(MODES)}; the "
                    "terminal bell rings when every job has ended.")
