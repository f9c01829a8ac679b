"""Exit codes of ``startjob run`` (headless replay of a template), for scripts and schedulers.

Kept in this small module so ``startjob --help`` can show them without importing the
replay machinery.
"""

from __future__ import annotations

#: Jobs started (with ``--wait``: every job ended Successful); ``--dry-run``: request valid.
EXIT_OK = 0
#: With ``--wait``: at least one job ended Faulted or Stopped.
EXIT_JOB_FAILED = 1
#: Usage or template error, a missing or invalid argument value, or drift that blocks.
EXIT_USAGE = 2
#: Sign-in failed, or Orchestrator could not be reached.
EXIT_CONNECTION = 3
#: Orchestrator refused a request (e.g. no robot can take the job, not allowed, not found).
EXIT_REFUSED = 4
#: With ``--wait --timeout``: not every job had ended in time (they keep running).
EXIT_TIMEOUT = 5

EXIT_CODES = (
    (EXIT_OK, "started (with --wait: every job ended Successful); --dry-run: request is valid"),
    (EXIT_JOB_FAILED, "with --wait: a job ended Faulted or Stopped"),
    (EXIT_USAGE, "usage or template error, missing/invalid argument, drift that blocks"),
    (EXIT_CONNECTION, "sign-in failed or Orchestrator cannot be reached"),
    (EXIT_REFUSED, "Orchestrator refused the request"),
    (EXIT_TIMEOUT, "with --wait: --timeout passed before every job ended"),
)


def exit_codes_help() -> str:
    """The exit-code table as ``--help`` text."""
    return "exit codes:\n" + "\n".join(f"  {code}  {text}" for code, text in EXIT_CODES)
