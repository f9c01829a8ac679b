"""Exit codes of ``startjob run`` (headless replay of a template), for scripts and schedulers.

Kept in this small module so ``startjob --help`` can show them without importing the
replay machinery.
"""

from __future__ import annotations

#: Jobs started (with ``--wait``: every job ended Successful); a queue item added (with
#: ``--wait``: processed Successful); ``--dry-run``: request valid (the pre-flight check
#: found nothing that blocks; warnings are printed). Also: the ``--event`` does not match the
#: template's ``filter``, so nothing was started on purpose (``--output json`` has
#: ``"filter_matches": false``).
EXIT_OK = 0
#: With ``--wait``: at least one job ended Faulted or Stopped; the queue item ended Failed
#: or Abandoned (or was deleted).
EXIT_JOB_FAILED = 1
#: Usage or template error, a missing or invalid argument value (input arguments over
#: 10,000 characters without ``--large-input=file`` too), or drift that blocks (a saved entry
#: point, machine, host or runtime type that is gone, or machines that cannot be read). Also:
#: the production guard stopped a start it protects (no ``--yes``, not confirmed on the
#: terminal); nothing was sent.
EXIT_USAGE = 2
#: Sign-in failed, or Orchestrator could not be reached or failed (a wrong URL, 5xx,
#: throttling): no job was started.
EXIT_CONNECTION = 3
#: Orchestrator refused a request (e.g. no robot can take the job, not allowed, not found;
#: also the upload of large input as a file: refused, or no job attachments on this server),
#: or ``--dry-run``'s pre-flight check found a reason the job could not run: no job was
#: started. For a queue item: the queue refused it (a duplicate reference, content its schema
#: refuses), or a unique-reference queue already has an item with the reference (checked
#: before adding): nothing was added.
EXIT_REFUSED = 4
#: With ``--wait --timeout``: not every job had ended in time (they keep running), or the
#: queue item was not processed in time (it stays in the queue).
EXIT_TIMEOUT = 5
#: With ``--wait``: the jobs started (the item was added), but following them failed (they
#: keep running; the item stays in the queue).
EXIT_NOT_FOLLOWED = 6
#: The answer to the start (or the item's addition) was lost and Orchestrator could not be
#: asked whether the jobs (the item) exist: look for the reference before trying again.
EXIT_UNKNOWN = 7
#: With ``--wait``: every job rested, none failed, but at least one is Suspended (a
#: long-running workflow waiting on a trigger: a queue item, a job, a task, a timer). It goes
#: on by itself when the trigger fires; it is not a timeout.
EXIT_SUSPENDED = 8
#: A batch (``--rows``, ``--events``): some rows were refused (or did not validate, for an
#: event), the others started; running the same command again retries the refused rows.
EXIT_SOME_REFUSED = 9

EXIT_CODES = (
    (EXIT_OK, "started (with --wait: every job ended Successful), or the queue item added "
              "(with --wait: Successful); --dry-run: request is valid; the --event does not "
              "match the template's filter (nothing started)"),
    (EXIT_JOB_FAILED, "with --wait: a job ended Faulted or Stopped, or the queue item "
                      "Failed or Abandoned"),
    (EXIT_USAGE, "usage or template error, missing/invalid argument (too large without "
                 "--large-input=file), drift that blocks, a protected start not confirmed "
                 "(--yes)"),
    (EXIT_CONNECTION, "sign-in failed, or Orchestrator cannot be reached or failed; "
                      "nothing started"),
    (EXIT_REFUSED, "Orchestrator refused the request (or the upload of --large-input=file), "
                   "or --dry-run's pre-flight check found a reason it cannot run; a queue's "
                   "unique reference is taken; nothing started or added"),
    (EXIT_TIMEOUT, "with --wait: --timeout passed before every job ended (or the item was "
                   "processed)"),
    (EXIT_NOT_FOLLOWED, "with --wait: the jobs started, but following them failed"),
    (EXIT_UNKNOWN, "not known whether the jobs started (the item was added): look for the "
                   "reference first"),
    (EXIT_SUSPENDED, "with --wait: a job is Suspended, waiting on a trigger (none failed)"),
    (EXIT_SOME_REFUSED, "a batch (--rows, --events): some rows were refused, the others "
                        "started (4: every row refused)"),
)


def exit_codes_help() -> str:
    """The exit-code table as ``--help`` text."""
    return "exit codes:\n" + "\n".join(f"  {code}  {text}" for code, text in EXIT_CODES)
