"""Process input arguments: read their types, convert values, build ``InputArguments``.

Typical use::

    specs = parse_arguments_input(release.arguments_input)
    defaults = parse_process_defaults(release.input_arguments)
    values, errors = collect_values(specs, texts_by_name, defaults)
    if not errors:
        input_arguments = build_input_arguments(values)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: Public name -> the submodule that defines it. The submodules load on first use: the
#: wizard's first frame needs none of them (start-up time), only ``jsontext`` now and then.
_WHERE = {
    "DotNetType": "dotnet_types", "DotNetTypeError": "dotnet_types",
    "parse_type_name": "dotnet_types",
    "ArgumentError": "errors", "ArgumentsFormatError": "errors",
    "ArgumentValueError": "errors", "InputArgumentsTooLarge": "errors",
    "Kind": "kinds",
    "MAX_INPUT_ARGUMENTS_LENGTH": "payload", "build_input_arguments": "payload",
    "collect_values": "payload", "parse_process_defaults": "payload",
    "ArgumentSpec": "spec", "parse_arguments_input": "spec",
}

if TYPE_CHECKING:
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


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


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
