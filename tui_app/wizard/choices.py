"""Reading what a release and the typed texts mean: its input arguments, a number of jobs."""

from __future__ import annotations

from functools import lru_cache
from typing import Optional

from tui_app.arguments.spec import ArgumentSpec, parse_arguments_input
from tui_app.orchestrator.models import EntryPoint, Release
from tui_app.plan import MAX_JOBS_COUNT
from tui_app.resolver import argument_source
from tui_app.text import visible


@lru_cache(maxsize=64)
def _specs(raw: Optional[str]) -> tuple[ArgumentSpec, ...]:
    return tuple(parse_arguments_input(raw))


def argument_specs(release: Optional[Release],
                   entry_point: Optional[EntryPoint] = None) -> tuple[ArgumentSpec, ...]:
    """The input arguments of the release, or of its chosen ``entry_point`` (cached: the
    form is rebuilt often, the JSON is not). Raises ``ArgumentsFormatError`` when they
    cannot be read."""
    if release is None:
        return ()
    return _specs(argument_source(release, entry_point))


def parse_jobs_count(text: str) -> int:
    """The number of jobs typed, or ValueError with a sentence saying what is allowed."""
    value = text.strip()
    if not value.isdigit() or not 1 <= int(value) <= MAX_JOBS_COUNT:
        raise ValueError(
            f"Number of jobs: type a whole number from 1 to {MAX_JOBS_COUNT:,}"
            f" (got {visible(value, single_line=True)!r})."
        )
    return int(value)
