"""What a session action tells a screen when Orchestrator could not do it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Optional

from tui_app.orchestrator.errors import OrchestratorError, RateLimited


class ServerProblem(Exception):
    """Orchestrator could not do what a step asked; ``text`` says what for the message line."""

    def __init__(self, error: OrchestratorError) -> None:
        super().__init__(str(error))
        self.error = error

    @property
    def text(self) -> str:
        """The title and message, then the server's facts (status, code, trace id) if any."""
        text = f"{self.error.title}. {self.error.message}"
        details = self.error.details()
        return f"{text}\n({details})" if details else text

    @property
    def slow_down(self) -> bool:
        """Orchestrator asked for fewer requests (HTTP 429)."""
        return isinstance(self.error, RateLimited)

    @property
    def retry_after(self) -> Optional[float]:
        """Seconds Orchestrator asked to wait, when it said."""
        return getattr(self.error, "retry_after", None)


@contextmanager
def asking_orchestrator() -> Iterator[None]:
    """Turn an ``OrchestratorError`` raised inside into a ``ServerProblem``."""
    try:
        yield
    except OrchestratorError as exc:
        raise ServerProblem(exc) from exc
