"""A job's output arguments as JSON text, wherever Orchestrator keeps them.

Small outputs come in ``JobDto.OutputArguments``; outputs too large for it are a job
attachment named by ``OutputFile`` (v20), downloaded here. ``startjob run``, ``startjob
watch`` and the wizard's Run step all read outputs through ``output_arguments`` (or
``with_outputs`` for a list of jobs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Callable, Optional

from tui_app.orchestrator.models import Job


async def output_arguments(client: Any, job: Job) -> Optional[str]:
    """``job.output_arguments``, or the text of its ``OutputFile`` attachment (UTF-8 JSON,
    like ``OutputArguments``); None when the job has neither. A failed download is the
    client's ``OrchestratorError``."""
    if job.output_arguments is not None or not job.output_file:
        return job.output_arguments
    content = await client.read_attachment(job.output_file)
    return content.decode("utf-8-sig", errors="replace")


async def with_outputs(client: Any, jobs: Sequence[Job],
                       warn: Callable[[str], Any]) -> list[Job]:
    """``jobs`` with the output arguments of those whose outputs are a file downloaded into
    ``output_arguments``; a download that fails is ``warn``\\ ed and the job kept as it is."""
    from tui_app.orchestrator.errors import OrchestratorError

    found = []
    for job in jobs:
        if job.output_arguments is None and job.output_file:
            try:
                job = replace(job, output_arguments=await output_arguments(client, job))
            except OrchestratorError as exc:
                warn(f"The output arguments of job {job.id} (the attachment "
                     f"{job.output_file}) could not be read: {exc}")
        found.append(job)
    return found
