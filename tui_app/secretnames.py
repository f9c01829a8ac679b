"""Names that look like they hold a secret: one rule for drafts, templates, profiles and the
debug log (each leaves such a value out, refuses the key, or masks it)."""

from __future__ import annotations

import re

_SECRET_NAME = re.compile(
    r"pass(word|wd|phrase)?|pwd|secret|token|assertion|api[-_ ]?key|private[-_ ]?key|"
    r"credential|authorization|cookie|\bpin\b|\botp\b",
    re.IGNORECASE,
)
#: Names that look like secrets but are not (an OAuth answer's ``token_type``).
_HARMLESS = frozenset({"token_type", "tokentype"})


def looks_secret(name: object) -> bool:
    """True when a field, argument, header or key name looks like it holds a secret."""
    text = str(name)
    return text.lower() not in _HARMLESS and bool(_SECRET_NAME.search(text))
