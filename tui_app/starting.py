"""Start jobs exactly once, and say honestly what happened when the answer is lost.

``StartJobs`` is not idempotent: sending it twice starts the jobs twice. The client never
retries it. When the request fails in a way that leaves open whether Orchestrator acted on it
(a timeout after sending, a dropped or reset connection, a 5xx, an unreadable 2xx answer), this
module asks Orchestrator for the jobs carrying the request's unique ``Reference`` and reports
the real outcome:

- ``started``: the jobs exist (listed in ``jobs``); do not start again.
- ``not_started``: Orchestrator refused the request, the request never left this computer, or
  Orchestrator confirmed it has no job with that reference. Starting again is safe, and is a
  new, explicit request (with a new reference).
- ``unknown``: the start failed ambiguously and Orchestrator could not be asked either. The
  message says what to check: the reference to search for on Orchestrator's Jobs page.

A refusal Orchestrator explains with a known code or message (``tui_app.diagnosis``) gets
that explanation and what to do in its message.

``preflight`` checks a body with ``ValidateDynamicJob`` first (it starts nothing) and says what
it found, or why it could not check; it never raises for a server problem.

Every message is plain words for support staff (never markup; show it as plain text).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import httpx

from tui_app import diagnosis
from tui_app.diagnosis import Finding
from tui_app.orchestrator.errors import (
    AuthenticationError,
    CertificateError,
    ConnectionFailed,
    NotAvailable,
    NotFound,
    OrchestratorError,
    ProtocolError,
    RequestRejected,
)
from tui_app.orchestrator.failures import exception_chain
from tui_app.text import visible

__all__ = [
    "AMBIGUOUS",
    "NOT_SENT",
    "NOT_STARTED",
    "REFUSED",
    "STARTED",
    "PREFLIGHT_UNAVAILABLE",
    "UNKNOWN",
    "Preflight",
    "StartOutcome",
    "classify_failure",
    "preflight",
    "start_once",
]

log = logging.getLogger(__name__)
# The outcome message says it all: without a configured handler (a headless run), the
# warnings below must not reach standard error through logging's last-resort handler.
# They still reach every handler up the tree (``--debug``'s log).
log.addHandler(logging.NullHandler())

#: ``StartOutcome.status`` values.
STARTED = "started"
NOT_STARTED = "not_started"
UNKNOWN = "unknown"

#: What a failed start request means (``classify_failure``).
REFUSED = "refused"  # Orchestrator answered and said no: nothing was started
NOT_SENT = "not_sent"  # the request never reached Orchestrator: nothing was started
AMBIGUOUS = "ambiguous"  # it may or may not have been acted on: ask Orchestrator

#: Waits between lookups: BACKOFF, then twice that, and so on.
BACKOFF = 0.5

#: ``errorCode`` numbers that are refusals whatever the HTTP status (1670: the robot already
#: has a pending job of this process, whose HTTP status is not documented; 2818: no machine
#: with Unattended or NonProduction runtimes in the folder).
REFUSAL_CODES = frozenset({"1670", "2818"})

#: What ``preflight`` says when the server has no ``ValidateDynamicJob``.
PREFLIGHT_UNAVAILABLE = "The pre-flight check is not available on this server."

_TITLES = {
    STARTED: "Jobs started",
    NOT_STARTED: "No job was started",
    UNKNOWN: "Not known whether the jobs started",
}

# httpx failures that happen before a single byte of the request is sent.
_BEFORE_SENDING = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.ProxyError,
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,
    httpx.InvalidURL,
)
_SIGN_IN_PATHS = ("/connect/token", "/api/account/authenticate")


@dataclass(frozen=True)
class StartOutcome:
    """What became of one StartJobs request."""

    #: ``"started"``, ``"not_started"`` or ``"unknown"``.
    status: str
    #: The started jobs (from the answer, or found by reference); empty otherwise.
    jobs: list = field(default_factory=list)
    #: Why the start request failed (None when it was answered normally).
    error: Optional[OrchestratorError] = None
    #: What happened and what to do, in plain words.
    message: str = ""
    #: The ``Reference`` the request carried.
    reference: str = ""
    #: Why the last lookup failed, when one did.
    lookup_error: Optional[OrchestratorError] = None
    #: How many lookups Orchestrator answered.
    lookups: int = 0

    @property
    def started(self) -> bool:
        return self.status == STARTED

    @property
    def not_started(self) -> bool:
        return self.status == NOT_STARTED

    @property
    def unknown(self) -> bool:
        return self.status == UNKNOWN

    @property
    def safe_to_retry(self) -> bool:
        """True only when no job was started (a new start is then a new request)."""
        return self.status == NOT_STARTED

    @property
    def title(self) -> str:
        """A short heading for the message."""
        return _TITLES.get(self.status, self.status)


# ------------------------------------------------------------------------------ classification


def _httpx_cause(error: BaseException) -> Optional[BaseException]:
    for item in exception_chain(error):
        if isinstance(item, (httpx.HTTPError, httpx.InvalidURL)):
            return item
    return None


def _is_sign_in(exc: BaseException) -> bool:
    request = getattr(exc, "_request", None)
    if request is None:
        return False
    path = request.url.path.rstrip("/").lower()
    return path.endswith(_SIGN_IN_PATHS)


def classify_failure(error: OrchestratorError) -> str:
    """``REFUSED``, ``NOT_SENT`` or ``AMBIGUOUS`` for an error raised by ``start_jobs``.

    Refused: Orchestrator answered with a 4xx other than 408 (400, 401, 403, 404, 409, 413,
    422, 429...), a redirect, the sign-in was refused, or the answer carries one of the
    ``REFUSAL_CODES`` (any status). Not sent: connecting failed (DNS,
    refused, TLS, proxy, connect timeout) or the sign-in request itself failed, so the start
    request never went out. Everything else may have started jobs.
    """
    if isinstance(error, AuthenticationError) or str(error.error_code) in REFUSAL_CODES:
        return REFUSED
    status = error.status
    if status is not None and 400 <= status < 500 and status != 408:
        return REFUSED
    if isinstance(error, ProtocolError) and status is not None and 300 <= status < 400:
        return REFUSED
    if isinstance(error, CertificateError):
        return NOT_SENT
    if isinstance(error, ConnectionFailed) and status is None:
        cause = _httpx_cause(error)
        if cause is not None and (isinstance(cause, _BEFORE_SENDING) or _is_sign_in(cause)):
            return NOT_SENT
    return AMBIGUOUS


# ------------------------------------------------------------------------------ messages


def _where(client: Any) -> str:
    folder = getattr(client, "folder", None)
    path = getattr(folder, "path", None)
    return f" in folder {path}" if path else ""


def _failure(error: OrchestratorError) -> str:
    """A short phrase for an ambiguous failure, e.g. "Orchestrator had a problem, HTTP 503"."""
    text = error.title
    if error.status is not None:
        text += f", HTTP {error.status}"
    return text


def _jobs_phrase(jobs: list) -> str:
    count = len(jobs)
    ids = ", ".join(str(job.id) for job in jobs[:10])
    more = f" and {count - 10} more" if count > 10 else ""
    return f"{count} job{'s' if count != 1 else ''} (id {ids}{more})"


def _check_hint(reference: str, where: str) -> str:
    return (f"Open Orchestrator's Jobs page{where} and search for the reference {reference} "
            "(the Reference filter): if a job with that reference is listed, the start went "
            "through and must not be repeated.")


def _started(jobs: list, reference: str) -> StartOutcome:
    if jobs:
        message = f"Orchestrator started {_jobs_phrase(jobs)}, reference {reference}."
    else:
        message = (f"Orchestrator accepted the start request (reference {reference}) but "
                   "listed no jobs. Check the Jobs page before starting again.")
    return StartOutcome(STARTED, list(jobs), None, message, reference)


def _said(error: OrchestratorError) -> str:
    """The error's message, plus the server's own words when the message does not hold them."""
    text = error.message.strip()
    said = (error.server_message or "").strip()
    if said and said not in text:
        text += f" (Orchestrator said: {said})"
    return text


def _refused(error: OrchestratorError, reference: str) -> StartOutcome:
    finding = diagnosis.explain_refusal(error)
    why = f" {finding.text}" if finding is not None else ""
    message = (f"No job was started: Orchestrator refused the request. {_said(error)}{why} "
               "Starting again is safe once the problem is fixed.")
    return StartOutcome(NOT_STARTED, [], error, message, reference)


def _not_sent(error: OrchestratorError, reference: str) -> StartOutcome:
    message = (f"No job was started: the start request never reached Orchestrator. "
               f"{_said(error)} Starting again is safe.")
    return StartOutcome(NOT_STARTED, [], error, message, reference)


# ------------------------------------------------------------------------------ lookups


async def _look_up(
    client: Any,
    reference: str,
    attempts: int,
    backoff: float,
    sleep: Callable[[float], Awaitable[Any]],
) -> tuple:
    """(jobs or None, last error or None, answered lookups, last lookup answered).

    Stops at the first lookup that finds jobs; otherwise asks ``attempts`` times, so that a
    request Orchestrator is still working on has time to show up.
    """
    answered = 0
    last_error: Optional[OrchestratorError] = None
    last_answered = False
    for attempt in range(attempts):
        if attempt:
            await sleep(backoff * (2 ** (attempt - 1)))
        try:
            jobs = await client.find_jobs_by_reference(reference)
        except OrchestratorError as exc:
            log.warning("Looking up jobs with reference %s failed: %s", reference, exc)
            last_error = exc
            last_answered = False
            continue
        answered += 1
        last_answered = True
        if jobs:
            return list(jobs), None, answered, True
    return None, last_error, answered, last_answered


def _check_attempts(attempts: int) -> int:
    if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
        raise ValueError("lookup_attempts must be a whole number >= 1")
    return attempts


async def start_once(
    client: Any,
    start_info: dict,
    *,
    lookup_attempts: int = 3,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    backoff: float = BACKOFF,
) -> StartOutcome:
    """Send StartJobs once and report what really happened (see the module text).

    ``start_info`` must carry a non-empty ``Reference`` (``tui_app.plan.new_reference()``);
    ``ValueError`` otherwise. ``client`` is an ``OrchestratorClient`` already using the folder
    the jobs start in (the lookups run in the same folder). After an ambiguous failure the
    jobs are looked up ``lookup_attempts`` times, waiting ``backoff`` seconds, then twice that,
    and so on, in between (``sleep`` is injectable for tests). Never raises an
    ``OrchestratorError``; do not cancel it while it runs (a cancelled start is unknown).
    """
    if not isinstance(start_info, dict):
        raise TypeError("start_info must be a dict")
    reference = start_info.get("Reference")
    if not isinstance(reference, str) or not reference.strip():
        raise ValueError(
            "start_info needs a unique Reference (tui_app.plan.new_reference()) so a lost "
            "answer can be checked; refusing to start without one."
        )
    _check_attempts(lookup_attempts)
    try:
        jobs = await client.start_jobs(start_info)
    except OrchestratorError as error:
        kind = classify_failure(error)
        if kind == REFUSED:
            return _refused(error, reference)
        if kind == NOT_SENT:
            return _not_sent(error, reference)
        log.warning("StartJobs with reference %s failed ambiguously (%s); asking Orchestrator",
                    reference, error)
        return await _resolve(client, error, reference, lookup_attempts, backoff, sleep)
    return _started(jobs, reference)


async def _resolve(client: Any, error: OrchestratorError, reference: str, attempts: int,
                   backoff: float, sleep: Callable[[float], Awaitable[Any]]) -> StartOutcome:
    where = _where(client)
    happened = _failure(error)
    found, lookup_error, answered, last_answered = await _look_up(
        client, reference, attempts, backoff, sleep)
    if found:
        message = (f"The answer to the start request was lost ({happened}), but Orchestrator "
                   f"has {_jobs_phrase(found)} with reference {reference}{where}, so the start "
                   "went through. Do not start again: these are the jobs.")
        return StartOutcome(STARTED, found, error, message, reference, None, answered)
    if last_answered:
        times = "once" if answered == 1 else f"{answered} times"
        message = (f"No job was started. The start request failed ({happened}), and "
                   f"Orchestrator has no job with reference {reference}{where} (checked "
                   f"{times}). Starting again is safe; it sends a new request.")
        return StartOutcome(NOT_STARTED, [], error, message, reference, lookup_error, answered)
    asked = (f"{lookup_error.title}: {lookup_error.message}" if lookup_error is not None
             else "no answer")
    message = (f"It is not known whether the jobs started. The start request failed "
               f"({happened}), and Orchestrator could not be asked afterwards ({asked}). "
               f"Do not start again yet. {_check_hint(reference, where)}")
    return StartOutcome(UNKNOWN, [], error, message, reference, lookup_error, answered)



# ------------------------------------------------------------------------------ pre-flight


@dataclass(frozen=True)
class Preflight:
    """What ``ValidateDynamicJob`` said about a start body (``preflight``)."""

    #: False when the check did not run (``note`` says why); the start may still be tried.
    checked: bool
    findings: tuple = ()
    #: Why the check did not run ("" when it ran).
    note: str = ""

    @property
    def blocking(self) -> list:
        """Findings that mean the job could not run as asked."""
        return diagnosis.blocking(self.findings)

    @property
    def warnings(self) -> list:
        """Findings that mean it would wait (Start stays possible)."""
        return [finding for finding in self.findings if not finding.blocking]

    def to_json(self) -> dict:
        return {"checked": self.checked, "note": self.note,
                "findings": [finding.to_json() for finding in self.findings]}


async def preflight(client: Any, start_info: dict) -> Preflight:
    """Check ``start_info`` with ``ValidateDynamicJob`` (it starts nothing).

    A refusal of the check itself (HTTP 400/409/422, or 404 "item not found") is a blocking
    finding in words; a server without the endpoint, or any other failure (not allowed,
    throttled, unreachable), is a check that did not run, with the reason in ``note``.
    """
    try:
        result = await client.validate_dynamic_job(start_info)
    except NotAvailable:
        return Preflight(False, (), PREFLIGHT_UNAVAILABLE)
    except (RequestRejected, NotFound) as exc:
        finding = diagnosis.explain_refusal(exc) or Finding(
            str(exc.error_code or ""),
            f"Orchestrator would refuse the start: {visible(_said(exc), single_line=True)}",
            "", True)
        return Preflight(True, (finding,))
    except OrchestratorError as exc:
        log.warning("The pre-flight check failed: %s", exc)
        return Preflight(False, (), f"The pre-flight check could not run: {exc}")
    return Preflight(True, tuple(diagnosis.findings(result)))


# contract (issue 15): core helper's version wins at merge
async def prepare_input(client: Any, plan: Any) -> Any:
    """``plan`` with its arguments uploaded as a job attachment when they go as a file."""
    import dataclasses

    if not plan.sends_file or plan.input_file is not None:
        return plan
    name = f"startjob-input-{plan.reference}.json"
    attachment = await client.upload_attachment(name, plan.input_text().encode("utf-8"))
    return dataclasses.replace(plan, input_file=attachment)
