"""Errors raised while reading argument metadata and converting argument values."""

from __future__ import annotations


class ArgumentError(ValueError):
    """Base class for every problem with process arguments."""


class ArgumentsFormatError(ArgumentError):
    """Orchestrator sent argument metadata or process defaults that cannot be read."""


class ArgumentValueError(ArgumentError):
    """A value does not fit its argument; ``str()`` is ``"<argument>: <problem>"``."""

    def __init__(self, argument: str, problem: str) -> None:
        super().__init__(f"{argument}: {problem}")
        self.argument = argument
        self.problem = problem


class InputArgumentsTooLarge(ArgumentError):
    """The JSON of all input arguments is longer than Orchestrator accepts."""

    def __init__(self, size: int, limit: int, largest: list[tuple[str, int]]) -> None:
        biggest = ", ".join(f"{name} ({length:,} characters)" for name, length in largest)
        super().__init__(
            f"The input arguments are {size:,} characters as JSON, but Orchestrator accepts at "
            f"most {limit:,}. Largest: {biggest}. Shorten or leave out some values."
        )
        self.size = size
        self.limit = limit
        #: ``(argument name, characters)`` of the biggest arguments, biggest first.
        self.largest = largest
