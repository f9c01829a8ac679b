"""A job's output arguments as JSON text, wherever Orchestrator keeps them.

Small outputs come in ``JobDto.OutputArguments``; outputs too large for it are a job
attachment named by ``OutputFile`` (v20), downloaded here. ``startjob run``, ``startjob
watch`` and the wizard's Run step all read outputs through ``output_arguments``.
"""

from __future__ import annotations

from typing import Any, Optional

from tui_app.orchestrator.models import Job


async def output_arguments(client: Any, job: Job) -> Optional[str]:
    """``job.output_arguments``, or the text of its ``OutputFile`` attachment (UTF-8 JSON,
    like ``OutputArguments``); None when the job has neither. A failed download is the
    client's ``OrchestratorError``."""
    if job.output_arguments is not None or not job.output_file:
        return job.output_arguments
    content = await client.read_attachment(job.output_file)
    return content.decode("utf-8-sig", errors="replace")
