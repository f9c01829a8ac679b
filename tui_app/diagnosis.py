"""Why a job will not run, waits Pending, was refused or faulted, in plain words.

The one place that turns Orchestrator's codes and messages into sentences for support staff
(the wizard and ``startjob run`` both show these). Plain Python: no I/O, no Textual.

- ``findings(result)``: a ``ValidateDynamicJob`` / ``ValidateExistingJob`` answer, one
  ``Finding`` per ``JobPendingReasons`` code (all 22 are known; an unknown code falls back to
  the server's own ``Errors`` text). A finding **blocks** when the job could not run as asked
  (robot not found or not in the folder, no credentials, no runtime or licence, a template not
  in the folder, a foreground/background/framework mismatch); it only **warns** when the job
  would wait (robot busy, concurrency limit, full capacity, no host connected, maintenance
  mode). When no host is connected, the "connected machines" checks fail for that reason
  alone, so they warn too. An unknown code warns: the server's words are shown as they are.
- ``explain_refusal(error)``: a refused StartJobs (409 ``InvalidStartJobRobotIds``, 1670,
  2818, attended robot or no credentials, foreground on Headless, both priorities,
  ``InputFile`` and ``InputArguments``), keyed on ``errorCode`` where it is documented and on
  the message text otherwise.
- ``explain_fault(job)``: a Faulted job, from ``JobError`` (v20 / cloud) and the known
  ``Info`` signatures.
- ``explain_suspended(job)``: what a Suspended job waits on, as far as the job says.

Every server string goes through ``tui_app.text.visible``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Optional

from tui_app.text import visible

__all__ = [
    "PENDING_REASONS",
    "SNAPSHOT_NOTE",
    "Finding",
    "blocking",
    "explain_fault",
    "explain_refusal",
    "explain_suspended",
    "findings",
]

#: Shown with the reasons a job is Pending (``ValidateExistingJob``).
SNAPSHOT_NOTE = ("These reasons are a snapshot from when Orchestrator first tried to dispatch "
                 "the job; they are not updated. A job that waits starts by itself when it "
                 "can; after fixing a cause that blocks it, stop the job and start it again.")


@dataclass(frozen=True)
class Finding:
    """One reason in plain words: what is wrong (``sentence``) and what to do (``advice``).

    ``code`` is the server's code (a ``JobPendingReasons`` name, an errorCode, a
    ``JobError.code``) or "" when there is none; ``blocking`` is True when the job cannot run
    (or, for a fault, did not) until someone fixes it.
    """

    code: str
    sentence: str
    advice: str
    blocking: bool

    @property
    def text(self) -> str:
        """The sentence and the advice as one line."""
        return f"{self.sentence} {self.advice}".strip()

    def to_json(self) -> dict:
        return {"code": self.code, "sentence": self.sentence, "advice": self.advice,
                "blocking": self.blocking}


_ADMIN = "Ask an Orchestrator administrator to"

#: Every ``JobPendingReasons`` code (spec v20: 22; v18 lacks RobotVersionTooLow):
#: (sentence, what to do, blocks).
PENDING_REASONS: dict = {
    "RobotNotAssignedToFolder": (
        "The robot is not assigned to the job's folder.",
        f"{_ADMIN} assign the robot (its user or robot account) to this folder, or choose "
        "a robot of the folder.", True),
    "RobotNotFound": (
        "No unattended robot matches the job (the robot is unknown, or the user has no "
        "unattended robot).",
        "Choose the robots again, or ask an administrator to give the user an unattended "
        "robot.", True),
    "RobotNoCredentials": (
        "The robot has no credentials to sign in to the machine unattended.",
        f"{_ADMIN} set the robot's Windows credentials (unattended setup).", True),
    "RobotBusy": (
        "The robot is busy with another job; this one would wait Pending until it is free.",
        "Wait, or choose a robot that is Available.", False),
    "RobotConcurrencyLimit": (
        "The robot already runs as many jobs at once as it may; this one would wait.",
        "Wait for a job of that robot to end, or choose another robot.", False),
    "RobotNoMatchingUsernames": (
        "The robot's username matches no user set up on the machine template.",
        f"{_ADMIN} check the robot's credentials and the machine's user mapping.", True),
    "RobotVersionTooLow": (
        "The robot is older than this process needs.",
        f"{_ADMIN} update the robot on the machine, or start an older version of the "
        "process.", True),
    "TemplateNoRuntime": (
        "The machine template has no runtime of the job's runtime type.",
        f"Choose a runtime type the folder has, or {_ADMIN.lower()} add runtimes of this "
        "type to the machine template.", True),
    "TemplateNoHostsAvailable": (
        "No machine (host) of the machine template is connected; the job would wait Pending "
        "until one connects.",
        "Check that the robot's machine is on and connected to Orchestrator.", False),
    "TemplateNoLicense": (
        "The machine template has no licence (no runtimes allocated) for this job.",
        f"{_ADMIN} allocate runtimes of this type to the machine template.", True),
    "TemplateFullCapacity": (
        "Every runtime of the machine template is in use; the job would wait until one is "
        "free.",
        "Wait, or start fewer jobs at once.", False),
    "TemplateNotAssignedToFolder": (
        "The machine template is not assigned to the job's folder.",
        f"{_ADMIN} assign the machine (template) to this folder.", True),
    "TemplateMaintenanceMode": (
        "The machine is in maintenance mode and takes no new jobs; the job would wait.",
        f"Wait until maintenance ends, or {_ADMIN.lower()} turn maintenance mode off.", False),
    "DynamicJobAccountCredentialsInvalid": (
        "The account's credentials are not valid for running the job.",
        f"{_ADMIN} check the robot account's credentials.", True),
    "DynamicJobForegroundAutomationTypeInvalid": (
        "The process runs in the foreground (it needs a user session), but the chosen "
        "runtime or machine runs background processes only (e.g. Headless, Serverless).",
        "Choose the Unattended runtime type, or a machine that runs foreground processes.",
        True),
    "DynamicJobBackgroundAutomationTypeInvalid": (
        "The process runs in the background, but the chosen target cannot run background "
        "processes.",
        "Choose another runtime type or machine.", True),
    "DynamicJobWindowsTargetFrameworkInvalid": (
        "The process is a Windows project, but no Windows machine can run it here.",
        "Choose a folder or machine with a Windows robot, or publish the process as "
        "cross-platform.", True),
    "DynamicJobCrossPlatformTargetFrameworkInvalid": (
        "The process is a cross-platform project, but no machine here can run it.",
        "Choose a machine with a robot that runs cross-platform processes.", True),
    "DynamicJobConnectedMachinesInvalid": (
        "No connected machine can take the job; it would wait Pending until one connects.",
        "Check that the robot's machine is on and connected to Orchestrator.", False),
    "DynamicJobConnectedMachinesUserCredentialsInvalid": (
        "Machines are connected, but the user's credentials are not valid on them.",
        f"{_ADMIN} check the robot's credentials for those machines.", True),
    "DynamicJobConnectedMachinesCrossPlatformRobotVersionInvalid": (
        "The robots on the connected machines are too old for cross-platform processes.",
        f"{_ADMIN} update the robots on those machines.", True),
    "DynamicJobConnectedMachinesWindowsRobotVersionInvalid": (
        "The robots on the connected machines are too old for this Windows process.",
        f"{_ADMIN} update the robots on those machines.", True),
}

#: Codes that say no host is connected; with them, the "connected machines" codes below fail
#: for that reason alone (UiPath's own no-host case shows all three together).
_NO_HOST = frozenset({"TemplateNoHostsAvailable", "DynamicJobConnectedMachinesInvalid"})
_CONNECTED_MACHINES = "DynamicJobConnectedMachines"


def _said(text: Any) -> str:
    return visible(str(text).strip(), single_line=True, limit=500)


def findings(result: Any) -> list[Finding]:
    """The findings of a ``ValidationResult`` (``is_valid``, ``errors``, ``error_codes``),
    in the server's order; empty when it is valid and says nothing."""
    codes = [str(code) for code in result.error_codes]
    errors = [str(error) for error in result.errors if str(error).strip()]
    no_host = bool(_NO_HOST.intersection(codes))
    found: list[Finding] = []
    for index, code in enumerate(codes):
        known = PENDING_REASONS.get(code)
        if known is not None:
            sentence, advice, blocks = known
            if no_host and code.startswith(_CONNECTED_MACHINES):
                blocks = False
            found.append(Finding(code, sentence, advice, blocks))
            continue
        words = errors[index] if len(errors) == len(codes) else " ".join(errors)
        found.append(Finding(code, f"Orchestrator said: {_said(words or code)}",
                             "See Orchestrator's documentation for this reason.", False))
    if not codes:
        found.extend(Finding("", f"Orchestrator said: {_said(error)}", "", False)
                     for error in errors)
    if not found and not result.is_valid:
        found.append(Finding("", "Orchestrator says the job could not run, but gives no "
                                 "reason.", "Check the robot and machine on Orchestrator.",
                             False))
    return found


def blocking(found: Sequence[Finding]) -> list[Finding]:
    """The findings that block."""
    return [finding for finding in found if finding.blocking]


# -- refusals and faults: by errorCode where documented, by message text otherwise -------------

#: (errorCode, key, words in the message (any case), sentence, what to do); the first match
#: wins. 1670 and 2818 are documented numbers; the 409 robot-id messages are documented with
#: the name ``InvalidStartJobRobotIds``; the rest are matched on their documented messages.
_SIGNATURES = (
    ("1670", "PendingJobsAlreadyExist", ("already have pending jobs",),
     "The robot already has a pending job of this process, and Orchestrator keeps one "
     "pending job per process and robot.",
     "Wait for the pending job to start, stop it, or choose another robot."),
    ("2818", "NoUnattendedRuntimeMachine",
     ("could not find a machine with unattended or nonproduction runtimes",),
     "The folder has no machine with Unattended or NonProduction runtimes.",
     f"{_ADMIN} assign a machine (template) with Unattended runtimes to the folder."),
    ("", "InvalidStartJobRobotIds", ("any user with unattended robot permissions",),
     "No user in this folder has an unattended robot.",
     f"{_ADMIN} assign a user or robot account with an unattended robot directly to the "
     "folder (a group membership does not count)."),
    ("", "InvalidStartJobRobotIds", ("specified unattended user/robot",),
     "The chosen robot is not an unattended robot of this folder (any more).",
     "Choose the robots again: the robot may have left the folder or become attended."),
    ("", "AttendedRobot", ("attended robot", "is attended", "attended user"),
     "The chosen robot is attended: Orchestrator does not start jobs on attended robots.",
     "Choose an unattended robot."),
    ("", "RobotNoCredentials", ("no credentials", "credentials are not set",
                                "credentials not found", "without credentials"),
     "The robot has no credentials to sign in to its machine unattended.",
     f"{_ADMIN} set the robot's Windows credentials (unattended setup)."),
    ("", "ForegroundOnBackgroundRuntime", ("requiresuserinteraction", "foreground"),
     "The process runs in the foreground (it needs a user session), but the chosen runtime "
     "runs background processes only (Headless, Serverless).",
     "Choose the Unattended runtime type."),
    ("", "BothPriorities", ("specific priority value when a standard job priority",),
     "Both a priority level and a specific priority value were given.",
     "Give one of them, not both."),
    ("", "InputFileAndArguments", ("both input file and input arguments",),
     "Both an input file and input arguments were given.",
     "Send the arguments one way, not both."),
    ("", "WorkstationInUse", ("workstation is in use by another user",),
     "Another user was signed in to the robot's machine, so the robot could not open its "
     "own session.",
     "Sign that user out (or use a machine nobody works on), then start the job again."),
    ("", "ConsoleInUse", ("another interactive job is using the machine's console",),
     "Another foreground job was using the machine's screen; a machine runs one foreground "
     "job at a time.",
     "Run it when that job has ended, or on another machine."),
    ("", "NoHostAvailable", ("no host is available", "no runtime", "no machine is available",
                             "no available runtime"),
     "No machine with a free runtime of the job's type was available.",
     "Connect a machine with such a runtime to the folder, or wait until one is free, then "
     "start the job again."),
    ("", "NoLicense", ("licence", "license"),
     "The robot or machine has no licence for this job.",
     f"{_ADMIN} allocate a runtime licence to the machine (template), then start again."),
)


def _match(code: Any, texts: Sequence[Any]) -> Optional[tuple]:
    """(key, sentence, advice) of the first signature that fits: a documented errorCode
    number first, then the message text, then a code given by name."""
    code = "" if code is None else str(code)
    said = " ".join(str(text) for text in texts if text).casefold()
    by_number = [s for s in _SIGNATURES if s[0] and s[0] == code]
    # A word starts where a word starts: "attended robot" is not in "unattended robot".
    by_text = [s for s in _SIGNATURES
               if any(re.search(r"\b" + re.escape(word), said) for word in s[2])]
    by_name = [s for s in _SIGNATURES if code and s[1] == code]
    matches = by_number + by_text + by_name
    if not matches:
        return None
    number, key, _, sentence, advice = matches[0]
    return number or key, sentence, advice


def explain_refusal(error: Any) -> Optional[Finding]:
    """A refused start (an ``OrchestratorError``) in plain words, or None when the refusal
    is not a known one (its own message then says it all)."""
    match = _match(getattr(error, "error_code", None),
                   (getattr(error, "server_message", None), getattr(error, "message", None)))
    if match is None:
        return None
    key, sentence, advice = match
    return Finding(key, sentence, advice, True)


_CATEGORY_ADVICE = {
    "user": "The workflow raised this error: check the job's input and the data it works on; "
            "the process's developer can tell more.",
    "deployment": f"{_ADMIN} fix the setup (permissions, licence, robot or machine).",
    "system": "An internal error of Orchestrator or the robot: start the job again; if it "
              "keeps happening, give the job id to your Orchestrator administrator.",
}


def explain_fault(job: Any) -> Optional[Finding]:
    """Why a job faulted, from its ``JobError`` and the known ``Info`` signatures; None when
    neither says anything known."""
    error = getattr(job, "job_error", None)
    info = getattr(job, "info", None)
    texts = [info]
    if error is not None:
        texts = [error.title, error.detail, error.code, info]
    match = _match(None, texts)
    if error is not None:
        told = " - ".join(_said(part) for part in (error.title, error.detail) if part)
        sentence = told or _said(error.code)
        if match is not None:
            sentence = f"{sentence.rstrip('.')}: {match[1]}" if sentence else match[1]
            advice = match[2]
        else:
            advice = _CATEGORY_ADVICE.get(error.category.casefold(), "")
        return Finding(error.code or (match[0] if match else ""), sentence, advice, True)
    if match is None:
        return None
    key, sentence, advice = match
    return Finding(key, sentence, advice, True)


def explain_suspended(job: Any) -> Finding:
    """What a Suspended job waits on, as far as the job says (its resume time, sub-state)."""
    raw = getattr(job, "raw", None) or {}
    lowered = {str(key).casefold(): value for key, value in raw.items()}
    waits = "a trigger (a queue item, another job, a task or a timer)"
    resume_time = lowered.get("resumetime")
    sub_state = lowered.get("substate")
    if resume_time:
        waits = f"a timer: it resumes at {_said(resume_time)}"
    elif sub_state:
        waits = f"a trigger ({_said(sub_state)})"
    return Finding(
        "Suspended",
        f"The workflow paused at a persistence point and waits on {waits}.",
        "It goes on by itself when that happens (see the job in Orchestrator); it is not "
        "stuck.",
        False,
    )
