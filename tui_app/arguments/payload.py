"""From form texts to the ``InputArguments`` string of a StartJobs request."""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Any, Optional

from .errors import ArgumentsFormatError, ArgumentValueError, InputArgumentsTooLarge
from .jsontext import JsonSyntaxError, describe, dumps, loads
from .spec import ArgumentSpec

#: Orchestrator's limit for the whole ``InputArguments`` JSON, in .NET (UTF-16) characters.
MAX_INPUT_ARGUMENTS_LENGTH = 10_000

_DEFAULTS = "The release's InputArguments (its process-level default values)"


def parse_process_defaults(raw: Optional[str]) -> dict[str, Any]:
    """Read a release's ``InputArguments`` (a JSON string of an object); None/empty → {}."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return {}
    if not isinstance(raw, str):
        raise ArgumentsFormatError(f"{_DEFAULTS} should be JSON text, but it is {describe(raw)}")
    try:
        defaults = loads(raw, unique_keys=False)
    except JsonSyntaxError as exc:
        raise ArgumentsFormatError(f"{_DEFAULTS} is not valid JSON: {exc}") from None
    if defaults is None:
        return {}
    if not isinstance(defaults, dict):
        raise ArgumentsFormatError(
            f"{_DEFAULTS} should be a JSON object, but it is {describe(defaults)}"
        )
    return defaults


def collect_values(
    specs: Sequence[ArgumentSpec],
    texts: Mapping[str, str],
    defaults: Optional[Mapping[str, Any]] = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Convert form texts into ``(values to send, errors by argument name)``.

    Blank text leaves the argument out, so Orchestrator applies the process-level or Studio
    default; a required argument left blank without a process-level default is an error.
    A text for a name that is not an argument of the process is an error too.
    """
    defaults = defaults or {}
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for spec in specs:
        text = texts.get(spec.name, "")
        if not text.strip():
            if spec.required and spec.name not in defaults:
                errors[spec.name] = f"{spec.name} is required"
            continue
        try:
            values[spec.name] = spec.parse(text)
        except ArgumentValueError as exc:
            errors[spec.name] = str(exc)
    known = [spec.name for spec in specs]
    for name in texts:
        if name not in known:
            errors[name] = _unknown_argument(name, known)
    return values, errors


def _unknown_argument(name: str, known: list[str]) -> str:
    problem = f"{name} is not an input argument of this process"
    by_case = {candidate.lower(): candidate for candidate in known}
    guess = by_case.get(name.lower()) or next(iter(difflib.get_close_matches(name, known, 1)),
                                               None)
    if guess:
        return f"{problem} — did you mean {guess}?"
    if not known:
        return f"{problem}, which has no input arguments"
    return f"{problem}; its arguments are {', '.join(known)}"


def build_input_arguments(values: Mapping[str, Any]) -> str:
    """Compact JSON of the values (non-ASCII kept, decimals exact) for ``InputArguments``.

    Raises :class:`InputArgumentsTooLarge` above :data:`MAX_INPUT_ARGUMENTS_LENGTH`.
    """
    text = dumps(dict(values))
    size = _dotnet_length(text)
    if size > MAX_INPUT_ARGUMENTS_LENGTH:
        sizes = sorted(
            ((name, _dotnet_length(dumps({name: value})) - 2) for name, value in values.items()),
            key=lambda pair: pair[1],
            reverse=True,
        )
        raise InputArgumentsTooLarge(size, MAX_INPUT_ARGUMENTS_LENGTH, sizes[:3])
    return text


def _dotnet_length(text: str) -> int:
    """Length as .NET counts it: UTF-16 code units (an emoji counts twice)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2
