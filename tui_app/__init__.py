"""startjob: a terminal wizard that starts UiPath Orchestrator jobs."""

__version__ = "0.1.0"
