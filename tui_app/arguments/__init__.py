"""Process input arguments: read their types, convert values, build ``InputArguments``.

Typical use::

    specs = parse_arguments_input(release.arguments_input)
    defaults = parse_process_defaults(release.input_arguments)
    values, errors = collect_values(specs, texts_by_name, defaults)
    if not errors:
        input_arguments = build_input_arguments(values)
"""

from __future__ import annotations

from .dotnet_types import DotNetType, DotNetTypeError, parse_type_name
from .errors import (
    ArgumentError,
    ArgumentsFormatError,
    ArgumentValueError,
    InputArgumentsTooLarge,
)
from .kinds import Kind
from .payload import (
    MAX_INPUT_ARGUMENTS_LENGTH,
    build_input_arguments,
    collect_values,
    parse_process_defaults,
)
from .spec import ArgumentSpec, parse_arguments_input

__all__ = [
    "MAX_INPUT_ARGUMENTS_LENGTH",
    "ArgumentError",
    "ArgumentSpec",
    "ArgumentValueError",
    "ArgumentsFormatError",
    "DotNetType",
    "DotNetTypeError",
    "InputArgumentsTooLarge",
    "Kind",
    "build_input_arguments",
    "collect_values",
    "parse_arguments_input",
    "parse_process_defaults",
    "parse_type_name",
]
