"""Make untrusted text safe to show in a terminal.

Server strings (process names, descriptions, robot names, error messages, job Info) are data,
never markup or terminal control. ``visible`` keeps every printable character (any script,
emoji, combining marks) and turns control characters into visible symbols, so an ESC or OSC
sequence is shown, not obeyed. Callers still render the result as plain text (no markup).
"""

from __future__ import annotations

import unicodedata

_C0_PICTURES = {code: chr(0x2400 + code) for code in range(0x20)}
_C0_PICTURES[0x7F] = "\u2421"  # DEL
_KEEP = {"\n": "\n", "\t": "\t"}


def visible(text: object, *, single_line: bool = False, limit: int | None = None) -> str:
    """Return ``text`` with control characters made visible (and optionally shortened).

    A line break (LF, or CRLF as in .NET stack traces) stays a line break; ``single_line``
    shows line breaks and tabs as symbols instead, for table cells and titles.
    ``limit`` cuts very long text with an ellipsis (the full text stays available elsewhere).
    """
    if text is None:
        return ""
    source = str(text)
    if limit is not None and len(source) > limit:
        source = source[: max(limit - 1, 0)] + "…"
    if source.isprintable():
        # The common case, and fast: every control, format and surrogate character (and
        # every line break and tab) is non-printable, so there is nothing to replace.
        return source
    if not single_line:
        source = source.replace("\r\n", "\n")
    out = []
    for char in source:
        code = ord(char)
        if char in _KEEP and not single_line:
            out.append(char)
        elif code in _C0_PICTURES:
            out.append(_C0_PICTURES[code])
        elif 0x80 <= code <= 0x9F or unicodedata.category(char) in ("Cc", "Cs"):
            out.append(f"\\x{code:02x}")
        elif unicodedata.category(char) == "Cf" and char not in ("\u200d", "\u200c"):
            # Bidi overrides and other invisible format characters: show their code point.
            out.append(f"<U+{code:04X}>")
        else:
            out.append(char)
    return "".join(out)


def one_to_one(text: str) -> str:
    """Like ``visible`` but exactly one character per character (for editors with a cursor).

    C0 controls become their control pictures (␛, ␀ …), DEL becomes ␡, and C1 controls and
    invisible format characters (bidi overrides and the like) become U+FFFD.
    """
    out = []
    for char in text:
        code = ord(char)
        if code in _C0_PICTURES:
            out.append(_C0_PICTURES[code])
        elif 0x80 <= code <= 0x9F or (
            unicodedata.category(char) in ("Cf", "Cs") and char not in ("\u200d", "\u200c")
        ):
            out.append("\ufffd")
        else:
            out.append(char)
    return "".join(out)
