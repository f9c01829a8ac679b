"""tui_app.diagnosis: every pending reason, refusal and fault signature in plain words."""

from __future__ import annotations

import pytest

from tui_app import diagnosis
from tui_app.diagnosis import Finding, explain_fault, explain_refusal, explain_suspended, findings
from tui_app.orchestrator.errors import RequestRejected, ServerError
from tui_app.orchestrator.models import Job, JobError, ValidationResult

#: JobPendingReasons, spec v20 (22 values).
ALL_CODES = [
    "RobotNotAssignedToFolder", "RobotNotFound", "RobotNoCredentials", "RobotBusy",
    "RobotConcurrencyLimit", "RobotNoMatchingUsernames", "RobotVersionTooLow",
    "TemplateNoRuntime", "TemplateNoHostsAvailable", "TemplateNoLicense",
    "TemplateFullCapacity", "TemplateNotAssignedToFolder", "TemplateMaintenanceMode",
    "DynamicJobAccountCredentialsInvalid", "DynamicJobForegroundAutomationTypeInvalid",
    "DynamicJobBackgroundAutomationTypeInvalid", "DynamicJobWindowsTargetFrameworkInvalid",
    "DynamicJobCrossPlatformTargetFrameworkInvalid", "DynamicJobConnectedMachinesInvalid",
    "DynamicJobConnectedMachinesUserCredentialsInvalid",
    "DynamicJobConnectedMachinesCrossPlatformRobotVersionInvalid",
    "DynamicJobConnectedMachinesWindowsRobotVersionInvalid",
]
WARN_ONLY = {"RobotBusy", "RobotConcurrencyLimit", "TemplateFullCapacity",
             "TemplateNoHostsAvailable", "TemplateMaintenanceMode",
             "DynamicJobConnectedMachinesInvalid"}


def result(*codes, errors=(), valid=False):
    return ValidationResult(is_valid=valid, errors=tuple(errors), error_codes=tuple(codes))


def test_every_pending_reason_has_words_and_advice():
    assert sorted(diagnosis.PENDING_REASONS) == sorted(ALL_CODES)
    for code in ALL_CODES:
        (finding,) = findings(result(code, errors=[f"server text for {code}"]))
        assert finding.code == code
        assert finding.sentence.endswith(".") and finding.advice.endswith(".")
        assert "server text" not in finding.text  # our own words for a known code
        assert finding.blocking == (code not in WARN_ONLY), code


def test_valid_and_silent_has_no_findings():
    assert findings(result(valid=True)) == []


def test_unknown_code_falls_back_to_the_servers_text_made_visible():
    (finding,) = findings(result("BrandNewReason", errors=["Robot \x1b[31mred\x1b[0m is odd"]))
    assert finding.code == "BrandNewReason" and not finding.blocking
    assert "\x1b" not in finding.sentence and "␛[31mred" in finding.sentence


def test_errors_without_codes_and_invalid_without_anything():
    (finding,) = findings(result(errors=["No host is available"]))
    assert finding.sentence == "Orchestrator said: No host is available"
    (silent,) = findings(result())
    assert "gives no reason" in silent.sentence and not silent.blocking


def test_no_host_makes_the_connected_machines_checks_warnings():
    codes = ("TemplateNoHostsAvailable", "DynamicJobConnectedMachinesInvalid",
             "DynamicJobConnectedMachinesWindowsRobotVersionInvalid")
    found = findings(result(*codes))
    assert [f.code for f in found] == list(codes)
    assert diagnosis.blocking(found) == []
    alone = findings(result("DynamicJobConnectedMachinesWindowsRobotVersionInvalid"))
    assert diagnosis.blocking(alone) == alone


def refusal(status, message, code):
    return RequestRejected(message, status=status, server_message=message, error_code=code)


@pytest.mark.parametrize("status, message, code, key, words", [
    (409, "Couldn't find any user with unattended robot permissions in the current folder.",
     1000, "InvalidStartJobRobotIds", "No user in this folder has an unattended robot"),
    (409, "Couldn't find the specified unattended user/robot in the current folder.",
     "InvalidStartJobRobotIds", "InvalidStartJobRobotIds", "not an unattended robot"),
    (409, "The robots already have pending jobs for this Process", 1670, "1670",
     "already has a pending job"),
    (400, "Something else entirely", 1670, "1670", "already has a pending job"),
    (409, "Could not find a machine with Unattended or NonProduction runtimes in the current "
     "folder", 2818, "2818", "no machine with Unattended"),
    (409, "Robot SUPPORT-ATT is an attended robot.", 1000, "AttendedRobot", "attended robots"),
    (409, "The robot has no credentials.", 1000, "RobotNoCredentials", "no credentials"),
    (400, "A process with RequiresUserInteraction cannot run on a Headless runtime.", 1000,
     "ForegroundOnBackgroundRuntime", "foreground"),
    (400, "Cannot set a specific priority value when a standard job priority setting is "
     "selected.", "InvalidArgument", "BothPriorities", "priority"),
    (400, "A job cannot have both input file and input arguments.", "InvalidArgument",
     "InputFileAndArguments", "input file"),
])
def test_refusals(status, message, code, key, words):
    finding = explain_refusal(refusal(status, message, code))
    assert finding is not None and finding.blocking
    assert finding.code == key
    assert words in finding.sentence and finding.advice


def test_unattended_is_not_attended_and_unknown_refusals_are_none():
    assert explain_refusal(refusal(400, "Invalid unattended robot id.", 1000)) is None
    assert explain_refusal(ServerError("boom", status=500)) is None


def job(state="Faulted", info=None, error=None, **raw):
    return Job(id=7, key="k", state=state, info=info, job_error=error, raw=raw)


@pytest.mark.parametrize("info, words", [
    ("Could not start executor. The workstation is in use by another user.", "Another user"),
    ("Another interactive job is using the machine's console.", "foreground job"),
    ("No host is available on the machine template assigned for this job", "free runtime"),
    ("The robot is not licensed (license expired)", "licence"),
    ("The robots already have pending jobs for this Process", "pending job"),
    ("Couldn't find any user with unattended robot permissions in the current folder.",
     "unattended robot"),
])
def test_fault_signatures_in_info(info, words):
    finding = explain_fault(job(info=info))
    assert finding is not None and words in finding.sentence and finding.advice


def test_fault_from_job_error_title_detail_and_category():
    error = JobError(code="User.InvalidInvoice", title="Invoice rejected",
                     detail="Total \x07 is negative", category="User")
    finding = explain_fault(job(info="System.Exception: ...", error=error))
    assert finding.code == "User.InvalidInvoice"
    assert finding.sentence == "Invoice rejected - Total ␇ is negative"
    assert "workflow raised this error" in finding.advice
    deployment = explain_fault(job(error=JobError(code="X", title="No access",
                                                  category="Deployment")))
    assert "administrator" in deployment.advice


def test_fault_job_error_with_a_known_signature_explains_it():
    error = JobError(code="Robot.SessionFailed", title="Could not start",
                     detail="The workstation is in use by another user.", category="System")
    finding = explain_fault(job(error=error))
    assert "Another user was signed in" in finding.sentence
    assert "Sign that user out" in finding.advice


def test_unknown_fault_is_none():
    assert explain_fault(job(info="System.ArgumentException: The sheet does not exist")) is None


def test_suspended_says_what_it_waits_on():
    plain = explain_suspended(job(state="Suspended"))
    assert "waits on a trigger" in plain.sentence and not plain.blocking
    timer = explain_suspended(job(state="Suspended", ResumeTime="2026-01-01T10:00:00Z"))
    assert "resumes at 2026-01-01T10:00:00Z" in timer.sentence


def test_finding_json_and_snapshot_note():
    finding = Finding("RobotBusy", "Busy.", "Wait.", False)
    assert finding.to_json() == {"code": "RobotBusy", "sentence": "Busy.", "advice": "Wait.",
                                 "blocking": False}
    assert finding.text == "Busy. Wait."
    assert "snapshot" in diagnosis.SNAPSHOT_NOTE and "start it again" in diagnosis.SNAPSHOT_NOTE
