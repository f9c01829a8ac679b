"""Output arguments of a job, wherever Orchestrator keeps them."""

from __future__ import annotations

from typing import Any, Optional

from tui_app.orchestrator.models import Job


# contract (issue 15): core helper's version wins at merge
async def output_arguments(client: Any, job: Job) -> Optional[str]:
    """``job.output_arguments``, or the downloaded ``OutputFile`` text when it has one."""
    if job.output_arguments or not job.output_file:
        return job.output_arguments
    return (await client.read_attachment(job.output_file)).decode("utf-8", "replace")
