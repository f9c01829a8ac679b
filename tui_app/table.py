"""Plain-text tables that fit the terminal (``startjob templates``, ``startjob history``),
and links in terminal output."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Collection, Mapping, Sequence
from typing import Optional, TextIO

_GAP = "  "
#: A shortened column keeps at least this many characters (or its header, if longer).
_MIN_WIDTH = 6


def terminal_width() -> int:
    """The terminal's width in columns (``$COLUMNS`` first; 80 when not a terminal)."""
    return shutil.get_terminal_size((80, 24)).columns


def format_table(rows: Sequence[Sequence[str]], width: Optional[int] = None, *,
                 keep: Collection[int] = (), rule: bool = False) -> list:
    """``rows`` (the first is the header) as lines of at most ``width`` characters (None: as
    wide as the cells need).

    The widest column is shortened first (its cells cut with "…"), one character at a time,
    until the table fits or every column is at its minimum; the columns in ``keep`` are never
    shortened. ``rule`` adds a line of dashes under the header. Cells must already be
    single-line, visible text.
    """
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    floors = [w if c in keep else min(w, max(_MIN_WIDTH, len(cell)))
              for c, (w, cell) in enumerate(zip(widths, rows[0]))]
    excess = 0 if width is None else sum(widths) + len(_GAP) * (len(widths) - 1) - width
    while excess > 0:
        shrinkable = [c for c, w in enumerate(widths) if w > floors[c]]
        if not shrinkable:
            break
        widest = max(shrinkable, key=lambda c: widths[c])
        widths[widest] -= 1
        excess -= 1
    lines = [_line(row, widths) for row in rows]
    if rule:
        lines.insert(1, _GAP.join("-" * w for w in widths))
    return lines


def _line(row: Sequence[str], widths: list) -> str:
    cells = [cell if len(cell) <= w else cell[: w - 1] + "…" for cell, w in zip(row, widths)]
    return _GAP.join(cell.ljust(w) for cell, w in zip(cells, widths)).rstrip()


def link(url: str, stream: Optional[TextIO] = None,
         environ: Optional[Mapping[str, str]] = None) -> str:
    """``url`` as plain text, made an OSC 8 hyperlink only when ``stream`` (default stdout)
    is a terminal, ``NO_COLOR`` is not set and ``TERM`` is set and not ``dumb``: the one place
    that decides. Control characters in ``url`` are shown, never sent."""
    from tui_app.text import visible

    shown = visible(url, single_line=True)
    stream = sys.stdout if stream is None else stream
    environ = os.environ if environ is None else environ
    try:
        terminal = stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        terminal = False
    if not terminal or environ.get("NO_COLOR") or environ.get("TERM", "") in ("", "dumb"):
        return shown
    return f"\x1b]8;;{shown}\x1b\\{shown}\x1b]8;;\x1b\\"
