"""What the Save dialogs ask the session to do, and what a saved choice is: plain, typed."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, Optional

#: Shown instead of an ``ask`` argument's value (and of a secret in an error message).
MASK = "•••"


class TemplateIdentity(NamedTuple):
    """The template file the current choice was saved to or opened from."""

    name: str
    path: Optional[Path]


@dataclass(frozen=True)
class SaveTemplateRequest:
    name: str
    description: str
    #: Argument names asked at every replay, never stored.
    ask: tuple[str, ...] = ()
    #: ``[bindings]``: argument or content field name -> dotted path into an event.
    bindings: dict[str, str] = field(default_factory=dict)
    #: The file to write; None: ``slug(name).toml`` in the personal templates folder.
    path: Optional[Path] = None


@dataclass(frozen=True)
class SaveProfileRequest:
    name: str
    #: Keyword arguments for ``profiles.profile_from_settings`` (where the secret comes from).
    source: dict[str, str] = field(default_factory=dict)
    store_secret: bool = False
